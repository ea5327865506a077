/*
 * timefmt.c — ISO 8601 parsing by hand (strptime has no portable zone
 * offset parsing and accepts out-of-range fields); UTC printing.
 */
#define _DEFAULT_SOURCE /* timegm */
#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* n digits at *p into *out; advances *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int ctl_iso8601_parse(const char *text, int64_t *out_ms, char *err, size_t errlen)
{
	const char *p = text;
	int year, mon, day, hour, min, sec = 0, ms = 0, has_zone = 0, off_min = 0;
	struct tm tm = { 0 };
	time_t t;

	if (digits(&p, 4, &year) != 0 || *p++ != '-' || digits(&p, 2, &mon) != 0 || *p++ != '-' ||
	    digits(&p, 2, &day) != 0 || (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if (digits(&p, 2, &hour) != 0 || *p++ != ':' || digits(&p, 2, &min) != 0)
		goto bad;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec) != 0)
			goto bad;
		if (*p == '.' || *p == ',') {
			int scale = 100;
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p)) {
				ms += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		has_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;
		p++;
		if (digits(&p, 2, &oh) != 0)
			goto bad;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && digits(&p, 2, &om) != 0)
			goto bad;
		if (oh > 18 || om > 59 || oh * 60 + om > 18 * 60) {
			snprintf(err, errlen, "time \"%s\": zone offset out of range", text);
			return -1;
		}
		has_zone = 1;
		off_min = sign * (oh * 60 + om);
	}
	if (*p != '\0')
		goto bad;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 60) {
		snprintf(err, errlen, "time \"%s\": a field is out of range", text);
		return -1;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (has_zone) {
		t = timegm(&tm);
		t -= (time_t)off_min * 60;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t)-1) {
		snprintf(err, errlen, "time \"%s\" cannot be represented", text);
		return -1;
	}
	*out_ms = (int64_t)t * 1000 + ms;
	return 0;
bad:
	snprintf(err, errlen,
		 "time \"%s\" is not ISO 8601 (e.g. 2026-11-27T15:30:00+01:00 or ...Z)", text);
	return -1;
}

void ctl_iso8601_format(int64_t ms, char *buf, size_t buflen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, buflen, "?");
		return;
	}
	strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/*
 * config_api.c — GET/PATCH/PUT /config, GET /history and ISO 8601 times,
 * without I/O (config_api.h says what each function promises).
 *
 * Why the REST side validates at all when the record validates at apply:
 * a DBA must get "400 and the reason" at once, not a 202 followed by a
 * silent rejection. The record still re-checks at apply (S17: a patch is
 * merged onto whatever configuration the log holds at that point), so two
 * concurrent patches never lose one another; a patch that became invalid
 * in between is rejected there and answered 409 by the runtime.
 */
#include "rest/config_api.h"

#include "record/record.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* body without "pause": a new object; *pause set from it. */
static json_t *split_pause(const json_t *body, int *pause, char *err, size_t errlen)
{
	const json_t *p = json_object_get(body, "pause");
	json_t *rest;

	*pause = -1;
	if (p != NULL) {
		if (!json_is_boolean(p) && !json_is_null(p)) {
			snprintf(err, errlen, "config 'pause' must be true or false");
			return NULL;
		}
		*pause = json_is_true(p) ? 1 : 0;
	}
	rest = json_deep_copy(body);
	if (rest == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_del(rest, "pause");
	return rest;
}

int pgq_config_change_parse(const json_t *body, bool replace, const json_t *stored,
			    struct pgq_config_change *out, char *err, size_t errlen)
{
	struct pgq_dyn_config cfg;
	json_t *empty = NULL, *rest, *result;
	char why[320];
	int rc;

	memset(out, 0, sizeof *out);
	out->pause = -1;
	if (!json_is_object(body)) {
		snprintf(err, errlen, "the request body must be a JSON object (the %s)",
			 replace ? "whole configuration" : "merge patch, RFC 7386");
		return -1;
	}
	if (json_object_size(body) == 0 && !replace) {
		snprintf(err, errlen, "the patch is empty: nothing to change");
		return -1;
	}
	if (stored == NULL)
		stored = empty = json_object();
	rest = split_pause(body, &out->pause, err, errlen);
	if (rest == NULL) {
		json_decref(empty);
		return -1;
	}
	if (!replace && json_object_size(rest) == 0) {
		/* Only the maintenance flag: the configuration stays as it is. */
		json_decref(rest);
		json_decref(empty);
		return 0;
	}
	/* RFC 7386: null deletes a key (its default returns). */
	result = replace ? json_incref(rest) : pgq_json_merge_patch(stored, rest);
	if (result == NULL) {
		json_decref(rest);
		json_decref(empty);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = pgq_dyn_config_validate(result, &cfg, why, sizeof why);
	if (rc != 0) {
		snprintf(err, errlen, "%s", rc == PGQ_RECORD_REJECTED ? why : "out of memory");
		json_decref(result);
		json_decref(rest);
		json_decref(empty);
		return -1;
	}
	/*
	 * Proposed even when it changes nothing here: this member's copy may lag
	 * the log, and only the record at apply knows (a skipped "no-op" could
	 * be a lost update).
	 */
	out->config = rest;
	json_decref(result);
	json_decref(empty);
	return 0;
}

void pgq_config_change_free(struct pgq_config_change *c)
{
	json_decref(c->config);
	c->config = NULL;
}

json_t *pgq_config_view(const json_t *stored, bool paused)
{
	json_t *eff = pgq_dyn_config_effective(stored);

	if (eff != NULL && paused && json_object_set_new(eff, "pause", json_true()) != 0) {
		json_decref(eff);
		return NULL;
	}
	return eff;
}

json_t *pgq_history_rows(const struct pgq_record *r)
{
	json_t *rows = json_array();

	for (size_t i = 0; rows != NULL && i < pgq_record_history_count(r); i++) {
		const struct pgq_history_entry *h = pgq_record_history_at(r, i);
		char when[64];

		if (h->reason == PGQ_CHANGE_BOOTSTRAP)
			continue;
		pgq_iso8601_format_ms((int64_t)h->time_ms, when, sizeof when);
		if (json_array_append_new(rows, json_pack("[I,I,s,s,s]", (json_int_t)h->timeline,
							  (json_int_t)h->lsn,
							  pgq_change_reason_name(h->reason), when,
							  h->new_primary)) != 0) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

/* ---- ISO 8601 ------------------------------------------------------------ */

/* n digits at *p into *out; advances *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int pgq_iso8601_parse_zoned(const char *text, int64_t *out_ms, char *err, size_t errlen)
{
	const char *p = text;
	int year, mon, day, hour, min, sec = 0, ms = 0, off_min = 0;
	struct tm tm = { 0 };
	time_t t;

	if (text == NULL || !digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) ||
	    *p++ != '-' || !digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
		goto bad;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &sec))
			goto bad;
		if (*p == '.' || *p == ',') {
			int scale = 100, n = 0;

			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			for (; isdigit((unsigned char)*p); p++, n++) {
				if (n == 9)
					goto bad;
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (!digits(&p, 2, &oh))
			goto bad;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
			goto bad;
		if (oh > 18 || om > 59 || oh * 60 + om > 18 * 60) {
			snprintf(err, errlen, "time \"%.64s\": zone offset out of range", text);
			return -1;
		}
		off_min = sign * (oh * 60 + om);
	} else if (*p == '\0') {
		snprintf(err, errlen, "time \"%.64s\" has no zone: a zone is mandatory "
			 "(e.g. 2026-11-27T15:30:00+01:00 or ...Z)", text);
		return -1;
	}
	if (*p != '\0')
		goto bad;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 59) {
		snprintf(err, errlen, "time \"%.64s\": a field is out of range", text);
		return -1;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1) {
		snprintf(err, errlen, "time \"%.64s\" cannot be represented", text);
		return -1;
	}
	t -= (time_t)off_min * 60;
	*out_ms = (int64_t)t * 1000 + ms;
	return 0;
bad:
	snprintf(err, errlen, "time \"%.64s\" is not ISO 8601 (e.g. 2026-11-27T15:30:00+01:00 or ...Z)",
		 text != NULL ? text : "");
	return -1;
}

void pgq_iso8601_format_ms(int64_t ms, char *buf, size_t buflen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, buflen, "?");
		return;
	}
	snprintf(buf + n, buflen - n, ".%03d+00:00", (int)(ms % 1000));
}

/*
 * size.c — Patroni's lag sizes: "1048576", "1024kB", "10MB", "1GB".
 *
 * Patroni parses `?lag=` with PostgreSQL's memory units (1024-based, case
 * sensitive). Unlike Patroni, which silently treats an unparsable lag as
 * "no limit", a malformed size here is an error the caller answers with 400:
 * a typo in a load balancer's check must not turn a lag limit off.
 */
#include "rest/query.h"

#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;
	uint64_t bytes;
};

static const struct unit units[] = {
	{ "B", 1 },
	{ "kB", UINT64_C(1) << 10 },
	{ "MB", UINT64_C(1) << 20 },
	{ "GB", UINT64_C(1) << 30 },
	{ "TB", UINT64_C(1) << 40 },
};

int pgq_size_parse(const char *text, uint64_t *bytes, char *err, size_t errlen)
{
	const uint64_t limit = (uint64_t)INT64_MAX;
	const char *p = text;
	uint64_t number = 0;
	uint64_t multiplier = 0;

	if (text == NULL || *text == '\0') {
		snprintf(err, errlen, "empty size");
		return -1;
	}
	if (*p < '0' || *p > '9') {
		snprintf(err, errlen, "invalid size \"%.64s\": expected digits, then B, kB, MB, GB or TB", text);
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (number > (limit - digit) / 10) {
			snprintf(err, errlen, "size \"%.64s\" is too large", text);
			return -1;
		}
		number = number * 10 + digit;
	}
	if (*p == '\0') {
		multiplier = 1;
	} else {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(p, units[i].name) == 0)
				multiplier = units[i].bytes;
	}
	if (multiplier == 0) {
		snprintf(err, errlen, "invalid size \"%.64s\": the unit must be B, kB, MB, GB or TB", text);
		return -1;
	}
	if (number > limit / multiplier) {
		snprintf(err, errlen, "size \"%.64s\" is too large", text);
		return -1;
	}
	*bytes = number * multiplier;
	return 0;
}

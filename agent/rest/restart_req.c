/*
 * restart_req.c — Patroni's POST /restart body (see restart_req.h).
 *
 * The ISO 8601 parser is the agent's one (config_api.h, also used by the
 * scheduled switchover). Patroni requires a zone for a scheduled restart
 * (400); a time it cannot read at all is 422.
 */
#include "rest/restart_req.h"

#include "rest/config_api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The time part (after the date) carries Z or a ±offset. */
static bool has_zone(const char *text)
{
	size_t n = strlen(text);

	if (n <= 10)
		return false;
	for (const char *p = text + 10; *p != '\0'; p++)
		if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-')
			return true;
	return false;
}

int pgq_postgres_version_parse(const char *text, int *out)
{
	long part[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = text;

	if (text == NULL || *text == '\0')
		return -1;
	while (n < 3) {
		char *end;

		if (!isdigit((unsigned char)*p))
			return -1;
		part[n++] = strtol(p, &end, 10);
		if (end - p > 4)
			return -1;
		p = end;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	if (*p != '\0')
		return -1;
	if (part[0] >= 10) { /* 10 and later: major.minor */
		if (n > 2 || part[0] > 99 || part[1] > 9999)
			return -1;
		*out = (int)(part[0] * 10000 + part[1]);
		return 0;
	}
	/* 9.x: major.major2.minor */
	if (part[0] < 9 && part[0] != 0 && n < 2)
		return -1;
	if (part[0] == 0 || part[1] > 99 || part[2] > 99)
		return -1;
	*out = (int)(part[0] * 10000 + part[1] * 100 + part[2]);
	return 0;
}

/* Patroni's timeout: seconds as a number, or a string "30", "30s", "2min", "1h". */
static int parse_timeout(const json_t *v, uint32_t *out)
{
	long long s;

	if (json_is_integer(v)) {
		s = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *t = json_string_value(v);
		char *end;
		long long mult = 1;

		if (!isdigit((unsigned char)t[0]))
			return -1;
		s = strtoll(t, &end, 10);
		while (*end == ' ')
			end++;
		if (*end == '\0' || strcmp(end, "s") == 0)
			mult = 1;
		else if (strcmp(end, "min") == 0)
			mult = 60;
		else if (strcmp(end, "h") == 0)
			mult = 3600;
		else
			return -1;
		if (s > 86400)
			return -1;
		s *= mult;
	} else {
		return -1;
	}
	if (s <= 0 || s > 86400)
		return -1;
	*out = (uint32_t)s;
	return 0;
}

int pgq_restart_req_parse(const json_t *body, int64_t now_ms, struct pgq_restart_req *out,
			  char *err, size_t errlen)
{
	const char *key;
	const json_t *v;

	memset(out, 0, sizeof *out);
	if (body == NULL)
		return 0;
	if (!json_is_object(body)) {
		snprintf(err, errlen, "the request body must be a JSON object");
		return 400;
	}
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "schedule") == 0) {
			const char *t = json_string_value(v);
			char why[128];

			if (t == NULL || strlen(t) >= sizeof out->schedule_text - 1 ||
			    pgq_iso8601_parse_zoned(t, &out->schedule_ms, why, sizeof why) != 0) {
				char zoned[PGQ_RESTART_TEXT_LEN + 2];
				int64_t ms;

				/* Readable once a zone is added: only the zone is missing. */
				if (t != NULL && !has_zone(t) && strlen(t) < sizeof out->schedule_text - 1 &&
				    snprintf(zoned, sizeof zoned, "%sZ", t) > 0 &&
				    pgq_iso8601_parse_zoned(zoned, &ms, why, sizeof why) == 0) {
					snprintf(err, errlen, "Timezone information is mandatory for the scheduled restart");
					return 400;
				}
				snprintf(err, errlen, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
				return 422;
			}
			if (out->schedule_ms < now_ms) {
				snprintf(err, errlen, "Cannot schedule restart in the past");
				return 422;
			}
			out->has_schedule = true;
			snprintf(out->schedule_text, sizeof out->schedule_text, "%s", t);
		} else if (strcmp(key, "role") == 0) {
			const char *r = json_string_value(v);

			if (r == NULL || (strcmp(r, "primary") != 0 && strcmp(r, "master") != 0 &&
					  strcmp(r, "replica") != 0 && strcmp(r, "any") != 0 &&
					  strcmp(r, "standby_leader") != 0)) {
				snprintf(err, errlen, "PostgreSQL role should be either primary, standby_leader, or replica");
				return 400;
			}
			/* "any" (pgquorumctl's default) is no filter; "master" is Patroni's old name. */
			snprintf(out->role, sizeof out->role, "%s",
				 strcmp(r, "any") == 0 ? "" : strcmp(r, "master") == 0 ? "primary" : r);
		} else if (strcmp(key, "postgres_version") == 0) {
			const char *t = json_string_value(v);

			if (t == NULL || strlen(t) >= sizeof out->postgres_version ||
			    pgq_postgres_version_parse(t, &out->postgres_version_num) != 0) {
				snprintf(err, errlen, "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted");
				return 400;
			}
			snprintf(out->postgres_version, sizeof out->postgres_version, "%s", t);
		} else if (strcmp(key, "timeout") == 0) {
			if (parse_timeout(v, &out->timeout_s) != 0) {
				snprintf(err, errlen, "Timeout should be a positive number of seconds");
				return 400;
			}
		} else if (strcmp(key, "restart_pending") == 0) {
			/* Patroni takes the key's presence; a JSON false is the one way to say no. */
			out->restart_pending = !json_is_false(v) && !json_is_null(v);
		} else {
			snprintf(err, errlen, "Unknown filter for the scheduled restart: %.64s", key);
			return 400;
		}
	}
	return 0;
}

bool pgq_restart_req_matches(const struct pgq_restart_req *r, const char *role,
			     int server_version, bool pending_restart, char *reason,
			     size_t reasonlen)
{
	if (r->role[0] != '\0') {
		/* A standby-cluster leader does not exist here: that role never matches. */
		if (role == NULL || strcmp(r->role, role) != 0) {
			snprintf(reason, reasonlen, "host role mismatch");
			return false;
		}
	}
	if (r->postgres_version_num != 0 &&
	    (server_version == 0 || r->postgres_version_num <= server_version)) {
		snprintf(reason, reasonlen, "postgres version mismatch");
		return false;
	}
	if (r->restart_pending && !pending_restart) {
		snprintf(reason, reasonlen, "pending restart flag is not set");
		return false;
	}
	return true;
}

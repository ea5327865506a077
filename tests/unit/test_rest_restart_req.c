/*
 * test_rest_restart_req.c — Patroni's POST /restart body: every key, the
 * codes and messages a Patroni client sees (400, 422), the schedule's zone
 * and past-time rules, PostgreSQL version forms, and the conditions
 * (role, postgres_version, restart_pending) judged against a member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rest/restart_req.h"

/* 2026-11-27T12:00:00Z */
#define NOW_MS INT64_C(1795780800000)

static int parse(const char *json, struct pgq_restart_req *r, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *body = json != NULL ? json_loads(json, 0, &jerr) : NULL;
	int rc;

	if (json != NULL && body == NULL)
		fail_msg("bad test JSON %s", json);
	err[0] = '\0';
	rc = pgq_restart_req_parse(body, NOW_MS, r, err, errlen);
	json_decref(body);
	return rc;
}

static void empty_body_means_now(void **state)
{
	struct pgq_restart_req r;
	char err[200];

	(void)state;
	assert_int_equal(parse(NULL, &r, err, sizeof err), 0);
	assert_false(r.has_schedule);
	assert_int_equal(parse("{}", &r, err, sizeof err), 0);
	assert_false(r.has_schedule);
	assert_false(r.restart_pending);
	assert_string_equal(r.role, "");
	assert_int_equal(r.timeout_s, 0);
}

static void every_key(void **state)
{
	struct pgq_restart_req r;
	char err[200];

	(void)state;
	assert_int_equal(parse("{\"schedule\": \"2026-11-27T13:00:00+01:00\", \"restart_pending\": true,"
			       " \"role\": \"replica\", \"postgres_version\": \"15.5\", \"timeout\": 30}",
			       &r, err, sizeof err), 0);
	/* 13:00+01:00 is 12:00Z: not in the past. */
	assert_true(r.has_schedule);
	assert_true(r.schedule_ms == NOW_MS);
	assert_string_equal(r.schedule_text, "2026-11-27T13:00:00+01:00");
	assert_true(r.restart_pending);
	assert_string_equal(r.role, "replica");
	assert_int_equal(r.postgres_version_num, 150005);
	assert_int_equal(r.timeout_s, 30);
	assert_int_equal(parse("{\"timeout\": \"2min\", \"role\": \"any\"}", &r, err, sizeof err), 0);
	assert_int_equal(r.timeout_s, 120);
	assert_string_equal(r.role, "");
	assert_int_equal(parse("{\"role\": \"master\", \"restart_pending\": false}", &r, err, sizeof err), 0);
	assert_string_equal(r.role, "primary");
	assert_false(r.restart_pending);
}

static void refusals(void **state)
{
	struct pgq_restart_req r;
	char err[200];

	(void)state;
	assert_int_equal(parse("{\"when\": 1}", &r, err, sizeof err), 400);
	assert_string_equal(err, "Unknown filter for the scheduled restart: when");
	assert_int_equal(parse("{\"role\": \"leader\"}", &r, err, sizeof err), 400);
	assert_string_equal(err, "PostgreSQL role should be either primary, standby_leader, or replica");
	assert_int_equal(parse("{\"role\": 1}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"timeout\": 0}", &r, err, sizeof err), 400);
	assert_string_equal(err, "Timeout should be a positive number of seconds");
	assert_int_equal(parse("{\"timeout\": \"abc\"}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"timeout\": -5}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"timeout\": 1.5}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"postgres_version\": \"fifteen\"}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"postgres_version\": 15}", &r, err, sizeof err), 400);
	assert_int_equal(parse("{\"schedule\": \"tomorrow\"}", &r, err, sizeof err), 422);
	assert_string_equal(err, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
	assert_int_equal(parse("{\"schedule\": \"2026-11-27T13:00:00\"}", &r, err, sizeof err), 400);
	assert_string_equal(err, "Timezone information is mandatory for the scheduled restart");
	assert_int_equal(parse("{\"schedule\": \"2026-11-27T11:59:59Z\"}", &r, err, sizeof err), 422);
	assert_string_equal(err, "Cannot schedule restart in the past");
	assert_int_equal(parse("{\"schedule\": \"2026-02-30T11:59:59Z\"}", &r, err, sizeof err), 422);
	assert_int_equal(parse("{\"schedule\": 5}", &r, err, sizeof err), 422);
	assert_int_equal(parse("[1]", &r, err, sizeof err), 400);
}

static void versions(void **state)
{
	int v = -1;

	(void)state;
	assert_int_equal(pgq_postgres_version_parse("15", &v), 0);
	assert_int_equal(v, 150000);
	assert_int_equal(pgq_postgres_version_parse("15.4", &v), 0);
	assert_int_equal(v, 150004);
	assert_int_equal(pgq_postgres_version_parse("9.6.24", &v), 0);
	assert_int_equal(v, 90624);
	assert_int_equal(pgq_postgres_version_parse("9.6", &v), 0);
	assert_int_equal(v, 90600);
	assert_int_equal(pgq_postgres_version_parse("", &v), -1);
	assert_int_equal(pgq_postgres_version_parse("15.4.1", &v), -1);
	assert_int_equal(pgq_postgres_version_parse("15.", &v), -1);
	assert_int_equal(pgq_postgres_version_parse(".4", &v), -1);
	assert_int_equal(pgq_postgres_version_parse("15.4beta", &v), -1);
	assert_int_equal(pgq_postgres_version_parse("123456.1", &v), -1);
	assert_int_equal(pgq_postgres_version_parse("0.1", &v), -1);
}

static void conditions(void **state)
{
	struct pgq_restart_req r;
	char err[200], why[64];

	(void)state;
	assert_int_equal(parse("{}", &r, err, sizeof err), 0);
	assert_true(pgq_restart_req_matches(&r, "replica", 150004, false, why, sizeof why));
	assert_int_equal(parse("{\"role\": \"primary\"}", &r, err, sizeof err), 0);
	assert_false(pgq_restart_req_matches(&r, "replica", 150004, false, why, sizeof why));
	assert_string_equal(why, "host role mismatch");
	assert_true(pgq_restart_req_matches(&r, "primary", 150004, false, why, sizeof why));
	/* Only when the running server is older than the version given. */
	assert_int_equal(parse("{\"postgres_version\": \"15.4\"}", &r, err, sizeof err), 0);
	assert_false(pgq_restart_req_matches(&r, "primary", 150004, false, why, sizeof why));
	assert_string_equal(why, "postgres version mismatch");
	assert_false(pgq_restart_req_matches(&r, "primary", 150005, false, why, sizeof why));
	assert_true(pgq_restart_req_matches(&r, "primary", 150003, false, why, sizeof why));
	assert_false(pgq_restart_req_matches(&r, "primary", 0, false, why, sizeof why));
	assert_int_equal(parse("{\"restart_pending\": true}", &r, err, sizeof err), 0);
	assert_false(pgq_restart_req_matches(&r, "replica", 150004, false, why, sizeof why));
	assert_string_equal(why, "pending restart flag is not set");
	assert_true(pgq_restart_req_matches(&r, "replica", 150004, true, why, sizeof why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_body_means_now),
		cmocka_unit_test(every_key),
		cmocka_unit_test(refusals),
		cmocka_unit_test(versions),
		cmocka_unit_test(conditions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

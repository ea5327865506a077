/*
 * test_rest_config.c — the pure logic of GET/PATCH/PUT /config, GET
 * /history and ISO 8601 times (agent/rest/config_api.c).
 *
 * The central promise: the REST check refuses exactly what the record
 * would refuse at apply (same rules, docs/record.md "Dynamic
 * configuration"), so a 400 means "nothing proposed, nothing changed" and
 * an accepted patch applies. Checked by feeding the same patches to both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record_fixture.h"
#include "rest/config_api.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return v;
}

/* a equals the JSON text (the parsed text is freed). */
static bool same(const json_t *a, const char *text)
{
	json_t *b = J(text);
	bool eq = json_equal((json_t *)a, b);

	json_decref(b);
	return eq;
}

static int parse(const char *body, bool replace, const char *stored, struct pgq_config_change *ch,
		 char *err, size_t errlen)
{
	json_t *b = J(body), *s = stored != NULL ? J(stored) : NULL;
	int rc = pgq_config_change_parse(b, replace, s, ch, err, errlen);

	json_decref(b);
	json_decref(s);
	return rc;
}

static void test_patch_valid_and_pause_split(void **state)
{
	struct pgq_config_change ch;
	char err[400];

	(void)state;
	assert_int_equal(parse("{\"ttl\": 40, \"pause\": true}", false, "{\"ttl\": 30}", &ch, err,
			       sizeof err), 0);
	assert_int_equal(ch.pause, 1);
	assert_non_null(ch.config);
	assert_true(same(ch.config, "{\"ttl\": 40}"));
	pgq_config_change_free(&ch);

	/* Only the flag: no configuration entry. null means "not paused" (RFC 7386 deletes it). */
	assert_int_equal(parse("{\"pause\": null}", false, NULL, &ch, err, sizeof err), 0);
	assert_int_equal(ch.pause, 0);
	assert_null(ch.config);

	/* A patch that changes nothing here is still proposed: this copy may lag the log. */
	assert_int_equal(parse("{\"ttl\": 30}", false, "{\"ttl\": 30}", &ch, err, sizeof err), 0);
	assert_true(same(ch.config, "{\"ttl\": 30}"));
	assert_int_equal(ch.pause, -1);
	pgq_config_change_free(&ch);

	/* null deletes a nested key. */
	assert_int_equal(parse("{\"postgresql\": {\"parameters\": {\"work_mem\": null}}}", false,
			       "{\"postgresql\": {\"parameters\": {\"work_mem\": \"8MB\"}}}", &ch, err,
			       sizeof err), 0);
	assert_non_null(ch.config);
	pgq_config_change_free(&ch);
}

static void test_patch_refusals(void **state)
{
	static const struct {
		const char *body, *needle;
	} bad[] = {
		{ "{}", "empty" },
		{ "{\"pause\": 1}", "pause" },
		{ "{\"ttl\": \"abc\"}", "ttl" },
		{ "{\"no_such_key\": 1}", "no_such_key" },
		{ "{\"loop_wait\": 25}", "loop_wait + 2" },
		{ "{\"synchronous_mode\": \"maybe\"}", "synchronous_mode" },
		{ "{\"postgresql\": {\"parameters\": {\"bad name\": 1}}}", "bad name" },
		{ "{\"postgresql\": {\"parameters\": {\"x\": [1]}}}", "postgresql.parameters.x" },
		{ "{\"postgresql\": {\"typo\": 1}}", "typo" },
		{ "{\"maximum_lag_on_failover\": -1}", "maximum_lag_on_failover" },
	};
	struct pgq_config_change ch;
	char err[400];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (parse(bad[i].body, false, "{}", &ch, err, sizeof err) != -1)
			fail_msg("%s was accepted", bad[i].body);
		if (strstr(err, bad[i].needle) == NULL)
			fail_msg("%s: reason \"%s\" does not name %s", bad[i].body, err, bad[i].needle);
		assert_null(ch.config);
	}
	/* Not an object at all. */
	assert_int_equal(pgq_config_change_parse(NULL, false, NULL, &ch, err, sizeof err), -1);
}

static void test_put_replaces(void **state)
{
	struct pgq_config_change ch;
	char err[400];

	(void)state;
	/* Unlisted keys return to their defaults: ttl 30 with loop_wait 10 is valid. */
	assert_int_equal(parse("{\"maximum_lag_on_failover\": 5}", true, "{\"ttl\": 5, \"loop_wait\": 1,"
			       " \"retry_timeout\": 1}", &ch, err, sizeof err), 0);
	assert_true(same(ch.config, "{\"maximum_lag_on_failover\": 5}"));
	pgq_config_change_free(&ch);
	/* A whole configuration is validated as a whole. */
	assert_int_equal(parse("{\"ttl\": 5}", true, "{}", &ch, err, sizeof err), -1);
	assert_non_null(strstr(err, "loop_wait + 2"));
	assert_int_equal(parse("{\"ttl\": null}", true, "{}", &ch, err, sizeof err), -1);
	assert_non_null(strstr(err, "ttl"));
	/* pause comes out of a PUT too. */
	assert_int_equal(parse("{\"ttl\": 30, \"pause\": false}", true, "{\"ttl\": 30}", &ch, err,
			       sizeof err), 0);
	assert_true(same(ch.config, "{\"ttl\": 30}"));
	assert_int_equal(ch.pause, 0);
	pgq_config_change_free(&ch);
}

/* The REST check and the record's apply agree, patch after patch (same rules). */
static void test_rest_check_agrees_with_record(void **state)
{
	static const char *const patches[] = {
		"{\"ttl\": 20}", "{\"ttl\": 0.5}", "{\"loop_wait\": 5, \"retry_timeout\": 5}",
		"{\"retry_timeout\": 9}", "{\"ttl\": null}", "{\"synchronous_mode\": true}",
		"{\"synchronous_node_count\": 0}", "{\"postgresql\": {\"use_pg_rewind\": \"yes\"}}",
		"{\"postgresql\": {\"pg_hba\": [\"host all all 0/0 md5\"]}}",
		"{\"postgresql\": {\"pg_hba\": [1]}}", "{\"postgresql\": null}",
		"{\"failover_backoff\": 86401}", "{\"member_slots_ttl\": 0}", "{\"zzz\": null}",
	};
	struct fx *f = *state;
	int applied = 0, rejected = 0;

	fx_cluster3(f, NULL);
	for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
		struct pgq_config_change ch;
		char err[400];
		json_t *patch = J(patches[i]);
		int rest = pgq_config_change_parse(patch, false, pgq_record_config_stored(f->r), &ch, err,
						   sizeof err);
		int rec = CMD(f, pgq_cmd_config_patch, patch, 1000);

		if ((rest == 0) != (rec == PGQ_RECORD_APPLIED))
			fail_msg("%s: REST %s (%s), record %s (%s)", patches[i], rest == 0 ? "ok" : "400",
				 err, rec == PGQ_RECORD_APPLIED ? "applied" : "rejected", f->res.reason);
		applied += rec == PGQ_RECORD_APPLIED;
		rejected += rec != PGQ_RECORD_APPLIED;
		pgq_config_change_free(&ch);
		json_decref(patch);
	}
	/* Both verdicts were exercised. */
	assert_true(applied >= 4);
	assert_true(rejected >= 4);
}

static void test_view_shows_defaults_and_pause(void **state)
{
	json_t *stored = J("{\"ttl\": 20}");
	json_t *v = pgq_config_view(stored, true);

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(v, "ttl")), 20);
	assert_int_equal(json_integer_value(json_object_get(v, "switchover_max_lag")), 1048576);
	assert_true(json_is_object(json_object_get(json_object_get(v, "postgresql"), "parameters")));
	assert_true(json_is_true(json_object_get(v, "pause")));
	json_decref(v);
	v = pgq_config_view(stored, false);
	assert_null(json_object_get(v, "pause"));
	json_decref(v);
	json_decref(stored);
}

static void test_history_rows(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;
	json_t *rows;

	fx_cluster3(f, NULL);
	rows = pgq_history_rows(f->r);
	assert_int_equal(json_array_size(rows), 0); /* the bootstrap is not a row (Patroni) */
	json_decref(rows);
	p = pgq_record_primary(f->r);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x3000000);
	OK(f, pgq_cmd_set_primary, "pg2", p->epoch, p->lease_seq, PGQ_CHANGE_FAILOVER, false,
	   0x3000000, 1764240000123);
	rows = pgq_history_rows(f->r);
	assert_int_equal(json_array_size(rows), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(rows, 0), 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(rows, 0), 1)), 0x3000000);
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows, 0), 2)), "failover");
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows, 0), 3)),
			    "2025-11-27T10:40:00.123+00:00");
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows, 0), 4)), "pg2");
	json_decref(rows);
}

static void test_iso8601(void **state)
{
	int64_t ms = 0;
	char err[200], buf[64];

	(void)state;
	assert_int_equal(pgq_iso8601_parse_zoned("2026-11-27T15:30:00Z", &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795793400000);
	assert_int_equal(pgq_iso8601_parse_zoned("2026-11-27T16:30:00+01:00", &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795793400000);
	assert_int_equal(pgq_iso8601_parse_zoned("2026-11-27 10:00:00.250-0530", &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795793400250);
	assert_int_equal(pgq_iso8601_parse_zoned("2024-02-29T00:00Z", &ms, err, sizeof err), 0);
	pgq_iso8601_format_ms(1795793400250, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-27T15:30:00.250+00:00");
	assert_int_equal(pgq_iso8601_parse_zoned(buf, &ms, err, sizeof err), 0);
	assert_int_equal(ms, 1795793400250);

	/* Patroni: the zone is mandatory. */
	assert_int_equal(pgq_iso8601_parse_zoned("2026-11-27T15:30:00", &ms, err, sizeof err), -1);
	assert_non_null(strstr(err, "no zone"));
	static const char *const bad[] = {
		"", "now", "2026-11-27", "2026-13-01T00:00Z", "2025-02-29T00:00Z", "2026-11-27T24:00Z",
		"2026-11-27T15:30:00+19:00", "2026-11-27T15:30:00Zjunk", "2026-11-27T15:30:00.Z",
		"2026-11-27T15:30:00.1234567891Z", "1969-12-31T23:59:59Z", "2026-11-27T15:60Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (pgq_iso8601_parse_zoned(bad[i], &ms, err, sizeof err) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(pgq_iso8601_parse_zoned(NULL, &ms, err, sizeof err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_valid_and_pause_split),
		cmocka_unit_test(test_patch_refusals),
		cmocka_unit_test(test_put_replaces),
		cmocka_unit_test_setup_teardown(test_rest_check_agrees_with_record, fx_setup, fx_teardown),
		cmocka_unit_test(test_view_shows_defaults_and_pause),
		cmocka_unit_test_setup_teardown(test_history_rows, fx_setup, fx_teardown),
		cmocka_unit_test(test_iso8601),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

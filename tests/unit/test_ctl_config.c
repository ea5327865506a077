/*
 * test_ctl_config.c — edit-config's pure parts: YAML scalar typing, YAML
 * documents to JSON (with the refusals), `--set key=value` to an RFC 7386
 * merge patch, the patch between two configurations and its application;
 * and --scheduled's ISO 8601 parsing with zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/timefmt.h"
#include "ctl/yamljson.h"

static void expect_json(json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
	char *g;

	assert_non_null(want);
	assert_non_null(got);
	if (!json_equal(got, want)) {
		g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		fail_msg("got %s, want %s", g, want_text);
	}
	json_decref(want);
	json_decref(got);
}

static void test_scalar_types(void **state)
{
	(void)state;
	expect_json(ctl_yaml_scalar("10"), "10");
	expect_json(ctl_yaml_scalar("-3"), "-3");
	expect_json(ctl_yaml_scalar("0x1f"), "31");
	expect_json(ctl_yaml_scalar("1.5"), "1.5");
	expect_json(ctl_yaml_scalar("1e3"), "1000.0");
	expect_json(ctl_yaml_scalar("true"), "true");
	expect_json(ctl_yaml_scalar("False"), "false");
	expect_json(ctl_yaml_scalar("null"), "null");
	expect_json(ctl_yaml_scalar("~"), "null");
	expect_json(ctl_yaml_scalar(""), "null");
	expect_json(ctl_yaml_scalar("64MB"), "\"64MB\"");
	expect_json(ctl_yaml_scalar("on"), "\"on\""); /* YAML 1.2: a string */
	expect_json(ctl_yaml_scalar("1.2.3"), "\"1.2.3\"");
	expect_json(ctl_yaml_scalar("99999999999999999999"), "\"99999999999999999999\"");
	assert_false(ctl_yaml_plain_is_string("on"));  /* quoted on output for YAML 1.1 readers */
	assert_false(ctl_yaml_plain_is_string("12"));
	assert_true(ctl_yaml_plain_is_string("quorum"));
}

static void test_set_builds_merge_patch(void **state)
{
	json_t *patch = json_object();
	char err[256];

	(void)state;
	assert_int_equal(ctl_patch_add_set(patch, "ttl=40", err, sizeof err), 0);
	assert_int_equal(ctl_patch_add_set(patch, "postgresql.parameters.work_mem=64MB", err,
					   sizeof err), 0);
	assert_int_equal(ctl_patch_add_set(patch, "postgresql.use_pg_rewind=false", err,
					   sizeof err), 0);
	assert_int_equal(ctl_patch_add_set(patch, "synchronous_mode=null", err, sizeof err), 0);
	assert_int_equal(ctl_patch_add_set(patch, "note=a=b", err, sizeof err), 0);
	expect_json(json_incref(patch),
		    "{\"ttl\": 40, \"postgresql\": {\"parameters\": {\"work_mem\": \"64MB\"},"
		    " \"use_pg_rewind\": false}, \"synchronous_mode\": null, \"note\": \"a=b\"}");
	/* A later --set of the same key wins. */
	assert_int_equal(ctl_patch_add_set(patch, "ttl=50", err, sizeof err), 0);
	assert_int_equal(json_integer_value(json_object_get(patch, "ttl")), 50);
	json_decref(patch);
}

static void test_set_rejects_bad_keys(void **state)
{
	json_t *patch = json_object();
	char err[256];

	(void)state;
	assert_int_equal(ctl_patch_add_set(patch, "ttl", err, sizeof err), -1);
	assert_non_null(strstr(err, "KEY=VALUE"));
	assert_int_equal(ctl_patch_add_set(patch, "=5", err, sizeof err), -1);
	assert_int_equal(ctl_patch_add_set(patch, "a..b=1", err, sizeof err), -1);
	assert_int_equal(ctl_patch_add_set(patch, ".a=1", err, sizeof err), -1);
	assert_int_equal(ctl_patch_add_set(patch, "a.=1", err, sizeof err), -1);
	assert_int_equal(json_object_size(patch), 0);
	json_decref(patch);
}

static void test_yaml_documents(void **state)
{
	const char *text = "ttl: 30\nsynchronous_mode: 'on'\npostgresql:\n  parameters:\n"
			   "    work_mem: 64MB\n    max_connections: 100\n  pg_hba:\n"
			   "    - host all all 0.0.0.0/0 md5\n";
	char err[256];

	(void)state;
	expect_json(ctl_yaml_loads(text, strlen(text), err, sizeof err),
		    "{\"ttl\": 30, \"synchronous_mode\": \"on\", \"postgresql\": {\"parameters\":"
		    " {\"work_mem\": \"64MB\", \"max_connections\": 100}, \"pg_hba\":"
		    " [\"host all all 0.0.0.0/0 md5\"]}}");
	expect_json(ctl_yaml_loads("", 0, err, sizeof err), "{}");
	assert_null(ctl_yaml_loads("a: 1\na: 2\n", 10, err, sizeof err));
	assert_non_null(strstr(err, "duplicate key"));
	assert_null(ctl_yaml_loads("a: &x 1\nb: *x\n", 14, err, sizeof err));
	assert_non_null(strstr(err, "anchors"));
	assert_null(ctl_yaml_loads("a: [1, 2\n", 9, err, sizeof err));
	assert_non_null(strstr(err, "line"));
	assert_null(ctl_yaml_loads("? [a]\n: 1\n", 10, err, sizeof err));
	assert_non_null(strstr(err, "scalars"));
}

static void test_merge_patch_diff_and_apply(void **state)
{
	json_t *from = json_loads("{\"ttl\": 30, \"loop_wait\": 10, \"postgresql\":"
				  " {\"parameters\": {\"a\": 1, \"b\": 2}, \"use_pg_rewind\": true}}",
				  0, NULL);
	json_t *to = json_loads("{\"ttl\": 40, \"postgresql\": {\"parameters\": {\"a\": 1,"
				" \"c\": 3}, \"use_pg_rewind\": true}, \"pg_hba\": [\"x\"]}",
				0, NULL);
	json_t *patch, *applied;

	(void)state;
	patch = ctl_merge_patch_diff(from, to);
	expect_json(json_incref(patch),
		    "{\"ttl\": 40, \"loop_wait\": null, \"postgresql\": {\"parameters\":"
		    " {\"b\": null, \"c\": 3}}, \"pg_hba\": [\"x\"]}");
	/* Applying the diff to the source gives the target (RFC 7386). */
	applied = ctl_merge_patch_apply(from, patch);
	assert_true(json_equal(applied, to));
	json_decref(applied);
	json_decref(patch);
	expect_json(ctl_merge_patch_diff(from, from), "{}");
	json_decref(from);
	json_decref(to);
}

static void test_iso8601(void **state)
{
	int64_t ms;
	char err[256], buf[64];

	(void)state;
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30:00Z", &ms, err, sizeof err), 0);
	assert_int_equal(ms, INT64_C(1795793400000));
	assert_int_equal(ctl_iso8601_parse("2026-11-27T16:30:00+01:00", &ms, err, sizeof err), 0);
	assert_int_equal(ms, INT64_C(1795793400000));
	assert_int_equal(ctl_iso8601_parse("2026-11-27 10:00:00-0530", &ms, err, sizeof err), 0);
	assert_int_equal(ms, INT64_C(1795793400000));
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30:00.250+00", &ms, err, sizeof err), 0);
	assert_int_equal(ms, INT64_C(1795793400250));
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30Z", &ms, err, sizeof err), 0);
	assert_int_equal(ms, INT64_C(1795793400000));
	assert_int_equal(ctl_iso8601_parse("2028-02-29T00:00:00Z", &ms, err, sizeof err), 0);
	ctl_iso8601_format(INT64_C(1795793400999), buf, sizeof buf);
	assert_string_equal(buf, "2026-11-27T15:30:00+00:00");

	assert_int_equal(ctl_iso8601_parse("2026-02-29T00:00:00Z", &ms, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(ctl_iso8601_parse("2026-13-01T00:00:00Z", &ms, err, sizeof err), -1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T24:00:00Z", &ms, err, sizeof err), -1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T10:00:00+19:00", &ms, err, sizeof err), -1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T10:00:00 CET", &ms, err, sizeof err), -1);
	assert_non_null(strstr(err, "ISO 8601"));
	assert_int_equal(ctl_iso8601_parse("tomorrow", &ms, err, sizeof err), -1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27", &ms, err, sizeof err), -1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T10:00:00.Z", &ms, err, sizeof err), -1);
}

static void test_iso8601_local_time(void **state)
{
	int64_t utc, local;
	char err[256];

	(void)state;
	/* Without a zone the time is local: with TZ=UTC both agree. */
	setenv("TZ", "UTC", 1);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30:00", &local, err, sizeof err), 0);
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30:00Z", &utc, err, sizeof err), 0);
	assert_int_equal(local, utc);
	setenv("TZ", "UTC-2", 1); /* POSIX: two hours east of UTC */
	assert_int_equal(ctl_iso8601_parse("2026-11-27T15:30:00", &local, err, sizeof err), 0);
	assert_int_equal(utc - local, INT64_C(2) * 3600 * 1000);
	unsetenv("TZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_types),
		cmocka_unit_test(test_set_builds_merge_patch),
		cmocka_unit_test(test_set_rejects_bad_keys),
		cmocka_unit_test(test_yaml_documents),
		cmocka_unit_test(test_merge_patch_diff_and_apply),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_iso8601_local_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

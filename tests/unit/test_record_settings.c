/*
 * test_record_settings.c — the dynamic configuration (defaults, merge patch,
 * validation: a bad patch changes nothing), pause (S18) and the synchronous
 * set (S7).
 */
#include <stdlib.h>
#include <string.h>

#include "record_fixture.h"

static void patch_ok(struct fx *f, const char *json)
{
	json_t *p = json_loads(json, 0, NULL);

	assert_non_null(p);
	OK(f, pgq_cmd_config_patch, p, 5000);
	json_decref(p);
}

static void patch_rejected(struct fx *f, const char *json, const char *needle)
{
	json_t *p = json_loads(json, 0, NULL);

	assert_non_null(p);
	REJECT(f, needle, pgq_cmd_config_patch, p, 5000);
	json_decref(p);
}

static void test_config_defaults(void **state)
{
	struct fx *f = *state;
	const struct pgq_dyn_config *c;
	json_t *eff;

	fx_cluster3(f, NULL);
	c = pgq_record_config(f->r);
	assert_int_equal(c->ttl_ms, 30000);
	assert_int_equal(c->loop_wait_ms, 10000);
	assert_int_equal(c->retry_timeout_ms, 10000);
	assert_int_equal(c->maximum_lag_on_failover_bytes, 1048576);
	assert_int_equal(c->synchronous_mode, PGQ_RECORD_SYNC_OFF);
	assert_int_equal(c->synchronous_node_count, 1);
	assert_false(c->synchronous_mode_strict);
	assert_true(c->use_pg_rewind);
	eff = pgq_record_config_effective(f->r);
	assert_int_equal(json_integer_value(json_object_get(eff, "ttl")), 30);
	assert_true(json_is_object(json_object_get(json_object_get(eff, "postgresql"), "parameters")));
	json_decref(eff);
}

/* A merge patch (RFC 7386): nested objects merge, null deletes back to the default. */
static void test_config_patch_merges_and_null_deletes(void **state)
{
	struct fx *f = *state;
	json_t *eff, *params;

	fx_cluster3(f, NULL);
	patch_ok(f, "{\"ttl\": 2, \"loop_wait\": 1, \"retry_timeout\": 0.5,"
		    " \"synchronous_mode\": \"quorum\", \"synchronous_node_count\": 2,"
		    " \"postgresql\": {\"parameters\": {\"max_connections\": 200, \"wal_level\": \"replica\"}}}");
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 2000);
	assert_int_equal(pgq_record_config(f->r)->retry_timeout_ms, 500);
	assert_int_equal(pgq_record_config(f->r)->synchronous_mode, PGQ_RECORD_SYNC_QUORUM);
	assert_int_equal(pgq_record_config(f->r)->synchronous_node_count, 2);
	patch_ok(f, "{\"postgresql\": {\"parameters\": {\"max_connections\": null, \"work_mem\": \"64MB\"}},"
		    " \"synchronous_mode\": null}");
	eff = pgq_record_config_effective(f->r);
	params = json_object_get(json_object_get(eff, "postgresql"), "parameters");
	assert_null(json_object_get(params, "max_connections"));
	assert_string_equal(json_string_value(json_object_get(params, "work_mem")), "64MB");
	assert_string_equal(json_string_value(json_object_get(params, "wal_level")), "replica");
	assert_int_equal(pgq_record_config(f->r)->synchronous_mode, PGQ_RECORD_SYNC_OFF);
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 2000);
	json_decref(eff);
}

/* A patch with a wrong type changes nothing. */
static void test_config_patch_bad_type_unchanged(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	patch_rejected(f, "{\"ttl\": \"30s\"}", "config 'ttl' must be a number of seconds");
	patch_rejected(f, "{\"synchronous_mode_strict\": 1}", "must be true or false");
	patch_rejected(f, "{\"synchronous_mode\": \"maybe\"}", "must be off, on or quorum");
	patch_rejected(f, "{\"maximum_lag_on_failover\": -1}", "non-negative integer");
	patch_rejected(f, "{\"postgresql\": {\"parameters\": {\"shared_buffers\": [1]}}}",
		       "must be a string, number or boolean");
	patch_rejected(f, "{\"postgresql\": {\"parameters\": {\"bad name\": 1}}}",
		       "bad parameter name");
	patch_rejected(f, "{\"postgresql\": {\"pg_hba\": [\"host all all 0/0 md5\", 3]}}",
		       "'postgresql.pg_hba[1]' must be a string");
	patch_rejected(f, "{\"postgresql\": 5}", "config 'postgresql' must be an object");
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 30000);
}

/* Ranges and the cross-field rule loop_wait + 2 * retry_timeout <= ttl. */
static void test_config_patch_ranges_unchanged(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	patch_rejected(f, "{\"ttl\": 0}", "between 1 and 3600 seconds");
	patch_rejected(f, "{\"ttl\": 5}", "loop_wait + 2 * retry_timeout <= ttl");
	patch_rejected(f, "{\"synchronous_node_count\": 0}", "from 1 to 15");
	patch_rejected(f, "{\"synchronous_node_count\": 1.5}", "from 1 to 15");
	patch_rejected(f, "{\"failover_backoff\": -3}", "between 0 and 86400");
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 30000);
	assert_int_equal(pgq_record_config(f->r)->failover_backoff_ms, 60000);
}

/* Unknown keys are refused (a typo would otherwise be silently ignored). */
static void test_config_patch_unknown_key_unchanged(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	patch_rejected(f, "{\"tll\": 30}", "unknown field 'tll'");
	patch_rejected(f, "{\"postgresql\": {\"paramters\": {}}}", "unknown field 'paramters'");
}

static void test_config_replace(void **state)
{
	struct fx *f = *state;
	json_t *good = json_pack("{s:i, s:i, s:i}", "ttl", 20, "loop_wait", 5, "retry_timeout", 5);
	json_t *bad = json_pack("{s:i}", "loop_wait", 29);

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_config_replace, good, 5000);
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 20000);
	REJECT(f, "loop_wait + 2 * retry_timeout <= ttl", pgq_cmd_config_replace, bad, 5001);
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 20000);
	json_decref(good);
	json_decref(bad);
	/* A replace drops what it does not list: back to the defaults. */
	good = json_object();
	OK(f, pgq_cmd_config_replace, good, 5002);
	assert_int_equal(pgq_record_config(f->r)->ttl_ms, 30000);
	json_decref(good);
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"config_replace\",\"config\":[],\"time_ms\":1}",
			     "field 'config' must be an object");
}

/* S18: pause pauses decisions, never renewals. */
static void test_pause_resume_S18(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	assert_false(pgq_record_paused(f->r));
	OK(f, pgq_cmd_pause, 4000);
	assert_true(pgq_record_paused(f->r));
	REJECT(f, "already paused", pgq_cmd_pause, 4001);
	fx_renew(f);
	OK(f, pgq_cmd_resume, 4002);
	assert_false(pgq_record_paused(f->r));
	REJECT(f, "not paused", pgq_cmd_resume, 4003);
}

/* S7: the primary's agent changes (S_rec, k_rec), a CAS on (epoch, lease_seq). */
static void test_sync_set_update_S7(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");
	const char *two[] = { "pg2", "pg3" };
	const char *dup[] = { "pg2", "pg2" };
	const char *with_primary[] = { "pg1" };
	const char *ghost[] = { "pg7" };
	const struct pgq_sync_set *s;

	fx_cluster3(f, cfg);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, two, 2, 1);
	s = pgq_record_sync_set(f->r);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->k, 1);
	assert_true(pgq_record_in_sync_set(f->r, "pg3"));
	assert_false(pgq_record_in_sync_set(f->r, "pg1"));
	REJECT(f, "member 'pg2' is not the primary of epoch 1 (S7)", pgq_cmd_sync_set_update, "pg2",
	       1, 1, two, 2, 1);
	REJECT(f, "are not the recorded 1/1 (S4)", pgq_cmd_sync_set_update, "pg1", 0, 1, two, 2, 1);
	REJECT(f, "are not the recorded 1/1 (S4)", pgq_cmd_sync_set_update, "pg1", 1, 0, two, 2, 1);
	REJECT(f, "k = 3 exceeds the 2 members listed (S7)", pgq_cmd_sync_set_update, "pg1", 1, 1,
	       two, 2, 3);
	REJECT(f, "member 'pg2' listed twice", pgq_cmd_sync_set_update, "pg1", 1, 1, dup, 2, 1);
	REJECT(f, "the primary is not part of its synchronous set", pgq_cmd_sync_set_update, "pg1",
	       1, 1, with_primary, 1, 1);
	REJECT(f, "no member 'pg7'", pgq_cmd_sync_set_update, "pg1", 1, 1, ghost, 1, 1);
	fx_lose_primary(f);
	REJECT(f, "the primary is lost (S7)", pgq_cmd_sync_set_update, "pg1", 1, 1, two, 2, 2);
	json_decref(cfg);
}

/* S7: with synchronous_mode off nothing may be recorded as synchronous. */
static const char *view_role_of(struct fx *f, const char *name)
{
	static char role[32];
	json_t *v = pgq_record_to_json(f->r), *m;
	size_t i;

	assert_non_null(v);
	role[0] = '\0';
	json_array_foreach(json_object_get(v, "members"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
			snprintf(role, sizeof role, "%s", json_string_value(json_object_get(m, "role")));
	json_decref(v);
	return role;
}

/* GET /cluster roles: S_rec members are sync/quorum standbys only while k_rec > 0 (S7). */
static void test_view_roles_follow_sync_set_S7(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "quorum");
	const char *two[] = { "pg2", "pg3" };

	fx_cluster3(f, cfg);
	fx_report(f, "pg2", "replica", 1, 0x100, 0, 0);
	assert_string_equal(view_role_of(f, "pg1"), "leader");
	assert_string_equal(view_role_of(f, "pg2"), "replica");
	assert_string_equal(view_role_of(f, "pg3"), "unknown");
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, two, 2, 0);
	assert_string_equal(view_role_of(f, "pg2"), "replica");
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, two, 2, 1);
	assert_string_equal(view_role_of(f, "pg2"), "quorum_standby");
	assert_string_equal(view_role_of(f, "pg3"), "quorum_standby");
	json_decref(cfg);
}

static void test_sync_set_off_mode_S7(void **state)
{
	struct fx *f = *state;
	const char *one[] = { "pg2" };

	fx_cluster3(f, NULL);
	REJECT(f, "synchronous_mode is off: k must be 0 (S7)", pgq_cmd_sync_set_update, "pg1", 1, 1,
	       one, 1, 1);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, one, 1, 0);
}

static json_t *view_member(json_t *v, const char *name)
{
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(v, "members"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
			return m;
	return NULL;
}

/* GET /cluster carries Patroni's member fields, sorted by name, and `pause` (issue 7). */
static void test_view_patroni_fields(void **state)
{
	struct fx *f = *state;
	json_t *v, *m;

	fx_cluster3(f, NULL);
	fx_report(f, "pg1", "primary", 1, 0x3000100, 0, 0);
	fx_report(f, "pg2", "replica", 1, 0x3000000, 0, 0);
	struct pgq_cmd_member m0 = { .name = "pg0", .raft_address = "127.0.0.1:7000",
				     .api_url = "http://127.0.0.1:8007", .pg_address = "[::1]:5431" };

	OK(f, pgq_cmd_member_add, &m0, 5500); /* raft id 4, but first by name */
	OK(f, pgq_cmd_pause, 6000);
	v = pgq_record_to_json(f->r);
	assert_non_null(v);
	assert_true(json_is_true(json_object_get(v, "pause")));
	m = view_member(v, "pg1");
	assert_string_equal(json_string_value(json_object_get(m, "role")), "leader");
	assert_string_equal(json_string_value(json_object_get(m, "host")), "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(m, "port")), 5432);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "running");
	assert_int_equal(json_integer_value(json_object_get(m, "timeline")), 1);
	assert_null(json_object_get(m, "lag")); /* the primary has no lag */
	m = view_member(v, "pg2");
	assert_string_equal(json_string_value(json_object_get(m, "role")), "replica");
	assert_int_equal(json_integer_value(json_object_get(m, "port")), 5433);
	assert_string_equal(json_string_value(json_object_get(m, "lsn")), "0/3000000");
	assert_string_equal(json_string_value(json_object_get(m, "replay_lsn")), "0/3000000");
	assert_int_equal(json_integer_value(json_object_get(m, "lag")), 0x100);
	assert_int_equal(json_integer_value(json_object_get(m, "receive_lag")), 0x100);
	assert_int_equal(json_integer_value(json_object_get(m, "replay_lag")), 0x100);
	assert_false(json_is_true(json_object_get(m, "pending_restart")));
	/* pg3 never reported: no position, state unknown */
	m = view_member(v, "pg3");
	assert_string_equal(json_string_value(json_object_get(m, "state")), "unknown");
	assert_null(json_object_get(m, "lsn"));
	m = view_member(v, "pg0");
	assert_string_equal(json_string_value(json_object_get(m, "host")), "::1");
	assert_int_equal(json_integer_value(json_object_get(m, "port")), 5431);
	/* sorted by name, not by Raft id */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(v, "members"), 0), "name")), "pg0");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(v, "members"), 3), "name")), "pg3");
	json_decref(v);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_defaults),
		T(test_config_patch_merges_and_null_deletes),
		T(test_config_patch_bad_type_unchanged),
		T(test_config_patch_ranges_unchanged),
		T(test_config_patch_unknown_key_unchanged),
		T(test_config_replace),
		T(test_pause_resume_S18),
		T(test_view_roles_follow_sync_set_S7),
		T(test_sync_set_update_S7),
		T(test_sync_set_off_mode_S7),
		T(test_view_patroni_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_record_codec.c — the envelope of commands (bad JSON, missing and
 * mistyped fields, unknown commands and versions: S17), determinism of
 * apply (S17), snapshot/restore round trips and the GET /cluster view.
 *
 * A scenario that uses every command once (or more) drives the generic
 * tests: for every step, every top-level field is mistyped or removed and
 * the command must then be rejected with the record unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record_fixture.h"

#define MAX_STEPS 64

struct scenario {
	size_t n;
	char *cmd[MAX_STEPS];
};

static void add(struct scenario *s, int rc, uint8_t *buf, size_t len)
{
	assert_int_equal(rc, 0);
	assert_true(s->n < MAX_STEPS);
	s->cmd[s->n] = strndup((const char *)buf, len);
	free(buf);
	s->n++;
}

#define ADD(s, builder, ...) \
	do { \
		uint8_t *b_; \
		size_t l_; \
		int rc_ = builder(__VA_ARGS__, &b_, &l_); \
		add((s), rc_, b_, l_); \
	} while (0)

/* Every command, in an order where each one is accepted. */
static void build_scenario(struct scenario *s)
{
	struct pgq_cmd_member m[3] = {
		{ .name = "pg1", .raft_address = "h:1", .api_url = "http://h:8008", .pg_address = "h:5432" },
		{ .name = "pg2", .raft_address = "h:2" },
		{ .name = "pg3", .raft_address = "h:3" },
	};
	json_t *custom = json_pack("{s:s}", "zone", "a");
	struct pgq_cmd_tags tags = { .nosync = true, .failover_priority = 3, .custom = custom };
	struct pgq_cmd_member m4 = { .name = "pg4", .raft_address = "h:4", .tags = &tags };
	struct pgq_cmd_member m5 = { .name = "pg5", .raft_address = "h:5" };
	struct pgq_cmd_member u4 = { .name = "pg4", .api_url = "http://h4", .tags = &tags };
	struct pgq_cmd_report rep = { .member = "pg2", .role = "replica", .state = "running",
				      .timeline = 1, .receive_lsn = 0x100, .replay_lsn = 0x100,
				      .flush_lsn = 0x100, .lag_bytes = 0, .time_ms = 1500 };
	json_t *cfg = json_pack("{s:f, s:i}", "retry_timeout", 2.5, "ttl", 30);
	json_t *patch = json_pack("{s:s, s:{s:{s:s}}}", "synchronous_mode", "on", "postgresql",
				  "parameters", "work_mem", "4MB");
	json_t *empty = json_object();
	const char *sync[] = { "pg2" };

	memset(s, 0, sizeof(*s));
	ADD(s, pgq_cmd_bootstrap, "demo", "id-1", m, 3, "pg1", cfg, NULL, 1000);
	ADD(s, pgq_cmd_lease_renew, "pg1", 1, 0, 11, 30000, 1100);
	ADD(s, pgq_cmd_promoted, "pg1", 1, 1, 0, 1200);
	ADD(s, pgq_cmd_system_id, "pg1", 1, "7000000000000000001");
	ADD(s, pgq_cmd_member_add, &m4, 1300);
	ADD(s, pgq_cmd_member_promote, "pg4");
	ADD(s, pgq_cmd_member_update, &u4);
	ADD(s, pgq_cmd_member_add, &m5, 1350);
	ADD(s, pgq_cmd_member_remove, "pg5", true);
	ADD(s, pgq_cmd_member_report, &rep);
	ADD(s, pgq_cmd_config_patch, patch, 1600);
	ADD(s, pgq_cmd_sync_set_update, "pg1", 1, 1, sync, 1, 1);
	ADD(s, pgq_cmd_pause, 1700);
	ADD(s, pgq_cmd_resume, 1800);
	ADD(s, pgq_cmd_switchover_schedule, "pg1", "pg2", 99000, 1900);
	ADD(s, pgq_cmd_switchover_cancel, 2000);
	ADD(s, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 2100);
	ADD(s, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTING, "slow", 2200);
	ADD(s, pgq_cmd_demoted, "pg1", 1, 1, 0x100, 1, 2300);
	ADD(s, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_SWITCHOVER, false, 0x100, 2400);
	ADD(s, pgq_cmd_lease_renew, "pg2", 2, 0, 12, 30000, 2500);
	ADD(s, pgq_cmd_promoted, "pg2", 2, 2, 0x100, 2600);
	ADD(s, pgq_cmd_primary_lost, 2, 1, 2700);
	ADD(s, pgq_cmd_failover_blocked, 2, 1, "k_rec = 0", 2800);
	ADD(s, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_MANUAL, true, 0x200, 2900);
	ADD(s, pgq_cmd_lease_renew, "pg3", 3, 0, 13, 30000, 3000);
	ADD(s, pgq_cmd_failover_blocked, 3, 1, "fence exec hook failed with code 1", 3010);
	ADD(s, pgq_cmd_fence_confirm, "pg2", 3, 3020);
	ADD(s, pgq_cmd_vetoed, "pg3", 3, 1, "pre_promote exit 1", 3100);
	ADD(s, pgq_cmd_set_primary, "pg4", 3, 1, PGQ_CHANGE_MANUAL, true, 0x200, 3200);
	ADD(s, pgq_cmd_lease_renew, "pg4", 4, 0, 14, 30000, 3300);
	ADD(s, pgq_cmd_lease_release, "pg4", 4, 1, "gave up", 3400);
	ADD(s, pgq_cmd_config_replace, empty, 3500);
	json_decref(custom);
	json_decref(cfg);
	json_decref(patch);
	json_decref(empty);
}

static void free_scenario(struct scenario *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->cmd[i]);
}

static uint8_t *snap(const struct pgq_record *r, size_t *len)
{
	uint8_t *b;

	assert_int_equal(pgq_record_snapshot(r, &b, len), 0);
	return b;
}

static struct pgq_record *clone(const struct pgq_record *r)
{
	struct pgq_record *c;
	char err[256];
	size_t len;
	uint8_t *b = snap(r, &len);

	assert_int_equal(pgq_record_restore(b, len, &c, err, sizeof(err)), 0);
	free(b);
	return c;
}

/* The scenario itself: every command is accepted (so the mutation tests mean something). */
static void test_scenario_every_command_accepted(void **state)
{
	struct fx *f = *state;
	struct scenario s;
	bool seen[32] = { false };
	const char *names[] = { "bootstrap", "member_add", "member_update", "member_promote",
				"member_remove", "member_report", "system_id", "lease_renew",
				"lease_release", "primary_lost", "set_primary", "promoted", "vetoed",
				"failover_blocked", "switchover_request", "demoted",
				"switchover_abort", "switchover_schedule", "switchover_cancel",
				"sync_set_update", "config_patch", "config_replace", "pause",
				"resume", "fence_confirm" };
	size_t n_names = sizeof(names) / sizeof(names[0]);

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		int rc = fx_apply_str(f, s.cmd[i]);

		if (rc != PGQ_RECORD_APPLIED)
			fail_msg("step %zu (%s): %s", i, s.cmd[i], f->res.reason);
		assert_true(f->res.accepted);
		for (size_t j = 0; j < n_names; j++)
			if (strcmp(f->res.cmd, names[j]) == 0)
				seen[j] = true;
	}
	for (size_t j = 0; j < n_names; j++)
		if (!seen[j])
			fail_msg("command %s not covered", names[j]);
	assert_int_equal(pgq_record_epoch(f->r), 4);
	assert_int_equal(pgq_record_primary(f->r)->state, PGQ_PRIMARY_RELEASED);
	free_scenario(&s);
}

/* Fields a command may omit. */
static bool optional_field(const char *cmd, const char *key)
{
	static const char *const opt[] = {
		"bootstrap.config", "bootstrap.system_id", "bootstrap.primary", "member_add.api_url",
		"member_add.pg_address", "member_add.tags", "member_update.api_url",
		"member_update.pg_address", "member_update.tags", "member_remove.automatic",
		"member_report.lag_bytes", "member_report.pending_restart",
		"member_report.report_for_loss", "member_report.cmd_version", "lease_release.reason", "vetoed.reason",
		"switchover_abort.reason", "set_primary.allow_data_loss", "set_primary.lsn",
		"switchover_schedule.to", NULL,
	};
	char k[96];

	snprintf(k, sizeof(k), "%s.%s", cmd, key);
	for (size_t i = 0; opt[i]; i++)
		if (strcmp(opt[i], k) == 0)
			return true;
	return false;
}

static void expect_rejected_on(struct pgq_record *base, uint64_t index, json_t *cmd,
			       const char *what, const char *needle)
{
	struct pgq_record *r = clone(base);
	struct pgq_apply_result res;
	char err[256], *before = fx_state(r), *after;
	char *s = json_dumps(cmd, JSON_COMPACT);
	int rc = pgq_record_apply(r, (const uint8_t *)s, strlen(s), index, &res, err, sizeof(err));

	after = fx_state(r);
	if (rc != PGQ_RECORD_REJECTED)
		fail_msg("%s: %s was not rejected (rc %d)", what, s, rc);
	if (needle && !strstr(res.reason, needle))
		fail_msg("%s: reason '%s' lacks '%s'", what, res.reason, needle);
	if (strcmp(before, after) != 0)
		fail_msg("%s: rejected command changed the record", what);
	free(s);
	free(before);
	free(after);
	pgq_record_free(r);
}

/* Every field of every command: wrong type -> rejected, record unchanged (R6, S17). */
static void test_every_field_wrong_type_rejected(void **state)
{
	struct fx *f = *state;
	struct scenario s;
	size_t checked = 0;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		json_t *cmd = json_loads(s.cmd[i], 0, NULL);
		const char *key, *name = json_string_value(json_object_get(cmd, "cmd"));
		json_t *v;

		json_object_foreach(cmd, key, v) {
			json_t *m;
			char what[128];

			if (strcmp(key, "v") == 0 || strcmp(key, "cmd") == 0)
				continue;
			m = json_deep_copy(cmd);
			json_object_set_new(m, key, json_is_string(v) ? json_integer(12345)
								  : json_string("x"));
			snprintf(what, sizeof(what), "%s.%s mistyped", name, key);
			expect_rejected_on(f->r, f->index + 1, m, what, key);
			json_decref(m);
			checked++;
		}
		json_decref(cmd);
		assert_int_equal(fx_apply_str(f, s.cmd[i]), PGQ_RECORD_APPLIED);
	}
	assert_true(checked > 100);
	free_scenario(&s);
}

/* Every required field of every command: missing -> rejected, record unchanged. */
static void test_every_required_field_missing_rejected(void **state)
{
	struct fx *f = *state;
	struct scenario s;
	size_t checked = 0;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		json_t *cmd = json_loads(s.cmd[i], 0, NULL);
		const char *key, *name = json_string_value(json_object_get(cmd, "cmd"));
		json_t *v;

		json_object_foreach(cmd, key, v) {
			json_t *m;
			char what[128], needle[96];

			if (strcmp(key, "v") == 0 || strcmp(key, "cmd") == 0 ||
			    optional_field(name, key))
				continue;
			m = json_deep_copy(cmd);
			json_object_del(m, key);
			snprintf(what, sizeof(what), "%s.%s missing", name, key);
			snprintf(needle, sizeof(needle), "missing field '%s'", key);
			expect_rejected_on(f->r, f->index + 1, m, what, needle);
			json_decref(m);
			checked++;
		}
		json_decref(cmd);
		assert_int_equal(fx_apply_str(f, s.cmd[i]), PGQ_RECORD_APPLIED);
	}
	assert_true(checked > 80);
	free_scenario(&s);
}

/* R6, S17: bytes that are not a command are rejected, the same way on every node. */
static void test_bad_envelopes_rejected(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"pause\",\"time_ms\":", "bad JSON");
	fx_expect_reject_str(f, "", "bad JSON");
	fx_expect_reject_str(f, "[1,2]", "command must be a JSON object");
	fx_expect_reject_str(f, "{\"cmd\":\"pause\",\"time_ms\":1}", "field 'v' must be a positive integer");
	fx_expect_reject_str(f, "{\"v\":\"1\",\"cmd\":\"pause\",\"time_ms\":1}", "field 'v'");
	fx_expect_reject_str(f, "{\"v\":0,\"cmd\":\"pause\",\"time_ms\":1}", "field 'v'");
	fx_expect_reject_str(f, "{\"v\":1,\"time_ms\":1}", "field 'cmd' must be a string");
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"pause\",\"time_ms\":1,\"time_ms\":2}", "bad JSON");
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"pause\",\"time_ms\":-5}", "non-negative");
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"pause\",\"time_ms\":1.5}", "non-negative integer");
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"pause\",\"time_ms\":1,\"extra\":true}",
			     "unknown field 'extra'");
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"member_promote\",\"name\":\"pg\\u0000x\"}", "bad JSON");
	assert_false(pgq_record_paused(f->r));
}

static void test_unknown_command_rejected(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"drop_everything\"}",
			     "unknown command 'drop_everything'");
	assert_string_equal(f->res.cmd, "drop_everything");
}

/* S17: an unknown version stops apply with a distinct code naming the index. */
static void test_unknown_version_stops_apply_S17(void **state)
{
	struct fx *f = *state;
	char cmd[96], *before;
	uint64_t last;
	int rc;

	/* One above what this build applies (S17). */
	snprintf(cmd, sizeof(cmd), "{\"v\":%d,\"cmd\":\"pause\",\"time_ms\":1}",
		 PGQ_RECORD_CMD_VERSION + 1);
	fx_cluster3(f, NULL);
	before = fx_state(f->r);
	last = pgq_record_last_index(f->r);
	rc = pgq_record_apply(f->r, (const uint8_t *)cmd, strlen(cmd), 4242, &f->res, f->err,
			      sizeof(f->err));
	assert_int_equal(rc, PGQ_RECORD_ERR_VERSION);
	assert_true(rc != PGQ_RECORD_REJECTED && rc != PGQ_RECORD_APPLIED);
	assert_non_null(strstr(f->err, "entry 4242"));
	assert_non_null(strstr(f->err, "S17"));
	assert_false(f->res.accepted);
	/* Never skipped: the record, including its applied index, did not move. */
	assert_int_equal(pgq_record_last_index(f->r), last);
	{
		char *after = fx_state(f->r);

		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	assert_string_equal(pgq_record_strerror(rc), "unknown command version");
}

/* Entries apply in log order only. */
static void test_index_must_increase(void **state)
{
	struct fx *f = *state;
	uint8_t *b;
	size_t len;

	fx_cluster3(f, NULL);
	assert_int_equal(pgq_cmd_pause(1, &b, &len), 0);
	assert_int_equal(pgq_record_apply(f->r, b, len, f->index, &f->res, f->err, sizeof(f->err)),
			 PGQ_RECORD_ERR_INVALID);
	assert_false(pgq_record_paused(f->r));
	free(b);
	/* A rejected entry still counts as applied. */
	fx_expect_reject_str(f, "nonsense", "bad JSON");
	assert_int_equal(pgq_record_last_index(f->r), f->index);
}

/* S17: the same entries, rejected ones included, give byte-identical records. */
static void test_determinism_identical_snapshots_S17(void **state)
{
	struct fx *f = *state;
	struct pgq_record *other = pgq_record_new();
	const char *noise[] = {
		"garbage", "{\"v\":1,\"cmd\":\"lease_renew\",\"member\":\"pg2\",\"epoch\":1,"
		"\"lease_seq\":0,\"nonce\":1,\"ttl_ms\":30000,\"time_ms\":1}",
		"{\"v\":1,\"cmd\":\"primary_lost\",\"epoch\":9,\"lease_seq\":0,\"time_ms\":1}",
		"{\"v\":1,\"cmd\":\"nope\"}",
	};
	struct scenario s;
	uint64_t index = 0;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		for (size_t j = 0; j < 2; j++) {
			const char *c = j == 0 ? s.cmd[i] : noise[i % 4];
			struct pgq_apply_result r1, r2;
			char e1[256], e2[256];
			uint8_t *b1, *b2;
			size_t l1, l2;
			int rc1, rc2;

			index++;
			rc1 = pgq_record_apply(f->r, (const uint8_t *)c, strlen(c), index, &r1, e1,
					       sizeof(e1));
			rc2 = pgq_record_apply(other, (const uint8_t *)c, strlen(c), index, &r2, e2,
					       sizeof(e2));
			assert_int_equal(rc1, rc2);
			assert_int_equal(rc1, j == 0 ? PGQ_RECORD_APPLIED : PGQ_RECORD_REJECTED);
			assert_string_equal(r1.reason, r2.reason);
			b1 = snap(f->r, &l1);
			b2 = snap(other, &l2);
			assert_int_equal(l1, l2);
			assert_memory_equal(b1, b2, l1);
			free(b1);
			free(b2);
		}
	}
	free_scenario(&s);
	pgq_record_free(other);
}

/* Snapshot -> restore -> snapshot gives the same bytes, at every step of the scenario. */
static void test_snapshot_restore_round_trip(void **state)
{
	struct fx *f = *state;
	struct scenario s;

	build_scenario(&s);
	for (size_t i = 0; i <= s.n; i++) {
		struct pgq_record *c = clone(f->r);
		size_t l1, l2;
		uint8_t *b1 = snap(f->r, &l1), *b2 = snap(c, &l2);

		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
		assert_int_equal(pgq_record_epoch(c), pgq_record_epoch(f->r));
		assert_int_equal(pgq_record_member_count(c), pgq_record_member_count(f->r));
		free(b1);
		free(b2);
		pgq_record_free(c);
		if (i < s.n)
			assert_int_equal(fx_apply_str(f, s.cmd[i]), PGQ_RECORD_APPLIED);
	}
	free_scenario(&s);
}

/* A restored record goes on exactly like the original (snapshot install on a follower). */
static void test_restored_record_continues_identically_S17(void **state)
{
	struct fx *f = *state;
	struct pgq_record *c = NULL;
	struct scenario s;
	uint64_t index = 0;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		struct pgq_apply_result res;
		char err[256];

		index++;
		assert_int_equal(pgq_record_apply(f->r, (const uint8_t *)s.cmd[i], strlen(s.cmd[i]),
						  index, &res, err, sizeof(err)), PGQ_RECORD_APPLIED);
		if (i == s.n / 2)
			c = clone(f->r);
		else if (c != NULL)
			assert_int_equal(pgq_record_apply(c, (const uint8_t *)s.cmd[i],
							  strlen(s.cmd[i]), index, &res, err,
							  sizeof(err)), PGQ_RECORD_APPLIED);
	}
	{
		size_t l1, l2;
		uint8_t *b1 = snap(f->r, &l1), *b2 = snap(c, &l2);

		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
		free(b1);
		free(b2);
	}
	pgq_record_free(c);
	free_scenario(&s);
}

/* R6: truncated or altered snapshots are refused with an error, never a crash. */
static void test_restore_rejects_corrupt_snapshots(void **state)
{
	struct fx *f = *state;
	struct pgq_record *c = NULL;
	struct scenario s;
	char err[256];
	uint8_t *b;
	size_t len;
	json_t *o;
	char *t;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(fx_apply_str(f, s.cmd[i]), PGQ_RECORD_APPLIED);
	b = snap(f->r, &len);
	for (size_t cut = 0; cut < len; cut++) {
		assert_int_equal(pgq_record_restore(b, cut, &c, err, sizeof(err)),
				 PGQ_RECORD_ERR_CORRUPT);
		assert_null(c);
	}
	o = json_loadb((const char *)b, len, 0, NULL);
	json_object_set_new(o, "format", json_integer(2));
	t = json_dumps(o, 0);
	assert_int_equal(pgq_record_restore((uint8_t *)t, strlen(t), &c, err, sizeof(err)),
			 PGQ_RECORD_ERR_CORRUPT);
	assert_non_null(strstr(err, "snapshot format 2"));
	free(t);
	json_object_set_new(o, "format", json_integer(1));
	json_object_del(json_object_get(o, "primary"), "lease_seq");
	t = json_dumps(o, 0);
	assert_int_equal(pgq_record_restore((uint8_t *)t, strlen(t), &c, err, sizeof(err)),
			 PGQ_RECORD_ERR_CORRUPT);
	assert_non_null(strstr(err, "missing field 'lease_seq'"));
	free(t);
	json_decref(o);
	free(b);
	free_scenario(&s);
}

/* GET /cluster: the view carries the effective configuration and the record's state. */
static void test_to_json_view(void **state)
{
	struct fx *f = *state;
	json_t *v, *members, *primary;

	fx_cluster3(f, NULL);
	v = pgq_record_to_json(f->r);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "scope")), "demo");
	members = json_object_get(v, "members");
	assert_int_equal(json_array_size(members), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "name")),
			    "pg1");
	primary = json_object_get(v, "primary");
	assert_string_equal(json_string_value(json_object_get(primary, "state")), "active");
	assert_int_equal(json_integer_value(json_object_get(primary, "epoch")), 1);
	/* Effective configuration: defaults filled in. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "config"), "ttl")), 30);
	assert_true(json_is_null(json_object_get(v, "scheduled_switchover")));
	json_decref(v);
}

/* The history is bounded: the oldest entries go first, the same way on every node. */
static void test_history_bounded(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	for (int i = 0; i < PGQ_RECORD_HISTORY_MAX + 5; i++) {
		const struct pgq_primary *p = pgq_record_primary(f->r);
		const char *next = strcmp(p->name, "pg1") == 0 ? "pg2" : "pg1";

		fx_lose_primary(f);
		fx_report_valid(f, next, 0x100);
		OK(f, pgq_cmd_set_primary, next, p->epoch, p->lease_seq, PGQ_CHANGE_FAILOVER, false, 0,
		   1000000 + i);
	}
	assert_int_equal(pgq_record_history_count(f->r), PGQ_RECORD_HISTORY_MAX);
	assert_int_equal(pgq_record_history_at(f->r, PGQ_RECORD_HISTORY_MAX - 1)->epoch,
			 pgq_record_epoch(f->r));
	assert_int_equal(pgq_record_history_at(f->r, 0)->epoch,
			 pgq_record_epoch(f->r) - PGQ_RECORD_HISTORY_MAX + 1);
}

/* Builders refuse what JSON cannot carry (LSNs and times above INT64_MAX). */
static void test_builders_refuse_out_of_range(void **state)
{
	uint8_t *b = NULL;
	size_t len;

	(void)state;
	assert_int_equal(pgq_cmd_lease_renew("pg1", 1, 0, UINT64_MAX, 1000, 1, &b, &len),
			 PGQ_RECORD_ERR_INVALID);
	assert_int_equal(pgq_cmd_lease_renew(NULL, 1, 0, 1, 1000, 1, &b, &len),
			 PGQ_RECORD_ERR_INVALID);
	assert_int_equal(pgq_cmd_primary_lost(1, 0, (uint64_t)INT64_MAX + 1, &b, &len),
			 PGQ_RECORD_ERR_INVALID);
	assert_null(b);
	assert_int_equal(pgq_cmd_primary_lost(1, 0, INT64_MAX, &b, &len), 0);
	assert_non_null(b);
	free(b);
}


/*
 * R6, S17: randomly corrupted commands (bytes flipped, inserted, cut) never
 * crash apply; each is applied or rejected, and a rejection changes nothing.
 * Seeded, so a failure replays exactly.
 */
static void test_random_corruption_never_crashes(void **state)
{
	struct fx *f = *state;
	uint64_t seed = 0x9e3779b97f4a7c15ull, x = seed;
	size_t rejected = 0, applied = 0;
	struct scenario s;

	build_scenario(&s);
	for (size_t i = 0; i < s.n; i++) {
		size_t len = strlen(s.cmd[i]);

		for (int round = 0; round < 12; round++) {
			struct pgq_record *c = clone(f->r);
			struct pgq_apply_result res;
			char err[256], *before = fx_state(c), *after;
			char *m = malloc(len + 2);
			size_t mlen = len;
			int rc;

			memcpy(m, s.cmd[i], len + 1);
			for (int k = 0; k < 1 + round % 3; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				switch (x % 3) {
				case 0: m[(x >> 8) % mlen] ^= (char)(1u << ((x >> 4) % 8)); break;
				case 1: m[(x >> 8) % mlen] = "{}[]\",:0-e\"x"[(x >> 20) % 12]; break;
				default: mlen = 1 + (x >> 8) % mlen; break;
				}
			}
			rc = pgq_record_apply(c, (const uint8_t *)m, mlen, f->index + 1, &res, err,
					      sizeof(err));
			after = fx_state(c);
			if (rc == PGQ_RECORD_REJECTED) {
				rejected++;
				if (strcmp(before, after) != 0)
					fail_msg("seed %llx step %zu round %d: rejection changed the record",
						 (unsigned long long)seed, i, round);
			} else if (rc == PGQ_RECORD_APPLIED) {
				applied++;
			} else if (rc != PGQ_RECORD_ERR_VERSION) {
				fail_msg("seed %llx step %zu round %d: rc %d", (unsigned long long)seed,
					 i, round, rc);
			}
			free(before);
			free(after);
			free(m);
			pgq_record_free(c);
		}
		assert_int_equal(fx_apply_str(f, s.cmd[i]), PGQ_RECORD_APPLIED);
	}
	assert_true(rejected > s.n * 6);
	free_scenario(&s);
}

/*
 * Child mode of the test below: seed jansson's hash table before any object
 * exists, apply the scenario plus objects with many keys in unsorted order,
 * print the snapshot. Returns the exit status.
 */
static int seeded_snapshot_child(const char *seed)
{
	static const char *const extra[] = {
		"{\"v\":1,\"cmd\":\"config_patch\",\"time_ms\":4000,\"patch\":{\"postgresql\":"
		"{\"parameters\":{\"zz\":1,\"wal_level\":\"replica\",\"a1\":true,\"max_wal_senders\":10,"
		"\"hot_standby\":\"on\",\"m\":\"x\",\"b2\":2.5,\"q\":\"y\",\"c3\":3}},"
		"\"loop_wait\":5,\"ttl\":40}}",
		"{\"v\":1,\"cmd\":\"member_add\",\"name\":\"pg6\",\"raft_address\":\"h:6\","
		"\"time_ms\":4100,\"tags\":{\"custom\":{\"zone\":\"b\",\"rack\":\"r9\",\"a\":1,"
		"\"k\":true,\"zz\":\"last\",\"b\":2}}}",
	};
	struct scenario s;
	struct pgq_apply_result res;
	struct pgq_record *r;
	char err[256];
	uint8_t *b;
	size_t len;
	uint64_t index = 0;

	json_object_seed((size_t)strtoull(seed, NULL, 0));
	r = pgq_record_new();
	if (r == NULL)
		return 2;
	build_scenario(&s);
	for (size_t i = 0; i < s.n + 2; i++) {
		const char *c = i < s.n ? s.cmd[i] : extra[i - s.n];

		if (pgq_record_apply(r, (const uint8_t *)c, strlen(c), ++index, &res, err,
				     sizeof(err)) != PGQ_RECORD_APPLIED)
			return 3;
	}
	if (pgq_record_snapshot(r, &b, &len) != 0)
		return 4;
	fwrite(b, 1, len, stdout);
	free(b);
	free_scenario(&s);
	pgq_record_free(r);
	return 0;
}

static char *run_seeded_child(const char *self, const char *seed, size_t *len)
{
	char cmd[4200];
	size_t cap = 1 << 16;
	char *out = malloc(cap);
	FILE *p;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "PGQ_RECORD_TEST_SEED=%s '%s'", seed, self);
	p = popen(cmd, "r");
	assert_non_null(p);
	*len = fread(out, 1, cap, p);
	assert_int_equal(pclose(p), 0);
	assert_true(*len > 0 && *len < cap);
	return out;
}

/*
 * S17 across processes: every agent seeds jansson's hash table differently
 * (json_object_seed), so two nodes applying the same entries must still
 * produce byte-identical snapshots (sorted keys, no dependence on hash
 * order). Two child processes with different seeds apply the same entries.
 */
static void test_snapshot_identical_across_hash_seeds_S17(void **state)
{
	char self[4096];
	ssize_t n;
	size_t l1, l2;
	char *a, *b;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	a = run_seeded_child(self, "1", &l1);
	b = run_seeded_child(self, "0x9e3779b9", &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	assert_non_null(memmem(a, l1, "\"rack\"", 6)); /* the extra entries were applied */
	free(a);
	free(b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const char *seed = getenv("PGQ_RECORD_TEST_SEED");

	if (seed != NULL)
		return seeded_snapshot_child(seed);
	{
	const struct CMUnitTest tests[] = {
		T(test_scenario_every_command_accepted),
		T(test_every_field_wrong_type_rejected),
		T(test_every_required_field_missing_rejected),
		T(test_bad_envelopes_rejected),
		T(test_unknown_command_rejected),
		T(test_unknown_version_stops_apply_S17),
		T(test_index_must_increase),
		T(test_determinism_identical_snapshots_S17),
		T(test_snapshot_restore_round_trip),
		T(test_restored_record_continues_identically_S17),
		T(test_restore_rejects_corrupt_snapshots),
		T(test_to_json_view),
		T(test_history_bounded),
		T(test_builders_refuse_out_of_range),
		T(test_random_corruption_never_crashes),
		T(test_snapshot_identical_across_hash_seeds_S17),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
	}
}

/*
 * test_record_members.c — the member table of the cluster record: bootstrap
 * (S15), additions, promotions, removals and their refusals (S16), status
 * reports and the database system identifier (S15).
 */
#include <stdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_fixture.h"

static struct pgq_cmd_member member(const char *name, const char *addr)
{
	return (struct pgq_cmd_member){ .name = name, .raft_address = addr };
}

/* S15: bootstrap peers get raft ids 1..N in raft.peers order, all voters, epoch 1. */
static void test_bootstrap_assigns_ids_in_order_S15(void **state)
{
	struct fx *f = *state;
	const struct pgq_member *m;

	assert_false(pgq_record_bootstrapped(f->r));
	fx_bootstrap3(f, NULL);
	assert_true(pgq_record_bootstrapped(f->r));
	assert_string_equal(pgq_record_scope(f->r), "demo");
	assert_string_equal(pgq_record_cluster_id(f->r), "c0ffee");
	assert_int_equal(pgq_record_member_count(f->r), 3);
	for (size_t i = 0; i < 3; i++) {
		m = pgq_record_member_at(f->r, i);
		assert_int_equal(m->raft_id, i + 1);
		assert_true(m->voter);
		assert_false(m->tags.nofailover);
		assert_int_equal(m->tags.failover_priority, 1);
	}
	m = pgq_record_member_by_id(f->r, 2);
	assert_string_equal(m->name, "pg2");
	assert_string_equal(m->api_url, "http://127.0.0.1:8009");
	assert_string_equal(m->pg_address, "127.0.0.1:5433");
	assert_ptr_equal(pgq_record_member_by_name(f->r, "pg2"), m);
	assert_null(pgq_record_member_by_name(f->r, "nope"));
	assert_null(pgq_record_member_by_id(f->r, 9));
	assert_string_equal(pgq_record_primary_member(f->r)->name, "pg1");
	assert_int_equal(pgq_record_epoch(f->r), 1);
	assert_int_equal(pgq_record_timeline(f->r), 1);
	assert_int_equal(pgq_record_history_count(f->r), 1);
	assert_int_equal(pgq_record_history_at(f->r, 0)->reason, PGQ_CHANGE_BOOTSTRAP);
}

/* S15: bootstrap once — a second bootstrap, even identical, is refused. */
static void test_bootstrap_twice_rejected_S15(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m[1] = { member("pg9", "127.0.0.1:7009") };

	fx_bootstrap3(f, NULL);
	REJECT(f, "cluster already bootstrapped (S15)", pgq_cmd_bootstrap, "other", "beef", m, 1,
	       "pg9", NULL, NULL, 2000);
}

/* S15: a malformed bootstrap leaves the record empty. */
static void test_bootstrap_invalid_rejected_S15(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member two[2] = { member("a", "h:1"), member("b", "h:2") };
	struct pgq_cmd_member dup_name[2] = { member("a", "h:1"), member("a", "h:2") };
	struct pgq_cmd_member dup_addr[2] = { member("a", "h:1"), member("b", "h:1") };
	struct pgq_cmd_member bad_name[1] = { member("bad name", "h:1") };
	json_t *bad_cfg = json_pack("{s:s}", "ttl", "thirty");

	REJECT(f, "primary 'c' is not among the members", pgq_cmd_bootstrap, "s", "id", two, 2, "c",
	       NULL, NULL, 1);
	REJECT(f, "member 'a' listed twice", pgq_cmd_bootstrap, "s", "id", dup_name, 2, "a", NULL,
	       NULL, 1);
	REJECT(f, "raft address 'h:1' listed twice", pgq_cmd_bootstrap, "s", "id", dup_addr, 2, "a",
	       NULL, NULL, 1);
	REJECT(f, "not a valid member name", pgq_cmd_bootstrap, "s", "id", bad_name, 1, "a", NULL,
	       NULL, 1);
	REJECT(f, "'members' must list 1 to 16", pgq_cmd_bootstrap, "s", "id", two, 0, "a", NULL,
	       NULL, 1);
	REJECT(f, "'cluster_id' must not be empty", pgq_cmd_bootstrap, "s", "", two, 2, "a", NULL,
	       NULL, 1);
	REJECT(f, "config 'ttl' must be a number", pgq_cmd_bootstrap, "s", "id", two, 2, "a",
	       bad_cfg, NULL, 1);
	assert_false(pgq_record_bootstrapped(f->r));
	json_decref(bad_cfg);
}

/*
 * S15, S16: with PostgreSQL not managed the cluster bootstraps without a
 * primary; nothing is in progress, so membership changes are not held up.
 */
static void test_bootstrap_without_primary_S15_S16(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m[3] = { member("a", "h:1"), member("b", "h:2"), member("c", "h:3") };

	OK(f, pgq_cmd_bootstrap, "s", "id", m, 3, NULL, NULL, NULL, 1);
	assert_true(pgq_record_bootstrapped(f->r));
	assert_int_equal(pgq_record_primary(f->r)->state, PGQ_PRIMARY_NONE);
	assert_int_equal(pgq_record_epoch(f->r), 0);
	assert_null(pgq_record_primary_member(f->r));
	assert_int_equal(pgq_record_history_count(f->r), 0);
	assert_false(pgq_record_change_in_progress(f->r, NULL));
	REJECT(f, "member 'a' is not the primary of epoch 0 (S4)", pgq_cmd_lease_renew, "a", 0, 0, 1,
	       30000, 2);
	OK(f, pgq_cmd_member_remove, "c", false);
	assert_int_equal(pgq_record_member_count(f->r), 2);
}

/* Nothing but bootstrap applies to an empty record. */
static void test_commands_before_bootstrap_rejected(void **state)
{
	struct fx *f = *state;

	REJECT(f, "cluster not bootstrapped", pgq_cmd_pause, 1);
	REJECT(f, "cluster not bootstrapped", pgq_cmd_lease_renew, "pg1", 0, 0, 1, 30000, 1);
	REJECT(f, "cluster not bootstrapped", pgq_cmd_member_promote, "pg1");
}

/* Raft ids: later members get the highest id ever assigned + 1, as learners. */
static void test_member_add_learner_next_id(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m4 = member("pg4", "127.0.0.1:7004");
	struct pgq_cmd_member m5 = member("pg5", "127.0.0.1:7005");
	const struct pgq_member *m;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_member_add, &m4, 6000);
	m = pgq_record_member_by_name(f->r, "pg4");
	assert_non_null(m);
	assert_int_equal(m->raft_id, 4);
	assert_false(m->voter);
	assert_false(m->status.reported);
	OK(f, pgq_cmd_member_remove, "pg4", false);
	assert_null(pgq_record_member_by_name(f->r, "pg4"));
	/* A removed member's id is never handed to someone else. */
	OK(f, pgq_cmd_member_add, &m5, 6001);
	assert_int_equal(pgq_record_member_by_name(f->r, "pg5")->raft_id, 5);
}

static void test_member_add_rejections(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member dup = member("pg2", "127.0.0.1:7999");
	struct pgq_cmd_member dup_addr = member("pg9", "127.0.0.1:7002");
	struct pgq_cmd_member bad = member("x;drop", "127.0.0.1:7999");
	struct pgq_cmd_member empty = member("pg9", "");
	char name[16], addr[32];

	fx_cluster3(f, NULL);
	REJECT(f, "member 'pg2' already exists", pgq_cmd_member_add, &dup, 1);
	REJECT(f, "is already used by member 'pg2'", pgq_cmd_member_add, &dup_addr, 1);
	REJECT(f, "not a valid member name", pgq_cmd_member_add, &bad, 1);
	REJECT(f, "'raft_address' must not be empty", pgq_cmd_member_add, &empty, 1);
	for (int i = 4; i <= PGQ_RECORD_MAX_MEMBERS; i++) {
		struct pgq_cmd_member m;

		snprintf(name, sizeof(name), "pg%d", i);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", 7000 + i);
		m = member(name, addr);
		OK(f, pgq_cmd_member_add, &m, 1);
	}
	{
		struct pgq_cmd_member m = member("pg99", "127.0.0.1:7099");

		REJECT(f, "member table full", pgq_cmd_member_add, &m, 1);
	}
}

static void test_member_promote(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m4 = member("pg4", "127.0.0.1:7004");

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_member_add, &m4, 1);
	OK(f, pgq_cmd_member_promote, "pg4");
	assert_true(pgq_record_member_by_name(f->r, "pg4")->voter);
	REJECT(f, "member 'pg4' is already a voter", pgq_cmd_member_promote, "pg4");
	REJECT(f, "no member 'pg7'", pgq_cmd_member_promote, "pg7");
}

/* S16: the primary is never removed. */
static void test_member_remove_primary_rejected_S16(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "member 'pg1' is the primary (S16)", pgq_cmd_member_remove, "pg1", false);
	REJECT(f, "no member 'pg7'", pgq_cmd_member_remove, "pg7", false);
	OK(f, pgq_cmd_member_remove, "pg3", false);
	assert_int_equal(pgq_record_member_count(f->r), 2);
	assert_string_equal(pgq_record_member_at(f->r, 1)->name, "pg2");
}

/* S16: a member of S_rec leaves it through S7 before it can be removed. */
static void test_member_remove_sync_member_rejected_S16(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");
	const char *set[] = { "pg2" };

	fx_cluster3(f, cfg);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, set, 1, 1);
	REJECT(f, "member 'pg2' is in the synchronous set", pgq_cmd_member_remove, "pg2", false);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, NULL, 0, 0);
	OK(f, pgq_cmd_member_remove, "pg2", false);
	json_decref(cfg);
}

/* S16: no removal while a bootstrap, failover or switchover is in progress. */
static void test_member_remove_during_change_rejected_S16(void **state)
{
	struct fx *f = *state;

	fx_bootstrap3(f, NULL);
	REJECT(f, "bootstrap in progress (S16)", pgq_cmd_member_remove, "pg3", false);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg1", 1, 1, 0, 3000);
	fx_report(f, "pg2", "replica", 1, 0x100, 0, 0);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	REJECT(f, "switchover in progress (S16)", pgq_cmd_member_remove, "pg3", false);
	OK(f, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTING, "timeout", 5000);
	fx_lose_primary(f);
	REJECT(f, "failover in progress (S16)", pgq_cmd_member_remove, "pg3", false);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 6000);
	REJECT(f, "failover in progress (S16)", pgq_cmd_member_remove, "pg3", false);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x200, 7000);
	OK(f, pgq_cmd_member_remove, "pg3", false);
}

/* S16: voters are never removed automatically; learners may be. */
static void test_member_remove_automatic_voter_rejected_S16(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m4 = member("pg4", "127.0.0.1:7004");

	fx_cluster3(f, NULL);
	REJECT(f, "voter 'pg3' is never removed automatically (S16)", pgq_cmd_member_remove, "pg3",
	       true);
	OK(f, pgq_cmd_member_add, &m4, 1);
	OK(f, pgq_cmd_member_remove, "pg4", true);
}

static void test_member_update_tags(void **state)
{
	struct fx *f = *state;
	json_t *custom = json_pack("{s:s, s:i}", "zone", "eu-1", "rack", 7);
	json_t *bad_custom = json_pack("{s:[]}", "zone");
	struct pgq_cmd_tags tags = { .nosync = true, .noloadbalance = true, .failover_priority = 5,
				     .custom = custom };
	struct pgq_cmd_tags bad = { .custom = bad_custom };
	struct pgq_cmd_member upd = { .name = "pg3", .api_url = "http://h:1", .tags = &tags };
	struct pgq_cmd_member upd_bad = { .name = "pg3", .tags = &bad };
	struct pgq_cmd_member ghost = { .name = "ghost", .tags = &tags };
	const struct pgq_member *m;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_member_update, &upd);
	m = pgq_record_member_by_name(f->r, "pg3");
	assert_true(m->tags.nosync);
	assert_true(m->tags.noloadbalance);
	assert_false(m->tags.nofailover);
	assert_int_equal(m->tags.failover_priority, 5);
	assert_string_equal(json_string_value(json_object_get(m->tags.custom, "zone")), "eu-1");
	assert_string_equal(m->api_url, "http://h:1");
	assert_string_equal(m->pg_address, "127.0.0.1:5434"); /* unchanged */
	REJECT(f, "custom tag 'zone' must be a short string", pgq_cmd_member_update, &upd_bad);
	REJECT(f, "no member 'ghost'", pgq_cmd_member_update, &ghost);
	json_decref(custom);
	json_decref(bad_custom);
}

static void test_member_report_stored(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_report rep = { .member = "pg2", .role = "replica", .state = "streaming",
				      .timeline = 1, .receive_lsn = 0x30, .replay_lsn = 0x20,
				      .flush_lsn = 0x28, .lag_bytes = 16, .pending_restart = true,
				      .time_ms = 7777 };
	struct pgq_cmd_report bad_role = rep, ghost = rep;
	const struct pgq_member_status *s;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_member_report, &rep);
	s = &pgq_record_member_by_name(f->r, "pg2")->status;
	assert_true(s->reported);
	assert_string_equal(s->role, "replica");
	assert_string_equal(s->state, "streaming");
	assert_int_equal(s->receive_lsn, 0x30);
	assert_int_equal(s->replay_lsn, 0x20);
	assert_int_equal(s->flush_lsn, 0x28);
	assert_int_equal(s->lag_bytes, 16);
	assert_true(s->pending_restart);
	assert_int_equal(s->reported_at_ms, 7777); /* S17: the entry's time */
	assert_int_equal(s->report_index, f->index);
	/* S17: the builder states the version this agent applies. */
	assert_int_equal(s->cmd_version, PGQ_RECORD_CMD_VERSION);
	bad_role.role = "leader";
	REJECT(f, "field 'role' must be primary, replica or unknown", pgq_cmd_member_report,
	       &bad_role);
	ghost.member = "ghost";
	REJECT(f, "no member 'ghost'", pgq_cmd_member_report, &ghost);
}

/* S15: the system identifier is recorded once, by the primary, and never changes. */
static void test_system_id_once_S15(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	assert_string_equal(pgq_record_system_id(f->r), "");
	REJECT(f, "only the primary of epoch 1 records the system id", pgq_cmd_system_id, "pg2", 1,
	       "7301234567890123456");
	REJECT(f, "(S4)", pgq_cmd_system_id, "pg1", 2, "7301234567890123456");
	REJECT(f, "must be a decimal system identifier", pgq_cmd_system_id, "pg1", 1, "73a1");
	OK(f, pgq_cmd_system_id, "pg1", 1, "7301234567890123456");
	assert_string_equal(pgq_record_system_id(f->r), "7301234567890123456");
	REJECT(f, "system id already recorded as 7301234567890123456, this one differs (S15)",
	       pgq_cmd_system_id, "pg1", 1, "42");
}

/* S17: a new command version is usable only once every voter reported it applies it. */
static void test_cmd_version_usable_needs_every_voter_S17(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_member m4 = member("pg4", "127.0.0.1:7004");

	fx_cluster3(f, NULL);
	assert_int_equal(pgq_record_cmd_version_usable(f->r), 0);
	fx_report(f, "pg1", "primary", 1, 0x10, 0, 0);
	fx_report(f, "pg2", "replica", 1, 0x10, 0, 0);
	assert_int_equal(pgq_record_cmd_version_usable(f->r), 0);
	fx_report(f, "pg3", "replica", 1, 0x10, 0, 0);
	assert_int_equal(pgq_record_cmd_version_usable(f->r), PGQ_RECORD_CMD_VERSION);
	/* A learner does not vote: it does not hold the version back... */
	OK(f, pgq_cmd_member_add, &m4, 1);
	assert_int_equal(pgq_record_cmd_version_usable(f->r), PGQ_RECORD_CMD_VERSION);
	/* ...until it becomes a voter without having reported. */
	OK(f, pgq_cmd_member_promote, "pg4");
	assert_int_equal(pgq_record_cmd_version_usable(f->r), 0);
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"member_report\",\"member\":\"pg4\","
			     "\"role\":\"replica\",\"state\":\"running\",\"timeline\":1,"
			     "\"receive_lsn\":0,\"replay_lsn\":0,\"flush_lsn\":0,"
			     "\"cmd_version\":\"2\",\"time_ms\":1}", "field 'cmd_version'");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bootstrap_assigns_ids_in_order_S15),
		T(test_bootstrap_twice_rejected_S15),
		T(test_bootstrap_invalid_rejected_S15),
		T(test_bootstrap_without_primary_S15_S16),
		T(test_commands_before_bootstrap_rejected),
		T(test_member_add_learner_next_id),
		T(test_member_add_rejections),
		T(test_member_promote),
		T(test_member_remove_primary_rejected_S16),
		T(test_member_remove_sync_member_rejected_S16),
		T(test_member_remove_during_change_rejected_S16),
		T(test_member_remove_automatic_voter_rejected_S16),
		T(test_member_update_tags),
		T(test_member_report_stored),
		T(test_system_id_once_S15),
		T(test_cmd_version_usable_needs_every_voter_S17),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

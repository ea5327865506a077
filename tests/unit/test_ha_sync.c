/*
 * test_ha_sync.c — synchronous_standby_names (SAFETY.md S7, S10): the
 * rendering, the target set, the order of steps, and a seeded random walk
 * that checks the invariant S_pg ⊆ S_rec, k_pg ≥ k_rec after every step
 * (for the old and the new list while walsenders may use either).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ha/sync.h"
#include "record/record_cmd.h"

static struct pgq_sync_list L(uint32_t k, size_t n, ...)
{
	struct pgq_sync_list l = { .n = n, .k = k };
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		l.names[i] = va_arg(ap, const char *);
	va_end(ap);
	return l;
}

static bool has(const struct pgq_sync_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* S7 rendering: FIRST for on, ANY for quorum, names double-quoted. */
static void test_s7_render(void **state)
{
	char buf[256];
	struct pgq_sync_list a = L(1, 1, "pg2"), b = L(2, 3, "pg2", "pg3", "pg4");

	(void)state;
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_ON, &a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "FIRST 1 (\"pg2\")");
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_QUORUM, &b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ANY 2 (\"pg2\", \"pg3\", \"pg4\")");
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_OFF, &b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	b.k = 0;
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_QUORUM, &b, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* Quotes inside a name are doubled; a short buffer is an error, never a truncated list. */
static void test_render_quoting_and_overflow(void **state)
{
	char buf[64];
	struct pgq_sync_list q = L(1, 1, "we\"ird");

	(void)state;
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_ON, &q, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "FIRST 1 (\"we\"\"ird\")");
	assert_int_equal(pgq_sync_render(PGQ_RECORD_SYNC_ON, &q, buf, 12), -1);
	assert_string_equal(buf, "");
}

static const struct pgq_sync_standby three[] = {
	{ .name = "pg4", .streaming = true },
	{ .name = "pg2", .streaming = true },
	{ .name = "pg3", .streaming = true },
	{ .name = "pg5", .streaming = false },
	{ .name = "pg6", .streaming = true, .nosync = true },
};

/* S7: mode on lists exactly k healthy, streaming, non-nosync names. */
static void test_s7_target_on_exactly_k(void **state)
{
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_ON, .node_count = 2,
				     .standbys = three, .n_standbys = 5 };
	struct pgq_sync_list t;
	bool ph;

	(void)state;
	pgq_sync_target(&in, &t, &ph);
	assert_false(ph);
	assert_int_equal(t.k, 2);
	assert_int_equal(t.n, 2);
	assert_true(has(&t, "pg2") && has(&t, "pg3"));
	/* The current ones are kept (no churn). */
	in.pg = L(2, 2, "pg3", "pg4");
	pgq_sync_target(&in, &t, &ph);
	assert_true(has(&t, "pg3") && has(&t, "pg4"));
	/* k is capped by what is available. */
	in.node_count = 9;
	pgq_sync_target(&in, &t, &ph);
	assert_int_equal(t.k, 3);
	assert_false(has(&t, "pg5") || has(&t, "pg6"));
}

/* Mode quorum: every eligible standby, ANY k. */
static void test_target_quorum_all(void **state)
{
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_QUORUM, .node_count = 1,
				     .standbys = three, .n_standbys = 5 };
	struct pgq_sync_list t;
	bool ph;

	(void)state;
	pgq_sync_target(&in, &t, &ph);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.k, 1);
}

/* S10: a new epoch starts from (∅, 0): record grows first, PostgreSQL next, k raised last. */
static void test_s10_from_empty_record_first(void **state)
{
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = true, .flush_lsn = 100 } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_ON, .node_count = 1, .standbys = sb,
				     .n_standbys = 1, .pg_applied = true };
	struct pgq_sync_step s;

	(void)state;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.n, 1);
	assert_int_equal(s.list.k, 0); /* member added, k not yet raised */
	in.rec = s.list;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_PG);
	assert_string_equal(s.text, "FIRST 1 (\"pg2\")");
	in.pg = s.list;
	in.lsn_after_change = 500;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_WAIT); /* pg2 flushed 100 < 500 */
	sb[0].flush_lsn = 500;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.k, 1);
	in.rec = s.list;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_NONE);
}

/* S7: removing a member: PostgreSQL first, the record only after flush confirmation. */
static void test_s7_remove_pg_first(void **state)
{
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = true, .flush_lsn = 10 },
					 { .name = "pg3", .streaming = false, .flush_lsn = 10 } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_QUORUM, .node_count = 1,
				     .standbys = sb, .n_standbys = 2, .pg_applied = true,
				     .rec = L(1, 2, "pg2", "pg3"), .pg = L(1, 2, "pg2", "pg3") };
	struct pgq_sync_step s;

	(void)state;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_PG);
	assert_string_equal(s.text, "ANY 1 (\"pg2\")");
	in.pg = s.list;
	in.pg_applied = false;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_WAIT); /* S7: walsenders not switched yet */
	in.pg_applied = true;
	in.lsn_after_change = 50;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_WAIT);
	sb[0].flush_lsn = 50;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.n, 1);
}

/* S7: lowering k: record first. */
static void test_s7_lower_k_record_first(void **state)
{
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = true },
					 { .name = "pg3", .streaming = true } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_QUORUM, .node_count = 1,
				     .standbys = sb, .n_standbys = 2, .pg_applied = true,
				     .rec = L(2, 2, "pg2", "pg3"), .pg = L(2, 2, "pg2", "pg3") };
	struct pgq_sync_step s;

	(void)state;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.k, 1);
}

/* S7: raising k: PostgreSQL first, then the record after confirmation. */
static void test_s7_raise_k_pg_first(void **state)
{
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = true, .flush_lsn = 9 },
					 { .name = "pg3", .streaming = true, .flush_lsn = 9 } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_QUORUM, .node_count = 2,
				     .standbys = sb, .n_standbys = 2, .pg_applied = true,
				     .rec = L(1, 2, "pg2", "pg3"), .pg = L(1, 2, "pg2", "pg3") };
	struct pgq_sync_step s;

	(void)state;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_PG);
	assert_int_equal(s.list.k, 2);
	in.pg = s.list;
	in.lsn_after_change = 9;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.k, 2);
}

/* S7: fall back to async: k_rec = 0 first, then PostgreSQL ''; strict: a placeholder instead. */
static void test_s7_async_fallback_and_strict(void **state)
{
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = false } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_ON, .node_count = 1, .standbys = sb,
				     .n_standbys = 1, .pg_applied = true, .rec = L(1, 1, "pg2"),
				     .pg = L(1, 1, "pg2") };
	struct pgq_sync_step s;

	(void)state;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_RECORD);
	assert_int_equal(s.list.k, 0);
	in.rec = s.list;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_PG);
	assert_string_equal(s.text, "");
	in.strict = true;
	pgq_sync_next_step(&in, &s);
	assert_int_equal(s.kind, PGQ_SYNC_SET_PG);
	assert_true(s.placeholder);
	assert_non_null(strstr(s.text, PGQ_SYNC_PLACEHOLDER));
	assert_string_equal(s.text, "FIRST 1 (\"pgquorum:no-sync-standby\")");
}

/* The S7 invariant for one list PostgreSQL may use. */
static void check_invariant(const struct pgq_sync_list *rec, const struct pgq_sync_list *pg,
			    bool placeholder, unsigned seed, int step)
{
	if (placeholder)
		return; /* nothing can acknowledge: nothing to cover */
	if (pg->k < rec->k)
		fail_msg("seed %u step %d: k_pg %u < k_rec %u", seed, step, pg->k, rec->k);
	for (size_t i = 0; i < pg->n; i++)
		if (pg->k > 0 && !has(rec, pg->names[i]))
			fail_msg("seed %u step %d: %s in S_pg, not in S_rec", seed, step,
				 pg->names[i]);
}

/* S7 property: random membership changes; the invariant holds at every step and it converges. */
static void test_s7_random_walk_invariant(void **state)
{
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	unsigned seed = 20261127;

	(void)state;
	for (int run = 0; run < 400; run++) {
		struct pgq_sync_standby sb[5];
		struct pgq_sync_input in;
		struct pgq_sync_list old_pg;
		bool old_ph = false;
		int steps = 0;

		memset(&in, 0, sizeof(in));
		srand(seed + (unsigned)run);
		in.mode = rand() % 2 ? PGQ_RECORD_SYNC_ON : PGQ_RECORD_SYNC_QUORUM;
		in.strict = rand() % 4 == 0;
		in.pg_applied = true;
		for (int round = 0; round < 4; round++) {
			in.node_count = 1 + (uint32_t)(rand() % 3);
			for (int i = 0; i < 5; i++)
				sb[i] = (struct pgq_sync_standby){ .name = names[i],
								   .streaming = rand() % 3 != 0,
								   .nosync = rand() % 5 == 0 };
			in.standbys = sb;
			in.n_standbys = 5;
			for (steps = 0; steps < 12; steps++) {
				struct pgq_sync_step s;

				pgq_sync_next_step(&in, &s);
				if (s.kind == PGQ_SYNC_NONE)
					break;
				if (s.kind == PGQ_SYNC_SET_RECORD)
					in.rec = s.list;
				if (s.kind == PGQ_SYNC_SET_PG) {
					old_pg = in.pg;
					old_ph = in.pg_placeholder;
					in.pg = s.list;
					in.pg_placeholder = s.placeholder;
					in.pg_applied = false;
					/* While walsenders switch, both lists are live. */
					check_invariant(&in.rec, &old_pg, old_ph, seed, steps);
				}
				if (s.kind == PGQ_SYNC_WAIT) {
					if (!in.pg_applied) {
						in.pg_applied = true;
						in.lsn_after_change += 100;
					} else {
						for (int i = 0; i < 5; i++)
							sb[i].flush_lsn = in.lsn_after_change;
					}
				}
				check_invariant(&in.rec, &in.pg, in.pg_placeholder, seed, steps);
			}
			if (steps == 12)
				fail_msg("seed %u run %d: no convergence", seed, run);
		}
	}
}

/* S4, S7: a SET_RECORD step becomes a CAS from the primary that the record accepts; others may not. */
static void test_s7_propose_is_cas_from_primary(void **state)
{
	struct pgq_record *r = pgq_record_new();
	struct pgq_apply_result res;
	struct pgq_cmd_member m[2] = { { .name = "pg1", .raft_address = "127.0.0.1:7001" },
				       { .name = "pg2", .raft_address = "127.0.0.1:7002" } };
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");
	struct pgq_sync_standby sb[] = { { .name = "pg2", .streaming = true } };
	struct pgq_sync_input in = { .mode = PGQ_RECORD_SYNC_ON, .node_count = 1, .standbys = sb,
				     .n_standbys = 1, .pg_applied = true };
	struct pgq_sync_step step;
	struct pgq_ha_cmds cmds;
	uint8_t *b;
	size_t len;
	char err[128];
	uint64_t idx = 0;

	(void)state;
	assert_non_null(r);
	assert_int_equal(pgq_cmd_bootstrap("demo", "c", m, 2, "pg1", cfg, NULL, 1, &b, &len), 0);
	assert_int_equal(pgq_record_apply(r, b, len, ++idx, &res, err, sizeof(err)), 0);
	free(b);
	json_decref(cfg);
	assert_int_equal(pgq_cmd_lease_renew("pg1", 1, 0, 5, 30000, 2, &b, &len), 0);
	assert_int_equal(pgq_record_apply(r, b, len, ++idx, &res, err, sizeof(err)), 0);
	free(b);
	pgq_sync_list_from_record(r, &in.rec);
	pgq_sync_next_step(&in, &step);
	assert_int_equal(step.kind, PGQ_SYNC_SET_RECORD);
	pgq_ha_cmds_init(&cmds);
	assert_int_equal(pgq_sync_propose(r, "pg2", &step, &cmds), PGQ_RECORD_REJECTED);
	assert_int_equal(cmds.n, 0);
	assert_int_equal(pgq_sync_propose(r, "pg1", &step, &cmds), 0);
	assert_int_equal(cmds.n, 1);
	assert_int_equal(pgq_record_apply(r, cmds.cmd[0].data, cmds.cmd[0].len, ++idx, &res, err,
					  sizeof(err)), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&cmds);
	pgq_sync_list_from_record(r, &in.rec);
	assert_int_equal(in.rec.n, 1);
	assert_string_equal(in.rec.names[0], "pg2");
	assert_int_equal(in.rec.k, 0);
	pgq_record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s7_render),
		cmocka_unit_test(test_render_quoting_and_overflow),
		cmocka_unit_test(test_s7_target_on_exactly_k),
		cmocka_unit_test(test_target_quorum_all),
		cmocka_unit_test(test_s10_from_empty_record_first),
		cmocka_unit_test(test_s7_remove_pg_first),
		cmocka_unit_test(test_s7_lower_k_record_first),
		cmocka_unit_test(test_s7_raise_k_pg_first),
		cmocka_unit_test(test_s7_async_fallback_and_strict),
		cmocka_unit_test(test_s7_random_walk_invariant),
		cmocka_unit_test(test_s7_propose_is_cas_from_primary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

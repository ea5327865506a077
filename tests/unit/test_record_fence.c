/*
 * test_record_fence.c — the operator's fence confirmation (fence_confirm):
 * L8 (a required fence that keeps failing accepts an operator
 * confirmation), S4 (a CAS on the blocked promotion's epoch: rejected once
 * the record moved on), S19 (only members awaiting fencing), S17 (command
 * version 2, every malformed or stale entry rejected with the record
 * unchanged, the history keeps it through a snapshot).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record_fixture.h"

/* pg1 lost uncleanly, pg2 named in epoch 2 with its lease; pg1 awaits fencing. */
static void pending_promotion(struct fx *f)
{
	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_renew(f);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 1);
}

/* ... and its required fence of pg1 failed: the promotion is blocked (L4/L8). */
static void blocked_promotion(struct fx *f)
{
	pending_promotion(f);
	OK(f, pgq_cmd_failover_blocked, 2, 1,
	   "fence exec hook failed with code 1 (fencing.required: promotion blocked)", 10100);
}

static const struct pgq_history_entry *last_history(const struct fx *f)
{
	size_t n = pgq_record_history_count(f->r);

	assert_true(n > 0);
	return pgq_record_history_at(f->r, n - 1);
}

/* L8/S4: the matching confirmation ends the wait; the history keeps it. */
static void test_confirm_blocked_fence_accepted_L8_S4(void **state)
{
	struct fx *f = *state;
	const struct pgq_history_entry *h;

	blocked_promotion(f);
	OK(f, pgq_cmd_fence_confirm, "pg1", 2, 10200);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 0);
	h = last_history(f);
	assert_int_equal(h->epoch, 2);
	assert_string_equal(h->new_primary, "pg2");
	assert_string_equal(h->fence_confirmed, "pg1");
	assert_int_equal(h->fence_confirmed_ms, 10200);
	/* The named primary promotes; its lease and epoch are untouched by the confirmation. */
	assert_int_equal(pgq_record_primary(f->r)->lease_seq, 1);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x100, 10300);
	/* Twice: nothing awaits fencing any more, the record moved on. */
	REJECT(f, "no promotion is pending", pgq_cmd_fence_confirm, "pg1", 2, 10400);
}

/* S4: a confirmation for another epoch does nothing, before or after. */
static void test_confirm_other_epoch_rejected_S4_L8(void **state)
{
	struct fx *f = *state;

	blocked_promotion(f);
	REJECT(f, "epoch 1 is not the current epoch 2 (S4)", pgq_cmd_fence_confirm, "pg1", 1, 10200);
	REJECT(f, "epoch 3 is not the current epoch 2 (S4)", pgq_cmd_fence_confirm, "pg1", 3, 10200);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 1);
	assert_string_equal(last_history(f)->fence_confirmed, "");
}

/* S19/L8: only a member awaiting fencing; never the member being promoted. */
static void test_confirm_other_member_rejected_S19_L8(void **state)
{
	struct fx *f = *state;

	blocked_promotion(f);
	REJECT(f, "'pg3' does not await fencing (S19)", pgq_cmd_fence_confirm, "pg3", 2, 10200);
	REJECT(f, "'nosuch' does not await fencing (S19)", pgq_cmd_fence_confirm, "nosuch", 2, 10200);
	REJECT(f, "'pg2' is the member being promoted", pgq_cmd_fence_confirm, "pg2", 2, 10200);
	REJECT(f, "not a valid member name", pgq_cmd_fence_confirm, "pg 1", 2, 10200);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 1);
}

/* L8: an operator confirms a fence that keeps failing, not one that has not failed yet. */
static void test_confirm_without_blocked_fence_rejected_L8(void **state)
{
	struct fx *f = *state;

	pending_promotion(f);
	REJECT(f, "is not blocked by a failing fence (L8", pgq_cmd_fence_confirm, "pg1", 2, 10200);
	/* Blocked, then the fence succeeded and the member cleared the block: too late. */
	OK(f, pgq_cmd_failover_blocked, 2, 1, "fence exec hook failed with code 1", 10300);
	OK(f, pgq_cmd_failover_blocked, 2, 1, "", 10400);
	REJECT(f, "is not blocked by a failing fence (L8", pgq_cmd_fence_confirm, "pg1", 2, 10500);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 1);
}

/* S4: once the promotion was vetoed (the epoch ended), a confirmation for it is stale. */
static void test_confirm_after_veto_rejected_S4(void **state)
{
	struct fx *f = *state;

	blocked_promotion(f);
	OK(f, pgq_cmd_vetoed, "pg2", 2, 1, "pre_promote exit 1", 10200);
	REJECT(f, "no promotion is pending in epoch 2", pgq_cmd_fence_confirm, "pg1", 2, 10300);
}

/* A steady cluster: no promotion pending at all. */
static void test_confirm_steady_cluster_rejected_L8(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "no promotion is pending in epoch 1", pgq_cmd_fence_confirm, "pg2", 1, 2000);
}

/* S17: two pending names; each confirmation removes its own, the history names the last. */
static void test_two_pending_each_confirmed_L8(void **state)
{
	struct fx *f = *state;
	const char (*names)[PGQ_RECORD_NAME_MAX];

	blocked_promotion(f);
	/* pg2 loses its lease before promotion: pg1 and pg2 await fencing when pg3 is named. */
	OK(f, pgq_cmd_primary_lost, 2, 1, 11000);
	fx_report_valid(f, "pg3", 0x100);
	OK(f, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_FAILOVER, false, 0, 11100);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 2);
	fx_renew(f);
	OK(f, pgq_cmd_failover_blocked, 3, 1, "fence exec hook failed with code 1", 11200);
	OK(f, pgq_cmd_fence_confirm, "pg2", 3, 11300);
	assert_int_equal(pgq_record_fence_pending(f->r, &names), 1);
	assert_string_equal(names[0], "pg1");
	OK(f, pgq_cmd_fence_confirm, "pg1", 3, 11400);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 0);
	assert_string_equal(last_history(f)->fence_confirmed, "pg1");
}

/* S17: the entry is version 2 and carries its epoch; the history survives a snapshot. */
static void test_version_and_snapshot_S17(void **state)
{
	struct fx *f = *state;
	struct pgq_record *copy = NULL;
	uint8_t *snap = NULL, *data = NULL;
	size_t snap_len = 0, len = 0;
	char err[256], *a, *b;
	json_t *cmd;

	assert_int_equal(pgq_cmd_fence_confirm("pg1", 2, 10200, &data, &len), 0);
	cmd = json_loadb((const char *)data, len, 0, NULL);
	assert_non_null(cmd);
	assert_int_equal(json_integer_value(json_object_get(cmd, "v")), 2);
	assert_int_equal(json_integer_value(json_object_get(cmd, "epoch")), 2);
	json_decref(cmd);
	free(data);
	/* Without the epoch (the shape before version 2) it is rejected. */
	blocked_promotion(f);
	fx_expect_reject_str(f, "{\"v\":1,\"cmd\":\"fence_confirm\",\"member\":\"pg1\",\"time_ms\":1}",
			     "missing field 'epoch'");
	OK(f, pgq_cmd_fence_confirm, "pg1", 2, 10200);
	assert_int_equal(pgq_record_snapshot(f->r, &snap, &snap_len), 0);
	assert_non_null(strstr((const char *)snap, "\"fence_confirmed\":\"pg1\""));
	assert_int_equal(pgq_record_restore(snap, snap_len, &copy, err, sizeof err), 0);
	a = fx_state(f->r);
	b = fx_state(copy);
	assert_string_equal(a, b);
	assert_string_equal(pgq_record_history_at(copy, pgq_record_history_count(copy) - 1)
				    ->fence_confirmed, "pg1");
	free(a);
	free(b);
	free(snap);
	pgq_record_free(copy);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_confirm_blocked_fence_accepted_L8_S4),
		T(test_confirm_other_epoch_rejected_S4_L8),
		T(test_confirm_other_member_rejected_S19_L8),
		T(test_confirm_without_blocked_fence_rejected_L8),
		T(test_confirm_after_veto_rejected_S4),
		T(test_confirm_steady_cluster_rejected_L8),
		T(test_two_pending_each_confirmed_L8),
		T(test_version_and_snapshot_S17),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ha_lease.c — lease arithmetic (SAFETY.md S2, S3, S5): the primary's
 * lease end, the self-fence schedule, the watchdog deadline, the leader's
 * loss deadline and a new leader's wait; boundaries at ±1 ms and
 * saturation at the edges of uint64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ha/clock.h"
#include "ha/lease.h"

/* S2: ttl × (1 + 2ρ), ρ = 500 ppm, rounded up. */
static void test_s2_stretch_rounds_up(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_stretch_ms(30000), 30030);
	assert_int_equal(pgq_lease_stretch_ms(1000), 1001);
	assert_int_equal(pgq_lease_stretch_ms(1001), 1003); /* 1.001 ms of drift rounds up to 2 */
	assert_int_equal(pgq_lease_stretch_ms(1), 2);
	assert_int_equal(pgq_lease_stretch_ms(0), 0);
}

/* S2: drift_floor is at least 100 ms whatever the configuration says. */
static void test_s2_drift_floor_minimum(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_drift_floor_ms(0), 100);
	assert_int_equal(pgq_lease_drift_floor_ms(99), 100);
	assert_int_equal(pgq_lease_drift_floor_ms(100), 100);
	assert_int_equal(pgq_lease_drift_floor_ms(500), 500);
}

/* S2: the leader declares the loss at apply + ttl(1+2ρ) + drift_floor. */
static void test_s2_loss_deadline(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_loss_deadline_ms(10000, 30000, 500), 10000 + 30030 + 500);
	assert_int_equal(pgq_lease_loss_deadline_ms(10000, 30000, 10), 10000 + 30030 + 100);
}

/* Saturation: a deadline never wraps into the past. */
static void test_saturating_arithmetic(void **state)
{
	(void)state;
	assert_true(pgq_lease_loss_deadline_ms(UINT64_MAX - 5, 30000, 500) == UINT64_MAX);
	assert_true(pgq_lease_end_ms(UINT64_MAX - 1, 1000) == UINT64_MAX);
	assert_true(pgq_ha_sub_sat(5, 10) == 0);
	assert_true(pgq_ha_add_sat(UINT64_MAX, UINT64_MAX) == UINT64_MAX);
	assert_true(pgq_lease_stretch_ms(UINT64_MAX) == UINT64_MAX);
}

/* S2: the lease ends at the *first* send of the committed nonce + its ttl. */
static void test_s2_resend_keeps_first_send_time(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 3, 0, 77, 10000, 1000);
	pgq_lease_sent(&l, 3, 0, 77, 10000, 4000); /* resend */
	assert_non_null(pgq_lease_find(&l, 77));
	assert_int_equal(pgq_lease_find(&l, 77)->first_send_ms, 1000);
	assert_true(pgq_lease_committed(&l, 3, 1, 77));
	assert_int_equal(l.lease_end_ms, 11000);
}

/* S1: no lease before a committed renewal; a nonce not ours grants nothing. */
static void test_s1_no_lease_without_our_committed_nonce(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 2, 0, 5, 10000, 1000);
	assert_false(pgq_lease_valid(&l, 2, 1001));
	assert_false(pgq_lease_committed(&l, 2, 1, 6)); /* someone else's nonce */
	assert_false(pgq_lease_valid(&l, 2, 1001));
	assert_false(pgq_lease_committed(&l, 3, 1, 5)); /* another epoch */
	assert_true(pgq_lease_committed(&l, 2, 1, 5));
	assert_true(pgq_lease_valid(&l, 2, 1001));
	assert_false(pgq_lease_valid(&l, 3, 1001)); /* a lease is per epoch */
}

/* Boundary: valid up to lease_end - 1, not at lease_end. */
static void test_s2_lease_valid_boundary(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 1, 0, 9, 10000, 5000);
	assert_true(pgq_lease_committed(&l, 1, 1, 9));
	assert_true(pgq_lease_valid(&l, 1, 14999));
	assert_false(pgq_lease_valid(&l, 1, 15000));
	assert_false(pgq_lease_valid(&l, 1, 15001));
}

/* Committing twice is idempotent; an older commit never shortens the lease. */
static void test_s2_commit_idempotent_and_monotonic(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 1, 0, 1, 10000, 1000);
	pgq_lease_sent(&l, 1, 1, 2, 10000, 3000);
	assert_true(pgq_lease_committed(&l, 1, 1, 1));
	assert_int_equal(l.lease_end_ms, 11000);
	assert_false(pgq_lease_committed(&l, 1, 1, 1)); /* same lease_seq again */
	assert_true(pgq_lease_committed(&l, 1, 2, 2));
	assert_int_equal(l.lease_end_ms, 13000);
	assert_false(pgq_lease_committed(&l, 1, 2, 1)); /* dropped: older than the last commit */
	assert_int_equal(l.lease_end_ms, 13000);
}

/* S2: a lower ttl applies only to renewals sent after it was applied: each renewal carries its own. */
static void test_s2_lower_ttl_only_for_later_renewals(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 1, 0, 1, 30000, 1000);
	pgq_lease_sent(&l, 1, 1, 2, 5000, 2000); /* sent after edit-config lowered ttl */
	assert_true(pgq_lease_committed(&l, 1, 1, 1));
	assert_int_equal(l.lease_end_ms, 31000);
	/* The later, shorter renewal cannot pull the end earlier. */
	assert_true(pgq_lease_committed(&l, 1, 2, 2));
	assert_int_equal(l.lease_end_ms, 31000);
}

/* The pending list is bounded; the oldest send is forgotten (and can no longer grant a lease). */
static void test_pending_list_bounded(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	for (uint64_t i = 0; i < PGQ_LEASE_PENDING_MAX + 3; i++)
		pgq_lease_sent(&l, 1, 0, 100 + i, 10000, 1000 + i);
	assert_int_equal(l.n_pending, PGQ_LEASE_PENDING_MAX);
	assert_null(pgq_lease_find(&l, 100));
	assert_false(pgq_lease_committed(&l, 1, 1, 100));
	assert_true(pgq_lease_committed(&l, 1, 1, 100 + PGQ_LEASE_PENDING_MAX + 2));
}

/* A new epoch resets the lease: a lease never carries over to another epoch. */
static void test_new_epoch_resets(void **state)
{
	struct pgq_lease l = { 0 };

	(void)state;
	pgq_lease_sent(&l, 1, 0, 1, 10000, 1000);
	assert_true(pgq_lease_committed(&l, 1, 1, 1));
	pgq_lease_sent(&l, 2, 0, 2, 10000, 2000);
	assert_false(l.held);
	assert_false(pgq_lease_valid(&l, 1, 2000));
}

/* S5: fence schedule boundaries, ±1 ms around each step. */
static void test_s5_fence_schedule_boundaries(void **state)
{
	const uint64_t end = 100000;

	(void)state;
	/* stop_budget 5000, kill_budget 1500: fast at 95000, immediate at 98500, kill at 99250. */
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 94999), PGQ_FENCE_NONE);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 95000), PGQ_FENCE_FAST_STOP);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 98499), PGQ_FENCE_FAST_STOP);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 98500), PGQ_FENCE_IMMEDIATE_STOP);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 99249), PGQ_FENCE_IMMEDIATE_STOP);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, 99250), PGQ_FENCE_KILL);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, end), PGQ_FENCE_KILL);
	assert_int_equal(pgq_lease_fence_step(end, 5000, 1500, end + 1), PGQ_FENCE_KILL);
}

/* S5: the next step's time, so the runtime arms a timer instead of polling. */
static void test_s5_next_fence_time(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_next_fence_ms(100000, 5000, 1500, 0), 95000);
	assert_int_equal(pgq_lease_next_fence_ms(100000, 5000, 1500, 95000), 98500);
	assert_int_equal(pgq_lease_next_fence_ms(100000, 5000, 1500, 98500), 99250);
	assert_true(pgq_lease_next_fence_ms(100000, 5000, 1500, 99250) == UINT64_MAX);
}

/* S5: a stop budget below the kill budget never reorders the steps; a lease end near 0 saturates. */
static void test_s5_odd_budgets(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_fence_step(10000, 100, 2000, 7999), PGQ_FENCE_NONE);
	assert_int_equal(pgq_lease_fence_step(10000, 100, 2000, 8000), PGQ_FENCE_IMMEDIATE_STOP);
	assert_int_equal(pgq_lease_fence_step(1000, 5000, 1500, 0), PGQ_FENCE_IMMEDIATE_STOP);
	assert_int_equal(pgq_lease_fence_step(1000, 5000, 1500, 250), PGQ_FENCE_KILL);
	assert_int_equal(pgq_lease_fence_step(0, 5000, 1500, 0), PGQ_FENCE_KILL);
}

/* S5: the watchdog fires no later than lease_end - kill_budget (seconds, rounded down). */
static void test_s5_watchdog_deadline(void **state)
{
	(void)state;
	/* fire by 98500: from 90000 that is 8.5 s → 8 s. */
	assert_int_equal(pgq_lease_watchdog_timeout_s(100000, 1500, 90000), 8);
	assert_int_equal(pgq_lease_watchdog_timeout_s(100000, 1500, 97500), 1);
	assert_int_equal(pgq_lease_watchdog_timeout_s(100000, 1500, 97501), 0);
	assert_int_equal(pgq_lease_watchdog_timeout_s(100000, 1500, 98500), 0);
	assert_int_equal(pgq_lease_watchdog_timeout_s(100000, 1500, 200000), 0);
	/* Never later than the deadline: timeout × 1000 + now ≤ lease_end − kill_budget. */
	for (uint64_t now = 90000; now < 99000; now += 37) {
		uint32_t s = pgq_lease_watchdog_timeout_s(100000, 1500, now);

		assert_true(s == 0 || s * 1000ull + now <= 98500);
	}
}

/* The primary's lease always ends before the leader's loss deadline (S2's reason to exist). */
static void test_s2_primary_ends_before_leader_declares(void **state)
{
	(void)state;
	for (uint32_t ttl = 100; ttl < 120000; ttl = ttl * 3 + 7) {
		uint64_t send = 5000, apply = send; /* worst case: applied at the very send instant */
		uint64_t end = pgq_lease_end_ms(send, ttl);
		uint64_t loss = pgq_lease_loss_deadline_ms(apply, ttl, 0);

		/* A leader clock slower by ρ still sees end + 100 ms floor before declaring. */
		assert_true(loss >= end + 100);
		assert_true((loss - apply) * 2000 >= (uint64_t)ttl * 2002);
	}
}

/* S3: without reports, a new leader waits a whole lease from its election. */
static void test_s3_new_leader_full_wait(void **state)
{
	(void)state;
	assert_int_equal(pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 0, 0, NULL, 0),
			 50000 + 30030 + 500);
	assert_int_equal(pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 12, 3, NULL, 0),
			 50000 + 30030 + 500);
}

/* S3: shortened with the largest age for exactly the latest renewal (index, term). */
static void test_s3_shortened_by_voter_ages(void **state)
{
	struct pgq_lease_voter_age ages[] = {
		{ .index = 12, .term = 3, .age_ms = 4000, .received_ms = 50100 },
		{ .index = 12, .term = 3, .age_ms = 10000, .received_ms = 50200 },
		{ .index = 11, .term = 3, .age_ms = 29000, .received_ms = 50000 }, /* other entry */
		{ .index = 12, .term = 2, .age_ms = 29000, .received_ms = 50000 }, /* other term */
		{ .index = 12, .term = 3, .age_ms = 0, .received_ms = 50000 },     /* lacks it */
	};
	uint64_t d = pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 12, 3, ages, 5);

	(void)state;
	/* age 10000 less its ρ allowance (5 ms) → appended at 40205. */
	assert_int_equal(d, 40205 + 30030 + 500);
	assert_true(d < 50000 + 30030 + 500);
}

/* S3: a report can only shorten the wait, never lengthen it. */
static void test_s3_never_longer_than_full_wait(void **state)
{
	struct pgq_lease_voter_age a = { .index = 7, .term = 1, .age_ms = 1, .received_ms = 90000 };

	(void)state;
	assert_int_equal(pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 7, 1, &a, 1),
			 50000 + 30030 + 500);
}

/* S3 boundary: the shortened deadline moves 1:1 with the reported age. */
static void test_s3_boundary_one_ms(void **state)
{
	struct pgq_lease_voter_age a = { .index = 7, .term = 1, .age_ms = 4000, .received_ms = 51000 };
	uint64_t d1, d2;

	(void)state;
	d1 = pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 7, 1, &a, 1);
	assert_int_equal(d1, 51000 - (4000 - 2) + 30030 + 500);
	a.age_ms = 4001; /* 1 ms older: 1 ms earlier, less the ρ allowance (now 3 ms) */
	d2 = pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 7, 1, &a, 1);
	assert_int_equal(d2, d1);
	a.age_ms = 4003;
	d2 = pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 7, 1, &a, 1);
	assert_int_equal(d2, d1 - 2);
	/* A report received exactly at the election adds nothing over the full wait when age is 0+allowance. */
	a.received_ms = 50000;
	a.age_ms = 1;
	assert_int_equal(pgq_lease_new_leader_deadline_ms(50000, 30000, 500, 7, 1, &a, 1),
			 50000 + 30030 + 500);
}

/* clock.c: CLOCK_BOOTTIME in ms is readable and never goes back. */
static void test_clock_boottime_monotonic(void **state)
{
	uint64_t a = pgq_now_boottime_ms(), b;

	(void)state;
	assert_true(a > 0);
	for (int i = 0; i < 1000; i++) {
		b = pgq_now_boottime_ms();
		assert_true(b >= a);
		a = b;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s2_stretch_rounds_up),
		cmocka_unit_test(test_s2_drift_floor_minimum),
		cmocka_unit_test(test_s2_loss_deadline),
		cmocka_unit_test(test_saturating_arithmetic),
		cmocka_unit_test(test_s2_resend_keeps_first_send_time),
		cmocka_unit_test(test_s1_no_lease_without_our_committed_nonce),
		cmocka_unit_test(test_s2_lease_valid_boundary),
		cmocka_unit_test(test_s2_commit_idempotent_and_monotonic),
		cmocka_unit_test(test_s2_lower_ttl_only_for_later_renewals),
		cmocka_unit_test(test_pending_list_bounded),
		cmocka_unit_test(test_new_epoch_resets),
		cmocka_unit_test(test_s5_fence_schedule_boundaries),
		cmocka_unit_test(test_s5_next_fence_time),
		cmocka_unit_test(test_s5_odd_budgets),
		cmocka_unit_test(test_s5_watchdog_deadline),
		cmocka_unit_test(test_s2_primary_ends_before_leader_declares),
		cmocka_unit_test(test_s3_new_leader_full_wait),
		cmocka_unit_test(test_s3_shortened_by_voter_ages),
		cmocka_unit_test(test_s3_never_longer_than_full_wait),
		cmocka_unit_test(test_s3_boundary_one_ms),
		cmocka_unit_test(test_clock_boottime_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ha_s3_ages.c — SAFETY.md S3's shortened new-leader wait, the runtime
 * bookkeeping (agent/ha/s3_ages.c, docs/safety-changes.md C3, C20): a
 * voter's append times (truncation, duplicates, the bounded ring, "lacks
 * it" after a restart) and the leader's collection of reports (only exactly
 * the entry asked about, only this term's question, one per voter), fed
 * end to end into pgq_lease_new_leader_deadline_ms().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ha/lease.h"
#include "ha/s3_ages.h"

#define MAX_AGE 10000000000ull

static struct pgq_append_clock *new_clock(void)
{
	struct pgq_append_clock *c = calloc(1, sizeof *c);
	assert_non_null(c);
	return c;
}

/* S3: a voter reports the time since it appended exactly (index, term). */
static void test_s3_append_clock_ages(void **state)
{
	struct pgq_append_clock *c = new_clock();

	(void)state;
	pgq_append_clock_note(c, 10, 2, 1000);
	pgq_append_clock_note(c, 11, 2, 1500);
	pgq_append_clock_note(c, 11, 2, 1900); /* the same entry again: first time kept */
	assert_int_equal(pgq_append_clock_when(c, 10, 2), 1000);
	assert_int_equal(pgq_append_clock_when(c, 11, 2), 1500);
	assert_int_equal(pgq_append_clock_age(c, 11, 2, 4500, MAX_AGE), 3000);
	/* Another term at that index, an index never seen: "lacks it" (0). */
	assert_int_equal(pgq_append_clock_age(c, 11, 3, 4500, MAX_AGE), 0);
	assert_int_equal(pgq_append_clock_age(c, 12, 2, 4500, MAX_AGE), 0);
	assert_int_equal(pgq_append_clock_age(c, 9, 2, 4500, MAX_AGE), 0);
	/* Clamped down (understating is the safe side), at least 1 when held. */
	assert_int_equal(pgq_append_clock_age(c, 10, 2, 9000, 500), 500);
	assert_int_equal(pgq_append_clock_age(c, 10, 2, 1000, MAX_AGE), 1);
	/* index or term 0 are never noted. */
	pgq_append_clock_note(c, 0, 2, 5000);
	pgq_append_clock_note(c, 12, 0, 5000);
	assert_int_equal(c->n, 2);
	free(c);
}

/* Raft truncates a conflicting suffix: its old append times must go. */
static void test_s3_append_clock_truncation(void **state)
{
	struct pgq_append_clock *c = new_clock();

	(void)state;
	for (uint64_t i = 1; i <= 5; i++)
		pgq_append_clock_note(c, i, 1, 100 * i);
	pgq_append_clock_note(c, 3, 2, 900); /* leader of term 2 overwrote from 3 on */
	assert_int_equal(pgq_append_clock_when(c, 2, 1), 200);
	assert_int_equal(pgq_append_clock_when(c, 3, 1), 0);
	assert_int_equal(pgq_append_clock_when(c, 4, 1), 0);
	assert_int_equal(pgq_append_clock_when(c, 5, 1), 0);
	assert_int_equal(pgq_append_clock_when(c, 3, 2), 900);
	/* Re-appending index 4 of term 1 after that is a new entry with a new time. */
	pgq_append_clock_note(c, 4, 2, 950);
	assert_int_equal(pgq_append_clock_when(c, 4, 2), 950);
	free(c);
}

/* The ring is bounded: the oldest entries are forgotten, never confused. */
static void test_s3_append_clock_ring_bounded(void **state)
{
	struct pgq_append_clock *c = new_clock();
	uint64_t last = PGQ_APPEND_CLOCK_CAP + 100;

	(void)state;
	for (uint64_t i = 1; i <= last; i++)
		pgq_append_clock_note(c, i, 1, i * 10);
	assert_int_equal(c->n, PGQ_APPEND_CLOCK_CAP);
	assert_int_equal(pgq_append_clock_when(c, 100, 1), 0);
	assert_int_equal(pgq_append_clock_when(c, 101, 1), 1010);
	assert_int_equal(pgq_append_clock_when(c, last, 1), last * 10);
	for (uint64_t i = 101; i <= last; i += 97)
		assert_int_equal(pgq_append_clock_when(c, i, 1), i * 10);
	/* A restart: a fresh (zeroed) clock knows nothing, so reports nothing. */
	free(c);
	c = new_clock();
	assert_int_equal(pgq_append_clock_age(c, last, 1, 999999, MAX_AGE), 0);
	free(c);
}

/* S3: the leader keeps only answers to exactly its current question. */
static void test_s3_reports_only_current_question(void **state)
{
	struct pgq_s3_reports r;

	(void)state;
	pgq_s3_reports_reset(&r, 5, 40, 4);
	assert_true(pgq_s3_reports_for(&r, 5, 40, 4));
	assert_false(pgq_s3_reports_for(&r, 6, 40, 4));
	assert_false(pgq_s3_reports_add(&r, 2, 4, 40, 4, 3000, 100)); /* older leader term */
	assert_false(pgq_s3_reports_add(&r, 2, 6, 40, 4, 3000, 100)); /* newer leader term */
	assert_false(pgq_s3_reports_add(&r, 2, 5, 39, 4, 3000, 100)); /* other index */
	assert_false(pgq_s3_reports_add(&r, 2, 5, 40, 3, 3000, 100)); /* other entry term */
	assert_false(pgq_s3_reports_add(&r, 2, 5, 40, 4, 0, 100));    /* lacks it */
	assert_false(pgq_s3_reports_add(&r, 0, 5, 40, 4, 3000, 100)); /* no sender */
	assert_int_equal(r.n, 0);
	assert_true(pgq_s3_reports_add(&r, 2, 5, 40, 4, 3000, 100));
	assert_true(pgq_s3_reports_add(&r, 3, 5, 40, 4, 2000, 120));
	assert_true(pgq_s3_reports_add(&r, 2, 5, 40, 4, 3500, 700)); /* replaces voter 2's */
	assert_int_equal(r.n, 2);
	assert_int_equal(r.from[0], 2);
	assert_int_equal(r.ages[0].age_ms, 3500);
	assert_int_equal(r.ages[0].received_ms, 700);
	/* A new question (a new renewal, or a new term) forgets every report. */
	pgq_s3_reports_reset(&r, 5, 41, 5);
	assert_int_equal(r.n, 0);
	assert_false(pgq_s3_reports_add(&r, 2, 5, 40, 4, 3000, 100));
	/* Bounded by the number of voters a configuration can hold. */
	for (uint64_t id = 1; id <= PGQ_S3_REPORTS_MAX; id++)
		assert_true(pgq_s3_reports_add(&r, id, 5, 41, 5, 10, 1));
	assert_false(pgq_s3_reports_add(&r, PGQ_S3_REPORTS_MAX + 1, 5, 41, 5, 10, 1));
	assert_int_equal(r.n, PGQ_S3_REPORTS_MAX);
}

/*
 * S3 end to end: the primary's agent (and the old leader) dies; a voter
 * appended the last renewal 8 s before the new leader L became leader.
 * L's own append and the voter's answer shorten L's whole wait, by no more
 * than the ages prove (received − age·(1−ρ)); a stale answer changes nothing.
 */
static void test_s3_wait_shortened_by_collected_ages(void **state)
{
	struct pgq_append_clock *voter = new_clock(), *leader = new_clock();
	struct pgq_s3_reports r;
	const uint32_t ttl = 20000, floor = 100;
	uint64_t became = 100000, full, d;

	(void)state;
	pgq_append_clock_note(voter, 77, 3, 200000);  /* voter's clock */
	pgq_append_clock_note(leader, 77, 3, 93000);  /* L's clock: 7 s before its election */
	full = pgq_lease_new_leader_deadline_ms(became, ttl, floor, 0, 0, NULL, 0);
	assert_int_equal(full, became + 20020 + 100);

	pgq_s3_reports_reset(&r, 4, 77, 3);
	assert_true(pgq_s3_reports_add(&r, 1, 4, 77, 3,
				       pgq_append_clock_age(leader, 77, 3, became, MAX_AGE), became));
	/* The voter answers at its 208000 (8000 ms); L receives it at 100050. */
	assert_true(pgq_s3_reports_add(&r, 2, 4, 77, 3,
				       pgq_append_clock_age(voter, 77, 3, 208000, MAX_AGE), 100050));
	assert_false(pgq_s3_reports_add(&r, 3, 3, 77, 3, 29000, 100050)); /* last term's answer */
	d = pgq_lease_new_leader_deadline_ms(became, ttl, floor, r.index, r.term, r.ages, r.n);
	/* Voter: 8000 − ⌈8000 / 2000⌉ = 7996 → appended at 92054. */
	assert_int_equal(d, 100050 - 7996 + 20020 + 100);
	assert_true(d < full);
	/* Never earlier than the voter's append measured on L's clock could prove. */
	assert_true(d >= 100050 - 8000 + 20020 + 100);
	free(voter);
	free(leader);
}

/*
 * S3: only voters whose agent reports a record command version with the
 * LEASE_AGE frame are asked (an older build closes the connection on it);
 * unknown (0, no report yet) is not asked either.
 */
static void test_s3_old_voters_not_asked(void **state)
{
	(void)state;
	assert_false(pgq_s3_voter_may_be_asked(0));
	assert_false(pgq_s3_voter_may_be_asked(1));
	assert_true(pgq_s3_voter_may_be_asked(PGQ_S3_LEASE_AGE_MIN_CMD_VERSION));
	assert_true(pgq_s3_voter_may_be_asked(PGQ_S3_LEASE_AGE_MIN_CMD_VERSION + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_append_clock_ages),
		cmocka_unit_test(test_s3_append_clock_truncation),
		cmocka_unit_test(test_s3_append_clock_ring_bounded),
		cmocka_unit_test(test_s3_reports_only_current_question),
		cmocka_unit_test(test_s3_wait_shortened_by_collected_ages),
		cmocka_unit_test(test_s3_old_voters_not_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

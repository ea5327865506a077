/*
 * test_record_lease.c — the primary's lease and every change of primary in
 * the cluster record: S1, S2, S4, S5, S7, S8, S9, S10, S12, S18, S19, L4, L8.
 * Each rejection is checked to leave the record unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "record_fixture.h"

/* S1: the naming entry grants no lease; the leader times it from that entry. */
static void test_bootstrap_grants_no_lease_S1(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;
	const char *why = NULL;

	fx_bootstrap3(f, NULL);
	p = pgq_record_primary(f->r);
	assert_int_equal(p->state, PGQ_PRIMARY_ACTIVE);
	assert_string_equal(p->name, "pg1");
	assert_int_equal(p->epoch, 1);
	assert_int_equal(p->lease_seq, 0);
	assert_false(p->promoted);
	assert_int_equal(p->lease_timer_index, f->index);
	assert_int_equal(p->loss_ttl_ms, 30000);
	assert_true(pgq_record_change_in_progress(f->r, &why));
	assert_string_equal(why, "bootstrap in progress");
	/* S1: no promotion before a renewal committed. */
	REJECT(f, "(S1)", pgq_cmd_promoted, "pg1", 1, 1, 0, 1500);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg1", 1, 1, 0, 3000);
	assert_true(p->promoted);
	assert_false(pgq_record_change_in_progress(f->r, NULL));
}

/* S2, S4: an accepted renewal increments lease_seq and restarts the loss timer. */
static void test_renew_increments_lease_seq_S2_S4(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;

	fx_bootstrap3(f, NULL);
	p = pgq_record_primary(f->r);
	OK(f, pgq_cmd_lease_renew, "pg1", 1, 0, 77, 20000, 4242);
	assert_int_equal(p->lease_seq, 1);
	assert_int_equal(p->lease_nonce, 77);
	assert_int_equal(p->lease_ttl_ms, 20000);
	assert_int_equal(p->lease_timer_index, f->index);
	assert_int_equal(p->renewed_at_ms, 4242);
	/* S2: max(ttl of the renewal, ttl in force) = max(20 s, 30 s). */
	assert_int_equal(p->loss_ttl_ms, 30000);
	OK(f, pgq_cmd_lease_renew, "pg1", 1, 1, 78, 45000, 4300);
	assert_int_equal(p->lease_seq, 2);
	assert_int_equal(p->loss_ttl_ms, 45000);
}

/* S4: a renewal for another epoch is refused. */
static void test_renew_wrong_epoch_rejected_S4(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "epoch 2 is not the recorded epoch 1 (S4)", pgq_cmd_lease_renew, "pg1", 2, 1, 5,
	       30000, 4000);
	REJECT(f, "epoch 0 is not the recorded epoch 1 (S4)", pgq_cmd_lease_renew, "pg1", 0, 1, 5,
	       30000, 4000);
}

/* S4: a resent renewal committed twice counts once: the second has a stale lease_seq. */
static void test_renew_wrong_lease_seq_rejected_S4(void **state)
{
	struct fx *f = *state;

	fx_bootstrap3(f, NULL);
	OK(f, pgq_cmd_lease_renew, "pg1", 1, 0, 9, 30000, 4000);
	REJECT(f, "lease_seq 0 is not the recorded lease_seq 1 (S4)", pgq_cmd_lease_renew, "pg1", 1,
	       0, 9, 30000, 4000);
	REJECT(f, "lease_seq 5 is not the recorded lease_seq 1 (S4)", pgq_cmd_lease_renew, "pg1", 1,
	       5, 10, 30000, 4000);
	assert_int_equal(pgq_record_primary(f->r)->lease_seq, 1);
}

/* S4: only the recorded primary of the epoch renews. */
static void test_renew_from_non_primary_rejected_S4(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "member 'pg2' is not the primary of epoch 1 (S4)", pgq_cmd_lease_renew, "pg2", 1,
	       1, 5, 30000, 4000);
	REJECT(f, "member 'ghost' is not the primary", pgq_cmd_lease_renew, "ghost", 1, 1, 5, 30000,
	       4000);
}

/* S4: no renewal once a loss is recorded: the old primary cannot come back. */
static void test_renew_after_loss_rejected_S4(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	REJECT(f, "no renewal once the primary is lost (S4)", pgq_cmd_lease_renew, "pg1", 1, 1, 5,
	       30000, 4000);
}

/* S4: no renewal once a demotion is recorded. */
static void test_renew_after_demoted_rejected_S4(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 0x5000, 1, 4000);
	REJECT(f, "no renewal once the primary is demoted (S4)", pgq_cmd_lease_renew, "pg1", 1, 1,
	       5, 30000, 4000);
}

/* S2: the loss ttl is the largest ttl in force since the renewal; lowering waits. */
static void test_loss_ttl_tracks_config_since_renewal_S2(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;
	json_t *up = json_pack("{s:i}", "ttl", 60);
	json_t *down = json_pack("{s:i, s:i, s:i}", "ttl", 10, "loop_wait", 2, "retry_timeout", 2);

	fx_cluster3(f, NULL);
	p = pgq_record_primary(f->r);
	assert_int_equal(p->loss_ttl_ms, 30000);
	OK(f, pgq_cmd_config_patch, up, 5000);
	assert_int_equal(p->loss_ttl_ms, 60000);
	OK(f, pgq_cmd_config_patch, down, 5001);
	/* A lower ttl applies only to renewals sent after it. */
	assert_int_equal(p->loss_ttl_ms, 60000);
	OK(f, pgq_cmd_lease_renew, "pg1", 1, 1, 5, 10000, 5002);
	assert_int_equal(p->loss_ttl_ms, 10000);
	json_decref(up);
	json_decref(down);
}

/* S5, S4: a release is a CAS and ends the lease; a second one finds nothing. */
static void test_lease_release_S5_S4(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;

	fx_cluster3(f, NULL);
	p = pgq_record_primary(f->r);
	REJECT(f, "(S4)", pgq_cmd_lease_release, "pg1", 1, 0, "fenced", 4000);
	REJECT(f, "not the primary", pgq_cmd_lease_release, "pg2", 1, 1, "fenced", 4000);
	OK(f, pgq_cmd_lease_release, "pg1", 1, 1, "postgres unrecoverable", 4000);
	assert_int_equal(p->state, PGQ_PRIMARY_RELEASED);
	assert_string_equal(p->end_reason, "postgres unrecoverable");
	REJECT(f, "nothing to release: the primary is released", pgq_cmd_lease_release, "pg1", 1, 1,
	       "again", 4001);
	REJECT(f, "no renewal once the primary is released (S4)", pgq_cmd_lease_renew, "pg1", 1, 1,
	       5, 30000, 4002);
}

/* S4, S9: primary_lost is a CAS on (epoch, lease_seq) and its index is what reports name. */
static void test_primary_lost_S4_S9(void **state)
{
	struct fx *f = *state;
	const struct pgq_primary *p;

	fx_cluster3(f, NULL);
	p = pgq_record_primary(f->r);
	/* A loss timed on an older renewal must not count: the lease was renewed since. */
	REJECT(f, "lease_seq 0 is not the recorded lease_seq 1 (S4)", pgq_cmd_primary_lost, 1, 0,
	       9000);
	REJECT(f, "epoch 2 is not the recorded epoch 1 (S4)", pgq_cmd_primary_lost, 2, 1, 9000);
	OK(f, pgq_cmd_primary_lost, 1, 1, 9000);
	assert_int_equal(p->state, PGQ_PRIMARY_LOST);
	assert_int_equal(p->lost_index, f->index);
	assert_int_equal(p->lost_at_ms, 9000);
	REJECT(f, "the primary is already lost (S4)", pgq_cmd_primary_lost, 1, 1, 9001);
}

/* S9: a valid report was measured after the loss entry it names, on our timeline. */
static void test_report_valid_for_loss_S9(void **state)
{
	struct fx *f = *state;
	uint64_t lost;

	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 0x3000, 0, 0);
	fx_lose_primary(f);
	lost = pgq_record_primary(f->r)->lost_index;
	/* Measured before the loss: not valid. */
	assert_false(pgq_record_report_valid_for_loss(f->r, pgq_record_member_by_name(f->r, "pg2")));
	fx_report(f, "pg2", "replica", 1, 0x3100, 0, lost);
	assert_true(pgq_record_report_valid_for_loss(f->r, pgq_record_member_by_name(f->r, "pg2")));
	/* Another timeline: neither a candidate nor a valid report. */
	fx_report(f, "pg3", "replica", 7, 0x9999, 0, lost);
	assert_false(pgq_record_report_valid_for_loss(f->r, pgq_record_member_by_name(f->r, "pg3")));
	/* A report cannot name a loss entry that does not precede it. */
	{
		struct pgq_cmd_report rep = { .member = "pg3", .role = "replica", .state = "running",
					      .timeline = 1, .report_for_loss = 1000000,
					      .time_ms = 1 };
		REJECT(f, "does not precede this entry (S9)", pgq_cmd_member_report, &rep);
	}
}

/* S10, S4: naming a new primary bumps the epoch, empties the sync set, logs history. */
static void test_failover_new_epoch_empty_sync_set_S10(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");
	const char *set[] = { "pg2", "pg3" };
	const struct pgq_history_entry *h;
	const struct pgq_primary *p;

	fx_cluster3(f, cfg);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, set, 2, 1);
	assert_int_equal(pgq_record_sync_set(f->r)->n, 2);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x4000);
	fx_report_valid(f, "pg3", 0x3000);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0x4000, 10000);
	p = pgq_record_primary(f->r);
	assert_string_equal(p->name, "pg2");
	assert_int_equal(p->epoch, 2);
	assert_int_equal(p->lease_seq, 0);
	assert_int_equal(p->state, PGQ_PRIMARY_ACTIVE);
	assert_false(p->promoted);
	assert_int_equal(p->named_index, f->index);
	assert_int_equal(pgq_record_sync_set(f->r)->n, 0);
	assert_int_equal(pgq_record_sync_set(f->r)->k, 0);
	assert_int_equal(pgq_record_history_count(f->r), 2);
	h = pgq_record_history_at(f->r, 1);
	assert_int_equal(h->epoch, 2);
	assert_int_equal(h->reason, PGQ_CHANGE_FAILOVER);
	assert_string_equal(h->new_primary, "pg2");
	assert_int_equal(h->lsn, 0x4000);
	assert_int_equal(h->time_ms, 10000);
	/* The same proposal replayed (stale epoch) never acts twice. */
	REJECT(f, "(S4)", pgq_cmd_set_primary, "pg3", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10001);
	/* The old primary's renewals for epoch 1 are refused for good. */
	REJECT(f, "not the primary of epoch 2", pgq_cmd_lease_renew, "pg1", 1, 1, 5, 30000, 10002);
	json_decref(cfg);
}

/* S18, S4: no new primary while the recorded one still holds its lease. */
static void test_failover_while_lease_held_rejected_S18(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "primary 'pg1' still holds its lease (S18)", pgq_cmd_set_primary, "pg2", 1, 1,
	       PGQ_CHANGE_MANUAL, true, 0, 5000);
	fx_lose_primary(f);
	REJECT(f, "lease_seq 0 is not the recorded lease_seq 1 (S4)", pgq_cmd_set_primary, "pg2", 1,
	       0, PGQ_CHANGE_FAILOVER, false, 0, 5000);
	REJECT(f, "epoch 2 is not the recorded epoch 1 (S4)", pgq_cmd_set_primary, "pg2", 2, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 5000);
	REJECT(f, "no member 'pg9'", pgq_cmd_set_primary, "pg9", 1, 1, PGQ_CHANGE_FAILOVER, false,
	       0, 5000);
}

/* S18: pause stops automatic failover, not an operator's. */
static void test_paused_blocks_automatic_failover_only_S18(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_pause, 4000);
	/* S18: pause never disables renewals. */
	fx_renew(f);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	REJECT(f, "paused: no automatic failover (S18)", pgq_cmd_set_primary, "pg2", 1, 2,
	       PGQ_CHANGE_FAILOVER, false, 0, 10000);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 2, PGQ_CHANGE_MANUAL, false, 0, 10000);
	assert_int_equal(pgq_record_epoch(f->r), 2);
}

/*
 * S7, R2: switching synchronous_mode off changes the record at once, while
 * PostgreSQL still waits for S_rec until the primary's agent reconfigures
 * it and empties the set. A failover in that window must still follow S8:
 * pg3 (ahead, but not in S_rec) is refused, pg2 (in S_rec) is named
 * (review 2026-11-27, R4).
 */
static void test_sync_off_with_recorded_set_still_follows_S8(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");
	json_t *off = json_pack("{s:s}", "synchronous_mode", "off");
	const char *set[] = { "pg2" };

	fx_cluster3(f, cfg);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, set, 1, 1);
	OK(f, pgq_cmd_config_patch, off, 3000);
	assert_int_equal(pgq_record_config(f->r)->synchronous_mode, PGQ_RECORD_SYNC_OFF);
	assert_int_equal(pgq_record_sync_set(f->r)->k, 1); /* PostgreSQL not switched yet */
	fx_lose_primary(f);
	fx_report_valid(f, "pg3", 0x5000);
	REJECT(f, "not in the recorded synchronous set (S8)", pgq_cmd_set_primary, "pg3", 1, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_report_valid(f, "pg2", 0x4000);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0x4000, 10000);
	json_decref(cfg);
	json_decref(off);
}

/*
 * S7, S8: in synchronous mode only a member of S_rec, never with k_rec = 0,
 * only once |S_rec| - k_rec + 1 members of S_rec reported after the loss, and
 * only the most advanced of them.
 */
static void test_failover_sync_rules_S7_S8(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "quorum");
	const char *both[] = { "pg1", "pg2" };
	const char *one[] = { "pg2" };

	fx_cluster3(f, cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	REJECT(f, "k_rec = 0: failover needs allow_data_loss, or the old primary 'pg1' named "
	       "again (S7, C18)", pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0,
	       10000);
	REJECT(f, "allow_data_loss is for an operator's failover (S18)", pgq_cmd_set_primary, "pg2",
	       1, 1, PGQ_CHANGE_FAILOVER, true, 0, 10000);
	/* --allow-data-loss relaxes R2 for the operator (S18, L4). */
	OK(f, pgq_cmd_set_primary, "pg3", 1, 1, PGQ_CHANGE_MANUAL, true, 0, 10000);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg3", 2, 2, 0x7000, 11000);
	OK(f, pgq_cmd_sync_set_update, "pg3", 2, 1, both, 2, 1);
	fx_lose_primary(f);
	/* ANY 1 of 2: both members of S_rec must have reported (2 - 1 + 1). */
	fx_report_valid(f, "pg2", 0x7500);
	REJECT(f, "1 valid reports from the synchronous set, 2 needed (S8)", pgq_cmd_set_primary,
	       "pg2", 2, 1, PGQ_CHANGE_FAILOVER, false, 0, 20000);
	fx_report_valid(f, "pg1", 0x7600);
	REJECT(f, "'pg2' is at 29952, behind 30208 reported in the synchronous set (S8)",
	       pgq_cmd_set_primary, "pg2", 2, 1, PGQ_CHANGE_MANUAL, false, 0, 20000);
	OK(f, pgq_cmd_set_primary, "pg1", 2, 1, PGQ_CHANGE_FAILOVER, false, 0, 20000);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg1", 3, 3, 0x7600, 21000);
	OK(f, pgq_cmd_sync_set_update, "pg1", 3, 1, one, 1, 1);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x8000);
	fx_report_valid(f, "pg3", 0x9000);
	REJECT(f, "member 'pg3' is not in the recorded synchronous set (S8)", pgq_cmd_set_primary,
	       "pg3", 3, 1, PGQ_CHANGE_FAILOVER, false, 0, 30000);
	OK(f, pgq_cmd_set_primary, "pg2", 3, 1, PGQ_CHANGE_FAILOVER, false, 0, 30000);
	json_decref(cfg);
}

/* C18: with k_rec = 0 the lost primary itself may be named again (it has every ack). */
static void test_failover_k0_old_primary_C18(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:s}", "synchronous_mode", "on");

	fx_cluster3(f, cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x200);
	REJECT(f, "'pg1' has no report measured after entry", pgq_cmd_set_primary, "pg1", 1, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_report_valid(f, "pg1", 0x100);
	OK(f, pgq_cmd_set_primary, "pg1", 1, 1, PGQ_CHANGE_FAILOVER, false, 0x100, 10000);
	/* (b) lost before promoted{}: a member at or past the naming LSN 0x100 qualifies. */
	fx_renew(f);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0xff);
	fx_report_valid(f, "pg3", 0x100);
	REJECT(f, "k_rec = 0: failover needs allow_data_loss", pgq_cmd_set_primary, "pg2", 2, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 20000);
	OK(f, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_FAILOVER, false, 0x100, 20000);
	json_decref(cfg);
}

/* S9: a candidate must have reported after the loss entry, on the record's timeline. */
static void test_failover_needs_valid_report_S9(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 0x100, 0, 0);
	fx_lose_primary(f);
	REJECT(f, "'pg2' has no report measured after entry 5 on timeline 1 (S9)",
	       pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_report(f, "pg2", "replica", 2, 0x100, 0, pgq_record_primary(f->r)->lost_index);
	REJECT(f, "(S9)", pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_MANUAL, false, 0, 10000);
	/* The operator may force it (S18: --allow-data-loss). */
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_MANUAL, true, 0, 10000);
}

/* R4: a nofailover member is never named by a failover. */
static void test_failover_nofailover_rejected_R4(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_tags tags = { .nofailover = true, .failover_priority = 1 };
	struct pgq_cmd_member upd = { .name = "pg2", .tags = &tags };

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_member_update, &upd);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	REJECT(f, "member 'pg2' is tagged nofailover (R4)", pgq_cmd_set_primary, "pg2", 1, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 10000);
}

/* L8: a promoted primary that gave up is not replaced automatically within the backoff. */
static void test_failover_backoff_L8(void **state)
{
	struct fx *f = *state;
	json_t *cfg = json_pack("{s:i}", "failover_backoff", 100);

	fx_cluster3(f, cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x100, 10500);
	OK(f, pgq_cmd_lease_release, "pg2", 2, 1, "postgres crashed", 20000);
	fx_report_valid(f, "pg3", 0x200);
	REJECT(f, "failover backoff: 10000 ms left (L8)", pgq_cmd_set_primary, "pg3", 2, 1,
	       PGQ_CHANGE_FAILOVER, false, 0, 100000);
	/* The operator may still act. */
	OK(f, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_MANUAL, false, 0, 100000);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg3", 3, 3, 0x200, 100500);
	/* A lease that actually lapsed is replaced at once. */
	fx_lose_primary(f);
	fx_report(f, "pg1", "replica", 3, 0x300, 0, pgq_record_primary(f->r)->lost_index);
	OK(f, pgq_cmd_set_primary, "pg1", 3, 1, PGQ_CHANGE_FAILOVER, false, 0, 101000);
	assert_int_equal(pgq_record_epoch(f->r), 4);
	json_decref(cfg);
}

/* S12: a promotion records a new timeline above every recorded one. */
static void test_promoted_records_timeline_S12(void **state)
{
	struct fx *f = *state;
	const struct pgq_timeline *t;

	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x1000);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0x1000, 10000);
	REJECT(f, "promotion before the first renewal committed (S1)", pgq_cmd_promoted, "pg2", 2, 2,
	       0x1100, 10100);
	fx_renew(f);
	REJECT(f, "not the primary of epoch 2", pgq_cmd_promoted, "pg3", 2, 2, 0x1100, 10100);
	REJECT(f, "timeline 1 is not above the recorded timeline 1 (S12)", pgq_cmd_promoted, "pg2",
	       2, 1, 0x1100, 10100);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x1100, 10100);
	assert_int_equal(pgq_record_timeline(f->r), 2);
	assert_int_equal(pgq_record_timeline_count(f->r), 2);
	t = pgq_record_timeline_at(f->r, 1);
	assert_int_equal(t->tli, 2);
	assert_int_equal(t->parent, 1);
	assert_int_equal(t->switch_lsn, 0x1100);
	assert_int_equal(pgq_record_history_at(f->r, 1)->lsn, 0x1100);
	REJECT(f, "epoch 2 already promoted (S12)", pgq_cmd_promoted, "pg2", 2, 3, 0x1200, 10200);
}

/* S19: pre_promote vetoes an unpromoted primary; the next candidate gets a new epoch. */
static void test_vetoed_S19(void **state)
{
	struct fx *f = *state;

	fx_cluster3(f, NULL);
	REJECT(f, "only an active, not yet promoted primary can be vetoed (S19)", pgq_cmd_vetoed,
	       "pg1", 1, 1, "hook said no", 4000);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_renew(f);
	REJECT(f, "(S4)", pgq_cmd_vetoed, "pg2", 2, 0, "hook said no", 10100);
	OK(f, pgq_cmd_vetoed, "pg2", 2, 1, "hook said no", 10100);
	assert_int_equal(pgq_record_primary(f->r)->state, PGQ_PRIMARY_VETOED);
	assert_int_equal(pgq_record_member_by_name(f->r, "pg2")->vetoed_epoch, 2);
	REJECT(f, "the primary is vetoed, not active (S4)", pgq_cmd_promoted, "pg2", 2, 2, 0, 10200);
	/* Reports name the veto entry: nothing was written since, but S9 stays simple. */
	fx_report_valid(f, "pg3", 0x100);
	OK(f, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_FAILOVER, false, 0, 10300);
	/* S19: the vetoed member never asked for promotion; pg1 still awaits its fence. */
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 1);
	assert_int_equal(pgq_record_epoch(f->r), 3);
}

/* L4: a blocked failover says why and since when; a new primary clears it. */
static void test_failover_blocked_L4(void **state)
{
	struct fx *f = *state;
	const struct pgq_failover_blocked *b;

	fx_cluster3(f, NULL);
	REJECT(f, "no failover needed: the primary holds its lease (L4)", pgq_cmd_failover_blocked,
	       1, 1, "fence", 5000);
	fx_lose_primary(f);
	REJECT(f, "no blocked failover to clear (L4)", pgq_cmd_failover_blocked, 1, 1, "", 5000);
	OK(f, pgq_cmd_failover_blocked, 1, 1, "fence of pg1 failing", 10000);
	b = pgq_record_failover_blocked(f->r);
	assert_true(b->set);
	assert_string_equal(b->waiting_for, "fence of pg1 failing");
	assert_int_equal(b->since_ms, 10000);
	REJECT(f, "same reason (L4)", pgq_cmd_failover_blocked, 1, 1, "fence of pg1 failing", 11000);
	OK(f, pgq_cmd_failover_blocked, 1, 1, "reports from 2 of 3 members", 12000);
	assert_int_equal(b->since_ms, 10000); /* still blocked since the first reason */
	REJECT(f, "(S4)", pgq_cmd_failover_blocked, 1, 0, "x", 12000);
	OK(f, pgq_cmd_failover_blocked, 1, 1, "", 13000);
	assert_false(b->set);
	OK(f, pgq_cmd_failover_blocked, 1, 1, "fence", 14000);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 15000);
	assert_false(b->set);
}

/*
 * S19/L8 (docs/safety-changes.md C16): a named, unpromoted primary whose
 * required fence fails says so in failover_blocked and clears it once
 * fenced; a promoted primary, or one with no fence pending, cannot.
 */
static void test_failover_blocked_by_fence_S19(void **state)
{
	struct fx *f = *state;
	const struct pgq_failover_blocked *b;

	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	fx_renew(f);
	OK(f, pgq_cmd_failover_blocked, 2, 1, "fence exec hook failed with code 1", 10100);
	b = pgq_record_failover_blocked(f->r);
	assert_true(b->set);
	assert_int_equal(b->epoch, 2);
	assert_string_equal(b->waiting_for, "fence exec hook failed with code 1");
	OK(f, pgq_cmd_failover_blocked, 2, 1, "", 10200);
	assert_false(b->set);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x100, 10300);
	REJECT(f, "no failover needed: the primary holds its lease (L4)", pgq_cmd_failover_blocked,
	       2, 1, "fence", 10400);
}

/* S19: unclean ends (lost, released) leave a fence to run before the next promotion. */
static void test_fence_pending_S19(void **state)
{
	struct fx *f = *state;
	const char (*names)[PGQ_RECORD_NAME_MAX];

	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 0x100);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0, 10000);
	assert_int_equal(pgq_record_fence_pending(f->r, &names), 1);
	assert_string_equal(names[0], "pg1");
	/* The fence hook needs its addresses: it stays in the table meanwhile. */
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 0x100, 10100);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 0);
	/* Released: not a clean loss either (only demoted{} is). */
	OK(f, pgq_cmd_lease_release, "pg2", 2, 1, "hung", 20000);
	fx_report_valid(f, "pg3", 0x200);
	OK(f, pgq_cmd_set_primary, "pg3", 2, 1, PGQ_CHANGE_MANUAL, false, 0, 20100);
	assert_int_equal(pgq_record_fence_pending(f->r, &names), 1);
	assert_string_equal(names[0], "pg2");
	REJECT(f, "member 'pg2' awaits fencing (S19)", pgq_cmd_member_remove, "pg2", false);
	/* L8: an operator confirms the node is down when a required fence keeps failing
	 * (test_record_fence.c covers every case). */
	fx_renew(f);
	OK(f, pgq_cmd_failover_blocked, 3, 1, "fence exec hook failed with code 1", 20150);
	REJECT(f, "'pg1' does not await fencing (S19)", pgq_cmd_fence_confirm, "pg1", 3, 20200);
	OK(f, pgq_cmd_fence_confirm, "pg2", 3, 20200);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 0);
	/* A clean demotion needs no fence. */
	OK(f, pgq_cmd_promoted, "pg3", 3, 3, 0x300, 20300);
	OK(f, pgq_cmd_demoted, "pg3", 3, 1, 0x400, 3, 20400);
	fx_report_valid(f, "pg1", 0x400);
	OK(f, pgq_cmd_set_primary, "pg1", 3, 1, PGQ_CHANGE_MANUAL, false, 0, 20500);
	assert_int_equal(pgq_record_fence_pending(f->r, NULL), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bootstrap_grants_no_lease_S1),
		T(test_renew_increments_lease_seq_S2_S4),
		T(test_renew_wrong_epoch_rejected_S4),
		T(test_renew_wrong_lease_seq_rejected_S4),
		T(test_renew_from_non_primary_rejected_S4),
		T(test_renew_after_loss_rejected_S4),
		T(test_renew_after_demoted_rejected_S4),
		T(test_loss_ttl_tracks_config_since_renewal_S2),
		T(test_lease_release_S5_S4),
		T(test_primary_lost_S4_S9),
		T(test_failover_blocked_by_fence_S19),
		T(test_report_valid_for_loss_S9),
		T(test_failover_new_epoch_empty_sync_set_S10),
		T(test_failover_while_lease_held_rejected_S18),
		T(test_paused_blocks_automatic_failover_only_S18),
		T(test_failover_sync_rules_S7_S8),
		T(test_failover_k0_old_primary_C18),
		T(test_sync_off_with_recorded_set_still_follows_S8),
		T(test_failover_needs_valid_report_S9),
		T(test_failover_nofailover_rejected_R4),
		T(test_failover_backoff_L8),
		T(test_promoted_records_timeline_S12),
		T(test_vetoed_S19),
		T(test_failover_blocked_L4),
		T(test_fence_pending_S19),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

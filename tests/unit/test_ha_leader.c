/*
 * test_ha_leader.c — what the Raft leader proposes (SAFETY.md S2, S3, S7,
 * S8, S9, S13, S15, S18, R4, L4, L5, L8). Every proposal is applied to a
 * real record, so a test also proves the record accepts it.
 */
#include <string.h>

#include "ha_fixture.h"
#include "ha/candidate.h"

#define WALL0 1764240000000ull

static void observe(struct pgq_ha_leader_clock *c, struct fx *f, uint64_t now)
{
	pgq_ha_leader_observe(c, f->r, now);
}

/* Decide at now; return the index of command `name` (or -1); d must be freed. */
static int lead_at(struct fx *f, const struct pgq_ha_leader_clock *c, uint64_t now,
		   struct pgq_ha_leader_decision *d, const char *name)
{
	struct pgq_ha_leader_input in;

	hx_leader_input(&in, now);
	hx_lead(f, c, &in, d);
	return pgq_ha_cmds_find(&d->cmds, name);
}

static void expect_none(struct fx *f, const struct pgq_ha_leader_clock *c, uint64_t now)
{
	struct pgq_ha_leader_decision d;

	lead_at(f, c, now, &d, "");
	if (d.cmds.n != 0)
		fail_msg("expected no command at %llu, got %s (%s)", (unsigned long long)now,
			 d.cmds.cmd[0].name, d.cmds.cmd[0].reason);
	pgq_ha_cmds_free(&d.cmds);
}

/* Decide at now, expect `name`, apply it, expect `rc`. */
static void expect_apply(struct fx *f, const struct pgq_ha_leader_clock *c, uint64_t now,
			 const char *name, int rc)
{
	struct pgq_ha_leader_decision d;

	if (lead_at(f, c, now, &d, name) < 0)
		fail_msg("expected %s at %llu; note: %s", name, (unsigned long long)now, d.note);
	assert_int_equal(hx_apply(f, &d.cmds, name), rc);
	pgq_ha_cmds_free(&d.cmds);
}

static const struct pgq_member *primary(struct fx *f)
{
	return pgq_record_primary_member(f->r);
}

/* S2: the loss is declared exactly at apply + ttl(1+2ρ) + drift_floor, not 1 ms before. */
static void test_s2_loss_at_deadline_not_before(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	expect_none(f, &c, 1000 + 30030 + 500 - 1);
	expect_apply(f, &c, 1000 + 30030 + 500, "primary_lost", PGQ_RECORD_APPLIED);
	assert_int_equal(pgq_record_primary(f->r)->state, PGQ_PRIMARY_LOST);
}

/* S2: each accepted renewal restarts the timer from the leader's own apply. */
static void test_s2_renewal_restarts_timer(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	fx_renew(f);
	observe(&c, f, 20000);
	expect_none(f, &c, 31530);
	expect_none(f, &c, 20000 + 30530 - 1);
	expect_apply(f, &c, 20000 + 30530, "primary_lost", PGQ_RECORD_APPLIED);
}

/* S2: a loss built on an older renewal is rejected by the record's CAS (S4). */
static void test_s2_stale_loss_rejected(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 40000, &d, "primary_lost") >= 0);
	fx_renew(f); /* committed before the loss entry */
	assert_int_equal(hx_apply(f, &d.cmds, "primary_lost"), PGQ_RECORD_REJECTED);
	pgq_ha_cmds_free(&d.cmds);
}

/* S2: without its own apply time of the timer entry, the leader declares nothing. */
static void test_s2_unobserved_timer_never_fires(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, NULL);
	expect_none(f, &c, 10000000);
}

/*
 * S1/S15 (C14): the bootstrap primary claims its first lease only after
 * initdb, which may outlast a ttl: its naming entry is not timed; from its
 * first accepted renewal on, the ordinary S2 timer runs.
 */
static void test_c14_bootstrap_naming_not_timed(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_bootstrap3(f, NULL);
	assert_true(pgq_ha_bootstrap_unclaimed(pgq_record_primary(f->r)));
	observe(&c, f, 1000);
	expect_none(f, &c, 1000 + 30030 + 500);
	expect_none(f, &c, 10000000);
	fx_renew(f);
	assert_false(pgq_ha_bootstrap_unclaimed(pgq_record_primary(f->r)));
	observe(&c, f, 10000000);
	expect_none(f, &c, 10000000 + 30530 - 1);
	expect_apply(f, &c, 10000000 + 30530, "primary_lost", PGQ_RECORD_APPLIED);
}

/* S3: a new leader waits a whole lease from its election. */
static void test_s3_new_leader_waits_whole_lease(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	hx_leader_input(&in, 40000 + 30530 - 1);
	in.became_leader_ms = 40000;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(d.cmds.n, 0);
	assert_true(d.next_check_ms == 40000 + 30530);
	in.now_ms = 40000 + 30530;
	hx_lead(f, &c, &in, &d);
	assert_true(pgq_ha_cmds_find(&d.cmds, "primary_lost") >= 0);
	pgq_ha_cmds_free(&d.cmds);
}

/* S3: voters' ages for the latest renewal entry shorten the new leader's wait. */
static void test_s3_wait_shortened_by_ages(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;
	struct pgq_lease_voter_age age = { .index = 2, .term = 1, .age_ms = 20002,
					   .received_ms = 40000 };

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	hx_leader_input(&in, 20000 + 30530);
	in.became_leader_ms = 40000;
	in.renewal_index = 2;
	in.renewal_term = 1;
	in.ages = &age;
	in.n_ages = 1;
	/* appended at 40000 - (20002 - 11) = 20009 → deadline 50539. */
	in.now_ms = 50538;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(d.cmds.n, 0);
	in.now_ms = 50539;
	hx_lead(f, &c, &in, &d);
	assert_true(pgq_ha_cmds_find(&d.cmds, "primary_lost") >= 0);
	pgq_ha_cmds_free(&d.cmds);
}

/* S3: never declare the loss while a leadership transfer is under way. */
static void test_s3_no_loss_during_transfer(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	hx_leader_input(&in, 100000);
	in.transfer_in_progress = true;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(d.cmds.n, 0);
	assert_non_null(strstr(d.note, "transfer"));
}

/* S3: a transfer is allowed only while the primary renews on schedule. */
static void test_s3_transfer_allowed_only_when_renewing(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, NULL);
	observe(&c, f, 1000);
	assert_true(pgq_ha_leader_transfer_allowed(f->r, &c, 1000 + 10000));
	assert_false(pgq_ha_leader_transfer_allowed(f->r, &c, 1000 + 10001));
	fx_lose_primary(f);
	observe(&c, f, 12000);
	assert_false(pgq_ha_leader_transfer_allowed(f->r, &c, 12000));
}

/*
 * S3 hand-over target: only from the primary's host, only to an up-to-date
 * voter heard from lately that reports a running replica on the record's
 * timeline (never a member still cloning).
 */
static void test_s3_transfer_target_settled_replica(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_peer_progress peers[] = {
		{ .name = "pg2", .match = 40, .voter = true, .recent_active = true },
		{ .name = "pg3", .match = 50, .voter = true, .recent_active = true },
	};

	fx_cluster3(f, NULL);
	/* No reports yet (cloning): nobody. */
	assert_null(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 40));
	fx_report(f, "pg2", "replica", 1, 100, 0, 0);
	assert_string_equal(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 40), "pg2");
	/* Not from another host than the primary's. */
	assert_null(pgq_ha_transfer_target(f->r, "pg2", peers, 2, 40));
	/* Behind the commit index, or not heard from: not a target. */
	assert_null(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 45));
	fx_report(f, "pg3", "replica", 1, 100, 0, 0);
	assert_string_equal(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 40), "pg3");
	peers[1].recent_active = false;
	assert_string_equal(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 40), "pg2");
	/* A member reporting no running replica (e.g. stopped, re-cloning) is skipped. */
	fx_report(f, "pg2", "unknown", 1, 100, 0, 0);
	assert_null(pgq_ha_transfer_target(f->r, "pg1", peers, 2, 40));
}

/* Decide the failover after the report timeout; return the chosen name in buf. */
static void failover_pick(struct fx *f, char *buf, size_t len)
{
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;
	int i;

	observe(&c, f, 1000);
	i = lead_at(f, &c, 1000 + hx_timing.report_timeout_ms, &d, "set_primary");
	if (i < 0)
		fail_msg("no set_primary: %s", d.note);
	assert_int_equal(hx_apply(f, &d.cmds, "set_primary"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&d.cmds);
	snprintf(buf, len, "%s", primary(f)->name);
}

/* R4: the highest LSN wins. */
static void test_r4_highest_lsn_wins(void **state)
{
	struct fx *f = *state;
	char who[64];

	hx_lost_with_reports(f, 5000, 6000);
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg3");
	assert_int_equal(pgq_record_epoch(f->r), 2);
}

/* R4 ties: equal LSN → higher failover_priority, then the smaller name. */
static void test_r4_ties_priority_then_name(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_tags t = { .failover_priority = 5 };
	struct pgq_cmd_member m = { .name = "pg3", .tags = &t };
	char who[64];

	hx_lost_with_reports(f, 6000, 6000);
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg2"); /* same priority: name */
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	hx_lost_with_reports(f, 6000, 6000);
	OK(f, pgq_cmd_member_update, &m);
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg3"); /* priority beats name */
}

/* L5: ties at the same LSN go to the smaller replay backlog first. */
static void test_l5_tie_smaller_replay_backlog(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_report rep = { .member = "pg2", .role = "replica", .state = "running",
				      .timeline = 1, .receive_lsn = 6000, .replay_lsn = 3000,
				      .flush_lsn = 6000, .time_ms = 5000 };
	char who[64];

	hx_lost_with_reports(f, 0, 6000);
	rep.report_for_loss = pgq_record_primary(f->r)->lost_index;
	OK(f, pgq_cmd_member_report, &rep);
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg3");
}

/* R4, S8, L4: the most advanced is nofailover → nobody, failover_blocked recorded once. */
static void test_s8_l4_most_advanced_nofailover_blocked_and_recorded(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_tags t = { .nofailover = true, .failover_priority = 1 };
	struct pgq_cmd_member m = { .name = "pg3", .tags = &t };
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	hx_lost_with_reports(f, 5000, 6000);
	OK(f, pgq_cmd_member_update, &m);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 6000, &d, "set_primary") < 0);
	assert_true(pgq_ha_cmds_find(&d.cmds, "failover_blocked") >= 0);
	assert_non_null(strstr(d.cmds.cmd[0].reason, "S8"));
	assert_int_equal(hx_apply(f, &d.cmds, "failover_blocked"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&d.cmds);
	assert_true(pgq_record_failover_blocked(f->r)->set);
	assert_non_null(strstr(pgq_record_failover_blocked(f->r)->waiting_for, "pg3"));
	expect_none(f, &c, 7000); /* L4: the same reason is not proposed again */
	/* pg2 catches up from pg3 and reports again: now it is promoted. */
	fx_report_valid(f, "pg2", 6000);
	expect_apply(f, &c, 8000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg2");
}

/* R4: every candidate lagging beyond maximum_lag_on_failover → blocked. */
static void test_r4_maximum_lag_blocks(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	fx_report(f, "pg1", "primary", 1, 5000000, 0, 0); /* the primary's last position */
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 4000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 6000, &d, "set_primary") < 0);
	assert_true(pgq_ha_cmds_find(&d.cmds, "failover_blocked") >= 0);
	assert_non_null(strstr(d.note, "maximum_lag_on_failover"));
	pgq_ha_cmds_free(&d.cmds);
}

/*
 * R4, S8 (pg_maxlag.sh): blocked by the lag, then the old primary's agent
 * comes back. Its first report (PostgreSQL not yet up) replaces the position
 * it last reported as primary; the lagging standby must still not be named.
 * Once the old primary reports after the loss, it is the candidate.
 */
static void test_r4_lag_holds_when_old_primary_returns(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	fx_report(f, "pg1", "primary", 1, 5000000, 0, 0);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 4000);
	observe(&c, f, 1000);
	expect_apply(f, &c, 6000, "failover_blocked", PGQ_RECORD_APPLIED);
	fx_report(f, "pg1", "unknown", 1, 0, 0, 0); /* agent back, PostgreSQL down */
	assert_true(lead_at(f, &c, 7000, &d, "set_primary") < 0);
	pgq_ha_cmds_free(&d.cmds);
	fx_report_valid(f, "pg1", 5000000); /* restarted read-only, fenced (S5) */
	expect_apply(f, &c, 8000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg1");
}

/* S9: the leader waits for every reachable member's report, or the report timeout. */
static void test_s9_waits_for_reports(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;
	const char *reach[] = { "pg2" };

	hx_lost_with_reports(f, 5000, 0);
	observe(&c, f, 1000);
	hx_leader_input(&in, 1000 + 5000 - 1);
	hx_lead(f, &c, &in, &d);
	assert_int_equal(d.cmds.n, 0);
	assert_true(d.next_check_ms == 6000);
	in.reachable = reach; /* pg3 unreachable: pg2's report is all there is to wait for */
	in.n_reachable = 1;
	hx_lead(f, &c, &in, &d);
	assert_true(pgq_ha_cmds_find(&d.cmds, "set_primary") >= 0);
	pgq_ha_cmds_free(&d.cmds);
	in.reachable = NULL;
	in.now_ms = 6000;
	hx_lead(f, &c, &in, &d);
	assert_true(pgq_ha_cmds_find(&d.cmds, "set_primary") >= 0);
	pgq_ha_cmds_free(&d.cmds);
}

/* S9: a report not measured after the loss is not a candidate, whatever its LSN. */
static void test_s9_stale_report_ignored(void **state)
{
	struct fx *f = *state;
	char who[64];

	hx_lost_with_reports(f, 5000, 0);
	fx_report(f, "pg3", "replica", 1, 9000, 0, 0); /* not naming the loss */
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg2");
}

static json_t *sync_config(const char *mode)
{
	return json_pack("{s:s}", "synchronous_mode", mode);
}

/* S8: synchronous mode needs |S_rec| − k_rec + 1 valid reports from S_rec. */
static void test_s8_sync_needs_quorum_of_reports(void **state)
{
	struct fx *f = *state;
	json_t *cfg = sync_config("quorum");
	const char *set[] = { "pg2", "pg3" };
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, cfg);
	json_decref(cfg);
	OK(f, pgq_cmd_sync_set_update, "pg1", 1, 1, set, 2, 1);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 5000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 7000, &d, "set_primary") < 0);
	assert_non_null(strstr(d.note, "needed (S8)"));
	pgq_ha_cmds_free(&d.cmds);
	fx_report_valid(f, "pg3", 5500);
	expect_apply(f, &c, 7000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg3");
}

/* S7: synchronous mode with k_rec = 0 means no automatic failover. */
static void test_s7_k0_no_automatic_failover(void **state)
{
	struct fx *f = *state;
	json_t *cfg = sync_config("on");
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, cfg);
	json_decref(cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 5000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 7000, &d, "set_primary") < 0);
	assert_non_null(strstr(d.note, "k_rec = 0"));
	pgq_ha_cmds_free(&d.cmds);
}

/*
 * C18: with k_rec = 0 only the lost primary holds every acknowledged commit:
 * once it reports read-only after the loss (S9), it alone is named again —
 * even behind the standbys' LSNs, and never a standby.
 */
static void test_c18_k0_old_primary_named_again(void **state)
{
	struct fx *f = *state;
	json_t *cfg = sync_config("quorum");
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, cfg);
	json_decref(cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 6000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 7000, &d, "set_primary") < 0);
	assert_non_null(strstr(d.note, "only 'pg1' may be named again"));
	pgq_ha_cmds_free(&d.cmds);
	fx_report_valid(f, "pg1", 4000);
	expect_apply(f, &c, 7100, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg1");
}

/*
 * C18 (b): a primary named with k_rec = 0 and lost before promoted{}
 * acknowledged nothing: any member at or past the LSN it was named at holds
 * every acknowledged commit; a member behind it does not.
 */
static void test_c18_k0_unpromoted_named_from_naming_lsn(void **state)
{
	struct fx *f = *state;
	json_t *cfg = sync_config("quorum");
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, cfg);
	json_decref(cfg);
	fx_lose_primary(f);
	fx_report_valid(f, "pg1", 5000);
	fx_report_valid(f, "pg2", 4000);
	fx_report_valid(f, "pg3", 3000);
	observe(&c, f, 1000);
	expect_apply(f, &c, 7000, "set_primary", PGQ_RECORD_APPLIED); /* pg1 again, at 5000 */
	assert_string_equal(primary(f)->name, "pg1");
	fx_renew(f);
	fx_lose_primary(f);                 /* never promoted; pg1 itself does not report */
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 4999);
	observe(&c, f, 20000);
	expect_apply(f, &c, 27000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg2");
}

/* S18: paused: the loss is still declared (safety), the failover is not (decision). */
static void test_s18_pause_blocks_failover_not_loss(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_pause, 2000);
	observe(&c, f, 1000);
	expect_apply(f, &c, 40000, "primary_lost", PGQ_RECORD_APPLIED);
	observe(&c, f, 40000);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 5000);
	assert_true(lead_at(f, &c, 50000, &d, "set_primary") < 0);
	assert_non_null(strstr(d.note, "paused"));
	pgq_ha_cmds_free(&d.cmds);
	OK(f, pgq_cmd_resume, 3000);
	expect_apply(f, &c, 50000, "set_primary", PGQ_RECORD_APPLIED);
}

/* L8: a failover-named primary that released its lease is not replaced within failover_backoff. */
static void test_l8_failover_backoff(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;
	const struct pgq_primary *p;

	hx_named(f, "pg2");
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg2", 2, 2, 5000, WALL0 + 1);
	p = pgq_record_primary(f->r);
	OK(f, pgq_cmd_lease_release, "pg2", 2, p->lease_seq, "hung", WALL0 + 2);
	fx_report_valid(f, "pg3", 6000);
	observe(&c, f, 1000);
	hx_leader_input(&in, 10000);
	in.wall_ms = WALL0 + 59999;
	hx_lead(f, &c, &in, &d);
	assert_true(pgq_ha_cmds_find(&d.cmds, "set_primary") < 0);
	assert_non_null(strstr(d.note, "L8"));
	pgq_ha_cmds_free(&d.cmds);
	in.wall_ms = WALL0 + 60000;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(hx_apply(f, &d.cmds, "set_primary"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&d.cmds);
	assert_string_equal(primary(f)->name, "pg3");
}

/* Start a switchover pg1 → pg2 on a promoted cluster. */
static void switchover_start(struct fx *f)
{
	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 7000, 0, 0);
	fx_report(f, "pg3", "replica", 1, 7000, 0, 0);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, WALL0);
}

/* S13 (2)-(3): after demoted{}, the target is named only once it flushed final_lsn. */
static void test_s13_switchover_names_target_after_final_lsn(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	switchover_start(f);
	observe(&c, f, 1000);
	expect_none(f, &c, 2000); /* demoting: P keeps its lease */
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 8000, 1, WALL0 + 1);
	observe(&c, f, 3000);
	expect_none(f, &c, 4000); /* pg2 at 7000 < final_lsn 8000 */
	fx_report(f, "pg2", "replica", 1, 8000, 0, 0);
	expect_apply(f, &c, 5000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg2");
	assert_int_equal(pgq_record_primary(f->r)->named_reason, PGQ_CHANGE_SWITCHOVER);
}

/* S13 (4): a primary that does not demote in time: the switchover is aborted. */
static void test_s13_demoting_timeout_aborts(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	switchover_start(f);
	observe(&c, f, 1000);
	fx_renew(f); /* P keeps renewing while it demotes */
	observe(&c, f, 30000);
	fx_renew(f);
	observe(&c, f, 55000);
	expect_none(f, &c, 1000 + 60000 - 1);
	expect_apply(f, &c, 1000 + 60000, "switchover_abort", PGQ_RECORD_APPLIED);
	assert_int_equal(pgq_record_switchover(f->r)->phase, PGQ_SWITCHOVER_ABORTED);
	/* P still holds its lease: nobody is named until it demotes or is lost. */
	observe(&c, f, 61000);
	expect_none(f, &c, 62000);
}

/* S13 (4): target never reaches final_lsn: abort, then the most complete member. */
static void test_s13_abort_names_most_complete(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	switchover_start(f);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 8000, 1, WALL0 + 1);
	fx_report(f, "pg3", "replica", 1, 8000, 0, 0);
	observe(&c, f, 1000);
	expect_apply(f, &c, 61000, "switchover_abort", PGQ_RECORD_APPLIED);
	observe(&c, f, 61000);
	expect_apply(f, &c, 61001, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg3");
}

/* S13 (4): nobody else complete: the old primary itself is named again. */
static void test_s13_abort_old_primary_when_alone(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	switchover_start(f);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 8000, 1, WALL0 + 1);
	OK(f, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTED, "operator", WALL0 + 2);
	observe(&c, f, 1000);
	expect_apply(f, &c, 2000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg1");
	assert_int_equal(pgq_record_epoch(f->r), 2);
}

/* S13: the lease lapses while demoting: abort first, then a normal failover. */
static void test_s13_lost_while_demoting(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	switchover_start(f);
	observe(&c, f, 1000);
	expect_apply(f, &c, 40000, "primary_lost", PGQ_RECORD_APPLIED);
	observe(&c, f, 40000);
	expect_apply(f, &c, 40001, "switchover_abort", PGQ_RECORD_APPLIED);
	observe(&c, f, 40001);
	fx_report_valid(f, "pg2", 7000);
	fx_report_valid(f, "pg3", 7000);
	expect_apply(f, &c, 40002, "set_primary", PGQ_RECORD_APPLIED);
}

/* A scheduled switchover starts at its time, not before. */
static void test_scheduled_switchover(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 7000, 0, 0);
	OK(f, pgq_cmd_switchover_schedule, "pg1", "pg2", WALL0 + 5000, WALL0);
	fx_renew(f);
	observe(&c, f, 1000);
	hx_leader_input(&in, 2000);
	in.wall_ms = WALL0 + 4999;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(d.cmds.n, 0);
	in.wall_ms = WALL0 + 5000;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(hx_apply(f, &d.cmds, "switchover_request"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&d.cmds);
}

/*
 * Patroni's rules: a scheduled switchover whose candidate never qualified
 * is dropped once max(2 x loop_wait, 10 s) past its time; one whose
 * primary is no longer the primary is dropped at once. Neither runs later
 * by surprise.
 */
static void test_scheduled_switchover_stale_cancelled(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_input in;
	struct pgq_ha_leader_decision d;

	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 7000, 50u << 20, 0); /* lags: not a candidate */
	OK(f, pgq_cmd_switchover_schedule, "pg1", "pg2", WALL0 + 5000, WALL0);
	fx_renew(f);
	observe(&c, f, 1000);
	hx_leader_input(&in, 2000);
	in.wall_ms = WALL0 + 5000 + 19999; /* 2 x loop_wait (10 s default) */
	hx_lead(f, &c, &in, &d);
	assert_int_equal(pgq_ha_cmds_find(&d.cmds, "switchover_cancel"), -1);
	assert_true(pgq_record_scheduled_switchover(f->r)->set);
	pgq_ha_cmds_free(&d.cmds);
	in.wall_ms = WALL0 + 5000 + 20001;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(hx_apply(f, &d.cmds, "switchover_cancel"), PGQ_RECORD_APPLIED);
	assert_false(pgq_record_scheduled_switchover(f->r)->set);
	pgq_ha_cmds_free(&d.cmds);

	/* Scheduled from pg1, but pg3 is the primary now (a failover came first). */
	OK(f, pgq_cmd_switchover_schedule, "pg1", "pg2", WALL0 + 90000, WALL0 + 30000);
	{
		const struct pgq_primary *p = pgq_record_primary(f->r);
		fx_lose_primary(f);
		fx_report_valid(f, "pg3", 0x100);
		OK(f, pgq_cmd_set_primary, "pg3", p->epoch, p->lease_seq, PGQ_CHANGE_FAILOVER, false,
		   0x100, WALL0 + 31000);
		fx_renew(f);
		OK(f, pgq_cmd_promoted, "pg3", pgq_record_epoch(f->r), 2, 0x100, WALL0 + 31000);
	}
	memset(&c, 0, sizeof c);
	observe(&c, f, 1000);
	hx_leader_input(&in, 2000);
	in.wall_ms = WALL0 + 32000;
	hx_lead(f, &c, &in, &d);
	assert_int_equal(hx_apply(f, &d.cmds, "switchover_cancel"), PGQ_RECORD_APPLIED);
	assert_false(pgq_record_scheduled_switchover(f->r)->set);
	pgq_ha_cmds_free(&d.cmds);
}

/* S19, S8: a vetoed candidate is not named again; being the most advanced, the others catch up first. */
static void test_s19_veto_then_next_candidate(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	hx_named(f, "pg2");
	OK(f, pgq_cmd_vetoed, "pg2", 2, 0, "pre_promote said no", WALL0);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 4000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 7000, &d, "set_primary") < 0);
	assert_non_null(strstr(d.note, "vetoed"));
	pgq_ha_cmds_free(&d.cmds);
	fx_report_valid(f, "pg3", 5000);
	expect_apply(f, &c, 7000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg3");
	assert_int_equal(pgq_record_epoch(f->r), 3);
}

/* C10: a vetoed member that nobody can catch up with is tried again after failover_backoff. */
static void test_s19_vetoed_retried_after_backoff(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };
	struct pgq_ha_leader_decision d;

	hx_named(f, "pg2");
	OK(f, pgq_cmd_vetoed, "pg2", 2, 0, "pre_promote said no", WALL0);
	fx_report_valid(f, "pg2", 5000);
	observe(&c, f, 1000);
	assert_true(lead_at(f, &c, 59999, &d, "set_primary") < 0);
	pgq_ha_cmds_free(&d.cmds);
	expect_apply(f, &c, 60000, "set_primary", PGQ_RECORD_APPLIED);
	assert_string_equal(primary(f)->name, "pg2");
	assert_int_equal(pgq_record_epoch(f->r), 3);
}

/* A former primary that fenced itself and runs read-only may be named again (it has everything). */
static void test_r4_former_primary_read_only_is_candidate(void **state)
{
	struct fx *f = *state;
	char who[64];

	hx_lost_with_reports(f, 4000, 4000);
	fx_report_valid(f, "pg1", 6000);
	failover_pick(f, who, sizeof(who));
	assert_string_equal(who, "pg1");
}

/* A primary that gave its lease up (S5) is replaced without waiting for a loss timer. */
static void test_s5_release_fails_over_at_once(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	fx_cluster3(f, NULL);
	OK(f, pgq_cmd_lease_release, "pg1", 1, 1, "postmaster not restartable", WALL0);
	fx_report_valid(f, "pg2", 5000);
	fx_report_valid(f, "pg3", 4000);
	observe(&c, f, 1000);
	expect_apply(f, &c, 1001, "set_primary", PGQ_RECORD_APPLIED); /* all reported: no wait */
	assert_string_equal(primary(f)->name, "pg2");
}

/* S15: the bootstrap choice is deterministic: the first peer that can initialise. */
static void test_s15_bootstrap_choice(void **state)
{
	const char *names[] = { "a", "b", "c" };
	bool none[] = { false, false, false }, some[] = { false, true, true };

	(void)state;
	assert_null(pgq_ha_bootstrap_choice(names, none, 3));
	assert_string_equal(pgq_ha_bootstrap_choice(names, some, 3), "b");
}

/* Not bootstrapped, or no managed primary: the leader proposes nothing. */
static void test_leader_idle_without_primary(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_leader_clock c = { 0 };

	expect_none(f, &c, 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_s2_loss_at_deadline_not_before, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s2_renewal_restarts_timer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s2_stale_loss_rejected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s2_unobserved_timer_never_fires, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s3_new_leader_waits_whole_lease, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s3_wait_shortened_by_ages, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s3_no_loss_during_transfer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s3_transfer_allowed_only_when_renewing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s3_transfer_target_settled_replica, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_r4_highest_lsn_wins, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_r4_ties_priority_then_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_l5_tie_smaller_replay_backlog, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s8_l4_most_advanced_nofailover_blocked_and_recorded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_r4_maximum_lag_blocks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_r4_lag_holds_when_old_primary_returns, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_s9_waits_for_reports, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s9_stale_report_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s8_sync_needs_quorum_of_reports, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s7_k0_no_automatic_failover, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_c18_k0_old_primary_named_again, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_c18_k0_unpromoted_named_from_naming_lsn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s18_pause_blocks_failover_not_loss, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_l8_failover_backoff, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s13_switchover_names_target_after_final_lsn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s13_demoting_timeout_aborts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s13_abort_names_most_complete, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s13_abort_old_primary_when_alone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s13_lost_while_demoting, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scheduled_switchover, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scheduled_switchover_stale_cancelled, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_s19_veto_then_next_candidate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s5_release_fails_over_at_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_s19_vetoed_retried_after_backoff, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_r4_former_primary_read_only_is_candidate, fx_setup, fx_teardown),
		cmocka_unit_test(test_s15_bootstrap_choice),
		cmocka_unit_test_setup_teardown(test_c14_bootstrap_naming_not_timed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_leader_idle_without_primary, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

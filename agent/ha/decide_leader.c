/*
 * decide_leader.c — what the Raft leader proposes about the primary:
 * declare it lost when its lease timer runs out (S2, S3), choose and name
 * a successor (S8, S9, R4, L4, L8, S18), drive a switchover through its
 * phases (S13), start a scheduled switchover.
 *
 * Only the leader decides these, and only on its own applied record; every
 * command is a compare-and-set on (epoch, lease_seq, phase) that the record
 * re-checks at apply (S4), so deciding twice, or on a stale view, is
 * harmless: the second proposal is rejected.
 */
#include <stdio.h>
#include <string.h>

#include "ha/candidate.h"
#include "ha/leader.h"
#include "record/record_cmd.h"

void pgq_ha_leader_observe(struct pgq_ha_leader_clock *c, const struct pgq_record *r,
			   uint64_t now_ms)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_switchover *sw = pgq_record_switchover(r);

	if (p->lease_timer_index != c->timer_index) {
		c->timer_index = p->lease_timer_index;
		c->timer_applied_ms = now_ms;
	}
	if (p->lost_index != c->lost_index) {
		c->lost_index = p->lost_index;
		c->lost_applied_ms = now_ms;
	}
	if (sw->epoch != c->sw_epoch || (int)sw->phase != c->sw_phase) {
		c->sw_epoch = sw->epoch;
		c->sw_phase = (int)sw->phase;
		c->sw_applied_ms = now_ms;
	}
	if (p->named_index != c->named_index) {
		c->named_index = p->named_index;
		c->named_applied_ms = now_ms;
	}
}

static bool holds_lease(enum pgq_primary_state s)
{
	return s == PGQ_PRIMARY_ACTIVE || s == PGQ_PRIMARY_DEMOTING;
}

bool pgq_ha_bootstrap_unclaimed(const struct pgq_primary *p)
{
	return p->epoch == 1 && p->lease_seq == 0 && !p->promoted && holds_lease(p->state);
}

uint64_t pgq_ha_leader_loss_deadline_ms(const struct pgq_record *r,
					const struct pgq_ha_leader_clock *c,
					const struct pgq_ha_leader_input *in)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	uint64_t timer, s3;

	if (!holds_lease(p->state))
		return UINT64_MAX;
	/*
	 * S1/S15 (docs/safety-changes.md C16): the bootstrap member claims its
	 * first lease only once initdb finished, which may take longer than a
	 * ttl; until that first renewal nobody can be writable and nobody else
	 * has data to take over, so its naming entry is not timed.
	 */
	if (pgq_ha_bootstrap_unclaimed(p))
		return UINT64_MAX;
	/* Not observed yet: we do not know our own apply time, so no deadline yet. */
	if (c->timer_index != p->lease_timer_index || p->lease_timer_index == 0)
		return UINT64_MAX;
	/* S2: from our own apply of the timer entry. */
	timer = pgq_lease_loss_deadline_ms(c->timer_applied_ms, p->loss_ttl_ms,
					   in->timing.drift_floor_ms);
	/* S3: a new leader also waits a whole lease from its election, unless voters shorten it. */
	s3 = pgq_lease_new_leader_deadline_ms(in->became_leader_ms, p->loss_ttl_ms,
					      in->timing.drift_floor_ms, in->renewal_index,
					      in->renewal_term, in->ages, in->n_ages);
	return timer > s3 ? timer : s3;
}

bool pgq_ha_leader_transfer_allowed(const struct pgq_record *r,
				    const struct pgq_ha_leader_clock *c, uint64_t now_ms)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const char *why;

	if (p->state == PGQ_PRIMARY_NONE)
		return true; /* no primary, no lease timer */
	if (p->state != PGQ_PRIMARY_ACTIVE || !p->promoted || p->lease_seq == 0 ||
	    pgq_record_change_in_progress(r, &why))
		return false;
	if (c->timer_index != p->lease_timer_index)
		return false;
	return pgq_ha_sub_sat(now_ms, c->timer_applied_ms) <= pgq_record_config(r)->loop_wait_ms;
}

const char *pgq_ha_transfer_target(const struct pgq_record *r, const char *me,
				   const struct pgq_ha_peer_progress *peers, size_t n,
				   uint64_t commit_index)
{
	const struct pgq_ha_peer_progress *best = NULL;

	if (me == NULL || strcmp(pgq_record_primary(r)->name, me) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pgq_ha_peer_progress *p = &peers[i];
		const struct pgq_member *m = p->name != NULL ? pgq_record_member_by_name(r, p->name)
							     : NULL;

		if (m == NULL || strcmp(p->name, me) == 0 || !p->voter || !p->recent_active ||
		    p->match < commit_index || !m->status.reported ||
		    strcmp(m->status.role, "replica") != 0 ||
		    strcmp(m->status.state, "running") != 0 ||
		    m->status.timeline != pgq_record_timeline(r))
			continue;
		if (best == NULL || p->match > best->match)
			best = p;
	}
	return best != NULL ? best->name : NULL;
}

const char *pgq_ha_bootstrap_choice(const char *const *names, const bool *can_init, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (can_init[i])
			return names[i];
	return NULL;
}

static void note(struct pgq_ha_leader_decision *d, const char *fmt, const char *arg)
{
	snprintf(d->note, sizeof(d->note), fmt, arg);
}

static void check_by(struct pgq_ha_leader_decision *d, uint64_t t)
{
	if (t < d->next_check_ms)
		d->next_check_ms = t;
}

static bool reachable(const struct pgq_ha_leader_input *in, const char *name)
{
	if (in->reachable == NULL)
		return true;
	for (size_t i = 0; i < in->n_reachable; i++)
		if (strcmp(in->reachable[i], name) == 0)
			return true;
	return false;
}

/* S9: every reachable member except the old primary has a valid report. */
static bool all_reported(const struct pgq_record *r, const struct pgq_ha_leader_input *in)
{
	const struct pgq_primary *p = pgq_record_primary(r);

	for (size_t i = 0; i < pgq_record_member_count(r); i++) {
		const struct pgq_member *m = pgq_record_member_at(r, i);

		if (strcmp(m->name, p->name) == 0 || !reachable(in, m->name))
			continue;
		if (!pgq_record_report_valid_for_loss(r, m))
			return false;
	}
	return true;
}

/* L8: the record's backoff rule, so the leader does not propose what apply refuses. */
static bool in_backoff(const struct pgq_record *r, uint64_t wall_ms, uint64_t *left_ms)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	uint64_t until = pgq_ha_add_sat(p->named_at_ms, pgq_record_config(r)->failover_backoff_ms);

	if (p->promoted &&
	    (p->named_reason == PGQ_CHANGE_FAILOVER || p->named_reason == PGQ_CHANGE_MANUAL) &&
	    (p->state == PGQ_PRIMARY_RELEASED || p->state == PGQ_PRIMARY_DEMOTED) &&
	    wall_ms < until) {
		*left_ms = until - wall_ms;
		return true;
	}
	return false;
}

/* L4: record why the failover waits, once per distinct reason. */
static int propose_blocked(const struct pgq_record *r, const struct pgq_ha_leader_input *in,
			   struct pgq_ha_leader_decision *d, const char *why)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_failover_blocked *b = pgq_record_failover_blocked(r);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	char text[PGQ_RECORD_TEXT_MAX];
	size_t n = strlen(why);

	/* The record keeps at most PGQ_RECORD_TEXT_MAX - 1 bytes of it. */
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, why, n);
	text[n] = '\0';
	note(d, "failover blocked: %s", text);
	if (b->set && b->epoch == p->epoch && strcmp(b->waiting_for, text) == 0)
		return 0;
	rc = pgq_cmd_failover_blocked(p->epoch, p->lease_seq, text, in->wall_ms, &buf, &len);
	return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "failover_blocked", "L4: %s", why);
}

static int propose_primary(const struct pgq_record *r, const struct pgq_ha_leader_input *in,
			   struct pgq_ha_leader_decision *d, const char *name,
			   enum pgq_change_reason reason, uint64_t lsn, const char *why)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_set_primary(name, p->epoch, p->lease_seq, reason, false, lsn, in->wall_ms,
				     &buf, &len);

	note(d, "naming %s", name);
	return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "set_primary", "%s: '%s' becomes primary "
			       "of epoch %llu", why, name, (unsigned long long)(p->epoch + 1));
}

/* Primary lost, released, vetoed or demoted without a switchover: fail over. */
static int decide_failover(const struct pgq_record *r, const struct pgq_ha_leader_clock *c,
			   const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d)
{
	struct pgq_ha_choice ch;
	uint64_t left_ms, report_deadline;
	bool final;
	if (pgq_record_paused(r))
		return propose_blocked(r, in, d, "paused: no automatic failover (S18)");
	if (in_backoff(r, in->wall_ms, &left_ms)) {
		check_by(d, pgq_ha_add_sat(in->now_ms, left_ms));
		return propose_blocked(r, in, d, "failover_backoff after a recent failover (L8)");
	}
	if (c->lost_index != pgq_record_primary(r)->lost_index)
		return 0; /* not observed yet: the report wait starts at our apply */
	report_deadline = pgq_ha_add_sat(c->lost_applied_ms, in->timing.report_timeout_ms);
	final = in->now_ms >= report_deadline || all_reported(r, in);
	pgq_ha_choose(r, final, in->wall_ms, &ch);
	switch (ch.kind) {
	case PGQ_CHOICE_PROMOTE:
		return propose_primary(r, in, d, ch.name, PGQ_CHANGE_FAILOVER, ch.lsn,
				       "R4/S8: best valid report");
	case PGQ_CHOICE_WAIT:
		check_by(d, report_deadline);
		note(d, "waiting: %.150s", ch.why);
		return 0;
	case PGQ_CHOICE_BLOCKED:
		break;
	}
	return propose_blocked(r, in, d, ch.why);
}

/* S13 (4) after an abort: the most complete member under a new epoch. */
static const struct pgq_member *most_complete(const struct pgq_record *r)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_member *best = NULL;

	for (size_t i = 0; i < pgq_record_member_count(r); i++) {
		const struct pgq_member *m = pgq_record_member_at(r, i);

		if (strcmp(m->name, p->name) == 0 || m->tags.nofailover || !m->status.reported ||
		    m->status.timeline != pgq_record_timeline(r) ||
		    m->status.flush_lsn < p->final_lsn || strcmp(m->status.state, "running") != 0)
			continue;
		if (best == NULL || pgq_ha_candidate_cmp(m, best) < 0)
			best = m;
	}
	/* The old primary always has everything it wrote: it restarts as primary. */
	return best != NULL ? best : pgq_record_primary_member(r);
}

static int propose_abort(const struct pgq_record *r, const struct pgq_ha_leader_input *in,
			 struct pgq_ha_leader_decision *d, enum pgq_switchover_phase phase,
			 const char *why)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_switchover_abort(pgq_record_primary(r)->epoch, phase, why, in->wall_ms,
					  &buf, &len);

	note(d, "aborting switchover: %s", why);
	return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "switchover_abort", "S13 (4): %s", why);
}

/* Switchover phases once the old primary stopped holding its lease. Returns 1 when handled. */
static int decide_switchover_after(const struct pgq_record *r,
				   const struct pgq_ha_leader_clock *c,
				   const struct pgq_ha_leader_input *in,
				   struct pgq_ha_leader_decision *d, int *rc)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_switchover *sw = pgq_record_switchover(r);
	uint64_t timeout_at = pgq_ha_add_sat(c->sw_applied_ms, in->timing.switchover_timeout_ms);
	const struct pgq_member *m;

	if (sw->epoch != p->epoch || sw->phase == PGQ_SWITCHOVER_NONE)
		return 0;
	if (sw->phase == PGQ_SWITCHOVER_DEMOTING) {
		/* The lease lapsed while demoting: the switchover must end before a failover. */
		*rc = propose_abort(r, in, d, PGQ_SWITCHOVER_DEMOTING,
				    "primary lost its lease while demoting");
		return 1;
	}
	if (p->state != PGQ_PRIMARY_DEMOTED)
		return 0; /* aborted and then lost: a normal failover */
	if (sw->phase == PGQ_SWITCHOVER_DEMOTED) {
		m = pgq_record_member_by_name(r, sw->to);
		/* S13 (3): the target has flushed everything P wrote. */
		if (m != NULL && m->status.reported &&
		    m->status.timeline == pgq_record_timeline(r) &&
		    m->status.flush_lsn >= p->final_lsn) {
			*rc = propose_primary(r, in, d, sw->to, PGQ_CHANGE_SWITCHOVER, p->final_lsn,
					      "S13 (3): target flushed final_lsn");
			return 1;
		}
		if (c->sw_epoch == sw->epoch && c->sw_phase == (int)sw->phase &&
		    in->now_ms >= timeout_at) {
			*rc = propose_abort(r, in, d, PGQ_SWITCHOVER_DEMOTED,
					    "target did not reach final_lsn in time");
			return 1;
		}
		check_by(d, timeout_at);
		note(d, "switchover: waiting for '%s' to flush final_lsn (S13 (3))", sw->to);
		*rc = 0;
		return 1;
	}
	/* ABORTED with a clean demotion: S13 (4). */
	m = most_complete(r);
	if (m == NULL) {
		*rc = 0;
		return 1;
	}
	*rc = propose_primary(r, in, d, m->name, PGQ_CHANGE_SWITCHOVER, p->final_lsn,
			      "S13 (4): most complete member after an abort");
	return 1;
}

/* How long after its time a scheduled switchover that could not start is dropped. */
static uint64_t stale_after_ms(const struct pgq_record *r)
{
	uint64_t twice = 2 * (uint64_t)pgq_record_config(r)->loop_wait_ms;

	return twice > 10000 ? twice : 10000;
}

/* A scheduled switchover whose time came: the same precheck the record applies. */
static int decide_scheduled(const struct pgq_record *r, const struct pgq_ha_leader_input *in,
			    struct pgq_ha_leader_decision *d)
{
	const struct pgq_scheduled_switchover *s = pgq_record_scheduled_switchover(r);
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_member *to = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!s->set || p->state != PGQ_PRIMARY_ACTIVE || !p->promoted)
		return 0;
	/*
	 * Patroni's rules for a scheduled switchover that can no longer run as
	 * asked: its primary is gone (a failover came first), or its time is
	 * long past (the leader was away, or no candidate qualified within
	 * max(2 x loop_wait, 10 s)). Cancel it rather than run it by surprise
	 * later, and say why.
	 */
	if (strcmp(s->from, p->name) != 0 ||
	    in->wall_ms > pgq_ha_add_sat(s->at_ms, stale_after_ms(r))) {
		rc = pgq_cmd_switchover_cancel(in->wall_ms, &buf, &len);
		return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "switchover_cancel",
				       strcmp(s->from, p->name) != 0
					       ? "scheduled switchover from '%s': '%s' is the primary now"
					       : "scheduled switchover from '%s' is stale (its time passed; "
						 "no switchover to '%s' was possible)",
				       s->from, strcmp(s->from, p->name) != 0 ? p->name
					       : s->to[0] != '\0' ? s->to : "any standby");
	}
	if (in->wall_ms < s->at_ms) {
		check_by(d, pgq_ha_add_sat(in->now_ms, s->at_ms - in->wall_ms));
		return 0;
	}
	/* Until it is stale, look again (a candidate may catch up). */
	check_by(d, pgq_ha_add_sat(in->now_ms, 1000));
	if (s->to[0] != '\0') {
		to = pgq_record_member_by_name(r, s->to);
	} else if (!pgq_record_paused(r)) {
		for (size_t i = 0; i < pgq_record_member_count(r); i++) {
			const struct pgq_member *m = pgq_record_member_at(r, i);

			if (strcmp(m->name, p->name) == 0 || m->tags.nofailover ||
			    !m->status.reported || strcmp(m->status.role, "replica") != 0 ||
			    m->status.timeline != pgq_record_timeline(r) ||
			    m->status.lag_bytes > pgq_record_config(r)->switchover_max_lag_bytes)
				continue;
			if (to == NULL || pgq_ha_candidate_cmp(m, to) < 0)
				to = m;
		}
	}
	if (to == NULL)
		return 0;
	rc = pgq_cmd_switchover_request(p->name, to->name, p->epoch, p->lease_seq, in->wall_ms,
					&buf, &len);
	return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "switchover_request",
			       "S13 (1): scheduled switchover %s -> %s", p->name, to->name);
}

/* The primary may hold its lease: time it (S2, S3), time a demotion (S13 (4)). */
static int decide_leased(const struct pgq_record *r, const struct pgq_ha_leader_clock *c,
			 const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_switchover *sw = pgq_record_switchover(r);
	uint64_t deadline = pgq_ha_leader_loss_deadline_ms(r, c, in);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (in->now_ms >= deadline) {
		/* S3: a transfer hands the timing to another node; never race it. */
		if (in->transfer_in_progress) {
			note(d, "loss timer expired for '%s' during a leadership transfer", p->name);
			return 0;
		}
		rc = pgq_cmd_primary_lost(p->epoch, p->lease_seq, in->wall_ms, &buf, &len);
		note(d, "declaring '%s' lost", p->name);
		return pgq_ha_cmds_add(&d->cmds, rc, buf, len, "primary_lost",
				       "S2: no renewal from '%s' since entry %llu (lease_seq %llu)",
				       p->name, (unsigned long long)p->lease_timer_index,
				       (unsigned long long)p->lease_seq);
	}
	check_by(d, deadline);
	if (sw->phase == PGQ_SWITCHOVER_DEMOTING && sw->epoch == p->epoch &&
	    c->sw_epoch == sw->epoch && c->sw_phase == (int)sw->phase) {
		uint64_t timeout_at = pgq_ha_add_sat(c->sw_applied_ms,
						     in->timing.switchover_timeout_ms);

		if (in->now_ms >= timeout_at)
			return propose_abort(r, in, d, PGQ_SWITCHOVER_DEMOTING,
					     "primary did not demote in time");
		check_by(d, timeout_at);
		note(d, "switchover: waiting for '%s' to demote (S13 (2))", p->name);
		return 0;
	}
	return decide_scheduled(r, in, d);
}

int pgq_ha_decide_leader(const struct pgq_record *r, const struct pgq_ha_leader_clock *c,
			 const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d,
			 char *err, size_t errlen)
{
	const struct pgq_primary *p;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	pgq_ha_cmds_init(&d->cmds);
	d->next_check_ms = UINT64_MAX;
	if (!pgq_record_bootstrapped(r)) {
		note(d, "%s", "cluster not bootstrapped");
		return 0;
	}
	p = pgq_record_primary(r);
	switch (p->state) {
	case PGQ_PRIMARY_NONE:
		note(d, "%s", "no primary (PostgreSQL not managed)");
		break;
	case PGQ_PRIMARY_ACTIVE:
	case PGQ_PRIMARY_DEMOTING:
		rc = decide_leased(r, c, in, d);
		break;
	case PGQ_PRIMARY_LOST:
	case PGQ_PRIMARY_RELEASED:
	case PGQ_PRIMARY_VETOED:
	case PGQ_PRIMARY_DEMOTED:
		if (decide_switchover_after(r, c, in, d, &rc) == 0)
			rc = decide_failover(r, c, in, d);
		break;
	}
	if (rc != 0) {
		snprintf(err, errlen, "leader decision: %s", pgq_record_strerror(rc));
		pgq_ha_cmds_free(&d->cmds);
	}
	return rc;
}

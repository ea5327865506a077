/*
 * ha_s3.c — SAFETY.md S3's shortened wait, at run time (docs/safety-changes.md
 * C3, C20).
 *
 * A newly elected leader does not know when the primary last renewed, so it
 * waits a whole lease from its election. It may shorten that only with
 * durations tied to one entry: the latest renewal in its log (index, term).
 * This file
 *  - on every agent: answers a LEASE_AGE query with "I appended exactly that
 *    entry age_ms ago" (node.c remembers append times, in memory only: after
 *    a restart nothing is known and nothing is answered);
 *  - on the leader: asks every voter once its own term's first entry is
 *    applied (so the record's latest renewal is the latest one of the earlier
 *    terms; renewals of its own term are timed by its own apply, S2), stamps
 *    each answer with its own clock on arrival, and feeds the ages to
 *    pgq_ha_decide_leader(). Its own append time counts as its own report.
 * An age is never overstated: the voter measures on its own clock from its
 * own append, the leader stamps the arrival (transit only makes the estimate
 * later), and pgq_lease_new_leader_deadline_ms() takes off ρ (C3).
 */
#include "ha/clock.h"
#include "ha/s3_ages.h"
#include "log.h"
#include "record/record.h"
#include "runtime/ha_driver_internal.h"

#include <string.h>

/* This build answers LEASE_AGE, so it reports a version that is asked. */
_Static_assert(PGQ_RECORD_CMD_VERSION >= PGQ_S3_LEASE_AGE_MIN_CMD_VERSION,
	       "a build with LEASE_AGE must report a command version that is asked");

/* Re-ask voters that did not answer yet (a query lost to a reconnect). */
#define S3_REASK_MS 1000

static const struct raft_member *voter(const struct raft_config *cfg, raft_id_t id)
{
	for (uint32_t i = 0; i < cfg->n && i < RAFT_MAX_MEMBERS; i++)
		if (cfg->members[i].id == id && cfg->members[i].voter)
			return &cfg->members[i];
	return NULL;
}

static bool answered(const struct pgq_s3_reports *r, raft_id_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->from[i] == id)
			return true;
	return false;
}

/* The record command version voter id last reported (S17), 0 when unknown. */
static uint32_t reported_cmd_version(const struct pgq_runtime *rt, raft_id_t id)
{
	const char *name = rt_peer_name(rt, id);
	const struct pgq_member *m = name != NULL ? pgq_record_member_by_name(rt->record, name)
						  : NULL;

	return m != NULL ? m->status.cmd_version : 0;
}

/*
 * Query every voter that has not answered yet and whose build knows the
 * frame (s3_ages.h, PGQ_S3_LEASE_AGE_MIN_CMD_VERSION); `first` logs the
 * voters left out, once per question.
 */
static void ask_voters(struct ha_driver *d, uint64_t now, bool first)
{
	struct pgq_runtime *rt = d->rt;
	const struct raft_config *cfg = raft_config(pgq_node_raft(rt->node));
	struct pgq_frame_lease_age q = {
		.kind = PGQ_LEASE_AGE_QUERY, .leader_term = d->s3.leader_term,
		.index = d->s3.index, .term = d->s3.term,
	};

	d->s3_asked_ms = now;
	if (rt->transport == NULL)
		return;
	for (uint32_t i = 0; i < cfg->n && i < RAFT_MAX_MEMBERS; i++) {
		const struct raft_member *m = &cfg->members[i];
		uint32_t v;

		if (!m->voter || m->id == rt->self_id || answered(&d->s3, m->id))
			continue;
		v = reported_cmd_version(rt, m->id);
		if (!pgq_s3_voter_may_be_asked(v)) {
			if (first)
				pgq_info("ha", "S3: not asking %s (its agent reports record command "
					 "version %u: a build without LEASE_AGE would close the "
					 "connection); the wait is not shortened by it",
					 rt_peer_name(rt, m->id) != NULL ? rt_peer_name(rt, m->id)
									 : "?",
					 v);
			continue;
		}
		pgq_transport_send_lease_age(rt->transport, m->id, &q);
	}
}

/*
 * The latest renewal in our log, as S3 means it: 0 while our own term's
 * first entry is not applied yet (an older renewal may still wait in the
 * log), when the primary holds no timed lease or the entry's term is no
 * longer known (compacted), or when the renewal is of our own term (S2).
 */
static void s3_target(const struct ha_driver *d, uint64_t *index, uint64_t *term)
{
	const struct raft_node *raft = pgq_node_raft(d->rt->node);
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);

	*index = 0;
	*term = 0;
	if (raft_term_at(raft, raft_applied_index(raft)) != raft_term(raft))
		return;
	if (p->lease_timer_index == 0 || p->lease_timer_index > raft_applied_index(raft))
		return;
	*term = raft_term_at(raft, p->lease_timer_index);
	/*
	 * A renewal of our own term was applied here after our election: S2
	 * times it from that apply, later than any S3 deadline, so there is
	 * nothing to shorten and nobody to ask (every loop_wait otherwise).
	 */
	if (*term != 0 && *term != raft_term(raft))
		*index = p->lease_timer_index;
}

void ha_s3_leader_input(struct ha_driver *d, uint64_t now, struct pgq_ha_leader_input *in)
{
	struct pgq_runtime *rt = d->rt;
	const struct raft_node *raft = pgq_node_raft(rt->node);
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	uint64_t index, term, full, shortened, own_age;

	s3_target(d, &index, &term);
	if (index == 0)
		return; /* S3: the whole lease from our election */
	full = pgq_lease_new_leader_deadline_ms(d->became_leader_ms, p->loss_ttl_ms,
						in->timing.drift_floor_ms, 0, 0, NULL, 0);
	if (!pgq_s3_reports_for(&d->s3, raft_term(raft), index, term)) {
		pgq_s3_reports_reset(&d->s3, raft_term(raft), index, term);
		d->s3_logged_n = 0;
		if (now >= full)
			return; /* the whole wait is over: nothing left to shorten */
		/* Our own append of the entry is a report received now. */
		own_age = pgq_append_clock_age(pgq_node_append_clock(rt->node), index, term, now,
					       PGQ_LEASE_AGE_MAX_MS);
		pgq_s3_reports_add(&d->s3, rt->self_id, raft_term(raft), index, term, own_age, now);
		pgq_info("ha", "S3: asking the voters how long ago they appended the latest "
			 "renewal (index %llu, term %llu); own age %llu ms",
			 (unsigned long long)index, (unsigned long long)term,
			 (unsigned long long)own_age);
		ask_voters(d, now, true);
	} else if (now < full && now - d->s3_asked_ms >= S3_REASK_MS) {
		ask_voters(d, now, false);
	}
	in->renewal_index = index;
	in->renewal_term = term;
	in->ages = d->s3.ages;
	in->n_ages = d->s3.n;
	if (d->s3.n != d->s3_logged_n && now < full) {
		d->s3_logged_n = d->s3.n;
		shortened = pgq_lease_new_leader_deadline_ms(d->became_leader_ms, p->loss_ttl_ms,
							     in->timing.drift_floor_ms, index, term,
							     d->s3.ages, d->s3.n);
		if (shortened < full)
			pgq_info("ha", "S3: wait shortened by %zu voter report(s) (own included) on renewal "
				 "(index %llu, term %llu): the lease of %s may be declared lost "
				 "%llu ms after election instead of %llu ms",
				 d->s3.n, (unsigned long long)index, (unsigned long long)term,
				 p->name,
				 (unsigned long long)pgq_ha_sub_sat(shortened, d->became_leader_ms),
				 (unsigned long long)(full - d->became_leader_ms));
	}
}

/* A voter's side: answer only for exactly the entry we hold. */
static void answer_query(struct pgq_runtime *rt, const char *peer_name, uint64_t peer_id,
			 const struct pgq_frame_lease_age *q)
{
	const struct raft_node *raft = pgq_node_raft(rt->node);
	struct pgq_frame_lease_age a = *q;

	if (raft_term_at(raft, q->index) != q->term)
		return; /* we lack it: no answer (S3 "0 if it lacks it") */
	a.age_ms = pgq_append_clock_age(pgq_node_append_clock(rt->node), q->index, q->term,
					pgq_now_boottime_ms(), PGQ_LEASE_AGE_MAX_MS);
	if (a.age_ms == 0)
		return; /* appended before our last restart: unknown, never guessed */
	a.kind = PGQ_LEASE_AGE_ANSWER;
	pgq_debug("ha", "S3: telling %s we appended (index %llu, term %llu) %llu ms ago",
		  peer_name, (unsigned long long)a.index, (unsigned long long)a.term,
		  (unsigned long long)a.age_ms);
	pgq_transport_send_lease_age(rt->transport, peer_id, &a);
}

void rt_ha_on_lease_age(struct pgq_runtime *rt, const char *peer_name, uint64_t peer_id,
			const struct pgq_frame_lease_age *a)
{
	struct ha_driver *d = rt->ha;
	const struct raft_node *raft;
	uint64_t now = pgq_now_boottime_ms();

	if (rt->node == NULL || rt->transport == NULL || rt->phase != PHASE_RUNNING)
		return;
	raft = pgq_node_raft(rt->node);
	if (a->kind == PGQ_LEASE_AGE_QUERY) {
		/* Every voter answers, with or without PostgreSQL management (a witness). */
		answer_query(rt, peer_name, peer_id, a);
		return;
	}
	/* An answer: only the current leader's question, only from a voter. */
	if (d == NULL || raft_role(raft) != RAFT_LEADER || a->leader_term != raft_term(raft) ||
	    voter(raft_config(raft), peer_id) == NULL)
		return;
	if (!pgq_s3_reports_add(&d->s3, peer_id, a->leader_term, a->index, a->term, a->age_ms, now))
		return;
	pgq_info("ha", "S3: %s appended the latest renewal (index %llu, term %llu) %llu ms ago",
		 peer_name, (unsigned long long)a->index, (unsigned long long)a->term,
		 (unsigned long long)a->age_ms);
	ha_cycle_soon(d);
}

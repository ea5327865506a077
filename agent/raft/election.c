/*
 * election.c — leader election (Raft §5.2, dissertation §9.6 pre-vote and
 * §6.2 check-quorum) and role conversion.
 *
 * This file is the only place a node's role changes: every become_*()
 * function is here, so the invariants of a role (a leader has progress for
 * every member and a no-op at the start of its term; a follower has no
 * pending reads or transfer) are set up in one spot.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

void reset_timers(struct raft_node *n)
{
	uint32_t e = n->opts.election_ticks;
	n->election_elapsed = 0;
	n->heartbeat_elapsed = 0;
	/* Randomised in [E, 2E) so that split votes resolve (§5.2). */
	n->randomized_timeout = e + (uint32_t)(prng_next(n) % e);
}

static void reset_role_state(struct raft_node *n)
{
	n->n_votes = 0;
	n->bcast_pending = false;
	n->read_bcast_pending = false;
	n->transferee = RAFT_NONE;
	n->transfer_elapsed = 0;
	reads_drop_all(n);
}

/* Figure 2, all servers: on a higher term, adopt it and become follower. */
void become_follower(struct raft_node *n, raft_term_t term, raft_id_t leader)
{
	if (term != n->term) {
		assert(term > n->term);
		n->term = term;
		n->vote = RAFT_NONE;
	}
	n->role = RAFT_FOLLOWER;
	n->leader = leader;
	reset_role_state(n);
	reset_timers(n);
}

static void become_pre_candidate(struct raft_node *n)
{
	/* Pre-vote changes neither term nor vote: a partitioned node cannot
	 * inflate terms and disrupt the cluster when it comes back. */
	n->role = RAFT_PRE_CANDIDATE;
	n->leader = RAFT_NONE;
	reset_role_state(n);
	reset_timers(n);
}

static void become_candidate(struct raft_node *n)
{
	n->term++;
	n->vote = n->id;
	n->role = RAFT_CANDIDATE;
	n->leader = RAFT_NONE;
	reset_role_state(n);
	reset_timers(n);
}

/*
 * The first leader of a new cluster (empty log) writes the bootstrap
 * configuration into the log, one CONF entry per member, so that the log
 * alone defines the configuration: a member added later starts knowing
 * nobody and rebuilds it by applying the log. On members that were given
 * the bootstrap configuration these entries change nothing.
 */
static void log_bootstrap_config(struct raft_node *n)
{
	for (uint32_t i = 0; i < n->config.n; i++) {
		const struct raft_member *mb = &n->config.members[i];
		struct raft_conf_change cc = {
			mb->voter ? RAFT_CONF_PROMOTE : RAFT_CONF_ADD_LEARNER, mb->id
		};
		uint8_t *buf = malloc(RAFT_CONF_CHANGE_LEN);
		if (!buf)
			return; /* the joiner then needs a snapshot; still safe */
		raft_conf_change_encode(&cc, buf);
		if (append_local(n, RAFT_ENTRY_CONF, buf, RAFT_CONF_CHANGE_LEN) != RAFT_OK)
			return;
	}
}

/*
 * Does the log still lack a complete bootstrap configuration? Every leader
 * logs the whole configuration right before its no-op, so a no-op proves a
 * complete one precedes it; a compacted log covers at least one no-op
 * (raft_compact refuses an index before the first no-op, and a leader's
 * snapshot obeys the same rule). A log holding only
 * part of a crashed first leader's bootstrap entries (review 2026-11-27,
 * R2: it sent PROMOTE n1 and died) has none: the next leader must log the
 * whole configuration again, or joiners rebuild it from PROMOTE n1 alone.
 * Repeated entries change nothing at apply.
 */
static bool log_needs_bootstrap_config(const struct raft_log *l)
{
	if (l->offset > 0)
		return false;
	for (raft_index_t i = 1; i <= log_last_index(l); i++)
		if (log_entry(l, i)->type != RAFT_ENTRY_CONF)
			return false; /* a no-op (or anything a leader wrote after one) */
	return true;
}

static void become_leader(struct raft_node *n)
{
	n->role = RAFT_LEADER;
	n->leader = n->id;
	reset_role_state(n);
	reset_timers(n);
	progress_reset_all(n);
	if (log_needs_bootstrap_config(&n->log))
		log_bootstrap_config(n);
	/* Entries already in our log may hold an unapplied conf change: no new
	 * change until they are applied (one change at a time). */
	n->pending_conf_index = log_last_index(&n->log);
	/* §5.4.2/§8: a no-op of our own term lets us commit what earlier terms
	 * left, and proves (once committed) that we know every committed entry. */
	if (append_local(n, RAFT_ENTRY_NOOP, NULL, 0) == RAFT_OK)
		n->term_start_index = log_last_index(&n->log);
	else
		n->term_start_index = log_last_index(&n->log) + 1; /* never ready */
}

static uint32_t quorum(const struct raft_node *n)
{
	return config_voters(&n->config) / 2 + 1;
}

/* Record one answer per voter; returns the tally. */
static void poll(struct raft_node *n, raft_id_t from, bool granted,
		 uint32_t *yes, uint32_t *no)
{
	bool seen = false;
	for (uint32_t i = 0; i < n->n_votes; i++)
		if (n->votes_from[i] == from)
			seen = true;
	if (!seen && n->n_votes < RAFT_MAX_MEMBERS && config_is_voter(&n->config, from)) {
		n->votes_from[n->n_votes] = from;
		n->votes_granted[n->n_votes] = granted;
		n->n_votes++;
	}
	*yes = *no = 0;
	for (uint32_t i = 0; i < n->n_votes; i++) {
		if (n->votes_granted[i])
			(*yes)++;
		else
			(*no)++;
	}
}

/*
 * A committed CONF entry not applied yet means our configuration is about to
 * change: campaigning (and counting votes) under the old one could pick a
 * quorum the cluster no longer uses (as etcd's hasUnappliedConfChanges).
 * The next ready applies it, so this only delays the election.
 */
static bool unapplied_conf_committed(const struct raft_node *n)
{
	raft_index_t from = n->applied + 1;
	if (from <= n->log.offset)
		from = n->log.offset + 1;
	for (raft_index_t i = from; i <= n->commit && i <= log_last_index(&n->log); i++)
		if (log_entry(&n->log, i)->type == RAFT_ENTRY_CONF)
			return true;
	return false;
}

void campaign(struct raft_node *n, bool pre_vote, bool transfer)
{
	if (!node_promotable(n) || unapplied_conf_committed(n))
		return;
	uint8_t type;
	raft_term_t vote_term;
	if (pre_vote) {
		become_pre_candidate(n);
		type = RAFT_MSG_PREVOTE;
		vote_term = n->term + 1;
	} else {
		become_candidate(n);
		type = RAFT_MSG_VOTE;
		vote_term = n->term;
	}
	uint32_t yes, no;
	poll(n, n->id, true, &yes, &no);
	if (yes >= quorum(n)) { /* single voter */
		if (pre_vote)
			campaign(n, false, transfer);
		else
			become_leader(n);
		return;
	}
	for (uint32_t i = 0; i < n->config.n; i++) {
		const struct raft_member *mb = &n->config.members[i];
		if (!mb->voter || mb->id == n->id)
			continue;
		struct out_msg *o = msg_push(n, type, mb->id);
		if (!o)
			continue;
		o->m.term = vote_term;
		o->m.log_term = log_last_term(&n->log);
		o->m.index = log_last_index(&n->log);
		o->m.ctx = transfer ? 1 : 0;
	}
}

int raft_campaign(struct raft_node *n)
{
	assert(!n->in_ready);
	if (n->role == RAFT_LEADER)
		return RAFT_OK;
	if (!node_promotable(n))
		return RAFT_ERR_NOT_MEMBER;
	campaign(n, n->opts.pre_vote, false);
	return RAFT_OK;
}

/* §5.2, §5.4.1: grant at most one vote per term, only to an up-to-date log. */
void handle_vote_request(struct raft_node *n, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can_vote = n->vote == m->from ||
			(n->vote == RAFT_NONE && n->leader == RAFT_NONE) ||
			(pre && m->term > n->term);
	/*
	 * We answer even if our own configuration says we are a learner: the
	 * candidate only asks voters of its configuration, which is committed
	 * (configurations take effect on apply), so we were promoted and simply
	 * have not applied it yet. Refusing deadlocks the cluster when our vote
	 * is needed to elect the leader that would tell us about the promotion
	 * (found by the simulator, seed 420). Learners still never count: the
	 * candidate tallies only voters of its configuration (poll()).
	 */
	bool grant = can_vote && log_is_up_to_date(&n->log, m->log_term, m->index);
	uint8_t type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP;

	if (grant && !pre) {
		n->vote = m->from;
		n->election_elapsed = 0;
	}
	struct out_msg *o = msg_push(n, type, m->from);
	if (!o)
		return;
	/* A granted pre-vote answers in the term the candidate would use. */
	o->m.term = grant ? m->term : n->term;
	o->m.reject = !grant;
#if RAFT_INJECT_BUG == 3
	/* BUG 3: the vote response leaves before the vote is durable. */
	if (grant && !pre) {
		o->after_persist = false;
		n->bug3_hide_vote = true;
	}
#endif
}

void handle_vote_response(struct raft_node *n, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE_RESP;
	if ((pre && n->role != RAFT_PRE_CANDIDATE) || (!pre && n->role != RAFT_CANDIDATE))
		return;
	uint32_t yes, no;
	poll(n, m->from, !m->reject, &yes, &no);
	if (yes >= quorum(n)) {
		if (pre)
			campaign(n, false, false);
		else
			become_leader(n);
	} else if (no >= quorum(n)) {
		become_follower(n, n->term, RAFT_NONE);
	}
}

void election_tick(struct raft_node *n)
{
	if (n->role == RAFT_LEADER) {
		n->heartbeat_elapsed++;
		n->election_elapsed++;
		if (n->election_elapsed >= n->opts.election_ticks) {
			n->election_elapsed = 0;
			/* §6.2 check-quorum: a leader cut off from a majority steps down,
			 * so clients stop talking to a leader that cannot commit. */
			if (n->opts.check_quorum && !progress_quorum_active(n)) {
				become_follower(n, n->term, RAFT_NONE);
				return;
			}
		}
		transfer_tick(n);
		if (n->heartbeat_elapsed >= n->opts.heartbeat_ticks) {
			n->heartbeat_elapsed = 0;
			bcast_heartbeat(n, n->n_reads > 0 ? n->read_seq : 0);
		}
		return;
	}
	n->election_elapsed++;
	if (node_promotable(n) && n->election_elapsed >= n->randomized_timeout) {
		n->election_elapsed = 0;
		campaign(n, n->opts.pre_vote, false);
	}
}

int raft_step_down(struct raft_node *n)
{
	assert(!n->in_ready);
	if (n->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	become_follower(n, n->term, RAFT_NONE);
	return RAFT_OK;
}

void raft_tick(struct raft_node *n)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	election_tick(n);
}

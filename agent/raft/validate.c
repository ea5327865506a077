/*
 * validate.c — never trust a peer.
 *
 * Every field of an incoming message is checked before the node changes
 * anything: a message that fails is refused with RAFT_ERR_INVALID and the
 * node is exactly as before. These are real checks, not assertions (an
 * assert compiled out in release is how willemt/raft#127 read out of bounds).
 */
#include "raft_internal.h"

static bool is_leader_traffic(uint8_t type)
{
	return type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT ||
	       type == RAFT_MSG_SNAPSHOT;
}

/*
 * Did we hear from a live leader within the election timeout? The same
 * test as the check-quorum lease in raft_step(); a leader always counts
 * itself (its election_elapsed restarts every election timeout).
 */
static bool has_live_leader(const struct raft_node *n)
{
	return n->leader != RAFT_NONE && n->election_elapsed < n->opts.election_ticks;
}

/*
 * Do we answer a (pre-)vote request from a sender our configuration does not
 * list? The dissertation (§4.1) has servers answer without consulting their
 * configuration, and it is safe: the vote is persisted before it leaves and
 * only the candidate's configuration decides whether it counts (docs/raft.md,
 * "Elections"). Refusing strangers deadlocks a cluster whose configuration
 * moved on without us:
 *  - we are not a voter in our own configuration: we lag (a joiner starts
 *    empty and learns it from the log); the candidate asks only voters of
 *    its committed configuration, so we were promoted (review 2026-11-27,
 *    R3; simulator seeds 303305, 403473);
 *  - we are a voter whose configuration lags: after removals the voters can
 *    be us and a newer member we never heard of (simulator seed 701067).
 * What refusing protected is a working cluster against a removed member, and
 * the check-quorum lease already gives that: a voter with a live leader
 * refuses a stranger (even with ctx = 1: a transfer goes to a member the
 * leader's followers will soon know). Without check-quorum there is no
 * lease: a member's higher term deposes a leader anyway, and a stale leader
 * never steps down by itself, so refusing could wait forever; we answer as
 * etcd does.
 */
static bool answers_stranger_vote(const struct raft_node *n, uint8_t type)
{
	if (type != RAFT_MSG_PREVOTE && type != RAFT_MSG_VOTE)
		return false;
	if (!config_is_voter(&n->config, n->id) || !n->opts.check_quorum)
		return true;
	return !has_live_leader(n);
}

/* (index, term) of a last/previous entry: index 0 has term 0, others don't. */
static bool position_ok(raft_index_t index, raft_term_t term, raft_term_t msg_term)
{
	if (term > msg_term)
		return false;
	return (index == 0) == (term == 0);
}

static int validate_entries(const struct raft_node *n, const struct raft_msg *m)
{
	if (m->n_entries == 0)
		return RAFT_OK;
	if (!m->entries || m->n_entries > RAFT_VALUE_MAX - m->index)
		return RAFT_ERR_INVALID;
	raft_term_t prev_term = m->log_term;
	for (uint32_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		if (e->index != m->index + 1 + i)
			return RAFT_ERR_INVALID; /* not contiguous */
		if (e->term == 0 || e->term < prev_term || e->term > m->term)
			return RAFT_ERR_INVALID; /* terms never decrease along a log */
		if (e->type < RAFT_ENTRY_NORMAL || e->type > RAFT_ENTRY_CONF)
			return RAFT_ERR_INVALID;
		if (e->len > 0 && !e->data)
			return RAFT_ERR_INVALID;
		if (e->type == RAFT_ENTRY_CONF && e->len != RAFT_CONF_CHANGE_LEN)
			return RAFT_ERR_INVALID;
		if (e->type == RAFT_ENTRY_NOOP && e->len != 0)
			return RAFT_ERR_INVALID;
		if (n->opts.max_entry_bytes && e->len > n->opts.max_entry_bytes)
			return RAFT_ERR_INVALID;
		prev_term = e->term;
	}
	return RAFT_OK;
}

int validate_msg(const struct raft_node *n, const struct raft_msg *m)
{
	if (m->type < RAFT_MSG_PREVOTE || m->type > RAFT_MSG_TYPE_MAX)
		return RAFT_ERR_INVALID;
	if (m->from == RAFT_NONE || m->from == n->id || m->to != n->id || m->term == 0)
		return RAFT_ERR_INVALID;
	if (m->term > RAFT_VALUE_MAX || m->log_term > RAFT_VALUE_MAX ||
	    m->index > RAFT_VALUE_MAX || m->commit > RAFT_VALUE_MAX ||
	    m->reject_hint > RAFT_VALUE_MAX || m->snapshot.meta.index > RAFT_VALUE_MAX ||
	    m->snapshot.meta.term > RAFT_VALUE_MAX)
		return RAFT_ERR_INVALID; /* would wrap somewhere downstream */
	/* Unknown senders are refused, except a leader's traffic: our own
	 * configuration may lag behind the leader's (a new member learns the
	 * configuration from the leader's log or snapshot), and vote requests
	 * when we have no live leader (answers_stranger_vote()). */
	if (config_find(&n->config, m->from) < 0 && !is_leader_traffic(m->type) &&
	    !answers_stranger_vote(n, m->type))
		return RAFT_ERR_INVALID;
	if (m->n_entries > 0 && m->type != RAFT_MSG_APPEND)
		return RAFT_ERR_INVALID;
	if (m->type != RAFT_MSG_SNAPSHOT && (m->snapshot.data || m->snapshot.len))
		return RAFT_ERR_INVALID;

	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		if (!position_ok(m->index, m->log_term, m->term) || m->ctx > 1)
			return RAFT_ERR_INVALID;
		break;
	case RAFT_MSG_APPEND:
		if (!position_ok(m->index, m->log_term, m->term))
			return RAFT_ERR_INVALID;
		return validate_entries(n, m);
	case RAFT_MSG_APPEND_RESP:
		if (m->reject) {
			if (m->reject_hint > m->index || m->log_term > m->term)
				return RAFT_ERR_INVALID;
		} else if (n->role == RAFT_LEADER && m->term == n->term &&
			   m->index > log_last_index(&n->log)) {
			/* Claims to hold entries we never had. */
			return RAFT_ERR_INVALID;
		}
		break;
	case RAFT_MSG_SNAPSHOT: {
		const struct raft_snapshot *s = &m->snapshot;
		if (s->meta.index == 0 || s->meta.term == 0 || s->meta.term > m->term ||
		    !config_valid(&s->meta.config) || (s->len > 0 && !s->data))
			return RAFT_ERR_INVALID;
		break;
	}
	default:
		break;
	}
	return RAFT_OK;
}

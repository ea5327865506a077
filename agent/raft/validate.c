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
 * A (pre-)vote request from a sender we do not know, while our own
 * configuration does not make us a voter: it lags (a joiner starts with an
 * empty one and learns it from the log). The candidate asks only voters of
 * its committed configuration, so we were promoted; refusing deadlocks a
 * cluster whose other voters cannot elect anyone without us (review
 * 2026-11-27, R3: a learner promoted before it stored anything, then
 * restarted empty). Answering is safe: the vote is persisted before it
 * leaves and only the candidate's configuration decides whether it counts
 * (docs/raft.md, "Elections"). A voter still refuses strangers, so a removed
 * member cannot disturb a working cluster.
 */
static bool vote_request_to_lagging_member(const struct raft_node *n, uint8_t type)
{
	return (type == RAFT_MSG_PREVOTE || type == RAFT_MSG_VOTE) &&
	       !config_is_voter(&n->config, n->id);
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
	 * configuration from the leader's log or snapshot). */
	if (config_find(&n->config, m->from) < 0 && !is_leader_traffic(m->type) &&
	    !vote_request_to_lagging_member(n, m->type))
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

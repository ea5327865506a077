/*
 * step.c — raft_step(): the rules every server applies to every message
 * (Figure 2, "All Servers"), then dispatch to the handler for the node's role.
 *
 * Term rules:
 *  - a higher term makes us a follower in that term, except a pre-vote
 *    request (pre-vote never bumps terms) and a granted pre-vote answer
 *    (it carries the term we would campaign in);
 *  - with check-quorum, a (pre-)vote request that arrives while we heard
 *    from a live leader within the election timeout is ignored, so a
 *    partitioned node coming back cannot depose a working leader (§9.6),
 *    unless it is a leadership transfer (ctx = 1);
 *  - a lower term is ignored, but a stale leader is told our term so it
 *    steps down, and a stale pre-candidate is refused.
 */
#include <assert.h>

#include "raft_internal.h"

static void step_lower_term(struct raft_node *n, const struct raft_msg *m)
{
	if ((n->opts.check_quorum || n->opts.pre_vote) &&
	    (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
		msg_push(n, RAFT_MSG_APPEND_RESP, m->from);
	} else if (m->type == RAFT_MSG_PREVOTE) {
		struct out_msg *o = msg_push(n, RAFT_MSG_PREVOTE_RESP, m->from);
		if (o)
			o->m.reject = true;
	}
#if RAFT_INJECT_BUG == 1
	/* BUG 1: a vote answer from an older term is counted as granted. */
	if (m->type == RAFT_MSG_VOTE_RESP && n->role == RAFT_CANDIDATE) {
		struct raft_msg granted = *m;
		granted.reject = false;
		handle_vote_response(n, &granted);
	}
#endif
}

static void step_leader(struct raft_node *n, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND_RESP: handle_append_response(n, m); break;
	case RAFT_MSG_HEARTBEAT_RESP: handle_heartbeat_response(n, m); break;
	case RAFT_MSG_READ_INDEX: handle_read_index(n, m); break;
	default: break; /* e.g. late vote answers */
	}
}

static void step_follower(struct raft_node *n, const struct raft_msg *m)
{
	switch (m->type) {
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		/* A leader of our term exists (§5.2): recognise it, restart the timer. */
		if (n->role != RAFT_FOLLOWER)
			become_follower(n, n->term, m->from);
		n->leader = m->from;
		n->election_elapsed = 0;
		if (m->type == RAFT_MSG_APPEND)
			handle_append(n, m);
		else if (m->type == RAFT_MSG_HEARTBEAT)
			handle_heartbeat(n, m);
		else
			handle_snapshot(n, m);
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		handle_vote_response(n, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		if (n->role == RAFT_FOLLOWER)
			handle_timeout_now(n, m);
		break;
	case RAFT_MSG_READ_INDEX: {
		/* We are not the leader: refuse, the sender retries elsewhere. */
		struct out_msg *o = msg_push(n, RAFT_MSG_READ_INDEX_RESP, m->from);
		if (o) {
			o->m.ctx = m->ctx;
			o->m.reject = true;
		}
		break;
	}
	case RAFT_MSG_READ_INDEX_RESP:
		handle_read_index_response(n, m);
		break;
	default:
		break;
	}
}

int raft_step(struct raft_node *n, const struct raft_msg *m)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (!m)
		return RAFT_ERR_INVALID;
	int rc = validate_msg(n, m);
	if (rc != RAFT_OK)
		return rc;

	bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
	if (m->term > n->term) {
		if (vote_req) {
			bool in_lease = n->opts.check_quorum && n->leader != RAFT_NONE &&
					n->election_elapsed < n->opts.election_ticks;
			if (in_lease && m->ctx != 1)
				return RAFT_OK; /* a live leader: ignore the disruptive request */
		}
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)) {
			/* pre-vote leaves terms alone */
		} else if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
			   m->type == RAFT_MSG_SNAPSHOT) {
			become_follower(n, m->term, m->from);
		} else {
			become_follower(n, m->term, RAFT_NONE);
		}
	} else if (m->term < n->term) {
		step_lower_term(n, m);
		return RAFT_OK;
	}

	if (vote_req) {
		handle_vote_request(n, m);
		return RAFT_OK;
	}
	if (n->role == RAFT_LEADER)
		step_leader(n, m);
	else
		step_follower(n, m);
	return RAFT_OK;
}

/*
 * transfer.c — leadership transfer (dissertation §3.10).
 *
 * The leader stops accepting proposals, brings the target's log up to date,
 * then sends it TIMEOUT_NOW so it campaigns at once (ctx = 1 in its vote
 * requests lets it past check-quorum's "I have a live leader" rule). If the
 * target has not taken over within an election timeout, the transfer is
 * aborted and the leader accepts proposals again.
 */
#include <assert.h>

#include "raft_internal.h"

static void send_timeout_now(struct raft_node *n, raft_id_t to)
{
	msg_push(n, RAFT_MSG_TIMEOUT_NOW, to);
}

int raft_transfer_leadership(struct raft_node *n, raft_id_t to)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (n->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (to == n->id)
		return RAFT_OK; /* already the leader */
	if (!config_is_voter(&n->config, to))
		return RAFT_ERR_NOT_MEMBER;
	if (n->transferee == to)
		return RAFT_OK; /* already under way */
	struct progress *p = progress_get(n, to);
	if (!p)
		return RAFT_ERR_NOT_MEMBER;
	n->transferee = to;
	n->transfer_elapsed = 0;
	if (p->match == log_last_index(&n->log))
		send_timeout_now(n, to);
	else
		send_append(n, p, true);
	return RAFT_OK;
}

void transfer_abort(struct raft_node *n)
{
	n->transferee = RAFT_NONE;
	n->transfer_elapsed = 0;
}

void transfer_tick(struct raft_node *n)
{
	if (n->transferee == RAFT_NONE)
		return;
	if (++n->transfer_elapsed >= n->opts.election_ticks)
		transfer_abort(n);
}

/* The target acknowledged more of our log: once it has all of it, go. */
void transfer_on_progress(struct raft_node *n, struct progress *p)
{
	if (n->transferee == p->id && p->match == log_last_index(&n->log))
		send_timeout_now(n, p->id);
}

void handle_timeout_now(struct raft_node *n, const struct raft_msg *m)
{
	(void)m;
	if (!node_promotable(n))
		return;
	/* Skip pre-vote: the leader asked for this election. */
	campaign(n, false, true);
}

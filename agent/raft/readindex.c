/*
 * readindex.c — linearizable reads without a log entry (dissertation §6.4).
 *
 * The leader records its commit index for the read, then confirms it is still
 * the leader with a round of heartbeats: once a quorum of voters answered a
 * heartbeat sent after the read was registered, no other leader can have
 * committed anything newer, and the read is safe once applied >= index.
 * Rounds are numbered (read_seq, carried in the heartbeat ctx); one answer
 * confirms every read registered up to its round. The leader must have
 * committed an entry of its own term first, or its commit index may be
 * behind the cluster's. Followers forward the request to the leader.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

static bool leader_ready(const struct raft_node *n)
{
	return n->commit >= n->term_start_index;
}

static void answer(struct raft_node *n, raft_id_t to, uint64_t ctx, raft_index_t index,
		   bool reject)
{
	if (to == n->id) {
		read_state_push(n, ctx, reject ? 0 : index);
		return;
	}
	struct out_msg *o = msg_push(n, RAFT_MSG_READ_INDEX_RESP, to);
	if (!o)
		return;
	o->m.ctx = ctx;
	o->m.index = reject ? 0 : index;
	o->m.reject = reject;
}

static int register_read(struct raft_node *n, raft_id_t from, uint64_t ctx)
{
	if (config_voters(&n->config) == 1) {
		answer(n, from, ctx, n->commit, false); /* we are the quorum */
		return RAFT_OK;
	}
	if (n->n_reads == n->cap_reads) {
		size_t ncap = n->cap_reads ? n->cap_reads * 2 : 8;
		struct pending_read *p = realloc(n->reads, ncap * sizeof(*p));
		if (!p)
			return RAFT_ERR_NOMEM;
		n->reads = p;
		n->cap_reads = ncap;
	}
	uint64_t seq = ++n->read_seq;
	n->reads[n->n_reads++] = (struct pending_read){ ctx, n->commit, from, seq };
	/* One heartbeat round at the next ready confirms every read queued by then. */
	n->read_bcast_pending = true;
	return RAFT_OK;
}

int raft_read_index(struct raft_node *n, uint64_t ctx)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (n->role == RAFT_LEADER) {
		if (!leader_ready(n))
			return RAFT_ERR_NOT_READY;
		return register_read(n, n->id, ctx);
	}
	if (n->role != RAFT_FOLLOWER || n->leader == RAFT_NONE)
		return RAFT_ERR_NOT_LEADER;
	struct out_msg *o = msg_push(n, RAFT_MSG_READ_INDEX, n->leader);
	if (!o)
		return RAFT_ERR_NOMEM;
	o->m.ctx = ctx;
	return RAFT_OK;
}

void handle_read_index(struct raft_node *n, const struct raft_msg *m)
{
	if (n->role != RAFT_LEADER || !leader_ready(n) ||
	    register_read(n, m->from, m->ctx) != RAFT_OK)
		answer(n, m->from, m->ctx, 0, true);
}

void handle_read_index_response(struct raft_node *n, const struct raft_msg *m)
{
	/* Index 0 tells the reader the request failed and should be retried. */
	read_state_push(n, m->ctx, m->reject ? 0 : m->index);
}

void reads_on_heartbeat_ack(struct raft_node *n, struct progress *p, uint64_t seq)
{
	if (seq > n->read_seq)
		return; /* not a round we started */
	if (seq > p->read_acked)
		p->read_acked = seq;
	uint32_t q = config_voters(&n->config) / 2 + 1;
	size_t done = 0;
	while (done < n->n_reads) {
		const struct pending_read *r = &n->reads[done];
		uint32_t acks = 0;
		for (uint32_t i = 0; i < n->n_prs; i++) {
			const struct progress *pr = &n->prs[i];
			if (pr->voter && (pr->id == n->id || pr->read_acked >= r->seq))
				acks++;
		}
		if (acks < q)
			break;
		answer(n, r->from, r->ctx, r->index, false);
		done++;
	}
	if (done > 0) {
		memmove(n->reads, n->reads + done, (n->n_reads - done) * sizeof(*n->reads));
		n->n_reads -= done;
	}
}

/* Leadership lost: local readers learn their read failed (index 0). */
void reads_drop_all(struct raft_node *n)
{
	for (size_t i = 0; i < n->n_reads; i++)
		if (n->reads[i].from == n->id)
			read_state_push(n, n->reads[i].ctx, 0);
	n->n_reads = 0;
}

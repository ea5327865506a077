/*
 * ready.c — the node's outputs: the outgoing message queue, raft_ready() and
 * raft_advance().
 *
 * Why messages are split in two lists: a vote, a vote response or an append
 * acknowledgement is a promise about what is on disk (Figure 2: "respond to
 * RPCs only after updating stable storage"), so it may leave only after the
 * ready's hard state and entries are durable. The leader's own APPENDs depend
 * on nothing unpersisted and may leave at once (SAFETY.md L1: the leader
 * counts itself only when raft_advance() reports its entries persisted).
 * Any message queued while term or vote is not yet persisted also waits.
 *
 * APPEND entries are not copied into messages: the message remembers the
 * range, and raft_ready() points it at the log, which cannot change until
 * raft_advance(). A range that vanished meanwhile (compaction, or a truncation
 * after stepping down) drops the message, which Raft treats as a lost packet.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

static bool hs_dirty_term_vote(const struct raft_node *n)
{
	return n->term != n->hs_persisted.term || n->vote != n->hs_persisted.vote;
}

struct out_msg *msg_push(struct raft_node *n, uint8_t type, raft_id_t to)
{
	if (n->n_out == n->cap_out) {
		size_t ncap = n->cap_out ? n->cap_out * 2 : 16;
		struct out_msg *p = realloc(n->out, ncap * sizeof(*p));
		if (!p)
			return NULL;
		n->out = p;
		n->cap_out = ncap;
	}
	struct out_msg *o = &n->out[n->n_out++];
	memset(o, 0, sizeof(*o));
	o->m.type = type;
	o->m.from = n->id;
	o->m.to = to;
	o->m.term = n->term;
	o->after_persist = type == RAFT_MSG_VOTE || type == RAFT_MSG_VOTE_RESP ||
			   type == RAFT_MSG_APPEND_RESP || hs_dirty_term_vote(n);
	return o;
}

void read_state_push(struct raft_node *n, uint64_t ctx, raft_index_t index)
{
	if (n->n_read_states == n->cap_read_states) {
		size_t ncap = n->cap_read_states ? n->cap_read_states * 2 : 8;
		struct raft_read_state *p = realloc(n->read_states, ncap * sizeof(*p));
		if (!p)
			return; /* the reader times out and retries */
		n->read_states = p;
		n->cap_read_states = ncap;
	}
	n->read_states[n->n_read_states++] = (struct raft_read_state){ ctx, index };
}

static struct raft_hard_state current_hs(const struct raft_node *n)
{
	struct raft_hard_state hs = { n->term, n->vote, n->commit };
#if RAFT_INJECT_BUG == 3
	/* BUG 3: the vote was sent before being persisted; it is not in this hard state. */
	if (n->bug3_hide_vote)
		hs.vote = n->term == n->hs_persisted.term ? n->hs_persisted.vote : RAFT_NONE;
#endif
	return hs;
}

static bool hs_equal(const struct raft_hard_state *a, const struct raft_hard_state *b)
{
	return a->term == b->term && a->vote == b->vote && a->commit == b->commit;
}

static raft_index_t first_to_apply(const struct raft_node *n)
{
	raft_index_t from = n->applied + 1;
	if (from <= n->log.offset)
		from = n->log.offset + 1;
	return from;
}

bool raft_has_ready(const struct raft_node *n)
{
	if (n->in_ready)
		return false;
	struct raft_hard_state hs = current_hs(n);
	return n->bcast_pending || n->read_bcast_pending || n->n_out > 0 || !hs_equal(&hs, &n->hs_persisted) ||
	       n->snap_unpersisted || n->log.truncate_from != 0 ||
	       log_last_index(&n->log) > n->log.stable ||
	       n->commit >= first_to_apply(n) || n->n_read_states > 0 ||
	       n->role != n->soft_role || n->leader != n->soft_leader;
}

static int grow_msgs(struct raft_msg **arr, size_t *cap, size_t need)
{
	if (need <= *cap)
		return RAFT_OK;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	struct raft_msg *p = realloc(*arr, ncap * sizeof(*p));
	if (!p)
		return RAFT_ERR_NOMEM;
	*arr = p;
	*cap = ncap;
	return RAFT_OK;
}

/* Point an APPEND at its entries, or an InstallSnapshot at our snapshot. */
static bool resolve(const struct raft_node *n, struct out_msg *o)
{
	struct raft_msg *m = &o->m;
	if (m->type == RAFT_MSG_APPEND && m->n_entries > 0) {
		raft_index_t last = m->index + m->n_entries;
		if (!log_match_term(&n->log, m->index, m->log_term) ||
		    last > log_last_index(&n->log) || m->index < n->log.offset ||
		    log_term_at(&n->log, last) != o->last_term)
			return false;
		m->entries = log_entry(&n->log, m->index + 1);
	} else if (m->type == RAFT_MSG_SNAPSHOT) {
		if (n->snap.meta.index == 0)
			return false;
		m->snapshot = n->snap;
	}
	return true;
}

void raft_ready(struct raft_node *n, struct raft_ready *rd)
{
	assert(!n->in_ready && "raft_ready() twice without raft_advance()");
	if (n->bcast_pending) {
		n->bcast_pending = false;
		if (n->role == RAFT_LEADER)
			bcast_append(n);
	}
	if (n->read_bcast_pending) {
		n->read_bcast_pending = false;
		if (n->role == RAFT_LEADER)
			bcast_heartbeat(n, n->read_seq);
	}
	memset(rd, 0, sizeof(*rd));

	rd->hard_state = current_hs(n);
	rd->has_hard_state = !hs_equal(&rd->hard_state, &n->hs_persisted);

	if (n->snap_unpersisted)
		rd->snapshot = &n->snap;
	rd->truncate_from = n->log.truncate_from;
	if (log_last_index(&n->log) > n->log.stable) {
		rd->entries = log_entry(&n->log, n->log.stable + 1);
		rd->n_entries = (size_t)(log_last_index(&n->log) - n->log.stable);
	}

	raft_index_t from = first_to_apply(n);
	if (n->commit >= from) {
		rd->committed = log_entry(&n->log, from);
		rd->n_committed = (size_t)(n->commit - from + 1);
	}

	/* Both lists are at most n_out long, so size them once. */
	size_t nm = 0, na = 0;
	if (grow_msgs(&n->rd_msgs, &n->cap_rd_msgs, n->n_out) == RAFT_OK &&
	    grow_msgs(&n->rd_msgs_ap, &n->cap_rd_msgs_ap, n->n_out) == RAFT_OK) {
		for (size_t i = 0; i < n->n_out; i++) {
			struct out_msg *o = &n->out[i];
			if (!resolve(n, o))
				continue;
			if (o->after_persist)
				n->rd_msgs_ap[na++] = o->m;
			else
				n->rd_msgs[nm++] = o->m;
		}
	}
	/* On NOMEM every message is dropped: the peers see a lost packet. */
	rd->msgs = n->rd_msgs;
	rd->n_msgs = nm;
	rd->msgs_after_persist = n->rd_msgs_ap;
	rd->n_msgs_after_persist = na;

	rd->read_states = n->read_states;
	rd->n_read_states = n->n_read_states;
	rd->soft_state_changed = n->role != n->soft_role || n->leader != n->soft_leader;

	rd->seq = ++n->ready_seq;
	n->in_ready = true;
}

void raft_advance(struct raft_node *n, const struct raft_ready *rd)
{
	/* A completion for a ready that is not the outstanding one is stale. */
	if (!n->in_ready || rd->seq != n->ready_seq)
		return;
	n->in_ready = false;
	n->n_out = 0;
	n->n_read_states = 0;
	n->soft_role = n->role;
	n->soft_leader = n->leader;

	if (rd->has_hard_state) {
		n->hs_persisted = rd->hard_state;
#if RAFT_INJECT_BUG == 3
		n->bug3_hide_vote = false; /* the next ready finally carries the vote */
#endif
	}
	if (rd->snapshot) {
		n->snap_unpersisted = false;
		if (n->applied < rd->snapshot->meta.index)
			n->applied = rd->snapshot->meta.index;
	}
	if (rd->truncate_from == n->log.truncate_from)
		n->log.truncate_from = 0;
	if (rd->n_entries > 0)
		n->log.stable = rd->entries[rd->n_entries - 1].index;

	/* Apply: configuration changes take effect here (docs/raft.md). */
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		n->applied = e->index;
		if (e->type == RAFT_ENTRY_CONF)
			apply_conf_entry(n, e);
	}

	/* L1: the leader's own entries count towards the quorum only now. */
	if (n->role == RAFT_LEADER)
		leader_self_persisted(n);
}

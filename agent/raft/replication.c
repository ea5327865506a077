/*
 * replication.c — log replication (Raft §5.3) and the commit rule (§5.4.2).
 *
 * Leader side: proposals append to the local log and mark a broadcast; the
 * APPENDs are built once per raft_ready(), so a burst of proposals leaves as
 * one message per peer (batching), cut at max_entries_per_msg and throttled
 * by max_inflight. Follower side: the AppendEntries receiver of Figure 2.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

/* ---- leader: sending --------------------------------------------------- */

/* Send one APPEND to p (or a snapshot when its next entry is compacted). */
bool send_append(struct raft_node *n, struct progress *p, bool send_if_empty)
{
	if (p->id == n->id || progress_is_paused(n, p))
		return false;
	raft_index_t prev = p->next - 1;
	raft_index_t last = log_last_index(&n->log);
	if (prev < n->log.offset) {
		send_snapshot(n, p);
		return false;
	}
	uint64_t count = last > prev ? last - prev : 0;
	if (n->opts.max_entries_per_msg && count > n->opts.max_entries_per_msg)
		count = n->opts.max_entries_per_msg;
	if (count == 0 && !send_if_empty)
		return false;
	struct out_msg *o = msg_push(n, RAFT_MSG_APPEND, p->id);
	if (!o)
		return false;
	o->m.index = prev;
	o->m.log_term = log_term_at(&n->log, prev);
	o->m.n_entries = (uint32_t)count;
	o->m.commit = n->commit;
	o->last_term = log_term_at(&n->log, prev + count);
	if (p->state == RAFT_PROGRESS_REPLICATE) {
		if (count > 0) {
			/* Optimistic: pipeline the next batch without waiting. */
			p->next = prev + count + 1;
			progress_infl_add(n, p, prev + count);
		}
	} else {
		p->probe_sent = true;
	}
	return true;
}

static void send_append_all(struct raft_node *n, struct progress *p)
{
	if (!send_append(n, p, true))
		return;
	while (p->state == RAFT_PROGRESS_REPLICATE && send_append(n, p, false))
		;
}

void bcast_append(struct raft_node *n)
{
	for (uint32_t i = 0; i < n->n_prs; i++)
		send_append_all(n, &n->prs[i]);
}

void bcast_heartbeat(struct raft_node *n, uint64_t read_seq)
{
	for (uint32_t i = 0; i < n->n_prs; i++) {
		struct progress *p = &n->prs[i];
		if (p->id == n->id)
			continue;
		struct out_msg *o = msg_push(n, RAFT_MSG_HEARTBEAT, p->id);
		if (!o)
			continue;
		/* Never tell a follower to commit past what it is known to hold. */
		o->m.commit = p->match < n->commit ? p->match : n->commit;
		o->m.ctx = read_seq;
	}
}

/*
 * §5.4.2: the leader commits an entry of its current term once a majority
 * of voters stores it; earlier-term entries are committed only indirectly.
 * Counting replicas of an older-term entry is the Figure 8 bug.
 */
bool maybe_commit(struct raft_node *n)
{
	raft_index_t m[RAFT_MAX_MEMBERS];
	uint32_t k = 0;
	for (uint32_t i = 0; i < n->n_prs; i++) {
		if (!n->prs[i].voter)
			continue; /* learners never count towards a quorum */
		raft_index_t v = n->prs[i].match;
		uint32_t j = k++;
		while (j > 0 && m[j - 1] < v) { /* insertion sort, descending */
			m[j] = m[j - 1];
			j--;
		}
		m[j] = v;
	}
	uint32_t q = config_voters(&n->config) / 2 + 1;
	if (k < q)
		return false;
	raft_index_t idx = m[q - 1];
	if (idx <= n->commit)
		return false;
#if RAFT_INJECT_BUG == 2
	/* BUG 2: commit by counting replicas, whatever the entry's term. */
#else
	if (log_term_at(&n->log, idx) != n->term)
		return false;
#endif
	n->commit = idx;
	return true;
}

int append_local(struct raft_node *n, uint8_t type, uint8_t *data, uint32_t len)
{
	int rc = log_append_owned(&n->log, n->term, type, data, len);
	if (rc == RAFT_OK)
		n->bcast_pending = true;
	return rc;
}

/* raft_advance(): the leader's own entries are durable, so it counts itself. */
void leader_self_persisted(struct raft_node *n)
{
	struct progress *self = progress_get(n, n->id);
	if (!self || self->match >= n->log.stable)
		return;
	self->match = n->log.stable;
	self->next = self->match + 1;
	if (maybe_commit(n))
		n->bcast_pending = true; /* tell followers the new commit index */
}

int raft_propose(struct raft_node *n, const uint8_t *data, size_t len)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (n->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (n->transferee != RAFT_NONE)
		return RAFT_ERR_TRANSFERRING;
	if ((len > 0 && !data))
		return RAFT_ERR_INVALID;
	if (len > UINT32_MAX || (n->opts.max_entry_bytes && len > n->opts.max_entry_bytes))
		return RAFT_ERR_TOO_BIG;
	uint8_t *copy = NULL;
	if (len > 0) {
		copy = malloc(len);
		if (!copy)
			return RAFT_ERR_NOMEM;
		memcpy(copy, data, len);
	}
	return append_local(n, RAFT_ENTRY_NORMAL, copy, (uint32_t)len);
}

/* ---- leader: receiving ------------------------------------------------- */

void handle_append_response(struct raft_node *n, const struct raft_msg *m)
{
	struct progress *p = progress_get(n, m->from);
	if (!p)
		return;
	p->recent_active = true;

	if (m->reject) {
		/* Fast back-off: jump to the last index where our terms can agree. */
		raft_index_t hint = m->reject_hint;
		if (m->log_term > 0)
			hint = log_find_conflict_by_term(&n->log, m->reject_hint, m->log_term);
		if (p->state == RAFT_PROGRESS_REPLICATE) {
			if (m->index <= p->match)
				return; /* stale */
			progress_become_probe(p);
		} else {
			if (p->next - 1 != m->index)
				return; /* stale: answers an older probe */
			raft_index_t next = m->index < hint + 1 ? m->index : hint + 1;
			if (next < p->match + 1)
				next = p->match + 1;
			p->next = next;
			p->probe_sent = false;
		}
		send_append(n, p, true);
		return;
	}

	bool paused = progress_is_paused(n, p);
	bool updated = m->index > p->match;
	/* An accept at exactly match still ends a probe (e.g. both logs empty). */
	if (!updated && !(p->state == RAFT_PROGRESS_PROBE && m->index == p->match))
		return; /* duplicate or stale */
	p->match = m->index;
	p->probe_sent = false;
	switch (p->state) {
	case RAFT_PROGRESS_PROBE:
		progress_become_replicate(p);
		break;
	case RAFT_PROGRESS_SNAPSHOT:
		if (p->match >= p->pending_snapshot)
			progress_become_probe(p);
		break;
	default:
		progress_infl_free_to(n, p, m->index);
		break;
	}
	if (p->next < p->match + 1)
		p->next = p->match + 1;
	if (maybe_commit(n))
		bcast_append(n);
	else if (paused)
		send_append(n, p, true);
	while (p->state == RAFT_PROGRESS_REPLICATE && send_append(n, p, false))
		;
	transfer_on_progress(n, p);
}

void handle_heartbeat_response(struct raft_node *n, const struct raft_msg *m)
{
	struct progress *p = progress_get(n, m->from);
	if (!p)
		return;
	p->recent_active = true;
	p->probe_sent = false;
	/* A heartbeat got through, so the oldest pipelined APPEND was likely lost. */
	if (p->state == RAFT_PROGRESS_REPLICATE && p->infl_count >= n->opts.max_inflight)
		progress_infl_free_first(n, p);
	if (p->match < log_last_index(&n->log))
		send_append(n, p, true);
	if (m->ctx > 0)
		reads_on_heartbeat_ack(n, p, m->ctx);
}

/* ---- follower: receiving ----------------------------------------------- */

static void commit_to(struct raft_node *n, raft_index_t index)
{
	if (index > n->commit)
		n->commit = index;
}

/* Figure 2, AppendEntries receiver. */
void handle_append(struct raft_node *n, const struct raft_msg *m)
{
	struct out_msg *o;
	if (m->index < n->commit) {
		/* Everything up to commit is already agreed. */
		o = msg_push(n, RAFT_MSG_APPEND_RESP, m->from);
		if (o)
			o->m.index = n->commit;
		return;
	}
	if (log_match_term(&n->log, m->index, m->log_term)) {
		/* Rules 3-4: drop a conflicting suffix, append what is new. */
		if (log_merge(&n->log, m->entries, m->n_entries) != RAFT_OK)
			return; /* NOMEM: no answer; the leader retries */
		raft_index_t last_new = m->index + m->n_entries;
		/* Rule 5: commit = min(leaderCommit, index of last new entry). */
		commit_to(n, m->commit < last_new ? m->commit : last_new);
		o = msg_push(n, RAFT_MSG_APPEND_RESP, m->from);
		if (o)
			o->m.index = last_new;
		return;
	}
	/* Rule 2: reject, with a hint so the leader can skip a whole term. */
	raft_index_t hint = m->index < log_last_index(&n->log) ? m->index
							       : log_last_index(&n->log);
	hint = log_find_conflict_by_term(&n->log, hint, m->log_term);
	o = msg_push(n, RAFT_MSG_APPEND_RESP, m->from);
	if (!o)
		return;
	o->m.reject = true;
	o->m.index = m->index;
	o->m.reject_hint = hint;
	o->m.log_term = log_term_at(&n->log, hint);
}

void handle_heartbeat(struct raft_node *n, const struct raft_msg *m)
{
	raft_index_t last = log_last_index(&n->log);
	commit_to(n, m->commit < last ? m->commit : last);
	struct out_msg *o = msg_push(n, RAFT_MSG_HEARTBEAT_RESP, m->from);
	if (o)
		o->m.ctx = m->ctx;
}

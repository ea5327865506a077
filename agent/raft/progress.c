/*
 * progress.c — what the leader knows about each peer (matchIndex, nextIndex
 * of Figure 2) and the flow control around it.
 *
 * A peer is in one of three states, as in etcd:
 *   PROBE      we do not know where its log matches ours: one APPEND at a
 *              time, each answer moves next (fast back-off) until it accepts;
 *   REPLICATE  it accepted: APPENDs are pipelined, at most max_inflight
 *              unacknowledged, next advanced optimistically;
 *   SNAPSHOT   it needs entries we compacted: no APPENDs until the snapshot
 *              is reported done or acknowledged.
 * In-flight APPENDs are a ring of their last indexes in a pool allocated once
 * at raft_new(), so replication never allocates.
 */
#include <assert.h>
#include <string.h>

#include "raft_internal.h"

static void reset_state(struct progress *p, uint8_t state)
{
	p->state = state;
	p->probe_sent = false;
	p->pending_snapshot = 0;
	p->infl_start = 0;
	p->infl_count = 0;
}

void progress_become_probe(struct progress *p)
{
	if (p->state == RAFT_PROGRESS_SNAPSHOT) {
		raft_index_t pending = p->pending_snapshot;
		reset_state(p, RAFT_PROGRESS_PROBE);
		p->next = (p->match > pending ? p->match : pending) + 1;
	} else {
		reset_state(p, RAFT_PROGRESS_PROBE);
		p->next = p->match + 1;
	}
}

void progress_become_replicate(struct progress *p)
{
	reset_state(p, RAFT_PROGRESS_REPLICATE);
	p->next = p->match + 1;
}

void progress_become_snapshot(struct progress *p, raft_index_t snap_index)
{
	reset_state(p, RAFT_PROGRESS_SNAPSHOT);
	p->pending_snapshot = snap_index;
}

bool progress_is_paused(const struct raft_node *n, const struct progress *p)
{
	switch (p->state) {
	case RAFT_PROGRESS_PROBE: return p->probe_sent;
	case RAFT_PROGRESS_REPLICATE: return p->infl_count >= n->opts.max_inflight;
	default: return true;
	}
}

void progress_infl_add(const struct raft_node *n, struct progress *p, raft_index_t last)
{
	uint32_t cap = n->opts.max_inflight;
	if (p->infl_count >= cap)
		return;
	p->infl[(p->infl_start + p->infl_count) % cap] = last;
	p->infl_count++;
}

/* An acknowledgement up to index frees every APPEND that ended at or before it. */
void progress_infl_free_to(const struct raft_node *n, struct progress *p, raft_index_t index)
{
	uint32_t cap = n->opts.max_inflight;
	while (p->infl_count > 0 && p->infl[p->infl_start] <= index) {
		p->infl_start = (p->infl_start + 1) % cap;
		p->infl_count--;
	}
	if (p->infl_count == 0)
		p->infl_start = 0;
}

void progress_infl_free_first(const struct raft_node *n, struct progress *p)
{
	if (p->infl_count == 0)
		return;
	p->infl_start = (p->infl_start + 1) % n->opts.max_inflight;
	p->infl_count--;
}

struct progress *progress_get(struct raft_node *n, raft_id_t id)
{
	for (uint32_t i = 0; i < n->n_prs; i++)
		if (n->prs[i].id == id)
			return &n->prs[i];
	return NULL;
}

struct progress *progress_add(struct raft_node *n, raft_id_t id, bool voter)
{
	struct progress *p = progress_get(n, id);
	if (p) {
		p->voter = voter;
		return p;
	}
	if (n->n_prs >= RAFT_MAX_MEMBERS)
		return NULL;
	uint32_t slot = n->n_prs++;
	p = &n->prs[slot];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->voter = voter;
	p->infl = n->infl_pool + (size_t)slot * n->opts.max_inflight;
	p->next = log_last_index(&n->log) + 1;
	reset_state(p, RAFT_PROGRESS_PROBE);
	if (id == n->id) {
		p->match = n->log.stable;
		reset_state(p, RAFT_PROGRESS_REPLICATE);
	}
	/* A new peer counts as active for one election timeout (check-quorum). */
	p->recent_active = true;
	return p;
}

void progress_remove(struct raft_node *n, raft_id_t id)
{
	struct progress *p = progress_get(n, id);
	if (!p)
		return;
	uint32_t slot = (uint32_t)(p - n->prs);
	uint32_t last = n->n_prs - 1;
	if (slot != last) {
		/* Move the last peer into the hole, with its in-flight ring. */
		raft_index_t *hole = n->infl_pool + (size_t)slot * n->opts.max_inflight;
		memcpy(hole, n->prs[last].infl, n->opts.max_inflight * sizeof(*hole));
		n->prs[slot] = n->prs[last];
		n->prs[slot].infl = hole;
	}
	n->n_prs--;
}

void progress_reset_all(struct raft_node *n)
{
	n->n_prs = 0;
	for (uint32_t i = 0; i < n->config.n; i++)
		progress_add(n, n->config.members[i].id, n->config.members[i].voter);
}

/* Did a quorum of voters talk to us during the last election timeout? */
bool progress_quorum_active(struct raft_node *n)
{
	uint32_t active = 0;
	for (uint32_t i = 0; i < n->n_prs; i++) {
		struct progress *p = &n->prs[i];
		if (p->voter && (p->recent_active || p->id == n->id))
			active++;
		if (p->id != n->id)
			p->recent_active = false;
	}
	return active >= config_voters(&n->config) / 2 + 1;
}

void raft_report_unreachable(struct raft_node *n, raft_id_t peer)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (n->role != RAFT_LEADER)
		return;
	struct progress *p = progress_get(n, peer);
	/* Pipelined appends are probably lost: fall back to probing. */
	if (p && p->id != n->id && p->state == RAFT_PROGRESS_REPLICATE)
		progress_become_probe(p);
}

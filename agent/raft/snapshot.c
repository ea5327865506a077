/*
 * snapshot.c — log compaction and InstallSnapshot (Raft §7).
 *
 * The application snapshots its state at an applied index and hands it to
 * raft_compact(); the node keeps that snapshot (data copied) so a leader can
 * send it whole to a follower whose next entry was compacted away. A follower
 * that installs one reports it in ready.snapshot; the stored log is then
 * replaced (docs/raft.md).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

int raft_compact(struct raft_node *n, raft_index_t index, const uint8_t *data, size_t len)
{
	if (n->in_ready || (len > 0 && !data))
		return RAFT_ERR_INVALID;
	if (index <= n->log.offset)
		return RAFT_ERR_COMPACTED;
	if (index > n->applied || index > n->log.stable)
		return RAFT_ERR_UNAVAILABLE;
	/*
	 * The snapshot carries the configuration as of index. Configuration
	 * changes take effect when applied, so n->config is the one as of
	 * `applied`; it is also the one as of `index` unless a conf entry was
	 * applied in between, which we refuse (snapshot at `applied` instead).
	 */
	for (raft_index_t i = index + 1; i <= n->applied; i++) {
		const struct raft_entry *e = log_entry(&n->log, i);
		if (e && e->type == RAFT_ENTRY_CONF)
			return RAFT_ERR_INVALID;
	}
	/*
	 * Never inside the bootstrap configuration (review 2026-11-27, R2b): a
	 * first leader commits its bootstrap CONF entries one by one (they are
	 * of its term), so without this a snapshot could end between them, and
	 * a later leader, seeing a compacted log, could not tell that the
	 * configuration in the log is incomplete (election.c). With it, every
	 * snapshot covers a no-op, which only follows a complete configuration.
	 */
	if (n->log.offset == 0) {
		bool noop = false;
		for (raft_index_t i = 1; i <= index && !noop; i++)
			noop = log_entry(&n->log, i)->type == RAFT_ENTRY_NOOP;
		if (!noop)
			return RAFT_ERR_INVALID;
	}
	uint8_t *copy = NULL;
	if (len > 0) {
		copy = malloc(len);
		if (!copy)
			return RAFT_ERR_NOMEM;
		memcpy(copy, data, len);
	}
	free(n->snap.data);
	n->snap.data = copy;
	n->snap.len = len;
	n->snap.meta.index = index;
	n->snap.meta.term = log_term_at(&n->log, index);
	n->snap.meta.config = n->config;
	log_compact(&n->log, index);
	return RAFT_OK;
}

void send_snapshot(struct raft_node *n, struct progress *p)
{
	if (n->snap.meta.index == 0)
		return; /* nothing to send: should not happen with a compacted log */
	struct out_msg *o = msg_push(n, RAFT_MSG_SNAPSHOT, p->id);
	if (!o)
		return;
	/* The snapshot itself is attached in raft_ready() (it may be replaced). */
	progress_become_snapshot(p, n->snap.meta.index);
}

void handle_snapshot(struct raft_node *n, const struct raft_msg *m)
{
	const struct raft_snapshot *s = &m->snapshot;
	raft_index_t answer;

	if (s->meta.index <= n->commit) {
		answer = n->commit; /* nothing new */
	} else if (log_match_term(&n->log, s->meta.index, s->meta.term)) {
		/* We hold that entry already: the snapshot only tells us it is committed. */
		n->commit = s->meta.index;
		answer = n->commit;
	} else {
		uint8_t *copy = NULL;
		if (s->len > 0) {
			copy = malloc(s->len);
			if (!copy)
				return; /* NOMEM: no answer, the leader retries */
			memcpy(copy, s->data, s->len);
		}
		free(n->snap.data);
		n->snap.data = copy;
		n->snap.len = s->len;
		n->snap.meta = s->meta;
		n->snap_unpersisted = true;
		n->config = s->meta.config;
		log_reset(&n->log, s->meta.index, s->meta.term);
		n->commit = s->meta.index;
		answer = s->meta.index;
	}
	struct out_msg *o = msg_push(n, RAFT_MSG_APPEND_RESP, m->from);
	if (o)
		o->m.index = answer;
}

void raft_report_snapshot(struct raft_node *n, raft_id_t peer, bool ok)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (n->role != RAFT_LEADER)
		return;
	struct progress *p = progress_get(n, peer);
	if (!p || p->state != RAFT_PROGRESS_SNAPSHOT)
		return;
	if (!ok)
		p->pending_snapshot = 0; /* resend from match+1 */
	progress_become_probe(p);
	/* Wait for the follower's answer (or a heartbeat) before the next APPEND. */
	p->probe_sent = true;
}

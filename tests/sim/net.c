/*
 * net.c — the simulated network: every message a node hands out is copied,
 * then lost, delayed, duplicated (copies travel independently, so they also
 * reorder) or cut by a partition, according to the current weather and link
 * table. A partition is checked when a message is sent and again when it
 * arrives. It also plays the transport's reports back to the sender
 * (snapshot sent or failed, peer unreachable), and records every vote grant
 * that leaves a node for the checker.
 */
#include "sim.h"

#include <stdlib.h>

#include "msgcopy.h"

typedef unsigned long long ull;

const char *sim_msg_str(const struct raft_msg *m, char *buf, size_t len)
{
	int off = snprintf(buf, len, "%s n%llu->n%llu term=%llu", raft_msg_type_name(m->type),
			   (ull)m->from, (ull)m->to, (ull)m->term);

	if (off < 0 || (size_t)off >= len)
		return buf;
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		snprintf(buf + off, len - (size_t)off, " last=%llu/t%llu%s", (ull)m->index,
			 (ull)m->log_term, m->ctx ? " transfer" : "");
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		snprintf(buf + off, len - (size_t)off, " %s", m->reject ? "reject" : "grant");
		break;
	case RAFT_MSG_APPEND:
		snprintf(buf + off, len - (size_t)off, " prev=%llu/t%llu n=%u commit=%llu",
			 (ull)m->index, (ull)m->log_term, m->n_entries, (ull)m->commit);
		break;
	case RAFT_MSG_APPEND_RESP:
		snprintf(buf + off, len - (size_t)off, " %s index=%llu hint=%llu",
			 m->reject ? "reject" : "ok", (ull)m->index, (ull)m->reject_hint);
		break;
	case RAFT_MSG_HEARTBEAT:
		snprintf(buf + off, len - (size_t)off, " commit=%llu ctx=%llu", (ull)m->commit,
			 (ull)m->ctx);
		break;
	case RAFT_MSG_SNAPSHOT:
		snprintf(buf + off, len - (size_t)off, " snap=%llu/t%llu",
			 (ull)m->snapshot.meta.index, (ull)m->snapshot.meta.term);
		break;
	case RAFT_MSG_READ_INDEX:
	case RAFT_MSG_READ_INDEX_RESP:
		snprintf(buf + off, len - (size_t)off, " ctx=%llu index=%llu%s", (ull)m->ctx,
			 (ull)m->index, m->reject ? " reject" : "");
		break;
	default:
		break;
	}
	return buf;
}

/* ---- the network -------------------------------------------------------- */

/*
 * What a real transport learns about a send: a snapshot stream finished or
 * failed, or the peer could not be reached. It reaches the sender a little
 * later, as an input of the incarnation that sent the message.
 */
static void report_later(struct sim *s, uint32_t from_slot, raft_id_t peer, uint8_t report)
{
	struct sim_event ev = { .at_ms = s->now_ms + rng_range(&s->rng, 1, 10), .kind = EV_REPORT,
				.slot = from_slot, .gen = s->nodes[from_slot].gen,
				.report = report, .peer = peer };

	if (!evq_push(&s->q, ev))
		check_fail(&s->chk, "Harness", "out of memory in the agenda");
}

static void report_drop(struct sim *s, uint32_t from_slot, const struct raft_msg *m, bool cut)
{
	if (m->type == RAFT_MSG_SNAPSHOT)
		report_later(s, from_slot, m->to, REPORT_SNAPSHOT_FAILED);
	else if (cut && m->type == RAFT_MSG_APPEND && rng_chance(&s->rng, 500000))
		report_later(s, from_slot, m->to, REPORT_UNREACHABLE);
}

void net_send(struct sim *s, uint32_t from_slot, const struct raft_msg *m)
{
	char buf[160];

	s->stats.msgs_sent++;
	/* Every grant leaving a node is a promise: at most one per term (strict). */
	if (m->type == RAFT_MSG_VOTE_RESP && !m->reject)
		check_vote_grant(&s->chk, m->from, m->term, m->to);
	if (m->to == RAFT_NONE || m->to > SIM_MAX_NODES) {
		s->stats.msgs_dropped++;
		return;
	}
	uint32_t to_slot = (uint32_t)(m->to - 1);

	if (!s->link[from_slot][to_slot] || s->q.len >= SIM_MAX_QUEUED ||
	    rng_chance(&s->rng, s->net.loss_ppm)) {
		s->stats.msgs_dropped++;
		report_drop(s, from_slot, m, !s->link[from_slot][to_slot]);
		sim_trace(s, "lost %s", sim_msg_str(m, buf, sizeof(buf)));
		return;
	}
	int copies = rng_chance(&s->rng, s->net.dup_ppm) ? 2 : 1;

	s->stats.msgs_duplicated += (uint64_t)(copies - 1);
	for (int c = 0; c < copies; c++) {
		uint64_t delay = rng_range(&s->rng, s->net.delay_min_ms, s->net.delay_max_ms);

		if (rng_chance(&s->rng, s->net.long_delay_ppm))
			delay = rng_range(&s->rng, s->net.delay_max_ms, s->net.long_delay_max_ms);
		struct raft_msg *copy = msgcopy_dup(m);
		struct sim_event ev = { .at_ms = s->now_ms + delay, .kind = EV_DELIVER,
					.slot = to_slot, .msg = copy };

		if (!copy || !evq_push(&s->q, ev)) {
			msgcopy_free(copy);
			check_fail(&s->chk, "Harness", "out of memory queueing a message");
			return;
		}
	}
}

void net_deliver(struct sim *s, struct sim_event *ev)
{
	struct simnode *n = &s->nodes[ev->slot];
	struct raft_msg *m = ev->msg;
	char buf[160];
	uint32_t from_slot = m->from >= 1 && m->from <= SIM_MAX_NODES ? (uint32_t)(m->from - 1) : 0;

	if (n->state != NODE_UP || !s->link[from_slot][ev->slot]) {
		s->stats.msgs_dropped++;
		sim_trace(s, "dropped %s (%s)", sim_msg_str(m, buf, sizeof(buf)),
			  n->state != NODE_UP ? "node down" : "partition");
		if (m->from >= 1 && m->from <= SIM_MAX_NODES)
			report_drop(s, from_slot, m, true);
		msgcopy_free(m);
		return;
	}
	if (n->pw.busy) {
		/* The core takes no input between ready and advance: wait for the fsync. */
		ev->at_ms = n->pw.done_at_ms;
		if (!evq_push(&s->q, *ev)) {
			msgcopy_free(m);
			check_fail(&s->chk, "Harness", "out of memory requeueing a message");
		}
		return;
	}
	s->stats.msgs_delivered++;
	int rc = raft_step(n->rn, m);

	if (m->type == RAFT_MSG_SNAPSHOT && m->from >= 1 && m->from <= SIM_MAX_NODES)
		report_later(s, from_slot, m->to, REPORT_SNAPSHOT_OK);

	sim_trace(s, "deliver %s%s%s", sim_msg_str(m, buf, sizeof(buf)), rc ? " -> " : "",
		  rc ? raft_strerror(rc) : "");
	msgcopy_free(m);
}

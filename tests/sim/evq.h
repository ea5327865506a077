/*
 * evq.h — the simulator's agenda: a binary min-heap of timed events ordered
 * by (virtual time, insertion sequence), so equal times pop in a fixed order
 * and a run is reproducible.
 */
#ifndef PGQ_SIM_EVQ_H
#define PGQ_SIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

enum sim_event_kind {
	EV_TICK = 1,    /* one Raft tick for a node */
	EV_DELIVER,     /* a network message reaches its destination */
	EV_FSYNC_DONE,  /* a node's pending write becomes durable */
	EV_CRASH,       /* crash a node (scheduled inside a pending fsync window) */
	EV_RESTART,     /* bring a crashed node back from its disk */
	EV_NEMESIS,     /* the fault injector picks its next action */
	EV_CLIENT,      /* a client proposes, reads or asks for a transfer */
	EV_REPORT,      /* the transport tells a sender how a send went */
};

enum sim_report {
	REPORT_SNAPSHOT_OK = 1,   /* raft_report_snapshot(peer, true) */
	REPORT_SNAPSHOT_FAILED,   /* raft_report_snapshot(peer, false) */
	REPORT_UNREACHABLE,       /* raft_report_unreachable(peer) */
};

struct sim_event {
	uint64_t at_ms;
	uint64_t seq;
	uint8_t kind;          /* enum sim_event_kind */
	uint32_t slot;         /* node slot the event concerns */
	uint64_t gen;          /* node incarnation it was scheduled for */
	struct raft_msg *msg;  /* EV_DELIVER: owned by the queue until popped */
	uint8_t report;        /* EV_REPORT: enum sim_report */
	raft_id_t peer;        /* EV_REPORT: the destination the report is about */
};

struct evq {
	struct sim_event *heap;
	size_t len, cap;
	uint64_t next_seq;
};

void evq_init(struct evq *q);
/* Frees pending events and the messages they own. */
void evq_free(struct evq *q);
/* Takes ownership of ev->msg; false on allocation failure (msg not taken). */
bool evq_push(struct evq *q, struct sim_event ev);
/* Pops the earliest event; false when empty. The caller owns out->msg. */
bool evq_pop(struct evq *q, struct sim_event *out);

#endif /* PGQ_SIM_EVQ_H */

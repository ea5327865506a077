/*
 * sim.h — the deterministic Raft simulator: one process, N Raft nodes, a
 * simulated network, one simulated disk per node, a virtual clock, and a
 * fault injector, all driven by one seeded PRNG (rng.h).
 *
 * A run is a sequence of steps; each step pops one event from the agenda
 * (evq.h), feeds it to the node it concerns, drains every node's ready the
 * way the agent's loop would (send msgs, persist, send msgs_after_persist,
 * apply, advance), then checks every invariant (check.h). Between
 * raft_ready() and raft_advance() a node is "syncing": the core accepts no
 * input then, so events for it wait until its simulated fsync completes.
 */
#ifndef PGQ_SIM_SIM_H
#define PGQ_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "raft/raft.h"

#include "app.h"
#include "check.h"
#include "disk.h"
#include "evq.h"
#include "rng.h"

#define SIM_MAX_NODES 16        /* node slots; ids are slot + 1, never reused */
#define SIM_MAX_QUEUED 100000   /* events in flight; beyond this the network drops */
#define SIM_READY_LOOP_MAX 64   /* readies drained per node per step */

enum node_state {
	NODE_UNBORN = 0,  /* slot not used yet */
	NODE_UP,
	NODE_DOWN,        /* crashed; a restart is scheduled */
	NODE_GONE,        /* removed from the cluster and decommissioned */
};

/* A ready whose writes are waiting for the simulated fsync. */
struct pending_write {
	bool busy;
	uint64_t started_ms;
	uint64_t done_at_ms;
	struct raft_ready rd;     /* as handed out: valid until raft_advance() */
	struct disk_write w;      /* deep copy, survives a crash (torn write) */
};

struct simnode {
	raft_id_t id;
	bool founder;             /* in the bootstrap configuration; joiners start empty */
	uint8_t state;            /* enum node_state */
	struct raft_node *rn;     /* NULL unless NODE_UP */
	uint64_t gen;             /* incarnation: stale events are ignored */
	uint32_t tick_ms;         /* this node's tick period (clock-rate skew) */
	uint64_t slow_disk_until_ms;
	bool decommission;        /* its removal committed: take it away after this step */
	struct simdisk disk;
	struct app app;
	struct pending_write pw;

	/* What the checker saw at the end of the previous step. */
	enum raft_role role;
	raft_term_t term;
	raft_index_t commit;
	raft_term_t leader_term;  /* term it was last seen leading; 0 none */
	raft_index_t leader_last; /* its last index then */
	raft_term_t leader_last_term;
};

/* The network's current weather. */
struct net_params {
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t delay_min_ms, delay_max_ms;
	uint32_t long_delay_ppm;  /* a message stuck in some queue */
	uint32_t long_delay_max_ms;
};

struct sim_stats {
	uint64_t msgs_sent, msgs_delivered, msgs_dropped, msgs_duplicated;
	uint64_t crashes, torn_writes, restarts, partitions, heals;
	uint64_t proposals, proposals_refused, reads, conf_changes, transfers, compactions;
	uint64_t calm_phases, max_recovery_ms;
	uint64_t virtual_ms;
};

struct sim {
	uint64_t seed;
	uint32_t n_initial;        /* 3 or 5 */
	uint64_t max_steps;
	FILE *trace;               /* NULL: no trace */
	/*
	 * false: like the agent (docs/agent.md), every node compacts when it
	 * applies an ADD_LEARNER, so a joiner gets a snapshot first. true:
	 * joiners may rebuild the configuration from the whole log, as
	 * docs/raft.md allows. Drawn per seed; --join-from-log forces it.
	 */
	bool join_from_log;

	struct rng rng;
	struct evq q;
	uint64_t now_ms;
	uint64_t step;

	struct simnode nodes[SIM_MAX_NODES];
	uint32_t n_slots;          /* slots ever used */
	struct raft_config bootstrap;
	struct raft_options base_opts;

	bool link[SIM_MAX_NODES][SIM_MAX_NODES]; /* link[from][to]: messages pass */
	struct net_params net;
	struct net_params chaos_net;

	/* Fault profile of this seed (per million unless named otherwise). */
	uint32_t fsync_slow_ppm;   /* a write takes > 0 ms */
	uint32_t fsync_max_ms;
	uint32_t crash_in_sync_ppm;       /* crash inside an fsync window */
	uint32_t crash_after_vote_ppm;    /* ... when that write carries a new vote */
	uint32_t torn_ppm;         /* a crash keeps a prefix of the pending write */
	uint32_t max_down;         /* nodes down at once */
	uint32_t isolate_new_leader_ppm;  /* cut a fresh leader off (divergent logs) */
	uint32_t crash_after_commit_ppm;  /* crash a leader right after it commits */

	/* Calm phases: faults off, then a leader and a new commit are required. */
	bool calm;
	uint64_t calm_started_ms;
	uint64_t calm_deadline_ms;
	uint64_t calm_first_proposal;
	bool calm_done;
	uint64_t next_calm_ms;
	bool final_calm;

	struct checker chk;
	struct sim_stats stats;
};

/* Prepares a run of `seed` (allocates nothing that sim_free would not release). */
int sim_init(struct sim *s, uint64_t seed, uint32_t n_nodes, uint64_t steps, FILE *trace);
/* Runs to the end or the first violation; true when every invariant held. */
bool sim_run(struct sim *s);
void sim_free(struct sim *s);

/* ---- shared between sim.c and nemesis.c -------------------------------- */
void sim_trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sim_push(struct sim *s, uint8_t kind, uint32_t slot, uint64_t at_ms);
/* Creates node slot `slot` as a fresh member-to-be (empty disk). */
bool sim_node_create(struct sim *s, uint32_t slot);
void sim_crash(struct sim *s, uint32_t slot, uint64_t restart_after_ms);
bool sim_restart(struct sim *s, uint32_t slot);
/* The up leader with the highest term, or -1. */
int sim_leader_slot(const struct sim *s);
/* Nodes that accept input now (up and not syncing). */
bool sim_node_ready_for_input(const struct sim *s, uint32_t slot);

/* net.c: the simulated network. */
const char *sim_msg_str(const struct raft_msg *m, char *buf, size_t len);
/* Copies m onto the network from node slot from_slot (or drops it). */
void net_send(struct sim *s, uint32_t from_slot, const struct raft_msg *m);
/* An EV_DELIVER event: steps the destination, or drops or defers the message. */
void net_deliver(struct sim *s, struct sim_event *ev);

/* nemesis.c: the fault injector and the clients. */
/* raft_compact() at the node's applied index, and the same on its disk. */
void sim_compact_node(struct sim *s, uint32_t slot);
void nemesis_init(struct sim *s);
void nemesis_event(struct sim *s);
void client_event(struct sim *s);
/* Reactions to what the scan saw: a node just became leader / advanced its commit. */
void nemesis_on_new_leader(struct sim *s, uint32_t slot);
void nemesis_on_leader_commit(struct sim *s, uint32_t slot);
void calm_begin(struct sim *s, bool final);
void calm_end(struct sim *s);
void net_weather_calm(struct net_params *n);
void net_heal_all(struct sim *s);

#endif /* PGQ_SIM_SIM_H */

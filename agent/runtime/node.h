/*
 * node.h — the node driver: the I/O shell around the pure Raft core.
 *
 * It runs the Ready loop of raft.h on the agent's libuv loop:
 *   raft_ready -> send rd.msgs now -> persist in libuv's thread pool
 *   (uv_queue_work; one write in flight at a time) -> send
 *   rd.msgs_after_persist -> restore rd.snapshot, apply rd.committed ->
 *   raft_advance.
 * From raft_ready() until raft_advance() the node is *busy*: the worker
 * thread reads memory the core owns, so the loop does not touch the core at
 * all; ticks, peer messages and proposals that arrive meanwhile are queued
 * (bounded; Raft tolerates a dropped message) and fed in after advance.
 *
 * Owns: the raft_node and the storage handle. Messages go out through the
 * send callback; committed entries and snapshots go up through the apply
 * callbacks. All callbacks run on the loop thread.
 */
#ifndef PGQ_RUNTIME_NODE_H
#define PGQ_RUNTIME_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "raft/raft.h"
#include "storage/storage.h"

struct pgq_append_clock;

struct pgq_node;

struct pgq_node_callbacks {
	/* Send one message to its m->to (borrowed for the call). */
	void (*send)(void *ctx, const struct raft_msg *m);
	/* A committed entry, in order, exactly once per process lifetime. */
	void (*apply)(void *ctx, const struct raft_entry *e);
	/* Replace the application state by a snapshot received from the leader. */
	void (*restore)(void *ctx, const struct raft_snapshot *s);
	/* Role, leader or term may have changed; also after each applied batch. */
	void (*changed)(void *ctx);
	/* Storage failed: the agent must stop (a failed fsync cannot be retried). */
	void (*fatal)(void *ctx, const char *message);
};

struct pgq_node_options {
	struct raft_options raft;
	bool has_initial;            /* false: start with no configuration (joining) */
	struct raft_config initial;  /* founding configuration (used when there is no snapshot) */
};

/*
 * Create the driver around an opened storage handle. Ownership of `st`
 * moves to the node on success (closed by pgq_node_stop). On failure the
 * caller still owns st.
 */
int pgq_node_new(uv_loop_t *loop, struct pgq_storage *st, const struct pgq_node_options *opts,
		 const struct pgq_node_callbacks *cb, void *ctx, struct pgq_node **out,
		 char *err, size_t errlen);

/*
 * Stop: no more sends or applies. When a write is in flight its completion
 * frees the node (so keep running the loop); otherwise it is freed now.
 */
void pgq_node_stop(struct pgq_node *node);

/* Inputs (deferred while busy). */
void pgq_node_tick(struct pgq_node *node);
void pgq_node_step(struct pgq_node *node, const struct raft_msg *m);   /* m borrowed */
/*
 * Propose a NORMAL entry (data copied). Returns RAFT_ERR_NOT_LEADER when
 * this node is not the leader at call time; 0 means handed to the core (or
 * queued for it): the caller learns the outcome when the entry is applied.
 */
int pgq_node_propose(struct pgq_node *node, const uint8_t *data, size_t len);
int pgq_node_propose_conf(struct pgq_node *node, const struct raft_conf_change *cc);
int pgq_node_campaign(struct pgq_node *node);
/* Hand Raft leadership to voter `to` (RAFT_ERR_NOT_LEADER when not leading). */
int pgq_node_transfer(struct pgq_node *node, raft_id_t to);
void pgq_node_report_unreachable(struct pgq_node *node, raft_id_t peer);

/*
 * Log compaction at `index` (<= applied): the core drops entries up to it
 * and keeps `data` (copied) for lagging followers; storage saves the
 * snapshot and deletes old segments. Only while not busy (returns -1 with
 * err on failure; a storage failure is fatal for the caller).
 */
int pgq_node_compact(struct pgq_node *node, raft_index_t index, const uint8_t *data,
		     size_t len, char *err, size_t errlen);

/* Read-only access to the core for status (never while busy in another thread: loop only). */
const struct raft_node *pgq_node_raft(const struct pgq_node *node);
/* S3: when this agent appended its recent log entries (ha/s3_ages.h). */
const struct pgq_append_clock *pgq_node_append_clock(const struct pgq_node *node);
struct pgq_storage *pgq_node_storage(struct pgq_node *node);

/* Figures for status and benchmarks. */
struct pgq_node_stats {
	uint64_t persists;             /* writes completed */
	uint64_t persist_us_last;      /* duration of the last write (incl. fsync) */
	uint64_t persist_us_max;
	uint64_t dropped_inputs;       /* queued inputs dropped because the queue was full */
};
void pgq_node_stats(const struct pgq_node *node, struct pgq_node_stats *out);

#endif /* PGQ_RUNTIME_NODE_H */

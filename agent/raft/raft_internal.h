/*
 * raft_internal.h — the node's private state and the helpers the core's
 * files share. Nothing here is part of the API: only the agent/raft .c files include it.
 *
 * Layout of the core (one concern per file):
 *   node.c        create/free, introspection, names
 *   log.c         the in-memory log (snapshot offset, stable/unstable split)
 *   ready.c       outgoing message queue, raft_ready()/raft_advance()
 *   step.c        raft_step(): term rules and dispatch by role
 *   validate.c    checks on every field of an incoming message
 *   election.c    ticks, pre-vote, vote, check-quorum; the only place roles change
 *   progress.c    the leader's per-peer progress and flow control
 *   replication.c append/heartbeat send and receive, commit rule, proposals
 *   membership.c  configuration changes
 *   transfer.c    leadership transfer
 *   readindex.c   linearizable reads (ReadIndex)
 *   snapshot.c    compaction, InstallSnapshot send/receive
 */
#ifndef PGQ_RAFT_INTERNAL_H
#define PGQ_RAFT_INTERNAL_H

#include "raft.h"

/* Default build: no injected bug. See docs/raft.md, "Bug injection". */
#ifndef RAFT_INJECT_BUG
#define RAFT_INJECT_BUG 0
#endif

/*
 * Terms and indexes never exceed 2^63 - 1 (as in the codec): no real log gets
 * near it, and the bound keeps every `+ 1` in the core from wrapping.
 */
#define RAFT_VALUE_MAX ((uint64_t)INT64_MAX)

/* ---- log.c ------------------------------------------------------------- */

/*
 * Entries offset+1 .. offset+len live in ents[start .. start+len). Entry data
 * is owned by the log. `stable` is the last index the caller has persisted
 * (entries above it are "unstable" and go out in the next ready).
 */
struct raft_log {
	struct raft_entry *ents;
	size_t start;
	size_t len;
	size_t cap;
	raft_index_t offset;        /* index of the snapshot the log starts after */
	raft_term_t offset_term;    /* its term */
	raft_index_t stable;        /* entries <= stable are on the caller's disk */
	raft_index_t truncate_from; /* pending: stored entries >= this must go; 0 none */
};

void log_init(struct raft_log *l, raft_index_t offset, raft_term_t offset_term);
void log_free(struct raft_log *l);
raft_index_t log_last_index(const struct raft_log *l);
raft_index_t log_first_index(const struct raft_log *l);
raft_term_t log_last_term(const struct raft_log *l);
/* 0 when the index is neither in memory nor the snapshot point. */
raft_term_t log_term_at(const struct raft_log *l, raft_index_t index);
bool log_match_term(const struct raft_log *l, raft_index_t index, raft_term_t term);
/* Pointer to the entry at index (offset < index <= last). */
struct raft_entry *log_entry(const struct raft_log *l, raft_index_t index);
/* Append one entry at last+1, taking ownership of data (freed on failure). */
int log_append_owned(struct raft_log *l, raft_term_t term, uint8_t type,
		     uint8_t *data, uint32_t len);
/*
 * Follower append: entries (contiguous, first index prev+1) are merged into
 * the log, truncating at the first conflict. Data is copied. On NOMEM the
 * log is unchanged.
 */
int log_merge(struct raft_log *l, const struct raft_entry *ents, size_t n);
/* Drop entries <= index (index must be in memory, <= stable). */
void log_compact(struct raft_log *l, raft_index_t index);
/* Forget everything: the log now starts after a snapshot at (index, term). */
void log_reset(struct raft_log *l, raft_index_t index, raft_term_t term);
/* Largest index <= index whose term <= term (fast back-off); 0 when none. */
raft_index_t log_find_conflict_by_term(const struct raft_log *l, raft_index_t index,
				       raft_term_t term);
/* §5.4.1: is (last_term, last_index) at least as up-to-date as our log? */
bool log_is_up_to_date(const struct raft_log *l, raft_term_t last_term,
		       raft_index_t last_index);

/* ---- progress.c -------------------------------------------------------- */

struct progress {
	raft_id_t id;
	bool voter;
	raft_index_t match;
	raft_index_t next;
	uint8_t state;               /* enum raft_progress_state */
	bool probe_sent;             /* PROBE: one append out, wait for an answer */
	bool recent_active;
	raft_index_t pending_snapshot;
	raft_index_t *infl;          /* ring of last indexes of in-flight APPENDs */
	uint32_t infl_start;
	uint32_t infl_count;
	uint64_t read_acked;         /* highest ReadIndex round it confirmed */
};

/* ---- ready.c: outgoing message queue ------------------------------------ */

struct out_msg {
	struct raft_msg m;           /* APPEND: entries resolved at raft_ready() */
	raft_term_t last_term;       /* APPEND: term of the last entry (checked at ready) */
	bool after_persist;
};

struct pending_read {
	uint64_t ctx;
	raft_index_t index;
	raft_id_t from;              /* self or the follower that asked */
	uint64_t seq;                /* heartbeat round that confirms it */
};

struct raft_node {
	struct raft_options opts;
	raft_id_t id;

	/* Persistent state (Figure 2). */
	raft_term_t term;
	raft_id_t vote;
	struct raft_log log;

	/* Volatile state. */
	enum raft_role role;
	raft_id_t leader;
	raft_index_t commit;
	raft_index_t applied;
	struct raft_config config;

	/* Own snapshot (the latest compaction point or the installed one). */
	struct raft_snapshot snap;
	bool snap_unpersisted;       /* installed from a leader: goes out in the next ready */

	/* Timers, in ticks. */
	uint32_t election_elapsed;
	uint32_t heartbeat_elapsed;
	uint32_t randomized_timeout;
	uint64_t prng;

	/* Election bookkeeping: who answered our (pre-)vote requests. */
	raft_id_t votes_from[RAFT_MAX_MEMBERS];
	bool votes_granted[RAFT_MAX_MEMBERS];
	uint32_t n_votes;

	/* Leader state. */
	struct progress prs[RAFT_MAX_MEMBERS];
	uint32_t n_prs;
	raft_index_t *infl_pool;     /* RAFT_MAX_MEMBERS * max_inflight slots */
	raft_index_t term_start_index; /* index of this term's no-op */
	raft_index_t pending_conf_index; /* no conf change until applied >= this */
	raft_id_t transferee;
	uint32_t transfer_elapsed;
	bool bcast_pending;          /* send appends at the next raft_ready() */

	/* ReadIndex. */
	struct pending_read *reads;
	size_t n_reads, cap_reads;
	uint64_t read_seq;
	bool read_bcast_pending;     /* a heartbeat round for reads at the next ready */
	struct raft_read_state *read_states;
	size_t n_read_states, cap_read_states;

	/* Outgoing messages, and the arrays handed out in a ready. */
	struct out_msg *out;
	size_t n_out, cap_out;
	struct raft_msg *rd_msgs;
	size_t cap_rd_msgs;
	struct raft_msg *rd_msgs_ap;
	size_t cap_rd_msgs_ap;

	/* What was last handed out / persisted. */
	struct raft_hard_state hs_persisted;
	enum raft_role soft_role;
	raft_id_t soft_leader;
	bool in_ready;               /* between raft_ready() and raft_advance() */
	uint64_t ready_seq;
#if RAFT_INJECT_BUG == 3
	bool bug3_hide_vote;         /* vote sent before being persisted */
#endif
};

/* ---- helpers shared by several files ----------------------------------- */

/* node.c */
bool config_valid(const struct raft_config *c);
int config_find(const struct raft_config *c, raft_id_t id);
bool config_is_voter(const struct raft_config *c, raft_id_t id);
uint32_t config_voters(const struct raft_config *c);
bool node_promotable(const struct raft_node *n);
uint64_t prng_next(struct raft_node *n);

/* ready.c */
/* Queue a message; on NOMEM it is dropped (a lost message, which Raft tolerates). */
struct out_msg *msg_push(struct raft_node *n, uint8_t type, raft_id_t to);
void read_state_push(struct raft_node *n, uint64_t ctx, raft_index_t index);

/* election.c */
void become_follower(struct raft_node *n, raft_term_t term, raft_id_t leader);
void campaign(struct raft_node *n, bool pre_vote, bool transfer);
void election_tick(struct raft_node *n);
void handle_vote_request(struct raft_node *n, const struct raft_msg *m);
void handle_vote_response(struct raft_node *n, const struct raft_msg *m);
void reset_timers(struct raft_node *n);

/* progress.c */
void progress_reset_all(struct raft_node *n);
struct progress *progress_get(struct raft_node *n, raft_id_t id);
struct progress *progress_add(struct raft_node *n, raft_id_t id, bool voter);
void progress_remove(struct raft_node *n, raft_id_t id);
void progress_become_probe(struct progress *p);
void progress_become_replicate(struct progress *p);
void progress_become_snapshot(struct progress *p, raft_index_t snap_index);
bool progress_is_paused(const struct raft_node *n, const struct progress *p);
void progress_infl_add(const struct raft_node *n, struct progress *p, raft_index_t last);
void progress_infl_free_to(const struct raft_node *n, struct progress *p, raft_index_t index);
void progress_infl_free_first(const struct raft_node *n, struct progress *p);
bool progress_quorum_active(struct raft_node *n);

/* replication.c */
bool send_append(struct raft_node *n, struct progress *p, bool send_if_empty);
void bcast_append(struct raft_node *n);
void bcast_heartbeat(struct raft_node *n, uint64_t read_seq);
bool maybe_commit(struct raft_node *n);
void handle_append(struct raft_node *n, const struct raft_msg *m);
void handle_append_response(struct raft_node *n, const struct raft_msg *m);
void handle_heartbeat(struct raft_node *n, const struct raft_msg *m);
void handle_heartbeat_response(struct raft_node *n, const struct raft_msg *m);
int append_local(struct raft_node *n, uint8_t type, uint8_t *data, uint32_t len);
void leader_self_persisted(struct raft_node *n);

/* snapshot.c */
void send_snapshot(struct raft_node *n, struct progress *p);
void handle_snapshot(struct raft_node *n, const struct raft_msg *m);

/* membership.c */
void apply_conf_entry(struct raft_node *n, const struct raft_entry *e);

/* transfer.c */
void handle_timeout_now(struct raft_node *n, const struct raft_msg *m);
void transfer_abort(struct raft_node *n);
void transfer_tick(struct raft_node *n);
void transfer_on_progress(struct raft_node *n, struct progress *p);

/* readindex.c */
void handle_read_index(struct raft_node *n, const struct raft_msg *m);
void handle_read_index_response(struct raft_node *n, const struct raft_msg *m);
void reads_on_heartbeat_ack(struct raft_node *n, struct progress *p, uint64_t seq);
void reads_drop_all(struct raft_node *n);

/* validate.c */
int validate_msg(const struct raft_node *n, const struct raft_msg *m);

#endif /* PGQ_RAFT_INTERNAL_H */

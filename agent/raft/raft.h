/*
 * raft.h — the pure Raft core of pgquorum.
 *
 * The core is a deterministic state machine in the etcd/raft "Ready" model:
 * no I/O, no clock, no threads, no global state. The caller (the agent's
 * libuv loop, or the simulator in tests/sim/) feeds it inputs — ticks,
 * messages, proposals — and acts on the batch it hands back:
 *
 *     raft_tick() / raft_step() / raft_propose() ...
 *     while (raft_has_ready(n)) {
 *         raft_ready(n, &rd);
 *         send rd.msgs                       (may go before persisting, L1)
 *         persist rd.snapshot, truncate at rd.truncate_from,
 *             append rd.entries, persist rd.hard_state   -- fsync
 *         send rd.msgs_after_persist         (votes and acks: only now)
 *         apply rd.committed, hand rd.read_states to waiting readers
 *         raft_advance(n, &rd);
 *     }
 *
 * Randomness comes from a PRNG seeded through raft_options.seed, so the same
 * inputs always produce the same outputs and the simulator can replay a run.
 *
 * Ownership: everything a raft_ready points to is owned by the node and stays
 * valid until raft_advance(). Inputs (messages, proposal bytes, persisted
 * state) are copied; the caller keeps ownership of what it passes in.
 */
#ifndef PGQ_RAFT_H
#define PGQ_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t raft_id_t;    /* member id; 0 means "none" */
typedef uint64_t raft_term_t;
typedef uint64_t raft_index_t;

#define RAFT_NONE ((raft_id_t)0)
#define RAFT_MAX_MEMBERS 16 /* voters + learners in one configuration */

/* Error codes. raft_strerror() names them. */
enum raft_err {
	RAFT_OK = 0,
	RAFT_ERR_NOMEM = -1,
	RAFT_ERR_INVALID = -2,          /* bad argument or malformed message */
	RAFT_ERR_NOT_LEADER = -3,       /* proposal on a non-leader */
	RAFT_ERR_CONF_PENDING = -4,     /* a membership change is already in flight */
	RAFT_ERR_TRANSFERRING = -5,     /* leadership transfer in progress: proposals refused */
	RAFT_ERR_TOO_BIG = -6,          /* entry or message above a configured limit */
	RAFT_ERR_CORRUPT = -7,          /* codec: checksum or structure mismatch */
	RAFT_ERR_VERSION = -8,          /* codec: unknown version */
	RAFT_ERR_COMPACTED = -9,        /* index already compacted away */
	RAFT_ERR_UNAVAILABLE = -10,     /* index beyond the log */
	RAFT_ERR_NOT_MEMBER = -11,      /* unknown peer id */
	RAFT_ERR_NOT_READY = -12,       /* e.g. conf change before the leader committed its no-op */
};
const char *raft_strerror(int err);

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_PRE_CANDIDATE,
	RAFT_CANDIDATE,
	RAFT_LEADER,
};
const char *raft_role_name(enum raft_role role);

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 1,  /* application command (cluster record) */
	RAFT_ENTRY_NOOP = 2,    /* appended by every new leader at the start of its term */
	RAFT_ENTRY_CONF = 3,    /* membership change: data is an encoded raft_conf_change */
};

struct raft_entry {
	raft_term_t term;
	raft_index_t index;
	uint8_t type;           /* enum raft_entry_type */
	uint32_t len;
	uint8_t *data;          /* len bytes, owned by whoever owns the entry */
};

struct raft_member {
	raft_id_t id;
	bool voter;             /* false: learner (receives the log, never votes, never counts) */
};

/* A configuration: pointer-free so it can be copied and persisted as is. */
struct raft_config {
	uint32_t n;
	struct raft_member members[RAFT_MAX_MEMBERS];
};

enum raft_conf_change_type {
	RAFT_CONF_ADD_LEARNER = 1, /* add a non-voting member */
	RAFT_CONF_PROMOTE = 2,     /* learner -> voter */
	RAFT_CONF_REMOVE = 3,      /* remove a voter or learner (may be the leader itself) */
};

struct raft_conf_change {
	uint8_t type;              /* enum raft_conf_change_type */
	raft_id_t id;
};

/* Encoded form of a conf change stored as the data of a RAFT_ENTRY_CONF entry. */
#define RAFT_CONF_CHANGE_LEN 9
void raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t out[RAFT_CONF_CHANGE_LEN]);
int raft_conf_change_decode(const uint8_t *buf, size_t len, struct raft_conf_change *out);

struct raft_snapshot_meta {
	raft_index_t index;        /* last index covered */
	raft_term_t term;          /* its term */
	struct raft_config config; /* configuration as of index */
};

struct raft_snapshot {
	struct raft_snapshot_meta meta;
	size_t len;
	uint8_t *data;             /* application state (the cluster record) */
};

/* The state that must be on stable storage before messages that depend on it leave. */
struct raft_hard_state {
	raft_term_t term;
	raft_id_t vote;
	raft_index_t commit;
};

enum raft_msg_type {
	RAFT_MSG_PREVOTE = 1,
	RAFT_MSG_PREVOTE_RESP,
	RAFT_MSG_VOTE,
	RAFT_MSG_VOTE_RESP,
	RAFT_MSG_APPEND,
	RAFT_MSG_APPEND_RESP,
	RAFT_MSG_HEARTBEAT,
	RAFT_MSG_HEARTBEAT_RESP,
	RAFT_MSG_SNAPSHOT,         /* InstallSnapshot, whole snapshot in one message */
	RAFT_MSG_TIMEOUT_NOW,      /* leadership transfer: start an election now */
	RAFT_MSG_READ_INDEX,       /* follower -> leader: request a read index for ctx */
	RAFT_MSG_READ_INDEX_RESP,  /* leader -> follower: index (0 + reject when unavailable) */
	RAFT_MSG_TYPE_MAX = RAFT_MSG_READ_INDEX_RESP,
};
const char *raft_msg_type_name(int type);

/*
 * One message. Field use by type:
 *   PREVOTE/VOTE:        term (for prevote: the term the sender would campaign in),
 *                        log_term/index = sender's last log term/index,
 *                        ctx = 1 when a leadership transfer forces the election.
 *   *_RESP to votes:     reject.
 *   APPEND:              log_term/index = previous entry, entries, commit.
 *   APPEND_RESP:         index = last index now matching (accept), or on reject
 *                        index = the rejected prev index, reject_hint = follower's
 *                        last index, log_term = term at hint (fast back-off).
 *   HEARTBEAT:           commit (min of follower match and leader commit), ctx.
 *   HEARTBEAT_RESP:      ctx (echo, for ReadIndex quorum checks).
 *   SNAPSHOT:            snapshot.
 *   READ_INDEX(_RESP):   ctx; index on the response.
 * Messages handed out in a raft_ready are owned by the node. Messages decoded by
 * raft_msg_decode() are owned by the caller and released with raft_msg_free().
 */
struct raft_msg {
	uint8_t type;              /* enum raft_msg_type */
	raft_id_t from;
	raft_id_t to;
	raft_term_t term;
	raft_term_t log_term;
	raft_index_t index;
	raft_index_t commit;
	bool reject;
	raft_index_t reject_hint;
	uint64_t ctx;
	uint32_t n_entries;
	struct raft_entry *entries;
	struct raft_snapshot snapshot; /* SNAPSHOT only; data NULL otherwise */
};

struct raft_read_state {
	uint64_t ctx;              /* the caller's read_index context */
	raft_index_t index;        /* safe to read once applied >= index; 0: the read
	                              failed (leadership lost or refused), retry */
};

/* Per-peer replication progress, as the leader tracks it. */
enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 0,
	RAFT_PROGRESS_REPLICATE,
	RAFT_PROGRESS_SNAPSHOT,
};

struct raft_progress {
	raft_id_t id;
	bool voter;
	raft_index_t match;
	raft_index_t next;
	uint8_t state;             /* enum raft_progress_state */
	uint32_t inflight;         /* APPEND messages not yet acknowledged */
	bool recent_active;        /* heard from within the current election timeout */
};

struct raft_options {
	raft_id_t id;
	uint32_t election_ticks;   /* election timeout is random in [election_ticks, 2*election_ticks) */
	uint32_t heartbeat_ticks;  /* < election_ticks */
	bool pre_vote;
	bool check_quorum;
	uint32_t max_entries_per_msg;  /* 0: unlimited */
	uint32_t max_inflight;         /* APPEND messages in flight per peer, >= 1 */
	uint32_t max_entry_bytes;      /* 0: unlimited; larger proposals get RAFT_ERR_TOO_BIG */
	uint64_t seed;                 /* PRNG seed for election timeouts */
};

/* What was on disk at start; all fields may be zero/empty for a new node. */
struct raft_persisted {
	struct raft_hard_state hard_state;
	const struct raft_snapshot *snapshot; /* NULL when none; copied */
	const struct raft_entry *entries;     /* entries after the snapshot, contiguous; copied */
	size_t n_entries;
};

struct raft_ready {
	bool has_hard_state;
	struct raft_hard_state hard_state;

	const struct raft_snapshot *snapshot;  /* persist (and restore app state) first, or NULL;
	                                          it replaces the stored log: delete every entry */

	raft_index_t truncate_from;            /* 0: none; else delete stored entries >= this index */
	const struct raft_entry *entries;      /* append to stable storage */
	size_t n_entries;

	const struct raft_msg *msgs;           /* may be sent before persisting (leader appends) */
	size_t n_msgs;
	const struct raft_msg *msgs_after_persist; /* send only once the above is durable */
	size_t n_msgs_after_persist;

	const struct raft_entry *committed;    /* apply in order (CONF entries are the core's;
	                                          the first leader logs the bootstrap config) */
	size_t n_committed;

	const struct raft_read_state *read_states;
	size_t n_read_states;

	bool soft_state_changed;               /* role or leader changed since last ready */

	uint64_t seq;                          /* set by raft_ready(); raft_advance() ignores
	                                          a ready that is not the outstanding one */
};

struct raft_node;

/*
 * Create a node. `config` is the initial configuration, used when `persisted`
 * holds no snapshot and no CONF entries (the bootstrap configuration).
 * On success *out is owned by the caller and freed with raft_free().
 */
int raft_new(const struct raft_options *opts, const struct raft_config *config,
	     const struct raft_persisted *persisted, struct raft_node **out);
void raft_free(struct raft_node *n);

/*
 * Inputs. None of them may be called between raft_ready() and raft_advance()
 * (a programmer error, asserted): the ready points into the node's memory.
 */
void raft_tick(struct raft_node *n);
int raft_step(struct raft_node *n, const struct raft_msg *m);
int raft_propose(struct raft_node *n, const uint8_t *data, size_t len);
int raft_propose_conf_change(struct raft_node *n, const struct raft_conf_change *cc);
int raft_transfer_leadership(struct raft_node *n, raft_id_t to);
int raft_read_index(struct raft_node *n, uint64_t ctx);
void raft_report_unreachable(struct raft_node *n, raft_id_t peer);
void raft_report_snapshot(struct raft_node *n, raft_id_t peer, bool ok);
/* Campaign now (used at bootstrap of a single-node group and in tests). */
int raft_campaign(struct raft_node *n);
/*
 * A leader steps down to follower in its term (RAFT_ERR_NOT_LEADER otherwise).
 * SAFETY.md L1: the shell calls it when an fsync took longer than the
 * election timeout, so a leader with a stuck disk stops holding the cluster.
 */
int raft_step_down(struct raft_node *n);

/* Outputs. */
bool raft_has_ready(const struct raft_node *n);
void raft_ready(struct raft_node *n, struct raft_ready *rd);
void raft_advance(struct raft_node *n, const struct raft_ready *rd);

/*
 * Log compaction: the application took a snapshot of its state at `index`
 * (<= applied). The node drops entries up to index and keeps `data` (copied)
 * to send to followers that fall behind.
 */
int raft_compact(struct raft_node *n, raft_index_t index, const uint8_t *data, size_t len);

/* Introspection (for status, metrics, tests). */
raft_id_t raft_id(const struct raft_node *n);
enum raft_role raft_role(const struct raft_node *n);
raft_term_t raft_term(const struct raft_node *n);
raft_id_t raft_leader(const struct raft_node *n);
raft_id_t raft_vote(const struct raft_node *n);
raft_index_t raft_commit_index(const struct raft_node *n);
raft_index_t raft_applied_index(const struct raft_node *n);
raft_index_t raft_last_index(const struct raft_node *n);
raft_index_t raft_first_index(const struct raft_node *n); /* first index still in memory */
raft_term_t raft_term_at(const struct raft_node *n, raft_index_t index); /* 0 when unknown */
const struct raft_config *raft_config(const struct raft_node *n);
raft_id_t raft_transferee(const struct raft_node *n); /* RAFT_NONE when no transfer */
/* Fills up to cap entries; returns how many peers the leader tracks (0 when not leader). */
size_t raft_progress(const struct raft_node *n, struct raft_progress *out, size_t cap);

/*
 * Codec (codec.c): a versioned binary encoding with a CRC32C over the body.
 * raft_msg_encode allocates *out (caller frees with free()).
 * raft_msg_decode never reads past len; on any malformed input it returns an
 * error code and writes a reason to err. On success *out owns its entries and
 * snapshot data: release with raft_msg_free().
 */
#define RAFT_CODEC_VERSION 1
int raft_msg_encode(const struct raft_msg *m, uint8_t **out, size_t *out_len);
int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *out,
		    char *err, size_t errlen);
void raft_msg_free(struct raft_msg *m);

/* CRC32C (Castagnoli), shared by the codec and storage. */
uint32_t pgq_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* PGQ_RAFT_H */

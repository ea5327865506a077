/*
 * record.h — the cluster record: pgquorum's replicated state machine.
 *
 * Every agent holds one record and changes it only through
 * pgq_record_apply() with the data of committed RAFT_ENTRY_NORMAL entries,
 * in log order. Apply is a pure function of (record, entry) (SAFETY.md S17):
 * no clock, no randomness, no environment; every time value travels inside
 * the command. A command that is malformed or whose compare-and-set
 * conditions (S4) fail is *rejected*: the record stays unchanged and every
 * node reaches the same verdict with the same reason, so replicas never
 * diverge. docs/record.md lists every command, its fields, its CAS
 * conditions and the rule it serves.
 *
 * Ownership: a struct pgq_record is owned by whoever created it
 * (pgq_record_new / pgq_record_restore) and freed with pgq_record_free().
 * The const pointers the accessors return point into the record and stay
 * valid until the next apply, restore or free. Bytes from builders and
 * pgq_record_snapshot() are malloc'd; the caller frees them with free().
 * json_t values returned by pgq_record_to_json() and
 * pgq_record_config_effective() are new references (json_decref them).
 */
#ifndef PGQ_RECORD_H
#define PGQ_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

/*
 * The command version this build applies; higher versions stop apply (S17).
 * 2: fence_confirm carries the epoch it confirms (S4, L8); builders emit it
 * with v 2, every other command with v 1. Propose a version-2 command only
 * when pgq_record_cmd_version_usable() >= 2.
 */
#define PGQ_RECORD_CMD_VERSION 2
#define PGQ_RECORD_CMD_VERSION_FENCE_CONFIRM 2
/* The snapshot format this build writes and reads. */
#define PGQ_RECORD_SNAPSHOT_FORMAT 1

#define PGQ_RECORD_MAX_MEMBERS RAFT_MAX_MEMBERS
#define PGQ_RECORD_NAME_MAX 64     /* member names, incl. NUL: PostgreSQL application_name limit */
#define PGQ_RECORD_ADDR_MAX 256    /* addresses and URLs, incl. NUL */
#define PGQ_RECORD_TEXT_MAX 128    /* reasons, states, ids, incl. NUL */
#define PGQ_RECORD_HISTORY_MAX 1000 /* oldest history entries are dropped beyond this */
#define PGQ_RECORD_REASON_MAX 320  /* size of pgq_apply_result.reason */

/* Return codes of pgq_record_apply() and friends. */
enum pgq_record_rc {
	PGQ_RECORD_APPLIED = 0,     /* command accepted, record changed */
	PGQ_RECORD_REJECTED = 1,    /* command refused, record unchanged (a normal outcome) */
	PGQ_RECORD_ERR_VERSION = -1,/* unknown command version: stop applying, name the index (S17) */
	PGQ_RECORD_ERR_NOMEM = -2,  /* out of memory: the record may be inconsistent, stop */
	PGQ_RECORD_ERR_INVALID = -3,/* programmer error: bad argument, index not increasing */
	PGQ_RECORD_ERR_CORRUPT = -4,/* restore: snapshot bytes malformed */
};
const char *pgq_record_strerror(int rc);

enum pgq_primary_state {
	PGQ_PRIMARY_NONE = 0,   /* no primary (empty record) */
	PGQ_PRIMARY_ACTIVE,     /* named; holds the lease once lease_seq > 0 (S1) */
	PGQ_PRIMARY_LOST,       /* the leader's loss timer ran out (S2) */
	PGQ_PRIMARY_DEMOTING,   /* switchover phase 1: stopping, still holds its lease (S13) */
	PGQ_PRIMARY_DEMOTED,    /* clean shutdown committed after a verified stop (S13, S19) */
	PGQ_PRIMARY_RELEASED,   /* gave its lease up after fencing itself (S5) */
	PGQ_PRIMARY_VETOED,     /* pre_promote vetoed it before promotion (S19) */
};
const char *pgq_primary_state_name(enum pgq_primary_state s);

enum pgq_record_sync_mode {
	PGQ_RECORD_SYNC_OFF = 0,
	PGQ_RECORD_SYNC_ON,
	PGQ_RECORD_SYNC_QUORUM,
};
const char *pgq_record_sync_mode_name(enum pgq_record_sync_mode m);

enum pgq_switchover_phase {
	PGQ_SWITCHOVER_NONE = 0,
	PGQ_SWITCHOVER_DEMOTING, /* S13 (1) committed: P stops */
	PGQ_SWITCHOVER_DEMOTED,  /* S13 (2) committed: final_lsn known, waiting for X */
	PGQ_SWITCHOVER_ABORTED,  /* S13 (4): a new epoch names the most complete member */
};
const char *pgq_switchover_phase_name(enum pgq_switchover_phase p);

/* Why the primary changes (set_primary). */
enum pgq_change_reason {
	PGQ_CHANGE_BOOTSTRAP = 0,
	PGQ_CHANGE_FAILOVER,     /* automatic: paused, backoff and sync rules apply */
	PGQ_CHANGE_MANUAL,       /* operator failover: sync rules apply unless allow_data_loss */
	PGQ_CHANGE_SWITCHOVER,   /* S13 (3)/(4) */
};
const char *pgq_change_reason_name(enum pgq_change_reason c);

struct pgq_member_tags {
	bool nofailover;
	bool noloadbalance;
	bool nosync;
	int32_t failover_priority; /* higher wins ties (R4); default 1 */
	json_t *custom;            /* object of scalar values, owned by the record; never NULL */
};

/* The latest status a member reported about itself (member_report). */
struct pgq_member_status {
	bool reported;             /* false until the first report */
	char role[16];             /* "primary" | "replica" | "unknown" */
	char state[32];            /* running, stopped, starting, crashed, ... */
	uint32_t timeline;
	uint64_t receive_lsn;
	uint64_t replay_lsn;
	uint64_t flush_lsn;
	uint64_t lag_bytes;
	bool pending_restart;
	uint64_t reported_at_ms;   /* from the entry (S17) */
	uint64_t report_index;     /* raft index of the report entry */
	uint64_t report_for_loss;  /* index of the primary_lost entry it was measured after (S9), 0: none */
	uint32_t cmd_version;      /* highest command version the reporter applies (S17), 0: unknown */
};

struct pgq_member {
	char name[PGQ_RECORD_NAME_MAX];
	raft_id_t raft_id;
	char raft_address[PGQ_RECORD_ADDR_MAX];
	char api_url[PGQ_RECORD_ADDR_MAX];
	char pg_address[PGQ_RECORD_ADDR_MAX];
	bool voter;
	struct pgq_member_tags tags;
	struct pgq_member_status status;
	uint64_t vetoed_epoch;     /* epoch of its last pre_promote veto (S19), 0: never */
};

struct pgq_primary {
	enum pgq_primary_state state;
	char name[PGQ_RECORD_NAME_MAX]; /* empty when NONE */
	uint64_t epoch;            /* increments at every change of primary */
	uint64_t lease_seq;        /* accepted renewals this epoch (S4); 0: no lease yet (S1) */
	uint64_t lease_nonce;      /* nonce of the last accepted renewal (S2) */
	uint32_t lease_ttl_ms;     /* ttl carried by the last accepted renewal (S2) */
	/*
	 * S2: the leader times the loss from its own apply of entry
	 * lease_timer_index (the naming entry, then each accepted renewal) for
	 * loss_ttl_ms = max(ttl of that renewal, every config ttl in force since).
	 */
	uint64_t lease_timer_index;
	uint32_t loss_ttl_ms;
	uint64_t renewed_at_ms;    /* entry time of the last renewal */
	uint64_t named_index;      /* index of the entry that named it */
	enum pgq_change_reason named_reason; /* why it was named (L8 backoff after failovers) */
	uint64_t named_at_ms;
	bool promoted;             /* promoted{} committed for this epoch (S12) */
	/*
	 * Index of the entry that ended this primary's lease (primary_lost,
	 * lease_release, demoted or vetoed), 0 while it may hold it. Valid
	 * reports name it (S9).
	 */
	uint64_t lost_index;
	uint64_t lost_at_ms;
	uint64_t final_lsn;        /* demoted{}: end of the shutdown checkpoint (S13) */
	char end_reason[PGQ_RECORD_TEXT_MAX]; /* why it released / was vetoed */
};

/* (S_rec, k_rec) of S7: every acknowledged commit is on >= k of members. */
struct pgq_sync_set {
	uint32_t n;
	char members[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];
	uint32_t k;
};

struct pgq_timeline {
	uint32_t tli;
	uint32_t parent;           /* 0 for the first timeline */
	uint64_t switch_lsn;       /* where it branched from parent (S12) */
};

struct pgq_history_entry {
	uint64_t epoch;
	uint32_t timeline;         /* timeline the change happened on */
	uint64_t lsn;              /* the switch point once promoted{} (else the lsn given) */
	enum pgq_change_reason reason;
	uint64_t time_ms;
	char new_primary[PGQ_RECORD_NAME_MAX];
	/* L8: the former primary an operator confirmed fenced for this epoch's promotion, "" none. */
	char fence_confirmed[PGQ_RECORD_NAME_MAX];
	uint64_t fence_confirmed_ms;
};

struct pgq_scheduled_switchover {
	bool set;
	uint64_t at_ms;            /* wall-clock ms since 1970, from the request */
	char from[PGQ_RECORD_NAME_MAX];
	char to[PGQ_RECORD_NAME_MAX]; /* empty: the best candidate */
};

struct pgq_switchover {
	enum pgq_switchover_phase phase;
	char from[PGQ_RECORD_NAME_MAX];
	char to[PGQ_RECORD_NAME_MAX];
	uint64_t epoch;
	uint64_t started_at_ms;
	char abort_reason[PGQ_RECORD_TEXT_MAX];
};

/* L4: why a needed failover does not happen. */
struct pgq_failover_blocked {
	bool set;
	char waiting_for[PGQ_RECORD_TEXT_MAX];
	uint64_t since_ms;
	uint64_t epoch;
};

/* The effective dynamic configuration (defaults + the stored object). */
struct pgq_dyn_config {
	uint32_t ttl_ms;
	uint32_t loop_wait_ms;
	uint32_t retry_timeout_ms;
	uint64_t maximum_lag_on_failover_bytes;
	enum pgq_record_sync_mode synchronous_mode;
	uint32_t synchronous_node_count;
	bool synchronous_mode_strict;
	uint32_t failover_backoff_ms;     /* L8 */
	uint64_t switchover_max_lag_bytes;/* S13 (1) */
	uint32_t promote_timeout_ms;      /* L5 */
	uint32_t member_slots_ttl_ms;     /* L6 */
	bool use_pg_rewind;
};

struct pgq_apply_result {
	bool accepted;
	char cmd[32];              /* the command name when it could be read, else "" */
	char reason[PGQ_RECORD_REASON_MAX]; /* "rejected: ..." when refused, "" when accepted */
};

struct pgq_record;

/* An empty record (no cluster yet); NULL when out of memory. */
struct pgq_record *pgq_record_new(void);
void pgq_record_free(struct pgq_record *r);

/*
 * Apply the data of the committed NORMAL entry at `index` (> the last index
 * applied). Returns PGQ_RECORD_APPLIED or PGQ_RECORD_REJECTED with res
 * filled (never NULL), or a negative code with err filled: on
 * PGQ_RECORD_ERR_VERSION the caller must stop applying and report `index`.
 */
int pgq_record_apply(struct pgq_record *r, const uint8_t *data, size_t len, uint64_t index,
		     struct pgq_apply_result *res, char *err, size_t errlen);

/*
 * Snapshot: the whole record as canonical bytes (sorted keys, compact), so
 * equal records give equal bytes. *out is malloc'd, the caller frees it.
 */
int pgq_record_snapshot(const struct pgq_record *r, uint8_t **out, size_t *out_len);
/* Restore from snapshot bytes (untrusted: every field validated). */
int pgq_record_restore(const uint8_t *data, size_t len, struct pgq_record **out,
		       char *err, size_t errlen);
/*
 * The dynamic configuration (docs/record.md "Dynamic configuration"), also
 * used by the REST API to check a PATCH/PUT /config before proposing it:
 * validate a stored configuration object and compute its effective values
 * (0, PGQ_RECORD_REJECTED with why filled, or PGQ_RECORD_ERR_NOMEM).
 */
int pgq_dyn_config_validate(const json_t *config, struct pgq_dyn_config *out, char *why, size_t wl);
/* Defaults overlaid with `config`: a new reference, NULL when out of memory. */
json_t *pgq_dyn_config_effective(const json_t *config);
/* RFC 7386 merge patch: a new object, NULL when out of memory. */
json_t *pgq_json_merge_patch(const json_t *target, const json_t *patch);

/* The record as a JSON view for GET /cluster (effective config). New reference or NULL. */
json_t *pgq_record_to_json(const struct pgq_record *r);

/* Accessors. */
bool pgq_record_bootstrapped(const struct pgq_record *r);
const char *pgq_record_scope(const struct pgq_record *r);
const char *pgq_record_cluster_id(const struct pgq_record *r);
const char *pgq_record_system_id(const struct pgq_record *r); /* "" until recorded (S15) */
uint64_t pgq_record_last_index(const struct pgq_record *r);
size_t pgq_record_member_count(const struct pgq_record *r);
const struct pgq_member *pgq_record_member_at(const struct pgq_record *r, size_t i); /* by raft id order */
const struct pgq_member *pgq_record_member_by_name(const struct pgq_record *r, const char *name);
/* A member name the record accepts: [A-Za-z0-9_.-], 1 to PGQ_RECORD_NAME_MAX - 1 characters. */
bool pgq_record_valid_member_name(const char *name);
const struct pgq_member *pgq_record_member_by_id(const struct pgq_record *r, raft_id_t id);
const struct pgq_primary *pgq_record_primary(const struct pgq_record *r);
uint64_t pgq_record_epoch(const struct pgq_record *r);
/* The recorded primary's member entry, or NULL when there is none. */
const struct pgq_member *pgq_record_primary_member(const struct pgq_record *r);
const struct pgq_sync_set *pgq_record_sync_set(const struct pgq_record *r);
bool pgq_record_in_sync_set(const struct pgq_record *r, const char *name);
uint32_t pgq_record_timeline(const struct pgq_record *r); /* current timeline, 0 before bootstrap */
size_t pgq_record_timeline_count(const struct pgq_record *r);
const struct pgq_timeline *pgq_record_timeline_at(const struct pgq_record *r, size_t i);
size_t pgq_record_history_count(const struct pgq_record *r);
const struct pgq_history_entry *pgq_record_history_at(const struct pgq_record *r, size_t i);
const struct pgq_dyn_config *pgq_record_config(const struct pgq_record *r);
json_t *pgq_record_config_effective(const struct pgq_record *r);
/* The configuration as stored (sparse: what operators set); borrowed, never NULL once bootstrapped. */
const json_t *pgq_record_config_stored(const struct pgq_record *r);
bool pgq_record_paused(const struct pgq_record *r);
const struct pgq_scheduled_switchover *pgq_record_scheduled_switchover(const struct pgq_record *r);
const struct pgq_switchover *pgq_record_switchover(const struct pgq_record *r);
const struct pgq_failover_blocked *pgq_record_failover_blocked(const struct pgq_record *r);
/*
 * True while a primary change is under way (bootstrap not yet promoted,
 * a loss/release/demotion/veto without a successor, a switchover): S16
 * refuses member removal then. *why (may be NULL) names the reason.
 */
bool pgq_record_change_in_progress(const struct pgq_record *r, const char **why);
/*
 * S9: the member's latest report was measured after the current
 * primary_lost entry and on the current timeline.
 */
bool pgq_record_report_valid_for_loss(const struct pgq_record *r, const struct pgq_member *m);
/*
 * S17: a command version may be proposed only once every voter reported
 * that it applies it. The highest such version (0 before any report).
 */
uint32_t pgq_record_cmd_version_usable(const struct pgq_record *r);
/* S9: the LSN a report stands for: max(receive, replay). */
uint64_t pgq_member_report_lsn(const struct pgq_member *m);
/*
 * S19: former primaries that may have been writable and ended without a
 * clean demotion; the fence hook runs for each before the next promotion.
 * Returns how many; *names (may be NULL) points into the record.
 */
size_t pgq_record_fence_pending(const struct pgq_record *r,
				const char (**names)[PGQ_RECORD_NAME_MAX]);

#endif /* PGQ_RECORD_H */

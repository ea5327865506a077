/*
 * member_view.h — everything the REST health endpoints, the status JSON and
 * /metrics need to know about this member, as one plain struct.
 *
 * Why a struct: the libmicrohttpd threads must never touch the loop's live
 * state (docs/agent.md, threading). The loop fills a pgq_member_view after
 * each tick and publishes a deep copy under the server's mutex; an HTTP
 * thread reads its copy (or holds the mutex while it decides) at request
 * time. The health verdict is computed with the *request's* clock against
 * lease_end_ms, never the loop's, so a stale view cannot keep /primary at
 * 200 past the lease end (SAFETY.md S20).
 *
 * Ownership: the fixed-size strings live inside the struct; `replication`
 * and `tags.custom` are heap arrays owned by the view, released by
 * pgq_member_view_free() and duplicated by pgq_member_view_copy(). Build
 * them with the add/set helpers so the counts and capacities stay right.
 */
#ifndef PGQ_REST_MEMBER_VIEW_H
#define PGQ_REST_MEMBER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PostgreSQL's role as pg_is_in_recovery() last said (Patroni's `role`). */
enum pgq_view_role {
	PGQ_VIEW_ROLE_NONE = 0,   /* "uninitialized": no data directory or never probed */
	PGQ_VIEW_ROLE_PRIMARY,    /* "primary": pg_is_in_recovery() = false */
	PGQ_VIEW_ROLE_REPLICA,    /* "replica": pg_is_in_recovery() = true */
};

#define PGQ_VIEW_NAME_LEN 64        /* NAMEDATALEN: member names are application_names */
#define PGQ_VIEW_SHORT_LEN 32
#define PGQ_VIEW_TIME_LEN 48        /* "2026-11-27 14:05:16.123456+00:00" */
#define PGQ_VIEW_ADDR_LEN 64        /* an IPv6 address in text, with zone */
#define PGQ_VIEW_TAG_VALUE_LEN 256
#define PGQ_VIEW_MAX_REPLICATION 128 /* walsenders listed; more are dropped by the builder */
#define PGQ_VIEW_MAX_TAGS 64

/* One pg_stat_replication row (primary only). Empty strings print as null. */
struct pgq_view_replication {
	char usename[PGQ_VIEW_NAME_LEN];
	char application_name[PGQ_VIEW_NAME_LEN];
	char client_addr[PGQ_VIEW_ADDR_LEN];
	char state[PGQ_VIEW_SHORT_LEN];          /* "streaming", "catchup", ... */
	char sync_state[PGQ_VIEW_SHORT_LEN];     /* "async", "sync", "quorum", "potential" */
	int sync_priority;
};

/* A user-defined tag; values are kept as the text clients compare against. */
struct pgq_view_tag {
	char key[PGQ_VIEW_NAME_LEN];
	char value[PGQ_VIEW_TAG_VALUE_LEN];
};

struct pgq_view_tags {
	bool nofailover;
	bool noloadbalance;
	bool nosync;
	bool has_failover_priority;            /* false: not configured, omitted */
	int failover_priority;
	struct pgq_view_tag *custom;           /* owned; n_custom entries */
	size_t n_custom;
};

struct pgq_view_raft {
	uint64_t term;
	char leader[PGQ_VIEW_NAME_LEN];        /* "" when no leader is known */
	uint64_t commit_index;
	uint64_t applied_index;
	char role[PGQ_VIEW_SHORT_LEN];         /* "leader", "follower", "candidate", "learner" */
	bool is_leader;                        /* this agent leads Raft (metrics) */
};

struct pgq_member_view {
	/* Identity (the `pgquorum` block). */
	char name[PGQ_VIEW_NAME_LEN];
	char scope[PGQ_VIEW_NAME_LEN];
	char version[PGQ_VIEW_SHORT_LEN];

	/* PostgreSQL as last probed. */
	char state[PGQ_VIEW_SHORT_LEN];        /* Patroni's names: "running", "stopped", ... */
	enum pgq_view_role role;
	/*
	 * True when the last status query succeeded: postmaster_start_time,
	 * server_version, xlog, timeline, replication_state and replication
	 * below are valid. When false the JSON holds only state and role, as
	 * Patroni's does when PostgreSQL cannot be queried.
	 */
	bool pg_details_valid;
	char postmaster_start_time[PGQ_VIEW_TIME_LEN];
	int server_version;                    /* e.g. 150004 */
	uint64_t xlog_location;                /* primary: pg_current_wal_flush_lsn() */
	uint64_t xlog_received_location;       /* standby */
	uint64_t xlog_replayed_location;       /* standby */
	char xlog_replayed_timestamp[PGQ_VIEW_TIME_LEN];  /* "" prints as null */
	bool xlog_paused;                      /* pg_is_wal_replay_paused() */
	uint32_t timeline;
	char replication_state[PGQ_VIEW_SHORT_LEN]; /* standby: "streaming", "in archive recovery"; "" omitted */
	struct pgq_view_replication *replication;  /* owned; primary's walsenders */
	size_t n_replication;
	char database_system_identifier[PGQ_VIEW_SHORT_LEN]; /* "" omitted */

	/* What the cluster record says about this member. */
	bool is_leader;                        /* the record names this member primary */
	bool cluster_unlocked;                 /* the record names no primary with a lease */
	int64_t lease_end_ms;                  /* CLOCK_BOOTTIME ms; meaningful when is_leader */
	bool demotion_in_progress;             /* demotion or switchover away from us began (S20) */
	bool sync_standby;                     /* in the recorded synchronous set (priority mode) */
	bool quorum_standby;                   /* in the recorded quorum set (ANY k mode) */
	uint64_t epoch;
	uint64_t primary_last_lsn;             /* primary's last known flush LSN; 0 unknown */
	uint64_t maximum_lag_on_failover_bytes;/* /readiness default */
	bool pause;

	struct pgq_view_tags tags;

	/* Scheduled and pending work. */
	bool pending_restart;
	bool has_scheduled_restart;
	char scheduled_restart_at[PGQ_VIEW_TIME_LEN];       /* ISO 8601 */
	char scheduled_restart_postgres_version[PGQ_VIEW_SHORT_LEN]; /* "" omitted */
	bool scheduled_restart_pending_only;   /* restart only if pending_restart */
	bool watchdog_failed;

	struct pgq_view_raft raft;

	/* The loop itself (/liveness). */
	int64_t loop_last_run_ms;              /* CLOCK_BOOTTIME ms of the last tick; 0 never */
	int64_t liveness_max_age_ms;           /* primary threshold; standbys get twice */
};

/* A zeroed view with no arrays. */
void pgq_member_view_init(struct pgq_member_view *v);

/* Release the arrays and zero the view (safe on an initialised view, twice). */
void pgq_member_view_free(struct pgq_member_view *v);

/*
 * Deep copy src into dst (dst must not own arrays: init or free it first).
 * On failure (out of memory) dst is left initialised and -1 is returned.
 */
int pgq_member_view_copy(struct pgq_member_view *dst, const struct pgq_member_view *src,
			 char *err, size_t errlen);

/* Append a walsender row (copied). -1 when full or out of memory. */
int pgq_member_view_add_replication(struct pgq_member_view *v,
				    const struct pgq_view_replication *row,
				    char *err, size_t errlen);

/*
 * Set a custom tag (copied; replaces an existing key). The reserved names
 * nofailover, noloadbalance, nosync and failover_priority are refused: they
 * live in the typed fields. -1 on a bad or too long key/value, or when full.
 */
int pgq_member_view_set_tag(struct pgq_member_view *v, const char *key, const char *value,
			    char *err, size_t errlen);

/*
 * The tag's value as a client compares it (Patroni prints non-string tags
 * in lowercase: "true", "5"). Writes into buf; false when the member does
 * not have the tag. The typed boolean tags exist only while true, exactly
 * as they appear in the status JSON's `tags` (docs/rest-api.md).
 */
bool pgq_member_view_tag_text(const struct pgq_member_view *v, const char *key, char *buf,
			      size_t buflen);

/* "primary", "replica", "uninitialized". */
const char *pgq_view_role_name(enum pgq_view_role role);

/* Strictly positive remaining lease at now_ms (0 when not the leader or expired). */
int64_t pgq_member_view_lease_remaining_ms(const struct pgq_member_view *v, int64_t now_ms);

#endif /* PGQ_REST_MEMBER_VIEW_H */

/*
 * health.h — what the agent learns from its own PostgreSQL every loop_wait,
 * in one non-blocking round trip (one batch of three statements). The
 * result is a plain struct: LSNs as uint64 (0 = none), flags, and the
 * pg_stat_replication rows and physical slots. Errors are a state
 * (unreachable / timeout / failed), never a crash.
 *
 * S9: the LSN a report carries is max(receive_lsn, replay_lsn), never the
 * sender's write/flush positions; both are here. S7 needs the walsenders'
 * sync_priority: it is in each replica row.
 */
#ifndef PGQ_PGMGR_HEALTH_H
#define PGQ_PGMGR_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pgmgr/pgmgr.h"
#include "pgmgr/sql.h"

#define PGMGR_NAME_MAX 64   /* NAMEDATALEN */

/* One row of pg_stat_replication (a walsender on this primary). */
struct pgmgr_replica {
	char application_name[PGMGR_NAME_MAX];  /* the standby's member name (S10) */
	char usename[PGMGR_NAME_MAX];
	char client_addr[64];
	char state[32];                        /* "streaming", "catchup", ... */
	char sync_state[16];                   /* "async", "sync", "quorum", "potential" */
	int sync_priority;
	uint64_t sent_lsn, write_lsn, flush_lsn, replay_lsn;
};

/* One physical replication slot. */
struct pgmgr_slot {
	char name[PGMGR_NAME_MAX];
	bool active;
	uint64_t restart_lsn;                  /* 0 when none reserved */
	char wal_status[16];                   /* "reserved", "extended", "unreserved", "lost", "" */
};

struct pgmgr_health {
	enum pgmgr_sql_status status;          /* OK: every field below is filled */
	char error[256];                       /* why not OK */
	uint64_t elapsed_ms;                   /* round trip */

	bool in_recovery;                      /* pg_is_in_recovery() */
	int server_version_num;                /* e.g. 150004 */
	uint64_t system_identifier;            /* pg_control_system() (S15) */
	/* Primary: the timeline of pg_current_wal_lsn()'s segment (right after a
	 * promotion, unlike the checkpoint's). Standby: the WAL receiver's
	 * received_tli when streaming, else the last checkpoint's timeline. */
	uint32_t timeline;
	uint32_t checkpoint_timeline;          /* pg_control_checkpoint().timeline_id */
	uint64_t current_lsn;                  /* primary: pg_current_wal_flush_lsn(), what
						* walsenders may have sent */
	uint64_t receive_lsn;                  /* standby: pg_last_wal_receive_lsn() */
	uint64_t replay_lsn;                   /* standby: pg_last_wal_replay_lsn() */
	bool has_replay_timestamp;
	int64_t replay_timestamp_us;           /* pg_last_xact_replay_timestamp(), Unix µs */
	bool replay_paused;                    /* pg_is_wal_replay_paused() */
	int64_t postmaster_start_us;           /* pg_postmaster_start_time(), Unix µs */
	bool pending_restart;                  /* some setting needs a restart */
	char pending_restart_names[256];       /* their names, comma-separated (cut) */
	char synchronous_standby_names[512];   /* as PostgreSQL uses it now */

	/* pg_stat_wal_receiver (standby); wal_receiver false when there is none. */
	bool wal_receiver;
	char receiver_status[32];              /* "streaming", "starting", "waiting", ... */
	uint32_t received_tli;
	uint64_t receiver_written_lsn, receiver_flushed_lsn;
	char sender_host[256];
	int sender_port;
	char receiver_slot[PGMGR_NAME_MAX];

	struct pgmgr_replica *replicas;        /* owned; pgmgr_health_clear frees */
	size_t n_replicas;
	struct pgmgr_slot *slots;              /* owned; physical slots */
	size_t n_slots;
};

/* The LSN a standby reports (S9): max(receive, replay); a primary: current. */
uint64_t pgmgr_health_lsn(const struct pgmgr_health *h);

/* PRIMARY or REPLICA from a successful probe; UNKNOWN when it failed. */
enum pgmgr_role pgmgr_health_role(const struct pgmgr_health *h);

/* Frees the arrays and zeroes the struct. */
void pgmgr_health_clear(struct pgmgr_health *h);
/* Deep copy; dst is overwritten (clear it first if it owned arrays). 0 or -1 (no memory). */
int pgmgr_health_copy(struct pgmgr_health *dst, const struct pgmgr_health *src);

/* The batch sent to the server (exposed for the docs and tests). */
extern const char pgmgr_health_query[];

/*
 * Fills h from the batch's results (pure; unit-testable with PGresults made
 * by hand). Returns 0, or -1 with h->status = FAILED and h->error set when a
 * value is malformed.
 */
int pgmgr_health_parse(const struct pgmgr_sql_result *r, struct pgmgr_health *h);

/* h is borrowed: valid during the call; copy it with pgmgr_health_copy. */
typedef void (*pgmgr_health_cb)(void *ctx, const struct pgmgr_health *h);

struct pgmgr_health_probe;

/*
 * Runs one probe (connect, batch, close). conninfo: see conninfo.h
 * (pgmgr_conninfo_build with local_agent = true). Returns 0 (cb runs once,
 * from the loop) or -1 with err. timeout_ms 0: 5 s.
 */
int pgmgr_health_probe(uv_loop_t *loop, const char *conninfo, uint32_t timeout_ms,
		       pgmgr_health_cb cb, void *ctx, struct pgmgr_health_probe **out,
		       char *err, size_t errlen);
/* The callback never runs after this. */
void pgmgr_health_probe_cancel(struct pgmgr_health_probe *p);

#endif /* PGQ_PGMGR_HEALTH_H */

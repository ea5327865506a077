/*
 * pgmgr.h — the PostgreSQL manager: everything that touches the one local
 * PostgreSQL 15 instance of an agent. The HA logic (agent/ha/) and the agent
 * runtime drive it; it decides nothing itself.
 *
 * Everything runs on the agent's libuv loop and never blocks it: SQL goes
 * through non-blocking libpq (sql.h, health.h, slots.h, promote.h), programs
 * (initdb, pg_ctl, pg_basebackup, pg_rewind, pg_controldata) run as children
 * through uv_spawn (cmd.h, pgctl.h), file writes with fsync run on libuv's
 * thread pool (conf.h). Each operation reports through one completion
 * callback. See docs/pgmgr.md.
 *
 * This header holds what every part shares: the instance state and role
 * names (shared with the REST API) and WAL positions (LSNs) as uint64.
 */
#ifndef PGQ_PGMGR_H
#define PGQ_PGMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the manager is doing with the instance. The names match Patroni's
 * `state` field where Patroni has one, so REST clients written for Patroni
 * read them unchanged.
 */
enum pgmgr_state {
	PGMGR_STATE_STOPPED = 0,        /* "stopped" */
	PGMGR_STATE_STARTING,           /* "starting" */
	PGMGR_STATE_RUNNING,            /* "running" */
	PGMGR_STATE_STOPPING,           /* "stopping" */
	PGMGR_STATE_CRASHED,            /* "crashed": postmaster gone, not stopped by us */
	PGMGR_STATE_CREATING_REPLICA,   /* "creating replica" (pg_basebackup) */
	PGMGR_STATE_REWINDING,          /* "rewinding" (pg_rewind) */
	PGMGR_STATE_PROMOTING,          /* "promoting" */
	PGMGR_STATE_DEMOTING,           /* "demoting" */
	PGMGR_STATE_START_FAILED,       /* "start failed" */
	PGMGR_STATE_INITIALIZING,       /* "initializing new cluster" (initdb) */
	PGMGR_STATE_INITDB_FAILED,      /* "initdb failed" */
	PGMGR_STATE_RESTARTING,         /* "restarting" */
	PGMGR_STATE_FENCED,             /* "fenced": verified, no process left (S5) */
	PGMGR_STATE__COUNT,
};

/* The instance's role as the REST API reports it (Patroni's names). */
enum pgmgr_role {
	PGMGR_ROLE_UNINITIALIZED = 0,   /* "uninitialized": no data directory yet */
	PGMGR_ROLE_PRIMARY,             /* "primary" */
	PGMGR_ROLE_REPLICA,             /* "replica" */
	PGMGR_ROLE_UNKNOWN,             /* "unknown": not running, or unreachable */
	PGMGR_ROLE__COUNT,
};

/* Static strings; NULL when out of range. */
const char *pgmgr_state_name(enum pgmgr_state state);
const char *pgmgr_role_name(enum pgmgr_role role);
/* Reverse of pgmgr_state_name; -1 when unknown. */
int pgmgr_state_parse(const char *name);

/*
 * WAL positions. PostgreSQL prints an LSN as two hex halves "HI/LO" (e.g.
 * "0/3000060"); here it is the uint64 (HI << 32) | LO. PGMGR_LSN_INVALID (0)
 * is PostgreSQL's InvalidXLogRecPtr and stands for "none".
 */
#define PGMGR_LSN_INVALID ((uint64_t)0)
#define PGMGR_LSN_STRLEN 18   /* "FFFFFFFF/FFFFFFFF" + NUL */

/* Parses "HI/LO" (1..8 hex digits each, nothing else). 0 on success, -1 otherwise. */
int pgmgr_lsn_parse(const char *text, uint64_t *out);
/* Formats like PostgreSQL ("%X/%X"); returns buf. buflen >= PGMGR_LSN_STRLEN. */
const char *pgmgr_lsn_format(uint64_t lsn, char *buf, size_t buflen);

#endif /* PGQ_PGMGR_H */

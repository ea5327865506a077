/*
 * conf.h — the PostgreSQL configuration the agent manages.
 *
 * Choice (docs/pgmgr.md): the managed settings live in one file of their
 * own, PGDATA/pgquorum.conf, included by the last line of postgresql.conf
 * (`include_if_exists = 'pgquorum.conf'`, added once). The rest of
 * postgresql.conf stays the administrator's; later lines win, so ours
 * override it. postgresql.auto.conf (ALTER SYSTEM) is read after both and
 * could override us: the agent never writes it, and an administrator must
 * not ALTER SYSTEM the settings listed as enforced below.
 *
 * Order of precedence in pgquorum.conf, lowest first: the agent's defaults,
 * the cluster-wide parameters of the record, the local postgresql.parameters,
 * then the enforced settings:
 *   listen_addresses, port (from the config);
 *   restart_after_crash = off (S14: only the agent restarts the postmaster);
 *   hot_standby = on (health probes on standbys);
 *   wal_log_hints = on (pg_rewind);
 *   wal_level at least replica;
 *   synchronous_commit on or remote_apply (S11);
 *   primary_conninfo (application_name = the member's name, S10),
 *   primary_slot_name, synchronous_standby_names (S7/S10), which the HA
 *   logic decides; recovery_target_timeline = 'latest'.
 * Defaults the parameters may change: max_wal_senders = 10,
 * max_replication_slots = 10, max_slot_wal_keep_size = 4GB (L6: a dead member
 * cannot fill the disk), wal_keep_size = 128MB.
 *
 * Reload or restart: after pgmgr_conf_write reports a change, the caller
 * reloads (pgctl.h pgmgr_reload or SELECT pg_reload_conf()); settings whose
 * pg_settings.context is postmaster then show up in the next health probe
 * as pending_restart (health.h) and need a restart.
 */
#ifndef PGQ_PGMGR_CONF_H
#define PGQ_PGMGR_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pgq_config_kv;

#define PGMGR_CONF_FILE "pgquorum.conf"
#define PGMGR_CONF_INCLUDE_LINE "include_if_exists = 'pgquorum.conf'"

struct pgmgr_conf_input {
	const char *listen_addresses;              /* e.g. "127.0.0.1" or "*" */
	uint16_t port;
	const char *cluster_name;                  /* NULL: not set */
	const struct pgq_config_kv *dynamic_params; /* the record's postgresql.parameters */
	size_t n_dynamic;
	const struct pgq_config_kv *local_params;  /* this member's postgresql.parameters */
	size_t n_local;
	const char *primary_conninfo;              /* NULL or "": no upstream */
	const char *primary_slot_name;             /* NULL or "": none */
	const char *synchronous_standby_names;     /* NULL: '' */
};

/*
 * Renders pgquorum.conf. *out is malloc'd (caller frees). Returns 0, or -1
 * with err for an invalid parameter name or a value with a line break.
 */
int pgmgr_conf_render(const struct pgmgr_conf_input *in, char **out, char *err, size_t errlen);

struct pgmgr_hba_input {
	char *const *lines;          /* postgresql.pg_hba, in order, first */
	size_t n_lines;
	const char *superuser;       /* the agent's own connections and pg_rewind */
	const char *replication_user;
	const char *const *member_hosts; /* other members' addresses (may be NULL) */
	size_t n_member_hosts;
	const char *auth_method;     /* NULL: scram-sha-256 */
};

/* Renders pg_hba.conf: the configured lines, then the replication entries. */
int pgmgr_hba_render(const struct pgmgr_hba_input *in, char **out, char *err, size_t errlen);

/*
 * postgresql.conf text with the include line appended when missing.
 * Returns 0 with *out NULL when nothing needs to change, *out malloc'd
 * otherwise. -1 when out of memory.
 */
int pgmgr_conf_add_include(const char *postgresql_conf, char **out);

enum pgmgr_signal_action { PGMGR_SIGNAL_KEEP = 0, PGMGR_SIGNAL_CREATE, PGMGR_SIGNAL_REMOVE };

/* What to write; NULL / KEEP / 0 leaves that file alone. Contents are copied. */
struct pgmgr_conf_files {
	const char *pgquorum_conf;         /* rendered by pgmgr_conf_render */
	const char *pg_hba;                /* rendered by pgmgr_hba_render */
	bool ensure_include;               /* add the include line to postgresql.conf */
	enum pgmgr_signal_action standby_signal;
	uint32_t history_tli;              /* S12: write pg_wal/%08X.history (0: none) */
	const char *history_text;
	bool clear_rewind_marker;          /* S14: after a successful re-clone (marker.h) */
};

struct pgmgr_conf_result {
	int status;                        /* 0, or -1 and error */
	const char *error;
	bool conf_changed, hba_changed, include_added, signal_changed, history_written;
	bool marker_cleared;
};

typedef void (*pgmgr_conf_cb)(void *ctx, const struct pgmgr_conf_result *r);

/*
 * Writes the files durably on libuv's thread pool (fsync must not block the
 * loop), unchanged files untouched. cb runs once on the loop thread.
 * Returns 0, or -1 with err (bad arguments, out of memory).
 */
int pgmgr_conf_write(uv_loop_t *loop, const char *data_dir, const struct pgmgr_conf_files *files,
		     pgmgr_conf_cb cb, void *ctx, char *err, size_t errlen);

/* The same, synchronously (tests, and code already off the loop thread). */
int pgmgr_conf_write_sync(const char *data_dir, const struct pgmgr_conf_files *files,
			  struct pgmgr_conf_result *r, char *err, size_t errlen);

#endif /* PGQ_PGMGR_CONF_H */

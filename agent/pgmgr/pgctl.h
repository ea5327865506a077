/*
 * pgctl.h — the PostgreSQL programs the manager runs: initdb, pg_ctl
 * (start, stop, reload, promote), pg_basebackup and pg_rewind. Each call
 * builds the argument vector (pure, unit-tested through pgmgr_argv_*) and
 * runs it with cmd.h: asynchronous, one callback with the exit code and the
 * last lines of stderr, a timeout (SIGTERM, then SIGKILL).
 *
 * Passwords never appear in argv (visible in ps): initdb reads it from its
 * stdin (--pwfile=/dev/stdin), pg_basebackup and pg_rewind get PGPASSWORD in
 * their environment.
 *
 * The callback's result counts as success when pgmgr_cmd_ok(r).
 */
#ifndef PGQ_PGMGR_PGCTL_H
#define PGQ_PGMGR_PGCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pgmgr/cmd.h"

struct pgq_config_initdb_option;

/* An argument vector with its own storage (no allocation). */
struct pgmgr_argv {
	int argc;
	const char *argv[PGMGR_CMD_MAX_ARGS + 1];
	char storage[8192];
	size_t used;
};

struct pgmgr_initdb_opts {
	const char *bin_dir;
	const char *data_dir;
	const char *superuser;                 /* -U; NULL: the OS user */
	const char *superuser_password;        /* NULL: none (local peer login only) */
	const struct pgq_config_initdb_option *options;  /* bootstrap.initdb */
	size_t n_options;
	uint32_t timeout_ms;                   /* 0: 120 s */
};

enum pgmgr_stop_mode {
	PGMGR_STOP_SMART = 0,
	PGMGR_STOP_FAST,
	PGMGR_STOP_IMMEDIATE,
};

struct pgmgr_ctl_opts {
	const char *bin_dir;
	const char *data_dir;
	const char *log_path;        /* start: postmaster stdout/stderr (pg_ctl -l); NULL:
				      * /dev/null (then set logging_collector = on) */
	uint32_t wait_s;             /* pg_ctl -t; 0: 60 */
	enum pgmgr_stop_mode mode;   /* stop only */
};

struct pgmgr_basebackup_opts {
	const char *bin_dir;
	const char *data_dir;        /* must not exist or be empty */
	const char *conninfo;        /* the source primary, without the password */
	const char *password;        /* NULL: none; passed as PGPASSWORD */
	const char *slot_name;       /* an existing physical slot on the source, or NULL */
	uint32_t timeout_ms;         /* 0: no timeout */
};

struct pgmgr_rewind_opts {
	const char *bin_dir;
	const char *data_dir;        /* the target, shut down */
	const char *conninfo;        /* the source server (a superuser), without password */
	const char *password;        /* NULL: none; passed as PGPASSWORD */
	uint32_t timeout_ms;         /* 0: no timeout */
};

/* Builders: 0, or -1 with err (missing or invalid option, too long). */
int pgmgr_argv_initdb(struct pgmgr_argv *a, const struct pgmgr_initdb_opts *o, char *err, size_t errlen);
int pgmgr_argv_start(struct pgmgr_argv *a, const struct pgmgr_ctl_opts *o, char *err, size_t errlen);
int pgmgr_argv_stop(struct pgmgr_argv *a, const struct pgmgr_ctl_opts *o, char *err, size_t errlen);
int pgmgr_argv_basebackup(struct pgmgr_argv *a, const struct pgmgr_basebackup_opts *o, char *err, size_t errlen);
int pgmgr_argv_rewind(struct pgmgr_argv *a, const struct pgmgr_rewind_opts *o, char *err, size_t errlen);

/* True when the program ran and exited 0. */
bool pgmgr_cmd_ok(const struct pgmgr_cmd_result *r);
/* True when pg_ctl stop failed only because no server was running. */
bool pgmgr_stop_not_running(const struct pgmgr_cmd_result *r);

/*
 * initdb with --data-checksums (pg_rewind needs checksums or wal_log_hints),
 * --auth-local=peer --auth-host=scram-sha-256 unless bootstrap.initdb says
 * otherwise. initdb itself refuses a non-empty directory (S15).
 */
int pgmgr_initdb(uv_loop_t *loop, const struct pgmgr_initdb_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 struct pgmgr_cmd **out, char *err, size_t errlen);

/*
 * pg_ctl start -w: returns when the server accepts connections or failed.
 * The postmaster is started with -c restart_after_crash=off (S14: nobody but
 * the agent restarts it), in its own session (pg_ctl calls setsid).
 * A timeout kills pg_ctl only; the caller must then stop or fence the
 * postmaster (it may still be starting). Refused (-1) while the rewind
 * marker exists (marker.h, S14).
 */
int pgmgr_start(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
		struct pgmgr_cmd **out, char *err, size_t errlen);
/* pg_ctl stop -m mode -w. pgmgr_stop_not_running(r) tells "nothing to stop" from a failure. */
int pgmgr_stop(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
	       struct pgmgr_cmd **out, char *err, size_t errlen);
/* pg_ctl reload (SIGHUP to the postmaster). */
int pgmgr_reload(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 struct pgmgr_cmd **out, char *err, size_t errlen);
/* pg_basebackup -X stream -c fast [--slot]. Writes no recovery settings (conf.h does). */
int pgmgr_basebackup(uv_loop_t *loop, const struct pgmgr_basebackup_opts *o, pgmgr_cmd_cb cb,
		     void *ctx, struct pgmgr_cmd **out, char *err, size_t errlen);
/*
 * pg_rewind --source-server, inside the rewind marker (marker.h, S14: set
 * durably before, cleared only after success), preceded by a CHECKPOINT on
 * the source: right
 * after a promotion the source's pg_control still names the old timeline
 * (the end-of-recovery checkpoint runs in the background), and pg_rewind
 * would answer "no rewind required" for a diverged target. The source
 * conninfo must use a numeric host (the CHECKPOINT goes through sql.h).
 * A failed marker write or CHECKPOINT is reported as spawn_failed with the
 * reason in error. Afterwards the caller rewrites the managed configuration (pg_rewind
 * copies the source's) and standby.signal. No cancel handle.
 */
int pgmgr_rewind(uv_loop_t *loop, const struct pgmgr_rewind_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 char *err, size_t errlen);
/* pg_rewind alone (the source checkpointed since its promotion). */
int pgmgr_rewind_run(uv_loop_t *loop, const struct pgmgr_rewind_opts *o, pgmgr_cmd_cb cb, void *ctx,
		     struct pgmgr_cmd **out, char *err, size_t errlen);

#endif /* PGQ_PGMGR_PGCTL_H */

/*
 * cmd.h — run one program as a child of the agent on the libuv loop
 * (uv_spawn; never system() or popen()). The child gets its own session and
 * process group, so a timeout reaches its helpers too (pg_basebackup's WAL
 * streamer): SIGTERM to the group, then SIGKILL after a grace period.
 * stderr is captured (its last lines end up in the result, for the log),
 * stdout optionally (pg_controldata), stdin optionally fed from a buffer
 * (initdb --pwfile=/dev/stdin keeps the password off the disk and argv;
 * a real pipe(2), since initdb opens /dev/stdin by name).
 */
#ifndef PGQ_PGMGR_CMD_H
#define PGQ_PGMGR_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define PGMGR_CMD_TAIL_BYTES 1024       /* last stderr bytes kept */
#define PGMGR_CMD_MAX_ARGS 64
#define PGMGR_CMD_MAX_STDIN 4096         /* fits a pipe buffer: written before the spawn */

struct pgmgr_cmd;

struct pgmgr_cmd_result {
	bool spawn_failed;       /* the program could not be started (error says why) */
	bool timed_out;          /* killed by our timeout */
	bool cancelled;          /* killed by pgmgr_cmd_cancel */
	int64_t exit_status;     /* exit code; -1 when killed by a signal or not started */
	int term_signal;         /* signal that ended it, 0 if none */
	uint64_t elapsed_ms;
	const char *stderr_tail; /* last lines of stderr, NUL-terminated, "" if none */
	const char *out;         /* captured stdout (NUL-terminated) or NULL when not asked */
	size_t out_len;
	bool out_truncated;      /* stdout exceeded stdout_max_bytes */
	const char *error;       /* spawn error text, "" otherwise */
	const char *argv0;       /* program name, for messages */
};

/* r and everything it points to are valid only during the callback. */
typedef void (*pgmgr_cmd_cb)(void *ctx, const struct pgmgr_cmd_result *r);

struct pgmgr_cmd_spec {
	const char *const *argv;        /* NULL-terminated, argv[0] an absolute path; copied */
	const char *const *env_set;     /* extra "NAME=value" entries (NULL-terminated,
					 * may be NULL) that replace inherited ones; copied */
	const char *cwd;                /* NULL: inherit; copied */
	const void *stdin_data;         /* written to the child's stdin then closed; copied */
	size_t stdin_len;               /* 0: stdin is /dev/null */
	bool capture_stdout;            /* else stdout goes to /dev/null */
	size_t stdout_max_bytes;        /* 0: 64 KiB */
	uint32_t timeout_ms;            /* 0: no timeout */
	uint32_t kill_grace_ms;         /* SIGTERM -> SIGKILL; 0: 2000 */
};

/*
 * Starts the program. Returns 0 and (when out != NULL) *out, a handle valid
 * until cb has run; cb runs exactly once, always from the loop (never from
 * inside this call), after the child has exited. Returns -1 with err only
 * for bad arguments or out of memory (then cb never runs). A program that
 * cannot be executed is reported through cb with spawn_failed.
 */
int pgmgr_cmd_start(uv_loop_t *loop, const struct pgmgr_cmd_spec *spec, pgmgr_cmd_cb cb,
		    void *ctx, struct pgmgr_cmd **out, char *err, size_t errlen);

/* Kills the child now (SIGTERM to its group, SIGKILL after the grace); cb still runs. */
void pgmgr_cmd_cancel(struct pgmgr_cmd *cmd);

/* The child's PID (0 once it exited or when it failed to start). */
int pgmgr_cmd_pid(const struct pgmgr_cmd *cmd);

/* Formats a one-line summary for logs: "exit 1", "killed by signal 9 (timeout)". */
const char *pgmgr_cmd_describe(const struct pgmgr_cmd_result *r, char *buf, size_t buflen);

#endif /* PGQ_PGMGR_CMD_H */

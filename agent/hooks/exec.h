/*
 * exec.h — one hook command run on the loop: spawn, capture, time out, kill.
 *
 * OWNER: hooks module (internal header).
 *
 * The command runs in its own session (process group), so the timeout's
 * SIGTERM and SIGKILL reach whatever it started too. stdout and stderr share
 * one socket, read into a bounded tail (tail.h). The object frees itself
 * after calling `done`, which happens exactly once, on the loop, when the
 * process has been reaped and every handle is closed.
 */
#ifndef PGQ_HOOKS_EXEC_H
#define PGQ_HOOKS_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct pgq_hook_exec;

struct pgq_hook_exec_spec {
	char *const *argv;          /* argv[0] is searched in PATH when it has no '/' */
	char *const *env;           /* NAME=value, NULL-terminated; copied by libuv */
	uint32_t timeout_ms;        /* SIGTERM after this */
	uint32_t kill_grace_ms;     /* then SIGKILL after this */
	uint32_t output_lines;
	uint32_t output_line_bytes;
};

struct pgq_hook_exec_result {
	bool started;               /* false: spawn failed, see error */
	int exit_code;              /* -1 when ended by a signal or not started */
	int term_signal;            /* 0 when it exited */
	bool timed_out;             /* we sent SIGTERM at the timeout */
	bool killed;                /* we sent SIGKILL (grace over, or aborted) */
	uint64_t run_ms;
	char *output;               /* last lines; owned by the receiver of `done` */
	char error[256];
};

/* `result` belongs to the callee: free result->output when done with it. */
typedef void (*pgq_hook_exec_done_cb)(struct pgq_hook_exec_result *result, void *arg);

/*
 * Start the command. Returns 0 and sets *out (a handle for
 * pgq_hook_exec_kill, valid until `done` is called), or -1 with `err` filled
 * when nothing was set up at all (out of memory, bad spec); a command that
 * fails to spawn still returns 0 and reports started=false through `done`.
 */
int pgq_hook_exec_start(uv_loop_t *loop, const struct pgq_hook_exec_spec *spec,
			pgq_hook_exec_done_cb done, void *arg, struct pgq_hook_exec **out,
			char *err, size_t errlen);

/* SIGKILL the command's process group now (agent shutting down). */
void pgq_hook_exec_kill(struct pgq_hook_exec *exec);

#endif /* PGQ_HOOKS_EXEC_H */

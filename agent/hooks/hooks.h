/*
 * hooks.h — running the configured hooks of an event (exec and plugin).
 *
 * OWNER: hooks module (agent/hooks/). docs/hooks.md is the user's guide.
 *
 * One `struct pgq_hooks` per agent, bound to the agent's libuv loop. For each
 * event (enum pgq_hook_event, agent/pgq_config.h) it holds at most one exec
 * command and at most one plugin. pgq_hooks_run() starts both (concurrently)
 * and calls back once, on the loop, when both have finished, failed to start
 * or timed out. Nothing here blocks the loop: commands run with uv_spawn,
 * plugin callbacks on a per-plugin worker thread.
 *
 * Exec hooks are killed at their timeout (SIGTERM to the process group, then
 * SIGKILL after `kill_grace_ms`). Plugin calls cannot be killed: at the
 * timeout the result says timed out and the call is abandoned; the plugin
 * answers "busy" (a failure) to later events until the call returns.
 *
 * Policy (who decides what a result means) lives in fence_policy.c:
 * pgq_hooks_vetoed() for pre_promote, pgq_fence_decide() for fence (S19).
 */
#ifndef PGQ_HOOKS_H
#define PGQ_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "pgq_config.h"
#include "pgquorum/plugin.h"

/* How one part (exec or plugin) of a hook ended. */
enum pgq_hook_status {
	PGQ_HOOK_NOT_RUN = 0,   /* this part is not configured for the event */
	PGQ_HOOK_OK,            /* exit code 0 / the callback returned 0 */
	PGQ_HOOK_FAILED,        /* non-zero exit code / callback return */
	PGQ_HOOK_SIGNALED,      /* the command was ended by a signal (not ours) */
	PGQ_HOOK_TIMED_OUT,     /* overran the timeout (exec: killed) */
	PGQ_HOOK_ERROR,         /* could not start, plugin busy, hooks closing */
};

const char *pgq_hook_status_name(enum pgq_hook_status status);

struct pgq_hook_part_result {
	enum pgq_hook_status status;
	int exit_code;          /* exec: exit status; plugin: return value; -1 none */
	int term_signal;        /* exec: the signal that ended it; 0 none */
	bool timed_out;
	uint64_t run_ms;        /* start to end (to the timeout for an abandoned plugin) */
	const char *output;     /* exec: last lines of stdout+stderr; plugin: its msg; never NULL */
	const char *error;      /* why PGQ_HOOK_ERROR; "" otherwise; never NULL */
};

/* Everything the callback learns. Valid only during the callback: copy what you keep. */
struct pgq_hook_result {
	enum pgq_hook_event event;
	bool configured;                    /* the event has exec and/or plugin */
	bool ok;                            /* every configured part returned PGQ_HOOK_OK */
	struct pgq_hook_part_result exec;
	struct pgq_hook_part_result plugin;
};

typedef void (*pgq_hook_done_cb)(const struct pgq_hook_result *result, void *arg);

struct pgq_hooks_options {
	uint32_t kill_grace_ms;     /* SIGTERM to SIGKILL; 0 means 5000 */
	uint32_t output_lines;      /* lines of output kept; 0 means 20 */
	uint32_t output_line_bytes; /* longer lines are cut; 0 means 512 */
};

struct pgq_hooks;

/*
 * A hooks object on `loop` with no hook configured. Returns NULL on out of
 * memory. The caller owns it; pgq_hooks_close() releases it.
 */
struct pgq_hooks *pgq_hooks_new(uv_loop_t *loop, const struct pgq_hooks_options *options);

/*
 * Configure `event` from `cfg` (copied; `cfg` may be freed afterwards). A
 * plugin is loaded here: dlopen, the ABI check, then its init. Returns 0, or
 * -1 with `err` filled (the event keeps its previous setting).
 */
int pgq_hooks_set(struct pgq_hooks *hooks, enum pgq_hook_event event,
		  const struct pgq_config_hook *cfg, char *err, size_t errlen);

/*
 * Every event of config->hooks, all or nothing: on an error (named in `err`)
 * no event changes, so a reload with a bad hook keeps the old ones.
 */
int pgq_hooks_configure(struct pgq_hooks *hooks, const struct pgq_config *config,
			char *err, size_t errlen);

bool pgq_hooks_configured(const struct pgq_hooks *hooks, enum pgq_hook_event event);

/*
 * Run the hooks of event->event. `event` is copied (the caller keeps it).
 * `done` is always called exactly once, later, on the loop — also when
 * nothing is configured (result->configured false, ok true). Several runs
 * may be in flight. Returns 0, or -1 with `err` filled (bad event, out of
 * memory, hooks closing) in which case `done` is not called.
 */
int pgq_hooks_run(struct pgq_hooks *hooks, const struct pgq_plugin_event *event,
		  pgq_hook_done_cb done, void *arg, char *err, size_t errlen);

/*
 * Hook parts (exec, plugin) that finished since start, and those of them
 * that did not end OK (failed, signalled, timed out, could not start), for
 * GET /metrics. NULL hooks: zeros.
 */
void pgq_hooks_stats(const struct pgq_hooks *hooks, uint64_t *runs, uint64_t *failures);

/* Runs in flight (started and not yet called back). */
size_t pgq_hooks_in_flight(const struct pgq_hooks *hooks);

/*
 * Stop: running commands get SIGKILL, runs in flight are called back with
 * PGQ_HOOK_ERROR "hooks closing", plugin workers are told to unload (fini,
 * dlclose) once their current call returns. `closed` (may be NULL) is called
 * on the loop when every handle is closed and `hooks` is freed.
 */
void pgq_hooks_close(struct pgq_hooks *hooks, void (*closed)(void *arg), void *arg);

/*
 * Plugin worker threads still alive in the process (each unloads its plugin
 * and exits once its last call returns). For tests and shutdown diagnostics.
 */
size_t pgq_hooks_live_plugin_workers(void);

/* ---- policy (fence_policy.c) ------------------------------------------ */

/* pre_promote: any configured part that did not return OK vetoes (S19). */
bool pgq_hooks_vetoed(const struct pgq_hook_result *result);

enum pgq_fence_decision {
	PGQ_FENCE_DONE = 0,        /* the fence hook succeeded: promote */
	PGQ_FENCE_CONTINUE,        /* it failed or is absent, fencing not required: log, promote */
	PGQ_FENCE_BLOCKED,         /* fencing.required and not fenced: do not promote, retry */
};

const char *pgq_fence_decision_name(enum pgq_fence_decision decision);

/*
 * S6/S19: what a finished `fence` run means for the promotion. With
 * `required`, anything but success (failure, timeout, error, no fence hook
 * configured) blocks; `why` (may be NULL) receives the reason for the record.
 */
enum pgq_fence_decision pgq_fence_decide(const struct pgq_hook_result *result, bool required,
					 char *why, size_t whylen);

/*
 * S19: a fence round runs the `fence` hook once per member awaiting fencing
 * (the record's fence_pending, in its order), each run naming one member in
 * PGQ_OLD_PRIMARY* — a STONITH script powers off the one node it is given.
 * After run `index` (0-based) of `n` returned `result`: true when that member
 * is fenced and another remains (start the next run); false when the round is
 * over. A failed run ends the round at once, and its result decides for the
 * whole round (pgq_fence_decide): the round counts as fenced only when every
 * run succeeded.
 */
bool pgq_fence_round_next(const struct pgq_hook_result *result, size_t index, size_t n);

#endif /* PGQ_HOOKS_H */

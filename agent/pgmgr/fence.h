/*
 * fence.h — S5: PostgreSQL is fenced when no process of its data directory
 * remains, and only a verified result says so.
 *
 * Escalation, from the step the caller chooses (the HA logic's self-fence
 * schedule starts later steps at lease_end − stop_budget / − kill_budget):
 *   1. pg_ctl stop -m fast, bounded by fast_timeout_ms;
 *   2. pg_ctl stop -m immediate, bounded by immediate_timeout_ms;
 *   3. SIGKILL to the postmaster's process group and to every process found
 *      by procscan.h (cwd in the data directory, or child of the postmaster),
 *      repeated until none is left or kill_wait_ms passes.
 * After each step /proc is scanned; an empty scan ends the fence with
 * fenced = true. A scan that cannot run (no /proc) never says fenced.
 */
#ifndef PGQ_PGMGR_FENCE_H
#define PGQ_PGMGR_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

enum pgmgr_fence_step {
	PGMGR_FENCE_FAST = 0,
	PGMGR_FENCE_IMMEDIATE,
	PGMGR_FENCE_KILL,
};

struct pgmgr_fence_opts {
	const char *bin_dir;
	const char *data_dir;
	enum pgmgr_fence_step first_step;
	uint32_t fast_timeout_ms;      /* 0: 5000 */
	uint32_t immediate_timeout_ms; /* 0: 1500 */
	uint32_t kill_wait_ms;         /* 0: 2000 */
};

#define PGMGR_FENCE_MAX_PIDS 16

struct pgmgr_fence_result {
	bool fenced;                   /* verified: no process of the data directory left */
	enum pgmgr_fence_step last_step; /* the step that ended it */
	pid_t postmaster;              /* from postmaster.pid, 0 if none */
	size_t survivors;              /* processes left when not fenced */
	pid_t survivor_pids[PGMGR_FENCE_MAX_PIDS];
	unsigned killed;               /* SIGKILLs sent */
	const char *error;             /* "" when fenced */
	uint64_t elapsed_ms;
};

typedef void (*pgmgr_fence_cb)(void *ctx, const struct pgmgr_fence_result *r);

struct pgmgr_fence;

/* Returns 0 (cb runs once, from the loop) or -1 with err. */
int pgmgr_fence_start(uv_loop_t *loop, const struct pgmgr_fence_opts *o, pgmgr_fence_cb cb,
		      void *ctx, struct pgmgr_fence **out, char *err, size_t errlen);

/*
 * One synchronous check without acting: 0 and *count of processes of the
 * data directory (0 = fenced), or -1 with err.
 */
int pgmgr_fence_check(const char *data_dir, size_t *count, char *err, size_t errlen);

/*
 * Before a start: postmaster.pid names a process that no longer runs in the
 * data directory (gone, a zombie its parent has not reaped yet, or a reused
 * PID) and no process of the data directory remains: remove the file, which
 * PostgreSQL would otherwise take for a running server ("lock file already
 * exists": kill(pid, 0) succeeds on a zombie), and the Unix socket's lock
 * file when it names the same PID. Returns 1 when removed, 0 when
 * nothing to do (no file, or its postmaster still runs), -1 with err when
 * processes remain or the check failed.
 */
int pgmgr_fence_clear_stale_pid(const char *data_dir, pid_t *stale_pid, char *err,
				size_t errlen);

#endif /* PGQ_PGMGR_FENCE_H */

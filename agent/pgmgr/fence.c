/*
 * fence.c — stop, then kill, then verify that nothing of a data directory
 * runs any more (fence.h, S5).
 */
#include "pgmgr/fence.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/procscan.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_MAX 256
#define KILL_POLL_MS 20

struct pgmgr_fence {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct pgmgr_fence_opts o;
	char *bin_dir, *data_dir;
	char real_dir[PATH_MAX];
	pid_t postmaster;
	enum pgmgr_fence_step step;
	uint64_t start_ns, kill_deadline_ns;
	unsigned killed;
	bool done;
	char error[512];
	pgmgr_fence_cb cb;
	void *ctx;
};

static void on_closed(uv_handle_t *h)
{
	struct pgmgr_fence *f = h->data;

	free(f->bin_dir);
	free(f->data_dir);
	free(f);
}

/* Scans; returns the count (or SIZE_MAX when the scan failed). */
static size_t scan(struct pgmgr_fence *f, pid_t *pids, size_t max)
{
	size_t found = 0;
	char err[256];
	/* Children of the postmaster count only while it is verifiably ours. */
	pid_t pm = f->postmaster > 0 && pgmgr_proc_in_dir(f->postmaster, f->real_dir) ? f->postmaster : 0;

	if (pgmgr_proc_scan("/proc", f->real_dir, pm, pids, max, &found, err, sizeof(err)) != 0) {
		snprintf(f->error, sizeof(f->error), "%s", err);
		return SIZE_MAX;
	}
	return found;
}

static void finish(struct pgmgr_fence *f, bool fenced, const pid_t *pids, size_t n)
{
	struct pgmgr_fence_result r;

	if (f->done)
		return;
	f->done = true;
	memset(&r, 0, sizeof(r));
	r.fenced = fenced;
	r.last_step = f->step;
	r.postmaster = f->postmaster;
	r.killed = f->killed;
	if (!fenced) {
		r.survivors = n;
		for (size_t i = 0; i < n && i < PGMGR_FENCE_MAX_PIDS; i++)
			r.survivor_pids[i] = pids[i];
		if (f->error[0] == '\0')
			snprintf(f->error, sizeof(f->error), "%zu process(es) of \"%.400s\" still running",
				 n, f->real_dir);
	} else {
		f->error[0] = '\0';
	}
	r.error = f->error;
	r.elapsed_ms = (uv_hrtime() - f->start_ns) / 1000000u;
	f->cb(f->ctx, &r);
	uv_close((uv_handle_t *)&f->timer, on_closed);
}

static void run_step(struct pgmgr_fence *f);

static void kill_round(uv_timer_t *t)
{
	struct pgmgr_fence *f = t->data;
	pid_t pids[SCAN_MAX];
	size_t n = scan(f, pids, SCAN_MAX);

	if (n == 0) {
		finish(f, true, NULL, 0);
		return;
	}
	if (n != SIZE_MAX) {
		for (size_t i = 0; i < n && i < SCAN_MAX; i++)
			if (kill(pids[i], SIGKILL) == 0)
				f->killed++;
	}
	if (uv_hrtime() >= f->kill_deadline_ns) {
		finish(f, false, pids, n == SIZE_MAX ? 0 : n);
		return;
	}
	uv_timer_start(&f->timer, kill_round, KILL_POLL_MS, 0);
}

static void after_stop(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct pgmgr_fence *f = ctx;
	pid_t pids[SCAN_MAX];
	size_t n;

	(void)r;  /* pg_ctl's verdict does not count: only the scan does */
	n = scan(f, pids, SCAN_MAX);
	if (n == 0) {
		finish(f, true, NULL, 0);
		return;
	}
	f->step++;
	run_step(f);
}

static void start_stop(struct pgmgr_fence *f, enum pgmgr_stop_mode mode, uint32_t timeout_ms)
{
	struct pgmgr_ctl_opts co = { 0 };
	struct pgmgr_argv a;
	struct pgmgr_cmd_spec spec = { 0 };
	char err[256];

	co.bin_dir = f->bin_dir;
	co.data_dir = f->data_dir;
	co.mode = mode;
	co.wait_s = (timeout_ms + 999) / 1000;
	if (pgmgr_argv_stop(&a, &co, err, sizeof(err)) == 0) {
		spec.argv = a.argv;
		spec.timeout_ms = timeout_ms;
		spec.kill_grace_ms = 200;
		if (pgmgr_cmd_start(f->loop, &spec, after_stop, f, NULL, err, sizeof(err)) == 0)
			return;
	}
	/* Cannot even run pg_ctl: go on to the next step at once. */
	snprintf(f->error, sizeof(f->error), "%s", err);
	f->step++;
	run_step(f);
}

static void run_step(struct pgmgr_fence *f)
{
	switch (f->step) {
	case PGMGR_FENCE_FAST:
		start_stop(f, PGMGR_STOP_FAST, f->o.fast_timeout_ms);
		return;
	case PGMGR_FENCE_IMMEDIATE:
		start_stop(f, PGMGR_STOP_IMMEDIATE, f->o.immediate_timeout_ms);
		return;
	case PGMGR_FENCE_KILL:
	default:
		f->step = PGMGR_FENCE_KILL;
		f->kill_deadline_ns = uv_hrtime() + (uint64_t)f->o.kill_wait_ms * 1000000u;
		/* The whole group first: processes forked since the scan are in it. */
		if (f->postmaster > 0 && pgmgr_proc_in_dir(f->postmaster, f->real_dir) &&
		    kill(-f->postmaster, SIGKILL) == 0)
			f->killed++;
		kill_round(&f->timer);
		return;
	}
}

static void begin(uv_timer_t *t)
{
	struct pgmgr_fence *f = t->data;
	pid_t pids[SCAN_MAX];
	size_t n = scan(f, pids, SCAN_MAX);

	if (n == 0) {
		finish(f, true, NULL, 0);
		return;
	}
	run_step(f);
}

int pgmgr_fence_start(uv_loop_t *loop, const struct pgmgr_fence_opts *o, pgmgr_fence_cb cb,
		      void *ctx, struct pgmgr_fence **out, char *err, size_t errlen)
{
	struct pgmgr_fence *f;
	char perr[256];

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || o == NULL || o->bin_dir == NULL || o->data_dir == NULL || cb == NULL ||
	    (unsigned)o->first_step > PGMGR_FENCE_KILL) {
		snprintf(err, errlen, "fence: missing or invalid argument");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->bin_dir = strdup(o->bin_dir)) == NULL ||
	    (f->data_dir = strdup(o->data_dir)) == NULL) {
		if (f != NULL)
			free(f->bin_dir);
		free(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (realpath(o->data_dir, f->real_dir) == NULL) {
		/* Gone: its processes may still run in "(deleted)"; match the path as given. */
		snprintf(f->real_dir, sizeof(f->real_dir), "%s", o->data_dir);
	}
	f->o = *o;
	if (f->o.fast_timeout_ms == 0)
		f->o.fast_timeout_ms = 5000;
	if (f->o.immediate_timeout_ms == 0)
		f->o.immediate_timeout_ms = 1500;
	if (f->o.kill_wait_ms == 0)
		f->o.kill_wait_ms = 2000;
	f->step = o->first_step;
	f->loop = loop;
	f->cb = cb;
	f->ctx = ctx;
	f->start_ns = uv_hrtime();
	if (pgmgr_postmaster_pid(f->data_dir, &f->postmaster, perr, sizeof(perr)) != 0)
		f->postmaster = 0;
	uv_timer_init(loop, &f->timer);
	f->timer.data = f;
	uv_timer_start(&f->timer, begin, 0, 0);
	if (out != NULL)
		*out = f;
	return 0;
}

int pgmgr_fence_check(const char *data_dir, size_t *count, char *err, size_t errlen)
{
	char real[PATH_MAX];
	pid_t pids[1];

	if (realpath(data_dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", data_dir);
	return pgmgr_proc_scan("/proc", real, 0, pids, 0, count, err, errlen);
}

/*
 * The Unix socket's lock file (".s.PGSQL.<port>.lock" in the socket
 * directory postmaster.pid names on lines 4 and 5) holds the same PID and
 * fails a start the same way while the zombie lingers: remove it too, but
 * only when it names that very PID. Best effort: PostgreSQL reports a lock
 * that remains.
 */
static void clear_stale_socket_lock(const char *data_dir, pid_t pid)
{
	char path[PATH_MAX + 32], line[PATH_MAX], port[16] = "", sockdir[PATH_MAX] = "";
	FILE *f;
	long owner;
	int n = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/postmaster.pid", data_dir) >= sizeof(path) ||
	    (f = fopen(path, "r")) == NULL)
		return;
	while (n < 5 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (++n == 4 && strlen(line) < sizeof(port))
			memcpy(port, line, strlen(line) + 1);
		else if (n == 5)
			memcpy(sockdir, line, strlen(line) + 1);
	}
	fclose(f);
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port) || sockdir[0] != '/' ||
	    (size_t)snprintf(path, sizeof(path), "%s/.s.PGSQL.%s.lock", sockdir, port) >= sizeof(path) ||
	    (f = fopen(path, "r")) == NULL)
		return;
	n = fscanf(f, "%ld", &owner);
	fclose(f);
	if (n == 1 && owner == (long)pid)
		(void)unlink(path);
}

int pgmgr_fence_clear_stale_pid(const char *data_dir, pid_t *stale_pid, char *err,
				size_t errlen)
{
	char path[PATH_MAX + 32];
	size_t count = 0;
	pid_t pid = 0;

	*stale_pid = 0;
	switch (pgmgr_postmaster_status(data_dir, &pid, err, errlen)) {
	case PGMGR_POSTMASTER_ABSENT:
	case PGMGR_POSTMASTER_RUNNING:
		return 0;
	case PGMGR_POSTMASTER_UNKNOWN:
		return -1;
	case PGMGR_POSTMASTER_STALE:
		break;
	}
	if (pgmgr_fence_check(data_dir, &count, err, errlen) != 0)
		return -1;
	if (count != 0) {
		snprintf(err, errlen, "postmaster.pid names PID %d, which is gone, but %zu process(es) "
			 "of the data directory remain", (int)pid, count);
		return -1;
	}
	clear_stale_socket_lock(data_dir, pid);
	if ((size_t)snprintf(path, sizeof(path), "%s/postmaster.pid", data_dir) >= sizeof(path) ||
	    (unlink(path) != 0 && errno != ENOENT)) {
		snprintf(err, errlen, "could not remove \"%.300s/postmaster.pid\": %s", data_dir,
			 strerror(errno));
		return -1;
	}
	*stale_pid = pid;
	return 1;
}

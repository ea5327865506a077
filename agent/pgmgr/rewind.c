/*
 * rewind.c — pg_rewind as one safe operation (pgctl.h pgmgr_rewind):
 *   1. CHECKPOINT on the source: right after a promotion its pg_control still
 *      names the old timeline, and pg_rewind would answer "no rewind
 *      required" for a diverged target (the integration test caught this).
 *      It comes first because it also proves the source answers: an
 *      unreachable source fails here, before anything marks the data
 *      directory, which stays startable (it can still report, S9);
 *   2. set the rewind marker durably (thread pool; S14: no start until done);
 *   3. pg_rewind;
 *   4. on success only, clear the marker (thread pool), then report.
 */
#include "pgmgr/conninfo.h"
#include "pgmgr/marker.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_TIMEOUT_MS 60000

struct rewind_job {
	uv_loop_t *loop;
	uv_work_t work;
	bool clearing;                 /* which marker operation the work does */
	int marker_rc;
	char marker_err[256];
	char *bin_dir, *data_dir, *conninfo, *password, *sql_conninfo;
	uint32_t timeout_ms;
	pgmgr_cmd_cb cb;
	void *ctx;
	/* pg_rewind's result, kept while the marker is cleared. */
	struct pgmgr_cmd_result res;
	char tail[PGMGR_CMD_TAIL_BYTES + 1];
	char error[512];
};

static void wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void job_free(struct rewind_job *j)
{
	free(j->bin_dir);
	free(j->data_dir);
	free(j->conninfo);
	wipe_free(j->password);
	wipe_free(j->sql_conninfo);
	free(j);
}

/* Reports a failure outside pg_rewind, in the command result's shape. */
static void report_failure(struct rewind_job *j, const char *msg)
{
	struct pgmgr_cmd_result r;

	memset(&r, 0, sizeof(r));
	r.spawn_failed = true;
	r.exit_status = -1;
	r.stderr_tail = "";
	r.error = msg;
	r.argv0 = "pg_rewind";
	j->cb(j->ctx, &r);
	job_free(j);
}

static void marker_work(uv_work_t *w)
{
	struct rewind_job *j = w->data;

	j->marker_rc = j->clearing
		? pgmgr_rewind_marker_clear(j->data_dir, j->marker_err, sizeof(j->marker_err))
		: pgmgr_rewind_marker_set(j->data_dir, j->marker_err, sizeof(j->marker_err));
}

static void after_clear(uv_work_t *w, int status)
{
	struct rewind_job *j = w->data;

	if (status != 0 || j->marker_rc != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "pg_rewind succeeded but the marker stays: %s", j->marker_err);
		report_failure(j, msg);
		return;
	}
	j->res.stderr_tail = j->tail;
	j->res.error = j->error;
	j->res.argv0 = "pg_rewind";
	j->res.out = NULL;
	j->cb(j->ctx, &j->res);
	job_free(j);
}

static void on_rewind(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct rewind_job *j = ctx;

	if (!pgmgr_cmd_ok(r)) {
		/* The marker stays: this directory must not start (S14). */
		j->cb(j->ctx, r);
		job_free(j);
		return;
	}
	j->res = *r;
	snprintf(j->tail, sizeof(j->tail), "%s", r->stderr_tail);
	snprintf(j->error, sizeof(j->error), "%s", r->error != NULL ? r->error : "");
	j->clearing = true;
	if (uv_queue_work(j->loop, &j->work, marker_work, after_clear) != 0)
		report_failure(j, "could not queue the marker removal");
}

static void after_set(uv_work_t *w, int status);

static void on_checkpoint(void *ctx, enum pgmgr_sql_status status, const char *error)
{
	struct rewind_job *j = ctx;
	char err[512];

	if (status != PGMGR_SQL_OK) {
		/* Nothing touched the data directory yet: no marker (S14 needs none). */
		snprintf(err, sizeof(err), "CHECKPOINT on the rewind source failed: %s", error);
		report_failure(j, err);
		return;
	}
	if (uv_queue_work(j->loop, &j->work, marker_work, after_set) != 0)
		report_failure(j, "could not queue the marker write");
}

static void start_rewind(struct rewind_job *j)
{
	struct pgmgr_rewind_opts o = { 0 };
	char err[512];

	o.bin_dir = j->bin_dir;
	o.data_dir = j->data_dir;
	o.conninfo = j->conninfo;
	o.password = j->password;
	o.timeout_ms = j->timeout_ms;
	if (pgmgr_rewind_run(j->loop, &o, on_rewind, j, NULL, err, sizeof(err)) != 0)
		report_failure(j, err);
}

static void after_set(uv_work_t *w, int status)
{
	struct rewind_job *j = w->data;

	if (status != 0 || j->marker_rc != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "could not set the rewind marker: %s", j->marker_err);
		report_failure(j, msg);
		return;
	}
	start_rewind(j);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

int pgmgr_rewind(uv_loop_t *loop, const struct pgmgr_rewind_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 char *err, size_t errlen)
{
	struct pgmgr_argv probe;
	struct rewind_job *j;
	char marker[4600];
	size_t n;
	bool failed = false;

	/* Validate everything now, not half-way. */
	if (pgmgr_argv_rewind(&probe, o, err, errlen) != 0)
		return -1;
	if (loop == NULL || cb == NULL || pgmgr_rewind_marker_path(o->data_dir, marker, sizeof(marker)) != 0) {
		snprintf(err, errlen, "rewind: missing callback or invalid data directory");
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->loop = loop;
	j->cb = cb;
	j->ctx = ctx;
	j->timeout_ms = o->timeout_ms;
	j->work.data = j;
	j->bin_dir = dup_or_null(o->bin_dir, &failed);
	j->data_dir = dup_or_null(o->data_dir, &failed);
	j->conninfo = dup_or_null(o->conninfo, &failed);
	j->password = dup_or_null(o->password, &failed);
	n = strlen(o->conninfo) + (o->password != NULL ? 2 * strlen(o->password) : 0) + 128;
	j->sql_conninfo = failed ? NULL : malloc(n);
	if (j->sql_conninfo == NULL) {
		job_free(j);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(j->sql_conninfo, n, "%s", o->conninfo);
	if (pgmgr_conninfo_add(j->sql_conninfo, n, "password", o->password) != 0 ||
	    pgmgr_conninfo_add(j->sql_conninfo, n, "gssencmode", "disable") != 0) {
		job_free(j);
		snprintf(err, errlen, "rewind: conninfo too long");
		return -1;
	}
	if (pgmgr_sql_exec(loop, j->sql_conninfo, "CHECKPOINT", CHECKPOINT_TIMEOUT_MS, on_checkpoint,
			   j, err, errlen) != 0) {
		job_free(j);
		return -1;
	}
	return 0;
}

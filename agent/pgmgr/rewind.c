/*
 * rewind.c — pg_rewind with the CHECKPOINT it needs on the source first
 * (pgctl.h pgmgr_rewind). Without it, a target rewound right after the
 * source's promotion is declared "on the same timeline" and left diverged
 * (the integration test caught exactly that).
 */
#include "pgmgr/conninfo.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_TIMEOUT_MS 60000

struct rewind_job {
	uv_loop_t *loop;
	char *bin_dir, *data_dir, *conninfo, *password;
	uint32_t timeout_ms;
	pgmgr_cmd_cb cb;
	void *ctx;
};

static void job_free(struct rewind_job *j)
{
	free(j->bin_dir);
	free(j->data_dir);
	free(j->conninfo);
	if (j->password != NULL) {
		memset(j->password, 0, strlen(j->password));
		free(j->password);
	}
	free(j);
}

/* Reports a failure before pg_rewind ran, in the command result's shape. */
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
}

static void on_checkpoint(void *ctx, enum pgmgr_sql_status status, const char *error)
{
	struct rewind_job *j = ctx;
	struct pgmgr_rewind_opts o = { 0 };
	char err[512];

	if (status != PGMGR_SQL_OK) {
		snprintf(err, sizeof(err), "CHECKPOINT on the rewind source failed: %s", error);
		report_failure(j, err);
		job_free(j);
		return;
	}
	o.bin_dir = j->bin_dir;
	o.data_dir = j->data_dir;
	o.conninfo = j->conninfo;
	o.password = j->password;
	o.timeout_ms = j->timeout_ms;
	if (pgmgr_rewind_run(j->loop, &o, j->cb, j->ctx, NULL, err, sizeof(err)) != 0)
		report_failure(j, err);
	job_free(j);
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
	char *sql_conninfo;
	size_t n;
	bool failed = false;
	int rc;

	/* Validate everything now, not after the checkpoint. */
	if (pgmgr_argv_rewind(&probe, o, err, errlen) != 0)
		return -1;
	if (cb == NULL) {
		snprintf(err, errlen, "rewind: no callback");
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
	j->bin_dir = dup_or_null(o->bin_dir, &failed);
	j->data_dir = dup_or_null(o->data_dir, &failed);
	j->conninfo = dup_or_null(o->conninfo, &failed);
	j->password = dup_or_null(o->password, &failed);
	n = strlen(o->conninfo) + (o->password != NULL ? 2 * strlen(o->password) : 0) + 128;
	sql_conninfo = failed ? NULL : malloc(n);
	if (sql_conninfo == NULL) {
		job_free(j);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(sql_conninfo, n, "%s", o->conninfo);
	if (pgmgr_conninfo_add(sql_conninfo, n, "password", o->password) != 0 ||
	    pgmgr_conninfo_add(sql_conninfo, n, "gssencmode", "disable") != 0) {
		free(sql_conninfo);
		job_free(j);
		snprintf(err, errlen, "rewind: conninfo too long");
		return -1;
	}
	rc = pgmgr_sql_exec(loop, sql_conninfo, "CHECKPOINT", CHECKPOINT_TIMEOUT_MS, on_checkpoint, j,
			    err, errlen);
	memset(sql_conninfo, 0, n);
	free(sql_conninfo);
	if (rc != 0)
		job_free(j);
	return rc;
}

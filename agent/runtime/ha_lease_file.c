/*
 * ha_lease_file.c — S14's persisted lease on disk (agent/ha/lease_store.h):
 * "<raft.data_dir>/pgquorum-lease", replaced durably (pgmgr_file_replace:
 * temporary file, fsync, rename, fsync of the directory) on the libuv
 * thread pool, one write at a time, whenever what should be persisted
 * changed (a renewal committed, the lease given up); read once at start.
 *
 * The write lags the lease in memory by one fsync: a crash in between
 * leaves an older (earlier) end on disk, which can only fence sooner.
 */
#include "runtime/ha_driver_internal.h"

#include "ha/clock.h"
#include "ha/lease_store.h"
#include "log.h"
#include "pgmgr/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lease_job {
	uv_work_t work;
	struct ha_driver *d;
	struct pgq_lease_persisted p;
	char dir[1024];
	int rc;
	char err[256];
};

static void lease_write_run(uv_work_t *w)
{
	struct lease_job *j = w->data;
	char text[512];

	if (pgq_lease_persisted_format(&j->p, text, sizeof text) != 0) {
		j->rc = -1;
		snprintf(j->err, sizeof j->err, "lease record too long");
		return;
	}
	j->rc = pgmgr_file_replace(j->dir, PGQ_LEASE_FILE_NAME, text, strlen(text), 0600, j->err,
				   sizeof j->err);
}

/* The loop drains queued work before rt_ha_free: d is alive here. */
static void lease_write_done(uv_work_t *w, int status)
{
	struct lease_job *j = w->data;
	struct ha_driver *d = j->d;

	d->lease_write_inflight = false;
	if (status == 0 && j->rc == 0) {
		d->lease_written = j->p;
		d->lease_write_warned = false;
	} else if (!d->lease_write_warned) {
		pgq_warning("ha", "cannot persist the lease in \"%s/%s\" (S14): %s; an agent restart will fence a writable PostgreSQL",
			    j->dir, PGQ_LEASE_FILE_NAME, status == 0 ? j->err : uv_strerror(status));
		d->lease_write_warned = true;
	}
	free(j);
	if (!d->stopping)
		ha_cycle_soon(d);
}

void ha_lease_persist(struct ha_driver *d)
{
	struct pgq_lease_persisted want;
	struct lease_job *j;

	if (d->lease_write_inflight)
		return;
	pgq_lease_persisted_from_state(&d->member, d->boot_id, &want);
	if (pgq_lease_persisted_equal(&want, &d->lease_written))
		return;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return;
	j->d = d;
	j->p = want;
	snprintf(j->dir, sizeof j->dir, "%s", d->rt->cfg->raft.data_dir);
	j->work.data = j;
	if (uv_queue_work(&d->rt->loop, &j->work, lease_write_run, lease_write_done) != 0) {
		free(j);
		return;
	}
	d->lease_write_inflight = true;
}

void ha_lease_restore(struct ha_driver *d)
{
	const char *dir = d->rt->cfg->raft.data_dir;
	struct pgq_lease_persisted p;
	uint64_t now = pgq_now_boottime_ms();
	char *text = NULL, err[256];
	size_t len = 0;
	int rc;

	if (pgq_boot_id(d->boot_id, sizeof d->boot_id) != 0)
		pgq_warning("ha", "cannot read the boot id (/proc/sys/kernel/random/boot_id): no persisted lease will be trusted (S14)");
	rc = pgmgr_file_read(dir, PGQ_LEASE_FILE_NAME, 4096, &text, &len, err, sizeof err);
	if (rc == 1) {
		pgq_info("ha", "no persisted lease yet (S14): a writable PostgreSQL found at start is fenced");
		return;
	}
	if (rc != 0 || pgq_lease_persisted_parse(text, &p, err, sizeof err) != 0) {
		pgq_warning("ha", "ignoring the persisted lease \"%s/%s\": %s", dir, PGQ_LEASE_FILE_NAME,
			    err);
		free(text);
		return;
	}
	free(text);
	d->lease_written = p;
	if (pgq_lease_persisted_restore(&p, d->boot_id, now, &d->member))
		pgq_info("ha", "persisted lease of epoch %llu restored: %llu ms left (S14)",
			 (unsigned long long)p.epoch,
			 (unsigned long long)(p.lease_end_ms - now));
	else if (p.epoch != 0)
		pgq_info("ha", "persisted lease of epoch %llu does not cover now (%s): a writable PostgreSQL will be fenced (S14)",
			 (unsigned long long)p.epoch,
			 strcmp(p.boot_id, d->boot_id) != 0 ? "another boot" : "ended");
}

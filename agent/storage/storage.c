/*
 * storage.c — the storage handle: open and recover a data directory, hand
 * the recovered state to raft_new(), and make each raft_ready durable.
 *
 * Crash ordering is what this file is about. Each multi-step change is
 * ordered so that a crash between any two steps leaves a directory that the
 * next open accepts and that never contradicts what was acknowledged:
 *   - a new term or vote is durable before the snapshot or entries of that
 *     term, and the commit index only after the entries it may cover;
 *   - a new segment's header and directory entry are durable before records
 *     go into it;
 *   - truncation removes whole segments newest first (each removal made
 *     durable) and only then shortens the segment holding the cut, so the log
 *     on disk is always a prefix of what it was;
 *   - compaction writes the snapshot first and removes covered segments
 *     oldest first, so what remains is always a suffix that the snapshot
 *     joins without a gap.
 */
#include "storage_int.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct seg_info {
	raft_index_t first;
	raft_index_t n;          /* records in the segment */
	raft_term_t last_term;   /* term of its last record (0 when empty) */
};

struct pgq_storage {
	char *dir;
	int dirfd;
	int lockfd;

	struct seg_info *segs;   /* oldest first; the last one is active */
	size_t n_segs, cap_segs;
	int active_fd;           /* write descriptor of the last segment, -1 when none */
	uint64_t active_bytes;   /* its size */
	size_t segment_bytes;    /* roll threshold */

	bool has_snap;
	raft_index_t snap_index;
	raft_term_t snap_term;
	char snap_name[FILE_NAME_MAX];

	raft_index_t last_index; /* last entry in the log, or the snapshot index */
	raft_term_t last_term;

	struct raft_hard_state hs_disk; /* what the hard-state file holds */
	bool hs_on_disk;
	struct raft_hard_state hs_pending; /* a newer commit index not yet written */
	bool hs_pending_set;
	unsigned commit_only_skipped;

	bool failed;             /* a write failed: refuse further writes */

	/* What pgq_storage_load() hands out; entries point into scan buffers. */
	struct dir_scan scan;
	struct raft_hard_state loaded_hs;
	struct raft_entry *loaded;
	size_t n_loaded;
	bool released;
};

const char *pgq_storage_strerror(int err)
{
	switch (err) {
	case PGQ_STORAGE_OK: return "ok";
	case PGQ_STORAGE_ERR_IO: return "I/O error";
	case PGQ_STORAGE_ERR_CORRUPT: return "corrupt data";
	case PGQ_STORAGE_ERR_VERSION: return "unknown format version";
	case PGQ_STORAGE_ERR_NOMEM: return "out of memory";
	case PGQ_STORAGE_ERR_INVALID: return "invalid argument";
	case PGQ_STORAGE_ERR_NOT_FOUND: return "not found";
	case PGQ_STORAGE_ERR_EXISTS: return "already exists with other values";
	case PGQ_STORAGE_ERR_LOCKED: return "data directory in use";
	case PGQ_STORAGE_ERR_FAILED: return "storage failed earlier";
	}
	return "unknown error";
}

static int fail(struct pgq_storage *st, int rc)
{
	if (rc == PGQ_STORAGE_ERR_IO || rc == PGQ_STORAGE_ERR_NOMEM)
		st->failed = true;
	return rc;
}

/* ---- segment bookkeeping ---- */

static int segs_push(struct pgq_storage *st, raft_index_t first, raft_index_t n, raft_term_t last_term)
{
	if (st->n_segs == st->cap_segs) {
		size_t ncap = st->cap_segs ? st->cap_segs * 2 : 16;
		struct seg_info *p = realloc(st->segs, ncap * sizeof(*p));
		if (p == NULL)
			return PGQ_STORAGE_ERR_NOMEM;
		st->segs = p;
		st->cap_segs = ncap;
	}
	st->segs[st->n_segs++] = (struct seg_info){first, n, last_term};
	return 0;
}

static void close_active(struct pgq_storage *st)
{
	if (st->active_fd >= 0)
		close(st->active_fd);
	st->active_fd = -1;
	st->active_bytes = 0;
}

static int open_active(struct pgq_storage *st, char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	struct stat sb;

	close_active(st);
	if (st->n_segs == 0)
		return 0;
	segment_name(name, st->segs[st->n_segs - 1].first);
	st->active_fd = openat(st->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (st->active_fd < 0)
		return fsio_error(err, errlen, "could not open segment", st->dir, name);
	if (fstat(st->active_fd, &sb) < 0)
		return fsio_error(err, errlen, "could not stat segment", st->dir, name);
	st->active_bytes = (uint64_t)sb.st_size;
	return 0;
}

/* unlink + directory fsync: each removal is durable before the next step. */
static int remove_durably(struct pgq_storage *st, const char *name, char *err, size_t errlen)
{
	int rc = fsio_unlink(st->dirfd, st->dir, name, err, errlen);
	if (rc == 0)
		rc = fsio_fsync_dir(st->dirfd, st->dir, err, errlen);
	return rc;
}

/*
 * Recompute the last stored index and its term: the newest record, or the
 * snapshot when no record is newer. An empty active segment (created just
 * before a crash) always starts at last + 1, so it does not move the end.
 */
static void refresh_last(struct pgq_storage *st)
{
	st->last_index = st->has_snap ? st->snap_index : 0;
	st->last_term = st->has_snap ? st->snap_term : 0;
	for (size_t i = st->n_segs; i-- > 0;) {
		if (st->segs[i].n == 0)
			continue;
		if (st->segs[i].first + st->segs[i].n - 1 > st->last_index) {
			st->last_index = st->segs[i].first + st->segs[i].n - 1;
			st->last_term = st->segs[i].last_term;
		}
		break;
	}
}

/* ---- open and recovery ---- */

static int make_dir(const char *dir, char *err, size_t errlen)
{
	char *copy, *parent;
	int pfd;

	if (mkdir(dir, 0700) == 0) {
		/* Make the new directory entry itself durable. */
		copy = strdup(dir);
		if (copy == NULL)
			return PGQ_STORAGE_ERR_NOMEM;
		parent = dirname(copy);
		pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0) {
			fsio_fsync(pfd);
			close(pfd);
		}
		free(copy);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "could not create data directory \"%s\": %s", dir, strerror(errno));
	return PGQ_STORAGE_ERR_IO;
}

static int lock_dir(struct pgq_storage *st, char *err, size_t errlen)
{
	st->lockfd = openat(st->dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lockfd < 0)
		return fsio_error(err, errlen, "could not open lock file", st->dir, LOCK_FILE);
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			snprintf(err, errlen, "data directory \"%s\" is in use by another process", st->dir);
			return PGQ_STORAGE_ERR_LOCKED;
		}
		return fsio_error(err, errlen, "could not lock", st->dir, LOCK_FILE);
	}
	return 0;
}

/* Apply what the scan allows: cut a torn tail, drop leftovers. Logs each repair. */
static int repair(struct pgq_storage *st, char *err, size_t errlen)
{
	struct dir_scan *s = &st->scan;
	bool changed = false;
	int rc;

	for (size_t i = 0; i < s->n_tmp; i++) {
		pgq_info(STORAGE_LOG_COMPONENT, "removing leftover temporary file \"%s/%s\"", st->dir,
			 s->tmp_files[i]);
		if ((rc = fsio_unlink(st->dirfd, st->dir, s->tmp_files[i], err, errlen)) != 0)
			return rc;
		changed = true;
	}
	if (s->n_segs > 0 && s->segs[s->n_segs - 1].torn) {
		struct scan_segment *g = &s->segs[s->n_segs - 1];
		pgq_warning(STORAGE_LOG_COMPONENT, "log segment \"%s/%s\": torn tail %s; cutting it", st->dir, g->name,
			    g->problem);
		if (g->remove) {
			if ((rc = fsio_unlink(st->dirfd, st->dir, g->name, err, errlen)) != 0)
				return rc;
		} else {
			int fd = openat(st->dirfd, g->name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				return fsio_error(err, errlen, "could not open segment", st->dir, g->name);
			if (ftruncate(fd, (off_t)g->p.damage_offset) < 0 || fsio_fsync(fd) < 0) {
				fsio_error(err, errlen, "could not cut torn tail of segment", st->dir, g->name);
				close(fd);
				return PGQ_STORAGE_ERR_IO;
			}
			close(fd);
		}
		changed = true;
	}
	if (changed && (rc = fsio_fsync_dir(st->dirfd, st->dir, err, errlen)) != 0)
		return rc;
	if (s->discard_log) {
		pgq_warning(STORAGE_LOG_COMPONENT, "discarding the log in \"%s\": %s", st->dir, s->discard_reason);
		for (size_t i = s->n_segs; i-- > 0;) {
			if (s->segs[i].remove)
				continue;
			if ((rc = remove_durably(st, s->segs[i].name, err, errlen)) != 0)
				return rc;
		}
	}
	for (size_t i = 0; i < s->n_segs && !s->discard_log; i++) {
		if (!s->segs[i].covered)
			continue;
		pgq_info(STORAGE_LOG_COMPONENT, "removing segment \"%s/%s\", covered by the snapshot", st->dir,
			 s->segs[i].name);
		if ((rc = remove_durably(st, s->segs[i].name, err, errlen)) != 0)
			return rc;
	}
	for (size_t i = 0; i + 1 < s->n_snaps; i++) {
		pgq_info(STORAGE_LOG_COMPONENT, "removing superseded snapshot \"%s/%s\"", st->dir,
			 s->snaps[i].name);
		if ((rc = remove_durably(st, s->snaps[i].name, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* Build the in-memory state and the loaded view from the (repaired) scan. */
static int adopt_scan(struct pgq_storage *st, char *err, size_t errlen)
{
	struct dir_scan *s = &st->scan;
	size_t total = 0;
	int rc;

	if (s->has_snap) {
		st->has_snap = true;
		st->snap_index = s->snap.meta.index;
		st->snap_term = s->snap.meta.term;
		snprintf(st->snap_name, sizeof(st->snap_name), "%s", s->snaps[s->n_snaps - 1].name);
	}
	for (size_t i = 0; i < s->n_segs && !s->discard_log; i++) {
		struct scan_segment *g = &s->segs[i];
		if (g->remove || g->covered)
			continue;
		rc = segs_push(st, g->name_first, g->p.n, g->p.n ? g->p.entries[g->p.n - 1].term : 0);
		if (rc != 0)
			return rc;
		total += g->p.n;
	}
	refresh_last(st);
	if ((rc = open_active(st, err, errlen)) != 0)
		return rc;

	st->loaded = calloc(total ? total : 1, sizeof(*st->loaded));
	if (st->loaded == NULL)
		return PGQ_STORAGE_ERR_NOMEM;
	for (size_t i = 0; i < s->n_segs && !s->discard_log; i++) {
		struct scan_segment *g = &s->segs[i];
		if (g->remove || g->covered)
			continue;
		for (size_t k = 0; k < g->p.n; k++)
			if (!st->has_snap || g->p.entries[k].index > st->snap_index)
				st->loaded[st->n_loaded++] = g->p.entries[k];
	}

	st->hs_on_disk = s->hardstate_rc == 0;
	st->hs_disk = s->hs;
	st->loaded_hs = s->hs;
	if (st->loaded_hs.commit > st->last_index) {
		pgq_warning(STORAGE_LOG_COMPONENT,
			    "hard state in \"%s\" says commit %" PRIu64 " but the log ends at %" PRIu64
			    "; using %" PRIu64, st->dir, st->loaded_hs.commit, st->last_index, st->last_index);
		st->loaded_hs.commit = st->last_index;
	}
	if (st->has_snap && st->loaded_hs.commit < st->snap_index)
		st->loaded_hs.commit = st->snap_index; /* a snapshot only holds committed state */
	return 0;
}

int pgq_storage_open(const char *dir, struct pgq_storage **out, char *err, size_t errlen)
{
	struct pgq_storage *st;
	int rc;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "no data directory given");
		return PGQ_STORAGE_ERR_INVALID;
	}
	if ((rc = make_dir(dir, err, errlen)) != 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->dir = strdup(dir)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return PGQ_STORAGE_ERR_NOMEM;
	}
	st->lockfd = st->active_fd = -1;
	st->segment_bytes = PGQ_STORAGE_DEFAULT_SEGMENT_BYTES;
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		snprintf(err, errlen, "could not open data directory \"%s\": %s", dir, strerror(errno));
		rc = PGQ_STORAGE_ERR_IO;
		goto fail;
	}
	if ((rc = lock_dir(st, err, errlen)) != 0)
		goto fail;
	rc = dir_scan_run(st->dirfd, st->dir, &st->scan);
	if (rc != 0) {
		snprintf(err, errlen, "%s", st->scan.err);
		goto fail;
	}
	if ((rc = repair(st, err, errlen)) != 0 || (rc = adopt_scan(st, err, errlen)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	if (rc == PGQ_STORAGE_ERR_NOMEM)
		snprintf(err, errlen, "out of memory opening \"%s\"", dir);
	pgq_storage_close(st);
	return rc;
}

static void flush_pending_commit(struct pgq_storage *st)
{
	uint8_t buf[HARDSTATE_BYTES];
	char err[512];

	if (!st->hs_pending_set || st->failed)
		return;
	hardstate_encode(buf, &st->hs_pending);
	if (fsio_durable_replace(st->dirfd, st->dir, HARDSTATE_FILE, buf, sizeof(buf), err, sizeof(err)) != 0)
		pgq_warning(STORAGE_LOG_COMPONENT, "could not save the commit index at close: %s", err);
	st->hs_pending_set = false;
}

void pgq_storage_close(struct pgq_storage *st)
{
	if (st == NULL)
		return;
	flush_pending_commit(st);
	close_active(st);
	if (st->lockfd >= 0)
		close(st->lockfd); /* releases the flock */
	if (st->dirfd >= 0)
		close(st->dirfd);
	dir_scan_free(&st->scan);
	free(st->loaded);
	free(st->segs);
	free(st->dir);
	free(st);
}

void pgq_storage_set_segment_bytes(struct pgq_storage *st, size_t bytes)
{
	st->segment_bytes = bytes > SEG_HEADER_BYTES ? bytes : SEG_HEADER_BYTES + 1;
}

int pgq_storage_load(struct pgq_storage *st, struct raft_persisted *out)
{
	memset(out, 0, sizeof(*out));
	if (st->released)
		return PGQ_STORAGE_ERR_INVALID;
	out->hard_state = st->loaded_hs;
	out->snapshot = st->scan.has_snap ? &st->scan.snap : NULL;
	out->entries = st->n_loaded ? st->loaded : NULL;
	out->n_entries = st->n_loaded;
	return 0;
}

void pgq_storage_release_loaded(struct pgq_storage *st)
{
	dir_scan_free(&st->scan);
	free(st->loaded);
	st->loaded = NULL;
	st->n_loaded = 0;
	st->released = true;
}

raft_index_t pgq_storage_first_index(const struct pgq_storage *st)
{
	if (st->has_snap)
		return st->snap_index + 1;
	return st->n_segs > 0 ? st->segs[0].first : st->last_index + 1;
}

raft_index_t pgq_storage_last_index(const struct pgq_storage *st)
{
	return st->last_index;
}

size_t pgq_storage_segment_count(const struct pgq_storage *st)
{
	return st->n_segs;
}

/* ---- writing ---- */

static int segment_create(struct pgq_storage *st, raft_index_t first, char *err, size_t errlen)
{
	uint8_t hdr[SEG_HEADER_BYTES];
	char name[FILE_NAME_MAX];
	int fd, rc;

	segment_name(name, first);
	fd = openat(st->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fsio_error(err, errlen, "could not create segment", st->dir, name);
	segment_header_encode(hdr, first);
	if (fsio_write_all(fd, hdr, sizeof(hdr)) < 0 || fsio_fsync(fd) < 0) {
		fsio_error(err, errlen, "could not write segment header", st->dir, name);
		close(fd);
		return PGQ_STORAGE_ERR_IO;
	}
	if ((rc = fsio_fsync_dir(st->dirfd, st->dir, err, errlen)) != 0) {
		close(fd);
		return rc;
	}
	if ((rc = segs_push(st, first, 0, 0)) != 0) {
		close(fd);
		return rc;
	}
	close_active(st);
	st->active_fd = fd;
	st->active_bytes = SEG_HEADER_BYTES;
	return 0;
}

static int write_active(struct pgq_storage *st, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];

	if (len == 0)
		return 0;
	if (fsio_pwrite_all(st->active_fd, buf, len, st->active_bytes) < 0 || fsio_fdatasync(st->active_fd) < 0) {
		segment_name(name, st->segs[st->n_segs - 1].first);
		return fsio_error(err, errlen, "could not write segment", st->dir, name);
	}
	st->active_bytes += len;
	return 0;
}

static int validate_entries(const struct pgq_storage *st, const struct raft_entry *e, size_t n,
			    char *err, size_t errlen)
{
	raft_term_t prev = st->last_term;

	for (size_t i = 0; i < n; i++) {
		if (e[i].index != st->last_index + 1 + i) {
			snprintf(err, errlen, "entry index %" PRIu64 " does not follow the stored log (expected %" PRIu64 ")",
				 e[i].index, st->last_index + 1 + i);
			return PGQ_STORAGE_ERR_INVALID;
		}
		if (e[i].term == 0 || e[i].term < prev) {
			snprintf(err, errlen, "entry %" PRIu64 " has term %" PRIu64 " after term %" PRIu64,
				 e[i].index, e[i].term, prev);
			return PGQ_STORAGE_ERR_INVALID;
		}
		if (e[i].type != RAFT_ENTRY_NORMAL && e[i].type != RAFT_ENTRY_NOOP &&
		    e[i].type != RAFT_ENTRY_CONF) {
			snprintf(err, errlen, "entry %" PRIu64 " has unknown type %u", e[i].index, e[i].type);
			return PGQ_STORAGE_ERR_INVALID;
		}
		if (e[i].len > PGQ_STORAGE_MAX_ENTRY_BYTES || (e[i].len > 0 && e[i].data == NULL)) {
			snprintf(err, errlen, "entry %" PRIu64 " has an invalid length %u", e[i].index, e[i].len);
			return PGQ_STORAGE_ERR_INVALID;
		}
		prev = e[i].term;
	}
	return 0;
}

/*
 * Append entries: one write and one fsync per segment touched. A segment
 * rolls over once it has reached the threshold and holds at least a record.
 */
static int append_entries(struct pgq_storage *st, const struct raft_entry *e, size_t n,
			  char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if ((rc = validate_entries(st, e, n, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct seg_info *cur = st->n_segs ? &st->segs[st->n_segs - 1] : NULL;
		size_t rs = record_size(&e[i]);

		if (cur != NULL && cur->n == 0 && cur->first != e[i].index) {
			snprintf(err, errlen, "empty active segment starts at %" PRIu64 ", not at %" PRIu64,
				 cur->first, e[i].index);
			rc = PGQ_STORAGE_ERR_CORRUPT;
			goto out;
		}
		if (st->active_fd < 0 || (cur->n > 0 && st->active_bytes + len >= st->segment_bytes)) {
			if ((rc = write_active(st, buf, len, err, errlen)) != 0)
				goto out;
			len = 0;
			if ((rc = segment_create(st, e[i].index, err, errlen)) != 0)
				goto out;
			cur = &st->segs[st->n_segs - 1];
		}
		if (len + rs > cap) {
			size_t ncap = (len + rs) * 2;
			uint8_t *p = realloc(buf, ncap);
			if (p == NULL) {
				snprintf(err, errlen, "out of memory appending entries");
				rc = PGQ_STORAGE_ERR_NOMEM;
				goto out;
			}
			buf = p;
			cap = ncap;
		}
		record_encode(buf + len, &e[i]);
		len += rs;
		/* Counted now, durable at the write below; a failure poisons the handle. */
		cur->n++;
		cur->last_term = e[i].term;
		st->last_index = e[i].index;
		st->last_term = e[i].term;
	}
	rc = write_active(st, buf, len, err, errlen);
out:
	free(buf);
	return rc;
}

/* Delete stored entries >= from (Raft's conflicting suffix). */
static int truncate_log(struct pgq_storage *st, raft_index_t from, char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	bool closed = false;
	int rc;

	if (from > st->last_index)
		return 0;
	if (from == 0 || (st->has_snap && from <= st->snap_index)) {
		snprintf(err, errlen, "cannot truncate at index %" PRIu64 ": entries up to %" PRIu64
			 " are in the snapshot", from, st->snap_index);
		return PGQ_STORAGE_ERR_INVALID;
	}
	while (st->n_segs > 0 && st->segs[st->n_segs - 1].first >= from) {
		if (!closed)
			close_active(st);
		closed = true;
		segment_name(name, st->segs[st->n_segs - 1].first);
		if ((rc = remove_durably(st, name, err, errlen)) != 0)
			return rc;
		st->n_segs--;
	}
	if (st->n_segs > 0) {
		struct seg_info *g = &st->segs[st->n_segs - 1];
		if (from <= g->first + g->n - 1) {
			struct seg_parse p;
			uint8_t *buf;
			size_t size;
			raft_index_t keep = from - g->first;

			segment_name(name, g->first);
			rc = fsio_read_file(st->dirfd, st->dir, name, (uint64_t)1 << 31, &buf, &size, err, errlen);
			if (rc != 0)
				return rc;
			if (seg_parse(buf, size, g->first, &p) != 0) {
				free(buf);
				return PGQ_STORAGE_ERR_NOMEM;
			}
			if (p.n < keep + 1) {
				snprintf(err, errlen, "log segment \"%s/%s\" holds %zu records, expected %" PRIu64
					 " (changed under us)", st->dir, name, p.n, g->n);
				seg_parse_free(&p);
				free(buf);
				return PGQ_STORAGE_ERR_CORRUPT;
			}
			uint64_t cut = p.offsets[keep];
			g->last_term = keep > 0 ? p.entries[keep - 1].term : 0;
			g->n = keep;
			seg_parse_free(&p);
			free(buf);
			if (!closed)
				close_active(st);
			closed = true;
			int fd = openat(st->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				return fsio_error(err, errlen, "could not open segment", st->dir, name);
			if (ftruncate(fd, (off_t)cut) < 0 || fsio_fsync(fd) < 0) {
				fsio_error(err, errlen, "could not truncate segment", st->dir, name);
				close(fd);
				return PGQ_STORAGE_ERR_IO;
			}
			close(fd);
		}
	}
	if (closed && (rc = open_active(st, err, errlen)) != 0)
		return rc;
	refresh_last(st);
	if (st->last_index >= from) {
		/* An empty active segment that starts after the cut cannot exist: defensive. */
		snprintf(err, errlen, "truncation at %" PRIu64 " left the log at %" PRIu64, from, st->last_index);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	return 0;
}

/* Write the snapshot file durably and forget older snapshot files. */
static int write_snapshot(struct pgq_storage *st, const struct raft_snapshot_meta *meta,
			  const uint8_t *data, size_t len, char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	uint8_t *buf;
	size_t blen;
	int rc;

	if (meta->index == 0 || meta->config.n > RAFT_MAX_MEMBERS || len > PGQ_STORAGE_MAX_SNAPSHOT_BYTES ||
	    (len > 0 && data == NULL)) {
		snprintf(err, errlen, "invalid snapshot (index %" PRIu64 ", %u members, %zu bytes)",
			 meta->index, meta->config.n, len);
		return PGQ_STORAGE_ERR_INVALID;
	}
	if ((rc = snapfile_encode(meta, data, len, &buf, &blen)) != 0) {
		snprintf(err, errlen, "out of memory encoding a snapshot");
		return rc;
	}
	snapfile_name(name, meta->term, meta->index);
	rc = fsio_durable_replace(st->dirfd, st->dir, name, buf, blen, err, errlen);
	free(buf);
	return rc;
}

static int forget_old_snapshot(struct pgq_storage *st, const struct raft_snapshot_meta *meta,
			       char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	int rc;

	snapfile_name(name, meta->term, meta->index);
	if (st->has_snap && strcmp(st->snap_name, name) != 0 &&
	    (rc = remove_durably(st, st->snap_name, err, errlen)) != 0)
		return rc;
	st->has_snap = true;
	st->snap_index = meta->index;
	st->snap_term = meta->term;
	snprintf(st->snap_name, sizeof(st->snap_name), "%s", name);
	return 0;
}

/* A snapshot from the leader replaces the whole log (etcd semantics). */
static int install_snapshot(struct pgq_storage *st, const struct raft_snapshot *snap,
			    char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	int rc;

	if (st->has_snap && snap->meta.index < st->snap_index) {
		snprintf(err, errlen, "snapshot at %" PRIu64 " is older than the stored one at %" PRIu64,
			 snap->meta.index, st->snap_index);
		return PGQ_STORAGE_ERR_INVALID;
	}
	if ((rc = write_snapshot(st, &snap->meta, snap->data, snap->len, err, errlen)) != 0)
		return rc;
	close_active(st);
	while (st->n_segs > 0) {
		segment_name(name, st->segs[st->n_segs - 1].first);
		if ((rc = remove_durably(st, name, err, errlen)) != 0)
			return rc;
		st->n_segs--;
	}
	if ((rc = forget_old_snapshot(st, &snap->meta, err, errlen)) != 0)
		return rc;
	st->last_index = snap->meta.index;
	st->last_term = snap->meta.term;
	return 0;
}

/*
 * Term and vote are made durable before returning: a vote or an
 * acknowledgement may leave right after. The commit index alone is Raft's
 * volatile state (the leader re-sends it), so a change of commit only is
 * written lazily: every COMMIT_SYNC_INTERVAL changes without the directory
 * fsync (a crash leaves the old or the new file, both valid), with the next
 * term or vote change, and at close. This saves two of the three fsyncs of a
 * typical ready; after a crash the commit index may lag, never lead.
 */
#define COMMIT_SYNC_INTERVAL 64

static int write_hard_state(struct pgq_storage *st, const struct raft_hard_state *hs,
			    bool durable_commit, char *err, size_t errlen)
{
	uint8_t buf[HARDSTATE_BYTES];
	bool commit_only;
	int rc;

	if (st->hs_on_disk && memcmp(hs, &st->hs_disk, sizeof(*hs)) == 0) {
		st->hs_pending_set = false;
		return 0;
	}
	commit_only = st->hs_on_disk && hs->term == st->hs_disk.term && hs->vote == st->hs_disk.vote;
	hardstate_encode(buf, hs);
	if (commit_only && durable_commit) {
		rc = fsio_durable_replace(st->dirfd, st->dir, HARDSTATE_FILE, buf, sizeof(buf), err, errlen);
	} else if (commit_only) {
		st->hs_pending = *hs;
		st->hs_pending_set = true;
		if (++st->commit_only_skipped < COMMIT_SYNC_INTERVAL)
			return 0;
		rc = fsio_replace_lazy(st->dirfd, st->dir, HARDSTATE_FILE, buf, sizeof(buf), err, errlen);
	} else {
		rc = fsio_durable_replace(st->dirfd, st->dir, HARDSTATE_FILE, buf, sizeof(buf), err, errlen);
	}
	if (rc != 0)
		return rc;
	st->hs_disk = *hs;
	st->hs_on_disk = true;
	st->hs_pending_set = false;
	st->commit_only_skipped = 0;
	return 0;
}

/*
 * Review 2026-11-27, R1: the Raft core's configuration takes effect when a
 * CONF entry is applied, and after a restart it is rebuilt by applying up to
 * the stored commit index. A lazily stored commit could therefore restart a
 * node with a configuration older than one it already used: two changes
 * behind the leader, whose majorities need not overlap. So a ready that
 * hands out a committed CONF entry stores its commit index durably before
 * the entry is applied (CONF entries are rare; other readies stay lazy).
 */
static bool commits_conf_entry(const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_committed; i++)
		if (rd->committed[i].type == RAFT_ENTRY_CONF)
			return true;
	return false;
}

int pgq_storage_persist_ready(struct pgq_storage *st, const struct raft_ready *rd,
			      char *err, size_t errlen)
{
	bool durable_commit = commits_conf_entry(rd);
	int rc;

	if (st->failed) {
		snprintf(err, errlen, "storage in \"%s\" failed earlier; restart to recover", st->dir);
		return PGQ_STORAGE_ERR_FAILED;
	}
	/*
	 * A new term or vote goes to disk first, before the snapshot or the
	 * entries of that term, so the directory never holds a log or snapshot
	 * without the hard state that goes with it (the scan refuses that as a
	 * lost file) nor an entry of a term above the stored one. Its commit is
	 * capped at what is already durable; the commit index proper follows
	 * the entries that it may cover.
	 */
	if (rd->has_hard_state && (!st->hs_on_disk || rd->hard_state.term != st->hs_disk.term ||
				   rd->hard_state.vote != st->hs_disk.vote)) {
		struct raft_hard_state early = rd->hard_state;
		if (early.commit > st->last_index)
			early.commit = st->last_index;
		if ((rc = write_hard_state(st, &early, false, err, errlen)) != 0)
			return fail(st, rc);
	} else if (!st->hs_on_disk && (rd->snapshot != NULL || rd->n_entries > 0)) {
		struct raft_hard_state zero = {0, RAFT_NONE, 0};
		if ((rc = write_hard_state(st, &zero, false, err, errlen)) != 0)
			return fail(st, rc);
	}
	if (rd->snapshot != NULL && (rc = install_snapshot(st, rd->snapshot, err, errlen)) != 0)
		return fail(st, rc);
	if (rd->truncate_from != 0 && (rc = truncate_log(st, rd->truncate_from, err, errlen)) != 0)
		return fail(st, rc);
	if (rd->n_entries > 0 && (rc = append_entries(st, rd->entries, rd->n_entries, err, errlen)) != 0)
		return fail(st, rc);
	if (rd->has_hard_state &&
	    (rc = write_hard_state(st, &rd->hard_state, durable_commit, err, errlen)) != 0)
		return fail(st, rc);
	/* A commit index skipped earlier may be the one that covers the entry. */
	if (durable_commit && st->hs_pending_set &&
	    (rc = write_hard_state(st, &st->hs_pending, true, err, errlen)) != 0)
		return fail(st, rc);
	return 0;
}

/*
 * The term of a stored entry, read back from its segment (compaction only:
 * rare, and a wrong term in a snapshot would make the next open take the log
 * for a stale one and discard it). Returns 0 with *term set, or an error.
 */
static int stored_term_at(struct pgq_storage *st, raft_index_t index, raft_term_t *term,
			  char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	struct seg_parse p;
	uint8_t *buf;
	size_t size;
	int rc;

	if (st->has_snap && index == st->snap_index) {
		*term = st->snap_term;
		return 0;
	}
	if (index == st->last_index) {
		*term = st->last_term;
		return 0;
	}
	for (size_t i = st->n_segs; i-- > 0;) {
		const struct seg_info *g = &st->segs[i];
		if (g->n == 0 || index < g->first || index > g->first + g->n - 1)
			continue;
		segment_name(name, g->first);
		rc = fsio_read_file(st->dirfd, st->dir, name, (uint64_t)1 << 31, &buf, &size, err, errlen);
		if (rc != 0)
			return rc;
		if (seg_parse(buf, size, g->first, &p) != 0) {
			free(buf);
			snprintf(err, errlen, "out of memory reading \"%s/%s\"", st->dir, name);
			return PGQ_STORAGE_ERR_NOMEM;
		}
		rc = 0;
		if (p.n > index - g->first)
			*term = p.entries[index - g->first].term;
		else {
			snprintf(err, errlen, "log segment \"%s/%s\" no longer holds index %" PRIu64,
				 st->dir, name, index);
			rc = PGQ_STORAGE_ERR_CORRUPT;
		}
		seg_parse_free(&p);
		free(buf);
		return rc;
	}
	snprintf(err, errlen, "index %" PRIu64 " is not in the stored log", index);
	return PGQ_STORAGE_ERR_INVALID;
}

/*
 * Is there a no-op entry at or below index in the stored log? Used only for
 * the first compaction (no snapshot yet): the Raft core never compacts
 * inside the bootstrap configuration (review 2026-11-27, R2b, snapshot.c),
 * and storage must not keep a snapshot the core refused. The first no-op
 * sits right after the bootstrap entries, in the first segment or so.
 */
static int stored_noop_upto(struct pgq_storage *st, raft_index_t index, bool *found,
			    char *err, size_t errlen)
{
	char name[FILE_NAME_MAX];
	struct seg_parse p;
	uint8_t *buf;
	size_t size;
	int rc;

	*found = false;
	for (size_t i = 0; i < st->n_segs && !*found; i++) {
		const struct seg_info *g = &st->segs[i];
		if (g->n == 0 || g->first > index)
			break;
		segment_name(name, g->first);
		rc = fsio_read_file(st->dirfd, st->dir, name, (uint64_t)1 << 31, &buf, &size, err, errlen);
		if (rc != 0)
			return rc;
		if (seg_parse(buf, size, g->first, &p) != 0) {
			free(buf);
			snprintf(err, errlen, "out of memory reading \"%s/%s\"", st->dir, name);
			return PGQ_STORAGE_ERR_NOMEM;
		}
		for (size_t k = 0; k < p.n && p.entries[k].index <= index; k++)
			if (p.entries[k].type == RAFT_ENTRY_NOOP)
				*found = true;
		seg_parse_free(&p);
		free(buf);
	}
	return 0;
}

int pgq_storage_compact(struct pgq_storage *st, raft_index_t index, raft_term_t term,
			const struct raft_config *config, const uint8_t *data, size_t len,
			char *err, size_t errlen)
{
	struct raft_snapshot_meta meta;
	char name[FILE_NAME_MAX];
	raft_term_t stored;
	int rc;

	if (st->failed) {
		snprintf(err, errlen, "storage in \"%s\" failed earlier; restart to recover", st->dir);
		return PGQ_STORAGE_ERR_FAILED;
	}
	if (index == 0 || index > st->last_index || (st->has_snap && index < st->snap_index) ||
	    config == NULL || config->n > RAFT_MAX_MEMBERS) {
		snprintf(err, errlen, "cannot compact at index %" PRIu64 " term %" PRIu64
			 " (stored log %" PRIu64 "..%" PRIu64 ")", index, term,
			 pgq_storage_first_index(st), st->last_index);
		return PGQ_STORAGE_ERR_INVALID;
	}
	if ((rc = stored_term_at(st, index, &stored, err, errlen)) != 0)
		return rc == PGQ_STORAGE_ERR_NOMEM ? fail(st, rc) : rc;
	if (stored != term) {
		snprintf(err, errlen, "cannot compact at index %" PRIu64 " with term %" PRIu64
			 ": the stored entry has term %" PRIu64, index, term, stored);
		return PGQ_STORAGE_ERR_INVALID;
	}
	if (!st->has_snap) {
		bool noop;

		if ((rc = stored_noop_upto(st, index, &noop, err, errlen)) != 0)
			return rc == PGQ_STORAGE_ERR_NOMEM ? fail(st, rc) : rc;
		if (!noop) {
			snprintf(err, errlen, "cannot compact at index %" PRIu64 ": the log holds no"
				 " no-op up to there (the bootstrap configuration is not complete)", index);
			return PGQ_STORAGE_ERR_INVALID;
		}
	}
	memset(&meta, 0, sizeof(meta));
	meta.index = index;
	meta.term = term;
	meta.config = *config;
	if ((rc = write_snapshot(st, &meta, data, len, err, errlen)) != 0)
		return fail(st, rc);
	/* Oldest first, never the active segment: what remains is a suffix. */
	while (st->n_segs > 1 && st->segs[1].first <= index + 1) {
		segment_name(name, st->segs[0].first);
		if ((rc = remove_durably(st, name, err, errlen)) != 0)
			return fail(st, rc);
		memmove(&st->segs[0], &st->segs[1], (st->n_segs - 1) * sizeof(*st->segs));
		st->n_segs--;
	}
	if ((rc = forget_old_snapshot(st, &meta, err, errlen)) != 0)
		return fail(st, rc);
	return 0;
}

/* ---- identity ---- */

int pgq_storage_read_identity(struct pgq_storage *st, struct pgq_storage_identity *out,
			      char *err, size_t errlen)
{
	char why[256];
	uint8_t *buf;
	size_t len;
	int rc;

	rc = fsio_read_file(st->dirfd, st->dir, IDENTITY_FILE, 4096, &buf, &len, err, errlen);
	if (rc == PGQ_STORAGE_ERR_NOT_FOUND)
		snprintf(err, errlen, "no identity file in \"%s\"", st->dir);
	if (rc != 0)
		return rc;
	rc = identity_decode(buf, len, out, why, sizeof(why));
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "invalid identity file \"%s/%s\": %s", st->dir, IDENTITY_FILE, why);
	return rc;
}

int pgq_storage_write_identity(struct pgq_storage *st, const struct pgq_storage_identity *id,
			       char *err, size_t errlen)
{
	struct pgq_storage_identity cur;
	char why[256];
	uint8_t *buf;
	size_t len;
	int rc;

	if (!identity_valid(id, why, sizeof(why))) {
		snprintf(err, errlen, "invalid identity: %s", why);
		return PGQ_STORAGE_ERR_INVALID;
	}
	rc = pgq_storage_read_identity(st, &cur, err, errlen);
	if (rc == 0) {
		if (strcmp(cur.cluster_id, id->cluster_id) == 0 && strcmp(cur.scope, id->scope) == 0 &&
		    strcmp(cur.member_name, id->member_name) == 0 && cur.member_id == id->member_id)
			return 0;
		snprintf(err, errlen, "data directory \"%s\" already belongs to cluster \"%s\" (scope \"%s\","
			 " member \"%s\" id %" PRIu64 ")", st->dir, cur.cluster_id, cur.scope,
			 cur.member_name, cur.member_id);
		return PGQ_STORAGE_ERR_EXISTS;
	}
	if (rc != PGQ_STORAGE_ERR_NOT_FOUND)
		return rc; /* never overwrite an identity we cannot read */
	if ((rc = identity_encode(id, &buf, &len)) != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	rc = fsio_durable_replace(st->dirfd, st->dir, IDENTITY_FILE, buf, len, err, errlen);
	free(buf);
	return rc;
}

/*
 * scan.c — read and judge a whole data directory without changing it.
 *
 * Shared by pgq_storage_open() (which then repairs what the scan allows:
 * cut a torn tail, remove temporary files and superseded snapshots) and by
 * pgq_storage_check_dir() (which only reports). Keeping one judge means the
 * check command can never disagree with what the agent would do at start.
 *
 * The rule for damage in a log segment: it is a torn tail — the remains of
 * a write that was never acknowledged because its fsync did not return —
 * only when it is in the LAST segment and no checksum-valid record follows
 * it. Anything else is corruption of durable data and stops the open with
 * the file and byte offset (R6: a bad file never crashes the agent and is
 * never silently accepted).
 */
#include "storage_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEGMENT_READ_MAX ((uint64_t)1 << 31)

static void fatal(struct dir_scan *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record the first fatal problem; later ones stay in the per-file problems. */
static void fatal(struct dir_scan *s, int rc, const char *fmt, ...)
{
	va_list ap;

	if (s->rc != 0)
		return;
	s->rc = rc;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct scan_segment *x = a, *y = b;
	return x->name_first < y->name_first ? -1 : x->name_first > y->name_first;
}

static int cmp_snap(const void *a, const void *b)
{
	const struct scan_snapshot *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && strcmp(name + n - m, suffix) == 0;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return PGQ_STORAGE_ERR_NOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int list_dir(int dirfd, struct dir_scan *s)
{
	size_t seg_cap = 0, snap_cap = 0, tmp_cap = 0;
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		fatal(s, PGQ_STORAGE_ERR_IO, "could not list directory \"%s\": %s", s->dir, strerror(errno));
		return s->rc;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		raft_index_t first, index;
		raft_term_t term;

		if (strlen(name) >= FILE_NAME_MAX)
			continue;
		if (segment_name_parse(name, &first)) {
			if (grow((void **)&s->segs, &seg_cap, s->n_segs, sizeof(*s->segs)) != 0)
				goto nomem;
			struct scan_segment *g = &s->segs[s->n_segs++];
			memset(g, 0, sizeof(*g));
			snprintf(g->name, sizeof(g->name), "%s", name);
			g->name_first = first;
		} else if (snapfile_name_parse(name, &term, &index)) {
			if (grow((void **)&s->snaps, &snap_cap, s->n_snaps, sizeof(*s->snaps)) != 0)
				goto nomem;
			struct scan_snapshot *n = &s->snaps[s->n_snaps++];
			snprintf(n->name, sizeof(n->name), "%s", name);
			n->term = term;
			n->index = index;
		} else if (has_suffix(name, TMP_SUFFIX)) {
			if (grow((void **)&s->tmp_files, &tmp_cap, s->n_tmp, sizeof(*s->tmp_files)) != 0)
				goto nomem;
			snprintf(s->tmp_files[s->n_tmp++], FILE_NAME_MAX, "%s", name);
		}
	}
	closedir(d);
	if (s->n_segs > 1)
		qsort(s->segs, s->n_segs, sizeof(*s->segs), cmp_seg);
	if (s->n_snaps > 1)
		qsort(s->snaps, s->n_snaps, sizeof(*s->snaps), cmp_snap);
	return 0;
nomem:
	closedir(d);
	fatal(s, PGQ_STORAGE_ERR_NOMEM, "out of memory listing \"%s\"", s->dir);
	return s->rc;
}

static void scan_small_files(int dirfd, struct dir_scan *s)
{
	char why[256], err[512];
	uint8_t *buf;
	size_t len;
	int rc;

	rc = fsio_read_file(dirfd, s->dir, HARDSTATE_FILE, 4096, &buf, &len, err, sizeof(err));
	if (rc == 0) {
		rc = hardstate_decode(buf, len, &s->hs, why, sizeof(why));
		free(buf);
		if (rc != 0) {
			snprintf(s->hardstate_problem, sizeof(s->hardstate_problem), "%s", why);
			fatal(s, rc, "invalid hard-state file \"%s/%s\": %s", s->dir, HARDSTATE_FILE, why);
		}
	} else if (rc != PGQ_STORAGE_ERR_NOT_FOUND) {
		snprintf(s->hardstate_problem, sizeof(s->hardstate_problem), "%s", err);
		fatal(s, rc, "%s", err);
	}
	s->hardstate_rc = rc;

	rc = fsio_read_file(dirfd, s->dir, IDENTITY_FILE, 4096, &buf, &len, err, sizeof(err));
	if (rc == 0) {
		rc = identity_decode(buf, len, &s->identity, why, sizeof(why));
		free(buf);
		if (rc != 0) {
			snprintf(s->identity_problem, sizeof(s->identity_problem), "%s", why);
			fatal(s, rc, "invalid identity file \"%s/%s\": %s", s->dir, IDENTITY_FILE, why);
		}
	} else if (rc != PGQ_STORAGE_ERR_NOT_FOUND) {
		snprintf(s->identity_problem, sizeof(s->identity_problem), "%s", err);
		fatal(s, rc, "%s", err);
	}
	s->identity_rc = rc;
}

/*
 * The newest snapshot is the one in use. We do not fall back to an older one
 * when it is damaged: compaction deleted the log entries the newest one
 * covers, so an older snapshot would silently lose committed state.
 */
static void scan_snapshot(int dirfd, struct dir_scan *s)
{
	const struct scan_snapshot *n;
	char why[256], err[512];
	size_t len;
	int rc;

	if (s->n_snaps == 0)
		return;
	n = &s->snaps[s->n_snaps - 1];
	rc = fsio_read_file(dirfd, s->dir, n->name, (uint64_t)PGQ_STORAGE_MAX_SNAPSHOT_BYTES + 65536,
			    &s->snap_buf, &len, err, sizeof(err));
	if (rc != 0) {
		snprintf(s->snap_problem, sizeof(s->snap_problem), "%s", err);
		fatal(s, rc, "%s", err);
		return;
	}
	rc = snapfile_decode(s->snap_buf, len, &s->snap, why, sizeof(why));
	if (rc != 0) {
		snprintf(s->snap_problem, sizeof(s->snap_problem), "%s", why);
		fatal(s, rc, "invalid snapshot file \"%s/%s\": %s", s->dir, n->name, why);
		return;
	}
	if (s->snap.meta.index != n->index || s->snap.meta.term != n->term) {
		snprintf(s->snap_problem, sizeof(s->snap_problem), "contents do not match the file name");
		fatal(s, PGQ_STORAGE_ERR_CORRUPT,
		      "invalid snapshot file \"%s/%s\": contents say term %" PRIu64 " index %" PRIu64,
		      s->dir, n->name, s->snap.meta.term, s->snap.meta.index);
		return;
	}
	s->has_snap = true;
}

static void judge_segment(struct dir_scan *s, struct scan_segment *g, bool last)
{
	const struct seg_parse *p = &g->p;
	int rc = p->damage == SEG_DAMAGE_VERSION ? PGQ_STORAGE_ERR_VERSION : PGQ_STORAGE_ERR_CORRUPT;

	if (p->damage == SEG_DAMAGE_NONE)
		return;
	if (last && p->damage == SEG_DAMAGE_SHORT_HEADER) {
		g->torn = g->remove = true;
		snprintf(g->problem, sizeof(g->problem),
			 "at offset 0: %s; the segment was being created", p->damage_reason);
		return;
	}
	if (last && p->damage == SEG_DAMAGE_TORN_RECORD && !p->valid_after) {
		g->torn = true;
		snprintf(g->problem, sizeof(g->problem),
			 "at offset %" PRIu64 ": %s; %zu bytes after the last valid record",
			 p->damage_offset, p->damage_reason, g->size - (size_t)p->damage_offset);
		return;
	}
	g->fatal = true;
	snprintf(g->problem, sizeof(g->problem), "at offset %" PRIu64 ": %s%s", p->damage_offset,
		 p->damage_reason,
		 p->damage == SEG_DAMAGE_TORN_RECORD && p->valid_after ?
		 " (valid records follow, so this is not a torn tail)" :
		 !last ? " (not the last segment, so this is not a torn tail)" : "");
	fatal(s, rc, "log segment \"%s/%s\" %s", s->dir, g->name, g->problem);
}

static void scan_segments(int dirfd, struct dir_scan *s)
{
	char err[512];

	for (size_t i = 0; i < s->n_segs; i++) {
		struct scan_segment *g = &s->segs[i];
		int rc = fsio_read_file(dirfd, s->dir, g->name, SEGMENT_READ_MAX, &g->buf, &g->size,
					err, sizeof(err));
		if (rc != 0) {
			g->fatal = true;
			snprintf(g->problem, sizeof(g->problem), "unreadable: %s", err);
			fatal(s, rc, "%s", err);
			continue;
		}
		if (seg_parse(g->buf, g->size, g->name_first, &g->p) != 0) {
			fatal(s, PGQ_STORAGE_ERR_NOMEM, "out of memory parsing \"%s/%s\"", s->dir, g->name);
			return;
		}
		judge_segment(s, g, i + 1 == s->n_segs);
	}
}

static raft_index_t seg_last(const struct scan_segment *g)
{
	return g->name_first + g->p.n - 1; /* meaningful when p.n > 0 */
}

/* Segments that count: a torn segment creation is about to be removed. */
static size_t live_segments(const struct dir_scan *s)
{
	if (s->n_segs > 0 && s->segs[s->n_segs - 1].remove)
		return s->n_segs - 1;
	return s->n_segs;
}

static void check_contiguity(struct dir_scan *s)
{
	size_t n = live_segments(s);

	for (size_t i = 1; i < n; i++) {
		struct scan_segment *a = &s->segs[i - 1], *b = &s->segs[i];
		raft_index_t expect = a->name_first + a->p.n;

		if (a->fatal || b->fatal)
			continue;
		if (b->name_first > expect) {
			b->fatal = true;
			snprintf(b->problem, sizeof(b->problem),
				 "gap before this segment: entries %" PRIu64 "..%" PRIu64
				 " are missing (a segment file is missing)", expect, b->name_first - 1);
		} else if (b->name_first < expect) {
			b->fatal = true;
			snprintf(b->problem, sizeof(b->problem),
				 "overlaps the previous segment \"%s\", which ends at index %" PRIu64,
				 a->name, expect - 1);
		} else if (a->p.n > 0 && b->p.n > 0 &&
			   b->p.entries[0].term < a->p.entries[a->p.n - 1].term) {
			b->fatal = true;
			snprintf(b->problem, sizeof(b->problem),
				 "first entry has term %" PRIu64 ", lower than term %" PRIu64 " at the end of \"%s\"",
				 b->p.entries[0].term, a->p.entries[a->p.n - 1].term, a->name);
		}
		if (b->fatal)
			fatal(s, PGQ_STORAGE_ERR_CORRUPT, "log segment \"%s/%s\" at offset 0: %s", s->dir,
			      b->name, b->problem);
	}
}

/* The log must continue the snapshot: no gap, same term at the snapshot index. */
static void check_snapshot_vs_log(struct dir_scan *s)
{
	size_t n = live_segments(s);
	raft_index_t S, F, L;
	raft_term_t T;
	size_t total = 0;

	if (n == 0 || s->rc != 0)
		return; /* ranges mean nothing once a segment is known to be damaged */
	for (size_t i = 0; i < n; i++)
		total += s->segs[i].p.n;
	F = s->segs[0].name_first;
	L = F + total - 1; /* contiguous, checked before; meaningful when total > 0 */
	if (!s->has_snap) {
		if (F != 1) {
			s->segs[0].fatal = true;
			snprintf(s->segs[0].problem, sizeof(s->segs[0].problem),
				 "the log starts at index %" PRIu64 " but no snapshot covers 1..%" PRIu64
				 " (a segment or snapshot file is missing)", F, F - 1);
			fatal(s, PGQ_STORAGE_ERR_CORRUPT, "log segment \"%s/%s\" at offset 0: %s", s->dir,
			      s->segs[0].name, s->segs[0].problem);
		}
		return;
	}
	S = s->snap.meta.index;
	T = s->snap.meta.term;
	if (F > S + 1) {
		s->segs[0].fatal = true;
		snprintf(s->segs[0].problem, sizeof(s->segs[0].problem),
			 "the log starts at index %" PRIu64 " but the snapshot ends at %" PRIu64
			 ": entries %" PRIu64 "..%" PRIu64 " are missing", F, S, S + 1, F - 1);
		fatal(s, PGQ_STORAGE_ERR_CORRUPT, "log segment \"%s/%s\" at offset 0: %s", s->dir,
		      s->segs[0].name, s->segs[0].problem);
		return;
	}
	if (F == S + 1)
		return;
	/* F <= S: the log overlaps the snapshot. */
	if (total == 0 || L < S) {
		s->discard_log = true;
		snprintf(s->discard_reason, sizeof(s->discard_reason),
			 "the log ends at index %" PRIu64 ", before the snapshot at %" PRIu64
			 ": the snapshot supersedes it", total ? L : F - 1, S);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct scan_segment *g = &s->segs[i];
		if (g->p.n > 0 && S >= g->name_first && S <= seg_last(g)) {
			raft_term_t t = g->p.entries[S - g->name_first].term;
			if (t != T) {
				/* A crash while installing a snapshot from the leader. */
				s->discard_log = true;
				snprintf(s->discard_reason, sizeof(s->discard_reason),
					 "entry %" PRIu64 " has term %" PRIu64 " but the snapshot says %" PRIu64
					 ": the log was being replaced by the snapshot", S, t, T);
				return;
			}
		}
		/* Whole segments before the snapshot (never the active one) can go. */
		if (i + 1 < n && s->segs[i + 1].name_first <= S + 1)
			g->covered = true;
	}
}

/*
 * The hard state is written before the first entry of its term and before
 * any segment's directory entry is made durable, so a log or a snapshot
 * without a hard-state file means the file was lost: the term and vote this
 * member promised are gone and it could vote twice. Refuse.
 */
static void check_hardstate_present(struct dir_scan *s)
{
	size_t records = 0, n = live_segments(s);

	if (s->hardstate_rc != PGQ_STORAGE_ERR_NOT_FOUND)
		return;
	for (size_t i = 0; i < n; i++)
		records += s->segs[i].p.n;
	if (records == 0 && !s->has_snap)
		return;
	snprintf(s->hardstate_problem, sizeof(s->hardstate_problem),
		 "missing although %s exists: the term and vote this member promised are lost",
		 s->has_snap ? "a snapshot" : "a log");
	fatal(s, PGQ_STORAGE_ERR_CORRUPT,
	      "hard-state file \"%s/%s\" is %s; refusing to start, as the member could vote twice in a term"
	      " (restore the file, or remove the data directory and add the member again)",
	      s->dir, HARDSTATE_FILE, s->hardstate_problem);
}

int dir_scan_run(int dirfd, const char *dir, struct dir_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	if (list_dir(dirfd, s) != 0)
		return s->rc;
	scan_small_files(dirfd, s);
	scan_snapshot(dirfd, s);
	scan_segments(dirfd, s);
	if (s->rc == PGQ_STORAGE_ERR_NOMEM)
		return s->rc;
	check_contiguity(s);
	check_snapshot_vs_log(s);
	check_hardstate_present(s);
	return s->rc;
}

void dir_scan_free(struct dir_scan *s)
{
	for (size_t i = 0; i < s->n_segs; i++) {
		seg_parse_free(&s->segs[i].p);
		free(s->segs[i].buf);
	}
	free(s->segs);
	free(s->snaps);
	free(s->snap_buf);
	free(s->tmp_files);
	memset(s, 0, sizeof(*s));
}

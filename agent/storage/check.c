/*
 * check.c — `pgquorum --check-data-dir DIR`: a read-only report of what the
 * next start would find. It uses the same scan as pgq_storage_open(), so its
 * verdict (clean / torn tail to cut / corrupt) is exactly the agent's.
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void print_identity(const struct dir_scan *s, FILE *out)
{
	if (s->identity_rc == 0)
		fprintf(out, "  %-40s cluster_id=%s scope=%s member=%s id=%" PRIu64 "\n", IDENTITY_FILE,
			s->identity.cluster_id, s->identity.scope, s->identity.member_name,
			s->identity.member_id);
	else if (s->identity_rc == PGQ_STORAGE_ERR_NOT_FOUND)
		fprintf(out, "  %-40s absent (not bootstrapped yet)\n", IDENTITY_FILE);
	else
		fprintf(out, "  %-40s CORRUPT: %s\n", IDENTITY_FILE, s->identity_problem);
}

static void print_hardstate(const struct dir_scan *s, FILE *out)
{
	if (s->hardstate_rc == 0)
		fprintf(out, "  %-40s term=%" PRIu64 " vote=%" PRIu64 " commit=%" PRIu64 "\n", HARDSTATE_FILE,
			s->hs.term, s->hs.vote, s->hs.commit);
	else if (s->hardstate_problem[0] == '\0')
		fprintf(out, "  %-40s absent (term 0, no vote)\n", HARDSTATE_FILE);
	else
		fprintf(out, "  %-40s CORRUPT: %s\n", HARDSTATE_FILE, s->hardstate_problem);
}

static void print_snapshots(const struct dir_scan *s, FILE *out)
{
	for (size_t i = 0; i < s->n_snaps; i++) {
		const struct scan_snapshot *n = &s->snaps[i];
		if (i + 1 < s->n_snaps)
			fprintf(out, "  %-40s superseded (removed at next start)\n", n->name);
		else if (s->has_snap)
			fprintf(out, "  %-40s index=%" PRIu64 " term=%" PRIu64 " members=%u data=%zu bytes\n",
				n->name, s->snap.meta.index, s->snap.meta.term, s->snap.meta.config.n,
				s->snap.len);
		else
			fprintf(out, "  %-40s CORRUPT: %s\n", n->name, s->snap_problem);
	}
}

static void print_segments(const struct dir_scan *s, FILE *out)
{
	for (size_t i = 0; i < s->n_segs; i++) {
		const struct scan_segment *g = &s->segs[i];
		const struct seg_parse *p = &g->p;

		fprintf(out, "  %-40s %zu bytes, %zu record%s", g->name, g->size, p->n, p->n == 1 ? "" : "s");
		if (p->n > 0)
			fprintf(out, ", index %" PRIu64 "..%" PRIu64 ", term %" PRIu64 "..%" PRIu64,
				p->entries[0].index, p->entries[p->n - 1].index, p->entries[0].term,
				p->entries[p->n - 1].term);
		if (g->fatal)
			fprintf(out, ": CORRUPT %s\n", g->problem);
		else if (g->torn)
			fprintf(out, ": TORN TAIL %s (the next start cuts it)\n", g->problem);
		else if (g->covered)
			fprintf(out, ": covered by the snapshot (removed at next start)\n");
		else
			fprintf(out, ": ok\n");
	}
}

int pgq_storage_check_dir(const char *dir, FILE *out)
{
	struct dir_scan s;
	bool torn;
	int dirfd, rc;

	fprintf(out, "data directory \"%s\" (this build reads format version %d)\n", dir,
		PGQ_STORAGE_FORMAT_VERSION);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(out, "result: ERROR could not open \"%s\": %s\n", dir, strerror(errno));
		return 2;
	}
	rc = dir_scan_run(dirfd, dir, &s);
	close(dirfd);
	print_identity(&s, out);
	print_hardstate(&s, out);
	print_snapshots(&s, out);
	print_segments(&s, out);
	for (size_t i = 0; i < s.n_tmp; i++)
		fprintf(out, "  %-40s leftover temporary file (removed at next start)\n", s.tmp_files[i]);
	if (s.discard_log)
		fprintf(out, "  note: the next start discards the log: %s\n", s.discard_reason);

	torn = s.n_segs > 0 && s.segs[s.n_segs - 1].torn;
	if (rc != 0) {
		fprintf(out, "result: CORRUPT (%s): %s\n", pgq_storage_strerror(rc), s.err);
		rc = 2;
	} else if (torn) {
		fprintf(out, "result: TORN TAIL in \"%s\" (the next start cuts it and runs)\n",
			s.segs[s.n_segs - 1].name);
		rc = 1;
	} else {
		fprintf(out, "result: clean\n");
	}
	dir_scan_free(&s);
	return rc;
}

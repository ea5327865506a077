/*
 * test_storage_recovery.c — crafted and damaged data directories.
 *
 * The rule under test (docs/storage.md, "Recovery"): damage at the tail of
 * the last segment is a torn write and is cut (and logged); damage anywhere
 * before the tail, a missing segment, a wrong magic or version, or a bad
 * hard state, identity or snapshot stops the open with an error naming the
 * file and the byte offset. Nothing crashes, nothing is dropped silently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_storage_util.h"
#include "storage/storage_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEG1 "log-00000000000000000001.seg"
#define N_ENTRIES 5

struct fixture {
	char *dir;
	uint8_t *pristine;  /* the single segment as written */
	size_t size;
	long rec_off[N_ENTRIES + 1]; /* start of each record, [N] = end */
	char logpath[600];
};

/* A directory with entries 1..5 in one segment. */
static int setup_one_segment(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pgq_storage *st;
	uint8_t buf[TSU_MAX_DATA];
	struct raft_entry e;

	f->dir = tsu_mkdtemp();
	st = tsu_open(f->dir);
	tsu_append(st, 1, N_ENTRIES, 0, N_ENTRIES);
	pgq_storage_close(st);
	f->pristine = tsu_read(f->dir, SEG1, &f->size);
	f->rec_off[0] = SEG_HEADER_BYTES;
	for (int i = 0; i < N_ENTRIES; i++) {
		tsu_entry(&e, (raft_index_t)i + 1, 0, buf);
		f->rec_off[i + 1] = f->rec_off[i] + (long)record_size(&e);
	}
	assert_int_equal(f->rec_off[N_ENTRIES], (long)f->size);
	snprintf(f->logpath, sizeof(f->logpath), "%s.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->pristine);
	unlink(f->logpath);
	tsu_rmdir(f->dir);
	free(f);
	return 0;
}

static void unlink_in(const char *dir, const char *name)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(unlink(p), 0);
}

static int run_check(const char *dir, char **text)
{
	size_t len;
	FILE *out = open_memstream(text, &len);
	int rc;

	assert_non_null(out);
	rc = pgq_storage_check_dir(dir, out);
	fclose(out);
	return rc;
}

static void restore(struct fixture *f, size_t len)
{
	tsu_write(f->dir, SEG1, f->pristine, len);
}

/* Open must succeed and give exactly entries 1..n. */
static void expect_entries(const char *dir, size_t n)
{
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;

	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, n);
	for (size_t i = 0; i < n; i++)
		assert_true(tsu_entry_matches(&p.entries[i], i + 1, 0));
	assert_int_equal(pgq_storage_last_index(st), n);
	pgq_storage_close(st);
}

/* Open must fail with rc and a message naming `file` and "offset <off>". */
static void expect_error(const char *dir, int rc, const char *file, long off)
{
	char err[1024], needle[64];

	assert_int_equal(tsu_open_fail(dir, err, sizeof(err)), rc);
	if (strstr(err, file) == NULL)
		fail_msg("error does not name %s: %s", file, err);
	if (off >= 0) {
		snprintf(needle, sizeof(needle), "offset %ld", off);
		if (strstr(err, needle) == NULL)
			fail_msg("error does not say '%s': %s", needle, err);
	}
}

static void test_clean_reopen(void **state)
{
	struct fixture *f = *state;

	expect_entries(f->dir, N_ENTRIES);
	assert_int_equal(tsu_file_size(f->dir, SEG1), (long)f->size);
}

/* Every possible torn length of the last record: cut back to the record start. */
static void test_torn_tail_every_offset(void **state)
{
	struct fixture *f = *state;
	long start = f->rec_off[N_ENTRIES - 1];

	for (long len = start + 1; len < (long)f->size; len++) {
		restore(f, (size_t)len);
		tsu_log_capture_start(f->logpath);
		expect_entries(f->dir, N_ENTRIES - 1);
		if (!tsu_log_capture_contains(f->logpath, "torn tail"))
			fail_msg("no torn-tail warning for length %ld", len);
		assert_int_equal(tsu_file_size(f->dir, SEG1), start);
	}
	/* After the cut the log accepts the lost entry again. */
	struct pgq_storage *st = tsu_open(f->dir);
	tsu_append(st, N_ENTRIES, N_ENTRIES, 0, 1);
	pgq_storage_close(st);
	expect_entries(f->dir, N_ENTRIES);
}

/*
 * A flipped bit anywhere in the LAST record is treated as a torn tail: a
 * record whose checksum fails with nothing valid after it cannot be told
 * apart from a write interrupted before its fsync returned, which was never
 * acknowledged; cutting it is what Raft expects (the leader re-sends).
 */
static void test_flipped_bit_in_last_record_is_cut(void **state)
{
	struct fixture *f = *state;
	long start = f->rec_off[N_ENTRIES - 1];

	for (long off = start; off < (long)f->size; off++) {
		restore(f, f->size);
		tsu_flip_bit(f->dir, SEG1, off, (int)(off % 8));
		expect_entries(f->dir, N_ENTRIES - 1);
		assert_int_equal(tsu_file_size(f->dir, SEG1), start);
	}
}

/* A flipped bit in any byte of a middle record: error naming file and record offset. */
static void test_flipped_bit_in_middle_is_error(void **state)
{
	struct fixture *f = *state;

	for (int r = 1; r < N_ENTRIES - 1; r++) {
		for (long off = f->rec_off[r]; off < f->rec_off[r + 1]; off++) {
			restore(f, f->size);
			tsu_flip_bit(f->dir, SEG1, off, (int)(off % 8));
			expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, SEG1, f->rec_off[r]);
			/* Nothing was changed by the failed open. */
			assert_int_equal(tsu_file_size(f->dir, SEG1), (long)f->size);
		}
	}
}

static void test_bad_segment_header(void **state)
{
	struct fixture *f = *state;

	for (long off = 0; off < SEG_HEADER_BYTES; off++) {
		char err[1024];
		int rc;

		restore(f, f->size);
		tsu_flip_bit(f->dir, SEG1, off, 3);
		rc = tsu_open_fail(f->dir, err, sizeof(err));
		assert_true(rc == PGQ_STORAGE_ERR_CORRUPT || rc == PGQ_STORAGE_ERR_VERSION);
		assert_non_null(strstr(err, SEG1));
		assert_non_null(strstr(err, "offset"));
	}
}

static void test_wrong_magic_and_version(void **state)
{
	struct fixture *f = *state;
	uint8_t hdr[SEG_HEADER_BYTES], hs[HARDSTATE_BYTES];
	char err[1024];

	/* Segment magic. */
	restore(f, f->size);
	tsu_flip_bit(f->dir, SEG1, 0, 0);
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, SEG1, 0);

	/* Segment of a future version, with a consistent header checksum. */
	restore(f, f->size);
	memcpy(hdr, f->pristine, sizeof(hdr));
	put_u32(hdr + 8, 2);
	put_u32(hdr + 24, pgq_crc32c(0, hdr, 24));
	{
		uint8_t *copy = malloc(f->size);
		memcpy(copy, f->pristine, f->size);
		memcpy(copy, hdr, sizeof(hdr));
		tsu_write(f->dir, SEG1, copy, f->size);
		free(copy);
	}
	expect_error(f->dir, PGQ_STORAGE_ERR_VERSION, SEG1, 8);
	assert_int_equal(tsu_open_fail(f->dir, err, sizeof(err)), PGQ_STORAGE_ERR_VERSION);
	assert_non_null(strstr(err, "version 2"));
	restore(f, f->size);

	/* Hard state of a future version. */
	struct raft_hard_state h = {.term = 1, .vote = 1, .commit = 1};
	hardstate_encode(hs, &h);
	put_u32(hs + 8, 9);
	put_u32(hs + 40, pgq_crc32c(0, hs, 40));
	tsu_write(f->dir, HARDSTATE_FILE, hs, sizeof(hs));
	expect_error(f->dir, PGQ_STORAGE_ERR_VERSION, HARDSTATE_FILE, 8);

	/* Hard state with a wrong magic. */
	hardstate_encode(hs, &h);
	hs[1] = 'X';
	tsu_write(f->dir, HARDSTATE_FILE, hs, sizeof(hs));
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, HARDSTATE_FILE, 0);

	/* Hard state with a flipped bit. */
	hardstate_encode(hs, &h);
	hs[20] ^= 4;
	tsu_write(f->dir, HARDSTATE_FILE, hs, sizeof(hs));
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, HARDSTATE_FILE, 40);
}

/* An empty last segment (crash right after creating it): removed, log intact. */
static void test_empty_last_segment_removed(void **state)
{
	struct fixture *f = *state;
	char name[FILE_NAME_MAX];

	segment_name(name, N_ENTRIES + 1);
	tsu_write(f->dir, name, NULL, 0);
	tsu_log_capture_start(f->logpath);
	expect_entries(f->dir, N_ENTRIES);
	assert_true(tsu_log_capture_contains(f->logpath, name));
	assert_false(tsu_file_exists(f->dir, name));
}

/* A last segment holding only its header is kept and appending continues into it. */
static void test_header_only_last_segment(void **state)
{
	struct fixture *f = *state;
	uint8_t hdr[SEG_HEADER_BYTES];
	char name[FILE_NAME_MAX];
	struct pgq_storage *st;

	segment_name(name, N_ENTRIES + 1);
	segment_header_encode(hdr, N_ENTRIES + 1);
	tsu_write(f->dir, name, hdr, sizeof(hdr));
	/* Every shorter length is a torn creation: removed. */
	for (size_t len = 1; len < sizeof(hdr); len++) {
		tsu_write(f->dir, name, hdr, len);
		expect_entries(f->dir, N_ENTRIES);
		assert_false(tsu_file_exists(f->dir, name));
	}
	tsu_write(f->dir, name, hdr, sizeof(hdr));
	expect_entries(f->dir, N_ENTRIES);
	assert_true(tsu_file_exists(f->dir, name));
	st = tsu_open(f->dir);
	tsu_append(st, N_ENTRIES + 1, N_ENTRIES + 2, 0, 2);
	pgq_storage_close(st);
	expect_entries(f->dir, N_ENTRIES + 2);
	assert_true(tsu_file_size(f->dir, name) > SEG_HEADER_BYTES);
}

/* An empty hard-state file is an error: reading it as term 0 could vote twice in a term. */
static void test_empty_hardstate_is_error(void **state)
{
	struct fixture *f = *state;
	char err[1024];

	tsu_write(f->dir, HARDSTATE_FILE, NULL, 0);
	assert_int_equal(tsu_open_fail(f->dir, err, sizeof(err)), PGQ_STORAGE_ERR_CORRUPT);
	assert_non_null(strstr(err, HARDSTATE_FILE));
	assert_non_null(strstr(err, "empty"));
}

/*
 * No hard-state file next to a log: the file was lost (it is always written
 * before the first entry), so the promised term and vote are gone: refuse.
 * Without any log or snapshot it is simply a new member.
 */
static void test_missing_hardstate_is_error(void **state)
{
	struct fixture *f = *state;
	char *text;

	unlink_in(f->dir, HARDSTATE_FILE);
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, HARDSTATE_FILE, -1);
	assert_int_equal(run_check(f->dir, &text), 2);
	assert_non_null(strstr(text, "missing although a log exists"));
	free(text);
	unlink_in(f->dir, SEG1);
	expect_entries(f->dir, 0);
}

static void test_empty_identity_is_error(void **state)
{
	struct fixture *f = *state;

	tsu_write(f->dir, IDENTITY_FILE, NULL, 0);
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, IDENTITY_FILE, 0);
}

static void test_identity_version_is_error(void **state)
{
	struct fixture *f = *state;
	struct pgq_storage_identity id = {.cluster_id = "c1", .scope = "s", .member_name = "m", .member_id = 3};
	uint8_t *buf;
	size_t len;

	assert_int_equal(identity_encode(&id, &buf, &len), 0);
	put_u32(buf + 8, 7);
	put_u32(buf + len - 4, pgq_crc32c(0, buf, len - 4));
	tsu_write(f->dir, IDENTITY_FILE, buf, len);
	free(buf);
	expect_error(f->dir, PGQ_STORAGE_ERR_VERSION, IDENTITY_FILE, 8);
}

/* A checksum-valid record with the wrong index is corruption even at the tail. */
static void test_valid_record_wrong_index_is_error(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[TSU_MAX_DATA], rec[256], *all;
	struct raft_entry e;
	size_t n;

	tsu_entry(&e, N_ENTRIES + 3, 0, buf);
	n = record_size(&e);
	record_encode(rec, &e);
	all = malloc(f->size + n);
	memcpy(all, f->pristine, f->size);
	memcpy(all + f->size, rec, n);
	tsu_write(f->dir, SEG1, all, f->size + n);
	free(all);
	expect_error(f->dir, PGQ_STORAGE_ERR_CORRUPT, SEG1, (long)f->size);
}

/* Garbage after the tail that looks like nothing: still a torn tail. */
static void test_zero_filled_tail_is_cut(void **state)
{
	struct fixture *f = *state;
	uint8_t *all = calloc(1, f->size + 4096);

	memcpy(all, f->pristine, f->size);
	tsu_write(f->dir, SEG1, all, f->size + 4096);
	free(all);
	expect_entries(f->dir, N_ENTRIES);
	assert_int_equal(tsu_file_size(f->dir, SEG1), (long)f->size);
}

static void test_leftover_temporary_files_removed(void **state)
{
	struct fixture *f = *state;

	tsu_write(f->dir, "hardstate.tmp", "garbage", 7);
	tsu_write(f->dir, "snapshot-00000000000000000009-00000000000000000099.snap.tmp", "x", 1);
	expect_entries(f->dir, N_ENTRIES);
	assert_int_equal(tsu_count_suffix(f->dir, ".tmp"), 0);
}

static void test_commit_beyond_log_is_clamped(void **state)
{
	struct fixture *f = *state;
	struct raft_hard_state h = {.term = 2, .vote = 1, .commit = 100};
	uint8_t hs[HARDSTATE_BYTES];
	struct raft_persisted p;
	struct pgq_storage *st;

	hardstate_encode(hs, &h);
	tsu_write(f->dir, HARDSTATE_FILE, hs, sizeof(hs));
	tsu_log_capture_start(f->logpath);
	st = tsu_open(f->dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.hard_state.commit, N_ENTRIES);
	assert_int_equal(p.hard_state.term, 2);
	pgq_storage_close(st);
	assert_true(tsu_log_capture_contains(f->logpath, "commit 100"));
}

/*
 * R6 (bad input never crashes an agent or corrupts state), for files:
 * random damage (bit flips, truncation, appended junk) never crashes the
 * open or the check, the check's verdict always predicts the open's, and a
 * successful open only ever returns a prefix of what was written.
 */
static void test_random_damage_never_lies(void **state)
{
	struct fixture *f = *state;
	unsigned seed = 12345;

	for (int round = 0; round < 300; round++) {
		uint8_t *buf = malloc(f->size + 64);
		size_t len = f->size;
		struct pgq_storage *st = NULL;
		char err[1024], *text;
		size_t textlen;
		int flips = 1 + rand_r(&seed) % 3, check_rc, rc;
		FILE *out;

		memcpy(buf, f->pristine, f->size);
		for (int k = 0; k < flips; k++) {
			size_t at = (size_t)rand_r(&seed) % len;
			buf[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		}
		if (rand_r(&seed) % 3 == 0)
			len = (size_t)rand_r(&seed) % (f->size + 1);
		if (rand_r(&seed) % 4 == 0) {
			size_t extra = 1 + (size_t)rand_r(&seed) % 63;
			for (size_t k = 0; k < extra; k++)
				buf[len + k] = (uint8_t)rand_r(&seed);
			len += extra;
		}
		tsu_write(f->dir, SEG1, buf, len);
		free(buf);

		out = open_memstream(&text, &textlen);
		check_rc = pgq_storage_check_dir(f->dir, out);
		fclose(out);
		free(text);
		rc = pgq_storage_open(f->dir, &st, err, sizeof(err));
		assert_true((check_rc == 2) == (rc != 0));
		if (rc == 0) {
			struct raft_persisted p;
			pgq_storage_load(st, &p);
			assert_true(p.n_entries <= N_ENTRIES);
			for (size_t i = 0; i < p.n_entries; i++)
				assert_true(tsu_entry_matches(&p.entries[i], i + 1, 0));
			pgq_storage_close(st);
		} else {
			assert_non_null(strstr(err, SEG1));
		}
	}
}

/* ---- several segments ---- */

struct multi {
	char *dir;
	char names[64][96];
	int n;
};

static int setup_segments(void **state)
{
	struct multi *m = calloc(1, sizeof(*m));
	struct pgq_storage *st;

	m->dir = tsu_mkdtemp();
	st = tsu_open(m->dir);
	pgq_storage_set_segment_bytes(st, 400);
	tsu_append(st, 1, 60, 0, 1);
	pgq_storage_close(st);
	m->n = tsu_segments(m->dir, m->names, 64);
	assert_true(m->n >= 4);
	*state = m;
	return 0;
}

static int teardown_segments(void **state)
{
	struct multi *m = *state;

	tsu_rmdir(m->dir);
	free(m);
	return 0;
}

static void test_missing_middle_segment(void **state)
{
	struct multi *m = *state;
	char err[1024];

	unlink_in(m->dir, m->names[1]);
	assert_int_equal(tsu_open_fail(m->dir, err, sizeof(err)), PGQ_STORAGE_ERR_CORRUPT);
	assert_non_null(strstr(err, m->names[2]));
	assert_non_null(strstr(err, "missing"));
}

static void test_missing_first_segment(void **state)
{
	struct multi *m = *state;
	char err[1024];

	unlink_in(m->dir, m->names[0]);
	assert_int_equal(tsu_open_fail(m->dir, err, sizeof(err)), PGQ_STORAGE_ERR_CORRUPT);
	assert_non_null(strstr(err, m->names[1]));
	assert_non_null(strstr(err, "missing"));
}

/* The tail of a segment that is not the last is durable data: damage there is an error. */
static void test_torn_non_last_segment_is_error(void **state)
{
	struct multi *m = *state;
	long size = tsu_file_size(m->dir, m->names[1]);
	char err[1024];

	tsu_truncate(m->dir, m->names[1], size - 3);
	assert_int_equal(tsu_open_fail(m->dir, err, sizeof(err)), PGQ_STORAGE_ERR_CORRUPT);
	assert_non_null(strstr(err, m->names[1]));
	assert_non_null(strstr(err, "not the last segment"));
}

static void test_empty_middle_segment_is_error(void **state)
{
	struct multi *m = *state;

	tsu_write(m->dir, m->names[1], NULL, 0);
	expect_error(m->dir, PGQ_STORAGE_ERR_CORRUPT, m->names[1], 0);
}

/* A torn tail in the last of several segments, at every length of its last record. */
static void test_torn_tail_last_of_many(void **state)
{
	struct multi *m = *state;
	const char *last = m->names[m->n - 1];
	size_t size;
	uint8_t *orig = tsu_read(m->dir, last, &size);
	raft_index_t first;
	struct pgq_storage *st;
	struct raft_persisted p;

	/* Segments of this fixture hold one record per batch; find the last record's start. */
	assert_true(segment_name_parse(last, &first));
	st = tsu_open(m->dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, 60);
	size_t rec = record_size(&p.entries[59]);
	pgq_storage_close(st);
	for (size_t len = size - rec + 1; len < size; len++) {
		tsu_write(m->dir, last, orig, len);
		expect_entries(m->dir, 59);
		tsu_write(m->dir, last, orig, size);
	}
	free(orig);
}

/* ---- snapshots ---- */

static void write_snapshot_file(const char *dir, raft_index_t index, raft_term_t term)
{
	struct raft_snapshot_meta meta;
	char name[FILE_NAME_MAX];
	const uint8_t data[] = "state";
	uint8_t *buf;
	size_t len;

	memset(&meta, 0, sizeof(meta));
	meta.index = index;
	meta.term = term;
	meta.config.n = 1;
	meta.config.members[0] = (struct raft_member){.id = 1, .voter = true};
	assert_int_equal(snapfile_encode(&meta, data, sizeof(data), &buf, &len), 0);
	snapfile_name(name, term, index);
	tsu_write(dir, name, buf, len);
	free(buf);
}

/* The newest snapshot is garbage: error naming it, no fallback to an older one (its log is gone). */
static void test_garbage_snapshot_is_error(void **state)
{
	struct multi *m = *state;
	struct raft_config conf = {.n = 1, .members = {{.id = 1, .voter = true}}};
	char name[FILE_NAME_MAX], err[512];
	struct pgq_storage *st = tsu_open(m->dir);
	uint8_t junk[300];

	assert_int_equal(pgq_storage_compact(st, 20, tsu_term_for(20), &conf, (const uint8_t *)"abc", 3,
					     err, sizeof(err)), 0);
	pgq_storage_close(st);
	write_snapshot_file(m->dir, 10, tsu_term_for(10)); /* an older, valid one */
	snapfile_name(name, tsu_term_for(20), 20);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 1);
	tsu_write(m->dir, name, junk, sizeof(junk));
	expect_error(m->dir, PGQ_STORAGE_ERR_CORRUPT, name, 0);

	/* Valid framing, one flipped data bit: checksum error with the offset. */
	write_snapshot_file(m->dir, 20, tsu_term_for(20));
	tsu_flip_bit(m->dir, name, 40, 1);
	expect_error(m->dir, PGQ_STORAGE_ERR_CORRUPT, name, tsu_file_size(m->dir, name) - 4);

	/* Empty snapshot file. */
	tsu_write(m->dir, name, NULL, 0);
	expect_error(m->dir, PGQ_STORAGE_ERR_CORRUPT, name, 0);

	/* Restored: the open works and removes the superseded older snapshot. */
	write_snapshot_file(m->dir, 20, tsu_term_for(20));
	st = tsu_open(m->dir);
	pgq_storage_close(st);
	assert_int_equal(tsu_count_suffix(m->dir, ".snap"), 1);
}

static void test_snapshot_version_is_error(void **state)
{
	struct multi *m = *state;
	char name[FILE_NAME_MAX];
	uint8_t *buf;
	size_t len;

	write_snapshot_file(m->dir, 20, tsu_term_for(20));
	snapfile_name(name, tsu_term_for(20), 20);
	buf = tsu_read(m->dir, name, &len);
	put_u32(buf + 8, 2);
	put_u32(buf + len - 4, pgq_crc32c(0, buf, len - 4));
	tsu_write(m->dir, name, buf, len);
	free(buf);
	expect_error(m->dir, PGQ_STORAGE_ERR_VERSION, name, 8);
}

/* Crash while installing a leader's snapshot beyond the log: the log is discarded. */
static void test_snapshot_beyond_log_discards_log(void **state)
{
	struct multi *m = *state;
	struct raft_persisted p;
	struct pgq_storage *st;
	char names[64][96], logpath[600];

	snprintf(logpath, sizeof(logpath), "%s.log", m->dir);
	write_snapshot_file(m->dir, 120, tsu_term_for(120));
	tsu_log_capture_start(logpath);
	st = tsu_open(m->dir);
	pgq_storage_load(st, &p);
	assert_non_null(p.snapshot);
	assert_int_equal(p.snapshot->meta.index, 120);
	assert_int_equal(p.n_entries, 0);
	assert_int_equal(pgq_storage_last_index(st), 120);
	tsu_append(st, 121, 125, 0, 5);
	pgq_storage_close(st);
	assert_true(tsu_log_capture_contains(logpath, "discarding the log"));
	assert_int_equal(tsu_segments(m->dir, names, 64), 1);
	assert_string_equal(names[0], "log-00000000000000000121.seg");
}

/* Same crash, the log covers the snapshot index with another term: discarded too. */
static void test_snapshot_conflicting_term_discards_log(void **state)
{
	struct multi *m = *state;
	struct raft_persisted p;
	struct pgq_storage *st;

	write_snapshot_file(m->dir, 30, 99);
	st = tsu_open(m->dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.snapshot->meta.index, 30);
	assert_int_equal(p.n_entries, 0);
	pgq_storage_close(st);
}

/* Snapshot matching the log: entries after it are kept, covered segments removed. */
static void test_snapshot_matching_log_keeps_suffix(void **state)
{
	struct multi *m = *state;
	struct raft_persisted p;
	struct pgq_storage *st;
	char names[64][96];

	write_snapshot_file(m->dir, 30, tsu_term_for(30));
	st = tsu_open(m->dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, 30);
	assert_true(tsu_entry_matches(&p.entries[0], 31, 0));
	pgq_storage_close(st);
	assert_true(tsu_segments(m->dir, names, 64) < m->n);
}

static void test_gap_between_snapshot_and_log(void **state)
{
	struct multi *m = *state;

	/* Remove the first two segments: the log now starts after index 10 + 1. */
	write_snapshot_file(m->dir, 1, tsu_term_for(1));
	unlink_in(m->dir, m->names[0]);
	unlink_in(m->dir, m->names[1]);
	expect_error(m->dir, PGQ_STORAGE_ERR_CORRUPT, m->names[2], 0);
}

/* ---- check_dir ---- */

static void test_check_dir_reports(void **state)
{
	struct fixture *f = *state;
	char *text, needle[64];
	long start = f->rec_off[N_ENTRIES - 1];

	/* Clean. */
	assert_int_equal(run_check(f->dir, &text), 0);
	assert_non_null(strstr(text, SEG1));
	assert_non_null(strstr(text, "5 records, index 1..5"));
	assert_non_null(strstr(text, "hardstate"));
	assert_non_null(strstr(text, "result: clean"));
	free(text);

	/* Torn tail: reported with its offset, and the check changes nothing. */
	restore(f, f->size - 2);
	assert_int_equal(run_check(f->dir, &text), 1);
	snprintf(needle, sizeof(needle), "TORN TAIL at offset %ld", start);
	assert_non_null(strstr(text, needle));
	assert_non_null(strstr(text, "4 records"));
	assert_non_null(strstr(text, "result: TORN TAIL"));
	free(text);
	assert_int_equal(tsu_file_size(f->dir, SEG1), (long)f->size - 2);

	/* Corruption in the middle: file and offset. */
	restore(f, f->size);
	tsu_flip_bit(f->dir, SEG1, f->rec_off[2] + 15, 0);
	assert_int_equal(run_check(f->dir, &text), 2);
	snprintf(needle, sizeof(needle), "CORRUPT at offset %ld", f->rec_off[2]);
	assert_non_null(strstr(text, needle));
	assert_non_null(strstr(text, "result: CORRUPT"));
	assert_non_null(strstr(text, SEG1));
	free(text);

	/* Corrupt hard state is shown on its own line. */
	restore(f, f->size);
	tsu_write(f->dir, HARDSTATE_FILE, NULL, 0);
	assert_int_equal(run_check(f->dir, &text), 2);
	assert_non_null(strstr(text, "CORRUPT: file is empty"));
	free(text);

	/* A directory that does not exist. */
	assert_int_equal(run_check("/nonexistent/pgq-storage", &text), 2);
	assert_non_null(strstr(text, "ERROR"));
	free(text);
}

static void test_check_dir_missing_segment(void **state)
{
	struct multi *m = *state;
	char *text;

	unlink_in(m->dir, m->names[1]);
	assert_int_equal(run_check(m->dir, &text), 2);
	assert_non_null(strstr(text, "missing"));
	assert_non_null(strstr(text, m->names[2]));
	free(text);
}

int main(void)
{
#define ONE(t) cmocka_unit_test_setup_teardown(t, setup_one_segment, teardown)
#define MANY(t) cmocka_unit_test_setup_teardown(t, setup_segments, teardown_segments)
	const struct CMUnitTest tests[] = {
		ONE(test_clean_reopen),
		ONE(test_torn_tail_every_offset),
		ONE(test_flipped_bit_in_last_record_is_cut),
		ONE(test_flipped_bit_in_middle_is_error),
		ONE(test_bad_segment_header),
		ONE(test_wrong_magic_and_version),
		ONE(test_empty_last_segment_removed),
		ONE(test_header_only_last_segment),
		ONE(test_empty_hardstate_is_error),
		ONE(test_missing_hardstate_is_error),
		ONE(test_empty_identity_is_error),
		ONE(test_identity_version_is_error),
		ONE(test_valid_record_wrong_index_is_error),
		ONE(test_zero_filled_tail_is_cut),
		ONE(test_leftover_temporary_files_removed),
		ONE(test_commit_beyond_log_is_clamped),
		ONE(test_check_dir_reports),
		ONE(test_random_damage_never_lies),
		MANY(test_missing_middle_segment),
		MANY(test_missing_first_segment),
		MANY(test_torn_non_last_segment_is_error),
		MANY(test_empty_middle_segment_is_error),
		MANY(test_torn_tail_last_of_many),
		MANY(test_garbage_snapshot_is_error),
		MANY(test_snapshot_version_is_error),
		MANY(test_snapshot_beyond_log_discards_log),
		MANY(test_snapshot_conflicting_term_discards_log),
		MANY(test_snapshot_matching_log_keeps_suffix),
		MANY(test_gap_between_snapshot_and_log),
		MANY(test_check_dir_missing_segment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

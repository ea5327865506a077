/*
 * test_storage.c — durable storage, the normal paths: append and reload,
 * hard state replacement, segment rollover, truncation, snapshots and
 * compaction, identity, locking, argument validation.
 * (Damaged files are in test_storage_recovery.c.)
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
#include <sys/wait.h>
#include <unistd.h>

/* Reopen dir and check the log is exactly [first, last] with tsu_term_for terms (after an optional snapshot). */
static void expect_log(const char *dir, raft_index_t first, raft_index_t last)
{
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;

	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, last >= first ? last - first + 1 : 0);
	for (size_t i = 0; i < p.n_entries; i++)
		assert_true(tsu_entry_matches(&p.entries[i], first + i, 0));
	assert_int_equal(pgq_storage_last_index(st), last);
	pgq_storage_close(st);
}

static struct raft_ready ready_for(const struct raft_entry *es, size_t n)
{
	struct raft_ready rd;

	memset(&rd, 0, sizeof(rd));
	rd.entries = es;
	rd.n_entries = n;
	return rd;
}

static void test_fresh_directory(void **state)
{
	(void)state;
	char *base = tsu_mkdtemp(), dir[600];
	struct raft_persisted p;
	struct pgq_storage *st;

	/* The data directory does not exist yet: open creates it. */
	snprintf(dir, sizeof(dir), "%s/data", base);
	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.hard_state.term, 0);
	assert_int_equal(p.hard_state.vote, 0);
	assert_int_equal(p.hard_state.commit, 0);
	assert_null(p.snapshot);
	assert_int_equal(p.n_entries, 0);
	assert_int_equal(pgq_storage_first_index(st), 1);
	assert_int_equal(pgq_storage_last_index(st), 0);
	pgq_storage_close(st);
	tsu_rmdir(strdup(dir));
	tsu_rmdir(base);
}

static void test_append_and_reload(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp();
	struct pgq_storage *st = tsu_open(dir);

	tsu_append(st, 1, 10, 0, 1);
	tsu_append(st, 11, 100, 0, 7);
	assert_int_equal(pgq_storage_last_index(st), 100);
	pgq_storage_close(st);
	expect_log(dir, 1, 100);

	/* Appending continues after a reopen, also once the loaded log is released. */
	st = tsu_open(dir);
	struct raft_persisted p;
	assert_int_equal(pgq_storage_load(st, &p), 0);
	assert_int_equal(p.n_entries, 100);
	pgq_storage_release_loaded(st);
	assert_int_equal(pgq_storage_load(st, &p), PGQ_STORAGE_ERR_INVALID);
	assert_int_equal(p.n_entries, 0);
	tsu_append(st, 101, 120, 0, 20);
	pgq_storage_close(st);
	expect_log(dir, 1, 120);
	tsu_rmdir(dir);
}

static void test_hard_state_replace(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), err[512];
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;
	struct raft_ready rd;

	memset(&rd, 0, sizeof(rd));
	rd.has_hard_state = true;
	rd.hard_state = (struct raft_hard_state){.term = 3, .vote = 2, .commit = 0};
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	rd.hard_state = (struct raft_hard_state){.term = 4, .vote = 3, .commit = 0};
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	pgq_storage_close(st);

	assert_int_equal(tsu_file_size(dir, HARDSTATE_FILE), HARDSTATE_BYTES);
	assert_int_equal(tsu_count_suffix(dir, ".tmp"), 0);
	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.hard_state.term, 4);
	assert_int_equal(p.hard_state.vote, 3);
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

static void test_segment_rollover(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[64][96];
	struct pgq_storage *st = tsu_open(dir);
	int n;

	pgq_storage_set_segment_bytes(st, 512);
	tsu_append(st, 1, 200, 0, 3);
	n = tsu_segments(dir, names, 64);
	assert_true(n > 5);
	assert_int_equal((size_t)n, pgq_storage_segment_count(st));
	assert_string_equal(names[0], "log-00000000000000000001.seg");
	/* No segment grows much past the threshold: one batch at most. */
	for (int i = 0; i < n; i++)
		assert_true(tsu_file_size(dir, names[i]) < 512 + 3 * (REC_HEADER_BYTES + REC_FIXED_BYTES + TSU_MAX_DATA));
	pgq_storage_close(st);
	expect_log(dir, 1, 200);

	st = tsu_open(dir);
	pgq_storage_set_segment_bytes(st, 512);
	tsu_append(st, 201, 260, 0, 1);
	pgq_storage_close(st);
	expect_log(dir, 1, 260);
	tsu_rmdir(dir);
}

static void append_with_term(struct pgq_storage *st, raft_index_t first, raft_index_t last,
			     raft_term_t term, raft_index_t truncate_from)
{
	size_t n = last - first + 1;
	struct raft_entry *es = calloc(n, sizeof(*es));
	uint8_t(*bufs)[TSU_MAX_DATA] = calloc(n, TSU_MAX_DATA);
	struct raft_ready rd;
	char err[512];

	for (size_t i = 0; i < n; i++)
		tsu_entry(&es[i], first + i, term, bufs[i]);
	rd = ready_for(es, n);
	rd.truncate_from = truncate_from;
	if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0)
		fail_msg("persist: %s", err);
	free(es);
	free(bufs);
}

static void expect_mixed(const char *dir, raft_index_t cut, raft_index_t last, raft_term_t new_term)
{
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;

	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, last);
	for (size_t i = 0; i < p.n_entries; i++) {
		raft_index_t idx = i + 1;
		assert_true(tsu_entry_matches(&p.entries[i], idx, idx < cut ? 0 : new_term));
	}
	pgq_storage_close(st);
}

static void test_truncate_middle_of_segment(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[8][96];
	struct pgq_storage *st = tsu_open(dir);
	long before;

	tsu_append(st, 1, 50, 0, 50);
	assert_int_equal(tsu_segments(dir, names, 8), 1);
	before = tsu_file_size(dir, names[0]);
	/* Conflicting suffix from 30: replaced by 30..40 of term 100. */
	append_with_term(st, 30, 40, 100, 30);
	assert_int_equal(pgq_storage_last_index(st), 40);
	assert_true(tsu_file_size(dir, names[0]) < before);
	pgq_storage_close(st);
	expect_mixed(dir, 30, 40, 100);

	/* Truncation alone, without new entries. */
	st = tsu_open(dir);
	struct raft_ready rd = ready_for(NULL, 0);
	char err[256];
	rd.truncate_from = 35;
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	assert_int_equal(pgq_storage_last_index(st), 34);
	pgq_storage_close(st);
	expect_mixed(dir, 30, 34, 100);
	tsu_rmdir(dir);
}

static void test_truncate_across_segments(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[64][96];
	struct pgq_storage *st = tsu_open(dir);
	int before, after;

	pgq_storage_set_segment_bytes(st, 400);
	tsu_append(st, 1, 120, 0, 2);
	before = tsu_segments(dir, names, 64);
	assert_true(before > 4);
	append_with_term(st, 25, 30, 100, 25);
	after = tsu_segments(dir, names, 64);
	assert_true(after < before);
	assert_int_equal((size_t)after, pgq_storage_segment_count(st));
	pgq_storage_close(st);
	expect_mixed(dir, 25, 30, 100);
	tsu_rmdir(dir);
}

static void test_truncate_at_segment_boundary(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[64][96];
	struct pgq_storage *st = tsu_open(dir);
	raft_index_t second_first;
	int n;

	pgq_storage_set_segment_bytes(st, 400);
	tsu_append(st, 1, 60, 0, 1);
	n = tsu_segments(dir, names, 64);
	assert_true(n >= 3);
	assert_true(segment_name_parse(names[1], &second_first));
	/* Cut exactly at the first entry of the second segment: it goes whole. */
	append_with_term(st, second_first, second_first + 2, 100, second_first);
	pgq_storage_close(st);
	expect_mixed(dir, second_first, second_first + 2, 100);

	/* Truncate everything back to index 1. */
	st = tsu_open(dir);
	append_with_term(st, 1, 3, 200, 1);
	pgq_storage_close(st);
	assert_int_equal(tsu_segments(dir, names, 64), 1);
	expect_mixed(dir, 1, 3, 200);
	tsu_rmdir(dir);
}

static struct raft_config three_voters(void)
{
	struct raft_config c;

	memset(&c, 0, sizeof(c));
	c.n = 3;
	for (uint32_t i = 0; i < 3; i++)
		c.members[i] = (struct raft_member){.id = i + 1, .voter = i < 2};
	return c;
}

static void test_snapshot_compaction(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[64][96], err[512], snapname[FILE_NAME_MAX];
	struct raft_config conf = three_voters();
	const uint8_t appstate[] = "cluster record at 80";
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;
	raft_index_t first;
	int before, after;

	pgq_storage_set_segment_bytes(st, 400);
	tsu_append(st, 1, 100, 0, 3);
	before = tsu_segments(dir, names, 64);
	assert_int_equal(pgq_storage_compact(st, 80, tsu_term_for(80), &conf, appstate, sizeof(appstate),
					     err, sizeof(err)), 0);
	after = tsu_segments(dir, names, 64);
	assert_true(after < before);
	/* Every remaining segment still holds entries above the snapshot, or is the active one. */
	assert_true(segment_name_parse(names[0], &first));
	assert_true(first <= 81);
	snapfile_name(snapname, tsu_term_for(80), 80);
	assert_true(tsu_file_exists(dir, snapname));
	assert_int_equal(pgq_storage_first_index(st), 81);
	tsu_append(st, 101, 110, 0, 5);
	pgq_storage_close(st);

	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_non_null(p.snapshot);
	assert_int_equal(p.snapshot->meta.index, 80);
	assert_int_equal(p.snapshot->meta.term, tsu_term_for(80));
	assert_int_equal(p.snapshot->meta.config.n, 3);
	assert_true(p.snapshot->meta.config.members[1].voter);
	assert_false(p.snapshot->meta.config.members[2].voter);
	assert_int_equal(p.snapshot->meta.config.members[2].id, 3);
	assert_int_equal(p.snapshot->len, sizeof(appstate));
	assert_memory_equal(p.snapshot->data, appstate, sizeof(appstate));
	assert_int_equal(p.n_entries, 30);
	for (size_t i = 0; i < p.n_entries; i++)
		assert_true(tsu_entry_matches(&p.entries[i], 81 + i, 0));
	assert_true(p.hard_state.commit >= 80);

	/* A second compaction replaces the snapshot file. */
	assert_int_equal(pgq_storage_compact(st, 105, tsu_term_for(105), &conf, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(tsu_count_suffix(dir, ".snap"), 1);
	assert_false(tsu_file_exists(dir, snapname));
	pgq_storage_close(st);

	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.snapshot->meta.index, 105);
	assert_int_equal(p.snapshot->len, 0);
	assert_int_equal(p.n_entries, 5);
	assert_true(tsu_entry_matches(&p.entries[0], 106, 0));
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

static void test_compact_rejects_bad_index(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), err[512];
	struct raft_config conf = three_voters();
	struct pgq_storage *st = tsu_open(dir);

	tsu_append(st, 1, 20, 0, 20);
	assert_int_equal(pgq_storage_compact(st, 21, 3, &conf, NULL, 0, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	assert_int_equal(pgq_storage_compact(st, 0, 1, &conf, NULL, 0, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	assert_int_equal(pgq_storage_compact(st, 20, 99, &conf, NULL, 0, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	/* The term is checked against the stored entry, not only at the last index. */
	assert_int_equal(pgq_storage_compact(st, 7, tsu_term_for(7) + 1, &conf, NULL, 0, err, sizeof(err)),
			 PGQ_STORAGE_ERR_INVALID);
	assert_non_null(strstr(err, "stored entry has term"));
	/*
	 * Review 2026-11-27, R2b: the first snapshot never ends before the first
	 * no-op (index 7 here), i.e. inside the bootstrap configuration, which
	 * the Raft core refuses too (snapshot.c).
	 */
	assert_int_equal(pgq_storage_compact(st, 6, tsu_term_for(6), &conf, NULL, 0, err, sizeof(err)),
			 PGQ_STORAGE_ERR_INVALID);
	assert_non_null(strstr(err, "no no-op"));
	assert_int_equal(pgq_storage_compact(st, 10, tsu_term_for(10), &conf, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(pgq_storage_compact(st, 5, tsu_term_for(5), &conf, NULL, 0, err, sizeof(err)),
			 PGQ_STORAGE_ERR_INVALID);
	/* Truncating into the snapshot is refused too. */
	struct raft_ready rd = ready_for(NULL, 0);
	rd.truncate_from = 10;
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	/* INVALID does not poison the handle. */
	tsu_append(st, 21, 22, 0, 2);
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

static void test_install_snapshot_from_ready(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), names[64][96], err[512];
	struct pgq_storage *st = tsu_open(dir);
	struct raft_snapshot snap;
	struct raft_persisted p;
	struct raft_ready rd;
	uint8_t data[100];

	pgq_storage_set_segment_bytes(st, 400);
	tsu_append(st, 1, 50, 0, 4);
	memset(&snap, 0, sizeof(snap));
	snap.meta.index = 120;
	snap.meta.term = tsu_term_for(120);
	snap.meta.config = three_voters();
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3);
	snap.data = data;
	snap.len = sizeof(data);

	memset(&rd, 0, sizeof(rd));
	rd.snapshot = &snap;
	rd.has_hard_state = true;
	rd.hard_state = (struct raft_hard_state){.term = 13, .vote = 0, .commit = 120};
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	assert_int_equal(tsu_segments(dir, names, 64), 0);
	assert_int_equal(pgq_storage_last_index(st), 120);
	tsu_append(st, 121, 130, 0, 3);
	pgq_storage_close(st);

	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_non_null(p.snapshot);
	assert_int_equal(p.snapshot->meta.index, 120);
	assert_memory_equal(p.snapshot->data, data, sizeof(data));
	assert_int_equal(p.n_entries, 10);
	assert_true(tsu_entry_matches(&p.entries[0], 121, 0));
	assert_true(p.hard_state.commit > 120); /* tsu_append wrote the last hard state */
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

/* A new member whose first ready is a snapshot, or entries without a hard state. */
static void test_first_ready_without_prior_state(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), *dir2 = tsu_mkdtemp(), err[512];
	struct pgq_storage *st = tsu_open(dir);
	struct raft_snapshot snap;
	struct raft_persisted p;
	struct raft_ready rd;
	uint8_t buf[TSU_MAX_DATA];
	struct raft_entry e;

	memset(&snap, 0, sizeof(snap));
	snap.meta.index = 40;
	snap.meta.term = 3;
	snap.meta.config = three_voters();
	memset(&rd, 0, sizeof(rd));
	rd.snapshot = &snap;
	rd.has_hard_state = true;
	rd.hard_state = (struct raft_hard_state){.term = 3, .vote = 0, .commit = 40};
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	pgq_storage_close(st);
	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.snapshot->meta.index, 40);
	assert_int_equal(p.hard_state.term, 3);
	assert_int_equal(p.hard_state.commit, 40);
	pgq_storage_close(st);

	/* Entries with no hard state at all: a zero hard state is written first. */
	st = tsu_open(dir2);
	tsu_entry(&e, 1, 1, buf);
	rd = ready_for(&e, 1);
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	pgq_storage_close(st);
	assert_int_equal(tsu_file_size(dir2, HARDSTATE_FILE), HARDSTATE_BYTES);
	expect_log(dir2, 1, 1);
	tsu_rmdir(dir);
	tsu_rmdir(dir2);
}

/* S15: the cluster identity is fixed at bootstrap and never silently replaced. */
static void test_identity(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), err[512];
	struct pgq_storage_identity id, got;
	struct pgq_storage *st = tsu_open(dir);

	assert_int_equal(pgq_storage_read_identity(st, &got, err, sizeof(err)), PGQ_STORAGE_ERR_NOT_FOUND);
	memset(&id, 0, sizeof(id));
	snprintf(id.cluster_id, sizeof(id.cluster_id), "6f1c2d0e-3a4b-4c5d-8e9f-001122334455");
	snprintf(id.scope, sizeof(id.scope), "prod-main");
	snprintf(id.member_name, sizeof(id.member_name), "db-1");
	id.member_id = 7;
	assert_int_equal(pgq_storage_write_identity(st, &id, err, sizeof(err)), 0);
	/* Same values again: a retried bootstrap is fine. */
	assert_int_equal(pgq_storage_write_identity(st, &id, err, sizeof(err)), 0);
	pgq_storage_close(st);

	st = tsu_open(dir);
	assert_int_equal(pgq_storage_read_identity(st, &got, err, sizeof(err)), 0);
	assert_string_equal(got.cluster_id, id.cluster_id);
	assert_string_equal(got.scope, "prod-main");
	assert_string_equal(got.member_name, "db-1");
	assert_int_equal(got.member_id, 7);
	/* Another cluster's identity is refused and names the current one. */
	struct pgq_storage_identity other = id;
	snprintf(other.cluster_id, sizeof(other.cluster_id), "another");
	assert_int_equal(pgq_storage_write_identity(st, &other, err, sizeof(err)), PGQ_STORAGE_ERR_EXISTS);
	assert_non_null(strstr(err, "6f1c2d0e"));
	/* Invalid identities are refused before touching the disk. */
	other = id;
	other.member_id = 0;
	assert_int_equal(pgq_storage_write_identity(st, &other, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	other = id;
	other.scope[0] = '\0';
	assert_int_equal(pgq_storage_write_identity(st, &other, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

static void test_directory_lock(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), err[512];
	struct pgq_storage *st = tsu_open(dir);

	assert_int_equal(tsu_open_fail(dir, err, sizeof(err)), PGQ_STORAGE_ERR_LOCKED);
	assert_non_null(strstr(err, dir));
	pgq_storage_close(st);
	st = tsu_open(dir); /* released on close */
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

static void test_append_validation(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp(), err[512];
	struct pgq_storage *st = tsu_open(dir);
	uint8_t buf[TSU_MAX_DATA];
	struct raft_entry e;
	struct raft_ready rd;

	tsu_append(st, 1, 5, 0, 5);
	tsu_entry(&e, 7, 0, buf); /* gap */
	rd = ready_for(&e, 1);
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	assert_non_null(strstr(err, "expected 6"));
	tsu_entry(&e, 6, 0, buf); /* term going backwards */
	e.term = 0;
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	tsu_entry(&e, 6, 0, buf);
	e.type = 42;
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), PGQ_STORAGE_ERR_INVALID);
	pgq_storage_close(st);
	expect_log(dir, 1, 5);
	tsu_rmdir(dir);
}

/* Child of test_crash_without_close: persist 200 readies, then die without closing. */
static int crash_child(const char *dir)
{
	struct pgq_storage *st;
	uint8_t buf[TSU_MAX_DATA];
	struct raft_entry e;
	struct raft_ready rd;
	char err[512];

	if (pgq_storage_open(dir, &st, err, sizeof(err)) != 0)
		return 1;
	for (raft_index_t i = 1; i <= 200; i++) {
		tsu_entry(&e, i, 5, buf);
		rd = ready_for(&e, 1);
		rd.has_hard_state = true;
		rd.hard_state = (struct raft_hard_state){.term = 5, .vote = 2, .commit = i};
		if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0)
			return 2;
	}
	return 0; /* no pgq_storage_close(): a crash */
}

/*
 * Killed after persist_ready returned: every entry and the term and vote are
 * on disk; the commit index may lag (written lazily, see storage.c) but never
 * by more than the sync interval, and never leads.
 */
static void test_crash_without_close(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp();
	struct raft_persisted p;
	struct pgq_storage *st;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(crash_child(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, 200);
	for (size_t i = 0; i < 200; i++)
		assert_true(tsu_entry_matches(&p.entries[i], i + 1, 5));
	assert_int_equal(p.hard_state.term, 5);
	assert_int_equal(p.hard_state.vote, 2);
	assert_true(p.hard_state.commit <= 200);
	assert_true(p.hard_state.commit > 200 - 64);
	pgq_storage_close(st);

	/* A clean close saves the latest commit index. */
	st = tsu_open(dir);
	struct raft_ready rd = ready_for(NULL, 0);
	char err[256];
	rd.has_hard_state = true;
	rd.hard_state = (struct raft_hard_state){.term = 5, .vote = 2, .commit = 200};
	assert_int_equal(pgq_storage_persist_ready(st, &rd, err, sizeof(err)), 0);
	pgq_storage_close(st);
	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.hard_state.commit, 200);
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

/*
 * Child: 20 entries with commit-only changes (stored lazily), then a ready
 * that commits a CONF entry at 21; killed without close.
 */
static int crash_after_conf_commit_child(const char *dir)
{
	struct pgq_storage *st;
	uint8_t buf[TSU_MAX_DATA], conf[RAFT_CONF_CHANGE_LEN] = { 2, 0, 0, 0, 0, 0, 0, 0, 4 };
	struct raft_entry e;
	struct raft_ready rd;
	char err[512];

	if (pgq_storage_open(dir, &st, err, sizeof(err)) != 0)
		return 1;
	for (raft_index_t i = 1; i <= 20; i++) {
		tsu_entry(&e, i, 5, buf);
		rd = ready_for(&e, 1);
		rd.has_hard_state = true;
		rd.hard_state = (struct raft_hard_state){.term = 5, .vote = 2, .commit = i};
		if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0)
			return 2;
	}
	e = (struct raft_entry){ 5, 21, RAFT_ENTRY_CONF, RAFT_CONF_CHANGE_LEN, conf };
	rd = ready_for(&e, 1);
	rd.has_hard_state = true;
	rd.hard_state = (struct raft_hard_state){.term = 5, .vote = 2, .commit = 21};
	rd.committed = &e; /* the agent applies it once persist_ready returns */
	rd.n_committed = 1;
	if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0)
		return 3;
	return 0; /* no pgq_storage_close(): a crash */
}

/*
 * Review 2026-11-27, R1: a configuration takes effect when its CONF entry
 * is applied and is rebuilt at restart by applying up to the stored commit,
 * so the commit index of a ready that commits a CONF entry is durable before
 * the entry is applied: a crash never restarts a node with an older
 * configuration than one it used.
 */
static void test_commit_of_conf_entry_is_durable(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp();
	struct raft_persisted p;
	struct pgq_storage *st;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(crash_after_conf_commit_child(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	st = tsu_open(dir);
	pgq_storage_load(st, &p);
	assert_int_equal(p.n_entries, 21);
	assert_int_equal(p.hard_state.commit, 21);
	pgq_storage_close(st);
	tsu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_directory),
		cmocka_unit_test(test_commit_of_conf_entry_is_durable),
		cmocka_unit_test(test_append_and_reload),
		cmocka_unit_test(test_hard_state_replace),
		cmocka_unit_test(test_segment_rollover),
		cmocka_unit_test(test_truncate_middle_of_segment),
		cmocka_unit_test(test_truncate_across_segments),
		cmocka_unit_test(test_truncate_at_segment_boundary),
		cmocka_unit_test(test_snapshot_compaction),
		cmocka_unit_test(test_compact_rejects_bad_index),
		cmocka_unit_test(test_install_snapshot_from_ready),
		cmocka_unit_test(test_first_ready_without_prior_state),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_directory_lock),
		cmocka_unit_test(test_append_validation),
		cmocka_unit_test(test_crash_without_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_storage_util.c — helpers shared by the storage tests (see header).
 * Failures inside helpers fail the calling cmocka test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_storage_util.h"

#include "log.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Scratch space: $PGQ_TEST_TMPDIR, else /dev/shm when usable (fsync is free on
 * tmpfs and these tests check formats and write ordering, not the disk; the
 * bench measures a real disk), else $TMPDIR, else /tmp.
 */
char *tsu_mkdtemp(void)
{
	const char *base = getenv("PGQ_TEST_TMPDIR");
	char path[512];

	if (base == NULL || *base == '\0')
		base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(path, sizeof(path), "%s/pgq-storage-XXXXXX", base);
	assert_non_null(mkdtemp(path));
	return strdup(path);
}

void tsu_rmdir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[1024];

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

raft_term_t tsu_term_for(raft_index_t index)
{
	return 1 + index / 10;
}

void tsu_entry(struct raft_entry *e, raft_index_t index, raft_term_t term, uint8_t *buf)
{
	e->index = index;
	e->term = term ? term : tsu_term_for(index);
	e->type = index % 7 == 0 ? RAFT_ENTRY_NOOP : RAFT_ENTRY_NORMAL;
	e->len = (uint32_t)(index * 13 % TSU_MAX_DATA);
	for (uint32_t j = 0; j < e->len; j++)
		buf[j] = (uint8_t)(index * 31 + j + e->term);
	e->data = e->len ? buf : NULL;
}

bool tsu_entry_matches(const struct raft_entry *e, raft_index_t index, raft_term_t term)
{
	uint8_t buf[TSU_MAX_DATA];
	struct raft_entry want;

	tsu_entry(&want, index, term, buf);
	return e->index == want.index && e->term == want.term && e->type == want.type &&
	       e->len == want.len && (want.len == 0 || memcmp(e->data, want.data, want.len) == 0);
}

void tsu_append(struct pgq_storage *st, raft_index_t first, raft_index_t last, raft_term_t term, size_t batch)
{
	char err[512];

	for (raft_index_t i = first; i <= last;) {
		size_t n = 0;
		struct raft_entry *es = calloc(batch, sizeof(*es));
		uint8_t(*bufs)[TSU_MAX_DATA] = calloc(batch, TSU_MAX_DATA);
		struct raft_ready rd;

		assert_non_null(es);
		assert_non_null(bufs);
		while (n < batch && i <= last) {
			tsu_entry(&es[n], i, term, bufs[n]);
			n++;
			i++;
		}
		memset(&rd, 0, sizeof(rd));
		rd.entries = es;
		rd.n_entries = n;
		rd.has_hard_state = true;
		rd.hard_state.term = es[n - 1].term;
		rd.hard_state.vote = 1;
		rd.hard_state.commit = es[0].index;
		int rc = pgq_storage_persist_ready(st, &rd, err, sizeof(err));
		if (rc != 0)
			fail_msg("persist_ready: %s", err);
		free(es);
		free(bufs);
	}
}

struct pgq_storage *tsu_open(const char *dir)
{
	struct pgq_storage *st = NULL;
	char err[1024];
	int rc = pgq_storage_open(dir, &st, err, sizeof(err));

	if (rc != 0)
		fail_msg("pgq_storage_open(%s): %s (%s)", dir, err, pgq_storage_strerror(rc));
	return st;
}

int tsu_open_fail(const char *dir, char *err, size_t errlen)
{
	struct pgq_storage *st = NULL;
	int rc = pgq_storage_open(dir, &st, err, errlen);

	assert_int_not_equal(rc, 0);
	assert_null(st);
	return rc;
}

static void path_of(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

long tsu_file_size(const char *dir, const char *name)
{
	char p[1024];
	struct stat sb;

	path_of(p, sizeof(p), dir, name);
	if (stat(p, &sb) < 0)
		return -1;
	return (long)sb.st_size;
}

bool tsu_file_exists(const char *dir, const char *name)
{
	return tsu_file_size(dir, name) >= 0;
}

uint8_t *tsu_read(const char *dir, const char *name, size_t *len)
{
	long size = tsu_file_size(dir, name);
	char p[1024];
	uint8_t *buf;
	FILE *f;

	assert_true(size >= 0);
	path_of(p, sizeof(p), dir, name);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

void tsu_write(const char *dir, const char *name, const void *buf, size_t len)
{
	char p[1024];
	FILE *f;

	path_of(p, sizeof(p), dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	if (len > 0)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void tsu_flip_bit(const char *dir, const char *name, long offset, int bit)
{
	size_t len;
	uint8_t *buf = tsu_read(dir, name, &len);

	assert_true(offset >= 0 && (size_t)offset < len);
	buf[offset] ^= (uint8_t)(1u << bit);
	tsu_write(dir, name, buf, len);
	free(buf);
}

void tsu_truncate(const char *dir, const char *name, long len)
{
	char p[1024];

	path_of(p, sizeof(p), dir, name);
	assert_int_equal(truncate(p, len), 0);
}

int tsu_count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t m = strlen(suffix);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l >= m && strcmp(de->d_name + l - m, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int tsu_segments(const char *dir, char names[][96], int cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strncmp(de->d_name, "log-", 4) == 0 && strcmp(de->d_name + l - 4, ".seg") == 0 &&
		    n < cap)
			snprintf(names[n++], 96, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 96, cmp_names);
	return n;
}

void tsu_log_capture_start(const char *path)
{
	char err[256];

	unlink(path);
	assert_int_equal(pgq_log_set_file(path, err, sizeof(err)), 0);
}

bool tsu_log_capture_contains(const char *path, const char *needle)
{
	char buf[16384];
	size_t n = 0;
	FILE *f;

	pgq_log_close();
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	unlink(path);
	return strstr(buf, needle) != NULL;
}

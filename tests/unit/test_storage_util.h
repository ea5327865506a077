/*
 * test_storage_util.h — helpers shared by the storage test programs:
 * scratch directories, deterministic entries, raw file surgery.
 */
#ifndef PGQ_TEST_STORAGE_UTIL_H
#define PGQ_TEST_STORAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

/* A fresh directory under $TMPDIR (or /tmp); free with tsu_rmdir(). */
char *tsu_mkdtemp(void);
/* Remove every file in dir, then dir itself, then free the string. */
void tsu_rmdir(char *dir);

/* The deterministic entry for an index (term derived unless given). */
raft_term_t tsu_term_for(raft_index_t index);
void tsu_entry(struct raft_entry *e, raft_index_t index, raft_term_t term, uint8_t *buf);
#define TSU_MAX_DATA 64
/* Checks data and type of a loaded entry against tsu_entry(); returns true if equal. */
bool tsu_entry_matches(const struct raft_entry *e, raft_index_t index, raft_term_t term);

/* Append [first, last] through persist_ready in batches of `batch`; term from tsu_term_for() unless term != 0. */
void tsu_append(struct pgq_storage *st, raft_index_t first, raft_index_t last, raft_term_t term, size_t batch);
struct pgq_storage *tsu_open(const char *dir);
/* Open, expect failure; returns the error code and copies the message. */
int tsu_open_fail(const char *dir, char *err, size_t errlen);

/* Files. Names are relative to dir. */
long tsu_file_size(const char *dir, const char *name);
bool tsu_file_exists(const char *dir, const char *name);
uint8_t *tsu_read(const char *dir, const char *name, size_t *len);
void tsu_write(const char *dir, const char *name, const void *buf, size_t len);
void tsu_flip_bit(const char *dir, const char *name, long offset, int bit);
void tsu_truncate(const char *dir, const char *name, long len);
/* How many files in dir have the given suffix. */
int tsu_count_suffix(const char *dir, const char *suffix);
/* The segment file names in order (up to cap); returns how many. */
int tsu_segments(const char *dir, char names[][96], int cap);

/* Capture log output into a file so tests can assert what was logged. */
void tsu_log_capture_start(const char *path);
/* Returns true when the captured log contains needle; stops capturing. */
bool tsu_log_capture_contains(const char *path, const char *needle);

#endif

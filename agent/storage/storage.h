/*
 * storage.h — durable Raft storage in raft.data_dir (see docs/storage.md).
 *
 * Owns every file of the data directory: the hard state (term, vote, commit),
 * the log in checksummed segment files, the latest snapshot, and the cluster
 * identity written once at bootstrap. It is the I/O half of the Ready
 * contract in raft.h: pgq_storage_persist_ready() makes a ready durable
 * (fsync included) so that rd.msgs_after_persist may be sent when it returns.
 *
 * Recovery policy (pgq_storage_open): a torn record at the tail of the last
 * segment is logged and cut; any damage before the tail, a missing segment or
 * an unknown format version is an error naming the file and byte offset.
 * Nothing is ever dropped silently and no input file can crash the process.
 *
 * Threads: a handle has no shared global state, so it may be driven from a
 * worker thread (e.g. libuv's pool), but by one thread at a time.
 * After an I/O error while writing, the handle refuses further writes
 * (PGQ_STORAGE_ERR_FAILED): a failed fsync cannot be retried safely, so the
 * agent must exit and let the next start recover from what is on disk.
 */
#ifndef PGQ_STORAGE_H
#define PGQ_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "raft/raft.h"

#define PGQ_STORAGE_FORMAT_VERSION 1

/* Largest entry payload accepted on write and on read (bytes). */
#define PGQ_STORAGE_MAX_ENTRY_BYTES (64u * 1024u * 1024u)
/* Largest snapshot data accepted (bytes). */
#define PGQ_STORAGE_MAX_SNAPSHOT_BYTES (1024u * 1024u * 1024u)
/* A new segment starts once the active one reaches this size. */
#define PGQ_STORAGE_DEFAULT_SEGMENT_BYTES (8u * 1024u * 1024u)

enum pgq_storage_err {
	PGQ_STORAGE_OK = 0,
	PGQ_STORAGE_ERR_IO = -1,        /* a system call failed; errno text in err */
	PGQ_STORAGE_ERR_CORRUPT = -2,   /* damaged or inconsistent file: err names file and offset */
	PGQ_STORAGE_ERR_VERSION = -3,   /* on-disk format version this build does not know */
	PGQ_STORAGE_ERR_NOMEM = -4,
	PGQ_STORAGE_ERR_INVALID = -5,   /* bad argument (e.g. entries not contiguous with the log) */
	PGQ_STORAGE_ERR_NOT_FOUND = -6, /* e.g. no identity written yet */
	PGQ_STORAGE_ERR_EXISTS = -7,    /* identity already written with other values */
	PGQ_STORAGE_ERR_LOCKED = -8,    /* another process holds the data directory */
	PGQ_STORAGE_ERR_FAILED = -9,    /* an earlier write failed: handle refuses writes */
};
const char *pgq_storage_strerror(int err);

/* The cluster identity, fixed at bootstrap (S15). Strings are NUL-terminated. */
#define PGQ_STORAGE_NAME_MAX 127
struct pgq_storage_identity {
	char cluster_id[PGQ_STORAGE_NAME_MAX + 1];
	char scope[PGQ_STORAGE_NAME_MAX + 1];
	char member_name[PGQ_STORAGE_NAME_MAX + 1];
	raft_id_t member_id;
};

struct pgq_storage;

/*
 * Open (creating it if missing, mode 0700) and recover the data directory:
 * takes an exclusive lock on DIR/lock, validates every file, cuts a torn tail,
 * removes leftover temporary files and superseded snapshots. On success
 * *out is owned by the caller and released with pgq_storage_close().
 * On failure returns an error code with a message in err (file and offset for
 * corruption) and *out is NULL.
 */
int pgq_storage_open(const char *dir, struct pgq_storage **out, char *err, size_t errlen);
void pgq_storage_close(struct pgq_storage *st);

/* Roll to a new segment once the active one reaches `bytes` (tests use tiny values). */
void pgq_storage_set_segment_bytes(struct pgq_storage *st, size_t bytes);

/*
 * What was on disk when the handle was opened, in the shape raft_new() takes.
 * Everything *out points to is owned by st and valid until pgq_storage_close();
 * raft_new() copies it, so the caller needs nothing else. Returns 0, or
 * PGQ_STORAGE_ERR_INVALID after pgq_storage_release_loaded().
 */
int pgq_storage_load(struct pgq_storage *st, struct raft_persisted *out);
/*
 * Free what pgq_storage_load() returned (the log read at open) once
 * raft_new() has copied it; close does it too. A later load returns
 * PGQ_STORAGE_ERR_INVALID. Writing is unaffected.
 */
void pgq_storage_release_loaded(struct pgq_storage *st);

/*
 * Make one ready durable: a changed term/vote first, then rd->snapshot (the
 * log is replaced by it), rd->truncate_from, rd->entries, then the commit
 * index (lazily: it may lag after a crash, never lead; see docs/storage.md).
 * Returns 0 only when term, vote, snapshot and entries are on stable
 * storage: only then may rd->msgs_after_persist be sent. The caller keeps
 * ownership of rd. Errors: _INVALID (entries not contiguous, truncation into
 * the snapshot; the handle stays usable), _IO/_NOMEM (the handle then
 * refuses writes: _FAILED).
 */
int pgq_storage_persist_ready(struct pgq_storage *st, const struct raft_ready *rd,
			      char *err, size_t errlen);

/*
 * Log compaction: the application state at `index` (with `term` and the
 * configuration as of index) is saved as the snapshot (data is copied to disk,
 * caller keeps ownership), older snapshots are removed and log segments whose
 * entries are all <= index are deleted. index must be within the stored log
 * (or equal to the current snapshot's index).
 */
int pgq_storage_compact(struct pgq_storage *st, raft_index_t index, raft_term_t term,
			const struct raft_config *config, const uint8_t *data, size_t len,
			char *err, size_t errlen);

/*
 * The cluster identity. write: durable, once; writing the same values again
 * is a no-op (a bootstrap retried after a crash), other values give
 * PGQ_STORAGE_ERR_EXISTS. read: PGQ_STORAGE_ERR_NOT_FOUND when none yet.
 */
int pgq_storage_write_identity(struct pgq_storage *st, const struct pgq_storage_identity *id,
			       char *err, size_t errlen);
int pgq_storage_read_identity(struct pgq_storage *st, struct pgq_storage_identity *out,
			      char *err, size_t errlen);

/* Introspection (status, metrics, tests). */
raft_index_t pgq_storage_first_index(const struct pgq_storage *st); /* first stored entry; last+1 when none */
raft_index_t pgq_storage_last_index(const struct pgq_storage *st);  /* last stored entry, or snapshot index */
size_t pgq_storage_segment_count(const struct pgq_storage *st);

/*
 * `pgquorum --check-data-dir DIR`: read-only inspection (takes no lock,
 * changes nothing, safe on a live directory). Prints every file with its
 * record count, index range and findings, then a summary line, to `out`.
 * Returns 0 when clean, 1 when only a torn tail was found (the next open
 * would cut it), 2 when the directory is corrupt or unreadable (the next open
 * would refuse to start).
 */
int pgq_storage_check_dir(const char *dir, FILE *out);

#endif /* PGQ_STORAGE_H */

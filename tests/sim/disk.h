/*
 * disk.h — one node's simulated stable storage.
 *
 * The disk holds only what was made durable: hard state, the latest snapshot
 * and the entries after it. A ready's writes are first a disk_write (a deep
 * copy, "in the page cache"); they reach the disk when the simulated fsync
 * completes. A crash before that loses them, or keeps a prefix (a torn write
 * whose tail the storage cut on restart) in the order real storage writes:
 * term and vote, snapshot, truncation, entries, and the commit index last.
 */
#ifndef PGQ_SIM_DISK_H
#define PGQ_SIM_DISK_H

#include <stdbool.h>
#include <stddef.h>

#include "raft/raft.h"

struct simdisk {
	struct raft_hard_state hs;
	bool has_snapshot;
	struct raft_snapshot snap;   /* data owned by the disk */
	struct raft_entry *entries;  /* contiguous, after snap.meta.index; owned */
	size_t n, cap;
};

/* What one ready asked to persist (deep copy, owned by the write). */
struct disk_write {
	bool has_hs;
	struct raft_hard_state hs;
	bool has_snapshot;
	struct raft_snapshot snap;
	raft_index_t truncate_from;
	struct raft_entry *entries;
	size_t n_entries;
};

void disk_init(struct simdisk *d);
void disk_free(struct simdisk *d);
raft_index_t disk_last_index(const struct simdisk *d);

/* Copies a ready's persistence part; false on OOM. */
bool disk_write_from_ready(struct disk_write *w, const struct raft_ready *rd);
void disk_write_free(struct disk_write *w);

/*
 * Makes w durable. keep_entries < w->n_entries (or full == false) models a
 * torn write: term/vote, snapshot, truncation and the first keep_entries
 * entries reach the disk, the commit index does not. Returns false and
 * describes the problem in err when the write contradicts the log already
 * stored (a gap, an overlap without truncate_from, a committed entry cut).
 */
bool disk_persist(struct simdisk *d, const struct disk_write *w, size_t keep_entries,
		  bool full, char *err, size_t errlen);

/* The application compacted: store its snapshot and drop covered entries. */
bool disk_compact(struct simdisk *d, const struct raft_snapshot_meta *meta,
		  const uint8_t *data, size_t len);

/* A view of the disk for raft_new(); valid until the disk changes. */
void disk_persisted(const struct simdisk *d, struct raft_persisted *out);

#endif /* PGQ_SIM_DISK_H */

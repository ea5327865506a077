/*
 * msgcopy.h — deep copies of Raft core values. The core owns what a ready
 * points to only until raft_advance(); the simulated network and disk keep
 * their own copies, and free them with these helpers.
 */
#ifndef PGQ_SIM_MSGCOPY_H
#define PGQ_SIM_MSGCOPY_H

#include <stdbool.h>
#include <stddef.h>

#include "raft/raft.h"

/* Heap copy of m (entries and snapshot data included); NULL on OOM. */
struct raft_msg *msgcopy_dup(const struct raft_msg *m);
/* Frees a copy made by msgcopy_dup (NULL is fine). */
void msgcopy_free(struct raft_msg *m);
/* Copies n entries into a new array (each data buffer copied); false on OOM. */
bool entries_dup(const struct raft_entry *src, size_t n, struct raft_entry **out);
void entries_free(struct raft_entry *e, size_t n);
/* Deep-copies a snapshot into *dst (dst->data newly allocated); false on OOM. */
bool snapshot_copy(struct raft_snapshot *dst, const struct raft_snapshot *src);
/* Frees dst->data and zeroes *dst. */
void snapshot_clear(struct raft_snapshot *dst);
/* Deep-copies a message into caller storage (not a heap object); false on OOM. */
bool msg_copy_into(struct raft_msg *dst, const struct raft_msg *src);
/* Frees what msg_copy_into allocated inside *m. */
void msg_release(struct raft_msg *m);

#endif /* PGQ_SIM_MSGCOPY_H */

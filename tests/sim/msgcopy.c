/*
 * msgcopy.c — deep copies of messages, entries and snapshots. Every copy has
 * exactly one owner (a queued event, the disk, a pending write).
 */
#include "msgcopy.h"

#include <stdlib.h>
#include <string.h>

bool entries_dup(const struct raft_entry *src, size_t n, struct raft_entry **out)
{
	*out = NULL;
	if (n == 0)
		return true;
	struct raft_entry *e = calloc(n, sizeof(*e));

	if (!e)
		return false;
	for (size_t i = 0; i < n; i++) {
		e[i] = src[i];
		e[i].data = NULL;
		if (src[i].len > 0) {
			e[i].data = malloc(src[i].len);
			if (!e[i].data) {
				entries_free(e, i);
				return false;
			}
			memcpy(e[i].data, src[i].data, src[i].len);
		}
	}
	*out = e;
	return true;
}

void entries_free(struct raft_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		free(e[i].data);
	free(e);
}

bool snapshot_copy(struct raft_snapshot *dst, const struct raft_snapshot *src)
{
	dst->meta = src->meta;
	dst->len = src->len;
	dst->data = NULL;
	if (src->len > 0) {
		dst->data = malloc(src->len);
		if (!dst->data)
			return false;
		memcpy(dst->data, src->data, src->len);
	}
	return true;
}

void snapshot_clear(struct raft_snapshot *dst)
{
	free(dst->data);
	memset(dst, 0, sizeof(*dst));
}

bool msg_copy_into(struct raft_msg *dst, const struct raft_msg *src)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot.data = NULL;
	if (!entries_dup(src->entries, src->n_entries, &dst->entries))
		return false;
	if (src->snapshot.data && !snapshot_copy(&dst->snapshot, &src->snapshot)) {
		entries_free(dst->entries, dst->n_entries);
		dst->entries = NULL;
		return false;
	}
	return true;
}

void msg_release(struct raft_msg *m)
{
	entries_free(m->entries, m->n_entries);
	free(m->snapshot.data);
	m->entries = NULL;
	m->snapshot.data = NULL;
}

struct raft_msg *msgcopy_dup(const struct raft_msg *m)
{
	struct raft_msg *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	if (!msg_copy_into(c, m)) {
		free(c);
		return NULL;
	}
	return c;
}

void msgcopy_free(struct raft_msg *m)
{
	if (!m)
		return;
	msg_release(m);
	free(m);
}

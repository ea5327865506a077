/*
 * disk.c — the simulated disk. It enforces the storage contract a ready
 * implies: entries are contiguous, an overwrite is always announced by
 * truncate_from, and nothing at or below the durable commit index is ever cut
 * (a Raft node never discards a committed entry).
 */
#include "disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgcopy.h"

void disk_init(struct simdisk *d)
{
	memset(d, 0, sizeof(*d));
}

void disk_free(struct simdisk *d)
{
	entries_free(d->entries, d->n);
	snapshot_clear(&d->snap);
	disk_init(d);
}

raft_index_t disk_last_index(const struct simdisk *d)
{
	if (d->n > 0)
		return d->entries[d->n - 1].index;
	return d->has_snapshot ? d->snap.meta.index : 0;
}

static raft_index_t disk_first_index(const struct simdisk *d)
{
	return (d->has_snapshot ? d->snap.meta.index : 0) + 1;
}

bool disk_write_from_ready(struct disk_write *w, const struct raft_ready *rd)
{
	memset(w, 0, sizeof(*w));
	w->has_hs = rd->has_hard_state;
	w->hs = rd->hard_state;
	w->truncate_from = rd->truncate_from;
	if (rd->snapshot) {
		if (!snapshot_copy(&w->snap, rd->snapshot))
			return false;
		w->has_snapshot = true;
	}
	if (!entries_dup(rd->entries, rd->n_entries, &w->entries)) {
		snapshot_clear(&w->snap);
		return false;
	}
	w->n_entries = rd->n_entries;
	return true;
}

void disk_write_free(struct disk_write *w)
{
	snapshot_clear(&w->snap);
	entries_free(w->entries, w->n_entries);
	memset(w, 0, sizeof(*w));
}

/* Drops stored entries with index >= from (from > snapshot index). */
static void cut_from(struct simdisk *d, raft_index_t from)
{
	raft_index_t first = disk_first_index(d);
	size_t keep = from <= first ? 0 : (size_t)(from - first);

	if (keep >= d->n)
		return;
	for (size_t i = keep; i < d->n; i++)
		free(d->entries[i].data);
	d->n = keep;
}

/*
 * A snapshot from a leader replaces the stored log (docs/raft.md); one the
 * application took (compaction) only drops the entries it covers.
 */
static bool install_snapshot(struct simdisk *d, const struct raft_snapshot *s, bool replace_log)
{
	struct raft_snapshot copy;

	if (!snapshot_copy(&copy, s))
		return false;
	/* Keep the entries after the snapshot only if the log agrees at its index. */
	raft_index_t first = disk_first_index(d);
	bool agrees = false;

	if (!replace_log && s->meta.index >= first && s->meta.index <= disk_last_index(d))
		agrees = d->entries[s->meta.index - first].term == s->meta.term;
	size_t drop = 0;

	if (agrees)
		drop = (size_t)(s->meta.index - first + 1);
	else
		drop = d->n;
	for (size_t i = 0; i < drop; i++)
		free(d->entries[i].data);
	if (d->n > drop)
		memmove(d->entries, d->entries + drop, (d->n - drop) * sizeof(*d->entries));
	d->n -= drop;
	snapshot_clear(&d->snap);
	d->snap = copy;
	d->has_snapshot = true;
	return true;
}

static bool append_one(struct simdisk *d, const struct raft_entry *e)
{
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 64;
		struct raft_entry *ne = realloc(d->entries, ncap * sizeof(*ne));

		if (!ne)
			return false;
		d->entries = ne;
		d->cap = ncap;
	}
	struct raft_entry c = *e;

	c.data = NULL;
	if (e->len > 0) {
		c.data = malloc(e->len);
		if (!c.data)
			return false;
		memcpy(c.data, e->data, e->len);
	}
	d->entries[d->n++] = c;
	return true;
}

bool disk_persist(struct simdisk *d, const struct disk_write *w, size_t keep_entries,
		  bool full, char *err, size_t errlen)
{
	if (keep_entries > w->n_entries)
		keep_entries = w->n_entries;
	if (keep_entries < w->n_entries)
		full = false;
	if (w->has_hs) {
		/* Term and vote go first: more durable than needed is always safe. */
		d->hs.term = w->hs.term;
		d->hs.vote = w->hs.vote;
	}
	if (w->has_snapshot && !install_snapshot(d, &w->snap, true)) {
		snprintf(err, errlen, "out of memory installing a snapshot");
		return false;
	}
	if (w->truncate_from != 0) {
		if (w->truncate_from <= d->hs.commit) {
			snprintf(err, errlen,
				 "storage asked to truncate from index %llu at or below the durable commit index %llu",
				 (unsigned long long)w->truncate_from, (unsigned long long)d->hs.commit);
			return false;
		}
		if (w->truncate_from > disk_first_index(d) - 1)
			cut_from(d, w->truncate_from);
	}
	for (size_t i = 0; i < keep_entries; i++) {
		const struct raft_entry *e = &w->entries[i];
		raft_index_t last = disk_last_index(d);

		if (e->index <= disk_first_index(d) - 1)
			continue; /* already covered by the snapshot */
		if (e->index != last + 1) {
			snprintf(err, errlen,
				 "ready entry %llu does not follow the stored log (last %llu, truncate_from %llu)",
				 (unsigned long long)e->index, (unsigned long long)last,
				 (unsigned long long)w->truncate_from);
			return false;
		}
		if (!append_one(d, e)) {
			snprintf(err, errlen, "out of memory appending to the disk");
			return false;
		}
	}
	if (full && w->has_hs)
		d->hs.commit = w->hs.commit;
	return true;
}

bool disk_compact(struct simdisk *d, const struct raft_snapshot_meta *meta,
		  const uint8_t *data, size_t len)
{
	struct raft_snapshot s = { *meta, len, (uint8_t *)data };

	if (d->has_snapshot && meta->index <= d->snap.meta.index)
		return true; /* an older snapshot adds nothing */
	return install_snapshot(d, &s, false);
}

void disk_persisted(const struct simdisk *d, struct raft_persisted *out)
{
	out->hard_state = d->hs;
	out->snapshot = d->has_snapshot ? &d->snap : NULL;
	out->entries = d->entries;
	out->n_entries = d->n;
}

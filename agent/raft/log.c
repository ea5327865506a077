/*
 * log.c — the in-memory Raft log.
 *
 * The log holds the entries after the latest snapshot point (offset) in one
 * contiguous array, so a ready can hand out a pointer to a run of entries
 * without copying them. Compaction advances a start cursor and only moves
 * memory once the dead prefix is larger than the live part (amortised O(1)
 * per entry). `stable` splits what the caller has persisted from what still
 * has to go out in a ready; a truncation below `stable` is remembered in
 * `truncate_from` so storage deletes the conflicting suffix too.
 */
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

void log_init(struct raft_log *l, raft_index_t offset, raft_term_t offset_term)
{
	memset(l, 0, sizeof(*l));
	l->offset = offset;
	l->offset_term = offset_term;
	l->stable = offset;
}

static void free_range(struct raft_log *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		free(l->ents[i].data);
		l->ents[i].data = NULL;
	}
}

void log_free(struct raft_log *l)
{
	free_range(l, l->start, l->start + l->len);
	free(l->ents);
	memset(l, 0, sizeof(*l));
}

raft_index_t log_first_index(const struct raft_log *l)
{
	return l->offset + 1;
}

raft_index_t log_last_index(const struct raft_log *l)
{
	return l->offset + l->len;
}

struct raft_entry *log_entry(const struct raft_log *l, raft_index_t index)
{
	if (index <= l->offset || index > log_last_index(l))
		return NULL;
	return &l->ents[l->start + (size_t)(index - l->offset - 1)];
}

raft_term_t log_term_at(const struct raft_log *l, raft_index_t index)
{
	if (index == l->offset)
		return l->offset_term;
	const struct raft_entry *e = log_entry(l, index);
	return e ? e->term : 0;
}

raft_term_t log_last_term(const struct raft_log *l)
{
	return log_term_at(l, log_last_index(l));
}

bool log_match_term(const struct raft_log *l, raft_index_t index, raft_term_t term)
{
	if (index == 0)
		return term == 0;
	if (index < l->offset)
		return false; /* compacted: unknown */
	return log_term_at(l, index) == term && (index == l->offset || log_entry(l, index));
}

/* Make room for `extra` more entries at the tail. */
static int reserve(struct raft_log *l, size_t extra)
{
	if (l->start + l->len + extra <= l->cap)
		return RAFT_OK;
	/* Reclaim the compacted prefix first when it is worth it. */
	if (l->start > 0 && l->start >= l->len) {
		memmove(l->ents, l->ents + l->start, l->len * sizeof(*l->ents));
		l->start = 0;
		if (l->len + extra <= l->cap)
			return RAFT_OK;
	}
	size_t need = l->start + l->len + extra;
	size_t ncap = l->cap ? l->cap : 64;
	while (ncap < need)
		ncap *= 2;
	struct raft_entry *p = realloc(l->ents, ncap * sizeof(*p));
	if (!p)
		return RAFT_ERR_NOMEM;
	l->ents = p;
	l->cap = ncap;
	return RAFT_OK;
}

int log_append_owned(struct raft_log *l, raft_term_t term, uint8_t type,
		     uint8_t *data, uint32_t len)
{
	if (reserve(l, 1) != RAFT_OK) {
		free(data);
		return RAFT_ERR_NOMEM;
	}
	struct raft_entry *e = &l->ents[l->start + l->len];
	e->term = term;
	e->index = log_last_index(l) + 1;
	e->type = type;
	e->len = len;
	e->data = data;
	l->len++;
	return RAFT_OK;
}

/* Drop entries >= index, remembering it for storage if any were persisted. */
static void truncate_at(struct raft_log *l, raft_index_t index)
{
	size_t keep = (size_t)(index - l->offset - 1);
	free_range(l, l->start + keep, l->start + l->len);
	l->len = keep;
	if (index <= l->stable) {
		if (l->truncate_from == 0 || index < l->truncate_from)
			l->truncate_from = index;
		l->stable = index - 1;
	}
}

int log_merge(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	/* Skip the prefix we already hold (same index and term: Log Matching). */
	size_t i = 0;
	while (i < n) {
		raft_index_t idx = ents[i].index;
		if (idx <= l->offset) { /* covered by our snapshot: committed, equal */
			i++;
			continue;
		}
		if (idx > log_last_index(l) || log_term_at(l, idx) != ents[i].term)
			break;
		i++;
	}
	if (i == n)
		return RAFT_OK;

	/* Copy first, so that NOMEM leaves the log untouched. */
	size_t rest = n - i;
	uint8_t **copies = calloc(rest, sizeof(*copies));
	if (!copies)
		return RAFT_ERR_NOMEM;
	for (size_t k = 0; k < rest; k++) {
		const struct raft_entry *e = &ents[i + k];
		if (e->len == 0)
			continue;
		copies[k] = malloc(e->len);
		if (!copies[k])
			goto nomem;
		memcpy(copies[k], e->data, e->len);
	}
	raft_index_t first = ents[i].index;
	size_t keep = (size_t)(first - l->offset - 1);
	if (l->start + keep + rest > l->cap) {
		/* reserve() counts from the current length, which may shrink. */
		size_t extra = keep + rest > l->len ? keep + rest - l->len : 0;
		if (reserve(l, extra) != RAFT_OK)
			goto nomem;
	}
	if (first <= log_last_index(l))
		truncate_at(l, first);
	for (size_t k = 0; k < rest; k++) {
		struct raft_entry *e = &l->ents[l->start + l->len];
		*e = ents[i + k];
		e->data = copies[k];
		l->len++;
	}
	free(copies);
	return RAFT_OK;
nomem:
	for (size_t k = 0; k < rest; k++)
		free(copies[k]);
	free(copies);
	return RAFT_ERR_NOMEM;
}

void log_compact(struct raft_log *l, raft_index_t index)
{
	if (index <= l->offset)
		return;
	raft_term_t t = log_term_at(l, index);
	size_t drop = (size_t)(index - l->offset);
	free_range(l, l->start, l->start + drop);
	l->start += drop;
	l->len -= drop;
	l->offset = index;
	l->offset_term = t;
	if (l->len == 0)
		l->start = 0;
}

void log_reset(struct raft_log *l, raft_index_t index, raft_term_t term)
{
	free_range(l, l->start, l->start + l->len);
	l->start = 0;
	l->len = 0;
	l->offset = index;
	l->offset_term = term;
	l->stable = index;
	l->truncate_from = 0;
}

raft_index_t log_find_conflict_by_term(const struct raft_log *l, raft_index_t index,
				       raft_term_t term)
{
	if (index > log_last_index(l))
		index = log_last_index(l);
	while (index > l->offset) {
		if (log_term_at(l, index) <= term)
			return index;
		index--;
	}
	/* At or below the snapshot point we cannot tell better than the offset. */
	return index;
}

bool log_is_up_to_date(const struct raft_log *l, raft_term_t last_term,
		       raft_index_t last_index)
{
	raft_term_t my_term = log_last_term(l);
	return last_term > my_term ||
	       (last_term == my_term && last_index >= log_last_index(l));
}

/*
 * tail.h — the last lines of a command's output, in bounded memory.
 *
 * OWNER: hooks module. A hook may print without end; we keep only the last
 * `lines_max` lines, each cut at `line_bytes` bytes, so memory is bounded by
 * lines_max x (line_bytes + 1) whatever the command does.
 */
#ifndef PGQ_HOOKS_TAIL_H
#define PGQ_HOOKS_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct pgq_tail {
	char *slots;           /* lines_max slots of line_bytes + 1 bytes */
	uint32_t lines_max;
	uint32_t line_bytes;
	uint32_t first;        /* slot of the oldest kept line */
	uint32_t count;        /* complete lines kept */
	char *partial;         /* the line being read (line_bytes + 1 bytes) */
	uint32_t partial_len;
	uint64_t lines_seen;   /* complete lines ever fed */
};

/* Returns 0, or -1 when out of memory. Both limits must be >= 1. */
int pgq_tail_init(struct pgq_tail *tail, uint32_t lines_max, uint32_t line_bytes);
void pgq_tail_feed(struct pgq_tail *tail, const char *data, size_t len);
/*
 * The kept lines (a final line without newline included), joined by '\n'.
 * Returns a new string the caller frees, or NULL when out of memory.
 */
char *pgq_tail_text(const struct pgq_tail *tail);
void pgq_tail_free(struct pgq_tail *tail);

#endif /* PGQ_HOOKS_TAIL_H */

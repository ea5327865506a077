/*
 * tail.c — a ring of the last lines fed, each cut at a fixed length.
 */
#include "hooks/tail.h"

#include <stdlib.h>
#include <string.h>

int pgq_tail_init(struct pgq_tail *tail, uint32_t lines_max, uint32_t line_bytes)
{
	memset(tail, 0, sizeof(*tail));
	if (lines_max == 0 || line_bytes == 0)
		return -1;
	tail->slots = calloc(lines_max, (size_t)line_bytes + 1);
	tail->partial = calloc(1, (size_t)line_bytes + 1);
	if (tail->slots == NULL || tail->partial == NULL) {
		pgq_tail_free(tail);
		return -1;
	}
	tail->lines_max = lines_max;
	tail->line_bytes = line_bytes;
	return 0;
}

static char *slot(const struct pgq_tail *tail, uint32_t i)
{
	return tail->slots + (size_t)i * (tail->line_bytes + 1);
}

/* The partial line is complete: push it, dropping the oldest when full. */
static void push_line(struct pgq_tail *tail)
{
	uint32_t at;

	if (tail->count < tail->lines_max) {
		at = (tail->first + tail->count) % tail->lines_max;
		tail->count++;
	} else {
		at = tail->first;
		tail->first = (tail->first + 1) % tail->lines_max;
	}
	memcpy(slot(tail, at), tail->partial, tail->partial_len);
	slot(tail, at)[tail->partial_len] = '\0';
	tail->partial_len = 0;
	tail->lines_seen++;
}

void pgq_tail_feed(struct pgq_tail *tail, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (c == '\n') {
			push_line(tail);
			continue;
		}
		/* NUL would cut the line short when printed: show it as '?'. */
		if (c == '\0')
			c = '?';
		if (tail->partial_len < tail->line_bytes)
			tail->partial[tail->partial_len++] = c;
	}
}

char *pgq_tail_text(const struct pgq_tail *tail)
{
	size_t total = (size_t)tail->partial_len + 1;
	char *out, *p;

	for (uint32_t i = 0; i < tail->count; i++)
		total += strlen(slot(tail, (tail->first + i) % tail->lines_max)) + 1;
	out = malloc(total);
	if (out == NULL)
		return NULL;
	p = out;
	for (uint32_t i = 0; i < tail->count; i++) {
		const char *line = slot(tail, (tail->first + i) % tail->lines_max);
		size_t n = strlen(line);

		memcpy(p, line, n);
		p += n;
		*p++ = '\n';
	}
	/* An unfinished last line counts, but only the last lines_max lines are shown. */
	if (tail->partial_len > 0) {
		if (tail->count == tail->lines_max) {
			char *second = strchr(out, '\n');
			size_t keep = (size_t)(p - (second + 1));

			memmove(out, second + 1, keep);
			p = out + keep;
		}
		memcpy(p, tail->partial, tail->partial_len);
		p += tail->partial_len;
	} else if (p > out) {
		p--; /* no trailing newline */
	}
	*p = '\0';
	return out;
}

void pgq_tail_free(struct pgq_tail *tail)
{
	free(tail->slots);
	free(tail->partial);
	tail->slots = NULL;
	tail->partial = NULL;
}

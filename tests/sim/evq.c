/*
 * evq.c — the event heap. Ties on time are broken by insertion order, never
 * by addresses, so a seed replays bit for bit.
 */
#include "evq.h"

#include <stdlib.h>

#include "msgcopy.h"

void evq_init(struct evq *q)
{
	q->heap = NULL;
	q->len = q->cap = 0;
	q->next_seq = 0;
}

void evq_free(struct evq *q)
{
	for (size_t i = 0; i < q->len; i++)
		msgcopy_free(q->heap[i].msg);
	free(q->heap);
	evq_init(q);
}

static bool before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

bool evq_push(struct evq *q, struct sim_event ev)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 256;
		struct sim_event *nh = realloc(q->heap, ncap * sizeof(*nh));

		if (!nh)
			return false;
		q->heap = nh;
		q->cap = ncap;
	}
	ev.seq = q->next_seq++;
	size_t i = q->len++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(&ev, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = ev;
	return true;
}

bool evq_pop(struct evq *q, struct sim_event *out)
{
	if (q->len == 0)
		return false;
	*out = q->heap[0];
	struct sim_event last = q->heap[--q->len];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_event *best = &last;

		if (l < q->len && before(&q->heap[l], best)) {
			m = l;
			best = &q->heap[l];
		}
		if (r < q->len && before(&q->heap[r], best))
			m = r;
		if (m == i)
			break;
		q->heap[i] = q->heap[m];
		i = m;
	}
	if (q->len > 0)
		q->heap[i] = last;
	return true;
}

/*
 * table.c — the hash map and growable arrays the invariant checker keeps.
 * Sizes grow geometrically so every insert is amortised O(1).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void pairmap_init(struct pairmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

void pairmap_free(struct pairmap *m)
{
	free(m->slots);
	pairmap_init(m);
}

static struct pairmap_slot *find(const struct pairmap *m, uint64_t k1, uint64_t k2)
{
	size_t mask = m->cap - 1;
	size_t i = mix(k1, k2) & mask;

	for (;;) {
		struct pairmap_slot *s = &m->slots[i];

		if (!s->used || (s->k1 == k1 && s->k2 == k2))
			return s;
		i = (i + 1) & mask;
	}
}

static bool grow(struct pairmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	struct pairmap nm = { calloc(ncap, sizeof(struct pairmap_slot)), ncap, 0 };

	if (!nm.slots)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].used)
			continue;
		*find(&nm, m->slots[i].k1, m->slots[i].k2) = m->slots[i];
		nm.count++;
	}
	free(m->slots);
	*m = nm;
	return true;
}

bool pairmap_get(const struct pairmap *m, uint64_t k1, uint64_t k2, uint64_t *v1, uint64_t *v2)
{
	if (m->cap == 0)
		return false;
	const struct pairmap_slot *s = find(m, k1, k2);

	if (!s->used)
		return false;
	if (v1)
		*v1 = s->v1;
	if (v2)
		*v2 = s->v2;
	return true;
}

bool pairmap_put(struct pairmap *m, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2)
{
	/* Keep the load factor under one half. */
	if ((m->count + 1) * 2 > m->cap && !grow(m))
		return false;
	struct pairmap_slot *s = find(m, k1, k2);

	if (!s->used) {
		s->used = true;
		s->k1 = k1;
		s->k2 = k2;
		m->count++;
	}
	s->v1 = v1;
	s->v2 = v2;
	return true;
}

void recvec_init(struct recvec *v, size_t elem_size)
{
	v->data = NULL;
	v->elem_size = elem_size;
	v->len = 0;
}

void recvec_free(struct recvec *v)
{
	free(v->data);
	v->data = NULL;
	v->len = 0;
}

void *recvec_at(struct recvec *v, size_t i)
{
	if (i >= v->len) {
		size_t nlen = v->len ? v->len : 64;

		while (nlen <= i)
			nlen *= 2;
		uint8_t *nd = realloc(v->data, nlen * v->elem_size);

		if (!nd)
			return NULL;
		memset(nd + v->len * v->elem_size, 0, (nlen - v->len) * v->elem_size);
		v->data = nd;
		v->len = nlen;
	}
	return v->data + i * v->elem_size;
}

void *recvec_peek(const struct recvec *v, size_t i)
{
	return i < v->len ? v->data + i * v->elem_size : NULL;
}

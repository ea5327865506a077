/*
 * table.h — the checker's bookkeeping containers.
 *
 * pairmap: an open-addressing hash map from a pair of u64 to a pair of u64
 * (e.g. (index, term) -> (content hash, previous term)). u64vec: a growable
 * array indexed from 0. Both abort the run with an out-of-memory message
 * (returned as false) instead of exiting.
 */
#ifndef PGQ_SIM_TABLE_H
#define PGQ_SIM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pairmap_slot {
	uint64_t k1, k2;
	uint64_t v1, v2;
	bool used;
};

struct pairmap {
	struct pairmap_slot *slots;
	size_t cap;   /* power of two */
	size_t count;
};

void pairmap_init(struct pairmap *m);
void pairmap_free(struct pairmap *m);
/* Returns the slot's values through v1/v2 and true when present. */
bool pairmap_get(const struct pairmap *m, uint64_t k1, uint64_t k2, uint64_t *v1, uint64_t *v2);
/* Inserts or overwrites; false on allocation failure. */
bool pairmap_put(struct pairmap *m, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2);

/* Growable array of fixed-size records, zero-filled when it grows. */
struct recvec {
	uint8_t *data;
	size_t elem_size;
	size_t len;   /* records addressable */
};

void recvec_init(struct recvec *v, size_t elem_size);
void recvec_free(struct recvec *v);
/* Pointer to record i, growing the array (zero-filled) as needed; NULL on OOM. */
void *recvec_at(struct recvec *v, size_t i);
/* Pointer to record i or NULL when i is beyond the array (never grows). */
void *recvec_peek(const struct recvec *v, size_t i);

#endif /* PGQ_SIM_TABLE_H */

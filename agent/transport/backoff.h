/*
 * backoff.h — reconnect delays: exponential backoff with jitter from a seeded
 * PRNG (never the global rand(): tests replay a seed, and two agents started
 * together must not retry in lockstep).
 */
#ifndef PGQ_TRANSPORT_BACKOFF_H
#define PGQ_TRANSPORT_BACKOFF_H

#include <stdint.h>

struct pgq_backoff {
	uint32_t min_ms;   /* first delay */
	uint32_t max_ms;   /* cap on the un-jittered delay */
	uint32_t attempt;  /* failures since the last success */
	uint64_t rng;      /* splitmix64 state */
};

void pgq_backoff_init(struct pgq_backoff *b, uint32_t min_ms, uint32_t max_ms, uint64_t seed);
/*
 * Delay before the next attempt, then counts one more failure. The base delay
 * is min_ms * 2^attempt capped at max_ms; the result is uniform in
 * [base/2, base] ("equal jitter"): never shorter than half the schedule, so a
 * dead peer is not hammered, and never longer than max_ms.
 */
uint32_t pgq_backoff_next_ms(struct pgq_backoff *b);
/* After a successful handshake: the next failure starts again at min_ms. */
void pgq_backoff_reset(struct pgq_backoff *b);
/* The PRNG itself (splitmix64), exposed for tests. */
uint64_t pgq_backoff_random(uint64_t *state);

#endif /* PGQ_TRANSPORT_BACKOFF_H */

/*
 * rng.h — the simulator's only source of randomness.
 *
 * One xoshiro256** generator, seeded through rng_splitmix64 from the run's seed,
 * drives every choice of a run (delays, faults, client actions, and the seeds
 * handed to the Raft nodes), so a seed replays exactly.
 */
#ifndef PGQ_SIM_RNG_H
#define PGQ_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

uint64_t rng_splitmix64(uint64_t *state);
void rng_seed(struct rng *p, uint64_t seed);
uint64_t rng_next(struct rng *p);
/* Uniform in [0, n); n == 0 yields 0. */
uint64_t rng_below(struct rng *p, uint64_t n);
/* Uniform in [lo, hi] (inclusive). */
uint64_t rng_range(struct rng *p, uint64_t lo, uint64_t hi);
/* True with probability per_million / 1e6. */
bool rng_chance(struct rng *p, uint32_t per_million);

#endif /* PGQ_SIM_RNG_H */

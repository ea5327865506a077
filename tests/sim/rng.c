/*
 * rng.c — rng_splitmix64 (seeding) and xoshiro256** (the stream), written from
 * their published definitions. Deterministic on every platform: only 64-bit
 * unsigned arithmetic, no floating point.
 */
#include "rng.h"

uint64_t rng_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *p, uint64_t seed)
{
	uint64_t st = seed;

	for (int i = 0; i < 4; i++)
		p->s[i] = rng_splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *p, uint64_t n)
{
	if (n == 0)
		return 0;
	/* Rejection sampling keeps the distribution exactly uniform. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do {
		x = rng_next(p);
	} while (x >= limit);
	return x % n;
}

uint64_t rng_range(struct rng *p, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + rng_below(p, hi - lo + 1);
}

bool rng_chance(struct rng *p, uint32_t per_million)
{
	return rng_below(p, 1000000) < per_million;
}

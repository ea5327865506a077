/*
 * backoff.c — exponential reconnect backoff with equal jitter (backoff.h).
 */
#include "transport/backoff.h"

void pgq_backoff_init(struct pgq_backoff *b, uint32_t min_ms, uint32_t max_ms, uint64_t seed)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->attempt = 0;
	b->rng = seed;
}

uint64_t pgq_backoff_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint32_t pgq_backoff_next_ms(struct pgq_backoff *b)
{
	uint64_t base = b->min_ms;
	/* Stop doubling once capped so the shift can never overflow. */
	for (uint32_t i = 0; i < b->attempt && base < b->max_ms; i++)
		base *= 2;
	if (base > b->max_ms)
		base = b->max_ms;
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	uint64_t half = base / 2;
	uint64_t span = base - half + 1;
	return (uint32_t)(half + pgq_backoff_random(&b->rng) % span);
}

void pgq_backoff_reset(struct pgq_backoff *b)
{
	b->attempt = 0;
}

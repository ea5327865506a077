/*
 * lease.c — lease arithmetic of SAFETY.md S2, S3 and S5 in saturating
 * integer milliseconds.
 *
 * Why each side is safe: the primary measures its lease from the *first*
 * send of the renewal that committed, which is before any node applied it;
 * the leader measures from its own apply of that entry, which is after. So
 * the primary's lease always ends before the leader's timer, by the commit
 * latency plus drift_floor, with the ttl stretched by 2ρ to absorb clocks
 * that run at different rates.
 */
#include <string.h>

#include "ha/ha.h"
#include "ha/lease.h"

uint64_t pgq_ha_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t pgq_ha_sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

uint64_t pgq_lease_stretch_ms(uint64_t ttl_ms)
{
	/* ttl × 2ρ = ttl / 1000 at ρ = 500 ppm, rounded up. */
	uint64_t extra = ttl_ms / (PGQ_HA_RHO_DIVISOR / 2) +
			 (ttl_ms % (PGQ_HA_RHO_DIVISOR / 2) != 0 ? 1 : 0);

	return pgq_ha_add_sat(ttl_ms, extra);
}

uint32_t pgq_lease_drift_floor_ms(uint32_t configured_ms)
{
	return configured_ms < PGQ_HA_DRIFT_FLOOR_MIN_MS ? PGQ_HA_DRIFT_FLOOR_MIN_MS : configured_ms;
}

uint64_t pgq_lease_end_ms(uint64_t first_send_ms, uint32_t ttl_ms)
{
	return pgq_ha_add_sat(first_send_ms, ttl_ms);
}

void pgq_lease_reset(struct pgq_lease *l, uint64_t epoch)
{
	memset(l, 0, sizeof(*l));
	l->epoch = epoch;
}

static size_t pending_index(const struct pgq_lease *l, uint64_t nonce)
{
	for (size_t i = 0; i < l->n_pending; i++)
		if (l->pending[i].nonce == nonce)
			return i;
	return l->n_pending;
}

void pgq_lease_sent(struct pgq_lease *l, uint64_t epoch, uint64_t lease_seq, uint64_t nonce,
		    uint32_t ttl_ms, uint64_t now_ms)
{
	struct pgq_lease_pending *p;

	if (l->epoch != epoch)
		pgq_lease_reset(l, epoch);
	if (pending_index(l, nonce) < l->n_pending)
		return; /* S2: a resend keeps the first send time */
	if (l->n_pending == PGQ_LEASE_PENDING_MAX) {
		memmove(&l->pending[0], &l->pending[1],
			(PGQ_LEASE_PENDING_MAX - 1) * sizeof(l->pending[0]));
		l->n_pending--;
	}
	p = &l->pending[l->n_pending++];
	p->nonce = nonce;
	p->lease_seq = lease_seq;
	p->first_send_ms = now_ms;
	p->ttl_ms = ttl_ms;
}

const struct pgq_lease_pending *pgq_lease_find(const struct pgq_lease *l, uint64_t nonce)
{
	size_t i = pending_index(l, nonce);

	return i < l->n_pending ? &l->pending[i] : NULL;
}

bool pgq_lease_committed(struct pgq_lease *l, uint64_t epoch, uint64_t seq, uint64_t nonce)
{
	size_t i;
	uint64_t end;

	if (l->epoch != epoch || seq == 0 || seq <= l->committed_seq)
		return false;
	i = pending_index(l, nonce);
	if (i == l->n_pending)
		return false; /* not ours (or forgotten): it grants us nothing */
	end = pgq_lease_end_ms(l->pending[i].first_send_ms, l->pending[i].ttl_ms);
	if (!l->held || end > l->lease_end_ms)
		l->lease_end_ms = end;
	l->held = true;
	l->committed_seq = seq;
	/* Older renewals were built against an older lease_seq: they can only be rejected now. */
	memmove(&l->pending[0], &l->pending[i + 1], (l->n_pending - i - 1) * sizeof(l->pending[0]));
	l->n_pending -= i + 1;
	return true;
}

bool pgq_lease_valid(const struct pgq_lease *l, uint64_t epoch, uint64_t now_ms)
{
	return l->held && l->epoch == epoch && now_ms < l->lease_end_ms;
}

const char *pgq_fence_step_name(enum pgq_fence_step s)
{
	switch (s) {
	case PGQ_FENCE_NONE: return "none";
	case PGQ_FENCE_FAST_STOP: return "fast_stop";
	case PGQ_FENCE_IMMEDIATE_STOP: return "immediate_stop";
	case PGQ_FENCE_KILL: return "kill";
	}
	return "?";
}

/* The three S5 deadlines, in order: fast stop, immediate stop, SIGKILL. */
static void fence_times(uint64_t lease_end_ms, uint32_t stop_budget_ms, uint32_t kill_budget_ms,
			uint64_t t[3])
{
	/* A stop budget smaller than the kill budget would reorder the steps. */
	uint32_t stop = stop_budget_ms > kill_budget_ms ? stop_budget_ms : kill_budget_ms;

	t[0] = pgq_ha_sub_sat(lease_end_ms, stop);
	t[1] = pgq_ha_sub_sat(lease_end_ms, kill_budget_ms);
	t[2] = pgq_ha_sub_sat(lease_end_ms, kill_budget_ms / 2);
}

enum pgq_fence_step pgq_lease_fence_step(uint64_t lease_end_ms, uint32_t stop_budget_ms,
					 uint32_t kill_budget_ms, uint64_t now_ms)
{
	uint64_t t[3];

	fence_times(lease_end_ms, stop_budget_ms, kill_budget_ms, t);
	if (now_ms >= t[2])
		return PGQ_FENCE_KILL;
	if (now_ms >= t[1])
		return PGQ_FENCE_IMMEDIATE_STOP;
	if (now_ms >= t[0])
		return PGQ_FENCE_FAST_STOP;
	return PGQ_FENCE_NONE;
}

uint64_t pgq_lease_next_fence_ms(uint64_t lease_end_ms, uint32_t stop_budget_ms,
				 uint32_t kill_budget_ms, uint64_t now_ms)
{
	uint64_t t[3];

	fence_times(lease_end_ms, stop_budget_ms, kill_budget_ms, t);
	for (int i = 0; i < 3; i++)
		if (now_ms < t[i])
			return t[i];
	return UINT64_MAX;
}

uint32_t pgq_lease_watchdog_timeout_s(uint64_t lease_end_ms, uint32_t kill_budget_ms,
				      uint64_t now_ms)
{
	uint64_t fire_by = pgq_ha_sub_sat(lease_end_ms, kill_budget_ms);
	uint64_t s = pgq_ha_sub_sat(fire_by, now_ms) / 1000;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint64_t pgq_lease_loss_deadline_ms(uint64_t timer_applied_ms, uint32_t loss_ttl_ms,
				    uint32_t drift_floor_ms)
{
	return pgq_ha_add_sat(pgq_ha_add_sat(timer_applied_ms, pgq_lease_stretch_ms(loss_ttl_ms)),
			      pgq_lease_drift_floor_ms(drift_floor_ms));
}

uint64_t pgq_lease_new_leader_deadline_ms(uint64_t became_leader_ms, uint32_t loss_ttl_ms,
					  uint32_t drift_floor_ms, uint64_t renewal_index,
					  uint64_t renewal_term,
					  const struct pgq_lease_voter_age *ages, size_t n_ages)
{
	uint64_t full = pgq_lease_loss_deadline_ms(became_leader_ms, loss_ttl_ms, drift_floor_ms);
	uint64_t best = full;

	if (renewal_index == 0)
		return full;
	for (size_t i = 0; i < n_ages; i++) {
		const struct pgq_lease_voter_age *a = &ages[i];
		uint64_t age, appended_ms, d;

		/* S3: durations tied to one entry only; 0 = the voter lacks it. */
		if (a->index != renewal_index || a->term != renewal_term || a->age_ms == 0)
			continue;
		/* A voter clock running fast by ρ overstates the age: take that off. */
		age = a->age_ms - (a->age_ms + PGQ_HA_RHO_DIVISOR - 1) / PGQ_HA_RHO_DIVISOR;
		appended_ms = pgq_ha_sub_sat(a->received_ms, age);
		d = pgq_lease_loss_deadline_ms(appended_ms, loss_ttl_ms, drift_floor_ms);
		if (d < best)
			best = d;
	}
	return best;
}

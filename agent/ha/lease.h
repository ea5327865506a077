/*
 * lease.h — lease arithmetic (SAFETY.md S2, S3, S5), in integer
 * milliseconds of CLOCK_BOOTTIME. Every sum saturates at UINT64_MAX and
 * every difference at 0, so no input can wrap a deadline into the past.
 *
 * Two sides:
 *  - the primary: when its lease ends (first send of the committed nonce +
 *    its ttl), the self-fence schedule and the watchdog deadline (S5);
 *  - the Raft leader: when it may declare the primary lost (S2), and how
 *    long a new leader waits (S3), optionally shortened by voters' reports.
 */
#ifndef PGQ_HA_LEASE_H
#define PGQ_HA_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t pgq_ha_add_sat(uint64_t a, uint64_t b);
uint64_t pgq_ha_sub_sat(uint64_t a, uint64_t b);

/* ttl × (1 + 2ρ), rounded up (S2). */
uint64_t pgq_lease_stretch_ms(uint64_t ttl_ms);
/* The drift floor actually used: max(configured, 100 ms) (S2). */
uint32_t pgq_lease_drift_floor_ms(uint32_t configured_ms);

/* ---- The primary's side ---------------------------------------------- */

/* Renewals sent but not yet seen committed, newest last. */
#define PGQ_LEASE_PENDING_MAX 8

struct pgq_lease_pending {
	uint64_t nonce;
	uint64_t lease_seq;      /* the lease_seq it was built against (CAS) */
	uint64_t first_send_ms;  /* S2: the first transmission; a resend keeps it */
	uint32_t ttl_ms;
};

/*
 * The primary's lease for one epoch. Plain data, owned by the runtime (it
 * may also persist lease_end_ms as S14 requires). Zero-initialised: no lease.
 */
struct pgq_lease {
	uint64_t epoch;          /* the epoch the lease and the pending list belong to */
	bool held;               /* a renewal of `epoch` was committed and accepted */
	uint64_t lease_end_ms;   /* valid when held */
	uint64_t committed_seq;  /* record lease_seq after the last renewal we matched */
	size_t n_pending;
	struct pgq_lease_pending pending[PGQ_LEASE_PENDING_MAX];
};

/* S2: lease end for a renewal first sent at first_send_ms with ttl_ms. */
uint64_t pgq_lease_end_ms(uint64_t first_send_ms, uint32_t ttl_ms);

/* Forget everything and start tracking `epoch` (a new naming). */
void pgq_lease_reset(struct pgq_lease *l, uint64_t epoch);

/*
 * Note a renewal as sent at now_ms. A nonce already pending keeps its first
 * send time (S2: "a resend reuses the first send time"). The oldest entry
 * is dropped when the list is full (it can then no longer grant a lease,
 * which errs on the safe side). A different epoch resets the lease first.
 */
void pgq_lease_sent(struct pgq_lease *l, uint64_t epoch, uint64_t lease_seq, uint64_t nonce,
		    uint32_t ttl_ms, uint64_t now_ms);

/* The pending renewal with this nonce, or NULL. */
const struct pgq_lease_pending *pgq_lease_find(const struct pgq_lease *l, uint64_t nonce);

/*
 * The record (as this agent applied it) shows the accepted renewal `nonce`
 * of `epoch` with lease_seq `seq`. If it is one of ours, the lease end
 * becomes max(old end, first send + ttl) and older pending entries are
 * dropped. Returns true when the lease was extended. Idempotent.
 */
bool pgq_lease_committed(struct pgq_lease *l, uint64_t epoch, uint64_t seq, uint64_t nonce);

/* True when a lease for `epoch` is held and now_ms < its end. */
bool pgq_lease_valid(const struct pgq_lease *l, uint64_t epoch, uint64_t now_ms);

/* S5: the self-fence schedule, by how close now is to the lease end. */
enum pgq_fence_step {
	PGQ_FENCE_NONE = 0,       /* lease end is further than stop_budget */
	PGQ_FENCE_FAST_STOP,      /* from lease_end - stop_budget */
	PGQ_FENCE_IMMEDIATE_STOP, /* from lease_end - kill_budget */
	PGQ_FENCE_KILL,           /* from lease_end - kill_budget / 2: SIGKILL what remains */
};
const char *pgq_fence_step_name(enum pgq_fence_step s);

/*
 * S5: which fence step is due at now_ms. SIGKILL is due at
 * lease_end − kill_budget/2 so that the kill and the survivor scan finish
 * before the lease ends (docs/safety-changes.md, C1).
 */
enum pgq_fence_step pgq_lease_fence_step(uint64_t lease_end_ms, uint32_t stop_budget_ms,
					 uint32_t kill_budget_ms, uint64_t now_ms);
/* When the step after `now`'s step becomes due (UINT64_MAX after KILL). */
uint64_t pgq_lease_next_fence_ms(uint64_t lease_end_ms, uint32_t stop_budget_ms,
				 uint32_t kill_budget_ms, uint64_t now_ms);

/*
 * S5: the watchdog must fire no later than lease_end − kill_budget. Returns
 * the whole seconds the runtime may program as the watchdog timeout when it
 * pets right after a renewal committed at now_ms (rounded down; devices
 * count seconds). 0 means "no safe timeout left": do not pet; fence.
 */
uint32_t pgq_lease_watchdog_timeout_s(uint64_t lease_end_ms, uint32_t kill_budget_ms,
				      uint64_t now_ms);

/* ---- The leader's side ----------------------------------------------- */

/* S2: apply time of the timer entry + loss_ttl × (1+2ρ) + drift_floor. */
uint64_t pgq_lease_loss_deadline_ms(uint64_t timer_applied_ms, uint32_t loss_ttl_ms,
				    uint32_t drift_floor_ms);

/*
 * S3: one voter's report about the latest renewal in the leader's log:
 * how long ago (on the voter's clock) it appended the entry
 * (index, term), received by the leader at received_ms (leader's clock).
 * age_ms 0 means the voter lacks the entry.
 */
struct pgq_lease_voter_age {
	uint64_t index;
	uint64_t term;
	uint64_t age_ms;
	uint64_t received_ms;
};

/*
 * S3: the earliest time a newly elected leader may declare the primary
 * lost, given when it became leader. Without usable reports it is
 * became_leader + W, W = loss_ttl × (1+2ρ) + drift_floor. Each report for
 * exactly (renewal_index, renewal_term) with age > 0 allows
 * received − age' + W, where age' = age minus its own ρ allowance (a fast
 * voter clock overstates ages). The result is the earliest such time,
 * capped at became_leader + W: reports only ever shorten the full wait.
 * renewal_index 0 (no renewal in the log) allows no shortening.
 */
uint64_t pgq_lease_new_leader_deadline_ms(uint64_t became_leader_ms, uint32_t loss_ttl_ms,
					  uint32_t drift_floor_ms, uint64_t renewal_index,
					  uint64_t renewal_term,
					  const struct pgq_lease_voter_age *ages, size_t n_ages);

#endif /* PGQ_HA_LEASE_H */

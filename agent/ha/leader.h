/*
 * leader.h — what the Raft leader proposes about the primary (SAFETY.md
 * S2, S3, S8, S9, S13, S18, L4, L8, R4).
 *
 * Every agent keeps a struct pgq_ha_leader_clock and calls
 * pgq_ha_leader_observe() right after each applied entry (any node may
 * become leader, and the loss timer runs from *its own* apply of the timer
 * entry, S2). Observing late only moves deadlines later, which is the safe
 * direction. The leader calls pgq_ha_decide_leader() every loop and after
 * every apply and proposes the commands it returns; the record re-checks
 * every one of them at apply (S4), so a decision made on a stale view is
 * simply rejected.
 *
 * The leader renews nothing itself: only the primary renews its lease.
 */
#ifndef PGQ_HA_LEADER_H
#define PGQ_HA_LEADER_H

#include "ha/ha.h"
#include "ha/lease.h"

/*
 * When this agent (on CLOCK_BOOTTIME) first saw the record entries its
 * timers run from. Plain data owned by the runtime; zero-initialise it.
 */
struct pgq_ha_leader_clock {
	uint64_t timer_index;         /* record lease_timer_index last seen */
	uint64_t timer_applied_ms;    /* our apply time of it (S2) */
	uint64_t lost_index;          /* record lost_index last seen */
	uint64_t lost_applied_ms;     /* our apply time of it (S9 report wait) */
	uint64_t sw_epoch;            /* switchover epoch and phase last seen ... */
	int sw_phase;
	uint64_t sw_applied_ms;       /* ... and when (S13 (4) timeout) */
	uint64_t named_index;         /* record named_index last seen */
	uint64_t named_applied_ms;    /* our apply time of it (L5 promote timeout) */
};

/* Note the record as applied at now_ms (CLOCK_BOOTTIME). Idempotent. */
void pgq_ha_leader_observe(struct pgq_ha_leader_clock *c, const struct pgq_record *r,
			   uint64_t now_ms);

struct pgq_ha_leader_input {
	uint64_t now_ms;              /* CLOCK_BOOTTIME */
	uint64_t wall_ms;             /* wall clock, only to stamp entries (time_ms) */
	uint64_t became_leader_ms;    /* when this agent became leader in this term (S3) */
	bool transfer_in_progress;    /* a leadership transfer is under way */
	/* S3 shortening (optional): the latest renewal in our log and voters' ages for it. */
	uint64_t renewal_index;
	uint64_t renewal_term;
	const struct pgq_lease_voter_age *ages; /* may be NULL when n_ages = 0 */
	size_t n_ages;
	/* Members reachable right now (Raft progress active); NULL: assume all. */
	const char *const *reachable;
	size_t n_reachable;
	struct pgq_ha_timing timing;
};

/* The time the leader may declare the current lease lost (S2, S3); UINT64_MAX: no lease timer. */
uint64_t pgq_ha_leader_loss_deadline_ms(const struct pgq_record *r,
					const struct pgq_ha_leader_clock *c,
					const struct pgq_ha_leader_input *in);

/*
 * S3: "leadership transfer is allowed only when no loss timer is running":
 * true when no primary change is under way and the last renewal was
 * applied within loop_wait (the primary is renewing on schedule).
 */
bool pgq_ha_leader_transfer_allowed(const struct pgq_record *r,
				    const struct pgq_ha_leader_clock *c, uint64_t now_ms);

/* What Raft knows of a peer, for a leadership hand-over. */
struct pgq_ha_peer_progress {
	const char *name;      /* member name, NULL when unknown */
	uint64_t match;        /* highest log index known replicated on it */
	bool voter;
	bool recent_active;    /* heard from within the election timeout */
};

/*
 * Where to hand Raft leadership so that the leader is not on the primary's
 * host (S3 allows a transfer only while no loss timer runs: the caller
 * checks pgq_ha_leader_transfer_allowed() first). NULL unless `me` is the
 * recorded primary; else the up-to-date (match >= commit_index) voter heard
 * from lately whose latest report shows a running replica on the record's
 * timeline (not a member still cloning or starting), highest match first,
 * then the first in the given order.
 */
const char *pgq_ha_transfer_target(const struct pgq_record *r, const char *me,
				   const struct pgq_ha_peer_progress *peers, size_t n,
				   uint64_t commit_index);

struct pgq_ha_leader_decision {
	struct pgq_ha_cmds cmds;      /* to propose, in order; owned, pgq_ha_cmds_free() */
	uint64_t next_check_ms;       /* call again no later than this (UINT64_MAX: on apply) */
	char note[PGQ_HA_REASON_MAX]; /* what the leader is waiting for, for the log */
};

/*
 * Decide. `d` is initialised here (the caller frees d->cmds). Returns 0 or
 * a builder error (PGQ_RECORD_ERR_NOMEM) with err filled.
 */
int pgq_ha_decide_leader(const struct pgq_record *r, const struct pgq_ha_leader_clock *c,
			 const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d,
			 char *err, size_t errlen);

/*
 * S15: the bootstrap primary among the initial peers: the first of
 * `names` (raft.peers order, identical on every node) whose `can_init`
 * is true (its data directory is empty and it runs PostgreSQL), or NULL.
 * Deterministic, so every peer computes the same choice; the bootstrap
 * entry itself is the CAS (rejected once the record exists).
 */
const char *pgq_ha_bootstrap_choice(const char *const *names, const bool *can_init, size_t n);

#endif /* PGQ_HA_LEADER_H */

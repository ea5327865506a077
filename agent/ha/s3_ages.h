/*
 * s3_ages.h — the bookkeeping behind SAFETY.md S3's shortened wait of a
 * newly elected leader (docs/safety-changes.md C3). Pure data, no I/O, no
 * clock reads: the runtime passes CLOCK_BOOTTIME milliseconds.
 *
 * Two sides:
 *  - every agent (a voter) remembers when it appended each recent Raft
 *    entry (pgq_append_clock), in memory only: after a restart it knows
 *    nothing and so reports nothing — never a guess;
 *  - a newly elected leader collects, for the latest renewal in its log
 *    (index, term), each voter's "time since I appended it" together with
 *    the time it received that answer (pgq_s3_reports), and hands them to
 *    pgq_ha_decide_leader() (leader.h), whose
 *    pgq_lease_new_leader_deadline_ms() takes off the ρ allowance (C3).
 */
#ifndef PGQ_HA_S3_AGES_H
#define PGQ_HA_S3_AGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/lease.h"

/* ---- The voter's side ------------------------------------------------- */

/* Entries remembered; older ones are forgotten (their age is then unknown,
 * which only lengthens a leader's wait). */
#define PGQ_APPEND_CLOCK_CAP 1024

struct pgq_append_clock_entry {
	uint64_t index;
	uint64_t term;
	uint64_t at_ms;   /* local CLOCK_BOOTTIME when this agent appended it */
};

/* A ring of the latest appends, in index order. Zero-initialise it. */
struct pgq_append_clock {
	struct pgq_append_clock_entry e[PGQ_APPEND_CLOCK_CAP];
	size_t start, n;
};

/*
 * Note that (index, term) was appended to the local log at now_ms. An entry
 * at or below a remembered index replaces the remembered entries from that
 * index on (Raft truncated the log there); the same (index, term) again
 * keeps the first time (Raft never appends one entry twice, and the first
 * append is the one the age is about).
 */
void pgq_append_clock_note(struct pgq_append_clock *c, uint64_t index, uint64_t term,
			   uint64_t now_ms);

/* When (index, term) was appended, or 0 when not remembered. */
uint64_t pgq_append_clock_when(const struct pgq_append_clock *c, uint64_t index, uint64_t term);

/*
 * S3: the age to report for (index, term) at now_ms: now − append time,
 * clamped to [1, max_ms]; 0 when the entry is not remembered (the voter
 * "lacks it": nothing is sent). Clamping down only understates (safe).
 */
uint64_t pgq_append_clock_age(const struct pgq_append_clock *c, uint64_t index, uint64_t term,
			      uint64_t now_ms, uint64_t max_ms);

/* ---- The leader's side ------------------------------------------------ */

/*
 * The lowest record command version (S17, record.h) a voter reports in its
 * member status when its build knows the LEASE_AGE frame (the frame landed
 * before fence_confirm's version 2). A build without the frame closes the
 * connection on it (unknown frame type) and drops the Raft messages queued
 * there; the leader re-asks every second, so during a rolling upgrade it
 * would cut its link to every old voter over and over, right during a
 * failover. Voters that report less, or nothing yet, are not asked: that
 * only lengthens the wait (S3), the safe side.
 */
#define PGQ_S3_LEASE_AGE_MIN_CMD_VERSION 2

/* True when a voter whose member status reports cmd_version may be asked. */
bool pgq_s3_voter_may_be_asked(uint32_t cmd_version);

#define PGQ_S3_REPORTS_MAX 16 /* voters in one configuration (RAFT_MAX_MEMBERS) */

/*
 * The reports collected for one question: (index, term) asked by the
 * leader of leader_term. ages[] is what pgq_ha_leader_input.ages takes.
 */
struct pgq_s3_reports {
	uint64_t leader_term;
	uint64_t index;
	uint64_t term;
	size_t n;
	uint64_t from[PGQ_S3_REPORTS_MAX];                /* voter id of ages[i] */
	struct pgq_lease_voter_age ages[PGQ_S3_REPORTS_MAX];
};

/* Start a new question; forgets every report of the previous one. */
void pgq_s3_reports_reset(struct pgq_s3_reports *r, uint64_t leader_term, uint64_t index,
			  uint64_t term);

/* True when r is collecting for exactly this question. */
bool pgq_s3_reports_for(const struct pgq_s3_reports *r, uint64_t leader_term, uint64_t index,
			uint64_t term);

/*
 * S3: record voter `from`'s answer, received at received_ms (the leader's
 * clock, read when the answer arrived: transit only makes it later, the
 * safe side). Ignored (returns false) unless it answers exactly the current
 * question (same leader term, index and term) with age_ms > 0 and from is
 * not 0. A second answer from the same voter replaces its first.
 */
bool pgq_s3_reports_add(struct pgq_s3_reports *r, uint64_t from, uint64_t leader_term,
			uint64_t index, uint64_t term, uint64_t age_ms, uint64_t received_ms);

#endif /* PGQ_HA_S3_AGES_H */

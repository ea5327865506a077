/*
 * record_cmd_switchover.c — the switchover state machine of S13, kept in the
 * record so that every phase is a committed, compare-and-set entry (S4):
 *
 *   none --switchover_request--> demoting --demoted--> demoted
 *     ^                             |                     |
 *     |                     switchover_abort      set_primary(switchover)
 *     |                             v                     |
 *     +------ set_primary ------ aborted <----------------+ (or abort)
 *
 * P keeps its lease while demoting; it never becomes writable again under
 * the same epoch: every path out of a started switchover names a primary
 * under a new epoch. Scheduled switchovers (schedule/cancel) live here too.
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

int cmd_switchover_request(struct pgq_record *r, const json_t *c, uint64_t index, char *why,
			   size_t wl)
{
	char from[PGQ_RECORD_NAME_MAX], to[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, seq = 0, time_ms = 0;
	struct pgq_primary *p = &r->primary;
	const struct pgq_member *target;

	if (!fld_name(c, "from", true, from, why, wl) || !fld_name(c, "to", true, to, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (strcmp(from, p->name) != 0)
		return rec_reject(why, wl, "'%s' is not the primary of epoch %llu (S4)", from,
				  (unsigned long long)p->epoch);
	if (epoch != p->epoch || seq != p->lease_seq)
		return rec_reject(why, wl, "epoch/lease_seq %llu/%llu are not the recorded "
				  "%llu/%llu (S4)", (unsigned long long)epoch,
				  (unsigned long long)seq, (unsigned long long)p->epoch,
				  (unsigned long long)p->lease_seq);
	if (p->state != PGQ_PRIMARY_ACTIVE || !p->promoted)
		return rec_reject(why, wl, "the primary is not active and promoted (S13)");
	target = rec_member_by_name(r, to);
	if (target == NULL)
		return rec_reject(why, wl, "no member '%s'", to);
	if (strcmp(to, from) == 0)
		return rec_reject(why, wl, "switchover target is the primary itself");
	if (target->tags.nofailover)
		return rec_reject(why, wl, "member '%s' is tagged nofailover (R4)", to);
	/* S13 (1) precheck: the target streams on our timeline with little lag. */
	if (!target->status.reported || strcmp(target->status.role, "replica") != 0 ||
	    target->status.timeline != r->timeline)
		return rec_reject(why, wl, "'%s' has not reported as a replica on timeline %u (S13)",
				  to, r->timeline);
	if (target->status.lag_bytes > r->cfg.switchover_max_lag_bytes)
		return rec_reject(why, wl, "'%s' lags %llu bytes, above switchover_max_lag %llu (S13)",
				  to, (unsigned long long)target->status.lag_bytes,
				  (unsigned long long)r->cfg.switchover_max_lag_bytes);
	memset(&r->switchover, 0, sizeof(r->switchover));
	r->switchover.phase = PGQ_SWITCHOVER_DEMOTING;
	memcpy(r->switchover.from, from, sizeof(from));
	memcpy(r->switchover.to, to, sizeof(to));
	r->switchover.epoch = epoch;
	r->switchover.started_at_ms = time_ms;
	p->state = PGQ_PRIMARY_DEMOTING;
	memset(&r->scheduled, 0, sizeof(r->scheduled));
	return PGQ_RECORD_APPLIED;
}

int cmd_demoted(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, seq = 0, final_lsn = 0, time_ms = 0;
	uint32_t tli = 0;
	struct pgq_primary *p = &r->primary;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_u64(c, "final_lsn", true, &final_lsn, why, wl) ||
	    !fld_u32(c, "tli", true, UINT32_MAX, &tli, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (strcmp(name, p->name) != 0)
		return rec_reject(why, wl, "member '%s' is not the primary of epoch %llu (S4)", name,
				  (unsigned long long)p->epoch);
	if (epoch != p->epoch || seq != p->lease_seq)
		return rec_reject(why, wl, "epoch/lease_seq %llu/%llu are not the recorded "
				  "%llu/%llu (S4)", (unsigned long long)epoch,
				  (unsigned long long)seq, (unsigned long long)p->epoch,
				  (unsigned long long)p->lease_seq);
	/* S13 (2), L7: only a primary still holding its lease reports a clean stop. */
	if (p->state != PGQ_PRIMARY_ACTIVE && p->state != PGQ_PRIMARY_DEMOTING)
		return rec_reject(why, wl, "the primary is already %s (S4)",
				  pgq_primary_state_name(p->state));
	if (tli != r->timeline)
		return rec_reject(why, wl, "timeline %u is not the recorded timeline %u (S12)", tli,
				  r->timeline);
	p->state = PGQ_PRIMARY_DEMOTED;
	p->final_lsn = final_lsn;
	p->lost_index = index;
	p->lost_at_ms = time_ms;
	if (r->switchover.phase == PGQ_SWITCHOVER_DEMOTING && r->switchover.epoch == epoch)
		r->switchover.phase = PGQ_SWITCHOVER_DEMOTED;
	return PGQ_RECORD_APPLIED;
}

int cmd_switchover_abort(struct pgq_record *r, const json_t *c, uint64_t index, char *why,
			 size_t wl)
{
	char phase[16], reason[PGQ_RECORD_TEXT_MAX] = "";
	uint64_t epoch = 0, time_ms = 0;
	struct pgq_switchover *sw = &r->switchover;

	if (!fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_str(c, "phase", true, phase, sizeof(phase), why, wl) ||
	    !fld_str(c, "reason", false, reason, sizeof(reason), why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (sw->phase != PGQ_SWITCHOVER_DEMOTING && sw->phase != PGQ_SWITCHOVER_DEMOTED)
		return rec_reject(why, wl, "no switchover in progress (S13)");
	/* S4: the abort names the epoch and phase it saw. */
	if (epoch != sw->epoch || epoch != r->primary.epoch)
		return rec_reject(why, wl, "epoch %llu is not the switchover's epoch %llu (S4)",
				  (unsigned long long)epoch, (unsigned long long)sw->epoch);
	if (strcmp(phase, pgq_switchover_phase_name(sw->phase)) != 0)
		return rec_reject(why, wl, "phase '%.15s' is not the recorded phase '%s' (S4)", phase,
				  pgq_switchover_phase_name(sw->phase));
	/*
	 * S13 (4): the primary state is left as is: a demoting P still holds its
	 * lease and finishes stopping (demoted) or loses it; a new epoch follows.
	 */
	sw->phase = PGQ_SWITCHOVER_ABORTED;
	memcpy(sw->abort_reason, reason, sizeof(reason));
	return PGQ_RECORD_APPLIED;
}

int cmd_switchover_schedule(struct pgq_record *r, const json_t *c, uint64_t index, char *why,
			    size_t wl)
{
	struct pgq_scheduled_switchover s = { .set = true };
	const struct pgq_member *target;
	uint64_t time_ms = 0;

	if (!fld_name(c, "from", true, s.from, why, wl) ||
	    !fld_name(c, "to", false, s.to, why, wl) ||
	    !fld_u64(c, "at_ms", true, &s.at_ms, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (r->scheduled.set)
		return rec_reject(why, wl, "a switchover is already scheduled");
	if (strcmp(s.from, r->primary.name) != 0 || r->primary.state != PGQ_PRIMARY_ACTIVE)
		return rec_reject(why, wl, "'%s' is not the active primary", s.from);
	if (s.at_ms <= time_ms)
		return rec_reject(why, wl, "scheduled time is not in the future");
	if (s.to[0] == '\0' && r->paused)
		return rec_reject(why, wl, "paused: a switchover needs a candidate (S18)");
	if (s.to[0] != '\0') {
		target = rec_member_by_name(r, s.to);
		if (target == NULL)
			return rec_reject(why, wl, "no member '%s'", s.to);
		if (strcmp(s.to, s.from) == 0)
			return rec_reject(why, wl, "switchover target is the primary itself");
		if (target->tags.nofailover)
			return rec_reject(why, wl, "member '%s' is tagged nofailover (R4)", s.to);
	}
	r->scheduled = s;
	return PGQ_RECORD_APPLIED;
}

int cmd_switchover_cancel(struct pgq_record *r, const json_t *c, uint64_t index, char *why,
			  size_t wl)
{
	uint64_t time_ms = 0;

	if (!fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (!r->scheduled.set)
		return rec_reject(why, wl, "no scheduled switchover");
	memset(&r->scheduled, 0, sizeof(r->scheduled));
	return PGQ_RECORD_APPLIED;
}

/*
 * record_cmd_lease.c — the primary's lease and every change of primary:
 * renewal (S1, S2, S4), release (S5), loss (S2, S9), naming a new primary
 * (S4, S7, S8, S10, S13, S18, L8), promotion and timelines (S1, S12),
 * pre_promote vetoes (S19) and blocked failovers (L4).
 *
 * Everything here is compare-and-set at apply (S4): a command carries the
 * epoch and lease_seq it was built against and is refused when the record
 * moved on, so a stale or replayed proposal can never act twice.
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

#define RENEW_TTL_MIN_MS 100u
#define RENEW_TTL_MAX_MS 3600000u

static bool holds_lease_state(enum pgq_primary_state s)
{
	/* DEMOTING: a switchover in phase 1 keeps P's lease (S13). */
	return s == PGQ_PRIMARY_ACTIVE || s == PGQ_PRIMARY_DEMOTING;
}

static int check_epoch(const struct pgq_record *r, uint64_t epoch, char *why, size_t wl)
{
	if (epoch != r->primary.epoch)
		return rec_reject(why, wl, "epoch %llu is not the recorded epoch %llu (S4)",
				  (unsigned long long)epoch, (unsigned long long)r->primary.epoch);
	return 0;
}

static int check_epoch_seq(const struct pgq_record *r, uint64_t epoch, uint64_t seq,
			   char *why, size_t wl)
{
	if (check_epoch(r, epoch, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (seq != r->primary.lease_seq)
		return rec_reject(why, wl, "lease_seq %llu is not the recorded lease_seq %llu (S4)",
				  (unsigned long long)seq, (unsigned long long)r->primary.lease_seq);
	return 0;
}

static int check_from_primary(const struct pgq_record *r, const char *name, char *why, size_t wl)
{
	if (strcmp(name, r->primary.name) != 0)
		return rec_reject(why, wl, "member '%s' is not the primary of epoch %llu (S4)", name,
				  (unsigned long long)r->primary.epoch);
	return 0;
}

int cmd_lease_renew(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, seq = 0, nonce = 0, time_ms = 0;
	uint32_t ttl_ms = 0;
	struct pgq_primary *p = &r->primary;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_u64(c, "nonce", true, &nonce, why, wl) ||
	    !fld_u32(c, "ttl_ms", true, RENEW_TTL_MAX_MS, &ttl_ms, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (ttl_ms < RENEW_TTL_MIN_MS)
		return rec_reject(why, wl, "field 'ttl_ms' must be at least %u", RENEW_TTL_MIN_MS);
	/* S4: only the recorded primary of that epoch, only while no loss or demotion. */
	if (check_from_primary(r, name, why, wl) != 0 || check_epoch(r, epoch, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (!holds_lease_state(p->state))
		return rec_reject(why, wl, "no renewal once the primary is %s (S4)",
				  pgq_primary_state_name(p->state));
	if (check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (p->lease_seq >= (uint64_t)INT64_MAX)
		return rec_reject(why, wl, "lease_seq exhausted");
	p->lease_seq++;
	p->lease_nonce = nonce;
	p->lease_ttl_ms = ttl_ms;
	p->renewed_at_ms = time_ms;
	/* S2: the loss timer restarts at this entry, for max(ttl_r, ttl in force). */
	p->lease_timer_index = index;
	p->loss_ttl_ms = ttl_ms > r->cfg.ttl_ms ? ttl_ms : r->cfg.ttl_ms;
	return PGQ_RECORD_APPLIED;
}

int cmd_lease_release(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX], reason[PGQ_RECORD_TEXT_MAX] = "";
	uint64_t epoch = 0, seq = 0, time_ms = 0;
	struct pgq_primary *p = &r->primary;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_str(c, "reason", false, reason, sizeof(reason), why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (check_from_primary(r, name, why, wl) != 0 ||
	    check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (!holds_lease_state(p->state))
		return rec_reject(why, wl, "nothing to release: the primary is %s (S4)",
				  pgq_primary_state_name(p->state));
	/* S5: the agent fenced and verified before sending this. */
	p->state = PGQ_PRIMARY_RELEASED;
	memcpy(p->end_reason, reason, sizeof(reason));
	p->lost_index = index; /* S9: reports for the next primary name this entry */
	p->lost_at_ms = time_ms;
	return PGQ_RECORD_APPLIED;
}

int cmd_primary_lost(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	uint64_t epoch = 0, seq = 0, time_ms = 0;
	struct pgq_primary *p = &r->primary;

	if (!fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (!holds_lease_state(p->state))
		return rec_reject(why, wl, "the primary is already %s (S4)",
				  pgq_primary_state_name(p->state));
	p->state = PGQ_PRIMARY_LOST;
	/* S9: valid reports name this entry. */
	p->lost_index = index;
	p->lost_at_ms = time_ms;
	return PGQ_RECORD_APPLIED;
}

static bool parse_reason(const char *s, enum pgq_change_reason *out)
{
	if (strcmp(s, "failover") == 0)
		*out = PGQ_CHANGE_FAILOVER;
	else if (strcmp(s, "manual") == 0)
		*out = PGQ_CHANGE_MANUAL;
	else if (strcmp(s, "switchover") == 0)
		*out = PGQ_CHANGE_SWITCHOVER;
	else
		return false;
	return true;
}

/* S13 (3)/(4): the switchover path to naming `m`. */
static int check_switchover_naming(const struct pgq_record *r, const struct pgq_member *m,
				   char *why, size_t wl)
{
	const struct pgq_switchover *sw = &r->switchover;
	bool is_old = strcmp(m->name, r->primary.name) == 0;

	if (r->primary.state != PGQ_PRIMARY_DEMOTED || sw->epoch != r->primary.epoch ||
	    !(sw->phase == PGQ_SWITCHOVER_DEMOTED || sw->phase == PGQ_SWITCHOVER_ABORTED))
		return rec_reject(why, wl, "no demoted switchover in epoch %llu (S13)",
				  (unsigned long long)r->primary.epoch);
	if (sw->phase == PGQ_SWITCHOVER_DEMOTED && strcmp(m->name, sw->to) != 0)
		return rec_reject(why, wl, "the switchover target is '%s', not '%s' (S13)", sw->to,
				  m->name);
	/* S13 (3): X has received everything P wrote before its clean shutdown. */
	if (!is_old && (!m->status.reported || m->status.timeline != r->timeline ||
			m->status.flush_lsn < r->primary.final_lsn))
		return rec_reject(why, wl, "'%s' has not reported flush >= final_lsn %llu on "
				  "timeline %u (S13)", m->name,
				  (unsigned long long)r->primary.final_lsn, r->timeline);
	return 0;
}

/*
 * S7, S8: in synchronous mode only a member of S_rec, never with k_rec = 0,
 * once valid reports from |S_rec| - k_rec + 1 members of S_rec are in and
 * the candidate is at least as far as every one of them.
 */
static int check_sync_candidate(const struct pgq_record *r, const struct pgq_member *m,
				char *why, size_t wl)
{
	uint64_t best = 0;
	uint32_t valid = 0, needed;

	if (r->sync.k == 0) {
		/* C18: only the lost primary holds every commit acknowledged under k_rec = 0. */
		if (strcmp(m->name, r->primary.name) == 0)
			return 0;
		/* C18 (b): never promoted: nothing acknowledged past its naming LSN (C11). */
		if (!r->primary.promoted) {
			for (size_t i = r->n_history; i > 0; i--) {
				const struct pgq_history_entry *h = &r->history[i - 1];
				if (h->epoch != r->primary.epoch ||
				    strcmp(h->new_primary, r->primary.name) != 0)
					continue;
				if (h->lsn > 0 && pgq_member_report_lsn(m) >= h->lsn)
					return 0;
				break;
			}
		}
		return rec_reject(why, wl, "synchronous mode with k_rec = 0: failover needs "
				  "allow_data_loss, or the old primary '%s' named again (S7, C18)",
				  r->primary.name);
	}
	if (!rec_sync_set_contains(&r->sync, m->name))
		return rec_reject(why, wl, "member '%s' is not in the recorded synchronous set (S8)",
				  m->name);
	for (uint32_t i = 0; i < r->sync.n; i++) {
		const struct pgq_member *s = pgq_record_member_by_name(r, r->sync.members[i]);

		if (s != NULL && pgq_record_report_valid_for_loss(r, s)) {
			valid++;
			if (pgq_member_report_lsn(s) > best)
				best = pgq_member_report_lsn(s);
		}
	}
	needed = r->sync.n - r->sync.k + 1;
	if (valid < needed)
		return rec_reject(why, wl, "%u valid reports from the synchronous set, %u needed (S8)",
				  valid, needed);
	if (pgq_member_report_lsn(m) < best)
		return rec_reject(why, wl, "'%s' is at %llu, behind %llu reported in the synchronous "
				  "set (S8)", m->name, (unsigned long long)pgq_member_report_lsn(m),
				  (unsigned long long)best);
	return 0;
}

/* Automatic and manual failover: S13, S18, L8, S7, S8, S9. */
static int check_failover_naming(const struct pgq_record *r, const struct pgq_member *m,
				 enum pgq_change_reason reason, bool allow_data_loss,
				 uint64_t time_ms, char *why, size_t wl)
{
	const struct pgq_primary *p = &r->primary;
	bool automatic = reason == PGQ_CHANGE_FAILOVER;

	if (r->switchover.phase == PGQ_SWITCHOVER_DEMOTING ||
	    r->switchover.phase == PGQ_SWITCHOVER_DEMOTED)
		return rec_reject(why, wl, "switchover in progress: abort it first (S13)");
	if (automatic && r->paused)
		return rec_reject(why, wl, "paused: no automatic failover (S18)");
	if (automatic && allow_data_loss)
		return rec_reject(why, wl, "allow_data_loss is for an operator's failover (S18)");
	if (m->tags.nofailover)
		return rec_reject(why, wl, "member '%s' is tagged nofailover (R4)", m->name);
	/*
	 * L8: a primary promoted by a failover that then gave up (its lease did
	 * not lapse) is not replaced automatically again within the backoff.
	 */
	if (automatic && p->promoted &&
	    (p->named_reason == PGQ_CHANGE_FAILOVER || p->named_reason == PGQ_CHANGE_MANUAL) &&
	    (p->state == PGQ_PRIMARY_RELEASED || p->state == PGQ_PRIMARY_DEMOTED) &&
	    time_ms < p->named_at_ms + r->cfg.failover_backoff_ms)
		return rec_reject(why, wl, "failover backoff: %llu ms left (L8)",
				  (unsigned long long)(p->named_at_ms + r->cfg.failover_backoff_ms -
						       time_ms));
	if (allow_data_loss)
		return 0; /* S18: relaxes R2 and R4 only; the lease rules above still hold */
	/* S9: a candidate reported after the loss, on the record's timeline. */
	if (!pgq_record_report_valid_for_loss(r, m))
		return rec_reject(why, wl, "'%s' has no report measured after entry %llu on "
				  "timeline %u (S9)", m->name, (unsigned long long)p->lost_index,
				  r->timeline);
	/*
	 * S7: the recorded set bounds what PostgreSQL may wait for, whatever the
	 * configured mode says. Turning synchronous_mode off (config_patch)
	 * takes effect in the record at once, but PostgreSQL keeps waiting for
	 * S_rec until the primary's agent switched it to async and emptied the
	 * set (remove: PostgreSQL first, record second). Until then, commits
	 * acknowledged by S_rec alone exist, so S8 still decides (review
	 * 2026-11-27, R4).
	 */
	if (r->cfg.synchronous_mode != PGQ_RECORD_SYNC_OFF || r->sync.n > 0 || r->sync.k > 0)
		return check_sync_candidate(r, m, why, wl);
	return 0;
}

int cmd_set_primary(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX], reason_s[16];
	uint64_t epoch = 0, seq = 0, lsn = 0, time_ms = 0;
	bool allow_data_loss = false;
	enum pgq_change_reason reason;
	struct pgq_primary *p = &r->primary;
	const struct pgq_member *m;
	int rc;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_str(c, "reason", true, reason_s, sizeof(reason_s), why, wl) ||
	    !fld_bool(c, "allow_data_loss", false, &allow_data_loss, why, wl) ||
	    !fld_u64(c, "lsn", false, &lsn, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (!parse_reason(reason_s, &reason))
		return rec_reject(why, wl, "field 'reason' must be failover, manual or switchover");
	if (check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (epoch >= (uint64_t)INT64_MAX)
		return rec_reject(why, wl, "epoch exhausted");
	m = rec_member_by_name(r, name);
	if (m == NULL)
		return rec_reject(why, wl, "no member '%s'", name);
	/* S18: a new primary only once P's loss, release, demotion or veto is recorded. */
	if (holds_lease_state(p->state))
		return rec_reject(why, wl, "primary '%s' still holds its lease (S18)", p->name);
	rc = reason == PGQ_CHANGE_SWITCHOVER
		     ? check_switchover_naming(r, m, why, wl)
		     : check_failover_naming(r, m, reason, allow_data_loss, time_ms, why, wl);
	if (rc != 0)
		return rc;
	rc = rec_reserve_history(r);
	if (rc != 0)
		return rc;
	/*
	 * S19: a primary that may have been writable (it held a lease) and
	 * ended without a clean demotion is fenced before the next promotion.
	 */
	if ((p->state == PGQ_PRIMARY_LOST || p->state == PGQ_PRIMARY_RELEASED) &&
	    p->lease_seq > 0 && !rec_fence_contains(r, p->name)) {
		if (r->n_fence >= PGQ_RECORD_MAX_MEMBERS)
			return rec_reject(why, wl, "too many former primaries await fencing (S19)");
		memcpy(r->fence[r->n_fence++], p->name, PGQ_RECORD_NAME_MAX);
	}

	/* S1: naming grants no lease; the leader times the new one from here. */
	memset(p, 0, sizeof(*p));
	p->state = PGQ_PRIMARY_ACTIVE;
	memcpy(p->name, name, sizeof(name));
	p->epoch = epoch + 1;
	p->named_index = index;
	p->named_reason = reason;
	p->named_at_ms = time_ms;
	p->lease_timer_index = index;
	p->loss_ttl_ms = r->cfg.ttl_ms;
	/* S10: a new epoch starts with an empty synchronous set. */
	memset(&r->sync, 0, sizeof(r->sync));
	memset(&r->blocked, 0, sizeof(r->blocked));
	memset(&r->switchover, 0, sizeof(r->switchover));
	struct pgq_history_entry h = { .epoch = epoch + 1, .timeline = r->timeline, .lsn = lsn,
				       .reason = reason, .time_ms = time_ms };
	memcpy(h.new_primary, name, sizeof(name));
	rec_append_history(r, &h);
	return PGQ_RECORD_APPLIED;
}

/* The member named by the previous epoch's history entry, or NULL. */
static const char *previous_primary(const struct pgq_record *r)
{
	for (size_t i = r->n_history; i > 0; i--)
		if (r->history[i - 1].epoch + 1 == r->primary.epoch)
			return r->history[i - 1].new_primary;
	return NULL;
}

int cmd_promoted(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, switch_lsn = 0, time_ms = 0;
	uint32_t tli = 0;
	struct pgq_primary *p = &r->primary;
	const char *prev;
	bool same_timeline;
	int rc;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u32(c, "tli", true, UINT32_MAX, &tli, why, wl) ||
	    !fld_u64(c, "switch_lsn", true, &switch_lsn, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (check_from_primary(r, name, why, wl) != 0 || check_epoch(r, epoch, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (p->state != PGQ_PRIMARY_ACTIVE)
		return rec_reject(why, wl, "the primary is %s, not active (S4)",
				  pgq_primary_state_name(p->state));
	if (p->lease_seq == 0)
		return rec_reject(why, wl, "promotion before the first renewal committed (S1)");
	if (p->promoted)
		return rec_reject(why, wl, "epoch %llu already promoted (S12)",
				  (unsigned long long)epoch);
	/*
	 * S12: a promotion opens a new timeline above every recorded one. The
	 * bootstrap primary, and a former primary restarted after an aborted
	 * switchover, start writable on the timeline they are on.
	 */
	prev = previous_primary(r);
	same_timeline = tli == r->timeline &&
			(epoch == 1 || (prev != NULL && strcmp(prev, name) == 0));
	if (!same_timeline && tli <= r->timeline)
		return rec_reject(why, wl, "timeline %u is not above the recorded timeline %u (S12)",
				  tli, r->timeline);
	if (!same_timeline) {
		rc = rec_reserve_timeline(r);
		if (rc != 0)
			return rc;
		rec_append_timeline(r, &(struct pgq_timeline){ .tli = tli, .parent = r->timeline,
								.switch_lsn = switch_lsn });
		if (r->n_history > 0 && r->history[r->n_history - 1].epoch == epoch)
			r->history[r->n_history - 1].lsn = switch_lsn;
	}
	p->promoted = true;
	/* S19: the fence hook ran for every pending former primary before pg_promote(). */
	r->n_fence = 0;
	memset(r->fence, 0, sizeof(r->fence));
	return PGQ_RECORD_APPLIED;
}

int cmd_vetoed(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX], reason[PGQ_RECORD_TEXT_MAX] = "";
	uint64_t epoch = 0, seq = 0, time_ms = 0;
	struct pgq_primary *p = &r->primary;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_str(c, "reason", false, reason, sizeof(reason), why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (check_from_primary(r, name, why, wl) != 0 ||
	    check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	/* S19: pre_promote runs before pg_promote(): only an unpromoted primary is vetoed. */
	if (p->state != PGQ_PRIMARY_ACTIVE || p->promoted)
		return rec_reject(why, wl, "only an active, not yet promoted primary can be vetoed (S19)");
	p->state = PGQ_PRIMARY_VETOED;
	memcpy(p->end_reason, reason, sizeof(reason));
	p->lost_index = index;
	p->lost_at_ms = time_ms;
	rec_member_by_name(r, name)->vetoed_epoch = epoch;
	return PGQ_RECORD_APPLIED;
}

/*
 * L8: an operator confirms that a former primary is fenced (powered off,
 * isolated) when the required fence of the pending promotion keeps failing.
 * S4: a CAS on the promotion it unblocks — the epoch must be the current
 * one, its primary named but not promoted, its promotion blocked
 * (failover_blocked of this epoch, written by the failed fence) and
 * `member` still awaiting fencing. Not lease_seq: the named primary renews
 * its lease while it waits, and the confirmation is about the epoch's
 * promotion, not about one renewal (docs/safety-changes.md C21). Once the record moved on (promoted,
 * another epoch, the fence succeeded) it is rejected and changes nothing.
 * The epoch's history entry keeps the name (GET /cluster, post-mortems).
 */
int cmd_fence_confirm(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, time_ms = 0;
	const struct pgq_primary *p = &r->primary;
	struct pgq_history_entry *h;
	uint32_t i;

	(void)index;
	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (epoch != p->epoch)
		return rec_reject(why, wl, "epoch %llu is not the current epoch %llu (S4)",
				  (unsigned long long)epoch, (unsigned long long)p->epoch);
	if (p->state != PGQ_PRIMARY_ACTIVE || p->promoted)
		return rec_reject(why, wl, "no promotion is pending in epoch %llu (L8)",
				  (unsigned long long)epoch);
	if (strcmp(name, p->name) == 0)
		return rec_reject(why, wl, "'%s' is the member being promoted, not a former primary",
				  name);
	for (i = 0; i < r->n_fence; i++)
		if (strcmp(r->fence[i], name) == 0)
			break;
	if (i == r->n_fence)
		return rec_reject(why, wl, "'%s' does not await fencing (S19)", name);
	if (!r->blocked.set || r->blocked.epoch != epoch)
		return rec_reject(why, wl, "the promotion of epoch %llu is not blocked by a failing "
				  "fence (L8: confirm only a required fence that keeps failing)",
				  (unsigned long long)epoch);
	memmove(r->fence[i], r->fence[i + 1], (r->n_fence - i - 1) * sizeof(r->fence[0]));
	r->n_fence--;
	memset(r->fence[r->n_fence], 0, sizeof(r->fence[0]));
	/* set_primary appended this epoch's entry; it is the last one. */
	h = r->n_history > 0 ? &r->history[r->n_history - 1] : NULL;
	if (h != NULL && h->epoch == epoch) {
		memcpy(h->fence_confirmed, name, sizeof(name));
		h->fence_confirmed_ms = time_ms;
	}
	return PGQ_RECORD_APPLIED;
}

int cmd_failover_blocked(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char waiting_for[PGQ_RECORD_TEXT_MAX];
	uint64_t epoch = 0, seq = 0, time_ms = 0;
	struct pgq_failover_blocked *b = &r->blocked;

	if (!fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_str(c, "waiting_for", true, waiting_for, sizeof(waiting_for), why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (check_epoch_seq(r, epoch, seq, why, wl) != 0)
		return PGQ_RECORD_REJECTED;
	if (waiting_for[0] == '\0') {
		if (!b->set)
			return rec_reject(why, wl, "no blocked failover to clear (L4)");
		memset(b, 0, sizeof(*b));
		return PGQ_RECORD_APPLIED;
	}
	/*
	 * L4: only a failover that is needed can be blocked — or, S19/L8, the
	 * promotion of a named, not yet promoted primary whose required fence
	 * of a former primary failed (docs/safety-changes.md C16).
	 */
	if (holds_lease_state(r->primary.state) &&
	    !(r->primary.state == PGQ_PRIMARY_ACTIVE && !r->primary.promoted && r->n_fence > 0))
		return rec_reject(why, wl, "no failover needed: the primary holds its lease (L4)");
	if (b->set && strcmp(b->waiting_for, waiting_for) == 0)
		return rec_reject(why, wl, "failover already blocked for the same reason (L4)");
	if (!b->set || b->epoch != epoch)
		b->since_ms = time_ms;
	b->set = true;
	b->epoch = epoch;
	memcpy(b->waiting_for, waiting_for, sizeof(waiting_for));
	return PGQ_RECORD_APPLIED;
}

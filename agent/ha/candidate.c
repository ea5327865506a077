/*
 * candidate.c — who may become primary after a loss (SAFETY.md S8, S9, R4,
 * L5), decided from the record alone.
 *
 * The rule, every mode: collect the valid reports (S9: measured after the
 * loss entry, on the record's timeline); in synchronous mode only those of
 * S_rec count and at least |S_rec| − k_rec + 1 are needed. The most advanced
 * reporter sets the bar: the candidate is the first *eligible* member at
 * that LSN in R4 order. If none at that LSN is eligible, nobody is promoted
 * (S8): the others catch up from the most advanced member first.
 */
#include <stdio.h>
#include <string.h>

#include "ha/candidate.h"
#include "ha/lease.h"

static uint64_t report_lsn(const struct pgq_member *m)
{
	return pgq_member_report_lsn(m);
}

static uint64_t replay_backlog(const struct pgq_member *m)
{
	return pgq_ha_sub_sat(m->status.receive_lsn, m->status.replay_lsn);
}

int pgq_ha_candidate_cmp(const struct pgq_member *a, const struct pgq_member *b)
{
	uint64_t la = report_lsn(a), lb = report_lsn(b);

	if (la != lb)
		return la > lb ? -1 : 1;              /* R4: highest LSN first */
	if (replay_backlog(a) != replay_backlog(b))   /* L5: less replay left first */
		return replay_backlog(a) < replay_backlog(b) ? -1 : 1;
	if (a->tags.failover_priority != b->tags.failover_priority)
		return a->tags.failover_priority > b->tags.failover_priority ? -1 : 1;
	return strcmp(a->name, b->name);              /* R4: then name */
}

/* The LSN the old primary last reported on the current timeline, 0 if none. */
static uint64_t old_primary_lsn(const struct pgq_record *r)
{
	const struct pgq_member *p = pgq_record_primary_member(r);
	uint64_t lsn;

	if (p == NULL || !p->status.reported || strcmp(p->status.role, "primary") != 0 ||
	    p->status.timeline != pgq_record_timeline(r))
		return 0;
	lsn = report_lsn(p);
	return p->status.flush_lsn > lsn ? p->status.flush_lsn : lsn;
}

/*
 * R4, S8: the old primary's agent reported again after the loss, but not yet
 * a valid report (S9). Its new status replaced the last position it reported
 * as primary, so the lag reference is gone until it is measured: it has
 * everything it wrote and becomes a candidate once it runs read-only.
 */
static bool old_primary_unmeasured(const struct pgq_record *r)
{
	const struct pgq_member *p = pgq_record_primary_member(r);

	return p != NULL && p->status.reported &&
	       p->status.report_index > pgq_record_primary(r)->lost_index &&
	       !pgq_record_report_valid_for_loss(r, p);
}

/* Why `m` cannot be promoted ("" when it can), lag and the sync set aside. */
static const char *ineligible_any(const struct pgq_record *r, const struct pgq_member *m,
				  uint64_t wall_ms, bool sync)
{
	const struct pgq_primary *p = pgq_record_primary(r);

	if (m->tags.nofailover)
		return "nofailover";
	/* S19: not the next candidate; retried only after failover_backoff (C10). */
	if (p->state == PGQ_PRIMARY_VETOED && m->vetoed_epoch == p->epoch &&
	    wall_ms < pgq_ha_add_sat(p->lost_at_ms, pgq_record_config(r)->failover_backoff_ms))
		return "vetoed";
	if (strcmp(m->status.state, "running") != 0)
		return "not running";
	if (sync && !pgq_record_in_sync_set(r, m->name))
		return "not in the sync set";
	/*
	 * Only a server that reported itself in recovery: a former primary whose
	 * lease ended uncleanly qualifies once it runs read-only (it fenced
	 * itself, S5) — it then has everything it wrote.
	 */
	if (strcmp(m->status.role, "replica") != 0)
		return "not a replica";
	return "";
}

/* Why `m` cannot be promoted ("" when it can), lag aside. */
static const char *ineligible(const struct pgq_record *r, const struct pgq_member *m,
			      uint64_t wall_ms)
{
	return ineligible_any(r, m, wall_ms,
			      pgq_record_config(r)->synchronous_mode != PGQ_RECORD_SYNC_OFF);
}

/*
 * S7 says k_rec = 0 means no automatic failover: no standby is known to
 * hold every acknowledged commit. The lost primary itself does (C18): with
 * k_rec = 0 nothing was acknowledged that it had not flushed, and it had
 * everything when it was named (S8). So it alone may be named again, once
 * it runs read-only and its report is valid (S9; it fenced itself, C9).
 */
/* The LSN the current epoch's primary was named at (history), 0 when unknown. */
static uint64_t naming_lsn(const struct pgq_record *r)
{
	const struct pgq_primary *p = pgq_record_primary(r);

	for (size_t i = pgq_record_history_count(r); i > 0; i--) {
		const struct pgq_history_entry *h = pgq_record_history_at(r, i - 1);
		if (h->epoch == p->epoch && strcmp(h->new_primary, p->name) == 0)
			return h->lsn;
	}
	return 0;
}

/*
 * C18 (b): a primary that never committed promoted{} in its epoch
 * acknowledged nothing in it (C11): every acknowledged commit is at or
 * below the LSN it was named at, on the record's timeline. Any eligible
 * member with a valid report at or past that LSN holds them all.
 */
static bool choose_k0_unpromoted(const struct pgq_record *r, uint64_t wall_ms,
				 struct pgq_ha_choice *out)
{
	uint64_t at = naming_lsn(r);
	const struct pgq_member *best = NULL;

	if (pgq_record_primary(r)->promoted || at == 0)
		return false;
	for (size_t i = 0; i < pgq_record_member_count(r); i++) {
		const struct pgq_member *m = pgq_record_member_at(r, i);

		if (!pgq_record_report_valid_for_loss(r, m) || report_lsn(m) < at ||
		    ineligible_any(r, m, wall_ms, false)[0] != '\0')
			continue;
		if (best == NULL || pgq_ha_candidate_cmp(m, best) < 0)
			best = m;
	}
	if (best == NULL)
		return false;
	out->kind = PGQ_CHOICE_PROMOTE;
	out->valid_reports = 1;
	memcpy(out->name, best->name, sizeof(out->name));
	out->lsn = report_lsn(best);
	return true;
}

static void choose_k0(const struct pgq_record *r, uint64_t wall_ms, struct pgq_ha_choice *out)
{
	const struct pgq_member *op = pgq_record_primary_member(r);
	const char *why;

	out->kind = PGQ_CHOICE_BLOCKED;
	if (choose_k0_unpromoted(r, wall_ms, out))
		return;
	if (op == NULL) {
		snprintf(out->why, sizeof(out->why),
			 "synchronous mode with k_rec = 0: no automatic failover (S7)");
		return;
	}
	if (!pgq_record_report_valid_for_loss(r, op)) {
		snprintf(out->why, sizeof(out->why),
			 "synchronous mode with k_rec = 0: only '%s' may be named again, once it "
			 "reports read-only (S7, C18)", op->name);
		return;
	}
	why = ineligible_any(r, op, wall_ms, false);
	if (why[0] != '\0') {
		snprintf(out->why, sizeof(out->why),
			 "synchronous mode with k_rec = 0: '%s' is %s (S7, C18)", op->name, why);
		return;
	}
	out->kind = PGQ_CHOICE_PROMOTE;
	out->valid_reports = 1;
	memcpy(out->name, op->name, sizeof(out->name));
	out->lsn = report_lsn(op);
}

void pgq_ha_choose(const struct pgq_record *r, bool final, uint64_t wall_ms,
		   struct pgq_ha_choice *out)
{
	const struct pgq_dyn_config *cfg = pgq_record_config(r);
	const struct pgq_sync_set *s = pgq_record_sync_set(r);
	bool sync = cfg->synchronous_mode != PGQ_RECORD_SYNC_OFF;
	const struct pgq_member *rep[PGQ_RECORD_MAX_MEMBERS];
	size_t n = 0;
	uint64_t top, ref;

	memset(out, 0, sizeof(*out));
	if (pgq_record_primary(r)->lost_index == 0) {
		out->kind = PGQ_CHOICE_WAIT;
		snprintf(out->why, sizeof(out->why), "no loss recorded");
		return;
	}
	if (sync && s->k == 0) {
		choose_k0(r, wall_ms, out);
		return;
	}
	for (size_t i = 0; i < pgq_record_member_count(r); i++) {
		const struct pgq_member *m = pgq_record_member_at(r, i);

		if (!pgq_record_report_valid_for_loss(r, m))
			continue;
		if (sync && !pgq_record_in_sync_set(r, m->name))
			continue; /* S8: only S_rec's reports bound what was acknowledged */
		rep[n++] = m;
	}
	out->valid_reports = (uint32_t)n;
	if (sync && n < (size_t)(s->n - s->k + 1)) {
		out->kind = final ? PGQ_CHOICE_BLOCKED : PGQ_CHOICE_WAIT;
		snprintf(out->why, sizeof(out->why),
			 "%zu valid reports from the synchronous set, %u needed (S8)", n,
			 s->n - s->k + 1);
		return;
	}
	if (n == 0 || !final) {
		out->kind = final ? PGQ_CHOICE_BLOCKED : PGQ_CHOICE_WAIT;
		snprintf(out->why, sizeof(out->why), n == 0 ? "no valid report after the loss (S9)"
							     : "waiting for reports (S9)");
		return;
	}
	if (old_primary_unmeasured(r)) {
		out->kind = PGQ_CHOICE_BLOCKED;
		snprintf(out->why, sizeof(out->why),
			 "old primary '%s' is back: waiting for its report after the loss (R4, S9)",
			 pgq_record_primary(r)->name);
		return;
	}
	/* Insertion sort in R4 order: at most 16 members. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && pgq_ha_candidate_cmp(rep[j], rep[j - 1]) < 0; j--) {
			const struct pgq_member *t = rep[j];

			rep[j] = rep[j - 1];
			rep[j - 1] = t;
		}
	top = report_lsn(rep[0]);
	ref = old_primary_lsn(r);
	if (ref < top)
		ref = top;
	/* R4: maximum_lag_on_failover against the best LSN known for the old primary. */
	if (ref - top > cfg->maximum_lag_on_failover_bytes) {
		out->kind = PGQ_CHOICE_BLOCKED;
		snprintf(out->why, sizeof(out->why),
			 "most advanced '%s' lags %llu bytes > maximum_lag_on_failover (R4)",
			 rep[0]->name, (unsigned long long)(ref - top));
		return;
	}
	for (size_t i = 0; i < n && report_lsn(rep[i]) == top; i++) {
		if (ineligible(r, rep[i], wall_ms)[0] == '\0') {
			out->kind = PGQ_CHOICE_PROMOTE;
			memcpy(out->name, rep[i]->name, sizeof(out->name));
			out->lsn = top;
			return;
		}
	}
	/* S8: the most advanced cannot be promoted: nobody, until someone catches up. */
	out->kind = PGQ_CHOICE_BLOCKED;
	memcpy(out->catchup_from, rep[0]->name, sizeof(out->catchup_from));
	out->catchup_lsn = top;
	snprintf(out->why, sizeof(out->why),
		 "most advanced '%s' (%llu) is %s: an eligible member must catch up (S8)",
		 rep[0]->name, (unsigned long long)top, ineligible(r, rep[0], wall_ms));
}

/*
 * member_report.c — the member's status report (SAFETY.md S9): periodic,
 * and right after a loss a report measured after it (WAL receiver stopped,
 * replay stopped), which names the loss entry; a member on timelines the
 * record never saw reports what it holds of the recorded one (C11).
 */
#include <string.h>

#include "ha/member_internal.h"
#include "record/record_cmd.h"

static bool tli_recorded(const struct pgq_record *r, uint32_t tli)
{
	for (size_t i = 0; i < pgq_record_timeline_count(r); i++)
		if (pgq_record_timeline_at(r, i)->tli == tli)
			return true;
	return false;
}

/*
 * C11: on a timeline the record never saw, descended from the record's
 * current one through unrecorded timelines only. Such timelines come from
 * promotions whose promoted{} never committed, which accepted no client
 * writes: *end_lsn is where this member's copy of the recorded timeline ends.
 */
static bool unrecorded_descendant(const struct mctx *c, uint64_t *end_lsn)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;
	uint32_t cur = pgq_record_timeline(c->r);

	if (cur == 0 || pg->timeline <= cur || tli_recorded(c->r, pg->timeline))
		return false;
	for (size_t i = pg->n_history < PGQ_HA_HISTORY_MAX ? pg->n_history : PGQ_HA_HISTORY_MAX;
	     i > 0; i--) {
		const struct pgq_ha_tli_end *h = &pg->history[i - 1];

		if (h->tli == cur) {
			*end_lsn = h->end_lsn;
			return true;
		}
		if (tli_recorded(c->r, h->tli))
			return false; /* left through another recorded timeline */
	}
	return false;
}

static const char *state_text(enum pgq_ha_local l, const struct pgq_ha_pg_obs *pg)
{
	switch (l) {
	case PGQ_LOCAL_NO_DATA: return "no data";
	case PGQ_LOCAL_BAD_DATA: return "bad data";
	case PGQ_LOCAL_REWINDING: return "rewinding";
	case PGQ_LOCAL_STOPPED: return "stopped";
	case PGQ_LOCAL_CRASHED: return "crashed";
	case PGQ_LOCAL_HUNG: return "not answering";
	case PGQ_LOCAL_STANDBY: return "running";
	case PGQ_LOCAL_WRITABLE: return pg->run == PGQ_PGRUN_RUNNING ? "running" : "not answering";
	case PGQ_LOCAL__COUNT: break;
	}
	return "unknown";
}

/*
 * S9: a report names the loss only when measured after it: our WAL receiver
 * no longer streams from the lost primary (it is stopped, or points at the
 * member S8 says to catch up from) and replay stopped advancing.
 */
static bool report_is_for_loss(const struct mctx *c, const char *catchup_from)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;

	if (m_holds_lease(c->p->state) || c->p->lost_index == 0 || c->d->local != PGQ_LOCAL_STANDBY)
		return false;
	if (pg->receiver_configured &&
	    (catchup_from == NULL || strcmp(pg->upstream, catchup_from) != 0))
		return false;
	return pg->replay_stopped;
}

/*
 * The demoted primary's switchover names us, we flushed its final_lsn on the
 * recorded timeline, and the record does not know it yet.
 */
static bool switchover_target_caught_up(const struct mctx *c)
{
	const struct pgq_switchover *sw = pgq_record_switchover(c->r);
	const struct pgq_member *me = pgq_record_member_by_name(c->r, c->in->me);
	const struct pgq_ha_pg_obs *pg = &c->in->pg;

	if (me == NULL || sw->phase != PGQ_SWITCHOVER_DEMOTED || sw->epoch != c->p->epoch ||
	    c->p->state != PGQ_PRIMARY_DEMOTED || strcmp(sw->to, c->in->me) != 0 ||
	    c->d->local != PGQ_LOCAL_STANDBY)
		return false;
	if (pg->timeline != pgq_record_timeline(c->r) || pg->flush_lsn < c->p->final_lsn)
		return false;
	return !(me->status.reported && me->status.timeline == pgq_record_timeline(c->r) &&
		 me->status.flush_lsn >= c->p->final_lsn);
}

void m_maybe_report(struct mctx *c, const char *catchup_from)
{
	struct pgq_ha_member_state *st = c->st;
	const struct pgq_ha_pg_obs *pg = &c->in->pg;
	const struct pgq_member *prim = pgq_record_primary_member(c->r);
	bool for_loss = report_is_for_loss(c, catchup_from);
	uint64_t now = c->in->now_ms, lsn, due, end = 0;
	struct pgq_cmd_report rep;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	due = pgq_ha_add_sat(st->last_report_ms, c->cfg->loop_wait_ms);
	/* A valid loss report goes out at once, then again each resend interval until recorded. */
	if (for_loss && !pgq_record_report_valid_for_loss(c->r,
			pgq_record_member_by_name(c->r, c->in->me))) {
		uint64_t resend = pgq_ha_add_sat(st->last_report_ms, m_resend_interval_ms(c->cfg));

		if (st->report_loss_index != c->p->lost_index || resend < due)
			due = st->report_loss_index != c->p->lost_index ? now : resend;
	}
	/*
	 * S13 (3): the switchover target's report that it flushed final_lsn is
	 * what promotes it: sent as soon as it holds, again every 100 ms until
	 * recorded, not after a whole loop_wait (a switchover-time cut).
	 */
	if (switchover_target_caught_up(c)) {
		uint64_t resend = pgq_ha_add_sat(st->last_report_ms, 100);

		if (resend < due)
			due = resend;
	}
	if (st->last_report_ms != 0 && now < due) {
		m_check_by(c, due);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.member = c->in->me;
	rep.role = c->d->local == PGQ_LOCAL_WRITABLE  ? "primary"
		   : c->d->local == PGQ_LOCAL_STANDBY ? "replica"
						      : "unknown";
	rep.state = state_text(c->d->local, pg);
	rep.timeline = pg->timeline;
	rep.receive_lsn = pg->receive_lsn;
	rep.replay_lsn = pg->replay_lsn;
	rep.flush_lsn = pg->flush_lsn;
	if (unrecorded_descendant(c, &end)) {
		/* C11: report what it has of the recorded timeline, so it can be a candidate. */
		rep.timeline = pgq_record_timeline(c->r);
		rep.receive_lsn = rep.replay_lsn = rep.flush_lsn = end;
	}
	lsn = rep.receive_lsn > rep.replay_lsn ? rep.receive_lsn : rep.replay_lsn;
	if (c->d->local == PGQ_LOCAL_STANDBY && prim != NULL && !m_named(c))
		rep.lag_bytes = pgq_ha_sub_sat(prim->status.flush_lsn, lsn);
	rep.pending_restart = pg->pending_restart && c->d->local != PGQ_LOCAL_STOPPED;
	rep.report_for_loss = for_loss ? c->p->lost_index : 0;
	rep.time_ms = c->in->wall_ms;
	rc = pgq_cmd_member_report(&rep, &buf, &len);
	m_add(c, rc, buf, len, "member_report", for_loss ? "S9: valid report after the loss"
							: "periodic status report");
	st->last_report_ms = now;
	if (for_loss)
		st->report_loss_index = c->p->lost_index;
	m_check_by(c, pgq_ha_add_sat(now, for_loss ? m_resend_interval_ms(c->cfg)
						   : c->cfg->loop_wait_ms));
}

/*
 * decide_member.c — the member decision's driver: classify the local
 * PostgreSQL and the goal the record sets, apply the safety rules that come
 * before any table row (S5: no writable PostgreSQL without a valid lease;
 * S4: nothing but safety before catching up with the leader), run the
 * matching row of the convergence table (member_table.c), and add the
 * lease renewal (member_renew.c) and the status report (member_report.c)
 * that are due.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ha/candidate.h"
#include "ha/member_internal.h"
#include "record/record_cmd.h"

bool m_holds_lease(enum pgq_primary_state s)
{
	return s == PGQ_PRIMARY_ACTIVE || s == PGQ_PRIMARY_DEMOTING;
}

void m_act(struct mctx *c, enum pgq_ha_action a, const char *fmt, ...)
{
	va_list ap;

	c->d->action = a;
	va_start(ap, fmt);
	vsnprintf(c->d->comment, sizeof(c->d->comment), fmt, ap);
	va_end(ap);
}

void m_check_by(struct mctx *c, uint64_t t)
{
	if (t < c->d->next_check_ms)
		c->d->next_check_ms = t;
}

bool m_named(const struct mctx *c)
{
	return strcmp(c->p->name, c->in->me) == 0;
}

/* S18: pause stops automatic actions on PostgreSQL (not safety, not the primary's lease). */
bool m_paused_skip(struct mctx *c)
{
	if (!pgq_record_paused(c->r) || c->in->operator_start)
		return false;
	m_act(c, PGQ_HA_NONE, "paused: no automatic action (S18)");
	return true;
}

void m_add(struct mctx *c, int rc, uint8_t *buf, size_t len, const char *name,
	   const char *reason)
{
	int r = pgq_ha_cmds_add(&c->d->cmds, rc, buf, len, name, "%s", reason);

	if (r != 0 && c->rc == 0)
		c->rc = r;
}

void m_propose_release(struct mctx *c, const char *reason)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_lease_release(c->in->me, c->p->epoch, c->p->lease_seq, reason,
				       c->in->wall_ms, &buf, &len);

	m_add(c, rc, buf, len, "lease_release", reason);
}

void m_propose_vetoed(struct mctx *c, const char *reason)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_vetoed(c->in->me, c->p->epoch, c->p->lease_seq, reason, c->in->wall_ms,
				&buf, &len);

	m_add(c, rc, buf, len, "vetoed", reason);
}

void m_propose_promoted(struct mctx *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_promoted(c->in->me, c->p->epoch, c->in->pg.timeline, c->in->pg.switch_lsn,
				  c->in->wall_ms, &buf, &len);

	m_add(c, rc, buf, len, "promoted", "S12: writable on the new timeline");
}

void m_propose_demoted(struct mctx *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pgq_cmd_demoted(c->in->me, c->p->epoch, c->p->lease_seq, c->in->pg.checkpoint_lsn,
				 c->in->pg.timeline, c->in->wall_ms, &buf, &len);

	m_add(c, rc, buf, len, "demoted", "S13 (2): clean shutdown verified, final_lsn known");
}

/* The member named by the previous epoch's history entry, or NULL. */
static const char *previous_primary(const struct pgq_record *r, uint64_t epoch)
{
	for (size_t i = pgq_record_history_count(r); i > 0; i--) {
		const struct pgq_history_entry *h = pgq_record_history_at(r, i - 1);

		if (h->epoch + 1 == epoch)
			return h->new_primary;
	}
	return NULL;
}

bool m_same_timeline_start(const struct mctx *c)
{
	const char *prev;

	if (c->in->pg.timeline != pgq_record_timeline(c->r))
		return false;
	if (c->p->epoch == 1)
		return true; /* the bootstrap primary starts writable on timeline 1 */
	/* A former primary named again after an aborted switchover, cleanly stopped. */
	prev = previous_primary(c->r, c->p->epoch);
	return prev != NULL && strcmp(prev, c->in->me) == 0 && c->in->pg.clean_shutdown;
}

static const struct pgq_timeline *timeline_by_tli(const struct pgq_record *r, uint32_t tli)
{
	for (size_t i = 0; i < pgq_record_timeline_count(r); i++)
		if (pgq_record_timeline_at(r, i)->tli == tli)
			return pgq_record_timeline_at(r, i);
	return NULL;
}

static uint64_t local_end_lsn(const struct pgq_ha_pg_obs *pg)
{
	uint64_t m = pg->flush_lsn;

	if (pg->receive_lsn > m)
		m = pg->receive_lsn;
	if (pg->replay_lsn > m)
		m = pg->replay_lsn;
	if (pg->checkpoint_lsn > m)
		m = pg->checkpoint_lsn;
	return m;
}

enum divergence m_divergence(const struct mctx *c)
{
	const struct pgq_record *r = c->r;
	uint32_t mine = c->in->pg.timeline, cur = pgq_record_timeline(r);
	const struct pgq_timeline *t;

	if (mine == cur)
		return DIV_NONE;
	/* S12: a timeline the record never saw means a promotion without promoted{}: re-clone. */
	if (mine > cur || timeline_by_tli(r, mine) == NULL)
		return DIV_RECLONE;
	/* Walk the recorded chain back from the current timeline to the child of ours. */
	t = timeline_by_tli(r, cur);
	for (size_t guard = 0; t != NULL && guard <= pgq_record_timeline_count(r); guard++) {
		if (t->parent == mine)
			return local_end_lsn(&c->in->pg) > t->switch_lsn ? DIV_REWIND : DIV_NONE;
		t = timeline_by_tli(r, t->parent);
	}
	return DIV_RECLONE; /* ours is not an ancestor of the current timeline */
}

enum pgq_ha_local pgq_ha_classify_local(const struct pgq_ha_pg_obs *pg, const char *system_id)
{
	switch (pg->data) {
	case PGQ_PGDATA_MISSING:
		return PGQ_LOCAL_NO_DATA;
	case PGQ_PGDATA_INVALID:
		return PGQ_LOCAL_BAD_DATA;
	case PGQ_PGDATA_REWINDING:
		return PGQ_LOCAL_REWINDING;
	case PGQ_PGDATA_VALID:
		break;
	}
	/* S15: never touch a data directory of another database system. */
	if (system_id != NULL && system_id[0] != '\0' && pg->system_id[0] != '\0' &&
	    strcmp(system_id, pg->system_id) != 0)
		return PGQ_LOCAL_BAD_DATA;
	switch (pg->run) {
	case PGQ_PGRUN_STOPPED:
		return PGQ_LOCAL_STOPPED;
	case PGQ_PGRUN_CRASHED:
		return PGQ_LOCAL_CRASHED;
	case PGQ_PGRUN_RUNNING:
		return pg->in_recovery ? PGQ_LOCAL_STANDBY : PGQ_LOCAL_WRITABLE;
	case PGQ_PGRUN_NOT_ANSWERING:
		return pg->in_recovery ? PGQ_LOCAL_HUNG : PGQ_LOCAL_WRITABLE;
	}
	return PGQ_LOCAL_BAD_DATA;
}

static enum pgq_ha_goal classify_goal(const struct mctx *c)
{
	const struct pgq_primary *p = c->p;
	uint64_t now = c->in->now_ms;

	if (!pgq_record_bootstrapped(c->r) || pgq_record_member_by_name(c->r, c->in->me) == NULL ||
	    p->state == PGQ_PRIMARY_NONE)
		return PGQ_GOAL_IDLE;
	if (!m_named(c)) {
		if (m_holds_lease(p->state))
			return p->promoted ? PGQ_GOAL_FOLLOW : PGQ_GOAL_WAIT;
		return PGQ_GOAL_REPORT;
	}
	switch (p->state) {
	case PGQ_PRIMARY_ACTIVE:
		if (c->st->fenced_epoch == p->epoch)
			return PGQ_GOAL_RELEASE;
		/*
		 * S15/S1 (C14): the bootstrap member with no data runs initdb first,
		 * whatever its lease says (a lease claimed before a failed initdb
		 * must not turn into a veto of the only member that can initialise).
		 */
		if (p->epoch == 1 && !p->promoted && c->in->pg.data == PGQ_PGDATA_MISSING)
			return PGQ_GOAL_BOOTSTRAP;
		if (!pgq_lease_valid(&c->st->lease, p->epoch, now))
			return PGQ_GOAL_CLAIM;
		return p->promoted ? PGQ_GOAL_PRIMARY : PGQ_GOAL_PROMOTE;
	case PGQ_PRIMARY_DEMOTING:
		return PGQ_GOAL_DEMOTE;
	default:
		return PGQ_GOAL_REPORT;
	}
}

/* PostgreSQL may accept writes: it said so, or we asked it to become writable (S1). */
static bool may_write_locally(const struct mctx *c)
{
	if (c->d->local == PGQ_LOCAL_WRITABLE)
		return true;
	return m_named(c) && c->st->promote_epoch == c->p->epoch && c->p->epoch != 0 &&
	       (c->d->local == PGQ_LOCAL_STANDBY || c->d->local == PGQ_LOCAL_HUNG);
}

/* A valid lease for the recorded epoch, with the fast-stop margin still ahead. */
bool m_writable_allowed(const struct mctx *c)
{
	const struct pgq_lease *l = &c->st->lease;
	uint64_t stop_at;

	if (!m_named(c) || !m_holds_lease(c->p->state) || l->epoch != c->p->epoch || !l->held)
		return false;
	/* S5, S13: once we fenced in this epoch, never writable again (a switchover stop aside). */
	if (c->st->fenced_epoch == c->p->epoch && c->p->state != PGQ_PRIMARY_DEMOTING)
		return false;
	stop_at = pgq_ha_sub_sat(l->lease_end_ms, c->in->timing.stop_budget_ms >
							  c->in->timing.kill_budget_ms
						  ? c->in->timing.stop_budget_ms
						  : c->in->timing.kill_budget_ms);
	return c->in->now_ms < stop_at;
}

/* S5: fence a PostgreSQL that may write without a valid lease. Returns true when it acted. */
static bool safety_fence(struct mctx *c)
{
	const struct pgq_lease *l = &c->st->lease;
	const struct pgq_ha_timing *t = &c->in->timing;
	enum pgq_fence_step step;

	if (!may_write_locally(c))
		return false;
	if (m_writable_allowed(c)) {
		c->d->may_be_writable = true;
		m_check_by(c, pgq_lease_next_fence_ms(l->lease_end_ms, t->stop_budget_ms,
						      t->kill_budget_ms, c->in->now_ms));
		return false;
	}
	step = pgq_lease_fence_step(l->held ? l->lease_end_ms : 0, t->stop_budget_ms,
				    t->kill_budget_ms, c->in->now_ms);
	if (step == PGQ_FENCE_NONE)
		step = PGQ_FENCE_FAST_STOP; /* lease fine by our clock, but the record ended it */
	if (l->held)
		m_check_by(c, pgq_lease_next_fence_ms(l->lease_end_ms, t->stop_budget_ms,
						      t->kill_budget_ms, c->in->now_ms));
	/* Never writable again in this epoch: release once verified (goal RELEASE). */
	if (m_named(c) && m_holds_lease(c->p->state))
		c->st->fenced_epoch = c->p->epoch;
	c->d->row = "S5-fence";
	c->d->standby_signal = true;
	m_act(c, step == PGQ_FENCE_KILL ? PGQ_HA_KILL
		 : step == PGQ_FENCE_IMMEDIATE_STOP ? PGQ_HA_IMMEDIATE_STOP
						    : PGQ_HA_FAST_STOP,
	      "S5: PostgreSQL may be writable without a valid lease for epoch %llu: %s",
	      (unsigned long long)c->p->epoch, pgq_fence_step_name(step));
	return true;
}

/*
 * Before asking PostgreSQL to become writable: the lease must cover at
 * least the fast-stop margin (S1, S5), and the runtime must wake us at the
 * next fence step. Returns false (and says why) when it does not.
 */
bool m_may_become_writable(struct mctx *c)
{
	const struct pgq_lease *l = &c->st->lease;

	if (!m_writable_allowed(c)) {
		m_act(c, PGQ_HA_NONE, "S1/S5: lease too close to its end to become writable; renewing");
		return false;
	}
	m_check_by(c, pgq_lease_next_fence_ms(l->lease_end_ms, c->in->timing.stop_budget_ms,
					      c->in->timing.kill_budget_ms, c->in->now_ms));
	return true;
}

/* S8: whom to catch up from while a failover is blocked on the most advanced member. */
const char *m_catchup_source(struct mctx *c, char *buf, size_t len)
{
	struct pgq_ha_choice ch;

	if (m_holds_lease(c->p->state) || c->p->lost_index == 0)
		return NULL;
	pgq_ha_choose(c->r, true, c->in->wall_ms, &ch);
	if (ch.kind != PGQ_CHOICE_BLOCKED || ch.catchup_from[0] == '\0')
		return NULL;
	snprintf(buf, len, "%s", ch.catchup_from);
	return buf;
}

static void run_table(struct mctx *c)
{
	size_t n, nh;
	const struct pgq_ha_row *rows = pgq_ha_member_table(&n);
	const row_fn *fns = member_row_handlers(&nh);

	for (size_t i = 0; i < n && i < nh; i++) {
		if (rows[i].local != PGQ_LOCAL__COUNT && rows[i].local != c->d->local)
			continue;
		if (rows[i].goal != PGQ_GOAL__COUNT && rows[i].goal != c->d->goal)
			continue;
		c->d->row = rows[i].id;
		c->d->action = rows[i].action;
		snprintf(c->d->comment, sizeof(c->d->comment), "%s", rows[i].comment);
		fns[i](c);
		return;
	}
	c->d->row = "none";
	m_act(c, PGQ_HA_NONE, "no row for (%s, %s)", pgq_ha_local_name(c->d->local),
	      pgq_ha_goal_name(c->d->goal));
}

int pgq_ha_decide_member(const struct pgq_record *r, struct pgq_ha_member_state *st,
			 const struct pgq_ha_member_input *in, struct pgq_ha_member_decision *d,
			 char *err, size_t errlen)
{
	struct mctx c = { .r = r, .p = pgq_record_primary(r), .cfg = pgq_record_config(r),
			  .st = st, .in = in, .d = d };
	char from[PGQ_RECORD_NAME_MAX];
	const char *catchup;

	memset(d, 0, sizeof(*d));
	pgq_ha_cmds_init(&d->cmds);
	d->next_check_ms = UINT64_MAX;
	d->epoch = c.p->epoch;
	d->row = "none";
	/* The record shows our renewal accepted: that is what grants the lease (S1, S2). */
	if (m_named(&c) && c.p->lease_seq > 0)
		pgq_lease_committed(&st->lease, c.p->epoch, c.p->lease_seq, c.p->lease_nonce);
	d->local = pgq_ha_classify_local(&in->pg, pgq_record_system_id(r));
	/*
	 * A promotion asked of a server that has since stopped died with it
	 * (PostgreSQL removes promote signal files at start): forget it, or a
	 * read-only restart would be fenced again and again.
	 */
	if (in->pg.fenced && in->pg.run != PGQ_PGRUN_RUNNING &&
	    in->pg.run != PGQ_PGRUN_NOT_ANSWERING)
		st->promote_epoch = 0;
	d->goal = classify_goal(&c);
	if (safety_fence(&c))
		goto out;
	if (!in->caught_up) {
		d->row = "S4-catch-up";
		m_act(&c, PGQ_HA_NONE, "S4: not yet applied up to the leader's ReadIndex");
		goto out;
	}
	if (d->goal == PGQ_GOAL_IDLE) {
		run_table(&c);
		goto out;
	}
	m_maybe_renew(&c);
	run_table(&c);
	/* C11: client writes only on a promotion the record knows (S12). */
	d->accept_writes = d->may_be_writable && d->goal == PGQ_GOAL_PRIMARY &&
			   (d->action == PGQ_HA_NONE || d->action == PGQ_HA_WRITE_STANDBY_SIGNAL);
	catchup = m_catchup_source(&c, from, sizeof(from));
	m_maybe_report(&c, catchup);
out:
	if (c.rc != 0) {
		snprintf(err, errlen, "member decision: %s", pgq_record_strerror(c.rc));
		pgq_ha_cmds_free(&d->cmds);
		return c.rc;
	}
	return 0;
}

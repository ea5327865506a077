/*
 * member_table.c — the convergence table: (local state, goal) → action.
 *
 * The first row whose local state and goal match fires (PGQ_LOCAL__COUNT
 * and PGQ_GOAL__COUNT match anything). A row's handler may refine the
 * action (e.g. run the fence hook before promoting) and add commands; it
 * never reads a clock or touches PostgreSQL. Each row is safe to repeat:
 * the same observation gives the same action, and the action's effect
 * moves the observation to the next row. docs/ha.md prints this table.
 */
#include <stdio.h>
#include <string.h>

#include "ha/member_internal.h"

#define ANY_L PGQ_LOCAL__COUNT
#define REPLAY_STOP_POLL_MS 100
#define ANY_G PGQ_GOAL__COUNT

static const struct pgq_ha_row rows[] = {
	{ "idle", ANY_L, PGQ_GOAL_IDLE, PGQ_HA_NONE,
	  "not bootstrapped, not a member, or no managed primary" },
	{ "bootstrap-initdb", PGQ_LOCAL_NO_DATA, PGQ_GOAL_BOOTSTRAP, PGQ_HA_INITDB,
	  "S15: named for epoch 1 with an empty data directory: initdb, then claim the lease (S1)" },
	{ "claim-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_CLAIM, PGQ_HA_START_STANDBY,
	  "S1: named, no lease yet: start read-only with no upstream while the renewal commits" },
	{ "claim-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_CLAIM, PGQ_HA_NONE,
	  "S1: named, renewal sent; no pg_promote() before it commits" },
	{ "claim-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_CLAIM, PGQ_HA_RESTART,
	  "named, no lease: restart read-only (standby.signal)" },
	{ "claim-unusable", ANY_L, PGQ_GOAL_CLAIM, PGQ_HA_NONE,
	  "S19: named but PostgreSQL cannot be promoted: veto, so the next candidate is named" },
	{ "promote-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_PROMOTE, PGQ_HA_PROMOTE,
	  "S1/S19: lease held: fence hook, pre_promote, then pg_promote(); L5 timeout" },
	{ "promote-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_PROMOTE, PGQ_HA_START_STANDBY,
	  "lease held, stopped: start writable on the same timeline (bootstrap, S12) or read-only" },
	{ "promote-writable", PGQ_LOCAL_WRITABLE, PGQ_GOAL_PROMOTE, PGQ_HA_WRITE_STANDBY_SIGNAL,
	  "S12/S14: writable under the lease: commit promoted{}, re-create standby.signal" },
	{ "promote-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_PROMOTE, PGQ_HA_RESTART,
	  "crashed during promotion: restart read-only, promote again" },
	{ "promote-hung", PGQ_LOCAL_HUNG, PGQ_GOAL_PROMOTE, PGQ_HA_NONE,
	  "not answering during promotion: wait, L5 promote_timeout fences" },
	{ "promote-unusable", ANY_L, PGQ_GOAL_PROMOTE, PGQ_HA_NONE,
	  "S19: cannot be promoted: veto" },
	{ "primary-writable", PGQ_LOCAL_WRITABLE, PGQ_GOAL_PRIMARY, PGQ_HA_NONE,
	  "primary under a valid lease: keep renewing; a hung server is fenced, then released (S5)" },
	{ "primary-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_PRIMARY, PGQ_HA_START_PRIMARY,
	  "S14: stopped primary that still holds the lease: start without standby.signal" },
	{ "primary-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_PRIMARY, PGQ_HA_RESTART,
	  "crashed primary still holding the lease: restart writable; not restartable: fence, release" },
	{ "primary-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_PRIMARY, PGQ_HA_FAST_STOP,
	  "promoted primary in recovery: stop, start without standby.signal (S12: never promote twice)" },
	{ "primary-unusable", ANY_L, PGQ_GOAL_PRIMARY, PGQ_HA_IMMEDIATE_STOP,
	  "primary without a usable server: fence, then release the lease (S5)" },
	{ "demote-writable", PGQ_LOCAL_WRITABLE, PGQ_GOAL_DEMOTE, PGQ_HA_CLEAN_STOP,
	  "S13 (2): standby.signal, fast stop, pg_controldata; never writable again in this epoch" },
	{ "demote-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_DEMOTE, PGQ_HA_NONE,
	  "S13 (2): clean and fenced: commit demoted{final_lsn}; unclean: release (S19)" },
	{ "demote-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_DEMOTE, PGQ_HA_FAST_STOP,
	  "S13 (2): in recovery while demoting: stop cleanly to learn final_lsn" },
	{ "demote-other", ANY_L, PGQ_GOAL_DEMOTE, PGQ_HA_IMMEDIATE_STOP,
	  "S13/S5: no clean stop possible: fence, then release the lease" },
	{ "release-down", ANY_L, PGQ_GOAL_RELEASE, PGQ_HA_NONE,
	  "S5: self-fenced: once no process remains, release the lease; else kill survivors" },
	{ "bad-data", PGQ_LOCAL_BAD_DATA, ANY_G, PGQ_HA_STAY_DOWN,
	  "S15: the data directory is unusable or of another database system: never start it" },
	{ "report-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_REPORT, PGQ_HA_STOP_RECEIVER,
	  "S9: loss recorded: stop the WAL receiver, report once replay stops; S8 catch-up" },
	{ "report-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_REPORT, PGQ_HA_START_STANDBY,
	  "loss recorded: start read-only with no upstream, then report (S9)" },
	{ "report-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_REPORT, PGQ_HA_RESTART,
	  "not the primary: restart read-only" },
	{ "report-other", ANY_L, PGQ_GOAL_REPORT, PGQ_HA_NONE,
	  "loss recorded, nothing to measure: wait for a promoted primary" },
	{ "wait-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_WAIT, PGQ_HA_NONE,
	  "S12: another member named, not promoted: stream from nobody" },
	{ "wait-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_WAIT, PGQ_HA_START_STANDBY,
	  "S12: start read-only with no upstream until promoted{} commits" },
	{ "wait-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_WAIT, PGQ_HA_RESTART,
	  "not the primary: restart read-only" },
	{ "wait-other", ANY_L, PGQ_GOAL_WAIT, PGQ_HA_NONE,
	  "S12: wait for promoted{} before cloning or rewinding" },
	{ "follow-standby", PGQ_LOCAL_STANDBY, PGQ_GOAL_FOLLOW, PGQ_HA_FOLLOW,
	  "S12: follow the promoted primary (reload primary_conninfo); diverged: stop to rewind" },
	{ "follow-stopped", PGQ_LOCAL_STOPPED, PGQ_GOAL_FOLLOW, PGQ_HA_START_STANDBY,
	  "S14: start as its standby, or rewind past the switch LSN, or re-clone" },
	{ "follow-rewinding", PGQ_LOCAL_REWINDING, PGQ_GOAL_FOLLOW, PGQ_HA_REWIND,
	  "S14: an interrupted rewind is redone before any start" },
	{ "follow-crashed", PGQ_LOCAL_CRASHED, PGQ_GOAL_FOLLOW, PGQ_HA_RESTART,
	  "not the primary: restart read-only" },
	{ "follow-nodata", PGQ_LOCAL_NO_DATA, PGQ_GOAL_FOLLOW, PGQ_HA_BASEBACKUP,
	  "clone from the promoted primary" },
	{ "follow-hung", ANY_L, PGQ_GOAL_FOLLOW, PGQ_HA_NONE,
	  "standby not answering: report, wait" },
};

/* ---- handlers -------------------------------------------------------- */

static void keep(struct mctx *c)
{
	(void)c; /* the row's action and comment stand */
}

static void set_upstream(struct mctx *c, const char *name)
{
	snprintf(c->d->upstream, sizeof(c->d->upstream), "%s", name != NULL ? name : "");
}

static void bootstrap_initdb(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
}

static void claim_stopped(struct mctx *c)
{
	/* The bootstrap primary waits stopped: it starts writable once the lease commits. */
	if (m_same_timeline_start(c) && c->p->epoch == 1) {
		m_act(c, PGQ_HA_NONE, "S1: bootstrap primary waits for its first renewal");
		return;
	}
	c->d->standby_signal = true;
	set_upstream(c, "");
}

static void claim_standby(struct mctx *c)
{
	/* Stop streaming from a former primary while taking over. */
	if (c->in->pg.receiver_configured)
		m_act(c, PGQ_HA_STOP_RECEIVER, "named primary: stop streaming (S9/S12)");
}

static void restart_read_only(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	c->d->standby_signal = true;
	set_upstream(c, "");
}

static void veto_unusable(struct mctx *c)
{
	char why[PGQ_RECORD_TEXT_MAX];

	/* A hung or rewinding server may come back; a missing or foreign one will not. */
	if (c->d->local == PGQ_LOCAL_HUNG || c->d->local == PGQ_LOCAL_WRITABLE) {
		m_act(c, PGQ_HA_NONE, "named, PostgreSQL %s: waiting (L5)",
		      pgq_ha_local_name(c->d->local));
		return;
	}
	snprintf(why, sizeof(why), "cannot promote: PostgreSQL %s", pgq_ha_local_name(c->d->local));
	m_propose_vetoed(c, why);
	m_act(c, PGQ_HA_NONE, "S19: %s; vetoing so the next candidate is named", why);
}

/* L5: pg_promote() was asked; give up after promote_timeout. Returns true when it acted. */
static bool promote_in_flight(struct mctx *c)
{
	uint64_t deadline;

	if (c->st->promote_epoch != c->p->epoch)
		return false;
	deadline = pgq_ha_add_sat(c->st->promote_asked_ms, c->cfg->promote_timeout_ms);
	if (c->in->now_ms >= deadline) {
		c->st->fenced_epoch = c->p->epoch;
		m_act(c, PGQ_HA_IMMEDIATE_STOP,
		      "L5: still in recovery after promote_timeout: fence, then release");
		return true;
	}
	m_check_by(c, deadline);
	m_act(c, PGQ_HA_NONE, "L5: promotion asked, waiting for pg_is_in_recovery() = false");
	return true;
}

/* S19: fence hook for uncleanly lost former primaries, then pre_promote. True when it acted. */
static bool hooks_before_promote(struct mctx *c)
{
	const char (*names)[PGQ_RECORD_NAME_MAX] = NULL;
	size_t pending = pgq_record_fence_pending(c->r, &names), n = 0;
	const struct pgq_ha_hook_obs *h = &c->in->hooks;

	/* Never fence ourselves: a former primary named again fenced itself (S5). */
	for (size_t i = 0; i < pending && i < PGQ_RECORD_MAX_MEMBERS; i++)
		if (strcmp(names[i], c->in->me) != 0)
			memcpy(c->d->fence_names[n++], names[i], PGQ_RECORD_NAME_MAX);
	if (n > 0 && h->fence_done_epoch != c->p->epoch) {
		if (h->fence_failed && c->in->fencing_required) {
			/* Retry; the record's failover_blocked / fence_confirm let an operator end it (L8). */
			m_act(c, PGQ_HA_RUN_FENCE_HOOK, "S19: fence failed and fencing.required: retrying");
		} else if (h->fence_failed) {
			goto pre_promote; /* not required: logged by the runtime, continue */
		} else {
			m_act(c, PGQ_HA_RUN_FENCE_HOOK, "S19: fence former primaries before promotion");
		}
		c->d->n_fence = n;
		return true;
	}
pre_promote:
	memset(c->d->fence_names, 0, sizeof(c->d->fence_names));
	/* watchdog.mode required: no working watchdog, no promotion (S5); the next candidate is named. */
	if (h->watchdog_refused_epoch == c->p->epoch) {
		m_propose_vetoed(c, "watchdog.mode required but the watchdog device is unusable");
		m_act(c, PGQ_HA_NONE, "S5: watchdog required but unusable: recording a veto");
		return true;
	}
	if (h->pre_promote_vetoed_epoch == c->p->epoch) {
		m_propose_vetoed(c, "pre_promote hook vetoed the promotion");
		m_act(c, PGQ_HA_NONE, "S19: pre_promote vetoed: recording the veto");
		return true;
	}
	if (h->pre_promote_done_epoch != c->p->epoch) {
		m_act(c, PGQ_HA_RUN_PRE_PROMOTE, "S19: pre_promote runs after the lease, before pg_promote()");
		return true;
	}
	return false;
}

static void promote_standby(struct mctx *c)
{
	if (promote_in_flight(c))
		return;
	if (c->in->pg.receiver_configured) {
		m_act(c, PGQ_HA_STOP_RECEIVER, "stop streaming before promotion");
		return;
	}
	if (hooks_before_promote(c) || !m_may_become_writable(c))
		return;
	c->st->promote_epoch = c->p->epoch;
	c->st->promote_asked_ms = c->in->now_ms;
	m_check_by(c, pgq_ha_add_sat(c->in->now_ms, c->cfg->promote_timeout_ms));
	m_act(c, PGQ_HA_PROMOTE, "S1: renewal committed for epoch %llu: promote",
	      (unsigned long long)c->p->epoch);
}

static void promote_stopped(struct mctx *c)
{
	if (m_same_timeline_start(c)) {
		if (hooks_before_promote(c) || !m_may_become_writable(c))
			return;
		c->st->promote_epoch = c->p->epoch;
		c->st->promote_asked_ms = c->in->now_ms;
		c->d->standby_signal = false;
		m_act(c, PGQ_HA_START_PRIMARY,
		      "S1/S14: lease held: start writable on timeline %u", c->in->pg.timeline);
		return;
	}
	c->d->standby_signal = true;
	set_upstream(c, "");
}

static void promote_writable(struct mctx *c)
{
	/* Writable under our lease (the safety check passed): the record learns it. */
	c->st->promote_epoch = c->p->epoch;
	m_propose_promoted(c);
	if (c->in->pg.standby_signal)
		m_act(c, PGQ_HA_NONE, "S12: writable, committing promoted{}");
}

static void promote_crashed(struct mctx *c)
{
	/* Back read-only; the promotion is asked again (promoted{} not committed yet). */
	c->st->promote_epoch = 0;
	c->d->standby_signal = true;
	set_upstream(c, "");
}

static void primary_writable(struct mctx *c)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;

	if (pg->run == PGQ_PGRUN_NOT_ANSWERING) {
		uint64_t at = pgq_ha_add_sat(pg->not_answering_since_ms, c->cfg->retry_timeout_ms);

		if (c->in->now_ms >= at) {
			/* S5: fence first, verify, then release — never release a live server. */
			c->st->fenced_epoch = c->p->epoch;
			c->d->standby_signal = true;
			m_act(c, PGQ_HA_IMMEDIATE_STOP, "S5: primary not answering for retry_timeout: "
			      "fence, then release the lease");
			return;
		}
		m_check_by(c, at);
		m_act(c, PGQ_HA_NONE, "primary not answering: waiting up to retry_timeout");
		return;
	}
	if (!pg->standby_signal)
		m_act(c, PGQ_HA_WRITE_STANDBY_SIGNAL, "S14: re-create standby.signal after promotion");
}

static void primary_start(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	/*
	 * Issue 5: the primary is lost when its postmaster is "not restartable
	 * within ttl". Failed starts are retried (with the driver's backoff)
	 * while the lease is renewed; it cannot be writable meanwhile, and a
	 * start is writable only under the lease (S14). After a whole ttl of
	 * failures: fence, then release the lease (S5) so failover starts.
	 */
	if (c->in->pg.start_failed) {
		uint64_t since = c->in->pg.start_failed_since_ms;
		uint64_t give_up = pgq_ha_add_sat(since, c->cfg->ttl_ms);

		if (since == 0 || c->in->now_ms >= give_up) {
			c->st->fenced_epoch = c->p->epoch;
			m_act(c, PGQ_HA_IMMEDIATE_STOP, "postmaster not restartable within ttl: fence, "
			      "release the lease");
			return;
		}
		m_check_by(c, give_up);
	}
	if (!m_may_become_writable(c))
		return;
	c->st->promote_epoch = c->p->epoch; /* S1: it may be writable from now on */
	c->d->standby_signal = false; /* S14: we hold the lease of the current epoch */
}

static void primary_standby(struct mctx *c)
{
	c->d->standby_signal = true;
}

static void fence_then_release(struct mctx *c)
{
	c->st->fenced_epoch = c->p->epoch;
	c->d->standby_signal = true;
	if (c->d->local == PGQ_LOCAL_NO_DATA)
		m_act(c, PGQ_HA_STAY_DOWN, "no data directory: nothing to fence; releasing");
}

static void demote_writable(struct mctx *c)
{
	/* S13: P never becomes writable again under this epoch. */
	c->st->fenced_epoch = c->p->epoch;
	c->d->standby_signal = true;
}

static void demote_stopped(struct mctx *c)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;

	c->st->fenced_epoch = c->p->epoch;
	if (!pg->fenced) {
		m_act(c, PGQ_HA_KILL, "S5: processes remain after the stop: kill them");
		return;
	}
	if (pg->clean_shutdown) {
		m_propose_demoted(c);
		return;
	}
	m_propose_release(c, "unclean stop during switchover");
	m_act(c, PGQ_HA_NONE, "S19: stopped uncleanly while demoting: releasing the lease");
}

static void demote_standby(struct mctx *c)
{
	c->st->fenced_epoch = c->p->epoch;
	c->d->standby_signal = true;
}

static void demote_other(struct mctx *c)
{
	c->st->fenced_epoch = c->p->epoch;
	c->d->standby_signal = true;
	if (c->in->pg.fenced && c->d->local != PGQ_LOCAL_HUNG && c->d->local != PGQ_LOCAL_WRITABLE) {
		m_propose_release(c, "no clean stop possible during switchover");
		m_act(c, PGQ_HA_NONE, "S19: fenced: releasing the lease");
	}
}

static void release_down(struct mctx *c)
{
	enum pgq_ha_local l = c->d->local;

	if (l == PGQ_LOCAL_STANDBY || l == PGQ_LOCAL_HUNG) {
		c->d->standby_signal = true;
		m_act(c, PGQ_HA_IMMEDIATE_STOP, "S5: self-fenced epoch: stop the server fully first");
		return;
	}
	if (!c->in->pg.fenced) {
		m_act(c, PGQ_HA_KILL, "S5: processes of the data directory remain: kill them");
		return;
	}
	m_propose_release(c, "self-fenced: no process of the data directory remains");
	m_act(c, PGQ_HA_NONE, "S5: fenced and verified: releasing the lease");
}

static void report_standby(struct mctx *c)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;
	char from[PGQ_RECORD_NAME_MAX];
	const char *src = m_catchup_source(c, from, sizeof(from));
	const struct pgq_member *me = pgq_record_member_by_name(c->r, c->in->me);

	/* S8: the most advanced member cannot be promoted: catch up from it. */
	if (src != NULL && strcmp(src, c->in->me) != 0 && me != NULL &&
	    pgq_record_report_valid_for_loss(c->r, me)) {
		if (pg->receiver_configured && strcmp(pg->upstream, src) == 0) {
			m_act(c, PGQ_HA_NONE, "S8: catching up from '%s'", src);
			return;
		}
		if (m_paused_skip(c))
			return;
		set_upstream(c, src);
		m_act(c, PGQ_HA_FOLLOW, "S8: most advanced member '%s' cannot be promoted: "
		      "catch up from it", src);
		return;
	}
	if (pg->receiver_configured && (src == NULL || strcmp(pg->upstream, src) != 0))
		return; /* STOP_RECEIVER: a zombie primary must not collect acknowledgements (S9) */
	if (!pg->replay_stopped) {
		/* The failover waits on this report: look again soon, not after a loop. */
		m_check_by(c, pgq_ha_add_sat(c->in->now_ms, REPLAY_STOP_POLL_MS));
		m_act(c, PGQ_HA_NONE, "S9: waiting for replay to stop before reporting");
	}
	else
		m_act(c, PGQ_HA_NONE, "S9: measured after the loss: reporting");
}

static void start_no_upstream(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	c->d->standby_signal = true;
	set_upstream(c, "");
}

static void wait_standby(struct mctx *c)
{
	if (c->in->pg.receiver_configured)
		m_act(c, PGQ_HA_STOP_RECEIVER, "S12: follow only a promoted primary");
}

/* Rewind, or re-clone when rewind cannot or did not work (S12, S14). */
static void rejoin(struct mctx *c, enum divergence div)
{
	set_upstream(c, c->p->name);
	if (div == DIV_REWIND && pgq_record_config(c->r)->use_pg_rewind &&
	    !c->in->pg.rewind_failed) {
		m_act(c, PGQ_HA_REWIND, "S14: WAL past the switch LSN of timeline %u: pg_rewind",
		      pgq_record_timeline(c->r));
		return;
	}
	if (c->in->reclone_allowed) {
		m_act(c, PGQ_HA_RECLONE, div == DIV_RECLONE
			  ? "S12: timeline not in the record (promoted without promoted{}): re-clone"
			  : "rewind failed or disabled: re-clone");
		return;
	}
	m_act(c, PGQ_HA_STAY_DOWN, "diverged and re-clone not allowed: staying down");
}

static void follow_standby(struct mctx *c)
{
	const struct pgq_ha_pg_obs *pg = &c->in->pg;

	if (m_divergence(c) != DIV_NONE) {
		if (m_paused_skip(c))
			return;
		c->d->standby_signal = true;
		m_act(c, PGQ_HA_FAST_STOP, "S14: diverged from timeline %u: stop to rewind",
		      pgq_record_timeline(c->r));
		return;
	}
	if (pg->receiver_configured && strcmp(pg->upstream, c->p->name) == 0) {
		m_act(c, PGQ_HA_NONE, "streaming from '%s'", c->p->name);
		return;
	}
	if (m_paused_skip(c))
		return;
	set_upstream(c, c->p->name);
}

static void follow_stopped(struct mctx *c)
{
	enum divergence div = m_divergence(c);

	if (m_paused_skip(c))
		return;
	if (div != DIV_NONE) {
		rejoin(c, div);
		return;
	}
	c->d->standby_signal = true;
	set_upstream(c, c->p->name);
}

static void follow_rewinding(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	rejoin(c, c->in->pg.rewind_failed ? DIV_RECLONE : DIV_REWIND);
}

static void follow_crashed(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	c->d->standby_signal = true;
	set_upstream(c, m_divergence(c) == DIV_NONE ? c->p->name : "");
}

static void follow_nodata(struct mctx *c)
{
	if (m_paused_skip(c))
		return;
	set_upstream(c, c->p->name);
}

static void promote_hung(struct mctx *c)
{
	(void)promote_in_flight(c);
}

/* In the order of rows[]: one handler per row. */
static const row_fn handlers[] = {
	keep,               /* idle */
	bootstrap_initdb,   /* bootstrap-initdb */
	claim_stopped,      /* claim-stopped */
	claim_standby,      /* claim-standby */
	restart_read_only,  /* claim-crashed */
	veto_unusable,      /* claim-unusable */
	promote_standby,    /* promote-standby */
	promote_stopped,    /* promote-stopped */
	promote_writable,   /* promote-writable */
	promote_crashed,    /* promote-crashed */
	promote_hung,       /* promote-hung */
	veto_unusable,      /* promote-unusable */
	primary_writable,   /* primary-writable */
	primary_start,      /* primary-stopped */
	primary_start,      /* primary-crashed */
	primary_standby,    /* primary-standby */
	fence_then_release, /* primary-unusable */
	demote_writable,    /* demote-writable */
	demote_stopped,     /* demote-stopped */
	demote_standby,     /* demote-standby */
	demote_other,       /* demote-other */
	release_down,       /* release-down */
	keep,               /* bad-data */
	report_standby,     /* report-standby */
	start_no_upstream,  /* report-stopped */
	restart_read_only,  /* report-crashed */
	keep,               /* report-other */
	wait_standby,       /* wait-standby */
	start_no_upstream,  /* wait-stopped */
	restart_read_only,  /* wait-crashed */
	keep,               /* wait-other */
	follow_standby,     /* follow-standby */
	follow_stopped,     /* follow-stopped */
	follow_rewinding,   /* follow-rewinding */
	follow_crashed,     /* follow-crashed */
	follow_nodata,      /* follow-nodata */
	keep,               /* follow-hung */
};

_Static_assert(sizeof(handlers) / sizeof(handlers[0]) == sizeof(rows) / sizeof(rows[0]),
	       "one handler per row");

const struct pgq_ha_row *pgq_ha_member_table(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

const row_fn *member_row_handlers(size_t *n)
{
	*n = sizeof(handlers) / sizeof(handlers[0]);
	return handlers;
}

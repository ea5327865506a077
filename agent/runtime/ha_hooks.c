/*
 * ha_hooks.c — the HA driver's side of the hooks (docs/hooks.md): what each
 * event carries, in which order notification hooks run, what a fence
 * result means for the record, and when a fenced member is unfenced.
 *
 * Event contents: every event gets the cluster, this member, the roles,
 * the epoch, the recorded primary and its PostgreSQL address, the timeline
 * and, where known, an LSN; fence, unfence and pre_promote also name the
 * former primary with its PostgreSQL, Raft and REST addresses.
 *
 * Order: notification hooks (on_start, on_stop, on_role_change,
 * post_promote, on_demote, unfence...) run one at a time, first in first
 * out, so a VIP script never sees on_role_change overtake post_promote.
 * The hooks that gate a promotion (fence, pre_promote) are not queued
 * behind them: a slow notification must not delay a failover.
 *
 * S19: a required fence that fails blocks the promotion; the member says
 * why in the record (failover_blocked) and clears it once fenced, or once
 * an operator confirmed the former primary fenced (fence_confirm, L8). unfence
 * runs on the member that fenced, for each member it fenced, once that
 * member reports (after the fence) pg_is_in_recovery() on the current
 * timeline, or PostgreSQL stopped.
 */
#include "runtime/ha_driver_internal.h"

#include "ha/clock.h"
#include "log.h"
#include "pgmgr/pgmgr.h"
#include "record/record_cmd.h"
#include "transport/addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HA_HOOK_QUEUE_MAX 64

/* One event with every string it points to (never moved once filled). */
struct ha_hook_event {
	struct pgq_plugin_event ev;
	struct ha_hook_event *next;
	char role[24], old_role[24], reason[64];
	char primary[PGQ_RECORD_NAME_MAX], primary_host[256];
	char old_primary[PGQ_RECORD_NAME_MAX], old_host[256];
	char old_raft[PGQ_RECORD_ADDR_MAX], old_api[PGQ_RECORD_ADDR_MAX];
};

/* "host:port" of a record address → host, port; "" / 0 when absent or malformed. */
static void split_address(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	char err[64];
	int p = 0;

	host[0] = '\0';
	*port = 0;
	if (text == NULL || text[0] == '\0' ||
	    pgq_addr_split(text, host, hostlen, &p, 0, err, sizeof err) != 0) {
		host[0] = '\0';
		return;
	}
	*port = (uint16_t)p;
}

/* The member named by the history entry of the epoch before the current one, or NULL. */
static const char *previous_primary(const struct pgq_record *r)
{
	uint64_t epoch = pgq_record_epoch(r);

	for (size_t i = pgq_record_history_count(r); i > 0; i--) {
		const struct pgq_history_entry *h = pgq_record_history_at(r, i - 1);
		if (h->epoch + 1 == epoch)
			return h->new_primary;
	}
	return NULL;
}

struct ha_hook_event *ha_hook_event_new(struct ha_driver *d, enum pgq_hook_event e,
					const char *role, const char *old_role,
					const char *old_primary, const char *reason)
{
	struct ha_hook_event *h = calloc(1, sizeof *h);
	const struct pgq_record *r = d->rt->record;
	const struct pgq_member *pm, *om;
	struct pgq_plugin_event *ev;

	if (h == NULL)
		return NULL;
	ev = &h->ev;
	snprintf(h->role, sizeof h->role, "%s", role != NULL ? role : "");
	snprintf(h->old_role, sizeof h->old_role, "%s", old_role != NULL ? old_role : "");
	snprintf(h->reason, sizeof h->reason, "%s", reason != NULL ? reason : "");
	snprintf(h->primary, sizeof h->primary, "%s", pgq_record_primary(r)->name);
	pm = pgq_record_member_by_name(r, h->primary);
	if (pm != NULL)
		split_address(pm->pg_address, h->primary_host, sizeof h->primary_host,
			      &ev->primary_port);
	if (old_primary == NULL && (e == PGQ_HOOK_PRE_PROMOTE || e == PGQ_HOOK_POST_PROMOTE))
		old_primary = previous_primary(r);
	snprintf(h->old_primary, sizeof h->old_primary, "%s", old_primary != NULL ? old_primary : "");
	om = h->old_primary[0] != '\0' ? pgq_record_member_by_name(r, h->old_primary) : NULL;
	if (om != NULL) {
		split_address(om->pg_address, h->old_host, sizeof h->old_host, &ev->old_primary_port);
		snprintf(h->old_raft, sizeof h->old_raft, "%s", om->raft_address);
		snprintf(h->old_api, sizeof h->old_api, "%s", om->api_url);
	}
	ev->abi_version = PGQ_PLUGIN_ABI_VERSION;
	ev->event = (int)e;
	ev->event_name = pgq_hook_event_name(e);
	ev->cluster = d->rt->cfg->scope;
	ev->member = d->rt->cfg->name;
	ev->role = h->role;
	ev->old_role = h->old_role;
	ev->epoch = pgq_record_epoch(r);
	ev->primary = h->primary;
	ev->primary_host = h->primary_host;
	ev->old_primary = h->old_primary;
	ev->old_primary_host = h->old_host;
	ev->old_primary_raft = h->old_raft;
	ev->old_primary_api = h->old_api;
	ev->timeline = d->obs.timeline;
	ev->reason = h->reason;
	return h;
}

const struct pgq_plugin_event *ha_hook_event_plugin(const struct ha_hook_event *h)
{
	return &h->ev;
}

void ha_hook_event_set_lsn(struct ha_hook_event *h, uint64_t lsn)
{
	h->ev.lsn = lsn;
	h->ev.has_lsn = lsn != 0;
}

/* ---- notification hooks, one at a time ----------------------------------- */

static void start_next(struct ha_driver *d);

static void notice_done(const struct pgq_hook_result *r, void *arg)
{
	struct ha_driver *d = arg;

	if (r->configured && !r->ok)
		pgq_warning("ha", "hook %s failed: %s", pgq_hook_event_name(r->event),
			    r->exec.error[0] != '\0' ? r->exec.error
			    : r->exec.status != PGQ_HOOK_NOT_RUN && r->exec.status != PGQ_HOOK_OK
				    ? r->exec.output : r->plugin.output);
	d->hook_running = false;
	start_next(d);
}

static void start_next(struct ha_driver *d)
{
	char err[200];

	while (!d->hook_running && d->hook_queue != NULL) {
		struct ha_hook_event *h = d->hook_queue;

		d->hook_queue = h->next;
		if (d->hook_queue == NULL)
			d->hook_queue_tail = NULL;
		d->hook_queued--;
		if (d->hooks != NULL && !d->stopping) {
			if (pgq_hooks_run(d->hooks, &h->ev, notice_done, d, err, sizeof err) == 0)
				d->hook_running = true; /* the event was copied */
			else
				pgq_warning("ha", "%s: %s", h->ev.event_name, err);
		}
		free(h);
	}
}

void ha_hook_notify(struct ha_driver *d, struct ha_hook_event *h)
{
	if (h == NULL)
		return;
	if (d->hooks == NULL || d->stopping ||
	    !pgq_hooks_configured(d->hooks, (enum pgq_hook_event)h->ev.event) ||
	    d->hook_queued >= HA_HOOK_QUEUE_MAX) {
		if (d->hook_queued >= HA_HOOK_QUEUE_MAX)
			pgq_warning("ha", "hook %s dropped: %u notifications already queued",
				    h->ev.event_name, (unsigned)d->hook_queued);
		free(h);
		return;
	}
	h->next = NULL;
	if (d->hook_queue_tail != NULL)
		d->hook_queue_tail->next = h;
	else
		d->hook_queue = h;
	d->hook_queue_tail = h;
	d->hook_queued++;
	start_next(d);
}

void ha_hooks_drop_queue(struct ha_driver *d)
{
	while (d->hook_queue != NULL) {
		struct ha_hook_event *h = d->hook_queue;
		d->hook_queue = h->next;
		free(h);
	}
	d->hook_queue_tail = NULL;
	d->hook_queued = 0;
}

/* ---- agent exit ----------------------------------------------------------- */

void ha_hooks_close_now(struct ha_driver *d)
{
	ha_hooks_drop_queue(d);
	if (d->hooks != NULL) {
		pgq_hooks_close(d->hooks, NULL, NULL);
		d->hooks = NULL;
	}
}

static void exit_hook_done(const struct pgq_hook_result *r, void *arg)
{
	struct ha_driver *d = arg;

	if (r->configured && !r->ok)
		pgq_warning("ha", "hook on_stop failed at exit: %s",
			    r->exec.error[0] != '\0' ? r->exec.error : r->exec.output);
	ha_hooks_close_now(d);
}

void ha_hooks_exit(struct ha_driver *d, bool pg_stopped)
{
	const char *was = d->last_role_reported[0] != '\0' ? d->last_role_reported : "unknown";
	struct ha_hook_event *h;
	char err[200];

	/* The agent stopped PostgreSQL on its way out: on_stop, waited for (its timeout bounds it). */
	if (pg_stopped && d->hooks != NULL && pgq_hooks_configured(d->hooks, PGQ_HOOK_ON_STOP)) {
		h = ha_hook_event_new(d, PGQ_HOOK_ON_STOP, "stopped", was, NULL, "agent exit");
		if (h != NULL && pgq_hooks_run(d->hooks, &h->ev, exit_hook_done, d, err, sizeof err) == 0) {
			free(h);
			return;
		}
		free(h);
	}
	ha_hooks_close_now(d);
}

/* ---- post_promote once PostgreSQL left recovery -------------------------- */

static void clear_fence_block(struct ha_driver *d);

void ha_hooks_after_observe(struct ha_driver *d)
{
	struct ha_hook_event *h;

	/* The timeline and switch point are those of the promoted server (S12). */
	if (d->post_promote_pending && d->obs.run == PGQ_PGRUN_RUNNING && !d->obs.in_recovery) {
		d->post_promote_pending = false;
		h = ha_hook_event_new(d, PGQ_HOOK_POST_PROMOTE, "primary", "replica", NULL, "promoted");
		if (h != NULL)
			ha_hook_event_set_lsn(h, d->obs.switch_lsn);
		ha_hook_notify(d, h);
	}
	/* on_demote with the final LSN of the clean stop (S13) once pg_controldata said it. */
	if (d->demote_reason[0] != '\0' && d->obs.run != PGQ_PGRUN_RUNNING) {
		h = ha_hook_event_new(d, PGQ_HOOK_ON_DEMOTE, "stopped", "primary", NULL, d->demote_reason);
		if (h != NULL && d->obs.clean_shutdown)
			ha_hook_event_set_lsn(h, d->obs.checkpoint_lsn);
		d->demote_reason[0] = '\0';
		ha_hook_notify(d, h);
	}
	clear_fence_block(d);
	ha_unfence_check(d);
}

/* ---- fence (S19, S6, L8) ------------------------------------------------- */

static void propose_blocked(struct ha_driver *d, const char *why)
{
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);
	uint8_t *data = NULL;
	size_t len = 0;

	if (pgq_cmd_failover_blocked(p->epoch, p->lease_seq, why, rt_wall_ms(), &data, &len) == 0)
		ha_propose(d, data, len, "failover_blocked");
	free(data);
}

/*
 * L4: once fenced, the member clears the failover_blocked{} its failed
 * fence wrote. A CAS on (epoch, lease_seq) that a renewal may beat: retried
 * every second until the record shows it cleared.
 */
static void clear_fence_block(struct ha_driver *d)
{
	const struct pgq_failover_blocked *b = pgq_record_failover_blocked(d->rt->record);
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);
	uint64_t now = pgq_now_boottime_ms();

	if (!b->set || b->epoch != p->epoch || strcmp(p->name, d->rt->cfg->name) != 0 ||
	    d->hooks_obs.fence_done_epoch != p->epoch ||
	    strstr(b->waiting_for, "(fencing.required: promotion blocked)") == NULL ||
	    now - d->block_clear_sent_ms < 1000)
		return;
	d->block_clear_sent_ms = now;
	pgq_info("ha", "fenced: clearing failover_blocked (L4)");
	propose_blocked(d, "");
}

/* Former primaries other than this member the record still wants fenced (S19). */
static size_t others_awaiting_fence(const struct ha_driver *d)
{
	const char (*names)[PGQ_RECORD_NAME_MAX] = NULL;
	size_t pending = pgq_record_fence_pending(d->rt->record, &names), n = 0;

	for (size_t i = 0; i < pending; i++)
		n += strcmp(names[i], d->rt->cfg->name) != 0;
	return n;
}

/*
 * L8: this member's required fence kept failing and an operator confirmed
 * (fence_confirm, a CAS on this epoch, S4) that the former primary is
 * fenced: once the record lists nobody else to fence, the confirmation
 * counts as a successful fence for this epoch. Said loudly in the log; the
 * epoch's history entry names the confirmed member (fence_confirmed).
 * Acts only on the applied record (S4), never on the REST call itself. The
 * record accepts a confirmation only while this epoch's promotion is
 * blocked by a failed fence, so this does not ask whether *this* agent saw
 * the failure (it may have restarted since).
 */
void ha_fence_confirm_check(struct ha_driver *d)
{
	const struct pgq_record *r = d->rt->record;
	const struct pgq_primary *p = pgq_record_primary(r);
	size_t nh = pgq_record_history_count(r);
	const struct pgq_history_entry *h = nh > 0 ? pgq_record_history_at(r, nh - 1) : NULL;

	if (d->hooks_obs.fence_done_epoch == p->epoch || p->state != PGQ_PRIMARY_ACTIVE || p->promoted ||
	    strcmp(p->name, d->rt->cfg->name) != 0 || h == NULL || h->epoch != p->epoch ||
	    h->fence_confirmed[0] == '\0' || others_awaiting_fence(d) > 0)
		return;
	pgq_warning("ha", "L8: the operator confirmed that %s is fenced (fence_confirm for epoch %llu): "
		    "promoting without a successful fence hook",
		    h->fence_confirmed, (unsigned long long)p->epoch);
	d->hooks_obs.fence_done_epoch = p->epoch;
	d->hooks_obs.fence_failed = false;
	d->fence_failed_ms = 0;
}

/* Unfence names[0..n) once they rejoin (S19); only members a fence run succeeded for. */
static void remember_fenced(struct ha_driver *d, char names[][PGQ_RECORD_NAME_MAX], size_t n)
{
	for (size_t i = 0; i < n && d->n_unfence < PGQ_RECORD_MAX_MEMBERS; i++) {
		bool known = false;
		for (size_t k = 0; k < d->n_unfence; k++)
			known = known || strcmp(d->unfence[k], names[i]) == 0;
		if (!known)
			memcpy(d->unfence[d->n_unfence++], names[i], PGQ_RECORD_NAME_MAX);
	}
	if (n > 0)
		d->unfence_after_index = pgq_record_last_index(d->rt->record);
}

void ha_fence_result(struct ha_driver *d, const struct pgq_hook_result *r,
		     char names[][PGQ_RECORD_NAME_MAX], size_t n, size_t last)
{
	const struct pgq_failover_blocked *b = pgq_record_failover_blocked(d->rt->record);
	uint64_t epoch = pgq_record_epoch(d->rt->record);
	char why[PGQ_RECORD_TEXT_MAX], reason[PGQ_RECORD_TEXT_MAX];
	enum pgq_fence_decision dec = pgq_fence_decide(r, d->rt->cfg->fencing.required, reason,
						       sizeof reason);

	/* Name the member the round stopped at: with several to fence, the DBA must know which. */
	if (n > 1 && last < n && dec != PGQ_FENCE_DONE) {
		int off = snprintf(why, sizeof why, "fencing %s (%zu of %zu): ", names[last], last + 1, n);
		size_t used = off > 0 && (size_t)off < sizeof why ? (size_t)off : 0;
		/* The reason ends with "(fencing.required: ...)", which clear_fence_block() looks for. */
		size_t rlen = strlen(reason), room = sizeof why - 1 - used;
		size_t skip = rlen > room ? rlen - room : 0;
		memcpy(why + used, reason + skip, rlen - skip + 1);
	} else if (n > 1 && dec == PGQ_FENCE_DONE)
		snprintf(why, sizeof why, "%zu former primaries fenced", n);
	else
		snprintf(why, sizeof why, "%s", reason);

	/* L8: a retry that was running when the operator's confirmation applied. */
	if (dec != PGQ_FENCE_DONE && d->hooks_obs.fence_done_epoch == epoch) {
		pgq_info("ha", "fence hook: %s, after the operator confirmed the fence: ignored (L8)",
			 why);
		return;
	}

	if (dec == PGQ_FENCE_DONE) {
		d->hooks_obs.fence_done_epoch = epoch;
		d->hooks_obs.fence_failed = false;
		pgq_info("ha", "fence hook: %s (S19)", why);
		remember_fenced(d, names, n);
		/* failover_blocked, if this fence wrote one, is cleared by clear_fence_block(). */
		return;
	}
	d->hooks_obs.fence_failed = true;
	d->fence_failed_ms = pgq_now_boottime_ms();
	if (dec == PGQ_FENCE_BLOCKED) {
		/* S19/L8: the record says why; the member retries the fence. */
		pgq_error("ha", "promotion blocked: %s", why);
		if (!b->set || b->epoch != epoch || strcmp(b->waiting_for, why) != 0)
			propose_blocked(d, why);
	} else {
		pgq_warning("ha", "%s: promoting anyway", why);
		remember_fenced(d, names, last < n ? last : n); /* those fenced before the failure */
		/* Not required: the promotion goes on (treated as done for this epoch). */
		d->hooks_obs.fence_done_epoch = epoch;
		d->hooks_obs.fence_failed = false;
	}
}

bool ha_fence_retry_later(struct ha_driver *d)
{
	uint64_t wait = pgq_record_config(d->rt->record)->loop_wait_ms;

	if (!d->hooks_obs.fence_failed || d->fence_failed_ms == 0)
		return false;
	if (pgq_now_boottime_ms() - d->fence_failed_ms >= wait)
		return false;
	return true; /* the driver's next periodic cycle looks again */
}

/* ---- unfence (S19) ------------------------------------------------------- */

/* S19: back in recovery on the current timeline, or PostgreSQL stopped, reported after the fence. */
static bool rejoined(const struct ha_driver *d, const struct pgq_member *m)
{
	const struct pgq_member_status *s = &m->status;

	if (!s->reported || s->report_index <= d->unfence_after_index)
		return false;
	if (strcmp(s->state, "stopped") == 0)
		return true;
	return strcmp(s->role, "replica") == 0 && strcmp(s->state, "running") == 0 &&
	       s->timeline == pgq_record_timeline(d->rt->record);
}

void ha_unfence_check(struct ha_driver *d)
{
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);
	size_t i = 0;

	/* Only the promoted primary that fenced them unfences. */
	if (d->n_unfence == 0 || strcmp(p->name, d->rt->cfg->name) != 0 || !p->promoted)
		return;
	while (i < d->n_unfence) {
		const struct pgq_member *m = pgq_record_member_by_name(d->rt->record, d->unfence[i]);
		struct ha_hook_event *h;

		if (m != NULL && !rejoined(d, m)) {
			i++;
			continue;
		}
		if (m != NULL) {
			pgq_info("ha", "unfence %s: it reports %s %s on timeline %u (S19)", m->name,
				 m->status.role, m->status.state, m->status.timeline);
			h = ha_hook_event_new(d, PGQ_HOOK_UNFENCE, rt_ha_role(d->rt), rt_ha_role(d->rt),
					      m->name, "rejoined");
			ha_hook_notify(d, h);
		}
		/* Removed from the cluster: nothing to unfence. */
		memmove(d->unfence[i], d->unfence[i + 1], (d->n_unfence - i - 1) * sizeof d->unfence[0]);
		d->n_unfence--;
	}
}

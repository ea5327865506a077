/*
 * ha_watchdog.c — the lease watchdog (S5) and the role-change hook, driven
 * by the HA decisions.
 *
 * Arm when PostgreSQL may become writable (S1: from the promotion request
 * on, every primary rule applies); pet only right after a renewal committed
 * (the lease's committed lease_seq grew), and only so that the device fires
 * no later than lease_end − kill_budget (the watchdog module checks that);
 * disarm (magic close) only once PostgreSQL can no longer be writable.
 */
#include "runtime/ha_driver_internal.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

int ha_watchdog_open(struct ha_driver *d, char *err, size_t errlen)
{
	const struct pgq_config *cfg = d->rt->cfg;
	struct pgq_watchdog_options o = {
		.mode = cfg->watchdog.mode,
		.device = cfg->watchdog.device,
		.safety_margin_ms = cfg->watchdog.safety_margin_ms,
		.kill_budget_ms = cfg->bootstrap.dcs.kill_budget_ms,
	};

	d->wd_petted_seq = 0;
	d->watchdog = pgq_watchdog_new(&o);
	if (d->watchdog == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void role_hook_done(const struct pgq_hook_result *r, void *arg)
{
	(void)arg;
	if (r->configured && !r->ok)
		pgq_warning("ha", "hook %s failed: %s", pgq_hook_event_name(r->event),
			    r->exec.error[0] != '\0' ? r->exec.error : r->exec.output);
}

/* on_role_change when the role PostgreSQL reports changes. */
static void role_change(struct ha_driver *d)
{
	const char *role = rt_ha_role(d->rt);
	struct pgq_plugin_event ev = { 0 };
	char err[160];

	if (strcmp(role, d->last_role_reported) == 0 || strcmp(role, "unknown") == 0)
		return;
	ev.abi_version = PGQ_PLUGIN_ABI_VERSION;
	ev.event = PGQ_HOOK_ON_ROLE_CHANGE;
	ev.event_name = "on_role_change";
	ev.cluster = d->rt->cfg->scope;
	ev.member = d->rt->cfg->name;
	ev.role = role;
	ev.old_role = d->last_role_reported[0] != '\0' ? d->last_role_reported : "unknown";
	ev.epoch = pgq_record_epoch(d->rt->record);
	ev.primary = pgq_record_primary(d->rt->record)->name;
	ev.timeline = d->obs.timeline;
	pgq_info("ha", "role %s -> %s", ev.old_role, role);
	if (d->hooks != NULL && pgq_hooks_run(d->hooks, &ev, role_hook_done, d, err, sizeof err) != 0)
		pgq_warning("ha", "on_role_change: %s", err);
	snprintf(d->last_role_reported, sizeof d->last_role_reported, "%s", role);
	rt_notify_status(d->rt);
}

void ha_watchdog_after_decide(struct ha_driver *d, uint64_t now_ms)
{
	const struct pgq_lease *l = &d->member.lease;
	char err[200];

	role_change(d);
	if (d->watchdog == NULL)
		return;
	if (d->may_be_writable && !pgq_watchdog_armed(d->watchdog)) {
		uint32_t ttl = pgq_record_config(d->rt->record)->ttl_ms;
		if (pgq_watchdog_arm(d->watchdog, ttl, err, sizeof err) == PGQ_WATCHDOG_ARM_REFUSED)
			pgq_error("ha", "watchdog required but unavailable: %s", err);
	}
	if (pgq_watchdog_armed(d->watchdog) && l->held && l->committed_seq > d->wd_petted_seq) {
		/* S5: only right after a renewal committed. */
		d->wd_petted_seq = l->committed_seq;
		if (pgq_watchdog_pet(d->watchdog, now_ms, l->lease_end_ms, err, sizeof err) < 0)
			pgq_warning("ha", "watchdog: %s", err);
	}
	if (!d->may_be_writable && pgq_watchdog_armed(d->watchdog) &&
	    (d->obs.run != PGQ_PGRUN_RUNNING || d->obs.in_recovery) &&
	    d->obs.run != PGQ_PGRUN_NOT_ANSWERING) {
		if (pgq_watchdog_disarm(d->watchdog, false, err, sizeof err) != 0)
			pgq_warning("ha", "watchdog: %s", err);
	}
}

bool ha_watchdog_arm_for_promotion(struct ha_driver *d)
{
	char err[200];

	if (d->watchdog == NULL || pgq_watchdog_armed(d->watchdog))
		return true;
	if (pgq_watchdog_arm(d->watchdog, pgq_record_config(d->rt->record)->ttl_ms, err, sizeof err) ==
	    PGQ_WATCHDOG_ARM_REFUSED) {
		pgq_error("ha", "refusing to become primary: watchdog.mode is required and %s", err);
		d->hooks_obs.watchdog_refused_epoch = pgq_record_epoch(d->rt->record);
		return false;
	}
	return true;
}

void ha_watchdog_exit_stopped(struct ha_driver *d, bool stopped)
{
	if (!d->wd_close_after_stop || d->watchdog == NULL)
		return;
	d->wd_close_after_stop = false;
	if (stopped)
		d->may_be_writable = false; /* S5: stopped and verified by pg_ctl */
	pgq_watchdog_free(d->watchdog, d->may_be_writable);
	d->watchdog = NULL;
}

void ha_watchdog_close(struct ha_driver *d)
{
	if (d->watchdog == NULL)
		return;
	/* Clean exit: PostgreSQL is being stopped; close once it is (ha_watchdog_exit_stopped). */
	if (d->stop_at_exit_inflight && d->may_be_writable) {
		d->wd_close_after_stop = true;
		return;
	}
	/* Closed without the magic byte while PostgreSQL may still write (S5). */
	pgq_watchdog_free(d->watchdog, d->may_be_writable);
	d->watchdog = NULL;
}

/*
 * ha_actions.c — carrying out one HA action on the local PostgreSQL.
 *
 * One operation at a time (d->op): each action is a short chain of
 * asynchronous pgmgr steps (configuration write on the thread pool, then a
 * child program through uv_spawn, or a libpq round trip); the chain ends
 * in ha_op_done(), which asks for a new cycle. Nothing here blocks the loop.
 *
 * The managed configuration (pgquorum.conf) is rendered from the local
 * configuration, the record (the upstream's PostgreSQL address) and the
 * decision: primary_conninfo = the upstream with application_name = this
 * member (S10), primary_slot_name = our slot, and
 * default_transaction_read_only = on until promoted{} committed (S12a,
 * docs/safety-changes.md C11).
 */
#include "runtime/ha_driver_internal.h"
#include "runtime/ha_params.h"

#include "log.h"
#include "pgmgr/conf.h"
#include "pgmgr/conninfo.h"
#include "pgmgr/fence.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/pgmgr.h"
#include "pgmgr/promote.h"
#include "pgmgr/roles.h"
#include "pgmgr/slots.h"
#include "pgmgr/sql.h"
#include "ha/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A continuation after the configuration write. */
enum after_conf {
	AFTER_NOTHING = 0,
	AFTER_START,
	AFTER_RELOAD,
	AFTER_PROMOTE,
	AFTER_FENCE,
	AFTER_CLEAN_STOP,
	AFTER_OPERATOR_STOP,   /* POST /restart, /reinitialize: ha_ops_stopped() */
};

struct conf_job {
	struct ha_driver *d;
	enum after_conf next;
	enum pgmgr_fence_step fence_step;
	char upstream[PGQ_RECORD_NAME_MAX];
	bool read_only;
	uint64_t params_key;   /* ha_params_key() of the parameters written */
};

void ha_op_done(struct ha_driver *d, const char *what, bool ok, const char *detail)
{
	if (ok)
		pgq_info("ha", "%s done", what);
	else
		pgq_warning("ha", "%s failed: %s", what, detail != NULL ? detail : "");
	d->op = HA_OP_NONE;
	d->op_cmd = NULL;
	ha_cycle_soon(d);
}

/* "host:port" or "[v6]:port" → host, port. false when malformed. */
bool ha_split_hostport(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon;
	unsigned long p;
	char *end;

	if (text == NULL || text[0] == '\0')
		return false;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return false;
		snprintf(host, hostlen, "%.*s", (int)(close - text - 1), text + 1);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return false;
		snprintf(host, hostlen, "%.*s", (int)(colon - text), text);
	}
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

/*
 * Application name of the pg_basebackup and pg_rewind connections. Never the
 * member name: S10 reserves that for the standby's WAL receiver, and a
 * clone's WAL stream under it would pass for the standby — in
 * pg_stat_replication (it was seen as "streaming" before the standby even
 * started, with its slot unused, L6) and for synchronous_standby_names (R2).
 */
#define CLONE_APPLICATION_NAME "pgquorum_clone"

/* A conninfo to `member`'s PostgreSQL (password NULL: none in the string). */
static int member_conninfo(const struct ha_driver *d, const char *member, const char *user,
			   const char *password, const char *application_name, char *buf,
			   size_t buflen)
{
	const struct pgq_member *m = pgq_record_member_by_name(d->rt->record, member);
	struct pgmgr_conninfo_parts p = { 0 };
	char host[256];

	if (m == NULL || !ha_split_hostport(m->pg_address, host, sizeof host, &p.port))
		return -1;
	p.host = host;
	p.user = user;
	p.password = password;
	p.dbname = "postgres";
	p.application_name = application_name;
	p.connect_timeout_s = 5;
	return pgmgr_conninfo_build(buf, buflen, &p);
}

static void on_conf_written(void *ctx, const struct pgmgr_conf_result *r);

/* Render and write pgquorum.conf, pg_hba.conf, standby.signal; then `next`. */
static int write_conf(struct ha_driver *d, const char *upstream, enum pgmgr_signal_action sig,
		      bool with_history, enum after_conf next, enum pgmgr_fence_step step,
		      bool clear_marker)
{
	const struct pgq_config *cfg = d->rt->cfg;
	const struct pgq_config_postgresql *pg = d->cfg_pg;
	struct pgq_config_kv *local = calloc(pg->n_parameters + 1, sizeof *local);
	const char *hosts[PGQ_RECORD_MAX_MEMBERS];
	char hostbuf[PGQ_RECORD_MAX_MEMBERS][256];
	char conninfo[1024] = "", slot[64] = "", history[4096] = "", err[256];
	struct pgmgr_conf_input in = { 0 };
	struct pgmgr_hba_input hin = { 0 };
	struct pgmgr_conf_files f = { 0 };
	struct conf_job *job = calloc(1, sizeof *job);
	char *conf = NULL, *hba = NULL;
	size_t n_hosts = 0, n_local = 0;
	struct ha_params dyn = { 0 };
	bool read_only = !d->accept_writes;
	int rc = -1;

	if (local == NULL || job == NULL)
		goto out;
	for (size_t i = 0; i < pg->n_parameters; i++)
		local[n_local++] = pg->parameters[i];
	/* S12a: writes only once promoted{} committed (turned off by a reload). */
	local[n_local].key = "default_transaction_read_only";
	local[n_local++].value = read_only ? "on" : "off";
	if (upstream != NULL && upstream[0] != '\0') {
		if (member_conninfo(d, upstream, pg->replication.username, pg->replication.password,
				    cfg->name /* S10 */,
				    conninfo, sizeof conninfo) != 0) {
			pgq_warning("ha", "no PostgreSQL address recorded for %s yet", upstream);
			goto out;
		}
		if (pg->use_slots)
			pgmgr_slot_name(cfg->name, slot, sizeof slot);
	}
	for (size_t i = 0; i < pgq_record_member_count(d->rt->record) && n_hosts < PGQ_RECORD_MAX_MEMBERS; i++) {
		const struct pgq_member *m = pgq_record_member_at(d->rt->record, i);
		uint16_t port;
		if (ha_split_hostport(m->pg_address, hostbuf[n_hosts], sizeof hostbuf[n_hosts], &port))
			hosts[n_hosts] = hostbuf[n_hosts], n_hosts++;
	}
	in.listen_addresses = pg->listen.host;
	in.port = pg->listen.port;
	in.cluster_name = cfg->scope;
	/* The cluster-wide parameters are the record's (PATCH /config changes them); before
	 * the record exists, the bootstrap section it will be made from. */
	if (pgq_record_bootstrapped(d->rt->record)) {
		if (ha_params_from_record(d->rt->record, &dyn) != 0) {
			pgq_error("ha", "out of memory reading postgresql.parameters from the record");
			goto out;
		}
		in.dynamic_params = dyn.kv;
		in.n_dynamic = dyn.n;
		job->params_key = ha_params_key(d->rt->record);
	} else {
		in.dynamic_params = cfg->bootstrap.dcs.parameters;
		in.n_dynamic = cfg->bootstrap.dcs.n_parameters;
	}
	in.local_params = local;
	in.n_local = n_local;
	in.primary_conninfo = conninfo;
	in.primary_slot_name = slot;
	/* S7/S10: what the synchronous driver set, '' on standbys (ha_sync.c). */
	in.synchronous_standby_names = ha_sync_conf_value(d);
	hin.lines = pg->pg_hba;
	hin.n_lines = pg->n_pg_hba;
	hin.superuser = pg->superuser.username;
	hin.replication_user = pg->replication.username;
	hin.member_hosts = hosts;
	hin.n_member_hosts = n_hosts;
	if (pgmgr_conf_render(&in, &conf, err, sizeof err) != 0 ||
	    pgmgr_hba_render(&hin, &hba, err, sizeof err) != 0) {
		pgq_error("ha", "PostgreSQL configuration: %s", err);
		goto out;
	}
	f.pgquorum_conf = conf;
	f.pg_hba = hba;
	f.ensure_include = true;
	f.standby_signal = sig;
	f.clear_rewind_marker = clear_marker;
	/* S12: the recorded history of the current timeline, so a promotion picks an unused id. */
	if (with_history && pgq_record_timeline(d->rt->record) > 1) {
		uint32_t tli = pgq_record_timeline(d->rt->record);
		char lines[16][160];
		size_t n = 0;
		const struct pgq_timeline *t = NULL;

		for (size_t i = 0; i < pgq_record_timeline_count(d->rt->record); i++)
			if (pgq_record_timeline_at(d->rt->record, i)->tli == tli)
				t = pgq_record_timeline_at(d->rt->record, i);
		bool complete = true;

		while (t != NULL && t->parent != 0 && n < 16) {
			if (t->switch_lsn == 0)
				complete = false; /* never write a history PostgreSQL would misread */
			char lsn[PGMGR_LSN_STRLEN];
			const struct pgq_timeline *parent = NULL;
			snprintf(lines[n++], sizeof lines[0], "%u\t%s\tno recovery target specified\n",
				 t->parent, pgmgr_lsn_format(t->switch_lsn, lsn, sizeof lsn));
			for (size_t i = 0; i < pgq_record_timeline_count(d->rt->record); i++)
				if (pgq_record_timeline_at(d->rt->record, i)->tli == t->parent)
					parent = pgq_record_timeline_at(d->rt->record, i);
			t = parent;
		}
		while (n > 0)
			strncat(history, lines[--n], sizeof history - strlen(history) - 1);
		if (history[0] != '\0' && complete) {
			f.history_tli = tli;
			f.history_text = history;
		}
	}
	job->d = d;
	job->next = next;
	job->fence_step = step;
	snprintf(job->upstream, sizeof job->upstream, "%s", upstream != NULL ? upstream : "");
	job->read_only = read_only;
	rc = pgmgr_conf_write(&d->rt->loop, d->data_dir, &f, on_conf_written, job, err, sizeof err);
	if (rc != 0)
		pgq_error("ha", "PostgreSQL configuration write: %s", err);
	else
		job = NULL;
out:
	ha_params_free(&dyn);
	free(local);
	free(conf);
	free(hba);
	free(job);
	return rc;
}

/* ---- continuations ------------------------------------------------------- */

/* A notification hook (on_start, on_stop, on_demote...): queued in order, logged, never waited for. */
void ha_fire_hook(struct ha_driver *d, enum pgq_hook_event e, const char *reason)
{
	const char *was = d->last_role_reported[0] != '\0' ? d->last_role_reported : "unknown";
	const char *role = e == PGQ_HOOK_ON_STOP || e == PGQ_HOOK_ON_DEMOTE ? "stopped"
			   : e == PGQ_HOOK_ON_START || e == PGQ_HOOK_ON_RESTART
				   ? (d->starting_writable ? "primary" : "replica")
				   : rt_ha_role(d->rt);

	/* on_start/on_restart: PostgreSQL was down; on_demote: it was the primary. */
	if (e == PGQ_HOOK_ON_START || e == PGQ_HOOK_ON_RESTART)
		was = "stopped";
	else if (e == PGQ_HOOK_ON_DEMOTE)
		was = "primary";
	ha_hook_notify(d, ha_hook_event_new(d, e, role, was, NULL, reason));
}

/* After n consecutive failed starts: 250 ms, 500 ms, 1 s, 2 s, then 4 s between tries. */
static uint64_t start_backoff_ms(unsigned n)
{
	return n == 0 ? 0 : 250u << (n > 5 ? 4 : n - 1);
}

static void on_cmd_done(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct ha_driver *d = ctx;
	char what[64], desc[128];
	bool ok = pgmgr_cmd_ok(r);

	snprintf(what, sizeof what, "%s", pgq_ha_action_name(d->op_action));
	if (d->op_action == PGQ_HA_START_STANDBY || d->op_action == PGQ_HA_START_PRIMARY ||
	    d->op_action == PGQ_HA_RESTART) {
		bool operator_restart = ha_ops_started(d, ok, r->stderr_tail);
		/* A crashed postmaster's restart may take more than one start (the table retries). */
		bool crash = d->op_action == PGQ_HA_RESTART || d->crash_restart_pending;

		d->start_failed = !ok;
		if (ok)
			d->start_failed_since_ms = 0;
		else if (d->start_failed_since_ms == 0)
			d->start_failed_since_ms = pgq_now_boottime_ms();
		d->crash_restart_pending = !ok && crash;
		d->start_retries = ok ? 0 : d->start_retries + 1;
		d->start_retry_at_ms = ok ? 0 : pgq_now_boottime_ms() + start_backoff_ms(d->start_retries);
		if (ok) {
			const struct pgq_primary *p = pgq_record_primary(d->rt->record);
			d->pg_started = true;
			d->start_failures = 0;
			/* A restart (the operator's, or after a crash) is on_restart, as Patroni's. */
			if (operator_restart || crash)
				ha_fire_hook(d, PGQ_HOOK_ON_RESTART,
					     operator_restart ? "restart" : "crash");
			else
				ha_fire_hook(d, PGQ_HOOK_ON_START, pgq_ha_action_name(d->op_action));
			/* Started writable to take the lease's epoch (bootstrap): a promotion too. */
			if (d->op_action == PGQ_HA_START_PRIMARY && !p->promoted &&
			    strcmp(p->name, d->rt->cfg->name) == 0)
				d->post_promote_pending = true;
		} else if (d->goal == PGQ_GOAL_FOLLOW && ++d->start_failures >= 3 &&
			   d->rewind_failed_epoch != pgq_record_epoch(d->rt->record)) {
			/*
			 * A standby that PostgreSQL refuses to start while following
			 * (e.g. "requested timeline is not a child of this server's
			 * history" after a rewind that found nothing to do) counts as a
			 * failed rewind: the decision re-clones when allowed.
			 */
			d->rewind_failed_epoch = pgq_record_epoch(d->rt->record);
			pgq_warning("ha", "PostgreSQL does not start as a standby of the new primary: "
				    "treating it as a failed rewind (re-clone if allowed)");
		}
	}
	if (d->opr.reload_hook) {
		d->opr.reload_hook = false;
		if (ok)
			ha_fire_hook(d, PGQ_HOOK_ON_RELOAD,
				     d->opr.reload_reason != NULL ? d->opr.reload_reason : "reload");
	}
	if (d->op_action == PGQ_HA_REWIND && !ok)
		d->rewind_failed_epoch = pgq_record_epoch(d->rt->record);
	if (ok && (d->op_action == PGQ_HA_BASEBACKUP || d->op_action == PGQ_HA_RECLONE ||
		   d->op_action == PGQ_HA_REWIND)) {
		/*
		 * pg_basebackup / pg_rewind copied the source's files: ours again,
		 * standby. After a rewind, start at once (pg_rewind -R semantics):
		 * until it replays onto the new timeline its control file still
		 * names the old one, and a fresh look would ask for another rewind.
		 */
		d->op_cmd = NULL;
		if (write_conf(d, d->conf_upstream, PGMGR_SIGNAL_CREATE, false,
			       d->op_action == PGQ_HA_REWIND ? AFTER_START : AFTER_NOTHING, 0,
			       d->op_action != PGQ_HA_REWIND) == 0)
			return;
	}
	if (d->op_action == PGQ_HA_INITDB && ok) {
		d->op_cmd = NULL;
		if (write_conf(d, "", PGMGR_SIGNAL_CREATE, false, AFTER_NOTHING, 0, false) == 0)
			return;
	}
	ha_op_done(d, what, ok, ok ? NULL : (r->stderr_tail[0] != '\0' ? r->stderr_tail
								    : pgmgr_cmd_describe(r, desc, sizeof desc)));
}

static void on_promoted(void *ctx, const struct pgmgr_promote_result *r)
{
	struct ha_driver *d = ctx;

	/* post_promote once the observation shows the new timeline (ha_hooks.c). */
	if (r->promoted)
		d->post_promote_pending = true;
	ha_op_done(d, "promote", r->promoted, r->timed_out ? "promote_timeout passed (L5)" : r->error);
}

static void on_fenced(void *ctx, const struct pgmgr_fence_result *r)
{
	struct ha_driver *d = ctx;

	d->pg_started = false;
	d->crash_restart_pending = false; /* fenced: the next start is a start */
	if (r->fenced) {
		ha_fire_hook(d, PGQ_HOOK_ON_STOP, pgq_ha_action_name(d->op_action));
		/* on_demote with the final LSN once pg_controldata was read (ha_hooks.c). */
		if (d->op_action == PGQ_HA_CLEAN_STOP)
			snprintf(d->demote_reason, sizeof d->demote_reason, "switchover");
		else if (strcmp(d->last_role_reported, "primary") == 0)
			snprintf(d->demote_reason, sizeof d->demote_reason, "self-fence");
	}
	ha_op_done(d, "fence (S5)", r->fenced, r->error);
}

/*
 * While an operation runs the member decision is not evaluated (no
 * renewal, no self-fence step): an operation that may leave PostgreSQL
 * writable is bounded by a third of the lease, so the S5 schedule resumes
 * well before the lease can end.
 */
static uint32_t writable_op_bound_ms(const struct ha_driver *d)
{
	uint32_t third = pgq_record_config(d->rt->record)->ttl_ms / 3;

	return third >= 1000 ? third : 1000;
}

static void start_pg(struct ha_driver *d)
{
	struct pgmgr_ctl_opts o = { .bin_dir = d->cfg_pg->bin_dir, .data_dir = d->data_dir,
				    .log_path = d->log_path, .wait_s = 60 };
	char err[256];
	pid_t stale = 0;

	if (d->op_action == PGQ_HA_START_PRIMARY || d->op_action == PGQ_HA_RESTART)
		o.wait_s = writable_op_bound_ms(d) / 1000;
	/*
	 * A postmaster that exited but is not reaped yet (its parent is PID 1,
	 * which may reap late in a container) leaves a zombie that PostgreSQL
	 * takes for a running server when its postmaster.pid remains.
	 */
	switch (pgmgr_fence_clear_stale_pid(d->data_dir, &stale, err, sizeof err)) {
	case 1:
		pgq_warning("ha", "removed a stale postmaster.pid (PID %d no longer runs in %s)",
			    (int)stale, d->data_dir);
		break;
	case -1:
		ha_op_done(d, "pg_ctl start", false, err);
		return;
	default:
		break;
	}
	if (pgmgr_start(&d->rt->loop, &o, on_cmd_done, d, &d->op_cmd, err, sizeof err) != 0)
		ha_op_done(d, "pg_ctl start", false, err);
}

static void on_operator_stopped(void *ctx, const struct pgmgr_fence_result *r)
{
	struct ha_driver *d = ctx;

	d->pg_started = false;
	d->op_cmd = NULL;
	ha_ops_stopped(d, r->fenced, r->error);
}

static void on_operator_stop_failed(struct ha_driver *d, const char *err)
{
	d->op_cmd = NULL;
	ha_ops_stopped(d, false, err);
}

static void on_conf_written(void *ctx, const struct pgmgr_conf_result *r)
{
	struct conf_job *job = ctx;
	struct ha_driver *d = job->d;
	enum after_conf next = job->next;
	enum pgmgr_fence_step step = job->fence_step;
	char err[256];

	if (r->status == 0) {
		snprintf(d->conf_upstream, sizeof d->conf_upstream, "%s", job->upstream);
		d->conf_read_only = job->read_only;
		d->conf_params_key = job->params_key;
		d->conf_written = true;
	}
	free(job);
	if (d->stopping && next != AFTER_FENCE && next != AFTER_OPERATOR_STOP) {
		ha_op_done(d, "configuration", r->status == 0, r->error);
		return;
	}
	if (r->status != 0 && next == AFTER_OPERATOR_STOP) {
		on_operator_stop_failed(d, r->error);
		return;
	}
	if (r->status != 0) {
		ha_op_done(d, "configuration write", false, r->error);
		return;
	}
	switch (next) {
	case AFTER_START:
		if (d->op_action == PGQ_HA_REWIND)
			d->op_action = PGQ_HA_START_STANDBY; /* the rewind is done: now a start */
		start_pg(d);
		return;
	case AFTER_RELOAD: {
		struct pgmgr_ctl_opts o = { .bin_dir = d->cfg_pg->bin_dir, .data_dir = d->data_dir };
		if (pgmgr_reload(&d->rt->loop, &o, on_cmd_done, d, &d->op_cmd, err, sizeof err) != 0)
			ha_op_done(d, "reload", false, err);
		return;
	}
	case AFTER_PROMOTE: {
		uint32_t timeout = pgq_record_config(d->rt->record)->promote_timeout_ms;
		/* L5's promote_timeout is the decision's; the wait here stays within the lease. */
		if (timeout > writable_op_bound_ms(d))
			timeout = writable_op_bound_ms(d);
		if (pgmgr_promote_start(&d->rt->loop, d->local_conninfo, timeout, 100, on_promoted, d,
					NULL, err, sizeof err) != 0)
			ha_op_done(d, "promote", false, err);
		return;
	}
	case AFTER_FENCE:
	case AFTER_CLEAN_STOP: {
		struct pgmgr_fence_opts o = { .bin_dir = d->cfg_pg->bin_dir, .data_dir = d->data_dir,
					      .first_step = step };
		if (pgmgr_fence_start(&d->rt->loop, &o, on_fenced, d, NULL, err, sizeof err) != 0)
			ha_op_done(d, "fence", false, err);
		return;
	}
	case AFTER_OPERATOR_STOP: {
		/* Bounded by a third of the ttl like every step that may leave it writable. */
		struct pgmgr_fence_opts o = { .bin_dir = d->cfg_pg->bin_dir, .data_dir = d->data_dir,
					      .first_step = PGMGR_FENCE_FAST,
					      .fast_timeout_ms = writable_op_bound_ms(d) };
		if (pgmgr_fence_start(&d->rt->loop, &o, on_operator_stopped, d, NULL, err,
				      sizeof err) != 0)
			on_operator_stop_failed(d, err);
		return;
	}
	case AFTER_NOTHING:
	default:
		ha_op_done(d, "configuration", true, NULL);
		return;
	}
}

int ha_operator_stop(struct ha_driver *d, char *err, size_t errlen)
{
	/* S14: standby.signal before the stop, so nothing but the agent's decision makes it writable again. */
	if (write_conf(d, d->conf_upstream, PGMGR_SIGNAL_CREATE, false, AFTER_OPERATOR_STOP,
		       PGMGR_FENCE_FAST, false) != 0) {
		snprintf(err, errlen, "could not write the PostgreSQL configuration");
		return -1;
	}
	return 0;
}

int ha_reload_pg(struct ha_driver *d, bool hook, char *err, size_t errlen)
{
	d->opr.reload_hook = hook;
	if (write_conf(d, d->conf_upstream, PGMGR_SIGNAL_KEEP, false, AFTER_RELOAD, 0, false) != 0) {
		d->opr.reload_hook = false;
		snprintf(err, errlen, "could not write the PostgreSQL configuration");
		return -1;
	}
	return 0;
}

/* ---- hooks before a promotion (S19) -------------------------------------- */

static void run_hook(struct ha_driver *d, enum pgq_hook_event e, const char *old_primary,
		     pgq_hook_done_cb cb);

static void on_fence_hook(const struct pgq_hook_result *r, void *arg)
{
	struct ha_driver *d = arg;

	if (d->stopping)
		return;
	/* S19: one run per member awaiting fencing; the next only once this one fenced. */
	if (pgq_fence_round_next(r, d->fence_index, d->n_fence)) {
		pgq_info("ha", "fence hook: %s fenced (%zu of %zu), fencing %s next (S19)",
			 d->fence_names[d->fence_index], d->fence_index + 1, d->n_fence,
			 d->fence_names[d->fence_index + 1]);
		d->fence_index++;
		run_hook(d, PGQ_HOOK_FENCE, d->fence_names[d->fence_index], on_fence_hook);
		return;
	}
	ha_fence_result(d, r, d->fence_names, d->n_fence, d->fence_index);
	ha_op_done(d, "fence hook", r->ok, r->exec.output);
}

static void on_pre_promote(const struct pgq_hook_result *r, void *arg)
{
	struct ha_driver *d = arg;
	uint64_t epoch = pgq_record_epoch(d->rt->record);

	if (d->stopping)
		return;
	if (pgq_hooks_vetoed(r))
		d->hooks_obs.pre_promote_vetoed_epoch = epoch;
	else
		d->hooks_obs.pre_promote_done_epoch = epoch;
	ha_op_done(d, "pre_promote", !pgq_hooks_vetoed(r), r->exec.output);
}

/* fence and pre_promote gate the promotion: run at once, not behind notifications. */
static void run_hook(struct ha_driver *d, enum pgq_hook_event e, const char *old_primary,
		     pgq_hook_done_cb cb)
{
	const char *reason = pgq_change_reason_name(pgq_record_primary(d->rt->record)->named_reason);
	struct ha_hook_event *h = ha_hook_event_new(d, e, rt_ha_role(d->rt), rt_ha_role(d->rt),
						    old_primary, reason);
	char err[200];

	if (h == NULL) {
		ha_op_done(d, pgq_hook_event_name(e), false, "out of memory");
		return;
	}
	if (pgq_hooks_run(d->hooks, ha_hook_event_plugin(h), cb, d, err, sizeof err) != 0)
		ha_op_done(d, pgq_hook_event_name(e), false, err);
	free(h);
}

/* ---- side tasks: roles and slots on the primary --------------------------- */

static void on_slots_sql(void *ctx, enum pgmgr_sql_status st, const char *error)
{
	struct ha_driver *d = ctx;

	d->sql_inflight = false;
	if (st != PGMGR_SQL_OK)
		pgq_warning("ha", "replication slots (L6): %s", error);
}

static void on_roles_sql(void *ctx, enum pgmgr_sql_status st, const char *error)
{
	struct ha_driver *d = ctx;

	d->sql_inflight = false;
	if (st != PGMGR_SQL_OK) {
		pgq_warning("ha", "roles: %s", error);
		return;
	}
	d->roles_done = true;
	pgq_info("ha", "replication and superuser roles in place");
}

/* The writable primary creates the roles (idempotent) and a slot per other member (L6). */
static void primary_housekeeping(struct ha_driver *d)
{
	const struct pgq_config_postgresql *pg = d->cfg_pg;
	uint64_t now = pgq_now_boottime_ms();
	char err[256];

	if (d->sql_inflight || !d->accept_writes || d->conf_read_only ||
	    d->obs.run != PGQ_PGRUN_RUNNING || d->obs.in_recovery)
		return;
	if (!d->roles_done && now - d->roles_sent_ms >= 2000) {
		char *roles = NULL, *sql = NULL;
		d->roles_sent_ms = now;
		if (pgmgr_roles_sql(pg->superuser.username, pg->superuser.password,
				    pg->replication.username, pg->replication.password, &roles, err,
				    sizeof err) != 0) {
			pgq_error("ha", "roles: %s", err);
			return;
		}
		/*
		 * One implicit transaction: make it read-write before the first
		 * statement. Committed locally: these are the agent's own roles, and
		 * in strict mode a sync wait would block the standbys' replication
		 * user behind the standbys themselves (no client data, so R2/S11 do
		 * not apply).
		 */
		if (asprintf(&sql, "BEGIN READ WRITE; SET LOCAL synchronous_commit = local; %s; COMMIT;",
			     roles) > 0 &&
		    pgmgr_sql_exec(&d->rt->loop, d->local_conninfo, sql, 10000, on_roles_sql, d, err,
				   sizeof err) == 0)
			d->sql_inflight = true;
		if (roles != NULL)
			explicit_bzero(roles, strlen(roles));
		if (sql != NULL)
			explicit_bzero(sql, strlen(sql));
		free(roles);
		free(sql);
		return;
	}
	if (pg->use_slots && now - d->slots_sent_ms >= 5000) {
		char names[PGQ_RECORD_MAX_MEMBERS][64];
		const char *ptrs[PGQ_RECORD_MAX_MEMBERS];
		size_t n = 0;

		d->slots_sent_ms = now;
		for (size_t i = 0; i < pgq_record_member_count(d->rt->record); i++) {
			const struct pgq_member *m = pgq_record_member_at(d->rt->record, i);
			if (strcmp(m->name, d->rt->cfg->name) == 0 ||
			    pgmgr_slot_name(m->name, names[n], sizeof names[n]) != 0)
				continue;
			ptrs[n] = names[n];
			n++;
		}
		if (n > 0 && pgmgr_slots_ensure(&d->rt->loop, d->local_conninfo, ptrs, n, 10000,
						on_slots_sql, d, err, sizeof err) == 0)
			d->sql_inflight = true;
	}
}

/* ---- dispatch ------------------------------------------------------------ */

static enum pgmgr_fence_step fence_step_of(enum pgq_ha_action a)
{
	return a == PGQ_HA_FAST_STOP ? PGMGR_FENCE_FAST
	       : a == PGQ_HA_IMMEDIATE_STOP ? PGMGR_FENCE_IMMEDIATE : PGMGR_FENCE_KILL;
}

void ha_begin(struct ha_driver *d, enum pgq_ha_action a)
{
	d->op = HA_OP_BUSY;
	d->op_action = a;
	d->op_started_ms = pgq_now_boottime_ms();
	pgq_info("ha", "action %s", pgq_ha_action_name(a));
}

void ha_act(struct ha_driver *d, const struct pgq_ha_member_decision *md)
{
	const struct pgq_config_postgresql *pg = d->cfg_pg;
	char err[256], conninfo[1024];
	enum pgq_ha_action a = md->action;
	int rc = 0;

	if (d->stopping)
		return;
	primary_housekeeping(d);
	/* Client writes follow promoted{} (S12a): flip default_transaction_read_only by reload. */
	if (a == PGQ_HA_NONE && d->conf_written && d->obs.run == PGQ_PGRUN_RUNNING &&
	    !d->obs.in_recovery && d->conf_read_only == d->accept_writes) {
		ha_begin(d, PGQ_HA_FOLLOW);
		d->op_action = PGQ_HA_NONE;
		if (write_conf(d, d->conf_upstream, PGMGR_SIGNAL_KEEP, false, AFTER_RELOAD, 0, false) != 0)
			ha_op_done(d, "read-only switch", false, "configuration");
		return;
	}
	/* The record's postgresql.parameters changed (PATCH/PUT /config): rewrite and reload. */
	if (a == PGQ_HA_NONE && d->conf_written && d->obs.run == PGQ_PGRUN_RUNNING &&
	    pgq_record_bootstrapped(d->rt->record) &&
	    ha_params_key(d->rt->record) != d->conf_params_key) {
		ha_begin(d, PGQ_HA_FOLLOW);
		d->op_action = PGQ_HA_NONE;
		pgq_info("ha", "the cluster's postgresql.parameters changed: rewriting pgquorum.conf "
			 "and reloading PostgreSQL");
		d->opr.reload_reason = "dynamic configuration"; /* on_reload once reloaded */
		if (ha_reload_pg(d, true, err, sizeof err) != 0)
			ha_op_done(d, "parameters reload", false, err);
		return;
	}
	/* After an agent restart, pgquorum.conf is unknown: rewrite it once a standby runs. */
	if (a == PGQ_HA_NONE && !d->conf_written && d->obs.run == PGQ_PGRUN_RUNNING &&
	    d->obs.in_recovery && md->goal == PGQ_GOAL_FOLLOW)
		a = PGQ_HA_FOLLOW;
	switch (a) {
	case PGQ_HA_NONE:
	case PGQ_HA_STAY_DOWN:
	case PGQ_HA_ACTION__COUNT:
		return;
	case PGQ_HA_START_STANDBY:
	case PGQ_HA_START_PRIMARY:
	case PGQ_HA_RESTART:
		/* A refused start is retried with a bounded backoff, not at every cycle. */
		if (pgq_now_boottime_ms() < d->start_retry_at_ms)
			return;
		break;
	default:
		break;
	}
	/* L8: a failed required fence is retried once per loop_wait, not every cycle. */
	if (a == PGQ_HA_RUN_FENCE_HOOK && ha_fence_retry_later(d))
		return;
	ha_begin(d, a);
	switch (a) {
	case PGQ_HA_INITDB: {
		struct pgmgr_initdb_opts o = {
			.bin_dir = pg->bin_dir, .data_dir = d->data_dir,
			.superuser = pg->superuser.username,
			.superuser_password = pg->superuser.password,
			.options = d->rt->cfg->bootstrap.initdb,
			.n_options = d->rt->cfg->bootstrap.n_initdb,
		};
		rc = pgmgr_initdb(&d->rt->loop, &o, on_cmd_done, d, &d->op_cmd, err, sizeof err);
		break;
	}
	case PGQ_HA_START_STANDBY:
	case PGQ_HA_START_PRIMARY:
	case PGQ_HA_RESTART: {
		bool signal = a == PGQ_HA_START_PRIMARY ? false : md->standby_signal;
		const char *up = signal ? md->upstream : "";

		d->starting_writable = !signal;
		if (a == PGQ_HA_START_STANDBY && !md->standby_signal)
			up = "";
		rc = write_conf(d, up, signal ? PGMGR_SIGNAL_CREATE : PGMGR_SIGNAL_REMOVE, false,
				AFTER_START, 0, false);
		snprintf(err, sizeof err, "configuration");
		break;
	}
	case PGQ_HA_FOLLOW:
	case PGQ_HA_STOP_RECEIVER:
		rc = write_conf(d, a == PGQ_HA_FOLLOW ? md->upstream : "", PGMGR_SIGNAL_KEEP, false,
				AFTER_RELOAD, 0, false);
		snprintf(err, sizeof err, "configuration");
		break;
	case PGQ_HA_RECLONE: {
		char aside[1200];
		snprintf(aside, sizeof aside, "%s.old-%llu", d->data_dir,
			 (unsigned long long)rt_wall_ms());
		if (rename(d->data_dir, aside) != 0) {
			snprintf(err, sizeof err, "cannot move the data directory aside");
			rc = -1;
			break;
		}
		pgq_warning("ha", "data directory moved to %s for a re-clone", aside);
	}
		/* fall through */
	case PGQ_HA_BASEBACKUP: {
		struct pgmgr_basebackup_opts o = {
			.bin_dir = pg->bin_dir, .data_dir = d->data_dir, .conninfo = conninfo,
			.password = pg->replication.password, .timeout_ms = 600000,
		};
		if (rc != 0)
			break;
		if (member_conninfo(d, md->upstream, pg->replication.username, NULL,
				    CLONE_APPLICATION_NAME, conninfo,
				    sizeof conninfo) != 0) {
			snprintf(err, sizeof err, "no PostgreSQL address recorded for %s", md->upstream);
			rc = -1;
			break;
		}
		snprintf(d->conf_upstream, sizeof d->conf_upstream, "%s", md->upstream);
		rc = pgmgr_basebackup(&d->rt->loop, &o, on_cmd_done, d, &d->op_cmd, err, sizeof err);
		break;
	}
	case PGQ_HA_REWIND: {
		struct pgmgr_rewind_opts o = {
			.bin_dir = pg->bin_dir, .data_dir = d->data_dir, .conninfo = conninfo,
			.password = pg->superuser.password, .timeout_ms = 600000,
		};
		if (member_conninfo(d, md->upstream, pg->superuser.username, NULL,
				    CLONE_APPLICATION_NAME, conninfo,
				    sizeof conninfo) != 0) {
			snprintf(err, sizeof err, "no PostgreSQL address recorded for %s", md->upstream);
			rc = -1;
			break;
		}
		snprintf(d->conf_upstream, sizeof d->conf_upstream, "%s", md->upstream);
		rc = pgmgr_rewind(&d->rt->loop, &o, on_cmd_done, d, err, sizeof err);
		break;
	}
	case PGQ_HA_RUN_FENCE_HOOK:
		d->n_fence = md->n_fence < PGQ_RECORD_MAX_MEMBERS ? md->n_fence : PGQ_RECORD_MAX_MEMBERS;
		memcpy(d->fence_names, md->fence_names, sizeof d->fence_names);
		d->fence_index = 0;
		run_hook(d, PGQ_HOOK_FENCE, d->n_fence > 0 ? d->fence_names[0] : NULL, on_fence_hook);
		return;
	case PGQ_HA_RUN_PRE_PROMOTE:
		/* S1/S5: the watchdog is armed before anything may become writable. */
		if (!ha_watchdog_arm_for_promotion(d)) {
			ha_op_done(d, "watchdog", false, "watchdog.mode required but unusable: not promoting");
			return;
		}
		run_hook(d, PGQ_HOOK_PRE_PROMOTE, NULL, on_pre_promote);
		return;
	case PGQ_HA_PROMOTE:
		/* S12 history files and S10 (synchronous_standby_names '') with the conf. */
		rc = write_conf(d, "", PGMGR_SIGNAL_KEEP, true, AFTER_PROMOTE, 0, false);
		snprintf(err, sizeof err, "configuration");
		break;
	case PGQ_HA_WRITE_STANDBY_SIGNAL:
		/*
		 * Reload only when default_transaction_read_only changes with this
		 * write (a restarted primary whose promoted{} is already committed,
		 * C11): the read-only switch compares with the file, so the running
		 * server must have loaded it. A promotion keeps it on here: no
		 * reload, no longer operation (no renewals run meanwhile).
		 */
		rc = write_conf(d, d->conf_upstream, PGMGR_SIGNAL_CREATE, false,
				d->conf_read_only != !d->accept_writes ? AFTER_RELOAD : AFTER_NOTHING, 0,
				false);
		snprintf(err, sizeof err, "configuration");
		break;
	case PGQ_HA_CLEAN_STOP:
		/* S13 (2): standby.signal first, then a fast stop; pg_controldata follows in observe. */
		rc = write_conf(d, "", PGMGR_SIGNAL_CREATE, false, AFTER_CLEAN_STOP, PGMGR_FENCE_FAST,
				false);
		snprintf(err, sizeof err, "configuration");
		break;
	case PGQ_HA_FAST_STOP:
	case PGQ_HA_IMMEDIATE_STOP:
	case PGQ_HA_KILL:
		/* S5: standby.signal first, then the fence from the step due. */
		rc = write_conf(d, "", PGMGR_SIGNAL_CREATE, false, AFTER_FENCE, fence_step_of(a), false);
		if (rc != 0) {
			struct pgmgr_fence_opts o = { .bin_dir = pg->bin_dir, .data_dir = d->data_dir,
						      .first_step = fence_step_of(a) };
			rc = pgmgr_fence_start(&d->rt->loop, &o, on_fenced, d, NULL, err, sizeof err);
		}
		break;
	default:
		rc = 0;
		ha_op_done(d, pgq_ha_action_name(a), true, NULL);
		return;
	}
	if (rc != 0)
		ha_op_done(d, pgq_ha_action_name(a), false, err);
}

static void on_exit_stop(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct ha_driver *d = ctx;
	char desc[128];

	d->stop_at_exit_inflight = false;
	pgq_info("ha", "PostgreSQL stopped at agent exit: %s", pgmgr_cmd_describe(r, desc, sizeof desc));
	/* S5: magic close only now that PostgreSQL is stopped (ha_watchdog.c). */
	ha_watchdog_exit_stopped(d, pgmgr_cmd_ok(r));
	ha_hooks_exit(d, pgmgr_cmd_ok(r));
}

void ha_actions_shutdown(struct ha_driver *d)
{
	struct pgmgr_ctl_opts o = { .bin_dir = d->cfg_pg->bin_dir, .data_dir = d->data_dir,
				    .wait_s = 30, .mode = PGMGR_STOP_FAST };
	char err[256];

	if (d->op_cmd != NULL)
		pgmgr_cmd_cancel(d->op_cmd);
	/*
	 * A clean agent exit stops PostgreSQL (fast): nobody renews its lease
	 * any more, so it must not stay writable (S5), and a standby without
	 * its agent would not follow a new primary.
	 */
	if (d->obs.run == PGQ_PGRUN_RUNNING || d->obs.run == PGQ_PGRUN_NOT_ANSWERING) {
		if (pgmgr_stop(&d->rt->loop, &o, on_exit_stop, d, NULL, err, sizeof err) == 0)
			d->stop_at_exit_inflight = true;
		else
			pgq_warning("ha", "stopping PostgreSQL at exit: %s", err);
	}
}

/*
 * ha_member_ops.c — what an operator asks of THIS member's PostgreSQL
 * (Patroni's member endpoints, served on each member's own API):
 *
 *   POST /restart {schedule, restart_pending, role, postgres_version,
 *       timeout}: now → 200 once it runs again (the HTTP thread waits; the
 *       loop never does), 503 when the conditions do not hold or it failed;
 *       scheduled → 202, 409 when one is already scheduled.
 *   DELETE /restart: 200 cancelled, 404 none.
 *   POST /reload (and SIGHUP): rewrite pgquorum.conf, reload PostgreSQL,
 *       fire on_reload. Settings that need a restart then show as
 *       pending_restart (reported into the record, GET /cluster).
 *   POST /reinitialize {force, from_leader}: refused on the primary;
 *       otherwise fence, move the data directory aside (then delete it off
 *       the loop), and the convergence table clones from the primary.
 *
 * Why a restart is "stop, then let the table start it": the table already
 * knows how a stopped member starts safely — S14: without standby.signal
 * only while this member holds a valid lease for the current epoch (row
 * primary-stopped), else read-only behind its upstream. Pause holds back
 * automatic actions only (S18), so while an operator's restart or clone is
 * under way the decision is told to act in spite of pause; safety (the
 * lease, the S5 fence) is not touched by that. While the primary's stop
 * runs as one operation the driver keeps renewing the lease on the last
 * observation (ha_driver.c), so the restart never looks like a loss.
 */
#include "runtime/ha_driver_internal.h"

#include "ha/clock.h"
#include "ha/reinit.h"
#include "log.h"
#include "pgmgr/cmd.h"
#include "pgmgr/fence.h"
#include "rest/member_view.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Patroni's primary_start_timeout default is 300 s; the HTTP side waits at most this long. */
#define RESTART_DEFAULT_TIMEOUT_S 60u
#define RESTART_MAX_WAIT_S 110u

static void answer(struct ha_driver *d, unsigned status, const char *key, const char *text)
{
	struct pgq_rest_call *call = d->opr.call;

	if (call == NULL)
		return;
	d->opr.call = NULL;
	pgq_rest_call_finish(call, status, json_pack("{s:s}", key, text), NULL);
}

static const char *member_role(const struct ha_driver *d)
{
	if (!d->health_valid || d->obs.run != PGQ_PGRUN_RUNNING)
		return "";
	return d->obs.in_recovery ? "replica" : "primary";
}

static bool busy_text(const struct ha_driver *d, char *buf, size_t len)
{
	switch (d->opr.state) {
	case HA_OPR_NONE:
		return false;
	case HA_OPR_REINIT_WANTED:
	case HA_OPR_REINIT_STOPPING:
	case HA_OPR_REINIT_CLONING:
		snprintf(buf, len, "reinitialize already in progress");
		return true;
	default:
		snprintf(buf, len, "restart already in progress");
		return true;
	}
}

/* ---- POST /restart, DELETE /restart ----------------------------------- */

void rt_ha_restart_post(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	struct ha_driver *d = rt->ha;
	struct pgq_restart_req req;
	char err[256], why[64];
	int status;
	uint32_t timeout_s;

	if (d == NULL || d->stopping) {
		pgq_rest_call_fail(call, 503, "PostgreSQL is not managed by this agent (postgresql.manage)");
		return;
	}
	status = pgq_restart_req_parse(call->body, (int64_t)rt_wall_ms(), &req, err, sizeof err);
	if (status != 0) {
		pgq_rest_call_fail(call, (unsigned)status, err);
		return;
	}
	if (req.has_schedule) {
		/* Patroni refuses to schedule while paused (its answer is 500; ours 400, the client's fault). */
		if (pgq_record_paused(rt->record)) {
			pgq_rest_call_fail(call, 400, "Can't schedule restart in the paused state");
			return;
		}
		if (d->opr.scheduled) {
			pgq_rest_call_fail(call, 409, "Another restart is already scheduled");
			return;
		}
		d->opr.scheduled = true;
		d->opr.at = req;
		/* Published before the 202: a GET /patroni right after shows the schedule. */
		rt_publish(rt);
		pgq_info("ha", "restart of PostgreSQL scheduled for %s", req.schedule_text);
		pgq_rest_call_finish(call, 202, json_pack("{s:s}", "status", "Restart scheduled"), NULL);
		return;
	}
	if (!pgq_restart_req_matches(&req, member_role(d), d->health_valid ? d->health.server_version_num : 0,
				     d->health_valid && d->health.pending_restart, why, sizeof why)) {
		pgq_info("ha", "restart request refused: %s", why);
		pgq_rest_call_fail(call, 503, "restart conditions are not satisfied");
		return;
	}
	if (busy_text(d, err, sizeof err)) {
		pgq_rest_call_fail(call, 503, err);
		return;
	}
	if (d->obs.data != PGQ_PGDATA_VALID ||
	    (d->obs.run != PGQ_PGRUN_RUNNING && d->obs.run != PGQ_PGRUN_NOT_ANSWERING)) {
		pgq_info("ha", "restart request refused: PostgreSQL is %s",
			 d->obs.data != PGQ_PGDATA_VALID ? "without a data directory" : "not running");
		pgq_rest_call_fail(call, 503, "PostgreSQL is not running: nothing to restart "
				   "(the agent starts it when it may)");
		return;
	}
	timeout_s = req.timeout_s != 0 ? req.timeout_s : RESTART_DEFAULT_TIMEOUT_S;
	if (timeout_s > RESTART_MAX_WAIT_S)
		timeout_s = RESTART_MAX_WAIT_S; /* the HTTP side gives up soon after (rest.c) */
	d->opr.state = HA_OPR_RESTART_WANTED;
	d->opr.call = call;
	d->opr.deadline_ms = pgq_now_boottime_ms() + timeout_s * 1000ull;
	d->opr.old_start_us = d->health.postmaster_start_us;
	pgq_info("ha", "restart of PostgreSQL requested through the REST API (timeout %u s)", timeout_s);
	ha_cycle_soon(d);
}

void rt_ha_restart_delete(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	struct ha_driver *d = rt->ha;

	if (d == NULL || !d->opr.scheduled) {
		pgq_rest_call_fail(call, 404, "no restarts are scheduled");
		return;
	}
	d->opr.scheduled = false;
	rt_publish(rt); /* before the answer, as when scheduled */
	pgq_info("ha", "scheduled restart of PostgreSQL (%s) cancelled", d->opr.at.schedule_text);
	pgq_rest_call_finish(call, 200, json_pack("{s:s}", "status", "scheduled restart deleted"), NULL);
}

/* A scheduled restart whose time came: its conditions are judged now, as Patroni does. */
static void scheduled_due(struct ha_driver *d)
{
	char why[64];

	if (!d->opr.scheduled || (int64_t)rt_wall_ms() < d->opr.at.schedule_ms)
		return;
	if (d->opr.state != HA_OPR_NONE || d->op != HA_OP_NONE)
		return; /* once the running action ended */
	d->opr.scheduled = false;
	d->rt->view_dirty = true;
	if (pgq_record_paused(d->rt->record)) {
		pgq_warning("ha", "scheduled restart (%s) cancelled: the cluster is paused",
			    d->opr.at.schedule_text);
		return;
	}
	if (!pgq_restart_req_matches(&d->opr.at, member_role(d),
				     d->health_valid ? d->health.server_version_num : 0,
				     d->health_valid && d->health.pending_restart, why, sizeof why)) {
		pgq_info("ha", "scheduled restart (%s) cancelled: %s", d->opr.at.schedule_text, why);
		return;
	}
	if (d->obs.run != PGQ_PGRUN_RUNNING || !d->health_valid) {
		pgq_warning("ha", "scheduled restart (%s) cancelled: PostgreSQL is not running",
			    d->opr.at.schedule_text);
		return;
	}
	pgq_info("ha", "scheduled restart (%s) begins", d->opr.at.schedule_text);
	d->opr.state = HA_OPR_RESTART_WANTED;
	d->opr.deadline_ms = pgq_now_boottime_ms() +
			     (d->opr.at.timeout_s != 0 ? d->opr.at.timeout_s : RESTART_DEFAULT_TIMEOUT_S) * 1000ull;
	d->opr.old_start_us = d->health.postmaster_start_us;
	ha_cycle_soon(d);
}

/* ---- POST /reinitialize ---------------------------------------------- */

static bool body_flag(const json_t *body, const char *key)
{
	const json_t *v = body != NULL ? json_object_get(body, key) : NULL;
	const char *s = json_string_value(v);

	/* Patroni's parse_bool: true, or the strings it accepts for it. */
	return json_is_true(v) ||
	       (s != NULL && (strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0 ||
			      strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0));
}

void rt_ha_reinit_post(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	struct ha_driver *d = rt->ha;
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	const char *key;
	const json_t *v;
	char err[160];
	const char *status;
	struct pgq_reinit_facts facts;
	enum pgq_reinit_decision dec;
	bool force;

	if (d == NULL || d->stopping) {
		pgq_rest_call_fail(call, 503, "PostgreSQL is not managed by this agent (postgresql.manage)");
		return;
	}
	if (call->body != NULL) {
		json_object_foreach((json_t *)call->body, key, v) {
			if (strcmp(key, "force") != 0 && strcmp(key, "from_leader") != 0 &&
			    strcmp(key, "from-leader") != 0) {
				snprintf(err, sizeof err, "unknown field \"%.64s\" (expected force, from_leader)", key);
				pgq_rest_call_fail(call, 400, err);
				return;
			}
		}
	}
	force = body_flag(call->body, "force");
	facts = (struct pgq_reinit_facts){
		.recorded_primary = strcmp(p->name, rt->cfg->name) == 0,
		.writable = d->health_valid && d->obs.run == PGQ_PGRUN_RUNNING && !d->obs.in_recovery,
		.op_running = d->op != HA_OP_NONE,
		.op_action = d->op_action,
		.op_has_child = d->op_cmd != NULL && pgmgr_cmd_pid(d->op_cmd) > 0,
		.force = force,
	};
	dec = pgq_reinit_decide(&facts);
	/* from_leader: this agent always clones from the recorded primary. */
	if (dec == PGQ_REINIT_REFUSE_PRIMARY) {
		pgq_rest_call_fail(call, 503, "I am the leader, can not reinitialize");
		return;
	}
	if (p->state != PGQ_PRIMARY_ACTIVE || !p->promoted || p->name[0] == '\0') {
		pgq_rest_call_fail(call, 503, "Cluster has no leader, can not reinitialize");
		return;
	}
	/* A reinitialize's own clone may be restarted by force; a restart is never cut short. */
	if ((!force || d->opr.state != HA_OPR_REINIT_CLONING || dec != PGQ_REINIT_CANCEL_RUNNING) &&
	    busy_text(d, err, sizeof err)) {
		pgq_rest_call_fail(call, 503, err);
		return;
	}
	if (dec == PGQ_REINIT_REFUSE_BUSY) {
		snprintf(err, sizeof err, "%s already in progress (force cancels a clone or a standby start, "
			 "and waits for anything else)", pgq_ha_action_name(d->op_action));
		pgq_rest_call_fail(call, 503, err);
		return;
	}
	d->opr.state = HA_OPR_REINIT_WANTED;
	pgq_warning("ha", "reinitialize requested through the REST API: the data directory %s "
		    "will be rebuilt from %s", d->data_dir, p->name);
	status = "reinitialize started";
	if (dec == PGQ_REINIT_CANCEL_RUNNING) {
		/*
		 * Patroni's force cancels the running task. Only a clone or a
		 * standby start (reinit.c): its child is killed by PID (its process
		 * group, SIGKILL after the grace); the reinitialize begins once the
		 * child was reaped (on_cmd_done ends the operation), and it fences
		 * the data directory and verifies that no process of it remains
		 * before moving it aside (S5, ha_ops_act).
		 */
		pgq_warning("ha", "reinitialize with force: cancelling the running %s (PID %d)",
			    pgq_ha_action_name(d->op_action), pgmgr_cmd_pid(d->op_cmd));
		d->opr.reinit_cancelled = true;
		pgmgr_cmd_cancel(d->op_cmd);
		status = "reinitialize started (the running operation was cancelled)";
	} else if (dec == PGQ_REINIT_QUEUE) {
		status = "reinitialize queued after the running operation";
	}
	ha_cycle_soon(d);
	pgq_rest_call_finish(call, 200, json_pack("{s:s}", "status", status), NULL);
}

/* Removing the moved-aside data directory is disk work: the thread pool does it. */
struct wipe_job {
	uv_work_t work;
	char path[1200];
	int rc;
	int errnum;
};

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) != 0 ? -1 : 0;
	return unlink(path) != 0 ? -1 : 0;
}

static void wipe_run(uv_work_t *w)
{
	struct wipe_job *j = w->data;

	j->rc = nftw(j->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	j->errnum = errno;
}

static void wipe_done(uv_work_t *w, int status)
{
	struct wipe_job *j = w->data;

	if (status == 0 && j->rc == 0)
		pgq_info("ha", "old data directory %s deleted", j->path);
	else
		pgq_warning("ha", "could not delete the old data directory %s: %s (delete it by hand)",
			    j->path, strerror(j->errnum));
	free(j);
}

/*
 * Safety first: only the configured data directory, only once no process
 * of it remains (S5, verified by the fence), and only when it looks like a
 * PostgreSQL data directory. It is renamed (atomic: the member now has no
 * data and the table clones), then deleted off the loop.
 */
static int move_data_dir_aside(struct ha_driver *d, char *err, size_t errlen)
{
	struct wipe_job *j;
	char version[1100];
	struct stat st;

	if (d->data_dir[0] != '/' || strcmp(d->data_dir, "/") == 0) {
		snprintf(err, errlen, "refusing to delete \"%.200s\": not an absolute data directory", d->data_dir);
		return -1;
	}
	snprintf(version, sizeof version, "%s/PG_VERSION", d->data_dir);
	if (stat(version, &st) != 0 && stat(d->data_dir, &st) == 0) {
		snprintf(err, errlen, "refusing to delete \"%.150s\": no PG_VERSION, not a PostgreSQL data directory",
			 d->data_dir);
		return -1;
	}
	j = calloc(1, sizeof *j);
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(j->path, sizeof j->path, "%s.reinit-%llu", d->data_dir,
		 (unsigned long long)rt_wall_ms());
	if (rename(d->data_dir, j->path) != 0) {
		int e = errno;

		free(j);
		if (e == ENOENT)
			return 0; /* nothing to move: clone into the empty place */
		snprintf(err, errlen, "cannot move %.150s aside: %.80s", d->data_dir, strerror(e));
		return -1;
	}
	pgq_warning("ha", "reinitialize: data directory %s moved to %s; deleting it", d->data_dir, j->path);
	d->conf_written = false;
	d->conf_upstream[0] = '\0';
	j->work.data = j;
	if (uv_queue_work(&d->rt->loop, &j->work, wipe_run, wipe_done) != 0) {
		pgq_warning("ha", "could not delete %s: delete it by hand", j->path);
		free(j);
	}
	return 0;
}

/* ---- reload ------------------------------------------------------------ */

void rt_ha_reload(struct pgq_runtime *rt, const char *reason)
{
	struct ha_driver *d = rt->ha;

	if (d == NULL || d->stopping)
		return;
	d->opr.reload_wanted = true;
	d->opr.reload_reason = reason;
	ha_cycle_soon(d);
}

/* ---- the driver's side --------------------------------------------------- */

bool ha_ops_operator_start(const struct ha_driver *d)
{
	return d->opr.state == HA_OPR_RESTART_STARTING || d->opr.state == HA_OPR_REINIT_CLONING;
}

void ha_ops_stopped(struct ha_driver *d, bool fenced, const char *error)
{
	char err[256];

	if (d->opr.state == HA_OPR_RESTART_STOPPING) {
		if (fenced) {
			d->opr.state = HA_OPR_RESTART_STARTING;
			ha_op_done(d, "restart: stop", true, NULL);
			return;
		}
		d->opr.state = HA_OPR_NONE;
		answer(d, 503, "error", "restart failed");
		ha_op_done(d, "restart: stop", false, error);
		return;
	}
	if (d->opr.state == HA_OPR_REINIT_STOPPING) {
		if (!fenced) {
			d->opr.state = HA_OPR_NONE;
			ha_op_done(d, "reinitialize: stop", false, error);
			return;
		}
		if (move_data_dir_aside(d, err, sizeof err) != 0) {
			d->opr.state = HA_OPR_NONE;
			ha_op_done(d, "reinitialize", false, err);
			return;
		}
		d->opr.state = HA_OPR_REINIT_CLONING;
		ha_fire_hook(d, PGQ_HOOK_ON_STOP, "reinitialize");
		ha_op_done(d, "reinitialize: stop and move aside", true, NULL);
		return;
	}
	ha_op_done(d, "operator stop", fenced, error);
}

bool ha_ops_started(struct ha_driver *d, bool ok, const char *detail)
{
	if (d->opr.state != HA_OPR_RESTART_STARTING)
		return false;
	if (ok) {
		d->opr.state = HA_OPR_RESTART_VERIFY;
		return true;
	}
	pgq_warning("ha", "restart: PostgreSQL did not start: %s", detail != NULL ? detail : "");
	d->opr.state = HA_OPR_NONE;
	answer(d, 503, "error", "restart failed");
	return true;
}

bool ha_ops_act(struct ha_driver *d, const struct pgq_ha_member_decision *md)
{
	char err[256];

	switch (d->opr.state) {
	case HA_OPR_RESTART_WANTED:
	case HA_OPR_REINIT_WANTED: {
		bool restart = d->opr.state == HA_OPR_RESTART_WANTED;

		/* The safety fence and S5 steps come first; an operator's stop waits for them. */
		if (md->action == PGQ_HA_FAST_STOP || md->action == PGQ_HA_IMMEDIATE_STOP ||
		    md->action == PGQ_HA_KILL || md->action == PGQ_HA_CLEAN_STOP)
			return false;
		if (restart && d->obs.run != PGQ_PGRUN_RUNNING &&
		    d->obs.run != PGQ_PGRUN_NOT_ANSWERING) {
			d->opr.state = HA_OPR_NONE;
			answer(d, 503, "error", "restart failed: PostgreSQL stopped meanwhile");
			return false;
		}
		ha_begin(d, restart ? PGQ_HA_RESTART : PGQ_HA_RECLONE);
		d->opr.state = restart ? HA_OPR_RESTART_STOPPING : HA_OPR_REINIT_STOPPING;
		if (d->obs.data != PGQ_PGDATA_VALID && !restart) {
			size_t left = 0;

			/*
			 * No valid data (e.g. a clone force cancelled): nothing should
			 * run on it, but S5 is checked, not assumed — the observation
			 * may predate the cancel. Anything left gets the full fence.
			 */
			int rc = pgmgr_fence_check(d->data_dir, &left, err, sizeof err);

			if (rc == 0 && left == 0) {
				if (d->opr.reinit_cancelled)
					pgq_info("ha", "reinitialize: no process of %s remains (S5)", d->data_dir);
				d->opr.reinit_cancelled = false;
				ha_ops_stopped(d, true, NULL); /* move aside, clone */
				return true;
			}
			if (rc != 0)
				pgq_warning("ha", "reinitialize: cannot check for processes of %s (%s): fencing first (S5)",
					    d->data_dir, err);
			else
				pgq_warning("ha", "reinitialize: %zu process(es) of %s remain: fencing first (S5)",
					    left, d->data_dir);
		}
		d->opr.reinit_cancelled = false;
		if (ha_operator_stop(d, err, sizeof err) != 0)
			ha_ops_stopped(d, false, err);
		return true;
	}
	case HA_OPR_REINIT_CLONING:
		/* The table clones (follow-nodata) and starts it; done once it runs again. */
		if (d->obs.data == PGQ_PGDATA_VALID && d->obs.run == PGQ_PGRUN_RUNNING) {
			d->opr.state = HA_OPR_NONE;
			pgq_info("ha", "reinitialize: data directory rebuilt");
		}
		return false;
	default:
		break;
	}
	if (md->action != PGQ_HA_NONE || d->obs.run != PGQ_PGRUN_RUNNING || !d->conf_written)
		return false;
	if (!d->opr.reload_wanted)
		return false;
	d->opr.reload_wanted = false;
	ha_begin(d, PGQ_HA_FOLLOW);
	d->op_action = PGQ_HA_NONE;
	if (ha_reload_pg(d, true, err, sizeof err) != 0)
		ha_op_done(d, "reload", false, err);
	return true;
}

void ha_ops_after_decide(struct ha_driver *d)
{
	uint64_t now = pgq_now_boottime_ms();

	/* A reload asked while PostgreSQL is down: the agent's part is done; say so to the hook. */
	if (d->opr.reload_wanted && d->op == HA_OP_NONE && d->obs.run != PGQ_PGRUN_RUNNING) {
		d->opr.reload_wanted = false;
		ha_fire_hook(d, PGQ_HOOK_ON_RELOAD,
			     d->opr.reload_reason != NULL ? d->opr.reload_reason : "reload");
	}
	if (d->opr.state == HA_OPR_RESTART_VERIFY && d->health_valid &&
	    d->obs.run == PGQ_PGRUN_RUNNING && d->health.postmaster_start_us != d->opr.old_start_us) {
		d->opr.state = HA_OPR_NONE;
		pgq_info("ha", "restart: PostgreSQL runs again");
		answer(d, 200, "status", "restarted successfully");
	}
	if (d->opr.state == HA_OPR_RESTART_WANTED && now >= d->opr.deadline_ms) {
		/* Another operation held it back all along: nobody waits for it any more. */
		d->opr.state = HA_OPR_NONE;
		pgq_warning("ha", "restart: not begun within the timeout (another operation ran); dropped");
		answer(d, 503, "error", "restart failed: another operation ran until the timeout");
	}
	if (d->opr.call != NULL && now >= d->opr.deadline_ms) {
		pgq_warning("ha", "restart: PostgreSQL did not run again within the timeout");
		answer(d, 503, "error", "postgres is still starting");
	}
	/* Past the deadline the start is the table's business again (pause applies). */
	if ((d->opr.state == HA_OPR_RESTART_STARTING || d->opr.state == HA_OPR_RESTART_VERIFY) &&
	    now >= d->opr.deadline_ms + 1000 && d->op == HA_OP_NONE)
		d->opr.state = HA_OPR_NONE;
	scheduled_due(d);
}

void ha_ops_shutdown(struct ha_driver *d)
{
	answer(d, 503, "error", "the agent is stopping: restart outcome unknown");
	d->opr.state = HA_OPR_NONE;
	d->opr.scheduled = false;
}

const char *ha_ops_state_name(const struct ha_driver *d)
{
	switch (d->opr.state) {
	case HA_OPR_RESTART_STOPPING:
	case HA_OPR_RESTART_STARTING:
		return d->obs.run == PGQ_PGRUN_RUNNING && d->op == HA_OP_NONE ? NULL : "restarting";
	case HA_OPR_REINIT_STOPPING:
	case HA_OPR_REINIT_CLONING:
		return "creating replica";
	default:
		return NULL;
	}
}

void ha_ops_fill_view(const struct ha_driver *d, struct pgq_member_view *v)
{
	if (!d->opr.scheduled)
		return;
	v->has_scheduled_restart = true;
	snprintf(v->scheduled_restart_at, sizeof v->scheduled_restart_at, "%s", d->opr.at.schedule_text);
	snprintf(v->scheduled_restart_postgres_version, sizeof v->scheduled_restart_postgres_version,
		 "%.31s", d->opr.at.postgres_version);
	v->scheduled_restart_pending_only = d->opr.at.restart_pending;
}

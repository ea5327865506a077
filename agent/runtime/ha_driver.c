/*
 * ha_driver.c — the HA driver's cycle (postgresql.manage: true).
 *
 * Every HA_PERIOD_MS (and soon after every Raft batch) the driver:
 *   1. observes the local PostgreSQL: data directory, postmaster status,
 *      then either an async libpq health probe (running) or an async
 *      pg_controldata read (stopped) — never blocking the loop;
 *   2. runs the pure decisions (agent/ha): the member side always, the
 *      leader side when this node is the Raft leader;
 *   3. proposes the decisions' record commands: directly when this node
 *      leads, else forwarded to the leader's POST /propose (status.c); the
 *      record re-checks each at apply (S4), so a stale decision is simply
 *      rejected;
 *   4. starts the decided action (ha_actions.c), at most one PostgreSQL
 *      operation at a time.
 *
 * S4: decisions read only this node's own record, changed only by entries
 * it applied; `caught_up` is false until this node has applied everything
 * it knows committed under a known leader (a weaker stand-in for a
 * ReadIndex, see docs/agent.md). Before that only the safety rules act.
 * Timeouts use CLOCK_BOOTTIME (agent/ha/clock.h).
 */
#include "runtime/ha_driver_internal.h"

#include "ha/clock.h"
#include "log.h"
#include "pgmgr/controldata.h"
#include "pgmgr/conninfo.h"
#include "pgmgr/fence.h"
#include "pgmgr/marker.h"
#include "pgmgr/procscan.h"
#include "pgmgr/pgmgr.h"
#include "ha/member_tags.h"
#include "record/record_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#define HA_PERIOD_MS 500u

static void ha_cycle(struct ha_driver *d);

struct pgq_ha_timing ha_timing(const struct pgq_runtime *rt)
{
	const struct pgq_config_dcs *dcs = &rt->cfg->bootstrap.dcs;
	struct pgq_ha_timing t = {
		.drift_floor_ms = dcs->drift_floor_ms,
		.stop_budget_ms = dcs->stop_budget_ms,
		.kill_budget_ms = dcs->kill_budget_ms,
		.report_timeout_ms = dcs->report_timeout_ms,
		.switchover_timeout_ms = dcs->switchover_timeout_ms,
	};
	return t;
}

/* ---- observation --------------------------------------------------------- */

static enum pgq_pg_data data_dir_state(const char *dir)
{
	char path[4096];
	struct stat st;
	DIR *dp;
	struct dirent *e;
	bool empty = true;

	if (pgmgr_rewind_marker_exists(dir))
		return PGQ_PGDATA_REWINDING;
	dp = opendir(dir);
	if (dp == NULL)
		return errno == ENOENT ? PGQ_PGDATA_MISSING : PGQ_PGDATA_INVALID;
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(dp);
	if (empty)
		return PGQ_PGDATA_MISSING;
	snprintf(path, sizeof path, "%s/PG_VERSION", dir);
	if (stat(path, &st) != 0)
		return PGQ_PGDATA_INVALID;
	snprintf(path, sizeof path, "%s/global/pg_control", dir);
	return stat(path, &st) == 0 ? PGQ_PGDATA_VALID : PGQ_PGDATA_INVALID;
}

static bool file_exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* The record's timeline entry for tli, or NULL. */
static const struct pgq_timeline *record_timeline(const struct pgq_record *r, uint32_t tli)
{
	for (size_t i = 0; i < pgq_record_timeline_count(r); i++) {
		const struct pgq_timeline *t = pgq_record_timeline_at(r, i);
		if (t->tli == tli)
			return t;
	}
	return NULL;
}

/*
 * Where timeline tli began, from PGDATA/pg_wal/<tli>.history (its last
 * line: "parent<TAB>switch LSN<TAB>reason"). 0 when unknown.
 */
static uint64_t history_switch_lsn(const char *data_dir, uint32_t tli)
{
	char path[4096], line[512], lsn_text[64];
	uint64_t lsn = 0, v;
	unsigned parent;
	FILE *f;

	if (tli <= 1)
		return 0;
	snprintf(path, sizeof path, "%s/pg_wal/%08X.history", data_dir, tli);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%u %63s", &parent, lsn_text) == 2 &&
		    pgmgr_lsn_parse(lsn_text, &v) == 0)
			lsn = v;
	fclose(f);
	return lsn;
}

/* Fill the parts of the observation that every path shares. */
static void obs_common(struct ha_driver *d)
{
	struct pgq_ha_pg_obs *o = &d->obs;
	const struct pgq_timeline *t = record_timeline(d->rt->record, o->timeline);

	o->standby_signal = file_exists(d->data_dir, "standby.signal");
	o->receiver_configured = d->conf_upstream[0] != '\0';
	snprintf(o->upstream, sizeof o->upstream, "%s", d->conf_upstream);
	o->rewind_failed = d->rewind_failed_epoch != 0 &&
			   d->rewind_failed_epoch == pgq_record_epoch(d->rt->record);
	o->start_failed = d->start_failed;
	o->start_failed_since_ms = d->start_failed_since_ms;
	/* S12: the real switch point is in PostgreSQL's own history file. */
	o->switch_lsn = history_switch_lsn(d->data_dir, o->timeline);
	if (o->switch_lsn == 0 && t != NULL)
		o->switch_lsn = t->switch_lsn;
}

static void on_health(void *ctx, const struct pgmgr_health *h)
{
	struct ha_driver *d = ctx;
	struct pgq_ha_pg_obs *o = &d->obs;
	uint64_t now = pgq_now_boottime_ms();

	d->probe = NULL;
	if (d->stopping)
		return;
	pgmgr_health_clear(&d->health);
	if (h->status == PGMGR_SQL_OK && pgmgr_health_copy(&d->health, h) == 0) {
		uint64_t prev_replay = o->replay_lsn;

		o->run = PGQ_PGRUN_RUNNING;
		o->not_answering_since_ms = 0;
		o->in_recovery = h->in_recovery;
		d->known_recovery = true;
		/*
		 * A standby whose WAL receiver stopped (S9) reports its last
		 * checkpoint's timeline, which lags a timeline switch until the next
		 * restartpoint: keep the timeline it last streamed on.
		 */
		if (h->in_recovery && h->wal_receiver && h->received_tli != 0)
			d->stream_tli = h->received_tli;
		else if (!h->in_recovery)
			d->stream_tli = 0;
		o->timeline = h->in_recovery && d->stream_tli > h->timeline ? d->stream_tli : h->timeline;
		snprintf(o->system_id, sizeof o->system_id, "%llu",
			 (unsigned long long)h->system_identifier);
		o->receive_lsn = h->receive_lsn;
		o->replay_lsn = h->replay_lsn;
		o->flush_lsn = h->in_recovery ? (h->receiver_flushed_lsn > h->receive_lsn
							 ? h->receiver_flushed_lsn : h->receive_lsn)
					      : h->current_lsn;
		/* S9: replay stopped advancing since the last probe, and recovery not paused. */
		o->replay_stopped = h->in_recovery && !h->replay_paused && !h->wal_receiver &&
				    h->replay_lsn == prev_replay && d->health_valid;
		o->pending_restart = h->pending_restart;
		d->health_valid = true;
		d->health_seq++;
		d->last_health_ok_ms = now;
	} else {
		d->health_valid = false;
		o->pending_restart = false;
		o->run = PGQ_PGRUN_NOT_ANSWERING;
		if (o->not_answering_since_ms == 0)
			o->not_answering_since_ms = now;
		pgq_debug("ha", "health probe: %s %s", pgmgr_sql_status_name(h->status), h->error);
	}
	o->fenced = false;
	obs_common(d);
	ha_decide(d);
}

static void on_controldata(void *ctx, int status, const struct pgmgr_controldata *cd,
			   const char *err)
{
	struct ha_driver *d = ctx;
	struct pgq_ha_pg_obs *o = &d->obs;

	d->controldata_inflight = false;
	if (d->stopping)
		return;
	if (status == 0) {
		o->clean_shutdown = pgmgr_controldata_clean(cd);
		/*
		 * S13 (2): final_lsn must be the END of the shutdown checkpoint;
		 * pg_controldata gives its start. start + 1 is a safe stand-in: a
		 * standby whose flush passed the start holds the whole record (a
		 * walsender sends only flushed WAL, and the shutdown checkpoint is
		 * flushed whole), so the target replays it before promoting and its
		 * timeline branches after it — the old primary can follow without
		 * diverging. With the start itself the target could promote one
		 * record short and strand the old primary ("not a child").
		 */
		o->checkpoint_lsn = cd->checkpoint_lsn + (o->clean_shutdown ? 1 : 0);
		o->timeline = cd->timeline;
		snprintf(o->system_id, sizeof o->system_id, "%llu",
			 (unsigned long long)cd->system_identifier);
		if (!d->known_recovery)
			o->in_recovery = cd->state != PGMGR_DB_IN_PRODUCTION &&
					 cd->state != PGMGR_DB_SHUT_DOWN;
		/* Stopped: the LSNs we can vouch for are the checkpoint's. */
		if (o->receive_lsn < cd->checkpoint_lsn)
			o->receive_lsn = cd->checkpoint_lsn;
		if (o->replay_lsn < cd->checkpoint_lsn)
			o->replay_lsn = cd->checkpoint_lsn;
		if (o->flush_lsn < cd->checkpoint_lsn)
			o->flush_lsn = cd->checkpoint_lsn;
	} else {
		pgq_debug("ha", "pg_controldata: %s", err);
	}
	obs_common(d);
	ha_decide(d);
}

/* Step 1: what is PostgreSQL now? Ends in ha_decide (maybe asynchronously). */
static void observe(struct ha_driver *d)
{
	struct pgq_ha_pg_obs *o = &d->obs;
	char err[256];
	pid_t pid = 0;
	size_t count = 0;

	o->data = data_dir_state(d->data_dir);
	if (o->data != PGQ_PGDATA_VALID) {
		o->run = PGQ_PGRUN_STOPPED;
		o->fenced = pgmgr_fence_check(d->data_dir, &count, err, sizeof err) == 0 && count == 0;
		if (o->data == PGQ_PGDATA_MISSING) {
			o->timeline = 0;
			o->system_id[0] = '\0';
			o->receive_lsn = o->replay_lsn = o->flush_lsn = 0;
			d->known_recovery = false;
		}
		obs_common(d);
		ha_decide(d);
		return;
	}
	switch (pgmgr_postmaster_status(d->data_dir, &pid, err, sizeof err)) {
	case PGMGR_POSTMASTER_RUNNING:
	case PGMGR_POSTMASTER_UNKNOWN:
		if (pgmgr_health_probe(&d->rt->loop, d->local_conninfo, 3000, on_health, d, &d->probe,
				       err, sizeof err) != 0) {
			pgq_warning("ha", "health probe: %s", err);
			d->probe = NULL;
		}
		return;
	case PGMGR_POSTMASTER_STALE:
		o->run = PGQ_PGRUN_CRASHED;
		break;
	case PGMGR_POSTMASTER_ABSENT:
	default:
		o->run = PGQ_PGRUN_STOPPED;
		break;
	}
	o->replay_stopped = true; /* nothing replays while stopped */
	o->pending_restart = false; /* a start reads every setting */
	d->stream_tli = 0;        /* pg_controldata says where it stands now */
	o->not_answering_since_ms = 0;
	o->fenced = pgmgr_fence_check(d->data_dir, &count, err, sizeof err) == 0 && count == 0;
	pgmgr_health_clear(&d->health);
	d->health_valid = false;
	if (pgmgr_controldata_read(&d->rt->loop, d->cfg_pg->bin_dir, d->data_dir, 10000,
				   on_controldata, d, err, sizeof err) == 0) {
		d->controldata_inflight = true;
		return;
	}
	pgq_warning("ha", "pg_controldata: %s", err);
	obs_common(d);
	ha_decide(d);
}

/* ---- proposals ----------------------------------------------------------- */

static bool is_leader(const struct pgq_runtime *rt)
{
	return rt->node != NULL && raft_role(pgq_node_raft(rt->node)) == RAFT_LEADER;
}

/* Propose one command: directly when leading, else through the leader (S4 at apply). */
void ha_propose(struct ha_driver *d, const uint8_t *data, size_t len, const char *name)
{
	struct pgq_runtime *rt = d->rt;

	if (is_leader(rt)) {
		int rc = pgq_node_propose(rt->node, data, len);
		if (rc != RAFT_OK)
			pgq_debug("ha", "%s not proposed: %s", name, raft_strerror(rc));
		return;
	}
	rt_forward_command(rt, data, len);
}

static void propose_list(struct ha_driver *d, struct pgq_ha_cmds *l, const char *who)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pgq_ha_cmd *c = &l->cmd[i];
		if (strcmp(c->name, "member_report") == 0 || strcmp(c->name, "lease_renew") == 0)
			pgq_debug("ha", "%s proposes %s: %s", who, c->name, c->reason);
		else
			pgq_info("ha", "%s proposes %s: %s", who, c->name, c->reason);
		ha_propose(d, c->data, c->len, c->name);
	}
}

/* Tell the record this member's PostgreSQL address (standbys connect to it). */
static void maybe_publish_address(struct ha_driver *d)
{
	const struct pgq_member *m = pgq_record_member_by_name(d->rt->record, d->rt->cfg->name);
	const char *addr = d->cfg_pg->connect_address.text != NULL ? d->cfg_pg->connect_address.text
								 : d->cfg_pg->listen.text;
	uint64_t now = pgq_now_boottime_ms();
	struct pgq_cmd_member cm = { 0 };
	uint8_t *data = NULL;
	size_t len = 0;

	if (m == NULL || addr == NULL || strcmp(m->pg_address, addr) == 0 ||
	    now - d->address_sent_ms < 2000)
		return;
	d->address_sent_ms = now;
	cm.name = d->rt->cfg->name;
	cm.pg_address = addr;
	if (pgq_cmd_member_update(&cm, &data, &len) == 0) {
		pgq_info("ha", "recording this member's PostgreSQL address %s", addr);
		ha_propose(d, data, len, "member_update");
	}
	free(data);
}

/*
 * R4: the record carries this member's configured tags (nofailover,
 * failover_priority, ...): every decision reads them there. Neither the
 * bootstrap nor a join knows other members' tags, so each member publishes
 * its own, again whenever a reload changed them.
 */
static void maybe_publish_tags(struct ha_driver *d)
{
	const struct pgq_member *m = pgq_record_member_by_name(d->rt->record, d->rt->cfg->name);
	uint64_t now = pgq_now_boottime_ms();
	struct pgq_cmd_member cm = { 0 };
	struct pgq_cmd_tags tags;
	json_t *custom = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char err[256];

	if (m == NULL || now - d->tags_sent_ms < 2000)
		return;
	if (pgq_ha_tags_from_config(&d->rt->cfg->tags, &tags, &custom, err, sizeof err) != 0) {
		if (!d->tags_warned)
			pgq_warning("ha", "tags not published to the cluster record: %s", err);
		d->tags_warned = true;
		d->tags_sent_ms = now;
		return;
	}
	d->tags_warned = false;
	if (!pgq_ha_tags_equal(&m->tags, &tags)) {
		d->tags_sent_ms = now;
		cm.name = d->rt->cfg->name;
		cm.tags = &tags;
		if (pgq_cmd_member_update(&cm, &data, &len) == 0) {
			pgq_info("ha", "recording this member's tags (nofailover=%s, failover_priority=%d, %zu custom)",
				 tags.nofailover ? "true" : "false", (int)tags.failover_priority,
				 json_object_size(custom));
			ha_propose(d, data, len, "member_update");
		}
		free(data);
	}
	json_decref(custom);
}

/* S15: the bootstrap member records the database system identifier once. */
static void maybe_record_system_id(struct ha_driver *d)
{
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);
	uint64_t now = pgq_now_boottime_ms();
	uint8_t *data = NULL;
	size_t len = 0;

	if (pgq_record_system_id(d->rt->record)[0] != '\0' || d->obs.system_id[0] == '\0' ||
	    strcmp(p->name, d->rt->cfg->name) != 0 || now - d->system_id_sent_ms < 2000)
		return;
	d->system_id_sent_ms = now;
	if (pgq_cmd_system_id(d->rt->cfg->name, p->epoch, d->obs.system_id, &data, &len) == 0) {
		pgq_info("ha", "recording the database system identifier %s (S15)", d->obs.system_id);
		ha_propose(d, data, len, "system_id");
	}
	free(data);
}

/* ---- decisions ----------------------------------------------------------- */

static bool caught_up(struct ha_driver *d)
{
	const struct raft_node *n;
	raft_id_t leader;

	if (d->rt->node == NULL)
		return false;
	n = pgq_node_raft(d->rt->node);
	leader = raft_leader(n);
	/*
	 * S4 stand-in for a ReadIndex: under a known leader, this node once
	 * applied everything it knew committed. Sticky for that leader and term
	 * (a follower's commit index runs ahead of its apply within a batch).
	 */
	if (leader == RAFT_NONE) {
		d->caught_up_term = 0;
		return false;
	}
	if (d->caught_up_term == raft_term(n) && d->caught_up_leader == leader)
		return true;
	if (raft_applied_index(n) >= raft_commit_index(n) && raft_applied_index(n) > 0) {
		d->caught_up_term = raft_term(n);
		d->caught_up_leader = leader;
		return true;
	}
	return false;
}

/*
 * Keep Raft leadership off the primary's host: when that host fails, a
 * leader elsewhere declares the loss a lease after the last renewal it
 * applied (S2), while a leader dying with it costs an election plus a
 * whole lease from that election (S3). Handed over only while S3 allows a
 * transfer (the primary renewed within loop_wait: no loss timer near its
 * end), to an up-to-date voter heard from lately, at most every
 * TRANSFER_RETRY_MS. The new leader still waits a whole lease from its
 * election before it may declare a loss (S3).
 */
#define TRANSFER_RETRY_MS 5000u

/*
 * TEST ONLY (PGQUORUM_TEST_LEADER_ON_PRIMARY=1): the opposite hand-over,
 * onto the primary's host, so that a test or bench can kill the Raft leader
 * together with the primary (the S3 case). Same S3 precondition (no loss
 * timer running) and the same "up to date, heard from lately" target rule.
 */
static const char *test_primary_target(const struct pgq_runtime *rt,
				       const struct pgq_ha_peer_progress *peers, size_t n,
				       uint64_t commit_index)
{
	const struct pgq_primary *p = pgq_record_primary(rt->record);

	if (p->state == PGQ_PRIMARY_NONE || strcmp(p->name, rt->cfg->name) == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (peers[i].name != NULL && strcmp(peers[i].name, p->name) == 0 &&
		    peers[i].voter && peers[i].recent_active && peers[i].match >= commit_index)
			return peers[i].name;
	return NULL;
}

static void maybe_transfer_leadership(struct ha_driver *d, const struct raft_progress *prog,
				      size_t n_prog, uint64_t now)
{
	struct pgq_runtime *rt = d->rt;
	const struct raft_node *n = pgq_node_raft(rt->node);
	struct pgq_ha_peer_progress peers[RAFT_MAX_MEMBERS];
	size_t n_peers = 0;
	const char *to;
	int rc;

	if ((d->no_leader_transfer && !d->test_leader_on_primary) ||
	    raft_transferee(n) != RAFT_NONE || now - d->transfer_tried_ms < TRANSFER_RETRY_MS ||
	    !pgq_ha_leader_transfer_allowed(rt->record, &d->leader_clock, now))
		return;
	for (size_t i = 0; i < n_prog && i < RAFT_MAX_MEMBERS; i++) {
		if (prog[i].id == rt->self_id)
			continue;
		peers[n_peers].name = rt_peer_name(rt, prog[i].id);
		peers[n_peers].match = prog[i].match;
		peers[n_peers].voter = prog[i].voter;
		peers[n_peers].recent_active = prog[i].recent_active;
		n_peers++;
	}
	if (d->test_leader_on_primary)
		to = test_primary_target(rt, peers, n_peers, raft_commit_index(n));
	else
		to = pgq_ha_transfer_target(rt->record, rt->cfg->name, peers, n_peers,
					    raft_commit_index(n));
	if (to == NULL)
		return;
	d->transfer_tried_ms = now;
	for (size_t i = 0; i < n_prog && i < RAFT_MAX_MEMBERS; i++) {
		const char *name = rt_peer_name(rt, prog[i].id);

		if (name == NULL || strcmp(name, to) != 0)
			continue;
		rc = pgq_node_transfer(rt->node, prog[i].id);
		if (rc == RAFT_OK && d->test_leader_on_primary)
			pgq_info("ha", "handing Raft leadership to %s, the primary "
				 "(PGQUORUM_TEST_LEADER_ON_PRIMARY)", to);
		else if (rc == RAFT_OK)
			pgq_info("ha", "handing Raft leadership to %s: the leader stays off the "
				 "primary's host (S3, faster loss detection)", to);
		else
			pgq_debug("ha", "leadership transfer to %s: %s", to, raft_strerror(rc));
		return;
	}
}

static void leader_side(struct ha_driver *d, uint64_t now)
{
	struct pgq_runtime *rt = d->rt;
	struct pgq_ha_leader_input in = { 0 };
	struct pgq_ha_leader_decision ld;
	struct raft_progress prog[RAFT_MAX_MEMBERS];
	const char *reachable[RAFT_MAX_MEMBERS + 1];
	size_t n_prog, n_reach = 0;
	char err[256];

	/* The report wait (S9) counts only members Raft heard from lately, and this node. */
	n_prog = raft_progress(pgq_node_raft(rt->node), prog, RAFT_MAX_MEMBERS);
	reachable[n_reach++] = rt->cfg->name;
	for (size_t i = 0; i < n_prog && i < RAFT_MAX_MEMBERS; i++) {
		const char *name = rt_peer_name(rt, prog[i].id);
		if (prog[i].recent_active && name != NULL && prog[i].id != rt->self_id)
			reachable[n_reach++] = name;
	}
	if (n_prog > 0) {
		in.reachable = reachable;
		in.n_reachable = n_reach;
	}
	in.transfer_in_progress = raft_transferee(pgq_node_raft(rt->node)) != RAFT_NONE;
	in.now_ms = now;
	in.wall_ms = rt_wall_ms();
	in.became_leader_ms = d->became_leader_ms;
	in.timing = ha_timing(rt);
	ha_s3_leader_input(d, now, &in); /* S3: voters' ages shorten the new-leader wait */
	if (pgq_ha_decide_leader(rt->record, &d->leader_clock, &in, &ld, err, sizeof err) != 0) {
		pgq_warning("ha", "leader decision: %s", err);
		pgq_ha_cmds_free(&ld.cmds);
		return;
	}
	if (ld.note[0] != '\0' && strcmp(ld.note, d->last_leader_note) != 0) {
		pgq_info("ha", "leader: %s", ld.note);
		snprintf(d->last_leader_note, sizeof d->last_leader_note, "%s", ld.note);
	}
	propose_list(d, &ld.cmds, "leader");
	pgq_ha_cmds_free(&ld.cmds);
	maybe_transfer_leadership(d, prog, n_prog, now);
}

/*
 * S14: at start, before anything else acts and whatever the record says
 * (it may not even be loaded yet): a PostgreSQL that may be writable
 * without a persisted lease covering now is fenced. Returns true while
 * that fence runs or is still due.
 */
static bool startup_fence(struct ha_driver *d)
{
	struct pgq_ha_member_decision md;

	if (!pgq_ha_startup_must_fence(&d->obs, &d->member.lease, pgq_now_boottime_ms())) {
		d->startup_checked = true;
		return false;
	}
	if (d->op != HA_OP_NONE)
		return true;
	pgq_warning("ha", "S14: PostgreSQL in \"%s\" may be writable and no persisted lease covers now: fencing it before anything else",
		    d->data_dir);
	memset(&md, 0, sizeof md);
	md.action = PGQ_HA_FAST_STOP;
	md.local = PGQ_LOCAL_WRITABLE;
	md.standby_signal = true;
	md.row = "S14-startup-fence";
	ha_act(d, &md);
	return true;
}

static void member_input(struct ha_driver *d, uint64_t now, uint64_t nonce,
			 struct pgq_ha_member_input *in)
{
	struct pgq_runtime *rt = d->rt;

	in->me = rt->cfg->name;
	in->now_ms = now;
	in->wall_ms = rt_wall_ms();
	in->nonce = nonce;
	in->caught_up = caught_up(d);
	in->fencing_required = rt->cfg->fencing.required;
	in->reclone_allowed = d->cfg_pg->reclone_on_rewind_failure;
	in->operator_start = ha_ops_operator_start(d);
	in->timing = ha_timing(rt);
	in->pg = d->obs;
	in->hooks = d->hooks_obs;
}

static uint64_t fresh_nonce(const struct ha_driver *d, uint64_t now)
{
	uint64_t nonce = 0;

	if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
		nonce = now ^ (uint64_t)d->rt->self_id;
	nonce &= (UINT64_C(1) << 63) - 1;
	return nonce != 0 ? nonce : 1;
}

/*
 * The primary's restart asked by an operator stops PostgreSQL as one
 * operation; unlike other operations it keeps renewing the lease meanwhile
 * (decided on the observation from before the stop, proposing renewals
 * only), so the lease outlives the stop and S14 lets the table start it
 * writable again. The stop itself is bounded (ha_operator_stop).
 *
 * A writable start of the primary (after a crash, or S14's start under the
 * lease) renews the same way: on a loaded host pg_ctl start may take a
 * good part of a short ttl, and without renewals the lease would lapse
 * and fail over a primary that is coming back. Safe (S1, S5): a renewal
 * extends the lease only once it commits, and the start is bounded by a
 * third of the lease (writable_op_bound_ms), after which the decisions,
 * the S5 fence schedule included, run again.
 */
static void renew_during_op(struct ha_driver *d)
{
	struct pgq_runtime *rt = d->rt;
	struct pgq_ha_member_input in = { 0 };
	struct pgq_ha_member_decision md;
	uint64_t now = pgq_now_boottime_ms();
	char err[256];

	bool writable_start = d->op != HA_OP_NONE && d->starting_writable &&
			      (d->op_action == PGQ_HA_START_PRIMARY || d->op_action == PGQ_HA_RESTART);

	if ((d->opr.state != HA_OPR_RESTART_STOPPING && !writable_start) || rt->node == NULL ||
	    rt->phase != PHASE_RUNNING || !pgq_record_bootstrapped(rt->record) ||
	    strcmp(pgq_record_primary(rt->record)->name, rt->cfg->name) != 0)
		return;
	member_input(d, now, fresh_nonce(d, now), &in);
	if (pgq_ha_decide_member(rt->record, &d->member, &in, &md, err, sizeof err) != 0) {
		pgq_ha_cmds_free(&md.cmds);
		return;
	}
	for (size_t i = 0; i < md.cmds.n; i++)
		if (strcmp(md.cmds.cmd[i].name, "lease_renew") == 0)
			ha_propose(d, md.cmds.cmd[i].data, md.cmds.cmd[i].len, "lease_renew");
	pgq_ha_cmds_free(&md.cmds);
}

/* Step 2-4: decide on the fresh observation and act. */
void ha_decide(struct ha_driver *d)
{
	struct pgq_runtime *rt = d->rt;
	struct pgq_ha_member_input in = { 0 };
	struct pgq_ha_member_decision md;
	uint64_t now = pgq_now_boottime_ms(), nonce = 0;
	char err[256];

	if (d->stopping)
		return;
	if (!d->startup_checked && startup_fence(d))
		return;
	if (rt->node == NULL || rt->phase != PHASE_RUNNING)
		return;
	d->last_decide_ms = now;
	if (!pgq_record_bootstrapped(rt->record))
		return;
	maybe_publish_address(d);
	maybe_publish_tags(d);
	if (is_leader(rt))
		leader_side(d, now);
	nonce = fresh_nonce(d, now);
	ha_fence_confirm_check(d); /* L8: before the decision reads the hooks' state */
	member_input(d, now, nonce, &in);
	/* While an operation runs, the observation may be mid-change: decide, but only to renew/report. */
	if (pgq_ha_decide_member(rt->record, &d->member, &in, &md, err, sizeof err) != 0) {
		pgq_warning("ha", "member decision: %s", err);
		pgq_ha_cmds_free(&md.cmds);
		return;
	}
	d->may_be_writable = md.may_be_writable;
	/* Before catching up the decision says nothing about writes: keep the last verdict
	 * (the safety fence acts regardless, S5). */
	if (in.caught_up || !md.may_be_writable)
		d->accept_writes = md.accept_writes && md.may_be_writable;
	d->local = md.local;
	d->goal = md.goal;
	if (strcmp(md.row, d->last_row) != 0 || md.action != d->last_action) {
		pgq_info("ha", "row %s (local %s, goal %s): %s — %s", md.row,
			 pgq_ha_local_name(md.local), pgq_ha_goal_name(md.goal),
			 pgq_ha_action_name(md.action), md.comment);
		snprintf(d->last_row, sizeof d->last_row, "%s", md.row);
		d->last_action = md.action;
	}
	propose_list(d, &md.cmds, "member");
	pgq_ha_cmds_free(&md.cmds);
	ha_lease_persist(d); /* S14 */
	if (in.caught_up)
		maybe_record_system_id(d);
	ha_hooks_after_observe(d);
	ha_watchdog_after_decide(d, now);
	d->next_check_ms = md.next_check_ms;
	if (d->op == HA_OP_NONE && !ha_ops_act(d, &md))
		ha_act(d, &md);
	ha_ops_after_decide(d);
	/* R2/S7: the primary keeps synchronous_standby_names and the record in step. */
	if (d->op == HA_OP_NONE)
		ha_sync_drive(d, in.caught_up);
	rt->view_dirty = true;
}

/* ---- the cycle ----------------------------------------------------------- */

static void ha_cycle(struct ha_driver *d)
{
	if (d->stopping || d->probe != NULL || d->controldata_inflight)
		return;
	d->cycle_pending = false;
	d->last_cycle_ms = pgq_now_boottime_ms();
	/*
	 * While an operation changes PostgreSQL (initdb half done, a start in
	 * progress), a fresh look would be misleading: decide on the look taken
	 * before it (renewals and reports go on), act again once it ended.
	 */
	/*
	 * A fence or pre_promote hook does not touch PostgreSQL, and may run for
	 * its whole timeout: the member keeps observing and deciding (renewing
	 * its lease, S1/S5) meanwhile; ha_decide starts no action while it runs.
	 */
	if (d->op != HA_OP_NONE && d->op_action != PGQ_HA_RUN_FENCE_HOOK &&
	    d->op_action != PGQ_HA_RUN_PRE_PROMOTE) {
		if (d->rt->node != NULL && d->rt->phase == PHASE_RUNNING && is_leader(d->rt) &&
		    pgq_record_bootstrapped(d->rt->record))
			leader_side(d, d->last_cycle_ms);
		renew_during_op(d);
		return;
	}
	observe(d);
}

static void on_ha_timer(uv_timer_t *t)
{
	struct ha_driver *d = t->data;
	uint64_t now = pgq_now_boottime_ms();

	/* S14: the start-up check runs even before the agent joined its peers. */
	if (d->rt->phase != PHASE_RUNNING && (d->startup_checked || d->rt->phase == PHASE_STOPPING))
		return;
	/* Every period, sooner after a batch, and by the decision's next check. */
	if (now - d->last_cycle_ms >= HA_PERIOD_MS || d->cycle_pending ||
	    (d->next_check_ms != 0 && now >= d->next_check_ms))
		ha_cycle(d);
}

void ha_cycle_soon(struct ha_driver *d)
{
	d->cycle_pending = true;
	/* At the next loop iteration, not at the next 100 ms tick: each step of a
	 * failover (renew, hooks, promote, promoted{}, read-only off) waits on one. */
	if (!d->stopping && !uv_is_closing((uv_handle_t *)&d->timer))
		uv_timer_start(&d->timer, on_ha_timer, 0, 100);
}

void rt_ha_after_batch(struct pgq_runtime *rt)
{
	struct ha_driver *d = rt->ha;
	uint64_t now = pgq_now_boottime_ms();
	bool leader;

	if (d == NULL || rt->node == NULL)
		return;
	/* S2: the loss timer runs from this node's own apply of the timer entry. */
	pgq_ha_leader_observe(&d->leader_clock, rt->record, now);
	leader = is_leader(rt);
	if (leader && !d->was_leader)
		d->became_leader_ms = now; /* S3: a new leader waits a whole lease from here */
	d->was_leader = leader;
	if (pgq_record_last_index(rt->record) != d->seen_record_index) {
		d->seen_record_index = pgq_record_last_index(rt->record);
		ha_cycle_soon(d);
	}
}

int rt_ha_start(struct pgq_runtime *rt, char *err, size_t errlen)
{
	struct ha_driver *d = calloc(1, sizeof *d);
	struct pgmgr_conninfo_parts p = { 0 };
	const struct pgq_config_postgresql *pg = &rt->cfg->postgresql;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->rt = rt;
	d->cfg_pg = pg;
	snprintf(d->data_dir, sizeof d->data_dir, "%s", pg->data_dir);
	snprintf(d->log_path, sizeof d->log_path, "%s.log", pg->data_dir);
	p.host = pgmgr_local_host(pg->listen.host);
	p.port = pg->listen.port;
	p.user = pg->superuser.username;
	p.password = pg->superuser.password;
	p.dbname = "postgres";
	p.application_name = "pgquorum";
	p.connect_timeout_s = 3;
	p.local_agent = true;
	p.statement_timeout_ms = 5000;
	if (pgmgr_conninfo_build(d->local_conninfo, sizeof d->local_conninfo, &p) != 0) {
		free(d);
		snprintf(err, errlen, "postgresql: connection string too long");
		return -1;
	}
	d->hooks = pgq_hooks_new(&rt->loop, NULL);
	if (d->hooks == NULL || pgq_hooks_configure(d->hooks, rt->cfg, err, errlen) != 0) {
		if (d->hooks != NULL)
			pgq_hooks_close(d->hooks, NULL, NULL);
		free(d);
		if (errlen > 0 && err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ha_watchdog_open(d, err, errlen) != 0) {
		pgq_hooks_close(d->hooks, NULL, NULL);
		free(d);
		return -1;
	}
	d->last_action = PGQ_HA_ACTION__COUNT;
	/* Measurement aid (tests/bench/failover.sh): keep Raft leadership where it is. */
	d->no_leader_transfer = getenv("PGQUORUM_NO_LEADER_TRANSFER") != NULL;
	d->test_leader_on_primary = getenv("PGQUORUM_TEST_LEADER_ON_PRIMARY") != NULL;
	if (d->test_leader_on_primary)
		pgq_warning("ha", "PGQUORUM_TEST_LEADER_ON_PRIMARY is set: Raft leadership is "
			    "moved ONTO the primary's host (tests only; slower failover)");
	ha_lease_restore(d); /* S14: before the first look at PostgreSQL */
	uv_timer_init(&rt->loop, &d->timer);
	d->timer.data = d;
	uv_timer_start(&d->timer, on_ha_timer, 100, 100);
	rt->ha = d;
	pgq_info("ha", "managing PostgreSQL in %s (bin %s)", d->data_dir, pg->bin_dir);
	return 0;
}

void rt_ha_stop(struct pgq_runtime *rt)
{
	struct ha_driver *d = rt->ha;

	if (d == NULL || d->stopping)
		return;
	d->stopping = true;
	if (!uv_is_closing((uv_handle_t *)&d->timer))
		uv_close((uv_handle_t *)&d->timer, NULL);
	if (d->probe != NULL) {
		pgmgr_health_probe_cancel(d->probe);
		d->probe = NULL;
	}
	ha_ops_shutdown(d);
	ha_actions_shutdown(d);
	ha_watchdog_close(d);
	/* While the exit stop runs, the hooks stay open for its on_stop (ha_hooks_exit). */
	ha_hooks_drop_queue(d);
	if (!d->stop_at_exit_inflight)
		ha_hooks_close_now(d);
}

void rt_ha_free(struct pgq_runtime *rt)
{
	struct ha_driver *d = rt->ha;

	if (d == NULL)
		return;
	pgmgr_health_clear(&d->health);
	if (d->watchdog != NULL) /* the exit stop never reported: still possibly writable */
		pgq_watchdog_free(d->watchdog, true);
	ha_hooks_close_now(d);
	free(d);
	rt->ha = NULL;
}

const char *rt_ha_role(const struct pgq_runtime *rt)
{
	const struct ha_driver *d = rt->ha;

	if (d == NULL)
		return "unknown";
	if (d->obs.data == PGQ_PGDATA_MISSING)
		return "uninitialized";
	if (d->obs.run != PGQ_PGRUN_RUNNING)
		return "unknown";
	return d->obs.in_recovery ? "replica" : "primary";
}

bool rt_ha_primary_ok(const struct pgq_runtime *rt)
{
	const struct ha_driver *d = rt->ha;

	/* S20: a lease in force now and PostgreSQL out of recovery. */
	return d != NULL && d->accept_writes && d->may_be_writable &&
	       d->obs.run == PGQ_PGRUN_RUNNING && !d->obs.in_recovery &&
	       pgq_lease_valid(&d->member.lease, pgq_record_epoch(rt->record), pgq_now_boottime_ms());
}

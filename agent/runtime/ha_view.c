/*
 * ha_view.c — the member view the REST server's health endpoints judge
 * (agent/rest/health.h, Patroni's /primary, /replica, /health...): built on
 * the loop from the HA driver's last observation and the record, published
 * as a deep copy (rest.c). S20: lease_end_ms is set only while this member
 * is the recorded primary, holds its lease, and promoted{} committed (client
 * writes allowed); the HTTP thread compares it with the request time.
 */
#include "config.h" /* PACKAGE_VERSION */
#include "runtime/ha_driver_internal.h"

#include "rest/member_view.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *pg_state_name(const struct ha_driver *d)
{
	const char *operator_state = ha_ops_state_name(d);

	if (operator_state != NULL)
		return operator_state;
	if (d->op != HA_OP_NONE) {
		switch (d->op_action) {
		case PGQ_HA_INITDB: return "initializing new cluster";
		case PGQ_HA_BASEBACKUP:
		case PGQ_HA_RECLONE: return "creating replica";
		case PGQ_HA_REWIND: return "rewinding";
		case PGQ_HA_PROMOTE: return "promoting";
		case PGQ_HA_START_STANDBY:
		case PGQ_HA_START_PRIMARY: return "starting";
		case PGQ_HA_RESTART: return "restarting";
		case PGQ_HA_CLEAN_STOP:
		case PGQ_HA_FAST_STOP:
		case PGQ_HA_IMMEDIATE_STOP:
		case PGQ_HA_KILL: return "stopping";
		default: break;
		}
	}
	switch (d->obs.run) {
	case PGQ_PGRUN_RUNNING: return "running";
	case PGQ_PGRUN_CRASHED: return "crashed";
	case PGQ_PGRUN_NOT_ANSWERING: return "running";
	case PGQ_PGRUN_STOPPED:
	default: return "stopped";
	}
}

/* Unix µs as PostgreSQL prints a timestamptz in UTC: "2026-11-27 14:05:16.123456+00:00". */
static void format_us(int64_t us, char *buf, size_t buflen)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || gmtime_r(&secs, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	/* The moduli only bound the widths for the compiler; gmtime_r's fields are in range. */
	snprintf(buf, buflen, "%04u-%02u-%02u %02u:%02u:%02u.%06u+00:00",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u, (unsigned)(us % 1000000));
}

/* The Raft part of the view, with or without PostgreSQL under management. */
static void raft_part(struct pgq_runtime *rt, struct pgq_member_view *v)
{
	const struct raft_node *n = pgq_node_raft(rt->node);

	snprintf(v->name, sizeof v->name, "%s", rt->cfg->name);
	snprintf(v->scope, sizeof v->scope, "%s", rt->cfg->scope);
	snprintf(v->version, sizeof v->version, "%s", PACKAGE_VERSION);
	v->raft.term = raft_term(n);
	if (raft_leader(n) != RAFT_NONE && rt_peer_name(rt, raft_leader(n)) != NULL)
		snprintf(v->raft.leader, sizeof v->raft.leader, "%s", rt_peer_name(rt, raft_leader(n)));
	v->raft.commit_index = raft_commit_index(n);
	v->raft.applied_index = raft_applied_index(n);
	snprintf(v->raft.role, sizeof v->raft.role, "%s", raft_role_name(raft_role(n)));
	v->raft.is_leader = raft_role(n) == RAFT_LEADER;
}

/*
 * postgresql.manage: false — no PostgreSQL is known: state "unknown", no
 * role, every health verdict 503, GET /patroni 200 with the Raft part.
 */
static void publish_unmanaged_view(struct pgq_runtime *rt)
{
	struct pgq_member_view v;

	pgq_member_view_init(&v);
	raft_part(rt, &v);
	snprintf(v.state, sizeof v.state, "unknown");
	v.role = PGQ_VIEW_ROLE_NONE;
	v.epoch = pgq_record_primary(rt->record)->epoch;
	v.pause = pgq_record_paused(rt->record);
	pgq_rest_publish_member_view(rt->rest, &v);
	pgq_member_view_free(&v);
}

void rt_ha_publish_view(struct pgq_runtime *rt)
{
	struct ha_driver *d = rt->ha;
	const struct pgq_primary *p;
	const struct pgq_dyn_config *dc;
	const struct pgq_member *pm;
	struct pgq_member_view v;
	char err[128];

	if (rt->rest == NULL || rt->node == NULL)
		return;
	if (d == NULL) {
		publish_unmanaged_view(rt);
		return;
	}
	p = pgq_record_primary(rt->record);
	dc = pgq_record_config(rt->record);
	pgq_member_view_init(&v);
	snprintf(v.state, sizeof v.state, "%s", pg_state_name(d));
	v.role = d->obs.data == PGQ_PGDATA_MISSING || !d->health_valid ? PGQ_VIEW_ROLE_NONE
		 : d->obs.in_recovery ? PGQ_VIEW_ROLE_REPLICA : PGQ_VIEW_ROLE_PRIMARY;
	if (d->health_valid && d->obs.run == PGQ_PGRUN_RUNNING) {
		const struct pgmgr_health *h = &d->health;
		v.pg_details_valid = true;
		v.server_version = h->server_version_num;
		format_us(h->postmaster_start_us, v.postmaster_start_time, sizeof v.postmaster_start_time);
		if (h->in_recovery && h->has_replay_timestamp)
			format_us(h->replay_timestamp_us, v.xlog_replayed_timestamp,
				  sizeof v.xlog_replayed_timestamp);
		v.xlog_location = h->in_recovery ? 0 : h->current_lsn;
		v.xlog_received_location = h->receive_lsn;
		v.xlog_replayed_location = h->replay_lsn;
		v.xlog_paused = h->replay_paused;
		v.timeline = h->timeline;
		if (h->in_recovery)
			snprintf(v.replication_state, sizeof v.replication_state, "%s",
				 h->wal_receiver ? h->receiver_status : "in archive recovery");
		snprintf(v.database_system_identifier, sizeof v.database_system_identifier, "%llu",
			 (unsigned long long)h->system_identifier);
		v.pending_restart = h->pending_restart;
		for (size_t i = 0; i < h->n_replicas; i++) {
			struct pgq_view_replication row = { 0 };
			snprintf(row.usename, sizeof row.usename, "%s", h->replicas[i].usename);
			snprintf(row.application_name, sizeof row.application_name, "%s",
				 h->replicas[i].application_name);
			snprintf(row.client_addr, sizeof row.client_addr, "%s", h->replicas[i].client_addr);
			snprintf(row.state, sizeof row.state, "%s", h->replicas[i].state);
			snprintf(row.sync_state, sizeof row.sync_state, "%s", h->replicas[i].sync_state);
			row.sync_priority = h->replicas[i].sync_priority;
			if (pgq_member_view_add_replication(&v, &row, err, sizeof err) != 0)
				break;
		}
	}
	v.is_leader = strcmp(p->name, rt->cfg->name) == 0 && p->state == PGQ_PRIMARY_ACTIVE;
	v.cluster_unlocked = p->state != PGQ_PRIMARY_ACTIVE && p->state != PGQ_PRIMARY_DEMOTING;
	/* S20: a lease in force, and client writes allowed (promoted{} committed). */
	v.lease_end_ms = v.is_leader && d->accept_writes && d->member.lease.held &&
					 d->member.lease.epoch == p->epoch
				 ? (int64_t)d->member.lease.lease_end_ms : 0;
	v.demotion_in_progress = strcmp(p->name, rt->cfg->name) == 0 &&
				 p->state == PGQ_PRIMARY_DEMOTING;
	/* The recorded set (S7) says who holds acknowledged commits: k_rec > 0 only. */
	if (pgq_record_sync_set(rt->record)->k > 0 &&
	    pgq_record_in_sync_set(rt->record, rt->cfg->name)) {
		if (dc->synchronous_mode == PGQ_RECORD_SYNC_QUORUM)
			v.quorum_standby = true;
		else
			v.sync_standby = true;
	}
	v.epoch = p->epoch;
	pm = pgq_record_primary_member(rt->record);
	v.primary_last_lsn = pm != NULL ? pm->status.flush_lsn : 0;
	v.maximum_lag_on_failover_bytes = dc->maximum_lag_on_failover_bytes;
	v.pause = pgq_record_paused(rt->record);
	v.tags.nofailover = rt->cfg->tags.nofailover;
	v.tags.noloadbalance = rt->cfg->tags.noloadbalance;
	v.tags.nosync = rt->cfg->tags.nosync;
	v.tags.has_failover_priority = true;
	v.tags.failover_priority = rt->cfg->tags.failover_priority;
	ha_ops_fill_view(d, &v);
	raft_part(rt, &v);
	v.loop_last_run_ms = (int64_t)d->last_cycle_ms;
	v.liveness_max_age_ms = (int64_t)dc->ttl_ms;
	pgq_rest_publish_member_view(rt->rest, &v);
	pgq_member_view_free(&v);
}

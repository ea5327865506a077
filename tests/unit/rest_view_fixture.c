/* rest_view_fixture.c — see rest_view_fixture.h. */
#include "rest_view_fixture.h"

#include <stdio.h>
#include <string.h>

static void common(struct pgq_member_view *v, const char *name)
{
	pgq_member_view_init(v);
	snprintf(v->name, sizeof v->name, "%s", name);
	snprintf(v->scope, sizeof v->scope, "demo");
	snprintf(v->version, sizeof v->version, "0.1.0");
	snprintf(v->state, sizeof v->state, "running");
	v->pg_details_valid = true;
	snprintf(v->postmaster_start_time, sizeof v->postmaster_start_time,
		 "2026-11-27 14:00:00.123456+00:00");
	v->server_version = 150004;
	v->timeline = 3;
	snprintf(v->database_system_identifier, sizeof v->database_system_identifier,
		 "7268616322854375442");
	v->epoch = 7;
	v->primary_last_lsn = FX_PRIMARY_LSN;
	v->maximum_lag_on_failover_bytes = FX_MAX_LAG_ON_FAILOVER;
	v->raft.term = 12;
	snprintf(v->raft.leader, sizeof v->raft.leader, "node1");
	v->raft.commit_index = 340;
	v->raft.applied_index = 339;
	snprintf(v->raft.role, sizeof v->raft.role, "follower");
	v->loop_last_run_ms = FX_NOW_MS - 100;
	v->liveness_max_age_ms = 30000;
}

void fx_primary(struct pgq_member_view *v)
{
	static const struct pgq_view_replication rows[] = {
		{ "replicator", "node2", "10.0.0.2", "streaming", "sync", 1 },
		{ "replicator", "node4", "10.0.0.4", "streaming", "async", 0 },
	};
	char err[128];

	common(v, "node1");
	v->role = PGQ_VIEW_ROLE_PRIMARY;
	v->xlog_location = FX_PRIMARY_LSN;
	v->is_leader = true;
	v->lease_end_ms = FX_NOW_MS + 10000;
	v->raft.is_leader = true;
	snprintf(v->raft.role, sizeof v->raft.role, "leader");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (pgq_member_view_add_replication(v, &rows[i], err, sizeof err) != 0)
			fprintf(stderr, "fixture: %s\n", err);
}

void fx_standby(struct pgq_member_view *v, enum fx_standby kind)
{
	common(v, kind == FX_SYNC ? "node2" : kind == FX_QUORUM ? "node3" : "node4");
	v->role = PGQ_VIEW_ROLE_REPLICA;
	v->xlog_received_location = FX_PRIMARY_LSN - FX_RECEIVE_LAG;
	v->xlog_replayed_location = FX_PRIMARY_LSN - FX_REPLAY_LAG;
	snprintf(v->xlog_replayed_timestamp, sizeof v->xlog_replayed_timestamp,
		 "2026-11-27 14:04:59.000001+00:00");
	snprintf(v->replication_state, sizeof v->replication_state, "streaming");
	v->sync_standby = kind == FX_SYNC;
	v->quorum_standby = kind == FX_QUORUM;
}

void fx_stopped(struct pgq_member_view *v)
{
	common(v, "node5");
	snprintf(v->state, sizeof v->state, "stopped");
	v->pg_details_valid = false;
	v->role = PGQ_VIEW_ROLE_REPLICA;
}

void fx_crashed(struct pgq_member_view *v)
{
	common(v, "node6");
	snprintf(v->state, sizeof v->state, "crashed");
	v->pg_details_valid = false;
	v->role = PGQ_VIEW_ROLE_PRIMARY;
}

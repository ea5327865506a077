/*
 * status_json.c — renders a pgq_member_view as the status JSON every
 * health endpoint and GET /patroni return.
 *
 * Patroni's rules for presence are kept, because clients test for keys:
 *   - when PostgreSQL could not be queried (or is not running), only
 *     `state` and `role` describe it (a "running" state that did not answer
 *     reads "unknown"); postmaster_start_time, server_version, xlog,
 *     timeline, replication_state and replication are left out;
 *   - xlog is {location} on a primary, {received_location,
 *     replayed_location, replayed_timestamp, paused} on a standby;
 *   - flags (sync_standby, quorum_standby, pause, cluster_unlocked,
 *     pending_restart, watchdog_failed) appear only when true; tags,
 *     replication, replication_state, database_system_identifier and
 *     scheduled_restart only when there is something to say.
 * Patroni's `patroni` block is called `pgquorum` here.
 */
#include "rest/status_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Collects failures so each set needs no branch of its own. */
struct builder {
	bool ok;
};

/* Takes value's reference in every case (jansson's set_new frees it on failure). */
static void put(struct builder *b, json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || obj == NULL) {
		json_decref(value);
		b->ok = false;
		return;
	}
	if (json_object_set_new(obj, key, value) != 0)
		b->ok = false;
}

/*
 * jansson refuses text that is not UTF-8; the view's strings come from
 * PostgreSQL and the configuration, so one odd byte must not take the whole
 * document down: such bytes print as '?'.
 */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL)
		return j;
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *integer_u64(uint64_t x)
{
	return json_integer(x > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)x);
}

/* "" is null: PostgreSQL's NULL (e.g. no replay timestamp yet). */
static json_t *string_or_null(const char *s)
{
	return s[0] != '\0' ? text(s) : json_null();
}

static json_t *xlog_json(struct builder *b, const struct pgq_member_view *v)
{
	json_t *x = json_object();

	if (v->role == PGQ_VIEW_ROLE_PRIMARY) {
		put(b, x, "location", integer_u64(v->xlog_location));
	} else {
		put(b, x, "received_location", integer_u64(v->xlog_received_location));
		put(b, x, "replayed_location", integer_u64(v->xlog_replayed_location));
		put(b, x, "replayed_timestamp", string_or_null(v->xlog_replayed_timestamp));
		put(b, x, "paused", json_boolean(v->xlog_paused));
	}
	return x;
}

static json_t *replication_json(struct builder *b, const struct pgq_member_view *v)
{
	json_t *rows = json_array();

	for (size_t i = 0; rows != NULL && i < v->n_replication; i++) {
		const struct pgq_view_replication *r = &v->replication[i];
		json_t *row = json_object();

		put(b, row, "usename", string_or_null(r->usename));
		put(b, row, "application_name", string_or_null(r->application_name));
		put(b, row, "client_addr", string_or_null(r->client_addr));
		put(b, row, "state", string_or_null(r->state));
		put(b, row, "sync_state", string_or_null(r->sync_state));
		put(b, row, "sync_priority", json_integer(r->sync_priority));
		if (row == NULL || json_array_append_new(rows, row) != 0)
			b->ok = false;
	}
	return rows;
}

static json_t *tags_json(struct builder *b, const struct pgq_member_view *v)
{
	json_t *t = json_object();

	if (v->tags.nofailover)
		put(b, t, "nofailover", json_true());
	if (v->tags.noloadbalance)
		put(b, t, "noloadbalance", json_true());
	if (v->tags.nosync)
		put(b, t, "nosync", json_true());
	if (v->tags.has_failover_priority)
		put(b, t, "failover_priority", json_integer(v->tags.failover_priority));
	for (size_t i = 0; i < v->tags.n_custom; i++)
		put(b, t, v->tags.custom[i].key, text(v->tags.custom[i].value));
	return t;
}

static void pg_details(struct builder *b, json_t *o, const struct pgq_member_view *v)
{
	put(b, o, "postmaster_start_time", string_or_null(v->postmaster_start_time));
	put(b, o, "role", json_string(pgq_view_role_name(v->role)));
	put(b, o, "server_version", json_integer(v->server_version));
	if (v->role != PGQ_VIEW_ROLE_NONE)
		put(b, o, "xlog", xlog_json(b, v));
	put(b, o, "timeline", json_integer(v->timeline));
	if (v->role == PGQ_VIEW_ROLE_REPLICA && v->replication_state[0] != '\0')
		put(b, o, "replication_state", text(v->replication_state));
	if (v->n_replication > 0)
		put(b, o, "replication", replication_json(b, v));
	if (v->role == PGQ_VIEW_ROLE_REPLICA && v->sync_standby)
		put(b, o, "sync_standby", json_true());
	if (v->role == PGQ_VIEW_ROLE_REPLICA && v->quorum_standby)
		put(b, o, "quorum_standby", json_true());
}

static json_t *scheduled_restart_json(struct builder *b, const struct pgq_member_view *v)
{
	json_t *s = json_object();

	put(b, s, "schedule", text(v->scheduled_restart_at));
	if (v->scheduled_restart_postgres_version[0] != '\0')
		put(b, s, "postgres_version", text(v->scheduled_restart_postgres_version));
	if (v->scheduled_restart_pending_only)
		put(b, s, "restart_pending", json_true());
	return s;
}

json_t *pgq_rest_status_json(const struct pgq_member_view *v, int64_t now_ms)
{
	struct builder b = { .ok = true };
	json_t *o = json_object();
	json_t *block, *raft;

	if (v->pg_details_valid) {
		put(&b, o, "state", text(v->state));
		pg_details(&b, o, v);
	} else {
		bool said_running = strcmp(v->state, "running") == 0;
		put(&b, o, "state", text(said_running ? "unknown" : v->state));
		put(&b, o, "role", json_string(pgq_view_role_name(v->role)));
	}
	if (v->pause)
		put(&b, o, "pause", json_true());
	if (v->cluster_unlocked)
		put(&b, o, "cluster_unlocked", json_true());
	if (v->tags.nofailover || v->tags.noloadbalance || v->tags.nosync ||
	    v->tags.has_failover_priority || v->tags.n_custom > 0)
		put(&b, o, "tags", tags_json(&b, v));
	if (v->database_system_identifier[0] != '\0')
		put(&b, o, "database_system_identifier", text(v->database_system_identifier));
	if (v->pending_restart)
		put(&b, o, "pending_restart", json_true());
	if (v->has_scheduled_restart)
		put(&b, o, "scheduled_restart", scheduled_restart_json(&b, v));
	if (v->watchdog_failed)
		put(&b, o, "watchdog_failed", json_true());

	block = json_object();
	put(&b, block, "version", text(v->version));
	put(&b, block, "scope", text(v->scope));
	put(&b, block, "name", text(v->name));
	put(&b, o, "pgquorum", block);

	put(&b, o, "epoch", integer_u64(v->epoch));
	put(&b, o, "lease_remaining_ms", json_integer(pgq_member_view_lease_remaining_ms(v, now_ms)));

	raft = json_object();
	put(&b, raft, "term", integer_u64(v->raft.term));
	put(&b, raft, "leader", string_or_null(v->raft.leader));
	put(&b, raft, "commit_index", integer_u64(v->raft.commit_index));
	put(&b, raft, "applied_index", integer_u64(v->raft.applied_index));
	put(&b, raft, "role", text(v->raft.role[0] != '\0' ? v->raft.role : "unknown"));
	put(&b, o, "raft", raft);

	if (!b.ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *pgq_rest_status_text(const struct pgq_member_view *v, int64_t now_ms)
{
	json_t *o = pgq_rest_status_json(v, now_ms);
	char *text;

	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

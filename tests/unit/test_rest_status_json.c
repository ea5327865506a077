/*
 * test_rest_status_json.c — the status JSON's field names against the
 * lists of issue 7 (Patroni's /patroni names plus pgquorum's own), which
 * fields are omitted when, the values, and the member view's copy/free and
 * tag helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/status_json.h"
#include "rest_view_fixture.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* obj has exactly these keys. */
static void assert_keys(const json_t *obj, const char *const *keys, size_t n)
{
	const char *key;
	json_t *value;

	assert_true(json_is_object(obj));
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, keys[i]) == NULL)
			fail_msg("missing key \"%s\"", keys[i]);
	json_object_foreach((json_t *)obj, key, value) {
		bool listed = false;
		for (size_t i = 0; i < n; i++)
			listed = listed || strcmp(keys[i], key) == 0;
		if (!listed)
			fail_msg("unexpected key \"%s\"", key);
	}
}

static const char *const pgquorum_keys[] = { "version", "scope", "name" };
static const char *const raft_keys[] = { "term", "leader", "commit_index", "applied_index", "role" };
static const char *const replication_keys[] = {
	"usename", "application_name", "client_addr", "state", "sync_state", "sync_priority",
};

static json_t *render(const struct pgq_member_view *v)
{
	json_t *o = pgq_rest_status_json(v, FX_NOW_MS);
	assert_non_null(o);
	return o;
}

static void primary_fields(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"state", "postmaster_start_time", "role", "server_version", "xlog", "timeline",
		"replication", "database_system_identifier", "pgquorum", "epoch",
		"lease_remaining_ms", "raft",
	};
	static const char *const xlog_keys[] = { "location" };
	struct pgq_member_view v;
	json_t *o, *rows;

	fx_primary(&v);
	o = render(&v);
	assert_keys(o, keys, N(keys));
	assert_keys(json_object_get(o, "xlog"), xlog_keys, N(xlog_keys));
	assert_keys(json_object_get(o, "pgquorum"), pgquorum_keys, N(pgquorum_keys));
	assert_keys(json_object_get(o, "raft"), raft_keys, N(raft_keys));
	rows = json_object_get(o, "replication");
	assert_int_equal(json_array_size(rows), 2);
	for (size_t i = 0; i < json_array_size(rows); i++)
		assert_keys(json_array_get(rows, i), replication_keys, N(replication_keys));

	assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(o, "role")), "primary");
	assert_int_equal(json_integer_value(json_object_get(o, "server_version")), 150004);
	assert_int_equal(json_integer_value(json_object_get(o, "timeline")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "xlog"), "location")),
			 FX_PRIMARY_LSN);
	assert_int_equal(json_integer_value(json_object_get(o, "lease_remaining_ms")), 10000);
	assert_int_equal(json_integer_value(json_object_get(o, "epoch")), 7);
	assert_string_equal(json_string_value(json_object_get(o, "database_system_identifier")),
			    "7268616322854375442");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "pgquorum"), "name")),
			    "node1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "pgquorum"), "scope")),
			    "demo");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "raft"), "role")),
			    "leader");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "raft"), "term")), 12);
	json_t *r0 = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r0, "application_name")), "node2");
	assert_string_equal(json_string_value(json_object_get(r0, "sync_state")), "sync");
	assert_int_equal(json_integer_value(json_object_get(r0, "sync_priority")), 1);
	json_decref(o);
	pgq_member_view_free(&v);
}

static void standby_fields(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"state", "postmaster_start_time", "role", "server_version", "xlog", "timeline",
		"replication_state", "sync_standby", "database_system_identifier", "pgquorum",
		"epoch", "lease_remaining_ms", "raft",
	};
	static const char *const xlog_keys[] = {
		"received_location", "replayed_location", "replayed_timestamp", "paused",
	};
	struct pgq_member_view v;
	json_t *o, *x;

	fx_standby(&v, FX_SYNC);
	o = render(&v);
	assert_keys(o, keys, N(keys));
	x = json_object_get(o, "xlog");
	assert_keys(x, xlog_keys, N(xlog_keys));
	assert_string_equal(json_string_value(json_object_get(o, "role")), "replica");
	assert_string_equal(json_string_value(json_object_get(o, "replication_state")), "streaming");
	assert_true(json_is_true(json_object_get(o, "sync_standby")));
	assert_int_equal(json_integer_value(json_object_get(x, "replayed_location")),
			 FX_PRIMARY_LSN - FX_REPLAY_LAG);
	assert_int_equal(json_integer_value(json_object_get(x, "received_location")),
			 FX_PRIMARY_LSN - FX_RECEIVE_LAG);
	assert_true(json_is_false(json_object_get(x, "paused")));
	assert_true(json_is_string(json_object_get(x, "replayed_timestamp")));
	assert_int_equal(json_integer_value(json_object_get(o, "lease_remaining_ms")), 0);
	json_decref(o);

	/* No replay yet: replayed_timestamp is null, as PostgreSQL's NULL. */
	v.xlog_replayed_timestamp[0] = '\0';
	o = render(&v);
	assert_true(json_is_null(json_object_get(json_object_get(o, "xlog"), "replayed_timestamp")));
	json_decref(o);
	pgq_member_view_free(&v);
}

static void quorum_and_async_flags(void **state)
{
	(void)state;
	struct pgq_member_view v;
	json_t *o;

	fx_standby(&v, FX_QUORUM);
	o = render(&v);
	assert_true(json_is_true(json_object_get(o, "quorum_standby")));
	assert_null(json_object_get(o, "sync_standby"));
	json_decref(o);
	pgq_member_view_free(&v);

	fx_standby(&v, FX_ASYNC);
	o = render(&v);
	assert_null(json_object_get(o, "quorum_standby"));
	assert_null(json_object_get(o, "sync_standby"));
	json_decref(o);
	pgq_member_view_free(&v);
}

/* Patroni: when PostgreSQL cannot be queried, only state and role describe it. */
static void stopped_fields(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"state", "role", "database_system_identifier", "pgquorum", "epoch",
		"lease_remaining_ms", "raft",
	};
	struct pgq_member_view v;
	json_t *o;

	fx_stopped(&v);
	o = render(&v);
	assert_keys(o, keys, N(keys));
	assert_string_equal(json_string_value(json_object_get(o, "state")), "stopped");
	json_decref(o);
	pgq_member_view_free(&v);

	fx_crashed(&v);
	o = render(&v);
	assert_keys(o, keys, N(keys));
	assert_string_equal(json_string_value(json_object_get(o, "state")), "crashed");
	json_decref(o);
	pgq_member_view_free(&v);

	/* "running" that did not answer reads "unknown", as in Patroni. */
	fx_primary(&v);
	v.pg_details_valid = false;
	o = render(&v);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "unknown");
	assert_null(json_object_get(o, "xlog"));
	assert_null(json_object_get(o, "replication"));
	json_decref(o);
	pgq_member_view_free(&v);
}

static void optional_fields(void **state)
{
	(void)state;
	static const char *const tag_keys[] = {
		"nofailover", "noloadbalance", "nosync", "failover_priority", "dc",
	};
	static const char *const sched_keys[] = { "schedule", "postgres_version", "restart_pending" };
	struct pgq_member_view v;
	char err[128];
	json_t *o, *t;

	fx_primary(&v);
	v.pause = true;
	v.cluster_unlocked = true;
	v.pending_restart = true;
	v.watchdog_failed = true;
	v.tags.nofailover = v.tags.noloadbalance = v.tags.nosync = true;
	v.tags.has_failover_priority = true;
	v.tags.failover_priority = 3;
	assert_int_equal(pgq_member_view_set_tag(&v, "dc", "east", err, sizeof err), 0);
	v.has_scheduled_restart = true;
	snprintf(v.scheduled_restart_at, sizeof v.scheduled_restart_at, "2026-11-28T02:00:00+00:00");
	snprintf(v.scheduled_restart_postgres_version, sizeof v.scheduled_restart_postgres_version,
		 "15.5");
	v.scheduled_restart_pending_only = true;
	o = render(&v);
	assert_true(json_is_true(json_object_get(o, "pause")));
	assert_true(json_is_true(json_object_get(o, "cluster_unlocked")));
	assert_true(json_is_true(json_object_get(o, "pending_restart")));
	assert_true(json_is_true(json_object_get(o, "watchdog_failed")));
	t = json_object_get(o, "tags");
	assert_keys(t, tag_keys, N(tag_keys));
	assert_true(json_is_true(json_object_get(t, "nofailover")));
	assert_int_equal(json_integer_value(json_object_get(t, "failover_priority")), 3);
	assert_string_equal(json_string_value(json_object_get(t, "dc")), "east");
	assert_keys(json_object_get(o, "scheduled_restart"), sched_keys, N(sched_keys));
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "scheduled_restart"),
							      "schedule")),
			    "2026-11-28T02:00:00+00:00");
	json_decref(o);

	/* All false: all omitted. */
	v.pause = v.cluster_unlocked = v.pending_restart = v.watchdog_failed = false;
	v.has_scheduled_restart = false;
	pgq_member_view_free(&v);
	fx_primary(&v);
	o = render(&v);
	assert_null(json_object_get(o, "pause"));
	assert_null(json_object_get(o, "tags"));
	assert_null(json_object_get(o, "pending_restart"));
	assert_null(json_object_get(o, "scheduled_restart"));
	assert_null(json_object_get(o, "watchdog_failed"));
	assert_null(json_object_get(o, "cluster_unlocked"));
	json_decref(o);
	pgq_member_view_free(&v);
}

/* Every name issue 7 lists appears in some document, spelled exactly. */
static void issue_field_list_is_covered(void **state)
{
	(void)state;
	static const char *const issue_top[] = {
		"state", "postmaster_start_time", "role", "server_version", "xlog", "timeline",
		"replication_state", "replication", "sync_standby", "quorum_standby", "pause", "tags",
		"database_system_identifier", "pending_restart", "scheduled_restart",
		"watchdog_failed", "pgquorum", "epoch", "lease_remaining_ms", "raft",
	};
	struct pgq_member_view views[3];
	json_t *docs[3];
	char err[64];

	fx_primary(&views[0]);
	views[0].pause = views[0].pending_restart = views[0].watchdog_failed = true;
	views[0].has_scheduled_restart = true;
	snprintf(views[0].scheduled_restart_at, sizeof views[0].scheduled_restart_at, "x");
	assert_int_equal(pgq_member_view_set_tag(&views[0], "k", "v", err, sizeof err), 0);
	fx_standby(&views[1], FX_SYNC);
	fx_standby(&views[2], FX_QUORUM);
	for (int i = 0; i < 3; i++)
		docs[i] = render(&views[i]);
	for (size_t k = 0; k < N(issue_top); k++) {
		bool seen = false;
		for (int i = 0; i < 3; i++)
			seen = seen || json_object_get(docs[i], issue_top[k]) != NULL;
		if (!seen)
			fail_msg("issue 7 field \"%s\" never rendered", issue_top[k]);
	}
	for (int i = 0; i < 3; i++) {
		json_decref(docs[i]);
		pgq_member_view_free(&views[i]);
	}
}

static void lease_remaining(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	assert_int_equal(pgq_member_view_lease_remaining_ms(&v, FX_NOW_MS), 10000);
	assert_int_equal(pgq_member_view_lease_remaining_ms(&v, FX_NOW_MS + 9999), 1);
	assert_int_equal(pgq_member_view_lease_remaining_ms(&v, FX_NOW_MS + 10000), 0);
	assert_int_equal(pgq_member_view_lease_remaining_ms(&v, FX_NOW_MS + 20000), 0);
	v.is_leader = false;
	assert_int_equal(pgq_member_view_lease_remaining_ms(&v, FX_NOW_MS), 0);
	pgq_member_view_free(&v);
}

/* One bad byte from outside must not take the whole document down. */
static void non_utf8_text_is_replaced(void **state)
{
	(void)state;
	struct pgq_member_view v;
	char *text;

	fx_standby(&v, FX_ASYNC);
	snprintf(v.name, sizeof v.name, "node\xff" "7");
	text = pgq_rest_status_text(&v, FX_NOW_MS);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"name\":\"node?7\""));
	free(text);
	pgq_member_view_free(&v);
}

static void status_text_round_trips(void **state)
{
	(void)state;
	struct pgq_member_view v;
	json_error_t jerr;
	json_t *direct, *parsed;
	char *text;

	fx_primary(&v);
	text = pgq_rest_status_text(&v, FX_NOW_MS);
	assert_non_null(text);
	parsed = json_loads(text, 0, &jerr);
	assert_non_null(parsed);
	direct = render(&v);
	assert_true(json_equal(parsed, direct));
	/* Patroni's order: state first. */
	assert_int_equal(strncmp(text, "{\"state\":", 9), 0);
	json_decref(parsed);
	json_decref(direct);
	free(text);
	pgq_member_view_free(&v);
}

static void view_copy_is_deep(void **state)
{
	(void)state;
	struct pgq_member_view a, b;
	char err[128];

	fx_primary(&a);
	assert_int_equal(pgq_member_view_set_tag(&a, "dc", "east", err, sizeof err), 0);
	assert_int_equal(pgq_member_view_copy(&b, &a, err, sizeof err), 0);
	assert_ptr_not_equal(a.replication, b.replication);
	assert_ptr_not_equal(a.tags.custom, b.tags.custom);
	assert_int_equal(b.n_replication, 2);
	assert_string_equal(b.replication[1].application_name, "node4");
	assert_string_equal(b.tags.custom[0].value, "east");
	pgq_member_view_free(&a);          /* b survives its source */
	assert_string_equal(b.replication[0].application_name, "node2");
	assert_string_equal(b.name, "node1");
	pgq_member_view_free(&b);
	pgq_member_view_free(&b);          /* twice is harmless */
	assert_null(b.replication);
	assert_int_equal(b.n_replication, 0);

	/* Copy of a view without arrays. */
	fx_stopped(&a);
	assert_int_equal(pgq_member_view_copy(&b, &a, err, sizeof err), 0);
	assert_null(b.replication);
	assert_null(b.tags.custom);
	pgq_member_view_free(&a);
	pgq_member_view_free(&b);
}

static void view_tags_are_validated(void **state)
{
	(void)state;
	struct pgq_member_view v;
	char err[128], buf[PGQ_VIEW_TAG_VALUE_LEN], longv[PGQ_VIEW_TAG_VALUE_LEN + 1];

	pgq_member_view_init(&v);
	assert_int_equal(pgq_member_view_set_tag(&v, "nofailover", "true", err, sizeof err), -1);
	assert_int_equal(pgq_member_view_set_tag(&v, "failover_priority", "1", err, sizeof err), -1);
	assert_int_equal(pgq_member_view_set_tag(&v, "", "x", err, sizeof err), -1);
	assert_int_equal(pgq_member_view_set_tag(&v, "a b", "x", err, sizeof err), -1);
	assert_int_equal(pgq_member_view_set_tag(&v, "a=b", "x", err, sizeof err), -1);
	assert_int_equal(pgq_member_view_set_tag(&v, "caf\xc3\xa9", "x", err, sizeof err), -1);
	memset(longv, 'v', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	assert_int_equal(pgq_member_view_set_tag(&v, "k", longv, err, sizeof err), -1);
	longv[sizeof longv - 2] = '\0';
	assert_int_equal(pgq_member_view_set_tag(&v, "k", longv, err, sizeof err), 0);
	/* Setting again replaces. */
	assert_int_equal(pgq_member_view_set_tag(&v, "k", "second", err, sizeof err), 0);
	assert_int_equal(v.tags.n_custom, 1);
	assert_true(pgq_member_view_tag_text(&v, "k", buf, sizeof buf));
	assert_string_equal(buf, "second");
	for (int i = 1; i < PGQ_VIEW_MAX_TAGS; i++) {
		char key[16];
		snprintf(key, sizeof key, "t%d", i);
		assert_int_equal(pgq_member_view_set_tag(&v, key, "x", err, sizeof err), 0);
	}
	assert_int_equal(pgq_member_view_set_tag(&v, "onemore", "x", err, sizeof err), -1);
	pgq_member_view_free(&v);
}

static void view_replication_rows_are_bounded(void **state)
{
	(void)state;
	struct pgq_member_view v;
	struct pgq_view_replication row = { "u", "a", "c", "streaming", "async", 0 };
	char err[128];

	pgq_member_view_init(&v);
	for (int i = 0; i < PGQ_VIEW_MAX_REPLICATION; i++)
		assert_int_equal(pgq_member_view_add_replication(&v, &row, err, sizeof err), 0);
	assert_int_equal(pgq_member_view_add_replication(&v, &row, err, sizeof err), -1);
	assert_int_equal(v.n_replication, PGQ_VIEW_MAX_REPLICATION);
	pgq_member_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primary_fields),
		cmocka_unit_test(standby_fields),
		cmocka_unit_test(quorum_and_async_flags),
		cmocka_unit_test(stopped_fields),
		cmocka_unit_test(optional_fields),
		cmocka_unit_test(issue_field_list_is_covered),
		cmocka_unit_test(lease_remaining),
		cmocka_unit_test(non_utf8_text_is_replaced),
		cmocka_unit_test(status_text_round_trips),
		cmocka_unit_test(view_copy_is_deep),
		cmocka_unit_test(view_tags_are_validated),
		cmocka_unit_test(view_replication_rows_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rest_health.c — the status code of every health endpoint for each
 * kind of member (SAFETY.md S20 for /primary), with and without the lag,
 * tag_*, replication_state and mode parameters; bad parameters and unknown
 * paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rest/health.h"
#include "rest_view_fixture.h"

/* Status of "path?query" at now_ms; the query must parse. */
static int status_at(const struct pgq_member_view *v, const char *url, int64_t now_ms)
{
	char path[256], err[256];
	const char *qmark = strchr(url, '?');
	struct pgq_query q;
	int code;

	snprintf(path, sizeof path, "%.*s", (int)(qmark != NULL ? qmark - url : (long)strlen(url)),
		 url);
	if (pgq_query_parse(qmark != NULL ? qmark + 1 : NULL, &q, err, sizeof err) != 0)
		fail_msg("query of %s did not parse: %s", url, err);
	code = pgq_rest_health_status(v, path, &q, now_ms, err, sizeof err);
	if (code == 400 || code == 404)
		assert_true(err[0] != '\0');   /* a client gets a reason */
	return code;
}

static int status(const struct pgq_member_view *v, const char *url)
{
	return status_at(v, url, FX_NOW_MS);
}

struct expect {
	const char *url;
	int code;
};

static void check_all(const struct pgq_member_view *v, const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = status(v, e[i].url);
		if (got != e[i].code)
			fail_msg("%s on %s: got %d, want %d", e[i].url, v->name, got, e[i].code);
	}
}

#define CHECK_ALL(v, table) check_all((v), (table), sizeof(table) / sizeof((table)[0]))

/* What a healthy member that is not the primary answers on leadership paths. */
#define NOT_PRIMARY \
	{ "/", 503 }, { "/primary", 503 }, { "/read-write", 503 }, { "/leader", 503 }, \
	{ "/master", 503 }, { "/standby-leader", 503 }

static void primary_with_lease(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		{ "/", 200 }, { "/primary", 200 }, { "/read-write", 200 }, { "/master", 200 },
		{ "/leader", 200 }, { "/standby-leader", 503 }, { "/standby_leader", 503 },
		{ "/replica", 503 }, { "/read-only", 200 }, { "/synchronous", 503 },
		{ "/sync", 503 }, { "/asynchronous", 503 }, { "/async", 503 },
		{ "/quorum", 503 }, { "/read-only-sync", 200 }, { "/read-only-synchronous", 200 },
		{ "/read-only-quorum", 200 }, { "/health", 200 }, { "/liveness", 200 },
		{ "/readiness", 200 }, { "/patroni", 200 },
	};

	fx_primary(&v);
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

/* S20: the lease must extend past the request time; "equal" is expired. */
static void primary_expired_lease_is_503(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/read-only", 503 }, { "/read-only-sync", 503 },
		{ "/read-only-quorum", 503 }, { "/readiness", 503 },
		{ "/health", 200 }, { "/liveness", 200 }, { "/patroni", 200 },
	};

	fx_primary(&v);
	v.lease_end_ms = FX_NOW_MS;
	CHECK_ALL(&v, e);
	/* One millisecond earlier the same view was the primary. */
	assert_int_equal(status_at(&v, "/primary", FX_NOW_MS - 1), 200);
	/* A view the loop has not refreshed still expires at the request time. */
	v.lease_end_ms = FX_NOW_MS + 10;
	assert_int_equal(status_at(&v, "/primary", FX_NOW_MS + 9), 200);
	assert_int_equal(status_at(&v, "/primary", FX_NOW_MS + 10), 503);
	assert_int_equal(status_at(&v, "/read-write", FX_NOW_MS + 11), 503);
	pgq_member_view_free(&v);
}

/* S20/DESIGN: /primary turns 503 the moment a demotion or switchover begins. */
static void primary_during_demotion_is_503(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/read-only", 503 }, { "/read-only-sync", 503 },
		{ "/health", 200 }, { "/patroni", 200 },
	};

	fx_primary(&v);
	v.demotion_in_progress = true;
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

/* S20: the record may name us, but PostgreSQL must say it is not in recovery. */
static void leader_still_in_recovery_is_not_primary(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_SYNC);
	v.is_leader = true;                 /* promotion decided, pg not promoted yet */
	v.lease_end_ms = FX_NOW_MS + 5000;
	assert_int_equal(status(&v, "/primary"), 503);
	assert_int_equal(status(&v, "/read-write"), 503);
	/* /leader, like Patroni's, looks at leadership only. */
	assert_int_equal(status(&v, "/leader"), 200);
	pgq_member_view_free(&v);
}

/* The last probe failed: the role it reported before is not trusted. */
static void primary_whose_probe_failed_is_503(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	v.pg_details_valid = false;
	assert_int_equal(status(&v, "/primary"), 503);
	assert_int_equal(status(&v, "/health"), 503);
	assert_int_equal(status(&v, "/leader"), 200);
	pgq_member_view_free(&v);
}

static void sync_standby(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/replica", 200 }, { "/read-only", 200 }, { "/synchronous", 200 },
		{ "/sync", 200 }, { "/asynchronous", 503 }, { "/async", 503 }, { "/quorum", 503 },
		{ "/read-only-sync", 200 }, { "/read-only-quorum", 503 }, { "/health", 200 },
		{ "/liveness", 200 }, { "/readiness", 200 }, { "/patroni", 200 },
	};

	fx_standby(&v, FX_SYNC);
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

static void quorum_standby(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/replica", 200 }, { "/read-only", 200 }, { "/synchronous", 503 },
		{ "/async", 503 }, { "/quorum", 200 }, { "/read-only-sync", 503 },
		{ "/read-only-quorum", 200 }, { "/health", 200 }, { "/readiness", 200 },
	};

	fx_standby(&v, FX_QUORUM);
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

static void async_standby(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/replica", 200 }, { "/read-only", 200 }, { "/sync", 503 },
		{ "/asynchronous", 200 }, { "/async", 200 }, { "/quorum", 503 },
		{ "/read-only-sync", 503 }, { "/read-only-quorum", 503 }, { "/health", 200 },
		{ "/readiness", 200 },
	};

	fx_standby(&v, FX_ASYNC);
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

static void noloadbalance_standby(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/replica", 503 }, { "/read-only", 503 }, { "/sync", 503 },
		{ "/read-only-sync", 503 }, { "/health", 200 }, { "/readiness", 200 },
		{ "/liveness", 200 },
	};

	fx_standby(&v, FX_SYNC);
	v.tags.noloadbalance = true;
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

static void stopped_postgres(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		NOT_PRIMARY, { "/replica", 503 }, { "/read-only", 503 }, { "/sync", 503 },
		{ "/async", 503 }, { "/quorum", 503 }, { "/read-only-sync", 503 },
		{ "/read-only-quorum", 503 }, { "/health", 503 }, { "/readiness", 503 },
		{ "/liveness", 200 }, { "/patroni", 200 },
	};

	fx_stopped(&v);
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

/* Crashed while it held the lease: nothing may send writes there. */
static void crashed_postgres(void **state)
{
	(void)state;
	struct pgq_member_view v;
	const struct expect e[] = {
		{ "/", 503 }, { "/primary", 503 }, { "/read-write", 503 }, { "/replica", 503 },
		{ "/read-only", 503 }, { "/health", 503 }, { "/patroni", 200 },
	};

	fx_crashed(&v);
	v.is_leader = true;
	v.lease_end_ms = FX_NOW_MS + 3000;
	CHECK_ALL(&v, e);
	pgq_member_view_free(&v);
}

/* SAFETY.md S18: pause pauses decisions, not the lease behind /primary. */
static void paused_primary_still_needs_its_lease(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	v.pause = true;
	assert_int_equal(status(&v, "/primary"), 200);
	v.lease_end_ms = FX_NOW_MS - 1;
	assert_int_equal(status(&v, "/primary"), 503);
	/* Patroni: in maintenance mode a stuck loop is no reason to kill the pod. */
	v.loop_last_run_ms = FX_NOW_MS - 10 * 60 * 1000;
	assert_int_equal(status(&v, "/liveness"), 200);
	v.pause = false;
	assert_int_equal(status(&v, "/liveness"), 503);
	pgq_member_view_free(&v);
}

static void paused_standby(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);
	v.pause = true;
	assert_int_equal(status(&v, "/replica"), 200);
	assert_int_equal(status(&v, "/primary"), 503);
	pgq_member_view_free(&v);
}

/* Patroni: ttl on a running primary, twice that elsewhere. */
static void liveness_thresholds(void **state)
{
	(void)state;
	struct pgq_member_view p, s;

	fx_primary(&p);
	fx_standby(&s, FX_ASYNC);
	p.loop_last_run_ms = s.loop_last_run_ms = FX_NOW_MS - 30000;
	assert_int_equal(status(&p, "/liveness"), 200);
	assert_int_equal(status(&s, "/liveness"), 200);
	p.loop_last_run_ms = s.loop_last_run_ms = FX_NOW_MS - 30001;
	assert_int_equal(status(&p, "/liveness"), 503);
	assert_int_equal(status(&s, "/liveness"), 200);
	s.loop_last_run_ms = FX_NOW_MS - 60001;
	assert_int_equal(status(&s, "/liveness"), 503);
	s.loop_last_run_ms = 0;             /* never ran */
	assert_int_equal(status(&s, "/liveness"), 503);
	/* Not configured: Patroni's default ttl of 30 s. */
	p.liveness_max_age_ms = 0;
	p.loop_last_run_ms = FX_NOW_MS - 29000;
	assert_int_equal(status(&p, "/liveness"), 200);
	p.loop_last_run_ms = FX_NOW_MS - 31000;
	assert_int_equal(status(&p, "/liveness"), 503);
	pgq_member_view_free(&p);
	pgq_member_view_free(&s);
}

/* The limit is inclusive: lag exactly equal to ?lag= is healthy (Patroni). */
static void replica_lag_boundary(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);          /* replays FX_REPLAY_LAG = 4096 behind */
	assert_int_equal(status(&v, "/replica?lag=4096"), 200);
	assert_int_equal(status(&v, "/replica?lag=4095"), 503);
	assert_int_equal(status(&v, "/replica?lag=4kB"), 200);
	assert_int_equal(status(&v, "/replica?lag=3kB"), 503);
	assert_int_equal(status(&v, "/replica?lag=1MB"), 200);
	assert_int_equal(status(&v, "/replica?lag=1GB"), 200);
	assert_int_equal(status(&v, "/replica?lag=0"), 503);
	assert_int_equal(status(&v, "/async?lag=4095"), 503);
	assert_int_equal(status(&v, "/async?lag=16kB"), 200);
	assert_int_equal(status(&v, "/read-only?lag=4095"), 503);
	pgq_member_view_free(&v);
}

static void replica_lag_on_sync_and_quorum(void **state)
{
	(void)state;
	struct pgq_member_view s, q;

	fx_standby(&s, FX_SYNC);
	fx_standby(&q, FX_QUORUM);
	assert_int_equal(status(&s, "/sync?lag=100"), 503);
	assert_int_equal(status(&s, "/read-only-sync?lag=64MB"), 200);
	assert_int_equal(status(&q, "/quorum?lag=100"), 503);
	assert_int_equal(status(&q, "/read-only-quorum?lag=4096"), 200);
	pgq_member_view_free(&s);
	pgq_member_view_free(&q);
}

/* Patroni: without a known primary position, ?lag= cannot fail a standby. */
static void replica_lag_unknown_primary_position(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);
	v.primary_last_lsn = 0;
	assert_int_equal(status(&v, "/replica?lag=0"), 200);
	/* A standby ahead of the last known position is not lagging. */
	v.primary_last_lsn = v.xlog_replayed_location - 10;
	assert_int_equal(status(&v, "/replica?lag=0"), 200);
	pgq_member_view_free(&v);
}

/* The primary's own verdict ignores ?lag= (it has no replay lag). */
static void primary_ignores_lag(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	assert_int_equal(status(&v, "/primary?lag=0"), 200);
	assert_int_equal(status(&v, "/read-only?lag=0"), 200);
	pgq_member_view_free(&v);
}

static void replica_replication_state(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);
	assert_int_equal(status(&v, "/replica?replication_state=streaming"), 200);
	snprintf(v.replication_state, sizeof v.replication_state, "in archive recovery");
	assert_int_equal(status(&v, "/replica"), 200);
	assert_int_equal(status(&v, "/replica?replication_state=streaming"), 503);
	assert_int_equal(status(&v, "/replica?replication_state=in+archive+recovery"), 200);
	assert_int_equal(status(&v, "/replica?replication_state=in%20archive%20recovery"), 200);
	pgq_member_view_free(&v);
}

static void replica_tags(void **state)
{
	(void)state;
	struct pgq_member_view v;
	char err[128];

	fx_standby(&v, FX_ASYNC);
	assert_int_equal(pgq_member_view_set_tag(&v, "dc", "east", err, sizeof err), 0);
	assert_int_equal(pgq_member_view_set_tag(&v, "rack", "r1", err, sizeof err), 0);
	v.tags.has_failover_priority = true;
	v.tags.failover_priority = 5;
	assert_int_equal(status(&v, "/replica?tag_dc=east"), 200);
	assert_int_equal(status(&v, "/replica?tag_dc=east&tag_rack=r1"), 200);
	assert_int_equal(status(&v, "/replica?tag_dc=west"), 503);
	assert_int_equal(status(&v, "/replica?tag_dc=east&tag_rack=r2"), 503);
	assert_int_equal(status(&v, "/replica?tag_zone=a"), 503);          /* absent */
	assert_int_equal(status(&v, "/replica?tag_dc=East"), 503);         /* exact match */
	assert_int_equal(status(&v, "/replica?tag_failover_priority=5"), 200);
	assert_int_equal(status(&v, "/replica?tag_nofailover=true"), 503); /* not set */
	v.tags.nofailover = true;
	assert_int_equal(status(&v, "/replica?tag_nofailover=true"), 200);
	assert_int_equal(status(&v, "/replica?tag_nofailover=false"), 503);
	/* Tags filter the read paths and /health ... */
	assert_int_equal(status(&v, "/read-only?tag_dc=west"), 503);
	assert_int_equal(status(&v, "/async?tag_dc=west"), 503);
	assert_int_equal(status(&v, "/health?tag_dc=west"), 503);
	assert_int_equal(status(&v, "/health?tag_dc=east"), 200);
	pgq_member_view_free(&v);
}

/* ... but not the leadership paths, where Patroni ignores them. */
static void tags_ignored_on_leadership_paths(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	assert_int_equal(status(&v, "/primary?tag_dc=west"), 200);
	assert_int_equal(status(&v, "/?tag_dc=west"), 200);
	assert_int_equal(status(&v, "/read-write?tag_dc=west"), 200);
	assert_int_equal(status(&v, "/leader?tag_dc=west"), 200);
	assert_int_equal(status(&v, "/read-only?tag_dc=west"), 503);
	pgq_member_view_free(&v);
}

static void readiness_mode_and_lag(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);          /* receive lag 1024, replay lag 4096 */
	assert_int_equal(status(&v, "/readiness?lag=2kB"), 503);
	assert_int_equal(status(&v, "/readiness?lag=2kB&mode=apply"), 503);
	assert_int_equal(status(&v, "/readiness?lag=2kB&mode=write"), 200);
	assert_int_equal(status(&v, "/readiness?lag=4096"), 200);
	assert_int_equal(status(&v, "/readiness?lag=1024&mode=write"), 200);
	assert_int_equal(status(&v, "/readiness?lag=1023&mode=write"), 503);
	pgq_member_view_free(&v);
}

/* Without ?lag=, /readiness uses maximum_lag_on_failover (inclusive). */
static void readiness_default_lag(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);
	v.xlog_replayed_location = FX_PRIMARY_LSN - FX_MAX_LAG_ON_FAILOVER;
	assert_int_equal(status(&v, "/readiness"), 200);
	v.xlog_replayed_location--;
	assert_int_equal(status(&v, "/readiness"), 503);
	assert_int_equal(status(&v, "/readiness?mode=write"), 200);
	pgq_member_view_free(&v);
}

static void readiness_needs_streaming_and_known_primary(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_standby(&v, FX_ASYNC);
	snprintf(v.replication_state, sizeof v.replication_state, "in archive recovery");
	assert_int_equal(status(&v, "/readiness"), 503);
	snprintf(v.replication_state, sizeof v.replication_state, "streaming");
	v.primary_last_lsn = 0;
	assert_int_equal(status(&v, "/readiness"), 503);
	pgq_member_view_free(&v);
}

static void bad_parameters_are_400(void **state)
{
	(void)state;
	struct pgq_member_view v;
	static const char *const bad[] = {
		"/replica?lag=abc", "/replica?lag=", "/replica?lag=-1", "/replica?lag=1.5MB",
		"/replica?lag=1mb", "/replica?lag=16 kB", "/replica?lag=99999999999999999999",
		"/replica?lag=9000000TB", "/primary?lag=abc", "/async?lag=x", "/health?lag=1XB",
		"/readiness?mode=read", "/readiness?mode=", "/readiness?lag=ten",
		"/read-only?mode=APPLY",
	};

	fx_standby(&v, FX_ASYNC);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (status(&v, bad[i]) != 400)
			fail_msg("%s: want 400, got %d", bad[i], status(&v, bad[i]));
	/* /patroni and /liveness take no parameters: nothing to refuse. */
	assert_int_equal(status(&v, "/patroni?lag=abc"), 200);
	assert_int_equal(status(&v, "/liveness?lag=abc"), 200);
	pgq_member_view_free(&v);
}

/* Patroni ignores parameters it does not know; so do we. */
static void unknown_parameters_are_ignored(void **state)
{
	(void)state;
	struct pgq_member_view v;

	fx_primary(&v);
	assert_int_equal(status(&v, "/primary?foo=bar"), 200);
	assert_int_equal(status(&v, "/read-only?verbose&x=1"), 200);
	pgq_member_view_free(&v);
}

static void unknown_paths_are_404(void **state)
{
	(void)state;
	struct pgq_member_view v;
	char err[64];
	static const char *const paths[] = {
		"/nope", "/primary/", "/Primary", "//", "/replica/x", "/cluster", "/metrics",
		"/history", "/config", "/read-only-", "",
	};

	fx_primary(&v);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		assert_int_equal(pgq_rest_health_status(&v, paths[i], NULL, FX_NOW_MS, err, sizeof err),
				 404);
		assert_false(pgq_rest_health_is_endpoint(paths[i]));
	}
	assert_int_equal(pgq_rest_health_status(&v, NULL, NULL, FX_NOW_MS, err, sizeof err), 404);
	pgq_member_view_free(&v);
}

static void endpoint_table(void **state)
{
	(void)state;
	assert_true(pgq_rest_health_is_endpoint("/"));
	assert_true(pgq_rest_health_is_endpoint("/read-only-quorum"));
	assert_true(pgq_rest_health_is_endpoint("/patroni"));
	assert_true(pgq_rest_health_has_body("/replica"));
	assert_true(pgq_rest_health_has_body("/patroni"));
	assert_false(pgq_rest_health_has_body("/liveness"));
	assert_false(pgq_rest_health_has_body("/readiness"));
	assert_false(pgq_rest_health_has_body("/nope"));
}

/* A 400 or 503 says why, for the client and the log. */
static void answers_carry_a_reason(void **state)
{
	(void)state;
	struct pgq_member_view v;
	struct pgq_query q;
	char err[256];

	fx_standby(&v, FX_ASYNC);
	assert_int_equal(pgq_query_parse("lag=abc", &q, err, sizeof err), 0);
	assert_int_equal(pgq_rest_health_status(&v, "/replica", &q, FX_NOW_MS, err, sizeof err), 400);
	assert_non_null(strstr(err, "lag"));
	assert_int_equal(pgq_query_parse("mode=fast", &q, err, sizeof err), 0);
	assert_int_equal(pgq_rest_health_status(&v, "/readiness", &q, FX_NOW_MS, err, sizeof err), 400);
	assert_non_null(strstr(err, "mode"));
	assert_int_equal(pgq_query_parse("lag=1", &q, err, sizeof err), 0);
	assert_int_equal(pgq_rest_health_status(&v, "/readiness", &q, FX_NOW_MS, err, sizeof err), 503);
	assert_non_null(strstr(err, "lag 4096 exceeds 1"));
	/* A 200 leaves the buffer empty. */
	assert_int_equal(pgq_rest_health_status(&v, "/replica", NULL, FX_NOW_MS, err, sizeof err), 200);
	assert_string_equal(err, "");
	pgq_member_view_free(&v);
}

/* A NULL query is "no parameters". */
static void null_query(void **state)
{
	(void)state;
	struct pgq_member_view v;
	char err[64];

	fx_standby(&v, FX_ASYNC);
	assert_int_equal(pgq_rest_health_status(&v, "/replica", NULL, FX_NOW_MS, err, sizeof err),
			 200);
	assert_int_equal(pgq_rest_health_status(&v, "/readiness", NULL, FX_NOW_MS, err, sizeof err),
			 200);
	pgq_member_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primary_with_lease),
		cmocka_unit_test(primary_expired_lease_is_503),
		cmocka_unit_test(primary_during_demotion_is_503),
		cmocka_unit_test(leader_still_in_recovery_is_not_primary),
		cmocka_unit_test(primary_whose_probe_failed_is_503),
		cmocka_unit_test(sync_standby),
		cmocka_unit_test(quorum_standby),
		cmocka_unit_test(async_standby),
		cmocka_unit_test(noloadbalance_standby),
		cmocka_unit_test(stopped_postgres),
		cmocka_unit_test(crashed_postgres),
		cmocka_unit_test(paused_primary_still_needs_its_lease),
		cmocka_unit_test(paused_standby),
		cmocka_unit_test(liveness_thresholds),
		cmocka_unit_test(replica_lag_boundary),
		cmocka_unit_test(replica_lag_on_sync_and_quorum),
		cmocka_unit_test(replica_lag_unknown_primary_position),
		cmocka_unit_test(primary_ignores_lag),
		cmocka_unit_test(replica_replication_state),
		cmocka_unit_test(replica_tags),
		cmocka_unit_test(tags_ignored_on_leadership_paths),
		cmocka_unit_test(readiness_mode_and_lag),
		cmocka_unit_test(readiness_default_lag),
		cmocka_unit_test(readiness_needs_streaming_and_known_primary),
		cmocka_unit_test(bad_parameters_are_400),
		cmocka_unit_test(unknown_parameters_are_ignored),
		cmocka_unit_test(unknown_paths_are_404),
		cmocka_unit_test(endpoint_table),
		cmocka_unit_test(null_query),
		cmocka_unit_test(answers_carry_a_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

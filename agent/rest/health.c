/*
 * health.c — Patroni's health-check endpoints as a pure function of the
 * member view, the query parameters and the request time.
 *
 * Owns the meaning of each endpoint (docs/rest-api.md has the table). The
 * shape follows Patroni: three building blocks — "primary", "leader" and
 * "replica" verdicts — combined per path, then the `tag_*` filter on every
 * path that is not about leadership. Where pgquorum is stricter than
 * Patroni it says so next to the rule:
 *   - /primary needs the lease to extend past the request time, PostgreSQL
 *     to have answered pg_is_in_recovery() = false on its last probe, and
 *     no demotion or switchover under way (SAFETY.md S20);
 *   - a malformed `lag` or `mode` is 400, not silently "no limit".
 */
#include "rest/health.h"

#include <stdio.h>
#include <string.h>

enum endpoint {
	EP_PRIMARY,
	EP_LEADER,
	EP_STANDBY_LEADER,
	EP_REPLICA,
	EP_READ_ONLY,
	EP_SYNC,
	EP_ASYNC,
	EP_QUORUM,
	EP_READ_ONLY_SYNC,
	EP_READ_ONLY_QUORUM,
	EP_HEALTH,
	EP_LIVENESS,
	EP_READINESS,
	EP_STATUS,
};

struct route {
	const char *path;
	enum endpoint ep;
	bool ignore_tags;   /* leadership paths: Patroni ignores tag_* there */
	bool has_body;
};

static const struct route routes[] = {
	{ "/", EP_PRIMARY, true, true },
	{ "/primary", EP_PRIMARY, true, true },
	{ "/master", EP_PRIMARY, true, true },          /* Patroni's old name */
	{ "/read-write", EP_PRIMARY, true, true },
	{ "/leader", EP_LEADER, true, true },
	{ "/standby-leader", EP_STANDBY_LEADER, true, true },
	{ "/standby_leader", EP_STANDBY_LEADER, true, true },
	{ "/replica", EP_REPLICA, false, true },
	{ "/read-only", EP_READ_ONLY, false, true },
	{ "/synchronous", EP_SYNC, false, true },
	{ "/sync", EP_SYNC, false, true },
	{ "/asynchronous", EP_ASYNC, false, true },
	{ "/async", EP_ASYNC, false, true },
	{ "/quorum", EP_QUORUM, false, true },
	{ "/read-only-sync", EP_READ_ONLY_SYNC, false, true },
	{ "/read-only-synchronous", EP_READ_ONLY_SYNC, false, true },
	{ "/read-only-quorum", EP_READ_ONLY_QUORUM, false, true },
	{ "/health", EP_HEALTH, false, true },
	{ "/liveness", EP_LIVENESS, true, false },
	{ "/readiness", EP_READINESS, true, false },
	{ "/patroni", EP_STATUS, true, true },
};

/* Patroni's ttl default: /liveness when the loop did not say otherwise. */
#define DEFAULT_LIVENESS_MAX_AGE_MS 30000

static const struct route *find_route(const char *path)
{
	if (path == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(routes[i].path, path) == 0)
			return &routes[i];
	return NULL;
}

bool pgq_rest_health_is_endpoint(const char *path)
{
	return find_route(path) != NULL;
}

bool pgq_rest_health_has_body(const char *path)
{
	const struct route *r = find_route(path);
	return r != NULL && r->has_body;
}

/* The parameters every health endpoint validates (others are ignored). */
struct params {
	bool has_lag;
	uint64_t lag_bytes;
	bool mode_write;                 /* /readiness: received (write) vs replayed (apply) */
	const char *replication_state;   /* NULL: any */
};

static int read_params(const struct pgq_query *q, struct params *out, char *err, size_t errlen)
{
	const char *lag, *mode;

	memset(out, 0, sizeof *out);
	if (q == NULL)
		return 0;
	lag = pgq_query_get(q, "lag");
	if (lag != NULL) {
		char why[160];
		if (pgq_size_parse(lag, &out->lag_bytes, why, sizeof why) != 0) {
			snprintf(err, errlen, "bad lag parameter: %s", why);
			return -1;
		}
		out->has_lag = true;
	}
	mode = pgq_query_get(q, "mode");
	if (mode != NULL) {
		if (strcmp(mode, "write") == 0) {
			out->mode_write = true;
		} else if (strcmp(mode, "apply") != 0) {
			snprintf(err, errlen, "bad mode parameter \"%.32s\": expected apply or write", mode);
			return -1;
		}
	}
	out->replication_state = pgq_query_get(q, "replication_state");
	return 0;
}

/* PostgreSQL is up and its last status query answered. */
static bool pg_running(const struct pgq_member_view *v)
{
	return v->pg_details_valid && strcmp(v->state, "running") == 0;
}

/* How far `location` is behind the primary's last known LSN (0 if ahead). */
static uint64_t lag_behind(const struct pgq_member_view *v, uint64_t location)
{
	return v->primary_last_lsn > location ? v->primary_last_lsn - location : 0;
}

/*
 * Holds the lease at the request time and is not giving it up. Patroni's
 * "has the leader lock"; the lease is ours (S20), checked per request.
 */
static bool leader_ok(const struct pgq_member_view *v, int64_t now_ms)
{
	return v->is_leader && v->lease_end_ms > now_ms && !v->demotion_in_progress;
}

/* SAFETY.md S20: lease in the future now, and PostgreSQL not in recovery. */
static bool primary_ok(const struct pgq_member_view *v, int64_t now_ms)
{
	return leader_ok(v, now_ms) && v->role == PGQ_VIEW_ROLE_PRIMARY && pg_running(v);
}

/*
 * A running standby that takes read traffic: no noloadbalance tag, within
 * ?lag= of the primary's last known LSN (unknown LSN: not lagging, as in
 * Patroni; equal to the limit: not lagging), in ?replication_state= if set.
 */
static bool replica_ok(const struct pgq_member_view *v, const struct params *p)
{
	if (v->tags.noloadbalance || v->role != PGQ_VIEW_ROLE_REPLICA || !pg_running(v))
		return false;
	if (p->has_lag && v->primary_last_lsn != 0 &&
	    lag_behind(v, v->xlog_replayed_location) > p->lag_bytes)
		return false;
	if (p->replication_state != NULL && strcmp(v->replication_state, p->replication_state) != 0)
		return false;
	return true;
}

/* Patroni: the loop must have run within ttl on a primary, 2 ttl elsewhere; pause: always. */
static bool liveness_ok(const struct pgq_member_view *v, int64_t now_ms)
{
	int64_t max_age_ms = v->liveness_max_age_ms > 0 ? v->liveness_max_age_ms
							: DEFAULT_LIVENESS_MAX_AGE_MS;

	if (v->pause)
		return true;
	if (v->loop_last_run_ms <= 0)
		return false;
	if (!(v->role == PGQ_VIEW_ROLE_PRIMARY && pg_running(v)))
		max_age_ms *= 2;
	return now_ms - v->loop_last_run_ms <= max_age_ms;
}

static bool readiness_ok(const struct pgq_member_view *v, const struct params *p, int64_t now_ms,
			 char *err, size_t errlen)
{
	uint64_t location, lag, max_lag;

	if (leader_ok(v, now_ms))
		return true;
	if (!pg_running(v)) {
		snprintf(err, errlen, "PostgreSQL is not running");
		return false;
	}
	if (strcmp(v->replication_state, "streaming") != 0) {
		snprintf(err, errlen, "replication state is not streaming");
		return false;
	}
	if (v->primary_last_lsn == 0) {
		snprintf(err, errlen, "the primary's position is unknown");
		return false;
	}
	location = p->mode_write ? v->xlog_received_location : v->xlog_replayed_location;
	lag = lag_behind(v, location);
	max_lag = p->has_lag ? p->lag_bytes : v->maximum_lag_on_failover_bytes;
	if (lag > max_lag) {
		snprintf(err, errlen, "%s lag %llu exceeds %llu", p->mode_write ? "write" : "apply",
			 (unsigned long long)lag, (unsigned long long)max_lag);
		return false;
	}
	return true;
}

/* Every tag_<key>=<value> must name a tag this member has, with that value. */
static bool tags_match(const struct pgq_member_view *v, const struct pgq_query *q)
{
	char have[PGQ_VIEW_TAG_VALUE_LEN];

	if (q == NULL)
		return true;
	for (size_t i = 0; i < q->n; i++) {
		const char *key = q->params[i].key;
		if (strncmp(key, "tag_", 4) != 0)
			continue;
		if (!pgq_member_view_tag_text(v, key + 4, have, sizeof have) ||
		    strcmp(have, q->params[i].value) != 0)
			return false;
	}
	return true;
}

static bool verdict(const struct pgq_member_view *v, enum endpoint ep, const struct params *p,
		    int64_t now_ms, char *err, size_t errlen)
{
	switch (ep) {
	case EP_PRIMARY:
		return primary_ok(v, now_ms);
	case EP_LEADER:
		return leader_ok(v, now_ms);
	case EP_STANDBY_LEADER:
		return false;   /* no standby clusters yet */
	case EP_REPLICA:
		return replica_ok(v, p);
	case EP_READ_ONLY:
		return primary_ok(v, now_ms) || replica_ok(v, p);
	case EP_SYNC:
		return v->sync_standby && replica_ok(v, p);
	case EP_QUORUM:
		return v->quorum_standby && replica_ok(v, p);
	case EP_ASYNC:
		return !v->sync_standby && !v->quorum_standby && replica_ok(v, p);
	case EP_READ_ONLY_SYNC:
		return primary_ok(v, now_ms) || (v->sync_standby && replica_ok(v, p));
	case EP_READ_ONLY_QUORUM:
		return primary_ok(v, now_ms) || (v->quorum_standby && replica_ok(v, p));
	case EP_HEALTH:
		return pg_running(v);
	case EP_LIVENESS:
		return liveness_ok(v, now_ms);
	case EP_READINESS:
		return readiness_ok(v, p, now_ms, err, errlen);
	case EP_STATUS:
		return true;
	}
	return false;
}

int pgq_rest_health_status(const struct pgq_member_view *v, const char *path,
			   const struct pgq_query *q, int64_t now_ms, char *err, size_t errlen)
{
	const struct route *r = find_route(path);
	struct params p;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (r == NULL) {
		snprintf(err, errlen, "no such endpoint");
		return 404;
	}
	/* /patroni and /liveness take no parameters (Patroni ignores them there). */
	if (r->ep == EP_STATUS || r->ep == EP_LIVENESS)
		memset(&p, 0, sizeof p);
	else if (read_params(q, &p, err, errlen) != 0)
		return 400;
	if (!verdict(v, r->ep, &p, now_ms, err, errlen))
		return 503;
	if (!r->ignore_tags && !tags_match(v, q)) {
		snprintf(err, errlen, "tags do not match");
		return 503;
	}
	return 200;
}

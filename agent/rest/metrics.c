/*
 * metrics.c — Prometheus text format for GET /metrics (metrics.h).
 *
 * Every family is written as "# HELP", "# TYPE", then its samples, each
 * carrying the scope and name labels (as Patroni's do), so one Prometheus
 * can scrape several clusters. Label values are escaped as the format
 * requires; metric and label names are fixed here, never taken from input.
 */
#include "rest/metrics.h"

#include "rest/health.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer; `failed` sticks so callers check once at the end. */
struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		size_t room = o->cap - o->len;
		va_start(ap, fmt);
		n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap == 0 ? 4096 : o->cap * 2;
		while (cap - o->len <= (size_t)n)
			cap *= 2;
		char *grown = realloc(o->buf, cap);
		if (grown == NULL) {
			o->failed = true;
			return;
		}
		o->buf = grown;
		o->cap = cap;
	}
}

int pgq_metrics_escape_label(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = in; *p != '\0'; p++) {
		const char *rep = NULL;
		char one[2] = { *p, '\0' };

		if (*p == '\\')
			rep = "\\\\";
		else if (*p == '"')
			rep = "\\\"";
		else if (*p == '\n')
			rep = "\\n";
		else
			rep = one;
		size_t n = strlen(rep);
		if (o + n >= outlen)
			return -1;
		memcpy(out + o, rep, n);
		o += n;
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

struct ctx {
	struct out out;
	char labels[2 * 2 * PGQ_VIEW_NAME_LEN + 32];   /* scope="...",name="..." escaped */
};

static void family(struct ctx *c, const char *name, const char *type, const char *help)
{
	emit(&c->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct ctx *c, const char *name, uint64_t value)
{
	emit(&c->out, "%s{%s} %llu\n", name, c->labels, (unsigned long long)value);
}

static void gauge_u64(struct ctx *c, const char *name, const char *help, uint64_t value)
{
	family(c, name, "gauge", help);
	sample_u64(c, name, value);
}

static void counter_u64(struct ctx *c, const char *name, const char *help, uint64_t value)
{
	family(c, name, "counter", help);
	sample_u64(c, name, value);
}

static void identity(struct ctx *c, const struct pgq_member_view *v)
{
	char version[2 * PGQ_VIEW_SHORT_LEN];

	if (pgq_metrics_escape_label(v->version, version, sizeof version) != 0)
		snprintf(version, sizeof version, "unknown");
	family(c, "pgquorum_info", "gauge", "Always 1; the labels name the agent and its version.");
	emit(&c->out, "pgquorum_info{%s,version=\"%s\"} 1\n", c->labels, version);
}

static void postgres(struct ctx *c, const struct pgq_member_view *v, int64_t now_ms)
{
	bool running = v->pg_details_valid && strcmp(v->state, "running") == 0;
	bool primary = running && v->role == PGQ_VIEW_ROLE_PRIMARY;
	bool replica = running && v->role == PGQ_VIEW_ROLE_REPLICA;
	char err[8];

	gauge_u64(c, "pgquorum_postgres_running", "1 if PostgreSQL is running and answers, else 0.",
		  running);
	gauge_u64(c, "pgquorum_primary",
		  "1 if this member is the primary holding the lease (GET /primary is 200), else 0.",
		  pgq_rest_health_status(v, "/primary", NULL, now_ms, err, sizeof err) == 200);
	gauge_u64(c, "pgquorum_replica", "1 if PostgreSQL runs as a standby, else 0.", replica);
	gauge_u64(c, "pgquorum_sync_standby", "1 if this member is in the recorded synchronous set.",
		  replica && v->sync_standby);
	gauge_u64(c, "pgquorum_quorum_standby", "1 if this member is in the recorded quorum set.",
		  replica && v->quorum_standby);
	gauge_u64(c, "pgquorum_postgres_server_version",
		  "PostgreSQL's server_version_num, 0 when not running.",
		  running ? (uint64_t)(v->server_version > 0 ? v->server_version : 0) : 0);
	gauge_u64(c, "pgquorum_timeline", "PostgreSQL's timeline, 0 when not running.",
		  running ? v->timeline : 0);
	gauge_u64(c, "pgquorum_xlog_location_bytes",
		  "The primary's WAL flush position, 0 if not the primary.",
		  primary ? v->xlog_location : 0);
	gauge_u64(c, "pgquorum_xlog_received_location_bytes",
		  "WAL received by this standby, 0 if not a standby.",
		  replica ? v->xlog_received_location : 0);
	gauge_u64(c, "pgquorum_xlog_replayed_location_bytes",
		  "WAL replayed by this standby, 0 if not a standby.",
		  replica ? v->xlog_replayed_location : 0);
	gauge_u64(c, "pgquorum_xlog_paused", "1 if WAL replay is paused.", replica && v->xlog_paused);
	gauge_u64(c, "pgquorum_primary_last_lsn_bytes",
		  "The primary's last known WAL position as this member knows it, 0 unknown.",
		  v->primary_last_lsn);
	gauge_u64(c, "pgquorum_pending_restart", "1 if PostgreSQL needs a restart for a setting.",
		  v->pending_restart);
	gauge_u64(c, "pgquorum_paused", "1 if the cluster is paused (maintenance mode).", v->pause);
	gauge_u64(c, "pgquorum_watchdog_failed", "1 if the watchdog is configured but failed.",
		  v->watchdog_failed);
}

static void cluster(struct ctx *c, const struct pgq_member_view *v, int64_t now_ms)
{
	int64_t lease_ms = pgq_member_view_lease_remaining_ms(v, now_ms);

	gauge_u64(c, "pgquorum_epoch", "The cluster record's epoch (one per primary tenure).",
		  v->epoch);
	family(c, "pgquorum_lease_remaining_seconds", "gauge",
	       "Time left on this member's primary lease, 0 when it holds none.");
	emit(&c->out, "pgquorum_lease_remaining_seconds{%s} %lld.%03lld\n", c->labels,
	     (long long)(lease_ms / 1000), (long long)(lease_ms % 1000));
	gauge_u64(c, "pgquorum_raft_term", "The Raft term this agent is in.", v->raft.term);
	gauge_u64(c, "pgquorum_raft_commit_index", "The Raft commit index this agent knows.",
		  v->raft.commit_index);
	gauge_u64(c, "pgquorum_raft_applied_index", "The last Raft entry this agent applied.",
		  v->raft.applied_index);
	gauge_u64(c, "pgquorum_raft_leader", "1 if this agent is the Raft leader.",
		  v->raft.is_leader);
}

static void member_lags(struct ctx *c, const struct pgq_metrics_member *members, size_t n)
{
	char member[2 * PGQ_VIEW_NAME_LEN];

	family(c, "pgquorum_replication_lag_bytes", "gauge",
	       "How far each member's replayed WAL is behind the primary's last known position.");
	for (size_t i = 0; i < n; i++) {
		if (!members[i].has_lag)
			continue;
		if (pgq_metrics_escape_label(members[i].name, member, sizeof member) != 0)
			continue;
		emit(&c->out, "pgquorum_replication_lag_bytes{%s,member=\"%s\"} %llu\n", c->labels,
		     member, (unsigned long long)members[i].lag_bytes);
	}
}

static void counters(struct ctx *c, const struct pgq_rest_counters *k)
{
	counter_u64(c, "pgquorum_leader_changes_total", "Changes of the recorded primary seen here.",
		    k->leader_changes_total);
	counter_u64(c, "pgquorum_failovers_total", "Failovers seen here.", k->failovers_total);
	counter_u64(c, "pgquorum_switchovers_total", "Switchovers seen here.",
		    k->switchovers_total);
	counter_u64(c, "pgquorum_hook_runs_total", "Hook (callback) runs started by this agent.",
		    k->hook_runs_total);
	counter_u64(c, "pgquorum_hook_failures_total", "Hook runs that failed or timed out.",
		    k->hook_failures_total);
	family(c, "pgquorum_http_requests_total", "counter",
	       "REST requests answered by this agent, by HTTP status code.");
	for (int code = 100; code < PGQ_METRICS_HTTP_CODES; code++)
		if (k->http_requests_total[code] > 0)
			emit(&c->out, "pgquorum_http_requests_total{%s,code=\"%d\"} %llu\n", c->labels,
			     code, (unsigned long long)k->http_requests_total[code]);
	if (k->primaries_observed >= 0)
		gauge_u64(c, "pgquorum_primaries_observed",
			  "Members this agent saw answering as writable primaries in its last poll; > 1 is split-brain.",
			  (uint64_t)k->primaries_observed);
}

char *pgq_rest_metrics_text(const struct pgq_member_view *v, const struct pgq_rest_counters *k,
			    const struct pgq_metrics_member *members, size_t n_members,
			    int64_t now_ms, char *err, size_t errlen)
{
	struct ctx c;
	char scope[2 * PGQ_VIEW_NAME_LEN], name[2 * PGQ_VIEW_NAME_LEN];

	memset(&c, 0, sizeof c);
	if (pgq_metrics_escape_label(v->scope, scope, sizeof scope) != 0 ||
	    pgq_metrics_escape_label(v->name, name, sizeof name) != 0) {
		snprintf(err, errlen, "scope or name too long for a label");
		return NULL;
	}
	snprintf(c.labels, sizeof c.labels, "scope=\"%s\",name=\"%s\"", scope, name);

	identity(&c, v);
	postgres(&c, v, now_ms);
	cluster(&c, v, now_ms);
	member_lags(&c, members, n_members);
	if (k != NULL)
		counters(&c, k);
	if (c.out.failed || c.out.buf == NULL) {
		free(c.out.buf);
		snprintf(err, errlen, "out of memory rendering metrics");
		return NULL;
	}
	return c.out.buf;
}

/*
 * metrics_feed.c — the loop's part of GET /metrics: counters the agent
 * keeps (primary changes seen in the record, hook runs), each member's lag
 * from the record, and pgquorum_primaries_observed.
 *
 * primaries_observed is this agent's own look at every member's
 * PostgreSQL, not the record's word: every loop_wait (at least
 * POLL_MIN_INTERVAL_MS apart) one round of
 * `select pg_is_in_recovery()` goes to each member's pg_address through
 * pgmgr's non-blocking libpq (pgmgr/sql.h, on the loop, bounded by a
 * deadline). A member that answers false is a writable primary; more than
 * one is split-brain, which is why the figure must not come from the
 * record (SAFETY.md R1 is what it watches). The count of a round is
 * published once every probe of the round answered or timed out.
 *
 * Why not more often, and only while someone reads /metrics (within
 * POLL_WHILE_READ_MS of the last GET /metrics): each probe is a new
 * connection with authentication (a backend forked, SCRAM) on every
 * member, from every agent. Polling every second (the tests' loop_wait)
 * slowed switchovers past their deadline on a loaded 2-core machine
 * (pg_switchover.sh: 4 of 4 runs failed; every 5 s: 28 s instead of 6 s);
 * nobody reading the figure must cost the HA nothing.
 */
#include "log.h"
#include "pgmgr/conninfo.h"
#include "pgmgr/sql.h"
#include "runtime/ha_driver_internal.h"
#include "runtime/runtime_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MIN_INTERVAL_MS 5000u
#define POLL_WHILE_READ_MS 120000u

/* "host:port" or "[v6]:port" with a numeric host (libpq resolves names synchronously). */
static bool numeric_hostport(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	unsigned char buf[16];

	return ha_split_hostport(text, host, hostlen, port) &&
	       (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1);
}

static void on_probe(void *ctx, const struct pgmgr_sql_result *r)
{
	struct rt_metrics_probe *probe = ctx;
	struct rt_metrics *m = probe->metrics;
	const char *v = r->status == PGMGR_SQL_OK ? pgmgr_sql_value(r, 0, 0, 0) : NULL;

	probe->q = NULL;
	if (v != NULL && strcmp(v, "f") == 0)
		m->round_primaries++;
	if (--m->outstanding == 0)
		m->primaries_observed = (int)m->round_primaries;
}

void rt_metrics_poll(struct pgq_runtime *rt)
{
	struct rt_metrics *m = &rt->metrics;
	const struct pgq_config_postgresql *pg = &rt->cfg->postgresql;
	uint32_t loop_wait = rt->cfg->bootstrap.dcs.loop_wait_ms != 0 ? rt->cfg->bootstrap.dcs.loop_wait_ms
								   : 10000;
	uint32_t timeout_ms = loop_wait - loop_wait / 5;
	size_t n = pgq_record_member_count(rt->record);

	if (m->outstanding > 0 || !pg->manage || rt->rest == NULL)
		return; /* the last round is still out: it ends by its deadline */
	if (pgq_rest_metrics_idle_ms(rt->rest) > POLL_WHILE_READ_MS) {
		m->primaries_observed = -1; /* no fresh figure: no sample rather than a stale one */
		return;
	}
	if (m->last_round_ms != 0 && uv_now(&rt->loop) - m->last_round_ms < POLL_MIN_INTERVAL_MS)
		return;
	m->last_round_ms = uv_now(&rt->loop);
	if (loop_wait < POLL_MIN_INTERVAL_MS)
		timeout_ms = POLL_MIN_INTERVAL_MS - POLL_MIN_INTERVAL_MS / 5;
	if (timeout_ms > 3000)
		timeout_ms = 3000;
	m->round_primaries = 0;
	for (size_t i = 0; i < n && i < RAFT_MAX_MEMBERS; i++) {
		const struct pgq_member *mem = pgq_record_member_at(rt->record, i);
		struct pgmgr_conninfo_parts p = { 0 };
		struct rt_metrics_probe *probe = &m->probes[i];
		char host[256], conninfo[1024], err[160];

		if (mem == NULL || !numeric_hostport(mem->pg_address, host, sizeof host, &p.port))
			continue;
		p.host = host;
		p.user = pg->superuser.username;
		p.password = pg->superuser.password;
		p.dbname = "postgres";
		p.application_name = "pgquorum-metrics";
		p.connect_timeout_s = (timeout_ms + 999) / 1000;
		p.local_agent = true;  /* no SSL/GSS renegotiation: one socket per probe */
		p.statement_timeout_ms = timeout_ms;
		if (pgmgr_conninfo_build(conninfo, sizeof conninfo, &p) != 0)
			continue;
		probe->metrics = m;
		m->outstanding++;
		if (pgmgr_sql_start(&rt->loop, conninfo, "select pg_is_in_recovery()", timeout_ms,
				    on_probe, probe, &probe->q, err, sizeof err) != 0) {
			m->outstanding--;
			probe->q = NULL;
			pgq_debug("agent", "primaries_observed: no probe of %s: %s", mem->name, err);
		}
	}
}

void rt_metrics_stop(struct pgq_runtime *rt)
{
	struct rt_metrics *m = &rt->metrics;

	for (size_t i = 0; i < RAFT_MAX_MEMBERS; i++) {
		if (m->probes[i].q != NULL) {
			pgmgr_sql_cancel(m->probes[i].q);
			m->probes[i].q = NULL;
		}
	}
	m->outstanding = 0;
}

/* A new epoch in the record is a change of primary; its reason says which kind. */
static void count_primary_change(struct pgq_runtime *rt)
{
	struct rt_metrics *m = &rt->metrics;
	const struct pgq_primary *p = pgq_record_primary(rt->record);

	if (p->epoch == m->seen_epoch)
		return;
	/* The first epoch this agent sees is where it came in, not a change it saw. */
	if (m->seen_epoch != 0 && p->name[0] != '\0') {
		m->leader_changes++;
		if (p->named_reason == PGQ_CHANGE_FAILOVER || p->named_reason == PGQ_CHANGE_MANUAL)
			m->failovers++;
		else if (p->named_reason == PGQ_CHANGE_SWITCHOVER)
			m->switchovers++;
	}
	m->seen_epoch = p->epoch;
}

void rt_metrics_publish(struct pgq_runtime *rt)
{
	struct rt_metrics *m = &rt->metrics;
	struct pgq_rest_counters *k;
	struct pgq_metrics_member members[RAFT_MAX_MEMBERS];
	size_t n = 0;
	const struct pgq_primary *p;

	if (rt->rest == NULL || !pgq_record_bootstrapped(rt->record))
		return;
	k = calloc(1, sizeof *k); /* large: http_requests_total has 600 slots */
	if (k == NULL)
		return;
	count_primary_change(rt);
	p = pgq_record_primary(rt->record);
	k->leader_changes_total = m->leader_changes;
	k->failovers_total = m->failovers;
	k->switchovers_total = m->switchovers;
	if (rt->ha != NULL)
		pgq_hooks_stats(rt->ha->hooks, &k->hook_runs_total, &k->hook_failures_total);
	k->primaries_observed = m->primaries_observed;
	for (size_t i = 0; i < pgq_record_member_count(rt->record) && n < RAFT_MAX_MEMBERS; i++) {
		const struct pgq_member *mem = pgq_record_member_at(rt->record, i);

		if (mem == NULL)
			continue;
		snprintf(members[n].name, sizeof members[n].name, "%s", mem->name);
		/* The primary has no lag; a member that never reported has no known one. */
		members[n].has_lag = mem->status.reported && strcmp(mem->name, p->name) != 0;
		members[n].lag_bytes = mem->status.lag_bytes;
		n++;
	}
	pgq_rest_publish_metrics(rt->rest, k, members, n);
	free(k);
}

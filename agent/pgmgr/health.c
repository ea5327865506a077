/*
 * health.c — one health probe of the local PostgreSQL (health.h).
 *
 * One connection, one batch of three statements, so a probe costs one
 * backend start and one round trip. Functions that fail on the wrong role
 * (pg_current_wal_lsn() in recovery, pg_is_wal_replay_paused() on a
 * primary) sit behind CASE, which PostgreSQL evaluates lazily.
 */
#include "pgmgr/health.h"
#include "pgmgr/pgmgr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pgmgr_health_query[] =
	"SELECT pg_catalog.pg_is_in_recovery(),"
	" pg_catalog.current_setting('server_version_num'),"
	" (SELECT system_identifier FROM pg_catalog.pg_control_system())::text,"
	" (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()),"
	" CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL"
	"  ELSE pg_catalog.pg_current_wal_flush_lsn()::text END,"
	" CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL"
	"  ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name("
	"pg_catalog.pg_current_wal_flush_lsn()), 1, 8))::bit(32)::int END,"
	" pg_catalog.pg_last_wal_receive_lsn()::text,"
	" pg_catalog.pg_last_wal_replay_lsn()::text,"
	" (extract(epoch FROM pg_catalog.pg_last_xact_replay_timestamp()) * 1000000)::bigint,"
	" CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused()"
	"  ELSE false END,"
	" (extract(epoch FROM pg_catalog.pg_postmaster_start_time()) * 1000000)::bigint,"
	" (SELECT pg_catalog.string_agg(name, ',' ORDER BY name) FROM pg_catalog.pg_settings"
	"  WHERE pending_restart),"
	" pg_catalog.current_setting('synchronous_standby_names'),"
	" w.status, w.received_tli, w.written_lsn::text, w.flushed_lsn::text,"
	" w.sender_host, w.sender_port, w.slot_name"
	" FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_stat_wal_receiver AS w ON true;"
	"SELECT application_name, usename, client_addr::text, state, sync_state, sync_priority,"
	" sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text"
	" FROM pg_catalog.pg_stat_replication ORDER BY application_name, pid;"
	"SELECT slot_name, active, restart_lsn::text, wal_status"
	" FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name";

/* Columns of the first statement, in order. */
enum {
	C_IN_RECOVERY, C_VERSION, C_SYSID, C_CKPT_TLI, C_CURRENT_LSN, C_WAL_TLI, C_RECEIVE_LSN,
	C_REPLAY_LSN, C_REPLAY_TS, C_PAUSED, C_START_TS, C_PENDING, C_SSN, C_W_STATUS,
	C_W_TLI, C_W_WRITTEN, C_W_FLUSHED, C_W_HOST, C_W_PORT, C_W_SLOT, C__COUNT
};

uint64_t pgmgr_health_lsn(const struct pgmgr_health *h)
{
	if (!h->in_recovery)
		return h->current_lsn;
	return h->receive_lsn > h->replay_lsn ? h->receive_lsn : h->replay_lsn;
}

enum pgmgr_role pgmgr_health_role(const struct pgmgr_health *h)
{
	if (h == NULL || h->status != PGMGR_SQL_OK)
		return PGMGR_ROLE_UNKNOWN;
	return h->in_recovery ? PGMGR_ROLE_REPLICA : PGMGR_ROLE_PRIMARY;
}

void pgmgr_health_clear(struct pgmgr_health *h)
{
	free(h->replicas);
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

int pgmgr_health_copy(struct pgmgr_health *dst, const struct pgmgr_health *src)
{
	struct pgmgr_replica *r = NULL;
	struct pgmgr_slot *s = NULL;

	if (src->n_replicas > 0) {
		r = malloc(src->n_replicas * sizeof(*r));
		if (r == NULL)
			return -1;
		memcpy(r, src->replicas, src->n_replicas * sizeof(*r));
	}
	if (src->n_slots > 0) {
		s = malloc(src->n_slots * sizeof(*s));
		if (s == NULL) {
			free(r);
			return -1;
		}
		memcpy(s, src->slots, src->n_slots * sizeof(*s));
	}
	*dst = *src;
	dst->replicas = r;
	dst->slots = s;
	return 0;
}

/* Value parsers: NULL (SQL NULL) gives the default and success. */
static int get_bool(const char *v, bool *out)
{
	if (v == NULL) {
		*out = false;
		return 0;
	}
	if (strcmp(v, "t") == 0)
		*out = true;
	else if (strcmp(v, "f") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int get_i64(const char *v, int64_t *out, bool *present)
{
	char *end;
	long long x;

	if (present != NULL)
		*present = v != NULL;
	if (v == NULL) {
		*out = 0;
		return 0;
	}
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int get_int_range(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (get_i64(v, out, NULL) != 0 || *out < lo || *out > hi)
		return -1;
	return 0;
}

static int get_lsn(const char *v, uint64_t *out)
{
	if (v == NULL) {
		*out = 0;
		return 0;
	}
	return pgmgr_lsn_parse(v, out);
}

/* system_identifier is uint64 in pg_control but bigint in SQL: may print negative. */
static int get_sysid(const char *v, uint64_t *out)
{
	int64_t x;

	if (v == NULL || get_i64(v, &x, NULL) != 0)
		return -1;
	*out = (uint64_t)x;
	return 0;
}

static void get_str(const char *v, char *dst, size_t n)
{
	snprintf(dst, n, "%s", v != NULL ? v : "");
}

static int fail(struct pgmgr_health *h, const char *what)
{
	h->status = PGMGR_SQL_FAILED;
	snprintf(h->error, sizeof(h->error), "unexpected health result: %s", what);
	return -1;
}

static int parse_main(const struct pgmgr_sql_result *r, struct pgmgr_health *h)
{
	const char *v[C__COUNT];
	int64_t x;

	if (PQntuples(r->results[0]) != 1 || PQnfields(r->results[0]) != C__COUNT)
		return fail(h, "status row shape");
	for (int c = 0; c < C__COUNT; c++)
		v[c] = pgmgr_sql_value(r, 0, 0, c);
	if (v[C_IN_RECOVERY] == NULL || get_bool(v[C_IN_RECOVERY], &h->in_recovery) != 0)
		return fail(h, "pg_is_in_recovery");
	if (get_int_range(v[C_VERSION], 90000, 9999999, &x) != 0)
		return fail(h, "server_version_num");
	h->server_version_num = (int)x;
	if (get_sysid(v[C_SYSID], &h->system_identifier) != 0)
		return fail(h, "system_identifier");
	if (get_int_range(v[C_CKPT_TLI], 1, UINT32_MAX, &x) != 0)
		return fail(h, "checkpoint timeline");
	h->checkpoint_timeline = (uint32_t)x;
	if (get_lsn(v[C_CURRENT_LSN], &h->current_lsn) != 0)
		return fail(h, "pg_current_wal_lsn");
	if (get_lsn(v[C_RECEIVE_LSN], &h->receive_lsn) != 0)
		return fail(h, "pg_last_wal_receive_lsn");
	if (get_lsn(v[C_REPLAY_LSN], &h->replay_lsn) != 0)
		return fail(h, "pg_last_wal_replay_lsn");
	if (get_i64(v[C_REPLAY_TS], &h->replay_timestamp_us, &h->has_replay_timestamp) != 0)
		return fail(h, "pg_last_xact_replay_timestamp");
	if (get_bool(v[C_PAUSED], &h->replay_paused) != 0)
		return fail(h, "pg_is_wal_replay_paused");
	if (v[C_START_TS] == NULL || get_i64(v[C_START_TS], &h->postmaster_start_us, NULL) != 0)
		return fail(h, "pg_postmaster_start_time");
	h->pending_restart = v[C_PENDING] != NULL;
	get_str(v[C_PENDING], h->pending_restart_names, sizeof(h->pending_restart_names));
	get_str(v[C_SSN], h->synchronous_standby_names, sizeof(h->synchronous_standby_names));

	h->wal_receiver = v[C_W_STATUS] != NULL;
	get_str(v[C_W_STATUS], h->receiver_status, sizeof(h->receiver_status));
	if (v[C_W_TLI] != NULL) {
		if (get_int_range(v[C_W_TLI], 0, UINT32_MAX, &x) != 0)
			return fail(h, "received_tli");
		h->received_tli = (uint32_t)x;
	}
	if (get_lsn(v[C_W_WRITTEN], &h->receiver_written_lsn) != 0 ||
	    get_lsn(v[C_W_FLUSHED], &h->receiver_flushed_lsn) != 0)
		return fail(h, "wal receiver LSN");
	get_str(v[C_W_HOST], h->sender_host, sizeof(h->sender_host));
	if (v[C_W_PORT] != NULL) {
		if (get_int_range(v[C_W_PORT], 0, 65535, &x) != 0)
			return fail(h, "sender_port");
		h->sender_port = (int)x;
	}
	get_str(v[C_W_SLOT], h->receiver_slot, sizeof(h->receiver_slot));

	if (!h->in_recovery) {
		if (get_int_range(v[C_WAL_TLI], 1, UINT32_MAX, &x) != 0)
			return fail(h, "current timeline");
		h->timeline = (uint32_t)x;
	} else {
		h->timeline = h->received_tli != 0 ? h->received_tli : h->checkpoint_timeline;
	}
	return 0;
}

static int parse_replicas(const struct pgmgr_sql_result *r, struct pgmgr_health *h)
{
	const PGresult *res = r->results[1];
	int n = PQntuples(res);
	int64_t x;

	if (PQnfields(res) != 10)
		return fail(h, "pg_stat_replication shape");
	if (n == 0)
		return 0;
	h->replicas = calloc((size_t)n, sizeof(*h->replicas));
	if (h->replicas == NULL)
		return fail(h, "out of memory");
	for (int i = 0; i < n; i++) {
		struct pgmgr_replica *p = &h->replicas[i];

		get_str(pgmgr_sql_value(r, 1, i, 0), p->application_name, sizeof(p->application_name));
		get_str(pgmgr_sql_value(r, 1, i, 1), p->usename, sizeof(p->usename));
		get_str(pgmgr_sql_value(r, 1, i, 2), p->client_addr, sizeof(p->client_addr));
		get_str(pgmgr_sql_value(r, 1, i, 3), p->state, sizeof(p->state));
		get_str(pgmgr_sql_value(r, 1, i, 4), p->sync_state, sizeof(p->sync_state));
		if (get_i64(pgmgr_sql_value(r, 1, i, 5), &x, NULL) != 0 || x < 0 || x > 1000000)
			return fail(h, "sync_priority");
		p->sync_priority = (int)x;
		if (get_lsn(pgmgr_sql_value(r, 1, i, 6), &p->sent_lsn) != 0 ||
		    get_lsn(pgmgr_sql_value(r, 1, i, 7), &p->write_lsn) != 0 ||
		    get_lsn(pgmgr_sql_value(r, 1, i, 8), &p->flush_lsn) != 0 ||
		    get_lsn(pgmgr_sql_value(r, 1, i, 9), &p->replay_lsn) != 0)
			return fail(h, "pg_stat_replication LSN");
		h->n_replicas++;
	}
	return 0;
}

static int parse_slots(const struct pgmgr_sql_result *r, struct pgmgr_health *h)
{
	const PGresult *res = r->results[2];
	int n = PQntuples(res);

	if (PQnfields(res) != 4)
		return fail(h, "pg_replication_slots shape");
	if (n == 0)
		return 0;
	h->slots = calloc((size_t)n, sizeof(*h->slots));
	if (h->slots == NULL)
		return fail(h, "out of memory");
	for (int i = 0; i < n; i++) {
		struct pgmgr_slot *s = &h->slots[i];
		const char *name = pgmgr_sql_value(r, 2, i, 0);

		if (name == NULL)
			return fail(h, "slot_name");
		get_str(name, s->name, sizeof(s->name));
		if (get_bool(pgmgr_sql_value(r, 2, i, 1), &s->active) != 0 ||
		    get_lsn(pgmgr_sql_value(r, 2, i, 2), &s->restart_lsn) != 0)
			return fail(h, "slot values");
		get_str(pgmgr_sql_value(r, 2, i, 3), s->wal_status, sizeof(s->wal_status));
		h->n_slots++;
	}
	return 0;
}

int pgmgr_health_parse(const struct pgmgr_sql_result *r, struct pgmgr_health *h)
{
	memset(h, 0, sizeof(*h));
	h->status = r->status;
	h->elapsed_ms = r->elapsed_ms;
	if (r->status != PGMGR_SQL_OK) {
		snprintf(h->error, sizeof(h->error), "%s", r->error);
		return 0;
	}
	if (r->n_results != 3)
		return fail(h, "expected three results");
	if (parse_main(r, h) != 0 || parse_replicas(r, h) != 0 || parse_slots(r, h) != 0) {
		/* Keep the error, drop partial arrays. */
		char error[sizeof(h->error)];
		memcpy(error, h->error, sizeof(error));
		pgmgr_health_clear(h);
		h->status = PGMGR_SQL_FAILED;
		memcpy(h->error, error, sizeof(error));
		h->elapsed_ms = r->elapsed_ms;
		return -1;
	}
	return 0;
}

struct pgmgr_health_probe {
	struct pgmgr_sql *sql;
	pgmgr_health_cb cb;
	void *ctx;
};

static void on_sql(void *ctx, const struct pgmgr_sql_result *r)
{
	struct pgmgr_health_probe *p = ctx;
	struct pgmgr_health h;

	pgmgr_health_parse(r, &h);
	p->cb(p->ctx, &h);
	pgmgr_health_clear(&h);
	free(p);
}

int pgmgr_health_probe(uv_loop_t *loop, const char *conninfo, uint32_t timeout_ms,
		       pgmgr_health_cb cb, void *ctx, struct pgmgr_health_probe **out,
		       char *err, size_t errlen)
{
	struct pgmgr_health_probe *p;

	if (out != NULL)
		*out = NULL;
	if (cb == NULL) {
		snprintf(err, errlen, "health: no callback");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->cb = cb;
	p->ctx = ctx;
	if (pgmgr_sql_start(loop, conninfo, pgmgr_health_query, timeout_ms != 0 ? timeout_ms : 5000,
			    on_sql, p, &p->sql, err, errlen) != 0) {
		free(p);
		return -1;
	}
	if (out != NULL)
		*out = p;
	return 0;
}

void pgmgr_health_probe_cancel(struct pgmgr_health_probe *p)
{
	if (p == NULL)
		return;
	pgmgr_sql_cancel(p->sql);
	free(p);
}

/*
 * promote.c — pg_promote(false) and polling until out of recovery, with a
 * deadline (promote.h, L5). One timer drives the polls; each poll is one
 * short connection (sql.c), so a restarting server only costs a failed poll.
 */
#include "pgmgr/promote.h"
#include "pgmgr/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgmgr_promote {
	uv_loop_t *loop;
	uv_timer_t timer;
	char *conninfo;
	struct pgmgr_sql *inflight;
	uint64_t start_ns, deadline_ns;
	uint32_t poll_ms, timeout_ms;
	unsigned polls;
	bool done;
	char error[512];
	pgmgr_promote_cb cb;
	void *ctx;
};

static void on_closed(uv_handle_t *h)
{
	struct pgmgr_promote *p = h->data;

	free(p->conninfo);
	free(p);
}

static void finish(struct pgmgr_promote *p, bool promoted, bool timed_out)
{
	struct pgmgr_promote_result r;

	if (p->done)
		return;
	p->done = true;
	uv_timer_stop(&p->timer);
	if (p->inflight != NULL) {
		pgmgr_sql_cancel(p->inflight);
		p->inflight = NULL;
	}
	r.promoted = promoted;
	r.timed_out = timed_out;
	r.error = p->error;
	r.elapsed_ms = (uv_hrtime() - p->start_ns) / 1000000u;
	r.polls = p->polls;
	p->cb(p->ctx, &r);
	uv_close((uv_handle_t *)&p->timer, on_closed);
}

static void poll_now(uv_timer_t *t);

static void schedule(struct pgmgr_promote *p)
{
	uint64_t now = uv_hrtime();

	if (now >= p->deadline_ns) {
		finish(p, false, true);
		return;
	}
	uint64_t left_ms = (p->deadline_ns - now) / 1000000u;
	uv_timer_start(&p->timer, poll_now, left_ms < p->poll_ms ? left_ms : p->poll_ms, 0);
}

static void on_poll(void *ctx, const struct pgmgr_sql_result *r)
{
	struct pgmgr_promote *p = ctx;
	const char *v = pgmgr_sql_value(r, 0, 0, 0);

	p->inflight = NULL;
	p->polls++;
	if (r->status == PGMGR_SQL_OK && v != NULL && strcmp(v, "f") == 0) {
		finish(p, true, false);
		return;
	}
	if (r->status != PGMGR_SQL_OK)
		snprintf(p->error, sizeof(p->error), "%s", r->error);
	schedule(p);
}

static void on_promote(void *ctx, const struct pgmgr_sql_result *r)
{
	struct pgmgr_promote *p = ctx;

	p->inflight = NULL;
	/* "recovery is not in progress" or a refused connection: the poll decides. */
	if (r->status != PGMGR_SQL_OK)
		snprintf(p->error, sizeof(p->error), "pg_promote: %s", r->error);
	schedule(p);
}

static void start_sql(struct pgmgr_promote *p, const char *query, pgmgr_sql_cb cb)
{
	char err[256];
	uint64_t now = uv_hrtime();
	uint64_t left_ms = now < p->deadline_ns ? (p->deadline_ns - now) / 1000000u : 1;

	if (left_ms == 0)
		left_ms = 1;
	if (pgmgr_sql_start(p->loop, p->conninfo, query, (uint32_t)left_ms, cb, p, &p->inflight,
			    err, sizeof(err)) != 0) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		schedule(p);
	}
}

static void poll_now(uv_timer_t *t)
{
	struct pgmgr_promote *p = t->data;

	start_sql(p, "SELECT pg_catalog.pg_is_in_recovery()", on_poll);
}

static void first(uv_timer_t *t)
{
	struct pgmgr_promote *p = t->data;

	start_sql(p, "SELECT pg_catalog.pg_promote(false)", on_promote);
}

int pgmgr_promote_start(uv_loop_t *loop, const char *conninfo, uint32_t timeout_ms, uint32_t poll_ms,
			pgmgr_promote_cb cb, void *ctx, struct pgmgr_promote **out,
			char *err, size_t errlen)
{
	struct pgmgr_promote *p;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || conninfo == NULL || cb == NULL) {
		snprintf(err, errlen, "promote: missing argument");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->conninfo = strdup(conninfo)) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->loop = loop;
	p->cb = cb;
	p->ctx = ctx;
	p->poll_ms = poll_ms != 0 ? poll_ms : 100;
	p->timeout_ms = timeout_ms != 0 ? timeout_ms : 60000;
	p->start_ns = uv_hrtime();
	p->deadline_ns = p->start_ns + (uint64_t)p->timeout_ms * 1000000u;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, first, 0, 0);
	if (out != NULL)
		*out = p;
	return 0;
}

void pgmgr_promote_cancel(struct pgmgr_promote *p)
{
	if (p == NULL || p->done)
		return;
	p->done = true;
	uv_timer_stop(&p->timer);
	if (p->inflight != NULL)
		pgmgr_sql_cancel(p->inflight);
	uv_close((uv_handle_t *)&p->timer, on_closed);
}

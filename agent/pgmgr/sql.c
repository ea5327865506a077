/*
 * sql.c — one non-blocking libpq round trip on the loop (sql.h).
 *
 * The poll handle watches a dup() of libpq's socket: libpq may close its
 * socket and open another one during PQconnectPoll (e.g. retrying without
 * SSL), and a closed descriptor must never stay registered with the loop.
 * With our own duplicate, the registered descriptor stays valid until we
 * close it; when PQsocket() changes we watch the new one instead.
 */
#include "pgmgr/sql.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum phase { PH_CONNECTING, PH_SENDING, PH_READING, PH_DONE };

struct poll_box {
	uv_poll_t poll;
	int fd;                 /* our dup, closed in the close callback */
	struct pgmgr_sql *owner;
};

struct pgmgr_sql {
	uv_loop_t *loop;
	PGconn *conn;
	char *conninfo;
	char *query;
	enum phase phase;
	int watched_sock;       /* libpq's descriptor behind the current box */
	struct poll_box *box;
	uv_timer_t timer;
	int handles_open;
	bool finished, cancelled;
	uint64_t start_ns;
	uint32_t timeout_ms;
	pgmgr_sql_cb cb;
	void *ctx;
	PGresult **results;
	size_t n_results, cap_results;
	enum pgmgr_sql_status status;
	char error[512];
	char sqlstate[6];
};

const char *pgmgr_sql_status_name(enum pgmgr_sql_status s)
{
	switch (s) {
	case PGMGR_SQL_OK: return "ok";
	case PGMGR_SQL_UNREACHABLE: return "unreachable";
	case PGMGR_SQL_TIMEOUT: return "timeout";
	case PGMGR_SQL_FAILED: return "failed";
	}
	return "unknown";
}

static void release(struct pgmgr_sql *q)
{
	for (size_t i = 0; i < q->n_results; i++)
		PQclear(q->results[i]);
	free(q->results);
	if (q->conn != NULL)
		PQfinish(q->conn);
	free(q->conninfo);
	free(q->query);
	free(q);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct pgmgr_sql *q = h->data;

	if (--q->handles_open == 0)
		release(q);
}

static void on_box_closed(uv_handle_t *h)
{
	struct poll_box *b = h->data;
	struct pgmgr_sql *q = b->owner;

	close(b->fd);
	free(b);
	if (--q->handles_open == 0)
		release(q);
}

static void drop_box(struct pgmgr_sql *q)
{
	if (q->box == NULL)
		return;
	uv_close((uv_handle_t *)&q->box->poll, on_box_closed);
	q->box = NULL;
}

/* Stops everything; memory goes once every handle is closed. */
static void shut(struct pgmgr_sql *q)
{
	q->phase = PH_DONE;
	drop_box(q);
	if (!uv_is_closing((uv_handle_t *)&q->timer))
		uv_close((uv_handle_t *)&q->timer, on_timer_closed);
}

/* libpq's messages span lines ("...\n\tIs the server running..."): one line for the log. */
static void one_line(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (*r == '\n' || *r == '\t' || *r == '\r') {
			if (w > s && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

static void finish(struct pgmgr_sql *q, enum pgmgr_sql_status st, const char *msg)
{
	struct pgmgr_sql_result r;

	if (q->finished)
		return;
	q->finished = true;
	q->status = st;
	if (msg != NULL && q->error[0] == '\0') {
		size_t n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			n--;
		snprintf(q->error, sizeof(q->error), "%.*s", (int)n, msg);
	}
	/* Close the connection before the callback: it may start another one. */
	if (q->conn != NULL) {
		PQfinish(q->conn);
		q->conn = NULL;
	}
	shut(q);
	one_line(q->error);
	if (!q->cancelled) {
		r.status = st;
		r.error = st == PGMGR_SQL_OK ? "" : q->error;
		r.sqlstate = q->sqlstate;
		r.results = q->results;
		r.n_results = q->n_results;
		r.elapsed_ms = (uv_hrtime() - q->start_ns) / 1000000u;
		q->cb(q->ctx, &r);
	}
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches libpq's current socket for `events`, re-creating the box when it changed. */
static int watch(struct pgmgr_sql *q, int events)
{
	int sock = PQsocket(q->conn);

	if (sock < 0)
		return -1;
	if (q->box != NULL && q->watched_sock != sock)
		drop_box(q);
	if (q->box == NULL) {
		struct poll_box *b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -1;
		b->fd = dup(sock);
		if (b->fd < 0) {
			free(b);
			return -1;
		}
		b->owner = q;
		if (uv_poll_init(q->loop, &b->poll, b->fd) != 0) {
			close(b->fd);
			free(b);
			return -1;
		}
		b->poll.data = b;
		q->handles_open++;
		q->box = b;
		q->watched_sock = sock;
	}
	return uv_poll_start(&q->box->poll, events, on_poll) == 0 ? 0 : -1;
}

static void collect(struct pgmgr_sql *q)
{
	while (!PQisBusy(q->conn)) {
		PGresult *res = PQgetResult(q->conn);
		ExecStatusType st;

		if (res == NULL) {
			finish(q, q->error[0] != '\0' ? PGMGR_SQL_FAILED : PGMGR_SQL_OK, NULL);
			return;
		}
		st = PQresultStatus(res);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && q->error[0] == '\0') {
			const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			snprintf(q->error, sizeof(q->error), "%s", PQresultErrorMessage(res));
			snprintf(q->sqlstate, sizeof(q->sqlstate), "%s", code != NULL ? code : "");
			/* Strip the trailing newline libpq adds. */
			size_t n = strlen(q->error);
			while (n > 0 && q->error[n - 1] == '\n')
				q->error[--n] = '\0';
		}
		if (q->n_results == q->cap_results) {
			size_t cap = q->cap_results != 0 ? q->cap_results * 2 : 4;
			PGresult **nr = realloc(q->results, cap * sizeof(*nr));
			if (nr == NULL) {
				PQclear(res);
				finish(q, PGMGR_SQL_FAILED, "out of memory");
				return;
			}
			q->results = nr;
			q->cap_results = cap;
		}
		q->results[q->n_results++] = res;
	}
	if (watch(q, UV_READABLE) != 0)
		finish(q, PGMGR_SQL_FAILED, "cannot watch the connection");
}

static void step(struct pgmgr_sql *q)
{
	switch (q->phase) {
	case PH_CONNECTING:
		switch (PQconnectPoll(q->conn)) {
		case PGRES_POLLING_READING:
			if (watch(q, UV_READABLE) != 0)
				finish(q, PGMGR_SQL_UNREACHABLE, "cannot watch the connection");
			return;
		case PGRES_POLLING_WRITING:
			if (watch(q, UV_WRITABLE) != 0)
				finish(q, PGMGR_SQL_UNREACHABLE, "cannot watch the connection");
			return;
		case PGRES_POLLING_OK:
			if (PQsetnonblocking(q->conn, 1) != 0 || PQsendQuery(q->conn, q->query) != 1) {
				finish(q, PGMGR_SQL_FAILED, PQerrorMessage(q->conn));
				return;
			}
			q->phase = PH_SENDING;
			step(q);
			return;
		default:
			finish(q, PGMGR_SQL_UNREACHABLE, PQerrorMessage(q->conn));
			return;
		}
	case PH_SENDING: {
		int f = PQflush(q->conn);
		if (f < 0) {
			finish(q, PGMGR_SQL_FAILED, PQerrorMessage(q->conn));
			return;
		}
		if (f == 1) {
			if (watch(q, UV_READABLE | UV_WRITABLE) != 0)
				finish(q, PGMGR_SQL_FAILED, "cannot watch the connection");
			return;
		}
		q->phase = PH_READING;
		collect(q);
		return;
	}
	case PH_READING:
		if (PQconsumeInput(q->conn) != 1) {
			finish(q, PGMGR_SQL_FAILED, PQerrorMessage(q->conn));
			return;
		}
		collect(q);
		return;
	case PH_DONE:
		return;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct poll_box *b = h->data;
	struct pgmgr_sql *q = b->owner;

	(void)events;
	if (q->phase == PH_DONE || b != q->box)
		return;
	if (q->phase == PH_SENDING && (events & UV_READABLE)) {
		/* The server may answer (or fail) before we finished sending. */
		if (PQconsumeInput(q->conn) != 1) {
			finish(q, PGMGR_SQL_FAILED, PQerrorMessage(q->conn));
			return;
		}
	}
	(void)status;  /* an error shows up in libpq's next call */
	step(q);
}

static void on_deadline(uv_timer_t *t)
{
	struct pgmgr_sql *q = t->data;

	if (q->phase == PH_CONNECTING)
		finish(q, PGMGR_SQL_TIMEOUT, "timeout while connecting");
	else
		finish(q, PGMGR_SQL_TIMEOUT, "timeout while waiting for the query result");
}

static void on_start(uv_timer_t *t)
{
	struct pgmgr_sql *q = t->data;

	uv_timer_start(&q->timer, on_deadline, q->timeout_ms, 0);
	if (q->conn == NULL || PQstatus(q->conn) == CONNECTION_BAD) {
		finish(q, PGMGR_SQL_UNREACHABLE,
		       q->conn != NULL ? PQerrorMessage(q->conn) : "out of memory");
		return;
	}
	/* libpq's protocol: after PQconnectStart, wait until the socket is writable. */
	if (watch(q, UV_WRITABLE) != 0)
		finish(q, PGMGR_SQL_UNREACHABLE, "cannot watch the connection");
}

int pgmgr_sql_start(uv_loop_t *loop, const char *conninfo, const char *query, uint32_t timeout_ms,
		    pgmgr_sql_cb cb, void *ctx, struct pgmgr_sql **out, char *err, size_t errlen)
{
	struct pgmgr_sql *q;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || conninfo == NULL || query == NULL || cb == NULL) {
		snprintf(err, errlen, "sql: missing argument");
		return -1;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL || (q->conninfo = strdup(conninfo)) == NULL ||
	    (q->query = strdup(query)) == NULL) {
		if (q != NULL)
			free(q->conninfo);
		free(q);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	q->loop = loop;
	q->cb = cb;
	q->ctx = ctx;
	q->start_ns = uv_hrtime();
	q->timeout_ms = timeout_ms != 0 ? timeout_ms : 10000;
	q->watched_sock = -1;
	uv_timer_init(loop, &q->timer);
	q->timer.data = q;
	q->handles_open = 1;
	/* PQconnectStart does not block for a numeric address (see sql.h). */
	q->conn = PQconnectStart(q->conninfo);
	/* First step from the loop: the callback never runs inside this call. */
	uv_timer_start(&q->timer, on_start, 0, 0);
	q->phase = PH_CONNECTING;
	if (out != NULL)
		*out = q;
	return 0;
}

void pgmgr_sql_cancel(struct pgmgr_sql *q)
{
	if (q == NULL || q->finished)
		return;
	q->cancelled = true;
	q->finished = true;
	if (q->conn != NULL) {
		PQfinish(q->conn);
		q->conn = NULL;
	}
	shut(q);
}

const char *pgmgr_sql_value(const struct pgmgr_sql_result *r, size_t i, int row, int col)
{
	const PGresult *res;

	if (r == NULL || i >= r->n_results)
		return NULL;
	res = r->results[i];
	if (row < 0 || col < 0 || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

struct exec_req {
	pgmgr_sql_done_cb cb;
	void *ctx;
};

static void on_exec(void *ctx, const struct pgmgr_sql_result *r)
{
	struct exec_req *x = ctx;

	x->cb(x->ctx, r->status, r->error);
	free(x);
}

int pgmgr_sql_exec(uv_loop_t *loop, const char *conninfo, const char *query, uint32_t timeout_ms,
		   pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen)
{
	struct exec_req *x;

	if (cb == NULL) {
		snprintf(err, errlen, "sql: no callback");
		return -1;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->cb = cb;
	x->ctx = ctx;
	if (pgmgr_sql_start(loop, conninfo, query, timeout_ms, on_exec, x, NULL, err, errlen) != 0) {
		free(x);
		return -1;
	}
	return 0;
}

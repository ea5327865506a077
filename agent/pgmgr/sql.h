/*
 * sql.h — one SQL round trip on the libuv loop through non-blocking libpq:
 * PQconnectStart/PQconnectPoll, PQsendQuery, a uv_poll_t on the socket and
 * a deadline timer. The query text may hold several statements; every
 * result comes back in order. The connection is closed afterwards.
 *
 * Use numeric host addresses (conninfo.h's pgmgr_local_host): libpq
 * resolves a host name synchronously, which would block the loop.
 */
#ifndef PGQ_PGMGR_SQL_H
#define PGQ_PGMGR_SQL_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum pgmgr_sql_status {
	PGMGR_SQL_OK = 0,          /* every statement succeeded */
	PGMGR_SQL_UNREACHABLE,     /* could not connect (refused, auth, too many clients...) */
	PGMGR_SQL_TIMEOUT,         /* the deadline passed (connect or query) */
	PGMGR_SQL_FAILED,          /* connected, but a statement failed or the connection broke */
};

const char *pgmgr_sql_status_name(enum pgmgr_sql_status s);

struct pgmgr_sql_result {
	enum pgmgr_sql_status status;
	const char *error;         /* libpq's message, "" when OK */
	const char *sqlstate;      /* of the failed statement, "" otherwise */
	PGresult *const *results;  /* n_results results, tuples or commands */
	size_t n_results;
	uint64_t elapsed_ms;
};

/* r and the PGresults are freed after the callback returns. */
typedef void (*pgmgr_sql_cb)(void *ctx, const struct pgmgr_sql_result *r);

struct pgmgr_sql;

/*
 * Starts connect + query. conninfo and query are copied. Returns 0 (cb runs
 * exactly once, from the loop, never inside this call) or -1 with err for
 * bad arguments / out of memory. timeout_ms 0 means 10 s.
 */
int pgmgr_sql_start(uv_loop_t *loop, const char *conninfo, const char *query, uint32_t timeout_ms,
		    pgmgr_sql_cb cb, void *ctx, struct pgmgr_sql **out, char *err, size_t errlen);

/* Abandons the request: the callback never runs; memory is released from the loop. */
void pgmgr_sql_cancel(struct pgmgr_sql *q);

/* Helpers for single-row results: the value at (row, col) of results[i], NULL if SQL NULL or absent. */
const char *pgmgr_sql_value(const struct pgmgr_sql_result *r, size_t i, int row, int col);

/*
 * For statements whose rows do not matter: cb gets the status and libpq's
 * error text ("" when OK), both valid during the call. Returns like
 * pgmgr_sql_start.
 */
typedef void (*pgmgr_sql_done_cb)(void *ctx, enum pgmgr_sql_status status, const char *error);
int pgmgr_sql_exec(uv_loop_t *loop, const char *conninfo, const char *query, uint32_t timeout_ms,
		   pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen);

#endif /* PGQ_PGMGR_SQL_H */

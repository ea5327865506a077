/*
 * health.h — the verdict of Patroni's health endpoints (GET/HEAD/OPTIONS
 * /primary, /replica, /readiness, ...) computed from a member view.
 *
 * Pure: no I/O, no clock of its own. The HTTP thread passes the request
 * time (CLOCK_BOOTTIME ms, the clock lease_end_ms is on), so /primary turns
 * 503 the moment the lease ends even if the loop has not published since
 * (SAFETY.md S20). docs/rest-api.md lists every rule.
 */
#ifndef PGQ_REST_HEALTH_H
#define PGQ_REST_HEALTH_H

#include "rest/member_view.h"
#include "rest/query.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The HTTP status for GET/HEAD/OPTIONS `path` (no query string; q holds the
 * parsed parameters, NULL for none):
 *   200 the condition holds, 503 it does not,
 *   400 a bad parameter (lag=abc, mode=read): err says which,
 *   404 path is not a health endpoint (err says so) — the caller routes
 *       other GET paths (/cluster, /metrics, ...) before or after.
 * `/patroni` is included: always 200 (it is the status JSON itself).
 * Unknown parameters are ignored, as Patroni ignores them.
 */
int pgq_rest_health_status(const struct pgq_member_view *v, const char *path,
			   const struct pgq_query *q, int64_t now_ms, char *err, size_t errlen);

/* True when path is one of the endpoints above (the caller's router). */
bool pgq_rest_health_is_endpoint(const char *path);

/*
 * True when the endpoint's GET answer carries the status JSON as body.
 * /liveness and /readiness answer with the status code only (as Patroni).
 */
bool pgq_rest_health_has_body(const char *path);

#endif /* PGQ_REST_HEALTH_H */

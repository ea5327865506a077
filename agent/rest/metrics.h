/*
 * metrics.h — GET /metrics: the member view and the agent's counters in
 * Prometheus' text exposition format (version 0.0.4).
 *
 * The counters are a plain snapshot: whoever counts (HTTP threads count
 * requests, the loop counts leader changes and hook runs) keeps the live
 * values (atomics or under the server's mutex) and copies them into this
 * struct for one rendering.
 */
#ifndef PGQ_REST_METRICS_H
#define PGQ_REST_METRICS_H

#include "rest/member_view.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGQ_METRICS_HTTP_CODES 600   /* http_requests_total is indexed by status code */

struct pgq_rest_counters {
	uint64_t leader_changes_total;   /* the recorded primary changed (as seen here) */
	uint64_t failovers_total;
	uint64_t switchovers_total;
	uint64_t hook_runs_total;
	uint64_t hook_failures_total;
	uint64_t http_requests_total[PGQ_METRICS_HTTP_CODES]; /* [code]; codes >= 600 are not counted */
	/*
	 * How many members this agent's last poll saw answering as writable
	 * primaries (split-brain alarm: > 1). -1: not polled yet, no sample.
	 */
	int primaries_observed;
};

/* One member's replication position as this agent knows it (from /cluster data). */
struct pgq_metrics_member {
	char name[PGQ_VIEW_NAME_LEN];
	bool has_lag;                    /* false: unknown (e.g. unreachable), no sample */
	uint64_t lag_bytes;              /* behind the primary's last known LSN */
};

/*
 * Render the exposition text: malloc'd, NUL-terminated, the caller frees.
 * members may be NULL when n_members is 0. NULL (and err) when out of memory.
 * Serve it with Content-Type "text/plain; version=0.0.4; charset=utf-8".
 */
char *pgq_rest_metrics_text(const struct pgq_member_view *v, const struct pgq_rest_counters *c,
			    const struct pgq_metrics_member *members, size_t n_members,
			    int64_t now_ms, char *err, size_t errlen);

/* Label value escaping (backslash, double quote, newline), for tests and reuse. */
int pgq_metrics_escape_label(const char *in, char *out, size_t outlen);

#endif /* PGQ_REST_METRICS_H */

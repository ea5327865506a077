/*
 * rest.h — the agent's REST server (libmicrohttpd + jansson).
 *
 * Threading contract (why it is built so): libmicrohttpd runs its own
 * threads (one listener, one per connection), and the libuv loop must never
 * block on HTTP. So the two sides never share live state:
 *   - reads (GET) are answered from a *view*: JSON texts the loop publishes
 *     with pgq_rest_publish_*() and the server copies under a mutex;
 *   - writes (POST/DELETE) become a pgq_rest_call, queued under the mutex
 *     and handed to the loop with uv_async_send(); the loop answers with
 *     pgq_rest_call_finish() whenever it is ready (possibly much later, e.g.
 *     once an entry commits). The HTTP thread waits on a condition variable
 *     with a deadline; the loop never waits for HTTP.
 * Every function here is called on the loop thread, except that the HTTP
 * threads run inside rest.c.
 */
#ifndef PGQ_REST_H
#define PGQ_REST_H

#include "rest/metrics.h"
#include "rest/tls.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pgq_rest;

/*
 * A write request handed to the loop. method/path/body stay valid until
 * pgq_rest_call_finish(); the loop must finish every call it receives,
 * exactly once (pgq_rest_stop() finishes the ones still queued).
 */
struct pgq_rest_call {
	const char *method;      /* "POST", "PUT", "PATCH", "DELETE" (or "GET": /test/, /config, /history) */
	const char *path;        /* e.g. "/members/node4" */
	const json_t *body;      /* parsed JSON object, or NULL when empty */
};

/* Called on the loop thread for each write request. */
typedef void (*pgq_rest_call_fn)(void *ctx, struct pgq_rest_call *call);

/* An allowlist entry: a network in CIDR form (AF_INET or AF_INET6). */
struct pgq_rest_cidr {
	int family;
	uint8_t addr[16];
	unsigned prefix_len;
};

struct pgq_rest_options {
	const char *listen_address;      /* numeric IPv4 address, e.g. "127.0.0.1" */
	uint16_t port;
	size_t max_body_bytes;           /* larger bodies get 413 */
	unsigned call_timeout_ms;        /* the HTTP thread gives up (504) after this */
	unsigned restart_timeout_ms;     /* POST /restart waits this long instead (0: call_timeout_ms) */
	unsigned connection_timeout_s;   /* idle/slow client is cut after this; 0: 10 */
	unsigned liveness_max_age_ms;    /* /liveness is 503 when the loop was silent longer */
	unsigned max_connections;
	bool test_hooks;                 /* accept /test/... (PGQUORUM_TEST_HOOKS=1 only) */
	/*
	 * Write requests (POST, PUT, PATCH, DELETE) only: HTTP basic authentication when
	 * both are set (else 401), and only from these networks when n_allow > 0
	 * (else 403). Copied at start. Reads stay open, as health checks need.
	 */
	const char *auth_username;
	const char *auth_password;
	const struct pgq_rest_cidr *allow;
	size_t n_allow;
	/*
	 * HTTPS when tls.certfile is set (libmicrohttpd over GnuTLS): the files
	 * are read at start (a bad one fails the start, its name in err) and
	 * again by pgq_rest_reload_tls(). verify_client asks for client
	 * certificates signed by tls.cafile; every request is checked (403).
	 */
	struct pgq_rest_tls_files tls;
};

/*
 * Start listening. On success *out is owned by the caller and released by
 * pgq_rest_stop() (the memory goes once the loop closed the async handle,
 * i.e. after the next uv_run iteration).
 */
int pgq_rest_start(uv_loop_t *loop, const struct pgq_rest_options *opts,
		   pgq_rest_call_fn on_call, void *ctx, struct pgq_rest **out,
		   char *err, size_t errlen);

/* Stop the HTTP threads, answer queued calls with 503, then free. */
void pgq_rest_stop(struct pgq_rest *rest);

/* Publish the texts GET endpoints serve (copied). NULL means "not available" (503). */
void pgq_rest_publish_cluster(struct pgq_rest *rest, const char *json);
void pgq_rest_publish_status(struct pgq_rest *rest, const char *json);
/*
 * The member view behind Patroni's health endpoints (/primary, /replica,
 * /health, /read-only, /readiness, /patroni, ...: agent/rest/health.h),
 * deep-copied under the lock; the HTTP thread judges it at request time on
 * CLOCK_BOOTTIME (S20). Until the first publish those paths answer 404.
 */
struct pgq_member_view;
void pgq_rest_publish_member_view(struct pgq_rest *rest, const struct pgq_member_view *v);
/*
 * The loop's part of GET /metrics: its counters (http_requests_total is
 * ignored: the server counts those itself) and each member's lag (copied).
 */
void pgq_rest_publish_metrics(struct pgq_rest *rest, const struct pgq_rest_counters *counters,
			      const struct pgq_metrics_member *members, size_t n_members);
/* Milliseconds since GET /metrics was last read (UINT64_MAX: never). */
uint64_t pgq_rest_metrics_idle_ms(struct pgq_rest *rest);
/*
 * Re-read the TLS certificate and key (restapi reload). On success the
 * next handshake presents them; on failure nothing changes and err names
 * the file. The CA file and verify_client need a restart. 0 when not TLS.
 */
int pgq_rest_reload_tls(struct pgq_rest *rest, const struct pgq_rest_tls_files *tls,
			char *err, size_t errlen);
/* The loop ran: /liveness measures the time since the last beat. */
void pgq_rest_beat(struct pgq_rest *rest);

/*
 * Answer a call: HTTP status, JSON reply (reference stolen; NULL: empty
 * object), optional Location header (copied; used for 307 to the leader).
 */
void pgq_rest_call_finish(struct pgq_rest_call *call, unsigned status, json_t *reply,
			  const char *location);

/* Convenience: {"error": message} with the given status. */
void pgq_rest_call_fail(struct pgq_rest_call *call, unsigned status, const char *message);

#endif /* PGQ_REST_H */

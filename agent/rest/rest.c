/*
 * rest.c — the REST server: libmicrohttpd threads on one side, the libuv
 * loop on the other (see rest.h for the contract).
 *
 * Owns: the MHD daemon, the published view (under `view_lock`), the
 * queue of write calls (under `lock`) and the uv_async_t that wakes the
 * loop for them.
 *
 * Why two locks: health checks arrive by the tens of thousands per second
 * on many threads. Sharing one mutex with the loop let those threads, which
 * re-take it without pause, starve the loop (its liveness beat and every
 * publication waited on the mutex): a PostgreSQL probe then timed out and
 * the primary fenced itself under a wrk run. The view is behind a
 * writer-preferring rwlock, so a publication waits only for the readers
 * already inside, and the liveness beat is an atomic.
 * A call is shared by exactly two parties, the HTTP thread that waits for it
 * and the loop that answers it; a reference count under `lock` decides who
 * frees it, so either side may go first (answer after a timeout, or timeout
 * after an answer).
 */
#include "rest/rest.h"

#include "log.h"
#include "rest/health.h"
#include "rest/member_view.h"
#include "rest/metrics.h"
#include "rest/query.h"
#include "rest/status_json.h"
#include "rest/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct rest_call {
	struct pgq_rest_call pub;       /* first: the loop sees only this part */
	struct pgq_rest *rest;
	struct rest_call *next;         /* queue link, under rest->lock */
	char *method;
	char *path;
	json_t *body;
	int refs;                       /* HTTP thread + loop */
	bool done;
	unsigned status;
	char *reply;                    /* JSON text, malloc'd */
	char *location;
	pthread_cond_t cond;
};

struct pgq_rest {
	struct MHD_Daemon *daemon;
	uv_async_t wake;
	pgq_rest_call_fn on_call;
	void *ctx;
	struct pgq_rest_options opts;

	pthread_mutex_t lock;           /* the call queue and each call's state */
	bool stopping;
	struct rest_call *head, *tail;  /* queued for the loop */
	pthread_rwlock_t view_lock;     /* what the loop publishes, below */
	char *cluster_json;
	char *status_json;
	uint64_t beat_ms;               /* atomic, no lock */
	struct pgq_member_view view;     /* health endpoints */
	bool has_view;

	char *auth_username;            /* NULL: no authentication */
	char *auth_password;
	struct pgq_rest_cidr *allow;    /* n_allow == 0: from anywhere */
	size_t n_allow;

	bool tls;                       /* HTTPS (credentials installed in tls.c) */
	enum pgq_rest_verify_client verify_client;

	/* GET /metrics: the loop's counters and member lags (under view_lock) ... */
	struct pgq_rest_counters loop_counters;
	struct pgq_metrics_member *metric_members;
	size_t n_metric_members;
	uint64_t metrics_read_ms;       /* monotonic ms of the last GET /metrics (atomic); 0 never */
};

/*
 * Answers by HTTP status code, for /metrics. Process-wide (one REST server
 * per process) so that every answer path counts without a server pointer;
 * atomic because every HTTP thread adds.
 */
static uint64_t http_by_code[PGQ_METRICS_HTTP_CODES];

/*
 * OPTIONS answers like GET with the status code only (Patroni; HAProxy's
 * `option httpchk OPTIONS`). One thread per connection: a thread-local
 * flag reaches every answer path of the request being handled.
 */
static _Thread_local bool answer_status_only;

static void count_answer(unsigned status)
{
	if (status < PGQ_METRICS_HTTP_CODES)
		__atomic_fetch_add(&http_by_code[status], 1, __ATOMIC_RELAXED);
}

/* Per-connection upload state. */
struct upload {
	char *buf;
	size_t len;
	bool too_big;
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void call_free(struct rest_call *c)
{
	free(c->method);
	free(c->path);
	json_decref(c->body);
	free(c->reply);
	free(c->location);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* Drop one reference; call with rest->lock held. */
static void call_unref_locked(struct rest_call *c)
{
	if (--c->refs == 0)
		call_free(c);
}

static void finish_locked(struct rest_call *c, unsigned status, char *reply_text,
			  const char *location)
{
	c->done = true;
	c->status = status;
	c->reply = reply_text;
	c->location = dup_or_null(location);
	pthread_cond_signal(&c->cond);
	call_unref_locked(c);
}

void pgq_rest_call_finish(struct pgq_rest_call *call, unsigned status, json_t *reply,
			  const char *location)
{
	struct rest_call *c = (struct rest_call *)call;
	struct pgq_rest *rest = c->rest;
	char *text = reply != NULL ? json_dumps(reply, JSON_COMPACT) : strdup("{}");

	json_decref(reply);
	pthread_mutex_lock(&rest->lock);
	finish_locked(c, status, text, location);
	pthread_mutex_unlock(&rest->lock);
}

void pgq_rest_call_fail(struct pgq_rest_call *call, unsigned status, const char *message)
{
	pgq_rest_call_finish(call, status, json_pack("{s:s}", "error", message), NULL);
}

/* ---- loop side ---------------------------------------------------------- */

static void on_wake(uv_async_t *handle)
{
	struct pgq_rest *rest = handle->data;
	struct rest_call *list;

	pthread_mutex_lock(&rest->lock);
	list = rest->head;
	rest->head = rest->tail = NULL;
	pthread_mutex_unlock(&rest->lock);

	while (list != NULL) {
		struct rest_call *c = list;
		list = c->next;
		c->next = NULL;
		rest->on_call(rest->ctx, &c->pub);
	}
}

void pgq_rest_publish_cluster(struct pgq_rest *rest, const char *json)
{
	char *copy = dup_or_null(json);
	pthread_rwlock_wrlock(&rest->view_lock);
	free(rest->cluster_json);
	rest->cluster_json = copy;
	pthread_rwlock_unlock(&rest->view_lock);
}

void pgq_rest_publish_status(struct pgq_rest *rest, const char *json)
{
	char *copy = dup_or_null(json);
	pthread_rwlock_wrlock(&rest->view_lock);
	free(rest->status_json);
	rest->status_json = copy;
	pthread_rwlock_unlock(&rest->view_lock);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *text,
			       const char *location);
static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
				     const char *message);

void pgq_rest_publish_member_view(struct pgq_rest *rest, const struct pgq_member_view *v)
{
	struct pgq_member_view copy;
	char err[128];

	pgq_member_view_init(&copy);
	if (pgq_member_view_copy(&copy, v, err, sizeof err) != 0)
		return;
	pthread_rwlock_wrlock(&rest->view_lock);
	pgq_member_view_free(&rest->view);
	rest->view = copy; /* takes the arrays */
	rest->has_view = true;
	pthread_rwlock_unlock(&rest->view_lock);
}

void pgq_rest_publish_metrics(struct pgq_rest *rest, const struct pgq_rest_counters *counters,
			      const struct pgq_metrics_member *members, size_t n_members)
{
	struct pgq_metrics_member *copy = NULL;

	if (n_members > 0) {
		copy = calloc(n_members, sizeof *copy);
		if (copy == NULL)
			return; /* keep the last figures */
		memcpy(copy, members, n_members * sizeof *copy);
	}
	pthread_rwlock_wrlock(&rest->view_lock);
	rest->loop_counters = *counters;
	free(rest->metric_members);
	rest->metric_members = copy;
	rest->n_metric_members = n_members;
	pthread_rwlock_unlock(&rest->view_lock);
}

/* The query parameters of one request; the first bad one is kept (400). */
struct query_ctx {
	struct pgq_query q;
	bool failed;
	char err[160];
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct query_ctx *qc = cls;

	(void)kind;
	if (!qc->failed &&
	    pgq_query_add(&qc->q, key, value != NULL ? value : "", qc->err, sizeof qc->err) != 0)
		qc->failed = true;
	return MHD_YES;
}

/* Patroni's health endpoints, judged now from the published view (S20). */
static enum MHD_Result respond_health(struct pgq_rest *rest, struct MHD_Connection *conn,
				      const char *url)
{
	struct pgq_member_view v;
	struct query_ctx qc;
	struct pgq_query *q = &qc.q;
	struct timespec ts;
	int64_t now;
	char err[200], *body = NULL;
	int status;
	enum MHD_Result ret;

	memset(&qc, 0, sizeof qc);
	pgq_query_init(q);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &qc);
	if (qc.failed) {
		snprintf(err, sizeof err, "bad query string: %s", qc.err);
		return respond_error(conn, 400, err);
	}
	pgq_member_view_init(&v);
	pthread_rwlock_rdlock(&rest->view_lock);
	status = pgq_member_view_copy(&v, &rest->view, err, sizeof err);
	pthread_rwlock_unlock(&rest->view_lock);
	if (status != 0)
		return respond_error(conn, 503, "out of memory");
	clock_gettime(CLOCK_BOOTTIME, &ts); /* the clock lease_end_ms is on */
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	status = pgq_rest_health_status(&v, url, q, now, err, sizeof err);
	if (status == 400 || status == 404) {
		pgq_member_view_free(&v);
		return respond_error(conn, (unsigned)status, err);
	}
	if (pgq_rest_health_has_body(url))
		body = pgq_rest_status_text(&v, now);
	pgq_member_view_free(&v);
	ret = respond(conn, (unsigned)status, body != NULL ? body : "", NULL);
	free(body);
	return ret;
}

static int64_t boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts); /* the clock lease_end_ms is on */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET /metrics: the loop's view and counters plus this server's answer counts. */
static enum MHD_Result respond_metrics(struct pgq_rest *rest, struct MHD_Connection *conn)
{
	struct pgq_member_view v;
	struct pgq_rest_counters k;
	struct pgq_metrics_member *members = NULL;
	size_t n = 0;
	char err[128], *text;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int rc;

	__atomic_store_n(&rest->metrics_read_ms, monotonic_ms(), __ATOMIC_RELAXED);
	pgq_member_view_init(&v);
	pthread_rwlock_rdlock(&rest->view_lock);
	rc = pgq_member_view_copy(&v, &rest->view, err, sizeof err);
	k = rest->loop_counters;
	if (rc == 0 && rest->n_metric_members > 0) {
		members = calloc(rest->n_metric_members, sizeof *members);
		if (members != NULL) {
			memcpy(members, rest->metric_members, rest->n_metric_members * sizeof *members);
			n = rest->n_metric_members;
		}
	}
	pthread_rwlock_unlock(&rest->view_lock);
	if (rc != 0)
		return respond_error(conn, 503, "out of memory");
	/* This answer counts too: a scrape sees its own request (Prometheus' habit). */
	count_answer(200);
	for (unsigned code = 0; code < PGQ_METRICS_HTTP_CODES; code++)
		k.http_requests_total[code] = __atomic_load_n(&http_by_code[code], __ATOMIC_RELAXED);
	text = pgq_rest_metrics_text(&v, &k, members, n, boottime_ms(), err, sizeof err);
	free(members);
	pgq_member_view_free(&v);
	if (text == NULL) {
		__atomic_fetch_sub(&http_by_code[200], 1, __ATOMIC_RELAXED);
		return respond_error(conn, 503, err);
	}
	if (answer_status_only)
		text[0] = '\0';
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

uint64_t pgq_rest_metrics_idle_ms(struct pgq_rest *rest)
{
	uint64_t last = __atomic_load_n(&rest->metrics_read_ms, __ATOMIC_RELAXED);

	return last == 0 ? UINT64_MAX : monotonic_ms() - last;
}

int pgq_rest_reload_tls(struct pgq_rest *rest, const struct pgq_rest_tls_files *tls, char *err,
			size_t errlen)
{
	struct pgq_rest_tls_creds *creds;

	if (!rest->tls || tls->certfile == NULL)
		return 0;
	if (pgq_rest_tls_load(tls, &creds, NULL, err, errlen) != 0)
		return -1;
	pgq_rest_tls_install(creds);
	return 0;
}

void pgq_rest_beat(struct pgq_rest *rest)
{
	__atomic_store_n(&rest->beat_ms, monotonic_ms(), __ATOMIC_RELAXED);
}

/* ---- HTTP side ---------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
			       const char *text, const char *location)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (answer_status_only)
		text = "";
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (location != NULL)
		MHD_add_response_header(resp, "Location", location);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		count_answer(status);
	return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
				     const char *message)
{
	json_t *o = json_pack("{s:s}", "error", message);
	char *text = json_dumps(o, JSON_COMPACT);
	enum MHD_Result ret = respond(conn, status, text != NULL ? text : "{}", NULL);
	free(text);
	json_decref(o);
	return ret;
}

/* Serve a published text, or 503 when the loop has not published it yet. */
static enum MHD_Result respond_view(struct pgq_rest *rest, struct MHD_Connection *conn,
				    char *const *field)
{
	char *copy;
	enum MHD_Result ret;

	pthread_rwlock_rdlock(&rest->view_lock);
	copy = dup_or_null(*field);
	pthread_rwlock_unlock(&rest->view_lock);
	if (copy == NULL)
		return respond_error(conn, 503, "not available yet");
	ret = respond(conn, 200, copy, NULL);
	free(copy);
	return ret;
}

static enum MHD_Result handle_get(struct pgq_rest *rest, struct MHD_Connection *conn,
				  const char *url)
{
	if (strcmp(url, "/cluster") == 0)
		return respond_view(rest, conn, &rest->cluster_json);
	if (strcmp(url, "/raft") == 0 || strcmp(url, "/status") == 0)
		return respond_view(rest, conn, &rest->status_json);
	if (strcmp(url, "/metrics") == 0)
		return respond_metrics(rest, conn);
	if (strcmp(url, "/liveness") == 0) {
		uint64_t beat, age;
		char text[96];

		beat = __atomic_load_n(&rest->beat_ms, __ATOMIC_RELAXED);
		age = monotonic_ms() - beat;
		snprintf(text, sizeof text, "{\"loop_age_ms\":%llu}", (unsigned long long)age);
		return respond(conn, beat != 0 && age <= rest->opts.liveness_max_age_ms ? 200 : 503,
			       text, NULL);
	}
	{
		bool has_view;
		pthread_rwlock_rdlock(&rest->view_lock);
		has_view = rest->has_view;
		pthread_rwlock_unlock(&rest->view_lock);
		if (has_view && pgq_rest_health_is_endpoint(url))
			return respond_health(rest, conn, url);
		/*
		 * A health path before the first view (or without one, as with
		 * postgresql.manage: false) is "not true", never "no such path".
		 */
		if (pgq_rest_health_is_endpoint(url))
			return respond_error(conn, 503, "no PostgreSQL status known (postgresql.manage is off or the agent is starting)");
	}
	return respond_error(conn, 404, "no such endpoint");
}

static bool write_path_allowed(const struct pgq_rest *rest, const char *url)
{
	if (strcmp(url, "/members") == 0 || strncmp(url, "/members/", 9) == 0 ||
	    strcmp(url, "/report") == 0 || strcmp(url, "/propose") == 0 ||
	    strcmp(url, "/switchover") == 0 || strcmp(url, "/failover") == 0 ||
	    strcmp(url, "/pause") == 0 || strcmp(url, "/resume") == 0 ||
	    strcmp(url, "/config") == 0 || strcmp(url, "/history") == 0 ||
	    strcmp(url, "/restart") == 0 || strcmp(url, "/reload") == 0 ||
	    strcmp(url, "/reinitialize") == 0 || strcmp(url, "/fence/confirm") == 0)
		return true;
	return rest->opts.test_hooks && strncmp(url, "/test/", 6) == 0;
}

static int deadline_after(unsigned ms, struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) != 0)
		return -1;
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
	return 0;
}

/* Same length and bytes, without an early exit that would time the secret. */
static bool secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (net[full] & mask);
}

static bool client_allowed(const struct pgq_rest *rest, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	uint8_t addr[16];
	int family;

	if (rest->n_allow == 0)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			family = AF_INET6;
			memcpy(addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < rest->n_allow; i++)
		if (rest->allow[i].family == family &&
		    prefix_match(addr, rest->allow[i].addr, rest->allow[i].prefix_len))
			return true;
	return false;
}

/* True: may write. False: a 401/403 answer was queued, *ret says how. */
static bool write_allowed(struct pgq_rest *rest, struct MHD_Connection *conn,
			  enum MHD_Result *ret)
{
	if (!client_allowed(rest, conn)) {
		*ret = respond_error(conn, 403, "write requests are not allowed from this address (restapi.allowlist)");
		return false;
	}
	if (rest->auth_username != NULL) {
		char *pass = NULL;
		char *user = MHD_basic_auth_get_username_password(conn, &pass);
		bool ok = user != NULL && pass != NULL && secret_equal(user, rest->auth_username) &&
			  secret_equal(pass, rest->auth_password);

		MHD_free(user);
		MHD_free(pass);
		if (!ok) {
			const char *text = "{\"error\":\"authentication required\"}";
			struct MHD_Response *resp = MHD_create_response_from_buffer(
				strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
			if (resp == NULL) {
				*ret = MHD_NO;
				return false;
			}
			MHD_add_response_header(resp, "Content-Type", "application/json");
			*ret = MHD_queue_basic_auth_fail_response(conn, "pgquorum", resp);
			MHD_destroy_response(resp);
			if (*ret == MHD_YES)
				count_answer(401);
			return false;
		}
	}
	return true;
}

/* Hand a write to the loop and wait (bounded) for its answer. */
static enum MHD_Result handle_write(struct pgq_rest *rest, struct MHD_Connection *conn,
				    const char *method, const char *url, struct upload *up)
{
	struct rest_call *c;
	pthread_condattr_t attr;
	struct timespec deadline;
	json_t *body = NULL;
	enum MHD_Result ret;
	unsigned wait_ms;

	if (!write_path_allowed(rest, url))
		return respond_error(conn, 404, "no such endpoint");
	if (strcmp(method, "GET") != 0 && !write_allowed(rest, conn, &ret))
		return ret;
	if (up->too_big)
		return respond_error(conn, 413, "request body too large");
	if (up->len > 0) {
		json_error_t jerr;
		char msg[256];

		body = json_loadb(up->buf, up->len, JSON_REJECT_DUPLICATES, &jerr);
		if (body == NULL) {
			snprintf(msg, sizeof msg, "invalid JSON: %s (line %d, column %d)",
				 jerr.text, jerr.line, jerr.column);
			return respond_error(conn, 400, msg);
		}
		if (!json_is_object(body)) {
			json_decref(body);
			return respond_error(conn, 400, "the request body must be a JSON object");
		}
	}

	c = calloc(1, sizeof *c);
	if (c == NULL) {
		json_decref(body);
		return respond_error(conn, 503, "out of memory");
	}
	c->rest = rest;
	c->method = strdup(method);
	c->path = strdup(url);
	c->body = body;
	c->refs = 2;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (c->method == NULL || c->path == NULL) {
		call_free(c);
		return respond_error(conn, 503, "out of memory");
	}
	c->pub.method = c->method;
	c->pub.path = c->path;
	c->pub.body = c->body;

	pthread_mutex_lock(&rest->lock);
	if (rest->stopping) {
		pthread_mutex_unlock(&rest->lock);
		call_free(c);
		return respond_error(conn, 503, "the agent is shutting down");
	}
	if (rest->tail != NULL)
		rest->tail->next = c;
	else
		rest->head = c;
	rest->tail = c;
	uv_async_send(&rest->wake);

	/*
	 * POST /restart answers once PostgreSQL runs again, POST /switchover
	 * and /failover once the new primary is promoted (Patroni's are
	 * synchronous too): wait longer, and keep libmicrohttpd from closing
	 * the connection as idle meanwhile. Other threads keep serving.
	 */
	wait_ms = rest->opts.call_timeout_ms;
	if (strcmp(method, "POST") == 0 &&
	    (strcmp(url, "/restart") == 0 || strcmp(url, "/switchover") == 0 ||
	     strcmp(url, "/failover") == 0) &&
	    rest->opts.restart_timeout_ms > wait_ms) {
		wait_ms = rest->opts.restart_timeout_ms;
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned int)(wait_ms / 1000u + 10u));
	}
	deadline_after(wait_ms, &deadline);
	while (!c->done) {
		int rc = pthread_cond_timedwait(&c->cond, &rest->lock, &deadline);
		if (rc == ETIMEDOUT)
			break;
	}
	if (c->done) {
		char *reply = c->reply;
		char *location = c->location;
		unsigned status = c->status;

		c->reply = NULL;
		c->location = NULL;
		call_unref_locked(c);
		pthread_mutex_unlock(&rest->lock);
		ret = respond(conn, status, reply != NULL ? reply : "{}", location);
		free(reply);
		free(location);
		return ret;
	}
	/* Timed out: the loop still holds its reference and frees it later. */
	call_unref_locked(c);
	pthread_mutex_unlock(&rest->lock);
	return respond_error(conn, 504, "the agent did not answer in time");
}

/* GETs answered by the loop from the live record (rare, operator reads). */
static bool read_on_loop(const char *url)
{
	return strcmp(url, "/config") == 0 || strcmp(url, "/history") == 0;
}

/* GET, HEAD and OPTIONS: from the published view, or read on the loop. */
static enum MHD_Result answer_read(struct pgq_rest *rest, struct MHD_Connection *conn,
				   const char *url, struct upload *up)
{
	if (!(rest->opts.test_hooks && strncmp(url, "/test/", 6) == 0) && !read_on_loop(url))
		return handle_get(rest, conn, url);
	/* test views, /config and /history are read from the record on the loop */
	return handle_write(rest, conn, "GET", url, up);
}

/*
 * Each connection's thread runs at a lower priority than the agent's loop
 * (nice +10, Linux: per thread), so that a flood of health checks takes
 * what the loop leaves and never delays Raft heartbeats or lease renewals
 * on a busy machine (issue 7: thousands of requests per second must not
 * disturb Raft). Once per thread; a failure only costs the priority.
 */
static _Thread_local bool thread_deprioritised;

static void deprioritise_this_thread(void)
{
	if (thread_deprioritised)
		return;
	thread_deprioritised = true;
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct pgq_rest *rest = cls;
	struct upload *up = *con_cls;

	if (up == NULL) {
		deprioritise_this_thread();
		up = calloc(1, sizeof *up);
		if (up == NULL)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!up->too_big && up->len + n <= rest->opts.max_body_bytes) {
			char *grown = realloc(up->buf, up->len + n);
			if (grown == NULL) {
				up->too_big = true;
			} else {
				memcpy(grown + up->len, upload_data, n);
				up->buf = grown;
				up->len += n;
			}
		} else {
			/* Keep reading (and discarding) so we can still answer 413. */
			up->too_big = true;
			free(up->buf);
			up->buf = NULL;
			up->len = 0;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (rest->tls && rest->verify_client != PGQ_REST_VERIFY_NONE) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		char why[256];

		if (!pgq_rest_tls_client_ok(ci != NULL ? ci->tls_session : NULL,
					    rest->verify_client, why, sizeof why)) {
			pgq_debug("rest", "%s %s refused: %s", method, url, why);
			return respond_error(conn, 403, why);
		}
	}
	if (strcmp(method, "OPTIONS") == 0) {
		enum MHD_Result ret;

		answer_status_only = true;
		ret = answer_read(rest, conn, url, up);
		answer_status_only = false;
		return ret;
	}
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return answer_read(rest, conn, url, up);
	if (strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0 ||
	    ((strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0) &&
	     strcmp(url, "/config") == 0))
		return handle_write(rest, conn, method, url, up);
	return respond_error(conn, 405, "method not allowed");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up != NULL) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

/*
 * Percent-decoding of the path and query: a "%00" would cut the text
 * short and make "/primary%00junk" read as "/primary". Such a request gets
 * a path no route has (404) instead.
 */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t n;

	(void)cls;
	(void)conn;
	n = MHD_http_unescape(s);
	if (strlen(s) != n) {
		s[0] = '\x7f';
		s[1] = '\0';
		return 1;
	}
	return n;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	pgq_debug("rest", "%s", line);
}

static void free_after_close(uv_handle_t *handle)
{
	struct pgq_rest *rest = handle->data;

	free(rest->cluster_json);
	free(rest->status_json);
	pgq_member_view_free(&rest->view);
	free(rest->auth_username);
	free(rest->auth_password);
	free(rest->allow);
	free(rest->metric_members);
	pthread_mutex_destroy(&rest->lock);
	pthread_rwlock_destroy(&rest->view_lock);
	free(rest);
}

int pgq_rest_start(uv_loop_t *loop, const struct pgq_rest_options *opts,
		   pgq_rest_call_fn on_call, void *ctx, struct pgq_rest **out,
		   char *err, size_t errlen)
{
	struct pgq_rest *rest;
	struct sockaddr_in addr;
	sigset_t all, old;
	char *ca_pem = NULL;
	unsigned int per_ip;

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons(opts->port);
	if (inet_pton(AF_INET, opts->listen_address, &addr.sin_addr) != 1) {
		snprintf(err, errlen, "invalid REST listen address \"%s\" (expected an IPv4 address)",
			 opts->listen_address);
		return -1;
	}
	rest = calloc(1, sizeof *rest);
	if (rest == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rest->opts = *opts;
	rest->opts.listen_address = NULL; /* not kept: the caller owns these */
	rest->opts.auth_username = rest->opts.auth_password = NULL;
	rest->opts.allow = NULL;
	if (opts->auth_username != NULL && opts->auth_password != NULL) {
		rest->auth_username = strdup(opts->auth_username);
		rest->auth_password = strdup(opts->auth_password);
	}
	if (opts->n_allow > 0) {
		rest->allow = calloc(opts->n_allow, sizeof *rest->allow);
		if (rest->allow != NULL) {
			memcpy(rest->allow, opts->allow, opts->n_allow * sizeof *rest->allow);
			rest->n_allow = opts->n_allow;
		}
	}
	if ((opts->auth_username != NULL && opts->auth_password != NULL &&
	     (rest->auth_username == NULL || rest->auth_password == NULL)) ||
	    (opts->n_allow > 0 && rest->allow == NULL)) {
		free(rest->auth_username);
		free(rest->auth_password);
		free(rest->allow);
		free(rest);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rest->on_call = on_call;
	rest->ctx = ctx;
	pthread_mutex_init(&rest->lock, NULL);
	{
		/* A publication must not wait behind a stream of new readers. */
		pthread_rwlockattr_t ra;

		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&rest->view_lock, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	if (uv_async_init(loop, &rest->wake, on_wake) != 0) {
		pthread_mutex_destroy(&rest->lock);
		pthread_rwlock_destroy(&rest->view_lock);
		free(rest->auth_username);
		free(rest->auth_password);
		free(rest->allow);
		free(rest);
		snprintf(err, errlen, "uv_async_init failed");
		return -1;
	}
	rest->wake.data = rest;

	rest->tls = opts->tls.certfile != NULL;
	rest->verify_client = opts->tls.verify_client;
	if (rest->tls) {
		struct pgq_rest_tls_creds *creds;

		if (pgq_rest_tls_load(&opts->tls, &creds, &ca_pem, err, errlen) != 0) {
			uv_close((uv_handle_t *)&rest->wake, free_after_close);
			return -1;
		}
		pgq_rest_tls_install(creds);
	}
	/*
	 * Robustness: at most max_connections at once, a quarter of them kept
	 * free of any single address, and each cut after connection_timeout_s
	 * of silence, so slow or half-open clients cannot take the server.
	 */
	per_ip = opts->max_connections - opts->max_connections / 4;
	if (per_ip == 0)
		per_ip = 1;
	{
		struct MHD_OptionItem tls_opts[] = {
			{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, pgq_rest_tls_cert_callback() },
			{ ca_pem != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, ca_pem },
			{ MHD_OPTION_END, 0, NULL },
		};

		/* HTTP threads must never take the agent's signals: the loop owns them. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rest->daemon = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_ERROR_LOG | (rest->tls ? MHD_USE_TLS : 0),
			0, NULL, NULL, on_request, rest,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)opts->max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
			MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)(opts->connection_timeout_s != 0 ? opts->connection_timeout_s : 10),
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			/* RFC 7230 strictly: Host required, no space before ':', no line folding. */
			MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
			MHD_OPTION_UNESCAPE_CALLBACK, unescape_no_nul, NULL,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, rest,
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, rest,
			rest->tls ? MHD_OPTION_ARRAY : MHD_OPTION_END, tls_opts,
			MHD_OPTION_END);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	/* libmicrohttpd copied the trust text at start. */
	free(ca_pem);
	if (rest->daemon == NULL) {
		snprintf(err, errlen, "could not listen for REST on %s:%u (address in use%s?)",
			 opts->listen_address, (unsigned)opts->port,
			 rest->tls ? ", or libmicrohttpd built without TLS" : "");
		if (rest->tls)
			pgq_rest_tls_release();
		uv_close((uv_handle_t *)&rest->wake, free_after_close);
		return -1;
	}
	*out = rest;
	return 0;
}

void pgq_rest_stop(struct pgq_rest *rest)
{
	struct rest_call *list;

	if (rest == NULL)
		return;
	pthread_mutex_lock(&rest->lock);
	rest->stopping = true;
	list = rest->head;
	rest->head = rest->tail = NULL;
	while (list != NULL) {
		struct rest_call *c = list;
		list = c->next;
		finish_locked(c, 503, strdup("{\"error\":\"the agent is shutting down\"}"), NULL);
	}
	pthread_mutex_unlock(&rest->lock);
	MHD_stop_daemon(rest->daemon);
	rest->daemon = NULL;
	if (rest->tls)
		pgq_rest_tls_release();
	uv_close((uv_handle_t *)&rest->wake, free_after_close);
}

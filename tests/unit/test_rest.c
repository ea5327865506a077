/*
 * test_rest.c — the REST server's contract (agent/rest/rest.h): GET views
 * published by the loop, writes handed to the loop and answered later,
 * 4xx for bad requests, 504 when the loop does not answer in time, calls
 * still queued at stop finished at once (503, or the connection closes). The HTTP client (libcurl) runs in a thread;
 * the test thread runs the libuv loop like the agent does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rest/rest.h"

struct http_result {
	const char *method;
	char url[256];
	const char *body;
	long status;
	char reply[8192];
	size_t reply_len;
	char location[256];
	volatile int done;
};

struct fixture {
	uv_loop_t loop;
	struct pgq_rest *rest;
	uint16_t port;
	int calls;
	char last_method[16];
	char last_path[128];
	char last_name[64];
	struct pgq_rest_call *held; /* a call the handler keeps (timeout test) */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_result *r = ud;
	size_t len = size * n;
	if (r->reply_len + len >= sizeof r->reply)
		len = sizeof r->reply - 1 - r->reply_len;
	memcpy(r->reply + r->reply_len, p, len);
	r->reply_len += len;
	r->reply[r->reply_len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_result *r = ud;
	size_t len = size * n;
	if (len > 10 && strncasecmp(p, "Location: ", 10) == 0) {
		size_t l = len - 10;
		while (l > 0 && (p[10 + l - 1] == '\r' || p[10 + l - 1] == '\n'))
			l--;
		if (l >= sizeof r->location)
			l = sizeof r->location - 1;
		memcpy(r->location, p + 10, l);
		r->location[l] = '\0';
	}
	return len;
}

static void *http_thread(void *arg)
{
	struct http_result *r = arg;
	CURL *h = curl_easy_init();

	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (r->body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	else
		r->status = -1;
	curl_easy_cleanup(h);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* One request; the loop runs while it is in flight (as in the agent). */
static void request(struct fixture *f, struct http_result *r, const char *method,
		    const char *path, const char *body, bool run_loop)
{
	pthread_t th;

	memset(r, 0, sizeof *r);
	r->method = method;
	r->body = body;
	snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u%s", (unsigned)f->port, path);
	pthread_create(&th, NULL, http_thread, r);
	while (!__atomic_load_n(&r->done, __ATOMIC_SEQ_CST)) {
		if (run_loop)
			uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	pthread_join(th, NULL);
}

static void on_call(void *ctx, struct pgq_rest_call *call)
{
	struct fixture *f = ctx;
	const char *name = call->body != NULL
				   ? json_string_value(json_object_get(call->body, "name"))
				   : NULL;

	f->calls++;
	snprintf(f->last_method, sizeof f->last_method, "%s", call->method);
	snprintf(f->last_path, sizeof f->last_path, "%s", call->path);
	snprintf(f->last_name, sizeof f->last_name, "%s", name != NULL ? name : "");
	if (strcmp(call->path, "/members/hold") == 0) {
		f->held = call;
		return;
	}
	if (strcmp(call->path, "/members/redirect") == 0) {
		pgq_rest_call_finish(call, 307, json_pack("{s:s}", "error", "not the leader"),
				     "http://leader.example:8008/members/redirect");
		return;
	}
	pgq_rest_call_finish(call, 201, json_pack("{s:s}", "created", name != NULL ? name : ""),
			     NULL);
}

/* Start a server on the next free port of this process's range. */
static void start_server(struct fixture *f)
{
	static uint16_t next_port;
	struct pgq_rest_options o = {
		.listen_address = "127.0.0.1",
		.max_body_bytes = 1024,
		.call_timeout_ms = 300,
		.liveness_max_age_ms = 150,
		.max_connections = 16,
		.test_hooks = false,
	};
	char err[256];

	if (next_port == 0)
		next_port = (uint16_t)(30000 + (getpid() % 2000) * 10);
	f->rest = NULL;
	for (int tries = 0; tries < 20 && f->rest == NULL; tries++) {
		o.port = f->port = next_port++;
		if (pgq_rest_start(&f->loop, &o, on_call, f, &f->rest, err, sizeof err) != 0) {
			f->rest = NULL;
			uv_run(&f->loop, UV_RUN_NOWAIT); /* free the failed attempt */
		}
	}
	assert_non_null(f->rest);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	start_server(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->held != NULL)
		pgq_rest_call_fail(f->held, 500, "test over");
	pgq_rest_stop(f->rest);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static void test_views_published_by_the_loop(void **state)
{
	struct fixture *f = *state;
	struct http_result r;

	request(f, &r, "GET", "/cluster", NULL, true);
	assert_int_equal(r.status, 503); /* nothing published yet */
	pgq_rest_publish_cluster(f->rest, "{\"scope\":\"a\"}");
	pgq_rest_publish_status(f->rest, "{\"role\":\"leader\"}");
	request(f, &r, "GET", "/cluster", NULL, true);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.reply, "{\"scope\":\"a\"}");
	request(f, &r, "GET", "/raft", NULL, true);
	assert_string_equal(r.reply, "{\"role\":\"leader\"}");
	request(f, &r, "GET", "/status", NULL, true);
	assert_string_equal(r.reply, "{\"role\":\"leader\"}");
	pgq_rest_publish_cluster(f->rest, "{\"scope\":\"b\"}");
	request(f, &r, "GET", "/cluster", NULL, true);
	assert_string_equal(r.reply, "{\"scope\":\"b\"}");
	assert_int_equal(f->calls, 0); /* reads never reach the loop */
}

static void test_liveness_follows_the_beat(void **state)
{
	struct fixture *f = *state;
	struct http_result r;

	pgq_rest_beat(f->rest);
	request(f, &r, "GET", "/liveness", NULL, true);
	assert_int_equal(r.status, 200);
	usleep(300 * 1000); /* > liveness_max_age_ms without a beat */
	request(f, &r, "GET", "/liveness", NULL, true);
	assert_int_equal(r.status, 503);
}

static void test_write_goes_through_the_loop(void **state)
{
	struct fixture *f = *state;
	struct http_result r;

	request(f, &r, "POST", "/members", "{\"name\":\"n4\"}", true);
	assert_int_equal(r.status, 201);
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->last_method, "POST");
	assert_string_equal(f->last_path, "/members");
	assert_string_equal(f->last_name, "n4");
	assert_string_equal(r.reply, "{\"created\":\"n4\"}");

	request(f, &r, "DELETE", "/members/redirect", NULL, true);
	assert_int_equal(r.status, 307);
	assert_string_equal(r.location, "http://leader.example:8008/members/redirect");
	assert_string_equal(f->last_method, "DELETE");
}

static void test_bad_requests_get_4xx(void **state)
{
	struct fixture *f = *state;
	struct http_result r;
	char big[2048];

	request(f, &r, "POST", "/members", "{\"name\": ", true);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.reply, "\"error\""));
	request(f, &r, "POST", "/members", "[1,2]", true);
	assert_int_equal(r.status, 400);
	request(f, &r, "POST", "/members", "{\"a\":1,\"a\":2}", true);
	assert_int_equal(r.status, 400); /* duplicate keys refused */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	request(f, &r, "POST", "/members", big, true);
	assert_int_equal(r.status, 413);
	request(f, &r, "GET", "/no/such", NULL, true);
	assert_int_equal(r.status, 404);
	request(f, &r, "POST", "/test/propose", "{\"seq\":1}", true);
	assert_int_equal(r.status, 404); /* test hooks off */
	request(f, &r, "PUT", "/members", "{}", true);
	assert_int_equal(r.status, 405);
	assert_int_equal(f->calls, 0); /* none of them reached the loop */
}

/*
 * Issue 7: PATCH and PUT /config are writes handed to the loop (with their
 * JSON body); GET and HEAD /config and /history are read on the loop too
 * (the live record); PATCH/PUT elsewhere stay 405 without reaching it.
 */
static void test_config_routes(void **state)
{
	struct fixture *f = *state;
	struct http_result r;

	request(f, &r, "PATCH", "/config", "{\"name\":\"p\"}", true);
	assert_int_equal(r.status, 201);
	assert_string_equal(f->last_method, "PATCH");
	assert_string_equal(f->last_name, "p");
	request(f, &r, "PUT", "/config", "{\"name\":\"q\"}", true);
	assert_int_equal(r.status, 201);
	assert_string_equal(f->last_method, "PUT");
	request(f, &r, "GET", "/config", NULL, true);
	assert_int_equal(r.status, 201);
	assert_string_equal(f->last_method, "GET");
	assert_string_equal(f->last_path, "/config");
	request(f, &r, "GET", "/history", NULL, true);
	assert_string_equal(f->last_path, "/history");
	request(f, &r, "PATCH", "/config", "[1]", true);
	assert_int_equal(r.status, 400); /* not an object: refused before the loop */
	f->calls = 0;
	request(f, &r, "PATCH", "/members", "{}", true);
	assert_int_equal(r.status, 405);
	request(f, &r, "PUT", "/switchover", "{}", true);
	assert_int_equal(r.status, 405);
	assert_int_equal(f->calls, 0);
}

static void test_unanswered_call_times_out(void **state)
{
	struct fixture *f = *state;
	struct http_result r;

	request(f, &r, "POST", "/members/hold", "{}", true);
	assert_int_equal(r.status, 504);
	assert_non_null(f->held);
	/* The loop answers late: the call is freed without a reader (LSan checks). */
	pgq_rest_call_finish(f->held, 200, NULL, NULL);
	f->held = NULL;
	request(f, &r, "POST", "/members", "{\"name\":\"after\"}", true);
	assert_int_equal(r.status, 201);
}

static void test_queued_call_gets_503_at_stop(void **state)
{
	struct fixture *f = *state;
	struct http_result r;
	pthread_t th;

	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.body = "{}";
	snprintf(r.url, sizeof r.url, "http://127.0.0.1:%u/members", (unsigned)f->port);
	pthread_create(&th, NULL, http_thread, &r);
	usleep(100 * 1000); /* queued; the loop is not run, so nobody answers */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pgq_rest_stop(f->rest);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	start_server(f); /* so that teardown has something to stop */
	/* Stop finished the queued call at once (no wait for the 300 ms call
	 * timeout); the client sees 503, or the connection closed by the stop. */
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 200);
	assert_true(r.status == 503 || r.status == -1);
	assert_int_equal(f->calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_views_published_by_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_liveness_follows_the_beat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_goes_through_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_get_4xx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_call_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_call_gets_503_at_stop, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}

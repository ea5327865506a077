/*
 * test_hooks_util.c — loop fixture shared by the hooks tests.
 */
#include "test_hooks_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define DEADLINE_MS 10000

static void on_deadline(uv_timer_t *timer)
{
	struct ht *t = timer->data;

	t->expired = true;
	uv_stop(&t->loop);
}

static void on_tick(uv_timer_t *timer)
{
	struct ht *t = timer->data;

	t->ticks++;
}

uint64_t ht_now_ms(struct ht *t)
{
	uv_update_time(&t->loop);
	return uv_now(&t->loop) - t->start_ms;
}

void ht_setup(struct ht *t, const struct pgq_hooks_options *options)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->deadline);
	t->deadline.data = t;
	uv_timer_start(&t->deadline, on_deadline, DEADLINE_MS, 0);
	uv_timer_init(&t->loop, &t->ticker);
	t->ticker.data = t;
	uv_timer_start(&t->ticker, on_tick, 10, 10);
	t->start_ms = uv_now(&t->loop);
	t->hooks = pgq_hooks_new(&t->loop, options);
	assert_non_null(t->hooks);
	snprintf(t->dir, sizeof(t->dir), "/tmp/pgq-hooks-test-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static void on_closed(void *arg)
{
	struct ht *t = arg;

	t->closed = true;
}

static void close_cb(uv_handle_t *handle) { (void)handle; }

void ht_teardown(struct ht *t)
{
	char cmd[300];

	if (t->hooks != NULL) {
		pgq_hooks_close(t->hooks, on_closed, t);
		t->hooks = NULL;
		while (!t->closed && !t->expired)
			uv_run(&t->loop, UV_RUN_ONCE);
		assert_true(t->closed);
	}
	uv_close((uv_handle_t *)&t->deadline, close_cb);
	uv_close((uv_handle_t *)&t->ticker, close_cb);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

void ht_on_done(const struct pgq_hook_result *result, void *arg)
{
	struct ht *t = arg;
	struct ht_result *out;

	assert_true(t->n_results < HT_MAX_RESULTS);
	out = &t->results[t->n_results++];
	out->r = *result;
	copy_str(out->exec_output, sizeof(out->exec_output), result->exec.output);
	copy_str(out->exec_error, sizeof(out->exec_error), result->exec.error);
	copy_str(out->plugin_output, sizeof(out->plugin_output), result->plugin.output);
	copy_str(out->plugin_error, sizeof(out->plugin_error), result->plugin.error);
	out->r.exec.output = out->exec_output;
	out->r.exec.error = out->exec_error;
	out->r.plugin.output = out->plugin_output;
	out->r.plugin.error = out->plugin_error;
	out->at_ms = ht_now_ms(t);
	out->inside_run = t->in_run;
}

bool ht_wait_results(struct ht *t, size_t n)
{
	while (t->n_results < n && !t->expired)
		uv_run(&t->loop, UV_RUN_ONCE);
	return t->n_results >= n;
}

static void on_stop_timer(uv_timer_t *timer)
{
	*(bool *)timer->data = true;
}

void ht_run_for(struct ht *t, uint64_t ms)
{
	uv_timer_t timer;
	bool done = false;

	uv_timer_init(&t->loop, &timer);
	timer.data = &done;
	uv_timer_start(&timer, on_stop_timer, ms, 0);
	while (!done && !t->expired)
		uv_run(&t->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, close_cb);
	uv_run(&t->loop, UV_RUN_NOWAIT);
}

void ht_run(struct ht *t, const struct pgq_plugin_event *event)
{
	char err[256] = "";
	int rc;

	t->in_run = true;
	rc = pgq_hooks_run(t->hooks, event, ht_on_done, t, err, sizeof(err));
	t->in_run = false;
	if (rc != 0)
		fail_msg("pgq_hooks_run: %s", err);
}

char *ht_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct pgq_config_hook ht_exec_hook(char **argv, uint32_t timeout_ms)
{
	struct pgq_config_hook h = {0};

	h.configured = true;
	h.exec = argv;
	while (argv[h.n_exec] != NULL)
		h.n_exec++;
	h.timeout_ms = timeout_ms;
	return h;
}

struct pgq_plugin_event ht_fence_event(void)
{
	struct pgq_plugin_event ev = {0};

	ev.event = PGQ_HOOK_FENCE;
	ev.cluster = "demo";
	ev.member = "node2";
	ev.role = "replica";
	ev.old_role = "replica";
	ev.epoch = 7;
	ev.primary = "node2";
	ev.primary_host = "10.0.0.2";
	ev.primary_port = 5432;
	ev.old_primary = "node1";
	ev.old_primary_host = "10.0.0.1";
	ev.old_primary_port = 5433;
	ev.old_primary_raft = "10.0.0.1:7000";
	ev.old_primary_api = "10.0.0.1:8008";
	ev.timeline = 3;
	ev.lsn = 0x3000060ULL;
	ev.has_lsn = 1;
	ev.reason = "failover";
	return ev;
}

/*
 * test_hooks_plugin.c — dlopen'd hook plugins: loading, the ABI check, the
 * event a plugin receives, vetoes, and slow plugins that must not stall the
 * agent's loop.
 *
 * Plugins: contrib/hooks/example_plugin.so (records each event to the file
 * named by PGQ_EXAMPLE_PLUGIN_OUT at load), contrib/hooks/wrong_abi_plugin.so
 * (another ABI version) and tests/unit/test_hooks_slow_plugin.so (on_start
 * sleeps). Worker threads are detached; each test waits (bounded) until they
 * have unloaded, so LeakSanitizer sees a quiet process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hooks/hooks.h"
#include "test_hooks_util.h"

#define EXAMPLE_PLUGIN PGQ_TEST_BUILDDIR "/contrib/hooks/example_plugin.so"
#define WRONG_ABI_PLUGIN PGQ_TEST_BUILDDIR "/contrib/hooks/wrong_abi_plugin.so"
#define SLOW_PLUGIN PGQ_TEST_BUILDDIR "/tests/unit/test_hooks_slow_plugin.so"

static struct pgq_config_hook plugin_hook(const char *path, uint32_t timeout_ms)
{
	struct pgq_config_hook h = {0};

	h.configured = true;
	h.plugin = (char *)path;
	h.timeout_ms = timeout_ms;
	return h;
}

static void set_ok(struct ht *t, enum pgq_hook_event event, struct pgq_config_hook *h)
{
	char err[512] = "";

	if (pgq_hooks_set(t->hooks, event, h, err, sizeof(err)) != 0)
		fail_msg("pgq_hooks_set: %s", err);
}

/* Bounded wait until every plugin worker thread has unloaded and exited. */
static void wait_workers_gone(void)
{
	for (int i = 0; i < 500 && pgq_hooks_live_plugin_workers() > 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	assert_int_equal(pgq_hooks_live_plugin_workers(), 0);
}

static void teardown_all(struct ht *t)
{
	ht_teardown(t);
	wait_workers_gone();
}

/* The example plugin is loaded, called off the loop, with every field. */
static void test_plugin_called_with_event_fields(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event ev = ht_fence_event();

	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	struct pgq_config_hook h = plugin_hook(EXAMPLE_PLUGIN, 5000);
	set_ok(&t, PGQ_HOOK_FENCE, &h);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	assert_int_equal(pgq_hooks_live_plugin_workers(), 1);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_false(t.results[0].inside_run);
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_OK);
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_NOT_RUN);
	assert_true(t.results[0].r.ok);
	assert_string_equal(t.results[0].r.plugin.output, "recorded fence");
	text = ht_read_file(path);
	assert_non_null(text);
	char expect[600];
	snprintf(expect, sizeof(expect),
		 "event=fence kind=%d abi=%u cluster=demo member=node2 role=replica old_role=replica "
		 "epoch=7 primary=node2 primary_host=10.0.0.2 primary_port=5432 old_primary=node1 "
		 "old_primary_host=10.0.0.1 old_primary_port=5433 old_primary_raft=10.0.0.1:7000 "
		 "old_primary_api=10.0.0.1:8008 timeline=3 lsn=3000060 reason=failover\n",
		 PGQ_PLUGIN_EVENT_FENCE, PGQ_PLUGIN_ABI_VERSION);
	assert_string_equal(text, expect);
	free(text);
	teardown_all(&t);
}

/* NULL strings reach the plugin as "" (never NULL), an unknown LSN as has_lsn 0. */
static void test_plugin_unknown_fields_are_empty(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_RELOAD};

	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	struct pgq_config_hook h = plugin_hook(EXAMPLE_PLUGIN, 5000);
	set_ok(&t, PGQ_HOOK_ON_RELOAD, &h);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "event=on_reload kind=3 "));
	assert_non_null(strstr(text, " cluster= member= role= old_role= epoch=0 "));
	assert_non_null(strstr(text, " lsn=none:0 reason=\n"));
	free(text);
	teardown_all(&t);
}

/* A plugin's non-zero pre_promote vetoes the promotion, with its message. */
static void test_plugin_veto(void **state)
{
	struct ht t;
	char path[300];
	struct pgq_plugin_event ev = ht_fence_event();

	ev.event = PGQ_HOOK_PRE_PROMOTE;
	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	setenv("PGQ_EXAMPLE_PLUGIN_VETO", "1", 1);
	struct pgq_config_hook h = plugin_hook(EXAMPLE_PLUGIN, 5000);
	set_ok(&t, PGQ_HOOK_PRE_PROMOTE, &h);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	unsetenv("PGQ_EXAMPLE_PLUGIN_VETO");
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_FAILED);
	assert_int_equal(t.results[0].r.plugin.exit_code, 1);
	assert_true(pgq_hooks_vetoed(&t.results[0].r));
	assert_string_equal(t.results[0].r.plugin.output,
			    "promotion of node2 vetoed by the example plugin");
	teardown_all(&t);
}

/* Another ABI version is refused; the message names the file and both versions. */
static void test_wrong_abi_refused(void **state)
{
	struct ht t;
	char err[512] = "", expect[64];

	ht_setup(&t, NULL);
	struct pgq_config_hook h = plugin_hook(WRONG_ABI_PLUGIN, 5000);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_ON_START, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, WRONG_ABI_PLUGIN));
	snprintf(expect, sizeof(expect), "ABI version %u", PGQ_PLUGIN_ABI_VERSION + 41u);
	assert_non_null(strstr(err, expect));
	snprintf(expect, sizeof(expect), "speaks version %u", PGQ_PLUGIN_ABI_VERSION);
	assert_non_null(strstr(err, expect));
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_ON_START));
	assert_int_equal(pgq_hooks_live_plugin_workers(), 0);
	teardown_all(&t);
}

/* A missing file, and a file that is not a shared object, are refused by name. */
static void test_missing_and_invalid_plugin_refused(void **state)
{
	struct ht t;
	char err[512] = "", bogus[300];
	FILE *f;

	ht_setup(&t, NULL);
	struct pgq_config_hook h = plugin_hook("/nonexistent/dir/plugin.so", 5000);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_FENCE, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "could not load plugin \"/nonexistent/dir/plugin.so\""));
	assert_non_null(strstr(err, "hook fence"));

	snprintf(bogus, sizeof(bogus), "%s/not-a-plugin.so", t.dir);
	f = fopen(bogus, "w");
	assert_non_null(f);
	fputs("this is not an ELF file\n", f);
	fclose(f);
	h = plugin_hook(bogus, 5000);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_FENCE, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, bogus));
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_FENCE));
	teardown_all(&t);
}

/* A shared object without the entry point is refused. */
static void test_plugin_without_entry_point(void **state)
{
	struct ht t;
	char err[512] = "";

	ht_setup(&t, NULL);
	/* libuv is a shared object that certainly exports no pgquorum_plugin_init. */
	struct pgq_config_hook h = plugin_hook("libuv.so.1", 5000);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_ON_STOP, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not export pgquorum_plugin_init()"));
	teardown_all(&t);
}

/*
 * A slow plugin: the result says timed out at the timeout while the plugin
 * still sleeps; the loop kept ticking; the next call finds it busy; once it
 * returns it answers again.
 */
static void test_slow_plugin_does_not_stall_loop(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_START};
	uint64_t ticks_before;

	setenv("PGQ_TEST_SLOW_PLUGIN_MS", "700", 1);
	ht_setup(&t, NULL);
	struct pgq_config_hook h = plugin_hook(SLOW_PLUGIN, 150);
	set_ok(&t, PGQ_HOOK_ON_START, &h);
	unsetenv("PGQ_TEST_SLOW_PLUGIN_MS");
	ticks_before = t.ticks;
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_TIMED_OUT);
	assert_true(t.results[0].r.plugin.timed_out);
	assert_true(t.results[0].at_ms >= 140 && t.results[0].at_ms < 600);
	assert_non_null(strstr(t.results[0].r.plugin.error, "abandoned"));
	assert_true(t.ticks - ticks_before >= 3); /* kept firing; not a rate (timers coalesce) */
	ticks_before = t.ticks;

	/* Still inside the first call: busy, reported as an error, quickly. */
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 2));
	assert_int_equal(t.results[1].r.plugin.status, PGQ_HOOK_ERROR);
	assert_non_null(strstr(t.results[1].r.plugin.error, "busy"));
	assert_true(t.results[1].at_ms < 600);

	/* After the abandoned call returned, the plugin takes events again. */
	ht_run_for(&t, 700);
	assert_true(t.ticks - ticks_before >= 3); /* kept firing, not a rate */
	h.timeout_ms = 5000;
	set_ok(&t, PGQ_HOOK_ON_START, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 3));
	assert_int_equal(t.results[2].r.plugin.status, PGQ_HOOK_OK);
	assert_string_equal(t.results[2].r.plugin.output, "slept 700 ms");
	assert_true(t.results[2].r.plugin.run_ms >= 650);
	teardown_all(&t);
}

/* Closing while a plugin call runs: reported as closing; the thread unloads later. */
static void test_close_during_plugin_call(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_START};

	setenv("PGQ_TEST_SLOW_PLUGIN_MS", "300", 1);
	ht_setup(&t, NULL);
	struct pgq_config_hook h = plugin_hook(SLOW_PLUGIN, 5000);
	set_ok(&t, PGQ_HOOK_ON_START, &h);
	unsetenv("PGQ_TEST_SLOW_PLUGIN_MS");
	ht_run(&t, &ev);
	ht_run_for(&t, 30);
	ht_teardown(&t);
	assert_int_equal(t.n_results, 1);
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_ERROR);
	assert_string_equal(t.results[0].r.plugin.error, "hooks closing");
	assert_true(t.results[0].at_ms < 250); /* did not wait for the plugin */
	wait_workers_gone();
}

/* exec and plugin on one event: both run, both reported, ok only if both are. */
static void test_exec_and_plugin_combined(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event ev = ht_fence_event();

	ev.event = PGQ_HOOK_ON_ROLE_CHANGE;
	ev.role = "primary";
	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	char *argv[] = {"/bin/sh", "-c", "echo exec saw $PGQ_ROLE; exit 2", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	h.plugin = EXAMPLE_PLUGIN;
	set_ok(&t, PGQ_HOOK_ON_ROLE_CHANGE, &h);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_OK);
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_FAILED);
	assert_string_equal(t.results[0].r.exec.output, "exec saw primary");
	assert_false(t.results[0].r.ok);
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "event=on_role_change"));
	assert_non_null(strstr(text, " role=primary "));
	free(text);
	teardown_all(&t);
}

/* One plugin file for several events is loaded once (one worker). */
static void test_plugin_shared_between_events(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event a = {.event = PGQ_HOOK_POST_PROMOTE};
	struct pgq_plugin_event b = {.event = PGQ_HOOK_ON_DEMOTE};

	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	struct pgq_config_hook h = plugin_hook(EXAMPLE_PLUGIN, 5000);
	set_ok(&t, PGQ_HOOK_POST_PROMOTE, &h);
	set_ok(&t, PGQ_HOOK_ON_DEMOTE, &h);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	assert_int_equal(pgq_hooks_live_plugin_workers(), 1);
	ht_run(&t, &a);
	assert_true(ht_wait_results(&t, 1));
	ht_run(&t, &b);
	assert_true(ht_wait_results(&t, 2));
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "event=post_promote"));
	assert_non_null(strstr(text, "event=on_demote"));
	free(text);
	/* Dropping one event keeps the plugin; dropping both unloads it. */
	char err[256];
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_POST_PROMOTE, NULL, err, sizeof(err)), 0);
	assert_int_equal(pgq_hooks_live_plugin_workers(), 1);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_ON_DEMOTE, NULL, err, sizeof(err)), 0);
	ht_run_for(&t, 20);
	wait_workers_gone();
	teardown_all(&t);
}

/* The hooks section of a real configuration file drives pgq_hooks_configure(). */
static void test_configure_from_yaml(void **state)
{
	struct ht t;
	struct pgq_config *cfg = NULL;
	struct pgq_diag_list diags;
	char yaml[2048], path[300], err[512] = "", *text;
	struct pgq_plugin_event ev = ht_fence_event();

	ht_setup(&t, NULL);
	snprintf(path, sizeof(path), "%s/plugin.txt", t.dir);
	snprintf(yaml, sizeof(yaml),
		 "scope: main\nname: db1\n"
		 "raft:\n  listen: 127.0.0.1:7001\n  data_dir: /var/lib/pgquorum/raft\n"
		 "  peers:\n    - name: db1\n      address: 127.0.0.1:7001\n"
		 "postgresql:\n  data_dir: /var/lib/postgresql/15/main\n"
		 "hooks:\n"
		 "  fence:\n    exec: [/bin/sh, -c, 'echo fencing $PGQ_OLD_PRIMARY']\n"
		 "    plugin: %s\n    timeout: 2s\n"
		 "  on_start:\n    exec: 'echo shell $PGQ_EVENT; exit 4'\n    shell: true\n"
		 "  on_stop:\n    plugin: %s\n",
		 EXAMPLE_PLUGIN, WRONG_ABI_PLUGIN);
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load_buffer("hooks.yml", yaml, strlen(yaml), &cfg, &diags), 0);
	pgq_diag_list_free(&diags);
	/* on_stop names the wrong-ABI plugin: the whole configuration is refused. */
	assert_int_equal(pgq_hooks_configure(t.hooks, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hook on_stop"));
	assert_non_null(strstr(err, "ABI version"));
	/* All or nothing: the good events were not set, their plugin not kept. */
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_FENCE));
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_ON_START));
	ht_run_for(&t, 20);
	wait_workers_gone();
	free(cfg->hooks[PGQ_HOOK_ON_STOP].plugin);
	cfg->hooks[PGQ_HOOK_ON_STOP].plugin = NULL;
	cfg->hooks[PGQ_HOOK_ON_STOP].configured = false;
	setenv("PGQ_EXAMPLE_PLUGIN_OUT", path, 1);
	assert_int_equal(pgq_hooks_configure(t.hooks, cfg, err, sizeof(err)), 0);
	unsetenv("PGQ_EXAMPLE_PLUGIN_OUT");
	pgq_config_free(cfg);
	assert_true(pgq_hooks_configured(t.hooks, PGQ_HOOK_FENCE));
	assert_true(pgq_hooks_configured(t.hooks, PGQ_HOOK_ON_START));
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_ON_STOP));

	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_true(t.results[0].r.ok);
	assert_string_equal(t.results[0].r.exec.output, "fencing node1");
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_OK);
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "event=fence "));
	free(text);
	ev.event = PGQ_HOOK_ON_START;
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 2));
	assert_int_equal(t.results[1].r.exec.exit_code, 4);
	assert_string_equal(t.results[1].r.exec.output, "shell on_start");
	teardown_all(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plugin_called_with_event_fields),
		cmocka_unit_test(test_plugin_unknown_fields_are_empty),
		cmocka_unit_test(test_plugin_veto),
		cmocka_unit_test(test_wrong_abi_refused),
		cmocka_unit_test(test_missing_and_invalid_plugin_refused),
		cmocka_unit_test(test_plugin_without_entry_point),
		cmocka_unit_test(test_slow_plugin_does_not_stall_loop),
		cmocka_unit_test(test_close_during_plugin_call),
		cmocka_unit_test(test_exec_and_plugin_combined),
		cmocka_unit_test(test_plugin_shared_between_events),
		cmocka_unit_test(test_configure_from_yaml),
	};

	pgq_log_set_level(PGQ_LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_hooks.c — exec hooks on a real libuv loop, the bounded output tail,
 * and the pre_promote / fence policy (S19).
 *
 * Commands are real processes (contrib/hooks/record-hook.sh, /bin/sh,
 * sleep). Every wait is bounded by the fixture's deadline; a 10 ms ticker
 * proves the loop kept turning while a hook hung.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hooks/hooks.h"
#include "hooks/tail.h"
#include "test_hooks_util.h"

#define RECORD_HOOK PGQ_TEST_SRCDIR "/contrib/hooks/record-hook.sh"

static void set_hook(struct ht *t, enum pgq_hook_event event, struct pgq_config_hook *h)
{
	char err[256] = "";

	if (pgq_hooks_set(t->hooks, event, h, err, sizeof(err)) != 0)
		fail_msg("pgq_hooks_set: %s", err);
}

static char *out_path(struct ht *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s/record.txt", t->dir);
	return buf;
}

/* Every PGQ_* variable of the event reaches the command, and the argv. */
static void test_exec_env_and_argv(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event ev = ht_fence_event();

	ht_setup(&t, NULL);
	char *argv[] = {RECORD_HOOK, out_path(&t, path, sizeof(path)), "first", "second arg", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_OK);
	assert_true(t.results[0].r.ok);
	assert_int_equal(t.results[0].r.event, PGQ_HOOK_FENCE);
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "event=fence\n"));
	assert_non_null(strstr(text, "arg=first\narg=second arg\n"));
	assert_non_null(strstr(text, "PGQ_EVENT=fence\n"));
	assert_non_null(strstr(text, "PGQ_CLUSTER=demo\n"));
	assert_non_null(strstr(text, "PGQ_MEMBER=node2\n"));
	assert_non_null(strstr(text, "PGQ_ROLE=replica\n"));
	assert_non_null(strstr(text, "PGQ_OLD_ROLE=replica\n"));
	assert_non_null(strstr(text, "PGQ_EPOCH=7\n"));
	assert_non_null(strstr(text, "PGQ_PRIMARY=node2\n"));
	assert_non_null(strstr(text, "PGQ_PRIMARY_HOST=10.0.0.2\n"));
	assert_non_null(strstr(text, "PGQ_PRIMARY_PORT=5432\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY=node1\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY_HOST=10.0.0.1\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY_PORT=5433\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY_RAFT=10.0.0.1:7000\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY_API=10.0.0.1:8008\n"));
	assert_non_null(strstr(text, "PGQ_TIMELINE=3\n"));
	assert_non_null(strstr(text, "PGQ_LSN=0/3000060\n"));
	assert_non_null(strstr(text, "PGQ_REASON=failover\n"));
	/* The command's own output is captured. */
	assert_non_null(strstr(t.results[0].r.exec.output, "recorded fence to"));
	free(text);
	ht_teardown(&t);
}

/* Unknown values are set and empty; an inherited PGQ_* variable is replaced. */
static void test_exec_env_unknown_and_inherited(void **state)
{
	struct ht t;
	char path[300], *text;
	struct pgq_plugin_event ev = {0};

	setenv("PGQ_OLD_PRIMARY", "stale-from-agent-env", 1);
	setenv("PGQ_TEST_UNRELATED", "x", 1);
	ht_setup(&t, NULL);
	char *argv[] = {RECORD_HOOK, out_path(&t, path, sizeof(path)), NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_ON_START, &h);
	ev.event = PGQ_HOOK_ON_START;
	ev.role = "replica";
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	unsetenv("PGQ_OLD_PRIMARY");
	unsetenv("PGQ_TEST_UNRELATED");
	text = ht_read_file(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "PGQ_EVENT=on_start\n"));
	assert_non_null(strstr(text, "PGQ_OLD_PRIMARY=\n"));
	assert_null(strstr(text, "stale-from-agent-env"));
	assert_null(strstr(text, "PGQ_TEST_UNRELATED")); /* every PGQ_* of the agent is dropped */
	assert_non_null(strstr(text, "PGQ_EPOCH=\n"));
	assert_non_null(strstr(text, "PGQ_LSN=\n"));
	assert_non_null(strstr(text, "PGQ_CLUSTER=\n"));
	free(text);
	ht_teardown(&t);
}

/* No shell unless asked: ';' and '$' in an argument are just characters. */
static void test_exec_no_shell_by_default(void **state)
{
	struct ht t;
	char path[300], inject[400], *text;
	struct pgq_plugin_event ev = ht_fence_event();

	ht_setup(&t, NULL);
	out_path(&t, path, sizeof(path));
	snprintf(inject, sizeof(inject), "a; echo INJECTED >>%s/injected $PGQ_EVENT", t.dir);
	char *argv[] = {RECORD_HOOK, path, inject, NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_OK);
	text = ht_read_file(path);
	assert_non_null(text);
	char expect[500];
	snprintf(expect, sizeof(expect), "arg=%s\n", inject);
	assert_non_null(strstr(text, expect));
	free(text);
	snprintf(path, sizeof(path), "%s/injected", t.dir);
	text = ht_read_file(path);
	assert_null(text);
	ht_teardown(&t);
}

/* shell: true runs exec[0] through /bin/sh -c, with the event's variables. */
static void test_exec_shell_true(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = ht_fence_event();

	ht_setup(&t, NULL);
	char *argv[] = {"echo \"ev=$PGQ_EVENT old=$PGQ_OLD_PRIMARY\"; exit 3", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	h.shell = true;
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_FAILED);
	assert_int_equal(t.results[0].r.exec.exit_code, 3);
	assert_string_equal(t.results[0].r.exec.output, "ev=fence old=node1");
	ht_teardown(&t);
}

/* The exit code is reported; a non-zero one makes the result not ok. */
static void test_exec_exit_code(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_STOP};

	ht_setup(&t, NULL);
	char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_ON_STOP, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_FAILED);
	assert_int_equal(t.results[0].r.exec.exit_code, 7);
	assert_int_equal(t.results[0].r.exec.term_signal, 0);
	assert_false(t.results[0].r.exec.timed_out);
	assert_false(t.results[0].r.ok);
	assert_int_equal(t.results[0].r.plugin.status, PGQ_HOOK_NOT_RUN);
	ht_teardown(&t);
}

/* A command killed by a signal it did not get from us is SIGNALED. */
static void test_exec_signaled(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_STOP};

	ht_setup(&t, NULL);
	char *argv[] = {"/bin/sh", "-c", "kill -USR1 $$", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_ON_STOP, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_SIGNALED);
	assert_int_equal(t.results[0].r.exec.term_signal, SIGUSR1);
	assert_false(t.results[0].r.exec.timed_out);
	ht_teardown(&t);
}

/* Only the last N lines are kept, stdout and stderr together, each cut. */
static void test_exec_last_lines_bounded(void **state)
{
	struct ht t;
	struct pgq_hooks_options opt = {.output_lines = 3, .output_line_bytes = 8};
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_RELOAD};

	ht_setup(&t, &opt);
	char *argv[] = {"/bin/sh", "-c",
			"i=0; while [ $i -lt 5000 ]; do echo line$i; i=$((i+1)); done; "
			"echo to-stderr-and-long >&2; printf tail", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_ON_RELOAD, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_OK);
	assert_string_equal(t.results[0].r.exec.output, "line4999\nto-stder\ntail");
	ht_teardown(&t);
}

/* The tail ring directly: wrap-around, cut lines, a final partial line. */
static void test_tail_ring(void **state)
{
	struct pgq_tail tail;
	char *text;

	assert_int_equal(pgq_tail_init(&tail, 2, 4), 0);
	text = pgq_tail_text(&tail);
	assert_string_equal(text, "");
	free(text);
	pgq_tail_feed(&tail, "a\nbb\ncccccc\n", 12);
	text = pgq_tail_text(&tail);
	assert_string_equal(text, "bb\ncccc");
	free(text);
	pgq_tail_feed(&tail, "d", 1);
	pgq_tail_feed(&tail, "e", 1);
	text = pgq_tail_text(&tail);
	assert_string_equal(text, "cccc\nde");
	free(text);
	assert_int_equal(tail.lines_seen, 3);
	pgq_tail_free(&tail);
	assert_int_equal(pgq_tail_init(&tail, 0, 4), -1);
}

/*
 * A hook that leaves a background child holding its output open is done
 * when it exits (plus a short drain), not when the child finishes.
 */
static void test_exec_background_child_not_waited(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_POST_PROMOTE};

	ht_setup(&t, NULL);
	/* shell: true with a second item, which becomes $1. */
	char *argv[] = {"sleep 3 & echo started $1", "arg1", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	h.shell = true;
	set_hook(&t, PGQ_HOOK_POST_PROMOTE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_OK);
	assert_string_equal(t.results[0].r.exec.output, "started arg1");
	assert_true(t.results[0].at_ms < 1500);
	ht_teardown(&t);
}

/* A hanging hook gets SIGTERM at its timeout; the loop kept running meanwhile. */
static void test_exec_timeout_sigterm(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_PRE_PROMOTE};
	uint64_t ticks_before;

	ht_setup(&t, NULL);
	char *argv[] = {"sleep", "30", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 300);
	set_hook(&t, PGQ_HOOK_PRE_PROMOTE, &h);
	ticks_before = t.ticks;
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_TIMED_OUT);
	assert_true(t.results[0].r.exec.timed_out);
	assert_int_equal(t.results[0].r.exec.term_signal, SIGTERM);
	assert_true(t.results[0].r.exec.run_ms >= 280);
	assert_true(t.results[0].at_ms < 3000);
	/* 10 ms ticker over >= 300 ms: the loop was never stalled. */
	/* A blocking wait would give 0-1 ticks; a loaded machine coalesces timers,
	 * so only "kept firing" is asserted, not a rate. */
	assert_true(t.ticks - ticks_before >= 3);
	assert_true(pgq_hooks_vetoed(&t.results[0].r));
	ht_teardown(&t);
}

/* A hook that ignores SIGTERM (and whose child does) gets SIGKILL after the grace. */
static void test_exec_timeout_sigkill(void **state)
{
	struct ht t;
	struct pgq_hooks_options opt = {.kill_grace_ms = 300};
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_FENCE};
	uint64_t ticks_before;

	ht_setup(&t, &opt);
	char *argv[] = {"/bin/sh", "-c", "trap '' TERM; echo ignoring; sleep 30; echo survived", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 200);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ticks_before = t.ticks;
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_TIMED_OUT);
	assert_int_equal(t.results[0].r.exec.term_signal, SIGKILL);
	assert_true(t.results[0].r.exec.run_ms >= 450); /* 200 ms + 300 ms grace, timer slack */
	assert_true(t.results[0].at_ms < 3000);
	assert_string_equal(t.results[0].r.exec.output, "ignoring");
	assert_true(t.ticks - ticks_before >= 3); /* kept firing (see above) */
	ht_teardown(&t);
}

/* A command that cannot be started is an error naming it, reported later. */
static void test_exec_missing_command(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_UNFENCE};

	ht_setup(&t, NULL);
	char *argv[] = {"/nonexistent/pgq-hook", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 1000);
	set_hook(&t, PGQ_HOOK_UNFENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_false(t.results[0].inside_run);
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_ERROR);
	assert_non_null(strstr(t.results[0].r.exec.error, "/nonexistent/pgq-hook"));
	assert_false(t.results[0].r.ok);
	ht_teardown(&t);
}

/* No hook for the event: called back, asynchronously, ok and not configured. */
static void test_not_configured(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_POST_PROMOTE};
	char err[128];

	ht_setup(&t, NULL);
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_POST_PROMOTE));
	ht_run(&t, &ev);
	assert_int_equal(t.n_results, 0);
	assert_true(ht_wait_results(&t, 1));
	assert_false(t.results[0].inside_run);
	assert_false(t.results[0].r.configured);
	assert_true(t.results[0].r.ok);
	assert_false(pgq_hooks_vetoed(&t.results[0].r));
	/* An event out of range is refused at once, without a callback. */
	ev.event = PGQ_HOOK__COUNT;
	assert_int_equal(pgq_hooks_run(t.hooks, &ev, ht_on_done, &t, err, sizeof(err)), -1);
	ht_teardown(&t);
}

/* pre_promote: a non-zero exit vetoes, exit 0 does not (S19). */
static void test_pre_promote_veto(void **state)
{
	struct ht t;
	char path[300];
	struct pgq_plugin_event ev = ht_fence_event();

	ev.event = PGQ_HOOK_PRE_PROMOTE;
	ht_setup(&t, NULL);
	char *argv[] = {RECORD_HOOK, out_path(&t, path, sizeof(path)), NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_PRE_PROMOTE, &h);
	setenv("RECORD_HOOK_EXIT", "1", 1);
	ht_run(&t, &ev);
	unsetenv("RECORD_HOOK_EXIT");
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 2));
	/* Both ran concurrently; find which is which by exit code. */
	const struct pgq_hook_result *a = &t.results[0].r, *b = &t.results[1].r;
	if (a->exec.exit_code == 0) {
		const struct pgq_hook_result *tmp = a;
		a = b;
		b = tmp;
	}
	assert_int_equal(a->exec.exit_code, 1);
	assert_true(pgq_hooks_vetoed(a));
	assert_int_equal(b->exec.exit_code, 0);
	assert_false(pgq_hooks_vetoed(b));
	ht_teardown(&t);
}

/* S6/S19: fencing.required turns any failed fence into "blocked". */
static void test_fence_required_failure_blocks(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = ht_fence_event();
	char why[256];

	ht_setup(&t, NULL);
	char *argv[] = {PGQ_TEST_SRCDIR "/contrib/hooks/stonith-example.sh", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	/* The shipped STONITH example refuses to claim success. */
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_FAILED);
	assert_non_null(strstr(t.results[0].r.exec.output, "refusing to claim node1"));
	assert_int_equal(pgq_fence_decide(&t.results[0].r, true, why, sizeof(why)), PGQ_FENCE_BLOCKED);
	assert_non_null(strstr(why, "failed with code 1"));
	assert_non_null(strstr(why, "blocked"));
	assert_int_equal(pgq_fence_decide(&t.results[0].r, false, why, sizeof(why)),
			 PGQ_FENCE_CONTINUE);
	assert_string_equal(pgq_fence_decision_name(PGQ_FENCE_BLOCKED), "blocked");
	ht_teardown(&t);
}

/*
 * S19: a fence round runs the hook once per member awaiting fencing, as the
 * runtime does (agent/runtime/ha_actions.c on_fence_hook): each run names
 * one member in PGQ_OLD_PRIMARY / _HOST; the next starts only once the
 * previous one succeeded, and a failure ends the round (it decides).
 */
static size_t fence_round(struct ht *t, const char *const *names, const char *const *hosts,
			  size_t n)
{
	size_t i = 0, base = t->n_results;

	for (;; i++) {
		struct pgq_plugin_event ev = ht_fence_event();
		ev.old_primary = names[i];
		ev.old_primary_host = hosts[i];
		ht_run(t, &ev);
		assert_true(ht_wait_results(t, base + i + 1));
		if (!pgq_fence_round_next(&t->results[base + i].r, i, n))
			return i; /* the run that ended the round */
	}
}

static void test_fence_round_every_member(void **state)
{
	struct ht t;
	static const char *const names[] = {"m1", "m3", "m4"};
	static const char *const hosts[] = {"10.0.0.1", "10.0.0.3", "10.0.0.4"};
	char why[256];

	ht_setup(&t, NULL);
	/* A STONITH that cannot reach m3's power switch. */
	char *argv[] = {"echo \"off $PGQ_OLD_PRIMARY@$PGQ_OLD_PRIMARY_HOST\"; [ \"$PGQ_OLD_PRIMARY\" != \"$BAD\" ]",
			NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 5000);
	h.shell = true;
	set_hook(&t, PGQ_HOOK_FENCE, &h);

	/* Every run succeeds: each member fenced once, in order; the round is done. */
	setenv("BAD", "none", 1);
	assert_int_equal(fence_round(&t, names, hosts, 3), 2);
	assert_string_equal(t.results[0].r.exec.output, "off m1@10.0.0.1");
	assert_string_equal(t.results[1].r.exec.output, "off m3@10.0.0.3");
	assert_string_equal(t.results[2].r.exec.output, "off m4@10.0.0.4");
	assert_int_equal(pgq_fence_decide(&t.results[2].r, true, why, sizeof(why)), PGQ_FENCE_DONE);

	/* m3's fence fails: the round stops there (m4 is not run) and blocks. */
	setenv("BAD", "m3", 1);
	assert_int_equal(fence_round(&t, names, hosts, 3), 1);
	assert_int_equal(t.n_results, 5);
	assert_string_equal(t.results[3].r.exec.output, "off m1@10.0.0.1");
	assert_string_equal(t.results[4].r.exec.output, "off m3@10.0.0.3");
	assert_int_equal(pgq_fence_decide(&t.results[4].r, true, why, sizeof(why)), PGQ_FENCE_BLOCKED);
	unsetenv("BAD");

	/* The decision alone: one member, none, a failed or unconfigured run. */
	struct pgq_hook_result ok = {.configured = true, .ok = true};
	struct pgq_hook_result failed = {.configured = true, .ok = false};
	struct pgq_hook_result absent = {.configured = false, .ok = true};
	assert_false(pgq_fence_round_next(&ok, 0, 1));
	assert_false(pgq_fence_round_next(&ok, 0, 0));
	assert_true(pgq_fence_round_next(&ok, 0, 2));
	assert_false(pgq_fence_round_next(&ok, 1, 2));
	assert_false(pgq_fence_round_next(&failed, 0, 2));
	assert_false(pgq_fence_round_next(&absent, 0, 2));
	ht_teardown(&t);
}

/* A timed-out fence blocks when required; success proceeds; no hook + required blocks. */
static void test_fence_timeout_success_and_absent(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = ht_fence_event();
	char why[256];

	ht_setup(&t, NULL);
	ht_run(&t, &ev); /* nothing configured yet */
	assert_true(ht_wait_results(&t, 1));
	assert_int_equal(pgq_fence_decide(&t.results[0].r, true, why, sizeof(why)), PGQ_FENCE_BLOCKED);
	assert_non_null(strstr(why, "no fence hook"));
	assert_int_equal(pgq_fence_decide(&t.results[0].r, false, NULL, 0), PGQ_FENCE_CONTINUE);

	char *hang[] = {"sleep", "30", NULL};
	struct pgq_config_hook h = ht_exec_hook(hang, 150);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 2));
	assert_int_equal(t.results[1].r.exec.status, PGQ_HOOK_TIMED_OUT);
	assert_int_equal(pgq_fence_decide(&t.results[1].r, true, why, sizeof(why)), PGQ_FENCE_BLOCKED);
	assert_non_null(strstr(why, "timed out"));

	char *ok[] = {"true", NULL};
	h = ht_exec_hook(ok, 5000);
	set_hook(&t, PGQ_HOOK_FENCE, &h);
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 3));
	assert_int_equal(pgq_fence_decide(&t.results[2].r, true, why, sizeof(why)), PGQ_FENCE_DONE);
	ht_teardown(&t);
}

/* Two events at once: both complete, each with its own result. */
static void test_concurrent_runs(void **state)
{
	struct ht t;
	struct pgq_plugin_event a = {.event = PGQ_HOOK_ON_ROLE_CHANGE, .role = "primary"};
	struct pgq_plugin_event b = {.event = PGQ_HOOK_POST_PROMOTE, .role = "primary"};

	ht_setup(&t, NULL);
	char *slow[] = {"/bin/sh", "-c", "sleep 0.2; echo slow $PGQ_EVENT", NULL};
	char *fast[] = {"/bin/sh", "-c", "echo fast $PGQ_EVENT", NULL};
	struct pgq_config_hook ha = ht_exec_hook(slow, 5000), hb = ht_exec_hook(fast, 5000);
	set_hook(&t, PGQ_HOOK_ON_ROLE_CHANGE, &ha);
	set_hook(&t, PGQ_HOOK_POST_PROMOTE, &hb);
	ht_run(&t, &a);
	ht_run(&t, &b);
	assert_int_equal(pgq_hooks_in_flight(t.hooks), 2);
	assert_true(ht_wait_results(&t, 2));
	assert_string_equal(t.results[0].r.exec.output, "fast post_promote");
	assert_string_equal(t.results[1].r.exec.output, "slow on_role_change");
	assert_int_equal(pgq_hooks_in_flight(t.hooks), 0);
	ht_teardown(&t);
}

/* Closing with a hook running: it is killed and reported, the loop closes cleanly. */
static void test_close_while_running(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_STOP};

	ht_setup(&t, NULL);
	char *argv[] = {"sleep", "30", NULL};
	struct pgq_config_hook h = ht_exec_hook(argv, 60000);
	set_hook(&t, PGQ_HOOK_ON_STOP, &h);
	ht_run(&t, &ev);
	ht_run_for(&t, 50);
	assert_int_equal(t.n_results, 0);
	ht_teardown(&t); /* closes the hooks and asserts the loop closed */
	assert_int_equal(t.n_results, 1);
	assert_int_equal(t.results[0].r.exec.status, PGQ_HOOK_ERROR);
	assert_string_equal(t.results[0].r.exec.error, "hooks closing");
	assert_true(t.results[0].at_ms < 2000);
}

/* Reconfiguring an event replaces its command; clearing it removes it. */
static void test_reconfigure(void **state)
{
	struct ht t;
	struct pgq_plugin_event ev = {.event = PGQ_HOOK_ON_START};
	char err[256];

	ht_setup(&t, NULL);
	char *one[] = {"/bin/sh", "-c", "echo one", NULL};
	char *two[] = {"/bin/sh", "-c", "echo two", NULL};
	struct pgq_config_hook h1 = ht_exec_hook(one, 5000), h2 = ht_exec_hook(two, 5000);
	char *empty[] = {"", NULL};
	struct pgq_config_hook bad = ht_exec_hook(empty, 5000);
	set_hook(&t, PGQ_HOOK_ON_START, &h1);
	set_hook(&t, PGQ_HOOK_ON_START, &h2);
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_ON_START, &bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "on_start"));
	ht_run(&t, &ev);
	assert_true(ht_wait_results(&t, 1));
	assert_string_equal(t.results[0].r.exec.output, "two");
	assert_int_equal(pgq_hooks_set(t.hooks, PGQ_HOOK_ON_START, NULL, err, sizeof(err)), 0);
	assert_false(pgq_hooks_configured(t.hooks, PGQ_HOOK_ON_START));
	ht_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_env_and_argv),
		cmocka_unit_test(test_exec_env_unknown_and_inherited),
		cmocka_unit_test(test_exec_no_shell_by_default),
		cmocka_unit_test(test_exec_shell_true),
		cmocka_unit_test(test_exec_exit_code),
		cmocka_unit_test(test_exec_signaled),
		cmocka_unit_test(test_exec_last_lines_bounded),
		cmocka_unit_test(test_tail_ring),
		cmocka_unit_test(test_exec_background_child_not_waited),
		cmocka_unit_test(test_exec_timeout_sigterm),
		cmocka_unit_test(test_exec_timeout_sigkill),
		cmocka_unit_test(test_exec_missing_command),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_pre_promote_veto),
		cmocka_unit_test(test_fence_required_failure_blocks),
		cmocka_unit_test(test_fence_timeout_success_and_absent),
		cmocka_unit_test(test_fence_round_every_member),
		cmocka_unit_test(test_concurrent_runs),
		cmocka_unit_test(test_close_while_running),
		cmocka_unit_test(test_reconfigure),
	};

	pgq_log_set_level(PGQ_LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

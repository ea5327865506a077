/*
 * test_ctl_args.c — pgquorumctl's argument validation, command by command,
 * with no agent address: a malformed command line must exit 2 (usage)
 * before any request; a well-formed one gets past validation and stops at
 * "no agent URL given" (3). stdin is not a terminal here, so a destructive
 * command that would need to ask is never reached before that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/ctl.h"

typedef int (*cmd_fn)(struct ctl_ctx *c, int argc, char **argv);

/* Run fn on a space-separated command line; stdout/stderr to /dev/null. */
static int run(cmd_fn fn, const char *line)
{
	struct ctl_ctx c = { .timeout_ms = 1000 };
	char *copy = strdup(line), *argv[32], *save = NULL;
	int argc = 0, rc, out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
	FILE *null = fopen("/dev/null", "w");

	assert_non_null(copy);
	assert_non_null(null);
	for (char *t = strtok_r(copy, " ", &save); t != NULL && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(null), STDOUT_FILENO);
	dup2(fileno(null), STDERR_FILENO);
	rc = fn(&c, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	close(out);
	close(err);
	fclose(null);
	free(copy);
	ctl_free(&c);
	return rc;
}

#define USAGE(fn, line) assert_int_equal(run(fn, line), CTL_EXIT_USAGE)
#define PASSES(fn, line) assert_int_equal(run(fn, line), CTL_EXIT_UNREACHABLE)
#define HELP(fn, line) assert_int_equal(run(fn, line), CTL_EXIT_OK)

static void test_list_and_topology(void **state)
{
	(void)state;
	PASSES(ctl_cmd_list, "list");
	PASSES(ctl_cmd_list, "list -f json -e");
	PASSES(ctl_cmd_list, "list --format=yaml --watch 1 --count 1");
	USAGE(ctl_cmd_list, "list extra");
	USAGE(ctl_cmd_list, "list -f xml");
	USAGE(ctl_cmd_list, "list --watch 0");
	USAGE(ctl_cmd_list, "list --watch 2x");
	USAGE(ctl_cmd_list, "list --count 3");
	USAGE(ctl_cmd_list, "list --bogus");
	PASSES(ctl_cmd_topology, "topology -f table");
	USAGE(ctl_cmd_topology, "topology n1");
	HELP(ctl_cmd_list, "list --help");
}

static void test_switchover_failover(void **state)
{
	(void)state;
	PASSES(ctl_cmd_switchover, "switchover --force");
	PASSES(ctl_cmd_switchover, "switchover --leader a --candidate b --scheduled 2099-01-01T00:00:00+01:00");
	PASSES(ctl_cmd_switchover, "switchover --scheduled now");
	USAGE(ctl_cmd_switchover, "switchover --scheduled 2099-02-30T00:00:00Z");
	USAGE(ctl_cmd_switchover, "switchover --scheduled 2001-01-01T00:00:00Z"); /* past */
	USAGE(ctl_cmd_switchover, "switchover --scheduled tomorrow");
	USAGE(ctl_cmd_switchover, "switchover --leader a --candidate a");
	USAGE(ctl_cmd_switchover, "switchover b");
	PASSES(ctl_cmd_failover, "failover --candidate b --allow-data-loss --force");
	USAGE(ctl_cmd_failover, "failover"); /* no candidate and no terminal to ask on */
	USAGE(ctl_cmd_failover, "failover --force");
	USAGE(ctl_cmd_failover, "failover b");
	HELP(ctl_cmd_failover, "failover -h");
}

/* L8: fence-confirm MEMBER [--force]. */
static void test_fence_confirm_L8(void **state)
{
	(void)state;
	PASSES(ctl_cmd_fence_confirm, "fence-confirm n1 --force");
	PASSES(ctl_cmd_fence_confirm, "fence-confirm --force n1");
	PASSES(ctl_cmd_fence_confirm, "fence-confirm n1"); /* asks only after reading the record */
	USAGE(ctl_cmd_fence_confirm, "fence-confirm");
	USAGE(ctl_cmd_fence_confirm, "fence-confirm --force");
	USAGE(ctl_cmd_fence_confirm, "fence-confirm n1 n2");
	USAGE(ctl_cmd_fence_confirm, "fence-confirm n1 --bogus");
	USAGE(ctl_cmd_fence_confirm, "fence-confirm n1/x");
	HELP(ctl_cmd_fence_confirm, "fence-confirm --help");
}

static void test_member_actions(void **state)
{
	(void)state;
	PASSES(ctl_cmd_restart, "restart n1 n2 --pending --role replica");
	PASSES(ctl_cmd_restart, "restart --all --scheduled 2099-01-01T03:00:00Z");
	USAGE(ctl_cmd_restart, "restart");
	USAGE(ctl_cmd_restart, "restart --all n1");
	USAGE(ctl_cmd_restart, "restart n1 --role leader");
	USAGE(ctl_cmd_restart, "restart n1 --scheduled 2026-11-27T25:00:00Z");
	PASSES(ctl_cmd_reload, "reload");
	PASSES(ctl_cmd_reload, "reload n1 n2");
	USAGE(ctl_cmd_reload, "reload --now");
	PASSES(ctl_cmd_reinit, "reinit n2 --force");
	USAGE(ctl_cmd_reinit, "reinit");
	USAGE(ctl_cmd_reinit, "reinit n1 n2");
	PASSES(ctl_cmd_flush, "flush switchover");
	PASSES(ctl_cmd_flush, "flush restart n1");
	USAGE(ctl_cmd_flush, "flush");
	USAGE(ctl_cmd_flush, "flush everything");
	USAGE(ctl_cmd_flush, "flush restart --all");
}

static void test_config_and_info(void **state)
{
	(void)state;
	PASSES(ctl_cmd_show_config, "show-config -f json");
	USAGE(ctl_cmd_show_config, "show-config -f csv");
	PASSES(ctl_cmd_edit_config, "edit-config --set ttl=40 --set a.b=null --force");
	USAGE(ctl_cmd_edit_config, "edit-config --set ttl");
	USAGE(ctl_cmd_edit_config, "edit-config --set a..b=1");
	USAGE(ctl_cmd_edit_config, "edit-config --set ttl=1 --apply x.yaml");
	USAGE(ctl_cmd_edit_config, "edit-config extra");
	PASSES(ctl_cmd_pause, "pause --wait");
	USAGE(ctl_cmd_pause, "pause now");
	PASSES(ctl_cmd_resume, "resume");
	PASSES(ctl_cmd_history, "history -f yaml");
	USAGE(ctl_cmd_history, "history 3");
	PASSES(ctl_cmd_dsn, "dsn --role replica --dbname app --user u");
	USAGE(ctl_cmd_dsn, "dsn --role leader");
	USAGE(ctl_cmd_dsn, "dsn extra");
	PASSES(ctl_cmd_dsn, "dsn -f json");
	USAGE(ctl_cmd_dsn, "dsn -f html");
	/* version without any agent address prints pgquorumctl's only: 0 */
	assert_int_equal(run(ctl_cmd_version, "version -f json"), CTL_EXIT_OK);
	USAGE(ctl_cmd_version, "version --verbose");
}

static void test_members(void **state)
{
	(void)state;
	PASSES(ctl_cmd_members, "members add n4 --raft 127.0.0.1:7004 --api http://127.0.0.1:8004");
	PASSES(ctl_cmd_members, "members remove n4 --force");
	USAGE(ctl_cmd_members, "members");
	USAGE(ctl_cmd_members, "members list");
	USAGE(ctl_cmd_members, "members add n4");             /* no --raft */
	USAGE(ctl_cmd_members, "members add bad/name --raft h:1");
	USAGE(ctl_cmd_members, "members remove");
	USAGE(ctl_cmd_members, "members remove a b");
	/* Without --force and without a terminal, removal is refused (1) before
	 * anything is sent. */
	assert_int_equal(run(ctl_cmd_members, "members remove n4"), CTL_EXIT_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_and_topology),
		cmocka_unit_test(test_switchover_failover),
		cmocka_unit_test(test_fence_confirm_L8),
		cmocka_unit_test(test_member_actions),
		cmocka_unit_test(test_config_and_info),
		cmocka_unit_test(test_members),
	};
	/* The refusals tested depend on stdin not being a terminal, also when a
	 * person runs make check from one. */
	if (freopen("/dev/null", "r", stdin) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

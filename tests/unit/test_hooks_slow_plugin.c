/*
 * test_hooks_slow_plugin.c — a plugin whose on_start sleeps, for the tests
 * that check a slow plugin never stalls the agent's loop.
 *
 * PGQ_TEST_SLOW_PLUGIN_MS (read at load, default 600) is how long it sleeps;
 * every other callback returns 0 at once.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep under -std=c11 */
#endif
#include <pgquorum/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long sleep_ms = 600;

static int slow_init(void **state, char *msg, size_t msglen)
{
	const char *v = getenv("PGQ_TEST_SLOW_PLUGIN_MS");

	if (v != NULL)
		sleep_ms = strtol(v, NULL, 10);
	*state = NULL;
	return 0;
}

static int slow_on_start(void *state, const struct pgq_plugin_event *ev, char *msg, size_t msglen)
{
	struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
	snprintf(msg, msglen, "slept %ld ms", sleep_ms);
	return 0;
}

static const struct pgq_plugin slow_plugin = {
	.abi_version = PGQ_PLUGIN_ABI_VERSION,
	.name = "slow",
	.init = slow_init,
	.on_start = slow_on_start,
};

const struct pgq_plugin *pgquorum_plugin_init(void)
{
	return &slow_plugin;
}

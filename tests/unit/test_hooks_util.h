/*
 * test_hooks_util.h — a libuv loop for the hooks tests: a deadline so no
 * test can hang, a ticker that proves the loop kept running, and a copy of
 * the last hook result.
 */
#ifndef PGQ_TEST_HOOKS_UTIL_H
#define PGQ_TEST_HOOKS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "hooks/hooks.h"

#define HT_MAX_RESULTS 8

/* A copy of a pgq_hook_result that outlives the callback. */
struct ht_result {
	struct pgq_hook_result r;
	char exec_output[8192];
	char exec_error[256];
	char plugin_output[600];
	char plugin_error[256];
	uint64_t at_ms;          /* loop time since the fixture started */
	bool inside_run;         /* delivered while pgq_hooks_run() was on the stack */
};

struct ht {
	uv_loop_t loop;
	uv_timer_t deadline;
	uv_timer_t ticker;
	bool expired;
	uint64_t ticks;
	uint64_t start_ms;
	struct pgq_hooks *hooks;
	bool closed;
	struct ht_result results[HT_MAX_RESULTS];
	size_t n_results;
	bool in_run;
	char dir[256];           /* a fresh temporary directory */
};

/* Sets up the loop, a 10 s deadline, a 10 ms ticker and a hooks object. */
void ht_setup(struct ht *t, const struct pgq_hooks_options *options);
/* Closes the hooks (if not yet), every handle, the loop; removes the directory. */
void ht_teardown(struct ht *t);
/* The hook callback: records into t->results (arg is the struct ht). */
void ht_on_done(const struct pgq_hook_result *result, void *arg);
/* Run the loop until n results are in (or the deadline). Returns true when they are. */
bool ht_wait_results(struct ht *t, size_t n);
/* Run the loop for ms milliseconds. */
void ht_run_for(struct ht *t, uint64_t ms);
/* pgq_hooks_run with ht_on_done, asserting it started. */
void ht_run(struct ht *t, const struct pgq_plugin_event *event);
/* A file's whole content (NUL-terminated, caller frees), or NULL. */
char *ht_read_file(const char *path);
/* A configured exec hook from a NULL-terminated list. */
struct pgq_config_hook ht_exec_hook(char **argv, uint32_t timeout_ms);
/* A fence event with every field set. */
struct pgq_plugin_event ht_fence_event(void);
uint64_t ht_now_ms(struct ht *t);

#endif /* PGQ_TEST_HOOKS_UTIL_H */

/*
 * plugin_host.h — loading a hook plugin and calling it off the event loop.
 *
 * OWNER: hooks module (internal header).
 *
 * Each loaded plugin has one worker thread that runs its callbacks one at a
 * time, so a slow plugin never stalls the loop and a plugin never sees two
 * calls at once. Results come back on the loop through a uv_async handle.
 *
 * Threads cannot be killed. A call that overruns its timeout is abandoned
 * (pgq_plugin_host_abandon): its result will be dropped, and the plugin
 * answers "busy" until the call returns. Unloading (fini, dlclose) happens on
 * the worker thread once no call is running, so code is never unmapped under
 * a running callback; a call that never returns keeps the plugin loaded.
 */
#ifndef PGQ_HOOKS_PLUGIN_HOST_H
#define PGQ_HOOKS_PLUGIN_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "pgquorum/plugin.h"

struct pgq_plugin_host;
struct pgq_plugin_call;

#define PGQ_PLUGIN_MSG_MAX 512

/* What a finished call reports (valid during the callback only). */
struct pgq_plugin_call_result {
	int rc;                          /* the callback's return value */
	uint64_t run_ms;
	const char *msg;                 /* what it wrote in msg; "" when nothing */
};

typedef void (*pgq_plugin_call_done_cb)(const struct pgq_plugin_call_result *result, void *arg);

/*
 * dlopen `path`, find PGQ_PLUGIN_ENTRY, check the ABI version, run init,
 * start the worker and bind the result handle to `loop`. Returns 0 and *out,
 * or -1 with `err` naming the file and the reason (for an ABI mismatch both
 * versions).
 */
int pgq_plugin_host_load(uv_loop_t *loop, const char *path, struct pgq_plugin_host **out,
			 char *err, size_t errlen);

const char *pgq_plugin_host_path(const struct pgq_plugin_host *host);
const char *pgq_plugin_host_name(const struct pgq_plugin_host *host);

/*
 * Queue `event` (deep-copied) for the worker. `done` is called on the loop
 * when the callback returns, unless the call is abandoned first. Returns 0
 * and *call (a handle for pgq_plugin_host_abandon, valid until `done` or the
 * abandon), or -1 with `err` ("busy" while a call is running, out of memory).
 */
int pgq_plugin_host_call(struct pgq_plugin_host *host, const struct pgq_plugin_event *event,
			 pgq_plugin_call_done_cb done, void *arg, struct pgq_plugin_call **call,
			 char *err, size_t errlen);

/*
 * Give up on `call` (its timeout fired). Returns true when abandoned (`done`
 * will never be called), false when it has already finished (`done` is about
 * to be called: treat it as finished in time).
 */
bool pgq_plugin_host_abandon(struct pgq_plugin_host *host, struct pgq_plugin_call *call);

/*
 * Unload: abandon any call, close the loop handle (`closed` is called on the
 * loop when done, and the host pointer must not be used after this call),
 * and let the worker run fini and dlclose once no callback is running.
 */
void pgq_plugin_host_unload(struct pgq_plugin_host *host, void (*closed)(void *arg), void *arg);

/* Worker threads alive in the process. */
size_t pgq_plugin_host_live_workers(void);

#endif /* PGQ_HOOKS_PLUGIN_HOST_H */

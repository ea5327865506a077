/*
 * plugin_host.c — a dlopen'd plugin, its worker thread and its result handle.
 *
 * Shared state between the loop thread and the worker is guarded by one
 * mutex per plugin. The host is reference-counted: one reference for the
 * loop side (dropped when the uv_async handle has closed) and one for the
 * worker thread (dropped when it exits), so whichever finishes last frees it.
 * The worker thread is detached: nothing on the loop ever waits for it.
 */
#include "hooks/plugin_host.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/event.h"
#include "log.h"

struct pgq_plugin_call {
	struct pgq_plugin_call *next;      /* in the finished list */
	struct pgq_plugin_event event;     /* owned copy */
	pgq_plugin_call_done_cb done;
	void *arg;
	bool abandoned;                    /* result dropped; the worker frees it */
	int rc;
	uint64_t run_ms;
	char msg[PGQ_PLUGIN_MSG_MAX];
};

struct pgq_plugin_host {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	int refs;
	char *path;
	void *dl;
	const struct pgq_plugin *api;
	void *state;
	uv_async_t async;
	void (*closed)(void *arg);
	void *closed_arg;
	/* Guarded by mu: */
	struct pgq_plugin_call *pending;   /* queued for the worker */
	struct pgq_plugin_call *running;   /* inside the plugin */
	struct pgq_plugin_call *finished;  /* waiting for the loop (LIFO, short) */
	bool stop;                         /* unload once idle */
	bool loop_gone;                    /* async closing: never send to it */
};

static atomic_size_t live_workers;

size_t pgq_plugin_host_live_workers(void)
{
	return atomic_load(&live_workers);
}

static void call_free(struct pgq_plugin_call *call)
{
	pgq_hook_event_free(&call->event);
	free(call);
}

/* Drops one reference; the last one frees the host. Called without mu held. */
static void host_unref(struct pgq_plugin_host *host)
{
	int left;

	pthread_mutex_lock(&host->mu);
	left = --host->refs;
	pthread_mutex_unlock(&host->mu);
	if (left > 0)
		return;
	pthread_mutex_destroy(&host->mu);
	pthread_cond_destroy(&host->wake);
	free(host->path);
	free(host);
}

static pgq_plugin_event_fn callback_of(const struct pgq_plugin *api, int event)
{
	switch ((enum pgq_plugin_event_kind)event) {
	case PGQ_PLUGIN_EVENT_ON_START: return api->on_start;
	case PGQ_PLUGIN_EVENT_ON_STOP: return api->on_stop;
	case PGQ_PLUGIN_EVENT_ON_RESTART: return api->on_restart;
	case PGQ_PLUGIN_EVENT_ON_RELOAD: return api->on_reload;
	case PGQ_PLUGIN_EVENT_ON_ROLE_CHANGE: return api->on_role_change;
	case PGQ_PLUGIN_EVENT_PRE_PROMOTE: return api->pre_promote;
	case PGQ_PLUGIN_EVENT_POST_PROMOTE: return api->post_promote;
	case PGQ_PLUGIN_EVENT_FENCE: return api->fence;
	case PGQ_PLUGIN_EVENT_UNFENCE: return api->unfence;
	case PGQ_PLUGIN_EVENT_ON_DEMOTE: return api->on_demote;
	case PGQ_PLUGIN_EVENT__COUNT: break;
	}
	return NULL;
}

static void run_call(struct pgq_plugin_host *host, struct pgq_plugin_call *call)
{
	pgq_plugin_event_fn fn = callback_of(host->api, call->event.event);
	uint64_t start_ns = uv_hrtime();

	call->msg[0] = '\0';
	call->rc = fn != NULL ? fn(host->state, &call->event, call->msg, sizeof(call->msg)) : 0;
	call->msg[sizeof(call->msg) - 1] = '\0';
	call->run_ms = (uv_hrtime() - start_ns) / 1000000u;
}

static void *worker_main(void *arg)
{
	struct pgq_plugin_host *host = arg;

	pthread_mutex_lock(&host->mu);
	for (;;) {
		struct pgq_plugin_call *call;

		while (host->pending == NULL && !host->stop)
			pthread_cond_wait(&host->wake, &host->mu);
		if (host->pending == NULL)
			break; /* stop, and idle */
		call = host->pending;
		host->pending = NULL;
		host->running = call;
		pthread_mutex_unlock(&host->mu);

		run_call(host, call);

		pthread_mutex_lock(&host->mu);
		host->running = NULL;
		if (call->abandoned || host->loop_gone) {
			call_free(call);
		} else {
			call->next = host->finished;
			host->finished = call;
			uv_async_send(&host->async);
		}
	}
	pthread_mutex_unlock(&host->mu);

	/* No callback is running and none will: release the plugin's code. */
	if (host->api->fini != NULL)
		host->api->fini(host->state);
	dlclose(host->dl);
	atomic_fetch_sub(&live_workers, 1);
	host_unref(host);
	return NULL;
}

/* On the loop: deliver every finished call, oldest first. */
static void on_async(uv_async_t *async)
{
	struct pgq_plugin_host *host = async->data;
	struct pgq_plugin_call *list, *ordered = NULL;

	pthread_mutex_lock(&host->mu);
	list = host->finished;
	host->finished = NULL;
	pthread_mutex_unlock(&host->mu);
	while (list != NULL) { /* reverse the LIFO */
		struct pgq_plugin_call *next = list->next;

		list->next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered != NULL) {
		struct pgq_plugin_call *call = ordered;
		struct pgq_plugin_call_result result = {call->rc, call->run_ms, call->msg};

		ordered = call->next;
		call->done(&result, call->arg);
		call_free(call);
	}
}

static int open_plugin(const char *path, void **dl, const struct pgq_plugin **api,
		       char *err, size_t errlen)
{
	const struct pgq_plugin *(*entry)(void);
	const char *dlerr;

	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*dl == NULL) {
		dlerr = dlerror();
		snprintf(err, errlen, "could not load plugin \"%s\": %s", path,
			 dlerr != NULL ? dlerr : "unknown error");
		return -1;
	}
	dlerror();
	*(void **)&entry = dlsym(*dl, PGQ_PLUGIN_ENTRY);
	if (entry == NULL) {
		snprintf(err, errlen, "plugin \"%s\" does not export %s()", path, PGQ_PLUGIN_ENTRY);
		goto fail;
	}
	*api = entry();
	if (*api == NULL) {
		snprintf(err, errlen, "plugin \"%s\": %s() returned no plugin", path, PGQ_PLUGIN_ENTRY);
		goto fail;
	}
	/* Nothing else in the struct is read before this check. */
	if ((*api)->abi_version != PGQ_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen,
			 "plugin \"%s\" was built for plugin ABI version %u, but this agent "
			 "speaks version %u; rebuild it against this pgquorum's <pgquorum/plugin.h>",
			 path, (*api)->abi_version, PGQ_PLUGIN_ABI_VERSION);
		goto fail;
	}
	if ((*api)->name == NULL) {
		snprintf(err, errlen, "plugin \"%s\" has no name", path);
		goto fail;
	}
	return 0;
fail:
	dlclose(*dl);
	*dl = NULL;
	return -1;
}

int pgq_plugin_host_load(uv_loop_t *loop, const char *path, struct pgq_plugin_host **out,
			 char *err, size_t errlen)
{
	struct pgq_plugin_host *host;
	pthread_t thread;
	char msg[PGQ_PLUGIN_MSG_MAX] = "";
	int rc;

	host = calloc(1, sizeof(*host));
	if (host == NULL || (host->path = strdup(path)) == NULL) {
		free(host);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (open_plugin(path, &host->dl, &host->api, err, errlen) != 0) {
		free(host->path);
		free(host);
		return -1;
	}
	if (host->api->init != NULL && host->api->init(&host->state, msg, sizeof(msg)) != 0) {
		msg[sizeof(msg) - 1] = '\0';
		snprintf(err, errlen, "plugin \"%s\" (%s) refused to start: %s", path,
			 host->api->name, msg[0] != '\0' ? msg : "init failed");
		dlclose(host->dl);
		free(host->path);
		free(host);
		return -1;
	}
	pthread_mutex_init(&host->mu, NULL);
	pthread_cond_init(&host->wake, NULL);
	host->refs = 2; /* the loop side and the worker */
	uv_async_init(loop, &host->async, on_async);
	host->async.data = host;
	atomic_fetch_add(&live_workers, 1);
	rc = pthread_create(&thread, NULL, worker_main, host);
	if (rc != 0) {
		atomic_fetch_sub(&live_workers, 1);
		snprintf(err, errlen, "plugin \"%s\": could not start its thread: %s", path,
			 strerror(rc));
		host->refs = 1;
		if (host->api->fini != NULL)
			host->api->fini(host->state);
		dlclose(host->dl);
		pgq_plugin_host_unload(host, NULL, NULL);
		return -1;
	}
	pthread_detach(thread);
	pgq_info("hooks", "plugin loaded name=%s path=\"%s\" abi=%u", host->api->name, path,
		 PGQ_PLUGIN_ABI_VERSION);
	*out = host;
	return 0;
}

const char *pgq_plugin_host_path(const struct pgq_plugin_host *host) { return host->path; }
const char *pgq_plugin_host_name(const struct pgq_plugin_host *host) { return host->api->name; }

int pgq_plugin_host_call(struct pgq_plugin_host *host, const struct pgq_plugin_event *event,
			 pgq_plugin_call_done_cb done, void *arg, struct pgq_plugin_call **out,
			 char *err, size_t errlen)
{
	struct pgq_plugin_call *call = calloc(1, sizeof(*call));

	if (call == NULL || pgq_hook_event_copy(&call->event, event) != 0) {
		free(call);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	call->done = done;
	call->arg = arg;
	pthread_mutex_lock(&host->mu);
	if (host->pending != NULL || host->running != NULL) {
		pthread_mutex_unlock(&host->mu);
		snprintf(err, errlen, "plugin \"%s\" is busy: an earlier call has not returned",
			 host->path);
		call_free(call);
		return -1;
	}
	host->pending = call;
	pthread_cond_signal(&host->wake);
	pthread_mutex_unlock(&host->mu);
	*out = call;
	return 0;
}

bool pgq_plugin_host_abandon(struct pgq_plugin_host *host, struct pgq_plugin_call *call)
{
	bool abandoned = true;

	pthread_mutex_lock(&host->mu);
	if (host->pending == call) {
		host->pending = NULL;
		call_free(call);
	} else if (host->running == call) {
		call->abandoned = true; /* the worker frees it when it returns */
	} else {
		abandoned = false; /* in `finished`: on_async delivers it */
	}
	pthread_mutex_unlock(&host->mu);
	return abandoned;
}

static void on_async_closed(uv_handle_t *handle)
{
	struct pgq_plugin_host *host = handle->data;
	void (*closed)(void *) = host->closed;
	void *arg = host->closed_arg;

	host_unref(host);
	if (closed != NULL)
		closed(arg);
}

void pgq_plugin_host_unload(struct pgq_plugin_host *host, void (*closed)(void *arg), void *arg)
{
	struct pgq_plugin_call *list;

	pthread_mutex_lock(&host->mu);
	host->stop = true;
	host->loop_gone = true;
	if (host->pending != NULL) {
		call_free(host->pending);
		host->pending = NULL;
	}
	if (host->running != NULL)
		host->running->abandoned = true;
	list = host->finished;
	host->finished = NULL;
	pthread_cond_signal(&host->wake);
	pthread_mutex_unlock(&host->mu);
	while (list != NULL) {
		struct pgq_plugin_call *next = list->next;

		call_free(list);
		list = next;
	}
	host->closed = closed;
	host->closed_arg = arg;
	uv_close((uv_handle_t *)&host->async, on_async_closed);
}

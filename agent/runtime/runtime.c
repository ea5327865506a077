/*
 * runtime.c — the agent's one libuv loop: signals, timers, start and stop.
 *
 * Everything the agent does happens on this loop's thread; only three kinds
 * of work leave it: Raft persistence (libuv thread pool, node.c), the REST
 * server's HTTP threads (rest.c, which talk to the loop through a
 * uv_async_t) and forwarded member reports (thread pool, status.c).
 *
 * SIGHUP (and POST /reload) re-reads the configuration file. What changes
 * without restart: log.level, log.file (and the file is reopened for
 * logrotate), tags (the HA driver publishes them to the record,
 * ha_driver.c), postgresql.parameters (PostgreSQL is reloaded). Everything
 * else (addresses, data_dir, peers, timings) needs a restart; a reload that
 * changes those logs which keys it ignored. An invalid file is refused and
 * the running configuration kept.
 */
#include "runtime/runtime.h"

#include "log.h"
#include "runtime/ha_driver.h"
#include "runtime/runtime_internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t rt_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void stop_loop_handles(struct pgq_runtime *rt);

static void on_transport_closed(void *ctx)
{
	(void)ctx;
}

/* Begin a clean shutdown: everything closes, uv_run returns when all is freed. */
static void shutdown_agent(struct pgq_runtime *rt, int exit_code)
{
	if (rt->phase == PHASE_STOPPING)
		return;
	rt->phase = PHASE_STOPPING;
	rt->exit_code = exit_code;
	{
		char err[160];
		if (pgq_notify_stopping(&rt->notify, err, sizeof err) < 0)
			pgq_warning("agent", "%s", err);
	}
	rt_pending_expire(rt, true);
	rt_metrics_stop(rt);
	stop_loop_handles(rt);
	rt_ha_stop(rt);
	if (rt->rest != NULL) {
		pgq_rest_stop(rt->rest);
		rt->rest = NULL;
	}
	if (rt->node != NULL) {
		pgq_node_stop(rt->node); /* closes the storage too */
		rt->node = NULL;
	}
	if (rt->storage != NULL) {
		pgq_storage_close(rt->storage);
		rt->storage = NULL;
	}
	if (rt->transport != NULL) {
		pgq_transport_close(rt->transport, on_transport_closed);
		rt->transport = NULL;
	}
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
	struct pgq_runtime *rt = h->data;

	pgq_info("agent", "received %s: shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	shutdown_agent(rt, 0);
}

static void reload_config(struct pgq_runtime *rt)
{
	struct pgq_config *fresh = NULL;
	char err[256];

	if (pgq_config_load(rt->config_path, &fresh, NULL) != 0 || fresh == NULL) {
		pgq_error("agent", "reload refused: \"%s\" is invalid (run pgquorum --validate-config); keeping the running configuration",
			  rt->config_path);
		return;
	}
	pgq_log_set_level(fresh->log.level);
	if ((fresh->log.file == NULL) != (rt->cfg->log.file == NULL) ||
	    (fresh->log.file != NULL && strcmp(fresh->log.file, rt->cfg->log.file) != 0)) {
		if (pgq_log_set_file(fresh->log.file, err, sizeof err) != 0)
			pgq_error("agent", "%s", err);
	}
	if (strcmp(fresh->name, rt->cfg->name) != 0 || strcmp(fresh->scope, rt->cfg->scope) != 0 ||
	    strcmp(fresh->raft.data_dir, rt->cfg->raft.data_dir) != 0 ||
	    strcmp(fresh->raft.listen.text, rt->cfg->raft.listen.text) != 0 ||
	    strcmp(fresh->restapi.listen.text, rt->cfg->restapi.listen.text) != 0 ||
	    fresh->raft.n_peers != rt->cfg->raft.n_peers ||
	    fresh->raft.election_timeout_ms != rt->cfg->raft.election_timeout_ms ||
	    fresh->raft.heartbeat_ms != rt->cfg->raft.heartbeat_ms)
		pgq_warning("agent", "reload: name, scope, raft.* and restapi.listen changes need a restart; they were ignored");
	/* TLS: a new certificate and key serve from the next handshake; a bad file changes nothing. */
	if (rt->rest != NULL && fresh->restapi.certfile != NULL && rt->cfg->restapi.certfile != NULL) {
		struct pgq_rest_tls_files tls = rt_rest_tls_files(fresh);

		if (pgq_rest_reload_tls(rt->rest, &tls, err, sizeof err) != 0)
			pgq_error("agent", "reload: %s; the REST API keeps its current certificate", err);
		else
			pgq_info("agent", "reload: REST API certificate \"%s\" loaded", tls.certfile);
	}
	if ((fresh->restapi.certfile == NULL) != (rt->cfg->restapi.certfile == NULL) ||
	    fresh->restapi.verify_client != rt->cfg->restapi.verify_client ||
	    (fresh->restapi.cafile == NULL) != (rt->cfg->restapi.cafile == NULL) ||
	    (fresh->restapi.cafile != NULL && strcmp(fresh->restapi.cafile, rt->cfg->restapi.cafile) != 0))
		pgq_warning("agent", "reload: turning restapi TLS on or off, restapi.cafile and restapi.verify_client need a restart; they were ignored");
	/* Keep what the running modules were built from; take the reloadable parts only. */
	rt->cfg->log.level = fresh->log.level;
	/* This member's postgresql.parameters: rendered into pgquorum.conf at the next write. */
	{
		struct pgq_config_kv *kv = rt->cfg->postgresql.parameters;
		size_t n = rt->cfg->postgresql.n_parameters;

		rt->cfg->postgresql.parameters = fresh->postgresql.parameters;
		rt->cfg->postgresql.n_parameters = fresh->postgresql.n_parameters;
		fresh->postgresql.parameters = kv;
		fresh->postgresql.n_parameters = n;
	}
	{
		char *tmp = rt->cfg->log.file;
		rt->cfg->log.file = fresh->log.file;
		fresh->log.file = tmp;
	}
	{
		/* R4: the HA driver sees the new tags and records them (member_update). */
		struct pgq_config_tags tmp = rt->cfg->tags;
		rt->cfg->tags = fresh->tags;
		fresh->tags = tmp;
	}
	pgq_config_free(fresh);
	pgq_info("agent", "configuration reloaded from \"%s\"", rt->config_path);
}

void rt_reload(struct pgq_runtime *rt, const char *reason)
{
	char err[256];

	if (pgq_notify_reloading(&rt->notify, err, sizeof err) < 0)
		pgq_warning("agent", "%s", err);
	reload_config(rt);
	if (pgq_log_reopen(err, sizeof err) != 0)
		pgq_error("agent", "%s", err);
	/* PostgreSQL too: pgquorum.conf rewritten and reloaded, then on_reload. */
	rt_ha_reload(rt, reason);
	rt->notified_ready = false; /* READY=1 again ends the reload */
	rt_notify_status(rt);
}

static void on_hup(uv_signal_t *h, int signum)
{
	(void)signum;
	rt_reload(h->data, "sighup");
}

/*
 * systemd's READY=1 (issue 6): once this agent has joined the cluster and
 * knows its role in it — a Raft leader is known, the record exists and names
 * this member. Before that only STATUS= lines go out (the unit sets
 * TimeoutStartSec=infinity: a founder may wait long for its peers).
 */
static bool joined_with_role(const struct pgq_runtime *rt)
{
	const struct raft_node *n;

	if (rt->node == NULL || rt->phase != PHASE_RUNNING)
		return false;
	n = pgq_node_raft(rt->node);
	return raft_leader(n) != RAFT_NONE && pgq_record_bootstrapped(rt->record) &&
	       pgq_record_member_by_name(rt->record, rt->cfg->name) != NULL;
}

void rt_notify_status(struct pgq_runtime *rt)
{
	const char *role = rt->phase == PHASE_PROBING ? "probing" : "none";
	char err[160];
	int rc;

	const char *primary = NULL;

	if (rt->node != NULL)
		role = raft_role_name(raft_role(pgq_node_raft(rt->node)));
	/* Managed: PostgreSQL's role and the recorded primary; unmanaged: no primary. */
	if (rt->ha != NULL && rt->node != NULL) {
		role = rt_ha_role(rt);
		if (pgq_record_primary(rt->record)->name[0] != '\0')
			primary = pgq_record_primary(rt->record)->name;
	}
	if (!rt->notified_ready && joined_with_role(rt)) {
		rc = pgq_notify_ready(&rt->notify, role, primary, err, sizeof err);
		rt->notified_ready = rc >= 0;
	} else {
		rc = pgq_notify_status(&rt->notify, role, primary, err, sizeof err);
	}
	if (rc < 0)
		pgq_warning("agent", "%s", err);
}

static void on_tick(uv_timer_t *t)
{
	struct pgq_runtime *rt = t->data;

	if (rt->rest != NULL)
		pgq_rest_beat(rt->rest);
	/* The loop is alive: systemd's watchdog (WatchdogSec) is petted from here. */
	if (rt->watchdog_interval_ms != 0 &&
	    rt_now_ms() - rt->last_watchdog_ms >= rt->watchdog_interval_ms) {
		char err[160];
		rt->last_watchdog_ms = rt_now_ms();
		if (pgq_notify_watchdog(&rt->notify, err, sizeof err) < 0)
			pgq_warning("agent", "%s", err);
	}
	if (rt->phase != PHASE_RUNNING || rt->node == NULL)
		return;
	if (!rt->notified_ready && rt->notify.enabled && joined_with_role(rt))
		rt_notify_status(rt);
	pgq_node_tick(rt->node);
	rt_api_primary_change_poll(rt);
	rt_pending_expire(rt, false);
	if (rt->view_dirty && rt->phase == PHASE_RUNNING)
		rt_publish(rt);
}

static void on_report_timer(uv_timer_t *t)
{
	struct pgq_runtime *rt = t->data;

	if (rt->phase != PHASE_RUNNING || rt->node == NULL)
		return;
	rt_report(rt);
	rt_reconcile(rt);
	rt_metrics_poll(rt);
	rt_publish(rt);
}

static void close_handle(uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, NULL);
}

static void stop_loop_handles(struct pgq_runtime *rt)
{
	close_handle((uv_handle_t *)&rt->sig_term);
	close_handle((uv_handle_t *)&rt->sig_int);
	close_handle((uv_handle_t *)&rt->sig_hup);
	close_handle((uv_handle_t *)&rt->tick_timer);
	close_handle((uv_handle_t *)&rt->report_timer);
	close_handle((uv_handle_t *)&rt->probe_timer);
}

/* Fatal callback of the node: storage failed, stop with exit status 1. */
static void on_fatal(struct pgq_runtime *rt, const char *message)
{
	pgq_error("agent", "%s; stopping", message);
	snprintf(rt->fatal, sizeof rt->fatal, "%s", message);
	shutdown_agent(rt, 1);
}

void pgq_runtime_fatal(struct pgq_runtime *rt, const char *message)
{
	on_fatal(rt, message);
}

static int start_handles(struct pgq_runtime *rt, char *err, size_t errlen)
{
	uint32_t loop_wait = rt->cfg->bootstrap.dcs.loop_wait_ms;

	uv_signal_init(&rt->loop, &rt->sig_term);
	uv_signal_init(&rt->loop, &rt->sig_int);
	uv_signal_init(&rt->loop, &rt->sig_hup);
	rt->sig_term.data = rt->sig_int.data = rt->sig_hup.data = rt;
	if (uv_signal_start(&rt->sig_term, on_stop_signal, SIGTERM) != 0 ||
	    uv_signal_start(&rt->sig_int, on_stop_signal, SIGINT) != 0 ||
	    uv_signal_start(&rt->sig_hup, on_hup, SIGHUP) != 0) {
		snprintf(err, errlen, "could not install signal handlers");
		return -1;
	}
	uv_timer_init(&rt->loop, &rt->tick_timer);
	uv_timer_init(&rt->loop, &rt->report_timer);
	uv_timer_init(&rt->loop, &rt->probe_timer);
	rt->tick_timer.data = rt->report_timer.data = rt->probe_timer.data = rt;
	uv_timer_start(&rt->tick_timer, on_tick, rt->tick_ms, rt->tick_ms);
	if (loop_wait == 0)
		loop_wait = 10000;
	uv_timer_start(&rt->report_timer, on_report_timer, loop_wait, loop_wait);
	return 0;
}

struct pgq_rest_tls_files rt_rest_tls_files(const struct pgq_config *cfg)
{
	const struct pgq_config_restapi *api = &cfg->restapi;
	struct pgq_rest_tls_files f = {
		.certfile = api->certfile,
		.keyfile = api->keyfile,
		.keyfile_password = api->keyfile_password,
		.cafile = api->cafile,
		.verify_client = api->verify_client == PGQ_VERIFY_CLIENT_REQUIRED ? PGQ_REST_VERIFY_REQUIRED
				 : api->verify_client == PGQ_VERIFY_CLIENT_OPTIONAL ? PGQ_REST_VERIFY_OPTIONAL
				 : PGQ_REST_VERIFY_NONE,
	};
	return f;
}

static int start_rest(struct pgq_runtime *rt, char *err, size_t errlen)
{
	const struct pgq_config_restapi *api = &rt->cfg->restapi;
	struct pgq_rest_cidr allow[64];
	size_t n_allow = 0;
	int rc;

	if (api->n_allowlist > sizeof allow / sizeof allow[0]) {
		snprintf(err, errlen, "restapi.allowlist: at most %zu entries are supported",
			 sizeof allow / sizeof allow[0]);
		return -1;
	}
	for (size_t i = 0; i < api->n_allowlist; i++) {
		allow[n_allow].family = api->allowlist[i].family;
		memcpy(allow[n_allow].addr, api->allowlist[i].addr, sizeof allow[n_allow].addr);
		allow[n_allow].prefix_len = api->allowlist[i].prefix_len;
		n_allow++;
	}
	struct pgq_rest_options o = {
		.listen_address = api->listen.host,
		.port = api->listen.port,
		.max_body_bytes = api->max_body_bytes != 0 ? (size_t)api->max_body_bytes : 65536,
		/* The loop answers waiting writes within 8 s (api.c); 10 s is a backstop. */
		.call_timeout_ms = 10000,
		.restart_timeout_ms = 120000, /* ha_member_ops.c answers within 110 s */
		/* restapi.request_timeout: the time a client has to send its request. */
		.connection_timeout_s = api->request_timeout_ms >= 1000 ? api->request_timeout_ms / 1000 : 1,
		.liveness_max_age_ms = 5u * rt->tick_ms + 2000u,
		.max_connections = api->max_connections != 0 ? api->max_connections : 64,
		.test_hooks = rt->test_hooks,
		.auth_username = api->authentication.username,
		.auth_password = api->authentication.password,
		.allow = allow,
		.n_allow = n_allow,
		.tls = rt_rest_tls_files(rt->cfg),
	};

	rc = pgq_rest_start(&rt->loop, &o, rt_on_call, rt, &rt->rest, err, errlen);
	if (rc != 0)
		return -1;
	pgq_rest_beat(rt->rest);
	return 0;
}

int pgq_runtime_run(const char *config_path, struct pgq_config *config, char *err, size_t errlen)
{
	struct pgq_runtime *rt;
	const char *hooks = getenv("PGQUORUM_TEST_HOOKS");
	int rc;

	/* Before any thread: the leader-forwarding workers use libcurl (status.c). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		pgq_config_free(config);
		snprintf(err, errlen, "could not initialise libcurl");
		return 1;
	}
	rt = calloc(1, sizeof *rt);
	if (rt == NULL) {
		pgq_config_free(config);
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	rt->config_path = config_path;
	rt->cfg = config;
	rt->metrics.primaries_observed = -1;
	rt->test_hooks = hooks != NULL && strcmp(hooks, "1") == 0;
	rt->tick_ms = config->raft.heartbeat_ms != 0 ? config->raft.heartbeat_ms : 100;
	pgq_notify_init(&rt->notify);
	rt->watchdog_interval_ms = pgq_notify_watchdog_interval_ms(&rt->notify);
	rt->last_role = RAFT_FOLLOWER;
	if (uv_loop_init(&rt->loop) != 0) {
		pgq_config_free(config);
		free(rt);
		curl_global_cleanup();
		snprintf(err, errlen, "could not create the event loop");
		return 1;
	}
	rt->record = pgq_record_new();
	if (rt->record == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	} else if ((rc = start_handles(rt, err, errlen)) == 0 &&
		   (rc = start_rest(rt, err, errlen)) == 0) {
		if (rt->test_hooks)
			pgq_warning("agent", "PGQUORUM_TEST_HOOKS=1: test-only REST endpoints are enabled");
		rc = rt_start(rt, err, errlen);
		if (rc == 0 && rt->cfg->postgresql.manage)
			rc = rt_ha_start(rt, err, errlen);
	}
	if (rc != 0) {
		shutdown_agent(rt, 1);
		rt->exit_code = 1;
	} else {
		rt_publish(rt);
		/* STATUS= says the phase; READY=1 follows once joined (joined_with_role). */
		rt_notify_status(rt);
		pgq_info("agent", "started name=%s id=%llu raft=%s rest=%s", rt->cfg->name,
			 (unsigned long long)rt->self_id, rt->cfg->raft.listen.text,
			 rt->cfg->restapi.listen.text);
	}

	uv_run(&rt->loop, UV_RUN_DEFAULT);
	/* Everything closed: the loop has no handle left. */
	rc = uv_loop_close(&rt->loop);
	if (rc != 0)
		pgq_warning("agent", "event loop closed with handles left: %s", uv_strerror(rc));
	if (rt->exit_code != 0 && rt->fatal[0] != '\0')
		snprintf(err, errlen, "%s", rt->fatal);
	rc = rt->exit_code;
	rt_ha_free(rt);
	pgq_record_free(rt->record);
	free(rt->test_seqs);
	pgq_config_free(rt->cfg);
	free(rt);
	if (rc == 0)
		pgq_info("agent", "stopped");
	curl_global_cleanup();
	return rc;
}

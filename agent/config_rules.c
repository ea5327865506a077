/*
 * config_rules.c — rules that span several keys, checked after the schema
 * walk: this member among raft.peers, timing rule L2 (SAFETY.md), Raft
 * timers, synchronous standby count, connect addresses, TLS pairs, data
 * directories, hook commands, the watchdog margin.
 *
 * Each problem points at the key that breaks the rule, found through the
 * keys the walk met (cfg_seen_find); a rule broken by defaults alone points
 * at the nearest key the file does have.
 */
#include "config_schema.h"
#include "config_values.h"

#include <stdio.h>
#include <string.h>

static void check_membership(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	char names[256] = "";
	size_t used = 0;

	if (cfg->name == NULL || cfg->raft.peers == NULL)
		return;
	if (pgq_config_find_peer(cfg, cfg->name) != NULL)
		return;
	for (size_t i = 0; i < cfg->raft.n_peers; i++) {
		int n;

		if (cfg->raft.peers[i].name == NULL)
			continue;
		n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", cfg->raft.peers[i].name);
		if (n < 0 || (size_t)n >= sizeof(names) - used)
			break;
		used += (size_t)n;
	}
	cfg_problem(c, cfg_value_at(c, "name"), "name: '%s' is not among raft.peers (members: %s)", cfg->name, names);
}

/* Timers that must come in order: heartbeats inside an election timeout, kill after stop. */
static void check_timer_order(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;
	const char *at;

	if (cfg->raft.heartbeat_ms >= cfg->raft.election_timeout_ms) {
		at = cfg_seen_find(c, "raft.heartbeat_ms") ? "raft.heartbeat_ms" : "raft.election_timeout_ms";
		cfg_problem(c, cfg_value_at(c, at), "raft.heartbeat_ms (%u) must be below raft.election_timeout_ms (%u)",
			    cfg->raft.heartbeat_ms, cfg->raft.election_timeout_ms);
	}
	if (dcs->kill_budget_ms >= dcs->stop_budget_ms) {
		at = cfg_seen_find(c, "bootstrap.dcs.kill_budget_ms") ? "bootstrap.dcs.kill_budget_ms"
								      : "bootstrap.dcs.stop_budget_ms";
		cfg_problem(c, cfg_value_at(c, at),
			    "bootstrap.dcs.kill_budget_ms (%u) must be below bootstrap.dcs.stop_budget_ms (%u): "
			    "the immediate stop comes after the fast stop (SAFETY.md S5)",
			    dcs->kill_budget_ms, dcs->stop_budget_ms);
	}
}

/*
 * SAFETY.md L2: the lease must outlast a renewal period, two elections, a
 * commit and a self-fence. Reported at ttl, or at the first term the file sets.
 */
static void check_timing(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;
	uint64_t need = pgq_config_min_ttl_ms(cfg);
	static const char *const terms[] = {
		"bootstrap.dcs.ttl", "bootstrap.dcs.loop_wait", "raft.election_timeout_ms",
		"bootstrap.dcs.commit_p99_ms", "bootstrap.dcs.stop_budget_ms", "bootstrap.dcs.kill_budget_ms",
		"bootstrap.dcs.drift_floor_ms",
	};
	const struct pgq_ynode *at = NULL;
	char ttl[32], need_text[32];

	if (dcs->ttl_ms >= need)
		return;
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]) && at == NULL; i++) {
		const struct cfg_seen *s = cfg_seen_find(c, terms[i]);

		if (s != NULL)
			at = s->value;
	}
	if (at == NULL)
		at = c->root;
	pgq_format_duration(dcs->ttl_ms, ttl, sizeof(ttl));
	pgq_format_duration(need, need_text, sizeof(need_text));
	cfg_problem(c, at,
		"bootstrap.dcs.ttl: %s is too short for the timing rule L2: ttl >= loop_wait + 2 x election_timeout_max"
		" + commit_p99 + stop_budget + kill_budget + drift_floor = %u + 2 x %u + %u + %u + %u + %u = %s;"
		" raise ttl or lower loop_wait",
		ttl, dcs->loop_wait_ms, 2 * cfg->raft.election_timeout_ms, dcs->commit_p99_ms, dcs->stop_budget_ms,
		dcs->kill_budget_ms, dcs->drift_floor_ms, need_text);
}

static void check_sync(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;

	if (dcs->synchronous_mode == PGQ_SYNC_OFF || cfg->raft.n_peers == 0)
		return;
	if (dcs->synchronous_node_count > cfg->raft.n_peers - 1)
		cfg_problem(c, cfg_value_at(c, cfg_seen_find(c, "bootstrap.dcs.synchronous_node_count")
					       ? "bootstrap.dcs.synchronous_node_count"
					       : "bootstrap.dcs.synchronous_mode"),
			"bootstrap.dcs.synchronous_node_count: %u synchronous standbys need at least %u members, "
			"raft.peers has %zu",
			dcs->synchronous_node_count, dcs->synchronous_node_count + 1, cfg->raft.n_peers);
}

/* connect_address defaults to listen; a wildcard listen needs an explicit one. */
static void check_connect_address(struct cfg_ctx *c, const char *section, struct pgq_hostport *listen,
				  struct pgq_hostport *connect)
{
	char listen_path[64], connect_path[64];

	snprintf(listen_path, sizeof(listen_path), "%s.listen", section);
	snprintf(connect_path, sizeof(connect_path), "%s.connect_address", section);
	if (connect->text != NULL) {
		if (pgq_hostport_is_wildcard(connect))
			cfg_problem(c, cfg_value_at(c, connect_path),
				"%s: '%s' is a wildcard address; give an address other members can connect to",
				connect_path, connect->text);
		return;
	}
	if (listen->text == NULL)
		return;
	if (pgq_hostport_is_wildcard(listen)) {
		cfg_problem(c, cfg_value_at(c, cfg_seen_find(c, listen_path) ? listen_path : section),
			"%s: '%s' listens on every address, so %s is required", listen_path, listen->text,
			connect_path);
		return;
	}
	if (pgq_hostport_copy(connect, listen) != 0)
		cfg_oom(c);
}

static void check_restapi(struct cfg_ctx *c)
{
	const struct pgq_config_restapi *api = &c->cfg->restapi;

	if ((api->certfile != NULL) != (api->keyfile != NULL)) {
		const char *set = api->certfile != NULL ? "certfile" : "keyfile";
		const char *unset = api->certfile != NULL ? "keyfile" : "certfile";
		char path[64];

		snprintf(path, sizeof(path), "restapi.%s", set);
		cfg_problem(c, cfg_value_at(c, path), "restapi.%s is set but restapi.%s is not: TLS needs both", set, unset);
	}
	if (api->keyfile_password != NULL && api->keyfile == NULL)
		cfg_problem(c, cfg_value_at(c, "restapi.keyfile_password"),
			"restapi.keyfile_password is set but restapi.keyfile is not");
	if (api->verify_client != PGQ_VERIFY_CLIENT_NONE && (api->cafile == NULL || api->certfile == NULL))
		cfg_problem(c, cfg_value_at(c, "restapi.verify_client"),
			"restapi.verify_client: client certificates need TLS (certfile, keyfile) and restapi.cafile");
}

/* Is `inner` the same directory as `outer` or below it? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	while (n > 1 && outer[n - 1] == '/')
		n--;
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static void check_postgresql(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_postgresql *pg = &cfg->postgresql;
	const struct cfg_seen *section = cfg_seen_find(c, "postgresql");
	const struct cfg_seen *reclone = cfg_seen_find(c, "postgresql.reclone_on_rewind_failure");
	const struct cfg_seen *remove = cfg_seen_find(c, "postgresql.remove_data_directory_on_rewind_failure");

	if (reclone != NULL && remove != NULL) {
		const struct cfg_seen *second = reclone->key->line > remove->key->line ? reclone : remove;

		cfg_problem(c, second->key,
			    "postgresql: set only one of reclone_on_rewind_failure and "
			    "remove_data_directory_on_rewind_failure (the same setting)");
	}
	if (!pg->manage)
		return;
	if (pg->data_dir == NULL) {
		if (section != NULL && section->value->kind == PGQ_YNODE_MAPPING)
			cfg_problem(c, section->value,
				"missing required key 'data_dir' in 'postgresql' (required unless manage is false)");
		return;
	}
	if (cfg->raft.data_dir != NULL &&
	    (path_within(pg->data_dir, cfg->raft.data_dir) || path_within(cfg->raft.data_dir, pg->data_dir)))
		cfg_problem(c, cfg_value_at(c, "raft.data_dir"),
			"raft.data_dir: '%s' overlaps postgresql.data_dir '%s'; keep them apart", cfg->raft.data_dir,
			pg->data_dir);
}

static void check_hooks(struct cfg_ctx *c)
{
	for (size_t i = 0; i < PGQ_HOOK__COUNT; i++) {
		struct pgq_config_hook *hook = &c->cfg->hooks[i];
		char path[64], exec_path[80];
		const struct cfg_seen *s, *exec;

		snprintf(path, sizeof(path), "hooks.%s", pgq_hook_event_name((enum pgq_hook_event)i));
		snprintf(exec_path, sizeof(exec_path), "%s.exec", path);
		s = cfg_seen_find(c, path);
		if (s == NULL || s->value->kind != PGQ_YNODE_MAPPING)
			continue;
		exec = cfg_seen_find(c, exec_path);
		if (hook->exec == NULL && hook->plugin == NULL) {
			if (exec == NULL)
				cfg_problem(c, s->value, "%s: a hook needs 'exec' (a command) or 'plugin' (a shared object)",
					path);
			continue;
		}
		hook->configured = true;
		if (hook->exec == NULL || exec == NULL)
			continue;
		if (exec->value->kind == PGQ_YNODE_SCALAR && !hook->shell)
			cfg_problem(c, exec->value,
				"%s: a command line as one string needs 'shell: true'; otherwise write the arguments as a list",
				exec_path);
		else if (hook->shell && hook->n_exec != 1)
			cfg_problem(c, exec->value, "%s: with 'shell: true', give exactly one command line (got %zu arguments)",
				exec_path, hook->n_exec);
	}
}

static void check_watchdog(struct cfg_ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	char margin[32], ttl[32];
	const char *at;

	if (cfg->watchdog.mode == PGQ_WATCHDOG_OFF || cfg->watchdog.safety_margin_ms < cfg->bootstrap.dcs.ttl_ms)
		return;
	pgq_format_duration(cfg->watchdog.safety_margin_ms, margin, sizeof(margin));
	pgq_format_duration(cfg->bootstrap.dcs.ttl_ms, ttl, sizeof(ttl));
	at = cfg_seen_find(c, "watchdog.safety_margin") ? "watchdog.safety_margin" : "bootstrap.dcs.ttl";
	cfg_problem(c, cfg_value_at(c, at),
		"watchdog.safety_margin (%s) must be below bootstrap.dcs.ttl (%s)", margin, ttl);
}


void cfg_check_rules(struct cfg_ctx *c)
{
	struct pgq_config *cfg = c->cfg;

	check_membership(c);
	check_timer_order(c);
	check_timing(c);
	check_sync(c);
	check_connect_address(c, "restapi", &cfg->restapi.listen, &cfg->restapi.connect_address);
	check_restapi(c);
	check_connect_address(c, "postgresql", &cfg->postgresql.listen, &cfg->postgresql.connect_address);
	check_postgresql(c);
	check_hooks(c);
	check_watchdog(c);
}

/*
 * config_schema.c — every key of the configuration file: one table per
 * section (type, required or not, range, where the value goes in struct
 * pgq_config), the parsers of the values that are not plain scalars
 * (raft.peers, parameters, allowlist, initdb, hook commands, custom tags),
 * the defaults, and pgq_config_free, which knows every allocation.
 *
 * docs/configuration.md documents these tables; keep them in step.
 */
#include "config_schema.h"
#include "config_values.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* -------------------------------------------------------- enum tables */

static const struct cfg_enum_name log_level_names[] = {
	{"debug", PGQ_LOG_DEBUG, false},
	{"info", PGQ_LOG_INFO, false},
	{"warning", PGQ_LOG_WARNING, false},
	{"error", PGQ_LOG_ERROR, false},
	{"warn", PGQ_LOG_WARNING, true},
	{NULL, 0, false},
};

static const struct cfg_enum_name sync_mode_names[] = {
	{"off", PGQ_SYNC_OFF, false},
	{"on", PGQ_SYNC_ON, false},
	{"quorum", PGQ_SYNC_QUORUM, false},
	/* Patroni's older boolean spelling */
	{"false", PGQ_SYNC_OFF, true},
	{"true", PGQ_SYNC_ON, true},
	{NULL, 0, false},
};

static const struct cfg_enum_name watchdog_mode_names[] = {
	{"off", PGQ_WATCHDOG_OFF, false},
	{"automatic", PGQ_WATCHDOG_AUTOMATIC, false},
	{"required", PGQ_WATCHDOG_REQUIRED, false},
	{NULL, 0, false},
};

static const struct cfg_enum_name verify_client_names[] = {
	{"none", PGQ_VERIFY_CLIENT_NONE, false},
	{"optional", PGQ_VERIFY_CLIENT_OPTIONAL, false},
	{"required", PGQ_VERIFY_CLIENT_REQUIRED, false},
	{NULL, 0, false},
};

static const char *const hook_event_names[PGQ_HOOK__COUNT] = {
	"on_start", "on_stop", "on_restart", "on_reload", "on_role_change",
	"pre_promote", "post_promote", "fence", "unfence", "on_demote",
};

const char *pgq_hook_event_name(enum pgq_hook_event event)
{
	if ((int)event < 0 || event >= PGQ_HOOK__COUNT)
		return NULL;
	return hook_event_names[event];
}

/* ------------------------------------------------- custom value parsers */

static cfg_custom_fn parse_peers, parse_parameters, parse_allowlist, parse_initdb, parse_exec;
static void parse_custom_tag(struct cfg_ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value,
			     void *base, const char *path);

/* ------------------------------------------------------ schema tables */

#define FIELD(k, kind_, flags_, type, member, lo, hi) \
	{ .key = k, .kind = kind_, .flags = flags_, .offset = offsetof(type, member), .min = lo, .max = hi }
#define ENUMF(k, type, member, table) \
	{ .key = k, .kind = F_ENUM, .offset = offsetof(type, member), .names = table }
#define SECTION(k, flags_, type, member, sec) \
	{ .key = k, .kind = F_SECTION, .flags = flags_, .offset = offsetof(type, member), .section = &sec }
#define LIST(k, type, member, count) \
	{ .key = k, .kind = F_STRING_LIST, .offset = offsetof(type, member), .count_offset = offsetof(type, count) }
#define CUSTOM(k, flags_, type, member, fn) \
	{ .key = k, .kind = F_CUSTOM, .flags = flags_, .offset = offsetof(type, member), .custom = fn }
#define PARAMS(k, type, member, count) \
	{ .key = k, .kind = F_CUSTOM, .offset = offsetof(type, member), .count_offset = offsetof(type, count), \
	  .custom = parse_parameters }
#define SECTION_OF(fields) { fields, sizeof(fields) / sizeof(fields[0]), NULL, false }

#define SECONDS(n) ((int64_t)(n) * 1000)
#define MINUTES(n) ((int64_t)(n) * 60000)
#define HOURS(n) ((int64_t)(n) * 3600000)
#define DAYS(n) ((int64_t)(n) * 86400000)
#define KB(n) ((int64_t)(n) << 10)
#define MB(n) ((int64_t)(n) << 20)
#define GB(n) ((int64_t)(n) << 30)
#define TB(n) ((int64_t)(n) << 40)

static const struct cfg_field log_fields[] = {
	ENUMF("level", struct pgq_config_log, level, log_level_names),
	FIELD("file", F_PATH, 0, struct pgq_config_log, file, 0, 0),
};
static const struct cfg_section log_section = SECTION_OF(log_fields);

static const struct cfg_field peer_fields[] = {
	FIELD("name", F_NAME, CFG_REQUIRED, struct pgq_config_peer, name, 0, 0),
	FIELD("address", F_HOSTPORT, CFG_REQUIRED, struct pgq_config_peer, address, 0, 0),
	FIELD("restapi", F_HOSTPORT, 0, struct pgq_config_peer, restapi, 0, 0),
};
static const struct cfg_section peer_section = SECTION_OF(peer_fields);

static const struct cfg_field raft_fields[] = {
	FIELD("listen", F_HOSTPORT, CFG_REQUIRED, struct pgq_config_raft, listen, 0, 0),
	FIELD("data_dir", F_PATH, CFG_REQUIRED, struct pgq_config_raft, data_dir, 0, 0),
	CUSTOM("peers", CFG_REQUIRED, struct pgq_config_raft, peers, parse_peers),
	FIELD("election_timeout_ms", F_DURATION_MS, 0, struct pgq_config_raft, election_timeout_ms, 100, SECONDS(60)),
	FIELD("heartbeat_ms", F_DURATION_MS, 0, struct pgq_config_raft, heartbeat_ms, 10, SECONDS(10)),
	FIELD("snapshot_threshold", F_U32, 0, struct pgq_config_raft, snapshot_threshold, 16, 10000000),
	FIELD("max_frame_bytes", F_SIZE32, 0, struct pgq_config_raft, max_frame_bytes, KB(64), MB(256)),
};
static const struct cfg_section raft_section = SECTION_OF(raft_fields);

static const struct cfg_field credentials_fields[] = {
	FIELD("username", F_STRING, CFG_REQUIRED, struct pgq_config_credentials, username, 0, 0),
	FIELD("password", F_STRING, 0, struct pgq_config_credentials, password, 0, 0),
};
static const struct cfg_section credentials_section = SECTION_OF(credentials_fields);

static const struct cfg_field basic_auth_fields[] = {
	FIELD("username", F_STRING, CFG_REQUIRED, struct pgq_config_credentials, username, 0, 0),
	FIELD("password", F_STRING, CFG_REQUIRED, struct pgq_config_credentials, password, 0, 0),
};
static const struct cfg_section basic_auth_section = SECTION_OF(basic_auth_fields);

static const struct cfg_field restapi_fields[] = {
	FIELD("listen", F_HOSTPORT, 0, struct pgq_config_restapi, listen, 0, 0),
	FIELD("connect_address", F_HOSTPORT, 0, struct pgq_config_restapi, connect_address, 0, 0),
	SECTION("authentication", 0, struct pgq_config_restapi, authentication, basic_auth_section),
	FIELD("certfile", F_PATH, 0, struct pgq_config_restapi, certfile, 0, 0),
	FIELD("keyfile", F_PATH, 0, struct pgq_config_restapi, keyfile, 0, 0),
	FIELD("keyfile_password", F_STRING, 0, struct pgq_config_restapi, keyfile_password, 0, 0),
	FIELD("cafile", F_PATH, 0, struct pgq_config_restapi, cafile, 0, 0),
	ENUMF("verify_client", struct pgq_config_restapi, verify_client, verify_client_names),
	CUSTOM("allowlist", 0, struct pgq_config_restapi, allowlist, parse_allowlist),
	FIELD("max_body_bytes", F_SIZE, 0, struct pgq_config_restapi, max_body_bytes, KB(1), MB(16)),
	FIELD("max_connections", F_U32, 0, struct pgq_config_restapi, max_connections, 1, 65535),
	FIELD("request_timeout", F_DURATION_S, 0, struct pgq_config_restapi, request_timeout_ms, 100, MINUTES(10)),
};
static const struct cfg_section restapi_section = SECTION_OF(restapi_fields);

static const struct cfg_field pg_auth_fields[] = {
	SECTION("superuser", 0, struct pgq_config_postgresql, superuser, credentials_section),
	SECTION("replication", 0, struct pgq_config_postgresql, replication, credentials_section),
};
/* The authentication block fills two members of the postgresql struct itself. */
static const struct cfg_section pg_auth_section = SECTION_OF(pg_auth_fields);

static const struct cfg_field postgresql_fields[] = {
	FIELD("manage", F_BOOL, 0, struct pgq_config_postgresql, manage, 0, 0),
	FIELD("data_dir", F_PATH, 0, struct pgq_config_postgresql, data_dir, 0, 0),
	FIELD("bin_dir", F_PATH, 0, struct pgq_config_postgresql, bin_dir, 0, 0),
	FIELD("listen", F_HOSTPORT, 0, struct pgq_config_postgresql, listen, 0, 0),
	FIELD("connect_address", F_HOSTPORT, 0, struct pgq_config_postgresql, connect_address, 0, 0),
	{ .key = "authentication", .kind = F_SECTION, .offset = 0, .section = &pg_auth_section },
	PARAMS("parameters", struct pgq_config_postgresql, parameters, n_parameters),
	LIST("pg_hba", struct pgq_config_postgresql, pg_hba, n_pg_hba),
	FIELD("use_pg_rewind", F_BOOL, 0, struct pgq_config_postgresql, use_pg_rewind, 0, 0),
	FIELD("reclone_on_rewind_failure", F_BOOL, 0, struct pgq_config_postgresql, reclone_on_rewind_failure, 0, 0),
	/* Patroni's name for the same choice (remove, then clone again). */
	FIELD("remove_data_directory_on_rewind_failure", F_BOOL, 0, struct pgq_config_postgresql,
	      reclone_on_rewind_failure, 0, 0),
	FIELD("use_slots", F_BOOL, 0, struct pgq_config_postgresql, use_slots, 0, 0),
};
static const struct cfg_section postgresql_section = SECTION_OF(postgresql_fields);

static const struct cfg_field dcs_pg_fields[] = {
	PARAMS("parameters", struct pgq_config_dcs, parameters, n_parameters),
};
static const struct cfg_section dcs_pg_section = SECTION_OF(dcs_pg_fields);

static const struct cfg_field dcs_fields[] = {
	FIELD("ttl", F_DURATION_S, 0, struct pgq_config_dcs, ttl_ms, SECONDS(1), HOURS(1)),
	FIELD("loop_wait", F_DURATION_S, 0, struct pgq_config_dcs, loop_wait_ms, 100, HOURS(1)),
	FIELD("retry_timeout", F_DURATION_S, 0, struct pgq_config_dcs, retry_timeout_ms, SECONDS(1), HOURS(1)),
	FIELD("maximum_lag_on_failover", F_SIZE, 0, struct pgq_config_dcs, maximum_lag_on_failover_bytes, 0, TB(1)),
	ENUMF("synchronous_mode", struct pgq_config_dcs, synchronous_mode, sync_mode_names),
	FIELD("synchronous_node_count", F_U32, 0, struct pgq_config_dcs, synchronous_node_count, 1, 255),
	FIELD("synchronous_mode_strict", F_BOOL, 0, struct pgq_config_dcs, synchronous_mode_strict, 0, 0),
	FIELD("failover_backoff", F_DURATION_S, 0, struct pgq_config_dcs, failover_backoff_ms, 0, DAYS(1)),
	FIELD("switchover_max_lag", F_SIZE, 0, struct pgq_config_dcs, switchover_max_lag_bytes, 0, TB(1)),
	FIELD("switchover_timeout", F_DURATION_S, 0, struct pgq_config_dcs, switchover_timeout_ms, SECONDS(1), HOURS(1)),
	FIELD("promote_timeout", F_DURATION_S, 0, struct pgq_config_dcs, promote_timeout_ms, SECONDS(1), HOURS(1)),
	FIELD("report_timeout", F_DURATION_S, 0, struct pgq_config_dcs, report_timeout_ms, 100, MINUTES(10)),
	FIELD("member_slots_ttl", F_DURATION_S, 0, struct pgq_config_dcs, member_slots_ttl_ms, 0, DAYS(30)),
	FIELD("drift_floor_ms", F_DURATION_MS, 0, struct pgq_config_dcs, drift_floor_ms, 100, SECONDS(60)),
	FIELD("commit_p99_ms", F_DURATION_MS, 0, struct pgq_config_dcs, commit_p99_ms, 1, SECONDS(60)),
	FIELD("stop_budget_ms", F_DURATION_MS, 0, struct pgq_config_dcs, stop_budget_ms, 1, MINUTES(10)),
	FIELD("kill_budget_ms", F_DURATION_MS, 0, struct pgq_config_dcs, kill_budget_ms, 1, MINUTES(10)),
	{ .key = "postgresql", .kind = F_SECTION, .offset = 0, .section = &dcs_pg_section },
};
static const struct cfg_section dcs_section = SECTION_OF(dcs_fields);

static const struct cfg_field bootstrap_fields[] = {
	SECTION("dcs", 0, struct pgq_config_bootstrap, dcs, dcs_section),
	CUSTOM("initdb", 0, struct pgq_config_bootstrap, initdb, parse_initdb),
};
static const struct cfg_section bootstrap_section = SECTION_OF(bootstrap_fields);

static const struct cfg_field hook_fields[] = {
	CUSTOM("exec", 0, struct pgq_config_hook, exec, parse_exec),
	FIELD("shell", F_BOOL, 0, struct pgq_config_hook, shell, 0, 0),
	FIELD("plugin", F_PATH, 0, struct pgq_config_hook, plugin, 0, 0),
	FIELD("timeout", F_DURATION_S, 0, struct pgq_config_hook, timeout_ms, 100, HOURS(1)),
};
static const struct cfg_section hook_section = {
	hook_fields, sizeof(hook_fields) / sizeof(hook_fields[0]), NULL, true,
};

/* The hooks section's struct is config->hooks[], indexed by event. */
#define HOOK(name, event) \
	{ .key = name, .kind = F_SECTION, .offset = (size_t)(event) * sizeof(struct pgq_config_hook), \
	  .section = &hook_section }
static const struct cfg_field hooks_fields[] = {
	HOOK("on_start", PGQ_HOOK_ON_START),
	HOOK("on_stop", PGQ_HOOK_ON_STOP),
	HOOK("on_restart", PGQ_HOOK_ON_RESTART),
	HOOK("on_reload", PGQ_HOOK_ON_RELOAD),
	HOOK("on_role_change", PGQ_HOOK_ON_ROLE_CHANGE),
	HOOK("pre_promote", PGQ_HOOK_PRE_PROMOTE),
	HOOK("post_promote", PGQ_HOOK_POST_PROMOTE),
	HOOK("fence", PGQ_HOOK_FENCE),
	HOOK("unfence", PGQ_HOOK_UNFENCE),
	HOOK("on_demote", PGQ_HOOK_ON_DEMOTE),
};
#undef HOOK
static const struct cfg_section hooks_section = SECTION_OF(hooks_fields);

static const struct cfg_field fencing_fields[] = {
	FIELD("required", F_BOOL, 0, struct pgq_config_fencing, required, 0, 0),
};
static const struct cfg_section fencing_section = SECTION_OF(fencing_fields);

static const struct cfg_field watchdog_fields[] = {
	ENUMF("mode", struct pgq_config_watchdog, mode, watchdog_mode_names),
	FIELD("device", F_PATH, 0, struct pgq_config_watchdog, device, 0, 0),
	FIELD("safety_margin", F_DURATION_S, 0, struct pgq_config_watchdog, safety_margin_ms, 0, HOURS(1)),
};
static const struct cfg_section watchdog_section = SECTION_OF(watchdog_fields);

static const struct cfg_field tags_fields[] = {
	FIELD("nofailover", F_BOOL, 0, struct pgq_config_tags, nofailover, 0, 0),
	FIELD("noloadbalance", F_BOOL, 0, struct pgq_config_tags, noloadbalance, 0, 0),
	FIELD("nosync", F_BOOL, 0, struct pgq_config_tags, nosync, 0, 0),
	FIELD("failover_priority", F_INT, 0, struct pgq_config_tags, failover_priority, 0, INT_MAX),
};
static const struct cfg_section tags_section = {
	tags_fields, sizeof(tags_fields) / sizeof(tags_fields[0]), parse_custom_tag, false,
};

static const struct cfg_field top_fields[] = {
	FIELD("scope", F_NAME, CFG_REQUIRED, struct pgq_config, scope, 0, 0),
	FIELD("name", F_NAME, CFG_REQUIRED, struct pgq_config, name, 0, 0),
	SECTION("log", 0, struct pgq_config, log, log_section),
	SECTION("raft", CFG_REQUIRED, struct pgq_config, raft, raft_section),
	SECTION("restapi", 0, struct pgq_config, restapi, restapi_section),
	SECTION("postgresql", CFG_REQUIRED, struct pgq_config, postgresql, postgresql_section),
	SECTION("bootstrap", 0, struct pgq_config, bootstrap, bootstrap_section),
	SECTION("hooks", 0, struct pgq_config, hooks, hooks_section),
	SECTION("fencing", 0, struct pgq_config, fencing, fencing_section),
	SECTION("watchdog", 0, struct pgq_config, watchdog, watchdog_section),
	SECTION("tags", 0, struct pgq_config, tags, tags_section),
};
const struct cfg_section cfg_top_section = SECTION_OF(top_fields);

/* ------------------------------------------------------ custom parsers */

static const struct pgq_ynode *mapping_get(const struct pgq_ynode *map, const char *key)
{
	if (map == NULL || map->kind != PGQ_YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (map->pairs[i].key->kind == PGQ_YNODE_SCALAR && strcmp(map->pairs[i].key->value, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

static void free_peers(struct pgq_config_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(peers[i].name);
		pgq_hostport_clear(&peers[i].address);
		pgq_hostport_clear(&peers[i].restapi);
	}
	free(peers);
}

static void parse_peers(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			const char *path)
{
	struct pgq_config_raft *raft = base;
	struct pgq_config_peer *peers;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		cfg_problem(c, v, "%s: expected a sequence of members ({name, address}), got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	if (v->n_items == 0) {
		cfg_problem(c, v, "%s: at least one member is required", path);
		return;
	}
	peers = calloc(v->n_items, sizeof(*peers));
	if (peers == NULL) {
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];
		char sub[CFG_PATH_MAX];

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (item->kind != PGQ_YNODE_MAPPING) {
			cfg_problem(c, item, "%s: expected a mapping with 'name' and 'address', got %s", sub,
				pgq_ynode_kind_name(item));
			continue;
		}
		cfg_walk_section(c, &peer_section, item, &peers[i], sub);
	}
	/* Names and addresses must be unique: one Raft identity per member. */
	for (size_t i = 0; i < v->n_items; i++) {
		for (size_t j = 0; j < i; j++) {
			if (peers[i].name != NULL && peers[j].name != NULL && strcmp(peers[i].name, peers[j].name) == 0) {
				cfg_problem(c, mapping_get(v->items[i], "name"),
					"%s[%zu].name: duplicate member name '%s' (first at line %u)", path, i,
					peers[i].name, mapping_get(v->items[j], "name")->line);
				break;
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (pgq_hostport_equal(&peers[i].address, &peers[j].address)) {
				cfg_problem(c, mapping_get(v->items[i], "address"),
					"%s[%zu].address: duplicate address '%s' (also used by '%s' at line %u)", path, i,
					peers[i].address.text, peers[j].name != NULL ? peers[j].name : "?",
					mapping_get(v->items[j], "address")->line);
				break;
			}
		}
	}
	free_peers(raft->peers, raft->n_peers);
	raft->peers = peers;
	raft->n_peers = v->n_items;
}

static void free_kv(struct pgq_config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* Settings the agent owns: letting a file set them would break a safety rule. */
static const char *managed_parameter(const char *name)
{
	static const struct {
		const char *name;
		const char *why;
	} managed[] = {
		{"synchronous_standby_names", "the agent maintains it from the recorded synchronous set (SAFETY.md S7)"},
		{"restart_after_crash", "the agent keeps it off (SAFETY.md S14)"},
		{"primary_conninfo", "the agent points standbys at the current primary"},
		{"primary_slot_name", "the agent manages replication slots"},
		{"listen_addresses", "set postgresql.listen instead"},
		{"port", "set postgresql.listen instead"},
	};

	for (size_t i = 0; i < sizeof(managed) / sizeof(managed[0]); i++)
		if (strcmp(name, managed[i].name) == 0)
			return managed[i].why;
	return NULL;
}

static bool valid_parameter_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.'))
			return false;
	return true;
}

static void parse_parameters(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			     const char *path)
{
	struct pgq_config_kv **dst = (struct pgq_config_kv **)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count_offset);
	struct pgq_config_kv *kv;
	bool *skip;
	size_t n = 0;

	if (v->kind != PGQ_YNODE_MAPPING) {
		cfg_problem(c, v, "%s: expected a mapping of setting names to values, got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	skip = cfg_check_keys(c, v, path);
	if (skip == NULL)
		return;
	kv = calloc(v->n_pairs ? v->n_pairs : 1, sizeof(*kv));
	if (kv == NULL) {
		free(skip);
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct pgq_ynode *key = v->pairs[i].key;
		const struct pgq_ynode *value = v->pairs[i].value;
		const char *why;

		if (skip[i])
			continue;
		if (!valid_parameter_name(key->value)) {
			cfg_problem(c, key, "%s: invalid setting name '%s'", path, key->value);
			continue;
		}
		why = managed_parameter(key->value);
		if (why != NULL) {
			cfg_problem(c, key, "%s: '%s' must not be set here: %s", path, key->value, why);
			continue;
		}
		if (value->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value)) {
			cfg_problem(c, value, "%s.%s: expected a scalar value, got %s", path, key->value,
				pgq_ynode_kind_name(value));
			continue;
		}
		kv[n].key = strdup(key->value);
		kv[n].value = strdup(value->value);
		if (kv[n].key == NULL || kv[n].value == NULL) {
			free(kv[n].key);
			free(kv[n].value);
			kv[n].key = kv[n].value = NULL;
			cfg_oom(c);
			continue;
		}
		n++;
	}
	free(skip);
	free_kv(*dst, *count);
	*dst = kv;
	*count = n;
}

static void parse_allowlist(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			    const char *path)
{
	struct pgq_config_restapi *api = base;
	struct pgq_cidr *list;
	size_t n = 0;
	char err[256];

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		cfg_problem(c, v, "%s: expected a sequence of addresses or CIDR networks, got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	list = calloc(v->n_items ? v->n_items : 1, sizeof(*list));
	if (list == NULL) {
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];

		if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			cfg_problem(c, item, "%s[%zu]: expected an address or CIDR network, got %s", path, i,
				pgq_ynode_kind_name(item));
			continue;
		}
		if (pgq_parse_cidr(item->value, &list[n], err, sizeof(err)) != 0) {
			cfg_problem(c, item, "%s[%zu]: %s", path, i, err);
			continue;
		}
		n++;
	}
	for (size_t i = 0; i < api->n_allowlist; i++)
		pgq_cidr_clear(&api->allowlist[i]);
	free(api->allowlist);
	api->allowlist = list;
	api->n_allowlist = n;
}

static bool valid_initdb_option(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static void free_initdb(struct pgq_config_initdb_option *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].name);
		free(o[i].value);
	}
	free(o);
}

/* initdb options, as Patroni writes them: "data-checksums" or {encoding: UTF8}. */
static void parse_initdb(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			 const char *path)
{
	struct pgq_config_bootstrap *boot = base;
	struct pgq_config_initdb_option *opts;
	size_t n = 0;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		cfg_problem(c, v, "%s: expected a sequence of options, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	opts = calloc(v->n_items ? v->n_items : 1, sizeof(*opts));
	if (opts == NULL) {
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];
		const struct pgq_ynode *name_node = item, *value_node = NULL;

		if (item->kind == PGQ_YNODE_MAPPING) {
			if (item->n_pairs != 1) {
				cfg_problem(c, item, "%s[%zu]: expected one option (\"name\" or {name: value}), got %zu keys",
					path, i, item->n_pairs);
				continue;
			}
			name_node = item->pairs[0].key;
			value_node = item->pairs[0].value;
			if (value_node->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value_node)) {
				cfg_problem(c, value_node, "%s[%zu]: expected a scalar value, got %s", path, i,
					pgq_ynode_kind_name(value_node));
				continue;
			}
		} else if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			cfg_problem(c, item, "%s[%zu]: expected an option name or {name: value}, got %s", path, i,
				pgq_ynode_kind_name(item));
			continue;
		}
		if (name_node->kind != PGQ_YNODE_SCALAR) {
			cfg_problem(c, name_node, "%s[%zu]: option names must be strings", path, i);
			continue;
		}
		if (strncmp(name_node->value, "--", 2) == 0) {
			cfg_problem(c, name_node, "%s[%zu]: write '%s' without the leading '--'", path, i,
				name_node->value + 2);
			continue;
		}
		if (!valid_initdb_option(name_node->value)) {
			cfg_problem(c, name_node, "%s[%zu]: invalid initdb option name '%s'", path, i, name_node->value);
			continue;
		}
		if (strcmp(name_node->value, "pgdata") == 0) {
			cfg_problem(c, name_node, "%s[%zu]: 'pgdata' comes from postgresql.data_dir", path, i);
			continue;
		}
		opts[n].name = strdup(name_node->value);
		opts[n].value = value_node != NULL ? strdup(value_node->value) : NULL;
		if (opts[n].name == NULL || (value_node != NULL && opts[n].value == NULL)) {
			free(opts[n].name);
			free(opts[n].value);
			opts[n].name = opts[n].value = NULL;
			cfg_oom(c);
			continue;
		}
		n++;
	}
	free_initdb(boot->initdb, boot->n_initdb);
	boot->initdb = opts;
	boot->n_initdb = n;
}

static void free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* exec: an argv list; or one string, which needs `shell: true` (checked later). */
static void parse_exec(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
		       const char *path)
{
	struct pgq_config_hook *hook = base;
	char **argv;
	size_t n = 0;
	const struct pgq_ynode *one[1] = {v};
	const struct pgq_ynode *const *items = one;
	size_t n_items = 1;

	if (v->kind == PGQ_YNODE_SEQUENCE) {
		items = (const struct pgq_ynode *const *)v->items;
		n_items = v->n_items;
		if (n_items == 0) {
			cfg_problem(c, v, "%s: the command must not be empty", path);
			return;
		}
	} else if (v->kind != PGQ_YNODE_SCALAR) {
		cfg_problem(c, v, "%s: expected a command as a list of arguments, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	argv = calloc(n_items + 1, sizeof(*argv));
	if (argv == NULL) {
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < n_items; i++) {
		if (items[i]->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(items[i])) {
			cfg_problem(c, items[i], "%s[%zu]: expected a string argument, got %s", path, i,
				pgq_ynode_kind_name(items[i]));
			continue;
		}
		argv[n] = strdup(items[i]->value);
		if (argv[n] == NULL) {
			cfg_oom(c);
			continue;
		}
		n++;
	}
	if (n == 0 || argv[0][0] == '\0') {
		if (n > 0)
			cfg_problem(c, items[0], "%s: the program name must not be empty", path);
		free_argv(argv);
		return;
	}
	free_argv(hook->exec);
	hook->exec = argv;
	hook->n_exec = n;
}

static const char *const builtin_tags[] = {"nofailover", "noloadbalance", "nosync", "failover_priority",
					   "clonefrom", "nostream"};

static void parse_custom_tag(struct cfg_ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value,
			     void *base, const char *path)
{
	struct pgq_config_tags *tags = base;
	struct pgq_config_kv *kv;
	char sub[CFG_PATH_MAX];

	/* A custom tag one typo away from a built-in one would silently do nothing. */
	for (size_t i = 0; i < 4; i++) {
		size_t d = pgq_levenshtein(key->value, builtin_tags[i]);

		if (d > 0 && d <= 2) {
			cfg_problem(c, key, "unknown key '%s' in 'tags'; did you mean '%s'? (custom tags must not look like a built-in tag)",
				key->value, builtin_tags[i]);
			return;
		}
	}
	cfg_join_path(sub, sizeof(sub), path, key->value);
	cfg_remember(c, sub, key, value);
	if (value->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value)) {
		cfg_problem(c, value, "%s: custom tag values must be scalars, got %s", sub, pgq_ynode_kind_name(value));
		return;
	}
	kv = realloc(tags->custom, (tags->n_custom + 1) * sizeof(*kv));
	if (kv == NULL) {
		cfg_oom(c);
		return;
	}
	tags->custom = kv;
	kv[tags->n_custom].key = strdup(key->value);
	kv[tags->n_custom].value = strdup(value->value);
	if (kv[tags->n_custom].key == NULL || kv[tags->n_custom].value == NULL) {
		free(kv[tags->n_custom].key);
		free(kv[tags->n_custom].value);
		cfg_oom(c);
		return;
	}
	tags->n_custom++;
}

/* ---------------------------------------------------------- defaults */

int cfg_set_defaults(struct pgq_config *cfg)
{
	char err[128];
	int rc = 0;

	cfg->log.level = PGQ_LOG_INFO;

	cfg->raft.election_timeout_ms = 1000;
	cfg->raft.heartbeat_ms = 100;
	cfg->raft.snapshot_threshold = 10000;
	cfg->raft.max_frame_bytes = 16u << 20;

	rc |= pgq_parse_hostport("127.0.0.1:8008", &cfg->restapi.listen, err, sizeof(err));
	cfg->restapi.verify_client = PGQ_VERIFY_CLIENT_NONE;
	cfg->restapi.max_body_bytes = 64u << 10;
	cfg->restapi.max_connections = 256;
	cfg->restapi.request_timeout_ms = 10000;

	cfg->postgresql.manage = true;
	cfg->postgresql.bin_dir = strdup("/usr/lib/postgresql/15/bin");
	rc |= pgq_parse_hostport("127.0.0.1:5432", &cfg->postgresql.listen, err, sizeof(err));
	cfg->postgresql.superuser.username = strdup("postgres");
	cfg->postgresql.replication.username = strdup("replicator");
	cfg->postgresql.use_pg_rewind = true;
	cfg->postgresql.reclone_on_rewind_failure = true;
	cfg->postgresql.use_slots = true;

	struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;
	dcs->ttl_ms = 30000;
	dcs->loop_wait_ms = 10000;
	dcs->retry_timeout_ms = 10000;
	dcs->maximum_lag_on_failover_bytes = 1u << 20;
	dcs->synchronous_mode = PGQ_SYNC_OFF;
	dcs->synchronous_node_count = 1;
	dcs->synchronous_mode_strict = false;
	dcs->failover_backoff_ms = 60000;
	dcs->switchover_max_lag_bytes = 16u << 20;
	dcs->switchover_timeout_ms = 60000;
	dcs->promote_timeout_ms = 60000;
	dcs->report_timeout_ms = 5000;
	dcs->member_slots_ttl_ms = 30 * 60000;
	dcs->drift_floor_ms = 500;
	dcs->commit_p99_ms = 500;
	dcs->stop_budget_ms = 5000;
	dcs->kill_budget_ms = 1500;

	for (size_t i = 0; i < PGQ_HOOK__COUNT; i++)
		cfg->hooks[i].timeout_ms = 30000;

	cfg->fencing.required = false;

	cfg->watchdog.mode = PGQ_WATCHDOG_AUTOMATIC;
	cfg->watchdog.device = strdup("/dev/watchdog");
	cfg->watchdog.safety_margin_ms = 5000;

	cfg->tags.failover_priority = 1;

	if (rc != 0 || cfg->postgresql.bin_dir == NULL || cfg->postgresql.superuser.username == NULL ||
	    cfg->postgresql.replication.username == NULL || cfg->watchdog.device == NULL)
		return -1;
	return 0;
}

static void free_credentials(struct pgq_config_credentials *cred)
{
	free(cred->username);
	free(cred->password);
}

void pgq_config_free(struct pgq_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->scope);
	free(cfg->name);
	free(cfg->log.file);

	pgq_hostport_clear(&cfg->raft.listen);
	free(cfg->raft.data_dir);
	free_peers(cfg->raft.peers, cfg->raft.n_peers);

	pgq_hostport_clear(&cfg->restapi.listen);
	pgq_hostport_clear(&cfg->restapi.connect_address);
	free_credentials(&cfg->restapi.authentication);
	free(cfg->restapi.certfile);
	free(cfg->restapi.keyfile);
	free(cfg->restapi.keyfile_password);
	free(cfg->restapi.cafile);
	for (size_t i = 0; i < cfg->restapi.n_allowlist; i++)
		pgq_cidr_clear(&cfg->restapi.allowlist[i]);
	free(cfg->restapi.allowlist);

	free(cfg->postgresql.data_dir);
	free(cfg->postgresql.bin_dir);
	pgq_hostport_clear(&cfg->postgresql.listen);
	pgq_hostport_clear(&cfg->postgresql.connect_address);
	free_credentials(&cfg->postgresql.superuser);
	free_credentials(&cfg->postgresql.replication);
	free_kv(cfg->postgresql.parameters, cfg->postgresql.n_parameters);
	for (size_t i = 0; i < cfg->postgresql.n_pg_hba; i++)
		free(cfg->postgresql.pg_hba[i]);
	free(cfg->postgresql.pg_hba);

	free_kv(cfg->bootstrap.dcs.parameters, cfg->bootstrap.dcs.n_parameters);
	free_initdb(cfg->bootstrap.initdb, cfg->bootstrap.n_initdb);

	for (size_t i = 0; i < PGQ_HOOK__COUNT; i++) {
		free_argv(cfg->hooks[i].exec);
		free(cfg->hooks[i].plugin);
	}
	free(cfg->watchdog.device);
	free_kv(cfg->tags.custom, cfg->tags.n_custom);
	free(cfg);
}


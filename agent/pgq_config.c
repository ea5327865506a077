/*
 * pgq_config.c — load the agent's YAML configuration: defaults, schema walk,
 * cross-field rules, and the CLI's --validate-config.
 *
 * The schema is a set of tables (one per section): each key names its type,
 * whether it is required, its range and where it goes in struct pgq_config.
 * One generic walker checks a mapping against a table, so every section gets
 * the same checks for free: unknown keys (with "did you mean"), duplicate
 * keys, wrong types, missing required keys, out-of-range values. Rules that
 * span keys (timing rule L2, raft.peers, TLS pairs...) run after the walk,
 * with positions found through the table of keys seen.
 *
 * Nothing stops at the first problem: every problem becomes a diagnostic.
 */
#include "pgq_config.h"
#include "config_values.h"
#include "config_yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define CONFIG_MAX_FILE_BYTES (1u << 20)
#define PATH_TEXT_MAX 192

_Static_assert(sizeof(enum pgq_log_level) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_sync_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_watchdog_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_verify_client) == sizeof(int), "enum stored as int");

/* ---------------------------------------------------------------- schema */

enum field_kind {
	F_STRING,       /* char *: any scalar */
	F_NAME,         /* char *: 1..63 of [A-Za-z0-9_.-] (cluster and member names) */
	F_PATH,         /* char *: an absolute path */
	F_BOOL,         /* bool */
	F_INT,          /* int */
	F_U32,          /* uint32_t count */
	F_DURATION_S,   /* uint32_t milliseconds; a bare integer is seconds */
	F_DURATION_MS,  /* uint32_t milliseconds; a bare integer is milliseconds */
	F_SIZE,         /* uint64_t bytes */
	F_SIZE32,       /* uint32_t bytes */
	F_ENUM,         /* an enum stored as int */
	F_HOSTPORT,     /* struct pgq_hostport */
	F_SECTION,      /* a nested mapping described by .section */
	F_STRING_LIST,  /* char ** + size_t count at .count_offset */
	F_CUSTOM,       /* .custom parses it */
};

#define REQUIRED 1u

struct ctx;
struct field;

struct enum_name {
	const char *name;
	int value;
	bool alias;     /* accepted, but not listed in messages */
};

typedef void custom_fn(struct ctx *c, const struct field *f, const struct pgq_ynode *value, void *base,
		       const char *path);

struct section {
	const struct field *fields;
	size_t n_fields;
	/* Keys not in .fields: NULL makes them errors (tags accept custom keys). */
	void (*other)(struct ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value, void *base,
		      const char *path);
};

struct field {
	const char *key;
	enum field_kind kind;
	unsigned flags;
	size_t offset;
	size_t count_offset;
	int64_t min;
	int64_t max;
	const struct enum_name *names;   /* F_ENUM, terminated by a NULL name */
	const struct section *section;   /* F_SECTION */
	custom_fn *custom;               /* F_CUSTOM */
};

/* Where each key was met, so rules spanning keys can point at the right spot. */
struct seen {
	char *path;
	const struct pgq_ynode *key;
	const struct pgq_ynode *value;
};

struct ctx {
	struct pgq_diag_list *diags;
	struct pgq_config *cfg;
	struct seen *seen;
	size_t n_seen;
	size_t cap_seen;
	const struct pgq_ynode *root;
};

static void problem(struct ctx *c, const struct pgq_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct ctx *c, const struct pgq_ynode *at, const char *fmt, ...)
{
	char *message = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->diags->oom = 1;
		return;
	}
	pgq_diag_add(c->diags, at != NULL ? at->line : 1, at != NULL ? at->column : 1, "%s", message);
	free(message);
}

static void oom(struct ctx *c)
{
	c->diags->oom = 1;
}

static void remember(struct ctx *c, const char *path, const struct pgq_ynode *key, const struct pgq_ynode *value)
{
	if (c->n_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? c->cap_seen * 2 : 64;
		struct seen *s = realloc(c->seen, cap * sizeof(*s));

		if (s == NULL) {
			oom(c);
			return;
		}
		c->seen = s;
		c->cap_seen = cap;
	}
	c->seen[c->n_seen].path = strdup(path);
	if (c->seen[c->n_seen].path == NULL) {
		oom(c);
		return;
	}
	c->seen[c->n_seen].key = key;
	c->seen[c->n_seen].value = value;
	c->n_seen++;
}

/* The first occurrence of `path` with a non-null value, or NULL. */
static const struct seen *seen_find(const struct ctx *c, const char *path)
{
	for (size_t i = 0; i < c->n_seen; i++)
		if (strcmp(c->seen[i].path, path) == 0 && !pgq_ynode_is_null(c->seen[i].value))
			return &c->seen[i];
	return NULL;
}

/* Position of `path`'s value; else of the first listed path found; else the root. */
static const struct pgq_ynode *value_at(const struct ctx *c, const char *path)
{
	const struct seen *s = seen_find(c, path);

	return s != NULL ? s->value : c->root;
}

static void join_path(char *out, size_t len, const char *parent, const char *key)
{
	if (parent[0] == '\0')
		snprintf(out, len, "%s", key);
	else
		snprintf(out, len, "%s.%s", parent, key);
}

/* -------------------------------------------------------- enum tables */

static const struct enum_name log_level_names[] = {
	{"debug", PGQ_LOG_DEBUG, false},
	{"info", PGQ_LOG_INFO, false},
	{"warning", PGQ_LOG_WARNING, false},
	{"error", PGQ_LOG_ERROR, false},
	{"warn", PGQ_LOG_WARNING, true},
	{NULL, 0, false},
};

static const struct enum_name sync_mode_names[] = {
	{"off", PGQ_SYNC_OFF, false},
	{"on", PGQ_SYNC_ON, false},
	{"quorum", PGQ_SYNC_QUORUM, false},
	/* Patroni's older boolean spelling */
	{"false", PGQ_SYNC_OFF, true},
	{"true", PGQ_SYNC_ON, true},
	{NULL, 0, false},
};

static const struct enum_name watchdog_mode_names[] = {
	{"off", PGQ_WATCHDOG_OFF, false},
	{"automatic", PGQ_WATCHDOG_AUTOMATIC, false},
	{"required", PGQ_WATCHDOG_REQUIRED, false},
	{NULL, 0, false},
};

static const struct enum_name verify_client_names[] = {
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

static custom_fn parse_peers, parse_parameters, parse_allowlist, parse_initdb, parse_exec;
static void parse_custom_tag(struct ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value,
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
#define SECTION_OF(fields) { fields, sizeof(fields) / sizeof(fields[0]), NULL }

#define SECONDS(n) ((int64_t)(n) * 1000)
#define MINUTES(n) ((int64_t)(n) * 60000)
#define HOURS(n) ((int64_t)(n) * 3600000)
#define DAYS(n) ((int64_t)(n) * 86400000)
#define KB(n) ((int64_t)(n) << 10)
#define MB(n) ((int64_t)(n) << 20)
#define GB(n) ((int64_t)(n) << 30)
#define TB(n) ((int64_t)(n) << 40)

static const struct field log_fields[] = {
	ENUMF("level", struct pgq_config_log, level, log_level_names),
	FIELD("file", F_PATH, 0, struct pgq_config_log, file, 0, 0),
};
static const struct section log_section = SECTION_OF(log_fields);

static const struct field peer_fields[] = {
	FIELD("name", F_NAME, REQUIRED, struct pgq_config_peer, name, 0, 0),
	FIELD("address", F_HOSTPORT, REQUIRED, struct pgq_config_peer, address, 0, 0),
	FIELD("restapi", F_HOSTPORT, 0, struct pgq_config_peer, restapi, 0, 0),
};
static const struct section peer_section = SECTION_OF(peer_fields);

static const struct field raft_fields[] = {
	FIELD("listen", F_HOSTPORT, REQUIRED, struct pgq_config_raft, listen, 0, 0),
	FIELD("data_dir", F_PATH, REQUIRED, struct pgq_config_raft, data_dir, 0, 0),
	CUSTOM("peers", REQUIRED, struct pgq_config_raft, peers, parse_peers),
	FIELD("election_timeout_ms", F_DURATION_MS, 0, struct pgq_config_raft, election_timeout_ms, 100, SECONDS(60)),
	FIELD("heartbeat_ms", F_DURATION_MS, 0, struct pgq_config_raft, heartbeat_ms, 10, SECONDS(10)),
	FIELD("snapshot_threshold", F_U32, 0, struct pgq_config_raft, snapshot_threshold, 16, 10000000),
	FIELD("max_frame_bytes", F_SIZE32, 0, struct pgq_config_raft, max_frame_bytes, KB(64), MB(256)),
};
static const struct section raft_section = SECTION_OF(raft_fields);

static const struct field credentials_fields[] = {
	FIELD("username", F_STRING, REQUIRED, struct pgq_config_credentials, username, 0, 0),
	FIELD("password", F_STRING, 0, struct pgq_config_credentials, password, 0, 0),
};
static const struct section credentials_section = SECTION_OF(credentials_fields);

static const struct field basic_auth_fields[] = {
	FIELD("username", F_STRING, REQUIRED, struct pgq_config_credentials, username, 0, 0),
	FIELD("password", F_STRING, REQUIRED, struct pgq_config_credentials, password, 0, 0),
};
static const struct section basic_auth_section = SECTION_OF(basic_auth_fields);

static const struct field restapi_fields[] = {
	FIELD("listen", F_HOSTPORT, 0, struct pgq_config_restapi, listen, 0, 0),
	FIELD("connect_address", F_HOSTPORT, 0, struct pgq_config_restapi, connect_address, 0, 0),
	SECTION("authentication", 0, struct pgq_config_restapi, authentication, basic_auth_section),
	FIELD("certfile", F_PATH, 0, struct pgq_config_restapi, certfile, 0, 0),
	FIELD("keyfile", F_PATH, 0, struct pgq_config_restapi, keyfile, 0, 0),
	FIELD("cafile", F_PATH, 0, struct pgq_config_restapi, cafile, 0, 0),
	ENUMF("verify_client", struct pgq_config_restapi, verify_client, verify_client_names),
	CUSTOM("allowlist", 0, struct pgq_config_restapi, allowlist, parse_allowlist),
	FIELD("max_body_bytes", F_SIZE, 0, struct pgq_config_restapi, max_body_bytes, KB(1), MB(16)),
	FIELD("max_connections", F_U32, 0, struct pgq_config_restapi, max_connections, 1, 65535),
	FIELD("request_timeout", F_DURATION_S, 0, struct pgq_config_restapi, request_timeout_ms, 100, MINUTES(10)),
};
static const struct section restapi_section = SECTION_OF(restapi_fields);

static const struct field pg_auth_fields[] = {
	SECTION("superuser", 0, struct pgq_config_postgresql, superuser, credentials_section),
	SECTION("replication", 0, struct pgq_config_postgresql, replication, credentials_section),
};
/* The authentication block fills two members of the postgresql struct itself. */
static const struct section pg_auth_section = SECTION_OF(pg_auth_fields);

static const struct field postgresql_fields[] = {
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
	FIELD("use_slots", F_BOOL, 0, struct pgq_config_postgresql, use_slots, 0, 0),
};
static const struct section postgresql_section = SECTION_OF(postgresql_fields);

static const struct field dcs_pg_fields[] = {
	PARAMS("parameters", struct pgq_config_dcs, parameters, n_parameters),
};
static const struct section dcs_pg_section = SECTION_OF(dcs_pg_fields);

static const struct field dcs_fields[] = {
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
static const struct section dcs_section = SECTION_OF(dcs_fields);

static const struct field bootstrap_fields[] = {
	SECTION("dcs", 0, struct pgq_config_bootstrap, dcs, dcs_section),
	CUSTOM("initdb", 0, struct pgq_config_bootstrap, initdb, parse_initdb),
};
static const struct section bootstrap_section = SECTION_OF(bootstrap_fields);

static const struct field hook_fields[] = {
	CUSTOM("exec", 0, struct pgq_config_hook, exec, parse_exec),
	FIELD("shell", F_BOOL, 0, struct pgq_config_hook, shell, 0, 0),
	FIELD("plugin", F_PATH, 0, struct pgq_config_hook, plugin, 0, 0),
	FIELD("timeout", F_DURATION_S, 0, struct pgq_config_hook, timeout_ms, 100, HOURS(1)),
};
static const struct section hook_section = SECTION_OF(hook_fields);

static const struct field hooks_fields[] = {
	{ .key = "on_start", .kind = F_SECTION, .offset = PGQ_HOOK_ON_START * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "on_stop", .kind = F_SECTION, .offset = PGQ_HOOK_ON_STOP * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "on_restart", .kind = F_SECTION, .offset = PGQ_HOOK_ON_RESTART * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "on_reload", .kind = F_SECTION, .offset = PGQ_HOOK_ON_RELOAD * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "on_role_change", .kind = F_SECTION, .offset = PGQ_HOOK_ON_ROLE_CHANGE * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "pre_promote", .kind = F_SECTION, .offset = PGQ_HOOK_PRE_PROMOTE * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "post_promote", .kind = F_SECTION, .offset = PGQ_HOOK_POST_PROMOTE * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "fence", .kind = F_SECTION, .offset = PGQ_HOOK_FENCE * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "unfence", .kind = F_SECTION, .offset = PGQ_HOOK_UNFENCE * sizeof(struct pgq_config_hook), .section = &hook_section },
	{ .key = "on_demote", .kind = F_SECTION, .offset = PGQ_HOOK_ON_DEMOTE * sizeof(struct pgq_config_hook), .section = &hook_section },
};
static const struct section hooks_section = SECTION_OF(hooks_fields);

static const struct field fencing_fields[] = {
	FIELD("required", F_BOOL, 0, struct pgq_config_fencing, required, 0, 0),
};
static const struct section fencing_section = SECTION_OF(fencing_fields);

static const struct field watchdog_fields[] = {
	ENUMF("mode", struct pgq_config_watchdog, mode, watchdog_mode_names),
	FIELD("device", F_PATH, 0, struct pgq_config_watchdog, device, 0, 0),
	FIELD("safety_margin", F_DURATION_S, 0, struct pgq_config_watchdog, safety_margin_ms, 0, HOURS(1)),
};
static const struct section watchdog_section = SECTION_OF(watchdog_fields);

static const struct field tags_fields[] = {
	FIELD("nofailover", F_BOOL, 0, struct pgq_config_tags, nofailover, 0, 0),
	FIELD("noloadbalance", F_BOOL, 0, struct pgq_config_tags, noloadbalance, 0, 0),
	FIELD("nosync", F_BOOL, 0, struct pgq_config_tags, nosync, 0, 0),
	FIELD("failover_priority", F_INT, 0, struct pgq_config_tags, failover_priority, 0, INT_MAX),
};
static const struct section tags_section = {
	tags_fields, sizeof(tags_fields) / sizeof(tags_fields[0]), parse_custom_tag,
};

static const struct field top_fields[] = {
	FIELD("scope", F_NAME, REQUIRED, struct pgq_config, scope, 0, 0),
	FIELD("name", F_NAME, REQUIRED, struct pgq_config, name, 0, 0),
	SECTION("log", 0, struct pgq_config, log, log_section),
	SECTION("raft", REQUIRED, struct pgq_config, raft, raft_section),
	SECTION("restapi", 0, struct pgq_config, restapi, restapi_section),
	SECTION("postgresql", REQUIRED, struct pgq_config, postgresql, postgresql_section),
	SECTION("bootstrap", 0, struct pgq_config, bootstrap, bootstrap_section),
	SECTION("hooks", 0, struct pgq_config, hooks, hooks_section),
	SECTION("fencing", 0, struct pgq_config, fencing, fencing_section),
	SECTION("watchdog", 0, struct pgq_config, watchdog, watchdog_section),
	SECTION("tags", 0, struct pgq_config, tags, tags_section),
};
static const struct section top_section = SECTION_OF(top_fields);

/* --------------------------------------------------------- the walker */

static void walk_section(struct ctx *c, const struct section *sec, const struct pgq_ynode *map, void *base,
			 const char *path);

/* "did you mean": the closest key of this section, if close enough to be a typo. */
static const char *closest_key(const struct section *sec, const char *key)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < sec->n_fields; i++) {
		size_t d = pgq_levenshtein(key, sec->fields[i].key);
		size_t len = strlen(sec->fields[i].key);
		size_t limit = len <= 2 ? 1 : 2;

		if (d <= limit && d < best_d) {
			best = sec->fields[i].key;
			best_d = d;
		}
	}
	return best;
}

/* A key that exists in another section: "ttl" at the top means bootstrap.dcs.ttl. */
static bool find_elsewhere(const struct section *sec, const char *key, const char *prefix, char *out, size_t len,
			   int depth)
{
	if (depth > 4)
		return false;
	for (size_t i = 0; i < sec->n_fields; i++) {
		char path[PATH_TEXT_MAX];

		join_path(path, sizeof(path), prefix, sec->fields[i].key);
		if (strcmp(sec->fields[i].key, key) == 0) {
			snprintf(out, len, "%s", path);
			return true;
		}
	}
	for (size_t i = 0; i < sec->n_fields; i++) {
		char path[PATH_TEXT_MAX];

		if (sec->fields[i].kind != F_SECTION || sec->fields[i].section == &hook_section)
			continue;
		join_path(path, sizeof(path), prefix, sec->fields[i].key);
		if (find_elsewhere(sec->fields[i].section, key, path, out, len, depth + 1))
			return true;
	}
	return false;
}

static void unknown_key(struct ctx *c, const struct section *sec, const struct pgq_ynode *key, const char *path)
{
	const char *near = closest_key(sec, key->value);
	char where[PATH_TEXT_MAX + 16];
	char elsewhere[PATH_TEXT_MAX];

	if (path[0] == '\0')
		snprintf(where, sizeof(where), "at the top level");
	else
		snprintf(where, sizeof(where), "in '%s'", path);
	if (near != NULL) {
		problem(c, key, "unknown key '%s' %s; did you mean '%s'?", key->value, where, near);
		return;
	}
	/* Below this section first (postgresql: username -> its authentication), then anywhere. */
	if (find_elsewhere(sec, key->value, path, elsewhere, sizeof(elsewhere), 0) ||
	    find_elsewhere(&top_section, key->value, "", elsewhere, sizeof(elsewhere), 0)) {
		if (strchr(elsewhere, '.') == NULL)
			problem(c, key, "unknown key '%s' %s; '%s' belongs at the top level", key->value, where,
				elsewhere);
		else
			problem(c, key, "unknown key '%s' %s; did you mean '%s'?", key->value, where, elsewhere);
		return;
	}
	problem(c, key, "unknown key '%s' %s", key->value, where);
}

/*
 * Check the keys of a mapping: scalars, no duplicates. Returns a bitmap-free
 * verdict per pair through `skip` (pairs the walker must ignore).
 */
static bool *check_keys(struct ctx *c, const struct pgq_ynode *map, const char *path)
{
	bool *skip = calloc(map->n_pairs ? map->n_pairs : 1, sizeof(*skip));

	if (skip == NULL) {
		oom(c);
		return NULL;
	}
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pgq_ynode *key = map->pairs[i].key;

		if (key->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(key)) {
			problem(c, key, "%s%skeys must be plain names, got %s", path, path[0] ? ": " : "",
				pgq_ynode_kind_name(key));
			skip[i] = true;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct pgq_ynode *prev = map->pairs[j].key;

			if (!skip[j] && prev->kind == PGQ_YNODE_SCALAR && strcmp(prev->value, key->value) == 0) {
				problem(c, key, "duplicate key '%s' (first defined at line %u)", key->value,
					prev->line);
				skip[i] = true;
				break;
			}
		}
	}
	return skip;
}

static void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"TB", "GB", "MB", "kB"};

	for (size_t i = 0; i < 4; i++) {
		unsigned shift = (unsigned)(40 - 10 * i);

		if (bytes != 0 && bytes % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(bytes >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
}

static void format_value(enum field_kind kind, int64_t v, char *buf, size_t len)
{
	switch (kind) {
	case F_DURATION_S:
	case F_DURATION_MS:
		pgq_format_duration((uint64_t)v, buf, len);
		break;
	case F_SIZE:
	case F_SIZE32:
		format_size((uint64_t)v, buf, len);
		break;
	default:
		snprintf(buf, len, "%lld", (long long)v);
		break;
	}
}

static bool scalar_or_complain(struct ctx *c, const struct pgq_ynode *v, const char *path, const char *expected)
{
	if (v->kind == PGQ_YNODE_SCALAR)
		return true;
	problem(c, v, "%s: expected %s, got %s", path, expected, pgq_ynode_kind_name(v));
	return false;
}

static void set_string(struct ctx *c, char **dst, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		oom(c);
		return;
	}
	free(*dst);
	*dst = copy;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

static void parse_enum(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *dst, const char *path)
{
	char allowed[256] = "";
	size_t used = 0;

	if (!scalar_or_complain(c, v, path, "one of its allowed values"))
		return;
	for (const struct enum_name *e = f->names; e->name != NULL; e++) {
		if (strcmp(v->value, e->name) == 0) {
			int value = e->value;

			memcpy(dst, &value, sizeof(value));
			return;
		}
	}
	for (const struct enum_name *e = f->names; e->name != NULL; e++) {
		int n;

		if (e->alias)
			continue;
		n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", used ? ", " : "", e->name);
		if (n < 0 || (size_t)n >= sizeof(allowed) - used)
			break;
		used += (size_t)n;
	}
	problem(c, v, "%s: invalid value '%s' (allowed: %s)", path, v->value, allowed);
}

/* Integers, durations and sizes: parse into a 64-bit value, check the range, store. */
static void parse_number(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *dst,
			 const char *path)
{
	char err[256];
	char lo[32], hi[32], got[32];
	int64_t value = 0;
	uint64_t u;
	const char *expected = "an integer";

	if (f->kind == F_DURATION_S || f->kind == F_DURATION_MS)
		expected = "a duration";
	else if (f->kind == F_SIZE || f->kind == F_SIZE32)
		expected = "a size";
	if (!scalar_or_complain(c, v, path, expected))
		return;
	switch (f->kind) {
	case F_INT:
	case F_U32:
		if (v->quoted || pgq_parse_int64(v->value, &value) != 0) {
			problem(c, v, "%s: expected an integer, got %s'%s'", path, v->quoted ? "the string " : "",
				v->value);
			return;
		}
		break;
	case F_DURATION_S:
	case F_DURATION_MS:
		if (pgq_parse_duration_ms(v->value, f->kind == F_DURATION_S ? 1000 : 1, &u, err, sizeof(err)) != 0) {
			problem(c, v, "%s: %s", path, err);
			return;
		}
		value = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	case F_SIZE:
	case F_SIZE32:
		if (pgq_parse_size_bytes(v->value, &u, err, sizeof(err)) != 0) {
			problem(c, v, "%s: %s", path, err);
			return;
		}
		value = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	default:
		return;
	}
	if (value < f->min || value > f->max) {
		format_value(f->kind, f->min, lo, sizeof(lo));
		format_value(f->kind, f->max, hi, sizeof(hi));
		format_value(f->kind, value, got, sizeof(got));
		problem(c, v, "%s: %s is out of range (allowed: %s to %s)", path, got, lo, hi);
		return;
	}
	switch (f->kind) {
	case F_INT: {
		int i = (int)value;
		memcpy(dst, &i, sizeof(i));
		break;
	}
	case F_SIZE: {
		uint64_t b = (uint64_t)value;
		memcpy(dst, &b, sizeof(b));
		break;
	}
	default: {
		uint32_t w = (uint32_t)value;
		memcpy(dst, &w, sizeof(w));
		break;
	}
	}
}

static void parse_string_list(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			      const char *path)
{
	char ***list = (char ***)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count_offset);
	char **items;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		problem(c, v, "%s: expected a sequence of strings, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	items = calloc(v->n_items + 1, sizeof(*items));
	if (items == NULL) {
		oom(c);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];

		if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			problem(c, item, "%s[%zu]: expected a string, got %s", path, i, pgq_ynode_kind_name(item));
			continue;
		}
		items[n] = strdup(item->value);
		if (items[n] == NULL) {
			oom(c);
			continue;
		}
		n++;
	}
	for (size_t i = 0; i < *count; i++)
		free((*list)[i]);
	free(*list);
	*list = items;
	*count = n;
}

static void parse_field(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			const char *path)
{
	void *dst = (char *)base + f->offset;
	char err[256];

	switch (f->kind) {
	case F_STRING:
	case F_NAME:
	case F_PATH:
		if (!scalar_or_complain(c, v, path, "a string"))
			return;
		if (f->kind == F_NAME && !valid_name(v->value)) {
			problem(c, v, "%s: invalid name '%s' (1 to 63 letters, digits, '_', '-' or '.')", path,
				v->value);
			return;
		}
		if (f->kind == F_PATH && v->value[0] != '/') {
			problem(c, v, "%s: '%s' is not an absolute path", path, v->value);
			return;
		}
		set_string(c, (char **)dst, v->value);
		return;
	case F_BOOL: {
		bool b;

		if (!scalar_or_complain(c, v, path, "a boolean"))
			return;
		if (v->quoted || pgq_parse_bool(v->value, &b) != 0) {
			problem(c, v, "%s: expected a boolean (true or false), got %s'%s'", path,
				v->quoted ? "the string " : "", v->value);
			return;
		}
		*(bool *)dst = b;
		return;
	}
	case F_INT:
	case F_U32:
	case F_DURATION_S:
	case F_DURATION_MS:
	case F_SIZE:
	case F_SIZE32:
		parse_number(c, f, v, dst, path);
		return;
	case F_ENUM:
		parse_enum(c, f, v, dst, path);
		return;
	case F_HOSTPORT: {
		struct pgq_hostport hp;

		if (!scalar_or_complain(c, v, path, "host:port"))
			return;
		if (pgq_parse_hostport(v->value, &hp, err, sizeof(err)) != 0) {
			problem(c, v, "%s: %s", path, err);
			return;
		}
		pgq_hostport_clear((struct pgq_hostport *)dst);
		*(struct pgq_hostport *)dst = hp;
		return;
	}
	case F_SECTION:
		if (v->kind != PGQ_YNODE_MAPPING) {
			problem(c, v, "%s: expected a mapping, got %s", path, pgq_ynode_kind_name(v));
			return;
		}
		walk_section(c, f->section, v, dst, path);
		return;
	case F_STRING_LIST:
		parse_string_list(c, f, v, base, path);
		return;
	case F_CUSTOM:
		f->custom(c, f, v, base, path);
		return;
	}
}

static void walk_section(struct ctx *c, const struct section *sec, const struct pgq_ynode *map, void *base,
			 const char *path)
{
	bool *skip = check_keys(c, map, path);
	bool *present = calloc(sec->n_fields, sizeof(*present));

	if (skip == NULL || present == NULL) {
		free(skip);
		free(present);
		oom(c);
		return;
	}
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pgq_ynode *key = map->pairs[i].key;
		const struct pgq_ynode *value = map->pairs[i].value;
		const struct field *f = NULL;
		char sub[PATH_TEXT_MAX];
		size_t k;

		if (skip[i])
			continue;
		for (k = 0; k < sec->n_fields; k++) {
			if (strcmp(sec->fields[k].key, key->value) == 0) {
				f = &sec->fields[k];
				break;
			}
		}
		join_path(sub, sizeof(sub), path, key->value);
		if (f == NULL) {
			if (sec->other != NULL)
				sec->other(c, key, value, base, path);
			else
				unknown_key(c, sec, key, path);
			continue;
		}
		remember(c, sub, key, value);
		if (pgq_ynode_is_null(value)) {
			/* "key:" with nothing after it means "not set". */
			if (f->flags & REQUIRED) {
				problem(c, key, "%s: a value is required", sub);
				present[k] = true;
			}
			continue;
		}
		present[k] = true;
		parse_field(c, f, value, base, sub);
	}
	for (size_t k = 0; k < sec->n_fields; k++) {
		if ((sec->fields[k].flags & REQUIRED) && !present[k]) {
			if (path[0] == '\0')
				problem(c, map, "missing required key '%s'", sec->fields[k].key);
			else
				problem(c, map, "missing required key '%s' in '%s'", sec->fields[k].key, path);
		}
	}
	free(skip);
	free(present);
}

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

static void parse_peers(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			const char *path)
{
	struct pgq_config_raft *raft = base;
	struct pgq_config_peer *peers;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		problem(c, v, "%s: expected a sequence of members ({name, address}), got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	if (v->n_items == 0) {
		problem(c, v, "%s: at least one member is required", path);
		return;
	}
	peers = calloc(v->n_items, sizeof(*peers));
	if (peers == NULL) {
		oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];
		char sub[PATH_TEXT_MAX];

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (item->kind != PGQ_YNODE_MAPPING) {
			problem(c, item, "%s: expected a mapping with 'name' and 'address', got %s", sub,
				pgq_ynode_kind_name(item));
			continue;
		}
		walk_section(c, &peer_section, item, &peers[i], sub);
	}
	/* Names and addresses must be unique: one Raft identity per member. */
	for (size_t i = 0; i < v->n_items; i++) {
		for (size_t j = 0; j < i; j++) {
			if (peers[i].name != NULL && peers[j].name != NULL && strcmp(peers[i].name, peers[j].name) == 0) {
				problem(c, mapping_get(v->items[i], "name"),
					"%s[%zu].name: duplicate member name '%s' (first at line %u)", path, i,
					peers[i].name, mapping_get(v->items[j], "name")->line);
				break;
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (pgq_hostport_equal(&peers[i].address, &peers[j].address)) {
				problem(c, mapping_get(v->items[i], "address"),
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

static void parse_parameters(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			     const char *path)
{
	struct pgq_config_kv **dst = (struct pgq_config_kv **)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count_offset);
	struct pgq_config_kv *kv;
	bool *skip;
	size_t n = 0;

	if (v->kind != PGQ_YNODE_MAPPING) {
		problem(c, v, "%s: expected a mapping of setting names to values, got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	skip = check_keys(c, v, path);
	if (skip == NULL)
		return;
	kv = calloc(v->n_pairs ? v->n_pairs : 1, sizeof(*kv));
	if (kv == NULL) {
		free(skip);
		oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct pgq_ynode *key = v->pairs[i].key;
		const struct pgq_ynode *value = v->pairs[i].value;
		const char *why;

		if (skip[i])
			continue;
		if (!valid_parameter_name(key->value)) {
			problem(c, key, "%s: invalid setting name '%s'", path, key->value);
			continue;
		}
		why = managed_parameter(key->value);
		if (why != NULL) {
			problem(c, key, "%s: '%s' must not be set here: %s", path, key->value, why);
			continue;
		}
		if (value->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value)) {
			problem(c, value, "%s.%s: expected a scalar value, got %s", path, key->value,
				pgq_ynode_kind_name(value));
			continue;
		}
		kv[n].key = strdup(key->value);
		kv[n].value = strdup(value->value);
		if (kv[n].key == NULL || kv[n].value == NULL) {
			free(kv[n].key);
			free(kv[n].value);
			kv[n].key = kv[n].value = NULL;
			oom(c);
			continue;
		}
		n++;
	}
	free(skip);
	free_kv(*dst, *count);
	*dst = kv;
	*count = n;
}

static void parse_allowlist(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			    const char *path)
{
	struct pgq_config_restapi *api = base;
	struct pgq_cidr *list;
	size_t n = 0;
	char err[256];

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		problem(c, v, "%s: expected a sequence of addresses or CIDR networks, got %s", path,
			pgq_ynode_kind_name(v));
		return;
	}
	list = calloc(v->n_items ? v->n_items : 1, sizeof(*list));
	if (list == NULL) {
		oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];

		if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			problem(c, item, "%s[%zu]: expected an address or CIDR network, got %s", path, i,
				pgq_ynode_kind_name(item));
			continue;
		}
		if (pgq_parse_cidr(item->value, &list[n], err, sizeof(err)) != 0) {
			problem(c, item, "%s[%zu]: %s", path, i, err);
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
static void parse_initdb(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
			 const char *path)
{
	struct pgq_config_bootstrap *boot = base;
	struct pgq_config_initdb_option *opts;
	size_t n = 0;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		problem(c, v, "%s: expected a sequence of options, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	opts = calloc(v->n_items ? v->n_items : 1, sizeof(*opts));
	if (opts == NULL) {
		oom(c);
		return;
	}
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];
		const struct pgq_ynode *name_node = item, *value_node = NULL;

		if (item->kind == PGQ_YNODE_MAPPING) {
			if (item->n_pairs != 1) {
				problem(c, item, "%s[%zu]: expected one option (\"name\" or {name: value}), got %zu keys",
					path, i, item->n_pairs);
				continue;
			}
			name_node = item->pairs[0].key;
			value_node = item->pairs[0].value;
			if (value_node->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value_node)) {
				problem(c, value_node, "%s[%zu]: expected a scalar value, got %s", path, i,
					pgq_ynode_kind_name(value_node));
				continue;
			}
		} else if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			problem(c, item, "%s[%zu]: expected an option name or {name: value}, got %s", path, i,
				pgq_ynode_kind_name(item));
			continue;
		}
		if (name_node->kind != PGQ_YNODE_SCALAR) {
			problem(c, name_node, "%s[%zu]: option names must be strings", path, i);
			continue;
		}
		if (strncmp(name_node->value, "--", 2) == 0) {
			problem(c, name_node, "%s[%zu]: write '%s' without the leading '--'", path, i,
				name_node->value + 2);
			continue;
		}
		if (!valid_initdb_option(name_node->value)) {
			problem(c, name_node, "%s[%zu]: invalid initdb option name '%s'", path, i, name_node->value);
			continue;
		}
		if (strcmp(name_node->value, "pgdata") == 0) {
			problem(c, name_node, "%s[%zu]: 'pgdata' comes from postgresql.data_dir", path, i);
			continue;
		}
		opts[n].name = strdup(name_node->value);
		opts[n].value = value_node != NULL ? strdup(value_node->value) : NULL;
		if (opts[n].name == NULL || (value_node != NULL && opts[n].value == NULL)) {
			free(opts[n].name);
			free(opts[n].value);
			opts[n].name = opts[n].value = NULL;
			oom(c);
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
static void parse_exec(struct ctx *c, const struct field *f, const struct pgq_ynode *v, void *base,
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
			problem(c, v, "%s: the command must not be empty", path);
			return;
		}
	} else if (v->kind != PGQ_YNODE_SCALAR) {
		problem(c, v, "%s: expected a command as a list of arguments, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	argv = calloc(n_items + 1, sizeof(*argv));
	if (argv == NULL) {
		oom(c);
		return;
	}
	for (size_t i = 0; i < n_items; i++) {
		if (items[i]->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(items[i])) {
			problem(c, items[i], "%s[%zu]: expected a string argument, got %s", path, i,
				pgq_ynode_kind_name(items[i]));
			continue;
		}
		argv[n] = strdup(items[i]->value);
		if (argv[n] == NULL) {
			oom(c);
			continue;
		}
		n++;
	}
	if (n == 0 || argv[0][0] == '\0') {
		if (n > 0)
			problem(c, items[0], "%s: the program name must not be empty", path);
		free_argv(argv);
		return;
	}
	free_argv(hook->exec);
	hook->exec = argv;
	hook->n_exec = n;
}

static const char *const builtin_tags[] = {"nofailover", "noloadbalance", "nosync", "failover_priority",
					   "clonefrom", "nostream"};

static void parse_custom_tag(struct ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value,
			     void *base, const char *path)
{
	struct pgq_config_tags *tags = base;
	struct pgq_config_kv *kv;
	char sub[PATH_TEXT_MAX];

	/* A custom tag one typo away from a built-in one would silently do nothing. */
	for (size_t i = 0; i < 4; i++) {
		size_t d = pgq_levenshtein(key->value, builtin_tags[i]);

		if (d > 0 && d <= 2) {
			problem(c, key, "unknown key '%s' in 'tags'; did you mean '%s'? (custom tags must not look like a built-in tag)",
				key->value, builtin_tags[i]);
			return;
		}
	}
	join_path(sub, sizeof(sub), path, key->value);
	remember(c, sub, key, value);
	if (value->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(value)) {
		problem(c, value, "%s: custom tag values must be scalars, got %s", sub, pgq_ynode_kind_name(value));
		return;
	}
	kv = realloc(tags->custom, (tags->n_custom + 1) * sizeof(*kv));
	if (kv == NULL) {
		oom(c);
		return;
	}
	tags->custom = kv;
	kv[tags->n_custom].key = strdup(key->value);
	kv[tags->n_custom].value = strdup(value->value);
	if (kv[tags->n_custom].key == NULL || kv[tags->n_custom].value == NULL) {
		free(kv[tags->n_custom].key);
		free(kv[tags->n_custom].value);
		oom(c);
		return;
	}
	tags->n_custom++;
}

/* ---------------------------------------------------------- defaults */

static int set_defaults(struct pgq_config *cfg)
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

/* --------------------------------------------------- rules across keys */

static void check_membership(struct ctx *c)
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
	problem(c, value_at(c, "name"), "name: '%s' is not among raft.peers (members: %s)", cfg->name, names);
}

/* SAFETY.md L2: the lease must outlast a renewal period, two elections, a commit and a self-fence. */
static void check_timing(struct ctx *c)
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

	if (cfg->raft.heartbeat_ms >= cfg->raft.election_timeout_ms)
		problem(c, value_at(c, seen_find(c, "raft.heartbeat_ms") ? "raft.heartbeat_ms" : "raft.election_timeout_ms"),
			"raft.heartbeat_ms (%u) must be below raft.election_timeout_ms (%u)", cfg->raft.heartbeat_ms,
			cfg->raft.election_timeout_ms);
	if (dcs->kill_budget_ms >= dcs->stop_budget_ms)
		problem(c, value_at(c, seen_find(c, "bootstrap.dcs.kill_budget_ms") ? "bootstrap.dcs.kill_budget_ms"
										     : "bootstrap.dcs.stop_budget_ms"),
			"bootstrap.dcs.kill_budget_ms (%u) must be below bootstrap.dcs.stop_budget_ms (%u): "
			"the immediate stop comes after the fast stop (SAFETY.md S5)",
			dcs->kill_budget_ms, dcs->stop_budget_ms);
	if (dcs->ttl_ms >= need)
		return;
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]) && at == NULL; i++) {
		const struct seen *s = seen_find(c, terms[i]);

		if (s != NULL)
			at = s->value;
	}
	if (at == NULL)
		at = c->root;
	pgq_format_duration(dcs->ttl_ms, ttl, sizeof(ttl));
	pgq_format_duration(need, need_text, sizeof(need_text));
	problem(c, at,
		"bootstrap.dcs.ttl: %s is too short for the timing rule L2: ttl >= loop_wait + 2 x election_timeout_max"
		" + commit_p99 + stop_budget + kill_budget + drift_floor = %u + 2 x %u + %u + %u + %u + %u = %s;"
		" raise ttl or lower loop_wait",
		ttl, dcs->loop_wait_ms, 2 * cfg->raft.election_timeout_ms, dcs->commit_p99_ms, dcs->stop_budget_ms,
		dcs->kill_budget_ms, dcs->drift_floor_ms, need_text);
}

static void check_sync(struct ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;

	if (dcs->synchronous_mode == PGQ_SYNC_OFF || cfg->raft.n_peers == 0)
		return;
	if (dcs->synchronous_node_count > cfg->raft.n_peers - 1)
		problem(c, value_at(c, seen_find(c, "bootstrap.dcs.synchronous_node_count")
					       ? "bootstrap.dcs.synchronous_node_count"
					       : "bootstrap.dcs.synchronous_mode"),
			"bootstrap.dcs.synchronous_node_count: %u synchronous standbys need at least %u members, "
			"raft.peers has %zu",
			dcs->synchronous_node_count, dcs->synchronous_node_count + 1, cfg->raft.n_peers);
}

/* connect_address defaults to listen; a wildcard listen needs an explicit one. */
static void check_connect_address(struct ctx *c, const char *section, struct pgq_hostport *listen,
				  struct pgq_hostport *connect)
{
	char listen_path[64], connect_path[64];

	snprintf(listen_path, sizeof(listen_path), "%s.listen", section);
	snprintf(connect_path, sizeof(connect_path), "%s.connect_address", section);
	if (connect->text != NULL) {
		if (pgq_hostport_is_wildcard(connect))
			problem(c, value_at(c, connect_path),
				"%s: '%s' is a wildcard address; give an address other members can connect to",
				connect_path, connect->text);
		return;
	}
	if (listen->text == NULL)
		return;
	if (pgq_hostport_is_wildcard(listen)) {
		problem(c, value_at(c, seen_find(c, listen_path) ? listen_path : section),
			"%s: '%s' listens on every address, so %s is required", listen_path, listen->text,
			connect_path);
		return;
	}
	if (pgq_hostport_copy(connect, listen) != 0)
		oom(c);
}

static void check_restapi(struct ctx *c)
{
	const struct pgq_config_restapi *api = &c->cfg->restapi;

	if ((api->certfile != NULL) != (api->keyfile != NULL)) {
		const char *set = api->certfile != NULL ? "certfile" : "keyfile";
		const char *unset = api->certfile != NULL ? "keyfile" : "certfile";
		char path[64];

		snprintf(path, sizeof(path), "restapi.%s", set);
		problem(c, value_at(c, path), "restapi.%s is set but restapi.%s is not: TLS needs both", set, unset);
	}
	if (api->verify_client != PGQ_VERIFY_CLIENT_NONE && (api->cafile == NULL || api->certfile == NULL))
		problem(c, value_at(c, "restapi.verify_client"),
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

static void check_postgresql(struct ctx *c)
{
	const struct pgq_config *cfg = c->cfg;
	const struct pgq_config_postgresql *pg = &cfg->postgresql;
	const struct seen *section = seen_find(c, "postgresql");

	if (!pg->manage)
		return;
	if (pg->data_dir == NULL) {
		if (section != NULL && section->value->kind == PGQ_YNODE_MAPPING)
			problem(c, section->value,
				"missing required key 'data_dir' in 'postgresql' (required unless manage is false)");
		return;
	}
	if (cfg->raft.data_dir != NULL &&
	    (path_within(pg->data_dir, cfg->raft.data_dir) || path_within(cfg->raft.data_dir, pg->data_dir)))
		problem(c, value_at(c, "raft.data_dir"),
			"raft.data_dir: '%s' overlaps postgresql.data_dir '%s'; keep them apart", cfg->raft.data_dir,
			pg->data_dir);
}

static void check_hooks(struct ctx *c)
{
	for (size_t i = 0; i < PGQ_HOOK__COUNT; i++) {
		struct pgq_config_hook *hook = &c->cfg->hooks[i];
		char path[64], exec_path[80];
		const struct seen *s, *exec;

		snprintf(path, sizeof(path), "hooks.%s", hook_event_names[i]);
		snprintf(exec_path, sizeof(exec_path), "%s.exec", path);
		s = seen_find(c, path);
		if (s == NULL || s->value->kind != PGQ_YNODE_MAPPING)
			continue;
		exec = seen_find(c, exec_path);
		if (hook->exec == NULL && hook->plugin == NULL) {
			if (exec == NULL)
				problem(c, s->value, "%s: a hook needs 'exec' (a command) or 'plugin' (a shared object)",
					path);
			continue;
		}
		hook->configured = true;
		if (hook->exec == NULL || exec == NULL)
			continue;
		if (exec->value->kind == PGQ_YNODE_SCALAR && !hook->shell)
			problem(c, exec->value,
				"%s: a command line as one string needs 'shell: true'; otherwise write the arguments as a list",
				exec_path);
		else if (hook->shell && hook->n_exec != 1)
			problem(c, exec->value, "%s: with 'shell: true', give exactly one command line (got %zu arguments)",
				exec_path, hook->n_exec);
	}
}

static void check_watchdog(struct ctx *c)
{
	const struct pgq_config *cfg = c->cfg;

	char margin[32], ttl[32];

	if (cfg->watchdog.mode == PGQ_WATCHDOG_OFF || cfg->watchdog.safety_margin_ms < cfg->bootstrap.dcs.ttl_ms)
		return;
	pgq_format_duration(cfg->watchdog.safety_margin_ms, margin, sizeof(margin));
	pgq_format_duration(cfg->bootstrap.dcs.ttl_ms, ttl, sizeof(ttl));
	problem(c, value_at(c, seen_find(c, "watchdog.safety_margin") ? "watchdog.safety_margin" : "bootstrap.dcs.ttl"),
		"watchdog.safety_margin (%s) must be below bootstrap.dcs.ttl (%s)", margin, ttl);
}

/* ------------------------------------------------------------ the API */

uint64_t pgq_config_min_ttl_ms(const struct pgq_config *config)
{
	const struct pgq_config_dcs *dcs = &config->bootstrap.dcs;
	uint64_t election_timeout_max_ms = 2 * (uint64_t)config->raft.election_timeout_ms;

	return (uint64_t)dcs->loop_wait_ms + 2 * election_timeout_max_ms + dcs->commit_p99_ms +
	       dcs->stop_budget_ms + dcs->kill_budget_ms + dcs->drift_floor_ms;
}

const struct pgq_config_peer *pgq_config_find_peer(const struct pgq_config *config, const char *name)
{
	for (size_t i = 0; i < config->raft.n_peers; i++)
		if (config->raft.peers[i].name != NULL && strcmp(config->raft.peers[i].name, name) == 0)
			return &config->raft.peers[i];
	return NULL;
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

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->n_seen; i++)
		free(c->seen[i].path);
	free(c->seen);
}

int pgq_config_load_buffer(const char *name, const char *text, size_t len, struct pgq_config **out,
			   struct pgq_diag_list *diags)
{
	struct pgq_diag_list local;
	struct pgq_diag_list *d = diags != NULL ? diags : &local;
	struct pgq_ynode *root = NULL;
	struct pgq_config *cfg = NULL;
	struct ctx c;
	int problems;

	*out = NULL;
	if (diags == NULL)
		pgq_diag_list_init(&local);
	size_t before = d->count;

	pgq_diag_list_set_file(d, name);
	memset(&c, 0, sizeof(c));
	c.diags = d;

	if (pgq_yaml_parse(text, len, &root, d) != 0)
		goto done;
	if (root == NULL) {
		pgq_diag_add(d, 1, 1, "the file is empty: expected a mapping with at least scope, name, raft and postgresql");
		goto done;
	}
	if (root->kind != PGQ_YNODE_MAPPING) {
		pgq_diag_add(d, root->line, root->column, "expected a mapping at the top level, got %s",
			     pgq_ynode_kind_name(root));
		goto done;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || set_defaults(cfg) != 0 || (cfg->path = strdup(name)) == NULL) {
		d->oom = 1;
		goto done;
	}
	c.cfg = cfg;
	c.root = root;
	walk_section(&c, &top_section, root, cfg, "");
	check_membership(&c);
	check_timing(&c);
	check_sync(&c);
	check_connect_address(&c, "restapi", &cfg->restapi.listen, &cfg->restapi.connect_address);
	check_restapi(&c);
	check_connect_address(&c, "postgresql", &cfg->postgresql.listen, &cfg->postgresql.connect_address);
	check_postgresql(&c);
	check_hooks(&c);
	check_watchdog(&c);
done:
	ctx_free(&c);
	pgq_ynode_free(root);
	pgq_diag_list_sort(d);
	problems = (int)(d->count - before) + (d->oom ? 1 : 0);
	if (problems == 0) {
		*out = cfg;
	} else {
		pgq_config_free(cfg);
	}
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems;
}

int pgq_config_load(const char *path, struct pgq_config **out, struct pgq_diag_list *diags)
{
	struct pgq_diag_list local;
	struct pgq_diag_list *d = diags != NULL ? diags : &local;
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int problems;
	size_t before;

	*out = NULL;
	if (diags == NULL)
		pgq_diag_list_init(&local);
	before = d->count;
	pgq_diag_list_set_file(d, path);
	f = fopen(path, "rb");
	if (f == NULL) {
		pgq_diag_add(d, 1, 1, "cannot open the configuration file: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		pgq_diag_add(d, 1, 1, "not a regular file");
		fclose(f);
		goto fail;
	}
	if (st.st_size > CONFIG_MAX_FILE_BYTES) {
		pgq_diag_add(d, 1, 1, "the file is larger than %u bytes", CONFIG_MAX_FILE_BYTES);
		fclose(f);
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		fclose(f);
		d->oom = 1;
		goto fail;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		pgq_diag_add(d, 1, 1, "cannot read the configuration file: %s", strerror(errno));
		fclose(f);
		goto fail;
	}
	fclose(f);
	text[len] = '\0';
	problems = pgq_config_load_buffer(path, text, len, out, d);
	free(text);
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems;
fail:
	free(text);
	problems = (int)(d->count - before) + (d->oom ? 1 : 0);
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems > 0 ? problems : 1;
}

int pgq_config_validate_file(const char *path, FILE *out)
{
	struct pgq_diag_list diags;
	struct pgq_config *cfg = NULL;
	int problems;

	pgq_diag_list_init(&diags);
	problems = pgq_config_load(path, &cfg, &diags);
	pgq_diag_list_print(&diags, out);
	pgq_diag_list_free(&diags);
	pgq_config_free(cfg);
	return problems;
}

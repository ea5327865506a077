/*
 * test_config.c — the configuration loader (agent/pgq_config.c and its
 * helpers): every bad fixture in tests/unit/config/ must produce a problem at
 * an exact LINE:COLUMN with a known message, good fixtures must give the
 * documented values and defaults, and contrib/pgquorum.yml.example must be
 * valid. The timing rule L2 of SAFETY.md is proven at its boundary.
 *
 * Fixtures are found through $top_srcdir (exported by the test harness).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_values.h"
#include "config_yaml.h"
#include "pgq_config.h"

#ifndef PGQ_TOP_SRCDIR
#define PGQ_TOP_SRCDIR "."
#endif

static const char *top_srcdir(void)
{
	const char *dir = getenv("top_srcdir");

	return dir != NULL && dir[0] != '\0' ? dir : PGQ_TOP_SRCDIR;
}

static char *fixture_path(const char *name)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/tests/unit/config/%s", top_srcdir(), name) > 0);
	return path;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* `text` with the first `from` replaced by `to`; the caller frees it. */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = NULL;

	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	return out;
}

static void print_diags(const struct pgq_diag_list *d)
{
	for (size_t i = 0; i < d->count; i++)
		print_message("  got %u:%u: %s\n", d->items[i].line, d->items[i].column, d->items[i].message);
}

static bool has_diag(const struct pgq_diag_list *d, unsigned line, unsigned column, const char *text)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->items[i].line == line && d->items[i].column == column && strstr(d->items[i].message, text))
			return true;
	return false;
}

/* ------------------------------------------------------------ bad files */

struct bad_case {
	const char *file;
	unsigned line;
	unsigned column;
	size_t count;          /* problems expected in the whole file */
	const char *text;      /* a key part of the message at line:column */
};

static const struct bad_case bad_cases[] = {
	/* YAML itself */
	{"bad_syntax_mapping.yml", 2, 10, 1, "YAML syntax error: mapping values are not allowed"},
	{"bad_syntax_quote.yml", 3, 1, 1, "while scanning a quoted scalar at line 1, column 8"},
	{"bad_syntax_tab.yml", 4, 1, 1, "found character that cannot start any token"},
	{"bad_syntax_flow.yml", 3, 5, 1, "did not find expected ',' or ']'"},
	{"bad_utf8.yml", 1, 10, 1, "invalid leading UTF-8 octet"},
	{"bad_alias.yml", 16, 12, 1, "YAML aliases (*s) are not supported"},
	{"bad_two_documents.yml", 15, 1, 1, "only one YAML document"},
	{"bad_empty.yml", 1, 1, 1, "the file is empty"},
	{"bad_top_sequence.yml", 1, 1, 1, "expected a mapping at the top level, got a sequence"},
	/* keys */
	{"bad_unknown_top.yml", 15, 1, 1, "unknown key 'colour' at the top level"},
	{"bad_unknown_didyoumean.yml", 4, 3, 2, "unknown key 'lsten' in 'raft'; did you mean 'listen'?"},
	{"bad_misplaced_ttl.yml", 15, 1, 1, "did you mean 'bootstrap.dcs.ttl'?"},
	{"bad_duplicate_key.yml", 15, 1, 1, "duplicate key 'name' (first defined at line 2)"},
	{"bad_custom_tag_typo.yml", 16, 3, 1, "did you mean 'noloadbalance'?"},
	/* missing required keys: reported at the parent mapping */
	{"bad_missing_scope.yml", 1, 1, 1, "missing required key 'scope'"},
	{"bad_missing_listen.yml", 4, 3, 1, "missing required key 'listen' in 'raft'"},
	{"bad_missing_peer_address.yml", 9, 7, 1, "missing required key 'address' in 'raft.peers[1]'"},
	{"bad_null_required.yml", 1, 1, 1, "scope: a value is required"},
	/* types */
	{"bad_type_int_sequence.yml", 13, 23, 1, "raft.snapshot_threshold: expected an integer, got a sequence"},
	{"bad_quoted_integer.yml", 13, 23, 1, "expected an integer, got the string '100'"},
	{"bad_type_section_scalar.yml", 15, 10, 1, "restapi: expected a mapping, got a scalar"},
	{"bad_peer_not_mapping.yml", 11, 7, 1, "raft.peers[2]: expected a mapping"},
	{"bad_bool.yml", 16, 15, 1, "expected a boolean (true or false), got 'maybe'"},
	{"bad_bool_quoted.yml", 15, 11, 1, "got the string 'true'"},
	{"bad_enum_watchdog.yml", 16, 9, 1, "invalid value 'sometimes' (allowed: off, automatic, required)"},
	{"bad_enum_log_level.yml", 2, 10, 1, "invalid value 'verbose' (allowed: debug, info, warning, error)"},
	{"bad_duration.yml", 17, 16, 1, "bootstrap.dcs.loop_wait: expected a duration"},
	{"bad_size.yml", 17, 30, 1, "expected a size"},
	{"bad_invalid_name.yml", 2, 7, 1, "invalid name 'db 1'"},
	{"bad_relative_path.yml", 5, 13, 1, "'pgquorum/raft' is not an absolute path"},
	/* ranges */
	{"bad_range_heartbeat.yml", 13, 17, 1, "5ms is out of range (allowed: 10ms to 10s)"},
	{"bad_range_priority.yml", 16, 22, 1, "-1 is out of range (allowed: 0 to 2147483647)"},
	{"bad_timing_L2.yml", 17, 10, 1, "timing rule L2"},
	{"bad_heartbeat_vs_election.yml", 13, 17, 1, "must be below raft.election_timeout_ms"},
	{"bad_kill_budget.yml", 18, 21, 1, "must be below bootstrap.dcs.stop_budget_ms"},
	{"bad_sync_node_count.yml", 18, 29, 1, "3 synchronous standbys need at least 4 members"},
	/* host:port and networks */
	{"bad_hostport_port_zero.yml", 4, 11, 1, "invalid port '0' (allowed: 1 to 65535)"},
	{"bad_hostport_port_range.yml", 8, 16, 1, "invalid port '65536'"},
	{"bad_hostport_missing_port.yml", 4, 11, 1, "missing ':PORT'"},
	{"bad_hostport_ipv6_brackets.yml", 4, 11, 1, "an IPv6 address must be in brackets"},
	{"bad_hostport_ipv4.yml", 8, 16, 1, "invalid IPv4 address '300.1.2.3'"},
	{"bad_hostport_hostname.yml", 10, 16, 1, "invalid host name 'db_2.example'"},
	{"bad_cidr_host_bits.yml", 17, 7, 1, "did you mean '10.0.0.0/8'?"},
	{"bad_cidr_prefix.yml", 17, 7, 1, "invalid prefix length '33' (allowed: 0 to 32)"},
	{"bad_wildcard_listen.yml", 16, 11, 1, "restapi.connect_address is required"},
	/* membership */
	{"bad_peers_duplicate_name.yml", 11, 13, 1, "duplicate member name 'db2' (first at line 9)"},
	{"bad_peers_duplicate_address.yml", 12, 16, 1, "duplicate address '[0:0::1]:7001' (also used by 'db2' at line 10)"},
	{"bad_peers_empty.yml", 6, 10, 1, "at least one member is required"},
	{"bad_name_not_in_peers.yml", 2, 7, 1, "'db4' is not among raft.peers (members: db1, db2, db3)"},
	/* other cross-key rules */
	{"bad_tls_pair.yml", 16, 13, 1, "restapi.certfile is set but restapi.keyfile is not"},
	{"bad_verify_client.yml", 16, 18, 1, "client certificates need TLS"},
	{"bad_data_dir_overlap.yml", 5, 13, 1, "overlaps postgresql.data_dir"},
	{"bad_managed_parameter.yml", 19, 9, 1, "'synchronous_standby_names' must not be set here"},
	{"bad_hook_empty.yml", 17, 5, 1, "hooks.fence: a hook needs 'exec'"},
	{"bad_hook_shell_string.yml", 17, 11, 1, "needs 'shell: true'"},
	{"bad_initdb_dashes.yml", 17, 7, 1, "without the leading '--'"},
	{"bad_rewind_alias_twice.yml", 16, 3, 1, "set only one of reclone_on_rewind_failure and remove_data_directory"},
};

static void test_bad_file(void **state)
{
	const struct bad_case *bc = *state;
	char *path = fixture_path(bc->file);
	struct pgq_diag_list diags;
	struct pgq_config *cfg = (struct pgq_config *)1;
	int problems;

	pgq_diag_list_init(&diags);
	problems = pgq_config_load(path, &cfg, &diags);
	if (!has_diag(&diags, bc->line, bc->column, bc->text) || diags.count != bc->count) {
		print_message("%s: expected %zu problem(s), one at %u:%u containing \"%s\"\n", bc->file, bc->count,
			      bc->line, bc->column, bc->text);
		print_diags(&diags);
		fail();
	}
	assert_int_equal(problems, (int)bc->count);
	assert_null(cfg);
	assert_string_equal(diags.file, path);
	pgq_diag_list_free(&diags);
	free(path);
}

/* Validation goes on after the first problem and reports them in file order. */
static void test_every_problem_is_collected(void **state)
{
	static const struct {
		unsigned line, column;
		const char *text;
	} expected[] = {
		{2, 7, "'db9' is not among raft.peers"},
		{4, 11, "invalid port '99999'"},
		{6, 17, "raft.heartbeat_ms: expected a duration, got a sequence"},
		{10, 13, "duplicate member name 'db1' (first at line 8)"},
		{13, 11, "expected a boolean (true or false), got 'sometimes'"},
		{16, 9, "watchdog.mode: invalid value 'on'"},
		{17, 3, "unknown key 'devise' in 'watchdog'; did you mean 'device'?"},
	};
	char *path = fixture_path("bad_many_problems.yml");
	struct pgq_diag_list diags;
	struct pgq_config *cfg;

	(void)state;
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load(path, &cfg, &diags), 7);
	print_diags(&diags);
	assert_int_equal(diags.count, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(diags.items[i].line, expected[i].line);
		assert_int_equal(diags.items[i].column, expected[i].column);
		assert_non_null(strstr(diags.items[i].message, expected[i].text));
	}
	pgq_diag_list_free(&diags);
	free(path);
}

/* The CLI form: "FILE:LINE:COLUMN: message", one line per problem. */
static void test_validate_file_prints_file_line_column(void **state)
{
	char *path = fixture_path("bad_duplicate_key.yml");
	char *expected = NULL;
	char out[1024];
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	assert_int_equal(pgq_config_validate_file(path, f), 1);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_true(asprintf(&expected, "%s:15:1: duplicate key 'name' (first defined at line 2)\n", path) > 0);
	assert_string_equal(out, expected);
	free(expected);
	free(path);
}

static void test_missing_file(void **state)
{
	struct pgq_diag_list diags;
	struct pgq_config *cfg;

	(void)state;
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load("/nonexistent/pgquorum.yml", &cfg, &diags), 1);
	assert_null(cfg);
	assert_true(has_diag(&diags, 1, 1, "cannot open the configuration file"));
	pgq_diag_list_free(&diags);
	/* Without a diagnostics list the count is still right, and nothing leaks. */
	assert_int_equal(pgq_config_load("/nonexistent/pgquorum.yml", &cfg, NULL), 1);

	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load("/", &cfg, &diags), 1);
	assert_true(has_diag(&diags, 1, 1, "not a regular file"));
	pgq_diag_list_free(&diags);
}

/* A file over 1 MiB is refused before it is parsed. */
static void test_oversized_file(void **state)
{
	char path[] = "/tmp/pgq-config-big-XXXXXX";
	int fd = mkstemp(path);
	struct pgq_diag_list diags;
	struct pgq_config *cfg;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
	close(fd);
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load(path, &cfg, &diags), 1);
	assert_null(cfg);
	assert_true(has_diag(&diags, 1, 1, "larger than 1048576 bytes"));
	pgq_diag_list_free(&diags);
	unlink(path);
}

/* ----------------------------------------------------------- good files */

static struct pgq_config *load_ok(const char *path)
{
	struct pgq_diag_list diags;
	struct pgq_config *cfg = NULL;
	int problems;

	pgq_diag_list_init(&diags);
	problems = pgq_config_load(path, &cfg, &diags);
	print_diags(&diags);
	assert_int_equal(problems, 0);
	assert_int_equal(diags.count, 0);
	assert_non_null(cfg);
	pgq_diag_list_free(&diags);
	return cfg;
}

static void test_minimal_file_gets_documented_defaults(void **state)
{
	char *path = fixture_path("good_minimal.yml");
	struct pgq_config *cfg = load_ok(path);
	const struct pgq_config_dcs *dcs = &cfg->bootstrap.dcs;

	(void)state;
	assert_string_equal(cfg->path, path);
	assert_string_equal(cfg->scope, "main");
	assert_string_equal(cfg->name, "db1");
	assert_int_equal(cfg->log.level, PGQ_LOG_INFO);
	assert_null(cfg->log.file);

	assert_string_equal(cfg->raft.listen.text, "127.0.0.1:7001");
	assert_string_equal(cfg->raft.listen.host, "127.0.0.1");
	assert_int_equal(cfg->raft.listen.port, 7001);
	assert_int_equal(cfg->raft.listen.family, AF_INET);
	assert_string_equal(cfg->raft.data_dir, "/var/lib/pgquorum/raft");
	assert_int_equal(cfg->raft.n_peers, 3);
	assert_string_equal(cfg->raft.peers[2].name, "db3");
	assert_int_equal(cfg->raft.peers[2].address.port, 7003);
	assert_null(cfg->raft.peers[2].restapi.text);
	assert_ptr_equal(pgq_config_find_peer(cfg, "db2"), &cfg->raft.peers[1]);
	assert_null(pgq_config_find_peer(cfg, "db4"));
	assert_int_equal(cfg->raft.election_timeout_ms, 1000);
	assert_int_equal(cfg->raft.heartbeat_ms, 100);
	assert_int_equal(cfg->raft.snapshot_threshold, 10000);
	assert_int_equal(cfg->raft.max_frame_bytes, 16u << 20);

	assert_string_equal(cfg->restapi.listen.text, "127.0.0.1:8008");
	assert_string_equal(cfg->restapi.connect_address.text, "127.0.0.1:8008");
	assert_null(cfg->restapi.authentication.username);
	assert_null(cfg->restapi.certfile);
	assert_int_equal(cfg->restapi.verify_client, PGQ_VERIFY_CLIENT_NONE);
	assert_int_equal(cfg->restapi.n_allowlist, 0);
	assert_int_equal(cfg->restapi.max_body_bytes, 64u << 10);
	assert_int_equal(cfg->restapi.max_connections, 256);
	assert_int_equal(cfg->restapi.request_timeout_ms, 10000);

	assert_true(cfg->postgresql.manage);
	assert_string_equal(cfg->postgresql.data_dir, "/var/lib/postgresql/15/main");
	assert_string_equal(cfg->postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
	assert_string_equal(cfg->postgresql.listen.text, "127.0.0.1:5432");
	assert_string_equal(cfg->postgresql.connect_address.text, "127.0.0.1:5432");
	assert_string_equal(cfg->postgresql.superuser.username, "postgres");
	assert_null(cfg->postgresql.superuser.password);
	assert_string_equal(cfg->postgresql.replication.username, "replicator");
	assert_int_equal(cfg->postgresql.n_parameters, 0);
	assert_int_equal(cfg->postgresql.n_pg_hba, 0);
	assert_true(cfg->postgresql.use_pg_rewind);
	assert_true(cfg->postgresql.reclone_on_rewind_failure);
	assert_true(cfg->postgresql.use_slots);

	assert_int_equal(dcs->ttl_ms, 30000);
	assert_int_equal(dcs->loop_wait_ms, 10000);
	assert_int_equal(dcs->retry_timeout_ms, 10000);
	assert_int_equal(dcs->maximum_lag_on_failover_bytes, 1u << 20);
	assert_int_equal(dcs->synchronous_mode, PGQ_SYNC_OFF);
	assert_int_equal(dcs->synchronous_node_count, 1);
	assert_false(dcs->synchronous_mode_strict);
	assert_int_equal(dcs->failover_backoff_ms, 60000);
	assert_int_equal(dcs->switchover_max_lag_bytes, 16u << 20);
	assert_int_equal(dcs->switchover_timeout_ms, 60000);
	assert_int_equal(dcs->promote_timeout_ms, 60000);
	assert_int_equal(dcs->report_timeout_ms, 5000);
	assert_int_equal(dcs->member_slots_ttl_ms, 1800000);
	assert_int_equal(dcs->drift_floor_ms, 500);
	assert_int_equal(dcs->commit_p99_ms, 500);
	assert_int_equal(dcs->stop_budget_ms, 5000);
	assert_int_equal(dcs->kill_budget_ms, 1500);
	assert_int_equal(dcs->n_parameters, 0);
	assert_int_equal(cfg->bootstrap.n_initdb, 0);
	/* L2 with every default: 10000 + 2 x 2000 + 500 + 5000 + 1500 + 500 */
	assert_int_equal(pgq_config_min_ttl_ms(cfg), 21500);

	for (int i = 0; i < PGQ_HOOK__COUNT; i++) {
		assert_false(cfg->hooks[i].configured);
		assert_null(cfg->hooks[i].exec);
		assert_int_equal(cfg->hooks[i].timeout_ms, 30000);
	}
	assert_false(cfg->fencing.required);
	assert_int_equal(cfg->watchdog.mode, PGQ_WATCHDOG_AUTOMATIC);
	assert_string_equal(cfg->watchdog.device, "/dev/watchdog");
	assert_int_equal(cfg->watchdog.safety_margin_ms, 5000);
	assert_false(cfg->tags.nofailover);
	assert_false(cfg->tags.noloadbalance);
	assert_false(cfg->tags.nosync);
	assert_int_equal(cfg->tags.failover_priority, 1);
	assert_int_equal(cfg->tags.n_custom, 0);
	pgq_config_free(cfg);
	free(path);
}

static void test_full_file_values(void **state)
{
	char *path = fixture_path("good_full.yml");
	struct pgq_config *cfg = load_ok(path);
	const struct pgq_config_hook *hook;

	(void)state;
	assert_string_equal(cfg->scope, "cluster-1");
	assert_int_equal(cfg->log.level, PGQ_LOG_WARNING);
	assert_string_equal(cfg->log.file, "/var/log/pgquorum.log");
	assert_string_equal(cfg->raft.listen.host, "::");
	assert_int_equal(cfg->raft.listen.family, AF_INET6);
	assert_string_equal(cfg->raft.peers[0].address.host, "db-1.example.com");
	assert_int_equal(cfg->raft.peers[0].address.family, AF_UNSPEC);
	assert_string_equal(cfg->raft.peers[0].restapi.text, "db-1.example.com:8008");
	assert_string_equal(cfg->raft.peers[1].address.host, "fd00::2");
	assert_int_equal(cfg->raft.snapshot_threshold, 500);
	assert_int_equal(cfg->raft.max_frame_bytes, 1u << 20);

	assert_string_equal(cfg->restapi.connect_address.text, "[fd00::2]:8443");
	assert_string_equal(cfg->restapi.authentication.username, "admin");
	assert_string_equal(cfg->restapi.authentication.password, "12345");
	assert_int_equal(cfg->restapi.verify_client, PGQ_VERIFY_CLIENT_REQUIRED);
	assert_int_equal(cfg->restapi.n_allowlist, 3);
	assert_int_equal(cfg->restapi.allowlist[0].family, AF_INET);
	assert_int_equal(cfg->restapi.allowlist[0].prefix_len, 24);
	assert_int_equal(cfg->restapi.allowlist[1].family, AF_INET6);
	assert_int_equal(cfg->restapi.allowlist[1].prefix_len, 8);
	assert_int_equal(cfg->restapi.allowlist[1].addr[0], 0xfd);
	assert_int_equal(cfg->restapi.allowlist[2].prefix_len, 32);
	assert_int_equal(cfg->restapi.max_body_bytes, 1048576);
	assert_int_equal(cfg->restapi.request_timeout_ms, 120000);

	assert_false(cfg->postgresql.manage);
	assert_null(cfg->postgresql.data_dir);
	assert_string_equal(cfg->postgresql.connect_address.text, "192.0.2.2:5433");
	assert_string_equal(cfg->postgresql.superuser.username, "admin");
	assert_null(cfg->postgresql.superuser.password);
	assert_string_equal(cfg->postgresql.replication.password, "secret");
	assert_int_equal(cfg->postgresql.n_parameters, 3);
	assert_string_equal(cfg->postgresql.parameters[1].key, "work_mem");
	assert_string_equal(cfg->postgresql.parameters[1].value, "8MB");
	assert_string_equal(cfg->postgresql.parameters[2].value, "%m [%p] ");
	assert_int_equal(cfg->postgresql.n_pg_hba, 1);
	assert_false(cfg->postgresql.use_pg_rewind);
	assert_false(cfg->postgresql.reclone_on_rewind_failure);
	assert_false(cfg->postgresql.use_slots);

	assert_int_equal(cfg->bootstrap.dcs.synchronous_mode, PGQ_SYNC_QUORUM);
	assert_int_equal(cfg->bootstrap.dcs.synchronous_node_count, 2);
	assert_true(cfg->bootstrap.dcs.synchronous_mode_strict);
	assert_int_equal(cfg->bootstrap.dcs.n_parameters, 1);
	assert_string_equal(cfg->bootstrap.dcs.parameters[0].value, "1GB");
	assert_int_equal(cfg->bootstrap.n_initdb, 2);
	assert_string_equal(cfg->bootstrap.initdb[0].name, "data-checksums");
	assert_null(cfg->bootstrap.initdb[0].value);
	assert_string_equal(cfg->bootstrap.initdb[1].name, "encoding");
	assert_string_equal(cfg->bootstrap.initdb[1].value, "UTF8");

	hook = &cfg->hooks[PGQ_HOOK_ON_START];
	assert_true(hook->configured);
	assert_true(hook->shell);
	assert_int_equal(hook->n_exec, 1);
	assert_string_equal(hook->exec[0], "echo started >> /tmp/pgq.log");
	assert_null(hook->exec[1]);
	hook = &cfg->hooks[PGQ_HOOK_PRE_PROMOTE];
	assert_true(hook->configured);
	assert_false(hook->shell);
	assert_string_equal(hook->plugin, "/usr/lib/pgquorum/veto.so");
	assert_int_equal(hook->n_exec, 2);
	assert_string_equal(hook->exec[1], "--strict");
	assert_int_equal(hook->timeout_ms, 1500);
	assert_false(cfg->hooks[PGQ_HOOK_FENCE].configured);
	assert_string_equal(pgq_hook_event_name(PGQ_HOOK_PRE_PROMOTE), "pre_promote");
	assert_null(pgq_hook_event_name(PGQ_HOOK__COUNT));

	assert_true(cfg->fencing.required);
	assert_int_equal(cfg->watchdog.mode, PGQ_WATCHDOG_REQUIRED);
	assert_string_equal(cfg->watchdog.device, "/dev/watchdog1");
	assert_true(cfg->tags.nofailover);
	assert_true(cfg->tags.nosync);
	assert_int_equal(cfg->tags.failover_priority, 0);
	assert_int_equal(cfg->tags.n_custom, 2);
	assert_string_equal(cfg->tags.custom[0].key, "rack");
	assert_string_equal(cfg->tags.custom[1].value, "3");
	pgq_config_free(cfg);
	free(path);
}

/* L2 (SAFETY.md): ttl >= loop_wait + 2 x election_timeout_max + commit_p99 +
 * stop_budget + kill_budget + drift_floor; exactly at the bound passes, one
 * millisecond under it fails, naming the rule. */
static void test_timing_rule_L2_boundary(void **state)
{
	char *path = fixture_path("good_tuned.yml");
	char *text = read_file(path);
	struct pgq_config *cfg = load_ok(path);
	struct pgq_diag_list diags;
	char *at_bound, *below;

	(void)state;
	assert_int_equal(cfg->bootstrap.dcs.ttl_ms, 2000);
	assert_int_equal(cfg->bootstrap.dcs.loop_wait_ms, 1000);
	assert_int_equal(cfg->bootstrap.dcs.retry_timeout_ms, 1000);
	assert_int_equal(cfg->bootstrap.dcs.kill_budget_ms, 100);
	assert_int_equal(cfg->bootstrap.dcs.maximum_lag_on_failover_bytes, 16u << 20);
	assert_int_equal(cfg->bootstrap.dcs.member_slots_ttl_ms, 7200000);
	assert_int_equal(cfg->watchdog.safety_margin_ms, 500);
	assert_int_equal(cfg->raft.election_timeout_ms, 100);
	assert_int_equal(pgq_config_min_ttl_ms(cfg), 1000 + 2 * 200 + 50 + 300 + 100 + 100);
	pgq_config_free(cfg);

	at_bound = replace(text, "ttl: 2s", "ttl: 1950ms");
	assert_int_equal(pgq_config_load_buffer("at_bound.yml", at_bound, strlen(at_bound), &cfg, NULL), 0);
	assert_int_equal(cfg->bootstrap.dcs.ttl_ms, 1950);
	pgq_config_free(cfg);

	below = replace(text, "ttl: 2s", "ttl: 1949ms");
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load_buffer("below.yml", below, strlen(below), &cfg, &diags), 1);
	assert_null(cfg);
	print_diags(&diags);
	assert_true(has_diag(&diags, 19, 10, "1949ms is too short for the timing rule L2"));
	assert_true(has_diag(&diags, 19, 10, "= 1950ms"));
	assert_string_equal(diags.file, "below.yml");
	pgq_diag_list_free(&diags);
	free(below);
	free(at_bound);
	free(text);
	free(path);
}

/* The shipped example must stay valid (the "done when"). */
static void test_shipped_example_validates(void **state)
{
	char *path = NULL;
	struct pgq_config *cfg;
	FILE *out = tmpfile();

	(void)state;
	assert_true(asprintf(&path, "%s/contrib/pgquorum.yml.example", top_srcdir()) > 0);
	assert_non_null(out);
	assert_int_equal(pgq_config_validate_file(path, out), 0);
	assert_int_equal(ftell(out), 0); /* printed nothing */
	fclose(out);
	cfg = load_ok(path);
	assert_string_equal(cfg->name, "db1");
	assert_int_equal(cfg->raft.n_peers, 3);
	assert_non_null(pgq_config_find_peer(cfg, cfg->name));
	assert_true(cfg->bootstrap.dcs.ttl_ms >= pgq_config_min_ttl_ms(cfg));
	assert_int_equal(cfg->restapi.n_allowlist, 3);
	assert_int_equal(cfg->bootstrap.n_initdb, 3);
	assert_true(cfg->hooks[PGQ_HOOK_FENCE].configured);
	assert_string_equal(cfg->hooks[PGQ_HOOK_FENCE].exec[1], "--really");
	assert_int_equal(cfg->hooks[PGQ_HOOK_FENCE].timeout_ms, 60000);
	pgq_config_free(cfg);
	free(path);
}

/* --------------------------------------------------------- value parsers */

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t unit;
		uint64_t ms;
	} good[] = {
		{"30", 1000, 30000}, {"30", 1, 30}, {"500ms", 1000, 500}, {"10s", 1, 10000},
		{"2min", 1000, 120000}, {"1h", 1000, 3600000}, {"1d", 1000, 86400000}, {"10 s", 1000, 10000},
		{"0", 1000, 0},
	};
	static const char *const bad[] = {"", "s", "1.5s", "-1s", "+5", "10 sec", "10m", "0x10",
					  "99999999999999999999", "18446744073709551615s", "5 "};
	char err[256];
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(pgq_parse_duration_ms(good[i].text, good[i].unit, &ms, err, sizeof(err)), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pgq_parse_duration_ms(bad[i], 1000, &ms, err, sizeof(err)) == 0)
			fail_msg("duration '%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "expected a duration"));
	}
}

static void test_sizes_integers_booleans(void **state)
{
	char err[256];
	uint64_t bytes;
	int64_t i;
	bool b;

	(void)state;
	assert_int_equal(pgq_parse_size_bytes("1024", &bytes, err, sizeof(err)), 0);
	assert_int_equal(bytes, 1024);
	assert_int_equal(pgq_parse_size_bytes("64kB", &bytes, err, sizeof(err)), 0);
	assert_int_equal(bytes, 65536);
	assert_int_equal(pgq_parse_size_bytes("16MB", &bytes, err, sizeof(err)), 0);
	assert_int_equal(bytes, 16u << 20);
	assert_int_equal(pgq_parse_size_bytes("2TB", &bytes, err, sizeof(err)), 0);
	assert_int_equal(bytes, UINT64_C(2) << 40);
	assert_int_equal(pgq_parse_size_bytes("1kb", &bytes, err, sizeof(err)), -1);
	assert_int_equal(pgq_parse_size_bytes("1 MiB", &bytes, err, sizeof(err)), -1);
	assert_int_equal(pgq_parse_size_bytes("16777216TB", &bytes, err, sizeof(err)), -1);

	assert_int_equal(pgq_parse_int64("-42", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(pgq_parse_int64("9223372036854775807", &i), 0);
	assert_int_equal(i, INT64_MAX);
	assert_int_equal(pgq_parse_int64("-9223372036854775808", &i), 0);
	assert_int_equal(i, INT64_MIN);
	assert_int_equal(pgq_parse_int64("9223372036854775808", &i), -1);
	assert_int_equal(pgq_parse_int64("12a", &i), -1);
	assert_int_equal(pgq_parse_int64("-", &i), -1);
	assert_int_equal(pgq_parse_int64("1e3", &i), -1);

	assert_int_equal(pgq_parse_bool("TRUE", &b), 0);
	assert_true(b);
	assert_int_equal(pgq_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(pgq_parse_bool("1", &b), -1);
	assert_int_equal(pgq_parse_bool("y", &b), -1);
}

static void test_hostport(void **state)
{
	static const char *const bad[] = {
		"", ":7000", "host", "host:", "host:0", "host:65536", "host:-1", "host:+80", "host:80x",
		"::1:7000", "[::1]7000", "[::1", "[zz::1]:7000", "1.2.3:7000", "256.1.1.1:7000", "-db:7000",
		"db-:7000", "db..x:7000", "db x:7000",
	};
	struct pgq_hostport a, b;
	char err[256];

	(void)state;
	assert_int_equal(pgq_parse_hostport("[fe80::1]:65535", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "fe80::1");
	assert_int_equal(a.port, 65535);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(pgq_parse_hostport("[FE80:0::1]:65535", &b, err, sizeof(err)), 0);
	assert_true(pgq_hostport_equal(&a, &b));
	pgq_hostport_clear(&b);
	assert_int_equal(pgq_parse_hostport("[fe80::1]:65534", &b, err, sizeof(err)), 0);
	assert_false(pgq_hostport_equal(&a, &b));
	pgq_hostport_clear(&b);
	pgq_hostport_clear(&a);

	assert_int_equal(pgq_parse_hostport("DB1.Example:1", &a, err, sizeof(err)), 0);
	assert_int_equal(pgq_parse_hostport("db1.example:1", &b, err, sizeof(err)), 0);
	assert_true(pgq_hostport_equal(&a, &b));
	assert_false(pgq_hostport_is_wildcard(&a));
	pgq_hostport_clear(&a);
	pgq_hostport_clear(&b);

	assert_int_equal(pgq_parse_hostport("0.0.0.0:1", &a, err, sizeof(err)), 0);
	assert_true(pgq_hostport_is_wildcard(&a));
	assert_int_equal(pgq_hostport_copy(&b, &a), 0);
	assert_string_equal(b.text, "0.0.0.0:1");
	pgq_hostport_clear(&a);
	pgq_hostport_clear(&b);
	assert_int_equal(pgq_parse_hostport("[::]:1", &a, err, sizeof(err)), 0);
	assert_true(pgq_hostport_is_wildcard(&a));
	pgq_hostport_clear(&a);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pgq_parse_hostport(bad[i], &a, err, sizeof(err)) == 0)
			fail_msg("host:port '%s' was accepted", bad[i]);
		assert_null(a.text);
		assert_null(a.host);
		assert_non_null(strstr(err, "is not host:port"));
	}
}

static void test_cidr(void **state)
{
	struct pgq_cidr c;
	char err[256];

	(void)state;
	assert_int_equal(pgq_parse_cidr("::1", &c, err, sizeof(err)), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix_len, 128);
	pgq_cidr_clear(&c);
	assert_int_equal(pgq_parse_cidr("0.0.0.0/0", &c, err, sizeof(err)), 0);
	assert_int_equal(c.prefix_len, 0);
	pgq_cidr_clear(&c);
	assert_int_equal(pgq_parse_cidr("fd00::1/8", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "did you mean 'fd00::/8'?"));
	assert_int_equal(pgq_parse_cidr("fd00::/129", &c, err, sizeof(err)), -1);
	assert_int_equal(pgq_parse_cidr("10.0.0.0/-1", &c, err, sizeof(err)), -1);
	assert_int_equal(pgq_parse_cidr("10.0.0.0/", &c, err, sizeof(err)), -1);
	assert_int_equal(pgq_parse_cidr("db1.example/24", &c, err, sizeof(err)), -1);
	assert_null(c.text);
}

static void test_levenshtein_and_formatting(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(pgq_levenshtein("kitten", "sitting"), 3);
	assert_int_equal(pgq_levenshtein("", "abc"), 3);
	assert_int_equal(pgq_levenshtein("listen", "listen"), 0);
	assert_int_equal(pgq_levenshtein("lsten", "listen"), 1);
	pgq_format_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	pgq_format_duration(120000, buf, sizeof(buf));
	assert_string_equal(buf, "2min");
	pgq_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0ms");
}

/* ------------------------------------------------------------ YAML tree */

static void test_yaml_tree_marks(void **state)
{
	static const char text[] = "a: 1\nb:\n  - 'x'\n  - {c: ~}\n";
	struct pgq_diag_list diags;
	struct pgq_ynode *root;
	const struct pgq_ynode *seq, *map;

	(void)state;
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_yaml_parse(text, strlen(text), &root, &diags), 0);
	assert_int_equal(root->kind, PGQ_YNODE_MAPPING);
	assert_int_equal(root->n_pairs, 2);
	assert_int_equal(root->pairs[0].value->line, 1);
	assert_int_equal(root->pairs[0].value->column, 4);
	assert_false(root->pairs[0].value->quoted);
	seq = root->pairs[1].value;
	assert_int_equal(seq->kind, PGQ_YNODE_SEQUENCE);
	assert_int_equal(seq->n_items, 2);
	assert_true(seq->items[0]->quoted);
	assert_string_equal(seq->items[0]->value, "x");
	assert_int_equal(seq->items[0]->line, 3);
	assert_int_equal(seq->items[0]->column, 5);
	map = seq->items[1];
	assert_int_equal(map->line, 4);
	assert_int_equal(map->column, 5);
	assert_true(pgq_ynode_is_null(map->pairs[0].value));
	assert_string_equal(pgq_ynode_kind_name(map), "a mapping");
	assert_int_equal(diags.count, 0);
	pgq_ynode_free(root);
}

/* Deep nesting is refused before it can exhaust anything. */
static void test_yaml_depth_limit(void **state)
{
	char text[2 * (PGQ_YAML_MAX_DEPTH + 1) + 1];
	struct pgq_diag_list diags;
	struct pgq_ynode *root;

	(void)state;
	for (int i = 0; i <= PGQ_YAML_MAX_DEPTH; i++) {
		text[i] = '[';
		text[2 * (PGQ_YAML_MAX_DEPTH + 1) - 1 - i] = ']';
	}
	text[sizeof(text) - 1] = '\0';
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_yaml_parse(text, strlen(text), &root, &diags), -1);
	assert_null(root);
	assert_true(has_diag(&diags, 1, PGQ_YAML_MAX_DEPTH + 1, "nesting deeper than"));
	pgq_diag_list_free(&diags);

	/* One level less is fine. */
	text[PGQ_YAML_MAX_DEPTH] = ' ';
	text[PGQ_YAML_MAX_DEPTH + 1] = ' ';
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_yaml_parse(text, strlen(text), &root, &diags), 0);
	assert_non_null(root);
	pgq_ynode_free(root);
	pgq_diag_list_free(&diags);
}

static void test_diag_sort_is_stable(void **state)
{
	struct pgq_diag_list d;

	(void)state;
	pgq_diag_list_init(&d);
	pgq_diag_add(&d, 5, 1, "third");
	pgq_diag_add(&d, 2, 9, "second");
	pgq_diag_add(&d, 2, 3, "first-a");
	pgq_diag_add(&d, 2, 3, "first-b");
	pgq_diag_list_sort(&d);
	assert_string_equal(d.items[0].message, "first-a");
	assert_string_equal(d.items[1].message, "first-b");
	assert_string_equal(d.items[2].message, "second");
	assert_string_equal(d.items[3].message, "third");
	pgq_diag_list_free(&d);
}


/* A bound on every mapping and sequence keeps the duplicate check cheap. */
static void test_yaml_entry_limit(void **state)
{
	size_t len = 16 + (size_t)(PGQ_YAML_MAX_ENTRIES + 1) * 3;
	char *text = malloc(len);
	struct pgq_diag_list diags;
	struct pgq_ynode *root;
	size_t used;

	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, len, "[");
	for (int i = 0; i <= PGQ_YAML_MAX_ENTRIES; i++)
		used += (size_t)snprintf(text + used, len - used, "1,");
	text[used - 1] = ']';
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_yaml_parse(text, used, &root, &diags), -1);
	assert_null(root);
	/* the first entry over the limit: 1 + 2 * 4096 characters in */
	assert_true(has_diag(&diags, 1, 2 + 2 * PGQ_YAML_MAX_ENTRIES, "more than 4096 entries"));
	pgq_diag_list_free(&diags);
	free(text);
}

/* A key in the wrong section points at where it belongs. */
static void test_key_in_wrong_section(void **state)
{
	char *path = fixture_path("good_minimal.yml");
	char *text = read_file(path);
	char *moved = replace(text, "  data_dir: /var/lib/postgresql/15/main\n",
			      "  data_dir: /var/lib/postgresql/15/main\n  scope: x\n  username: y\n");
	struct pgq_diag_list diags;
	struct pgq_config *cfg;

	(void)state;
	pgq_diag_list_init(&diags);
	assert_int_equal(pgq_config_load_buffer("moved.yml", moved, strlen(moved), &cfg, &diags), 2);
	print_diags(&diags);
	assert_true(has_diag(&diags, 15, 3, "unknown key 'scope' in 'postgresql'; 'scope' belongs at the top level"));
	assert_true(has_diag(&diags, 16, 3, "did you mean 'postgresql.authentication.superuser.username'?"));
	pgq_diag_list_free(&diags);
	free(moved);
	free(text);
	free(path);
}

/*
 * R6 (DESIGN.md): bad input never crashes. Seeded random mutations of the
 * shipped example either load cleanly or give positioned problems; ASan and
 * LeakSanitizer check memory on every path.
 */
static void test_mutated_files_never_crash(void **state)
{
	static const char alphabet[] = ":-[]{}\"'\t\n #&*!|>%@,?~0123456789abz\\\x80\xff";
	char *path = NULL;
	char *text;
	size_t len;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned valid = 0, invalid = 0;

	(void)state;
	assert_true(asprintf(&path, "%s/contrib/pgquorum.yml.example", top_srcdir()) > 0);
	text = read_file(path);
	len = strlen(text);
	for (int round = 0; round < 1500; round++) {
		char *m = malloc(len + 1);
		size_t mlen = len;
		unsigned lines = 1;
		struct pgq_diag_list diags;
		struct pgq_config *cfg;
		int problems;

		assert_non_null(m);
		memcpy(m, text, len + 1);
		for (int k = 0; k < 1 + round % 4; k++) {
			size_t at;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			at = (size_t)(seed % mlen);
			if ((seed >> 32) % 3 == 0 && mlen > 1) { /* delete a byte */
				memmove(m + at, m + at + 1, mlen - at);
				mlen--;
			} else {
				m[at] = alphabet[(seed >> 40) % (sizeof(alphabet) - 1)];
			}
		}
		for (size_t i = 0; i < mlen; i++)
			lines += m[i] == '\n';
		pgq_diag_list_init(&diags);
		problems = pgq_config_load_buffer("mutated.yml", m, mlen, &cfg, &diags);
		if (problems == 0) {
			assert_non_null(cfg);
			assert_int_equal(diags.count, 0);
			pgq_config_free(cfg);
			valid++;
		} else {
			assert_null(cfg);
			assert_int_equal((size_t)problems, diags.count);
			for (size_t i = 0; i < diags.count; i++) {
				assert_true(diags.items[i].line >= 1 && diags.items[i].line <= lines + 1);
				assert_true(diags.items[i].column >= 1);
				assert_true(diags.items[i].message[0] != '\0');
			}
			invalid++;
		}
		pgq_diag_list_free(&diags);
		free(m);
	}
	print_message("mutations: %u valid, %u invalid\n", valid, invalid);
	assert_true(invalid > 0);
	free(text);
	free(path);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_every_problem_is_collected),
		cmocka_unit_test(test_validate_file_prints_file_line_column),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_oversized_file),
		cmocka_unit_test(test_minimal_file_gets_documented_defaults),
		cmocka_unit_test(test_full_file_values),
		cmocka_unit_test(test_timing_rule_L2_boundary),
		cmocka_unit_test(test_shipped_example_validates),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes_integers_booleans),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_levenshtein_and_formatting),
		cmocka_unit_test(test_yaml_tree_marks),
		cmocka_unit_test(test_yaml_depth_limit),
		cmocka_unit_test(test_diag_sort_is_stable),
		cmocka_unit_test(test_yaml_entry_limit),
		cmocka_unit_test(test_key_in_wrong_section),
		cmocka_unit_test(test_mutated_files_never_crash),
	};
	enum { N_BAD = sizeof(bad_cases) / sizeof(bad_cases[0]), N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };
	/* One named test per bad fixture, so the TAP output says which file failed. */
	struct CMUnitTest tests[N_BAD + N_FIXED];

	for (size_t i = 0; i < N_BAD; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = bad_cases[i].file;
		tests[i].test_func = test_bad_file;
		tests[i].initial_state = (void *)&bad_cases[i];
	}
	memcpy(&tests[N_BAD], fixed, sizeof(fixed));
	return _cmocka_run_group_tests("config", tests, N_BAD + N_FIXED, NULL, NULL);
}

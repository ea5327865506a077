/*
 * test_pgmgr.c — the pure parts of the PostgreSQL manager: LSN text,
 * state names, pg_controldata parsing, conninfo and SQL quoting (checked by
 * parsing back with libpq), pgquorum.conf / pg_hba.conf rendering and the
 * rules it enforces (S11, S14, L6), durable writes, slot names, argument
 * vectors (no password in argv), health result parsing from hand-made
 * PGresults, and the child-process and SQL runners on a real loop (exit
 * codes, stderr tail, timeout kill, unreachable server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "pgq_config.h"
#include "pgmgr/cfg.h"
#include "pgmgr/cmd.h"
#include "pgmgr/conf.h"
#include "pgmgr/conninfo.h"
#include "pgmgr/controldata.h"
#include "pgmgr/fence.h"
#include "pgmgr/fileio.h"
#include "pgmgr/marker.h"
#include "pgmgr/health.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/pgmgr.h"
#include "pgmgr/procscan.h"
#include "pgmgr/roles.h"
#include "pgmgr/slots.h"
#include "pgmgr/sql.h"

/* ---- LSN ---- */

static void test_lsn_parse_format(void **state)
{
	uint64_t v;
	char buf[PGMGR_LSN_STRLEN];

	(void)state;
	assert_int_equal(pgmgr_lsn_parse("0/3000060", &v), 0);
	assert_true(v == 0x3000060u);
	assert_string_equal(pgmgr_lsn_format(v, buf, sizeof(buf)), "0/3000060");
	assert_int_equal(pgmgr_lsn_parse("16/B374D848", &v), 0);
	assert_true(v == 0x16B374D848ull);
	assert_string_equal(pgmgr_lsn_format(v, buf, sizeof(buf)), "16/B374D848");
	assert_int_equal(pgmgr_lsn_parse("ffffffff/ffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_string_equal(pgmgr_lsn_format(v, buf, sizeof(buf)), "FFFFFFFF/FFFFFFFF");
	assert_string_equal(pgmgr_lsn_format(0, buf, sizeof(buf)), "0/0");
	/* Round trip over a spread of values. */
	for (uint64_t x = 1; x != 0 && x < UINT64_MAX / 3; x = x * 3 + 7) {
		uint64_t y;
		pgmgr_lsn_format(x, buf, sizeof(buf));
		assert_int_equal(pgmgr_lsn_parse(buf, &y), 0);
		assert_true(x == y);
	}
}

static void test_lsn_rejects(void **state)
{
	static const char *const bad[] = {
		"", "/", "0/", "/0", "0", "0/0/0", "123456789/0", "0/123456789", "g/1", "1/2x",
		" 1/2", "1/2 ", "-1/2", "+1/2", "0x1/2", "1//2",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pgmgr_lsn_parse(bad[i], &v), -1);
	assert_int_equal(pgmgr_lsn_parse(NULL, &v), -1);
	assert_true(v == 42);
}

/* ---- states ---- */

static void test_state_names(void **state)
{
	(void)state;
	for (int i = 0; i < PGMGR_STATE__COUNT; i++) {
		const char *n = pgmgr_state_name((enum pgmgr_state)i);
		assert_non_null(n);
		assert_int_equal(pgmgr_state_parse(n), i);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, pgmgr_state_name((enum pgmgr_state)j));
	}
	/* Patroni's spellings, relied on by REST clients. */
	assert_string_equal(pgmgr_state_name(PGMGR_STATE_CREATING_REPLICA), "creating replica");
	assert_string_equal(pgmgr_state_name(PGMGR_STATE_START_FAILED), "start failed");
	assert_string_equal(pgmgr_role_name(PGMGR_ROLE_PRIMARY), "primary");
	assert_string_equal(pgmgr_role_name(PGMGR_ROLE_REPLICA), "replica");
	assert_null(pgmgr_state_name(PGMGR_STATE__COUNT));
	assert_null(pgmgr_role_name(PGMGR_ROLE__COUNT));
	assert_int_equal(pgmgr_state_parse("master"), -1);
}

/* ---- pg_controldata ---- */

/* Real PostgreSQL 15 output (initdb --data-checksums, LC_ALL=C). */
static const char controldata_sample[] =
	"pg_control version number:            1300\n"
	"Catalog version number:               202209061\n"
	"Database system identifier:           7712850418768897227\n"
	"Database cluster state:               shut down\n"
	"pg_control last modified:             Fri Nov 27 13:58:47 2026\n"
	"Latest checkpoint location:           0/17529B0\n"
	"Latest checkpoint's REDO location:    0/1752978\n"
	"Latest checkpoint's REDO WAL file:    000000010000000000000001\n"
	"Latest checkpoint's TimeLineID:       3\n"
	"Latest checkpoint's PrevTimeLineID:   2\n"
	"Latest checkpoint's full_page_writes: on\n"
	"Latest checkpoint's NextXID:          0:724\n"
	"Latest checkpoint's oldestCommitTsXid:0\n"
	"Time of latest checkpoint:            Fri Nov 27 13:58:47 2026\n"
	"Fake LSN counter for unlogged rels:   0/3E8\n"
	"Minimum recovery ending location:     0/5000028\n"
	"Min recovery ending loc's timeline:   2\n"
	"wal_level setting:                    replica\n"
	"wal_log_hints setting:                off\n"
	"Bytes per WAL segment:                16777216\n"
	"Data page checksum version:           1\n"
	"Mock authentication nonce:            7415fad37352ef850fce540648c6f938c21e4f3e5fa8c403626edf7c1ef5f3e6\n";

static void test_controldata_parse(void **state)
{
	struct pgmgr_controldata cd;
	char err[256];

	(void)state;
	assert_int_equal(pgmgr_controldata_parse(controldata_sample, &cd, err, sizeof(err)), 0);
	assert_int_equal(cd.state, PGMGR_DB_SHUT_DOWN);
	assert_true(pgmgr_controldata_clean(&cd));
	assert_true(cd.system_identifier == 7712850418768897227ull);
	assert_true(cd.checkpoint_lsn == 0x17529B0u);
	assert_true(cd.redo_lsn == 0x1752978u);
	assert_int_equal(cd.timeline, 3);
	assert_int_equal(cd.prev_timeline, 2);
	assert_true(cd.min_recovery_lsn == 0x5000028u);
	assert_int_equal(cd.min_recovery_timeline, 2);
	assert_int_equal(cd.checksum_version, 1);
	assert_false(cd.wal_log_hints);
	assert_int_equal(cd.control_version, 1300);
	assert_string_equal(pgmgr_db_state_name(cd.state), "shut down");
}

/* Replaces the first occurrence of `from` in the sample by `to`. */
static char *sample_with(const char *from, const char *to)
{
	const char *at = strstr(controldata_sample, from);
	size_t n = strlen(controldata_sample) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(at);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - controldata_sample), controldata_sample, to,
		 at + strlen(from));
	return s;
}

static void test_controldata_states_and_errors(void **state)
{
	static const struct {
		const char *text;
		enum pgmgr_db_state st;
		bool clean;
	} states[] = {
		{ "in production", PGMGR_DB_IN_PRODUCTION, false },
		{ "shut down in recovery", PGMGR_DB_SHUT_DOWN_IN_RECOVERY, true },
		{ "in archive recovery", PGMGR_DB_IN_ARCHIVE_RECOVERY, false },
		{ "in crash recovery", PGMGR_DB_IN_CRASH_RECOVERY, false },
		{ "shutting down", PGMGR_DB_SHUTTING_DOWN, false },
		{ "starting up", PGMGR_DB_STARTING_UP, false },
	};
	struct pgmgr_controldata cd;
	char err[256], line[128];
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		snprintf(line, sizeof(line), "Database cluster state:               %s\n", states[i].text);
		s = sample_with("Database cluster state:               shut down\n", line);
		assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), 0);
		assert_int_equal(cd.state, states[i].st);
		assert_int_equal(pgmgr_controldata_clean(&cd), states[i].clean);
		free(s);
	}
	/* A bad value is an error, never a zero. */
	s = sample_with("0/17529B0\n", "0/zz\n");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Latest checkpoint location"));
	free(s);
	s = sample_with("shut down\n", "sleeping\n");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	free(s);
	s = sample_with("TimeLineID:       3", "TimeLineID:       0");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	free(s);
	s = sample_with("7712850418768897227", "-5");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	free(s);
	/* A required line missing. */
	s = sample_with("Database system identifier:           7712850418768897227\n", "");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Database system identifier"));
	free(s);
	/* Twice. */
	s = sample_with("Data page checksum version:           1\n",
			"Data page checksum version:           1\nData page checksum version:           0\n");
	assert_int_equal(pgmgr_controldata_parse(s, &cd, err, sizeof(err)), -1);
	free(s);
	assert_int_equal(pgmgr_controldata_parse("", &cd, err, sizeof(err)), -1);
	assert_int_equal(pgmgr_controldata_parse(NULL, &cd, err, sizeof(err)), -1);
}

/* ---- conninfo and SQL quoting ---- */

static const char *conninfo_value(PQconninfoOption *opts, const char *key)
{
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val;
	return NULL;
}

static void test_conninfo_quoting(void **state)
{
	static const char *const passwords[] = {
		"simple", "with space", "it's", "back\\slash", "'", "\\", "a' host=evil '",
		" lead and trail ", "quote\\'mix", "=;#",
	};
	char buf[512];
	char *errmsg = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
		struct pgmgr_conninfo_parts p = { 0 };
		PQconninfoOption *opts;

		p.host = "127.0.0.1";
		p.port = 5433;
		p.user = "replicator";
		p.password = passwords[i];
		p.application_name = "node 1";
		p.dbname = "postgres";
		assert_int_equal(pgmgr_conninfo_build(buf, sizeof(buf), &p), 0);
		/* libpq itself reads back exactly what we meant. */
		opts = PQconninfoParse(buf, &errmsg);
		assert_non_null(opts);
		assert_string_equal(conninfo_value(opts, "password"), passwords[i]);
		assert_string_equal(conninfo_value(opts, "host"), "127.0.0.1");
		assert_string_equal(conninfo_value(opts, "port"), "5433");
		assert_string_equal(conninfo_value(opts, "application_name"), "node 1");
		PQconninfoFree(opts);
	}
	assert_string_equal(buf, "host='127.0.0.1' port='5433' user='replicator' password='=;#' "
				 "dbname='postgres' application_name='node 1'");
	/* Too small: fails and leaves nothing half-written. */
	{
		struct pgmgr_conninfo_parts p = { .host = "127.0.0.1", .password = "x' y" };
		char small[20];
		assert_int_equal(pgmgr_conninfo_build(small, sizeof(small), &p), -1);
		assert_string_equal(small, "");
	}
	buf[0] = '\0';
	assert_int_equal(pgmgr_conninfo_add(buf, sizeof(buf), "Bad-Key", "x"), -1);
	assert_int_equal(pgmgr_conninfo_add(buf, sizeof(buf), "sslmode", NULL), 0);
	assert_string_equal(buf, "");
	/* The agent's local options. */
	{
		struct pgmgr_conninfo_parts p = { .host = "127.0.0.1", .local_agent = true,
						  .statement_timeout_ms = 3000 };
		PQconninfoOption *opts;
		assert_int_equal(pgmgr_conninfo_build(buf, sizeof(buf), &p), 0);
		opts = PQconninfoParse(buf, &errmsg);
		assert_non_null(opts);
		assert_string_equal(conninfo_value(opts, "options"), "-c statement_timeout=3000");
		assert_string_equal(conninfo_value(opts, "gssencmode"), "disable");
		PQconninfoFree(opts);
	}
	assert_string_equal(pgmgr_local_host("*"), "127.0.0.1");
	assert_string_equal(pgmgr_local_host("0.0.0.0"), "127.0.0.1");
	assert_string_equal(pgmgr_local_host("::"), "::1");
	assert_string_equal(pgmgr_local_host("10.1.2.3"), "10.1.2.3");
}

static void test_sql_quoting(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(pgmgr_sql_literal(buf, sizeof(buf), "it's"), 0);
	assert_string_equal(buf, "'it''s'");
	assert_int_equal(pgmgr_sql_literal(buf, sizeof(buf), "a\\b"), 0);
	assert_string_equal(buf, "'a\\b'");
	assert_int_equal(pgmgr_sql_ident(buf, sizeof(buf), "My \"role\""), 0);
	assert_string_equal(buf, "\"My \"\"role\"\"\"");
	assert_int_equal(pgmgr_sql_literal(buf, 5, "abcd"), -1);
	assert_int_equal(pgmgr_sql_literal(buf, 7, "abcd"), 0);
}

static void test_roles_sql(void **state)
{
	char *sql = NULL;
	char err[128];

	(void)state;
	assert_int_equal(pgmgr_roles_sql("postgres", "su p'w", "repl", "r'p", &sql, err, sizeof(err)), 0);
	assert_non_null(strstr(sql, "ALTER ROLE \"postgres\" WITH PASSWORD 'su p''w';"));
	assert_non_null(strstr(sql, "CREATE ROLE \"repl\";"));
	assert_non_null(strstr(sql, "WHERE rolname = 'repl'"));
	assert_non_null(strstr(sql, "ALTER ROLE \"repl\" WITH LOGIN REPLICATION;"));
	assert_non_null(strstr(sql, "ALTER ROLE \"repl\" WITH PASSWORD 'r''p';"));
	free(sql);
	assert_int_equal(pgmgr_roles_sql("postgres", NULL, "postgres", NULL, &sql, err, sizeof(err)), 0);
	assert_null(strstr(sql, "CREATE ROLE"));
	free(sql);
	assert_int_equal(pgmgr_roles_sql("postgres", NULL, "r$pgq$", NULL, &sql, err, sizeof(err)), -1);
	assert_null(sql);
}

/* ---- configuration rendering ---- */

/* The value line "name = '...'" of a rendered file, or NULL. */
static const char *conf_line(const char *text, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len > nl + 3 && strncmp(p, name, nl) == 0 && strncmp(p + nl, " = ", 3) == 0) {
			const char *tab = memchr(p, '\t', len);
			size_t vl = (tab != NULL ? (size_t)(tab - p) : len) - nl - 3;
			snprintf(buf, n, "%.*s", (int)vl, p + nl + 3);
			return buf;
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

static void test_conf_render(void **state)
{
	struct pgq_config_kv dyn[] = {
		{ "max_connections", "200" },
		{ "restart_after_crash", "on" },        /* S14: must not survive */
		{ "synchronous_commit", "off" },        /* S11: must not survive */
		{ "max_wal_senders", "20" },
		{ "work_mem", "it's 4MB\\" },
	};
	struct pgq_config_kv local[] = {
		{ "MAX_WAL_SENDERS", "30" },            /* local beats dynamic, case-insensitive */
		{ "wal_level", "minimal" },             /* raised to replica */
		{ "port", "9999" },                     /* listen wins */
	};
	struct pgmgr_conf_input in = {
		.listen_addresses = "127.0.0.1", .port = 5433, .cluster_name = "demo",
		.dynamic_params = dyn, .n_dynamic = 5, .local_params = local, .n_local = 3,
		.primary_conninfo = "host='10.0.0.1' password='a\\'b'",
		.primary_slot_name = "node_2",
	};
	char *text = NULL;
	char err[256], v[256];

	(void)state;
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), 0);
	assert_string_equal(conf_line(text, "restart_after_crash", v, sizeof(v)), "'off'");
	assert_string_equal(conf_line(text, "synchronous_commit", v, sizeof(v)), "'on'");
	assert_string_equal(conf_line(text, "max_wal_senders", v, sizeof(v)), "'30'");
	assert_string_equal(conf_line(text, "max_connections", v, sizeof(v)), "'200'");
	assert_string_equal(conf_line(text, "wal_level", v, sizeof(v)), "'replica'");
	assert_string_equal(conf_line(text, "port", v, sizeof(v)), "'5433'");
	assert_string_equal(conf_line(text, "hot_standby", v, sizeof(v)), "'on'");
	assert_string_equal(conf_line(text, "wal_log_hints", v, sizeof(v)), "'on'");
	assert_string_equal(conf_line(text, "max_slot_wal_keep_size", v, sizeof(v)), "'4GB'");
	assert_string_equal(conf_line(text, "cluster_name", v, sizeof(v)), "'demo'");
	assert_string_equal(conf_line(text, "synchronous_standby_names", v, sizeof(v)), "''");
	assert_string_equal(conf_line(text, "primary_slot_name", v, sizeof(v)), "'node_2'");
	/* postgresql.conf quoting: '' for a quote, \\ for a backslash. */
	assert_string_equal(conf_line(text, "work_mem", v, sizeof(v)), "'it''s 4MB\\\\'");
	assert_string_equal(conf_line(text, "primary_conninfo", v, sizeof(v)),
			    "'host=''10.0.0.1'' password=''a\\\\''b'''");
	/* An overridden setting says so. */
	assert_non_null(strstr(text, "# restart_after_crash: dynamic parameters said 'on': replaced (S14)"));
	assert_null(conf_line(text, "MAX_WAL_SENDERS", v, sizeof(v)));
	free(text);

	/* synchronous_commit = remote_apply is stronger than on: kept. */
	dyn[2].value = "remote_apply";
	local[1].value = "logical";
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), 0);
	assert_string_equal(conf_line(text, "synchronous_commit", v, sizeof(v)), "'remote_apply'");
	assert_string_equal(conf_line(text, "wal_level", v, sizeof(v)), "'logical'");
	assert_string_equal(conf_line(text, "primary_conninfo", v, sizeof(v)),
			    "'host=''10.0.0.1'' password=''a\\\\''b'''");
	free(text);

	/* Bad names and line breaks are refused. */
	dyn[0].key = "bad name";
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), -1);
	assert_null(text);
	dyn[0].key = "max_connections";
	dyn[0].value = "1\nrestart_after_crash = on";
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), -1);
	dyn[0].value = "200";
	in.primary_conninfo = "x\ny";
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), -1);
	in.primary_conninfo = NULL;
	in.port = 0;
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), -1);
}

static void test_hba_render(void **state)
{
	char *lines[] = { "local all all peer", "host all all 10.0.0.0/8 reject" };
	const char *hosts[] = { "10.0.0.2", "fe80::1", "db3.example" };
	struct pgmgr_hba_input in = {
		.lines = lines, .n_lines = 2, .superuser = "postgres", .replication_user = "replicator",
		.member_hosts = hosts, .n_member_hosts = 3,
	};
	char *text = NULL;
	char err[256];
	const char *a, *b;

	(void)state;
	assert_int_equal(pgmgr_hba_render(&in, &text, err, sizeof(err)), 0);
	/* Configured lines come first (first match wins). */
	a = strstr(text, "host all all 10.0.0.0/8 reject");
	b = strstr(text, "host\treplication\t\"replicator\"\t127.0.0.1/32\tscram-sha-256");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_true(strstr(text, "local all all peer") < a);
	assert_non_null(strstr(text, "host\tall\t\"postgres\"\t::1/128\tscram-sha-256"));
	assert_non_null(strstr(text, "host\treplication\t\"replicator\"\t10.0.0.2/32\tscram-sha-256"));
	assert_non_null(strstr(text, "host\treplication\t\"replicator\"\tfe80::1/128\tscram-sha-256"));
	assert_non_null(strstr(text, "host\tall\t\"postgres\"\tdb3.example\tscram-sha-256"));
	free(text);

	in.replication_user = "bad\"user";
	assert_int_equal(pgmgr_hba_render(&in, &text, err, sizeof(err)), -1);
	assert_null(text);
	in.replication_user = "replicator";
	hosts[1] = "10.0.0.3 trust";
	assert_int_equal(pgmgr_hba_render(&in, &text, err, sizeof(err)), -1);
	hosts[1] = "fe80::1";
	lines[0] = "local all all trust\nhost all all 0.0.0.0/0 trust";
	assert_int_equal(pgmgr_hba_render(&in, &text, err, sizeof(err)), -1);
}

static void test_conf_include(void **state)
{
	char *out = NULL, *again = NULL;

	(void)state;
	assert_int_equal(pgmgr_conf_add_include("port = 5432", &out), 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "port = 5432\n"));
	assert_non_null(strstr(out, "\n" PGMGR_CONF_INCLUDE_LINE "\n"));
	/* Idempotent. */
	assert_int_equal(pgmgr_conf_add_include(out, &again), 0);
	assert_null(again);
	free(out);
	assert_int_equal(pgmgr_conf_add_include("a = 1\n  " PGMGR_CONF_INCLUDE_LINE "  \n", &out), 0);
	assert_null(out);
	/* Commented out does not count. */
	assert_int_equal(pgmgr_conf_add_include("#" PGMGR_CONF_INCLUDE_LINE "\n", &out), 0);
	assert_non_null(out);
	free(out);
}

/* ---- durable writes ---- */

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/pgq-pgmgr-unit.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_conf_write(void **state)
{
	char *dir = make_tmpdir();
	char path[600], err[256];
	struct pgmgr_conf_files f = { 0 };
	struct pgmgr_conf_result r;
	char *text = NULL;
	struct stat st;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/pg_wal", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/postgresql.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("shared_buffers = 128MB", fp);
	fclose(fp);

	f.pgquorum_conf = "port = '5433'\n";
	f.pg_hba = "local all all peer\n";
	f.ensure_include = true;
	f.standby_signal = PGMGR_SIGNAL_CREATE;
	f.history_tli = 2;   /* S12: the recorded history lands in pg_wal before a promotion */
	f.history_text = "1\t0/3000060\tno recovery target specified\n";
	assert_int_equal(pgmgr_conf_write_sync(dir, &f, &r, err, sizeof(err)), 0);
	assert_true(r.conf_changed && r.hba_changed && r.include_added && r.signal_changed &&
		    r.history_written);
	assert_int_equal(pgmgr_file_read(dir, "postgresql.conf", 4096, &text, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(text, "shared_buffers = 128MB\n"));
	assert_non_null(strstr(text, PGMGR_CONF_INCLUDE_LINE));
	free(text);
	assert_int_equal(pgmgr_file_read(dir, "pg_wal/00000002.history", 4096, &text, NULL, err,
					 sizeof(err)), 0);
	assert_string_equal(text, f.history_text);
	free(text);
	snprintf(path, sizeof(path), "%s/standby.signal", dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/pgquorum.conf", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* The same again: nothing changes. */
	assert_int_equal(pgmgr_conf_write_sync(dir, &f, &r, err, sizeof(err)), 0);
	assert_false(r.conf_changed || r.hba_changed || r.include_added || r.signal_changed);

	/* A new value, and standby.signal removed. */
	f.pgquorum_conf = "port = '5434'\n";
	f.standby_signal = PGMGR_SIGNAL_REMOVE;
	f.history_tli = 0;
	assert_int_equal(pgmgr_conf_write_sync(dir, &f, &r, err, sizeof(err)), 0);
	assert_true(r.conf_changed);
	assert_false(r.hba_changed);
	assert_true(r.signal_changed);
	snprintf(path, sizeof(path), "%s/standby.signal", dir);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(pgmgr_file_read(dir, "pgquorum.conf", 4096, &text, NULL, err, sizeof(err)), 0);
	assert_string_equal(text, "port = '5434'\n");
	free(text);
	/* No temp file left behind. */
	snprintf(path, sizeof(path), "%s/pgquorum.conf.pgquorum-tmp", dir);
	assert_int_not_equal(stat(path, &st), 0);
	/* Removing an absent signal is fine and reports no change. */
	assert_int_equal(pgmgr_conf_write_sync(dir, &f, &r, err, sizeof(err)), 0);
	assert_false(r.signal_changed);
	/* A missing directory is an error with a message. */
	assert_int_equal(pgmgr_conf_write_sync("/nonexistent/pgq", &f, &r, err, sizeof(err)), -1);
	assert_int_equal(r.status, -1);
	assert_non_null(strstr(err, "/nonexistent/pgq"));
	assert_int_equal(pgmgr_file_read(dir, "pgquorum.conf", 4, &text, NULL, err, sizeof(err)), -1);
	assert_int_equal(pgmgr_file_read(dir, "absent", 4, &text, NULL, err, sizeof(err)), 1);
	rm_rf(dir);
	free(dir);
}

/* ---- slots ---- */

static void test_slot_names(void **state)
{
	char a[64], b[64], c[64];
	char long_name[200];

	(void)state;
	assert_int_equal(pgmgr_slot_name("node_1", a, sizeof(a)), 0);
	assert_string_equal(a, "node_1");
	/* Mapped names stay valid and distinct from each other and from valid ones. */
	assert_int_equal(pgmgr_slot_name("Node-1", b, sizeof(b)), 0);
	assert_int_equal(pgmgr_slot_name("node-1", c, sizeof(c)), 0);
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, c);
	assert_int_equal(strncmp(b, "node_1_", 7), 0);
	for (const char *p = b; *p != '\0'; p++)
		assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
	/* Deterministic. */
	assert_int_equal(pgmgr_slot_name("Node-1", c, sizeof(c)), 0);
	assert_string_equal(b, c);
	/* Long names: cut to 63 and still distinct. */
	memset(long_name, 'x', sizeof(long_name));
	long_name[199] = '\0';
	assert_int_equal(pgmgr_slot_name(long_name, a, sizeof(a)), 0);
	assert_int_equal(strlen(a), 63);
	long_name[198] = 'y';
	assert_int_equal(pgmgr_slot_name(long_name, b, sizeof(b)), 0);
	assert_int_equal(strlen(b), 63);
	assert_string_not_equal(a, b);
	memset(long_name, 'z', 63);
	long_name[63] = '\0';
	assert_int_equal(pgmgr_slot_name(long_name, a, sizeof(a)), 0);
	assert_string_equal(a, long_name);
	assert_int_equal(pgmgr_slot_name("", a, sizeof(a)), -1);
	assert_int_equal(pgmgr_slot_name(NULL, a, sizeof(a)), -1);
	assert_int_equal(pgmgr_slot_name("n", a, 10), -1);
}

static void test_slot_sql(void **state)
{
	const char *names[] = { "node_2", "node_3" };
	const char *bad[] = { "node_2", "x'); DROP TABLE t; --" };
	char *sql = NULL;

	(void)state;
	assert_int_equal(pgmgr_slots_sql_ensure(names, 2, &sql), 0);
	assert_non_null(strstr(sql, "(VALUES ('node_2'),('node_3'))"));
	assert_non_null(strstr(sql, "pg_create_physical_replication_slot(v.n, true)"));
	free(sql);
	assert_int_equal(pgmgr_slots_sql_drop(names, 2, &sql), 0);
	assert_non_null(strstr(sql, "NOT active AND slot_name IN ('node_2','node_3')"));
	free(sql);
	assert_int_equal(pgmgr_slots_sql_advance("node_2", 0x3000060u, &sql), 0);
	assert_non_null(strstr(sql, "pg_replication_slot_advance('node_2', '0/3000060'::pg_lsn)"));
	free(sql);
	assert_int_equal(pgmgr_slots_sql_ensure(bad, 2, &sql), -1);
	assert_null(sql);
	assert_int_equal(pgmgr_slots_sql_drop(names, 0, &sql), -1);
	assert_int_equal(pgmgr_slots_sql_advance("node_2", 0, &sql), -1);
}

/* ---- argument vectors ---- */

static bool argv_has(const struct pgmgr_argv *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return true;
	return false;
}

static bool argv_mentions(const struct pgmgr_argv *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strstr(a->argv[i], s) != NULL)
			return true;
	return false;
}

static void test_argv(void **state)
{
	struct pgq_config_initdb_option opts[] = { { "encoding", "UTF8" }, { "data-checksums", NULL } };
	struct pgmgr_initdb_opts io = {
		.bin_dir = "/usr/lib/postgresql/15/bin", .data_dir = "/d", .superuser = "postgres",
		.superuser_password = "s3cret pw", .options = opts, .n_options = 2,
	};
	struct pgmgr_ctl_opts co = { .bin_dir = "/b", .data_dir = "/d", .log_path = "/l", .wait_s = 7 };
	struct pgmgr_basebackup_opts bo = { .bin_dir = "/b", .data_dir = "/d",
					    .conninfo = "host='h' user='r'", .password = "pw!",
					    .slot_name = "node_2" };
	struct pgmgr_rewind_opts ro = { .bin_dir = "/b", .data_dir = "/d",
					.conninfo = "host='h' user='postgres'", .password = "pw!" };
	struct pgmgr_argv a;
	char err[256];
	int checksums = 0;

	(void)state;
	assert_int_equal(pgmgr_argv_initdb(&a, &io, err, sizeof(err)), 0);
	assert_string_equal(a.argv[0], "/usr/lib/postgresql/15/bin/initdb");
	for (int i = 0; i < a.argc; i++)
		checksums += strcmp(a.argv[i], "--data-checksums") == 0;
	assert_int_equal(checksums, 1);
	assert_true(argv_has(&a, "--encoding=UTF8"));
	assert_true(argv_has(&a, "--pwfile=/dev/stdin"));
	assert_true(argv_has(&a, "--username=postgres"));
	assert_false(argv_mentions(&a, "s3cret"));
	assert_null(a.argv[a.argc]);
	opts[1].name = "pwfile";
	assert_int_equal(pgmgr_argv_initdb(&a, &io, err, sizeof(err)), -1);
	opts[1].name = "Bad option";
	assert_int_equal(pgmgr_argv_initdb(&a, &io, err, sizeof(err)), -1);
	io.n_options = 1;
	io.superuser_password = NULL;
	assert_int_equal(pgmgr_argv_initdb(&a, &io, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--data-checksums"));
	assert_false(argv_mentions(&a, "pwfile"));

	assert_int_equal(pgmgr_argv_start(&a, &co, err, sizeof(err)), 0);
	assert_string_equal(a.argv[0], "/b/pg_ctl");
	assert_string_equal(a.argv[1], "start");
	assert_true(argv_has(&a, "--options=-c restart_after_crash=off"));   /* S14 */
	assert_true(argv_has(&a, "--timeout=7"));
	assert_true(argv_has(&a, "--log=/l"));
	assert_true(argv_has(&a, "--wait"));

	co.log_path = NULL;
	assert_int_equal(pgmgr_argv_start(&a, &co, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--log=/dev/null"));   /* never our stderr pipe */
	co.mode = PGMGR_STOP_IMMEDIATE;
	assert_int_equal(pgmgr_argv_stop(&a, &co, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--mode=immediate"));
	co.mode = (enum pgmgr_stop_mode)7;
	assert_int_equal(pgmgr_argv_stop(&a, &co, err, sizeof(err)), -1);

	assert_int_equal(pgmgr_argv_basebackup(&a, &bo, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--wal-method=stream"));
	assert_true(argv_has(&a, "--checkpoint=fast"));
	assert_true(argv_has(&a, "--slot=node_2"));
	assert_false(argv_mentions(&a, "pw!"));
	assert_false(argv_mentions(&a, "--write-recovery-conf"));

	assert_int_equal(pgmgr_argv_rewind(&a, &ro, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--source-server=host='h' user='postgres'"));
	assert_true(argv_has(&a, "--target-pgdata=/d"));
	assert_false(argv_mentions(&a, "pw!"));
	ro.conninfo = NULL;
	assert_int_equal(pgmgr_argv_rewind(&a, &ro, err, sizeof(err)), -1);
}

/* ---- health result parsing ---- */

static PGresult *make_result(int ncols, int nrows, const char *const *cells)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *attrs = calloc((size_t)ncols, sizeof(*attrs));
	char names[64][8];

	assert_non_null(res);
	assert_non_null(attrs);
	for (int c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof(names[c]), "c%d", c);
		attrs[c].name = names[c];
		attrs[c].format = 0;
		attrs[c].typid = 25;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	assert_int_equal(PQsetResultAttrs(res, ncols, attrs), 1);
	free(attrs);
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c];
			assert_int_equal(PQsetvalue(res, r, c, (char *)v, v != NULL ? (int)strlen(v) : -1), 1);
		}
	return res;
}

static const char *primary_row[20] = {
	"f", "150004", "-1", "1", "0/3000148", "2", NULL, NULL, NULL, "f", "1700000000123456",
	"max_connections,shared_buffers", "FIRST 1 (node_2)", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};
static const char *standby_row[20] = {
	"t", "150004", "7712850418768897227", "1", NULL, NULL, "0/5000000", "0/4FFFFF0",
	"1700000000000001", "f", "1700000000123456", NULL, "", "streaming", "2", "0/5000000",
	"0/5000000", "127.0.0.1", "5433", "node_2",
};
static const char *replica_rows[2 * 10] = {
	"node_2", "replicator", "127.0.0.1", "streaming", "sync", "1", "0/3000148", "0/3000148",
	"0/3000100", "0/3000000",
	"node_3", "replicator", "127.0.0.2", "catchup", "async", "0", "0/3000148", NULL, NULL, NULL,
};
static const char *slot_rows[1 * 4] = { "node_2", "t", "0/3000000", "reserved" };

static void parse_with(const char *const *row, int n_replicas, int n_slots, struct pgmgr_health *h,
		       int expect)
{
	PGresult *res[3];
	struct pgmgr_sql_result r = { 0 };

	res[0] = make_result(20, 1, row);
	res[1] = make_result(10, n_replicas, replica_rows);
	res[2] = make_result(4, n_slots, slot_rows);
	r.status = PGMGR_SQL_OK;
	r.error = "";
	r.results = res;
	r.n_results = 3;
	assert_int_equal(pgmgr_health_parse(&r, h), expect);
	for (int i = 0; i < 3; i++)
		PQclear(res[i]);
}

static void test_health_parse(void **state)
{
	struct pgmgr_health h, copy;
	const char *row[20];

	(void)state;
	parse_with(primary_row, 2, 1, &h, 0);
	assert_int_equal(h.status, PGMGR_SQL_OK);
	assert_false(h.in_recovery);
	assert_int_equal(h.server_version_num, 150004);
	assert_true(h.system_identifier == UINT64_MAX);   /* bigint -1 is the uint64 max */
	assert_int_equal(h.timeline, 2);                  /* the WAL segment's, not the checkpoint's */
	assert_int_equal(h.checkpoint_timeline, 1);
	assert_true(h.current_lsn == 0x3000148u);
	assert_true(pgmgr_health_lsn(&h) == 0x3000148u);
	assert_int_equal(pgmgr_health_role(&h), PGMGR_ROLE_PRIMARY);
	assert_true(h.pending_restart);
	assert_string_equal(h.pending_restart_names, "max_connections,shared_buffers");
	assert_string_equal(h.synchronous_standby_names, "FIRST 1 (node_2)");
	assert_false(h.wal_receiver);
	assert_int_equal(h.n_replicas, 2);
	assert_string_equal(h.replicas[0].application_name, "node_2");
	assert_string_equal(h.replicas[0].sync_state, "sync");
	assert_int_equal(h.replicas[0].sync_priority, 1);
	assert_true(h.replicas[0].flush_lsn == 0x3000100u);
	assert_true(h.replicas[1].flush_lsn == 0);
	assert_int_equal(h.n_slots, 1);
	assert_true(h.slots[0].active);
	assert_true(h.slots[0].restart_lsn == 0x3000000u);
	assert_int_equal(pgmgr_health_copy(&copy, &h), 0);
	pgmgr_health_clear(&h);
	assert_string_equal(copy.replicas[1].application_name, "node_3");
	pgmgr_health_clear(&copy);

	parse_with(standby_row, 0, 0, &h, 0);
	assert_true(h.in_recovery);
	assert_int_equal(h.timeline, 2);                  /* received_tli */
	assert_true(h.receive_lsn == 0x5000000u);
	assert_true(h.replay_lsn == 0x4FFFFF0u);
	assert_true(pgmgr_health_lsn(&h) == 0x5000000u);   /* S9: max(receive, replay) */
	assert_int_equal(pgmgr_health_role(&h), PGMGR_ROLE_REPLICA);
	assert_true(h.has_replay_timestamp);
	assert_true(h.wal_receiver);
	assert_string_equal(h.receiver_status, "streaming");
	assert_int_equal(h.sender_port, 5433);
	assert_string_equal(h.receiver_slot, "node_2");
	assert_false(h.pending_restart);
	assert_null(h.replicas);
	pgmgr_health_clear(&h);

	/* No WAL receiver: the checkpoint's timeline stands in. */
	memcpy(row, standby_row, sizeof(row));
	for (int c = 13; c < 20; c++)
		row[c] = NULL;
	row[3] = "3";
	parse_with(row, 0, 0, &h, 0);
	assert_int_equal(h.timeline, 3);
	assert_true(pgmgr_health_lsn(&h) == 0x5000000u);
	pgmgr_health_clear(&h);

	/* Malformed values fail the probe, never read as zero. */
	memcpy(row, standby_row, sizeof(row));
	row[6] = "0/xyz";
	parse_with(row, 0, 0, &h, -1);
	assert_int_equal(h.status, PGMGR_SQL_FAILED);
	assert_non_null(strstr(h.error, "pg_last_wal_receive_lsn"));
	assert_null(h.replicas);
	memcpy(row, primary_row, sizeof(row));
	row[0] = NULL;
	parse_with(row, 2, 1, &h, -1);
	assert_null(h.replicas);
	assert_null(h.slots);
	memcpy(row, primary_row, sizeof(row));
	row[5] = NULL;  /* a primary without a current timeline */
	parse_with(row, 0, 0, &h, -1);

	/* A transport error is carried as a state. */
	{
		struct pgmgr_sql_result r = { .status = PGMGR_SQL_TIMEOUT, .error = "timeout x" };
		assert_int_equal(pgmgr_health_parse(&r, &h), 0);
		assert_int_equal(h.status, PGMGR_SQL_TIMEOUT);
		assert_string_equal(h.error, "timeout x");
		assert_int_equal(pgmgr_health_role(&h), PGMGR_ROLE_UNKNOWN);
	}
}

/* ---- child processes and SQL on a real loop ---- */

struct cmd_seen {
	bool called;
	struct pgmgr_cmd_result r;
	char tail[PGMGR_CMD_TAIL_BYTES + 1];
	char out[256];
};

static void on_cmd(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct cmd_seen *s = ctx;

	assert_false(s->called);
	s->called = true;
	s->r = *r;
	snprintf(s->tail, sizeof(s->tail), "%s", r->stderr_tail);
	snprintf(s->out, sizeof(s->out), "%s", r->out != NULL ? r->out : "");
}

static void test_cmd_exit_and_output(void **state)
{
	uv_loop_t loop;
	const char *argv[] = { "/bin/sh", "-c",
			       "read pw; echo \"out:$pw\"; i=0; while [ $i -lt 300 ]; do "
			       "echo \"line $i\" >&2; i=$((i+1)); done; echo last >&2; exit 3", NULL };
	const char *env[] = { "LC_ALL=C", NULL };
	struct pgmgr_cmd_spec spec = { .argv = argv, .env_set = env, .capture_stdout = true,
				       .stdin_data = "hunter2\n", .stdin_len = 8, .timeout_ms = 10000 };
	struct cmd_seen s = { 0 };
	char err[128], what[128];

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(pgmgr_cmd_start(&loop, &spec, on_cmd, &s, NULL, err, sizeof(err)), 0);
	assert_false(s.called);  /* never from inside the call */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.called);
	assert_false(s.r.spawn_failed);
	assert_false(s.r.timed_out);
	assert_int_equal(s.r.exit_status, 3);
	assert_false(pgmgr_cmd_ok(&s.r));
	assert_string_equal(s.out, "out:hunter2\n");
	/* The tail keeps the last whole lines only. */
	assert_non_null(strstr(s.tail, "line 299\nlast"));
	assert_null(strstr(s.tail, "line 1\n"));
	assert_true(strlen(s.tail) <= PGMGR_CMD_TAIL_BYTES);
	assert_true(strncmp(s.tail, "line ", 5) == 0);
	assert_string_equal(pgmgr_cmd_describe(&s.r, what, sizeof(what)), "exit 3");
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cmd_timeout_and_spawn_failure(void **state)
{
	uv_loop_t loop;
	/* The shell's child (sleep) is in the same group: the group kill ends both. */
	const char *argv[] = { "/bin/sh", "-c", "trap '' TERM; sleep 30 & wait; sleep 30", NULL };
	const char *missing[] = { "/nonexistent/program", NULL };
	struct pgmgr_cmd_spec spec = { .argv = argv, .timeout_ms = 100, .kill_grace_ms = 100 };
	struct cmd_seen s = { 0 }, m = { 0 };
	char err[128];
	uint64_t t0 = uv_hrtime();

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(pgmgr_cmd_start(&loop, &spec, on_cmd, &s, NULL, err, sizeof(err)), 0);
	spec.argv = missing;
	assert_int_equal(pgmgr_cmd_start(&loop, &spec, on_cmd, &m, NULL, err, sizeof(err)), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.called);
	assert_true(s.r.timed_out);
	assert_int_equal(s.r.term_signal, 9);     /* TERM ignored: SIGKILL after the grace */
	assert_true((uv_hrtime() - t0) / 1000000u < 5000);
	assert_true(m.called);
	assert_true(m.r.spawn_failed);
	assert_false(pgmgr_cmd_ok(&m.r));
	assert_int_equal(uv_loop_close(&loop), 0);
	/* Relative program paths are refused up front. */
	argv[0] = "sh";
	spec.argv = argv;
	uv_loop_init(&loop);
	assert_int_equal(pgmgr_cmd_start(&loop, &spec, on_cmd, &s, NULL, err, sizeof(err)), -1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct sql_seen {
	bool called;
	enum pgmgr_sql_status status;
	char error[256];
};

static void on_sql_done(void *ctx, enum pgmgr_sql_status st, const char *error)
{
	struct sql_seen *s = ctx;

	s->called = true;
	s->status = st;
	snprintf(s->error, sizeof(s->error), "%s", error);
}

static void on_health(void *ctx, const struct pgmgr_health *h)
{
	struct sql_seen *s = ctx;

	s->called = true;
	s->status = h->status;
	snprintf(s->error, sizeof(s->error), "%s", h->error);
}

static void test_sql_unreachable(void **state)
{
	uv_loop_t loop;
	struct sql_seen a = { 0 }, b = { 0 }, c = { 0 };
	char err[128];
	struct pgmgr_health_probe *p = NULL;

	(void)state;
	uv_loop_init(&loop);
	/* Port 1 on loopback: refused at once. */
	assert_int_equal(pgmgr_sql_exec(&loop, "host=127.0.0.1 port=1 connect_timeout=2", "SELECT 1",
					2000, on_sql_done, &a, err, sizeof(err)), 0);
	assert_int_equal(pgmgr_health_probe(&loop, "host=127.0.0.1 port=1", 2000, on_health, &b, NULL,
					    err, sizeof(err)), 0);
	/* Cancelled: never called back, nothing leaks. */
	assert_int_equal(pgmgr_health_probe(&loop, "host=127.0.0.1 port=1", 2000, on_health, &c, &p,
					    err, sizeof(err)), 0);
	pgmgr_health_probe_cancel(p);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(a.called);
	assert_int_equal(a.status, PGMGR_SQL_UNREACHABLE);
	assert_true(a.error[0] != '\0');
	assert_null(strchr(a.error, '\n'));   /* one line for the log */
	assert_true(b.called);
	assert_int_equal(b.status, PGMGR_SQL_UNREACHABLE);
	assert_false(c.called);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- postmaster.pid ---- */

static void test_postmaster_pid(void **state)
{
	char *dir = make_tmpdir();
	char path[600], err[256], cwd[4096];
	pid_t pid;
	FILE *f;
	size_t found = 0;
	pid_t pids[4];

	(void)state;
	assert_int_equal(pgmgr_postmaster_pid(dir, &pid, err, sizeof(err)), 1);
	snprintf(path, sizeof(path), "%s/postmaster.pid", dir);
	f = fopen(path, "w");
	fputs("12345\n/data\n", f);
	fclose(f);
	assert_int_equal(pgmgr_postmaster_pid(dir, &pid, err, sizeof(err)), 0);
	assert_int_equal(pid, 12345);
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(pgmgr_postmaster_pid(dir, &pid, err, sizeof(err)), -1);
	/* A malformed file: unknown. Our own PID, while we work in the directory: running.
	 * A dead process's PID: stale (the postmaster crashed or was killed). */
	assert_int_equal(pgmgr_postmaster_status(dir, &pid, err, sizeof(err)), PGMGR_POSTMASTER_UNKNOWN);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	f = fopen(path, "w");
	fprintf(f, "%d\n%s\n", (int)getpid(), dir);
	fclose(f);
	assert_int_equal(pgmgr_postmaster_status(dir, &pid, err, sizeof(err)), PGMGR_POSTMASTER_RUNNING);
	assert_int_equal(pid, getpid());
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(pgmgr_postmaster_status(dir, &pid, err, sizeof(err)), PGMGR_POSTMASTER_STALE);
	{
		pid_t child = fork();
		int st;
		assert_true(child >= 0);
		if (child == 0)
			_exit(0);
		assert_int_equal(waitpid(child, &st, 0), child);
		f = fopen(path, "w");
		fprintf(f, "%d\n", (int)child);
		fclose(f);
		assert_int_equal(pgmgr_postmaster_status(dir, &pid, err, sizeof(err)),
				 PGMGR_POSTMASTER_STALE);
	}
	unlink(path);
	assert_int_equal(pgmgr_postmaster_status(dir, &pid, err, sizeof(err)), PGMGR_POSTMASTER_ABSENT);
	/* Nothing runs in a fresh directory; our own process is never counted. */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(pgmgr_proc_scan("/proc", dir, 0, pids, 4, &found, err, sizeof(err)), 0);
	assert_int_equal(found, 0);
	assert_int_equal(chdir(cwd), 0);
	rm_rf(dir);
	free(dir);
}


/* ---- pg_controldata as a program ---- */

struct cd_seen {
	bool called;
	int status;
	char err[512];
};

static void on_cd(void *ctx, int status, const struct pgmgr_controldata *cd, const char *err)
{
	struct cd_seen *s = ctx;

	s->called = true;
	s->status = status;
	assert_true((status == 0) == (cd != NULL));
	snprintf(s->err, sizeof(s->err), "%s", err);
}

static void test_controldata_read_failure(void **state)
{
	const char *bin = "/usr/lib/postgresql/15/bin";
	struct cd_seen s = { 0 }, m = { 0 };
	uv_loop_t loop;
	char err[256];

	(void)state;
	uv_loop_init(&loop);
	/* No such program: reported through the callback, as a failure. */
	assert_int_equal(pgmgr_controldata_read(&loop, "/nonexistent", "/tmp", 0, on_cd, &m, err,
						sizeof(err)), 0);
	if (access("/usr/lib/postgresql/15/bin/pg_controldata", X_OK) == 0)
		assert_int_equal(pgmgr_controldata_read(&loop, bin, "/nonexistent/data", 0, on_cd, &s,
							err, sizeof(err)), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(m.called);
	assert_int_equal(m.status, -1);
	assert_non_null(strstr(m.err, "pg_controldata failed"));
	if (s.called) {
		/* The program ran and failed: its own words are in the message. */
		assert_int_equal(s.status, -1);
		assert_non_null(strstr(s.err, "exit 1"));
		assert_non_null(strstr(s.err, "/nonexistent/data"));
	}
	assert_int_equal(pgmgr_controldata_read(&loop, NULL, "/tmp", 0, on_cd, &m, err, sizeof(err)), -1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- inputs from the agent's configuration ---- */

static const char cfg_yaml[] =
	"scope: demo\n"
	"name: db-1\n"
	"raft:\n"
	"  listen: 127.0.0.1:7000\n"
	"  data_dir: /var/lib/pgquorum/raft\n"
	"  peers:\n"
	"    - name: db-1\n"
	"      address: 127.0.0.1:7000\n"
	"postgresql:\n"
	"  data_dir: /var/lib/postgresql/15/pgq\n"
	"  listen: 0.0.0.0:5433\n"
	"  connect_address: 10.0.0.1:5433\n"
	"  authentication:\n"
	"    superuser:\n"
	"      username: admin\n"
	"      password: \"a b'c\"\n"
	"    replication:\n"
	"      username: repl\n"
	"      password: r\\p\n"
	"  parameters:\n"
	"    shared_buffers: 256MB\n"
	"  pg_hba:\n"
	"    - local all all peer\n"
	"bootstrap:\n"
	"  initdb:\n"
	"    - encoding: UTF8\n"
	"    - data-checksums\n";

static void test_cfg_inputs(void **state)
{
	struct pgq_config *cfg = NULL;
	struct pgq_diag_list diags;
	struct pgmgr_conf_input in;
	struct pgmgr_hba_input hin;
	struct pgmgr_initdb_opts io;
	struct pgmgr_ctl_opts co;
	PQconninfoOption *opts;
	char *errmsg = NULL, buf[1024], err[256], v[128];
	char *text = NULL;
	struct pgmgr_argv a;
	const char *hosts[] = { "10.0.0.2" };

	(void)state;
	pgq_diag_list_init(&diags);
	if (pgq_config_load_buffer("cfg.yml", cfg_yaml, strlen(cfg_yaml), &cfg, &diags) != 0) {
		pgq_diag_list_print(&diags, stderr);
		pgq_diag_list_free(&diags);
		fail_msg("config did not load");
	}
	pgq_diag_list_free(&diags);

	assert_int_equal(pgmgr_cfg_local_conninfo(cfg, 5000, buf, sizeof(buf)), 0);
	opts = PQconninfoParse(buf, &errmsg);
	assert_non_null(opts);
	assert_string_equal(conninfo_value(opts, "host"), "127.0.0.1");   /* the wildcard maps to loopback */
	assert_string_equal(conninfo_value(opts, "port"), "5433");
	assert_string_equal(conninfo_value(opts, "user"), "admin");
	assert_string_equal(conninfo_value(opts, "password"), "a b'c");
	PQconninfoFree(opts);

	assert_int_equal(pgmgr_cfg_upstream_conninfo(cfg, "10.0.0.2", 5433, true, buf, sizeof(buf)), 0);
	opts = PQconninfoParse(buf, &errmsg);
	assert_non_null(opts);
	assert_string_equal(conninfo_value(opts, "user"), "repl");
	assert_string_equal(conninfo_value(opts, "password"), "r\\p");
	assert_string_equal(conninfo_value(opts, "application_name"), "db-1");   /* S10 */
	PQconninfoFree(opts);
	assert_int_equal(pgmgr_cfg_upstream_conninfo(cfg, "10.0.0.2", 5433, false, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "password"));
	assert_int_equal(pgmgr_cfg_rewind_conninfo(cfg, "10.0.0.2", 5433, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "user='admin'"));
	assert_null(strstr(buf, "password"));

	pgmgr_cfg_conf_input(cfg, &in);
	assert_int_equal(pgmgr_conf_render(&in, &text, err, sizeof(err)), 0);
	assert_string_equal(conf_line(text, "listen_addresses", v, sizeof(v)), "'0.0.0.0'");
	assert_string_equal(conf_line(text, "port", v, sizeof(v)), "'5433'");
	assert_string_equal(conf_line(text, "cluster_name", v, sizeof(v)), "'demo'");
	assert_string_equal(conf_line(text, "shared_buffers", v, sizeof(v)), "'256MB'");
	free(text);

	pgmgr_cfg_hba_input(cfg, hosts, 1, &hin);
	assert_int_equal(pgmgr_hba_render(&hin, &text, err, sizeof(err)), 0);
	assert_non_null(strstr(text, "local all all peer\n"));
	assert_non_null(strstr(text, "host\treplication\t\"repl\"\t10.0.0.2/32\tscram-sha-256"));
	assert_non_null(strstr(text, "host\tall\t\"admin\"\t10.0.0.2/32\tscram-sha-256"));
	free(text);

	pgmgr_cfg_initdb_opts(cfg, &io);
	assert_int_equal(pgmgr_argv_initdb(&a, &io, err, sizeof(err)), 0);
	assert_string_equal(a.argv[0], "/usr/lib/postgresql/15/bin/initdb");
	assert_true(argv_has(&a, "--pgdata=/var/lib/postgresql/15/pgq"));
	assert_true(argv_has(&a, "--username=admin"));
	assert_true(argv_has(&a, "--encoding=UTF8"));
	assert_true(argv_has(&a, "--pwfile=/dev/stdin"));

	pgmgr_cfg_ctl_opts(cfg, "/var/log/pg.log", 30, &co);
	assert_int_equal(pgmgr_argv_start(&a, &co, err, sizeof(err)), 0);
	assert_true(argv_has(&a, "--pgdata=/var/lib/postgresql/15/pgq"));
	assert_true(argv_has(&a, "--log=/var/log/pg.log"));
	pgq_config_free(cfg);
}

/* ---- S14 rewind marker ---- */

static void test_rewind_marker(void **state)
{
	char *dir = make_tmpdir();
	char data[600], path[700], err[256];
	struct pgmgr_ctl_opts co = { .bin_dir = "/nonexistent", .wait_s = 1 };
	uv_loop_t loop;

	(void)state;
	assert_int_equal(pgmgr_rewind_marker_path("/var/lib/pg/data", path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/pg/data.pgquorum-rewind");
	assert_int_equal(pgmgr_rewind_marker_path("/var/lib/pg/data//", path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/pg/data.pgquorum-rewind");
	assert_int_equal(pgmgr_rewind_marker_path("/data", path, sizeof(path)), 0);
	assert_string_equal(path, "/data.pgquorum-rewind");
	assert_int_equal(pgmgr_rewind_marker_path("rel", path, sizeof(path)), 0);
	assert_string_equal(path, "./rel.pgquorum-rewind");
	assert_int_equal(pgmgr_rewind_marker_path("/", path, sizeof(path)), -1);
	assert_int_equal(pgmgr_rewind_marker_path("", path, sizeof(path)), -1);

	snprintf(data, sizeof(data), "%s/data", dir);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_false(pgmgr_rewind_marker_exists(data));
	assert_int_equal(pgmgr_rewind_marker_set(data, err, sizeof(err)), 0);
	assert_true(pgmgr_rewind_marker_exists(data));
	/* The marker sits beside the data directory, never inside (pg_rewind would delete it). */
	snprintf(path, sizeof(path), "%s/data.pgquorum-rewind", dir);
	assert_int_equal(access(path, F_OK), 0);

	/* A start is refused while it exists: no program runs at all. */
	co.data_dir = data;
	uv_loop_init(&loop);
	assert_int_equal(pgmgr_start(&loop, &co, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "S14"));
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* Cleared through the configuration writer after a re-clone. */
	{
		struct pgmgr_conf_files f = { .clear_rewind_marker = true };
		struct pgmgr_conf_result r;
		assert_int_equal(pgmgr_conf_write_sync(data, &f, &r, err, sizeof(err)), 0);
		assert_true(r.marker_cleared);
	}
	assert_false(pgmgr_rewind_marker_exists(data));
	assert_int_equal(pgmgr_rewind_marker_clear(data, err, sizeof(err)), 0);
	rm_rf(dir);
	free(dir);
}

/* ---- S5 fence on stand-in processes ---- */

struct fence_seen {
	bool called;
	struct pgmgr_fence_result r;
};

static void on_fence(void *ctx, const struct pgmgr_fence_result *r)
{
	struct fence_seen *s = ctx;

	s->called = true;
	s->r = *r;
	s->r.error = "";
}

/* A shell that ignores SIGTERM and its child, both working in dir. */
static pid_t spawn_in(const char *dir)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", "trap '' TERM; sleep 30 & wait; sleep 30", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_fence_escalates_and_verifies(void **state)
{
	char *dir = make_tmpdir();
	char err[256];
	struct pgmgr_fence_opts o = { .bin_dir = "/nonexistent", .first_step = PGMGR_FENCE_FAST,
				      .fast_timeout_ms = 200, .immediate_timeout_ms = 200,
				      .kill_wait_ms = 3000 };
	struct fence_seen s = { 0 }, again = { 0 };
	size_t count = 0;
	uv_loop_t loop;
	pid_t pid;
	int status;

	(void)state;
	pid = spawn_in(dir);
	/* Wait until both processes run in the directory. */
	for (int i = 0; i < 200 && count < 2; i++) {
		usleep(10000);
		assert_int_equal(pgmgr_fence_check(dir, &count, err, sizeof(err)), 0);
	}
	assert_int_equal(count, 2);

	o.data_dir = dir;
	uv_loop_init(&loop);
	assert_int_equal(pgmgr_fence_start(&loop, &o, on_fence, &s, NULL, err, sizeof(err)), 0);
	assert_false(s.called);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.called);
	/* pg_ctl cannot run here: fast and immediate fall through to SIGKILL. */
	assert_true(s.r.fenced);
	assert_int_equal(s.r.last_step, PGMGR_FENCE_KILL);
	assert_true(s.r.killed >= 2);
	assert_int_equal(s.r.postmaster, 0);
	assert_int_equal(pgmgr_fence_check(dir, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* Nothing left: fenced at once, nothing killed. */
	assert_int_equal(pgmgr_fence_start(&loop, &o, on_fence, &again, NULL, err, sizeof(err)), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(again.called && again.r.fenced);
	assert_int_equal(again.r.killed, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lsn_parse_format),
		cmocka_unit_test(test_lsn_rejects),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_controldata_parse),
		cmocka_unit_test(test_controldata_states_and_errors),
		cmocka_unit_test(test_conninfo_quoting),
		cmocka_unit_test(test_sql_quoting),
		cmocka_unit_test(test_roles_sql),
		cmocka_unit_test(test_conf_render),
		cmocka_unit_test(test_hba_render),
		cmocka_unit_test(test_conf_include),
		cmocka_unit_test(test_conf_write),
		cmocka_unit_test(test_slot_names),
		cmocka_unit_test(test_slot_sql),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_health_parse),
		cmocka_unit_test(test_cmd_exit_and_output),
		cmocka_unit_test(test_cmd_timeout_and_spawn_failure),
		cmocka_unit_test(test_sql_unreachable),
		cmocka_unit_test(test_postmaster_pid),
		cmocka_unit_test(test_controldata_read_failure),
		cmocka_unit_test(test_cfg_inputs),
		cmocka_unit_test(test_rewind_marker),
		cmocka_unit_test(test_fence_escalates_and_verifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

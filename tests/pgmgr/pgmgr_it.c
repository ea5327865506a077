/*
 * pgmgr_it.c — the PostgreSQL manager against real PostgreSQL 15 servers,
 * driven through the library on one libuv loop, printing TAP.
 *
 * usage: pgmgr_it WORKDIR BIN_DIR BASE_PORT
 * (run by pgmgr_it.sh, which picks the user, the directory and the ports,
 * and removes whatever survives).
 *
 * Scenario: initdb (password through stdin) → managed conf → start →
 * health says primary → roles and a slot → pg_basebackup a standby on its
 * slot → start it → health says streaming, receive LSN advances after a
 * write → reload with a postmaster-only change shows pending_restart →
 * promote (L5 poll) → health says primary on timeline 2 → the old primary,
 * which wrote after the promotion (diverged), is stopped, rewound from the
 * new primary and started as its standby → its data equals the new
 * primary's → fence: kill step on one, fast step on the other, each
 * verified with no process left (S5); in between, the gone member's slot
 * on the new primary is advanced and dropped (L6).
 *
 * The tests wait on the loop for callbacks (every wait is bounded); on any
 * failure the remaining servers are killed by PID before exiting.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "pgq_config.h"
#include "pgmgr/conf.h"
#include "pgmgr/conninfo.h"
#include "pgmgr/controldata.h"
#include "pgmgr/fence.h"
#include "pgmgr/health.h"
#include "pgmgr/marker.h"
#include "pgmgr/pgctl.h"
#include "pgmgr/pgmgr.h"
#include "pgmgr/procscan.h"
#include "pgmgr/promote.h"
#include "pgmgr/roles.h"
#include "pgmgr/slots.h"
#include "pgmgr/sql.h"

#define SUPERUSER "postgres"
#define SUPERUSER_PW "su pw 'q\\z"      /* spaces, quote, backslash: quoting is tested */
#define REPL_USER "replicator"
#define REPL_PW "re'pl pw"

struct node {
	const char *name;
	char dir[512];
	char log[512];
	uint16_t port;
	char su_conninfo[1024];      /* the agent's local connection */
	char slot[64];
};

static uv_loop_t loop;
static uv_timer_t tick;
static const char *bin_dir;
static const char *work;
static int n_tests, n_failed;
static struct node nodes[2];

static bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One TAP line, whatever the messages inside hold. */
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n_tests, buf);
	fflush(stdout);
	if (!ok)
		n_failed++;
	return ok;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;
	char buf[2048];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Every line a TAP comment. */
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
		printf("# %s\n", line);
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* Runs the loop until *flag or the deadline. */
static bool wait_for(const bool *flag, uint32_t timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (!*flag && now_ms() < end)
		uv_run(&loop, UV_RUN_ONCE);
	return *flag;
}

static void sleep_on_loop(uint32_t ms)
{
	bool never = false;

	wait_for(&never, ms);
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
}

/* ---- waiting helpers around the async API ---- */

struct cmd_wait {
	bool done, ok;
	char what[128];
	char tail[PGMGR_CMD_TAIL_BYTES + 1];
	uint64_t elapsed_ms;
};

static void on_cmd(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct cmd_wait *w = ctx;

	w->done = true;
	w->ok = pgmgr_cmd_ok(r);
	w->elapsed_ms = r->elapsed_ms;
	pgmgr_cmd_describe(r, w->what, sizeof(w->what));
	snprintf(w->tail, sizeof(w->tail), "%s", r->stderr_tail);
}

static bool finish_cmd(struct cmd_wait *w, int rc, const char *err, const char *label)
{
	if (rc != 0)
		return check(false, "%s: %s", label, err);
	if (!wait_for(&w->done, 120000))
		return check(false, "%s: no completion", label);
	if (!w->ok)
		diag("%s stderr: %s", label, w->tail);
	return check(w->ok, "%s (%s, %llu ms)", label, w->what, (unsigned long long)w->elapsed_ms);
}

/* For results that need more than ok/not ok. */
struct cmd_cap {
	bool done, not_running;
	char tail[PGMGR_CMD_TAIL_BYTES + 1];
	char what[128];
};

static void on_cmd_cap(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct cmd_cap *w = ctx;

	w->not_running = pgmgr_stop_not_running(r);
	snprintf(w->tail, sizeof(w->tail), "%s", r->stderr_tail);
	pgmgr_cmd_describe(r, w->what, sizeof(w->what));
	w->done = true;
}

struct health_wait {
	bool done;
	struct pgmgr_health h;
};

static void on_health(void *ctx, const struct pgmgr_health *h)
{
	struct health_wait *w = ctx;

	pgmgr_health_copy(&w->h, h);
	w->done = true;
}

/* One probe; h must be cleared by the caller. */
static void probe(const struct node *n, struct pgmgr_health *h)
{
	struct health_wait w = { 0 };
	char err[200] = "timeout";

	if (pgmgr_health_probe(&loop, n->su_conninfo, 5000, on_health, &w, NULL, err, sizeof(err)) != 0 ||
	    !wait_for(&w.done, 10000)) {
		memset(h, 0, sizeof(*h));
		h->status = PGMGR_SQL_FAILED;
		snprintf(h->error, sizeof(h->error), "probe did not run: %s", err);
		return;
	}
	*h = w.h;
}

typedef bool (*health_pred)(const struct pgmgr_health *h, const void *arg);

/* Probes every 100 ms until pred holds or timeout; *h holds the last probe. */
static bool probe_until(const struct node *n, health_pred pred, const void *arg, uint32_t timeout_ms,
			struct pgmgr_health *h)
{
	uint64_t end = now_ms() + timeout_ms;

	for (;;) {
		probe(n, h);
		if (h->status == PGMGR_SQL_OK && pred(h, arg))
			return true;
		if (now_ms() >= end)
			return false;
		pgmgr_health_clear(h);
		sleep_on_loop(100);
	}
}

struct sql_wait {
	bool done;
	enum pgmgr_sql_status status;
	char error[512];
	char value[256];
	bool has_value;
};

static void on_sql(void *ctx, const struct pgmgr_sql_result *r)
{
	struct sql_wait *w = ctx;
	const char *v = NULL;

	w->status = r->status;
	snprintf(w->error, sizeof(w->error), "%s", r->error);
	/* The first value of the last result. */
	if (r->n_results > 0)
		v = pgmgr_sql_value(r, r->n_results - 1, 0, 0);
	w->has_value = v != NULL;
	snprintf(w->value, sizeof(w->value), "%s", v != NULL ? v : "");
	w->done = true;
}

static bool sql(const struct node *n, const char *query, struct sql_wait *w)
{
	char err[256];

	memset(w, 0, sizeof(*w));
	if (pgmgr_sql_start(&loop, n->su_conninfo, query, 10000, on_sql, w, NULL, err, sizeof(err)) != 0) {
		snprintf(w->error, sizeof(w->error), "%s", err);
		return false;
	}
	if (!wait_for(&w->done, 15000))
		return false;
	if (w->status != PGMGR_SQL_OK)
		diag("sql on %s failed: %s: %s", n->name, pgmgr_sql_status_name(w->status), w->error);
	return w->status == PGMGR_SQL_OK;
}

struct done_wait {
	bool done;
	enum pgmgr_sql_status status;
	char error[512];
};

static void on_done(void *ctx, enum pgmgr_sql_status st, const char *error)
{
	struct done_wait *w = ctx;

	w->status = st;
	snprintf(w->error, sizeof(w->error), "%s", error);
	w->done = true;
}

struct conf_wait {
	bool done;
	struct pgmgr_conf_result r;
	char error[512];
};

static void on_conf(void *ctx, const struct pgmgr_conf_result *r)
{
	struct conf_wait *w = ctx;

	w->r = *r;
	snprintf(w->error, sizeof(w->error), "%s", r->error);
	w->r.error = w->error;
	w->done = true;
}

/* ---- node set-up ---- */

static void node_init(struct node *n, const char *name, uint16_t port)
{
	struct pgmgr_conninfo_parts p = { 0 };

	n->name = name;
	n->port = port;
	snprintf(n->dir, sizeof(n->dir), "%s/%s", work, name);
	snprintf(n->log, sizeof(n->log), "%s/%s.log", work, name);
	pgmgr_slot_name(name, n->slot, sizeof(n->slot));
	p.host = "127.0.0.1";
	p.port = port;
	p.user = SUPERUSER;
	p.password = SUPERUSER_PW;
	p.dbname = "postgres";
	p.application_name = "pgquorum";
	p.connect_timeout_s = 5;
	p.local_agent = true;
	p.statement_timeout_ms = 10000;
	pgmgr_conninfo_build(n->su_conninfo, sizeof(n->su_conninfo), &p);
}

/* The conninfo a standby uses to reach `up` (S10: application_name = member). */
static void upstream_conninfo(const struct node *self, const struct node *up, const char *user,
			      const char *password, char *buf, size_t n)
{
	struct pgmgr_conninfo_parts p = { 0 };

	p.host = "127.0.0.1";
	p.port = up->port;
	p.user = user;
	p.password = password;
	p.dbname = "postgres";
	p.application_name = self->name;
	p.connect_timeout_s = 5;
	pgmgr_conninfo_build(buf, n, &p);
}

/* Writes pgquorum.conf (+ pg_hba, include, signal). upstream NULL: primary. */
static bool write_conf(const struct node *n, const struct node *up, enum pgmgr_signal_action sig,
		       const char *extra_key, const char *extra_value)
{
	struct pgq_config_kv local[3] = {
		{ "unix_socket_directories", (char *)work },
		{ "logging_collector", "off" },
		{ NULL, NULL },
	};
	char *hba_lines[] = { "local all all peer" };
	struct pgmgr_conf_input in = { 0 };
	struct pgmgr_hba_input hin = { 0 };
	struct pgmgr_conf_files f = { 0 };
	struct conf_wait w = { 0 };
	char primary[1024] = "";
	char *conf = NULL, *hba = NULL;
	char err[256];
	int rc;

	local[2].key = (char *)extra_key;
	local[2].value = (char *)extra_value;
	if (up != NULL)
		upstream_conninfo(n, up, REPL_USER, REPL_PW, primary, sizeof(primary));
	in.listen_addresses = "127.0.0.1";
	in.port = n->port;
	in.cluster_name = n->name;
	in.local_params = local;
	in.n_local = extra_key != NULL ? 3 : 2;
	in.primary_conninfo = up != NULL ? primary : NULL;
	in.primary_slot_name = up != NULL ? n->slot : NULL;
	hin.lines = hba_lines;
	hin.n_lines = 1;
	hin.superuser = SUPERUSER;
	hin.replication_user = REPL_USER;
	if (pgmgr_conf_render(&in, &conf, err, sizeof(err)) != 0 ||
	    pgmgr_hba_render(&hin, &hba, err, sizeof(err)) != 0) {
		free(conf);
		return check(false, "%s: render configuration: %s", n->name, err);
	}
	f.pgquorum_conf = conf;
	f.pg_hba = hba;
	f.ensure_include = true;
	f.standby_signal = sig;
	rc = pgmgr_conf_write(&loop, n->dir, &f, on_conf, &w, err, sizeof(err));
	free(conf);
	free(hba);
	if (rc != 0)
		return check(false, "%s: write configuration: %s", n->name, err);
	if (!wait_for(&w.done, 10000))
		return check(false, "%s: configuration write never completed", n->name);
	return check(w.r.status == 0, "%s: configuration written durably (%s%s%s) %s", n->name,
		     w.r.conf_changed ? "conf " : "", w.r.hba_changed ? "hba " : "",
		     w.r.signal_changed ? "signal" : "", w.error);
}

static bool start_node(const struct node *n)
{
	struct pgmgr_ctl_opts o = { .bin_dir = bin_dir, .data_dir = n->dir, .log_path = n->log, .wait_s = 30 };
	struct cmd_wait w = { 0 };
	char err[256], label[128];
	int rc = pgmgr_start(&loop, &o, on_cmd, &w, NULL, err, sizeof(err));

	snprintf(label, sizeof(label), "%s: pg_ctl start", n->name);
	return finish_cmd(&w, rc, err, label);
}

static bool stop_node(const struct node *n, enum pgmgr_stop_mode mode)
{
	struct pgmgr_ctl_opts o = { .bin_dir = bin_dir, .data_dir = n->dir, .wait_s = 30, .mode = mode };
	struct cmd_wait w = { 0 };
	char err[256], label[128];
	int rc = pgmgr_stop(&loop, &o, on_cmd, &w, NULL, err, sizeof(err));

	snprintf(label, sizeof(label), "%s: pg_ctl stop", n->name);
	return finish_cmd(&w, rc, err, label);
}

/* ---- predicates ---- */

static bool is_primary(const struct pgmgr_health *h, const void *arg)
{
	(void)arg;
	return !h->in_recovery;
}

static bool is_streaming(const struct pgmgr_health *h, const void *arg)
{
	const uint32_t *tli = arg;

	return h->in_recovery && h->wal_receiver && strcmp(h->receiver_status, "streaming") == 0 &&
	       (tli == NULL || h->received_tli == *tli);
}

static bool received_past(const struct pgmgr_health *h, const void *arg)
{
	const uint64_t *lsn = arg;

	/* S9's LSN: after a restart the receive LSN sits at the segment where
	 * streaming began, below what was replayed from pg_wal. */
	return h->in_recovery && pgmgr_health_lsn(h) >= *lsn && h->replay_lsn >= *lsn;
}

static bool has_replica(const struct pgmgr_health *h, const void *arg)
{
	const char *name = arg;

	for (size_t i = 0; i < h->n_replicas; i++)
		if (strcmp(h->replicas[i].application_name, name) == 0 &&
		    strcmp(h->replicas[i].state, "streaming") == 0)
			return true;
	return false;
}

static bool pending_restart(const struct pgmgr_health *h, const void *arg)
{
	(void)arg;
	return h->pending_restart && strstr(h->pending_restart_names, "max_connections") != NULL;
}

/* ---- the scenario ---- */

static uint64_t system_id;

static bool step_bootstrap(struct node *p)
{
	struct pgq_config_initdb_option opts[] = { { "encoding", "UTF8" }, { "locale", "C" } };
	struct pgmgr_initdb_opts io = {
		.bin_dir = bin_dir, .data_dir = p->dir, .superuser = SUPERUSER,
		.superuser_password = SUPERUSER_PW, .options = opts, .n_options = 2,
	};
	struct cmd_wait w = { 0 };
	struct done_wait dw = { 0 };
	struct sql_wait sw;
	struct pgmgr_health h;
	char err[256];
	char *roles = NULL;
	bool ok;
	int rc;

	rc = pgmgr_initdb(&loop, &io, on_cmd, &w, NULL, err, sizeof(err));
	if (!finish_cmd(&w, rc, err, "node_1: initdb --data-checksums, password on stdin"))
		return false;
	if (!write_conf(p, NULL, PGMGR_SIGNAL_REMOVE, NULL, NULL) || !start_node(p))
		return false;

	/* The password initdb read from stdin works over TCP (scram). */
	probe(p, &h);
	ok = check(h.status == PGMGR_SQL_OK && !h.in_recovery,
		   "node_1: health says primary (status %s %s)", pgmgr_sql_status_name(h.status), h.error);
	ok = ok && check(h.timeline == 1 && h.current_lsn != 0 && h.server_version_num >= 150000,
			 "node_1: timeline 1, current LSN, version %d", h.server_version_num);
	system_id = h.system_identifier;
	pgmgr_health_clear(&h);
	if (!ok)
		return false;
	/* A hung server (postmaster stopped): the probe ends as a timeout state, on time. */
	{
		struct health_wait hw = { 0 };
		pid_t pm = 0;
		uint64_t t0 = now_ms();
		bool stopped = pgmgr_postmaster_pid(p->dir, &pm, err, sizeof(err)) == 0 &&
			       kill(pm, SIGSTOP) == 0;
		ok = stopped && pgmgr_health_probe(&loop, p->su_conninfo, 500, on_health, &hw, NULL, err,
						   sizeof(err)) == 0 && wait_for(&hw.done, 5000);
		if (stopped)
			kill(pm, SIGCONT);
		ok = check(ok && hw.h.status == PGMGR_SQL_TIMEOUT && now_ms() - t0 < 2000,
			   "node_1: a hung server gives the timeout state in %llu ms (%s)",
			   (unsigned long long)(now_ms() - t0), pgmgr_sql_status_name(hw.h.status));
		pgmgr_health_clear(&hw.h);
		if (!ok)
			return false;
	}
	if (!check(sql(p, "SHOW restart_after_crash", &sw) && strcmp(sw.value, "off") == 0,
		   "node_1: restart_after_crash = off (S14), got '%s'", sw.value))
		return false;
	if (!check(sql(p, "SHOW synchronous_commit", &sw) && strcmp(sw.value, "on") == 0,
		   "node_1: synchronous_commit = on (S11)"))
		return false;

	if (pgmgr_roles_sql(SUPERUSER, SUPERUSER_PW, REPL_USER, REPL_PW, &roles, err, sizeof(err)) != 0)
		return check(false, "roles sql: %s", err);
	rc = pgmgr_sql_exec(&loop, p->su_conninfo, roles, 10000, on_done, &dw, err, sizeof(err));
	free(roles);
	if (rc != 0 || !wait_for(&dw.done, 15000) || dw.status != PGMGR_SQL_OK)
		return check(false, "node_1: create roles: %s %s", err, dw.error);
	/* Twice: idempotent. */
	roles = NULL;
	pgmgr_roles_sql(SUPERUSER, SUPERUSER_PW, REPL_USER, REPL_PW, &roles, err, sizeof(err));
	memset(&dw, 0, sizeof(dw));
	rc = pgmgr_sql_exec(&loop, p->su_conninfo, roles, 10000, on_done, &dw, err, sizeof(err));
	free(roles);
	return check(rc == 0 && wait_for(&dw.done, 15000) && dw.status == PGMGR_SQL_OK,
		     "node_1: roles created, and again (idempotent) %s", dw.error);
}

static bool ensure_slot(const struct node *on, const struct node *for_member)
{
	const char *names[] = { for_member->slot };
	struct done_wait dw = { 0 };
	struct pgmgr_health h;
	char err[256];
	bool found = false;

	if (pgmgr_slots_ensure(&loop, on->su_conninfo, names, 1, 10000, on_done, &dw, err, sizeof(err)) != 0 ||
	    !wait_for(&dw.done, 15000) || dw.status != PGMGR_SQL_OK)
		return check(false, "%s: slot %s: %s %s", on->name, names[0], err, dw.error);
	/* Again: no error for an existing slot. */
	memset(&dw, 0, sizeof(dw));
	if (pgmgr_slots_ensure(&loop, on->su_conninfo, names, 1, 10000, on_done, &dw, err, sizeof(err)) != 0 ||
	    !wait_for(&dw.done, 15000) || dw.status != PGMGR_SQL_OK)
		return check(false, "%s: slot %s again: %s", on->name, names[0], dw.error);
	probe(on, &h);
	for (size_t i = 0; i < h.n_slots; i++)
		found = found || (strcmp(h.slots[i].name, names[0]) == 0 && h.slots[i].restart_lsn != 0);
	pgmgr_health_clear(&h);
	return check(found, "%s: physical slot %s exists with WAL reserved (L6)", on->name, names[0]);
}

static bool step_standby(struct node *p, struct node *s)
{
	struct pgmgr_basebackup_opts bo = { 0 };
	struct cmd_wait w = { 0 };
	struct pgmgr_health h;
	struct sql_wait sw;
	char conninfo[1024], err[256];
	uint64_t before;
	uint32_t tli = 1;
	bool ok;
	int rc;

	if (!ensure_slot(p, s))
		return false;
	/* No password in the conninfo: it travels as PGPASSWORD. */
	upstream_conninfo(s, p, REPL_USER, NULL, conninfo, sizeof(conninfo));
	bo.bin_dir = bin_dir;
	bo.data_dir = s->dir;
	bo.conninfo = conninfo;
	bo.password = REPL_PW;
	bo.slot_name = s->slot;
	bo.timeout_ms = 60000;
	rc = pgmgr_basebackup(&loop, &bo, on_cmd, &w, NULL, err, sizeof(err));
	if (!finish_cmd(&w, rc, err, "node_2: pg_basebackup -X stream --slot"))
		return false;
	if (!write_conf(s, p, PGMGR_SIGNAL_CREATE, NULL, NULL) || !start_node(s))
		return false;
	ok = probe_until(s, is_streaming, &tli, 20000, &h);
	check(ok, "node_2: health says standby, WAL receiver streaming on timeline 1 (%s)",
	      h.receiver_status);
	ok = ok && check(h.system_identifier == system_id, "node_2: same system identifier (S15)");
	ok = ok && check(strcmp(h.receiver_slot, s->slot) == 0, "node_2: streams through slot %s",
			 h.receiver_slot);
	before = h.receive_lsn;
	pgmgr_health_clear(&h);
	if (!ok)
		return false;
	ok = probe_until(p, has_replica, s->name, 10000, &h);
	pgmgr_health_clear(&h);
	if (!check(ok, "node_1: pg_stat_replication shows application_name node_2 (S10)"))
		return false;

	/* The LSN after the commit (in the same batch it would be the WAL write
	 * position before the commit record was flushed). */
	if (!sql(p, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000)", &sw) ||
	    !sql(p, "SELECT pg_catalog.pg_current_wal_flush_lsn()::text", &sw))
		return check(false, "node_1: write");
	{
		uint64_t target;
		ok = pgmgr_lsn_parse(sw.value, &target) == 0 && target > before;
		ok = ok && probe_until(s, received_past, &target, 10000, &h);
		check(ok, "node_2: receive and replay LSN advance past the primary's write (%s)", sw.value);
		pgmgr_health_clear(&h);
	}
	if (!ok)
		return false;
	return check(sql(s, "SELECT count(*) FROM t", &sw) && strcmp(sw.value, "1000") == 0,
		     "node_2: reads the 1000 rows");
}

static bool step_pending_restart(struct node *s, struct node *p)
{
	struct pgmgr_ctl_opts o = { .bin_dir = bin_dir, .data_dir = s->dir };
	struct cmd_wait w = { 0 };
	struct pgmgr_health h;
	char err[256];
	bool ok;
	int rc;

	if (!write_conf(s, p, PGMGR_SIGNAL_CREATE, "max_connections", "150"))
		return false;
	rc = pgmgr_reload(&loop, &o, on_cmd, &w, NULL, err, sizeof(err));
	if (!finish_cmd(&w, rc, err, "node_2: pg_ctl reload"))
		return false;
	ok = probe_until(s, pending_restart, NULL, 10000, &h);
	check(ok, "node_2: a postmaster-context change shows as pending_restart (%s)",
	      h.pending_restart_names);
	pgmgr_health_clear(&h);
	return ok && write_conf(s, p, PGMGR_SIGNAL_CREATE, NULL, NULL);
}

struct promote_wait {
	bool done;
	struct pgmgr_promote_result r;
};

static void on_promote(void *ctx, const struct pgmgr_promote_result *r)
{
	struct promote_wait *w = ctx;

	w->r = *r;
	w->r.error = "";
	w->done = true;
}

static bool step_promote(struct node *s, struct node *p)
{
	struct promote_wait w = { 0 };
	struct pgmgr_health h;
	struct sql_wait sw;
	char err[256];
	bool ok;

	if (pgmgr_promote_start(&loop, s->su_conninfo, 30000, 50, on_promote, &w, NULL, err, sizeof(err)) != 0 ||
	    !wait_for(&w.done, 40000))
		return check(false, "node_2: promote did not complete: %s", err);
	if (!check(w.r.promoted && !w.r.timed_out, "node_2: promoted (pg_promote + poll, L5) in %llu ms, %u polls",
		   (unsigned long long)w.r.elapsed_ms, w.r.polls))
		return false;
	ok = probe_until(s, is_primary, NULL, 5000, &h);
	ok = check(ok && h.timeline == 2, "node_2: health says primary on timeline 2 (got %u)", h.timeline);
	pgmgr_health_clear(&h);
	if (!ok)
		return false;
	/* S14: standby.signal back right after the promotion (read only at start). */
	{
		struct pgmgr_conf_files f = { .standby_signal = PGMGR_SIGNAL_CREATE };
		struct conf_wait cw = { 0 };
		if (pgmgr_conf_write(&loop, s->dir, &f, on_conf, &cw, err, sizeof(err)) != 0 ||
		    !wait_for(&cw.done, 10000) || cw.r.status != 0)
			return check(false, "node_2: standby.signal re-created");
	}
	if (!sql(s, "INSERT INTO t VALUES (-2)", &sw))
		return check(false, "node_2: accepts writes");
	/* The old primary diverges: a write after the promotion. */
	return check(sql(p, "INSERT INTO t SELECT generate_series(2001, 3000)", &sw),
		     "node_1: still writable, writes 1000 diverging rows");
}

struct cd_wait {
	bool done;
	int status;
	struct pgmgr_controldata cd;
	char err[256];
};

static void on_cd(void *ctx, int status, const struct pgmgr_controldata *cd, const char *err)
{
	struct cd_wait *w = ctx;

	w->status = status;
	if (cd != NULL)
		w->cd = *cd;
	snprintf(w->err, sizeof(w->err), "%s", err);
	w->done = true;
}

static bool step_rewind(struct node *old, struct node *np)
{
	struct cd_wait cw = { 0 };
	struct pgmgr_rewind_opts ro = { 0 };
	struct cmd_wait w = { 0 };
	struct pgmgr_health h;
	struct sql_wait a, b;
	char conninfo[1024], err[256];
	uint32_t tli = 2;
	bool ok;
	int rc;

	if (!stop_node(old, PGMGR_STOP_FAST))
		return false;
	if (pgmgr_controldata_read(&loop, bin_dir, old->dir, 10000, on_cd, &cw, err, sizeof(err)) != 0 ||
	    !wait_for(&cw.done, 15000))
		return check(false, "node_1: pg_controldata: %s", err);
	if (!check(cw.status == 0 && pgmgr_controldata_clean(&cw.cd) && cw.cd.timeline == 1 &&
		   cw.cd.system_identifier == system_id,
		   "node_1: pg_controldata says '%s' on timeline %u, same system id %s",
		   pgmgr_db_state_name(cw.cd.state), cw.cd.timeline, cw.err))
		return false;
	if (!ensure_slot(np, old))
		return false;
	/*
	 * An unreachable source fails the rewind before it touches the data
	 * directory: no marker, the directory stays startable (it can still
	 * report, S9). The marker, once set, blocks a start (S14).
	 */
	{
		struct pgmgr_rewind_opts bad = { .bin_dir = bin_dir, .data_dir = old->dir,
						 .conninfo = "host=127.0.0.1 port=1 user=postgres",
						 .timeout_ms = 10000 };
		struct pgmgr_ctl_opts so = { .bin_dir = bin_dir, .data_dir = old->dir, .wait_s = 5 };
		struct cmd_wait bw = { 0 };
		rc = pgmgr_rewind(&loop, &bad, on_cmd, &bw, err, sizeof(err));
		ok = rc == 0 && wait_for(&bw.done, 20000) && !bw.ok;
		ok = check(ok && !pgmgr_rewind_marker_exists(old->dir),
			   "node_1: a rewind from an unreachable source (%s) leaves no marker", bw.what);
		err[0] = '\0';
		ok = ok && check(pgmgr_rewind_marker_set(old->dir, err, sizeof(err)) == 0,
				 "node_1: marker set%s", err);
		ok = ok && check(pgmgr_start(&loop, &so, on_cmd, &bw, NULL, err, sizeof(err)) == -1,
				 "node_1: start refused while the marker exists: %s", err);
		ok = ok && check(pgmgr_rewind_marker_clear(old->dir, err, sizeof(err)) == 0,
				 "node_1: marker cleared");
		if (!ok)
			return false;
	}
	upstream_conninfo(old, np, SUPERUSER, NULL, conninfo, sizeof(conninfo));
	ro.bin_dir = bin_dir;
	ro.data_dir = old->dir;
	ro.conninfo = conninfo;
	ro.password = SUPERUSER_PW;
	ro.timeout_ms = 60000;
	rc = pgmgr_rewind(&loop, &ro, on_cmd, &w, err, sizeof(err));
	if (!finish_cmd(&w, rc, err, "node_1: pg_rewind --source-server (diverged)"))
		return false;
	diag("pg_rewind said: %s", w.tail);
	if (!check(!pgmgr_rewind_marker_exists(old->dir), "node_1: the rewind marker is gone after success"))
		return false;
	/* pg_rewind copied the source's pgquorum.conf: ours goes back, as a standby. */
	if (!write_conf(old, np, PGMGR_SIGNAL_CREATE, NULL, NULL) || !start_node(old))
		return false;
	ok = probe_until(old, is_streaming, &tli, 20000, &h);
	check(ok, "node_1: rejoined as a standby streaming on timeline 2 (%s, tli %u)",
	      h.receiver_status, h.received_tli);
	pgmgr_health_clear(&h);
	if (!ok)
		return false;
	{
		struct sql_wait lw;
		uint64_t target;
		if (!sql(np, "SELECT pg_catalog.pg_current_wal_flush_lsn()::text", &lw) ||
		    pgmgr_lsn_parse(lw.value, &target) != 0)
			return check(false, "node_2: current LSN");
		ok = probe_until(old, received_past, &target, 10000, &h);
		{
			char a1[PGMGR_LSN_STRLEN], a2[PGMGR_LSN_STRLEN];
			check(ok, "node_1: caught up with node_2 at %s (receive %s, replay %s)", lw.value,
			      pgmgr_lsn_format(h.receive_lsn, a1, sizeof(a1)),
			      pgmgr_lsn_format(h.replay_lsn, a2, sizeof(a2)));
		}
		pgmgr_health_clear(&h);
		if (!ok)
			return false;
	}
	ok = sql(old, "SELECT count(*)::text || ',' || coalesce(max(id), 0)::text FROM t", &a) &&
	     sql(np, "SELECT count(*)::text || ',' || coalesce(max(id), 0)::text FROM t", &b);
	return check(ok && strcmp(a.value, b.value) == 0 && strcmp(a.value, "1001,1000") == 0,
		     "node_1: the diverged rows are gone; same data as node_2 (%s vs %s)", a.value, b.value);
}

/* Alive and not a zombie (the postmaster's reaper may be slow or absent). */
static bool running(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

struct fence_wait {
	bool done;
	struct pgmgr_fence_result r;
};

static void on_fence(void *ctx, const struct pgmgr_fence_result *r)
{
	struct fence_wait *w = ctx;

	w->r = *r;
	w->r.error = "";
	w->done = true;
}

static bool step_fence(struct node *n, enum pgmgr_fence_step first)
{
	struct pgmgr_fence_opts o = { .bin_dir = bin_dir, .data_dir = n->dir, .first_step = first };
	struct fence_wait w = { 0 };
	char err[256];
	pid_t pm = 0;
	size_t left = 99;

	enum pgmgr_postmaster_status before = pgmgr_postmaster_status(n->dir, &pm, err, sizeof(err));

	if (!check(before == PGMGR_POSTMASTER_RUNNING, "%s: postmaster status says running (pid %d)",
		   n->name, (int)pm))
		return false;
	if (pgmgr_fence_start(&loop, &o, on_fence, &w, NULL, err, sizeof(err)) != 0 ||
	    !wait_for(&w.done, 20000))
		return check(false, "%s: fence did not complete: %s", n->name, err);
	check(w.r.fenced && w.r.postmaster == pm && pm > 0,
	      "%s: fence from step %d verified (step %d, %u SIGKILL, %llu ms, postmaster %d)", n->name,
	      (int)first, (int)w.r.last_step, w.r.killed, (unsigned long long)w.r.elapsed_ms, (int)pm);
	pgmgr_fence_check(n->dir, &left, err, sizeof(err));
	if (!check(left == 0 && !running(pm),
		   "%s: no process of the data directory left (S5), postmaster gone", n->name))
		return false;
	{
		/* Killed: postmaster.pid stays behind (a crash looks the same); stopped: removed. */
		pid_t p2;
		enum pgmgr_postmaster_status st = pgmgr_postmaster_status(n->dir, &p2, err, sizeof(err));
		enum pgmgr_postmaster_status want = first == PGMGR_FENCE_KILL ? PGMGR_POSTMASTER_STALE
									 : PGMGR_POSTMASTER_ABSENT;
		if (!check(st == want, "%s: postmaster status says %s", n->name,
			   st == PGMGR_POSTMASTER_STALE ? "stale (died)" :
			   st == PGMGR_POSTMASTER_ABSENT ? "absent (stopped)" : "something else"))
			return false;
	}
	if (first == PGMGR_FENCE_KILL) {
		/* Before a start: the killed postmaster's file goes (it may be an unreaped zombie). */
		pid_t stale = 0;
		int rc = pgmgr_fence_clear_stale_pid(n->dir, &stale, err, sizeof(err));
		pid_t p3;

		if (!check(rc == 1 && stale == pm &&
			   pgmgr_postmaster_status(n->dir, &p3, err, sizeof(err)) ==
				   PGMGR_POSTMASTER_ABSENT,
			   "%s: the stale postmaster.pid (PID %d) is removed, status absent (rc %d)",
			   n->name, (int)stale, rc))
			return false;
	}
	if (first != PGMGR_FENCE_KILL) {
		/* Stopping what does not run is told apart from a failed stop. (Not
		 * after a kill: where PID 1 is slow to reap orphans, the postmaster
		 * stays a zombie and pg_ctl waits for it; pgmgr_postmaster_status
		 * already says "stale" there.) */
		struct pgmgr_ctl_opts so = { .bin_dir = bin_dir, .data_dir = n->dir, .wait_s = 5,
					     .mode = PGMGR_STOP_FAST };
		struct cmd_cap cw = { 0 };
		if (pgmgr_stop(&loop, &so, on_cmd_cap, &cw, NULL, err, sizeof(err)) != 0 ||
		    !wait_for(&cw.done, 20000))
			return check(false, "%s: pg_ctl stop again", n->name);
		return check(cw.not_running, "%s: pg_ctl stop again says not running (%s: %s)", n->name,
			     cw.what, cw.tail);
	}
	return true;
}

/* L6 on the new primary: the slot of a member that is gone is advanced, then dropped. */
static bool step_slots_after_fence(struct node *np, struct node *gone)
{
	const char *names[] = { gone->slot };
	struct done_wait dw = { 0 };
	struct pgmgr_health h;
	struct sql_wait sw;
	char err[256];
	uint64_t target = 0, restart = 0;
	bool present = false, active = true;

	if (!sql(np, "SELECT pg_catalog.pg_switch_wal()::text", &sw) ||
	    !sql(np, "SELECT pg_catalog.pg_current_wal_flush_lsn()::text", &sw) ||
	    pgmgr_lsn_parse(sw.value, &target) != 0)
		return check(false, "node_2: current LSN");
	/* The walsender of the killed standby may take a moment to notice. */
	for (int i = 0; i < 100 && active; i++) {
		probe(np, &h);
		active = false;
		for (size_t k = 0; k < h.n_slots; k++)
			active = active || (strcmp(h.slots[k].name, names[0]) == 0 && h.slots[k].active);
		pgmgr_health_clear(&h);
		if (active)
			sleep_on_loop(100);
	}
	if (pgmgr_slots_advance(&loop, np->su_conninfo, names[0], target, 10000, on_done, &dw, err,
				sizeof(err)) != 0 || !wait_for(&dw.done, 15000) || dw.status != PGMGR_SQL_OK)
		return check(false, "node_2: advance slot %s: %s %s", names[0], err, dw.error);
	probe(np, &h);
	for (size_t k = 0; k < h.n_slots; k++)
		if (strcmp(h.slots[k].name, names[0]) == 0)
			restart = h.slots[k].restart_lsn;
	pgmgr_health_clear(&h);
	if (!check(restart == target, "node_2: slot %s advanced to %s (L6)", names[0], sw.value))
		return false;
	memset(&dw, 0, sizeof(dw));
	if (pgmgr_slots_drop(&loop, np->su_conninfo, names, 1, 10000, on_done, &dw, err, sizeof(err)) != 0 ||
	    !wait_for(&dw.done, 15000) || dw.status != PGMGR_SQL_OK)
		return check(false, "node_2: drop slot %s: %s %s", names[0], err, dw.error);
	probe(np, &h);
	for (size_t k = 0; k < h.n_slots; k++)
		present = present || strcmp(h.slots[k].name, names[0]) == 0;
	pgmgr_health_clear(&h);
	return check(!present, "node_2: slot %s dropped", names[0]);
}

/* Failure path: kill whatever runs in our data directories, by PID. */
static void emergency_cleanup(void)
{
	for (int i = 0; i < 2; i++) {
		struct pgmgr_fence_opts o = { .bin_dir = bin_dir, .data_dir = nodes[i].dir,
					      .first_step = PGMGR_FENCE_KILL };
		struct fence_wait w = { 0 };
		char err[256];

		if (nodes[i].name == NULL)
			continue;
		if (pgmgr_fence_start(&loop, &o, on_fence, &w, NULL, err, sizeof(err)) == 0)
			wait_for(&w.done, 10000);
	}
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	uint64_t t0 = now_ms();
	long base;
	bool ok;

	if (argc != 4) {
		fprintf(stderr, "usage: %s WORKDIR BIN_DIR BASE_PORT\n", argv[0]);
		return 2;
	}
	work = argv[1];
	bin_dir = argv[2];
	base = strtol(argv[3], NULL, 10);
	if (base < 1024 || base > 65000) {
		fprintf(stderr, "bad base port\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, on_tick, 100, 100);
	node_init(&nodes[0], "node_1", (uint16_t)base);
	node_init(&nodes[1], "node_2", (uint16_t)(base + 1));

	ok = step_bootstrap(&nodes[0]) &&
	     step_standby(&nodes[0], &nodes[1]) &&
	     step_pending_restart(&nodes[1], &nodes[0]) &&
	     step_promote(&nodes[1], &nodes[0]) &&
	     step_rewind(&nodes[0], &nodes[1]) &&
	     step_fence(&nodes[0], PGMGR_FENCE_KILL) &&
	     step_slots_after_fence(&nodes[1], &nodes[0]) &&
	     step_fence(&nodes[1], PGMGR_FENCE_FAST);
	if (!ok) {
		diag("failed: killing every PostgreSQL process of %s", work);
		emergency_cleanup();
	}
	diag("elapsed %llu ms", (unsigned long long)(now_ms() - t0));
	printf("1..%d\n", n_tests);

	uv_timer_stop(&tick);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return n_failed == 0 && ok ? 0 : 1;
}

/*
 * pgctl.c — argument vectors for initdb, pg_ctl, pg_basebackup, pg_rewind
 * and their asynchronous runs (pgctl.h).
 */
#include "pgmgr/pgctl.h"
#include "pgmgr/marker.h"
#include "pgq_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void argv_init(struct pgmgr_argv *a)
{
	a->argc = 0;
	a->used = 0;
	a->argv[0] = NULL;
}

/* Appends one argument built from a format; -1 when out of room. */
__attribute__((format(printf, 2, 3)))
static int argv_add(struct pgmgr_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = sizeof(a->storage) - a->used;

	if (a->argc >= PGMGR_CMD_MAX_ARGS)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(a->storage + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	a->argv[a->argc++] = a->storage + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

static int need(const char *v, const char *what, char *err, size_t errlen)
{
	if (v == NULL || v[0] == '\0') {
		snprintf(err, errlen, "%s is required", what);
		return -1;
	}
	return 0;
}

static int too_long(char *err, size_t errlen)
{
	snprintf(err, errlen, "command line too long");
	return -1;
}

bool pgmgr_stop_not_running(const struct pgmgr_cmd_result *r)
{
	/* pg_ctl runs with LC_ALL=C. No postmaster.pid: "PID file ... does not
	 * exist / Is server running?"; a stale one (crash, kill): "could not
	 * send stop signal (PID: n): No such process". */
	return r != NULL && !r->spawn_failed && r->term_signal == 0 && r->exit_status == 1 &&
	       r->stderr_tail != NULL &&
	       (strstr(r->stderr_tail, "Is server running?") != NULL ||
		(strstr(r->stderr_tail, "could not send stop signal") != NULL &&
		 strstr(r->stderr_tail, "No such process") != NULL));
}

bool pgmgr_cmd_ok(const struct pgmgr_cmd_result *r)
{
	return r != NULL && !r->spawn_failed && r->term_signal == 0 && r->exit_status == 0;
}

/* bootstrap.initdb option names: lowercase words joined by '-'. */
static bool valid_option_name(const char *name)
{
	if (name == NULL || name[0] < 'a' || name[0] > 'z')
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static bool has_option(const struct pgmgr_initdb_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_options; i++)
		if (strcmp(o->options[i].name, name) == 0)
			return true;
	return false;
}

int pgmgr_argv_initdb(struct pgmgr_argv *a, const struct pgmgr_initdb_opts *o, char *err, size_t errlen)
{
	/* Options the manager sets itself: the config may not override them. */
	static const char *const reserved[] = { "pgdata", "username", "pwfile", "pwprompt", "no-sync", NULL };

	argv_init(a);
	if (need(o->bin_dir, "bin_dir", err, errlen) || need(o->data_dir, "data_dir", err, errlen))
		return -1;
	for (size_t i = 0; i < o->n_options; i++) {
		if (!valid_option_name(o->options[i].name)) {
			snprintf(err, errlen, "invalid bootstrap.initdb option \"%s\"",
				 o->options[i].name != NULL ? o->options[i].name : "");
			return -1;
		}
		for (size_t r = 0; reserved[r] != NULL; r++)
			if (strcmp(o->options[i].name, reserved[r]) == 0) {
				snprintf(err, errlen, "bootstrap.initdb option \"%s\" is set by pgquorum",
					 reserved[r]);
				return -1;
			}
	}
	if (argv_add(a, "%s/initdb", o->bin_dir) || argv_add(a, "--pgdata=%s", o->data_dir))
		return too_long(err, errlen);
	/* pg_rewind needs checksums or wal_log_hints; checksums also catch corruption. */
	if (!has_option(o, "data-checksums") && argv_add(a, "--data-checksums"))
		return too_long(err, errlen);
	if (!has_option(o, "auth-local") && !has_option(o, "auth") && argv_add(a, "--auth-local=peer"))
		return too_long(err, errlen);
	if (!has_option(o, "auth-host") && !has_option(o, "auth") &&
	    argv_add(a, "--auth-host=scram-sha-256"))
		return too_long(err, errlen);
	if (o->superuser != NULL && argv_add(a, "--username=%s", o->superuser))
		return too_long(err, errlen);
	if (o->superuser_password != NULL && argv_add(a, "--pwfile=/dev/stdin"))
		return too_long(err, errlen);
	for (size_t i = 0; i < o->n_options; i++) {
		const struct pgq_config_initdb_option *opt = &o->options[i];
		int rc = opt->value != NULL ? argv_add(a, "--%s=%s", opt->name, opt->value)
					    : argv_add(a, "--%s", opt->name);
		if (rc != 0)
			return too_long(err, errlen);
	}
	return 0;
}

static int ctl_common(struct pgmgr_argv *a, const struct pgmgr_ctl_opts *o, const char *verb,
		      char *err, size_t errlen)
{
	argv_init(a);
	if (need(o->bin_dir, "bin_dir", err, errlen) || need(o->data_dir, "data_dir", err, errlen))
		return -1;
	if (argv_add(a, "%s/pg_ctl", o->bin_dir) || argv_add(a, "%s", verb) ||
	    argv_add(a, "--pgdata=%s", o->data_dir))
		return too_long(err, errlen);
	return 0;
}

int pgmgr_argv_start(struct pgmgr_argv *a, const struct pgmgr_ctl_opts *o, char *err, size_t errlen)
{
	if (ctl_common(a, o, "start", err, errlen) != 0)
		return -1;
	if (argv_add(a, "--wait") || argv_add(a, "--timeout=%u", o->wait_s != 0 ? o->wait_s : 60) ||
	    /* S14: on the command line, so no configuration file can turn it back on. */
	    argv_add(a, "--options=-c restart_after_crash=off"))
		return too_long(err, errlen);
	/* Without -l the postmaster would inherit our stderr pipe and keep it
	 * open after pg_ctl exits; its output must go to a file. */
	if (argv_add(a, "--log=%s", o->log_path != NULL ? o->log_path : "/dev/null"))
		return too_long(err, errlen);
	return 0;
}

int pgmgr_argv_stop(struct pgmgr_argv *a, const struct pgmgr_ctl_opts *o, char *err, size_t errlen)
{
	static const char *const modes[] = { "smart", "fast", "immediate" };

	if ((unsigned)o->mode > PGMGR_STOP_IMMEDIATE) {
		snprintf(err, errlen, "invalid stop mode");
		return -1;
	}
	if (ctl_common(a, o, "stop", err, errlen) != 0)
		return -1;
	if (argv_add(a, "--mode=%s", modes[o->mode]) || argv_add(a, "--wait") ||
	    argv_add(a, "--timeout=%u", o->wait_s != 0 ? o->wait_s : 60))
		return too_long(err, errlen);
	return 0;
}

int pgmgr_argv_basebackup(struct pgmgr_argv *a, const struct pgmgr_basebackup_opts *o,
			  char *err, size_t errlen)
{
	argv_init(a);
	if (need(o->bin_dir, "bin_dir", err, errlen) || need(o->data_dir, "data_dir", err, errlen) ||
	    need(o->conninfo, "conninfo", err, errlen))
		return -1;
	if (argv_add(a, "%s/pg_basebackup", o->bin_dir) || argv_add(a, "--pgdata=%s", o->data_dir) ||
	    argv_add(a, "--dbname=%s", o->conninfo) || argv_add(a, "--wal-method=stream") ||
	    argv_add(a, "--checkpoint=fast") || argv_add(a, "--no-password"))
		return too_long(err, errlen);
	if (o->slot_name != NULL && argv_add(a, "--slot=%s", o->slot_name))
		return too_long(err, errlen);
	return 0;
}

int pgmgr_argv_rewind(struct pgmgr_argv *a, const struct pgmgr_rewind_opts *o, char *err, size_t errlen)
{
	argv_init(a);
	if (need(o->bin_dir, "bin_dir", err, errlen) || need(o->data_dir, "data_dir", err, errlen) ||
	    need(o->conninfo, "conninfo", err, errlen))
		return -1;
	if (argv_add(a, "%s/pg_rewind", o->bin_dir) || argv_add(a, "--target-pgdata=%s", o->data_dir) ||
	    argv_add(a, "--source-server=%s", o->conninfo))
		return too_long(err, errlen);
	return 0;
}

/* Runs a built vector; env_password becomes PGPASSWORD (copied by cmd). */
static int run(uv_loop_t *loop, const struct pgmgr_argv *a, const char *env_password,
	       const char *stdin_text, uint32_t timeout_ms, pgmgr_cmd_cb cb, void *ctx,
	       struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_cmd_spec spec = { 0 };
	const char *env[3] = { "LC_ALL=C", NULL, NULL };
	char *pw = NULL;
	char *in = NULL;
	int rc;

	if (env_password != NULL) {
		size_t n = strlen(env_password) + sizeof("PGPASSWORD=");
		if ((pw = malloc(n)) == NULL)
			goto nomem;
		snprintf(pw, n, "PGPASSWORD=%s", env_password);
		env[1] = pw;
	}
	if (stdin_text != NULL) {
		size_t n = strlen(stdin_text) + 2;
		if ((in = malloc(n)) == NULL)
			goto nomem;
		snprintf(in, n, "%s\n", stdin_text);
		spec.stdin_data = in;
		spec.stdin_len = n - 1;
	}
	spec.argv = a->argv;
	spec.env_set = env;
	spec.timeout_ms = timeout_ms;
	rc = pgmgr_cmd_start(loop, &spec, cb, ctx, out, err, errlen);
	if (pw != NULL) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	if (in != NULL) {
		memset(in, 0, strlen(in));
		free(in);
	}
	return rc;
nomem:
	free(pw);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int pgmgr_initdb(uv_loop_t *loop, const struct pgmgr_initdb_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (pgmgr_argv_initdb(&a, o, err, errlen) != 0)
		return -1;
	if (o->superuser_password != NULL && strchr(o->superuser_password, '\n') != NULL) {
		snprintf(err, errlen, "the superuser password may not contain a newline");
		return -1;
	}
	return run(loop, &a, NULL, o->superuser_password,
		   o->timeout_ms != 0 ? o->timeout_ms : 120000, cb, ctx, out, err, errlen);
}

/* pg_ctl's own -t bounds the wait; ours only catches a hung pg_ctl. */
static uint32_t ctl_timeout_ms(const struct pgmgr_ctl_opts *o)
{
	return ((o->wait_s != 0 ? o->wait_s : 60) + 10) * 1000u;
}

int pgmgr_start(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
		struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (pgmgr_argv_start(&a, o, err, errlen) != 0)
		return -1;
	if (pgmgr_rewind_marker_exists(o->data_dir)) {
		snprintf(err, errlen, "refusing to start \"%s\": a pg_rewind did not finish (S14); "
			 "rewind again or re-clone", o->data_dir);
		return -1;
	}
	return run(loop, &a, NULL, NULL, ctl_timeout_ms(o), cb, ctx, out, err, errlen);
}

int pgmgr_stop(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
	       struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (pgmgr_argv_stop(&a, o, err, errlen) != 0)
		return -1;
	return run(loop, &a, NULL, NULL, ctl_timeout_ms(o), cb, ctx, out, err, errlen);
}

int pgmgr_reload(uv_loop_t *loop, const struct pgmgr_ctl_opts *o, pgmgr_cmd_cb cb, void *ctx,
		 struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (ctl_common(&a, o, "reload", err, errlen) != 0)
		return -1;
	return run(loop, &a, NULL, NULL, 30000, cb, ctx, out, err, errlen);
}

int pgmgr_basebackup(uv_loop_t *loop, const struct pgmgr_basebackup_opts *o, pgmgr_cmd_cb cb,
		     void *ctx, struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (pgmgr_argv_basebackup(&a, o, err, errlen) != 0)
		return -1;
	return run(loop, &a, o->password, NULL, o->timeout_ms, cb, ctx, out, err, errlen);
}

int pgmgr_rewind_run(uv_loop_t *loop, const struct pgmgr_rewind_opts *o, pgmgr_cmd_cb cb, void *ctx,
		     struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_argv a;

	if (pgmgr_argv_rewind(&a, o, err, errlen) != 0)
		return -1;
	return run(loop, &a, o->password, NULL, o->timeout_ms, cb, ctx, out, err, errlen);
}

/*
 * cmd.c — one child program on the libuv loop (cmd.h).
 *
 * Lifecycle: spawn → (stdin written and closed) → stdout/stderr read until
 * EOF → exit reported → callback → every handle closed → freed. The child
 * runs in its own session (UV_PROCESS_DETACHED calls setsid), so signals go
 * to its whole process group. A grandchild that keeps our pipes open (it
 * should not: pg_ctl redirects the postmaster's output) cannot hold the
 * callback back for long: once the child exited we drain for DRAIN_MS, then
 * close the pipes.
 */
#include "pgmgr/cmd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

#define DRAIN_MS 300
#define DEFAULT_STDOUT_MAX (64 * 1024)
#define DEFAULT_GRACE_MS 2000

enum timer_phase { PHASE_NONE, PHASE_TIMEOUT, PHASE_GRACE, PHASE_DRAIN, PHASE_NOTIFY };

struct pgmgr_cmd {
	uv_loop_t *loop;
	uv_process_t proc;
	uv_pipe_t out_pipe, err_pipe;
	uv_timer_t timer;
	int handles_open;        /* initialised handles not yet closed */
	bool out_open, err_open, timer_open, proc_open;
	bool exited, done, killed;
	enum timer_phase phase;

	char **argv;
	char **env;
	char *cwd;
	char *stdin_buf;
	size_t stdin_len;
	uint32_t timeout_ms, grace_ms;
	uint64_t start_ns;
	int pid;

	pgmgr_cmd_cb cb;
	void *ctx;
	struct pgmgr_cmd_result res;

	char tail[PGMGR_CMD_TAIL_BYTES + 1];
	size_t tail_len;
	bool tail_cut;
	char *outbuf;
	size_t out_len, out_max;
	bool capture;
	char error[256];
};

static void free_strv(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void cmd_free(struct pgmgr_cmd *c)
{
	free_strv(c->argv);
	free_strv(c->env);
	free(c->cwd);
	free(c->stdin_buf);
	free(c->outbuf);
	free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct pgmgr_cmd *c = h->data;

	if (--c->handles_open == 0 && c->done)
		cmd_free(c);
}

static void close_handle(struct pgmgr_cmd *c, uv_handle_t *h, bool *open_flag)
{
	if (!*open_flag)
		return;
	*open_flag = false;
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

static char **copy_strv(const char *const *v)
{
	size_t n = 0;
	char **r;

	while (v[n] != NULL)
		n++;
	r = calloc(n + 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		r[i] = strdup(v[i]);
		if (r[i] == NULL) {
			free_strv(r);
			return NULL;
		}
	}
	return r;
}

/*
 * systemd's notification variables address the agent's own unit: a
 * PostgreSQL started with them would send READY=1/STOPPING=1 as if it were
 * the agent (issue 6). They are never passed on.
 */
static bool agent_only_variable(const char *e)
{
	return strncmp(e, "NOTIFY_SOCKET=", 14) == 0 || strncmp(e, "WATCHDOG_USEC=", 14) == 0 ||
	       strncmp(e, "WATCHDOG_PID=", 13) == 0;
}

/* environ without the names that env_set replaces (nor the agent's own), then env_set. */
static char **build_env(const char *const *env_set)
{
	size_t n_env = 0, n_set = 0, k = 0;
	char **r;

	while (environ != NULL && environ[n_env] != NULL)
		n_env++;
	while (env_set != NULL && env_set[n_set] != NULL)
		n_set++;
	r = calloc(n_env + n_set + 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n_env; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t name_len = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (size_t j = 0; j < n_set && !replaced; j++)
			replaced = strncmp(env_set[j], environ[i], name_len) == 0 &&
				   env_set[j][name_len] == '=';
		if (replaced || agent_only_variable(environ[i]))
			continue;
		if ((r[k++] = strdup(environ[i])) == NULL)
			goto fail;
	}
	for (size_t j = 0; j < n_set; j++)
		if ((r[k++] = strdup(env_set[j])) == NULL)
			goto fail;
	return r;
fail:
	free_strv(r);
	return NULL;
}

static void append_tail(struct pgmgr_cmd *c, const char *data, size_t n)
{
	if (n >= PGMGR_CMD_TAIL_BYTES) {
		memcpy(c->tail, data + n - PGMGR_CMD_TAIL_BYTES, PGMGR_CMD_TAIL_BYTES);
		c->tail_len = PGMGR_CMD_TAIL_BYTES;
		c->tail_cut = true;
		return;
	}
	if (c->tail_len + n > PGMGR_CMD_TAIL_BYTES) {
		size_t drop = c->tail_len + n - PGMGR_CMD_TAIL_BYTES;
		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= drop;
		c->tail_cut = true;
	}
	memcpy(c->tail + c->tail_len, data, n);
	c->tail_len += n;
}

static void append_out(struct pgmgr_cmd *c, const char *data, size_t n)
{
	size_t room = c->out_max - c->out_len;

	if (n > room) {
		n = room;
		c->res.out_truncated = true;
	}
	memcpy(c->outbuf + c->out_len, data, n);
	c->out_len += n;
}

/* The kept stderr bytes as whole lines without the trailing newline. */
static const char *finish_tail(struct pgmgr_cmd *c)
{
	char *start = c->tail;

	c->tail[c->tail_len] = '\0';
	if (c->tail_cut) {
		char *nl = strchr(start, '\n');
		if (nl != NULL && nl[1] != '\0')
			start = nl + 1;
	}
	while (c->tail_len > 0 && (c->tail[c->tail_len - 1] == '\n' || c->tail[c->tail_len - 1] == '\r'))
		c->tail[--c->tail_len] = '\0';
	return start < c->tail + c->tail_len ? start : c->tail + c->tail_len;
}

static void finish(struct pgmgr_cmd *c)
{
	if (c->done)
		return;
	c->done = true;
	close_handle(c, (uv_handle_t *)&c->out_pipe, &c->out_open);
	close_handle(c, (uv_handle_t *)&c->err_pipe, &c->err_open);
	close_handle(c, (uv_handle_t *)&c->timer, &c->timer_open);
	close_handle(c, (uv_handle_t *)&c->proc, &c->proc_open);

	c->res.elapsed_ms = (uv_hrtime() - c->start_ns) / 1000000u;
	c->res.stderr_tail = finish_tail(c);
	c->res.error = c->error;
	c->res.argv0 = c->argv[0];
	if (c->capture) {
		c->outbuf[c->out_len] = '\0';
		c->res.out = c->outbuf;
		c->res.out_len = c->out_len;
	}
	c->cb(c->ctx, &c->res);
	if (c->handles_open == 0)
		cmd_free(c);
}

static void maybe_finish(struct pgmgr_cmd *c)
{
	if (c->exited && !c->out_open && !c->err_open)
		finish(c);
}

static void signal_group(struct pgmgr_cmd *c, int sig)
{
	if (c->exited || c->pid <= 0)
		return;
	/* The child is not reaped yet, so its PID (= its group id) is still ours. */
	if (kill(-c->pid, sig) != 0)
		uv_process_kill(&c->proc, sig);
}

static void on_timer(uv_timer_t *t)
{
	struct pgmgr_cmd *c = t->data;

	switch (c->phase) {
	case PHASE_TIMEOUT:
		c->res.timed_out = true;
		signal_group(c, SIGTERM);
		c->phase = PHASE_GRACE;
		uv_timer_start(&c->timer, on_timer, c->grace_ms, 0);
		break;
	case PHASE_GRACE:
		signal_group(c, SIGKILL);
		c->phase = PHASE_NONE;
		break;
	case PHASE_DRAIN:
		/* Something else holds the pipes: stop waiting for EOF. */
		close_handle(c, (uv_handle_t *)&c->out_pipe, &c->out_open);
		close_handle(c, (uv_handle_t *)&c->err_pipe, &c->err_open);
		finish(c);
		break;
	case PHASE_NOTIFY:
		finish(c);
		break;
	case PHASE_NONE:
		break;
	}
}

static void on_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
	struct pgmgr_cmd *c = p->data;

	c->exited = true;
	c->pid = 0;
	c->res.term_signal = term_signal;
	c->res.exit_status = term_signal != 0 ? -1 : exit_status;
	c->phase = PHASE_DRAIN;
	uv_timer_start(&c->timer, on_timer, DRAIN_MS, 0);
	maybe_finish(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char scratch[4096];  /* the loop is single-threaded: one read at a time */

	(void)h;
	(void)suggested;
	*buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct pgmgr_cmd *c = s->data;
	bool is_err = s == (uv_stream_t *)&c->err_pipe;

	if (nread > 0) {
		if (is_err)
			append_tail(c, buf->base, (size_t)nread);
		else if (c->capture)
			append_out(c, buf->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	/* EOF or error: this stream is done. */
	if (is_err)
		close_handle(c, (uv_handle_t *)&c->err_pipe, &c->err_open);
	else
		close_handle(c, (uv_handle_t *)&c->out_pipe, &c->out_open);
	maybe_finish(c);
}

static int init_handle(struct pgmgr_cmd *c, uv_handle_t *h, bool *flag)
{
	h->data = c;
	*flag = true;
	c->handles_open++;
	return 0;
}

int pgmgr_cmd_start(uv_loop_t *loop, const struct pgmgr_cmd_spec *spec, pgmgr_cmd_cb cb,
		    void *ctx, struct pgmgr_cmd **out, char *err, size_t errlen)
{
	struct pgmgr_cmd *c;
	uv_process_options_t opts;
	uv_stdio_container_t stdio[3];
	int stdin_fds[2] = { -1, -1 };
	int rc;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || spec == NULL || cb == NULL || spec->argv == NULL ||
	    spec->argv[0] == NULL || spec->argv[0][0] != '/') {
		snprintf(err, errlen, "invalid command: argv[0] must be an absolute path");
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->loop = loop;
	c->cb = cb;
	c->ctx = ctx;
	c->res.exit_status = -1;
	c->timeout_ms = spec->timeout_ms;
	c->grace_ms = spec->kill_grace_ms != 0 ? spec->kill_grace_ms : DEFAULT_GRACE_MS;
	c->capture = spec->capture_stdout;
	c->out_max = spec->stdout_max_bytes != 0 ? spec->stdout_max_bytes : DEFAULT_STDOUT_MAX;
	c->start_ns = uv_hrtime();
	c->argv = copy_strv(spec->argv);
	c->env = build_env(spec->env_set);
	if (c->argv == NULL || c->env == NULL)
		goto nomem;
	if (spec->cwd != NULL && (c->cwd = strdup(spec->cwd)) == NULL)
		goto nomem;
	if (c->capture && (c->outbuf = malloc(c->out_max + 1)) == NULL)
		goto nomem;
	if (spec->stdin_len > PGMGR_CMD_MAX_STDIN) {
		snprintf(err, errlen, "stdin data larger than %d bytes", PGMGR_CMD_MAX_STDIN);
		cmd_free(c);
		return -1;
	}
	if (spec->stdin_len > 0) {
		if ((c->stdin_buf = malloc(spec->stdin_len)) == NULL)
			goto nomem;
		memcpy(c->stdin_buf, spec->stdin_data, spec->stdin_len);
		c->stdin_len = spec->stdin_len;
	}

	uv_timer_init(loop, &c->timer);
	init_handle(c, (uv_handle_t *)&c->timer, &c->timer_open);
	uv_pipe_init(loop, &c->err_pipe, 0);
	init_handle(c, (uv_handle_t *)&c->err_pipe, &c->err_open);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&c->err_pipe;
	if (c->stdin_len > 0) {
		/*
		 * A real pipe, filled before the spawn: libuv's own pipes are socket
		 * pairs, which initdb cannot open as /dev/stdin. The data fits the
		 * pipe buffer (PGMGR_CMD_MAX_STDIN), so the write never blocks.
		 */
		if (pipe2(stdin_fds, O_CLOEXEC) != 0 ||
		    write(stdin_fds[1], c->stdin_buf, c->stdin_len) != (ssize_t)c->stdin_len) {
			snprintf(err, errlen, "could not prepare stdin: %s", strerror(errno));
			goto fail_handles;
		}
		close(stdin_fds[1]);
		stdin_fds[1] = -1;
		stdio[0].flags = UV_INHERIT_FD;
		stdio[0].data.fd = stdin_fds[0];
	}
	if (c->capture) {
		uv_pipe_init(loop, &c->out_pipe, 0);
		init_handle(c, (uv_handle_t *)&c->out_pipe, &c->out_open);
		stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[1].data.stream = (uv_stream_t *)&c->out_pipe;
	}

	memset(&opts, 0, sizeof(opts));
	opts.file = c->argv[0];
	opts.args = c->argv;
	opts.env = c->env;
	opts.cwd = c->cwd;
	opts.flags = UV_PROCESS_DETACHED;
	opts.stdio_count = 3;
	opts.stdio = stdio;
	opts.exit_cb = on_exit_cb;
	c->proc.data = c;
	rc = uv_spawn(loop, &c->proc, &opts);
	init_handle(c, (uv_handle_t *)&c->proc, &c->proc_open);
	if (stdin_fds[0] >= 0)
		close(stdin_fds[0]);
	if (rc != 0) {
		snprintf(c->error, sizeof(c->error), "could not execute \"%s\": %s",
			 c->argv[0], uv_strerror(rc));
		c->res.spawn_failed = true;
		c->exited = true;
		/* Report from the loop, never from inside this call. */
		c->phase = PHASE_NOTIFY;
		uv_timer_start(&c->timer, on_timer, 0, 0);
		if (out != NULL)
			*out = c;
		return 0;
	}
	c->pid = c->proc.pid;
	uv_read_start((uv_stream_t *)&c->err_pipe, on_alloc, on_read);
	if (c->capture)
		uv_read_start((uv_stream_t *)&c->out_pipe, on_alloc, on_read);
	if (c->timeout_ms > 0) {
		c->phase = PHASE_TIMEOUT;
		uv_timer_start(&c->timer, on_timer, c->timeout_ms, 0);
	}
	if (out != NULL)
		*out = c;
	return 0;
fail_handles:
	for (int i = 0; i < 2; i++)
		if (stdin_fds[i] >= 0)
			close(stdin_fds[i]);
	/* The handles are initialised: free through their close callbacks. */
	c->done = true;
	close_handle(c, (uv_handle_t *)&c->out_pipe, &c->out_open);
	close_handle(c, (uv_handle_t *)&c->err_pipe, &c->err_open);
	close_handle(c, (uv_handle_t *)&c->timer, &c->timer_open);
	return -1;
nomem:
	if (c != NULL)
		cmd_free(c);
	snprintf(err, errlen, "out of memory");
	return -1;
}

void pgmgr_cmd_cancel(struct pgmgr_cmd *c)
{
	if (c == NULL || c->exited || c->done || c->killed)
		return;
	c->killed = true;
	c->res.cancelled = true;
	signal_group(c, SIGTERM);
	c->phase = PHASE_GRACE;
	uv_timer_start(&c->timer, on_timer, c->grace_ms, 0);
}

int pgmgr_cmd_pid(const struct pgmgr_cmd *c)
{
	return c != NULL && !c->exited ? c->pid : 0;
}

const char *pgmgr_cmd_describe(const struct pgmgr_cmd_result *r, char *buf, size_t buflen)
{
	const char *why = r->timed_out ? " (timeout)" : r->cancelled ? " (cancelled)" : "";

	if (r->spawn_failed)
		snprintf(buf, buflen, "%s", r->error != NULL ? r->error : "could not start");
	else if (r->term_signal != 0)
		snprintf(buf, buflen, "killed by signal %d%s", r->term_signal, why);
	else
		snprintf(buf, buflen, "exit %lld%s", (long long)r->exit_status, why);
	return buf;
}

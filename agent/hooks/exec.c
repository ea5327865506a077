/*
 * exec.c — running one hook command with uv_spawn.
 *
 * Life of a command: spawn (own session) → read output into the tail →
 * [timeout: SIGTERM the group → grace: SIGKILL the group] → exit callback →
 * drain the output for a short while (a background child may keep the socket
 * open: we do not wait for it) → close the handles → `done` → free.
 * The loop never blocks: every wait is a timer.
 */
#include "hooks/exec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hooks/tail.h"

/* After the exit, output still in the socket is read for at most this long. */
#define DRAIN_MS 200

enum phase { RUNNING, TERM_SENT, EXITED };

struct pgq_hook_exec {
	uv_loop_t *loop;
	uv_process_t process;
	uv_pipe_t output;
	uv_timer_t timer;
	int open_handles;
	bool output_open;     /* reading */
	bool exited;
	bool process_inited;  /* uv_spawn was called (it initialises even on failure) */
	enum phase phase;
	uint32_t kill_grace_ms;
	uint64_t start_ns;
	struct pgq_tail tail;
	struct pgq_hook_exec_result result;
	pgq_hook_exec_done_cb done;
	void *arg;
	char read_buf[4096];
};

static void on_handle_closed(uv_handle_t *handle)
{
	struct pgq_hook_exec *x = handle->data;

	if (--x->open_handles > 0)
		return;
	if (x->result.started)
		x->result.output = pgq_tail_text(&x->tail);
	pgq_tail_free(&x->tail);
	x->done(&x->result, x->arg);
	free(x);
}

static void close_handle(struct pgq_hook_exec *x, uv_handle_t *handle)
{
	if (!uv_is_closing(handle))
		uv_close(handle, on_handle_closed);
}

static void finish(struct pgq_hook_exec *x)
{
	uv_timer_stop(&x->timer);
	close_handle(x, (uv_handle_t *)&x->timer);
	close_handle(x, (uv_handle_t *)&x->output);
	if (x->process_inited)
		close_handle(x, (uv_handle_t *)&x->process);
}

/* The whole session, so a shell's children die with it. */
static void signal_group(struct pgq_hook_exec *x, int sig)
{
	/* Once reaped, the pid may be reused by another process: never signal it. */
	if (x->exited)
		return;
	if (kill(-x->process.pid, sig) != 0)
		uv_process_kill(&x->process, sig);
}

static void on_timer(uv_timer_t *timer)
{
	struct pgq_hook_exec *x = timer->data;

	switch (x->phase) {
	case RUNNING:
		x->result.timed_out = true;
		x->phase = TERM_SENT;
		signal_group(x, SIGTERM);
		uv_timer_start(&x->timer, on_timer, x->kill_grace_ms, 0);
		break;
	case TERM_SENT:
		x->result.killed = true;
		signal_group(x, SIGKILL);
		break;
	case EXITED:
		/* The drain time is over: stop waiting for the socket's end. */
		finish(x);
		break;
	}
}

static void on_exit_cb(uv_process_t *process, int64_t exit_status, int term_signal)
{
	struct pgq_hook_exec *x = process->data;

	x->exited = true;
	x->phase = EXITED;
	x->result.run_ms = (uv_hrtime() - x->start_ns) / 1000000u;
	x->result.term_signal = term_signal;
	x->result.exit_code = term_signal != 0 ? -1 : (int)exit_status;
	if (!x->output_open) {
		finish(x);
		return;
	}
	uv_timer_stop(&x->timer);
	uv_timer_start(&x->timer, on_timer, DRAIN_MS, 0);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct pgq_hook_exec *x = handle->data;

	(void)suggested;
	*buf = uv_buf_init(x->read_buf, sizeof(x->read_buf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct pgq_hook_exec *x = stream->data;

	if (nread > 0) {
		pgq_tail_feed(&x->tail, buf->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	/* EOF or error: no more output. */
	uv_read_stop(stream);
	x->output_open = false;
	if (x->exited)
		finish(x);
}

int pgq_hook_exec_start(uv_loop_t *loop, const struct pgq_hook_exec_spec *spec,
			pgq_hook_exec_done_cb done, void *arg, struct pgq_hook_exec **out,
			char *err, size_t errlen)
{
	struct pgq_hook_exec *x;
	uv_process_options_t opts;
	uv_stdio_container_t stdio[3];
	int sv[2], rc;

	if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0') {
		snprintf(err, errlen, "empty command");
		return -1;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL || pgq_tail_init(&x->tail, spec->output_lines, spec->output_line_bytes) != 0) {
		free(x);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		pgq_tail_free(&x->tail);
		free(x);
		return -1;
	}
	x->loop = loop;
	x->done = done;
	x->arg = arg;
	x->kill_grace_ms = spec->kill_grace_ms;
	x->result.exit_code = -1;
	x->process.data = x;
	uv_timer_init(loop, &x->timer);
	x->timer.data = x;
	x->open_handles++;
	uv_pipe_init(loop, &x->output, 0);
	x->output.data = x;
	x->open_handles++;
	rc = uv_pipe_open(&x->output, sv[0]);
	if (rc != 0) {
		close(sv[0]);
		close(sv[1]);
		snprintf(x->result.error, sizeof(x->result.error),
			 "could not read the output of \"%s\": %s", spec->argv[0], uv_strerror(rc));
		x->exited = true; /* nothing to wait for: no process */
		finish(x);
		*out = x;
		return 0;
	}

	memset(&opts, 0, sizeof(opts));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;           /* libuv gives the child /dev/null */
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = sv[1];
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = sv[1];
	opts.file = spec->argv[0];
	opts.args = (char **)spec->argv;
	opts.env = (char **)spec->env;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	opts.exit_cb = on_exit_cb;
	/* A session of its own: the timeout signals reach the whole group. */
	opts.flags = UV_PROCESS_DETACHED;

	x->start_ns = uv_hrtime();
	rc = uv_spawn(loop, &x->process, &opts);
	close(sv[1]);
	x->process_inited = true;
	x->open_handles++;
	if (rc != 0) {
		snprintf(x->result.error, sizeof(x->result.error), "could not run \"%s\": %s",
			 spec->argv[0], uv_strerror(rc));
		x->exited = true;
		finish(x);
		*out = x;
		return 0;
	}
	x->result.started = true;
	x->output_open = true;
	uv_read_start((uv_stream_t *)&x->output, on_alloc, on_read);
	uv_timer_start(&x->timer, on_timer, spec->timeout_ms, 0);
	*out = x;
	return 0;
}

void pgq_hook_exec_kill(struct pgq_hook_exec *x)
{
	if (x->exited)
		return;
	x->result.killed = true;
	signal_group(x, SIGKILL);
}

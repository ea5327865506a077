/*
 * hooks.c — the hooks of each event, and runs in flight.
 *
 * A run is one pgq_hooks_run(): its exec part (exec.c) and its plugin part
 * (plugin_host.c) start together; the caller is told once, on the loop, when
 * both have ended. A run stays allocated until its command has been reaped
 * and its timer closed, even after it was reported (for example at close),
 * so no callback ever lands on freed memory.
 */
#include "hooks/hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/event.h"
#include "hooks/exec.h"
#include "hooks/plugin_host.h"
#include "log.h"

_Static_assert((int)PGQ_HOOK__COUNT == (int)PGQ_PLUGIN_EVENT__COUNT,
	       "config events and plugin ABI events must match one to one");
_Static_assert((int)PGQ_HOOK_FENCE == (int)PGQ_PLUGIN_EVENT_FENCE &&
		       (int)PGQ_HOOK_ON_DEMOTE == (int)PGQ_PLUGIN_EVENT_ON_DEMOTE,
	       "config events and plugin ABI events must have the same values");

#define DEFAULT_TIMEOUT_MS 30000u
#define DEFAULT_KILL_GRACE_MS 5000u
#define DEFAULT_OUTPUT_LINES 20u
#define DEFAULT_OUTPUT_LINE_BYTES 512u
#define ERR_MAX 256

/* A plugin file, loaded once however many events use it. */
struct loaded_plugin {
	struct loaded_plugin *next;
	struct pgq_plugin_host *host;
	int users;
};

struct hook_slot {
	bool configured;
	char **argv;                  /* NULL-terminated, owned; NULL: no command */
	uint32_t timeout_ms;
	struct loaded_plugin *plugin; /* NULL: none */
};

struct hook_run {
	struct pgq_hooks *hooks;
	struct hook_run *prev, *next;
	struct pgq_plugin_event event;     /* owned copy */
	pgq_hook_done_cb done;
	void *arg;
	uint32_t timeout_ms;
	bool reported;
	bool exec_running;                 /* waiting for the exec part */
	bool plugin_waiting;               /* waiting for the plugin part */
	struct loaded_plugin *plugin;
	struct pgq_plugin_call *call;
	struct pgq_hook_exec *exec;
	uv_timer_t timer;                  /* plugin timeout, or the deferred report */
	struct pgq_hook_result result;
	char *exec_output;
	char exec_error[ERR_MAX];
	char plugin_msg[PGQ_PLUGIN_MSG_MAX];
	char plugin_error[ERR_MAX];
};

struct pgq_hooks {
	uv_loop_t *loop;
	struct pgq_hooks_options options;
	struct hook_slot slots[PGQ_HOOK__COUNT];
	struct loaded_plugin *plugins;
	struct hook_run *runs;
	size_t n_runs;
	uint64_t runs_total;               /* parts started (GET /metrics) */
	uint64_t failures_total;           /* parts that ended other than OK */
	size_t closing_hosts;              /* plugin handles still closing */
	bool closing;
	void (*closed)(void *arg);
	void *closed_arg;
};

static const char *const status_names[] = {
	[PGQ_HOOK_NOT_RUN] = "not_run", [PGQ_HOOK_OK] = "ok",
	[PGQ_HOOK_FAILED] = "failed",   [PGQ_HOOK_SIGNALED] = "signaled",
	[PGQ_HOOK_TIMED_OUT] = "timed_out", [PGQ_HOOK_ERROR] = "error",
};

const char *pgq_hook_status_name(enum pgq_hook_status status)
{
	if ((int)status < 0 || status > PGQ_HOOK_ERROR)
		return "unknown";
	return status_names[status];
}

size_t pgq_hooks_live_plugin_workers(void)
{
	return pgq_plugin_host_live_workers();
}

struct pgq_hooks *pgq_hooks_new(uv_loop_t *loop, const struct pgq_hooks_options *options)
{
	struct pgq_hooks *hooks = calloc(1, sizeof(*hooks));

	if (hooks == NULL)
		return NULL;
	hooks->loop = loop;
	if (options != NULL)
		hooks->options = *options;
	if (hooks->options.kill_grace_ms == 0)
		hooks->options.kill_grace_ms = DEFAULT_KILL_GRACE_MS;
	if (hooks->options.output_lines == 0)
		hooks->options.output_lines = DEFAULT_OUTPUT_LINES;
	if (hooks->options.output_line_bytes == 0)
		hooks->options.output_line_bytes = DEFAULT_OUTPUT_LINE_BYTES;
	return hooks;
}

/* ---- configuration ----------------------------------------------------- */

static void argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

/*
 * The argv to spawn. Without `shell` it is the list as configured: a ';' or
 * '$' is just a character. With `shell`, exec[0] is the command line of
 * /bin/sh -c, and further items become $1, $2...
 */
static char **build_argv(const struct pgq_config_hook *cfg)
{
	size_t extra = cfg->shell ? 3 : 0, n = cfg->n_exec + extra, k = 0;
	char **argv = calloc(n + 1, sizeof(*argv));

	if (argv == NULL)
		return NULL;
	if (cfg->shell) {
		argv[k++] = strdup("/bin/sh");
		argv[k++] = strdup("-c");
		argv[k++] = strdup(cfg->exec[0]);
		argv[k++] = strdup("pgquorum-hook"); /* $0 */
		for (size_t i = 1; i < cfg->n_exec; i++)
			argv[k++] = strdup(cfg->exec[i]);
	} else {
		for (size_t i = 0; i < cfg->n_exec; i++)
			argv[k++] = strdup(cfg->exec[i]);
	}
	for (size_t i = 0; i < k; i++) {
		if (argv[i] == NULL) {
			argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

static struct loaded_plugin *find_plugin(struct pgq_hooks *hooks, const char *path)
{
	for (struct loaded_plugin *p = hooks->plugins; p != NULL; p = p->next)
		if (strcmp(pgq_plugin_host_path(p->host), path) == 0)
			return p;
	return NULL;
}

static void on_run_timer(uv_timer_t *timer);

static void on_host_closed(void *arg)
{
	struct pgq_hooks *hooks = arg;

	hooks->closing_hosts--;
	if (hooks->closing && hooks->closing_hosts == 0 && hooks->n_runs == 0) {
		void (*closed)(void *) = hooks->closed;
		void *closed_arg = hooks->closed_arg;

		free(hooks);
		if (closed != NULL)
			closed(closed_arg);
	}
}

/* Runs waiting on `plugin` get an error: the plugin is going away. */
static void detach_runs(struct pgq_hooks *hooks, struct loaded_plugin *plugin, const char *why)
{
	for (struct hook_run *run = hooks->runs; run != NULL; run = run->next) {
		if (run->plugin != plugin)
			continue;
		if (run->plugin_waiting) {
			pgq_plugin_host_abandon(plugin->host, run->call);
			run->plugin_waiting = false;
			run->result.plugin.status = PGQ_HOOK_ERROR;
			snprintf(run->plugin_error, sizeof(run->plugin_error), "%s", why);
			uv_timer_stop(&run->timer);
			uv_timer_start(&run->timer, on_run_timer, 0, 0); /* report soon */
		}
		run->plugin = NULL;
		run->call = NULL;
	}
}

static void release_plugin(struct pgq_hooks *hooks, struct loaded_plugin *plugin, const char *why)
{
	if (plugin == NULL || --plugin->users > 0)
		return;
	detach_runs(hooks, plugin, why);
	for (struct loaded_plugin **p = &hooks->plugins; *p != NULL; p = &(*p)->next) {
		if (*p == plugin) {
			*p = plugin->next;
			break;
		}
	}
	hooks->closing_hosts++;
	pgq_plugin_host_unload(plugin->host, on_host_closed, hooks);
	free(plugin);
}

/* The loaded plugin of `path` (loaded now if needed), with one more user. */
static int acquire_plugin(struct pgq_hooks *hooks, const char *path, struct loaded_plugin **out,
			  char *err, size_t errlen)
{
	struct loaded_plugin *p = find_plugin(hooks, path);

	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (pgq_plugin_host_load(hooks->loop, path, &p->host, err, errlen) != 0) {
			free(p);
			return -1;
		}
		p->next = hooks->plugins;
		hooks->plugins = p;
	}
	p->users++;
	*out = p;
	return 0;
}

int pgq_hooks_set(struct pgq_hooks *hooks, enum pgq_hook_event event,
		  const struct pgq_config_hook *cfg, char *err, size_t errlen)
{
	const char *name = pgq_hook_event_name(event);
	struct hook_slot next = {0};

	if (name == NULL) {
		snprintf(err, errlen, "unknown hook event %d", (int)event);
		return -1;
	}
	if (hooks->closing) {
		snprintf(err, errlen, "hooks are closing");
		return -1;
	}
	if (cfg != NULL && cfg->configured) {
		if (cfg->exec != NULL && cfg->n_exec > 0) {
			if (cfg->exec[0] == NULL || cfg->exec[0][0] == '\0') {
				snprintf(err, errlen, "hook %s: empty command", name);
				return -1;
			}
			if ((next.argv = build_argv(cfg)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		if (cfg->plugin != NULL) {
			char why[ERR_MAX];

			if (acquire_plugin(hooks, cfg->plugin, &next.plugin, why, sizeof(why)) != 0) {
				argv_free(next.argv);
				snprintf(err, errlen, "hook %s: %s", name, why);
				pgq_error("hooks", "hook %s: %s", name, why);
				return -1;
			}
		}
		next.configured = next.argv != NULL || next.plugin != NULL;
		next.timeout_ms = cfg->timeout_ms != 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	}
	argv_free(hooks->slots[event].argv);
	release_plugin(hooks, hooks->slots[event].plugin, "plugin unloaded (hooks reconfigured)");
	hooks->slots[event] = next;
	return 0;
}

/*
 * All or nothing, so a reload with one bad hook changes nothing: every
 * plugin is loaded (and held) and every command checked first, then the
 * events are set, then the extra hold is dropped.
 */
int pgq_hooks_configure(struct pgq_hooks *hooks, const struct pgq_config *config,
			char *err, size_t errlen)
{
	struct loaded_plugin *held[PGQ_HOOK__COUNT] = {0};
	int rc = 0;

	for (int e = 0; e < PGQ_HOOK__COUNT && rc == 0; e++) {
		const struct pgq_config_hook *h = &config->hooks[e];
		const char *name = pgq_hook_event_name((enum pgq_hook_event)e);
		char why[ERR_MAX];

		if (!h->configured)
			continue;
		if (h->exec != NULL && h->n_exec > 0 && (h->exec[0] == NULL || h->exec[0][0] == '\0')) {
			snprintf(err, errlen, "hook %s: empty command", name);
			rc = -1;
		} else if (h->plugin != NULL &&
			   acquire_plugin(hooks, h->plugin, &held[e], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "hook %s: %s", name, why);
			pgq_error("hooks", "hook %s: %s", name, why);
			rc = -1;
		}
	}
	for (int e = 0; e < PGQ_HOOK__COUNT && rc == 0; e++)
		rc = pgq_hooks_set(hooks, (enum pgq_hook_event)e, &config->hooks[e], err, errlen);
	for (int e = 0; e < PGQ_HOOK__COUNT; e++)
		release_plugin(hooks, held[e], "plugin unloaded (configuration refused)");
	return rc;
}

bool pgq_hooks_configured(const struct pgq_hooks *hooks, enum pgq_hook_event event)
{
	return (int)event >= 0 && event < PGQ_HOOK__COUNT && hooks->slots[event].configured;
}

void pgq_hooks_stats(const struct pgq_hooks *hooks, uint64_t *runs, uint64_t *failures)
{
	*runs = hooks != NULL ? hooks->runs_total : 0;
	*failures = hooks != NULL ? hooks->failures_total : 0;
}

size_t pgq_hooks_in_flight(const struct pgq_hooks *hooks)
{
	size_t n = 0;

	for (const struct hook_run *run = hooks->runs; run != NULL; run = run->next)
		if (!run->reported)
			n++;
	return n;
}

/* ---- a run ------------------------------------------------------------ */

static void log_output(enum pgq_log_level level, const char *event, const char *output)
{
	const char *line = output;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		int len = end != NULL ? (int)(end - line) : (int)strlen(line);

		pgq_log(level, "hooks", "hook %s output| %.*s", event, len, line);
		line = end != NULL ? end + 1 : NULL;
	}
}

static void log_part(const struct hook_run *run, const char *kind,
		     const struct pgq_hook_part_result *part)
{
	enum pgq_log_level level = part->status == PGQ_HOOK_OK ? PGQ_LOG_INFO : PGQ_LOG_WARNING;
	const char *event = run->event.event_name;

	if (part->status == PGQ_HOOK_NOT_RUN)
		return;
	run->hooks->runs_total++;
	if (part->status != PGQ_HOOK_OK)
		run->hooks->failures_total++;
	pgq_log(level, "hooks",
		"hook finished event=%s kind=%s status=%s exit=%d signal=%d timed_out=%s run_ms=%llu%s%s",
		event, kind, pgq_hook_status_name(part->status), part->exit_code, part->term_signal,
		part->timed_out ? "true" : "false", (unsigned long long)part->run_ms,
		part->error[0] != '\0' ? " error=" : "", part->error);
	log_output(part->status == PGQ_HOOK_OK ? PGQ_LOG_DEBUG : PGQ_LOG_WARNING, event, part->output);
}

static void on_timer_closed(uv_handle_t *handle)
{
	struct hook_run *run = handle->data;
	struct pgq_hooks *hooks = run->hooks;

	if (run->prev != NULL)
		run->prev->next = run->next;
	else
		hooks->runs = run->next;
	if (run->next != NULL)
		run->next->prev = run->prev;
	hooks->n_runs--;
	pgq_hook_event_free(&run->event);
	free(run->exec_output);
	free(run);
	if (hooks->closing && hooks->n_runs == 0 && hooks->closing_hosts == 0) {
		void (*closed)(void *) = hooks->closed;
		void *closed_arg = hooks->closed_arg;

		free(hooks);
		if (closed != NULL)
			closed(closed_arg);
	}
}

/* Free the run once it was reported and nothing will call back into it. */
static void release_if_idle(struct hook_run *run)
{
	if (!run->reported || run->exec_running || run->plugin_waiting)
		return;
	if (!uv_is_closing((uv_handle_t *)&run->timer))
		uv_close((uv_handle_t *)&run->timer, on_timer_closed);
}

static void report(struct hook_run *run)
{
	struct pgq_hook_result *r = &run->result;

	r->exec.output = run->exec_output != NULL ? run->exec_output : "";
	r->exec.error = run->exec_error;
	r->plugin.output = run->plugin_msg;
	r->plugin.error = run->plugin_error;
	r->ok = (r->exec.status == PGQ_HOOK_NOT_RUN || r->exec.status == PGQ_HOOK_OK) &&
		(r->plugin.status == PGQ_HOOK_NOT_RUN || r->plugin.status == PGQ_HOOK_OK);
	log_part(run, "exec", &r->exec);
	log_part(run, "plugin", &r->plugin);
	run->reported = true;
	run->done(r, run->arg);
}

static void report_if_done(struct hook_run *run)
{
	if (!run->reported && !run->exec_running && !run->plugin_waiting)
		report(run);
	release_if_idle(run);
}

static void on_exec_done(struct pgq_hook_exec_result *res, void *arg)
{
	struct hook_run *run = arg;
	struct pgq_hook_part_result *part = &run->result.exec;

	run->exec_running = false;
	run->exec = NULL;
	if (run->reported) { /* closing: nobody wants it any more */
		free(res->output);
		release_if_idle(run);
		return;
	}
	run->exec_output = res->output;
	part->exit_code = res->exit_code;
	part->term_signal = res->term_signal;
	part->timed_out = res->timed_out;
	part->run_ms = res->run_ms;
	if (!res->started) {
		part->status = PGQ_HOOK_ERROR;
		snprintf(run->exec_error, sizeof(run->exec_error), "%s", res->error);
	} else if (res->timed_out) {
		part->status = PGQ_HOOK_TIMED_OUT;
	} else if (res->term_signal != 0) {
		part->status = PGQ_HOOK_SIGNALED;
	} else {
		part->status = res->exit_code == 0 ? PGQ_HOOK_OK : PGQ_HOOK_FAILED;
	}
	report_if_done(run);
}

static void on_plugin_done(const struct pgq_plugin_call_result *res, void *arg)
{
	struct hook_run *run = arg;
	struct pgq_hook_part_result *part = &run->result.plugin;

	if (!run->plugin_waiting)
		return;
	run->plugin_waiting = false;
	run->call = NULL;
	uv_timer_stop(&run->timer);
	part->exit_code = res->rc;
	part->run_ms = res->run_ms;
	part->status = res->rc == 0 ? PGQ_HOOK_OK : PGQ_HOOK_FAILED;
	snprintf(run->plugin_msg, sizeof(run->plugin_msg), "%s", res->msg);
	report_if_done(run);
}

static void on_run_timer(uv_timer_t *timer)
{
	struct hook_run *run = timer->data;
	struct pgq_hook_part_result *part = &run->result.plugin;

	if (run->plugin_waiting && run->plugin != NULL) {
		/* Threads cannot be killed: report the timeout, abandon the call. */
		if (!pgq_plugin_host_abandon(run->plugin->host, run->call))
			return; /* it finished just now: its result is on the way */
		run->plugin_waiting = false;
		run->call = NULL;
		part->status = PGQ_HOOK_TIMED_OUT;
		part->timed_out = true;
		part->run_ms = run->timeout_ms;
		snprintf(run->plugin_error, sizeof(run->plugin_error),
			 "no answer within %u ms; the call is abandoned and the plugin is busy until it returns",
			 run->timeout_ms);
	}
	report_if_done(run);
}

static void start_exec(struct hook_run *run, const struct hook_slot *slot)
{
	struct pgq_hooks *hooks = run->hooks;
	struct pgq_hook_exec_spec spec = {
		.argv = slot->argv,
		.timeout_ms = slot->timeout_ms,
		.kill_grace_ms = hooks->options.kill_grace_ms,
		.output_lines = hooks->options.output_lines,
		.output_line_bytes = hooks->options.output_line_bytes,
	};
	char **env = pgq_hook_env_build(&run->event);

	run->result.exec.exit_code = -1;
	if (env == NULL) {
		run->result.exec.status = PGQ_HOOK_ERROR;
		snprintf(run->exec_error, sizeof(run->exec_error), "out of memory");
		return;
	}
	spec.env = env;
	if (pgq_hook_exec_start(hooks->loop, &spec, on_exec_done, run, &run->exec,
				run->exec_error, sizeof(run->exec_error)) != 0)
		run->result.exec.status = PGQ_HOOK_ERROR;
	else
		run->exec_running = true;
	/* uv_spawn has forked: the child has its copy of the environment. */
	pgq_hook_env_free(env);
}

static void start_plugin(struct hook_run *run, struct loaded_plugin *plugin)
{
	run->result.plugin.exit_code = -1;
	run->plugin = plugin;
	if (pgq_plugin_host_call(plugin->host, &run->event, on_plugin_done, run, &run->call,
				 run->plugin_error, sizeof(run->plugin_error)) != 0) {
		run->result.plugin.status = PGQ_HOOK_ERROR;
		return;
	}
	run->plugin_waiting = true;
}

int pgq_hooks_run(struct pgq_hooks *hooks, const struct pgq_plugin_event *event,
		  pgq_hook_done_cb done, void *arg, char *err, size_t errlen)
{
	const struct hook_slot *slot;
	struct hook_run *run;

	if (event == NULL || done == NULL || event->event < 0 || event->event >= PGQ_HOOK__COUNT) {
		snprintf(err, errlen, "invalid hook event");
		return -1;
	}
	if (hooks->closing) {
		snprintf(err, errlen, "hooks are closing");
		return -1;
	}
	run = calloc(1, sizeof(*run));
	if (run == NULL || pgq_hook_event_copy(&run->event, event) != 0) {
		free(run);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	slot = &hooks->slots[event->event];
	run->hooks = hooks;
	run->done = done;
	run->arg = arg;
	run->timeout_ms = slot->timeout_ms;
	run->result.event = (enum pgq_hook_event)event->event;
	run->result.configured = slot->configured;
	run->result.exec.exit_code = -1;
	run->result.plugin.exit_code = -1;
	uv_timer_init(hooks->loop, &run->timer);
	run->timer.data = run;
	run->next = hooks->runs;
	if (hooks->runs != NULL)
		hooks->runs->prev = run;
	hooks->runs = run;
	hooks->n_runs++;

	pgq_info("hooks", "hook starting event=%s exec=%s plugin=%s epoch=%llu role=%s",
		 run->event.event_name, slot->argv != NULL ? slot->argv[0] : "none",
		 slot->plugin != NULL ? pgq_plugin_host_name(slot->plugin->host) : "none",
		 (unsigned long long)run->event.epoch, run->event.role);
	if (slot->argv != NULL)
		start_exec(run, slot);
	if (slot->plugin != NULL)
		start_plugin(run, slot->plugin);
	/*
	 * The timer bounds the plugin call; with nothing to wait for it only
	 * defers the report, so `done` never runs inside pgq_hooks_run().
	 */
	uv_timer_start(&run->timer, on_run_timer, run->plugin_waiting ? run->timeout_ms : 0, 0);
	return 0;
}

void pgq_hooks_close(struct pgq_hooks *hooks, void (*closed)(void *arg), void *arg)
{
	struct hook_run *run, *next;

	hooks->closing = true;
	hooks->closed = closed;
	hooks->closed_arg = arg;
	/* Keep the object alive while callbacks run from in here. */
	hooks->closing_hosts++;
	for (run = hooks->runs; run != NULL; run = next) {
		next = run->next;
		if (run->exec_running && run->exec != NULL)
			pgq_hook_exec_kill(run->exec);
		if (run->plugin_waiting && run->plugin != NULL)
			pgq_plugin_host_abandon(run->plugin->host, run->call);
		run->plugin_waiting = false;
		run->plugin = NULL;
		run->call = NULL;
		if (!run->reported) {
			if (run->exec_running) {
				run->result.exec.status = PGQ_HOOK_ERROR;
				snprintf(run->exec_error, sizeof(run->exec_error), "hooks closing");
			}
			if (run->result.plugin.status == PGQ_HOOK_NOT_RUN &&
			    hooks->slots[run->result.event].plugin != NULL) {
				run->result.plugin.status = PGQ_HOOK_ERROR;
				snprintf(run->plugin_error, sizeof(run->plugin_error), "hooks closing");
			}
			report(run);
		}
		release_if_idle(run);
	}
	for (int e = 0; e < PGQ_HOOK__COUNT; e++) {
		argv_free(hooks->slots[e].argv);
		hooks->slots[e].argv = NULL;
		release_plugin(hooks, hooks->slots[e].plugin, "hooks closing");
		hooks->slots[e].plugin = NULL;
		hooks->slots[e].configured = false;
	}
	on_host_closed(hooks); /* drops the guard taken above; may free hooks */
}

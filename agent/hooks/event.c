/*
 * event.c — copying an event and turning it into PGQ_* variables.
 *
 * An event outlives the caller's stack: exec hooks run later and plugin
 * callbacks run on another thread, so the hooks module keeps its own copy.
 */
#include "hooks/event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgq_config.h"

extern char **environ;

static char *dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

int pgq_hook_event_copy(struct pgq_plugin_event *dst, const struct pgq_plugin_event *src)
{
	const char *name = pgq_hook_event_name((enum pgq_hook_event)src->event);

	*dst = *src;
	dst->abi_version = PGQ_PLUGIN_ABI_VERSION;
	dst->event_name = dup_or_empty(name);
	dst->cluster = dup_or_empty(src->cluster);
	dst->member = dup_or_empty(src->member);
	dst->role = dup_or_empty(src->role);
	dst->old_role = dup_or_empty(src->old_role);
	dst->primary = dup_or_empty(src->primary);
	dst->primary_host = dup_or_empty(src->primary_host);
	dst->old_primary = dup_or_empty(src->old_primary);
	dst->old_primary_host = dup_or_empty(src->old_primary_host);
	dst->old_primary_raft = dup_or_empty(src->old_primary_raft);
	dst->old_primary_api = dup_or_empty(src->old_primary_api);
	dst->reason = dup_or_empty(src->reason);
	dst->has_lsn = src->has_lsn ? 1 : 0;
	if (!dst->event_name || !dst->cluster || !dst->member || !dst->role || !dst->old_role ||
	    !dst->primary || !dst->primary_host || !dst->old_primary || !dst->old_primary_host ||
	    !dst->old_primary_raft || !dst->old_primary_api || !dst->reason) {
		pgq_hook_event_free(dst);
		return -1;
	}
	return 0;
}

void pgq_hook_event_free(struct pgq_plugin_event *event)
{
	/* The copy owns its strings; the const in the ABI struct is for plugins. */
	free((char *)event->event_name);
	free((char *)event->cluster);
	free((char *)event->member);
	free((char *)event->role);
	free((char *)event->old_role);
	free((char *)event->primary);
	free((char *)event->primary_host);
	free((char *)event->old_primary);
	free((char *)event->old_primary_host);
	free((char *)event->old_primary_raft);
	free((char *)event->old_primary_api);
	free((char *)event->reason);
	memset(event, 0, sizeof(*event));
}

void pgq_hook_format_lsn(char *out, size_t outlen, unsigned long long lsn)
{
	snprintf(out, outlen, "%llX/%llX", lsn >> 32, lsn & 0xffffffffULL);
}

/* Numbers are "" when unknown (0), so scripts can test ${PGQ_EPOCH:-}. */
static void format_u64(char *out, size_t outlen, uint64_t v)
{
	if (v == 0)
		out[0] = '\0';
	else
		snprintf(out, outlen, "%" PRIu64, v);
}

struct env_var {
	const char *name;
	const char *value;
};

#define N_EVENT_VARS 17

char **pgq_hook_env_build(const struct pgq_plugin_event *ev)
{
	char epoch[24], primary_port[8], old_port[8], timeline[16], lsn[24];
	size_t n_inherited = 0, n = 0;
	char **env;

	format_u64(epoch, sizeof(epoch), ev->epoch);
	format_u64(primary_port, sizeof(primary_port), ev->primary_port);
	format_u64(old_port, sizeof(old_port), ev->old_primary_port);
	format_u64(timeline, sizeof(timeline), ev->timeline);
	lsn[0] = '\0';
	if (ev->has_lsn)
		pgq_hook_format_lsn(lsn, sizeof(lsn), (unsigned long long)ev->lsn);

	const struct env_var vars[N_EVENT_VARS] = {
		{"PGQ_EVENT", ev->event_name},
		{"PGQ_CLUSTER", ev->cluster},
		{"PGQ_MEMBER", ev->member},
		{"PGQ_ROLE", ev->role},
		{"PGQ_OLD_ROLE", ev->old_role},
		{"PGQ_EPOCH", epoch},
		{"PGQ_PRIMARY", ev->primary},
		{"PGQ_PRIMARY_HOST", ev->primary_host},
		{"PGQ_PRIMARY_PORT", primary_port},
		{"PGQ_OLD_PRIMARY", ev->old_primary},
		{"PGQ_OLD_PRIMARY_HOST", ev->old_primary_host},
		{"PGQ_OLD_PRIMARY_PORT", old_port},
		{"PGQ_OLD_PRIMARY_RAFT", ev->old_primary_raft},
		{"PGQ_OLD_PRIMARY_API", ev->old_primary_api},
		{"PGQ_TIMELINE", timeline},
		{"PGQ_LSN", lsn},
		{"PGQ_REASON", ev->reason},
	};

	for (char **e = environ; e != NULL && *e != NULL; e++)
		n_inherited++;
	env = calloc(n_inherited + N_EVENT_VARS + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	/*
	 * Inherited PGQ_* variables would mislead a hook: the event's values win.
	 * systemd's notification variables address the agent's unit, not the hook.
	 */
	for (char **e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "PGQ_", 4) == 0 || strncmp(*e, "NOTIFY_SOCKET=", 14) == 0 ||
		    strncmp(*e, "WATCHDOG_USEC=", 14) == 0 || strncmp(*e, "WATCHDOG_PID=", 13) == 0)
			continue;
		if ((env[n++] = strdup(*e)) == NULL)
			goto oom;
	}
	for (size_t i = 0; i < N_EVENT_VARS; i++) {
		const char *value = vars[i].value;
		size_t len;

		len = strlen(vars[i].name) + 1 + strlen(value) + 1;
		if ((env[n] = malloc(len)) == NULL)
			goto oom;
		snprintf(env[n++], len, "%s=%s", vars[i].name, value);
	}
	env[n] = NULL;
	return env;
oom:
	pgq_hook_env_free(env);
	return NULL;
}

void pgq_hook_env_free(char **env)
{
	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

/*
 * event.h — the facts of a hook event: deep copies and the environment of
 * exec hooks (PGQ_* variables, documented in docs/hooks.md).
 *
 * OWNER: hooks module (internal header).
 */
#ifndef PGQ_HOOKS_EVENT_H
#define PGQ_HOOKS_EVENT_H

#include <stddef.h>

#include "pgquorum/plugin.h"

/*
 * Deep-copy `src` into `dst`: every string is duplicated (NULL becomes ""),
 * event_name is set from `event`, abi_version to ours. Returns 0, or -1 when
 * out of memory (dst then holds nothing to free).
 */
int pgq_hook_event_copy(struct pgq_plugin_event *dst, const struct pgq_plugin_event *src);
void pgq_hook_event_free(struct pgq_plugin_event *event);

/* "X/Y" like PostgreSQL's pg_lsn output; `out` needs 20 bytes. */
void pgq_hook_format_lsn(char *out, size_t outlen, unsigned long long lsn);

/*
 * The environment of an exec hook: the agent's own environment without any
 * PGQ_* variable, then every PGQ_* variable of `event` (set, "" when unknown).
 * Returns a NULL-terminated array the caller frees with
 * pgq_hook_env_free(), or NULL when out of memory.
 */
char **pgq_hook_env_build(const struct pgq_plugin_event *event);
void pgq_hook_env_free(char **env);

#endif /* PGQ_HOOKS_EVENT_H */

/*
 * pgquorum/plugin.h — the ABI of pgquorum hook plugins (installed header).
 *
 * A plugin is a shared object loaded with dlopen(3). It exports one symbol,
 * PGQ_PLUGIN_ENTRY ("pgquorum_plugin_init"), a function returning a pointer
 * to a static `struct pgq_plugin`. The agent reads `abi_version` first and
 * refuses the plugin unless it equals the agent's PGQ_PLUGIN_ABI_VERSION
 * (nothing else in the struct is touched before that check), so any change
 * of layout or meaning below bumps the version.
 *
 * Threads. Every callback of one plugin runs on that plugin's own worker
 * thread, never on the agent's event loop, and never two at a time. A
 * callback that overruns the hook's timeout is reported as timed out; threads
 * cannot be killed, so the call keeps running and the plugin refuses further
 * events ("busy") until it returns. `init` runs on the agent's thread when the
 * plugin is loaded and must be quick; `fini` runs on the worker thread when
 * the agent unloads the plugin.
 *
 * Memory. The event and every string in it belong to the agent and are valid
 * only during the call; copy what you keep. Strings are never NULL: an
 * unknown value is "" (and 0 for numbers).
 *
 * Return values. 0 means success. Anything else is a failure: for
 * `pre_promote` it vetoes the promotion, for `fence` it means the old primary
 * is NOT known to be fenced (with fencing.required the promotion is blocked).
 * A callback may explain itself in `msg` (NUL-terminated, at most msglen
 * bytes); the agent logs it. A NULL callback means "nothing to do" (success).
 */
#ifndef PGQUORUM_PLUGIN_H
#define PGQUORUM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PGQ_PLUGIN_ABI_VERSION 1u
#define PGQ_PLUGIN_ENTRY "pgquorum_plugin_init"

/* The events, in this order (the values are part of the ABI). */
enum pgq_plugin_event_kind {
	PGQ_PLUGIN_EVENT_ON_START = 0,
	PGQ_PLUGIN_EVENT_ON_STOP,
	PGQ_PLUGIN_EVENT_ON_RESTART,
	PGQ_PLUGIN_EVENT_ON_RELOAD,
	PGQ_PLUGIN_EVENT_ON_ROLE_CHANGE,
	PGQ_PLUGIN_EVENT_PRE_PROMOTE,
	PGQ_PLUGIN_EVENT_POST_PROMOTE,
	PGQ_PLUGIN_EVENT_FENCE,
	PGQ_PLUGIN_EVENT_UNFENCE,
	PGQ_PLUGIN_EVENT_ON_DEMOTE,
	PGQ_PLUGIN_EVENT__COUNT
};

/*
 * What happened. The same facts exec hooks get as PGQ_* environment
 * variables (named in each comment); docs/hooks.md says which are set for
 * which event.
 */
struct pgq_plugin_event {
	uint32_t abi_version;          /* PGQ_PLUGIN_ABI_VERSION */
	int event;                     /* enum pgq_plugin_event_kind */
	const char *event_name;        /* PGQ_EVENT: "on_start", "fence"... */
	const char *cluster;           /* PGQ_CLUSTER: the scope */
	const char *member;            /* PGQ_MEMBER: this member's name */
	const char *role;              /* PGQ_ROLE: "primary", "replica", "stopped"... */
	const char *old_role;          /* PGQ_OLD_ROLE: the role before this event */
	uint64_t epoch;                /* PGQ_EPOCH: the primary epoch; 0 unknown */
	const char *primary;           /* PGQ_PRIMARY: the primary (after the event) */
	const char *primary_host;      /* PGQ_PRIMARY_HOST: its PostgreSQL host */
	uint16_t primary_port;         /* PGQ_PRIMARY_PORT: its PostgreSQL port; 0 unknown */
	const char *old_primary;       /* PGQ_OLD_PRIMARY: the primary being replaced */
	const char *old_primary_host;  /* PGQ_OLD_PRIMARY_HOST: its PostgreSQL host */
	uint16_t old_primary_port;     /* PGQ_OLD_PRIMARY_PORT: its PostgreSQL port */
	const char *old_primary_raft;  /* PGQ_OLD_PRIMARY_RAFT: its Raft host:port */
	const char *old_primary_api;   /* PGQ_OLD_PRIMARY_API: its REST API host:port */
	uint32_t timeline;             /* PGQ_TIMELINE: 0 unknown */
	uint64_t lsn;                  /* PGQ_LSN (as "X/Y"); valid when has_lsn */
	int has_lsn;                   /* 1 when lsn is known */
	const char *reason;            /* PGQ_REASON: "failover", "switchover", ... */
};

/* One event callback: 0 success; non-zero failure (veto, fence failed). */
typedef int (*pgq_plugin_event_fn)(void *state, const struct pgq_plugin_event *event,
				   char *msg, size_t msglen);

struct pgq_plugin {
	uint32_t abi_version;          /* must be PGQ_PLUGIN_ABI_VERSION: read first */
	const char *name;              /* for logs; never NULL */
	/* Optional. Sets *state (passed to every callback). Non-zero refuses the load. */
	int (*init)(void **state, char *msg, size_t msglen);
	/* Optional. Releases what init took. */
	void (*fini)(void *state);
	/* One per event; NULL means success without a call. */
	pgq_plugin_event_fn on_start;
	pgq_plugin_event_fn on_stop;
	pgq_plugin_event_fn on_restart;
	pgq_plugin_event_fn on_reload;
	pgq_plugin_event_fn on_role_change;
	pgq_plugin_event_fn pre_promote;
	pgq_plugin_event_fn post_promote;
	/* Once per member awaiting fencing, one at a time; old_primary* names it. */
	pgq_plugin_event_fn fence;
	pgq_plugin_event_fn unfence;
	pgq_plugin_event_fn on_demote;
};

/* The one exported entry point. Returns a struct that outlives the plugin's use. */
const struct pgq_plugin *pgquorum_plugin_init(void);

#ifdef __cplusplus
}
#endif

#endif /* PGQUORUM_PLUGIN_H */

/*
 * pgq_config.h — the agent's local YAML configuration (libyaml).
 *
 * OWNER: config module (agent/pgq_config.c and agent/config_*.c).
 *
 * The file is parsed into a tree with line/column marks, checked against one
 * schema, and every problem is collected (never only the first) as a
 * diagnostic "FILE:LINE:COLUMN: message". docs/configuration.md documents
 * every key and its default; contrib/pgquorum.yml.example is a complete,
 * commented file that validates.
 *
 * Units: every duration is stored in milliseconds (`_ms`), every size in bytes
 * (`_bytes`). Strings are NUL-terminated, owned by the struct and freed by
 * pgq_config_free(); an optional string that is not set is NULL.
 *
 * Fields are only ever added, never renamed: other modules use them directly.
 */
#ifndef PGQ_CONFIG_H
#define PGQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config_diag.h"
#include "log.h"

#define PGQ_DEFAULT_CONFIG_PATH "/etc/pgquorum/pgquorum.yml"

/* "host:port", "[v6addr]:port" or "ipv4:port", as written and split. */
struct pgq_hostport {
	char *text;      /* as written in the file, e.g. "[::1]:7000" */
	char *host;      /* without brackets, e.g. "::1", "10.0.0.1", "db1.example" */
	uint16_t port;   /* 1..65535 */
	int family;      /* AF_INET, AF_INET6, or AF_UNSPEC for a host name */
};

/* One entry of restapi.allowlist: an address or a network in CIDR form. */
struct pgq_cidr {
	char *text;             /* as written, e.g. "10.0.0.0/8" */
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];       /* network address (4 bytes used for AF_INET) */
	unsigned prefix_len;    /* 0..32 or 0..128; a bare address is /32 or /128 */
};

/* A scalar map entry (postgresql.parameters, custom tags). */
struct pgq_config_kv {
	char *key;
	char *value;
};

struct pgq_config_credentials {
	char *username;  /* NULL when not set */
	char *password;  /* NULL when not set */
};

/* One initial member of the Raft group (raft.peers). */
struct pgq_config_peer {
	char *name;
	struct pgq_hostport address;   /* the member's Raft address */
	struct pgq_hostport restapi;   /* its REST API address; .text NULL when not set */
};

/* One bootstrap.initdb option: "--name" (value NULL) or "--name=value". */
struct pgq_config_initdb_option {
	char *name;
	char *value;
};

/*
 * Shared with the cluster record (record/record.h): whichever header comes
 * first defines it; the other must use the same guard and the same values.
 */
#ifndef PGQ_SYNC_MODE_DEFINED
#define PGQ_SYNC_MODE_DEFINED
enum pgq_sync_mode {
	PGQ_SYNC_OFF = 0,
	PGQ_SYNC_ON,
	PGQ_SYNC_QUORUM,
};
#endif

enum pgq_watchdog_mode {
	PGQ_WATCHDOG_OFF = 0,
	PGQ_WATCHDOG_AUTOMATIC,
	PGQ_WATCHDOG_REQUIRED,
};

enum pgq_verify_client {
	PGQ_VERIFY_CLIENT_NONE = 0,
	PGQ_VERIFY_CLIENT_OPTIONAL,
	PGQ_VERIFY_CLIENT_REQUIRED,
};

/* Hook events, in the order of the hooks issue; the index into config->hooks. */
enum pgq_hook_event {
	PGQ_HOOK_ON_START = 0,
	PGQ_HOOK_ON_STOP,
	PGQ_HOOK_ON_RESTART,
	PGQ_HOOK_ON_RELOAD,
	PGQ_HOOK_ON_ROLE_CHANGE,
	PGQ_HOOK_PRE_PROMOTE,
	PGQ_HOOK_POST_PROMOTE,
	PGQ_HOOK_FENCE,
	PGQ_HOOK_UNFENCE,
	PGQ_HOOK_ON_DEMOTE,
	PGQ_HOOK__COUNT,
};

/* The YAML key of an event ("on_start", "fence"...); NULL when out of range. */
const char *pgq_hook_event_name(enum pgq_hook_event event);

struct pgq_config_hook {
	bool configured;     /* the event has a hook (exec and/or plugin) */
	char **exec;         /* argv, NULL-terminated; NULL when no command */
	size_t n_exec;       /* number of argv elements */
	bool shell;          /* exec[0] is a command line for /bin/sh -c */
	char *plugin;        /* path of the shared object; NULL when none */
	uint32_t timeout_ms; /* kill the command (SIGTERM, then SIGKILL) after this */
};

struct pgq_config_log {
	enum pgq_log_level level;   /* default info */
	char *file;                 /* NULL: stderr only */
};

struct pgq_config_raft {
	struct pgq_hostport listen;        /* required */
	char *data_dir;                    /* required, absolute */
	struct pgq_config_peer *peers;     /* required, >= 1 */
	size_t n_peers;
	uint32_t election_timeout_ms;      /* minimum; the timeout is random in [x, 2x) */
	uint32_t heartbeat_ms;             /* < election_timeout_ms */
	uint32_t snapshot_threshold;       /* applied entries between snapshots */
	uint32_t max_frame_bytes;          /* largest peer frame accepted */
};

struct pgq_config_restapi {
	struct pgq_hostport listen;            /* default 127.0.0.1:8008 */
	struct pgq_hostport connect_address;   /* default: listen (when not a wildcard) */
	struct pgq_config_credentials authentication;  /* both NULL: no auth */
	char *certfile;                        /* TLS when certfile and keyfile are set */
	char *keyfile;
	char *keyfile_password;                /* the keyfile is encrypted (PKCS#8); NULL: plain */
	char *cafile;                          /* CA of client certificates and of the peers' servers */
	enum pgq_verify_client verify_client;  /* default none */
	struct pgq_cidr *allowlist;            /* write methods only from these; empty: all */
	size_t n_allowlist;
	uint64_t max_body_bytes;               /* request body limit */
	uint32_t max_connections;
	uint32_t request_timeout_ms;
};

struct pgq_config_postgresql {
	bool manage;                           /* false: the Raft layer runs alone */
	char *data_dir;                        /* required when manage */
	char *bin_dir;                         /* default /usr/lib/postgresql/15/bin */
	struct pgq_hostport listen;            /* default 127.0.0.1:5432 */
	struct pgq_hostport connect_address;   /* default: listen (when not a wildcard) */
	struct pgq_config_credentials superuser;    /* username default "postgres" */
	struct pgq_config_credentials replication;  /* username default "replicator" */
	struct pgq_config_kv *parameters;      /* local postgresql.conf settings */
	size_t n_parameters;
	char **pg_hba;                         /* lines, in order */
	size_t n_pg_hba;
	bool use_pg_rewind;                    /* default true */
	bool reclone_on_rewind_failure;        /* default true */
	bool use_slots;                        /* default true */
};

/* bootstrap.dcs: the initial dynamic configuration, copied into the record. */
struct pgq_config_dcs {
	uint32_t ttl_ms;                       /* lease length; default 30 s */
	uint32_t loop_wait_ms;                 /* renewal / report period; default 10 s */
	uint32_t retry_timeout_ms;             /* default 10 s */
	uint64_t maximum_lag_on_failover_bytes;/* default 1 MB */
	enum pgq_sync_mode synchronous_mode;   /* default off */
	uint32_t synchronous_node_count;       /* default 1 */
	bool synchronous_mode_strict;          /* default false */
	uint32_t failover_backoff_ms;          /* L8; default 60 s */
	uint64_t switchover_max_lag_bytes;     /* S13; default 16 MB */
	uint32_t switchover_timeout_ms;        /* S13 step 4; default 60 s */
	uint32_t promote_timeout_ms;           /* L5; default 60 s */
	uint32_t report_timeout_ms;            /* S8/S9 report wait; default 5 s */
	uint32_t member_slots_ttl_ms;          /* L6; default 30 min */
	/* The terms of the timing rule L2 (with loop_wait and the election timeout). */
	uint32_t drift_floor_ms;               /* S2; default 500, >= 100 */
	uint32_t commit_p99_ms;                /* expected p99 Raft commit; default 500 */
	uint32_t stop_budget_ms;               /* S5 fast stop before lease end; default 5000 */
	uint32_t kill_budget_ms;               /* S5 immediate stop; default 1500 */
	struct pgq_config_kv *parameters;      /* postgresql.parameters for every member */
	size_t n_parameters;
};

struct pgq_config_bootstrap {
	struct pgq_config_dcs dcs;
	struct pgq_config_initdb_option *initdb;
	size_t n_initdb;
};

struct pgq_config_watchdog {
	enum pgq_watchdog_mode mode;           /* default automatic */
	char *device;                          /* default /dev/watchdog */
	uint32_t safety_margin_ms;             /* default 5 s */
};

struct pgq_config_fencing {
	bool required;   /* S6/S19: a failed fence blocks promotion; default false */
};

struct pgq_config_tags {
	bool nofailover;
	bool noloadbalance;
	bool nosync;
	int failover_priority;                 /* >= 0; default 1 */
	struct pgq_config_kv *custom;          /* other scalar tags, as strings */
	size_t n_custom;
};

struct pgq_config {
	char *path;                            /* the file it was loaded from */
	char *scope;                           /* required: the cluster name */
	char *name;                            /* required: this member, one of raft.peers */
	struct pgq_config_log log;
	struct pgq_config_raft raft;
	struct pgq_config_restapi restapi;
	struct pgq_config_postgresql postgresql;
	struct pgq_config_bootstrap bootstrap;
	struct pgq_config_hook hooks[PGQ_HOOK__COUNT];
	struct pgq_config_fencing fencing;
	struct pgq_config_watchdog watchdog;
	struct pgq_config_tags tags;
};

/*
 * Load and validate `path`. On success returns 0 and *out owns a new config
 * (free with pgq_config_free). On any problem returns the number of problems
 * (> 0), *out is NULL, and `diags` (when not NULL, initialised by the caller
 * with pgq_diag_list_init) holds every problem sorted by line and column.
 */
int pgq_config_load(const char *path, struct pgq_config **out, struct pgq_diag_list *diags);

/* Same as pgq_config_load, from a buffer; `name` is the file name used in messages. */
int pgq_config_load_buffer(const char *name, const char *text, size_t len,
			   struct pgq_config **out, struct pgq_diag_list *diags);

void pgq_config_free(struct pgq_config *config);

/* The peer named `name` in raft.peers, or NULL. */
const struct pgq_config_peer *pgq_config_find_peer(const struct pgq_config *config, const char *name);

/*
 * L2: the smallest ttl the timing rule allows for `config`:
 * loop_wait + 2 x election_timeout_max + commit_p99 + stop_budget +
 * kill_budget + drift_floor, where election_timeout_max = 2 x election_timeout_ms.
 */
uint64_t pgq_config_min_ttl_ms(const struct pgq_config *config);

/*
 * Validate `path`; print every problem to `out` as "FILE:LINE:COLUMN: message".
 * Returns the number of problems (0: valid).
 */
int pgq_config_validate_file(const char *path, FILE *out);

#endif /* PGQ_CONFIG_H */

/*
 * ha_driver_internal.h — the HA driver's state, shared by ha_driver.c (the
 * cycle: observe, decide, propose) and ha_actions.c (carrying out one
 * action at a time). Loop thread only.
 */
#ifndef PGQ_RUNTIME_HA_DRIVER_INTERNAL_H
#define PGQ_RUNTIME_HA_DRIVER_INTERNAL_H

#include "ha/leader.h"
#include "ha/lease_store.h"
#include "ha/member.h"
#include "hooks/hooks.h"
#include "pgmgr/health.h"
#include "runtime/ha_driver.h"
#include "runtime/runtime_internal.h"
#include "watchdog/watchdog.h"

enum ha_op {
	HA_OP_NONE = 0,
	HA_OP_BUSY,          /* an operation of the current action runs */
};

struct ha_driver {
	struct pgq_runtime *rt;
	const struct pgq_config_postgresql *cfg_pg;
	char data_dir[1024];
	char log_path[1100];
	char local_conninfo[1024];
	uv_timer_t timer;
	bool stopping;

	/* Decisions' memory (agent/ha). */
	struct pgq_ha_member_state member;
	struct pgq_ha_leader_clock leader_clock;
	struct pgq_ha_hook_obs hooks_obs;
	uint64_t became_leader_ms;
	uint64_t caught_up_term;       /* S4: caught up under this term and leader */
	raft_id_t caught_up_leader;
	bool was_leader;
	uint64_t seen_record_index;
	uint64_t next_check_ms;
	uint64_t last_cycle_ms, last_decide_ms;
	bool cycle_pending;
	bool may_be_writable, accept_writes;
	enum pgq_ha_local local;
	enum pgq_ha_goal goal;
	char last_row[64];
	enum pgq_ha_action last_action;
	char last_leader_note[PGQ_HA_REASON_MAX];

	/* Observation. */
	struct pgq_ha_pg_obs obs;
	struct pgmgr_health health;    /* last successful probe (owned) */
	bool health_valid;
	bool known_recovery;
	uint32_t stream_tli;           /* timeline last streamed on (standby), 0 none */
	uint64_t last_health_ok_ms;
	struct pgmgr_health_probe *probe;
	bool controldata_inflight;

	/* What the driver wrote into pgquorum.conf last (the files are the truth after a restart). */
	char conf_upstream[PGQ_RECORD_NAME_MAX];
	bool conf_written;
	bool conf_read_only;
	uint64_t conf_params_key;      /* ha_params_key() of the parameters in pgquorum.conf */
	bool start_failed;
	unsigned start_failures;        /* consecutive failed starts */
	uint64_t rewind_failed_epoch;
	bool roles_done;
	uint64_t roles_sent_ms, slots_sent_ms;
	uint64_t address_sent_ms, system_id_sent_ms;
	uint64_t tags_sent_ms;          /* last member_update with our tags (R4) */
	bool tags_warned;               /* the configured tags cannot be recorded: said once */

	/* The one operation in flight. */
	enum ha_op op;
	enum pgq_ha_action op_action;
	uint64_t op_started_ms;
	struct pgmgr_cmd *op_cmd;      /* cancellable child, or NULL */
	bool sql_inflight;             /* roles / slots (not exclusive with op) */
	bool pg_started;               /* we started PostgreSQL in this run */
	bool stop_at_exit_inflight;

	/* S14: the persisted lease (ha_lease_file.c) and the start-up fence. */
	char boot_id[PGQ_BOOT_ID_MAX];
	struct pgq_lease_persisted lease_written; /* what the file holds */
	bool lease_write_inflight;
	bool lease_write_warned;
	bool startup_checked;           /* the start-up check passed (or fenced) */

	/* Hooks, watchdog. */
	struct pgq_hooks *hooks;
	struct pgq_watchdog *watchdog;
	uint64_t wd_petted_seq;       /* lease_seq of the last pet (S5) */
	char last_role_reported[16];
};

struct pgq_ha_timing ha_timing(const struct pgq_runtime *rt);
void ha_decide(struct ha_driver *d);
void ha_cycle_soon(struct ha_driver *d);
void ha_propose(struct ha_driver *d, const uint8_t *data, size_t len, const char *name);

/* ha_lease_file.c: S14's persisted lease. */
void ha_lease_restore(struct ha_driver *d);
void ha_lease_persist(struct ha_driver *d);

/* ha_actions.c */
void ha_act(struct ha_driver *d, const struct pgq_ha_member_decision *md);
void ha_actions_shutdown(struct ha_driver *d);
/* ha_watchdog.c: the lease watchdog (S5) and role-change hooks. */
int ha_watchdog_open(struct ha_driver *d, char *err, size_t errlen);
void ha_watchdog_after_decide(struct ha_driver *d, uint64_t now_ms);
void ha_watchdog_close(struct ha_driver *d);

#endif /* PGQ_RUNTIME_HA_DRIVER_INTERNAL_H */

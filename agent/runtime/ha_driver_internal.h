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
#include "ha/s3_ages.h"
#include "hooks/hooks.h"
#include "pgmgr/health.h"
#include "rest/restart_req.h"
#include "runtime/ha_driver.h"
#include "runtime/ha_sync.h"
#include "runtime/runtime_internal.h"
#include "watchdog/watchdog.h"

enum ha_op {
	HA_OP_NONE = 0,
	HA_OP_BUSY,          /* an operation of the current action runs */
};

/*
 * An operator's action on this member (ha_member_ops.c): POST /restart and
 * POST /reinitialize. Each is a stop (one operation) followed by the
 * convergence table doing what it does for a stopped or empty member —
 * start it (S14 decides how), or clone it — with pause lifted for that
 * step only (S18: the operator asked; safety rules still apply).
 */
enum ha_opr {
	HA_OPR_NONE = 0,
	HA_OPR_RESTART_WANTED,    /* accepted; begins when no operation runs */
	HA_OPR_RESTART_STOPPING,  /* standby.signal, fast stop (one operation) */
	HA_OPR_RESTART_STARTING,  /* stopped: the table starts it again */
	HA_OPR_RESTART_VERIFY,    /* started: done once a probe answers */
	HA_OPR_REINIT_WANTED,
	HA_OPR_REINIT_STOPPING,   /* fence, then move the data directory aside */
	HA_OPR_REINIT_CLONING,    /* no data: the table clones from the primary */
};

struct ha_operator {
	enum ha_opr state;
	struct pgq_rest_call *call;     /* POST /restart waiting for the outcome, or NULL */
	uint64_t deadline_ms;           /* CLOCK_BOOTTIME: answer "still starting" then */
	int64_t old_start_us;           /* postmaster start time before the restart */
	bool scheduled;                 /* a restart is scheduled (`at` below) */
	struct pgq_restart_req at;
	bool reload_wanted;             /* POST /reload, SIGHUP: rewrite, reload PG, on_reload */
	const char *reload_reason;      /* static text for PGQ_REASON */
	bool reload_hook;               /* the reload in flight fires on_reload when done */
	bool reinit_cancelled;          /* force cancelled a clone / start: verify S5 before moving aside */
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
	struct pgq_s3_reports s3;      /* S3: voters' ages of the latest renewal (ha_s3.c) */
	uint64_t s3_asked_ms;          /* last LEASE_AGE queries sent */
	size_t s3_logged_n;            /* reports counted in the last "shortened" log line */
	uint64_t caught_up_term;       /* S4: caught up under this term and leader */
	raft_id_t caught_up_leader;
	bool was_leader;
	uint64_t transfer_tried_ms;    /* last leadership hand-over off the primary's host */
	bool no_leader_transfer;       /* PGQUORUM_NO_LEADER_TRANSFER set: never hand over */
	bool test_leader_on_primary;   /* PGQUORUM_TEST_LEADER_ON_PRIMARY: hand over onto it */
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
	uint64_t health_seq;           /* successful health probes so far */

	/* synchronous_standby_names and the recorded set (ha_sync.c, S7). */
	struct ha_sync_state sync;

	/* What the driver wrote into pgquorum.conf last (the files are the truth after a restart). */
	char conf_upstream[PGQ_RECORD_NAME_MAX];
	bool conf_written;
	bool conf_read_only;
	uint64_t conf_params_key;      /* ha_params_key() of the parameters in pgquorum.conf */
	bool start_failed;
	uint64_t start_failed_since_ms; /* boot-clock end of the first failed start in a row; 0 none */
	unsigned start_failures;        /* consecutive failed starts */
	unsigned start_retries;         /* consecutive failed starts, any goal (backoff) */
	uint64_t start_retry_at_ms;     /* no new start before (bounded backoff) */
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
	bool starting_writable;        /* the start in flight has no standby.signal */
	bool crash_restart_pending;    /* a crashed postmaster's restart failed: the next start is on_restart */
	bool stop_at_exit_inflight;

	/* S14: the persisted lease (ha_lease_file.c) and the start-up fence. */
	char boot_id[PGQ_BOOT_ID_MAX];
	struct pgq_lease_persisted lease_written; /* what the file holds */
	bool lease_write_inflight;
	bool lease_write_warned;
	bool startup_checked;           /* the start-up check passed (or fenced) */
	struct ha_operator opr;

	/* Hooks, watchdog. */
	struct pgq_hooks *hooks;
	struct pgq_watchdog *watchdog;
	uint64_t wd_petted_seq;       /* lease_seq of the last pet (S5) */
	bool wd_close_after_stop;     /* exit: magic close once PostgreSQL stopped (S5) */
	char last_role_reported[16];

	/* Hook bookkeeping (ha_hooks.c). */
	struct ha_hook_event *hook_queue, *hook_queue_tail; /* notifications, FIFO (owned) */
	unsigned hook_queued;
	bool hook_running;             /* a queued notification runs */
	bool post_promote_pending;     /* pg_promote() returned: fire once out of recovery */
	char demote_reason[32];        /* on_demote due once pg_controldata was read, "" none */
	size_t n_fence;                /* the fence round in flight: whom it fences */
	size_t fence_index;            /* the member of the round whose run is in flight (S19) */
	char fence_names[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];
	size_t n_unfence;              /* fenced by this member, unfence when they rejoin (S19) */
	char unfence[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];
	uint64_t unfence_after_index;  /* only reports after this record index count */
	uint64_t fence_failed_ms;      /* CLOCK_BOOTTIME of the last failed fence run */
	uint64_t block_clear_sent_ms;  /* last proposal clearing a fence's failover_blocked */
};

struct pgq_ha_timing ha_timing(const struct pgq_runtime *rt);
void ha_decide(struct ha_driver *d);
void ha_cycle_soon(struct ha_driver *d);
void ha_propose(struct ha_driver *d, const uint8_t *data, size_t len, const char *name);

/* ha_s3.c: S3's voter ages for a newly elected leader (fills renewal_*, ages). */
void ha_s3_leader_input(struct ha_driver *d, uint64_t now, struct pgq_ha_leader_input *in);

/* ha_lease_file.c: S14's persisted lease. */
void ha_lease_restore(struct ha_driver *d);
void ha_lease_persist(struct ha_driver *d);

/* ha_actions.c */
void ha_act(struct ha_driver *d, const struct pgq_ha_member_decision *md);
void ha_actions_shutdown(struct ha_driver *d);
/* Operator stop: standby.signal, then a fast stop bounded by a third of the ttl; ends in ha_ops_stopped(). */
int ha_operator_stop(struct ha_driver *d, char *err, size_t errlen);
/* Rewrite pgquorum.conf and reload PostgreSQL (one operation); on_reload fires when hook is set. */
int ha_reload_pg(struct ha_driver *d, bool hook, char *err, size_t errlen);
/* Fire a notification hook (logged, never waited for). */
void ha_fire_hook(struct ha_driver *d, enum pgq_hook_event e, const char *reason);
void ha_op_done(struct ha_driver *d, const char *what, bool ok, const char *detail);
/* Mark the one operation as begun (d->op), for the log and the view. */
void ha_begin(struct ha_driver *d, enum pgq_ha_action a);

/* ha_member_ops.c: operator actions (see struct ha_operator). */
/* Before ha_act: start the operator's step when one is due. true: an operation began. */
bool ha_ops_act(struct ha_driver *d, const struct pgq_ha_member_decision *md);
/* After each decision: answers, deadlines, scheduled restarts. */
void ha_ops_after_decide(struct ha_driver *d);
/* The operator asked for a start or a clone now: pause does not hold it back (S18). */
bool ha_ops_operator_start(const struct ha_driver *d);
/* A stop for an operator action ended (ha_operator_stop). */
void ha_ops_stopped(struct ha_driver *d, bool fenced, const char *error);
/* A start ended; true when it belonged to an operator restart (on_restart fires, not on_start). */
bool ha_ops_started(struct ha_driver *d, bool ok, const char *detail);
/* Answer what still waits (agent stopping). */
void ha_ops_shutdown(struct ha_driver *d);
/* View: state text override ("restarting", "creating replica") or NULL, scheduled restart. */
const char *ha_ops_state_name(const struct ha_driver *d);
struct pgq_member_view;
void ha_ops_fill_view(const struct ha_driver *d, struct pgq_member_view *v);
/* ha_watchdog.c: the lease watchdog (S5) and role-change hooks. */
int ha_watchdog_open(struct ha_driver *d, char *err, size_t errlen);
void ha_watchdog_after_decide(struct ha_driver *d, uint64_t now_ms);
void ha_watchdog_close(struct ha_driver *d);
/* Before pre_promote: arm; false (and a veto recorded next cycle) when required and unusable. */
bool ha_watchdog_arm_for_promotion(struct ha_driver *d);
/* Exit: PostgreSQL's stop finished (stopped: it is not writable any more). */
void ha_watchdog_exit_stopped(struct ha_driver *d, bool stopped);

/* ha_hooks.c: event contents, notification order, fence policy, unfence (S19). */
struct ha_hook_event;
/* A filled event (caller owns; ha_hook_notify takes it). NULL on out of memory. */
struct ha_hook_event *ha_hook_event_new(struct ha_driver *d, enum pgq_hook_event e,
					const char *role, const char *old_role,
					const char *old_primary, const char *reason);
void ha_hook_event_set_lsn(struct ha_hook_event *h, uint64_t lsn);
const struct pgq_plugin_event *ha_hook_event_plugin(const struct ha_hook_event *h);
/* Queue a notification hook (takes h, may be NULL); they run one at a time, in order. */
void ha_hook_notify(struct ha_driver *d, struct ha_hook_event *h);
void ha_hooks_drop_queue(struct ha_driver *d);
/* Exit: close the hooks now, or (PostgreSQL stopped by the exit) after on_stop ran. */
void ha_hooks_close_now(struct ha_driver *d);
void ha_hooks_exit(struct ha_driver *d, bool pg_stopped);
/* After each observation: deferred post_promote / on_demote, unfence checks. */
void ha_hooks_after_observe(struct ha_driver *d);
/*
 * A finished fence round for `names` (S19): `r` is the result of its last
 * run, the one for names[last] (every run before it succeeded; last < n, or
 * 0 when n is 0). Policy, failover_blocked (L4), unfence list.
 */
void ha_fence_result(struct ha_driver *d, const struct pgq_hook_result *r,
		     char names[][PGQ_RECORD_NAME_MAX], size_t n, size_t last);
void ha_unfence_check(struct ha_driver *d);
/* L8: an applied fence_confirm stands for this member's failing required fence. */
void ha_fence_confirm_check(struct ha_driver *d);
/* L8: true while a failed fence waits loop_wait before its retry. */
bool ha_fence_retry_later(struct ha_driver *d);

/* "host:port" or "[v6]:port" → host, port. false when malformed (ha_actions.c). */
bool ha_split_hostport(const char *text, char *host, size_t hostlen, uint16_t *port);

#endif /* PGQ_RUNTIME_HA_DRIVER_INTERNAL_H */

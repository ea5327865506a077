/*
 * member.h — what THIS member does to its own PostgreSQL (SAFETY.md S1,
 * S4, S5, S9, S12, S13, S14, S15, S18, S19, L5).
 *
 * A convergence table in the style of pg_auto_failover's fsm.c: the local
 * state (what PostgreSQL is) and the goal (what the record says this
 * member should be) select one row; the row names one action and may add
 * commands to propose. Every action is idempotent: after a crash the agent
 * evaluates again from what it observes and lands on the same row or the
 * next one. Safety comes before the table: a PostgreSQL that may accept
 * writes without a valid lease is fenced whatever the table says (S5).
 *
 * The runtime calls pgq_ha_decide_member() every loop and after every
 * apply, carries out `action`, proposes `cmds`, and reports back through
 * the next observation. The decision updates `state` (owned by the runtime,
 * plain data, zero-initialised): the lease bookkeeping, what was asked of
 * PostgreSQL under which epoch.
 */
#ifndef PGQ_HA_MEMBER_H
#define PGQ_HA_MEMBER_H

#include "ha/ha.h"
#include "ha/lease.h"

enum pgq_pg_data {
	PGQ_PGDATA_MISSING = 0,   /* absent or empty directory */
	PGQ_PGDATA_VALID,         /* a PostgreSQL data directory */
	PGQ_PGDATA_REWINDING,     /* the durable "rewind in progress" marker is present (S14) */
	PGQ_PGDATA_INVALID,       /* unreadable or not a data directory */
};

enum pgq_pg_run {
	PGQ_PGRUN_STOPPED = 0,    /* no postmaster, stopped cleanly or never started */
	PGQ_PGRUN_RUNNING,        /* postmaster up, queries answered */
	PGQ_PGRUN_CRASHED,        /* postmaster gone without a clean stop */
	PGQ_PGRUN_NOT_ANSWERING,  /* processes alive, health queries fail or time out */
};

#define PGQ_HA_HISTORY_MAX 32

/* One line of a timeline history file: `tli` ended at `end_lsn`. */
struct pgq_ha_tli_end {
	uint32_t tli;
	uint64_t end_lsn;
};

/* What the PostgreSQL manager observed (one poll). */
struct pgq_ha_pg_obs {
	enum pgq_pg_data data;
	char system_id[32];        /* database system identifier, "" unknown (S15) */
	enum pgq_pg_run run;
	bool fenced;               /* no process of the data directory remains (S5) */
	bool start_failed;         /* the last start attempt failed */
	uint64_t start_failed_since_ms; /* when the first of those failed starts ended; 0 none */
	bool in_recovery;          /* last known pg_is_in_recovery() */
	uint32_t timeline;         /* current (or, stopped, last checkpoint's) timeline */
	uint64_t receive_lsn;      /* standby: pg_last_wal_receive_lsn() */
	uint64_t replay_lsn;       /* standby: pg_last_wal_replay_lsn() */
	uint64_t flush_lsn;        /* primary: pg_current_wal_flush_lsn(); standby: flushed */
	bool replay_stopped;       /* S9: replay no longer advances (and recovery not paused) */
	bool receiver_configured;  /* primary_conninfo is set */
	char upstream[PGQ_RECORD_NAME_MAX]; /* member primary_conninfo points at, "" none */
	bool standby_signal;       /* standby.signal present */
	bool clean_shutdown;       /* pg_controldata says "shut down" / "shut down in recovery" */
	uint64_t checkpoint_lsn;   /* end of the last shutdown checkpoint (S13 final_lsn) */
	uint64_t switch_lsn;       /* where the current timeline began (from its .history) */
	/*
	 * The current timeline's .history: each ancestor timeline and the LSN
	 * where it ended, oldest first (at most the last PGQ_HA_HISTORY_MAX).
	 */
	size_t n_history;
	struct pgq_ha_tli_end history[PGQ_HA_HISTORY_MAX];
	bool rewind_failed;        /* pg_rewind failed for the current epoch */
	bool pending_restart;      /* pg_settings: a setting waits for a restart (reported) */
	uint64_t not_answering_since_ms; /* CLOCK_BOOTTIME, for NOT_ANSWERING */
};

/* Hook progress for the current epoch, kept by the runtime (hooks module). */
struct pgq_ha_hook_obs {
	uint64_t fence_done_epoch;      /* the fence hook succeeded for every pending name */
	bool fence_failed;              /* the last fence attempt failed */
	uint64_t pre_promote_done_epoch;/* pre_promote passed for this epoch */
	uint64_t pre_promote_vetoed_epoch; /* pre_promote vetoed this epoch */
	uint64_t watchdog_refused_epoch;   /* watchdog.mode required, no watchdog: veto this epoch */
};

struct pgq_ha_member_input {
	const char *me;            /* this member's name */
	uint64_t now_ms;           /* CLOCK_BOOTTIME */
	uint64_t wall_ms;          /* wall clock, to stamp entries */
	uint64_t nonce;            /* a fresh random value (< 2^63); used if a new renewal starts */
	bool caught_up;            /* S4: applied up to a ReadIndex from the current leader */
	bool fencing_required;     /* S19: a failed fence blocks promotion */
	bool reclone_allowed;      /* rejoin: re-clone when rewind fails */
	/*
	 * An operator asked to restart or rebuild this member's PostgreSQL
	 * (POST /restart, /reinitialize): its start or clone goes ahead while
	 * the cluster is paused. S18: pause holds back automatic actions only;
	 * every safety rule still decides how it starts (S14).
	 */
	bool operator_start;
	struct pgq_ha_timing timing;
	struct pgq_ha_pg_obs pg;
	struct pgq_ha_hook_obs hooks;
};

/* The runtime's memory between evaluations. Zero-initialise; persist `lease` (S14). */
struct pgq_ha_member_state {
	struct pgq_lease lease;
	uint64_t renew_new_ms;     /* when the current renewal was first sent */
	uint64_t renew_resend_ms;  /* when it was last (re)sent */
	uint64_t promote_epoch;    /* epoch we asked PostgreSQL to become writable for (S1) */
	uint64_t promote_asked_ms;
	uint64_t fenced_epoch;     /* epoch we self-fenced in: never writable again in it (S5, S13) */
	uint64_t last_report_ms;   /* when we last sent a status report */
	uint64_t report_loss_index;/* lost_index our last report named */
};

enum pgq_ha_action {
	PGQ_HA_NONE = 0,           /* nothing to do to PostgreSQL */
	PGQ_HA_INITDB,             /* S15: create the cluster (bootstrap member) */
	PGQ_HA_BASEBACKUP,         /* clone from `upstream` */
	PGQ_HA_START_STANDBY,      /* start with standby.signal, primary_conninfo = upstream ("" none) */
	PGQ_HA_START_PRIMARY,      /* start without standby.signal (S14: lease held) */
	PGQ_HA_RESTART,            /* crashed postmaster: start again, standby_signal says how */
	PGQ_HA_FOLLOW,             /* rewrite primary_conninfo to upstream and reload (PG 13+) */
	PGQ_HA_STOP_RECEIVER,      /* clear primary_conninfo and reload (S9) */
	PGQ_HA_REWIND,             /* pg_rewind -R from upstream (S14 marker first) */
	PGQ_HA_RECLONE,            /* move the data directory aside and clone from upstream */
	PGQ_HA_RUN_FENCE_HOOK,     /* S19: fence every name in fence_names */
	PGQ_HA_RUN_PRE_PROMOTE,    /* S19: pre_promote (may veto) */
	PGQ_HA_PROMOTE,            /* S12 .history files, S10 sync names '', pg_promote() */
	PGQ_HA_WRITE_STANDBY_SIGNAL, /* S14: re-create standby.signal after a promotion */
	PGQ_HA_CLEAN_STOP,         /* S13 (2): standby.signal, fast stop, read pg_controldata */
	PGQ_HA_FAST_STOP,          /* S5 fence step 1 (standby.signal first) */
	PGQ_HA_IMMEDIATE_STOP,     /* S5 fence step 2 */
	PGQ_HA_KILL,               /* S5 fence step 3: SIGKILL every process left */
	PGQ_HA_STAY_DOWN,          /* cannot proceed safely; `comment` says why */
	PGQ_HA_ACTION__COUNT,
};
const char *pgq_ha_action_name(enum pgq_ha_action a);

/* Local state: what PostgreSQL is right now (classified from the observation). */
enum pgq_ha_local {
	PGQ_LOCAL_NO_DATA = 0,
	PGQ_LOCAL_BAD_DATA,        /* invalid, or system id differs from the record (S15) */
	PGQ_LOCAL_REWINDING,
	PGQ_LOCAL_STOPPED,
	PGQ_LOCAL_CRASHED,
	PGQ_LOCAL_STANDBY,         /* running, in recovery */
	PGQ_LOCAL_WRITABLE,        /* running or not answering, last seen out of recovery */
	PGQ_LOCAL_HUNG,            /* not answering, last seen in recovery */
	PGQ_LOCAL__COUNT,
};
const char *pgq_ha_local_name(enum pgq_ha_local l);

/* Goal: what the record says this member should be. */
enum pgq_ha_goal {
	PGQ_GOAL_IDLE = 0,         /* not bootstrapped, not a member, no primary */
	PGQ_GOAL_BOOTSTRAP,        /* named for epoch 1 with no data: initdb (S15) */
	PGQ_GOAL_CLAIM,            /* named, no committed renewal yet: renew (S1) */
	PGQ_GOAL_PROMOTE,          /* named, lease held, not promoted: fence, pre_promote, promote */
	PGQ_GOAL_PRIMARY,          /* named, promoted, lease held */
	PGQ_GOAL_DEMOTE,           /* switchover from me: clean stop, demoted{} (S13) */
	PGQ_GOAL_RELEASE,          /* I self-fenced in my epoch: verify, release the lease (S5) */
	PGQ_GOAL_REPORT,           /* loss recorded: stop receiving, valid report (S9) */
	PGQ_GOAL_WAIT,             /* another member named, not promoted: no upstream (S12) */
	PGQ_GOAL_FOLLOW,           /* another member promoted: follow it (S12, S14) */
	PGQ_GOAL__COUNT,
};
const char *pgq_ha_goal_name(enum pgq_ha_goal g);

struct pgq_ha_member_decision {
	enum pgq_ha_action action;
	enum pgq_ha_local local;
	enum pgq_ha_goal goal;
	const char *row;           /* id of the row that fired (static string) */
	char upstream[PGQ_RECORD_NAME_MAX]; /* FOLLOW/START_STANDBY/BASEBACKUP/REWIND/RECLONE */
	bool standby_signal;       /* starts and RESTART: with standby.signal */
	uint64_t epoch;            /* the record epoch the action belongs to */
	/* RUN_FENCE_HOOK: the former primaries to fence (S19). */
	size_t n_fence;
	char fence_names[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];
	bool may_be_writable;      /* R1: PostgreSQL may write under a valid lease */
	/*
	 * S12a (docs/safety-changes.md C11): client writes are allowed only once
	 * promoted{} committed. The pgmgr promotes and starts writable with
	 * default_transaction_read_only = on and turns it off (reload) when this
	 * is true; /primary answers 200 only when it is true (S20).
	 */
	bool accept_writes;
	char comment[PGQ_HA_REASON_MAX];
	struct pgq_ha_cmds cmds;   /* owned; pgq_ha_cmds_free() */
	uint64_t next_check_ms;    /* evaluate again no later than this */
};

/* One row of the convergence table, for docs and tests. */
struct pgq_ha_row {
	const char *id;
	enum pgq_ha_local local;   /* PGQ_LOCAL__COUNT: any */
	enum pgq_ha_goal goal;     /* PGQ_GOAL__COUNT: any */
	enum pgq_ha_action action; /* the usual action (some rows refine it) */
	const char *comment;
};
const struct pgq_ha_row *pgq_ha_member_table(size_t *n);

/* Classify the observation (system_id: the record's, "" unknown). */
enum pgq_ha_local pgq_ha_classify_local(const struct pgq_ha_pg_obs *pg, const char *system_id);

/*
 * Decide. `d` is initialised here (the caller frees d->cmds). Returns 0, or
 * a builder error (PGQ_RECORD_ERR_NOMEM) with err filled.
 */
int pgq_ha_decide_member(const struct pgq_record *r, struct pgq_ha_member_state *st,
			 const struct pgq_ha_member_input *in, struct pgq_ha_member_decision *d,
			 char *err, size_t errlen);

#endif /* PGQ_HA_MEMBER_H */

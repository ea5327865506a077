/*
 * reinit.h — what POST /reinitialize does with what this member runs now
 * (Patroni's `force` cancels its running task). A pure function of facts
 * the runtime observed; docs/rest-api.md "Member actions".
 *
 * OWNER: ha module.
 */
#ifndef PGQ_HA_REINIT_H
#define PGQ_HA_REINIT_H

#include <stdbool.h>

#include "ha/member.h"

enum pgq_reinit_decision {
	PGQ_REINIT_REFUSE_PRIMARY = 0, /* the recorded primary, or writable: never (503) */
	PGQ_REINIT_REFUSE_BUSY,        /* an operation runs and no force (503) */
	PGQ_REINIT_START,              /* nothing runs: fence, move aside, clone */
	PGQ_REINIT_CANCEL_RUNNING,     /* force: kill the running clone / start first */
	PGQ_REINIT_QUEUE,              /* force, but the running operation is not cut short */
};

struct pgq_reinit_facts {
	bool recorded_primary;         /* the record names this member primary */
	bool writable;                 /* PostgreSQL answered pg_is_in_recovery() = false */
	bool op_running;               /* an HA operation is in flight */
	enum pgq_ha_action op_action;  /* which one (valid when op_running) */
	bool op_has_child;             /* it is a child process the agent can kill by PID */
	bool force;
};

/*
 * S5/S14: force cancels only a pg_basebackup (clone) or a standby start
 * (pg_ctl start) on a member that is neither the recorded primary nor
 * writable: killing those leaves nothing half-fenced, because the
 * reinitialize that follows fences the data directory and verifies that no
 * process of it remains (S5) before moving it aside. Everything else (a
 * rewind, a promotion, a fence, a primary's start) is not cut short — a
 * killed pg_rewind leaves the data directory half written, a killed fence
 * leaves it unverified — and the reinitialize runs after it.
 */
enum pgq_reinit_decision pgq_reinit_decide(const struct pgq_reinit_facts *f);

/* "refuse_primary", "refuse_busy", "start", "cancel_running", "queue". */
const char *pgq_reinit_decision_name(enum pgq_reinit_decision d);

#endif /* PGQ_HA_REINIT_H */

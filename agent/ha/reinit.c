/*
 * reinit.c — POST /reinitialize against what this member runs (reinit.h).
 */
#include "ha/reinit.h"

static bool cancellable(enum pgq_ha_action a)
{
	/* A clone's or a standby start's child: killing it loses nothing that the re-clone needs. */
	return a == PGQ_HA_BASEBACKUP || a == PGQ_HA_RECLONE || a == PGQ_HA_START_STANDBY;
}

enum pgq_reinit_decision pgq_reinit_decide(const struct pgq_reinit_facts *f)
{
	if (f->recorded_primary || f->writable)
		return PGQ_REINIT_REFUSE_PRIMARY;
	if (!f->op_running)
		return PGQ_REINIT_START;
	if (!f->force)
		return PGQ_REINIT_REFUSE_BUSY;
	if (f->op_has_child && cancellable(f->op_action))
		return PGQ_REINIT_CANCEL_RUNNING;
	return PGQ_REINIT_QUEUE;
}

const char *pgq_reinit_decision_name(enum pgq_reinit_decision d)
{
	switch (d) {
	case PGQ_REINIT_REFUSE_PRIMARY: return "refuse_primary";
	case PGQ_REINIT_REFUSE_BUSY: return "refuse_busy";
	case PGQ_REINIT_START: return "start";
	case PGQ_REINIT_CANCEL_RUNNING: return "cancel_running";
	case PGQ_REINIT_QUEUE: return "queue";
	}
	return "unknown";
}

/*
 * member_names.c — printable names of the member decision's enums, for
 * logs, docs and tests.
 */
#include "ha/member.h"

const char *pgq_ha_action_name(enum pgq_ha_action a)
{
	static const char *const names[PGQ_HA_ACTION__COUNT] = {
		"none", "initdb", "basebackup", "start_standby", "start_primary", "restart",
		"follow", "stop_receiver", "rewind", "reclone", "run_fence_hook",
		"run_pre_promote", "promote", "write_standby_signal", "clean_stop", "fast_stop",
		"immediate_stop", "kill", "stay_down",
	};

	return (unsigned)a < PGQ_HA_ACTION__COUNT ? names[a] : "?";
}

const char *pgq_ha_local_name(enum pgq_ha_local l)
{
	static const char *const names[PGQ_LOCAL__COUNT] = {
		"no_data", "bad_data", "rewinding", "stopped", "crashed", "standby", "writable",
		"hung",
	};

	return (unsigned)l < PGQ_LOCAL__COUNT ? names[l] : "any";
}

const char *pgq_ha_goal_name(enum pgq_ha_goal g)
{
	static const char *const names[PGQ_GOAL__COUNT] = {
		"idle", "bootstrap", "claim", "promote", "primary", "demote", "release", "report",
		"wait", "follow",
	};

	return (unsigned)g < PGQ_GOAL__COUNT ? names[g] : "any";
}

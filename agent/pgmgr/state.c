/*
 * state.c — names of the instance states and roles (pgmgr.h). The strings
 * are part of the REST API: they match Patroni's where Patroni has one.
 */
#include "pgmgr/pgmgr.h"

#include <string.h>

static const char *const state_names[PGMGR_STATE__COUNT] = {
	[PGMGR_STATE_STOPPED] = "stopped",
	[PGMGR_STATE_STARTING] = "starting",
	[PGMGR_STATE_RUNNING] = "running",
	[PGMGR_STATE_STOPPING] = "stopping",
	[PGMGR_STATE_CRASHED] = "crashed",
	[PGMGR_STATE_CREATING_REPLICA] = "creating replica",
	[PGMGR_STATE_REWINDING] = "rewinding",
	[PGMGR_STATE_PROMOTING] = "promoting",
	[PGMGR_STATE_DEMOTING] = "demoting",
	[PGMGR_STATE_START_FAILED] = "start failed",
	[PGMGR_STATE_INITIALIZING] = "initializing new cluster",
	[PGMGR_STATE_INITDB_FAILED] = "initdb failed",
	[PGMGR_STATE_RESTARTING] = "restarting",
	[PGMGR_STATE_FENCED] = "fenced",
};

static const char *const role_names[PGMGR_ROLE__COUNT] = {
	[PGMGR_ROLE_UNINITIALIZED] = "uninitialized",
	[PGMGR_ROLE_PRIMARY] = "primary",
	[PGMGR_ROLE_REPLICA] = "replica",
	[PGMGR_ROLE_UNKNOWN] = "unknown",
};

const char *pgmgr_state_name(enum pgmgr_state state)
{
	if ((unsigned)state >= PGMGR_STATE__COUNT)
		return NULL;
	return state_names[state];
}

const char *pgmgr_role_name(enum pgmgr_role role)
{
	if ((unsigned)role >= PGMGR_ROLE__COUNT)
		return NULL;
	return role_names[role];
}

int pgmgr_state_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < PGMGR_STATE__COUNT; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

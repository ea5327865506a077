/*
 * record_apply.c — decode one committed entry and hand it to its command.
 *
 * S17: the outcome depends only on (record, entry bytes, index). The envelope
 * is {"v": N, "cmd": "...", ...}: a version above PGQ_RECORD_CMD_VERSION stops
 * apply with PGQ_RECORD_ERR_VERSION (the agent names the index and never skips
 * the entry); anything else that is wrong is a rejection, identical on every
 * node. Unknown fields are refused: new fields mean a new version.
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

struct command {
	const char *name;
	rec_handler handler;
	const char *const *fields;
};

#define FIELDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct command commands[] = {
	{ "bootstrap", cmd_bootstrap,
	  FIELDS("scope", "cluster_id", "members", "primary", "config", "system_id", "time_ms") },
	{ "member_add", cmd_member_add,
	  FIELDS("name", "raft_address", "api_url", "pg_address", "tags", "time_ms") },
	{ "member_update", cmd_member_update, FIELDS("name", "api_url", "pg_address", "tags") },
	{ "member_promote", cmd_member_promote, FIELDS("name") },
	{ "member_remove", cmd_member_remove, FIELDS("name", "automatic") },
	{ "member_report", cmd_member_report,
	  FIELDS("member", "role", "state", "timeline", "receive_lsn", "replay_lsn", "flush_lsn",
		 "lag_bytes", "pending_restart", "report_for_loss", "cmd_version", "time_ms") },
	{ "system_id", cmd_system_id, FIELDS("member", "epoch", "system_id") },
	{ "lease_renew", cmd_lease_renew,
	  FIELDS("member", "epoch", "lease_seq", "nonce", "ttl_ms", "time_ms") },
	{ "lease_release", cmd_lease_release,
	  FIELDS("member", "epoch", "lease_seq", "reason", "time_ms") },
	{ "primary_lost", cmd_primary_lost, FIELDS("epoch", "lease_seq", "time_ms") },
	{ "set_primary", cmd_set_primary,
	  FIELDS("member", "epoch", "lease_seq", "reason", "allow_data_loss", "lsn", "time_ms") },
	{ "promoted", cmd_promoted, FIELDS("member", "epoch", "tli", "switch_lsn", "time_ms") },
	{ "vetoed", cmd_vetoed, FIELDS("member", "epoch", "lease_seq", "reason", "time_ms") },
	{ "failover_blocked", cmd_failover_blocked,
	  FIELDS("epoch", "lease_seq", "waiting_for", "time_ms") },
	{ "switchover_request", cmd_switchover_request,
	  FIELDS("from", "to", "epoch", "lease_seq", "time_ms") },
	{ "demoted", cmd_demoted,
	  FIELDS("member", "epoch", "lease_seq", "final_lsn", "tli", "time_ms") },
	{ "switchover_abort", cmd_switchover_abort,
	  FIELDS("epoch", "phase", "reason", "time_ms") },
	{ "switchover_schedule", cmd_switchover_schedule, FIELDS("from", "to", "at_ms", "time_ms") },
	{ "switchover_cancel", cmd_switchover_cancel, FIELDS("time_ms") },
	{ "sync_set_update", cmd_sync_set_update,
	  FIELDS("member", "epoch", "lease_seq", "members", "k") },
	{ "config_patch", cmd_config_patch, FIELDS("patch", "time_ms") },
	{ "config_replace", cmd_config_replace, FIELDS("config", "time_ms") },
	{ "fence_confirm", cmd_fence_confirm, FIELDS("member", "epoch", "time_ms") },
	{ "pause", cmd_pause, FIELDS("time_ms") },
	{ "resume", cmd_resume, FIELDS("time_ms") },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Commands that may arrive before the cluster exists. */
static bool allowed_before_bootstrap(const char *name)
{
	return strcmp(name, "bootstrap") == 0;
}

static int dispatch(struct pgq_record *r, const json_t *c, uint64_t index,
		    struct pgq_apply_result *res, char *why, size_t wl, char *err, size_t errlen)
{
	const json_t *v = json_object_get(c, "v");
	const json_t *name = json_object_get(c, "cmd");
	const struct command *cmd;

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return rec_reject(why, wl, "field 'v' must be a positive integer");
	if (json_integer_value(v) > PGQ_RECORD_CMD_VERSION) {
		snprintf(err, errlen,
			 "entry %llu: command version %lld is newer than this agent's %d: "
			 "stop applying (S17); upgrade this agent",
			 (unsigned long long)index, (long long)json_integer_value(v),
			 PGQ_RECORD_CMD_VERSION);
		return PGQ_RECORD_ERR_VERSION;
	}
	if (!json_is_string(name))
		return rec_reject(why, wl, "field 'cmd' must be a string");
	snprintf(res->cmd, sizeof(res->cmd), "%s", json_string_value(name));
	cmd = find_command(json_string_value(name));
	if (cmd == NULL)
		return rec_reject(why, wl, "unknown command '%.32s'", json_string_value(name));
	if (!fld_check_keys(c, cmd->fields, why, wl))
		return PGQ_RECORD_REJECTED;
	if (!pgq_record_bootstrapped(r) && !allowed_before_bootstrap(cmd->name))
		return rec_reject(why, wl, "cluster not bootstrapped");
	return cmd->handler(r, c, index, why, wl);
}

int pgq_record_apply(struct pgq_record *r, const uint8_t *data, size_t len, uint64_t index,
		     struct pgq_apply_result *res, char *err, size_t errlen)
{
	char why[PGQ_WHY_MAX] = "";
	json_error_t jerr;
	json_t *c;
	int rc;

	if (r == NULL || res == NULL || (data == NULL && len > 0) || err == NULL || errlen == 0)
		return PGQ_RECORD_ERR_INVALID;
	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if (index <= r->last_index) {
		snprintf(err, errlen, "entry %llu: applied out of order (last applied %llu)",
			 (unsigned long long)index, (unsigned long long)r->last_index);
		return PGQ_RECORD_ERR_INVALID;
	}
	/* Duplicate keys would make "which value wins" a parser detail: refuse them. */
	c = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (c == NULL) {
		rc = rec_reject(why, sizeof(why), "bad JSON at byte %d: %.120s", jerr.position,
				jerr.text);
	} else if (!json_is_object(c)) {
		rc = rec_reject(why, sizeof(why), "command must be a JSON object");
	} else {
		rc = dispatch(r, c, index, res, why, sizeof(why), err, errlen);
	}
	json_decref(c);
	if (rc == PGQ_RECORD_ERR_VERSION)
		return rc;
	if (rc == PGQ_RECORD_ERR_NOMEM) {
		snprintf(err, errlen, "entry %llu: out of memory while applying",
			 (unsigned long long)index);
		return rc;
	}
	/* Rejected entries still advance the index: they were applied (as no-ops). */
	r->last_index = index;
	res->accepted = rc == PGQ_RECORD_APPLIED;
	if (!res->accepted)
		snprintf(res->reason, sizeof(res->reason), "rejected: %s", why);
	return rc;
}

/*
 * record_build.c — build the JSON bytes of each cluster record command.
 * The agent calls these and proposes the bytes; apply (record_cmd_*.c)
 * validates them again on every node.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_cmd.h"

/* Version 1 for every command but fence_confirm (2): old agents keep applying them (S17). */
#define V 1

static bool fits(uint64_t v) { return v <= (uint64_t)INT64_MAX; }
#define I(x) ((json_int_t)(x))

/* Dump o canonically into *out and release o (o may be NULL: out of memory). */
static int finish(json_t *o, uint8_t **out, size_t *out_len)
{
	char *s;

	if (o == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	json_decref(o);
	if (s == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	*out = (uint8_t *)s;
	*out_len = strlen(s);
	return 0;
}

static json_t *tags_json(const struct pgq_cmd_tags *t)
{
	json_t *o = json_pack("{s:b, s:b, s:b, s:i}", "nofailover", t->nofailover,
			      "noloadbalance", t->noloadbalance, "nosync", t->nosync,
			      "failover_priority", (int)t->failover_priority);

	if (o != NULL && t->custom != NULL &&
	    json_object_set_new(o, "custom", json_deep_copy(t->custom)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* name, raft_address and the optional fields of m into o. */
static int member_fields(json_t *o, const struct pgq_cmd_member *m, bool with_raft_address)
{
	if (json_object_set_new(o, "name", json_string(m->name)) != 0 ||
	    (with_raft_address &&
	     json_object_set_new(o, "raft_address", json_string(m->raft_address)) != 0) ||
	    (m->api_url && json_object_set_new(o, "api_url", json_string(m->api_url)) != 0) ||
	    (m->pg_address && json_object_set_new(o, "pg_address", json_string(m->pg_address)) != 0) ||
	    (m->tags && json_object_set_new(o, "tags", tags_json(m->tags)) != 0))
		return PGQ_RECORD_ERR_NOMEM;
	return 0;
}

int pgq_cmd_bootstrap(const char *scope, const char *cluster_id,
		      const struct pgq_cmd_member *members, size_t n, const char *primary,
		      const json_t *config, const char *system_id, uint64_t time_ms,
		      uint8_t **out, size_t *out_len)
{
	json_t *o, *arr;

	if (!scope || !cluster_id || (n && !members) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!members[i].name || !members[i].raft_address)
			return PGQ_RECORD_ERR_INVALID;
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:[]}", "v", V, "cmd", "bootstrap",
		      "scope", scope, "cluster_id", cluster_id, "time_ms", I(time_ms), "members");
	if (o == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	arr = json_object_get(o, "members");
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object();

		if (m == NULL || json_array_append_new(arr, m) != 0 ||
		    member_fields(m, &members[i], true) != 0) {
			json_decref(o);
			return PGQ_RECORD_ERR_NOMEM;
		}
	}
	if ((primary && json_object_set_new(o, "primary", json_string(primary)) != 0) ||
	    (config && json_object_set_new(o, "config", json_deep_copy(config)) != 0) ||
	    (system_id && json_object_set_new(o, "system_id", json_string(system_id)) != 0)) {
		json_decref(o);
		return PGQ_RECORD_ERR_NOMEM;
	}
	return finish(o, out, out_len);
}

int pgq_cmd_member_add(const struct pgq_cmd_member *m, uint64_t time_ms,
		       uint8_t **out, size_t *out_len)
{
	json_t *o;

	if (!m || !m->name || !m->raft_address || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	o = json_pack("{s:i, s:s, s:I}", "v", V, "cmd", "member_add", "time_ms", I(time_ms));
	if (o != NULL && member_fields(o, m, true) != 0) {
		json_decref(o);
		return PGQ_RECORD_ERR_NOMEM;
	}
	return finish(o, out, out_len);
}

int pgq_cmd_member_update(const struct pgq_cmd_member *m, uint8_t **out, size_t *out_len)
{
	json_t *o;

	if (!m || !m->name || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	o = json_pack("{s:i, s:s}", "v", V, "cmd", "member_update");
	if (o != NULL && member_fields(o, m, false) != 0) {
		json_decref(o);
		return PGQ_RECORD_ERR_NOMEM;
	}
	return finish(o, out, out_len);
}

int pgq_cmd_member_promote(const char *name, uint8_t **out, size_t *out_len)
{
	if (!name || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s}", "v", V, "cmd", "member_promote", "name", name),
		      out, out_len);
}

int pgq_cmd_member_remove(const char *name, bool automatic, uint8_t **out, size_t *out_len)
{
	if (!name || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:b}", "v", V, "cmd", "member_remove",
				"name", name, "automatic", automatic),
		      out, out_len);
}

int pgq_cmd_member_report(const struct pgq_cmd_report *rep, uint8_t **out, size_t *out_len)
{
	if (!rep || !rep->member || !rep->role || !rep->state || !out || !out_len ||
	    !fits(rep->receive_lsn) || !fits(rep->replay_lsn) || !fits(rep->flush_lsn) ||
	    !fits(rep->lag_bytes) || !fits(rep->report_for_loss) || !fits(rep->time_ms))
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, "
				"s:I}",
				"v", V, "cmd", "member_report", "member", rep->member,
				"role", rep->role, "state", rep->state,
				"timeline", I(rep->timeline), "receive_lsn", I(rep->receive_lsn),
				"replay_lsn", I(rep->replay_lsn), "flush_lsn", I(rep->flush_lsn),
				"lag_bytes", I(rep->lag_bytes), "pending_restart", rep->pending_restart,
				"report_for_loss", I(rep->report_for_loss),
				"time_ms", I(rep->time_ms), "cmd_version", I(PGQ_RECORD_CMD_VERSION)),
		      out, out_len);
}

int pgq_cmd_system_id(const char *member, uint64_t epoch, const char *system_id,
		      uint8_t **out, size_t *out_len)
{
	if (!member || !system_id || !fits(epoch) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:s}", "v", V, "cmd", "system_id",
				"member", member, "epoch", I(epoch), "system_id", system_id),
		      out, out_len);
}

int pgq_cmd_lease_renew(const char *member, uint64_t epoch, uint64_t lease_seq, uint64_t nonce,
			uint32_t ttl_ms, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(lease_seq) || !fits(nonce) || !fits(time_ms) ||
	    !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "v", V,
				"cmd", "lease_renew", "member", member, "epoch", I(epoch),
				"lease_seq", I(lease_seq), "nonce", I(nonce), "ttl_ms", I(ttl_ms),
				"time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_lease_release(const char *member, uint64_t epoch, uint64_t lease_seq,
			  const char *reason, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(lease_seq) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:I}", "v", V,
				"cmd", "lease_release", "member", member, "epoch", I(epoch),
				"lease_seq", I(lease_seq), "reason", reason ? reason : "",
				"time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_primary_lost(uint64_t epoch, uint64_t lease_seq, uint64_t time_ms,
			 uint8_t **out, size_t *out_len)
{
	if (!fits(epoch) || !fits(lease_seq) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:I, s:I, s:I}", "v", V, "cmd", "primary_lost",
				"epoch", I(epoch), "lease_seq", I(lease_seq), "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_set_primary(const char *member, uint64_t epoch, uint64_t lease_seq,
			enum pgq_change_reason reason, bool allow_data_loss, uint64_t lsn,
			uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || reason == PGQ_CHANGE_BOOTSTRAP || reason > PGQ_CHANGE_SWITCHOVER ||
	    !fits(epoch) || !fits(lease_seq) || !fits(lsn) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:b, s:I, s:I}", "v", V,
				"cmd", "set_primary", "member", member, "epoch", I(epoch),
				"lease_seq", I(lease_seq), "reason", pgq_change_reason_name(reason),
				"allow_data_loss", allow_data_loss, "lsn", I(lsn),
				"time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_promoted(const char *member, uint64_t epoch, uint32_t tli, uint64_t switch_lsn,
		     uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(switch_lsn) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I}", "v", V, "cmd", "promoted",
				"member", member, "epoch", I(epoch), "tli", I(tli),
				"switch_lsn", I(switch_lsn), "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_vetoed(const char *member, uint64_t epoch, uint64_t lease_seq, const char *reason,
		   uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(lease_seq) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:I}", "v", V, "cmd", "vetoed",
				"member", member, "epoch", I(epoch), "lease_seq", I(lease_seq),
				"reason", reason ? reason : "", "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_failover_blocked(uint64_t epoch, uint64_t lease_seq, const char *waiting_for,
			     uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!waiting_for || !fits(epoch) || !fits(lease_seq) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:I, s:I, s:s, s:I}", "v", V, "cmd", "failover_blocked",
				"epoch", I(epoch), "lease_seq", I(lease_seq),
				"waiting_for", waiting_for, "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_switchover_request(const char *from, const char *to, uint64_t epoch,
			       uint64_t lease_seq, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!from || !to || !fits(epoch) || !fits(lease_seq) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I}", "v", V,
				"cmd", "switchover_request", "from", from, "to", to,
				"epoch", I(epoch), "lease_seq", I(lease_seq), "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_demoted(const char *member, uint64_t epoch, uint64_t lease_seq, uint64_t final_lsn,
		    uint32_t tli, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(lease_seq) || !fits(final_lsn) || !fits(time_ms) ||
	    !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "v", V,
				"cmd", "demoted", "member", member, "epoch", I(epoch),
				"lease_seq", I(lease_seq), "final_lsn", I(final_lsn),
				"tli", I(tli), "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_switchover_abort(uint64_t epoch, enum pgq_switchover_phase phase, const char *reason,
			     uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!fits(epoch) || !fits(time_ms) || phase > PGQ_SWITCHOVER_ABORTED || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:I, s:s, s:s, s:I}", "v", V,
				"cmd", "switchover_abort", "epoch", I(epoch),
				"phase", pgq_switchover_phase_name(phase),
				"reason", reason ? reason : "", "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_switchover_schedule(const char *from, const char *to, uint64_t at_ms,
				uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	json_t *o;

	if (!from || !fits(at_ms) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	o = json_pack("{s:i, s:s, s:s, s:I, s:I}", "v", V, "cmd", "switchover_schedule",
		      "from", from, "at_ms", I(at_ms), "time_ms", I(time_ms));
	if (o != NULL && to != NULL && to[0] != '\0' &&
	    json_object_set_new(o, "to", json_string(to)) != 0) {
		json_decref(o);
		return PGQ_RECORD_ERR_NOMEM;
	}
	return finish(o, out, out_len);
}

int pgq_cmd_switchover_cancel(uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:I}", "v", V, "cmd", "switchover_cancel",
				"time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_sync_set_update(const char *member, uint64_t epoch, uint64_t lease_seq,
			    const char *const *names, size_t n, uint32_t k,
			    uint8_t **out, size_t *out_len)
{
	json_t *o, *arr;

	if (!member || (n && !names) || !fits(epoch) || !fits(lease_seq) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (names[i] == NULL)
			return PGQ_RECORD_ERR_INVALID;
	o = json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:[]}", "v", V, "cmd", "sync_set_update",
		      "member", member, "epoch", I(epoch), "lease_seq", I(lease_seq), "k", I(k),
		      "members");
	if (o == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	arr = json_object_get(o, "members");
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(arr, json_string(names[i])) != 0) {
			json_decref(o);
			return PGQ_RECORD_ERR_NOMEM;
		}
	}
	return finish(o, out, out_len);
}

static int with_object(const char *cmd, const char *key, const json_t *value, uint64_t time_ms,
		       uint8_t **out, size_t *out_len)
{
	json_t *copy;

	if (!value || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	copy = json_deep_copy(value);
	if (copy == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	return finish(json_pack("{s:i, s:s, s:o, s:I}", "v", V, "cmd", cmd, key, copy,
				"time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_config_patch(const json_t *patch, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	return with_object("config_patch", "patch", patch, time_ms, out, out_len);
}

int pgq_cmd_config_replace(const json_t *config, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	return with_object("config_replace", "config", config, time_ms, out, out_len);
}

int pgq_cmd_fence_confirm(const char *member, uint64_t epoch, uint64_t time_ms, uint8_t **out,
			  size_t *out_len)
{
	if (!member || !fits(epoch) || !fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	/* S17: version 2; proposed only once every voter applies it. */
	return finish(json_pack("{s:i, s:s, s:s, s:I, s:I}", "v",
				PGQ_RECORD_CMD_VERSION_FENCE_CONFIRM, "cmd", "fence_confirm",
				"member", member, "epoch", I(epoch), "time_ms", I(time_ms)),
		      out, out_len);
}

static int simple(const char *cmd, uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	if (!fits(time_ms) || !out || !out_len)
		return PGQ_RECORD_ERR_INVALID;
	return finish(json_pack("{s:i, s:s, s:I}", "v", V, "cmd", cmd, "time_ms", I(time_ms)),
		      out, out_len);
}

int pgq_cmd_pause(uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	return simple("pause", time_ms, out, out_len);
}

int pgq_cmd_resume(uint64_t time_ms, uint8_t **out, size_t *out_len)
{
	return simple("resume", time_ms, out, out_len);
}

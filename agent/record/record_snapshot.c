/*
 * record_snapshot.c — the whole record to and from canonical JSON bytes
 * (Raft snapshots, storage), and the JSON view behind GET /cluster.
 *
 * Canonical: compact, keys sorted, members in raft id order, so two equal
 * records always give identical bytes (the determinism tests compare them)
 * and restore(snapshot(r)) snapshots to the same bytes again. Restore treats
 * the bytes as untrusted (a peer sent them, a disk kept them): every field
 * is checked as strictly as a command's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record_internal.h"

static json_t *member_json(const struct pgq_member *m)
{
	const struct pgq_member_status *s = &m->status;

	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:b, s:o, s:I, s:{s:b, s:s, s:s, s:I, s:I, "
			 "s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I}}",
			 "name", m->name, "raft_id", (json_int_t)m->raft_id,
			 "raft_address", m->raft_address, "api_url", m->api_url,
			 "pg_address", m->pg_address, "voter", m->voter,
			 "tags", tags_to_json(&m->tags), "vetoed_epoch", (json_int_t)m->vetoed_epoch,
			 "status", "reported", s->reported, "role", s->role, "state", s->state,
			 "timeline", (json_int_t)s->timeline, "receive_lsn", (json_int_t)s->receive_lsn,
			 "replay_lsn", (json_int_t)s->replay_lsn, "flush_lsn", (json_int_t)s->flush_lsn,
			 "lag_bytes", (json_int_t)s->lag_bytes, "pending_restart", s->pending_restart,
			 "reported_at_ms", (json_int_t)s->reported_at_ms,
			 "report_index", (json_int_t)s->report_index,
			 "report_for_loss", (json_int_t)s->report_for_loss,
			 "cmd_version", (json_int_t)s->cmd_version);
}

static json_t *primary_json(const struct pgq_primary *p)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:b, s:I, "
			 "s:I, s:I, s:s}",
			 "state", pgq_primary_state_name(p->state), "name", p->name,
			 "epoch", (json_int_t)p->epoch, "lease_seq", (json_int_t)p->lease_seq,
			 "lease_nonce", (json_int_t)p->lease_nonce,
			 "lease_ttl_ms", (json_int_t)p->lease_ttl_ms,
			 "lease_timer_index", (json_int_t)p->lease_timer_index,
			 "loss_ttl_ms", (json_int_t)p->loss_ttl_ms,
			 "renewed_at_ms", (json_int_t)p->renewed_at_ms,
			 "named_index", (json_int_t)p->named_index,
			 "named_reason", pgq_change_reason_name(p->named_reason),
			 "named_at_ms", (json_int_t)p->named_at_ms, "promoted", p->promoted,
			 "lost_index", (json_int_t)p->lost_index, "lost_at_ms", (json_int_t)p->lost_at_ms,
			 "final_lsn", (json_int_t)p->final_lsn, "end_reason", p->end_reason);
}

/* The record as a JSON object; `config` is stored (snapshot) or effective (view). */
static json_t *record_json(const struct pgq_record *r, json_t *config)
{
	json_t *o = NULL, *members = json_array(), *timelines = json_array();
	json_t *history = json_array(), *sync_members = json_array(), *fence = json_array();
	json_t *sched = NULL, *blocked = NULL;
	bool ok = members && timelines && history && sync_members && fence && config;

	for (uint32_t i = 0; ok && i < r->n_members; i++)
		ok = json_array_append_new(members, member_json(&r->members[i])) == 0;
	for (size_t i = 0; ok && i < r->n_timelines; i++)
		ok = json_array_append_new(timelines,
			json_pack("{s:I, s:I, s:I}", "tli", (json_int_t)r->timelines[i].tli,
				  "parent", (json_int_t)r->timelines[i].parent,
				  "switch_lsn", (json_int_t)r->timelines[i].switch_lsn)) == 0;
	for (size_t i = 0; ok && i < r->n_history; i++) {
		const struct pgq_history_entry *h = &r->history[i];

		json_t *row = json_pack("{s:I, s:I, s:I, s:s, s:I, s:s}", "epoch", (json_int_t)h->epoch,
					"timeline", (json_int_t)h->timeline, "lsn", (json_int_t)h->lsn,
					"reason", pgq_change_reason_name(h->reason),
					"time_ms", (json_int_t)h->time_ms,
					"new_primary", h->new_primary);

		/* L8: only when an operator confirmed a fence, so older snapshots keep their bytes. */
		if (row != NULL && h->fence_confirmed[0] != '\0' &&
		    (json_object_set_new(row, "fence_confirmed", json_string(h->fence_confirmed)) != 0 ||
		     json_object_set_new(row, "fence_confirmed_ms",
					 json_integer((json_int_t)h->fence_confirmed_ms)) != 0)) {
			json_decref(row);
			row = NULL;
		}
		ok = row != NULL && json_array_append_new(history, row) == 0;
	}
	for (uint32_t i = 0; ok && i < r->sync.n; i++)
		ok = json_array_append_new(sync_members, json_string(r->sync.members[i])) == 0;
	for (uint32_t i = 0; ok && i < r->n_fence; i++)
		ok = json_array_append_new(fence, json_string(r->fence[i])) == 0;
	sched = r->scheduled.set
			? json_pack("{s:I, s:s, s:s}", "at_ms", (json_int_t)r->scheduled.at_ms,
				    "from", r->scheduled.from, "to", r->scheduled.to)
			: json_null();
	blocked = r->blocked.set
			  ? json_pack("{s:s, s:I, s:I}", "waiting_for", r->blocked.waiting_for,
				      "since_ms", (json_int_t)r->blocked.since_ms,
				      "epoch", (json_int_t)r->blocked.epoch)
			  : json_null();
	if (ok && sched && blocked) {
		const struct pgq_switchover *sw = &r->switchover;

		/* json_pack with 'o' steals every reference, also on failure. */
		o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:{s:o, s:I}, s:I, s:o, "
			      "s:o, s:b, s:o, s:{s:s, s:s, s:s, s:I, s:I, s:s}, s:o, s:o}",
			      "format", PGQ_RECORD_SNAPSHOT_FORMAT, "scope", r->scope,
			      "cluster_id", r->cluster_id, "system_id", r->system_id,
			      "last_index", (json_int_t)r->last_index,
			      "max_raft_id", (json_int_t)r->max_raft_id,
			      "members", members, "primary", primary_json(&r->primary),
			      "sync", "members", sync_members, "k", (json_int_t)r->sync.k,
			      "timeline", (json_int_t)r->timeline, "timelines", timelines,
			      "config", config, "paused", r->paused,
			      "scheduled_switchover", sched,
			      "switchover", "phase", pgq_switchover_phase_name(sw->phase),
			      "from", sw->from, "to", sw->to, "epoch", (json_int_t)sw->epoch,
			      "started_at_ms", (json_int_t)sw->started_at_ms,
			      "abort_reason", sw->abort_reason,
			      "failover_blocked", blocked, "history", history);
		if (o != NULL && json_object_set_new(o, "fence_pending", fence) != 0) {
			json_decref(o);
			return NULL;
		}
		if (o == NULL)
			json_decref(fence);
		return o;
	}
	json_decref(members);
	json_decref(timelines);
	json_decref(history);
	json_decref(sync_members);
	json_decref(fence);
	json_decref(config);
	json_decref(sched);
	json_decref(blocked);
	return NULL;
}

int pgq_record_snapshot(const struct pgq_record *r, uint8_t **out, size_t *out_len)
{
	json_t *o;
	char *s;

	if (r == NULL || out == NULL || out_len == NULL)
		return PGQ_RECORD_ERR_INVALID;
	o = record_json(r, json_deep_copy(r->config));
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

/*
 * The view's member role (GET /cluster, Patroni's names): "leader" for the
 * recorded primary, "sync_standby" / "quorum_standby" for members of the
 * recorded set while k_rec > 0 (S7: they hold every acknowledged commit),
 * else the role the member last reported. Not in snapshots: derived.
 */
static const char *view_role(const struct pgq_record *r, const struct pgq_member *m)
{
	if (r->primary.state != PGQ_PRIMARY_NONE && strcmp(r->primary.name, m->name) == 0)
		return "leader";
	if (r->sync.k > 0 && rec_sync_set_contains(&r->sync, m->name))
		return r->cfg.synchronous_mode == PGQ_RECORD_SYNC_QUORUM ? "quorum_standby"
									 : "sync_standby";
	return m->status.reported && m->status.role[0] != '\0' ? m->status.role : "unknown";
}

/* PostgreSQL's text form of an LSN ("16/B374D848"). */
static json_t *lsn_json(uint64_t lsn)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
	return json_string(buf);
}

/* "host:port" or "[v6]:port" → host and port; false when there is no port. */
static bool split_address(const char *addr, char *host, size_t hostlen, long *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n;
	char *end;

	if (colon == NULL || colon == addr)
		return false;
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		h = addr + 1;
		n -= 2;
	}
	*port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || *port <= 0 || *port > 65535 || n >= hostlen)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	return true;
}

/* The furthest position a member reported (what `lag` is measured against). */
static uint64_t member_position(const struct pgq_member_status *s)
{
	uint64_t p = s->receive_lsn > s->replay_lsn ? s->receive_lsn : s->replay_lsn;

	return s->flush_lsn > p ? s->flush_lsn : p;
}

static json_t *lag_json(uint64_t ref, uint64_t lsn, bool known)
{
	if (!known)
		return json_string("unknown"); /* Patroni's value when it can't tell */
	return json_integer(ref > lsn ? (json_int_t)(ref - lsn) : 0);
}

/*
 * Patroni's GET /cluster member fields: host, port, state, timeline,
 * pending_restart and, for standbys, lsn/lag, receive_lsn/receive_lag,
 * replay_lsn/replay_lag in bytes behind the primary's last reported
 * position ("unknown" when the primary has not reported).
 */
static int patroni_member(json_t *o, const struct pgq_record *r, const struct pgq_member *m,
			  const char *role)
{
	const struct pgq_member_status *s = &m->status;
	const struct pgq_member *p = NULL;
	char host[256];
	long port = 0;
	bool ref_known;
	uint64_t ref = 0, lsn;
	int rc = 0;

	if (split_address(m->pg_address, host, sizeof(host), &port)) {
		rc |= json_object_set_new(o, "host", json_string(host));
		rc |= json_object_set_new(o, "port", json_integer(port));
	}
	rc |= json_object_set_new(o, "state", json_string(s->reported ? s->state : "unknown"));
	if (s->reported && s->timeline > 0)
		rc |= json_object_set_new(o, "timeline", json_integer((json_int_t)s->timeline));
	rc |= json_object_set_new(o, "pending_restart", json_boolean(s->pending_restart));
	if (strcmp(role, "leader") == 0 || !s->reported || strcmp(s->role, "replica") != 0)
		return rc;
	for (uint32_t i = 0; i < r->n_members; i++)
		if (r->primary.state != PGQ_PRIMARY_NONE &&
		    strcmp(r->members[i].name, r->primary.name) == 0)
			p = &r->members[i];
	ref_known = p != NULL && p->status.reported && strcmp(p->status.role, "primary") == 0;
	if (ref_known)
		ref = member_position(&p->status);
	lsn = s->receive_lsn > s->replay_lsn ? s->receive_lsn : s->replay_lsn;
	rc |= json_object_set_new(o, "lsn", lsn_json(lsn));
	rc |= json_object_set_new(o, "lag", lag_json(ref, lsn, ref_known));
	rc |= json_object_set_new(o, "receive_lsn", lsn_json(s->receive_lsn));
	rc |= json_object_set_new(o, "receive_lag", lag_json(ref, s->receive_lsn, ref_known));
	rc |= json_object_set_new(o, "replay_lsn", lsn_json(s->replay_lsn));
	rc |= json_object_set_new(o, "replay_lag", lag_json(ref, s->replay_lsn, ref_known));
	return rc;
}

static int by_name(const void *a, const void *b)
{
	const char *na = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *nb = json_string_value(json_object_get(*(json_t *const *)b, "name"));

	return strcmp(na != NULL ? na : "", nb != NULL ? nb : "");
}

/* Patroni lists members by name; the record keeps Raft id order. */
static int sort_members_by_name(json_t *members)
{
	size_t n = json_array_size(members);
	json_t **v = n > 0 ? calloc(n, sizeof(*v)) : NULL;
	int rc = 0;

	if (n == 0)
		return 0;
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(members, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(members);
	for (size_t i = 0; i < n; i++)
		rc |= json_array_append_new(members, v[i]);
	free(v);
	return rc;
}

/*
 * The view adds, for readers, `scheduled_switchover.at` as ISO 8601 UTC
 * (Patroni's GET /cluster field) next to the stored `at_ms`, Patroni's
 * `pause`, and for each member Patroni's fields (view_role, patroni_member).
 * Members are sorted by name, as Patroni lists them. Formatting a stored
 * value reads no clock, so the view stays a function of the record.
 */
json_t *pgq_record_to_json(const struct pgq_record *r)
{
	json_t *o = r ? record_json(r, pgq_dyn_config_effective(r->config)) : NULL;
	json_t *sched = o != NULL ? json_object_get(o, "scheduled_switchover") : NULL;
	json_t *members = o != NULL ? json_object_get(o, "members") : NULL;

	if (json_is_object(sched)) {
		time_t t = (time_t)(r->scheduled.at_ms / 1000);
		struct tm tm;
		char at[64] = "";

		if (gmtime_r(&t, &tm) != NULL &&
		    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm) > 0) {
			size_t n = strlen(at);

			snprintf(at + n, sizeof(at) - n, ".%03u+00:00",
				 (unsigned)(r->scheduled.at_ms % 1000));
			json_object_set_new(sched, "at", json_string(at));
		}
	}
	for (uint32_t i = 0; members != NULL && i < r->n_members && i < json_array_size(members); i++) {
		const char *role = view_role(r, &r->members[i]);
		json_t *m = json_array_get(members, i);

		if (json_object_set_new(m, "role", json_string(role)) != 0 ||
		    patroni_member(m, r, &r->members[i], role) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	if (o != NULL && (json_object_set_new(o, "pause", json_boolean(r->paused)) != 0 ||
			  sort_members_by_name(members) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* --- restore --------------------------------------------------------------- */

static bool enum_value(const json_t *o, const char *key, const char *(*name)(int), int count,
		       int *out, char *why, size_t wl)
{
	const char *s = json_string_value(json_object_get(o, key));

	for (int i = 0; s != NULL && i < count; i++) {
		if (strcmp(s, name(i)) == 0) {
			*out = i;
			return true;
		}
	}
	snprintf(why, wl, "field '%s' has an unknown value", key);
	return false;
}

static const char *state_name_i(int i) { return pgq_primary_state_name((enum pgq_primary_state)i); }
static const char *phase_name_i(int i) { return pgq_switchover_phase_name((enum pgq_switchover_phase)i); }
static const char *reason_name_i(int i) { return pgq_change_reason_name((enum pgq_change_reason)i); }

static int restore_member(const json_t *o, struct pgq_member *m, char *why, size_t wl)
{
	const json_t *tags = NULL, *st = NULL;
	struct pgq_member_status *s = &m->status;
	uint64_t raft_id = 0;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o))
		return rec_reject(why, wl, "members must be objects");
	if (!fld_name(o, "name", true, m->name, why, wl) ||
	    !fld_u64(o, "raft_id", true, &raft_id, why, wl) ||
	    !fld_str(o, "raft_address", true, m->raft_address, sizeof(m->raft_address), why, wl) ||
	    !fld_str(o, "api_url", true, m->api_url, sizeof(m->api_url), why, wl) ||
	    !fld_str(o, "pg_address", true, m->pg_address, sizeof(m->pg_address), why, wl) ||
	    !fld_bool(o, "voter", true, &m->voter, why, wl) ||
	    !fld_u64(o, "vetoed_epoch", true, &m->vetoed_epoch, why, wl) ||
	    !fld_object(o, "tags", true, &tags, why, wl) ||
	    !fld_object(o, "status", true, &st, why, wl) ||
	    !fld_bool(st, "reported", true, &s->reported, why, wl) ||
	    !fld_str(st, "role", true, s->role, sizeof(s->role), why, wl) ||
	    !fld_str(st, "state", true, s->state, sizeof(s->state), why, wl) ||
	    !fld_u32(st, "timeline", true, UINT32_MAX, &s->timeline, why, wl) ||
	    !fld_u64(st, "receive_lsn", true, &s->receive_lsn, why, wl) ||
	    !fld_u64(st, "replay_lsn", true, &s->replay_lsn, why, wl) ||
	    !fld_u64(st, "flush_lsn", true, &s->flush_lsn, why, wl) ||
	    !fld_u64(st, "lag_bytes", true, &s->lag_bytes, why, wl) ||
	    !fld_bool(st, "pending_restart", true, &s->pending_restart, why, wl) ||
	    !fld_u64(st, "reported_at_ms", true, &s->reported_at_ms, why, wl) ||
	    !fld_u64(st, "report_index", true, &s->report_index, why, wl) ||
	    !fld_u64(st, "report_for_loss", true, &s->report_for_loss, why, wl) ||
	    !fld_u32(st, "cmd_version", true, UINT32_MAX, &s->cmd_version, why, wl))
		return PGQ_RECORD_REJECTED;
	if (raft_id == 0)
		return rec_reject(why, wl, "member '%s' has raft id 0", m->name);
	m->raft_id = raft_id;
	return fld_tags(tags, &m->tags, why, wl);
}

static int restore_primary(const json_t *o, struct pgq_primary *p, char *why, size_t wl)
{
	int state = 0, reason = 0;

	if (!json_is_object(o))
		return rec_reject(why, wl, "field 'primary' must be an object");
	if (!enum_value(o, "state", state_name_i, PGQ_PRIMARY_VETOED + 1, &state, why, wl) ||
	    !fld_str(o, "name", true, p->name, sizeof(p->name), why, wl) ||
	    !fld_u64(o, "epoch", true, &p->epoch, why, wl) ||
	    !fld_u64(o, "lease_seq", true, &p->lease_seq, why, wl) ||
	    !fld_u64(o, "lease_nonce", true, &p->lease_nonce, why, wl) ||
	    !fld_u32(o, "lease_ttl_ms", true, UINT32_MAX, &p->lease_ttl_ms, why, wl) ||
	    !fld_u64(o, "lease_timer_index", true, &p->lease_timer_index, why, wl) ||
	    !fld_u32(o, "loss_ttl_ms", true, UINT32_MAX, &p->loss_ttl_ms, why, wl) ||
	    !fld_u64(o, "renewed_at_ms", true, &p->renewed_at_ms, why, wl) ||
	    !fld_u64(o, "named_index", true, &p->named_index, why, wl) ||
	    !enum_value(o, "named_reason", reason_name_i, PGQ_CHANGE_SWITCHOVER + 1, &reason, why, wl) ||
	    !fld_u64(o, "named_at_ms", true, &p->named_at_ms, why, wl) ||
	    !fld_bool(o, "promoted", true, &p->promoted, why, wl) ||
	    !fld_u64(o, "lost_index", true, &p->lost_index, why, wl) ||
	    !fld_u64(o, "lost_at_ms", true, &p->lost_at_ms, why, wl) ||
	    !fld_u64(o, "final_lsn", true, &p->final_lsn, why, wl) ||
	    !fld_str(o, "end_reason", true, p->end_reason, sizeof(p->end_reason), why, wl))
		return PGQ_RECORD_REJECTED;
	p->state = (enum pgq_primary_state)state;
	p->named_reason = (enum pgq_change_reason)reason;
	return 0;
}

static int restore_lists(const json_t *o, struct pgq_record *r, char *why, size_t wl)
{
	const json_t *tls = NULL, *hist = NULL, *v;
	size_t i;
	int rc;

	if (!fld_array(o, "timelines", true, &tls, why, wl) ||
	    !fld_array(o, "history", true, &hist, why, wl))
		return PGQ_RECORD_REJECTED;
	if (json_array_size(hist) > PGQ_RECORD_HISTORY_MAX)
		return rec_reject(why, wl, "history longer than %d entries", PGQ_RECORD_HISTORY_MAX);
	json_array_foreach(tls, i, v) {
		struct pgq_timeline t = { 0 };

		if (!json_is_object(v) || !fld_u32(v, "tli", true, UINT32_MAX, &t.tli, why, wl) ||
		    !fld_u32(v, "parent", true, UINT32_MAX, &t.parent, why, wl) ||
		    !fld_u64(v, "switch_lsn", true, &t.switch_lsn, why, wl))
			return rec_reject(why, wl, "timelines[%zu] malformed", i);
		if (r->n_timelines > 0 && t.tli <= r->timelines[r->n_timelines - 1].tli)
			return rec_reject(why, wl, "timelines not increasing at %zu", i);
		rc = rec_reserve_timeline(r);
		if (rc != 0)
			return rc;
		r->timelines[r->n_timelines++] = t;
	}
	json_array_foreach(hist, i, v) {
		struct pgq_history_entry h = { 0 };
		int reason = 0;

		if (!json_is_object(v) || !fld_u64(v, "epoch", true, &h.epoch, why, wl) ||
		    !fld_u32(v, "timeline", true, UINT32_MAX, &h.timeline, why, wl) ||
		    !fld_u64(v, "lsn", true, &h.lsn, why, wl) ||
		    !enum_value(v, "reason", reason_name_i, PGQ_CHANGE_SWITCHOVER + 1, &reason, why, wl) ||
		    !fld_u64(v, "time_ms", true, &h.time_ms, why, wl) ||
		    !fld_name(v, "new_primary", true, h.new_primary, why, wl) ||
		    !fld_name(v, "fence_confirmed", false, h.fence_confirmed, why, wl) ||
		    !fld_u64(v, "fence_confirmed_ms", false, &h.fence_confirmed_ms, why, wl))
			return rec_reject(why, wl, "history[%zu] malformed", i);
		h.reason = (enum pgq_change_reason)reason;
		rc = rec_reserve_history(r);
		if (rc != 0)
			return rc;
		rec_append_history(r, &h);
	}
	return 0;
}

static int restore_misc(const json_t *o, struct pgq_record *r, char *why, size_t wl)
{
	const json_t *sync = NULL, *sm = NULL, *sw = NULL, *sched, *blocked, *v;
	int phase = 0;
	size_t i;

	if (!fld_object(o, "sync", true, &sync, why, wl) ||
	    !fld_array(sync, "members", true, &sm, why, wl) ||
	    !fld_u32(sync, "k", true, PGQ_RECORD_MAX_MEMBERS, &r->sync.k, why, wl) ||
	    !fld_bool(o, "paused", true, &r->paused, why, wl) ||
	    !fld_object(o, "switchover", true, &sw, why, wl) ||
	    !enum_value(sw, "phase", phase_name_i, PGQ_SWITCHOVER_ABORTED + 1, &phase, why, wl) ||
	    !fld_str(sw, "from", true, r->switchover.from, PGQ_RECORD_NAME_MAX, why, wl) ||
	    !fld_str(sw, "to", true, r->switchover.to, PGQ_RECORD_NAME_MAX, why, wl) ||
	    !fld_u64(sw, "epoch", true, &r->switchover.epoch, why, wl) ||
	    !fld_u64(sw, "started_at_ms", true, &r->switchover.started_at_ms, why, wl) ||
	    !fld_str(sw, "abort_reason", true, r->switchover.abort_reason, PGQ_RECORD_TEXT_MAX,
		     why, wl))
		return PGQ_RECORD_REJECTED;
	r->switchover.phase = (enum pgq_switchover_phase)phase;
	if (json_array_size(sm) > PGQ_RECORD_MAX_MEMBERS || r->sync.k > json_array_size(sm))
		return rec_reject(why, wl, "sync set malformed");
	json_array_foreach(sm, i, v) {
		const char *n = json_string_value(v);

		if (n == NULL || rec_member_by_name(r, n) == NULL)
			return rec_reject(why, wl, "sync set names an unknown member");
		snprintf(r->sync.members[r->sync.n++], PGQ_RECORD_NAME_MAX, "%s", n);
	}
	{
		const json_t *fence = NULL;

		if (!fld_array(o, "fence_pending", true, &fence, why, wl))
			return PGQ_RECORD_REJECTED;
		if (json_array_size(fence) > PGQ_RECORD_MAX_MEMBERS)
			return rec_reject(why, wl, "fence_pending too long");
		json_array_foreach(fence, i, v) {
			const char *n = json_string_value(v);

			if (n == NULL || !valid_member_name(n))
				return rec_reject(why, wl, "fence_pending names an invalid member");
			snprintf(r->fence[r->n_fence++], PGQ_RECORD_NAME_MAX, "%s", n);
		}
	}
	sched = json_object_get(o, "scheduled_switchover");
	if (json_is_object(sched)) {
		r->scheduled.set = true;
		if (!fld_u64(sched, "at_ms", true, &r->scheduled.at_ms, why, wl) ||
		    !fld_str(sched, "from", true, r->scheduled.from, PGQ_RECORD_NAME_MAX, why, wl) ||
		    !fld_str(sched, "to", true, r->scheduled.to, PGQ_RECORD_NAME_MAX, why, wl))
			return PGQ_RECORD_REJECTED;
	} else if (!json_is_null(sched)) {
		return rec_reject(why, wl, "field 'scheduled_switchover' malformed");
	}
	blocked = json_object_get(o, "failover_blocked");
	if (json_is_object(blocked)) {
		r->blocked.set = true;
		if (!fld_str(blocked, "waiting_for", true, r->blocked.waiting_for,
			     PGQ_RECORD_TEXT_MAX, why, wl) ||
		    !fld_u64(blocked, "since_ms", true, &r->blocked.since_ms, why, wl) ||
		    !fld_u64(blocked, "epoch", true, &r->blocked.epoch, why, wl))
			return PGQ_RECORD_REJECTED;
	} else if (!json_is_null(blocked)) {
		return rec_reject(why, wl, "field 'failover_blocked' malformed");
	}
	return 0;
}

static int restore_into(const json_t *o, struct pgq_record *r, char *why, size_t wl)
{
	const json_t *members = NULL, *config = NULL, *v;
	uint64_t format = 0;
	size_t i;
	int rc;

	if (!json_is_object(o))
		return rec_reject(why, wl, "snapshot is not a JSON object");
	if (!fld_u64(o, "format", true, &format, why, wl))
		return PGQ_RECORD_REJECTED;
	if (format != PGQ_RECORD_SNAPSHOT_FORMAT)
		return rec_reject(why, wl, "snapshot format %llu, this agent reads %d",
				  (unsigned long long)format, PGQ_RECORD_SNAPSHOT_FORMAT);
	if (!fld_str(o, "scope", true, r->scope, sizeof(r->scope), why, wl) ||
	    !fld_str(o, "cluster_id", true, r->cluster_id, sizeof(r->cluster_id), why, wl) ||
	    !fld_str(o, "system_id", true, r->system_id, sizeof(r->system_id), why, wl) ||
	    !fld_u64(o, "last_index", true, &r->last_index, why, wl) ||
	    !fld_u64(o, "max_raft_id", true, &r->max_raft_id, why, wl) ||
	    !fld_u32(o, "timeline", true, UINT32_MAX, &r->timeline, why, wl) ||
	    !fld_array(o, "members", true, &members, why, wl) ||
	    !fld_object(o, "config", true, &config, why, wl))
		return PGQ_RECORD_REJECTED;
	if (json_array_size(members) > PGQ_RECORD_MAX_MEMBERS)
		return rec_reject(why, wl, "too many members");
	json_array_foreach(members, i, v) {
		struct pgq_member m;

		rc = restore_member(v, &m, why, wl);
		if (rc != 0)
			return rc;
		/* Owned by the record from here: pgq_record_free releases it on failure. */
		r->members[r->n_members++] = m;
		if (m.raft_id > r->max_raft_id ||
		    (i > 0 && m.raft_id <= r->members[i - 1].raft_id))
			return rec_reject(why, wl, "member raft ids out of order");
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->members[j].name, m.name) == 0)
				return rec_reject(why, wl, "member '%s' listed twice", m.name);
	}
	rc = restore_primary(json_object_get(o, "primary"), &r->primary, why, wl);
	if (rc == 0)
		rc = restore_lists(o, r, why, wl);
	if (rc == 0)
		rc = restore_misc(o, r, why, wl);
	if (rc != 0)
		return rc;
	if (r->n_timelines > 0 && r->timeline != r->timelines[r->n_timelines - 1].tli)
		return rec_reject(why, wl, "current timeline is not the last recorded one");
	json_decref(r->config);
	r->config = json_deep_copy(config);
	if (r->config == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	return pgq_dyn_config_validate(r->config, &r->cfg, why, wl);
}

int pgq_record_restore(const uint8_t *data, size_t len, struct pgq_record **out,
		       char *err, size_t errlen)
{
	char why[PGQ_WHY_MAX] = "";
	struct pgq_record *r;
	json_error_t jerr;
	json_t *o;
	int rc;

	if (data == NULL || out == NULL || err == NULL || errlen == 0)
		return PGQ_RECORD_ERR_INVALID;
	*out = NULL;
	o = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		snprintf(err, errlen, "record snapshot: bad JSON at byte %d: %s", jerr.position,
			 jerr.text);
		return PGQ_RECORD_ERR_CORRUPT;
	}
	r = pgq_record_new();
	if (r == NULL) {
		json_decref(o);
		return PGQ_RECORD_ERR_NOMEM;
	}
	rc = restore_into(o, r, why, sizeof(why));
	json_decref(o);
	if (rc == PGQ_RECORD_ERR_NOMEM) {
		pgq_record_free(r);
		snprintf(err, errlen, "record snapshot: out of memory");
		return rc;
	}
	if (rc != 0) {
		pgq_record_free(r);
		snprintf(err, errlen, "record snapshot: %s", why);
		return PGQ_RECORD_ERR_CORRUPT;
	}
	*out = r;
	return 0;
}

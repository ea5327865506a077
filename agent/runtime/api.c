/*
 * api.c — REST write requests, answered on the loop thread.
 *
 * Writes that change the cluster go through the Raft leader. For the
 * operator's actions Patroni clients send anywhere (/switchover,
 * /failover, /config) a follower forwards the record command to the
 * leader's /propose from the thread pool and answers once its own record
 * shows the outcome. Member changes and /pause, /resume answer 307
 * Temporary Redirect with Location set to the leader's REST URL (curl
 * --location, pgquorumctl follows it), as do the others when no leader
 * can be reached; with no known leader: 503.
 *
 * A call that waits for an entry to apply is kept in rt->pending with a
 * deadline; it is answered when the entry applies, when leadership is lost
 * (503: outcome unknown, retry) or at the deadline (504).
 *
 * Endpoints: POST /members {name, raft_address, api_url}; DELETE
 * /members/NAME; POST /report {member, state} (reports forwarded by
 * followers); GET/PATCH/PUT /config, GET /history, DELETE /switchover and
 * POST /switchover {scheduled_at} live in api_config.c, POST /fence/confirm
 * in api_fence.c.
 * POST|DELETE /restart, POST /reload, POST /reinitialize act on this
 * member's PostgreSQL (ha_member_ops.c: answered here, no leader). With
 * PGQUORUM_TEST_HOOKS=1 only: POST /test/propose {seq},
 * GET /test/entries, POST /test/block {peer, blocked}.
 */
#include "config_values.h"
#include "log.h"
#include "record/record_cmd.h"
#include "runtime/ha_driver.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_TIMEOUT_MS 8000
#define PRIMARY_CHANGE_WAIT_MS 100000u /* below rest.c's long wait (restart_timeout_ms) */

bool rt_is_leader(const struct pgq_runtime *rt)
{
	return rt->node != NULL && raft_role(pgq_node_raft(rt->node)) == RAFT_LEADER;
}

static bool is_leader(const struct pgq_runtime *rt)
{
	return rt_is_leader(rt);
}

/* Not the leader: 307 to the leader's URL, or 503 when there is none. */
void rt_redirect_to_leader(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	char *url = rt_leader_api_url(rt);
	char location[PGQ_RECORD_ADDR_MAX + 256];

	if (url == NULL) {
		pgq_rest_call_fail(call, 503, "no Raft leader known; retry later");
		return;
	}
	snprintf(location, sizeof location, "%s%s", url, call->path);
	pgq_rest_call_finish(call, 307,
			     json_pack("{s:s,s:s}", "error", "not the leader", "leader", url), location);
	free(url);
}

static void redirect_to_leader(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	rt_redirect_to_leader(rt, call);
}

static bool keyed_by_seq(enum pending_kind kind)
{
	return kind == PENDING_TEST_ENTRY || kind == PENDING_CONFIG || kind == PENDING_SCHEDULE ||
	       kind == PENDING_CANCEL || kind == PENDING_PRIMARY_CHANGE || kind == PENDING_FENCE_CONFIRM;
}

int rt_pending_add(struct pgq_runtime *rt, struct pgq_rest_call *call, enum pending_kind kind,
		   uint64_t seq, const char *name)
{
	struct pending *p;

	if (rt->n_pending == PGQ_MAX_PENDING) {
		pgq_rest_call_fail(call, 503, "too many requests in flight");
		return -1;
	}
	p = &rt->pending[rt->n_pending++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->call = call;
	p->seq = seq;
	snprintf(p->name, sizeof p->name, "%s", name != NULL ? name : "");
	p->deadline_ms = rt_now_ms() + PENDING_TIMEOUT_MS;
	p->then_pause = p->want_pause = -1;
	return 0;
}

static int pending_add(struct pgq_runtime *rt, struct pgq_rest_call *call, enum pending_kind kind,
		       uint64_t seq, const char *name)
{
	return rt_pending_add(rt, call, kind, seq, name);
}

void rt_pending_drop(struct pgq_runtime *rt, size_t i)
{
	free(rt->pending[i].cmd);
	rt->pending[i] = rt->pending[--rt->n_pending];
}

static void pending_remove_at(struct pgq_runtime *rt, size_t i)
{
	rt_pending_drop(rt, i);
}

void rt_pending_resolve(struct pgq_runtime *rt, enum pending_kind kind, uint64_t seq,
			const char *name, unsigned status, json_t *reply)
{
	for (size_t i = 0; i < rt->n_pending; i++) {
		struct pending *p = &rt->pending[i];

		if (p->kind != kind || (keyed_by_seq(kind) && p->seq != seq) ||
		    (!keyed_by_seq(kind) && strcmp(p->name, name != NULL ? name : "") != 0))
			continue;
		pgq_rest_call_finish(p->call, status, reply, NULL);
		pending_remove_at(rt, i);
		return;
	}
	json_decref(reply);
}

void rt_pending_expire(struct pgq_runtime *rt, bool all)
{
	uint64_t now = rt_now_ms();

	for (size_t i = 0; i < rt->n_pending;) {
		struct pending *p = &rt->pending[i];

		/* Leadership lost while running: a /config or schedule write goes to the new leader. */
		if (all && now < p->deadline_ms && rt->phase == PHASE_RUNNING &&
		    rt_api_resend_after_leader_change(rt, i)) {
			i++;
			continue;
		}
		/* A committed primary change goes on without this leader: keep watching the record. */
		if (all && now < p->deadline_ms && rt->phase == PHASE_RUNNING &&
		    p->kind == PENDING_PRIMARY_CHANGE && p->applied) {
			i++;
			continue;
		}
		if (p->kind == PENDING_PRIMARY_CHANGE && !all && now >= p->deadline_ms) {
			pgq_rest_call_fail(p->call, 503, p->failover
					   ? "Failover status unknown: not promoted in time; see GET /cluster"
					   : "Switchover status unknown: not promoted in time; see GET /cluster");
			pending_remove_at(rt, i);
			continue;
		}
		if (all || now >= p->deadline_ms) {
			pgq_rest_call_fail(p->call, all ? 503 : 504,
					   all ? "leadership lost or agent stopping: outcome unknown, retry"
					       : "not committed in time: outcome unknown, retry");
			pending_remove_at(rt, i);
			continue;
		}
		i++;
	}
}

static const char *body_string(const struct pgq_rest_call *call, const char *key)
{
	return call->body != NULL ? json_string_value(json_object_get(call->body, key)) : NULL;
}

static bool valid_text(const char *s, size_t max)
{
	if (s == NULL || s[0] == '\0' || strlen(s) >= max)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* "HOST:PORT" as the configuration accepts it (a member with a bogus address must not join). */
static bool valid_hostport(const char *s)
{
	struct pgq_hostport hp = { 0 };
	char err[128];
	bool ok = valid_text(s, PGQ_RECORD_ADDR_MAX) && pgq_parse_hostport(s, &hp, err, sizeof err) == 0;

	pgq_hostport_clear(&hp);
	return ok;
}

static bool valid_api_url(const char *s)
{
	return valid_text(s, PGQ_RECORD_ADDR_MAX) &&
	       (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
	       strchr(s, ' ') == NULL;
}

static void members_add(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	const char *name = body_string(call, "name");
	const char *raft_address = body_string(call, "raft_address");
	const char *api_url = body_string(call, "api_url");

	if (!valid_text(name, PGQ_RECORD_NAME_MAX) || strchr(name, '/') != NULL ||
	    !valid_hostport(raft_address) || (api_url != NULL && !valid_api_url(api_url))) {
		pgq_rest_call_fail(call, 400, "expected {\"name\": ..., \"raft_address\": \"HOST:PORT\", \"api_url\": \"http://HOST:PORT\"}");
		return;
	}
	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	if (pgq_record_member_by_name(rt->record, name) != NULL) {
		pgq_rest_call_fail(call, 409, "a member with this name exists");
		return;
	}
	if (pending_add(rt, call, PENDING_MEMBER_ADD, 0, name) != 0)
		return;
	struct cmd c = { 0 };
	if (rt_propose_cmd(rt, cmd_build_member_add(name, raft_address, api_url, &c), &c) != RAFT_OK)
		rt_pending_resolve(rt, PENDING_MEMBER_ADD, 0, name, 503,
				   json_pack("{s:s}", "error", "proposal refused; retry"));
}

static void members_remove(struct pgq_runtime *rt, struct pgq_rest_call *call, const char *name)
{
	if (!valid_text(name, PGQ_RECORD_NAME_MAX) || strchr(name, '/') != NULL) {
		pgq_rest_call_fail(call, 400, "expected DELETE /members/NAME");
		return;
	}
	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	if (pgq_record_member_by_name(rt->record, name) == NULL) {
		pgq_rest_call_fail(call, 404, "no such member");
		return;
	}
	if (pending_add(rt, call, PENDING_MEMBER_REMOVE, 0, name) != 0)
		return;
	struct cmd c = { 0 };
	if (rt_propose_cmd(rt, cmd_build_member_remove(name, &c), &c) != RAFT_OK)
		rt_pending_resolve(rt, PENDING_MEMBER_REMOVE, 0, name, 503,
				   json_pack("{s:s}", "error", "proposal refused; retry"));
}

static void forwarded_report(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	const char *member = body_string(call, "member");
	const char *state = body_string(call, "state");
	json_t *t = call->body != NULL ? json_object_get(call->body, "time_ms") : NULL;

	if (!valid_text(member, PGQ_RECORD_NAME_MAX) || !valid_text(state, 32) || !json_is_integer(t) ||
	    json_integer_value(t) < 0) {
		pgq_rest_call_fail(call, 400, "expected {\"member\", \"state\", \"time_ms\"}");
		return;
	}
	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	struct cmd c = { 0 };
	if (rt_propose_cmd(rt, cmd_build_member_report(member, state,
						       (uint64_t)json_integer_value(t), &c),
			   &c) != RAFT_OK) {
		pgq_rest_call_fail(call, 503, "proposal refused; retry");
		return;
	}
	pgq_rest_call_finish(call, 202, json_pack("{s:s}", "status", "proposed"), NULL);
}

/*
 * POST /propose: a record command forwarded by a member's HA driver
 * (status.c). Only the commands a member proposes about itself are taken;
 * the record validates every field and CAS at apply (S4, S17), so a stale
 * or forged command is rejected there like any other.
 */
static void forwarded_command(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	static const char *const allowed[] = {
		"member_report", "lease_renew", "lease_release", "promoted", "demoted",
		"vetoed", "system_id", "member_update", "sync_set_update",
		/* a named primary whose required fence fails says why (C16) */
		"failover_blocked",
		/* POST /fence/confirm taken by a follower (api_fence.c, L8) */
		"fence_confirm",
		/* REST writes a follower accepted and forwards (api_config.c, api.c) */
		"config_patch", "config_replace", "pause", "resume", "switchover_schedule",
		"switchover_cancel", "switchover_request", "set_primary",
	};
	const char *cmd = body_string(call, "cmd");
	bool ok = false;
	char *text;
	int rc;

	for (size_t i = 0; cmd != NULL && i < sizeof allowed / sizeof allowed[0]; i++)
		ok = ok || strcmp(cmd, allowed[i]) == 0;
	if (!ok || !json_is_object(call->body)) {
		pgq_rest_call_fail(call, 400, "expected a member's record command");
		return;
	}
	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	text = json_dumps(call->body, JSON_COMPACT | JSON_SORT_KEYS);
	rc = text != NULL ? pgq_node_propose(rt->node, (const uint8_t *)text, strlen(text))
			  : RAFT_ERR_INVALID;
	free(text);
	if (rc != RAFT_OK) {
		pgq_rest_call_fail(call, 503, "proposal refused; retry");
		return;
	}
	pgq_rest_call_finish(call, 202, json_pack("{s:s}", "status", "proposed"), NULL);
}

#define PRIMARY_CHANGE_ATTEMPTS 5

/*
 * Build pending i's record command on this member's current record (S4:
 * it carries the epoch and lease_seq seen here) and get it into the log:
 * proposed here on the leader, else forwarded to the leader's /propose,
 * as Patroni's members accept it anywhere. The pending entry keeps the
 * bytes (to send again after a change of leader) and is keyed by them.
 * Answers and drops the call when nothing could be sent.
 */
static void primary_change_send(struct pgq_runtime *rt, size_t i)
{
	struct pending *pw = &rt->pending[i];
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	const struct pgq_member *cand = pw->name[0] != '\0'
		? pgq_record_member_by_name(rt->record, pw->name) : NULL;
	const char *to = pw->name[0] != '\0' ? pw->name : NULL;
	struct pgq_rest_call *call = pw->call;
	struct cmd c = { 0 };
	int rc;

	pw->failover = !(p->state == PGQ_PRIMARY_ACTIVE || p->state == PGQ_PRIMARY_DEMOTING);
	if (pw->failover && to == NULL) {
		/* Sent again after the primary lost its lease: as primary_change() says. */
		pgq_rest_call_fail(call, 412, "the primary no longer holds its lease: name a candidate");
		pending_remove_at(rt, i);
		return;
	}
	if (!pw->failover)
		rc = pgq_cmd_switchover_request(p->name, to, p->epoch, p->lease_seq, rt_wall_ms(),
						&c.data, &c.len);
	else
		rc = pgq_cmd_set_primary(to, p->epoch, p->lease_seq, PGQ_CHANGE_MANUAL, false,
					 cand != NULL ? pgq_member_report_lsn(cand) : 0, rt_wall_ms(),
					 &c.data, &c.len);
	free(pw->cmd);
	pw->cmd = NULL;
	if (rc != 0 || c.data == NULL || (to != NULL && cand == NULL) ||
	    (pw->cmd = malloc(c.len)) == NULL) {
		free(c.data);
		pgq_rest_call_fail(call, 500, "could not build the record command");
		pending_remove_at(rt, i);
		return;
	}
	memcpy(pw->cmd, c.data, c.len);
	pw->cmd_len = c.len;
	pw->seq = rt_entry_key(c.data, c.len);
	pw->epoch_before = p->epoch;
	pw->lease_seq_sent = p->lease_seq;
	pw->attempts++;
	if (!is_leader(rt)) {
		/*
		 * A follower forwards it and answers once its own record shows
		 * the outcome; a view that was behind is refused at apply (S4).
		 * No leader reachable: a 307 to it, or 503.
		 */
		uint64_t key = pw->seq;
		int frc = rt_forward_rest_command(rt, c.data, c.len, key, 1);
		struct pgq_rest_call *back;

		free(c.data);
		if (frc != 0 && (back = rt_pending_take(rt, key)) != NULL)
			redirect_to_leader(rt, back);
		return;
	}
	if (rt_propose_cmd(rt, 0, &c) != RAFT_OK)
		rt_pending_resolve(rt, PENDING_PRIMARY_CHANGE, pw->seq, NULL, 503,
				   json_pack("{s:s}", "error", "proposal refused (no Raft quorum or "
					     "leadership lost); nothing changed, retry"));
}

/*
 * POST /switchover {"leader": P, "candidate": X} (Patroni's body) and
 * POST /failover {"candidate": X}. Both become record commands proposed
 * here on the Raft leader; the record checks them at apply (S4), and the
 * HA decisions carry them out (S13's state machine). S18: a manual failover
 * while the primary still holds its lease runs as a switchover; once the
 * lease ended (lost, released, demoted, vetoed) it names the candidate
 * under the next epoch with the same rules as an automatic one. Answer,
 * as Patroni's: 200 once the record shows the new primary promoted, 412
 * when the record refuses the change, 503 when it failed or was not done
 * within PRIMARY_CHANGE_WAIT_MS (the HTTP side waits that long, rest.c).
 */
static void primary_change(struct pgq_runtime *rt, struct pgq_rest_call *call, bool failover)
{
	const char *from = body_string(call, "leader");
	const char *to = body_string(call, "candidate");
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	const struct pgq_member *cand;
	struct pending *pw;

	const json_t *scheduled = call->body != NULL ? json_object_get(call->body, "scheduled_at") : NULL;

	if (scheduled != NULL && json_is_null(scheduled))
		scheduled = NULL;
	if (failover && scheduled != NULL) {
		pgq_rest_call_fail(call, 400, "Failover can't be scheduled");
		return;
	}
	if ((from != NULL && !valid_text(from, PGQ_RECORD_NAME_MAX)) ||
	    (to != NULL && !valid_text(to, PGQ_RECORD_NAME_MAX)) || (failover && to == NULL) ||
	    (!failover && from == NULL && to == NULL)) {
		pgq_rest_call_fail(call, 400, failover ? "expected {\"candidate\": NAME}"
						       : "expected {\"leader\": NAME, \"candidate\": NAME}");
		return;
	}
	if (scheduled != NULL) {
		/* Any member takes it (api_config.c): checked on its record, proposed through Raft. */
		rt_api_switchover_schedule(rt, call, from, to);
		return;
	}
	if (p->state == PGQ_PRIMARY_NONE) {
		pgq_rest_call_fail(call, 409, "no primary recorded");
		return;
	}
	if (from != NULL && strcmp(from, p->name) != 0) {
		pgq_rest_call_fail(call, 409, "that member is not the primary");
		return;
	}
	cand = to != NULL ? pgq_record_member_by_name(rt->record, to) : NULL;
	if (to != NULL && cand == NULL) {
		pgq_rest_call_fail(call, 404, "no such candidate");
		return;
	}
	if (to != NULL && strcmp(to, p->name) == 0) {
		pgq_rest_call_fail(call, 409, "the candidate is already the primary");
		return;
	}
	if (to == NULL && p->state != PGQ_PRIMARY_ACTIVE && p->state != PGQ_PRIMARY_DEMOTING) {
		pgq_rest_call_fail(call, 412, "the primary holds no lease: name a candidate");
		return;
	}
	if (rt_pending_add(rt, call, PENDING_PRIMARY_CHANGE, 0, to) != 0)
		return;
	pw = &rt->pending[rt->n_pending - 1];
	pw->deadline_ms = rt_now_ms() + PRIMARY_CHANGE_WAIT_MS;
	primary_change_send(rt, rt->n_pending - 1);
}

/* The record refused the primary change at apply (S4, S13 precheck): 412 with its reason. */
static void primary_change_applied(struct pgq_runtime *rt, size_t i, bool accepted,
				   const char *reason)
{
	struct pending *p = &rt->pending[i];

	const struct pgq_primary *now = pgq_record_primary(rt->record);

	if (accepted) {
		p->applied = true;
		return;
	}
	/*
	 * The primary renewed its lease between our look and the apply (every
	 * loop_wait; a follower's copy is often one renewal behind): same
	 * epoch, newer lease_seq. The operator's intent is unchanged, so build
	 * it again on the record as it is now (bounded).
	 */
	if (now->epoch == p->epoch_before && now->lease_seq != p->lease_seq_sent &&
	    p->attempts < PRIMARY_CHANGE_ATTEMPTS) {
		pgq_info("rest", "%s: the primary renewed its lease meanwhile (lease_seq %llu -> "
			 "%llu); sending it again", p->failover ? "failover" : "switchover",
			 (unsigned long long)p->lease_seq_sent, (unsigned long long)now->lease_seq);
		primary_change_send(rt, i);
		return;
	}
	pgq_rest_call_fail(p->call, 412, reason != NULL ? reason : "refused by the record");
	pending_remove_at(rt, i);
}

void rt_api_primary_change_entry(struct pgq_runtime *rt, uint64_t key, bool accepted,
				 const char *reason)
{
	for (size_t i = 0; i < rt->n_pending; i++)
		if (rt->pending[i].kind == PENDING_PRIMARY_CHANGE && rt->pending[i].seq == key &&
		    !rt->pending[i].applied) {
			primary_change_applied(rt, i, accepted, reason);
			return;
		}
}

void rt_api_primary_change_poll(struct pgq_runtime *rt)
{
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	const struct pgq_switchover *sw = pgq_record_switchover(rt->record);
	char msg[PGQ_RECORD_TEXT_MAX + 96];

	for (size_t i = 0; i < rt->n_pending;) {
		struct pending *w = &rt->pending[i];
		const char *what = w->failover ? "Failover" : "Switchover";
		unsigned status = 0;

		if (w->kind != PENDING_PRIMARY_CHANGE || !w->applied) {
			i++;
			continue;
		}
		if (!w->failover && sw->phase == PGQ_SWITCHOVER_ABORTED && sw->epoch == w->epoch_before) {
			/* S13 (4): aborted; a new epoch names the most complete member. */
			snprintf(msg, sizeof msg, "Switchover failed: %s", sw->abort_reason);
			status = 503;
		} else if (p->epoch > w->epoch_before && p->promoted &&
			   (p->state == PGQ_PRIMARY_ACTIVE || p->state == PGQ_PRIMARY_DEMOTING)) {
			if (w->name[0] == '\0' || strcmp(w->name, p->name) == 0) {
				snprintf(msg, sizeof msg, "Successfully %s over to \"%s\"",
					 w->failover ? "failed" : "switched", p->name);
				status = 200;
			} else {
				snprintf(msg, sizeof msg, "%s failed: \"%s\" was promoted instead", what,
					 p->name);
				status = 503;
			}
		}
		if (status == 0) {
			i++;
			continue;
		}
		pgq_rest_call_finish(w->call, status,
				     json_pack("{s:s}", status == 200 ? "status" : "error", msg), NULL);
		pending_remove_at(rt, i);
	}
}

/*
 * POST /pause, POST /resume: S18 — pause stops automatic decisions
 * (failover, restarts), never leases, renewals, self-fencing or the
 * watchdog. 202 once proposed; GET /cluster shows "paused".
 */
static void pause_change(struct pgq_runtime *rt, struct pgq_rest_call *call, bool pause)
{
	struct cmd c = { 0 };
	int rc;

	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	rc = pause ? pgq_cmd_pause(rt_wall_ms(), &c.data, &c.len)
		   : pgq_cmd_resume(rt_wall_ms(), &c.data, &c.len);
	if (rt_propose_cmd(rt, rc, &c) != RAFT_OK) {
		pgq_rest_call_fail(call, 503, "proposal refused; retry");
		return;
	}
	pgq_rest_call_finish(call, 202, json_pack("{s:s,s:b}", "status", "proposed", "paused", pause),
			     NULL);
}

/*
 * POST /reload: as SIGHUP — the agent re-reads its configuration file and
 * PostgreSQL reloads pgquorum.conf (rewritten), then on_reload fires.
 * Patroni's 202 "reload scheduled": the PostgreSQL part runs on the loop
 * after the answer. Member endpoints (restart, reload, reinitialize) act on
 * this member, never through the Raft leader.
 */
static void member_reload(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	if (call->body != NULL && json_object_size(call->body) > 0) {
		pgq_rest_call_fail(call, 400, "POST /reload takes no body");
		return;
	}
	rt_reload(rt, "rest");
	pgq_rest_call_finish(call, 202, json_pack("{s:s}", "status", "reload scheduled"), NULL);
}

/* ---- test hooks ---------------------------------------------------------- */

static void test_propose(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	json_t *seq = call->body != NULL ? json_object_get(call->body, "seq") : NULL;
	uint8_t entry[PGQ_TEST_ENTRY_LEN];
	uint64_t v;

	if (!json_is_integer(seq) || json_integer_value(seq) < 0) {
		pgq_rest_call_fail(call, 400, "expected {\"seq\": N}");
		return;
	}
	if (!is_leader(rt)) {
		redirect_to_leader(rt, call);
		return;
	}
	v = (uint64_t)json_integer_value(seq);
	entry[0] = PGQ_TEST_ENTRY_TAG;
	for (int i = 0; i < 8; i++)
		entry[1 + i] = (uint8_t)(v >> (56 - 8 * i));
	if (pending_add(rt, call, PENDING_TEST_ENTRY, v, NULL) != 0)
		return;
	if (pgq_node_propose(rt->node, entry, sizeof entry) != RAFT_OK)
		rt_pending_resolve(rt, PENDING_TEST_ENTRY, v, NULL, 503,
				   json_pack("{s:s}", "error", "proposal refused; retry"));
}

static void test_entries(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rt->n_test_seqs; i++)
		json_array_append_new(a, json_integer((json_int_t)rt->test_seqs[i]));
	pgq_rest_call_finish(call, 200,
			     json_pack("{s:o,s:I}", "seqs", a, "applied",
				       (json_int_t)(rt->node != NULL
							    ? raft_applied_index(pgq_node_raft(rt->node))
							    : 0)),
			     NULL);
}

static void test_block(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	const char *peer = body_string(call, "peer");
	json_t *blocked = call->body != NULL ? json_object_get(call->body, "blocked") : NULL;

	if (peer == NULL || !json_is_boolean(blocked)) {
		pgq_rest_call_fail(call, 400, "expected {\"peer\": NAME, \"blocked\": true|false}");
		return;
	}
	if (rt->transport == NULL ||
	    pgq_transport_set_blocked(rt->transport, peer, json_is_true(blocked)) != 0) {
		pgq_rest_call_fail(call, 404, "no such peer");
		return;
	}
	pgq_warning("agent", "TEST: traffic with %s %s", peer,
		    json_is_true(blocked) ? "blocked" : "unblocked");
	pgq_rest_call_finish(call, 200, json_pack("{s:s,s:b}", "peer", peer, "blocked",
						  json_is_true(blocked)), NULL);
}

void rt_on_call(void *ctx, struct pgq_rest_call *call)
{
	struct pgq_runtime *rt = ctx;
	bool post = strcmp(call->method, "POST") == 0;
	bool del = strcmp(call->method, "DELETE") == 0;
	bool patch = strcmp(call->method, "PATCH") == 0;
	bool put = strcmp(call->method, "PUT") == 0;
	bool get = strcmp(call->method, "GET") == 0 || strcmp(call->method, "HEAD") == 0;

	if (rt->phase == PHASE_STOPPING) {
		pgq_rest_call_fail(call, 503, "the agent is shutting down");
		return;
	}
	if (rt->phase != PHASE_RUNNING && !get) {
		pgq_rest_call_fail(call, 503, "the agent has not joined a cluster yet");
		return;
	}
	if (post && strcmp(call->path, "/members") == 0)
		members_add(rt, call);
	else if (del && strncmp(call->path, "/members/", 9) == 0)
		members_remove(rt, call, call->path + 9);
	else if (post && strcmp(call->path, "/report") == 0)
		forwarded_report(rt, call);
	else if (post && strcmp(call->path, "/propose") == 0)
		forwarded_command(rt, call);
	else if (post && strcmp(call->path, "/switchover") == 0)
		primary_change(rt, call, false);
	else if (del && strcmp(call->path, "/switchover") == 0)
		rt_api_switchover_cancel(rt, call);
	else if (get && strcmp(call->path, "/config") == 0)
		rt_api_config_get(rt, call);
	else if ((patch || put) && strcmp(call->path, "/config") == 0)
		rt_api_config_write(rt, call, put);
	else if (get && strcmp(call->path, "/history") == 0)
		rt_api_history(rt, call);
	else if (strcmp(call->path, "/config") == 0 || strcmp(call->path, "/history") == 0 ||
		 strcmp(call->path, "/switchover") == 0)
		pgq_rest_call_fail(call, 405, "method not allowed");
	else if (post && strcmp(call->path, "/failover") == 0)
		primary_change(rt, call, true);
	else if (post && strcmp(call->path, "/restart") == 0)
		rt_ha_restart_post(rt, call);
	else if (del && strcmp(call->path, "/restart") == 0)
		rt_ha_restart_delete(rt, call);
	else if (post && strcmp(call->path, "/reload") == 0)
		member_reload(rt, call);
	else if (post && strcmp(call->path, "/reinitialize") == 0)
		rt_ha_reinit_post(rt, call);
	else if (post && strcmp(call->path, "/fence/confirm") == 0)
		rt_api_fence_confirm(rt, call);
	else if (strcmp(call->path, "/fence/confirm") == 0)
		pgq_rest_call_fail(call, 405, "method not allowed");
	else if (post && strcmp(call->path, "/pause") == 0)
		pause_change(rt, call, true);
	else if (post && strcmp(call->path, "/resume") == 0)
		pause_change(rt, call, false);
	else if (rt->test_hooks && post && strcmp(call->path, "/test/propose") == 0)
		test_propose(rt, call);
	else if (rt->test_hooks && get && strcmp(call->path, "/test/entries") == 0)
		test_entries(rt, call);
	else if (rt->test_hooks && post && strcmp(call->path, "/test/block") == 0)
		test_block(rt, call);
	else if (strcmp(call->path, "/members") == 0 || strncmp(call->path, "/members/", 9) == 0)
		pgq_rest_call_fail(call, 405, "method not allowed");
	else
		pgq_rest_call_fail(call, 404, "no such endpoint");
}

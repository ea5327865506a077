/*
 * api_config.c — REST writes on the dynamic configuration and the
 * scheduled switchover, answered on the loop thread: GET/PATCH/PUT
 * /config, GET /history, POST /switchover {scheduled_at}, DELETE
 * /switchover (Patroni's contract, docs/rest-api.md). POST /fence/confirm
 * (api_fence.c) rides on the same forwarding and waiting.
 *
 * A write is checked here first (agent/rest/config_api.c: a bad patch is
 * 400 with the reason and nothing is proposed), then proposed through Raft
 * by any member: the leader proposes it, a follower forwards the command to
 * the leader's POST /propose (status.c; Patroni clients do not follow
 * redirects) and falls back to a 307 to the leader when it cannot. Either
 * way the member that took the request answers it only once the entry
 * applied in its own record: the record decides (S17: a merge
 * patch is applied onto the configuration the log holds at that point, so
 * two concurrent patches both land and neither is lost). A call waits for
 * its entry by the command's bytes (rt_entry_key), so it needs neither the
 * Raft index nor a new record command version (S17).
 */
#include "log.h"
#include "record/record_cmd.h"
#include "rest/config_api.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rt_entry_key(const uint8_t *data, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a, 64 bits */

	for (size_t i = 0; i < len; i++) {
		h ^= data[i];
		h *= 1099511628211ull;
	}
	return h ^ (uint64_t)len;
}

/*
 * A write whose record command may be sent (again) to the leader: a
 * configuration change, a schedule, a cancel, a fence confirmation (L8,
 * api_fence.c), or a primary change whose
 * entry has not applied yet (once applied, only the record's progress is
 * awaited).
 */
bool rt_pending_forwardable(const struct pending *p)
{
	return p->kind == PENDING_CONFIG || p->kind == PENDING_SCHEDULE ||
	       p->kind == PENDING_CANCEL || p->kind == PENDING_FENCE_CONFIRM ||
	       (p->kind == PENDING_PRIMARY_CHANGE && !p->applied);
}

/* Remove the call waiting under key (without answering it); NULL when none. */
struct pgq_rest_call *rt_pending_take(struct pgq_runtime *rt, uint64_t key)
{
	for (size_t i = 0; i < rt->n_pending; i++) {
		struct pending *p = &rt->pending[i];
		struct pgq_rest_call *call = p->call;

		if (p->seq != key || !rt_pending_forwardable(p))
			continue;
		rt_pending_drop(rt, i);
		return call;
	}
	return NULL;
}

#define FORWARD_ATTEMPTS 5
#define FORWARD_RETRY_STEP_MS 100  /* wait attempt x this before sending again */

/* A forward to send again after a short wait (the followers learn the new leader). */
struct forward_retry {
	uv_timer_t timer;
	struct pgq_runtime *rt;
	uint64_t key;
	unsigned attempt;   /* the number of the attempt to make */
	size_t len;
	uint8_t data[];
};

static bool pending_waits(const struct pgq_runtime *rt, uint64_t key)
{
	for (size_t i = 0; i < rt->n_pending; i++)
		if (rt->pending[i].seq == key && rt_pending_forwardable(&rt->pending[i]))
			return true;
	return false;
}

static void retry_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Propose here (now the leader) or forward again; false when neither went out. */
static bool send_again(struct pgq_runtime *rt, uint64_t key, const uint8_t *data, size_t len,
		       unsigned attempt)
{
	if (rt_is_leader(rt)) {
		struct cmd c = { .data = malloc(len), .len = len };

		if (c.data == NULL)
			return false;
		memcpy(c.data, data, len);
		return rt_propose_cmd(rt, 0, &c) == RAFT_OK;
	}
	return rt_forward_rest_command(rt, data, len, key, attempt) == 0;
}

static void retry_fire(uv_timer_t *t)
{
	struct forward_retry *r = t->data;
	struct pgq_runtime *rt = r->rt;
	struct pgq_rest_call *call;

	if (rt->phase == PHASE_RUNNING && pending_waits(rt, r->key) &&
	    !send_again(rt, r->key, r->data, r->len, r->attempt) &&
	    (call = rt_pending_take(rt, r->key)) != NULL)
		pgq_rest_call_fail(call, 503, "no Raft leader took the change: nothing changed, retry");
	uv_close((uv_handle_t *)&r->timer, retry_closed);
}

/* Send the command again after attempt x 100 ms (attempt + 1 is then made). */
static bool schedule_retry(struct pgq_runtime *rt, uint64_t key, const uint8_t *data, size_t len,
			   unsigned attempt)
{
	struct forward_retry *r;

	if (data == NULL || len == 0 || rt->phase != PHASE_RUNNING ||
	    (r = malloc(sizeof *r + len)) == NULL)
		return false;
	r->rt = rt;
	r->key = key;
	r->attempt = attempt + 1;
	r->len = len;
	memcpy(r->data, data, len);
	if (uv_timer_init(&rt->loop, &r->timer) != 0) {
		free(r);
		return false;
	}
	r->timer.data = r;
	if (uv_timer_start(&r->timer, retry_fire, FORWARD_RETRY_STEP_MS * attempt, 0) != 0) {
		uv_close((uv_handle_t *)&r->timer, retry_closed);
		return false;
	}
	return true;
}

/*
 * Leadership moves (an election under load): a forward that met a former
 * leader (307) or no answer is sent again to whoever leads now, or proposed
 * here once this member leads. Sending the same bytes twice is harmless:
 * the record applies a merge patch, a replacement, pause/resume, a
 * schedule or a cancel the second time as a no-op or a rejection, and the
 * call is answered by the first apply.
 */
void rt_api_forward_failed(struct pgq_runtime *rt, uint64_t key, int http_status,
			   const uint8_t *data, size_t len, unsigned attempt)
{
	struct pgq_rest_call *call;
	char msg[200];

	if (!pending_waits(rt, key))
		return; /* already answered (applied, or timed out) */
	if (attempt < FORWARD_ATTEMPTS && schedule_retry(rt, key, data, len, attempt))
		return;
	call = rt_pending_take(rt, key);
	if (http_status < 0)
		snprintf(msg, sizeof msg, "the Raft leader did not answer the forwarded change: "
			 "outcome unknown, check and retry");
	else
		snprintf(msg, sizeof msg, "the Raft leader did not take the forwarded change (HTTP %d): "
			 "nothing changed, retry", http_status);
	pgq_rest_call_fail(call, 503, msg);
}

/*
 * The entry this member proposed as leader may be lost with the leadership
 * (or commit anyway): send the same bytes again through the new leader.
 * Twice is harmless (see rt_api_forward_failed), and the call is answered
 * by the first apply. False when entry i is not such a write.
 */
bool rt_api_resend_after_leader_change(struct pgq_runtime *rt, size_t i)
{
	struct pending *p = &rt->pending[i];

	if (!rt_pending_forwardable(p) || p->cmd == NULL)
		return false;
	pgq_info("rest", "leadership lost before a REST change applied: sending it to the new leader");
	return schedule_retry(rt, p->seq, p->cmd, p->cmd_len, 1);
}

static bool ready(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	if (!pgq_record_bootstrapped(rt->record)) {
		pgq_rest_call_fail(call, 503, "the cluster is not bootstrapped yet");
		return false;
	}
	return true;
}

/* Propose a built command and wait for it to apply; answers the call on failure. */
static void propose_and_wait(struct pgq_runtime *rt, struct pgq_rest_call *call,
			     enum pending_kind kind, int build_rc, struct cmd *c, int want_pause,
			     int then_pause)
{
	rt_api_propose_and_wait(rt, call, kind, build_rc, c, want_pause, then_pause);
}

void rt_api_propose_and_wait(struct pgq_runtime *rt, struct pgq_rest_call *call,
			     enum pending_kind kind, int build_rc, struct cmd *c, int want_pause,
			     int then_pause)
{
	uint64_t key;

	if (build_rc != 0 || c->data == NULL) {
		free(c->data);
		pgq_rest_call_fail(call, 500, "could not build the record command");
		return;
	}
	key = rt_entry_key(c->data, c->len);
	if (rt_pending_add(rt, call, kind, key, NULL) != 0) {
		free(c->data);
		return;
	}
	rt->pending[rt->n_pending - 1].want_pause = want_pause;
	rt->pending[rt->n_pending - 1].then_pause = then_pause;
	/* Kept to send again should the leader change before it applies. */
	rt->pending[rt->n_pending - 1].cmd = malloc(c->len);
	if (rt->pending[rt->n_pending - 1].cmd != NULL) {
		memcpy(rt->pending[rt->n_pending - 1].cmd, c->data, c->len);
		rt->pending[rt->n_pending - 1].cmd_len = c->len;
	}
	if (!rt_is_leader(rt)) {
		/* Any member accepts the write: forward it, else send the client to the leader. */
		int rc = rt_forward_rest_command(rt, c->data, c->len, key, 1);

		free(c->data);
		c->data = NULL;
		if (rc != 0 && (call = rt_pending_take(rt, key)) != NULL)
			rt_redirect_to_leader(rt, call);
		return;
	}
	if (rt_propose_cmd(rt, 0, c) != RAFT_OK)
		rt_pending_resolve(rt, kind, key, NULL, 503,
				   json_pack("{s:s}", "error", "proposal refused (no Raft quorum or "
					     "leadership lost); nothing changed, retry"));
}

static void propose_pause(struct pgq_runtime *rt, struct pgq_rest_call *call, bool pause)
{
	struct cmd c = { 0 };
	int rc = pause ? pgq_cmd_pause(rt_wall_ms(), &c.data, &c.len)
		       : pgq_cmd_resume(rt_wall_ms(), &c.data, &c.len);

	propose_and_wait(rt, call, PENDING_CONFIG, rc, &c, pause ? 1 : 0, -1);
}

static json_t *config_view(const struct pgq_runtime *rt)
{
	return pgq_config_view(pgq_record_config_stored(rt->record), pgq_record_paused(rt->record));
}

void rt_api_config_get(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	json_t *v;

	if (!ready(rt, call))
		return;
	v = config_view(rt);
	if (v == NULL)
		pgq_rest_call_fail(call, 503, "out of memory");
	else
		pgq_rest_call_finish(call, 200, v, NULL);
}

void rt_api_history(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	json_t *rows;

	if (!ready(rt, call))
		return;
	rows = pgq_history_rows(rt->record);
	if (rows == NULL)
		pgq_rest_call_fail(call, 503, "out of memory");
	else
		pgq_rest_call_finish(call, 200, rows, NULL);
}

/*
 * PATCH /config (merge patch) and PUT /config (whole configuration). The
 * configuration entry goes first; a requested pause/resume (S18) follows
 * only once it was accepted, so a refused change leaves the flag alone too.
 */
void rt_api_config_write(struct pgq_runtime *rt, struct pgq_rest_call *call, bool replace)
{
	struct pgq_config_change ch;
	struct cmd c = { 0 };
	char err[400];
	int rc;

	if (!ready(rt, call))
		return;
	if (pgq_config_change_parse(call->body, replace, pgq_record_config_stored(rt->record), &ch,
				    err, sizeof err) != 0) {
		pgq_rest_call_fail(call, 400, err);
		return;
	}
	if (ch.config == NULL) {
		/* Only the flag. Proposed even if this copy says it is set: it may lag (the
		 * record's "already paused" then counts as done, answer_config). */
		propose_pause(rt, call, ch.pause == 1);
		return;
	}
	rc = replace ? pgq_cmd_config_replace(ch.config, rt_wall_ms(), &c.data, &c.len)
		     : pgq_cmd_config_patch(ch.config, rt_wall_ms(), &c.data, &c.len);
	pgq_info("rest", "%s /config: proposing a configuration %s", replace ? "PUT" : "PATCH",
		 replace ? "replacement" : "merge patch");
	propose_and_wait(rt, call, PENDING_CONFIG, rc, &c, -1, ch.pause);
	pgq_config_change_free(&ch);
}

/* POST /switchover {leader, candidate, scheduled_at}: the body's shape was checked by api.c. */
void rt_api_switchover_schedule(struct pgq_runtime *rt, struct pgq_rest_call *call, const char *from,
				const char *to)
{
	const json_t *at_json = json_object_get(call->body, "scheduled_at");
	const struct pgq_scheduled_switchover *s = pgq_record_scheduled_switchover(rt->record);
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	struct cmd c = { 0 };
	int64_t at_ms = 0;
	char err[300], when[64];

	if (!ready(rt, call))
		return;
	if (p->state == PGQ_PRIMARY_NONE) {
		pgq_rest_call_fail(call, 409, "no primary recorded");
		return;
	}
	if (from != NULL && strcmp(from, p->name) != 0) {
		pgq_rest_call_fail(call, 409, "that member is not the primary");
		return;
	}
	if (to != NULL && pgq_record_member_by_name(rt->record, to) == NULL) {
		pgq_rest_call_fail(call, 404, "no such candidate");
		return;
	}
	if (to != NULL && strcmp(to, p->name) == 0) {
		pgq_rest_call_fail(call, 409, "the candidate is already the primary");
		return;
	}
	if (!json_is_string(at_json) ||
	    pgq_iso8601_parse_zoned(json_string_value(at_json), &at_ms, err, sizeof err) != 0) {
		pgq_rest_call_fail(call, 400, json_is_string(at_json) ? err
				   : "scheduled_at must be an ISO 8601 time with a zone");
		return;
	}
	if (at_ms <= (int64_t)rt_wall_ms()) {
		pgq_rest_call_fail(call, 400, "Cannot schedule switchover in the past");
		return;
	}
	/* Patroni's rule: a paused cluster takes no scheduled switchover (S18). */
	if (pgq_record_paused(rt->record)) {
		pgq_rest_call_fail(call, 400, "Can't schedule switchover in the paused state");
		return;
	}
	if (s->set) {
		pgq_iso8601_format_ms((int64_t)s->at_ms, when, sizeof when);
		snprintf(err, sizeof err, "a switchover is already scheduled at %s; cancel it first "
			 "(DELETE /switchover, pgquorumctl flush switchover)", when);
		pgq_rest_call_fail(call, 409, err);
		return;
	}
	if (p->state != PGQ_PRIMARY_ACTIVE || !p->promoted) {
		pgq_rest_call_fail(call, 412, "switchover is not possible: the primary is not active "
				   "(a change of primary is under way)");
		return;
	}
	pgq_iso8601_format_ms(at_ms, when, sizeof when);
	pgq_info("rest", "scheduling a switchover from %s to %s at %s", p->name,
		 to != NULL ? to : "the best standby", when);
	propose_and_wait(rt, call, PENDING_SCHEDULE,
			 pgq_cmd_switchover_schedule(p->name, to, (uint64_t)at_ms, rt_wall_ms(),
						     &c.data, &c.len),
			 &c, -1, -1);
}

/*
 * DELETE /switchover: Patroni's 200 "scheduled switchover deleted", 404
 * when none. Always proposed, and the record's verdict at apply decides
 * the 404: this member's copy may not have applied a schedule that another
 * member just answered 202 for.
 */
void rt_api_switchover_cancel(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	struct cmd c = { 0 };

	if (!ready(rt, call))
		return;
	pgq_info("rest", "cancelling the scheduled switchover");
	propose_and_wait(rt, call, PENDING_CANCEL,
			 pgq_cmd_switchover_cancel(rt_wall_ms(), &c.data, &c.len), &c, -1, -1);
}

static void answer_schedule(struct pgq_runtime *rt, struct pgq_rest_call *call, bool accepted,
			    const char *reason)
{
	const struct pgq_scheduled_switchover *s = pgq_record_scheduled_switchover(rt->record);
	char when[64];

	if (!accepted) {
		/* The record refused it at apply: one scheduled meanwhile (409), else not possible. */
		pgq_rest_call_fail(call, strstr(reason, "already scheduled") != NULL ? 409 : 412,
				   reason);
		return;
	}
	pgq_iso8601_format_ms((int64_t)s->at_ms, when, sizeof when);
	pgq_rest_call_finish(call, 202,
			     json_pack("{s:s,s:s,s:s,s:s?}", "message", "Switchover scheduled",
				       "scheduled_at", when, "from", s->from, "to",
				       s->to[0] != '\0' ? s->to : NULL),
			     NULL);
}

static void answer_config(struct pgq_runtime *rt, const struct pending *p, bool accepted,
			  const char *reason)
{
	json_t *v;

	if (p->want_pause != -1)
		/* pause/resume: "already paused" is the state asked for, not a failure. */
		accepted = pgq_record_paused(rt->record) == (p->want_pause == 1);
	if (!accepted) {
		/* Checked before proposing, so the configuration changed meanwhile. */
		char msg[PGQ_RECORD_REASON_MAX + 64];
		snprintf(msg, sizeof msg, "nothing changed: %s", reason);
		pgq_rest_call_fail(p->call, 409, msg);
		return;
	}
	if (p->then_pause != -1) {
		propose_pause(rt, p->call, p->then_pause == 1);
		return;
	}
	v = config_view(rt);
	if (v == NULL)
		pgq_rest_call_fail(p->call, 503, "out of memory");
	else
		pgq_rest_call_finish(p->call, 200, v, NULL);
}

void rt_api_entry_applied(struct pgq_runtime *rt, const uint8_t *data, size_t len,
			  bool accepted, const char *reason)
{
	uint64_t key;

	if (rt->n_pending == 0)
		return;
	key = rt_entry_key(data, len);
	rt_api_primary_change_entry(rt, key, accepted, reason);
	for (size_t i = 0; i < rt->n_pending; i++) {
		struct pending p = rt->pending[i];

		if (p.seq != key ||
		    (p.kind != PENDING_CONFIG && p.kind != PENDING_SCHEDULE && p.kind != PENDING_CANCEL &&
		     p.kind != PENDING_FENCE_CONFIRM))
			continue;
		rt_pending_drop(rt, i);
		reason = reason != NULL ? reason : "rejected";
		if (!accepted)
			pgq_warning("rest", "a REST change was refused by the record: %s", reason);
		if (p.kind == PENDING_FENCE_CONFIRM)
			rt_api_fence_confirm_applied(rt, p.call, accepted, reason);
		else if (p.kind == PENDING_CONFIG)
			answer_config(rt, &p, accepted, reason);
		else if (p.kind == PENDING_SCHEDULE)
			answer_schedule(rt, p.call, accepted, reason);
		else if (accepted)
			pgq_rest_call_finish(p.call, 200, json_pack("{s:s}", "message",
								    "scheduled switchover deleted"),
					     NULL);
		else
			pgq_rest_call_fail(p.call, 404, "no switchover is scheduled");
		return;
	}
}

/*
 * api_fence.c — POST /fence/confirm {"member": OLD}: the operator confirms
 * that former primary OLD is fenced (powered off, isolated) when the
 * required fence of the pending promotion keeps failing (SAFETY.md L8).
 *
 * Checked first on this member's record, so that a typo is a clear 400/404
 * and a confirmation nobody waits for is a 412 that says why; then the
 * record command fence_confirm{member, epoch} is proposed through Raft by
 * any member (api_config.c: the leader proposes it, a follower forwards it
 * to the leader, else 307). The record decides at apply (S4: a CAS on the
 * blocked promotion's epoch, rejected once the record moved on); the call is
 * answered once the entry applied here: 200 recorded, 412 refused. The named
 * primary acts on the applied entry only (ha_hooks.c), never on this call.
 */
#include "log.h"
#include "record/record_cmd.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool awaits_fencing(const struct pgq_record *r, const char *name)
{
	const char (*names)[PGQ_RECORD_NAME_MAX] = NULL;
	size_t n = pgq_record_fence_pending(r, &names);

	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * Why no blocked fence waits for `name` in this member's record (412), or
 * NULL when one does. The record checks the same at apply (S4).
 */
static const char *not_blocked_reason(const struct pgq_record *r, const char *name, char *buf,
				      size_t buflen)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	const struct pgq_failover_blocked *b = pgq_record_failover_blocked(r);

	if (p->state != PGQ_PRIMARY_ACTIVE || p->promoted) {
		snprintf(buf, buflen, "no promotion is pending (epoch %llu, primary %s is %s%s): "
			 "nothing waits for a fence", (unsigned long long)p->epoch,
			 p->name[0] != '\0' ? p->name : "(none)", pgq_primary_state_name(p->state),
			 p->promoted ? ", promoted" : "");
		return buf;
	}
	if (strcmp(p->name, name) == 0) {
		snprintf(buf, buflen, "%s is the member being promoted, not a former primary", name);
		return buf;
	}
	if (!awaits_fencing(r, name)) {
		snprintf(buf, buflen, "%s does not await fencing: the promotion of %s in epoch %llu "
			 "does not wait for it (see fence_pending in GET /cluster)", name, p->name,
			 (unsigned long long)p->epoch);
		return buf;
	}
	if (!b->set || b->epoch != p->epoch) {
		snprintf(buf, buflen, "the promotion of %s in epoch %llu is not blocked: its fence of "
			 "%s has not failed (yet); confirm only a required fence that keeps failing "
			 "(failover_blocked in GET /cluster)", p->name, (unsigned long long)p->epoch,
			 name);
		return buf;
	}
	return NULL;
}

void rt_api_fence_confirm(struct pgq_runtime *rt, struct pgq_rest_call *call)
{
	const json_t *member = call->body != NULL ? json_object_get(call->body, "member") : NULL;
	const char *name = json_string_value(member);
	const struct pgq_primary *p;
	char why[PGQ_RECORD_TEXT_MAX * 2 + 160];
	struct cmd c = { 0 };
	int rc;

	if (call->body == NULL || json_object_size(call->body) != 1 || !pgq_record_valid_member_name(name)) {
		pgq_rest_call_fail(call, 400, "expected {\"member\": NAME}: the former primary to "
				   "confirm fenced");
		return;
	}
	if (!pgq_record_bootstrapped(rt->record)) {
		pgq_rest_call_fail(call, 503, "the cluster is not bootstrapped yet");
		return;
	}
	if (pgq_record_member_by_name(rt->record, name) == NULL) {
		snprintf(why, sizeof why, "no member named %s", name);
		pgq_rest_call_fail(call, 404, why);
		return;
	}
	if (not_blocked_reason(rt->record, name, why, sizeof why) != NULL) {
		pgq_rest_call_fail(call, 412, why);
		return;
	}
	/* S17: every voter must apply the version-2 command before anyone proposes it. */
	if (pgq_record_cmd_version_usable(rt->record) < PGQ_RECORD_CMD_VERSION_FENCE_CONFIRM) {
		pgq_rest_call_fail(call, 503, "not every voter reported an agent that applies "
				   "fence_confirm (record command version 2, S17): upgrade them first");
		return;
	}
	p = pgq_record_primary(rt->record);
	pgq_warning("rest", "L8: operator confirms that %s is fenced for the promotion of %s "
		    "(epoch %llu): proposing fence_confirm", name, p->name,
		    (unsigned long long)p->epoch);
	rc = pgq_cmd_fence_confirm(name, p->epoch, rt_wall_ms(), &c.data, &c.len);
	rt_api_propose_and_wait(rt, call, PENDING_FENCE_CONFIRM, rc, &c, -1, -1);
}

void rt_api_fence_confirm_applied(struct pgq_runtime *rt, struct pgq_rest_call *call,
				  bool accepted, const char *reason)
{
	const struct pgq_primary *p = pgq_record_primary(rt->record);
	size_t nh = pgq_record_history_count(rt->record);
	const struct pgq_history_entry *h = nh > 0 ? pgq_record_history_at(rt->record, nh - 1) : NULL;
	char msg[PGQ_RECORD_NAME_MAX * 2 + 160];

	if (!accepted) {
		/* The record moved on between our check and the apply (S4). */
		pgq_rest_call_fail(call, 412, reason);
		return;
	}
	snprintf(msg, sizeof msg, "fence of %s confirmed by the operator for epoch %llu: %s "
		 "promotes without a successful fence hook",
		 h != NULL ? h->fence_confirmed : "?", (unsigned long long)p->epoch, p->name);
	pgq_info("rest", "%s", msg);
	pgq_rest_call_finish(call, 200,
			     json_pack("{s:s, s:s, s:I, s:s}", "message", msg, "member",
				       h != NULL ? h->fence_confirmed : "", "epoch",
				       (json_int_t)p->epoch, "promoting", p->name),
			     NULL);
}

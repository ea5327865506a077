/*
 * fence_policy.c — what a hook result means for a promotion.
 *
 * S19: every loss that is not clean runs the `fence` hook before promotion;
 * `pre_promote` runs after X holds its lease and before pg_promote(), and a
 * veto commits vetoed{X, e}. S6: where whole-VM pauses are possible leases
 * are not enough, so `fencing.required` makes anything short of a confirmed
 * fence block the promotion (L8: it is retried and the record says why).
 */
#include "hooks/hooks.h"

#include <stdio.h>

bool pgq_hooks_vetoed(const struct pgq_hook_result *result)
{
	/* A hook that could not run, timed out or crashed cannot say yes. */
	return result->configured && !result->ok;
}

const char *pgq_fence_decision_name(enum pgq_fence_decision decision)
{
	switch (decision) {
	case PGQ_FENCE_DONE: return "fenced";
	case PGQ_FENCE_CONTINUE: return "continue";
	case PGQ_FENCE_BLOCKED: return "blocked";
	}
	return "unknown";
}

bool pgq_fence_round_next(const struct pgq_hook_result *result, size_t index, size_t n)
{
	return result->configured && result->ok && n > 0 && index + 1 < n;
}

static void describe_part(char *out, size_t outlen, const char *kind,
			  const struct pgq_hook_part_result *part)
{
	if (part->status == PGQ_HOOK_TIMED_OUT)
		snprintf(out, outlen, "fence %s hook timed out after %llu ms", kind,
			 (unsigned long long)part->run_ms);
	else if (part->status == PGQ_HOOK_SIGNALED)
		snprintf(out, outlen, "fence %s hook killed by signal %d", kind, part->term_signal);
	else if (part->status == PGQ_HOOK_ERROR)
		snprintf(out, outlen, "fence %s hook could not run: %s", kind, part->error);
	else
		snprintf(out, outlen, "fence %s hook failed with code %d", kind, part->exit_code);
}

enum pgq_fence_decision pgq_fence_decide(const struct pgq_hook_result *result, bool required,
					 char *why, size_t whylen)
{
	char reason[384];

	if (result->configured && result->ok) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "old primary fenced");
		return PGQ_FENCE_DONE;
	}
	if (!result->configured)
		snprintf(reason, sizeof(reason), "no fence hook configured");
	else if (result->exec.status != PGQ_HOOK_NOT_RUN && result->exec.status != PGQ_HOOK_OK)
		describe_part(reason, sizeof(reason), "exec", &result->exec);
	else
		describe_part(reason, sizeof(reason), "plugin", &result->plugin);
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s%s", reason,
			 required ? " (fencing.required: promotion blocked)" : " (fencing not required)");
	return required ? PGQ_FENCE_BLOCKED : PGQ_FENCE_CONTINUE;
}

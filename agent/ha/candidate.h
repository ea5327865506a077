/*
 * candidate.h — the failover candidate choice (SAFETY.md S8, S9, R4, L5),
 * read from the record alone so that the leader and every member (which
 * may need to catch up from the most advanced member, S8) compute the same
 * answer.
 */
#ifndef PGQ_HA_CANDIDATE_H
#define PGQ_HA_CANDIDATE_H

#include "ha/ha.h"

enum pgq_ha_choice_kind {
	PGQ_CHOICE_WAIT = 0,      /* not enough valid reports yet (S8/S9) */
	PGQ_CHOICE_PROMOTE,       /* `name` may be named */
	PGQ_CHOICE_BLOCKED,       /* nobody may be named: `why` (L4) */
};

struct pgq_ha_choice {
	enum pgq_ha_choice_kind kind;
	char name[PGQ_RECORD_NAME_MAX];     /* PROMOTE: the candidate */
	uint64_t lsn;                       /* PROMOTE: its LSN */
	/* BLOCKED by S8 (most advanced cannot be promoted): whom to catch up from. */
	char catchup_from[PGQ_RECORD_NAME_MAX];
	uint64_t catchup_lsn;
	uint32_t valid_reports;             /* valid reports counted */
	char why[256];                      /* WAIT/BLOCKED: the reason, citing the rule */
};

/*
 * R4 order between two valid reporters: highest LSN, then smaller replay
 * backlog (L5), then higher failover_priority, then smaller name.
 * Negative when a goes first.
 */
int pgq_ha_candidate_cmp(const struct pgq_member *a, const struct pgq_member *b);

/*
 * Choose after a loss (the primary state is lost, released, demoted or
 * vetoed). `all_reported_or_timed_out`: the leader has waited long enough
 * (every reachable member reported, or report_timeout passed), so a choice
 * among the reports in hand is final. wall_ms (wall clock, like the record's
 * times): a vetoed member may be tried again failover_backoff after its veto
 * (docs/safety-changes.md C10).
 */
void pgq_ha_choose(const struct pgq_record *r, bool all_reported_or_timed_out, uint64_t wall_ms,
		   struct pgq_ha_choice *out);

#endif /* PGQ_HA_CANDIDATE_H */

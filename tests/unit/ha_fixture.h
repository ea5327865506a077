/*
 * ha_fixture.h — helpers shared by the HA logic tests: default inputs, a
 * decision that must succeed, feeding a decision's commands into the
 * record (so tests run the real apply, CAS checks included), and common
 * record histories.
 */
#ifndef PGQ_HA_FIXTURE_H
#define PGQ_HA_FIXTURE_H

#include "record_fixture.h"
#include "ha/leader.h"
#include "ha/member.h"

extern const struct pgq_ha_timing hx_timing;

/* A healthy streaming standby on timeline 1, caught up, at now_ms 1000000. */
void hx_input(struct pgq_ha_member_input *in, const char *me);
/* A running writable primary observation. */
void hx_pg_writable(struct pgq_ha_pg_obs *pg, uint32_t tli);

/* Decide; fails the test on an error. The caller frees d->cmds. */
void hx_decide(struct fx *f, struct pgq_ha_member_state *st, const struct pgq_ha_member_input *in,
	       struct pgq_ha_member_decision *d);
/* Apply the first command named `name` in l at the next index; -99 when absent. */
int hx_apply(struct fx *f, struct pgq_ha_cmds *l, const char *name);

/* A leader input at now_ms with its election long past. */
void hx_leader_input(struct pgq_ha_leader_input *in, uint64_t now_ms);
/* Decide as leader; fails the test on an error. */
void hx_lead(struct fx *f, const struct pgq_ha_leader_clock *c,
	     const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d);

/* fx_cluster3, then pg1 lost and valid reports pg2 = lsn2, pg3 = lsn3 (0: no report). */
void hx_lost_with_reports(struct fx *f, uint64_t lsn2, uint64_t lsn3);
/* ... then `who` named by failover (epoch 2, no lease yet). */
void hx_named(struct fx *f, const char *who);
/*
 * Make `who` (named, epoch e) hold a lease through its own decision: the
 * member renews at now_ms, the renewal is applied. Returns true on success.
 */
bool hx_claim(struct fx *f, struct pgq_ha_member_state *st, struct pgq_ha_member_input *in);

#endif

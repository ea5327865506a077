/*
 * member_internal.h — shared between the member decision's driver
 * (decide_member.c) and its convergence table (member_table.c).
 */
#ifndef PGQ_HA_MEMBER_INTERNAL_H
#define PGQ_HA_MEMBER_INTERNAL_H

#include "ha/member.h"

struct mctx {
	const struct pgq_record *r;
	const struct pgq_primary *p;
	const struct pgq_dyn_config *cfg;
	struct pgq_ha_member_state *st;
	const struct pgq_ha_member_input *in;
	struct pgq_ha_member_decision *d;
	int rc;                    /* first builder error */
};

/* The row handlers, indexed like the public table. */
typedef void (*row_fn)(struct mctx *c);
const row_fn *member_row_handlers(size_t *n);

/* Helpers the rows share with the driver. */
bool m_holds_lease(enum pgq_primary_state s);
/* Append a built command to the decision; the first error is kept in c->rc. */
void m_add(struct mctx *c, int rc, uint8_t *buf, size_t len, const char *name,
	   const char *reason);
uint64_t m_resend_interval_ms(const struct pgq_dyn_config *cfg);
void m_maybe_renew(struct mctx *c);   /* member_renew.c */
void m_maybe_report(struct mctx *c, const char *catchup_from); /* member_report.c */
void m_act(struct mctx *c, enum pgq_ha_action a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void m_check_by(struct mctx *c, uint64_t t);
bool m_named(const struct mctx *c);
bool m_paused_skip(struct mctx *c);
void m_propose_release(struct mctx *c, const char *reason);
void m_propose_vetoed(struct mctx *c, const char *reason);
void m_propose_promoted(struct mctx *c);
void m_propose_demoted(struct mctx *c);
/* S1/S5: a valid lease for the recorded epoch with the fast-stop margin ahead. */
bool m_writable_allowed(const struct mctx *c);
/* Same, before asking PostgreSQL to become writable; sets next_check_ms. */
bool m_may_become_writable(struct mctx *c);
/* S12: may this member start writable on its current timeline (no pg_promote)? */
bool m_same_timeline_start(const struct mctx *c);
/* S12/S14: divergence from the recorded timeline history. */
enum divergence { DIV_NONE = 0, DIV_REWIND, DIV_RECLONE };
enum divergence m_divergence(const struct mctx *c);
/* S8: the member to catch up from while a failover is blocked, or NULL. */
const char *m_catchup_source(struct mctx *c, char *buf, size_t len);

#endif

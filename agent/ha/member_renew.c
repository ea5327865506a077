/*
 * member_renew.c — the named primary's lease renewals (SAFETY.md S1, S2):
 * one every loop_wait; a renewal not yet seen committed is resent with its
 * nonce, so the lease it grants still counts from its first send.
 */
#include <string.h>

#include "ha/member_internal.h"
#include "record/record_cmd.h"

/* How soon an unanswered renewal or loss report is sent again: loop_wait/4 in [100 ms, 2 s]. */
uint64_t m_resend_interval_ms(const struct pgq_dyn_config *cfg)
{
	uint64_t i = cfg->loop_wait_ms / 4;

	return i < 100 ? 100 : i > 2000 ? 2000 : i;
}

/* S1, S2: the named primary renews every loop_wait; a lost send is resent with its nonce. */
void m_maybe_renew(struct mctx *c)
{
	struct pgq_ha_member_state *st = c->st;
	const struct pgq_lease *l = &st->lease;
	const struct pgq_lease_pending *pend = NULL;
	uint64_t now = c->in->now_ms, nonce;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!m_named(c) || !m_holds_lease(c->p->state))
		return;
	/*
	 * S1/S15 (C14): no lease before initdb finished. Renewing meanwhile
	 * would start the leader's loss timer, and initdb (no decision runs
	 * while it does) may outlast a ttl: the first primary would be declared
	 * lost and named again under epoch 2.
	 */
	if (c->d->goal == PGQ_GOAL_BOOTSTRAP)
		return;
	if (st->fenced_epoch == c->p->epoch && c->p->state != PGQ_PRIMARY_DEMOTING)
		return; /* fenced: the lease is given up, not renewed */
	if (l->epoch == c->p->epoch && l->n_pending > 0 &&
	    l->pending[l->n_pending - 1].lease_seq == c->p->lease_seq)
		pend = &l->pending[l->n_pending - 1];
	if (pend != NULL) {
		if (now < pgq_ha_add_sat(st->renew_resend_ms, m_resend_interval_ms(c->cfg))) {
			m_check_by(c, pgq_ha_add_sat(st->renew_resend_ms, m_resend_interval_ms(c->cfg)));
			return;
		}
		nonce = pend->nonce;
		rc = pgq_cmd_lease_renew(c->in->me, c->p->epoch, pend->lease_seq, nonce, pend->ttl_ms,
					 c->in->wall_ms, &buf, &len);
		m_add(c, rc, buf, len, "lease_renew", "S2: resend of a renewal not yet committed");
		st->renew_resend_ms = now;
		m_check_by(c, pgq_ha_add_sat(now, m_resend_interval_ms(c->cfg)));
		return;
	}
	if (pgq_lease_valid(l, c->p->epoch, now) &&
	    now < pgq_ha_add_sat(st->renew_new_ms, c->cfg->loop_wait_ms)) {
		m_check_by(c, pgq_ha_add_sat(st->renew_new_ms, c->cfg->loop_wait_ms));
		return;
	}
	nonce = c->in->nonce & (uint64_t)INT64_MAX; /* the record takes nonces < 2^63 */
	pgq_lease_sent(&st->lease, c->p->epoch, c->p->lease_seq, nonce, c->cfg->ttl_ms, now);
	rc = pgq_cmd_lease_renew(c->in->me, c->p->epoch, c->p->lease_seq, nonce, c->cfg->ttl_ms,
				 c->in->wall_ms, &buf, &len);
	m_add(c, rc, buf, len, "lease_renew", "S1/S2: lease renewal");
	st->renew_new_ms = st->renew_resend_ms = now;
	m_check_by(c, pgq_ha_add_sat(now, m_resend_interval_ms(c->cfg)));
}

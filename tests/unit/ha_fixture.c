/*
 * ha_fixture.c — helpers shared by the HA logic tests.
 */
#include <string.h>

#include "ha_fixture.h"

const struct pgq_ha_timing hx_timing = {
	.drift_floor_ms = 500, .stop_budget_ms = 5000, .kill_budget_ms = 1500,
	.report_timeout_ms = 5000, .switchover_timeout_ms = 60000,
};

void hx_input(struct pgq_ha_member_input *in, const char *me)
{
	memset(in, 0, sizeof(*in));
	in->me = me;
	in->now_ms = 1000000;
	in->wall_ms = 1764240000000ull;
	in->nonce = 4242;
	in->caught_up = true;
	in->reclone_allowed = true;
	in->timing = hx_timing;
	in->pg.data = PGQ_PGDATA_VALID;
	in->pg.run = PGQ_PGRUN_RUNNING;
	in->pg.in_recovery = true;
	in->pg.timeline = 1;
	in->pg.receive_lsn = in->pg.replay_lsn = in->pg.flush_lsn = 1000;
	in->pg.receiver_configured = true;
	strcpy(in->pg.upstream, "pg1");
	in->pg.standby_signal = true;
}

void hx_pg_writable(struct pgq_ha_pg_obs *pg, uint32_t tli)
{
	pg->data = PGQ_PGDATA_VALID;
	pg->run = PGQ_PGRUN_RUNNING;
	pg->in_recovery = false;
	pg->timeline = tli;
	pg->receiver_configured = false;
	pg->upstream[0] = '\0';
	pg->standby_signal = true;
}

void hx_decide(struct fx *f, struct pgq_ha_member_state *st, const struct pgq_ha_member_input *in,
	       struct pgq_ha_member_decision *d)
{
	char err[256] = "";

	if (pgq_ha_decide_member(f->r, st, in, d, err, sizeof(err)) != 0)
		fail_msg("decide_member: %s", err);
}

int hx_apply(struct fx *f, struct pgq_ha_cmds *l, const char *name)
{
	int i = pgq_ha_cmds_find(l, name);
	uint8_t *data;

	if (i < 0)
		return -99;
	data = l->cmd[i].data;
	l->cmd[i].data = NULL;
	return fx_apply(f, data, l->cmd[i].len);
}

void hx_leader_input(struct pgq_ha_leader_input *in, uint64_t now_ms)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = now_ms;
	in->wall_ms = 1764240000000ull + now_ms;
	in->became_leader_ms = 0;
	in->timing = hx_timing;
}

void hx_lead(struct fx *f, const struct pgq_ha_leader_clock *c,
	     const struct pgq_ha_leader_input *in, struct pgq_ha_leader_decision *d)
{
	char err[256] = "";

	if (pgq_ha_decide_leader(f->r, c, in, d, err, sizeof(err)) != 0)
		fail_msg("decide_leader: %s", err);
}

void hx_lost_with_reports(struct fx *f, uint64_t lsn2, uint64_t lsn3)
{
	fx_cluster3(f, NULL);
	fx_lose_primary(f);
	if (lsn2 != 0)
		fx_report_valid(f, "pg2", lsn2);
	if (lsn3 != 0)
		fx_report_valid(f, "pg3", lsn3);
}

void hx_named(struct fx *f, const char *who)
{
	const struct pgq_primary *p;

	hx_lost_with_reports(f, 5000, 4000);
	p = pgq_record_primary(f->r);
	OK(f, pgq_cmd_set_primary, who, p->epoch, p->lease_seq, PGQ_CHANGE_FAILOVER, false, 5000,
	   1764240000000ull);
}

bool hx_claim(struct fx *f, struct pgq_ha_member_state *st, struct pgq_ha_member_input *in)
{
	struct pgq_ha_member_decision d;
	int rc;

	hx_decide(f, st, in, &d);
	rc = hx_apply(f, &d.cmds, "lease_renew");
	pgq_ha_cmds_free(&d.cmds);
	return rc == PGQ_RECORD_APPLIED;
}

/*
 * test_ha_member.c — the member's convergence table, one test per row
 * (table-driven: scenario × local state → row, action), then one test per
 * rule the member decision enforces (S1, S2, S4, S5, S8, S9, S12, S13,
 * S14, S15, S18, S19, L5). Commands a decision asks for are applied to the
 * real record, so the tests also prove the record accepts them.
 */
#include <stdlib.h>
#include <string.h>

#include "ha_fixture.h"

#define WALL0 1764240000000ull

enum scen {
	SC_EMPTY,     /* no cluster */
	SC_BOOT,      /* pg1 named for epoch 1, no lease */
	SC_CLAIM,     /* pg2 named for epoch 2 after pg1's loss, no lease */
	SC_PROMOTE,   /* ... pg2 holds its lease */
	SC_PRIMARY,   /* ... pg2 promoted on timeline 2 (switch 5000) */
	SC_BOOT_LEASE,/* pg1 named for epoch 1 and holds its lease, not promoted */
	SC_PRIMARY1,  /* pg1 holds its lease, promoted on timeline 1 (epoch 1) */
	SC_DEMOTE,    /* ... switchover pg1 -> pg2 in phase demoting */
	SC_RELEASE,   /* SC_PRIMARY1 and pg1 self-fenced in epoch 1 */
	SC_REPORT,    /* pg1 lost (epoch 1), no successor */
	SC_WAIT,      /* pg2 named for epoch 2, not promoted */
};

enum obs { O_NO_DATA, O_BAD_DATA, O_REWINDING, O_STOPPED, O_CRASHED, O_STANDBY, O_WRITABLE, O_HUNG };

struct mt {
	struct fx *f;
	struct pgq_ha_member_state st;
	struct pgq_ha_member_input in;
	struct pgq_ha_member_decision d;
};

typedef void (*tweak_fn)(struct mt *t);
typedef void (*check_fn)(struct mt *t);

struct mcase {
	const char *name;
	enum scen scen;
	const char *me;
	enum obs obs;
	const char *row;
	enum pgq_ha_action action;
	tweak_fn tweak;
	check_fn check;
};

/* ---- scenarios ---------------------------------------------------------- */

static void claim_as(struct mt *t, const char *who)
{
	struct pgq_ha_member_input in;

	hx_input(&in, who);
	if (strcmp(who, "pg1") == 0 && pgq_record_epoch(t->f->r) == 1) {
		in.pg.run = PGQ_PGRUN_STOPPED;
		in.pg.fenced = true;
	}
	assert_true(hx_claim(t->f, &t->st, &in));
}

static void build(struct mt *t, enum scen s, const char *me)
{
	struct fx *f = t->f;

	switch (s) {
	case SC_EMPTY:
		return;
	case SC_BOOT:
		fx_bootstrap3(f, NULL);
		return;
	case SC_CLAIM:
	case SC_WAIT:
		hx_named(f, "pg2");
		return;
	case SC_PROMOTE:
	case SC_PRIMARY:
		hx_named(f, "pg2");
		if (strcmp(me, "pg2") == 0) {
			claim_as(t, "pg2");
		} else {
			fx_renew(f);
		}
		if (s == SC_PRIMARY)
			OK(f, pgq_cmd_promoted, "pg2", 2, 2, 5000, WALL0);
		return;
	case SC_BOOT_LEASE:
		fx_bootstrap3(f, NULL);
		claim_as(t, "pg1");
		return;
	case SC_PRIMARY1:
	case SC_DEMOTE:
	case SC_RELEASE:
		fx_bootstrap3(f, NULL);
		claim_as(t, "pg1");
		OK(f, pgq_cmd_promoted, "pg1", 1, 1, 0, WALL0);
		if (s == SC_DEMOTE) {
			fx_report(f, "pg2", "replica", 1, 900, 0, 0);
			OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, WALL0);
		}
		if (s == SC_RELEASE)
			t->st.fenced_epoch = 1;
		return;
	case SC_REPORT:
		fx_cluster3(f, NULL);
		fx_lose_primary(f);
		return;
	}
}

static void observe(struct pgq_ha_member_input *in, enum obs o)
{
	struct pgq_ha_pg_obs *pg = &in->pg;

	switch (o) {
	case O_NO_DATA:
		memset(pg, 0, sizeof(*pg));
		pg->data = PGQ_PGDATA_MISSING;
		pg->fenced = true;
		break;
	case O_BAD_DATA:
		pg->data = PGQ_PGDATA_INVALID;
		pg->run = PGQ_PGRUN_STOPPED;
		pg->fenced = true;
		break;
	case O_REWINDING:
		pg->data = PGQ_PGDATA_REWINDING;
		pg->run = PGQ_PGRUN_STOPPED;
		pg->fenced = true;
		break;
	case O_STOPPED:
		pg->run = PGQ_PGRUN_STOPPED;
		pg->fenced = true;
		pg->clean_shutdown = true;
		pg->checkpoint_lsn = 1200;
		pg->receiver_configured = false;
		break;
	case O_CRASHED:
		pg->run = PGQ_PGRUN_CRASHED;
		pg->fenced = true;
		break;
	case O_STANDBY:
		break;
	case O_WRITABLE:
		hx_pg_writable(pg, 1);
		break;
	case O_HUNG:
		pg->run = PGQ_PGRUN_NOT_ANSWERING;
		break;
	}
}

/* ---- tweaks and checks -------------------------------------------------- */

static void t_hooks_done(struct mt *t)
{
	t->in.pg.receiver_configured = false;
	t->in.hooks.fence_done_epoch = t->in.hooks.pre_promote_done_epoch =
		pgq_record_epoch(t->f->r);
}

static void t_tli2(struct mt *t)
{
	t->in.pg.timeline = 2;
	t->in.pg.switch_lsn = 5000;
}

static void t_tli2_sig_missing(struct mt *t)
{
	t_tli2(t);
	t->in.pg.standby_signal = false;
}

static void t_receiver_off_replay_stopped(struct mt *t)
{
	t->in.pg.receiver_configured = false;
	t->in.pg.replay_stopped = true;
}

static void t_unclean(struct mt *t)
{
	t->in.pg.clean_shutdown = false;
}

static void t_not_fenced(struct mt *t)
{
	t->in.pg.fenced = false;
}

static void t_diverged(struct mt *t)
{
	t->in.pg.flush_lsn = t->in.pg.receive_lsn = t->in.pg.replay_lsn = 6000;
}

static void t_diverged_stopped(struct mt *t)
{
	t_diverged(t);
	t->in.pg.checkpoint_lsn = 6000;
}

static void t_rewind_failed(struct mt *t)
{
	t_diverged_stopped(t);
	t->in.pg.rewind_failed = true;
}

static void t_rewind_failed_no_reclone(struct mt *t)
{
	t_rewind_failed(t);
	t->in.reclone_allowed = false;
}

static void t_unknown_timeline(struct mt *t)
{
	t->in.pg.timeline = 7;
}

static void t_streaming_pg2(struct mt *t)
{
	strcpy(t->in.pg.upstream, "pg2");
	t->in.pg.timeline = 2;
}

static void t_system_id_differs(struct mt *t)
{
	OK(t->f, pgq_cmd_system_id, "pg2", 2, "7000000000000000002");
	strcpy(t->in.pg.system_id, "7000000000000000001");
}

static int apply(struct mt *t, const char *cmd)
{
	return hx_apply(t->f, &t->d.cmds, cmd);
}

static void c_renews(struct mt *t)
{
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_renew") >= 0);
	assert_int_equal(apply(t, "lease_renew"), PGQ_RECORD_APPLIED);
}

/* S1/S15 (C14): no renewal while the bootstrap member has no data yet. */
static void c_no_renewal(struct mt *t)
{
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_renew") < 0);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "vetoed") < 0);
}

static void c_standby_no_upstream(struct mt *t)
{
	assert_true(t->d.standby_signal);
	assert_string_equal(t->d.upstream, "");
}

static void c_vetoed(struct mt *t)
{
	assert_int_equal(apply(t, "vetoed"), PGQ_RECORD_APPLIED);
	assert_int_equal(pgq_record_primary(t->f->r)->state, PGQ_PRIMARY_VETOED);
}

static void c_promote_asked(struct mt *t)
{
	assert_int_equal(t->st.promote_epoch, pgq_record_epoch(t->f->r));
	assert_false(t->d.may_be_writable); /* still in recovery */
}

static void c_start_writable(struct mt *t)
{
	assert_false(t->d.standby_signal);
}

static void c_promoted(struct mt *t)
{
	assert_int_equal(apply(t, "promoted"), PGQ_RECORD_APPLIED);
	assert_true(pgq_record_primary(t->f->r)->promoted);
	assert_true(t->d.may_be_writable);
}

static void c_writable_ok(struct mt *t)
{
	assert_true(t->d.may_be_writable);
}

static void c_fenced_epoch(struct mt *t)
{
	assert_int_equal(t->st.fenced_epoch, pgq_record_epoch(t->f->r));
}

static void c_clean_stop(struct mt *t)
{
	c_fenced_epoch(t);
	assert_true(t->d.standby_signal);
}

static void c_demoted(struct mt *t)
{
	assert_int_equal(apply(t, "demoted"), PGQ_RECORD_APPLIED);
	assert_int_equal(pgq_record_primary(t->f->r)->final_lsn, 1200);
	assert_int_equal(pgq_record_switchover(t->f->r)->phase, PGQ_SWITCHOVER_DEMOTED);
}

static void c_released(struct mt *t)
{
	assert_int_equal(apply(t, "lease_release"), PGQ_RECORD_APPLIED);
	assert_int_equal(pgq_record_primary(t->f->r)->state, PGQ_PRIMARY_RELEASED);
}

static void c_no_release(struct mt *t)
{
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_release") < 0);
}

static void c_valid_report(struct mt *t)
{
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	assert_true(pgq_record_report_valid_for_loss(t->f->r,
			pgq_record_member_by_name(t->f->r, t->in.me)));
}

static void c_upstream_pg2(struct mt *t)
{
	assert_string_equal(t->d.upstream, "pg2");
}

static void c_restart_read_only(struct mt *t)
{
	assert_true(t->d.standby_signal);
}

/* ---- the table ---------------------------------------------------------- */

static const struct mcase cases[] = {
	{ "row_idle", SC_EMPTY, "pg1", O_STANDBY, "idle", PGQ_HA_NONE, NULL, NULL },
	{ "row_bootstrap_initdb_S15", SC_BOOT, "pg1", O_NO_DATA, "bootstrap-initdb", PGQ_HA_INITDB, NULL, c_no_renewal },
	{ "row_claim_stopped_S1", SC_CLAIM, "pg2", O_STOPPED, "claim-stopped", PGQ_HA_START_STANDBY, NULL, c_standby_no_upstream },
	{ "row_claim_stopped_bootstrap_waits_S1", SC_BOOT, "pg1", O_STOPPED, "claim-stopped", PGQ_HA_NONE, NULL, c_renews },
	{ "row_claim_standby_S1", SC_CLAIM, "pg2", O_STANDBY, "claim-standby", PGQ_HA_STOP_RECEIVER, NULL, c_renews },
	{ "row_claim_crashed", SC_CLAIM, "pg2", O_CRASHED, "claim-crashed", PGQ_HA_RESTART, NULL, c_restart_read_only },
	{ "row_claim_unusable_S19", SC_CLAIM, "pg2", O_NO_DATA, "claim-unusable", PGQ_HA_NONE, NULL, c_vetoed },
	{ "row_promote_standby_S1", SC_PROMOTE, "pg2", O_STANDBY, "promote-standby", PGQ_HA_PROMOTE, t_hooks_done, c_promote_asked },
	{ "row_promote_stopped", SC_PROMOTE, "pg2", O_STOPPED, "promote-stopped", PGQ_HA_START_STANDBY, t_hooks_done, c_standby_no_upstream },
	{ "row_promote_stopped_bootstrap_S1", SC_BOOT_LEASE, "pg1", O_STOPPED, "promote-stopped", PGQ_HA_START_PRIMARY, t_hooks_done, c_start_writable },
	{ "row_promote_writable_S12", SC_PROMOTE, "pg2", O_WRITABLE, "promote-writable", PGQ_HA_NONE, t_tli2, c_promoted },
	{ "row_promote_writable_signal_S14", SC_PROMOTE, "pg2", O_WRITABLE, "promote-writable", PGQ_HA_WRITE_STANDBY_SIGNAL, t_tli2_sig_missing, c_promoted },
	{ "row_promote_crashed", SC_PROMOTE, "pg2", O_CRASHED, "promote-crashed", PGQ_HA_RESTART, NULL, c_restart_read_only },
	{ "row_promote_hung_L5", SC_PROMOTE, "pg2", O_HUNG, "promote-hung", PGQ_HA_NONE, NULL, NULL },
	{ "row_promote_unusable_S19", SC_PROMOTE, "pg2", O_NO_DATA, "promote-unusable", PGQ_HA_NONE, NULL, c_vetoed },
	{ "row_primary_writable", SC_PRIMARY, "pg2", O_WRITABLE, "primary-writable", PGQ_HA_NONE, t_tli2, c_writable_ok },
	{ "row_primary_writable_signal_S14", SC_PRIMARY, "pg2", O_WRITABLE, "primary-writable", PGQ_HA_WRITE_STANDBY_SIGNAL, t_tli2_sig_missing, c_writable_ok },
	{ "row_primary_stopped_S14", SC_PRIMARY, "pg2", O_STOPPED, "primary-stopped", PGQ_HA_START_PRIMARY, t_tli2, c_start_writable },
	{ "row_primary_crashed_S14", SC_PRIMARY, "pg2", O_CRASHED, "primary-crashed", PGQ_HA_RESTART, t_tli2, c_start_writable },
	{ "row_primary_standby_S12", SC_PRIMARY, "pg2", O_STANDBY, "primary-standby", PGQ_HA_FAST_STOP, t_tli2, NULL },
	{ "row_primary_unusable_S5", SC_PRIMARY, "pg2", O_BAD_DATA, "primary-unusable", PGQ_HA_IMMEDIATE_STOP, NULL, c_fenced_epoch },
	{ "row_demote_writable_S13", SC_DEMOTE, "pg1", O_WRITABLE, "demote-writable", PGQ_HA_CLEAN_STOP, NULL, c_clean_stop },
	{ "row_demote_stopped_S13", SC_DEMOTE, "pg1", O_STOPPED, "demote-stopped", PGQ_HA_NONE, NULL, c_demoted },
	{ "row_demote_stopped_unclean_S19", SC_DEMOTE, "pg1", O_STOPPED, "demote-stopped", PGQ_HA_NONE, t_unclean, c_released },
	{ "row_demote_stopped_survivors_S5", SC_DEMOTE, "pg1", O_STOPPED, "demote-stopped", PGQ_HA_KILL, t_not_fenced, c_no_release },
	{ "row_demote_standby_S13", SC_DEMOTE, "pg1", O_STANDBY, "demote-standby", PGQ_HA_FAST_STOP, NULL, c_clean_stop },
	{ "row_demote_other_S13", SC_DEMOTE, "pg1", O_CRASHED, "demote-other", PGQ_HA_NONE, NULL, c_released },
	{ "row_release_down_S5", SC_RELEASE, "pg1", O_STOPPED, "release-down", PGQ_HA_NONE, NULL, c_released },
	{ "row_release_down_survivors_S5", SC_RELEASE, "pg1", O_STOPPED, "release-down", PGQ_HA_KILL, t_not_fenced, c_no_release },
	{ "row_release_down_standby_S5", SC_RELEASE, "pg1", O_STANDBY, "release-down", PGQ_HA_IMMEDIATE_STOP, NULL, c_no_release },
	{ "row_bad_data_S15", SC_PRIMARY, "pg3", O_BAD_DATA, "bad-data", PGQ_HA_STAY_DOWN, NULL, NULL },
	{ "row_bad_data_system_id_S15", SC_PRIMARY, "pg3", O_STOPPED, "bad-data", PGQ_HA_STAY_DOWN, t_system_id_differs, NULL },
	{ "row_report_standby_S9", SC_REPORT, "pg2", O_STANDBY, "report-standby", PGQ_HA_STOP_RECEIVER, NULL, NULL },
	{ "row_report_standby_valid_S9", SC_REPORT, "pg2", O_STANDBY, "report-standby", PGQ_HA_NONE, t_receiver_off_replay_stopped, c_valid_report },
	{ "row_report_stopped", SC_REPORT, "pg2", O_STOPPED, "report-stopped", PGQ_HA_START_STANDBY, NULL, c_standby_no_upstream },
	{ "row_report_crashed", SC_REPORT, "pg2", O_CRASHED, "report-crashed", PGQ_HA_RESTART, NULL, c_restart_read_only },
	{ "row_report_other", SC_REPORT, "pg2", O_NO_DATA, "report-other", PGQ_HA_NONE, NULL, NULL },
	{ "row_wait_standby_S12", SC_WAIT, "pg3", O_STANDBY, "wait-standby", PGQ_HA_STOP_RECEIVER, NULL, NULL },
	{ "row_wait_stopped_S12", SC_WAIT, "pg3", O_STOPPED, "wait-stopped", PGQ_HA_START_STANDBY, NULL, c_standby_no_upstream },
	{ "row_wait_crashed", SC_WAIT, "pg3", O_CRASHED, "wait-crashed", PGQ_HA_RESTART, NULL, c_restart_read_only },
	{ "row_wait_other_S12", SC_WAIT, "pg3", O_NO_DATA, "wait-other", PGQ_HA_NONE, NULL, NULL },
	{ "row_follow_standby_S12", SC_PRIMARY, "pg3", O_STANDBY, "follow-standby", PGQ_HA_FOLLOW, NULL, c_upstream_pg2 },
	{ "row_follow_standby_streaming", SC_PRIMARY, "pg3", O_STANDBY, "follow-standby", PGQ_HA_NONE, t_streaming_pg2, NULL },
	{ "row_follow_standby_diverged_S14", SC_PRIMARY, "pg3", O_STANDBY, "follow-standby", PGQ_HA_FAST_STOP, t_diverged, NULL },
	{ "row_follow_stopped", SC_PRIMARY, "pg3", O_STOPPED, "follow-stopped", PGQ_HA_START_STANDBY, NULL, c_upstream_pg2 },
	{ "row_follow_stopped_rewind_S14", SC_PRIMARY, "pg3", O_STOPPED, "follow-stopped", PGQ_HA_REWIND, t_diverged_stopped, c_upstream_pg2 },
	{ "row_follow_stopped_reclone", SC_PRIMARY, "pg3", O_STOPPED, "follow-stopped", PGQ_HA_RECLONE, t_rewind_failed, c_upstream_pg2 },
	{ "row_follow_stopped_stay_down", SC_PRIMARY, "pg3", O_STOPPED, "follow-stopped", PGQ_HA_STAY_DOWN, t_rewind_failed_no_reclone, NULL },
	{ "row_follow_stopped_unknown_tli_S12", SC_PRIMARY, "pg3", O_STOPPED, "follow-stopped", PGQ_HA_RECLONE, t_unknown_timeline, NULL },
	{ "row_follow_rewinding_S14", SC_PRIMARY, "pg3", O_REWINDING, "follow-rewinding", PGQ_HA_REWIND, NULL, c_upstream_pg2 },
	{ "row_follow_crashed", SC_PRIMARY, "pg3", O_CRASHED, "follow-crashed", PGQ_HA_RESTART, NULL, c_upstream_pg2 },
	{ "row_follow_nodata", SC_PRIMARY, "pg3", O_NO_DATA, "follow-nodata", PGQ_HA_BASEBACKUP, NULL, c_upstream_pg2 },
	{ "row_follow_hung", SC_PRIMARY, "pg3", O_HUNG, "follow-hung", PGQ_HA_NONE, NULL, NULL },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static int mt_setup(void **state)
{
	struct mt *t = calloc(1, sizeof(*t));
	void *fs = NULL;

	if (t == NULL || fx_setup(&fs) != 0) {
		free(t);
		return -1;
	}
	t->f = fs;
	*state = t;
	return 0;
}

static int mt_teardown(void **state)
{
	struct mt *t = *state;
	void *fs = t->f;

	pgq_ha_cmds_free(&t->d.cmds);
	fx_teardown(&fs);
	free(t);
	return 0;
}

static const struct mcase *current;

static void run_case(void **state)
{
	struct mt *t = *state;
	const struct mcase *c = current;

	build(t, c->scen, c->me);
	hx_input(&t->in, c->me);
	t->in.now_ms += 1; /* just after the scenario's claim */
	observe(&t->in, c->obs);
	if (c->tweak != NULL)
		c->tweak(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	if (strcmp(t->d.row, c->row) != 0 || t->d.action != c->action)
		fail_msg("%s: row %s action %s (%s); expected row %s action %s", c->name, t->d.row,
			 pgq_ha_action_name(t->d.action), t->d.comment, c->row,
			 pgq_ha_action_name(c->action));
	if (c->check != NULL)
		c->check(t);
}

/* cmocka passes no per-test argument to a plain test: one trampoline per case. */
#define CASE_FN(i) \
	static void case_##i(void **state) \
	{ \
		current = &cases[i]; \
		run_case(state); \
	}
CASE_FN(0) CASE_FN(1) CASE_FN(2) CASE_FN(3) CASE_FN(4) CASE_FN(5) CASE_FN(6) CASE_FN(7)
CASE_FN(8) CASE_FN(9) CASE_FN(10) CASE_FN(11) CASE_FN(12) CASE_FN(13) CASE_FN(14)
CASE_FN(15) CASE_FN(16) CASE_FN(17) CASE_FN(18) CASE_FN(19) CASE_FN(20) CASE_FN(21)
CASE_FN(22) CASE_FN(23) CASE_FN(24) CASE_FN(25) CASE_FN(26) CASE_FN(27) CASE_FN(28)
CASE_FN(29) CASE_FN(30) CASE_FN(31) CASE_FN(32) CASE_FN(33) CASE_FN(34) CASE_FN(35)
CASE_FN(36) CASE_FN(37) CASE_FN(38) CASE_FN(39) CASE_FN(40) CASE_FN(41) CASE_FN(42)
CASE_FN(43) CASE_FN(44) CASE_FN(45) CASE_FN(46) CASE_FN(47) CASE_FN(48) CASE_FN(49)
CASE_FN(50) CASE_FN(51) CASE_FN(52)

static void (*const case_fns[])(void **) = {
	case_0, case_1, case_2, case_3, case_4, case_5, case_6, case_7, case_8, case_9,
	case_10, case_11, case_12, case_13, case_14, case_15, case_16, case_17, case_18, case_19,
	case_20, case_21, case_22, case_23, case_24, case_25, case_26, case_27, case_28, case_29,
	case_30, case_31, case_32, case_33, case_34, case_35, case_36, case_37, case_38, case_39,
	case_40, case_41, case_42, case_43, case_44, case_45, case_46, case_47, case_48, case_49,
	case_50, case_51, case_52,
};
_Static_assert(sizeof(case_fns) / sizeof(case_fns[0]) == N_CASES, "one trampoline per case");

/* Every row of the table has at least one case above. */
static void test_every_row_has_a_case(void **state)
{
	size_t n;
	const struct pgq_ha_row *rows = pgq_ha_member_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < N_CASES && !found; j++)
			found = strcmp(cases[j].row, rows[i].id) == 0;
		if (!found)
			fail_msg("row %s has no test case", rows[i].id);
	}
}

/* ---- rules --------------------------------------------------------------- */

/*
 * C14 (S1/S15): the bootstrap member whose data directory is empty runs
 * initdb (again) even when it holds a lease — never the "promote-unusable"
 * veto that named the first primary under epoch 2 — and sends no renewal
 * until initdb finished.
 */
static void test_c14_bootstrap_initdb_even_with_lease(void **state)
{
	struct mt *t = *state;

	build(t, SC_BOOT_LEASE, "pg1");
	assert_true(pgq_record_primary(t->f->r)->lease_seq > 0);
	hx_input(&t->in, "pg1");
	t->in.now_ms += 1;
	observe(&t->in, O_NO_DATA);
	t->in.now_ms += 5000; /* past loop_wait: a renewal would be due */
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(t->st.lease.held);
	assert_string_equal(t->d.row, "bootstrap-initdb");
	assert_int_equal(t->d.action, PGQ_HA_INITDB);
	c_no_renewal(t);
}

/* S1: named, renewal sent but not committed: never promote, whatever the hooks say. */
static void test_s1_no_promote_before_renewal_commits(void **state)
{
	struct mt *t = *state;

	hx_named(t->f, "pg2");
	hx_input(&t->in, "pg2");
	t_hooks_done(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_not_equal(t->d.action, PGQ_HA_PROMOTE);
	assert_int_equal(t->d.goal, PGQ_GOAL_CLAIM);
	pgq_ha_cmds_free(&t->d.cmds); /* the renewal is lost */
	t->in.now_ms += 10000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_not_equal(t->d.action, PGQ_HA_PROMOTE);
	/* Committing it grants the lease: now the promotion goes ahead. */
	assert_int_equal(apply(t, "lease_renew"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&t->d.cmds);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_PROMOTE);
}

/* S2: a renewal not yet committed is resent with the same nonce; a new one only when due. */
static void test_s2_resend_same_nonce(void **state)
{
	struct mt *t = *state;
	uint64_t nonce;

	hx_named(t->f, "pg2");
	hx_input(&t->in, "pg2");
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_renew") >= 0);
	nonce = t->st.lease.pending[0].nonce;
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.nonce = 999;
	t->in.now_ms += 100; /* before the resend interval */
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_renew") < 0);
	t->in.now_ms += 5000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_renew") >= 0);
	assert_int_equal(t->st.lease.n_pending, 1);
	assert_int_equal(t->st.lease.pending[0].nonce, nonce);
	assert_int_equal(t->st.lease.pending[0].first_send_ms, 1000000);
	assert_int_equal(apply(t, "lease_renew"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&t->d.cmds);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	/* S2: measured from the first send, not the resend. */
	assert_int_equal(t->st.lease.lease_end_ms, 1000000 + 30000);
}

/* S5: the self-fence schedule as the lease runs out, ±1 ms around each step. */
static void test_s5_self_fence_schedule(void **state)
{
	struct mt *t = *state;
	const uint64_t end = 1000000 + 30000; /* pg2's claim at 1000000, ttl 30 s */
	struct { uint64_t now; enum pgq_ha_action a; } steps[] = {
		{ end - 5001, PGQ_HA_NONE }, { end - 5000, PGQ_HA_FAST_STOP },
		{ end - 1501, PGQ_HA_FAST_STOP }, { end - 1500, PGQ_HA_IMMEDIATE_STOP },
		{ end - 751, PGQ_HA_IMMEDIATE_STOP }, { end - 750, PGQ_HA_KILL },
		{ end, PGQ_HA_KILL }, { end + 1, PGQ_HA_KILL },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		void *fs = t->f;

		/* A fresh cluster for each instant. */
		fx_teardown(&fs);
		assert_int_equal(fx_setup(&fs), 0);
		t->f = fs;
		memset(&t->st, 0, sizeof(t->st));
		build(t, SC_PRIMARY, "pg2");
		hx_input(&t->in, "pg2");
		hx_pg_writable(&t->in.pg, 2);
		t->in.now_ms = steps[i].now;
		t->st.renew_new_ms = steps[i].now; /* renewal not due: isolate the schedule */
		hx_decide(t->f, &t->st, &t->in, &t->d);
		if (t->d.action != steps[i].a)
			fail_msg("at lease_end%+lld: %s, expected %s", (long long)(steps[i].now - end),
				 pgq_ha_action_name(t->d.action), pgq_ha_action_name(steps[i].a));
		assert_true(t->d.may_be_writable == (steps[i].a == PGQ_HA_NONE));
		pgq_ha_cmds_free(&t->d.cmds);
	}
}

/* S5, R5: a writable PostgreSQL that holds no lease is fenced at once (here: a former primary). */
static void test_s5_writable_without_lease_killed(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg3");
	hx_input(&t->in, "pg3");
	hx_pg_writable(&t->in.pg, 1);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "S5-fence");
	assert_int_equal(t->d.action, PGQ_HA_KILL);
	assert_false(t->d.may_be_writable);
}

/* S5: a hung primary is fenced after retry_timeout, then (stopped, verified) releases. */
static void test_s5_hung_primary_fenced_then_released(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg2");
	hx_input(&t->in, "pg2");
	hx_pg_writable(&t->in.pg, 2);
	t->in.pg.run = PGQ_PGRUN_NOT_ANSWERING;
	t->in.pg.not_answering_since_ms = t->in.now_ms;
	t->in.now_ms += 9999;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_release") < 0);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms += 1;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_IMMEDIATE_STOP);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "lease_release") < 0); /* S5: not yet */
	pgq_ha_cmds_free(&t->d.cmds);
	observe(&t->in, O_STOPPED);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "release-down");
	c_released(t);
}

/* S4: before applying up to the leader's ReadIndex, nothing but safety. */
static void test_s4_nothing_before_catch_up(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg3");
	hx_input(&t->in, "pg3");
	t->in.caught_up = false;
	observe(&t->in, O_NO_DATA);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
	assert_int_equal(t->d.cmds.n, 0);
	hx_pg_writable(&t->in.pg, 1);
	t->in.pg.data = PGQ_PGDATA_VALID;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_KILL); /* safety still acts */
}

/* S18: paused: no restart, no follow; fencing and renewals go on. */
static void test_s18_pause_stops_actions_not_safety(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg3");
	OK(t->f, pgq_cmd_pause, WALL0);
	hx_input(&t->in, "pg3");
	observe(&t->in, O_CRASHED);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
	assert_non_null(strstr(t->d.comment, "S18"));
	pgq_ha_cmds_free(&t->d.cmds);
	hx_input(&t->in, "pg3");
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE); /* no re-pointing to pg2 */
	pgq_ha_cmds_free(&t->d.cmds);
	hx_pg_writable(&t->in.pg, 1);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_KILL);
}

/* S18: pause never stops the primary's renewals. */
static void test_s18_pause_keeps_renewing(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg2");
	OK(t->f, pgq_cmd_pause, WALL0);
	hx_input(&t->in, "pg2");
	hx_pg_writable(&t->in.pg, 2);
	t->in.now_ms += 10000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(t->d.may_be_writable);
	assert_int_equal(apply(t, "lease_renew"), PGQ_RECORD_APPLIED);
}

/*
 * C15/S18: an operator's restart goes ahead while paused, and S14 still
 * decides how: the primary starts writable only under its lease; a standby
 * starts behind its upstream.
 */
/*
 * Issue 5: a primary whose postmaster does not start is retried while it
 * holds the lease, and counts as lost ("not restartable within ttl") only
 * after a whole ttl of failed starts: fenced, then the lease released (S5).
 */
static void test_primary_not_restartable_within_ttl(void **state)
{
	struct mt *t = *state;
	uint64_t ttl;

	build(t, SC_PRIMARY, "pg2");
	ttl = pgq_record_config(t->f->r)->ttl_ms;
	hx_input(&t->in, "pg2");
	t->in.now_ms += 1;
	observe(&t->in, O_STOPPED);
	t_tli2(t);
	t->in.pg.start_failed = true;
	t->in.pg.start_failed_since_ms = t->in.now_ms - 1;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "primary-stopped");
	assert_int_equal(t->d.action, PGQ_HA_START_PRIMARY); /* retried, still under the lease */
	assert_true(t->d.next_check_ms <= t->in.pg.start_failed_since_ms + ttl);
	pgq_ha_cmds_free(&t->d.cmds);
	/* A whole ttl of failed starts: fence first, then release (S5). */
	t->in.pg.start_failed_since_ms = t->in.now_ms - ttl;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_IMMEDIATE_STOP);
	pgq_ha_cmds_free(&t->d.cmds);
}

static void test_c15_operator_start_while_paused(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg2");
	OK(t->f, pgq_cmd_pause, WALL0);
	hx_input(&t->in, "pg2");
	t->in.now_ms += 1;
	observe(&t->in, O_STOPPED);
	t_tli2(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE); /* paused: no automatic start */
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.operator_start = true;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "primary-stopped");
	assert_int_equal(t->d.action, PGQ_HA_START_PRIMARY);
	assert_false(t->d.standby_signal);
	pgq_ha_cmds_free(&t->d.cmds);
	/* Past the fast-stop margin of its lease: not writable, operator or not (S14, C12). */
	t->in.now_ms += 60000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_not_equal(t->d.action, PGQ_HA_START_PRIMARY);
	pgq_ha_cmds_free(&t->d.cmds);
	/* A standby. */
	hx_input(&t->in, "pg3");
	t->in.now_ms += 1;
	observe(&t->in, O_STOPPED);
	t->in.operator_start = true;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_START_STANDBY);
	assert_true(t->d.standby_signal);
	assert_string_equal(t->d.upstream, "pg2");
}

/* Issue 5: pending_restart travels in the member's report (GET /cluster). */
static void test_report_carries_pending_restart(void **state)
{
	struct mt *t = *state;
	const struct pgq_member *m;

	build(t, SC_PRIMARY, "pg3");
	hx_input(&t->in, "pg3");
	t_streaming_pg2(t);
	t->in.pg.pending_restart = true;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	m = pgq_record_member_by_name(t->f->r, "pg3");
	assert_non_null(m);
	assert_true(m->status.pending_restart);
}

/* S9: no report names the loss while the WAL receiver runs or replay still advances. */
static void test_s9_report_only_after_receiver_stopped(void **state)
{
	struct mt *t = *state;
	int i;

	build(t, SC_REPORT, "pg2");
	hx_input(&t->in, "pg2");
	t->in.pg.replay_stopped = true;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	i = pgq_ha_cmds_find(&t->d.cmds, "member_report");
	assert_true(i >= 0);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	assert_false(pgq_record_report_valid_for_loss(t->f->r,
			pgq_record_member_by_name(t->f->r, "pg2")));
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.pg.receiver_configured = false;
	t->in.pg.replay_stopped = false;
	t->in.now_ms += 20000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	assert_false(pgq_record_report_valid_for_loss(t->f->r,
			pgq_record_member_by_name(t->f->r, "pg2")));
	/* The failover waits on this member: it looks again within 100 ms. */
	assert_true(t->d.next_check_ms <= t->in.now_ms + 100);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.pg.replay_stopped = true;
	t->in.now_ms += 1; /* a valid report goes out at once, not at the next period */
	hx_decide(t->f, &t->st, &t->in, &t->d);
	c_valid_report(t);
}

/* S8: the most advanced member cannot be promoted: the others catch up from it. */
static void test_s8_catch_up_from_most_advanced(void **state)
{
	struct mt *t = *state;
	struct pgq_cmd_tags tags = { .nofailover = true, .failover_priority = 1 };
	struct pgq_cmd_member m = { .name = "pg3", .tags = &tags };

	hx_lost_with_reports(t->f, 5000, 6000);
	OK(t->f, pgq_cmd_member_update, &m);
	hx_input(&t->in, "pg2");
	t_receiver_off_replay_stopped(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_FOLLOW);
	assert_string_equal(t->d.upstream, "pg3");
	pgq_ha_cmds_free(&t->d.cmds);
	/* Streaming from pg3 does not invalidate the report (it is not the lost primary). */
	t->in.pg.receiver_configured = true;
	strcpy(t->in.pg.upstream, "pg3");
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
}

/* S19: the fence hook runs before pre_promote; a required failing fence blocks; not required goes on. */
static void test_s19_fence_then_pre_promote(void **state)
{
	struct mt *t = *state;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	t->in.pg.receiver_configured = false;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_RUN_FENCE_HOOK);
	assert_int_equal(t->d.n_fence, 1);
	assert_string_equal(t->d.fence_names[0], "pg1");
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.hooks.fence_failed = true;
	t->in.fencing_required = true;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_RUN_FENCE_HOOK);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.fencing_required = false;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_RUN_PRE_PROMOTE);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.hooks.pre_promote_vetoed_epoch = 2;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
	c_vetoed(t);
}

/* S19: a former primary named again never runs the fence hook against itself. */
static void test_s19_never_fence_self(void **state)
{
	struct mt *t = *state;
	const struct pgq_primary *p;
	const char (*names)[PGQ_RECORD_NAME_MAX] = NULL;

	fx_cluster3(t->f, NULL);
	fx_lose_primary(t->f);
	fx_report_valid(t->f, "pg1", 9000);
	p = pgq_record_primary(t->f->r);
	OK(t->f, pgq_cmd_set_primary, "pg1", p->epoch, p->lease_seq, PGQ_CHANGE_FAILOVER, false,
	   9000, WALL0);
	assert_int_equal(pgq_record_fence_pending(t->f->r, &names), 1);
	assert_string_equal(names[0], "pg1");
	claim_as(t, "pg1");
	hx_input(&t->in, "pg1");
	t->in.pg.receiver_configured = false;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_RUN_PRE_PROMOTE);
	assert_int_equal(t->d.n_fence, 0);
}

/* L5: still in recovery after promote_timeout: fence, then release. */
static void test_l5_promote_timeout(void **state)
{
	struct mt *t = *state;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	t_hooks_done(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_PROMOTE);
	pgq_ha_cmds_free(&t->d.cmds);
	/* Keep the lease alive so only L5 matters. */
	t->st.lease.lease_end_ms = UINT64_MAX / 2;
	t->in.now_ms += 60000 - 1;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_NONE);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms += 1;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(t->d.action == PGQ_HA_IMMEDIATE_STOP || t->d.action == PGQ_HA_FAST_STOP);
	c_fenced_epoch(t);
}

/* S1: a promotion asked for is a primary's duty: the lease running out fences it. */
static void test_s1_asked_promotion_obeys_lease(void **state)
{
	struct mt *t = *state;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	t_hooks_done(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_PROMOTE);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms = 1000000 + 30000 - 5000; /* in recovery still, fast-stop time */
	t->st.renew_new_ms = t->in.now_ms;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "S5-fence");
	assert_int_equal(t->d.action, PGQ_HA_FAST_STOP);
}

/* S13: after a clean stop in a switchover, never writable again in that epoch. */
static void test_s13_never_writable_again_in_epoch(void **state)
{
	struct mt *t = *state;

	build(t, SC_DEMOTE, "pg1");
	hx_input(&t->in, "pg1");
	hx_pg_writable(&t->in.pg, 1);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_CLEAN_STOP);
	pgq_ha_cmds_free(&t->d.cmds);
	OK(t->f, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTING, "test", WALL0);
	/* Still DEMOTING in the record: stopped cleanly → demoted{}, never start writable. */
	observe(&t->in, O_STOPPED);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_not_equal(t->d.action, PGQ_HA_START_PRIMARY);
	assert_int_equal(apply(t, "demoted"), PGQ_RECORD_APPLIED);
}

/* S14: a crashed primary whose lease ran out is not restarted writable. */
static void test_s14_no_writable_restart_without_lease(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg2");
	hx_input(&t->in, "pg2");
	observe(&t->in, O_CRASHED);
	t_tli2(t);
	t->in.now_ms = 1000000 + 30000; /* lease over */
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_false(t->d.action == PGQ_HA_RESTART && !t->d.standby_signal);
	assert_false(t->d.action == PGQ_HA_START_PRIMARY);
}

/*
 * Regression: a promotion asked of a server that was then stopped died with
 * it; the read-only restart that follows must not be fenced again (it was,
 * in a loop: kill, restart, kill...).
 */
static void test_s1_stopped_server_forgets_promotion(void **state)
{
	struct mt *t = *state;
	const struct pgq_primary *p;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	t_hooks_done(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_PROMOTE);
	pgq_ha_cmds_free(&t->d.cmds);
	p = pgq_record_primary(t->f->r);
	OK(t->f, pgq_cmd_lease_release, "pg2", 2, p->lease_seq, "test", WALL0);
	observe(&t->in, O_CRASHED);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "report-crashed");
	assert_true(t->d.standby_signal);
	pgq_ha_cmds_free(&t->d.cmds);
	hx_input(&t->in, "pg2");
	t->in.pg.receiver_configured = false;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_not_equal(t->d.row, "S5-fence");
	assert_string_equal(t->d.row, "report-standby");
}

/*
 * S14: after an agent restart, a writable PostgreSQL with no persisted lease
 * covering now is fenced; with the persisted lease restored it stays up.
 */
static void test_s14_restart_needs_persisted_lease(void **state)
{
	struct mt *t = *state;
	struct pgq_lease saved;

	build(t, SC_PRIMARY, "pg2");
	saved = t->st.lease;           /* what the runtime persisted */
	memset(&t->st, 0, sizeof(t->st)); /* the agent restarted */
	hx_input(&t->in, "pg2");
	hx_pg_writable(&t->in.pg, 2);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "S5-fence");
	assert_false(t->d.may_be_writable);
	pgq_ha_cmds_free(&t->d.cmds);
	memset(&t->st, 0, sizeof(t->st));
	t->st.lease = saved;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_string_equal(t->d.row, "primary-writable");
	assert_true(t->d.may_be_writable);
}

/*
 * Regression (property test, P3): with less than the fast-stop margin left on
 * the lease, never ask PostgreSQL to become writable; with enough, the
 * decision wakes the runtime at the next fence step.
 */
static void test_s5_no_promote_inside_stop_margin(void **state)
{
	struct mt *t = *state;
	const uint64_t end = 1000000 + 30000;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	t_hooks_done(t);
	t->in.now_ms = end - 5000;
	t->st.renew_new_ms = t->in.now_ms;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_not_equal(t->d.action, PGQ_HA_PROMOTE);
	assert_int_not_equal(t->st.promote_epoch, 2);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms = end - 5001;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.action, PGQ_HA_PROMOTE);
	assert_true(t->d.next_check_ms <= end - 5000);
}

/* C11: client writes only once promoted{} committed. */
static void test_c11_accept_writes_after_promoted(void **state)
{
	struct mt *t = *state;

	build(t, SC_PROMOTE, "pg2");
	hx_input(&t->in, "pg2");
	hx_pg_writable(&t->in.pg, 2);
	t->in.pg.switch_lsn = 5000;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(t->d.may_be_writable);
	assert_false(t->d.accept_writes);
	assert_int_equal(apply(t, "promoted"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&t->d.cmds);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(t->d.accept_writes);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms = 1000000 + 30000 - 5000; /* fence time: no more writes */
	t->st.renew_new_ms = t->in.now_ms;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_false(t->d.accept_writes);
}

/*
 * C11: a member on timelines the record never saw (promotions whose
 * promoted{} never committed) reports where its copy of the recorded
 * timeline ends, and that report is valid (S9).
 */
static void test_c11_unrecorded_descendant_reports_ancestor_end(void **state)
{
	struct mt *t = *state;

	build(t, SC_REPORT, "pg2");
	hx_input(&t->in, "pg2");
	t->in.pg.timeline = 3;
	t->in.pg.n_history = 2;
	t->in.pg.history[0] = (struct pgq_ha_tli_end){ .tli = 1, .end_lsn = 700 };
	t->in.pg.history[1] = (struct pgq_ha_tli_end){ .tli = 2, .end_lsn = 900 };
	t->in.pg.receive_lsn = t->in.pg.replay_lsn = t->in.pg.flush_lsn = 950;
	t_receiver_off_replay_stopped(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	c_valid_report(t);
	assert_int_equal(pgq_member_report_lsn(pgq_record_member_by_name(t->f->r, "pg2")), 700);
	assert_int_equal(pgq_record_member_by_name(t->f->r, "pg2")->status.timeline, 1);
}

/* Not a member, or an empty record: nothing at all. */
static void test_not_a_member_idle(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pgX");
	hx_input(&t->in, "pgX");
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(t->d.goal, PGQ_GOAL_IDLE);
	assert_int_equal(t->d.cmds.n, 0);
}

/* A standby reports every loop_wait, not more often. */
static void test_periodic_report(void **state)
{
	struct mt *t = *state;

	build(t, SC_PRIMARY, "pg3");
	hx_input(&t->in, "pg3");
	t_streaming_pg2(t);
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms += 9999;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "member_report") < 0);
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.now_ms += 1;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "member_report") >= 0);
}

/*
 * S13 (3): once the old primary is demoted, the target reports as soon as
 * it flushed final_lsn (and every 100 ms until recorded), not a whole
 * loop_wait after its last report: the promotion waits on that report.
 */
static void test_s13_target_reports_final_lsn_promptly(void **state)
{
	struct mt *t = *state;

	build(t, SC_DEMOTE, "pg2");
	OK(t->f, pgq_cmd_demoted, "pg1", 1, pgq_record_primary(t->f->r)->lease_seq, 1200, 1, WALL0);
	assert_int_equal(pgq_record_switchover(t->f->r)->phase, PGQ_SWITCHOVER_DEMOTED);
	memset(&t->st, 0, sizeof(t->st)); /* build() claimed as pg1 with it */
	hx_input(&t->in, "pg2");
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	pgq_ha_cmds_free(&t->d.cmds);
	/* Still short of final_lsn: the periodic schedule stands. */
	t->in.now_ms += 200;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "member_report") < 0);
	pgq_ha_cmds_free(&t->d.cmds);
	/* Flushed past final_lsn: reported at once. */
	t->in.pg.receive_lsn = t->in.pg.flush_lsn = 1300;
	t->in.now_ms += 100;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_int_equal(apply(t, "member_report"), PGQ_RECORD_APPLIED);
	assert_true(pgq_record_member_by_name(t->f->r, "pg2")->status.flush_lsn >= 1200);
	pgq_ha_cmds_free(&t->d.cmds);
	/* Recorded: back to every loop_wait. */
	t->in.now_ms += 200;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "member_report") < 0);
	/* Someone else's switchover: no hurry either. */
	pgq_ha_cmds_free(&t->d.cmds);
	t->in.me = "pg3";
	t->in.pg.flush_lsn = 1300;
	t->st.last_report_ms = t->in.now_ms;
	t->in.now_ms += 200;
	hx_decide(t->f, &t->st, &t->in, &t->d);
	assert_true(pgq_ha_cmds_find(&t->d.cmds, "member_report") < 0);
}

static const struct {
	const char *name;
	void (*fn)(void **);
} rules[] = {
	{ "test_s13_target_reports_final_lsn_promptly", test_s13_target_reports_final_lsn_promptly },
	{ "test_every_row_has_a_case", test_every_row_has_a_case },
	{ "test_c14_bootstrap_initdb_even_with_lease", test_c14_bootstrap_initdb_even_with_lease },
	{ "test_s1_no_promote_before_renewal_commits", test_s1_no_promote_before_renewal_commits },
	{ "test_s1_asked_promotion_obeys_lease", test_s1_asked_promotion_obeys_lease },
	{ "test_s2_resend_same_nonce", test_s2_resend_same_nonce },
	{ "test_s4_nothing_before_catch_up", test_s4_nothing_before_catch_up },
	{ "test_s5_self_fence_schedule", test_s5_self_fence_schedule },
	{ "test_s5_writable_without_lease_killed", test_s5_writable_without_lease_killed },
	{ "test_s5_hung_primary_fenced_then_released", test_s5_hung_primary_fenced_then_released },
	{ "test_s8_catch_up_from_most_advanced", test_s8_catch_up_from_most_advanced },
	{ "test_s9_report_only_after_receiver_stopped", test_s9_report_only_after_receiver_stopped },
	{ "test_s13_never_writable_again_in_epoch", test_s13_never_writable_again_in_epoch },
	{ "test_s14_no_writable_restart_without_lease", test_s14_no_writable_restart_without_lease },
	{ "test_s18_pause_stops_actions_not_safety", test_s18_pause_stops_actions_not_safety },
	{ "test_s18_pause_keeps_renewing", test_s18_pause_keeps_renewing },
	{ "test_s19_fence_then_pre_promote", test_s19_fence_then_pre_promote },
	{ "test_s19_never_fence_self", test_s19_never_fence_self },
	{ "test_l5_promote_timeout", test_l5_promote_timeout },
	{ "test_s1_stopped_server_forgets_promotion", test_s1_stopped_server_forgets_promotion },
	{ "test_s14_restart_needs_persisted_lease", test_s14_restart_needs_persisted_lease },
	{ "test_s5_no_promote_inside_stop_margin", test_s5_no_promote_inside_stop_margin },
	{ "test_c11_accept_writes_after_promoted", test_c11_accept_writes_after_promoted },
	{ "test_c11_unrecorded_descendant_reports_ancestor_end",
	  test_c11_unrecorded_descendant_reports_ancestor_end },
	{ "test_not_a_member_idle", test_not_a_member_idle },
	{ "test_periodic_report", test_periodic_report },
	{ "test_c15_operator_start_while_paused", test_c15_operator_start_while_paused },
	{ "test_primary_not_restartable_within_ttl", test_primary_not_restartable_within_ttl },
	{ "test_report_carries_pending_restart", test_report_carries_pending_restart },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

int main(void)
{
	static struct CMUnitTest tests[N_CASES + N_RULES];

	for (size_t i = 0; i < N_CASES; i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = case_fns[i],
						.setup_func = mt_setup, .teardown_func = mt_teardown };
	for (size_t i = 0; i < N_RULES; i++)
		tests[N_CASES + i] = (struct CMUnitTest){ .name = rules[i].name,
							  .test_func = rules[i].fn,
							  .setup_func = mt_setup,
							  .teardown_func = mt_teardown };
	return cmocka_run_group_tests(tests, NULL, NULL);
}

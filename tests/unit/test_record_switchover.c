/*
 * test_record_switchover.c — the switchover state machine in the record
 * (S13): request, demoted, naming the target, abort, and scheduled
 * switchovers; plus the cooperative hand-over of L7.
 */
#include <stdlib.h>
#include <string.h>

#include "record_fixture.h"

/* A promoted pg1 with pg2 streaming on timeline 1. */
static void ready(struct fx *f)
{
	fx_cluster3(f, NULL);
	fx_report(f, "pg2", "replica", 1, 0x1000, 0, 0);
	fx_report(f, "pg3", "replica", 1, 0x1000, 0, 0);
}

/* S13: demoting (P keeps its lease) -> demoted(final_lsn) -> target named under e+1. */
static void test_switchover_full_cycle_S13(void **state)
{
	struct fx *f = *state;
	const struct pgq_switchover *sw;
	const struct pgq_primary *p;

	ready(f);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	sw = pgq_record_switchover(f->r);
	p = pgq_record_primary(f->r);
	assert_int_equal(sw->phase, PGQ_SWITCHOVER_DEMOTING);
	assert_string_equal(sw->from, "pg1");
	assert_string_equal(sw->to, "pg2");
	assert_int_equal(sw->epoch, 1);
	assert_int_equal(sw->started_at_ms, 4000);
	assert_int_equal(p->state, PGQ_PRIMARY_DEMOTING);
	/* S13 (1): P keeps its lease while it stops. */
	fx_renew(f);
	assert_int_equal(p->lease_seq, 2);
	OK(f, pgq_cmd_demoted, "pg1", 1, 2, 0x2000, 1, 5000);
	assert_int_equal(sw->phase, PGQ_SWITCHOVER_DEMOTED);
	assert_int_equal(p->state, PGQ_PRIMARY_DEMOTED);
	assert_int_equal(p->final_lsn, 0x2000);
	fx_report(f, "pg2", "replica", 1, 0x2000, 0, 0);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 2, PGQ_CHANGE_SWITCHOVER, false, 0x2000, 6000);
	assert_int_equal(pgq_record_epoch(f->r), 2);
	assert_string_equal(p->name, "pg2");
	assert_int_equal(sw->phase, PGQ_SWITCHOVER_NONE);
	assert_int_equal(pgq_record_history_at(f->r, 1)->reason, PGQ_CHANGE_SWITCHOVER);
}

/* S13 (3): the target is named only once it reported flush >= final_lsn. */
static void test_switchover_target_must_catch_up_S13(void **state)
{
	struct fx *f = *state;

	ready(f);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 0x2000, 1, 5000);
	REJECT(f, "'pg2' has not reported flush >= final_lsn 8192 on timeline 1 (S13)",
	       pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_SWITCHOVER, false, 0, 6000);
	REJECT(f, "the switchover target is 'pg2', not 'pg3' (S13)", pgq_cmd_set_primary, "pg3", 1,
	       1, PGQ_CHANGE_SWITCHOVER, false, 0, 6000);
	/* S13: a failover path cannot cut a switchover short. */
	REJECT(f, "switchover in progress: abort it first (S13)", pgq_cmd_set_primary, "pg3", 1, 1,
	       PGQ_CHANGE_MANUAL, false, 0, 6000);
	fx_report(f, "pg2", "replica", 1, 0x1fff, 0, 0);
	REJECT(f, "(S13)", pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_SWITCHOVER, false, 0, 6000);
	fx_report(f, "pg2", "replica", 1, 0x2000, 0, 0);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_SWITCHOVER, false, 0, 6000);
}

/* S13 (1), S4: request preconditions. */
static void test_switchover_request_rejections_S13(void **state)
{
	struct fx *f = *state;
	struct pgq_cmd_tags nofail = { .nofailover = true };
	struct pgq_cmd_member upd = { .name = "pg3", .tags = &nofail };

	fx_bootstrap3(f, NULL);
	fx_renew(f);
	fx_report(f, "pg2", "replica", 1, 0x1000, 0, 0);
	REJECT(f, "the primary is not active and promoted (S13)", pgq_cmd_switchover_request, "pg1",
	       "pg2", 1, 1, 4000);
	OK(f, pgq_cmd_promoted, "pg1", 1, 1, 0, 3000);
	REJECT(f, "'pg2' is not the primary of epoch 1 (S4)", pgq_cmd_switchover_request, "pg2",
	       "pg1", 1, 1, 4000);
	REJECT(f, "are not the recorded 1/1 (S4)", pgq_cmd_switchover_request, "pg1", "pg2", 1, 0,
	       4000);
	REJECT(f, "switchover target is the primary itself", pgq_cmd_switchover_request, "pg1", "pg1",
	       1, 1, 4000);
	REJECT(f, "no member 'pg8'", pgq_cmd_switchover_request, "pg1", "pg8", 1, 1, 4000);
	REJECT(f, "'pg3' has not reported as a replica on timeline 1 (S13)",
	       pgq_cmd_switchover_request, "pg1", "pg3", 1, 1, 4000);
	OK(f, pgq_cmd_member_update, &upd);
	REJECT(f, "member 'pg3' is tagged nofailover (R4)", pgq_cmd_switchover_request, "pg1", "pg3",
	       1, 1, 4000);
	fx_report(f, "pg2", "replica", 1, 0x1000, 2 * 1048576, 0);
	REJECT(f, "'pg2' lags 2097152 bytes, above switchover_max_lag 1048576 (S13)",
	       pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	fx_report(f, "pg2", "replica", 1, 0x1000, 0, 0);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	REJECT(f, "the primary is not active and promoted (S13)", pgq_cmd_switchover_request, "pg1",
	       "pg2", 1, 1, 4001);
}

/*
 * S13 (4): an abort while demoting leaves P holding its lease; it finishes
 * its stop, and a new epoch names the most complete member, P itself here,
 * which may then start writable on its own timeline.
 */
static void test_switchover_abort_names_new_epoch_S13(void **state)
{
	struct fx *f = *state;
	const struct pgq_switchover *sw;

	ready(f);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	OK(f, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTING, "target stalled", 5000);
	sw = pgq_record_switchover(f->r);
	assert_int_equal(sw->phase, PGQ_SWITCHOVER_ABORTED);
	assert_string_equal(sw->abort_reason, "target stalled");
	assert_int_equal(pgq_record_primary(f->r)->state, PGQ_PRIMARY_DEMOTING);
	/* Still its lease: renewals go on and no one else may be named. */
	fx_renew(f);
	REJECT(f, "still holds its lease (S18)", pgq_cmd_set_primary, "pg2", 1, 2,
	       PGQ_CHANGE_SWITCHOVER, false, 0, 5100);
	OK(f, pgq_cmd_demoted, "pg1", 1, 2, 0x3000, 1, 5200);
	/* P never becomes writable again under epoch 1 (S13). */
	REJECT(f, "no renewal once the primary is demoted (S4)", pgq_cmd_lease_renew, "pg1", 1, 2, 9,
	       30000, 5300);
	OK(f, pgq_cmd_set_primary, "pg1", 1, 2, PGQ_CHANGE_SWITCHOVER, false, 0x3000, 5400);
	assert_int_equal(pgq_record_epoch(f->r), 2);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg1", 2, 1, 0, 5500);
	assert_int_equal(pgq_record_timeline(f->r), 1);
	assert_int_equal(pgq_record_timeline_count(f->r), 1);
}

/* S4: an abort carries the epoch and the phase it saw. */
static void test_switchover_abort_cas_S4(void **state)
{
	struct fx *f = *state;

	ready(f);
	REJECT(f, "no switchover in progress (S13)", pgq_cmd_switchover_abort, 1,
	       PGQ_SWITCHOVER_DEMOTING, "", 4000);
	OK(f, pgq_cmd_switchover_request, "pg1", "pg2", 1, 1, 4000);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 0x2000, 1, 5000);
	REJECT(f, "phase 'demoting' is not the recorded phase 'demoted' (S4)",
	       pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTING, "", 6000);
	REJECT(f, "epoch 2 is not the switchover's epoch 1 (S4)", pgq_cmd_switchover_abort, 2,
	       PGQ_SWITCHOVER_DEMOTED, "", 6000);
	OK(f, pgq_cmd_switchover_abort, 1, PGQ_SWITCHOVER_DEMOTED, "timeout", 6000);
	/* After an abort, any member that caught up may be named (S13 (4)). */
	fx_report(f, "pg3", "replica", 1, 0x2000, 0, 0);
	OK(f, pgq_cmd_set_primary, "pg3", 1, 1, PGQ_CHANGE_SWITCHOVER, false, 0x2000, 7000);
}

/* S12, S4: demoted is a CAS and names the record's timeline. */
static void test_demoted_rejections_S4(void **state)
{
	struct fx *f = *state;

	ready(f);
	REJECT(f, "member 'pg2' is not the primary of epoch 1 (S4)", pgq_cmd_demoted, "pg2", 1, 1,
	       0x2000, 1, 5000);
	REJECT(f, "are not the recorded 1/1 (S4)", pgq_cmd_demoted, "pg1", 1, 7, 0x2000, 1, 5000);
	REJECT(f, "timeline 2 is not the recorded timeline 1 (S12)", pgq_cmd_demoted, "pg1", 1, 1,
	       0x2000, 2, 5000);
	fx_lose_primary(f);
	REJECT(f, "the primary is already lost (S4)", pgq_cmd_demoted, "pg1", 1, 1, 0x2000, 1, 5000);
}

/* L7, S19: a cooperative hand-over (demoted without switchover) then a normal failover. */
static void test_cooperative_demotion_then_failover_L7(void **state)
{
	struct fx *f = *state;

	ready(f);
	OK(f, pgq_cmd_demoted, "pg1", 1, 1, 0x2000, 1, 5000);
	assert_int_equal(pgq_record_switchover(f->r)->phase, PGQ_SWITCHOVER_NONE);
	REJECT(f, "no demoted switchover in epoch 1 (S13)", pgq_cmd_set_primary, "pg2", 1, 1,
	       PGQ_CHANGE_SWITCHOVER, false, 0, 6000);
	fx_report_valid(f, "pg2", 0x2000);
	OK(f, pgq_cmd_set_primary, "pg2", 1, 1, PGQ_CHANGE_FAILOVER, false, 0x2000, 6000);
}

static void test_switchover_schedule_and_cancel(void **state)
{
	struct fx *f = *state;
	const struct pgq_scheduled_switchover *s;

	ready(f);
	REJECT(f, "no scheduled switchover", pgq_cmd_switchover_cancel, 1);
	REJECT(f, "scheduled time is not in the future", pgq_cmd_switchover_schedule, "pg1", "pg2",
	       4000, 4000);
	REJECT(f, "'pg2' is not the active primary", pgq_cmd_switchover_schedule, "pg2", "pg3", 9000,
	       4000);
	REJECT(f, "switchover target is the primary itself", pgq_cmd_switchover_schedule, "pg1",
	       "pg1", 9000, 4000);
	OK(f, pgq_cmd_switchover_schedule, "pg1", "pg2", 9000, 4000);
	s = pgq_record_scheduled_switchover(f->r);
	assert_true(s->set);
	assert_int_equal(s->at_ms, 9000);
	assert_string_equal(s->to, "pg2");
	REJECT(f, "a switchover is already scheduled", pgq_cmd_switchover_schedule, "pg1", NULL,
	       9500, 4000);
	/* S16: a member named by it is not removed under it. */
	REJECT(f, "named by the scheduled switchover", pgq_cmd_member_remove, "pg2", false);
	OK(f, pgq_cmd_switchover_cancel, 4100);
	assert_false(s->set);
	OK(f, pgq_cmd_pause, 4200);
	REJECT(f, "paused: a switchover needs a candidate (S18)", pgq_cmd_switchover_schedule, "pg1",
	       NULL, 9000, 4300);
	OK(f, pgq_cmd_switchover_schedule, "pg1", "pg3", 9000, 4300);
	/* Running the switchover consumes the schedule. */
	OK(f, pgq_cmd_switchover_request, "pg1", "pg3", 1, 1, 9000);
	assert_false(s->set);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_switchover_full_cycle_S13),
		T(test_switchover_target_must_catch_up_S13),
		T(test_switchover_request_rejections_S13),
		T(test_switchover_abort_names_new_epoch_S13),
		T(test_switchover_abort_cas_S4),
		T(test_demoted_rejections_S4),
		T(test_cooperative_demotion_then_failover_L7),
		T(test_switchover_schedule_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ha_reinit.c — POST /reinitialize against what the member runs
 * (agent/ha/reinit.c): force cancels only a clone or a standby start, never
 * on the primary, never a rewind, promotion or fence (S5, S14).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ha/reinit.h"

static enum pgq_reinit_decision decide(bool primary, bool writable, bool running,
				       enum pgq_ha_action a, bool child, bool force)
{
	struct pgq_reinit_facts f = {
		.recorded_primary = primary, .writable = writable, .op_running = running,
		.op_action = a, .op_has_child = child, .force = force,
	};
	return pgq_reinit_decide(&f);
}

/* Never on the primary: recorded, or found writable (S14), force or not, busy or not. */
static void test_never_on_primary(void **state)
{
	(void)state;
	for (int force = 0; force < 2; force++) {
		assert_int_equal(decide(true, false, false, PGQ_HA_NONE, false, force),
				 PGQ_REINIT_REFUSE_PRIMARY);
		assert_int_equal(decide(false, true, true, PGQ_HA_START_STANDBY, true, force),
				 PGQ_REINIT_REFUSE_PRIMARY);
		assert_int_equal(decide(true, true, true, PGQ_HA_BASEBACKUP, true, force),
				 PGQ_REINIT_REFUSE_PRIMARY);
	}
}

/* Force cancels a running clone or standby start (a child process); without force, 503. */
static void test_force_cancels_clone_and_start(void **state)
{
	static const enum pgq_ha_action cancellable[] = {
		PGQ_HA_BASEBACKUP, PGQ_HA_RECLONE, PGQ_HA_START_STANDBY,
	};

	(void)state;
	assert_int_equal(decide(false, false, false, PGQ_HA_NONE, false, false), PGQ_REINIT_START);
	assert_int_equal(decide(false, false, false, PGQ_HA_NONE, false, true), PGQ_REINIT_START);
	for (size_t i = 0; i < sizeof cancellable / sizeof cancellable[0]; i++) {
		assert_int_equal(decide(false, false, true, cancellable[i], true, true),
				 PGQ_REINIT_CANCEL_RUNNING);
		assert_int_equal(decide(false, false, true, cancellable[i], true, false),
				 PGQ_REINIT_REFUSE_BUSY);
		/* No child to kill (between steps, e.g. its configuration write): queued. */
		assert_int_equal(decide(false, false, true, cancellable[i], false, true), PGQ_REINIT_QUEUE);
	}
	assert_string_equal(pgq_reinit_decision_name(PGQ_REINIT_CANCEL_RUNNING), "cancel_running");
}

/* Anything that could leave the data directory half written or half fenced is waited for. */
static void test_force_never_cuts_short_the_rest(void **state)
{
	static const enum pgq_ha_action kept[] = {
		PGQ_HA_REWIND, PGQ_HA_PROMOTE, PGQ_HA_START_PRIMARY, PGQ_HA_FAST_STOP,
		PGQ_HA_IMMEDIATE_STOP, PGQ_HA_KILL, PGQ_HA_CLEAN_STOP, PGQ_HA_INITDB,
		PGQ_HA_RESTART, PGQ_HA_RUN_FENCE_HOOK, PGQ_HA_RUN_PRE_PROMOTE,
	};

	(void)state;
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		assert_int_equal(decide(false, false, true, kept[i], true, true), PGQ_REINIT_QUEUE);
		assert_int_equal(decide(false, false, true, kept[i], true, false), PGQ_REINIT_REFUSE_BUSY);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_on_primary),
		cmocka_unit_test(test_force_cancels_clone_and_start),
		cmocka_unit_test(test_force_never_cuts_short_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ha_lease_store.c — S14: "The agent persists each lease end as (boot
 * id, boot time); at start, a writable PostgreSQL with no persisted lease
 * covering now is fenced." The text form round-trips and refuses damage;
 * a restart restores a lease only on the same boot, before its end; the
 * start-up check fences a possibly writable PostgreSQL without one; and a
 * member restored within its lease keeps PostgreSQL writable through the
 * real decision (the record applies its renewal).
 */
#include "ha_fixture.h"

#include <string.h>

#include "ha/lease_store.h"

#define BOOT "6f1c1a8e-3f5b-4c43-9d51-0c1f3d1c2b7a"
#define OTHER_BOOT "0a0b0c0d-0000-4000-8000-000000000000"

static struct pgq_lease_persisted sample(void)
{
	struct pgq_lease_persisted p = { .epoch = 3, .committed_seq = 17,
					 .lease_end_ms = 1030000, .fenced_epoch = 2 };

	strcpy(p.boot_id, BOOT);
	return p;
}

/* S14: what is written is what is read back. */
static void test_s14_round_trip(void **state)
{
	struct pgq_lease_persisted p = sample(), q, none = { 0 };
	char text[512], err[128];

	(void)state;
	assert_int_equal(pgq_lease_persisted_format(&p, text, sizeof text), 0);
	assert_int_equal(pgq_lease_persisted_parse(text, &q, err, sizeof err), 0);
	assert_true(pgq_lease_persisted_equal(&p, &q));
	/* No boot id ("-") and no lease round-trip too. */
	assert_int_equal(pgq_lease_persisted_format(&none, text, sizeof text), 0);
	assert_int_equal(pgq_lease_persisted_parse(text, &q, err, sizeof err), 0);
	assert_true(pgq_lease_persisted_equal(&none, &q));
	assert_int_equal(pgq_lease_persisted_format(&p, text, 20), -1);
}

/* A damaged file is ignored (then the start-up check fences): never a lease from garbage. */
static void test_s14_damaged_file_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3\ncommitted_seq 1\nlease_end_boottime_ms 5\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0",
		"pgquorum-lease 1\nboot_id x\nepoch -3\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3x\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3\nepoch 4\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0\nextra 1\n",
		"pgquorum-lease 1\nboot_id x\nepoch 3\ncommitted_seq 1\nlease_end_boottime_ms 99999999999999999999\nfenced_epoch 0\n",
		"pgquorum-lease 2\nboot_id x\nepoch 3\ncommitted_seq 1\nlease_end_boottime_ms 5\nfenced_epoch 0\n",
	};
	struct pgq_lease_persisted q;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (pgq_lease_persisted_parse(bad[i], &q, err, sizeof err) != -1)
			fail_msg("case %zu parsed", i);
		assert_true(err[0] != '\0');
	}
}

/* S14: restore only on the same boot, before the end, within the longest ttl. */
static void test_s14_restore_rules(void **state)
{
	struct pgq_lease_persisted p = sample();
	struct pgq_ha_member_state st;

	(void)state;
	memset(&st, 0, sizeof st);
	assert_true(pgq_lease_persisted_restore(&p, BOOT, 1000000, &st));
	assert_true(pgq_lease_valid(&st.lease, 3, 1029999));
	assert_false(pgq_lease_valid(&st.lease, 3, 1030000));
	assert_int_equal(st.lease.committed_seq, 17);
	assert_int_equal(st.fenced_epoch, 2);
	/* Another boot: CLOCK_BOOTTIME restarted, the end means nothing; C4 still holds. */
	memset(&st, 0, sizeof st);
	assert_false(pgq_lease_persisted_restore(&p, OTHER_BOOT, 1000000, &st));
	assert_false(st.lease.held);
	assert_int_equal(st.fenced_epoch, 2);
	memset(&st, 0, sizeof st);
	assert_false(pgq_lease_persisted_restore(&p, "", 1000000, &st));
	/* Ended (boundary: now == end is no lease). */
	memset(&st, 0, sizeof st);
	assert_false(pgq_lease_persisted_restore(&p, BOOT, 1030000, &st));
	assert_false(st.lease.held);
	/* Further ahead than any ttl the record accepts: damaged, grants nothing. */
	p.lease_end_ms = 1000000 + 3600001;
	memset(&st, 0, sizeof st);
	assert_false(pgq_lease_persisted_restore(&p, BOOT, 1000000, &st));
	/* A lease of the epoch we fenced in is no lease (C4). */
	p = sample();
	p.fenced_epoch = 3;
	memset(&st, 0, sizeof st);
	assert_false(pgq_lease_persisted_restore(&p, BOOT, 1000000, &st));
}

/* C4 + S14: a lease given up by a self-fence is persisted as none. */
static void test_s14_fenced_lease_persisted_as_none(void **state)
{
	struct pgq_ha_member_state st;
	struct pgq_lease_persisted p;

	(void)state;
	memset(&st, 0, sizeof st);
	pgq_lease_reset(&st.lease, 4);
	st.lease.held = true;
	st.lease.lease_end_ms = 5000;
	st.lease.committed_seq = 9;
	pgq_lease_persisted_from_state(&st, BOOT, &p);
	assert_int_equal(p.epoch, 4);
	assert_int_equal(p.lease_end_ms, 5000);
	assert_string_equal(p.boot_id, BOOT);
	st.fenced_epoch = 4;
	pgq_lease_persisted_from_state(&st, BOOT, &p);
	assert_int_equal(p.epoch, 0);
	assert_int_equal(p.lease_end_ms, 0);
	assert_int_equal(p.fenced_epoch, 4);
}

/* S14: the start-up check, whatever the record says. */
static void test_s14_startup_check(void **state)
{
	struct pgq_ha_member_input in;
	struct pgq_lease none = { 0 }, held = { .epoch = 3, .held = true, .lease_end_ms = 1030000 };

	(void)state;
	hx_input(&in, "pg1");
	/* A streaming standby is never fenced by it. */
	assert_false(pgq_ha_startup_must_fence(&in.pg, &none, 1000000));
	/* Writable without a lease: fenced. */
	hx_pg_writable(&in.pg, 1);
	assert_true(pgq_ha_startup_must_fence(&in.pg, &none, 1000000));
	/* Writable with a restored lease covering now: kept. */
	assert_false(pgq_ha_startup_must_fence(&in.pg, &held, 1000000));
	assert_true(pgq_ha_startup_must_fence(&in.pg, &held, 1030000));
	/* Not answering and never seen in recovery: may be writable, fenced. */
	in.pg.run = PGQ_PGRUN_NOT_ANSWERING;
	in.pg.in_recovery = false;
	assert_true(pgq_ha_startup_must_fence(&in.pg, &none, 1000000));
	/* Stopped or no data: nothing to fence. */
	in.pg.run = PGQ_PGRUN_STOPPED;
	assert_false(pgq_ha_startup_must_fence(&in.pg, &none, 1000000));
	in.pg.data = PGQ_PGDATA_MISSING;
	in.pg.run = PGQ_PGRUN_RUNNING;
	assert_false(pgq_ha_startup_must_fence(&in.pg, &none, 1000000));
}

/*
 * S14 end to end through the decision: pg1 (bootstrap primary) claims its
 * lease; its state goes through the text form; after an agent restart on
 * the same boot the decision keeps PostgreSQL writable, on another boot
 * it fences (S5).
 */
static void test_s14_restart_within_lease_keeps_writable(void **state)
{
	struct fx *f = *state;
	struct pgq_ha_member_state st, restarted;
	struct pgq_ha_member_input in;
	struct pgq_ha_member_decision d;
	struct pgq_lease_persisted p, q;
	char text[512], err[128];

	fx_bootstrap3(f, NULL);
	memset(&st, 0, sizeof st);
	hx_input(&in, "pg1");
	hx_pg_writable(&in.pg, 1);
	in.pg.run = PGQ_PGRUN_STOPPED; /* initialised, not yet started: claims (S1) */
	assert_true(hx_claim(f, &st, &in));
	hx_decide(f, &st, &in, &d);    /* sees its renewal committed */
	pgq_ha_cmds_free(&d.cmds);
	assert_true(st.lease.held);
	in.pg.run = PGQ_PGRUN_RUNNING; /* then started writable; the agent is killed */
	pgq_lease_persisted_from_state(&st, BOOT, &p);
	assert_int_equal(pgq_lease_persisted_format(&p, text, sizeof text), 0);
	assert_int_equal(pgq_lease_persisted_parse(text, &q, err, sizeof err), 0);

	memset(&restarted, 0, sizeof restarted);
	assert_true(pgq_lease_persisted_restore(&q, BOOT, in.now_ms + 1000, &restarted));
	in.now_ms += 1000;
	assert_false(pgq_ha_startup_must_fence(&in.pg, &restarted.lease, in.now_ms));
	hx_decide(f, &restarted, &in, &d);
	assert_string_not_equal(d.row, "S5-fence");
	assert_true(d.may_be_writable);
	pgq_ha_cmds_free(&d.cmds);

	memset(&restarted, 0, sizeof restarted);
	assert_false(pgq_lease_persisted_restore(&q, OTHER_BOOT, in.now_ms, &restarted));
	assert_true(pgq_ha_startup_must_fence(&in.pg, &restarted.lease, in.now_ms));
	hx_decide(f, &restarted, &in, &d);
	assert_string_equal(d.row, "S5-fence");
	assert_false(d.may_be_writable);
	pgq_ha_cmds_free(&d.cmds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s14_round_trip),
		cmocka_unit_test(test_s14_damaged_file_refused),
		cmocka_unit_test(test_s14_restore_rules),
		cmocka_unit_test(test_s14_fenced_lease_persisted_as_none),
		cmocka_unit_test(test_s14_startup_check),
		cmocka_unit_test_setup_teardown(test_s14_restart_within_lease_keeps_writable, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

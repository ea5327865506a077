/*
 * test_watchdog.c — arming, petting and disarming with fake devices.
 *
 * A regular file or a FIFO stands in for /dev/watchdog: both reject the
 * timeout ioctls (recorded as "no timeout control") and show every byte
 * written, so the tests count pets ('k') and see the magic close ('V').
 * Time is passed in by the caller, so the S5 arithmetic is tested exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "watchdog/watchdog.h"

struct fx {
	char dir[64];
	char dev[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/pgq-wd-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->dev, sizeof(f->dev), "%s/watchdog", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->dev);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

/* The bytes written to the fake device so far. */
static size_t read_device(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

static struct pgq_watchdog *new_wd(const char *dev, enum pgq_watchdog_mode mode)
{
	struct pgq_watchdog_options o = {
		.mode = mode, .device = dev, .safety_margin_ms = 5000, .kill_budget_ms = 1500,
	};
	struct pgq_watchdog *wd = pgq_watchdog_new(&o);

	assert_non_null(wd);
	return wd;
}

/* mode off: nothing is opened, whatever the device. */
static void test_off_mode_opens_nothing(void **state)
{
	char err[256] = "";
	struct pgq_watchdog *wd = new_wd("/nonexistent/watchdog", PGQ_WATCHDOG_OFF);

	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_OFF);
	assert_false(pgq_watchdog_armed(wd));
	assert_int_equal(pgq_watchdog_pet(wd, 0, 30000, err, sizeof(err)), 0);
	pgq_watchdog_free(wd, true);
}

/* required + missing device: refused; the caller must not become primary. */
static void test_required_refuses_without_device(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	struct pgq_watchdog *wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED); /* not created */

	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_REFUSED);
	assert_non_null(strstr(err, f->dev));
	assert_false(pgq_watchdog_armed(wd));
	pgq_watchdog_free(wd, false);
}

/* automatic + missing device: not armed, but not a refusal either. */
static void test_automatic_continues_without_device(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	struct pgq_watchdog *wd = new_wd(f->dev, PGQ_WATCHDOG_AUTOMATIC);

	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_OFF);
	assert_false(pgq_watchdog_armed(wd));
	pgq_watchdog_free(wd, false);
}

/* A plain file arms "without timeout control"; the timeout is ttl − margin in whole s. */
static void test_arm_fake_file(void **state)
{
	struct fx *f = *state;
	char err[256] = "", buf[16];
	struct pgq_watchdog *wd;

	make_file(f->dev);
	wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED);
	assert_int_equal(pgq_watchdog_arm(wd, 30900, err, sizeof(err)), PGQ_WATCHDOG_ARM_ARMED);
	assert_true(pgq_watchdog_armed(wd));
	assert_false(pgq_watchdog_has_timeout_control(wd));
	assert_int_equal(pgq_watchdog_timeout_ms(wd), 25000); /* (30900 − 5000) rounded down */
	assert_int_equal(read_device(f->dev, buf, sizeof(buf)), 0); /* arming writes nothing */
	pgq_watchdog_free(wd, false);
}

/*
 * Petting cadence (S5): renewals every 10 s, ttl 30 s, timeout 25 s, kill
 * budget 1.5 s. A pet right after a renewal commits fits (t + 25 <= t + 30 − 1.5);
 * a renewal whose commit took 4 s no longer fits and is skipped.
 */
static void test_pet_cadence(void **state)
{
	struct fx *f = *state;
	char err[256] = "", buf[64];
	struct pgq_watchdog *wd;
	int petted = 0;

	make_file(f->dev);
	wd = new_wd(f->dev, PGQ_WATCHDOG_AUTOMATIC);
	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_ARMED);
	for (uint64_t sent = 1000000; sent < 1000000 + 10 * 10000; sent += 10000) {
		uint64_t committed = sent + 20;        /* commit 20 ms after the first send */
		uint64_t lease_end = sent + 30000;     /* S2: first send + ttl */

		int rc = pgq_watchdog_pet(wd, committed, lease_end, err, sizeof(err));
		assert_int_equal(rc, 1);
		petted++;
	}
	assert_int_equal(read_device(f->dev, buf, sizeof(buf)), petted);
	assert_int_equal(strspn(buf, "k"), (size_t)petted);
	assert_int_equal(pgq_watchdog_pets(wd), 10);
	/* Committed 3.6 s after its send: 3600 + 25000 > 30000 − 1500: skipped. */
	assert_int_equal(pgq_watchdog_pet(wd, 2003600, 2000000 + 30000, err, sizeof(err)), 0);
	/* The boundary itself fits: 3500 + 25000 == 30000 − 1500. */
	assert_int_equal(pgq_watchdog_pet(wd, 2003500, 2000000 + 30000, err, sizeof(err)), 1);
	/* A lease already over is never extended. */
	assert_int_equal(pgq_watchdog_pet(wd, 3000000, 2999000, err, sizeof(err)), 0);
	assert_int_equal(read_device(f->dev, buf, sizeof(buf)), 11);
	pgq_watchdog_free(wd, false);
}

/* Disarm on demotion: the magic 'V', then close; nothing more is written. */
static void test_magic_close_on_disarm(void **state)
{
	struct fx *f = *state;
	char err[256] = "", buf[64];
	struct pgq_watchdog *wd;

	make_file(f->dev);
	wd = new_wd(f->dev, PGQ_WATCHDOG_AUTOMATIC);
	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_ARMED);
	assert_int_equal(pgq_watchdog_pet(wd, 0, 30000, err, sizeof(err)), 1);
	assert_int_equal(pgq_watchdog_disarm(wd, false, err, sizeof(err)), 0);
	assert_false(pgq_watchdog_armed(wd));
	assert_int_equal(pgq_watchdog_pet(wd, 0, 30000, err, sizeof(err)), 0);
	assert_int_equal(read_device(f->dev, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "kV");
	pgq_watchdog_free(wd, false);
	assert_string_equal((read_device(f->dev, buf, sizeof(buf)), buf), "kV");
}

/* S5: never magic-close while PostgreSQL may be writable — not on disarm, not on exit. */
static void test_no_magic_close_while_writable(void **state)
{
	struct fx *f = *state;
	char err[256] = "", buf[64];
	struct pgq_watchdog *wd;

	make_file(f->dev);
	wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED);
	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_ARMED);
	assert_int_equal(pgq_watchdog_pet(wd, 0, 30000, err, sizeof(err)), 1);
	assert_int_equal(pgq_watchdog_disarm(wd, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "S5"));
	assert_true(pgq_watchdog_armed(wd));
	pgq_watchdog_free(wd, true); /* exit while writable: close without 'V' */
	assert_int_equal(read_device(f->dev, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "k");
}

/* A FIFO device: the reader sees exactly the pets and the magic byte. */
static void test_fifo_device(void **state)
{
	struct fx *f = *state;
	char err[256] = "", buf[64];
	struct pgq_watchdog *wd;
	int reader;
	ssize_t n;

	assert_int_equal(mkfifo(f->dev, 0600), 0);
	reader = open(f->dev, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED);
	assert_int_equal(pgq_watchdog_arm(wd, 10000, err, sizeof(err)), PGQ_WATCHDOG_ARM_ARMED);
	assert_false(pgq_watchdog_has_timeout_control(wd));
	assert_int_equal(pgq_watchdog_timeout_ms(wd), 5000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pgq_watchdog_pet(wd, (uint64_t)i * 2000, (uint64_t)i * 2000 + 10000,
						  err, sizeof(err)), 1);
	assert_int_equal(pgq_watchdog_disarm(wd, false, err, sizeof(err)), 0);
	n = read(reader, buf, sizeof(buf) - 1);
	assert_int_equal(n, 4);
	buf[n] = '\0';
	assert_string_equal(buf, "kkkV");
	close(reader);
	pgq_watchdog_free(wd, false);
}

/* A FIFO without a reader cannot be opened (ENXIO): required refuses. */
static void test_fifo_without_reader_refused(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	struct pgq_watchdog *wd;

	assert_int_equal(mkfifo(f->dev, 0600), 0);
	wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED);
	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_REFUSED);
	assert_non_null(strstr(err, "could not open watchdog device"));
	pgq_watchdog_free(wd, false);
}

/* Settings that cannot satisfy S5 are refused before touching the device. */
static void test_bad_margins_refused(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	struct pgq_watchdog_options o = {
		.mode = PGQ_WATCHDOG_REQUIRED, .device = f->dev,
		.safety_margin_ms = 1000, .kill_budget_ms = 1500,
	};
	struct pgq_watchdog *wd;

	make_file(f->dev);
	wd = pgq_watchdog_new(&o);
	assert_int_equal(pgq_watchdog_arm(wd, 30000, err, sizeof(err)), PGQ_WATCHDOG_ARM_REFUSED);
	assert_non_null(strstr(err, "kill_budget"));
	pgq_watchdog_free(wd, false);

	wd = new_wd(f->dev, PGQ_WATCHDOG_REQUIRED);
	/* ttl 5.5 s − margin 5 s: under the 1 s granularity. */
	assert_int_equal(pgq_watchdog_arm(wd, 5500, err, sizeof(err)), PGQ_WATCHDOG_ARM_REFUSED);
	assert_non_null(strstr(err, "granularity"));
	pgq_watchdog_free(wd, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_mode_opens_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_refuses_without_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_automatic_continues_without_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arm_fake_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pet_cadence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_magic_close_on_disarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_magic_close_while_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_without_reader_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_margins_refused, setup, teardown),
	};

	pgq_log_set_level(PGQ_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

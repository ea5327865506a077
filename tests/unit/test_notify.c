/*
 * test_notify.c — systemd notifications through a fake NOTIFY_SOCKET.
 *
 * The test binds a unix datagram socket in a temporary directory, points
 * NOTIFY_SOCKET at it and reads back exactly what libsystemd sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/notify.h"

struct fx {
	char dir[48];
	char path[80];
	int fd;
	struct pgq_notify n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/pgq-notify-XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	setenv("NOTIFY_SOCKET", f->path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	pgq_notify_init(&f->n);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(f->fd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One datagram, waited for at most 2 s. */
static void recv_msg(struct fx *f, char *buf, size_t len)
{
	struct pollfd p = {.fd = f->fd, .events = POLLIN};
	ssize_t n;

	assert_int_equal(poll(&p, 1, 2000), 1);
	n = recv(f->fd, buf, len - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
}

static bool nothing_pending(struct fx *f)
{
	struct pollfd p = {.fd = f->fd, .events = POLLIN};

	return poll(&p, 1, 50) == 0;
}

static void test_ready_message(void **state)
{
	struct fx *f = *state;
	char buf[512], err[128];

	assert_true(f->n.enabled);
	assert_int_equal(pgq_notify_ready(&f->n, "primary", "node1", err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\nSTATUS=role=primary primary=node1");
}

static void test_status_watchdog_stopping_messages(void **state)
{
	struct fx *f = *state;
	char buf[512], err[128];

	assert_int_equal(pgq_notify_status(&f->n, "replica", NULL, err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=role=replica primary=none");
	assert_int_equal(pgq_notify_watchdog(&f->n, err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");
	assert_int_equal(pgq_notify_stopping(&f->n, err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	assert_true(nothing_pending(f));
}

static void test_reloading_message(void **state)
{
	struct fx *f = *state;
	char buf[512], err[128], *end;
	unsigned long long usec;

	assert_int_equal(pgq_notify_reloading(&f->n, err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	usec = strtoull(buf + 27, &end, 10);
	assert_true(usec > 0);
	assert_true(*end == '\0');
}

/* A newline in a name cannot inject another assignment (READY=1 here). */
static void test_status_cannot_inject(void **state)
{
	struct fx *f = *state;
	char buf[512], err[128];

	assert_int_equal(pgq_notify_status(&f->n, "replica\nREADY=1", "n1", err, sizeof(err)), 1);
	recv_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=role=replica?READY=1 primary=n1");
}

/* WATCHDOG_USEC for this pid sets the cadence (half); for another pid, none. */
static void test_watchdog_usec(void **state)
{
	struct fx *f = *state;
	char pid[32];

	assert_int_equal(f->n.watchdog_usec, 0);
	assert_int_equal(pgq_notify_watchdog_interval_ms(&f->n), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	pgq_notify_init(&f->n);
	assert_int_equal(f->n.watchdog_usec, 4000000);
	assert_int_equal(pgq_notify_watchdog_interval_ms(&f->n), 2000);
	setenv("WATCHDOG_PID", "1", 1);
	pgq_notify_init(&f->n);
	assert_int_equal(f->n.watchdog_usec, 0);
}

/* Without NOTIFY_SOCKET every call is a no-op returning 0. */
static void test_noop_without_socket(void **state)
{
	struct fx *f = *state;
	struct pgq_notify n;
	char err[128];

	unsetenv("NOTIFY_SOCKET");
	pgq_notify_init(&n);
	assert_false(n.enabled);
	assert_int_equal(pgq_notify_ready(&n, "primary", "node1", err, sizeof(err)), 0);
	assert_int_equal(pgq_notify_status(&n, "primary", "node1", err, sizeof(err)), 0);
	assert_int_equal(pgq_notify_watchdog(&n, err, sizeof(err)), 0);
	assert_int_equal(pgq_notify_reloading(&n, err, sizeof(err)), 0);
	assert_int_equal(pgq_notify_stopping(&n, err, sizeof(err)), 0);
	assert_true(nothing_pending(f));
}

/* A socket that went away is reported as an error, never fatal. */
static void test_send_error_reported(void **state)
{
	struct fx *f = *state;
	char err[128] = "";

	close(f->fd);
	unlink(f->path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM, 0); /* so teardown has something to close */
	assert_int_equal(pgq_notify_watchdog(&f->n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sd_notify failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_watchdog_stopping_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reloading_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_cannot_inject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_usec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noop_without_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_error_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

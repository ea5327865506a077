/*
 * watchdog.c — arming, petting and disarming a Linux watchdog device.
 *
 * Why a pet can be skipped: the watchdog fires `timeout` after the last pet.
 * Petting at `now` moves that to now + timeout, which must stay within the
 * lease that the latest committed renewal grants, minus the kill budget
 * (S5). When it would not, we leave the earlier deadline in place.
 */
#include "watchdog/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"

struct pgq_watchdog {
	enum pgq_watchdog_mode mode;
	char *device;
	uint32_t safety_margin_ms;
	uint32_t kill_budget_ms;
	int fd;                    /* -1: not armed */
	bool timeout_control;      /* the driver accepted the timeout ioctls */
	uint32_t timeout_ms;
	uint64_t pets;
};

struct pgq_watchdog *pgq_watchdog_new(const struct pgq_watchdog_options *options)
{
	struct pgq_watchdog *wd = calloc(1, sizeof(*wd));

	if (wd == NULL)
		return NULL;
	wd->device = strdup(options->device != NULL ? options->device : PGQ_WATCHDOG_DEFAULT_DEVICE);
	if (wd->device == NULL) {
		free(wd);
		return NULL;
	}
	wd->mode = options->mode;
	wd->safety_margin_ms = options->safety_margin_ms;
	wd->kill_budget_ms = options->kill_budget_ms;
	wd->fd = -1;
	return wd;
}

static const char *mode_name(enum pgq_watchdog_mode mode)
{
	return mode == PGQ_WATCHDOG_REQUIRED ? "required" :
	       mode == PGQ_WATCHDOG_AUTOMATIC ? "automatic" : "off";
}

/* A failure: refused when required, otherwise logged and ignored. */
static enum pgq_watchdog_arm_result arm_failed(struct pgq_watchdog *wd, char *err, size_t errlen)
{
	if (wd->fd >= 0) {
		/* Not magic-closed: a half-armed device keeps counting (S5). */
		close(wd->fd);
		wd->fd = -1;
	}
	wd->timeout_ms = 0;
	if (wd->mode == PGQ_WATCHDOG_REQUIRED) {
		pgq_error("watchdog", "%s (watchdog.mode is required: refusing to become primary)", err);
		return PGQ_WATCHDOG_ARM_REFUSED;
	}
	pgq_warning("watchdog", "%s (watchdog.mode is automatic: continuing without a watchdog)", err);
	return PGQ_WATCHDOG_ARM_OFF;
}

/*
 * Ask the driver for `want_s`; it may round (the value written back is the
 * real one). Returns 0 with *got_s set, or -1 when the device takes no
 * timeout ioctl at all (a plain file or a FIFO).
 */
static int set_timeout(int fd, int want_s, int *got_s)
{
	int t = want_s;

	if (ioctl(fd, WDIOC_SETTIMEOUT, &t) == 0) {
		*got_s = t;
		return 0;
	}
	if (ioctl(fd, WDIOC_GETTIMEOUT, &t) == 0) {
		*got_s = t; /* fixed-timeout hardware */
		return 0;
	}
	return -1;
}

enum pgq_watchdog_arm_result pgq_watchdog_arm(struct pgq_watchdog *wd, uint32_t ttl_ms,
					      char *err, size_t errlen)
{
	uint64_t want_ms;
	int want_s, got_s;

	if (wd->mode == PGQ_WATCHDOG_OFF)
		return PGQ_WATCHDOG_ARM_OFF;
	if (ttl_ms <= wd->safety_margin_ms || ttl_ms - wd->safety_margin_ms < 1000) {
		snprintf(err, errlen,
			 "watchdog: ttl %u ms minus safety_margin %u ms leaves less than the 1 s watchdog granularity",
			 ttl_ms, wd->safety_margin_ms);
		return arm_failed(wd, err, errlen);
	}
	if (wd->safety_margin_ms < wd->kill_budget_ms) {
		/* Even a pet at the renewal's send time would fire after lease_end − kill_budget. */
		snprintf(err, errlen, "watchdog: safety_margin %u ms is below kill_budget %u ms (S5)",
			 wd->safety_margin_ms, wd->kill_budget_ms);
		return arm_failed(wd, err, errlen);
	}
	want_ms = ttl_ms - wd->safety_margin_ms;
	want_s = (int)(want_ms / 1000);
	if (wd->fd < 0) {
		wd->fd = open(wd->device, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (wd->fd < 0) {
			snprintf(err, errlen, "could not open watchdog device \"%s\": %s", wd->device,
				 strerror(errno));
			return arm_failed(wd, err, errlen);
		}
	}
	if (set_timeout(wd->fd, want_s, &got_s) == 0) {
		if (got_s <= 0 || got_s > want_s) {
			snprintf(err, errlen,
				 "watchdog device \"%s\" uses a %d s timeout, longer than the %d s the lease allows",
				 wd->device, got_s, want_s);
			return arm_failed(wd, err, errlen);
		}
		wd->timeout_control = true;
		wd->timeout_ms = (uint32_t)got_s * 1000u;
	} else {
		wd->timeout_control = false;
		wd->timeout_ms = (uint32_t)want_s * 1000u;
		pgq_warning("watchdog",
			    "device \"%s\" takes no timeout ioctl (%s): assuming %d s; is it a real watchdog?",
			    wd->device, strerror(errno), want_s);
	}
	pgq_info("watchdog", "armed device=\"%s\" mode=%s timeout_ms=%u timeout_control=%s",
		 wd->device, mode_name(wd->mode), wd->timeout_ms, wd->timeout_control ? "true" : "false");
	return PGQ_WATCHDOG_ARM_ARMED;
}

int pgq_watchdog_pet(struct pgq_watchdog *wd, uint64_t now_ms, uint64_t lease_end_ms,
		     char *err, size_t errlen)
{
	const char byte = PGQ_WATCHDOG_PET_BYTE;

	if (wd->fd < 0)
		return 0;
	/* S5: fire no later than lease_end − kill_budget. */
	if (lease_end_ms < wd->kill_budget_ms ||
	    now_ms + wd->timeout_ms > lease_end_ms - wd->kill_budget_ms) {
		pgq_debug("watchdog", "pet skipped now_ms=%llu lease_end_ms=%llu timeout_ms=%u",
			  (unsigned long long)now_ms, (unsigned long long)lease_end_ms, wd->timeout_ms);
		return 0;
	}
	if (write(wd->fd, &byte, 1) != 1) {
		snprintf(err, errlen, "could not pet watchdog device \"%s\": %s", wd->device,
			 strerror(errno));
		return -1;
	}
	wd->pets++;
	return 1;
}

static int magic_close(struct pgq_watchdog *wd, char *err, size_t errlen)
{
	const char magic = PGQ_WATCHDOG_MAGIC_BYTE;
	int rc = 0;

	if (write(wd->fd, &magic, 1) != 1) {
		if (err != NULL)
			snprintf(err, errlen, "could not disarm watchdog device \"%s\": %s",
				 wd->device, strerror(errno));
		rc = -1;
	}
	close(wd->fd);
	wd->fd = -1;
	wd->timeout_ms = 0;
	if (rc == 0)
		pgq_info("watchdog", "disarmed device=\"%s\"", wd->device);
	return rc;
}

int pgq_watchdog_disarm(struct pgq_watchdog *wd, bool pg_may_be_writable, char *err, size_t errlen)
{
	if (wd->fd < 0)
		return 0;
	if (pg_may_be_writable) {
		snprintf(err, errlen,
			 "watchdog not disarmed: PostgreSQL may still be writable (S5: fence it first)");
		return -1;
	}
	return magic_close(wd, err, errlen);
}

void pgq_watchdog_free(struct pgq_watchdog *wd, bool pg_may_be_writable)
{
	if (wd == NULL)
		return;
	if (wd->fd >= 0) {
		if (pg_may_be_writable) {
			pgq_warning("watchdog",
				    "closing device=\"%s\" without disarming: PostgreSQL may be writable, "
				    "the watchdog will fire unless it is stopped", wd->device);
			close(wd->fd);
		} else {
			magic_close(wd, NULL, 0);
		}
	}
	free(wd->device);
	free(wd);
}

bool pgq_watchdog_armed(const struct pgq_watchdog *wd) { return wd->fd >= 0; }
bool pgq_watchdog_has_timeout_control(const struct pgq_watchdog *wd) { return wd->timeout_control; }
uint32_t pgq_watchdog_timeout_ms(const struct pgq_watchdog *wd) { return wd->timeout_ms; }
uint64_t pgq_watchdog_pets(const struct pgq_watchdog *wd) { return wd->pets; }

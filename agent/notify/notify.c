/*
 * notify.c — sd_notify(3) messages of the agent.
 *
 * libsystemd does the socket work (abstract or path sockets, credentials);
 * this file only decides what to say. A status text carries no newline: a
 * role or member name with one would inject a notification of its own.
 */
#include "notify/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

void pgq_notify_init(struct pgq_notify *n)
{
	uint64_t usec = 0;
	const char *socket = getenv("NOTIFY_SOCKET");

	n->enabled = socket != NULL && socket[0] != '\0';
	/* 0: don't unset the environment; > 0 only when meant for this pid. */
	n->watchdog_usec = sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

uint64_t pgq_notify_watchdog_interval_ms(const struct pgq_notify *n)
{
	return n->watchdog_usec / 2 / 1000;
}

static int send_state(const struct pgq_notify *n, const char *state, char *err, size_t errlen)
{
	int rc;

	if (!n->enabled)
		return 0;
	rc = sd_notify(0, state);
	if (rc < 0) {
		snprintf(err, errlen, "sd_notify failed: %s", strerror(-rc));
		return -1;
	}
	return rc > 0 ? 1 : 0;
}

/* Copies `s` without control characters (newlines would start a new field). */
static void clean(char *out, size_t outlen, const char *s)
{
	size_t k = 0;

	if (s == NULL || s[0] == '\0')
		s = "none";
	for (; *s != '\0' && k + 1 < outlen; s++)
		out[k++] = (unsigned char)*s < 0x20 ? '?' : *s;
	out[k] = '\0';
}

static int send_status(const struct pgq_notify *n, bool ready, const char *role,
		       const char *primary, char *err, size_t errlen)
{
	char r[128], p[128], msg[320];

	clean(r, sizeof(r), role);
	clean(p, sizeof(p), primary);
	snprintf(msg, sizeof(msg), "%sSTATUS=role=%s primary=%s", ready ? "READY=1\n" : "", r, p);
	return send_state(n, msg, err, errlen);
}

int pgq_notify_ready(const struct pgq_notify *n, const char *role, const char *primary,
		     char *err, size_t errlen)
{
	return send_status(n, true, role, primary, err, errlen);
}

int pgq_notify_status(const struct pgq_notify *n, const char *role, const char *primary,
		      char *err, size_t errlen)
{
	return send_status(n, false, role, primary, err, errlen);
}

int pgq_notify_watchdog(const struct pgq_notify *n, char *err, size_t errlen)
{
	return send_state(n, "WATCHDOG=1", err, errlen);
}

int pgq_notify_reloading(const struct pgq_notify *n, char *err, size_t errlen)
{
	struct timespec ts;
	char msg[64];

	/* Type=notify-reload wants the CLOCK_MONOTONIC time of the reload. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	return send_state(n, msg, err, errlen);
}

int pgq_notify_stopping(const struct pgq_notify *n, char *err, size_t errlen)
{
	return send_state(n, "STOPPING=1", err, errlen);
}

/*
 * notify.h — telling systemd how the agent is doing (sd_notify).
 *
 * OWNER: notify module (agent/notify/).
 *
 * With Type=notify the unit is "started" only when the agent sends READY=1
 * (once it has joined the cluster and knows its role), and with WatchdogSec
 * systemd restarts the agent unless WATCHDOG=1 arrives at least every
 * WATCHDOG_USEC. Everything is a no-op, returning 0, when the agent does not
 * run under systemd (NOTIFY_SOCKET unset). Functions return 1 when a message
 * was sent, 0 when there is no systemd to tell, -1 on a send error (`err`
 * filled; the caller logs it — a lost notification is never fatal).
 */
#ifndef PGQ_NOTIFY_H
#define PGQ_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgq_notify {
	bool enabled;              /* NOTIFY_SOCKET was set at init */
	uint64_t watchdog_usec;    /* WATCHDOG_USEC for this process; 0: no systemd watchdog */
};

/* Reads the environment (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID). */
void pgq_notify_init(struct pgq_notify *n);

/* How often to send WATCHDOG=1: half of WATCHDOG_USEC, in ms; 0 when not asked. */
uint64_t pgq_notify_watchdog_interval_ms(const struct pgq_notify *n);

/* "READY=1\nSTATUS=role=<role> primary=<primary>" (NULL strings print as "none"). */
int pgq_notify_ready(const struct pgq_notify *n, const char *role, const char *primary,
		     char *err, size_t errlen);
/* "STATUS=role=<role> primary=<primary>" */
int pgq_notify_status(const struct pgq_notify *n, const char *role, const char *primary,
		      char *err, size_t errlen);
/* "WATCHDOG=1": from the loop, while healthy. */
int pgq_notify_watchdog(const struct pgq_notify *n, char *err, size_t errlen);
/* "RELOADING=1\nMONOTONIC_USEC=<now>" at SIGHUP; send pgq_notify_ready() when done. */
int pgq_notify_reloading(const struct pgq_notify *n, char *err, size_t errlen);
/* "STOPPING=1" */
int pgq_notify_stopping(const struct pgq_notify *n, char *err, size_t errlen);

#endif /* PGQ_NOTIFY_H */

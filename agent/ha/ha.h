/*
 * ha.h — what the HA logic shares between its parts: the timing settings it
 * needs from the local configuration, and the list of record commands a
 * decision asks the runtime to propose.
 *
 * The HA logic (agent/ha/) is pure: no I/O, no clock reads, no randomness.
 * Every time (CLOCK_BOOTTIME milliseconds for timeouts, wall-clock
 * milliseconds only to stamp record entries), every observation and every
 * random nonce comes in as an argument; decisions come out as data that the
 * runtime carries out. The same inputs always give the same decision, so
 * the unit tests can drive it through any sequence of states and times.
 * clock.c is the one exception: it reads CLOCK_BOOTTIME for the runtime.
 * docs/ha.md describes every table and every decision.
 */
#ifndef PGQ_HA_H
#define PGQ_HA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

/* ρ = 500 ppm (S2): clocks may run apart by at most 1/2000 of a duration. */
#define PGQ_HA_RHO_DIVISOR 2000u
/* S2: the drift floor is at least 100 ms whatever the configuration says. */
#define PGQ_HA_DRIFT_FLOOR_MIN_MS 100u

/*
 * Local timing settings (bootstrap.dcs in pgq_config.h; the record's
 * dynamic configuration holds ttl, loop_wait and the failover settings).
 */
struct pgq_ha_timing {
	uint32_t drift_floor_ms;        /* S2; raised to PGQ_HA_DRIFT_FLOOR_MIN_MS */
	uint32_t stop_budget_ms;        /* S5: fast stop this long before lease end */
	uint32_t kill_budget_ms;        /* S5: immediate stop this long before lease end */
	uint32_t report_timeout_ms;     /* S8/S9: how long the leader waits for reports */
	uint32_t switchover_timeout_ms; /* S13 (4) */
};

/* The most commands one decision asks for (it never needs more). */
#define PGQ_HA_MAX_CMDS 4
#define PGQ_HA_REASON_MAX 200

/* One command to propose: canonical bytes from a record_cmd.h builder. */
struct pgq_ha_cmd {
	uint8_t *data;                  /* malloc'd, owned by the list */
	size_t len;
	char name[32];                  /* command name, for the log */
	char reason[PGQ_HA_REASON_MAX]; /* why, citing the rule */
};

/*
 * A list of commands. Owned by the caller: initialise with
 * pgq_ha_cmds_init(), release with pgq_ha_cmds_free() (which frees every
 * data buffer; a runtime that hands `data` on sets it to NULL first).
 */
struct pgq_ha_cmds {
	size_t n;
	struct pgq_ha_cmd cmd[PGQ_HA_MAX_CMDS];
};

void pgq_ha_cmds_init(struct pgq_ha_cmds *l);
void pgq_ha_cmds_free(struct pgq_ha_cmds *l);
/*
 * Append a command built by a record_cmd.h builder (build_rc, data, len are
 * what it returned). Takes ownership of data. Returns 0, or the builder's
 * error / PGQ_RECORD_ERR_INVALID when the list is full (data freed).
 */
int pgq_ha_cmds_add(struct pgq_ha_cmds *l, int build_rc, uint8_t *data, size_t len,
		    const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Index of the first command named `name`, or -1. */
int pgq_ha_cmds_find(const struct pgq_ha_cmds *l, const char *name);

/*
 * S1/S15 (docs/safety-changes.md C16): the bootstrap primary (epoch 1) has
 * not claimed its first lease yet (no renewal accepted, not promoted). It
 * renews only once initdb finished, and the leader does not time it
 * meanwhile.
 */
bool pgq_ha_bootstrap_unclaimed(const struct pgq_primary *p);

#endif /* PGQ_HA_H */

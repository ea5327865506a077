/*
 * watchdog.h — the Linux watchdog device (/dev/watchdog) while primary.
 *
 * OWNER: watchdog module (agent/watchdog/). docs/watchdog.md is the guide.
 *
 * The agent arms the watchdog when it asks for promotion (S1: from then on it
 * obeys every primary rule), pets it right after each committed renewal, and
 * disarms it (magic close) on demotion or clean exit. S5: a pet is made only
 * when the watchdog would then fire no later than lease_end − kill_budget, and
 * the watchdog is never magic-closed while PostgreSQL may be writable: if the
 * agent hangs or dies while primary, the machine resets before another member
 * may promote.
 *
 * All times are milliseconds on CLOCK_BOOTTIME, supplied by the caller, so
 * the arithmetic is testable without waiting. The module does no I/O outside
 * arm, pet, disarm and free, and never blocks (the device is opened with
 * O_NONBLOCK).
 */
#ifndef PGQ_WATCHDOG_H
#define PGQ_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgq_config.h"

#define PGQ_WATCHDOG_DEFAULT_DEVICE "/dev/watchdog"
/* The byte written to pet: anything but 'V' (which would allow a magic close). */
#define PGQ_WATCHDOG_PET_BYTE 'k'
#define PGQ_WATCHDOG_MAGIC_BYTE 'V'

struct pgq_watchdog_options {
	enum pgq_watchdog_mode mode;
	const char *device;            /* NULL: /dev/watchdog; copied */
	uint32_t safety_margin_ms;     /* the watchdog timeout is ttl − safety_margin */
	uint32_t kill_budget_ms;       /* S5: fire no later than lease_end − kill_budget */
};

/* pgq_watchdog_arm() outcomes. */
enum pgq_watchdog_arm_result {
	PGQ_WATCHDOG_ARM_REFUSED = -1, /* mode required and no working watchdog: do NOT become primary */
	PGQ_WATCHDOG_ARM_OFF = 0,      /* mode off, or automatic and unavailable (logged): go on */
	PGQ_WATCHDOG_ARM_ARMED = 1,    /* the device is open and counting */
};

struct pgq_watchdog;

/* No I/O. Returns NULL when out of memory. */
struct pgq_watchdog *pgq_watchdog_new(const struct pgq_watchdog_options *options);

/*
 * Open the device and set its timeout to ttl_ms − safety_margin_ms (whole
 * seconds, rounded down, at least 1 s). With `required`, any failure returns
 * PGQ_WATCHDOG_ARM_REFUSED with `err` filled: the caller must refuse to
 * become primary. Arming an armed watchdog re-sets the timeout. A device
 * that rejects the timeout ioctls (a plain file or FIFO, in tests) is armed
 * "without timeout control": the requested timeout is assumed, and
 * pgq_watchdog_has_timeout_control() says so.
 */
enum pgq_watchdog_arm_result pgq_watchdog_arm(struct pgq_watchdog *wd, uint32_t ttl_ms,
					      char *err, size_t errlen);

/*
 * After a renewal committed: pet when now_ms + timeout <= lease_end_ms −
 * kill_budget (S5). Returns 1 petted, 0 skipped (not armed, or a pet now
 * would let the watchdog fire after that point: it then fires at the last
 * pet's deadline, which was within the earlier lease), -1 when the write
 * failed (`err` filled).
 */
int pgq_watchdog_pet(struct pgq_watchdog *wd, uint64_t now_ms, uint64_t lease_end_ms,
		     char *err, size_t errlen);

/*
 * Demotion: magic close ('V', then close) — only once PostgreSQL cannot be
 * writable any more (fenced, S5). With pg_may_be_writable true it refuses:
 * returns -1, the watchdog stays armed. Returns 0 when disarmed (or was not
 * armed), -1 on an I/O error (the device is closed regardless).
 */
int pgq_watchdog_disarm(struct pgq_watchdog *wd, bool pg_may_be_writable, char *err, size_t errlen);

/*
 * Release: a clean magic close when PostgreSQL cannot be writable; otherwise
 * the device is closed WITHOUT the magic byte, so the watchdog keeps counting
 * and resets the host if PostgreSQL outlives its lease (S5). NULL is a no-op.
 */
void pgq_watchdog_free(struct pgq_watchdog *wd, bool pg_may_be_writable);

bool pgq_watchdog_armed(const struct pgq_watchdog *wd);
bool pgq_watchdog_has_timeout_control(const struct pgq_watchdog *wd);
/* The timeout in force (as the driver reported it, or as requested). 0: not armed. */
uint32_t pgq_watchdog_timeout_ms(const struct pgq_watchdog *wd);
uint64_t pgq_watchdog_pets(const struct pgq_watchdog *wd);

#endif /* PGQ_WATCHDOG_H */

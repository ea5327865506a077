/*
 * clock.h — the one clock the HA logic's callers read: CLOCK_BOOTTIME in
 * milliseconds (SAFETY.md: it keeps counting through a suspend; never use
 * wall-clock time for a timeout). The rest of agent/ha/ never reads it.
 */
#ifndef PGQ_HA_CLOCK_H
#define PGQ_HA_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_BOOTTIME (0 only if the clock cannot be read). */
uint64_t pgq_now_boottime_ms(void);

#endif

/*
 * clock.h — the one clock the HA logic's callers read: CLOCK_BOOTTIME in
 * milliseconds (SAFETY.md: it keeps counting through a suspend; never use
 * wall-clock time for a timeout). The rest of agent/ha/ never reads it.
 */
#ifndef PGQ_HA_CLOCK_H
#define PGQ_HA_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds of CLOCK_BOOTTIME (0 only if the clock cannot be read). */
uint64_t pgq_now_boottime_ms(void);

/*
 * S14: the kernel's boot id (/proc/sys/kernel/random/boot_id), which names
 * the boot that CLOCK_BOOTTIME counts from. 0, or -1 (buf "") when it
 * cannot be read.
 */
int pgq_boot_id(char *buf, size_t n);

#endif

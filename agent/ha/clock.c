/*
 * clock.c — CLOCK_BOOTTIME for the runtime: the only file of agent/ha/
 * that reads a clock.
 */
#include <time.h>

#include "ha/clock.h"

uint64_t pgq_now_boottime_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

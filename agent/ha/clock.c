/*
 * clock.c — CLOCK_BOOTTIME and the boot id it belongs to, for the
 * runtime: the only file of agent/ha/ that reads a clock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ha/clock.h"

uint64_t pgq_now_boottime_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pgq_boot_id(char *buf, size_t n)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char line[128];

	if (n > 0)
		buf[0] = '\0';
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0' || strlen(line) >= n || strchr(line, ' ') != NULL)
		return -1;
	snprintf(buf, n, "%s", line);
	return 0;
}

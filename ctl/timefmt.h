/*
 * timefmt.h — ISO 8601 times for --scheduled: parsing with a zone (Z,
 * +HH:MM, +HHMM, +HH) or without (local time, as patronictl does), and
 * printing milliseconds since 1970 as ISO 8601 in UTC.
 */
#ifndef PGQ_CTL_TIMEFMT_H
#define PGQ_CTL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][zone]" → milliseconds since 1970 (UTC).
 * Fields are range-checked (month 1–12, day within the month, hour 0–23,
 * minute 0–59, second 0–60; zone offset within ±18:00). Returns 0, or -1
 * with err.
 */
int ctl_iso8601_parse(const char *text, int64_t *out_ms, char *err, size_t errlen);

/* "2026-11-27T14:05:00+00:00" (milliseconds dropped) into buf. */
void ctl_iso8601_format(int64_t ms, char *buf, size_t buflen);

#endif /* PGQ_CTL_TIMEFMT_H */

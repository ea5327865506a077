/*
 * config_values.h — parsers for the scalar value types of the configuration:
 * integers, booleans, durations, sizes, host:port, CIDR networks; and the
 * edit distance used for "did you mean" hints.
 *
 * OWNER: config module. Each parser returns 0, or -1 with a message (without
 * position) in err; the caller adds the position.
 *
 * Syntax (documented in docs/configuration.md):
 *  - integer: optional '-', decimal digits only.
 *  - boolean: true/false, yes/no, on/off (any case).
 *  - duration: an integer in the key's unit (seconds, or milliseconds for
 *    keys ending in _ms), or an integer followed by ms, s, min, h or d
 *    ("500ms", "10s", "30min").
 *  - size: an integer number of bytes, or followed by B, kB, MB, GB or TB
 *    (powers of 1024, PostgreSQL's spelling).
 */
#ifndef PGQ_CONFIG_VALUES_H
#define PGQ_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgq_config.h"

int pgq_parse_int64(const char *s, int64_t *out);
int pgq_parse_bool(const char *s, bool *out);
/* default_unit_ms: 1000 for keys in seconds, 1 for keys in milliseconds. */
int pgq_parse_duration_ms(const char *s, uint64_t default_unit_ms, uint64_t *out, char *err, size_t errlen);
int pgq_parse_size_bytes(const char *s, uint64_t *out, char *err, size_t errlen);

/* Fills *out (text and host allocated; free with pgq_hostport_clear). */
int pgq_parse_hostport(const char *s, struct pgq_hostport *out, char *err, size_t errlen);
void pgq_hostport_clear(struct pgq_hostport *hp);
int pgq_hostport_copy(struct pgq_hostport *dst, const struct pgq_hostport *src);
/* 0.0.0.0 or [::]: listens everywhere, so nobody can connect to it by that address. */
bool pgq_hostport_is_wildcard(const struct pgq_hostport *hp);
/* Same port and same host (addresses compared as binary, names case-insensitively). */
bool pgq_hostport_equal(const struct pgq_hostport *a, const struct pgq_hostport *b);

/* Fills *out (text allocated; free with pgq_cidr_clear). */
int pgq_parse_cidr(const char *s, struct pgq_cidr *out, char *err, size_t errlen);
void pgq_cidr_clear(struct pgq_cidr *c);

size_t pgq_levenshtein(const char *a, const char *b);

/* "30s", "1500ms", "5min": the shortest exact spelling, for messages. */
void pgq_format_duration(uint64_t ms, char *buf, size_t len);

#endif /* PGQ_CONFIG_VALUES_H */

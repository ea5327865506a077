/*
 * query.h — the query string of a REST request, parsed into a small fixed
 * table, and Patroni's lag sizes ("16kB", "64MB", "1GB", "1048576").
 *
 * Why fixed and bounded: these run on the HTTP threads for every health
 * check (thousands a minute from HAProxy) and take untrusted input, so they
 * allocate nothing and refuse anything larger than the limits below with a
 * message for a 400 answer.
 */
#ifndef PGQ_REST_QUERY_H
#define PGQ_REST_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGQ_QUERY_MAX_PARAMS 16
#define PGQ_QUERY_KEY_LEN 64        /* decoded key, including the NUL */
#define PGQ_QUERY_VALUE_LEN 256     /* decoded value, including the NUL */
#define PGQ_QUERY_MAX_RAW 4096      /* bytes of the raw query string */

struct pgq_query_param {
	char key[PGQ_QUERY_KEY_LEN];
	char value[PGQ_QUERY_VALUE_LEN];
};

/* Plain value, no pointers: copy it, put it on the stack. */
struct pgq_query {
	size_t n;
	struct pgq_query_param params[PGQ_QUERY_MAX_PARAMS];
};

void pgq_query_init(struct pgq_query *q);

/*
 * Parse a raw query string (the part after '?', without it; NULL or "" is
 * empty): '&'-separated key[=value] pairs, percent-decoded, '+' as a space.
 * Empty pairs ("a=1&&b=2") are skipped. -1 with a message on: a bad or
 * NUL-producing %-escape, an empty key, a key or value over the limits,
 * more than PGQ_QUERY_MAX_PARAMS pairs, a repeated key (what would the
 * client mean?), a raw string over PGQ_QUERY_MAX_RAW. q is reset first.
 */
int pgq_query_parse(const char *raw, struct pgq_query *q, char *err, size_t errlen);

/*
 * Add one already-decoded pair (libmicrohttpd hands arguments decoded:
 * MHD_get_connection_values(..., MHD_GET_ARGUMENT_KIND, ...)). value NULL
 * means "key without '='" and is stored as "". Same limits and errors.
 */
int pgq_query_add(struct pgq_query *q, const char *key, const char *value, char *err,
		  size_t errlen);

/* The value of key, or NULL when absent. Borrowed from q. */
const char *pgq_query_get(const struct pgq_query *q, const char *key);

/*
 * A lag size as Patroni accepts it: decimal digits, optionally followed by
 * one of PostgreSQL's memory units B, kB, MB, GB, TB (1024-based, case as
 * PostgreSQL writes them). No sign, no fraction, no spaces. -1 with a
 * message when malformed or above INT64_MAX bytes.
 */
int pgq_size_parse(const char *text, uint64_t *bytes, char *err, size_t errlen);

#endif /* PGQ_REST_QUERY_H */

/*
 * query.c — the query string of a REST request, decoded into a bounded
 * table (query.h). No allocation: it runs on the HTTP threads for every
 * health check.
 *
 * Repeated keys are refused (400) rather than "first wins" as in Patroni:
 * `?lag=1MB&lag=1GB` is ambiguous, and a health check should fail loudly on
 * a configuration mistake instead of picking one reading silently.
 */
#include "rest/query.h"

#include <stdio.h>
#include <string.h>

void pgq_query_init(struct pgq_query *q)
{
	q->n = 0;
}

const char *pgq_query_get(const struct pgq_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->params[i].key, key) == 0)
			return q->params[i].value;
	return NULL;
}

int pgq_query_add(struct pgq_query *q, const char *key, const char *value, char *err,
		  size_t errlen)
{
	struct pgq_query_param *p;

	if (value == NULL)
		value = "";
	if (key == NULL || key[0] == '\0') {
		snprintf(err, errlen, "query parameter without a name");
		return -1;
	}
	if (strlen(key) >= PGQ_QUERY_KEY_LEN) {
		snprintf(err, errlen, "query parameter name longer than %d bytes", PGQ_QUERY_KEY_LEN - 1);
		return -1;
	}
	if (strlen(value) >= PGQ_QUERY_VALUE_LEN) {
		snprintf(err, errlen, "value of query parameter \"%s\" longer than %d bytes", key,
			 PGQ_QUERY_VALUE_LEN - 1);
		return -1;
	}
	if (pgq_query_get(q, key) != NULL) {
		snprintf(err, errlen, "query parameter \"%s\" given more than once", key);
		return -1;
	}
	if (q->n >= PGQ_QUERY_MAX_PARAMS) {
		snprintf(err, errlen, "more than %d query parameters", PGQ_QUERY_MAX_PARAMS);
		return -1;
	}
	p = &q->params[q->n++];
	memcpy(p->key, key, strlen(key) + 1);
	memcpy(p->value, value, strlen(value) + 1);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode src[0..len) into out (capacity cap, NUL-terminated). -1 with a
 * message on a bad escape, a decoded NUL, or overflow of cap.
 */
static int decode(const char *src, size_t len, char *out, size_t cap, const char *what,
		  char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '%') {
			if (i + 2 >= len) {
				snprintf(err, errlen, "truncated %%-escape in query %s", what);
				return -1;
			}
			int hi = hex_value(src[i + 1]);
			int lo = hex_value(src[i + 2]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "invalid %%-escape in query %s", what);
				return -1;
			}
			c = (char)(hi * 16 + lo);
			if (c == '\0') {
				snprintf(err, errlen, "%%00 in query %s", what);
				return -1;
			}
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= cap) {
			snprintf(err, errlen, "query %s longer than %zu bytes", what, cap - 1);
			return -1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int pgq_query_parse(const char *raw, struct pgq_query *q, char *err, size_t errlen)
{
	const char *p = raw;

	pgq_query_init(q);
	if (raw == NULL || raw[0] == '\0')
		return 0;
	if (strnlen(raw, PGQ_QUERY_MAX_RAW + 1) > PGQ_QUERY_MAX_RAW) {
		snprintf(err, errlen, "query string longer than %d bytes", PGQ_QUERY_MAX_RAW);
		return -1;
	}
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t key_len = eq != NULL ? (size_t)(eq - p) : len;
		char key[PGQ_QUERY_KEY_LEN];
		char value[PGQ_QUERY_VALUE_LEN];

		if (len > 0) {
			if (decode(p, key_len, key, sizeof key, "parameter name", err, errlen) != 0)
				return -1;
			value[0] = '\0';
			if (eq != NULL &&
			    decode(eq + 1, len - key_len - 1, value, sizeof value, "value", err,
				   errlen) != 0)
				return -1;
			if (pgq_query_add(q, key, value, err, errlen) != 0)
				return -1;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

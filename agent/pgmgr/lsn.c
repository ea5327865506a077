/*
 * lsn.c — WAL positions between PostgreSQL's text form "HI/LO" and uint64.
 * Strict on input: the text comes from SQL results and pg_controldata
 * output, and a misread LSN would mislead failover decisions (S8, S9).
 */
#include "pgmgr/pgmgr.h"

#include <stdio.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses 1..8 hex digits at *p, advancing it. */
static int parse_half(const char **p, uint32_t *out)
{
	uint32_t v = 0;
	int n = 0;
	int d;

	while ((d = hex_digit(**p)) >= 0) {
		if (++n > 8)
			return -1;
		v = (v << 4) | (uint32_t)d;
		(*p)++;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

int pgmgr_lsn_parse(const char *text, uint64_t *out)
{
	const char *p = text;
	uint32_t hi, lo;

	if (text == NULL || parse_half(&p, &hi) != 0 || *p != '/')
		return -1;
	p++;
	if (parse_half(&p, &lo) != 0 || *p != '\0')
		return -1;
	*out = ((uint64_t)hi << 32) | lo;
	return 0;
}

const char *pgmgr_lsn_format(uint64_t lsn, char *buf, size_t buflen)
{
	if (buf != NULL && buflen > 0)
		snprintf(buf, buflen, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
	return buf;
}

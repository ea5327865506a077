/*
 * slots.c — member slot names and the SQL that keeps the slots (slots.h).
 */
#include "pgmgr/slots.h"
#include "pgmgr/pgmgr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool slot_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* FNV-1a: small, stable across platforms and versions. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

int pgmgr_slot_name(const char *member, char *out, size_t outlen)
{
	size_t n, keep;
	bool valid = true;

	if (member == NULL || member[0] == '\0' || out == NULL || outlen < PGMGR_SLOT_NAME_MAX + 1)
		return -1;
	n = strlen(member);
	for (size_t i = 0; i < n; i++)
		valid = valid && slot_char(member[i]);
	if (valid && n <= PGMGR_SLOT_NAME_MAX) {
		memcpy(out, member, n + 1);
		return 0;
	}
	/* Mapped: base (lowercased, others to '_'), then "_" + 8 hex of the original. */
	keep = n < PGMGR_SLOT_NAME_MAX - 9 ? n : PGMGR_SLOT_NAME_MAX - 9;
	for (size_t i = 0; i < keep; i++) {
		char c = member[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = slot_char(c) ? c : '_';
	}
	snprintf(out + keep, outlen - keep, "_%08x", fnv1a(member));
	return 0;
}

static bool valid_slot(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > PGMGR_SLOT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!slot_char(name[i]))
			return false;
	return true;
}

/* "('a'),('b')" or "'a','b'": names are valid slot names, so no quoting is needed. */
static char *name_list(const char *const *names, size_t n, bool rows)
{
	size_t cap = 1, len = 0;
	char *s;

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!valid_slot(names[i]))
			return NULL;
		cap += strlen(names[i]) + 6;
	}
	s = malloc(cap);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, rows ? "%s('%s')" : "%s'%s'",
					i > 0 ? "," : "", names[i]);
	return s;
}

static int build(char **out, const char *fmt, const char *list)
{
	size_t n = strlen(fmt) + strlen(list) + 1;

	*out = malloc(n);
	if (*out == NULL)
		return -1;
	snprintf(*out, n, fmt, list);
	return 0;
}

int pgmgr_slots_sql_ensure(const char *const *names, size_t n, char **out)
{
	char *list = name_list(names, n, true);
	int rc;

	*out = NULL;
	if (list == NULL)
		return -1;
	rc = build(out,
		   "SELECT pg_catalog.pg_create_physical_replication_slot(v.n, true)"
		   " FROM (VALUES %s) AS v(n) WHERE NOT EXISTS"
		   " (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = v.n)",
		   list);
	free(list);
	return rc;
}

int pgmgr_slots_sql_drop(const char *const *names, size_t n, char **out)
{
	char *list = name_list(names, n, false);
	int rc;

	*out = NULL;
	if (list == NULL)
		return -1;
	rc = build(out,
		   "SELECT pg_catalog.pg_drop_replication_slot(slot_name)"
		   " FROM pg_catalog.pg_replication_slots"
		   " WHERE slot_type = 'physical' AND NOT active AND slot_name IN (%s)",
		   list);
	free(list);
	return rc;
}

int pgmgr_slots_sql_advance(const char *name, uint64_t lsn, char **out)
{
	char l[PGMGR_LSN_STRLEN];
	size_t n;

	*out = NULL;
	if (!valid_slot(name) || lsn == PGMGR_LSN_INVALID)
		return -1;
	pgmgr_lsn_format(lsn, l, sizeof(l));
	n = strlen(name) + strlen(l) + 128;
	*out = malloc(n);
	if (*out == NULL)
		return -1;
	snprintf(*out, n, "SELECT pg_catalog.pg_replication_slot_advance('%s', '%s'::pg_lsn)", name, l);
	return 0;
}

static int run(uv_loop_t *loop, const char *conninfo, char *sql, uint32_t timeout_ms,
	       pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen)
{
	int rc;

	if (sql == NULL) {
		snprintf(err, errlen, "invalid slot name or out of memory");
		return -1;
	}
	rc = pgmgr_sql_exec(loop, conninfo, sql, timeout_ms, cb, ctx, err, errlen);
	free(sql);
	return rc;
}

int pgmgr_slots_ensure(uv_loop_t *loop, const char *conninfo, const char *const *names, size_t n,
		       uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen)
{
	char *sql;

	pgmgr_slots_sql_ensure(names, n, &sql);
	return run(loop, conninfo, sql, timeout_ms, cb, ctx, err, errlen);
}

int pgmgr_slots_drop(uv_loop_t *loop, const char *conninfo, const char *const *names, size_t n,
		     uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen)
{
	char *sql;

	pgmgr_slots_sql_drop(names, n, &sql);
	return run(loop, conninfo, sql, timeout_ms, cb, ctx, err, errlen);
}

int pgmgr_slots_advance(uv_loop_t *loop, const char *conninfo, const char *name, uint64_t lsn,
			uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen)
{
	char *sql;

	pgmgr_slots_sql_advance(name, lsn, &sql);
	return run(loop, conninfo, sql, timeout_ms, cb, ctx, err, errlen);
}

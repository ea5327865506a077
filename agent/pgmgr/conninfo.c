/*
 * conninfo.c — libpq connection strings and SQL literals (conninfo.h).
 * libpq's rule: a value in single quotes, with \' and \\ for a quote and a
 * backslash. SQL's rule (standard_conforming_strings): '' for a quote.
 */
#include "pgmgr/conninfo.h"

#include <stdio.h>
#include <string.h>

static bool valid_key(const char *key)
{
	if (key == NULL || *key == '\0')
		return false;
	for (const char *p = key; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return false;
	return true;
}

int pgmgr_conninfo_add(char *buf, size_t buflen, const char *key, const char *value)
{
	size_t len, need;
	char *w;

	if (value == NULL)
		return 0;
	if (buf == NULL || buflen == 0 || !valid_key(key))
		return -1;
	len = strnlen(buf, buflen);
	if (len == buflen)
		return -1;
	/* Worst case: every byte escaped. */
	need = len + (len > 0 ? 1 : 0) + strlen(key) + 3 + 2 * strlen(value) + 1;
	if (need > buflen) {
		/* Count exactly before refusing. */
		size_t esc = 0;
		for (const char *p = value; *p != '\0'; p++)
			esc += (*p == '\'' || *p == '\\') ? 2 : 1;
		need = len + (len > 0 ? 1 : 0) + strlen(key) + 3 + esc + 1;
		if (need > buflen)
			return -1;
	}
	w = buf + len;
	if (len > 0)
		*w++ = ' ';
	w += sprintf(w, "%s='", key);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '\'';
	*w = '\0';
	return 0;
}

int pgmgr_conninfo_build(char *buf, size_t buflen, const struct pgmgr_conninfo_parts *p)
{
	char num[32];
	int rc = 0;

	if (buf == NULL || buflen == 0 || p == NULL || p->host == NULL)
		return -1;
	buf[0] = '\0';
	rc |= pgmgr_conninfo_add(buf, buflen, "host", p->host);
	if (p->port != 0) {
		snprintf(num, sizeof(num), "%u", (unsigned)p->port);
		rc |= pgmgr_conninfo_add(buf, buflen, "port", num);
	}
	rc |= pgmgr_conninfo_add(buf, buflen, "user", p->user);
	rc |= pgmgr_conninfo_add(buf, buflen, "password", p->password);
	rc |= pgmgr_conninfo_add(buf, buflen, "dbname", p->dbname);
	rc |= pgmgr_conninfo_add(buf, buflen, "application_name", p->application_name);
	if (p->connect_timeout_s > 0) {
		snprintf(num, sizeof(num), "%u", p->connect_timeout_s);
		rc |= pgmgr_conninfo_add(buf, buflen, "connect_timeout", num);
	}
	if (p->local_agent) {
		rc |= pgmgr_conninfo_add(buf, buflen, "gssencmode", "disable");
		rc |= pgmgr_conninfo_add(buf, buflen, "sslmode", "disable");
		if (p->statement_timeout_ms > 0) {
			snprintf(num, sizeof(num), "-c statement_timeout=%u", (unsigned)p->statement_timeout_ms);
			rc |= pgmgr_conninfo_add(buf, buflen, "options", num);
		}
	}
	if (rc != 0) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

static int quote(char *buf, size_t buflen, const char *value, char q)
{
	size_t n = 2;
	char *w;

	if (buf == NULL || value == NULL)
		return -1;
	for (const char *p = value; *p != '\0'; p++)
		n += *p == q ? 2 : 1;
	if (n + 1 > buflen)
		return -1;
	w = buf;
	*w++ = q;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == q)
			*w++ = q;
		*w++ = *p;
	}
	*w++ = q;
	*w = '\0';
	return 0;
}

int pgmgr_sql_literal(char *buf, size_t buflen, const char *value)
{
	return quote(buf, buflen, value, '\'');
}

int pgmgr_sql_ident(char *buf, size_t buflen, const char *value)
{
	return quote(buf, buflen, value, '"');
}

const char *pgmgr_local_host(const char *listen_host)
{
	if (listen_host == NULL || listen_host[0] == '\0' || strcmp(listen_host, "*") == 0 ||
	    strcmp(listen_host, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(listen_host, "::") == 0)
		return "::1";
	return listen_host;
}

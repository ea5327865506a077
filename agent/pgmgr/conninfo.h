/*
 * conninfo.h — building libpq connection strings and SQL literals safely.
 * Values come from the configuration (passwords with spaces, quotes and
 * backslashes are legal there), so everything is quoted, never pasted.
 */
#ifndef PGQ_PGMGR_CONNINFO_H
#define PGQ_PGMGR_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Appends " key='value'" to buf (NUL-terminated, capacity buflen), the value
 * quoted for libpq (a backslash before ' and \). key must be [a-z_]+. A NULL
 * value appends nothing. Returns 0, or -1 when it does not fit or the key is
 * invalid; buf is unchanged on error.
 */
int pgmgr_conninfo_add(char *buf, size_t buflen, const char *key, const char *value);

/*
 * A conninfo for a member: host and port of its PostgreSQL, user and
 * password, application_name (S10: a standby's application_name is its
 * member name), dbname. Any argument but host may be NULL. Extra options
 * suited to the agent's own use (connect_timeout) are added when
 * connect_timeout_s > 0. Returns 0 or -1 when buflen is too small.
 */
struct pgmgr_conninfo_parts {
	const char *host;
	uint16_t port;
	const char *user;
	const char *password;
	const char *dbname;
	const char *application_name;
	unsigned connect_timeout_s;
	/* Local connections on the loop: no GSS/SSL negotiation that could make
	 * libpq switch sockets mid-connect, and a statement timeout. */
	bool local_agent;
	uint32_t statement_timeout_ms;
};
int pgmgr_conninfo_build(char *buf, size_t buflen, const struct pgmgr_conninfo_parts *p);

/* A SQL string literal 'it''s' (standard_conforming_strings = on, the default
 * since 9.1). Returns 0, -1 when it does not fit. */
int pgmgr_sql_literal(char *buf, size_t buflen, const char *value);
/* A quoted identifier "My ""role""". Returns 0, -1 when it does not fit. */
int pgmgr_sql_ident(char *buf, size_t buflen, const char *value);

/*
 * The host an agent uses to reach its own PostgreSQL: the listen host, or
 * 127.0.0.1 / ::1 when that is a wildcard ("*", "0.0.0.0", "::", "").
 */
const char *pgmgr_local_host(const char *listen_host);

#endif /* PGQ_PGMGR_CONNINFO_H */

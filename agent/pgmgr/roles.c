/*
 * roles.c — bootstrap roles SQL (roles.h). Names go through quote_ident
 * rules, passwords through literal quoting; the DO block's dollar tag
 * cannot appear in a name because '$' is refused there.
 */
#include "pgmgr/roles.h"
#include "pgmgr/conninfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int valid_role(const char *r)
{
	return r != NULL && r[0] != '\0' && strlen(r) <= 63 && strpbrk(r, "$\n\r") == NULL;
}

int pgmgr_roles_sql(const char *superuser, const char *superuser_password,
		    const char *replication_user, const char *replication_password,
		    char **out, char *err, size_t errlen)
{
	char su_id[140], rep_id[140], rep_lit[140];
	size_t cap;
	char *s, *pw_su = NULL, *pw_rep = NULL;
	size_t len = 0;

	*out = NULL;
	if (!valid_role(superuser) || !valid_role(replication_user)) {
		snprintf(err, errlen, "invalid role name");
		return -1;
	}
	pgmgr_sql_ident(su_id, sizeof(su_id), superuser);
	pgmgr_sql_ident(rep_id, sizeof(rep_id), replication_user);
	pgmgr_sql_literal(rep_lit, sizeof(rep_lit), replication_user);
	cap = 1024 + (superuser_password != NULL ? 2 * strlen(superuser_password) + 3 : 0) +
	      (replication_password != NULL ? 2 * strlen(replication_password) + 3 : 0);
	if ((superuser_password != NULL && (pw_su = malloc(2 * strlen(superuser_password) + 3)) == NULL) ||
	    (replication_password != NULL &&
	     (pw_rep = malloc(2 * strlen(replication_password) + 3)) == NULL) ||
	    (s = malloc(cap)) == NULL) {
		free(pw_su);
		free(pw_rep);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pw_su != NULL)
		pgmgr_sql_literal(pw_su, 2 * strlen(superuser_password) + 3, superuser_password);
	if (pw_rep != NULL)
		pgmgr_sql_literal(pw_rep, 2 * strlen(replication_password) + 3, replication_password);
	len += (size_t)snprintf(s + len, cap - len, "SET password_encryption = 'scram-sha-256';");
	if (pw_su != NULL)
		len += (size_t)snprintf(s + len, cap - len, "ALTER ROLE %s WITH PASSWORD %s;", su_id, pw_su);
	if (strcmp(superuser, replication_user) != 0) {
		len += (size_t)snprintf(s + len, cap - len,
					"DO $pgq$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles"
					" WHERE rolname = %s) THEN CREATE ROLE %s; END IF; END $pgq$;"
					"ALTER ROLE %s WITH LOGIN REPLICATION;",
					rep_lit, rep_id, rep_id);
		if (pw_rep != NULL)
			len += (size_t)snprintf(s + len, cap - len, "ALTER ROLE %s WITH PASSWORD %s;",
						rep_id, pw_rep);
	}
	if (pw_su != NULL) {
		memset(pw_su, 0, strlen(pw_su));
		free(pw_su);
	}
	if (pw_rep != NULL) {
		memset(pw_rep, 0, strlen(pw_rep));
		free(pw_rep);
	}
	(void)len;
	*out = s;
	return 0;
}

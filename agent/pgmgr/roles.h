/*
 * roles.h — the SQL that creates the roles of the configuration at
 * bootstrap: the replication role (LOGIN REPLICATION) and the passwords of
 * the superuser and the replication role. Idempotent, so a bootstrap that
 * crashed half-way can run it again. Run it with sql.h's pgmgr_sql_exec.
 */
#ifndef PGQ_PGMGR_ROLES_H
#define PGQ_PGMGR_ROLES_H

#include <stddef.h>

/*
 * *out malloc'd (caller frees; it holds passwords: clear it). Any password
 * may be NULL (not set). Returns 0, or -1 with err (missing or invalid name).
 */
int pgmgr_roles_sql(const char *superuser, const char *superuser_password,
		    const char *replication_user, const char *replication_password,
		    char **out, char *err, size_t errlen);

#endif /* PGQ_PGMGR_ROLES_H */

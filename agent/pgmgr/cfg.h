/*
 * cfg.h — the manager's inputs built from the agent's configuration
 * (pgq_config.h), so the runtime and the HA logic need not assemble
 * connection strings and option structs by hand.
 *
 * Strings in the filled structs point into cfg (borrowed): they stay valid
 * while cfg lives. Host names in conninfo strings that the agent itself
 * connects with (local, rewind source) should be numeric: libpq resolves
 * names synchronously (sql.h).
 */
#ifndef PGQ_PGMGR_CFG_H
#define PGQ_PGMGR_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgmgr/conf.h"
#include "pgmgr/pgctl.h"

struct pgq_config;

/* The agent's own connection: superuser, the listen host (wildcards map to
 * loopback), dbname postgres, application_name pgquorum, a statement timeout.
 * Returns 0 or -1 when buf is too small. */
int pgmgr_cfg_local_conninfo(const struct pgq_config *cfg, uint32_t statement_timeout_ms,
			     char *buf, size_t n);

/* primary_conninfo toward host:port: the replication role, application_name
 * = this member's name (S10); the password only when with_password (the
 * file is 0600; pg_basebackup gets it as PGPASSWORD instead). */
int pgmgr_cfg_upstream_conninfo(const struct pgq_config *cfg, const char *host, uint16_t port,
				bool with_password, char *buf, size_t n);

/* The pg_rewind source: the superuser, without password (PGPASSWORD). */
int pgmgr_cfg_rewind_conninfo(const struct pgq_config *cfg, const char *host, uint16_t port,
			      char *buf, size_t n);

/* listen address, port, cluster_name (= scope) and local parameters; the
 * caller adds the record's parameters, upstream, slot and sync names. */
void pgmgr_cfg_conf_input(const struct pgq_config *cfg, struct pgmgr_conf_input *in);

/* pg_hba lines and roles from the config; member_hosts borrowed. */
void pgmgr_cfg_hba_input(const struct pgq_config *cfg, const char *const *member_hosts,
			 size_t n_member_hosts, struct pgmgr_hba_input *in);

/* initdb: bin_dir, data_dir, superuser and password, bootstrap.initdb options. */
void pgmgr_cfg_initdb_opts(const struct pgq_config *cfg, struct pgmgr_initdb_opts *o);

/* pg_ctl: bin_dir, data_dir, log_path (borrowed, may be NULL), wait_s. */
void pgmgr_cfg_ctl_opts(const struct pgq_config *cfg, const char *log_path, uint32_t wait_s,
			struct pgmgr_ctl_opts *o);

#endif /* PGQ_PGMGR_CFG_H */

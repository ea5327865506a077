/*
 * cfg.c — manager inputs from the agent's configuration (cfg.h).
 */
#include "pgmgr/cfg.h"
#include "pgmgr/conninfo.h"
#include "pgq_config.h"

#include <string.h>

#define DEFAULT_BIN_DIR "/usr/lib/postgresql/15/bin"

static const char *or_default(const char *v, const char *d)
{
	return v != NULL ? v : d;
}

int pgmgr_cfg_local_conninfo(const struct pgq_config *cfg, uint32_t statement_timeout_ms,
			     char *buf, size_t n)
{
	const struct pgq_config_postgresql *pg = &cfg->postgresql;
	struct pgmgr_conninfo_parts p = { 0 };

	p.host = pgmgr_local_host(pg->listen.host);
	p.port = pg->listen.port;
	p.user = or_default(pg->superuser.username, "postgres");
	p.password = pg->superuser.password;
	p.dbname = "postgres";
	p.application_name = "pgquorum";
	p.connect_timeout_s = 5;
	p.local_agent = true;
	p.statement_timeout_ms = statement_timeout_ms;
	return pgmgr_conninfo_build(buf, n, &p);
}

int pgmgr_cfg_upstream_conninfo(const struct pgq_config *cfg, const char *host, uint16_t port,
				bool with_password, char *buf, size_t n)
{
	const struct pgq_config_postgresql *pg = &cfg->postgresql;
	struct pgmgr_conninfo_parts p = { 0 };

	p.host = host;
	p.port = port;
	p.user = or_default(pg->replication.username, "replicator");
	p.password = with_password ? pg->replication.password : NULL;
	p.dbname = "postgres";
	p.application_name = cfg->name;   /* S10 */
	p.connect_timeout_s = 5;
	return pgmgr_conninfo_build(buf, n, &p);
}

int pgmgr_cfg_rewind_conninfo(const struct pgq_config *cfg, const char *host, uint16_t port,
			      char *buf, size_t n)
{
	struct pgmgr_conninfo_parts p = { 0 };

	p.host = host;
	p.port = port;
	p.user = or_default(cfg->postgresql.superuser.username, "postgres");
	p.dbname = "postgres";
	p.application_name = cfg->name;
	p.connect_timeout_s = 5;
	return pgmgr_conninfo_build(buf, n, &p);
}

void pgmgr_cfg_conf_input(const struct pgq_config *cfg, struct pgmgr_conf_input *in)
{
	const struct pgq_config_postgresql *pg = &cfg->postgresql;

	memset(in, 0, sizeof(*in));
	in->listen_addresses = pg->listen.host;
	in->port = pg->listen.port;
	in->cluster_name = cfg->scope;
	in->local_params = pg->parameters;
	in->n_local = pg->n_parameters;
}

void pgmgr_cfg_hba_input(const struct pgq_config *cfg, const char *const *member_hosts,
			 size_t n_member_hosts, struct pgmgr_hba_input *in)
{
	const struct pgq_config_postgresql *pg = &cfg->postgresql;

	memset(in, 0, sizeof(*in));
	in->lines = pg->pg_hba;
	in->n_lines = pg->n_pg_hba;
	in->superuser = or_default(pg->superuser.username, "postgres");
	in->replication_user = or_default(pg->replication.username, "replicator");
	in->member_hosts = member_hosts;
	in->n_member_hosts = n_member_hosts;
}

void pgmgr_cfg_initdb_opts(const struct pgq_config *cfg, struct pgmgr_initdb_opts *o)
{
	const struct pgq_config_postgresql *pg = &cfg->postgresql;

	memset(o, 0, sizeof(*o));
	o->bin_dir = or_default(pg->bin_dir, DEFAULT_BIN_DIR);
	o->data_dir = pg->data_dir;
	o->superuser = or_default(pg->superuser.username, "postgres");
	o->superuser_password = pg->superuser.password;
	o->options = cfg->bootstrap.initdb;
	o->n_options = cfg->bootstrap.n_initdb;
}

void pgmgr_cfg_ctl_opts(const struct pgq_config *cfg, const char *log_path, uint32_t wait_s,
			struct pgmgr_ctl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->bin_dir = or_default(cfg->postgresql.bin_dir, DEFAULT_BIN_DIR);
	o->data_dir = cfg->postgresql.data_dir;
	o->log_path = log_path;
	o->wait_s = wait_s;
}

/*
 * pgq_config.c — the public API of the configuration module: load a file
 * (read it, parse the YAML, apply defaults, walk the schema, check the
 * rules that span keys), validate a file for the CLI, and look-ups.
 *
 * How the checks are built: config_schema.h. Nothing stops at the first
 * problem: every problem becomes a diagnostic "FILE:LINE:COLUMN: message".
 */
#include "pgq_config.h"
#include "config_schema.h"
#include "config_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_FILE_BYTES (1u << 20)

uint64_t pgq_config_min_ttl_ms(const struct pgq_config *config)
{
	const struct pgq_config_dcs *dcs = &config->bootstrap.dcs;
	uint64_t election_timeout_max_ms = 2 * (uint64_t)config->raft.election_timeout_ms;

	return (uint64_t)dcs->loop_wait_ms + 2 * election_timeout_max_ms + dcs->commit_p99_ms +
	       dcs->stop_budget_ms + dcs->kill_budget_ms + dcs->drift_floor_ms;
}

const struct pgq_config_peer *pgq_config_find_peer(const struct pgq_config *config, const char *name)
{
	for (size_t i = 0; i < config->raft.n_peers; i++)
		if (config->raft.peers[i].name != NULL && strcmp(config->raft.peers[i].name, name) == 0)
			return &config->raft.peers[i];
	return NULL;
}

int pgq_config_load_buffer(const char *name, const char *text, size_t len, struct pgq_config **out,
			   struct pgq_diag_list *diags)
{
	struct pgq_diag_list local;
	struct pgq_diag_list *d = diags != NULL ? diags : &local;
	struct pgq_ynode *root = NULL;
	struct pgq_config *cfg = NULL;
	struct cfg_ctx c;
	int problems;

	*out = NULL;
	if (diags == NULL)
		pgq_diag_list_init(&local);
	size_t before = d->count;

	pgq_diag_list_set_file(d, name);
	memset(&c, 0, sizeof(c));
	c.diags = d;

	if (pgq_yaml_parse(text, len, &root, d) != 0)
		goto done;
	if (root == NULL) {
		pgq_diag_add(d, 1, 1, "the file is empty: expected a mapping with at least scope, name, raft and postgresql");
		goto done;
	}
	if (root->kind != PGQ_YNODE_MAPPING) {
		pgq_diag_add(d, root->line, root->column, "expected a mapping at the top level, got %s",
			     pgq_ynode_kind_name(root));
		goto done;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || cfg_set_defaults(cfg) != 0 || (cfg->path = strdup(name)) == NULL) {
		d->oom = 1;
		goto done;
	}
	c.cfg = cfg;
	c.root = root;
	cfg_walk_section(&c, &cfg_top_section, root, cfg, "");
	cfg_check_rules(&c);
done:
	cfg_ctx_free(&c);
	pgq_ynode_free(root);
	pgq_diag_list_sort(d);
	problems = (int)(d->count - before) + (d->oom ? 1 : 0);
	if (problems == 0) {
		*out = cfg;
	} else {
		pgq_config_free(cfg);
	}
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems;
}

int pgq_config_load(const char *path, struct pgq_config **out, struct pgq_diag_list *diags)
{
	struct pgq_diag_list local;
	struct pgq_diag_list *d = diags != NULL ? diags : &local;
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int problems;
	size_t before;

	*out = NULL;
	if (diags == NULL)
		pgq_diag_list_init(&local);
	before = d->count;
	pgq_diag_list_set_file(d, path);
	f = fopen(path, "rb");
	if (f == NULL) {
		pgq_diag_add(d, 1, 1, "cannot open the configuration file: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		pgq_diag_add(d, 1, 1, "not a regular file");
		fclose(f);
		goto fail;
	}
	if (st.st_size > CONFIG_MAX_FILE_BYTES) {
		pgq_diag_add(d, 1, 1, "the file is larger than %u bytes", CONFIG_MAX_FILE_BYTES);
		fclose(f);
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		fclose(f);
		d->oom = 1;
		goto fail;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		pgq_diag_add(d, 1, 1, "cannot read the configuration file: %s", strerror(errno));
		fclose(f);
		goto fail;
	}
	fclose(f);
	text[len] = '\0';
	problems = pgq_config_load_buffer(path, text, len, out, d);
	free(text);
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems;
fail:
	free(text);
	problems = (int)(d->count - before) + (d->oom ? 1 : 0);
	if (diags == NULL)
		pgq_diag_list_free(&local);
	return problems > 0 ? problems : 1;
}

int pgq_config_validate_file(const char *path, FILE *out)
{
	struct pgq_diag_list diags;
	struct pgq_config *cfg = NULL;
	int problems;

	pgq_diag_list_init(&diags);
	problems = pgq_config_load(path, &cfg, &diags);
	pgq_diag_list_print(&diags, out);
	pgq_diag_list_free(&diags);
	pgq_config_free(cfg);
	return problems;
}


/*
 * commands.c — the cluster-record commands the runtime proposes, built with
 * the record module's builders (record_cmd.h, the owner of the format).
 * Every time value is put inside the command here, on the proposer, so
 * apply stays a pure function (S17).
 */
#include "log.h"
#include "record/record_cmd.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cluster's members share the restapi TLS setting: https when ours is on. */
static char *api_url_of(const struct pgq_config_peer *p, bool tls)
{
	char buf[PGQ_RECORD_ADDR_MAX];
	const char *scheme = tls ? "https" : "http";

	if (p->restapi.text == NULL)
		return NULL;
	if (strchr(p->restapi.host, ':') != NULL)
		snprintf(buf, sizeof buf, "%s://[%s]:%u", scheme, p->restapi.host, (unsigned)p->restapi.port);
	else
		snprintf(buf, sizeof buf, "%s://%s:%u", scheme, p->restapi.host, (unsigned)p->restapi.port);
	return strdup(buf);
}

/* bootstrap.dcs as the record's dynamic configuration (durations in seconds). */
static json_t *dcs_json(const struct pgq_config_dcs *d)
{
	static const char *const modes[] = { "off", "on", "quorum" };
	json_t *params = json_object();
	json_t *o;
	uint32_t retry_ms = d->retry_timeout_ms;

	/* The record refuses loop_wait + 2 x retry_timeout > ttl: a refused bootstrap never forms a cluster. */
	if (d->loop_wait_ms + 2ull * retry_ms > d->ttl_ms) {
		retry_ms = d->ttl_ms > d->loop_wait_ms ? (d->ttl_ms - d->loop_wait_ms) / 2 : 100;
		pgq_warning("agent", "bootstrap.dcs.retry_timeout lowered to %u ms (loop_wait + 2 x retry_timeout <= ttl)",
			    retry_ms);
	}

	for (size_t i = 0; i < d->n_parameters; i++)
		json_object_set_new(params, d->parameters[i].key, json_string(d->parameters[i].value));
	o = json_pack("{s:f, s:f, s:f, s:I, s:s, s:i, s:b, s:f, s:I, s:f, s:f, s:{s:o}}",
		      "ttl", d->ttl_ms / 1000.0, "loop_wait", d->loop_wait_ms / 1000.0,
		      "retry_timeout", retry_ms / 1000.0,
		      "maximum_lag_on_failover", (json_int_t)d->maximum_lag_on_failover_bytes,
		      "synchronous_mode", modes[d->synchronous_mode <= PGQ_SYNC_QUORUM ? d->synchronous_mode : 0],
		      "synchronous_node_count", (int)d->synchronous_node_count,
		      "synchronous_mode_strict", d->synchronous_mode_strict,
		      "failover_backoff", d->failover_backoff_ms / 1000.0,
		      "switchover_max_lag", (json_int_t)d->switchover_max_lag_bytes,
		      "promote_timeout", d->promote_timeout_ms / 1000.0,
		      "member_slots_ttl", d->member_slots_ttl_ms / 1000.0,
		      "postgresql", "parameters", params);
	return o;
}

/*
 * S15: the founding members in raft.peers order. With postgresql.manage on,
 * this leader is the bootstrap primary (S1: named, no lease yet); with it
 * off the cluster has no primary at all.
 */
int cmd_build_bootstrap(const struct pgq_runtime *rt, const char *cluster_id, struct cmd *out)
{
	struct pgq_cmd_member members[RAFT_MAX_MEMBERS];
	char *urls[RAFT_MAX_MEMBERS];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < rt->cfg->raft.n_peers && n < RAFT_MAX_MEMBERS; i++, n++) {
		const struct pgq_config_peer *p = &rt->cfg->raft.peers[i];

		urls[n] = api_url_of(p, rt->cfg->restapi.certfile != NULL);
		memset(&members[n], 0, sizeof members[n]);
		members[n].name = p->name;
		members[n].raft_address = p->address.text;
		members[n].api_url = urls[n];
	}
	/* With PostgreSQL managed, bootstrap.dcs becomes the record's configuration. */
	json_t *config = rt->cfg->postgresql.manage ? dcs_json(&rt->cfg->bootstrap.dcs) : NULL;
	rc = pgq_cmd_bootstrap(rt->cfg->scope, cluster_id, members, n,
			       rt->cfg->postgresql.manage ? rt->cfg->name : NULL, config, NULL,
			       rt_wall_ms(), &out->data, &out->len);
	json_decref(config);
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	return rc;
}

int cmd_build_member_add(const char *name, const char *raft_address, const char *api_url,
			 struct cmd *out)
{
	struct pgq_cmd_member m = {
		.name = name, .raft_address = raft_address, .api_url = api_url,
	};
	return pgq_cmd_member_add(&m, rt_wall_ms(), &out->data, &out->len);
}

int cmd_build_member_promote(const char *name, struct cmd *out)
{
	return pgq_cmd_member_promote(name, &out->data, &out->len);
}

int cmd_build_member_remove(const char *name, struct cmd *out)
{
	return pgq_cmd_member_remove(name, false, &out->data, &out->len);
}

/* With postgresql.manage off the report carries the agent's own state only. */
int cmd_build_member_report(const char *name, const char *state, uint64_t time_ms,
			    struct cmd *out)
{
	struct pgq_cmd_report r = {
		.member = name, .role = "unknown", .state = state, .time_ms = time_ms,
	};
	return pgq_cmd_member_report(&r, &out->data, &out->len);
}

int rt_propose_cmd(struct pgq_runtime *rt, int build_rc, struct cmd *c)
{
	int rc;

	if (build_rc != 0 || c->data == NULL) {
		free(c->data);
		c->data = NULL;
		pgq_warning("agent", "could not build a record command: %s",
			    pgq_record_strerror(build_rc));
		return RAFT_ERR_INVALID;
	}
	if (rt->node == NULL)
		rc = RAFT_ERR_NOT_LEADER;
	else
		rc = pgq_node_propose(rt->node, c->data, c->len);
	if (rc != RAFT_OK)
		pgq_debug("agent", "proposal refused: %s", raft_strerror(rc));
	free(c->data);
	c->data = NULL;
	return rc;
}

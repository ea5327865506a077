/*
 * commands.c — the cluster-record commands the runtime proposes, as the
 * JSON the record module applies ({"v": 1, "cmd": ..., fields}; see
 * docs/record.md). Every time value is put inside the command here, on the
 * proposer, so apply stays a pure function (S17).
 */
#include "log.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *finish(json_t *o)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return text;
}

static json_t *command(const char *name)
{
	return json_pack("{s:i,s:s}", "v", PGQ_RECORD_CMD_VERSION, "cmd", name);
}

static char *api_url_of(const struct pgq_config_peer *p)
{
	char buf[PGQ_RECORD_ADDR_MAX];

	if (p->restapi.text == NULL)
		return NULL;
	if (p->restapi.family == 10 /* AF_INET6 */)
		snprintf(buf, sizeof buf, "http://[%s]:%u", p->restapi.host, (unsigned)p->restapi.port);
	else
		snprintf(buf, sizeof buf, "http://%s:%u", p->restapi.host, (unsigned)p->restapi.port);
	return strdup(buf);
}

/*
 * S15: the founding members in raft.peers order, and this leader as the
 * bootstrap member (the record requires one; with postgresql.manage off it
 * names no running server).
 */
char *cmd_build_bootstrap(const struct pgq_runtime *rt, const char *cluster_id)
{
	json_t *o = command("bootstrap");
	json_t *members = json_array();

	for (size_t i = 0; i < rt->cfg->raft.n_peers; i++) {
		const struct pgq_config_peer *p = &rt->cfg->raft.peers[i];
		json_t *m = json_pack("{s:s,s:s}", "name", p->name, "raft_address", p->address.text);
		char *url = api_url_of(p);

		if (url != NULL)
			json_object_set_new(m, "api_url", json_string(url));
		free(url);
		json_array_append_new(members, m);
	}
	json_object_set_new(o, "scope", json_string(rt->cfg->scope));
	json_object_set_new(o, "cluster_id", json_string(cluster_id));
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "primary", json_string(rt->cfg->name));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)rt_wall_ms()));
	return finish(o);
}

char *cmd_build_member_add(const char *name, const char *raft_address, const char *api_url)
{
	json_t *o = command("member_add");

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "raft_address", json_string(raft_address));
	if (api_url != NULL)
		json_object_set_new(o, "api_url", json_string(api_url));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)rt_wall_ms()));
	return finish(o);
}

char *cmd_build_member_promote(const char *name)
{
	json_t *o = command("member_promote");

	json_object_set_new(o, "name", json_string(name));
	return finish(o);
}

char *cmd_build_member_remove(const char *name)
{
	json_t *o = command("member_remove");

	json_object_set_new(o, "name", json_string(name));
	return finish(o);
}

/* With postgresql.manage off the report carries the agent's own state only. */
char *cmd_build_member_report(const char *name, const char *state, uint64_t time_ms)
{
	json_t *o = command("member_report");

	json_object_set_new(o, "member", json_string(name));
	json_object_set_new(o, "role", json_string("unknown"));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "timeline", json_integer(0));
	json_object_set_new(o, "receive_lsn", json_integer(0));
	json_object_set_new(o, "replay_lsn", json_integer(0));
	json_object_set_new(o, "flush_lsn", json_integer(0));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)time_ms));
	return finish(o);
}

int rt_propose_cmd(struct pgq_runtime *rt, char *json_text)
{
	int rc;

	if (json_text == NULL)
		return RAFT_ERR_NOMEM;
	if (rt->node == NULL) {
		free(json_text);
		return RAFT_ERR_NOT_LEADER;
	}
	rc = pgq_node_propose(rt->node, (const uint8_t *)json_text, strlen(json_text));
	if (rc != RAFT_OK)
		pgq_debug("agent", "proposal refused: %s", raft_strerror(rc));
	free(json_text);
	return rc;
}

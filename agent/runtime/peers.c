/*
 * peers.c — the glue between the peer transport and the Raft node.
 *
 * Owns: the mapping from Raft ids to peers. The transport's peer set is
 * the union of the founding peers (raft.peers of the configuration) and the
 * members of the record, minus ourselves; it is resynchronised whenever the
 * record's membership changes. Every inbound message is decoded with the
 * codec (which validates every field) and must come *from* the peer whose
 * handshake authenticated the connection, so one peer cannot speak for
 * another (R6).
 */
#include "log.h"
#include "runtime/ha_driver.h"
#include "runtime/ids.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_send(void *ctx, const struct raft_msg *m)
{
	struct pgq_runtime *rt = ctx;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (rt->transport == NULL)
		return;
	rc = raft_msg_encode(m, &buf, &len);
	if (rc != RAFT_OK) {
		pgq_warning("raft", "could not encode a %s message to %llu: %s",
			    raft_msg_type_name(m->type), (unsigned long long)m->to, raft_strerror(rc));
		return;
	}
	pgq_transport_send(rt->transport, m->to, buf, len);
	free(buf);
}

static void on_raft(void *ctx, const char *peer_name, uint64_t peer_id,
		    const uint8_t *payload, size_t len)
{
	struct pgq_runtime *rt = ctx;
	struct raft_msg m;
	char err[160];

	if (rt->node == NULL || rt->phase != PHASE_RUNNING)
		return;
	memset(&m, 0, sizeof m);
	if (raft_msg_decode(payload, len, &m, err, sizeof err) != RAFT_OK) {
		pgq_warning("transport", "dropped a malformed Raft message from %s: %s", peer_name, err);
		return;
	}
	if (m.from != peer_id || m.to != rt->self_id) {
		pgq_warning("transport", "dropped a Raft message from %s claiming from=%llu to=%llu",
			    peer_name, (unsigned long long)m.from, (unsigned long long)m.to);
	} else {
		pgq_node_step(rt->node, &m);
	}
	raft_msg_free(&m);
}

static void on_lease_age(void *ctx, const char *peer_name, uint64_t peer_id,
			 const struct pgq_frame_lease_age *a)
{
	rt_ha_on_lease_age(ctx, peer_name, peer_id, a);
}

static void on_unreachable(void *ctx, const char *peer_name, uint64_t peer_id)
{
	struct pgq_runtime *rt = ctx;

	if (rt->node != NULL && rt->phase == PHASE_RUNNING)
		pgq_node_report_unreachable(rt->node, peer_id);
}

static void on_peer_hello(void *ctx, const struct pgq_transport_peer_hello *h)
{
	struct pgq_runtime *rt = ctx;

	for (size_t i = 0; i < rt->n_probes; i++) {
		struct peer_probe *p = &rt->probes[i];
		if (p->id != h->id)
			continue;
		p->seen = true;
		p->has_state = h->has_state;
		snprintf(p->cluster_id, sizeof p->cluster_id, "%s",
			 h->cluster_id != NULL ? h->cluster_id : "");
	}
}

const char *rt_peer_name(const struct pgq_runtime *rt, raft_id_t id)
{
	/* The record numbers members its own way; ours come from names (ids.h). */
	for (size_t i = 0; i < pgq_record_member_count(rt->record); i++) {
		const struct pgq_member *m = pgq_record_member_at(rt->record, i);
		if (pgq_member_id(m->name) == id)
			return m->name;
	}
	for (size_t i = 0; i < rt->cfg->raft.n_peers; i++)
		if (pgq_member_id(rt->cfg->raft.peers[i].name) == id)
			return rt->cfg->raft.peers[i].name;
	return NULL;
}

static bool id_in_config(const struct raft_config *c, raft_id_t id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->members[i].id == id)
			return true;
	return false;
}

/*
 * Bring the transport's peer set in line with (founding peers ∪ record
 * members ∪ ids of the Raft configuration we can name).
 */
void rt_sync_peers(struct pgq_runtime *rt)
{
	char err[160];
	const struct raft_config *conf = NULL;

	if (rt->transport == NULL)
		return;
	if (rt->node != NULL)
		conf = raft_config(pgq_node_raft(rt->node));

	/* Record members: their addresses win (they may have moved). */
	for (size_t i = 0; i < pgq_record_member_count(rt->record); i++) {
		const struct pgq_member *m = pgq_record_member_at(rt->record, i);
		raft_id_t id = pgq_member_id(m->name);

		if (id == rt->self_id)
			continue;
		pgq_transport_add_peer(rt->transport, m->name, id, m->raft_address, err, sizeof err);
	}
	/* Founding peers: until the record names them (or forever, if never removed). */
	for (size_t i = 0; i < rt->cfg->raft.n_peers; i++) {
		const struct pgq_config_peer *p = &rt->cfg->raft.peers[i];
		raft_id_t id = pgq_member_id(p->name);

		if (id == rt->self_id)
			continue;
		if (pgq_record_bootstrapped(rt->record) &&
		    pgq_record_member_by_name(rt->record, p->name) == NULL &&
		    (conf == NULL || !id_in_config(conf, id))) {
			/* Removed from the cluster: stop talking to it. */
			pgq_transport_remove_peer(rt->transport, id);
			continue;
		}
		pgq_transport_add_peer(rt->transport, p->name, id, p->address.text, err, sizeof err);
	}
}

int rt_transport_start(struct pgq_runtime *rt, bool has_state, char *err, size_t errlen)
{
	struct pgq_transport_config tc;
	struct pgq_transport_callbacks cb = {
		.on_raft = on_raft,
		.on_lease_age = on_lease_age,
		.on_unreachable = on_unreachable,
		.on_peer_hello = on_peer_hello,
	};

	memset(&tc, 0, sizeof tc);
	tc.scope = rt->cfg->scope;
	tc.cluster_id = rt->cluster_id;
	tc.member_name = rt->cfg->name;
	tc.raft_id = rt->self_id;
	tc.has_state = has_state;
	tc.max_message_bytes = rt->cfg->raft.max_frame_bytes;
	if (pgq_transport_new(&rt->loop, &tc, &cb, rt, &rt->transport, err, errlen) != 0)
		return -1;
	if (pgq_transport_listen(rt->transport, rt->cfg->raft.listen.text, err, errlen) != 0)
		return -1;

	rt->n_probes = 0;
	for (size_t i = 0; i < rt->cfg->raft.n_peers && rt->n_probes < RAFT_MAX_MEMBERS; i++) {
		const struct pgq_config_peer *p = &rt->cfg->raft.peers[i];
		struct peer_probe *probe;

		if (pgq_member_id(p->name) == rt->self_id)
			continue;
		probe = &rt->probes[rt->n_probes++];
		memset(probe, 0, sizeof *probe);
		snprintf(probe->name, sizeof probe->name, "%s", p->name);
		probe->id = pgq_member_id(p->name);
	}
	rt_sync_peers(rt);
	return 0;
}

/*
 * bootstrap.c — first start, restart and join (SAFETY.md S15).
 *
 *  - The data directory has Raft state (identity, hard state, log or
 *    snapshot): restart. The Raft configuration comes from the snapshot, or
 *    else is the founding one (raft.peers), which every founder shares.
 *  - No state: probe the peers through the transport's handshake (each HELLO
 *    says whether the sender has state and which cluster id it knows).
 *      * a peer answers with a cluster id: a cluster exists, never bootstrap
 *        (S15); start with an empty configuration and wait to be added with
 *        `members add` (the leader sends us a snapshot that carries the
 *        configuration).
 *      * every founding peer answered and none has state: bootstrap. All
 *        founders start their node with the founding configuration; the
 *        first leader picks the cluster id and commits it in the record's
 *        `bootstrap` command; each agent writes it to its storage identity
 *        when it applies that command.
 *      * otherwise keep probing (never bootstrap with a peer unheard).
 */
#include "log.h"
#include "runtime/ids.h"
#include "runtime/ha_driver.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define PROBE_INTERVAL_MS 200

struct raft_config rt_founding_config(const struct pgq_runtime *rt)
{
	struct raft_config c;

	memset(&c, 0, sizeof c);
	for (size_t i = 0; i < rt->cfg->raft.n_peers && c.n < RAFT_MAX_MEMBERS; i++) {
		c.members[c.n].id = pgq_member_id(rt->cfg->raft.peers[i].name);
		c.members[c.n].voter = true;
		c.n++;
	}
	return c;
}

static const struct pgq_node_callbacks node_callbacks;

static void node_changed(void *ctx);
static void node_fatal(void *ctx, const char *message);

static const struct pgq_node_callbacks node_callbacks = {
	.send = rt_send,
	.apply = rt_apply,
	.restore = rt_restore,
	.changed = node_changed,
	.fatal = node_fatal,
};


static void node_fatal(void *ctx, const char *message)
{
	pgq_runtime_fatal(ctx, message);
}

/* After every batch: roles, the record bootstrap, compaction, views. */
static void node_changed(void *ctx)
{
	struct pgq_runtime *rt = ctx;
	const struct raft_node *n;

	if (rt->node == NULL || rt->phase != PHASE_RUNNING)
		return;
	n = pgq_node_raft(rt->node);
	if (raft_role(n) != rt->last_role || raft_leader(n) != rt->last_leader) {
		pgq_info("raft", "role=%s leader=%s term=%llu", raft_role_name(raft_role(n)),
			 raft_leader(n) != RAFT_NONE && rt_peer_name(rt, raft_leader(n)) != NULL
				 ? rt_peer_name(rt, raft_leader(n)) : "none",
			 (unsigned long long)raft_term(n));
		if (rt->last_role == RAFT_LEADER && raft_role(n) != RAFT_LEADER)
			rt_pending_expire(rt, true); /* outcomes unknown now: callers retry */
		rt->last_role = raft_role(n);
		rt->last_leader = raft_leader(n);
		rt->view_dirty = true;
		rt_publish(rt); /* who leads: show it at once */
		rt_notify_status(rt);
	}
	rt_bootstrap_check(rt);
	rt_ha_after_batch(rt);
	rt_maybe_compact(rt);
	/* Membership moves at Raft speed, not at loop_wait (rate-limited). */
	if (raft_role(n) == RAFT_LEADER && rt_now_ms() - rt->last_reconcile_ms >= 200) {
		rt->last_reconcile_ms = rt_now_ms();
		rt_reconcile(rt);
	}
	/* Views are rebuilt once per tick at most (on_tick), not per heartbeat. */
	rt->view_dirty = true;
}

static int start_node(struct pgq_runtime *rt, bool founding, char *err, size_t errlen)
{
	struct pgq_node_options o;
	uint32_t hb = rt->cfg->raft.heartbeat_ms != 0 ? rt->cfg->raft.heartbeat_ms : 100;
	uint32_t et = rt->cfg->raft.election_timeout_ms != 0 ? rt->cfg->raft.election_timeout_ms : 1000;
	uint64_t seed = 0;

	memset(&o, 0, sizeof o);
	getrandom(&seed, sizeof seed, 0);
	o.raft.id = rt->self_id;
	o.raft.heartbeat_ticks = 1; /* one tick = raft.heartbeat_ms */
	o.raft.election_ticks = et / hb >= 2 ? et / hb : 2;
	o.raft.pre_vote = true;
	o.raft.check_quorum = true;
	o.raft.max_entries_per_msg = 256;
	o.raft.max_inflight = 64;
	o.raft.max_entry_bytes = 1u << 20;
	o.raft.seed = seed;
	o.has_initial = founding;
	if (founding)
		o.initial = rt_founding_config(rt);
	/* Running before the node starts: its first batch may apply entries. */
	rt->phase = PHASE_RUNNING;
	if (pgq_node_new(&rt->loop, rt->storage, &o, &node_callbacks, rt, &rt->node, err, errlen) != 0) {
		rt->phase = PHASE_PROBING;
		return -1;
	}
	rt->storage = NULL; /* the node owns it now */
	if (rt->phase != PHASE_RUNNING) {
		/* A fatal error while replaying stopped the agent already. */
		snprintf(err, errlen, "%s", rt->fatal);
		return -1;
	}
	pgq_transport_set_has_state(rt->transport, true);
	/* A single founding member has nobody to vote: campaign at once. */
	if (founding && rt->cfg->raft.n_peers == 1 && raft_term(pgq_node_raft(rt->node)) == 0)
		pgq_node_campaign(rt->node);
	rt_publish(rt);
	return 0;
}

static void on_probe_timer(uv_timer_t *t);

int rt_start(struct pgq_runtime *rt, char *err, size_t errlen)
{
	struct raft_persisted p;
	struct pgq_storage_identity id;
	char ierr[256];
	bool has_state;
	int rc;

	rt->self_id = pgq_member_id(rt->cfg->name);
	rc = pgq_storage_open(rt->cfg->raft.data_dir, &rt->storage, err, errlen);
	if (rc != 0)
		return -1;
	memset(&p, 0, sizeof p);
	pgq_storage_load(rt->storage, &p);
	rc = pgq_storage_read_identity(rt->storage, &id, ierr, sizeof ierr);
	if (rc == 0) {
		if (id.member_id != rt->self_id || strcmp(id.member_name, rt->cfg->name) != 0 ||
		    strcmp(id.scope, rt->cfg->scope) != 0) {
			snprintf(err, errlen, "data directory \"%s\" belongs to member \"%s\" of scope \"%s\", not \"%s\" of \"%s\"",
				 rt->cfg->raft.data_dir, id.member_name, id.scope, rt->cfg->name, rt->cfg->scope);
			return -1;
		}
		snprintf(rt->cluster_id, sizeof rt->cluster_id, "%s", id.cluster_id);
		rt->identity_written = true;
	} else if (rc != PGQ_STORAGE_ERR_NOT_FOUND) {
		snprintf(err, errlen, "%s", ierr);
		return -1;
	}
	/*
	 * A term and vote alone do not make a member: a joiner that crashed
	 * before its first snapshot has just that, and must probe again.
	 */
	has_state = rc == 0 || p.n_entries > 0 || p.snapshot != NULL;

	if (rt_transport_start(rt, has_state || p.hard_state.term != 0, err, errlen) != 0)
		return -1;
	if (has_state) {
		pgq_info("agent", "restarting from \"%s\" (term %llu, %zu entries%s)",
			 rt->cfg->raft.data_dir, (unsigned long long)p.hard_state.term, p.n_entries,
			 p.snapshot != NULL ? ", snapshot" : "");
		/* With a snapshot the configuration comes from it; else the founding one. */
		return start_node(rt, p.snapshot == NULL, err, errlen);
	}
	pgq_info("agent", "no Raft state in \"%s\": probing the peers before bootstrap (S15)",
		 rt->cfg->raft.data_dir);
	rt->probe_started_ms = rt_now_ms();
	if (rt->n_probes == 0)
		return start_node(rt, true, err, errlen);
	uv_timer_start(&rt->probe_timer, on_probe_timer, PROBE_INTERVAL_MS, PROBE_INTERVAL_MS);
	return 0;
}

static void on_probe_timer(uv_timer_t *t)
{
	struct pgq_runtime *rt = t->data;
	size_t heard = 0;
	char err[256];

	if (rt->phase != PHASE_PROBING)
		return;
	for (size_t i = 0; i < rt->n_probes; i++) {
		const struct peer_probe *p = &rt->probes[i];
		if (!p->seen)
			continue;
		heard++;
		if (p->cluster_id[0] != '\0' || p->has_state) {
			uv_timer_stop(&rt->probe_timer);
			if (p->cluster_id[0] != '\0')
				snprintf(rt->cluster_id, sizeof rt->cluster_id, "%s", p->cluster_id);
			pgq_info("agent", "peer %s already belongs to cluster \"%s\": not bootstrapping; waiting to be added (pgquorumctl members add %s)",
				 p->name, p->cluster_id, rt->cfg->name);
			rt->joined = true;
			if (start_node(rt, false, err, sizeof err) != 0)
				pgq_runtime_fatal(rt, err);
			return;
		}
	}
	if (heard == rt->n_probes) {
		uv_timer_stop(&rt->probe_timer);
		pgq_info("agent", "all %zu peers reachable and without state: bootstrapping a new cluster", heard);
		if (start_node(rt, true, err, sizeof err) != 0)
			pgq_runtime_fatal(rt, err);
		return;
	}
	if ((rt_now_ms() - rt->probe_started_ms) / PROBE_INTERVAL_MS % 50 == 0)
		pgq_info("agent", "waiting for peers before bootstrap: %zu of %zu answered", heard, rt->n_probes);
}

static void random_cluster_id(char *out, size_t outlen)
{
	uint8_t raw[16];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		uint64_t t = rt_wall_ms() ^ rt_now_ms() * 0x9E3779B97F4A7C15ull;
		memcpy(raw, &t, sizeof t);
		memcpy(raw + 8, &t, sizeof t);
	}
	for (size_t i = 0; i < sizeof raw && 2 * i + 2 < outlen; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
		out[2 * i + 2] = '\0';
	}
}

/* Leader, record empty: propose the bootstrap command once per term. */
void rt_bootstrap_check(struct pgq_runtime *rt)
{
	const struct raft_node *n = pgq_node_raft(rt->node);
	char id[40];

	if (pgq_record_bootstrapped(rt->record) || rt->joined || raft_role(n) != RAFT_LEADER)
		return;
	if (raft_applied_index(n) < raft_commit_index(n))
		return; /* replay first: the bootstrap may already be in the log */
	if (rt->bootstrap_proposed_term_valid && rt->bootstrap_proposed_term == raft_term(n))
		return;
	random_cluster_id(id, sizeof id);
	rt->bootstrap_proposed_term_valid = true;
	rt->bootstrap_proposed_term = raft_term(n);
	pgq_info("agent", "proposing the cluster bootstrap cluster_id=%s", id);
	{
		struct cmd c = { 0 };
		rt_propose_cmd(rt, cmd_build_bootstrap(rt, id, &c), &c);
	}
}

/* The record applied its bootstrap: persist the cluster identity once. */
void rt_on_record_bootstrapped(struct pgq_runtime *rt)
{
	struct pgq_storage_identity id;
	char err[256];

	snprintf(rt->cluster_id, sizeof rt->cluster_id, "%s", pgq_record_cluster_id(rt->record));
	if (rt->transport != NULL)
		pgq_transport_set_cluster_id(rt->transport, rt->cluster_id);
	if (rt->identity_written || rt->node == NULL)
		return;
	memset(&id, 0, sizeof id);
	snprintf(id.cluster_id, sizeof id.cluster_id, "%s", rt->cluster_id);
	snprintf(id.scope, sizeof id.scope, "%s", rt->cfg->scope);
	snprintf(id.member_name, sizeof id.member_name, "%s", rt->cfg->name);
	id.member_id = rt->self_id;
	/* Apply runs while no write is in flight, so the handle is ours here. */
	if (pgq_storage_write_identity(pgq_node_storage(rt->node), &id, err, sizeof err) != 0) {
		pgq_runtime_fatal(rt, err);
		return;
	}
	rt->identity_written = true;
	pgq_info("agent", "cluster identity persisted cluster_id=%s", rt->cluster_id);
}

/*
 * nemesis.c — the fault injector and the simulated clients.
 *
 * Faults: node crashes (with lost or torn pending writes) and restarts,
 * crashes aimed at the window right after a vote, partitions (isolate one
 * node or the leader, split in two, one-way links, random link cuts), network
 * weather (loss, duplication, delay, long delays that reorder), slow disks,
 * membership changes, leadership transfers and log compaction.
 * Clients propose unique payloads and ask for ReadIndex reads.
 *
 * Calm phases heal everything (restart, reconnect, reliable network) and
 * require a leader and a new committed proposal within a bounded virtual
 * time: the liveness check.
 */
#include "sim.h"

#include <string.h>

typedef unsigned long long ull;

#define CALM_BOUND_MS 10000   /* liveness bound after a heal (50+ election timeouts) */

void net_weather_calm(struct net_params *n)
{
	memset(n, 0, sizeof(*n));
	n->delay_min_ms = 1;
	n->delay_max_ms = 5;
	n->long_delay_max_ms = 5;
}

static void weather_chaos(struct sim *s, struct net_params *n)
{
	n->loss_ppm = (uint32_t)rng_range(&s->rng, 0, 150000);
	n->dup_ppm = (uint32_t)rng_range(&s->rng, 0, 100000);
	n->delay_min_ms = (uint32_t)rng_range(&s->rng, 0, 3);
	n->delay_max_ms = n->delay_min_ms + (uint32_t)rng_range(&s->rng, 1, 30);
	n->long_delay_ppm = (uint32_t)rng_range(&s->rng, 0, 60000);
	n->long_delay_max_ms = n->delay_max_ms + (uint32_t)rng_range(&s->rng, 50, 1500);
}

void net_heal_all(struct sim *s)
{
	for (uint32_t i = 0; i < SIM_MAX_NODES; i++)
		for (uint32_t j = 0; j < SIM_MAX_NODES; j++)
			s->link[i][j] = true;
}

void nemesis_init(struct sim *s)
{
	weather_chaos(s, &s->chaos_net);
	s->net = s->chaos_net;
	s->next_calm_ms = rng_range(&s->rng, 1500, 5000);
	sim_push(s, EV_NEMESIS, SIM_MAX_NODES, rng_range(&s->rng, 50, 300));
	sim_push(s, EV_CLIENT, SIM_MAX_NODES, rng_range(&s->rng, 1, 50));
}

/* A uniformly chosen slot among those in `state`, or -1. */
static int pick_node(struct sim *s, uint8_t state, bool need_input)
{
	uint32_t cand[SIM_MAX_NODES], n = 0;

	for (uint32_t i = 0; i < s->n_slots; i++)
		if (s->nodes[i].state == state && (!need_input || sim_node_ready_for_input(s, i)))
			cand[n++] = i;
	return n ? (int)cand[rng_below(&s->rng, n)] : -1;
}

/* Any node that believes it leads (stale leaders too) and takes input, or -1. */
static int pick_any_leader(struct sim *s)
{
	uint32_t cand[SIM_MAX_NODES], n = 0;

	for (uint32_t i = 0; i < s->n_slots; i++)
		if (sim_node_ready_for_input(s, i) && raft_role(s->nodes[i].rn) == RAFT_LEADER)
			cand[n++] = i;
	return n ? (int)cand[rng_below(&s->rng, n)] : -1;
}

static uint32_t count_state(const struct sim *s, uint8_t state)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < s->n_slots; i++)
		c += s->nodes[i].state == state;
	return c;
}

/* ---- partitions --------------------------------------------------------- */

static void isolate(struct sim *s, uint32_t slot, bool in, bool out)
{
	for (uint32_t j = 0; j < SIM_MAX_NODES; j++) {
		if (j == slot)
			continue;
		if (out)
			s->link[slot][j] = false;
		if (in)
			s->link[j][slot] = false;
	}
}

static void partition(struct sim *s)
{
	int leader = sim_leader_slot(s);
	uint32_t kind = (uint32_t)rng_below(&s->rng, 5);
	int victim = pick_node(s, NODE_UP, false);

	s->stats.partitions++;
	switch (kind) {
	case 0: /* isolate the leader: forces an election with a stale leader around */
		if (leader < 0)
			leader = victim;
		if (leader >= 0) {
			isolate(s, (uint32_t)leader, true, true);
			sim_trace(s, "partition: leader n%d isolated", leader + 1);
		}
		break;
	case 1: /* isolate one node, both directions */
		if (victim >= 0) {
			isolate(s, (uint32_t)victim, true, true);
			sim_trace(s, "partition: n%d isolated", victim + 1);
		}
		break;
	case 2: { /* split into two random groups */
		uint64_t side = rng_next(&s->rng);

		for (uint32_t i = 0; i < SIM_MAX_NODES; i++)
			for (uint32_t j = 0; j < SIM_MAX_NODES; j++)
				if (((side >> i) & 1) != ((side >> j) & 1))
					s->link[i][j] = false;
		sim_trace(s, "partition: split by mask %#llx", (ull)(side & 0xffff));
		break;
	}
	case 3: /* one-way: a node hears but is not heard, or the reverse */
		if (victim >= 0) {
			bool deaf = rng_chance(&s->rng, 500000);

			isolate(s, (uint32_t)victim, deaf, !deaf);
			sim_trace(s, "partition: n%d can %s only", victim + 1, deaf ? "send" : "receive");
		}
		break;
	default: /* random one-way link cuts */
		for (uint32_t i = 0; i < s->n_slots; i++)
			for (uint32_t j = 0; j < s->n_slots; j++)
				if (i != j && rng_chance(&s->rng, 250000))
					s->link[i][j] = false;
		sim_trace(s, "partition: random one-way link cuts");
		break;
	}
}

/* ---- membership, transfer, compaction ------------------------------------ */

static const char *cc_name(uint8_t t)
{
	return t == RAFT_CONF_ADD_LEARNER ? "add-learner" : t == RAFT_CONF_PROMOTE ? "promote" : "remove";
}

static void conf_change(struct sim *s)
{
	int l = sim_leader_slot(s);

	if (l < 0 || !sim_node_ready_for_input(s, (uint32_t)l))
		return;
	struct raft_node *rn = s->nodes[l].rn;
	const struct raft_config *cfg = raft_config(rn);
	uint32_t voters = cfg_voters(cfg), n = s->n_initial;
	raft_id_t promotable[RAFT_MAX_MEMBERS], removable[RAFT_MAX_MEMBERS];
	uint32_t n_prom = 0, n_rem = 0;

	for (uint32_t i = 0; i < cfg->n && i < RAFT_MAX_MEMBERS; i++) {
		const struct raft_member *m = &cfg->members[i];

		if (!m->voter && voters < n + 1)
			promotable[n_prom++] = m->id;
		if (!m->voter || voters > n - 1)
			removable[n_rem++] = m->id;
	}
	/* A node started earlier whose add never committed, or a new slot. */
	int join = -1;

	for (uint32_t i = 0; i < s->n_slots; i++)
		if ((s->nodes[i].state == NODE_UP || s->nodes[i].state == NODE_DOWN) &&
		    cfg_find(cfg, s->nodes[i].id) < 0)
			join = (int)i;
	bool can_add = cfg->n < n + 2 && (join >= 0 || s->n_slots < SIM_MAX_NODES);
	uint32_t kinds[3], n_kinds = 0;

	if (can_add)
		kinds[n_kinds++] = RAFT_CONF_ADD_LEARNER;
	if (n_prom > 0)
		kinds[n_kinds++] = RAFT_CONF_PROMOTE;
	if (n_rem > 0)
		kinds[n_kinds++] = RAFT_CONF_REMOVE;
	if (n_kinds == 0)
		return;
	struct raft_conf_change cc = { (uint8_t)kinds[rng_below(&s->rng, n_kinds)], 0 };

	if (cc.type == RAFT_CONF_ADD_LEARNER) {
		if (join < 0) {
			join = (int)s->n_slots;
			if (!sim_node_create(s, (uint32_t)join))
				return;
		}
		cc.id = s->nodes[join].id;
	} else if (cc.type == RAFT_CONF_PROMOTE) {
		cc.id = promotable[rng_below(&s->rng, n_prom)];
	} else {
		cc.id = removable[rng_below(&s->rng, n_rem)];
	}
	int rc = raft_propose_conf_change(rn, &cc);

	sim_trace(s, "n%d: propose conf change %s n%llu -> %s", l + 1, cc_name(cc.type), (ull)cc.id,
		  raft_strerror(rc));
	if (rc == RAFT_OK)
		s->stats.conf_changes++;
}

static void transfer(struct sim *s)
{
	int l = sim_leader_slot(s);

	if (l < 0 || !sim_node_ready_for_input(s, (uint32_t)l))
		return;
	const struct raft_config *cfg = raft_config(s->nodes[l].rn);
	raft_id_t cand[RAFT_MAX_MEMBERS];
	uint32_t k = 0;

	for (uint32_t i = 0; i < cfg->n && i < RAFT_MAX_MEMBERS; i++)
		if (cfg->members[i].voter && cfg->members[i].id != s->nodes[l].id)
			cand[k++] = cfg->members[i].id;
	if (k == 0)
		return;
	raft_id_t to = cand[rng_below(&s->rng, k)];
	int rc = raft_transfer_leadership(s->nodes[l].rn, to);

	sim_trace(s, "n%d: transfer leadership to n%llu -> %s", l + 1, (ull)to, raft_strerror(rc));
	if (rc == RAFT_OK)
		s->stats.transfers++;
}

void sim_compact_node(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];
	raft_index_t index = n->app.applied;

	if (!sim_node_ready_for_input(s, slot) || index == 0 ||
	    (n->disk.has_snapshot && index <= n->disk.snap.meta.index))
		return;
	uint8_t data[APP_SNAPSHOT_LEN];
	struct raft_snapshot_meta meta = { index, raft_term_at(n->rn, index), n->app.config };

	app_snapshot_encode(&n->app, data);
	int rc = raft_compact(n->rn, index, data, sizeof(data));

	sim_trace(s, "n%u: compact at %llu -> %s", slot + 1, (ull)index, raft_strerror(rc));
	if (rc != RAFT_OK)
		return;
	if (!disk_compact(&n->disk, &meta, data, sizeof(data)))
		check_fail(&s->chk, "Harness", "out of memory compacting n%u's disk", slot + 1);
	s->stats.compactions++;
}

static void compact(struct sim *s)
{
	int slot = pick_node(s, NODE_UP, true);

	if (slot >= 0)
		sim_compact_node(s, (uint32_t)slot);
}

/* ---- the nemesis --------------------------------------------------------- */

static void crash_random(struct sim *s)
{
	int v = pick_node(s, NODE_UP, false);

	if (v >= 0 && count_state(s, NODE_DOWN) < s->max_down)
		sim_crash(s, (uint32_t)v, rng_range(&s->rng, 5, 1500));
}

static void heal(struct sim *s)
{
	net_heal_all(s);
	s->stats.heals++;
	sim_trace(s, "network healed");
}

static void weather(struct sim *s)
{
	weather_chaos(s, &s->chaos_net);
	s->net = s->chaos_net;
	sim_trace(s, "weather: loss=%u dup=%u delay=%u..%u long=%u..%u ppm/ms",
		  s->net.loss_ppm, s->net.dup_ppm, s->net.delay_min_ms, s->net.delay_max_ms,
		  s->net.long_delay_ppm, s->net.long_delay_max_ms);
}

static void slow_disk(struct sim *s)
{
	int v = pick_node(s, NODE_UP, false);

	if (v >= 0) {
		s->nodes[v].slow_disk_until_ms = s->now_ms + rng_range(&s->rng, 100, 1000);
		sim_trace(s, "n%d: disk slow for a while", v + 1);
	}
}

static void restart_random(struct sim *s)
{
	int v = pick_node(s, NODE_DOWN, false);

	if (v >= 0)
		sim_restart(s, (uint32_t)v);
}

/* An operator or a test forces an election on some node (raft_campaign). */
static void force_campaign(struct sim *s)
{
	int v = pick_node(s, NODE_UP, true);

	if (v < 0)
		return;
	int rc = raft_campaign(s->nodes[v].rn);

	sim_trace(s, "n%d: forced campaign -> %s", v + 1, raft_strerror(rc));
}

/* The nemesis's menu and the weight of each fault. */
static const struct {
	void (*act)(struct sim *s);
	uint32_t weight;
} faults[] = {
	{ crash_random, 4 },
	{ partition, 4 },
	{ heal, 3 },
	{ weather, 2 },
	{ conf_change, 5 },
	{ transfer, 2 },
	{ compact, 3 },
	{ slow_disk, 1 },
	{ restart_random, 1 },
	{ force_campaign, 1 },
};

void nemesis_event(struct sim *s)
{
	sim_push(s, EV_NEMESIS, SIM_MAX_NODES, s->now_ms + rng_range(&s->rng, 20, 250));
	if (s->calm)
		return;
	if (s->now_ms >= s->next_calm_ms) {
		calm_begin(s, false);
		return;
	}
	uint32_t total = 0;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		total += faults[i].weight;
	uint32_t r = (uint32_t)rng_below(&s->rng, total);

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (r < faults[i].weight) {
			faults[i].act(s);
			return;
		}
		r -= faults[i].weight;
	}
}

/* ---- reactions: faults aimed at the moments that matter ------------------- */

/*
 * A fresh leader cut off at once keeps accepting proposals it can never
 * commit: the divergent log tails that later elections must sort out.
 */
void nemesis_on_new_leader(struct sim *s, uint32_t slot)
{
	if (s->calm || !rng_chance(&s->rng, s->isolate_new_leader_ppm))
		return;
	isolate(s, slot, rng_chance(&s->rng, 700000), true);
	s->stats.partitions++;
	sim_trace(s, "partition: new leader n%u cut off", slot + 1);
}

/*
 * A leader that dies right after committing leaves a cluster in which only
 * some followers know that commit (the Figure 8 situation of the Raft paper).
 */
void nemesis_on_leader_commit(struct sim *s, uint32_t slot)
{
	if (s->calm || !rng_chance(&s->rng, s->crash_after_commit_ppm))
		return;
	if (count_state(s, NODE_DOWN) >= s->max_down)
		return;
	sim_push(s, EV_CRASH, slot, s->now_ms + rng_below(&s->rng, 3));
}

/* ---- clients ------------------------------------------------------------- */

static void propose(struct sim *s, int slot)
{
	uint8_t payload[APP_PAYLOAD_LEN];
	uint64_t id = check_new_proposal(&s->chk, payload, sizeof(payload));

	if (id == 0)
		return;
	int rc = raft_propose(s->nodes[slot].rn, payload, sizeof(payload));

	sim_trace(s, "n%d: propose #%llu -> %s", slot + 1, (ull)id, raft_strerror(rc));
	if (rc == RAFT_OK)
		s->stats.proposals++;
	else
		s->stats.proposals_refused++;
}

void client_event(struct sim *s)
{
	sim_push(s, EV_CLIENT, SIM_MAX_NODES, s->now_ms + rng_range(&s->rng, 3, 40));
	int l = sim_leader_slot(s);
	bool leader_ok = l >= 0 && sim_node_ready_for_input(s, (uint32_t)l);

	if (s->calm) {
		if (leader_ok)
			propose(s, l);
		return;
	}
	uint32_t r = (uint32_t)rng_below(&s->rng, 100);

	if (r < 65) {
		/* Mostly the newest leader; sometimes any node, stale leaders included. */
		int target = leader_ok && r < 40 ? l : r < 50 ? pick_any_leader(s) : -1;

		if (target < 0)
			target = pick_node(s, NODE_UP, true);

		if (target >= 0)
			propose(s, target);
	} else {
		int target = pick_node(s, NODE_UP, true);

		if (target < 0)
			return;
		uint64_t ctx = check_new_read(&s->chk);
		int rc = raft_read_index(s->nodes[target].rn, ctx);

		sim_trace(s, "n%d: read index ctx=%llu -> %s", target + 1, (ull)ctx, raft_strerror(rc));
		s->stats.reads++;
	}
}

/* ---- calm phases (liveness) ----------------------------------------------- */

void calm_begin(struct sim *s, bool final)
{
	s->calm = true;
	s->final_calm = final;
	s->calm_done = false;
	s->calm_started_ms = s->now_ms;
	s->calm_deadline_ms = s->now_ms + CALM_BOUND_MS;
	s->calm_first_proposal = s->chk.next_proposal_id;
	s->stats.calm_phases++;
	net_heal_all(s);
	net_weather_calm(&s->net);
	for (uint32_t i = 0; i < s->n_slots; i++) {
		s->nodes[i].slow_disk_until_ms = 0;
		if (s->nodes[i].state == NODE_DOWN)
			sim_restart(s, i);
	}
	sim_trace(s, "calm%s: everything healed and restarted; a new proposal must commit within %d ms",
		  final ? " (final)" : "", CALM_BOUND_MS);
}

void calm_end(struct sim *s)
{
	s->calm = false;
	s->net = s->chaos_net;
	s->next_calm_ms = s->now_ms + rng_range(&s->rng, 2000, 6000);
	sim_trace(s, "calm over: faults resume");
}

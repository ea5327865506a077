/*
 * sim.c — the simulation loop: nodes, their readies and disks, crashes and
 * restarts, and the per-step invariant scan (the network is net.c).
 *
 * The loop plays the agent's role exactly as raft.h prescribes: send
 * rd.msgs, make the writes durable (after a simulated fsync delay), send
 * rd.msgs_after_persist, apply rd.committed, hand out read states, then
 * raft_advance(). A crash between raft_ready() and the end of the fsync loses
 * the writes (or keeps a torn prefix) and whatever waited for them.
 */
#include "sim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "msgcopy.h"

typedef unsigned long long ull;

void sim_trace(struct sim *s, const char *fmt, ...)
{
	if (!s->trace)
		return;
	va_list ap;

	fprintf(s->trace, "# t=%" PRIu64 " s=%" PRIu64 " ", s->now_ms, s->step);
	va_start(ap, fmt);
	vfprintf(s->trace, fmt, ap);
	va_end(ap);
	fputc('\n', s->trace);
}

bool sim_push(struct sim *s, uint8_t kind, uint32_t slot, uint64_t at_ms)
{
	struct sim_event ev = { .at_ms = at_ms, .kind = kind, .slot = slot };

	if (slot < SIM_MAX_NODES)
		ev.gen = s->nodes[slot].gen;
	if (!evq_push(&s->q, ev))
		return check_fail(&s->chk, "Harness", "out of memory in the agenda");
	return true;
}

bool sim_node_ready_for_input(const struct sim *s, uint32_t slot)
{
	const struct simnode *n = &s->nodes[slot];

	return n->state == NODE_UP && !n->pw.busy;
}

int sim_leader_slot(const struct sim *s)
{
	int best = -1;
	raft_term_t best_term = 0;

	for (uint32_t i = 0; i < s->n_slots; i++) {
		const struct simnode *n = &s->nodes[i];

		if (n->state == NODE_UP && raft_role(n->rn) == RAFT_LEADER &&
		    raft_term(n->rn) >= best_term) {
			best = (int)i;
			best_term = raft_term(n->rn);
		}
	}
	return best;
}

/* ---- nodes: start, crash, restart -------------------------------------- */

static bool start_node(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];
	struct raft_options o = s->base_opts;
	struct raft_persisted p;

	o.id = n->id;
	o.seed = rng_next(&s->rng);
	disk_persisted(&n->disk, &p);
	/* Like the agent: founders start with the bootstrap configuration, a
	 * joiner with an empty one (it learns it from the log or a snapshot). */
	static const struct raft_config empty;
	const struct raft_config *initial = n->founder ? &s->bootstrap : &empty;
	int rc = raft_new(&o, initial, &p, &n->rn);

	if (rc != RAFT_OK)
		return check_fail(&s->chk, "Core Error",
				  "raft_new refused n%llu's persisted state (term %llu, commit %llu, %zu entries, snapshot %llu): %s",
				  (ull)n->id, (ull)p.hard_state.term, (ull)p.hard_state.commit,
				  p.n_entries, p.snapshot ? (ull)p.snapshot->meta.index : 0ULL,
				  raft_strerror(rc));
	if (raft_term(n->rn) != p.hard_state.term || raft_vote(n->rn) != p.hard_state.vote)
		return check_fail(&s->chk, "Durability", "n%llu restarted with term/vote %llu/%llu, disk says %llu/%llu",
				  (ull)n->id, (ull)raft_term(n->rn), (ull)raft_vote(n->rn),
				  (ull)p.hard_state.term, (ull)p.hard_state.vote);
	app_reset(&n->app, initial);
	if (n->disk.has_snapshot && !app_restore(&n->app, &n->disk.snap))
		return check_fail(&s->chk, "Harness", "n%llu's stored snapshot is not application data",
				  (ull)n->id);
	n->state = NODE_UP;
	n->role = raft_role(n->rn);
	n->term = raft_term(n->rn);
	n->commit = raft_commit_index(n->rn);
	n->leader_term = 0;
	n->slow_disk_until_ms = 0;
	memset(&n->pw, 0, sizeof(n->pw));
	return sim_push(s, EV_TICK, slot, s->now_ms + rng_range(&s->rng, 1, n->tick_ms));
}

bool sim_node_create(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];

	n->id = slot + 1;
	n->founder = slot < s->n_initial;
	n->gen++;
	n->tick_ms = (uint32_t)rng_range(&s->rng, 9, 11);
	disk_init(&n->disk);
	for (uint32_t i = 0; i < SIM_MAX_NODES; i++)
		s->link[slot][i] = s->link[i][slot] = true;
	if (slot >= s->n_slots)
		s->n_slots = slot + 1;
	sim_trace(s, "create n%llu", (ull)n->id);
	return start_node(s, slot);
}

void sim_crash(struct sim *s, uint32_t slot, uint64_t restart_after_ms)
{
	struct simnode *n = &s->nodes[slot];
	char err[256];
	size_t kept = 0;
	bool torn = false;

	if (n->state != NODE_UP)
		return;
	if (n->pw.busy) {
		if (rng_chance(&s->rng, s->torn_ppm)) {
			torn = true;
			kept = (size_t)rng_below(&s->rng, n->pw.w.n_entries + 1);
			if (!disk_persist(&n->disk, &n->pw.w, kept, false, err, sizeof(err)))
				check_fail(&s->chk, "Storage Contract", "n%llu: %s", (ull)n->id, err);
			s->stats.torn_writes++;
		}
		disk_write_free(&n->pw.w);
	}
	sim_trace(s, "crash n%llu%s (%s; kept %zu entries of the pending write)", (ull)n->id,
		  restart_after_ms == UINT64_MAX ? " for good" : "",
		  n->pw.busy ? (torn ? "torn write" : "pending write lost") : "nothing pending", kept);
	memset(&n->pw, 0, sizeof(n->pw));
	raft_free(n->rn);
	n->rn = NULL;
	n->state = NODE_DOWN;
	n->gen++;
	s->stats.crashes++;
	if (restart_after_ms != UINT64_MAX)
		sim_push(s, EV_RESTART, slot, s->now_ms + restart_after_ms);
}

bool sim_restart(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];

	if (n->state != NODE_DOWN)
		return true;
	n->gen++;
	s->stats.restarts++;
	sim_trace(s, "restart n%llu from disk: term=%llu vote=%llu commit=%llu snapshot=%llu entries=%zu",
		  (ull)n->id, (ull)n->disk.hs.term, (ull)n->disk.hs.vote, (ull)n->disk.hs.commit,
		  n->disk.has_snapshot ? (ull)n->disk.snap.meta.index : 0ULL, n->disk.n);
	return start_node(s, slot);
}

static void decommission(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];

	n->decommission = false;
	if (n->state == NODE_UP)
		sim_crash(s, slot, UINT64_MAX);
	if (n->state == NODE_DOWN) {
		n->state = NODE_GONE;
		n->gen++;
		sim_trace(s, "n%llu decommissioned (its removal committed)", (ull)n->id);
	}
}

/* ---- readies ------------------------------------------------------------ */

static bool same_members(const struct raft_config *a, const struct raft_config *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n && i < RAFT_MAX_MEMBERS; i++) {
		int j = cfg_find(b, a->members[i].id);

		if (j < 0 || b->members[j].voter != a->members[i].voter)
			return false;
	}
	return true;
}

static bool sends_vote_grant(const struct raft_ready *rd)
{
	for (size_t i = 0; i < rd->n_msgs; i++)
		if (rd->msgs[i].type == RAFT_MSG_VOTE_RESP && !rd->msgs[i].reject)
			return true;
	for (size_t i = 0; i < rd->n_msgs_after_persist; i++)
		if (rd->msgs_after_persist[i].type == RAFT_MSG_VOTE_RESP &&
		    !rd->msgs_after_persist[i].reject)
			return true;
	return false;
}

static uint32_t nodes_down(const struct sim *s)
{
	uint32_t d = 0;

	for (uint32_t i = 0; i < s->n_slots; i++)
		d += s->nodes[i].state == NODE_DOWN;
	return d;
}

/* The fsync finished: the rest of the ready's contract, then advance. */
static void complete_write(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];
	struct raft_ready *rd = &n->pw.rd;
	char err[256];

	if (!disk_persist(&n->disk, &n->pw.w, n->pw.w.n_entries, true, err, sizeof(err)))
		check_fail(&s->chk, "Storage Contract", "n%llu: %s", (ull)n->id, err);
	disk_write_free(&n->pw.w);
	for (size_t i = 0; i < rd->n_msgs_after_persist; i++)
		net_send(s, slot, &rd->msgs_after_persist[i]);
	if (rd->snapshot) {
		if (!app_restore(&n->app, rd->snapshot))
			check_fail(&s->chk, "Harness", "n%llu received a snapshot that is not application data",
				   (ull)n->id);
		check_restore(&s->chk, n->id, rd->snapshot->meta.index, rd->snapshot->meta.term,
			      n->app.hash, &n->app.config);
		sim_trace(s, "n%llu restored snapshot %llu/t%llu", (ull)n->id,
			  (ull)rd->snapshot->meta.index, (ull)rd->snapshot->meta.term);
	}
	bool added_learner = false;

	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];

		if (e->index != n->app.applied + 1) {
			check_fail(&s->chk, "State Machine Safety",
				   "n%llu is handed index %llu to apply right after %llu",
				   (ull)n->id, (ull)e->index, (ull)n->app.applied);
			break;
		}
		if (!app_apply(&n->app, e))
			check_fail(&s->chk, "Applied = Proposed", "n%llu applied a CONF entry at %llu that does not decode",
				   (ull)n->id, (ull)e->index);
		check_apply(&s->chk, n->id, e, n->app.hash,
			    n->app.config_settled ? &n->app.config : NULL);
		if (e->type == RAFT_ENTRY_NORMAL && s->calm && !s->calm_done) {
			uint64_t id;

			if (payload_parse(e->data, e->len, s->chk.payload_key, &id) &&
			    id >= s->calm_first_proposal) {
				s->calm_done = true;
				uint64_t took = s->now_ms - s->calm_started_ms;

				if (took > s->stats.max_recovery_ms)
					s->stats.max_recovery_ms = took;
				sim_trace(s, "calm: proposal %llu committed %llu ms after the heal",
					  (ull)id, (ull)took);
			}
		}
		if (e->type == RAFT_ENTRY_CONF) {
			struct raft_conf_change cc;

			if (raft_conf_change_decode(e->data, e->len, &cc) == RAFT_OK) {
				sim_trace(s, "n%llu applied conf change %s n%llu at %llu", (ull)n->id,
					  cc.type == RAFT_CONF_ADD_LEARNER ? "add-learner" :
					  cc.type == RAFT_CONF_PROMOTE ? "promote" : "remove",
					  (ull)cc.id, (ull)e->index);
				if (cc.type == RAFT_CONF_REMOVE && cc.id >= 1 && cc.id <= SIM_MAX_NODES)
					s->nodes[cc.id - 1].decommission = true;
				if (cc.type == RAFT_CONF_ADD_LEARNER)
					added_learner = true;
			}
		}
	}
	for (size_t i = 0; i < rd->n_read_states; i++)
		check_read_state(&s->chk, n->id, rd->read_states[i].ctx, rd->read_states[i].index);
	raft_advance(n->rn, rd);
	n->pw.busy = false;
	if (added_learner && !s->join_from_log)
		sim_compact_node(s, slot);
	/* SAFETY.md L1: the agent steps its leader down after an fsync slower than the election timeout. */
	uint64_t took_ms = s->now_ms - n->pw.started_ms;

	if (raft_role(n->rn) == RAFT_LEADER && took_ms > (uint64_t)s->base_opts.election_ticks * n->tick_ms) {
		int rc = raft_step_down(n->rn);

		sim_trace(s, "n%llu: fsync took %llu ms, leader steps down -> %s", (ull)n->id,
			  (ull)took_ms, raft_strerror(rc));
	}
	if (!s->chk.failed && !same_members(&n->app.config, raft_config(n->rn)))
		check_fail(&s->chk, "Membership",
			   "n%llu's configuration differs from the CONF entries it applied (up to %llu)",
			   (ull)n->id, (ull)n->app.applied);
}

static void handle_ready(struct sim *s, uint32_t slot)
{
	struct simnode *n = &s->nodes[slot];
	struct raft_ready *rd = &n->pw.rd;

	raft_ready(n->rn, rd);
	if (s->trace) {
		/* Entry kinds, for the reader: N normal, - no-op, +id/^id/-id conf changes. */
		char kinds[96] = "";
		size_t off = 0;

		for (size_t i = 0; i < rd->n_entries && i < 8 && off < sizeof(kinds) - 24; i++) {
			const struct raft_entry *e = &rd->entries[i];
			struct raft_conf_change cc;
			int k;

			if (e->type == RAFT_ENTRY_CONF &&
			    raft_conf_change_decode(e->data, e->len, &cc) == RAFT_OK)
				k = snprintf(kinds + off, sizeof(kinds) - off, "%s%c%llu/t%llu", i ? "," : "",
					     cc.type == RAFT_CONF_ADD_LEARNER ? '+' :
					     cc.type == RAFT_CONF_PROMOTE ? '^' : '-',
					     (ull)cc.id, (ull)e->term);
			else
				k = snprintf(kinds + off, sizeof(kinds) - off, "%s%s/t%llu", i ? "," : "",
					     e->type == RAFT_ENTRY_NOOP ? "noop" : "N", (ull)e->term);
			if (k > 0)
				off += (size_t)k;
		}
		sim_trace(s, "n%llu ready: hs=%s%llu/%llu/%llu snap=%llu trunc=%llu entries=%zu@%llu[%s%s] msgs=%zu+%zu apply=%zu reads=%zu",
			  (ull)n->id, rd->has_hard_state ? "" : "=", (ull)rd->hard_state.term,
			  (ull)rd->hard_state.vote, (ull)rd->hard_state.commit,
			  rd->snapshot ? (ull)rd->snapshot->meta.index : 0ULL, (ull)rd->truncate_from,
			  rd->n_entries, rd->n_entries ? (ull)rd->entries[0].index : 0ULL, kinds,
			  rd->n_entries > 8 ? ",..." : "", rd->n_msgs, rd->n_msgs_after_persist,
			  rd->n_committed, rd->n_read_states);
	}
	if (raft_role(n->rn) == RAFT_LEADER && (rd->truncate_from != 0 || rd->snapshot))
		check_fail(&s->chk, "Leader Append-Only",
			   "leader n%llu of term %llu %s its own log", (ull)n->id,
			   (ull)raft_term(n->rn), rd->snapshot ? "installs a snapshot over" : "truncates");
	if (rd->n_entries > 0)
		check_entries(&s->chk, n->id, rd->entries, rd->n_entries,
			      raft_term_at(n->rn, rd->entries[0].index - 1));
	if (!disk_write_from_ready(&n->pw.w, rd)) {
		check_fail(&s->chk, "Harness", "out of memory copying a ready");
		return;
	}
	for (size_t i = 0; i < rd->n_msgs; i++)
		net_send(s, slot, &rd->msgs[i]);

	uint64_t latency = 0;

	if (s->calm)
		latency = rng_below(&s->rng, 2);
	else if (s->now_ms < n->slow_disk_until_ms)
		latency = rng_range(&s->rng, 20, 400);
	else if (rng_chance(&s->rng, s->fsync_slow_ppm))
		latency = rng_range(&s->rng, 1, s->fsync_max_ms);
	n->pw.busy = true;
	n->pw.started_ms = s->now_ms;
	if (latency == 0) {
		complete_write(s, slot);
		return;
	}
	n->pw.done_at_ms = s->now_ms + latency;
	sim_push(s, EV_FSYNC_DONE, slot, n->pw.done_at_ms);

	/* Crash inside the window, most eagerly right after a vote was cast. */
	bool vote = sends_vote_grant(rd) ||
		    (rd->has_hard_state && rd->hard_state.vote != RAFT_NONE &&
		     (rd->hard_state.vote != n->disk.hs.vote || rd->hard_state.term != n->disk.hs.term));
	uint32_t p = vote ? s->crash_after_vote_ppm : s->crash_in_sync_ppm;

	if (!s->calm && nodes_down(s) < s->max_down && rng_chance(&s->rng, p))
		sim_push(s, EV_CRASH, slot, s->now_ms + rng_below(&s->rng, latency));
}

static void drain(struct sim *s)
{
	for (uint32_t i = 0; i < s->n_slots && !s->chk.failed; i++) {
		struct simnode *n = &s->nodes[i];
		int k = 0;

		while (n->state == NODE_UP && !n->pw.busy && raft_has_ready(n->rn) && !s->chk.failed) {
			if (++k > SIM_READY_LOOP_MAX) {
				check_fail(&s->chk, "Core Error", "n%llu never runs out of readies",
					   (ull)n->id);
				return;
			}
			handle_ready(s, i);
		}
	}
}

/* ---- the per-step scan -------------------------------------------------- */

static void observe(struct sim *s)
{
	struct checker *c = &s->chk;

	for (uint32_t i = 0; i < s->n_slots && !c->failed; i++) {
		struct simnode *n = &s->nodes[i];

		if (n->state != NODE_UP)
			continue;
		enum raft_role role = raft_role(n->rn);
		raft_term_t term = raft_term(n->rn);
		raft_index_t commit = raft_commit_index(n->rn);

		if (term < n->term) {
			check_fail(c, "Durability", "n%llu's term went back from %llu to %llu",
				   (ull)n->id, (ull)n->term, (ull)term);
			return;
		}
		if (role != n->role || term != n->term)
			sim_trace(s, "n%llu is %s in term %llu", (ull)n->id, raft_role_name(role),
				  (ull)term);
		if (role == RAFT_LEADER) {
			raft_index_t last = raft_last_index(n->rn);

			if (!check_leader(c, term, n->id))
				return;
			if (n->leader_term != term) {
				if (!check_election_quorum(c, n->id, term, raft_config(n->rn)) ||
				    !check_leader_completeness(c, n->rn))
					return;
				n->leader_term = term;
				nemesis_on_new_leader(s, i);
			} else {
				raft_term_t t = raft_term_at(n->rn, n->leader_last);

				if (last < n->leader_last || (t != 0 && t != n->leader_last_term)) {
					check_fail(c, "Leader Append-Only",
						   "leader n%llu of term %llu lost or rewrote its entry %llu",
						   (ull)n->id, (ull)term, (ull)n->leader_last);
					return;
				}
			}
			n->leader_last = last;
			n->leader_last_term = raft_term_at(n->rn, last);
		}
		if (commit < n->commit) {
			check_fail(c, "Durability", "n%llu's commit index went back from %llu to %llu",
				   (ull)n->id, (ull)n->commit, (ull)commit);
			return;
		}
		if (commit > n->commit) {
			for (raft_index_t x = n->commit + 1; x <= commit; x++)
				if (!check_committed_term(c, n->id, x, raft_term_at(n->rn, x), term))
					return;
			if (role == RAFT_LEADER) {
				raft_term_t t = raft_term_at(n->rn, commit);

				nemesis_on_leader_commit(s, i);

				if (c->strict && t != 0 && t != term) {
					check_fail(c, "Commit Rule",
						   "leader n%llu of term %llu advanced its commit index to %llu, an entry of term %llu",
						   (ull)n->id, (ull)term, (ull)commit, (ull)t);
					return;
				}
			}
			check_note_commit(c, commit);
		}
		n->role = role;
		n->term = term;
		n->commit = commit;
	}
}

/* ---- setup and the loop ------------------------------------------------- */

int sim_init(struct sim *s, uint64_t seed, uint32_t n_nodes, uint64_t steps, FILE *trace)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->n_initial = n_nodes;
	s->max_steps = steps;
	s->trace = trace;
	rng_seed(&s->rng, seed);
	evq_init(&s->q);
	check_init(&s->chk, rng_next(&s->rng), true);

	s->bootstrap.n = n_nodes;
	for (uint32_t i = 0; i < n_nodes; i++)
		s->bootstrap.members[i] = (struct raft_member){ .id = i + 1, .voter = true };

	struct raft_options *o = &s->base_opts;

	o->election_ticks = 10;
	o->heartbeat_ticks = (uint32_t)rng_range(&s->rng, 1, 3);
	o->pre_vote = rng_chance(&s->rng, 750000);
	o->check_quorum = rng_chance(&s->rng, 750000);
	/* One entry per APPEND half the time: commits then advance entry by entry. */
	o->max_entries_per_msg = rng_chance(&s->rng, 500000) ? 1 : (uint32_t)rng_below(&s->rng, 6);
	o->max_inflight = (uint32_t)rng_range(&s->rng, 1, 6);
	o->max_entry_bytes = rng_chance(&s->rng, 500000) ? 64 : 0;

	s->fsync_slow_ppm = (uint32_t)rng_range(&s->rng, 100000, 600000);
	s->fsync_max_ms = (uint32_t)rng_range(&s->rng, 2, 40);
	s->crash_in_sync_ppm = (uint32_t)rng_range(&s->rng, 0, 20000);
	s->crash_after_vote_ppm = (uint32_t)rng_range(&s->rng, 50000, 400000);
	s->torn_ppm = 500000;
	s->max_down = n_nodes / 2 + 1;
	s->join_from_log = rng_chance(&s->rng, 500000);
	s->isolate_new_leader_ppm = (uint32_t)rng_range(&s->rng, 0, 400000);
	s->crash_after_commit_ppm = (uint32_t)rng_range(&s->rng, 0, 250000);

	sim_trace(s, "seed %llu: %u nodes, heartbeat=%u pre_vote=%d check_quorum=%d max_entries=%u max_inflight=%u join_from_log=%d",
		  (ull)seed, n_nodes, o->heartbeat_ticks, o->pre_vote, o->check_quorum,
		  o->max_entries_per_msg, o->max_inflight, s->join_from_log);
	for (uint32_t i = 0; i < n_nodes; i++)
		if (!sim_node_create(s, i))
			return -1;
	nemesis_init(s);
	return s->chk.failed ? -1 : 0;
}

void sim_free(struct sim *s)
{
	for (uint32_t i = 0; i < SIM_MAX_NODES; i++) {
		struct simnode *n = &s->nodes[i];

		raft_free(n->rn);
		n->rn = NULL;
		disk_write_free(&n->pw.w);
		disk_free(&n->disk);
	}
	evq_free(&s->q);
	check_free(&s->chk);
}

/* The core takes no input between ready and advance: hold the event until the fsync ends. */
static void requeue_after_sync(struct sim *s, const struct simnode *n, struct sim_event *ev)
{
	ev->at_ms = n->pw.done_at_ms;
	if (!evq_push(&s->q, *ev))
		check_fail(&s->chk, "Harness", "out of memory requeueing an event");
}

static void dispatch(struct sim *s, struct sim_event *ev)
{
	struct simnode *n = ev->slot < SIM_MAX_NODES ? &s->nodes[ev->slot] : NULL;
	bool current = n && ev->gen == n->gen;

	switch (ev->kind) {
	case EV_DELIVER:
		net_deliver(s, ev);
		break;
	case EV_TICK:
		if (!current || n->state != NODE_UP)
			break;
		if (n->pw.busy) {
			requeue_after_sync(s, n, ev);
			break;
		}
		raft_tick(n->rn);
		sim_push(s, EV_TICK, ev->slot, s->now_ms + n->tick_ms);
		break;
	case EV_FSYNC_DONE:
		if (current && n->state == NODE_UP && n->pw.busy)
			complete_write(s, ev->slot);
		break;
	case EV_CRASH:
		if (current && n->state == NODE_UP)
			sim_crash(s, ev->slot, rng_chance(&s->rng, 500000) ? rng_range(&s->rng, 1, 40) :
					  rng_range(&s->rng, 100, 1500));
		break;
	case EV_RESTART:
		if (current && n->state == NODE_DOWN)
			sim_restart(s, ev->slot);
		break;
	case EV_REPORT:
		if (!current || n->state != NODE_UP)
			break;
		if (n->pw.busy) {
			requeue_after_sync(s, n, ev);
			break;
		}
		sim_trace(s, "n%llu: transport reports %s n%llu", (ull)n->id,
			  ev->report == REPORT_SNAPSHOT_OK ? "snapshot sent to" :
			  ev->report == REPORT_SNAPSHOT_FAILED ? "snapshot failed to" : "cannot reach",
			  (ull)ev->peer);
		if (ev->report == REPORT_UNREACHABLE)
			raft_report_unreachable(n->rn, ev->peer);
		else
			raft_report_snapshot(n->rn, ev->peer, ev->report == REPORT_SNAPSHOT_OK);
		break;
	case EV_NEMESIS:
		nemesis_event(s);
		break;
	case EV_CLIENT:
		client_event(s);
		break;
	default:
		break;
	}
}

bool sim_run(struct sim *s)
{
	struct checker *c = &s->chk;
	uint64_t hard_cap = s->max_steps * 20 + 2000000;

	while (!c->failed) {
		if (!s->final_calm && s->step >= s->max_steps)
			calm_begin(s, true);
		if (s->final_calm && s->calm_done)
			break;
		struct sim_event ev;

		if (!evq_pop(&s->q, &ev)) {
			check_fail(c, "Harness", "the agenda ran empty");
			break;
		}
		s->now_ms = ev.at_ms;
		s->step++;
		dispatch(s, &ev);
		drain(s);
		observe(s);
		for (uint32_t i = 0; i < s->n_slots; i++)
			if (s->nodes[i].decommission)
				decommission(s, i);
		if (s->calm && !s->calm_done && s->now_ms > s->calm_deadline_ms)
			check_fail(c, "Liveness",
				   "no new proposal committed within %llu ms after the network healed (leader slot %d)",
				   (ull)(s->calm_deadline_ms - s->calm_started_ms), sim_leader_slot(s));
		if (s->calm && s->calm_done && !s->final_calm)
			calm_end(s);
		if (s->step > hard_cap)
			check_fail(c, "Harness", "run did not finish within %llu steps", (ull)hard_cap);
	}
	s->stats.virtual_ms = s->now_ms;
	return !c->failed;
}

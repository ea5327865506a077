/*
 * raft_test_net.c — the in-memory cluster behind the Raft core's unit tests
 * (see raft_test_net.h). It follows docs/raft.md's ready/advance contract to
 * the letter, so a test that passes here shows the core works when driven as
 * documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "raft_test_net.h"

struct raft_options tnet_default_options(raft_id_t id)
{
	struct raft_options o = {
		.id = id,
		.election_ticks = 10,
		.heartbeat_ticks = 1,
		.pre_vote = false,
		.check_quorum = false,
		.max_entries_per_msg = 0,
		.max_inflight = 256,
		.max_entry_bytes = 0,
		.seed = 42,
	};
	return o;
}

void tmsg_copy(struct raft_msg *dst, const struct raft_msg *src)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot.data = NULL;
	if (src->n_entries > 0) {
		dst->entries = calloc(src->n_entries, sizeof(*dst->entries));
		assert_non_null(dst->entries);
		for (uint32_t i = 0; i < src->n_entries; i++) {
			dst->entries[i] = src->entries[i];
			dst->entries[i].data = NULL;
			if (src->entries[i].len > 0) {
				dst->entries[i].data = malloc(src->entries[i].len);
				assert_non_null(dst->entries[i].data);
				memcpy(dst->entries[i].data, src->entries[i].data,
				       src->entries[i].len);
			}
		}
	}
	if (src->snapshot.len > 0) {
		dst->snapshot.data = malloc(src->snapshot.len);
		assert_non_null(dst->snapshot.data);
		memcpy(dst->snapshot.data, src->snapshot.data, src->snapshot.len);
	}
}

void tmsg_free(struct raft_msg *m)
{
	for (uint32_t i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	free(m->snapshot.data);
	m->entries = NULL;
	m->snapshot.data = NULL;
}

struct raft_msg tmsg_make(uint8_t type, raft_id_t from, raft_id_t to, raft_term_t term)
{
	struct raft_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.term = term;
	return m;
}

/* ---- storage ----------------------------------------------------------- */

static void store_free(struct tstore *s)
{
	for (size_t i = 0; i < s->n_ents; i++)
		free(s->ents[i].data);
	free(s->ents);
	free(s->snap.data);
	memset(s, 0, sizeof(*s));
}

static void store_truncate(struct tstore *s, raft_index_t from)
{
	size_t keep = 0;
	while (keep < s->n_ents && s->ents[keep].index < from)
		keep++;
	for (size_t i = keep; i < s->n_ents; i++)
		free(s->ents[i].data);
	s->n_ents = keep;
}

static void store_append(struct tstore *s, const struct raft_entry *e)
{
	if (s->n_ents == s->cap_ents) {
		s->cap_ents = s->cap_ents ? s->cap_ents * 2 : 64;
		s->ents = realloc(s->ents, s->cap_ents * sizeof(*s->ents));
		assert_non_null(s->ents);
	}
	/* The contract: entries are appended contiguously. */
	raft_index_t expect = s->n_ents ? s->ents[s->n_ents - 1].index + 1
					: (s->has_snap ? s->snap.meta.index + 1 : 1);
	assert_int_equal(e->index, expect);
	struct raft_entry *d = &s->ents[s->n_ents++];
	*d = *e;
	d->data = NULL;
	if (e->len) {
		d->data = malloc(e->len);
		assert_non_null(d->data);
		memcpy(d->data, e->data, e->len);
	}
}

static void store_snapshot(struct tstore *s, const struct raft_snapshot *snap)
{
	store_truncate(s, 0);
	free(s->snap.data);
	s->snap = *snap;
	s->snap.data = NULL;
	if (snap->len) {
		s->snap.data = malloc(snap->len);
		assert_non_null(s->snap.data);
		memcpy(s->snap.data, snap->data, snap->len);
	}
	s->has_snap = true;
}

/* ---- the cluster ------------------------------------------------------- */

static void node_start(struct tnet *net, raft_id_t id)
{
	struct tstore *s = &net->store[id];
	struct raft_persisted p = {
		.hard_state = s->hs,
		.snapshot = s->has_snap ? &s->snap : NULL,
		.entries = s->ents,
		.n_entries = s->n_ents,
	};
	static const struct raft_config none;
	const struct raft_config *c = net->empty_config[id] ? &none : &net->config;
	int rc = raft_new(&net->opts[id], c, &p, &net->nodes[id]);
	assert_int_equal(rc, RAFT_OK);
}

static struct tnet *tnet_create(size_t n_voters, size_t n_total, bool pre_vote,
				bool check_quorum, void (*tweak)(struct raft_options *o))
{
	assert_true(n_total <= TNET_MAX && n_voters <= n_total);
	struct tnet *net = calloc(1, sizeof(*net));
	assert_non_null(net);
	net->n = n_total;
	net->config.n = (uint32_t)n_total;
	for (size_t i = 0; i < n_total; i++)
		net->config.members[i] = (struct raft_member){ i + 1, i < n_voters };
	for (raft_id_t id = 1; id <= n_total; id++) {
		net->opts[id] = tnet_default_options(id);
		net->opts[id].pre_vote = pre_vote;
		net->opts[id].check_quorum = check_quorum;
		if (tweak)
			tweak(&net->opts[id]);
		node_start(net, id);
	}
	return net;
}

struct tnet *tnet_new(size_t n_voters, size_t n_total, bool pre_vote, bool check_quorum)
{
	return tnet_create(n_voters, n_total, pre_vote, check_quorum, NULL);
}

struct tnet *tnet_new_with(size_t n_voters, size_t n_total,
			   void (*tweak)(struct raft_options *o))
{
	return tnet_create(n_voters, n_total, false, false, tweak);
}

void tnet_drop_queue(struct tnet *net)
{
	for (size_t i = 0; i < net->nq; i++)
		tmsg_free(&net->q[i].m);
	net->nq = 0;
}

void tnet_free(struct tnet *net)
{
	tnet_drop_queue(net);
	free(net->q);
	for (raft_id_t id = 1; id <= net->n; id++) {
		raft_free(net->nodes[id]);
		store_free(&net->store[id]);
	}
	free(net);
}

struct raft_node *tnet_spawn(struct tnet *net, raft_id_t id)
{
	assert_true(id > net->n && id <= TNET_MAX);
	for (raft_id_t i = net->n + 1; i <= id; i++) {
		net->opts[i] = net->opts[1];
		net->opts[i].id = i;
		net->empty_config[i] = true;
		if (i == id)
			node_start(net, i);
		else
			net->down[i] = true;
	}
	net->n = id;
	return net->nodes[id];
}

struct raft_node *tnet_node(struct tnet *net, raft_id_t id)
{
	return net->nodes[id];
}

static void enqueue(struct tnet *net, const struct raft_msg *m, bool after_persist)
{
	if (net->nq == net->capq) {
		net->capq = net->capq ? net->capq * 2 : 64;
		net->q = realloc(net->q, net->capq * sizeof(*net->q));
		assert_non_null(net->q);
	}
	struct tmsg *t = &net->q[net->nq++];
	tmsg_copy(&t->m, m);
	t->after_persist = after_persist;
}

void tnet_flush(struct tnet *net, raft_id_t id)
{
	struct raft_node *node = net->nodes[id];
	if (!node || net->down[id])
		return;
	struct tstore *s = &net->store[id];
	struct tapplied *a = &net->app[id];
	for (int guard = 0; raft_has_ready(node); guard++) {
		assert_true(guard < 1000);
		struct raft_ready rd;
		raft_ready(node, &rd);
		for (size_t i = 0; i < rd.n_msgs; i++) /* may leave before persisting */
			enqueue(net, &rd.msgs[i], false);
		if (rd.snapshot)
			store_snapshot(s, rd.snapshot);
		if (rd.truncate_from)
			store_truncate(s, rd.truncate_from);
		for (size_t i = 0; i < rd.n_entries; i++)
			store_append(s, &rd.entries[i]);
		if (rd.has_hard_state)
			s->hs = rd.hard_state;
		for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
			enqueue(net, &rd.msgs_after_persist[i], true);
		for (size_t i = 0; i < rd.n_committed; i++) {
			const struct raft_entry *e = &rd.committed[i];
			assert_int_equal(e->index, a->last_index + 1); /* in order, no gap */
			a->last_index = e->index;
			if (e->type == RAFT_ENTRY_NORMAL) {
				a->n_normal++;
				size_t l = e->len < sizeof(a->last_data) - 1 ? e->len
									 : sizeof(a->last_data) - 1;
				memcpy(a->last_data, e->data, l);
				a->last_data[l] = 0;
			}
		}
		if (rd.snapshot && rd.snapshot->meta.index > a->last_index)
			a->last_index = rd.snapshot->meta.index;
		for (size_t i = 0; i < rd.n_read_states; i++)
			if (a->n_reads < 32)
				a->reads[a->n_reads++] = rd.read_states[i];
		raft_advance(node, &rd);
	}
}

void tnet_flush_all(struct tnet *net)
{
	for (raft_id_t id = 1; id <= net->n; id++)
		tnet_flush(net, id);
}

size_t tnet_deliver(struct tnet *net, size_t max)
{
	size_t stepped = 0;
	while (net->nq > 0 && stepped < max) {
		struct tmsg t = net->q[0];
		memmove(net->q, net->q + 1, (net->nq - 1) * sizeof(*net->q));
		net->nq--;
		raft_id_t to = t.m.to, from = t.m.from;
		if (to >= 1 && to <= net->n && !net->down[to] && !net->cut[from][to]) {
			net->last_step_rc = raft_step(net->nodes[to], &t.m);
			net->delivered++;
			stepped++;
			tnet_flush(net, to);
		}
		tmsg_free(&t.m);
	}
	return stepped;
}

void tnet_stabilize(struct tnet *net)
{
	tnet_flush_all(net);
	for (int guard = 0; net->nq > 0; guard++) {
		assert_true(guard < 100000);
		tnet_deliver(net, 1);
		tnet_flush_all(net);
	}
}

void tnet_tick(struct tnet *net, raft_id_t id, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (!net->down[id])
			raft_tick(net->nodes[id]);
		tnet_flush(net, id);
	}
}

void tnet_tick_all(struct tnet *net, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		for (raft_id_t id = 1; id <= net->n; id++)
			tnet_tick(net, id, 1);
}

raft_id_t tnet_elect(struct tnet *net, raft_id_t id)
{
	assert_int_equal(raft_campaign(net->nodes[id]), RAFT_OK);
	tnet_stabilize(net);
	raft_id_t leader = RAFT_NONE;
	for (raft_id_t i = 1; i <= net->n; i++)
		if (!net->down[i] && raft_role(net->nodes[i]) == RAFT_LEADER)
			leader = i;
	return leader;
}

int tnet_propose(struct tnet *net, raft_id_t id, const char *s)
{
	int rc = raft_propose(net->nodes[id], (const uint8_t *)s, strlen(s));
	tnet_flush(net, id);
	return rc;
}

void tnet_isolate(struct tnet *net, raft_id_t id)
{
	for (raft_id_t j = 1; j <= net->n; j++) {
		net->cut[id][j] = true;
		net->cut[j][id] = true;
	}
}

void tnet_heal(struct tnet *net)
{
	memset(net->cut, 0, sizeof(net->cut));
}

void tnet_restart(struct tnet *net, raft_id_t id)
{
	raft_free(net->nodes[id]);
	net->nodes[id] = NULL;
	memset(&net->app[id], 0, sizeof(net->app[id]));
	if (net->store[id].has_snap)
		net->app[id].last_index = net->store[id].snap.meta.index;
	node_start(net, id);
}

size_t tnet_count(const struct tnet *net, uint8_t type, raft_id_t to)
{
	size_t c = 0;
	for (size_t i = 0; i < net->nq; i++)
		if ((!type || net->q[i].m.type == type) && (!to || net->q[i].m.to == to))
			c++;
	return c;
}

bool tnet_logs_match(struct tnet *net, raft_index_t index)
{
	for (raft_index_t i = 1; i <= index; i++) {
		raft_term_t t = 0;
		for (raft_id_t id = 1; id <= net->n; id++) {
			if (net->down[id])
				continue;
			raft_term_t ti = raft_term_at(net->nodes[id], i);
			if (ti == 0 && i < raft_first_index(net->nodes[id]))
				continue; /* compacted */
			if (t == 0)
				t = ti;
			else if (ti != t)
				return false;
		}
	}
	return true;
}

/* ---- single node ------------------------------------------------------- */

struct raft_node *tnode_new(raft_id_t id, size_t n_voters, const struct raft_options *opts)
{
	struct raft_config c = { .n = (uint32_t)n_voters };
	for (size_t i = 0; i < n_voters; i++)
		c.members[i] = (struct raft_member){ i + 1, true };
	struct raft_options o = opts ? *opts : tnet_default_options(id);
	o.id = id;
	struct raft_node *n = NULL;
	assert_int_equal(raft_new(&o, &c, NULL, &n), RAFT_OK);
	return n;
}

static void collect_msg(struct tcollect *c, const struct raft_msg *m, bool ap)
{
	assert_true(c->n < 256);
	tmsg_copy(&c->msgs[c->n].m, m);
	c->msgs[c->n].after_persist = ap;
	c->n++;
}

static void collect_round(struct raft_node *node, struct tcollect *c)
{
	struct raft_ready rd;
	raft_ready(node, &rd);
	for (size_t i = 0; i < rd.n_msgs; i++)
		collect_msg(c, &rd.msgs[i], false);
	for (size_t i = 0; i < rd.n_msgs_after_persist; i++)
		collect_msg(c, &rd.msgs_after_persist[i], true);
	if (rd.has_hard_state) {
		c->has_hs = true;
		c->hs = rd.hard_state;
	}
	if (rd.truncate_from)
		c->truncate_from = rd.truncate_from;
	if (rd.n_entries) {
		if (!c->n_entries)
			c->first_entry = rd.entries[0].index;
		c->n_entries += rd.n_entries;
		c->last_entry = rd.entries[rd.n_entries - 1].index;
	}
	if (rd.n_committed) {
		c->n_committed += rd.n_committed;
		c->last_committed = rd.committed[rd.n_committed - 1].index;
	}
	if (rd.snapshot)
		c->had_snapshot = true;
	for (size_t i = 0; i < rd.n_read_states && c->n_reads < 16; i++)
		c->reads[c->n_reads++] = rd.read_states[i];
	raft_advance(node, &rd);
}

void tcollect_free(struct tcollect *c)
{
	for (size_t i = 0; i < c->n; i++)
		tmsg_free(&c->msgs[i].m);
	memset(c, 0, sizeof(*c));
}

void tcollect_once(struct raft_node *node, struct tcollect *c)
{
	tcollect_free(c);
	collect_round(node, c);
}

void tcollect(struct raft_node *node, struct tcollect *c)
{
	tcollect_free(c);
	for (int guard = 0; raft_has_ready(node); guard++) {
		assert_true(guard < 100);
		collect_round(node, c);
	}
}

const struct tmsg *tcollect_find(const struct tcollect *c, uint8_t type, raft_id_t to)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->msgs[i].m.type == type && (!to || c->msgs[i].m.to == to))
			return &c->msgs[i];
	return NULL;
}

size_t tcollect_count(const struct tcollect *c, uint8_t type)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->msgs[i].m.type == type)
			k++;
	return k;
}

struct raft_node *tnode_with_log(raft_id_t id, size_t n_voters, const raft_term_t *terms,
				 size_t k, raft_term_t term, const struct raft_options *opts)
{
	struct raft_entry *ents = calloc(k ? k : 1, sizeof(*ents));
	assert_non_null(ents);
	for (size_t i = 0; i < k; i++)
		ents[i] = (struct raft_entry){ terms[i], i + 1, RAFT_ENTRY_NORMAL, 0, NULL };
	struct raft_config c = { .n = (uint32_t)n_voters };
	for (size_t i = 0; i < n_voters; i++)
		c.members[i] = (struct raft_member){ i + 1, true };
	struct raft_persisted p = { .hard_state = { term, 0, 0 }, .entries = ents, .n_entries = k };
	struct raft_options o = opts ? *opts : tnet_default_options(id);
	o.id = id;
	struct raft_node *n = NULL;
	assert_int_equal(raft_new(&o, &c, &p, &n), RAFT_OK);
	free(ents);
	return n;
}

/* Make node (a voter of 3, not yet leader) the leader of the next term with
 * the vote of node `voter`, and persist what that produced. */
void tnode_make_leader(struct raft_node *n, raft_id_t voter)
{
	struct tcollect c = { 0 };
	assert_int_equal(raft_campaign(n), RAFT_OK);
	tcollect(n, &c);
	struct raft_msg g = tmsg_make(RAFT_MSG_VOTE_RESP, voter, raft_id(n), raft_term(n));
	assert_int_equal(raft_step(n, &g), RAFT_OK);
	assert_int_equal(raft_role(n), RAFT_LEADER);
	tcollect_free(&c);
}

/*
 * test_node.c — the node driver's Ready loop (agent/runtime/node.c) with
 * the real Raft core and real storage, two nodes on one libuv loop:
 *   - an entry is applied only once it is on disk (storage last index >=
 *     entry index when the apply callback runs), in order, exactly once;
 *   - inputs that arrive while a write is in flight are queued, not lost;
 *   - a restart replays the committed entries from the data directory;
 *   - stopping while a write is in flight frees everything once the write
 *     completes, and nothing is sent or applied after stop (LSan, counters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/node.h"

#define N_NODES 2
#define MAX_APPLIED 256

struct member {
	struct harness *h;
	raft_id_t id;
	struct pgq_node *node;
	char dir[256];
	uint64_t applied[MAX_APPLIED]; /* payload numbers, in apply order */
	size_t n_applied;
	bool applied_before_durable;
	size_t sent_after_stop;
	bool stopped;
	int fatal;
};

struct harness {
	uv_loop_t loop;
	char root[128];
	struct member m[N_NODES];
};

static struct member *peer(struct harness *h, raft_id_t id)
{
	for (int i = 0; i < N_NODES; i++)
		if (h->m[i].id == id)
			return &h->m[i];
	return NULL;
}

static void cb_send(void *ctx, const struct raft_msg *msg)
{
	struct member *me = ctx;
	struct member *to = peer(me->h, msg->to);

	if (me->stopped)
		me->sent_after_stop++;
	if (to != NULL && to->node != NULL && !to->stopped)
		pgq_node_step(to->node, msg); /* copied by the driver when busy */
}

static void cb_apply(void *ctx, const struct raft_entry *e)
{
	struct member *me = ctx;
	uint64_t v = 0;

	if (e->type != RAFT_ENTRY_NORMAL || e->len != 8)
		return;
	memcpy(&v, e->data, 8);
	if (pgq_storage_last_index(pgq_node_storage(me->node)) < e->index)
		me->applied_before_durable = true;
	if (me->n_applied < MAX_APPLIED)
		me->applied[me->n_applied++] = v;
}

static void cb_restore(void *ctx, const struct raft_snapshot *s) {}
static void cb_changed(void *ctx) {}
static void cb_fatal(void *ctx, const char *message)
{
	struct member *me = ctx;
	me->fatal++;
}

static const struct pgq_node_callbacks callbacks = {
	cb_send, cb_apply, cb_restore, cb_changed, cb_fatal,
};

static void start_member(struct harness *h, int i)
{
	struct member *me = &h->m[i];
	struct pgq_storage *st = NULL;
	struct pgq_node_options o;
	char err[256];

	memset(&o, 0, sizeof o);
	o.raft.id = me->id;
	o.raft.election_ticks = 5 + 5 * (uint32_t)i; /* node 1 wins the first election */
	o.raft.heartbeat_ticks = 1;
	o.raft.pre_vote = true;
	o.raft.check_quorum = true;
	o.raft.max_inflight = 16;
	o.raft.seed = 42;
	o.has_initial = true;
	o.initial.n = N_NODES;
	for (int j = 0; j < N_NODES; j++)
		o.initial.members[j] = (struct raft_member){ h->m[j].id, true };
	assert_int_equal(pgq_storage_open(me->dir, &st, err, sizeof err), 0);
	me->stopped = false;
	me->n_applied = 0;
	assert_int_equal(pgq_node_new(&h->loop, st, &o, &callbacks, me, &me->node, err, sizeof err), 0);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	snprintf(h->root, sizeof h->root, "/tmp/pgq-test-node.XXXXXX");
	assert_non_null(mkdtemp(h->root));
	assert_int_equal(uv_loop_init(&h->loop), 0);
	for (int i = 0; i < N_NODES; i++) {
		h->m[i].h = h;
		h->m[i].id = (raft_id_t)(i + 1);
		snprintf(h->m[i].dir, sizeof h->m[i].dir, "%s/n%d", h->root, i + 1);
	}
	for (int i = 0; i < N_NODES; i++)
		start_member(h, i);
	*state = h;
	return 0;
}

static void stop_member(struct harness *h, int i)
{
	h->m[i].stopped = true;
	pgq_node_stop(h->m[i].node);
	h->m[i].node = NULL;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	char cmd[200];

	for (int i = 0; i < N_NODES; i++)
		if (h->m[i].node != NULL)
			stop_member(h, i);
	uv_run(&h->loop, UV_RUN_DEFAULT); /* let in-flight writes finish and free */
	assert_int_equal(uv_loop_close(&h->loop), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->root);
	assert_int_equal(system(cmd), 0);
	free(h);
	return 0;
}

/* Tick every running node, then let the loop finish pending writes. */
static void tick_all(struct harness *h)
{
	for (int i = 0; i < N_NODES; i++)
		if (h->m[i].node != NULL)
			pgq_node_tick(h->m[i].node);
	for (int k = 0; k < 20; k++)
		uv_run(&h->loop, UV_RUN_NOWAIT);
}

static struct member *wait_leader(struct harness *h)
{
	for (int t = 0; t < 500; t++) {
		for (int i = 0; i < N_NODES; i++)
			if (h->m[i].node != NULL &&
			    raft_role(pgq_node_raft(h->m[i].node)) == RAFT_LEADER)
				return &h->m[i];
		tick_all(h);
		usleep(1000);
	}
	return NULL;
}

static void propose_n(struct member *l, uint64_t from, uint64_t to)
{
	for (uint64_t v = from; v <= to; v++)
		assert_int_equal(pgq_node_propose(l->node, (const uint8_t *)&v, 8), RAFT_OK);
}

static bool all_applied(struct harness *h, size_t n)
{
	for (int i = 0; i < N_NODES; i++)
		if (h->m[i].node != NULL && h->m[i].n_applied < n)
			return false;
	return true;
}

static void wait_applied(struct harness *h, size_t n)
{
	for (int t = 0; t < 2000 && !all_applied(h, n); t++) {
		tick_all(h);
		usleep(500);
	}
	assert_true(all_applied(h, n));
}

static void test_apply_only_after_durable_in_order(void **state)
{
	struct harness *h = *state;
	struct member *l = wait_leader(h);

	assert_non_null(l);
	/* Proposed back to back: most arrive while the first write is in flight. */
	propose_n(l, 1, 50);
	wait_applied(h, 50);
	for (int i = 0; i < N_NODES; i++) {
		assert_int_equal(h->m[i].n_applied, 50);
		for (size_t k = 0; k < 50; k++)
			assert_int_equal(h->m[i].applied[k], k + 1);
		assert_false(h->m[i].applied_before_durable);
		assert_int_equal(h->m[i].fatal, 0);
	}
	struct pgq_node_stats st;
	pgq_node_stats(l->node, &st);
	assert_true(st.persists > 0);
	assert_int_equal(st.dropped_inputs, 0);
}

static void test_restart_replays_committed_entries(void **state)
{
	struct harness *h = *state;
	struct member *l = wait_leader(h);

	assert_non_null(l);
	propose_n(l, 1, 10);
	wait_applied(h, 10);
	for (int i = 0; i < N_NODES; i++)
		stop_member(h, i);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	for (int i = 0; i < N_NODES; i++)
		start_member(h, i);
	l = wait_leader(h);
	assert_non_null(l);
	wait_applied(h, 10);
	for (int i = 0; i < N_NODES; i++)
		for (size_t k = 0; k < 10; k++)
			assert_int_equal(h->m[i].applied[k], k + 1);
}

static void test_stop_while_writing(void **state)
{
	struct harness *h = *state;
	struct member *l = wait_leader(h);
	size_t before;

	assert_non_null(l);
	propose_n(l, 1, 5); /* the first write is queued to the thread pool now */
	before = l->n_applied;
	stop_member(h, (int)(l - h->m));
	uv_run(&h->loop, UV_RUN_DEFAULT); /* completion arrives: stale, ignored, freed */
	assert_int_equal(l->n_applied, before);
	assert_int_equal(l->sent_after_stop, 0);
	assert_int_equal(l->fatal, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_only_after_durable_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_replays_committed_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_writing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_raft_replication.c — log replication and commitment, one test per rule
 * (Raft paper §5.3, §5.4.2, Figure 2 AppendEntries receiver, Figure 8) plus
 * flow control, batching and the ready/advance contract (SAFETY.md L1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "raft_test_net.h"

static void step_ok(struct raft_node *n, struct raft_msg m)
{
	assert_int_equal(raft_step(n, &m), RAFT_OK);
}

static struct raft_msg append_msg(raft_id_t from, raft_id_t to, raft_term_t term,
				  raft_index_t prev, raft_term_t prev_term,
				  struct raft_entry *ents, uint32_t n, raft_index_t commit)
{
	struct raft_msg m = tmsg_make(RAFT_MSG_APPEND, from, to, term);
	m.index = prev;
	m.log_term = prev_term;
	m.entries = ents;
	m.n_entries = n;
	m.commit = commit;
	return m;
}

static struct raft_msg ack(raft_id_t from, raft_id_t to, raft_term_t term, raft_index_t index)
{
	struct raft_msg m = tmsg_make(RAFT_MSG_APPEND_RESP, from, to, term);
	m.index = index;
	return m;
}

static void propose_str(struct raft_node *n, const char *s)
{
	assert_int_equal(raft_propose(n, (const uint8_t *)s, strlen(s)), RAFT_OK);
}

/* §5.3: the leader appends, replicates, and once a majority stores the entry
 * it is committed and every node applies it. */
static void test_leader_replicates_and_commits_entry(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	assert_int_equal(tnet_propose(net, 1, "hello"), RAFT_OK);
	tnet_stabilize(net);
	tnet_tick(net, 1, 1); /* a heartbeat carries the commit index */
	tnet_stabilize(net);
	for (raft_id_t id = 1; id <= 3; id++) {
		/* 1-3 bootstrap configuration, 4 no-op, 5 "hello" */
		assert_int_equal(raft_commit_index(tnet_node(net, id)), 5);
		assert_int_equal(net->app[id].n_normal, 1);
		assert_string_equal(net->app[id].last_data, "hello");
		assert_int_equal(raft_applied_index(tnet_node(net, id)), 5);
	}
	tnet_free(net);
}

/* L1: the leader's APPENDs may leave before its own entries are durable. */
static void test_leader_appends_leave_before_persist(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	tnode_make_leader(n, 2);
	struct tcollect c = { 0 };
	tcollect_once(n, &c);
	assert_int_equal(c.n_entries, 4); /* bootstrap configuration + no-op */
	assert_int_equal(tcollect_count(&c, RAFT_MSG_APPEND), 2);
	for (size_t i = 0; i < c.n; i++)
		if (c.msgs[i].m.type == RAFT_MSG_APPEND)
			assert_false(c.msgs[i].after_persist);
	tcollect_free(&c);
	raft_free(n);
}

/* L1: the leader counts itself towards the quorum only once raft_advance()
 * reported its entry persisted. */
static void test_leader_counts_itself_only_after_persist(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	tnode_make_leader(n, 2);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, ack(2, 1, 1, 4));
	tcollect(n, &c);
	assert_int_equal(raft_commit_index(n), 4);
	propose_str(n, "x"); /* index 5, not yet persisted by the leader */
	step_ok(n, ack(3, 1, 1, 5)); /* a follower already has it */
	assert_int_equal(raft_commit_index(n), 4);
	tcollect_once(n, &c); /* persist + advance */
	assert_int_equal(raft_commit_index(n), 5);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2: a follower answers an AppendEntries only after persisting it. */
static void test_follower_acks_append_only_after_persist(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(2, 3, NULL);
	struct raft_entry e[2] = { { 1, 1, RAFT_ENTRY_NOOP, 0, NULL },
				   { 1, 2, RAFT_ENTRY_NORMAL, 1, (uint8_t *)"a" } };
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 2, 0));
	struct tcollect c = { 0 };
	tcollect_once(n, &c);
	assert_int_equal(c.n_entries, 2);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1);
	assert_non_null(r);
	assert_true(r->after_persist);
	assert_false(r->m.reject);
	assert_int_equal(r->m.index, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2 receiver rule 2: reply false if the log has no entry at prevLogIndex
 * whose term matches prevLogTerm. */
static void test_follower_rejects_append_with_mismatched_prev(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1 };
	struct raft_node *n = tnode_with_log(2, 3, terms, 1, 2, NULL);
	struct raft_entry e = { 2, 2, RAFT_ENTRY_NORMAL, 0, NULL };
	step_ok(n, append_msg(1, 2, 2, 1, 2, &e, 1, 0));
	struct tcollect c = { 0 };
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1);
	assert_non_null(r);
	assert_true(r->m.reject);
	assert_int_equal(r->m.index, 1);
	assert_int_equal(raft_last_index(n), 1);
	assert_int_equal(raft_term_at(n, 1), 1);
	assert_int_equal(c.n_entries, 0);
	tcollect_free(&c);
	raft_free(n);
}

/* ...including when prevLogIndex is past the end of its log. */
static void test_follower_rejects_append_beyond_its_log(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(2, 3, NULL);
	step_ok(n, append_msg(1, 2, 1, 5, 1, NULL, 0, 0));
	struct tcollect c = { 0 };
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1);
	assert_true(r->m.reject);
	assert_int_equal(r->m.index, 5);
	assert_int_equal(r->m.reject_hint, 0);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2 receiver rule 3: an existing entry that conflicts with a new one
 * (same index, different term) is deleted with all that follow it; storage
 * learns it through ready.truncate_from. */
static void test_follower_truncates_conflicting_entries(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1, 1, 1 };
	struct raft_node *n = tnode_with_log(2, 3, terms, 3, 1, NULL);
	struct raft_entry e = { 2, 2, RAFT_ENTRY_NORMAL, 1, (uint8_t *)"b" };
	step_ok(n, append_msg(1, 2, 2, 1, 1, &e, 1, 0));
	struct tcollect c = { 0 };
	tcollect_once(n, &c);
	assert_int_equal(c.truncate_from, 2);
	assert_int_equal(c.n_entries, 1);
	assert_int_equal(c.first_entry, 2);
	assert_int_equal(raft_last_index(n), 2);
	assert_int_equal(raft_term_at(n, 2), 2);
	assert_false(raft_has_ready(n));
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2 receiver rule 4: append only entries not already in the log; a
 * delayed, shorter copy of an AppendEntries must not truncate anything. */
static void test_follower_keeps_entries_it_already_has(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1, 1 };
	struct raft_node *n = tnode_with_log(2, 3, terms, 2, 1, NULL);
	struct raft_entry e[2] = { { 1, 1, RAFT_ENTRY_NORMAL, 0, NULL },
				   { 1, 2, RAFT_ENTRY_NORMAL, 0, NULL } };
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 1, 0)); /* stale: only entry 1 */
	struct tcollect c = { 0 };
	tcollect(n, &c);
	assert_int_equal(c.truncate_from, 0);
	assert_int_equal(c.n_entries, 0);
	assert_int_equal(raft_last_index(n), 2);
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 2, 0)); /* duplicate */
	tcollect(n, &c);
	assert_int_equal(c.n_entries, 0);
	assert_int_equal(tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1)->m.index, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2 receiver rule 5: commitIndex = min(leaderCommit, index of last new
 * entry), and it never goes backwards. */
static void test_follower_commit_is_min_of_leader_commit_and_last_new(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(2, 3, NULL);
	struct raft_entry e[2] = { { 1, 1, RAFT_ENTRY_NORMAL, 0, NULL },
				   { 1, 2, RAFT_ENTRY_NORMAL, 0, NULL } };
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 2, 5));
	assert_int_equal(raft_commit_index(n), 2);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, append_msg(1, 2, 1, 2, 1, NULL, 0, 1));
	assert_int_equal(raft_commit_index(n), 2);
	tcollect_free(&c);
	raft_free(n);
}

/* An AppendEntries whose prev is below our commit index is answered with the
 * commit index: everything up to it is already agreed. */
static void test_follower_answers_old_append_with_commit_index(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(2, 3, NULL);
	struct raft_entry e[2] = { { 1, 1, RAFT_ENTRY_NORMAL, 0, NULL },
				   { 1, 2, RAFT_ENTRY_NORMAL, 0, NULL } };
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 2, 2));
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, append_msg(1, 2, 1, 0, 0, e, 1, 2));
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1);
	assert_false(r->m.reject);
	assert_int_equal(r->m.index, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* §5.4.2 / Figure 8: a leader never commits an entry from a previous term by
 * counting replicas; it does once an entry of its own term is replicated,
 * which commits the earlier entries with it. */
static void test_leader_never_commits_previous_term_entry_by_counting(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1, 2 };
	struct raft_node *n = tnode_with_log(1, 3, terms, 2, 2, NULL);
	tnode_make_leader(n, 2); /* term 3, no-op at index 3 */
	assert_int_equal(raft_term(n), 3);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, ack(2, 1, 3, 2)); /* a majority holds index 2 (term 2) */
	tcollect(n, &c);
	assert_int_equal(raft_commit_index(n), 0);
	step_ok(n, ack(2, 1, 3, 3)); /* ...and now the term-3 no-op */
	assert_int_equal(raft_commit_index(n), 3);
	tcollect(n, &c);
	assert_int_equal(c.last_committed, 3);
	assert_int_equal(c.n_committed, 3);
	tcollect_free(&c);
	raft_free(n);
}

/* Two nodes passing messages by hand; returns how many APPENDs were refused. */
static int pump(struct raft_node *a, struct raft_node *b, int rounds)
{
	int rejects = 0;
	struct tcollect c = { 0 };
	for (int i = 0; i < rounds; i++) {
		struct raft_node *src = i % 2 ? b : a, *dst = i % 2 ? a : b;
		tcollect(src, &c);
		for (size_t k = 0; k < c.n; k++) {
			if (c.msgs[k].m.to != raft_id(dst))
				continue;
			if (c.msgs[k].m.type == RAFT_MSG_APPEND_RESP && c.msgs[k].m.reject)
				rejects++;
			step_ok(dst, c.msgs[k].m);
		}
	}
	tcollect_free(&c);
	return rejects;
}

/* §5.3 optimisation: with the conflicting term and the first index the
 * follower can offer, the leader skips a whole term per round trip. */
static void test_fast_backoff_skips_conflicting_terms(void **state)
{
	(void)state;
	const raft_term_t lt[] = { 1, 1, 1, 1, 1, 4, 4, 4, 4 };
	const raft_term_t ft[] = { 1, 1, 2, 2, 2, 2, 2 };
	struct raft_node *l = tnode_with_log(1, 3, lt, 9, 4, NULL);
	struct raft_node *f = tnode_with_log(2, 3, ft, 7, 2, NULL);
	tnode_make_leader(l, 2);
	int rejects = pump(l, f, 12);
	assert_true(rejects >= 1 && rejects <= 2); /* one per term, not per entry */
	assert_int_equal(raft_last_index(f), 10);
	for (raft_index_t i = 1; i <= 10; i++)
		assert_int_equal(raft_term_at(f, i), raft_term_at(l, i));
	raft_free(l);
	raft_free(f);
}

static void tweak_inflight(struct raft_options *o)
{
	o->max_inflight = 2;
	o->max_entries_per_msg = 1;
}

/* Flow control: in REPLICATE state at most max_inflight APPENDs are
 * unacknowledged; acknowledgements release the rest. */
static void test_max_inflight_limits_pipelined_appends(void **state)
{
	(void)state;
	struct tnet *net = tnet_new_with(3, 3, tweak_inflight);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *l = tnet_node(net, 1);
	for (int i = 0; i < 5; i++)
		propose_str(l, "e");
	tnet_flush(net, 1);
	assert_int_equal(tnet_count(net, RAFT_MSG_APPEND, 2), 2);
	assert_int_equal(tnet_count(net, RAFT_MSG_APPEND, 3), 2);
	struct raft_progress pr[3];
	assert_int_equal(raft_progress(l, pr, 3), 3);
	for (int i = 0; i < 3; i++)
		if (pr[i].id != 1)
			assert_int_equal(pr[i].inflight, 2);
	tnet_stabilize(net);
	assert_int_equal(raft_commit_index(l), 9);
	assert_true(tnet_logs_match(net, 9));
	tnet_free(net);
}

static void tweak_batch(struct raft_options *o)
{
	o->max_entries_per_msg = 2;
}

/* max_entries_per_msg cuts a batch into several APPENDs. */
static void test_max_entries_per_msg_splits_batches(void **state)
{
	(void)state;
	struct tnet *net = tnet_new_with(3, 3, tweak_batch);
	assert_int_equal(tnet_elect(net, 1), 1);
	for (int i = 0; i < 5; i++)
		propose_str(tnet_node(net, 1), "e");
	tnet_flush(net, 1);
	assert_int_equal(tnet_count(net, RAFT_MSG_APPEND, 2), 3);
	for (size_t i = 0; i < net->nq; i++)
		assert_true(net->q[i].m.n_entries <= 2);
	tnet_stabilize(net);
	assert_int_equal(raft_commit_index(tnet_node(net, 1)), 9);
	tnet_free(net);
}

/* Batching: proposals between two readies leave as one APPEND per follower. */
static void test_batched_proposals_leave_as_one_message(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	for (int i = 0; i < 100; i++)
		propose_str(tnet_node(net, 1), "e");
	tnet_flush(net, 1);
	assert_int_equal(tnet_count(net, RAFT_MSG_APPEND, 2), 1);
	assert_int_equal(tnet_count(net, RAFT_MSG_APPEND, 3), 1);
	assert_int_equal(net->q[0].m.n_entries, 100);
	tnet_stabilize(net);
	assert_int_equal(raft_commit_index(tnet_node(net, 1)), 104);
	tnet_free(net);
}

/* PROBE: until a follower accepts, only one APPEND is outstanding; a
 * heartbeat answer lets the leader probe again. */
static void test_probe_sends_one_append_at_a_time(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	tnode_make_leader(n, 2);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	assert_int_equal(tcollect_count(&c, RAFT_MSG_APPEND), 2);
	propose_str(n, "a");
	propose_str(n, "b");
	tcollect(n, &c);
	assert_int_equal(tcollect_count(&c, RAFT_MSG_APPEND), 0);
	step_ok(n, tmsg_make(RAFT_MSG_HEARTBEAT_RESP, 3, 1, 1));
	tcollect(n, &c);
	assert_non_null(tcollect_find(&c, RAFT_MSG_APPEND, 3));
	assert_null(tcollect_find(&c, RAFT_MSG_APPEND, 2));
	/* An accept moves 2 to REPLICATE and releases the rest at once. */
	step_ok(n, ack(2, 1, 1, 4));
	tcollect(n, &c);
	const struct tmsg *a = tcollect_find(&c, RAFT_MSG_APPEND, 2);
	assert_non_null(a);
	assert_int_equal(a->m.n_entries, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* A heartbeat never tells a follower to commit past what it is known to hold. */
static void test_heartbeat_commit_is_min_of_match_and_commit(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	tnode_make_leader(n, 2);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, ack(2, 1, 1, 4));
	tcollect(n, &c);
	assert_int_equal(raft_commit_index(n), 4);
	raft_tick(n);
	tcollect(n, &c);
	assert_int_equal(tcollect_find(&c, RAFT_MSG_HEARTBEAT, 2)->m.commit, 4);
	assert_int_equal(tcollect_find(&c, RAFT_MSG_HEARTBEAT, 3)->m.commit, 0);
	tcollect_free(&c);
	raft_free(n);
}

/* State Machine Safety: every node applies the same entries in the same order. */
static void test_committed_entries_applied_in_order_everywhere(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	char buf[8];
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "e%d", i);
		assert_int_equal(tnet_propose(net, 1, buf), RAFT_OK);
		tnet_stabilize(net);
	}
	tnet_tick(net, 1, 1);
	tnet_stabilize(net);
	for (raft_id_t id = 1; id <= 3; id++) {
		assert_int_equal(net->app[id].n_normal, 10);
		assert_string_equal(net->app[id].last_data, "e9");
		assert_int_equal(net->app[id].last_index, 14);
	}
	tnet_free(net);
}

/* Log Matching after a leader change: the old leader's uncommitted entries
 * are overwritten by the new leader's log. */
static void test_logs_converge_after_leader_change(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_isolate(net, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tnet_propose(net, 1, "lost"), RAFT_OK);
	tnet_drop_queue(net);
	assert_int_equal(raft_last_index(tnet_node(net, 1)), 7);
	assert_int_equal(tnet_elect(net, 2), 2);
	assert_int_equal(tnet_propose(net, 2, "kept"), RAFT_OK);
	tnet_stabilize(net);
	tnet_heal(net);
	tnet_tick(net, 2, 1);
	tnet_stabilize(net);
	tnet_tick(net, 2, 1);
	tnet_stabilize(net);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_FOLLOWER);
	/* 1-4 of term 1, then node 2's no-op (5) and "kept" (6) */
	assert_int_equal(raft_last_index(tnet_node(net, 1)), 6);
	assert_true(tnet_logs_match(net, 6));
	assert_int_equal(net->store[1].n_ents, 6); /* storage truncated too */
	assert_string_equal(net->app[1].last_data, "kept");
	tnet_free(net);
}

/* With check-quorum, a follower tells a leader of an older term its term. */
static void test_append_from_stale_leader_answered_with_current_term(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(2);
	o.check_quorum = true;
	struct raft_node *n = tnode_new(2, 3, &o);
	step_ok(n, tmsg_make(RAFT_MSG_HEARTBEAT, 3, 2, 3));
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, append_msg(1, 2, 2, 0, 0, NULL, 0, 0));
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_APPEND_RESP, 1);
	assert_non_null(r);
	assert_int_equal(r->m.term, 3);
	assert_int_equal(raft_term(n), 3);
	assert_int_equal(raft_leader(n), 3);
	tcollect_free(&c);
	raft_free(n);
}

/* A restarted node recovers its log and commit index from storage and
 * re-applies the committed entries. */
static void test_restart_recovers_log_and_reapplies(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	assert_int_equal(tnet_propose(net, 1, "a"), RAFT_OK);
	tnet_stabilize(net);
	tnet_tick(net, 1, 1);
	tnet_stabilize(net);
	tnet_restart(net, 2);
	struct raft_node *n = tnet_node(net, 2);
	assert_int_equal(raft_last_index(n), 5);
	assert_int_equal(raft_commit_index(n), 5);
	assert_int_equal(raft_applied_index(n), 0);
	tnet_flush(net, 2);
	assert_int_equal(net->app[2].n_normal, 1);
	assert_int_equal(raft_applied_index(n), 5);
	tnet_free(net);
}

/* Only the leader takes proposals; oversized ones are refused. */
static void test_proposal_rules(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(1);
	o.max_entry_bytes = 4;
	struct raft_node *n = tnode_new(1, 1, &o);
	assert_int_equal(raft_propose(n, (const uint8_t *)"a", 1), RAFT_ERR_NOT_LEADER);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	assert_int_equal(raft_propose(n, (const uint8_t *)"12345", 5), RAFT_ERR_TOO_BIG);
	assert_int_equal(raft_propose(n, NULL, 3), RAFT_ERR_INVALID);
	assert_int_equal(raft_propose(n, (const uint8_t *)"1234", 4), RAFT_OK);
	assert_int_equal(raft_propose(n, NULL, 0), RAFT_OK);
	assert_int_equal(raft_last_index(n), 4); /* bootstrap, no-op, two proposals */
	raft_free(n);
}

/* An unreachable peer in REPLICATE falls back to PROBE. */
static void test_report_unreachable_moves_peer_to_probe(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *l = tnet_node(net, 1);
	struct raft_progress pr[3];
	raft_progress(l, pr, 3);
	for (int i = 0; i < 3; i++)
		if (pr[i].id == 2)
			assert_int_equal(pr[i].state, RAFT_PROGRESS_REPLICATE);
	raft_report_unreachable(l, 2);
	raft_progress(l, pr, 3);
	for (int i = 0; i < 3; i++)
		if (pr[i].id == 2)
			assert_int_equal(pr[i].state, RAFT_PROGRESS_PROBE);
	tnet_free(net);
}

/* The ready/advance contract: a ready appears only when there is work, the
 * hard state only when it changed, and a stale advance is ignored. */
static void test_ready_advance_contract(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 1, NULL);
	assert_false(raft_has_ready(n));
	assert_int_equal(raft_campaign(n), RAFT_OK);
	assert_true(raft_has_ready(n));
	struct raft_ready rd, old;
	raft_ready(n, &rd);
	assert_true(rd.has_hard_state);
	assert_int_equal(rd.hard_state.term, 1);
	assert_int_equal(rd.hard_state.vote, 1);
	assert_true(rd.soft_state_changed);
	assert_int_equal(rd.n_entries, 2); /* bootstrap configuration + no-op */
	assert_int_equal(rd.n_committed, 0); /* not persisted yet: not committed */
	assert_false(raft_has_ready(n)); /* nothing more until advance */
	old = rd;
	raft_advance(n, &rd);
	assert_true(raft_has_ready(n)); /* the no-op commits once persisted */
	raft_ready(n, &rd);
	assert_true(rd.has_hard_state);
	assert_int_equal(rd.hard_state.commit, 2);
	assert_int_equal(rd.n_committed, 2);
	assert_int_equal(rd.n_entries, 0);
	assert_false(rd.soft_state_changed);
	raft_advance(n, &old); /* stale completion: ignored */
	assert_int_equal(raft_applied_index(n), 0);
	raft_advance(n, &rd);
	assert_int_equal(raft_applied_index(n), 2);
	assert_false(raft_has_ready(n));
	raft_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_replicates_and_commits_entry),
		cmocka_unit_test(test_leader_appends_leave_before_persist),
		cmocka_unit_test(test_leader_counts_itself_only_after_persist),
		cmocka_unit_test(test_follower_acks_append_only_after_persist),
		cmocka_unit_test(test_follower_rejects_append_with_mismatched_prev),
		cmocka_unit_test(test_follower_rejects_append_beyond_its_log),
		cmocka_unit_test(test_follower_truncates_conflicting_entries),
		cmocka_unit_test(test_follower_keeps_entries_it_already_has),
		cmocka_unit_test(test_follower_commit_is_min_of_leader_commit_and_last_new),
		cmocka_unit_test(test_follower_answers_old_append_with_commit_index),
		cmocka_unit_test(test_leader_never_commits_previous_term_entry_by_counting),
		cmocka_unit_test(test_fast_backoff_skips_conflicting_terms),
		cmocka_unit_test(test_max_inflight_limits_pipelined_appends),
		cmocka_unit_test(test_max_entries_per_msg_splits_batches),
		cmocka_unit_test(test_batched_proposals_leave_as_one_message),
		cmocka_unit_test(test_probe_sends_one_append_at_a_time),
		cmocka_unit_test(test_heartbeat_commit_is_min_of_match_and_commit),
		cmocka_unit_test(test_committed_entries_applied_in_order_everywhere),
		cmocka_unit_test(test_logs_converge_after_leader_change),
		cmocka_unit_test(test_append_from_stale_leader_answered_with_current_term),
		cmocka_unit_test(test_restart_recovers_log_and_reapplies),
		cmocka_unit_test(test_proposal_rules),
		cmocka_unit_test(test_report_unreachable_moves_peer_to_probe),
		cmocka_unit_test(test_ready_advance_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

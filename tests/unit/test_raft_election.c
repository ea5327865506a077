/*
 * test_raft_election.c — leader election, one test per rule (Raft paper §5.2,
 * §5.4.1, Figure 2; dissertation §9.6 pre-vote, §6.2 check-quorum).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "raft_test_net.h"

static void step_ok(struct raft_node *n, struct raft_msg m)
{
	assert_int_equal(raft_step(n, &m), RAFT_OK);
}

static struct raft_msg vote_req(uint8_t type, raft_id_t from, raft_id_t to, raft_term_t term,
				raft_term_t log_term, raft_index_t index)
{
	struct raft_msg m = tmsg_make(type, from, to, term);
	m.log_term = log_term;
	m.index = index;
	return m;
}

static bool config_has_voter(const struct raft_config *c, raft_id_t id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->members[i].id == id)
			return c->members[i].voter;
	return false;
}

static unsigned ticks_until_campaign(struct raft_node *n)
{
	unsigned t = 0;
	raft_term_t start = raft_term(n);
	while (raft_role(n) == RAFT_FOLLOWER || raft_term(n) == start) {
		raft_tick(n);
		t++;
		if (raft_role(n) != RAFT_FOLLOWER)
			break;
		assert_true(t < 1000);
	}
	return t;
}

/* A node with a persisted log: entries with the given terms (index 1..k). */
static struct raft_node *node_with_log(raft_id_t id, size_t voters, const raft_term_t *terms,
				       size_t k, raft_term_t term)
{
	struct raft_entry ents[16];
	for (size_t i = 0; i < k; i++)
		ents[i] = (struct raft_entry){ terms[i], i + 1, RAFT_ENTRY_NORMAL, 0, NULL };
	struct raft_config c = { .n = (uint32_t)voters };
	for (size_t i = 0; i < voters; i++)
		c.members[i] = (struct raft_member){ i + 1, true };
	struct raft_persisted p = { .hard_state = { term, 0, 0 }, .entries = ents, .n_entries = k };
	struct raft_options o = tnet_default_options(id);
	struct raft_node *n = NULL;
	assert_int_equal(raft_new(&o, &c, &p, &n), RAFT_OK);
	return n;
}

/* §5.2: "When servers start up, they begin as followers." */
static void test_servers_start_as_followers(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	assert_int_equal(raft_role(n), RAFT_FOLLOWER);
	assert_int_equal(raft_term(n), 0);
	assert_int_equal(raft_vote(n), RAFT_NONE);
	assert_int_equal(raft_leader(n), RAFT_NONE);
	assert_false(raft_has_ready(n));
	raft_free(n);
}

/* §5.2: a follower that hears nothing for an election timeout becomes a
 * candidate: increments its term, votes for itself, asks every other voter. */
static void test_follower_campaigns_after_election_timeout(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	ticks_until_campaign(n);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	assert_int_equal(raft_term(n), 1);
	assert_int_equal(raft_vote(n), 1);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	assert_true(c.has_hs);
	assert_int_equal(c.hs.term, 1);
	assert_int_equal(c.hs.vote, 1);
	assert_int_equal(tcollect_count(&c, RAFT_MSG_VOTE), 2);
	for (raft_id_t to = 2; to <= 3; to++) {
		const struct tmsg *t = tcollect_find(&c, RAFT_MSG_VOTE, to);
		assert_non_null(t);
		assert_true(t->after_persist); /* own vote must be durable first */
		assert_int_equal(t->m.term, 1);
		assert_int_equal(t->m.log_term, 0);
		assert_int_equal(t->m.index, 0);
	}
	tcollect_free(&c);
	raft_free(n);
}

/* §5.2: election timeouts are chosen randomly from [E, 2E). */
static void test_election_timeout_is_randomized_in_range(void **state)
{
	(void)state;
	bool seen[20] = { false };
	size_t distinct = 0;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct raft_options o = tnet_default_options(1);
		o.seed = seed;
		struct raft_node *n = tnode_new(1, 3, &o);
		unsigned t = ticks_until_campaign(n);
		assert_true(t >= 10 && t < 20);
		if (!seen[t]) {
			seen[t] = true;
			distinct++;
		}
		raft_free(n);
	}
	assert_true(distinct >= 5);
}

/* Determinism: the same seed gives the same sequence of timeouts. */
static void test_same_seed_gives_same_timeouts(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(1);
	o.seed = 7;
	struct raft_node *a = tnode_new(1, 3, &o);
	struct raft_node *b = tnode_new(1, 3, &o);
	o.seed = 8;
	struct raft_node *c = tnode_new(1, 3, &o);
	bool differs = false;
	for (int round = 0; round < 20; round++) {
		unsigned ta = ticks_until_campaign(a);
		unsigned tb = ticks_until_campaign(b);
		unsigned tc = ticks_until_campaign(c);
		assert_int_equal(ta, tb);
		if (ta != tc)
			differs = true;
	}
	assert_true(differs);
	raft_free(a);
	raft_free(b);
	raft_free(c);
}

/* §5.2: a candidate that receives votes from a majority becomes leader. */
static void test_candidate_wins_with_majority(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	assert_int_equal(raft_term(tnet_node(net, 1)), 1);
	for (raft_id_t id = 2; id <= 3; id++) {
		assert_int_equal(raft_role(tnet_node(net, id)), RAFT_FOLLOWER);
		assert_int_equal(raft_leader(tnet_node(net, id)), 1);
		assert_int_equal(raft_vote(tnet_node(net, id)), 1);
	}
	tnet_free(net);
}

/* A majority is enough: 3 of 5 elect a leader while 2 are unreachable. */
static void test_candidate_wins_with_three_of_five(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(5, 5, false, false);
	tnet_isolate(net, 4);
	tnet_isolate(net, 5);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_free(net);
}

/* §5.2: without a majority the candidate stays candidate, then times out and
 * starts a new election with a higher term. */
static void test_candidate_without_majority_starts_new_election(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	tnet_isolate(net, 1);
	assert_int_equal(tnet_elect(net, 1), RAFT_NONE);
	struct raft_node *n = tnet_node(net, 1);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	assert_int_equal(raft_term(n), 1);
	tnet_tick(net, 1, 20);
	tnet_drop_queue(net);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	assert_true(raft_term(n) >= 2);
	tnet_free(net);
}

/* §5.2: a candidate that receives AppendEntries from a leader of its own term
 * recognises it and returns to follower. */
static void test_candidate_steps_down_on_append_of_same_term(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	struct raft_msg m = tmsg_make(RAFT_MSG_APPEND, 2, 1, 1);
	step_ok(n, m);
	assert_int_equal(raft_role(n), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(n), 2);
	assert_int_equal(raft_term(n), 1);
	raft_free(n);
}

/* §5.2: each server votes for at most one candidate in a given term. */
static void test_vote_granted_at_most_once_per_term(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	struct tcollect c = { 0 };
	step_ok(n, vote_req(RAFT_MSG_VOTE, 2, 1, 1, 0, 0));
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 2);
	assert_non_null(r);
	assert_false(r->m.reject);
	assert_int_equal(raft_vote(n), 2);

	step_ok(n, vote_req(RAFT_MSG_VOTE, 3, 1, 1, 0, 0));
	tcollect(n, &c);
	r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 3);
	assert_non_null(r);
	assert_true(r->m.reject);
	assert_int_equal(raft_vote(n), 2);

	/* The same candidate asking again (a retransmission) gets the same answer. */
	step_ok(n, vote_req(RAFT_MSG_VOTE, 2, 1, 1, 0, 0));
	tcollect(n, &c);
	r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 2);
	assert_non_null(r);
	assert_false(r->m.reject);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2: "respond to RPCs only after updating stable storage": the vote
 * response leaves after the ready's hard state, which carries the vote. */
static void test_vote_response_sent_only_after_vote_persisted(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	struct tcollect c = { 0 };
	step_ok(n, vote_req(RAFT_MSG_VOTE, 2, 1, 1, 0, 0));
	tcollect_once(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 2);
	assert_non_null(r);
	assert_false(r->m.reject);
	assert_true(r->after_persist);
	assert_true(c.has_hs);
	assert_int_equal(c.hs.term, 1);
	assert_int_equal(c.hs.vote, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2, RequestVote receiver rule 1: reply false if term < currentTerm. */
static void test_stale_term_vote_request_rejected(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	step_ok(n, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 5));
	assert_int_equal(raft_term(n), 5);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	step_ok(n, vote_req(RAFT_MSG_VOTE, 3, 1, 4, 0, 0));
	tcollect(n, &c);
	assert_null(tcollect_find(&c, RAFT_MSG_VOTE_RESP, 3));
	assert_int_equal(raft_term(n), 5);
	assert_int_equal(raft_vote(n), RAFT_NONE);
	tcollect_free(&c);
	raft_free(n);
}

/* §5.4.1: a voter denies its vote if its last log term is more recent. */
static void test_candidate_with_older_last_term_loses(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1, 2 };
	struct raft_node *n = node_with_log(1, 3, terms, 2, 2);
	struct tcollect c = { 0 };
	step_ok(n, vote_req(RAFT_MSG_VOTE, 2, 1, 3, 1, 5)); /* longer, but older term */
	tcollect(n, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 2);
	assert_non_null(r);
	assert_true(r->m.reject);
	assert_int_equal(raft_vote(n), RAFT_NONE);
	tcollect_free(&c);
	raft_free(n);
}

/* §5.4.1: with the same last term, the longer log is more up-to-date. */
static void test_candidate_with_shorter_log_loses(void **state)
{
	(void)state;
	const raft_term_t terms[] = { 1, 1 };
	struct raft_node *n = node_with_log(1, 3, terms, 2, 1);
	struct tcollect c = { 0 };
	step_ok(n, vote_req(RAFT_MSG_VOTE, 2, 1, 2, 1, 1));
	tcollect(n, &c);
	assert_true(tcollect_find(&c, RAFT_MSG_VOTE_RESP, 2)->m.reject);
	step_ok(n, vote_req(RAFT_MSG_VOTE, 3, 1, 2, 1, 2)); /* as long: granted */
	tcollect(n, &c);
	assert_false(tcollect_find(&c, RAFT_MSG_VOTE_RESP, 3)->m.reject);
	assert_int_equal(raft_vote(n), 3);
	tcollect_free(&c);
	raft_free(n);
}

/* Figure 2, all servers: a higher term in any message makes a leader follower. */
static void test_higher_term_makes_leader_step_down(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *l = tnet_node(net, 1);
	step_ok(l, tmsg_make(RAFT_MSG_HEARTBEAT_RESP, 2, 1, 5));
	assert_int_equal(raft_role(l), RAFT_FOLLOWER);
	assert_int_equal(raft_term(l), 5);
	assert_int_equal(raft_leader(l), RAFT_NONE);
	tnet_free(net);
}

/* Without check-quorum, a vote request with a higher term and an up-to-date
 * log deposes the leader (§5.1): the term always wins. */
static void test_higher_term_vote_request_deposes_leader(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *l = tnet_node(net, 1);
	step_ok(l, vote_req(RAFT_MSG_VOTE, 2, 1, 5, 1, 100));
	assert_int_equal(raft_role(l), RAFT_FOLLOWER);
	assert_int_equal(raft_term(l), 5);
	assert_int_equal(raft_vote(l), 2);
	tnet_free(net);
}

/* A leader of an older term that comes back learns the newer term from the
 * followers' answers and steps down (check-quorum enables the answer). */
static void test_stale_leader_steps_down_when_told_newer_term(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, true, true);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_isolate(net, 1);
	for (int i = 0; i < 40; i++) { /* 2 and 3 outlive the lease, then elect */
		tnet_tick(net, 2, 1);
		tnet_tick(net, 3, 1);
		tnet_stabilize(net);
	}
	raft_id_t leader = raft_role(tnet_node(net, 2)) == RAFT_LEADER ? 2 : 3;
	assert_int_equal(raft_role(tnet_node(net, leader)), RAFT_LEADER);
	assert_true(raft_term(tnet_node(net, leader)) >= 2);
	/* Node 1 still thinks it leads term 1; heal and let it heartbeat. */
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_LEADER);
	tnet_heal(net);
	tnet_drop_queue(net);
	raft_tick(tnet_node(net, 1));
	tnet_stabilize(net);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_term(tnet_node(net, 1)), raft_term(tnet_node(net, leader)));
	tnet_free(net);
}

/* Pre-vote (§9.6): a node whose log is behind cannot even start a real
 * election, and its pre-votes bump nobody's term, its own included. */
static void test_prevote_does_not_bump_terms(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, true, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	raft_term_t t = raft_term(tnet_node(net, 1));
	tnet_isolate(net, 3);
	assert_int_equal(tnet_propose(net, 1, "x"), RAFT_OK);
	tnet_stabilize(net);
	tnet_tick(net, 3, 100);
	tnet_drop_queue(net);
	assert_int_equal(raft_term(tnet_node(net, 3)), t);
	assert_int_equal(raft_role(tnet_node(net, 3)), RAFT_PRE_CANDIDATE);
	/* Heal: its pre-vote is refused (its log is behind). */
	tnet_heal(net);
	tnet_tick(net, 3, 20);
	tnet_stabilize(net);
	for (raft_id_t id = 1; id <= 3; id++)
		assert_int_equal(raft_term(tnet_node(net, id)), t);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_LEADER);
	tnet_free(net);
}

/* Pre-vote then vote: one real election, the term moves by exactly one. */
static void test_prevote_then_vote_elects_leader(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, true, false);
	assert_int_equal(raft_campaign(tnet_node(net, 1)), RAFT_OK);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_PRE_CANDIDATE);
	assert_int_equal(raft_term(tnet_node(net, 1)), 0);
	tnet_stabilize(net);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_LEADER);
	assert_int_equal(raft_term(tnet_node(net, 1)), 1);
	tnet_free(net);
}

/* Check-quorum (§6.2): a leader that has not heard from a majority within an
 * election timeout steps down. */
static void test_check_quorum_leader_steps_down_when_isolated(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, true);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_isolate(net, 1);
	tnet_tick(net, 1, 21);
	tnet_drop_queue(net);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(tnet_node(net, 1)), RAFT_NONE);
	tnet_free(net);
}

/* ...and keeps leading while a majority answers. */
static void test_check_quorum_leader_stays_with_majority(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, true);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_isolate(net, 3);
	for (int i = 0; i < 50; i++) {
		tnet_tick(net, 1, 1);
		tnet_tick(net, 2, 1);
		tnet_stabilize(net);
	}
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_LEADER);
	tnet_free(net);
}

/* §9.6 / §6.2: with check-quorum, a follower that heard from its leader within
 * the minimum election timeout ignores a vote request, whatever its term. */
static void test_follower_with_live_leader_ignores_vote_request(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, true);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *f = tnet_node(net, 2);
	step_ok(f, vote_req(RAFT_MSG_VOTE, 3, 2, 2, 1, 1));
	assert_int_equal(raft_term(f), 1);
	assert_int_equal(raft_vote(f), 1);
	assert_false(raft_has_ready(f));
	step_ok(f, vote_req(RAFT_MSG_PREVOTE, 3, 2, 2, 1, 1));
	assert_false(raft_has_ready(f));
	tnet_free(net);
}

/* ...unless the request comes from a leadership transfer (ctx = 1). */
static void test_transfer_vote_request_overrides_lease(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, true);
	assert_int_equal(tnet_elect(net, 1), 1);
	struct raft_node *f = tnet_node(net, 2);
	struct raft_msg m = vote_req(RAFT_MSG_VOTE, 3, 2, 2, 1, 100);
	m.ctx = 1;
	step_ok(f, m);
	assert_int_equal(raft_term(f), 2);
	assert_int_equal(raft_vote(f), 3);
	tnet_free(net);
}

/* A learner never starts an election: it is not a voter of its configuration. */
static void test_learner_never_campaigns(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(2, 3, false, false);
	struct raft_node *l = tnet_node(net, 3);
	for (int i = 0; i < 100; i++)
		raft_tick(l);
	assert_int_equal(raft_role(l), RAFT_FOLLOWER);
	assert_int_equal(raft_term(l), 0);
	assert_false(raft_has_ready(l));
	assert_int_equal(raft_campaign(l), RAFT_ERR_NOT_MEMBER);
	tnet_free(net);
}

/*
 * A member whose promotion is committed (the candidate's configuration has it
 * as a voter) but not yet applied locally still answers vote requests;
 * otherwise a cluster that needs its vote could never elect the leader that
 * would tell it about the promotion (simulator seed 420 deadlocked so).
 */
static void test_promoted_member_votes_before_applying_promotion(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(2, 3, false, false);
	struct raft_node *l = tnet_node(net, 3); /* a learner in its own eyes */
	step_ok(l, vote_req(RAFT_MSG_VOTE, 1, 3, 1, 0, 0));
	struct tcollect c = { 0 };
	tcollect(l, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 1);
	assert_non_null(r);
	assert_false(r->m.reject);
	assert_true(r->after_persist);
	assert_int_equal(raft_vote(l), 1);
	tcollect_free(&c);
	tnet_free(net);
}

/*
 * A joiner starts knowing nobody. If it was promoted before it stored any
 * entry and then restarted empty, the candidate that needs its vote is a
 * stranger to it: it must still answer (review 2026-11-27, R3; raftsim seed
 * 1479 with a lazily stored commit deadlocked on this). A voter keeps
 * refusing strangers (a removed member must not disturb the cluster).
 */
static void test_empty_joiner_answers_unknown_candidate(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(4);
	struct raft_config empty = { 0 };
	struct raft_node *j = NULL;
	assert_int_equal(raft_new(&o, &empty, NULL, &j), RAFT_OK);
	step_ok(j, vote_req(RAFT_MSG_PREVOTE, 3, 4, 7, 6, 59));
	step_ok(j, vote_req(RAFT_MSG_VOTE, 3, 4, 7, 6, 59));
	struct tcollect c = { 0 };
	tcollect(j, &c);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_PREVOTE_RESP, 3);
	assert_non_null(r);
	assert_false(r->m.reject);
	r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 3);
	assert_non_null(r);
	assert_false(r->m.reject);
	assert_true(r->after_persist);
	assert_int_equal(raft_vote(j), 3);
	assert_int_equal(raft_term(j), 7);
	/* Other traffic from strangers is still refused. */
	struct raft_msg hb = tmsg_make(RAFT_MSG_HEARTBEAT_RESP, 3, 4, 7);
	assert_int_equal(raft_step(j, &hb), RAFT_ERR_INVALID);
	tcollect_free(&c);
	raft_free(j);

	/* A voter with a live leader (check-quorum lease) refuses a stranger's
	 * vote request and stays as it was. */
	struct raft_options cq = tnet_default_options(1);
	cq.check_quorum = true;
	struct raft_node *v = tnode_new(1, 3, &cq);
	step_ok(v, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 1));
	tcollect(v, &c);
	struct raft_msg m = vote_req(RAFT_MSG_VOTE, 9, 1, 5, 4, 10);
	assert_int_equal(raft_step(v, &m), RAFT_ERR_INVALID);
	assert_int_equal(raft_term(v), 1);
	assert_false(raft_has_ready(v));
	tcollect_free(&c);
	raft_free(v);
}

/* A stranger's (pre-)vote request at a voter that has a live leader: refused
 * with RAFT_ERR_INVALID, nothing changes (no term bump, no answer), even with
 * the transfer flag; the leader itself refuses too. A removed member cannot
 * disturb a working cluster (docs/raft.md, "Elections"). */
static void test_voter_with_live_leader_refuses_stranger(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(1);
	o.check_quorum = true;
	struct raft_node *f = tnode_new(1, 3, &o);
	step_ok(f, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 3));
	struct tcollect c = { 0 };
	tcollect(f, &c);
	tcollect_free(&c);
	for (int i = 0; i < 9; i++) /* still inside the election timeout */
		raft_tick(f);
	struct raft_msg m = vote_req(RAFT_MSG_PREVOTE, 9, 1, 8, 7, 50);
	assert_int_equal(raft_step(f, &m), RAFT_ERR_INVALID);
	m = vote_req(RAFT_MSG_VOTE, 9, 1, 8, 7, 50);
	assert_int_equal(raft_step(f, &m), RAFT_ERR_INVALID);
	m.ctx = 1;
	assert_int_equal(raft_step(f, &m), RAFT_ERR_INVALID);
	assert_int_equal(raft_term(f), 3);
	assert_int_equal(raft_vote(f), RAFT_NONE);
	assert_int_equal(raft_leader(f), 2);
	assert_false(raft_has_ready(f));
	/* A known member's request is not refused, only ignored (lease). */
	m = vote_req(RAFT_MSG_VOTE, 3, 1, 8, 7, 50);
	step_ok(f, m);
	assert_int_equal(raft_term(f), 3);
	raft_free(f);

	struct raft_node *l = tnode_new(1, 3, &o);
	tnode_make_leader(l, 2);
	tcollect(l, &c);
	tcollect_free(&c);
	raft_term_t t = raft_term(l);
	m = vote_req(RAFT_MSG_VOTE, 9, 1, t + 5, t, 50);
	assert_int_equal(raft_step(l, &m), RAFT_ERR_INVALID);
	assert_int_equal(raft_role(l), RAFT_LEADER);
	assert_int_equal(raft_term(l), t);
	assert_false(raft_has_ready(l));
	raft_free(l);
}

/* A voter without a live leader answers a stranger (simulator seed 701067):
 * the pre-vote is granted for an up-to-date log without touching the term,
 * the vote is persisted before the answer leaves. Both a node that never had
 * a leader and one whose lease ran out answer. */
static void test_voter_without_live_leader_answers_stranger(void **state)
{
	(void)state;
	struct raft_options o = tnet_default_options(1);
	o.check_quorum = true;
	for (int lapsed = 0; lapsed <= 1; lapsed++) {
		struct raft_node *f = tnode_new(1, 3, &o);
		struct tcollect c = { 0 };
		if (lapsed) {
			step_ok(f, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 3));
			for (uint32_t i = 0; i < o.election_ticks; i++)
				raft_tick(f); /* the lease runs out (or we campaign) */
		}
		tcollect(f, &c);
		tcollect_free(&c);
		raft_term_t t = raft_term(f);
		step_ok(f, vote_req(RAFT_MSG_PREVOTE, 9, 1, t + 5, 1, 50));
		assert_int_equal(raft_term(f), t);
		tcollect(f, &c);
		const struct tmsg *r = tcollect_find(&c, RAFT_MSG_PREVOTE_RESP, 9);
		assert_non_null(r);
		assert_false(r->m.reject);
		assert_int_equal(r->m.term, t + 5);
		tcollect_free(&c);

		step_ok(f, vote_req(RAFT_MSG_VOTE, 9, 1, t + 5, 1, 50));
		tcollect(f, &c);
		assert_int_equal(raft_term(f), t + 5);
		assert_int_equal(raft_vote(f), 9);
		assert_true(c.has_hs);
		assert_int_equal(c.hs.vote, 9);
		assert_int_equal(c.hs.term, t + 5);
		r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 9);
		assert_non_null(r);
		assert_false(r->m.reject);
		assert_true(r->after_persist);
		tcollect_free(&c);
		/* Only one vote per term, strangers included. */
		step_ok(f, vote_req(RAFT_MSG_VOTE, 8, 1, t + 5, 1, 50));
		tcollect(f, &c);
		r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 8);
		assert_non_null(r);
		assert_true(r->m.reject);
		assert_int_equal(raft_vote(f), 9);
		tcollect_free(&c);
		raft_free(f);
	}
}

/* Without check-quorum there is no lease: a voter answers a stranger even
 * with a leader, as it would a member (etcd; docs/raft.md, "Elections"). */
static void test_stranger_answered_without_check_quorum(void **state)
{
	(void)state;
	struct raft_node *f = tnode_new(1, 3, NULL);
	step_ok(f, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 3));
	struct tcollect c = { 0 };
	tcollect(f, &c);
	tcollect_free(&c);
	step_ok(f, vote_req(RAFT_MSG_VOTE, 9, 1, 4, 3, 5));
	tcollect(f, &c);
	assert_int_equal(raft_term(f), 4);
	assert_int_equal(raft_vote(f), 9);
	const struct tmsg *r = tcollect_find(&c, RAFT_MSG_VOTE_RESP, 9);
	assert_non_null(r);
	assert_false(r->m.reject);
	tcollect_free(&c);
	raft_free(f);
}

/*
 * Simulator seed 701067: {1 2 3} -> +4 -> promote 4 -> -3 -> -1 while node 2
 * lagged. The voters are 2 and 4; node 2 still believes {1 2 3} and is a
 * voter there, node 4 is a stranger to it. With 1 and 3 gone, 4 can win only
 * with 2's vote: 2 must answer, and then learns the configuration from 4.
 */
static raft_id_t running_leader(struct tnet *net)
{
	for (raft_id_t i = 1; i <= net->n; i++)
		if (!net->down[i] && raft_role(net->nodes[i]) == RAFT_LEADER)
			return i;
	return RAFT_NONE;
}

static void lagging_voter_and_newer_member(bool check_quorum)
{
	struct tnet *net = tnet_new(3, 3, true, check_quorum);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_stabilize(net);
	tnet_isolate(net, 2);
	tnet_spawn(net, 4);
	struct raft_node *l = tnet_node(net, 1);
	const struct raft_conf_change steps[] = {
		{ RAFT_CONF_ADD_LEARNER, 4 }, { RAFT_CONF_PROMOTE, 4 },
		{ RAFT_CONF_REMOVE, 3 }, { RAFT_CONF_REMOVE, 1 },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(raft_propose_conf_change(l, &steps[i]), RAFT_OK);
		for (int k = 0; k < 3; k++) {
			tnet_flush(net, 1);
			tnet_stabilize(net);
			tnet_tick(net, 1, 1);
		}
		tnet_stabilize(net);
	}
	const struct raft_config *c4 = raft_config(tnet_node(net, 4));
	assert_int_equal(c4->n, 2); /* {2, 4} */
	assert_true(config_has_voter(c4, 2) && config_has_voter(c4, 4));
	struct raft_node *n2 = tnet_node(net, 2);
	assert_int_equal(raft_config(n2)->n, 3); /* still {1 2 3} */
	assert_true(config_has_voter(raft_config(n2), 2));
	assert_false(config_has_voter(raft_config(n2), 4));

	net->down[1] = net->down[3] = true;
	tnet_drop_queue(net);
	tnet_heal(net);
	raft_id_t leader = RAFT_NONE;
	for (int round = 0; round < 200 && leader == RAFT_NONE; round++) {
		tnet_tick_all(net, 1);
		tnet_stabilize(net);
		leader = running_leader(net);
	}
	assert_true(leader == 2 || leader == 4);
	for (int round = 0; round < 5; round++) {
		tnet_tick_all(net, 1);
		tnet_stabilize(net);
	}
	assert_int_equal(raft_config(n2)->n, 2);
	assert_true(config_has_voter(raft_config(n2), 4));
	tnet_free(net);
}

static void test_lagging_voter_elects_newer_member(void **state)
{
	(void)state;
	lagging_voter_and_newer_member(false);
	lagging_voter_and_newer_member(true);
}

/* A learner's granted vote would not count anyway: the candidate ignores it. */
static void test_learner_vote_does_not_count(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 4, false, false); /* 1..3 voters, 4 learner */
	struct raft_node *n = tnet_node(net, 1);
	tnet_isolate(net, 1);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	tnet_flush(net, 1);
	tnet_drop_queue(net);
	struct raft_msg g = tmsg_make(RAFT_MSG_VOTE_RESP, 4, 1, 1);
	step_ok(n, g);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	g.from = 2;
	step_ok(n, g);
	assert_int_equal(raft_role(n), RAFT_LEADER);
	tnet_free(net);
}

/* A vote answer from an older term is ignored (injected bug 1 counts it). */
static void test_stale_vote_response_not_counted(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	assert_int_equal(raft_campaign(n), RAFT_OK); /* term 2 */
	assert_int_equal(raft_term(n), 2);
	step_ok(n, tmsg_make(RAFT_MSG_VOTE_RESP, 2, 1, 1)); /* granted, term 1 */
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	step_ok(n, tmsg_make(RAFT_MSG_VOTE_RESP, 2, 1, 2));
	assert_int_equal(raft_role(n), RAFT_LEADER);
	raft_free(n);
}

/* A candidate refused by a majority goes back to follower in the same term. */
static void test_candidate_refused_by_majority_becomes_follower(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 5, NULL);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	struct raft_msg r = tmsg_make(RAFT_MSG_VOTE_RESP, 2, 1, 1);
	r.reject = true;
	step_ok(n, r);
	r.from = 3;
	step_ok(n, r);
	assert_int_equal(raft_role(n), RAFT_CANDIDATE);
	r.from = 4;
	step_ok(n, r);
	assert_int_equal(raft_role(n), RAFT_FOLLOWER);
	assert_int_equal(raft_term(n), 1);
	raft_free(n);
}

/* A single voter is its own majority. */
static void test_single_node_elects_itself(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 1, NULL);
	assert_int_equal(raft_campaign(n), RAFT_OK);
	assert_int_equal(raft_role(n), RAFT_LEADER);
	assert_int_equal(raft_term(n), 1);
	struct tcollect c = { 0 };
	tcollect(n, &c);
	/* Bootstrap entry (1) and no-op (2), committed once persisted. */
	assert_int_equal(raft_commit_index(n), 2);
	assert_int_equal(c.last_committed, 2);
	tcollect_free(&c);
	raft_free(n);
}

/* §8: a new leader appends a no-op of its term, which every node commits.
 * The first leader of a new cluster writes the bootstrap configuration
 * before it (one CONF entry per member, see docs/raft.md). */
static void test_leader_appends_noop_of_its_term(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	for (raft_id_t id = 1; id <= 3; id++) {
		struct raft_node *n = tnet_node(net, id);
		assert_int_equal(raft_last_index(n), 4);
		assert_int_equal(raft_term_at(n, 4), 1);
		assert_int_equal(raft_commit_index(n), 4);
		for (int i = 0; i < 3; i++)
			assert_int_equal(net->store[id].ents[i].type, RAFT_ENTRY_CONF);
		assert_int_equal(net->store[id].ents[3].type, RAFT_ENTRY_NOOP);
	}
	tnet_free(net);
}

/* A follower hearing from its leader restarts its election timer. */
static void test_follower_heartbeat_resets_election_timer(void **state)
{
	(void)state;
	struct raft_node *n = tnode_new(1, 3, NULL);
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 9; i++)
			raft_tick(n);
		step_ok(n, tmsg_make(RAFT_MSG_HEARTBEAT, 2, 1, 1));
	}
	assert_int_equal(raft_role(n), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(n), 2);
	raft_free(n);
}

/* After a crash the term and the vote survive: no second vote in the term. */
static void test_restart_keeps_term_and_vote(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	tnet_restart(net, 2);
	struct raft_node *n = tnet_node(net, 2);
	assert_int_equal(raft_term(n), 1);
	assert_int_equal(raft_vote(n), 1);
	step_ok(n, vote_req(RAFT_MSG_VOTE, 3, 2, 1, 1, 1));
	assert_int_equal(raft_vote(n), 1);
	tnet_free(net);
}

/* SAFETY.md L1: the shell makes a leader with a stuck disk step down. */
static void test_step_down_on_request(void **state)
{
	(void)state;
	struct tnet *net = tnet_new(3, 3, false, false);
	assert_int_equal(tnet_elect(net, 1), 1);
	assert_int_equal(raft_step_down(tnet_node(net, 2)), RAFT_ERR_NOT_LEADER);
	assert_int_equal(raft_step_down(tnet_node(net, 1)), RAFT_OK);
	assert_int_equal(raft_role(tnet_node(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(tnet_node(net, 1)), RAFT_NONE);
	assert_int_equal(raft_term(tnet_node(net, 1)), 1);
	assert_int_equal(raft_propose(tnet_node(net, 1), (const uint8_t *)"x", 1),
			 RAFT_ERR_NOT_LEADER);
	tnet_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_servers_start_as_followers),
		cmocka_unit_test(test_follower_campaigns_after_election_timeout),
		cmocka_unit_test(test_election_timeout_is_randomized_in_range),
		cmocka_unit_test(test_same_seed_gives_same_timeouts),
		cmocka_unit_test(test_candidate_wins_with_majority),
		cmocka_unit_test(test_candidate_wins_with_three_of_five),
		cmocka_unit_test(test_candidate_without_majority_starts_new_election),
		cmocka_unit_test(test_candidate_steps_down_on_append_of_same_term),
		cmocka_unit_test(test_vote_granted_at_most_once_per_term),
		cmocka_unit_test(test_vote_response_sent_only_after_vote_persisted),
		cmocka_unit_test(test_stale_term_vote_request_rejected),
		cmocka_unit_test(test_candidate_with_older_last_term_loses),
		cmocka_unit_test(test_candidate_with_shorter_log_loses),
		cmocka_unit_test(test_higher_term_makes_leader_step_down),
		cmocka_unit_test(test_higher_term_vote_request_deposes_leader),
		cmocka_unit_test(test_stale_leader_steps_down_when_told_newer_term),
		cmocka_unit_test(test_prevote_does_not_bump_terms),
		cmocka_unit_test(test_prevote_then_vote_elects_leader),
		cmocka_unit_test(test_check_quorum_leader_steps_down_when_isolated),
		cmocka_unit_test(test_check_quorum_leader_stays_with_majority),
		cmocka_unit_test(test_follower_with_live_leader_ignores_vote_request),
		cmocka_unit_test(test_transfer_vote_request_overrides_lease),
		cmocka_unit_test(test_learner_never_campaigns),
		cmocka_unit_test(test_promoted_member_votes_before_applying_promotion),
		cmocka_unit_test(test_learner_vote_does_not_count),
		cmocka_unit_test(test_empty_joiner_answers_unknown_candidate),
		cmocka_unit_test(test_voter_with_live_leader_refuses_stranger),
		cmocka_unit_test(test_voter_without_live_leader_answers_stranger),
		cmocka_unit_test(test_stranger_answered_without_check_quorum),
		cmocka_unit_test(test_lagging_voter_elects_newer_member),
		cmocka_unit_test(test_stale_vote_response_not_counted),
		cmocka_unit_test(test_candidate_refused_by_majority_becomes_follower),
		cmocka_unit_test(test_single_node_elects_itself),
		cmocka_unit_test(test_leader_appends_noop_of_its_term),
		cmocka_unit_test(test_follower_heartbeat_resets_election_timer),
		cmocka_unit_test(test_restart_keeps_term_and_vote),
		cmocka_unit_test(test_step_down_on_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * raft_test_net.h — a tiny in-memory cluster for the Raft core's unit tests.
 *
 * It plays the caller's part of the ready/advance contract for every node
 * (a perfect disk: persist hard state, snapshot and entries; send messages;
 * record applied entries and read states) and moves messages between nodes in
 * FIFO order, with per-link cuts so a test can build a partition. It also
 * offers helpers to drive one node by hand and look at what it sends.
 * Everything is deterministic; nothing here is a simulator (tests/sim is).
 */
#ifndef PGQ_RAFT_TEST_NET_H
#define PGQ_RAFT_TEST_NET_H

#include "raft/raft.h"

#define TNET_MAX 8

/* A node's disk, as the contract says it must look after each ready. */
struct tstore {
	struct raft_hard_state hs;
	struct raft_entry *ents;
	size_t n_ents, cap_ents;
	struct raft_snapshot snap;  /* meta.index 0: none */
	bool has_snap;
};

/* What a node applied, and its read states. */
struct tapplied {
	size_t n_normal;            /* NORMAL entries applied */
	raft_index_t last_index;
	char last_data[64];
	struct raft_read_state reads[32];
	size_t n_reads;
};

/* A copied message, and whether it came from msgs_after_persist. */
struct tmsg {
	struct raft_msg m;
	bool after_persist;
};

struct tnet {
	size_t n;                   /* nodes have ids 1..n */
	struct raft_options opts[TNET_MAX + 1];
	struct raft_config config;  /* bootstrap configuration */
	bool empty_config[TNET_MAX + 1]; /* spawned later: starts knowing nobody */
	struct raft_node *nodes[TNET_MAX + 1];
	struct tstore store[TNET_MAX + 1];
	struct tapplied app[TNET_MAX + 1];
	bool cut[TNET_MAX + 1][TNET_MAX + 1]; /* drop messages from i to j */
	bool down[TNET_MAX + 1];
	struct tmsg *q;
	size_t nq, capq;
	size_t delivered;           /* messages handed to raft_step() */
	int last_step_rc;
};

/* Default options used by the tests: election 10 ticks, heartbeat 1. */
struct raft_options tnet_default_options(raft_id_t id);

/* n_voters voters (ids 1..n_voters) then learners up to n_total. */
struct tnet *tnet_new(size_t n_voters, size_t n_total, bool pre_vote, bool check_quorum);
/* Same, with the options of every node passed through tweak(). */
struct tnet *tnet_new_with(size_t n_voters, size_t n_total,
			   void (*tweak)(struct raft_options *o));
void tnet_free(struct tnet *net);
/* Start a new node `id` (> n) with an empty configuration, as a joining member. */
struct raft_node *tnet_spawn(struct tnet *net, raft_id_t id);

struct raft_node *tnet_node(struct tnet *net, raft_id_t id);
/* Run ready/advance on one node until it has nothing more; queue its messages. */
void tnet_flush(struct tnet *net, raft_id_t id);
void tnet_flush_all(struct tnet *net);
/* Deliver queued messages (flushing after each step) until the net is quiet. */
void tnet_stabilize(struct tnet *net);
/* Deliver at most max messages in FIFO order; returns how many were stepped. */
size_t tnet_deliver(struct tnet *net, size_t max);
void tnet_drop_queue(struct tnet *net);
void tnet_tick(struct tnet *net, raft_id_t id, unsigned count);
void tnet_tick_all(struct tnet *net, unsigned count);
/* Campaign on id and stabilize; returns the leader afterwards (RAFT_NONE if none). */
raft_id_t tnet_elect(struct tnet *net, raft_id_t id);
int tnet_propose(struct tnet *net, raft_id_t id, const char *s);
void tnet_isolate(struct tnet *net, raft_id_t id);
void tnet_heal(struct tnet *net);
/* Crash and restart id from its store (unflushed state is lost). */
void tnet_restart(struct tnet *net, raft_id_t id);
/* Number of queued messages of a type (0 = any) to `to` (0 = anyone). */
size_t tnet_count(const struct tnet *net, uint8_t type, raft_id_t to);
/* Do every running node hold the same log entries up to index? */
bool tnet_logs_match(struct tnet *net, raft_index_t index);

/* ---- driving a single node by hand ------------------------------------ */

struct tcollect {
	struct tmsg msgs[256];
	size_t n;
	bool has_hs;
	struct raft_hard_state hs;
	raft_index_t truncate_from;
	size_t n_entries;
	raft_index_t first_entry, last_entry;
	size_t n_committed;
	raft_index_t last_committed;
	bool had_snapshot;
	struct raft_read_state reads[16];
	size_t n_reads;
};

/* One ready/advance round: copies what the ready carried into c (reset first). */
void tcollect_once(struct raft_node *node, struct tcollect *c);
/* Rounds until no ready; messages and counts accumulate. */
void tcollect(struct raft_node *node, struct tcollect *c);
void tcollect_free(struct tcollect *c);
/* The first collected message of type (to anyone when to == 0), or NULL. */
const struct tmsg *tcollect_find(const struct tcollect *c, uint8_t type, raft_id_t to);
size_t tcollect_count(const struct tcollect *c, uint8_t type);

/* Deep copy / free of a message (entries and snapshot data). */
void tmsg_copy(struct raft_msg *dst, const struct raft_msg *src);
void tmsg_free(struct raft_msg *m);

/* A node with config 1..n_voters voters, id `id`, default options. */
struct raft_node *tnode_new(raft_id_t id, size_t n_voters, const struct raft_options *opts);
/* A node whose persisted log holds entries of the given terms at 1..k. */
struct raft_node *tnode_with_log(raft_id_t id, size_t n_voters, const raft_term_t *terms,
				 size_t k, raft_term_t term, const struct raft_options *opts);
/* Campaign and win with one vote from `voter` (pre_vote must be off). */
void tnode_make_leader(struct raft_node *n, raft_id_t voter);
/* A message skeleton. */
struct raft_msg tmsg_make(uint8_t type, raft_id_t from, raft_id_t to, raft_term_t term);

#endif

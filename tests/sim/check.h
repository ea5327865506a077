/*
 * check.h — the invariant checker. It sees every node's observable state
 * after every simulation step and keeps the global history the Raft
 * properties are stated over. The first violation is recorded with a
 * one-line reason; the run stops there.
 *
 * Classic Raft properties (Raft paper, figure 3):
 *   Election Safety, Leader Append-Only, Log Matching, Leader Completeness,
 *   State Machine Safety.
 * Configuration Safety: every node is in the same configuration after
 * applying a given index (the configuration is replicated state too).
 * Client-visible properties: every applied proposal was proposed, with its
 * exact bytes, and is applied at one index only; a ReadIndex answer is never
 * below the highest commit index known when the read was asked.
 * Strict properties (on unless --classic): a node grants at most one vote
 * per term; a leader was voted in by a quorum of its configuration in its
 * term; a leader advances its commit index only onto an entry of its term.
 */
#ifndef PGQ_SIM_CHECK_H
#define PGQ_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"
#include "table.h"

struct committed_rec {
	raft_term_t term;         /* 0: not known yet */
	raft_term_t commit_term;  /* lowest term in which a node was seen holding it
	                             committed (>= the term it was committed in); 0 unknown */
	bool has_content;
	bool has_app_hash;
	uint64_t content_hash;
	uint64_t app_hash;        /* application hash after applying this index */
	bool has_cfg;
	uint64_t cfg_hash;        /* configuration in force after applying this index */
	raft_id_t first_node;     /* who first reported it (for messages) */
};

struct proposal_rec {
	bool proposed;
	raft_index_t applied_at;  /* 0: not applied yet */
};

struct read_rec {
	bool asked;
	raft_index_t floor;       /* highest commit index known at the request */
};

struct checker {
	bool failed;
	char reason[640];
	bool strict;
	uint64_t payload_key;

	struct pairmap leaders;   /* (term, 0) -> (leader id, -) */
	struct pairmap votes;     /* (voter, term) -> (candidate, -) */
	struct pairmap logmap;    /* (index, term) -> (content hash, prev term + 1; 0 unknown) */
	struct recvec committed;  /* by index: struct committed_rec */
	struct recvec proposals;  /* by id: struct proposal_rec */
	struct recvec reads;      /* by ctx: struct read_rec */
	uint64_t next_proposal_id;
	uint64_t next_read_ctx;
	raft_index_t max_commit;  /* highest commit index any node reported */
	raft_index_t max_applied_index;
	uint64_t n_applied_proposals;
	uint64_t n_reads_checked;
	uint64_t n_reads_failed;   /* read states with index 0: the read failed */
	uint64_t n_leaders;
};

void check_init(struct checker *c, uint64_t payload_key, bool strict);
void check_free(struct checker *c);
/* Records the first failure; later ones are ignored. Always returns false. */
bool check_fail(struct checker *c, const char *property, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Election Safety: at most one leader per term, over the whole run. */
bool check_leader(struct checker *c, raft_term_t term, raft_id_t id);
/* Strict: a voter grants one candidate per term (seen on the wire). */
bool check_vote_grant(struct checker *c, raft_id_t voter, raft_term_t term, raft_id_t candidate);
/* Strict: the new leader of `term` holds grants from a quorum of `config`. */
bool check_election_quorum(struct checker *c, raft_id_t leader, raft_term_t term,
			   const struct raft_config *config);
/*
 * Log Matching: entries some node is about to store, with the term of the
 * entry before the first one (0 when unknown). (index, term) must always
 * name the same bytes and the same previous term: by induction two logs that
 * agree on (index, term) agree on every entry before it.
 */
bool check_entries(struct checker *c, raft_id_t node, const struct raft_entry *e, size_t n,
		   raft_term_t prev_term);
/*
 * A node's commit index covers `index`, whose term in its log is `term`;
 * seen_in_term is the node's current term then (0: not a fresh observation).
 */
bool check_committed_term(struct checker *c, raft_id_t node, raft_index_t index, raft_term_t term,
			  raft_term_t seen_in_term);
/*
 * State Machine Safety, Configuration Safety and applied == proposed, for one
 * applied entry; `cfg` is the node's configuration once the entry is applied
 * (NULL: not comparable yet).
 */
bool check_apply(struct checker *c, raft_id_t node, const struct raft_entry *e, uint64_t app_hash,
		 const struct raft_config *cfg);
/* A node restored application state and configuration at `index` from a snapshot. */
bool check_restore(struct checker *c, raft_id_t node, raft_index_t index, raft_term_t term,
		   uint64_t app_hash, const struct raft_config *cfg);
/*
 * Leader Completeness: the new leader's log holds every entry committed in
 * an earlier term (a leader of term T elected late, on delayed votes, need
 * not hold entries committed in terms above T).
 */
bool check_leader_completeness(struct checker *c, const struct raft_node *leader);

/* A fresh unique proposal: fills out and returns its id (0 on OOM). */
uint64_t check_new_proposal(struct checker *c, uint8_t *out, size_t outlen);
/* A fresh ReadIndex context, remembering the commit floor it must reach. */
uint64_t check_new_read(struct checker *c);
bool check_read_state(struct checker *c, raft_id_t node, uint64_t ctx, raft_index_t index);
void check_note_commit(struct checker *c, raft_index_t commit);

#endif /* PGQ_SIM_CHECK_H */

/*
 * check.c — the Raft and client-visible invariants, checked incrementally:
 * every check costs O(1) amortised per observed event, except Leader
 * Completeness, which walks the committed prefix once per new leader.
 */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

typedef unsigned long long ull;

void check_init(struct checker *c, uint64_t payload_key, bool strict)
{
	memset(c, 0, sizeof(*c));
	c->payload_key = payload_key;
	c->strict = strict;
	pairmap_init(&c->leaders);
	pairmap_init(&c->votes);
	pairmap_init(&c->logmap);
	recvec_init(&c->committed, sizeof(struct committed_rec));
	recvec_init(&c->proposals, sizeof(struct proposal_rec));
	recvec_init(&c->reads, sizeof(struct read_rec));
	c->next_proposal_id = 1;
	c->next_read_ctx = 1;
}

void check_free(struct checker *c)
{
	pairmap_free(&c->leaders);
	pairmap_free(&c->votes);
	pairmap_free(&c->logmap);
	recvec_free(&c->committed);
	recvec_free(&c->proposals);
	recvec_free(&c->reads);
}

bool check_fail(struct checker *c, const char *property, const char *fmt, ...)
{
	if (c->failed)
		return false;
	c->failed = true;
	int off = snprintf(c->reason, sizeof(c->reason), "[%s] ", property);
	va_list ap;

	if (off < 0 || (size_t)off >= sizeof(c->reason))
		return false;
	va_start(ap, fmt);
	vsnprintf(c->reason + off, sizeof(c->reason) - (size_t)off, fmt, ap);
	va_end(ap);
	return false;
}

static bool oom(struct checker *c)
{
	return check_fail(c, "Harness", "out of memory in the checker");
}

bool check_leader(struct checker *c, raft_term_t term, raft_id_t id)
{
	uint64_t other;

	if (pairmap_get(&c->leaders, term, 0, &other, NULL)) {
		if (other != id)
			return check_fail(c, "Election Safety", "term %llu has two leaders: n%llu and n%llu",
					  (ull)term, (ull)other, (ull)id);
		return true;
	}
	c->n_leaders++;
	return pairmap_put(&c->leaders, term, 0, id, 0) || oom(c);
}

bool check_vote_grant(struct checker *c, raft_id_t voter, raft_term_t term, raft_id_t candidate)
{
	uint64_t other;

	if (pairmap_get(&c->votes, voter, term, &other, NULL)) {
		if (other != candidate && c->strict)
			return check_fail(c, "Vote Safety",
					  "n%llu granted its term-%llu vote to n%llu and to n%llu",
					  (ull)voter, (ull)term, (ull)other, (ull)candidate);
		return true;
	}
	return pairmap_put(&c->votes, voter, term, candidate, 0) || oom(c);
}

bool check_election_quorum(struct checker *c, raft_id_t leader, raft_term_t term,
			   const struct raft_config *config)
{
	if (!c->strict)
		return true;
	uint32_t voters = 0, granted = 0;

	for (uint32_t i = 0; i < config->n && i < RAFT_MAX_MEMBERS; i++) {
		const struct raft_member *m = &config->members[i];
		uint64_t cand;

		if (!m->voter)
			continue;
		voters++;
		if (m->id == leader ||
		    (pairmap_get(&c->votes, m->id, term, &cand, NULL) && cand == leader))
			granted++;
	}
	if (granted * 2 <= voters)
		return check_fail(c, "Election Quorum",
				  "n%llu became leader of term %llu with %u of %u voters' grants in that term",
				  (ull)leader, (ull)term, granted, voters);
	return true;
}

bool check_entries(struct checker *c, raft_id_t node, const struct raft_entry *e, size_t n,
		   raft_term_t prev_term)
{
	for (size_t i = 0; i < n; i++) {
		raft_term_t prev = i == 0 ? prev_term : e[i - 1].term;

		if (i > 0 && e[i].index != e[i - 1].index + 1)
			return check_fail(c, "Log Matching", "n%llu stores entry %llu right after entry %llu",
					  (ull)node, (ull)e[i].index, (ull)e[i - 1].index);
		if (prev != 0 && e[i].term < prev)
			return check_fail(c, "Log Matching",
					  "n%llu's log goes from term %llu down to term %llu at index %llu",
					  (ull)node, (ull)prev, (ull)e[i].term, (ull)e[i].index);
		uint64_t h = entry_content_hash(&e[i]);
		uint64_t old_h, old_prev;

		if (pairmap_get(&c->logmap, e[i].index, e[i].term, &old_h, &old_prev)) {
			if (old_h != h)
				return check_fail(c, "Log Matching",
						  "n%llu stores a different entry at (index %llu, term %llu) than another node",
						  (ull)node, (ull)e[i].index, (ull)e[i].term);
			if (old_prev != 0 && prev != 0 && old_prev != prev + 1)
				return check_fail(c, "Log Matching",
						  "(index %llu, term %llu) follows term %llu on n%llu but term %llu elsewhere",
						  (ull)e[i].index, (ull)e[i].term, (ull)prev, (ull)node,
						  (ull)(old_prev - 1));
			if (old_prev != 0 || prev == 0)
				continue;
		}
		if (!pairmap_put(&c->logmap, e[i].index, e[i].term, h, prev ? prev + 1 : 0))
			return oom(c);
	}
	return true;
}

bool check_committed_term(struct checker *c, raft_id_t node, raft_index_t index, raft_term_t term,
			  raft_term_t seen_in_term)
{
	if (term == 0 || index == 0)
		return true;
	struct committed_rec *r = recvec_at(&c->committed, index);

	if (!r)
		return oom(c);
	if (seen_in_term != 0 && (r->commit_term == 0 || seen_in_term < r->commit_term))
		r->commit_term = seen_in_term;
	if (r->term == 0) {
		r->term = term;
		r->first_node = node;
		return true;
	}
	if (r->term != term)
		return check_fail(c, "State Machine Safety",
				  "index %llu is committed with term %llu on n%llu but term %llu on n%llu",
				  (ull)index, (ull)r->term, (ull)r->first_node, (ull)term, (ull)node);
	return true;
}

/* Configuration Safety: one configuration per applied index, on every node. */
static bool check_config(struct checker *c, raft_id_t node, raft_index_t index,
			 struct committed_rec *r, const struct raft_config *cfg)
{
	if (!cfg)
		return true; /* not comparable yet (bootstrap entries still applying) */
	uint64_t h = cfg_hash(cfg);
	char buf[160];

	if (r->has_cfg && r->cfg_hash != h)
		return check_fail(c, "Configuration Safety",
				  "n%llu's configuration after index %llu is [%s], n%llu had another one",
				  (ull)node, (ull)index, cfg_format(cfg, buf, sizeof(buf)),
				  (ull)r->first_node);
	r->has_cfg = true;
	r->cfg_hash = h;
	return true;
}

bool check_apply(struct checker *c, raft_id_t node, const struct raft_entry *e, uint64_t app_hash,
		 const struct raft_config *cfg)
{
	if (!check_committed_term(c, node, e->index, e->term, 0))
		return false;
	struct committed_rec *r = recvec_at(&c->committed, e->index);

	if (!r)
		return oom(c);
	uint64_t h = entry_content_hash(e);

	if (r->has_content && r->content_hash != h)
		return check_fail(c, "State Machine Safety",
				  "n%llu applied a different entry at index %llu than n%llu",
				  (ull)node, (ull)e->index, (ull)r->first_node);
	if (r->has_app_hash && r->app_hash != app_hash)
		return check_fail(c, "State Machine Safety",
				  "n%llu's state after index %llu differs from n%llu's",
				  (ull)node, (ull)e->index, (ull)r->first_node);
	if (!check_config(c, node, e->index, r, cfg))
		return false;
	r->has_content = true;
	r->content_hash = h;
	r->has_app_hash = true;
	r->app_hash = app_hash;
	if (e->index > c->max_applied_index)
		c->max_applied_index = e->index;
	if (e->type != RAFT_ENTRY_NORMAL)
		return true;
	uint64_t id;

	if (!payload_parse(e->data, e->len, c->payload_key, &id) || id == 0 ||
	    id >= c->next_proposal_id)
		return check_fail(c, "Applied = Proposed",
				  "n%llu applied index %llu (%u bytes) that no client proposed",
				  (ull)node, (ull)e->index, e->len);
	struct proposal_rec *p = recvec_at(&c->proposals, id);

	if (!p)
		return oom(c);
	if (!p->proposed)
		return check_fail(c, "Applied = Proposed", "n%llu applied proposal %llu that was never made",
				  (ull)node, (ull)id);
	if (p->applied_at == 0) {
		p->applied_at = e->index;
		c->n_applied_proposals++;
	} else if (p->applied_at != e->index) {
		return check_fail(c, "Applied = Proposed",
				  "proposal %llu is applied twice: at index %llu and at index %llu (n%llu)",
				  (ull)id, (ull)p->applied_at, (ull)e->index, (ull)node);
	}
	return true;
}

bool check_restore(struct checker *c, raft_id_t node, raft_index_t index, raft_term_t term,
		   uint64_t app_hash, const struct raft_config *cfg)
{
	if (index == 0)
		return true;
	if (!check_committed_term(c, node, index, term, 0))
		return false;
	struct committed_rec *r = recvec_at(&c->committed, index);

	if (!r)
		return oom(c);
	if (r->has_app_hash && r->app_hash != app_hash)
		return check_fail(c, "State Machine Safety",
				  "n%llu restored a snapshot at index %llu whose state differs from n%llu's",
				  (ull)node, (ull)index, (ull)r->first_node);
	if (!check_config(c, node, index, r, cfg))
		return false;
	r->has_app_hash = true;
	r->app_hash = app_hash;
	return true;
}

bool check_leader_completeness(struct checker *c, const struct raft_node *leader)
{
	raft_index_t first = raft_first_index(leader);
	raft_index_t from = first > 1 ? first - 1 : 1;
	raft_term_t leader_term = raft_term(leader);

	for (raft_index_t i = from; i <= c->max_commit; i++) {
		const struct committed_rec *r = recvec_peek(&c->committed, i);

		if (!r)
			break;
		if (r->term == 0 || r->commit_term == 0 || r->commit_term >= leader_term)
			continue;
		raft_term_t t = raft_term_at(leader, i);

		if (i < first && t == 0)
			continue; /* inside the leader's snapshot, term not kept */
		if (t != r->term)
			return check_fail(c, "Leader Completeness",
					  "n%llu leads term %llu but its log has %s at index %llu (term %llu, committed by term %llu)",
					  (ull)raft_id(leader), (ull)leader_term,
					  t ? "another entry" : "no entry", (ull)i, (ull)r->term,
					  (ull)r->commit_term);
	}
	return true;
}

uint64_t check_new_proposal(struct checker *c, uint8_t *out, size_t outlen)
{
	if (outlen < APP_PAYLOAD_LEN)
		return 0;
	uint64_t id = c->next_proposal_id;
	struct proposal_rec *p = recvec_at(&c->proposals, id);

	if (!p) {
		oom(c);
		return 0;
	}
	c->next_proposal_id++;
	p->proposed = true;
	payload_make(id, c->payload_key, out);
	return id;
}

uint64_t check_new_read(struct checker *c)
{
	uint64_t ctx = c->next_read_ctx;
	struct read_rec *r = recvec_at(&c->reads, ctx);

	if (!r) {
		oom(c);
		return 0;
	}
	c->next_read_ctx++;
	r->asked = true;
	r->floor = c->max_commit;
	return ctx;
}

bool check_read_state(struct checker *c, raft_id_t node, uint64_t ctx, raft_index_t index)
{
	const struct read_rec *r = recvec_peek(&c->reads, ctx);

	if (!r || !r->asked)
		return check_fail(c, "ReadIndex", "n%llu got a read state for context %llu nobody asked for",
				  (ull)node, (ull)ctx);
	if (index == 0) {
		c->n_reads_failed++; /* the core's "failed, retry" answer */
		return true;
	}
	if (index < r->floor)
		return check_fail(c, "ReadIndex Linearizability",
				  "n%llu's read %llu may read at index %llu, below commit index %llu known when it was asked",
				  (ull)node, (ull)ctx, (ull)index, (ull)r->floor);
	c->n_reads_checked++;
	return true;
}

void check_note_commit(struct checker *c, raft_index_t commit)
{
	if (commit > c->max_commit)
		c->max_commit = commit;
}

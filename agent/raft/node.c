/*
 * node.c — creating and freeing a node, introspection, names, and the small
 * configuration helpers every other file uses.
 *
 * raft_new() trusts nothing it is given: the persisted state comes from a
 * disk that may have been edited or corrupted, so it is checked as carefully
 * as a peer's message before the node exists.
 */
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"

const char *raft_strerror(int err)
{
	switch (err) {
	case RAFT_OK: return "ok";
	case RAFT_ERR_NOMEM: return "out of memory";
	case RAFT_ERR_INVALID: return "invalid argument or message";
	case RAFT_ERR_NOT_LEADER: return "not the leader";
	case RAFT_ERR_CONF_PENDING: return "a membership change is already pending";
	case RAFT_ERR_TRANSFERRING: return "leadership transfer in progress";
	case RAFT_ERR_TOO_BIG: return "entry or message too big";
	case RAFT_ERR_CORRUPT: return "corrupt data";
	case RAFT_ERR_VERSION: return "unknown version";
	case RAFT_ERR_COMPACTED: return "index compacted";
	case RAFT_ERR_UNAVAILABLE: return "index unavailable";
	case RAFT_ERR_NOT_MEMBER: return "not a member";
	case RAFT_ERR_NOT_READY: return "leader has not committed an entry of its term yet";
	default: return "unknown error";
	}
}

const char *raft_role_name(enum raft_role role)
{
	switch (role) {
	case RAFT_FOLLOWER: return "follower";
	case RAFT_PRE_CANDIDATE: return "pre-candidate";
	case RAFT_CANDIDATE: return "candidate";
	case RAFT_LEADER: return "leader";
	}
	return "unknown";
}

const char *raft_msg_type_name(int type)
{
	switch (type) {
	case RAFT_MSG_PREVOTE: return "prevote";
	case RAFT_MSG_PREVOTE_RESP: return "prevote_resp";
	case RAFT_MSG_VOTE: return "vote";
	case RAFT_MSG_VOTE_RESP: return "vote_resp";
	case RAFT_MSG_APPEND: return "append";
	case RAFT_MSG_APPEND_RESP: return "append_resp";
	case RAFT_MSG_HEARTBEAT: return "heartbeat";
	case RAFT_MSG_HEARTBEAT_RESP: return "heartbeat_resp";
	case RAFT_MSG_SNAPSHOT: return "snapshot";
	case RAFT_MSG_TIMEOUT_NOW: return "timeout_now";
	case RAFT_MSG_READ_INDEX: return "read_index";
	case RAFT_MSG_READ_INDEX_RESP: return "read_index_resp";
	default: return "unknown";
	}
}

/* ---- configuration helpers --------------------------------------------- */

bool config_valid(const struct raft_config *c)
{
	if (c->n > RAFT_MAX_MEMBERS)
		return false;
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->members[i].id == RAFT_NONE)
			return false;
		for (uint32_t j = 0; j < i; j++)
			if (c->members[j].id == c->members[i].id)
				return false;
	}
	return true;
}

int config_find(const struct raft_config *c, raft_id_t id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->members[i].id == id)
			return (int)i;
	return -1;
}

bool config_is_voter(const struct raft_config *c, raft_id_t id)
{
	int i = config_find(c, id);
	return i >= 0 && c->members[i].voter;
}

uint32_t config_voters(const struct raft_config *c)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < c->n; i++)
		v += c->members[i].voter;
	return v;
}

/* Only a voter of its own configuration may start an election. */
bool node_promotable(const struct raft_node *n)
{
	return config_is_voter(&n->config, n->id);
}

/* splitmix64: tiny, good enough for timeouts, and fully determined by the seed. */
uint64_t prng_next(struct raft_node *n)
{
	uint64_t z = (n->prng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* ---- create / free ----------------------------------------------------- */

/*
 * A commit index that the log itself proves (review 2026-11-27, R1).
 *
 * Configurations take effect on apply, and storage writes a change of the
 * commit index alone lazily (docs/storage.md), so after a crash a node may
 * hold CONF entries C(k-1), C(k) with a stored commit below both. It would
 * then run, and campaign, with C(k-2): two changes behind the leader, whose
 * majorities need not overlap (two leaders, two committed entries at one
 * index). The log proves more than the stored commit: a proposed CONF entry
 * j of term T exists only because T's leader had committed its no-op s and
 * applied every earlier CONF entry (raft_propose_conf_change: NOT_READY and
 * CONF_PENDING); by Log Matching our entries up to j are that leader's, so
 * every entry up to max(s, the CONF entry before j) is committed. Bootstrap
 * CONF entries (election.c) precede the no-op of their term, so "a no-op of
 * the same term before it" tells a proposed change from them.
 */
static raft_index_t log_proven_commit(const struct raft_log *l)
{
	raft_index_t proven = 0, prev_conf = 0, noop_index = 0;
	raft_term_t noop_term = 0;
	for (raft_index_t i = l->offset + 1; i <= log_last_index(l); i++) {
		const struct raft_entry *e = log_entry(l, i);
		if (e->type == RAFT_ENTRY_NOOP) {
			noop_term = e->term;
			noop_index = i;
		} else if (e->type == RAFT_ENTRY_CONF) {
			if (noop_term == e->term) {
				if (noop_index > proven)
					proven = noop_index;
				if (prev_conf > proven)
					proven = prev_conf;
			}
			prev_conf = i;
		}
	}
	return proven;
}

static int check_options(const struct raft_options *o)
{
	if (o->id == RAFT_NONE || o->election_ticks < 2 || o->heartbeat_ticks == 0 ||
	    o->heartbeat_ticks >= o->election_ticks || o->max_inflight == 0 ||
	    o->election_ticks > UINT32_MAX / 2)
		return RAFT_ERR_INVALID;
	return RAFT_OK;
}

static int check_persisted(const struct raft_persisted *p)
{
	const struct raft_hard_state *hs = &p->hard_state;
	raft_index_t idx = 0;
	raft_term_t term = 0;

	if (hs->term > RAFT_VALUE_MAX || hs->commit > RAFT_VALUE_MAX ||
	    p->n_entries > RAFT_VALUE_MAX)
		return RAFT_ERR_INVALID;

	if (p->snapshot) {
		const struct raft_snapshot *s = p->snapshot;
		if (s->meta.index == 0 || s->meta.index > RAFT_VALUE_MAX - p->n_entries ||
		    s->meta.term == 0 || s->meta.term > hs->term ||
		    !config_valid(&s->meta.config) || (s->len > 0 && !s->data))
			return RAFT_ERR_INVALID;
		idx = s->meta.index;
		term = s->meta.term;
	}
	if (p->n_entries > 0 && !p->entries)
		return RAFT_ERR_INVALID;
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct raft_entry *e = &p->entries[i];
		if (e->index != idx + 1 || e->term < term || e->term > hs->term ||
		    e->term == 0 || e->type < RAFT_ENTRY_NORMAL || e->type > RAFT_ENTRY_CONF ||
		    (e->len > 0 && !e->data))
			return RAFT_ERR_INVALID;
		idx = e->index;
		term = e->term;
	}
	if (hs->commit > idx)
		return RAFT_ERR_INVALID; /* committed entries were lost: refuse to start */
	if (hs->vote != RAFT_NONE && hs->term == 0)
		return RAFT_ERR_INVALID;
	return RAFT_OK;
}

int raft_new(const struct raft_options *opts, const struct raft_config *config,
	     const struct raft_persisted *persisted, struct raft_node **out)
{
	static const struct raft_persisted empty;

	if (!opts || !out)
		return RAFT_ERR_INVALID;
	*out = NULL;
	if (!persisted)
		persisted = &empty;
	if (check_options(opts) != RAFT_OK || check_persisted(persisted) != RAFT_OK)
		return RAFT_ERR_INVALID;
	if (config && !config_valid(config))
		return RAFT_ERR_INVALID;

	struct raft_node *n = calloc(1, sizeof(*n));
	if (!n)
		return RAFT_ERR_NOMEM;
	n->opts = *opts;
	n->id = opts->id;
	n->prng = opts->seed ^ (opts->id * 0xD6E8FEB86659FD93ull);
	n->infl_pool = calloc((size_t)RAFT_MAX_MEMBERS * opts->max_inflight,
			      sizeof(*n->infl_pool));
	if (!n->infl_pool) {
		free(n);
		return RAFT_ERR_NOMEM;
	}

	const struct raft_snapshot *s = persisted->snapshot;
	if (s) {
		log_init(&n->log, s->meta.index, s->meta.term);
		n->config = s->meta.config;
		n->snap.meta = s->meta;
		if (s->len > 0) {
			n->snap.data = malloc(s->len);
			if (!n->snap.data)
				goto nomem;
			memcpy(n->snap.data, s->data, s->len);
			n->snap.len = s->len;
		}
		n->commit = n->applied = s->meta.index;
	} else {
		log_init(&n->log, 0, 0);
		if (config)
			n->config = *config;
	}
	for (size_t i = 0; i < persisted->n_entries; i++) {
		const struct raft_entry *e = &persisted->entries[i];
		uint8_t *d = NULL;
		if (e->len > 0) {
			d = malloc(e->len);
			if (!d)
				goto nomem;
			memcpy(d, e->data, e->len);
		}
		if (log_append_owned(&n->log, e->term, e->type, d, e->len) != RAFT_OK)
			goto nomem;
	}
	n->log.stable = log_last_index(&n->log);

	n->term = persisted->hard_state.term;
	n->vote = persisted->hard_state.vote;
	if (persisted->hard_state.commit > n->commit)
		n->commit = persisted->hard_state.commit;
	n->hs_persisted = (struct raft_hard_state){ n->term, n->vote, n->commit };
	/* R1: never restart more than one configuration behind the log. The
	 * raised commit goes out in the first ready's hard state. */
	raft_index_t proven = log_proven_commit(&n->log);
	if (proven > n->commit)
		n->commit = proven;
	n->role = RAFT_FOLLOWER;
	n->soft_role = RAFT_FOLLOWER;
	reset_timers(n);
	*out = n;
	return RAFT_OK;
nomem:
	raft_free(n);
	return RAFT_ERR_NOMEM;
}

void raft_free(struct raft_node *n)
{
	if (!n)
		return;
	log_free(&n->log);
	free(n->snap.data);
	free(n->infl_pool);
	free(n->reads);
	free(n->read_states);
	free(n->out);
	free(n->rd_msgs);
	free(n->rd_msgs_ap);
	free(n);
}

/* ---- introspection ----------------------------------------------------- */

raft_id_t raft_id(const struct raft_node *n) { return n->id; }
enum raft_role raft_role(const struct raft_node *n) { return n->role; }
raft_term_t raft_term(const struct raft_node *n) { return n->term; }
raft_id_t raft_leader(const struct raft_node *n) { return n->leader; }
raft_id_t raft_vote(const struct raft_node *n) { return n->vote; }
raft_index_t raft_commit_index(const struct raft_node *n) { return n->commit; }
raft_index_t raft_applied_index(const struct raft_node *n) { return n->applied; }
raft_index_t raft_last_index(const struct raft_node *n) { return log_last_index(&n->log); }
raft_index_t raft_first_index(const struct raft_node *n) { return log_first_index(&n->log); }
const struct raft_config *raft_config(const struct raft_node *n) { return &n->config; }
raft_id_t raft_transferee(const struct raft_node *n) { return n->transferee; }

raft_term_t raft_term_at(const struct raft_node *n, raft_index_t index)
{
	return log_term_at(&n->log, index);
}

size_t raft_progress(const struct raft_node *n, struct raft_progress *out, size_t cap)
{
	if (n->role != RAFT_LEADER)
		return 0;
	for (uint32_t i = 0; i < n->n_prs && i < cap; i++) {
		const struct progress *p = &n->prs[i];
		out[i] = (struct raft_progress){
			.id = p->id, .voter = p->voter, .match = p->match, .next = p->next,
			.state = p->state, .inflight = p->infl_count,
			.recent_active = p->recent_active,
		};
	}
	return n->n_prs;
}

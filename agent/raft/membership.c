/*
 * membership.c — single-server membership changes (dissertation §4.1, §4.2.2)
 * with learners.
 *
 * Choice: a configuration takes effect when its entry is APPLIED (handed out
 * as committed and acknowledged by raft_advance()), as in etcd, not when
 * appended as the dissertation suggests. Taking effect at append would mean
 * rolling the configuration back whenever a follower truncates its log;
 * at apply it never needs undoing. It stays safe because (a) only one change
 * is ever in flight: the leader refuses a new one until the previous is
 * applied (pending_conf_index), and a new leader treats every entry already
 * in its log as possibly holding one; (b) a leader proposes a change only
 * once it has committed an entry of its own term (the no-op), which closes
 * the single-server-change bug found in 2015 (Ongaro, raft-dev). Any two
 * configurations in use at once then differ by one server, so their
 * majorities overlap. See docs/raft.md.
 */
#include <assert.h>
#include <stdlib.h>

#include "raft_internal.h"

/*
 * Check cc against c and apply it to c; false when it does not apply.
 * `bootstrap` (apply time only) lets PROMOTE add an unknown voter: the first
 * leader's bootstrap entries (election.c) restate the initial voters that way.
 * A proposal can never produce it: proposals are checked with bootstrap false
 * against a configuration with no change pending.
 */
static bool conf_apply(struct raft_config *c, const struct raft_conf_change *cc, bool bootstrap)
{
	int i = config_find(c, cc->id);
	if (cc->id == RAFT_NONE)
		return false;
	switch (cc->type) {
	case RAFT_CONF_ADD_LEARNER:
		if (i >= 0 || c->n >= RAFT_MAX_MEMBERS)
			return false;
		c->members[c->n++] = (struct raft_member){ cc->id, false };
		return true;
	case RAFT_CONF_PROMOTE:
		if (i < 0 && !bootstrap)
			return false;
		if (i < 0) { /* a bootstrap entry naming a voter we do not know yet */
			if (c->n >= RAFT_MAX_MEMBERS)
				return false;
			c->members[c->n++] = (struct raft_member){ cc->id, true };
			return true;
		}
		if (c->members[i].voter)
			return false;
		c->members[i].voter = true;
		return true;
	case RAFT_CONF_REMOVE:
		if (i < 0)
			return false;
		if (c->members[i].voter && config_voters(c) == 1)
			return false; /* never remove the last voter */
		c->members[i] = c->members[c->n - 1];
		c->n--;
		return true;
	default:
		return false;
	}
}

int raft_propose_conf_change(struct raft_node *n, const struct raft_conf_change *cc)
{
	assert(!n->in_ready && "input between raft_ready() and raft_advance()");
	if (!cc)
		return RAFT_ERR_INVALID;
	if (n->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (n->transferee != RAFT_NONE)
		return RAFT_ERR_TRANSFERRING;
	/* The leader must have committed an entry of its own term first. */
	if (n->commit < n->term_start_index)
		return RAFT_ERR_NOT_READY;
	/* One change at a time: the previous one must be applied. */
	if (n->pending_conf_index > n->applied)
		return RAFT_ERR_CONF_PENDING;
	struct raft_config probe = n->config;
	if (!conf_apply(&probe, cc, false))
		return RAFT_ERR_INVALID;

	uint8_t *buf = malloc(RAFT_CONF_CHANGE_LEN);
	if (!buf)
		return RAFT_ERR_NOMEM;
	raft_conf_change_encode(cc, buf);
	int rc = append_local(n, RAFT_ENTRY_CONF, buf, RAFT_CONF_CHANGE_LEN);
	if (rc == RAFT_OK)
		n->pending_conf_index = log_last_index(&n->log);
	return rc;
}

/* Called by raft_advance() for each applied CONF entry, in log order. */
void apply_conf_entry(struct raft_node *n, const struct raft_entry *e)
{
	struct raft_conf_change cc;
	if (raft_conf_change_decode(e->data, e->len, &cc) != RAFT_OK)
		return; /* a leader only appends valid changes; ignore garbage */
	if (!conf_apply(&n->config, &cc, true))
		return;

	if (n->role == RAFT_LEADER) {
		switch (cc.type) {
		case RAFT_CONF_ADD_LEARNER:
		case RAFT_CONF_PROMOTE:
			progress_add(n, cc.id, cc.type == RAFT_CONF_PROMOTE);
			n->bcast_pending = true;
			break;
		case RAFT_CONF_REMOVE:
			progress_remove(n, cc.id);
			if (n->transferee == cc.id)
				transfer_abort(n);
			break;
		}
		if (cc.id == n->id && cc.type == RAFT_CONF_REMOVE) {
			/* The removal of the leader itself is committed: step down. */
			become_follower(n, n->term, RAFT_NONE);
			return;
		}
		/* A smaller quorum may commit more now. */
		if (maybe_commit(n))
			n->bcast_pending = true;
	} else if (n->role != RAFT_FOLLOWER && !node_promotable(n)) {
		become_follower(n, n->term, RAFT_NONE);
	}
}

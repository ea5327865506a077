/*
 * membership.c — the leader keeps the Raft configuration in step with the
 * record's member table (one change at a time; the core refuses a second
 * one while the first is in flight, and we simply retry next round):
 *   record member not in the configuration  -> add it as a learner
 *   learner whose log caught up with commit -> promote it to voter
 *   configuration voter still a learner in the record -> member_promote
 *   configuration member no longer in the record -> remove it
 * Every rule is idempotent, so a new leader finishes what an old one began.
 */
#include "log.h"
#include "runtime/ids.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <string.h>

static const struct raft_member *conf_find(const struct raft_config *c, raft_id_t id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->members[i].id == id)
			return &c->members[i];
	return NULL;
}

static int conf_change(struct pgq_runtime *rt, uint8_t type, raft_id_t id, const char *what)
{
	struct raft_conf_change cc = { .type = type, .id = id };
	int rc = pgq_node_propose_conf(rt->node, &cc);

	if (rc == RAFT_OK)
		pgq_info("agent", "membership: proposing %s", what);
	return rc;
}

void rt_reconcile(struct pgq_runtime *rt)
{
	const struct raft_node *n;
	const struct raft_config *conf;
	struct raft_progress prog[RAFT_MAX_MEMBERS];
	size_t n_prog;
	char what[160];

	if (rt->node == NULL || rt->phase != PHASE_RUNNING || !pgq_record_bootstrapped(rt->record))
		return;
	n = pgq_node_raft(rt->node);
	if (raft_role(n) != RAFT_LEADER || raft_applied_index(n) < raft_commit_index(n))
		return;
	conf = raft_config(n);
	n_prog = raft_progress(n, prog, RAFT_MAX_MEMBERS);

	for (size_t i = 0; i < pgq_record_member_count(rt->record); i++) {
		const struct pgq_member *m = pgq_record_member_at(rt->record, i);
		raft_id_t id = pgq_member_id(m->name);
		const struct raft_member *cm = conf_find(conf, id);

		if (cm == NULL) {
			snprintf(what, sizeof what, "add-learner %s", m->name);
			conf_change(rt, RAFT_CONF_ADD_LEARNER, id, what);
			return;
		}
		if (!cm->voter) {
			for (size_t j = 0; j < n_prog; j++) {
				if (prog[j].id == id && prog[j].match >= raft_commit_index(n)) {
					snprintf(what, sizeof what, "promote %s (caught up at %llu)",
						 m->name, (unsigned long long)prog[j].match);
					conf_change(rt, RAFT_CONF_PROMOTE, id, what);
					return;
				}
			}
			continue;
		}
		if (!m->voter) {
			struct cmd c = { 0 };

			/* One proposal per second at most: no duplicate entries while it commits. */
			if (strcmp(rt->promote_proposed, m->name) == 0 &&
			    rt_now_ms() - rt->promote_proposed_ms < 1000)
				return;
			snprintf(rt->promote_proposed, sizeof rt->promote_proposed, "%s", m->name);
			rt->promote_proposed_ms = rt_now_ms();
			rt_propose_cmd(rt, cmd_build_member_promote(m->name, &c), &c);
			return;
		}
	}
	for (uint32_t i = 0; i < conf->n; i++) {
		raft_id_t id = conf->members[i].id;
		bool named = false;

		for (size_t j = 0; j < pgq_record_member_count(rt->record); j++)
			if (pgq_member_id(pgq_record_member_at(rt->record, j)->name) == id)
				named = true;
		if (!named) {
			const char *who = rt_peer_name(rt, id);
			snprintf(what, sizeof what, "remove %s", who != NULL ? who : "(unnamed)");
			conf_change(rt, RAFT_CONF_REMOVE, id, what);
			return;
		}
	}
}

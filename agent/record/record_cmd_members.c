/*
 * record_cmd_members.c — commands about who is in the cluster: bootstrap
 * (S15), the member table kept in step with Raft's membership (S16), status
 * reports (S9) and the database system identifier (S15).
 *
 * Raft ids: bootstrap peers get 1..N in raft.peers order; every later
 * member gets the highest id ever assigned + 1, so a removed member's id is
 * never reused by someone else. The agent proposes member_add first, reads
 * the id from the applied record, then proposes the Raft conf change.
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

/* name, raft_address, api_url, pg_address, tags of o into m (tags allocated). */
static int parse_member_spec(const json_t *o, struct pgq_member *m, char *why, size_t wl)
{
	const json_t *tags = NULL;

	memset(m, 0, sizeof(*m));
	if (!fld_name(o, "name", true, m->name, why, wl) ||
	    !fld_str(o, "raft_address", true, m->raft_address, sizeof(m->raft_address), why, wl) ||
	    !fld_str(o, "api_url", false, m->api_url, sizeof(m->api_url), why, wl) ||
	    !fld_str(o, "pg_address", false, m->pg_address, sizeof(m->pg_address), why, wl) ||
	    !fld_object(o, "tags", false, &tags, why, wl))
		return PGQ_RECORD_REJECTED;
	if (m->raft_address[0] == '\0')
		return rec_reject(why, wl, "field 'raft_address' must not be empty");
	return fld_tags(tags, &m->tags, why, wl);
}

static const struct pgq_member *member_by_raft_address(const struct pgq_record *r, const char *a)
{
	for (uint32_t i = 0; i < r->n_members; i++)
		if (strcmp(r->members[i].raft_address, a) == 0)
			return &r->members[i];
	return NULL;
}

int cmd_bootstrap(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	static const char *const spec_keys[] = { "name", "raft_address", "api_url", "pg_address",
						 "tags", NULL };
	struct pgq_member tmp[PGQ_RECORD_MAX_MEMBERS];
	char scope[PGQ_RECORD_NAME_MAX], cluster_id[PGQ_RECORD_TEXT_MAX];
	char system_id[PGQ_RECORD_TEXT_MAX] = "", primary[PGQ_RECORD_NAME_MAX] = "";
	const json_t *members, *config = NULL, *spec;
	struct pgq_dyn_config cfg;
	json_t *config_copy = NULL;
	uint64_t time_ms = 0;
	size_t n = 0, i;
	bool primary_found = false;
	int rc;

	/* S15: bootstrap once — a CAS on the empty record. */
	if (pgq_record_bootstrapped(r))
		return rec_reject(why, wl, "cluster already bootstrapped (S15)");
	if (!fld_name(c, "scope", true, scope, why, wl) ||
	    !fld_str(c, "cluster_id", true, cluster_id, sizeof(cluster_id), why, wl) ||
	    !fld_array(c, "members", true, &members, why, wl) ||
	    !fld_name(c, "primary", false, primary, why, wl) ||
	    !fld_object(c, "config", false, &config, why, wl) ||
	    !fld_str(c, "system_id", false, system_id, sizeof(system_id), why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (cluster_id[0] == '\0')
		return rec_reject(why, wl, "field 'cluster_id' must not be empty");
	if (json_array_size(members) == 0 || json_array_size(members) > PGQ_RECORD_MAX_MEMBERS)
		return rec_reject(why, wl, "field 'members' must list 1 to %d members",
				  PGQ_RECORD_MAX_MEMBERS);
	config_copy = config ? json_deep_copy(config) : json_object();
	if (config_copy == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	rc = pgq_dyn_config_validate(config_copy, &cfg, why, wl);
	if (rc != 0) {
		json_decref(config_copy);
		return rc;
	}

	json_array_foreach(members, i, spec) {
		if (!json_is_object(spec)) {
			rc = rec_reject(why, wl, "members[%zu] must be an object", i);
			break;
		}
		if (!fld_check_keys(spec, spec_keys, why, wl)) {
			rc = PGQ_RECORD_REJECTED;
			break;
		}
		rc = parse_member_spec(spec, &tmp[n], why, wl);
		if (rc != 0)
			break;
		n++;
		for (size_t j = 0; j + 1 < n; j++) {
			if (strcmp(tmp[j].name, tmp[n - 1].name) == 0)
				rc = rec_reject(why, wl, "member '%s' listed twice", tmp[j].name);
			else if (strcmp(tmp[j].raft_address, tmp[n - 1].raft_address) == 0)
				rc = rec_reject(why, wl, "raft address '%.200s' listed twice",
						tmp[j].raft_address);
		}
		if (rc != 0)
			break;
		if (strcmp(tmp[n - 1].name, primary) == 0)
			primary_found = true;
	}
	if (rc == 0 && primary[0] != '\0' && !primary_found)
		rc = rec_reject(why, wl, "primary '%s' is not among the members", primary);
	if (rc == 0)
		rc = rec_reserve_timeline(r);
	if (rc == 0)
		rc = rec_reserve_history(r);
	if (rc != 0) {
		for (size_t j = 0; j < n; j++)
			rec_member_clear(&tmp[j]);
		json_decref(config_copy);
		return rc;
	}

	memcpy(r->scope, scope, sizeof(scope));
	memcpy(r->cluster_id, cluster_id, sizeof(cluster_id));
	memcpy(r->system_id, system_id, sizeof(system_id));
	for (i = 0; i < n; i++) {
		tmp[i].raft_id = i + 1;
		tmp[i].voter = true;
		r->members[i] = tmp[i];
	}
	r->n_members = (uint32_t)n;
	r->max_raft_id = n;
	rec_install_config(r, config_copy, &cfg);
	memset(&r->primary, 0, sizeof(r->primary));
	if (primary[0] == '\0')
		return PGQ_RECORD_APPLIED; /* no PostgreSQL under management: no primary */
	/* S1: the naming entry grants no lease; the leader times it from here. */
	r->primary.state = PGQ_PRIMARY_ACTIVE;
	memcpy(r->primary.name, primary, sizeof(primary));
	r->primary.epoch = 1;
	r->primary.named_index = index;
	r->primary.named_at_ms = time_ms;
	r->primary.lease_timer_index = index;
	r->primary.loss_ttl_ms = cfg.ttl_ms;
	rec_append_timeline(r, &(struct pgq_timeline){ .tli = 1, .parent = 0, .switch_lsn = 0 });
	struct pgq_history_entry h = { .epoch = 1, .timeline = 1, .reason = PGQ_CHANGE_BOOTSTRAP,
				       .time_ms = time_ms };
	memcpy(h.new_primary, primary, sizeof(primary));
	rec_append_history(r, &h);
	return PGQ_RECORD_APPLIED;
}

int cmd_member_add(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	struct pgq_member m;
	uint64_t time_ms = 0;
	int rc;

	if (!fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	rc = parse_member_spec(c, &m, why, wl);
	if (rc != 0)
		return rc;
	if (rec_member_by_name(r, m.name) != NULL)
		rc = rec_reject(why, wl, "member '%s' already exists", m.name);
	else if (member_by_raft_address(r, m.raft_address) != NULL)
		rc = rec_reject(why, wl, "raft address '%.200s' is already used by member '%s'",
				m.raft_address, member_by_raft_address(r, m.raft_address)->name);
	else if (r->n_members >= PGQ_RECORD_MAX_MEMBERS)
		rc = rec_reject(why, wl, "member table full (%d members)", PGQ_RECORD_MAX_MEMBERS);
	if (rc != 0) {
		rec_member_clear(&m);
		return rc;
	}
	/* A new member starts as a learner; member_promote makes it a voter. */
	m.raft_id = ++r->max_raft_id;
	m.voter = false;
	r->members[r->n_members++] = m;
	return PGQ_RECORD_APPLIED;
}

int cmd_member_update(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	char api_url[PGQ_RECORD_ADDR_MAX], pg_address[PGQ_RECORD_ADDR_MAX];
	const json_t *tags = NULL;
	struct pgq_member_tags t;
	struct pgq_member *m;
	int rc;

	if (!fld_name(c, "name", true, name, why, wl))
		return PGQ_RECORD_REJECTED;
	m = rec_member_by_name(r, name);
	if (m == NULL)
		return rec_reject(why, wl, "no member '%s'", name);
	memcpy(api_url, m->api_url, sizeof(api_url));
	memcpy(pg_address, m->pg_address, sizeof(pg_address));
	if (!fld_str(c, "api_url", false, api_url, sizeof(api_url), why, wl) ||
	    !fld_str(c, "pg_address", false, pg_address, sizeof(pg_address), why, wl) ||
	    !fld_object(c, "tags", false, &tags, why, wl))
		return PGQ_RECORD_REJECTED;
	if (tags != NULL) {
		rc = fld_tags(tags, &t, why, wl);
		if (rc != 0)
			return rc;
		json_decref(m->tags.custom);
		m->tags = t;
	}
	memcpy(m->api_url, api_url, sizeof(api_url));
	memcpy(m->pg_address, pg_address, sizeof(pg_address));
	return PGQ_RECORD_APPLIED;
}

int cmd_member_promote(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	struct pgq_member *m;

	if (!fld_name(c, "name", true, name, why, wl))
		return PGQ_RECORD_REJECTED;
	m = rec_member_by_name(r, name);
	if (m == NULL)
		return rec_reject(why, wl, "no member '%s'", name);
	if (m->voter)
		return rec_reject(why, wl, "member '%s' is already a voter", name);
	m->voter = true;
	return PGQ_RECORD_APPLIED;
}

int cmd_member_remove(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	bool automatic = false;
	struct pgq_member *m;
	const char *busy;
	size_t at;

	if (!fld_name(c, "name", true, name, why, wl) ||
	    !fld_bool(c, "automatic", false, &automatic, why, wl))
		return PGQ_RECORD_REJECTED;
	m = rec_member_by_name(r, name);
	if (m == NULL)
		return rec_reject(why, wl, "no member '%s'", name);
	/* S16: never the primary, never a member of S_rec, never mid-change. */
	if (r->primary.state != PGQ_PRIMARY_NONE && strcmp(r->primary.name, name) == 0)
		return rec_reject(why, wl, "member '%s' is the primary (S16)", name);
	if (rec_sync_set_contains(&r->sync, name))
		return rec_reject(why, wl, "member '%s' is in the synchronous set: it leaves it "
				  "through S7 first (S16)", name);
	/* S19: the fence hook needs the addresses of a former primary that awaits it. */
	if (rec_fence_contains(r, name))
		return rec_reject(why, wl, "member '%s' awaits fencing (S19)", name);
	busy = rec_lookup_change_in_progress(r);
	if (busy != NULL)
		return rec_reject(why, wl, "%s (S16)", busy);
	if (automatic && m->voter)
		return rec_reject(why, wl, "voter '%s' is never removed automatically (S16)", name);
	if (r->scheduled.set &&
	    (strcmp(r->scheduled.from, name) == 0 || strcmp(r->scheduled.to, name) == 0))
		return rec_reject(why, wl, "member '%s' is named by the scheduled switchover", name);
	at = (size_t)(m - r->members);
	rec_member_clear(m);
	memmove(&r->members[at], &r->members[at + 1],
		(r->n_members - at - 1) * sizeof(r->members[0]));
	r->n_members--;
	memset(&r->members[r->n_members], 0, sizeof(r->members[0]));
	return PGQ_RECORD_APPLIED;
}

int cmd_member_report(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	struct pgq_member_status s = { .reported = true };
	struct pgq_member *m;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_str(c, "role", true, s.role, sizeof(s.role), why, wl) ||
	    !fld_str(c, "state", true, s.state, sizeof(s.state), why, wl) ||
	    !fld_u32(c, "timeline", true, UINT32_MAX, &s.timeline, why, wl) ||
	    !fld_u64(c, "receive_lsn", true, &s.receive_lsn, why, wl) ||
	    !fld_u64(c, "replay_lsn", true, &s.replay_lsn, why, wl) ||
	    !fld_u64(c, "flush_lsn", true, &s.flush_lsn, why, wl) ||
	    !fld_u64(c, "lag_bytes", false, &s.lag_bytes, why, wl) ||
	    !fld_bool(c, "pending_restart", false, &s.pending_restart, why, wl) ||
	    !fld_u64(c, "report_for_loss", false, &s.report_for_loss, why, wl) ||
	    !fld_u32(c, "cmd_version", false, UINT32_MAX, &s.cmd_version, why, wl) ||
	    !fld_u64(c, "time_ms", true, &s.reported_at_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	m = rec_member_by_name(r, name);
	if (m == NULL)
		return rec_reject(why, wl, "no member '%s'", name);
	if (strcmp(s.role, "primary") != 0 && strcmp(s.role, "replica") != 0 &&
	    strcmp(s.role, "unknown") != 0)
		return rec_reject(why, wl, "field 'role' must be primary, replica or unknown");
	/* S9: a report names a loss entry that precedes it. */
	if (s.report_for_loss >= index)
		return rec_reject(why, wl, "report_for_loss %llu does not precede this entry (S9)",
				  (unsigned long long)s.report_for_loss);
	s.report_index = index;
	m->status = s;
	return PGQ_RECORD_APPLIED;
}

int cmd_system_id(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX], sysid[PGQ_RECORD_TEXT_MAX];
	uint64_t epoch = 0;
	size_t n;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_str(c, "system_id", true, sysid, sizeof(sysid), why, wl))
		return PGQ_RECORD_REJECTED;
	n = strlen(sysid);
	if (n == 0 || n > 20 || strspn(sysid, "0123456789") != n)
		return rec_reject(why, wl, "field 'system_id' must be a decimal system identifier");
	if (epoch != r->primary.epoch || strcmp(name, r->primary.name) != 0)
		return rec_reject(why, wl, "only the primary of epoch %llu records the system id (S4)",
				  (unsigned long long)r->primary.epoch);
	/* S15: recorded once; a different identifier is another database. */
	if (r->system_id[0] != '\0')
		return rec_reject(why, wl, "system id already recorded as %s%s (S15)", r->system_id,
				  strcmp(r->system_id, sysid) == 0 ? "" : ", this one differs");
	memcpy(r->system_id, sysid, sizeof(sysid));
	return PGQ_RECORD_APPLIED;
}

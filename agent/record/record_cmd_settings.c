/*
 * record_cmd_settings.c — the synchronous set (S7, S10), the dynamic
 * configuration (validated as a whole: a bad patch changes nothing) and the
 * pause flag (S18: pause pauses decisions, never leases or renewals).
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

int cmd_sync_set_update(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t epoch = 0, seq = 0;
	struct pgq_sync_set s = { 0 };
	const json_t *members, *v;
	size_t i;

	if (!fld_name(c, "member", true, name, why, wl) ||
	    !fld_u64(c, "epoch", true, &epoch, why, wl) ||
	    !fld_u64(c, "lease_seq", true, &seq, why, wl) ||
	    !fld_array(c, "members", true, &members, why, wl) ||
	    !fld_u32(c, "k", true, PGQ_RECORD_MAX_MEMBERS, &s.k, why, wl))
		return PGQ_RECORD_REJECTED;
	/* S7: the primary's agent proposes, as a CAS on (epoch, lease_seq) (S4). */
	if (strcmp(name, r->primary.name) != 0)
		return rec_reject(why, wl, "member '%s' is not the primary of epoch %llu (S7)", name,
				  (unsigned long long)r->primary.epoch);
	if (epoch != r->primary.epoch || seq != r->primary.lease_seq)
		return rec_reject(why, wl, "epoch/lease_seq %llu/%llu are not the recorded "
				  "%llu/%llu (S4)", (unsigned long long)epoch,
				  (unsigned long long)seq, (unsigned long long)r->primary.epoch,
				  (unsigned long long)r->primary.lease_seq);
	if (r->primary.state != PGQ_PRIMARY_ACTIVE && r->primary.state != PGQ_PRIMARY_DEMOTING)
		return rec_reject(why, wl, "the primary is %s (S7)",
				  pgq_primary_state_name(r->primary.state));
	if (json_array_size(members) > PGQ_RECORD_MAX_MEMBERS)
		return rec_reject(why, wl, "too many members in the synchronous set");
	json_array_foreach(members, i, v) {
		const char *n = json_string_value(v);

		if (n == NULL || !valid_member_name(n))
			return rec_reject(why, wl, "members[%zu] must be a member name", i);
		if (rec_member_by_name(r, n) == NULL)
			return rec_reject(why, wl, "no member '%s'", n);
		if (strcmp(n, r->primary.name) == 0)
			return rec_reject(why, wl, "the primary is not part of its synchronous set");
		if (rec_sync_set_contains(&s, n))
			return rec_reject(why, wl, "member '%s' listed twice", n);
		snprintf(s.members[s.n++], PGQ_RECORD_NAME_MAX, "%s", n);
	}
	if (s.k > s.n)
		return rec_reject(why, wl, "k = %u exceeds the %u members listed (S7)", s.k, s.n);
	if (r->cfg.synchronous_mode == PGQ_RECORD_SYNC_OFF && s.k > 0)
		return rec_reject(why, wl, "synchronous_mode is off: k must be 0 (S7)");
	r->sync = s;
	return PGQ_RECORD_APPLIED;
}

static int install_validated(struct pgq_record *r, json_t *config, char *why, size_t wl)
{
	struct pgq_dyn_config cfg;
	int rc;

	if (config == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	rc = pgq_dyn_config_validate(config, &cfg, why, wl);
	if (rc != 0) {
		json_decref(config);
		return rc;
	}
	rec_install_config(r, config, &cfg);
	return PGQ_RECORD_APPLIED;
}

int cmd_config_patch(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	const json_t *patch;
	uint64_t time_ms = 0;

	if (!fld_object(c, "patch", true, &patch, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	/* RFC 7386: null deletes a key, which brings back its default. */
	return install_validated(r, pgq_json_merge_patch(r->config, patch), why, wl);
}

int cmd_config_replace(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	const json_t *config;
	uint64_t time_ms = 0;

	if (!fld_object(c, "config", true, &config, why, wl) ||
	    !fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	return install_validated(r, json_deep_copy(config), why, wl);
}

int cmd_pause(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	uint64_t time_ms = 0;

	if (!fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (r->paused)
		return rec_reject(why, wl, "already paused");
	r->paused = true;
	return PGQ_RECORD_APPLIED;
}

int cmd_resume(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl)
{
	uint64_t time_ms = 0;

	if (!fld_u64(c, "time_ms", true, &time_ms, why, wl))
		return PGQ_RECORD_REJECTED;
	if (!r->paused)
		return rec_reject(why, wl, "not paused");
	r->paused = false;
	return PGQ_RECORD_APPLIED;
}

/*
 * record_internal.h — the record's private layout and the helpers its
 * command handlers share. Only agent/record/ includes this file.
 *
 * Handler contract (S17): a handler reads every field and checks every
 * compare-and-set condition *before* it changes anything, so a rejected
 * command leaves the record exactly as it was. Handlers never read a clock.
 */
#ifndef PGQ_RECORD_INTERNAL_H
#define PGQ_RECORD_INTERNAL_H

#include "record/record.h"

#define PGQ_WHY_MAX 256

struct pgq_record {
	char scope[PGQ_RECORD_NAME_MAX];
	char cluster_id[PGQ_RECORD_TEXT_MAX];
	char system_id[PGQ_RECORD_TEXT_MAX];
	uint64_t last_index;

	uint64_t max_raft_id;      /* highest raft id ever assigned: ids are never reused */
	uint32_t n_members;        /* sorted by raft_id (ids only grow) */
	struct pgq_member members[PGQ_RECORD_MAX_MEMBERS];

	struct pgq_primary primary;
	struct pgq_sync_set sync;

	uint32_t timeline;         /* current timeline */
	struct pgq_timeline *timelines;
	size_t n_timelines, cap_timelines;

	json_t *config;            /* the stored (sparse) dynamic configuration object */
	struct pgq_dyn_config cfg; /* its effective values */

	bool paused;
	struct pgq_scheduled_switchover scheduled;
	struct pgq_switchover switchover;
	struct pgq_failover_blocked blocked;

	uint32_t n_fence;          /* S19: former primaries to fence before the next promotion */
	char fence[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];

	struct pgq_history_entry *history;
	size_t n_history, cap_history;
};

/* --- record.c: shared mutators and lookups -------------------------------- */
struct pgq_member *rec_member_by_name(struct pgq_record *r, const char *name);
/* Make room for one more timeline / history entry: PGQ_RECORD_ERR_NOMEM or 0. */
int rec_reserve_timeline(struct pgq_record *r);
int rec_reserve_history(struct pgq_record *r);
/* Append; the caller reserved room first. */
void rec_append_timeline(struct pgq_record *r, const struct pgq_timeline *t);
void rec_append_history(struct pgq_record *r, const struct pgq_history_entry *h);
void rec_member_clear(struct pgq_member *m); /* frees tags.custom */
bool rec_sync_set_contains(const struct pgq_sync_set *s, const char *name);
bool rec_fence_contains(const struct pgq_record *r, const char *name);
const char *rec_lookup_change_in_progress(const struct pgq_record *r);

/* --- record_fields.c: typed field readers for untrusted JSON -------------- */
/*
 * Each reader returns true on success. On failure it writes a deterministic
 * reason naming the key to why. A field that is absent and not required
 * leaves the default in *out.
 */
bool fld_check_keys(const json_t *o, const char *const *allowed, char *why, size_t wl);
bool fld_str(const json_t *o, const char *key, bool required, char *out, size_t outsz,
	     char *why, size_t wl);
bool fld_name(const json_t *o, const char *key, bool required, char *out, char *why, size_t wl);
bool fld_u64(const json_t *o, const char *key, bool required, uint64_t *out, char *why, size_t wl);
bool fld_u32(const json_t *o, const char *key, bool required, uint32_t max, uint32_t *out,
	     char *why, size_t wl);
bool fld_i32(const json_t *o, const char *key, bool required, int32_t *out, char *why, size_t wl);
bool fld_bool(const json_t *o, const char *key, bool required, bool *out, char *why, size_t wl);
/* An object member (returns it borrowed, or NULL when absent and optional). */
bool fld_object(const json_t *o, const char *key, bool required, const json_t **out,
		char *why, size_t wl);
bool fld_array(const json_t *o, const char *key, bool required, const json_t **out,
	       char *why, size_t wl);
bool valid_member_name(const char *s);
/* Parse a tags object into t (t->custom becomes a new reference). 0, REJECTED or ERR_NOMEM. */
int fld_tags(const json_t *o, struct pgq_member_tags *t, char *why, size_t wl);
json_t *tags_to_json(const struct pgq_member_tags *t);

/* --- record_config.c: the dynamic configuration (prototypes in record.h) --- */

/* --- command handlers (record_cmd_*.c) ------------------------------------ */
typedef int (*rec_handler)(struct pgq_record *r, const json_t *cmd, uint64_t index,
			   char *why, size_t wl);
int cmd_bootstrap(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_member_add(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_member_update(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_member_promote(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_member_remove(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_member_report(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_system_id(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_lease_renew(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_lease_release(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_primary_lost(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_set_primary(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_promoted(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_vetoed(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_failover_blocked(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_switchover_request(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_demoted(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_switchover_abort(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_switchover_schedule(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_switchover_cancel(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_sync_set_update(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_config_patch(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_config_replace(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_fence_confirm(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_pause(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);
int cmd_resume(struct pgq_record *r, const json_t *c, uint64_t index, char *why, size_t wl);

/* Reject with a formatted reason: always returns PGQ_RECORD_REJECTED. */
int rec_reject(char *why, size_t wl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set the config and refresh the loss ttl (S2); takes the reference to config. */
void rec_install_config(struct pgq_record *r, json_t *config, const struct pgq_dyn_config *cfg);

#endif /* PGQ_RECORD_INTERNAL_H */

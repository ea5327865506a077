/*
 * record.c — the cluster record's lifetime, accessors and the few mutators
 * the command handlers share (member lookup, timeline and history append).
 * The commands themselves live in record_cmd_*.c, the dispatcher in
 * record_apply.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_internal.h"

const char *pgq_record_strerror(int rc)
{
	switch (rc) {
	case PGQ_RECORD_APPLIED: return "applied";
	case PGQ_RECORD_REJECTED: return "rejected";
	case PGQ_RECORD_ERR_VERSION: return "unknown command version";
	case PGQ_RECORD_ERR_NOMEM: return "out of memory";
	case PGQ_RECORD_ERR_INVALID: return "invalid argument";
	case PGQ_RECORD_ERR_CORRUPT: return "corrupt snapshot";
	default: return "unknown error";
	}
}

const char *pgq_primary_state_name(enum pgq_primary_state s)
{
	static const char *const names[] = { "none", "active", "lost", "demoting",
					     "demoted", "released", "vetoed" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *pgq_record_sync_mode_name(enum pgq_record_sync_mode m)
{
	static const char *const names[] = { "off", "on", "quorum" };
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

const char *pgq_switchover_phase_name(enum pgq_switchover_phase p)
{
	static const char *const names[] = { "none", "demoting", "demoted", "aborted" };
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

const char *pgq_change_reason_name(enum pgq_change_reason c)
{
	static const char *const names[] = { "bootstrap", "failover", "manual", "switchover" };
	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

struct pgq_record *pgq_record_new(void)
{
	struct pgq_record *r = calloc(1, sizeof(*r));
	char why[PGQ_WHY_MAX];

	if (r == NULL)
		return NULL;
	r->config = json_object();
	if (r->config == NULL || pgq_dyn_config_validate(r->config, &r->cfg, why, sizeof(why)) != 0) {
		pgq_record_free(r);
		return NULL;
	}
	return r;
}

void rec_member_clear(struct pgq_member *m)
{
	json_decref(m->tags.custom);
	memset(m, 0, sizeof(*m));
}

void pgq_record_free(struct pgq_record *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->n_members; i++)
		rec_member_clear(&r->members[i]);
	json_decref(r->config);
	free(r->timelines);
	free(r->history);
	free(r);
}

int rec_reject(char *why, size_t wl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wl, fmt, ap);
	va_end(ap);
	return PGQ_RECORD_REJECTED;
}

struct pgq_member *rec_member_by_name(struct pgq_record *r, const char *name)
{
	for (uint32_t i = 0; i < r->n_members; i++)
		if (strcmp(r->members[i].name, name) == 0)
			return &r->members[i];
	return NULL;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int rec_reserve_timeline(struct pgq_record *r)
{
	return grow((void **)&r->timelines, &r->cap_timelines, r->n_timelines,
		    sizeof(*r->timelines));
}

int rec_reserve_history(struct pgq_record *r)
{
	if (r->n_history >= PGQ_RECORD_HISTORY_MAX)
		return 0; /* append drops the oldest instead of growing */
	return grow((void **)&r->history, &r->cap_history, r->n_history, sizeof(*r->history));
}

void rec_append_timeline(struct pgq_record *r, const struct pgq_timeline *t)
{
	r->timelines[r->n_timelines++] = *t;
	r->timeline = t->tli;
}

void rec_append_history(struct pgq_record *r, const struct pgq_history_entry *h)
{
	/* A bounded history: dropping the oldest is deterministic on every node. */
	if (r->n_history >= PGQ_RECORD_HISTORY_MAX) {
		memmove(r->history, r->history + 1, (r->n_history - 1) * sizeof(*r->history));
		r->n_history--;
	}
	r->history[r->n_history++] = *h;
}

bool rec_sync_set_contains(const struct pgq_sync_set *s, const char *name)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (strcmp(s->members[i], name) == 0)
			return true;
	return false;
}

bool rec_fence_contains(const struct pgq_record *r, const char *name)
{
	for (uint32_t i = 0; i < r->n_fence; i++)
		if (strcmp(r->fence[i], name) == 0)
			return true;
	return false;
}

void rec_install_config(struct pgq_record *r, json_t *config, const struct pgq_dyn_config *cfg)
{
	json_decref(r->config);
	r->config = config;
	r->cfg = *cfg;
	/* S2: the loss timer uses the largest ttl in force since the last renewal. */
	if (r->primary.state != PGQ_PRIMARY_NONE && cfg->ttl_ms > r->primary.loss_ttl_ms)
		r->primary.loss_ttl_ms = cfg->ttl_ms;
}

const char *rec_lookup_change_in_progress(const struct pgq_record *r)
{
	if (r->switchover.phase == PGQ_SWITCHOVER_DEMOTING ||
	    r->switchover.phase == PGQ_SWITCHOVER_DEMOTED)
		return "switchover in progress";
	switch (r->primary.state) {
	case PGQ_PRIMARY_NONE:
		/* Bootstrapped without a primary: PostgreSQL is not managed, nothing changes. */
		return r->cluster_id[0] != '\0' ? NULL : "cluster not bootstrapped";
	case PGQ_PRIMARY_ACTIVE:
		if (r->primary.promoted)
			return NULL;
		return r->primary.epoch == 1 ? "bootstrap in progress" : "failover in progress";
	case PGQ_PRIMARY_DEMOTING:
		return "switchover in progress";
	default:
		return "failover in progress";
	}
}

/* --- accessors ------------------------------------------------------------- */

bool pgq_record_bootstrapped(const struct pgq_record *r) { return r->cluster_id[0] != '\0'; }
const char *pgq_record_scope(const struct pgq_record *r) { return r->scope; }
const char *pgq_record_cluster_id(const struct pgq_record *r) { return r->cluster_id; }
const char *pgq_record_system_id(const struct pgq_record *r) { return r->system_id; }
uint64_t pgq_record_last_index(const struct pgq_record *r) { return r->last_index; }
size_t pgq_record_member_count(const struct pgq_record *r) { return r->n_members; }

const struct pgq_member *pgq_record_member_at(const struct pgq_record *r, size_t i)
{
	return i < r->n_members ? &r->members[i] : NULL;
}

const struct pgq_member *pgq_record_member_by_name(const struct pgq_record *r, const char *name)
{
	return name ? rec_member_by_name((struct pgq_record *)r, name) : NULL;
}

const struct pgq_member *pgq_record_member_by_id(const struct pgq_record *r, raft_id_t id)
{
	for (uint32_t i = 0; i < r->n_members; i++)
		if (r->members[i].raft_id == id)
			return &r->members[i];
	return NULL;
}

const struct pgq_primary *pgq_record_primary(const struct pgq_record *r) { return &r->primary; }
uint64_t pgq_record_epoch(const struct pgq_record *r) { return r->primary.epoch; }

const struct pgq_member *pgq_record_primary_member(const struct pgq_record *r)
{
	if (r->primary.state == PGQ_PRIMARY_NONE)
		return NULL;
	return pgq_record_member_by_name(r, r->primary.name);
}

const struct pgq_sync_set *pgq_record_sync_set(const struct pgq_record *r) { return &r->sync; }

bool pgq_record_in_sync_set(const struct pgq_record *r, const char *name)
{
	return name && rec_sync_set_contains(&r->sync, name);
}

uint32_t pgq_record_timeline(const struct pgq_record *r) { return r->timeline; }
size_t pgq_record_timeline_count(const struct pgq_record *r) { return r->n_timelines; }

const struct pgq_timeline *pgq_record_timeline_at(const struct pgq_record *r, size_t i)
{
	return i < r->n_timelines ? &r->timelines[i] : NULL;
}

size_t pgq_record_history_count(const struct pgq_record *r) { return r->n_history; }

const struct pgq_history_entry *pgq_record_history_at(const struct pgq_record *r, size_t i)
{
	return i < r->n_history ? &r->history[i] : NULL;
}

const struct pgq_dyn_config *pgq_record_config(const struct pgq_record *r) { return &r->cfg; }
json_t *pgq_record_config_effective(const struct pgq_record *r)
{
	return pgq_dyn_config_effective(r->config);
}
const json_t *pgq_record_config_stored(const struct pgq_record *r)
{
	return r->config;
}
bool pgq_record_paused(const struct pgq_record *r) { return r->paused; }

const struct pgq_scheduled_switchover *pgq_record_scheduled_switchover(const struct pgq_record *r)
{
	return &r->scheduled;
}

const struct pgq_switchover *pgq_record_switchover(const struct pgq_record *r)
{
	return &r->switchover;
}

const struct pgq_failover_blocked *pgq_record_failover_blocked(const struct pgq_record *r)
{
	return &r->blocked;
}

bool pgq_record_change_in_progress(const struct pgq_record *r, const char **why)
{
	const char *w = rec_lookup_change_in_progress(r);

	if (why)
		*why = w;
	return w != NULL;
}

uint32_t pgq_record_cmd_version_usable(const struct pgq_record *r)
{
	uint32_t v = UINT32_MAX;
	bool any = false;

	for (uint32_t i = 0; i < r->n_members; i++) {
		if (!r->members[i].voter)
			continue;
		any = true;
		if (r->members[i].status.cmd_version < v)
			v = r->members[i].status.cmd_version;
	}
	return any ? v : 0;
}

uint64_t pgq_member_report_lsn(const struct pgq_member *m)
{
	return m->status.receive_lsn > m->status.replay_lsn ? m->status.receive_lsn
							    : m->status.replay_lsn;
}

size_t pgq_record_fence_pending(const struct pgq_record *r,
				const char (**names)[PGQ_RECORD_NAME_MAX])
{
	if (names)
		*names = (const char (*)[PGQ_RECORD_NAME_MAX])r->fence;
	return r->n_fence;
}

bool pgq_record_report_valid_for_loss(const struct pgq_record *r, const struct pgq_member *m)
{
	/* S9: measured after the loss entry it names, on the record's timeline. */
	return m != NULL && m->status.reported && r->primary.lost_index != 0 &&
	       m->status.report_for_loss == r->primary.lost_index &&
	       m->status.report_index > r->primary.lost_index &&
	       m->status.timeline == r->timeline;
}

/*
 * ha_sync.c — the primary's agent maintains synchronous_standby_names and
 * the recorded synchronous set (SAFETY.md S7, S10, S11).
 *
 * agent/ha/sync.c decides the next safe step from (record, what PostgreSQL
 * was set to, the walsenders); this file feeds it and carries the step out:
 *   - the standbys: pg_stat_replication rows of record members (name =
 *     application_name, S10), streaming, not tagged nosync, flush LSN;
 *   - "applied" (S7): current_setting('synchronous_standby_names') shows the
 *     new text and every walsender's sync_priority matches the new list, in
 *     two consecutive probes (a walsender re-reads the file after the
 *     postmaster; the second look also covers a k change in quorum mode,
 *     which sync_priority cannot show — docs/safety-changes.md C19);
 *   - the LSN after the change: pg_current_wal_flush_lsn() from the probe
 *     after the one that first showed it applied (the batch reads the LSN
 *     before pg_stat_replication);
 *   - SET_RECORD: a sync_set_update CAS on (epoch, lease_seq) (S4). Only one
 *     is in flight: the next step waits until our own record shows it
 *     applied or the record's lease_seq moved past it (then it can never
 *     apply). Two in flight could apply out of order and shrink the record
 *     under a list PostgreSQL already uses;
 *   - SET_PG: rewrite pgquorum.conf and reload (one operation, d->op).
 * Only after a fresh health probe, only when this member is the recorded,
 * promoted, writable primary holding its lease, caught up (S4). Pause does
 * not stop it: it is part of R2, not a decision (S18).
 */
#include "runtime/ha_driver_internal.h"

#include "ha/clock.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define SYNC_REWRITE_MS 5000u   /* text still not in use after this: write again */

static bool i_am_primary(const struct ha_driver *d, const struct pgq_primary **pp)
{
	const struct pgq_primary *p = pgq_record_primary(d->rt->record);

	*pp = p;
	return p->name[0] != '\0' && strcmp(p->name, d->rt->cfg->name) == 0;
}

static void render_state(struct ha_sync_state *s)
{
	struct pgq_sync_list l = { .n = s->n, .k = s->k };

	for (size_t i = 0; i < s->n; i++)
		l.names[i] = s->names[i];
	if (s->placeholder) {
		struct pgq_sync_list ph = { .n = 1, .names = { PGQ_SYNC_PLACEHOLDER }, .k = 1 };
		(void)pgq_sync_render(PGQ_RECORD_SYNC_ON, &ph, s->text, sizeof s->text);
		return;
	}
	if (pgq_sync_render(s->mode, &l, s->text, sizeof s->text) != 0)
		s->text[0] = '\0'; /* cannot happen: the buffer fits 16 quoted names */
}

/* Point the state at a new list: not applied until the walsenders show it. */
static void set_state(struct ha_sync_state *s, enum pgq_record_sync_mode mode,
		      const struct pgq_sync_list *l, bool placeholder)
{
	s->mode = mode;
	s->n = 0;
	for (size_t i = 0; i < l->n && i < PGQ_RECORD_MAX_MEMBERS; i++)
		snprintf(s->names[s->n++], sizeof s->names[0], "%s", l->names[i]);
	s->k = l->k;
	s->placeholder = placeholder;
	render_state(s);
	s->need_write = true;
	s->applied = false;
	s->match_seq = 0;
	s->lsn_after_change = 0;
}

/*
 * First look in this epoch (a promotion, or an agent restarted under a
 * running primary): PostgreSQL is assumed to use the record's own
 * (S_rec, k_rec) — within S7's bounds whatever it used before — and is set
 * to it. In a new epoch that is (∅, 0): '' or the strict placeholder (S10).
 */
static void init_for_epoch(struct ha_driver *d, uint64_t epoch)
{
	const struct pgq_dyn_config *cfg = pgq_record_config(d->rt->record);
	struct ha_sync_state *s = &d->sync;
	struct pgq_sync_list rec;
	enum pgq_record_sync_mode mode = cfg->synchronous_mode;

	pgq_sync_list_from_record(d->rt->record, &rec);
	memset(s, 0, sizeof *s);
	s->epoch = epoch;
	/* A k > 0 list in mode off (being switched off) keeps its form until the record drops k. */
	if (mode == PGQ_RECORD_SYNC_OFF && rec.k > 0)
		mode = PGQ_RECORD_SYNC_ON;
	set_state(s, mode, &rec, rec.k == 0 && mode != PGQ_RECORD_SYNC_OFF && cfg->synchronous_mode_strict);
}

const char *ha_sync_conf_value(struct ha_driver *d)
{
	const struct pgq_primary *p;

	if (!i_am_primary(d, &p))
		return ""; /* a standby's own list matters only once promoted: S10 sets it then */
	if (d->sync.epoch != p->epoch)
		init_for_epoch(d, p->epoch);
	/* The caller writes it now; the reload follows in the same operation. */
	d->sync.need_write = false;
	d->sync.written_ms = pgq_now_boottime_ms();
	return d->sync.text;
}

/* The sync_priority a walsender named `app` must show under the state (S7). */
static int expected_priority(const struct ha_sync_state *s, const char *app)
{
	if (s->placeholder || s->k == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], app) == 0)
			return s->mode == PGQ_RECORD_SYNC_QUORUM ? 1 : (int)i + 1;
	return 0;
}

static bool priorities_match(const struct ha_driver *d)
{
	const struct pgmgr_health *h = &d->health;

	if (strcmp(h->synchronous_standby_names, d->sync.text) != 0)
		return false;
	for (size_t i = 0; i < h->n_replicas; i++) {
		const struct pgmgr_replica *r = &h->replicas[i];
		/* A walsender not yet replicating reads the configuration when it starts. */
		if (strcmp(r->state, "startup") == 0)
			continue;
		if (r->sync_priority != expected_priority(&d->sync, r->application_name))
			return false;
	}
	return true;
}

/* The standbys as the primary sees them: record members among the walsenders. */
static size_t gather_standbys(const struct ha_driver *d, struct pgq_sync_standby *out)
{
	const struct pgmgr_health *h = &d->health;
	size_t n = 0;

	for (size_t i = 0; i < h->n_replicas; i++) {
		const struct pgmgr_replica *r = &h->replicas[i];
		const struct pgq_member *m = pgq_record_member_by_name(d->rt->record, r->application_name);
		size_t j;

		if (m == NULL || strcmp(m->name, d->rt->cfg->name) == 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(out[j].name, m->name) == 0)
				break;
		if (j == n) {
			if (n >= PGQ_RECORD_MAX_MEMBERS)
				continue;
			out[n].name = m->name;
			out[n].nosync = m->tags.nosync;
			out[n].streaming = false;
			out[n].flush_lsn = 0;
			n++;
		}
		/* A reconnecting standby may show twice: the streaming row counts. */
		if (strcmp(r->state, "streaming") == 0) {
			out[j].streaming = true;
			if (r->flush_lsn > out[j].flush_lsn)
				out[j].flush_lsn = r->flush_lsn;
		}
	}
	return n;
}

static bool record_shows(const struct ha_driver *d)
{
	const struct pgq_sync_set *set = pgq_record_sync_set(d->rt->record);
	const struct ha_sync_state *s = &d->sync;

	if (set->k != s->rec_k || set->n != s->rec_n)
		return false;
	for (size_t i = 0; i < s->rec_n; i++)
		if (!pgq_record_in_sync_set(d->rt->record, s->rec_names[i]))
			return false;
	return true;
}

static void propose_record(struct ha_driver *d, const struct pgq_sync_step *st,
			   const struct pgq_primary *p, uint64_t now)
{
	struct ha_sync_state *s = &d->sync;
	struct pgq_ha_cmds cmds = { 0 };
	int rc = pgq_sync_propose(d->rt->record, d->rt->cfg->name, st, &cmds);

	if (rc != 0 || cmds.n == 0) {
		pgq_warning("ha", "synchronous set: cannot propose: %s", pgq_record_strerror(rc));
		pgq_ha_cmds_free(&cmds);
		return;
	}
	s->rec_inflight = true;
	s->rec_lease_seq = p->lease_seq;
	s->rec_n = 0;
	for (size_t i = 0; i < st->list.n; i++)
		snprintf(s->rec_names[s->rec_n++], sizeof s->rec_names[0], "%s", st->list.names[i]);
	s->rec_k = st->list.k;
	s->rec_sent_ms = now;
	{
		char names[PGQ_SYNC_TEXT_MAX] = "";
		for (size_t i = 0; i < st->list.n; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i > 0 ? ", " : "", st->list.names[i]);
		pgq_info("ha", "synchronous set: proposing S_rec = {%s}, k_rec = %u: %s", names,
			 st->list.k, st->why);
	}
	for (size_t i = 0; i < cmds.n; i++)
		ha_propose(d, cmds.cmd[i].data, cmds.cmd[i].len, cmds.cmd[i].name);
	pgq_ha_cmds_free(&cmds);
}

/* Rewrite pgquorum.conf (with the state's text) and reload: one operation. */
static void reload_conf(struct ha_driver *d)
{
	char err[160];

	ha_begin(d, PGQ_HA_FOLLOW);
	d->op_action = PGQ_HA_NONE;
	if (ha_reload_pg(d, false, err, sizeof err) != 0)
		ha_op_done(d, "synchronous_standby_names", false, err);
}

void ha_sync_drive(struct ha_driver *d, bool caught_up)
{
	struct ha_sync_state *s = &d->sync;
	const struct pgq_dyn_config *cfg = pgq_record_config(d->rt->record);
	const struct pgq_primary *p;
	struct pgq_sync_standby sb[PGQ_RECORD_MAX_MEMBERS];
	struct pgq_sync_input in = { 0 };
	struct pgq_sync_step st;
	uint64_t now = pgq_now_boottime_ms();

	if (!caught_up || d->stopping || d->op != HA_OP_NONE || !d->health_valid ||
	    d->health_seq == s->seen_seq)
		return;
	s->seen_seq = d->health_seq;
	if (!i_am_primary(d, &p) || p->state != PGQ_PRIMARY_ACTIVE || !p->promoted ||
	    !d->may_be_writable || d->obs.run != PGQ_PGRUN_RUNNING || d->obs.in_recovery)
		return;
	if (s->epoch != p->epoch)
		init_for_epoch(d, p->epoch);
	/* The text not in pgquorum.conf yet, or the reload apparently lost: (re)write it. */
	if (s->need_write || (!s->applied && now - s->written_ms >= SYNC_REWRITE_MS &&
			      strcmp(d->health.synchronous_standby_names, s->text) != 0)) {
		pgq_info("ha", "synchronous_standby_names = '%s' (S7)", s->text);
		reload_conf(d);
		return;
	}
	/* S7: applied once two consecutive probes show it; the LSN comes from the second. */
	if (!s->applied) {
		if (!priorities_match(d)) {
			s->match_seq = 0;
		} else if (s->match_seq == 0) {
			s->match_seq = d->health_seq;
		} else {
			s->applied = true;
			s->lsn_after_change = d->health.current_lsn;
			pgq_info("ha", "synchronous_standby_names '%s' in use by every walsender "
				 "(LSN after the change %llX)", s->text,
				 (unsigned long long)s->lsn_after_change);
		}
	}
	/* One record proposal at a time: applied by our record, or dead (lease_seq moved). */
	if (s->rec_inflight) {
		/* Never resend at the same lease_seq: the renewals move it every loop_wait. */
		if (!record_shows(d) && p->lease_seq <= s->rec_lease_seq)
			return;
		s->rec_inflight = false;
	}
	in.mode = cfg->synchronous_mode;
	in.node_count = cfg->synchronous_node_count;
	in.strict = cfg->synchronous_mode_strict;
	in.standbys = sb;
	in.n_standbys = gather_standbys(d, sb);
	pgq_sync_list_from_record(d->rt->record, &in.rec);
	in.pg.n = s->n;
	in.pg.k = s->k;
	for (size_t i = 0; i < s->n; i++)
		in.pg.names[i] = s->names[i];
	in.pg_placeholder = s->placeholder;
	in.pg_applied = s->applied;
	in.lsn_after_change = s->lsn_after_change;
	pgq_sync_next_step(&in, &st);
	if (strcmp(st.why, s->last_why) != 0 && st.kind != PGQ_SYNC_SET_RECORD) {
		pgq_debug("ha", "synchronous set: %s", st.why);
		snprintf(s->last_why, sizeof s->last_why, "%s", st.why);
	}
	switch (st.kind) {
	case PGQ_SYNC_SET_RECORD:
		propose_record(d, &st, p, now);
		return;
	case PGQ_SYNC_SET_PG:
		/* A mode switched off keeps rendering the list it replaces in the old form. */
		set_state(s, in.mode == PGQ_RECORD_SYNC_OFF ? PGQ_RECORD_SYNC_ON : in.mode, &st.list,
			  st.placeholder);
		pgq_info("ha", "synchronous_standby_names = '%s': %s", s->text, st.why);
		reload_conf(d);
		return;
	case PGQ_SYNC_WAIT:
	case PGQ_SYNC_NONE:
	default:
		return;
	}
}

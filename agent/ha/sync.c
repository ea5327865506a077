/*
 * sync.c — the order of synchronous_standby_names changes (SAFETY.md S7,
 * S10). See sync.h for the four steps and why that order keeps the
 * recorded set a superset of what PostgreSQL may wait for.
 */
#include <stdio.h>
#include <string.h>

#include "ha/sync.h"
#include "record/record_cmd.h"

static bool list_has(const struct pgq_sync_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static bool same_set(const struct pgq_sync_list *a, const struct pgq_sync_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!list_has(b, a->names[i]))
			return false;
	return true;
}

static bool same_list(const struct pgq_sync_list *a, const struct pgq_sync_list *b)
{
	return a->k == b->k && same_set(a, b);
}

static void sort_names(struct pgq_sync_list *l)
{
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = i; j > 0 && strcmp(l->names[j], l->names[j - 1]) < 0; j--) {
			const char *t = l->names[j];

			l->names[j] = l->names[j - 1];
			l->names[j - 1] = t;
		}
}

void pgq_sync_target(const struct pgq_sync_input *in, struct pgq_sync_list *out,
		     bool *placeholder)
{
	struct pgq_sync_list ok = { 0 };
	uint32_t want = in->node_count == 0 ? 1 : in->node_count;

	memset(out, 0, sizeof(*out));
	*placeholder = false;
	if (in->mode == PGQ_RECORD_SYNC_OFF)
		return;
	for (size_t i = 0; i < in->n_standbys && ok.n < PGQ_RECORD_MAX_MEMBERS; i++)
		if (in->standbys[i].streaming && !in->standbys[i].nosync)
			ok.names[ok.n++] = in->standbys[i].name;
	sort_names(&ok);
	if (ok.n == 0) {
		/* Strict: block writes rather than fall back to async (k_rec stays 0: S7). */
		*placeholder = in->strict;
		return;
	}
	if (in->mode == PGQ_RECORD_SYNC_QUORUM) {
		*out = ok;
		out->k = want < ok.n ? want : (uint32_t)ok.n;
		return;
	}
	/* Mode on: FIRST k lists exactly k names (S7); keep current ones to avoid churn. */
	out->k = want < ok.n ? want : (uint32_t)ok.n;
	for (size_t i = 0; i < ok.n && out->n < out->k; i++)
		if (list_has(&in->pg, ok.names[i]))
			out->names[out->n++] = ok.names[i];
	for (size_t i = 0; i < ok.n && out->n < out->k; i++)
		if (!list_has(out, ok.names[i]))
			out->names[out->n++] = ok.names[i];
	sort_names(out);
}

static int render_name(const char *name, char *out, size_t len, size_t *pos)
{
	if (*pos + 1 >= len)
		return -1;
	out[(*pos)++] = '"';
	for (const char *p = name; *p != '\0'; p++) {
		if (*pos + 3 >= len)
			return -1;
		if (*p == '"')
			out[(*pos)++] = '"';
		out[(*pos)++] = *p;
	}
	if (*pos + 1 >= len)
		return -1;
	out[(*pos)++] = '"';
	out[*pos] = '\0';
	return 0;
}

int pgq_sync_render(enum pgq_record_sync_mode mode, const struct pgq_sync_list *l,
		    char *out, size_t len)
{
	size_t pos;
	int w;

	if (len == 0)
		return -1;
	out[0] = '\0';
	if (mode == PGQ_RECORD_SYNC_OFF || l->k == 0 || l->n == 0)
		return 0;
	w = snprintf(out, len, "%s %u (", mode == PGQ_RECORD_SYNC_QUORUM ? "ANY" : "FIRST", l->k);
	if (w < 0 || (size_t)w >= len)
		goto toolong;
	pos = (size_t)w;
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0) {
			if (pos + 2 >= len)
				goto toolong;
			out[pos++] = ',';
			out[pos++] = ' ';
		}
		if (render_name(l->names[i], out, len, &pos) != 0)
			goto toolong;
	}
	if (pos + 1 >= len)
		goto toolong;
	out[pos++] = ')';
	out[pos] = '\0';
	return 0;
toolong:
	out[0] = '\0';
	return -1;
}

static void step_pg(const struct pgq_sync_input *in, const struct pgq_sync_list *t,
		    bool placeholder, struct pgq_sync_step *out)
{
	out->kind = PGQ_SYNC_SET_PG;
	out->list = *t;
	out->placeholder = placeholder;
	if (placeholder) {
		struct pgq_sync_list ph = { .n = 1, .names = { PGQ_SYNC_PLACEHOLDER }, .k = 1 };

		(void)pgq_sync_render(PGQ_RECORD_SYNC_ON, &ph, out->text, sizeof(out->text));
		snprintf(out->why, sizeof(out->why), "strict mode, no synchronous standby: writes block");
		return;
	}
	(void)pgq_sync_render(in->mode, t, out->text, sizeof(out->text));
	snprintf(out->why, sizeof(out->why), "S7: PostgreSQL to the target (record already covers it)");
}

void pgq_sync_next_step(const struct pgq_sync_input *in, struct pgq_sync_step *out)
{
	struct pgq_sync_list t, grown;
	bool placeholder;
	uint32_t confirmed = 0;

	memset(out, 0, sizeof(*out));
	pgq_sync_target(in, &t, &placeholder);
	/* 1. The last PostgreSQL change counts only once every walsender uses it (S7). */
	if (!in->pg_applied) {
		out->kind = PGQ_SYNC_WAIT;
		snprintf(out->why, sizeof(out->why),
			 "S7: waiting for every walsender's sync_priority to match");
		return;
	}
	/* 2. Record first when adding members or lowering k. */
	grown = in->rec;
	for (size_t i = 0; i < t.n; i++)
		if (!list_has(&grown, t.names[i]) && grown.n < PGQ_RECORD_MAX_MEMBERS)
			grown.names[grown.n++] = t.names[i];
	if (t.k < grown.k)
		grown.k = t.k;
	if (!same_list(&grown, &in->rec)) {
		sort_names(&grown);
		out->kind = PGQ_SYNC_SET_RECORD;
		out->list = grown;
		snprintf(out->why, sizeof(out->why),
			 "S7: record first when adding members or lowering k (k %u -> %u)",
			 in->rec.k, grown.k);
		return;
	}
	/* 3. PostgreSQL to the target: now S_t ⊆ S_rec and k_t ≥ k_rec. */
	if (placeholder != in->pg_placeholder || (!placeholder && !same_list(&t, &in->pg))) {
		step_pg(in, &t, placeholder, out);
		return;
	}
	/* 4. Shrink the record (drop members, raise k) once the new set has the old commits. */
	if (same_list(&t, &in->rec)) {
		out->kind = PGQ_SYNC_NONE;
		snprintf(out->why, sizeof(out->why), "converged");
		return;
	}
	for (size_t i = 0; i < in->n_standbys; i++)
		if (list_has(&t, in->standbys[i].name) &&
		    in->standbys[i].flush_lsn >= in->lsn_after_change)
			confirmed++;
	if (confirmed < t.k) {
		out->kind = PGQ_SYNC_WAIT;
		snprintf(out->why, sizeof(out->why),
			 "S7: %u of %u new members flushed the LSN after the change", confirmed, t.k);
		return;
	}
	out->kind = PGQ_SYNC_SET_RECORD;
	out->list = t;
	snprintf(out->why, sizeof(out->why), "S7: PostgreSQL applied and confirmed: shrink the record");
}

void pgq_sync_list_from_record(const struct pgq_record *r, struct pgq_sync_list *out)
{
	const struct pgq_sync_set *set = pgq_record_sync_set(r);

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < set->n && i < PGQ_RECORD_MAX_MEMBERS; i++)
		out->names[out->n++] = set->members[i];
	out->k = set->k;
}

int pgq_sync_propose(const struct pgq_record *r, const char *me, const struct pgq_sync_step *s,
		     struct pgq_ha_cmds *out)
{
	const struct pgq_primary *p = pgq_record_primary(r);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (s->kind != PGQ_SYNC_SET_RECORD || strcmp(p->name, me) != 0 ||
	    !(p->state == PGQ_PRIMARY_ACTIVE || p->state == PGQ_PRIMARY_DEMOTING))
		return PGQ_RECORD_REJECTED;
	rc = pgq_cmd_sync_set_update(me, p->epoch, p->lease_seq, s->list.names, s->list.n,
				     s->list.k, &buf, &len);
	return pgq_ha_cmds_add(out, rc, buf, len, "sync_set_update", "%s", s->why);
}

/*
 * member_view.c — life cycle of struct pgq_member_view: init, deep copy,
 * free, and the helpers that grow its two arrays (see member_view.h for the
 * ownership rule).
 */
#include "rest/member_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reserved_tags[] = {
	"nofailover", "noloadbalance", "nosync", "failover_priority",
};

void pgq_member_view_init(struct pgq_member_view *v)
{
	memset(v, 0, sizeof *v);
}

void pgq_member_view_free(struct pgq_member_view *v)
{
	free(v->replication);
	free(v->tags.custom);
	pgq_member_view_init(v);
}

int pgq_member_view_copy(struct pgq_member_view *dst, const struct pgq_member_view *src,
			 char *err, size_t errlen)
{
	struct pgq_view_replication *rows = NULL;
	struct pgq_view_tag *tags = NULL;

	if (src->n_replication > 0) {
		rows = calloc(src->n_replication, sizeof *rows);
		if (rows == NULL)
			goto oom;
		memcpy(rows, src->replication, src->n_replication * sizeof *rows);
	}
	if (src->tags.n_custom > 0) {
		tags = calloc(src->tags.n_custom, sizeof *tags);
		if (tags == NULL)
			goto oom;
		memcpy(tags, src->tags.custom, src->tags.n_custom * sizeof *tags);
	}
	*dst = *src;
	dst->replication = rows;
	dst->tags.custom = tags;
	return 0;
oom:
	free(rows);
	pgq_member_view_init(dst);
	snprintf(err, errlen, "out of memory copying the member view");
	return -1;
}

/* Copy with truncation check: the view never holds a silently cut string. */
static bool fits(const char *s, size_t cap)
{
	return strlen(s) < cap;
}

int pgq_member_view_add_replication(struct pgq_member_view *v,
				    const struct pgq_view_replication *row,
				    char *err, size_t errlen)
{
	struct pgq_view_replication *grown;

	if (v->n_replication >= PGQ_VIEW_MAX_REPLICATION) {
		snprintf(err, errlen, "more than %d replication rows", PGQ_VIEW_MAX_REPLICATION);
		return -1;
	}
	grown = realloc(v->replication, (v->n_replication + 1) * sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory adding a replication row");
		return -1;
	}
	v->replication = grown;
	v->replication[v->n_replication++] = *row;
	return 0;
}

static bool tag_key_valid(const char *key)
{
	if (key[0] == '\0')
		return false;
	for (const char *p = key; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		/* Tags come from YAML keys; keep them printable ASCII and query-safe. */
		if (c <= 0x20 || c >= 0x7f || c == '=' || c == '&')
			return false;
	}
	return true;
}

int pgq_member_view_set_tag(struct pgq_member_view *v, const char *key, const char *value,
			    char *err, size_t errlen)
{
	struct pgq_view_tag *grown;

	if (key == NULL || value == NULL || !tag_key_valid(key) || !fits(key, PGQ_VIEW_NAME_LEN)) {
		snprintf(err, errlen, "invalid tag name");
		return -1;
	}
	if (!fits(value, PGQ_VIEW_TAG_VALUE_LEN)) {
		snprintf(err, errlen, "value of tag \"%s\" is longer than %d bytes", key,
			 PGQ_VIEW_TAG_VALUE_LEN - 1);
		return -1;
	}
	for (size_t i = 0; i < sizeof reserved_tags / sizeof reserved_tags[0]; i++) {
		if (strcmp(key, reserved_tags[i]) == 0) {
			snprintf(err, errlen, "tag \"%s\" is a typed tag, not a custom one", key);
			return -1;
		}
	}
	for (size_t i = 0; i < v->tags.n_custom; i++) {
		if (strcmp(v->tags.custom[i].key, key) == 0) {
			snprintf(v->tags.custom[i].value, sizeof v->tags.custom[i].value, "%s", value);
			return 0;
		}
	}
	if (v->tags.n_custom >= PGQ_VIEW_MAX_TAGS) {
		snprintf(err, errlen, "more than %d tags", PGQ_VIEW_MAX_TAGS);
		return -1;
	}
	grown = realloc(v->tags.custom, (v->tags.n_custom + 1) * sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory adding a tag");
		return -1;
	}
	v->tags.custom = grown;
	snprintf(grown[v->tags.n_custom].key, sizeof grown[v->tags.n_custom].key, "%s", key);
	snprintf(grown[v->tags.n_custom].value, sizeof grown[v->tags.n_custom].value, "%s", value);
	v->tags.n_custom++;
	return 0;
}

bool pgq_member_view_tag_text(const struct pgq_member_view *v, const char *key, char *buf,
			      size_t buflen)
{
	const bool *flag = NULL;

	if (strcmp(key, "nofailover") == 0)
		flag = &v->tags.nofailover;
	else if (strcmp(key, "noloadbalance") == 0)
		flag = &v->tags.noloadbalance;
	else if (strcmp(key, "nosync") == 0)
		flag = &v->tags.nosync;
	if (flag != NULL) {
		if (!*flag)
			return false;
		snprintf(buf, buflen, "true");
		return true;
	}
	if (strcmp(key, "failover_priority") == 0) {
		if (!v->tags.has_failover_priority)
			return false;
		snprintf(buf, buflen, "%d", v->tags.failover_priority);
		return true;
	}
	for (size_t i = 0; i < v->tags.n_custom; i++) {
		if (strcmp(v->tags.custom[i].key, key) == 0) {
			snprintf(buf, buflen, "%s", v->tags.custom[i].value);
			return true;
		}
	}
	return false;
}

const char *pgq_view_role_name(enum pgq_view_role role)
{
	switch (role) {
	case PGQ_VIEW_ROLE_PRIMARY: return "primary";
	case PGQ_VIEW_ROLE_REPLICA: return "replica";
	case PGQ_VIEW_ROLE_NONE: break;
	}
	return "uninitialized";
}

int64_t pgq_member_view_lease_remaining_ms(const struct pgq_member_view *v, int64_t now_ms)
{
	if (!v->is_leader || v->lease_end_ms <= now_ms)
		return 0;
	return v->lease_end_ms - now_ms;
}

/*
 * config_walk.c — the schema walker: checks one YAML mapping against a
 * table of keys (config_schema.h) and stores the values.
 *
 * Every section gets the same checks from here: unknown keys (with a "did
 * you mean" for a typo, or the full path of a key written in the wrong
 * section), duplicate keys, wrong types, values out of range, missing
 * required keys. Nothing stops at the first problem.
 */
#include "config_schema.h"
#include "config_values.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(enum pgq_log_level) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_sync_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_watchdog_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pgq_verify_client) == sizeof(int), "enum stored as int");

void cfg_problem(struct cfg_ctx *c, const struct pgq_ynode *at, const char *fmt, ...)
{
	char *message = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->diags->oom = 1;
		return;
	}
	pgq_diag_add(c->diags, at != NULL ? at->line : 1, at != NULL ? at->column : 1, "%s", message);
	free(message);
}

void cfg_oom(struct cfg_ctx *c)
{
	c->diags->oom = 1;
}

void cfg_remember(struct cfg_ctx *c, const char *path, const struct pgq_ynode *key, const struct pgq_ynode *value)
{
	if (c->n_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? c->cap_seen * 2 : 64;
		struct cfg_seen *s = realloc(c->seen, cap * sizeof(*s));

		if (s == NULL) {
			cfg_oom(c);
			return;
		}
		c->seen = s;
		c->cap_seen = cap;
	}
	c->seen[c->n_seen].path = strdup(path);
	if (c->seen[c->n_seen].path == NULL) {
		cfg_oom(c);
		return;
	}
	c->seen[c->n_seen].key = key;
	c->seen[c->n_seen].value = value;
	c->n_seen++;
}

const struct cfg_seen *cfg_seen_find(const struct cfg_ctx *c, const char *path)
{
	for (size_t i = 0; i < c->n_seen; i++)
		if (strcmp(c->seen[i].path, path) == 0 && !pgq_ynode_is_null(c->seen[i].value))
			return &c->seen[i];
	return NULL;
}

const struct pgq_ynode *cfg_value_at(const struct cfg_ctx *c, const char *path)
{
	const struct cfg_seen *s = cfg_seen_find(c, path);

	return s != NULL ? s->value : c->root;
}

void cfg_join_path(char *out, size_t len, const char *parent, const char *key)
{
	if (parent[0] == '\0')
		snprintf(out, len, "%s", key);
	else
		snprintf(out, len, "%s.%s", parent, key);
}

void cfg_ctx_free(struct cfg_ctx *c)
{
	for (size_t i = 0; i < c->n_seen; i++)
		free(c->seen[i].path);
	free(c->seen);
}

/* "did you mean": the closest key of this section, if close enough to be a typo. */
static const char *closest_key(const struct cfg_section *sec, const char *key)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < sec->n_fields; i++) {
		size_t d = pgq_levenshtein(key, sec->fields[i].key);
		size_t len = strlen(sec->fields[i].key);
		size_t limit = len <= 2 ? 1 : 2;

		if (d <= limit && d < best_d) {
			best = sec->fields[i].key;
			best_d = d;
		}
	}
	return best;
}

/* A key that exists in another section: "ttl" at the top means bootstrap.dcs.ttl. */
static bool find_elsewhere(const struct cfg_section *sec, const char *key, const char *prefix, char *out, size_t len,
			   int depth)
{
	if (depth > 4)
		return false;
	for (size_t i = 0; i < sec->n_fields; i++) {
		char path[CFG_PATH_MAX];

		cfg_join_path(path, sizeof(path), prefix, sec->fields[i].key);
		if (strcmp(sec->fields[i].key, key) == 0) {
			snprintf(out, len, "%s", path);
			return true;
		}
	}
	for (size_t i = 0; i < sec->n_fields; i++) {
		char path[CFG_PATH_MAX];

		if (sec->fields[i].kind != F_SECTION || sec->fields[i].section->skip_in_hints)
			continue;
		cfg_join_path(path, sizeof(path), prefix, sec->fields[i].key);
		if (find_elsewhere(sec->fields[i].section, key, path, out, len, depth + 1))
			return true;
	}
	return false;
}

static void unknown_key(struct cfg_ctx *c, const struct cfg_section *sec, const struct pgq_ynode *key, const char *path)
{
	const char *near = closest_key(sec, key->value);
	char where[CFG_PATH_MAX + 16];
	char elsewhere[CFG_PATH_MAX];

	if (path[0] == '\0')
		snprintf(where, sizeof(where), "at the top level");
	else
		snprintf(where, sizeof(where), "in '%s'", path);
	if (near != NULL) {
		cfg_problem(c, key, "unknown key '%s' %s; did you mean '%s'?", key->value, where, near);
		return;
	}
	/* Below this section first (postgresql: username -> its authentication), then anywhere. */
	if (find_elsewhere(sec, key->value, path, elsewhere, sizeof(elsewhere), 0) ||
	    find_elsewhere(&cfg_top_section, key->value, "", elsewhere, sizeof(elsewhere), 0)) {
		if (strchr(elsewhere, '.') == NULL)
			cfg_problem(c, key, "unknown key '%s' %s; '%s' belongs at the top level", key->value, where,
				elsewhere);
		else
			cfg_problem(c, key, "unknown key '%s' %s; did you mean '%s'?", key->value, where, elsewhere);
		return;
	}
	cfg_problem(c, key, "unknown key '%s' %s", key->value, where);
}

bool *cfg_check_keys(struct cfg_ctx *c, const struct pgq_ynode *map, const char *path)
{
	bool *skip = calloc(map->n_pairs ? map->n_pairs : 1, sizeof(*skip));

	if (skip == NULL) {
		cfg_oom(c);
		return NULL;
	}
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pgq_ynode *key = map->pairs[i].key;

		if (key->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(key)) {
			cfg_problem(c, key, "%s%skeys must be plain names, got %s", path, path[0] ? ": " : "",
				pgq_ynode_kind_name(key));
			skip[i] = true;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct pgq_ynode *prev = map->pairs[j].key;

			if (!skip[j] && prev->kind == PGQ_YNODE_SCALAR && strcmp(prev->value, key->value) == 0) {
				cfg_problem(c, key, "duplicate key '%s' (first defined at line %u)", key->value,
					prev->line);
				skip[i] = true;
				break;
			}
		}
	}
	return skip;
}

static void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"TB", "GB", "MB", "kB"};

	for (size_t i = 0; i < 4; i++) {
		unsigned shift = (unsigned)(40 - 10 * i);

		if (bytes != 0 && bytes % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(bytes >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
}

static void format_value(enum field_kind kind, int64_t v, char *buf, size_t len)
{
	switch (kind) {
	case F_DURATION_S:
	case F_DURATION_MS:
		pgq_format_duration((uint64_t)v, buf, len);
		break;
	case F_SIZE:
	case F_SIZE32:
		format_size((uint64_t)v, buf, len);
		break;
	default:
		snprintf(buf, len, "%lld", (long long)v);
		break;
	}
}

static bool scalar_or_complain(struct cfg_ctx *c, const struct pgq_ynode *v, const char *path, const char *expected)
{
	if (v->kind == PGQ_YNODE_SCALAR)
		return true;
	cfg_problem(c, v, "%s: expected %s, got %s", path, expected, pgq_ynode_kind_name(v));
	return false;
}

static void set_string(struct cfg_ctx *c, char **dst, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		cfg_oom(c);
		return;
	}
	free(*dst);
	*dst = copy;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

static void parse_enum(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *dst,
		       const char *path)
{
	char allowed[256] = "";
	size_t used = 0;

	if (!scalar_or_complain(c, v, path, "one of its allowed values"))
		return;
	for (const struct cfg_enum_name *e = f->names; e->name != NULL; e++) {
		if (strcmp(v->value, e->name) == 0) {
			int value = e->value;

			memcpy(dst, &value, sizeof(value));
			return;
		}
	}
	for (const struct cfg_enum_name *e = f->names; e->name != NULL; e++) {
		int n;

		if (e->alias)
			continue;
		n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", used ? ", " : "", e->name);
		if (n < 0 || (size_t)n >= sizeof(allowed) - used)
			break;
		used += (size_t)n;
	}
	cfg_problem(c, v, "%s: invalid value '%s' (allowed: %s)", path, v->value, allowed);
}

/* Integers, durations and sizes: parse into a 64-bit value, check the range, store. */
static void parse_number(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *dst,
			 const char *path)
{
	char err[256];
	char lo[32], hi[32], got[32];
	int64_t value = 0;
	uint64_t u;
	const char *expected = "an integer";

	if (f->kind == F_DURATION_S || f->kind == F_DURATION_MS)
		expected = "a duration";
	else if (f->kind == F_SIZE || f->kind == F_SIZE32)
		expected = "a size";
	if (!scalar_or_complain(c, v, path, expected))
		return;
	switch (f->kind) {
	case F_INT:
	case F_U32:
		if (v->quoted || pgq_parse_int64(v->value, &value) != 0) {
			cfg_problem(c, v, "%s: expected an integer, got %s'%s'", path, v->quoted ? "the string " : "",
				v->value);
			return;
		}
		break;
	case F_DURATION_S:
	case F_DURATION_MS:
		if (pgq_parse_duration_ms(v->value, f->kind == F_DURATION_S ? 1000 : 1, &u, err, sizeof(err)) != 0) {
			cfg_problem(c, v, "%s: %s", path, err);
			return;
		}
		value = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	case F_SIZE:
	case F_SIZE32:
		if (pgq_parse_size_bytes(v->value, &u, err, sizeof(err)) != 0) {
			cfg_problem(c, v, "%s: %s", path, err);
			return;
		}
		value = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	default:
		return;
	}
	if (value < f->min || value > f->max) {
		format_value(f->kind, f->min, lo, sizeof(lo));
		format_value(f->kind, f->max, hi, sizeof(hi));
		format_value(f->kind, value, got, sizeof(got));
		cfg_problem(c, v, "%s: %s is out of range (allowed: %s to %s)", path, got, lo, hi);
		return;
	}
	switch (f->kind) {
	case F_INT: {
		int i = (int)value;
		memcpy(dst, &i, sizeof(i));
		break;
	}
	case F_SIZE: {
		uint64_t b = (uint64_t)value;
		memcpy(dst, &b, sizeof(b));
		break;
	}
	default: {
		uint32_t w = (uint32_t)value;
		memcpy(dst, &w, sizeof(w));
		break;
	}
	}
}

static void parse_string_list(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			      const char *path)
{
	char ***list = (char ***)((char *)base + f->offset);
	size_t *count = (size_t *)((char *)base + f->count_offset);
	char **items;

	if (v->kind != PGQ_YNODE_SEQUENCE) {
		cfg_problem(c, v, "%s: expected a sequence of strings, got %s", path, pgq_ynode_kind_name(v));
		return;
	}
	items = calloc(v->n_items + 1, sizeof(*items));
	if (items == NULL) {
		cfg_oom(c);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < v->n_items; i++) {
		const struct pgq_ynode *item = v->items[i];

		if (item->kind != PGQ_YNODE_SCALAR || pgq_ynode_is_null(item)) {
			cfg_problem(c, item, "%s[%zu]: expected a string, got %s", path, i, pgq_ynode_kind_name(item));
			continue;
		}
		items[n] = strdup(item->value);
		if (items[n] == NULL) {
			cfg_oom(c);
			continue;
		}
		n++;
	}
	for (size_t i = 0; i < *count; i++)
		free((*list)[i]);
	free(*list);
	*list = items;
	*count = n;
}

static void parse_field(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *v, void *base,
			const char *path)
{
	void *dst = (char *)base + f->offset;
	char err[256];

	switch (f->kind) {
	case F_STRING:
	case F_NAME:
	case F_PATH:
		if (!scalar_or_complain(c, v, path, "a string"))
			return;
		if (f->kind == F_NAME && !valid_name(v->value)) {
			cfg_problem(c, v, "%s: invalid name '%s' (1 to 63 letters, digits, '_', '-' or '.')", path,
				v->value);
			return;
		}
		if (f->kind == F_PATH && v->value[0] != '/') {
			cfg_problem(c, v, "%s: '%s' is not an absolute path", path, v->value);
			return;
		}
		set_string(c, (char **)dst, v->value);
		return;
	case F_BOOL: {
		bool b;

		if (!scalar_or_complain(c, v, path, "a boolean"))
			return;
		if (v->quoted || pgq_parse_bool(v->value, &b) != 0) {
			cfg_problem(c, v, "%s: expected a boolean (true or false), got %s'%s'", path,
				v->quoted ? "the string " : "", v->value);
			return;
		}
		*(bool *)dst = b;
		return;
	}
	case F_INT:
	case F_U32:
	case F_DURATION_S:
	case F_DURATION_MS:
	case F_SIZE:
	case F_SIZE32:
		parse_number(c, f, v, dst, path);
		return;
	case F_ENUM:
		parse_enum(c, f, v, dst, path);
		return;
	case F_HOSTPORT: {
		struct pgq_hostport hp;

		if (!scalar_or_complain(c, v, path, "host:port"))
			return;
		if (pgq_parse_hostport(v->value, &hp, err, sizeof(err)) != 0) {
			cfg_problem(c, v, "%s: %s", path, err);
			return;
		}
		pgq_hostport_clear((struct pgq_hostport *)dst);
		*(struct pgq_hostport *)dst = hp;
		return;
	}
	case F_SECTION:
		if (v->kind != PGQ_YNODE_MAPPING) {
			cfg_problem(c, v, "%s: expected a mapping, got %s", path, pgq_ynode_kind_name(v));
			return;
		}
		cfg_walk_section(c, f->section, v, dst, path);
		return;
	case F_STRING_LIST:
		parse_string_list(c, f, v, base, path);
		return;
	case F_CUSTOM:
		f->custom(c, f, v, base, path);
		return;
	}
}

void cfg_walk_section(struct cfg_ctx *c, const struct cfg_section *sec, const struct pgq_ynode *map, void *base,
		      const char *path)
{
	bool *skip = cfg_check_keys(c, map, path);
	bool *present = calloc(sec->n_fields, sizeof(*present));

	if (skip == NULL || present == NULL) {
		free(skip);
		free(present);
		cfg_oom(c);
		return;
	}
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pgq_ynode *key = map->pairs[i].key;
		const struct pgq_ynode *value = map->pairs[i].value;
		const struct cfg_field *f = NULL;
		char sub[CFG_PATH_MAX];
		size_t k;

		if (skip[i])
			continue;
		for (k = 0; k < sec->n_fields; k++) {
			if (strcmp(sec->fields[k].key, key->value) == 0) {
				f = &sec->fields[k];
				break;
			}
		}
		cfg_join_path(sub, sizeof(sub), path, key->value);
		if (f == NULL) {
			if (sec->other != NULL)
				sec->other(c, key, value, base, path);
			else
				unknown_key(c, sec, key, path);
			continue;
		}
		cfg_remember(c, sub, key, value);
		if (pgq_ynode_is_null(value)) {
			/* "key:" with nothing after it means "not set". */
			if (f->flags & CFG_REQUIRED) {
				cfg_problem(c, key, "%s: a value is required", sub);
				present[k] = true;
			}
			continue;
		}
		present[k] = true;
		parse_field(c, f, value, base, sub);
	}
	for (size_t k = 0; k < sec->n_fields; k++) {
		if ((sec->fields[k].flags & CFG_REQUIRED) && !present[k]) {
			if (path[0] == '\0')
				cfg_problem(c, map, "missing required key '%s'", sec->fields[k].key);
			else
				cfg_problem(c, map, "missing required key '%s' in '%s'", sec->fields[k].key, path);
		}
	}
	free(skip);
	free(present);
}

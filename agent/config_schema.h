/*
 * config_schema.h — private to the config module: the schema's types (one
 * table of keys per section), the walker that checks a YAML mapping against
 * a table, and the context every check reports into.
 *
 * OWNER: config module. Split:
 *   config_walk.c    the generic walker: types, ranges, unknown and duplicate
 *                    keys, "did you mean", missing required keys
 *   config_schema.c  the tables (every key of the file), custom value
 *                    parsers, defaults, pgq_config_free
 *   config_rules.c   rules that span keys (timing rule L2, TLS pairs, ...)
 *   pgq_config.c     the public API (load, validate, look-ups)
 */
#ifndef PGQ_CONFIG_SCHEMA_H
#define PGQ_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_yaml.h"
#include "pgq_config.h"

#define CFG_PATH_MAX 192

enum field_kind {
	F_STRING,       /* char *: any scalar */
	F_NAME,         /* char *: 1..63 of [A-Za-z0-9_.-] (cluster and member names) */
	F_PATH,         /* char *: an absolute path */
	F_BOOL,         /* bool */
	F_INT,          /* int */
	F_U32,          /* uint32_t count */
	F_DURATION_S,   /* uint32_t milliseconds; a bare integer is seconds */
	F_DURATION_MS,  /* uint32_t milliseconds; a bare integer is milliseconds */
	F_SIZE,         /* uint64_t bytes */
	F_SIZE32,       /* uint32_t bytes */
	F_ENUM,         /* an enum stored as int */
	F_HOSTPORT,     /* struct pgq_hostport */
	F_SECTION,      /* a nested mapping described by .section */
	F_STRING_LIST,  /* char ** + size_t count at .count_offset */
	F_CUSTOM,       /* .custom parses it */
};

#define CFG_REQUIRED 1u

struct cfg_ctx;
struct cfg_field;

struct cfg_enum_name {
	const char *name;
	int value;
	bool alias;     /* accepted, but not listed in messages */
};

typedef void cfg_custom_fn(struct cfg_ctx *c, const struct cfg_field *f, const struct pgq_ynode *value, void *base,
		       const char *path);

struct cfg_section {
	const struct cfg_field *fields;
	size_t n_fields;
	/* Keys not in .fields: NULL makes them errors (tags accept custom keys). */
	void (*other)(struct cfg_ctx *c, const struct pgq_ynode *key, const struct pgq_ynode *value, void *base,
		      const char *path);
	/* Repeated sections (one per hook event) are not searched for "did you mean". */
	bool skip_in_hints;
};

struct cfg_field {
	const char *key;
	enum field_kind kind;
	unsigned flags;
	size_t offset;
	size_t count_offset;
	int64_t min;
	int64_t max;
	const struct cfg_enum_name *names;   /* F_ENUM, terminated by a NULL name */
	const struct cfg_section *section;   /* F_SECTION */
	cfg_custom_fn *custom;               /* F_CUSTOM */
};

/* Where each key was met, so rules spanning keys can point at the right spot. */
struct cfg_seen {
	char *path;
	const struct pgq_ynode *key;
	const struct pgq_ynode *value;
};

struct cfg_ctx {
	struct pgq_diag_list *diags;
	struct pgq_config *cfg;
	struct cfg_seen *seen;
	size_t n_seen;
	size_t cap_seen;
	const struct pgq_ynode *root;
};

/* Report a problem at `at` (NULL: line 1, column 1). Never fails the caller. */
void cfg_problem(struct cfg_ctx *c, const struct pgq_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_oom(struct cfg_ctx *c);
/* Record that `path` ("raft.listen") was met, for rules that span keys. */
void cfg_remember(struct cfg_ctx *c, const char *path, const struct pgq_ynode *key, const struct pgq_ynode *value);
/* The first occurrence of `path` with a non-null value, or NULL. */
const struct cfg_seen *cfg_seen_find(const struct cfg_ctx *c, const char *path);
/* Position of `path`'s value, or the document root when it was not written. */
const struct pgq_ynode *cfg_value_at(const struct cfg_ctx *c, const char *path);
void cfg_join_path(char *out, size_t len, const char *parent, const char *key);
/* Check `map` against `sec`, storing values into `base` (the section's struct). */
void cfg_walk_section(struct cfg_ctx *c, const struct cfg_section *sec, const struct pgq_ynode *map, void *base,
		      const char *path);
/*
 * Keys of `map` must be scalars and unique; reports each offender and
 * returns a per-pair "skip it" array (caller frees), or NULL out of memory.
 */
bool *cfg_check_keys(struct cfg_ctx *c, const struct pgq_ynode *map, const char *path);
void cfg_ctx_free(struct cfg_ctx *c);

/* config_schema.c */
extern const struct cfg_section cfg_top_section;
int cfg_set_defaults(struct pgq_config *cfg);

/* config_rules.c: every rule that spans keys, run after the walk. */
void cfg_check_rules(struct cfg_ctx *c);

#endif /* PGQ_CONFIG_SCHEMA_H */

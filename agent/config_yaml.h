/*
 * config_yaml.h — a YAML document as a small tree with 1-based line/column
 * marks, built from libyaml's event stream.
 *
 * OWNER: config module. Why not libyaml's document API: we want to refuse
 * aliases (they make cycles and exponential expansion possible), bound the
 * nesting depth, keep duplicate keys visible for the schema checker, and
 * remember whether a scalar was quoted (a quoted "10" is a string, not an
 * integer).
 */
#ifndef PGQ_CONFIG_YAML_H
#define PGQ_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config_diag.h"

#define PGQ_YAML_MAX_DEPTH 64
/* Entries of one mapping or sequence: bounds the duplicate-key check's work. */
#define PGQ_YAML_MAX_ENTRIES 4096

enum pgq_ynode_kind {
	PGQ_YNODE_SCALAR,
	PGQ_YNODE_MAPPING,
	PGQ_YNODE_SEQUENCE,
};

struct pgq_ynode;

struct pgq_ypair {
	struct pgq_ynode *key;
	struct pgq_ynode *value;
};

struct pgq_ynode {
	enum pgq_ynode_kind kind;
	unsigned line;              /* 1-based, where the node starts */
	unsigned column;            /* 1-based */
	/* PGQ_YNODE_SCALAR */
	char *value;                /* NUL-terminated (NUL bytes inside are refused) */
	bool quoted;                /* single/double quoted, or a block scalar */
	/* PGQ_YNODE_MAPPING: pairs in file order, duplicates included */
	struct pgq_ypair *pairs;
	size_t n_pairs;
	/* PGQ_YNODE_SEQUENCE */
	struct pgq_ynode **items;
	size_t n_items;
	size_t cap;                 /* allocated pairs or items */
};

/*
 * Parse one YAML document. Returns 0 with *root set (NULL for an empty
 * document), or -1 after adding exactly one diagnostic (syntax error, alias,
 * nesting too deep, too many entries, several documents, out of memory). The caller owns *root.
 */
int pgq_yaml_parse(const char *text, size_t len, struct pgq_ynode **root, struct pgq_diag_list *diags);

void pgq_ynode_free(struct pgq_ynode *node);

/* A plain scalar spelling null: "", "~", "null", "Null", "NULL". */
bool pgq_ynode_is_null(const struct pgq_ynode *node);

/* "a mapping", "a sequence", "a string" (quoted) or "a scalar": for messages. */
const char *pgq_ynode_kind_name(const struct pgq_ynode *node);

#endif /* PGQ_CONFIG_YAML_H */

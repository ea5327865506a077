/*
 * config_yaml.c — build a pgq_ynode tree from libyaml's event stream.
 *
 * Every node is attached to its parent as soon as it starts, so on any error
 * freeing the root (plus a mapping key still waiting for its value) frees
 * everything. libyaml's marks are 0-based; the tree's are 1-based.
 */
#include "config_yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct frame {
	struct pgq_ynode *node;
	struct pgq_ynode *pending_key;  /* mapping key read, value not yet */
};

struct builder {
	struct frame stack[PGQ_YAML_MAX_DEPTH];
	size_t depth;
	struct pgq_ynode *root;
};

void pgq_ynode_free(struct pgq_ynode *node)
{
	if (node == NULL)
		return;
	free(node->value);
	for (size_t i = 0; i < node->n_pairs; i++) {
		pgq_ynode_free(node->pairs[i].key);
		pgq_ynode_free(node->pairs[i].value);
	}
	free(node->pairs);
	for (size_t i = 0; i < node->n_items; i++)
		pgq_ynode_free(node->items[i]);
	free(node->items);
	free(node);
}

bool pgq_ynode_is_null(const struct pgq_ynode *node)
{
	static const char *const spellings[] = {"", "~", "null", "Null", "NULL"};

	if (node == NULL)
		return true;
	if (node->kind != PGQ_YNODE_SCALAR || node->quoted)
		return false;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (strcmp(node->value, spellings[i]) == 0)
			return true;
	return false;
}

const char *pgq_ynode_kind_name(const struct pgq_ynode *node)
{
	if (node == NULL)
		return "nothing";
	switch (node->kind) {
	case PGQ_YNODE_MAPPING:
		return "a mapping";
	case PGQ_YNODE_SEQUENCE:
		return "a sequence";
	case PGQ_YNODE_SCALAR:
		break;
	}
	if (pgq_ynode_is_null(node))
		return "null";
	return node->quoted ? "a string" : "a scalar";
}

static struct pgq_ynode *node_new(enum pgq_ynode_kind kind, yaml_mark_t mark)
{
	struct pgq_ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)mark.line + 1;
	n->column = (unsigned)mark.column + 1;
	return n;
}

/* Room for one more entry in `parent` (pairs or items); -1 when out of memory. */
static int reserve(struct pgq_ynode *parent)
{
	size_t used = parent->kind == PGQ_YNODE_SEQUENCE ? parent->n_items : parent->n_pairs;
	size_t cap = parent->cap ? parent->cap * 2 : 8;
	void *grown;

	if (used < parent->cap)
		return 0;
	if (parent->kind == PGQ_YNODE_SEQUENCE) {
		grown = realloc(parent->items, cap * sizeof(*parent->items));
		if (grown == NULL)
			return -1;
		parent->items = grown;
	} else {
		grown = realloc(parent->pairs, cap * sizeof(*parent->pairs));
		if (grown == NULL)
			return -1;
		parent->pairs = grown;
	}
	parent->cap = cap;
	return 0;
}

/*
 * Hand `n` to its parent (or make it the root). Frees `n` on failure:
 * returns -1 when out of memory, -2 when the parent is full.
 */
static int attach(struct builder *b, struct pgq_ynode *n)
{
	struct frame *top;
	struct pgq_ynode *parent;

	if (b->depth == 0) {
		if (b->root != NULL) { /* cannot happen with one document; be safe */
			pgq_ynode_free(n);
			return -1;
		}
		b->root = n;
		return 0;
	}
	top = &b->stack[b->depth - 1];
	parent = top->node;
	if (parent->kind == PGQ_YNODE_MAPPING && top->pending_key == NULL) {
		if (parent->n_pairs == PGQ_YAML_MAX_ENTRIES) {
			pgq_ynode_free(n);
			return -2;
		}
		top->pending_key = n;
		return 0;
	}
	if (parent->kind == PGQ_YNODE_SEQUENCE && parent->n_items == PGQ_YAML_MAX_ENTRIES) {
		pgq_ynode_free(n);
		return -2;
	}
	if (reserve(parent) != 0) {
		pgq_ynode_free(n);
		return -1;
	}
	if (parent->kind == PGQ_YNODE_SEQUENCE) {
		parent->items[parent->n_items++] = n;
		return 0;
	}
	parent->pairs[parent->n_pairs].key = top->pending_key;
	parent->pairs[parent->n_pairs].value = n;
	parent->n_pairs++;
	top->pending_key = NULL;
	return 0;
}

static void builder_discard(struct builder *b)
{
	for (size_t i = 0; i < b->depth; i++)
		pgq_ynode_free(b->stack[i].pending_key);
	pgq_ynode_free(b->root);
	b->root = NULL;
	b->depth = 0;
}

/* libyaml gives only a byte offset for reader errors (bad UTF-8): find the line. */
static void offset_to_mark(const char *text, size_t len, size_t offset, unsigned *line, unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

static void syntax_error(const yaml_parser_t *p, const char *text, size_t len, struct pgq_diag_list *diags)
{
	unsigned line, column;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		pgq_diag_add(diags, 1, 1, "out of memory while parsing YAML");
		return;
	case YAML_READER_ERROR:
		offset_to_mark(text, len, p->problem_offset, &line, &column);
		pgq_diag_add(diags, line, column, "YAML syntax error: %s", problem);
		return;
	default:
		break;
	}
	line = (unsigned)p->problem_mark.line + 1;
	column = (unsigned)p->problem_mark.column + 1;
	if (p->context != NULL)
		pgq_diag_add(diags, line, column, "YAML syntax error: %s (%s at line %u, column %u)", problem,
			     p->context, (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	else
		pgq_diag_add(diags, line, column, "YAML syntax error: %s", problem);
}

static struct pgq_ynode *scalar_node(const yaml_event_t *ev, struct pgq_diag_list *diags)
{
	size_t len = ev->data.scalar.length;
	struct pgq_ynode *n;

	if (memchr(ev->data.scalar.value, '\0', len) != NULL) {
		pgq_diag_add(diags, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
			     "a value must not contain a NUL character");
		return NULL;
	}
	n = node_new(PGQ_YNODE_SCALAR, ev->start_mark);
	if (n == NULL)
		goto oom;
	n->value = malloc(len + 1);
	if (n->value == NULL) {
		free(n);
		goto oom;
	}
	memcpy(n->value, ev->data.scalar.value, len);
	n->value[len] = '\0';
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	return n;
oom:
	pgq_diag_add(diags, 1, 1, "out of memory while parsing YAML");
	return NULL;
}

/* Handle one event; returns 1 at the end of the stream, 0 to go on, -1 after a diagnostic. */
static int on_event(struct builder *b, const yaml_event_t *ev, int *documents, struct pgq_diag_list *diags)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned column = (unsigned)ev->start_mark.column + 1;
	struct pgq_ynode *n;
	int rc;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1) {
			pgq_diag_add(diags, line, column, "only one YAML document is allowed in a configuration file");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		pgq_diag_add(diags, line, column, "YAML aliases (*%s) are not supported; write the value out",
			     (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		n = scalar_node(ev, diags);
		if (n == NULL)
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth == PGQ_YAML_MAX_DEPTH) {
			pgq_diag_add(diags, line, column, "nesting deeper than %d levels", PGQ_YAML_MAX_DEPTH);
			return -1;
		}
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ? PGQ_YNODE_MAPPING : PGQ_YNODE_SEQUENCE,
			     ev->start_mark);
		if (n == NULL)
			goto oom;
		rc = attach(b, n);
		if (rc != 0)
			goto attach_failed;
		b->stack[b->depth].node = n;
		b->stack[b->depth].pending_key = NULL;
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0) {
			b->depth--;
			pgq_ynode_free(b->stack[b->depth].pending_key);
		}
		return 0;
	default:
		return 0;
	}
	rc = attach(b, n);
	if (rc == 0)
		return 0;
attach_failed:
	if (rc == -2) {
		pgq_diag_add(diags, line, column, "more than %d entries in one mapping or sequence",
			     PGQ_YAML_MAX_ENTRIES);
		return -1;
	}
oom:
	pgq_diag_add(diags, line, column, "out of memory while parsing YAML");
	return -1;
}

int pgq_yaml_parse(const char *text, size_t len, struct pgq_ynode **root, struct pgq_diag_list *diags)
{
	yaml_parser_t parser;
	struct builder b;
	int documents = 0;
	int rc = 0;

	*root = NULL;
	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&parser)) {
		pgq_diag_add(diags, 1, 1, "out of memory while parsing YAML");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&parser, text, len, diags);
			rc = -1;
			break;
		}
		rc = on_event(&b, &ev, &documents, diags);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc < 0) {
		builder_discard(&b);
		return -1;
	}
	*root = b.root;
	return 0;
}

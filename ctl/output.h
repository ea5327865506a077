/*
 * output.h — how pgquorumctl prints: tables that fit the terminal, JSON
 * (jansson) and YAML (libyaml's emitter) of any JSON value, colour on a
 * terminal only. Pure functions on a FILE *, unit-tested without a cluster.
 */
#ifndef PGQ_CTL_OUTPUT_H
#define PGQ_CTL_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum ctl_format {
	CTL_FORMAT_TABLE = 0,
	CTL_FORMAT_JSON,
	CTL_FORMAT_YAML,
};

/* "table", "json", "yaml" (also "pretty" = table). Returns 0, -1 if unknown. */
int ctl_format_parse(const char *text, enum ctl_format *out);

/* Colours used on a terminal (ANSI SGR); CTL_COLOR_NONE prints plain. */
enum ctl_color {
	CTL_COLOR_NONE = 0,
	CTL_COLOR_GREEN,
	CTL_COLOR_YELLOW,
	CTL_COLOR_RED,
	CTL_COLOR_BOLD,
};

#define CTL_TABLE_MAX_COLS 16

/*
 * A table of text cells. Every cell is copied; the table owns them.
 * shrinkable columns may be cut (ending in "~") to fit a width; the others
 * keep their width (names, roles) so the table stays readable.
 */
struct ctl_table {
	size_t n_cols;
	char *title[CTL_TABLE_MAX_COLS];
	int shrinkable[CTL_TABLE_MAX_COLS];
	int right_align[CTL_TABLE_MAX_COLS];
	int hidden[CTL_TABLE_MAX_COLS];   /* kept for JSON/YAML, not printed */
	size_t n_rows;
	size_t cap_rows;
	char **cells;                 /* n_rows * n_cols */
	enum ctl_color *colors;       /* per cell */
};

/* Column titles, NULL-terminated. Returns 0 or -1 (too many, no memory). */
int ctl_table_init(struct ctl_table *t, const char *const *titles);
/* Append a row of n_cols cells (NULL cell = empty). 0 or -1 (no memory). */
int ctl_table_add_row(struct ctl_table *t, const char *const *cells);
/* Colour of the last row's cell COL. */
void ctl_table_color_last(struct ctl_table *t, size_t col, enum ctl_color color);
void ctl_table_free(struct ctl_table *t);

/*
 * Column widths for a terminal of max_width columns (0: no limit).
 * Columns are separated by two spaces. When the natural width is too
 * wide, shrinkable columns are cut first (widest first, not below their
 * title or 4 characters); widths[] gets the result. Returns the total
 * width (which may still exceed max_width when nothing can shrink more).
 */
size_t ctl_table_fit(const struct ctl_table *t, size_t max_width, size_t *widths);

/* Print the table (header, rule, rows) fitted to max_width; colour when
 * color is non-zero. Widths count UTF-8 characters, not bytes. */
void ctl_table_print(const struct ctl_table *t, FILE *out, size_t max_width, int color);

/* JSON of v (indented, keys in insertion order) and a newline. 0 or -1. */
int ctl_print_json(FILE *out, const json_t *v);
/* YAML block document of v (libyaml's emitter). 0 or -1 (err says why). */
int ctl_print_yaml(FILE *out, const json_t *v, char *err, size_t errlen);
/* The same YAML into a malloc'd string (caller frees), or NULL. */
char *ctl_yaml_dumps(const json_t *v, char *err, size_t errlen);

/* Number of UTF-8 characters in s (continuation bytes not counted). */
size_t ctl_utf8_width(const char *s);

#endif /* PGQ_CTL_OUTPUT_H */

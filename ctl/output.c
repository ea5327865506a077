/*
 * output.c — tables fitted to the terminal, JSON and YAML printing.
 *
 * Why a table module of our own: patronictl-style tables must stay on one
 * line per member in an 80-column terminal, so long free-text columns
 * (tags, URLs) are cut while names and roles never are.
 */
#include "output.h"
#include "yamljson.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int ctl_format_parse(const char *text, enum ctl_format *out)
{
	if (strcmp(text, "table") == 0 || strcmp(text, "pretty") == 0)
		*out = CTL_FORMAT_TABLE;
	else if (strcmp(text, "json") == 0)
		*out = CTL_FORMAT_JSON;
	else if (strcmp(text, "yaml") == 0)
		*out = CTL_FORMAT_YAML;
	else
		return -1;
	return 0;
}

size_t ctl_utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int ctl_table_init(struct ctl_table *t, const char *const *titles)
{
	memset(t, 0, sizeof *t);
	while (titles[t->n_cols] != NULL) {
		if (t->n_cols == CTL_TABLE_MAX_COLS) {
			ctl_table_free(t);
			return -1;
		}
		t->title[t->n_cols] = strdup(titles[t->n_cols]);
		if (t->title[t->n_cols] == NULL) {
			ctl_table_free(t);
			return -1;
		}
		t->n_cols++;
	}
	return 0;
}

int ctl_table_add_row(struct ctl_table *t, const char *const *cells)
{
	size_t base;

	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows == 0 ? 8 : t->cap_rows * 2;
		char **c = realloc(t->cells, cap * t->n_cols * sizeof *c);
		enum ctl_color *k;

		if (c == NULL)
			return -1;
		t->cells = c;
		k = realloc(t->colors, cap * t->n_cols * sizeof *k);
		if (k == NULL)
			return -1;
		t->colors = k;
		t->cap_rows = cap;
	}
	base = t->n_rows * t->n_cols;
	for (size_t i = 0; i < t->n_cols; i++) {
		t->cells[base + i] = strdup(cells[i] != NULL ? cells[i] : "");
		t->colors[base + i] = CTL_COLOR_NONE;
		if (t->cells[base + i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[base + j]);
			return -1;
		}
	}
	t->n_rows++;
	return 0;
}

void ctl_table_color_last(struct ctl_table *t, size_t col, enum ctl_color color)
{
	if (t->n_rows > 0 && col < t->n_cols)
		t->colors[(t->n_rows - 1) * t->n_cols + col] = color;
}

void ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->n_cols; i++)
		free(t->title[i]);
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	memset(t, 0, sizeof *t);
}

size_t ctl_table_fit(const struct ctl_table *t, size_t max_width, size_t *widths)
{
	size_t total = 0, shown = 0;

	for (size_t c = 0; c < t->n_cols; c++) {
		if (t->hidden[c]) {
			widths[c] = 0;
			continue;
		}
		widths[c] = ctl_utf8_width(t->title[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t w = ctl_utf8_width(t->cells[r * t->n_cols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
		total += widths[c] + (shown++ > 0 ? 2 : 0);
	}
	/* Cut the widest shrinkable column by one until it fits or none can
	 * shrink: the result spreads the cut over the long columns. */
	while (max_width > 0 && total > max_width) {
		size_t best = t->n_cols, best_w = 0;

		for (size_t c = 0; c < t->n_cols; c++) {
			size_t floor_w = ctl_utf8_width(t->title[c]);
			if (floor_w < 4)
				floor_w = 4;
			if (t->shrinkable[c] && !t->hidden[c] && widths[c] > floor_w &&
			    widths[c] > best_w) {
				best = c;
				best_w = widths[c];
			}
		}
		if (best == t->n_cols)
			break;
		widths[best]--;
		total--;
	}
	return total;
}

static const char *sgr(enum ctl_color c)
{
	switch (c) {
	case CTL_COLOR_GREEN: return "\033[32m";
	case CTL_COLOR_YELLOW: return "\033[33m";
	case CTL_COLOR_RED: return "\033[31m";
	case CTL_COLOR_BOLD: return "\033[1m";
	default: return "";
	}
}

/* Print s in exactly w characters: padded, or cut with a final '~'. */
static void print_cell(FILE *out, const char *s, size_t w, int right, int last,
		       enum ctl_color color, int use_color)
{
	size_t len = ctl_utf8_width(s);
	int colored = use_color && color != CTL_COLOR_NONE;

	if (colored)
		fputs(sgr(color), out);
	if (len > w) {
		/* Cut at a character boundary, keep w - 1 characters and "~". */
		size_t chars = 0, i = 0;
		for (; s[i] != '\0'; i++) {
			if (((unsigned char)s[i] & 0xC0) != 0x80) {
				if (chars == w - 1)
					break;
				chars++;
			}
		}
		fwrite(s, 1, i, out);
		fputc('~', out);
		len = w;
	} else {
		if (right)
			fprintf(out, "%*s", (int)(w - len), "");
		fputs(s, out);
	}
	if (colored)
		fputs("\033[0m", out);
	if (!right && !last)
		fprintf(out, "%*s", (int)(w - len), "");
}

void ctl_table_print(const struct ctl_table *t, FILE *out, size_t max_width, int color)
{
	size_t widths[CTL_TABLE_MAX_COLS], first = t->n_cols, last = 0;

	ctl_table_fit(t, max_width, widths);
	for (size_t c = 0; c < t->n_cols; c++) {
		if (!t->hidden[c]) {
			if (first == t->n_cols)
				first = c;
			last = c;
		}
	}
	if (first == t->n_cols)
		return;
	for (size_t c = first; c <= last; c++) {
		if (t->hidden[c])
			continue;
		if (c > first)
			fputs("  ", out);
		print_cell(out, t->title[c], widths[c], t->right_align[c], c == last,
			   CTL_COLOR_BOLD, color);
	}
	fputc('\n', out);
	for (size_t c = first; c <= last; c++) {
		if (t->hidden[c])
			continue;
		if (c > first)
			fputs("  ", out);
		for (size_t i = 0; i < widths[c]; i++)
			fputc('-', out);
	}
	fputc('\n', out);
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = first; c <= last; c++) {
			if (t->hidden[c])
				continue;
			if (c > first)
				fputs("  ", out);
			print_cell(out, t->cells[r * t->n_cols + c], widths[c], t->right_align[c],
				   c == last, t->colors[r * t->n_cols + c], color);
		}
		fputc('\n', out);
	}
}

int ctl_print_json(FILE *out, const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

	if (text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

/* ---- YAML ---- */

static int emit_scalar(yaml_emitter_t *em, const char *text, int plain_ok)
{
	yaml_event_t ev;

	/* A string that a YAML reader would take for another type ("true",
	 * "12", "") is double-quoted; everything else is plain when safe. */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
					  plain_ok, !plain_ok,
					  plain_ok ? YAML_ANY_SCALAR_STYLE
						   : YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int emit_value(yaml_emitter_t *em, const json_t *v, int depth)
{
	yaml_event_t ev;
	char num[64];

	if (depth > 64)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;

		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_object_foreach((json_t *)v, key, val) {
			if (emit_scalar(em, key, ctl_yaml_plain_is_string(key)) != 0 ||
			    emit_value(em, val, depth + 1) != 0)
				return -1;
		}
		if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		json_array_foreach(v, i, val) {
			if (emit_value(em, val, depth + 1) != 0)
				return -1;
		}
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		return emit_scalar(em, s, ctl_yaml_plain_is_string(s));
	}
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(em, num, 1);
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		if (strspn(num, "-0123456789") == strlen(num))
			snprintf(num + strlen(num), sizeof num - strlen(num), ".0");
		return emit_scalar(em, num, 1);
	case JSON_TRUE:
		return emit_scalar(em, "true", 1);
	case JSON_FALSE:
		return emit_scalar(em, "false", 1);
	case JSON_NULL:
	default:
		return emit_scalar(em, "null", 1);
	}
}

struct strbuf {
	char *data;
	size_t len;
	int failed;
};

static int write_buf(void *data, unsigned char *buffer, size_t size)
{
	struct strbuf *b = data;
	char *grown = realloc(b->data, b->len + size + 1);

	if (grown == NULL) {
		b->failed = 1;
		return 0;
	}
	memcpy(grown + b->len, buffer, size);
	b->data = grown;
	b->len += size;
	b->data[b->len] = '\0';
	return 1;
}

char *ctl_yaml_dumps(const json_t *v, char *err, size_t errlen)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct strbuf b = { 0 };
	int ok;

	if (!yaml_emitter_initialize(&em)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_emitter_set_output(&em, write_buf, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&em, &ev) && emit_value(&em, v, 0) == 0 &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) &&
	     yaml_emitter_flush(&em);
	if (!ok || b.failed) {
		snprintf(err, errlen, "YAML output failed: %s",
			 em.problem != NULL ? em.problem : "out of memory or nesting too deep");
		yaml_emitter_delete(&em);
		free(b.data);
		return NULL;
	}
	yaml_emitter_delete(&em);
	if (b.data == NULL)
		b.data = strdup("");
	return b.data;
}

int ctl_print_yaml(FILE *out, const json_t *v, char *err, size_t errlen)
{
	char *text = ctl_yaml_dumps(v, err, errlen);

	if (text == NULL)
		return -1;
	fputs(text, out);
	free(text);
	return 0;
}

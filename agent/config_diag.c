/*
 * config_diag.c — the list of configuration problems.
 *
 * Adding a problem never fails its caller: validation goes on collecting
 * every problem, and an allocation failure is remembered (oom) so the
 * result still counts as invalid.
 */
#include "config_diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void pgq_diag_list_init(struct pgq_diag_list *list)
{
	memset(list, 0, sizeof(*list));
}

void pgq_diag_list_free(struct pgq_diag_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].message);
	free(list->items);
	free(list->file);
	memset(list, 0, sizeof(*list));
}

void pgq_diag_list_set_file(struct pgq_diag_list *list, const char *file)
{
	char *copy = strdup(file != NULL ? file : "");

	if (copy == NULL) {
		list->oom = 1;
		return;
	}
	free(list->file);
	list->file = copy;
}

void pgq_diag_add(struct pgq_diag_list *list, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	char *message = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		list->oom = 1;
		return;
	}
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct pgq_diag *items = realloc(list->items, cap * sizeof(*items));

		if (items == NULL) {
			free(message);
			list->oom = 1;
			return;
		}
		list->items = items;
		list->cap = cap;
	}
	list->items[list->count].line = line;
	list->items[list->count].column = column;
	list->items[list->count].message = message;
	list->count++;
}

void pgq_diag_list_sort(struct pgq_diag_list *list)
{
	/* Insertion sort: stable, and lists are short (one entry per problem). */
	for (size_t i = 1; i < list->count; i++) {
		struct pgq_diag d = list->items[i];
		size_t j = i;

		while (j > 0 && (list->items[j - 1].line > d.line ||
				 (list->items[j - 1].line == d.line && list->items[j - 1].column > d.column))) {
			list->items[j] = list->items[j - 1];
			j--;
		}
		list->items[j] = d;
	}
}

void pgq_diag_list_print(const struct pgq_diag_list *list, FILE *out)
{
	const char *file = list->file != NULL ? list->file : "";

	for (size_t i = 0; i < list->count; i++)
		fprintf(out, "%s:%u:%u: %s\n", file, list->items[i].line, list->items[i].column,
			list->items[i].message);
	if (list->oom)
		fprintf(out, "%s:1:1: out of memory while collecting problems; some are not shown\n", file);
}

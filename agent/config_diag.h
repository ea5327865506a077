/*
 * config_diag.h — diagnostics of the configuration loader: one problem per
 * entry, with the 1-based line and column it refers to, so the CLI prints
 * "FILE:LINE:COLUMN: message" and tests can assert on each part.
 *
 * OWNER: config module. The list owns its entries' strings.
 */
#ifndef PGQ_CONFIG_DIAG_H
#define PGQ_CONFIG_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct pgq_diag {
	unsigned line;     /* 1-based */
	unsigned column;   /* 1-based */
	char *message;     /* owned by the list */
};

struct pgq_diag_list {
	char *file;        /* the file name the diagnostics refer to; owned */
	struct pgq_diag *items;
	size_t count;
	size_t cap;
	int oom;           /* an allocation failed: at least one problem was lost */
};

void pgq_diag_list_init(struct pgq_diag_list *list);
void pgq_diag_list_free(struct pgq_diag_list *list);
/* Set the file name used by pgq_diag_list_print (copied). */
void pgq_diag_list_set_file(struct pgq_diag_list *list, const char *file);

/* Append one problem; line and column are 1-based. Never fails the caller. */
void pgq_diag_add(struct pgq_diag_list *list, unsigned line, unsigned column,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Stable sort by (line, column): the order a reader meets them in the file. */
void pgq_diag_list_sort(struct pgq_diag_list *list);

/* Print "FILE:LINE:COLUMN: message\n" for each entry. */
void pgq_diag_list_print(const struct pgq_diag_list *list, FILE *out);

#endif /* PGQ_CONFIG_DIAG_H */

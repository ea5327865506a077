/*
 * test_ctl_output.c — pgquorumctl's output module: table rendering and
 * width fitting, colour only when asked, JSON and YAML printing (YAML read
 * back with the YAML parser to prove types survive).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/output.h"
#include "ctl/yamljson.h"

static char *render(const struct ctl_table *t, size_t width, int color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_table_print(t, f, width, color);
	fclose(f);
	return buf;
}

static void make_table(struct ctl_table *t)
{
	static const char *const titles[] = { "Member", "Role", "Tags", NULL };
	static const char *const r1[] = { "n1", "Primary", "zone: a, rack: r1, nofailover: true" };
	static const char *const r2[] = { "node-two", "Replica", "" };

	assert_int_equal(ctl_table_init(t, titles), 0);
	assert_int_equal(ctl_table_add_row(t, r1), 0);
	assert_int_equal(ctl_table_add_row(t, r2), 0);
	t->shrinkable[2] = 1;
}

static void test_table_natural_width(void **state)
{
	struct ctl_table t;
	char *out;

	(void)state;
	make_table(&t);
	out = render(&t, 0, 0);
	assert_string_equal(out,
		"Member    Role     Tags\n"
		"--------  -------  -----------------------------------\n"
		"n1        Primary  zone: a, rack: r1, nofailover: true\n"
		"node-two  Replica  \n");
	free(out);
	ctl_table_free(&t);
}

static void test_table_fits_width(void **state)
{
	struct ctl_table t;
	size_t widths[CTL_TABLE_MAX_COLS];
	char *out, *line, *save = NULL;

	(void)state;
	make_table(&t);
	/* 8 + 2 + 7 + 2 + 35 = 54 naturally; only Tags may shrink. */
	assert_int_equal(ctl_table_fit(&t, 0, widths), 54);
	assert_int_equal(ctl_table_fit(&t, 30, widths), 30);
	assert_int_equal(widths[0], 8);
	assert_int_equal(widths[1], 7);
	assert_int_equal(widths[2], 11);
	out = render(&t, 30, 0);
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		assert_true(ctl_utf8_width(line) <= 30);
	free(out);
	out = render(&t, 30, 0);
	assert_non_null(strstr(out, "n1        Primary  zone: a, r~\n"));
	free(out);
	/* A width below what the fixed columns need: Tags stops at its floor. */
	assert_int_equal(ctl_table_fit(&t, 10, widths), 8 + 2 + 7 + 2 + 4);
	ctl_table_free(&t);
}

static void test_table_utf8_and_alignment(void **state)
{
	static const char *const titles[] = { "Name", "N", NULL };
	static const char *const r1[] = { "\xc3\xa9t\xc3\xa9", "7" };
	static const char *const r2[] = { "x", "123" };
	struct ctl_table t;
	char *out;

	(void)state;
	assert_int_equal(ctl_table_init(&t, titles), 0);
	t.right_align[1] = 1;
	assert_int_equal(ctl_table_add_row(&t, r1), 0);
	assert_int_equal(ctl_table_add_row(&t, r2), 0);
	out = render(&t, 0, 0);
	/* "été" is 3 characters wide, not 5 bytes. */
	assert_string_equal(out, "Name    N\n----  ---\n\xc3\xa9t\xc3\xa9     7\nx     123\n");
	free(out);
	ctl_table_free(&t);
}

static void test_table_colour_only_when_asked(void **state)
{
	struct ctl_table t;
	char *plain, *col;

	(void)state;
	make_table(&t);
	ctl_table_color_last(&t, 1, CTL_COLOR_GREEN);
	plain = render(&t, 0, 0);
	col = render(&t, 0, 1);
	assert_null(strchr(plain, '\033'));
	assert_non_null(strstr(col, "\033[32mReplica\033[0m"));
	free(plain);
	free(col);
	ctl_table_free(&t);
}

static void test_table_hidden_column(void **state)
{
	struct ctl_table t;
	size_t widths[CTL_TABLE_MAX_COLS];
	char *out;

	(void)state;
	make_table(&t);
	t.hidden[1] = 1; /* Role */
	assert_int_equal(ctl_table_fit(&t, 0, widths), 8 + 2 + 35);
	out = render(&t, 0, 0);
	assert_null(strstr(out, "Role"));
	assert_null(strstr(out, "Primary"));
	assert_non_null(strstr(out, "n1        zone: a"));
	free(out);
	t.hidden[2] = 1; /* the last visible column is not padded */
	out = render(&t, 0, 0);
	assert_string_equal(out, "Member\n--------\nn1\nnode-two\n");
	free(out);
	ctl_table_free(&t);
}

static void test_format_parse(void **state)
{
	enum ctl_format f;

	(void)state;
	assert_int_equal(ctl_format_parse("json", &f), 0);
	assert_int_equal(f, CTL_FORMAT_JSON);
	assert_int_equal(ctl_format_parse("yaml", &f), 0);
	assert_int_equal(f, CTL_FORMAT_YAML);
	assert_int_equal(ctl_format_parse("table", &f), 0);
	assert_int_equal(f, CTL_FORMAT_TABLE);
	assert_int_equal(ctl_format_parse("xml", &f), -1);
	assert_int_equal(ctl_format_parse("", &f), -1);
}

static void test_yaml_round_trip(void **state)
{
	const char *doc = "{\"ttl\": 30, \"mode\": \"off\", \"num_text\": \"12\", \"empty\": \"\","
			  " \"flag\": true, \"none\": null, \"ratio\": 1.5, \"whole_real\": 2.0,"
			  " \"list\": [\"a\", 1], \"nested\": {\"k\": \"v: w\"}, \"true\": 1}";
	json_t *v = json_loads(doc, 0, NULL), *back;
	char err[256], *yaml;

	(void)state;
	assert_non_null(v);
	yaml = ctl_yaml_dumps(v, err, sizeof err);
	assert_non_null(yaml);
	/* Strings that look like other types are quoted; others are plain. */
	assert_non_null(strstr(yaml, "mode: \"off\"\n"));
	assert_non_null(strstr(yaml, "num_text: \"12\"\n"));
	assert_non_null(strstr(yaml, "ttl: 30\n"));
	assert_non_null(strstr(yaml, "\"true\": 1\n"));
	back = ctl_yaml_loads(yaml, strlen(yaml), err, sizeof err);
	assert_non_null(back);
	assert_true(json_equal(v, back));
	free(yaml);
	json_decref(back);
	json_decref(v);
}

static void test_json_print(void **state)
{
	json_t *v = json_pack("{s:i,s:[s]}", "b", 1, "a", "x");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *back;

	(void)state;
	assert_int_equal(ctl_print_json(f, v), 0);
	fclose(f);
	/* Insertion order kept, one newline at the end, valid JSON. */
	assert_true(strstr(buf, "\"b\"") < strstr(buf, "\"a\""));
	assert_int_equal(buf[len - 1], '\n');
	back = json_loads(buf, 0, NULL);
	assert_true(json_equal(v, back));
	json_decref(back);
	json_decref(v);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_natural_width),
		cmocka_unit_test(test_table_fits_width),
		cmocka_unit_test(test_table_utf8_and_alignment),
		cmocka_unit_test(test_table_colour_only_when_asked),
		cmocka_unit_test(test_table_hidden_column),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_json_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

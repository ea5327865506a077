/*
 * test_log.c — the logging module: level filtering, the line format
 * "LEVEL component: message key=value", the optional file, and reopening
 * the file after logrotate moved it (what SIGHUP triggers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct log_fixture {
	char dir[64];
	char path[128];
	int saved_stderr;
};

static int setup(void **state)
{
	struct log_fixture *f = calloc(1, sizeof(*f));
	int devnull;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/pgq-test-log-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/agent.log", f->dir);
	/* Keep the test's own output clean: log lines go to the file under test. */
	f->saved_stderr = dup(STDERR_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDERR_FILENO);
	close(devnull);
	pgq_log_set_level(PGQ_LOG_INFO);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct log_fixture *f = *state;
	char rotated[160];

	pgq_log_close();
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	snprintf(rotated, sizeof(rotated), "%s.1", f->path);
	unlink(f->path);
	unlink(rotated);
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_level_parse(void **state)
{
	(void)state;
	assert_int_equal(pgq_log_level_parse("debug"), PGQ_LOG_DEBUG);
	assert_int_equal(pgq_log_level_parse("info"), PGQ_LOG_INFO);
	assert_int_equal(pgq_log_level_parse("warning"), PGQ_LOG_WARNING);
	assert_int_equal(pgq_log_level_parse("warn"), PGQ_LOG_WARNING);
	assert_int_equal(pgq_log_level_parse("error"), PGQ_LOG_ERROR);
	assert_int_equal(pgq_log_level_parse("verbose"), -1);
	assert_int_equal(pgq_log_level_parse(""), -1);
	assert_int_equal(pgq_log_level_parse(NULL), -1);
}

static void test_line_format(void **state)
{
	struct log_fixture *f = *state;
	char err[256];
	char *text;

	assert_int_equal(pgq_log_set_file(f->path, err, sizeof(err)), 0);
	pgq_log(PGQ_LOG_INFO, "raft", "became leader term=%d", 7);
	pgq_warning("transport", "frame rejected peer=%s reason=%s", "n2", "crc");
	text = slurp(f->path);
	assert_string_equal(text, "INFO raft: became leader term=7\n"
				  "WARNING transport: frame rejected peer=n2 reason=crc\n");
	free(text);
}

static void test_level_filter(void **state)
{
	struct log_fixture *f = *state;
	char err[256];
	char *text;

	assert_int_equal(pgq_log_set_file(f->path, err, sizeof(err)), 0);
	pgq_log_set_level(PGQ_LOG_WARNING);
	pgq_debug("main", "hidden debug");
	pgq_info("main", "hidden info");
	pgq_error("main", "shown error");
	text = slurp(f->path);
	assert_null(strstr(text, "hidden"));
	assert_non_null(strstr(text, "ERROR main: shown error\n"));
	free(text);
}

static void test_reopen_after_rotation(void **state)
{
	struct log_fixture *f = *state;
	char rotated[160], err[256];
	char *old_text, *new_text;

	assert_int_equal(pgq_log_set_file(f->path, err, sizeof(err)), 0);
	pgq_info("main", "before rotation");
	snprintf(rotated, sizeof(rotated), "%s.1", f->path);
	assert_int_equal(rename(f->path, rotated), 0);
	assert_int_equal(pgq_log_reopen(err, sizeof(err)), 0);
	pgq_info("main", "after rotation");
	old_text = slurp(rotated);
	new_text = slurp(f->path);
	assert_string_equal(old_text, "INFO main: before rotation\n");
	assert_string_equal(new_text, "INFO main: after rotation\n");
	free(old_text);
	free(new_text);
}

static void test_unwritable_file_reports_path(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(pgq_log_set_file("/nonexistent-dir/x/agent.log", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"/nonexistent-dir/x/agent.log\""));
}

static void test_long_message_truncated_but_terminated(void **state)
{
	struct log_fixture *f = *state;
	char err[256];
	char *big = malloc(10000);
	char *text;
	size_t len;

	assert_non_null(big);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	assert_int_equal(pgq_log_set_file(f->path, err, sizeof(err)), 0);
	pgq_info("main", "%s", big);
	text = slurp(f->path);
	len = strlen(text);
	assert_true(len > 1000 && len <= 4096);
	assert_int_equal(text[len - 1], '\n');
	assert_non_null(strstr(text, "INFO main: xxx"));
	free(text);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_file_reports_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_truncated_but_terminated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rest_metrics.c — GET /metrics text: every line parses as Prometheus
 * text format 0.0.4, every sample follows its family's HELP and TYPE, label
 * values are escaped, and the values say what the view and counters say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/metrics.h"
#include "rest_view_fixture.h"

#define MAX_FAMILIES 128

struct parsed {
	char families[MAX_FAMILIES][96];
	size_t n_families;
	size_t n_samples;
};

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* Reads a metric or label name at *p; returns its length (0: none). */
static size_t read_name(const char **p, char *out, size_t outlen)
{
	size_t n = 0;
	while (name_char((*p)[n], n == 0)) {
		if (n + 1 < outlen)
			out[n] = (*p)[n];
		n++;
	}
	out[n < outlen ? n : outlen - 1] = '\0';
	*p += n;
	return n;
}

/* Reads a quoted label value with escapes; -1 on a syntax error. */
static int read_label_value(const char **p, char *out, size_t outlen)
{
	size_t o = 0;
	if (**p != '"')
		return -1;
	(*p)++;
	while (**p != '"') {
		char c = **p;
		if (c == '\0' || c == '\n')
			return -1;
		if (c == '\\') {
			(*p)++;
			c = **p == 'n' ? '\n' : **p;
			if (c != '\\' && c != '"' && c != '\n')
				return -1;
		}
		if (o + 1 < outlen)
			out[o++] = c;
		(*p)++;
	}
	(*p)++;
	out[o] = '\0';
	return 0;
}

static bool family_known(const struct parsed *ps, const char *name)
{
	for (size_t i = 0; i < ps->n_families; i++)
		if (strcmp(ps->families[i], name) == 0)
			return true;
	return false;
}

/*
 * Checks the whole text line by line; fails the test with the line on any
 * error. Fills ps with the families seen.
 */
static void parse_exposition(const char *text, struct parsed *ps)
{
	char pending_help[96] = "";
	char *copy = strdup(text), *save = NULL;

	memset(ps, 0, sizeof *ps);
	assert_non_null(copy);
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96], type[16];
		const char *p = line;

		if (strncmp(line, "# HELP ", 7) == 0) {
			p = line + 7;
			if (read_name(&p, pending_help, sizeof pending_help) == 0 || *p != ' ')
				fail_msg("bad HELP line: %s", line);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			p = line + 7;
			if (read_name(&p, name, sizeof name) == 0 || sscanf(p, " %15s", type) != 1)
				fail_msg("bad TYPE line: %s", line);
			if (strcmp(type, "gauge") != 0 && strcmp(type, "counter") != 0)
				fail_msg("unexpected type: %s", line);
			if (strcmp(name, pending_help) != 0)
				fail_msg("TYPE without HELP just before: %s", line);
			if (family_known(ps, name))
				fail_msg("family declared twice: %s", line);
			if (strcmp(type, "counter") == 0 &&
			    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0))
				fail_msg("counter not named *_total: %s", line);
			assert_true(ps->n_families < MAX_FAMILIES);
			snprintf(ps->families[ps->n_families++], sizeof ps->families[0], "%s", name);
			continue;
		}
		if (line[0] == '#')
			fail_msg("unexpected comment: %s", line);
		if (read_name(&p, name, sizeof name) == 0)
			fail_msg("sample without a name: %s", line);
		if (ps->n_families == 0 || strcmp(ps->families[ps->n_families - 1], name) != 0)
			fail_msg("sample not under its own TYPE: %s", line);
		if (*p == '{') {
			p++;
			while (*p != '}') {
				char label[64], value[512];
				if (read_name(&p, label, sizeof label) == 0 || *p != '=')
					fail_msg("bad label in: %s", line);
				p++;
				if (read_label_value(&p, value, sizeof value) != 0)
					fail_msg("bad label value in: %s", line);
				if (*p == ',')
					p++;
				else if (*p != '}')
					fail_msg("bad label list in: %s", line);
			}
			p++;
		}
		if (*p != ' ')
			fail_msg("no value separator: %s", line);
		char *end;
		(void)strtod(p + 1, &end);
		if (end == p + 1 || *end != '\0')
			fail_msg("bad value: %s", line);
		ps->n_samples++;
	}
	free(copy);
}

/* The value of the first sample line starting with prefix; fails if none. */
static double sample(const char *text, const char *prefix)
{
	const char *line = text;
	while (line != NULL && *line != '\0') {
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			const char *sp = strchr(line, '}');
			sp = sp != NULL ? sp + 1 : line + strlen(prefix);
			return strtod(sp, NULL);
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	fail_msg("no sample %s", prefix);
	return -1;
}

static bool has_line(const char *text, const char *prefix)
{
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			return true;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

static char *render(const struct pgq_member_view *v, const struct pgq_rest_counters *k,
		    const struct pgq_metrics_member *m, size_t n)
{
	char err[128];
	char *text = pgq_rest_metrics_text(v, k, m, n, FX_NOW_MS, err, sizeof err);
	if (text == NULL)
		fail_msg("metrics: %s", err);
	return text;
}

static void primary_exposition_parses(void **state)
{
	(void)state;
	struct pgq_member_view v;
	static struct pgq_rest_counters k;
	struct pgq_metrics_member m[] = {
		{ "node2", true, 4096 }, { "node4", true, 0 }, { "node9", false, 0 },
	};
	struct parsed ps;
	char *text;

	memset(&k, 0, sizeof k);
	k.leader_changes_total = 3;
	k.failovers_total = 1;
	k.switchovers_total = 2;
	k.hook_runs_total = 10;
	k.hook_failures_total = 1;
	k.http_requests_total[200] = 5;
	k.http_requests_total[503] = 2;
	k.primaries_observed = 1;
	fx_primary(&v);
	text = render(&v, &k, m, 3);
	parse_exposition(text, &ps);
	assert_true(ps.n_samples >= 25);

	assert_true(sample(text, "pgquorum_primary{") == 1);
	assert_true(sample(text, "pgquorum_replica{") == 0);
	assert_true(sample(text, "pgquorum_postgres_running{") == 1);
	assert_true(sample(text, "pgquorum_epoch{") == 7);
	assert_true(sample(text, "pgquorum_timeline{") == 3);
	assert_true(sample(text, "pgquorum_xlog_location_bytes{") == (double)FX_PRIMARY_LSN);
	assert_true(sample(text, "pgquorum_raft_term{") == 12);
	assert_true(sample(text, "pgquorum_raft_commit_index{") == 340);
	assert_true(sample(text, "pgquorum_raft_applied_index{") == 339);
	assert_true(sample(text, "pgquorum_raft_leader{") == 1);
	assert_true(sample(text, "pgquorum_lease_remaining_seconds{") == 10.0);
	assert_true(sample(text, "pgquorum_leader_changes_total{") == 3);
	assert_true(sample(text, "pgquorum_failovers_total{") == 1);
	assert_true(sample(text, "pgquorum_hook_runs_total{") == 10);
	assert_true(sample(text, "pgquorum_hook_failures_total{") == 1);
	assert_true(sample(text, "pgquorum_primaries_observed{") == 1);
	assert_true(has_line(text,
		"pgquorum_http_requests_total{scope=\"demo\",name=\"node1\",code=\"200\"} 5"));
	assert_true(has_line(text,
		"pgquorum_http_requests_total{scope=\"demo\",name=\"node1\",code=\"503\"} 2"));
	assert_false(has_line(text, "pgquorum_http_requests_total{scope=\"demo\",name=\"node1\",code=\"404\"}"));
	assert_true(has_line(text,
		"pgquorum_replication_lag_bytes{scope=\"demo\",name=\"node1\",member=\"node2\"} 4096"));
	assert_true(has_line(text,
		"pgquorum_replication_lag_bytes{scope=\"demo\",name=\"node1\",member=\"node4\"} 0"));
	assert_false(has_line(text, "pgquorum_replication_lag_bytes{scope=\"demo\",name=\"node1\",member=\"node9\"}"));
	assert_true(has_line(text, "pgquorum_info{scope=\"demo\",name=\"node1\",version=\"0.1.0\"} 1"));
	free(text);
	pgq_member_view_free(&v);
}

/* pgquorum_primary follows /primary: an expired lease reads 0 (S20). */
static void expired_primary_and_standby_values(void **state)
{
	(void)state;
	struct pgq_member_view v;
	struct parsed ps;
	char *text;

	fx_primary(&v);
	v.lease_end_ms = FX_NOW_MS - 1;
	text = render(&v, NULL, NULL, 0);
	parse_exposition(text, &ps);
	assert_true(sample(text, "pgquorum_primary{") == 0);
	assert_true(sample(text, "pgquorum_lease_remaining_seconds{") == 0);
	free(text);
	pgq_member_view_free(&v);

	fx_standby(&v, FX_SYNC);
	v.lease_end_ms = 0;
	text = render(&v, NULL, NULL, 0);
	parse_exposition(text, &ps);
	assert_true(sample(text, "pgquorum_replica{") == 1);
	assert_true(sample(text, "pgquorum_sync_standby{") == 1);
	assert_true(sample(text, "pgquorum_quorum_standby{") == 0);
	assert_true(sample(text, "pgquorum_xlog_location_bytes{") == 0);
	assert_true(sample(text, "pgquorum_xlog_replayed_location_bytes{") ==
		    (double)(FX_PRIMARY_LSN - FX_REPLAY_LAG));
	/* Without counters there are no counter families at all. */
	assert_false(has_line(text, "# TYPE pgquorum_leader_changes_total"));
	free(text);
	pgq_member_view_free(&v);
}

/* Not polled yet: no pgquorum_primaries_observed sample (not a false 0). */
static void primaries_observed_absent_until_polled(void **state)
{
	(void)state;
	struct pgq_member_view v;
	static struct pgq_rest_counters k;
	struct parsed ps;
	char *text;

	memset(&k, 0, sizeof k);
	k.primaries_observed = -1;
	fx_stopped(&v);
	text = render(&v, &k, NULL, 0);
	parse_exposition(text, &ps);
	assert_false(has_line(text, "pgquorum_primaries_observed"));
	assert_true(sample(text, "pgquorum_postgres_running{") == 0);
	assert_true(sample(text, "pgquorum_timeline{") == 0);
	free(text);
	k.primaries_observed = 2;
	text = render(&v, &k, NULL, 0);
	parse_exposition(text, &ps);
	assert_true(sample(text, "pgquorum_primaries_observed{") == 2);
	free(text);
	pgq_member_view_free(&v);
}

static void label_values_are_escaped(void **state)
{
	(void)state;
	struct pgq_member_view v;
	struct pgq_metrics_member m[] = { { "we\"ird\\na\nme", true, 5 } };
	struct parsed ps;
	char out[64], *text;

	assert_int_equal(pgq_metrics_escape_label("a\"b\\c\nd", out, sizeof out), 0);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_int_equal(pgq_metrics_escape_label("plain", out, sizeof out), 0);
	assert_string_equal(out, "plain");
	assert_int_equal(pgq_metrics_escape_label("\"\"\"", out, 6), -1);   /* needs 7 */
	assert_int_equal(pgq_metrics_escape_label("\"\"\"", out, 7), 0);

	fx_primary(&v);
	snprintf(v.scope, sizeof v.scope, "sc\"ope");
	snprintf(v.name, sizeof v.name, "n\\1\n");
	text = render(&v, NULL, m, 1);
	parse_exposition(text, &ps);       /* would fail on a raw quote or newline */
	assert_true(has_line(text,
		"pgquorum_replication_lag_bytes{scope=\"sc\\\"ope\",name=\"n\\\\1\\n\",member=\"we\\\"ird\\\\na\\nme\"} 5"));
	free(text);
	pgq_member_view_free(&v);
}

/* A large exposition (every HTTP code, many members) grows the buffer. */
static void large_exposition(void **state)
{
	(void)state;
	struct pgq_member_view v;
	static struct pgq_rest_counters k;
	static struct pgq_metrics_member m[200];
	struct parsed ps;
	char *text;

	memset(&k, 0, sizeof k);
	for (int c = 0; c < PGQ_METRICS_HTTP_CODES; c++)
		k.http_requests_total[c] = (uint64_t)c + 1;
	for (int i = 0; i < 200; i++) {
		snprintf(m[i].name, sizeof m[i].name, "member%03d", i);
		m[i].has_lag = true;
		m[i].lag_bytes = UINT64_MAX - (uint64_t)i;
	}
	fx_primary(&v);
	text = render(&v, &k, m, 200);
	parse_exposition(text, &ps);
	assert_true(has_line(text,
		"pgquorum_http_requests_total{scope=\"demo\",name=\"node1\",code=\"599\"} 600"));
	/* Codes below 100 are not HTTP codes: not printed. */
	assert_false(has_line(text,
		"pgquorum_http_requests_total{scope=\"demo\",name=\"node1\",code=\"99\"}"));
	assert_true(has_line(text,
		"pgquorum_replication_lag_bytes{scope=\"demo\",name=\"node1\",member=\"member199\"} 18446744073709551416"));
	assert_true(ps.n_samples > 700);
	free(text);
	pgq_member_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primary_exposition_parses),
		cmocka_unit_test(expired_primary_and_standby_values),
		cmocka_unit_test(primaries_observed_absent_until_polled),
		cmocka_unit_test(label_values_are_escaped),
		cmocka_unit_test(large_exposition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rest_query.c — query strings (bounds, percent-decoding, repeated
 * keys) and Patroni's lag sizes (units, overflow).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rest/query.h"

static void parse_ok(const char *raw, struct pgq_query *q)
{
	char err[256] = "";
	if (pgq_query_parse(raw, q, err, sizeof err) != 0)
		fail_msg("\"%s\" did not parse: %s", raw, err);
}

static void parse_fails(const char *raw)
{
	struct pgq_query q;
	char err[256] = "";
	if (pgq_query_parse(raw, &q, err, sizeof err) == 0)
		fail_msg("\"%s\" parsed but should not", raw);
	assert_true(err[0] != '\0');
}

static void query_empty(void **state)
{
	(void)state;
	struct pgq_query q;

	parse_ok(NULL, &q);
	assert_int_equal(q.n, 0);
	parse_ok("", &q);
	assert_int_equal(q.n, 0);
	parse_ok("&&&", &q);
	assert_int_equal(q.n, 0);
	assert_null(pgq_query_get(&q, "lag"));
}

static void query_pairs(void **state)
{
	(void)state;
	struct pgq_query q;

	parse_ok("lag=16kB&tag_dc=east&flag&empty=", &q);
	assert_int_equal(q.n, 4);
	assert_string_equal(pgq_query_get(&q, "lag"), "16kB");
	assert_string_equal(pgq_query_get(&q, "tag_dc"), "east");
	assert_string_equal(pgq_query_get(&q, "flag"), "");
	assert_string_equal(pgq_query_get(&q, "empty"), "");
	assert_null(pgq_query_get(&q, "Lag"));     /* keys are case sensitive */
	/* Only the first '=' splits. */
	parse_ok("a=b=c", &q);
	assert_string_equal(pgq_query_get(&q, "a"), "b=c");
}

static void query_percent_decoding(void **state)
{
	(void)state;
	struct pgq_query q;

	parse_ok("replication_state=in%20archive+recovery&tag_x%5Fy=%41%62%2b%26", &q);
	assert_string_equal(pgq_query_get(&q, "replication_state"), "in archive recovery");
	assert_string_equal(pgq_query_get(&q, "tag_x_y"), "Ab+&");
	parse_fails("a=%");
	parse_fails("a=%4");
	parse_fails("a=%zz");
	parse_fails("a=%4g");
	parse_fails("a=%00");          /* would cut the C string */
	parse_fails("%=1");
}

/* Ambiguous: refused rather than "first wins" (docs/rest-api.md). */
static void query_repeated_key(void **state)
{
	(void)state;
	parse_fails("lag=1MB&lag=1GB");
	parse_fails("lag=1MB&lag=1MB");
	parse_fails("a=1&b=2&a");
	parse_fails("lag=1&l%61g=2");  /* the same key once decoded */
}

static void query_empty_key(void **state)
{
	(void)state;
	parse_fails("=1");
	parse_fails("a=1&=2");
}

static void query_limits(void **state)
{
	(void)state;
	char raw[PGQ_QUERY_MAX_RAW + 64];
	struct pgq_query q;
	size_t n = 0;

	/* Exactly the maximum number of parameters, then one more. */
	for (int i = 0; i < PGQ_QUERY_MAX_PARAMS; i++)
		n += (size_t)snprintf(raw + n, sizeof raw - n, "%sk%d=v", i > 0 ? "&" : "", i);
	parse_ok(raw, &q);
	assert_int_equal(q.n, PGQ_QUERY_MAX_PARAMS);
	snprintf(raw + n, sizeof raw - n, "&one=more");
	parse_fails(raw);

	/* Longest key and value accepted, one byte more refused. */
	memset(raw, 'k', PGQ_QUERY_KEY_LEN - 1);
	snprintf(raw + PGQ_QUERY_KEY_LEN - 1, sizeof raw - (PGQ_QUERY_KEY_LEN - 1), "=v");
	parse_ok(raw, &q);
	memset(raw, 'k', PGQ_QUERY_KEY_LEN);
	snprintf(raw + PGQ_QUERY_KEY_LEN, sizeof raw - PGQ_QUERY_KEY_LEN, "=v");
	parse_fails(raw);
	memcpy(raw, "k=", 2);
	memset(raw + 2, 'v', PGQ_QUERY_VALUE_LEN - 1);
	raw[2 + PGQ_QUERY_VALUE_LEN - 1] = '\0';
	parse_ok(raw, &q);
	assert_int_equal(strlen(pgq_query_get(&q, "k")), PGQ_QUERY_VALUE_LEN - 1);
	memset(raw + 2, 'v', PGQ_QUERY_VALUE_LEN);
	raw[2 + PGQ_QUERY_VALUE_LEN] = '\0';
	parse_fails(raw);
	/* Escapes count decoded: 255 "%41" is 255 bytes decoded, 765 raw. */
	memcpy(raw, "k=", 2);
	for (int i = 0; i < PGQ_QUERY_VALUE_LEN - 1; i++)
		memcpy(raw + 2 + 3 * i, "%41", 3);
	raw[2 + 3 * (PGQ_QUERY_VALUE_LEN - 1)] = '\0';
	parse_ok(raw, &q);

	/* Raw length bound. */
	memset(raw, 'a', PGQ_QUERY_MAX_RAW + 1);
	raw[PGQ_QUERY_MAX_RAW + 1] = '\0';
	parse_fails(raw);
}

static void query_add_decoded(void **state)
{
	(void)state;
	struct pgq_query q;
	char err[128];

	pgq_query_init(&q);
	assert_int_equal(pgq_query_add(&q, "lag", "1MB", err, sizeof err), 0);
	assert_int_equal(pgq_query_add(&q, "flag", NULL, err, sizeof err), 0);
	assert_string_equal(pgq_query_get(&q, "flag"), "");
	assert_int_equal(pgq_query_add(&q, "lag", "2MB", err, sizeof err), -1);
	assert_non_null(strstr(err, "lag"));
	assert_int_equal(pgq_query_add(&q, "", "x", err, sizeof err), -1);
	assert_int_equal(pgq_query_add(&q, NULL, "x", err, sizeof err), -1);
	assert_string_equal(pgq_query_get(&q, "lag"), "1MB");
	assert_int_equal(q.n, 2);
}

struct size_case {
	const char *text;
	uint64_t bytes;
};

static void size_valid(void **state)
{
	(void)state;
	static const struct size_case cases[] = {
		{ "0", 0 },
		{ "1024", 1024 },
		{ "1048576", 1048576 },
		{ "16B", 16 },
		{ "16kB", 16 * 1024 },
		{ "1024kB", 1024 * 1024 },
		{ "64MB", UINT64_C(64) << 20 },
		{ "10MB", UINT64_C(10) << 20 },
		{ "1GB", UINT64_C(1) << 30 },
		{ "3TB", UINT64_C(3) << 40 },
		{ "007", 7 },
		{ "9223372036854775807", UINT64_C(9223372036854775807) },
		{ "9223372036854775807B", UINT64_C(9223372036854775807) },
		{ "8388607TB", UINT64_C(8388607) << 40 },
	};
	char err[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t got = 12345;
		if (pgq_size_parse(cases[i].text, &got, err, sizeof err) != 0)
			fail_msg("\"%s\": %s", cases[i].text, err);
		if (got != cases[i].bytes)
			fail_msg("\"%s\": got %llu", cases[i].text, (unsigned long long)got);
	}
}

static void size_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "abc", "-1", "+1", " 1", "1 ", "1 kB", "1.5MB", "1e3", "kB", "16kb", "16KB",
		"16mb", "16Gb", "1PB", "16kBB", "0x10", "1_000",
		"9223372036854775808",          /* INT64_MAX + 1 */
		"18446744073709551616",         /* UINT64_MAX + 1 */
		"99999999999999999999999",
		"8388608TB",                    /* 2^63 bytes */
		"9007199254740992kB",           /* 2^53 kB = 2^63 bytes */
	};
	char err[128];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t got = 77;
		err[0] = '\0';
		if (pgq_size_parse(bad[i], &got, err, sizeof err) == 0)
			fail_msg("\"%s\" accepted as %llu", bad[i], (unsigned long long)got);
		assert_true(err[0] != '\0');
		assert_int_equal(got, 77);      /* untouched on error */
	}
	assert_int_equal(pgq_size_parse(NULL, &(uint64_t){ 0 }, err, sizeof err), -1);
}

/* Random bytes never crash, never overrun, and what parses is within bounds. */
static void query_random_input(void **state)
{
	(void)state;
	static const char alphabet[] = "ab=&%+0f9Gz\x01\xff ";
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char raw[200], err[128];
	struct pgq_query q;
	uint64_t bytes;

	for (int round = 0; round < 20000; round++) {
		size_t len;
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		len = (size_t)(seed % (sizeof raw - 1));
		for (size_t i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			raw[i] = alphabet[seed % (sizeof alphabet - 1)];
		}
		raw[len] = '\0';
		if (pgq_query_parse(raw, &q, err, sizeof err) == 0) {
			assert_true(q.n <= PGQ_QUERY_MAX_PARAMS);
			for (size_t i = 0; i < q.n; i++) {
				assert_true(q.params[i].key[0] != '\0');
				assert_true(strlen(q.params[i].key) < PGQ_QUERY_KEY_LEN);
				assert_true(strlen(q.params[i].value) < PGQ_QUERY_VALUE_LEN);
				for (size_t j = i + 1; j < q.n; j++)
					assert_string_not_equal(q.params[i].key, q.params[j].key);
			}
		} else {
			assert_true(err[0] != '\0');
		}
		if (pgq_size_parse(raw, &bytes, err, sizeof err) == 0)
			assert_true(bytes <= (uint64_t)INT64_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_empty),
		cmocka_unit_test(query_pairs),
		cmocka_unit_test(query_percent_decoding),
		cmocka_unit_test(query_repeated_key),
		cmocka_unit_test(query_empty_key),
		cmocka_unit_test(query_limits),
		cmocka_unit_test(query_add_decoded),
		cmocka_unit_test(size_valid),
		cmocka_unit_test(size_invalid),
		cmocka_unit_test(query_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_transport_frame.c — the transport's pure pieces without sockets: frame
 * encode/decode, handshake payloads, chunk prefixes, reconnect backoff and
 * address parsing. Every bad-input case must be rejected with the right
 * status, because these bytes come from the network (DESIGN.md R6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raft/raft.h"
#include "transport/addr.h"
#include "transport/backoff.h"
#include "transport/frame.h"

#define BIG_LIMIT (1u << 20)

static uint8_t *build(uint8_t type, const uint8_t *payload, size_t len, size_t *out_len)
{
	uint8_t *f = NULL;
	assert_int_equal(pgq_frame_build(type, payload, len, &f, out_len), 0);
	return f;
}

static void frame_round_trip(void **state)
{
	uint8_t payload[300];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_RAFT, payload, sizeof(payload), &flen);
	assert_int_equal(flen, PGQ_FRAME_HEADER_BYTES + sizeof(payload));

	/* Followed by a second frame: consumed must stop at the first. */
	uint8_t *two = malloc(flen * 2);
	memcpy(two, f, flen);
	memcpy(two + flen, f, flen);
	struct pgq_frame fr;
	size_t used = 0;
	assert_int_equal(pgq_frame_decode(two, flen * 2, BIG_LIMIT, &fr, &used), PGQ_FRAME_OK);
	assert_int_equal(used, flen);
	assert_int_equal(fr.type, PGQ_FRAME_RAFT);
	assert_int_equal(fr.payload_len, sizeof(payload));
	assert_memory_equal(fr.payload, payload, sizeof(payload));
	assert_ptr_equal(fr.payload, two + PGQ_FRAME_HEADER_BYTES);
	free(two);
	free(f);
}

static void frame_empty_payload_round_trip(void **state)
{
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_HELLO_ACK, NULL, 0, &flen);
	struct pgq_frame fr;
	size_t used;
	assert_int_equal(pgq_frame_decode(f, flen, 0, &fr, &used), PGQ_FRAME_OK);
	assert_int_equal(fr.type, PGQ_FRAME_HELLO_ACK);
	assert_int_equal(fr.payload_len, 0);
	assert_int_equal(used, PGQ_FRAME_HEADER_BYTES);
	free(f);
}

static void frame_header_layout_is_big_endian(void **state)
{
	uint8_t h[PGQ_FRAME_HEADER_BYTES];
	pgq_frame_header_encode(h, PGQ_FRAME_RAFT_CHUNK, 0x01020304u, 0xA1B2C3D4u);
	const uint8_t want[PGQ_FRAME_HEADER_BYTES] = {
		'P', 'G', 'Q', 'T', PGQ_FRAME_VERSION, PGQ_FRAME_RAFT_CHUNK, 0, 0,
		0x01, 0x02, 0x03, 0x04, 0xA1, 0xB2, 0xC3, 0xD4,
	};
	assert_memory_equal(h, want, sizeof(want));
}

static void frame_every_truncation_needs_more(void **state)
{
	uint8_t payload[64];
	memset(payload, 0x5A, sizeof(payload));
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_RAFT, payload, sizeof(payload), &flen);
	for (size_t cut = 0; cut < flen; cut++) {
		/* A fresh copy of exactly cut bytes so ASan catches any over-read. */
		uint8_t *prefix = malloc(cut ? cut : 1);
		memcpy(prefix, f, cut);
		struct pgq_frame fr;
		size_t used = 0;
		int rc = pgq_frame_decode(prefix, cut, BIG_LIMIT, &fr, &used);
		if (rc != PGQ_FRAME_NEED_MORE)
			fail_msg("prefix of %zu bytes gave %d", cut, rc);
		free(prefix);
	}
	free(f);
}

static void frame_bad_magic_rejected_at_first_byte(void **state)
{
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_RAFT, (const uint8_t *)"x", 1, &flen);
	struct pgq_frame fr;
	size_t used;
	for (size_t i = 0; i < 4; i++) {
		uint8_t copy[64];
		memcpy(copy, f, flen);
		copy[i] ^= 0xFF;
		/* Only i+1 bytes present: garbage is refused without waiting. */
		assert_int_equal(pgq_frame_decode(copy, i + 1, BIG_LIMIT, &fr, &used),
				 PGQ_FRAME_ERR_MAGIC);
		assert_int_equal(pgq_frame_decode(copy, flen, BIG_LIMIT, &fr, &used),
				 PGQ_FRAME_ERR_MAGIC);
	}
	/* Typical garbage: an HTTP request sent to the Raft port. */
	const char *http = "GET / HTTP/1.1\r\n\r\n";
	assert_int_equal(pgq_frame_decode((const uint8_t *)http, strlen(http), BIG_LIMIT, &fr,
					  &used), PGQ_FRAME_ERR_MAGIC);
	free(f);
}

static void frame_bad_version_type_flags_rejected(void **state)
{
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_RAFT, (const uint8_t *)"abc", 3, &flen);
	struct pgq_frame fr;
	size_t used;
	uint8_t copy[64];

	memcpy(copy, f, flen);
	copy[4] = PGQ_FRAME_VERSION + 1;
	assert_int_equal(pgq_frame_decode(copy, 5, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_VERSION);
	copy[4] = 0;
	assert_int_equal(pgq_frame_decode(copy, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_VERSION);

	memcpy(copy, f, flen);
	copy[5] = 0;
	assert_int_equal(pgq_frame_decode(copy, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_TYPE);
	copy[5] = PGQ_FRAME_LEASE_AGE + 1;
	assert_int_equal(pgq_frame_decode(copy, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_TYPE);

	memcpy(copy, f, flen);
	copy[7] = 1;
	assert_int_equal(pgq_frame_decode(copy, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_FLAGS);
	free(f);
}

static void frame_crc_mismatch_rejected(void **state)
{
	uint8_t payload[32];
	memset(payload, 1, sizeof(payload));
	size_t flen;
	uint8_t *f = build(PGQ_FRAME_RAFT, payload, sizeof(payload), &flen);
	struct pgq_frame fr;
	size_t used;
	/* Flip each payload bit position class once, and the CRC field itself. */
	for (size_t i = PGQ_FRAME_HEADER_BYTES; i < flen; i++) {
		f[i] ^= 0x10;
		assert_int_equal(pgq_frame_decode(f, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_CRC);
		f[i] ^= 0x10;
	}
	f[15] ^= 1;
	assert_int_equal(pgq_frame_decode(f, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_ERR_CRC);
	f[15] ^= 1;
	assert_int_equal(pgq_frame_decode(f, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_OK);
	free(f);
}

static void frame_oversize_rejected_from_header_alone(void **state)
{
	uint8_t h[PGQ_FRAME_HEADER_BYTES];
	struct pgq_frame fr;
	size_t used;
	pgq_frame_header_encode(h, PGQ_FRAME_RAFT, 1025, 0);
	/* 12 bytes are enough to know: no need to wait for (or buffer) the body. */
	assert_int_equal(pgq_frame_decode(h, 12, 1024, &fr, &used), PGQ_FRAME_ERR_TOO_BIG);
	assert_int_equal(pgq_frame_decode(h, 12, 1025, &fr, &used), PGQ_FRAME_NEED_MORE);
	pgq_frame_header_encode(h, PGQ_FRAME_RAFT, UINT32_MAX, 0);
	assert_int_equal(pgq_frame_decode(h, sizeof(h), BIG_LIMIT, &fr, &used),
			 PGQ_FRAME_ERR_TOO_BIG);
}

static struct pgq_frame_hello sample_hello(void)
{
	struct pgq_frame_hello h = {
		.protocol_version = PGQ_TRANSPORT_PROTOCOL_VERSION,
		.flags = PGQ_HELLO_FLAG_HAS_STATE,
		.raft_id = 0x1122334455667788ull,
	};
	strcpy(h.scope, "prod-db");
	strcpy(h.cluster_id, "c0ffee-1234");
	strcpy(h.member_name, "db-2.example.org");
	return h;
}

static void hello_round_trip(void **state)
{
	struct pgq_frame_hello h = sample_hello(), back;
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	size_t n = pgq_frame_hello_encode(&h, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(pgq_frame_hello_decode(buf, n, &back), PGQ_FRAME_OK);
	assert_int_equal(back.protocol_version, h.protocol_version);
	assert_int_equal(back.flags, h.flags);
	assert_true(back.raft_id == h.raft_id);
	assert_string_equal(back.scope, h.scope);
	assert_string_equal(back.cluster_id, h.cluster_id);
	assert_string_equal(back.member_name, h.member_name);

	/* An empty cluster id (before bootstrap) is valid. */
	h.cluster_id[0] = '\0';
	n = pgq_frame_hello_encode(&h, buf, sizeof(buf));
	assert_int_equal(pgq_frame_hello_decode(buf, n, &back), PGQ_FRAME_OK);
	assert_string_equal(back.cluster_id, "");
}

static void hello_malformed_rejected(void **state)
{
	struct pgq_frame_hello h = sample_hello(), back;
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX + 8];
	size_t n = pgq_frame_hello_encode(&h, buf, sizeof(buf));

	/* Every truncation of the payload is malformed (not a crash, not OK). */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, buf, cut);
		assert_int_equal(pgq_frame_hello_decode(p, cut, &back), PGQ_FRAME_ERR_MALFORMED);
		free(p);
	}
	/* Trailing garbage. */
	buf[n] = 0;
	assert_int_equal(pgq_frame_hello_decode(buf, n + 1, &back), PGQ_FRAME_ERR_MALFORMED);
	/* A control character inside the member name (it would reach the log). */
	uint8_t bad[PGQ_FRAME_HANDSHAKE_MAX];
	memcpy(bad, buf, n);
	bad[n - 1] = '\n';
	assert_int_equal(pgq_frame_hello_decode(bad, n, &back), PGQ_FRAME_ERR_MALFORMED);
	/* Unknown flag bit. */
	memcpy(bad, buf, n);
	bad[3] |= 0x80;
	assert_int_equal(pgq_frame_hello_decode(bad, n, &back), PGQ_FRAME_ERR_MALFORMED);
	/* Raft id 0 means "none" and cannot be a member. */
	memcpy(bad, buf, n);
	memset(bad + 4, 0, 8);
	assert_int_equal(pgq_frame_hello_decode(bad, n, &back), PGQ_FRAME_ERR_MALFORMED);
	/* A string length pointing past the end. */
	memcpy(bad, buf, n);
	bad[12] = 0xFF;
	assert_int_equal(pgq_frame_hello_decode(bad, n, &back), PGQ_FRAME_ERR_MALFORMED);
	/* The longest name encodes; a buffer too small gives 0, not an overflow. */
	memset(h.member_name, 'a', PGQ_FRAME_NAME_MAX);
	h.member_name[PGQ_FRAME_NAME_MAX] = '\0';
	assert_true(pgq_frame_hello_encode(&h, buf, sizeof(buf)) > 0);
	assert_int_equal(pgq_frame_hello_encode(&h, buf, 40), 0);
}

static void refuse_round_trip_and_malformed(void **state)
{
	struct pgq_frame_refuse r = { .code = PGQ_REFUSE_CLUSTER_ID }, back;
	strcpy(r.reason, "cluster id abc is not ours (def)");
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	size_t n = pgq_frame_refuse_encode(&r, buf, sizeof(buf));
	assert_true(n > 2);
	assert_int_equal(pgq_frame_refuse_decode(buf, n, &back), PGQ_FRAME_OK);
	assert_int_equal(back.code, r.code);
	assert_string_equal(back.reason, r.reason);
	assert_int_equal(pgq_frame_refuse_decode(buf, n - 1, &back), PGQ_FRAME_ERR_MALFORMED);
	assert_int_equal(pgq_frame_refuse_decode(buf, 1, &back), PGQ_FRAME_ERR_MALFORMED);
	assert_string_equal(pgq_refuse_code_name(PGQ_REFUSE_SCOPE), "scope mismatch");
}

static void chunk_prefix_round_trip_and_bounds(void **state)
{
	uint8_t buf[PGQ_FRAME_CHUNK_PREFIX_BYTES + 10];
	struct pgq_frame_chunk c;
	pgq_frame_chunk_prefix_encode(buf, 42, 100, 90);
	memset(buf + PGQ_FRAME_CHUNK_PREFIX_BYTES, 0xAB, 10);
	assert_int_equal(pgq_frame_chunk_decode(buf, sizeof(buf), &c), PGQ_FRAME_OK);
	assert_true(c.msg_seq == 42 && c.total_len == 100 && c.offset == 90);
	assert_int_equal(c.data_len, 10);
	assert_ptr_equal(c.data, buf + PGQ_FRAME_CHUNK_PREFIX_BYTES);

	/* Past the end of the message. */
	pgq_frame_chunk_prefix_encode(buf, 42, 100, 91);
	assert_int_equal(pgq_frame_chunk_decode(buf, sizeof(buf), &c), PGQ_FRAME_ERR_MALFORMED);
	/* offset + len overflowing 64 bits must not wrap around. */
	pgq_frame_chunk_prefix_encode(buf, 1, UINT64_MAX, UINT64_MAX - 2);
	assert_int_equal(pgq_frame_chunk_decode(buf, sizeof(buf), &c), PGQ_FRAME_ERR_MALFORMED);
	/* No data at all. */
	assert_int_equal(pgq_frame_chunk_decode(buf, PGQ_FRAME_CHUNK_PREFIX_BYTES, &c),
			 PGQ_FRAME_ERR_MALFORMED);
}

static void backoff_doubles_caps_and_jitters(void **state)
{
	struct pgq_backoff b;
	pgq_backoff_init(&b, 50, 2000, 12345);
	uint32_t base = 50;
	for (int i = 0; i < 12; i++) {
		uint32_t d = pgq_backoff_next_ms(&b);
		assert_true(d >= base / 2);
		assert_true(d <= base);
		base = base * 2 > 2000 ? 2000 : base * 2;
	}
	/* Capped: never above max, however many failures. */
	for (int i = 0; i < 1000; i++)
		assert_true(pgq_backoff_next_ms(&b) <= 2000);
	pgq_backoff_reset(&b);
	assert_true(pgq_backoff_next_ms(&b) <= 50);
}

static void backoff_jitter_is_seeded_and_varies(void **state)
{
	struct pgq_backoff a, b, c;
	pgq_backoff_init(&a, 1000, 1000, 7);
	pgq_backoff_init(&b, 1000, 1000, 7);
	pgq_backoff_init(&c, 1000, 1000, 8);
	uint32_t distinct_from_c = 0, min = UINT32_MAX, max = 0;
	for (int i = 0; i < 200; i++) {
		uint32_t da = pgq_backoff_next_ms(&a), db = pgq_backoff_next_ms(&b);
		uint32_t dc = pgq_backoff_next_ms(&c);
		assert_int_equal(da, db); /* same seed, same schedule: replayable */
		distinct_from_c += da != dc;
		min = da < min ? da : min;
		max = da > max ? da : max;
	}
	/* Different seeds do not retry in lockstep, and the jitter spreads. */
	assert_true(distinct_from_c > 150);
	assert_true(max - min > 300);
}

static void addr_split_cases(void **state)
{
	char host[64], err[128];
	int port;
	assert_int_equal(pgq_addr_split("127.0.0.1:7000", host, sizeof(host), &port, 0, err,
					sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7000);
	assert_int_equal(pgq_addr_split("[::1]:65535", host, sizeof(host), &port, 0, err,
					sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(pgq_addr_split("db-1.example.org:7000", host, sizeof(host), &port, 0,
					err, sizeof(err)), 0);
	assert_string_equal(host, "db-1.example.org");
	assert_int_equal(pgq_addr_split("127.0.0.1:0", host, sizeof(host), &port, 1, err,
					sizeof(err)), 0);
	assert_int_equal(port, 0);

	const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", ":7000", "h:70000", "h:-1",
			      "h:7x", "::1:7000", "[::1]7000", "[::1", "h:99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pgq_addr_split(bad[i], host, sizeof(host), &port, 0, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(pgq_addr_split("h:0", host, sizeof(host), &port, 0, err, sizeof(err)), -1);
	assert_int_equal(pgq_addr_split("averyveryverylonghostname:1", host, 8, &port, 0, err,
					sizeof(err)), -1);
}


/* ---- LEASE_AGE (SAFETY.md S3, docs/safety-changes.md C3) ---------------- */

static const struct pgq_frame_lease_age good_answer = {
	.kind = PGQ_LEASE_AGE_ANSWER, .leader_term = 7, .index = 1234, .term = 6, .age_ms = 4321,
};

static void lease_age_round_trip(void **state)
{
	(void)state;
	uint8_t buf[PGQ_FRAME_LEASE_AGE_BYTES];
	struct pgq_frame_lease_age a, q = good_answer;

	assert_int_equal(pgq_frame_lease_age_encode(&good_answer, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	/* Layout: kind, 7 zero bytes, then four big-endian u64. */
	assert_int_equal(buf[0], PGQ_LEASE_AGE_ANSWER);
	for (int i = 1; i < 8; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[15], 7);
	assert_int_equal(buf[22], 1234 >> 8);
	assert_int_equal(buf[23], 1234 & 0xff);
	assert_int_equal(buf[31], 6);
	assert_int_equal(buf[39], 4321 & 0xff);
	assert_int_equal(pgq_frame_lease_age_decode(buf, sizeof buf, &a), PGQ_FRAME_OK);
	assert_int_equal(a.kind, PGQ_LEASE_AGE_ANSWER);
	assert_int_equal(a.leader_term, 7);
	assert_int_equal(a.index, 1234);
	assert_int_equal(a.term, 6);
	assert_int_equal(a.age_ms, 4321);

	/* A query carries age 0; the largest age and term == leader_term pass. */
	q.kind = PGQ_LEASE_AGE_QUERY;
	q.age_ms = 0;
	q.term = q.leader_term;
	assert_int_equal(pgq_frame_lease_age_encode(&q, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	assert_int_equal(pgq_frame_lease_age_decode(buf, sizeof buf, &a), PGQ_FRAME_OK);
	assert_int_equal(a.kind, PGQ_LEASE_AGE_QUERY);
	assert_int_equal(a.age_ms, 0);
	q = good_answer;
	q.age_ms = PGQ_LEASE_AGE_MAX_MS;
	assert_int_equal(pgq_frame_lease_age_encode(&q, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	assert_int_equal(pgq_frame_lease_age_decode(buf, sizeof buf, &a), PGQ_FRAME_OK);
	assert_true(a.age_ms == PGQ_LEASE_AGE_MAX_MS);

	/* Inside a whole frame: the decoder accepts type 6 and hands back the payload. */
	assert_int_equal(pgq_frame_lease_age_encode(&good_answer, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	size_t flen, used;
	struct pgq_frame fr;
	uint8_t *f = build(PGQ_FRAME_LEASE_AGE, buf, sizeof buf, &flen);
	assert_int_equal(pgq_frame_decode(f, flen, BIG_LIMIT, &fr, &used), PGQ_FRAME_OK);
	assert_int_equal(fr.type, PGQ_FRAME_LEASE_AGE);
	assert_int_equal(pgq_frame_lease_age_decode(fr.payload, fr.payload_len, &a), PGQ_FRAME_OK);
	assert_int_equal(a.index, 1234);
	assert_string_equal(pgq_frame_type_name(PGQ_FRAME_LEASE_AGE), "LEASE_AGE");
	free(f);
}

static void lease_age_truncated_and_oversize_rejected(void **state)
{
	(void)state;
	uint8_t buf[PGQ_FRAME_LEASE_AGE_BYTES + 8];
	struct pgq_frame_lease_age a;

	assert_int_equal(pgq_frame_lease_age_encode(&good_answer, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	for (size_t n = 0; n < PGQ_FRAME_LEASE_AGE_BYTES; n++) {
		assert_int_equal(pgq_frame_lease_age_decode(buf, n, &a), PGQ_FRAME_ERR_MALFORMED);
		assert_int_equal(a.age_ms, 0); /* nothing half-decoded leaks out */
	}
	memset(buf + PGQ_FRAME_LEASE_AGE_BYTES, 0, 8);
	for (size_t n = PGQ_FRAME_LEASE_AGE_BYTES + 1; n <= sizeof buf; n++)
		assert_int_equal(pgq_frame_lease_age_decode(buf, n, &a), PGQ_FRAME_ERR_MALFORMED);
}

static void lease_age_bad_values_rejected(void **state)
{
	(void)state;
	uint8_t buf[PGQ_FRAME_LEASE_AGE_BYTES], bad[PGQ_FRAME_LEASE_AGE_BYTES];
	struct pgq_frame_lease_age a, v;
	struct {
		const char *what;
		size_t off;       /* byte to change in the good encoding */
		uint8_t value;
	} bytes[] = {
		{ "kind 0", 0, 0 }, { "kind 3", 0, 3 }, { "kind 255", 0, 255 },
		{ "reserved byte 1", 1, 1 }, { "reserved byte 7", 7, 0x80 },
		{ "leader term 0", 15, 0 },      /* leader_term 7 -> 0 */
		{ "index 0 (low bytes)", 23, 0 },
		{ "entry term 0", 31, 0 },
		{ "entry term above leader term", 31, 8 },
		{ "age above the maximum", 32, 0x01 }, /* 2^56 + 4321 */
	};

	assert_int_equal(pgq_frame_lease_age_encode(&good_answer, buf), PGQ_FRAME_LEASE_AGE_BYTES);
	for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
		memcpy(bad, buf, sizeof bad);
		if (bytes[i].off == 23)
			bad[22] = 0; /* index 1234 spans two bytes */
		bad[bytes[i].off] = bytes[i].value;
		if (pgq_frame_lease_age_decode(bad, sizeof bad, &a) != PGQ_FRAME_ERR_MALFORMED)
			fail_msg("accepted: %s", bytes[i].what);
	}
	/* A query with an age, an answer past the maximum: refused both ways. */
	v = good_answer;
	v.kind = PGQ_LEASE_AGE_QUERY;
	assert_int_equal(pgq_frame_lease_age_encode(&v, bad), 0);
	memcpy(bad, buf, sizeof bad);
	bad[0] = PGQ_LEASE_AGE_QUERY;
	assert_int_equal(pgq_frame_lease_age_decode(bad, sizeof bad, &a), PGQ_FRAME_ERR_MALFORMED);
	v = good_answer;
	v.age_ms = PGQ_LEASE_AGE_MAX_MS + 1;
	assert_int_equal(pgq_frame_lease_age_encode(&v, bad), 0);
	v = good_answer;
	v.index = 0;
	assert_int_equal(pgq_frame_lease_age_encode(&v, bad), 0);
	v = good_answer;
	v.term = v.leader_term + 1;
	assert_int_equal(pgq_frame_lease_age_encode(&v, bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_round_trip),
		cmocka_unit_test(frame_empty_payload_round_trip),
		cmocka_unit_test(frame_header_layout_is_big_endian),
		cmocka_unit_test(frame_every_truncation_needs_more),
		cmocka_unit_test(frame_bad_magic_rejected_at_first_byte),
		cmocka_unit_test(frame_bad_version_type_flags_rejected),
		cmocka_unit_test(frame_crc_mismatch_rejected),
		cmocka_unit_test(frame_oversize_rejected_from_header_alone),
		cmocka_unit_test(hello_round_trip),
		cmocka_unit_test(hello_malformed_rejected),
		cmocka_unit_test(refuse_round_trip_and_malformed),
		cmocka_unit_test(chunk_prefix_round_trip_and_bounds),
		cmocka_unit_test(backoff_doubles_caps_and_jitters),
		cmocka_unit_test(backoff_jitter_is_seeded_and_varies),
		cmocka_unit_test(addr_split_cases),
		cmocka_unit_test(lease_age_round_trip),
		cmocka_unit_test(lease_age_truncated_and_oversize_rejected),
		cmocka_unit_test(lease_age_bad_values_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

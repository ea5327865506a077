/*
 * test_codec.c — the Raft message codec (agent/raft/codec.c) and the layout
 * docs/codec.md specifies: round trips of every message type, the exact
 * header bytes, and rejection of every kind of damage a peer or a wire can
 * produce (truncation, bit flips, lying lengths, foreign magic/version,
 * semantically impossible messages) — each with the right error code, no
 * crash, no leak and no allocation larger than the input (DESIGN.md R6).
 *
 * The binary is linked with -Wl,--wrap=malloc,--wrap=calloc so the tests can
 * see how large the codec's allocations are and make the k-th one fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/raft.h"

/* ---- allocation tracking through the linker's --wrap ---------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);

static size_t alloc_largest_bytes; /* largest single request since reset */
static long alloc_count;           /* requests since reset */
static long alloc_fail_at = -1;    /* fail the request with this number (0-based); -1: never */

/* Far above anything these tests legitimately need: refusing it turns a
 * runaway request into a clean test failure instead of an allocator abort. */
#define ALLOC_SANITY_CAP_BYTES ((size_t)64 << 20)

static bool alloc_should_fail(size_t bytes)
{
	if (bytes > alloc_largest_bytes)
		alloc_largest_bytes = bytes;
	return alloc_count++ == alloc_fail_at || bytes > ALLOC_SANITY_CAP_BYTES;
}

void *__wrap_malloc(size_t size)
{
	return alloc_should_fail(size) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	/* Record the product without letting it wrap: a wrapped product would hide a huge request. */
	size_t bytes = (size != 0 && n > SIZE_MAX / size) ? SIZE_MAX : n * size;
	return alloc_should_fail(bytes) ? NULL : __real_calloc(n, size);
}

static void alloc_reset(long fail_at)
{
	alloc_largest_bytes = 0;
	alloc_count = 0;
	alloc_fail_at = fail_at;
}

/* ---- layout offsets from docs/codec.md (pinned here on purpose) ----------- */

enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 5,
	OFF_FLAGS = 6,
	OFF_RESERVED = 7,
	OFF_TOTAL_LEN = 8,
	OFF_N_ENTRIES = 12,
	OFF_FROM = 16,
	OFF_TO = 24,
	OFF_TERM = 32,
	OFF_LOG_TERM = 40,
	OFF_INDEX = 48,
	OFF_COMMIT = 56,
	OFF_REJECT_HINT = 64,
	OFF_CTX = 72,
	OFF_BODY = 80,
	ENTRY_HDR = 21, /* term 8, index 8, type 1, len 4 */
	MIN_LEN = 84,
};

static void poke_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void poke_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t peek_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Rewrites total_len and the CRC after a test tampered with the body, so the
 * decoder's structural and semantic checks (not the checksum) must catch it. */
static void reseal(uint8_t *buf, size_t len)
{
	poke_u32(buf + OFF_TOTAL_LEN, (uint32_t)len);
	poke_u32(buf + len - 4, pgq_crc32c(0, buf, len - 4));
}

/* ---- fixtures ------------------------------------------------------------- */

static uint8_t payload_hello[] = "hello, raft";
static uint8_t conf_bytes[RAFT_CONF_CHANGE_LEN];
static struct raft_entry fixture_entries[3];
static uint8_t snapshot_bytes[300];

/* A plausible message of each type, with every field the type uses set. */
static struct raft_msg sample_msg(uint8_t type)
{
	struct raft_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = 1;
	m.to = 2;
	m.term = 7;
	switch (type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		m.log_term = 6;
		m.index = 100;
		m.ctx = 1;
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		m.reject = true;
		break;
	case RAFT_MSG_APPEND: {
		struct raft_conf_change cc = { .type = RAFT_CONF_ADD_LEARNER, .id = 4 };
		raft_conf_change_encode(&cc, conf_bytes);
		fixture_entries[0] = (struct raft_entry){ .term = 6, .index = 101, .type = RAFT_ENTRY_NORMAL,
							   .len = sizeof(payload_hello), .data = payload_hello };
		fixture_entries[1] = (struct raft_entry){ .term = 7, .index = 102, .type = RAFT_ENTRY_NOOP };
		fixture_entries[2] = (struct raft_entry){ .term = 7, .index = 103, .type = RAFT_ENTRY_CONF,
							   .len = sizeof(conf_bytes), .data = conf_bytes };
		m.log_term = 6;
		m.index = 100;
		m.commit = 99;
		m.n_entries = 3;
		m.entries = fixture_entries;
		break;
	}
	case RAFT_MSG_APPEND_RESP:
		m.reject = true;
		m.index = 100;
		m.reject_hint = 80;
		m.log_term = 5;
		break;
	case RAFT_MSG_HEARTBEAT:
		m.commit = 98;
		m.ctx = 0x1122334455667788ull;
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
	case RAFT_MSG_READ_INDEX:
		m.ctx = 42;
		break;
	case RAFT_MSG_SNAPSHOT:
		for (size_t i = 0; i < sizeof(snapshot_bytes); i++)
			snapshot_bytes[i] = (uint8_t)(i * 7 + 3);
		m.snapshot.meta.index = 90;
		m.snapshot.meta.term = 6;
		m.snapshot.meta.config.n = 3;
		m.snapshot.meta.config.members[0] = (struct raft_member){ .id = 1, .voter = true };
		m.snapshot.meta.config.members[1] = (struct raft_member){ .id = 2, .voter = true };
		m.snapshot.meta.config.members[2] = (struct raft_member){ .id = 9, .voter = false };
		m.snapshot.len = sizeof(snapshot_bytes);
		m.snapshot.data = snapshot_bytes;
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		m.ctx = 42;
		m.index = 120;
		break;
	default:
		fail_msg("no sample for type %u", type);
	}
	return m;
}

static void assert_msg_equal(const struct raft_msg *a, const struct raft_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->from, b->from);
	assert_int_equal(a->to, b->to);
	assert_int_equal(a->term, b->term);
	assert_int_equal(a->log_term, b->log_term);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->commit, b->commit);
	assert_int_equal(a->reject, b->reject);
	assert_int_equal(a->reject_hint, b->reject_hint);
	assert_int_equal(a->ctx, b->ctx);
	assert_int_equal(a->n_entries, b->n_entries);
	for (uint32_t i = 0; i < a->n_entries; i++) {
		assert_int_equal(a->entries[i].term, b->entries[i].term);
		assert_int_equal(a->entries[i].index, b->entries[i].index);
		assert_int_equal(a->entries[i].type, b->entries[i].type);
		assert_int_equal(a->entries[i].len, b->entries[i].len);
		if (a->entries[i].len > 0)
			assert_memory_equal(a->entries[i].data, b->entries[i].data, a->entries[i].len);
	}
	if (a->type == RAFT_MSG_SNAPSHOT) {
		const struct raft_snapshot *sa = &a->snapshot, *sb = &b->snapshot;
		assert_int_equal(sa->meta.index, sb->meta.index);
		assert_int_equal(sa->meta.term, sb->meta.term);
		assert_int_equal(sa->meta.config.n, sb->meta.config.n);
		for (uint32_t i = 0; i < sa->meta.config.n; i++) {
			assert_int_equal(sa->meta.config.members[i].id, sb->meta.config.members[i].id);
			assert_int_equal(sa->meta.config.members[i].voter, sb->meta.config.members[i].voter);
		}
		assert_int_equal(sa->len, sb->len);
		if (sa->len > 0)
			assert_memory_equal(sa->data, sb->data, sa->len);
	}
}

static void encode_ok(const struct raft_msg *m, uint8_t **buf, size_t *len)
{
	assert_int_equal(raft_msg_encode(m, buf, len), RAFT_OK);
	assert_non_null(*buf);
	assert_true(*len >= MIN_LEN);
}

/* Encodes, decodes and compares; returns nothing but fails the test on any difference. */
static void round_trip(const struct raft_msg *m)
{
	uint8_t *buf;
	size_t len;
	struct raft_msg got;
	char err[128];

	encode_ok(m, &buf, &len);
	int rc = raft_msg_decode(buf, len, &got, err, sizeof(err));
	if (rc != RAFT_OK)
		fail_msg("decode of type %u failed: %d %s", m->type, rc, err);
	assert_msg_equal(m, &got);
	raft_msg_free(&got);
	free(buf);
}

/* Decodes buf and expects failure with code; checks out is left empty and err names a reason. */
static void expect_reject(const uint8_t *buf, size_t len, int code)
{
	struct raft_msg got;
	char err[160];
	memset(&got, 0xA5, sizeof(got));
	err[0] = '\0';
	int rc = raft_msg_decode(buf, len, &got, err, sizeof(err));
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, err);
	assert_true(strlen(err) > 0);
	assert_null(got.entries);
	assert_null(got.snapshot.data);
	assert_int_equal(got.n_entries, 0);
	raft_msg_free(&got);
}

/* Encodes the sample of type, lets fn tamper with it, reseals and expects code. */
static void expect_tampered(uint8_t type, void (*fn)(uint8_t *buf, size_t len), int code)
{
	struct raft_msg m = sample_msg(type);
	uint8_t *buf;
	size_t len;
	encode_ok(&m, &buf, &len);
	fn(buf, len);
	reseal(buf, len);
	expect_reject(buf, len, code);
	free(buf);
}

/* ---- round trips ----------------------------------------------------------- */

static void test_round_trip_every_type(void **state)
{
	for (uint8_t t = RAFT_MSG_PREVOTE; t <= RAFT_MSG_TYPE_MAX; t++) {
		struct raft_msg m = sample_msg(t);
		round_trip(&m);
	}
}

static void test_round_trip_append_with_entries(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	round_trip(&m);
	/* The NOOP entry has no data: it must come back as len 0, data NULL. */
	uint8_t *buf;
	size_t len;
	struct raft_msg got;
	encode_ok(&m, &buf, &len);
	assert_int_equal(raft_msg_decode(buf, len, &got, NULL, 0), RAFT_OK);
	assert_int_equal(got.entries[1].len, 0);
	assert_null(got.entries[1].data);
	assert_int_equal(len, MIN_LEN + 3 * ENTRY_HDR + sizeof(payload_hello) + RAFT_CONF_CHANGE_LEN);
	raft_msg_free(&got);
	free(buf);
}

static void test_round_trip_append_without_entries(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	m.n_entries = 0;
	m.entries = NULL;
	round_trip(&m);
}

static void test_round_trip_snapshot(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_SNAPSHOT);
	round_trip(&m);
}

static void test_round_trip_snapshot_empty_data_max_members(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_SNAPSHOT);
	m.snapshot.len = 0;
	m.snapshot.data = NULL;
	m.snapshot.meta.config.n = RAFT_MAX_MEMBERS;
	for (uint32_t i = 0; i < RAFT_MAX_MEMBERS; i++)
		m.snapshot.meta.config.members[i] = (struct raft_member){ .id = 1000 + i, .voter = (i % 3) != 0 };
	round_trip(&m);
}

/* Terms and indexes are bounded by 2^63 - 1 (docs/codec.md); ids and ctx are opaque. */
#define LOG_MAX ((uint64_t)INT64_MAX)

static void test_round_trip_extreme_values(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
	m.from = UINT64_MAX;
	m.to = UINT64_MAX - 1;
	m.term = LOG_MAX;
	m.log_term = LOG_MAX;
	m.index = LOG_MAX;
	m.commit = LOG_MAX;
	m.reject_hint = LOG_MAX;
	m.ctx = UINT64_MAX;
	round_trip(&m);

	/* An APPEND whose last entry sits at the largest index. */
	static uint8_t one = 1;
	struct raft_entry e[2] = {
		{ .term = LOG_MAX, .index = LOG_MAX - 1, .type = RAFT_ENTRY_NORMAL, .len = 1, .data = &one },
		{ .term = LOG_MAX, .index = LOG_MAX, .type = RAFT_ENTRY_NORMAL, .len = 1, .data = &one },
	};
	struct raft_msg a = sample_msg(RAFT_MSG_APPEND);
	a.term = LOG_MAX;
	a.index = LOG_MAX - 2;
	a.n_entries = 2;
	a.entries = e;
	round_trip(&a);
}

/* The encoding is the documented one: little-endian, fixed offsets. */
static void test_layout_matches_spec(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
	uint8_t *buf;
	size_t len;
	encode_ok(&m, &buf, &len);
	assert_int_equal(len, MIN_LEN);
	assert_memory_equal(buf + OFF_MAGIC, "PGQR", 4);
	assert_int_equal(buf[OFF_VERSION], RAFT_CODEC_VERSION);
	assert_int_equal(buf[OFF_TYPE], RAFT_MSG_HEARTBEAT);
	assert_int_equal(buf[OFF_FLAGS], 0);
	assert_int_equal(buf[OFF_RESERVED], 0);
	assert_int_equal(buf[OFF_TOTAL_LEN], MIN_LEN);
	assert_int_equal(buf[OFF_TOTAL_LEN + 1], 0);
	assert_int_equal(peek_u64(buf + OFF_FROM), 1);
	assert_int_equal(peek_u64(buf + OFF_TO), 2);
	assert_int_equal(peek_u64(buf + OFF_TERM), 7);
	assert_int_equal(peek_u64(buf + OFF_COMMIT), 98);
	/* Least significant byte first. */
	assert_int_equal(buf[OFF_CTX], 0x88);
	assert_int_equal(buf[OFF_CTX + 7], 0x11);
	uint32_t crc = pgq_crc32c(0, buf, len - 4);
	assert_int_equal(buf[len - 4], crc & 0xFF);
	assert_int_equal(buf[len - 1], crc >> 24);
	free(buf);

	struct raft_msg r = sample_msg(RAFT_MSG_VOTE_RESP);
	encode_ok(&r, &buf, &len);
	assert_int_equal(buf[OFF_FLAGS], 0x01); /* reject */
	free(buf);
}

/* ---- damage -------------------------------------------------------------- */

static void test_every_truncation_rejected(void **state)
{
	const uint8_t types[] = { RAFT_MSG_APPEND, RAFT_MSG_SNAPSHOT, RAFT_MSG_VOTE };
	for (size_t t = 0; t < sizeof(types); t++) {
		struct raft_msg m = sample_msg(types[t]);
		uint8_t *buf;
		size_t len;
		encode_ok(&m, &buf, &len);
		for (size_t cut = 0; cut < len; cut++) {
			/* A fresh allocation of exactly cut bytes lets ASan catch any over-read. */
			uint8_t *copy = malloc(cut ? cut : 1);
			assert_non_null(copy);
			memcpy(copy, buf, cut);
			expect_reject(copy, cut, RAFT_ERR_CORRUPT);
			free(copy);
		}
		free(buf);
	}
}

static void test_trailing_bytes_rejected(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	uint8_t *buf;
	size_t len;
	encode_ok(&m, &buf, &len);
	uint8_t *longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	expect_reject(longer, len + 1, RAFT_ERR_CORRUPT); /* length mismatch */
	/* Even with total_len and CRC fixed up, a byte after the body is refused. */
	reseal(longer, len + 1);
	expect_reject(longer, len + 1, RAFT_ERR_CORRUPT);
	free(longer);
	free(buf);
}

static void test_every_bit_flip_rejected(void **state)
{
	const uint8_t types[] = { RAFT_MSG_APPEND, RAFT_MSG_SNAPSHOT };
	for (size_t t = 0; t < sizeof(types); t++) {
		struct raft_msg m = sample_msg(types[t]);
		uint8_t *buf;
		size_t len;
		encode_ok(&m, &buf, &len);
		for (size_t bit = 0; bit < len * 8; bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			struct raft_msg got;
			int rc = raft_msg_decode(buf, len, &got, NULL, 0);
			if (rc == RAFT_OK)
				fail_msg("flip of bit %zu (type %u) was accepted", bit, types[t]);
			/* The version byte gives its own code; everything else is corruption. */
			assert_int_equal(rc, bit / 8 == OFF_VERSION ? RAFT_ERR_VERSION : RAFT_ERR_CORRUPT);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		free(buf);
	}
}

static void test_wrong_magic_rejected(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_VOTE);
	uint8_t *buf;
	size_t len;
	char err[128];
	struct raft_msg got;
	encode_ok(&m, &buf, &len);
	buf[0] = 'X';
	reseal(buf, len);
	assert_int_equal(raft_msg_decode(buf, len, &got, err, sizeof(err)), RAFT_ERR_CORRUPT);
	assert_non_null(strstr(err, "magic"));
	free(buf);
}

static void test_wrong_version_rejected(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_VOTE);
	uint8_t *buf;
	size_t len;
	char err[128];
	struct raft_msg got;
	encode_ok(&m, &buf, &len);
	const uint8_t versions[] = { 0, RAFT_CODEC_VERSION + 1, 0xFF };
	for (size_t i = 0; i < sizeof(versions); i++) {
		buf[OFF_VERSION] = versions[i];
		reseal(buf, len);
		assert_int_equal(raft_msg_decode(buf, len, &got, err, sizeof(err)), RAFT_ERR_VERSION);
		assert_non_null(strstr(err, "version"));
	}
	/* A future version may be shorter than ours: still a version error. */
	assert_int_equal(raft_msg_decode(buf, 5, &got, err, sizeof(err)), RAFT_ERR_VERSION);
	free(buf);
}

/* A count or length the buffer cannot hold is refused before any allocation. */
static void lie_n_entries(uint8_t *buf, size_t len)
{
	poke_u32(buf + OFF_N_ENTRIES, UINT32_MAX);
}

static void lie_n_entries_small(uint8_t *buf, size_t len)
{
	/* 4 entries claimed, 3 present: enough bytes for the count check, not for the parse. */
	poke_u32(buf + OFF_N_ENTRIES, 4);
}

static void lie_entry_len(uint8_t *buf, size_t len)
{
	poke_u32(buf + OFF_BODY + 17, UINT32_MAX);
}

static void lie_snapshot_len(uint8_t *buf, size_t len)
{
	/* data_len sits right before the 300 data bytes. */
	poke_u64(buf + len - 4 - sizeof(snapshot_bytes) - 8, UINT64_MAX);
}

static void lie_snapshot_len_by_one(uint8_t *buf, size_t len)
{
	poke_u64(buf + len - 4 - sizeof(snapshot_bytes) - 8, sizeof(snapshot_bytes) + 1);
}

static void test_lying_lengths_rejected_without_big_allocations(void **state)
{
	struct {
		uint8_t type;
		void (*fn)(uint8_t *, size_t);
	} lies[] = {
		{ RAFT_MSG_APPEND, lie_n_entries },
		{ RAFT_MSG_APPEND, lie_n_entries_small },
		{ RAFT_MSG_APPEND, lie_entry_len },
		{ RAFT_MSG_SNAPSHOT, lie_snapshot_len },
		{ RAFT_MSG_SNAPSHOT, lie_snapshot_len_by_one },
	};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct raft_msg m = sample_msg(lies[i].type);
		uint8_t *buf;
		size_t len;
		encode_ok(&m, &buf, &len);
		lies[i].fn(buf, len);
		reseal(buf, len);
		alloc_reset(-1);
		expect_reject(buf, len, RAFT_ERR_CORRUPT);
		/* Nothing bigger than a small multiple of the input was requested. */
		if (alloc_largest_bytes > 2 * len)
			fail_msg("lie %zu: allocation of %zu bytes for a %zu-byte input", i, alloc_largest_bytes, len);
		free(buf);
	}
}

static void set_type_0(uint8_t *buf, size_t len)
{
	buf[OFF_TYPE] = 0;
}

static void set_type_past_max(uint8_t *buf, size_t len)
{
	buf[OFF_TYPE] = RAFT_MSG_TYPE_MAX + 1;
}

static void test_unknown_type_rejected(void **state)
{
	expect_tampered(RAFT_MSG_VOTE, set_type_0, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_APPEND, set_type_past_max, RAFT_ERR_INVALID);
	struct raft_msg m = sample_msg(RAFT_MSG_VOTE);
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;
	m.type = RAFT_MSG_TYPE_MAX + 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	assert_null(buf);
	assert_int_equal(len, 0);
}

static void set_flag_unknown(uint8_t *buf, size_t len)
{
	buf[OFF_FLAGS] |= 0x02;
}

static void set_reserved(uint8_t *buf, size_t len)
{
	buf[OFF_RESERVED] = 1;
}

static void set_reject(uint8_t *buf, size_t len)
{
	buf[OFF_FLAGS] = 0x01;
}

static void test_flags_validated(void **state)
{
	expect_tampered(RAFT_MSG_VOTE_RESP, set_flag_unknown, RAFT_ERR_CORRUPT);
	expect_tampered(RAFT_MSG_VOTE_RESP, set_reserved, RAFT_ERR_CORRUPT);
	/* reject only means something on a response. */
	expect_tampered(RAFT_MSG_APPEND, set_reject, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_HEARTBEAT, set_reject, RAFT_ERR_INVALID);
	struct raft_msg m = sample_msg(RAFT_MSG_VOTE);
	uint8_t *buf;
	size_t len;
	m.reject = true;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
}

static void set_from_0(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_FROM, 0);
}

static void set_to_0(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_TO, 0);
}

static void set_to_from(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_TO, peek_u64(buf + OFF_FROM));
}

static void test_ids_validated(void **state)
{
	expect_tampered(RAFT_MSG_HEARTBEAT, set_from_0, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_HEARTBEAT, set_to_0, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_HEARTBEAT, set_to_from, RAFT_ERR_INVALID);
	struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
	uint8_t *buf;
	size_t len;
	m.from = RAFT_NONE;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.from = 2;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
}

/* Log Matching needs contiguous entries right after the previous index. */
static void test_entries_must_be_contiguous(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	struct raft_entry e[3];
	memcpy(e, fixture_entries, sizeof(e));
	m.entries = e;
	uint8_t *buf;
	size_t len;

	e[2].index = 105; /* gap */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[2].index = 102; /* repeat */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[2].index = 103;
	m.index = 99; /* first entry no longer follows prev */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.index = 100;

	/* The same on the wire: patch the third entry's index and reseal. */
	encode_ok(&m, &buf, &len);
	size_t third = OFF_BODY + 2 * ENTRY_HDR + sizeof(payload_hello);
	assert_int_equal(peek_u64(buf + third + 8), 103);
	poke_u64(buf + third + 8, 104);
	reseal(buf, len);
	expect_reject(buf, len, RAFT_ERR_INVALID);
	/* And the previous index patched so the first entry does not follow it. */
	poke_u64(buf + third + 8, 103);
	poke_u64(buf + OFF_INDEX, 101);
	reseal(buf, len);
	expect_reject(buf, len, RAFT_ERR_INVALID);
	free(buf);
}

/* A term or index past 2^63 - 1 is refused, so the core can always add 1
 * without wrapping (a term that wraps to 0 was found by fuzz_step). */
static void test_terms_and_indexes_bounded(void **state)
{
	const size_t offsets[] = { OFF_TERM, OFF_LOG_TERM, OFF_INDEX, OFF_COMMIT, OFF_REJECT_HINT };
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
		uint8_t *buf;
		size_t len;
		encode_ok(&m, &buf, &len);
		poke_u64(buf + offsets[i], LOG_MAX + 1);
		reseal(buf, len);
		expect_reject(buf, len, RAFT_ERR_INVALID);
		poke_u64(buf + offsets[i], UINT64_MAX);
		reseal(buf, len);
		expect_reject(buf, len, RAFT_ERR_INVALID);
		free(buf);
	}
	struct raft_msg m = sample_msg(RAFT_MSG_VOTE);
	uint8_t *buf;
	size_t len;
	m.term = UINT64_MAX;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);

	/* Entries may not run past the bound either. */
	static uint8_t one = 1;
	struct raft_entry e[2] = {
		{ .term = 1, .index = LOG_MAX, .type = RAFT_ENTRY_NORMAL, .len = 1, .data = &one },
		{ .term = 1, .index = LOG_MAX + 1, .type = RAFT_ENTRY_NORMAL, .len = 1, .data = &one },
	};
	struct raft_msg a = sample_msg(RAFT_MSG_APPEND);
	a.index = LOG_MAX - 1;
	a.log_term = 1;
	a.n_entries = 2;
	a.entries = e;
	assert_int_equal(raft_msg_encode(&a, &buf, &len), RAFT_ERR_INVALID);
	a.n_entries = 1;
	encode_ok(&a, &buf, &len);
	free(buf);
	a.index = LOG_MAX;
	e[0].index = LOG_MAX + 1;
	assert_int_equal(raft_msg_encode(&a, &buf, &len), RAFT_ERR_INVALID);

	/* And a snapshot beyond it. */
	struct raft_msg snap = sample_msg(RAFT_MSG_SNAPSHOT);
	snap.snapshot.meta.index = LOG_MAX + 1;
	assert_int_equal(raft_msg_encode(&snap, &buf, &len), RAFT_ERR_INVALID);
	snap = sample_msg(RAFT_MSG_SNAPSHOT);
	encode_ok(&snap, &buf, &len);
	poke_u64(buf + OFF_BODY, LOG_MAX + 1); /* snapshot meta.index */
	reseal(buf, len);
	expect_reject(buf, len, RAFT_ERR_INVALID);
	free(buf);
}

static void set_log_term_above_term(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_LOG_TERM, peek_u64(buf + OFF_TERM) + 1);
}

/* A vote request or append names a log position no later than its own term. */
static void test_log_term_not_above_term(void **state)
{
	expect_tampered(RAFT_MSG_VOTE, set_log_term_above_term, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_PREVOTE, set_log_term_above_term, RAFT_ERR_INVALID);
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	uint8_t *buf;
	size_t len;
	m.n_entries = 0;
	m.entries = NULL;
	m.log_term = m.term + 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	/* On a rejected APPEND_RESP log_term is the follower's term at its hint:
	 * no such rule applies, and the message goes through. */
	struct raft_msg r = sample_msg(RAFT_MSG_APPEND_RESP);
	r.log_term = r.term + 1;
	round_trip(&r);
}

static void set_entry0_type_9(uint8_t *buf, size_t len)
{
	buf[OFF_BODY + 16] = 9;
}

static void set_entry0_type_0(uint8_t *buf, size_t len)
{
	buf[OFF_BODY + 16] = 0;
}

static void set_entry0_term_0(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_BODY, 0);
}

static void test_entry_type_and_term_validated(void **state)
{
	expect_tampered(RAFT_MSG_APPEND, set_entry0_type_9, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_APPEND, set_entry0_type_0, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_APPEND, set_entry0_term_0, RAFT_ERR_INVALID);

	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	struct raft_entry e[3];
	memcpy(e, fixture_entries, sizeof(e));
	m.entries = e;
	uint8_t *buf;
	size_t len;
	e[1].term = 5; /* terms decrease along the log */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[1].term = 8; /* above the sender's term */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[1].term = 7;
	e[0].term = 5; /* below the previous entry's term */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[0].term = 6;
	m.log_term = 8; /* previous term above the message term */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.log_term = 6;
	e[0].data = NULL; /* length without bytes */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
}

static void test_conf_entry_data_validated(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	struct raft_entry e[3];
	memcpy(e, fixture_entries, sizeof(e));
	m.entries = e;
	uint8_t bad[RAFT_CONF_CHANGE_LEN];
	memcpy(bad, conf_bytes, sizeof(bad));
	bad[0] = 0; /* unknown conf change type */
	e[2].data = bad;
	uint8_t *buf;
	size_t len;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	e[2].len = RAFT_CONF_CHANGE_LEN - 1; /* short */
	e[2].data = conf_bytes;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);

	/* On the wire: the conf change is the last 9 data bytes before the CRC. */
	m = sample_msg(RAFT_MSG_APPEND);
	encode_ok(&m, &buf, &len);
	buf[len - 4 - RAFT_CONF_CHANGE_LEN] = 7;
	reseal(buf, len);
	expect_reject(buf, len, RAFT_ERR_INVALID);
	free(buf);
}

static void test_entries_only_on_append(void **state)
{
	struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
	m.n_entries = 3;
	m.entries = fixture_entries;
	m.index = 100;
	uint8_t *buf;
	size_t len;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);

	/* On the wire: an APPEND relabelled as HEARTBEAT keeps its entries. */
	m = sample_msg(RAFT_MSG_APPEND);
	encode_ok(&m, &buf, &len);
	buf[OFF_TYPE] = RAFT_MSG_HEARTBEAT;
	reseal(buf, len);
	expect_reject(buf, len, RAFT_ERR_INVALID);
	free(buf);
	/* And an announced entry array that is missing. */
	m.entries = NULL;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
}

/* Offset of the snapshot's n_members byte in the sample SNAPSHOT encoding. */
enum { SNAP_N_MEMBERS = OFF_BODY + 16, SNAP_MEMBER0 = SNAP_N_MEMBERS + 1 };

static void set_members_17(uint8_t *buf, size_t len)
{
	buf[SNAP_N_MEMBERS] = RAFT_MAX_MEMBERS + 1;
}

static void set_member_dup(uint8_t *buf, size_t len)
{
	poke_u64(buf + SNAP_MEMBER0 + 9, peek_u64(buf + SNAP_MEMBER0));
}

static void set_member_zero(uint8_t *buf, size_t len)
{
	poke_u64(buf + SNAP_MEMBER0 + 18, 0);
}

static void set_member_flags(uint8_t *buf, size_t len)
{
	buf[SNAP_MEMBER0 + 8] = 0x03;
}

static void set_snapshot_index_0(uint8_t *buf, size_t len)
{
	poke_u64(buf + OFF_BODY, 0);
}

static void test_snapshot_config_validated(void **state)
{
	expect_tampered(RAFT_MSG_SNAPSHOT, set_members_17, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_SNAPSHOT, set_member_dup, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_SNAPSHOT, set_member_zero, RAFT_ERR_INVALID);
	expect_tampered(RAFT_MSG_SNAPSHOT, set_member_flags, RAFT_ERR_CORRUPT);
	expect_tampered(RAFT_MSG_SNAPSHOT, set_snapshot_index_0, RAFT_ERR_INVALID);

	struct raft_msg m = sample_msg(RAFT_MSG_SNAPSHOT);
	uint8_t *buf;
	size_t len;
	m.snapshot.meta.config.n = RAFT_MAX_MEMBERS + 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.snapshot.meta.config.n = 0;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.snapshot.meta.config.n = 3;
	m.snapshot.meta.config.members[2].id = 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
	m.snapshot.meta.config.members[2].id = 9;
	m.snapshot.meta.term = 8; /* above the message term */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_INVALID);
}

static void test_snapshot_ignored_on_other_types(void **state)
{
	/* Only SNAPSHOT carries a snapshot section; stray fields are not sent. */
	struct raft_msg m = sample_msg(RAFT_MSG_HEARTBEAT);
	struct raft_msg s = sample_msg(RAFT_MSG_SNAPSHOT);
	m.snapshot = s.snapshot;
	uint8_t *buf;
	size_t len;
	struct raft_msg got;
	encode_ok(&m, &buf, &len);
	assert_int_equal(len, MIN_LEN);
	assert_int_equal(raft_msg_decode(buf, len, &got, NULL, 0), RAFT_OK);
	assert_null(got.snapshot.data);
	assert_int_equal(got.snapshot.meta.index, 0);
	raft_msg_free(&got);
	free(buf);
}

static void test_encode_too_big(void **state)
{
	/* Two 4 GiB entries cannot fit the u32 total length; the encoder refuses
	 * from the lengths alone, before touching the (small) data. */
	static uint8_t byte;
	struct raft_entry e[2] = {
		{ .term = 7, .index = 101, .type = RAFT_ENTRY_NORMAL, .len = UINT32_MAX, .data = &byte },
		{ .term = 7, .index = 102, .type = RAFT_ENTRY_NORMAL, .len = UINT32_MAX, .data = &byte },
	};
	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	m.n_entries = 2;
	m.entries = e;
	uint8_t *buf;
	size_t len;
	alloc_reset(-1);
	assert_int_equal(raft_msg_encode(&m, &buf, &len), RAFT_ERR_TOO_BIG);
	assert_int_equal(alloc_count, 0);
	assert_null(buf);
}

/* Every allocation the decoder makes may fail: it must report NOMEM, leave
 * the output empty and leak nothing (LeakSanitizer checks the last part). */
static void test_allocation_failures(void **state)
{
	const uint8_t types[] = { RAFT_MSG_APPEND, RAFT_MSG_SNAPSHOT };
	for (size_t t = 0; t < sizeof(types); t++) {
		struct raft_msg m = sample_msg(types[t]);
		uint8_t *buf;
		size_t len;
		encode_ok(&m, &buf, &len);
		alloc_reset(-1);
		struct raft_msg got;
		assert_int_equal(raft_msg_decode(buf, len, &got, NULL, 0), RAFT_OK);
		long needed = alloc_count;
		assert_true(needed >= 1);
		raft_msg_free(&got);
		for (long k = 0; k < needed; k++) {
			alloc_reset(k);
			expect_reject(buf, len, RAFT_ERR_NOMEM);
		}
		alloc_reset(0);
		uint8_t *again = (uint8_t *)"x";
		size_t again_len = 1;
		assert_int_equal(raft_msg_encode(&m, &again, &again_len), RAFT_ERR_NOMEM);
		assert_null(again);
		assert_int_equal(again_len, 0);
		alloc_reset(-1);
		free(buf);
	}
}

static void test_free_is_safe_and_idempotent(void **state)
{
	struct raft_msg zero;
	memset(&zero, 0, sizeof(zero));
	raft_msg_free(&zero);
	raft_msg_free(NULL);

	struct raft_msg m = sample_msg(RAFT_MSG_APPEND);
	uint8_t *buf;
	size_t len;
	struct raft_msg got;
	encode_ok(&m, &buf, &len);
	assert_int_equal(raft_msg_decode(buf, len, &got, NULL, 0), RAFT_OK);
	raft_msg_free(&got);
	/* free zeroes the struct, so a second free is harmless. */
	assert_null(got.entries);
	assert_int_equal(got.n_entries, 0);
	raft_msg_free(&got);
	free(buf);
}

static void test_error_buffer_handling(void **state)
{
	uint8_t junk[100];
	memset(junk, 'Z', sizeof(junk));
	struct raft_msg got;
	/* No buffer: still an error code. */
	assert_int_equal(raft_msg_decode(junk, sizeof(junk), &got, NULL, 0), RAFT_ERR_CORRUPT);
	assert_int_equal(raft_msg_decode(NULL, 0, &got, NULL, 0), RAFT_ERR_CORRUPT);
	/* A tiny buffer is filled and terminated, never overrun (ASan would see it). */
	char *tiny = malloc(4);
	assert_non_null(tiny);
	assert_int_equal(raft_msg_decode(junk, sizeof(junk), &got, tiny, 4), RAFT_ERR_CORRUPT);
	assert_int_equal(strlen(tiny), 3);
	free(tiny);
	/* A success clears a stale reason. */
	char err[64] = "stale";
	struct raft_msg m = sample_msg(RAFT_MSG_TIMEOUT_NOW);
	uint8_t *buf;
	size_t len;
	encode_ok(&m, &buf, &len);
	assert_int_equal(raft_msg_decode(buf, len, &got, err, sizeof(err)), RAFT_OK);
	assert_string_equal(err, "");
	raft_msg_free(&got);
	free(buf);
}

/* ---- conf change ----------------------------------------------------------- */

static void test_conf_change_round_trip(void **state)
{
	const uint8_t types[] = { RAFT_CONF_ADD_LEARNER, RAFT_CONF_PROMOTE, RAFT_CONF_REMOVE };
	const raft_id_t ids[] = { 1, 0x0102030405060708ull, UINT64_MAX };
	for (size_t t = 0; t < sizeof(types); t++) {
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			struct raft_conf_change cc = { .type = types[t], .id = ids[i] }, got;
			uint8_t buf[RAFT_CONF_CHANGE_LEN];
			raft_conf_change_encode(&cc, buf);
			assert_int_equal(buf[0], types[t]);
			assert_int_equal(peek_u64(buf + 1), ids[i]);
			assert_int_equal(raft_conf_change_decode(buf, sizeof(buf), &got), RAFT_OK);
			assert_int_equal(got.type, cc.type);
			assert_int_equal(got.id, cc.id);
		}
	}
}

static void test_conf_change_rejects_bad_input(void **state)
{
	struct raft_conf_change cc = { .type = RAFT_CONF_PROMOTE, .id = 5 }, got;
	uint8_t buf[RAFT_CONF_CHANGE_LEN + 1];
	raft_conf_change_encode(&cc, buf);
	buf[RAFT_CONF_CHANGE_LEN] = 0;
	for (size_t l = 0; l <= RAFT_CONF_CHANGE_LEN + 1; l++) {
		if (l == RAFT_CONF_CHANGE_LEN)
			continue;
		assert_int_equal(raft_conf_change_decode(buf, l, &got), RAFT_ERR_CORRUPT);
	}
	assert_int_equal(raft_conf_change_decode(NULL, RAFT_CONF_CHANGE_LEN, &got), RAFT_ERR_CORRUPT);
	buf[0] = 0;
	assert_int_equal(raft_conf_change_decode(buf, RAFT_CONF_CHANGE_LEN, &got), RAFT_ERR_INVALID);
	buf[0] = RAFT_CONF_REMOVE + 1;
	assert_int_equal(raft_conf_change_decode(buf, RAFT_CONF_CHANGE_LEN, &got), RAFT_ERR_INVALID);
	buf[0] = RAFT_CONF_REMOVE;
	poke_u64(buf + 1, 0); /* id 0 means "none" */
	assert_int_equal(raft_conf_change_decode(buf, RAFT_CONF_CHANGE_LEN, &got), RAFT_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_round_trip_append_with_entries),
		cmocka_unit_test(test_round_trip_append_without_entries),
		cmocka_unit_test(test_round_trip_snapshot),
		cmocka_unit_test(test_round_trip_snapshot_empty_data_max_members),
		cmocka_unit_test(test_round_trip_extreme_values),
		cmocka_unit_test(test_layout_matches_spec),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_trailing_bytes_rejected),
		cmocka_unit_test(test_every_bit_flip_rejected),
		cmocka_unit_test(test_wrong_magic_rejected),
		cmocka_unit_test(test_wrong_version_rejected),
		cmocka_unit_test(test_lying_lengths_rejected_without_big_allocations),
		cmocka_unit_test(test_unknown_type_rejected),
		cmocka_unit_test(test_flags_validated),
		cmocka_unit_test(test_ids_validated),
		cmocka_unit_test(test_entries_must_be_contiguous),
		cmocka_unit_test(test_terms_and_indexes_bounded),
		cmocka_unit_test(test_entry_type_and_term_validated),
		cmocka_unit_test(test_log_term_not_above_term),
		cmocka_unit_test(test_conf_entry_data_validated),
		cmocka_unit_test(test_entries_only_on_append),
		cmocka_unit_test(test_snapshot_config_validated),
		cmocka_unit_test(test_snapshot_ignored_on_other_types),
		cmocka_unit_test(test_encode_too_big),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_free_is_safe_and_idempotent),
		cmocka_unit_test(test_error_buffer_handling),
		cmocka_unit_test(test_conf_change_round_trip),
		cmocka_unit_test(test_conf_change_rejects_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

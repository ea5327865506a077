/*
 * codec.c — the wire encoding of Raft messages and of conf changes.
 *
 * Owns: raft_msg_encode / raft_msg_decode / raft_msg_free and
 * raft_conf_change_encode / raft_conf_change_decode. docs/codec.md is the
 * byte-level specification; keep the two in step.
 *
 * Why it is built so: every byte that reaches raft_msg_decode comes from a
 * peer and is untrusted (DESIGN.md R6). The decoder therefore
 *   1. checks the envelope (magic, version, total length, CRC32C) first, so a
 *      torn or corrupted frame is rejected before any field is believed;
 *   2. reads fields byte by byte in little-endian through a bounds-checked
 *      cursor (no struct memcpy: layout and endianness are the format's, not
 *      the compiler's);
 *   3. checks every length against the bytes that remain *before* allocating,
 *      so a lying count or length can never ask for more memory than the
 *      input itself could describe;
 *   4. validates the decoded message against Raft's own invariants (known
 *      type, nonzero distinct ids, contiguous entries that follow the
 *      previous index, a sane snapshot configuration), with the same checks
 *      the encoder applies, so nothing the core would refuse goes on the wire.
 * Structural faults are RAFT_ERR_CORRUPT, a foreign version RAFT_ERR_VERSION,
 * a well-formed but meaningless message RAFT_ERR_INVALID.
 */
#include "raft.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Envelope constants: see docs/codec.md for the full layout. */
static const uint8_t codec_magic[4] = { 'P', 'G', 'Q', 'R' };
enum {
	HEADER_LEN = 16,                   /* magic, version, type, flags, reserved, total_len, n_entries */
	FIXED_LEN = 64,                    /* eight u64 fields */
	PREFIX_LEN = HEADER_LEN + FIXED_LEN,
	CRC_LEN = 4,
	MIN_MSG_LEN = PREFIX_LEN + CRC_LEN,
	ENTRY_HEADER_LEN = 8 + 8 + 1 + 4,  /* term, index, type, len */
	MEMBER_LEN = 8 + 1,                /* id, flags */
	SNAPSHOT_FIXED_LEN = 8 + 8 + 1 + 8 /* index, term, n_members, data_len (+ members) */
};
#define FLAG_REJECT 0x01u
#define MEMBER_FLAG_VOTER 0x01u

/* Formats a reason into the caller's buffer (which may be NULL) and returns code. */
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- little-endian primitives ----------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* A write cursor over a buffer the encoder sized exactly beforehand. */
struct writer {
	uint8_t *p;
	size_t off;
};

static void w_u8(struct writer *w, uint8_t v)
{
	w->p[w->off++] = v;
}

static void w_u32(struct writer *w, uint32_t v)
{
	put_u32(w->p + w->off, v);
	w->off += 4;
}

static void w_u64(struct writer *w, uint64_t v)
{
	put_u64(w->p + w->off, v);
	w->off += 8;
}

static void w_bytes(struct writer *w, const uint8_t *src, size_t n)
{
	if (n > 0)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

/* A read cursor: every read checks the remaining length first. */
struct reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static size_t r_left(const struct reader *r)
{
	return r->len - r->off;
}

static bool r_u8(struct reader *r, uint8_t *v)
{
	if (r_left(r) < 1)
		return false;
	*v = r->p[r->off++];
	return true;
}

static bool r_u32(struct reader *r, uint32_t *v)
{
	if (r_left(r) < 4)
		return false;
	*v = get_u32(r->p + r->off);
	r->off += 4;
	return true;
}

static bool r_u64(struct reader *r, uint64_t *v)
{
	if (r_left(r) < 8)
		return false;
	*v = get_u64(r->p + r->off);
	r->off += 8;
	return true;
}

/* Copies n bytes into a fresh allocation (NULL for n == 0). The caller has
 * already checked n <= r_left(). */
static int r_dup(struct reader *r, size_t n, uint8_t **out)
{
	*out = NULL;
	if (n == 0)
		return RAFT_OK;
	uint8_t *d = malloc(n);
	if (d == NULL)
		return RAFT_ERR_NOMEM;
	memcpy(d, r->p + r->off, n);
	r->off += n;
	*out = d;
	return RAFT_OK;
}

/* ---- conf change -------------------------------------------------------- */

void raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t out[RAFT_CONF_CHANGE_LEN])
{
	out[0] = cc->type;
	put_u64(out + 1, cc->id);
}

int raft_conf_change_decode(const uint8_t *buf, size_t len, struct raft_conf_change *out)
{
	memset(out, 0, sizeof(*out));
	if (buf == NULL || len != RAFT_CONF_CHANGE_LEN)
		return RAFT_ERR_CORRUPT;
	uint8_t type = buf[0];
	raft_id_t id = get_u64(buf + 1);
	if (type < RAFT_CONF_ADD_LEARNER || type > RAFT_CONF_REMOVE || id == RAFT_NONE)
		return RAFT_ERR_INVALID;
	out->type = type;
	out->id = id;
	return RAFT_OK;
}

/* ---- semantic validation (shared by encoder and decoder) ----------------- */

/*
 * Terms and indexes are at most 2^63 - 1. No real log gets near it, and the
 * bound leaves the core room to compute term + 1 or index + 1 without ever
 * wrapping: a peer that sent term 2^64 - 1 would otherwise make the next
 * election wrap the term to 0 (found by tests/fuzz/fuzz_step.c).
 */
#define MAX_LOG_VALUE ((uint64_t)INT64_MAX)

static int check_log_value(const char *what, uint64_t v, char *err, size_t errlen)
{
	if (v > MAX_LOG_VALUE)
		return fail(RAFT_ERR_INVALID, err, errlen, "%s %llu above the limit 2^63-1", what,
			    (unsigned long long)v);
	return RAFT_OK;
}

static bool type_may_reject(uint8_t type)
{
	switch (type) {
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_APPEND_RESP:
	case RAFT_MSG_HEARTBEAT_RESP:
	case RAFT_MSG_READ_INDEX_RESP:
		return true;
	default:
		return false;
	}
}

/* The previous-log fields name a log position no later than the sender's term. */
static bool type_has_log_position(uint8_t type)
{
	return type == RAFT_MSG_PREVOTE || type == RAFT_MSG_VOTE || type == RAFT_MSG_APPEND;
}

static int validate_entries(const struct raft_msg *m, char *err, size_t errlen)
{
	if (m->n_entries == 0)
		return RAFT_OK;
	if (m->type != RAFT_MSG_APPEND)
		return fail(RAFT_ERR_INVALID, err, errlen, "%u entries in a message of type %u (only APPEND carries entries)",
			    m->n_entries, m->type);
	if (m->entries == NULL)
		return fail(RAFT_ERR_INVALID, err, errlen, "%u entries announced but no entry array", m->n_entries);
	/* Log Matching: the entries follow the previous index without a gap.
	 * m->index <= MAX_LOG_VALUE (checked by the caller), so want_index never
	 * wraps: it passes the bound only after an entry index failed the check. */
	raft_index_t want_index = m->index + 1;
	raft_term_t prev_term = m->log_term;
	for (uint32_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		if (e->type < RAFT_ENTRY_NORMAL || e->type > RAFT_ENTRY_CONF)
			return fail(RAFT_ERR_INVALID, err, errlen, "entry %u: unknown entry type %u", i, e->type);
		if (check_log_value("entry index", e->index, err, errlen) != RAFT_OK)
			return RAFT_ERR_INVALID;
		if (e->index != want_index)
			return fail(RAFT_ERR_INVALID, err, errlen, "entry %u: index %llu, expected %llu (entries must be contiguous)",
				    i, (unsigned long long)e->index, (unsigned long long)want_index);
		/* Terms never decrease along a log and never exceed the leader's term. */
		if (e->term == 0 || e->term < prev_term || e->term > m->term)
			return fail(RAFT_ERR_INVALID, err, errlen,
				    "entry %u: term %llu out of order (previous %llu, message term %llu)", i,
				    (unsigned long long)e->term, (unsigned long long)prev_term,
				    (unsigned long long)m->term);
		if (e->len > 0 && e->data == NULL)
			return fail(RAFT_ERR_INVALID, err, errlen, "entry %u: %u bytes announced but no data", i, e->len);
		if (e->type == RAFT_ENTRY_CONF) {
			struct raft_conf_change cc;
			if (raft_conf_change_decode(e->data, e->len, &cc) != RAFT_OK)
				return fail(RAFT_ERR_INVALID, err, errlen, "entry %u: malformed conf change", i);
		}
		want_index++;
		prev_term = e->term;
	}
	return RAFT_OK;
}

static int validate_config(const struct raft_config *c, char *err, size_t errlen)
{
	if (c->n == 0 || c->n > RAFT_MAX_MEMBERS)
		return fail(RAFT_ERR_INVALID, err, errlen, "snapshot config has %u members (allowed 1..%d)", c->n,
			    RAFT_MAX_MEMBERS);
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->members[i].id == RAFT_NONE)
			return fail(RAFT_ERR_INVALID, err, errlen, "snapshot config member %u has id 0", i);
		for (uint32_t j = 0; j < i; j++)
			if (c->members[j].id == c->members[i].id)
				return fail(RAFT_ERR_INVALID, err, errlen, "snapshot config lists member %llu twice",
					    (unsigned long long)c->members[i].id);
	}
	return RAFT_OK;
}

static int validate_snapshot(const struct raft_msg *m, char *err, size_t errlen)
{
	const struct raft_snapshot *s = &m->snapshot;
	if (check_log_value("snapshot index", s->meta.index, err, errlen) != RAFT_OK ||
	    check_log_value("snapshot term", s->meta.term, err, errlen) != RAFT_OK)
		return RAFT_ERR_INVALID;
	if (s->meta.index == 0 || s->meta.term == 0)
		return fail(RAFT_ERR_INVALID, err, errlen, "snapshot at index %llu term %llu (both must be nonzero)",
			    (unsigned long long)s->meta.index, (unsigned long long)s->meta.term);
	if (s->meta.term > m->term)
		return fail(RAFT_ERR_INVALID, err, errlen, "snapshot term %llu above message term %llu",
			    (unsigned long long)s->meta.term, (unsigned long long)m->term);
	if (s->len > 0 && s->data == NULL)
		return fail(RAFT_ERR_INVALID, err, errlen, "snapshot of %zu bytes has no data", s->len);
	return validate_config(&s->meta.config, err, errlen);
}

static int validate_msg(const struct raft_msg *m, char *err, size_t errlen)
{
	if (m->type < RAFT_MSG_PREVOTE || m->type > RAFT_MSG_TYPE_MAX)
		return fail(RAFT_ERR_INVALID, err, errlen, "unknown message type %u", m->type);
	if (m->from == RAFT_NONE || m->to == RAFT_NONE)
		return fail(RAFT_ERR_INVALID, err, errlen, "message from %llu to %llu: ids must be nonzero",
			    (unsigned long long)m->from, (unsigned long long)m->to);
	if (m->from == m->to)
		return fail(RAFT_ERR_INVALID, err, errlen, "message from member %llu to itself",
			    (unsigned long long)m->from);
	const struct {
		const char *name;
		uint64_t value;
	} log_values[] = {
		{ "term", m->term },     { "log term", m->log_term },       { "index", m->index },
		{ "commit", m->commit }, { "reject hint", m->reject_hint },
	};
	for (size_t i = 0; i < sizeof(log_values) / sizeof(log_values[0]); i++)
		if (check_log_value(log_values[i].name, log_values[i].value, err, errlen) != RAFT_OK)
			return RAFT_ERR_INVALID;
	if (m->reject && !type_may_reject(m->type))
		return fail(RAFT_ERR_INVALID, err, errlen, "reject flag on a message of type %u", m->type);
	if (type_has_log_position(m->type) && m->log_term > m->term)
		return fail(RAFT_ERR_INVALID, err, errlen, "log term %llu above message term %llu",
			    (unsigned long long)m->log_term, (unsigned long long)m->term);
	int rc = validate_entries(m, err, errlen);
	if (rc != RAFT_OK)
		return rc;
	if (m->type == RAFT_MSG_SNAPSHOT)
		return validate_snapshot(m, err, errlen);
	return RAFT_OK;
}

/* ---- encoder --------------------------------------------------------------- */

/* Adds b to *a unless the sum would pass limit. */
static bool add_bounded(size_t *a, size_t b, size_t limit)
{
	if (b > limit || *a > limit - b)
		return false;
	*a += b;
	return true;
}

int raft_msg_encode(const struct raft_msg *m, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	int rc = validate_msg(m, NULL, 0);
	if (rc != RAFT_OK)
		return rc;

	/* total_len is a u32 on the wire: that bounds the whole message. */
	const size_t limit = UINT32_MAX;
	size_t total = MIN_MSG_LEN;
	for (uint32_t i = 0; i < m->n_entries; i++)
		if (!add_bounded(&total, ENTRY_HEADER_LEN, limit) || !add_bounded(&total, m->entries[i].len, limit))
			return RAFT_ERR_TOO_BIG;
	const bool has_snapshot = m->type == RAFT_MSG_SNAPSHOT;
	if (has_snapshot) {
		if (!add_bounded(&total, SNAPSHOT_FIXED_LEN + (size_t)m->snapshot.meta.config.n * MEMBER_LEN, limit) ||
		    !add_bounded(&total, m->snapshot.len, limit))
			return RAFT_ERR_TOO_BIG;
	}

	uint8_t *buf = malloc(total);
	if (buf == NULL)
		return RAFT_ERR_NOMEM;
	struct writer w = { .p = buf, .off = 0 };
	w_bytes(&w, codec_magic, sizeof(codec_magic));
	w_u8(&w, RAFT_CODEC_VERSION);
	w_u8(&w, m->type);
	w_u8(&w, m->reject ? FLAG_REJECT : 0);
	w_u8(&w, 0); /* reserved */
	w_u32(&w, (uint32_t)total);
	w_u32(&w, m->n_entries);
	w_u64(&w, m->from);
	w_u64(&w, m->to);
	w_u64(&w, m->term);
	w_u64(&w, m->log_term);
	w_u64(&w, m->index);
	w_u64(&w, m->commit);
	w_u64(&w, m->reject_hint);
	w_u64(&w, m->ctx);
	for (uint32_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		w_u64(&w, e->term);
		w_u64(&w, e->index);
		w_u8(&w, e->type);
		w_u32(&w, e->len);
		w_bytes(&w, e->data, e->len);
	}
	if (has_snapshot) {
		const struct raft_snapshot *s = &m->snapshot;
		w_u64(&w, s->meta.index);
		w_u64(&w, s->meta.term);
		w_u8(&w, (uint8_t)s->meta.config.n);
		for (uint32_t i = 0; i < s->meta.config.n; i++) {
			w_u64(&w, s->meta.config.members[i].id);
			w_u8(&w, s->meta.config.members[i].voter ? MEMBER_FLAG_VOTER : 0);
		}
		w_u64(&w, (uint64_t)s->len);
		w_bytes(&w, s->data, s->len);
	}
	w_u32(&w, pgq_crc32c(0, buf, w.off));
	*out = buf;
	*out_len = total;
	return RAFT_OK;
}

/* ---- decoder --------------------------------------------------------------- */

void raft_msg_free(struct raft_msg *m)
{
	if (m == NULL)
		return;
	if (m->entries != NULL)
		for (uint32_t i = 0; i < m->n_entries; i++)
			free(m->entries[i].data);
	free(m->entries);
	free(m->snapshot.data);
	memset(m, 0, sizeof(*m));
}

/* Checks magic, version, declared length and checksum: nothing inside is
 * believed until the whole frame is known to be intact. */
static int check_envelope(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	if (buf == NULL)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "no buffer");
	if (len < 5)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "message of %zu bytes is shorter than its header", len);
	if (memcmp(buf, codec_magic, sizeof(codec_magic)) != 0)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "bad magic %02x %02x %02x %02x", buf[0], buf[1], buf[2],
			    buf[3]);
	/* The version is checked before the length so that a future layout is
	 * reported as a version mismatch, not as corruption. */
	if (buf[4] != RAFT_CODEC_VERSION)
		return fail(RAFT_ERR_VERSION, err, errlen, "unsupported codec version %u (this build speaks %u)", buf[4],
			    RAFT_CODEC_VERSION);
	if (len < MIN_MSG_LEN)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "message of %zu bytes is shorter than the minimum %d", len,
			    MIN_MSG_LEN);
	uint32_t total = get_u32(buf + 8);
	if ((size_t)total != len)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "message declares %u bytes but %zu were given", total, len);
	uint32_t want_crc = get_u32(buf + len - CRC_LEN);
	uint32_t got_crc = pgq_crc32c(0, buf, len - CRC_LEN);
	if (want_crc != got_crc)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "checksum mismatch (stored %08x, computed %08x)", want_crc,
			    got_crc);
	return RAFT_OK;
}

static int decode_entries(struct reader *r, struct raft_msg *m, uint32_t n, char *err, size_t errlen)
{
	if (n == 0)
		return RAFT_OK;
	/* Each entry takes at least ENTRY_HEADER_LEN bytes: a count the rest of
	 * the buffer cannot hold is a lie, refused before allocating. */
	if (n > r_left(r) / ENTRY_HEADER_LEN)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "%u entries announced but only %zu bytes remain", n,
			    r_left(r));
	m->entries = calloc(n, sizeof(*m->entries));
	if (m->entries == NULL)
		return fail(RAFT_ERR_NOMEM, err, errlen, "out of memory for %u entries", n);
	m->n_entries = n;
	for (uint32_t i = 0; i < n; i++) {
		struct raft_entry *e = &m->entries[i];
		uint32_t data_len;
		if (!r_u64(r, &e->term) || !r_u64(r, &e->index) || !r_u8(r, &e->type) || !r_u32(r, &data_len))
			return fail(RAFT_ERR_CORRUPT, err, errlen, "entry %u: header truncated", i);
		if (data_len > r_left(r))
			return fail(RAFT_ERR_CORRUPT, err, errlen, "entry %u: %u bytes announced but only %zu remain", i,
				    data_len, r_left(r));
		if (r_dup(r, data_len, &e->data) != RAFT_OK)
			return fail(RAFT_ERR_NOMEM, err, errlen, "entry %u: out of memory for %u bytes", i, data_len);
		e->len = data_len;
	}
	return RAFT_OK;
}

static int decode_snapshot(struct reader *r, struct raft_snapshot *s, char *err, size_t errlen)
{
	uint8_t n_members;
	if (!r_u64(r, &s->meta.index) || !r_u64(r, &s->meta.term) || !r_u8(r, &n_members))
		return fail(RAFT_ERR_CORRUPT, err, errlen, "snapshot header truncated");
	if (n_members > RAFT_MAX_MEMBERS)
		return fail(RAFT_ERR_INVALID, err, errlen, "snapshot config has %u members (at most %d)", n_members,
			    RAFT_MAX_MEMBERS);
	s->meta.config.n = n_members;
	for (uint32_t i = 0; i < n_members; i++) {
		uint8_t flags;
		if (!r_u64(r, &s->meta.config.members[i].id) || !r_u8(r, &flags))
			return fail(RAFT_ERR_CORRUPT, err, errlen, "snapshot member %u truncated", i);
		if ((flags & ~MEMBER_FLAG_VOTER) != 0)
			return fail(RAFT_ERR_CORRUPT, err, errlen, "snapshot member %u: unknown flags %02x", i, flags);
		s->meta.config.members[i].voter = (flags & MEMBER_FLAG_VOTER) != 0;
	}
	uint64_t data_len;
	if (!r_u64(r, &data_len))
		return fail(RAFT_ERR_CORRUPT, err, errlen, "snapshot data length truncated");
	if (data_len > r_left(r))
		return fail(RAFT_ERR_CORRUPT, err, errlen, "snapshot announces %llu bytes but only %zu remain",
			    (unsigned long long)data_len, r_left(r));
	if (r_dup(r, (size_t)data_len, &s->data) != RAFT_OK)
		return fail(RAFT_ERR_NOMEM, err, errlen, "out of memory for a snapshot of %llu bytes",
			    (unsigned long long)data_len);
	s->len = (size_t)data_len;
	return RAFT_OK;
}

static int decode_body(const uint8_t *buf, size_t len, struct raft_msg *m, char *err, size_t errlen)
{
	/* The envelope was checked: len >= MIN_MSG_LEN and the CRC matches. */
	struct reader r = { .p = buf, .len = len - CRC_LEN, .off = 0 };
	uint8_t flags = buf[6];
	uint8_t reserved = buf[7];
	if ((flags & ~FLAG_REJECT) != 0 || reserved != 0)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "unknown flags %02x / reserved byte %02x", flags, reserved);
	m->type = buf[5];
	m->reject = (flags & FLAG_REJECT) != 0;
	uint32_t n_entries = get_u32(buf + 12);
	r.off = HEADER_LEN;
	/* FIXED_LEN bytes are present: len >= MIN_MSG_LEN. */
	r_u64(&r, &m->from);
	r_u64(&r, &m->to);
	r_u64(&r, &m->term);
	r_u64(&r, &m->log_term);
	r_u64(&r, &m->index);
	r_u64(&r, &m->commit);
	r_u64(&r, &m->reject_hint);
	r_u64(&r, &m->ctx);
	/* Refuse an unknown type before reading a body whose shape it decides. */
	if (m->type < RAFT_MSG_PREVOTE || m->type > RAFT_MSG_TYPE_MAX)
		return fail(RAFT_ERR_INVALID, err, errlen, "unknown message type %u", m->type);
	int rc = decode_entries(&r, m, n_entries, err, errlen);
	if (rc != RAFT_OK)
		return rc;
	if (m->type == RAFT_MSG_SNAPSHOT) {
		rc = decode_snapshot(&r, &m->snapshot, err, errlen);
		if (rc != RAFT_OK)
			return rc;
	}
	if (r_left(&r) != 0)
		return fail(RAFT_ERR_CORRUPT, err, errlen, "%zu unexpected bytes after the message body", r_left(&r));
	return validate_msg(m, err, errlen);
}

int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	int rc = check_envelope(buf, len, err, errlen);
	if (rc == RAFT_OK)
		rc = decode_body(buf, len, out, err, errlen);
	if (rc != RAFT_OK)
		raft_msg_free(out); /* on error the caller owns nothing */
	return rc;
}

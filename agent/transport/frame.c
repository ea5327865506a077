/*
 * frame.c — encode and decode transport frames (see frame.h for the layout).
 *
 * Pure functions over byte buffers so every rule is unit tested without a
 * socket. The decoder checks the header field by field in wire order, which is
 * what lets "every truncation of a valid frame is NEED_MORE" hold: a prefix is
 * rejected only on a byte that is already wrong.
 */
#include "transport/frame.h"

#include <stdlib.h>
#include <string.h>

#include "raft/raft.h" /* pgq_crc32c */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
}

const char *pgq_frame_status_name(int status)
{
	switch (status) {
	case PGQ_FRAME_OK: return "ok";
	case PGQ_FRAME_NEED_MORE: return "need more bytes";
	case PGQ_FRAME_ERR_MAGIC: return "bad magic";
	case PGQ_FRAME_ERR_VERSION: return "unsupported frame version";
	case PGQ_FRAME_ERR_TYPE: return "unknown frame type";
	case PGQ_FRAME_ERR_FLAGS: return "unknown frame flags";
	case PGQ_FRAME_ERR_TOO_BIG: return "frame too large";
	case PGQ_FRAME_ERR_CRC: return "payload checksum mismatch";
	case PGQ_FRAME_ERR_MALFORMED: return "malformed payload";
	}
	return "unknown error";
}

const char *pgq_frame_type_name(int type)
{
	switch (type) {
	case PGQ_FRAME_HELLO: return "HELLO";
	case PGQ_FRAME_HELLO_ACK: return "HELLO_ACK";
	case PGQ_FRAME_REFUSE: return "REFUSE";
	case PGQ_FRAME_RAFT: return "RAFT";
	case PGQ_FRAME_RAFT_CHUNK: return "RAFT_CHUNK";
	case PGQ_FRAME_LEASE_AGE: return "LEASE_AGE";
	}
	return "?";
}

const char *pgq_refuse_code_name(int code)
{
	switch (code) {
	case PGQ_REFUSE_PROTOCOL: return "protocol";
	case PGQ_REFUSE_SCOPE: return "scope mismatch";
	case PGQ_REFUSE_CLUSTER_ID: return "cluster id mismatch";
	case PGQ_REFUSE_UNKNOWN_MEMBER: return "unknown member";
	case PGQ_REFUSE_SHUTTING_DOWN: return "shutting down";
	}
	return "unknown";
}

void pgq_frame_header_encode(uint8_t out[PGQ_FRAME_HEADER_BYTES], uint8_t type,
			     uint32_t payload_len, uint32_t crc)
{
	put_u32(out, PGQ_FRAME_MAGIC);
	out[4] = PGQ_FRAME_VERSION;
	out[5] = type;
	put_u16(out + 6, 0);
	put_u32(out + 8, payload_len);
	put_u32(out + 12, crc);
}

int pgq_frame_build(uint8_t type, const uint8_t *payload, size_t payload_len,
		    uint8_t **out, size_t *out_len)
{
	if (payload_len > UINT32_MAX)
		return -1;
	uint8_t *buf = malloc(PGQ_FRAME_HEADER_BYTES + payload_len);
	if (!buf)
		return -1;
	pgq_frame_header_encode(buf, type, (uint32_t)payload_len,
				pgq_crc32c(0, payload, payload_len));
	if (payload_len)
		memcpy(buf + PGQ_FRAME_HEADER_BYTES, payload, payload_len);
	*out = buf;
	*out_len = PGQ_FRAME_HEADER_BYTES + payload_len;
	return 0;
}

static bool known_type(uint8_t type)
{
	return type >= PGQ_FRAME_HELLO && type <= PGQ_FRAME_LEASE_AGE;
}

int pgq_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
		     struct pgq_frame *frame, size_t *consumed)
{
	/* Magic, checked byte by byte so garbage is rejected at its first byte. */
	static const uint8_t magic[4] = { 0x50, 0x47, 0x51, 0x54 };
	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return PGQ_FRAME_NEED_MORE;
		if (buf[i] != magic[i])
			return PGQ_FRAME_ERR_MAGIC;
	}
	if (len < 5)
		return PGQ_FRAME_NEED_MORE;
	if (buf[4] != PGQ_FRAME_VERSION)
		return PGQ_FRAME_ERR_VERSION;
	if (len < 6)
		return PGQ_FRAME_NEED_MORE;
	if (!known_type(buf[5]))
		return PGQ_FRAME_ERR_TYPE;
	if (len < 8)
		return PGQ_FRAME_NEED_MORE;
	if (get_u16(buf + 6) != 0)
		return PGQ_FRAME_ERR_FLAGS;
	if (len < 12)
		return PGQ_FRAME_NEED_MORE;
	uint32_t plen = get_u32(buf + 8);
	if (plen > max_payload)
		return PGQ_FRAME_ERR_TOO_BIG;
	if (len < PGQ_FRAME_HEADER_BYTES || len - PGQ_FRAME_HEADER_BYTES < plen)
		return PGQ_FRAME_NEED_MORE;
	const uint8_t *payload = buf + PGQ_FRAME_HEADER_BYTES;
	if (pgq_crc32c(0, payload, plen) != get_u32(buf + 12))
		return PGQ_FRAME_ERR_CRC;
	frame->type = buf[5];
	frame->payload_len = plen;
	frame->payload = payload;
	*consumed = PGQ_FRAME_HEADER_BYTES + (size_t)plen;
	return PGQ_FRAME_OK;
}

/* A string field is u16 length + bytes; printable ASCII only, because these
 * values end up in log lines and must not smuggle control characters. */
static size_t put_str(uint8_t *out, size_t cap, size_t pos, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max || pos + 2 + n > cap)
		return 0;
	put_u16(out + pos, (uint16_t)n);
	memcpy(out + pos + 2, s, n);
	return pos + 2 + n;
}

static bool get_str(const uint8_t *p, size_t len, size_t *pos, char *dst, size_t max)
{
	if (len - *pos < 2)
		return false;
	size_t n = get_u16(p + *pos);
	*pos += 2;
	if (n > max || len - *pos < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[*pos + i];
		if (c < 0x20 || c > 0x7e)
			return false;
		dst[i] = (char)c;
	}
	dst[n] = '\0';
	*pos += n;
	return true;
}

size_t pgq_frame_hello_encode(const struct pgq_frame_hello *h, uint8_t *out, size_t cap)
{
	if (cap < 12)
		return 0;
	put_u16(out, h->protocol_version);
	put_u16(out + 2, h->flags);
	put_u64(out + 4, h->raft_id);
	size_t pos = 12;
	pos = put_str(out, cap, pos, h->scope, PGQ_FRAME_SCOPE_MAX);
	if (pos)
		pos = put_str(out, cap, pos, h->cluster_id, PGQ_FRAME_CLUSTER_ID_MAX);
	if (pos)
		pos = put_str(out, cap, pos, h->member_name, PGQ_FRAME_NAME_MAX);
	return pos;
}

int pgq_frame_hello_decode(const uint8_t *p, size_t len, struct pgq_frame_hello *h)
{
	memset(h, 0, sizeof(*h));
	if (len < 12)
		return PGQ_FRAME_ERR_MALFORMED;
	h->protocol_version = get_u16(p);
	h->flags = get_u16(p + 2);
	h->raft_id = get_u64(p + 4);
	size_t pos = 12;
	if (!get_str(p, len, &pos, h->scope, PGQ_FRAME_SCOPE_MAX) ||
	    !get_str(p, len, &pos, h->cluster_id, PGQ_FRAME_CLUSTER_ID_MAX) ||
	    !get_str(p, len, &pos, h->member_name, PGQ_FRAME_NAME_MAX))
		return PGQ_FRAME_ERR_MALFORMED;
	/* Trailing bytes, unknown flags, an empty name or id 0 are all malformed:
	 * version 1 defines exactly this layout. */
	if (pos != len || (h->flags & ~PGQ_HELLO_FLAG_HAS_STATE) ||
	    h->member_name[0] == '\0' || h->scope[0] == '\0' || h->raft_id == 0)
		return PGQ_FRAME_ERR_MALFORMED;
	return PGQ_FRAME_OK;
}

size_t pgq_frame_refuse_encode(const struct pgq_frame_refuse *r, uint8_t *out, size_t cap)
{
	if (cap < 2)
		return 0;
	put_u16(out, r->code);
	return put_str(out, cap, 2, r->reason, PGQ_FRAME_REASON_MAX);
}

int pgq_frame_refuse_decode(const uint8_t *p, size_t len, struct pgq_frame_refuse *r)
{
	memset(r, 0, sizeof(*r));
	if (len < 2)
		return PGQ_FRAME_ERR_MALFORMED;
	r->code = get_u16(p);
	size_t pos = 2;
	if (!get_str(p, len, &pos, r->reason, PGQ_FRAME_REASON_MAX) || pos != len)
		return PGQ_FRAME_ERR_MALFORMED;
	return PGQ_FRAME_OK;
}

void pgq_frame_chunk_prefix_encode(uint8_t out[PGQ_FRAME_CHUNK_PREFIX_BYTES],
				   uint64_t msg_seq, uint64_t total_len, uint64_t offset)
{
	put_u64(out, msg_seq);
	put_u64(out + 8, total_len);
	put_u64(out + 16, offset);
}

int pgq_frame_chunk_decode(const uint8_t *p, size_t len, struct pgq_frame_chunk *c)
{
	if (len <= PGQ_FRAME_CHUNK_PREFIX_BYTES)
		return PGQ_FRAME_ERR_MALFORMED;
	c->msg_seq = get_u64(p);
	c->total_len = get_u64(p + 8);
	c->offset = get_u64(p + 16);
	c->data = p + PGQ_FRAME_CHUNK_PREFIX_BYTES;
	c->data_len = len - PGQ_FRAME_CHUNK_PREFIX_BYTES;
	if (c->offset > c->total_len || c->total_len - c->offset < c->data_len)
		return PGQ_FRAME_ERR_MALFORMED;
	return PGQ_FRAME_OK;
}

/* The checks shared by encode and decode (S3: a bad report must never count). */
static bool lease_age_valid(const struct pgq_frame_lease_age *a)
{
	if (a->kind != PGQ_LEASE_AGE_QUERY && a->kind != PGQ_LEASE_AGE_ANSWER)
		return false;
	if (a->leader_term == 0 || a->index == 0 || a->term == 0 || a->term > a->leader_term)
		return false;
	if (a->kind == PGQ_LEASE_AGE_QUERY)
		return a->age_ms == 0;
	return a->age_ms <= PGQ_LEASE_AGE_MAX_MS;
}

size_t pgq_frame_lease_age_encode(const struct pgq_frame_lease_age *a,
				  uint8_t out[PGQ_FRAME_LEASE_AGE_BYTES])
{
	if (!lease_age_valid(a))
		return 0;
	memset(out, 0, PGQ_FRAME_LEASE_AGE_BYTES);
	out[0] = a->kind;
	put_u64(out + 8, a->leader_term);
	put_u64(out + 16, a->index);
	put_u64(out + 24, a->term);
	put_u64(out + 32, a->age_ms);
	return PGQ_FRAME_LEASE_AGE_BYTES;
}

int pgq_frame_lease_age_decode(const uint8_t *p, size_t len, struct pgq_frame_lease_age *a)
{
	memset(a, 0, sizeof(*a));
	if (len != PGQ_FRAME_LEASE_AGE_BYTES)
		return PGQ_FRAME_ERR_MALFORMED;
	for (size_t i = 1; i < 8; i++)
		if (p[i] != 0)
			return PGQ_FRAME_ERR_MALFORMED;
	a->kind = p[0];
	a->leader_term = get_u64(p + 8);
	a->index = get_u64(p + 16);
	a->term = get_u64(p + 24);
	a->age_ms = get_u64(p + 32);
	if (!lease_age_valid(a)) {
		memset(a, 0, sizeof(*a));
		return PGQ_FRAME_ERR_MALFORMED;
	}
	return PGQ_FRAME_OK;
}

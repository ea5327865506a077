/*
 * segment.c — the log segment format and its parser.
 *
 * A segment file log-<first index, 20 digits>.seg holds a header and then
 * consecutive records, one per Raft entry:
 *
 *   header (28 bytes): magic "PGQSEGMT", u32 version, u32 flags (0),
 *                      u64 first index, u32 CRC32C of bytes 0..23
 *   record:            u32 payload length, u32 CRC32C of the payload,
 *                      u32 CRC32C of the 8 bytes before it (the header CRC),
 *                      payload = u64 term, u64 index, u8 type, data
 *
 * The record header has its own CRC so a damaged length is recognised before
 * it is used to skip ahead. The parser only classifies damage; whether it is
 * a torn tail (cut) or corruption (stop) is decided by the directory scan,
 * which knows whether this is the last segment.
 */
#include "storage_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t seg_magic[8] = {'P', 'G', 'Q', 'S', 'E', 'G', 'M', 'T'};

#define REC_MAX_PAYLOAD ((uint64_t)REC_FIXED_BYTES + PGQ_STORAGE_MAX_ENTRY_BYTES)

void segment_name(char out[FILE_NAME_MAX], raft_index_t first)
{
	snprintf(out, FILE_NAME_MAX, "log-%020" PRIu64 ".seg", first);
}

bool segment_name_parse(const char *name, raft_index_t *first)
{
	uint64_t v = 0;

	if (strlen(name) != 4 + 20 + 4 || strncmp(name, "log-", 4) != 0 ||
	    strcmp(name + 24, ".seg") != 0)
		return false;
	for (int i = 4; i < 24; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(name[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*first = v;
	return v != 0;
}

void segment_header_encode(uint8_t out[SEG_HEADER_BYTES], raft_index_t first)
{
	memcpy(out, seg_magic, 8);
	put_u32(out + 8, PGQ_STORAGE_FORMAT_VERSION);
	put_u32(out + 12, 0);
	put_u64(out + 16, first);
	put_u32(out + 24, pgq_crc32c(0, out, 24));
}

size_t record_size(const struct raft_entry *e)
{
	return REC_HEADER_BYTES + REC_FIXED_BYTES + (size_t)e->len;
}

void record_encode(uint8_t *out, const struct raft_entry *e)
{
	uint8_t *payload = out + REC_HEADER_BYTES;
	uint32_t plen = REC_FIXED_BYTES + e->len;

	put_u64(payload, e->term);
	put_u64(payload + 8, e->index);
	payload[16] = e->type;
	if (e->len > 0)
		memcpy(payload + REC_FIXED_BYTES, e->data, e->len);
	put_u32(out, plen);
	put_u32(out + 4, pgq_crc32c(0, payload, plen));
	put_u32(out + 8, pgq_crc32c(0, out, 8));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* A record whose header and payload checksums both hold starts at off. */
static bool record_valid_at(const uint8_t *buf, size_t size, size_t off)
{
	uint32_t plen;

	if (size - off < REC_HEADER_BYTES)
		return false;
	if (pgq_crc32c(0, buf + off, 8) != get_u32(buf + off + 8))
		return false;
	plen = get_u32(buf + off);
	if (plen < REC_FIXED_BYTES || plen > REC_MAX_PAYLOAD ||
	    plen > size - off - REC_HEADER_BYTES)
		return false;
	return pgq_crc32c(0, buf + off + REC_HEADER_BYTES, plen) == get_u32(buf + off + 4);
}

/*
 * Does any checksum-valid record start after a damaged one? If so the damage
 * is not the tail of the last write but something in the middle of durable
 * data. Every byte offset is tried because a damaged length cannot be trusted
 * to find the next record; the header CRC makes each try cheap.
 */
static bool valid_record_after(const uint8_t *buf, size_t size, size_t from)
{
	if (from >= size || all_zero(buf + from, size - from))
		return false;
	for (size_t off = from; off + REC_HEADER_BYTES <= size; off++)
		if (record_valid_at(buf, size, off))
			return true;
	return false;
}

static void set_damage(struct seg_parse *p, enum seg_damage d, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_damage(struct seg_parse *p, enum seg_damage d, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	p->damage = d;
	p->damage_offset = off;
	va_start(ap, fmt);
	vsnprintf(p->damage_reason, sizeof(p->damage_reason), fmt, ap);
	va_end(ap);
}

static int push_entry(struct seg_parse *p, size_t *cap, const struct raft_entry *e, uint64_t next_off)
{
	if (p->n + 1 >= *cap) {
		size_t ncap = *cap * 2;
		struct raft_entry *ne = realloc(p->entries, ncap * sizeof(*ne));
		if (ne == NULL)
			return PGQ_STORAGE_ERR_NOMEM;
		p->entries = ne;
		uint64_t *no = realloc(p->offsets, ncap * sizeof(*no));
		if (no == NULL)
			return PGQ_STORAGE_ERR_NOMEM;
		p->offsets = no;
		*cap = ncap;
	}
	p->entries[p->n] = *e;
	p->n++;
	p->offsets[p->n] = next_off;
	return 0;
}

static int parse_records(const uint8_t *buf, size_t size, struct seg_parse *p)
{
	size_t cap = 64, off = SEG_HEADER_BYTES;
	raft_term_t prev_term = 0;

	p->entries = malloc(cap * sizeof(*p->entries));
	p->offsets = malloc(cap * sizeof(*p->offsets));
	if (p->entries == NULL || p->offsets == NULL)
		return PGQ_STORAGE_ERR_NOMEM;
	p->offsets[0] = off;
	while (off < size) {
		size_t rem = size - off;
		const uint8_t *payload = buf + off + REC_HEADER_BYTES;
		uint32_t plen;
		struct raft_entry e;
		int rc;

		if (rem < REC_HEADER_BYTES) {
			set_damage(p, SEG_DAMAGE_TORN_RECORD, off,
				   "short record header (%zu of %d bytes)", rem, REC_HEADER_BYTES);
			break;
		}
		if (pgq_crc32c(0, buf + off, 8) != get_u32(buf + off + 8)) {
			set_damage(p, SEG_DAMAGE_TORN_RECORD, off, "record header checksum mismatch");
			break;
		}
		plen = get_u32(buf + off);
		if (plen < REC_FIXED_BYTES || plen > REC_MAX_PAYLOAD) {
			set_damage(p, SEG_DAMAGE_BAD_RECORD, off, "record length %u out of range", plen);
			break;
		}
		if (plen > rem - REC_HEADER_BYTES) {
			set_damage(p, SEG_DAMAGE_TORN_RECORD, off, "short record (%zu of %u payload bytes)",
				   rem - REC_HEADER_BYTES, plen);
			break;
		}
		if (pgq_crc32c(0, payload, plen) != get_u32(buf + off + 4)) {
			set_damage(p, SEG_DAMAGE_TORN_RECORD, off, "record checksum mismatch");
			break;
		}
		e.term = get_u64(payload);
		e.index = get_u64(payload + 8);
		e.type = payload[16];
		e.len = plen - REC_FIXED_BYTES;
		e.data = (uint8_t *)(uintptr_t)(payload + REC_FIXED_BYTES);
		if (e.index != p->first_index + p->n) {
			set_damage(p, SEG_DAMAGE_BAD_RECORD, off, "record has index %" PRIu64 ", expected %" PRIu64,
				   e.index, p->first_index + p->n);
			break;
		}
		if (e.term == 0 || e.term < prev_term) {
			set_damage(p, SEG_DAMAGE_BAD_RECORD, off,
				   "record %" PRIu64 " has term %" PRIu64 " after term %" PRIu64,
				   e.index, e.term, prev_term);
			break;
		}
		if (e.type != RAFT_ENTRY_NORMAL && e.type != RAFT_ENTRY_NOOP && e.type != RAFT_ENTRY_CONF) {
			set_damage(p, SEG_DAMAGE_BAD_RECORD, off, "record %" PRIu64 " has unknown type %u",
				   e.index, e.type);
			break;
		}
		if (e.len == 0)
			e.data = NULL;
		prev_term = e.term;
		off += REC_HEADER_BYTES + plen;
		rc = push_entry(p, &cap, &e, off);
		if (rc != 0)
			return rc;
	}
	if (p->damage == SEG_DAMAGE_TORN_RECORD)
		p->valid_after = valid_record_after(buf, size, (size_t)p->damage_offset + 1);
	return 0;
}

int seg_parse(const uint8_t *buf, size_t size, raft_index_t name_first, struct seg_parse *out)
{
	uint32_t version;

	memset(out, 0, sizeof(*out));
	out->first_index = name_first;
	if (size < SEG_HEADER_BYTES || all_zero(buf, size)) {
		set_damage(out, SEG_DAMAGE_SHORT_HEADER, 0,
			   size == 0 ? "empty file" : size < SEG_HEADER_BYTES ?
			   "short segment header (%zu of %d bytes)" : "file of zeros (%zu bytes, header size %d)",
			   size, SEG_HEADER_BYTES);
		return 0;
	}
	if (memcmp(buf, seg_magic, 8) != 0) {
		set_damage(out, SEG_DAMAGE_BAD_HEADER, 0, "bad magic (not a pgquorum log segment)");
		return 0;
	}
	version = get_u32(buf + 8);
	if (version != PGQ_STORAGE_FORMAT_VERSION) {
		set_damage(out, SEG_DAMAGE_VERSION, 8, "unknown format version %u (this build reads %d)",
			   version, PGQ_STORAGE_FORMAT_VERSION);
		return 0;
	}
	if (get_u32(buf + 24) != pgq_crc32c(0, buf, 24)) {
		set_damage(out, SEG_DAMAGE_BAD_HEADER, 24, "segment header checksum mismatch");
		return 0;
	}
	if (get_u32(buf + 12) != 0) {
		set_damage(out, SEG_DAMAGE_BAD_HEADER, 12, "unknown segment flags");
		return 0;
	}
	if (get_u64(buf + 16) != name_first) {
		set_damage(out, SEG_DAMAGE_BAD_HEADER, 16,
			   "header says first index %" PRIu64 " but the file name says %" PRIu64,
			   get_u64(buf + 16), name_first);
		return 0;
	}
	return parse_records(buf, size, out);
}

void seg_parse_free(struct seg_parse *p)
{
	free(p->entries);
	free(p->offsets);
	p->entries = NULL;
	p->offsets = NULL;
	p->n = 0;
}

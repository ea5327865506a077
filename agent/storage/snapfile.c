/*
 * snapfile.c — the snapshot file: the application state at one log index,
 * with the term and configuration as of that index. Named
 * snapshot-<term>-<index>.snap (20 digits each), written through the durable
 * replacement helper, so a snapshot file is complete or absent.
 *
 *   0  magic "PGQSNAPS"  8 u32 version  12 u32 flags (0)
 *   16 u64 index  24 u64 term  32 u32 member count n (<= RAFT_MAX_MEMBERS)
 *   36 n x (u64 id, u8 voter)   then u64 data length, data,
 *   then u32 CRC32C of every byte before it
 */
#include "storage_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t snap_magic[8] = {'P', 'G', 'Q', 'S', 'N', 'A', 'P', 'S'};

#define SNAP_MEMBER_BYTES 9

void snapfile_name(char out[FILE_NAME_MAX], raft_term_t term, raft_index_t index)
{
	snprintf(out, FILE_NAME_MAX, "snapshot-%020" PRIu64 "-%020" PRIu64 ".snap", term, index);
}

static bool parse_digits20(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < 20; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

bool snapfile_name_parse(const char *name, raft_term_t *term, raft_index_t *index)
{
	/* "snapshot-" 20 "-" 20 ".snap" */
	if (strlen(name) != 9 + 20 + 1 + 20 + 5 || strncmp(name, "snapshot-", 9) != 0 ||
	    name[29] != '-' || strcmp(name + 50, ".snap") != 0)
		return false;
	return parse_digits20(name + 9, term) && parse_digits20(name + 30, index);
}

int snapfile_encode(const struct raft_snapshot_meta *meta, const uint8_t *data, size_t len,
		    uint8_t **out, size_t *out_len)
{
	size_t total = 36 + (size_t)meta->config.n * SNAP_MEMBER_BYTES + 8 + len + 4, off = 36;
	uint8_t *buf;

	if (meta->config.n > RAFT_MAX_MEMBERS || len > PGQ_STORAGE_MAX_SNAPSHOT_BYTES)
		return PGQ_STORAGE_ERR_INVALID;
	buf = malloc(total);
	if (buf == NULL)
		return PGQ_STORAGE_ERR_NOMEM;
	memcpy(buf, snap_magic, 8);
	put_u32(buf + 8, PGQ_STORAGE_FORMAT_VERSION);
	put_u32(buf + 12, 0);
	put_u64(buf + 16, meta->index);
	put_u64(buf + 24, meta->term);
	put_u32(buf + 32, meta->config.n);
	for (uint32_t i = 0; i < meta->config.n; i++) {
		put_u64(buf + off, meta->config.members[i].id);
		buf[off + 8] = meta->config.members[i].voter ? 1 : 0;
		off += SNAP_MEMBER_BYTES;
	}
	put_u64(buf + off, len);
	off += 8;
	if (len > 0)
		memcpy(buf + off, data, len);
	off += len;
	put_u32(buf + off, pgq_crc32c(0, buf, off));
	*out = buf;
	*out_len = total;
	return 0;
}

int snapfile_decode(const uint8_t *buf, size_t len, struct raft_snapshot *out,
		    char *why, size_t whylen)
{
	uint32_t version, n;
	uint64_t data_len;
	size_t off = 36;

	memset(out, 0, sizeof(*out));
	if (len < 12 || memcmp(buf, snap_magic, 8) != 0) {
		snprintf(why, whylen, "bad magic at offset 0 (not a pgquorum snapshot)");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	version = get_u32(buf + 8);
	if (version != PGQ_STORAGE_FORMAT_VERSION) {
		snprintf(why, whylen, "unknown format version %u at offset 8 (this build reads %d)",
			 version, PGQ_STORAGE_FORMAT_VERSION);
		return PGQ_STORAGE_ERR_VERSION;
	}
	if (len < 36 + 8 + 4) {
		snprintf(why, whylen, "file is %zu bytes, too short", len);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (get_u32(buf + len - 4) != pgq_crc32c(0, buf, len - 4)) {
		snprintf(why, whylen, "checksum mismatch at offset %zu", len - 4);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (get_u32(buf + 12) != 0) {
		snprintf(why, whylen, "unknown flags at offset 12");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	out->meta.index = get_u64(buf + 16);
	out->meta.term = get_u64(buf + 24);
	if (out->meta.index == 0) {
		snprintf(why, whylen, "snapshot index 0 at offset 16");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	n = get_u32(buf + 32);
	if (n > RAFT_MAX_MEMBERS) {
		snprintf(why, whylen, "member count %u at offset 32 above %d", n, RAFT_MAX_MEMBERS);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (off + (size_t)n * SNAP_MEMBER_BYTES + 8 > len - 4) {
		snprintf(why, whylen, "member list runs past the end at offset %zu", off);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	out->meta.config.n = n;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t voter = buf[off + 8];
		out->meta.config.members[i].id = get_u64(buf + off);
		if (out->meta.config.members[i].id == RAFT_NONE || voter > 1) {
			snprintf(why, whylen, "invalid member at offset %zu", off);
			return PGQ_STORAGE_ERR_CORRUPT;
		}
		out->meta.config.members[i].voter = voter == 1;
		off += SNAP_MEMBER_BYTES;
	}
	data_len = get_u64(buf + off);
	off += 8;
	if (data_len != (uint64_t)(len - 4 - off)) {
		snprintf(why, whylen, "data length %llu at offset %zu does not match the file size",
			 (unsigned long long)data_len, off - 8);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	out->len = (size_t)data_len;
	out->data = (uint8_t *)(uintptr_t)(buf + off);
	return 0;
}

/*
 * hardstate.c — the hard-state file: term, vote and commit index, the state
 * Raft needs on stable storage before a vote or an acknowledgement leaves the
 * node. Fixed size, versioned, checksummed; always replaced whole through
 * fsio_durable_replace(), so a reader sees the old or the new value.
 *
 *   0  magic "PGQHARDS"   8  u32 version   12 u32 flags (0)
 *   16 u64 term           24 u64 vote      32 u64 commit
 *   40 u32 CRC32C of bytes 0..39
 */
#include "storage_int.h"

#include <stdio.h>
#include <string.h>

static const uint8_t hardstate_magic[8] = {'P', 'G', 'Q', 'H', 'A', 'R', 'D', 'S'};

void hardstate_encode(uint8_t out[HARDSTATE_BYTES], const struct raft_hard_state *hs)
{
	memcpy(out, hardstate_magic, 8);
	put_u32(out + 8, PGQ_STORAGE_FORMAT_VERSION);
	put_u32(out + 12, 0);
	put_u64(out + 16, hs->term);
	put_u64(out + 24, hs->vote);
	put_u64(out + 32, hs->commit);
	put_u32(out + 40, pgq_crc32c(0, out, 40));
}

int hardstate_decode(const uint8_t *buf, size_t len, struct raft_hard_state *out,
		     char *why, size_t whylen)
{
	uint32_t version;

	if (len == 0) {
		/* Never produced by a durable replace: refuse rather than forget a vote. */
		snprintf(why, whylen, "file is empty (expected %d bytes)", HARDSTATE_BYTES);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (len < 12 || memcmp(buf, hardstate_magic, 8) != 0) {
		snprintf(why, whylen, "bad magic at offset 0 (not a pgquorum hard-state file)");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	version = get_u32(buf + 8);
	if (version != PGQ_STORAGE_FORMAT_VERSION) {
		snprintf(why, whylen, "unknown format version %u at offset 8 (this build reads %d)",
			 version, PGQ_STORAGE_FORMAT_VERSION);
		return PGQ_STORAGE_ERR_VERSION;
	}
	if (len != HARDSTATE_BYTES) {
		snprintf(why, whylen, "file is %zu bytes (expected %d)", len, HARDSTATE_BYTES);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (get_u32(buf + 40) != pgq_crc32c(0, buf, 40)) {
		snprintf(why, whylen, "checksum mismatch at offset 40");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (get_u32(buf + 12) != 0) {
		snprintf(why, whylen, "unknown flags at offset 12");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	out->term = get_u64(buf + 16);
	out->vote = get_u64(buf + 24);
	out->commit = get_u64(buf + 32);
	return 0;
}

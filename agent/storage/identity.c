/*
 * identity.c — the cluster identity file, written once at bootstrap (S15):
 * cluster id, scope, member name and Raft member id. The transport handshake
 * compares peers against it, so it must never change silently.
 *
 *   0 magic "PGQIDENT"   8 u32 version   12 u32 flags (0)   16 u64 member_id
 *   24 three strings (cluster_id, scope, member_name), each u16 length + bytes
 *   then u32 CRC32C of every byte before it
 */
#include "storage_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t identity_magic[8] = {'P', 'G', 'Q', 'I', 'D', 'E', 'N', 'T'};

static bool field_valid(const char *what, const char *s, char *why, size_t whylen)
{
	size_t n = strnlen(s, PGQ_STORAGE_NAME_MAX + 1);

	if (n == 0 || n > PGQ_STORAGE_NAME_MAX) {
		snprintf(why, whylen, "%s must be 1..%d bytes", what, PGQ_STORAGE_NAME_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(why, whylen, "%s contains a control character", what);
			return false;
		}
	}
	return true;
}

bool identity_valid(const struct pgq_storage_identity *id, char *why, size_t whylen)
{
	if (!field_valid("cluster_id", id->cluster_id, why, whylen) ||
	    !field_valid("scope", id->scope, why, whylen) ||
	    !field_valid("member_name", id->member_name, why, whylen))
		return false;
	if (id->member_id == RAFT_NONE) {
		snprintf(why, whylen, "member_id must not be 0");
		return false;
	}
	return true;
}

int identity_encode(const struct pgq_storage_identity *id, uint8_t **out, size_t *len)
{
	const char *fields[3] = {id->cluster_id, id->scope, id->member_name};
	size_t total = 24 + 4, off;
	uint8_t *buf;

	for (int i = 0; i < 3; i++)
		total += 2 + strlen(fields[i]);
	buf = malloc(total);
	if (buf == NULL)
		return PGQ_STORAGE_ERR_NOMEM;
	memcpy(buf, identity_magic, 8);
	put_u32(buf + 8, PGQ_STORAGE_FORMAT_VERSION);
	put_u32(buf + 12, 0);
	put_u64(buf + 16, id->member_id);
	off = 24;
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(fields[i]);
		put_u16(buf + off, (uint16_t)n);
		memcpy(buf + off + 2, fields[i], n);
		off += 2 + n;
	}
	put_u32(buf + off, pgq_crc32c(0, buf, off));
	*out = buf;
	*len = total;
	return 0;
}

int identity_decode(const uint8_t *buf, size_t len, struct pgq_storage_identity *out,
		    char *why, size_t whylen)
{
	char *fields[3] = {out->cluster_id, out->scope, out->member_name};
	uint32_t version;
	size_t off = 24;

	memset(out, 0, sizeof(*out));
	if (len < 12 || memcmp(buf, identity_magic, 8) != 0) {
		snprintf(why, whylen, "bad magic at offset 0 (not a pgquorum identity file)");
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	version = get_u32(buf + 8);
	if (version != PGQ_STORAGE_FORMAT_VERSION) {
		snprintf(why, whylen, "unknown format version %u at offset 8 (this build reads %d)",
			 version, PGQ_STORAGE_FORMAT_VERSION);
		return PGQ_STORAGE_ERR_VERSION;
	}
	if (len < 24 + 3 * 2 + 4) {
		snprintf(why, whylen, "file is %zu bytes, too short", len);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (get_u32(buf + len - 4) != pgq_crc32c(0, buf, len - 4)) {
		snprintf(why, whylen, "checksum mismatch at offset %zu", len - 4);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	out->member_id = get_u64(buf + 16);
	for (int i = 0; i < 3; i++) {
		size_t n;
		if (off + 2 > len - 4) {
			snprintf(why, whylen, "string %d truncated at offset %zu", i, off);
			return PGQ_STORAGE_ERR_CORRUPT;
		}
		n = get_u16(buf + off);
		if (n > PGQ_STORAGE_NAME_MAX || off + 2 + n > len - 4) {
			snprintf(why, whylen, "string length %zu invalid at offset %zu", n, off);
			return PGQ_STORAGE_ERR_CORRUPT;
		}
		memcpy(fields[i], buf + off + 2, n);
		fields[i][n] = '\0';
		off += 2 + n;
	}
	if (off != len - 4) {
		snprintf(why, whylen, "%zu unexpected bytes at offset %zu", len - 4 - off, off);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if (!identity_valid(out, why, whylen))
		return PGQ_STORAGE_ERR_CORRUPT;
	return 0;
}

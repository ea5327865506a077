/*
 * fuzz_decode.c — libFuzzer target for raft_msg_decode (agent/raft/codec.c).
 *
 * Every input is decoded twice: as is (envelope checks: magic, version,
 * length, CRC) and resealed with a correct length and CRC (structure and
 * semantics behind the checksum). Whatever decodes must re-encode to exactly
 * the same bytes — the format is canonical — and decode again to an equal
 * message. Any crash, sanitizer report, leak or mismatch is a bug (R6).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"


static bool entries_equal(const struct raft_entry *a, const struct raft_entry *b)
{
	return a->term == b->term && a->index == b->index && a->type == b->type && a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool msgs_equal(const struct raft_msg *a, const struct raft_msg *b)
{
	if (a->type != b->type || a->from != b->from || a->to != b->to || a->term != b->term ||
	    a->log_term != b->log_term || a->index != b->index || a->commit != b->commit || a->reject != b->reject ||
	    a->reject_hint != b->reject_hint || a->ctx != b->ctx || a->n_entries != b->n_entries)
		return false;
	for (uint32_t i = 0; i < a->n_entries; i++)
		if (!entries_equal(&a->entries[i], &b->entries[i]))
			return false;
	const struct raft_snapshot *sa = &a->snapshot, *sb = &b->snapshot;
	if (sa->meta.index != sb->meta.index || sa->meta.term != sb->meta.term ||
	    sa->meta.config.n != sb->meta.config.n || sa->len != sb->len)
		return false;
	for (uint32_t i = 0; i < sa->meta.config.n; i++)
		if (sa->meta.config.members[i].id != sb->meta.config.members[i].id ||
		    sa->meta.config.members[i].voter != sb->meta.config.members[i].voter)
			return false;
	return sa->len == 0 || memcmp(sa->data, sb->data, sa->len) == 0;
}

static void decode_and_round_trip(const uint8_t *buf, size_t len)
{
	struct raft_msg m, again;
	char err[160];
	uint8_t *enc;
	size_t enc_len;

	int rc = raft_msg_decode(buf, len, &m, err, sizeof(err));
	if (rc != RAFT_OK) {
		/* A failure always explains itself and leaves nothing owned. */
		FUZZ_CHECK(rc < 0 && err[0] != '\0' && m.entries == NULL && m.snapshot.data == NULL);
		return;
	}
	FUZZ_CHECK(raft_msg_encode(&m, &enc, &enc_len) == RAFT_OK);
	FUZZ_CHECK(enc_len == len && memcmp(enc, buf, len) == 0);
	FUZZ_CHECK(raft_msg_decode(enc, enc_len, &again, err, sizeof(err)) == RAFT_OK);
	FUZZ_CHECK(msgs_equal(&m, &again));
	raft_msg_free(&again);
	raft_msg_free(&m);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_and_round_trip(data, size);
	if (size >= FUZZ_MIN_MSG_LEN) {
		uint8_t *copy = malloc(size);
		if (copy == NULL)
			return 0;
		memcpy(copy, data, size);
		fuzz_reseal(copy, size);
		decode_and_round_trip(copy, size);
		free(copy);
	}
	return 0;
}

/*
 * gen_corpus.c — writes the seed corpus of the fuzz targets:
 *   corpus/fuzz_decode/seed-*  a valid encoding of every message type (with
 *                              and without entries, snapshots with and without
 *                              data) and typical broken ones;
 *   corpus/fuzz_step/seed-*    op sequences (format: fuzz_step.c) that walk
 *                              member 1 through election, replication, snapshot,
 *                              read index, transfer and a conf change.
 * Run through `tests/fuzz/run-fuzz.sh --gen-corpus`; the output is committed.
 * Not part of the build: the corpus is data, regenerated only when the format
 * changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

static const char *out_root;

static void die(const char *what)
{
	fprintf(stderr, "gen_corpus: %s\n", what);
	exit(1);
}

static void write_file(const char *target, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("mkdir");
	snprintf(path, sizeof(path), "%s/%s/seed-%s", out_root, target, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static uint8_t *encode(const struct raft_msg *m, size_t *len)
{
	uint8_t *buf;
	if (raft_msg_encode(m, &buf, len) != RAFT_OK)
		die("encode failed");
	return buf;
}

static struct raft_msg msg(uint8_t type, raft_id_t from, raft_id_t to, raft_term_t term)
{
	struct raft_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.term = term;
	return m;
}

/* ---- fuzz_decode seeds ---------------------------------------------------- */

static uint8_t payload[128];
static uint8_t conf_data[RAFT_CONF_CHANGE_LEN];
static struct raft_entry entries[8];

static struct raft_msg append_msg(raft_id_t from, raft_id_t to, raft_term_t term, raft_index_t prev,
				  raft_term_t prev_term, uint32_t n, raft_index_t commit)
{
	struct raft_msg m = msg(RAFT_MSG_APPEND, from, to, term);
	m.index = prev;
	m.log_term = prev_term;
	m.commit = commit;
	m.n_entries = n;
	m.entries = n ? entries : NULL;
	for (uint32_t i = 0; i < n; i++) {
		entries[i] = (struct raft_entry){ .term = term, .index = prev + 1 + i, .type = RAFT_ENTRY_NORMAL,
						   .len = 16, .data = payload };
	}
	if (n >= 3) {
		entries[1].type = RAFT_ENTRY_NOOP;
		entries[1].len = 0;
		entries[1].data = NULL;
		entries[2].type = RAFT_ENTRY_CONF;
		entries[2].len = RAFT_CONF_CHANGE_LEN;
		entries[2].data = conf_data;
	}
	return m;
}

static struct raft_msg snapshot_msg(raft_id_t from, raft_id_t to, raft_term_t term, raft_index_t index,
				    size_t data_len, uint32_t n_members)
{
	struct raft_msg m = msg(RAFT_MSG_SNAPSHOT, from, to, term);
	m.snapshot.meta.index = index;
	m.snapshot.meta.term = term;
	m.snapshot.meta.config.n = n_members;
	for (uint32_t i = 0; i < n_members; i++)
		m.snapshot.meta.config.members[i] = (struct raft_member){ .id = i + 1, .voter = i < 3 || i % 2 };
	m.snapshot.len = data_len;
	m.snapshot.data = data_len ? payload : NULL;
	return m;
}

static void seed_decode(const char *name, const struct raft_msg *m)
{
	size_t len;
	uint8_t *buf = encode(m, &len);
	write_file("fuzz_decode", name, buf, len);
	free(buf);
}

/* A valid message with byte `offset` set to `value` (none when offset is past
 * the end), cut to `cut` bytes (none when 0), then resealed if asked. */
static void seed_decode_broken(const char *name, const struct raft_msg *m, size_t cut, size_t offset,
			       uint8_t value, bool reseal)
{
	size_t len;
	uint8_t *buf = encode(m, &len);
	if (offset < len)
		buf[offset] = value;
	if (cut > 0 && cut < len)
		len = cut;
	if (reseal && len >= FUZZ_MIN_MSG_LEN)
		fuzz_reseal(buf, len);
	write_file("fuzz_decode", name, buf, len);
	free(buf);
}

static void gen_decode(void)
{
	struct raft_msg m;

	m = msg(RAFT_MSG_PREVOTE, 2, 1, 3);
	m.log_term = 2;
	m.index = 17;
	seed_decode("prevote", &m);
	m.type = RAFT_MSG_VOTE;
	m.ctx = 1;
	seed_decode("vote-transfer", &m);
	m = msg(RAFT_MSG_PREVOTE_RESP, 1, 2, 3);
	seed_decode("prevote-resp-grant", &m);
	m = msg(RAFT_MSG_VOTE_RESP, 1, 2, 3);
	m.reject = true;
	seed_decode("vote-resp-reject", &m);
	m = append_msg(2, 1, 4, 10, 3, 0, 9);
	seed_decode("append-empty", &m);
	m = append_msg(2, 1, 4, 10, 3, 3, 9);
	seed_decode("append-3", &m);
	m = append_msg(2, 1, 4, 0, 0, 8, 5);
	seed_decode("append-8-from-start", &m);
	m = msg(RAFT_MSG_APPEND_RESP, 1, 2, 4);
	m.index = 13;
	seed_decode("append-resp-ok", &m);
	m.reject = true;
	m.index = 10;
	m.reject_hint = 7;
	m.log_term = 2;
	seed_decode("append-resp-reject", &m);
	m = msg(RAFT_MSG_HEARTBEAT, 2, 1, 4);
	m.commit = 12;
	m.ctx = 99;
	seed_decode("heartbeat", &m);
	m = msg(RAFT_MSG_HEARTBEAT_RESP, 1, 2, 4);
	m.ctx = 99;
	seed_decode("heartbeat-resp", &m);
	m = snapshot_msg(2, 1, 4, 50, 100, 3);
	seed_decode("snapshot", &m);
	m = snapshot_msg(2, 1, 4, 50, 0, RAFT_MAX_MEMBERS);
	seed_decode("snapshot-empty-16-members", &m);
	m = msg(RAFT_MSG_TIMEOUT_NOW, 2, 1, 4);
	seed_decode("timeout-now", &m);
	m = msg(RAFT_MSG_READ_INDEX, 1, 2, 4);
	m.ctx = 7;
	seed_decode("read-index", &m);
	m = msg(RAFT_MSG_READ_INDEX_RESP, 2, 1, 4);
	m.ctx = 7;
	m.index = 12;
	seed_decode("read-index-resp", &m);

	/* Broken: each exercises one decoder check. */
	m = append_msg(2, 1, 4, 10, 3, 3, 9);
	seed_decode_broken("bad-truncated", &m, 100, SIZE_MAX, 0, false);
	seed_decode_broken("bad-truncated-resealed", &m, 100, SIZE_MAX, 0, true);
	seed_decode_broken("bad-magic", &m, 0, 0, 'X', false);
	seed_decode_broken("bad-version", &m, 0, 4, 2, true);
	seed_decode_broken("bad-crc", &m, 0, 90, 0xFF, false);
	seed_decode_broken("bad-n-entries", &m, 0, 15, 0xFF, true);
	seed_decode_broken("bad-entry-len", &m, 0, 80 + 20, 0x7F, true);
	seed_decode_broken("bad-entry-type", &m, 0, 80 + 16, 9, true);
	seed_decode_broken("bad-type", &m, 0, 5, 0, true);
	seed_decode_broken("bad-flags", &m, 0, 6, 0x80, true);
	m = snapshot_msg(2, 1, 4, 50, 100, 3);
	seed_decode_broken("bad-snapshot-members", &m, 0, 80 + 16, 17, true);
	seed_decode_broken("bad-snapshot-dup-member", &m, 0, 80 + 17 + 9, 1, true);
	static const uint8_t header_only[] = { 'P', 'G', 'Q', 'R', 1 };
	write_file("fuzz_decode", "bad-header-only", header_only, sizeof(header_only));
	write_file("fuzz_decode", "bad-empty", header_only, 0);
}

/* ---- fuzz_step seeds ------------------------------------------------------- */

struct script {
	uint8_t buf[8192];
	size_t len;
};

static void put(struct script *s, const void *p, size_t n)
{
	if (s->len + n > sizeof(s->buf))
		die("script too long");
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void op(struct script *s, uint8_t byte)
{
	put(s, &byte, 1);
}

static void send(struct script *s, const struct raft_msg *m)
{
	size_t len;
	uint8_t *buf = encode(m, &len);
	uint8_t hdr[3] = { 0, (uint8_t)len, (uint8_t)(len >> 8) };
	put(s, hdr, sizeof(hdr));
	put(s, buf, len);
	free(buf);
}

#define OP_TICKS(n) ((uint8_t)((((n) - 1) << 2) | 1))
#define OP_PROPOSE(n) ((uint8_t)(((n) << 2) | 2))
#define OP_SPECIAL(sub, arg) ((uint8_t)(((((arg) << 3) | (sub)) << 2) | 3))

/* Member 1 campaigns (no pre-vote), wins term 1 with member 2's vote, and
 * appends its no-op at index 1. */
static void become_leader(struct script *s)
{
	op(s, 0);                 /* options: no pre-vote, no check-quorum */
	op(s, OP_SPECIAL(0, 0));  /* campaign */
	struct raft_msg v = msg(RAFT_MSG_VOTE_RESP, 2, 1, 1);
	send(s, &v);
}

static void ack(struct script *s, raft_id_t from, raft_index_t index)
{
	struct raft_msg r = msg(RAFT_MSG_APPEND_RESP, from, 1, 1);
	r.index = index;
	send(s, &r);
}

static void gen_step(void)
{
	struct script s;
	struct raft_msg m;

	/* Leader: propose, get acknowledgements, commit. */
	memset(&s, 0, sizeof(s));
	become_leader(&s);
	ack(&s, 2, 1);
	op(&s, OP_PROPOSE(10));
	op(&s, OP_PROPOSE(3));
	ack(&s, 2, 3);
	ack(&s, 3, 3);
	op(&s, OP_TICKS(3));
	m = msg(RAFT_MSG_HEARTBEAT_RESP, 3, 1, 1);
	send(&s, &m);
	write_file("fuzz_step", "leader-commit", s.buf, s.len);

	/* Leader: a follower rejects and hints, then reads and a transfer. */
	memset(&s, 0, sizeof(s));
	become_leader(&s);
	m = msg(RAFT_MSG_APPEND_RESP, 3, 1, 1);
	m.reject = true;
	m.reject_hint = 0;
	send(&s, &m);
	ack(&s, 2, 1);
	op(&s, OP_SPECIAL(3, 5));     /* read index, ctx */
	m = msg(RAFT_MSG_HEARTBEAT_RESP, 2, 1, 1);
	m.ctx = 1;
	send(&s, &m);
	m = msg(RAFT_MSG_READ_INDEX, 3, 1, 1);
	m.ctx = 77;
	send(&s, &m);
	op(&s, OP_SPECIAL(2, 2));     /* transfer leadership to 2 */
	ack(&s, 2, 1);
	op(&s, OP_SPECIAL(4, 3));     /* 3 unreachable */
	op(&s, OP_SPECIAL(6, 0));     /* compact */
	write_file("fuzz_step", "leader-read-transfer", s.buf, s.len);

	/* Leader: membership change, then a higher term deposes it. */
	memset(&s, 0, sizeof(s));
	become_leader(&s);
	ack(&s, 2, 1);
	op(&s, OP_SPECIAL(1, 0));
	op(&s, (uint8_t)(RAFT_CONF_ADD_LEARNER | (4 << 2))); /* add learner 4 */
	ack(&s, 2, 2);
	m = msg(RAFT_MSG_VOTE, 3, 1, 5);
	m.log_term = 1;
	m.index = 5;
	send(&s, &m);
	write_file("fuzz_step", "leader-conf-deposed", s.buf, s.len);

	/* Follower: appends, heartbeat, snapshot, then more appends. */
	memset(&s, 0, sizeof(s));
	op(&s, 0x02); /* check-quorum */
	m = append_msg(2, 1, 1, 0, 0, 3, 2);
	send(&s, &m);
	m = msg(RAFT_MSG_HEARTBEAT, 2, 1, 1);
	m.commit = 3;
	send(&s, &m);
	m = snapshot_msg(2, 1, 2, 10, 32, 3);
	send(&s, &m);
	m = append_msg(2, 1, 2, 10, 2, 2, 12);
	send(&s, &m);
	m = msg(RAFT_MSG_TIMEOUT_NOW, 2, 1, 2);
	send(&s, &m);
	write_file("fuzz_step", "follower-snapshot", s.buf, s.len);

	/* Follower with a conflicting log: the leader overwrites it. */
	memset(&s, 0, sizeof(s));
	op(&s, 0);
	m = append_msg(2, 1, 1, 0, 0, 4, 1);
	send(&s, &m);
	m = append_msg(3, 1, 2, 2, 1, 3, 3);
	send(&s, &m);
	m = append_msg(3, 1, 2, 0, 0, 1, 0);
	send(&s, &m);
	write_file("fuzz_step", "follower-conflict", s.buf, s.len);

	/* Pre-vote election and vote requests from both peers. */
	memset(&s, 0, sizeof(s));
	op(&s, 0x03); /* pre-vote + check-quorum */
	op(&s, OP_SPECIAL(7, 0));
	m = msg(RAFT_MSG_PREVOTE_RESP, 2, 1, 1);
	send(&s, &m);
	m = msg(RAFT_MSG_VOTE_RESP, 2, 1, 1);
	send(&s, &m);
	m = msg(RAFT_MSG_PREVOTE, 3, 1, 3);
	send(&s, &m);
	m = msg(RAFT_MSG_VOTE, 3, 1, 3);
	send(&s, &m);
	op(&s, OP_TICKS(40));
	write_file("fuzz_step", "prevote-election", s.buf, s.len);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: gen_corpus CORPUS_DIR");
	out_root = argv[1];
	if (mkdir(out_root, 0755) != 0 && errno != EEXIST)
		die("mkdir corpus");
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	struct raft_conf_change cc = { .type = RAFT_CONF_ADD_LEARNER, .id = 4 };
	raft_conf_change_encode(&cc, conf_data);
	gen_decode();
	gen_step();
	return 0;
}

/*
 * fuzz_step.c — libFuzzer target that drives one Raft node (agent/raft/)
 * with peer messages decoded from the input, interleaved with ticks,
 * proposals and the other inputs of the raft.h API.
 *
 * The node is member 1 of a three-voter group {1, 2, 3}; the fuzzer plays
 * members 2 and 3 (and liars claiming to be anyone). Nothing a peer sends
 * may crash the node (DESIGN.md R6), and after every input the checks below
 * must hold; any crash, sanitizer report, leak or failed check is a bug.
 *
 * Input format (all little-endian):
 *   byte 0        options: bit 0 pre_vote, bit 1 check_quorum,
 *                 bits 2-4 max_entries_per_msg (0 = unlimited)
 *   then ops, each starting with one byte `op` (kind = op & 3, arg = op >> 2):
 *   kind 0  peer message: u16 length L, then L bytes of an encoded message
 *           (resealed — length and CRC fixed — then decoded; stepped if valid)
 *   kind 1  arg + 1 ticks
 *   kind 2  propose arg bytes
 *   kind 3  arg & 7 selects: 0 campaign, 1 conf change (next byte: type in
 *           bits 0-1, id in bits 2-4), 2 transfer leadership to arg >> 3,
 *           3 read index (ctx arg), 4 report peer arg >> 3 unreachable,
 *           5 report snapshot to arg >> 3 (ok = bit 6), 6 compact at the
 *           applied index, 7 a whole election timeout of ticks — or, when
 *           arg >> 3 is 7, a crash and restart from what was persisted
 *
 * Build with -DFUZZ_TRACE to print the node's state after every op (to see
 * what a corpus input does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"

#define SELF_ID 1
#define ELECTION_TICKS 10
#define MAX_OPS 256
#define MAX_READY_ROUNDS 64

/* What the harness remembers between readies to check the node's outputs. */
struct observer {
	raft_term_t term;
	raft_index_t commit;
	raft_index_t applied;
};

/* ---- the "disk": what the node asked to persist, for restarts ------------- */

struct store {
	struct raft_hard_state hs;
	bool has_snap;
	struct raft_snapshot snap;     /* data owned by the store */
	struct raft_entry *ents;       /* after the snapshot, contiguous; data owned */
	size_t n_ents, cap_ents;
};

static void store_truncate(struct store *s, raft_index_t from)
{
	while (s->n_ents > 0 && s->ents[s->n_ents - 1].index >= from)
		free(s->ents[--s->n_ents].data);
}

static void store_free(struct store *s)
{
	store_truncate(s, 0);
	free(s->ents);
	free(s->snap.data);
	memset(s, 0, sizeof(*s));
}

static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	if (len == 0)
		return NULL;
	uint8_t *d = malloc(len);
	if (d == NULL)
		abort(); /* the harness does not test its own allocation failures */
	memcpy(d, p, len);
	return d;
}

static void store_snapshot(struct store *s, const struct raft_snapshot *snap)
{
	store_truncate(s, 0);
	free(s->snap.data);
	s->snap = *snap;
	s->snap.data = dup_bytes(snap->data, snap->len);
	s->has_snap = true;
}

static void store_append(struct store *s, const struct raft_entry *e)
{
	/* The ready contract: entries extend the stored log without a gap. */
	raft_index_t want = s->n_ents > 0 ? s->ents[s->n_ents - 1].index + 1 : (s->has_snap ? s->snap.meta.index + 1 : 1);
	FUZZ_CHECK(e->index == want);
	if (s->n_ents == s->cap_ents) {
		size_t cap = s->cap_ents ? 2 * s->cap_ents : 16;
		struct raft_entry *grown = realloc(s->ents, cap * sizeof(*grown));
		if (grown == NULL)
			abort();
		s->ents = grown;
		s->cap_ents = cap;
	}
	s->ents[s->n_ents] = *e;
	s->ents[s->n_ents].data = dup_bytes(e->data, e->len);
	s->n_ents++;
}

/* Persists a ready in the documented order: snapshot, truncation, entries, hard state. */
static void store_ready(struct store *s, const struct raft_ready *rd)
{
	if (rd->snapshot != NULL)
		store_snapshot(s, rd->snapshot);
	if (rd->truncate_from != 0)
		store_truncate(s, rd->truncate_from);
	for (size_t i = 0; i < rd->n_entries; i++)
		store_append(s, &rd->entries[i]);
	if (rd->has_hard_state)
		s->hs = rd->hard_state;
}

static raft_index_t store_last_index(const struct store *s)
{
	if (s->n_ents > 0)
		return s->ents[s->n_ents - 1].index;
	return s->has_snap ? s->snap.meta.index : 0;
}

/* Every message the node emits must be one the codec accepts: a peer will
 * decode it with exactly these checks. */
static void check_outgoing(const struct raft_node *n, const struct raft_msg *msgs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint8_t *buf;
		size_t len;
		struct raft_msg back;

		FUZZ_CHECK(msgs[i].from == raft_id(n));
		FUZZ_CHECK(raft_msg_encode(&msgs[i], &buf, &len) == RAFT_OK);
		FUZZ_CHECK(raft_msg_decode(buf, len, &back, NULL, 0) == RAFT_OK);
		raft_msg_free(&back);
		free(buf);
	}
}

static void check_ready(const struct raft_node *n, const struct raft_ready *rd, struct observer *obs)
{
	for (size_t i = 1; i < rd->n_entries; i++)
		FUZZ_CHECK(rd->entries[i].index == rd->entries[i - 1].index + 1);
	if (rd->has_hard_state) {
		FUZZ_CHECK(rd->hard_state.term >= obs->term);
		FUZZ_CHECK(rd->hard_state.commit >= obs->commit);
		obs->term = rd->hard_state.term;
		obs->commit = rd->hard_state.commit;
	}
	/* A snapshot replaces the state machine first; then committed entries
	 * arrive once each, in order, with no gap. */
	if (rd->snapshot != NULL && rd->snapshot->meta.index > obs->applied)
		obs->applied = rd->snapshot->meta.index;
	for (size_t i = 0; i < rd->n_committed; i++) {
		FUZZ_CHECK(rd->committed[i].index == obs->applied + 1);
		obs->applied = rd->committed[i].index;
	}
	FUZZ_CHECK(obs->applied <= raft_commit_index(n));
	check_outgoing(n, rd->msgs, rd->n_msgs);
	check_outgoing(n, rd->msgs_after_persist, rd->n_msgs_after_persist);
}

static void drain(struct raft_node *n, struct observer *obs, struct store *st)
{
	for (int round = 0; round < MAX_READY_ROUNDS && raft_has_ready(n); round++) {
		struct raft_ready rd;
		raft_ready(n, &rd);
		check_ready(n, &rd, obs);
		store_ready(st, &rd);
		raft_advance(n, &rd);
	}
	FUZZ_CHECK(raft_term(n) >= obs->term);
	FUZZ_CHECK(raft_commit_index(n) <= raft_last_index(n));
}

static void step_message(struct raft_node *n, const uint8_t *bytes, size_t len)
{
	struct raft_msg m;
	uint8_t *copy;

	if (len < FUZZ_MIN_MSG_LEN)
		return;
	copy = malloc(len);
	if (copy == NULL)
		return;
	memcpy(copy, bytes, len);
	fuzz_reseal(copy, len);
	if (raft_msg_decode(copy, len, &m, NULL, 0) == RAFT_OK) {
		int rc = raft_step(n, &m);
		FUZZ_CHECK(rc <= 0);
		raft_msg_free(&m);
	}
	free(copy);
}

/* A crash: the node loses everything but the store, then starts from it. */
static struct raft_node *restart(struct raft_node *n, const struct raft_options *opts,
				 const struct raft_config *config, const struct store *st, struct observer *obs)
{
	struct raft_persisted p = {
		.hard_state = st->hs,
		.snapshot = st->has_snap ? &st->snap : NULL,
		.entries = st->ents,
		.n_entries = st->n_ents,
	};
	raft_free(n);
	FUZZ_CHECK(raft_new(opts, config, &p, &n) == RAFT_OK);
	FUZZ_CHECK(raft_term(n) == st->hs.term);
	FUZZ_CHECK(raft_vote(n) == st->hs.vote);
	FUZZ_CHECK(raft_last_index(n) == store_last_index(st));
	FUZZ_CHECK(raft_role(n) == RAFT_FOLLOWER);
	/* Committed entries after the snapshot are handed out again. */
	obs->applied = st->has_snap ? st->snap.meta.index : 0;
	return n;
}

static void special_op(struct raft_node *n, unsigned arg, const uint8_t **p, const uint8_t *end,
		       struct observer *obs)
{
	raft_id_t peer = (raft_id_t)(arg >> 3);

	switch (arg & 7) {
	case 0:
		raft_campaign(n);
		break;
	case 1: {
		uint8_t b = *p < end ? *(*p)++ : 0;
		struct raft_conf_change cc = { .type = (uint8_t)(b & 3), .id = (raft_id_t)((b >> 2) & 7) };
		raft_propose_conf_change(n, &cc);
		break;
	}
	case 2:
		raft_transfer_leadership(n, peer);
		break;
	case 3:
		raft_read_index(n, arg);
		break;
	case 4:
		raft_report_unreachable(n, peer);
		break;
	case 5:
		raft_report_snapshot(n, peer & 7, (arg & 0x40) != 0);
		break;
	case 6: {
		static const uint8_t state[] = "fuzz-app-state";
		if (obs->applied > 0)
			raft_compact(n, obs->applied, state, sizeof(state));
		break;
	}
	default:
		for (int i = 0; i < 2 * ELECTION_TICKS; i++)
			raft_tick(n);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct raft_node *n;
	struct observer obs = { 0 };
	struct store st;
	struct raft_config config = { .n = 3 };
	struct raft_persisted persisted;
	struct raft_options opts;

	if (size < 1)
		return 0;
	memset(&opts, 0, sizeof(opts));
	memset(&persisted, 0, sizeof(persisted));
	memset(&st, 0, sizeof(st));
	opts.id = SELF_ID;
	opts.election_ticks = ELECTION_TICKS;
	opts.heartbeat_ticks = 1;
	opts.pre_vote = (p[0] & 1) != 0;
	opts.check_quorum = (p[0] & 2) != 0;
	opts.max_entries_per_msg = (p[0] >> 2) & 7;
	opts.max_inflight = 4;
	opts.max_entry_bytes = 1024;
	opts.seed = 42;
	p++;
	for (uint32_t i = 0; i < config.n; i++)
		config.members[i] = (struct raft_member){ .id = i + 1, .voter = true };
	if (raft_new(&opts, &config, &persisted, &n) != RAFT_OK)
		abort(); /* a valid configuration must always start */

	for (int ops = 0; ops < MAX_OPS && p < end; ops++) {
		uint8_t op = *p++;
		unsigned arg = op >> 2;
		switch (op & 3) {
		case 0: {
			size_t len = 0;
			if (end - p >= 2) {
				len = (size_t)p[0] | ((size_t)p[1] << 8);
				p += 2;
			}
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			step_message(n, p, len);
			p += len;
			break;
		}
		case 1:
			for (unsigned t = 0; t <= arg; t++)
				raft_tick(n);
			break;
		case 2: {
			uint8_t payload[64];
			memset(payload, (int)arg, sizeof(payload));
			raft_propose(n, payload, arg);
			break;
		}
		default:
			if (arg >> 3 == 7 && (arg & 7) == 7)
				n = restart(n, &opts, &config, &st, &obs);
			else
				special_op(n, arg, &p, end, &obs);
			break;
		}
		drain(n, &obs, &st);
#ifdef FUZZ_TRACE
		fprintf(stderr, "op %d (%02x): %s term %llu leader %llu commit %llu last %llu applied %llu\n", ops, op,
			raft_role_name(raft_role(n)), (unsigned long long)raft_term(n),
			(unsigned long long)raft_leader(n), (unsigned long long)raft_commit_index(n),
			(unsigned long long)raft_last_index(n), (unsigned long long)obs.applied);
#endif
	}
	raft_free(n);
	store_free(&st);
	return 0;
}

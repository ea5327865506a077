/*
 * apply.c — committed entries, snapshots and compaction.
 *
 * A NORMAL entry is either a cluster-record command (JSON, applied with
 * pgq_record_apply: deterministic, a rejection is the same on every node)
 * or, first byte PGQ_TEST_ENTRY_TAG, a numbered test entry kept in the
 * runtime's test log (used by the crash test; applied the same way on every
 * node whether or not test hooks are enabled, so replicas never diverge).
 * CONF entries change the Raft configuration inside the core (docs/raft.md);
 * here they only resynchronise the transport's peer set.
 *
 * Snapshots: the runtime's envelope, "PGQS" u32 | u32 record length | record
 * snapshot bytes | u64 test-log count | u64 seq..., all big-endian.
 * Every node compacts at the index of each accepted member_add (a point
 * all nodes agree on), so whichever node leads later, a new learner always
 * receives a snapshot, which carries the configuration, before any entry.
 */
#include "log.h"
#include "runtime/runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int test_log_append(struct pgq_runtime *rt, uint64_t seq)
{
	if (rt->n_test_seqs == rt->cap_test_seqs) {
		size_t cap = rt->cap_test_seqs != 0 ? rt->cap_test_seqs * 2 : 256;
		uint64_t *grown = realloc(rt->test_seqs, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		rt->test_seqs = grown;
		rt->cap_test_seqs = cap;
	}
	rt->test_seqs[rt->n_test_seqs++] = seq;
	return 0;
}

/* The "name" of a member command, for matching waiting REST calls. */
static void command_member_name(const struct raft_entry *e, char *out, size_t outlen)
{
	json_t *o = json_loadb((const char *)e->data, e->len, 0, NULL);
	const char *name = json_string_value(json_object_get(o, "name"));

	snprintf(out, outlen, "%s", name != NULL ? name : "");
	json_decref(o);
}

static void apply_record(struct pgq_runtime *rt, const struct raft_entry *e)
{
	struct pgq_apply_result res;
	char err[256];
	char name[PGQ_RECORD_NAME_MAX];
	int rc;

	memset(&res, 0, sizeof res);
	rc = pgq_record_apply(rt->record, e->data, e->len, e->index, &res, err, sizeof err);
	if (rc < 0) {
		char msg[400];
		/* S17: never skip an entry; stop and name it. */
		snprintf(msg, sizeof msg, "cannot apply entry %llu: %s",
			 (unsigned long long)e->index, err);
		pgq_runtime_fatal(rt, msg);
		return;
	}
	if (strncmp(res.cmd, "member_", 7) == 0 && strcmp(res.cmd, "member_report") != 0) {
		command_member_name(e, name, sizeof name);
		if (strcmp(res.cmd, "member_add") == 0) {
			if (rc == PGQ_RECORD_APPLIED)
				rt->compact_wanted = e->index;
			rt_pending_resolve(rt, PENDING_MEMBER_ADD, 0, name,
					   rc == PGQ_RECORD_APPLIED ? 200 : 409,
					   rc == PGQ_RECORD_APPLIED
						   ? json_pack("{s:s,s:s}", "name", name, "state", "learner")
						   : json_pack("{s:s}", "error", res.reason));
		} else if (strcmp(res.cmd, "member_remove") == 0) {
			rt_pending_resolve(rt, PENDING_MEMBER_REMOVE, 0, name,
					   rc == PGQ_RECORD_APPLIED ? 200 : 409,
					   rc == PGQ_RECORD_APPLIED
						   ? json_pack("{s:s,s:s}", "name", name, "state", "removed")
						   : json_pack("{s:s}", "error", res.reason));
		}
		rt_sync_peers(rt);
	}
	if (rc == PGQ_RECORD_APPLIED)
		rt->record_dirty = true;
	rt_api_entry_applied(rt, e->data, e->len, rc == PGQ_RECORD_APPLIED, res.reason);
	rt_api_primary_change_poll(rt);
	if (rc == PGQ_RECORD_REJECTED) {
		pgq_debug("record", "entry %llu %s", (unsigned long long)e->index, res.reason);
		return;
	}
	if (strcmp(res.cmd, "bootstrap") == 0) {
		rt_on_record_bootstrapped(rt);
		rt_sync_peers(rt);
	}
}

void rt_apply(void *ctx, const struct raft_entry *e)
{
	struct pgq_runtime *rt = ctx;

	if (rt->phase == PHASE_STOPPING)
		return;
	switch (e->type) {
	case RAFT_ENTRY_NORMAL:
		if (e->len == PGQ_TEST_ENTRY_LEN && e->data[0] == PGQ_TEST_ENTRY_TAG) {
			uint64_t seq = get_be64(e->data + 1);
			if (test_log_append(rt, seq) != 0) {
				pgq_runtime_fatal(rt, "out of memory in the test log");
				return;
			}
			rt_pending_resolve(rt, PENDING_TEST_ENTRY, seq, NULL, 200,
					   json_pack("{s:I,s:I}", "seq", (json_int_t)seq,
						     "index", (json_int_t)e->index));
		} else if (e->len > 0) {
			apply_record(rt, e);
		}
		break;
	case RAFT_ENTRY_CONF: {
		struct raft_conf_change cc;
		if (raft_conf_change_decode(e->data, e->len, &cc) == RAFT_OK) {
			const char *who = rt_peer_name(rt, cc.id);
			pgq_info("raft", "configuration change applied index=%llu %s %s",
				 (unsigned long long)e->index,
				 cc.type == RAFT_CONF_ADD_LEARNER ? "add-learner"
				 : cc.type == RAFT_CONF_PROMOTE   ? "promote"
								  : "remove",
				 who != NULL ? who : "?");
			if (cc.type == RAFT_CONF_REMOVE && cc.id == rt->self_id)
				pgq_warning("agent", "this member was removed from the cluster");
		}
		rt_sync_peers(rt);
		break;
	}
	default:
		break;
	}
}

static int snapshot_build(const struct pgq_runtime *rt, uint8_t **out, size_t *out_len)
{
	uint8_t *rec = NULL, *buf;
	size_t rec_len = 0, len;

	if (pgq_record_snapshot(rt->record, &rec, &rec_len) != 0)
		return -1;
	if (rec_len > UINT32_MAX) {
		free(rec);
		return -1;
	}
	len = 4 + 4 + rec_len + 8 + 8 * rt->n_test_seqs;
	buf = malloc(len);
	if (buf == NULL) {
		free(rec);
		return -1;
	}
	put_be32(buf, PGQ_SNAPSHOT_MAGIC);
	put_be32(buf + 4, (uint32_t)rec_len);
	memcpy(buf + 8, rec, rec_len);
	put_be64(buf + 8 + rec_len, rt->n_test_seqs);
	for (size_t i = 0; i < rt->n_test_seqs; i++)
		put_be64(buf + 16 + rec_len + 8 * i, rt->test_seqs[i]);
	free(rec);
	*out = buf;
	*out_len = len;
	return 0;
}

void rt_restore(void *ctx, const struct raft_snapshot *s)
{
	struct pgq_runtime *rt = ctx;
	struct pgq_record *rec = NULL;
	uint64_t *seqs = NULL;
	uint32_t rec_len;
	uint64_t n;
	char err[256];

	if (s->len < 16 || get_be32(s->data) != PGQ_SNAPSHOT_MAGIC)
		goto corrupt;
	rec_len = get_be32(s->data + 4);
	if ((size_t)rec_len > s->len - 16)
		goto corrupt;
	n = get_be64(s->data + 8 + rec_len);
	if (n > (s->len - 16 - rec_len) / 8 || s->len != 16 + rec_len + 8 * n)
		goto corrupt;
	if (pgq_record_restore(s->data + 8, rec_len, &rec, err, sizeof err) != 0) {
		char msg[400];
		snprintf(msg, sizeof msg, "snapshot at index %llu: %s",
			 (unsigned long long)s->meta.index, err);
		pgq_runtime_fatal(rt, msg);
		return;
	}
	if (n > 0) {
		seqs = malloc(n * sizeof *seqs);
		if (seqs == NULL) {
			pgq_record_free(rec);
			pgq_runtime_fatal(rt, "out of memory restoring a snapshot");
			return;
		}
		for (uint64_t i = 0; i < n; i++)
			seqs[i] = get_be64(s->data + 16 + rec_len + 8 * i);
	}
	pgq_record_free(rt->record);
	rt->record = rec;
	free(rt->test_seqs);
	rt->test_seqs = seqs;
	rt->n_test_seqs = rt->cap_test_seqs = (size_t)n;
	rt->last_compact = s->meta.index;
	rt->record_dirty = true;
	pgq_info("agent", "restored the cluster record from a snapshot at index %llu",
		 (unsigned long long)s->meta.index);
	if (pgq_record_bootstrapped(rt->record))
		rt_on_record_bootstrapped(rt);
	rt_sync_peers(rt);
	return;
corrupt:
	pgq_runtime_fatal(rt, "received a malformed snapshot envelope");
}

void rt_maybe_compact(struct pgq_runtime *rt)
{
	const struct raft_node *n = pgq_node_raft(rt->node);
	raft_index_t applied = raft_applied_index(n);
	uint32_t threshold = rt->cfg->raft.snapshot_threshold != 0 ? rt->cfg->raft.snapshot_threshold : 10000;
	uint8_t *data = NULL;
	size_t len = 0;
	char err[256];

	if (applied == 0 || applied <= rt->last_compact || applied < raft_first_index(n))
		return;
	if (!(rt->compact_wanted != 0 && applied >= rt->compact_wanted) &&
	    applied - rt->last_compact < threshold)
		return;
	if (snapshot_build(rt, &data, &len) != 0) {
		pgq_warning("agent", "could not build a snapshot; compaction postponed");
		return;
	}
	if (pgq_node_compact(rt->node, applied, data, len, err, sizeof err) != 0) {
		free(data);
		/* A storage failure surfaces (fatally) at the next write; try later. */
		pgq_warning("agent", "log compaction at %llu failed: %s",
			    (unsigned long long)applied, err);
		rt->last_compact = applied;
		return;
	}
	free(data);
	rt->last_compact = applied;
	rt->compact_wanted = 0;
	pgq_debug("agent", "log compacted at index %llu", (unsigned long long)applied);
}

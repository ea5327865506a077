/*
 * node.c — the Ready loop (see node.h for the contract and why the node is
 * left alone while a write is in flight).
 *
 * fsync runs on a libuv thread-pool worker: it can take tens of
 * milliseconds on a slow disk, and the loop must keep serving the REST
 * threads' calls, peer sockets and timers meanwhile (L1). One write at a time
 * keeps the on-disk order equal to the order of the readies.
 */
#include "runtime/node.h"

#include "ha/clock.h"
#include "ha/s3_ages.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Inputs that arrive while busy; beyond this they are dropped (and counted). */
#define NODE_INBOX_MAX 4096

enum input_kind {
	INPUT_MSG = 1,
	INPUT_PROPOSE,
	INPUT_CONF,
	INPUT_CAMPAIGN,
	INPUT_UNREACHABLE,
	INPUT_TRANSFER,
};

struct input {
	enum input_kind kind;
	struct raft_msg msg;          /* INPUT_MSG: deep copy, owned */
	uint8_t *data;                /* INPUT_PROPOSE: owned */
	size_t len;
	struct raft_conf_change cc;   /* INPUT_CONF */
	raft_id_t peer;               /* INPUT_UNREACHABLE, INPUT_TRANSFER */
};

struct pgq_node {
	uv_loop_t *loop;
	struct raft_node *raft;
	struct pgq_storage *storage;
	struct pgq_node_callbacks cb;
	void *ctx;

	bool busy;                    /* between raft_ready and raft_advance */
	bool writing;                 /* a uv_work_t is in flight */
	bool stopping;
	bool in_process;              /* re-entrancy guard for process() */
	unsigned depth;               /* calls into the node in progress (callbacks may stop it) */
	uint64_t generation;          /* bumped at stop: a late completion is stale */
	struct raft_ready rd;
	uv_work_t work;
	uint64_t work_generation;
	int work_rc;
	char work_err[256];
	uint64_t work_started_us;

	unsigned pending_ticks;
	struct input *inbox;
	size_t n_inbox, cap_inbox;

	struct pgq_node_stats stats;
	/* S3: when this agent appended each recent entry (memory only: after
	 * a restart it knows nothing and reports nothing). */
	struct pgq_append_clock append_clock;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- deep copies of queued messages -------------------------------------- */

static void msg_clone_free(struct raft_msg *m)
{
	for (uint32_t i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	free(m->snapshot.data);
	memset(m, 0, sizeof *m);
}

static int msg_clone(const struct raft_msg *src, struct raft_msg *dst)
{
	*dst = *src;
	dst->entries = NULL;
	dst->snapshot.data = NULL;
	dst->n_entries = 0;
	if (src->n_entries > 0) {
		dst->entries = calloc(src->n_entries, sizeof *dst->entries);
		if (dst->entries == NULL)
			return -1;
		for (uint32_t i = 0; i < src->n_entries; i++) {
			dst->entries[i] = src->entries[i];
			dst->entries[i].data = NULL;
			if (src->entries[i].len > 0) {
				dst->entries[i].data = malloc(src->entries[i].len);
				if (dst->entries[i].data == NULL) {
					dst->n_entries = i;
					msg_clone_free(dst);
					return -1;
				}
				memcpy(dst->entries[i].data, src->entries[i].data, src->entries[i].len);
			}
		}
		dst->n_entries = src->n_entries;
	}
	if (src->snapshot.data != NULL && src->snapshot.len > 0) {
		dst->snapshot.data = malloc(src->snapshot.len);
		if (dst->snapshot.data == NULL) {
			msg_clone_free(dst);
			return -1;
		}
		memcpy(dst->snapshot.data, src->snapshot.data, src->snapshot.len);
	}
	return 0;
}

static void input_free(struct input *in)
{
	if (in->kind == INPUT_MSG)
		msg_clone_free(&in->msg);
	free(in->data);
}

/* Returns a zeroed slot at the end of the inbox, or NULL when full. */
static struct input *inbox_push(struct pgq_node *node)
{
	if (node->n_inbox == NODE_INBOX_MAX) {
		node->stats.dropped_inputs++;
		return NULL;
	}
	if (node->n_inbox == node->cap_inbox) {
		size_t cap = node->cap_inbox != 0 ? node->cap_inbox * 2 : 64;
		struct input *grown = realloc(node->inbox, cap * sizeof *grown);
		if (grown == NULL) {
			node->stats.dropped_inputs++;
			return NULL;
		}
		node->inbox = grown;
		node->cap_inbox = cap;
	}
	struct input *in = &node->inbox[node->n_inbox++];
	memset(in, 0, sizeof *in);
	return in;
}

/* ---- the Ready loop ------------------------------------------------------ */

static void process(struct pgq_node *node);

static void send_all(struct pgq_node *node, const struct raft_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		node->cb.send(node->ctx, &msgs[i]);
}

static bool needs_write(const struct raft_ready *rd)
{
	return rd->has_hard_state || rd->snapshot != NULL || rd->truncate_from != 0 ||
	       rd->n_entries > 0;
}

/* Feed what arrived while busy, in arrival order. */
static void drain_inbox(struct pgq_node *node)
{
	size_t n = node->n_inbox;
	struct input *items = node->inbox;

	node->inbox = NULL;
	node->n_inbox = node->cap_inbox = 0;
	for (size_t i = 0; i < n; i++) {
		struct input *in = &items[i];
		int rc = RAFT_OK;

		switch (in->kind) {
		case INPUT_MSG:
			rc = raft_step(node->raft, &in->msg);
			break;
		case INPUT_PROPOSE:
			rc = raft_propose(node->raft, in->data, in->len);
			break;
		case INPUT_CONF:
			rc = raft_propose_conf_change(node->raft, &in->cc);
			break;
		case INPUT_CAMPAIGN:
			rc = raft_campaign(node->raft);
			break;
		case INPUT_UNREACHABLE:
			raft_report_unreachable(node->raft, in->peer);
			raft_report_snapshot(node->raft, in->peer, false);
			break;
		case INPUT_TRANSFER:
			rc = raft_transfer_leadership(node->raft, in->peer);
			break;
		}
		if (rc != RAFT_OK && in->kind != INPUT_MSG)
			pgq_debug("node", "queued input dropped kind=%d: %s", (int)in->kind,
				  raft_strerror(rc));
		input_free(in);
	}
	free(items);
	for (; node->pending_ticks > 0; node->pending_ticks--)
		raft_tick(node->raft);
}

/* Everything after the write: the second half of the Ready contract. */
static void finish_ready(struct pgq_node *node)
{
	struct raft_ready *rd = &node->rd;

	send_all(node, rd->msgs_after_persist, rd->n_msgs_after_persist);
	if (rd->snapshot != NULL)
		node->cb.restore(node->ctx, rd->snapshot);
	for (size_t i = 0; i < rd->n_committed; i++)
		node->cb.apply(node->ctx, &rd->committed[i]);
	raft_advance(node->raft, rd);
	node->busy = false;
	drain_inbox(node);
	node->cb.changed(node->ctx);
}

static void work_run(uv_work_t *req)
{
	struct pgq_node *node = req->data;

	/* Worker thread: only the storage handle and the ready are touched here. */
	node->work_rc = pgq_storage_persist_ready(node->storage, &node->rd, node->work_err,
						  sizeof node->work_err);
}

static void node_free(struct pgq_node *node)
{
	for (size_t i = 0; i < node->n_inbox; i++)
		input_free(&node->inbox[i]);
	free(node->inbox);
	raft_free(node->raft);
	pgq_storage_close(node->storage);
	free(node);
}

/*
 * Every entry point brackets its work with enter/leave: a callback (fatal
 * error, shutdown) may call pgq_node_stop() from inside, and the node must
 * outlive the frames still using it. The last leave frees a stopped node.
 */
static void enter(struct pgq_node *node)
{
	node->depth++;
}

static void leave(struct pgq_node *node)
{
	if (--node->depth == 0 && node->stopping && !node->writing)
		node_free(node);
}

static void work_done(uv_work_t *req, int status)
{
	struct pgq_node *node = req->data;
	uint64_t took;

	node->writing = false;
	enter(node);
	if (node->stopping || node->work_generation != node->generation) {
		/* Stale: the agent is stopping; nothing may leave or be applied now. */
		leave(node);
		return;
	}
	if (status != 0 || node->work_rc != 0) {
		char msg[320];
		snprintf(msg, sizeof msg, "could not persist Raft state: %s",
			 status != 0 ? uv_strerror(status) : node->work_err);
		node->stopping = true;
		node->cb.fatal(node->ctx, msg);
		leave(node);
		return;
	}
	took = now_us() - node->work_started_us;
	node->stats.persists++;
	node->stats.persist_us_last = took;
	if (took > node->stats.persist_us_max)
		node->stats.persist_us_max = took;
	finish_ready(node);
	process(node);
	leave(node);
}

static void enter(struct pgq_node *node);
static void leave(struct pgq_node *node);

/*
 * S3: remember when each entry reached our log (the moment Raft hands it
 * over for appending; the write follows). Any moment after the entry was
 * created is after the primary first sent it, which is all S3 needs.
 */
static void note_appends(struct pgq_node *node, const struct raft_ready *rd)
{
	uint64_t now = pgq_now_boottime_ms();

	if (rd->snapshot != NULL)
		memset(&node->append_clock, 0, sizeof node->append_clock); /* log replaced */
	for (size_t i = 0; i < rd->n_entries; i++)
		pgq_append_clock_note(&node->append_clock, rd->entries[i].index,
				      rd->entries[i].term, now);
}

static void process(struct pgq_node *node)
{
	if (node->in_process)
		return;
	enter(node);
	node->in_process = true;
	while (!node->stopping && !node->busy && raft_has_ready(node->raft)) {
		raft_ready(node->raft, &node->rd);
		node->busy = true;
		note_appends(node, &node->rd);
		/* Leader appends may leave before our own fsync (L1). */
		send_all(node, node->rd.msgs, node->rd.n_msgs);
		if (needs_write(&node->rd)) {
			int rc;

			node->writing = true;
			node->work_generation = node->generation;
			node->work_started_us = now_us();
			node->work.data = node;
			rc = uv_queue_work(node->loop, &node->work, work_run, work_done);
			if (rc != 0) {
				char msg[160];
				node->writing = false;
				snprintf(msg, sizeof msg, "could not queue a storage write: %s",
					 uv_strerror(rc));
				node->stopping = true;
				node->cb.fatal(node->ctx, msg);
			}
			break;
		}
		finish_ready(node);
	}
	node->in_process = false;
	leave(node); /* may free a node stopped by a callback: touch nothing after */
}

/* ---- public API ---------------------------------------------------------- */

int pgq_node_new(uv_loop_t *loop, struct pgq_storage *st, const struct pgq_node_options *opts,
		 const struct pgq_node_callbacks *cb, void *ctx, struct pgq_node **out,
		 char *err, size_t errlen)
{
	struct raft_persisted persisted;
	struct pgq_node *node;
	int rc;

	node = calloc(1, sizeof *node);
	if (node == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&persisted, 0, sizeof persisted);
	pgq_storage_load(st, &persisted);
	rc = raft_new(&opts->raft, opts->has_initial ? &opts->initial : NULL, &persisted, &node->raft);
	if (rc != RAFT_OK) {
		snprintf(err, errlen, "could not start the Raft node: %s", raft_strerror(rc));
		free(node);
		return -1;
	}
	node->loop = loop;
	node->storage = st;
	node->cb = *cb;
	node->ctx = ctx;
	*out = node;
	enter(node);
	/* The core starts applied at the snapshot: the application state must too. */
	if (persisted.snapshot != NULL)
		node->cb.restore(node->ctx, persisted.snapshot);
	process(node);
	leave(node); /* a fatal callback may have stopped (and now freed) it */
	return 0;
}

void pgq_node_stop(struct pgq_node *node)
{
	if (node == NULL)
		return;
	node->stopping = true;
	node->generation++;
	if (node->writing) {
		/* The worker reads node memory: free it in work_done (or now, if cancelled). */
		uv_cancel((uv_req_t *)&node->work);
		return;
	}
	if (node->depth > 0)
		return; /* a caller up the stack still uses it: freed by its leave() */
	node_free(node);
}

void pgq_node_tick(struct pgq_node *node)
{
	if (node->stopping)
		return;
	if (node->busy) {
		node->pending_ticks++;
		return;
	}
	raft_tick(node->raft);
	process(node);
}

void pgq_node_step(struct pgq_node *node, const struct raft_msg *m)
{
	if (node->stopping)
		return;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in == NULL)
			return;
		in->kind = INPUT_MSG;
		if (msg_clone(m, &in->msg) != 0) {
			node->n_inbox--;
			node->stats.dropped_inputs++;
		}
		return;
	}
	int rc = raft_step(node->raft, m);
	if (rc != RAFT_OK)
		pgq_debug("node", "message from %llu refused: %s", (unsigned long long)m->from,
			  raft_strerror(rc));
	process(node);
}

int pgq_node_propose(struct pgq_node *node, const uint8_t *data, size_t len)
{
	int rc;

	if (node->stopping || raft_role(node->raft) != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in == NULL)
			return RAFT_ERR_NOMEM;
		in->kind = INPUT_PROPOSE;
		in->data = malloc(len > 0 ? len : 1);
		if (in->data == NULL) {
			node->n_inbox--;
			return RAFT_ERR_NOMEM;
		}
		memcpy(in->data, data, len);
		in->len = len;
		return RAFT_OK;
	}
	rc = raft_propose(node->raft, data, len);
	process(node);
	return rc;
}

int pgq_node_propose_conf(struct pgq_node *node, const struct raft_conf_change *cc)
{
	int rc;

	if (node->stopping || raft_role(node->raft) != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in == NULL)
			return RAFT_ERR_NOMEM;
		in->kind = INPUT_CONF;
		in->cc = *cc;
		return RAFT_OK;
	}
	rc = raft_propose_conf_change(node->raft, cc);
	process(node);
	return rc;
}

int pgq_node_campaign(struct pgq_node *node)
{
	int rc;

	if (node->stopping)
		return RAFT_ERR_INVALID;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in == NULL)
			return RAFT_ERR_NOMEM;
		in->kind = INPUT_CAMPAIGN;
		return RAFT_OK;
	}
	rc = raft_campaign(node->raft);
	process(node);
	return rc;
}

int pgq_node_transfer(struct pgq_node *node, raft_id_t to)
{
	int rc;

	if (node->stopping || raft_role(node->raft) != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in == NULL)
			return RAFT_ERR_NOMEM;
		in->kind = INPUT_TRANSFER;
		in->peer = to;
		return RAFT_OK;
	}
	rc = raft_transfer_leadership(node->raft, to);
	process(node);
	return rc;
}

void pgq_node_report_unreachable(struct pgq_node *node, raft_id_t peer)
{
	if (node->stopping)
		return;
	if (node->busy) {
		struct input *in = inbox_push(node);
		if (in != NULL) {
			in->kind = INPUT_UNREACHABLE;
			in->peer = peer;
		}
		return;
	}
	/*
	 * Messages to it were lost: pipelined appends fall back to probing, and
	 * a snapshot in flight is resent (the core waits for it otherwise).
	 */
	raft_report_unreachable(node->raft, peer);
	raft_report_snapshot(node->raft, peer, false);
	process(node);
}

int pgq_node_compact(struct pgq_node *node, raft_index_t index, const uint8_t *data,
		     size_t len, char *err, size_t errlen)
{
	raft_term_t term;
	int rc;

	if (node->busy || node->stopping) {
		snprintf(err, errlen, "compaction refused while a write is in flight");
		return -1;
	}
	term = raft_term_at(node->raft, index);
	/* Storage first: if it fails, the core still holds every entry. */
	rc = pgq_storage_compact(node->storage, index, term, raft_config(node->raft), data, len,
				 err, errlen);
	if (rc != 0)
		return -1;
	rc = raft_compact(node->raft, index, data, len);
	if (rc != RAFT_OK) {
		snprintf(err, errlen, "raft_compact at %llu: %s", (unsigned long long)index,
			 raft_strerror(rc));
		return -1;
	}
	return 0;
}

const struct pgq_append_clock *pgq_node_append_clock(const struct pgq_node *node)
{
	return &node->append_clock;
}

const struct raft_node *pgq_node_raft(const struct pgq_node *node)
{
	return node->raft;
}

struct pgq_storage *pgq_node_storage(struct pgq_node *node)
{
	return node->storage;
}

void pgq_node_stats(const struct pgq_node *node, struct pgq_node_stats *out)
{
	*out = node->stats;
}

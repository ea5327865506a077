/*
 * bench_raft.c — commit throughput of the pure Raft core (agent/raft/).
 *
 *   bench_raft [--nodes N] [--entries COUNT] [--size BYTES] [--batch B]
 *              [--window W] [--seconds S] [--compact-every C]
 *
 * Builds an N-node group in memory in one thread (default: a 3-node, then a
 * 5-node run), elects member 1, and proposes COUNT entries of BYTES bytes in
 * batches of B, keeping at most W entries proposed but not yet committed.
 * Messages go straight from one node's ready to the other node's raft_step;
 * "persisting" is free (no storage, no fsync: the nodes keep the log in
 * memory, compacted every C applied entries, default 65536, 0 never), so the
 * figure is the cost of the core itself — the ceiling the agent's disk and
 * network bring down.
 * Prints committed entries per second at the leader; stops at COUNT entries
 * or after S seconds, whichever comes first. Prints, never fails on time.
 */
#include "raft/raft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_NODES 9
#define MAX_ELECTION_ROUNDS 100

struct bench_opts {
	size_t nodes;           /* 0: run 3 then 5 */
	uint64_t entries;
	size_t entry_bytes;
	size_t batch;
	size_t window;
	double max_seconds;
	uint64_t compact_every; /* entries; 0: never compact */
};

struct cluster {
	size_t n;
	struct raft_node *nodes[BENCH_MAX_NODES];
	raft_index_t applied[BENCH_MAX_NODES];
	uint64_t applied_normal[BENCH_MAX_NODES]; /* NORMAL entries applied, per node */
	raft_index_t compacted;                   /* last index every node compacted up to */
	uint64_t msgs;                            /* messages delivered */
	uint64_t msg_entries;                     /* entries carried by those messages */
	int step_errors;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: the figure that matters when the host is busy. */
static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct raft_node *node_by_id(struct cluster *c, raft_id_t id)
{
	return (id >= 1 && id <= c->n) ? c->nodes[id - 1] : NULL;
}

static void deliver(struct cluster *c, const struct raft_msg *msgs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct raft_node *to = node_by_id(c, msgs[i].to);
		if (to == NULL)
			continue;
		if (raft_step(to, &msgs[i]) != RAFT_OK)
			c->step_errors++;
		c->msgs++;
		c->msg_entries += msgs[i].n_entries;
	}
}

/* One pass over the group: every node with work hands out its ready, which
 * is "persisted" at once, delivered, applied and advanced. Returns whether
 * any node had work. */
static bool pump(struct cluster *c)
{
	bool busy = false;
	for (size_t i = 0; i < c->n; i++) {
		struct raft_node *node = c->nodes[i];
		struct raft_ready rd;
		if (!raft_has_ready(node))
			continue;
		busy = true;
		raft_ready(node, &rd);
		deliver(c, rd.msgs, rd.n_msgs);
		deliver(c, rd.msgs_after_persist, rd.n_msgs_after_persist);
		if (rd.snapshot != NULL && rd.snapshot->meta.index > c->applied[i])
			c->applied[i] = rd.snapshot->meta.index;
		for (size_t k = 0; k < rd.n_committed; k++) {
			if (rd.committed[k].type == RAFT_ENTRY_NORMAL)
				c->applied_normal[i]++;
			c->applied[i] = rd.committed[k].index;
		}
		raft_advance(node, &rd);
	}
	return busy;
}

/* Keeps memory flat: every node drops the entries all nodes have applied. */
static void compact(struct cluster *c, uint64_t every)
{
	static const uint8_t state[] = "bench";
	raft_index_t upto = c->applied[0];
	for (size_t i = 1; i < c->n; i++)
		if (c->applied[i] < upto)
			upto = c->applied[i];
	if (every == 0 || upto < c->compacted + every)
		return;
	for (size_t i = 0; i < c->n; i++)
		raft_compact(c->nodes[i], upto, state, sizeof(state));
	c->compacted = upto;
}

static int cluster_start(struct cluster *c, size_t n, const struct bench_opts *o)
{
	struct raft_config config = { .n = (uint32_t)n };
	struct raft_persisted empty;

	memset(c, 0, sizeof(*c));
	memset(&empty, 0, sizeof(empty));
	c->n = n;
	for (size_t i = 0; i < n; i++)
		config.members[i] = (struct raft_member){ .id = i + 1, .voter = true };
	for (size_t i = 0; i < n; i++) {
		struct raft_options opts = {
			.id = i + 1,
			.election_ticks = 10,
			.heartbeat_ticks = 1,
			.pre_vote = true,
			.check_quorum = true,
			.max_entries_per_msg = (uint32_t)o->batch,
			.max_inflight = 256,
			.max_entry_bytes = 0,
			.seed = 1000 + i,
		};
		int rc = raft_new(&opts, &config, &empty, &c->nodes[i]);
		if (rc != RAFT_OK) {
			fprintf(stderr, "bench_raft: raft_new(%zu): %s\n", i + 1, raft_strerror(rc));
			return -1;
		}
	}
	if (raft_campaign(c->nodes[0]) != RAFT_OK) {
		fprintf(stderr, "bench_raft: campaign refused\n");
		return -1;
	}
	for (int round = 0; round < MAX_ELECTION_ROUNDS; round++) {
		pump(c);
		if (raft_role(c->nodes[0]) == RAFT_LEADER && c->applied[0] >= 1 &&
		    raft_commit_index(c->nodes[0]) == raft_last_index(c->nodes[0]))
			return 0;
	}
	fprintf(stderr, "bench_raft: member 1 did not become leader\n");
	return -1;
}

static void cluster_free(struct cluster *c)
{
	for (size_t i = 0; i < c->n; i++)
		raft_free(c->nodes[i]);
}

static int run(size_t n, const struct bench_opts *o)
{
	struct cluster c;
	uint8_t *payload = calloc(1, o->entry_bytes > 0 ? o->entry_bytes : 1);
	uint64_t proposed = 0;
	int rc = 0;

	if (payload == NULL || cluster_start(&c, n, o) != 0) {
		free(payload);
		return -1;
	}
	struct raft_node *leader = c.nodes[0];
	const double t0 = now_seconds(), cpu0 = cpu_seconds();
	double elapsed = 0, cpu = 0;
	while (c.applied_normal[0] < o->entries) {
		/* Keep the pipeline full: propose whole batches up to the window. */
		while (proposed < o->entries && proposed - c.applied_normal[0] + o->batch <= o->window) {
			for (size_t k = 0; k < o->batch && proposed < o->entries; k++, proposed++) {
				memcpy(payload, &proposed, o->entry_bytes < sizeof(proposed) ? o->entry_bytes : sizeof(proposed));
				rc = raft_propose(leader, payload, o->entry_bytes);
				if (rc != RAFT_OK) {
					fprintf(stderr, "bench_raft: propose: %s\n", raft_strerror(rc));
					goto out;
				}
			}
		}
		if (!pump(&c) && proposed >= o->entries) {
			fprintf(stderr, "bench_raft: the group went idle before committing everything\n");
			rc = -1;
			goto out;
		}
		compact(&c, o->compact_every);
		elapsed = now_seconds() - t0;
		cpu = cpu_seconds() - cpu0;
		if (elapsed > o->max_seconds)
			break;
	}
	/* Let the followers catch up on the last commit index (not timed). */
	for (int round = 0; round < MAX_ELECTION_ROUNDS && pump(&c); round++)
		;
	elapsed = elapsed > 0 ? elapsed : now_seconds() - t0;
	{
		double rate = (double)c.applied_normal[0] / elapsed;
		printf("raft %zu nodes: %llu entries of %zu B committed in %.3f s: %.0f entries/s, %.1f MB/s; "
		       "CPU %.3f s: %.0f entries per CPU second "
		       "(batch %zu, window %zu, %llu messages, %.1f entries/message)%s\n",
		       n, (unsigned long long)c.applied_normal[0], o->entry_bytes, elapsed, rate,
		       rate * (double)o->entry_bytes / 1e6, cpu, cpu > 0 ? (double)c.applied_normal[0] / cpu : 0.0,
		       o->batch, o->window, (unsigned long long)c.msgs,
		       c.msgs ? (double)c.msg_entries / (double)c.msgs : 0.0,
		       c.applied_normal[0] < o->entries ? " [stopped by the time limit]" : "");
		for (size_t i = 1; i < n; i++)
			if (c.applied_normal[i] != c.applied_normal[0])
				printf("  note: member %zu applied %llu entries, the leader %llu\n", i + 1,
				       (unsigned long long)c.applied_normal[i], (unsigned long long)c.applied_normal[0]);
		if (c.step_errors > 0)
			printf("  note: raft_step refused %d messages\n", c.step_errors);
	}
out:
	cluster_free(&c);
	free(payload);
	return rc;
}

/*
 * Runs one configuration in a fresh process. The allocator's state carries
 * over between runs in one process (glibc raises its trim threshold after
 * the first run frees large blocks), which made a second run look up to
 * twice as fast; a child process starts every run from the same state.
 */
static int run_in_child(size_t n, const struct bench_opts *o)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_raft: fork");
		return -1;
	}
	if (pid == 0) {
		int rc = run(n, o);
		fflush(stdout); /* _exit() skips stdio's buffers */
		_exit(rc == 0 ? 0 : 1);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_raft [--nodes N(1-%d)] [--entries COUNT] [--size BYTES] [--batch B] "
			"[--window W] [--seconds S] [--compact-every C]\n",
		BENCH_MAX_NODES);
	return 2;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.nodes = 0,
		.entries = 1000000,
		.entry_bytes = 128,
		.batch = 256,
		.window = 1024,
		.max_seconds = 30,
		.compact_every = 65536,
	};
	for (int i = 1; i < argc; i++) {
		uint64_t v;
		if (i + 1 >= argc)
			return usage();
		const char *arg = argv[i], *val = argv[++i];
		if (strcmp(arg, "--nodes") == 0 && parse_u64(val, 1, BENCH_MAX_NODES, &v) == 0)
			o.nodes = (size_t)v;
		else if (strcmp(arg, "--entries") == 0 && parse_u64(val, 1, UINT64_MAX / 2, &v) == 0)
			o.entries = v;
		else if (strcmp(arg, "--size") == 0 && parse_u64(val, 0, 1 << 20, &v) == 0)
			o.entry_bytes = (size_t)v;
		else if (strcmp(arg, "--batch") == 0 && parse_u64(val, 1, 1 << 20, &v) == 0)
			o.batch = (size_t)v;
		else if (strcmp(arg, "--window") == 0 && parse_u64(val, 1, 1 << 24, &v) == 0)
			o.window = (size_t)v;
		else if (strcmp(arg, "--compact-every") == 0 && parse_u64(val, 0, UINT64_MAX / 2, &v) == 0)
			o.compact_every = v;
		else if (strcmp(arg, "--seconds") == 0 && parse_u64(val, 1, 3600, &v) == 0)
			o.max_seconds = (double)v;
		else
			return usage();
	}
	if (o.window < o.batch)
		o.window = o.batch;
	int rc = 0;
	if (o.nodes != 0) {
		rc = run(o.nodes, &o);
	} else {
		rc |= run_in_child(3, &o);
		rc |= run_in_child(5, &o);
	}
	return rc == 0 ? 0 : 1;
}

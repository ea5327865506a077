/*
 * main.c — raftsim's command line: runs campaigns of seeds and reports in
 * TAP, one line per campaign (one campaign per cluster size).
 *
 *   raftsim --seeds N --steps M [--first-seed K] [--nodes 3|5]
 *   raftsim --seed S --steps M --nodes 3|5 --trace      (replay one seed)
 *
 * A violation prints the seed, the property, the step and the exact command
 * that replays it with a trace; the exit status is then 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

typedef unsigned long long ull;

struct cli {
	uint64_t seeds;
	uint64_t steps;
	uint64_t first_seed;
	bool one_seed;
	uint32_t nodes[2];
	uint32_t n_sizes;
	bool trace;
	bool classic;
	bool verbose;
	bool join_from_log;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s --seeds N --steps M [--first-seed K] [--nodes 3|5] [--classic] [--join-from-log] [--verbose]\n"
		"       %s --seed S --steps M [--nodes 3|5] [--trace] [--classic] [--join-from-log]\n"
		"Runs the Raft core under a seeded simulated network, disk and clock and\n"
		"checks the Raft safety properties after every step (see tests/sim/README.md).\n",
		prog, prog);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);

	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->seeds = 100;
	c->steps = 3000;
	c->first_seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		if (!strcmp(a, "--trace")) {
			c->trace = true;
		} else if (!strcmp(a, "--classic")) {
			c->classic = true;
		} else if (!strcmp(a, "--verbose")) {
			c->verbose = true;
		} else if (!strcmp(a, "--join-from-log")) {
			c->join_from_log = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			exit(0);
		} else if (!strcmp(a, "--seeds") && parse_u64(v, &x) && x > 0) {
			c->seeds = x;
			i++;
		} else if (!strcmp(a, "--steps") && parse_u64(v, &x) && x > 0) {
			c->steps = x;
			i++;
		} else if (!strcmp(a, "--first-seed") && parse_u64(v, &x)) {
			c->first_seed = x;
			i++;
		} else if (!strcmp(a, "--seed") && parse_u64(v, &x)) {
			c->first_seed = x;
			c->seeds = 1;
			c->one_seed = true;
			i++;
		} else if (!strcmp(a, "--nodes") && parse_u64(v, &x) && (x == 3 || x == 5)) {
			c->nodes[0] = (uint32_t)x;
			c->n_sizes = 1;
			i++;
		} else {
			fprintf(stderr, "raftsim: bad argument '%s'%s%s\n", a, v ? " " : "", v ? v : "");
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (c->n_sizes == 0) {
		c->nodes[0] = 3;
		c->nodes[1] = 5;
		c->n_sizes = 2;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *verdict(const char *reason)
{
	if (!strncmp(reason, "[Liveness]", 10))
		return "LIVENESS VIOLATION";
	if (!strncmp(reason, "[Harness]", 9) || !strncmp(reason, "[Core Error]", 12))
		return "HARNESS OR CORE ERROR";
	return "SAFETY VIOLATION";
}

static void add_stats(struct sim_stats *t, const struct sim_stats *s)
{
	t->msgs_sent += s->msgs_sent;
	t->msgs_delivered += s->msgs_delivered;
	t->msgs_dropped += s->msgs_dropped;
	t->msgs_duplicated += s->msgs_duplicated;
	t->crashes += s->crashes;
	t->torn_writes += s->torn_writes;
	t->restarts += s->restarts;
	t->partitions += s->partitions;
	t->heals += s->heals;
	t->proposals += s->proposals;
	t->reads += s->reads;
	t->conf_changes += s->conf_changes;
	t->transfers += s->transfers;
	t->compactions += s->compactions;
	t->calm_phases += s->calm_phases;
	if (s->max_recovery_ms > t->max_recovery_ms)
		t->max_recovery_ms = s->max_recovery_ms;
	t->virtual_ms += s->virtual_ms;
}

/* Runs one campaign; true when every seed held. */
static bool campaign(const struct cli *c, int number, uint32_t nodes, const char *prog)
{
	struct sim_stats total;
	uint64_t steps = 0, leaders = 0, applied = 0, reads = 0;
	double t0 = now_s();

	memset(&total, 0, sizeof(total));
	for (uint64_t i = 0; i < c->seeds; i++) {
		uint64_t seed = c->first_seed + i;
		struct sim *s = malloc(sizeof(*s));

		if (!s) {
			printf("not ok %d - out of memory\n", number);
			return false;
		}
		bool ok = sim_init(s, seed, nodes, c->steps, c->trace ? stdout : NULL) == 0;

		if (ok) {
			s->chk.strict = !c->classic;
			s->join_from_log = s->join_from_log || c->join_from_log;
			ok = sim_run(s);
		}
		steps += s->step;
		leaders += s->chk.n_leaders;
		applied += s->chk.n_applied_proposals;
		reads += s->chk.n_reads_checked;
		add_stats(&total, &s->stats);
		if (!ok) {
			printf("not ok %d - %u nodes: seed %llu broke an invariant\n", number, nodes,
			       (ull)seed);
			printf("# %s (seed %llu, %u nodes, step %llu, t=%llu ms): %s\n",
			       verdict(s->chk.reason), (ull)seed, nodes, (ull)s->step,
			       (ull)s->now_ms, s->chk.reason);
			printf("# replay: %s --seed %llu --nodes %u --steps %llu%s%s --trace\n", prog,
			       (ull)seed, nodes, (ull)c->steps, c->classic ? " --classic" : "",
			       c->join_from_log ? " --join-from-log" : "");
			fflush(stdout);
			sim_free(s);
			free(s);
			return false;
		}
		if (c->verbose)
			printf("# seed %llu: %llu steps, %llu ms virtual, %llu leaders, %llu proposals applied\n",
			       (ull)seed, (ull)s->step, (ull)s->now_ms, (ull)s->chk.n_leaders,
			       (ull)s->chk.n_applied_proposals);
		sim_free(s);
		free(s);
	}
	double took = now_s() - t0;

	printf("ok %d - %llu seeds x %u nodes, %llu steps each, all invariants held%s%s\n", number,
	       (ull)c->seeds, nodes, (ull)c->steps, c->classic ? " (classic checks)" : "",
	       c->join_from_log ? " (joiners rebuild from the log)" : "");
	printf("# %u nodes: %llu steps in %.1f s; %.1f s virtual time; %llu leaders; %llu proposals applied of %llu accepted; %llu reads checked\n",
	       nodes, (ull)steps, took, (double)total.virtual_ms / 1000.0, (ull)leaders,
	       (ull)applied, (ull)total.proposals, (ull)reads);
	printf("# %u nodes: %llu messages (%llu dropped, %llu duplicated), %llu crashes (%llu torn writes), %llu partitions, %llu conf changes, %llu transfers, %llu compactions, %llu network heals, %llu calm phases, slowest recovery %llu ms\n",
	       nodes, (ull)total.msgs_sent, (ull)total.msgs_dropped, (ull)total.msgs_duplicated,
	       (ull)total.crashes, (ull)total.torn_writes, (ull)total.partitions,
	       (ull)total.conf_changes, (ull)total.transfers, (ull)total.compactions,
	       (ull)total.heals, (ull)total.calm_phases, (ull)total.max_recovery_ms);
	fflush(stdout);
	return true;
}

int main(int argc, char **argv)
{
	struct cli c;

	if (parse_cli(argc, argv, &c) != 0)
		return 2;
	printf("1..%u\n", c.n_sizes);
	bool all_ok = true;

	for (uint32_t k = 0; k < c.n_sizes; k++) {
		if (!all_ok) {
			printf("ok %u - %u nodes # SKIP after an earlier failure\n", k + 1, c.nodes[k]);
			continue;
		}
		all_ok = campaign(&c, (int)k + 1, c.nodes[k], argv[0]);
	}
	return all_ok ? 0 : 1;
}

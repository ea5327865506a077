/*
 * bench_storage.c — fsync'd append latency and throughput of agent/storage.
 *
 *   bench_storage [DIR] [COUNT]
 *
 * Creates a scratch data directory inside DIR (default: the current
 * directory, so the figure reflects a real disk rather than a tmpfs /tmp),
 * persists COUNT readies the way the agent does (one small entry plus a new
 * hard state each, then batches of 16), prints p50/p99 latency and readies
 * and entries per second, and removes the directory. Prints, never fails on time.
 */
#include "storage/storage.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[1200];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int run(struct pgq_storage *st, const char *label, size_t count, size_t batch, raft_index_t *next)
{
	struct raft_entry *es = calloc(batch, sizeof(*es));
	double *lat = calloc(count, sizeof(*lat)), t0, total;
	uint8_t payload[64];
	char err[512];

	if (es == NULL || lat == NULL)
		return 1;
	memset(payload, 'x', sizeof(payload));
	t0 = now_us();
	for (size_t i = 0; i < count; i++) {
		struct raft_ready rd;
		double s = now_us();

		for (size_t k = 0; k < batch; k++)
			es[k] = (struct raft_entry){.term = 1, .index = (*next)++, .type = RAFT_ENTRY_NORMAL,
						    .len = sizeof(payload), .data = payload};
		memset(&rd, 0, sizeof(rd));
		rd.entries = es;
		rd.n_entries = batch;
		rd.has_hard_state = true;
		rd.hard_state = (struct raft_hard_state){.term = 1, .vote = 1, .commit = *next - 1};
		if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0) {
			fprintf(stderr, "persist failed: %s\n", err);
			free(es);
			free(lat);
			return 1;
		}
		lat[i] = now_us() - s;
	}
	total = now_us() - t0;
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("%-34s readies=%zu p50=%.0fus p99=%.0fus readies/s=%.0f entries/s=%.0f\n", label, count,
	       lat[count / 2], lat[count * 99 / 100], count / (total / 1e6), count * batch / (total / 1e6));
	free(es);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : ".";
	size_t count = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 500;
	struct pgq_storage *st;
	raft_index_t next = 1;
	char dir[1024], err[1024];
	int rc;

	if (count < 10)
		count = 10;
	snprintf(dir, sizeof(dir), "%s/bench-storage-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (pgq_storage_open(dir, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "open: %s\n", err);
		remove_dir(dir);
		return 1;
	}
	printf("bench_storage: data dir %s, 64-byte entries, fsync on\n", dir);
	rc = run(st, "1 entry + hard state per ready", count, 1, &next);
	if (rc == 0)
		rc = run(st, "16 entries + hard state per ready", count, 16, &next);
	pgq_storage_close(st);
	remove_dir(dir);
	return rc;
}

/*
 * test_storage_crash.c — SIGKILL at random moments while a child process
 * appends, truncates, rolls segments and compacts through agent/storage.
 *
 * The child announces each step (intent) before pgq_storage_persist_ready()
 * and acknowledges it after the call returned, over a pipe. After every kill
 * the parent reopens the directory and checks the rule the agent relies on:
 * every acknowledged entry is present and unchanged, unless the one
 * unacknowledged step replaced it; anything after that is an entry of the
 * acknowledged log or of the step in flight; the stored term is at least the
 * acknowledged one. A process kill keeps the page cache, so this proves the
 * ordering of our writes against a crash at any instruction, not power loss
 * (test_storage_recovery.c covers torn writes with crafted files).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_storage_util.h"

#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILLS 30
#define MAX_INDEX (1u << 21)

struct step {
	uint64_t truncate_from; /* 0: none */
	uint64_t first, last;   /* appended entries; first > last: none */
	uint64_t term;
	uint64_t compact_at;    /* 0: none */
};

/* ---- child ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int child(const char *dir, int fd, uint64_t seed)
{
	struct raft_entry es[8];
	uint8_t bufs[8][TSU_MAX_DATA];
	struct raft_persisted p;
	struct pgq_storage *st;
	raft_index_t last, snap = 0;
	raft_term_t term, *terms;
	char err[1024];

	terms = calloc(MAX_INDEX + 16, sizeof(*terms));
	if (terms == NULL || pgq_storage_open(dir, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "child open: %s\n", err);
		return 1;
	}
	pgq_storage_set_segment_bytes(st, 300);
	pgq_storage_load(st, &p);
	last = pgq_storage_last_index(st);
	term = p.hard_state.term ? p.hard_state.term : 1;
	if (p.snapshot != NULL) {
		snap = p.snapshot->meta.index;
		terms[snap] = p.snapshot->meta.term;
	}
	for (size_t i = 0; i < p.n_entries; i++)
		terms[p.entries[i].index] = p.entries[i].term;
	for (;;) {
		struct step s = {0};
		struct raft_ready rd;
		uint64_t r = rng_next(&seed);
		uint8_t ack = 1;

		/* The storage refuses a first snapshot below the first no-op (index 7
		 * here, tsu_entry): only compact where the agent could. */
		if (r % 15 == 0 && last > snap + 4 && (snap > 0 || last - 3 >= 7)) {
			s.compact_at = last - 3;
		} else {
			if (r % 5 == 1 && last > snap + 1) {
				uint64_t back = rng_next(&seed) % 6, room = last - snap - 1;
				s.truncate_from = last - (back < room ? back : room);
				term++;
			}
			s.first = s.truncate_from ? s.truncate_from : last + 1;
			s.last = s.first + rng_next(&seed) % 8;
			s.term = term;
		}
		if (s.last >= MAX_INDEX)
			pause(); /* enough for one run: wait for the kill */
		if (write(fd, &s, sizeof(s)) != (ssize_t)sizeof(s))
			return 2;
		if (s.compact_at) {
			struct raft_config c = {.n = 1, .members = {{.id = 1, .voter = true}}};
			uint8_t data[32];

			memset(data, (int)(s.compact_at & 0xff), sizeof(data));
			if (pgq_storage_compact(st, s.compact_at, terms[s.compact_at], &c, data, sizeof(data),
						err, sizeof(err)) != 0) {
				fprintf(stderr, "child compact: %s\n", err);
				return 3;
			}
			snap = s.compact_at;
		} else {
			for (uint64_t i = s.first; i <= s.last; i++) {
				tsu_entry(&es[i - s.first], i, s.term, bufs[i - s.first]);
				terms[i] = s.term;
			}
			memset(&rd, 0, sizeof(rd));
			rd.truncate_from = s.truncate_from;
			rd.entries = es;
			rd.n_entries = s.last - s.first + 1;
			rd.has_hard_state = true;
			rd.hard_state = (struct raft_hard_state){.term = term, .vote = 1, .commit = s.first};
			if (pgq_storage_persist_ready(st, &rd, err, sizeof(err)) != 0) {
				fprintf(stderr, "child persist: %s\n", err);
				return 4;
			}
			last = s.last;
		}
		if (write(fd, &ack, 1) != 1)
			return 5;
	}
}

/* ---- parent ---- */

struct model {
	raft_term_t *terms; /* terms[i] of the acknowledged log */
	raft_index_t last;
	raft_term_t acked_term;
};

static void apply_step(struct model *m, const struct step *s)
{
	if (s->compact_at)
		return;
	for (uint64_t i = s->first; i <= s->last; i++)
		m->terms[i] = s->term;
	m->last = s->last;
	if (s->term > m->acked_term)
		m->acked_term = s->term;
}

/* Read the child's stream: apply acknowledged steps; return the pending one, if any. */
static bool drain(int fd, struct model *m, struct step *pending, unsigned *acked)
{
	struct step s;
	uint8_t ack;

	for (;;) {
		ssize_t r = read(fd, &s, sizeof(s));
		if (r == 0)
			return false;
		assert_int_equal(r, sizeof(s));
		r = read(fd, &ack, 1);
		if (r == 0) {
			*pending = s;
			return true;
		}
		assert_int_equal(r, 1);
		apply_step(m, &s);
		(*acked)++;
	}
}

static void verify(const char *dir, struct model *m, const struct step *pending, bool has_pending, int round)
{
	struct pgq_storage *st = tsu_open(dir);
	struct raft_persisted p;
	raft_index_t common = m->last, snap = 0, last;

	if (has_pending && pending->truncate_from)
		common = pending->truncate_from - 1; /* the step in flight may have replaced the rest */
	pgq_storage_load(st, &p);
	last = pgq_storage_last_index(st);
	if (last < common)
		fail_msg("round %d: acknowledged entries lost: log ends at %llu, acknowledged %llu", round,
			 (unsigned long long)last, (unsigned long long)common);
	if (p.snapshot != NULL) {
		snap = p.snapshot->meta.index;
		assert_true(snap <= last);
		assert_int_equal(p.snapshot->meta.term, m->terms[snap]);
	}
	if (p.hard_state.term < m->acked_term)
		fail_msg("round %d: stored term %llu below acknowledged term %llu", round,
			 (unsigned long long)p.hard_state.term, (unsigned long long)m->acked_term);
	for (size_t k = 0; k < p.n_entries; k++) {
		const struct raft_entry *e = &p.entries[k];
		bool in_acked = e->index <= m->last && tsu_entry_matches(e, e->index, m->terms[e->index]);
		bool in_pending = has_pending && !pending->compact_at && e->index >= pending->first &&
				  e->index <= pending->last && tsu_entry_matches(e, e->index, pending->term);
		if (e->index <= common && !in_acked)
			fail_msg("round %d: acknowledged entry %llu changed (term %llu, expected %llu)", round,
				 (unsigned long long)e->index, (unsigned long long)e->term,
				 (unsigned long long)m->terms[e->index]);
		if (!in_acked && !in_pending)
			fail_msg("round %d: entry %llu term %llu was never written", round,
				 (unsigned long long)e->index, (unsigned long long)e->term);
		if (e->term > p.hard_state.term)
			fail_msg("round %d: entry %llu has term %llu above the stored term %llu", round,
				 (unsigned long long)e->index, (unsigned long long)e->term,
				 (unsigned long long)p.hard_state.term);
	}
	/* What is on disk is the truth the next child continues from. */
	for (size_t k = 0; k < p.n_entries; k++)
		m->terms[p.entries[k].index] = p.entries[k].term;
	m->last = last;
	if (p.hard_state.term > m->acked_term)
		m->acked_term = p.hard_state.term;
	pgq_storage_close(st);
}

static void test_sigkill_at_random_moments(void **state)
{
	(void)state;
	char *dir = tsu_mkdtemp();
	struct model m = {0};
	unsigned acked = 0, pending_seen = 0;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	const char *fixed = getenv("PGQ_TEST_SEED"); /* replay a printed seed */

	if (fixed != NULL)
		seed = strtoull(fixed, NULL, 10);

	print_message("seed %llu\n", (unsigned long long)seed);
	srand((unsigned)seed);
	m.terms = calloc(MAX_INDEX + 16, sizeof(*m.terms));
	assert_non_null(m.terms);
	pgq_log_set_level(PGQ_LOG_ERROR); /* recoveries are expected: keep the output short */
	for (int round = 0; round < KILLS; round++) {
		struct timespec ts = {0, (long)(2 + rand() % 80) * 1000000L};
		struct step pending;
		bool has_pending;
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			_exit(child(dir, fds[1], seed + (uint64_t)round * 7919u + 1));
		}
		close(fds[1]);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("round %d: child exited with %d before the kill", round, WEXITSTATUS(status));
		has_pending = drain(fds[0], &m, &pending, &acked);
		close(fds[0]);
		pending_seen += has_pending;
		verify(dir, &m, &pending, has_pending, round);
	}
	pgq_log_set_level(PGQ_LOG_INFO);
	print_message("%d kills, %u acknowledged steps, %u kills inside a step, log at %llu\n", KILLS,
		      acked, pending_seen, (unsigned long long)m.last);
	assert_true(acked > 0);
	free(m.terms);
	tsu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_at_random_moments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

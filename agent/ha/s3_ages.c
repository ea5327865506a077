/*
 * s3_ages.c — append times of recent Raft entries (the voter's side) and
 * the reports a newly elected leader collects about one of them (SAFETY.md
 * S3, docs/safety-changes.md C3). See s3_ages.h.
 */
#include "ha/s3_ages.h"

#include <string.h>

static struct pgq_append_clock_entry *at(struct pgq_append_clock *c, size_t i)
{
	return &c->e[(c->start + i) % PGQ_APPEND_CLOCK_CAP];
}

static const struct pgq_append_clock_entry *cat(const struct pgq_append_clock *c, size_t i)
{
	return &c->e[(c->start + i) % PGQ_APPEND_CLOCK_CAP];
}

void pgq_append_clock_note(struct pgq_append_clock *c, uint64_t index, uint64_t term,
			   uint64_t now_ms)
{
	struct pgq_append_clock_entry *tail;

	if (index == 0 || term == 0)
		return;
	/* Raft truncated its log at index: what we remember from there is gone. */
	while (c->n > 0 && at(c, c->n - 1)->index > index)
		c->n--;
	if (c->n > 0) {
		tail = at(c, c->n - 1);
		if (tail->index == index) {
			if (tail->term == term)
				return; /* keep the first append time */
			c->n--;
		}
	}
	if (c->n == PGQ_APPEND_CLOCK_CAP) {
		c->start = (c->start + 1) % PGQ_APPEND_CLOCK_CAP;
		c->n--;
	}
	tail = at(c, c->n++);
	tail->index = index;
	tail->term = term;
	tail->at_ms = now_ms;
}

uint64_t pgq_append_clock_when(const struct pgq_append_clock *c, uint64_t index, uint64_t term)
{
	size_t lo = 0, hi = c->n;

	/* Indexes increase along the ring: binary search. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cat(c, mid)->index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && cat(c, lo)->index == index && cat(c, lo)->term == term)
		return cat(c, lo)->at_ms;
	return 0;
}

uint64_t pgq_append_clock_age(const struct pgq_append_clock *c, uint64_t index, uint64_t term,
			      uint64_t now_ms, uint64_t max_ms)
{
	uint64_t when = pgq_append_clock_when(c, index, term);
	uint64_t age;

	if (when == 0 || max_ms == 0)
		return 0;
	/* A clock read before the append (never on a monotonic clock) says 1 ms. */
	age = now_ms > when ? now_ms - when : 1;
	return age > max_ms ? max_ms : age;
}

bool pgq_s3_voter_may_be_asked(uint32_t cmd_version)
{
	return cmd_version >= PGQ_S3_LEASE_AGE_MIN_CMD_VERSION;
}

void pgq_s3_reports_reset(struct pgq_s3_reports *r, uint64_t leader_term, uint64_t index,
			  uint64_t term)
{
	memset(r, 0, sizeof *r);
	r->leader_term = leader_term;
	r->index = index;
	r->term = term;
}

bool pgq_s3_reports_for(const struct pgq_s3_reports *r, uint64_t leader_term, uint64_t index,
			uint64_t term)
{
	return r->leader_term == leader_term && r->index == index && r->term == term;
}

bool pgq_s3_reports_add(struct pgq_s3_reports *r, uint64_t from, uint64_t leader_term,
			uint64_t index, uint64_t term, uint64_t age_ms, uint64_t received_ms)
{
	struct pgq_lease_voter_age *a;
	size_t i;

	/* S3: only durations tied to exactly the entry asked about, in this term. */
	if (from == 0 || r->index == 0 || age_ms == 0 ||
	    !pgq_s3_reports_for(r, leader_term, index, term))
		return false;
	for (i = 0; i < r->n; i++)
		if (r->from[i] == from)
			break;
	if (i == r->n) {
		if (r->n == PGQ_S3_REPORTS_MAX)
			return false;
		r->n++;
	}
	r->from[i] = from;
	a = &r->ages[i];
	a->index = index;
	a->term = term;
	a->age_ms = age_ms;
	a->received_ms = received_ms;
	return true;
}

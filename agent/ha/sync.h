/*
 * sync.h — synchronous_standby_names, one safe step at a time (SAFETY.md
 * S7, S10).
 *
 * The invariant: whatever list a walsender may be using, S_pg ⊆ S_rec and
 * k_pg ≥ k_rec, so "every acknowledged commit is flushed on ≥ k_rec members
 * of S_rec" stays true in the record. From (record, PostgreSQL, target) the
 * next step is:
 *   1. PostgreSQL's last change not yet seen by every walsender → wait;
 *   2. grow the record: S_rec ∪ S_target with min(k_rec, k_target)
 *      (adding members and lowering k: record first);
 *   3. set PostgreSQL to the target (removing members and raising k:
 *      PostgreSQL second only to step 2, first before step 4);
 *   4. shrink the record to the target once k_target members of S_target
 *      report flush ≥ the LSN read after PostgreSQL applied the change.
 */
#ifndef PGQ_HA_SYNC_H
#define PGQ_HA_SYNC_H

#include "ha/ha.h"

/* A standby as the primary's agent sees it. */
struct pgq_sync_standby {
	const char *name;
	bool streaming;          /* pg_stat_replication.state = streaming */
	bool nosync;             /* tagged nosync */
	uint64_t flush_lsn;      /* pg_stat_replication.flush_lsn */
};

/* A (set, k) pair; names point at caller-owned strings. */
struct pgq_sync_list {
	size_t n;
	const char *names[PGQ_RECORD_MAX_MEMBERS];
	uint32_t k;
};

struct pgq_sync_input {
	enum pgq_record_sync_mode mode;
	uint32_t node_count;     /* synchronous_node_count */
	bool strict;             /* synchronous_mode_strict */
	const struct pgq_sync_standby *standbys;
	size_t n_standbys;
	struct pgq_sync_list rec;     /* S_rec, k_rec */
	struct pgq_sync_list pg;      /* what PostgreSQL was last set to */
	bool pg_placeholder;          /* PostgreSQL runs the strict-mode placeholder */
	bool pg_applied;              /* every walsender's sync_priority matches pg (S7) */
	uint64_t lsn_after_change;    /* pg_current_wal_lsn() read once pg_applied */
};

enum pgq_sync_step_kind {
	PGQ_SYNC_NONE = 0,       /* converged */
	PGQ_SYNC_WAIT,           /* wait: why says for what */
	PGQ_SYNC_SET_RECORD,     /* propose sync_set_update(list) */
	PGQ_SYNC_SET_PG,         /* set synchronous_standby_names to `text`, reload */
};

#define PGQ_SYNC_TEXT_MAX (PGQ_RECORD_MAX_MEMBERS * (PGQ_RECORD_NAME_MAX * 2 + 4) + 32)

struct pgq_sync_step {
	enum pgq_sync_step_kind kind;
	struct pgq_sync_list list;    /* SET_RECORD / SET_PG: the new (set, k) */
	bool placeholder;             /* SET_PG: the strict-mode placeholder */
	char text[PGQ_SYNC_TEXT_MAX]; /* SET_PG: synchronous_standby_names */
	char why[160];
};

/* The placeholder standby name of strict mode: no member can be called so. */
#define PGQ_SYNC_PLACEHOLDER "pgquorum:no-sync-standby"

/* The target (set, k) for the current standbys (names point into in->standbys). */
void pgq_sync_target(const struct pgq_sync_input *in, struct pgq_sync_list *out,
		     bool *placeholder);

/* The next safe step. */
void pgq_sync_next_step(const struct pgq_sync_input *in, struct pgq_sync_step *out);

/*
 * Render synchronous_standby_names: "" for k = 0, FIRST k ("a", "b") in mode
 * on, ANY k ("a", "b") in mode quorum; names double-quoted, '"' doubled.
 * Returns 0, or -1 when `len` is too small (out is then "").
 */
int pgq_sync_render(enum pgq_record_sync_mode mode, const struct pgq_sync_list *l,
		    char *out, size_t len);

/* (S_rec, k_rec) as a list; names point into the record (valid until its next apply). */
void pgq_sync_list_from_record(const struct pgq_record *r, struct pgq_sync_list *out);

/*
 * A SET_RECORD step as the command to propose: sync_set_update from `me`,
 * a CAS on the record's epoch and lease_seq (S4, S7). Only the recorded
 * primary holding its lease may propose it: otherwise nothing is added and
 * PGQ_RECORD_REJECTED is returned. Returns 0 or a builder error.
 */
int pgq_sync_propose(const struct pgq_record *r, const char *me, const struct pgq_sync_step *s,
		     struct pgq_ha_cmds *out);

#endif /* PGQ_HA_SYNC_H */

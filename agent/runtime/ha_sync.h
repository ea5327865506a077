/*
 * ha_sync.h — the primary's agent keeps synchronous_standby_names and the
 * recorded synchronous set in step (SAFETY.md S7, S10, S11), driving the
 * pure steps of agent/ha/sync.c. Loop thread only.
 */
#ifndef PGQ_RUNTIME_HA_SYNC_H
#define PGQ_RUNTIME_HA_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/sync.h"

/* What this agent last wrote into synchronous_standby_names, and whether
 * every walsender uses it (S7). Plain data inside struct ha_driver. */
struct ha_sync_state {
	uint64_t epoch;                /* the epoch this state belongs to; 0: unknown */
	char names[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX]; /* in rendered order */
	size_t n;
	uint32_t k;
	bool placeholder;              /* strict mode's placeholder (writes block) */
	enum pgq_record_sync_mode mode;/* the mode the text was rendered in */
	char text[PGQ_SYNC_TEXT_MAX];  /* the value written into pgquorum.conf */
	bool need_write;               /* text not yet written + reloaded */
	uint64_t written_ms;           /* when the last write + reload was started */
	uint64_t match_seq;            /* first probe that showed it applied; 0 none */
	bool applied;                  /* S7: every walsender's sync_priority matches */
	uint64_t lsn_after_change;     /* pg_current_wal_flush_lsn() read after applied */
	uint64_t seen_seq;             /* last health probe looked at */
	/* The one record proposal in flight (S4/S7: never two at once). */
	bool rec_inflight;
	uint64_t rec_lease_seq;        /* its CAS lease_seq */
	size_t rec_n;
	uint32_t rec_k;
	char rec_names[PGQ_RECORD_MAX_MEMBERS][PGQ_RECORD_NAME_MAX];
	uint64_t rec_sent_ms;
	char last_why[160];
};

struct ha_driver;

/*
 * The synchronous_standby_names value to write into pgquorum.conf now.
 * Not the recorded primary: '' (or nothing to wait for). The recorded
 * primary: what this agent set in this epoch, else the record's own
 * (S_rec, k_rec) — always within S7's bounds — which at a promotion is the
 * new epoch's empty set: '' or, in strict mode, the placeholder (S10).
 */
const char *ha_sync_conf_value(struct ha_driver *d);

/* One step of S7 after a fresh health probe, when this member is the
 * writable primary holding its lease; may start a reload (d->op). */
void ha_sync_drive(struct ha_driver *d, bool caught_up);

#endif /* PGQ_RUNTIME_HA_SYNC_H */

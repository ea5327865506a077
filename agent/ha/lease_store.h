/*
 * lease_store.h — S14: "The agent persists each lease end as (boot id,
 * boot time); at start, a writable PostgreSQL with no persisted lease
 * covering now is fenced."
 *
 * What is persisted: the lease this member holds (epoch, the record's
 * lease_seq it matched, its end on CLOCK_BOOTTIME) with the kernel's boot
 * id, and the epoch it self-fenced in (C4: never writable again in it). A
 * lease end written to disk is always one a committed renewal granted; the
 * file may lag the lease in memory (it is written off the loop thread), so
 * a restart can only see an *earlier* end — the safe direction. A lease
 * the member gave up (fenced) is written as "none".
 *
 * At start the runtime restores the persisted lease only when the boot id
 * is the same (CLOCK_BOOTTIME restarts at every boot) and now is before
 * its end; then, before anything else acts, a writable PostgreSQL without
 * such a lease is fenced (pgq_ha_startup_must_fence). A restart of the
 * agent within its lease therefore keeps the primary running.
 *
 * Pure functions (text in, text out); the runtime does the I/O
 * (agent/runtime/ha_lease_file.c).
 */
#ifndef PGQ_HA_LEASE_STORE_H
#define PGQ_HA_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/lease.h"
#include "ha/member.h"

/* The file, in raft.data_dir. */
#define PGQ_LEASE_FILE_NAME "pgquorum-lease"
#define PGQ_BOOT_ID_MAX 64

struct pgq_lease_persisted {
	char boot_id[PGQ_BOOT_ID_MAX]; /* /proc/sys/kernel/random/boot_id */
	uint64_t epoch;                /* the lease's epoch, 0: no lease */
	uint64_t committed_seq;        /* record lease_seq after the renewal that granted it */
	uint64_t lease_end_ms;         /* CLOCK_BOOTTIME of that boot; 0: no lease */
	uint64_t fenced_epoch;         /* C4: self-fenced in this epoch, 0: none */
};

/* What to persist for `st` on boot `boot_id`. */
void pgq_lease_persisted_from_state(const struct pgq_ha_member_state *st, const char *boot_id,
				    struct pgq_lease_persisted *out);

bool pgq_lease_persisted_equal(const struct pgq_lease_persisted *a,
			       const struct pgq_lease_persisted *b);

/* Text form (a few "key value" lines). Returns 0, or -1 when buf is too small. */
int pgq_lease_persisted_format(const struct pgq_lease_persisted *p, char *buf, size_t n);

/* Strict parse of the text form. Returns 0, or -1 with err (the file is then ignored). */
int pgq_lease_persisted_parse(const char *text, struct pgq_lease_persisted *out, char *err,
			      size_t errlen);

/*
 * S14: restore into `st` (zero-initialised by the caller) what `p` allows
 * on boot `boot_id` at now_ms: the lease when the boot id matches, now is
 * before its end, and the end is no further than the longest ttl ahead
 * (a damaged file grants nothing); the fenced epoch always. Returns true
 * when a lease was restored.
 */
bool pgq_lease_persisted_restore(const struct pgq_lease_persisted *p, const char *boot_id,
				 uint64_t now_ms, struct pgq_ha_member_state *st);

/*
 * S14: at start, before any other action: true when PostgreSQL may be
 * writable (running or not answering, not known to be in recovery) and no
 * lease restored from disk covers now_ms.
 */
bool pgq_ha_startup_must_fence(const struct pgq_ha_pg_obs *pg, const struct pgq_lease *restored,
			       uint64_t now_ms);

#endif /* PGQ_HA_LEASE_STORE_H */

/*
 * slots.h — physical replication slots for the other members (L6): one per
 * member on every member, named from the member's name, created with WAL
 * reserved at once, advanced on standbys, dropped only when the HA logic
 * says so (member removed, or member_slots_ttl passed). Which slots exist
 * is in every health probe (health.h).
 */
#ifndef PGQ_PGMGR_SLOTS_H
#define PGQ_PGMGR_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "pgmgr/sql.h"

#define PGMGR_SLOT_NAME_MAX 63

/*
 * The slot name of a member: lowercase, [a-z0-9_], at most 63 bytes. A
 * name that is already valid is kept as is; any other (upper case, other
 * characters, too long) gets "_" and 8 hex digits of a hash of the whole
 * original name appended, so "Node-1" and "node_1" do not collide. The same
 * on every agent (pure function of the name). out needs 64 bytes.
 * Returns 0, or -1 for an empty name or a short buffer.
 */
int pgmgr_slot_name(const char *member_name, char *out, size_t outlen);

/*
 * SQL builders (pure). names must be valid slot names (pgmgr_slot_name's
 * output); *out is malloc'd. Returns 0 or -1 (invalid name, no memory).
 *  ensure: creates the missing ones (immediately_reserve = true);
 *  drop:   drops those that exist and are not active (an active slot is left
 *          for a later call: the walsender must end first);
 *  advance: moves one slot's restart point forward to lsn.
 */
int pgmgr_slots_sql_ensure(const char *const *names, size_t n, char **out);
int pgmgr_slots_sql_drop(const char *const *names, size_t n, char **out);
int pgmgr_slots_sql_advance(const char *name, uint64_t lsn, char **out);

/* Asynchronous forms (one connection each). cb as pgmgr_sql_exec. */
int pgmgr_slots_ensure(uv_loop_t *loop, const char *conninfo, const char *const *names, size_t n,
		       uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen);
int pgmgr_slots_drop(uv_loop_t *loop, const char *conninfo, const char *const *names, size_t n,
		     uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen);
int pgmgr_slots_advance(uv_loop_t *loop, const char *conninfo, const char *name, uint64_t lsn,
			uint32_t timeout_ms, pgmgr_sql_done_cb cb, void *ctx, char *err, size_t errlen);

#endif /* PGQ_PGMGR_SLOTS_H */

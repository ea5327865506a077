/*
 * promote.h — promotion with a deadline (L5): SELECT pg_promote(false),
 * then poll pg_is_in_recovery() until it answers false or promote_timeout
 * passes. pg_promote() may return before (or claim failure while) replay
 * still runs, so only the poll decides. On a timeout the caller must fence
 * (S5) and record the failure; this module does neither.
 *
 * S12 / S10 belong to the caller, before this call: the recorded .history
 * files are in pg_wal (conf.h pgmgr_conf_write), synchronous_standby_names
 * is ''. S14: re-create standby.signal right after a promotion.
 */
#ifndef PGQ_PGMGR_PROMOTE_H
#define PGQ_PGMGR_PROMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pgmgr_promote_result {
	bool promoted;           /* pg_is_in_recovery() answered false */
	bool timed_out;          /* promote_timeout passed first */
	const char *error;       /* last error seen ("" if none) */
	uint64_t elapsed_ms;
	unsigned polls;
};

typedef void (*pgmgr_promote_cb)(void *ctx, const struct pgmgr_promote_result *r);

struct pgmgr_promote;

/*
 * conninfo: the local instance (conninfo.h, local_agent). timeout_ms 0: 60 s;
 * poll_ms 0: 100. Returns 0 (cb runs once, from the loop) or -1 with err.
 */
int pgmgr_promote_start(uv_loop_t *loop, const char *conninfo, uint32_t timeout_ms, uint32_t poll_ms,
			pgmgr_promote_cb cb, void *ctx, struct pgmgr_promote **out,
			char *err, size_t errlen);
/* The callback never runs after this; call only before the callback ran. */
void pgmgr_promote_cancel(struct pgmgr_promote *p);

#endif /* PGQ_PGMGR_PROMOTE_H */

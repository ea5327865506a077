/*
 * record_cmd.h — builders for the cluster record's commands.
 *
 * Each builder produces the canonical JSON bytes of one command
 * ({"v":1,"cmd":...}, keys sorted) for raft_propose(). Builders check only
 * what the encoding needs (required strings present, integers within
 * [0, INT64_MAX]); the record validates everything again at apply (S17), so
 * a bad command built here is simply rejected everywhere.
 *
 * Ownership: on success *out is malloc'd and owned by the caller (free()).
 * Returns 0, PGQ_RECORD_ERR_INVALID or PGQ_RECORD_ERR_NOMEM.
 * Times (time_ms, at_ms) are wall-clock milliseconds since 1970 read by the
 * proposer: apply never reads a clock (S17).
 */
#ifndef PGQ_RECORD_CMD_H
#define PGQ_RECORD_CMD_H

#include "record/record.h"

/* Tags of a member; custom may be NULL (no custom tags), it is copied. */
struct pgq_cmd_tags {
	bool nofailover;
	bool noloadbalance;
	bool nosync;
	int32_t failover_priority;
	const json_t *custom;
};

struct pgq_cmd_member {
	const char *name;
	const char *raft_address;
	const char *api_url;     /* may be NULL */
	const char *pg_address;  /* may be NULL */
	const struct pgq_cmd_tags *tags; /* NULL: default tags */
};

/* A status report (S9): report_for_loss is the primary_lost index it follows, or 0. */
struct pgq_cmd_report {
	const char *member;
	const char *role;        /* "primary" | "replica" | "unknown" */
	const char *state;       /* running, stopped, ... */
	uint32_t timeline;
	uint64_t receive_lsn;
	uint64_t replay_lsn;
	uint64_t flush_lsn;
	uint64_t lag_bytes;
	bool pending_restart;
	uint64_t report_for_loss;
	uint64_t time_ms;
};

/*
 * S15: members in raft.peers order get raft ids 1..n. primary, config and
 * system_id may be NULL (primary NULL: PostgreSQL not managed, no primary).
 */
int pgq_cmd_bootstrap(const char *scope, const char *cluster_id,
		      const struct pgq_cmd_member *members, size_t n, const char *primary,
		      const json_t *config, const char *system_id, uint64_t time_ms,
		      uint8_t **out, size_t *out_len);
int pgq_cmd_member_add(const struct pgq_cmd_member *m, uint64_t time_ms,
		       uint8_t **out, size_t *out_len);
/* Changes api_url, pg_address and tags where not NULL; raft_address is ignored. */
int pgq_cmd_member_update(const struct pgq_cmd_member *m, uint8_t **out, size_t *out_len);
int pgq_cmd_member_promote(const char *name, uint8_t **out, size_t *out_len);
int pgq_cmd_member_remove(const char *name, bool automatic, uint8_t **out, size_t *out_len);
int pgq_cmd_member_report(const struct pgq_cmd_report *rep, uint8_t **out, size_t *out_len);
int pgq_cmd_system_id(const char *member, uint64_t epoch, const char *system_id,
		      uint8_t **out, size_t *out_len);

int pgq_cmd_lease_renew(const char *member, uint64_t epoch, uint64_t lease_seq, uint64_t nonce,
			uint32_t ttl_ms, uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_lease_release(const char *member, uint64_t epoch, uint64_t lease_seq,
			  const char *reason, uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_primary_lost(uint64_t epoch, uint64_t lease_seq, uint64_t time_ms,
			 uint8_t **out, size_t *out_len);
/* epoch/lease_seq are the *current* ones (CAS); the new primary gets epoch + 1. */
int pgq_cmd_set_primary(const char *member, uint64_t epoch, uint64_t lease_seq,
			enum pgq_change_reason reason, bool allow_data_loss, uint64_t lsn,
			uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_promoted(const char *member, uint64_t epoch, uint32_t tli, uint64_t switch_lsn,
		     uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_vetoed(const char *member, uint64_t epoch, uint64_t lease_seq, const char *reason,
		   uint64_t time_ms, uint8_t **out, size_t *out_len);
/* waiting_for "" clears the block. */
int pgq_cmd_failover_blocked(uint64_t epoch, uint64_t lease_seq, const char *waiting_for,
			     uint64_t time_ms, uint8_t **out, size_t *out_len);

int pgq_cmd_switchover_request(const char *from, const char *to, uint64_t epoch,
			       uint64_t lease_seq, uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_demoted(const char *member, uint64_t epoch, uint64_t lease_seq, uint64_t final_lsn,
		    uint32_t tli, uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_switchover_abort(uint64_t epoch, enum pgq_switchover_phase phase, const char *reason,
			     uint64_t time_ms, uint8_t **out, size_t *out_len);
/* to may be NULL or "" (best candidate). */
int pgq_cmd_switchover_schedule(const char *from, const char *to, uint64_t at_ms,
				uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_switchover_cancel(uint64_t time_ms, uint8_t **out, size_t *out_len);

int pgq_cmd_sync_set_update(const char *member, uint64_t epoch, uint64_t lease_seq,
			    const char *const *names, size_t n, uint32_t k,
			    uint8_t **out, size_t *out_len);
/* RFC 7386 merge patch (null deletes a key); patch is copied. */
int pgq_cmd_config_patch(const json_t *patch, uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_config_replace(const json_t *config, uint64_t time_ms, uint8_t **out, size_t *out_len);
/*
 * L8, S19, S4: an operator confirms that former primary `member` is fenced for
 * the blocked promotion of `epoch` (its required fence keeps failing).
 * Command version 2 (PGQ_RECORD_CMD_VERSION_FENCE_CONFIRM).
 */
int pgq_cmd_fence_confirm(const char *member, uint64_t epoch, uint64_t time_ms, uint8_t **out,
			  size_t *out_len);
int pgq_cmd_pause(uint64_t time_ms, uint8_t **out, size_t *out_len);
int pgq_cmd_resume(uint64_t time_ms, uint8_t **out, size_t *out_len);

#endif /* PGQ_RECORD_CMD_H */

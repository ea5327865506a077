/*
 * runtime_internal.h — the agent's state, shared by the runtime's files.
 * Nothing here is used outside agent/runtime/. Everything in struct
 * pgq_runtime is touched on the loop thread only.
 */
#ifndef PGQ_RUNTIME_INTERNAL_H
#define PGQ_RUNTIME_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "notify/notify.h"
#include "pgq_config.h"
#include "raft/raft.h"
#include "record/record.h"
#include "rest/rest.h"
#include "runtime/node.h"
#include "storage/storage.h"
#include "transport/transport.h"

/* First byte of a test entry (test hooks); record commands are JSON ('{'). */
#define PGQ_TEST_ENTRY_TAG 0x01
#define PGQ_TEST_ENTRY_LEN 9

/* Snapshot envelope written by the runtime (record bytes + test log). */
#define PGQ_SNAPSHOT_MAGIC 0x50475153u /* "PGQS" */

#define PGQ_MAX_PENDING 256

enum runtime_phase {
	PHASE_PROBING = 0,  /* no Raft state: waiting to bootstrap or join (S15) */
	PHASE_RUNNING,
	PHASE_STOPPING,
};

/* What a peer said about itself in its handshake (S15 probe). */
struct peer_probe {
	char name[PGQ_RECORD_NAME_MAX];
	raft_id_t id;
	bool seen;
	bool has_state;
	char cluster_id[PGQ_RECORD_TEXT_MAX];
};

/* A REST write that waits for an entry to apply (or a deadline). */
enum pending_kind {
	PENDING_TEST_ENTRY = 1,   /* key: test sequence number */
	PENDING_MEMBER_ADD,       /* key: member name */
	PENDING_MEMBER_REMOVE,    /* key: member name */
	/* key (seq): rt_entry_key() of the proposed record command (api_config.c) */
	PENDING_CONFIG,           /* PATCH/PUT /config, its pause/resume */
	PENDING_SCHEDULE,         /* POST /switchover with scheduled_at */
	PENDING_CANCEL,           /* DELETE /switchover */
	PENDING_PRIMARY_CHANGE,   /* POST /switchover now, POST /failover: until the new primary
				   * is promoted (api.c) */
	PENDING_FENCE_CONFIRM,    /* POST /fence/confirm (api_fence.c), keyed like PENDING_CONFIG */
};

struct pending {
	enum pending_kind kind;
	struct pgq_rest_call *call;
	uint64_t seq;
	char name[PGQ_RECORD_NAME_MAX];
	uint64_t deadline_ms;
	int then_pause;           /* PENDING_CONFIG: pause (1) / resume (0) next, -1 none */
	int want_pause;           /* PENDING_CONFIG: this entry is pause (1) / resume (0), -1 not */
	uint8_t *cmd;             /* config/schedule/cancel: the command's bytes (owned), to send
				   * again after a change of leader; freed with the entry */
	size_t cmd_len;
	/* PENDING_PRIMARY_CHANGE: the epoch when asked, whether the entry applied
	 * (then only the record's progress is awaited), failover or switchover. */
	uint64_t epoch_before;
	uint64_t lease_seq_sent;  /* the lease_seq the command carries (S4) */
	unsigned attempts;        /* commands built: resent after a renewal race */
	bool applied;
	bool failover;
};

struct ha_driver;

/* GET /metrics, the loop's part (metrics_feed.c). */
struct rt_metrics;
struct rt_metrics_probe {
	struct rt_metrics *metrics;
	struct pgmgr_sql *q;              /* in flight, NULL otherwise */
};
struct rt_metrics {
	uint64_t leader_changes, failovers, switchovers;
	uint64_t seen_epoch;              /* 0: none seen yet */
	struct rt_metrics_probe probes[RAFT_MAX_MEMBERS];
	size_t outstanding;               /* probes of the current round still out */
	size_t round_primaries;           /* answered "not in recovery" this round */
	uint64_t last_round_ms;           /* uv_now() of the last round's start; 0 none */
	int primaries_observed;           /* last complete round; -1 none yet */
};

struct pgq_runtime {
	uv_loop_t loop;
	const char *config_path;
	struct pgq_config *cfg;
	enum runtime_phase phase;
	int exit_code;
	char fatal[512];

	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t tick_timer;        /* Raft ticks; also the liveness beat */
	uv_timer_t report_timer;      /* member_report every loop_wait */
	uv_timer_t probe_timer;       /* bootstrap decision while probing */
	struct pgq_notify notify;     /* systemd (Type=notify, WatchdogSec) */
	uint64_t watchdog_interval_ms;
	uint64_t last_watchdog_ms;
	bool notified_ready;
	uint32_t tick_ms;

	raft_id_t self_id;
	struct pgq_storage *storage;  /* owned here until the node takes it */
	struct pgq_node *node;
	struct pgq_transport *transport;
	bool transport_closing;
	struct pgq_record *record;
	struct pgq_rest *rest;
	bool test_hooks;

	struct peer_probe probes[RAFT_MAX_MEMBERS];
	size_t n_probes;
	uint64_t probe_started_ms;
	bool joined;                  /* started without a configuration: joining (no bootstrap) */
	bool identity_written;
	char cluster_id[PGQ_RECORD_TEXT_MAX];
	bool bootstrap_proposed_term_valid;
	raft_term_t bootstrap_proposed_term;

	/* The test log: sequence numbers of applied test entries, in order. */
	uint64_t *test_seqs;
	size_t n_test_seqs, cap_test_seqs;

	struct pending pending[PGQ_MAX_PENDING];
	size_t n_pending;

	raft_index_t compact_wanted;  /* compact at this applied index after advance (0: no) */
	raft_index_t last_compact;
	enum raft_role last_role;
	raft_id_t last_leader;
	uint64_t last_reconcile_ms;
	uint64_t report_inflight;     /* a forwarded report is on its way (thread pool) */
	char promote_proposed[PGQ_RECORD_NAME_MAX]; /* member_promote in flight (dedup) */
	uint64_t promote_proposed_ms;
	bool view_dirty;              /* status changed since the last publish */
	struct ha_driver *ha;         /* postgresql.manage: the HA driver (ha_driver.c), else NULL */
	unsigned forwards_inflight;   /* HA commands on their way to the leader (status.c) */
	unsigned rest_forwards_inflight; /* REST writes on their way to the leader (status.c) */
	bool record_dirty;            /* the record changed since the last publish */
	struct rt_metrics metrics;
};

/* The restapi section's TLS files as the REST server takes them (runtime.c). */
struct pgq_rest_tls_files rt_rest_tls_files(const struct pgq_config *cfg);

/*
 * metrics_feed.c: start a round of direct pg_is_in_recovery() probes of
 * every member (every loop_wait; skipped while one is out), publish the
 * counters and lags to the REST server, cancel the probes at shutdown.
 */
void rt_metrics_poll(struct pgq_runtime *rt);
void rt_metrics_publish(struct pgq_runtime *rt);
void rt_metrics_stop(struct pgq_runtime *rt);

/* Tell systemd the current role (STATUS=...), READY=1 the first time. */
void rt_notify_status(struct pgq_runtime *rt);
/* SIGHUP and POST /reload: re-read the configuration file, reload PostgreSQL (reason: for on_reload). */
void rt_reload(struct pgq_runtime *rt, const char *reason);

/* Stop the agent with exit status 1 after a fatal error (logged here). */
void pgq_runtime_fatal(struct pgq_runtime *rt, const char *message);

uint64_t rt_now_ms(void);       /* CLOCK_MONOTONIC, for deadlines */
uint64_t rt_wall_ms(void);      /* wall clock, only as data inside entries */

/* peers.c: the transport glue. */
int rt_transport_start(struct pgq_runtime *rt, bool has_state, char *err, size_t errlen);
void rt_send(void *ctx, const struct raft_msg *m);
void rt_sync_peers(struct pgq_runtime *rt);
const char *rt_peer_name(const struct pgq_runtime *rt, raft_id_t id);

/* bootstrap.c: S15. */
int rt_start(struct pgq_runtime *rt, char *err, size_t errlen);
void rt_bootstrap_check(struct pgq_runtime *rt);
void rt_on_record_bootstrapped(struct pgq_runtime *rt);
struct raft_config rt_founding_config(const struct pgq_runtime *rt);

/* apply.c: committed entries, snapshots, compaction. */
void rt_apply(void *ctx, const struct raft_entry *e);
void rt_restore(void *ctx, const struct raft_snapshot *s);
void rt_maybe_compact(struct pgq_runtime *rt);

/* membership.c: learners, promotion, removal (leader only). */
void rt_reconcile(struct pgq_runtime *rt);

/* api.c: REST writes on the loop. */
void rt_on_call(void *ctx, struct pgq_rest_call *call);
void rt_pending_resolve(struct pgq_runtime *rt, enum pending_kind kind, uint64_t seq,
			const char *name, unsigned status, json_t *reply);
void rt_pending_expire(struct pgq_runtime *rt, bool all);
/* POST /switchover (now) and /failover: answer the waiting calls whose primary
 * change the record shows done or failed (after each batch and tick). */
void rt_api_primary_change_poll(struct pgq_runtime *rt);
/* The entry under key applied (accepted or refused): a waiting primary change learns it. */
void rt_api_primary_change_entry(struct pgq_runtime *rt, uint64_t key, bool accepted,
				 const char *reason);
/* Remove pending entry i (frees what it owns; does not answer its call). */
void rt_pending_drop(struct pgq_runtime *rt, size_t i);
/* Leadership lost: send the waiting config/schedule/cancel commands to the new leader. */
bool rt_api_resend_after_leader_change(struct pgq_runtime *rt, size_t i);
bool rt_pending_forwardable(const struct pending *p);
/* Remove the forwardable call waiting under key, unanswered; NULL when none. */
struct pgq_rest_call *rt_pending_take(struct pgq_runtime *rt, uint64_t key);
/* Wait for a proposed record command: 0, or -1 after answering the call (503). */
int rt_pending_add(struct pgq_runtime *rt, struct pgq_rest_call *call, enum pending_kind kind,
		   uint64_t seq, const char *name);
bool rt_is_leader(const struct pgq_runtime *rt);
/* Not the leader: answer 307 to the leader's REST URL, or 503 when none is known. */
void rt_redirect_to_leader(struct pgq_runtime *rt, struct pgq_rest_call *call);

/* api_config.c: GET/PATCH/PUT /config, GET /history, scheduled switchovers. */
void rt_api_config_get(struct pgq_runtime *rt, struct pgq_rest_call *call);
void rt_api_config_write(struct pgq_runtime *rt, struct pgq_rest_call *call, bool replace);
void rt_api_history(struct pgq_runtime *rt, struct pgq_rest_call *call);
void rt_api_switchover_schedule(struct pgq_runtime *rt, struct pgq_rest_call *call,
				const char *from, const char *to);
void rt_api_switchover_cancel(struct pgq_runtime *rt, struct pgq_rest_call *call);
/* The key a waiting call knows its entry by (FNV-1a of the command bytes). */
uint64_t rt_entry_key(const uint8_t *data, size_t len);
/*
 * The leader did not take a forwarded REST write (HTTP status, -1 no
 * answer; data/len the command, attempt its number): sent again to the
 * current leader a few times, else the call gets 503.
 */
void rt_api_forward_failed(struct pgq_runtime *rt, uint64_t key, int http_status,
			   const uint8_t *data, size_t len, unsigned attempt);
/*
 * Propose a built record command (build_rc from its builder) through Raft
 * from any member — proposed here on the leader, else forwarded to it, else
 * a 307 — and answer `call` once the entry applied here (kind says how;
 * want_pause/then_pause: PENDING_CONFIG only, else -1). Answers the call
 * itself on failure; takes c->data.
 */
struct cmd;
void rt_api_propose_and_wait(struct pgq_runtime *rt, struct pgq_rest_call *call,
			     enum pending_kind kind, int build_rc, struct cmd *c, int want_pause,
			     int then_pause);
/* api_fence.c: POST /fence/confirm {member} (L8), and its answer once applied. */
void rt_api_fence_confirm(struct pgq_runtime *rt, struct pgq_rest_call *call);
void rt_api_fence_confirm_applied(struct pgq_runtime *rt, struct pgq_rest_call *call,
				  bool accepted, const char *reason);
/* Every applied record command: answer the calls that wait for it. */
void rt_api_entry_applied(struct pgq_runtime *rt, const uint8_t *data, size_t len,
			  bool accepted, const char *reason);

/* status.c: published views and member reports. */
void rt_publish(struct pgq_runtime *rt);
void rt_report(struct pgq_runtime *rt);
char *rt_leader_api_url(const struct pgq_runtime *rt); /* malloc'd or NULL */
/* Send a record command (canonical JSON) to the leader's POST /propose (thread pool). */
void rt_forward_command(struct pgq_runtime *rt, const uint8_t *data, size_t len);
/* Same for a REST write waiting under `key` (api_config.c); -1: not sent, redirect instead. */
int rt_forward_rest_command(struct pgq_runtime *rt, const uint8_t *data, size_t len, uint64_t key,
			    unsigned attempt);

/* commands.c: record commands, built by the record module (record_cmd.h). */
struct cmd {
	uint8_t *data;   /* malloc'd by the builder; freed by rt_propose_cmd */
	size_t len;
};
int cmd_build_bootstrap(const struct pgq_runtime *rt, const char *cluster_id, struct cmd *out);
int cmd_build_member_add(const char *name, const char *raft_address, const char *api_url,
			 struct cmd *out);
int cmd_build_member_promote(const char *name, struct cmd *out);
int cmd_build_member_remove(const char *name, struct cmd *out);
int cmd_build_member_report(const char *name, const char *state, uint64_t time_ms,
			    struct cmd *out);

/* Propose what a cmd_build_* made (build_rc its result); frees c->data. */
int rt_propose_cmd(struct pgq_runtime *rt, int build_rc, struct cmd *c);

#endif /* PGQ_RUNTIME_INTERNAL_H */

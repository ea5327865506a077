/*
 * transport.h — the peer transport between agents (TCP on the agent's libuv
 * loop). It moves opaque byte payloads (one encoded Raft message each, see
 * raft_msg_encode) between named members; it never looks inside them.
 *
 * Shape: one outbound connection per peer carries everything this agent sends
 * to it (reconnect with backoff and jitter); inbound connections, accepted on
 * the listen address, carry what peers send to us. Every connection starts
 * with a HELLO handshake that names the scope, the cluster id and the member;
 * another cluster or an unknown member is refused (REFUSE frame + close).
 * Payloads larger than chunk_bytes are sent as RAFT_CHUNK frames interleaved
 * with small messages, so an 8 MiB snapshot does not delay heartbeats.
 * See docs/transport.md.
 *
 * Threading: everything runs on the loop thread; no function is thread-safe.
 * Callbacks may call any function of this API, including pgq_transport_close.
 * Memory is freed only from libuv close callbacks, so nothing a callback gets
 * disappears under it.
 */
#ifndef PGQ_TRANSPORT_H
#define PGQ_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "transport/frame.h"

struct pgq_transport;

struct pgq_transport_config {
	const char *scope;        /* required; copied */
	const char *cluster_id;   /* NULL or "" before bootstrap; copied */
	const char *member_name;  /* required, this agent's name; copied */
	uint64_t raft_id;         /* required, non-zero */
	bool has_state;           /* answer to S15's "do you have state?" */
	size_t max_message_bytes; /* one Raft message incl. snapshot; 0: 64 MiB */
	size_t chunk_bytes;       /* larger payloads are chunked; 0: 64 KiB */
	size_t send_queue_bytes;  /* per-peer queue bound; 0: max_message + 8 MiB */
	uint32_t handshake_timeout_ms; /* connect + HELLO deadline; 0: 5000 */
	uint32_t write_timeout_ms; /* a write batch stuck this long closes the
				    * connection (peer stopped reading); 0: 10000 */
	uint32_t backoff_min_ms;  /* 0: 50 */
	uint32_t backoff_max_ms;  /* 0: 2000 */
	uint64_t seed;            /* jitter PRNG seed; 0: from the clock and pid */
};

/* What a peer told us about itself in its handshake (S15 bootstrap probe). */
struct pgq_transport_peer_hello {
	const char *name;         /* borrowed for the duration of the callback */
	uint64_t id;
	const char *cluster_id;   /* "" when the peer has none yet */
	bool has_state;
	bool inbound;             /* learned from its HELLO (true) or HELLO_ACK */
};

/* All callbacks are optional (NULL) and get the ctx given to pgq_transport_new. */
struct pgq_transport_callbacks {
	/* A whole Raft message from an authenticated peer. payload is borrowed:
	 * valid only during the call. */
	void (*on_raft)(void *ctx, const char *peer_name, uint64_t peer_id,
			const uint8_t *payload, size_t len);
	/* S3: a valid LEASE_AGE query or answer from an authenticated peer
	 * (fields already checked by pgq_frame_lease_age_decode). */
	void (*on_lease_age)(void *ctx, const char *peer_name, uint64_t peer_id,
			     const struct pgq_frame_lease_age *a);
	/* Messages to this peer were lost (connection failed or dropped, queue
	 * full): the caller should call raft_report_unreachable(). */
	void (*on_unreachable)(void *ctx, const char *peer_name, uint64_t peer_id);
	/* The outbound connection to this peer completed its handshake. */
	void (*on_connected)(void *ctx, const char *peer_name, uint64_t peer_id);
	/* A handshake with this peer succeeded in either direction. */
	void (*on_peer_hello)(void *ctx, const struct pgq_transport_peer_hello *hello);
};

/* Per-peer counters (for /metrics). */
struct pgq_transport_peer_stats {
	bool connected;           /* outbound handshake done */
	bool inbound_connected;   /* an authenticated inbound connection exists */
	bool blocked;             /* test-only traffic filter on */
	uint64_t bytes_sent;      /* wire bytes, headers included */
	uint64_t bytes_received;
	uint64_t messages_sent;   /* whole Raft messages fully handed to the kernel */
	uint64_t messages_received;
	uint64_t messages_dropped;/* queue full, connection lost, or blocked */
	uint64_t connect_attempts;
	uint64_t reconnects;      /* handshakes completed after the first */
	uint64_t queue_bytes;     /* payload bytes waiting to be sent */
};

/* Transport-wide counters. */
struct pgq_transport_stats {
	uint64_t accepted;        /* inbound TCP connections */
	uint64_t handshakes_refused; /* inbound handshakes we refused */
	uint64_t protocol_errors; /* connections closed for a bad frame */
	uint64_t refused_by_peer; /* REFUSE frames received on outbound */
};

/*
 * Creates a transport on loop. cfg strings are copied; cb is copied; ctx is
 * the caller's and passed to every callback. Returns 0 and *out, or -1 with err.
 */
int pgq_transport_new(uv_loop_t *loop, const struct pgq_transport_config *cfg,
		      const struct pgq_transport_callbacks *cb, void *ctx,
		      struct pgq_transport **out, char *err, size_t errlen);

/* Listens on "host:port" (numeric address; port 0 picks a free port). */
int pgq_transport_listen(struct pgq_transport *t, const char *addr, char *err, size_t errlen);
/* The bound port after pgq_transport_listen (0 if not listening). */
int pgq_transport_listen_port(const struct pgq_transport *t);

/*
 * Adds a peer (name and id unique, not ourselves); starts connecting at once.
 * addr is "host:port" or "[v6]:port"; a host name is resolved asynchronously
 * on each connect attempt. Adding a peer that exists with the same name and
 * id is not an error: a new address replaces the old one (the connection is
 * re-dialled), the same address is a no-op. Returns 0, or -1 with err (bad
 * argument, or a name or id already used by another peer).
 */
int pgq_transport_add_peer(struct pgq_transport *t, const char *name, uint64_t id,
			   const char *addr, char *err, size_t errlen);
/* Removes a peer: closes its connections, drops its queue. -1 if unknown. */
int pgq_transport_remove_peer(struct pgq_transport *t, uint64_t id);

/*
 * Queues a copy of payload for peer_id. Returns 0 when queued; -1 when the
 * message was dropped (unknown peer, too large, queue full, blocked, closing).
 * A drop for a known peer also calls on_unreachable, except when blocked (a
 * partition is silent).
 */
int pgq_transport_send(struct pgq_transport *t, uint64_t peer_id,
		       const uint8_t *payload, size_t len);

/*
 * S3: queues a LEASE_AGE frame (small queue, never chunked) for peer_id.
 * Returns 0, or -1 when dropped (invalid fields, as pgq_transport_send).
 * A peer built before this frame existed closes the connection on it
 * (unknown frame type) and reconnects; see docs/transport.md.
 */
int pgq_transport_send_lease_age(struct pgq_transport *t, uint64_t peer_id,
				 const struct pgq_frame_lease_age *a);

/* Sets the cluster id (after bootstrap or join); used by later handshakes. */
int pgq_transport_set_cluster_id(struct pgq_transport *t, const char *cluster_id);
void pgq_transport_set_has_state(struct pgq_transport *t, bool has_state);

/*
 * TEST ONLY: drop everything to and from peer_name (a partition without
 * root). Returns -1 if no such peer.
 */
int pgq_transport_set_blocked(struct pgq_transport *t, const char *peer_name, bool blocked);

int pgq_transport_peer_stats(const struct pgq_transport *t, uint64_t peer_id,
			     struct pgq_transport_peer_stats *out);
void pgq_transport_stats(const struct pgq_transport *t, struct pgq_transport_stats *out);

/*
 * Closes every handle and frees the transport. done (may be NULL) runs from the
 * loop once everything is released, never from inside this call; t must not
 * be used after this call. No callback other than done runs after it.
 */
int pgq_transport_close(struct pgq_transport *t, void (*done)(void *ctx));

#endif /* PGQ_TRANSPORT_H */

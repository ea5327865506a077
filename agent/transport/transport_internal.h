/*
 * transport_internal.h — structures shared by transport.c (API, peers,
 * listener, shutdown) and conn.c (one TCP connection: handshake, framing,
 * write scheduling). Not for use outside agent/transport/.
 *
 * Lifetime rule: an object that owns libuv handles is freed only in the close
 * callback of its last handle. t->live counts every open handle and pending
 * request of the transport; when it drops to zero after pgq_transport_close,
 * the transport itself is freed and the done callback runs.
 */
#ifndef PGQ_TRANSPORT_INTERNAL_H
#define PGQ_TRANSPORT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "transport/backoff.h"
#include "transport/frame.h"
#include "transport/transport.h"

#define PGQ_TRANSPORT_HOST_MAX 256
#define PGQ_TRANSPORT_DESC_MAX 420
/* Inbound connections that have not completed a handshake yet: a bound on
 * what unauthenticated clients can hold. */
#define PGQ_TRANSPORT_MAX_PENDING_INBOUND 64
/* Idle time before TCP keepalive probes, so a silent dead peer is noticed. */
#define PGQ_TRANSPORT_KEEPALIVE_S 5
/* How long a REFUSE frame may take to leave before the connection is cut. */
#define PGQ_TRANSPORT_REFUSE_LINGER_MS 1000

/* One outgoing Raft message, copied from the caller. Reference counted: the
 * peer's queue holds one reference, every write batch carrying a piece of it
 * holds one more, so a connection can die mid-write without a dangling buffer. */
struct tmsg {
	struct tmsg *next;
	int refs;
	size_t len;
	size_t taken;      /* bytes already handed to a write batch (chunked) */
	uint64_t seq;      /* chunked messages: id on the wire */
	uint8_t hdr[PGQ_FRAME_HEADER_BYTES]; /* whole RAFT frame header (small) */
	uint8_t data[];
};

struct msgq {
	struct tmsg *head, *tail;
	size_t count;
};

enum conn_dir { CONN_OUTBOUND, CONN_INBOUND };

enum conn_state {
	CONN_CONNECTING,   /* outbound: TCP connect in progress */
	CONN_HELLO_SENT,   /* outbound: waiting for HELLO_ACK */
	CONN_AWAIT_HELLO,  /* inbound: waiting for the first frame */
	CONN_ESTABLISHED,
	CONN_REFUSING,     /* inbound: REFUSE written, then close */
	CONN_CLOSING,
};

struct pgq_conn {
	struct pgq_transport *t;
	struct pgq_peer *peer;     /* outbound only; NULL once closing */
	struct pgq_conn *next;     /* t->inbound list */
	enum conn_dir dir;
	enum conn_state state;
	uv_tcp_t tcp;
	uv_timer_t timer;          /* handshake deadline, refuse linger, write stall */
	uv_connect_t connect_req;
	int open_handles;
	bool write_busy;           /* a queue-pump batch is in flight */
	char desc[PGQ_TRANSPORT_DESC_MAX]; /* "name@addr" or "addr" for logs */
	char remote_addr[64];
	char peer_name[PGQ_FRAME_NAME_MAX + 1]; /* inbound, after handshake */
	uint64_t peer_id;
	/* Read buffer: rbuf[0..rlen) holds bytes not yet parsed. */
	uint8_t *rbuf;
	size_t rcap, rlen, rneed;
	/* Reassembly of one chunked message. */
	uint8_t *asm_buf;
	uint64_t asm_seq, asm_total, asm_got;
};

struct pgq_peer {
	struct pgq_transport *t;
	struct pgq_peer *next;
	char name[PGQ_FRAME_NAME_MAX + 1];
	uint64_t id;
	char addr[PGQ_TRANSPORT_HOST_MAX + 16];
	char host[PGQ_TRANSPORT_HOST_MAX];
	int port;
	bool removed;
	bool blocked;
	bool resolving;            /* gai in flight */
	bool timer_open;
	bool ever_connected;
	bool unreachable_pending;  /* reported from the notify timer */
	bool refusal_logged;
	size_t resolve_rotation;   /* which resolved address the next attempt uses */       /* warned about a REFUSE since the last success */
	uv_timer_t reconnect_timer;
	uv_getaddrinfo_t gai;
	struct pgq_conn *conn;     /* current outbound connection or NULL */
	struct msgq small, big;
	size_t queue_bytes;
	uint64_t next_seq;
	struct pgq_backoff backoff;
	struct pgq_transport_peer_stats stats;
};

struct pgq_transport {
	uv_loop_t *loop;
	char scope[PGQ_FRAME_SCOPE_MAX + 1];
	char cluster_id[PGQ_FRAME_CLUSTER_ID_MAX + 1];
	char name[PGQ_FRAME_NAME_MAX + 1];
	uint64_t id;
	bool has_state;
	size_t max_message_bytes, chunk_bytes, send_queue_bytes;
	uint32_t handshake_timeout_ms, write_timeout_ms, backoff_min_ms, backoff_max_ms;
	uint64_t rng;
	struct pgq_transport_callbacks cb;
	void *ctx;
	uv_tcp_t listener;
	bool listener_open;        /* listening */
	bool listener_inited;      /* handle initialised and not yet closed */
	uv_timer_t notify_timer;   /* runs deferred on_unreachable reports */
	struct pgq_peer *peers;
	struct pgq_conn *inbound;
	size_t pending_inbound;    /* inbound connections before handshake */
	size_t live;
	bool closing;
	void (*done)(void *ctx);
	struct pgq_transport_stats stats;
};

/* conn.c */
struct pgq_conn *pgq_conn_new(struct pgq_transport *t, enum conn_dir dir);
void pgq_conn_connect(struct pgq_conn *c, const struct sockaddr *sa);
void pgq_conn_accepted(struct pgq_conn *c);
void pgq_conn_close(struct pgq_conn *c, int log_level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pgq_conn_pump(struct pgq_conn *c);

/* transport.c */
struct pgq_peer *pgq_transport_find_peer_name(struct pgq_transport *t, const char *name);
/* The outbound connection of peer ended (failed, lost or never came up). */
void pgq_transport_peer_conn_lost(struct pgq_peer *p, bool was_established);
/* The outbound connection of peer completed its handshake. */
void pgq_transport_peer_established(struct pgq_peer *p);
/* Queue a deferred on_unreachable for p. */
void pgq_transport_report_unreachable(struct pgq_peer *p);
/* One handle or request of t finished closing; may free t. */
void pgq_transport_release(struct pgq_transport *t);
void pgq_tmsg_unref(struct tmsg *m);
/* Fills h with this agent's identity for a HELLO or HELLO_ACK. */
void pgq_transport_own_hello(const struct pgq_transport *t, struct pgq_frame_hello *h);
/*
 * Checks a peer's HELLO (or HELLO_ACK) against our scope and cluster id.
 * Returns 0 or a pgq_refuse_code with reason filled.
 */
int pgq_transport_check_identity(const struct pgq_transport *t, const struct pgq_frame_hello *h,
				 char *reason, size_t reasonlen);

#endif /* PGQ_TRANSPORT_INTERNAL_H */

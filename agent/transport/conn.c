/*
 * conn.c — one TCP connection between two agents: the handshake, reading and
 * validating frames, reassembling chunked messages, and the write scheduler.
 *
 * Direction decides the role. An outbound connection belongs to a peer and
 * only sends (HELLO, then the peer's queued messages); an inbound one is
 * accepted from the listener and only receives (after answering HELLO with
 * HELLO_ACK or REFUSE). Any frame that breaks these rules, and any bad frame
 * (magic, version, type, flags, size, CRC, payload), closes this connection
 * with a warning; the transport and the agent run on (DESIGN.md R6).
 *
 * Write scheduling: one batch in flight per connection. A batch takes every
 * queued small message first and then at most one chunk of the large message
 * at the head of the big queue, so heartbeats and votes overtake a snapshot
 * after at most one chunk (docs/transport.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "raft/raft.h" /* pgq_crc32c */
#include "transport/transport_internal.h"

#define BATCH_MAX_MESSAGES 64
#define READ_CHUNK_BYTES (64 * 1024)
#define READ_CHUNK_HANDSHAKE_BYTES (PGQ_FRAME_HANDSHAKE_MAX + PGQ_FRAME_HEADER_BYTES)

struct wbatch {
	uv_write_t req;
	struct pgq_conn *conn;
	bool pump;           /* from the queue pump (clears write_busy) */
	bool close_after;    /* REFUSE: close once written */
	uint8_t *owned;      /* control frame buffer */
	unsigned nbufs, nmsgs, ncomplete;
	size_t wire_bytes;
	uv_buf_t bufs[2 * BATCH_MAX_MESSAGES + 2];
	struct tmsg *msgs[BATCH_MAX_MESSAGES + 1];
	uint8_t chunk_hdr[PGQ_FRAME_HEADER_BYTES + PGQ_FRAME_CHUNK_PREFIX_BYTES];
};

static void on_timer(uv_timer_t *timer);

static void conn_handle_closed(uv_handle_t *h)
{
	struct pgq_conn *c = h->data;
	struct pgq_transport *t = c->t;

	if (--c->open_handles == 0) {
		free(c->rbuf);
		free(c->asm_buf);
		free(c);
	}
	pgq_transport_release(t);
}

struct pgq_conn *pgq_conn_new(struct pgq_transport *t, enum conn_dir dir)
{
	struct pgq_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->t = t;
	c->dir = dir;
	c->state = dir == CONN_OUTBOUND ? CONN_CONNECTING : CONN_AWAIT_HELLO;
	if (uv_tcp_init(t->loop, &c->tcp) != 0) {
		free(c);
		return NULL;
	}
	uv_timer_init(t->loop, &c->timer); /* cannot fail */
	c->tcp.data = c;
	c->timer.data = c;
	c->connect_req.data = c;
	c->open_handles = 2;
	t->live += 2;
	return c;
}

static bool pre_handshake(const struct pgq_conn *c)
{
	return c->state == CONN_CONNECTING || c->state == CONN_HELLO_SENT ||
	       c->state == CONN_AWAIT_HELLO;
}

static void inbound_unlink(struct pgq_conn *c)
{
	struct pgq_transport *t = c->t;
	for (struct pgq_conn **pp = &t->inbound; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			return;
		}
	}
}

void pgq_conn_close(struct pgq_conn *c, int log_level, const char *fmt, ...)
{
	if (c->state == CONN_CLOSING)
		return;
	bool was_established = c->state == CONN_ESTABLISHED;
	if (c->dir == CONN_INBOUND && pre_handshake(c) && c->t->pending_inbound > 0)
		c->t->pending_inbound--;
	c->state = CONN_CLOSING;

	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pgq_log((enum pgq_log_level)log_level, "transport",
		"closing %s connection peer=%s reason=%s",
		c->dir == CONN_OUTBOUND ? "outbound" : "inbound", c->desc, reason);

	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	free(c->asm_buf);
	c->asm_buf = NULL;

	if (c->dir == CONN_INBOUND) {
		inbound_unlink(c);
	} else if (c->peer) {
		struct pgq_peer *p = c->peer;
		c->peer = NULL;
		p->conn = NULL;
		pgq_transport_peer_conn_lost(p, was_established);
	}
}

/* ---- writing ---------------------------------------------------------- */

static void batch_free(struct wbatch *b)
{
	for (unsigned i = 0; i < b->nmsgs; i++)
		pgq_tmsg_unref(b->msgs[i]);
	free(b->owned);
	free(b);
}

static void on_write(uv_write_t *req, int status)
{
	struct wbatch *b = req->data;
	struct pgq_conn *c = b->conn;
	bool pump = b->pump, close_after = b->close_after;

	if (status == 0 && c->peer) {
		c->peer->stats.bytes_sent += b->wire_bytes;
		c->peer->stats.messages_sent += b->ncomplete;
	}
	batch_free(b);
	if (c->state == CONN_CLOSING)
		return;
	if (status < 0) {
		pgq_conn_close(c, PGQ_LOG_WARNING, "write failed: %s", uv_strerror(status));
		return;
	}
	if (close_after) {
		pgq_conn_close(c, PGQ_LOG_DEBUG, "refusal sent");
		return;
	}
	if (pump) {
		c->write_busy = false;
		uv_timer_stop(&c->timer);
		pgq_conn_pump(c);
	}
}

static bool batch_submit(struct pgq_conn *c, struct wbatch *b)
{
	b->conn = c;
	b->req.data = b;
	int rc = uv_write(&b->req, (uv_stream_t *)&c->tcp, b->bufs, b->nbufs, on_write);
	if (rc != 0) {
		batch_free(b);
		pgq_conn_close(c, PGQ_LOG_WARNING, "write failed: %s", uv_strerror(rc));
		return false;
	}
	return true;
}

/* Sends a control frame (HELLO, HELLO_ACK, REFUSE) built from payload. */
static bool send_control(struct pgq_conn *c, uint8_t type, const uint8_t *payload,
			 size_t len, bool close_after)
{
	struct wbatch *b = calloc(1, sizeof(*b));
	uint8_t *frame = NULL;
	size_t flen = 0;
	if (!b || pgq_frame_build(type, payload, len, &frame, &flen) != 0) {
		free(b);
		pgq_conn_close(c, PGQ_LOG_ERROR, "out of memory");
		return false;
	}
	b->owned = frame;
	b->close_after = close_after;
	b->bufs[0] = uv_buf_init((char *)frame, (unsigned)flen);
	b->nbufs = 1;
	return batch_submit(c, b);
}

static struct tmsg *queue_pop(struct msgq *q)
{
	struct tmsg *m = q->head;
	if (m) {
		q->head = m->next;
		if (!q->head)
			q->tail = NULL;
		m->next = NULL;
		q->count--;
	}
	return m;
}

void pgq_conn_pump(struct pgq_conn *c)
{
	struct pgq_peer *p = c->peer;
	if (c->state != CONN_ESTABLISHED || c->write_busy || !p)
		return;
	if (!p->small.head && !p->big.head)
		return;
	struct wbatch *b = calloc(1, sizeof(*b));
	if (!b) {
		pgq_conn_close(c, PGQ_LOG_ERROR, "out of memory");
		return;
	}
	b->pump = true;
	/* Small messages first: they are what keeps the cluster alive. */
	while (p->small.head && b->nmsgs < BATCH_MAX_MESSAGES) {
		struct tmsg *m = queue_pop(&p->small);
		p->queue_bytes -= m->len;
		b->bufs[b->nbufs++] = uv_buf_init((char *)m->hdr, PGQ_FRAME_HEADER_BYTES);
		b->bufs[b->nbufs++] = uv_buf_init((char *)m->data, (unsigned)m->len);
		b->msgs[b->nmsgs++] = m; /* the queue's reference moves to the batch */
		b->ncomplete++;
		b->wire_bytes += PGQ_FRAME_HEADER_BYTES + m->len;
	}
	/* Then one chunk of the large message at the head. */
	struct tmsg *big = p->big.head;
	if (big) {
		size_t take = big->len - big->taken;
		if (take > c->t->chunk_bytes)
			take = c->t->chunk_bytes;
		uint8_t *prefix = b->chunk_hdr + PGQ_FRAME_HEADER_BYTES;
		pgq_frame_chunk_prefix_encode(prefix, big->seq, big->len, big->taken);
		uint32_t crc = pgq_crc32c(0, prefix, PGQ_FRAME_CHUNK_PREFIX_BYTES);
		crc = pgq_crc32c(crc, big->data + big->taken, take);
		pgq_frame_header_encode(b->chunk_hdr, PGQ_FRAME_RAFT_CHUNK,
					(uint32_t)(PGQ_FRAME_CHUNK_PREFIX_BYTES + take), crc);
		b->bufs[b->nbufs++] = uv_buf_init((char *)b->chunk_hdr, sizeof(b->chunk_hdr));
		b->bufs[b->nbufs++] = uv_buf_init((char *)big->data + big->taken, (unsigned)take);
		big->taken += take;
		p->queue_bytes -= take;
		b->wire_bytes += sizeof(b->chunk_hdr) + take;
		if (big->taken == big->len) {
			queue_pop(&p->big); /* the queue's reference moves to the batch */
			b->ncomplete++;
		} else {
			big->refs++;
		}
		b->msgs[b->nmsgs++] = big;
	}
	c->write_busy = true;
	/* A peer that stops reading must not hold its queue forever: the kernel
	 * buffer fills, this batch never completes, and the timer cuts it. */
	if (batch_submit(c, b))
		uv_timer_start(&c->timer, on_timer, c->t->write_timeout_ms, 0);
}

/* ---- handshake -------------------------------------------------------- */

static void send_hello(struct pgq_conn *c, uint8_t type)
{
	struct pgq_frame_hello h;
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	pgq_transport_own_hello(c->t, &h);
	size_t n = pgq_frame_hello_encode(&h, buf, sizeof(buf));
	send_control(c, type, buf, n, false);
}

static void refuse(struct pgq_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct pgq_conn *c, int code, const char *fmt, ...)
{
	struct pgq_frame_refuse r = { .code = (uint16_t)code };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.reason, sizeof(r.reason), fmt, ap);
	va_end(ap);
	c->t->stats.handshakes_refused++;
	pgq_warning("transport", "refusing connection peer=%s reason=%s (%s)",
		    c->desc, pgq_refuse_code_name(code), r.reason);
	if (c->t->pending_inbound > 0)
		c->t->pending_inbound--;
	c->state = CONN_REFUSING;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_start(&c->timer, on_timer, PGQ_TRANSPORT_REFUSE_LINGER_MS, 0);
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	size_t n = pgq_frame_refuse_encode(&r, buf, sizeof(buf));
	send_control(c, PGQ_FRAME_REFUSE, buf, n, true);
}

static void on_timer(uv_timer_t *timer)
{
	struct pgq_conn *c = timer->data;
	if (c->state == CONN_ESTABLISHED && c->write_busy)
		pgq_conn_close(c, PGQ_LOG_WARNING, "write stalled for %u ms",
			       c->t->write_timeout_ms);
	else if (c->state == CONN_REFUSING)
		pgq_conn_close(c, PGQ_LOG_DEBUG, "refusal not delivered in time");
	else if (pre_handshake(c))
		pgq_conn_close(c, PGQ_LOG_WARNING, "handshake timeout after %u ms",
			       c->t->handshake_timeout_ms);
}

static void inbound_hello(struct pgq_conn *c, const struct pgq_frame *f)
{
	struct pgq_transport *t = c->t;
	struct pgq_frame_hello h;
	char reason[200];

	if (f->type != PGQ_FRAME_HELLO) {
		refuse(c, PGQ_REFUSE_PROTOCOL, "expected HELLO, got %s",
		       pgq_frame_type_name(f->type));
		return;
	}
	if (pgq_frame_hello_decode(f->payload, f->payload_len, &h) != PGQ_FRAME_OK) {
		refuse(c, PGQ_REFUSE_PROTOCOL, "malformed HELLO");
		return;
	}
	if (h.protocol_version != PGQ_TRANSPORT_PROTOCOL_VERSION) {
		refuse(c, PGQ_REFUSE_PROTOCOL, "unsupported protocol version %u (we speak %u)",
		       h.protocol_version, PGQ_TRANSPORT_PROTOCOL_VERSION);
		return;
	}
	int code = pgq_transport_check_identity(t, &h, reason, sizeof(reason));
	if (code) {
		refuse(c, code, "%s", reason);
		return;
	}
	struct pgq_peer *p = pgq_transport_find_peer_name(t, h.member_name);
	if (!p || p->id != h.raft_id) {
		refuse(c, PGQ_REFUSE_UNKNOWN_MEMBER, "member %s id %llu is not a peer of %s",
		       h.member_name, (unsigned long long)h.raft_id, t->name);
		return;
	}
	/* A peer that reconnects (e.g. after a restart) replaces its old inbound
	 * connection, which may be half-dead without our knowing. */
	for (struct pgq_conn *o = t->inbound; o;) {
		struct pgq_conn *next = o->next;
		if (o != c && o->state == CONN_ESTABLISHED && strcmp(o->peer_name, h.member_name) == 0)
			pgq_conn_close(o, PGQ_LOG_INFO, "replaced by a newer connection");
		o = next;
	}
	if (t->pending_inbound > 0)
		t->pending_inbound--;
	c->state = CONN_ESTABLISHED;
	uv_timer_stop(&c->timer);
	snprintf(c->peer_name, sizeof(c->peer_name), "%s", h.member_name);
	c->peer_id = h.raft_id;
	snprintf(c->desc, sizeof(c->desc), "%s@%s", h.member_name, c->remote_addr);
	pgq_info("transport", "accepted peer=%s cluster_id=%s", c->desc,
		 h.cluster_id[0] ? h.cluster_id : "(none)");
	send_hello(c, PGQ_FRAME_HELLO_ACK);
	if (c->state == CONN_ESTABLISHED && t->cb.on_peer_hello) {
		struct pgq_transport_peer_hello info = {
			.name = h.member_name, .id = h.raft_id, .cluster_id = h.cluster_id,
			.has_state = (h.flags & PGQ_HELLO_FLAG_HAS_STATE) != 0, .inbound = true,
		};
		t->cb.on_peer_hello(t->ctx, &info);
	}
}

static void outbound_handshake(struct pgq_conn *c, const struct pgq_frame *f)
{
	struct pgq_transport *t = c->t;
	struct pgq_peer *p = c->peer;
	char reason[200];

	if (f->type == PGQ_FRAME_REFUSE) {
		struct pgq_frame_refuse r;
		t->stats.refused_by_peer++;
		/* Warn on the first refusal in a row; repeats every backoff round
		 * would flood the log with the same line. */
		int level = p && p->refusal_logged ? PGQ_LOG_DEBUG : PGQ_LOG_WARNING;
		if (p)
			p->refusal_logged = true;
		if (pgq_frame_refuse_decode(f->payload, f->payload_len, &r) != PGQ_FRAME_OK)
			pgq_conn_close(c, level, "refused by peer (malformed REFUSE)");
		else
			pgq_conn_close(c, level, "refused by peer: %s (%s)",
				       pgq_refuse_code_name(r.code), r.reason);
		return;
	}
	if (c->state != CONN_HELLO_SENT || f->type != PGQ_FRAME_HELLO_ACK) {
		t->stats.protocol_errors++;
		pgq_conn_close(c, PGQ_LOG_WARNING, "unexpected %s frame on outbound connection",
			       pgq_frame_type_name(f->type));
		return;
	}
	struct pgq_frame_hello h;
	if (pgq_frame_hello_decode(f->payload, f->payload_len, &h) != PGQ_FRAME_OK ||
	    h.protocol_version != PGQ_TRANSPORT_PROTOCOL_VERSION) {
		t->stats.protocol_errors++;
		pgq_conn_close(c, PGQ_LOG_WARNING, "malformed HELLO_ACK");
		return;
	}
	if (pgq_transport_check_identity(t, &h, reason, sizeof(reason)) != 0) {
		pgq_conn_close(c, PGQ_LOG_WARNING, "peer is in another cluster: %s", reason);
		return;
	}
	/* We must be talking to the member we dialled, not whoever took its port. */
	if (strcmp(h.member_name, p->name) != 0 || h.raft_id != p->id) {
		pgq_conn_close(c, PGQ_LOG_WARNING,
			       "address answered as member %s id %llu, expected %s id %llu",
			       h.member_name, (unsigned long long)h.raft_id, p->name,
			       (unsigned long long)p->id);
		return;
	}
	c->state = CONN_ESTABLISHED;
	uv_timer_stop(&c->timer);
	if (t->cb.on_peer_hello) {
		struct pgq_transport_peer_hello info = {
			.name = p->name, .id = p->id, .cluster_id = h.cluster_id,
			.has_state = (h.flags & PGQ_HELLO_FLAG_HAS_STATE) != 0, .inbound = false,
		};
		t->cb.on_peer_hello(t->ctx, &info);
	}
	/* The callback may have removed the peer or closed the transport. */
	if (c->state == CONN_ESTABLISHED && c->peer)
		pgq_transport_peer_established(c->peer);
}

/* ---- reading ---------------------------------------------------------- */

static void deliver(struct pgq_conn *c, const uint8_t *payload, size_t len)
{
	struct pgq_transport *t = c->t;
	struct pgq_peer *p = pgq_transport_find_peer_name(t, c->peer_name);
	if (!p || p->id != c->peer_id) {
		pgq_conn_close(c, PGQ_LOG_INFO, "peer no longer a member");
		return;
	}
	if (p->blocked) {
		p->stats.messages_dropped++;
		return;
	}
	p->stats.messages_received++;
	if (t->cb.on_raft)
		t->cb.on_raft(t->ctx, c->peer_name, c->peer_id, payload, len);
}

static void protocol_error(struct pgq_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The peer behind c, or NULL after closing c (it is no longer a member). */
static struct pgq_peer *live_peer(struct pgq_conn *c)
{
	struct pgq_peer *p = pgq_transport_find_peer_name(c->t, c->peer_name);
	if (!p || p->id != c->peer_id) {
		pgq_conn_close(c, PGQ_LOG_INFO, "peer no longer a member");
		return NULL;
	}
	return p;
}

static void protocol_error(struct pgq_conn *c, const char *fmt, ...)
{
	char reason[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->t->stats.protocol_errors++;
	pgq_conn_close(c, PGQ_LOG_WARNING, "%s", reason);
}

/* S3: a LEASE_AGE frame; malformed closes this connection only (R6). */
static void inbound_lease_age(struct pgq_conn *c, const struct pgq_frame *f)
{
	struct pgq_transport *t = c->t;
	struct pgq_frame_lease_age a;
	struct pgq_peer *p;

	if (pgq_frame_lease_age_decode(f->payload, f->payload_len, &a) != PGQ_FRAME_OK) {
		protocol_error(c, "malformed LEASE_AGE frame");
		return;
	}
	p = live_peer(c);
	if (!p)
		return;
	if (p->blocked) {
		p->stats.messages_dropped++;
		return;
	}
	p->stats.messages_received++;
	if (t->cb.on_lease_age)
		t->cb.on_lease_age(t->ctx, c->peer_name, c->peer_id, &a);
}

static void inbound_chunk(struct pgq_conn *c, const struct pgq_frame *f)
{
	struct pgq_frame_chunk ch;
	if (pgq_frame_chunk_decode(f->payload, f->payload_len, &ch) != PGQ_FRAME_OK) {
		protocol_error(c, "malformed RAFT_CHUNK");
		return;
	}
	if (!c->asm_buf) {
		/* A message starts: its size is capped before anything is allocated. */
		if (ch.offset != 0 || ch.total_len > c->t->max_message_bytes) {
			protocol_error(c, "RAFT_CHUNK starts at offset %llu of %llu bytes (max %zu)",
				       (unsigned long long)ch.offset,
				       (unsigned long long)ch.total_len, c->t->max_message_bytes);
			return;
		}
		c->asm_buf = malloc(ch.total_len);
		if (!c->asm_buf) {
			pgq_conn_close(c, PGQ_LOG_ERROR, "out of memory for a %llu-byte message",
				       (unsigned long long)ch.total_len);
			return;
		}
		c->asm_seq = ch.msg_seq;
		c->asm_total = ch.total_len;
		c->asm_got = 0;
	} else if (ch.msg_seq != c->asm_seq || ch.total_len != c->asm_total ||
		   ch.offset != c->asm_got) {
		/* TCP keeps order and the sender finishes one message before the
		 * next, so anything else is a broken or hostile peer. */
		protocol_error(c, "RAFT_CHUNK out of sequence");
		return;
	}
	memcpy(c->asm_buf + c->asm_got, ch.data, ch.data_len);
	c->asm_got += ch.data_len;
	if (c->asm_got == c->asm_total) {
		uint8_t *msg = c->asm_buf;
		size_t len = c->asm_total;
		c->asm_buf = NULL;
		deliver(c, msg, len);
		free(msg);
	}
}

static void handle_frame(struct pgq_conn *c, const struct pgq_frame *f)
{
	if (c->dir == CONN_OUTBOUND) {
		outbound_handshake(c, f);
		return;
	}
	if (c->state == CONN_AWAIT_HELLO) {
		inbound_hello(c, f);
		return;
	}
	switch (f->type) {
	case PGQ_FRAME_RAFT:
		/* Allowed while a chunked message is half received: small
		 * messages interleave with it by design. */
		if (f->payload_len == 0)
			protocol_error(c, "empty RAFT frame"); /* send() never makes one */
		else
			deliver(c, f->payload, f->payload_len);
		break;
	case PGQ_FRAME_RAFT_CHUNK:
		inbound_chunk(c, f);
		break;
	case PGQ_FRAME_LEASE_AGE:
		inbound_lease_age(c, f);
		break;
	default:
		protocol_error(c, "unexpected %s frame after handshake", pgq_frame_type_name(f->type));
		break;
	}
}

static size_t max_payload(const struct pgq_conn *c)
{
	if (c->state != CONN_ESTABLISHED)
		return PGQ_FRAME_HANDSHAKE_MAX;
	return c->t->max_message_bytes + PGQ_FRAME_CHUNK_PREFIX_BYTES;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct pgq_conn *c = h->data;
	size_t want = c->rlen + (c->state == CONN_ESTABLISHED ? READ_CHUNK_BYTES
							       : READ_CHUNK_HANDSHAKE_BYTES);
	if (c->rneed > want)
		want = c->rneed;
	if (c->rcap < want) {
		uint8_t *nb = realloc(c->rbuf, want);
		if (!nb) {
			*buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
			return;
		}
		c->rbuf = nb;
		c->rcap = want;
	}
	*buf = uv_buf_init((char *)c->rbuf + c->rlen, (unsigned)(c->rcap - c->rlen));
}

static void account_received(struct pgq_conn *c, size_t n)
{
	struct pgq_peer *p = c->dir == CONN_OUTBOUND ? c->peer
			   : c->state == CONN_ESTABLISHED
				   ? pgq_transport_find_peer_name(c->t, c->peer_name)
				   : NULL;
	if (p)
		p->stats.bytes_received += n;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct pgq_conn *c = s->data;
	if (c->state == CONN_CLOSING || c->state == CONN_REFUSING)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			pgq_conn_close(c, PGQ_LOG_INFO, "closed by peer");
		else
			pgq_conn_close(c, PGQ_LOG_WARNING, "read failed: %s", uv_strerror((int)nread));
		return;
	}
	if (nread == 0)
		return;
	c->rlen += (size_t)nread;
	account_received(c, (size_t)nread);

	size_t pos = 0;
	c->rneed = 0;
	while (c->state != CONN_CLOSING && c->state != CONN_REFUSING) {
		struct pgq_frame f;
		size_t used = 0;
		int rc = pgq_frame_decode(c->rbuf + pos, c->rlen - pos, max_payload(c), &f, &used);
		if (rc == PGQ_FRAME_NEED_MORE) {
			if (c->rlen - pos >= 12) {
				const uint8_t *l = c->rbuf + pos + 8;
				uint32_t plen = ((uint32_t)l[0] << 24) | ((uint32_t)l[1] << 16) |
						((uint32_t)l[2] << 8) | l[3];
				c->rneed = PGQ_FRAME_HEADER_BYTES + (size_t)plen;
			}
			break;
		}
		if (rc != PGQ_FRAME_OK) {
			if (c->dir == CONN_INBOUND && c->state == CONN_AWAIT_HELLO &&
			    rc == PGQ_FRAME_ERR_VERSION) {
				/* Tell an agent of another version why, so its log says so. */
				c->t->stats.protocol_errors++;
				refuse(c, PGQ_REFUSE_PROTOCOL, "unsupported frame version %u (we speak %u)",
				       c->rbuf[pos + 4], PGQ_FRAME_VERSION);
			} else {
				protocol_error(c, "%s", pgq_frame_status_name(rc));
			}
			return;
		}
		pos += used;
		handle_frame(c, &f);
	}
	if (c->state == CONN_CLOSING || c->state == CONN_REFUSING)
		return;
	if (pos > 0) {
		memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
		c->rlen -= pos; /* rneed counts from the frame start, now at 0 */
	}
	/* Give back a buffer grown for one large frame. */
	if (c->rlen == 0 && c->rcap > 4 * READ_CHUNK_BYTES) {
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
}

/* ---- connection setup ------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
	struct pgq_conn *c = req->data;
	if (c->state != CONN_CONNECTING)
		return; /* closed meanwhile (status is UV_ECANCELED) */
	if (status < 0) {
		int level = c->peer && c->peer->backoff.attempt <= 1 ? PGQ_LOG_INFO : PGQ_LOG_DEBUG;
		pgq_conn_close(c, level, "connect failed: %s", uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_keepalive(&c->tcp, 1, PGQ_TRANSPORT_KEEPALIVE_S);
	int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc != 0) {
		pgq_conn_close(c, PGQ_LOG_WARNING, "read start failed: %s", uv_strerror(rc));
		return;
	}
	c->state = CONN_HELLO_SENT;
	send_hello(c, PGQ_FRAME_HELLO);
}

void pgq_conn_connect(struct pgq_conn *c, const struct sockaddr *sa)
{
	struct pgq_peer *p = c->peer;
	snprintf(c->desc, sizeof(c->desc), "%s@%s", p->name, p->addr);
	uv_timer_start(&c->timer, on_timer, c->t->handshake_timeout_ms, 0);
	int rc = uv_tcp_connect(&c->connect_req, &c->tcp, sa, on_connect);
	if (rc != 0)
		pgq_conn_close(c, PGQ_LOG_WARNING, "connect failed: %s", uv_strerror(rc));
}

void pgq_conn_accepted(struct pgq_conn *c)
{
	struct pgq_transport *t = c->t;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		}
	}
	snprintf(c->remote_addr, sizeof(c->remote_addr),
		 ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
	snprintf(c->desc, sizeof(c->desc), "%s", c->remote_addr);
	c->next = t->inbound;
	t->inbound = c;
	t->pending_inbound++;
	if (t->pending_inbound > PGQ_TRANSPORT_MAX_PENDING_INBOUND) {
		/* Evict the oldest unauthenticated connection rather than refuse the
		 * new one: a real peer completes its handshake within one round
		 * trip, so a flood of silent clients cannot lock it out. The list
		 * is newest first. */
		struct pgq_conn *oldest = NULL;
		for (struct pgq_conn *o = t->inbound; o; o = o->next)
			if (o->state == CONN_AWAIT_HELLO)
				oldest = o;
		if (oldest)
			pgq_conn_close(oldest, PGQ_LOG_WARNING,
				       "too many connections awaiting a handshake (oldest evicted)");
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_keepalive(&c->tcp, 1, PGQ_TRANSPORT_KEEPALIVE_S);
	uv_timer_start(&c->timer, on_timer, t->handshake_timeout_ms, 0);
	int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc != 0)
		pgq_conn_close(c, PGQ_LOG_WARNING, "read start failed: %s", uv_strerror(rc));
}

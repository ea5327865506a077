/*
 * transport.c — the transport object: configuration, the listener, the peer
 * table with its outbound connections and reconnect backoff, per-peer send
 * queues, the test-only traffic filter, statistics and clean shutdown.
 * Connection-level work (handshake, frames, writes) lives in conn.c.
 *
 * Send queues are bounded in bytes and dropped whenever the outbound
 * connection fails: Raft tolerates loss and resends, while stale messages
 * delivered late only waste the link. Every loss is reported through
 * on_unreachable, deferred to the loop (never from inside an API call, so the
 * caller may report it to its Raft node without re-entering it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "raft/raft.h" /* pgq_crc32c */
#include "transport/addr.h"
#include "transport/transport_internal.h"

#define DEFAULT_MAX_MESSAGE_BYTES ((size_t)64 * 1024 * 1024)
#define DEFAULT_CHUNK_BYTES ((size_t)64 * 1024)
#define DEFAULT_QUEUE_SLACK_BYTES ((size_t)8 * 1024 * 1024)
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 5000
#define DEFAULT_WRITE_TIMEOUT_MS 10000
#define DEFAULT_BACKOFF_MIN_MS 50
#define DEFAULT_BACKOFF_MAX_MS 2000
#define MIN_CHUNK_BYTES 1024

/* ---- small helpers ---------------------------------------------------- */

static bool printable(const char *s, size_t max, bool allow_empty)
{
	size_t n = strlen(s);
	if (n > max || (!allow_empty && n == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

void pgq_tmsg_unref(struct tmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

static size_t queue_drop(struct msgq *q)
{
	size_t n = q->count;
	struct tmsg *m = q->head;
	while (m) {
		struct tmsg *next = m->next;
		pgq_tmsg_unref(m);
		m = next;
	}
	q->head = q->tail = NULL;
	q->count = 0;
	return n;
}

static void queue_push(struct msgq *q, struct tmsg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
}

static size_t peer_drop_queues(struct pgq_peer *p)
{
	size_t n = queue_drop(&p->small) + queue_drop(&p->big);
	p->queue_bytes = 0;
	p->stats.messages_dropped += n;
	return n;
}

struct pgq_peer *pgq_transport_find_peer_name(struct pgq_transport *t, const char *name)
{
	for (struct pgq_peer *p = t->peers; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static struct pgq_peer *find_peer_id(const struct pgq_transport *t, uint64_t id)
{
	for (struct pgq_peer *p = t->peers; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

void pgq_transport_own_hello(const struct pgq_transport *t, struct pgq_frame_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->protocol_version = PGQ_TRANSPORT_PROTOCOL_VERSION;
	h->flags = t->has_state ? PGQ_HELLO_FLAG_HAS_STATE : 0;
	h->raft_id = t->id;
	snprintf(h->scope, sizeof(h->scope), "%s", t->scope);
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", t->cluster_id);
	snprintf(h->member_name, sizeof(h->member_name), "%s", t->name);
}

int pgq_transport_check_identity(const struct pgq_transport *t, const struct pgq_frame_hello *h,
				 char *reason, size_t reasonlen)
{
	if (strcmp(h->scope, t->scope) != 0) {
		snprintf(reason, reasonlen, "scope %s is not ours (%s)", h->scope, t->scope);
		return PGQ_REFUSE_SCOPE;
	}
	/* An empty cluster id means "not bootstrapped or not joined yet": such a
	 * member must still be reachable (S15 probe, and a new member receives its
	 * first snapshot before it knows the id). Two known ids must match. */
	if (h->cluster_id[0] && t->cluster_id[0] && strcmp(h->cluster_id, t->cluster_id) != 0) {
		snprintf(reason, reasonlen, "cluster id %s is not ours (%s)", h->cluster_id,
			 t->cluster_id);
		return PGQ_REFUSE_CLUSTER_ID;
	}
	return 0;
}

/* ---- lifetime --------------------------------------------------------- */

void pgq_transport_release(struct pgq_transport *t)
{
	if (--t->live == 0 && t->closing) {
		void (*done)(void *) = t->done;
		void *ctx = t->ctx;
		free(t);
		if (done)
			done(ctx);
	}
}

static void peer_maybe_free(struct pgq_peer *p)
{
	if (p->removed && !p->timer_open && !p->resolving)
		free(p);
}

static void peer_timer_closed(uv_handle_t *h)
{
	struct pgq_peer *p = h->data;
	struct pgq_transport *t = p->t;
	p->timer_open = false;
	peer_maybe_free(p);
	pgq_transport_release(t);
}

/* Unlinks p, closes its connections and handles; freed once they are closed. */
static void peer_destroy(struct pgq_peer *p)
{
	struct pgq_transport *t = p->t;
	for (struct pgq_peer **pp = &t->peers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->next = NULL;
	p->removed = true;
	if (p->conn) {
		struct pgq_conn *c = p->conn;
		c->peer = NULL;
		p->conn = NULL;
		pgq_conn_close(c, PGQ_LOG_DEBUG, t->closing ? "transport closing" : "peer removed");
	}
	for (struct pgq_conn *c = t->inbound; c;) {
		struct pgq_conn *next = c->next;
		if (c->state == CONN_ESTABLISHED && strcmp(c->peer_name, p->name) == 0)
			pgq_conn_close(c, PGQ_LOG_DEBUG,
				       t->closing ? "transport closing" : "peer removed");
		c = next;
	}
	queue_drop(&p->small);
	queue_drop(&p->big);
	p->queue_bytes = 0;
	if (p->resolving)
		uv_cancel((uv_req_t *)&p->gai);
	uv_close((uv_handle_t *)&p->reconnect_timer, peer_timer_closed);
}

/* ---- deferred unreachable reports ------------------------------------- */

static void on_notify(uv_timer_t *timer)
{
	struct pgq_transport *t = timer->data;
	/* Collect first: the callback may add or remove peers. */
	struct {
		char name[PGQ_FRAME_NAME_MAX + 1];
		uint64_t id;
	} due[RAFT_MAX_MEMBERS * 4];
	size_t n = 0;
	for (struct pgq_peer *p = t->peers; p; p = p->next) {
		if (p->unreachable_pending && n < sizeof(due) / sizeof(due[0])) {
			p->unreachable_pending = false;
			snprintf(due[n].name, sizeof(due[n].name), "%s", p->name);
			due[n].id = p->id;
			n++;
		}
	}
	for (size_t i = 0; i < n && !t->closing; i++) {
		if (t->cb.on_unreachable)
			t->cb.on_unreachable(t->ctx, due[i].name, due[i].id);
	}
	/* Reports beyond the array (more peers than that) go out next turn. */
	for (struct pgq_peer *p = t->peers; p && !t->closing; p = p->next)
		if (p->unreachable_pending) {
			uv_timer_start(&t->notify_timer, on_notify, 0, 0);
			break;
		}
}

void pgq_transport_report_unreachable(struct pgq_peer *p)
{
	struct pgq_transport *t = p->t;
	if (t->closing || p->removed)
		return;
	p->unreachable_pending = true;
	if (!uv_is_active((uv_handle_t *)&t->notify_timer))
		uv_timer_start(&t->notify_timer, on_notify, 0, 0);
}

/* ---- outbound connections --------------------------------------------- */

static void peer_connect(struct pgq_peer *p);

static void on_reconnect_timer(uv_timer_t *timer)
{
	struct pgq_peer *p = timer->data;
	if (!p->removed && !p->t->closing && !p->conn && !p->resolving)
		peer_connect(p);
}

static void schedule_reconnect(struct pgq_peer *p)
{
	if (p->removed || p->t->closing)
		return;
	uint32_t delay_ms = pgq_backoff_next_ms(&p->backoff);
	pgq_debug("transport", "reconnecting peer=%s@%s delay_ms=%u", p->name, p->addr, delay_ms);
	uv_timer_start(&p->reconnect_timer, on_reconnect_timer, delay_ms, 0);
}

void pgq_transport_peer_conn_lost(struct pgq_peer *p, bool was_established)
{
	p->stats.connected = false;
	peer_drop_queues(p);
	if (p->removed || p->t->closing)
		return;
	/* Every failed attempt is reported, not only lost messages: Raft then
	 * stops pipelining to a peer that is down (probe state). */
	pgq_transport_report_unreachable(p);
	schedule_reconnect(p);
}

void pgq_transport_peer_established(struct pgq_peer *p)
{
	struct pgq_transport *t = p->t;
	if (p->ever_connected)
		p->stats.reconnects++;
	p->ever_connected = true;
	p->refusal_logged = false;
	p->stats.connected = true;
	pgq_backoff_reset(&p->backoff);
	pgq_info("transport", "connected peer=%s@%s", p->name, p->addr);
	if (t->cb.on_connected)
		t->cb.on_connected(t->ctx, p->name, p->id);
	if (p->conn && !p->removed)
		pgq_conn_pump(p->conn);
}

static void connect_to(struct pgq_peer *p, const struct sockaddr *sa)
{
	struct pgq_conn *c = pgq_conn_new(p->t, CONN_OUTBOUND);
	if (!c) {
		pgq_error("transport", "cannot create connection peer=%s@%s reason=out of memory",
			  p->name, p->addr);
		pgq_transport_peer_conn_lost(p, false);
		return;
	}
	c->peer = p;
	p->conn = c;
	pgq_conn_connect(c, sa);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct pgq_peer *p = req->data;
	struct pgq_transport *t = p->t;
	p->resolving = false;
	if (p->removed || t->closing) {
		uv_freeaddrinfo(res);
		peer_maybe_free(p);
		pgq_transport_release(t);
		return;
	}
	if (status < 0 || !res) {
		int level = p->backoff.attempt <= 1 ? PGQ_LOG_WARNING : PGQ_LOG_DEBUG;
		pgq_log(level, "transport", "cannot resolve peer=%s@%s reason=%s", p->name,
			p->addr, uv_strerror(status));
		pgq_transport_peer_conn_lost(p, false);
	} else {
		/* A name may map to several addresses (e.g. ::1 and 127.0.0.1 for
		 * localhost) and only some may listen: each attempt takes the next. */
		size_t n = 0;
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
			n++;
		struct addrinfo *pick = res;
		for (size_t i = p->resolve_rotation++ % n; i > 0; i--)
			pick = pick->ai_next;
		connect_to(p, pick->ai_addr);
	}
	uv_freeaddrinfo(res);
	pgq_transport_release(t);
}

static void peer_connect(struct pgq_peer *p)
{
	struct pgq_transport *t = p->t;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;

	p->stats.connect_attempts++;
	if (uv_ip4_addr(p->host, p->port, &addr.in4) == 0 ||
	    uv_ip6_addr(p->host, p->port, &addr.in6) == 0) {
		connect_to(p, &addr.sa);
		return;
	}
	char port[8];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	snprintf(port, sizeof(port), "%d", p->port);
	p->gai.data = p;
	int rc = uv_getaddrinfo(t->loop, &p->gai, on_resolved, p->host, port, &hints);
	if (rc != 0) {
		pgq_warning("transport", "cannot resolve peer=%s@%s reason=%s", p->name, p->addr,
			    uv_strerror(rc));
		pgq_transport_peer_conn_lost(p, false);
		return;
	}
	p->resolving = true;
	t->live++;
}

/* ---- public API ------------------------------------------------------- */

static void notify_timer_closed(uv_handle_t *h)
{
	pgq_transport_release(h->data);
}

int pgq_transport_new(uv_loop_t *loop, const struct pgq_transport_config *cfg,
		      const struct pgq_transport_callbacks *cb, void *ctx,
		      struct pgq_transport **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->scope || !printable(cfg->scope, PGQ_FRAME_SCOPE_MAX, false)) {
		snprintf(err, errlen, "transport: scope must be 1..%d printable characters",
			 PGQ_FRAME_SCOPE_MAX);
		return -1;
	}
	if (!cfg->member_name || !printable(cfg->member_name, PGQ_FRAME_NAME_MAX, false)) {
		snprintf(err, errlen, "transport: member name must be 1..%d printable characters",
			 PGQ_FRAME_NAME_MAX);
		return -1;
	}
	if (cfg->cluster_id && !printable(cfg->cluster_id, PGQ_FRAME_CLUSTER_ID_MAX, true)) {
		snprintf(err, errlen, "transport: cluster id must be 0..%d printable characters",
			 PGQ_FRAME_CLUSTER_ID_MAX);
		return -1;
	}
	if (cfg->raft_id == 0) {
		snprintf(err, errlen, "transport: raft id must not be 0");
		return -1;
	}
	size_t max_msg = cfg->max_message_bytes ? cfg->max_message_bytes : DEFAULT_MAX_MESSAGE_BYTES;
	if (max_msg > UINT32_MAX - PGQ_FRAME_CHUNK_PREFIX_BYTES) {
		snprintf(err, errlen, "transport: max message size %zu is above 4 GiB", max_msg);
		return -1;
	}
	size_t chunk = cfg->chunk_bytes ? cfg->chunk_bytes : DEFAULT_CHUNK_BYTES;
	if (chunk < MIN_CHUNK_BYTES) {
		snprintf(err, errlen, "transport: chunk size %zu is below %d", chunk, MIN_CHUNK_BYTES);
		return -1;
	}
	if (chunk > max_msg)
		chunk = max_msg;

	struct pgq_transport *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "transport: out of memory");
		return -1;
	}
	t->loop = loop;
	snprintf(t->scope, sizeof(t->scope), "%s", cfg->scope);
	snprintf(t->cluster_id, sizeof(t->cluster_id), "%s", cfg->cluster_id ? cfg->cluster_id : "");
	snprintf(t->name, sizeof(t->name), "%s", cfg->member_name);
	t->id = cfg->raft_id;
	t->has_state = cfg->has_state;
	t->max_message_bytes = max_msg;
	t->chunk_bytes = chunk;
	t->send_queue_bytes = cfg->send_queue_bytes ? cfg->send_queue_bytes
						     : max_msg + DEFAULT_QUEUE_SLACK_BYTES;
	t->handshake_timeout_ms = cfg->handshake_timeout_ms ? cfg->handshake_timeout_ms
							    : DEFAULT_HANDSHAKE_TIMEOUT_MS;
	t->write_timeout_ms = cfg->write_timeout_ms ? cfg->write_timeout_ms
						    : DEFAULT_WRITE_TIMEOUT_MS;
	t->backoff_min_ms = cfg->backoff_min_ms ? cfg->backoff_min_ms : DEFAULT_BACKOFF_MIN_MS;
	t->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	t->rng = cfg->seed ? cfg->seed : (uv_hrtime() ^ ((uint64_t)getpid() << 32));
	if (cb)
		t->cb = *cb;
	t->ctx = ctx;
	uv_timer_init(loop, &t->notify_timer);
	t->notify_timer.data = t;
	t->live = 1;
	*out = t;
	return 0;
}

static void listener_closed(uv_handle_t *h)
{
	struct pgq_transport *t = h->data;
	t->listener_inited = false;
	pgq_transport_release(t);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct pgq_transport *t = server->data;
	if (status < 0) {
		pgq_warning("transport", "accept failed reason=%s", uv_strerror(status));
		return;
	}
	struct pgq_conn *c = pgq_conn_new(t, CONN_INBOUND);
	if (!c) {
		pgq_error("transport", "cannot accept connection reason=out of memory");
		return;
	}
	int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (rc != 0) {
		snprintf(c->desc, sizeof(c->desc), "?");
		c->next = t->inbound;
		t->inbound = c;
		pgq_conn_close(c, PGQ_LOG_WARNING, "accept failed: %s", uv_strerror(rc));
		return;
	}
	t->stats.accepted++;
	pgq_conn_accepted(c);
}

int pgq_transport_listen(struct pgq_transport *t, const char *addr, char *err, size_t errlen)
{
	char host[PGQ_TRANSPORT_HOST_MAX];
	int port;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} sa;

	/* listener_inited also covers a failed attempt whose handle is still
	 * closing: the handle memory cannot be reused before its close callback. */
	if (t->listener_inited || t->closing) {
		snprintf(err, errlen, "transport: already listening (or closing)");
		return -1;
	}
	if (pgq_addr_split(addr, host, sizeof(host), &port, 1, err, errlen) != 0)
		return -1;
	if (uv_ip4_addr(host, port, &sa.in4) != 0 && uv_ip6_addr(host, port, &sa.in6) != 0) {
		snprintf(err, errlen, "transport: listen address \"%s\" is not a numeric IP", addr);
		return -1;
	}
	int rc = uv_tcp_init(t->loop, &t->listener);
	if (rc != 0) {
		snprintf(err, errlen, "transport: cannot create socket: %s", uv_strerror(rc));
		return -1;
	}
	t->listener.data = t;
	t->listener_inited = true;
	t->live++;
	rc = uv_tcp_bind(&t->listener, &sa.sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&t->listener, 128, on_connection);
	if (rc != 0) {
		snprintf(err, errlen, "transport: cannot listen on %s: %s", addr, uv_strerror(rc));
		uv_close((uv_handle_t *)&t->listener, listener_closed);
		return -1;
	}
	t->listener_open = true;
	pgq_info("transport", "listening addr=%s port=%d", addr, pgq_transport_listen_port(t));
	return 0;
}

int pgq_transport_listen_port(const struct pgq_transport *t)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (!t->listener_open ||
	    uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Re-adding a known peer is how the caller says where it lives now. */
static int update_peer_addr(struct pgq_peer *p, const char *addr, char *err, size_t errlen)
{
	char host[PGQ_TRANSPORT_HOST_MAX];
	int port;
	if (strcmp(p->addr, addr) == 0)
		return 0;
	if (pgq_addr_split(addr, host, sizeof(host), &port, 0, err, errlen) != 0)
		return -1;
	pgq_info("transport", "peer address changed peer=%s old=%s new=%s", p->name, p->addr, addr);
	snprintf(p->host, sizeof(p->host), "%s", host);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->port = port;
	if (p->conn)
		pgq_conn_close(p->conn, PGQ_LOG_INFO, "peer address changed");
	/* Dial the new address now rather than after a long backoff. */
	pgq_backoff_reset(&p->backoff);
	if (!p->conn && !p->resolving)
		uv_timer_start(&p->reconnect_timer, on_reconnect_timer, 0, 0);
	return 0;
}

int pgq_transport_add_peer(struct pgq_transport *t, const char *name, uint64_t id,
			   const char *addr, char *err, size_t errlen)
{
	if (t->closing) {
		snprintf(err, errlen, "transport: closing");
		return -1;
	}
	if (!name || !printable(name, PGQ_FRAME_NAME_MAX, false) || id == 0) {
		snprintf(err, errlen, "transport: peer needs a printable name and a non-zero id");
		return -1;
	}
	if (id == t->id || strcmp(name, t->name) == 0) {
		snprintf(err, errlen, "transport: peer %s id %llu is this agent", name,
			 (unsigned long long)id);
		return -1;
	}
	struct pgq_peer *by_name = pgq_transport_find_peer_name(t, name);
	struct pgq_peer *by_id = find_peer_id(t, id);
	if (by_name && by_name == by_id)
		return update_peer_addr(by_name, addr, err, errlen);
	if (by_name || by_id) {
		snprintf(err, errlen, "transport: peer %s id %llu conflicts with peer %s id %llu",
			 name, (unsigned long long)id, by_name ? by_name->name : by_id->name,
			 (unsigned long long)(by_name ? by_name->id : by_id->id));
		return -1;
	}
	struct pgq_peer *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "transport: out of memory");
		return -1;
	}
	if (pgq_addr_split(addr, p->host, sizeof(p->host), &p->port, 0, err, errlen) != 0) {
		free(p);
		return -1;
	}
	p->t = t;
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	pgq_backoff_init(&p->backoff, t->backoff_min_ms, t->backoff_max_ms,
			 pgq_backoff_random(&t->rng));
	uv_timer_init(t->loop, &p->reconnect_timer);
	p->reconnect_timer.data = p;
	p->timer_open = true;
	t->live++;
	p->next = t->peers;
	t->peers = p;
	peer_connect(p);
	return 0;
}

int pgq_transport_remove_peer(struct pgq_transport *t, uint64_t id)
{
	struct pgq_peer *p = find_peer_id(t, id);
	if (!p)
		return -1;
	peer_destroy(p);
	return 0;
}

/* Queues one payload as a frame of `type`; only RAFT payloads may be chunked. */
static int send_typed(struct pgq_transport *t, uint64_t peer_id, uint8_t type,
		      const uint8_t *payload, size_t len)
{
	if (t->closing)
		return -1;
	struct pgq_peer *p = find_peer_id(t, peer_id);
	if (!p)
		return -1;
	if (p->blocked) {
		p->stats.messages_dropped++;
		return -1;
	}
	if (len == 0 || len > t->max_message_bytes) {
		pgq_warning("transport", "dropping message peer=%s reason=size %zu outside 1..%zu",
			    p->name, len, t->max_message_bytes);
		p->stats.messages_dropped++;
		pgq_transport_report_unreachable(p);
		return -1;
	}
	if (p->queue_bytes + len > t->send_queue_bytes) {
		pgq_debug("transport", "dropping message peer=%s reason=send queue full", p->name);
		p->stats.messages_dropped++;
		pgq_transport_report_unreachable(p);
		return -1;
	}
	struct tmsg *m = malloc(sizeof(*m) + len);
	if (!m) {
		p->stats.messages_dropped++;
		pgq_transport_report_unreachable(p);
		return -1;
	}
	m->next = NULL;
	m->refs = 1;
	m->len = len;
	m->taken = 0;
	m->seq = 0;
	memcpy(m->data, payload, len);
	if (len <= t->chunk_bytes || type != PGQ_FRAME_RAFT) {
		pgq_frame_header_encode(m->hdr, type, (uint32_t)len,
					pgq_crc32c(0, m->data, len));
		queue_push(&p->small, m);
	} else {
		m->seq = ++p->next_seq;
		queue_push(&p->big, m);
	}
	p->queue_bytes += len;
	if (p->conn)
		pgq_conn_pump(p->conn);
	return 0;
}

int pgq_transport_send(struct pgq_transport *t, uint64_t peer_id, const uint8_t *payload,
		       size_t len)
{
	return send_typed(t, peer_id, PGQ_FRAME_RAFT, payload, len);
}

int pgq_transport_send_lease_age(struct pgq_transport *t, uint64_t peer_id,
				 const struct pgq_frame_lease_age *a)
{
	uint8_t buf[PGQ_FRAME_LEASE_AGE_BYTES];

	/* Never put an invalid report on the wire (S3). */
	if (pgq_frame_lease_age_encode(a, buf) == 0)
		return -1;
	return send_typed(t, peer_id, PGQ_FRAME_LEASE_AGE, buf, sizeof buf);
}

int pgq_transport_set_cluster_id(struct pgq_transport *t, const char *cluster_id)
{
	if (!cluster_id || !printable(cluster_id, PGQ_FRAME_CLUSTER_ID_MAX, true))
		return -1;
	snprintf(t->cluster_id, sizeof(t->cluster_id), "%s", cluster_id);
	return 0;
}

void pgq_transport_set_has_state(struct pgq_transport *t, bool has_state)
{
	t->has_state = has_state;
}

int pgq_transport_set_blocked(struct pgq_transport *t, const char *peer_name, bool blocked)
{
	struct pgq_peer *p = pgq_transport_find_peer_name(t, peer_name);
	if (!p)
		return -1;
	if (p->blocked != blocked)
		pgq_warning("transport", "test traffic filter peer=%s blocked=%s", p->name,
			    blocked ? "true" : "false");
	p->blocked = blocked;
	return 0;
}

int pgq_transport_peer_stats(const struct pgq_transport *t, uint64_t peer_id,
			     struct pgq_transport_peer_stats *out)
{
	const struct pgq_peer *p = find_peer_id(t, peer_id);
	if (!p)
		return -1;
	*out = p->stats;
	out->blocked = p->blocked;
	out->queue_bytes = p->queue_bytes;
	out->inbound_connected = false;
	for (const struct pgq_conn *c = t->inbound; c; c = c->next)
		if (c->state == CONN_ESTABLISHED && strcmp(c->peer_name, p->name) == 0)
			out->inbound_connected = true;
	return 0;
}

void pgq_transport_stats(const struct pgq_transport *t, struct pgq_transport_stats *out)
{
	*out = t->stats;
}

int pgq_transport_close(struct pgq_transport *t, void (*done)(void *ctx))
{
	if (t->closing)
		return -1;
	t->closing = true;
	t->done = done;
	if (t->listener_open) {
		t->listener_open = false;
		uv_close((uv_handle_t *)&t->listener, listener_closed);
	}
	while (t->peers)
		peer_destroy(t->peers);
	while (t->inbound)
		pgq_conn_close(t->inbound, PGQ_LOG_DEBUG, "transport closing");
	uv_close((uv_handle_t *)&t->notify_timer, notify_timer_closed);
	return 0;
}

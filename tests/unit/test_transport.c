/*
 * test_transport.c — the peer transport over real sockets on 127.0.0.1.
 *
 * Each test runs a libuv loop in the test itself; every wait is bounded by a
 * deadline timer, so a broken transport fails a test instead of hanging it.
 * Listeners bind port 0 and read the port back, so parallel runs never
 * collide. Raw client sockets (plain POSIX, non-blocking) play hostile or
 * foreign peers. The teardown closes every transport and asserts that
 * uv_loop_close() succeeds: all handles closed; LeakSanitizer checks the
 * rest at exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "log.h"
#include "raft/raft.h"
#include "transport/frame.h"
#include "transport/transport.h"

#define SCOPE "pgq-test"
#define MAX_NODES 4
#define MAX_RX 64
#define WAIT_MS 5000

struct rx {
	char from[64];
	uint64_t from_id;
	size_t len;
	uint8_t tag;        /* first byte */
	bool pattern_ok;    /* payload matched the sender's pattern */
	uint64_t at_ns;
};

struct node {
	struct pgq_transport *t;
	char name[32];
	uint64_t id;
	int port;
	bool closed;
	struct rx rx[MAX_RX];
	size_t nrx;
	size_t connected, unreachable, hellos;
	char hello_cluster_id[80];
	bool hello_has_state, hello_inbound;
	bool close_on_rx; /* close the transport from inside on_raft */
	struct pgq_frame_lease_age ages[MAX_RX]; /* S3 LEASE_AGE frames received */
	uint64_t ages_from[MAX_RX];
	size_t nages;
	bool decode;      /* payloads are Raft messages: decode with the codec */
};

struct fixture {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool expired;
	struct node nodes[MAX_NODES];
};

static struct fixture *fx;

/* ---- payload pattern: byte i of a message tagged t is (t + i*31) ------- */

static void fill_pattern(uint8_t *p, size_t len, uint8_t tag)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(tag + i * 31);
}

static bool check_pattern(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(p[0] + i * 31))
			return false;
	return true;
}

/* ---- callbacks --------------------------------------------------------- */

static void on_closed(void *ctx)
{
	struct node *n = ctx;
	n->closed = true;
	n->t = NULL;
}

static void on_raft(void *ctx, const char *peer_name, uint64_t peer_id,
		    const uint8_t *payload, size_t len)
{
	struct node *n = ctx;
	if (n->nrx >= MAX_RX)
		return;
	struct rx *r = &n->rx[n->nrx++];
	snprintf(r->from, sizeof(r->from), "%s", peer_name);
	r->from_id = peer_id;
	r->len = len;
	r->tag = payload[0];
	r->pattern_ok = check_pattern(payload, len);
	if (n->decode) {
		/* What the agent does: the codec validates, type goes in tag. */
		struct raft_msg m;
		char err[160];
		memset(&m, 0, sizeof(m));
		assert_int_equal(raft_msg_decode(payload, len, &m, err, sizeof(err)), RAFT_OK);
		r->tag = m.type;
		r->len = m.snapshot.len;
		r->pattern_ok = m.from == peer_id &&
				(m.snapshot.len == 0 || check_pattern(m.snapshot.data, m.snapshot.len));
		raft_msg_free(&m);
	}
	r->at_ns = uv_hrtime();
	if (n->close_on_rx)
		assert_int_equal(pgq_transport_close(n->t, on_closed), 0);
}

static void on_unreachable(void *ctx, const char *peer_name, uint64_t peer_id)
{
	((struct node *)ctx)->unreachable++;
}

static void on_connected(void *ctx, const char *peer_name, uint64_t peer_id)
{
	((struct node *)ctx)->connected++;
}

static void on_peer_hello(void *ctx, const struct pgq_transport_peer_hello *h)
{
	struct node *n = ctx;
	n->hellos++;
	snprintf(n->hello_cluster_id, sizeof(n->hello_cluster_id), "%s", h->cluster_id);
	n->hello_has_state = h->has_state;
	n->hello_inbound = h->inbound;
}

static void on_lease_age(void *ctx, const char *peer_name, uint64_t peer_id,
			 const struct pgq_frame_lease_age *a)
{
	struct node *n = ctx;
	(void)peer_name;
	if (n->nages >= MAX_RX)
		return;
	n->ages_from[n->nages] = peer_id;
	n->ages[n->nages++] = *a;
}

static const struct pgq_transport_callbacks callbacks = {
	.on_raft = on_raft,
	.on_lease_age = on_lease_age,
	.on_unreachable = on_unreachable,
	.on_connected = on_connected,
	.on_peer_hello = on_peer_hello,
};

/* ---- loop helpers ------------------------------------------------------ */

static void on_deadline(uv_timer_t *timer)
{
	fx->expired = true;
}

/* Runs the loop until cond(arg) holds or timeout_ms passes; returns cond. */
static bool run_until(bool (*cond)(void *), void *arg, uint64_t timeout_ms)
{
	bool met = false;
	fx->expired = false;
	uv_timer_start(&fx->deadline, on_deadline, timeout_ms, 0);
	/* cond is evaluated once per loop turn (it may consume, e.g. accept). */
	while (!(met = cond && cond(arg)) && !fx->expired)
		uv_run(&fx->loop, UV_RUN_ONCE);
	uv_timer_stop(&fx->deadline);
	return met;
}

static void run_for(uint64_t ms)
{
	run_until(NULL, NULL, ms);
}

/* ---- nodes ------------------------------------------------------------- */

struct node_opts {
	const char *scope;
	const char *cluster_id;
	bool has_state;
	size_t max_message_bytes;
	size_t send_queue_bytes;
	uint32_t handshake_timeout_ms;
	uint32_t write_timeout_ms;
	uint32_t backoff_min_ms, backoff_max_ms;
	int port; /* 0: any */
	bool v6;  /* listen on [::1] */
};

static struct node *node_start(int idx, const char *name, uint64_t id, const struct node_opts *o)
{
	static const struct node_opts defaults = { 0 };
	if (!o)
		o = &defaults;
	struct node *n = &fx->nodes[idx];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->id = id;
	struct pgq_transport_config cfg = {
		.scope = o->scope ? o->scope : SCOPE,
		.cluster_id = o->cluster_id ? o->cluster_id : "cluster-1",
		.member_name = name,
		.raft_id = id,
		.has_state = o->has_state,
		.max_message_bytes = o->max_message_bytes,
		.send_queue_bytes = o->send_queue_bytes,
		.handshake_timeout_ms = o->handshake_timeout_ms,
		.write_timeout_ms = o->write_timeout_ms,
		.backoff_min_ms = o->backoff_min_ms,
		.backoff_max_ms = o->backoff_max_ms,
		.seed = 1000 + id,
	};
	char err[256], addr[64];
	assert_int_equal(pgq_transport_new(&fx->loop, &cfg, &callbacks, n, &n->t, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), o->v6 ? "[::1]:%d" : "127.0.0.1:%d", o->port);
	if (pgq_transport_listen(n->t, addr, err, sizeof(err)) != 0)
		fail_msg("listen: %s", err);
	n->port = pgq_transport_listen_port(n->t);
	assert_true(n->port > 0);
	return n;
}

static void node_add_peer(struct node *n, const struct node *peer)
{
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", peer->port);
	if (pgq_transport_add_peer(n->t, peer->name, peer->id, addr, err, sizeof(err)) != 0)
		fail_msg("add_peer: %s", err);
}

static bool node_closed(void *arg)
{
	return ((struct node *)arg)->closed;
}

static void node_close(struct node *n)
{
	assert_int_equal(pgq_transport_close(n->t, on_closed), 0);
	assert_true(run_until(node_closed, n, WAIT_MS));
}

static bool connected_at_least_1(void *arg)
{
	return ((struct node *)arg)->connected >= 1;
}

struct pair {
	struct node *a, *b;
};

static bool pair_connected(void *arg)
{
	struct pair *p = arg;
	return p->a->connected >= 1 && p->b->connected >= 1;
}

/* A and B know each other and both outbound connections are up. */
static struct pair start_pair(void)
{
	struct pair p = { node_start(0, "a", 1, NULL), node_start(1, "b", 2, NULL) };
	node_add_peer(p.a, p.b);
	node_add_peer(p.b, p.a);
	assert_true(run_until(pair_connected, &p, WAIT_MS));
	return p;
}

struct rx_wait {
	struct node *n;
	size_t count;
};

static bool has_rx(void *arg)
{
	struct rx_wait *w = arg;
	return w->n->nrx >= w->count;
}

static bool wait_rx(struct node *n, size_t count)
{
	struct rx_wait w = { n, count };
	return run_until(has_rx, &w, WAIT_MS);
}

static void send_tagged(struct node *from, const struct node *to, uint8_t tag, size_t len)
{
	uint8_t *buf = malloc(len);
	fill_pattern(buf, len, tag);
	assert_int_equal(pgq_transport_send(from->t, to->id, buf, len), 0);
	free(buf);
}

static struct pgq_transport_stats tstats(const struct node *n)
{
	struct pgq_transport_stats s;
	pgq_transport_stats(n->t, &s);
	return s;
}

static struct pgq_transport_peer_stats pstats(const struct node *n, uint64_t peer)
{
	struct pgq_transport_peer_stats s;
	assert_int_equal(pgq_transport_peer_stats(n->t, peer, &s), 0);
	return s;
}

/* ---- raw client sockets ----------------------------------------------- */

struct raw {
	int fd;
	uint8_t buf[1 << 16];
	size_t len;
	bool eof;
};

static struct raw *raw_connect(int port)
{
	struct raw *r = calloc(1, sizeof(*r));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	/* Blocking connect completes against the listen backlog without the loop. */
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
	return r;
}

static void raw_free(struct raw *r)
{
	close(r->fd);
	free(r);
}

static void raw_send(struct raw *r, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len > 0) {
		ssize_t n = send(r->fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			run_for(5); /* let the transport read */
			continue;
		}
		assert_true(n > 0);
		b += n;
		len -= (size_t)n;
	}
}

static void raw_send_frame(struct raw *r, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t *f;
	size_t flen;
	assert_int_equal(pgq_frame_build(type, payload, len, &f, &flen), 0);
	raw_send(r, f, flen);
	free(f);
}

/* Reads what is available; true once the transport closed the connection. */
static bool raw_poll_eof(void *arg)
{
	struct raw *r = arg;
	while (!r->eof) {
		uint8_t tmp[4096];
		ssize_t n = recv(r->fd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			size_t room = sizeof(r->buf) - r->len;
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(r->buf + r->len, tmp, take);
			r->len += take;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			r->eof = true;
		break;
	}
	return r->eof;
}

static bool raw_has_frame(void *arg)
{
	struct raw *r = arg;
	raw_poll_eof(r);
	struct pgq_frame f;
	size_t used;
	return pgq_frame_decode(r->buf, r->len, 1 << 16, &f, &used) == PGQ_FRAME_OK;
}

/* The first frame the transport sent to the raw client. */
static struct pgq_frame raw_first_frame(struct raw *r)
{
	assert_true(run_until(raw_has_frame, r, WAIT_MS));
	struct pgq_frame f;
	size_t used;
	assert_int_equal(pgq_frame_decode(r->buf, r->len, 1 << 16, &f, &used), PGQ_FRAME_OK);
	return f;
}

static void raw_send_hello(struct raw *r, const char *scope, const char *cluster_id,
			   const char *name, uint64_t id)
{
	struct pgq_frame_hello h = { .protocol_version = PGQ_TRANSPORT_PROTOCOL_VERSION,
				     .raft_id = id };
	snprintf(h.scope, sizeof(h.scope), "%s", scope);
	snprintf(h.cluster_id, sizeof(h.cluster_id), "%s", cluster_id);
	snprintf(h.member_name, sizeof(h.member_name), "%s", name);
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	size_t n = pgq_frame_hello_encode(&h, buf, sizeof(buf));
	assert_true(n > 0);
	raw_send_frame(r, PGQ_FRAME_HELLO, buf, n);
}

/* A raw client that completed the handshake as member b (id 2) of node a. */
static struct raw *raw_handshaken_as_b(struct node *a)
{
	struct raw *r = raw_connect(a->port);
	raw_send_hello(r, SCOPE, "cluster-1", "b", 2);
	struct pgq_frame f = raw_first_frame(r);
	assert_int_equal(f.type, PGQ_FRAME_HELLO_ACK);
	return r;
}

static void assert_refused(struct raw *r, int code)
{
	struct pgq_frame f = raw_first_frame(r);
	assert_int_equal(f.type, PGQ_FRAME_REFUSE);
	struct pgq_frame_refuse ref;
	assert_int_equal(pgq_frame_refuse_decode(f.payload, f.payload_len, &ref), PGQ_FRAME_OK);
	assert_int_equal(ref.code, code);
	assert_true(ref.reason[0] != '\0');
	assert_true(run_until(raw_poll_eof, r, WAIT_MS)); /* and then closed */
}

/* After an attack on a, a and b still talk both ways. */
static void assert_pair_still_works(struct node *a, struct node *b)
{
	size_t na = a->nrx, nb = b->nrx;
	send_tagged(a, b, 0x61, 100);
	send_tagged(b, a, 0x62, 100);
	assert_true(wait_rx(a, na + 1));
	assert_true(wait_rx(b, nb + 1));
	assert_int_equal(a->rx[na].tag, 0x62);
	assert_int_equal(b->rx[nb].tag, 0x61);
}

/* ---- setup / teardown -------------------------------------------------- */

static int setup(void **state)
{
	fx = calloc(1, sizeof(*fx));
	if (uv_loop_init(&fx->loop) != 0)
		return -1;
	uv_timer_init(&fx->loop, &fx->deadline);
	pgq_log_set_level(PGQ_LOG_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < MAX_NODES; i++)
		if (fx->nodes[i].t)
			node_close(&fx->nodes[i]);
	uv_close((uv_handle_t *)&fx->deadline, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	/* UV_EBUSY here means the transport left a handle open. */
	int rc = uv_loop_close(&fx->loop);
	free(fx);
	fx = NULL;
	assert_int_equal(rc, 0);
	return 0;
}

/* ---- tests: normal operation ------------------------------------------ */

static void exchange_both_ways(void **state)
{
	struct pair p = start_pair();
	for (uint8_t i = 0; i < 5; i++) {
		send_tagged(p.a, p.b, (uint8_t)(10 + i), 50 + i);
		send_tagged(p.b, p.a, (uint8_t)(20 + i), 70 + i);
	}
	assert_true(wait_rx(p.a, 5));
	assert_true(wait_rx(p.b, 5));
	for (size_t i = 0; i < 5; i++) {
		/* Small messages keep their order and arrive intact, named by sender. */
		assert_int_equal(p.b->rx[i].tag, 10 + i);
		assert_int_equal(p.b->rx[i].len, 50 + i);
		assert_true(p.b->rx[i].pattern_ok);
		assert_string_equal(p.b->rx[i].from, "a");
		assert_int_equal(p.b->rx[i].from_id, 1);
		assert_int_equal(p.a->rx[i].tag, 20 + i);
		assert_string_equal(p.a->rx[i].from, "b");
		assert_int_equal(p.a->rx[i].from_id, 2);
	}
	struct pgq_transport_peer_stats s = pstats(p.a, 2);
	assert_true(s.connected);
	assert_true(s.inbound_connected);
	assert_int_equal(s.messages_sent, 5);
	assert_int_equal(s.messages_received, 5);
	assert_true(s.bytes_sent >= 5 * (16 + 50));
	assert_int_equal(s.queue_bytes, 0);
}

static void messages_sent_before_connect_are_delivered(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	node_add_peer(b, a);
	/* No loop turn yet: the connection is not up, the message waits in the queue. */
	send_tagged(a, b, 7, 10);
	assert_true(wait_rx(b, 1));
	assert_int_equal(b->rx[0].tag, 7);
}

static void host_names_are_resolved(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "localhost:%d", a->port);
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	/* localhost may resolve to ::1 first while a listens on 127.0.0.1 only:
	 * the next attempt tries the next address. */
	assert_true(run_until(connected_at_least_1, b, WAIT_MS));
	send_tagged(b, a, 0x42, 5);
	assert_true(wait_rx(a, 1));
}

static void ipv6_loopback_works(void **state)
{
	/* Containers without IPv6 skip this test rather than fail it. */
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&sa6, sizeof(sa6)) == 0;
	if (probe >= 0)
		close(probe);
	if (!have_v6)
		skip();
	struct node_opts v6 = { .v6 = true };
	struct node *a = node_start(0, "a", 1, &v6);
	struct node *b = node_start(1, "b", 2, &v6);
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "[::1]:%d", a->port);
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "[::1]:%d", b->port);
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 2, addr, err, sizeof(err)), 0);
	assert_true(run_until(connected_at_least_1, b, WAIT_MS));
	send_tagged(b, a, 0x66, 5);
	assert_true(wait_rx(a, 1));
}

static void peer_hello_reports_cluster_id_and_state(void **state)
{
	/* S15 bootstrap probe: a fresh agent learns whether its peers have state
	 * and a cluster id from the handshake itself. */
	struct node_opts fresh = { .cluster_id = "" };
	struct node_opts booted = { .cluster_id = "cid-42", .has_state = true };
	struct node *a = node_start(0, "a", 1, &fresh);
	struct node *b = node_start(1, "b", 2, &booted);
	node_add_peer(a, b);
	node_add_peer(b, a);
	assert_true(run_until(connected_at_least_1, a, WAIT_MS));
	assert_true(a->hellos >= 1);
	assert_string_equal(a->hello_cluster_id, "cid-42");
	assert_true(a->hello_has_state);
	/* And once bootstrapped, the new id is announced in later handshakes. */
	assert_int_equal(pgq_transport_set_cluster_id(a->t, "cid-42"), 0);
	assert_int_equal(pgq_transport_set_cluster_id(a->t, "bad\nid"), -1);
}

static void large_snapshot_does_not_block_small_messages(void **state)
{
	struct pair p = start_pair();
	const size_t big = 8u * 1024 * 1024;
	uint64_t t0 = uv_hrtime();
	send_tagged(p.a, p.b, 0xB1, big);
	send_tagged(p.a, p.b, 0x05, 40); /* a heartbeat sent after the snapshot */
	assert_true(wait_rx(p.b, 2));
	/* The small one overtook the snapshot: it did not wait for 8 MiB. */
	assert_int_equal(p.b->rx[0].tag, 0x05);
	assert_int_equal(p.b->rx[0].len, 40);
	assert_int_equal(p.b->rx[1].tag, 0xB1);
	assert_int_equal(p.b->rx[1].len, big);
	assert_true(p.b->rx[1].pattern_ok);
	print_message("# small message after %.1f ms, 8 MiB snapshot after %.1f ms\n",
		      (double)(p.b->rx[0].at_ns - t0) / 1e6, (double)(p.b->rx[1].at_ns - t0) / 1e6);
	/* A second big message reuses the path (reassembly state was reset). */
	send_tagged(p.a, p.b, 0xB2, 200 * 1024);
	assert_true(wait_rx(p.b, 3));
	assert_int_equal(p.b->rx[2].tag, 0xB2);
	assert_true(p.b->rx[2].pattern_ok);
}

static void send_raft_msg(struct node *from, const struct node *to, const struct raft_msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(raft_msg_encode(m, &buf, &len), RAFT_OK);
	assert_int_equal(pgq_transport_send(from->t, to->id, buf, len), 0);
	free(buf);
}

static void codec_snapshot_and_heartbeat_through_transport(void **state)
{
	/* The real payloads: an InstallSnapshot of 8 MiB encoded by the Raft
	 * codec, then a heartbeat; the heartbeat is not stuck behind it. */
	struct pair p = start_pair();
	p.b->decode = true;
	const size_t snap_len = 8u * 1024 * 1024;
	uint8_t *data = malloc(snap_len);
	fill_pattern(data, snap_len, 0x21);
	struct raft_msg snap = {
		.type = RAFT_MSG_SNAPSHOT, .from = 1, .to = 2, .term = 3,
		.snapshot = { .meta = { .index = 100, .term = 3,
					.config = { .n = 2, .members = { { 1, true }, { 2, true } } } },
			      .len = snap_len, .data = data },
	};
	struct raft_msg hb = { .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3,
			       .commit = 100 };
	send_raft_msg(p.a, p.b, &snap);
	send_raft_msg(p.a, p.b, &hb);
	free(data);
	assert_true(wait_rx(p.b, 2));
	assert_int_equal(p.b->rx[0].tag, RAFT_MSG_HEARTBEAT);
	assert_true(p.b->rx[0].pattern_ok);
	assert_int_equal(p.b->rx[1].tag, RAFT_MSG_SNAPSHOT);
	assert_int_equal(p.b->rx[1].len, snap_len);
	assert_true(p.b->rx[1].pattern_ok);
}

static void reconnect_after_listener_restart_with_backoff(void **state)
{
	struct pair p = start_pair();
	int a_port = p.a->port;
	uint64_t attempts0 = pstats(p.b, 1).connect_attempts;
	node_close(p.a);

	/* While a is down, b retries on the backoff schedule (50 ms doubling,
	 * equal jitter): within 700 ms that is 3 or 4 attempts. A fixed 50 ms
	 * retry would make ~14, a busy loop thousands. */
	run_for(700);
	uint64_t attempts = pstats(p.b, 1).connect_attempts - attempts0;
	print_message("# connect attempts while the peer was down for 700 ms: %llu\n",
		      (unsigned long long)attempts);
	assert_true(attempts >= 2);
	assert_true(attempts <= 6);
	assert_true(p.b->unreachable >= 1);
	assert_false(pstats(p.b, 1).connected);

	/* The listener comes back on the same port with the same identity. */
	struct node_opts same_port = { .port = a_port };
	struct node *a2 = node_start(0, "a", 1, &same_port);
	node_add_peer(a2, p.b);
	assert_true(run_until(connected_at_least_1, a2, WAIT_MS));
	size_t before = p.b->connected;
	assert_true(before >= 1);
	/* b's outbound connection comes back within the capped backoff. */
	for (int i = 0; i < 100 && p.b->connected < 2; i++)
		run_for(50);
	assert_int_equal(p.b->connected, 2);
	assert_int_equal(pstats(p.b, 1).reconnects, 1);
	assert_pair_still_works(a2, p.b);
}

/* ---- tests: bad input closes that connection only --------------------- */

static void garbage_bytes_close_connection_only(void **state)
{
	struct pair p = start_pair();
	struct raw *r = raw_connect(p.a->port);
	const char *http = "GET /cluster HTTP/1.1\r\nHost: x\r\n\r\n";
	raw_send(r, http, strlen(http));
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(tstats(p.a).protocol_errors, 1);
	raw_free(r);
	assert_pair_still_works(p.a, p.b);
}

static void oversized_frame_before_handshake_closed(void **state)
{
	struct pair p = start_pair();
	struct raw *r = raw_connect(p.a->port);
	uint8_t h[PGQ_FRAME_HEADER_BYTES];
	/* A "HELLO" claiming 10 MiB: refused from the header, nothing allocated. */
	pgq_frame_header_encode(h, PGQ_FRAME_HELLO, 10u * 1024 * 1024, 0);
	raw_send(r, h, sizeof(h));
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(tstats(p.a).protocol_errors, 1);
	raw_free(r);
	assert_pair_still_works(p.a, p.b);
}

static void oversized_frame_after_handshake_closed(void **state)
{
	struct node_opts small = { .max_message_bytes = 64 * 1024 };
	struct node *a = node_start(0, "a", 1, &small);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	struct raw *r = raw_handshaken_as_b(a);
	uint8_t h[PGQ_FRAME_HEADER_BYTES];
	pgq_frame_header_encode(h, PGQ_FRAME_RAFT, 64 * 1024 + 100, 0);
	raw_send(r, h, sizeof(h));
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(tstats(a).protocol_errors, 1);
	assert_int_equal(a->nrx, 0);
	raw_free(r);
	/* The real b still gets through. */
	node_add_peer(b, a);
	send_tagged(b, a, 9, 10);
	assert_true(wait_rx(a, 1));
}

static void wrong_frame_version_refused_with_reason(void **state)
{
	struct pair p = start_pair();
	struct raw *r = raw_connect(p.a->port);
	uint8_t h[PGQ_FRAME_HEADER_BYTES];
	pgq_frame_header_encode(h, PGQ_FRAME_HELLO, 0, 0);
	h[4] = PGQ_FRAME_VERSION + 1; /* an agent from the future */
	raw_send(r, h, sizeof(h));
	assert_refused(r, PGQ_REFUSE_PROTOCOL);
	raw_free(r);
	assert_pair_still_works(p.a, p.b);
}

static void bad_crc_after_handshake_closes(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	struct raw *r = raw_handshaken_as_b(a);
	uint8_t good[20], *f;
	size_t flen;
	fill_pattern(good, sizeof(good), 3);
	raw_send_frame(r, PGQ_FRAME_RAFT, good, sizeof(good));
	assert_int_equal(pgq_frame_build(PGQ_FRAME_RAFT, good, sizeof(good), &f, &flen), 0);
	f[flen - 1] ^= 0x01; /* one flipped bit in the payload */
	raw_send(r, f, flen);
	free(f);
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(a->nrx, 1); /* the good frame only */
	assert_int_equal(a->rx[0].tag, 3);
	assert_int_equal(tstats(a).protocol_errors, 1);
	raw_free(r);
}

static void chunk_violations_close_connection(void **state)
{
	struct node_opts small = { .max_message_bytes = 64 * 1024 };
	struct node *a = node_start(0, "a", 1, &small);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	uint8_t payload[PGQ_FRAME_CHUNK_PREFIX_BYTES + 100];
	memset(payload, 1, sizeof(payload));

	/* A message announced larger than the cap: closed before any allocation. */
	struct raw *r = raw_handshaken_as_b(a);
	pgq_frame_chunk_prefix_encode(payload, 1, 64 * 1024 + 1, 0);
	raw_send_frame(r, PGQ_FRAME_RAFT_CHUNK, payload, sizeof(payload));
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	raw_free(r);

	/* A gap between chunks. */
	r = raw_handshaken_as_b(a);
	pgq_frame_chunk_prefix_encode(payload, 2, 1000, 0);
	raw_send_frame(r, PGQ_FRAME_RAFT_CHUNK, payload, sizeof(payload));
	pgq_frame_chunk_prefix_encode(payload, 2, 1000, 300);
	raw_send_frame(r, PGQ_FRAME_RAFT_CHUNK, payload, sizeof(payload));
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	raw_free(r);

	/* A HELLO again after the handshake. */
	r = raw_handshaken_as_b(a);
	raw_send_hello(r, SCOPE, "cluster-1", "b", 2);
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	raw_free(r);

	/* An empty RAFT frame (no Raft message is empty). */
	r = raw_handshaken_as_b(a);
	raw_send_frame(r, PGQ_FRAME_RAFT, NULL, 0);
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	raw_free(r);

	assert_int_equal(tstats(a).protocol_errors, 4);
	assert_int_equal(a->nrx, 0);
}

static void random_frames_never_hurt_the_transport(void **state)
{
	/* Seeded random frames with valid headers and CRCs, so they get past
	 * the framing into the HELLO, REFUSE and chunk decoders; half of them
	 * after a real handshake. Whatever happens to those connections, the
	 * transport keeps serving the real peer (ASan/UBSan watch the rest). */
	struct pair p = start_pair();
	uint64_t rng = 0x5eed;
	for (int i = 0; i < 120; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		bool handshake = (rng >> 60) & 1;
		uint8_t type = (uint8_t)(1 + (rng >> 40) % 5);
		size_t len = (size_t)((rng >> 20) % 300);
		uint8_t payload[300];
		for (size_t k = 0; k < len; k++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			payload[k] = (uint8_t)(rng >> 56);
		}
		/* Sometimes a plausible HELLO prefix: version 1, flags 0. */
		if (len >= 4 && (i % 3) == 0) {
			payload[0] = 0, payload[1] = 1, payload[2] = 0, payload[3] = 0;
		}
		struct raw *r = handshake ? raw_handshaken_as_b(p.a) : raw_connect(p.a->port);
		raw_send_frame(r, type, payload, len);
		run_for(3);
		raw_free(r);
	}
	/* The raw "b" handshakes replaced b's real connection to a, so b's
	 * messages may be lost until it reconnects: retry like Raft would. */
	p.a->nrx = 0; /* forget random RAFT frames the raw "b" got delivered */
	size_t before = 0;
	for (int i = 0; i < 20 && p.a->nrx == before; i++) {
		send_tagged(p.b, p.a, 0x77, 10);
		struct rx_wait w = { p.a, before + 1 };
		run_until(has_rx, &w, 250);
	}
	assert_true(p.a->nrx > before);
	assert_int_equal(p.a->rx[p.a->nrx - 1].tag, 0x77);
	send_tagged(p.a, p.b, 0x78, 10);
	assert_true(wait_rx(p.b, 1));
}

static void handshake_timeout_closes_silent_connection(void **state)
{
	struct node_opts quick = { .handshake_timeout_ms = 150 };
	struct node *a = node_start(0, "a", 1, &quick);
	struct raw *r = raw_connect(a->port);
	uint64_t t0 = uv_hrtime();
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	double ms = (double)(uv_hrtime() - t0) / 1e6;
	assert_true(ms >= 100);
	assert_true(ms < 2000);
	raw_free(r);
}

static void first_frame_not_hello_refused(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	struct raw *r = raw_connect(a->port);
	raw_send_frame(r, PGQ_FRAME_RAFT, (const uint8_t *)"sneaky", 6);
	assert_refused(r, PGQ_REFUSE_PROTOCOL);
	assert_int_equal(a->nrx, 0);
	raw_free(r);
}

static void newer_inbound_connection_replaces_older(void **state)
{
	/* A peer that restarted reconnects while its old connection may still
	 * look alive; the new one wins. */
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	struct raw *old = raw_handshaken_as_b(a);
	struct raw *young = raw_handshaken_as_b(a);
	assert_true(run_until(raw_poll_eof, old, WAIT_MS));
	uint8_t msg[8];
	fill_pattern(msg, sizeof(msg), 0x55);
	raw_send_frame(young, PGQ_FRAME_RAFT, msg, sizeof(msg));
	assert_true(wait_rx(a, 1));
	assert_int_equal(a->rx[0].tag, 0x55);
	assert_false(raw_poll_eof(young));
	raw_free(old);
	raw_free(young);
}

static void flood_of_silent_clients_cannot_lock_out_a_peer(void **state)
{
	struct pair p = start_pair();
	enum { N = 70 };
	struct raw *silent[N];
	for (int i = 0; i < N; i++) {
		silent[i] = raw_connect(p.a->port);
		run_for(2);
	}
	run_for(50);
	/* The oldest unauthenticated ones were evicted, the newest remain... */
	assert_true(raw_poll_eof(silent[0]));
	assert_false(raw_poll_eof(silent[N - 1]));
	/* ...and a real peer still connects and talks. */
	struct raw *r = raw_handshaken_as_b(p.a);
	raw_free(r);
	for (int i = 0; i < N; i++)
		raw_free(silent[i]);
	/* b's own connection was replaced by the raw "b"; b reconnects. */
	for (int i = 0; i < 100 && p.b->connected < 2; i++)
		run_for(50);
	assert_int_equal(p.b->connected, 2);
	assert_pair_still_works(p.a, p.b);
}

/* ---- tests: cluster identity ------------------------------------------ */

static void wrong_scope_refused(void **state)
{
	struct node_opts other = { .scope = "another-scope" };
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, &other);
	node_add_peer(a, b);
	node_add_peer(b, a);
	run_for(400);
	/* Each side refuses the other's HELLO: no connection, no message. */
	assert_int_equal(a->connected, 0);
	assert_int_equal(b->connected, 0);
	assert_true(tstats(a).handshakes_refused >= 1);
	assert_true(tstats(b).refused_by_peer >= 1);
	assert_int_equal(pgq_transport_send(b->t, 1, (const uint8_t *)"x", 1), 0);
	run_for(100);
	assert_int_equal(a->nrx, 0);

	struct raw *r = raw_connect(a->port);
	raw_send_hello(r, "another-scope", "cluster-1", "b", 2);
	assert_refused(r, PGQ_REFUSE_SCOPE);
	raw_free(r);
}

static void wrong_cluster_id_refused(void **state)
{
	struct node_opts other = { .cluster_id = "cluster-2" };
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, &other);
	node_add_peer(b, a);
	run_for(300);
	assert_int_equal(b->connected, 0);
	assert_true(tstats(a).handshakes_refused >= 1);

	struct raw *r = raw_connect(a->port);
	raw_send_hello(r, SCOPE, "cluster-2", "b", 2);
	assert_refused(r, PGQ_REFUSE_CLUSTER_ID);
	raw_free(r);
}

static void empty_cluster_id_accepted_before_bootstrap(void **state)
{
	/* A member that has not joined yet has no cluster id; it must still be
	 * reachable (it receives its first snapshot before it knows the id). */
	struct node_opts fresh = { .cluster_id = "" };
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, &fresh);
	node_add_peer(a, b);
	node_add_peer(b, a);
	assert_true(run_until(connected_at_least_1, b, WAIT_MS));
	assert_pair_still_works(a, b);
}

static void unknown_member_refused(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);

	struct raw *r = raw_connect(a->port);
	raw_send_hello(r, SCOPE, "cluster-1", "mallory", 99);
	assert_refused(r, PGQ_REFUSE_UNKNOWN_MEMBER);
	raw_free(r);

	/* A known name with the wrong id is not that member. */
	r = raw_connect(a->port);
	raw_send_hello(r, SCOPE, "cluster-1", "b", 3);
	assert_refused(r, PGQ_REFUSE_UNKNOWN_MEMBER);
	raw_free(r);
	assert_int_equal(tstats(a).handshakes_refused, 2);
}

static void dialled_address_answering_as_another_member_is_dropped(void **state)
{
	/* b thinks "a" lives at c's address; c accepts b but answers as "c". */
	struct node *b = node_start(1, "b", 2, NULL);
	struct node *c = node_start(2, "c", 3, NULL);
	node_add_peer(c, b);
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", c->port);
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	run_for(300);
	assert_int_equal(b->connected, 0);
	assert_false(pstats(b, 1).connected);
	assert_true(pstats(b, 1).connect_attempts >= 2);
}

static void readding_peer_with_new_address_redials(void **state)
{
	/* The record says where a member lives now: re-adding it moves it. */
	/* b backs off at least 1 s after a failure. */
	struct node_opts slow = { .backoff_min_ms = 2000, .backoff_max_ms = 4000 };
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, &slow);
	node_add_peer(a, b);
	char err[256], addr[64];
	/* First a wrong address (b's own port, answering as b, not a). */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", b->port);
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	run_for(200); /* one failure: the next attempt is >= 1 s away */
	assert_int_equal(b->connected, 0);
	assert_int_equal(pstats(b, 1).connect_attempts, 1);
	/* Same name, same id, same address: a no-op. */
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", a->port);
	uint64_t t0 = uv_hrtime();
	assert_int_equal(pgq_transport_add_peer(b->t, "a", 1, addr, err, sizeof(err)), 0);
	assert_true(run_until(connected_at_least_1, b, WAIT_MS));
	/* Redialled at once, not after the backoff. */
	assert_true((uv_hrtime() - t0) / 1000000 < 900);
	send_tagged(b, a, 0x71, 10);
	assert_true(wait_rx(a, 1));
}

/* ---- tests: queues, filter, removal, shutdown ------------------------- */

static void never_accept(uv_stream_t *server, int status)
{
	/* Leave the connection in the backlog: TCP is up, nobody answers. */
}

static void send_queue_bound_drops_and_reports_unreachable(void **state)
{
	struct node_opts tiny = { .send_queue_bytes = 64 * 1024 };
	struct node *a = node_start(0, "a", 1, &tiny);
	/* A peer that accepts TCP but never answers the handshake. */
	uv_tcp_t *mute = malloc(sizeof(*mute));
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_tcp_init(&fx->loop, mute);
	assert_int_equal(uv_tcp_bind(mute, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)mute, 8, never_accept), 0);
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	uv_tcp_getsockname(mute, (struct sockaddr *)&ss, &sl);
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 2, addr, err, sizeof(err)), 0);
	run_for(50);

	uint8_t msg[16 * 1024];
	fill_pattern(msg, sizeof(msg), 1);
	int queued = 0, dropped = 0;
	for (int i = 0; i < 10; i++) {
		if (pgq_transport_send(a->t, 2, msg, sizeof(msg)) == 0)
			queued++;
		else
			dropped++;
	}
	assert_int_equal(queued, 4);
	assert_int_equal(dropped, 6);
	struct pgq_transport_peer_stats s = pstats(a, 2);
	assert_int_equal(s.queue_bytes, 4 * sizeof(msg));
	assert_int_equal(s.messages_dropped, 6);
	/* Reported from the loop, not from inside pgq_transport_send. */
	assert_int_equal(a->unreachable, 0);
	run_for(20);
	assert_true(a->unreachable >= 1);
	uv_close((uv_handle_t *)mute, (uv_close_cb)free);
}

struct raw_listener {
	int fd;
	struct raw *conn;
};

static bool raw_accepted(void *arg)
{
	struct raw_listener *l = arg;
	int fd = accept(l->fd, NULL, NULL);
	if (fd < 0)
		return false;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->conn = calloc(1, sizeof(*l->conn));
	l->conn->fd = fd;
	return true;
}

static void peer_that_stops_reading_is_cut_by_write_timeout(void **state)
{
	struct node_opts o = { .write_timeout_ms = 300, .send_queue_bytes = 64u << 20 };
	struct node *a = node_start(0, "a", 1, &o);
	/* "b" is a raw socket: it completes the handshake, then never reads. */
	struct raw_listener l = { .fd = socket(AF_INET, SOCK_STREAM, 0) };
	int small = 4096;
	setsockopt(l.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l.fd, 4), 0);
	fcntl(l.fd, F_SETFL, fcntl(l.fd, F_GETFL) | O_NONBLOCK);
	socklen_t sl = sizeof(sa);
	getsockname(l.fd, (struct sockaddr *)&sa, &sl);
	char err[256], addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 2, addr, err, sizeof(err)), 0);
	assert_true(run_until(raw_accepted, &l, WAIT_MS));
	struct pgq_frame f = raw_first_frame(l.conn);
	assert_int_equal(f.type, PGQ_FRAME_HELLO);
	struct pgq_frame_hello h = { .protocol_version = PGQ_TRANSPORT_PROTOCOL_VERSION,
				     .raft_id = 2 };
	strcpy(h.scope, SCOPE);
	strcpy(h.cluster_id, "cluster-1");
	strcpy(h.member_name, "b");
	uint8_t buf[PGQ_FRAME_HANDSHAKE_MAX];
	raw_send_frame(l.conn, PGQ_FRAME_HELLO_ACK, buf, pgq_frame_hello_encode(&h, buf, sizeof(buf)));
	assert_true(run_until(connected_at_least_1, a, WAIT_MS));

	/* 32 MiB cannot fit in the kernel buffers of a peer that never reads. */
	struct node fake_b = { .id = 2 };
	for (uint8_t i = 0; i < 4; i++)
		send_tagged(a, &fake_b, i, 8u << 20);
	uint64_t t0 = uv_hrtime();
	for (int i = 0; i < 100 && pstats(a, 2).connected; i++)
		run_for(50);
	assert_false(pstats(a, 2).connected);
	print_message("# stalled connection cut after %.0f ms\n", (double)(uv_hrtime() - t0) / 1e6);
	assert_true(pstats(a, 2).messages_dropped >= 1);
	run_for(20);
	assert_true(a->unreachable >= 1);
	raw_free(l.conn);
	close(l.fd);
}

static void blocked_filter_drops_both_directions(void **state)
{
	struct pair p = start_pair();
	assert_int_equal(pgq_transport_set_blocked(p.a->t, "b", true), 0);
	assert_int_equal(pgq_transport_set_blocked(p.a->t, "nobody", true), -1);
	/* a -> b: dropped at a. b -> a: arrives at a, dropped there. */
	assert_int_equal(pgq_transport_send(p.a->t, 2, (const uint8_t *)"x", 1), -1);
	send_tagged(p.b, p.a, 0x33, 10);
	run_for(200);
	assert_int_equal(p.a->nrx, 0);
	assert_int_equal(p.b->nrx, 0);
	struct pgq_transport_peer_stats s = pstats(p.a, 2);
	assert_true(s.blocked);
	assert_int_equal(s.messages_dropped, 2);
	/* A partition is silent: no unreachable report from the filter itself. */
	assert_int_equal(p.a->unreachable, 0);
	/* Healed. */
	assert_int_equal(pgq_transport_set_blocked(p.a->t, "b", false), 0);
	assert_pair_still_works(p.a, p.b);
}

static bool b_inbound_gone(void *arg)
{
	struct pair *p = arg;
	return !pstats(p->b, 1).inbound_connected;
}

static void remove_peer_closes_and_refuses_it(void **state)
{
	struct pair p = start_pair();
	assert_int_equal(pgq_transport_remove_peer(p.a->t, 2), 0);
	assert_int_equal(pgq_transport_remove_peer(p.a->t, 2), -1);
	assert_int_equal(pgq_transport_send(p.a->t, 2, (const uint8_t *)"x", 1), -1);
	/* a closed both connections with b; b's reconnects are refused now. */
	assert_true(run_until(b_inbound_gone, &p, WAIT_MS));
	run_for(300);
	assert_true(tstats(p.b).refused_by_peer >= 1);
	assert_false(pstats(p.b, 1).connected);
	/* Adding it back restores traffic. */
	node_add_peer(p.a, p.b);
	size_t before = p.a->nrx;
	for (int i = 0; i < 100 && p.a->nrx == before; i++) {
		if (pstats(p.b, 1).connected)
			send_tagged(p.b, p.a, 0x44, 10);
		run_for(50);
	}
	assert_true(p.a->nrx > before);
}

static void close_with_traffic_in_flight_is_clean(void **state)
{
	struct pair p = start_pair();
	send_tagged(p.a, p.b, 1, 4u * 1024 * 1024);
	send_tagged(p.b, p.a, 2, 4u * 1024 * 1024);
	send_tagged(p.a, p.b, 3, 10);
	run_for(5); /* some chunks on the wire, reassembly half done */
	assert_int_equal(pgq_transport_close(p.a->t, on_closed), 0);
	assert_int_equal(pgq_transport_close(p.b->t, on_closed), 0);
	/* done runs from the loop, never inside close. */
	assert_false(p.a->closed);
	assert_true(run_until(node_closed, p.a, WAIT_MS));
	assert_true(run_until(node_closed, p.b, WAIT_MS));
	/* teardown asserts uv_loop_close() == 0; LSan checks the memory. */
}

static void close_from_inside_on_raft_stops_delivery(void **state)
{
	/* The agent may shut the transport down from a callback while more frames
	 * sit in the same read buffer: nothing is delivered after close, and
	 * nothing is freed under the running callback (ASan would see it). */
	struct pair p = start_pair();
	p.b->close_on_rx = true;
	for (uint8_t i = 0; i < 20; i++)
		send_tagged(p.a, p.b, i, 30);
	assert_true(run_until(node_closed, p.b, WAIT_MS));
	assert_int_equal(p.b->nrx, 1);
	/* a notices b going away and keeps running. */
	run_for(100);
	assert_false(pstats(p.a, 2).connected);
}

static void api_rejects_bad_arguments(void **state)
{
	char err[256];
	struct pgq_transport *t = NULL;
	struct pgq_transport_config cfg = { .scope = "", .member_name = "a", .raft_id = 1 };
	assert_int_equal(pgq_transport_new(&fx->loop, &cfg, NULL, NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scope"));
	cfg.scope = SCOPE;
	cfg.raft_id = 0;
	assert_int_equal(pgq_transport_new(&fx->loop, &cfg, NULL, NULL, &t, err, sizeof(err)), -1);
	cfg.raft_id = 1;
	cfg.member_name = "tab\there";
	assert_int_equal(pgq_transport_new(&fx->loop, &cfg, NULL, NULL, &t, err, sizeof(err)), -1);
	cfg.member_name = "a";
	cfg.chunk_bytes = 10;
	assert_int_equal(pgq_transport_new(&fx->loop, &cfg, NULL, NULL, &t, err, sizeof(err)), -1);

	struct node_opts small = { .max_message_bytes = 4096 };
	struct node *a = node_start(0, "a", 1, &small);
	assert_int_equal(pgq_transport_listen(a->t, "127.0.0.1:0", err, sizeof(err)), -1);
	assert_int_equal(pgq_transport_add_peer(a->t, "a", 5, "127.0.0.1:1", err, sizeof(err)), -1);
	assert_int_equal(pgq_transport_add_peer(a->t, "z", 1, "127.0.0.1:1", err, sizeof(err)), -1);
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 2, "127.0.0.1", err, sizeof(err)), -1);
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 2, "127.0.0.1:9", err, sizeof(err)), 0);
	assert_int_equal(pgq_transport_add_peer(a->t, "b", 3, "127.0.0.1:9", err, sizeof(err)), -1);
	assert_int_equal(pgq_transport_add_peer(a->t, "c", 2, "127.0.0.1:9", err, sizeof(err)), -1);
	uint8_t big[4097] = { 1 };
	assert_int_equal(pgq_transport_send(a->t, 2, big, 0), -1);
	assert_int_equal(pgq_transport_send(a->t, 2, big, sizeof(big)), -1);
	assert_int_equal(pgq_transport_send(a->t, 2, big, 4096), 0);
	assert_int_equal(pgq_transport_send(a->t, 77, big, 1), -1);
	struct pgq_transport_peer_stats s;
	assert_int_equal(pgq_transport_peer_stats(a->t, 77, &s), -1);
}


/* ---- S3 LEASE_AGE frames ------------------------------------------------- */

static bool has_ages(void *arg)
{
	struct rx_wait *w = arg;
	return w->n->nages >= w->count;
}

/* S3: a query and its answer travel as LEASE_AGE frames, fields intact. */
static void lease_age_query_and_answer_delivered(void **state)
{
	struct pair p = start_pair();
	struct pgq_frame_lease_age q = {
		.kind = PGQ_LEASE_AGE_QUERY, .leader_term = 9, .index = 321, .term = 8,
	};
	struct rx_wait wb = { p.b, 1 }, wa = { p.a, 1 };

	assert_int_equal(pgq_transport_send_lease_age(p.a->t, p.b->id, &q), 0);
	assert_true(run_until(has_ages, &wb, WAIT_MS));
	assert_int_equal(p.b->ages_from[0], p.a->id);
	assert_int_equal(p.b->ages[0].kind, PGQ_LEASE_AGE_QUERY);
	assert_int_equal(p.b->ages[0].leader_term, 9);
	assert_int_equal(p.b->ages[0].index, 321);
	assert_int_equal(p.b->ages[0].term, 8);
	q = p.b->ages[0];
	q.kind = PGQ_LEASE_AGE_ANSWER;
	q.age_ms = 2500;
	assert_int_equal(pgq_transport_send_lease_age(p.b->t, p.a->id, &q), 0);
	assert_true(run_until(has_ages, &wa, WAIT_MS));
	assert_int_equal(p.a->ages_from[0], p.b->id);
	assert_int_equal(p.a->ages[0].kind, PGQ_LEASE_AGE_ANSWER);
	assert_int_equal(p.a->ages[0].age_ms, 2500);
	assert_int_equal(p.a->nrx, 0); /* never handed to Raft */
	/* An invalid frame is never sent (a query with an age). */
	q.kind = PGQ_LEASE_AGE_QUERY;
	assert_int_equal(pgq_transport_send_lease_age(p.b->t, p.a->id, &q), -1);
	assert_pair_still_works(p.a, p.b);
}

/* A malformed LEASE_AGE closes that connection only (R6), nothing delivered. */
static void malformed_lease_age_closes_connection_only(void **state)
{
	struct node *a = node_start(0, "a", 1, NULL);
	struct node *b = node_start(1, "b", 2, NULL);
	node_add_peer(a, b);
	struct raw *r = raw_handshaken_as_b(a);
	struct pgq_frame_lease_age ok = {
		.kind = PGQ_LEASE_AGE_ANSWER, .leader_term = 3, .index = 10, .term = 3, .age_ms = 7,
	};
	uint8_t payload[PGQ_FRAME_LEASE_AGE_BYTES];
	struct rx_wait wa = { a, 1 };

	assert_int_equal(pgq_frame_lease_age_encode(&ok, payload), PGQ_FRAME_LEASE_AGE_BYTES);
	raw_send_frame(r, PGQ_FRAME_LEASE_AGE, payload, sizeof payload);
	assert_true(run_until(has_ages, &wa, WAIT_MS));
	payload[31] = 4; /* entry term above the leader term */
	raw_send_frame(r, PGQ_FRAME_LEASE_AGE, payload, sizeof payload);
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(a->nages, 1);
	assert_int_equal(tstats(a).protocol_errors, 1);
	raw_free(r);
	/* A truncated one (39 bytes) likewise. */
	r = raw_handshaken_as_b(a);
	raw_send_frame(r, PGQ_FRAME_LEASE_AGE, payload, sizeof payload - 1);
	assert_true(run_until(raw_poll_eof, r, WAIT_MS));
	assert_int_equal(a->nages, 1);
	assert_int_equal(tstats(a).protocol_errors, 2);
	raw_free(r);
	/* The real b still gets through. */
	node_add_peer(b, a);
	send_tagged(b, a, 9, 10);
	assert_true(wait_rx(a, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(exchange_both_ways),
		T(messages_sent_before_connect_are_delivered),
		T(host_names_are_resolved),
		T(ipv6_loopback_works),
		T(peer_hello_reports_cluster_id_and_state),
		T(large_snapshot_does_not_block_small_messages),
		T(codec_snapshot_and_heartbeat_through_transport),
		T(reconnect_after_listener_restart_with_backoff),
		T(garbage_bytes_close_connection_only),
		T(lease_age_query_and_answer_delivered),
		T(malformed_lease_age_closes_connection_only),
		T(oversized_frame_before_handshake_closed),
		T(oversized_frame_after_handshake_closed),
		T(wrong_frame_version_refused_with_reason),
		T(bad_crc_after_handshake_closes),
		T(chunk_violations_close_connection),
		T(random_frames_never_hurt_the_transport),
		T(handshake_timeout_closes_silent_connection),
		T(first_frame_not_hello_refused),
		T(newer_inbound_connection_replaces_older),
		T(flood_of_silent_clients_cannot_lock_out_a_peer),
		T(wrong_scope_refused),
		T(wrong_cluster_id_refused),
		T(empty_cluster_id_accepted_before_bootstrap),
		T(unknown_member_refused),
		T(dialled_address_answering_as_another_member_is_dropped),
		T(readding_peer_with_new_address_redials),
		T(send_queue_bound_drops_and_reports_unreachable),
		T(peer_that_stops_reading_is_cut_by_write_timeout),
		T(blocked_filter_drops_both_directions),
		T(remove_peer_closes_and_refuses_it),
		T(close_with_traffic_in_flight_is_clean),
		T(close_from_inside_on_raft_stops_delivery),
		T(api_rejects_bad_arguments),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

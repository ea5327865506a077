/*
 * frame.h — the wire format between agents: pure encode/decode, no I/O.
 *
 * Every frame is a fixed 16-byte header followed by a payload:
 *
 *   offset  size  field
 *   0       4     magic "PGQT" (0x50475154, big-endian)
 *   4       1     wire version (PGQ_FRAME_VERSION)
 *   5       1     frame type (enum pgq_frame_type)
 *   6       2     flags, must be 0 in version 1
 *   8       4     payload length in bytes
 *   12      4     CRC32C of the payload
 *
 * All integers are big-endian. The decoder never reads past the bytes it is
 * given and validates every field before the caller sees the frame, because
 * the bytes come from the network (DESIGN.md R6: a bad frame closes that
 * connection, never the agent).
 */
#ifndef PGQ_TRANSPORT_FRAME_H
#define PGQ_TRANSPORT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGQ_FRAME_MAGIC 0x50475154u /* "PGQT" */
#define PGQ_FRAME_VERSION 1
#define PGQ_FRAME_HEADER_BYTES 16
/* The protocol version carried inside HELLO (what the peers speak above frames). */
#define PGQ_TRANSPORT_PROTOCOL_VERSION 1

/* Limits of the handshake strings; longer values are refused at decode. */
#define PGQ_FRAME_SCOPE_MAX 128
#define PGQ_FRAME_CLUSTER_ID_MAX 64
#define PGQ_FRAME_NAME_MAX 128
#define PGQ_FRAME_REASON_MAX 256
/* Biggest control frame (HELLO, HELLO_ACK, REFUSE): the only size accepted
 * before a handshake completes, so an unauthenticated peer cannot make the
 * agent allocate more than this. */
#define PGQ_FRAME_HANDSHAKE_MAX 1024
/* RAFT_CHUNK payload = this prefix + data. */
#define PGQ_FRAME_CHUNK_PREFIX_BYTES 24

enum pgq_frame_type {
	PGQ_FRAME_HELLO = 1,      /* first frame of a connection: who I am */
	PGQ_FRAME_HELLO_ACK = 2,  /* handshake accepted: who the acceptor is */
	PGQ_FRAME_REFUSE = 3,     /* handshake refused: code + reason, then close */
	PGQ_FRAME_RAFT = 4,       /* one whole encoded Raft message */
	PGQ_FRAME_RAFT_CHUNK = 5, /* a piece of one large encoded Raft message */
	PGQ_FRAME_LEASE_AGE = 6,  /* S3: "how long since you appended entry (index, term)?" */
};

/* Result of pgq_frame_decode and of the payload decoders. */
enum pgq_frame_status {
	PGQ_FRAME_OK = 0,
	PGQ_FRAME_NEED_MORE = 1,      /* a valid prefix: wait for more bytes */
	PGQ_FRAME_ERR_MAGIC = -1,
	PGQ_FRAME_ERR_VERSION = -2,
	PGQ_FRAME_ERR_TYPE = -3,
	PGQ_FRAME_ERR_FLAGS = -4,
	PGQ_FRAME_ERR_TOO_BIG = -5,
	PGQ_FRAME_ERR_CRC = -6,
	PGQ_FRAME_ERR_MALFORMED = -7, /* payload fields invalid */
};

/* Short lowercase name of a status for log lines ("bad magic", ...). */
const char *pgq_frame_status_name(int status);
const char *pgq_frame_type_name(int type);

/* A decoded frame; payload points into the caller's buffer (borrowed). */
struct pgq_frame {
	uint8_t type;
	uint32_t payload_len;
	const uint8_t *payload;
};

/*
 * Writes the 16-byte header for a payload of payload_len bytes whose CRC32C is
 * crc (computed by the caller, so a payload in pieces needs no copy).
 */
void pgq_frame_header_encode(uint8_t out[PGQ_FRAME_HEADER_BYTES], uint8_t type,
			     uint32_t payload_len, uint32_t crc);

/*
 * Builds a whole frame (header + copy of payload) in a malloc'd buffer that the
 * caller frees. Returns 0, or -1 when out of memory or payload_len > UINT32_MAX.
 */
int pgq_frame_build(uint8_t type, const uint8_t *payload, size_t payload_len,
		    uint8_t **out, size_t *out_len);

/*
 * Decodes the frame at the start of buf[0..len). Returns PGQ_FRAME_OK with
 * *frame filled and *consumed = header + payload bytes; PGQ_FRAME_NEED_MORE when
 * buf is a valid but incomplete prefix; or a negative status. A payload larger
 * than max_payload is PGQ_FRAME_ERR_TOO_BIG as soon as the header is complete,
 * before any payload byte arrives.
 */
int pgq_frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
		     struct pgq_frame *frame, size_t *consumed);

/* HELLO and HELLO_ACK payload: the sender's identity. */
#define PGQ_HELLO_FLAG_HAS_STATE 0x0001u /* sender has Raft state (S15 probe) */
struct pgq_frame_hello {
	uint16_t protocol_version;
	uint16_t flags;
	uint64_t raft_id;
	char scope[PGQ_FRAME_SCOPE_MAX + 1];
	char cluster_id[PGQ_FRAME_CLUSTER_ID_MAX + 1]; /* "" before bootstrap */
	char member_name[PGQ_FRAME_NAME_MAX + 1];
};

/*
 * Encodes h into out (capacity cap). Returns the payload length, or 0 when a
 * string is too long or cap is too small.
 */
size_t pgq_frame_hello_encode(const struct pgq_frame_hello *h, uint8_t *out, size_t cap);
/* Decodes a HELLO payload; PGQ_FRAME_OK or PGQ_FRAME_ERR_MALFORMED. */
int pgq_frame_hello_decode(const uint8_t *p, size_t len, struct pgq_frame_hello *h);

/* Why a handshake was refused. */
enum pgq_refuse_code {
	PGQ_REFUSE_PROTOCOL = 1,      /* bad first frame or unsupported version */
	PGQ_REFUSE_SCOPE = 2,         /* another scope */
	PGQ_REFUSE_CLUSTER_ID = 3,    /* same scope, another cluster id */
	PGQ_REFUSE_UNKNOWN_MEMBER = 4,/* name/id not among my peers */
	PGQ_REFUSE_SHUTTING_DOWN = 5,
};
const char *pgq_refuse_code_name(int code);

struct pgq_frame_refuse {
	uint16_t code;
	char reason[PGQ_FRAME_REASON_MAX + 1];
};
size_t pgq_frame_refuse_encode(const struct pgq_frame_refuse *r, uint8_t *out, size_t cap);
int pgq_frame_refuse_decode(const uint8_t *p, size_t len, struct pgq_frame_refuse *r);

/* RAFT_CHUNK prefix: which message, its total size, where this piece goes. */
struct pgq_frame_chunk {
	uint64_t msg_seq;
	uint64_t total_len;
	uint64_t offset;
	const uint8_t *data; /* borrowed, points into the payload */
	size_t data_len;
};
void pgq_frame_chunk_prefix_encode(uint8_t out[PGQ_FRAME_CHUNK_PREFIX_BYTES],
				   uint64_t msg_seq, uint64_t total_len, uint64_t offset);
/* Validates: data_len > 0, offset + data_len <= total_len (no overflow). */
int pgq_frame_chunk_decode(const uint8_t *p, size_t len, struct pgq_frame_chunk *c);

/*
 * LEASE_AGE payload (SAFETY.md S3, docs/safety-changes.md C3): a newly
 * elected leader asks each voter how long ago it appended the latest lease
 * renewal in the leader's log; a voter that holds exactly that entry answers
 * with the duration on its own clock. Fixed 40 bytes:
 *
 *   offset  size  field
 *   0       1     kind (1 query, 2 answer)
 *   1       7     reserved, must be 0
 *   8       8     leader_term: the term of the leader that asked
 *   16      8     index of the entry (> 0)
 *   24      8     term of the entry (> 0, <= leader_term)
 *   32      8     age_ms: 0 in a query; in an answer the time since the
 *                 voter appended the entry (<= PGQ_LEASE_AGE_MAX_MS)
 */
#define PGQ_FRAME_LEASE_AGE_BYTES 40
/* Larger ages are refused at decode; a voter clamps down to it (understating
 * an age only lengthens the wait, the safe side). About 115 days. */
#define PGQ_LEASE_AGE_MAX_MS 10000000000ull

enum pgq_lease_age_kind {
	PGQ_LEASE_AGE_QUERY = 1,
	PGQ_LEASE_AGE_ANSWER = 2,
};

struct pgq_frame_lease_age {
	uint8_t kind;
	uint64_t leader_term;
	uint64_t index;
	uint64_t term;
	uint64_t age_ms;
};

/* Encodes into out; returns PGQ_FRAME_LEASE_AGE_BYTES, or 0 when a field is
 * invalid (the same checks as the decoder: nothing invalid is ever sent). */
size_t pgq_frame_lease_age_encode(const struct pgq_frame_lease_age *a,
				  uint8_t out[PGQ_FRAME_LEASE_AGE_BYTES]);
/* Decodes and validates every field; PGQ_FRAME_OK or PGQ_FRAME_ERR_MALFORMED. */
int pgq_frame_lease_age_decode(const uint8_t *p, size_t len, struct pgq_frame_lease_age *a);

#endif /* PGQ_TRANSPORT_FRAME_H */

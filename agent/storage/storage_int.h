/*
 * storage_int.h — private to agent/storage/: the on-disk formats, the
 * durable-write helpers and the directory scan shared by open and check.
 * docs/storage.md describes every byte; keep the two in step.
 */
#ifndef PGQ_STORAGE_INT_H
#define PGQ_STORAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

#define STORAGE_LOG_COMPONENT "storage"

/* File names inside the data directory. */
#define HARDSTATE_FILE "hardstate"
#define IDENTITY_FILE "identity"
#define LOCK_FILE "lock"
#define TMP_SUFFIX ".tmp"
#define FILE_NAME_MAX 96

/* ---- little-endian field access (every multi-byte field on disk is LE) ---- */

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ---- fsio.c: the only place that writes or reads whole files ---- */

/* Fills err with "<what> \"<dir>/<name>\": <strerror(errno)>"; returns PGQ_STORAGE_ERR_IO. */
int fsio_error(char *err, size_t errlen, const char *what, const char *dir, const char *name);
int fsio_write_all(int fd, const void *buf, size_t len);
int fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t offset);
/* fsync / fdatasync that retry EINTR; return 0 or -1 with errno. */
int fsio_fsync(int fd);
int fsio_fdatasync(int fd);
int fsio_fsync_dir(int dirfd, const char *dir, char *err, size_t errlen);
/*
 * Read a whole regular file (at most max_bytes) into a malloc'd buffer the
 * caller frees. Returns 0, PGQ_STORAGE_ERR_NOT_FOUND, _IO, _NOMEM or
 * _CORRUPT (file larger than max_bytes).
 */
int fsio_read_file(int dirfd, const char *dir, const char *name, uint64_t max_bytes,
		   uint8_t **buf, size_t *len, char *err, size_t errlen);
/*
 * Durable replacement, used for every file that is replaced whole (hard
 * state, identity, snapshots): write NAME.tmp, fsync it, rename over NAME,
 * fsync the directory. After a crash NAME holds either the old or the new
 * contents, never a mix, never an empty file.
 */
int fsio_durable_replace(int dirfd, const char *dir, const char *name, const void *buf,
			 size_t len, char *err, size_t errlen);
/*
 * The same without the final directory fsync: after a crash NAME holds the
 * old or the new contents (both complete). Only for changes whose loss is
 * harmless (the commit index alone, which Raft re-learns from the leader).
 */
int fsio_replace_lazy(int dirfd, const char *dir, const char *name, const void *buf,
		      size_t len, char *err, size_t errlen);
/* unlink NAME; a missing file is not an error. No directory fsync (batch them). */
int fsio_unlink(int dirfd, const char *dir, const char *name, char *err, size_t errlen);

/* ---- hardstate.c ---- */

#define HARDSTATE_BYTES 44
void hardstate_encode(uint8_t out[HARDSTATE_BYTES], const struct raft_hard_state *hs);
/* Returns 0, PGQ_STORAGE_ERR_CORRUPT or _VERSION with the reason (and offset) in why. */
int hardstate_decode(const uint8_t *buf, size_t len, struct raft_hard_state *out,
		     char *why, size_t whylen);

/* ---- identity.c ---- */

/* Allocates *out (caller frees). */
int identity_encode(const struct pgq_storage_identity *id, uint8_t **out, size_t *len);
int identity_decode(const uint8_t *buf, size_t len, struct pgq_storage_identity *out,
		    char *why, size_t whylen);
bool identity_valid(const struct pgq_storage_identity *id, char *why, size_t whylen);

/* ---- snapfile.c ---- */

void snapfile_name(char out[FILE_NAME_MAX], raft_term_t term, raft_index_t index);
bool snapfile_name_parse(const char *name, raft_term_t *term, raft_index_t *index);
/* Allocates *out (caller frees). */
int snapfile_encode(const struct raft_snapshot_meta *meta, const uint8_t *data, size_t len,
		    uint8_t **out, size_t *out_len);
/* On success out->data points into buf (no copy). */
int snapfile_decode(const uint8_t *buf, size_t len, struct raft_snapshot *out,
		    char *why, size_t whylen);

/* ---- segment.c ---- */

#define SEG_HEADER_BYTES 28
#define REC_HEADER_BYTES 12 /* payload length, payload CRC, header CRC */
#define REC_FIXED_BYTES 17  /* term, index, type: the payload before the data */

void segment_name(char out[FILE_NAME_MAX], raft_index_t first);
bool segment_name_parse(const char *name, raft_index_t *first);
void segment_header_encode(uint8_t out[SEG_HEADER_BYTES], raft_index_t first);
size_t record_size(const struct raft_entry *e);
/* Writes record_size(e) bytes to out. */
void record_encode(uint8_t *out, const struct raft_entry *e);

enum seg_damage {
	SEG_DAMAGE_NONE = 0,
	SEG_DAMAGE_SHORT_HEADER,  /* file shorter than its header or all zero: torn creation */
	SEG_DAMAGE_BAD_HEADER,    /* full-size header that is wrong: never a torn write */
	SEG_DAMAGE_VERSION,       /* header of a format version we do not know */
	SEG_DAMAGE_TORN_RECORD,   /* short or checksum-failing record: torn if nothing valid follows */
	SEG_DAMAGE_BAD_RECORD,    /* checksum-valid record that breaks the log (index, term, type) */
};

struct seg_parse {
	raft_index_t first_index;   /* from the header */
	size_t n;                   /* valid records before any damage */
	struct raft_entry *entries; /* n entries; data points into the parsed buffer */
	uint64_t *offsets;          /* n + 1: start of each record, offsets[n] = end of valid data */
	enum seg_damage damage;
	uint64_t damage_offset;
	char damage_reason[192];
	bool valid_after;           /* a checksum-valid record starts after the damage */
};

/*
 * Parse a whole segment file. Never reads outside buf. Returns 0 or
 * PGQ_STORAGE_ERR_NOMEM; damage is reported in out, not as an error.
 * Free with seg_parse_free().
 */
int seg_parse(const uint8_t *buf, size_t size, raft_index_t name_first, struct seg_parse *out);
void seg_parse_free(struct seg_parse *p);

/* ---- scan.c: validate a whole directory without changing it ---- */

struct scan_segment {
	char name[FILE_NAME_MAX];
	raft_index_t name_first;
	uint8_t *buf;          /* file contents (entries point into it) */
	size_t size;
	struct seg_parse p;
	bool torn;             /* damage at the tail of the last segment: cut at p.damage_offset */
	bool remove;           /* torn before its header was complete: the open removes the file */
	bool fatal;            /* damage or inconsistency that stops the open */
	bool covered;          /* all entries <= the snapshot index: may be deleted */
	char problem[600];     /* what is wrong with this file, for messages and check */
};

struct scan_snapshot {
	char name[FILE_NAME_MAX];
	raft_index_t index;
	raft_term_t term;
};

struct dir_scan {
	const char *dir;                /* borrowed */

	int hardstate_rc;               /* 0, NOT_FOUND, or the decode error */
	struct raft_hard_state hs;
	char hardstate_problem[600];

	int identity_rc;
	struct pgq_storage_identity identity;
	char identity_problem[600];

	struct scan_segment *segs;      /* sorted by first index */
	size_t n_segs;

	struct scan_snapshot *snaps;    /* sorted by index; the last one is in use */
	size_t n_snaps;
	bool has_snap;
	char snap_problem[600];
	struct raft_snapshot snap;      /* decoded newest snapshot; data points into snap_buf */
	uint8_t *snap_buf;

	char (*tmp_files)[FILE_NAME_MAX]; /* leftover temporary files to remove */
	size_t n_tmp;

	bool discard_log;               /* the snapshot supersedes every segment (crash during install) */
	char discard_reason[256];

	/* Verdict: 0, or the first fatal error with a message naming file and offset. */
	int rc;
	char err[1024];
};

/* Fills s (always: free with dir_scan_free) and returns s->rc. */
int dir_scan_run(int dirfd, const char *dir, struct dir_scan *s);
void dir_scan_free(struct dir_scan *s);

#endif /* PGQ_STORAGE_INT_H */

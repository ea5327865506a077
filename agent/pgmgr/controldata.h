/*
 * controldata.h — what pg_controldata says about a stopped (or running)
 * data directory: whether it shut down cleanly (S13 step 2), where its last
 * checkpoint is (the final LSN of a demoted primary), its timeline and
 * system identifier (S15: never start, rewind or clone a foreign one).
 * The parser is pure (unit-tested); pgmgr_controldata_read runs the program.
 */
#ifndef PGQ_PGMGR_CONTROLDATA_H
#define PGQ_PGMGR_CONTROLDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum pgmgr_db_state {
	PGMGR_DB_UNKNOWN = 0,
	PGMGR_DB_STARTING_UP,           /* "starting up" */
	PGMGR_DB_SHUT_DOWN,             /* "shut down" */
	PGMGR_DB_SHUT_DOWN_IN_RECOVERY, /* "shut down in recovery" */
	PGMGR_DB_SHUTTING_DOWN,         /* "shutting down" */
	PGMGR_DB_IN_CRASH_RECOVERY,     /* "in crash recovery" */
	PGMGR_DB_IN_ARCHIVE_RECOVERY,   /* "in archive recovery" */
	PGMGR_DB_IN_PRODUCTION,         /* "in production" */
};

struct pgmgr_controldata {
	enum pgmgr_db_state state;
	uint64_t system_identifier;
	uint64_t checkpoint_lsn;        /* "Latest checkpoint location" */
	uint64_t redo_lsn;              /* "Latest checkpoint's REDO location" */
	uint32_t timeline;              /* "Latest checkpoint's TimeLineID" */
	uint32_t prev_timeline;         /* "Latest checkpoint's PrevTimeLineID" */
	uint64_t min_recovery_lsn;      /* "Minimum recovery ending location" */
	uint32_t min_recovery_timeline; /* "Min recovery ending loc's timeline" */
	uint32_t checksum_version;      /* "Data page checksum version"; 0: off */
	bool wal_log_hints;             /* "wal_log_hints setting" */
	uint32_t control_version;       /* "pg_control version number" */
};

const char *pgmgr_db_state_name(enum pgmgr_db_state s);

/*
 * Parses pg_controldata output (run with LC_ALL=C). Every field listed in
 * the struct except the optional ones (prev timeline, min recovery, hints)
 * must be present and well formed. Returns 0, or -1 with err naming the
 * line or the missing field.
 */
int pgmgr_controldata_parse(const char *text, struct pgmgr_controldata *out,
			    char *err, size_t errlen);

/* A clean shutdown: pg_rewind / a standby start need nothing replayed. */
bool pgmgr_controldata_clean(const struct pgmgr_controldata *cd);

/* status 0: cd is valid; else err holds the reason. Both valid during the call. */
typedef void (*pgmgr_controldata_cb)(void *ctx, int status, const struct pgmgr_controldata *cd,
				     const char *err);

/* Runs bin_dir/pg_controldata on data_dir (timeout_ms, 0: 10 s). */
int pgmgr_controldata_read(uv_loop_t *loop, const char *bin_dir, const char *data_dir,
			   uint32_t timeout_ms, pgmgr_controldata_cb cb, void *ctx,
			   char *err, size_t errlen);

#endif /* PGQ_PGMGR_CONTROLDATA_H */

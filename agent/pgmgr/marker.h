/*
 * marker.h — S14's durable "rewind in progress" marker. While it exists,
 * pgmgr_start refuses to start PostgreSQL: a data directory that pg_rewind
 * left half-done must never run. pgmgr_rewind sets it before pg_rewind and
 * clears it only after pg_rewind succeeded; a re-clone clears it through
 * pgmgr_conf_write (clear_rewind_marker) once pg_basebackup succeeded.
 *
 * The marker is the file "<data_dir>.pgquorum-rewind", beside the data
 * directory and not inside it: pg_rewind deletes every target file that the
 * source lacks, so a marker inside would vanish mid-rewind.
 */
#ifndef PGQ_PGMGR_MARKER_H
#define PGQ_PGMGR_MARKER_H

#include <stdbool.h>
#include <stddef.h>

/* 0, or -1 when the path does not fit or data_dir is "" or "/". */
int pgmgr_rewind_marker_path(const char *data_dir, char *buf, size_t n);
/* One stat(); cheap enough for the loop thread. */
bool pgmgr_rewind_marker_exists(const char *data_dir);
/* Durable create / remove (fsync: call off the loop thread). 0 or -1 with err. */
int pgmgr_rewind_marker_set(const char *data_dir, char *err, size_t errlen);
int pgmgr_rewind_marker_clear(const char *data_dir, char *err, size_t errlen);

#endif /* PGQ_PGMGR_MARKER_H */

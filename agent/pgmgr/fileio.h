/*
 * fileio.h — durable small-file writes for the data directory: write a
 * temporary file, fsync it, rename it over the target, fsync the directory
 * (the shape of PostgreSQL's durable_rename). After a crash the target holds
 * either the old or the new content, never a torn mix.
 *
 * These calls block on fsync: on the loop thread use them only through
 * conf.h's pgmgr_conf_write (libuv thread pool).
 */
#ifndef PGQ_PGMGR_FILEIO_H
#define PGQ_PGMGR_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replaces dir/name with data. Returns 0 or -1 with err. */
int pgmgr_file_replace(const char *dir, const char *name, const void *data, size_t len,
		       mode_t mode, char *err, size_t errlen);
/* Same, but leaves the file alone (and sets *changed = false) when it already holds data. */
int pgmgr_file_update(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode, bool *changed, char *err, size_t errlen);
/* Removes dir/name durably; a missing file is not an error (*changed false). */
int pgmgr_file_remove(const char *dir, const char *name, bool *changed, char *err, size_t errlen);
/*
 * Reads dir/name whole (at most max_bytes) into a malloc'd NUL-terminated
 * buffer (*out, caller frees). Returns 0, 1 when the file does not exist
 * (*out NULL), -1 with err otherwise.
 */
int pgmgr_file_read(const char *dir, const char *name, size_t max_bytes, char **out, size_t *len,
		    char *err, size_t errlen);

#endif /* PGQ_PGMGR_FILEIO_H */

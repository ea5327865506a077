/*
 * marker.c — the rewind-in-progress marker beside the data directory
 * (marker.h).
 */
#include "pgmgr/marker.h"
#include "pgmgr/fileio.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Splits "<parent>/<base>" (trailing slashes ignored) into the marker's directory and name. */
static int split(const char *data_dir, char *dir, size_t dn, char *name, size_t nn)
{
	size_t len = data_dir != NULL ? strlen(data_dir) : 0;
	const char *slash;

	while (len > 1 && data_dir[len - 1] == '/')
		len--;
	if (len == 0 || (len == 1 && data_dir[0] == '/'))
		return -1;
	slash = memrchr(data_dir, '/', len);
	if (slash == NULL) {
		if ((size_t)snprintf(dir, dn, ".") >= dn ||
		    (size_t)snprintf(name, nn, "%.*s.pgquorum-rewind", (int)len, data_dir) >= nn)
			return -1;
		return 0;
	}
	if ((size_t)snprintf(dir, dn, "%.*s", slash == data_dir ? 1 : (int)(slash - data_dir),
			     data_dir) >= dn ||
	    (size_t)snprintf(name, nn, "%.*s.pgquorum-rewind", (int)(len - (size_t)(slash - data_dir) - 1),
			     slash + 1) >= nn)
		return -1;
	return 0;
}

int pgmgr_rewind_marker_path(const char *data_dir, char *buf, size_t n)
{
	char dir[4096], name[512];

	if (split(data_dir, dir, sizeof(dir), name, sizeof(name)) != 0)
		return -1;
	return (size_t)snprintf(buf, n, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name) < n ? 0 : -1;
}

bool pgmgr_rewind_marker_exists(const char *data_dir)
{
	char path[4600];
	struct stat st;

	if (pgmgr_rewind_marker_path(data_dir, path, sizeof(path)) != 0)
		return false;
	return stat(path, &st) == 0;
}

int pgmgr_rewind_marker_set(const char *data_dir, char *err, size_t errlen)
{
	static const char text[] = "pg_rewind in progress: PostgreSQL must not start (S14)\n";
	char dir[4096], name[512];

	if (split(data_dir, dir, sizeof(dir), name, sizeof(name)) != 0) {
		snprintf(err, errlen, "invalid data directory for the rewind marker");
		return -1;
	}
	return pgmgr_file_replace(dir, name, text, sizeof(text) - 1, 0600, err, errlen);
}

int pgmgr_rewind_marker_clear(const char *data_dir, char *err, size_t errlen)
{
	char dir[4096], name[512];
	bool changed;

	if (split(data_dir, dir, sizeof(dir), name, sizeof(name)) != 0) {
		snprintf(err, errlen, "invalid data directory for the rewind marker");
		return -1;
	}
	return pgmgr_file_remove(dir, name, &changed, err, errlen);
}

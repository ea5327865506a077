/*
 * fileio.c — durable replacement of small files (fileio.h).
 */
#include "pgmgr/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_error(char *err, size_t errlen, const char *what, const char *dir, const char *name)
{
	int saved = errno;

	snprintf(err, errlen, "could not %s \"%s/%s\": %s", what, dir, name, strerror(saved));
	errno = saved;
	return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int fsync_retry(int fd)
{
	int rc;

	do
		rc = fsync(fd);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static int fsync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return io_error(err, errlen, "open directory", dir, ".");
	if (fsync_retry(fd) != 0) {
		io_error(err, errlen, "fsync directory", dir, ".");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int join(char *buf, size_t n, const char *dir, const char *name, const char *suffix)
{
	return (size_t)snprintf(buf, n, "%s/%s%s", dir, name, suffix) < n ? 0 : -1;
}

int pgmgr_file_replace(const char *dir, const char *name, const void *data, size_t len,
		       mode_t mode, char *err, size_t errlen)
{
	char path[4096], tmp[4096];
	int fd;

	if (join(path, sizeof(path), dir, name, "") != 0 ||
	    join(tmp, sizeof(tmp), dir, name, ".pgquorum-tmp") != 0) {
		snprintf(err, errlen, "path too long: \"%s/%s\"", dir, name);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return io_error(err, errlen, "create", dir, name);
	if (write_all(fd, data, len) != 0 || fsync_retry(fd) != 0) {
		io_error(err, errlen, "write", dir, name);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0) {
		io_error(err, errlen, "close", dir, name);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		io_error(err, errlen, "rename into", dir, name);
		unlink(tmp);
		return -1;
	}
	return fsync_dir(dir, err, errlen);
}

int pgmgr_file_read(const char *dir, const char *name, size_t max_bytes, char **out, size_t *len,
		    char *err, size_t errlen)
{
	char path[4096];
	char *buf;
	size_t n = 0;
	int fd;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (join(path, sizeof(path), dir, name, "") != 0) {
		snprintf(err, errlen, "path too long: \"%s/%s\"", dir, name);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return io_error(err, errlen, "open", dir, name);
	}
	buf = malloc(max_bytes + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, max_bytes + 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			io_error(err, errlen, "read", dir, name);
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max_bytes) {
			snprintf(err, errlen, "file \"%s/%s\" is larger than %zu bytes", dir, name, max_bytes);
			free(buf);
			close(fd);
			return -1;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len != NULL)
		*len = n;
	return 0;
}

int pgmgr_file_update(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode, bool *changed, char *err, size_t errlen)
{
	char *old = NULL;
	size_t old_len = 0;
	int rc = pgmgr_file_read(dir, name, len + 1, &old, &old_len, err, errlen);

	/* Larger than the new content, unreadable or absent: rewrite it. */
	if (rc == 0 && old_len == len && memcmp(old, data, len) == 0) {
		free(old);
		*changed = false;
		return 0;
	}
	free(old);
	*changed = true;
	return pgmgr_file_replace(dir, name, data, len, mode, err, errlen);
}

int pgmgr_file_remove(const char *dir, const char *name, bool *changed, char *err, size_t errlen)
{
	char path[4096];

	*changed = false;
	if (join(path, sizeof(path), dir, name, "") != 0) {
		snprintf(err, errlen, "path too long: \"%s/%s\"", dir, name);
		return -1;
	}
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;
		return io_error(err, errlen, "remove", dir, name);
	}
	*changed = true;
	return fsync_dir(dir, err, errlen);
}

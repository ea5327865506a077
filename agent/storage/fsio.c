/*
 * fsio.c — file I/O primitives for the data directory: whole-file reads
 * with a size bound, full writes, fsync that retries EINTR, and the one
 * durable-replacement helper (write temp, fsync, rename, fsync directory),
 * the same shape as PostgreSQL's durable_rename(). Every path is relative to
 * the directory descriptor the storage handle holds, so nothing depends on
 * the process's working directory and no global state is shared.
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsio_error(char *err, size_t errlen, const char *what, const char *dir, const char *name)
{
	int saved = errno;

	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s \"%s/%s\": %s", what, dir, name, strerror(saved));
	errno = saved;
	return PGQ_STORAGE_ERR_IO;
}

int fsio_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

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

int fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t offset)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)offset);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		offset += (uint64_t)w;
	}
	return 0;
}

int fsio_fsync(int fd)
{
	int rc;

	do
		rc = fsync(fd);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int fsio_fdatasync(int fd)
{
	int rc;

	do
		rc = fdatasync(fd);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int fsio_fsync_dir(int dirfd, const char *dir, char *err, size_t errlen)
{
	if (fsio_fsync(dirfd) < 0)
		return fsio_error(err, errlen, "could not fsync directory", dir, ".");
	return 0;
}

int fsio_read_file(int dirfd, const char *dir, const char *name, uint64_t max_bytes,
		   uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	uint8_t *data = NULL;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return PGQ_STORAGE_ERR_NOT_FOUND;
		return fsio_error(err, errlen, "could not open file", dir, name);
	}
	if (fstat(fd, &sb) < 0) {
		fsio_error(err, errlen, "could not stat file", dir, name);
		close(fd);
		return PGQ_STORAGE_ERR_IO;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "\"%s/%s\" is not a regular file", dir, name);
		close(fd);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	if ((uint64_t)sb.st_size > max_bytes) {
		snprintf(err, errlen, "file \"%s/%s\" is %lld bytes, above the limit of %llu",
			 dir, name, (long long)sb.st_size, (unsigned long long)max_bytes);
		close(fd);
		return PGQ_STORAGE_ERR_CORRUPT;
	}
	/* One spare byte so an empty file still gets a non-NULL buffer. */
	data = malloc((size_t)sb.st_size + 1);
	if (data == NULL) {
		snprintf(err, errlen, "out of memory reading \"%s/%s\"", dir, name);
		close(fd);
		return PGQ_STORAGE_ERR_NOMEM;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, data + got, (size_t)sb.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fsio_error(err, errlen, "could not read file", dir, name);
			free(data);
			close(fd);
			return PGQ_STORAGE_ERR_IO;
		}
		if (r == 0)
			break; /* shrank under us (check_dir on a live directory): use what we got */
		got += (size_t)r;
	}
	close(fd);
	*buf = data;
	*len = got;
	return 0;
}

static int replace(int dirfd, const char *dir, const char *name, const void *buf, size_t len,
		   bool sync_dir, char *err, size_t errlen)
{
	char tmp[FILE_NAME_MAX + 8];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s%s", name, TMP_SUFFIX);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fsio_error(err, errlen, "could not create file", dir, tmp);
	if (fsio_write_all(fd, buf, len) < 0) {
		fsio_error(err, errlen, "could not write file", dir, tmp);
		goto fail;
	}
	if (fsio_fsync(fd) < 0) {
		fsio_error(err, errlen, "could not fsync file", dir, tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		fsio_error(err, errlen, "could not close file", dir, tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		fsio_error(err, errlen, "could not rename temporary file to", dir, name);
		goto fail;
	}
	return sync_dir ? fsio_fsync_dir(dirfd, dir, err, errlen) : 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return PGQ_STORAGE_ERR_IO;
}

int fsio_durable_replace(int dirfd, const char *dir, const char *name, const void *buf,
			 size_t len, char *err, size_t errlen)
{
	return replace(dirfd, dir, name, buf, len, true, err, errlen);
}

int fsio_replace_lazy(int dirfd, const char *dir, const char *name, const void *buf,
		      size_t len, char *err, size_t errlen)
{
	return replace(dirfd, dir, name, buf, len, false, err, errlen);
}

int fsio_unlink(int dirfd, const char *dir, const char *name, char *err, size_t errlen)
{
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return fsio_error(err, errlen, "could not remove file", dir, name);
	return 0;
}

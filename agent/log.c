/*
 * log.c — line-oriented logging to stderr and an optional file.
 *
 * Each line is formatted into one buffer and written with a single write(2)
 * per destination, so lines from different threads never interleave and a
 * crash never leaves half a line buffered in stdio.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static enum pgq_log_level log_level = PGQ_LOG_INFO;
static int log_fd = -1;
static char *log_path;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

int pgq_log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "debug") == 0)
		return PGQ_LOG_DEBUG;
	if (strcmp(s, "info") == 0)
		return PGQ_LOG_INFO;
	if (strcmp(s, "warning") == 0 || strcmp(s, "warn") == 0)
		return PGQ_LOG_WARNING;
	if (strcmp(s, "error") == 0)
		return PGQ_LOG_ERROR;
	return -1;
}

const char *pgq_log_level_name(enum pgq_log_level level)
{
	if ((int)level < 0 || level > PGQ_LOG_ERROR)
		return "UNKNOWN";
	return level_names[level];
}

void pgq_log_set_level(enum pgq_log_level level) { log_level = level; }
enum pgq_log_level pgq_log_get_level(void) { return log_level; }

static int open_log_file(const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 && errbuf != NULL)
		snprintf(errbuf, errlen, "could not open log file \"%s\": %s", path, strerror(errno));
	return fd;
}

int pgq_log_set_file(const char *path, char *errbuf, size_t errlen)
{
	int fd = -1;
	char *copy = NULL;

	if (path != NULL) {
		fd = open_log_file(path, errbuf, errlen);
		if (fd < 0)
			return -1;
		copy = strdup(path);
		if (copy == NULL) {
			close(fd);
			if (errbuf != NULL)
				snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int pgq_log_reopen(char *errbuf, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path != NULL) {
		int fd = open_log_file(log_path, errbuf, errlen);
		if (fd < 0) {
			rc = -1; /* keep writing to the old descriptor */
		} else {
			close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void pgq_log_close(void)
{
	pgq_log_set_file(NULL, NULL, 0);
}

static bool log_time_prefix(void)
{
	static int cached = -1; /* read once; a benign race writes the same value */

	if (cached < 0) {
		const char *v = getenv("PGQUORUM_LOG_TIME");
		cached = v != NULL && strcmp(v, "1") == 0;
	}
	return cached == 1;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a logging failure */
		}
		buf += w;
		len -= (size_t)w;
	}
}

void pgq_vlog(enum pgq_log_level level, const char *component, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n, m;

	if (level < log_level)
		return;
	n = 0;
	if (log_time_prefix()) {
		/* PGQUORUM_LOG_TIME=1: UTC time to the millisecond (journald adds its own). */
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ ", ts.tv_nsec / 1000000L);
	}
	m = snprintf(line + n, sizeof(line) - (size_t)n, "%s %s: ", pgq_log_level_name(level),
		     component != NULL ? component : "main");
	if (m < 0)
		return;
	n += m;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* truncated: still end the line */
	line[n++] = '\n';

	pthread_mutex_lock(&log_lock);
	write_all(STDERR_FILENO, line, (size_t)n);
	if (log_fd >= 0)
		write_all(log_fd, line, (size_t)n);
	pthread_mutex_unlock(&log_lock);
}

void pgq_log(enum pgq_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pgq_vlog(level, component, fmt, ap);
	va_end(ap);
}

/*
 * procscan.c — processes of a data directory, from /proc (procscan.h).
 */
#include "pgmgr/procscan.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pgmgr_postmaster_pid(const char *data_dir, pid_t *pid, char *err, size_t errlen)
{
	char path[4096], line[64];
	FILE *f;
	char *end;
	long v;

	*pid = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/postmaster.pid", data_dir) >= sizeof(path)) {
		snprintf(err, errlen, "data_dir is too long");
		return -1;
	}
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		/* Written but empty: the postmaster is just starting; treat as unknown. */
		snprintf(err, errlen, "\"%s\" is empty", path);
		return -1;
	}
	fclose(f);
	errno = 0;
	v = strtol(line, &end, 10);
	if (errno != 0 || end == line || (*end != '\n' && *end != '\0') || v <= 1 || v > 0x7fffffff) {
		snprintf(err, errlen, "\"%s\" does not start with a PID", path);
		return -1;
	}
	*pid = (pid_t)v;
	return 0;
}

/* State and parent from /proc/PID/stat ("pid (comm) S ppid ..."); comm may hold ')' */
static int read_stat(const char *proc_root, pid_t pid, char *state, pid_t *ppid)
{
	char path[256], buf[1024];
	FILE *f;
	size_t n;
	char *close_paren;
	int pp;

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || sscanf(close_paren + 1, " %c %d", state, &pp) != 2)
		return -1;
	*ppid = (pid_t)pp;
	return 0;
}

static bool cwd_is(const char *proc_root, pid_t pid, const char *dir)
{
	char path[256], target[4096];
	ssize_t n;
	size_t dl = strlen(dir);

	snprintf(path, sizeof(path), "%s/%d/cwd", proc_root, (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	if (strcmp(target, dir) == 0)
		return true;
	/* A removed data directory still holds its processes. */
	return strncmp(target, dir, dl) == 0 && strcmp(target + dl, " (deleted)") == 0;
}

bool pgmgr_proc_in_dir(pid_t pid, const char *data_dir_real)
{
	char state;
	pid_t ppid;

	if (pid <= 0 || read_stat("/proc", pid, &state, &ppid) != 0 || state == 'Z' || state == 'X')
		return false;
	return cwd_is("/proc", pid, data_dir_real);
}

int pgmgr_proc_scan(const char *proc_root, const char *data_dir_real, pid_t postmaster,
		    pid_t *pids, size_t max, size_t *found, char *err, size_t errlen)
{
	DIR *d = opendir(proc_root);
	struct dirent *de;
	pid_t self = getpid();

	*found = 0;
	if (d == NULL) {
		snprintf(err, errlen, "could not open \"%s\": %s", proc_root, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v;
		char state;
		pid_t ppid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		v = strtol(de->d_name, &end, 10);
		if (*end != '\0' || v <= 0 || (pid_t)v == self)
			continue;
		if (read_stat(proc_root, (pid_t)v, &state, &ppid) != 0 || state == 'Z' || state == 'X')
			continue;
		if (!(postmaster > 0 && ppid == postmaster) && !cwd_is(proc_root, (pid_t)v, data_dir_real))
			continue;
		if (*found < max)
			pids[*found] = (pid_t)v;
		(*found)++;
	}
	closedir(d);
	return 0;
}

enum pgmgr_postmaster_status pgmgr_postmaster_status(const char *data_dir, pid_t *pid,
						     char *err, size_t errlen)
{
	char real[PATH_MAX];
	int rc = pgmgr_postmaster_pid(data_dir, pid, err, errlen);

	if (rc == 1)
		return PGMGR_POSTMASTER_ABSENT;
	if (rc != 0)
		return PGMGR_POSTMASTER_UNKNOWN;
	if (realpath(data_dir, real) == NULL) {
		snprintf(err, errlen, "could not resolve \"%s\": %s", data_dir, strerror(errno));
		return PGMGR_POSTMASTER_UNKNOWN;
	}
	return pgmgr_proc_in_dir(*pid, real) ? PGMGR_POSTMASTER_RUNNING : PGMGR_POSTMASTER_STALE;
}

/*
 * procscan.h — finding the processes of one PostgreSQL data directory by
 * scanning /proc (S5: "fenced" means none is left). PostgreSQL's postmaster
 * and every backend chdir() into the data directory, and backends call
 * setsid() (so the postmaster's process group does not hold them): the
 * working directory is the reliable mark. Children of the recorded
 * postmaster count too. Zombies do not (they run nothing). Processes of
 * other users are invisible unless the agent runs as root; PostgreSQL runs
 * as the agent's user, so its processes are visible.
 */
#ifndef PGQ_PGMGR_PROCSCAN_H
#define PGQ_PGMGR_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Reads PGDATA/postmaster.pid: *pid is its first line. Returns 0, 1 when the
 * file does not exist, -1 with err when it is unreadable or malformed.
 */
int pgmgr_postmaster_pid(const char *data_dir, pid_t *pid, char *err, size_t errlen);

/* Whether the data directory's postmaster runs, from postmaster.pid and /proc. */
enum pgmgr_postmaster_status {
	PGMGR_POSTMASTER_ABSENT = 0,   /* no postmaster.pid: stopped cleanly (or never started) */
	PGMGR_POSTMASTER_RUNNING,      /* the PID in the file runs in the data directory */
	PGMGR_POSTMASTER_STALE,        /* a file but no such process: it died (crashed, killed) */
	PGMGR_POSTMASTER_UNKNOWN,      /* the file is unreadable or malformed (err says why) */
};

/*
 * One look, cheap enough for the loop thread (a small file read and a few
 * /proc reads). *pid is the file's PID when there is one. A PID reused by an
 * unrelated process counts as STALE: its working directory differs.
 */
enum pgmgr_postmaster_status pgmgr_postmaster_status(const char *data_dir, pid_t *pid,
						     char *err, size_t errlen);

/* True when pid is alive (not a zombie) and its working directory is data_dir_real. */
bool pgmgr_proc_in_dir(pid_t pid, const char *data_dir_real);

/*
 * Collects up to max PIDs (other than the caller's) whose cwd is
 * data_dir_real, or whose parent is postmaster (> 0). *found is the full
 * count even when more than max. proc_root is "/proc" (tests may point it
 * elsewhere). Returns 0, or -1 with err when /proc cannot be read.
 */
int pgmgr_proc_scan(const char *proc_root, const char *data_dir_real, pid_t postmaster,
		    pid_t *pids, size_t max, size_t *found, char *err, size_t errlen);

#endif /* PGQ_PGMGR_PROCSCAN_H */

/*
 * log.h — the one logging module of the agent.
 *
 * One line per event: "LEVEL component: message key=value ...", to stderr
 * (journald captures it) and, when configured, appended to a file as well.
 * The file is reopened on request (SIGHUP) so logrotate can move it.
 * Not thread-safe by design beyond one write(2) per line: plugin threads log
 * through the same call and a line is never interleaved with another.
 */
#ifndef PGQ_LOG_H
#define PGQ_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum pgq_log_level {
	PGQ_LOG_DEBUG = 0,
	PGQ_LOG_INFO,
	PGQ_LOG_WARNING,
	PGQ_LOG_ERROR,
};

/* Parses "debug", "info", "warning" (or "warn"), "error". Returns -1 if unknown. */
int pgq_log_level_parse(const char *s);
const char *pgq_log_level_name(enum pgq_log_level level);

void pgq_log_set_level(enum pgq_log_level level);
enum pgq_log_level pgq_log_get_level(void);

/*
 * Also append to `path` (NULL: stderr only). Returns 0, or -1 with errbuf
 * filled when the file cannot be opened (stderr logging continues).
 */
int pgq_log_set_file(const char *path, char *errbuf, size_t errlen);
/* Reopen the log file (after logrotate moved it); a no-op without a file. */
int pgq_log_reopen(char *errbuf, size_t errlen);
void pgq_log_close(void);

/*
 * Log one event. `fmt` builds the message; callers append key=value pairs in
 * the message itself, e.g. pgq_log(PGQ_LOG_INFO, "raft", "became leader term=%llu", t).
 */
void pgq_log(enum pgq_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pgq_vlog(enum pgq_log_level level, const char *component, const char *fmt, va_list ap);

#define pgq_debug(comp, ...) pgq_log(PGQ_LOG_DEBUG, comp, __VA_ARGS__)
#define pgq_info(comp, ...) pgq_log(PGQ_LOG_INFO, comp, __VA_ARGS__)
#define pgq_warning(comp, ...) pgq_log(PGQ_LOG_WARNING, comp, __VA_ARGS__)
#define pgq_error(comp, ...) pgq_log(PGQ_LOG_ERROR, comp, __VA_ARGS__)

#endif /* PGQ_LOG_H */

/*
 * ctl.h — what pgquorumctl's command files share: the connection context
 * (agent URLs, credentials, TLS), one HTTP helper (libcurl) that tries the
 * agents in turn, confirmation prompts, and the command entry points
 * (one file per command group, cli_*.c).
 */
#ifndef PGQ_CTL_H
#define PGQ_CTL_H

#include "cluster_view.h"
#include "output.h"

#include <jansson.h>
#include <stddef.h>

/* Exit statuses (documented in --help and docs/ctl.md). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,
};

#define CTL_MAX_URLS 32

struct ctl_ctx {
	char *urls[CTL_MAX_URLS];   /* owned; "http://host:port", no trailing slash */
	size_t n_urls;
	long timeout_ms;
	char *userpwd;              /* "user:password" or NULL; owned */
	char *cacert;               /* CA bundle for https, or NULL; owned */
	char *cert, *key;           /* client certificate and key, or NULL; owned */
	int insecure;               /* skip TLS verification */
	int color;                  /* stdout is a terminal and NO_COLOR unset */
	size_t term_width;          /* 0: no limit (not a terminal) */
};

/* One HTTP answer. */
struct ctl_reply {
	long code;
	json_t *json;               /* NULL when the body is not JSON */
	char *text;                 /* the body, NUL-terminated ("" when none) */
	char url[512];              /* the agent that answered (after redirects) */
};

/* Add a URL (copied; "host:port" gets http://; trailing '/' removed).
 * Returns 0, or -1 when full or out of memory. */
int ctl_add_url(struct ctl_ctx *c, const char *url);
void ctl_free(struct ctl_ctx *c);

/*
 * Send METHOD PATH (body: JSON or NULL) to the first agent that answers,
 * following 307 redirects to the leader with the same credentials.
 * Returns 0 with *r filled (free with ctl_reply_free), or -1 when no agent
 * could be reached (err says why; the caller exits with 3).
 */
int ctl_request(const struct ctl_ctx *c, const char *method, const char *path,
		const json_t *body, struct ctl_reply *r, char *err, size_t errlen);
/* The same against one agent's base URL only (per-member actions). */
int ctl_request_at(const struct ctl_ctx *c, const char *base_url, const char *method,
		   const char *path, const json_t *body, struct ctl_reply *r, char *err,
		   size_t errlen);
void ctl_reply_free(struct ctl_reply *r);

/* The reply's "error", "message" or "status" text, else its raw body,
 * else "(no body)". */
const char *ctl_reply_message(const struct ctl_reply *r);
/* True when the agent does not have this endpoint (405, or 404 "no such
 * endpoint" / a non-JSON 404). */
int ctl_endpoint_missing(const struct ctl_reply *r);
/* Print why METHOD PATH failed ("this agent does not support … yet" for a
 * missing endpoint) and return CTL_EXIT_FAILED. */
int ctl_fail(const char *method, const char *path, const struct ctl_reply *r);
/* The same for one member's answer ("pgquorumctl: n1: …"). */
int ctl_fail_at(const char *who, const char *method, const char *path, const struct ctl_reply *r);

/*
 * GET PATH (e.g. /config, /history); an agent without that endpoint is asked
 * for GET /cluster instead and the record's member FIELD is used. The result
 * must be a JSON object (want_array 0) or array (want_array 1). On
 * CTL_EXIT_OK *out is a new reference owned by the caller and *from_cluster
 * (when not NULL) says whether it came from GET /cluster; otherwise the exit
 * status after printing why (3 unreachable, 1 bad answer).
 */
int ctl_fetch_or_cluster_field(const struct ctl_ctx *c, const char *path,
			       const char *field, int want_array, json_t **out,
			       int *from_cluster);

/* GET /cluster into a view. Returns CTL_EXIT_OK, or the exit status after
 * printing why (3 unreachable, 1 bad answer). */
int ctl_fetch_cluster(const struct ctl_ctx *c, struct ctl_cluster *out);

/*
 * Ask "QUESTION [y/N]" on the terminal. With force: yes without asking.
 * Without a terminal on stdin: refuse (print why). Returns 1 yes, 0 no.
 */
int ctl_confirm(const char *question, int force);

/* Print v in the format (table_fn for tables). Returns an exit status. */
int ctl_print_doc(enum ctl_format fmt, const json_t *v);

/* Common option handling: "-f/--format" argument. 0 or CTL_EXIT_USAGE. */
int ctl_parse_format(const char *arg, enum ctl_format *out);

/* A usage error: print "pgquorumctl CMD: MSG" and the hint; returns 2. */
/* A member name as the record accepts it: [A-Za-z0-9_.-], 1-63 characters. */
int ctl_valid_member_name(const char *name);
int ctl_usage_error(const char *cmd, const char *msg);

/* Commands (argv[0] is the command name). */
int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_topology(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_dsn(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_members(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_switchover(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_failover(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_fence_confirm(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_flush(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_restart(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_reload(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_reinit(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_pause(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_resume(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_show_config(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_edit_config(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_version(struct ctl_ctx *c, int argc, char **argv);

#endif /* PGQ_CTL_H */

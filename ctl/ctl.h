/*
 * ctl.h — what pgquorumctl's command files share: the list of agent URLs
 * and one HTTP request helper (libcurl) that tries them in turn.
 */
#ifndef PGQ_CTL_H
#define PGQ_CTL_H

#include <jansson.h>
#include <stddef.h>

/* Exit statuses (documented in --help). */
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
	char *userpwd;              /* "user:password" for write requests, or NULL; owned */
};

/* Add a URL (copied, trailing '/' removed). Returns 0, or -1 when full. */
int ctl_add_url(struct ctl_ctx *c, const char *url);
void ctl_free(struct ctl_ctx *c);

/*
 * Send METHOD PATH (body: JSON text or NULL) to the first agent that
 * answers, following redirects to the leader. Returns 0 with *status and
 * *reply (new reference, NULL when the answer is not JSON) when an agent
 * answered; -1 when none could be reached (err says why).
 */
int ctl_request(const struct ctl_ctx *c, const char *method, const char *path,
		const char *body, long *status, json_t **reply, char *err, size_t errlen);

/* The "error" text of a reply, or a generic text. */
const char *ctl_reply_error(const json_t *reply);

int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv);
int ctl_cmd_members(struct ctl_ctx *c, int argc, char **argv);

#endif /* PGQ_CTL_H */

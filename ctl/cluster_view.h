/*
 * cluster_view.h — one shape for what GET /cluster returns, whichever the
 * agent speaks: Patroni's (`members[]` with `role`, `host`, `port`, `lag`,
 * `timeline`…) or pgquorum's record JSON (`members[]` with `status`,
 * `primary`, `sync`, `paused`; docs/record.md). Pure; the view points into
 * the JSON document it keeps a reference to.
 */
#ifndef PGQ_CTL_CLUSTER_VIEW_H
#define PGQ_CTL_CLUSTER_VIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum ctl_role {
	CTL_ROLE_UNKNOWN = 0,
	CTL_ROLE_PRIMARY,
	CTL_ROLE_SYNC_STANDBY,
	CTL_ROLE_QUORUM_STANDBY,
	CTL_ROLE_REPLICA,
};

struct ctl_member {
	const char *name;
	const char *api_url;        /* "" when unknown */
	char api_base[300];         /* "scheme://host:port" of api_url (Patroni's
				     * api_url ends in /patroni): "" when unknown */
	char host[256];             /* PostgreSQL host ("" when unknown) */
	int port;                   /* PostgreSQL port, 0 when unknown */
	enum ctl_role role;
	const char *state;          /* "running", …; "" when never reported */
	int64_t timeline;           /* 0 when unknown */
	int64_t lag_bytes;          /* -1 when unknown or not a standby */
	int pending_restart;
	int voter;                  /* -1 unknown */
	int64_t reported_at_ms;     /* -1 never reported (or not said) */
	int reports_known;          /* the shape carries report times (record) */
	const char *scheduled_restart; /* ISO text or NULL */
	char tags[512];             /* "nofailover: true, zone: a" */
};

struct ctl_cluster {
	json_t *doc;                /* reference held; strings point into it */
	const char *scope;
	const char *cluster_id;     /* "" when the agent does not say */
	int paused;
	char scheduled_switchover[256];  /* "at 2026-…, from n1 to n2" or "" */
	/* L4/L8: "WHY (fence pending: n1)" while a failover is blocked, or "" */
	char failover_blocked[512];
	struct ctl_member *members; /* sorted by name */
	size_t n_members;
};

/* Build the view from a GET /cluster answer. 0, or -1 with err. */
int ctl_cluster_parse(json_t *doc, struct ctl_cluster *out, char *err, size_t errlen);
void ctl_cluster_free(struct ctl_cluster *c);

/* The primary, or NULL. */
const struct ctl_member *ctl_cluster_primary(const struct ctl_cluster *c);

/* "Primary", "Sync Standby", "Quorum Standby", "Replica", "Unknown". */
const char *ctl_role_title(enum ctl_role r);
/* "primary", "sync_standby", "quorum_standby", "replica", "unknown". */
const char *ctl_role_name(enum ctl_role r);

/* Split "host:port", "[v6]:port" or "host" (port = default_port). 0 or -1. */
int ctl_split_hostport(const char *text, int default_port, char *host, size_t hostlen,
		       int *port);

enum ctl_dsn_role {
	CTL_DSN_PRIMARY = 0,
	CTL_DSN_REPLICA,
	CTL_DSN_ANY,
};

/*
 * A libpq multi-host URI for the members that have a PostgreSQL address:
 * postgresql://h1:p1,h2:p2/DBNAME?target_session_attrs=read-write|standby|any.
 * For primary the current primary comes first, for replica the standbys
 * come first (libpq tries hosts in order); every member stays listed
 * because the roles move. IPv6 hosts are bracketed; dbname and user are
 * percent-encoded. Returns a malloc'd string or NULL (err: no address).
 */
char *ctl_dsn_build(const struct ctl_cluster *c, enum ctl_dsn_role role, const char *dbname,
		    const char *user, char *err, size_t errlen);

#endif /* PGQ_CTL_CLUSTER_VIEW_H */

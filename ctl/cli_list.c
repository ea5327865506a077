/*
 * cli_list.c — the read commands about members: `list` (a patronictl-like
 * table, with --watch), `topology` (primary, then standbys indented) and
 * `dsn` (a libpq multi-host URI).
 */
#include "ctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Raft roles from GET /status of whichever agent answers (best effort). */
struct raft_roles {
	json_t *status;
	const char *leader;
};

/*
 * -e: a scheduled restart lives in each member's agent (GET /patroni's
 * scheduled_restart), not in pgquorum's record: ask the members the
 * cluster view says nothing about, briefly. buf[i] holds member i's text.
 */
static void scheduled_restarts_fetch(const struct ctl_ctx *c, struct ctl_cluster *cl,
				     char (*buf)[64])
{
	struct ctl_ctx quick = *c;

	if (quick.timeout_ms > 2000)
		quick.timeout_ms = 2000;
	for (size_t i = 0; i < cl->n_members && i < 64; i++) {
		struct ctl_member *m = &cl->members[i];
		struct ctl_reply r;
		char err[256];
		const char *at;

		if (m->scheduled_restart != NULL || m->api_base[0] == '\0' ||
		    ctl_request_at(&quick, m->api_base, "GET", "/patroni", NULL, &r, err, sizeof err) != 0)
			continue;
		at = json_string_value(json_object_get(json_object_get(r.json, "scheduled_restart"),
						       "schedule"));
		if (r.code == 200 && at != NULL) {
			snprintf(buf[i], sizeof buf[i], "%s", at);
			m->scheduled_restart = buf[i];
		}
		ctl_reply_free(&r);
	}
}

static void raft_roles_fetch(const struct ctl_ctx *c, struct raft_roles *rr)
{
	struct ctl_reply r;
	char err[512];

	rr->status = NULL;
	rr->leader = NULL;
	if (ctl_request(c, "GET", "/status", NULL, &r, err, sizeof err) != 0)
		return;
	if (r.code == 200 && json_is_object(r.json)) {
		rr->status = json_incref(r.json);
		rr->leader = json_string_value(json_object_get(rr->status, "leader"));
	}
	ctl_reply_free(&r);
}

static const char *raft_role_of(const struct raft_roles *rr, const struct ctl_member *m)
{
	const json_t *e;
	size_t i;

	if (rr->leader != NULL && strcmp(rr->leader, m->name) == 0)
		return "leader";
	json_array_foreach(json_object_get(rr->status, "members"), i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		const char *role = json_string_value(json_object_get(e, "raft_role"));
		if (n != NULL && role != NULL && strcmp(n, m->name) == 0)
			return role;
	}
	if (m->voter == 1)
		return "voter";
	if (m->voter == 0)
		return "learner";
	return "-";
}

/* Raft comes right after Member: it is what pgquorum adds to patronictl's
 * columns, and who leads Raft is the first thing asked when debugging. */
enum { COL_MEMBER, COL_RAFT, COL_HOST, COL_ROLE, COL_STATE, COL_TL, COL_LAG, COL_REPORTED,
       COL_TAGS, COL_PENDING, COL_SCHEDULED };

static void host_text(const struct ctl_member *m, char *buf, size_t len)
{
	if (m->port > 0 && m->port != 5432)
		snprintf(buf, len, strchr(m->host, ':') != NULL ? "[%s]:%d" : "%s:%d", m->host, m->port);
	else
		snprintf(buf, len, "%s", m->host);
}

/* One member's cells (texts) and its JSON object. */
static json_t *member_row(const struct ctl_cluster *cl, const struct ctl_member *m,
			  const struct raft_roles *rr, int extended, const char *indent,
			  const char *upstream, char cells[][600])
{
	json_t *o = json_object();
	char host[300];
	long long now = wall_ms();

	host_text(m, host, sizeof host);
	snprintf(cells[COL_MEMBER], 600, "%s%s", indent, m->name);
	snprintf(cells[COL_HOST], 600, "%s", host);
	snprintf(cells[COL_ROLE], 600, "%s", ctl_role_title(m->role));
	snprintf(cells[COL_STATE], 600, "%s", m->state[0] != '\0' ? m->state : "-");
	if (m->timeline > 0)
		snprintf(cells[COL_TL], 600, "%lld", (long long)m->timeline);
	else
		cells[COL_TL][0] = '\0';
	if (m->lag_bytes >= 0)
		snprintf(cells[COL_LAG], 600, "%lld", (long long)((m->lag_bytes + 524288) / 1048576));
	else
		snprintf(cells[COL_LAG], 600, "%s",
			 m->role == CTL_ROLE_PRIMARY || m->role == CTL_ROLE_UNKNOWN ? "" : "unknown");
	snprintf(cells[COL_RAFT], 600, "%s", raft_role_of(rr, m));
	if (m->reported_at_ms >= 0)
		snprintf(cells[COL_REPORTED], 600, "%.1f s ago",
			 (double)(now - m->reported_at_ms) / 1000.0);
	else
		snprintf(cells[COL_REPORTED], 600, "%s", m->reports_known ? "never" : "");
	snprintf(cells[COL_TAGS], 600, "%s", m->tags);
	snprintf(cells[COL_PENDING], 600, "%s", m->pending_restart ? "*" : "");
	snprintf(cells[COL_SCHEDULED], 600, "%s", m->scheduled_restart != NULL ? m->scheduled_restart : "");

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "Cluster", json_string(cl->scope));
	json_object_set_new(o, "Member", json_string(m->name));
	json_object_set_new(o, "Host", json_string(host));
	json_object_set_new(o, "Role", json_string(ctl_role_title(m->role)));
	json_object_set_new(o, "State", json_string(m->state));
	json_object_set_new(o, "TL", m->timeline > 0 ? json_integer(m->timeline) : json_null());
	json_object_set_new(o, "Lag in MB", m->lag_bytes >= 0 ?
				json_integer((m->lag_bytes + 524288) / 1048576) : json_null());
	json_object_set_new(o, "Raft", json_string(cells[COL_RAFT]));
	json_object_set_new(o, "Reported ms ago", m->reported_at_ms >= 0 ?
				json_integer(now - m->reported_at_ms) : json_null());
	json_object_set_new(o, "Tags", json_string(m->tags));
	if (upstream != NULL)
		json_object_set_new(o, "Upstream", json_string(upstream));
	if (extended) {
		json_object_set_new(o, "Pending restart", json_boolean(m->pending_restart));
		json_object_set_new(o, "Scheduled restart", m->scheduled_restart != NULL ?
					json_string(m->scheduled_restart) : json_null());
	}
	return o;
}

static enum ctl_color role_color(enum ctl_role r)
{
	switch (r) {
	case CTL_ROLE_PRIMARY: return CTL_COLOR_GREEN;
	case CTL_ROLE_UNKNOWN: return CTL_COLOR_YELLOW;
	default: return CTL_COLOR_NONE;
	}
}

/* Print the members (order[] indexes into cl->members) in the format. */
static int print_members(const struct ctl_ctx *c, const struct ctl_cluster *cl,
			 const struct raft_roles *rr, const size_t *order, size_t n,
			 const char *const *indents, const char *const *upstreams,
			 enum ctl_format fmt, int extended)
{
	static const char *const titles[] = { "Member", "Raft", "Host", "Role", "State", "TL",
					      "Lag in MB", "Reported", "Tags",
					      "Pending restart", "Scheduled restart", NULL };
	const char *cols[CTL_TABLE_MAX_COLS] = { 0 };
	char cells[COL_SCHEDULED + 1][600];
	json_t *arr = json_array();
	struct ctl_table t;
	int rc = CTL_EXIT_OK, raft_known = 0, reports_known = 0;

	memcpy(cols, titles, sizeof titles);
	if (!extended)
		cols[COL_PENDING] = NULL; /* the extended columns end the list */
	if (arr == NULL || ctl_table_init(&t, cols) != 0) {
		json_decref(arr);
		fprintf(stderr, "pgquorumctl: out of memory\n");
		return CTL_EXIT_FAILED;
	}
	t.shrinkable[COL_HOST] = t.shrinkable[COL_TAGS] = t.shrinkable[COL_STATE] = 1;
	if (extended)
		t.shrinkable[COL_SCHEDULED] = 1;
	t.right_align[COL_TL] = t.right_align[COL_LAG] = 1;
	for (size_t i = 0; i < n; i++) {
		const struct ctl_member *m = &cl->members[order[i]];
		const char *row[COL_SCHEDULED + 1];
		json_t *o = member_row(cl, m, rr, extended, indents[i], upstreams[i], cells);

		if (o == NULL || json_array_append_new(arr, o) != 0)
			rc = CTL_EXIT_FAILED;
		for (size_t k = 0; k <= COL_SCHEDULED; k++)
			row[k] = cells[k];
		if (ctl_table_add_row(&t, row) != 0)
			rc = CTL_EXIT_FAILED;
		raft_known |= strcmp(cells[COL_RAFT], "-") != 0;
		reports_known |= m->reports_known;
		ctl_table_color_last(&t, COL_ROLE, role_color(m->role));
		if (m->state[0] != '\0' && strcmp(m->state, "running") != 0)
			ctl_table_color_last(&t, COL_STATE, CTL_COLOR_RED);
	}
	/* Columns an agent's answer says nothing about (a Patroni-shaped
	 * /cluster has no Raft roles or report times) are left out. */
	t.hidden[COL_RAFT] = !raft_known;
	t.hidden[COL_REPORTED] = !reports_known;
	if (rc == CTL_EXIT_OK) {
		if (fmt == CTL_FORMAT_TABLE) {
			printf("Cluster: %s%s%s%s\n", cl->scope, cl->cluster_id[0] != '\0' ? " (" : "",
			       cl->cluster_id, cl->cluster_id[0] != '\0' ? ")" : "");
			ctl_table_print(&t, stdout, c->term_width, c->color);
			if (cl->scheduled_switchover[0] != '\0')
				printf(" Switchover scheduled %s\n", cl->scheduled_switchover);
			if (cl->paused)
				printf(" Maintenance mode: on\n");
			if (cl->failover_blocked[0] != '\0')
				printf(" Failover blocked: %s\n", cl->failover_blocked);
		} else {
			rc = ctl_print_doc(fmt, arr);
		}
	}
	ctl_table_free(&t);
	json_decref(arr);
	return rc;
}

static const char list_help[] =
	"Usage: pgquorumctl list [-f table|json|yaml] [-e] [--watch SEC [--count N]]\n"
	"\n"
	"One line per member: Member, Raft (leader, voter, learner), Host\n"
	"(PostgreSQL address; the API host when none is recorded), Role (Primary,\n"
	"Sync Standby, Quorum Standby, Replica, Unknown), State, TL (timeline),\n"
	"Lag in MB (standbys), Reported (age of the member's last status report;\n"
	"an old one means the member is not reporting) and Tags.\n"
	"\n"
	"  -f, --format FMT   table (default), json or yaml\n"
	"  -e, --extended     add Pending restart and Scheduled restart columns\n"
	"  -w, --watch SEC    print again every SEC seconds (until interrupted)\n"
	"  -n, --count N      with --watch: stop after N prints\n"
	"  -h, --help         show this help\n";

static const char topology_help[] =
	"Usage: pgquorumctl topology [-f table|json|yaml] [-e] [--watch SEC [--count N]]\n"
	"\n"
	"The members as a tree: the primary first, its standbys below it indented\n"
	"(\"+ name\"). Without a primary every member is listed flat. The columns\n"
	"are those of list; json and yaml give each standby an \"Upstream\".\n"
	"\n"
	"  -f, --format FMT   table (default), json or yaml\n"
	"  -e, --extended     add Pending restart and Scheduled restart columns\n"
	"  -w, --watch SEC    print again every SEC seconds\n"
	"  -n, --count N      with --watch: stop after N prints\n"
	"  -h, --help         show this help\n";

static int parse_positive(const char *cmd, const char *opt, const char *arg, long max, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	char msg[128];

	if (*end != '\0' || end == arg || v < 1 || v > max) {
		snprintf(msg, sizeof msg, "%s expects a whole number from 1 to %ld", opt, max);
		return ctl_usage_error(cmd, msg);
	}
	*out = v;
	return 0;
}

static int show_members(struct ctl_ctx *c, int argc, char **argv, int tree)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "extended", no_argument, NULL, 'e' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	enum ctl_format fmt = CTL_FORMAT_TABLE;
	long watch_s = 0, count = 0;
	int extended = 0, opt, rc = CTL_EXIT_OK;

	optind = 0; /* glibc: re-initialise getopt (argument permutation included) */
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "f:ew:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (ctl_parse_format(optarg, &fmt) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'e':
			extended = 1;
			break;
		case 'w':
			if (parse_positive(cmd, "--watch", optarg, 86400, &watch_s) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'n':
			if (parse_positive(cmd, "--count", optarg, 1000000, &count) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'h':
			fputs(tree ? topology_help : list_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error(cmd, "takes no argument");
	if (count > 0 && watch_s == 0)
		return ctl_usage_error(cmd, "--count needs --watch");
	if (watch_s == 0)
		count = 1;
	for (long round = 0; count == 0 || round < count; round++) {
		struct ctl_cluster cl;
		struct raft_roles rr;
		size_t order[64], n = 0;
		const char *indents[64], *upstreams[64];
		char scheduled[64][64];
		const struct ctl_member *p;

		if (round > 0) {
			sleep((unsigned)watch_s);
			if (c->color)
				fputs("\033[H\033[2J", stdout); /* clear a terminal between prints */
		}
		rc = ctl_fetch_cluster(c, &cl);
		if (rc != CTL_EXIT_OK)
			return rc;
		raft_roles_fetch(c, &rr);
		if (extended)
			scheduled_restarts_fetch(c, &cl, scheduled);
		p = tree ? ctl_cluster_primary(&cl) : NULL;
		/* tree: the primary first, then the others under it */
		if (p != NULL) {
			order[n] = (size_t)(p - cl.members);
			indents[n] = "";
			upstreams[n] = NULL;
			n++;
		}
		for (size_t i = 0; i < cl.n_members && n < 64; i++) {
			if (p == &cl.members[i])
				continue;
			order[n] = i;
			indents[n] = p != NULL ? "+ " : "";
			upstreams[n] = p != NULL ? p->name : NULL;
			n++;
		}
		if (watch_s > 0 && fmt == CTL_FORMAT_TABLE) {
			char now[64];
			ctl_iso8601_format(wall_ms(), now, sizeof now);
			printf("%s\n", now);
		}
		rc = print_members(c, &cl, &rr, order, n, indents, upstreams, fmt, extended);
		fflush(stdout);
		json_decref(rr.status);
		ctl_cluster_free(&cl);
		if (rc != CTL_EXIT_OK)
			return rc;
	}
	return rc;
}

int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv)
{
	return show_members(c, argc, argv, 0);
}

int ctl_cmd_topology(struct ctl_ctx *c, int argc, char **argv)
{
	return show_members(c, argc, argv, 1);
}

static const char dsn_help[] =
	"Usage: pgquorumctl dsn [--role primary|replica|any] [--dbname NAME] [--user NAME]\n"
	"                       [-f table|json|yaml]\n"
	"\n"
	"Print a libpq multi-host connection URI listing every member, e.g.\n"
	"  postgresql://10.0.0.1:5432,10.0.0.2:5432/postgres?target_session_attrs=read-write\n"
	"libpq tries the hosts in order and keeps the first whose role matches\n"
	"target_session_attrs, so the URI stays valid after a switchover.\n"
	"\n"
	"  -r, --role ROLE    primary (default; read-write, the primary listed first),\n"
	"                     replica (standby, standbys first) or any\n"
	"  -d, --dbname NAME  database (default postgres)\n"
	"  -U, --user NAME    user name to put in the URI\n"
	"  -f, --format FMT   table (default: the URI alone), json or yaml\n"
	"                     ({\"dsn\": URI, \"role\": ROLE})\n"
	"  -h, --help         show this help\n"
	"\n"
	"A member whose PostgreSQL address is not recorded yet is listed with the host\n"
	"of its REST API and port 5432.\n";

int ctl_cmd_dsn(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "dbname", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'U' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ctl_dsn_role role = CTL_DSN_PRIMARY;
	static const char *const role_names[] = { "primary", "replica", "any" };
	const char *dbname = "postgres", *user = NULL;
	enum ctl_format fmt = CTL_FORMAT_TABLE;
	struct ctl_cluster cl;
	char err[256], *uri;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "r:d:U:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (strcmp(optarg, "primary") == 0 || strcmp(optarg, "master") == 0)
				role = CTL_DSN_PRIMARY;
			else if (strcmp(optarg, "replica") == 0 || strcmp(optarg, "standby") == 0)
				role = CTL_DSN_REPLICA;
			else if (strcmp(optarg, "any") == 0)
				role = CTL_DSN_ANY;
			else
				return ctl_usage_error("dsn", "--role is primary, replica or any");
			break;
		case 'd':
			dbname = optarg;
			break;
		case 'U':
			user = optarg;
			break;
		case 'f':
			if (ctl_parse_format(optarg, &fmt) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'h':
			fputs(dsn_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("dsn", "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error("dsn", "takes no argument");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	uri = ctl_dsn_build(&cl, role, dbname, user, err, sizeof err);
	ctl_cluster_free(&cl);
	if (uri == NULL) {
		fprintf(stderr, "pgquorumctl: %s\n", err);
		return CTL_EXIT_FAILED;
	}
	if (fmt == CTL_FORMAT_TABLE) {
		printf("%s\n", uri);
		rc = CTL_EXIT_OK;
	} else {
		json_t *doc = json_pack("{s:s,s:s}", "dsn", uri, "role", role_names[role]);
		rc = doc != NULL ? ctl_print_doc(fmt, doc) : CTL_EXIT_FAILED;
		json_decref(doc);
	}
	free(uri);
	return rc;
}

/*
 * cli_restart.c — per-member PostgreSQL actions: `restart`, `reload` and
 * `reinit`. As in Patroni these go to each member's own REST API (its
 * api_url in the cluster view), not through the Raft leader: the member
 * itself restarts, reloads or rebuilds its PostgreSQL.
 */
#include "ctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Mark the members named in names[0..n) (all when n == 0 and all is set).
 * Prints and returns CTL_EXIT_FAILED when a name is not a member.
 */
static int select_members(const struct ctl_cluster *cl, char **names, int n, int all,
			  int *selected)
{
	for (size_t k = 0; k < cl->n_members; k++)
		selected[k] = all;
	for (int i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < cl->n_members; k++)
			if (strcmp(cl->members[k].name, names[i]) == 0)
				break;
		if (k == cl->n_members) {
			fprintf(stderr, "pgquorumctl: %s is not a member of the cluster\n", names[i]);
			return CTL_EXIT_FAILED;
		}
		selected[k] = 1;
	}
	return CTL_EXIT_OK;
}

/* POST path with body to every selected member. Returns an exit status. */
static int post_each(const struct ctl_ctx *c, const struct ctl_cluster *cl, const int *selected,
		     const char *path, const json_t *body)
{
	int failed = 0;

	for (size_t k = 0; k < cl->n_members; k++) {
		const struct ctl_member *m = &cl->members[k];
		struct ctl_reply r;
		char err[1024];

		if (!selected[k])
			continue;
		if (m->api_base[0] == '\0') {
			fprintf(stderr, "pgquorumctl: %s: no REST API address recorded\n", m->name);
			failed = 1;
			continue;
		}
		if (ctl_request_at(c, m->api_base, "POST", path, body, &r, err, sizeof err) != 0) {
			fprintf(stderr, "pgquorumctl: %s: unreachable: %s\n", m->name, err);
			failed = 1;
			continue;
		}
		if (r.code == 200 || r.code == 202) {
			printf("%s: %s\n", m->name, ctl_reply_message(&r));
		} else {
			ctl_fail_at(m->name, "POST", path, &r);
			failed = 1;
		}
		ctl_reply_free(&r);
	}
	return failed ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

static void names_text(const struct ctl_cluster *cl, const int *selected, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < cl->n_members && used + 1 < len; k++)
		if (selected[k])
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "",
						 cl->members[k].name);
}

static const char restart_help[] =
	"Usage: pgquorumctl restart (MEMBER... | --all) [--pending] [--scheduled TIME]\n"
	"                           [--role primary|replica|any] [--force]\n"
	"\n"
	"Restart PostgreSQL on the named members (POST /restart on each member).\n"
	"\n"
	"  --all              every member\n"
	"  --pending          only members whose settings need a restart\n"
	"                     (restart_pending)\n"
	"  --scheduled TIME   at an ISO 8601 time with a zone (no zone: local time)\n"
	"  --role ROLE        only members in that role (primary, replica or any)\n"
	"  --force            do not ask for confirmation\n"
	"  -h, --help         show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal. Cancel a scheduled restart with \"flush restart\".\n";

int ctl_cmd_restart(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "pending", no_argument, NULL, 'p' },
		{ "scheduled", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL;
	int all = 0, pending = 0, force = 0, opt, rc, selected[64];
	int64_t at_ms = 0;
	char err[256], at[64] = "", names[512], question[700];
	struct ctl_cluster cl;
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': all = 1; break;
		case 'p': pending = 1; break;
		case 's':
			if (strcmp(optarg, "now") == 0)
				break;
			if (ctl_iso8601_parse(optarg, &at_ms, err, sizeof err) != 0)
				return ctl_usage_error("restart", err);
			if (at_ms <= (int64_t)time(NULL) * 1000)
				return ctl_usage_error("restart", "--scheduled time is in the past");
			ctl_iso8601_format(at_ms, at, sizeof at);
			break;
		case 'r':
			if (strcmp(optarg, "primary") != 0 && strcmp(optarg, "replica") != 0 &&
			    strcmp(optarg, "any") != 0)
				return ctl_usage_error("restart", "--role is primary, replica or any");
			role = optarg;
			break;
		case 'F': force = 1; break;
		case 'h':
			fputs(restart_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("restart", "unknown option");
		}
	}
	if (optind == argc && !all)
		return ctl_usage_error("restart", "name the members to restart (or --all)");
	if (optind < argc && all)
		return ctl_usage_error("restart", "--all and member names exclude each other");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (cl.n_members > 64 ||
	    select_members(&cl, argv + optind, argc - optind, all, selected) != CTL_EXIT_OK) {
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	names_text(&cl, selected, names, sizeof names);
	snprintf(question, sizeof question, "Restart PostgreSQL on %s%s%s%s?", names,
		 pending ? " (those with a pending restart)" : "", at[0] != '\0' ? " at " : " now",
		 at);
	body = json_object();
	if (body == NULL) {
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	if (pending)
		json_object_set_new(body, "restart_pending", json_true());
	if (at[0] != '\0')
		json_object_set_new(body, "schedule", json_string(at));
	if (role != NULL)
		json_object_set_new(body, "role", json_string(role));
	if (!ctl_confirm(question, force)) {
		rc = CTL_EXIT_FAILED;
	} else {
		/*
		 * A restart now is answered once PostgreSQL runs again (the agent
		 * waits up to 110 s): give each member that long, whatever --timeout.
		 */
		struct ctl_ctx wait = *c;

		if (at[0] == '\0' && wait.timeout_ms < 120000)
			wait.timeout_ms = 120000;
		rc = post_each(&wait, &cl, selected, "/restart", body);
	}
	json_decref(body);
	ctl_cluster_free(&cl);
	return rc;
}

static const char reload_help[] =
	"Usage: pgquorumctl reload [MEMBER...]\n"
	"\n"
	"Reload PostgreSQL's configuration (and the agent's) on the named members,\n"
	"every member when none is named (POST /reload on each member).\n"
	"\n"
	"  -h, --help   show this help\n";

int ctl_cmd_reload(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_cluster cl;
	int rc, selected[64];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(reload_help, stdout);
			return CTL_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return ctl_usage_error("reload", "unknown option");
	}
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (cl.n_members > 64 ||
	    select_members(&cl, argv + 1, argc - 1, argc == 1, selected) != CTL_EXIT_OK) {
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	rc = post_each(c, &cl, selected, "/reload", NULL);
	ctl_cluster_free(&cl);
	return rc;
}

static const char reinit_help[] =
	"Usage: pgquorumctl reinit MEMBER [--force]\n"
	"\n"
	"Rebuild a standby's data directory from the primary (POST /reinitialize\n"
	"on the member). Its local data is thrown away.\n"
	"\n"
	"  --force      do not ask for confirmation (and cancel a running task on\n"
	"               the member, as Patroni's \"force\")\n"
	"  -h, --help   show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal.\n";

int ctl_cmd_reinit(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int force = 0, opt, rc, selected[64];
	struct ctl_cluster cl;
	char question[256];
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'F': force = 1; break;
		case 'h':
			fputs(reinit_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("reinit", "unknown option");
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error("reinit", "name exactly one member");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (cl.n_members > 64 ||
	    select_members(&cl, argv + optind, 1, 0, selected) != CTL_EXIT_OK) {
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	for (size_t k = 0; k < cl.n_members; k++) {
		if (selected[k] && cl.members[k].role == CTL_ROLE_PRIMARY) {
			fprintf(stderr, "pgquorumctl: %s is the primary; only a standby can be "
					"reinitialized\n", cl.members[k].name);
			ctl_cluster_free(&cl);
			return CTL_EXIT_FAILED;
		}
	}
	snprintf(question, sizeof question,
		 "Reinitialize %s (its data directory is rebuilt from the primary)?", argv[optind]);
	body = json_pack("{s:b}", "force", force);
	if (body == NULL || !ctl_confirm(question, force))
		rc = CTL_EXIT_FAILED;
	else
		rc = post_each(c, &cl, selected, "/reinitialize", body);
	json_decref(body);
	ctl_cluster_free(&cl);
	return rc;
}

/*
 * cli_members.c — `pgquorumctl members add NAME --raft HOST:PORT --api URL`
 * and `pgquorumctl members remove NAME`, through any agent (it redirects
 * to the Raft leader). Removal asks for confirmation (destructive).
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char members_help[] =
	"Usage: pgquorumctl members add NAME --raft HOST:PORT [--api URL]\n"
	"       pgquorumctl members remove NAME [--force]\n"
	"\n"
	"add     record a new member (POST /members). It joins as a Raft learner and\n"
	"        the leader promotes it to voter once it has caught up. Start its\n"
	"        agent with a configuration whose raft.peers lists the founders and\n"
	"        itself.\n"
	"        --raft HOST:PORT  its Raft address (raft.listen)\n"
	"        --api URL         its REST API, e.g. http://10.0.0.4:8008\n"
	"remove  remove a member (DELETE /members/NAME); never the primary or a\n"
	"        member of the synchronous set (SAFETY.md S16).\n"
	"        --force           do not ask for confirmation (without it, removal\n"
	"                          refuses when standard input is not a terminal)\n"
	"  -h, --help   show this help\n";

static int send_and_report(const struct ctl_ctx *c, const char *method, const char *path,
			   const json_t *body, const char *what)
{
	struct ctl_reply r;
	char err[1024];
	int rc = CTL_EXIT_OK;

	if (ctl_request(c, method, path, body, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code == 200)
		printf("%s\n", what);
	else
		rc = ctl_fail(method, path, &r);
	ctl_reply_free(&r);
	return rc;
}

static int members_add(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raft", required_argument, NULL, 'r' },
		{ "api", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *raft = NULL, *api = NULL, *name;
	char what[256];
	json_t *body;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'r') {
			raft = optarg;
		} else if (opt == 'a') {
			api = optarg;
		} else if (opt == 'h') {
			fputs(members_help, stdout);
			return CTL_EXIT_OK;
		} else {
			return ctl_usage_error("members", "unknown option");
		}
	}
	if (optind + 1 != argc || raft == NULL)
		return ctl_usage_error("members", "usage: members add NAME --raft HOST:PORT [--api URL]");
	name = argv[optind];
	if (!ctl_valid_member_name(name))
		return ctl_usage_error("members", "a member name is 1-63 characters of [A-Za-z0-9_.-]");
	body = json_pack("{s:s,s:s}", "name", name, "raft_address", raft);
	if (body == NULL)
		return CTL_EXIT_FAILED;
	if (api != NULL)
		json_object_set_new(body, "api_url", json_string(api));
	snprintf(what, sizeof what, "member %s added (learner; promoted to voter once caught up)", name);
	rc = send_and_report(c, "POST", "/members", body, what);
	json_decref(body);
	return rc;
}

static int members_remove(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[128], what[256], question[256];
	int force = 0, opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'F') {
			force = 1;
		} else if (opt == 'h') {
			fputs(members_help, stdout);
			return CTL_EXIT_OK;
		} else {
			return ctl_usage_error("members", "unknown option");
		}
	}
	if (optind + 1 != argc || !ctl_valid_member_name(argv[optind]))
		return ctl_usage_error("members", "usage: members remove NAME [--force]");
	snprintf(question, sizeof question, "Remove member %s from the cluster?", argv[optind]);
	if (!ctl_confirm(question, force))
		return CTL_EXIT_FAILED;
	snprintf(path, sizeof path, "/members/%s", argv[optind]);
	snprintf(what, sizeof what, "member %s removed", argv[optind]);
	return send_and_report(c, "DELETE", path, NULL, what);
}

int ctl_cmd_members(struct ctl_ctx *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return members_add(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return members_remove(c, argc - 1, argv + 1);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(members_help, stdout);
		return CTL_EXIT_OK;
	}
	return ctl_usage_error("members", "expects \"add\" or \"remove\"");
}

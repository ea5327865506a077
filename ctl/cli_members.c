/*
 * cli_members.c — `pgquorumctl members add NAME --raft HOST:PORT --api URL`
 * and `pgquorumctl members remove NAME`, through any agent (it redirects
 * to the Raft leader).
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int finish(long code, json_t *reply, const char *what)
{
	int rc = CTL_EXIT_OK;

	if (code == 200) {
		printf("%s\n", what);
	} else {
		fprintf(stderr, "pgquorumctl: %s failed (HTTP %ld): %s\n", what, code,
			ctl_reply_error(reply));
		rc = CTL_EXIT_FAILED;
	}
	json_decref(reply);
	return rc;
}

static int members_add(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"raft", required_argument, NULL, 'r'},
		{"api", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	const char *raft = NULL, *api = NULL, *name;
	json_t *body, *reply = NULL;
	char *text, err[512], what[256];
	long code = 0;
	int opt;

	optind = 0; /* glibc: 0 re-initialises getopt (argument permutation included) */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r')
			raft = optarg;
		else if (opt == 'a')
			api = optarg;
		else
			return CTL_EXIT_USAGE;
	}
	if (optind + 1 != argc || raft == NULL) {
		fprintf(stderr, "pgquorumctl: usage: members add NAME --raft HOST:PORT [--api URL]\n");
		return CTL_EXIT_USAGE;
	}
	name = argv[optind];
	body = json_pack("{s:s,s:s}", "name", name, "raft_address", raft);
	if (api != NULL)
		json_object_set_new(body, "api_url", json_string(api));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (ctl_request(c, "POST", "/members", text, &code, &reply, err, sizeof err) != 0) {
		free(text);
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	free(text);
	snprintf(what, sizeof what, "member %s added (learner; promoted to voter once caught up)", name);
	return finish(code, reply, what);
}

static int members_remove(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *reply = NULL;
	char path[256], err[512], what[256];
	long code = 0;

	if (argc != 2 || strchr(argv[1], '/') != NULL || strlen(argv[1]) > 100) {
		fprintf(stderr, "pgquorumctl: usage: members remove NAME\n");
		return CTL_EXIT_USAGE;
	}
	snprintf(path, sizeof path, "/members/%s", argv[1]);
	if (ctl_request(c, "DELETE", path, NULL, &code, &reply, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	snprintf(what, sizeof what, "member %s removed", argv[1]);
	return finish(code, reply, what);
}

int ctl_cmd_members(struct ctl_ctx *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return members_add(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return members_remove(c, argc - 1, argv + 1);
	fprintf(stderr, "pgquorumctl: usage: members add|remove ...\n");
	return CTL_EXIT_USAGE;
}

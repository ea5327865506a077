/*
 * main.c — pgquorumctl, the command-line tool that drives a pgquorum cluster
 * through the agents' REST API (libcurl). This file parses the global options
 * and dispatches to one file per command group (cli_*.c).
 */
#include "config.h" /* autoconf: PACKAGE_VERSION */

#include "ctl.h"
#include "pgq_config.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"pgquorumctl — control a pgquorum PostgreSQL cluster.\n"
		"\n"
		"Usage: pgquorumctl [GLOBAL OPTION]... COMMAND [ARG]...\n"
		"\n"
		"Global options:\n"
		"  -c, --config FILE   read the agents' REST addresses (restapi of every\n"
		"                      raft.peers entry) from an agent configuration file\n"
		"      --url URL       an agent's REST API address, e.g. http://10.0.0.1:8008\n"
		"                      (repeatable; also PGQUORUMCTL_URL, comma separated).\n"
		"                      Agents are tried in order until one answers; writes\n"
		"                      follow the redirect to the Raft leader.\n"
		"      --timeout SEC   give up on one agent after SEC seconds (default 10)\n"
		"      --user USER:PASSWORD\n"
		"                      HTTP basic authentication for write requests (also\n"
		"                      PGQUORUMCTL_USER; with -c, restapi.authentication)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Commands:\n"
		"  list                table of members: name, Raft role, state, last report\n"
		"  members add NAME --raft HOST:PORT [--api URL]\n"
		"                      add a member (a learner, promoted to voter by the\n"
		"                      leader once it has caught up); start its agent with\n"
		"                      a configuration listing the founders and itself\n"
		"  members remove NAME remove a member from the cluster\n"
		"  version             print the version of pgquorumctl\n"
		"\n"
		"Exit status: 0 ok, 1 failed, 2 usage error, 3 cluster unreachable.\n");
}

static int add_urls_from_config(struct ctl_ctx *c, const char *path)
{
	struct pgq_config *cfg = NULL;
	int added = 0;

	if (pgq_config_load(path, &cfg, NULL) != 0 || cfg == NULL) {
		fprintf(stderr, "pgquorumctl: cannot use \"%s\" (check it with pgquorum --validate-config)\n",
			path);
		return -1;
	}
	for (size_t i = 0; i < cfg->raft.n_peers; i++) {
		const struct pgq_hostport *api = &cfg->raft.peers[i].restapi;
		char url[300];

		if (api->text == NULL)
			continue;
		if (strchr(api->host, ':') != NULL)
			snprintf(url, sizeof url, "http://[%s]:%u", api->host, (unsigned)api->port);
		else
			snprintf(url, sizeof url, "http://%s:%u", api->host, (unsigned)api->port);
		if (ctl_add_url(c, url) == 0)
			added++;
	}
	if (c->userpwd == NULL && cfg->restapi.authentication.username != NULL &&
	    cfg->restapi.authentication.password != NULL) {
		size_t n = strlen(cfg->restapi.authentication.username) + 1 +
			   strlen(cfg->restapi.authentication.password) + 1;
		c->userpwd = malloc(n);
		if (c->userpwd != NULL)
			snprintf(c->userpwd, n, "%s:%s", cfg->restapi.authentication.username,
				 cfg->restapi.authentication.password);
	}
	pgq_config_free(cfg);
	if (added == 0) {
		fprintf(stderr, "pgquorumctl: \"%s\" names no restapi address in raft.peers\n", path);
		return -1;
	}
	return 0;
}

static int add_urls_from_env(struct ctl_ctx *c, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (copy == NULL)
		return -1;
	for (char *u = strtok_r(copy, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save)) {
		while (*u == ' ')
			u++;
		if (*u != '\0')
			ctl_add_url(c, u);
	}
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"url", required_argument, NULL, 'u'},
		{"timeout", required_argument, NULL, 't'},
		{"user", required_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_ctx c = { .timeout_ms = 10000 };
	const char *config = NULL, *env;
	const char *cmd;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			if (ctl_add_url(&c, optarg) != 0) {
				fprintf(stderr, "pgquorumctl: too many --url\n");
				ctl_free(&c);
				return CTL_EXIT_USAGE;
			}
			break;
		case 't': {
			char *end;
			long s = strtol(optarg, &end, 10);
			if (*end != '\0' || s <= 0 || s > 3600) {
				fprintf(stderr, "pgquorumctl: --timeout expects 1..3600 seconds\n");
				ctl_free(&c);
				return CTL_EXIT_USAGE;
			}
			c.timeout_ms = s * 1000;
			break;
		}
		case 'U':
			free(c.userpwd);
			c.userpwd = strdup(optarg);
			break;
		case 'h':
			usage(stdout);
			ctl_free(&c);
			return CTL_EXIT_OK;
		case 'V':
			printf("pgquorumctl %s\n", PACKAGE_VERSION);
			ctl_free(&c);
			return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
			ctl_free(&c);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pgquorumctl: no command given\n");
		fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "version") == 0) {
		printf("pgquorumctl %s\n", PACKAGE_VERSION);
		ctl_free(&c);
		return CTL_EXIT_OK;
	}
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "members") != 0) {
		fprintf(stderr, "pgquorumctl: unknown command \"%s\"\n", cmd);
		fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	if (config != NULL && add_urls_from_config(&c, config) != 0) {
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	env = getenv("PGQUORUMCTL_USER");
	if (c.userpwd == NULL && env != NULL)
		c.userpwd = strdup(env);
	env = getenv("PGQUORUMCTL_URL");
	if (c.n_urls == 0 && env != NULL)
		add_urls_from_env(&c, env);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "list") == 0)
		rc = ctl_cmd_list(&c, argc - optind, argv + optind);
	else
		rc = ctl_cmd_members(&c, argc - optind, argv + optind);
	curl_global_cleanup();
	ctl_free(&c);
	return rc;
}

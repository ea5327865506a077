/*
 * main.c — pgquorumctl, the command-line tool that drives a pgquorum
 * cluster through the agents' REST API (libcurl). This file parses the
 * global options, finds the agents (-c CONFIG, --url, PGQUORUMCTL_URL),
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
#include <sys/ioctl.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(struct ctl_ctx *c, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", ctl_cmd_list, "members: host, role, state, timeline, lag, Raft role, tags" },
	{ "topology", ctl_cmd_topology, "the primary, then its standbys indented" },
	{ "switchover", ctl_cmd_switchover, "hand the primary role to a standby (now or scheduled)" },
	{ "failover", ctl_cmd_failover, "name a new primary when the primary is unhealthy" },
	{ "fence-confirm", ctl_cmd_fence_confirm, "confirm a former primary is fenced (its required fence keeps failing)" },
	{ "restart", ctl_cmd_restart, "restart PostgreSQL on members (now, scheduled, if pending)" },
	{ "reload", ctl_cmd_reload, "reload PostgreSQL's configuration on members" },
	{ "reinit", ctl_cmd_reinit, "rebuild a standby from the primary" },
	{ "pause", ctl_cmd_pause, "maintenance mode: no automatic failover" },
	{ "resume", ctl_cmd_resume, "leave maintenance mode" },
	{ "show-config", ctl_cmd_show_config, "the cluster's dynamic configuration" },
	{ "edit-config", ctl_cmd_edit_config, "change the dynamic configuration ($EDITOR, --set, --apply)" },
	{ "history", ctl_cmd_history, "changes of primary: timeline, LSN, reason, time, new primary" },
	{ "flush", ctl_cmd_flush, "cancel a scheduled restart or switchover" },
	{ "dsn", ctl_cmd_dsn, "a libpq multi-host connection URI for the cluster" },
	{ "members", ctl_cmd_members, "members add NAME --raft HOST:PORT [--api URL] | remove NAME" },
	{ "version", ctl_cmd_version, "versions of pgquorumctl and of every agent" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"pgquorumctl — control a pgquorum PostgreSQL cluster through its agents' REST API.\n"
		"\n"
		"Usage: pgquorumctl [GLOBAL OPTION]... COMMAND [OPTION]... [ARG]...\n"
		"       pgquorumctl COMMAND --help      options of one command\n"
		"\n"
		"Global options (before the command):\n"
		"  -c, --config FILE   find the agents from an agent configuration file: the\n"
		"                      restapi address of every raft.peers entry, and the\n"
		"                      credentials of restapi.authentication; https with\n"
		"                      restapi.cafile (and certfile/keyfile as the client\n"
		"                      certificate under restapi.verify_client)\n"
		"      --url URL       an agent's REST API, e.g. http://10.0.0.1:8008\n"
		"                      (repeatable; else PGQUORUMCTL_URL, comma separated).\n"
		"                      Agents are tried in order until one answers; writes\n"
		"                      follow the redirect to the Raft leader\n"
		"      --user USER[:PASSWORD]\n"
		"                      HTTP basic authentication (else PGQUORUMCTL_USER; the\n"
		"                      password may come from PGQUORUMCTL_PASSWORD)\n"
		"      --cacert FILE   CA certificates to verify https agents\n"
		"      --cert FILE     client certificate (restapi.verify_client)\n"
		"      --key FILE      its private key\n"
		"  -k, --insecure      do not verify the agents' TLS certificates\n"
		"      --timeout SEC   give up on one agent after SEC seconds (default 10)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show pgquorumctl's version and exit\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-13s  %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Read commands take -f, --format table|json|yaml. Destructive commands\n"
		"(switchover, failover, fence-confirm, restart, reinit, edit-config,\n"
		"members remove) ask\n"
		"for confirmation, refuse when standard input is not a terminal, and take\n"
		"--force to proceed without asking. Colour only on a terminal, never with\n"
		"NO_COLOR set.\n"
		"\n"
		"Exit status: 0 ok, 1 failed (refused, or the agent said no), 2 usage error,\n"
		"3 cluster unreachable (no agent answered).\n");
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
		const char *scheme = cfg->restapi.certfile != NULL ? "https" : "http";
		char url[300];

		if (api->text == NULL)
			continue;
		if (strchr(api->host, ':') != NULL)
			snprintf(url, sizeof url, "%s://[%s]:%u", scheme, api->host, (unsigned)api->port);
		else
			snprintf(url, sizeof url, "%s://%s:%u", scheme, api->host, (unsigned)api->port);
		if (ctl_add_url(c, url) == 0)
			added++;
	}
	if (added == 0) {
		/* No peer names its REST address: this member's own. */
		const struct pgq_hostport *own = cfg->restapi.connect_address.text != NULL
							 ? &cfg->restapi.connect_address
							 : &cfg->restapi.listen;
		char url[300];

		if (own->text != NULL && own->host != NULL) {
			snprintf(url, sizeof url, strchr(own->host, ':') != NULL ? "%s://[%s]:%u"
										 : "%s://%s:%u",
				 cfg->restapi.certfile != NULL ? "https" : "http", own->host,
				 (unsigned)own->port);
			if (ctl_add_url(c, url) == 0)
				added++;
		}
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
	/* The agent's TLS files, unless given on the command line (--cacert, --cert, --key). */
	if (c->cacert == NULL && cfg->restapi.cafile != NULL)
		c->cacert = strdup(cfg->restapi.cafile);
	if (c->cert == NULL && c->key == NULL && cfg->restapi.verify_client != PGQ_VERIFY_CLIENT_NONE &&
	    cfg->restapi.certfile != NULL && cfg->restapi.keyfile != NULL) {
		c->cert = strdup(cfg->restapi.certfile);
		c->key = strdup(cfg->restapi.keyfile);
	}
	pgq_config_free(cfg);
	if (added == 0) {
		fprintf(stderr, "pgquorumctl: \"%s\" names no REST API address\n", path);
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
		if (*u != '\0' && ctl_add_url(c, u) != 0)
			break;
	}
	free(copy);
	return 0;
}

/* "user" alone takes its password from PGQUORUMCTL_PASSWORD. */
static int set_user(struct ctl_ctx *c, const char *user)
{
	const char *pw = getenv("PGQUORUMCTL_PASSWORD");
	size_t n;

	free(c->userpwd);
	c->userpwd = NULL;
	if (strchr(user, ':') != NULL || pw == NULL) {
		c->userpwd = strdup(user);
	} else {
		n = strlen(user) + strlen(pw) + 2;
		c->userpwd = malloc(n);
		if (c->userpwd != NULL)
			snprintf(c->userpwd, n, "%s:%s", user, pw);
	}
	return c->userpwd != NULL ? 0 : -1;
}

static size_t terminal_width(void)
{
	const char *cols = getenv("COLUMNS");
	struct winsize ws;

	if (cols != NULL && atoi(cols) > 0)
		return (size_t)atoi(cols);
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

static int replace(char **slot, const char *value)
{
	free(*slot);
	*slot = strdup(value);
	return *slot != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	enum { OPT_URL = 256, OPT_TIMEOUT, OPT_USER, OPT_CACERT, OPT_CERT, OPT_KEY };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, OPT_URL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "insecure", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_ctx c = { .timeout_ms = 10000 };
	const char *config = NULL, *env;
	const struct command *cmd = NULL;
	int opt, rc = CTL_EXIT_OK, user_given = 0;

	while ((opt = getopt_long(argc, argv, "+c:khV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case OPT_URL:
			if (ctl_add_url(&c, optarg) != 0) {
				fprintf(stderr, "pgquorumctl: too many --url (at most %d)\n", CTL_MAX_URLS);
				rc = CTL_EXIT_USAGE;
			}
			break;
		case OPT_TIMEOUT: {
			char *end;
			long s = strtol(optarg, &end, 10);
			if (*end != '\0' || s <= 0 || s > 3600) {
				fprintf(stderr, "pgquorumctl: --timeout expects 1..3600 seconds\n");
				rc = CTL_EXIT_USAGE;
			}
			c.timeout_ms = s * 1000;
			break;
		}
		case OPT_USER:
			if (set_user(&c, optarg) != 0)
				rc = CTL_EXIT_FAILED;
			user_given = 1;
			break;
		case OPT_CACERT:
			if (replace(&c.cacert, optarg) != 0)
				rc = CTL_EXIT_FAILED;
			break;
		case OPT_CERT:
			if (replace(&c.cert, optarg) != 0)
				rc = CTL_EXIT_FAILED;
			break;
		case OPT_KEY:
			if (replace(&c.key, optarg) != 0)
				rc = CTL_EXIT_FAILED;
			break;
		case 'k':
			c.insecure = 1;
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
			rc = CTL_EXIT_USAGE;
			break;
		}
		if (rc != CTL_EXIT_OK) {
			if (rc == CTL_EXIT_USAGE)
				fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
			ctl_free(&c);
			return rc;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pgquorumctl: no command given\n");
		fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "pgquorumctl: unknown command \"%s\"\n", argv[optind]);
		fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	if (!user_given && (env = getenv("PGQUORUMCTL_USER")) != NULL && set_user(&c, env) != 0) {
		ctl_free(&c);
		return CTL_EXIT_FAILED;
	}
	if (config != NULL && add_urls_from_config(&c, config) != 0) {
		ctl_free(&c);
		return CTL_EXIT_USAGE;
	}
	env = getenv("PGQUORUMCTL_URL");
	if (c.n_urls == 0 && env != NULL)
		add_urls_from_env(&c, env);
	env = getenv("NO_COLOR"); /* no-color.org: set and not empty */
	c.color = isatty(STDOUT_FILENO) && (env == NULL || env[0] == '\0');
	c.term_width = terminal_width();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->fn(&c, argc - optind, argv + optind);
	curl_global_cleanup();
	ctl_free(&c);
	return rc;
}

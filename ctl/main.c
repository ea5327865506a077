/*
 * main.c — pgquorumctl, the command-line tool that drives a pgquorum cluster
 * through the agents' REST API (libcurl). This file parses the global options
 * and dispatches to one file per command group.
 */
#include "config.h" /* autoconf: PACKAGE_VERSION */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"pgquorumctl — control a pgquorum PostgreSQL cluster.\n"
		"\n"
		"Usage: pgquorumctl [GLOBAL OPTION]... COMMAND [ARG]...\n"
		"\n"
		"Global options:\n"
		"  -c, --config FILE   read the cluster's REST addresses from an agent config\n"
		"      --url URL       an agent's REST API address (repeatable;\n"
		"                      also PGQUORUMCTL_URL, comma separated)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Commands:\n"
		"  version             print the version of pgquorumctl\n"
		"\n"
		"Exit status: 0 ok, 1 failed, 2 usage error, 3 cluster unreachable.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"url", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
		case 'u':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pgquorumctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pgquorumctl: no command given\n");
		fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
		return 2;
	}
	if (strcmp(argv[optind], "version") == 0) {
		printf("pgquorumctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "pgquorumctl: unknown command \"%s\"\n", argv[optind]);
	fprintf(stderr, "Try \"pgquorumctl --help\" for more information.\n");
	return 2;
}

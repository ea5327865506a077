/*
 * main.c — the pgquorum agent's entry point: command line, then hand over
 * to the runtime. Everything here is about arguments; the work lives in the
 * modules it calls.
 */
#include "config.h" /* autoconf: PACKAGE_VERSION */

#include "pgq_config.h"
#include "log.h"
#include "runtime/runtime.h"
#include "storage/storage.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void usage(FILE *out)
{
	fprintf(out,
		"pgquorum — high-availability agent for PostgreSQL, coordinated by Raft.\n"
		"\n"
		"Usage:\n"
		"  pgquorum [OPTION]...                 run the agent\n"
		"  pgquorum --validate-config FILE      check a configuration file and exit\n"
		"  pgquorum --check-data-dir DIR        report the state of a Raft data directory\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE          configuration file (default: %s)\n"
		"      --validate-config FILE check FILE; print every problem as\n"
		"                             FILE:LINE:COLUMN: message; exit 0 if valid, 1 if not\n"
		"      --check-data-dir DIR   inspect the Raft data directory DIR (read-only,\n"
		"                             safe on a live agent); exit 0 clean, 1 torn tail\n"
		"                             (cut at next start), 2 corrupt or unreadable\n"
		"  -l, --log-level LEVEL      debug, info, warning or error (default: info;\n"
		"                             overrides log.level of the configuration)\n"
		"  -h, --help                 show this help and exit\n"
		"  -V, --version              show the version and exit\n"
		"\n"
		"Environment: PGQUORUM_TEST_HOOKS=1 enables test-only REST endpoints (/test/...);\n"
		"never set it in production.\n"
		"\n"
		"Signals: SIGHUP reloads the configuration (log.level, log.file) and reopens\n"
		"the log file;\n"
		"SIGTERM and SIGINT stop the agent cleanly.\n"
		"\n"
		"Exit status: 0 success, 1 runtime or configuration error, 2 usage error\n"
		"(--check-data-dir: see above).\n",
		PGQ_DEFAULT_CONFIG_PATH);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"validate-config", required_argument, NULL, 'C'},
		{"check-data-dir", required_argument, NULL, 'D'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = PGQ_DEFAULT_CONFIG_PATH;
	const char *validate_path = NULL;
	const char *check_dir = NULL;
	bool level_forced = false;
	struct pgq_config *config = NULL;
	char err[512] = "";
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			validate_path = optarg;
			break;
		case 'D':
			check_dir = optarg;
			break;
		case 'l': {
			int level = pgq_log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "pgquorum: invalid log level \"%s\" (expected debug, info, warning or error)\n", optarg);
				return 2;
			}
			pgq_log_set_level((enum pgq_log_level)level);
			level_forced = true;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pgquorum %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try \"pgquorum --help\" for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pgquorum: unexpected argument \"%s\"\n", argv[optind]);
		fprintf(stderr, "Try \"pgquorum --help\" for more information.\n");
		return 2;
	}

	if (validate_path != NULL)
		return pgq_config_validate_file(validate_path, stderr) == 0 ? 0 : 1;

	if (check_dir != NULL)
		return pgq_storage_check_dir(check_dir, stdout);

	if (pgq_config_validate_file(config_path, stderr) != 0 ||
	    pgq_config_load(config_path, &config, NULL) != 0 || config == NULL) {
		pgq_error("main", "refusing to start: configuration \"%s\" is invalid", config_path);
		return 1;
	}
	if (!level_forced)
		pgq_log_set_level(config->log.level);
	if (config->log.file != NULL && pgq_log_set_file(config->log.file, err, sizeof err) != 0)
		pgq_error("main", "%s", err);

	/* The runtime owns the configuration from here on. */
	rc = pgq_runtime_run(config_path, config, err, sizeof err);
	if (rc != 0)
		pgq_error("main", "%s", err[0] != '\0' ? err : "the agent stopped after an error");
	pgq_log_close();
	return rc;
}

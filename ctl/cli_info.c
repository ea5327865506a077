/*
 * cli_info.c — `history` (changes of primary, GET /history, Patroni's
 * [[timeline, lsn, reason, timestamp, new_primary], …]) and `version`
 * (pgquorumctl's and every agent's, from each member's GET /patroni).
 */
#include "config.h" /* PACKAGE_VERSION */

#include "ctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Common "-f FMT / -h" parsing for commands without other options. */
static int parse_read_opts(int argc, char **argv, enum ctl_format *fmt, const char *help)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (ctl_parse_format(optarg, fmt) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return ctl_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error(argv[0], "takes no argument");
	return 0;
}

/*
 * History rows as Patroni's [[timeline, lsn, reason, timestamp, new_primary]]:
 * from GET /history, or from the record's history of GET /cluster when the
 * agent has no /history yet. Returns an exit status; *out a new array.
 */
static int fetch_history(const struct ctl_ctx *c, json_t **out)
{
	json_t *hist, *e, *rows;
	size_t i;
	int rc, from_cluster;

	*out = NULL;
	rc = ctl_fetch_or_cluster_field(c, "/history", "history", 1, &hist, &from_cluster);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (!from_cluster) { /* GET /history answers in Patroni's row form already */
		*out = hist;
		return CTL_EXIT_OK;
	}
	/* The record's history entries become Patroni's rows. */
	rows = json_array();
	json_array_foreach(hist, i, e) {
		char when[64];
		json_t *t = json_object_get(e, "time_ms");

		ctl_iso8601_format(json_is_integer(t) ? json_integer_value(t) : 0, when, sizeof when);
		json_array_append_new(rows, json_pack("[OOOsO]",
			json_object_get(e, "timeline") ? json_object_get(e, "timeline") : json_null(),
			json_object_get(e, "lsn") ? json_object_get(e, "lsn") : json_null(),
			json_object_get(e, "reason") ? json_object_get(e, "reason") : json_null(),
			when,
			json_object_get(e, "new_primary") ? json_object_get(e, "new_primary")
							   : json_null()));
	}
	json_decref(hist);
	*out = rows;
	return CTL_EXIT_OK;
}

static void cell_text(const json_t *v, char *buf, size_t len, int lsn)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v) && lsn)
		snprintf(buf, len, "%" PRIX64 "/%" PRIX64,
			 (uint64_t)json_integer_value(v) >> 32,
			 (uint64_t)json_integer_value(v) & 0xffffffffu);
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		buf[0] = '\0';
}

static const char history_help[] =
	"Usage: pgquorumctl history [-f table|json|yaml]\n"
	"\n"
	"The changes of primary, oldest first: TL (the timeline the change ended),\n"
	"LSN (where it ended), Reason, Timestamp and New Primary (GET /history).\n"
	"\n"
	"  -f, --format FMT   table (default), json or yaml (json and yaml keep\n"
	"                     Patroni's rows: [timeline, lsn, reason, time, new primary])\n"
	"  -h, --help         show this help\n";

int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv)
{
	static const char *const titles[] = { "TL", "LSN", "Reason", "Timestamp", "New Primary",
					      NULL };
	enum ctl_format fmt = CTL_FORMAT_TABLE;
	struct ctl_table t;
	json_t *rows, *row;
	size_t i;
	int rc = parse_read_opts(argc, argv, &fmt, history_help);

	if (rc != 0)
		return rc < 0 ? CTL_EXIT_OK : rc;
	rc = fetch_history(c, &rows);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (fmt != CTL_FORMAT_TABLE) {
		rc = ctl_print_doc(fmt, rows);
		json_decref(rows);
		return rc;
	}
	if (ctl_table_init(&t, titles) != 0) {
		json_decref(rows);
		return CTL_EXIT_FAILED;
	}
	t.right_align[0] = 1;
	t.shrinkable[2] = 1;
	json_array_foreach(rows, i, row) {
		char cells[5][128];
		const char *p[5];
		for (size_t k = 0; k < 5; k++) {
			cell_text(json_array_get(row, k), cells[k], sizeof cells[k], k == 1);
			p[k] = cells[k];
		}
		if (ctl_table_add_row(&t, p) != 0)
			rc = CTL_EXIT_FAILED;
	}
	if (rc == CTL_EXIT_OK)
		ctl_table_print(&t, stdout, c->term_width, c->color);
	ctl_table_free(&t);
	json_decref(rows);
	return rc;
}

static const char version_help[] =
	"Usage: pgquorumctl version [-f table|json|yaml]\n"
	"\n"
	"Print pgquorumctl's version, then each member's agent version (GET /patroni\n"
	"on every member). Without any agent address only pgquorumctl's is printed.\n"
	"\n"
	"  -f, --format FMT   table (default), json or yaml\n"
	"  -h, --help         show this help\n";

int ctl_cmd_version(struct ctl_ctx *c, int argc, char **argv)
{
	enum ctl_format fmt = CTL_FORMAT_TABLE;
	struct ctl_cluster cl;
	json_t *doc, *agents;
	int rc = parse_read_opts(argc, argv, &fmt, version_help);

	if (rc != 0)
		return rc < 0 ? CTL_EXIT_OK : rc;
	doc = json_pack("{s:s}", "pgquorumctl", PACKAGE_VERSION);
	agents = json_object();
	if (doc == NULL || agents == NULL) {
		json_decref(doc);
		json_decref(agents);
		return CTL_EXIT_FAILED;
	}
	json_object_set_new(doc, "agents", agents);
	if (c->n_urls > 0) {
		rc = ctl_fetch_cluster(c, &cl);
		if (rc != CTL_EXIT_OK) {
			if (fmt == CTL_FORMAT_TABLE)
				printf("pgquorumctl %s\n", PACKAGE_VERSION);
			json_decref(doc);
			return rc;
		}
		for (size_t k = 0; k < cl.n_members; k++) {
			const struct ctl_member *m = &cl.members[k];
			struct ctl_reply r;
			char err[512], text[160];
			const char *v = NULL;

			if (m->api_base[0] == '\0') {
				snprintf(text, sizeof text, "unknown (no REST address)");
			} else if (ctl_request_at(c, m->api_base, "GET", "/patroni", NULL, &r, err,
						  sizeof err) != 0) {
				snprintf(text, sizeof text, "unreachable");
			} else {
				v = json_string_value(json_object_get(json_object_get(r.json, "pgquorum"),
								      "version"));
				if (v == NULL)
					v = json_string_value(json_object_get(
						json_object_get(r.json, "patroni"), "version"));
				if (v != NULL)
					snprintf(text, sizeof text, "%s", v);
				else if (ctl_endpoint_missing(&r))
					snprintf(text, sizeof text,
						 "unknown (this agent does not support GET /patroni yet)");
				else
					snprintf(text, sizeof text, "unknown (HTTP %ld)", r.code);
				ctl_reply_free(&r);
			}
			json_object_set_new(agents, m->name, json_string(text));
		}
		ctl_cluster_free(&cl);
	}
	if (fmt == CTL_FORMAT_TABLE) {
		const char *name;
		json_t *v;

		printf("pgquorumctl %s\n", PACKAGE_VERSION);
		json_object_foreach(agents, name, v)
			printf("%s: pgquorum %s\n", name, json_string_value(v));
		rc = CTL_EXIT_OK;
	} else {
		rc = ctl_print_doc(fmt, doc);
	}
	json_decref(doc);
	return rc;
}

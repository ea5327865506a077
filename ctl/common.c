/*
 * common.c — helpers every command uses: fetching the cluster view,
 * confirmation prompts (destructive commands refuse without a terminal),
 * printing a document as JSON or YAML, usage errors.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ctl_fetch_cluster(const struct ctl_ctx *c, struct ctl_cluster *out)
{
	struct ctl_reply r;
	char err[1024];

	if (ctl_request(c, "GET", "/cluster", NULL, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code == 200 && r.json == NULL) {
		fprintf(stderr, "pgquorumctl: GET /cluster: %s answered with something that is not "
				"JSON (is it a pgquorum agent?)\n", r.url);
		ctl_reply_free(&r);
		return CTL_EXIT_FAILED;
	}
	if (r.code != 200 || r.json == NULL) {
		int rc = ctl_fail("GET", "/cluster", &r);
		ctl_reply_free(&r);
		return rc;
	}
	if (ctl_cluster_parse(r.json, out, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: %s\n", err);
		ctl_reply_free(&r);
		return CTL_EXIT_FAILED;
	}
	ctl_reply_free(&r); /* the view holds its own reference */
	return CTL_EXIT_OK;
}

int ctl_confirm(const char *question, int force)
{
	char line[64];

	if (force)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"pgquorumctl: refusing: \"%s\" needs a confirmation, and standard input is not a "
			"terminal (use --force to proceed without asking)\n",
			question);
		return 0;
	}
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	if (strcmp(line, "y\n") == 0 || strcmp(line, "Y\n") == 0 || strcmp(line, "yes\n") == 0)
		return 1;
	fprintf(stderr, "aborted\n");
	return 0;
}

int ctl_print_doc(enum ctl_format fmt, const json_t *v)
{
	char err[256];

	if (fmt == CTL_FORMAT_YAML) {
		if (ctl_print_yaml(stdout, v, err, sizeof err) != 0) {
			fprintf(stderr, "pgquorumctl: %s\n", err);
			return CTL_EXIT_FAILED;
		}
		return CTL_EXIT_OK;
	}
	return ctl_print_json(stdout, v) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

int ctl_parse_format(const char *arg, enum ctl_format *out)
{
	if (ctl_format_parse(arg, out) != 0) {
		fprintf(stderr, "pgquorumctl: unknown format \"%s\" (table, json or yaml)\n", arg);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

int ctl_valid_member_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63)
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int ctl_usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "pgquorumctl %s: %s\n", cmd, msg);
	fprintf(stderr, "Try \"pgquorumctl %s --help\" for more information.\n", cmd);
	return CTL_EXIT_USAGE;
}

static int json_kind_ok(const json_t *v, int want_array)
{
	return want_array ? json_is_array(v) : json_is_object(v);
}

int ctl_fetch_or_cluster_field(const struct ctl_ctx *c, const char *path,
			       const char *field, int want_array, json_t **out,
			       int *from_cluster)
{
	struct ctl_reply r;
	char err[1024];
	json_t *v;
	int rc;

	*out = NULL;
	if (from_cluster != NULL)
		*from_cluster = 0;
	if (ctl_request(c, "GET", path, NULL, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code == 200 && json_kind_ok(r.json, want_array)) {
		*out = json_incref(r.json);
		ctl_reply_free(&r);
		return CTL_EXIT_OK;
	}
	if (!ctl_endpoint_missing(&r)) {
		rc = ctl_fail("GET", path, &r);
		ctl_reply_free(&r);
		return rc;
	}
	ctl_reply_free(&r);
	if (ctl_request(c, "GET", "/cluster", NULL, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	v = json_object_get(r.json, field);
	if (r.code != 200 || !json_kind_ok(v, want_array)) {
		rc = ctl_fail("GET", "/cluster", &r);
		ctl_reply_free(&r);
		return rc;
	}
	*out = json_incref(v);
	if (from_cluster != NULL)
		*from_cluster = 1;
	ctl_reply_free(&r);
	return CTL_EXIT_OK;
}

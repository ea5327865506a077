/*
 * cli_fence.c — `fence-confirm MEMBER`: the operator confirms that former
 * primary MEMBER is fenced (powered off, isolated) when the required fence
 * of the pending promotion keeps failing (SAFETY.md L8). Shows what the
 * record says is blocked, asks (unless --force), then POST /fence/confirm
 * {"member": MEMBER}; the agents check it against the record (S4).
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fence_confirm_help[] =
	"Usage: pgquorumctl fence-confirm MEMBER [--force]\n"
	"\n"
	"Confirm that MEMBER, a former primary, is fenced: powered off, or cut off\n"
	"from clients and replicas. With fencing.required: true a promotion waits\n"
	"until the fence hook succeeded; when the hook keeps failing (its STONITH\n"
	"device is unreachable...), the record shows why (\"Failover blocked:\" under\n"
	"\"pgquorumctl list\", failover_blocked in GET /cluster) and the failover\n"
	"stays blocked. After you made sure yourself that MEMBER cannot write any\n"
	"more, this command lets the waiting member promote (POST /fence/confirm\n"
	"{member}; SAFETY.md L8).\n"
	"The confirmation is for the blocked promotion only (its epoch): it is\n"
	"refused when MEMBER is not awaited, and it is kept in the record's history.\n"
	"\n"
	"WARNING: if MEMBER is in fact still running as a primary, confirming\n"
	"creates a second writable primary (split brain, lost transactions).\n"
	"\n"
	"  --force       do not ask for confirmation\n"
	"  -h, --help    show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal. Exit status: 0 recorded, 1 refused (nothing waits for\n"
	"that member's fence, or the record moved on), 2 usage, 3 unreachable.\n";

static int in_array(const json_t *a, const char *name)
{
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return 1;
	return 0;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

int ctl_cmd_fence_confirm(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int force = 0, opt, rc, known = 0;
	const char *member;
	struct ctl_cluster cl;
	const json_t *primary, *blocked;
	char question[512];
	struct ctl_reply r;
	char err[1024];
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'F': force = 1; break;
		case 'h':
			fputs(fence_confirm_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("fence-confirm", "unknown option");
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error("fence-confirm", "expects one MEMBER: the former primary to "
				       "confirm fenced");
	member = argv[optind];
	if (!ctl_valid_member_name(member))
		return ctl_usage_error("fence-confirm", "MEMBER must be a member name "
				       "([A-Za-z0-9_.-], 1-63 characters)");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	for (size_t i = 0; i < cl.n_members; i++)
		known |= strcmp(cl.members[i].name, member) == 0;
	if (!known) {
		fprintf(stderr, "pgquorumctl: %s is not a member of the cluster\n", member);
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	/* What the record says: who waits, why, for whom (the agent checks it again, S4). */
	primary = json_object_get(cl.doc, "primary");
	blocked = json_object_get(cl.doc, "failover_blocked");
	fprintf(stderr, "Primary being promoted: %s (epoch %lld, promoted: %s)\n",
		str_or(primary, "name", "(none)"),
		(long long)json_integer_value(json_object_get(primary, "epoch")),
		json_is_true(json_object_get(primary, "promoted")) ? "yes" : "no");
	fprintf(stderr, "Blocked because: %s\n",
		json_is_object(blocked) ? str_or(blocked, "waiting_for", "?") : "(nothing is blocked)");
	fprintf(stderr, "%s %s fencing.\n", member,
		in_array(json_object_get(cl.doc, "fence_pending"), member) ? "awaits"
									   : "does NOT await");
	fprintf(stderr, "Confirm only if %s is powered off or cut off from clients and replicas:\n"
			"if it still runs as a primary, two primaries will accept writes.\n",
		member);
	ctl_cluster_free(&cl);
	snprintf(question, sizeof question, "Confirm that %s is fenced?", member);
	if (!ctl_confirm(question, force))
		return CTL_EXIT_FAILED;
	body = json_pack("{s:s}", "member", member);
	if (body == NULL)
		return CTL_EXIT_FAILED;
	rc = ctl_request(c, "POST", "/fence/confirm", body, &r, err, sizeof err);
	json_decref(body);
	if (rc != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code == 200) {
		printf("fence-confirm: %s (follow it with \"pgquorumctl list\")\n",
		       ctl_reply_message(&r));
		rc = CTL_EXIT_OK;
	} else if ((r.code == 412 || r.code == 404) && !ctl_endpoint_missing(&r)) {
		fprintf(stderr, "pgquorumctl: fence-confirm refused: %s\n", ctl_reply_message(&r));
		rc = CTL_EXIT_FAILED;
	} else {
		rc = ctl_fail("POST", "/fence/confirm", &r);
	}
	ctl_reply_free(&r);
	return rc;
}

/*
 * cli_switchover.c — changing the primary: `switchover` (now or at a
 * scheduled time), `failover` (when the primary is unhealthy) and `flush`
 * (cancel a scheduled switchover or restart). The REST contract is
 * Patroni's: POST /switchover {leader, candidate, scheduled_at},
 * POST /failover {candidate}, DELETE /switchover, DELETE /restart.
 */
#include "ctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct ctl_member *find_member(const struct ctl_cluster *cl, const char *name)
{
	for (size_t i = 0; i < cl->n_members; i++)
		if (strcmp(cl->members[i].name, name) == 0)
			return &cl->members[i];
	return NULL;
}

/* Send an action and report its outcome (200 done, 202 scheduled). */
static int post_action(const struct ctl_ctx *c, const char *method, const char *path,
		       const json_t *body, const char *done)
{
	struct ctl_reply r;
	char err[1024];
	int rc = CTL_EXIT_OK;
	/* A switchover or failover now is answered once the new primary is promoted (the
	 * agent waits up to 100 s): give it that long, whatever --timeout. */
	struct ctl_ctx wait = *c;

	if (json_object_get(body, "scheduled_at") == NULL && wait.timeout_ms < 120000)
		wait.timeout_ms = 120000;
	if (ctl_request(&wait, method, path, body, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code == 200)
		printf("%s: %s\n", done, ctl_reply_message(&r));
	else if (r.code == 202)
		/* Accepted: the agents carry it out through the record. */
		printf("%s: %s (follow it with \"pgquorumctl list\")\n", done,
		       ctl_reply_message(&r));
	else
		rc = ctl_fail(method, path, &r);
	ctl_reply_free(&r);
	return rc;
}

static const char switchover_help[] =
	"Usage: pgquorumctl switchover [--leader NAME] [--candidate NAME]\n"
	"                              [--scheduled TIME] [--force]\n"
	"\n"
	"Hand the primary role over to a healthy standby: the primary stops\n"
	"cleanly, the candidate catches up to its last LSN and is promoted\n"
	"(SAFETY.md S13). Sends POST /switchover {leader, candidate, scheduled_at}.\n"
	"\n"
	"  --leader NAME      the current primary (checked; default: the recorded one)\n"
	"  --candidate NAME   the member to promote (default: the agents choose the\n"
	"                     most up-to-date eligible standby)\n"
	"  --scheduled TIME   do it later, at an ISO 8601 time with a zone, e.g.\n"
	"                     2026-11-27T23:00:00+01:00 or ...Z (no zone: local time);\n"
	"                     \"now\" is the same as leaving it out\n"
	"  --force            do not ask for confirmation\n"
	"  -h, --help         show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal. Cancel a scheduled switchover with \"flush switchover\".\n";

int ctl_cmd_switchover(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "leader", required_argument, NULL, 'l' },
		{ "master", required_argument, NULL, 'l' },
		{ "candidate", required_argument, NULL, 'C' },
		{ "scheduled", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *leader = NULL, *candidate = NULL, *scheduled = NULL;
	int force = 0, opt, rc;
	int64_t at_ms = 0;
	char err[256], at[64] = "", question[512];
	struct ctl_cluster cl;
	const struct ctl_member *p;
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': leader = optarg; break;
		case 'C': candidate = optarg; break;
		case 's': scheduled = optarg; break;
		case 'F': force = 1; break;
		case 'h':
			fputs(switchover_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("switchover", "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error("switchover", "takes no argument (use --candidate NAME)");
	if (scheduled != NULL && strcmp(scheduled, "now") != 0) {
		if (ctl_iso8601_parse(scheduled, &at_ms, err, sizeof err) != 0)
			return ctl_usage_error("switchover", err);
		if (at_ms <= (int64_t)time(NULL) * 1000)
			return ctl_usage_error("switchover", "--scheduled time is in the past");
		ctl_iso8601_format(at_ms, at, sizeof at);
	}
	if (leader != NULL && candidate != NULL && strcmp(leader, candidate) == 0)
		return ctl_usage_error("switchover", "--candidate must differ from --leader");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	p = ctl_cluster_primary(&cl);
	if (p == NULL) {
		fprintf(stderr, "pgquorumctl: the cluster has no primary to switch over from "
				"(use failover)\n");
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	if (leader != NULL && strcmp(leader, p->name) != 0) {
		fprintf(stderr, "pgquorumctl: %s is not the primary (%s is)\n", leader, p->name);
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	if (candidate != NULL && find_member(&cl, candidate) == NULL) {
		fprintf(stderr, "pgquorumctl: %s is not a member of the cluster\n", candidate);
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	if (candidate != NULL && strcmp(candidate, p->name) == 0) {
		fprintf(stderr, "pgquorumctl: %s is already the primary\n", candidate);
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	snprintf(question, sizeof question, "%s a switchover from %s to %s%s%s?",
		 at[0] != '\0' ? "Schedule" : "Perform", p->name,
		 candidate != NULL ? candidate : "the best standby", at[0] != '\0' ? " at " : " now",
		 at);
	body = json_pack("{s:s}", "leader", p->name);
	ctl_cluster_free(&cl);
	if (body == NULL)
		return CTL_EXIT_FAILED;
	if (candidate != NULL)
		json_object_set_new(body, "candidate", json_string(candidate));
	if (at[0] != '\0')
		json_object_set_new(body, "scheduled_at", json_string(at));
	if (!ctl_confirm(question, force)) {
		json_decref(body);
		return CTL_EXIT_FAILED;
	}
	rc = post_action(c, "POST", "/switchover", body,
			 at[0] != '\0' ? "switchover scheduled" : "switchover");
	json_decref(body);
	return rc;
}

static const char failover_help[] =
	"Usage: pgquorumctl failover --candidate NAME [--allow-data-loss] [--force]\n"
	"\n"
	"Name a new primary when the primary is unhealthy or gone (POST /failover\n"
	"{candidate}). It works without a healthy primary; the agents still check\n"
	"that the candidate has every committed transaction (SAFETY.md S8, S9).\n"
	"\n"
	"  --candidate NAME   the member to promote (asked for on a terminal)\n"
	"  --allow-data-loss  accept a candidate that may miss transactions (the\n"
	"                     S8/S9 checks are skipped: last resort)\n"
	"  --force            do not ask for confirmation\n"
	"  -h, --help         show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal.\n";

int ctl_cmd_failover(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "candidate", required_argument, NULL, 'C' },
		{ "allow-data-loss", no_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *candidate = NULL;
	int force = 0, data_loss = 0, opt, rc;
	char line[128], question[512];
	struct ctl_cluster cl;
	const struct ctl_member *p;
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': candidate = optarg; break;
		case 'D': data_loss = 1; break;
		case 'F': force = 1; break;
		case 'h':
			fputs(failover_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("failover", "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error("failover", "takes no argument (use --candidate NAME)");
	if (candidate == NULL && (force || !isatty(STDIN_FILENO)))
		return ctl_usage_error("failover", "--candidate NAME is required");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (candidate == NULL) {
		fprintf(stderr, "Candidate [");
		for (size_t i = 0; i < cl.n_members; i++)
			fprintf(stderr, "%s%s", i > 0 ? ", " : "", cl.members[i].name);
		fprintf(stderr, "]: ");
		if (fgets(line, sizeof line, stdin) == NULL) {
			ctl_cluster_free(&cl);
			return CTL_EXIT_FAILED;
		}
		line[strcspn(line, "\r\n")] = '\0';
		candidate = line;
	}
	if (find_member(&cl, candidate) == NULL) {
		fprintf(stderr, "pgquorumctl: %s is not a member of the cluster\n", candidate);
		ctl_cluster_free(&cl);
		return CTL_EXIT_FAILED;
	}
	p = ctl_cluster_primary(&cl);
	snprintf(question, sizeof question, "Fail over to %s%s%s%s?", candidate,
		 p != NULL ? " (the recorded primary is " : "", p != NULL ? p->name : "",
		 p != NULL ? ")" : "");
	if (data_loss)
		snprintf(question + strlen(question) - 1, sizeof question - strlen(question) + 1,
			 ", ACCEPTING DATA LOSS?");
	ctl_cluster_free(&cl);
	body = json_pack("{s:s}", "candidate", candidate);
	if (body == NULL)
		return CTL_EXIT_FAILED;
	if (data_loss)
		json_object_set_new(body, "allow_data_loss", json_true());
	if (!ctl_confirm(question, force)) {
		json_decref(body);
		return CTL_EXIT_FAILED;
	}
	rc = post_action(c, "POST", "/failover", body, "failover");
	json_decref(body);
	return rc;
}

static const char flush_help[] =
	"Usage: pgquorumctl flush switchover\n"
	"       pgquorumctl flush restart [MEMBER...]\n"
	"\n"
	"Cancel a scheduled action: the scheduled switchover (DELETE /switchover),\n"
	"or the scheduled restart of the given members, all members when none is\n"
	"named (DELETE /restart on each).\n"
	"\n"
	"  -h, --help   show this help\n";

int ctl_cmd_flush(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_cluster cl;
	int rc, failed = 0;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(flush_help, stdout);
		return CTL_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "switchover") == 0) {
		struct ctl_reply r;
		char err[1024];

		if (ctl_request(c, "DELETE", "/switchover", NULL, &r, err, sizeof err) != 0) {
			fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
			return CTL_EXIT_UNREACHABLE;
		}
		if (r.code == 200) {
			printf("scheduled switchover cancelled\n");
			rc = CTL_EXIT_OK;
		} else if (r.code == 404 && !ctl_endpoint_missing(&r)) {
			fprintf(stderr, "pgquorumctl: no switchover is scheduled (%s)\n",
				ctl_reply_message(&r));
			rc = CTL_EXIT_FAILED;
		} else {
			rc = ctl_fail("DELETE", "/switchover", &r);
		}
		ctl_reply_free(&r);
		return rc;
	}
	if (argc < 2 || strcmp(argv[1], "restart") != 0)
		return ctl_usage_error("flush", "expects \"switchover\" or \"restart [MEMBER...]\"");
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-')
			return ctl_usage_error("flush", "unknown option");
	rc = ctl_fetch_cluster(c, &cl);
	if (rc != CTL_EXIT_OK)
		return rc;
	for (int i = 2; i < argc; i++) {
		if (find_member(&cl, argv[i]) == NULL) {
			fprintf(stderr, "pgquorumctl: %s is not a member of the cluster\n", argv[i]);
			ctl_cluster_free(&cl);
			return CTL_EXIT_FAILED;
		}
	}
	for (size_t k = 0; k < cl.n_members; k++) {
		const struct ctl_member *m = &cl.members[k];
		struct ctl_reply r;
		char err[1024];
		int named = argc == 2;

		for (int i = 2; i < argc; i++)
			named |= strcmp(argv[i], m->name) == 0;
		if (!named)
			continue;
		if (m->api_base[0] == '\0' ||
		    ctl_request_at(c, m->api_base, "DELETE", "/restart", NULL, &r, err, sizeof err) != 0) {
			fprintf(stderr, "pgquorumctl: %s: unreachable\n", m->name);
			failed = 1;
			continue;
		}
		if (r.code == 200) {
			printf("%s: scheduled restart cancelled\n", m->name);
		} else if (r.code == 404 && !ctl_endpoint_missing(&r)) {
			printf("%s: no restart scheduled\n", m->name);
		} else {
			ctl_fail_at(m->name, "DELETE", "/restart", &r);
			failed = 1;
		}
		ctl_reply_free(&r);
	}
	ctl_cluster_free(&cl);
	return failed ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

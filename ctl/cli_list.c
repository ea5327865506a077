/*
 * cli_list.c — `pgquorumctl list`: one line per member of the cluster
 * record (name, Raft role, reported state, age of the last report).
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_cmd_list(struct ctl_ctx *c, int argc, char **argv)
{
	json_t *cluster = NULL, *status = NULL, *members, *m;
	const char *leader;
	long code = 0;
	char err[512];
	size_t i;

	if (argc != 1) {
		fprintf(stderr, "pgquorumctl: list takes no argument\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_request(c, "GET", "/cluster", NULL, &code, &cluster, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (code != 200 || !json_is_object(cluster)) {
		fprintf(stderr, "pgquorumctl: GET /cluster failed (HTTP %ld): %s\n", code,
			ctl_reply_error(cluster));
		json_decref(cluster);
		return CTL_EXIT_FAILED;
	}
	/* Who leads Raft: any agent's /status says (best effort). */
	if (ctl_request(c, "GET", "/status", NULL, &code, &status, err, sizeof err) != 0 || code != 200) {
		json_decref(status);
		status = NULL;
	}
	leader = json_string_value(json_object_get(status, "leader"));

	printf("Cluster: %s (%s)\n", json_string_value(json_object_get(cluster, "scope")),
	       json_string_value(json_object_get(cluster, "cluster_id")));
	printf("%-20s %-10s %-14s %s\n", "MEMBER", "RAFT ROLE", "STATE", "LAST REPORT");
	members = json_object_get(cluster, "members");
	json_array_foreach(members, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		json_t *st = json_object_get(m, "status");
		const char *role = json_is_true(json_object_get(m, "voter")) ? "voter" : "learner";
		const char *state = json_string_value(json_object_get(st, "state"));
		char when[48] = "never";

		if (name == NULL)
			continue;
		if (leader != NULL && strcmp(leader, name) == 0)
			role = "leader";
		if (json_is_true(json_object_get(st, "reported"))) {
			long long at = (long long)json_integer_value(json_object_get(st, "reported_at_ms"));
			snprintf(when, sizeof when, "%.1f s ago", (double)(wall_ms() - at) / 1000.0);
		}
		printf("%-20s %-10s %-14s %s\n", name, role,
		       state != NULL && state[0] != '\0' ? state : "-", when);
	}
	json_decref(status);
	json_decref(cluster);
	return CTL_EXIT_OK;
}

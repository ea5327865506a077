/*
 * ctl_mock_agent.c — a stand-in agent speaking Patroni's REST shapes, for
 * ctl_patroni.sh: pgquorumctl's actions need a cluster with a primary,
 * which agents without PostgreSQL management never have. It serves a
 * three-member cluster (a primary, b sync standby, c replica) whose
 * api_url points back at itself with Patroni's "/patroni" suffix, keeps
 * pause and a scheduled switchover, and appends every write it receives
 * ("METHOD PATH BODY") to a log the test reads.
 *
 * Usage: ctl_mock_agent PORT LOGFILE   (runs until SIGTERM)
 */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int port;
static FILE *write_log;
static int paused;
static char scheduled[128];

struct upload {
	char *data;
	size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(doc);
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static json_t *cluster_doc(void)
{
	char api[64];
	json_t *doc;

	snprintf(api, sizeof api, "http://127.0.0.1:%d/patroni", port);
	doc = json_pack("{s:s,s:b,s:[{s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:{s:s}},"
			"{s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:i,s:b},"
			"{s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:i}]}",
			"scope", "mock", "pause", paused, "members",
			"name", "a", "role", "leader", "state", "running", "host", "127.0.0.1",
			"port", 5433, "api_url", api, "timeline", 3, "tags", "zone", "x",
			"name", "b", "role", "sync_standby", "state", "streaming", "host", "127.0.0.1",
			"port", 5434, "api_url", api, "timeline", 3, "lag", 0, "pending_restart", 1,
			"name", "c", "role", "replica", "state", "streaming", "host", "127.0.0.1",
			"port", 5435, "api_url", api, "timeline", 3, "lag", 5242880);
	if (scheduled[0] != '\0')
		json_object_set_new(doc, "scheduled_switchover",
				    json_pack("{s:s,s:s,s:s}", "at", scheduled, "from", "a", "to", "b"));
	return doc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **ctx)
{
	struct upload *up = *ctx;
	json_t *body;
	enum MHD_Result ret;
	int get = strcmp(method, "GET") == 0;

	(void)cls;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof *up);
		*ctx = up;
		return up != NULL ? MHD_YES : MHD_NO;
	}
	if (*data_size > 0) {
		char *grown = realloc(up->data, up->len + *data_size + 1);
		if (grown == NULL || up->len + *data_size > 65536)
			return MHD_NO;
		memcpy(grown + up->len, data, *data_size);
		up->data = grown;
		up->len += *data_size;
		up->data[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&lock);
	if (!get) {
		fprintf(write_log, "%s %s %s\n", method, url, up->data != NULL ? up->data : "");
		fflush(write_log);
	}
	body = up->data != NULL ? json_loads(up->data, 0, NULL) : NULL;
	if (get && strcmp(url, "/cluster") == 0)
		ret = reply(conn, 200, cluster_doc());
	else if (get && strcmp(url, "/config") == 0)
		ret = reply(conn, 200, json_pack("{s:i,s:i,s:{s:{s:s}}}", "ttl", 30, "loop_wait", 10,
						 "postgresql", "parameters", "work_mem", "4MB"));
	else if (get && strcmp(url, "/history") == 0)
		ret = reply(conn, 200, json_pack("[[i,i,s,s,s]]", 1, 25165984, "switchover",
						 "2026-11-27T10:00:00+00:00", "a"));
	else if (get && strcmp(url, "/patroni") == 0)
		ret = reply(conn, 200, json_pack("{s:{s:s}}", "pgquorum", "version", "9.9.9"));
	else if (strcmp(method, "PATCH") == 0 && strcmp(url, "/config") == 0) {
		json_t *p = json_object_get(body, "pause");
		if (json_is_boolean(p))
			paused = json_is_true(p);
		ret = reply(conn, 200, json_pack("{s:i}", "ttl", 30));
	} else if (strcmp(method, "POST") == 0 && strcmp(url, "/switchover") == 0) {
		const char *at = json_string_value(json_object_get(body, "scheduled_at"));
		if (at != NULL) {
			snprintf(scheduled, sizeof scheduled, "%s", at);
			ret = reply(conn, 202, json_pack("{s:s}", "message", "switchover scheduled"));
		} else {
			ret = reply(conn, 200, json_pack("{s:s}", "message", "switched over"));
		}
	} else if (strcmp(method, "DELETE") == 0 && strcmp(url, "/switchover") == 0) {
		if (scheduled[0] != '\0') {
			scheduled[0] = '\0';
			ret = reply(conn, 200, json_pack("{s:s}", "message", "scheduled switchover deleted"));
		} else {
			ret = reply(conn, 404, json_pack("{s:s}", "error", "no switchover is scheduled"));
		}
	} else if (strcmp(method, "POST") == 0 && strcmp(url, "/failover") == 0) {
		ret = reply(conn, 412, json_pack("{s:s}", "error", "candidate is lagging"));
	} else if (strcmp(method, "POST") == 0 &&
		   (strcmp(url, "/restart") == 0 || strcmp(url, "/reload") == 0 ||
		    strcmp(url, "/reinitialize") == 0)) {
		ret = reply(conn, strcmp(url, "/reload") == 0 ? 202 : 200,
			    json_pack("{s:s}", "message", "done"));
	} else if (strcmp(method, "DELETE") == 0 && strcmp(url, "/restart") == 0) {
		ret = reply(conn, 404, json_pack("{s:s}", "error", "no restarts are scheduled"));
	} else {
		ret = reply(conn, 404, json_pack("{s:s}", "error", "no such endpoint"));
	}
	pthread_mutex_unlock(&lock);
	json_decref(body);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *ctx;

	(void)cls;
	(void)conn;
	(void)toe;
	if (up != NULL) {
		free(up->data);
		free(up);
	}
	*ctx = NULL;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	sigset_t set;
	int sig;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: ctl_mock_agent PORT LOGFILE\n");
		return 2;
	}
	write_log = fopen(argv[2], "a");
	if (write_log == NULL)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handle,
			     NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "ctl_mock_agent: cannot listen on %d\n", port);
		fclose(write_log);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	fclose(write_log);
	return 0;
}

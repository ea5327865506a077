/*
 * status.c — what the agent shows and reports about itself.
 *
 * rt_publish() renders the JSON the REST threads serve (GET /cluster from
 * the record module, GET /raft and /status from the node) and hands copies
 * to the REST server: the HTTP threads never touch live state.
 *
 * rt_report() runs every loop_wait: the leader proposes a member_report
 * for itself; a follower sends its report to the leader's REST API
 * (POST /report) from a libuv thread-pool worker, one at a time, bounded by
 * a 2 s timeout, so the loop never waits for the network. With
 * postgresql.manage off a report carries the agent's state only.
 */
#include "log.h"
#include "runtime/ha_driver.h"
#include "runtime/ids.h"
#include "runtime/runtime_internal.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

char *rt_leader_api_url(const struct pgq_runtime *rt)
{
	raft_id_t leader;
	const char *name;
	const struct pgq_member *m;

	if (rt->node == NULL)
		return NULL;
	leader = raft_leader(pgq_node_raft(rt->node));
	if (leader == RAFT_NONE)
		return NULL;
	name = rt_peer_name(rt, leader);
	if (name == NULL)
		return NULL;
	m = pgq_record_member_by_name(rt->record, name);
	if (m != NULL && m->api_url[0] != '\0')
		return strdup(m->api_url);
	for (size_t i = 0; i < rt->cfg->raft.n_peers; i++) {
		const struct pgq_config_peer *p = &rt->cfg->raft.peers[i];
		char buf[300];
		if (strcmp(p->name, name) != 0 || p->restapi.text == NULL)
			continue;
		snprintf(buf, sizeof buf, "http://%s", p->restapi.text);
		return strdup(buf);
	}
	return NULL;
}

static const char *phase_name(enum runtime_phase p)
{
	return p == PHASE_PROBING ? "probing" : p == PHASE_RUNNING ? "running" : "stopping";
}

static json_t *status_json(const struct pgq_runtime *rt)
{
	json_t *o = json_object();
	json_t *members = json_array();

	json_object_set_new(o, "name", json_string(rt->cfg->name));
	json_object_set_new(o, "scope", json_string(rt->cfg->scope));
	json_object_set_new(o, "id", json_integer((json_int_t)rt->self_id));
	json_object_set_new(o, "phase", json_string(phase_name(rt->phase)));
	json_object_set_new(o, "cluster_id", json_string(rt->cluster_id));
	if (rt->node != NULL) {
		const struct raft_node *n = pgq_node_raft(rt->node);
		const struct raft_config *c = raft_config(n);
		const char *leader = raft_leader(n) != RAFT_NONE ? rt_peer_name(rt, raft_leader(n)) : NULL;
		struct pgq_node_stats st;

		pgq_node_stats(rt->node, &st);
		json_object_set_new(o, "role", json_string(raft_role_name(raft_role(n))));
		json_object_set_new(o, "term", json_integer((json_int_t)raft_term(n)));
		json_object_set_new(o, "leader", leader != NULL ? json_string(leader) : json_null());
		json_object_set_new(o, "leader_id", json_integer((json_int_t)raft_leader(n)));
		json_object_set_new(o, "commit", json_integer((json_int_t)raft_commit_index(n)));
		json_object_set_new(o, "applied", json_integer((json_int_t)raft_applied_index(n)));
		json_object_set_new(o, "last_index", json_integer((json_int_t)raft_last_index(n)));
		json_object_set_new(o, "first_index", json_integer((json_int_t)raft_first_index(n)));
		for (uint32_t i = 0; i < c->n; i++) {
			const char *nm = rt_peer_name(rt, c->members[i].id);
			json_array_append_new(members,
					      json_pack("{s:s?,s:I,s:s}", "name", nm, "id",
							(json_int_t)c->members[i].id, "raft_role",
							c->members[i].voter ? "voter" : "learner"));
		}
		json_object_set_new(o, "persists", json_integer((json_int_t)st.persists));
		json_object_set_new(o, "persist_us_last", json_integer((json_int_t)st.persist_us_last));
		json_object_set_new(o, "persist_us_max", json_integer((json_int_t)st.persist_us_max));
	} else {
		json_object_set_new(o, "role", json_string("none"));
	}
	json_object_set_new(o, "members", members);
	return o;
}

void rt_publish(struct pgq_runtime *rt)
{
	json_t *s, *c;
	char *text;

	if (rt->rest == NULL)
		return;
	rt->view_dirty = false;
	s = status_json(rt);
	text = json_dumps(s, JSON_COMPACT);
	pgq_rest_publish_status(rt->rest, text);
	free(text);
	json_decref(s);
	rt_ha_publish_view(rt);
	if (rt->record_dirty && pgq_record_bootstrapped(rt->record)) {
		rt->record_dirty = false;
		c = pgq_record_to_json(rt->record);
		text = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
		pgq_rest_publish_cluster(rt->rest, text);
		free(text);
		json_decref(c);
	}
}

/* ---- follower -> leader report forwarding (thread pool) ------------------ */

struct report_job {
	uv_work_t work;
	struct pgq_runtime *rt;
	char *host;
	char *port;
	char *body;
	char *auth;          /* "Basic ..." header value, or NULL */
	const char *path;    /* "/report" or "/propose" */
	bool forward;        /* an HA command (counted in forwards_inflight) */
	bool rest;           /* a REST write (counted in rest_forwards_inflight) */
	uint64_t rest_key;   /* rt_entry_key() of it: the waiting call */
	unsigned rest_attempt; /* 1 for the first forward */
	int status;          /* HTTP status, or -1 */
};

/* "Basic base64(user:password)" for the leader's write authentication. */
static char *basic_auth(const char *user, const char *password)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(user) + 1 + strlen(password), o = 0;
	char *plain = malloc(n + 1), *out = malloc(6 + 4 * ((n + 2) / 3) + 1);

	if (plain == NULL || out == NULL) {
		free(plain);
		free(out);
		return NULL;
	}
	snprintf(plain, n + 1, "%s:%s", user, password);
	memcpy(out, "Basic ", 6);
	o = 6;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	free(plain);
	return out;
}

/* Parse "http://HOST:PORT[/...]" (IPv4 or a name); false when not so. */
static bool split_url(const char *url, char **host, char **port)
{
	const char *p, *colon, *end;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	p = url + 7;
	end = p + strcspn(p, "/");
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon == NULL || colon == p || colon + 1 >= end)
		return false;
	*host = strndup(p, (size_t)(colon - p));
	*port = strndup(colon + 1, (size_t)(end - colon - 1));
	return *host != NULL && *port != NULL;
}

static void report_run(uv_work_t *w)
{
	struct report_job *j = w->data;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct timeval tv = { .tv_sec = 2 };
	char req[8192], resp[64];
	int fd = -1, n;

	j->status = -1;
	if (getaddrinfo(j->host, j->port, &hints, &ai) != 0 || ai == NULL)
		return;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto out;
	n = snprintf(req, sizeof req,
		     "POST %s HTTP/1.0\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
		     "%s%s%sContent-Length: %zu\r\n\r\n%s", j->path, j->host, j->port,
		     j->auth != NULL ? "Authorization: " : "", j->auth != NULL ? j->auth : "",
		     j->auth != NULL ? "\r\n" : "", strlen(j->body), j->body);
	if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n)
		goto out;
	n = (int)read(fd, resp, sizeof resp - 1);
	if (n > 12) {
		resp[n] = '\0';
		j->status = atoi(resp + 9); /* "HTTP/1.x NNN" */ /* banned-ok: bounded, checked prefix */
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
}

static void report_done(uv_work_t *w, int status)
{
	struct report_job *j = w->data;

	if (j->rest)
		j->rt->rest_forwards_inflight--;
	else if (j->forward)
		j->rt->forwards_inflight--;
	else
		j->rt->report_inflight = 0;
	if (status == 0 && j->status != 202)
		pgq_debug("agent", "POST %s to the leader not accepted (HTTP %d)", j->path, j->status);
	if (j->rest && (status != 0 || j->status != 202))
		rt_api_forward_failed(j->rt, j->rest_key, status != 0 ? -1 : j->status,
				      (const uint8_t *)j->body, j->body != NULL ? strlen(j->body) : 0,
				      j->rest_attempt);
	free(j->host);
	free(j->port);
	free(j->body);
	free(j->auth);
	free(j);
}

void rt_report(struct pgq_runtime *rt)
{
	const struct raft_node *n = pgq_node_raft(rt->node);
	uint64_t now = rt_wall_ms();
	struct report_job *j;
	char *url;
	json_t *body;

	/* With postgresql.manage on, the HA decisions send the reports (ha_driver.c). */
	if (rt->ha != NULL || !pgq_record_bootstrapped(rt->record) ||
	    pgq_record_member_by_name(rt->record, rt->cfg->name) == NULL)
		return;
	if (raft_role(n) == RAFT_LEADER) {
		struct cmd c = { 0 };
		rt_propose_cmd(rt, cmd_build_member_report(rt->cfg->name, "running", now, &c), &c);
		return;
	}
	if (rt->report_inflight != 0 || (url = rt_leader_api_url(rt)) == NULL)
		return;
	j = calloc(1, sizeof *j);
	if (j == NULL) {
		free(url);
		return;
	}
	j->rt = rt;
	j->path = "/report";
	if (!split_url(url, &j->host, &j->port)) {
		free(url);
		report_done(&j->work, -1);
		return;
	}
	free(url);
	body = json_pack("{s:s,s:s,s:I}", "member", rt->cfg->name, "state", "running", "time_ms",
			 (json_int_t)now);
	j->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	/* The cluster's members share restapi.authentication (docs/agent.md). */
	if (rt->cfg->restapi.authentication.username != NULL &&
	    rt->cfg->restapi.authentication.password != NULL)
		j->auth = basic_auth(rt->cfg->restapi.authentication.username,
				     rt->cfg->restapi.authentication.password);
	j->rt = rt;
	j->work.data = j;
	if (j->body == NULL || uv_queue_work(&rt->loop, &j->work, report_run, report_done) != 0) {
		report_done(&j->work, -1);
		return;
	}
	rt->report_inflight = 1;
}

/*
 * An HA command (lease renewal, report, promoted{}, ...) from a follower:
 * POSTed to the leader's /propose from the thread pool, at most 3 at a
 * time; a lost one is simply resent by the next decision (the record
 * re-checks every command at apply, S4).
 */
void rt_forward_command(struct pgq_runtime *rt, const uint8_t *data, size_t len)
{
	struct report_job *j;
	char *url;

	if (rt->forwards_inflight >= 3 || len > 6000 || (url = rt_leader_api_url(rt)) == NULL)
		return;
	j = calloc(1, sizeof *j);
	if (j == NULL) {
		free(url);
		return;
	}
	j->rt = rt;
	j->path = "/propose";
	j->forward = true;
	rt->forwards_inflight++;
	if (!split_url(url, &j->host, &j->port) || (j->body = strndup((const char *)data, len)) == NULL) {
		free(url);
		report_done(&j->work, -1);
		return;
	}
	free(url);
	if (rt->cfg->restapi.authentication.username != NULL &&
	    rt->cfg->restapi.authentication.password != NULL)
		j->auth = basic_auth(rt->cfg->restapi.authentication.username,
				     rt->cfg->restapi.authentication.password);
	j->work.data = j;
	if (uv_queue_work(&rt->loop, &j->work, report_run, report_done) != 0)
		report_done(&j->work, -1);
}

/*
 * A REST write a follower accepted (api_config.c): its record command goes
 * to the leader's POST /propose like an HA command, but counted apart so
 * operator traffic never delays a lease renewal (S1, S2); the caller waits
 * for the entry to apply on this member. 0 when queued (a failure then
 * comes back through rt_api_forward_failed), -1 when it cannot be sent (no
 * leader known, too many in flight, too large): the caller redirects.
 */
int rt_forward_rest_command(struct pgq_runtime *rt, const uint8_t *data, size_t len, uint64_t key,
			    unsigned attempt)
{
	struct report_job *j;
	char *url;

	if (rt->rest_forwards_inflight >= 4 || len > 6000 || (url = rt_leader_api_url(rt)) == NULL)
		return -1;
	j = calloc(1, sizeof *j);
	if (j == NULL) {
		free(url);
		return -1;
	}
	j->rt = rt;
	j->path = "/propose";
	if (!split_url(url, &j->host, &j->port) || (j->body = strndup((const char *)data, len)) == NULL) {
		free(url);
		free(j->host);
		free(j->port);
		free(j);
		return -1;
	}
	free(url);
	if (rt->cfg->restapi.authentication.username != NULL &&
	    rt->cfg->restapi.authentication.password != NULL)
		j->auth = basic_auth(rt->cfg->restapi.authentication.username,
				     rt->cfg->restapi.authentication.password);
	j->work.data = j;
	if (uv_queue_work(&rt->loop, &j->work, report_run, report_done) != 0) {
		free(j->host);
		free(j->port);
		free(j->body);
		free(j->auth);
		free(j);
		return -1;
	}
	/* Counted only once queued: report_done then fails the call (by key) if needed. */
	j->rest = true;
	j->rest_key = key;
	j->rest_attempt = attempt;
	rt->rest_forwards_inflight++;
	return 0;
}

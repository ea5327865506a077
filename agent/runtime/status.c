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

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		snprintf(buf, sizeof buf, "%s://%s", rt->cfg->restapi.certfile != NULL ? "https" : "http",
			 p->restapi.text);
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
	rt_metrics_publish(rt);
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

/*
 * One POST to the leader's REST API, run by a libuv thread-pool worker with
 * libcurl (plain HTTP or HTTPS, as the leader's api_url says). Everything
 * the worker reads is copied into the job: the loop may reload the
 * configuration meanwhile.
 */
struct report_job {
	uv_work_t work;
	struct pgq_runtime *rt;
	char *url;           /* api_url + path */
	char *body;
	char *userpwd;       /* "user:password" for basic auth, or NULL */
	char *cafile;        /* restapi.cafile: verifies the leader's certificate; NULL: system CAs */
	char *certfile;      /* our client certificate when restapi.verify_client asks for one */
	char *keyfile;
	char *keyfile_password;
	const char *path;    /* "/report" or "/propose" */
	bool forward;        /* an HA command (counted in forwards_inflight) */
	bool rest;           /* a REST write (counted in rest_forwards_inflight) */
	uint64_t rest_key;   /* rt_entry_key() of it: the waiting call */
	unsigned rest_attempt; /* 1 for the first forward */
	long status;         /* HTTP status, or -1 */
};

static char *dup_opt(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void job_free(struct report_job *j)
{
	free(j->url);
	free(j->body);
	free(j->userpwd);
	free(j->cafile);
	free(j->certfile);
	free(j->keyfile);
	free(j->keyfile_password);
	free(j);
}

/* Credentials and TLS material of this agent's restapi section, shared by the cluster (docs/agent.md). */
static int job_prepare(struct report_job *j, const struct pgq_runtime *rt, const char *api_url)
{
	const struct pgq_config_restapi *api = &rt->cfg->restapi;
	size_t n = strlen(api_url) + strlen(j->path) + 1;

	j->url = malloc(n);
	if (j->url == NULL)
		return -1;
	snprintf(j->url, n, "%s%s", api_url, j->path);
	if (api->authentication.username != NULL && api->authentication.password != NULL) {
		n = strlen(api->authentication.username) + strlen(api->authentication.password) + 2;
		j->userpwd = malloc(n);
		if (j->userpwd == NULL)
			return -1;
		snprintf(j->userpwd, n, "%s:%s", api->authentication.username,
			 api->authentication.password);
	}
	j->cafile = dup_opt(api->cafile);
	if (api->verify_client != PGQ_VERIFY_CLIENT_NONE) {
		j->certfile = dup_opt(api->certfile);
		j->keyfile = dup_opt(api->keyfile);
		j->keyfile_password = dup_opt(api->keyfile_password);
	}
	return 0;
}

static size_t discard_reply(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static void report_run(uv_work_t *w)
{
	struct report_job *j = w->data;
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();

	j->status = -1;
	if (curl == NULL)
		return;
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, j->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_reply);
	if (j->userpwd != NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERPWD, j->userpwd);
	}
	if (j->cafile != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, j->cafile);
	if (j->certfile != NULL && j->keyfile != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, j->certfile);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, j->keyfile);
		if (j->keyfile_password != NULL)
			curl_easy_setopt(curl, CURLOPT_KEYPASSWD, j->keyfile_password);
	}
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &j->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
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
		pgq_debug("agent", "POST %s to the leader not accepted (HTTP %ld)", j->path, j->status);
	if (j->rest && (status != 0 || j->status != 202))
		rt_api_forward_failed(j->rt, j->rest_key, status != 0 ? -1 : (int)j->status,
				      (const uint8_t *)j->body, j->body != NULL ? strlen(j->body) : 0,
				      j->rest_attempt);
	job_free(j);
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
	rt->report_inflight = 1;
	if (job_prepare(j, rt, url) != 0) {
		free(url);
		report_done(&j->work, -1);
		return;
	}
	free(url);
	body = json_pack("{s:s,s:s,s:I}", "member", rt->cfg->name, "state", "running", "time_ms",
			 (json_int_t)now);
	j->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	j->work.data = j;
	if (j->body == NULL || uv_queue_work(&rt->loop, &j->work, report_run, report_done) != 0)
		report_done(&j->work, -1);
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
	if (job_prepare(j, rt, url) != 0 || (j->body = strndup((const char *)data, len)) == NULL) {
		free(url);
		report_done(&j->work, -1);
		return;
	}
	free(url);
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
	if (job_prepare(j, rt, url) != 0 || (j->body = strndup((const char *)data, len)) == NULL) {
		free(url);
		job_free(j);
		return -1;
	}
	free(url);
	j->work.data = j;
	if (uv_queue_work(&rt->loop, &j->work, report_run, report_done) != 0) {
		job_free(j);
		return -1;
	}
	/* Counted only once queued: report_done then fails the call (by key) if needed. */
	j->rest = true;
	j->rest_key = key;
	j->rest_attempt = attempt;
	rt->rest_forwards_inflight++;
	return 0;
}

/*
 * cluster_view.c — GET /cluster in either shape → struct ctl_cluster, and
 * the libpq URI built from it. Every field read is type-checked: the
 * document comes from the network.
 */
#include "cluster_view.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : dflt;
}

static int64_t int_or(const json_t *obj, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

const char *ctl_role_title(enum ctl_role r)
{
	switch (r) {
	case CTL_ROLE_PRIMARY: return "Primary";
	case CTL_ROLE_SYNC_STANDBY: return "Sync Standby";
	case CTL_ROLE_QUORUM_STANDBY: return "Quorum Standby";
	case CTL_ROLE_REPLICA: return "Replica";
	default: return "Unknown";
	}
}

const char *ctl_role_name(enum ctl_role r)
{
	switch (r) {
	case CTL_ROLE_PRIMARY: return "primary";
	case CTL_ROLE_SYNC_STANDBY: return "sync_standby";
	case CTL_ROLE_QUORUM_STANDBY: return "quorum_standby";
	case CTL_ROLE_REPLICA: return "replica";
	default: return "unknown";
	}
}

int ctl_split_hostport(const char *text, int default_port, char *host, size_t hostlen, int *port)
{
	const char *colon, *end;
	size_t n;

	*port = default_port;
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - text - 1);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, text + 1, n);
		host[n] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(text, ':');
		if (colon != NULL && strchr(text, ':') != colon) /* bare IPv6 */
			colon = NULL;
		n = colon != NULL ? (size_t)(colon - text) : strlen(text);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, text, n);
		host[n] = '\0';
	}
	if (colon != NULL) {
		char *e;
		long p = strtol(colon + 1, &e, 10);
		if (*e != '\0' || p < 1 || p > 65535)
			return -1;
		*port = (int)p;
	}
	return 0;
}

/* Host of "scheme://host:port/…" into host. */
static void host_of_url(const char *url, char *host, size_t hostlen)
{
	const char *p = strstr(url, "://");
	char hp[300];
	size_t n;
	int port;

	host[0] = '\0';
	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/");
	if (n == 0 || n >= sizeof hp)
		return;
	memcpy(hp, p, n);
	hp[n] = '\0';
	if (ctl_split_hostport(hp, 0, host, hostlen, &port) != 0)
		host[0] = '\0';
}

/* "scheme://host:port" of a URL (path dropped), "" when not a URL. */
static void api_base_of(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://");
	size_t n;

	out[0] = '\0';
	if (p == NULL || p == url)
		return;
	n = (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
	if (n >= outlen || n == (size_t)(p + 3 - url))
		return;
	memcpy(out, url, n);
	out[n] = '\0';
}

static void tag_append(char *buf, size_t len, const char *key, const json_t *v)
{
	size_t used = strlen(buf);
	char val[128];

	if (json_is_string(v))
		snprintf(val, sizeof val, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(val, sizeof val, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(val, sizeof val, "%s", json_is_true(v) ? "true" : "false");
	else
		return;
	snprintf(buf + used, len - used, "%s%s: %s", used > 0 ? ", " : "", key, val);
}

/* pgquorum record member (docs/record.md). */
static void from_record(const json_t *doc, const json_t *m, struct ctl_member *out)
{
	const json_t *st = json_object_get(m, "status");
	const json_t *tags = json_object_get(m, "tags");
	const json_t *primary = json_object_get(doc, "primary");
	const json_t *sync = json_object_get(doc, "sync");
	const char *mode = str_or(json_object_get(doc, "config"), "synchronous_mode", "off");
	const char *reported_role = str_or(st, "role", "unknown");
	const char *pg = str_or(m, "pg_address", "");
	const json_t *v;
	const char *key;
	size_t i;

	out->voter = json_is_boolean(json_object_get(m, "voter")) ?
		json_is_true(json_object_get(m, "voter")) : -1;
	if (pg[0] != '\0' && ctl_split_hostport(pg, 5432, out->host, sizeof out->host, &out->port) != 0)
		out->host[0] = '\0';
	if (out->host[0] == '\0') {
		host_of_url(out->api_url, out->host, sizeof out->host);
		out->port = 0;
	}
	out->reports_known = 1;
	if (json_is_true(json_object_get(st, "reported"))) {
		out->state = str_or(st, "state", "");
		out->timeline = int_or(st, "timeline", 0);
		out->pending_restart = json_is_true(json_object_get(st, "pending_restart"));
		out->reported_at_ms = int_or(st, "reported_at_ms", -1);
	}
	if (strcmp(str_or(primary, "name", ""), out->name) == 0 &&
	    strcmp(str_or(primary, "state", "none"), "none") != 0) {
		out->role = CTL_ROLE_PRIMARY;
	} else {
		/* k_rec = 0: nobody holds acknowledged commits for sure (S7). */
		json_array_foreach(json_object_get(sync, "members"), i, v) {
			if (int_or(sync, "k", 1) > 0 && json_is_string(v) && strcmp(json_string_value(v), out->name) == 0)
				out->role = strcmp(mode, "quorum") == 0 ? CTL_ROLE_QUORUM_STANDBY
									 : CTL_ROLE_SYNC_STANDBY;
		}
		if (out->role == CTL_ROLE_UNKNOWN && strcmp(reported_role, "replica") == 0)
			out->role = CTL_ROLE_REPLICA;
		if (out->role != CTL_ROLE_UNKNOWN)
			out->lag_bytes = int_or(st, "lag_bytes", -1);
	}
	json_object_foreach((json_t *)tags, key, v) {
		if (strcmp(key, "custom") == 0) {
			const char *ck;
			json_t *cv;
			json_object_foreach((json_t *)v, ck, cv)
				tag_append(out->tags, sizeof out->tags, ck, cv);
		} else if (strcmp(key, "failover_priority") == 0) {
			if (json_is_integer(v) && json_integer_value(v) != 1)
				tag_append(out->tags, sizeof out->tags, key, v);
		} else if (json_is_true(v)) {
			tag_append(out->tags, sizeof out->tags, key, v);
		}
	}
}

/* Patroni-shaped member of GET /cluster. */
static void from_patroni(const json_t *m, struct ctl_member *out)
{
	const char *role = str_or(m, "role", "");
	const json_t *lag = json_object_get(m, "lag");
	const json_t *v;
	const char *key;

	snprintf(out->host, sizeof out->host, "%s", str_or(m, "host", ""));
	out->port = (int)int_or(m, "port", 0);
	if (out->host[0] == '\0')
		host_of_url(out->api_url, out->host, sizeof out->host);
	out->state = str_or(m, "state", "");
	out->timeline = int_or(m, "timeline", 0);
	out->pending_restart = json_is_true(json_object_get(m, "pending_restart"));
	if (strcmp(role, "leader") == 0 || strcmp(role, "primary") == 0 ||
	    strcmp(role, "master") == 0 || strcmp(role, "standby_leader") == 0)
		out->role = CTL_ROLE_PRIMARY;
	else if (strcmp(role, "sync_standby") == 0)
		out->role = CTL_ROLE_SYNC_STANDBY;
	else if (strcmp(role, "quorum_standby") == 0)
		out->role = CTL_ROLE_QUORUM_STANDBY;
	else if (strcmp(role, "replica") == 0)
		out->role = CTL_ROLE_REPLICA;
	if (out->role != CTL_ROLE_PRIMARY && json_is_integer(lag))
		out->lag_bytes = (int64_t)json_integer_value(lag);
	out->scheduled_restart = str_or(json_object_get(m, "scheduled_restart"), "schedule", NULL);
	json_object_foreach((json_t *)json_object_get(m, "tags"), key, v)
		tag_append(out->tags, sizeof out->tags, key, v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ctl_member *)a)->name, ((const struct ctl_member *)b)->name);
}

/* L4/L8: the record's failover_blocked, with the members a promotion waits to fence. */
static void blocked_text(const json_t *doc, char *out, size_t outlen)
{
	const json_t *b = json_object_get(doc, "failover_blocked");
	const json_t *pending = json_object_get(doc, "fence_pending");
	const json_t *v;
	size_t i, used;

	out[0] = '\0';
	if (!json_is_object(b) || str_or(b, "waiting_for", "")[0] == '\0')
		return;
	used = (size_t)snprintf(out, outlen, "%s", str_or(b, "waiting_for", ""));
	json_array_foreach(pending, i, v) {
		if (!json_is_string(v) || used >= outlen)
			continue;
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i == 0 ? " (fence pending: " : ", ",
					 json_string_value(v));
	}
	if (json_array_size(pending) > 0 && used < outlen)
		snprintf(out + used, outlen - used, ")");
}

int ctl_cluster_parse(json_t *doc, struct ctl_cluster *out, char *err, size_t errlen)
{
	const json_t *members = json_object_get(doc, "members");
	const json_t *sched = json_object_get(doc, "scheduled_switchover");
	const json_t *m;
	size_t i;

	memset(out, 0, sizeof *out);
	if (!json_is_object(doc) || !json_is_array(members)) {
		snprintf(err, errlen, "GET /cluster: the answer has no members list");
		return -1;
	}
	out->members = calloc(json_array_size(members) + 1, sizeof *out->members);
	if (out->members == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->doc = json_incref(doc);
	out->scope = str_or(doc, "scope", "");
	out->cluster_id = str_or(doc, "cluster_id", "");
	out->paused = json_is_true(json_object_get(doc, "pause")) ||
		      json_is_true(json_object_get(doc, "paused"));
	if (json_is_object(sched)) {
		char at[64];
		const char *at_text = str_or(sched, "at", NULL);
		if (at_text == NULL) {
			ctl_iso8601_format(int_or(sched, "at_ms", 0), at, sizeof at);
			at_text = at;
		}
		snprintf(out->scheduled_switchover, sizeof out->scheduled_switchover,
			 "at %s from %s to %s", at_text, str_or(sched, "from", "?"),
			 str_or(sched, "to", "")[0] != '\0' ? str_or(sched, "to", "") : "(any)");
	}
	blocked_text(doc, out->failover_blocked, sizeof out->failover_blocked);
	json_array_foreach(members, i, m) {
		struct ctl_member *cm = &out->members[out->n_members];
		const char *name = str_or(m, "name", NULL);

		if (name == NULL)
			continue;
		cm->name = name;
		cm->api_url = str_or(m, "api_url", "");
		api_base_of(cm->api_url, cm->api_base, sizeof cm->api_base);
		cm->state = "";
		cm->lag_bytes = -1;
		cm->voter = -1;
		cm->reported_at_ms = -1;
		if (json_is_object(json_object_get(m, "status")))
			from_record(doc, m, cm);
		else
			from_patroni(m, cm);
		out->n_members++;
	}
	qsort(out->members, out->n_members, sizeof *out->members, by_name);
	return 0;
}

void ctl_cluster_free(struct ctl_cluster *c)
{
	free(c->members);
	json_decref(c->doc);
	memset(c, 0, sizeof *c);
}

const struct ctl_member *ctl_cluster_primary(const struct ctl_cluster *c)
{
	for (size_t i = 0; i < c->n_members; i++)
		if (c->members[i].role == CTL_ROLE_PRIMARY)
			return &c->members[i];
	return NULL;
}

/* Append s percent-encoded (RFC 3986 unreserved kept). */
static void append_encoded(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	for (; *s != '\0' && used + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~')
			buf[used++] = (char)ch;
		else
			used += (size_t)snprintf(buf + used, len - used, "%%%02X", ch);
	}
	buf[used] = '\0';
}

static int dsn_rank(const struct ctl_member *m, enum ctl_dsn_role role)
{
	if (role == CTL_DSN_PRIMARY)
		return m->role == CTL_ROLE_PRIMARY ? 0 : 1;
	if (role == CTL_DSN_REPLICA)
		return m->role == CTL_ROLE_PRIMARY ? 1 : 0;
	return 0;
}

char *ctl_dsn_build(const struct ctl_cluster *c, enum ctl_dsn_role role, const char *dbname,
		    const char *user, char *err, size_t errlen)
{
	static const char *const attrs[] = { "read-write", "standby", "any" };
	size_t len = 64 + strlen(dbname) * 3 + (user != NULL ? strlen(user) * 3 : 0);
	size_t listed = 0;
	char *buf;

	for (size_t i = 0; i < c->n_members; i++)
		len += strlen(c->members[i].host) + 10;
	buf = malloc(len);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(buf, len, "postgresql://");
	if (user != NULL) {
		append_encoded(buf, len, user);
		snprintf(buf + strlen(buf), len - strlen(buf), "@");
	}
	/* Two passes keep the preferred members first, in name order. */
	for (int rank = 0; rank < 2; rank++) {
		for (size_t i = 0; i < c->n_members; i++) {
			const struct ctl_member *m = &c->members[i];
			size_t used = strlen(buf);

			if (m->host[0] == '\0' || dsn_rank(m, role) != rank)
				continue;
			snprintf(buf + used, len - used, strchr(m->host, ':') != NULL ? "%s[%s]:%d" : "%s%s:%d",
				 listed > 0 ? "," : "", m->host, m->port > 0 ? m->port : 5432);
			listed++;
		}
	}
	if (listed == 0) {
		snprintf(err, errlen, "no member has a known PostgreSQL address");
		free(buf);
		return NULL;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "/");
	append_encoded(buf, len, dbname);
	snprintf(buf + strlen(buf), len - strlen(buf), "?target_session_attrs=%s", attrs[role]);
	return buf;
}

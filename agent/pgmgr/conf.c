/*
 * conf.c — rendering and writing the managed configuration (conf.h).
 * Rendering is pure (unit-tested); writing goes through fileio.c on the
 * libuv thread pool.
 */
#include "pgmgr/conf.h"
#include "pgmgr/fileio.h"
#include "pgmgr/marker.h"
#include "pgq_config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growing text buffer; on allocation failure `failed` sticks. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap != 0 ? b->cap : 1024;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* A postgresql.conf string value: '...' with '' and \\ escaped. */
static void sb_quoted(struct sbuf *b, const char *v)
{
	sb_printf(b, "'");
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\'')
			sb_printf(b, "''");
		else if (*p == '\\')
			sb_printf(b, "\\\\");
		else
			sb_printf(b, "%c", *p);
	}
	sb_printf(b, "'");
}

static int sb_finish(struct sbuf *b, char **out, char *err, size_t errlen)
{
	if (b->failed || b->s == NULL) {
		free(b->s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = b->s;
	return 0;
}

#define NAME_MAX_LEN 63

struct setting {
	char name[NAME_MAX_LEN + 1];   /* lowercased */
	const char *value;
	const char *origin;            /* "default", "dynamic", "local", "enforced" */
	char note[160];                /* why a configured value was replaced */
};

struct settings {
	struct setting *v;
	size_t n, cap;
};

static bool valid_name(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX_LEN || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '.'))
			return false;
	return true;
}

static bool valid_value(const char *v)
{
	return v != NULL && strpbrk(v, "\n\r") == NULL;
}

static struct setting *find(struct settings *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static int set(struct settings *s, const char *name, const char *value, const char *origin)
{
	struct setting *e = find(s, name);

	if (e == NULL) {
		if (s->n == s->cap)
			return -1;
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		for (size_t i = 0; name[i] != '\0' && i < NAME_MAX_LEN; i++)
			e->name[i] = (char)tolower((unsigned char)name[i]);
	}
	e->value = value;
	e->origin = origin;
	return 0;
}

/* Enforced: replaces what the parameters said and notes it in the file. */
static int enforce(struct settings *s, const char *name, const char *value, const char *why)
{
	struct setting *e = find(s, name);

	if (e != NULL && strcmp(e->origin, "default") != 0 && strcmp(e->value, value) != 0) {
		char note[sizeof(e->note)];
		snprintf(note, sizeof(note), "%s parameters said '%.40s': replaced (%s)", e->origin,
			 e->value, why);
		set(s, name, value, "enforced");
		memcpy(e->note, note, sizeof(note));
		return 0;
	}
	return set(s, name, value, "enforced");
}

static int add_params(struct settings *s, const struct pgq_config_kv *kv, size_t n,
		      const char *origin, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (!valid_name(kv[i].key)) {
			snprintf(err, errlen, "invalid %s parameter name \"%s\"", origin,
				 kv[i].key != NULL ? kv[i].key : "");
			return -1;
		}
		if (!valid_value(kv[i].value)) {
			snprintf(err, errlen, "%s parameter \"%s\": value missing or holds a line break",
				 origin, kv[i].key);
			return -1;
		}
		if (set(s, kv[i].key, kv[i].value, origin) != 0) {
			snprintf(err, errlen, "too many parameters");
			return -1;
		}
	}
	return 0;
}

int pgmgr_conf_render(const struct pgmgr_conf_input *in, char **out, char *err, size_t errlen)
{
	struct settings s = { 0 };
	struct sbuf b = { 0 };
	char port[16];
	const struct setting *e;
	int rc = -1;

	*out = NULL;
	if (in == NULL || in->listen_addresses == NULL || in->port == 0) {
		snprintf(err, errlen, "listen address and port are required");
		return -1;
	}
	if (!valid_value(in->listen_addresses) ||
	    (in->primary_conninfo != NULL && !valid_value(in->primary_conninfo)) ||
	    (in->primary_slot_name != NULL && !valid_value(in->primary_slot_name)) ||
	    (in->synchronous_standby_names != NULL && !valid_value(in->synchronous_standby_names)) ||
	    (in->cluster_name != NULL && !valid_value(in->cluster_name))) {
		snprintf(err, errlen, "a managed setting holds a line break");
		return -1;
	}
	s.cap = in->n_dynamic + in->n_local + 32;
	s.v = calloc(s.cap, sizeof(*s.v));
	if (s.v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)in->port);

	set(&s, "max_wal_senders", "10", "default");
	set(&s, "max_replication_slots", "10", "default");
	set(&s, "max_slot_wal_keep_size", "4GB", "default");  /* L6 */
	set(&s, "wal_keep_size", "128MB", "default");
	set(&s, "wal_level", "replica", "default");
	set(&s, "synchronous_commit", "on", "default");
	if (in->cluster_name != NULL)
		set(&s, "cluster_name", in->cluster_name, "default");
	if (add_params(&s, in->dynamic_params, in->n_dynamic, "dynamic", err, errlen) != 0 ||
	    add_params(&s, in->local_params, in->n_local, "local", err, errlen) != 0)
		goto out;

	enforce(&s, "listen_addresses", in->listen_addresses, "postgresql.listen");
	enforce(&s, "port", port, "postgresql.listen");
	enforce(&s, "restart_after_crash", "off", "S14");
	enforce(&s, "hot_standby", "on", "health probes on standbys");
	enforce(&s, "wal_log_hints", "on", "pg_rewind");
	e = find(&s, "wal_level");
	if (strcasecmp(e->value, "minimal") == 0)
		enforce(&s, "wal_level", "replica", "streaming replication");
	e = find(&s, "synchronous_commit");
	if (strcasecmp(e->value, "on") != 0 && strcasecmp(e->value, "remote_apply") != 0)
		enforce(&s, "synchronous_commit", "on", "S11");
	enforce(&s, "primary_conninfo", in->primary_conninfo != NULL ? in->primary_conninfo : "",
		"managed by pgquorum");
	enforce(&s, "primary_slot_name", in->primary_slot_name != NULL ? in->primary_slot_name : "",
		"managed by pgquorum");
	enforce(&s, "synchronous_standby_names",
		in->synchronous_standby_names != NULL ? in->synchronous_standby_names : "",
		"S7: managed by pgquorum");
	enforce(&s, "recovery_target_timeline", "latest", "follow new timelines");

	sb_printf(&b, "# pgquorum.conf — written by pgquorum; every change here is overwritten.\n"
		      "# Set parameters in the pgquorum configuration (postgresql.parameters)\n"
		      "# or in the cluster's dynamic configuration (pgquorumctl edit-config).\n");
	for (size_t i = 0; i < s.n; i++) {
		e = &s.v[i];
		if (e->note[0] != '\0')
			sb_printf(&b, "# %s: %s\n", e->name, e->note);
		sb_printf(&b, "%s = ", e->name);
		sb_quoted(&b, e->value);
		sb_printf(&b, "\t# %s\n", e->origin);
	}
	rc = sb_finish(&b, out, err, errlen);
out:
	if (rc != 0 && !b.failed)
		free(b.s);
	free(s.v);
	return rc;
}

/* A role name as a pg_hba field: quoted, so keywords like "all" stay names. */
static int hba_role(struct sbuf *b, const char *role, char *err, size_t errlen)
{
	if (role == NULL || role[0] == '\0' || strpbrk(role, "\"\n\r \t,") != NULL) {
		snprintf(err, errlen, "role name \"%s\" cannot be written to pg_hba.conf",
			 role != NULL ? role : "");
		return -1;
	}
	sb_printf(b, "\"%s\"", role);
	return 0;
}

static bool is_ipv4(const char *h)
{
	int dots = 0;

	for (const char *p = h; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (*p < '0' || *p > '9')
			return false;
	}
	return dots == 3;
}

static int hba_host(struct sbuf *b, const char *database, const char *role, const char *host,
		    const char *method, char *err, size_t errlen)
{
	if (host == NULL || host[0] == '\0' || strpbrk(host, " \t\n\r\"#") != NULL) {
		snprintf(err, errlen, "member address \"%s\" cannot be written to pg_hba.conf",
			 host != NULL ? host : "");
		return -1;
	}
	sb_printf(b, "host\t%s\t", database);
	if (hba_role(b, role, err, errlen) != 0)
		return -1;
	if (strchr(host, ':') != NULL)
		sb_printf(b, "\t%s/128\t%s\n", host, method);
	else if (is_ipv4(host))
		sb_printf(b, "\t%s/32\t%s\n", host, method);
	else
		sb_printf(b, "\t%s\t%s\n", host, method);  /* a host name: PostgreSQL resolves it */
	return 0;
}

int pgmgr_hba_render(const struct pgmgr_hba_input *in, char **out, char *err, size_t errlen)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	struct sbuf b = { 0 };
	const char *method;

	*out = NULL;
	if (in == NULL || in->superuser == NULL || in->replication_user == NULL) {
		snprintf(err, errlen, "superuser and replication user are required");
		return -1;
	}
	method = in->auth_method != NULL ? in->auth_method : "scram-sha-256";
	if (!valid_value(method) || strpbrk(method, " \t") != NULL) {
		snprintf(err, errlen, "invalid authentication method \"%s\"", method);
		return -1;
	}
	sb_printf(&b, "# pg_hba.conf — written by pgquorum from postgresql.pg_hba;\n"
		      "# every change here is overwritten. First match wins.\n");
	for (size_t i = 0; i < in->n_lines; i++) {
		if (!valid_value(in->lines[i])) {
			snprintf(err, errlen, "pg_hba line %zu holds a line break", i + 1);
			goto fail;
		}
		sb_printf(&b, "%s\n", in->lines[i]);
	}
	sb_printf(&b, "# pgquorum: the agent's own connections, replication and pg_rewind\n");
	for (size_t i = 0; i < 2; i++)
		if (hba_host(&b, "all", in->superuser, loopback[i], method, err, errlen) != 0 ||
		    hba_host(&b, "replication", in->replication_user, loopback[i], method, err, errlen) != 0)
			goto fail;
	for (size_t i = 0; i < in->n_member_hosts; i++)
		if (hba_host(&b, "replication", in->replication_user, in->member_hosts[i], method,
			     err, errlen) != 0 ||
		    hba_host(&b, "all", in->superuser, in->member_hosts[i], method, err, errlen) != 0)
			goto fail;
	return sb_finish(&b, out, err, errlen);
fail:
	free(b.s);
	return -1;
}

/* True when a line of text (whitespace-trimmed) equals the include line. */
static bool has_include(const char *text)
{
	const char *p = text;
	size_t want = strlen(PGMGR_CONF_INCLUDE_LINE);

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		const char *a = p, *z = p + len;

		while (a < z && isspace((unsigned char)*a))
			a++;
		while (z > a && isspace((unsigned char)z[-1]))
			z--;
		if ((size_t)(z - a) == want && memcmp(a, PGMGR_CONF_INCLUDE_LINE, want) == 0)
			return true;
		p += len + (nl != NULL ? 1 : 0);
	}
	return false;
}

int pgmgr_conf_add_include(const char *postgresql_conf, char **out)
{
	struct sbuf b = { 0 };
	size_t n = strlen(postgresql_conf);

	*out = NULL;
	if (has_include(postgresql_conf))
		return 0;
	sb_printf(&b, "%s%s# Added by pgquorum: its managed settings (keep this line last).\n%s\n",
		  postgresql_conf, n > 0 && postgresql_conf[n - 1] != '\n' ? "\n" : "",
		  PGMGR_CONF_INCLUDE_LINE);
	if (b.failed) {
		free(b.s);
		return -1;
	}
	*out = b.s;
	return 0;
}

#define MAX_POSTGRESQL_CONF_BYTES (4u << 20)

int pgmgr_conf_write_sync(const char *data_dir, const struct pgmgr_conf_files *f,
			  struct pgmgr_conf_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->error = err;
	if (data_dir == NULL || f == NULL) {
		snprintf(err, errlen, "data_dir is required");
		return -1;
	}
	if (f->pgquorum_conf != NULL &&
	    pgmgr_file_update(data_dir, PGMGR_CONF_FILE, f->pgquorum_conf, strlen(f->pgquorum_conf),
			      0600, &r->conf_changed, err, errlen) != 0)
		return -1;
	if (f->pg_hba != NULL &&
	    pgmgr_file_update(data_dir, "pg_hba.conf", f->pg_hba, strlen(f->pg_hba), 0600,
			      &r->hba_changed, err, errlen) != 0)
		return -1;
	if (f->ensure_include) {
		char *text = NULL, *updated = NULL;
		int rc = pgmgr_file_read(data_dir, "postgresql.conf", MAX_POSTGRESQL_CONF_BYTES, &text,
					 NULL, err, errlen);
		if (rc < 0)
			return -1;
		if (pgmgr_conf_add_include(text != NULL ? text : "", &updated) != 0) {
			free(text);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(text);
		if (updated != NULL) {
			rc = pgmgr_file_replace(data_dir, "postgresql.conf", updated, strlen(updated), 0600,
						err, errlen);
			free(updated);
			if (rc != 0)
				return -1;
			r->include_added = true;
		}
	}
	if (f->standby_signal == PGMGR_SIGNAL_CREATE) {
		bool changed = false;
		if (pgmgr_file_update(data_dir, "standby.signal", "", 0, 0600, &changed, err, errlen) != 0)
			return -1;
		r->signal_changed = changed;
	} else if (f->standby_signal == PGMGR_SIGNAL_REMOVE) {
		if (pgmgr_file_remove(data_dir, "standby.signal", &r->signal_changed, err, errlen) != 0)
			return -1;
	}
	if (f->history_tli != 0 && f->history_text != NULL) {
		char dir[4096], name[32];
		bool changed = false;
		if ((size_t)snprintf(dir, sizeof(dir), "%s/pg_wal", data_dir) >= sizeof(dir)) {
			snprintf(err, errlen, "data_dir is too long");
			return -1;
		}
		snprintf(name, sizeof(name), "%08X.history", (unsigned)f->history_tli);
		if (pgmgr_file_update(dir, name, f->history_text, strlen(f->history_text), 0600,
				      &changed, err, errlen) != 0)
			return -1;
		r->history_written = true;
	}
	if (f->clear_rewind_marker) {
		if (pgmgr_rewind_marker_clear(data_dir, err, errlen) != 0)
			return -1;
		r->marker_cleared = true;
	}
	r->status = 0;
	r->error = "";
	return 0;
}

/* The asynchronous form: copies of everything, worked on the thread pool. */
struct conf_job {
	uv_work_t work;
	char *data_dir;
	char *conf, *hba, *history;
	struct pgmgr_conf_files files;
	struct pgmgr_conf_result result;
	char err[512];
	pgmgr_conf_cb cb;
	void *ctx;
};

static void job_free(struct conf_job *j)
{
	free(j->data_dir);
	free(j->conf);
	free(j->hba);
	free(j->history);
	free(j);
}

static void job_work(uv_work_t *w)
{
	struct conf_job *j = w->data;

	pgmgr_conf_write_sync(j->data_dir, &j->files, &j->result, j->err, sizeof(j->err));
}

static void job_done(uv_work_t *w, int status)
{
	struct conf_job *j = w->data;

	if (status != 0) {
		j->result.status = -1;
		snprintf(j->err, sizeof(j->err), "configuration write cancelled");
		j->result.error = j->err;
	}
	j->cb(j->ctx, &j->result);
	job_free(j);
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out != NULL ? 0 : -1;
}

int pgmgr_conf_write(uv_loop_t *loop, const char *data_dir, const struct pgmgr_conf_files *files,
		     pgmgr_conf_cb cb, void *ctx, char *err, size_t errlen)
{
	struct conf_job *j;

	if (loop == NULL || data_dir == NULL || files == NULL || cb == NULL) {
		snprintf(err, errlen, "conf: missing argument");
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		goto nomem;
	j->files = *files;
	if (dup_opt(data_dir, &j->data_dir) || dup_opt(files->pgquorum_conf, &j->conf) ||
	    dup_opt(files->pg_hba, &j->hba) || dup_opt(files->history_text, &j->history))
		goto nomem;
	j->files.pgquorum_conf = j->conf;
	j->files.pg_hba = j->hba;
	j->files.history_text = j->history;
	j->cb = cb;
	j->ctx = ctx;
	j->work.data = j;
	if (uv_queue_work(loop, &j->work, job_work, job_done) != 0) {
		job_free(j);
		snprintf(err, errlen, "could not queue the configuration write");
		return -1;
	}
	return 0;
nomem:
	if (j != NULL)
		job_free(j);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * controldata.c — pg_controldata: run it, parse its "Name:   value" lines.
 * The program runs with LC_ALL=C so the labels are the English ones.
 * Unknown lines are ignored (newer versions add some); a known label whose
 * value does not parse is an error, never a zero.
 */
#include "pgmgr/controldata.h"
#include "pgmgr/cmd.h"
#include "pgmgr/pgmgr.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *text;
	enum pgmgr_db_state state;
} db_states[] = {
	{ "starting up", PGMGR_DB_STARTING_UP },
	{ "shut down", PGMGR_DB_SHUT_DOWN },
	{ "shut down in recovery", PGMGR_DB_SHUT_DOWN_IN_RECOVERY },
	{ "shutting down", PGMGR_DB_SHUTTING_DOWN },
	{ "in crash recovery", PGMGR_DB_IN_CRASH_RECOVERY },
	{ "in archive recovery", PGMGR_DB_IN_ARCHIVE_RECOVERY },
	{ "in production", PGMGR_DB_IN_PRODUCTION },
};

const char *pgmgr_db_state_name(enum pgmgr_db_state s)
{
	for (size_t i = 0; i < sizeof(db_states) / sizeof(db_states[0]); i++)
		if (db_states[i].state == s)
			return db_states[i].text;
	return "unknown";
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int parse_u32(const char *v, uint32_t *out)
{
	uint64_t x;

	if (parse_u64(v, &x) != 0 || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

enum field {
	F_STATE, F_SYSID, F_CKPT, F_REDO, F_TLI, F_PREVTLI, F_MINREC, F_MINRECTLI,
	F_CHECKSUM, F_HINTS, F_VERSION, F__COUNT
};

static const struct {
	const char *label;
	bool required;
} fields[F__COUNT] = {
	[F_STATE] = { "Database cluster state", true },
	[F_SYSID] = { "Database system identifier", true },
	[F_CKPT] = { "Latest checkpoint location", true },
	[F_REDO] = { "Latest checkpoint's REDO location", true },
	[F_TLI] = { "Latest checkpoint's TimeLineID", true },
	[F_PREVTLI] = { "Latest checkpoint's PrevTimeLineID", false },
	[F_MINREC] = { "Minimum recovery ending location", false },
	[F_MINRECTLI] = { "Min recovery ending loc's timeline", false },
	[F_CHECKSUM] = { "Data page checksum version", true },
	[F_HINTS] = { "wal_log_hints setting", false },
	[F_VERSION] = { "pg_control version number", true },
};

static int parse_value(enum field f, const char *v, struct pgmgr_controldata *out)
{
	switch (f) {
	case F_STATE:
		for (size_t i = 0; i < sizeof(db_states) / sizeof(db_states[0]); i++)
			if (strcmp(v, db_states[i].text) == 0) {
				out->state = db_states[i].state;
				return 0;
			}
		return -1;
	case F_SYSID:
		return parse_u64(v, &out->system_identifier);
	case F_CKPT:
		return pgmgr_lsn_parse(v, &out->checkpoint_lsn);
	case F_REDO:
		return pgmgr_lsn_parse(v, &out->redo_lsn);
	case F_TLI:
		return parse_u32(v, &out->timeline) != 0 || out->timeline == 0 ? -1 : 0;
	case F_PREVTLI:
		return parse_u32(v, &out->prev_timeline);
	case F_MINREC:
		return pgmgr_lsn_parse(v, &out->min_recovery_lsn);
	case F_MINRECTLI:
		return parse_u32(v, &out->min_recovery_timeline);
	case F_CHECKSUM:
		return parse_u32(v, &out->checksum_version);
	case F_HINTS:
		if (strcmp(v, "on") == 0)
			out->wal_log_hints = true;
		else if (strcmp(v, "off") == 0)
			out->wal_log_hints = false;
		else
			return -1;
		return 0;
	case F_VERSION:
		return parse_u32(v, &out->control_version);
	case F__COUNT:
		break;
	}
	return -1;
}

int pgmgr_controldata_parse(const char *text, struct pgmgr_controldata *out,
			    char *err, size_t errlen)
{
	bool seen[F__COUNT] = { false };
	const char *p = text;
	unsigned lineno = 0;
	char line[512];

	memset(out, 0, sizeof(*out));
	if (text == NULL) {
		snprintf(err, errlen, "no pg_controldata output");
		return -1;
	}
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *colon, *v, *end;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "pg_controldata line %u is too long", lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL ? 1 : 0);

		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		for (int f = 0; f < F__COUNT; f++) {
			if (strcmp(line, fields[f].label) != 0)
				continue;
			if (seen[f]) {
				snprintf(err, errlen, "pg_controldata line %u: \"%s\" appears twice", lineno, line);
				return -1;
			}
			if (parse_value((enum field)f, v, out) != 0) {
				snprintf(err, errlen, "pg_controldata line %u: bad value \"%s\" for \"%s\"",
					 lineno, v, line);
				return -1;
			}
			seen[f] = true;
		}
	}
	for (int f = 0; f < F__COUNT; f++)
		if (fields[f].required && !seen[f]) {
			snprintf(err, errlen, "pg_controldata output lacks \"%s\"", fields[f].label);
			return -1;
		}
	return 0;
}

bool pgmgr_controldata_clean(const struct pgmgr_controldata *cd)
{
	return cd->state == PGMGR_DB_SHUT_DOWN || cd->state == PGMGR_DB_SHUT_DOWN_IN_RECOVERY;
}

struct cd_req {
	pgmgr_controldata_cb cb;
	void *ctx;
};

static void on_done(void *ctx, const struct pgmgr_cmd_result *r)
{
	struct cd_req *req = ctx;
	struct pgmgr_controldata cd;
	char err[512], what[300];

	if (r->spawn_failed || r->exit_status != 0 || r->out == NULL) {
		snprintf(err, sizeof(err), "pg_controldata failed: %s: %s",
			 pgmgr_cmd_describe(r, what, sizeof(what)), r->stderr_tail);
		req->cb(req->ctx, -1, NULL, err);
	} else if (pgmgr_controldata_parse(r->out, &cd, err, sizeof(err)) != 0) {
		req->cb(req->ctx, -1, NULL, err);
	} else {
		req->cb(req->ctx, 0, &cd, "");
	}
	free(req);
}

int pgmgr_controldata_read(uv_loop_t *loop, const char *bin_dir, const char *data_dir,
			   uint32_t timeout_ms, pgmgr_controldata_cb cb, void *ctx,
			   char *err, size_t errlen)
{
	char prog[4096];
	const char *argv[] = { prog, "-D", data_dir, NULL };
	const char *env[] = { "LC_ALL=C", "LANG=C", NULL };
	struct pgmgr_cmd_spec spec = { 0 };
	struct cd_req *req;

	if (bin_dir == NULL || data_dir == NULL || cb == NULL) {
		snprintf(err, errlen, "pg_controldata: missing argument");
		return -1;
	}
	if ((size_t)snprintf(prog, sizeof(prog), "%s/pg_controldata", bin_dir) >= sizeof(prog)) {
		snprintf(err, errlen, "bin_dir is too long");
		return -1;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req->cb = cb;
	req->ctx = ctx;
	spec.argv = argv;
	spec.env_set = env;
	spec.capture_stdout = true;
	spec.timeout_ms = timeout_ms != 0 ? timeout_ms : 10000;
	if (pgmgr_cmd_start(loop, &spec, on_done, req, NULL, err, errlen) != 0) {
		free(req);
		return -1;
	}
	return 0;
}

/*
 * record_fixture.c — helpers shared by the cluster record tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_fixture.h"

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->r = pgq_record_new();
	if (f->r == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	pgq_record_free(f->r);
	free(f);
	return 0;
}

int fx_apply(struct fx *f, uint8_t *data, size_t len)
{
	int rc = pgq_record_apply(f->r, data, len, ++f->index, &f->res, f->err, sizeof(f->err));

	free(data);
	return rc;
}

int fx_apply_str(struct fx *f, const char *json)
{
	return fx_apply(f, (uint8_t *)strdup(json), strlen(json));
}

int fx_run(struct fx *f, int build_rc)
{
	uint8_t *b = f->buf;

	assert_int_equal(build_rc, 0);
	f->buf = NULL;
	return fx_apply(f, b, f->len);
}

char *fx_state(const struct pgq_record *r)
{
	uint8_t *snap;
	size_t len;
	json_t *o;
	char *s;

	assert_int_equal(pgq_record_snapshot(r, &snap, &len), 0);
	o = json_loadb((const char *)snap, len, 0, NULL);
	free(snap);
	assert_non_null(o);
	json_object_del(o, "last_index");
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static void expect_reject(struct fx *f, int rc, const char *before, const char *needle,
			  const char *file, int line)
{
	char *after = fx_state(f->r);

	if (rc != PGQ_RECORD_REJECTED)
		fail_msg("%s:%d: expected a rejection containing '%s', got rc %d (%s)", file, line,
			 needle, rc, f->res.reason);
	if (strncmp(f->res.reason, "rejected: ", 10) != 0 || strstr(f->res.reason, needle) == NULL)
		fail_msg("%s:%d: reason '%s' lacks '%s'", file, line, f->res.reason, needle);
	if (f->res.accepted)
		fail_msg("%s:%d: res.accepted set on a rejection", file, line);
	if (strcmp(before, after) != 0)
		fail_msg("%s:%d: a rejected command changed the record", file, line);
	free(after);
}

void fx_expect_reject_rc(struct fx *f, int build_rc, const char *needle, const char *file, int line)
{
	char *before = fx_state(f->r);

	expect_reject(f, fx_run(f, build_rc), before, needle, file, line);
	free(before);
}

void fx_expect_reject_str(struct fx *f, const char *json, const char *needle)
{
	char *before = fx_state(f->r);

	expect_reject(f, fx_apply_str(f, json), before, needle, __FILE__, __LINE__);
	free(before);
}

void fx_bootstrap3(struct fx *f, const json_t *config)
{
	struct pgq_cmd_member m[3] = {
		{ .name = "pg1", .raft_address = "127.0.0.1:7001", .api_url = "http://127.0.0.1:8008",
		  .pg_address = "127.0.0.1:5432" },
		{ .name = "pg2", .raft_address = "127.0.0.1:7002", .api_url = "http://127.0.0.1:8009",
		  .pg_address = "127.0.0.1:5433" },
		{ .name = "pg3", .raft_address = "127.0.0.1:7003", .api_url = "http://127.0.0.1:8010",
		  .pg_address = "127.0.0.1:5434" },
	};

	OK(f, pgq_cmd_bootstrap, "demo", "c0ffee", m, 3, "pg1", config, NULL, 1000);
}

void fx_renew(struct fx *f)
{
	const struct pgq_primary *p = pgq_record_primary(f->r);

	OK(f, pgq_cmd_lease_renew, p->name, p->epoch, p->lease_seq, 1000 + p->lease_seq, 30000,
	   2000 + p->lease_seq);
}

void fx_cluster3(struct fx *f, const json_t *config)
{
	fx_bootstrap3(f, config);
	fx_renew(f);
	OK(f, pgq_cmd_promoted, "pg1", 1, 1, 0, 3000);
}

void fx_report(struct fx *f, const char *member, const char *role, uint32_t tli,
	       uint64_t flush_lsn, uint64_t lag_bytes, uint64_t report_for_loss)
{
	struct pgq_cmd_report rep = {
		.member = member, .role = role, .state = "running", .timeline = tli,
		.receive_lsn = flush_lsn, .replay_lsn = flush_lsn, .flush_lsn = flush_lsn,
		.lag_bytes = lag_bytes, .report_for_loss = report_for_loss, .time_ms = 5000,
	};

	OK(f, pgq_cmd_member_report, &rep);
}

void fx_report_valid(struct fx *f, const char *member, uint64_t lsn)
{
	fx_report(f, member, "replica", pgq_record_timeline(f->r), lsn, 0,
		  pgq_record_primary(f->r)->lost_index);
}

void fx_lose_primary(struct fx *f)
{
	const struct pgq_primary *p = pgq_record_primary(f->r);

	OK(f, pgq_cmd_primary_lost, p->epoch, p->lease_seq, 9000);
}

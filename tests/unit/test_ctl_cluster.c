/*
 * test_ctl_cluster.c — the cluster view built from GET /cluster in both
 * shapes (pgquorum's record JSON and Patroni's), address splitting and the
 * libpq multi-host URI of `pgquorumctl dsn`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/cluster_view.h"

/* A record-shaped answer: n2 primary, n1 in the sync set, n3 a replica
 * lagging 3 MB, n4 never reported; listed out of name order. */
static const char record_doc[] =
	"{\"format\":1,\"scope\":\"demo\",\"cluster_id\":\"abc\",\"paused\":true,"
	"\"config\":{\"synchronous_mode\":\"on\"},"
	"\"primary\":{\"name\":\"n2\",\"state\":\"active\"},"
	"\"sync\":{\"members\":[\"n1\"],\"k\":1},"
	"\"scheduled_switchover\":{\"at_ms\":1795793400000,\"from\":\"n2\",\"to\":\"n3\"},"
	"\"failover_blocked\":{\"waiting_for\":\"fence exec hook failed with code 1\",\"since_ms\":5,\"epoch\":4},"
	"\"fence_pending\":[\"n3\",\"n4\"],"
	"\"members\":["
	"{\"name\":\"n3\",\"api_url\":\"http://10.0.0.3:8008\",\"pg_address\":\"10.0.0.3:5433\","
	" \"voter\":true,\"tags\":{\"nofailover\":true,\"noloadbalance\":false,\"nosync\":false,"
	" \"failover_priority\":1,\"custom\":{\"zone\":\"b\"}},"
	" \"status\":{\"reported\":true,\"role\":\"replica\",\"state\":\"running\",\"timeline\":4,"
	" \"lag_bytes\":3145728,\"pending_restart\":true,\"reported_at_ms\":1000}},"
	"{\"name\":\"n2\",\"api_url\":\"http://10.0.0.2:8008\",\"pg_address\":\"[fd00::2]:5432\","
	" \"voter\":true,\"tags\":{\"failover_priority\":5},"
	" \"status\":{\"reported\":true,\"role\":\"primary\",\"state\":\"running\",\"timeline\":4,"
	" \"lag_bytes\":0,\"reported_at_ms\":2000}},"
	"{\"name\":\"n1\",\"api_url\":\"http://10.0.0.1:8008\",\"pg_address\":\"10.0.0.1:5432\","
	" \"voter\":true,\"tags\":{},"
	" \"status\":{\"reported\":true,\"role\":\"replica\",\"state\":\"running\",\"timeline\":4,"
	" \"lag_bytes\":0,\"reported_at_ms\":3000}},"
	"{\"name\":\"n4\",\"api_url\":\"https://db4.example:8443/\",\"pg_address\":\"\","
	" \"voter\":false,\"tags\":{},\"status\":{\"reported\":false}}"
	"]}";

static void parse(const char *text, struct ctl_cluster *cl)
{
	json_t *doc = json_loads(text, 0, NULL);
	char err[256];

	assert_non_null(doc);
	assert_int_equal(ctl_cluster_parse(doc, cl, err, sizeof err), 0);
	json_decref(doc); /* the view keeps its own reference */
}

static void test_record_shape(void **state)
{
	struct ctl_cluster cl;
	const struct ctl_member *m;

	(void)state;
	parse(record_doc, &cl);
	assert_string_equal(cl.scope, "demo");
	assert_true(cl.paused);
	assert_string_equal(cl.scheduled_switchover, "at 2026-11-27T15:30:00+00:00 from n2 to n3");
	/* L4/L8: why nobody is promoted, and whom the promotion waits to fence. */
	assert_string_equal(cl.failover_blocked,
			    "fence exec hook failed with code 1 (fence pending: n3, n4)");
	assert_int_equal(cl.n_members, 4);
	/* sorted by name */
	assert_string_equal(cl.members[0].name, "n1");
	assert_string_equal(cl.members[3].name, "n4");
	m = &cl.members[0];
	assert_int_equal(m->role, CTL_ROLE_SYNC_STANDBY);
	assert_int_equal(m->lag_bytes, 0);
	m = ctl_cluster_primary(&cl);
	assert_non_null(m);
	assert_string_equal(m->name, "n2");
	assert_string_equal(m->host, "fd00::2");
	assert_int_equal(m->port, 5432);
	assert_int_equal(m->lag_bytes, -1); /* no lag for the primary */
	assert_string_equal(m->tags, "failover_priority: 5");
	m = &cl.members[2];
	assert_int_equal(m->role, CTL_ROLE_REPLICA);
	assert_int_equal(m->lag_bytes, 3145728);
	assert_int_equal(m->port, 5433);
	assert_int_equal(m->timeline, 4);
	assert_true(m->pending_restart);
	assert_string_equal(m->tags, "nofailover: true, zone: b");
	m = &cl.members[3];
	assert_int_equal(m->role, CTL_ROLE_UNKNOWN);
	assert_string_equal(m->state, "");
	assert_int_equal(m->reported_at_ms, -1);
	assert_int_equal(m->voter, 0);
	assert_string_equal(m->host, "db4.example"); /* no pg_address: the API host */
	assert_string_equal(m->api_base, "https://db4.example:8443");
	assert_true(m->reports_known);
	assert_int_equal(m->port, 0);
	ctl_cluster_free(&cl);
}

static void test_quorum_role(void **state)
{
	char *text = strdup(record_doc), *p = strstr(text, "\"on\"");
	struct ctl_cluster cl;

	(void)state;
	memcpy(p, "\"qu\"", 4); /* not a mode we know: sync set shown as sync */
	parse(text, &cl);
	assert_int_equal(cl.members[0].role, CTL_ROLE_SYNC_STANDBY);
	ctl_cluster_free(&cl);
	free(text);
	text = malloc(strlen(record_doc) + 8);
	assert_non_null(text);
	p = strstr(record_doc, "\"on\"");
	snprintf(text, strlen(record_doc) + 8, "%.*s\"quorum\"%s", (int)(p - record_doc), record_doc,
		 p + 4);
	parse(text, &cl);
	assert_int_equal(cl.members[0].role, CTL_ROLE_QUORUM_STANDBY);
	assert_string_equal(ctl_role_title(cl.members[0].role), "Quorum Standby");
	ctl_cluster_free(&cl);
	free(text);
}

static void test_patroni_shape(void **state)
{
	static const char doc[] =
		"{\"scope\":\"batman\",\"pause\":false,"
		"\"scheduled_switchover\":{\"at\":\"2026-11-27T15:30:00+00:00\",\"from\":\"a\"},"
		"\"members\":["
		"{\"name\":\"b\",\"role\":\"sync_standby\",\"state\":\"streaming\",\"host\":\"10.0.0.2\","
		" \"port\":5432,\"api_url\":\"http://10.0.0.2:8008/patroni\",\"timeline\":7,\"lag\":0,"
		" \"tags\":{\"clonefrom\":true}},"
		"{\"name\":\"a\",\"role\":\"leader\",\"state\":\"running\",\"host\":\"10.0.0.1\","
		" \"port\":5433,\"timeline\":7,"
		" \"scheduled_restart\":{\"schedule\":\"2026-11-28T01:00:00+00:00\"}},"
		"{\"name\":\"c\",\"role\":\"replica\",\"state\":\"streaming\",\"host\":\"10.0.0.3\","
		" \"port\":5432,\"lag\":\"unknown\"}]}";
	struct ctl_cluster cl;

	(void)state;
	parse(doc, &cl);
	assert_false(cl.paused);
	assert_string_equal(cl.failover_blocked, ""); /* nothing blocked, nothing said */
	assert_string_equal(cl.scheduled_switchover, "at 2026-11-27T15:30:00+00:00 from a to (any)");
	assert_int_equal(cl.members[0].role, CTL_ROLE_PRIMARY);
	assert_int_equal(cl.members[0].port, 5433);
	assert_string_equal(cl.members[0].scheduled_restart, "2026-11-28T01:00:00+00:00");
	assert_int_equal(cl.members[1].role, CTL_ROLE_SYNC_STANDBY);
	/* Patroni's api_url ends in /patroni: per-member requests use the base. */
	assert_string_equal(cl.members[1].api_base, "http://10.0.0.2:8008");
	assert_string_equal(cl.members[0].api_base, "");
	assert_false(cl.members[0].reports_known);
	assert_string_equal(cl.members[1].tags, "clonefrom: true");
	assert_int_equal(cl.members[2].lag_bytes, -1); /* "unknown" */
	ctl_cluster_free(&cl);
}

static void test_bad_documents(void **state)
{
	struct ctl_cluster cl;
	char err[256];
	json_t *doc = json_loads("{\"scope\":\"x\"}", 0, NULL);

	(void)state;
	assert_int_equal(ctl_cluster_parse(doc, &cl, err, sizeof err), -1);
	assert_non_null(strstr(err, "members"));
	json_decref(doc);
	/* Members without a name or with wrong types are skipped or defaulted. */
	doc = json_loads("{\"members\":[{\"role\":1},{\"name\":\"x\",\"status\":{\"reported\":true,"
			 "\"timeline\":\"7\",\"state\":3}}]}", 0, NULL);
	assert_int_equal(ctl_cluster_parse(doc, &cl, err, sizeof err), 0);
	assert_int_equal(cl.n_members, 1);
	assert_int_equal(cl.members[0].timeline, 0);
	assert_string_equal(cl.members[0].state, "");
	ctl_cluster_free(&cl);
	json_decref(doc);
}

static void test_split_hostport(void **state)
{
	char host[64];
	int port;

	(void)state;
	assert_int_equal(ctl_split_hostport("db1:5433", 5432, host, sizeof host, &port), 0);
	assert_string_equal(host, "db1");
	assert_int_equal(port, 5433);
	assert_int_equal(ctl_split_hostport("db1", 5432, host, sizeof host, &port), 0);
	assert_int_equal(port, 5432);
	assert_int_equal(ctl_split_hostport("[::1]:6000", 5432, host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 6000);
	assert_int_equal(ctl_split_hostport("::1", 5432, host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(ctl_split_hostport("db1:0", 5432, host, sizeof host, &port), -1);
	assert_int_equal(ctl_split_hostport("db1:70000", 5432, host, sizeof host, &port), -1);
	assert_int_equal(ctl_split_hostport("db1:x", 5432, host, sizeof host, &port), -1);
	assert_int_equal(ctl_split_hostport("[::1", 5432, host, sizeof host, &port), -1);
	assert_int_equal(ctl_split_hostport(":5432", 5432, host, sizeof host, &port), -1);
}

static void test_dsn(void **state)
{
	struct ctl_cluster cl;
	char err[256], *uri;

	(void)state;
	parse(record_doc, &cl);
	uri = ctl_dsn_build(&cl, CTL_DSN_PRIMARY, "postgres", NULL, err, sizeof err);
	assert_string_equal(uri, "postgresql://[fd00::2]:5432,10.0.0.1:5432,10.0.0.3:5433,"
				 "db4.example:5432/postgres?target_session_attrs=read-write");
	free(uri);
	uri = ctl_dsn_build(&cl, CTL_DSN_REPLICA, "app db", "bob@x", err, sizeof err);
	assert_string_equal(uri, "postgresql://bob%40x@10.0.0.1:5432,10.0.0.3:5433,"
				 "db4.example:5432,[fd00::2]:5432/app%20db?target_session_attrs=standby");
	free(uri);
	uri = ctl_dsn_build(&cl, CTL_DSN_ANY, "postgres", NULL, err, sizeof err);
	assert_string_equal(uri, "postgresql://10.0.0.1:5432,[fd00::2]:5432,10.0.0.3:5433,"
				 "db4.example:5432/postgres?target_session_attrs=any");
	free(uri);
	ctl_cluster_free(&cl);
}

static void test_dsn_without_addresses(void **state)
{
	struct ctl_cluster cl;
	char err[256];

	(void)state;
	parse("{\"members\":[{\"name\":\"a\",\"status\":{\"reported\":false}}]}", &cl);
	assert_null(ctl_dsn_build(&cl, CTL_DSN_ANY, "postgres", NULL, err, sizeof err));
	assert_non_null(strstr(err, "no member"));
	ctl_cluster_free(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_shape),
		cmocka_unit_test(test_quorum_role),
		cmocka_unit_test(test_patroni_shape),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_split_hostport),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_dsn_without_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ha_tags.c — the configured tags reach the record (R4, issue 5 gap
 * PG_TODO_TAGS): pgq_ha_tags_from_config() builds what member_update
 * carries, the record applies it, and pgq_ha_tags_equal() then says
 * "nothing to publish" — while any difference (a flag, the priority, a
 * custom tag added, changed or removed by a reload) says "publish".
 */
#include "record_fixture.h"

#include <string.h>

#include "ha/member_tags.h"

static struct pgq_config_kv kv_zone = { .key = "zone", .value = "eu-1" };

/* Build member_update for pg3 from cfg and apply it. */
static void publish(struct fx *f, const struct pgq_config_tags *cfg)
{
	struct pgq_cmd_tags t;
	struct pgq_cmd_member m = { .name = "pg3" };
	json_t *custom = NULL;
	char err[256];

	assert_int_equal(pgq_ha_tags_from_config(cfg, &t, &custom, err, sizeof err), 0);
	m.tags = &t;
	OK(f, pgq_cmd_member_update, &m);
	json_decref(custom);
}

static bool equal_to(const struct fx *f, const struct pgq_config_tags *cfg)
{
	struct pgq_cmd_tags t;
	json_t *custom = NULL;
	char err[256];
	bool eq;

	assert_int_equal(pgq_ha_tags_from_config(cfg, &t, &custom, err, sizeof err), 0);
	eq = pgq_ha_tags_equal(&pgq_record_member_by_name(f->r, "pg3")->tags, &t);
	json_decref(custom);
	return eq;
}

/* R4: the bootstrap records default tags; nofailover + priority 10 differ and get published. */
static void test_r4_configured_tags_reach_the_record(void **state)
{
	struct fx *f = *state;
	struct pgq_config_tags cfg = { .nofailover = true, .failover_priority = 10 };
	struct pgq_config_tags defaults = { .failover_priority = 1 };
	const struct pgq_member *m;

	fx_bootstrap3(f, NULL);
	assert_true(equal_to(f, &defaults));
	assert_false(equal_to(f, &cfg));
	publish(f, &cfg);
	m = pgq_record_member_by_name(f->r, "pg3");
	assert_true(m->tags.nofailover);
	assert_int_equal(m->tags.failover_priority, 10);
	assert_true(equal_to(f, &cfg));
	/* Other members keep theirs. */
	assert_false(pgq_record_member_by_name(f->r, "pg2")->tags.nofailover);
}

/* A reload that adds, changes or removes a custom tag or flips a flag is a difference. */
static void test_reload_changes_are_differences(void **state)
{
	struct fx *f = *state;
	struct pgq_config_kv other = { .key = "zone", .value = "eu-2" };
	struct pgq_config_tags with_zone = { .failover_priority = 1, .custom = &kv_zone, .n_custom = 1 };
	struct pgq_config_tags zone2 = { .failover_priority = 1, .custom = &other, .n_custom = 1 };
	struct pgq_config_tags plain = { .failover_priority = 1 };
	struct pgq_config_tags nosync = { .failover_priority = 1, .nosync = true,
					  .custom = &kv_zone, .n_custom = 1 };
	struct pgq_config_tags nolb = { .failover_priority = 1, .noloadbalance = true,
					.custom = &kv_zone, .n_custom = 1 };

	fx_bootstrap3(f, NULL);
	assert_false(equal_to(f, &with_zone));
	publish(f, &with_zone);
	assert_true(equal_to(f, &with_zone));
	assert_string_equal(json_string_value(json_object_get(
				    pgq_record_member_by_name(f->r, "pg3")->tags.custom, "zone")),
			    "eu-1");
	assert_false(equal_to(f, &zone2));
	assert_false(equal_to(f, &plain));
	assert_false(equal_to(f, &nosync));
	assert_false(equal_to(f, &nolb));
	publish(f, &plain);
	assert_true(equal_to(f, &plain));
}

/* Tags the record would reject are refused here, with the reason. */
static void test_unrecordable_tags_refused(void **state)
{
	struct pgq_config_kv long_key = { .value = "x" };
	struct pgq_config_kv many[33];
	char key[80], names[33][8];
	struct pgq_config_tags cfg = { .failover_priority = 1, .custom = &long_key, .n_custom = 1 };
	struct pgq_cmd_tags t;
	json_t *custom = (json_t *)1;
	char err[256] = "";

	(void)state;
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	long_key.key = key;
	assert_int_equal(pgq_ha_tags_from_config(&cfg, &t, &custom, err, sizeof err), -1);
	assert_null(custom);
	assert_non_null(strstr(err, "too long"));
	for (size_t i = 0; i < 33; i++) {
		snprintf(names[i], sizeof names[i], "t%zu", i);
		many[i].key = names[i];
		many[i].value = "v";
	}
	cfg.custom = many;
	cfg.n_custom = 33;
	assert_int_equal(pgq_ha_tags_from_config(&cfg, &t, &custom, err, sizeof err), -1);
	assert_non_null(strstr(err, "at most 32"));
	cfg.n_custom = 32;
	assert_int_equal(pgq_ha_tags_from_config(&cfg, &t, &custom, err, sizeof err), 0);
	assert_int_equal(json_object_size(custom), 32);
	json_decref(custom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_r4_configured_tags_reach_the_record, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_reload_changes_are_differences, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_unrecordable_tags_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

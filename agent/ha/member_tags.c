/*
 * member_tags.c — the configured tags as the record carries them
 * (member_tags.h). The limits mirror the record's fld_tags(): a tag set the
 * record would reject is reported here once, instead of being proposed
 * and rejected every cycle.
 */
#include "ha/member_tags.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CUSTOM_TAGS_MAX 32

int pgq_ha_tags_from_config(const struct pgq_config_tags *cfg, struct pgq_cmd_tags *out,
			    json_t **custom, char *err, size_t errlen)
{
	json_t *o;

	*custom = NULL;
	memset(out, 0, sizeof(*out));
	/* The configuration takes 0..INT_MAX; the record keeps an int32. */
	_Static_assert(sizeof(int) <= sizeof(int32_t), "failover_priority fits the record's int32");
	if (cfg->failover_priority < 0) {
		snprintf(err, errlen, "tags: failover_priority %d is out of range", cfg->failover_priority);
		return -1;
	}
	if (cfg->n_custom > CUSTOM_TAGS_MAX) {
		snprintf(err, errlen, "tags: %zu custom tags, the record keeps at most %d",
			 cfg->n_custom, CUSTOM_TAGS_MAX);
		return -1;
	}
	o = json_object();
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_custom; i++) {
		const struct pgq_config_kv *kv = &cfg->custom[i];

		if (kv->key == NULL || kv->value == NULL || kv->key[0] == '\0' ||
		    strlen(kv->key) >= PGQ_RECORD_NAME_MAX || strlen(kv->value) >= PGQ_RECORD_ADDR_MAX) {
			snprintf(err, errlen,
				 "tags: custom tag '%.64s' is too long for the record (key < %d, value < %d characters)",
				 kv->key != NULL ? kv->key : "", PGQ_RECORD_NAME_MAX, PGQ_RECORD_ADDR_MAX);
			json_decref(o);
			return -1;
		}
		if (json_object_set_new(o, kv->key, json_string(kv->value)) != 0) {
			snprintf(err, errlen, "out of memory (or custom tag '%.64s' is not UTF-8)", kv->key);
			json_decref(o);
			return -1;
		}
	}
	out->nofailover = cfg->nofailover;
	out->noloadbalance = cfg->noloadbalance;
	out->nosync = cfg->nosync;
	out->failover_priority = (int32_t)cfg->failover_priority;
	out->custom = o;
	*custom = o;
	return 0;
}

bool pgq_ha_tags_equal(const struct pgq_member_tags *rec, const struct pgq_cmd_tags *want)
{
	size_t want_n = want->custom != NULL ? json_object_size(want->custom) : 0;
	size_t rec_n = rec->custom != NULL ? json_object_size(rec->custom) : 0;

	if (rec->nofailover != want->nofailover || rec->noloadbalance != want->noloadbalance ||
	    rec->nosync != want->nosync || rec->failover_priority != want->failover_priority)
		return false;
	if (want_n == 0 || rec_n == 0)
		return want_n == rec_n;
	return json_equal(rec->custom, want->custom) == 1;
}

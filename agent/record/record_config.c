/*
 * record_config.c — the dynamic configuration kept in the cluster record
 * (`pgquorumctl edit-config`, PATCH/PUT /config).
 *
 * The record stores what the operator set (a sparse JSON object); the
 * effective configuration is the defaults overlaid with it. Every change is
 * validated as a whole before it is installed, so a bad patch changes nothing.
 * Durations are given in seconds (integer or decimal, as Patroni users
 * write them) and kept in milliseconds.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

static const char *const config_keys[] = {
	"ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover",
	"synchronous_mode", "synchronous_node_count", "synchronous_mode_strict",
	"failover_backoff", "switchover_max_lag", "promote_timeout", "member_slots_ttl",
	"postgresql", NULL,
};

static json_t *config_defaults(void)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:s, s:i, s:b, s:i, s:i, s:i, s:i,"
			 " s:{s:{}, s:b, s:[]}}",
			 "ttl", 30, "loop_wait", 10, "retry_timeout", 10,
			 "maximum_lag_on_failover", 1048576,
			 "synchronous_mode", "off", "synchronous_node_count", 1,
			 "synchronous_mode_strict", 0,
			 "failover_backoff", 60, "switchover_max_lag", 1048576,
			 "promote_timeout", 60, "member_slots_ttl", 1800,
			 "postgresql", "parameters", "use_pg_rewind", 1, "pg_hba");
}

json_t *pgq_dyn_config_effective(const json_t *config)
{
	json_t *eff = config_defaults();

	if (eff == NULL)
		return NULL;
	if (config != NULL && json_object_update_recursive(eff, (json_t *)config) != 0) {
		json_decref(eff);
		return NULL;
	}
	return eff;
}

/* A duration in seconds within [min_s, max_s], returned in milliseconds. */
static bool duration_ms(const json_t *o, const char *key, double min_s, double max_s,
			uint32_t *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);
	double s;

	if (!json_is_number(v)) {
		snprintf(why, wl, "config '%s' must be a number of seconds", key);
		return false;
	}
	s = json_number_value(v);
	if (!isfinite(s) || s < min_s || s > max_s) {
		snprintf(why, wl, "config '%s' must be between %g and %g seconds", key, min_s, max_s);
		return false;
	}
	*out = (uint32_t)(s * 1000.0 + 0.5);
	return true;
}

static bool bytes_value(const json_t *o, const char *key, uint64_t *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, wl, "config '%s' must be a non-negative integer (bytes)", key);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool bool_value(const json_t *o, const char *key, bool *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v)) {
		snprintf(why, wl, "config '%s' must be true or false", key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

static bool sync_mode_value(const json_t *o, enum pgq_record_sync_mode *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, "synchronous_mode");
	const char *s = json_string_value(v);

	/* Patroni accepts true/false too. */
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? PGQ_RECORD_SYNC_ON : PGQ_RECORD_SYNC_OFF;
		return true;
	}
	if (s != NULL && strcmp(s, "off") == 0)
		*out = PGQ_RECORD_SYNC_OFF;
	else if (s != NULL && strcmp(s, "on") == 0)
		*out = PGQ_RECORD_SYNC_ON;
	else if (s != NULL && strcmp(s, "quorum") == 0)
		*out = PGQ_RECORD_SYNC_QUORUM;
	else {
		snprintf(why, wl, "config 'synchronous_mode' must be off, on or quorum");
		return false;
	}
	return true;
}

static bool valid_param_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PGQ_RECORD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static bool postgresql_section(const json_t *eff, bool *use_pg_rewind, char *why, size_t wl)
{
	static const char *const keys[] = { "parameters", "use_pg_rewind", "pg_hba", NULL };
	const json_t *pg = json_object_get(eff, "postgresql");
	const json_t *params, *hba, *v;
	const char *key;
	size_t i;

	if (!json_is_object(pg)) {
		snprintf(why, wl, "config 'postgresql' must be an object");
		return false;
	}
	if (!fld_check_keys(pg, keys, why, wl)) {
		char inner[PGQ_WHY_MAX];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, wl, "config 'postgresql': %.200s", inner);
		return false;
	}
	params = json_object_get(pg, "parameters");
	if (!json_is_object(params)) {
		snprintf(why, wl, "config 'postgresql.parameters' must be an object");
		return false;
	}
	json_object_foreach((json_t *)params, key, v) {
		if (!valid_param_name(key)) {
			snprintf(why, wl, "config 'postgresql.parameters': bad parameter name '%.64s'", key);
			return false;
		}
		if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v))) {
			snprintf(why, wl, "config 'postgresql.parameters.%.64s' must be a string, number or boolean", key);
			return false;
		}
	}
	if (!json_is_boolean(json_object_get(pg, "use_pg_rewind"))) {
		snprintf(why, wl, "config 'postgresql.use_pg_rewind' must be true or false");
		return false;
	}
	*use_pg_rewind = json_is_true(json_object_get(pg, "use_pg_rewind"));
	hba = json_object_get(pg, "pg_hba");
	if (!json_is_array(hba)) {
		snprintf(why, wl, "config 'postgresql.pg_hba' must be an array of strings");
		return false;
	}
	json_array_foreach(hba, i, v) {
		if (!json_is_string(v)) {
			snprintf(why, wl, "config 'postgresql.pg_hba[%zu]' must be a string", i);
			return false;
		}
	}
	return true;
}

int pgq_dyn_config_validate(const json_t *config, struct pgq_dyn_config *out, char *why, size_t wl)
{
	struct pgq_dyn_config c = { 0 };
	json_t *eff;
	const json_t *cnt;
	bool ok;

	if (!json_is_object(config))
		return rec_reject(why, wl, "configuration must be a JSON object");
	eff = pgq_dyn_config_effective(config);
	if (eff == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	cnt = json_object_get(eff, "synchronous_node_count");
	ok = fld_check_keys(eff, config_keys, why, wl) &&
	     duration_ms(eff, "ttl", 1, 3600, &c.ttl_ms, why, wl) &&
	     duration_ms(eff, "loop_wait", 0.1, 3600, &c.loop_wait_ms, why, wl) &&
	     duration_ms(eff, "retry_timeout", 0.1, 3600, &c.retry_timeout_ms, why, wl) &&
	     bytes_value(eff, "maximum_lag_on_failover", &c.maximum_lag_on_failover_bytes, why, wl) &&
	     sync_mode_value(eff, &c.synchronous_mode, why, wl) &&
	     bool_value(eff, "synchronous_mode_strict", &c.synchronous_mode_strict, why, wl) &&
	     duration_ms(eff, "failover_backoff", 0, 86400, &c.failover_backoff_ms, why, wl) &&
	     bytes_value(eff, "switchover_max_lag", &c.switchover_max_lag_bytes, why, wl) &&
	     duration_ms(eff, "promote_timeout", 1, 86400, &c.promote_timeout_ms, why, wl) &&
	     duration_ms(eff, "member_slots_ttl", 0, 30 * 86400, &c.member_slots_ttl_ms, why, wl) &&
	     postgresql_section(eff, &c.use_pg_rewind, why, wl);
	if (ok && (!json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
		   json_integer_value(cnt) >= PGQ_RECORD_MAX_MEMBERS)) {
		snprintf(why, wl, "config 'synchronous_node_count' must be an integer from 1 to %d",
			 PGQ_RECORD_MAX_MEMBERS - 1);
		ok = false;
	}
	if (ok)
		c.synchronous_node_count = (uint32_t)json_integer_value(cnt);
	/* Patroni's rule: a renewal must get through its retries within one ttl. */
	if (ok && (uint64_t)c.loop_wait_ms + 2 * (uint64_t)c.retry_timeout_ms > c.ttl_ms) {
		snprintf(why, wl, "config needs loop_wait + 2 * retry_timeout <= ttl (%u + 2 * %u > %u ms)",
			 c.loop_wait_ms, c.retry_timeout_ms, c.ttl_ms);
		ok = false;
	}
	json_decref(eff);
	if (!ok)
		return PGQ_RECORD_REJECTED;
	*out = c;
	return 0;
}

json_t *pgq_json_merge_patch(const json_t *target, const json_t *patch)
{
	json_t *result;
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	result = json_is_object(target) ? json_deep_copy(target) : json_object();
	if (result == NULL)
		return NULL;
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			json_object_del(result, key);
		} else {
			json_t *merged = pgq_json_merge_patch(json_object_get(result, key), v);

			if (merged == NULL || json_object_set_new(result, key, merged) != 0) {
				json_decref(result);
				return NULL;
			}
		}
	}
	return result;
}

/*
 * record_fields.c — typed readers for the fields of commands and snapshots.
 *
 * Commands and snapshots arrive from peers and disks: every field is checked
 * for presence, type and range, and a failure names the key, so a refusal
 * reads the same on every node (S17, R6). Integers are limited to
 * [0, INT64_MAX] because JSON integers are signed 64-bit in jansson.
 */
#include <stdio.h>
#include <string.h>

#include "record/record_internal.h"

static bool absent(const json_t *v, const char *key, bool required, char *why, size_t wl)
{
	if (v == NULL && required)
		snprintf(why, wl, "missing field '%s'", key);
	return v == NULL;
}

bool fld_check_keys(const json_t *o, const char *const *allowed, char *why, size_t wl)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		bool ok = strcmp(key, "v") == 0 || strcmp(key, "cmd") == 0;

		for (size_t i = 0; !ok && allowed[i] != NULL; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			snprintf(why, wl, "unknown field '%.64s'", key);
			return false;
		}
	}
	return true;
}

bool fld_str(const json_t *o, const char *key, bool required, char *out, size_t outsz,
	     char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);
	size_t len;

	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_string(v)) {
		snprintf(why, wl, "field '%s' must be a string", key);
		return false;
	}
	len = json_string_length(v);
	if (len >= outsz || strlen(json_string_value(v)) != len) {
		snprintf(why, wl, "field '%s' is longer than %zu bytes", key, outsz - 1);
		return false;
	}
	memcpy(out, json_string_value(v), len + 1);
	return true;
}

bool valid_member_name(const char *s)
{
	size_t n = strlen(s);

	/* application_name and replication slot friendly (S10: name = application_name). */
	if (n == 0 || n >= PGQ_RECORD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool pgq_record_valid_member_name(const char *name)
{
	return name != NULL && valid_member_name(name);
}

bool fld_name(const json_t *o, const char *key, bool required, char *out, char *why, size_t wl)
{
	char tmp[PGQ_RECORD_NAME_MAX] = "";

	if (!fld_str(o, key, required, tmp, sizeof(tmp), why, wl))
		return false;
	if (json_object_get(o, key) == NULL)
		return true;
	if (!valid_member_name(tmp)) {
		snprintf(why, wl, "field '%s' is not a valid member name ([A-Za-z0-9_.-], 1-%d chars)",
			 key, PGQ_RECORD_NAME_MAX - 1);
		return false;
	}
	memcpy(out, tmp, sizeof(tmp));
	return true;
}

bool fld_u64(const json_t *o, const char *key, bool required, uint64_t *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, wl, "field '%s' must be a non-negative integer", key);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool fld_u32(const json_t *o, const char *key, bool required, uint32_t max, uint32_t *out,
	     char *why, size_t wl)
{
	uint64_t v = *out;

	if (!fld_u64(o, key, required, &v, why, wl))
		return false;
	if (v > max) {
		snprintf(why, wl, "field '%s' must be at most %u", key, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool fld_i32(const json_t *o, const char *key, bool required, int32_t *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX) {
		snprintf(why, wl, "field '%s' must be a 32-bit integer", key);
		return false;
	}
	*out = (int32_t)json_integer_value(v);
	return true;
}

bool fld_bool(const json_t *o, const char *key, bool required, bool *out, char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_boolean(v)) {
		snprintf(why, wl, "field '%s' must be true or false", key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

bool fld_object(const json_t *o, const char *key, bool required, const json_t **out,
		char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_object(v)) {
		snprintf(why, wl, "field '%s' must be an object", key);
		return false;
	}
	*out = v;
	return true;
}

bool fld_array(const json_t *o, const char *key, bool required, const json_t **out,
	       char *why, size_t wl)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (absent(v, key, required, why, wl))
		return !required;
	if (!json_is_array(v)) {
		snprintf(why, wl, "field '%s' must be an array", key);
		return false;
	}
	*out = v;
	return true;
}

int fld_tags(const json_t *o, struct pgq_member_tags *t, char *why, size_t wl)
{
	static const char *const keys[] = { "nofailover", "noloadbalance", "nosync",
					    "failover_priority", "custom", NULL };
	struct pgq_member_tags nt = { .failover_priority = 1 };
	const json_t *custom = NULL;
	const char *key;
	json_t *v;

	if (o != NULL) {
		if (!fld_check_keys(o, keys, why, wl) ||
		    !fld_bool(o, "nofailover", false, &nt.nofailover, why, wl) ||
		    !fld_bool(o, "noloadbalance", false, &nt.noloadbalance, why, wl) ||
		    !fld_bool(o, "nosync", false, &nt.nosync, why, wl) ||
		    !fld_i32(o, "failover_priority", false, &nt.failover_priority, why, wl) ||
		    !fld_object(o, "custom", false, &custom, why, wl)) {
			char inner[PGQ_WHY_MAX];

			snprintf(inner, sizeof(inner), "%s", why);
			return rec_reject(why, wl, "tags: %.200s", inner);
		}
	}
	if (custom != NULL) {
		/* Custom tags feed REST ?tag_key=value filters: scalars only, short. */
		json_object_foreach((json_t *)custom, key, v) {
			if (strlen(key) == 0 || strlen(key) >= PGQ_RECORD_NAME_MAX ||
			    !(json_is_string(v) || json_is_integer(v) || json_is_boolean(v)) ||
			    (json_is_string(v) && json_string_length(v) >= PGQ_RECORD_ADDR_MAX))
				return rec_reject(why, wl, "tags: custom tag '%.64s' must be a short string, integer or boolean", key);
		}
		if (json_object_size(custom) > 32)
			return rec_reject(why, wl, "tags: more than 32 custom tags");
		nt.custom = json_deep_copy(custom);
	} else {
		nt.custom = json_object();
	}
	if (nt.custom == NULL)
		return PGQ_RECORD_ERR_NOMEM;
	*t = nt;
	return 0;
}

json_t *tags_to_json(const struct pgq_member_tags *t)
{
	return json_pack("{s:b, s:b, s:b, s:i, s:O}", "nofailover", t->nofailover,
			 "noloadbalance", t->noloadbalance, "nosync", t->nosync,
			 "failover_priority", (json_int_t)t->failover_priority, "custom", t->custom);
}

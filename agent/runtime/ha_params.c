/*
 * ha_params.c — the record's postgresql.parameters for pgquorum.conf (see
 * ha_params.h). The record validated names and types at apply; values are
 * still checked again when pgquorum.conf is rendered (no line breaks).
 */
#include "runtime/ha_params.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *params_of(const json_t *eff)
{
	return json_object_get(json_object_get(eff, "postgresql"), "parameters");
}

static char *value_text(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "on" : "off");
	else
		return NULL;
	return strdup(buf);
}

void ha_params_free(struct ha_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->kv[i].key);
		free(p->kv[i].value);
	}
	free(p->kv);
	p->kv = NULL;
	p->n = 0;
}

int ha_params_from_record(const struct pgq_record *r, struct ha_params *out)
{
	json_t *eff = pgq_record_config_effective(r);
	const json_t *params = params_of(eff);
	const char *key;
	json_t *v;

	out->kv = NULL;
	out->n = 0;
	if (eff == NULL)
		return -1;
	if (json_object_size(params) > 0) {
		out->kv = calloc(json_object_size(params), sizeof *out->kv);
		if (out->kv == NULL) {
			json_decref(eff);
			return -1;
		}
	}
	json_object_foreach((json_t *)params, key, v) {
		struct pgq_config_kv *kv = &out->kv[out->n];

		kv->key = strdup(key);
		kv->value = value_text(v);
		out->n++;
		if (kv->key == NULL || kv->value == NULL) {
			ha_params_free(out);
			json_decref(eff);
			return -1;
		}
	}
	json_decref(eff);
	return 0;
}

uint64_t ha_params_key(const struct pgq_record *r)
{
	json_t *eff = pgq_record_config_effective(r);
	char *text = eff != NULL ? json_dumps(params_of(eff), JSON_COMPACT | JSON_SORT_KEYS |
					      JSON_ENCODE_ANY) : NULL;
	uint64_t h = 1469598103934665603ull;

	for (const char *p = text; p != NULL && *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	free(text);
	json_decref(eff);
	return h;
}

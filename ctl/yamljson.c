/*
 * yamljson.c — YAML ↔ JSON helpers for show-config / edit-config. The agent
 * speaks JSON; operators edit YAML, as with patronictl. A plain scalar's
 * type follows YAML 1.2's core schema, restricted to what JSON can hold.
 */
#include "yamljson.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CTL_YAML_MAX_DEPTH 64

static int is_int_text(const char *s, long long *out)
{
	char *end;
	int base = 10;
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		if (p != s) /* YAML 1.2: no sign on hex/octal */
			return 0;
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
		if (*p == '\0')
			return 0;
	} else {
		p = s;
	}
	errno = 0;
	*out = strtoll(p, &end, base);
	if (*end != '\0')
		return 0;
	return errno == 0 ? 1 : -1; /* -1: an integer JSON cannot hold */
}

static int is_real_text(const char *s, double *out)
{
	char *end;
	const char *p = s;
	int digits = 0;

	/* [-+]? ( . [0-9]+ | [0-9]+ ( . [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0;
}

json_t *ctl_yaml_scalar(const char *text)
{
	long long i;
	double d;

	if (text[0] == '\0' || strcmp(text, "~") == 0 || strcasecmp(text, "null") == 0)
		return json_null();
	if (strcasecmp(text, "true") == 0)
		return json_true();
	if (strcasecmp(text, "false") == 0)
		return json_false();
	switch (is_int_text(text, &i)) {
	case 1:
		return json_integer(i);
	case -1: /* kept as text rather than silently rounded to a real */
		return json_string(text);
	default:
		break;
	}
	if (is_real_text(text, &d))
		return json_real(d);
	return json_string(text);
}

int ctl_yaml_plain_is_string(const char *text)
{
	json_t *v;
	int is_string;
	size_t n = strlen(text);

	if (n == 0)
		return 0;
	/* Texts the plain style cannot carry unchanged: leading/trailing
	 * space, indicators, ": " and " #" inside. libyaml's emitter quotes
	 * most of these itself; we only need the type question here. */
	v = ctl_yaml_scalar(text);
	is_string = json_is_string(v);
	json_decref(v);
	if (!is_string)
		return 0;
	/* Other YAML 1.1 booleans, which older readers (PyYAML) take as bool. */
	if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "no") == 0 ||
	    strcasecmp(text, "on") == 0 || strcasecmp(text, "off") == 0 ||
	    strcasecmp(text, "y") == 0 || strcasecmp(text, "n") == 0)
		return 0;
	return 1;
}

/* ---- parser ---- */

struct yparse {
	yaml_parser_t p;
	char *err;
	size_t errlen;
};

static json_t *parse_node(struct yparse *y, yaml_event_t *ev, int depth);

static int next_event(struct yparse *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		snprintf(y->err, y->errlen, "YAML error at line %zu: %s",
			 y->p.problem_mark.line + 1, y->p.problem != NULL ? y->p.problem : "invalid");
		return -1;
	}
	return 0;
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(text, ev->data.scalar.length);
	return ctl_yaml_scalar(text);
}

static json_t *parse_mapping(struct yparse *y, int depth)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	if (obj == NULL)
		return NULL;
	for (;;) {
		json_t *val;
		char *key;

		if (next_event(y, &ev) != 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return obj;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			snprintf(y->err, y->errlen, "YAML error at line %zu: keys must be scalars",
				 ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			goto fail;
		}
		key = strdup((const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (key == NULL)
			goto fail;
		if (json_object_get(obj, key) != NULL) {
			snprintf(y->err, y->errlen, "YAML error at line %zu: duplicate key \"%s\"",
				 y->p.mark.line + 1, key);
			free(key);
			goto fail;
		}
		if (next_event(y, &ev) != 0) {
			free(key);
			goto fail;
		}
		val = parse_node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (val == NULL || json_object_set_new(obj, key, val) != 0) {
			free(key);
			goto fail;
		}
		free(key);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_sequence(struct yparse *y, int depth)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	if (arr == NULL)
		return NULL;
	for (;;) {
		json_t *val;

		if (next_event(y, &ev) != 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		val = parse_node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (val == NULL || json_array_append_new(arr, val) != 0)
			break;
	}
	json_decref(arr);
	return NULL;
}

/* ev: the node's first event (owned by the caller). */
static json_t *parse_node(struct yparse *y, yaml_event_t *ev, int depth)
{
	if (depth > CTL_YAML_MAX_DEPTH) {
		snprintf(y->err, y->errlen, "YAML error: nested deeper than %d", CTL_YAML_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			break;
		return scalar_value(ev);
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor != NULL)
			break;
		return parse_mapping(y, depth);
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor != NULL)
			break;
		return parse_sequence(y, depth);
	default:
		break;
	}
	snprintf(y->err, y->errlen, "YAML error at line %zu: anchors and aliases are not supported",
		 ev->start_mark.line + 1);
	return NULL;
}

json_t *ctl_yaml_loads(const char *text, size_t len, char *err, size_t errlen)
{
	struct yparse y = { .err = err, .errlen = errlen };
	yaml_event_t ev;
	json_t *doc = NULL;

	snprintf(err, errlen, "out of memory");
	if (!yaml_parser_initialize(&y.p))
		return NULL;
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	/* stream start, then a document start or the stream end */
	if (next_event(&y, &ev) != 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&y, &ev) != 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		doc = json_object();
		goto out;
	}
	yaml_event_delete(&ev);
	if (next_event(&y, &ev) != 0)
		goto out;
	doc = parse_node(&y, &ev, 0);
	yaml_event_delete(&ev);
	if (doc == NULL)
		goto out;
	if (json_is_null(doc)) { /* an empty document */
		json_decref(doc);
		doc = json_object();
	}
	if (next_event(&y, &ev) != 0) /* document end */
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(&y, &ev) != 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		snprintf(err, errlen, "YAML error: more than one document");
		goto fail;
	}
	yaml_event_delete(&ev);
	goto out;
fail:
	json_decref(doc);
	doc = NULL;
out:
	yaml_parser_delete(&y.p);
	return doc;
}

int ctl_patch_add_set(json_t *patch, const char *assignment, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	char *path, *save = NULL, *part, *next;
	json_t *node = patch, *value;

	if (eq == NULL || eq == assignment) {
		snprintf(err, errlen, "--set expects KEY=VALUE, got \"%s\"", assignment);
		return -1;
	}
	path = strndup(assignment, (size_t)(eq - assignment));
	if (path == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (path[0] == '.' || path[strlen(path) - 1] == '.' || strstr(path, "..") != NULL) {
		snprintf(err, errlen, "--set: empty key part in \"%s\"", path);
		free(path);
		return -1;
	}
	part = strtok_r(path, ".", &save);
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		json_t *child = json_object_get(node, part);

		if (!json_is_object(child)) {
			child = json_object();
			if (child == NULL || json_object_set_new(node, part, child) != 0) {
				snprintf(err, errlen, "out of memory");
				free(path);
				return -1;
			}
		}
		node = child;
		part = next;
	}
	value = ctl_yaml_scalar(eq + 1);
	if (value == NULL || json_object_set_new(node, part, value) != 0) {
		snprintf(err, errlen, "out of memory");
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

json_t *ctl_merge_patch_diff(const json_t *from, const json_t *to)
{
	json_t *patch = json_object();
	const char *key;
	json_t *v;

	if (patch == NULL)
		return NULL;
	json_object_foreach((json_t *)from, key, v) {
		if (json_object_get(to, key) == NULL &&
		    json_object_set_new(patch, key, json_null()) != 0)
			goto fail;
	}
	json_object_foreach((json_t *)to, key, v) {
		json_t *old = json_object_get(from, key);

		if (old != NULL && json_equal(old, v))
			continue;
		if (json_is_object(old) && json_is_object(v)) {
			json_t *sub = ctl_merge_patch_diff(old, v);
			if (sub == NULL || json_object_set_new(patch, key, sub) != 0)
				goto fail;
		} else if (json_object_set(patch, key, v) != 0) {
			goto fail;
		}
	}
	return patch;
fail:
	json_decref(patch);
	return NULL;
}

json_t *ctl_merge_patch_apply(const json_t *target, const json_t *patch)
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	if (out == NULL)
		return NULL;
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			json_object_del(out, key);
		} else {
			json_t *merged = ctl_merge_patch_apply(json_object_get(out, key), v);
			if (merged == NULL || json_object_set_new(out, key, merged) != 0) {
				json_decref(out);
				return NULL;
			}
		}
	}
	return out;
}

/*
 * yamljson.h — YAML text to JSON values (libyaml's parser), YAML scalar
 * typing, `--set key=value` to a JSON merge patch (RFC 7386), and the merge
 * patch that turns one configuration into another (edit-config).
 * Pure functions; every json_t returned is a new reference the caller owns.
 */
#ifndef PGQ_CTL_YAMLJSON_H
#define PGQ_CTL_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

/* The JSON value of an unquoted YAML scalar: null (null, ~, empty),
 * booleans (true/false, any case), integers (decimal, 0x hex, 0o octal),
 * reals (1.5, 1e3, .inf, .nan excluded: JSON has none), else a string. */
json_t *ctl_yaml_scalar(const char *text);

/* True when the plain scalar text reads back as a string (so printing a
 * string with this text needs no quotes). */
int ctl_yaml_plain_is_string(const char *text);

/*
 * Parse one YAML document (mappings, sequences, scalars; anchors and
 * aliases refused) into JSON. Mapping keys must be scalars; duplicates are
 * refused. An empty document gives an empty object. NULL with err on error
 * (with the line number).
 */
json_t *ctl_yaml_loads(const char *text, size_t len, char *err, size_t errlen);

/*
 * Add "a.b.c=value" to the merge patch *patch (an object): the value is a
 * YAML scalar (`null` deletes the key, as RFC 7386 says). Keys are split on
 * '.'; each part must be non-empty. Returns 0, or -1 with err.
 */
int ctl_patch_add_set(json_t *patch, const char *assignment, char *err, size_t errlen);

/* The RFC 7386 merge patch that turns `from` into `to` (both objects):
 * removed keys are null, changed objects recurse, other changes replace.
 * Returns a new object (empty when equal), NULL on no memory. */
json_t *ctl_merge_patch_diff(const json_t *from, const json_t *to);

/* RFC 7386: a new value = patch applied to target (target unchanged).
 * A non-object patch replaces; null members delete. NULL on no memory. */
json_t *ctl_merge_patch_apply(const json_t *target, const json_t *patch);

#endif /* PGQ_CTL_YAMLJSON_H */

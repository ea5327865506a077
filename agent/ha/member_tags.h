/*
 * member_tags.h — this member's configured `tags` as the record should
 * carry them (members[].tags). The record's copy is what every decision
 * reads (R4: nofailover, failover_priority; noloadbalance and custom tags
 * for the REST filters), so each agent publishes its own tags through
 * member_update whenever the record's copy differs from its configuration
 * (after bootstrap or join, and after a reload that changed them).
 * Pure functions; no I/O.
 */
#ifndef PGQ_HA_MEMBER_TAGS_H
#define PGQ_HA_MEMBER_TAGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "pgq_config.h"
#include "record/record.h"
#include "record/record_cmd.h"

/*
 * The configured tags as a member_update's tags. On success returns 0,
 * fills *out and sets *custom to a new JSON object of the custom tags
 * (string values, as the configuration holds them), owned by the caller
 * (json_decref); out->custom points at it. Returns -1 with err when the
 * record would refuse them (a key of 64 characters or more, a value of
 * 256 or more, more than 32 custom tags, a negative priority) or
 * out of memory; *custom is then NULL.
 */
int pgq_ha_tags_from_config(const struct pgq_config_tags *cfg, struct pgq_cmd_tags *out,
			    json_t **custom, char *err, size_t errlen);

/* True when the record's tags equal `want` (custom compared as JSON; NULL = none). */
bool pgq_ha_tags_equal(const struct pgq_member_tags *rec, const struct pgq_cmd_tags *want);

#endif /* PGQ_HA_MEMBER_TAGS_H */

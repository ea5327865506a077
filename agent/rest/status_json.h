/*
 * status_json.h — the member's status document, with the field names of
 * Patroni's GET /patroni (so tools written for Patroni read it unchanged),
 * plus pgquorum's own epoch, lease_remaining_ms and raft block.
 * docs/rest-api.md lists every field and when it is omitted.
 */
#ifndef PGQ_REST_STATUS_JSON_H
#define PGQ_REST_STATUS_JSON_H

#include "rest/member_view.h"

#include <jansson.h>
#include <stdint.h>

/* A new JSON object (caller owns the reference), or NULL when out of memory. */
json_t *pgq_rest_status_json(const struct pgq_member_view *v, int64_t now_ms);

/* The same, as compact text the caller free()s; NULL when out of memory. */
char *pgq_rest_status_text(const struct pgq_member_view *v, int64_t now_ms);

#endif /* PGQ_REST_STATUS_JSON_H */

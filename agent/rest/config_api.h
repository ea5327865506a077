/*
 * config_api.h — the pure logic behind GET/PATCH/PUT /config, GET /history
 * and the time of a scheduled switchover (Patroni's REST contract; see
 * docs/rest-api.md). No I/O, no clock: rest.c and the runtime (api.c) feed
 * it the record and the request, it answers with JSON or an error text.
 */
#ifndef PGQ_REST_CONFIG_API_H
#define PGQ_REST_CONFIG_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgq_record;

/* What a PATCH or PUT /config asks for, once checked. */
struct pgq_config_change {
	/*
	 * The record command's payload, a new reference: for PATCH the merge
	 * patch without "pause", for PUT the whole configuration without
	 * "pause". NULL: the body held nothing but "pause".
	 */
	json_t *config;
	int pause; /* -1: leave the maintenance flag; 0: resume; 1: pause (S18) */
};

/*
 * Check a PATCH (replace false) or PUT (replace true) body against the
 * stored configuration `stored` (borrowed; NULL counts as {}). The result
 * of the change is validated as a whole with the record's own rules
 * (pgq_dyn_config_validate: unknown keys, types, ranges, loop_wait +
 * 2 x retry_timeout <= ttl), so a change the record would reject is
 * refused here with the same reason. `pause` (boolean, or null = false) is
 * taken out: the record keeps it as its own flag. Returns 0 and fills *out
 * (free with pgq_config_change_free), or -1 with err set (an HTTP 400).
 */
int pgq_config_change_parse(const json_t *body, bool replace, const json_t *stored,
			    struct pgq_config_change *out, char *err, size_t errlen);
void pgq_config_change_free(struct pgq_config_change *c);

/*
 * GET /config: the effective configuration (defaults overlaid with what
 * is stored, so every key in force is shown) plus "pause": true while the
 * cluster is paused, as Patroni shows it. New reference, NULL on ENOMEM.
 */
json_t *pgq_config_view(const json_t *stored, bool paused);

/*
 * GET /history: Patroni's rows [timeline, lsn, reason, timestamp,
 * new_primary], oldest first, one per change of primary recorded after the
 * bootstrap (Patroni's history starts with the first promotion): timeline
 * is the one that ended, lsn where it ended (bytes), reason failover |
 * manual | switchover, timestamp ISO 8601 UTC. New reference or NULL.
 */
json_t *pgq_history_rows(const struct pgq_record *r);

/*
 * ISO 8601 date and time with a zone ("2026-11-27T15:30:00+01:00",
 * "...Z", fractions of a second allowed): milliseconds since 1970 UTC.
 * A time without a zone is refused (Patroni: "Timezone information is
 * mandatory"). Returns 0, or -1 with err set.
 */
int pgq_iso8601_parse_zoned(const char *text, int64_t *out_ms, char *err, size_t errlen);
/* Milliseconds since 1970 as "YYYY-MM-DDTHH:MM:SS.mmm+00:00". */
void pgq_iso8601_format_ms(int64_t ms, char *buf, size_t buflen);

#endif /* PGQ_REST_CONFIG_API_H */

/*
 * ha_params.h — the cluster-wide PostgreSQL parameters, as the record's
 * dynamic configuration holds them (`postgresql.parameters`, changed with
 * PATCH/PUT /config or `pgquorumctl edit-config`), turned into the text
 * settings pgquorum.conf needs. Loop thread only.
 */
#ifndef PGQ_RUNTIME_HA_PARAMS_H
#define PGQ_RUNTIME_HA_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "pgq_config.h"
#include "record/record.h"

struct ha_params {
	struct pgq_config_kv *kv;  /* malloc'd, keys and values malloc'd */
	size_t n;
};

/*
 * The effective postgresql.parameters of the record: strings as they are,
 * integers in decimal, decimals with %g, booleans as on/off. 0, or -1 out
 * of memory (*out then empty). Free with ha_params_free.
 */
int ha_params_from_record(const struct pgq_record *r, struct ha_params *out);
void ha_params_free(struct ha_params *p);
/* A fingerprint of those parameters: pgquorum.conf is rewritten when it changes. */
uint64_t ha_params_key(const struct pgq_record *r);

#endif /* PGQ_RUNTIME_HA_PARAMS_H */

/*
 * app.h — the simulated application (the "cluster record" stand-in).
 *
 * Its state is a running hash over every applied entry (index, term, type,
 * bytes), the count of applied proposals, and the configuration as of the
 * applied index (CONF entries are applied to it when committed, so a snapshot
 * taken at the applied index carries the right configuration). Two nodes
 * that applied the same entries have the same hash: the checker compares
 * hashes per index to prove State Machine Safety, across snapshots too.
 *
 * Proposal payloads are 16 bytes: a unique id and a keyed check word, so an
 * applied entry that no client proposed (invented or corrupted) is caught.
 */
#ifndef PGQ_SIM_APP_H
#define PGQ_SIM_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define APP_SNAPSHOT_LEN 28
#define APP_PAYLOAD_LEN 16

struct app {
	raft_index_t applied;
	uint64_t hash;
	uint64_t n_normal;
	struct raft_config config;
	/*
	 * The first leader logs the bootstrap configuration as CONF entries
	 * before its no-op (docs/raft.md); until a no-op (or a snapshot) is
	 * applied, a joiner's configuration is legitimately partial.
	 */
	bool config_settled;
};

void app_reset(struct app *a, const struct raft_config *bootstrap);
/* Applies one committed entry; false when a CONF entry does not decode. */
bool app_apply(struct app *a, const struct raft_entry *e);
void app_snapshot_encode(const struct app *a, uint8_t out[APP_SNAPSHOT_LEN]);
/* Restores from a snapshot; false when its data is not one of ours. */
bool app_restore(struct app *a, const struct raft_snapshot *s);

/* Hash of an entry's type and bytes (index and term are keys elsewhere). */
uint64_t entry_content_hash(const struct raft_entry *e);

void payload_make(uint64_t id, uint64_t key, uint8_t out[APP_PAYLOAD_LEN]);
/* Decodes a payload; false when it was not made by payload_make with key. */
bool payload_parse(const uint8_t *data, size_t len, uint64_t key, uint64_t *id);

/* Applies a membership change to a configuration (pure), as the core does at apply. */
void cfg_apply_change(struct raft_config *c, const struct raft_conf_change *cc);
/* Member lookup: index in c->members or -1. */
int cfg_find(const struct raft_config *c, raft_id_t id);
uint32_t cfg_voters(const struct raft_config *c);
/* Order-independent hash of the members and their roles. */
uint64_t cfg_hash(const struct raft_config *c);
/* "v1 v2 l5" (voters and learners) into buf, for messages. */
const char *cfg_format(const struct raft_config *c, char *buf, size_t len);

#endif /* PGQ_SIM_APP_H */

/*
 * ids.h — Raft member ids derived from member names.
 *
 * Every agent computes every member's id from its name alone (64-bit
 * FNV-1a, never 0), so an agent that joins later, or a peer list written in
 * another order, never disagrees about who is who. See docs/agent.md.
 */
#ifndef PGQ_RUNTIME_IDS_H
#define PGQ_RUNTIME_IDS_H

#include "raft/raft.h"

raft_id_t pgq_member_id(const char *name);

#endif /* PGQ_RUNTIME_IDS_H */

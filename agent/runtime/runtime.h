/*
 * runtime.h — the agent process: one libuv loop that drives the Raft node,
 * the peer transport, the cluster record, the REST server and the timers.
 * See docs/agent.md.
 */
#ifndef PGQ_RUNTIME_H
#define PGQ_RUNTIME_H

#include <stddef.h>

#include "pgq_config.h"

/*
 * Run the agent until SIGTERM/SIGINT or a fatal error. `config` is owned by
 * the runtime from this call on (replaced on SIGHUP, freed at the end);
 * `config_path` is borrowed for the whole run. Returns the process exit
 * status: 0 after a clean shutdown, 1 after a fatal error (message in err).
 */
int pgq_runtime_run(const char *config_path, struct pgq_config *config, char *err, size_t errlen);

#endif /* PGQ_RUNTIME_H */

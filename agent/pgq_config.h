/*
 * config.h — the agent's local YAML configuration (libyaml).
 * OWNER: config module (agent/config.c). The structure below is filled in by
 * that module; main.c only uses the functions.
 */
#ifndef PGQ_CONFIG_H
#define PGQ_CONFIG_H

#include <stdio.h>

#define PGQ_DEFAULT_CONFIG_PATH "/etc/pgquorum/pgquorum.yml"

struct pgq_config;

/*
 * Validate `path`; print every problem to `out` as "FILE:LINE:COLUMN: message".
 * Returns the number of problems (0: valid).
 */
int pgq_config_validate_file(const char *path, FILE *out);

#endif /* PGQ_CONFIG_H */

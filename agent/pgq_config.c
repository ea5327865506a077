/* Placeholder until the config module lands. */
#include "pgq_config.h"

int pgq_config_validate_file(const char *path, FILE *out)
{
	fprintf(out, "%s:1:1: configuration validation is not implemented yet\n", path);
	return 1;
}

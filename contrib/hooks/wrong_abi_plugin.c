/*
 * wrong_abi_plugin.c — a plugin built for another ABI version, on purpose.
 *
 * The agent must refuse it without touching anything but abi_version: the
 * tests check the error names the file and both versions. Not an example
 * to follow.
 */
#include <pgquorum/plugin.h>

static const struct pgq_plugin wrong_abi_plugin = {
	.abi_version = PGQ_PLUGIN_ABI_VERSION + 41u,
	.name = "wrong-abi",
};

const struct pgq_plugin *pgquorum_plugin_init(void)
{
	return &wrong_abi_plugin;
}

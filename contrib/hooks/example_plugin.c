/*
 * example_plugin.c — a minimal pgquorum hook plugin.
 *
 * Build (the tree's `make` does it):
 *   cc -shared -fPIC -I/usr/include -o example_plugin.so example_plugin.c
 * Configure, for any event:
 *   hooks:
 *     on_role_change: { plugin: /usr/lib/pgquorum/example_plugin.so }
 *
 * It appends one line per event to the file named by the environment
 * variable PGQ_EXAMPLE_PLUGIN_OUT (read once, at load), or to stderr, and
 * vetoes pre_promote when PGQ_EXAMPLE_PLUGIN_VETO=1 was set at load. The
 * pgquorum tests use it to check what a plugin receives.
 *
 * Remember: callbacks run on the plugin's own thread, one at a time; the
 * event's strings are valid only during the call.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep under -std=c11 */
#endif
#include <pgquorum/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct example_state {
	char *out_path;   /* NULL: stderr */
	int veto;
};

static int example_init(void **state, char *msg, size_t msglen)
{
	struct example_state *s = calloc(1, sizeof(*s));
	const char *out = getenv("PGQ_EXAMPLE_PLUGIN_OUT");
	const char *veto = getenv("PGQ_EXAMPLE_PLUGIN_VETO");

	if (s == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if (out != NULL && out[0] != '\0' && (s->out_path = strdup(out)) == NULL) {
		free(s);
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	s->veto = veto != NULL && strcmp(veto, "1") == 0;
	*state = s;
	return 0;
}

static void example_fini(void *state)
{
	struct example_state *s = state;

	free(s->out_path);
	free(s);
}

static int record(void *state, const struct pgq_plugin_event *ev, char *msg, size_t msglen)
{
	struct example_state *s = state;
	FILE *f = s->out_path != NULL ? fopen(s->out_path, "a") : stderr;

	if (f == NULL) {
		snprintf(msg, msglen, "cannot open %s", s->out_path);
		return 1;
	}
	fprintf(f,
		"event=%s kind=%d abi=%u cluster=%s member=%s role=%s old_role=%s epoch=%llu "
		"primary=%s primary_host=%s primary_port=%u old_primary=%s old_primary_host=%s "
		"old_primary_port=%u old_primary_raft=%s old_primary_api=%s timeline=%u lsn=%s%llX "
		"reason=%s\n",
		ev->event_name, ev->event, ev->abi_version, ev->cluster, ev->member, ev->role,
		ev->old_role, (unsigned long long)ev->epoch, ev->primary, ev->primary_host,
		ev->primary_port, ev->old_primary, ev->old_primary_host, ev->old_primary_port,
		ev->old_primary_raft, ev->old_primary_api, ev->timeline, ev->has_lsn ? "" : "none:",
		(unsigned long long)ev->lsn, ev->reason);
	if (f != stderr)
		fclose(f);
	snprintf(msg, msglen, "recorded %s", ev->event_name);
	return 0;
}

static int example_pre_promote(void *state, const struct pgq_plugin_event *ev, char *msg,
			       size_t msglen)
{
	struct example_state *s = state;

	if (record(state, ev, msg, msglen) != 0)
		return 1;
	if (s->veto) {
		snprintf(msg, msglen, "promotion of %s vetoed by the example plugin", ev->member);
		return 1;
	}
	return 0;
}

static const struct pgq_plugin example_plugin = {
	.abi_version = PGQ_PLUGIN_ABI_VERSION,
	.name = "example",
	.init = example_init,
	.fini = example_fini,
	.on_start = record,
	.on_stop = record,
	.on_restart = record,
	.on_reload = record,
	.on_role_change = record,
	.pre_promote = example_pre_promote,
	.post_promote = record,
	.fence = record,
	.unfence = record,
	.on_demote = record,
};

const struct pgq_plugin *pgquorum_plugin_init(void)
{
	return &example_plugin;
}

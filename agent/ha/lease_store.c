/*
 * lease_store.c — the persisted lease of S14 (lease_store.h): its text
 * form, what a restart may restore from it, and the start-up fence check.
 */
#include "ha/lease_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "pgquorum-lease 1"
/* The record accepts no renewal ttl above one hour (record_cmd_lease.c). */
#define LEASE_AHEAD_MAX_MS 3600000u

void pgq_lease_persisted_from_state(const struct pgq_ha_member_state *st, const char *boot_id,
				    struct pgq_lease_persisted *out)
{
	const struct pgq_lease *l = &st->lease;

	memset(out, 0, sizeof(*out));
	snprintf(out->boot_id, sizeof(out->boot_id), "%s", boot_id != NULL ? boot_id : "");
	/* A lease given up by a self-fence is no lease (C4). */
	if (l->held && l->epoch != 0 && st->fenced_epoch != l->epoch) {
		out->epoch = l->epoch;
		out->committed_seq = l->committed_seq;
		out->lease_end_ms = l->lease_end_ms;
	}
	out->fenced_epoch = st->fenced_epoch;
}

bool pgq_lease_persisted_equal(const struct pgq_lease_persisted *a,
			       const struct pgq_lease_persisted *b)
{
	return strcmp(a->boot_id, b->boot_id) == 0 && a->epoch == b->epoch &&
	       a->committed_seq == b->committed_seq && a->lease_end_ms == b->lease_end_ms &&
	       a->fenced_epoch == b->fenced_epoch;
}

int pgq_lease_persisted_format(const struct pgq_lease_persisted *p, char *buf, size_t n)
{
	int w = snprintf(buf, n,
			 MAGIC "\nboot_id %s\nepoch %" PRIu64 "\ncommitted_seq %" PRIu64
			       "\nlease_end_boottime_ms %" PRIu64 "\nfenced_epoch %" PRIu64 "\n",
			 p->boot_id[0] != '\0' ? p->boot_id : "-", p->epoch, p->committed_seq,
			 p->lease_end_ms, p->fenced_epoch);

	return w > 0 && (size_t)w < n ? 0 : -1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > (unsigned long long)INT64_MAX)
		return false;
	*out = (uint64_t)v;
	return true;
}

int pgq_lease_persisted_parse(const char *text, struct pgq_lease_persisted *out, char *err,
			      size_t errlen)
{
	static const char *const keys[] = { "boot_id", "epoch", "committed_seq",
					    "lease_end_boottime_ms", "fenced_epoch" };
	struct pgq_lease_persisted p = { 0 };
	const char *line = text;
	unsigned seen = 0;
	size_t lineno = 0;

	if (text == NULL || strncmp(text, MAGIC "\n", sizeof(MAGIC)) != 0) {
		snprintf(err, errlen, "not a pgquorum lease file (first line is not \"%s\")", MAGIC);
		return -1;
	}
	line += sizeof(MAGIC);
	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		char buf[128], *sp;
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		size_t k;

		lineno++;
		if (len == 0 || len >= sizeof(buf) || nl == NULL) {
			snprintf(err, errlen, "line %zu: malformed", lineno + 1);
			return -1;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl + 1;
		sp = strchr(buf, ' ');
		if (sp == NULL) {
			snprintf(err, errlen, "line %zu: expected \"key value\"", lineno + 1);
			return -1;
		}
		*sp++ = '\0';
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(buf, keys[k]) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0]) || (seen & (1u << k)) != 0) {
			snprintf(err, errlen, "line %zu: unknown or repeated key \"%.40s\"", lineno + 1, buf);
			return -1;
		}
		seen |= 1u << k;
		switch (k) {
		case 0:
			if (strlen(sp) == 0 || strlen(sp) >= sizeof(p.boot_id) || strchr(sp, ' ') != NULL) {
				snprintf(err, errlen, "line %zu: bad boot_id", lineno + 1);
				return -1;
			}
			snprintf(p.boot_id, sizeof(p.boot_id), "%s", strcmp(sp, "-") == 0 ? "" : sp);
			break;
		default: {
			uint64_t *dst = k == 1 ? &p.epoch : k == 2 ? &p.committed_seq
					  : k == 3 ? &p.lease_end_ms : &p.fenced_epoch;
			if (!parse_u64(sp, dst)) {
				snprintf(err, errlen, "line %zu: %s is not a number", lineno + 1, keys[k]);
				return -1;
			}
		}
		}
	}
	if (seen != (1u << (sizeof(keys) / sizeof(keys[0]))) - 1) {
		snprintf(err, errlen, "a key is missing");
		return -1;
	}
	*out = p;
	return 0;
}

bool pgq_lease_persisted_restore(const struct pgq_lease_persisted *p, const char *boot_id,
				 uint64_t now_ms, struct pgq_ha_member_state *st)
{
	st->fenced_epoch = p->fenced_epoch;
	/* CLOCK_BOOTTIME restarts at every boot: an end from another boot means nothing. */
	if (boot_id == NULL || boot_id[0] == '\0' || strcmp(p->boot_id, boot_id) != 0)
		return false;
	if (p->epoch == 0 || p->lease_end_ms <= now_ms ||
	    p->lease_end_ms - now_ms > LEASE_AHEAD_MAX_MS || p->fenced_epoch == p->epoch)
		return false;
	pgq_lease_reset(&st->lease, p->epoch);
	st->lease.held = true;
	st->lease.lease_end_ms = p->lease_end_ms;
	st->lease.committed_seq = p->committed_seq;
	return true;
}

bool pgq_ha_startup_must_fence(const struct pgq_ha_pg_obs *pg, const struct pgq_lease *restored,
			       uint64_t now_ms)
{
	if (pgq_ha_classify_local(pg, NULL) != PGQ_LOCAL_WRITABLE)
		return false;
	return !pgq_lease_valid(restored, restored->epoch, now_ms);
}

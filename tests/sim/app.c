/*
 * app.c — the simulated state machine: deterministic hashing of applied
 * entries, its snapshot format, proposal payloads and configuration updates.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

static uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0x7fb5d329728ea185ULL;
	h ^= h >> 27;
	return h;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define APP_MAGIC 0x50534e41u /* "ANSP" */

uint64_t entry_content_hash(const struct raft_entry *e)
{
	uint64_t h = mix64(0x51ed270b27c3a4f1ULL, e->type);

	h = mix64(h, e->len);
	for (uint32_t i = 0; i < e->len; i++)
		h = mix64(h, e->data[i]);
	return h;
}

void app_reset(struct app *a, const struct raft_config *bootstrap)
{
	memset(a, 0, sizeof(*a));
	a->config = *bootstrap;
}

int cfg_find(const struct raft_config *c, raft_id_t id)
{
	for (uint32_t i = 0; i < c->n && i < RAFT_MAX_MEMBERS; i++)
		if (c->members[i].id == id)
			return (int)i;
	return -1;
}

uint32_t cfg_voters(const struct raft_config *c)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < c->n && i < RAFT_MAX_MEMBERS; i++)
		v += c->members[i].voter;
	return v;
}

uint64_t cfg_hash(const struct raft_config *c)
{
	uint64_t h = 0;

	for (uint32_t i = 0; i < c->n && i < RAFT_MAX_MEMBERS; i++)
		h += mix64(0x2545f4914f6cdd1dULL, c->members[i].id * 2 + c->members[i].voter);
	return mix64(h, c->n);
}

const char *cfg_format(const struct raft_config *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < c->n && i < RAFT_MAX_MEMBERS && off < len; i++) {
		int k = snprintf(buf + off, len - off, "%s%c%llu", i ? " " : "",
				 c->members[i].voter ? 'v' : 'l', (unsigned long long)c->members[i].id);

		if (k < 0)
			break;
		off += (size_t)k;
	}
	return buf;
}

void cfg_apply_change(struct raft_config *c, const struct raft_conf_change *cc)
{
	int at = cfg_find(c, cc->id);

	switch (cc->type) {
	case RAFT_CONF_ADD_LEARNER:
		if (at < 0 && c->n < RAFT_MAX_MEMBERS) {
			c->members[c->n].id = cc->id;
			c->members[c->n].voter = false;
			c->n++;
		}
		break;
	case RAFT_CONF_PROMOTE:
		/* docs/raft.md: PROMOTE of an unknown id adds a voter (the bootstrap
		 * configuration logged by the first leader, applied by a joiner). */
		if (at >= 0) {
			c->members[at].voter = true;
		} else if (c->n < RAFT_MAX_MEMBERS) {
			c->members[c->n].id = cc->id;
			c->members[c->n].voter = true;
			c->n++;
		}
		break;
	case RAFT_CONF_REMOVE:
		if (at >= 0) {
			c->members[at] = c->members[c->n - 1];
			c->n--;
		}
		break;
	default:
		break;
	}
}

bool app_apply(struct app *a, const struct raft_entry *e)
{
	bool ok = true;

	a->hash = mix64(mix64(mix64(a->hash, e->index), e->term), entry_content_hash(e));
	a->applied = e->index;
	if (e->type == RAFT_ENTRY_NORMAL)
		a->n_normal++;
	if (e->type == RAFT_ENTRY_NOOP)
		a->config_settled = true;
	if (e->type == RAFT_ENTRY_CONF) {
		struct raft_conf_change cc;

		if (raft_conf_change_decode(e->data, e->len, &cc) == RAFT_OK)
			cfg_apply_change(&a->config, &cc);
		else
			ok = false;
	}
	return ok;
}

void app_snapshot_encode(const struct app *a, uint8_t out[APP_SNAPSHOT_LEN])
{
	out[0] = (uint8_t)APP_MAGIC;
	out[1] = (uint8_t)(APP_MAGIC >> 8);
	out[2] = (uint8_t)(APP_MAGIC >> 16);
	out[3] = (uint8_t)(APP_MAGIC >> 24);
	put_u64(out + 4, a->applied);
	put_u64(out + 12, a->hash);
	put_u64(out + 20, a->n_normal);
}

bool app_restore(struct app *a, const struct raft_snapshot *s)
{
	if (s->len != APP_SNAPSHOT_LEN || !s->data)
		return false;
	uint32_t magic = (uint32_t)s->data[0] | (uint32_t)s->data[1] << 8 |
			 (uint32_t)s->data[2] << 16 | (uint32_t)s->data[3] << 24;

	if (magic != APP_MAGIC || get_u64(s->data + 4) != s->meta.index)
		return false;
	a->applied = s->meta.index;
	a->hash = get_u64(s->data + 12);
	a->n_normal = get_u64(s->data + 20);
	a->config = s->meta.config;
	a->config_settled = true;
	return true;
}

void payload_make(uint64_t id, uint64_t key, uint8_t out[APP_PAYLOAD_LEN])
{
	put_u64(out, id);
	put_u64(out + 8, mix64(key, id));
}

bool payload_parse(const uint8_t *data, size_t len, uint64_t key, uint64_t *id)
{
	if (len != APP_PAYLOAD_LEN || !data)
		return false;
	*id = get_u64(data);
	return get_u64(data + 8) == mix64(key, *id);
}

/*
 * cmds.c — the list of record commands a decision asks the runtime to
 * propose. A fixed array: a decision never produces more than a few.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha/ha.h"

void pgq_ha_cmds_init(struct pgq_ha_cmds *l)
{
	memset(l, 0, sizeof(*l));
}

void pgq_ha_cmds_free(struct pgq_ha_cmds *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->cmd[i].data);
	memset(l, 0, sizeof(*l));
}

int pgq_ha_cmds_add(struct pgq_ha_cmds *l, int build_rc, uint8_t *data, size_t len,
		    const char *name, const char *fmt, ...)
{
	struct pgq_ha_cmd *c;
	va_list ap;

	if (build_rc != 0) {
		free(data);
		return build_rc;
	}
	if (l->n >= PGQ_HA_MAX_CMDS) {
		free(data);
		return PGQ_RECORD_ERR_INVALID;
	}
	c = &l->cmd[l->n++];
	c->data = data;
	c->len = len;
	snprintf(c->name, sizeof(c->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return 0;
}

int pgq_ha_cmds_find(const struct pgq_ha_cmds *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->cmd[i].name, name) == 0)
			return (int)i;
	return -1;
}

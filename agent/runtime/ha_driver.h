/*
 * ha_driver.h — the runtime's HA driver (postgresql.manage: true): on the
 * agent's loop it observes the local PostgreSQL through the PostgreSQL
 * manager (agent/pgmgr), feeds the pure HA decisions (agent/ha), proposes
 * their record commands and carries out their actions, one PostgreSQL
 * operation at a time, never blocking the loop. See docs/agent.md
 * ("PostgreSQL management").
 *
 * Internal to agent/runtime/. Everything runs on the loop thread.
 */
#ifndef PGQ_RUNTIME_HA_DRIVER_H
#define PGQ_RUNTIME_HA_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgq_runtime;
struct ha_driver;

/* Creates the driver and its timer (manage on only). 0, or -1 with err. */
int rt_ha_start(struct pgq_runtime *rt, char *err, size_t errlen);
/* After every Raft batch: note applied entries (S2 timers) and role changes. */
void rt_ha_after_batch(struct pgq_runtime *rt);
/*
 * S3 (ha_s3.c): a LEASE_AGE frame from peer_id. A query is answered on any
 * agent that holds the entry; an answer feeds the leader's shortened wait.
 */
struct pgq_frame_lease_age;
void rt_ha_on_lease_age(struct pgq_runtime *rt, const char *peer_name, uint64_t peer_id,
			const struct pgq_frame_lease_age *a);
/* Shutdown: stop the timer and probes; stop PostgreSQL (fast) if it runs. */
void rt_ha_stop(struct pgq_runtime *rt);
/* After the loop ended: free everything. */
void rt_ha_free(struct pgq_runtime *rt);
/* For GET views: "primary"/"replica"/... and may this member accept writes now (S20). */
const char *rt_ha_role(const struct pgq_runtime *rt);
bool rt_ha_primary_ok(const struct pgq_runtime *rt);
/* Publish the member view for the REST health endpoints (ha_view.c). */
void rt_ha_publish_view(struct pgq_runtime *rt);

/*
 * Operator actions on this member's PostgreSQL (ha_member_ops.c), Patroni's
 * POST/DELETE /restart, POST /reload, POST /reinitialize. Each answers the
 * call (now, or for a restart once it ended). Without PostgreSQL management
 * they answer 503.
 */
struct pgq_rest_call;
void rt_ha_restart_post(struct pgq_runtime *rt, struct pgq_rest_call *call);
void rt_ha_restart_delete(struct pgq_runtime *rt, struct pgq_rest_call *call);
void rt_ha_reinit_post(struct pgq_runtime *rt, struct pgq_rest_call *call);
/* Reload PostgreSQL's configuration (rewritten from the record) and fire on_reload. */
void rt_ha_reload(struct pgq_runtime *rt, const char *reason);

#endif /* PGQ_RUNTIME_HA_DRIVER_H */

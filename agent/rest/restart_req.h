/*
 * restart_req.h — Patroni's POST /restart body, parsed and judged without
 * I/O: {schedule, restart_pending, role, postgres_version, timeout}.
 *
 * Why a pure module: the codes and messages are the compatibility surface
 * (scripts written against Patroni test them), so they are unit-tested
 * here, apart from the loop that carries the restart out
 * (agent/runtime/ha_member_ops.c).
 */
#ifndef PGQ_REST_RESTART_REQ_H
#define PGQ_REST_RESTART_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGQ_RESTART_TEXT_LEN 48

struct pgq_restart_req {
	bool has_schedule;
	int64_t schedule_ms;                     /* wall clock, ms since 1970 (UTC) */
	char schedule_text[PGQ_RESTART_TEXT_LEN];/* as given, for the status JSON */
	bool restart_pending;                    /* only when pending_restart is set */
	char role[16];                           /* "primary" | "replica" | "" (any) */
	int postgres_version_num;                /* only when older than this; 0: no filter */
	char postgres_version[PGQ_RESTART_TEXT_LEN]; /* as given */
	uint32_t timeout_s;                      /* 0: the agent's default */
};

/*
 * Parse and validate `body` (a JSON object, or NULL for an empty body) at
 * wall-clock now_ms. Returns 0 with *out filled, or the HTTP status to
 * answer (400, or 422 for a bad or past schedule, as Patroni) with err set
 * to Patroni's message.
 */
int pgq_restart_req_parse(const json_t *body, int64_t now_ms, struct pgq_restart_req *out,
			  char *err, size_t errlen);

/*
 * PostgreSQL's version in Patroni's forms: "15", "15.4", "9.6.24" →
 * 150000, 150004, 90624. Returns 0, or -1 for anything else.
 */
int pgq_postgres_version_parse(const char *text, int *out);

/*
 * Do the request's conditions hold for this member now? role: "primary",
 * "replica" (or "" unknown); server_version: 0 unknown. false with reason
 * set (Patroni's words) when they do not.
 */
bool pgq_restart_req_matches(const struct pgq_restart_req *r, const char *role,
			     int server_version, bool pending_restart, char *reason,
			     size_t reasonlen);

#endif /* PGQ_REST_RESTART_REQ_H */

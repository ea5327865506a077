/*
 * rest_view_fixture.h — member views for the REST logic tests: a primary
 * with its lease, standbys of each kind, a stopped and a crashed
 * PostgreSQL. Every builder starts from pgq_member_view_init(); the test
 * frees the view with pgq_member_view_free().
 */
#ifndef PGQ_TEST_REST_VIEW_FIXTURE_H
#define PGQ_TEST_REST_VIEW_FIXTURE_H

#include "rest/member_view.h"

#include <stdint.h>

#define FX_NOW_MS INT64_C(5000000)           /* the request time of every test */
#define FX_PRIMARY_LSN UINT64_C(50000000)    /* the primary's last known LSN */
#define FX_REPLAY_LAG 4096                   /* standbys replay this far behind */
#define FX_RECEIVE_LAG 1024                  /* and receive this far behind */
#define FX_MAX_LAG_ON_FAILOVER 1048576

enum fx_standby {
	FX_ASYNC,
	FX_SYNC,
	FX_QUORUM,
};

/* node1: the primary, lease 10 s beyond FX_NOW_MS, two walsenders. */
void fx_primary(struct pgq_member_view *v);
/* node2/3/4: a streaming standby of the given kind. */
void fx_standby(struct pgq_member_view *v, enum fx_standby kind);
/* PostgreSQL stopped cleanly (no details). */
void fx_stopped(struct pgq_member_view *v);
/* PostgreSQL died under us (no details). */
void fx_crashed(struct pgq_member_view *v);

#endif

/*
 * record_fixture.h — shared helpers of the cluster record tests: a record
 * fed commands at increasing indices, and checks that a rejection leaves the
 * record unchanged (compared through canonical snapshots).
 */
#ifndef PGQ_RECORD_FIXTURE_H
#define PGQ_RECORD_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "record/record.h"
#include "record/record_cmd.h"

struct fx {
	struct pgq_record *r;
	uint64_t index;               /* index of the last entry fed */
	struct pgq_apply_result res;
	char err[256];
	uint8_t *buf;                 /* scratch for CMD() */
	size_t len;
};

int fx_setup(void **state);
int fx_teardown(void **state);

/* Apply bytes at the next index (takes ownership of data). */
int fx_apply(struct fx *f, uint8_t *data, size_t len);
int fx_apply_str(struct fx *f, const char *json);
/* Apply f->buf built by a builder that returned build_rc. */
int fx_run(struct fx *f, int build_rc);
/* Canonical snapshot without last_index (rejections advance only that). */
char *fx_state(const struct pgq_record *r);
/* Expect a rejection whose reason contains `needle`, with the record unchanged. */
void fx_expect_reject_rc(struct fx *f, int build_rc, const char *needle, const char *file, int line);

#define CMD(f, builder, ...) fx_run((f), builder(__VA_ARGS__, &(f)->buf, &(f)->len))
#define OK(f, builder, ...) \
	do { \
		int rc_ = CMD(f, builder, __VA_ARGS__); \
		if (rc_ != PGQ_RECORD_APPLIED) \
			fail_msg("%s:%d: %s not applied: %s", __FILE__, __LINE__, #builder, \
				 (f)->res.reason); \
	} while (0)
#define REJECT(f, needle, builder, ...) \
	fx_expect_reject_rc((f), builder(__VA_ARGS__, &(f)->buf, &(f)->len), (needle), __FILE__, __LINE__)
/* Same for a raw JSON string. */
void fx_expect_reject_str(struct fx *f, const char *json, const char *needle);

/* Bootstrap pg1, pg2, pg3 (pg1 primary, epoch 1) at time 1000. */
void fx_bootstrap3(struct fx *f, const json_t *config);
/* ... then renew once and record promotion on timeline 1: pg1 is a writable primary. */
void fx_cluster3(struct fx *f, const json_t *config);
/* Renew the current primary's lease with the recorded epoch and lease_seq. */
void fx_renew(struct fx *f);
/* A status report. */
void fx_report(struct fx *f, const char *member, const char *role, uint32_t tli,
	       uint64_t flush_lsn, uint64_t lag_bytes, uint64_t report_for_loss);
/* A report measured after the current loss entry, on the record's timeline (S9). */
void fx_report_valid(struct fx *f, const char *member, uint64_t lsn);
/* Record the current primary lost (with the recorded epoch and lease_seq). */
void fx_lose_primary(struct fx *f);

#endif

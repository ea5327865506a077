/*
 * record_compat.h — include record.h next to pgq_config.h.
 *
 * Both headers define `enum pgq_sync_mode` (PGQ_SYNC_OFF/ON/QUORUM), so a
 * file cannot include both. Until the two modules settle on one
 * definition, the runtime includes the record's copy under other names.
 * Remove this file once record.h and pgq_config.h share the enum.
 */
#ifndef PGQ_RUNTIME_RECORD_COMPAT_H
#define PGQ_RUNTIME_RECORD_COMPAT_H

#ifdef PGQ_CONFIG_H
#define pgq_sync_mode pgq_record_sync_mode_compat
#define PGQ_SYNC_OFF PGQ_RECORD_SYNC_OFF_COMPAT
#define PGQ_SYNC_ON PGQ_RECORD_SYNC_ON_COMPAT
#define PGQ_SYNC_QUORUM PGQ_RECORD_SYNC_QUORUM_COMPAT
#include "record/record.h"
#undef pgq_sync_mode
#undef PGQ_SYNC_OFF
#undef PGQ_SYNC_ON
#undef PGQ_SYNC_QUORUM
#else
#include "record/record.h"
#endif

#endif /* PGQ_RUNTIME_RECORD_COMPAT_H */

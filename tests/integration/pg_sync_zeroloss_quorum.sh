#!/bin/bash
# pg_sync_zeroloss_quorum.sh — R2: no acknowledged commit lost when the primary
# is killed (agent + postmaster, kill -9) PG_SYNC_KILLS times (default 5) in
# synchronous_mode quorum. See pg_sync_zeroloss_lib.sh.
PG_SLOT=6
PG_SYNC_MODE=quorum
. "$(dirname "$0")/pg_sync_zeroloss_lib.sh"

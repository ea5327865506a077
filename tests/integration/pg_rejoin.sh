#!/bin/bash
# pg_rejoin.sh — scenario 3: the old primary diverges, is killed (agent +
# postmaster, kill -9), a standby is promoted, then the old primary's agent
# restarts: it sees the newer epoch, never starts writable, rewinds (its
# timeline diverged) and streams from the new primary; the rows only it had
# are gone. The sampler (pg_is_in_recovery() on every member every 100 ms)
# runs from before the kill to the end and must never see two writable
# members (S1, S12, S14).
PG_SLOT=2
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 8
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 7 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")
pg_sampler_start

pg_sql "$p" "create table t(id int primary key, src text); insert into t select g, 'before' from generate_series(1, 100) g" >/dev/null
lsn=$(pg_sql "$p" "select pg_current_wal_lsn()")
for s in $others; do pg_wait_sql 20 "$s" "select pg_last_wal_receive_lsn() >= '$lsn'::pg_lsn" t; done
# Divergence: stop the standbys' WAL receivers (SIGSTOP: they can neither
# read nor reconnect), end the replication connections on the primary,
# write rows only the old primary gets, kill it (agent + PostgreSQL), then
# let the receivers go on: they find their connection closed.
stopped=""
for s in $others; do
	pid=$(pg_sql "$s" "select pid from pg_stat_wal_receiver")
	[ -n "$pid" ] && kill -STOP "$pid" && stopped="$stopped $pid"
done
pg_sql "$p" "select pg_terminate_backend(pid) from pg_stat_replication" >/dev/null
sleep 0.5
pg_sql "$p" "insert into t select g, 'diverged' from generate_series(101, 120) g" >/dev/null
div=$(pg_sql "$p" "select count(*) from t where src = 'diverged'")
pg_kill9_member "$p"
# shellcheck disable=SC2086
[ -n "$stopped" ] && kill -CONT $stopped
[ "$div" = 20 ] && [ "$(echo "$stopped" | wc -w)" = 2 ]
pg_ok $? "the old primary m$p committed 20 rows while both WAL receivers were stopped ($stopped), then was killed"

# shellcheck disable=SC2086
new=$(pg_wait_primary 60 $others)
rc=$?
nd=$(pg_sql "${new:-0}" "select count(*) from t where src = 'diverged'")
[ $rc = 0 ] && [ "$nd" = 0 ]
pg_ok $? "m${new:-?} is promoted, accepts writes and lacks the 20 diverged rows ($nd): m$p's timeline diverged"
[ -n "$new" ] || { pg_fail_rest 5 "no new primary"; exit 1; }
pg_sql "$new" "insert into t select g, 'after' from generate_series(121, 130) g" >/dev/null

pg_start "$p"
pg_wait_streaming 90 "$new" "$p"
pg_ok $? "the restarted old primary m$p streams from m$new"

[ "$(pg_in_recovery "$p")" = t ]
pg_ok $? "m$p is in recovery (a standby)"

pg_wait_sql 20 "$p" "select count(*) from t where src = 'after'" 10
pg_ok $? "rows written on m$new after the failover reach m$p"

n=$(pg_sql "$p" "select count(*) from t where src = 'diverged'")
[ "$n" = 0 ]
pg_ok $? "m$p's diverged rows are gone: it was rewound (or re-cloned) onto m$new's timeline ($n left)"
if grep -qi "rewind" "$PG_DIR/m$p.log"; then pg_log "m$p's log mentions pg_rewind"; fi

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples every 100 ms, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

#!/bin/bash
# pg_maxlag.sh — scenario 6b: maximum_lag_on_failover is respected (R4).
# Both standbys' WAL receivers are stopped (SIGSTOP) while the primary
# writes about 48 MB of WAL and reports its position; then the primary is
# killed (agent + postmaster) and the receivers continue (they drain what
# the kernel buffered, then lose their upstream). Both standbys lag the old
# primary's last reported position by far more than 1 MB, so nobody may be
# promoted: no member becomes writable and the record says why
# (failover_blocked, L4). When the old primary's agent comes back it is the
# most advanced member (a read-only former primary is a candidate): it is
# primary again and no row is lost.
PG_SLOT=6
. "$(dirname "$0")/pg_lib.sh"

PG_MAX_LAG=1MB
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 6
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 5 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")
pg_sql "$p" "create table big(id int primary key, pad text)" >/dev/null
lsn=$(pg_sql "$p" "select pg_current_wal_lsn()")
stopped=""
for s in $others; do
	pg_wait_sql 20 "$s" "select pg_last_wal_receive_lsn() >= '$lsn'::pg_lsn" t
	pid=$(pg_sql "$s" "select pid from pg_stat_wal_receiver")
	[ -n "$pid" ] && kill -STOP "$pid" && stopped="$stopped $pid"
done
pg_sql "$p" "insert into big select g, repeat('x', 1500) from generate_series(1, 30000) g" >/dev/null
end_bytes=$(pg_sql "$p" "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
reported() {
	local v
	v=$(pg_cluster_field "$p" "members[name=m$p].status.flush_lsn")
	[ -n "$v" ] && [ "$v" -ge "$end_bytes" ]
}
pg_wait_cond 15 reported
rep=$?
[ "$(echo "$stopped" | wc -w)" = 2 ] && [ $rep = 0 ]
pg_ok $? "both WAL receivers stopped ($stopped); m$p wrote 30000 rows and reported its position ($end_bytes)"

pg_kill9_member "$p"
# shellcheck disable=SC2086
kill -CONT $stopped 2>/dev/null
t0=$(pg_now_ms)
lag=""
for s in $others; do
	lag="$lag m$s:$(pg_sql "$s" "select $end_bytes - pg_wal_lsn_diff(greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::bigint")"
done
pg_log "standby lag behind the old primary's reported position (bytes):$lag"

# ttl 4 s + report_timeout 2 s + margins: 12 s with nobody writable.
nobody=0
while [ $(($(pg_now_ms) - t0)) -lt 12000 ]; do
	w=$(pg_writable_members)
	[ -n "$w" ] && { nobody=1; pg_log "writable: $w"; break; }
	sleep 0.2
done
pg_ok $nobody "no standby lagging more than maximum_lag_on_failover (1MB) is promoted (12 s watched)"

blocked=$(pg_cluster_any failover_blocked.waiting_for)
pg_log "record failover_blocked: $blocked"
[ -n "$blocked" ]
pg_ok $? "the record says why the failover is blocked (L4)"

pg_start "$p"
new=$(pg_wait_primary 90)
[ "$new" = "$p" ]
pg_ok $? "the old primary m$p, the most advanced member, comes back as primary (got m${new:-none})"

n=$(pg_sql "${new:-$p}" "select count(*) from big")
[ "$n" = 30000 ]
pg_ok $? "no row lost ($n of 30000)"

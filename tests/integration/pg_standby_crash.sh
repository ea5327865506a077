#!/bin/bash
# pg_standby_crash.sh — scenario 7: a standby's postmaster crashes
# (kill -9 of the postmaster alone; its children exit on their own). Its
# agent notices and restarts it read-only (restart_after_crash is off, S14:
# the agent, not PostgreSQL, restarts it); it streams again and receives new
# rows. The agent itself kept running, and the primary never changed.
PG_SLOT=8
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 6
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 5 "cluster did not come up"; exit 1; }
read -r s _ <<< "$(pg_others "$p")"

pg_wait_cond 20 pg_postmaster_pid "$s" >/dev/null
old=$(pg_postmaster_pid "$s")
pg_kill9_postmaster "$s"
rc=$?
gone() { ! pg_sql "$s" "select 1" >/dev/null; }
[ $rc = 0 ] && pg_wait_cond 10 gone
pg_ok $? "m$s's postmaster (PID ${old:-none found}) killed: m$s no longer answers"

restarted() {
	local pid
	pid=$(pg_postmaster_pid "$s") && [ "$pid" != "$old" ] && [ "$(pg_in_recovery "$s")" = t ]
}
t0=$(pg_now_ms)
pg_wait_cond 60 restarted
pg_ok $? "m$s's agent restarted it in recovery (new PID $(pg_postmaster_pid "$s"), after $(pg_secs $(($(pg_now_ms) - t0)))s)"

pg_wait_streaming 60 "$p" "$s"
pg_ok $? "m$s streams from m$p again"

pg_sql "$p" "create table t(x text); insert into t values ('after crash')" >/dev/null
pg_wait_sql 20 "$s" "select x from t" "after crash"
pg_ok $? "a row written after the crash reaches m$s"

kill -0 "${PG_PIDS[$s]}" 2>/dev/null && [ "$(pg_writable_members)" = "$p" ]
pg_ok $? "m$s's agent still runs and m$p is still the only primary"

#!/bin/bash
# pg_pause.sh — scenario 6c: pause mode stops automatic failover (S18).
# The cluster is paused (pgquorumctl pause, or PATCH /config {"pause":
# true}), the primary is killed (agent + postmaster): no standby is promoted
# while paused, although the lease ran out long ago. After resume a standby
# is promoted and the other follows it.
PG_SLOT=7
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 6
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 5 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")

pg_set_pause true
rc=$?
if [ $rc = 2 ]; then
	for d in "pause accepted" "no failover while paused" "record shows paused" \
		"resume: a standby is promoted" "the other standby follows"; do
		pg_ok 1 "$d" "no pause interface (pgquorumctl pause, PATCH /config) yet"
	done
	exit 0
fi
is_paused() { [ "$(pg_cluster_field "$p" paused)" = true ]; }
pg_wait_cond 10 is_paused
pg_ok $? "pause accepted and applied (record: paused = $(pg_cluster_field "$p" paused))"

pg_kill9_member "$p"
t0=$(pg_now_ms)
nobody=0
while [ $(($(pg_now_ms) - t0)) -lt 12000 ]; do
	w=$(pg_writable_members)
	[ -n "$w" ] && { nobody=1; pg_log "writable while paused: $w"; break; }
	sleep 0.2
done
pg_ok $nobody "paused: no standby is promoted in the 12 s after the primary died (ttl 4 s)"

[ "$(pg_cluster_any paused)" = true ]
pg_ok $? "the record still says paused; failover_blocked: $(pg_cluster_any failover_blocked.waiting_for)"

pg_set_pause false
# shellcheck disable=SC2086
new=$(pg_wait_primary 60 $others)
pg_ok $? "after resume m${new:-?} is promoted"
other=$(for s in $others; do [ "$s" != "${new:-}" ] && echo "$s"; done | head -n 1)
pg_wait_streaming 60 "${new:-0}" "$other"
pg_ok $? "m$other follows m${new:-?}"

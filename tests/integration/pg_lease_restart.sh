#!/bin/bash
# pg_lease_restart.sh — S14: "The agent persists each lease end as (boot
# id, boot time); at start, a writable PostgreSQL with no persisted lease
# covering now is fenced."
# (A) kill -9 of the primary's agent alone (PostgreSQL keeps running
#     writable) and a restart within the lease: the agent restores the
#     persisted lease and keeps the same postmaster writable; no failover.
# (A2) kill -9 of the primary's postmaster alone: its agent, holding the
#     lease, restarts it writable in place; no failover.
# (B) kill -9 of the primary's agent alone, a standby is promoted once the
#     lease ran out, then the agent restarts: before anything else it
#     fences its writable PostgreSQL, which then follows the new primary.
# While an agent is dead its PostgreSQL stays writable (that is what the
# watchdog is for, S5/S6), so no two-writable sampler runs in (B).
PG_SLOT=9
. "$(dirname "$0")/pg_lib.sh"

# A lease long enough for an agent restart under a loaded CI machine.
PG_TTL=${PG_TTL:-8s}
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 10
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 9 "cluster did not come up"; exit 1; }

kill_agent() {
	kill -9 "${PG_PIDS[$1]}" 2>/dev/null
	wait "${PG_PIDS[$1]}" 2>/dev/null
	PG_PIDS[$1]=""
}
log_since() { tail -n +"$(($2 + 1))" "$PG_DIR/m$1.log"; }
lease_file() { [ -s "$PG_DIR/m$1/raft/pgquorum-lease" ]; }

# ---- (A) restart within the lease
pg_wait_cond 20 lease_file "$p"
pm=$(pg_postmaster_pid "$p")
epoch=$(pg_cluster_field "$p" primary.epoch)
pg_sql "$p" "create table t(x text); insert into t values ('before restart')" >/dev/null
lines=$(wc -l < "$PG_DIR/m$p.log")
kill_agent "$p"
pg_start "$p"
restored() { log_since "$p" "$lines" | grep -q "persisted lease of epoch $epoch restored"; }
pg_wait_cond 20 restored
pg_ok $? "(A) m$p's agent restarted within its lease and restored the persisted lease of epoch $epoch"

read -r a b <<< "$(pg_others "$p")"
seq1=$(pg_cluster_field "$a" primary.lease_seq)
grown() {
	local s
	s=$(pg_cluster_field "$a" primary.lease_seq) && [ "$s" -gt "${seq1:-0}" ]
}
pg_wait_cond 20 grown && pg_sql "$p" "insert into t values ('after restart')" >/dev/null &&
	[ "$(pg_postmaster_pid "$p")" = "$pm" ] && [ "$(pg_writable_members)" = "$p" ]
pg_ok $? "(A) the same postmaster (PID $pm) stays writable and takes writes; renewals go on (lease_seq ${seq1:-?} -> $(pg_cluster_field "$a" primary.lease_seq))"

[ "$(pg_cluster_field "$p" primary.name)" = "m$p" ] && [ "$(pg_cluster_field "$p" primary.epoch)" = "$epoch" ] &&
	! log_since "$p" "$lines" | grep -q "action fast_stop"
pg_ok $? "(A) no failover: m$p is still primary of epoch $epoch, its agent never stopped it"

# ---- (A2) issue 5, S14: a crashed postmaster on the primary, whose agent
# still holds the lease, is restarted writable in place (renewals go on
# during the start): same epoch, no failover, the committed row is there.
pm=$(pg_postmaster_pid "$p")
kill -9 "$pm" 2>/dev/null
back_in_place() {
	local now
	now=$(pg_postmaster_pid "$p") && [ "$now" != "$pm" ] && pg_is_writable "$p" &&
		[ "$(pg_sql "$p" "select count(*) from t")" = 2 ]
}
pg_wait_cond 40 back_in_place
rc=$?
[ $rc = 0 ] && [ "$(pg_cluster_field "$a" primary.name)" = "m$p" ] &&
	[ "$(pg_cluster_field "$a" primary.epoch)" = "$epoch" ] && [ "$(pg_writable_members)" = "$p" ]
pg_ok $? "(A2) kill -9 of m$p's postmaster: restarted writable in place (PID $pm -> $(pg_postmaster_pid "$p")), still primary of epoch $epoch, both rows there"

# ---- (B) restart after the lease ran out and another member was promoted
pg_wait_streaming 30 "$p" "$a" "$b"
pm=$(pg_postmaster_pid "$p")
kill_agent "$p"
new=$(pg_wait_primary 90 "$a" "$b")
pg_ok $? "(B) m$p's agent killed, its PostgreSQL left writable: m${new:-none} is promoted after the lease ran out"
[ -n "$new" ] || { pg_fail_rest 4 "no new primary"; exit 1; }
pg_is_writable "$p"
pg_ok $? "(B) m$p's PostgreSQL (PID $pm) is still writable while its agent is dead"

lines=$(wc -l < "$PG_DIR/m$p.log")
pg_start "$p"
stopped() { [ "$(pg_postmaster_pid "$p")" != "$pm" ] && ! pg_is_writable "$p"; }
pg_wait_cond 30 stopped
rc=$?
first=$(log_since "$p" "$lines" | grep -m1 -o "ha: action [a-z_]*" | sed 's/ha: action //')
[ $rc = 0 ] && [ "$first" = fast_stop ] && log_since "$p" "$lines" | grep -q "S14: PostgreSQL .* fencing it before anything else"
pg_ok $? "(B) at restart m$p's agent first fences its writable PostgreSQL (first action: ${first:-none})"

pg_wait_streaming 120 "$new" "$p"
pg_ok $? "(B) m$p then follows m$new"

[ "$(pg_writable_members)" = "$new" ]
pg_ok $? "(B) m$new is the only writable member"

#!/bin/bash
# pg_switchover.sh — scenario 4: a switchover to a named candidate while an
# insert workload runs (one psql per row, into whichever member is
# writable). The candidate becomes primary, the old primary follows it, and
# the number of rows the workload saw acknowledged equals the number of rows
# on the new primary: zero data loss by construction (S13: the target is
# promoted only after it received the old primary's final LSN). The sampler
# sees no two writable members.
PG_SLOT=3
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 9
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 8 "cluster did not come up"; exit 1; }
read -r s1 cand <<< "$(pg_others "$p")"
pg_sampler_start
pg_sql "$p" "create table w(id int primary key)" >/dev/null
pg_wait_sql 20 "$cand" "select to_regclass('w') is not null" t

pg_workload_start w
acked() { wc -l < "$PG_DIR/acked.w"; }
acked_at_least() { [ "$(acked)" -ge "$1" ]; }
pg_wait_cond 30 acked_at_least 50
before=$(acked)
t0=$(pg_now_ms)
pg_switchover "$p" "$cand"
rc=$?
if [ $rc = 2 ]; then
	pg_workload_stop
	pg_ok 1 "switchover to m$cand requested" "no switchover interface (pgquorumctl switchover, POST /switchover) yet"
	for d in "m$cand becomes primary" "old primary follows" "acknowledged = rows on the new primary" \
		"workload continued" "sampler"; do
		pg_ok 1 "$d" "switchover not available yet"
	done
	exit 0
fi
pg_ok $rc "switchover to m$cand requested under load ($before rows acknowledged so far)"

new=$(pg_wait_primary 60 "$cand")
rc=$?
pg_ok $rc "m$cand is primary and accepts writes after $(pg_secs $(($(pg_now_ms) - t0)))s (60 s allowed)"

pg_wait_cond 30 acked_at_least $((before + 100))
pg_ok $? "the workload goes on against the new primary ($(acked) rows acknowledged)"
pg_workload_stop

pg_wait_streaming 60 "$cand" "$p" "$s1"
pg_ok $? "the old primary m$p and m$s1 stream from m$cand"

k=$(acked)
n=$(pg_sql "$cand" "select count(*) from w")
m=$(pg_sql "$cand" "select count(*) from w where id <= $k")
pg_log "acknowledged $k, rows on m$cand $n ($m of the acknowledged ids)"
[ -n "$n" ] && [ "$n" = "$k" ] && [ "$m" = "$k" ]
pg_ok $? "acknowledged rows ($k) = rows on the new primary ($n): nothing lost"

# Issue 7, S18: a manual failover while the primary holds its lease runs as a
# switchover; both interfaces answer once the candidate is promoted.
# S13's precheck needs the candidate's report as a replica on the current timeline.
reported_replica() {
	[ "$(pg_cluster_field "$cand" "members[name=m$1].status.role")" = replica ] &&
		[ "$(pg_cluster_field "$cand" "members[name=m$1].status.timeline")" = "$(pg_cluster_field "$cand" timeline)" ]
}
pg_wait_cond 60 reported_replica "$p" || pg_log "m$p has not reported as a replica on the current timeline"
out=$(pg_ctl_cmd failover --candidate "m$p" --force 2>&1)
rc=$?
[ $rc = 0 ] && echo "$out" | grep -Eq "Successfully (switched|failed) over to" && pg_is_writable "$p" &&
	[ "$(pg_cluster_field "$cand" primary.name)" = "m$p" ]
pg_ok $? "pgquorumctl failover --candidate m$p (primary alive: a switchover): exit $rc, m$p writable ($out)"
pg_wait_streaming 60 "$p" "$cand" "$s1" || pg_log "not every standby streams from m$p yet"
pg_wait_cond 60 reported_replica "$cand" || pg_log "m$cand has not reported as a replica on the current timeline"
# Issue 7: any member accepts the action, as Patroni's do. Sent without
# following redirects to a Raft follower: it forwards the command to the
# leader and answers from its own record.
via=""
for i in "$s1" "$p" "$cand"; do
	[ "$(pg_get "$i" /patroni | pg_json raft.role)" = follower ] && { via=$i; break; }
done
code=$(pg_curl "${via:-$s1}" -s --max-time 120 -o "$PG_DIR/last_post.json" -w '%{http_code}' \
	-X POST -H 'Content-Type: application/json' -d "{\"candidate\":\"m$cand\"}" \
	"$(pg_url "${via:-$s1}")/failover")
[ -n "$via" ] && [ "$code" = 200 ] && grep -Eq "Successfully (switched|failed) over to" "$PG_DIR/last_post.json" &&
	pg_is_writable "$cand"
pg_ok $? "POST /failover {candidate: m$cand} to m${via:-?}, a Raft follower, no redirect followed: $code $(cat "$PG_DIR/last_post.json"), m$cand writable"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples every 100 ms, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

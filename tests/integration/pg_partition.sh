#!/bin/bash
# pg_partition.sh — scenario 5: the primary is cut off from both standbys.
# Without network namespaces this uses the agents' test-only transport
# filter (PGQUORUM_TEST_HOOKS=1, POST /test/block, both directions) for the
# Raft traffic, and cuts replication by terminating the old primary's
# walsenders every 100 ms (over its Unix socket) while the partition lasts.
# The old primary must stop being writable within ttl of the cut (S1, S2,
# S5: it fences itself before its lease ends); the majority promotes a
# standby; after the heal the old primary rewinds and follows. The sampler
# checks that no two members are writable at any moment.
PG_SLOT=4
. "$(dirname "$0")/pg_lib.sh"

TTL_S=4
PG_TTL=${TTL_S}s
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 7
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 6 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")
pg_sql "$p" "create table t(id int primary key, src text); insert into t values (1, 'before')" >/dev/null
pg_sampler_start

block() { # block A B true|false, both directions
	local c1 c2
	c1=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' -X POST -d "{\"peer\":\"m$2\",\"blocked\":$3}" "$(pg_url "$1")/test/block")
	c2=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' -X POST -d "{\"peer\":\"m$1\",\"blocked\":$3}" "$(pg_url "$2")/test/block")
	[ "$c1" = 200 ] && [ "$c2" = 200 ]
}
cutter_pid=""
cut_replication() {
	(
		trap 'exit 0' TERM
		while :; do
			pg_sql "$p" "select pg_terminate_backend(pid) from pg_stat_activity where backend_type = 'walsender'" >/dev/null
			sleep 0.1
		done
	) &
	cutter_pid=$!
	PG_WORKLOAD_PID=$cutter_pid # the teardown stops it too
}

ok=0
t0=$(pg_now_ms)
for o in $others; do block "$p" "$o" true || ok=1; done
cut_replication
pg_ok $ok "m$p cut off from $others (Raft filter both ways, walsenders terminated)"

# Writable ends when pg_is_in_recovery() says true or the server is gone.
not_writable() { ! pg_is_writable "$p"; }
pg_wait_cond 30 not_writable
demoted_ms=$(($(pg_now_ms) - t0))
[ $demoted_ms -le $((TTL_S * 1000 + 500)) ]
pg_ok $? "the cut-off primary m$p stops accepting writes within ttl (${TTL_S}s): after $(pg_secs $demoted_ms)s"

# shellcheck disable=SC2086
new=$(pg_wait_primary 60 $others)
pg_ok $? "the majority promotes m${new:-?} after $(pg_secs $(($(pg_now_ms) - t0)))s"
[ -n "$new" ] && pg_sql "$new" "insert into t values (2, 'majority')" >/dev/null

kill -TERM "$cutter_pid" 2>/dev/null
wait "$cutter_pid" 2>/dev/null
PG_WORKLOAD_PID=""
for o in $others; do block "$p" "$o" false; done
rc=1
[ -n "$new" ] && pg_wait_streaming 90 "$new" "$p" && rc=0
pg_ok $rc "after the heal m$p streams from m${new:-?}"

rc=1
[ -n "$new" ] && pg_wait_sql 20 "$p" "select src from t where id = 2" majority && rc=0
pg_ok $rc "m$p has the row written on the majority side"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples every 100 ms, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

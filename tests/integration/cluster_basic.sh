#!/bin/bash
# cluster_basic.sh — no bootstrap while a founder is missing (S15); then
# 3 agents form a cluster and elect a leader; kill -9 of
# the leader gives a new leader and the record stays readable; the killed
# agent restarts and catches up; all three killed and restarted keep the
# record (S15: no second bootstrap, same cluster id). SIGHUP reloads;
# SIGTERM stops every agent cleanly (exit 0, LeakSanitizer clean).
IT_SLOT=0
. "$(dirname "$0")/lib.sh"

it_setup 3
it_plan 12
for i in 1 2 3; do it_write_config "$i" 1 2 3; done
# S15: with one founding peer missing nobody bootstraps.
it_start 1
it_start 2
sleep 2
[ "$(it_status_field 1 phase)" = probing ] && [ "$(it_status_field 2 phase)" = probing ] &&
	[ -z "$(it_status_field 1 cluster_id)" ]
it_ok $? "2 of 3 founders up: both keep probing, no cluster is formed (S15)"
it_start 3

leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents bootstrap and agree on one leader (n${leader:-?})"

# A follower learns the leader from a heartbeat one round before it applies
# the bootstrap entry that carries the id: wait (bounded) until all three
# report one, then demand they are equal.
cids_known() { [ -n "$(it_status_field 1 cluster_id)" ] && [ -n "$(it_status_field 2 cluster_id)" ] &&
	[ -n "$(it_status_field 3 cluster_id)" ]; }
it_wait_cond 10 cids_known
cid=$(it_status_field 1 cluster_id)
cid2=$(it_status_field 2 cluster_id)
cid3=$(it_status_field 3 cluster_id)
[ -n "$cid" ] && [ "$cid" = "$cid2" ] && [ "$cid" = "$cid3" ]
it_ok $? "one cluster id on every agent ($cid, $cid2, $cid3)"

ok=0
for s in 1 2 3 4 5; do
	[ "$(it_propose $s "$leader")" = 200 ] || ok=1
done
it_ok $ok "5 test entries committed through the leader"

it_kill9 "$leader"
rest=""
for i in 1 2 3; do [ "$i" != "$leader" ] && rest="$rest $i"; done
# shellcheck disable=SC2086
new=$(it_wait_leader 20 $rest)
it_ok $? "after kill -9 of n$leader, survivors elect n${new:-?}"

body=$(it_get "$new" /cluster)
echo "$body" | grep -q "\"cluster_id\":\"$cid\""
it_ok $? "GET /cluster still answers on the survivors"

[ "$(it_propose 6 "$new")" = 200 ]
it_ok $? "the survivors commit a new entry"

it_start "$leader"
it_wait_cond 20 it_has_entries "$leader" 1,2,3,4,5,6
it_ok $? "the killed agent restarts and catches up (entries 1..6)"

for i in 1 2 3; do it_kill9 "$i"; done
for i in 1 2 3; do it_start "$i"; done
l=$(it_wait_leader 20 1 2 3)
it_ok $? "all 3 killed and restarted: a leader again (n${l:-?})"

ok=0
for i in 1 2 3; do
	it_wait_cond 15 it_has_entries "$i" 1,2,3,4,5,6 || ok=1
	[ "$(it_status_field "$i" cluster_id)" = "$cid" ] || ok=1
done
it_ok $ok "after the full restart every agent has entries 1..6 and the same cluster id"

kill -HUP "${IT_PIDS[1]}"
reloaded() { grep -q "configuration reloaded" "$IT_DIR/n1.log"; }
it_wait_cond 10 reloaded && [ "$(it_propose 7 1)" = 200 ]
it_ok $? "SIGHUP reloads the configuration and the agent keeps working"

ok=0
for i in 1 2 3; do
	it_stop "$i" || { echo "# n$i exit status $?"; ok=1; }
done
it_ok $ok "SIGTERM: every agent exits 0 after a clean shutdown"

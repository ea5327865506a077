#!/bin/bash
# remove_leader.sh — DELETE /members/NAME of the Raft leader itself: the
# record drops it, the leader removes itself from the configuration and
# steps down, the two others elect a leader and keep committing, and the
# configuration shows 2 voters.
IT_SLOT=9
. "$(dirname "$0")/lib.sh"

it_setup 3
it_plan 4
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"

code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X DELETE "$(it_url "$leader")/members/n$leader")
[ "$code" = 200 ]
it_ok $? "DELETE /members/n$leader on the leader itself answers 200 (got $code)"

rest=""
for i in 1 2 3; do [ "$i" != "$leader" ] && rest="$rest $i"; done
# shellcheck disable=SC2086
new=$(it_wait_leader 20 $rest)
two_voters() { [ "$(it_get "$new" /status | grep -o '"raft_role":"voter"' | wc -l)" = 2 ]; }
[ -n "$new" ] && it_wait_cond 20 two_voters
it_ok $? "the others elect n${new:-?}; the configuration has 2 voters"

it_kill9 "$leader"
[ "$(it_propose 1 "$new")" = 200 ]
it_ok $? "the 2 remaining voters keep committing (removed agent killed)"

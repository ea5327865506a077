#!/bin/bash
# partition.sh — with the test-only transport filter (PGQUORUM_TEST_HOOKS=1;
# no root needed), the leader is cut off from both followers: the minority
# side cannot commit, the majority elects a new leader and commits, and
# after the heal the old leader steps down and catches up.
IT_SLOT=3
. "$(dirname "$0")/lib.sh"

it_setup 3
it_plan 5
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"
it_propose 1 "$leader" >/dev/null

block() { # block A B true|false: both directions
	curl -s --max-time 2 -o /dev/null -X POST -d "{\"peer\":\"n$2\",\"blocked\":$3}" "$(it_url "$1")/test/block"
	curl -s --max-time 2 -o /dev/null -X POST -d "{\"peer\":\"n$1\",\"blocked\":$3}" "$(it_url "$2")/test/block"
}
others=""
for i in 1 2 3; do [ "$i" != "$leader" ] && others="$others $i"; done
for o in $others; do block "$leader" "$o" true; done

# Not following the redirect: we ask the isolated old leader itself.
code=$(curl -s --max-time 6 -o /dev/null -w '%{http_code}' -X POST -d '{"seq":2}' "$(it_url "$leader")/test/propose")
[ "$code" != 200 ]
it_ok $? "the isolated minority cannot commit (HTTP $code)"

# shellcheck disable=SC2086
new=$(it_wait_leader 20 $others)
[ -n "$new" ] && [ "$(it_propose 3 "$new")" = 200 ]
it_ok $? "the majority elects n${new:-?} and commits"

for o in $others; do block "$leader" "$o" false; done
it_wait_cond 20 sh -c "[ \"\$(curl -s --max-time 2 $(it_url "$leader")/status | sed -n 's/.*\"role\":\"\([^\"]*\)\".*/\1/p')\" = follower ]"
it_ok $? "after the heal the old leader follows"

it_wait_cond 20 it_has_entries "$leader" 1,3
it_ok $? "the old leader catches up; its uncommitted entry 2 is gone (entries 1,3)"

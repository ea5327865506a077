#!/bin/bash
# five_nodes.sh — a 5-node cluster survives losing 2 members (one of them the
# leader) and still commits; losing a third stops commits (no quorum).
IT_SLOT=2
. "$(dirname "$0")/lib.sh"

it_setup 5
it_plan 4
it_cluster_start 5
leader=$(it_wait_leader 25 1 2 3 4 5)
it_ok $? "5 agents elect a leader (n${leader:-?})"

other=1
[ "$leader" = 1 ] && other=2
it_kill9 "$leader"
it_kill9 "$other"
alive=""
for i in 1 2 3 4 5; do
	[ "$i" != "$leader" ] && [ "$i" != "$other" ] && alive="$alive $i"
done
# shellcheck disable=SC2086
new=$(it_wait_leader 20 $alive)
it_ok $? "with n$leader and n$other killed, the 3 others elect n${new:-?}"

[ "$(it_propose 1 "$new")" = 200 ]
it_ok $? "3 of 5 commit an entry"

third=$(echo $alive | tr ' ' '\n' | grep -vx "$new" | head -1)
it_kill9 "$third"
code=$(curl -s --max-time 4 -L -o /dev/null -w '%{http_code}' -X POST -d '{"seq":2}' "$(it_url "$new")/test/propose")
[ "$code" != 200 ]
it_ok $? "2 of 5 cannot commit (HTTP $code)"

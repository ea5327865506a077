#!/bin/bash
# membership.sh — a 4th agent joins through POST /members (learner, then
# voter once caught up), and a member is removed with DELETE /members/NAME.
# A joiner never bootstraps (S15): it waits until the leader adds it.
# With the removed member and one more agent killed, 2 of the 3 remaining
# voters still commit (they could not if the removal had not happened).
IT_SLOT=1
. "$(dirname "$0")/lib.sh"

it_setup 3
it_plan 8
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 founders elect a leader (n${leader:-?})"
for s in 1 2 3; do it_propose $s "$leader" >/dev/null; done

# The joiner lists the founders and itself; it starts before being added.
it_write_config 4 1 2 3 4
it_start 4
sleep 1
[ "$(it_status_field 4 phase)" = probing ]
it_ok $? "a joiner whose peers refuse it (unknown member) stays probing and never bootstraps"

# Added through a follower: the redirect (307) takes it to the leader.
follower=1
[ "$leader" = 1 ] && follower=2
code=$(curl -s --max-time 10 -L -o /dev/null -w '%{http_code}' -X POST \
	-d "{\"name\":\"n4\",\"raft_address\":\"127.0.0.1:$(it_raft_port 4)\",\"api_url\":\"$(it_url 4)\"}" \
	"$(it_url $follower)/members")
[ "$code" = 200 ]
it_ok $? "POST /members n4 (sent to a follower, redirected) answers 200 (got $code)"

it_wait_cond 20 it_has_entries 4 1,2,3
it_ok $? "n4 receives the record and the log (snapshot + entries)"

voter() { it_get "$leader" /status | grep -q '"name":"n4","id":[0-9]*,"raft_role":"voter"'; }
it_wait_cond 20 voter
it_ok $? "n4 is promoted to voter once caught up"

[ "$(it_propose 4 "$leader")" = 200 ] && it_wait_cond 10 it_has_entries 4 1,2,3,4
it_ok $? "a 4-voter cluster commits and n4 applies"

# Remove a founding follower (with postgresql.manage off there is no
# primary, so S16 does not hold the removal up).
victim=""
for i in 1 2 3; do
	[ "$i" != "$leader" ] && victim=$i
done
code=$(curl -s --max-time 10 -L -o "$IT_DIR/remove.json" -w '%{http_code}' -X DELETE "$(it_url "$leader")/members/n$victim")
gone() { ! it_get "$leader" /status | grep -q "\"name\":\"n$victim\",\"id\""; }
[ "$code" = 200 ] && it_wait_cond 20 gone && ! it_get "$leader" /cluster | grep -q "\"name\":\"n$victim\""
it_ok $? "DELETE /members/n$victim removes it from the record and the Raft configuration (HTTP $code)"

# Kill the removed member and one more: 2 of the 3 remaining voters are a
# majority only if the removal really shrank the configuration (2 of 4 is not).
it_kill9 "$victim"
it_kill9 4
[ "$(it_propose 5 "$leader")" = 200 ]
it_ok $? "with the removed member and n4 down, 2 of the 3 voters still commit"

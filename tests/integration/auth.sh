#!/bin/bash
# auth.sh — restapi.authentication and restapi.allowlist guard write
# requests (401 / 403) while reads stay open; followers forward their
# reports with the credentials; pgquorumctl -c uses them, across the
# redirect to the leader.
IT_SLOT=7
. "$(dirname "$0")/lib.sh"

CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
it_setup 3
it_plan 9
IT_AUTH="admin:s3cret"
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents with authentication elect a leader (n${leader:-?})"

url=$(it_url "$leader")
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST -d '{"name":"x","raft_address":"127.0.0.1:1"}' "$url/members")
[ "$code" = 401 ]
it_ok $? "a write without credentials gets 401 (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u admin:wrong -X POST -d '{"name":"x","raft_address":"127.0.0.1:1"}' "$url/members")
[ "$code" = 401 ]
it_ok $? "a write with a wrong password gets 401 (got $code)"

# L8: the operator's fence confirmation is a write like the others.
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST -d '{"member":"n2"}' "$url/fence/confirm")
[ "$code" = 401 ]
it_ok $? "POST /fence/confirm without credentials gets 401 (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$url/cluster")
[ "$code" = 200 ]
it_ok $? "reads need no credentials (GET /cluster $code)"

all_reported() { [ "$("$CTL" -c "$IT_DIR/n1.yml" list 2>/dev/null | grep -c "s ago")" = 3 ]; }
it_wait_cond 15 all_reported
it_ok $? "every follower's report reaches the leader with the credentials"

it_write_config 4 1 2 3 4
it_start 4
follower=1
[ "$leader" = 1 ] && follower=2
"$CTL" --url "$(it_url $follower)" --user admin:s3cret members add n4 --raft "127.0.0.1:$(it_raft_port 4)" --api "$(it_url 4)" >/dev/null
it_ok $? "pgquorumctl --user adds a member through a follower (redirect keeps the credentials)"

# An agent restarted with an allowlist that excludes 127.0.0.1.
it_stop "$follower"
IT_ALLOW="10.0.0.0/8" it_write_config "$follower" 1 2 3
it_start "$follower"
ready() { [ -n "$(it_status_field "$follower" role)" ]; }
it_wait_cond 15 ready
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u admin:s3cret -X DELETE "$(it_url "$follower")/members/n4")
[ "$code" = 403 ]
it_ok $? "a write from outside restapi.allowlist gets 403 (got $code)"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u admin:s3cret -X POST -d '{"member":"n2"}' "$(it_url "$follower")/fence/confirm")
[ "$code" = 403 ]
it_ok $? "POST /fence/confirm from outside restapi.allowlist gets 403 (got $code)"

#!/bin/bash
# ctl.sh — pgquorumctl against real agents: list, members add, exit codes
# (0 ok, 1 failed, 2 usage, 3 unreachable), -c CONFIG and PGQUORUMCTL_URL.
IT_SLOT=6
. "$(dirname "$0")/lib.sh"

CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
it_setup 3
if [ ! -x "$CTL" ]; then
	echo "1..0 # SKIP pgquorumctl not found at $CTL"
	exit 0
fi
it_plan 8
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"

reported() { "$CTL" -c "$IT_DIR/n1.yml" list 2>/dev/null | grep -q "s ago"; }
it_wait_cond 15 reported
out=$("$CTL" -c "$IT_DIR/n1.yml" list)
echo "$out" | grep -q "^n$leader  *leader " && echo "$out" | grep -c "voter\|leader" | grep -qx 3
it_ok $? "list -c CONFIG shows 3 members, the leader marked, with reports"

"$CTL" --url "$(it_url 2)" list >/dev/null
it_ok $? "list --url works"

PGQUORUMCTL_URL="http://127.0.0.1:1,$(it_url 3)" "$CTL" list >/dev/null
it_ok $? "PGQUORUMCTL_URL: an unreachable agent is skipped, the next one answers"

"$CTL" --url http://127.0.0.1:1 list >/dev/null 2>&1
[ $? = 3 ]
it_ok $? "no reachable agent: exit status 3"

"$CTL" --url "$(it_url 1)" members add 2>/dev/null
rc1=$?
"$CTL" frobnicate 2>/dev/null
rc2=$?
[ $rc1 = 2 ] && [ $rc2 = 2 ]
it_ok $? "usage errors: exit status 2 ($rc1, $rc2)"

it_write_config 4 1 2 3 4
it_start 4
"$CTL" --url "$(it_url 1)" members add n4 --raft "127.0.0.1:$(it_raft_port 4)" --api "$(it_url 4)" >/dev/null
it_ok $? "members add n4 succeeds"

"$CTL" --url "$(it_url 1)" members add n4 --raft "127.0.0.1:$(it_raft_port 4)" >/dev/null 2>&1
[ $? = 1 ]
it_ok $? "adding n4 twice fails with exit status 1"

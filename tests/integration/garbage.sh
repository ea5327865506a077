#!/bin/bash
# garbage.sh — bad input never hurts an agent (R6): garbage bytes, a frame
# with the right magic but an absurd length, and a HELLO-less RAFT frame to
# the Raft port; garbage, oversized headers and bodies, bad JSON, unknown
# paths to the REST port. The agent answers 4xx, closes the connection, and
# the cluster still commits.
IT_SLOT=4
. "$(dirname "$0")/lib.sh"

it_setup 3
it_plan 9
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"

send_raw() { # send_raw PORT: stdin to 127.0.0.1:PORT, bounded
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; cat >&3; sleep 0.3; exec 3>&-" 2>/dev/null
}
rport=$(it_raft_port "$leader")
head -c 65536 /dev/urandom | send_raw "$rport"
# Magic "PGQT", version 1, type RAFT (4), flags 0, length 0x7fffffff, crc 0.
printf 'PGQT\x01\x04\x00\x00\x7f\xff\xff\xff\x00\x00\x00\x00' | send_raw "$rport"
# A well-formed header announcing a RAFT frame before any HELLO.
printf 'PGQT\x01\x04\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00abcd' | send_raw "$rport"
# A HELLO with a payload length far beyond the handshake limit.
printf 'PGQT\x01\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00' | send_raw "$rport"
sleep 0.5
[ "$(it_propose 1 "$leader")" = 200 ]
it_ok $? "after garbage, an oversized frame and frames before HELLO on the Raft port, the cluster commits"

url=$(it_url "$leader")
head -c 20000 /dev/urandom | send_raw "$(it_rest_port "$leader")"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 60000 /dev/zero | tr '\0' a)" "$url/cluster")
[ "$code" -ge 400 ] && [ "$code" -lt 500 ]
it_ok $? "an oversized header is refused with 4xx (got $code)"

code=$(head -c 100000 /dev/zero | tr '\0' a | curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary @- "$url/members")
[ "$code" = 413 ]
it_ok $? "a body above restapi.max_body_bytes gets 413 (got $code)"

code=$(curl -s --max-time 5 -o "$IT_DIR/bad.json" -w '%{http_code}' -X POST -d '{"name": ' "$url/members")
[ "$code" = 400 ] && grep -q '"error"' "$IT_DIR/bad.json"
it_ok $? "malformed JSON gets 400 with a JSON error (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST -d '{"name":"x"}' "$url/members")
[ "$code" = 400 ]
it_ok $? "a member without raft_address gets 400 (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$url/no/such/thing")
[ "$code" = 404 ]
it_ok $? "an unknown path gets 404 (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$url/liveness")
[ "$code" = 200 ] && [ "$(it_propose 2 "$leader")" = 200 ]
it_ok $? "the agent is alive (liveness $code) and the cluster commits after the REST abuse"

ok=0
for i in 1 2 3; do kill -0 "${IT_PIDS[$i]}" 2>/dev/null || ok=1; done
it_ok $ok "no agent died"

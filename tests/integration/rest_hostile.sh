#!/bin/bash
# rest_hostile.sh — 200+ malformed or hostile requests to one agent's REST
# API (issue 7, robustness): bad JSON, wrong types, unknown fields, bodies
# beyond restapi.max_body_bytes (declared, chunked, lying Content-Length),
# invalid paths, bad methods, header floods, raw garbage, and slowloris-style
# half-open connections beyond the connection limit. Every answer must be a
# 4xx or a closed connection (never 2xx/5xx); the half-open connections must
# not lock out another client address (per-address limit) and must be cut
# after restapi.request_timeout. Afterwards the agent is healthy: /liveness
# 200, the same Raft leader in the same term, the cluster commits.
IT_SLOT=2
IT_HEARTBEAT_MS=100
IT_ELECTION_MS=1000
IT_RESTAPI_EXTRA="  request_timeout: 2s
  max_connections: 32"
. "$(dirname "$0")/lib.sh"
# The server closes connections it refuses: a write by the shell itself
# (printf to a half-open socket) must get EPIPE, not kill the script.
trap '' PIPE

it_setup 3
it_plan 14
it_cluster_start 3
leader=$(it_wait_leader 30 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"
term0=$(it_status_num "$leader" term)
# postgresql.manage: false — no PostgreSQL known: health paths are "not true", never "no such path".
view() { [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$(it_url "$leader")/patroni")" = 200 ]; }
it_wait_cond 10 view
h=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$(it_url "$leader")/health")
pr=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$(it_url "$leader")/primary")
st=$(it_get "$leader" /patroni | jq -r .state 2>/dev/null)
m=$(it_get "$leader" /metrics | grep -c '^pgquorum_raft_term{')
[ "$h" = 503 ] && [ "$pr" = 503 ] && [ "$st" = unknown ] && [ "$m" = 1 ]
it_ok $? "manage: false: /health $h, /primary $pr (503, not 404), /patroni 200 with state '$st', /metrics serves ($m)"
URL=$(it_url "$leader")
PORT=$(it_rest_port "$leader")
TOTAL=0

# code METHOD PATH [curl args...]: the status code ("000": connection closed).
code() {
	local m=$1 p=$2
	shift 2
	curl -s --max-time 5 --path-as-is -o /dev/null -w '%{http_code}' -X "$m" "$@" "$URL$p"
}
# raw: stdin to the REST port; prints the status code of the answer or "closed".
raw() {
	local line
	line=$(timeout 6 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT || exit 1; cat >&3; head -n 1 <&3" 2>/dev/null)
	line=${line%$'\r'}
	case "$line" in
	HTTP/1.?\ [0-9][0-9][0-9]*) echo "${line:9:3}" ;;
	*) echo closed ;;
	esac
}
# judge LABEL CODE: a 4xx or a closed connection is right (505 to an unknown
# HTTP version); anything else is recorded in BAD.
BAD=""
judge() {
	TOTAL=$((TOTAL + 1))
	case "$2" in
	4[0-9][0-9] | 000 | closed) ;;
	505) [ "$1" = HTTP/9.9 ] || BAD="$BAD [$1 -> $2]" ;; # version not supported: the right answer
	*) BAD="$BAD [$1 -> $2]" ;;
	esac
}
category() { # category DESCRIPTION COUNT-BEFORE
	[ -z "$BAD" ]
	it_ok $? "$1: $((TOTAL - $2)) requests, each 4xx or closed${BAD:+; wrong: $BAD}"
	BAD=""
}

# ---- bad JSON, wrong types, unknown fields --------------------------------
n0=$TOTAL
bodies=(
	'{' '}' '[' '{"name":' '{"name": "x",}' "{'name': 'x'}" '{"a":1}{"b":2}' 'null' 'true' '42'
	'"text"' '[]' '[{"name":"x"}]' '{"name": 5}' '{"name": null}' '{"name": ["x"]}'
	'{"name": {"x": 1}}' '{"name": true}' '{"raft_address": 7}' '{"name": "x", "raft_address": false}'
	'{"name": "", "raft_address": ""}' '{"name": "x", "raft_address": "nohostport"}'
	'{"name": "x", "raft_address": "1.2.3.4:99999"}' '{"unknown": 1}' '{"name":"a","name":"b"}'
	'{"candidate": 5}' '{"candidate": null}' '{"candidate": ["n1"]}' '{"leader": 1, "candidate": 2}'
	'{"seq": "one"}' '{"member": 1}' '{"member": "n1", "state": 5, "time_ms": "x"}'
	'{"x": 1e999999}' '{"x": -}' '{"x": NaN}' '{"x": Infinity}' '{"x": "\ud800"}' '{"x": "\u0000"}'
	"$(printf '{"x": "\xff\xfe"}')" "$(printf '[%.0s' $(seq 1 2000))"
)
for path in /members /switchover /failover /fence/confirm; do
	for b in "${bodies[@]}"; do
		c=$(printf '%s' "$b" | code POST "$path" -H 'Content-Type: application/json' --data-binary @-)
		judge "POST $path $b" "$c"
	done
done
for b in '{' '[]' '{"member": 1}' '{"x": "\u0000"}' 'garbage'; do
	judge "POST /report $b" "$(printf '%s' "$b" | code POST /report --data-binary @-)"
	judge "POST /propose $b" "$(printf '%s' "$b" | code POST /propose --data-binary @-)"
done
category "bad JSON, wrong types, unknown fields to /members, /switchover, /failover, /fence/confirm, /report, /propose" "$n0"

# ---- bodies beyond the limit (4kB here) ----------------------------------------
n0=$TOTAL
head -c 100000 /dev/zero | tr '\0' a > "$IT_DIR/big"
head -c 5000 /dev/zero | tr '\0' '{' > "$IT_DIR/big2"
for path in /members /switchover /failover /report /propose /pause /resume /fence/confirm; do
	judge "POST $path 100kB" "$(code POST "$path" --data-binary @"$IT_DIR/big")"
	judge "POST $path 5kB" "$(code POST "$path" --data-binary @"$IT_DIR/big2")"
	judge "POST $path chunked" "$(code POST "$path" -H 'Transfer-Encoding: chunked' --data-binary @"$IT_DIR/big")"
done
# A Content-Length far beyond what is sent: cut after request_timeout, never served.
judge "lying Content-Length" "$(printf 'POST /members HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n{"name"' | raw)"
judge "negative Content-Length" "$(printf 'POST /members HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}' | raw)"
judge "two Content-Lengths" "$(printf 'POST /members HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}' | raw)"
category "bodies beyond restapi.max_body_bytes (declared, chunked, lying lengths)" "$n0"

# ---- invalid paths ---------------------------------------------------------------
n0=$TOTAL
long=$(head -c 9000 /dev/zero | tr '\0' a)
for p in /nope /primary/x /cluster/ //cluster /cluster/../raft "/..%2f..%2fetc/passwd" "/%00" \
	"/primary%00" "/%ff%fe" /patroni.json /metrics/x /test/nothing /test/propose /members/ \
	"/$long" "/health?lag=bad&lag=2&$(printf 'a%.0s' $(seq 1 3000))=1" /HEALTH /Primary \
	"/replica?lag=%zz" "/read-only?lag=1ZB" "/readiness?mode=%00" /liveness/ /readiness/x /history/x /config/x; do
	judge "GET $p" "$(code GET "$p")"
done
for p in /nope /cluster /primary /health /metrics /members/ghost /members/ "/$long"; do
	judge "DELETE $p" "$(code DELETE "$p")"
done
category "invalid paths (GET, DELETE)" "$n0"

# ---- bad methods -----------------------------------------------------------------
n0=$TOTAL
for m in PUT PATCH TRACE CONNECT FOO PROPFIND MKCOL LOCK "G3T"; do
	for p in /cluster /primary /health /metrics /liveness /raft; do
		judge "$m $p" "$(code "$m" "$p" -d '{}')"
	done
done
category "bad methods on read paths" "$n0"

# ---- header floods and raw garbage --------------------------------------------
n0=$TOTAL
hdrs=()
for k in $(seq 1 400); do hdrs+=(-H "X-Flood-$k: $(printf 'v%.0s' $(seq 1 100))"); done
judge "400 headers of 100 bytes" "$(code GET /cluster "${hdrs[@]}")"
judge "one 60kB header" "$(code GET /cluster -H "X-Big: $(head -c 60000 /dev/zero | tr '\0' a)")"
judge "60kB cookie" "$(code GET /primary -H "Cookie: $(head -c 60000 /dev/zero | tr '\0' b)")"
judge "a 40kB header name" "$(printf 'GET / HTTP/1.1\r\nHost: x\r\n%s: 1\r\n\r\n' "$(head -c 40000 /dev/zero | tr '\0' h)" | raw)"
judge "random bytes" "$(head -c 20000 /dev/urandom | raw)"
judge "HTTP/9.9" "$(printf 'GET / HTTP/9.9\r\nHost: x\r\n\r\n' | raw)"
judge "HTTP/1.1 without Host" "$(printf 'GET /cluster HTTP/1.1\r\n\r\n' | raw)"
judge "no version" "$(printf 'GET /cluster\r\n\r\n' | raw)"
judge "bare LF garbage" "$(printf '\n\n\n\n' | raw)"
judge "header without colon" "$(printf 'GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n' | raw)"
judge "space before colon" "$(printf 'GET / HTTP/1.1\r\nHost : x\r\n\r\n' | raw)"
# RFC 7230 lets a server unfold obs-fold: either way no path here exists.
judge "obsolete line folding" "$(printf 'GET /no-such HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n' | raw)"
judge "NUL in request line" "$(printf 'GET /clu\0ster HTTP/1.1\r\nHost: x\r\n\r\n' | raw)"
judge "absolute URI to elsewhere" "$(printf 'GET http://evil/%%2e%%2e HTTP/1.1\r\nHost: x\r\n\r\n' | raw)"
judge "TLS hello on plain port" "$(printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' | raw)"
judge "request smuggling CL+TE" "$(printf 'POST /members HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n' | raw)"
judge "bad chunk size" "$(printf 'POST /members HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' | raw)"
judge "Basic auth garbage" "$(code POST /members -H 'Authorization: Basic !!!!' -d '{')"
judge "Expect: 100-continue huge" "$(code POST /members -H 'Expect: 100-continue' --data-binary @"$IT_DIR/big")"
category "header floods and raw garbage" "$n0"

[ "$TOTAL" -ge 200 ]
it_ok $? "at least 200 hostile requests were sent ($TOTAL)"

# ---- slowloris: half-open connections beyond the limit ------------------------
# max_connections 32: one address may hold 24. Open 40 half-sent requests.
opened=0
fds=()
for k in $(seq 1 40); do
	if exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then
		printf 'GET /cluster HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$fd" 2>/dev/null
		fds+=("$fd")
		opened=$((opened + 1))
	fi
done
sleep 0.3
c=$(curl -s --max-time 3 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$URL/liveness")
[ "$c" = 200 ]
it_ok $? "$opened half-open connections from 127.0.0.1: a client from 127.0.0.2 still gets /liveness 200 (got $c)"
t0=$(date +%s%3N)
closed_by_server() { # the first half-open connection reaches EOF
	timeout 8 cat <&"${fds[0]}" >/dev/null 2>&1
}
closed_by_server
cut=$(( $(date +%s%3N) - t0 ))
[ "$cut" -lt 7000 ]
it_ok $? "the half-open connections are cut by the server (restapi.request_timeout 2 s; after $cut ms more)"
for fd in "${fds[@]}"; do exec {fd}>&- 2>/dev/null; done
back() { [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$URL/liveness")" = 200 ]; }
it_wait_cond 10 back
it_ok $? "after they are gone, 127.0.0.1 is served again"

# ---- the agent is healthy ------------------------------------------------------
c=$(code GET /liveness)
[ "$c" = 200 ] && [ "$(it_leader 1 2 3)" = "$leader" ] && [ "$(it_status_num "$leader" term)" = "$term0" ]
it_ok $? "after the abuse: /liveness $c, Raft leader n$leader unchanged, term $term0 unchanged (now $(it_status_num "$leader" term))"
[ "$(it_propose 7 "$leader")" = 200 ]
it_ok $? "the cluster commits"
ok=0
for i in 1 2 3; do kill -0 "${IT_PIDS[$i]}" 2>/dev/null || ok=1; done
it_ok $ok "no agent died"

#!/bin/bash
# tests/integration/lib.sh — helpers for the agent integration tests (TAP).
#
# Every test sources this file, then calls it_setup. Agents run on
# 127.0.0.1 with ports from a base unique to the test process, in a mktemp
# directory; the EXIT trap kills (by PID) every agent the test started and
# removes the directory. Every wait is bounded.

set -u

IT_BIN=${PGQUORUM_BIN:-${top_builddir:-$(pwd)}/pgquorum}
IT_DIR=""
IT_N=0
IT_TESTNO=0
IT_FAILED=0
declare -a IT_PIDS=()

it_setup() {
	# $1: number of founding agents
	IT_N=$1
	IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-it.XXXXXX")
	# 40 ports per test, below Linux's ephemeral range (32768+), so that no
	# outgoing connection takes one first. Each script has its own IT_SLOT
	# (0..9): scripts running in parallel never share a base; the PID
	# spreads concurrent runs of the suite.
	IT_BASE=$((21000 + ((($$ % 28) * 10 + ${IT_SLOT:-9}) * 40)))
	trap it_teardown EXIT
	trap 'exit 1' INT TERM
	if [ ! -x "$IT_BIN" ]; then
		echo "1..0 # SKIP pgquorum binary not found at $IT_BIN"
		exit 0
	fi
}

it_teardown() {
	local pid
	for pid in "${IT_PIDS[@]}"; do
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	for pid in "${IT_PIDS[@]}"; do
		[ -n "$pid" ] && wait "$pid" 2>/dev/null
	done
	if [ "$IT_FAILED" != 0 ] && [ -n "$IT_DIR" ]; then
		for f in "$IT_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "# ---- $f (last 15 lines)"
			tail -n 15 "$f" | sed 's/^/# /'
		done
	fi
	if [ -n "$IT_DIR" ] && [ "${IT_KEEP:-0}" != 1 ]; then rm -rf "$IT_DIR"; fi
}

it_raft_port() { echo $((IT_BASE + $1)); }
it_rest_port() { echo $((IT_BASE + 20 + $1)); }
# IT_SCHEME=https and IT_CURL_OPTS (e.g. --cacert) for agents serving TLS.
it_url() { echo "${IT_SCHEME:-http}://127.0.0.1:$(it_rest_port "$1")"; }

# it_write_config I PEERS...: config of agent nI whose raft.peers are the
# given indexes (the founding set; a joiner lists the founders and itself).
it_write_config() {
	local i=$1
	shift
	{
		echo "scope: it"
		echo "name: n$i"
		echo "raft:"
		echo "  listen: 127.0.0.1:$(it_raft_port "$i")"
		echo "  data_dir: $IT_DIR/data$i"
		echo "  heartbeat_ms: ${IT_HEARTBEAT_MS:-50}"
		echo "  election_timeout_ms: ${IT_ELECTION_MS:-300}"
		echo "  snapshot_threshold: ${IT_SNAPSHOT_THRESHOLD:-10000}"
		echo "  max_frame_bytes: 64kB"
		echo "  peers:"
		local p
		for p in "$@"; do
			echo "    - {name: n$p, address: 127.0.0.1:$(it_raft_port "$p"), restapi: 127.0.0.1:$(it_rest_port "$p")}"
		done
		echo "restapi:"
		echo "  listen: 127.0.0.1:$(it_rest_port "$i")"
		echo "  max_body_bytes: 4kB"
		if [ -n "${IT_AUTH:-}" ]; then
			echo "  authentication:"
			echo "    username: ${IT_AUTH%%:*}"
			echo "    password: ${IT_AUTH#*:}"
		fi
		if [ -n "${IT_ALLOW:-}" ]; then
			echo "  allowlist: [${IT_ALLOW}]"
		fi
		# Extra restapi lines (two-space indented), e.g. certfile/keyfile.
		if [ -n "${IT_RESTAPI_EXTRA:-}" ]; then
			printf '%s\n' "$IT_RESTAPI_EXTRA"
		fi
		echo "postgresql:"
		echo "  manage: false"
		echo "bootstrap:"
		echo "  dcs:"
		echo "    loop_wait: ${IT_LOOP_WAIT:-1s}"
	} > "$IT_DIR/n$i.yml"
}

# it_start I: start agent nI (config must exist); its PID goes to IT_PIDS[I].
it_start() {
	local i=$1
	PGQUORUM_TEST_HOOKS=1 "$IT_BIN" -c "$IT_DIR/n$i.yml" >> "$IT_DIR/n$i.log" 2>&1 &
	IT_PIDS[$i]=$!
}

it_kill9() {
	local i=$1
	[ -n "${IT_PIDS[$i]:-}" ] || return 0
	kill -9 "${IT_PIDS[$i]}" 2>/dev/null
	wait "${IT_PIDS[$i]}" 2>/dev/null
	IT_PIDS[$i]=""
}

# it_stop I: SIGTERM and wait (bounded); returns the exit status.
it_stop() {
	local i=$1 pid=${IT_PIDS[$1]:-} n=0 rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		IT_PIDS[$i]=""
		return 124
	fi
	wait "$pid"
	rc=$?
	IT_PIDS[$i]=""
	return $rc
}

it_cluster_start() {
	# it_cluster_start N: write configs for n1..nN (founders) and start them.
	local n=$1 i peers=""
	for i in $(seq 1 "$n"); do peers="$peers $i"; done
	for i in $(seq 1 "$n"); do
		# shellcheck disable=SC2086
		it_write_config "$i" $peers
		it_start "$i"
	done
}

# shellcheck disable=SC2086
it_get() { curl -s --max-time 2 ${IT_CURL_OPTS:-} "$(it_url "$1")$2"; }
# A string field of GET /status (compact JSON; no jq needed).
it_status_field() { it_get "$1" /status | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; }
# A number field of GET /status.
it_status_num() { it_get "$1" /status | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# it_leader I...: prints the index of the agent that says it leads, among the given ones.
it_leader() {
	local i
	for i in "$@"; do
		if [ "$(it_status_field "$i" role)" = leader ]; then
			echo "$i"
			return 0
		fi
	done
	return 1
}

# it_wait_leader TIMEOUT_S I...: wait until one of the given agents leads,
# and every given agent agrees on it. Prints the leader index.
it_wait_leader() {
	local t=$1 end l name i ok
	shift
	end=$((SECONDS + t))
	while [ $SECONDS -lt $end ]; do
		if l=$(it_leader "$@"); then
			ok=1
			for i in "$@"; do
				name=$(it_status_field "$i" leader)
				[ "$name" = "n$l" ] || ok=0
			done
			if [ $ok = 1 ]; then
				echo "$l"
				return 0
			fi
		fi
		sleep 0.2
	done
	return 1
}

# it_propose SEQ I: propose test entry SEQ through agent I (following a redirect).
it_propose() {
	# shellcheck disable=SC2086
	curl -s --max-time 5 -L -o /dev/null -w '%{http_code}' ${IT_CURL_OPTS:-} -X POST \
		-d "{\"seq\":$1}" "$(it_url "$2")/test/propose"
}

# The test log of agent I as "1,2,3" (empty when none or unreachable).
it_entries() { it_get "$1" /test/entries | sed -n 's/.*"seqs":\[\([^]]*\)\].*/\1/p'; }

# it_wait_cond TIMEOUT_S CMD...: retry CMD until it succeeds.
it_wait_cond() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

it_plan() { echo "1..$1"; }
it_ok() {
	# it_ok CONDITION_RC DESCRIPTION
	IT_TESTNO=$((IT_TESTNO + 1))
	if [ "$1" = 0 ]; then
		echo "ok $IT_TESTNO - $2"
	else
		echo "not ok $IT_TESTNO - $2"
		IT_FAILED=1
	fi
}

# it_has_entries I LIST: agent I's test log is exactly LIST ("1,2,3").
it_has_entries() { [ "$(it_entries "$1")" = "$2" ]; }

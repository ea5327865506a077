#!/bin/bash
# partition_netns.sh — a real network partition (issue 4): each of 3 agents
# runs in its own Linux network namespace, joined to a bridge by a veth pair.
# The leader's bridge-side veth goes down: the isolated minority cannot
# commit, the majority elects a new leader and commits; after the link comes
# back the old leader follows, and its uncommitted entry is gone.
# Needs root (CAP_SYS_ADMIN / CAP_NET_ADMIN); otherwise prints a TAP SKIP.
# The bridge lives in a fourth namespace of its own: nothing touches the root
# namespace's links or firewall (a host FORWARD policy of DROP with
# br_netfilter would otherwise eat bridged traffic). Everything carries this
# process's PID in its name, and the EXIT trap removes exactly those (agents
# by PID, then the namespaces, which take their veths and the bridge along).
IT_SLOT=3
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP network namespaces need root"
	exit 0
fi
for tool in ip curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not installed"
		exit 0
	fi
done

NS_PREFIX="pgq-$$-"
BRIDGE="pgqbr$$"
NS_CREATED=()

ns_name() { echo "$NS_PREFIX$1"; } # 0: the bridge's; 1..3: the agents'
host_veth() { echo "pgq$$h$1"; }   # bridge side, in namespace 0
ns_veth() { echo "pgq$$n$1"; }     # agent side, in namespace I

net_teardown() {
	local i pid n
	# SIGTERM first, SIGKILL after ~2 s (it_teardown does the SIGKILL+wait).
	for pid in "${IT_PIDS[@]}"; do
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	done
	n=0
	for pid in "${IT_PIDS[@]}"; do
		while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $n -lt 20 ]; do
			sleep 0.1
			n=$((n + 1))
		done
	done
	it_teardown
	for i in "${NS_CREATED[@]}"; do
		ip netns del "$(ns_name "$i")" 2>/dev/null
	done
	return 0
}

it_setup 3
trap net_teardown EXIT

# A /24 in 10.213.0.0/16 not routed here (it lives only in our namespaces,
# so even a clash would be harmless; this keeps the addresses unambiguous).
SUBNET=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	c=$((RANDOM % 200))
	if ! ip -4 route show 2>/dev/null | grep -q "^10\.213\.$c\."; then
		SUBNET="10.213.$c"
		break
	fi
done
if [ -z "$SUBNET" ]; then
	echo "1..0 # SKIP no free 10.213.x.0/24 subnet"
	exit 0
fi

if ! ip netns add "$(ns_name 0)" 2>/dev/null; then
	echo "1..0 # SKIP cannot create a network namespace (no CAP_SYS_ADMIN?)"
	exit 0
fi
NS_CREATED+=(0)
BR_NS=$(ns_name 0)

net_setup() {
	local i ns
	ip -n "$BR_NS" link add "$BRIDGE" type bridge || return 1
	ip -n "$BR_NS" link set "$BRIDGE" up || return 1
	for i in 1 2 3; do
		ns=$(ns_name "$i")
		ip netns add "$ns" || return 1
		NS_CREATED+=("$i")
		# Both ends are born in the bridge's namespace; one moves to the agent's.
		ip -n "$BR_NS" link add "$(host_veth "$i")" type veth peer name "$(ns_veth "$i")" || return 1
		ip -n "$BR_NS" link set "$(ns_veth "$i")" netns "$ns" || return 1
		ip -n "$BR_NS" link set "$(host_veth "$i")" master "$BRIDGE" || return 1
		ip -n "$BR_NS" link set "$(host_veth "$i")" up || return 1
		ip -n "$ns" link set lo up || return 1
		ip -n "$ns" addr add "$SUBNET.$i/24" dev "$(ns_veth "$i")" || return 1
		ip -n "$ns" link set "$(ns_veth "$i")" up || return 1
	done
}
if ! net_setup 2>"$IT_DIR/netsetup.err"; then
	echo "1..0 # SKIP network setup failed: $(head -n 1 "$IT_DIR/netsetup.err")"
	exit 0
fi

# lib.sh's helpers, with addresses in the namespaces. Every REST call runs
# inside the target agent's own namespace: it reaches its agent even while
# that namespace is cut off from the bridge.
it_ip() { echo "$SUBNET.$1"; }
it_url() { echo "http://$(it_ip "$1"):$(it_rest_port "$1")"; }
ns_curl() { # ns_curl I CURL-ARGS...
	local i=$1
	shift
	ip netns exec "$(ns_name "$i")" curl "$@"
}
it_get() { ns_curl "$1" -s --max-time 2 "$(it_url "$1")$2"; }
it_propose() {
	ns_curl "$2" -s --max-time 5 -L -o /dev/null -w '%{http_code}' -X POST \
		-d "{\"seq\":$1}" "$(it_url "$2")/test/propose"
}

# Same keys as it_write_config; only the addresses differ.
netns_write_config() {
	local i=$1 p
	{
		echo "scope: it"
		echo "name: n$i"
		echo "raft:"
		echo "  listen: $(it_ip "$i"):$(it_raft_port "$i")"
		echo "  data_dir: $IT_DIR/data$i"
		echo "  heartbeat_ms: ${IT_HEARTBEAT_MS:-50}"
		echo "  election_timeout_ms: ${IT_ELECTION_MS:-300}"
		echo "  snapshot_threshold: ${IT_SNAPSHOT_THRESHOLD:-10000}"
		echo "  max_frame_bytes: 64kB"
		echo "  peers:"
		for p in 1 2 3; do
			echo "    - {name: n$p, address: $(it_ip "$p"):$(it_raft_port "$p"), restapi: $(it_ip "$p"):$(it_rest_port "$p")}"
		done
		echo "restapi:"
		echo "  listen: $(it_ip "$i"):$(it_rest_port "$i")"
		echo "  max_body_bytes: 4kB"
		echo "postgresql:"
		echo "  manage: false"
		echo "bootstrap:"
		echo "  dcs:"
		echo "    loop_wait: ${IT_LOOP_WAIT:-1s}"
	} > "$IT_DIR/n$i.yml"
}

it_plan 6

# `ip netns exec` execs the agent, so $! is the agent's own PID.
pid_ok=0
for i in 1 2 3; do
	netns_write_config "$i"
	PGQUORUM_TEST_HOOKS=1 ip netns exec "$(ns_name "$i")" "$IT_BIN" -c "$IT_DIR/n$i.yml" \
		>> "$IT_DIR/n$i.log" 2>&1 &
	IT_PIDS[$i]=$!
done
sleep 0.3
for i in 1 2 3; do
	exe=$(readlink "/proc/${IT_PIDS[$i]}/exe" 2>/dev/null)
	[ "$exe" = "$(readlink -f "$IT_BIN")" ] || pid_ok=1
	[ "$(readlink "/proc/${IT_PIDS[$i]}/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] || pid_ok=1
done
it_ok $pid_ok "3 agents run in their own namespaces (PIDs ${IT_PIDS[*]})"

leader=$(it_wait_leader 20 1 2 3)
ok=$?
[ $ok = 0 ] && [ "$(it_propose 1 "$leader")" = 200 ]
it_ok $? "3 agents elect a leader (n${leader:-?}) over the bridge and commit entry 1"
if [ -z "$leader" ]; then
	for _ in 3 4 5 6; do it_ok 1 "skipped: no leader"; done
	exit 1
fi

others=""
for i in 1 2 3; do [ "$i" != "$leader" ] && others="$others $i"; done

# The partition: the leader's namespace loses its link to the bridge.
ip -n "$BR_NS" link set "$(host_veth "$leader")" down

# Asked directly (no redirect): the isolated old leader cannot commit.
code=$(ns_curl "$leader" -s --max-time 6 -o /dev/null -w '%{http_code}' -X POST \
	-d '{"seq":2}' "$(it_url "$leader")/test/propose")
[ "$code" != 200 ]
it_ok $? "the isolated minority n$leader cannot commit (HTTP $code)"

# shellcheck disable=SC2086
new=$(it_wait_leader 20 $others)
[ -n "$new" ] && [ "$(it_propose 3 "$new")" = 200 ]
it_ok $? "the majority elects n${new:-?} and commits entry 3"

term_new=$(it_status_num "${new:-1}" term)

# The heal.
ip -n "$BR_NS" link set "$(host_veth "$leader")" up
# The old leader may already have stepped down to a leaderless follower
# while cut off, so wait for it to name the new leader in the new term.
follows_new() {
	[ "$(it_status_field "$leader" role)" = follower ] &&
		[ "$(it_status_field "$leader" leader)" = "n$new" ] &&
		[ "$(it_status_num "$leader" term)" -ge "${term_new:-999999}" ] 2>/dev/null
}
it_wait_cond 20 follows_new
it_ok $? "after the heal the old leader follows n${new:-?} in term >= ${term_new:-?}"

it_wait_cond 20 it_has_entries "$leader" 1,3
it_ok $? "the old leader applies entry 3; its uncommitted entry 2 is gone (entries $(it_entries "$leader"))"

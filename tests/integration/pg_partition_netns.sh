#!/bin/bash
# pg_partition_netns.sh — scenario 5 (issue 5) with a real network partition:
# each of 3 members (agent + its PostgreSQL 15) runs in its own Linux
# network namespace, joined by a veth pair to a bridge on a private
# 10.214.x.0/24; Raft, REST and PostgreSQL listen on those addresses. The
# primary's bridge-side veth goes down: it must stop being writable within
# ttl of the cut (S1, S2, S5: it fences itself before its lease ends), the
# majority promotes a standby that accepts writes, and after the link comes
# back the old primary rewinds and streams from the new one. The sampler
# checks that no two members are writable at any moment (S1).
# Needs root (CAP_SYS_ADMIN / CAP_NET_ADMIN), ip and bridge support;
# otherwise prints a TAP SKIP. As in partition_netns.sh the bridge lives in
# a namespace of its own, so nothing touches the root namespace's links or
# firewall. Every name carries this process's PID; the EXIT trap stops the
# processes by PID (pg_teardown), then deletes exactly the namespaces it
# created (which takes their veths and the bridge along).
# psql (test, sampler) uses the Unix sockets in the test directory, which
# no network namespace hides; curl runs inside the target's namespace.
PG_SLOT=6
. "$(dirname "$0")/pg_lib.sh"

[ "$(id -u)" = 0 ] || pg_skip "network namespaces need root"
command -v ip >/dev/null 2>&1 || pg_skip "ip (iproute2) not installed"

TTL_S=4
PG_TTL=${TTL_S}s
pg_setup 3

NS_PREFIX="pgqpg-$$-"
BRIDGE="pgqpb$$"
NS_CREATED=()
ns_name() { echo "$NS_PREFIX$1"; } # 0: the bridge's; 1..3: the members'
host_veth() { echo "pgp$$h$1"; }   # bridge side, in namespace 0
ns_veth() { echo "pgp$$n$1"; }     # member side, in namespace I

netns_teardown() {
	local i
	pg_teardown
	for i in "${NS_CREATED[@]}"; do
		ip netns del "$(ns_name "$i")" 2>/dev/null
	done
	return 0
}
trap netns_teardown EXIT

SUBNET=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	c=$((RANDOM % 200))
	if ! ip -4 route show 2>/dev/null | grep -q "^10\.214\.$c\."; then
		SUBNET="10.214.$c"
		break
	fi
done
[ -n "$SUBNET" ] || pg_skip "no free 10.214.x.0/24 subnet"

ip netns add "$(ns_name 0)" 2>/dev/null ||
	pg_skip "cannot create a network namespace (no CAP_SYS_ADMIN?)"
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
		ip -n "$BR_NS" link add "$(host_veth "$i")" type veth peer name "$(ns_veth "$i")" || return 1
		ip -n "$BR_NS" link set "$(ns_veth "$i")" netns "$ns" || return 1
		ip -n "$BR_NS" link set "$(host_veth "$i")" master "$BRIDGE" || return 1
		ip -n "$BR_NS" link set "$(host_veth "$i")" up || return 1
		ip -n "$ns" link set lo up || return 1
		ip -n "$ns" addr add "$SUBNET.$i/24" dev "$(ns_veth "$i")" || return 1
		ip -n "$ns" link set "$(ns_veth "$i")" up || return 1
	done
}
net_setup 2>"$PG_DIR/netsetup.err" ||
	pg_skip "network setup failed: $(head -n 1 "$PG_DIR/netsetup.err")"

# pg_lib.sh's per-member knobs: addresses, namespaces, pg_hba network.
for i in 1 2 3; do
	declare "PG_ADDR_$i=$SUBNET.$i"
	declare "PG_NETNS_$i=$(ns_name "$i")"
done
PG_HBA_NET="$SUBNET.0/24"

# ns_writable I: mI answers pg_is_in_recovery() = false over TCP from
# inside its own namespace (as a client next to it would see it).
ns_writable() {
	[ "$(ip netns exec "$(ns_name "$1")" env PGPASSWORD="$PG_SU_PASS" PGCONNECT_TIMEOUT=2 \
		timeout 5 "$PG_BINDIR/psql" -X -q -At -h "$(pg_addr "$1")" -p "$(pg_pg_port "$1")" \
		-U postgres -d postgres -c "select pg_is_in_recovery()" 2>/dev/null)" = f ]
}

pg_cluster_up 120
up=$?
pg_plan 8
p=$PG_PRIMARY
pg_ok $up "bootstrap in 3 namespaces on $SUBNET.0/24: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 7 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")

ns_ok=0
for i in 1 2 3; do
	[ "$(readlink "/proc/${PG_PIDS[$i]}/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] || ns_ok=1
done
for o in $others; do
	[ "$(pg_sql "$p" "select client_addr from pg_stat_replication where application_name = 'm$o'")" = "$SUBNET.$o" ] || ns_ok=1
done
ns_writable "$p" || ns_ok=1
pg_ok $ns_ok "agents run in their own namespaces; $others stream over the bridge; m$p writable over TCP"

pg_sql "$p" "create table t(id int primary key, src text); insert into t values (1, 'before')" >/dev/null
pg_sampler_start

# The partition: the primary's namespace loses its link to the bridge
# (Raft, REST and replication traffic alike; no RST, packets just vanish).
t0=$(pg_now_ms)
ip -n "$BR_NS" link set "$(host_veth "$p")" down
pg_ok $? "m$p cut off: its veth on the bridge is down"

not_writable() { ! ns_writable "$p"; }
pg_wait_cond 30 not_writable
demoted_ms=$(($(pg_now_ms) - t0))
[ $demoted_ms -le $((TTL_S * 1000 + 500)) ]
pg_ok $? "the cut-off primary m$p stops accepting writes within ttl (${TTL_S}s): after $(pg_secs $demoted_ms)s"

# shellcheck disable=SC2086
new=$(pg_wait_primary 60 $others)
rc=$?
[ $rc = 0 ] && ns_writable "$new" && pg_sql "$new" "insert into t values (2, 'majority')" >/dev/null
pg_ok $? "the majority promotes m${new:-?} after $(pg_secs $(($(pg_now_ms) - t0)))s; it accepts a write"

# The heal.
ip -n "$BR_NS" link set "$(host_veth "$p")" up
rc=1
[ -n "$new" ] && pg_wait_streaming 90 "$new" "$p" && [ "$(pg_in_recovery "$p")" = t ] && rc=0
pg_ok $rc "after the heal m$p is in recovery and streams from m${new:-?}"

rc=1
[ -n "$new" ] && pg_wait_sql 20 "$p" "select src from t where id = 2" majority && rc=0
pg_ok $rc "m$p has the row written on the majority side"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples every 100 ms, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

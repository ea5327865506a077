#!/bin/sh
# vip-manager.sh — keep a virtual IP on the primary (on_role_change hook).
#
#   hooks:
#     on_role_change:
#       exec: [/usr/share/pgquorum/hooks/vip-manager.sh, 10.0.0.100/24, eth0]
#       timeout: 10s
#
# When this member becomes primary the address is added and announced with
# gratuitous ARP (arping -U), so clients and switches learn the new MAC at
# once; on any other role it is removed. Idempotent: adding an address that is
# present, or removing one that is absent, is not an error. Needs CAP_NET_ADMIN
# and CAP_NET_RAW: add AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW to the
# unit (sudo does not work there: the unit sets NoNewPrivileges=yes).
#
# PGQ_ROLE (primary, replica, ...) and PGQ_OLD_ROLE come from the agent;
# docs/hooks.md lists every variable.
set -eu
vip=${1:?usage: vip-manager.sh ADDRESS/PREFIX INTERFACE}
dev=${2:?usage: vip-manager.sh ADDRESS/PREFIX INTERFACE}
addr=${vip%/*}
IP=${IP:-ip}
ARPING=${ARPING:-arping}

has_vip() {
	"$IP" -o addr show dev "$dev" | grep -q " $addr/"
}

case "${PGQ_ROLE:-}" in
primary)
	if ! has_vip; then
		"$IP" addr add "$vip" dev "$dev"
		echo "added $vip on $dev (member ${PGQ_MEMBER:-?}, epoch ${PGQ_EPOCH:-?})"
	fi
	# Gratuitous ARP: neighbours drop the old primary's MAC for this address.
	"$ARPING" -q -U -c 3 -I "$dev" "$addr" || echo "warning: arping failed" >&2
	;;
*)
	if has_vip; then
		"$IP" addr del "$vip" dev "$dev"
		echo "removed $vip from $dev (role ${PGQ_ROLE:-unknown})"
	fi
	;;
esac

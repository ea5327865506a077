#!/bin/sh
# stonith-example.sh — an EXAMPLE fence hook. ADAPT BEFORE USE.
#
# ###########################################################################
# #  This script does NOT fence anything as shipped: it exits 1, so with     #
# #  fencing.required: true every failover stays blocked until you replace   #
# #  the commands below with ones that really cut off the old primary.       #
# #  A fence hook that reports success without fencing defeats rule S19.    #
# ###########################################################################
#
#   fencing:
#     required: true
#   hooks:
#     fence:
#       exec: [/etc/pgquorum/hooks/stonith.sh]
#       timeout: 60s
#
# The agent runs it before promoting a new primary after an unclean loss of
# the old one, with PGQ_OLD_PRIMARY (member name), PGQ_OLD_PRIMARY_HOST /
# PGQ_OLD_PRIMARY_PORT (its PostgreSQL address), PGQ_OLD_PRIMARY_RAFT and
# PGQ_OLD_PRIMARY_API. Exit 0 ONLY when the old primary is certainly unable to
# write: powered off (IPMI, cloud API), its PostgreSQL stopped and verified, or
# its storage/network cut. Any other exit, or running past the timeout, means
# "not fenced".
#
# When several former primaries await fencing, the agent runs this script
# once per member, one at a time, each run naming one member: fence exactly
# PGQ_OLD_PRIMARY and nothing else. Make it idempotent: a failed round is
# retried from its first member, so a node may be asked again once it is off.
set -eu
old=${PGQ_OLD_PRIMARY:?PGQ_OLD_PRIMARY is not set}
host=${PGQ_OLD_PRIMARY_HOST:-}

echo "stonith-example.sh: not configured; refusing to claim $old ($host) is fenced" >&2
exit 1

# --- Option A: power off through the BMC (ipmitool). Map member -> BMC. ----
# bmc=$(awk -v m="$old" '$1 == m { print $2 }' /etc/pgquorum/bmc-hosts)
# ipmitool -I lanplus -H "$bmc" -U fence -E chassis power off
# # Verify: the chassis must report "off".
# ipmitool -I lanplus -H "$bmc" -U fence -E chassis power status | grep -q 'is off'
# exit 0

# --- Option B: stop PostgreSQL over ssh and check no process is left (S5). --
# ssh -o BatchMode=yes -o ConnectTimeout=5 "fence@$host" \
#     'sudo systemctl kill --signal=KILL pgquorum.service postgresql.service;
#      ! pgrep -u postgres -x postgres'
# exit 0

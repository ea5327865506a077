#!/bin/sh
# tests/sim/bug-proof.sh — proof that the simulator finds real Raft bugs.
#
# raftsim_bug1..3 are raftsim built against the Raft core with one injected
# bug each (RAFT_INJECT_BUG, docs/raft.md):
#   1  a candidate counts a vote answer from an older term
#   2  a leader commits an entry of an earlier term by counting replicas
#   3  a vote is sent before it is persisted (lost in a crash)
# Each test passes only when the simulator, within the CI seed budget, stops
# with a SAFETY VIOLATION (exit status 1). A build where the bug goes
# unnoticed, crashes, or ends with any other verdict fails the test.
# The checks named in the message show what caught it; with --classic only
# the five properties of the Raft paper are checked.
# make check exports top_builddir (the binaries live there in a VPATH build).
dir=${top_builddir:+$top_builddir/tests/sim}
dir=${dir:-$(dirname "$0")}
seeds=${RAFTSIM_BUG_SEEDS:-1000}
steps=${RAFTSIM_BUG_STEPS:-10000}
out=${TMPDIR:-/tmp}/raftsim-bug-proof.$$
trap 'rm -f "$out"' EXIT INT TERM

set -- "1:" "2:" "3:" "1:--classic" "2:--classic" "3:--classic"
echo "1..$#"
n=0
for spec in "$@"; do
	n=$((n + 1))
	bug=${spec%%:*}
	extra=${spec#*:}
	what="bug $bug${extra:+ ($extra)}"
	# shellcheck disable=SC2086
	"$dir/raftsim_bug$bug" --seeds "$seeds" --steps "$steps" $extra >"$out" 2>&1
	rc=$?
	verdict=$(grep -m1 'VIOLATION\|ERROR' "$out")
	replay=$(grep -m1 '^# replay:' "$out")
	if [ "$rc" -eq 1 ] && echo "$verdict" | grep -q 'SAFETY VIOLATION'; then
		echo "ok $n - $what found: ${verdict#\# }"
		echo "$replay"
	else
		echo "not ok $n - $what NOT found within $seeds seeds x $steps steps (exit $rc)"
		sed 's/^/# /' "$out" | tail -n 20
	fi
done

#!/bin/bash
# crash.sh — an agent under continuous proposals is killed with SIGKILL at
# random moments (CRASH_ROUNDS, default 30), restarted, and every entry that
# was reported committed before the kill is still there, in order, once
# (storage: fsync before acknowledging; L1 and the Ready order of raft.h).
# At the end all three agents hold the same log.
IT_SLOT=5
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-30}
it_setup 3
it_plan 4
IT_SNAPSHOT_THRESHOLD=200 # compaction happens during the test too
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"

acked="$IT_DIR/acked"
: > "$acked"
# The proposer: one entry at a time, through any agent (redirects followed);
# a seq is written to $acked only after a 200 (= applied on the leader).
(
	seq=1
	while :; do
		for i in 1 2 3; do
			code=$(it_propose "$seq" "$i")
			if [ "$code" = 200 ]; then
				echo "$seq" >> "$acked"
				break
			fi
		done
		seq=$((seq + 1))
	done
) &
IT_PIDS[30]=$!

# check_log I ACKED_FILE: agent I's log holds every seq of the file, and its
# seqs are strictly increasing (no duplicate, no reordering).
check_log() {
	local got
	got=$(it_entries "$1")
	[ -n "$got" ] || return 1
	echo "$got" | tr ',' '\n' | awk -v f="$2" '
		BEGIN { while ((getline l < f) > 0) want[l] = 1 }
		{ if ($1 <= prev) bad = 1; prev = $1; have[$1] = 1 }
		END { for (w in want) if (!(w in have)) bad = 1; exit bad }'
}

lost=0
slow=0
for r in $(seq 1 "$ROUNDS"); do
	victim=$(( (RANDOM % 3) + 1 ))
	sleep "0.$(( RANDOM % 5 ))$(( RANDOM % 10 ))"
	it_kill9 "$victim"
	cp "$acked" "$IT_DIR/acked.$r"
	it_start "$victim"
	if ! it_wait_cond 20 check_log "$victim" "$IT_DIR/acked.$r"; then
		echo "# round $r: n$victim is missing acknowledged entries or has them out of order"
		lost=1
		break
	fi
	n=$(wc -l < "$acked")
	[ "$n" -gt 0 ] || slow=1
done
it_ok $lost "$ROUNDS SIGKILL+restart rounds: every acknowledged entry survives, in order, once"
it_ok $slow "proposals kept committing during the rounds ($(wc -l < "$acked") acknowledged)"

{ kill -9 "${IT_PIDS[30]}"; wait "${IT_PIDS[30]}"; } 2>/dev/null
IT_PIDS[30]=""
cp "$acked" "$IT_DIR/acked.final"
same() {
	local a b c
	a=$(it_entries 1); b=$(it_entries 2); c=$(it_entries 3)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ] && check_log 1 "$IT_DIR/acked.final"
}
it_wait_cond 20 same
it_ok $? "afterwards the 3 agents hold the same log, containing every acknowledged entry"

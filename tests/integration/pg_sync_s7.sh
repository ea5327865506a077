#!/bin/bash
# pg_sync_s7.sh — sourced by pg_sync_members.sh and pg_sync_switch.sh (after
# pg_lib.sh; they set $p, the primary's index): how to read the synchronous
# state on both sides, and SAFETY.md S7's invariant sampler.
#
# rec_sync [I]: the record's set as "k name..." (names sorted), "0" when none.
rec_sync() { pg_get "${1:-$p}" /cluster | perl -MJSON::PP -e 'local $/; my $s = eval { decode_json(<STDIN>)->{sync} }; exit 1 unless $@ eq ""; $s //= { k => 0, members => [] }; print join(" ", $s->{k} // 0, sort @{$s->{members} // []}), "\n"'; }
# pg_ssn: synchronous_standby_names on the primary.
pg_ssn() { pg_sql "$p" "show synchronous_standby_names"; }
# ssn_parse TEXT: "k name..." of FIRST/ANY k (...), "0" otherwise.
ssn_parse() { perl -e '$_ = shift; if (/^(?:FIRST|ANY)\s+(\d+)\s*\((.*)\)$/) { my ($k, $l) = ($1, $2); my @n = $l =~ /"((?:[^"]|"")*)"/g; print join(" ", $k, sort @n), "\n" } else { print "0\n" }' "$1"; }
# expect REC SSN: both sides read as given.
expect() { [ "$(rec_sync)" = "$1" ] && [ "$(pg_ssn)" = "$2" ]; }

# pg_s7_sampler_start: every 100 ms read the record's (S_rec, k_rec), then
# synchronous_standby_names, then the record again; a name PostgreSQL may
# wait for that is in neither record read, or k_pg below both k_rec reads,
# breaks S_pg ⊆ S_rec, k_pg ≥ k_rec. The strict placeholder waits for
# nobody who can answer and is exempt.
pg_s7_sampler_start() {
	: > "$PG_DIR/s7.samples"
	: > "$PG_DIR/s7.violations"
	(
		trap 'exit 0' TERM
		while :; do
			r1=$(rec_sync) || { sleep 0.1; continue; }
			s=$(pg_ssn) || { sleep 0.1; continue; }
			r2=$(rec_sync) || { sleep 0.1; continue; }
			echo "$r1 | $s | $r2" >> "$PG_DIR/s7.samples"
			case "$s" in *pgquorum:no-sync-standby*) sleep 0.1; continue ;; esac
			read -r kp names <<< "$(ssn_parse "$s")"
			k1=${r1%% *} k2=${r2%% *}
			bad=""
			[ "$kp" -lt "$k1" ] && [ "$kp" -lt "$k2" ] && bad="k_pg $kp < k_rec"
			for n in $names; do
				[[ " ${r1#* } " == *" $n "* ]] || [[ " ${r2#* } " == *" $n "* ]] || bad="$bad $n not in S_rec"
			done
			[ -n "$bad" ] && echo "$(date -u +%T.%N) $bad: $r1 | $s | $r2" >> "$PG_DIR/s7.violations"
			sleep 0.1
		done
	) &
	S7_PID=$!
	PG_EXTRA_PIDS+=("$S7_PID")
}

# pg_s7_sampler_stop: prints "SAMPLES VIOLATIONS"; the violations are in
# $PG_DIR/s7.violations.
pg_s7_sampler_stop() {
	kill -TERM "$S7_PID" 2>/dev/null
	wait "$S7_PID" 2>/dev/null
	echo "$(wc -l < "$PG_DIR/s7.samples") $(wc -l < "$PG_DIR/s7.violations")"
}

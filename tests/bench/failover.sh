#!/bin/bash
# tests/bench/failover.sh — failover and switchover times of a 3-member
# cluster of real agents and PostgreSQL 15 servers on 127.0.0.1 (the
# harness of tests/integration/pg_lib.sh). Prints figures; never fails on
# time (exit 0 unless it could not run at all). Not part of `make check`.
#
#   (a) kill -9 of the primary's agent and all its PostgreSQL processes →
#       the first moment another member accepts a write (INSERT tried on
#       every other member in turn, as fast as psql allows), measured
#       with the default timings (ttl 30 s, loop_wait 10 s) and tuned
#       ones (ttl 2 s, loop_wait 1 s; BENCH_TUNED_TTL to change);
#   (b) switchover request (pgquorumctl switchover / POST /switchover) →
#       the candidate accepts a write;
#   (c) `leader-dies`: as (a), with the Raft leader on the primary's host
#       (test-only PGQUORUM_TEST_LEADER_ON_PRIMARY=1) so that both die
#       together: the new leader's S3 wait, shortened by the voters' ages of
#       the latest renewal (LEASE_AGE); BENCH_S3_TIMINGS=default|tuned20.
# Each failover run also prints where the time went: the age of the last
# renewal at the kill, where the Raft leader was, and when the record showed
# the loss (S2/S3 lease wait), the successor named (S9 report wait) and
# promoted{} (hooks, pg_promote, commit); agent logs carry UTC milliseconds
# (PGQUORUM_LOG_TIME=1, kept with PG_KEEP=1). BENCH_SETTLE_S waits that long
# after each rejoin before the next kill.
# Each figure: median, min and max over BENCH_RUNS runs (default 5). After
# each failover the killed member's agent is restarted (with an empty data
# directory unless BENCH_RECLONE=0) and the bench waits until it streams
# again, so every run starts from a healthy cluster.
#
# Usage (from a build directory, as root or as a user that can run
# PostgreSQL):
#   PGQUORUM_BIN=$PWD/pgquorum PGQUORUMCTL_BIN=$PWD/pgquorumctl \
#       ../tests/bench/failover.sh [default|tuned|switchover|leader-dies]...
set -u
PG_SLOT=${PG_SLOT:-9}
. "$(dirname "$0")/../integration/pg_lib.sh"

RUNS=${BENCH_RUNS:-5}
# Agent log lines with UTC milliseconds (PG_KEEP=1 keeps mI.log): where a
# failover's time went, step by step.
export PGQUORUM_LOG_TIME=1
MODES=("$@")
[ ${#MODES[@]} -eq 0 ] && MODES=(tuned switchover default)

# The skip of pg_setup prints TAP; here a plain message is enough.
pg_skip() {
	echo "failover bench: cannot run: $*"
	exit 0
}

stats() { # stats NAME VALUES_MS...: median/min/max in seconds
	local name=$1
	shift
	if [ $# -eq 0 ]; then
		printf '%-44s no successful run\n' "$name"
		return
	fi
	local sorted n med
	mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
	n=${#sorted[@]}
	if [ $((n % 2)) = 1 ]; then
		med=${sorted[$((n / 2))]}
	else
		med=$(((sorted[n / 2 - 1] + sorted[n / 2]) / 2))
	fi
	printf '%-44s median %6s s  min %6s s  max %6s s  (%d runs)\n' "$name" \
		"$(pg_secs "$med")" "$(pg_secs "${sorted[0]}")" "$(pg_secs "${sorted[$((n - 1))]}")" "$n"
}

# first_writer T0_MS DEADLINE_S MEMBERS...: wait until one member accepts
# an INSERT; prints "INDEX ELAPSED_MS".
first_writer() {
	local t0=$1 end=$((SECONDS + $2)) i
	shift 2
	while [ $SECONDS -lt $end ]; do
		for i in "$@"; do
			if pg_sql "$i" "insert into bench values (now())" >/dev/null; then
				echo "$i $(($(pg_now_ms) - t0))"
				return 0
			fi
		done
	done
	return 1
}

# phase_sampler I OUT: every ~100 ms, one line per GET /cluster on mI:
# "now_ms primary state promoted lost_at_ms named_at_ms" (the record's
# times are the proposers' wall clocks: same host here).
phase_sampler() {
	perl -MJSON::PP -MTime::HiRes=time,sleep -e '
		my ($url, $out) = @ARGV;
		open(my $fh, ">", $out) or exit 1;
		$fh->autoflush(1);
		$SIG{TERM} = sub { close($fh); exit 0 };
		while (1) {
			my $t = `curl -s --max-time 1 $url/cluster`;
			my $v = eval { JSON::PP->new->decode($t) };
			if ($v && $v->{primary}) {
				my $p = $v->{primary};
				printf $fh "%d %s %s %d %d %d\n", time() * 1000, $p->{name}, $p->{state},
					$p->{promoted} ? 1 : 0, $p->{lost_at_ms} // 0, $p->{named_at_ms} // 0;
			}
			sleep(0.1);
		}' "$(pg_url "$1")" "$2" &
	SAMPLER_PID=$!
}

# phases T0_MS OLD FILE: where the time went, from the sampler's lines:
# loss declared (S2/S3 lease wait), successor named (S9 report wait),
# promoted{} committed (fence hook, pre_promote, pg_promote, commit).
phases() {
	awk -v t0="$1" -v old="m$2" '
		$2 != old && !named { named = 1; nm = $6 - t0 }
		$3 == "lost" && !lost { lost = 1; ls = $5 - t0 }
		$2 != old && $4 == 1 && !prom { prom = 1; pr = $1 - t0 }
		END {
			if (!lost && named) ls = -1
			printf "loss declared +%s, successor named +%s, promoted{} seen +%s",
				(lost ? sprintf("%.2f s", ls / 1000) : "?"),
				(named ? sprintf("%.2f s", nm / 1000) : "?"),
				(prom ? sprintf("%.2f s", pr / 1000) : "?")
		}' "$3"
}

# A fresh cluster for each mode (its own directory and ports).
cluster() {
	pg_setup 3
	if ! pg_cluster_up 120; then
		echo "cluster did not come up (logs in $PG_DIR when PG_KEEP=1)"
		tail -n 5 "$PG_DIR"/m*.log
		return 1
	fi
	pg_sql "$PG_PRIMARY" "create table bench(t timestamptz)" >/dev/null
	# shellcheck disable=SC2046
	pg_wait_sql 30 $(pg_others "$PG_PRIMARY" | cut -d' ' -f1) "select to_regclass('bench') is not null" t
}

finish_cluster() {
	pg_teardown
	trap - EXIT
	PG_PIDS=()
	PG_DIR=""
}

bench_failover() { # NAME DEADLINE_S
	local name=$1 deadline=$2 r p="" got new ms times=()
	for r in $(seq 1 "$RUNS"); do
		if [ -z "$PG_DIR" ]; then
			cluster || { finish_cluster; break; }
			p=$PG_PRIMARY
		fi
		watch=$(pg_others "$p" | cut -d' ' -f1)
		if [ "${BENCH_LEADER_ON_PRIMARY:-0}" = 1 ]; then
			# The S3 case: the Raft leader dies with the primary
			# (PGQUORUM_TEST_LEADER_ON_PRIMARY hands it onto that host).
			leader_on_p() { [ "$(pg_get "$watch" /patroni | pg_json raft.leader)" = "m$p" ]; }
			pg_wait_cond 60 leader_on_p || echo "  run $r: the Raft leader is not on m$p"
			sleep "${BENCH_LEADER_SETTLE_S:-0}"
		fi
		renewed=$(pg_cluster_field "$watch" primary.renewed_at_ms)
		leader=$(pg_get "$watch" /patroni | pg_json raft.leader)
		phase_sampler "$watch" "$PG_DIR/phases.$r"
		t0=$(pg_now_ms)
		pg_kill9_member "$p"
		# shellcheck disable=SC2046
		if ! got=$(first_writer "$t0" "$deadline" $(pg_others "$p")); then
			echo "  run $r: no member accepted a write within ${deadline}s"
			kill "$SAMPLER_PID" 2>/dev/null
			wait "$SAMPLER_PID" 2>/dev/null
			finish_cluster
			continue
		fi
		read -r new ms <<< "$got"
		sleep 0.3
		kill "$SAMPLER_PID" 2>/dev/null
		wait "$SAMPLER_PID" 2>/dev/null
		echo "  run $r: m$p killed, m$new accepts writes after $(pg_secs "$ms") s"
		echo "         last renewal $(pg_secs $((t0 - ${renewed:-$t0}))) s before the kill," \
			"Raft leader ${leader:-?}$([ "${leader:-}" = "m$p" ] && echo ' (the killed host: election + S3 wait, shortened by voters'"'"' ages)');" \
			"$(phases "$t0" "$p" "$PG_DIR/phases.$r")"
		times+=("$ms")
		[ "$r" = "$RUNS" ] && break
		# The killed member comes back as a standby: by a rejoin (rewind) or,
		# with BENCH_RECLONE=1 (default), from an empty data directory. When
		# it does not within BENCH_REJOIN_S, the next run gets a new cluster.
		if [ "${BENCH_RECLONE:-1}" = 1 ]; then
			rm -rf "$(pg_datadir "$p")" "$(pg_datadir "$p")".*
		fi
		pg_start "$p"
		# shellcheck disable=SC2046
		if pg_wait_streaming "${BENCH_REJOIN_S:-60}" "$new" $(pg_others "$new"); then
			p=$new
			# BENCH_SETTLE_S: steady state before the next kill (a new Raft
			# leader, e.g. after a hand-over, waits a whole lease, S3).
			sleep "${BENCH_SETTLE_S:-0}"
		else
			echo "  run $r: m$p did not rejoin as a standby of m$new: a new cluster for the next run"
			finish_cluster
		fi
	done
	stats "$name" "${times[@]}"
	[ -z "$PG_DIR" ] || finish_cluster
	[ ${#times[@]} -gt 0 ]
}

bench_switchover() {
	local r p="" cand got new ms rc times=()
	for r in $(seq 1 "$RUNS"); do
		if [ -z "$PG_DIR" ]; then
			cluster || { finish_cluster; break; }
			p=$PG_PRIMARY
		fi
		cand=$(pg_others "$p" | cut -d' ' -f$(((r % 2) + 1)))
		# S13 refuses a target whose latest report is not a replica on the
		# record's timeline: wait until the record shows one.
		reported() {
			local tl
			tl=$(pg_cluster_field "$p" timeline)
			[ "$(pg_cluster_field "$p" "members[name=m$cand].status.role")" = replica ] &&
				[ "$(pg_cluster_field "$p" "members[name=m$cand].status.timeline")" = "$tl" ]
		}
		pg_wait_cond 20 reported || echo "  run $r: no report of m$cand in the record yet"
		t0=$(pg_now_ms)
		pg_switchover "$p" "$cand"
		rc=$?
		if [ $rc = 2 ]; then
			echo "  switchover: no interface yet (pgquorumctl switchover, POST /switchover)"
			break
		elif [ $rc != 0 ]; then
			echo "  run $r: switchover to m$cand refused"
			finish_cluster
			continue
		fi
		if ! got=$(first_writer "$t0" 60 "$cand"); then
			echo "  run $r: m$cand did not accept writes within 60 s"
			finish_cluster
			continue
		fi
		read -r new ms <<< "$got"
		echo "  run $r: switchover m$p -> m$cand, writes accepted after $(pg_secs "$ms") s"
		times+=("$ms")
		[ "$r" = "$RUNS" ] && break
		# shellcheck disable=SC2046
		if pg_wait_streaming "${BENCH_REJOIN_S:-60}" "$cand" $(pg_others "$cand"); then
			p=$cand
		else
			echo "  run $r: the others did not follow m$cand: a new cluster for the next run"
			finish_cluster
		fi
	done
	stats "switchover (request -> new primary writes)" "${times[@]}"
	[ -z "$PG_DIR" ] || finish_cluster
	[ ${#times[@]} -gt 0 ]
}

echo "pgquorum failover bench: $(nproc) cores, $RUNS runs per figure, agent $PG_AGENT_BIN"
for mode in "${MODES[@]}"; do
	case "$mode" in
	default)
		echo "== (a) kill -9 primary agent+postmaster, default timings (ttl 30 s, loop_wait 10 s)"
		PG_DEFAULT_TIMINGS=1 bench_failover "failover, default config" 120
		;;
	leader-dies)
		# Figure (c): the Raft leader on the primary's host dies with it;
		# BENCH_S3_TIMINGS=default (ttl 30 s, loop_wait 10 s) or tuned20
		# (ttl 20 s, loop_wait 1 s, as pg_s3_voter_ages.sh).
		for i in 1 2 3; do declare "PG_ENV_$i=PGQUORUM_TEST_LEADER_ON_PRIMARY=1"; done
		if [ "${BENCH_S3_TIMINGS:-default}" = default ]; then
			echo "== (c) kill -9 primary agent+postmaster with the Raft leader on its host, default timings"
			BENCH_LEADER_ON_PRIMARY=1 PG_DEFAULT_TIMINGS=1 bench_failover "failover, leader dies with primary, default config" 120
		else
			echo "== (c) kill -9 primary agent+postmaster with the Raft leader on its host, ttl 20 s, loop_wait 1 s"
			BENCH_LEADER_ON_PRIMARY=1 PG_TTL=20s PG_LOOP_WAIT=1s bench_failover "failover, leader dies with primary, ttl 20s" 90
		fi
		for i in 1 2 3; do unset "PG_ENV_$i"; done
		;;
	tuned)
		# ttl 2 s needs loop_wait + 2 x retry_timeout <= ttl in the record
		# while the configuration accepts no retry_timeout below 1 s (the
		# agent lowers it at bootstrap); should a cluster still refuse it,
		# the bench says so and measures ttl 3 s.
		for ttl in ${BENCH_TUNED_TTL:-2s 3s}; do
			echo "== (a) kill -9 primary agent+postmaster, ttl $ttl, loop_wait 1 s"
			PG_TTL=$ttl PG_LOOP_WAIT=1s PG_ELECTION_MS=100 PG_COMMIT_P99_MS=50 \
				PG_STOP_BUDGET_MS=300 PG_KILL_BUDGET_MS=100 PG_DRIFT_MS=100 PG_REPORT_TIMEOUT=1s \
				bench_failover "failover, ttl $ttl / loop_wait 1s" 60 && break
		done
		;;
	switchover)
		echo "== (b) switchover to a named candidate (ttl 4 s, loop_wait 1 s)"
		bench_switchover
		;;
	*) echo "unknown mode $mode (default, tuned, switchover)" ;;
	esac
done
exit 0

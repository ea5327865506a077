#!/bin/bash
# tests/bench/bench_agent.sh — agent benchmark (prints figures, never fails).
#
# 3 agents on 127.0.0.1 with fsync on (the storage module always fsyncs):
#   - commit latency p50/p99 and commits/s for small entries: BENCH_N (500)
#     test entries proposed one at a time through the leader's REST API, by
#     one curl process on one keep-alive connection (POST /test/propose
#     answers once the entry is applied on the leader, so each figure
#     includes one HTTP round trip);
#   - resident memory (VmRSS) of each agent when idle;
#   - CPU time of an idle agent over BENCH_IDLE_S seconds (60).
# Usage: PGQUORUM_BIN=/path/to/pgquorum tests/bench/bench_agent.sh
# Use a build without sanitizers for meaningful figures.
IT_SLOT=8
. "$(dirname "$0")/../integration/lib.sh"

N=${BENCH_N:-500}
IDLE=${BENCH_IDLE_S:-60}
it_setup 3
# The configuration defaults (heartbeat 100 ms, election timeout 1 s,
# a member report every loop_wait = 10 s).
IT_HEARTBEAT_MS=100
IT_ELECTION_MS=1000
IT_LOOP_WAIT=10s
it_cluster_start 3
leader=$(it_wait_leader 30 1 2 3) || { echo "# bench: no leader; giving up"; exit 0; }
url="$(it_url "$leader")/test/propose"
lat="$IT_DIR/latency"
cfg="$IT_DIR/curl.cfg"
for s in $(seq 1 "$N"); do
	[ "$s" -gt 1 ] && echo "next"
	printf 'url = "%s"\nrequest = "POST"\ndata = "{\\"seq\\":%d}"\noutput = "/dev/null"\nwrite-out = "%%{time_total}\\n"\n' "$url" "$s"
done > "$cfg"
start=$(date +%s.%N)
curl -s --max-time 120 -K "$cfg" > "$lat"
end=$(date +%s.%N)
sort -n "$lat" | awk -v n="$N" -v t0="$start" -v t1="$end" '
	{ v[NR] = $1 }
	END {
		p50 = v[int(NR * 0.50) > 0 ? int(NR * 0.50) : 1]
		p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1]
		printf "commit latency (one at a time, incl. HTTP): p50 %.2f ms, p99 %.2f ms\n", p50 * 1000, p99 * 1000
		printf "commits/s (sequential): %.0f\n", n / (t1 - t0)
	}'
sleep 2
for i in 1 2 3; do
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/${IT_PIDS[$i]}/status")
	echo "idle RSS n$i: ${rss} kB"
done
pid=${IT_PIDS[$leader]}
tck=$(getconf CLK_TCK)
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep "$IDLE"
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
awk -v a="$t0" -v b="$t1" -v hz="$tck" -v s="$IDLE" 'BEGIN {
	printf "idle leader CPU over %d s: %.2f s (%.3f%% of one core)\n", s, (b - a) / hz, 100 * (b - a) / hz / s }'
pid=${IT_PIDS[$(( leader % 3 + 1 ))]}
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep 10
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
awk -v a="$t0" -v b="$t1" -v hz="$tck" 'BEGIN {
	printf "idle follower CPU over 10 s: %.2f s (%.3f%% of one core)\n", (b - a) / hz, 100 * (b - a) / hz / 10 }'
exit 0

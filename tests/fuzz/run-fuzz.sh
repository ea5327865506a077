#!/bin/bash
# tests/fuzz/run-fuzz.sh — build the fuzz targets with clang + libFuzzer and
# run each one for a bounded time. Separate from the normal (gcc) build on
# purpose; `make check` only replays the committed corpus.
#
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]        fuzz (default 60 s each)
#   tests/fuzz/run-fuzz.sh --merge [SECONDS] [TARGET...] fuzz, then merge the new
#                                   coverage-increasing inputs (minimal set) into
#                                   tests/fuzz/corpus/TARGET/ for committing
#   tests/fuzz/run-fuzz.sh --gen-corpus                 rewrite the seed-* files
#
# Targets: fuzz_decode always; fuzz_step once the Raft core defines raft_step.
# Environment: CLANG (default clang), FUZZ_BUILD_DIR (default build-fuzz in the
# source tree), FUZZ_JOBS (parallel fuzzing jobs per target, default 1).
# Prints TAP; exits non-zero when a target crashes, leaks or trips a sanitizer
# (the reproducer is left in FUZZ_BUILD_DIR as crash-*/leak-*/timeout-*).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
CLANG=${CLANG:-clang}
JOBS=${FUZZ_JOBS:-1}
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -I$SRC/agent -I$SRC/agent/raft -I$SRC/tests/fuzz -I$SRC/include"

merge=0
case "${1:-}" in
--gen-corpus)
	mkdir -p "$BUILD"
	"${CC:-cc}" -std=c11 -D_GNU_SOURCE -I"$SRC/agent" -I"$SRC/tests/fuzz" \
		"$SRC/tests/fuzz/gen_corpus.c" "$SRC/agent/raft/codec.c" "$SRC/agent/raft/crc32c.c" \
		-o "$BUILD/gen_corpus"
	"$BUILD/gen_corpus" "$SRC/tests/fuzz/corpus"
	echo "seed corpus written to $SRC/tests/fuzz/corpus"
	exit 0
	;;
--merge)
	merge=1
	shift
	;;
esac

seconds=${1:-60}
shift || true
case "$seconds" in
'' | *[!0-9]*) echo "usage: $0 [--merge] [SECONDS] [TARGET...] | --gen-corpus" >&2; exit 2 ;;
esac

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "1..0 # SKIP $CLANG not found: libFuzzer targets need clang"
	exit 0
fi

core_ready() { grep -qs '^int raft_step(' "$SRC"/agent/raft/*.c; }

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=(fuzz_decode)
	if core_ready; then targets+=(fuzz_step); fi
fi

# Sources each target needs: the decoder alone, or the whole core as
# agent/raft/raft.am lists it (files being written but not listed stay out).
sources_for() {
	case "$1" in
	fuzz_decode) echo "$SRC/agent/raft/codec.c $SRC/agent/raft/crc32c.c" ;;
	*) grep -o 'agent/raft/[A-Za-z0-9_]*\.c' "$SRC/agent/raft/raft.am" | sed "s|^|$SRC/|" | tr '\n' ' ' ;;
	esac
}

mkdir -p "$BUILD"
echo "1..${#targets[@]}"
failures=0
i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	bin="$BUILD/$t"
	work="$BUILD/corpus-$t"
	seeds="$SRC/tests/fuzz/corpus/$t"
	log="$BUILD/$t.log"
	# shellcheck disable=SC2046,SC2086
	if ! "$CLANG" $CFLAGS "$SRC/tests/fuzz/$t.c" $(sources_for "$t") -o "$bin" >"$log" 2>&1; then
		echo "not ok $i - $t: clang build failed (see $log)"
		sed 's/^/# /' "$log" | head -40
		failures=$((failures + 1))
		continue
	fi
	mkdir -p "$work" "$seeds"
	# New inputs go to the first directory (scratch); the committed corpus is read only.
	rc=0
	parallel=()
	if [ "$JOBS" -gt 1 ]; then parallel=(-jobs="$JOBS" -workers="$JOBS"); fi
	# From the build dir: parallel jobs write their fuzz-N.log files there.
	(cd "$BUILD" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		"${parallel[@]}" -print_final_stats=1 \
		-artifact_prefix="$BUILD/" "$work" "$seeds") >>"$log" 2>&1 || rc=$?
	stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
	if [ $rc -ne 0 ]; then
		echo "not ok $i - $t: fuzzer stopped with status $rc after $stats runs (see $log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/# /' | head -20
		failures=$((failures + 1))
		continue
	fi
	echo "ok $i - $t: ${seconds}s, $stats runs, no crash"
	if [ $merge = 1 ]; then
		before=$(ls "$seeds" | wc -l)
		"$bin" -merge=1 -max_len=8192 "$seeds" "$work" >>"$log" 2>&1
		after=$(ls "$seeds" | wc -l)
		echo "# $t: merged $((after - before)) new inputs into tests/fuzz/corpus/$t ($after total)"
	fi
done
exit $((failures > 0))

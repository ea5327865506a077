#!/bin/bash
# tests/run-all.sh — install what the test suite needs, build with
# AddressSanitizer + UBSan, run every test, print the summary.
# This is README's test command and exactly what CI (.ci/run) runs.
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${PGQ_BUILD_DIR:-$SRC/build-check}

PACKAGES="build-essential autoconf automake pkg-config clang
  libpq-dev libyaml-dev libcurl4-openssl-dev libcmocka-dev libuv1-dev
  libmicrohttpd-dev libgnutls28-dev libjansson-dev libsystemd-dev
  postgresql-15 iproute2 procps curl haproxy util-linux openssl perl"

if [ "${PGQ_SKIP_INSTALL:-0}" != 1 ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "== installing packages (apt-get)"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PACKAGES >/dev/null
fi

# As root, the PostgreSQL tests run the agent as the `postgres` user, which
# must be able to reach the binaries: a checkout under /root (mode 700) is
# out of its reach, so build in /var/tmp then.
if [ -z "${PGQ_BUILD_DIR:-}" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 &&
	! setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$SRC" 2>/dev/null; then
	BUILD=/var/tmp/pgquorum-build-check
	# Ours alone, and possibly left by another checkout (its dependency
	# files name that checkout's sources): start afresh.
	rm -rf "$BUILD"
	mkdir -p "$BUILD" && chmod 755 "$BUILD"
fi
echo "== building with sanitizers in $BUILD"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p "$BUILD"
cd "$BUILD"
"$SRC/configure" --enable-sanitizers --quiet
make -j"$(nproc)" >/dev/null
echo "== make check"
rc=0
make -j"$(nproc)" check || rc=$?

# A short, time-bounded libFuzzer run (clang is installed above); the corpus
# replay already ran inside make check.
echo "== libFuzzer, ${PGQ_FUZZ_SECONDS:-30} s per target"
fuzz_rc=0
FUZZ_BUILD_DIR="$BUILD/fuzz" bash "$SRC/tests/fuzz/run-fuzz.sh" "${PGQ_FUZZ_SECONDS:-30}" \
	> "$BUILD/fuzz.tap" 2>"$BUILD/fuzz.err" || fuzz_rc=$?
grep -E '^(ok|not ok|1\.\.)' "$BUILD/fuzz.tap" || true
[ $fuzz_rc -ne 0 ] && tail -30 "$BUILD/fuzz.err"

# One line per test program, then the totals of every individual test case
# (cmocka and scripts speak TAP, so each case is counted).
shopt -s globstar nullglob
pass=0; fail=0; skip=0; todo=0
for trs in "$BUILD"/**/*.trs; do
	p=$(grep -c '^:test-result: PASS' "$trs" || true)
	f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || true)
	s=$(grep -c '^:test-result: SKIP' "$trs" || true)
	t=$(grep -c '^:test-result: XFAIL' "$trs" || true) # TAP "not ok # TODO": known gaps
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s)); todo=$((todo + t))
	name=${trs#"$BUILD"/}; name=${name%.trs}
	printf '%-40s %5d passed, %d failed, %d skipped, %d todo\n' "$name" "$p" "$f" "$s" "$t"
done
fp=$(grep -c '^ok' "$BUILD/fuzz.tap" || true)
ff=$(grep -c '^not ok' "$BUILD/fuzz.tap" || true)
printf '%-40s %5d passed, %d failed, %d skipped, %d todo\n' "libFuzzer (run-fuzz.sh)" "$fp" "$ff" 0 0
pass=$((pass + fp)); fail=$((fail + ff))
[ $fuzz_rc -ne 0 ] && [ "$ff" -eq 0 ] && fail=$((fail + 1))
if [ $rc -ne 0 ] && [ $fail -eq 0 ]; then
	fail=1 # the harness itself failed (build error, crashed runner)
fi
echo "$skip skipped, $todo todo (TAP TODO: known gaps, listed in docs/testing.md)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

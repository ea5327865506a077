#!/bin/bash
# tests/pgmgr/pgmgr_it.sh — runs the PostgreSQL manager's integration driver
# (pgmgr_it) against real PostgreSQL 15 servers and passes its TAP through.
#
# PostgreSQL refuses to run as root: as root the driver runs as the
# `postgres` user (runuser) in a directory that user owns; without either
# the test is skipped. Whatever survives the driver (it kills its servers
# itself, also on failure) is killed here by PID, then the directory goes.
set -u

BIN=${PGMGR_IT_BIN:-${top_builddir:-$(pwd)}/tests/pgmgr/pgmgr_it}
PGBIN=${PGMGR_PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=""

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

cleanup() {
	local f pid
	[ -n "$DIR" ] || return
	for f in "$DIR"/*/postmaster.pid; do
		[ -f "$f" ] || continue
		pid=$(head -n 1 "$f")
		# Only a process that still runs in that data directory.
		if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(dirname "$f")" ]; then
			echo "# cleanup: killing postmaster $pid of $(dirname "$f")"
			kill -9 "$pid" 2>/dev/null
		fi
	done
	if [ "${PGMGR_IT_KEEP:-0}" != 1 ]; then rm -rf "$DIR"; else echo "# kept $DIR"; fi
}

[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] || skip "no PostgreSQL server binaries in $PGBIN"
[ -x "$BIN" ] || skip "driver not built: $BIN"

RUN=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || skip "running as root and no postgres user to run PostgreSQL"
	command -v runuser >/dev/null 2>&1 || skip "running as root without runuser"
	runuser -u postgres -- test -x "$BIN" || skip "the postgres user cannot execute $BIN"
	RUN=(runuser -u postgres --)
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-pgmgr-it.XXXXXX") || skip "mktemp failed"
trap cleanup EXIT
trap 'exit 1' INT TERM
if [ "${#RUN[@]}" -gt 0 ]; then chown postgres: "$DIR"; fi
chmod 700 "$DIR"

# Two free ports, spread by PID so parallel runs do not collide; skip ports
# something already listens on (other tests use this range too).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
BASE=""
for try in 0 1 2 3 4 5 6 7 8 9; do
	b=$((26000 + (($$ + try * 397) % 1500) * 2))
	if ! port_busy "$b" && ! port_busy $((b + 1)); then BASE=$b; break; fi
done
[ -n "$BASE" ] || skip "no free pair of ports found"
timeout 300 "${RUN[@]}" "$BIN" "$DIR" "$PGBIN" "$BASE"
rc=$?
if [ $rc != 0 ]; then
	for f in "$DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "# ---- $f (last 20 lines)"
		tail -n 20 "$f" | sed 's/^/# /'
	done
fi
exit $rc

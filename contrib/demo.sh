#!/bin/bash
# contrib/demo.sh — README's first command: a 3-member pgquorum cluster on
# this machine. On a fresh Debian 12 machine it installs the packages
# (apt-get), builds pgquorum, then starts 3 agents, each managing its own
# PostgreSQL 15 server on 127.0.0.1, as an unprivileged user (`postgres`
# when run as root), in one directory (PGQ_DEMO_DIR, default
# /tmp/pgquorum-demo). It waits until one primary accepts writes and both
# standbys stream from it, prints `pgquorumctl list`, and says how to
# connect, how to kill the primary to watch a failover, and how to stop.
#
#   contrib/demo.sh          install, build, start (or show a running demo)
#   contrib/demo.sh status   pgquorumctl list and which server is writable
#   contrib/demo.sh stop     stop the agents and their PostgreSQL servers
#   contrib/demo.sh clean    stop, then remove the demo directory
#
# PGQ_SKIP_INSTALL=1 skips apt-get; PGQ_BUILD_DIR (default build-demo)
# is where it builds. Everything it starts is stopped by PID.
set -uo pipefail

cd "$(dirname "$0")/.."
SRC=$(pwd)
DEMO=${PGQ_DEMO_DIR:-/tmp/pgquorum-demo}
BUILD=${PGQ_BUILD_DIR:-$SRC/build-demo}
PGBIN=/usr/lib/postgresql/15/bin
N=3
PG_PORT0=5440   # PostgreSQL m1..m3: 5441..5443
RAFT_PORT0=7100 # Raft: 7101..7103
REST_PORT0=8100 # REST: 8101..8103
SU_PASS=demo-super
REPL_PASS=demo-repl
AS=()
[ "$(id -u)" = 0 ] && AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)

say() { printf '%s\n' "$*"; }
die() {
	say "demo: $*" >&2
	exit 1
}

install_and_build() (
	set -e
	if [ "${PGQ_SKIP_INSTALL:-0}" != 1 ]; then
		local sudo=""
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		say "== installing packages with apt-get (build tools, libraries, PostgreSQL 15)"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq build-essential autoconf \
			automake pkg-config libpq-dev libyaml-dev libcurl4-openssl-dev libcmocka-dev \
			libuv1-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libsystemd-dev postgresql-15 \
			curl util-linux >/dev/null
	fi
	[ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 server binaries not found in $PGBIN"
	say "== building pgquorum in $BUILD"
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	mkdir -p "$BUILD"
	cd "$BUILD"
	"$SRC/configure" --quiet
	if ! make -j"$(nproc)" pgquorum pgquorumctl > "$BUILD/demo-build.log" 2>&1; then
		tail -n 30 "$BUILD/demo-build.log"
		exit 1
	fi
)

pidfile() { echo "$DEMO/m$1.pid"; }
agent_pid() {
	local f pid
	f=$(pidfile "$1")
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	# Only our agent: the PID must still run the demo's binary.
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$DEMO/bin/pgquorum" ] || return 1
	echo "$pid"
}
postmaster_pid() {
	local d="$DEMO/m$1/pgdata" pid
	[ -f "$d/postmaster.pid" ] || return 1
	pid=$(head -n 1 "$d/postmaster.pid")
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$d" ] || return 1
	echo "$pid"
}
running() { agent_pid 1 >/dev/null || agent_pid 2 >/dev/null || agent_pid 3 >/dev/null; }

write_config() {
	local i=$1 p
	{
		echo "# Demo member m$i — written by contrib/demo.sh"
		echo "scope: demo"
		echo "name: m$i"
		echo "log:"
		echo "  level: info"
		echo "raft:"
		echo "  listen: 127.0.0.1:$((RAFT_PORT0 + i))"
		echo "  data_dir: $DEMO/m$i/raft"
		echo "  election_timeout_ms: 500"
		echo "  heartbeat_ms: 100"
		echo "  peers:"
		for p in $(seq 1 $N); do
			echo "    - {name: m$p, address: 127.0.0.1:$((RAFT_PORT0 + p)), restapi: 127.0.0.1:$((REST_PORT0 + p))}"
		done
		echo "restapi:"
		echo "  listen: 127.0.0.1:$((REST_PORT0 + i))"
		echo "postgresql:"
		echo "  data_dir: $DEMO/m$i/pgdata"
		echo "  bin_dir: $PGBIN"
		echo "  listen: 127.0.0.1:$((PG_PORT0 + i))"
		echo "  authentication:"
		echo "    superuser: {username: postgres, password: $SU_PASS}"
		echo "    replication: {username: replicator, password: $REPL_PASS}"
		echo "  parameters:"
		echo "    unix_socket_directories: '$DEMO'"
		echo "    shared_buffers: 32MB"
		echo "  pg_hba:"
		echo "    - local all all trust"
		echo "    - host all all 127.0.0.1/32 scram-sha-256"
		echo "    - host replication all 127.0.0.1/32 scram-sha-256"
		echo "watchdog:"
		echo "  mode: 'off'"
		echo "bootstrap:"
		echo "  dcs:"
		echo "    # Short timings so that a failover is quick to watch"
		echo "    # (L2: 1000 + 2 x 1000 + 100 + 1000 + 300 + 200 = 4600 <= 5000 ms)."
		echo "    ttl: 5s"
		echo "    loop_wait: 1s"
		echo "    retry_timeout: 1s"
		echo "    failover_backoff: 10s"
		echo "    drift_floor_ms: 200"
		echo "    commit_p99_ms: 100"
		echo "    stop_budget_ms: 1000"
		echo "    kill_budget_ms: 300"
		echo "  initdb:"
		echo "    - data-checksums"
		echo "    - {encoding: UTF8}"
	} > "$DEMO/m$i.yml"
}

start_agent() {
	local i=$1
	# The agent runs in its member directory; the wrapper records the PID
	# the agent keeps (exec), setsid detaches it from this terminal.
	(
		cd "$DEMO/m$i"
		setsid "${AS[@]}" env HOME="$DEMO" sh -c 'echo $$ > "$1"; exec "$2" -c "$3"' sh \
			"$(pidfile "$i")" "$DEMO/bin/pgquorum" "$DEMO/m$i.yml" >> "$DEMO/m$i.log" 2>&1 < /dev/null &
	)
}

psql_demo() { # psql_demo I SQL
	PGCONNECT_TIMEOUT=2 timeout 5 "$PGBIN/psql" -X -At -h "$DEMO" -p $((PG_PORT0 + $1)) \
		-U postgres -d postgres -c "$2" 2>/dev/null
}

ctl() { "$DEMO/bin/pgquorumctl" -c "$DEMO/m1.yml" "$@"; }

wait_healthy() {
	local end=$((SECONDS + ${1:-180})) i w p streaming
	while [ $SECONDS -lt $end ]; do
		w=""
		for i in $(seq 1 $N); do
			[ "$(psql_demo "$i" "select pg_is_in_recovery()")" = f ] && w="$w $i"
		done
		w=${w# }
		if [ -n "$w" ] && [ "${w// /}" = "$w" ]; then
			p=$w
			streaming=$(psql_demo "$p" "select count(*) from pg_stat_replication where state = 'streaming'")
			if [ "${streaming:-0}" -ge $((N - 1)) ]; then
				echo "$p"
				return 0
			fi
		fi
		sleep 1
	done
	return 1
}

start() {
	if running; then
		say "A demo is already running in $DEMO:"
		status
		return 0
	fi
	install_and_build || die "install or build failed"
	if [ "${#AS[@]}" -gt 0 ] && ! id postgres >/dev/null 2>&1; then
		die "no postgres user (the postgresql-15 package creates it)"
	fi
	if [ -d "$DEMO" ] && [ -f "$DEMO/m1.yml" ]; then
		say "== restarting the demo cluster kept in $DEMO"
	else
		say "== creating the demo cluster in $DEMO"
		mkdir -p "$DEMO/bin"
		for i in $(seq 1 $N); do mkdir -p "$DEMO/m$i"; done
	fi
	# The agents run from a copy the unprivileged user can read, whatever
	# the permissions of the source tree.
	install -m 755 "$BUILD/pgquorum" "$BUILD/pgquorumctl" "$DEMO/bin/" || die "cannot install into $DEMO/bin"
	for i in $(seq 1 $N); do write_config "$i"; done
	if [ "${#AS[@]}" -gt 0 ]; then chown -R postgres: "$DEMO"; fi
	chmod 755 "$DEMO" # the socket directory: clients of other users may connect
	for i in $(seq 1 $N); do
		"$DEMO/bin/pgquorum" --validate-config "$DEMO/m$i.yml" >/dev/null ||
			die "invalid configuration $DEMO/m$i.yml"
		start_agent "$i"
	done
	say "== waiting for the cluster: one primary, two streaming standbys (at most 3 minutes)"
	local p
	if ! p=$(wait_healthy 180); then
		say "The cluster did not become healthy in time. Last lines of the logs:"
		for i in $(seq 1 $N); do
			say "---- $DEMO/m$i.log"
			tail -n 8 "$DEMO/m$i.log"
		done
		say "Stop it with: $0 stop"
		exit 1
	fi
	# The record catches up with the standbys' next reports (loop_wait).
	local n=0
	while [ "$(ctl list 2>/dev/null | grep -c Replica)" -lt $((N - 1)) ] && [ $n -lt 15 ]; do
		sleep 1
		n=$((n + 1))
	done
	say ""
	ctl list || true
	say ""
	say "The cluster is up: m$p is the primary (PostgreSQL port $((PG_PORT0 + p)))."
	say ""
	say "Connect (password '$SU_PASS', or over the Unix socket in $DEMO without one):"
	say "    psql -h 127.0.0.1 -p $((PG_PORT0 + p)) -U postgres"
	say "    psql -h $DEMO -p $((PG_PORT0 + p)) -U postgres"
	say "The members:  $DEMO/bin/pgquorumctl -c $DEMO/m1.yml list"
	say "Health:       curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:$((REST_PORT0 + p))/primary"
	say "Logs:         $DEMO/m1.log  $DEMO/m2.log  $DEMO/m3.log"
	say ""
	say "Watch a failover: kill the primary's agent and PostgreSQL at once, as a crash would,"
	say "    kill -9 \$(cat $DEMO/m$p.pid) \$(head -n 1 $DEMO/m$p/pgdata/postmaster.pid)"
	say "then watch a standby take over within a few seconds (ttl 5 s):"
	say "    watch -n 1 $DEMO/bin/pgquorumctl -c $DEMO/m1.yml list"
	say "and bring the old primary back as a standby (it rewinds and follows):"
	say "    $0 start"
	say ""
	say "Stop everything:           $0 stop"
	say "Stop and delete the data:  $0 clean"
}

# Start agents that are not running (after a kill), without rebuilding.
restart_missing() {
	local i started=0
	for i in $(seq 1 $N); do
		if ! agent_pid "$i" >/dev/null; then
			say "starting the agent of m$i"
			start_agent "$i"
			started=1
		fi
	done
	[ $started = 1 ] || say "all agents run"
}

status() {
	local i
	ctl list || true
	for i in $(seq 1 $N); do
		printf 'm%d: agent %-8s PostgreSQL %-8s in recovery: %s\n' "$i" \
			"$(agent_pid "$i" || echo down)" "$(postmaster_pid "$i" || echo down)" \
			"$(psql_demo "$i" "select pg_is_in_recovery()" || echo -)"
	done
}

stop() {
	local i pid n
	[ -d "$DEMO" ] || { say "no demo in $DEMO"; return 0; }
	for i in $(seq 1 $N); do
		pid=$(agent_pid "$i") && kill -TERM "$pid" 2>/dev/null && say "stopping agent m$i (PID $pid)"
	done
	for i in $(seq 1 $N); do
		n=0
		while pid=$(agent_pid "$i") && [ $n -lt 150 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		pid=$(agent_pid "$i") && kill -KILL "$pid" 2>/dev/null
	done
	# A PostgreSQL server the agents left running: fast shutdown by PID.
	for i in $(seq 1 $N); do
		pid=$(postmaster_pid "$i") && kill -INT "$pid" 2>/dev/null && say "stopping PostgreSQL of m$i (PID $pid)"
	done
	for i in $(seq 1 $N); do
		n=0
		while pid=$(postmaster_pid "$i") && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		pid=$(postmaster_pid "$i") && kill -QUIT "$pid" 2>/dev/null
	done
	say "stopped (data kept in $DEMO; '$0 clean' removes it)"
}

case "${1:-start}" in
start)
	if running; then restart_missing; status; else start; fi
	;;
status) status ;;
stop) stop ;;
clean)
	stop
	rm -rf "$DEMO"
	say "removed $DEMO"
	;;
*)
	say "usage: $0 [start|status|stop|clean]"
	exit 2
	;;
esac

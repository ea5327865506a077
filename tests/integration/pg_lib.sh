#!/bin/bash
# tests/integration/pg_lib.sh — harness for the integration tests that run
# real pgquorum agents managing real PostgreSQL 15 servers on 127.0.0.1.
#
# A test sources this file, calls pg_setup N, then pg_cluster_start. Every
# member mI (I = 1..N) has its own agent, Raft directory and PostgreSQL data
# directory under one mktemp directory, and ports of its own:
#   raft BASE+I, REST BASE+10+I, PostgreSQL BASE+20+I.
# PostgreSQL refuses to run as root: as root, agents (and so the PostgreSQL
# servers they start) run as the `postgres` user through setpriv (which
# execs, so $! is the agent's PID), in directories that user owns.
#
# Teardown (EXIT trap) is always by PID: background helpers (sampler,
# workload), then SIGTERM to every agent, then an immediate stop of every
# postmaster named by its postmaster.pid, then SIGKILL to whatever process
# still has its working directory in the test directory. Every wait is
# bounded. The assertions are on observable facts only: SQL results,
# GET /cluster, exit codes.
#
# Environment knobs: PGQUORUM_BIN, PGQUORUMCTL_BIN (default: $top_builddir),
# PGQ_PG_BIN (default /usr/lib/postgresql/15/bin), PG_KEEP=1 (keep the
# directory), PG_TTL, PG_LOOP_WAIT, PG_ELECTION_MS (timings).
# Per member, for tests that give each member its own network namespace
# (pg_partition_netns.sh): PG_ADDR_<I> (its Raft, REST and PostgreSQL
# address, default 127.0.0.1), PG_NETNS_<I> (a namespace: the agent and the
# harness's curl calls to it run under `ip netns exec`), PG_HBA_NET (the
# network pg_hba.conf admits for the agents and replication, default
# 127.0.0.1/32). psql always uses the Unix socket, which is not bound to a
# network namespace.

set -u

PG_AGENT_BIN=${PGQUORUM_BIN:-${top_builddir:-$(pwd)}/pgquorum}
PG_CTL_BIN=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
PG_BINDIR=${PGQ_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_N=0
PG_TESTNO=0
PG_FAILED=0
PG_SAMPLER_PID=""
PG_WORKLOAD_PID=""
PG_WORKLOAD_TABLE=""
PG_SU_PASS=pgq-super-pw
PG_REPL_PASS=pgq-repl-pw
declare -a PG_PIDS=()
declare -a PG_EXTRA_PIDS=() # other helpers a script started (haproxy...)
declare -a PG_AS=()

pg_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

pg_log() { echo "# $*"; }

# pg_setup N: check prerequisites (skip when absent), make the directory,
# choose ports, install the EXIT trap.
pg_setup() {
	PG_N=$1
	local b
	for b in initdb pg_ctl postgres pg_basebackup pg_rewind psql; do
		[ -x "$PG_BINDIR/$b" ] || pg_skip "PostgreSQL 15 binaries not found ($PG_BINDIR/$b)"
	done
	[ -x "$PG_AGENT_BIN" ] || pg_skip "pgquorum binary not found at $PG_AGENT_BIN"
	command -v curl >/dev/null || pg_skip "curl not installed"
	perl -MJSON::PP -e 1 2>/dev/null || pg_skip "perl JSON::PP not available"
	if [ "$(id -u)" = 0 ]; then
		if ! id postgres >/dev/null 2>&1; then
			useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres ||
				pg_skip "running as root and cannot create the postgres user"
		fi
		command -v setpriv >/dev/null || pg_skip "running as root without setpriv"
		PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
		"${PG_AS[@]}" test -x "$PG_AGENT_BIN" ||
			pg_skip "the postgres user cannot execute $PG_AGENT_BIN"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-pg.XXXXXX") || pg_skip "mktemp failed"
	trap pg_teardown EXIT
	trap 'exit 1' INT TERM
	[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR"
	chmod 700 "$PG_DIR"
	pg_choose_ports || pg_skip "no free block of ports found"
}

pg_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 30 ports per test between 15000 and 20999: below lib.sh's range
# (21000-32200) and the ephemeral range. PG_SLOT (0..9, one per script)
# keeps scripts that run in parallel apart; the PID spreads several runs.
pg_choose_ports() {
	local try p ok
	for try in 0 1 2 3 4 5 6 7 8 9; do
		PG_BASE=$((15000 + (((($$ + try * 7) % 20) * 10 + ${PG_SLOT:-9}) * 30)))
		ok=1
		for p in $(seq 1 "$PG_N"); do
			if pg_port_busy $((PG_BASE + p)) || pg_port_busy $((PG_BASE + 10 + p)) ||
				pg_port_busy $((PG_BASE + 20 + p)); then
				ok=0
				break
			fi
		done
		[ $ok = 1 ] && return 0
	done
	return 1
}

pg_raft_port() { echo $((PG_BASE + $1)); }
pg_rest_port() { echo $((PG_BASE + 10 + $1)); }
pg_pg_port() { echo $((PG_BASE + 20 + $1)); }
pg_addr() { local v="PG_ADDR_$1"; echo "${!v:-127.0.0.1}"; }
pg_url() { echo "http://$(pg_addr "$1"):$(pg_rest_port "$1")"; }
# pg_ns_prefix I: the words that run a command in mI's network namespace
# (none by default).
pg_ns_prefix() {
	local v="PG_NETNS_$1"
	[ -n "${!v:-}" ] && echo "ip netns exec ${!v}"
	return 0
}
# pg_curl I CURL-ARGS...: curl from mI's namespace (reaches mI even while
# that namespace is cut off).
pg_curl() {
	local i=$1
	shift
	# shellcheck disable=SC2046
	$(pg_ns_prefix "$i") curl "$@"
}
pg_datadir() { echo "$PG_DIR/m$1/pgdata"; }

# pg_write_config I: the agent configuration of member mI. Knobs (env):
# PG_TTL, PG_LOOP_WAIT, PG_ELECTION_MS, PG_MAX_LAG (maximum_lag_on_failover),
# PG_TAGS_<I> (YAML lines under tags:, e.g. "nofailover: true"),
# PG_DEFAULT_TIMINGS=1 (the documented defaults: ttl 30 s, loop_wait 10 s...),
# PG_EXTRA_DCS (YAML lines under bootstrap.dcs), PG_WATCHDOG_<I> (YAML
# lines under watchdog:, default "mode: 'off'"), PG_CONF_<I> and PG_CONF
# (top-level YAML lines, e.g. hooks: and fencing:).
pg_write_config() {
	local i=$1 p tags_var="PG_TAGS_$1" wd_var="PG_WATCHDOG_$1" conf_var="PG_CONF_$1"
	mkdir -p "$PG_DIR/m$i"
	[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/m$i"
	{
		echo "scope: pgit"
		echo "name: m$i"
		echo "log:"
		echo "  level: ${PG_LOG_LEVEL:-info}"
		echo "raft:"
		echo "  listen: $(pg_addr "$i"):$(pg_raft_port "$i")"
		echo "  data_dir: $PG_DIR/m$i/raft"
		if [ "${PG_DEFAULT_TIMINGS:-0}" != 1 ]; then
			echo "  heartbeat_ms: ${PG_HEARTBEAT_MS:-50}"
			echo "  election_timeout_ms: ${PG_ELECTION_MS:-250}"
		fi
		echo "  peers:"
		for p in $(seq 1 "$PG_N"); do
			echo "    - {name: m$p, address: $(pg_addr "$p"):$(pg_raft_port "$p"), restapi: $(pg_addr "$p"):$(pg_rest_port "$p")}"
		done
		echo "restapi:"
		echo "  listen: $(pg_addr "$i"):$(pg_rest_port "$i")"
		echo "postgresql:"
		echo "  manage: true"
		echo "  data_dir: $PG_DIR/m$i/pgdata"
		echo "  bin_dir: $PG_BINDIR"
		echo "  listen: $(pg_addr "$i"):$(pg_pg_port "$i")"
		echo "  authentication:"
		echo "    superuser: {username: postgres, password: $PG_SU_PASS}"
		echo "    replication: {username: replicator, password: $PG_REPL_PASS}"
		echo "  parameters:"
		echo "    unix_socket_directories: '$PG_DIR'"
		echo "    shared_buffers: 16MB"
		echo "    fsync: '${PG_FSYNC:-off}'"
		echo "    wal_keep_size: 64MB"
		echo "  pg_hba:"
		echo "    - local all all trust"
		echo "    - host all all ${PG_HBA_NET:-127.0.0.1/32} scram-sha-256"
		echo "    - host replication all ${PG_HBA_NET:-127.0.0.1/32} scram-sha-256"
		echo "watchdog:"
		if [ -n "${!wd_var:-}" ]; then
			echo "${!wd_var}" | sed 's/^/  /'
		else
			echo "  mode: 'off'"
		fi
		[ -n "${!conf_var:-}" ] && echo "${!conf_var}"
		[ -n "${PG_CONF:-}" ] && echo "$PG_CONF"
		if [ -n "${!tags_var:-}" ]; then
			echo "tags:"
			echo "${!tags_var}" | sed 's/^/  /'
		fi
		echo "bootstrap:"
		echo "  dcs:"
		if [ "${PG_DEFAULT_TIMINGS:-0}" != 1 ]; then
			echo "    ttl: ${PG_TTL:-4s}"
			echo "    loop_wait: ${PG_LOOP_WAIT:-1s}"
			echo "    retry_timeout: ${PG_RETRY_TIMEOUT:-1s}"
			echo "    report_timeout: ${PG_REPORT_TIMEOUT:-2s}"
			echo "    drift_floor_ms: ${PG_DRIFT_MS:-200}"
			echo "    commit_p99_ms: ${PG_COMMIT_P99_MS:-100}"
			echo "    stop_budget_ms: ${PG_STOP_BUDGET_MS:-1000}"
			echo "    kill_budget_ms: ${PG_KILL_BUDGET_MS:-300}"
		fi
		echo "    maximum_lag_on_failover: ${PG_MAX_LAG:-1MB}"
		echo "    failover_backoff: ${PG_FAILOVER_BACKOFF:-0}"
		echo "    promote_timeout: ${PG_PROMOTE_TIMEOUT:-20s}"
		echo "    switchover_timeout: ${PG_SWITCHOVER_TIMEOUT:-20s}"
		[ -n "${PG_EXTRA_DCS:-}" ] && echo "$PG_EXTRA_DCS" | sed 's/^/    /'
		echo "  initdb:"
		echo "    - {encoding: UTF8}"
		echo "    - {locale: C}"
	} > "$PG_DIR/m$i.yml"
}

# pg_start I: start agent mI (its configuration must exist). Its working
# directory is the member's directory, so every child it leaves behind is
# found by the teardown's scan. PG_ENV_<I>: extra VAR=value words for its
# environment (e.g. NOTIFY_SOCKET=...).
pg_start() {
	local i=$1 env_var="PG_ENV_$1"
	(
		cd "$PG_DIR/m$i" || exit 1
		# shellcheck disable=SC2086
		exec env HOME="$PG_DIR" PGQUORUM_TEST_HOOKS=1 ${!env_var:-} $(pg_ns_prefix "$i") "${PG_AS[@]}" \
			"$PG_AGENT_BIN" -c "$PG_DIR/m$i.yml" >> "$PG_DIR/m$i.log" 2>&1
	) &
	PG_PIDS[$i]=$!
}

pg_cluster_start() {
	local i
	for i in $(seq 1 "$PG_N"); do pg_write_config "$i"; done
	for i in $(seq 1 "$PG_N"); do pg_start "$i"; done
}

# The postmaster PID of mI from postmaster.pid, when that process still
# runs in the data directory (empty otherwise).
pg_postmaster_pid() {
	local d f pid
	d=$(pg_datadir "$1")
	f="$d/postmaster.pid"
	[ -f "$f" ] || return 1
	pid=$(head -n 1 "$f" 2>/dev/null)
	[ -n "$pid" ] || return 1
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$d" ] || return 1
	echo "$pid"
}

# PIDs of every process whose working directory is DIR or below it.
pg_pids_under() {
	local dir=$1 p cwd
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case "$cwd" in
		"$dir" | "$dir"/* | "$dir (deleted)" | "$dir"/*" (deleted)") echo "${p#/proc/}" ;;
		esac
	done
}

# pg_kill9_member I: SIGKILL the agent and every process of its PostgreSQL
# (postmaster and backends) at once, as a machine crash would.
pg_kill9_member() {
	local i=$1 pids
	pids="${PG_PIDS[$i]:-} $(pg_pids_under "$(pg_datadir "$i")" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	[ -n "${PG_PIDS[$i]:-}" ] && wait "${PG_PIDS[$i]}" 2>/dev/null
	PG_PIDS[$i]=""
}

# pg_kill9_postmaster I: crash mI's PostgreSQL only (its agent keeps running).
pg_kill9_postmaster() {
	local pid
	pid=$(pg_postmaster_pid "$1") || return 1
	kill -9 "$pid"
}

# pg_stop_agent I: SIGTERM, wait at most 15 s; returns the exit status.
pg_stop_agent() {
	local i=$1 pid=${PG_PIDS[$1]:-} n=0 rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		PG_PIDS[$i]=""
		return 124
	fi
	wait "$pid"
	rc=$?
	PG_PIDS[$i]=""
	return $rc
}

pg_teardown() {
	local i pid n d pids
	for pid in $PG_SAMPLER_PID $PG_WORKLOAD_PID "${PG_EXTRA_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for i in "${!PG_PIDS[@]}"; do
		[ -n "${PG_PIDS[$i]}" ] && kill -TERM "${PG_PIDS[$i]}" 2>/dev/null
	done
	n=0
	for i in "${!PG_PIDS[@]}"; do
		pid=${PG_PIDS[$i]}
		[ -n "$pid" ] || continue
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$PG_DIR" ]; then
		# Immediate shutdown of every postmaster still running, by PID.
		for i in $(seq 1 "$PG_N"); do
			pid=$(pg_postmaster_pid "$i") && kill -QUIT "$pid" 2>/dev/null
		done
		n=0
		while [ -n "$(pg_pids_under "$PG_DIR")" ] && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		pids=$(pg_pids_under "$PG_DIR" | tr '\n' ' ')
		if [ -n "${pids// /}" ]; then
			echo "# teardown: SIGKILL to leftover processes $pids"
			# shellcheck disable=SC2086
			kill -9 $pids 2>/dev/null
		fi
	fi
	if [ "$PG_FAILED" != 0 ] && [ -n "$PG_DIR" ]; then
		for d in "$PG_DIR"/m*.log; do
			[ -f "$d" ] || continue
			echo "# ---- $d (last 25 lines)"
			tail -n 25 "$d" | sed 's/^/# /'
		done
	fi
	if [ -n "$PG_DIR" ]; then
		if [ "${PG_KEEP:-0}" = 1 ]; then
			echo "# kept $PG_DIR"
		else
			rm -rf "$PG_DIR"
		fi
	fi
}

# ---------------------------------------------------------------- SQL

# pg_sql I SQL: run SQL on mI as the superuser over the Unix socket (trust),
# unaligned, tuples only; bounded by 5 s.
pg_sql() {
	PGCONNECT_TIMEOUT=2 timeout 5 "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 \
		-h "$PG_DIR" -p "$(pg_pg_port "$1")" -U postgres -d postgres -c "$2" 2>/dev/null
}

# pg_in_recovery I: prints t or f (nothing when mI does not answer).
pg_in_recovery() { pg_sql "$1" "select pg_is_in_recovery()"; }
pg_is_writable() { [ "$(pg_in_recovery "$1")" = f ]; }

# The members (indexes) that answer pg_is_in_recovery() = false.
pg_writable_members() {
	local i out=""
	for i in $(seq 1 "$PG_N"); do
		pg_is_writable "$i" && out="$out $i"
	done
	echo "${out# }"
}

# pg_wait_primary TIMEOUT_S [I...]: wait until exactly one of the given
# members (default: all) is writable and accepts a write; print it.
pg_wait_primary() {
	local end=$((SECONDS + $1)) i w
	shift
	local members=("$@")
	[ ${#members[@]} -eq 0 ] && mapfile -t members < <(seq 1 "$PG_N")
	while [ $SECONDS -lt $end ]; do
		w=""
		for i in "${members[@]}"; do
			pg_is_writable "$i" && w="$w $i"
		done
		w=${w# }
		if [ -n "$w" ] && [ "${w// /}" = "$w" ] &&
			pg_sql "$w" "create table if not exists pgq_probe(x int); insert into pgq_probe values (1)" >/dev/null; then
			echo "$w"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# pg_wait_streaming TIMEOUT_S PRIMARY I...: every given member streams from
# PRIMARY (pg_stat_replication on PRIMARY shows it streaming).
pg_wait_streaming() {
	local end=$((SECONDS + $1)) p=$2 i ok
	shift 2
	while [ $SECONDS -lt $end ]; do
		ok=1
		for i in "$@"; do
			[ "$(pg_sql "$p" "select count(*) from pg_stat_replication where application_name = 'm$i' and state = 'streaming'")" = 1 ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.2
	done
	return 1
}

# pg_wait_sql TIMEOUT_S I SQL EXPECTED: until SQL on mI prints EXPECTED.
pg_wait_sql() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ "$(pg_sql "$2" "$3")" = "$4" ] && return 0
		sleep 0.2
	done
	return 1
}

# pg_wait_cond TIMEOUT_S CMD...: retry CMD every 0.2 s until it succeeds.
pg_wait_cond() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# pg_others I: every member index but I.
pg_others() {
	local i out=""
	for i in $(seq 1 "$PG_N"); do [ "$i" != "$1" ] && out="$out $i"; done
	echo "${out# }"
}

# ---------------------------------------------------------------- REST

pg_get() { pg_curl "$1" -s --max-time 2 "$(pg_url "$1")$2"; }
pg_http_code() { pg_curl "$1" -s --max-time 2 -o /dev/null -w '%{http_code}' -X "${3:-GET}" "$(pg_url "$1")$2"; }

# pg_json PATH: read JSON on stdin, print the value at PATH (dot separated,
# numbers index arrays, "members[name=m1]" picks by name); objects and
# arrays print as compact JSON, booleans as true/false, null as nothing.
pg_json() {
	perl -MJSON::PP -e '
		local $/; my $t = <STDIN>; my $v = eval { JSON::PP->new->decode($t) };
		exit 1 unless defined $v;
		for my $k (split /\./, $ARGV[0]) {
			if ($k =~ /^(\w+)\[(\w+)=([^\]]*)\]$/) {
				my ($a, $f, $want) = ($1, $2, $3);
				my ($hit) = grep { ref $_ eq "HASH" && ($_->{$f} // "") eq $want } @{ $v->{$a} || [] };
				$v = $hit;
			} elsif (ref $v eq "ARRAY") { $v = $v->[$k]; }
			elsif (ref $v eq "HASH") { $v = $v->{$k}; }
			else { $v = undef; }
			exit 1 unless defined $v;
		}
		if (ref $v eq "HASH" || ref $v eq "ARRAY") { print JSON::PP->new->canonical->encode($v), "\n"; }
		elsif (JSON::PP::is_bool($v)) { print $v ? "true\n" : "false\n"; }
		else { print "$v\n"; }
	' "$1"
}

# pg_cluster_field I PATH: a field of GET /cluster on mI.
pg_cluster_field() { pg_get "$1" /cluster | pg_json "$2"; }

# pg_cluster_any PATH: the field from the first agent that answers.
pg_cluster_any() {
	local i v
	for i in $(seq 1 "$PG_N"); do
		[ -n "${PG_PIDS[$i]:-}" ] || continue
		v=$(pg_cluster_field "$i" "$1") && { echo "$v"; return 0; }
	done
	return 1
}

# pg_ctl_cmd ARGS...: pgquorumctl against every member's REST API.
pg_ctl_cmd() {
	local urls="" i
	for i in $(seq 1 "$PG_N"); do urls="$urls${urls:+,}$(pg_url "$i")"; done
	# 130 s: a switchover or failover is answered once done (up to 100 s).
	PGQUORUMCTL_URL=$urls timeout 130 "$PG_CTL_BIN" --timeout 10 "$@"
}

# pg_post I PATH BODY: POST through mI, following a redirect to the leader;
# prints the status code.
pg_post() {
	pg_curl "$1" -s --max-time 120 -L --post301 --post302 --post303 -o "$PG_DIR/last_post.json" \
		-w '%{http_code}' -X "${4:-POST}" -H 'Content-Type: application/json' \
		-d "$3" "$(pg_url "$1")$2"
}

# pg_agent_gone_features: true when the agent says PostgreSQL management is
# not built (the suite then skips rather than fails).
pg_management_missing() {
	grep -q "PostgreSQL management is not built" "$PG_DIR"/m*.log 2>/dev/null
}

# ---------------------------------------------------------------- sampler

# The "no two writable primaries" sampler: every 100 ms, ask every member
# at once for its server clock (epoch ms), pg_is_in_recovery() and its
# postmaster start time; every answer goes to $PG_DIR/answers as
# "SAMPLE MEMBER SERVER_MS t|f POSTMASTER_START_US" (one host, one clock).
# $PG_DIR/samples gets one line per sample ("HH:MM:SS.ns [writable...]") so a
# test can show the sampler ran. pg_sampler_stop judges the answers
# (pg_sampler_judge): a violation is a proven overlap, see docs/testing.md.
pg_sampler_start() {
	: > "$PG_DIR/violations"
	: > "$PG_DIR/samples"
	: > "$PG_DIR/answers"
	(
		trap 'exit 0' TERM
		n=0
		while :; do
			t=$(pg_now_ms)
			n=$((n + 1))
			# One query per member, all at once; each answer carries the
			# server's own time, so a slow answer cannot pass for a
			# simultaneous one.
			for i in $(seq 1 "$PG_N"); do
				pg_sql "$i" "select (extract(epoch from clock_timestamp()) * 1000)::bigint, pg_is_in_recovery(), (extract(epoch from pg_postmaster_start_time()) * 1000000)::bigint" \
					> "$PG_DIR/sample.$i" &
			done
			wait
			w=""
			for i in $(seq 1 "$PG_N"); do
				IFS='|' read -r ms rec pm < "$PG_DIR/sample.$i" || continue
				[ -n "$pm" ] || continue
				echo "$n $i $ms $rec $pm" >> "$PG_DIR/answers"
				[ "$rec" = f ] && w="$w $i"
			done
			echo "$(date -u +%H:%M:%S.%N)${w}" >> "$PG_DIR/samples"
			t=$((100 - ($(pg_now_ms) - t)))
			[ $t -gt 0 ] && sleep "0.$(printf '%03d' $t)"
		done
	) &
	PG_SAMPLER_PID=$!
}

# pg_sampler_judge: writes to $PG_DIR/violations one line per sample in which
# a member B answered writable at server time tB while another member A is
# proven writable at tB: A answered writable at tA1 <= tB <= tA2 from the same
# postmaster (a promoted postmaster never returns to recovery), or A answered
# writable within PG_SAMPLER_EPS_MS (50, below the smallest drift margin of
# 100 ms that separates an old lease's end from a promotion, S2). Each line
# lists every answer of that sample with its server time.
pg_sampler_judge() {
	awk -v eps="${PG_SAMPLER_EPS_MS:-50}" '
	function hms(ms,  d) { d = ms % 86400000
		return sprintf("%02d:%02d:%02d.%03d", int(d / 3600000), int(d / 60000) % 60, int(d / 1000) % 60, d % 1000) }
	{ s[NR] = $1; m[NR] = $2; t[NR] = $3; r[NR] = $4; pm[NR] = $5
	  all[$1] = all[$1] " m" $2 "=" ($4 == "f" ? "writable" : "recovery") "@" hms($3)
	  if ($4 == "f") {
		k = $2 SUBSEP $5
		if (!(k in lo) || $3 < lo[k]) lo[k] = $3
		if (!(k in hi) || $3 > hi[k]) hi[k] = $3
	  } }
	END {
		for (i = 1; i <= NR; i++) {
			if (r[i] != "f" || (s[i] in done)) continue
			for (k in lo) {
				split(k, a, SUBSEP)
				if (a[1] == m[i]) continue
				if (t[i] >= lo[k] - eps && t[i] <= hi[k] + eps) {
					printf "sample %d: m%d writable at %s while m%d (postmaster %s) was writable from %s to %s; answers:%s\n", \
						s[i], m[i], hms(t[i]), a[1], a[2], hms(lo[k]), hms(hi[k]), all[s[i]]
					done[s[i]] = 1
					break
				}
			}
		}
	}' "$PG_DIR/answers" > "$PG_DIR/violations"
}

# pg_sampler_stop: stop it, judge the answers; prints "SAMPLES VIOLATIONS".
pg_sampler_stop() {
	[ -n "$PG_SAMPLER_PID" ] || return 0
	kill -TERM "$PG_SAMPLER_PID" 2>/dev/null
	wait "$PG_SAMPLER_PID" 2>/dev/null
	PG_SAMPLER_PID=""
	pg_sampler_judge
	echo "$(wc -l < "$PG_DIR/samples") $(wc -l < "$PG_DIR/violations")"
}

# ---------------------------------------------------------------- workload

# pg_workload_start TABLE: insert 1, 2, 3... into TABLE(id int primary key),
# one psql per row, into whichever member is writable at the time. Every id
# whose INSERT returned success is appended to $PG_DIR/acked.TABLE.
pg_workload_start() {
	local table=$1
	: > "$PG_DIR/acked.$table"
	rm -f "$PG_DIR/stop.$table"
	(
		id=1
		target=1
		while [ ! -e "$PG_DIR/stop.$table" ]; do
			if pg_sql "$target" "insert into $table values ($id)" >/dev/null; then
				echo "$id" >> "$PG_DIR/acked.$table"
				id=$((id + 1))
			else
				# Not writable (or gone): try the next member; the id is
				# retried, and a duplicate of a committed but unacknowledged
				# row fails on the primary key, so it is never counted twice.
				target=$((target % PG_N + 1))
				sleep 0.02
			fi
		done
	) &
	PG_WORKLOAD_PID=$!
	PG_WORKLOAD_TABLE=$table
}

# pg_workload_stop: let the row in flight finish (its acknowledgement is
# recorded or not, never half), at most 10 s, then stop it by PID.
pg_workload_stop() {
	local n=0
	[ -n "$PG_WORKLOAD_PID" ] || return 0
	touch "$PG_DIR/stop.$PG_WORKLOAD_TABLE"
	while kill -0 "$PG_WORKLOAD_PID" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -TERM "$PG_WORKLOAD_PID" 2>/dev/null
	wait "$PG_WORKLOAD_PID" 2>/dev/null
	PG_WORKLOAD_PID=""
}

# ---------------------------------------------------------------- TAP

pg_plan() { echo "1..$1"; }
# pg_ok RC DESCRIPTION [TODO-REASON]: with a reason, a failure is reported
# as "not ok ... # TODO reason" (a known gap of the agent, not counted as a
# failure); a pass is a plain "ok" (automake would count a TODO that passes
# as an unexpected pass, i.e. a failure, once the agent is fixed). The
# scripts take their reasons from PG_TODO_* variables: set one to the empty
# string to make those checks strict.
pg_ok() {
	PG_TESTNO=$((PG_TESTNO + 1))
	if [ "$1" = 0 ]; then
		echo "ok $PG_TESTNO - $2"
	elif [ -n "${3:-}" ]; then
		echo "not ok $PG_TESTNO - $2 # TODO $3"
	else
		echo "not ok $PG_TESTNO - $2"
		PG_FAILED=1
	fi
}

# pg_bail_rest N DESCRIPTION: the remaining N tests cannot run (an earlier
# step failed): report them as failures, naming the reason.
pg_fail_rest() {
	local k
	for k in $(seq 1 "$1"); do pg_ok 1 "$2 (not reached)"; done
}

# pg_cluster_up TIMEOUT_S: start the cluster and wait for one writable
# primary and every other member streaming from it; sets PG_PRIMARY. Call it
# before any TAP output and not in $(...): when the agent does not manage
# PostgreSQL yet, the whole script skips.
PG_PRIMARY=""
pg_cluster_up() {
	local t=$1 p
	pg_cluster_start
	# The agent logs this at start when it ignores postgresql.manage.
	sleep 1
	pg_management_missing &&
		pg_skip "the agent does not manage PostgreSQL yet (postgresql.manage is ignored)"
	if ! p=$(pg_wait_primary "$t"); then
		if pg_management_missing; then
			pg_skip "the agent does not manage PostgreSQL yet (postgresql.manage is ignored)"
		fi
		return 1
	fi
	PG_PRIMARY=$p
	# shellcheck disable=SC2046
	pg_wait_streaming "$t" "$p" $(pg_others "$p")
}

# ---------------------------------------------------------------- operator actions
# The operator interfaces are tried in order: pgquorumctl first, then the
# REST call (Patroni's shapes). Each returns 0 when accepted, 1 when refused,
# 2 when the agent answers 404/405 to the REST call (the interface does not
# exist yet: the caller marks its tests TODO).

# pg_switchover FROM TO
pg_switchover() {
	local rc code
	pg_ctl_cmd switchover --candidate "m$2" --force > "$PG_DIR/ctl_switchover.out" 2>&1
	rc=$?
	[ $rc = 0 ] && return 0
	code=$(pg_post "$1" /switchover "{\"leader\":\"m$1\",\"candidate\":\"m$2\"}")
	case "$code" in
	200 | 202) return 0 ;;
	404 | 405) return 2 ;;
	esac
	pg_log "switchover refused: pgquorumctl rc=$rc, POST /switchover HTTP $code $(cat "$PG_DIR/last_post.json" 2>/dev/null)"
	return 1
}

# pg_set_pause true|false
pg_set_pause() {
	local rc code word=pause
	[ "$1" = false ] && word=resume
	pg_ctl_cmd "$word" > "$PG_DIR/ctl_pause.out" 2>&1
	rc=$?
	[ $rc = 0 ] && return 0
	code=$(pg_post 1 /config "{\"pause\":$1}" PATCH)
	case "$code" in
	200 | 202) return 0 ;;
	404 | 405) return 2 ;;
	esac
	pg_log "pause=$1 refused: pgquorumctl rc=$rc, PATCH /config HTTP $code $(cat "$PG_DIR/last_post.json" 2>/dev/null)"
	return 1
}

# Milliseconds since the epoch, and a duration in ms as seconds ("1.234").
pg_now_ms() { date +%s%3N; }
pg_secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# pg_sql_wait TIMEOUT_S I SQL: like pg_sql, retried until it prints
# something (a member that restarts does not answer for a moment).
pg_sql_wait() {
	local end=$((SECONDS + $1)) out
	while [ $SECONDS -lt $end ]; do
		out=$(pg_sql "$2" "$3") && [ -n "$out" ] && { echo "$out"; return 0; }
		sleep 0.2
	done
	return 1
}

#!/bin/bash
# tests/integration/pg_bootstrap.sh — 3 agents managing 3 real PostgreSQL 15
# servers on 127.0.0.1: exactly one member bootstraps (initdb, chosen through
# the record's bootstrap CAS, S15), starts writable only after its first
# renewal commits (S1) and gets promoted{} recorded; the other two clone it
# with pg_basebackup and stream; a row written on the primary is read on
# both standbys; the record shows the primary, epoch and reports. TAP.
#
# PostgreSQL refuses root: as root, agents (and so PostgreSQL) run as the
# `postgres` user (setpriv) in a directory it owns; without it: skip.
# Teardown always kills by PID: the agents, then any postmaster left.
set -u

BIN=${PGQUORUM_BIN:-${top_builddir:-$(pwd)}/pgquorum}
PGBIN=${PGQ_PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=""
declare -a PIDS=()
T=0
FAILED=0

skip() { echo "1..0 # SKIP $*"; exit 0; }
ok() {
	T=$((T + 1))
	if [ "$1" = 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=1; fi
}
teardown() {
	local pid f
	for pid in "${PIDS[@]}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
	[ -n "$DIR" ] || return
	for f in "$DIR"/pg*/postmaster.pid; do
		[ -f "$f" ] || continue
		pid=$(head -n 1 "$f")
		if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(dirname "$f")" ]; then
			kill -9 "$pid" 2>/dev/null
		fi
	done
	# The postmaster's children (checkpointer, walsender...) by their working directory.
	for f in /proc/[0-9]*/cwd; do
		case "$(readlink "$f" 2>/dev/null)" in
		"$DIR"/pg*) pid=${f#/proc/}; kill -9 "${pid%/cwd}" 2>/dev/null ;;
		esac
	done
	sleep 0.3
	if [ "$FAILED" != 0 ]; then
		for f in "$DIR"/n*.log "$DIR"/pg*.log; do
			[ -f "$f" ] || continue
			echo "# ---- $f (last 25 lines)"
			tail -n 25 "$f" | sed 's/^/# /'
		done
	fi
	if [ "${PGQ_IT_KEEP:-0}" != 1 ]; then rm -rf "$DIR"; else echo "# kept $DIR"; fi
}

[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] || skip "no PostgreSQL server binaries in $PGBIN"
[ -x "$BIN" ] || skip "pgquorum not built: $BIN"
command -v curl >/dev/null 2>&1 || skip "curl missing"
RUN=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || skip "running as root and no postgres user"
	# setpriv execs the agent itself (runuser would stay its parent, and a
	# kill by PID would hit runuser, not the agent).
	command -v setpriv >/dev/null 2>&1 || skip "running as root without setpriv"
	setpriv --reuid=postgres --regid=postgres --init-groups test -x "$BIN" ||
		skip "the postgres user cannot execute $BIN"
	RUN=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-pgboot.XXXXXX") || skip "mktemp failed"
trap teardown EXIT
trap 'exit 1' INT TERM
[ "${#RUN[@]}" -gt 0 ] && chown postgres: "$DIR"
chmod 700 "$DIR"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
BASE=""
for try in 0 1 2 3 4 5 6 7 8 9; do
	b=$((23000 + (($$ + try * 131) % 250) * 12))
	busy=0
	for k in 0 1 2 3 4 5 6 7 8 9; do port_busy $((b + k)) && busy=1; done
	[ $busy = 0 ] && { BASE=$b; break; }
done
[ -n "$BASE" ] || skip "no free ports"
raft_port() { echo $((BASE + $1)); }
rest_port() { echo $((BASE + 3 + $1)); }
pg_port() { echo $((BASE + 6 + $1)); }

write_config() {
	local i=$1 p
	{
		echo "scope: pgit"
		echo "name: n$i"
		echo "log: {level: ${PGQ_IT_LOG:-info}}"
		echo "raft:"
		echo "  listen: 127.0.0.1:$(raft_port "$i")"
		echo "  data_dir: $DIR/raft$i"
		echo "  heartbeat_ms: 50"
		echo "  election_timeout_ms: 300"
		echo "  peers:"
		for p in 1 2 3; do
			echo "    - {name: n$p, address: 127.0.0.1:$(raft_port "$p"), restapi: 127.0.0.1:$(rest_port "$p")}"
		done
		echo "restapi:"
		echo "  listen: 127.0.0.1:$(rest_port "$i")"
		echo "postgresql:"
		echo "  manage: true"
		echo "  data_dir: $DIR/pg$i"
		echo "  bin_dir: $PGBIN"
		echo "  listen: 127.0.0.1:$(pg_port "$i")"
		echo "  authentication:"
		echo "    superuser: {username: postgres, password: su-secret}"
		echo "    replication: {username: replicator, password: repl-secret}"
		echo "  parameters:"
		echo "    unix_socket_directories: '$DIR'"
		echo "    shared_buffers: 16MB"
		echo "  pg_hba:"
		echo "    - local all all peer"
		echo "watchdog: {mode: 'off'}"
		echo "hooks:"
		for ev in on_start on_stop on_role_change pre_promote post_promote fence on_demote; do
			echo "  $ev: {exec: [$DIR/hook.sh], timeout: 10s}"
		done
		echo "bootstrap:"
		echo "  dcs:"
		echo "    ttl: 10"
		echo "    loop_wait: 1"
		echo "    retry_timeout: 3"
		echo "    stop_budget_ms: 3000"
		echo "    kill_budget_ms: 1000"
		echo "    commit_p99_ms: 200"
		echo "    drift_floor_ms: 200"
		echo "  initdb:"
		echo "    - encoding: UTF8"
		echo "    - locale: C"
	} > "$DIR/n$i.yml"
	[ "${#RUN[@]}" -gt 0 ] && chown postgres: "$DIR/n$i.yml"
}

start_agent() {
	local i=$1
	"${RUN[@]}" "$BIN" -c "$DIR/n$i.yml" >> "$DIR/n$i.log" 2>&1 &
	PIDS[$i]=$!
}

psql_at() {
	# psql_at I SQL: one value, as the superuser over TCP.
	PGPASSWORD=su-secret PGCONNECT_TIMEOUT=3 "$PGBIN/psql" -X -A -t -q -h 127.0.0.1 \
		-p "$(pg_port "$1")" -U postgres -d postgres -c "$2" 2>/dev/null
}

cluster_json() { curl -s --max-time 2 "http://127.0.0.1:$(rest_port "$1")/cluster"; }

echo "1..25"
# A recording hook: one line per event (event, member, role, epoch).
printf '#!/bin/sh\necho "$PGQ_EVENT $PGQ_MEMBER $PGQ_ROLE $PGQ_EPOCH" >> "%s/hooks.log"\n' "$DIR" > "$DIR/hook.sh"
chmod 755 "$DIR/hook.sh"
[ "${#RUN[@]}" -gt 0 ] && chown postgres: "$DIR/hook.sh"
for i in 1 2 3; do write_config "$i"; done
for i in 1 2 3; do start_agent "$i"; done

# 1. One primary: promoted in the record, writable.
PRIMARY=""
for _ in $(seq 1 120); do
	for i in 1 2 3; do
		if [ "$(psql_at "$i" "SELECT pg_is_in_recovery()")" = "f" ] &&
			[ "$(psql_at "$i" "SHOW default_transaction_read_only")" = "off" ]; then
			PRIMARY=$i
			break 2
		fi
	done
	sleep 0.5
done
ok "$([ -n "$PRIMARY" ]; echo $?)" "a primary accepts writes (n${PRIMARY:-none})"

J=$(cluster_json 1)
echo "$J" | grep -q "\"promoted\": *true\|\"promoted\":true" && echo "$J" | grep -q "n${PRIMARY:-x}"
ok $? "GET /cluster names the primary, promoted (S12)"
echo "$J" | grep -Eq '"epoch": ?1[,}]'
ok $? "epoch 1 for the bootstrap primary (S1, S15)"

# 2. Exactly one initdb: the others were cloned (same system identifier, S15).
SYSID=$(psql_at "${PRIMARY:-1}" "SELECT system_identifier FROM pg_control_system()")
STANDBYS=""
for i in 1 2 3; do [ "$i" != "${PRIMARY:-0}" ] && STANDBYS="$STANDBYS $i"; done
streaming=0
for _ in $(seq 1 180); do
	streaming=0
	for i in $STANDBYS; do
		[ "$(psql_at "$i" "SELECT status FROM pg_stat_wal_receiver")" = "streaming" ] && streaming=$((streaming + 1))
	done
	[ $streaming = 2 ] && break
	sleep 0.5
done
ok "$([ $streaming = 2 ]; echo $?)" "both standbys stream from the primary ($streaming/2)"
same=0
for i in $STANDBYS; do
	[ -n "$SYSID" ] && [ "$(psql_at "$i" "SELECT system_identifier FROM pg_control_system()")" = "$SYSID" ] && same=$((same + 1))
done
ok "$([ $same = 2 ]; echo $?)" "standbys have the primary's system identifier (one initdb, S15)"

# 3. A row written on the primary is read on both standbys.
psql_at "${PRIMARY:-1}" "CREATE TABLE IF NOT EXISTS it_rows (id int); INSERT INTO it_rows VALUES (42)" >/dev/null
seen=0
for _ in $(seq 1 40); do
	seen=0
	for i in $STANDBYS; do
		[ "$(psql_at "$i" "SELECT count(*) FROM it_rows WHERE id = 42")" = "1" ] && seen=$((seen + 1))
	done
	[ $seen = 2 ] && break
	sleep 0.25
done
ok "$([ $seen = 2 ]; echo $?)" "the row written on the primary is read on both standbys"

# 4. Standbys refuse writes; the record carries their reports (LSNs).
FIRST_STANDBY=$(echo $STANDBYS | cut -d' ' -f1)
w=$(PGPASSWORD=su-secret "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$(pg_port "${FIRST_STANDBY:-1}")" \
	-U postgres -d postgres -c "INSERT INTO it_rows VALUES (1)" 2>&1)
echo "$w" | grep -q "read-only"
ok $? "a standby refuses writes"
reps=0
for _ in $(seq 1 40); do
	reps=$(cluster_json "${PRIMARY:-1}" | grep -o '"role": *"replica"' | wc -l)
	[ "$reps" -ge 2 ] && break
	sleep 0.25
done
ok "$([ "$reps" -ge 2 ]; echo $?)" "the record holds both standbys' replica reports ($reps)"

# Patroni's health endpoints (S20): /primary only on the lease holder.
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$(rest_port "$1")$2"; }
c1=$(http_code "${PRIMARY:-1}" /primary); c2=$(http_code "${FIRST_STANDBY:-1}" /primary)
[ "$c1" = 200 ] && [ "$c2" = 503 ]
ok $? "GET /primary: 200 on the primary ($c1), 503 on a standby ($c2)"
c1=$(http_code "${FIRST_STANDBY:-1}" /replica); c2=$(http_code "${PRIMARY:-1}" /replica)
[ "$c1" = 200 ] && [ "$c2" = 503 ]
ok $? "GET /replica: 200 on a streaming standby ($c1), 503 on the primary ($c2)"

# 5. Failover: kill -9 the primary's agent and postmaster together (the
# row above was received by both standbys). A standby becomes primary under
# epoch 2 (S2: after the lease), accepts writes, keeps the row; the other
# standby follows it; the restarted old primary rejoins as a standby.
kill_member() {
	local i=$1 f pid
	kill -9 "${PIDS[$i]}" 2>/dev/null
	wait "${PIDS[$i]}" 2>/dev/null
	PIDS[$i]=""
	for f in /proc/[0-9]*/cwd; do
		[ "$(readlink "$f" 2>/dev/null)" = "$DIR/pg$i" ] || continue
		pid=${f#/proc/}
		kill -9 "${pid%/cwd}" 2>/dev/null
	done
}
OLD=${PRIMARY:-1}
t0=$(date +%s)
kill_member "$OLD"
NEW=""
for _ in $(seq 1 120); do
	for i in $STANDBYS; do
		if [ "$(psql_at "$i" "SELECT pg_is_in_recovery()")" = "f" ] &&
			[ "$(psql_at "$i" "SHOW default_transaction_read_only")" = "off" ]; then
			NEW=$i
			break 2
		fi
	done
	sleep 0.5
done
ok "$([ -n "$NEW" ]; echo $?)" "failover: n${NEW:-none} accepts writes $(( $(date +%s) - t0 )) s after the kill"
[ "$(psql_at "${NEW:-1}" "SELECT count(*) FROM it_rows WHERE id = 42")" = "1" ]
ok $? "the new primary has the row the standbys had received"
cluster_json "${NEW:-1}" | grep -Eq '"epoch": ?2[,}]'
ok $? "the record names the new primary under epoch 2"
OTHER=""
for i in $STANDBYS; do [ "$i" != "${NEW:-0}" ] && OTHER=$i; done
psql_at "${NEW:-1}" "INSERT INTO it_rows VALUES (43)" >/dev/null
got=""
for _ in $(seq 1 120); do
	got=$(psql_at "${OTHER:-1}" "SELECT count(*) FROM it_rows WHERE id = 43")
	[ "$got" = 1 ] && break
	sleep 0.5
done
ok "$([ "$got" = 1 ]; echo $?)" "the other standby follows the new primary (reads its row)"
start_agent "$OLD"
got=""
for _ in $(seq 1 180); do
	got=$(psql_at "$OLD" "SELECT count(*) FROM it_rows WHERE id = 43")
	[ "$got" = 1 ] && break
	sleep 0.5
done
ok "$([ "$got" = 1 ]; echo $?)" "the old primary rejoins (rewind or re-clone) and reads the new primary's row"
[ "$(psql_at "$OLD" "SELECT pg_is_in_recovery()")" = "t" ]
ok $? "the old primary is a standby now (never writable again under its epoch)"

# 6. Switchover (S13) to a named candidate through a follower (forwarded to the leader).
TMP_SW_REPLY=$DIR/switchover_reply.json
CAND=${OTHER:-1}
# Patroni's answer: 200 once the candidate is promoted (the request waits).
code=$(curl -s -L -o "$TMP_SW_REPLY" -w '%{http_code}' --max-time 120 -X POST \
	-d "{\"leader\": \"n${NEW:-1}\", \"candidate\": \"n$CAND\"}" \
	"http://127.0.0.1:$(rest_port "$CAND")/switchover")
ok "$([ "$code" = 200 ] && grep -q "Successfully switched over to .*n$CAND" "$TMP_SW_REPLY"; echo $?)" "POST /switchover {leader, candidate}: 200 once n$CAND is promoted ($code $(cat "$TMP_SW_REPLY"))"
t0=$(date +%s)
done_sw=""
for _ in $(seq 1 120); do
	if [ "$(psql_at "$CAND" "SELECT pg_is_in_recovery()")" = "f" ] &&
		[ "$(psql_at "$CAND" "SHOW default_transaction_read_only")" = "off" ]; then
		done_sw=1
		break
	fi
	sleep 0.5
done
ok "$([ -n "$done_sw" ]; echo $?)" "switchover: n$CAND accepts writes $(( $(date +%s) - t0 )) s after the request"
psql_at "$CAND" "INSERT INTO it_rows VALUES (44)" >/dev/null
got=""
for _ in $(seq 1 120); do
	got=$(psql_at "${NEW:-1}" "SELECT count(*) FROM it_rows WHERE id IN (42, 43, 44)")
	[ "$got" = 3 ] && [ "$(psql_at "${NEW:-1}" "SELECT pg_is_in_recovery()")" = "t" ] && break
	sleep 0.5
done
ok "$([ "$got" = 3 ]; echo $?)" "the former primary follows the new one with every row (zero loss)"

# Pause and resume (S18) through a follower (307 to the leader).
# A 503 means "no leader or leadership moving: nothing done, retry" (the
# agents hand leadership off the new primary's host after the switchover):
# retry as a client should, bounded.
post() {
	local code n=0
	while :; do
		code=$(curl -s -L -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
			"http://127.0.0.1:$(rest_port "$1")$2")
		[ "$code" = 503 ] && [ $n -lt 20 ] || break
		n=$((n + 1))
		sleep 0.5
	done
	echo "$code"
}
code=$(post "${CAND:-1}" /pause)
paused=""
for _ in $(seq 1 20); do
	cluster_json "${CAND:-1}" | grep -Eq '"paused": ?true' && paused=1 && break
	sleep 0.25
done
ok "$([ "$code" = 202 ] && [ -n "$paused" ]; echo $?)" "POST /pause ($code): the record shows paused"
code=$(post "${NEW:-1}" /resume)
resumed=""
for _ in $(seq 1 20); do
	cluster_json "${CAND:-1}" | grep -Eq '"paused": ?false' && resumed=1 && break
	sleep 0.25
done
ok "$([ "$code" = 202 ] && [ -n "$resumed" ]; echo $?)" "POST /resume ($code): the record shows resumed"

# Hooks fired along the way (S19 order checked by the HA tests; here: they run).
missing=""
for ev in on_start pre_promote post_promote on_role_change fence; do
	grep -q "^$ev " "$DIR/hooks.log" 2>/dev/null || missing="$missing $ev"
done
grep -q "^post_promote n${NEW:-x} primary 2" "$DIR/hooks.log" || missing="$missing post_promote(n${NEW:-x},primary,2)"
ok "$([ -z "$missing" ]; echo $?)" "hooks ran: on_start, pre_promote, post_promote, on_role_change, fence (missing:${missing:- none})"
grep -q "^on_demote n${NEW:-x} " "$DIR/hooks.log" 2>/dev/null
ok $? "on_demote ran on the switchover's old primary"

# 7. A crashed postmaster on a standby is restarted by its agent.
SB=${NEW:-1}
pm=$(head -n 1 "$DIR/pg$SB/postmaster.pid" 2>/dev/null)
[ -n "$pm" ] && kill -9 "$pm" 2>/dev/null
back=""
for _ in $(seq 1 120); do
	sleep 0.5
	[ "$(psql_at "$SB" "SELECT pg_is_in_recovery()")" = "t" ] &&
		[ "$(head -n 1 "$DIR/pg$SB/postmaster.pid" 2>/dev/null)" != "$pm" ] && back=1 && break
done
ok "$([ -n "$back" ] && [ -n "$pm" ]; echo $?)" "a standby's killed postmaster is restarted by its agent (read-only)"

# 8. SIGTERM: the agent stops its PostgreSQL (nobody would renew or follow
# for it) and exits 0 (sanitizer builds: no leak reports).
S=${OLD:-1}
kill -TERM "${PIDS[$S]}" 2>/dev/null
rc=124
for _ in $(seq 1 300); do
	if ! kill -0 "${PIDS[$S]}" 2>/dev/null; then
		wait "${PIDS[$S]}"
		rc=$?
		PIDS[$S]=""
		break
	fi
	sleep 0.1
done
[ "$rc" = 0 ] && [ ! -f "$DIR/pg$S/postmaster.pid" ]
ok $? "SIGTERM: n$S exits 0 (got $rc) after stopping its PostgreSQL"

[ -n "${PGQ_IT_SHOW:-}" ] && cluster_json 1 | head -c 3000
exit $FAILED

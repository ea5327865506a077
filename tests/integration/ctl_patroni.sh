#!/bin/bash
# ctl_patroni.sh — pgquorumctl's actions against a stand-in agent speaking
# Patroni's REST shapes (ctl_mock_agent: a primary, a sync standby, a
# lagging replica): the exact requests sent (POST /switchover {leader,
# candidate, scheduled_at}, POST /failover {candidate}, per-member POST
# /restart /reload /reinitialize on the api_url's host, PATCH /config merge
# patches, DELETE /switchover and /restart), and how answers are shown.
set -u
CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
MOCK=${top_builddir:-$(pwd)}/tests/integration/ctl_mock_agent
if [ ! -x "$CTL" ] || [ ! -x "$MOCK" ]; then
	echo "1..0 # SKIP pgquorumctl or ctl_mock_agent not built"
	exit 0
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-ctl-mock.XXXXXX")
MOCK_PID=""
FAILED=0
cleanup() {
	[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
	[ "$FAILED" != 0 ] && sed 's/^/# log: /' "$DIR/requests.log"
	rm -rf "$DIR"
}
trap cleanup EXIT
n=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; FAILED=1; fi
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# a free port in 12000-14999 (ctl_cli.sh uses +1..4 and +21..24 of a block)
for try in 0 1 2 3 4 5 6 7; do
	PORT=$((12037 + ((($$ + try * 17) % 70) * 40)))
	port_busy "$PORT" || break
done
LOG=$DIR/requests.log
: > "$LOG"
"$MOCK" "$PORT" "$LOG" &
MOCK_PID=$!
export PGQUORUMCTL_URL="http://127.0.0.1:$PORT"
unset PGQUORUMCTL_USER PGQUORUMCTL_PASSWORD COLUMNS
ctl() { "$CTL" "$@"; }
# logged LINE: the mock received exactly this request line
logged() { grep -qxF "$1" "$LOG"; }

echo "1..21"
up=1
for _ in $(seq 1 50); do
	port_busy "$PORT" && { up=0; break; }
	sleep 0.1
done
ok $up "stand-in agent listens on 127.0.0.1:$PORT"

out=$(ctl list -e)
echo "$out" | grep -q "^a  .*127.0.0.1:5433  Primary  .*running" &&
	echo "$out" | grep -q "^b  .*Sync Standby  streaming   3          0  .*\*" &&
	echo "$out" | grep -q "^c  .*Replica  .*         5  "
ok $? "list -e: roles, host:port, lag in MB, pending restart"
! echo "$out" | grep -q "Raft\|Reported"
ok $? "list: no Raft or Reported column when the agent's /cluster has neither"

out=$(ctl topology)
[ "$(echo "$out" | sed -n '4,6p' | cut -c1-3 | tr '\n' '|')" = "a  |+ b|+ c|" ]
ok $? "topology: the primary, then its standbys indented"

[ "$(ctl dsn)" = "postgresql://127.0.0.1:5433,127.0.0.1:5434,127.0.0.1:5435/postgres?target_session_attrs=read-write" ] &&
	[ "$(ctl dsn --role replica)" = "postgresql://127.0.0.1:5434,127.0.0.1:5435,127.0.0.1:5433/postgres?target_session_attrs=standby" ]
ok $? "dsn: the primary first for read-write, standbys first for standby"

out=$(ctl switchover --candidate b --force) && logged 'POST /switchover {"leader":"a","candidate":"b"}' &&
	echo "$out" | grep -q "switched over"
ok $? "switchover --candidate b: POST /switchover {leader, candidate}"

out=$(ctl switchover --candidate b --scheduled 2099-01-01T12:00:00+02:00 --force) &&
	logged 'POST /switchover {"leader":"a","candidate":"b","scheduled_at":"2099-01-01T10:00:00+00:00"}' &&
	echo "$out" | grep -q "switchover scheduled"
ok $? "switchover --scheduled: scheduled_at in UTC, 202 shown as scheduled"

ctl list | grep -q "^ Switchover scheduled at 2099-01-01T10:00:00+00:00 from a to b$"
ok $? "list shows the scheduled switchover"

ctl flush switchover | grep -q "cancelled" && logged "DELETE /switchover " &&
	! ctl flush switchover 2>/dev/null
ok $? "flush switchover cancels it (200); again: nothing scheduled, exit 1"

err=$(ctl switchover --leader b --force 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "b is not the primary (a is)"
ok $? "switchover --leader b: refused before sending (b is not the primary)"

err=$(ctl failover --candidate c --force 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "POST /failover failed (HTTP 412): candidate is lagging" &&
	logged 'POST /failover {"candidate":"c"}'
ok $? "failover: POST /failover {candidate}; a 412 is shown with its reason, exit 1"

out=$(ctl restart b c --pending --scheduled 2099-01-01T03:00:00Z --force)
[ $? = 0 ] && [ "$(grep -cxF 'POST /restart {"restart_pending":true,"schedule":"2099-01-01T03:00:00+00:00"}' "$LOG")" = 2 ] &&
	echo "$out" | grep -q "^b: done" && echo "$out" | grep -q "^c: done"
ok $? "restart b c --pending --scheduled: POST /restart on each member's API (not /patroni/restart)"

[ "$(ctl reload | grep -c ': done')" = 3 ] && [ "$(grep -c '^POST /reload' "$LOG")" = 3 ]
ok $? "reload: every member, 202 accepted"

err=$(ctl reinit a --force 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "a is the primary" && ctl reinit c --force >/dev/null &&
	logged 'POST /reinitialize {"force":true}'
ok $? "reinit: refused for the primary; POST /reinitialize {force} for a standby"

ctl flush restart | grep -c "no restart scheduled" | grep -qx 3
ok $? "flush restart: DELETE /restart on each member; 404 read as nothing scheduled"

ctl pause --wait >/dev/null && logged 'PATCH /config {"pause":true}' &&
	ctl list | grep -q "^ Maintenance mode: on$"
ok $? "pause --wait: PATCH /config {pause: true}, list shows maintenance mode"
err=$(ctl pause 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "already paused" && ctl resume --wait >/dev/null &&
	logged 'PATCH /config {"pause":false}'
ok $? "pause when paused: exit 1; resume: PATCH /config {pause: false}"

out=$(ctl edit-config --set ttl=40 --set postgresql.parameters.work_mem=null --force)
[ $? = 0 ] && logged 'PATCH /config {"ttl":40,"postgresql":{"parameters":{"work_mem":null}}}' &&
	echo "$out" | grep -q "^-ttl: 30" && echo "$out" | grep -q "^-    work_mem: 4MB"
ok $? "edit-config --set: diff shown, merge patch sent (null deletes)"

printf 'loop_wait: 5\npostgresql:\n  parameters:\n    max_connections: 200\n' > "$DIR/patch.yaml"
ctl edit-config --apply "$DIR/patch.yaml" --force -q >/dev/null &&
	logged 'PATCH /config {"loop_wait":5,"postgresql":{"parameters":{"max_connections":200}}}'
ok $? "edit-config --apply FILE: the YAML merge patch as JSON"

out=$(ctl history)
echo "$out" | grep -q "^ 1  0/18000A0  switchover  2026-11-27T10:00:00+00:00  a$" &&
	ctl history -f json | tr -d ' \n' | grep -qF '[[1,25165984,"switchover","2026-11-27T10:00:00+00:00","a"]]'
ok $? "history: LSN as X/Y in the table, Patroni's rows in json"

[ "$(ctl version | grep -c ': pgquorum 9.9.9$')" = 3 ]
ok $? "version: each member's agent version from GET /patroni"

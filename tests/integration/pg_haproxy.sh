#!/bin/bash
# pg_haproxy.sh — contrib/haproxy.cfg in front of a real cluster: its
# read-write port reaches the primary and its read-only port a standby,
# through the agents' HEAD /primary and HEAD /replica health checks; after
# kill -9 of the primary (agent + PostgreSQL) the read-write port reaches
# the new primary. The configuration is the shipped file with only the
# addresses and ports replaced. Skipped when haproxy is not installed.
PG_SLOT=9
. "$(dirname "$0")/pg_lib.sh"

command -v haproxy >/dev/null || pg_skip "haproxy not installed"
CFG_SRC=${top_srcdir:-$(dirname "$0")/../..}/contrib/haproxy.cfg
[ -f "$CFG_SRC" ] || pg_skip "contrib/haproxy.cfg not found"
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 5
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 4 "cluster did not come up"; exit 1; }

RW=$((PG_BASE + 27))
RO=$((PG_BASE + 28))
ST=$((PG_BASE + 29))
servers=""
sed -e "s|bind \*:5000|bind 127.0.0.1:$RW|" -e "s|bind \*:5001|bind 127.0.0.1:$RO|" \
	-e "s|bind 127.0.0.1:7000|bind 127.0.0.1:$ST|" \
	-e "s|server db\([123]\) 10.0.0.[123]:5432|server db\1 127.0.0.1:PGPORT\1|" \
	-e "s|check port 8008|check port RESTPORT|" "$CFG_SRC" > "$PG_DIR/haproxy.tmp"
# Each server line gets its own member's PostgreSQL and REST ports.
awk -v b="$PG_BASE" '{
	if (match($0, /PGPORT[123]/)) {
		i = substr($0, RSTART + 6, 1)
		sub(/PGPORT[123]/, b + 20 + i); sub(/RESTPORT/, b + 10 + i)
	}
	print
}' "$PG_DIR/haproxy.tmp" > "$PG_DIR/haproxy.cfg"
haproxy -c -f "$PG_DIR/haproxy.cfg" >/dev/null 2>&1 || pg_log "haproxy -c refused the generated configuration"
haproxy -db -f "$PG_DIR/haproxy.cfg" > "$PG_DIR/haproxy.log" 2>&1 &
PG_EXTRA_PIDS+=($!)

via() { # via PORT SQL: through HAProxy, over TCP with the password
	PGPASSWORD=$PG_SU_PASS PGCONNECT_TIMEOUT=2 timeout 5 "$PG_BINDIR/psql" -X -q -At \
		-h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2" 2>/dev/null
}
rw_is_primary() { [ "$(via $RW "select pg_is_in_recovery()")" = f ]; }
ro_is_standby() { [ "$(via $RO "select pg_is_in_recovery()")" = t ]; }

pg_wait_cond 15 rw_is_primary
pg_ok $? "the read-write port ($RW) reaches the primary (HEAD /primary)"
pg_wait_cond 15 ro_is_standby
pg_ok $? "the read-only port ($RO) reaches a standby (HEAD /replica)"

others=$(pg_others "$p")
pg_kill9_member "$p"
t0=$(pg_now_ms)
rw_writes() { rw_is_primary && via $RW "create table if not exists hap(x int); insert into hap values (1)" >/dev/null; }
pg_wait_cond 60 rw_writes
pg_ok $? "after kill -9 of m$p the read-write port reaches a new primary and writes ($(pg_secs $(($(pg_now_ms) - t0)))s)"
# shellcheck disable=SC2086
new=$(pg_wait_primary 5 $others)
[ -n "$new" ] && [ "$(pg_sql "$new" "select count(*) from hap")" = 1 ]
pg_ok $? "the row written through HAProxy is on m${new:-?}"

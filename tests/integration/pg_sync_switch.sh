#!/bin/bash
# pg_sync_switch.sh — synchronous_mode changed at run time on a running
# cluster (PATCH /config), end to end (SAFETY.md S7, S10, S11; R1, R2):
#   off -> on      synchronous_standby_names becomes FIRST 1 ("mX") and the
#                  record's set is non-empty and holds mX (S7);
#   on -> quorum   with synchronous_node_count 2: ANY 2 ("ma", "mb");
#   strict         both standbys stopped: a write waits (S11) and is
#                  acknowledged once one standby streams again;
#   -> off         synchronous_standby_names '' and the record's set emptied;
#                  a failover afterwards elects a new primary (R4).
# Two samplers run throughout: pg_lib.sh's "no two writable primaries" (R1)
# and an S7 sampler like pg_sync_members.sh's: the record's (S_rec, k_rec),
# then SHOW synchronous_standby_names, then the record again; a name
# PostgreSQL may wait for that is in neither record read, or k_pg below both
# k_rec reads, breaks S_pg ⊆ S_rec, k_pg ≥ k_rec. The strict placeholder
# waits for nobody who can answer and is exempt.
PG_SLOT=3
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/pg_sync_s7.sh"

PG_EXTRA_DCS="synchronous_mode: 'off'"
export PG_EXTRA_DCS

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 10
p=$PG_PRIMARY
pg_ok $up "bootstrap with synchronous_mode off: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 9 "cluster did not come up"; exit 1; }
read -r a b <<< "$(pg_others "$p")"
if [ "$a" -lt "$b" ]; then lo=$a hi=$b; else lo=$b hi=$a; fi

# "k m.. " of the record (names sorted), read from agent $1 (default: the primary's).
# A 503 is "leadership moving: nothing changed, retry": retry, bounded.
patch() {
	local code n=0
	while :; do
		code=$(pg_post "$p" /config "$1" PATCH)
		[ "$code" = 503 ] && [ $n -lt 20 ] || break
		n=$((n + 1))
		sleep 0.5
	done
	echo "$code"
}

[ "$(rec_sync)" = "0" ] && [ "$(pg_ssn)" = "" ]
pg_ok $? "mode off: the record's set is empty ($(rec_sync)) and synchronous_standby_names is '' ('$(pg_ssn)')"

pg_sampler_start
pg_s7_sampler_start

# ---- off -> on: FIRST 1 with exactly one name, which the record holds (S7)
code=$(patch '{"synchronous_mode": "on"}')
on_ok() {
	local s r
	s=$(pg_ssn) && r=$(rec_sync) || return 1
	[[ "$s" =~ ^FIRST\ 1\ \(\"(m[0-9]+)\"\)$ ]] || return 1
	[ "${r%% *}" = 1 ] && [[ " ${r#* } " == *" ${BASH_REMATCH[1]} "* ]]
}
pg_wait_cond 40 on_ok
pg_ok $? "PATCH /config mode on (HTTP $code): synchronous_standby_names '$(pg_ssn)', record $(rec_sync) ⊇ it (S7)"

# ---- on -> quorum, synchronous_node_count 2: ANY 2 over both standbys
code=$(patch '{"synchronous_mode": "quorum", "synchronous_node_count": 2}')
pg_wait_cond 40 expect "2 m$lo m$hi" "ANY 2 (\"m$lo\", \"m$hi\")"
pg_ok $? "PATCH /config mode quorum, node count 2 (HTTP $code): '$(pg_ssn)', record $(rec_sync)"

# ---- strict: both standbys stopped, a write waits; one comes back, it is acknowledged
code=$(patch '{"synchronous_mode_strict": true}')
pg_set_pause true
is_paused() { [ "$(pg_cluster_field "$p" paused)" = true ]; }
pg_wait_cond 10 is_paused
ps=$?
for i in $a $b; do
	"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$(pg_datadir "$i")" -m fast -w -t 30 stop >/dev/null 2>&1
done
ph="FIRST 1 (\"pgquorum:no-sync-standby\")"
pg_wait_cond 40 expect "0" "$ph"
w=$?
# statement_timeout does not bound the commit's wait for a synchronous
# standby: the client cancels (SIGINT) after at most 60 s.
timeout -s INT -k 5 60 "$PG_BINDIR/psql" -X -q -At -h "$PG_DIR" -p "$(pg_pg_port "$p")" -U postgres -d postgres \
	-c "create table if not exists pgq_switch (id int primary key)" -c "insert into pgq_switch values (1)" \
	> "$PG_DIR/blocked.out" 2>&1 &
WPID=$!
PG_EXTRA_PIDS+=("$WPID")
waiting() { [ "$(pg_sql "$p" "select count(*) from pg_stat_activity where wait_event = 'SyncRep'")" -ge 1 ]; }
pg_wait_cond 10 waiting
sw=$?
sleep 2
waiting && kill -0 "$WPID" 2>/dev/null
still=$?
pg_ok $((ps + w + sw + still)) "strict on (HTTP $code), paused, both standbys stopped: record $(rec_sync), PostgreSQL waits for the placeholder ('$(pg_ssn)'), a write still waits in SyncRep after 2 s"

# m$a's PostgreSQL comes back (as a standby: standby.signal is still there).
"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$(pg_datadir "$a")" -l "$PG_DIR/m$a.manual.log" \
	-o "-c restart_after_crash=off" -w -t 30 start >/dev/null 2>&1
wt=0
while kill -0 "$WPID" 2>/dev/null && [ $wt -lt 500 ]; do sleep 0.1; wt=$((wt + 1)); done
wait "$WPID"
wrc=$?
[ $wrc = 0 ] && ! grep -qi 'canceling' "$PG_DIR/blocked.out" &&
	[ "$(pg_sql "$p" "select count(*) from pgq_switch where id = 1")" = 1 ]
pg_ok $? "m$a streams again: the waiting write is acknowledged (psql rc $wrc, $(head -c 200 "$PG_DIR/blocked.out")); '$(pg_ssn)', record $(rec_sync)"

# ---- back to off: '' and an empty record
pg_set_pause false
code=$(patch '{"synchronous_mode": "off", "synchronous_mode_strict": false}')
pg_wait_cond 40 expect "0" ""
pg_ok $? "PATCH /config mode off (HTTP $code): synchronous_standby_names '$(pg_ssn)', record $(rec_sync)"

read -r ns nv <<< "$(pg_s7_sampler_stop)"
[ "$ns" -ge 10 ] && [ "$nv" = 0 ]
pg_ok $? "S7 sampler (S_pg ⊆ S_rec, k_pg ≥ k_rec) across every switch: $ns samples, $nv violations"
[ "$nv" = 0 ] || sed 's/^/# /' "$PG_DIR/s7.violations" | head -10

# ---- a failover after the switch back to off works (R4)
pg_wait_streaming 60 "$p" "$a" "$b"
pg_kill9_member "$p"
np=$(pg_wait_primary 60 "$a" "$b")
rc=$?
recorded() { [ "$(pg_cluster_field "$np" "members[role=leader].name")" = "m$np" ]; }
[ $rc = 0 ] && pg_wait_cond 30 recorded
pg_ok $? "after off, m$p crashed: m${np:-?} promoted and recorded leader ($(pg_cluster_field "${np:-$a}" "members[role=leader].name"))"

read -r ns nv <<< "$(pg_sampler_stop)"
[ "$ns" -ge 10 ] && [ "$nv" = 0 ]
pg_ok $? "no two writable primaries (R1): $ns samples, $nv violations"
[ "$nv" = 0 ] || sed 's/^/# /' "$PG_DIR/violations" | head -10

#!/bin/bash
# pg_restcfg.sh — issue 7: the dynamic configuration, the history and the
# scheduled switchover, through the REST API (Patroni's contract) and
# through pgquorumctl, against 3 real agents managing real PostgreSQL 15.
#
# Each step checks its effect in the cluster: a PATCHed
# postgresql.parameters value is what SHOW prints on every member; a bad
# patch is 400 and GET /config is byte-for-byte unchanged; null deletes a
# key (its default returns); two concurrent patches both land (S17: merged
# at apply); PUT replaces; pause sets the record's flag (S18); the history
# names the new primary after a switchover; a scheduled switchover runs at
# its time and the new primary accepts writes; a cancelled one never runs.
PG_SLOT=8
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 40
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 39 "cluster did not come up"; exit 1; }
set -- $(pg_others "$p")
s1=$1
s2=$2

# req I METHOD PATH [BODY]: the status code; the body in $PG_DIR/reply.json.
# No -L: a follower must take the write itself (it forwards it to the Raft
# leader and answers once applied), as a Patroni client expects.
req() {
	curl -s --max-time 15 -o "$PG_DIR/reply.json" -w '%{http_code} %{time_total}' -X "$2" \
		-H 'Content-Type: application/json' ${4:+-d "$4"} "$(pg_url "$1")$3" > "$PG_DIR/req.out"
	cut -d' ' -f1 "$PG_DIR/req.out"
}
req_secs() { cut -d' ' -f2 "$PG_DIR/req.out"; }
raft_leader() { pg_get "$1" /raft | pg_json leader; }
reply() { pg_json "$1" < "$PG_DIR/reply.json"; }
config_of() { pg_get "$1" /config | pg_json ""; }
# show_all SETTING VALUE: every member's SHOW prints VALUE.
show_all() {
	local i
	for i in 1 2 3; do [ "$(pg_sql "$i" "show $1")" = "$2" ] || return 1; done
}
iso_in() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
current_primary() { pg_cluster_any primary.name | sed 's/^m//'; }
sched_field() { pg_cluster_any "scheduled_switchover.$1"; }
no_schedule() { ! pg_cluster_any scheduled_switchover.at >/dev/null; }
# The member that answered has applied the entry; the others follow within moments.
sched_gone() { pg_wait_cond 5 no_schedule; }
sched_to() { [ "$(sched_field to)" = "$1" ]; }

# ---------------------------------------------------------------- GET /config
ok=0
for i in 1 2 3; do
	c=$(pg_get "$i" /config)
	[ "$(echo "$c" | pg_json ttl | sed 's/\.0*$//')" = 4 ] &&
		[ "$(echo "$c" | pg_json postgresql.use_pg_rewind)" = true ] || ok=1
done
[ $ok = 0 ] || pg_log "GET /config: $c"
pg_ok $ok "GET /config on every member: the stored ttl (4) and the effective default postgresql.use_pg_rewind"

# ---------------------------------------------------------------- PATCH
code=$(req "$s1" PATCH /config '{"postgresql":{"parameters":{"work_mem":"7MB"}}}')
[ "$code" = 200 ] && [ "$(reply postgresql.parameters.work_mem)" = 7MB ]
pg_ok $? "PATCH /config sent to m$s1 (Raft leader: $(raft_leader "$s1")), no redirect followed: 200 with the new configuration (HTTP $code)"
pg_log "figure: PATCH /config answered (entry applied) in $(req_secs)s through m$s1"
# Figures only (never asserted): a PATCH through the Raft leader and through a follower.
ldr=$(raft_leader "$p" | sed 's/^m//')
fol=$(pg_others "${ldr:-0}" | cut -d' ' -f1)
if [ -n "$ldr" ]; then
	req "$ldr" PATCH /config '{"postgresql":{"parameters":{"work_mem":"7MB"}}}' >/dev/null
	t_l=$(req_secs)
	req "$fol" PATCH /config '{"postgresql":{"parameters":{"work_mem":"7MB"}}}' >/dev/null
	pg_log "figure: PATCH /config through the Raft leader m$ldr ${t_l}s, through the follower m$fol $(req_secs)s"
fi
pg_wait_cond 30 show_all work_mem 7MB
pg_ok $? "the patched work_mem is what SHOW prints on every member"

before=$(config_of "$p")
code=$(req "$s2" PATCH /config '{"ttl":"abc"}')
[ "$code" = 400 ] && reply error | grep -q ttl && [ "$(config_of "$p")" = "$before" ]
pg_ok $? "PATCH with a bad value: 400 naming it ($(reply error)), GET /config unchanged"
code=$(req "$p" PATCH /config '{"no_such_key":1,"ttl":20}')
[ "$code" = 400 ] && [ "$(config_of "$s1")" = "$before" ]
pg_ok $? "PATCH with an unknown key: 400 ($(reply error)), nothing changed (not even ttl)"
code=$(req "$p" PATCH /config '{"loop_wait":3}')
[ "$code" = 400 ] && reply error | grep -q "loop_wait + 2" && [ "$(config_of "$s2")" = "$before" ]
pg_ok $? "PATCH breaking loop_wait + 2 x retry_timeout <= ttl: 400, unchanged"

no_work_mem_on_s2() { ! pg_get "$s2" /config | pg_json postgresql.parameters.work_mem >/dev/null; }
code=$(req "$p" PATCH /config '{"postgresql":{"parameters":{"work_mem":null}}}')
[ "$code" = 200 ] && ! reply postgresql.parameters.work_mem >/dev/null && pg_wait_cond 5 no_work_mem_on_s2
pg_ok $? "PATCH with null deletes the key (HTTP $code)"
pg_wait_cond 30 show_all work_mem 4MB
pg_ok $? "work_mem is back to PostgreSQL's default (4MB) on every member"

# S17: both patches are merged at apply, neither overwrites the other.
curl -s --max-time 15 -o /dev/null -w '%{http_code}' -X PATCH -d '{"maximum_lag_on_failover":2097152}' \
	"$(pg_url "$s1")/config" > "$PG_DIR/c1" &
c1=$!
curl -s --max-time 15 -o /dev/null -w '%{http_code}' -X PATCH -d '{"switchover_max_lag":3145728}' \
	"$(pg_url "$s2")/config" > "$PG_DIR/c2" &
c2=$!
wait $c1 $c2
both_landed() {
	local c
	c=$(pg_get "$p" /config)
	[ "$(echo "$c" | pg_json maximum_lag_on_failover)" = 2097152 ] &&
		[ "$(echo "$c" | pg_json switchover_max_lag)" = 3145728 ]
}
# The member that answered applied it; m$p follows within moments.
[ "$(cat "$PG_DIR/c1")" = 200 ] && [ "$(cat "$PG_DIR/c2")" = 200 ] && pg_wait_cond 5 both_landed
pg_ok $? "two concurrent PATCHes through two followers: both 200 ($(cat "$PG_DIR/c1") $(cat "$PG_DIR/c2")) and both land (S17: merged at apply)"

# ---------------------------------------------------------------- PUT
full=$(pg_get "$p" /config | perl -MJSON::PP -e 'local $/; my $c = decode_json(<STDIN>);
	$c->{postgresql}{parameters}{work_mem} = "5MB"; $c->{switchover_max_lag} = 1048576;
	print encode_json($c)')
code=$(req "$s1" PUT /config "$full")
max_lag_1mb_on_s2() { [ "$(pg_get "$s2" /config | pg_json switchover_max_lag)" = 1048576 ]; }
[ "$code" = 200 ] && [ "$(reply postgresql.parameters.work_mem)" = 5MB ] && pg_wait_cond 5 max_lag_1mb_on_s2
pg_ok $? "PUT /config replaces the configuration (HTTP $code)"
pg_wait_cond 30 show_all work_mem 5MB
pg_ok $? "the PUT work_mem is what SHOW prints on every member"
before=$(config_of "$p")
code=$(req "$s1" PUT /config '{"ttl":4,"promote_timeout":0}')
[ "$code" = 400 ] && [ "$(config_of "$p")" = "$before" ]
pg_ok $? "PUT with a bad value: 400 ($(reply error)), unchanged"

# A setting that needs a restart: every member reports pending_restart, and
# it clears once the value is back (PostgreSQL re-reads it on the reload).
pending_all() {
	local i
	for i in 1 2 3; do [ "$(pg_get "$i" /patroni | pg_json pending_restart)" = "$1" ] || return 1; done
}
pending_none() {
	local i
	for i in 1 2 3; do ! pg_get "$i" /patroni | pg_json pending_restart >/dev/null || return 1; done
}
mc=$(pg_sql "$p" "show max_connections")
code=$(req "$s2" PATCH /config "{\"postgresql\":{\"parameters\":{\"max_connections\":$((mc + 7))}}}")
[ "$code" = 200 ] && pg_wait_cond 30 pending_all true && [ "$(pg_sql "$s1" "show max_connections")" = "$mc" ]
pg_ok $? "PATCH max_connections (needs a restart): every member reports pending_restart (HTTP $code)"
code=$(req "$s2" PATCH /config '{"postgresql":{"parameters":{"max_connections":null}}}')
[ "$code" = 200 ] && pg_wait_cond 30 pending_none
pg_ok $? "max_connections removed again: pending_restart clears on every member"

# ---------------------------------------------------------------- pause
code=$(req "$s2" PATCH /config '{"pause":true}')
# Another member shows it once it applied the entry too (a few ms later).
paused_on() { [ "$(pg_cluster_field "$1" paused)" = "$2" ]; }
[ "$code" = 200 ] && [ "$(reply pause)" = true ] && pg_wait_cond 5 paused_on "$s1" true
pg_ok $? "PATCH {\"pause\": true}: 200, GET /config and the record show it (S18)"
code=$(req "$s2" PATCH /config '{"pause":false}')
[ "$code" = 200 ] && ! reply pause >/dev/null && pg_wait_cond 5 paused_on "$s1" false
pg_ok $? "PATCH {\"pause\": false}: resumed"

# ---------------------------------------------------------------- history
# One row per change of primary after the bootstrap (a slow start may already have one).
changes() {
	pg_get "$1" /cluster | perl -MJSON::PP -e 'local $/; my $c = decode_json(<STDIN>);
		print scalar(grep { $_->{reason} ne "bootstrap" } @{ $c->{history} }), "\n"'
}
rows() { perl -MJSON::PP -e 'local $/; print scalar(@{ decode_json(<STDIN>) }), "\n"'; }
code=$(req "$s1" GET /history)
n_rows=$(rows < "$PG_DIR/reply.json")
[ "$code" = 200 ] && [ "$n_rows" = "$(changes "$s1")" ]
pg_ok $? "GET /history: one row per recorded change of primary ($(cat "$PG_DIR/reply.json"))"

# ---------------------------------------------------------------- scheduled switchover (REST)
# Under heavy load an election may have moved the primary: take it from the record.
p=$(current_primary)
set -- $(pg_others "$p")
s1=$1
s2=$2
pg_wait_streaming 60 "$p" "$s1" "$s2" || pg_log "not every standby streams from m$p"
code=$(req "$s1" POST /switchover "{\"leader\":\"m$p\",\"candidate\":\"m$s1\",\"scheduled_at\":\"2030-01-01T10:00:00\"}")
[ "$code" = 400 ] && no_schedule
pg_ok $? "scheduled_at without a zone: 400 ($(reply error))"
code=$(req "$s1" POST /switchover "{\"leader\":\"m$p\",\"candidate\":\"m$s1\",\"scheduled_at\":\"$(iso_in -60)\"}")
[ "$code" = 400 ] && no_schedule
pg_ok $? "scheduled_at in the past: 400 ($(reply error))"
tl_before=$(pg_cluster_any timeline)
n_rows=$(pg_get "$p" /history | rows)
at=$(iso_in 10)
code=$(req "$s2" POST /switchover "{\"leader\":\"m$p\",\"candidate\":\"m$s1\",\"scheduled_at\":\"$at\"}")
t_at=$(date -d "$at" +%s)
[ "$code" = 202 ] && pg_wait_cond 5 sched_to "m$s1" && [ "$(sched_field from)" = "m$p" ] &&
	[ "$(date -d "$(sched_field at)" +%s)" = "$t_at" ]
pg_ok $? "POST /switchover with scheduled_at: 202, GET /cluster shows scheduled_switchover {at, from, to} (HTTP $code)"
code=$(req "$p" POST /switchover "{\"leader\":\"m$p\",\"candidate\":\"m$s2\",\"scheduled_at\":\"$(iso_in 30)\"}")
[ "$code" = 409 ] && [ "$(sched_field to)" = "m$s1" ]
pg_ok $? "a second scheduled switchover: 409 ($(reply error)), the first stays"
early=0
while [ "$(date +%s)" -lt $((t_at - 1)) ]; do
	[ "$(current_primary)" = "$p" ] || early=1
	sleep 0.5
done
pg_ok $early "nothing happens before the scheduled time"
new=$(pg_wait_primary 40 "$s1")
pg_ok $? "at its time the switchover runs: m${new:-?} is primary and accepts writes"
pg_wait_cond 20 no_schedule
pg_ok $? "the scheduled switchover is consumed"
old=$p
p=$s1
s1=$old
pg_wait_streaming 60 "$p" "$s1" "$s2"
pg_ok $? "m$s1 and m$s2 stream from the new primary m$p"

hist=$(pg_get "$s2" /history)
# The first new row (a loaded machine may add failovers after it).
k=$n_rows
[ "$(echo "$hist" | rows)" -gt "$n_rows" ] && [ "$(echo "$hist" | pg_json $k.4)" = "m$p" ] &&
	[ "$(echo "$hist" | pg_json $k.2)" = switchover ] &&
	[ "$(echo "$hist" | pg_json $k.0)" = "$tl_before" ] && [ "$(echo "$hist" | pg_json $k.1)" -gt 0 ] &&
	echo "$hist" | pg_json $k.3 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+\+00:00$'
pg_ok $? "GET /history: a new row [timeline that ended ($tl_before), lsn, switchover, ISO time, m$p] ($hist)"

code=$(req "$s2" DELETE /switchover)
[ "$code" = 404 ]
pg_ok $? "DELETE /switchover with none scheduled: 404 ($(reply error))"
at=$(iso_in 6)
t_at=$(date -d "$at" +%s)
code=$(req "$s2" POST /switchover "{\"leader\":\"m$p\",\"candidate\":\"m$s2\",\"scheduled_at\":\"$at\"}")
code2=$(req "$s1" DELETE /switchover)
[ "$code" = 202 ] && [ "$code2" = 200 ] && sched_gone
pg_ok $? "scheduled (HTTP $code), then DELETE /switchover: 200 and the record has none (HTTP $code2)"
moved=0
while [ "$(date +%s)" -lt $((t_at + 4)) ]; do
	[ "$(current_primary)" = "$p" ] && pg_is_writable "$p" || moved=1
	sleep 0.5
done
pg_ok $moved "the cancelled switchover never runs: m$p stays primary past its time"

# ---------------------------------------------------------------- pgquorumctl
out=$(pg_ctl_cmd show-config -f json 2>&1)
[ "$(echo "$out" | pg_json ttl)" = 4 ]
pg_ok $? "pgquorumctl show-config prints GET /config"
pg_ctl_cmd edit-config --set postgresql.parameters.work_mem=9MB --force > "$PG_DIR/ctl.out" 2>&1 &&
	pg_wait_cond 30 show_all work_mem 9MB
pg_ok $? "pgquorumctl edit-config --set ... --force: SHOW work_mem is 9MB everywhere"
printf 'postgresql:\n  parameters:\n    work_mem: null\nmaximum_lag_on_failover: 4194304\n' > "$PG_DIR/patch.yml"
lag_is_4mb() { [ "$(pg_get "$s2" /config | pg_json maximum_lag_on_failover)" = 4194304 ]; }
pg_ctl_cmd edit-config --apply "$PG_DIR/patch.yml" --force > "$PG_DIR/ctl.out" 2>&1 &&
	pg_wait_cond 5 lag_is_4mb && pg_wait_cond 30 show_all work_mem 4MB
pg_ok $? "pgquorumctl edit-config --apply FILE --force: applied, null deleted work_mem ($(tail -n 1 "$PG_DIR/ctl.out"))"
before=$(config_of "$p")
pg_ctl_cmd edit-config --set ttl=abc --force > "$PG_DIR/ctl.out" 2>&1
rc=$?
[ $rc != 0 ] && [ "$(config_of "$p")" = "$before" ]
pg_ok $? "pgquorumctl edit-config with a bad value fails (rc $rc: $(tail -n 1 "$PG_DIR/ctl.out")), unchanged"
out=$(pg_ctl_cmd history 2>&1)
echo "$out" | grep -q "switchover" && echo "$out" | grep -q "m$p"
pg_ok $? "pgquorumctl history names the switchover to m$p"

pg_ctl_cmd switchover --candidate "m$s2" --scheduled "$(iso_in 30)" --force > "$PG_DIR/ctl.out" 2>&1 &&
	pg_wait_cond 5 sched_to "m$s2"
pg_ok $? "pgquorumctl switchover --scheduled --force: scheduled ($(tail -n 1 "$PG_DIR/ctl.out"))"
pg_ctl_cmd flush switchover > "$PG_DIR/ctl.out" 2>&1 && sched_gone
pg_ok $? "pgquorumctl flush switchover cancels it ($(tail -n 1 "$PG_DIR/ctl.out"))"
at=$(iso_in 7)
t_at=$(date -d "$at" +%s)
pg_ctl_cmd switchover --candidate "m$s2" --scheduled "$at" --force > "$PG_DIR/ctl.out" 2>&1
rc=$?
new=$(pg_wait_primary 45 "$s2")
[ $rc = 0 ] && [ "$(date +%s)" -ge "$t_at" ]
ok=$?
if [ $ok != 0 ]; then
	pg_log "pgquorumctl rc $rc: $(tr '\n' ' ' < "$PG_DIR/ctl.out")"
	grep -h "switchover" "$PG_DIR"/m*.log | tail -n 12 | sed 's/^/# /'
fi
pg_ok $ok "pgquorumctl scheduled switchover runs at its time: m${new:-?} accepts writes"

pg_ctl_cmd pause --wait > "$PG_DIR/ctl.out" 2>&1 && [ "$(pg_cluster_any paused)" = true ]
pg_ok $? "pgquorumctl pause --wait: the record is paused ($(tr '\n' ' ' < "$PG_DIR/ctl.out"))"
pg_ctl_cmd resume --wait > "$PG_DIR/ctl.out" 2>&1 && [ "$(pg_cluster_any paused)" = false ]
pg_ok $? "pgquorumctl resume --wait: resumed ($(tr '\n' ' ' < "$PG_DIR/ctl.out"))"

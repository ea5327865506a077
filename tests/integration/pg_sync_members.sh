#!/bin/bash
# pg_sync_members.sh — the synchronous set follows membership in S7's order
# (SAFETY.md S7, S10, S11; R2), the REST sync endpoints tell the truth, and
# strict mode blocks writes when no synchronous standby is left. Last, in
# synchronous_mode on (PATCH /config): a standby tagged nosync (R2, S7) is
# never in synchronous_standby_names nor in the recorded set, even when it
# is the only standby left.
#
# The cluster runs synchronous_mode quorum, synchronous_mode_strict true
# from bootstrap (the dynamic configuration cannot be changed over REST on
# this branch yet; pg_sync_zeroloss_on.sh covers mode on's endpoints).
#
# A sampler reads, every 100 ms, the record's (S_rec, k_rec) on the
# primary's agent, then SHOW synchronous_standby_names on the primary, then
# the record again; a sample where a name PostgreSQL waits for is in
# neither record read, or k_pg < both k_rec reads, breaks S7's invariant
# S_pg ⊆ S_rec, k_pg ≥ k_rec (the strict placeholder waits for nobody who
# can answer and is exempt).
PG_SLOT=9
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/pg_sync_s7.sh"

PG_EXTRA_DCS="synchronous_mode: quorum
synchronous_node_count: 1
synchronous_mode_strict: true"
export PG_EXTRA_DCS

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 12
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 11 "cluster did not come up"; exit 1; }
read -r a b <<< "$(pg_others "$p")"
# The standby stopped below is not the Raft leader when avoidable: this test
# is about the synchronous set, not about a leader election under load.
if [ "$(pg_get "$p" /patroni | pg_json raft.leader)" = "m$b" ]; then t=$a; a=$b; b=$t; fi
# The record and synchronous_standby_names list names sorted: lo, hi.
if [ "$a" -lt "$b" ]; then lo=$a hi=$b; else lo=$b hi=$a; fi

# "k m.. " of the record (sorted names) and of synchronous_standby_names.

pg_wait_cond 30 expect "1 m$lo m$hi" "ANY 1 (\"m$lo\", \"m$hi\")"
pg_ok $? "quorum mode: S_rec = {m$a, m$b}, k_rec = 1; m$p runs ANY 1 (\"m$a\", \"m$b\") (got: $(rec_sync); $(pg_ssn))"

codes="$(pg_http_code "$a" /quorum) $(pg_http_code "$b" /quorum) $(pg_http_code "$a" /synchronous) $(pg_http_code "$a" /asynchronous) $(pg_http_code "$p" /read-only-quorum) $(pg_http_code "$p" /quorum)"
roles="$(pg_cluster_field "$p" "members[name=m$a].role") $(pg_cluster_field "$p" "members[name=m$b].role") $(pg_cluster_field "$p" "members[name=m$p].role")"
qs=$(pg_get "$a" /patroni | pg_json quorum_standby)
[ "$codes" = "200 200 503 503 200 503" ] && [ "$roles" = "quorum_standby quorum_standby leader" ] && [ "$qs" = true ]
pg_ok $? "REST: /quorum 200 on both standbys, /synchronous and /asynchronous 503, /read-only-quorum 200 on the primary, /quorum 503 there ($codes); GET /cluster roles: $roles; status quorum_standby: $qs"

# ---- the S7 invariant sampler
pg_s7_sampler_start

# ---- a standby leaves: removed from PostgreSQL first, then from the record
pg_stop_agent "$b"
pg_wait_cond 40 expect "1 m$a" "ANY 1 (\"m$a\")"
pg_ok $? "m$b stopped: removed (S7: PostgreSQL first, record after the flush confirmation): $(rec_sync); $(pg_ssn)"
[ "$(pg_cluster_field "$p" "members[name=m$b].role")" != quorum_standby ] &&
	[ "$(pg_sql "$p" "insert into pgq_probe values (2) returning 1")" = 1 ]
pg_ok $? "m$b is no longer a quorum_standby in GET /cluster, and writes go on with m$a"

# ---- it comes back: record first, then PostgreSQL
pg_start "$b"
pg_wait_cond 60 expect "1 m$lo m$hi" "ANY 1 (\"m$lo\", \"m$hi\")"
pg_ok $? "m$b back: re-added (record first): $(rec_sync); $(pg_ssn)"

read -r ns nv <<< "$(pg_s7_sampler_stop)"
[ "$ns" -ge 3 ] && [ "$nv" = 0 ]
pg_ok $? "S7 invariant sampler: $ns samples, $nv violations"
[ "$nv" = 0 ] || sed 's/^/# /' "$PG_DIR/s7.violations" | head -10

# ---- strict: no standby left, writes block (k_rec = 0, the placeholder)
pg_set_pause true
is_paused() { [ "$(pg_cluster_field "$p" paused)" = true ]; }
pg_wait_cond 10 is_paused
for i in $a $b; do
	"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$(pg_datadir "$i")" -m fast -w -t 30 stop >/dev/null 2>&1
done
ph="FIRST 1 (\"pgquorum:no-sync-standby\")"
pg_wait_cond 30 expect "0" "$ph"
w=$?
# statement_timeout does not cover the commit's wait: cancel from the
# client after 3 s (psql turns SIGINT into a cancel request).
out=$(timeout -s INT -k 5 3 "$PG_BINDIR/psql" -X -q -At -h "$PG_DIR" -p "$(pg_pg_port "$p")" -U postgres -d postgres -c "insert into pgq_probe values (4)" 2>&1)
[ $w = 0 ] && grep -qiE 'canceling (the )?wait for synchronous replication' <<< "$out"
pg_ok $? "strict, both standbys stopped: record k_rec = 0 ($(rec_sync)), PostgreSQL waits for the placeholder ($(pg_ssn)), a write still waits after 3 s and is cancelled unacknowledged (S11): $(echo "$out" | head -1)"

pg_set_pause false
pg_wait_cond 90 expect "1 m$lo m$hi" "ANY 1 (\"m$lo\", \"m$hi\")"
ok=$?
out=$(timeout -s INT -k 5 10 "$PG_BINDIR/psql" -X -q -At -h "$PG_DIR" -p "$(pg_pg_port "$p")" -U postgres -d postgres -c "insert into pgq_probe values (5)" 2>&1)
[ $ok = 0 ] && [ -z "$out" ]
pg_ok $? "resumed: the standbys are back, the set is rebuilt ($(rec_sync); $(pg_ssn)) and writes are acknowledged again${out:+ ($out)}"

# ---- mode on: a standby tagged nosync never enters the set (S7, R2) ----------------
# m$a gets nosync: true through its configuration file and POST /reload
# (tags are reloadable: the agent records them with member_update).
code=$(pg_post "$p" /config '{"synchronous_mode": "on", "synchronous_mode_strict": false}' PATCH)
on_any() { [ "$(pg_sql "$p" "show synchronous_standby_names")" != "" ] && pg_ssn | grep -q '^FIRST 1 ("m[0-9]*")$'; }
pg_wait_cond 60 on_any
rc=$?
export "PG_TAGS_$a=nosync: true"
pg_write_config "$a"
rcode=$(pg_post "$a" /reload '')
tagged() { [ "$(pg_cluster_field "$p" "members[name=m$a].tags.nosync")" = true ]; }
pg_wait_cond 30 tagged
rt=$?
pg_wait_cond 60 expect "1 m$b" "FIRST 1 (\"m$b\")"
pg_ok $((rc + rt + $?)) "mode on (PATCH HTTP $code), m$a tagged nosync (reload HTTP $rcode, recorded: $(pg_cluster_field "$p" "members[name=m$a].tags.nosync")): S_rec = {m$b} only ($(rec_sync); $(pg_ssn))"

# From here m$a must never appear, in the record or in PostgreSQL's list.
: > "$PG_DIR/nosync.samples"
: > "$PG_DIR/nosync.violations"
(
	trap 'exit 0' TERM
	while :; do
		r=$(rec_sync) && t=$(pg_ssn) || { sleep 0.1; continue; }
		echo "$r | $t" >> "$PG_DIR/nosync.samples"
		case " $r | $t" in *"m$a "* | *"m$a\""* | *" m$a") echo "$(date -u +%T.%N) $r | $t" >> "$PG_DIR/nosync.violations" ;; esac
		sleep 0.1
	done
) &
NS_PID=$!
PG_EXTRA_PIDS+=("$NS_PID")
# m$b leaves: m$a streams but is nosync, so the set empties (not strict: k_rec = 0, S7).
pg_stop_agent "$b"
pg_wait_cond 60 expect "0" ""
pg_ok $? "m$b stopped, only the nosync m$a streams: the set is emptied, not given to m$a ($(rec_sync); '$(pg_ssn)')"
# Hold a few seconds: the agent must not change its mind.
sleep 3
kill -TERM "$NS_PID" 2>/dev/null
wait "$NS_PID" 2>/dev/null
ns=$(wc -l < "$PG_DIR/nosync.samples")
nv=$(wc -l < "$PG_DIR/nosync.violations")
[ "$ns" -ge 10 ] && [ "$nv" = 0 ] && [ "$(pg_sql "$p" "select count(*) from pg_stat_replication where application_name = 'm$a' and state = 'streaming'")" = 1 ]
pg_ok $? "R2/S7 nosync: $ns samples of the record and synchronous_standby_names, m$a (streaming) in none of them ($nv violations)"
[ "$nv" = 0 ] || sed 's/^/# /' "$PG_DIR/nosync.violations" | head -10

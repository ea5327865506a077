#!/bin/bash
# pg_rest.sh — the Patroni health endpoints, GET /patroni and GET /metrics
# on a real 3-member cluster (issue 7). Roles: P the primary, S an untagged
# standby, T a standby tagged noloadbalance (m3; when the bootstrap names
# m3 primary, it is crashed and rejoins as a standby first), X the standby S once its
# PostgreSQL was stopped (cluster paused, so the agent leaves it stopped).
# Every endpoint's code is checked with GET, HEAD and OPTIONS on each (one
# TAP line per member and method, naming every mismatch); query parameters
# lag (with replay paused on S, so that it really lags), mode,
# replication_state and tag_*; the status JSON's field names; /metrics
# against GET /cluster and SQL (primaries_observed = 1, epoch, counters).
PG_SLOT=6
. "$(dirname "$0")/pg_lib.sh"

PG_TAGS_3=$'noloadbalance: true'
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 37
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 36 "cluster did not come up"; exit 1; }
if [ "$p" = 3 ]; then
	# As pg_nofailover.sh: crash it, one of m1/m2 takes over, m3 rejoins as a standby.
	pg_log "the bootstrap named the tagged member m3: fail it over first"
	pg_kill9_member 3
	p=$(pg_wait_primary 60 1 2) && pg_start 3 && pg_wait_streaming 120 "$p" 3 ||
		{ pg_fail_rest 36 "m3 did not hand over ($p)"; exit 1; }
fi
P=$p
T=3
S=$(for i in 1 2; do [ "$i" != "$P" ] && echo "$i"; done | head -n 1)
# The agents' views follow the record within a loop_wait or two.
# /readiness on S measures its lag against the primary's position in the
# record: after the hand-over above that needs the new primary's first report.
primary_ok() { [ "$(pg_http_code "$P" /primary)" = 200 ] && [ "$(pg_http_code "$S" /replica)" = 200 ] &&
	[ "$(pg_http_code "$S" /readiness)" = 200 ]; }
pg_wait_cond 30 primary_ok
pg_ok $? "roles settled: P=m$P, S=m$S, T=m$T (noloadbalance)"

# expect ROLE PATH: the code the endpoint must answer for ROLE (P S T X).
expect() {
	case "$2" in
	/ | /primary | /read-write | /leader | /read-only-sync | /read-only-quorum)
		[ "$1" = P ] && echo 200 || echo 503 ;;
	/replica | /asynchronous | /async)
		[ "$1" = S ] && echo 200 || echo 503 ;;
	/read-only)
		case "$1" in P | S) echo 200 ;; *) echo 503 ;; esac ;;
	/synchronous | /sync | /quorum | /standby-leader) echo 503 ;; # synchronous_mode off
	/health | /readiness)
		[ "$1" = X ] && echo 503 || echo 200 ;;
	/liveness) echo 200 ;;
	/no-such-endpoint) echo 404 ;;
	esac
}
PATHS="/ /primary /read-write /leader /replica /read-only /synchronous /sync /asynchronous /async
/quorum /read-only-sync /read-only-quorum /health /liveness /readiness /standby-leader /no-such-endpoint"
code_of() { # code_of I METHOD PATH
	case "$2" in
	HEAD) curl -s --max-time 3 -I -o /dev/null -w '%{http_code}' "$(pg_url "$1")$3" ;;
	*) curl -s --max-time 3 -o /dev/null -w '%{http_code}' -X "$2" "$(pg_url "$1")$3" ;;
	esac
}
# matrix ROLE I METHOD: every path; prints the mismatches (empty: all right).
matrix() {
	local path got want bad=""
	for path in $PATHS; do
		got=$(code_of "$2" "$3" "$path")
		want=$(expect "$1" "$path")
		[ "$got" = "$want" ] || bad="$bad $path=$got(want $want)"
	done
	echo "${bad# }"
}
for role in P S T; do
	eval "i=\$$role"
	for method in GET HEAD OPTIONS; do
		bad=$(matrix "$role" "$i" "$method")
		[ -z "$bad" ]
		pg_ok $? "$role (m$i) $method: every endpoint as expected${bad:+: $bad}"
	done
done

size=$(curl -s --max-time 3 -X OPTIONS "$(pg_url "$P")/primary" | wc -c)
hsize=$(curl -s --max-time 3 -I "$(pg_url "$P")/primary" | tr -d '\r' | sed -n '/^$/,$p' | wc -c)
body=$(pg_get "$P" /primary | wc -c)
[ "$size" = 0 ] && [ "$body" -gt 50 ]
pg_ok $? "GET /primary has the status JSON ($body bytes); OPTIONS answers the code only ($size bytes; HEAD $hsize)"

# ---- query parameters ----------------------------------------------------
c1=$(pg_http_code "$S" "/replica?replication_state=streaming")
c2=$(pg_http_code "$S" "/replica?replication_state=catchup")
[ "$c1" = 200 ] && [ "$c2" = 503 ]
pg_ok $? "?replication_state=streaming 200 ($c1), =catchup 503 ($c2) on S"

c1=$(pg_http_code "$T" "/health?tag_noloadbalance=true")
c2=$(pg_http_code "$S" "/health?tag_noloadbalance=true")
c3=$(pg_http_code "$T" "/health?tag_noloadbalance=false")
c4=$(pg_http_code "$S" "/read-only?tag_dc=east")
c5=$(pg_http_code "$P" "/primary?tag_dc=east")
[ "$c1" = 200 ] && [ "$c2" = 503 ] && [ "$c3" = 503 ] && [ "$c4" = 503 ] && [ "$c5" = 200 ]
pg_ok $? "?tag_<key>=<value>: matching tag 200 ($c1), absent 503 ($c2), other value 503 ($c3), unknown tag 503 ($c4); leadership paths ignore tags ($c5)"

bad=""
for q in "lag=abc" "lag=-5" "lag=16XB" "lag=" "lag=99999999999999999999999"; do
	c=$(pg_http_code "$S" "/replica?$q")
	[ "$c" = 400 ] || bad="$bad $q=$c"
done
c=$(pg_http_code "$S" "/readiness?mode=bogus")
[ "$c" = 400 ] || bad="$bad mode=bogus=$c"
[ -z "$bad" ]
pg_ok $? "malformed lag and mode parameters get 400${bad:+: $bad}"

bad=""
for q in "lag=0" "lag=1024" "lag=16kB" "lag=64MB" "lag=1GB"; do
	c=$(pg_http_code "$S" "/replica?$q")
	[ "$c" = 200 ] || bad="$bad $q=$c"
done
[ -z "$bad" ]
pg_ok $? "idle cluster: /replica?lag= in bytes, kB, MB, GB is 200 on S${bad:+: $bad}"

# Make S really lag: pause its replay, write 2 MB on the primary.
pg_sql "$S" "select pg_wal_replay_pause()" >/dev/null
pg_sql "$P" "create table rest_lag(x text); insert into rest_lag select repeat('x', 1000) from generate_series(1, 2000)" >/dev/null
lagging() { [ "$(pg_http_code "$S" "/replica?lag=16kB")" = 503 ]; }
pg_wait_cond 20 lagging
pg_ok $? "replay paused on S, 2 MB written: /replica?lag=16kB is 503"
c1=$(pg_http_code "$S" "/replica?lag=64MB")
c2=$(pg_http_code "$S" "/readiness?lag=16kB&mode=apply")
c3=$(pg_http_code "$S" "/readiness?lag=16kB&mode=write")
c4=$(pg_http_code "$S" "/replica")
[ "$c1" = 200 ] && [ "$c2" = 503 ] && [ "$c3" = 200 ] && [ "$c4" = 200 ]
pg_ok $? "lagging S: ?lag=64MB 200 ($c1); /readiness?lag=16kB apply 503 ($c2), write 200 ($c3); no lag limit 200 ($c4)"
paused=$(pg_get "$S" /patroni | pg_json xlog.paused)
pg_sql "$S" "select pg_wal_replay_resume()" >/dev/null
[ "$paused" = true ]
pg_ok $? "the status JSON says xlog.paused = true while replay is paused ($paused)"
caught_up() { [ "$(pg_http_code "$S" "/replica?lag=16kB")" = 200 ]; }
pg_wait_cond 20 caught_up
pg_ok $? "replay resumed: /replica?lag=16kB is 200 again"

# ---- status JSON field names (GET /patroni) ------------------------------
missing() { # missing I KEY...: the keys absent from mI's /patroni
	local i=$1 k json out=""
	shift
	json=$(pg_get "$i" /patroni)
	for k in "$@"; do
		printf '%s' "$json" | pg_json "$k" >/dev/null || out="$out $k"
	done
	echo "${out# }"
}
COMMON="state postmaster_start_time role server_version timeline database_system_identifier
pgquorum.version pgquorum.scope pgquorum.name epoch lease_remaining_ms
raft.term raft.leader raft.commit_index raft.applied_index raft.role"
# shellcheck disable=SC2086
m=$(missing "$P" $COMMON xlog.location replication.0.usename replication.0.application_name \
	replication.0.client_addr replication.0.state replication.0.sync_state replication.0.sync_priority)
[ -z "$m" ] && [ "$(pg_get "$P" /patroni | pg_json role)" = primary ] &&
	[ "$(pg_http_code "$P" /patroni)" = 200 ]
pg_ok $? "GET /patroni on P: 200, role primary, Patroni's field names${m:+; missing: $m}"
# shellcheck disable=SC2086
m=$(missing "$S" $COMMON xlog.received_location xlog.replayed_location xlog.paused replication_state)
json=$(pg_get "$S" /patroni)
[ -z "$m" ] && [ "$(printf '%s' "$json" | pg_json role)" = replica ] &&
	printf '%s' "$json" | grep -q '"replayed_timestamp":' &&
	[ "$(printf '%s' "$json" | pg_json replication_state)" = streaming ]
pg_ok $? "GET /patroni on S: role replica, xlog.{received,replayed}_location, replayed_timestamp, paused, replication_state streaming${m:+; missing: $m}"
sv=$(pg_get "$P" /patroni | pg_json server_version)
[[ "$sv" =~ ^1[5-9][0-9]{4}$ ]] && [ "$(pg_get "$T" /patroni | pg_json tags.noloadbalance)" = true ]
pg_ok $? "server_version is an integer ($sv); T's tags show noloadbalance: true"
lease=$(pg_get "$P" /patroni | pg_json lease_remaining_ms)
[ "${lease:-0}" -gt 0 ] && [ "$(pg_get "$S" /patroni | pg_json lease_remaining_ms)" = 0 ]
pg_ok $? "lease_remaining_ms > 0 on the primary ($lease), 0 on a standby"

# ---- /metrics ---------------------------------------------------------------
metric() { # metric I NAME [LABEL-FILTER]: the first sample's value
	pg_get "$1" /metrics | grep "^$2{" | grep -- "${3:-}" | head -n 1 | awk '{print $2}'
}
observed() { [ "$(metric "$S" pgquorum_primaries_observed)" = 1 ]; }
pg_wait_cond 15 observed
pg_ok $? "pgquorum_primaries_observed is 1 on S (polled directly; got $(metric "$S" pgquorum_primaries_observed))"
ep=$(pg_cluster_field "$P" primary.epoch)
[ -n "$ep" ] && [ "$(metric "$P" pgquorum_epoch)" = "$ep" ] && [ "$(metric "$S" pgquorum_epoch)" = "$ep" ]
pg_ok $? "pgquorum_epoch matches GET /cluster's epoch ($ep) on P and S"
[ "$(metric "$P" pgquorum_primary)" = 1 ] && [ "$(metric "$S" pgquorum_primary)" = 0 ] &&
	[ "$(metric "$S" pgquorum_replica)" = 1 ]
pg_ok $? "pgquorum_primary 1 on P, 0 on S; pgquorum_replica 1 on S"
tl=$(pg_get "$P" /patroni | pg_json timeline)
rt=$(pg_get "$P" /patroni | pg_json raft.term)
[ "${tl:-0}" -ge 1 ] && [ "$(metric "$P" pgquorum_timeline)" = "$tl" ] && [ "$(metric "$P" pgquorum_raft_term)" = "$rt" ]
pg_ok $? "pgquorum_timeline ($tl) and pgquorum_raft_term ($rt) match /patroni"
a=$(metric "$P" pgquorum_http_requests_total 'code="200"')
for _ in 1 2 3 4 5; do pg_http_code "$P" /primary >/dev/null; done
b=$(metric "$P" pgquorum_http_requests_total 'code="200"')
n404a=$(metric "$P" pgquorum_http_requests_total 'code="404"')
pg_http_code "$P" /nothing-here >/dev/null
n404b=$(metric "$P" pgquorum_http_requests_total 'code="404"')
[ "$((b - a))" -ge 6 ] && [ "$((n404b - ${n404a:-0}))" = 1 ]
pg_ok $? "pgquorum_http_requests_total counts answers by code (200: $a -> $b, 404: ${n404a:-0} -> $n404b)"
out=$(pg_get "$P" /metrics)
bad=""
for fam in pgquorum_xlog_location_bytes pgquorum_raft_commit_index pgquorum_raft_applied_index \
	pgquorum_leader_changes_total pgquorum_failovers_total pgquorum_hook_runs_total \
	pgquorum_hook_failures_total pgquorum_lease_remaining_seconds; do
	printf '%s\n' "$out" | grep -q "^$fam{" || bad="$bad $fam"
done
printf '%s\n' "$out" | grep -q "^pgquorum_replication_lag_bytes{.*member=\"m$S\"}" || bad="$bad lag(m$S)"
[ -z "$bad" ]
pg_ok $? "every family is exposed, with a lag sample per standby${bad:+; missing: $bad}"

# ---- PostgreSQL stopped (X) --------------------------------------------------
lc_before=$(metric "$S" pgquorum_leader_changes_total)
# pgquorumctl pause (PATCH /config), else the agent's POST /pause.
pg_set_pause true || [ "$(pg_post "$P" /pause '{}')" = 202 ] || pg_log "pause refused: $(cat "$PG_DIR/last_post.json")"
is_paused() { [ "$(pg_get "$S" /patroni | pg_json pause)" = true ]; }
pg_wait_cond 15 is_paused
pg_ok $? "paused: the status JSON shows pause: true"
"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$(pg_datadir "$S")" -m fast -w -t 20 stop >/dev/null 2>&1
stopped() { [ "$(pg_http_code "$S" /health)" = 503 ]; }
pg_wait_cond 20 stopped
pg_ok $? "PostgreSQL of m$S stopped: /health 503"
for method in GET HEAD OPTIONS; do
	bad=$(matrix X "$S" "$method")
	[ -z "$bad" ]
	pg_ok $? "X (m$S, PostgreSQL stopped) $method: every endpoint as expected${bad:+: $bad}"
done
state=$(pg_get "$S" /patroni | pg_json state)
[ "$state" = stopped ] && [ "$(pg_http_code "$S" /patroni)" = 200 ]
pg_ok $? "GET /patroni on X: 200, state $state"
one() { [ "$(metric "$P" pgquorum_primaries_observed)" = 1 ]; }
pg_wait_cond 10 one && [ "$(metric "$S" pgquorum_leader_changes_total)" = "$lc_before" ]
pg_ok $? "still one primary observed, no leader change counted"
pg_set_pause false || pg_post "$P" /resume '{}' >/dev/null

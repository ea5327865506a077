#!/bin/bash
# pg_s3_voter_ages.sh — SAFETY.md S3 with voters' ages (docs/safety-changes.md
# C3, C20): the Raft leader sits on the primary's host (test-only
# PGQUORUM_TEST_LEADER_ON_PRIMARY=1 hands leadership onto it) and both die
# together (kill -9 of the agent and every PostgreSQL process). The new
# leader does not know when the primary last renewed; instead of a whole
# lease from its election it asks every voter over the peer transport
# (LEASE_AGE frames) how long ago it appended the latest renewal, and
# shortens its wait with the answers. Asserted: the other survivor's answer
# reached the new leader, the leader's computed wait is shorter than the
# whole lease from its election, a survivor is promoted and writes, and the
# sampler never saw two writable members (S1, S2). The times are printed,
# never asserted (ttl 20 s, loop_wait 1 s).
PG_SLOT=2
. "$(dirname "$0")/pg_lib.sh"

export PGQUORUM_LOG_TIME=1
PG_TTL=20s
PG_LOOP_WAIT=1s
for i in 1 2 3; do
	declare "PG_ENV_$i=PGQUORUM_TEST_LEADER_ON_PRIMARY=1"
done
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 7
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 6 "cluster did not come up"; exit 1; }
others=$(pg_others "$p")
watch=$(echo "$others" | cut -d' ' -f1)

leader_on_primary() { [ "$(pg_get "$watch" /patroni | pg_json raft.leader)" = "m$p" ]; }
pg_wait_cond 40 leader_on_primary
pg_ok $? "the Raft leader moves onto the primary's host m$p (PGQUORUM_TEST_LEADER_ON_PRIMARY)"

# A few renewals under this leader, replicated to both standbys.
seq0=$(pg_cluster_field "$watch" primary.lease_seq)
renewed() { [ "$(pg_cluster_field "$watch" primary.lease_seq)" -ge $((${seq0:-0} + 2)) ]; }
pg_wait_cond 20 renewed || pg_log "the primary renewed slowly (lease_seq ${seq0:-?})"
pg_sampler_start
leader_on_primary || pg_log "the leader moved away before the kill (the test then proves less)"
t0=$(pg_now_ms)
pg_kill9_member "$p"
# shellcheck disable=SC2086
new=$(pg_wait_primary 90 $others)
rc=$?
el=$(pg_secs $(($(pg_now_ms) - t0)))
pg_ok $rc "after kill -9 of m$p (primary and Raft leader), m${new:-?} is primary and accepts writes (${el}s)"

# The leader that declared the loss is one of the survivors; its log tells
# what S3 did.
nl=""
for s in $others; do
	grep -q "leader proposes primary_lost: .*'m$p'" "$PG_DIR/m$s.log" && nl=$s
done
other=""
for s in $others; do [ "$s" != "$nl" ] && other=$s; done
log="$PG_DIR/m${nl:-0}.log"
grep -q "S3: m${other:-?} appended the latest renewal" "$log" 2>/dev/null
pg_ok $? "the leader that declared m$p lost m${nl:-?} received m${other:-?}'s age of the latest renewal (LEASE_AGE answer)"

line=$(grep "S3: wait shortened by .*the lease of m$p " "$log" 2>/dev/null | tail -n 1)
pg_log "${line:-no 'wait shortened' line in m${nl:-?}.log}"
read -r nrep short full <<< "$(echo "$line" |
	sed -n 's/.*shortened by \([0-9]*\) voter.* lost \([0-9]*\) ms after election instead of \([0-9]*\) ms.*/\1 \2 \3/p')"
[ "${nrep:-0}" -ge 2 ] && [ "${short:-0}" -lt "${full:-0}" ]
pg_ok $? "the leader's S3 wait is shortened by ${nrep:-0} reports (own + voter): ${short:-?} ms instead of the whole ${full:-?} ms from its election"

elected=$(grep -m1 "role=leader leader=m$nl" "$log" 2>/dev/null | cut -c12-23)
lost=$(grep -m1 "proposes primary_lost" "$log" 2>/dev/null | cut -c12-23)
pg_log "kill at $(date -u -d "@$((t0 / 1000))" +%H:%M:%S).$(printf %03d $((t0 % 1000))); m${nl:-?} leader at ${elected:-?}; loss proposed at ${lost:-?}; new primary writes ${el}s after the kill"

epoch=$(pg_cluster_field "$new" primary.epoch)
[ "$(pg_cluster_field "$new" primary.name)" = "m$new" ] && [ "${epoch:-0}" -ge 2 ]
pg_ok $? "the record names m$new primary with a new epoch ($epoch)"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples every 100 ms, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

#!/bin/bash
# pg_hooks_policy.sh — issue 6: what hook results do to a real cluster
# (real agents, real PostgreSQL 15).
#
#  A. pre_promote veto (S19): the first pre_promote after the primary's
#     kill -9 exits 3; the veto is logged and recorded (vetoed{X, e}:
#     members[X].vetoed_epoch) and the failover moves to the other standby
#     under a new epoch (failover_backoff 30 s keeps X out meanwhile).
#  B. A hanging hook: the old primary's agent restarts and its on_start (or
#     on_restart, after a crash) hook
#     ignores SIGTERM and sleeps 600 s; at its 3 s timeout it gets SIGTERM,
#     5 s later SIGKILL; meanwhile /liveness answers every poll within 1 s,
#     every poll sees a Raft leader, the member keeps applying entries and rejoins.
#  C. fencing.required: true with a fence hook that fails: after a kill -9
#     of the primary nobody is promoted, the record's failover_blocked says
#     why and the fence is retried; once the hook succeeds the failover ends.
# The scripts the hooks run are written below; every wait is bounded.
PG_SLOT=7
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
export PG_FAILOVER_BACKOFF=30s

# ---- hook scripts -----------------------------------------------------------------
cat > "$PG_DIR/fence.sh" <<EOF
#!/bin/sh
# fence: succeeds unless $PG_DIR/fence_rc holds another exit code.
rc=\$(cat "$PG_DIR/fence_rc" 2>/dev/null || echo 0)
echo "fence \$PGQ_MEMBER old=\$PGQ_OLD_PRIMARY epoch=\$PGQ_EPOCH rc=\$rc \$(date +%s%3N)" >> "$PG_DIR/hooks.log"
echo "test fence exits \$rc"
exit "\$rc"
EOF
cat > "$PG_DIR/pre_promote.sh" <<EOF
#!/bin/sh
# pre_promote: the first call after the test armed a veto says no.
echo "pre_promote \$PGQ_MEMBER epoch=\$PGQ_EPOCH" >> "$PG_DIR/hooks.log"
if rm "$PG_DIR/veto_armed" 2>/dev/null; then
	echo "veto \$PGQ_MEMBER epoch=\$PGQ_EPOCH" >> "$PG_DIR/hooks.log"
	echo "vetoed by the test"
	exit 3
fi
exit 0
EOF
cat > "$PG_DIR/on_start.sh" <<EOF
#!/bin/sh
# on_start: once armed, hang, ignoring SIGTERM (sleep inherits the ignored signal).
if rm "$PG_DIR/hang_armed" 2>/dev/null; then
	trap '' TERM
	date +%s%3N > "$PG_DIR/hang.start"
	echo \$\$ > "$PG_DIR/hang.pid"
	exec sleep 600
fi
exit 0
EOF
chmod 755 "$PG_DIR/fence.sh" "$PG_DIR/pre_promote.sh" "$PG_DIR/on_start.sh"
: > "$PG_DIR/hooks.log"
[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/hooks.log"
export PG_CONF="fencing:
  required: true
hooks:
  fence: {exec: ['$PG_DIR/fence.sh'], timeout: 3s}
  pre_promote: {exec: ['$PG_DIR/pre_promote.sh'], timeout: 5s}
  on_start: {exec: ['$PG_DIR/on_start.sh'], timeout: 3s}
  on_restart: {exec: ['$PG_DIR/on_start.sh'], timeout: 3s}"

pg_cluster_up 120
up=$?
PG_TOTAL=11
pg_plan $PG_TOTAL
p=$PG_PRIMARY
pg_ok $up "bootstrap with fencing.required, fence/pre_promote/on_start hooks: m${p:-?} primary"
[ $up = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "cluster did not come up"; exit 1; }
pg_sampler_start

# ---- A: pre_promote veto ------------------------------------------------------------
touch "$PG_DIR/veto_armed"
chmod 666 "$PG_DIR/veto_armed"
pg_kill9_member "$p"
others=$(pg_others "$p")
y=$(pg_wait_primary 150 $others)
rc=$?
veto=$(grep -m1 "^veto " "$PG_DIR/hooks.log")
x=$(echo "$veto" | sed -n 's/^veto m\([0-9]*\) epoch=\([0-9]*\)$/\1/p')
ve=$(echo "$veto" | sed -n 's/^veto m\([0-9]*\) epoch=\([0-9]*\)$/\2/p')
ey=$(pg_cluster_field "${y:-1}" primary.epoch)
# S19: the veto ends epoch ve; the next epoch names another candidate.
next=$(pg_get "${y:-1}" /cluster | perl -MJSON::PP -e '
	my $c = JSON::PP->new->decode(do { local $/; <STDIN> });
	for my $h (@{ $c->{history} || [] }) { print "$h->{new_primary}\n" if $h->{epoch} == $ARGV[0] + 1 }' "${ve:-0}")
[ $rc = 0 ] && [ -n "$x" ] && [ -n "$next" ] && [ "$next" != "m$x" ] && [ "${ey:-0}" -gt "${ve:-0}" ]
pg_ok $? "pre_promote of m${x:-?} vetoed epoch ${ve:-?}; epoch $((${ve:-0} + 1)) named ${next:-?}; m${y:-?} primary under epoch ${ey:-?}"
[ $rc = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "no primary after the veto"; exit 1; }
[ "$(pg_cluster_field "$y" "members[name=m$x].vetoed_epoch")" = "$ve" ] &&
	grep -q "proposes vetoed: pre_promote hook vetoed the promotion" "$PG_DIR/m$x.log" &&
	grep -q "pre_promote failed: vetoed by the test" "$PG_DIR/m$x.log"
pg_ok $? "the veto is logged on m$x and recorded: members[m$x].vetoed_epoch = $(pg_cluster_field "$y" "members[name=m$x].vetoed_epoch")"

# ---- B: a hanging on_start hook ---------------------------------------------------------
pg_wait_streaming 60 "$y" "$x"
touch "$PG_DIR/hang_armed"
chmod 666 "$PG_DIR/hang_armed"
term0=$(pg_get "$y" / | pg_json raft.term)
pg_start "$p"
pg_wait_cond 120 test -s "$PG_DIR/hang.pid"
rc=$?
hang_pid=$(cat "$PG_DIR/hang.pid" 2>/dev/null)
pg_log "on_start/on_restart of m$p hangs (pid ${hang_pid:-?})"
# While it hangs: /liveness of m$p, as often as the machine allows, and Raft's state.
worst=0
bad=0
noleader=0
ai0=""
ai1=""
polls=0
leaders=""
while [ -n "$hang_pid" ] && kill -0 "$hang_pid" 2>/dev/null && [ $polls -lt 80 ]; do
	out=$(curl -s -o /dev/null --max-time 1 -w '%{http_code} %{time_total}' "$(pg_url "$p")/liveness")
	code=${out%% *}
	ms=$(echo "${out#* }" | awk '{printf "%d", $1 * 1000}')
	[ "$code" = 200 ] || bad=$((bad + 1))
	[ "${ms:-9999}" -gt "$worst" ] && worst=${ms:-9999}
	st=$(curl -s --max-time 1 "$(pg_url "$p")/")
	l=$(echo "$st" | pg_json raft.leader)
	[ -n "$l" ] || noleader=$((noleader + 1))
	ai=$(echo "$st" | pg_json raft.applied_index)
	[ -n "$ai" ] && { [ -z "$ai0" ] && ai0=$ai; ai1=$ai; }
	case " $leaders " in *" $l "*) ;; *) leaders="$leaders $l" ;; esac
	polls=$((polls + 1))
done
# 80 polls may end before the kill at 8 s on a quick machine: wait for it (bounded).
hook_gone() { ! kill -0 "$hang_pid" 2>/dev/null; }
[ -n "$hang_pid" ] && pg_wait_cond 20 hook_gone
gone_ms=$(pg_now_ms)
start_ms=$(cat "$PG_DIR/hang.start" 2>/dev/null || echo 0)
pg_log "hang: $polls liveness polls, $bad not 200, slowest $worst ms; leaders seen:$leaders; hook gone after $((gone_ms - start_ms)) ms"
[ $rc = 0 ] && ! kill -0 "$hang_pid" 2>/dev/null &&
	grep -Eq "hook finished event=on_(start|restart) kind=exec status=timed_out exit=-1 signal=9 timed_out=true" "$PG_DIR/m$p.log" &&
	[ $((gone_ms - start_ms)) -lt 20000 ]
pg_ok $? "the hanging hook (TERM ignored) was killed: SIGTERM at 3 s, SIGKILL 5 s later ($(grep -Eo 'event=on_(start|restart) kind=exec status=timed_out.*run_ms=[0-9]*' "$PG_DIR/m$p.log" | head -1))"
[ "$polls" -ge 3 ] && [ $bad = 0 ]
pg_ok $? "m$p's /liveness answered all $polls polls within 1 s while the hook hung (slowest $worst ms)"
term1=$(pg_get "$y" / | pg_json raft.term)
# Raft went on: m$p kept applying entries (renewals, reports) and knew a
# leader in all but a few polls (a hand-over of leadership off the
# primary's host, or an election on a loaded machine, leaves a moment
# without one; a loop stalled by the hook would apply nothing).
[ "$noleader" -le 3 ] && [ "$noleader" -lt "$polls" ] && [ -n "$ai0" ] && [ "${ai1:-0}" -gt "$ai0" ]
pg_ok $? "Raft went on during the hang: a leader in $((polls - noleader)) of $polls polls ($leaders; term $term0 -> $term1), m$p applied entries $ai0 -> $ai1"
pg_wait_streaming 120 "$y" "$p"
pg_ok $? "m$p rejoined and streams from m$y"

# ---- C: a failing required fence blocks the promotion ------------------------------------
# Whoever is primary now (a loaded machine may have moved it), with both standbys streaming.
y=$(pg_wait_primary 60) || y=$y
# shellcheck disable=SC2046
pg_wait_streaming 60 "$y" $(pg_others "$y") || pg_log "not every standby streams from m$y"
echo 1 > "$PG_DIR/fence_rc"
chmod 644 "$PG_DIR/fence_rc"
pg_kill9_member "$y"
rest=$(pg_others "$y")
blocked_ok() {
	pg_cluster_any failover_blocked.waiting_for | grep -q "fence exec hook failed with code 1 (fencing.required: promotion blocked)"
}
pg_wait_cond 60 blocked_ok
rc=$?
why=$(pg_cluster_any failover_blocked.waiting_for)
z=$(pg_cluster_any primary.name)
[ $rc = 0 ] && [ "$(pg_cluster_any primary.promoted)" = false ] &&
	pg_cluster_any fence_pending | grep -q "\"m$y\""
pg_ok $? "record: failover_blocked '$why', primary $z not promoted, fence_pending $(pg_cluster_any fence_pending)"
# Hold it for a while: nobody writable, the fence retried.
nf0=$(grep -c "^fence .* rc=1 " "$PG_DIR/hooks.log")
t_end=$((SECONDS + 8))
wr=""
while [ $SECONDS -lt $t_end ]; do
	w=$(pg_writable_members)
	[ -n "$w" ] && wr="$wr $w"
	sleep 0.5
done
nf1=$(grep -c "^fence .* rc=1 " "$PG_DIR/hooks.log")
# L8: retried once per loop_wait (1 s), not at every cycle of the driver.
[ -z "$wr" ] && [ $((nf1 - nf0)) -ge 2 ] && [ $((nf1 - nf0)) -le 10 ]
pg_ok $? "blocked: no member writable for 8 s, the fence retried once per loop_wait ($((nf1 - nf0)) failed attempts)"
echo 0 > "$PG_DIR/fence_rc"
t0=$(pg_now_ms)
# shellcheck disable=SC2086
n=$(pg_wait_primary 60 $rest)
rc=$?
not_blocked() { ! pg_cluster_field "${n:-1}" failover_blocked.waiting_for | grep -q fence; }
[ $rc = 0 ] && pg_wait_cond 15 not_blocked
rc=$?
cleared=$(pg_cluster_field "${n:-1}" failover_blocked.waiting_for)
[ $rc = 0 ]
pg_ok $? "fence succeeds: m${n:-?} promoted $(pg_secs $(($(pg_now_ms) - t0))) s later, failover_blocked cleared ('$cleared')"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

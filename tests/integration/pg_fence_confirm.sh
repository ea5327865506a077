#!/bin/bash
# pg_fence_confirm.sh — SAFETY.md L8/S4/S6 with real agents and real
# PostgreSQL 15: what an operator does when a required fence keeps failing,
# and what fencing.required: false means.
#
#  A. L8: fencing.required: true and a fence hook that always fails. After a
#     kill -9 of the primary nobody is promoted; GET /cluster shows why
#     (failover_blocked, fence_pending, primary.promoted false). Confirmations
#     nobody waits for are refused (400/404/412, pgquorumctl exits 1) and change
#     nothing; `pgquorumctl fence-confirm OLD` without a terminal refuses; with
#     --force it is recorded (S4: a CAS on the blocked epoch), the named
#     standby promotes and accepts writes, its log says the operator
#     confirmed, the epoch's history entry names the confirmed member, and
#     failover_blocked is cleared. A second confirmation is refused.
#  B. fencing.required: false (S6 is the operator's choice): the old primary
#     and the remaining standby restart with it; after a kill -9 of the new
#     primary the fence hook still fails, the promotion goes on and the log
#     says "(fencing not required): promoting anyway".
# A sampler checks throughout that two members are never writable at once.
# Every wait is bounded.
PG_SLOT=2
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3

cat > "$PG_DIR/fence.sh" <<EOF
#!/bin/sh
# A STONITH that cannot reach its device: always fails.
echo "fence \$PGQ_MEMBER old=\$PGQ_OLD_PRIMARY epoch=\$PGQ_EPOCH rc=1" >> "$PG_DIR/hooks.log"
echo "test fence: power switch unreachable"
exit 1
EOF
chmod 755 "$PG_DIR/fence.sh"
: > "$PG_DIR/hooks.log"
[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/hooks.log"
fencing_conf() {
	echo "fencing:
  required: $1
hooks:
  fence: {exec: ['$PG_DIR/fence.sh'], timeout: 3s}"
}
export PG_CONF
PG_CONF=$(fencing_conf true)

pg_cluster_up 120
up=$?
PG_TOTAL=12
pg_plan $PG_TOTAL
p=$PG_PRIMARY
pg_ok $up "bootstrap with fencing.required: true and a fence hook that always fails: m${p:-?} primary"
[ $up = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "cluster did not come up"; exit 1; }
pg_sampler_start

# ---- A: L8, the operator confirms a fence that keeps failing -------------------------
pg_kill9_member "$p"
blocked_ok() {
	pg_cluster_any failover_blocked.waiting_for |
		grep -q "fence exec hook failed with code 1 (fencing.required: promotion blocked)"
}
pg_wait_cond 60 blocked_ok
rc=$?
why=$(pg_cluster_any failover_blocked.waiting_for)
z=$(pg_cluster_any primary.name)
z=${z#m}
epoch=$(pg_cluster_any primary.epoch)
pending=$(pg_cluster_any fence_pending)
[ $rc = 0 ] && [ "$(pg_cluster_any primary.promoted)" = false ] && [ "$pending" = "[\"m$p\"]" ] &&
	[ -n "$z" ] && [ "$z" != "$p" ] || rc=1
pg_ctl_cmd list > "$PG_DIR/ctl_list.out" 2>&1
grep -q "^ Failover blocked: fence exec hook failed with code 1 (fencing.required: promotion blocked) (fence pending: m$p)$" "$PG_DIR/ctl_list.out" || rc=1
pg_ok $rc "L8: the required fence fails, the record says why: failover_blocked '$why', m${z:-?} named in epoch ${epoch:-?} not promoted, fence_pending $pending; pgquorumctl list: '$(grep "Failover blocked" "$PG_DIR/ctl_list.out")'"
[ $rc = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "the promotion was not blocked"; exit 1; }
s=$(pg_others "$p" | tr ' ' '\n' | grep -vx "$z")

# Refusals: nothing waits for these; each must leave the record as it is.
c400=$(pg_post "$z" /fence/confirm '{}')
c400b=$(pg_post "$s" /fence/confirm '{"member": "m1", "extra": 1}')
c404=$(pg_post "$s" /fence/confirm '{"member": "nosuch"}')
c412=$(pg_post "$s" /fence/confirm "{\"member\": \"m$s\"}")
b412=$(cat "$PG_DIR/last_post.json")
pg_ctl_cmd fence-confirm "m$z" --force > "$PG_DIR/ctl_self.out" 2>&1
rc_self=$?
pg_ctl_cmd fence-confirm "m$p" < /dev/null > "$PG_DIR/ctl_notty.out" 2>&1
rc_notty=$?
pg_log "refusals: {} $c400, extra field $c400b, nosuch $c404, m$s $c412 ($b412); ctl m$z rc $rc_self: $(tr '\n' ' ' < "$PG_DIR/ctl_self.out" | tail -c 200)"
[ "$c400" = 400 ] && [ "$c400b" = 400 ] && [ "$c404" = 404 ] && [ "$c412" = 412 ] &&
	echo "$b412" | grep -q "does not await fencing" &&
	[ $rc_self = 1 ] && grep -q "m$z is the member being promoted" "$PG_DIR/ctl_self.out" &&
	[ $rc_notty = 1 ] && grep -q "standard input is not a terminal" "$PG_DIR/ctl_notty.out"
pg_ok $? "L8/S4: confirmations nobody waits for are refused: POST /fence/confirm 400 (bad body), 404 (no member), 412 (m$s not awaited); fence-confirm m$z (being promoted) exits 1; without a terminal or --force it refuses"
w=$(pg_writable_members)
[ -z "$w" ] && [ "$(pg_cluster_any fence_pending)" = "[\"m$p\"]" ] && blocked_ok &&
	[ "$(pg_cluster_any primary.promoted)" = false ] && [ "$(pg_cluster_any primary.epoch)" = "$epoch" ]
pg_ok $? "after the refusals still blocked: no member writable (${w:-none}), fence_pending $(pg_cluster_any fence_pending), epoch $(pg_cluster_any primary.epoch)"

t0=$(pg_now_ms)
pg_ctl_cmd fence-confirm "m$p" --force > "$PG_DIR/ctl_confirm.out" 2>&1
rc=$?
pg_log "fence-confirm m$p: rc $rc: $(tr '\n' ' ' < "$PG_DIR/ctl_confirm.out")"
[ $rc = 0 ] && grep -q "fence of m$p confirmed by the operator for epoch $epoch" "$PG_DIR/ctl_confirm.out"
pg_ok $? "L8: pgquorumctl fence-confirm m$p --force recorded it (exit $rc)"
n=$(pg_wait_primary 60 "$z" "$s")
rc=$?
[ $rc = 0 ] && [ "$n" = "$z" ] && pg_sql "$n" "create table fence_confirmed(x int); insert into fence_confirmed values (1)" >/dev/null &&
	[ "$(pg_sql "$n" "select count(*) from fence_confirmed")" = 1 ]
pg_ok $? "L8: m${n:-?} promoted $(pg_secs $(($(pg_now_ms) - t0))) s after the confirmation and accepts writes"
not_blocked() { [ -z "$(pg_cluster_field "$z" failover_blocked.waiting_for)" ]; }
pg_wait_cond 15 not_blocked
rc=$?
hist=$(pg_get "$z" /cluster | perl -MJSON::PP -e '
	my $c = JSON::PP->new->decode(do { local $/; <STDIN> });
	for my $h (@{ $c->{history} || [] }) { print "$h->{new_primary} $h->{fence_confirmed}\n" if $h->{epoch} == $ARGV[0] }' "$epoch")
[ $rc = 0 ] && [ "$hist" = "m$z m$p" ] &&
	grep -q "L8: the operator confirmed that m$p is fenced (fence_confirm for epoch $epoch): promoting without a successful fence hook" "$PG_DIR/m$z.log" &&
	[ "$(pg_cluster_field "$z" fence_pending)" = "[]" ] || rc=1
pg_ctl_cmd list > "$PG_DIR/ctl_list2.out" 2>&1
! grep -q "Failover blocked" "$PG_DIR/ctl_list2.out" || rc=1
pg_ok $rc "L8: logged on m$z, history of epoch $epoch: '$hist' (new primary, fence_confirmed), failover_blocked cleared (not in pgquorumctl list), fence_pending empty"
c=$(pg_post "$s" /fence/confirm "{\"member\": \"m$p\"}")
[ "$c" = 412 ] && grep -q "no promotion is pending" "$PG_DIR/last_post.json"
pg_ok $? "S4: a second confirmation once promoted is refused: HTTP $c $(cat "$PG_DIR/last_post.json")"

# ---- B: fencing.required: false ----------------------------------------------------
PG_CONF=$(fencing_conf false)
pg_write_config "$p"
pg_write_config "$s"
# The old primary rejoins first: while m$s restarts, m$z and m$p keep a Raft
# majority. Restarting m$s while m$p is still down left m$z alone, unable to
# renew, so it fenced itself after a ttl (S1/S5: right, but not this test).
pg_start "$p"
pg_wait_streaming 120 "$z" "$p"
pg_stop_agent "$s"
pg_start "$s"
pg_wait_streaming 120 "$z" "$p" "$s"
rc=$?
pg_ok $rc "m$p (old primary) and m$s restarted with fencing.required: false and stream from m$z"
[ $rc = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "members did not rejoin"; exit 1; }
nf0=$(grep -c "old=m$z .*rc=1" "$PG_DIR/hooks.log")
pg_kill9_member "$z"
n2=$(pg_wait_primary 60 "$p" "$s")
rc=$?
nf1=$(grep -c "old=m$z .*rc=1" "$PG_DIR/hooks.log")
[ $rc = 0 ] && [ "$nf1" -gt "$nf0" ] &&
	grep -q "fence exec hook failed with code 1 (fencing not required): promoting anyway" "$PG_DIR/m$n2.log"
pg_ok $? "S6: fencing.required: false: the fence of m$z failed ($((nf1 - nf0)) attempts), m${n2:-?} promoted anyway and logged it ($(grep -o 'fence exec hook failed.*promoting anyway' "$PG_DIR/m${n2:-0}.log" 2>/dev/null | head -1))"
[ -z "$(pg_cluster_field "${n2:-1}" failover_blocked.waiting_for)" ]
pg_ok $? "nothing blocked: failover_blocked empty"

read -r samples violations <<< "$(pg_sampler_stop)"
[ "$samples" -ge 20 ] && [ "$violations" = 0 ]
pg_ok $? "sampler: $samples samples, $violations with two writable members"
[ "$violations" = 0 ] || sed 's/^/# /' "$PG_DIR/violations"

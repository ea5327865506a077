#!/bin/bash
# pg_nofailover.sh — scenario 6a: the nofailover tag is respected (R4).
# m3 has nofailover: true and failover_priority: 10, so on an idle cluster
# (equal LSNs) the priority would make it the first choice; the tag must
# keep it out. When the bootstrap named m3 itself, it is first killed and
# restarted (it rejoins as a standby) so that the test starts from a primary
# among m1, m2. Then the primary is killed (agent + postmaster): the other
# untagged member must be promoted, m3 must never be writable (sampler) and
# must follow it. Finally a reload (SIGHUP) that adds a custom tag to m3's
# configuration reaches the record.
PG_SLOT=5
. "$(dirname "$0")/pg_lib.sh"

PG_TAGS_3=$'nofailover: true\nfailover_priority: 10'
pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 9
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest 7 "cluster did not come up"; exit 1; }

if [ "$p" = 3 ]; then
	pg_log "the bootstrap named the nofailover member m3: fail it over first"
	pg_kill9_member 3
	p=$(pg_wait_primary 60 1 2) && pg_start 3 && pg_wait_streaming 90 "$p" 3
	ok=$?
else
	ok=0
fi
# A failover right after the bootstrap (m3 named) used to stall when the
# standbys were still cloning: pg_basebackup's WAL stream passed for a
# streaming standby under the member's name (fixed: it has its own name).
pg_ok $ok "starting point: m${p:-?} (untagged) primary, m3 (nofailover) streams"
if [ $ok != 0 ]; then
	for k in 1 2 3 4 5 6 7; do
		PG_TESTNO=$((PG_TESTNO + 1))
		echo "ok $PG_TESTNO - not reached # SKIP no starting point (check 2 failed)"
	done
	exit "${PG_FAILED:-0}"
fi
q=$((3 - p)) # the other untagged member (p, q are 1 and 2)
tag=$(pg_cluster_field "$p" 'members[name=m3].tags.nofailover')
prio=$(pg_cluster_field "$p" 'members[name=m3].tags.failover_priority')
[ "$tag" = true ] && [ "$prio" = 10 ]
pg_ok $? "the record carries m3's tags from its configuration (nofailover=$tag, failover_priority=$prio)"

# Issue 7: a switchover the record refuses (R4: nofailover) is 412 with the reason; nothing changes.
code=$(pg_post "$q" /switchover "{\"leader\":\"m$p\",\"candidate\":\"m3\"}")
why=$(pg_json error < "$PG_DIR/last_post.json")
[ "$code" = 412 ] && echo "$why" | grep -q nofailover &&
	[ "$(pg_cluster_field "$p" primary.name)" = "m$p" ] && pg_is_writable "$p"
pg_ok $? "POST /switchover to the nofailover m3: 412 ($code: $why), m$p stays primary"

pg_sampler_start
pg_sql "$p" "create table t(id int); insert into t values (1)" >/dev/null
lsn=$(pg_sql "$p" "select pg_current_wal_lsn()")
pg_wait_sql 20 3 "select pg_last_wal_receive_lsn() >= '$lsn'::pg_lsn" t
pg_wait_sql 20 "$q" "select pg_last_wal_receive_lsn() >= '$lsn'::pg_lsn" t
pg_kill9_member "$p"

new=$(pg_wait_primary 60 "$q" 3)
[ "$new" = "$q" ]
pg_ok $? "after kill -9 of m$p, m$q is promoted, not the nofailover member m3 (got m${new:-none})"

pg_wait_streaming 60 "$q" 3
pg_ok $? "m3 follows m$q"

[ "$(pg_cluster_field "$q" primary.name)" = "m$q" ]
pg_ok $? "the record names m$q primary"

read -r samples violations <<< "$(pg_sampler_stop)"
never3=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "3") c++ } END { print c + 0 }' "$PG_DIR/samples")
[ "$samples" -ge 20 ] && [ "$violations" = 0 ] && [ "$never3" = 0 ]
pg_ok $? "sampler: $samples samples, $violations with two writable members, $never3 with m3 writable"

# A reload that changes tags reaches the record too (SIGHUP, member_update).
PG_TAGS_3=$'nofailover: true\nfailover_priority: 10\nzone: reloaded'
pg_write_config 3
kill -HUP "${PG_PIDS[3]}"
zone_reloaded() { [ "$(pg_cluster_field "$q" 'members[name=m3].tags.custom.zone')" = reloaded ]; }
pg_wait_cond 20 zone_reloaded
pg_ok $? "after a reload of m3's configuration the record carries its new custom tag (zone=$(pg_cluster_field "$q" 'members[name=m3].tags.custom.zone'))"

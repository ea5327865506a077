#!/bin/bash
# pg_cluster.sh — scenario 1, the richer variant: 3 agents bootstrap 3
# PostgreSQL 15 servers. Exactly one is writable (S15: one initdb, chosen
# through Raft); the two others are streaming standbys with their member
# name as application_name (S10) and a physical slot each; all three share
# one database system identifier, which the record also holds; the record
# names the writable member primary of epoch 1; a row written on the
# primary is read on both standbys; pgquorumctl list shows the members.
PG_SLOT=0
. "$(dirname "$0")/pg_lib.sh"

pg_setup 3
pg_cluster_up 120
up=$?
pg_plan 9
p=$PG_PRIMARY
pg_ok $up "bootstrap: one writable primary (m${p:-?}), every other member streams from it"
[ $up = 0 ] || { pg_fail_rest 7 "cluster did not come up"; exit 1; }
read -r s1 s2 <<< "$(pg_others "$p")"

w=$(pg_writable_members)
[ "$w" = "$p" ]
pg_ok $? "exactly one member is writable (writable: $w)"

apps_sql="select string_agg(application_name, ',' order by application_name) from pg_stat_replication where state = 'streaming'"
pg_wait_sql 20 "$p" "$apps_sql" "m$s1,m$s2"
rc=$?
apps=$(pg_sql "$p" "$apps_sql")
[ $rc = 0 ]
pg_ok $? "pg_stat_replication on m$p lists the standbys by member name (S10): $apps"

# L6: each standby's own slot (named after the member) is the one in use —
# not a pg_basebackup's temporary slot.
slots_sql="select count(*) from pg_replication_slots where slot_type = 'physical' and active and slot_name in ('m$s1', 'm$s2')"
two_slots() { [ "$(pg_sql "$p" "$slots_sql")" = 2 ]; }
pg_wait_cond 20 two_slots
slots=$(pg_sql "$p" "$slots_sql")
list=$(pg_sql "$p" "select string_agg(slot_name || ':' || active, ' ' order by slot_name) from pg_replication_slots")
[ "${slots:-0}" = 2 ]
pg_ok $? "the standbys stream through their own physical slots m$s1, m$s2 on the primary (L6): $slots active ($list)"

ids=""
for i in 1 2 3; do ids="$ids $(pg_sql_wait 20 "$i" "select system_identifier from pg_control_system()")"; done
read -r a b c <<< "$ids"
rec_sysid=$(pg_cluster_field "$p" system_id)
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ] && [ "$rec_sysid" = "$a" ]
pg_ok $? "one database system identifier on all members and in the record (${ids# } / record $rec_sysid)"

rec_name=$(pg_cluster_field "$s1" primary.name)
rec_epoch=$(pg_cluster_field "$s1" primary.epoch)
rec_promoted=$(pg_cluster_field "$s1" primary.promoted)
[ "$rec_name" = "m$p" ] && [ "$rec_epoch" = 1 ] && [ "$rec_promoted" = true ]
pg_ok $? "the record (read on m$s1) names m$p primary, epoch 1, promoted ($rec_name, $rec_epoch, $rec_promoted)"

pg_sql "$p" "create table t(id int primary key, note text); insert into t values (1, 'replicated')" >/dev/null
pg_wait_sql 20 "$s1" "select note from t where id = 1" replicated &&
	pg_wait_sql 20 "$s2" "select note from t where id = 1" replicated
pg_ok $? "a row written on m$p is read on m$s1 and m$s2"

out=$(pg_ctl_cmd list 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && echo "$out" | grep -q m1 && echo "$out" | grep -q m2 && echo "$out" | grep -q m3
pg_ok $? "pgquorumctl list exits 0 and lists m1, m2, m3"

# Issue 7: GET /cluster carries Patroni's fields (pause; per member role,
# host, port, state, timeline; lsn and lag on standbys), members by name.
patroni_fields() {
	[ "$(pg_cluster_field "$s1" pause)" = false ] &&
		[ "$(pg_cluster_field "$s1" "members[name=m$p].role")" = leader ] &&
		[ "$(pg_cluster_field "$s1" "members[name=m$s1].role")" = replica ] &&
		[ "$(pg_cluster_field "$s1" "members[name=m$s2].host")" = 127.0.0.1 ] &&
		[ "$(pg_cluster_field "$s1" "members[name=m$s2].port")" = "$(pg_pg_port "$s2")" ] &&
		[ "$(pg_cluster_field "$s1" "members[name=m$p].timeline")" = 1 ] &&
		[[ "$(pg_cluster_field "$s1" "members[name=m$s1].lsn")" =~ ^[0-9A-F]+/[0-9A-F]+$ ]] &&
		[[ "$(pg_cluster_field "$s1" "members[name=m$s2].replay_lag")" =~ ^[0-9]+$ ]] &&
		[ "$(pg_get "$s1" /cluster | perl -MJSON::PP -e 'print join(",", map { $_->{name} } @{decode_json(join("", <STDIN>))->{members}})')" = m1,m2,m3 ]
}
pg_wait_cond 20 patroni_fields
pg_ok $? "GET /cluster has Patroni's fields: m$p role $(pg_cluster_field "$s1" "members[name=m$p].role"), m$s2 at $(pg_cluster_field "$s1" "members[name=m$s2].host"):$(pg_cluster_field "$s1" "members[name=m$s2].port"), m$s1 lsn $(pg_cluster_field "$s1" "members[name=m$s1].lsn") lag $(pg_cluster_field "$s1" "members[name=m$s1].lag"), pause $(pg_cluster_field "$s1" pause)"

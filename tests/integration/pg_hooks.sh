#!/bin/bash
# pg_hooks.sh — issue 6: hooks, the watchdog device and systemd
# notifications, end to end with real agents and real PostgreSQL 15.
#
# Every member runs, for every event, the recording exec hook
# (contrib/hooks/record-hook.sh: event, arguments, every PGQ_* variable,
# one file per member) AND the example C plugin (contrib/hooks/
# example_plugin.so, built by make: one line per event, one file per
# member). Every member has `watchdog.mode: required` on a fake device (a
# regular file: each pet is a byte 'k', the magic close a 'V') and runs
# under a fake NOTIFY_SOCKET (a perl datagram listener) with
# WATCHDOG_USEC set. The cluster then goes through bootstrap, a
# switchover, a failover (kill -9 of the primary's agent and PostgreSQL)
# and the old primary's rejoin; the checks read the files (S19 order and
# variables, S5 watchdog), never sleep alone, and every wait is bounded.
PG_SLOT=6
. "$(dirname "$0")/pg_lib.sh"

PG_HOOK_SRC=$(cd "$(dirname "$0")/../.." && pwd)
PG_REC="$PG_HOOK_SRC/contrib/hooks/record-hook.sh"
PG_PLUGIN="${top_builddir:-$(pwd)}/contrib/hooks/example_plugin.so"
EVENTS="on_start on_stop on_restart on_reload on_role_change pre_promote post_promote fence unfence on_demote"

[ -x "$PG_REC" ] || pg_skip "record-hook.sh not found at $PG_REC"
[ -f "$PG_PLUGIN" ] || pg_skip "example plugin not built ($PG_PLUGIN): run make"
perl -MIO::Socket::UNIX -e 1 2>/dev/null || pg_skip "perl IO::Socket::UNIX not available"

pg_setup 3
# The agents run as the postgres user, which may not reach the checkout (a
# clone under /root): they run a copy of the hook from the test directory.
cp "$PG_REC" "$PG_DIR/record-hook.sh" && chmod 755 "$PG_DIR/record-hook.sh" &&
	{ [ "${#PG_AS[@]}" -eq 0 ] || chown postgres: "$PG_DIR/record-hook.sh"; } ||
	pg_skip "cannot copy record-hook.sh into $PG_DIR"
PG_REC="$PG_DIR/record-hook.sh"

# ---- per-member configuration ------------------------------------------------
for i in 1 2 3; do
	conf="hooks:"
	for e in $EVENTS; do
		conf="$conf
  $e: {exec: ['$PG_REC', '$PG_DIR/ev.m$i', 'm$i'], plugin: '$PG_PLUGIN', timeout: 10s}"
	done
	printf -v "PG_CONF_$i" '%s' "$conf"
	printf -v "PG_WATCHDOG_$i" '%s' "mode: required
device: $PG_DIR/wd.m$i
safety_margin: 2s"
	: > "$PG_DIR/wd.m$i"
	: > "$PG_DIR/ev.m$i"
	: > "$PG_DIR/plugin.m$i"
	: > "$PG_DIR/notify.m$i"
	[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/wd.m$i" "$PG_DIR/ev.m$i" "$PG_DIR/plugin.m$i"
	printf -v "PG_ENV_$i" '%s' "NOTIFY_SOCKET=$PG_DIR/notify.m$i.sock WATCHDOG_USEC=1000000 PGQ_EXAMPLE_PLUGIN_OUT=$PG_DIR/plugin.m$i"
	export "PG_CONF_$i" "PG_WATCHDOG_$i" "PG_ENV_$i"
done

# A fake systemd: one datagram socket per member; each message is one line
# "<ms since epoch> <fields joined by |>".
pg_notify_listener() {
	perl -MIO::Socket::UNIX -MSocket -MTime::HiRes=time -e '
		my ($path, $out) = @ARGV;
		unlink $path;
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "bind $path: $!";
		chmod 0666, $path;
		$SIG{TERM} = sub { unlink $path; exit 0 };
		open(my $fh, ">>", $out) or die;
		$fh->autoflush(1);
		while (1) {
			my $buf;
			defined($s->recv($buf, 4096)) or next;
			$buf =~ s/\n/|/g;
			printf $fh "%d %s\n", time * 1000, $buf;
		}
	' "$1" "$2" &
	PG_EXTRA_PIDS+=($!)
}
for i in 1 2 3; do
	pg_notify_listener "$PG_DIR/notify.m$i.sock" "$PG_DIR/notify.m$i"
done
for i in 1 2 3; do
	pg_wait_cond 5 test -S "$PG_DIR/notify.m$i.sock" || pg_log "notify socket m$i not ready"
done

# ---- a plugin built for another ABI version is refused at start -------------
# (own Raft and data directories: nothing of it survives into the cluster)
PG_WRONG_ABI="${top_builddir:-$(pwd)}/contrib/hooks/wrong_abi_plugin.so"
abi_rc=skip
if [ -f "$PG_WRONG_ABI" ]; then
	saved=$PG_CONF_1
	PG_CONF_1="hooks:
  on_start: {plugin: '$PG_WRONG_ABI'}"
	pg_write_config 1
	PG_CONF_1=$saved
	mkdir -p "$PG_DIR/abi"
	[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/abi"
	sed "s#$PG_DIR/m1/#$PG_DIR/abi/#" "$PG_DIR/m1.yml" > "$PG_DIR/abi.yml"
	(cd "$PG_DIR/abi" && timeout 60 "${PG_AS[@]}" "$PG_AGENT_BIN" -c "$PG_DIR/abi.yml" > "$PG_DIR/abi.log" 2>&1)
	abi_rc=$?
fi

pg_cluster_up 120
up=$?
PG_TOTAL=26
pg_plan $PG_TOTAL
p=$PG_PRIMARY
pg_ok $up "bootstrap: m${p:-?} primary, the others stream"
[ $up = 0 ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "cluster did not come up"; exit 1; }

if [ "$abi_rc" = skip ]; then
	echo "ok $((PG_TESTNO += 1)) - # SKIP wrong_abi_plugin.so not built (make check builds it)"
else
	[ "$abi_rc" != 0 ] && [ "$abi_rc" != 124 ] &&
		grep -q "plugin \"$PG_WRONG_ABI\" was built for plugin ABI version 42, but this agent speaks version 1" "$PG_DIR/abi.log"
	pg_ok $? "agent refuses a plugin built for ABI 42 at start (exit $abi_rc): $(grep -o 'was built for plugin ABI version [0-9]*, but this agent speaks version [0-9]*' "$PG_DIR/abi.log" | head -1)"
fi

# ---- helpers reading the recordings ------------------------------------------

# ev_list I: the events recorded on mI, one per line, in order.
ev_list() { sed -n 's/^event=//p' "$PG_DIR/ev.m$1"; }
# ev_nth_var I EVENT N VAR: VAR of the Nth (1-based; -1 last) EVENT on mI.
ev_var() {
	perl -e '
		my ($file, $want, $n, $var) = @ARGV;
		open(my $fh, "<", $file) or exit 1;
		my (@recs, %cur, $in);
		while (<$fh>) {
			chomp;
			if (/^event=(.*)$/) { %cur = (event => $1); $in = 1; next; }
			if ($_ eq "end") { push @recs, {%cur} if $in; $in = 0; next; }
			$cur{$1} = $2 if /^(PGQ_\w+)=(.*)$/;
		}
		my @m = grep { $_->{event} eq $want } @recs;
		my $r = $n < 0 ? $m[$n] : $m[$n - 1];
		exit 1 unless $r && exists $r->{$var};
		print $r->{$var}, "\n";
	' "$PG_DIR/ev.m$1" "$2" "$3" "$4"
}
ev_count() { ev_list "$1" | grep -cx "$2"; }
# ev_before I A B: the first A on mI comes before the first B after it... (A then B)
ev_order() {
	local i=$1
	shift
	ev_list "$i" | perl -e '
		my @want = @ARGV; my $k = 0;
		while (my $l = <STDIN>) { chomp $l; $k++ if $k < @want && $l eq $want[$k]; }
		exit($k == @want ? 0 : 1);
	' "$@"
}
wait_event() { # wait_event TIMEOUT I EVENT [COUNT]
	local t=$1 i=$2 e=$3 n=${4:-1}
	pg_wait_cond "$t" eval "[ \"\$(ev_count $i $e)\" -ge $n ]"
}
show_events() { pg_log "m$1 events: $(ev_list "$1" | tr '\n' ' ')"; }

ev_since() { ev_list "$1" | tail -n +"$(($2 + 1))"; } # ev_since I N: events after the first N
ev_order_since() { # ev_order_since I N EVENT...: those events in this order after the first N
	local i=$1 n=$2
	shift 2
	ev_since "$i" "$n" | perl -e '
		my @want = @ARGV; my $k = 0;
		while (my $l = <STDIN>) { chomp $l; $k++ if $k < @want && $l eq $want[$k]; }
		exit($k == @want ? 0 : 1);
	' "$@"
}
ev_n() { ev_list "$1" | wc -l; }
# ev_var_last I EVENT VAR
ev_last() { ev_var "$1" "$2" -1 "$3"; }
wd_pets() { tr -cd k < "$PG_DIR/wd.m$1" | wc -c; }
wd_last() { tail -c 1 "$PG_DIR/wd.m$1"; }
notify_has() { grep -q -- "$2" "$PG_DIR/notify.m$1"; }
raft_port() { pg_raft_port "$1"; }
epoch_now() { pg_cluster_field "$1" primary.epoch; }
tl_now() { pg_cluster_field "$1" timeline; }
others=$(pg_others "$p")

# ---- bootstrap (S19 order and variables) -------------------------------------
wait_event 20 "$p" post_promote
ok=$?
wait_event 10 "$p" on_role_change 1
pg_wait_cond 10 eval '[ "$(ev_last '"$p"' on_role_change PGQ_ROLE)" = primary ]'
ev_order "$p" pre_promote post_promote && [ $ok = 0 ] &&
	[ "$(ev_last "$p" on_role_change PGQ_ROLE)" = primary ] &&
	[ "$(ev_last "$p" on_role_change PGQ_OLD_ROLE)" != primary ] &&
	[ -n "$(ev_last "$p" on_role_change PGQ_OLD_ROLE)" ]
pg_ok $? "bootstrap primary m$p: pre_promote -> post_promote, then on_role_change to primary (from $(ev_last "$p" on_role_change PGQ_OLD_ROLE))"
show_events "$p"

e=$(epoch_now "$p")
tl=$(tl_now "$p")
[ "$(ev_last "$p" post_promote PGQ_CLUSTER)" = pgit ] && [ "$(ev_last "$p" post_promote PGQ_MEMBER)" = "m$p" ] &&
	[ "$(ev_last "$p" post_promote PGQ_ROLE)" = primary ] && [ "$(ev_last "$p" post_promote PGQ_EPOCH)" = "$e" ] &&
	[ "$(ev_last "$p" post_promote PGQ_PRIMARY)" = "m$p" ] && [ "$(ev_last "$p" post_promote PGQ_PRIMARY_HOST)" = 127.0.0.1 ] &&
	[ "$(ev_last "$p" post_promote PGQ_PRIMARY_PORT)" = "$(pg_pg_port "$p")" ] &&
	[ "$(ev_last "$p" post_promote PGQ_TIMELINE)" = "$tl" ] && [ "$(ev_last "$p" pre_promote PGQ_EPOCH)" = "$e" ]
pg_ok $? "post_promote variables: cluster, member, role primary, epoch $e, primary m$p at 127.0.0.1:$(pg_pg_port "$p"), timeline $tl"

ok=0
for s in $others; do
	wait_event 20 "$s" on_start || ok=1
	pg_wait_cond 20 eval '[ "$(ev_last '"$s"' on_role_change PGQ_ROLE)" = replica ]' || ok=1
	[ "$(ev_last "$s" on_start PGQ_ROLE)" = replica ] || ok=1
	[ "$(ev_count "$s" pre_promote)" = 0 ] && [ "$(ev_count "$s" fence)" = 0 ] || ok=1
	show_events "$s"
done
pg_ok $ok "standbys: on_start (role replica), on_role_change to replica; no pre_promote, no fence"

# The C plugin (contrib/hooks/example_plugin.so) ran in the agent for the same events.
plugin_events() { sed -n 's/^event=\([a-z_]*\) .*/\1/p' "$PG_DIR/plugin.m$1" | sort -u | tr '\n' ' '; }
exec_events() { ev_list "$1" | sort -u | tr '\n' ' '; }
pg_wait_cond 10 eval '[ "$(plugin_events '"$p"')" = "$(exec_events '"$p"')" ]'
grep -q "^event=post_promote kind=6 abi=1 cluster=pgit member=m$p role=primary .* epoch=$e primary=m$p primary_host=127.0.0.1 primary_port=$(pg_pg_port "$p") " "$PG_DIR/plugin.m$p" &&
	grep -q "plugin loaded name=example" "$PG_DIR/m$p.log"
pg_ok $? "C plugin loaded by the agent and called for the same events ($(plugin_events "$p")) with the same facts"

# ---- watchdog (S5) and systemd on the primary --------------------------------
n0=$(wd_pets "$p")
t0=$(pg_now_ms)
pg_wait_cond 15 eval '[ $(( $(wd_pets '"$p"') - n0 )) -ge 4 ]'
rc=$?
n1=$(wd_pets "$p")
el=$(($(pg_now_ms) - t0))
pg_log "watchdog m$p: $((n1 - n0)) pets in $(pg_secs $el) s (one per committed renewal, loop_wait 1 s)"
[ $rc = 0 ] && ! grep -q V "$PG_DIR/wd.m$p" && grep -q "watchdog: armed" "$PG_DIR/m$p.log"
pg_ok $? "watchdog armed on the primary and petted ($((n1 - n0)) pets in $(pg_secs $el) s), no magic close"
ok=0
for s in $others; do [ "$(wd_pets "$s")" = 0 ] || ok=1; done
pg_ok $ok "watchdog never petted on the standbys"

pg_wait_cond 10 notify_has "$p" "STATUS=role=primary primary=m$p"
rc=$?
first_ready=$(grep -m1 "READY=1" "$PG_DIR/notify.m$p")
wd_n=$(grep -c "WATCHDOG=1" "$PG_DIR/notify.m$p")
# READY=1 once joined: the record names a primary; never while probing for peers.
[ $rc = 0 ] && [ "$(grep -c "READY=1" "$PG_DIR/notify.m$p")" = 1 ] &&
	echo "$first_ready" | grep -q "READY=1|STATUS=role=[a-z]* primary=m[0-9]" &&
	grep -q "STATUS=role=probing primary=none" "$PG_DIR/notify.m$p" && [ "$wd_n" -ge 3 ]
pg_ok $? "systemd: READY=1 only once joined with a known role ('${first_ready#* }'), STATUS= lines, $wd_n WATCHDOG=1 (WATCHDOG_USEC 1 s)"

# ---- switchover m$p -> m$s ----------------------------------------------------
s=${others%% *}
np=$(ev_n "$p")
ns=$(ev_n "$s")
pg_switchover "$p" "$s"
rc=$?
new=$(pg_wait_primary 60 "$s")
pg_ok $? "switchover m$p -> m$s (request rc=$rc)"
pg_wait_cond 30 eval '[ "$(ev_last '"$p"' on_role_change PGQ_ROLE)" = replica ]'
ev_order_since "$p" "$np" on_stop on_demote on_start on_role_change &&
	[ "$(ev_last "$p" on_demote PGQ_REASON)" = switchover ] && [ -n "$(ev_last "$p" on_demote PGQ_LSN)" ] &&
	[ "$(ev_last "$p" on_demote PGQ_OLD_ROLE)" = primary ] && [ "$(ev_last "$p" on_stop PGQ_OLD_ROLE)" = primary ] &&
	[ "$(ev_last "$p" on_role_change PGQ_OLD_ROLE)" = primary ]
pg_ok $? "old primary m$p: on_stop -> on_demote (final LSN $(ev_last "$p" on_demote PGQ_LSN)) -> on_start -> on_role_change primary->replica: $(ev_since "$p" "$np" | tr '\n' ' ')"
pg_wait_cond 15 eval '[ "$(wd_last '"$p"')" = V ]'
pg_ok $? "watchdog of m$p disarmed with the magic 'V' after its demotion"

pg_wait_cond 20 eval '[ "$(ev_last '"$s"' on_role_change PGQ_ROLE)" = primary ]'
e2=$(epoch_now "$s")
tl2=$(tl_now "$s")
ev_order_since "$s" "$ns" pre_promote post_promote on_role_change &&
	! ev_since "$s" "$ns" | grep -qx fence &&
	[ "$(ev_last "$s" pre_promote PGQ_OLD_PRIMARY)" = "m$p" ] && [ "$(ev_last "$s" pre_promote PGQ_REASON)" = switchover ] &&
	[ "$(ev_last "$s" post_promote PGQ_EPOCH)" = "$e2" ] && [ "$(ev_last "$s" post_promote PGQ_TIMELINE)" = "$tl2" ] &&
	[ -n "$(ev_last "$s" post_promote PGQ_LSN)" ]
pg_ok $? "new primary m$s (epoch $e2, timeline $tl2): pre_promote (old primary m$p) -> post_promote (LSN $(ev_last "$s" post_promote PGQ_LSN)) -> on_role_change; no fence after a clean switchover"
pg_wait_cond 15 eval '[ "$(wd_pets '"$s"')" -ge 2 ]'
pg_ok $? "watchdog of m$s armed and petted after its promotion ($(wd_pets "$s") pets)"

# ---- failover: kill -9 of m$s (agent + PostgreSQL) ---------------------------
pg_wait_streaming 40 "$s" $(pg_others "$s")
declare -A nbefore
for i in $(pg_others "$s"); do nbefore[$i]=$(ev_n "$i"); done
pg_kill9_member "$s"
rest=$(pg_others "$s")
f=$(pg_wait_primary 60 $rest)
pg_ok $? "after kill -9 of m$s, m${f:-?} is primary"
[ -n "$f" ] || { pg_fail_rest $((PG_TOTAL - PG_TESTNO)) "no new primary"; exit 1; }
pg_wait_cond 20 eval '[ "$(ev_last '"$f"' on_role_change PGQ_ROLE)" = primary ]'
e3=$(epoch_now "$f")
ev_order_since "$f" "${nbefore[$f]}" fence pre_promote post_promote on_role_change
pg_ok $? "m$f: fence -> pre_promote -> post_promote -> on_role_change: $(ev_since "$f" "${nbefore[$f]}" | tr '\n' ' ')"
[ "$(ev_last "$f" fence PGQ_OLD_PRIMARY)" = "m$s" ] && [ "$(ev_last "$f" fence PGQ_OLD_PRIMARY_HOST)" = 127.0.0.1 ] &&
	[ "$(ev_last "$f" fence PGQ_OLD_PRIMARY_PORT)" = "$(pg_pg_port "$s")" ] &&
	[ "$(ev_last "$f" fence PGQ_OLD_PRIMARY_RAFT)" = "127.0.0.1:$(pg_raft_port "$s")" ] &&
	[ -n "$(ev_last "$f" fence PGQ_OLD_PRIMARY_API)" ] && [ "$(ev_last "$f" fence PGQ_EPOCH)" = "$e3" ] &&
	[ "$(ev_last "$f" fence PGQ_REASON)" = failover ]
pg_ok $? "fence names the old primary m$s: $(ev_last "$f" fence PGQ_OLD_PRIMARY_HOST):$(ev_last "$f" fence PGQ_OLD_PRIMARY_PORT), raft $(ev_last "$f" fence PGQ_OLD_PRIMARY_RAFT), api $(ev_last "$f" fence PGQ_OLD_PRIMARY_API), epoch $e3"
[ "$(ev_last "$f" post_promote PGQ_EPOCH)" = "$e3" ] && [ "$(ev_last "$f" post_promote PGQ_TIMELINE)" = "$(tl_now "$f")" ] &&
	[ "$(ev_last "$f" pre_promote PGQ_OLD_PRIMARY)" = "m$s" ] && [ -n "$(ev_last "$f" post_promote PGQ_LSN)" ]
pg_ok $? "post_promote after the failover: epoch $e3, timeline $(tl_now "$f"), LSN $(ev_last "$f" post_promote PGQ_LSN)"
ok=0
for i in $rest; do [ "$(ev_count "$i" unfence)" = 0 ] || ok=1; done
pg_ok $ok "no unfence while the fenced m$s is down (S19)"

# ---- rejoin of m$s: unfence (S19) ---------------------------------------------
pg_start "$s"
wait_event 90 "$f" unfence
rc=$?
inrec=$(pg_sql_wait 60 "$s" "select pg_is_in_recovery()")
[ $rc = 0 ] && [ "$(ev_last "$f" unfence PGQ_OLD_PRIMARY)" = "m$s" ] &&
	[ "$(ev_last "$f" unfence PGQ_OLD_PRIMARY_HOST)" = 127.0.0.1 ] && [ "$inrec" = t ] &&
	grep -q "unfence m$s: it reports" "$PG_DIR/m$f.log"
pg_ok $? "unfence on m$f once m$s rejoined ($(grep -o "unfence m$s: it reports.*" "$PG_DIR/m$f.log" | head -1))"

# ---- reload and stop ------------------------------------------------------------
nf=$(ev_n "$f")
kill -HUP "${PG_PIDS[$f]}"
pg_wait_cond 10 eval 'grep -A3 "RELOADING=1" "$PG_DIR/notify.m$f" | grep -q "READY=1"' &&
	pg_wait_cond 10 eval 'ev_since '"$f"' '"$nf"' | grep -qx on_reload'
pg_ok $? "SIGHUP: RELOADING=1, then READY=1 again; on_reload ran (reason $(ev_last "$f" on_reload PGQ_REASON))"

# The standbys lose their watchdog devices now (checked after this stop).
surv=$(pg_others "$f")
a=${surv%% *}
b=${surv##* }
rm -f "$PG_DIR/wd.m$a" "$PG_DIR/wd.m$b"
nf=$(ev_n "$f")
pg_stop_agent "$f"
rc=$?
wait_event 5 "$f" on_stop
[ $rc = 0 ] && ev_since "$f" "$nf" | grep -qx on_stop && [ "$(ev_last "$f" on_stop PGQ_OLD_ROLE)" = primary ] &&
	notify_has "$f" "STOPPING=1"
pg_ok $? "SIGTERM of the primary's agent: exit $rc, on_stop (old role $(ev_last "$f" on_stop PGQ_OLD_ROLE), reason $(ev_last "$f" on_stop PGQ_REASON)), STOPPING=1"
[ "$(wd_last "$f")" = V ]
pg_ok $? "watchdog of m$f magic-closed at the clean exit (PostgreSQL stopped first)"

# ---- watchdog.mode required with an unusable device: no promotion (S5, C16) --------
# m$f is gone (clean exit). The devices of both survivors are gone: each,
# when named, refuses (a veto) and nobody becomes writable; once the first
# survivor's device is back, it is promoted and the other still never is.
refused() { grep -q "refusing to become primary: watchdog.mode is required" "$PG_DIR/m$a.log" "$PG_DIR/m$b.log"; }
pg_wait_cond 120 refused
rc=$?
wr=""
t_end=$((SECONDS + 6))
while [ $SECONDS -lt $t_end ]; do
	w=$(pg_writable_members)
	[ -n "$w" ] && wr="$wr $w"
	sleep 0.5
done
vetoes=$(grep -h "proposes vetoed: watchdog.mode required but the watchdog device is unusable" "$PG_DIR/m$a.log" "$PG_DIR/m$b.log" | wc -l)
ve_a=$(pg_cluster_field "$a" "members[name=m$a].vetoed_epoch")
ve_b=$(pg_cluster_field "$a" "members[name=m$b].vetoed_epoch")
[ $rc = 0 ] && [ -z "$wr" ] && [ "$vetoes" -ge 1 ] && [ "${ve_a:-0}${ve_b:-0}" != 00 ]
pg_ok $? "both survivors refuse to become primary without their watchdog device ($vetoes vetoes proposed; record vetoed_epoch m$a=$ve_a m$b=$ve_b), nobody writable"
: > "$PG_DIR/wd.m$a"
[ "${#PG_AS[@]}" -gt 0 ] && chown postgres: "$PG_DIR/wd.m$a"
# shellcheck disable=SC2086
w=$(pg_wait_primary 120 $surv)
[ "$w" = "$a" ] && [ "$(wd_pets "$a")" -ge 1 ]
pg_ok $? "with its device back, m$a is promoted (m${w:-?}) and its watchdog armed and petted ($(wd_pets "$a") pets)"
! [ -e "$PG_DIR/wd.m$b" ] && [ "$(pg_in_recovery "$b")" != f ]
pg_ok $? "m$b (no device) never became writable"

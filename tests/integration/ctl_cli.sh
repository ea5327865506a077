#!/bin/bash
# ctl_cli.sh — the full pgquorumctl against real agents (postgresql.manage:
# false, HTTP basic authentication on): list/topology in every format,
# --watch, width fitting, dsn, version, show-config, history, members
# add/remove through a follower (redirect with credentials), refusal of
# destructive commands without a terminal, clear errors for endpoints the
# agent lacks, exit statuses 2 (usage) and 3 (unreachable), --help.
. "$(dirname "$0")/lib.sh"

CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
IT_AUTH=ctl:s3cret
it_setup 4
if [ ! -x "$CTL" ]; then
	echo "1..0 # SKIP pgquorumctl not found at $CTL"
	exit 0
fi
# Ports of our own, 12000-14999 (lib.sh uses 21000+, pg_lib.sh 15000-20999):
# every IT_SLOT is taken, so choose a free block instead.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for try in 0 1 2 3 4 5 6 7; do
	IT_BASE=$((12000 + ((($$ + try * 11) % 70) * 40)))
	busy=0
	for p in 1 2 3 4; do
		port_busy $((IT_BASE + p)) && busy=1
		port_busy $((IT_BASE + 20 + p)) && busy=1
	done
	[ $busy = 0 ] && break
done

it_plan 34
it_cluster_start 3
leader=$(it_wait_leader 20 1 2 3)
it_ok $? "3 agents elect a leader (n${leader:-?})"
follower=1
[ "$leader" = 1 ] && follower=2

export PGQUORUMCTL_URL="$(it_url 1),$(it_url 2),$(it_url 3)"
unset PGQUORUMCTL_USER PGQUORUMCTL_PASSWORD NO_COLOR COLUMNS
ctl() { "$CTL" "$@"; }
reported() { ctl list | grep -q "^n3 .* s ago"; }
it_wait_cond 15 reported

# ---- list and topology, every format
out=$(ctl list)
echo "$out" | sed -n 2p | grep -q "^Member  *Raft  *Host  *Role  *State  *TL  *Lag in MB  *Reported  *Tags$" &&
	[ "$(echo "$out" | grep -c '^n[123] ')" = 3 ] &&
	echo "$out" | grep -q "^n$leader  *leader  *127.0.0.1 " &&
	! echo "$out" | grep -q $'\033'
it_ok $? "list: patronictl-like columns, 3 members, the Raft leader marked, no colour off a terminal"

out=$(ctl list -f json)
[ "$(echo "$out" | grep -c '"Member": "n[123]"')" = 3 ] && echo "$out" | head -1 | grep -qx '\[' &&
	echo "$out" | grep -q '"Raft": "leader"' && echo "$out" | grep -q '"TL": null'
it_ok $? "list -f json: an array of 3 members with typed fields"

out=$(ctl list -f yaml)
[ "$(echo "$out" | grep -c '^- Cluster: it$')" = 3 ] && echo "$out" | grep -q '^  Member: n2$' &&
	echo "$out" | grep -q '^  Lag in MB: null$'
it_ok $? "list -f yaml: a sequence of 3 mappings"

ctl list -e | sed -n 2p | grep -q "Pending restart  *Scheduled restart$"
it_ok $? "list -e adds Pending restart and Scheduled restart"

start=$SECONDS
out=$(ctl list --watch 1 --count 2)
rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c '^Cluster: it')" = 2 ] && [ $((SECONDS - start)) -le 4 ]
it_ok $? "list --watch 1 --count 2 prints twice and stops"

out=$(COLUMNS=70 ctl list)
long=$(echo "$out" | awk 'length($0) > 70' | wc -l)
[ "$long" = 0 ] && echo "$out" | grep -q "~"
it_ok $? "COLUMNS=70: every line fits, long columns are cut with ~"

out=$(ctl topology)
[ "$(echo "$out" | grep -c '^n[123] ')" = 3 ]
it_ok $? "topology without a primary lists every member flat"

[ "$(ctl topology -f json | grep -c '"Member"')" = 3 ] && ctl topology -f yaml | grep -q '^- Cluster: it$'
it_ok $? "topology -f json / -f yaml"

# ---- dsn
hosts="127.0.0.1:5432,127.0.0.1:5432,127.0.0.1:5432"
[ "$(ctl dsn)" = "postgresql://$hosts/postgres?target_session_attrs=read-write" ] &&
	[ "$(ctl dsn --role replica --dbname app)" = "postgresql://$hosts/app?target_session_attrs=standby" ] &&
	[ "$(ctl dsn --role any -U 'a b')" = "postgresql://a%20b@$hosts/postgres?target_session_attrs=any" ]
it_ok $? "dsn --role primary|replica|any: libpq multi-host URIs"
ctl dsn -f json | grep -q "\"dsn\": \"postgresql://$hosts/postgres?target_session_attrs=read-write\"" &&
	ctl dsn -f yaml --role replica | grep -q "^role: replica$"
it_ok $? "dsn -f json / -f yaml"

# ---- version, show-config, history
out=$(ctl version)
echo "$out" | head -1 | grep -q "^pgquorumctl [0-9]" && [ "$(echo "$out" | grep -c '^n[123]: pgquorum ')" = 3 ]
it_ok $? "version: pgquorumctl's and one line per agent"
ctl version -f json | grep -q '"pgquorumctl": "[0-9]' && ctl version -f yaml | grep -q '^agents:'
it_ok $? "version -f json / -f yaml"
out=$(env -u PGQUORUMCTL_URL "$CTL" version)
[ $? = 0 ] && [ "$(echo "$out" | wc -l)" = 1 ]
it_ok $? "version without any agent address prints pgquorumctl's only"

ctl show-config | grep -q "^ttl: [0-9]" && ctl show-config -f json | grep -q '"loop_wait":'
it_ok $? "show-config: YAML by default, -f json"
ctl history >/dev/null && ctl history -f json | head -1 | grep -q '^\['
it_ok $? "history: table and json"

# ---- members add/remove through a follower: 307 to the leader, credentials kept
it_write_config 4 1 2 3 4
it_start 4
"$CTL" --url "$(it_url $follower)" members add n4 --raft "127.0.0.1:$(it_raft_port 4)" --api "$(it_url 4)" >/dev/null 2>&1
[ $? = 1 ]
it_ok $? "members add without credentials: refused (401), exit 1"
PGQUORUMCTL_PASSWORD=s3cret "$CTL" --url "$(it_url $follower)" --user ctl members add n4 \
	--raft "127.0.0.1:$(it_raft_port 4)" --api "$(it_url 4)" >/dev/null
it_ok $? "members add through a follower with --user + PGQUORUMCTL_PASSWORD"
has_n4() { ctl list | grep -q "^n4 "; }
it_wait_cond 10 has_n4
it_ok $? "list shows n4"

err=$(PGQUORUMCTL_USER=ctl:s3cret ctl members remove n4 </dev/null 2>&1 >/dev/null)
rc=$?
[ $rc = 1 ] && echo "$err" | grep -q "not a terminal" && has_n4
it_ok $? "members remove without a terminal and without --force: refused, exit 1, n4 kept"
PGQUORUMCTL_USER=ctl:s3cret ctl members remove n4 --force >/dev/null
it_ok $? "members remove --force"
gone_n4() { ! ctl list | grep -q "^n4 "; }
it_wait_cond 10 gone_n4
it_ok $? "n4 is gone from list"

# ---- destructive commands refuse without a terminal
err=$(ctl restart n1 </dev/null 2>&1 >/dev/null)
[ $? = 1 ] && echo "$err" | grep -q "refusing.*--force"
it_ok $? "restart without --force and without a terminal: refused, exit 1"
err=$(ctl edit-config --set ttl=40 </dev/null 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "^+ttl: 40" && echo "$err" | grep -q "refusing"
it_ok $? "edit-config --set shows the diff, then refuses without a terminal"
err=$(ctl switchover --force 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "no primary"
it_ok $? "switchover without a primary: clear error, exit 1"

clear_error() {
	# $1 rc, $2 stderr, $3 "METHOD PATH"
	[ "$1" = 0 ] && return 0
	[ "$1" = 1 ] || return 1
	if echo "$2" | grep -q "HTTP 40[45])"; then
		echo "$2" | grep -q "does not support $3 yet (HTTP 40[45])"
	else
		echo "$2" | grep -q "$3.*HTTP [0-9][0-9][0-9]"
	fi
}

# ---- on a terminal (script(1) gives a pty): colour, $EDITOR, the prompt
if command -v script >/dev/null 2>&1; then
	tty_run() { script -qec "$1" /dev/null; }
	out=$(tty_run "$CTL list" </dev/null)
	out_nc=$(NO_COLOR=1 tty_run "$CTL list" </dev/null)
	echo "$out" | grep -q $'\033\[1mMember' && ! echo "$out_nc" | grep -q $'\033'
	it_ok $? "colour on a terminal, none with NO_COLOR"
	printf '#!/bin/sh\nsed -i "s/^ttl: .*/ttl: 45/" "$1"\n' > "$IT_DIR/editor.sh"
	chmod +x "$IT_DIR/editor.sh"
	out=$(echo n | EDITOR="$IT_DIR/editor.sh" tty_run "$CTL edit-config" 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "^+ttl: 45" && echo "$out" | grep -q "Apply these changes? \[y/N\]" &&
		echo "$out" | grep -q "aborted"
	it_ok $? "edit-config runs \$EDITOR, shows the diff, asks, and stops on \"n\" (rc $rc)"
	out=$(echo y | PGQUORUMCTL_USER=ctl:s3cret EDITOR="$IT_DIR/editor.sh" tty_run "$CTL edit-config -q" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		echo "$out" | grep -q "Configuration changed" && ctl show-config | grep -q "^ttl: 45$"
	else
		clear_error $rc "$(echo "$out" | tr -d '\r')" "PATCH /config"
	fi
	it_ok $? "edit-config answered \"y\": PATCH /config applied, or a clear error (rc $rc)"
else
	it_ok 0 "# SKIP script(1) not installed"
	it_ok 0 "# SKIP script(1) not installed"
	it_ok 0 "# SKIP script(1) not installed"
fi

# ---- endpoints an agent may lack: a clear message naming method, path and status
err=$(PGQUORUMCTL_USER=ctl:s3cret ctl restart n1 --force 2>&1 >/dev/null); rc=$?
clear_error $rc "$err" "POST /restart"
it_ok $? "restart --force: done, or a clear error (rc $rc: ${err:0:80})"
err=$(PGQUORUMCTL_USER=ctl:s3cret ctl flush switchover 2>&1 >/dev/null); rc=$?
{ [ $rc = 1 ] && echo "$err" | grep -q "no switchover is scheduled"; } || clear_error $rc "$err" "DELETE /switchover"
it_ok $? "flush switchover: nothing scheduled, or a clear error (rc $rc)"

# ---- exit statuses
ctl --url http://127.0.0.1:1 list >/dev/null 2>&1; r1=$?
PGQUORUMCTL_URL=http://127.0.0.1:1 ctl switchover --force >/dev/null 2>&1; r2=$?
PGQUORUMCTL_URL=http://127.0.0.1:1 ctl dsn >/dev/null 2>&1; r3=$?
[ $r1 = 3 ] && [ $r2 = 3 ] && [ $r3 = 3 ]
it_ok $? "no agent answers: exit 3 ($r1 $r2 $r3)"

codes=""
for args in "frobnicate" "list extra" "list -f xml" "list --count 2" "switchover --scheduled tomorrow" \
	"switchover --scheduled 2001-01-01T00:00:00Z" "edit-config --set ttl" "restart" "failover" \
	"dsn --role master-ish" "reinit" "flush" "members add n9" "--timeout 0 list"; do
	# shellcheck disable=SC2086
	ctl $args </dev/null >/dev/null 2>&1
	codes="$codes $?"
done
[ "$(echo $codes | tr ' ' '\n' | sort -u)" = 2 ]
it_ok $? "usage errors exit 2 (got:$codes)"

out=$(env -u PGQUORUMCTL_URL "$CTL" --help)
echo "$out" | grep -q "Exit status: 0 ok, 1 failed" && echo "$out" | grep -q "edit-config"
it_ok $? "--help lists the commands and the exit statuses"
ok=0
for cmd in list topology switchover failover restart reload reinit pause resume show-config \
	edit-config history flush dsn members version; do
	env -u PGQUORUMCTL_URL "$CTL" "$cmd" --help | grep -q "^Usage: pgquorumctl $cmd" || ok=1
done
out=$(env -u PGQUORUMCTL_URL "$CTL" switchover --help)
echo "$out" | grep -q -- "--candidate" && echo "$out" | grep -q -- "--scheduled" &&
	echo "$out" | grep -q -- "--force" && [ $ok = 0 ]
it_ok $? "every command has --help (switchover's explains --candidate/--scheduled/--force)"

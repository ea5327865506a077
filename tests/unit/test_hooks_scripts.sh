#!/bin/sh
# test_hooks_scripts.sh — the example hooks of contrib/hooks/ do what they
# say, with fake `ip`, `arping` and `psql` commands that record their calls.
# TAP output.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
hooks=$srcdir/contrib/hooks
tmp=$(mktemp -d /tmp/pgq-hook-scripts-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..10"

# --- fake ip / arping: a state file holds the addresses on the device ---------
cat >"$tmp/ip" <<'FAKE'
#!/bin/sh
echo "ip $*" >>"$FAKE_LOG"
case "$*" in
"-o addr show dev eth9") while read -r a; do echo "2: eth9    inet $a scope global eth9"; done <"$FAKE_STATE" ;;
"addr add "*) echo "$3" >>"$FAKE_STATE" ;;
"addr del "*) grep -v "^$3\$" "$FAKE_STATE" >"$FAKE_STATE.new"; mv "$FAKE_STATE.new" "$FAKE_STATE" ;;
esac
FAKE
cat >"$tmp/arping" <<'FAKE'
#!/bin/sh
echo "arping $*" >>"$FAKE_LOG"
FAKE
chmod +x "$tmp/ip" "$tmp/arping"
: >"$tmp/state"
export FAKE_LOG="$tmp/log" FAKE_STATE="$tmp/state" IP="$tmp/ip" ARPING="$tmp/arping"

PGQ_ROLE=primary PGQ_MEMBER=node1 PGQ_EPOCH=3 "$hooks/vip-manager.sh" 10.9.9.9/24 eth9 >/dev/null
check "vip-manager: primary adds the address" 'grep -qx "10.9.9.9/24" "$tmp/state"'
check "vip-manager: primary sends gratuitous ARP" 'grep -q "^arping -q -U -c 3 -I eth9 10.9.9.9$" "$tmp/log"'
PGQ_ROLE=primary "$hooks/vip-manager.sh" 10.9.9.9/24 eth9 >/dev/null
check "vip-manager: idempotent (one add for two calls)" '[ "$(grep -c "addr add" "$tmp/log")" = 1 ]'
PGQ_ROLE=replica "$hooks/vip-manager.sh" 10.9.9.9/24 eth9 >/dev/null
check "vip-manager: replica removes the address" '! grep -q "10.9.9.9" "$tmp/state" && grep -q "addr del 10.9.9.9/24 dev eth9" "$tmp/log"'

# --- pgbouncer-repoint --------------------------------------------------------
cat >"$tmp/pgbouncer.ini" <<'INI'
[databases]
; a comment stays
appdb = host=10.0.0.1 port=5432 dbname=app
otherdb = dbname=other host=10.0.0.1

[pgbouncer]
listen_port = 6432
INI
cat >"$tmp/psql" <<'FAKE'
#!/bin/sh
echo "psql $*" >>"$FAKE_LOG"
FAKE
chmod +x "$tmp/psql"
PSQL="$tmp/psql" PGBOUNCER_ADMIN="port=6432 dbname=pgbouncer" PGQ_PRIMARY=node2 \
	PGQ_PRIMARY_HOST=10.0.0.2 PGQ_PRIMARY_PORT=5433 \
	"$hooks/pgbouncer-repoint.sh" "$tmp/pgbouncer.ini" >/dev/null
check "pgbouncer-repoint: [databases] entries point at the new primary" \
	'grep -qx "appdb = host=10.0.0.2 port=5433 dbname=app" "$tmp/pgbouncer.ini" &&
	 grep -qx "otherdb = host=10.0.0.2 port=5433 dbname=other" "$tmp/pgbouncer.ini"'
check "pgbouncer-repoint: other sections and comments untouched" \
	'grep -qx "listen_port = 6432" "$tmp/pgbouncer.ini" && grep -qx "; a comment stays" "$tmp/pgbouncer.ini"'
check "pgbouncer-repoint: RELOAD on the admin console" \
	'grep -q "^psql -X -q -v ON_ERROR_STOP=1 port=6432 dbname=pgbouncer -c RELOAD;$" "$tmp/log"'
PSQL="$tmp/psql" PGQ_PRIMARY_HOST='10.0.0.2;reboot' PGQ_PRIMARY_PORT=5433 \
	"$hooks/pgbouncer-repoint.sh" "$tmp/pgbouncer.ini" >/dev/null 2>&1
rc=$?
check "pgbouncer-repoint: a suspicious address is refused" '[ $rc -ne 0 ] && grep -q "host=10.0.0.2 port=5433" "$tmp/pgbouncer.ini"'

# --- stonith-example: never claims success as shipped -------------------------
PGQ_OLD_PRIMARY=node1 "$hooks/stonith-example.sh" >/dev/null 2>&1
rc=$?
check "stonith-example: exits non-zero until adapted" '[ $rc -ne 0 ]'

# --- record-hook ----------------------------------------------------------------
# A clean environment: PGQ_* variables of the caller (e.g. PGQ_SKIP_INSTALL)
# must not leak into the exact comparison below.
env -i PATH="$PATH" PGQ_EVENT=fence PGQ_OLD_PRIMARY=node1 "$hooks/record-hook.sh" "$tmp/rec" "a;b" >/dev/null
check "record-hook: event, literal args and variables recorded" \
	'[ "$(cat "$tmp/rec")" = "$(printf "event=fence\narg=a;b\nPGQ_EVENT=fence\nPGQ_OLD_PRIMARY=node1\nend")" ]'

exit $failed

#!/bin/sh
# tests/unit/config-cli.sh — `pgquorum --validate-config FILE`: exit codes
# and the "FILE:LINE:COLUMN: message" output, on the shipped example, a
# good fixture and bad fixtures. Speaks TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
PGQ="$top_builddir/pgquorum"
FIX="$top_srcdir/tests/unit/config"
OUT=$(mktemp)
ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT

echo "1..7"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$OUT" "$ERR"; }

# validate FILE: run the CLI, keep stdout/stderr, return its exit code
validate() { "$PGQ" --validate-config "$1" >"$OUT" 2>"$ERR"; }

validate "$top_srcdir/contrib/pgquorum.yml.example"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$OUT" ] && [ ! -s "$ERR" ]; then
	ok "contrib/pgquorum.yml.example: exit 0, prints nothing"
else
	not_ok "contrib/pgquorum.yml.example: exit $rc (expected 0, silent)"
fi

validate "$FIX/good_full.yml"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$ERR" ]; then ok "good_full.yml: exit 0"; else not_ok "good_full.yml: exit $rc"; fi

validate "$FIX/bad_peers_duplicate_name.yml"
rc=$?
expected="$FIX/bad_peers_duplicate_name.yml:11:13: raft.peers[2].name: duplicate member name 'db2' (first at line 9)"
if [ $rc -eq 1 ]; then ok "bad_peers_duplicate_name.yml: exit 1"; else not_ok "bad_peers_duplicate_name.yml: exit $rc (expected 1)"; fi
if [ "$(cat "$ERR")" = "$expected" ]; then
	ok "bad_peers_duplicate_name.yml: exactly one line FILE:LINE:COLUMN: message on stderr"
else
	not_ok "bad_peers_duplicate_name.yml: expected \"$expected\""
fi

validate "$FIX/bad_many_problems.yml"
rc=$?
lines=$(wc -l <"$ERR")
format_ok=1
# every line: the file name, then :LINE:COLUMN: and a message
while IFS= read -r line; do
	case $line in
	"$FIX/bad_many_problems.yml":[0-9]*:[0-9]*:\ ?*) ;;
	*) format_ok=0 ;;
	esac
done <"$ERR"
if [ $rc -eq 1 ] && [ "$lines" -eq 7 ] && [ $format_ok -eq 1 ]; then
	ok "bad_many_problems.yml: exit 1, all 7 problems, each as FILE:LINE:COLUMN: message"
else
	not_ok "bad_many_problems.yml: exit $rc, $lines lines (expected 1, 7), format_ok=$format_ok"
fi

validate /nonexistent/pgquorum.yml
rc=$?
if [ $rc -eq 1 ] && grep -q '^/nonexistent/pgquorum.yml:1:1: cannot open' "$ERR"; then
	ok "missing file: exit 1 with the reason"
else
	not_ok "missing file: exit $rc"
fi

"$PGQ" --validate-config >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -eq 2 ]; then ok "--validate-config without FILE: usage error (exit 2)"; else not_ok "--validate-config without FILE: exit $rc (expected 2)"; fi

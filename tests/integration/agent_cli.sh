#!/bin/bash
# agent_cli.sh — pgquorum's command line: --help/--version, usage errors
# (exit 2), an invalid configuration (exit 1), --check-data-dir on a
# stopped agent's directory (0) and on a missing one (2), and a data
# directory that belongs to another member is refused (exit 1).
IT_SLOT=8
. "$(dirname "$0")/lib.sh"

it_setup 1
it_plan 7

"$IT_BIN" --help | grep -q -- "--check-data-dir"
it_ok $? "--help documents --check-data-dir"

"$IT_BIN" --version | grep -q "^pgquorum "
it_ok $? "--version prints the version"

"$IT_BIN" --no-such-option >/dev/null 2>&1
[ $? = 2 ]
it_ok $? "an unknown option exits 2"

printf 'scope: x\nname: [oops\n' > "$IT_DIR/bad.yml"
"$IT_BIN" -c "$IT_DIR/bad.yml" >/dev/null 2>&1
[ $? = 1 ]
it_ok $? "an invalid configuration refuses to start (exit 1)"

it_write_config 1 1
it_start 1
l=$(it_wait_leader 20 1)
[ "$l" = 1 ] && [ "$(it_propose 1 1)" = 200 ] && it_stop 1 && "$IT_BIN" --check-data-dir "$IT_DIR/data1" > "$IT_DIR/check.out"
it_ok $? "a single-member cluster bootstraps, stops cleanly, and --check-data-dir finds its directory clean"

"$IT_BIN" --check-data-dir "$IT_DIR/nothing-here" >/dev/null 2>&1
[ $? = 2 ]
it_ok $? "--check-data-dir on a missing directory exits 2"

# Member n2's configuration pointing at n1's data directory.
it_write_config 2 2
sed -i "s|data_dir: .*|data_dir: $IT_DIR/data1|" "$IT_DIR/n2.yml"
timeout 20 "$IT_BIN" -c "$IT_DIR/n2.yml" > "$IT_DIR/n2.log" 2>&1
[ $? = 1 ] && grep -q 'belongs to member "n1"' "$IT_DIR/n2.log"
it_ok $? "a data directory of another member is refused (exit 1, names the owner)"

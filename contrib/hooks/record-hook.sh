#!/bin/sh
# record-hook.sh — append the event, the arguments and every PGQ_* variable
# to a file. Used by the pgquorum tests to check what hooks receive; handy
# when writing a hook of your own ("what exactly do I get?").
#
#   hooks:
#     on_role_change: { exec: [/usr/share/pgquorum/hooks/record-hook.sh, /tmp/pgq-events] }
#
# Output, per call:
#   event=<PGQ_EVENT>
#   arg=<each argument after the file, one line each>
#   PGQ_...=<value>        (sorted)
#   end
# Exit status: 0, or RECORD_HOOK_EXIT when that is set (tests use it).
set -u
out=${1:?usage: record-hook.sh FILE [ARGS...]}
shift
# One write, so that hooks of several events running at once never interleave.
rec=$(
	printf 'event=%s\n' "${PGQ_EVENT:-}"
	for a in "$@"; do
		printf 'arg=%s\n' "$a"
	done
	env | grep '^PGQ_' | LC_ALL=C sort
	printf 'end'
)
printf '%s\n' "$rec" >>"$out"
echo "recorded ${PGQ_EVENT:-?} to $out"
exit "${RECORD_HOOK_EXIT:-0}"

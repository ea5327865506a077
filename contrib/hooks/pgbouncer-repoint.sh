#!/bin/sh
# pgbouncer-repoint.sh — point pgbouncer at the new primary (on_role_change
# or post_promote hook, on the hosts that run pgbouncer).
#
#   hooks:
#     post_promote:
#       exec: [/usr/share/pgquorum/hooks/pgbouncer-repoint.sh, /etc/pgbouncer/pgbouncer.ini]
#
# It rewrites host= and port= of every entry of the [databases] section to
# PGQ_PRIMARY_HOST and PGQ_PRIMARY_PORT, then asks pgbouncer to RELOAD
# through its admin console. The file is replaced atomically (write a
# temporary file beside it, then rename), so pgbouncer never reads half a file.
#
# Environment (besides the PGQ_* variables of the event):
#   PGBOUNCER_ADMIN   admin console connection string
#                     (default: "host=/var/run/postgresql port=6432 dbname=pgbouncer user=pgbouncer")
#   PSQL              psql binary (default: psql)
set -eu
ini=${1:?usage: pgbouncer-repoint.sh PGBOUNCER_INI}
host=${PGQ_PRIMARY_HOST:-}
port=${PGQ_PRIMARY_PORT:-}
admin=${PGBOUNCER_ADMIN:-"host=/var/run/postgresql port=6432 dbname=pgbouncer user=pgbouncer"}
PSQL=${PSQL:-psql}

if [ -z "$host" ] || [ -z "$port" ]; then
	echo "no primary address in PGQ_PRIMARY_HOST/PGQ_PRIMARY_PORT; nothing to do" >&2
	exit 0
fi
case "$host$port" in
*[!A-Za-z0-9.:_-]*)
	echo "refusing suspicious primary address '$host:$port'" >&2
	exit 1
	;;
esac

tmp=$(mktemp "$ini.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# Only lines inside [databases] change; host=/port= are replaced or added.
awk -v host="$host" -v port="$port" '
	/^[ \t]*\[/ { in_db = ($0 ~ /^[ \t]*\[databases\]/) }
	in_db && /^[ \t]*[^;#[ \t][^=]*=/ {
		key = $0; sub(/=.*/, "", key)
		val = $0; sub(/^[^=]*=[ \t]*/, "", val)
		gsub(/(^|[ \t])host=[^ \t]*/, "", val)
		gsub(/(^|[ \t])port=[^ \t]*/, "", val)
		sub(/^[ \t]+/, "", val)
		print key "= host=" host " port=" port (val != "" ? " " val : "")
		next
	}
	{ print }
' "$ini" >"$tmp"
chmod --reference="$ini" "$tmp" 2>/dev/null || true
mv "$tmp" "$ini"
trap - EXIT

"$PSQL" -X -q -v ON_ERROR_STOP=1 "$admin" -c "RELOAD;"
echo "pgbouncer now points at $host:$port (primary ${PGQ_PRIMARY:-?}, epoch ${PGQ_EPOCH:-?})"

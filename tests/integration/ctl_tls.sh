#!/bin/bash
# ctl_tls.sh — pgquorumctl's TLS options against an https server made by the
# test (openssl s_server with a self-signed certificate; the agent serves
# plain HTTP for now): an untrusted certificate is refused (exit 3, the
# reason named), --cacert trusts it, --insecure skips verification. No agent.
set -u
CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
if [ ! -x "$CTL" ]; then
	echo "1..0 # SKIP pgquorumctl not found at $CTL"
	exit 0
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP openssl not installed"
	exit 0
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgq-ctl-tls.XXXXXX")
SERVER=""
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
n=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

echo "1..4"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$DIR/key.pem" -out "$DIR/cert.pem" \
	>/dev/null 2>&1
# a free port in 12000-14999 (see ctl_cli.sh)
for try in 0 1 2 3 4 5 6 7; do
	PORT=$((12039 + ((($$ + try * 13) % 70) * 40)))
	port_busy "$PORT" || break
done
openssl s_server -accept "$PORT" -cert "$DIR/cert.pem" -key "$DIR/key.pem" -www -quiet \
	>/dev/null 2>&1 </dev/null &
SERVER=$!
up=1
for _ in $(seq 1 50); do
	port_busy "$PORT" && { up=0; break; }
	sleep 0.1
done
ok $up "https test server listens on 127.0.0.1:$PORT"

URL="https://127.0.0.1:$PORT"
err=$("$CTL" --url "$URL" list 2>&1); rc=$?
[ $rc = 3 ] && echo "$err" | grep -qi "certificate"
ok $? "self-signed certificate not trusted: exit 3, the reason names the certificate (rc $rc)"

err=$("$CTL" --cacert "$DIR/cert.pem" --url "$URL" list 2>&1); rc=$?
[ $rc = 1 ] && echo "$err" | grep -q "not JSON"
ok $? "--cacert trusts it: the server is reached (not an agent: exit 1) (rc $rc)"

err=$("$CTL" --insecure --url "$URL" list 2>&1); rc=$?
[ $rc = 1 ] && echo "$err" | grep -q "not JSON"
ok $? "--insecure skips verification (rc $rc)"

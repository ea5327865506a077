#!/bin/bash
# rest_tls.sh — the REST API over HTTPS (restapi.certfile/keyfile) and with
# client certificates (verify_client: required + cafile). A CA, a server
# certificate for 127.0.0.1 and client certificates are made here with
# openssl. Checks: curl trusts the server only with --cacert; plain HTTP is
# not served; the followers' reports and the 307 to the leader work over
# https (the cluster commits); pgquorumctl lists over https; a reload swaps
# the certificate and a bad keyfile on reload is refused with its name;
# under verify_client: required a request without a client certificate, or
# with one from another CA, gets 403 and one with a good certificate 200,
# while the agents (which present their own certificate) still commit; an
# unreadable certfile stops the start with the file named.
IT_SLOT=6
. "$(dirname "$0")/lib.sh"
CTL=${PGQUORUMCTL_BIN:-${top_builddir:-$(pwd)}/pgquorumctl}
if ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP openssl not installed"
	exit 0
fi

it_setup 3
it_plan 19
T=$IT_DIR/tls
mkdir -p "$T"
mk_ca() { # mk_ca NAME
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1
}
mk_cert() { # mk_cert NAME CN CA [SAN]
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$T/$1.key" -out "$T/$1.csr" \
		>/dev/null 2>&1 &&
	if [ -n "${4:-}" ]; then
		printf 'subjectAltName=%s\n' "$4" > "$T/$1.ext"
	else
		: > "$T/$1.ext"
	fi &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial \
		-days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" >/dev/null 2>&1
}
mk_ca ca && mk_ca rogue &&
	mk_cert server server1 ca IP:127.0.0.1 &&
	mk_cert server2 server2 ca IP:127.0.0.1 &&
	mk_cert client client ca && mk_cert intruder intruder rogue
if [ ! -s "$T/intruder.pem" ] || [ ! -s "$T/server2.pem" ]; then
	echo "Bail out! openssl could not make the test certificates"
	exit 1
fi
chmod 600 "$T"/*.key

IT_SCHEME=https
IT_CURL_OPTS="--cacert $T/ca.pem"
IT_RESTAPI_EXTRA="  certfile: $T/server.pem
  keyfile: $T/server.key
  cafile: $T/ca.pem"
it_cluster_start 3
leader=$(it_wait_leader 30 1 2 3)
it_ok $? "3 agents serving HTTPS elect a leader (n${leader:-?}), seen through https with --cacert"
follower=1
[ "$leader" = 1 ] && follower=2
URL=$(it_url "$follower")

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/liveness"); rc=$?
[ "$rc" = 60 ] || [ "$rc" = 35 ]
it_ok $? "without --cacert curl refuses the self-signed chain (curl exit $rc, code $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(it_rest_port "$follower")/liveness")
[ "$code" != 200 ]
it_ok $? "plain HTTP on the HTTPS port gets no 200 (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' $IT_CURL_OPTS "$URL/liveness")
[ "$code" = 200 ]
it_ok $? "with --cacert /liveness is 200 (got $code)"

[ "$(it_propose 1 "$follower")" = 200 ]
it_ok $? "a write through a follower is redirected (307) to the leader's https URL and commits"

# Followers report to the leader's REST API (POST /report over https): the
# follower's report index in the record moves on.
report_index() { # report_index MEMBER
	it_get "$leader" /cluster | jq -r --arg m "n$1" \
		'[.. | objects | select(.name? == $m) | .status.report_index] | first // 0' 2>/dev/null
}
reported_since() { [ "$(report_index "$follower")" -gt "$before" ] 2>/dev/null; }
before=$(report_index "$follower")
it_wait_cond 20 reported_since
it_ok $? "the follower's reports reach the leader over https (report_index $before -> $(report_index "$follower"))"

out=$("$CTL" --cacert "$T/ca.pem" --url "$URL" list 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "n$leader"
it_ok $? "pgquorumctl --cacert lists the cluster over https (rc $rc)"

out=$("$CTL" --url "$URL" list 2>&1); rc=$?
[ $rc = 3 ]
it_ok $? "pgquorumctl without --cacert refuses the certificate (rc $rc)"

subject() {
	openssl s_client -connect "127.0.0.1:$(it_rest_port "$follower")" -CAfile "$T/ca.pem" \
		</dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null
}
cp "$T/server2.pem" "$T/server.pem" && cp "$T/server2.key" "$T/server.key"
kill -HUP "${IT_PIDS[$follower]}"
new_cert() { subject | grep -q server2; }
it_wait_cond 10 new_cert
it_ok $? "SIGHUP: the next handshake presents the new certificate ($(subject))"

echo "not a key" > "$T/server.key"
kill -HUP "${IT_PIDS[$follower]}"
bad_logged() { grep -q "restapi.keyfile \"$T/server.key\"" "$IT_DIR/n$follower.log"; }
it_wait_cond 10 bad_logged && new_cert &&
	[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' $IT_CURL_OPTS "$URL/liveness")" = 200 ]
it_ok $? "a bad keyfile on reload is refused with its name; the current certificate keeps serving"
cp "$T/server2.key" "$T/server.key"

# ---- client certificates required -------------------------------------------
for i in 1 2 3; do it_stop "$i"; done
IT_RESTAPI_EXTRA="  certfile: $T/server.pem
  keyfile: $T/server.key
  cafile: $T/ca.pem
  verify_client: required"
for i in 1 2 3; do
	it_write_config "$i" 1 2 3
	it_start "$i"
done
IT_CURL_OPTS="--cacert $T/ca.pem --cert $T/client.pem --key $T/client.key"
leader=$(it_wait_leader 30 1 2 3)
it_ok $? "restarted with verify_client: required, the agents elect a leader (n${leader:-?})"
follower=1
[ "$leader" = 1 ] && follower=2
URL=$(it_url "$follower")

code=$(curl -s --max-time 5 -o "$IT_DIR/nocert.json" -w '%{http_code}' --cacert "$T/ca.pem" "$URL/liveness")
[ "$code" = 403 ] && grep -q "client certificate is required" "$IT_DIR/nocert.json"
it_ok $? "no client certificate: 403 naming the reason (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" \
	--cert "$T/intruder.pem" --key "$T/intruder.key" "$URL/liveness")
[ "$code" = 403 ] || [ "$code" = 000 ]
it_ok $? "a client certificate from another CA is refused (got $code)"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' $IT_CURL_OPTS "$URL/liveness")
[ "$code" = 200 ]
it_ok $? "a client certificate from restapi.cafile: 200 (got $code)"

out=$("$CTL" -c "$IT_DIR/n$follower.yml" list 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "n$leader"
it_ok $? "pgquorumctl -c (the agent's configuration) takes its cafile and client certificate: list works (rc $rc)"

[ "$(it_propose 2 "$follower")" = 200 ]
it_ok $? "with client certificates required, a write through a follower commits"

before=$(report_index "$follower")
it_wait_cond 20 reported_since
it_ok $? "the agents present their own certificate to each other: reports reach the leader ($before -> $(report_index "$follower"))"

# ---- an unreadable certificate stops the start --------------------------------
sed "s#certfile: .*#certfile: $T/missing.pem#" "$IT_DIR/n1.yml" > "$IT_DIR/bad.yml"
sed -i "s#listen: 127.0.0.1:$(it_rest_port 1)#listen: 127.0.0.1:$(it_rest_port 9)#; s#listen: 127.0.0.1:$(it_raft_port 1)#listen: 127.0.0.1:$(it_raft_port 9)#; s#data_dir: .*#data_dir: $IT_DIR/bad#" "$IT_DIR/bad.yml"
out=$(timeout 20 "$IT_BIN" -c "$IT_DIR/bad.yml" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "restapi.certfile \"$T/missing.pem\" cannot be read"
it_ok $? "a missing certfile stops the agent (exit $rc) and names the file"

ok=0
for i in 1 2 3; do kill -0 "${IT_PIDS[$i]}" 2>/dev/null || ok=1; done
it_ok $ok "no agent died"

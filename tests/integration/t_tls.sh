#!/usr/bin/env bash
# TLS (issue 7): a cluster with a self-made CA and server certificate, whose
# pg_hba.conf accepts streamkap_user on 127.0.0.1 only over TLS.  verify-full
# streams; a wrong CA, a wrong host name, a missing root certificate and a
# non-TLS connection fail with their cause and the key to change; `walcap
# check` says whether the connection is encrypted, with which protocol, and
# warns when sslmode is below verify-full for a server on another address
# (the machine's own global address stands for one).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup tlsdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
work=$T_TMP
addr=$(lib_global_addr) || { t_fail "this machine has no global IPv4 address to stand for a remote server"; t_done; }
tls=$work/tls
tls_certs "$tls" DNS:localhost "IP:$addr" || t_fail "tls_certs"
pg_ssl_on "$tls" || t_fail "pg_ssl_on"
pg_listen_also "$addr" || t_fail "pg_listen_also $addr"
# 127.0.0.1: TLS only (non-TLS rejected); $addr: TLS or not (for the warnings)
pg_hba_set "hostnossl all         all  127.0.0.1/32  reject
hostnossl replication all  127.0.0.1/32  reject
hostssl   all         all  127.0.0.1/32  scram-sha-256
hostssl   replication all  127.0.0.1/32  scram-sha-256
host      all         postgres  $addr/32  trust
host      all         all  $addr/32      scram-sha-256
host      replication all  $addr/32      scram-sha-256" || t_fail "pg_hba_set"
assert_eq "the server has TLS on" "$(psql_admin -c "SHOW ssl")" on

check() { WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" check -c "$1" 2>/dev/null; }
tls_line() { grep '^[A-Z]*  tls: ' <<<"$1"; }
proto='TLSv1\.[23] \([A-Z0-9_-]+\)'

# ---------------------------------------------------------------- 1. verify-full by name
walcap_conf "$work/a.conf" database.hostname=localhost database.sslmode=verify-full \
	"database.sslrootcert=$tls/ca.crt" 'table.include.list=public\.t'
psql_admin -c "INSERT INTO t VALUES (1, 'over tls')"
err=$(WALCAP_TIMEOUT=30 walcap_run "$work/a.conf" --endpos "$(current_lsn)" 2>&1 >"$work/out_a"); rc=$?
assert_rc "1: verify-full: walcap streams" "$rc" 0
assert_eq "1: verify-full: the event arrived" "$(jq -r .after.v "$work/out_a")" "over tls"
walcap_start "$work/out_b" "$work/err_b" "$work/a.conf"
wait_until 10 grep -qs 'streaming from slot' "$work/err_b" || t_fail "1: walcap streams (background)"
assert_eq "1: the walsender's connection is encrypted" \
	"$(psql_admin -c "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_replication r USING (pid)")" t
walcap_stop
out=$(check "$work/a.conf")
assert_match "1: check: encrypted, protocol, verify-full" "$(tls_line "$out")" \
	"^PASS  tls: encrypted with $proto; sslmode=verify-full: the server's certificate and its name localhost are verified\$"

# ---------------------------------------------------------------- 2. a certificate another CA signed
walcap_conf "$work/c.conf" database.hostname=localhost database.sslmode=verify-full \
	"database.sslrootcert=$tls/other-ca.crt"
err=$(walcap_run "$work/c.conf" 2>&1 >/dev/null); rc=$?
assert_rc "2: wrong CA: exit 1" "$rc" 1
assert_match "2: wrong CA: the cause" "$err" \
	"^walcap: ERROR: could not connect to localhost port $PG_PORT as user \"streamkap_user\" to database \"tlsdb\": .*certificate verify failed"
assert_match "2: wrong CA: the fix" "$err" \
	"^walcap: HINT: the server's certificate is not signed by a CA in database.sslrootcert: point it at the CA certificate that issued the server's \(or use the server's own chain\)\$"

# ---------------------------------------------------------------- 3. a name the certificate does not list
walcap_conf "$work/d.conf" database.hostname=127.0.0.1 database.sslmode=verify-full \
	"database.sslrootcert=$tls/ca.crt"
err=$(walcap_run "$work/d.conf" 2>&1 >/dev/null); rc=$?
assert_rc "3: wrong host name: exit 1" "$rc" 1
assert_match "3: wrong host name: the cause" "$err" \
	"^walcap: ERROR: could not connect to 127\.0\.0\.1 port $PG_PORT .*server certificate for \"localhost\" \(and 1 other name\) does not match host name \"127\.0\.0\.1\""
assert_match "3: wrong host name: the fix" "$err" \
	'^walcap: HINT: with sslmode=verify-full, database.hostname must be a name \(or address\) the server.s certificate lists: connect by that name, or use verify-ca to check the CA only$'
# verify-ca accepts it (same CA), and check says what is not verified
walcap_conf "$work/d2.conf" database.hostname=127.0.0.1 database.sslmode=verify-ca \
	"database.sslrootcert=$tls/ca.crt"
out=$(check "$work/d2.conf")
assert_match "3: verify-ca on loopback: PASS" "$(tls_line "$out")" \
	"^PASS  tls: encrypted with $proto; sslmode=verify-ca, on the loopback interface of this machine\$"

# ---------------------------------------------------------------- 4. no root certificate
walcap_conf "$work/e.conf" database.hostname=localhost database.sslmode=verify-full
err=$(HOME=$work/home walcap_run "$work/e.conf" 2>&1 >/dev/null); rc=$?
assert_rc "4: verify-full without sslrootcert: exit 1" "$rc" 1
assert_match "4: verify-full without sslrootcert: the cause" "$err" \
	"root certificate file \"$work/home/\.postgresql/root\.crt\" does not exist"
assert_match "4: verify-full without sslrootcert: the fix" "$err" \
	'^walcap: HINT: sslmode verify-ca and verify-full need the CA certificate: set database.sslrootcert to its file$'

# ---------------------------------------------------------------- 5. pg_hba.conf rejects non-TLS connections
walcap_conf "$work/f.conf" database.hostname=127.0.0.1 database.sslmode=disable
err=$(walcap_run "$work/f.conf" 2>&1 >/dev/null); rc=$?
assert_rc "5: sslmode=disable against hostssl only: exit 1" "$rc" 1
assert_match "5: the cause" "$err" \
	"pg_hba\.conf rejects connection for host \"127\.0\.0\.1\", user \"streamkap_user\", database \"tlsdb\", no encryption"
assert_match "5: the fix" "$err" \
	'^walcap: HINT: the server accepts this user only over TLS \(hostssl\): set database.sslmode=verify-full \(with database.sslrootcert\), or at least require$'
out=$(check "$work/f.conf"); rc=$?
assert_rc "5: check: exit 1" "$rc" 1
assert_match "5: check: FAIL login" "$out" '^FAIL  login: could not connect to 127\.0\.0\.1 .*no encryption'
# prefer (libpq's default) upgrades to TLS: allowed
walcap_conf "$work/f2.conf" database.hostname=127.0.0.1 database.sslmode=prefer
out=$(check "$work/f2.conf")
assert_match "5: sslmode=prefer gets TLS on loopback: PASS" "$(tls_line "$out")" \
	"^PASS  tls: encrypted with $proto; sslmode=prefer, on the loopback interface of this machine\$"

# ---------------------------------------------------------------- 6. a server on another address
walcap_conf "$work/g.conf" "database.hostname=$addr" database.sslmode=verify-full "database.sslrootcert=$tls/ca.crt"
out=$(check "$work/g.conf")
assert_match "6a: verify-full to $addr (in the certificate): PASS" "$(tls_line "$out")" \
	"^PASS  tls: encrypted with $proto; sslmode=verify-full: the server's certificate and its name ${addr//./\\.} are verified\$"
walcap_conf "$work/h.conf" "database.hostname=$addr" database.sslmode=require
out=$(check "$work/h.conf")
assert_match "6b: require to $addr: WARN" "$(tls_line "$out")" \
	"^WARN  tls: encrypted with $proto, but sslmode=require is below verify-full for ${addr//./\\.}\$"
assert_match "6b: why" "$out" "^      why: the server's certificate is not verified: anyone on the path could pose as the server\$"
assert_match "6b: fix" "$out" "^      fix: set database.sslmode=verify-full and database.sslrootcert to the CA certificate that signed the server's certificate\$"
walcap_conf "$work/i.conf" "database.hostname=$addr" database.sslmode=verify-ca "database.sslrootcert=$tls/ca.crt"
out=$(check "$work/i.conf")
assert_match "6c: verify-ca to $addr: WARN" "$(tls_line "$out")" \
	"^WARN  tls: encrypted with $proto, but sslmode=verify-ca is below verify-full for ${addr//./\\.}\$"
assert_match "6c: why" "$out" "^      why: verify-ca checks who signed the certificate but not that it was issued for this server's name\$"
walcap_conf "$work/j.conf" "database.hostname=$addr" database.sslmode=disable
out=$(check "$work/j.conf"); rc=$?
assert_match "6d: not encrypted to $addr: WARN" "$(tls_line "$out")" \
	'^WARN  tls: not encrypted \(sslmode=disable\)$'
assert_match "6d: why" "$out" "^      why: the password exchange and every change travel unencrypted to the server\$"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" check --json -c "$work/h.conf" 2>/dev/null)
assert_eq "6e: check --json has the tls item" "$(jq -r '.checks[] | select(.name == "tls") | .status' <<<"$out")" WARN

# ---------------------------------------------------------------- 7. status over verify-full
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$work/a.conf" 2>&1); rc=$?
assert_rc "7: status over verify-full" "$rc" 0

t_done

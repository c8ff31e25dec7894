#!/usr/bin/env bash
# t_harness_net.sh — the harness's network and secret pieces, without walcap:
# the secret scan (secret_scan, t_done's check, run's output check), the TLS
# helpers (tls_certs, pg_ssl_on, pg_hba_set, pg_listen_also, lib_global_addr),
# then the private sshd (root only: its keys, known_hosts line and
# fingerprint, forwarding to the cluster, sshd_kill cutting a forwarded
# session and no other sshd, a restart on the same port with the same host
# key).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
SSH_OPTS=(-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes
          -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR)
# ssh to the test sshd: KNOWN_HOSTS KEY [ssh args...]; batch mode unless
# TSSH_BATCH=no (ssh keeps the first value given for an option)
tssh() {
	local kh=$1 key=$2
	shift 2
	timeout -k 5 30 ssh "${SSH_OPTS[@]}" -o BatchMode="${TSSH_BATCH:-yes}" -o UserKnownHostsFile="$kh" -i "$key" \
		-p "$SSHD_PORT" -l "$SSHD_USER" "$@"
}
# psql as streamkap_user with a conninfo string (the password from the environment)
psql_ci() {   # CONNINFO [psql args]
	local ci=$1
	shift
	PGPASSWORD=$WALCAP_TEST_PASSWORD timeout -k 5 30 "$PGBIN/psql" -X -q -At -w \
		"$ci user=streamkap_user dbname=$PG_DB" "$@"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

pg_start hdb || { t_fail "pg_start"; t_done; }
psql_admin -c "CREATE USER streamkap_user PASSWORD '$WALCAP_TEST_PASSWORD' REPLICATION" >/dev/null
assert_eq "streamkap_user over TCP" "$(psql_user -c "SELECT 1" 2>&1)" 1

# ------------------------------------------------------------------ secrets
assert_eq "WALCAP_TEST_SECRETS_DIR is T_TMP/secrets" "$WALCAP_TEST_SECRETS_DIR" "$T_TMP/secrets"
assert_eq "secrets dir mode 700" "$(stat -c %a "$WALCAP_TEST_SECRETS_DIR")" 700
distinct=$(printf '%s\n' "$WALCAP_TEST_PASSWORD" "$WALCAP_TEST_SSH_PASSPHRASE" "$WALCAP_TEST_KAFKA_PASSWORD" \
	"$WALCAP_TEST_REDIS_PASSWORD" | grep -cxE '[A-Za-z0-9]{32}')
assert_eq "four 32-character [A-Za-z0-9] secrets" "$distinct" 4
assert_eq "the secrets differ" \
	"$(printf '%s\n' "$WALCAP_TEST_PASSWORD" "$WALCAP_TEST_SSH_PASSPHRASE" "$WALCAP_TEST_KAFKA_PASSWORD" \
		"$WALCAP_TEST_REDIS_PASSWORD" | sort -u | wc -l)" 4

# secret_scan on a directory of its own (inside the secrets dir, so that the
# scan of T_TMP at t_done does not count these deliberate leaks).
sd=$WALCAP_TEST_SECRETS_DIR/scan
mkdir -p "$sd/sub" "$sd/keep" "$sd/secrets"
echo "nothing here" >"$sd/clean"
printf 'password=%s\n' "$WALCAP_TEST_PASSWORD" >"$sd/sub/pw.conf"
printf 'x%sx' "$WALCAP_TEST_KAFKA_PASSWORD" | gzip -c | cat - <(printf '\0%s' "$WALCAP_TEST_KAFKA_PASSWORD") >"$sd/bin"
echo "$WALCAP_TEST_SSH_PASSPHRASE" >"$sd/keep/pp"
echo "$WALCAP_TEST_SSH_PASSPHRASE" >"$sd/secrets/pp"
mkfifo "$sd/fifo"
out=$(secret_scan "$sd" "$sd/keep" | sort); rc=$?
assert_eq "secret_scan: each leaking file, relative, EXCLUDE honoured, a fifo skipped" "$out" \
'WALCAP_TEST_KAFKA_PASSWORD in bin
WALCAP_TEST_PASSWORD in sub/pw.conf
WALCAP_TEST_SSH_PASSPHRASE in secrets/pp'
secret_scan "$sd" "$sd/keep" >/dev/null; rc=$?
assert_rc "secret_scan: returns 1 on a leak" "$rc" 1
secret_scan "$sd/keep" "$sd/keep" >/dev/null; rc=$?
assert_rc "secret_scan: returns 0 with nothing to report" "$rc" 0
# The check t_done runs, on a stand-in T_TMP, in a subshell whose counters
# are thrown away: a leak is a failed check named after the secret and file.
out=$( (T_TMP=$sd WALCAP_TEST_SECRETS_DIR=$sd/secrets _LIB_SCANNED=0 T_PASSED=0 T_FAILED=0
	_lib_secret_check; _lib_secret_check; echo "failed=$T_FAILED") 2>&1)
assert_eq "t_done's scan: t_fail per leak, once, the secrets dir left out" "$(sort <<<"$out")" \
'FAIL - secret leak: WALCAP_TEST_KAFKA_PASSWORD in bin
FAIL - secret leak: WALCAP_TEST_PASSWORD in sub/pw.conf
FAIL - secret leak: WALCAP_TEST_SSH_PASSPHRASE in keep/pp
failed=3'
# run: a script that prints a secret fails, and run says why.
cat >"$sd/t_fakeleak.sh" <<'EOF'
echo "t_fakeleak: passphrase is $WALCAP_TEST_SSH_PASSPHRASE"
echo "t_fakeleak: 1 passed, 0 failed"
EOF
cat >"$sd/t_fakeclean.sh" <<'EOF'
echo "t_fakeclean: 1 passed, 0 failed"
EOF
# (run echoes the script's output: keep the secret out of this script's own)
out=$(INTEGRATION_ONLY='' "$ROOT/tests/integration/run" "$sd/t_fakeleak.sh" "$sd/t_fakeclean.sh" 2>&1); rc=$?
out=$(grep -vF -e "$WALCAP_TEST_SSH_PASSPHRASE" <<<"$out")
assert_rc "run: a secret in a script's output fails the run" "$rc" 1
assert_match "run: the reason" "$out" '^t_fakeleak: FAIL: a secret appeared in its output$'
assert_match "run: counted as a failure of that script only" "$out" '^integration( \(asan\))?: 2 passed, 1 failed$'
rm -rf -- "$sd"

# ------------------------------------------------------------------ tls
tls=$work/tls
if tls_certs "$tls"; then t_ok "tls_certs"; else t_fail "tls_certs"; fi
for f in ca.crt ca.key other-ca.crt server.crt server.key; do
	[ -s "$tls/$f" ] && t_ok "tls_certs: $f" || t_fail "tls_certs: $f"
done
owner=$(id -un)
[ "$owner" = root ] && owner=postgres
assert_eq "server.key: mode 600, owned by $owner" "$(stat -c '%a %U' "$tls/server.key")" "600 $owner"
assert_match "server.crt: subject" "$(openssl x509 -in "$tls/server.crt" -noout -subject)" 'CN ?= ?walcap-test-server'
assert_match "server.crt: subjectAltName DNS:localhost" \
	"$(openssl x509 -in "$tls/server.crt" -noout -ext subjectAltName)" '^ +DNS:localhost$'
assert_eq "server.crt verifies against ca.crt" \
	"$(openssl verify -CAfile "$tls/ca.crt" "$tls/server.crt" 2>&1)" "$tls/server.crt: OK"
out=$(openssl verify -CAfile "$tls/other-ca.crt" "$tls/server.crt" 2>&1); rc=$?
[ "$rc" != 0 ] && t_ok "server.crt does not verify against other-ca.crt" || t_fail "server.crt does not verify against other-ca.crt"
assert_match "ca.crt is a CA" "$(openssl x509 -in "$tls/ca.crt" -noout -ext basicConstraints)" 'CA:TRUE'

if pg_ssl_on "$tls"; then t_ok "pg_ssl_on"; else t_fail "pg_ssl_on"; fi
assert_eq "ssl = on" "$(psql_admin -c "SHOW ssl")" on
assert_eq "key in PG_DATA: 600 $owner" "$(stat -c '%a %U' "$PG_DATA/server.key")" "600 $owner"
ssl_q="SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
out=$(psql_ci "host=localhost port=$PG_PORT sslmode=verify-full sslrootcert=$tls/ca.crt" -c "$ssl_q" 2>&1); rc=$?
assert_rc "verify-full, host=localhost, ca.crt: connects" "$rc" 0
assert_eq "verify-full, host=localhost, ca.crt: the connection is TLS" "$out" t
out=$(psql_ci "host=localhost port=$PG_PORT sslmode=verify-full sslrootcert=$tls/other-ca.crt" -c "$ssl_q" 2>&1); rc=$?
assert_rc "verify-full with other-ca.crt: refused" "$rc" 2
assert_match "verify-full with other-ca.crt: why" "$out" 'certificate verify failed'
out=$(psql_ci "host=127.0.0.1 port=$PG_PORT sslmode=verify-full sslrootcert=$tls/ca.crt" -c "$ssl_q" 2>&1); rc=$?
assert_rc "verify-full, host=127.0.0.1: refused" "$rc" 2
assert_match "verify-full, host=127.0.0.1: why" "$out" 'server certificate for "localhost"( \(and [0-9]+ other names?\))? does not match host name "127\.0\.0\.1"'
assert_eq "sslmode=disable still allowed" \
	"$(psql_ci "host=127.0.0.1 port=$PG_PORT sslmode=disable" -c "$ssl_q" 2>&1)" f

# pg_hba_set: TLS only for everyone but postgres
if pg_hba_set "hostssl all all 127.0.0.1/32 scram-sha-256
hostssl replication all 127.0.0.1/32 scram-sha-256"; then t_ok "pg_hba_set"; else t_fail "pg_hba_set"; fi
out=$(psql_ci "host=127.0.0.1 port=$PG_PORT sslmode=disable" -c "$ssl_q" 2>&1); rc=$?
assert_rc "hostssl only: sslmode=disable refused" "$rc" 2
assert_match "hostssl only: why" "$out" 'no pg_hba.conf entry for host "127\.0\.0\.1", user "streamkap_user", database "hdb", no encryption'
assert_eq "hostssl only: sslmode=require works" \
	"$(psql_ci "host=127.0.0.1 port=$PG_PORT sslmode=require" -c "$ssl_q" 2>&1)" t
assert_eq "postgres is still trusted on the socket" "$(psql_admin -c "SELECT 1")" 1
assert_eq "postgres is still trusted on 127.0.0.1" \
	"$(timeout 10 "$PGBIN/psql" -X -At -w "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres sslmode=disable" -c "SELECT 1" 2>&1)" 1
hba_before=$(cat "$PG_DATA/pg_hba.conf")
out=$(pg_hba_set "host all all nowhere bogus" 2>&1); rc=$?
[ "$rc" != 0 ] && t_ok "pg_hba_set with an error: fails" || t_fail "pg_hba_set with an error: fails"
assert_match "pg_hba_set with an error: says so" "$out" 'pg_hba.conf has errors, not reloaded'
printf '%s\n' "$hba_before" >"$PG_DATA/pg_hba.conf"
assert_eq "the server kept the previous rules" \
	"$(psql_ci "host=127.0.0.1 port=$PG_PORT sslmode=require" -c "$ssl_q" 2>&1)" t

# pg_listen_also and lib_global_addr: TLS to the machine's own address
if addr=$(lib_global_addr); then
	assert_match "lib_global_addr" "$addr" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
	tls2=$work/tls2
	if tls_certs "$tls2" DNS:localhost "IP:$addr"; then t_ok "tls_certs with an IP SAN"; else t_fail "tls_certs with an IP SAN"; fi
	assert_match "server.crt: both SANs" "$(openssl x509 -in "$tls2/server.crt" -noout -ext subjectAltName)" \
		"^ +DNS:localhost, IP Address:${addr//./\\.}\$"
	pg_ssl_on "$tls2" || t_fail "pg_ssl_on tls2"
	if pg_listen_also "$addr"; then t_ok "pg_listen_also $addr"; else t_fail "pg_listen_also $addr"; fi
	assert_eq "listen_addresses" "$(psql_admin -c "SHOW listen_addresses")" "127.0.0.1, $addr"
	assert_eq "verify-full to $addr" \
		"$(psql_ci "host=$addr port=$PG_PORT sslmode=verify-full sslrootcert=$tls2/ca.crt" -c "$ssl_q" 2>&1)" t
	assert_eq "pg_hba lines for $addr" \
		"$(psql_admin -c "SELECT array_to_string(database, ',') || ' ' || array_to_string(user_name, ',') || ' ' || netmask || ' ' || auth_method FROM pg_hba_file_rules WHERE address = '$addr' ORDER BY line_number")" \
"all postgres 255.255.255.255 trust
replication postgres 255.255.255.255 trust
all all 255.255.255.255 scram-sha-256
replication all 255.255.255.255 scram-sha-256"
	out=$(PGPASSWORD=not-the-password timeout 10 "$PGBIN/psql" -X -At -w \
		"host=$addr port=$PG_PORT user=streamkap_user dbname=hdb sslmode=require" -c "SELECT 1" 2>&1); rc=$?
	assert_match "from $addr: a wrong password is refused" "$out" 'password authentication failed'
	assert_eq "postgres is trusted from $addr" \
		"$(timeout 10 "$PGBIN/psql" -X -At -w "host=$addr port=$PG_PORT user=postgres dbname=postgres" -c "SELECT 1" 2>&1)" 1
	assert_eq "127.0.0.1 still answers" \
		"$(psql_ci "host=localhost port=$PG_PORT sslmode=verify-full sslrootcert=$tls2/ca.crt" -c "$ssl_q" 2>&1)" t
else
	echo "# no global IPv4 address: pg_listen_also not checked"
	t_ok "lib_global_addr returns 1 without a global address"
fi


# ------------------------------------------------------------------ sshd
# (last: it needs root, as in CI; without it only the refusal is checked)
if [ "$(id -u)" != 0 ]; then
	out=$(sshd_start 2>&1); rc=$?
	assert_rc "sshd_start without root: refused" "$rc" 1
	assert_match "sshd_start without root: says why" "$out" 'needs root'
	echo "# not root: the sshd checks are skipped"
	t_done
fi
if ! sshd_start; then
	t_fail "sshd_start"
	t_done
fi
t_ok "sshd_start (127.0.0.1:$SSHD_PORT, pid $SSHD_PID)"
assert_eq "SSHD_DIR" "$SSHD_DIR" "$T_TMP/sshd"
assert_eq "SSHD_USER" "$SSHD_USER" "$(id -un)"
assert_eq "SSHD_KEY" "$SSHD_KEY" "$WALCAP_TEST_SECRETS_DIR/ssh_user_key"
assert_eq "SSHD_OTHER_KEY" "$SSHD_OTHER_KEY" "$WALCAP_TEST_SECRETS_DIR/ssh_other_key"
assert_eq "SSHD_KNOWN_HOSTS" "$SSHD_KNOWN_HOSTS" "$SSHD_DIR/known_hosts"
assert_match "SSHD_PORT is a number" "$SSHD_PORT" '^[0-9]+$'
[ "$SSHD_PORT" != 22 ] && t_ok "not port 22" || t_fail "not port 22"
assert_match "SSHD_HOST_FPR" "$SSHD_HOST_FPR" '^SHA256:[A-Za-z0-9+/]{43}$'
assert_eq "sshd listens on 127.0.0.1 only" \
	"$(ss -Htln "sport = :$SSHD_PORT" | awk '{print $4}')" "127.0.0.1:$SSHD_PORT"
assert_eq "SSHD_PID is /usr/sbin/sshd" "$(readlink "/proc/$SSHD_PID/exe")" /usr/sbin/sshd
if grep -qF /etc/ssh "$SSHD_DIR/sshd_config"; then t_fail "no /etc/ssh in the config"; else t_ok "no /etc/ssh in the config"; fi
assert_eq "/run/sshd mode 755" "$(stat -c %a /run/sshd)" 755

# known_hosts: one line, what ssh-keyscan sees, with the fingerprint given
assert_eq "known_hosts: one line" "$(wc -l <"$SSHD_KNOWN_HOSTS")" 1
assert_match "known_hosts: [127.0.0.1]:PORT ssh-ed25519 KEY" "$(cat "$SSHD_KNOWN_HOSTS")" \
	"^\\[127\\.0\\.0\\.1\\]:$SSHD_PORT ssh-ed25519 [A-Za-z0-9+/=]+\$"
scan=$(timeout 20 ssh-keyscan -T 10 -t ed25519 -p "$SSHD_PORT" 127.0.0.1 2>/dev/null)
assert_eq "ssh-keyscan sees the known_hosts key" "$scan" "$(cat "$SSHD_KNOWN_HOSTS")"
assert_eq "SSHD_HOST_FPR is the known_hosts key's" \
	"$(ssh-keygen -lf "$SSHD_KNOWN_HOSTS" | awk '{print $2}')" "$SSHD_HOST_FPR"

# the client keys
assert_eq "the passphrase opens SSHD_KEY" \
	"$(ssh-keygen -y -P "$WALCAP_TEST_SSH_PASSPHRASE" -f "$SSHD_KEY" 2>&1 | awk '{print $1, $2}')" \
	"$(awk '{print $1, $2}' "$SSHD_KEY.pub")"
out=$(ssh-keygen -y -P '' -f "$SSHD_KEY" 2>&1); rc=$?
[ "$rc" != 0 ] && t_ok "SSHD_KEY is encrypted" || t_fail "SSHD_KEY is encrypted" "$out"
assert_match "SSHD_KEY is ed25519" "$(cat "$SSHD_KEY.pub")" '^ssh-ed25519 '
assert_eq "SSHD_OTHER_KEY has no passphrase" \
	"$(ssh-keygen -y -P '' -f "$SSHD_OTHER_KEY" 2>&1 | awk '{print $1, $2}')" "$(awk '{print $1, $2}' "$SSHD_OTHER_KEY.pub")"
assert_eq "key files mode 600" "$(stat -c %a "$SSHD_KEY" "$SSHD_OTHER_KEY")" $'600\n600'
assert_eq "authorized_keys: SSHD_KEY only" "$(awk '{print $1, $2}' "$SSHD_DIR/authorized_keys")" \
	"$(awk '{print $1, $2}' "$SSHD_KEY.pub")"

# SSHD_KEY logs in (the passphrase from an askpass program that reads it
# from the environment, so it is in no file and no argument).
cat >"$work/askpass" <<'EOF'
#!/bin/sh
printf '%s\n' "$WALCAP_TEST_SSH_PASSPHRASE"
EOF
chmod 700 "$work/askpass"
out=$(SSH_ASKPASS=$work/askpass SSH_ASKPASS_REQUIRE=force TSSH_BATCH=no \
	tssh "$SSHD_KNOWN_HOSTS" "$SSHD_KEY" -o NumberOfPasswordPrompts=1 127.0.0.1 'echo logged-in' </dev/null 2>&1)
assert_eq "SSHD_KEY logs in with its passphrase" "$out" logged-in
out=$(tssh "$SSHD_KNOWN_HOSTS" "$SSHD_OTHER_KEY" 127.0.0.1 true </dev/null 2>&1); rc=$?
assert_rc "SSHD_OTHER_KEY is refused: exit 255" "$rc" 255
assert_match "SSHD_OTHER_KEY is refused: why" "$out" 'Permission denied \(publickey\)'
: >"$work/empty_known_hosts"
out=$(tssh "$work/empty_known_hosts" "$SSHD_OTHER_KEY" 127.0.0.1 true </dev/null 2>&1); rc=$?
assert_match "an unknown host key is refused" "$out" 'Host key verification failed'

# Forwarding to the cluster with a throwaway unencrypted key, authorized for
# this check only.
ck=$WALCAP_TEST_SECRETS_DIR/ssh_check_key
ssh-keygen -q -t ed25519 -N '' -C walcap-test-check -f "$ck" </dev/null
cat "$ck.pub" >>"$SSHD_DIR/authorized_keys"
forward() {   # LOCAL_PORT: ssh -N -L in the background (FWD_PID: ssh itself); wait for the port
	ssh "${SSH_OPTS[@]}" -o BatchMode=yes -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" -i "$ck" -p "$SSHD_PORT" -l "$SSHD_USER" \
		-N -o ExitOnForwardFailure=yes -L "127.0.0.1:$1:127.0.0.1:$PG_PORT" 127.0.0.1 \
		</dev/null 2>>"$work/fwd.err" &
	FWD_PID=$!
	_LIB_PIDS+=("$FWD_PID")
	wait_until 10 port_open "$1"
}
lport=$(_lib_pick_port)
if forward "$lport"; then t_ok "ssh -N -L to the cluster"; else t_fail "ssh -N -L to the cluster" "$(cat "$work/fwd.err")"; fi
assert_eq "psql_user through the tunnel" "$(PG_PORT=$lport psql_user -c "SELECT 1" 2>&1)" 1
assert_match "sshd logged the forwarding login" "$(cat "$SSHD_DIR/sshd.log")" 'Accepted publickey for [^ ]+ from 127\.0\.0\.1 port [0-9]+ ssh2: ED25519'

# A decoy sshd (same binary, its own port and pid file): sshd_kill must
# leave it alone.
dport=$(_lib_pick_port)
/usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config" -o "Port=$dport" -o "PidFile=$work/decoy.pid" \
	</dev/null >/dev/null 2>"$work/decoy.log" &
decoy=$!
_LIB_PIDS+=("$decoy")
wait_until 10 port_open "$dport" || t_fail "decoy sshd started" "$(cat "$work/decoy.log")"

# A query through the tunnel in progress when sshd dies.
PGPASSWORD=$WALCAP_TEST_PASSWORD timeout -k 5 120 "$PGBIN/psql" -X -At -w -h 127.0.0.1 -p "$lport" \
	-U streamkap_user -d "$PG_DB" -c "SELECT pg_sleep(60)" </dev/null >"$work/sleep.out" 2>&1 &
sleeper=$!
_LIB_PIDS+=("$sleeper")
sleeping() { [ "$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")" = 1 ]; }
wait_until 10 sleeping || t_fail "the query through the tunnel runs"
_lib_tree "$SSHD_PID"
tree=("${_LIB_TREE[@]}")
# (listener, then per connection a monitor, which for root also serves the
# session, plus for other users an unprivileged child)
[ "${#tree[@]}" -ge 2 ] && t_ok "sshd has connection processes (${#tree[@]} in its tree)" ||
	t_fail "sshd has connection processes" "${tree[*]}"
t0=$SECONDS
if sshd_kill; then t_ok "sshd_kill"; else t_fail "sshd_kill"; fi
[ $((SECONDS - t0)) -le 11 ] && t_ok "sshd_kill is bounded" || t_fail "sshd_kill is bounded"
assert_eq "SSHD_PID cleared" "$SSHD_PID" ""
left=
for p in "${tree[@]}"; do _lib_alive "$p" && left+=" $p"; done
assert_eq "every process of the sshd tree is gone" "$left" ""
if wait_until 10 gone "$FWD_PID"; then t_ok "the ssh client exits when sshd is killed"; else t_fail "the ssh client exits when sshd is killed"; fi
wait "$FWD_PID" 2>/dev/null; rc=$?
assert_rc "the ssh client: exit 255" "$rc" 255
if wait_until 10 gone "$sleeper"; then t_ok "the query through the tunnel is cut"; else t_fail "the query through the tunnel is cut"; fi
wait "$sleeper" 2>/dev/null; rc=$?
[ "$rc" != 0 ] && t_ok "the cut query fails (exit $rc)" || t_fail "the cut query fails"
assert_match "the cut query: connection lost" "$(cat "$work/sleep.out")" 'server closed the connection unexpectedly|connection to server was lost|SSL SYSCALL|could not receive data'
if port_open "$SSHD_PORT"; then t_fail "nothing listens on the port"; else t_ok "nothing listens on the port"; fi
if _lib_alive "$decoy" && port_open "$dport"; then t_ok "the other sshd is untouched"; else t_fail "the other sshd is untouched"; fi
kill -KILL "$decoy" 2>/dev/null
wait "$decoy" 2>/dev/null

# Restart on the same port: same host key, same client keys.
fpr=$SSHD_HOST_FPR kh=$(cat "$SSHD_KNOWN_HOSTS") key_pub=$(cat "$SSHD_KEY.pub") port=$SSHD_PORT
if sshd_start "$port"; then t_ok "sshd_start PORT again"; else t_fail "sshd_start PORT again"; fi
assert_eq "same port" "$SSHD_PORT" "$port"
assert_eq "same fingerprint" "$SSHD_HOST_FPR" "$fpr"
assert_eq "same known_hosts line" "$(cat "$SSHD_KNOWN_HOSTS")" "$kh"
assert_eq "same client key" "$(cat "$SSHD_KEY.pub")" "$key_pub"
assert_eq "ssh-keyscan after the restart" \
	"$(timeout 20 ssh-keyscan -T 10 -t ed25519 -p "$SSHD_PORT" 127.0.0.1 2>/dev/null)" "$kh"
lport=$(_lib_pick_port)
if forward "$lport"; then t_ok "forwarding after the restart"; else t_fail "forwarding after the restart" "$(tail -3 "$work/fwd.err")"; fi
assert_eq "psql_user through the new tunnel" "$(PG_PORT=$lport psql_user -c "SELECT 1" 2>&1)" 1
kill "$FWD_PID" 2>/dev/null
wait "$FWD_PID" 2>/dev/null
grep -vF "$(awk '{print $2}' "$ck.pub")" "$SSHD_DIR/authorized_keys" >"$work/ak" && cat "$work/ak" >"$SSHD_DIR/authorized_keys"
out=$(tssh "$SSHD_KNOWN_HOSTS" "$ck" 127.0.0.1 true </dev/null 2>&1); rc=$?
assert_rc "the throwaway key is no longer authorized" "$rc" 255
rm -f -- "$ck" "$ck.pub"

# sshd_start without PORT: a new sshd with a new host key.
if sshd_stop; then t_ok "sshd_stop"; else t_fail "sshd_stop"; fi
if sshd_stop; then t_ok "sshd_stop when none runs"; else t_fail "sshd_stop when none runs"; fi
if sshd_start; then t_ok "sshd_start fresh"; else t_fail "sshd_start fresh"; fi
[ "$SSHD_HOST_FPR" != "$fpr" ] && t_ok "a fresh start has a new host key" || t_fail "a fresh start has a new host key"
assert_eq "a fresh start: known_hosts has its port" "$(cut -d' ' -f1 "$SSHD_KNOWN_HOSTS")" "[127.0.0.1]:$SSHD_PORT"
# (left running: the EXIT trap stops it)

t_done

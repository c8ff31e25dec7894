#!/usr/bin/env bash
# The SSH tunnel (issue 7): a private sshd on 127.0.0.1 stands for the
# bastion.  walcap streams through it (the walsender's peer is sshd), and
# check, status, snapshot and setup --apply go through it too; an unknown
# or changed host key is refused with the fingerprint and the fix; a key the
# bastion does not accept, a missing passphrase and a bastion that cannot
# reach the database fail with their cause; killing the sshd mid-stream and
# starting it again is a reconnection that loses and repeats nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup sshdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
work=$T_TMP
sshd_start || { t_fail "sshd_start"; t_done; }
t_ok "a private sshd on 127.0.0.1:$SSHD_PORT"

export WALCAP_SSH_PRIVATE_KEY_PASSPHRASE=$WALCAP_TEST_SSH_PASSPHRASE
ssh=(ssh.enabled=true ssh.host=127.0.0.1 "ssh.port=$SSHD_PORT" "ssh.user=$SSHD_USER"
     "ssh.private.key.file=$SSHD_KEY" "ssh.known.hosts.file=$SSHD_KNOWN_HOSTS"
     'table.include.list=public\.t' connect.backoff.initial.ms=200 connect.backoff.max.ms=1000)
host_key="ssh-ed25519 $SSHD_HOST_FPR"
tunnel_re="^walcap: INFO: SSH tunnel open: 127\.0\.0\.1:[0-9]+ -> $SSHD_USER@127\.0\.0\.1:$SSHD_PORT -> 127\.0\.0\.1:$PG_PORT; host key ssh-ed25519 ${SSHD_HOST_FPR//+/\\+} verified in $SSHD_KNOWN_HOSTS\$"

ids() { jq -r 'select(.source.table == "t") | .after.id' "$1"; }
table_ids() { psql_admin -c "SELECT id FROM t WHERE id >= $1 AND id < $2 ORDER BY id"; }
out_ids() { ids "$1" | awk -v a="$2" -v b="$3" '$1 >= a && $1 < b' | sort -n -u; }
dups() { ids "$1" | sort -n | uniq -d | tr '\n' ' '; }
caught_up() { [ "$(out_ids "$1" "$2" "$3" | wc -l)" = "$(table_ids "$2" "$3" | wc -l)" ]; }
# the OS process on the other end of the walsender's connection
walsender_peer() {
	local port
	port=$(psql_admin -c "SELECT client_port FROM pg_stat_replication WHERE application_name = 'walcap'")
	[ -n "$port" ] && ss -Htnp "sport = :$port" | grep -o 'users:(("[^"]*"' | sed 's/users:(("//; s/"$//'
}
# workload FIRST STOPFILE: one-row and three-row transactions until STOPFILE exists
workload() {
	local id=$1 stop=$2 n
	for ((n = 0; n < 2000; n++)); do
		[ -e "$stop" ] && return 0
		psql_admin -c "INSERT INTO t VALUES ($id, 'a')" \
			-c "INSERT INTO t VALUES ($((id + 1)), 'b'); INSERT INTO t VALUES ($((id + 2)), 'c'); INSERT INTO t VALUES ($((id + 3)), 'd')" \
			>/dev/null 2>&1 || sleep 0.05
		id=$((id + 4))
	done
}

# ---------------------------------------------------------------- 1. streaming through the tunnel
walcap_conf "$work/a.conf" "${ssh[@]}"
walcap_start "$work/out_a" "$work/err_a" "$work/a.conf"
pid_a=$WALCAP_PID
wait_until 15 grep -qs 'streaming from slot' "$work/err_a" || t_fail "1: walcap streams"
assert_match "1: the tunnel is logged with the verified host key" "$(cat "$work/err_a")" "$tunnel_re"
psql_admin -c "INSERT INTO t VALUES (1, 'one'), (2, 'two')"
wait_until 10 grep -qs '"id":2' "$work/out_a"
assert_eq "1: the events arrive through the tunnel" "$(normalize "$work/out_a")" \
'{"before":null,"after":{"id":1,"v":"one"},"source":{"version":"0.1.0","connector":"postgresql","name":"sshdb","snapshot":"false","db":"sshdb","schema":"public","table":"t"},"transaction":null,"op":"c"}
{"before":null,"after":{"id":2,"v":"two"},"source":{"version":"0.1.0","connector":"postgresql","name":"sshdb","snapshot":"false","db":"sshdb","schema":"public","table":"t"},"transaction":null,"op":"c"}'
assert_eq "1: the walsender's peer is the sshd, not walcap" "$(walsender_peer)" sshd
assert_eq "1: walcap's own connections all go to the tunnel's listener, none to $PG_PORT" \
	"$(ss -Htnp "dport = :$PG_PORT" | grep -c "pid=$pid_a," || true)" 0

# ---------------------------------------------------------------- 2. the sshd killed mid-stream, then started again
lines=$(wc -l <"$work/err_a")
workload 1001 "$work/stop" &
wl=$!
_LIB_PIDS+=("$wl")
sleep 1
sshd_kill || t_fail "2: sshd_kill"
wait_until 10 grep -qs 'replication connection lost' "$work/err_a" || t_fail "2: the loss is noticed"
sleep 1.5
sshd_start "$SSHD_PORT" || t_fail "2: sshd_start again on $SSHD_PORT"
wait_until 15 grep -qs 'SSH tunnel open again' "$work/err_a" || t_fail "2: the tunnel is opened again"
sleep 1
touch "$work/stop"
wait "$wl"
wait_until 20 caught_up "$work/out_a" 1001 100000
n=$(table_ids 1001 100000 | wc -l)
assert_eq "2: every row committed before, during and after the cut arrived ($n rows)" \
	"$(out_ids "$work/out_a" 1001 100000)" "$(table_ids 1001 100000)"
assert_eq "2: no event twice" "$(dups "$work/out_a")" ""
log=$(tail -n +"$((lines + 1))" "$work/err_a")
assert_match "2: the cut is logged as a lost connection" "$log" \
	'^walcap: WARNING: replication connection lost: .*; reconnecting in [0-9]+ ms$'
assert_match "2: attempts while the bastion is down fail with its cause" "$log" \
	"^walcap: WARNING: reconnection attempt [0-9]+ failed: could not open the SSH tunnel: cannot connect to the bastion 127\.0\.0\.1:$SSHD_PORT: Connection refused; next attempt in [0-9]+ ms\$"
assert_match "2: the lost session is named before it is opened again" "$log" \
	"^walcap: WARNING: SSH tunnel: the SSH connection to $SSHD_USER@127\.0\.0\.1:$SSHD_PORT was lost: .*; opening it again\$"
assert_match "2: the tunnel opens again with the same verified key" "$log" \
	"^walcap: INFO: SSH tunnel open again: 127\.0\.0\.1:[0-9]+ -> $SSHD_USER@127\.0\.0\.1:$SSHD_PORT -> 127\.0\.0\.1:$PG_PORT; host key ssh-ed25519 ${SSHD_HOST_FPR//+/\\+} verified in "
assert_match "2: reconnected" "$log" '^walcap: INFO: reconnected \(attempt [0-9]+\)$'
assert_eq "2: the walsender's peer is the new sshd" "$(walsender_peer)" sshd
walcap_stop
assert_rc "2: walcap stops cleanly" "$WALCAP_RC" 0

# ---------------------------------------------------------------- 3. host keys
# unknown: an empty known hosts file
: >"$work/empty_known_hosts"
walcap_conf "$work/b.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/empty_known_hosts"
err=$(walcap_run "$work/b.conf" 2>&1 >/dev/null); rc=$?
assert_rc "3a: unknown host key: exit 1" "$rc" 1
assert_eq "3a: unknown host key: refused with the fingerprint and the line to add" "$err" \
"walcap: ERROR: could not open the SSH tunnel: the SSH host key of 127.0.0.1:$SSHD_PORT is unknown: it presented $host_key, and $work/empty_known_hosts has no line for it
walcap: HINT: if $SSHD_HOST_FPR is the bastion's key (ssh-keygen -lf on its host key shows it), add this line to $work/empty_known_hosts: $(cat "$SSHD_KNOWN_HOSTS")"
# the line walcap proposes is the right one: with it, the tunnel opens
printf '%s\n' "${err##*: }" >"$work/learned_known_hosts"
walcap_conf "$work/b2.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/learned_known_hosts"
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/b2.conf" --endpos "$(current_lsn)" 2>&1 >/dev/null); rc=$?
assert_rc "3a: the proposed line, added, lets walcap in" "$rc" 0

# a known hosts file that does not exist
walcap_conf "$work/b3.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/none/known_hosts"
err=$(walcap_run "$work/b3.conf" 2>&1 >/dev/null); rc=$?
assert_rc "3b: no known hosts file: exit 1" "$rc" 1
assert_match "3b: no known hosts file: said so" "$err" \
	"^walcap: ERROR: could not open the SSH tunnel: the SSH host key of 127\.0\.0\.1:$SSHD_PORT is unknown: it presented ssh-ed25519 SHA256:[^ ]+, and $work/none/known_hosts does not exist\$"

# changed: the file holds another key for this host
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(awk '{print $1, $2}' "$SSHD_OTHER_KEY.pub")" >"$work/wrong_known_hosts"
walcap_conf "$work/c.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/wrong_known_hosts"
err=$(walcap_run "$work/c.conf" 2>&1 >/dev/null); rc=$?
assert_rc "3c: changed host key: exit 1" "$rc" 1
assert_eq "3c: changed host key: refused as a possible interception" "$err" \
"walcap: ERROR: could not open the SSH tunnel: the SSH host key of 127.0.0.1:$SSHD_PORT has CHANGED: it is now $host_key, and $work/wrong_known_hosts holds another key for it; someone may be intercepting the connection
walcap: HINT: if the bastion's key was replaced on purpose, check $SSHD_HOST_FPR against it (ssh-keygen -lf on the bastion's host key), then remove the old line (ssh-keygen -R '[127.0.0.1]:$SSHD_PORT' -f $work/wrong_known_hosts) and add the new one"

# ssh.host.key.check=false: the explicit, logged opt-out
walcap_conf "$work/d.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/wrong_known_hosts" ssh.host.key.check=false
psql_admin -c "INSERT INTO t VALUES (5000, 'unchecked')"
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/d.conf" --endpos "$(current_lsn)" 2>&1 >"$work/out_d"); rc=$?
assert_rc "3d: ssh.host.key.check=false: streams" "$rc" 0
assert_match "3d: ssh.host.key.check=false: a WARNING with the fingerprint" "$err" \
	"^walcap: WARNING: ssh\.host\.key\.check=false: the SSH host key of $SSHD_USER@127\.0\.0\.1:$SSHD_PORT \(ssh-ed25519 ${SSHD_HOST_FPR//+/\\+}\) is not the one in ssh\.known\.hosts\.file and was NOT verified\$"
assert_eq "3d: ssh.host.key.check=false: the event arrived" "$(ids "$work/out_d" | tail -n 1)" 5000

# ---------------------------------------------------------------- 4. the user's key
walcap_conf "$work/e.conf" "${ssh[@]}" "ssh.private.key.file=$SSHD_OTHER_KEY"
err=$(walcap_run "$work/e.conf" 2>&1 >/dev/null); rc=$?
assert_rc "4a: a key the bastion does not accept: exit 1" "$rc" 1
assert_eq "4a: a key the bastion does not accept: said so" "$err" \
"walcap: ERROR: could not open the SSH tunnel: the bastion 127.0.0.1:$SSHD_PORT refused the key $SSHD_OTHER_KEY for user \"$SSHD_USER\" (authentication failed; it accepts: publickey)
walcap: HINT: add the public key to ~$SSHD_USER/.ssh/authorized_keys on the bastion, or check ssh.user and ssh.private.key.file"

walcap_conf "$work/f.conf" "${ssh[@]}"
err=$(WALCAP_SSH_PRIVATE_KEY_PASSPHRASE= walcap_run "$work/f.conf" 2>&1 >/dev/null); rc=$?
assert_rc "4b: an encrypted key without its passphrase: exit 1" "$rc" 1
assert_eq "4b: an encrypted key without its passphrase: said so" "$err" \
"walcap: ERROR: could not open the SSH tunnel: ssh.private.key.file: \"$SSHD_KEY\" could not be loaded: it is encrypted (and no passphrase was given), or not a private key
walcap: HINT: give its passphrase in ssh.private.key.passphrase.file or WALCAP_SSH_PRIVATE_KEY_PASSPHRASE, and check that the file is an OpenSSH or PEM private key"
err=$(WALCAP_SSH_PRIVATE_KEY_PASSPHRASE=not-the-passphrase walcap_run "$work/f.conf" 2>&1 >/dev/null); rc=$?
assert_rc "4c: a wrong passphrase: exit 1" "$rc" 1
assert_match "4c: a wrong passphrase: said so" "$err" \
	"^walcap: ERROR: could not open the SSH tunnel: ssh\.private\.key\.file: \"$SSHD_KEY\" could not be loaded: wrong passphrase, or not a private key\$"

# the passphrase from its file
printf '%s\n' "$WALCAP_TEST_SSH_PASSPHRASE" >"$WALCAP_TEST_SECRETS_DIR/passphrase"
walcap_conf "$work/g.conf" "${ssh[@]}" "ssh.private.key.passphrase.file=$WALCAP_TEST_SECRETS_DIR/passphrase"
err=$(WALCAP_SSH_PRIVATE_KEY_PASSPHRASE= WALCAP_TIMEOUT=20 walcap_run "$work/g.conf" --endpos "$(current_lsn)" 2>&1 >/dev/null); rc=$?
assert_rc "4d: the passphrase from ssh.private.key.passphrase.file" "$rc" 0
assert_match "4d: ... and the tunnel opened" "$err" "$tunnel_re"

# ---------------------------------------------------------------- 5. the bastion cannot reach the database
walcap_conf "$work/h.conf" "${ssh[@]}" database.port=1
err=$(walcap_run "$work/h.conf" 2>&1 >/dev/null); rc=$?
assert_rc "5: database.port unreachable from the bastion: exit 1" "$rc" 1
assert_match "5: the bastion's refusal is the error, not libpq's closed connection" "$err" \
	"^walcap: ERROR: could not connect to 127\.0\.0\.1 port 1 as user \"streamkap_user\" to database \"sshdb\" through the SSH tunnel \($SSHD_USER@127\.0\.0\.1:$SSHD_PORT\): the bastion $SSHD_USER@127\.0\.0\.1:$SSHD_PORT could not open a connection to 127\.0\.0\.1:1: .*Connection refused\$"
assert_match "5: with the hint" "$err" \
	'^walcap: HINT: check database.hostname and database.port as the bastion sees them, and that its sshd allows TCP forwarding \(AllowTcpForwarding\)$'

# ---------------------------------------------------------------- 6. check, status, snapshot and setup through the tunnel
walcap_conf "$work/i.conf" "${ssh[@]}"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" check -c "$work/i.conf" 2>/dev/null); rc=$?
assert_match "6a: check: the tunnel is a PASS line with its host key" "$out" \
	"^PASS  ssh_tunnel: 127\.0\.0\.1:[0-9]+ -> $SSHD_USER@127\.0\.0\.1:$SSHD_PORT -> 127\.0\.0\.1:$PG_PORT, host key ssh-ed25519 ${SSHD_HOST_FPR//+/\\+} \(verified in $SSHD_KNOWN_HOSTS\)\$"
assert_match "6a: check: logged in through it" "$out" '^PASS  login: logged in as streamkap_user to database sshdb$'
assert_match "6a: check: tls line for the loopback database" "$out" \
	'^PASS  tls: not encrypted \(sslmode=prefer\), on the loopback interface of the bastion$'
walcap_conf "$work/j.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/wrong_known_hosts"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" check -c "$work/j.conf" 2>/dev/null); rc=$?
assert_rc "6b: check with a changed host key: exit 1" "$rc" 1
assert_match "6b: check: FAIL ssh_tunnel" "$out" \
	"^FAIL  ssh_tunnel: could not open the SSH tunnel: the SSH host key of 127\.0\.0\.1:$SSHD_PORT has CHANGED"
assert_match "6b: check: nothing tried without it" "$out" '^SKIP  login: not tried: no SSH tunnel$'
walcap_conf "$work/k.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/wrong_known_hosts" ssh.host.key.check=false
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" check -c "$work/k.conf" 2>/dev/null)
assert_match "6c: check warns about ssh.host.key.check=false" "$out" \
	'^WARN  ssh_tunnel: .*\(NOT verified: ssh.host.key.check=false\)$'

out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$work/i.conf" 2>"$work/err_status"); rc=$?
assert_rc "6d: status through the tunnel" "$rc" 0
assert_match "6d: status reads the slot" "$out" '^slot streamkap_pgoutput_slot \(plugin pgoutput, database sshdb\): inactive$'
assert_match "6d: status opened the tunnel" "$(cat "$work/err_status")" "$tunnel_re"

# setup --apply: the administrator's connection string names another host
# and port, which the tunnel replaces (the bastion reaches the database)
out=$(WALCAP_ADMIN_DSN="host=192.0.2.254 port=9 user=postgres" WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD \
	timeout 60 "$WALCAP" setup -c "$work/i.conf" --apply 2>"$work/err_setup"); rc=$?
assert_rc "6e: setup --apply through the tunnel" "$rc" 0
assert_match "6e: setup opened the tunnel" "$(cat "$work/err_setup")" "$tunnel_re"

out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$work/i.conf" --id ssh-snap public.t 2>&1); rc=$?
assert_rc "6f: snapshot signal through the tunnel (after setup granted USAGE on schema streamkap)" "$rc" 0
assert_eq "6f: the signal row is there" \
	"$(psql_admin -c "SELECT id || ' ' || type FROM streamkap.streamkap_signal WHERE id = 'ssh-snap'")" "ssh-snap execute-snapshot"


# ---------------------------------------------------------------- 7. the bastion's key changes under a running walcap
# the reconnection meets the new key: refused for good (exit 1), not retried
cp "$SSHD_KNOWN_HOSTS" "$work/known_hosts_7"
walcap_conf "$work/m.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/known_hosts_7"
walcap_start "$work/out_m" "$work/err_m" "$work/m.conf"
wait_until 15 grep -qs 'streaming from slot' "$work/err_m" || t_fail "7: walcap streams"
old_fpr=$SSHD_HOST_FPR
sshd_kill || t_fail "7: sshd_kill"
rm -f -- "$SSHD_DIR/host_ed25519_key"
sshd_start "$SSHD_PORT" || t_fail "7: sshd_start with a new host key"
[ "$SSHD_HOST_FPR" != "$old_fpr" ] && t_ok "7: the sshd has a new host key" || t_fail "7: the sshd has a new host key"
wait_until 20 eval '! kill -0 "$WALCAP_PID" 2>/dev/null'
walcap_stop
assert_rc "7: walcap stops with exit 1" "$WALCAP_RC" 1
assert_match "7: the changed key is refused for good" "$(cat "$work/err_m")" \
	"^walcap: ERROR: reconnection failed for good: could not open the SSH tunnel: the SSH host key of 127\.0\.0\.1:$SSHD_PORT has CHANGED: it is now ssh-ed25519 ${SSHD_HOST_FPR//+/\\+}, "
assert_match "7: nothing after it but its hint" "$(tail -n 1 "$work/err_m")" \
	"^walcap: HINT: if the bastion's key was replaced on purpose, check ${SSHD_HOST_FPR//+/\\+} against it "

t_done

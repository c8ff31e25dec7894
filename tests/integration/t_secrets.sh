#!/usr/bin/env bash
# Secrets (issue 7): the database password, the SSH key's passphrase and
# Kafka's SASL password come from the configuration file, a *.file key or
# the environment, never need the command line (where --set and
# --admin-dsn refuse them), and appear in no output: --print-config masks
# them.  (Every script's output and files are also scanned for the test
# secrets by lib.sh and tests/integration/run.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
pw=$WALCAP_TEST_PASSWORD
pp=$WALCAP_TEST_SSH_PASSPHRASE
kp=$WALCAP_TEST_KAFKA_PASSWORD
sec=$WALCAP_TEST_SECRETS_DIR
printf '%s\n' "$pw" >"$sec/db_password"
printf '%s\n' "$pp" >"$sec/ssh_passphrase"
printf '%s\n' "$kp" >"$sec/kafka_password"

pc() {   # CONF [args]: walcap run --print-config, no secret in the environment
	env -u WALCAP_DATABASE_PASSWORD -u WALCAP_SSH_PRIVATE_KEY_PASSPHRASE -u WALCAP_KAFKA_SASL_PASSWORD \
		"$@" 2>&1
}
line() { grep -E "^$1 =" <<<"$2"; }

# ---------------------------------------------------------------- 1. --print-config
cat >"$work/a.conf" <<EOF
database.hostname=db.internal
database.port=6543
database.user=streamkap_user
database.dbname=shop
database.password.file=$sec/db_password
ssh.enabled=true
ssh.host=bastion.example
ssh.user=ec2-user
ssh.private.key.file=$sec/id_ed25519
ssh.known.hosts.file=/etc/walcap/known_hosts
sink.type=kafka
kafka.bootstrap.servers=broker:9092
kafka.sasl.username=walcap
kafka.sasl.password.file=$sec/kafka_password
EOF
out=$(pc env WALCAP_SSH_PRIVATE_KEY_PASSPHRASE="$pp" timeout 10 "$WALCAP" run -c "$work/a.conf" --print-config --set log.level=debug); rc=$?
assert_rc "1: --print-config exits 0 without connecting (db.internal does not resolve)" "$rc" 0
assert_eq "1: the header" "$(head -n 1 <<<"$out")" '# walcap: the configuration in effect (secrets masked)'
assert_eq "1: the password from its file, masked" "$(line database.password "$out")" \
	'database.password = ******** (from database.password.file)'
assert_eq "1: the password file's path is shown" "$(line database.password.file "$out")" \
	"database.password.file = $sec/db_password"
assert_eq "1: the passphrase from the environment, masked" "$(line ssh.private.key.passphrase "$out")" \
	'ssh.private.key.passphrase = ******** (from WALCAP_SSH_PRIVATE_KEY_PASSPHRASE)'
assert_eq "1: the Kafka password from its file, masked" "$(line kafka.sasl.password "$out")" \
	'kafka.sasl.password = ********'
assert_eq "1: other Kafka properties as given" "$(line kafka.sasl.username "$out")" 'kafka.sasl.username = walcap'
assert_eq "1: --set values and defaults" "$(line log.level "$out"; line database.port "$out"; line slot.name "$out"; line topic.prefix "$out")" \
	'log.level = debug
database.port = 6543
slot.name = streamkap_pgoutput_slot
topic.prefix = shop'
assert_eq "1: every key is listed" "$(grep -c ' =' <<<"$out")" "$(($("$WALCAP" run --print-config --set database.user=u --set database.dbname=d | grep -c " =") + 3))"
assert_eq "1: no secret in it" "$(grep -cF -e "$pw" -e "$pp" -e "$kp" <<<"$out")" 0

out=$(pc env WALCAP_DATABASE_PASSWORD="$pw" WALCAP_KAFKA_SASL_PASSWORD="$kp" timeout 10 "$WALCAP" run --print-config \
	--set database.user=u --set database.dbname=d --set sink.type=kafka --set kafka.bootstrap.servers=b:1); rc=$?
assert_rc "1: from the environment: exit 0" "$rc" 0
assert_eq "1: the password from WALCAP_DATABASE_PASSWORD, masked" "$(line database.password "$out")" \
	'database.password = ******** (from WALCAP_DATABASE_PASSWORD)'
assert_eq "1: the Kafka password from WALCAP_KAFKA_SASL_PASSWORD, masked" "$(line kafka.sasl.password "$out")" \
	'kafka.sasl.password = ********'
assert_eq "1: not set: empty" "$(line ssh.private.key.passphrase "$out")" 'ssh.private.key.passphrase ='
assert_eq "1: no secret in it" "$(grep -cF -e "$pw" -e "$kp" <<<"$out")" 0

# ---------------------------------------------------------------- 2. never on the command line
for kv in "database.password=$pw" "ssh.private.key.passphrase=$pp" " ssh.private.key.passphrase =$pp" \
		"kafka.sasl.password=$kp" "kafka.ssl.key.password=$kp" "kafka.sasl.oauthbearer.client.secret=$kp"; do
	key=${kv%%=*}
	key=${key// /}
	out=$(pc timeout 10 "$WALCAP" run --print-config --set database.user=u --set database.dbname=d --set "$kv"); rc=$?
	assert_rc "2: --set $key: exit 2" "$rc" 2
	assert_match "2: --set $key: refused" "$out" "^walcap: ERROR: ${key//./\\.} cannot be given on the command line, where other users can read it\$"
	assert_eq "2: --set $key: the value is not repeated" "$(grep -cF -e "$pw" -e "$pp" -e "$kp" <<<"$out")" 0
done
out=$(pc timeout 10 "$WALCAP" run --print-config --set database.user=u --set database.dbname=d --set "ssh.private.key.passphrase=x")
assert_match "2: the hint names the file key and the environment variable" "$out" \
	'^walcap: HINT: put it in the -c file, in ssh\.private\.key\.passphrase\.file or in WALCAP_SSH_PRIVATE_KEY_PASSPHRASE$'

# the *.file keys hold paths: allowed
out=$(pc timeout 10 "$WALCAP" run --print-config --set database.user=u --set database.dbname=d --set sink.type=kafka \
	--set kafka.bootstrap.servers=b:1 --set "kafka.sasl.password.file=$sec/kafka_password"); rc=$?
assert_rc "2: --set kafka.sasl.password.file: allowed" "$rc" 0
assert_eq "2: --set kafka.sasl.password.file: read and masked" "$(line kafka.sasl.password "$out")" 'kafka.sasl.password = ********'
out=$(pc timeout 10 "$WALCAP" run --print-config --set database.user=u --set database.dbname=d --set "kafka.ssl.key.pem=x")
assert_match "2: kafka.ssl.key.pem: pointed at ssl.key.location" "$out" \
	'^walcap: HINT: put it in the -c file, or the key in a file named by kafka\.ssl\.key\.location$'

# setup --admin-dsn with a password: refused before anything is done
cat >"$work/s.conf" <<EOF
database.user=streamkap_user
database.dbname=shop
EOF
for form in conninfo URI; do
	dsn="host=127.0.0.1 user=postgres password=$pw"
	[ "$form" = URI ] && dsn="postgresql://postgres:$pw@127.0.0.1/shop"
	out=$(pc timeout 10 "$WALCAP" setup -c "$work/s.conf" --apply --admin-dsn "$dsn"); rc=$?
	assert_rc "2: --admin-dsn with a password ($form): exit 2" "$rc" 2
	assert_eq "2: --admin-dsn with a password: refused, with where to put it" "$out" \
'walcap: ERROR: --admin-dsn: the connection string holds a password, which other users can read on the command line
walcap: HINT: put the connection string in WALCAP_ADMIN_DSN instead, or the password in PGPASSWORD or ~/.pgpass'
done
# a connection string libpq cannot parse is not echoed (it may hold the password)
out=$(pc env WALCAP_ADMIN_DSN="host=127.0.0.1 $pw" timeout 10 "$WALCAP" setup -c "$work/s.conf" --apply); rc=$?
assert_rc "2: an unparsable WALCAP_ADMIN_DSN: exit 2" "$rc" 2
assert_eq "2: an unparsable WALCAP_ADMIN_DSN: not echoed" "$out" \
	'walcap: ERROR: the administrator connection string (WALCAP_ADMIN_DSN) is not valid conninfo: key=value pairs or a postgresql:// URI (not shown: it may hold a password)'

# ---------------------------------------------------------------- 3. a running walcap
pg_start
seed_setup secdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY)"
walcap_conf "$work/r.conf" "database.password.file=$sec/db_password"
env -u WALCAP_DATABASE_PASSWORD -u WALCAP_TEST_PASSWORD -u WALCAP_TEST_SSH_PASSPHRASE -u WALCAP_TEST_KAFKA_PASSWORD "$WALCAP" run -c "$work/r.conf" </dev/null >"$work/out_r" 2>"$work/err_r" &
WALCAP_PID=$!
_LIB_PIDS+=("$WALCAP_PID")
wait_until 10 grep -qs 'streaming from slot' "$work/err_r" || t_fail "3: walcap streams with the password from its file"
psql_admin -c "INSERT INTO t VALUES (7)"
wait_until 10 grep -qs '"id":7' "$work/out_r"
assert_eq "3: events flow" "$(jq -r .after.id "$work/out_r")" 7
assert_eq "3: its argument list holds no secret" "$(tr '\0' ' ' <"/proc/$WALCAP_PID/cmdline" | grep -cF "$pw")" 0
assert_eq "3: its environment holds no secret" "$(tr '\0' '\n' <"/proc/$WALCAP_PID/environ" | grep -cF "$pw")" 0
walcap_stop
assert_rc "3: stops cleanly" "$WALCAP_RC" 0
assert_eq "3: the offset file holds no secret" "$(grep -cF "$pw" "$work/r.conf.offsets")" 0

# a wrong password: the message names the user, never either password
printf 'not-%s\n' "$pw" >"$sec/wrong_password"
walcap_conf "$work/w.conf" "database.password.file=$sec/wrong_password"
out=$(env -u WALCAP_DATABASE_PASSWORD timeout 20 "$WALCAP" run -c "$work/w.conf" 2>&1 </dev/null); rc=$?
assert_rc "3: a wrong password from the file: exit 1" "$rc" 1
assert_match "3: a wrong password: the cause" "$out" 'password authentication failed for user "streamkap_user"'
assert_eq "3: a wrong password: not shown" "$(grep -cF "$pw" <<<"$out")" 0

# ---------------------------------------------------------------- 4. walcap setup
# Printed, the script holds a placeholder whatever source configures the
# password; applied, the new user's password is in no output and (hashed
# first) not in the server's statement log.
cat >"$sec/inline.conf" <<EOF
database.user=streamkap_user
database.dbname=secdb
database.password=$pw
EOF
walcap_conf "$work/file.conf" "database.password.file=$sec/db_password"
for src in "WALCAP_SETUP_USER_PASSWORD|$work/s.conf" "WALCAP_DATABASE_PASSWORD|$work/s.conf" \
		"database.password.file|$work/file.conf" "database.password|$sec/inline.conf"; do
	IFS='|' read -r from conf <<<"$src"
	case $from in
		WALCAP_*) out=$(env "$from=$pw" timeout 10 "$WALCAP" setup -c "$conf" 2>&1); rc=$? ;;
		*) out=$(pc timeout 10 "$WALCAP" setup -c "$conf"); rc=$? ;;
	esac
	assert_rc "4: setup printed, password from $from: exit 0" "$rc" 0
	assert_eq "4: setup printed, password from $from: the placeholder" "$(grep '^CREATE USER' <<<"$out")" \
		'CREATE USER "streamkap_user" PASSWORD :'"'"'password'"'"';'
	assert_eq "4: setup printed, password from $from: never the password" "$(grep -cF "$pw" <<<"$out")" 0
done
psql_admin -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
logged=$(wc -c <"$PG_TMP/postgres.log")
walcap_conf "$work/new.conf" database.user=new_user "database.password.file=$sec/db_password"
out=$(env -u WALCAP_DATABASE_PASSWORD timeout 30 "$WALCAP" setup -c "$work/new.conf" --apply \
	--admin-dsn "host=$PG_SOCK port=$PG_PORT user=postgres dbname=secdb" 2>&1); rc=$?
assert_rc "4: setup --apply, password from its file: exit 0" "$rc" 0
assert_match "4: setup --apply: the user is created" "$out" '^done     CREATE USER "new_user"$'
assert_eq "4: setup --apply: never the password in its output" "$(grep -cF "$pw" <<<"$out")" 0
assert_eq "4: setup --apply: the server's statement log has the verifier, not the password" \
	"$(tail -c +"$((logged + 1))" "$PG_TMP/postgres.log" | grep -c -e "PASSWORD 'SCRAM-SHA-256" -e "$pw")" 1
assert_eq "4: the new user logs in with the password" \
	"$(PGPASSWORD=$pw "$PGBIN/psql" -X -At -w -h 127.0.0.1 -p "$PG_PORT" -U new_user -d secdb -c 'SELECT current_user')" new_user

t_done

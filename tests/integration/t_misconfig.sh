#!/usr/bin/env bash
# Each misconfiguration gives its one clear message (and the fix), a
# non-zero exit status, and no hang; the password never shows.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup mcdb
psql_admin -d mcdb -c "SELECT pg_create_logical_replication_slot('td_slot', 'test_decoding')" >/dev/null
psql_admin -c "CREATE DATABASE otherdb"

work=$T_TMP
walcap_conf "$work/ok.conf" database.dbname=mcdb "offset.storage.file.filename=$work/offsets"

# run_case NAME EXPECTED_STATUS [walcap run args...]: runs walcap with a
# 30 s limit, keeps stderr in $err and the status in $rc.
run_case() {
	local name=$1 want=$2
	shift 2
	err=$(WALCAP_DATABASE_PASSWORD=${PW-$WALCAP_TEST_PASSWORD} timeout 30 \
		"$WALCAP" run -c "$work/ok.conf" "$@" 2>&1 >"$work/stdout")
	rc=$?
	assert_eq "$name: exit status" "$rc" "$want"
	assert_eq "$name: nothing on stdout" "$(cat "$work/stdout")" ""
	if grep -qF -- "$WALCAP_TEST_PASSWORD" <<<"$err"; then
		assert_eq "$name: password not shown" shown "not shown"
	fi
}

# expect_line TEXT: the stderr of the last case contains TEXT.
expect_line() {
	if grep -qF -- "$1" <<<"$err"; then
		assert_eq "stderr has: $1" yes yes
	else
		assert_eq "stderr has: $1" "$err" "(a line containing) $1"
	fi
}

PW=wrong-password-123 run_case "wrong password" 1
expect_line 'walcap: ERROR: could not connect to 127.0.0.1 port'
expect_line 'password authentication failed for user "streamkap_user"'
expect_line 'walcap: HINT: check database.password'

run_case "unknown host" 1 --set database.hostname=no-such-host.invalid
expect_line 'could not translate host name "no-such-host.invalid"'
expect_line 'walcap: HINT: check database.hostname'

run_case "nothing listening" 1 --set database.port=1
expect_line 'Connection refused'
expect_line 'walcap: HINT: is PostgreSQL running at database.hostname:database.port'

run_case "unknown database" 1 --set database.dbname=nosuchdb
expect_line 'database "nosuchdb" does not exist'

# a missing slot on the first run (no offset file) is created ...
run_case "missing slot, first run" 0 --set slot.name=new_slot \
	--set "offset.storage.file.filename=$work/new.offsets" --endpos "$(current_lsn)"
expect_line 'walcap: INFO: created replication slot "new_slot" at '
assert_eq "missing slot, first run: the slot exists, pgoutput" \
	"$(psql_admin -d mcdb -c "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'new_slot'")" pgoutput
psql_admin -d mcdb -c "SELECT pg_drop_replication_slot('new_slot')" >/dev/null
# ... but after delivering from it, its loss is an error
sysid=$(psql_admin -d mcdb -c "SELECT system_identifier FROM pg_control_system()")
printf '# walcap offset file, version 1: written by walcap, do not edit\nsystem=%s\ndatabase=mcdb\nslot=missing_slot\nlsn=0/1000000\n' \
	"$sysid" >"$work/lost.offsets"
run_case "missing slot" 1 --set slot.name=missing_slot --set "offset.storage.file.filename=$work/lost.offsets"
expect_line 'walcap: ERROR: replication slot "missing_slot" does not exist: the changes committed after 0/1000000, the last position walcap delivered, can no longer be streamed'
expect_line 'walcap: HINT: either set snapshot.mode=when_needed, and walcap recreates the slot and takes a new snapshot of every table; or move the offset file '"$work"'/lost.offsets away, and walcap starts over with a new slot and an initial snapshot'

run_case "slot with another plugin" 1 --set slot.name=td_slot
expect_line 'walcap: ERROR: replication slot "td_slot" uses the output plugin "test_decoding"; walcap reads pgoutput'

run_case "slot of another database" 1 --set database.dbname=otherdb
expect_line 'walcap: ERROR: replication slot "streamkap_pgoutput_slot" belongs to database "mcdb", not "otherdb"'

run_case "missing publication" 1 --set publication.name=no_pub
expect_line 'walcap: ERROR: publication "no_pub" does not exist in database "mcdb"'
expect_line 'walcap: HINT: create it as the setup guide does: CREATE PUBLICATION "no_pub" FOR ALL TABLES;'

psql_admin -d mcdb -c "ALTER ROLE streamkap_user NOREPLICATION"
run_case "user without REPLICATION" 1
expect_line 'ALTER ROLE <user> REPLICATION'
psql_admin -d mcdb -c "ALTER ROLE streamkap_user REPLICATION"

# configuration errors: exit 2 before any connection is made
run_case "unknown key" 2 --set database.prot=5432
expect_line 'unknown key "database.prot"'
run_case "bad value" 2 --set binary.handling.mode=b64
expect_line 'binary.handling.mode: "b64" is not one of bytes, base64, base64-url-safe, hex'
run_case "password on the command line" 2 --set database.password=secret
expect_line 'database.password cannot be given on the command line'
err=$(timeout 10 "$WALCAP" run --set database.hostname=127.0.0.1 2>&1); rc=$?
assert_eq "missing required key: exit status" "$rc" 2
expect_line 'database.user'
err=$(timeout 10 "$WALCAP" run -c "$work/nonexistent.conf" 2>&1); rc=$?
assert_eq "missing config file: exit status" "$rc" 2
expect_line "$work/nonexistent.conf"
err=$(timeout 10 "$WALCAP" frobnicate 2>&1); rc=$?
assert_eq "unknown command: exit status" "$rc" 2
expect_line 'unknown command "frobnicate"'
err=$(timeout 10 "$WALCAP" run -c "$work/ok.conf" --endpos nonsense 2>&1); rc=$?
assert_eq "bad --endpos: exit status" "$rc" 2
expect_line '--endpos: "nonsense" is not an LSN'

# wal_level not logical: logical slots must go first, or the server
# refuses to start
psql_admin -d mcdb -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
psql_admin -c "ALTER SYSTEM SET wal_level = replica"
pg_restart
run_case "wal_level replica" 1
expect_line 'walcap: ERROR: the server'"'"'s wal_level is "replica"; logical decoding needs "logical"'
expect_line 'ALTER SYSTEM SET wal_level = logical'
expect_line 'rds.logical_replication = 1'

t_done

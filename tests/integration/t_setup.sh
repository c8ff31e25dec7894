#!/usr/bin/env bash
# walcap setup: the seed's SQL printed for the configured names (never the
# password), --apply on a fresh database (then walcap streams as the new
# user), the new user's password from each of its sources (and logging in
# with it), none at all (refused before any step), --apply again changes
# nothing, identifiers that need quoting, RDS detection, and a failing
# step (the report on stdout, the error on stderr).  The server logs every
# statement: the password never reaches it in clear.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start -c log_statement=all sdb
work=$T_TMP
pw=$WALCAP_TEST_PASSWORD
sec=$WALCAP_TEST_SECRETS_DIR
admin() { printf 'host=%s port=%s user=postgres dbname=%s' "$PG_SOCK" "$PG_PORT" "$1"; }
setup() {   # CONF [args...]
	local conf=$1
	shift
	timeout 30 "$WALCAP" setup -c "$conf" "$@" </dev/null
}
login_as() {   # PASSWORD: log in as streamkap_user over TCP with it; prints current_user
	PGPASSWORD=$1 timeout 20 "$PGBIN/psql" -X -At -w -h 127.0.0.1 -p "$PG_PORT" -U streamkap_user \
		-d sdb -c "SELECT current_user" 2>/dev/null
}
drop_user() {
	psql_admin >/dev/null <<'SQL'
DROP OWNED BY streamkap_user;
DROP ROLE streamkap_user;
SQL
}
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
walcap_conf "$work/s.conf"

# (1) printed, no connection; the password never appears
out=$(WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD setup "$work/s.conf" 2>"$work/err"); rc=$?
assert_rc "print: exit 0" "$rc" 0
assert_eq "print: the statements in the seed's order" "$(grep -v -e '^--' -e '^$' -e '^  ' -e '^);' <<<"$out")" \
'\if :{?password}
\else
\prompt '"'"'Password for the new user: '"'"' password
\endif
CREATE USER "streamkap_user" PASSWORD :'"'"'password'"'"';
CREATE ROLE "streamkap_role";
GRANT "streamkap_role" TO "streamkap_user";
ALTER ROLE "streamkap_user" REPLICATION;
GRANT CONNECT ON DATABASE "sdb" TO "streamkap_role";
GRANT CREATE, USAGE ON SCHEMA "public" TO "streamkap_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "streamkap_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "streamkap_role";
CREATE SCHEMA "streamkap";
CREATE TABLE "streamkap"."streamkap_signal" (
GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role";
GRANT SELECT, UPDATE, INSERT ON TABLE "streamkap"."streamkap_signal" TO "streamkap_role";
CREATE PUBLICATION "streamkap_pub" FOR ALL TABLES;
SELECT pg_create_logical_replication_slot('"'"'streamkap_pgoutput_slot'"'"', '"'"'pgoutput'"'"');'
assert_match "print: the signal table as the seed defines it" "$(tr '\n' ' ' <<<"$out")" \
	'id VARCHAR\(255\) PRIMARY KEY,   type VARCHAR\(32\) NOT NULL,   data VARCHAR\(2000\) NULL \);'
assert_match "print: wal_level instruction" "$out" '^--   ALTER SYSTEM SET wal_level = logical;$'
assert_match "print: partition root as a comment" "$out" '^-- WITH \(publish_via_partition_root = true\)$'
if grep -q "$WALCAP_TEST_PASSWORD" <<<"$out$(cat "$work/err")"; then
	t_fail "print: no password in the output"
else
	t_ok "print: no password in the output"
fi
# the printed script runs as is under psql
psql_admin -d postgres -c "CREATE DATABASE pdb" >/dev/null
walcap_conf "$work/p.conf" database.dbname=pdb slot.name=p_slot
setup "$work/p.conf" >"$work/p.sql" 2>/dev/null
if psql_admin -d pdb -v password=pw1 -f "$work/p.sql" >/dev/null 2>"$work/perr"; then
	t_ok "print: psql runs the script"
else
	t_fail "print: psql runs the script" "$(head -3 "$work/perr")"
fi
assert_eq "print: -v password sets the password" "$(PGPASSWORD=pw1 timeout 20 "$PGBIN/psql" -X -At -w \
	-h 127.0.0.1 -p "$PG_PORT" -U streamkap_user -d pdb -c "SELECT current_user" 2>&1)" streamkap_user
# without -v password, psql asks (here on its standard input: no terminal)
psql_admin -d pdb -c "SELECT pg_drop_replication_slot('p_slot')" >/dev/null
psql_admin -d postgres -c "DROP DATABASE pdb" >/dev/null
psql_admin -d postgres -c "DROP OWNED BY streamkap_user, streamkap_role; DROP ROLE streamkap_user; DROP ROLE streamkap_role" >/dev/null
psql_admin -d postgres -c "CREATE DATABASE pdb" >/dev/null
if printf 'pw2\n' | PGDATABASE=pdb timeout 60 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$PG_SOCK" \
		-p "$PG_PORT" -U postgres -f "$work/p.sql" >"$work/pout" 2>"$work/perr"; then
	t_ok "print: psql runs the script, asking for the password"
else
	t_fail "print: psql runs the script, asking for the password" "$(head -3 "$work/perr")"
fi
assert_eq "print: the prompt" "$(head -c 26 "$work/pout")" "Password for the new user:"
assert_eq "print: the password psql asked for is set" "$(PGPASSWORD=pw2 timeout 20 "$PGBIN/psql" -X -At -w \
	-h 127.0.0.1 -p "$PG_PORT" -U streamkap_user -d pdb -c "SELECT current_user" 2>&1)" streamkap_user
psql_admin -d pdb -c "SELECT pg_drop_replication_slot('p_slot')" >/dev/null

psql_admin -d postgres -c "DROP DATABASE pdb" >/dev/null
psql_admin -d postgres -c "DROP OWNED BY streamkap_user, streamkap_role; DROP ROLE streamkap_user; DROP ROLE streamkap_role" >/dev/null

# (2a) --apply with no password for the user it would create: refused
# before the first step, naming every source; nothing is applied
out=$(setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
assert_rc "no password: exit 2" "$rc" 2
assert_eq "no password: stdout empty" "$out" ""
assert_eq "no password: the error names every source" "$(cat "$work/err")" \
'walcap: ERROR: setup --apply: no password for the user "streamkap_user" it would create
walcap: HINT: set WALCAP_SETUP_USER_PASSWORD, or configure the password walcap logs in with: database.password in the -c file, database.password.file or WALCAP_DATABASE_PASSWORD'
assert_eq "no password: nothing applied (roles, schema, publication, slot)" \
	"$(psql_admin -c "SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'streamkap%'), (SELECT count(*) FROM pg_namespace WHERE nspname = 'streamkap'), (SELECT count(*) FROM pg_publication), (SELECT count(*) FROM pg_replication_slots)")" \
	'0|0|0|0'

# (2) --apply on a fresh database, the password from
# WALCAP_SETUP_USER_PASSWORD; walcap then streams as the new user
out=$(WALCAP_SETUP_USER_PASSWORD=$pw setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
assert_rc "apply: exit 0" "$rc" 0
assert_eq "apply: stderr says where the password came from" "$(cat "$work/err")" \
	'walcap: INFO: user "streamkap_user" created with the password from WALCAP_SETUP_USER_PASSWORD'
assert_eq "apply: psql logs in as the new user with that password" "$(login_as "$pw")" streamkap_user
assert_eq "apply: each step done" "$(grep -E '^(done|exists|FAILED)' <<<"$out")" \
'done     CREATE USER "streamkap_user"
done     CREATE ROLE "streamkap_role"
done     GRANT "streamkap_role" TO "streamkap_user"
done     ALTER ROLE "streamkap_user" REPLICATION
done     GRANT CONNECT ON DATABASE "sdb" TO "streamkap_role"
done     GRANT CREATE, USAGE ON SCHEMA "public" TO "streamkap_role"
done     GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "streamkap_role"
done     ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "streamkap_role"
done     CREATE SCHEMA "streamkap"
done     CREATE TABLE "streamkap"."streamkap_signal"
done     GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role"
done     GRANT SELECT, UPDATE, INSERT ON TABLE "streamkap"."streamkap_signal" TO "streamkap_role"
done     CREATE PUBLICATION "streamkap_pub"
done     SELECT pg_create_logical_replication_slot('"'"'streamkap_pgoutput_slot'"'"', '"'"'pgoutput'"'"')'
if grep -q "$WALCAP_TEST_PASSWORD" <<<"$out$(cat "$work/err")"; then
	t_fail "apply: no password in the output"
else
	t_ok "apply: no password in the output"
fi
psql_admin -c "INSERT INTO t VALUES (1, 'one')"
walcap_run "$work/s.conf" --endpos "$(current_lsn)" >"$work/ev1" 2>"$work/run1.err"; rc=$?
assert_rc "apply: walcap run as the new user exits 0" "$rc" 0
assert_eq "apply: the insert streams" "$(jq -c '[.op, .source.schema, .source.table, .after.v]' "$work/ev1" 2>&1)" \
	'["c","public","t","one"]'

# (3) --apply again changes nothing; the user exists, so no password is needed
out=$(setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
assert_rc "apply again: exit 0" "$rc" 0
assert_eq "apply again: stderr empty" "$(cat "$work/err")" ""
assert_eq "apply again: the user is left alone" "$(head -1 <<<"$out")" 'exists   CREATE USER "streamkap_user"'
assert_eq "apply again: objects exist, grants done" "$(grep -E '^(done|exists|FAILED)' <<<"$out" | cut -c1-9 | sort | uniq -c | tr -s ' ')" \
' 7 done 
 7 exists '
assert_eq "apply again: one publication, one slot" \
	"$(psql_admin -c "SELECT (SELECT count(*) FROM pg_publication), (SELECT count(*) FROM pg_replication_slots)")" '1|1'

# (3b) without WALCAP_SETUP_USER_PASSWORD the new user gets the password
# walcap logs in with, from whichever source configures it.  Each case has
# its own password (the test password plus a suffix, so a leak is caught).
printf '%s\n' "${pw}File" >"$sec/pw_file"
walcap_conf "$sec/file.conf" "database.password.file=$sec/pw_file"
walcap_conf "$sec/inline.conf" "database.password=${pw}Conf"
for case in "database.password.file|$sec/file.conf|${pw}File|" \
		"WALCAP_DATABASE_PASSWORD|$work/s.conf|${pw}Env|${pw}Env" \
		"database.password|$sec/inline.conf|${pw}Conf|"; do
	IFS='|' read -r from conf want env <<<"$case"
	drop_user
	if [ -n "$env" ]; then
		out=$(WALCAP_DATABASE_PASSWORD=$env setup "$conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
	else
		out=$(setup "$conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
	fi
	assert_rc "from $from: exit 0" "$rc" 0
	assert_eq "from $from: the user is created" "$(head -1 <<<"$out")" 'done     CREATE USER "streamkap_user"'
	assert_eq "from $from: stderr names the source" "$(cat "$work/err")" \
		"walcap: INFO: user \"streamkap_user\" created with the password from $from"
	assert_eq "from $from: psql logs in with that password" "$(login_as "$want")" streamkap_user
	assert_eq "from $from: not with another" "$(login_as "$pw")" ""
done

# (3c) WALCAP_SETUP_USER_PASSWORD wins over the configured password, with a
# warning that walcap will not log in until they agree
drop_user
out=$(WALCAP_SETUP_USER_PASSWORD=$pw WALCAP_DATABASE_PASSWORD="${pw}Env" \
	setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
assert_rc "both set: exit 0" "$rc" 0
assert_eq "both set: stderr" "$(cat "$work/err")" \
'walcap: INFO: user "streamkap_user" created with the password from WALCAP_SETUP_USER_PASSWORD
walcap: WARNING: WALCAP_SETUP_USER_PASSWORD differs from the password walcap logs in with (from WALCAP_DATABASE_PASSWORD)
walcap: HINT: walcap fails to log in as "streamkap_user" until the two agree'
assert_eq "both set: the user has WALCAP_SETUP_USER_PASSWORD's" "$(login_as "$pw") / $(login_as "${pw}Env")" \
	'streamkap_user / '

# (4) names that need quoting
psql_admin -d postgres -c "CREATE DATABASE qdb" >/dev/null
psql_admin -d qdb >/dev/null <<'SQL'
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed ""Case"" T" (id int PRIMARY KEY, v text);
CREATE TABLE "Odd Schema".other (id int PRIMARY KEY);
SQL
walcap_conf "$work/q.conf" database.dbname=qdb slot.name=q_slot publication.name='Q "pub"' \
	'schema.include.list=Odd Schema' 'table.include.list=Odd Schema\.Mixed "Case" T'
out=$(WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD setup "$work/q.conf" --apply --admin-dsn "$(admin qdb)" 2>&1); rc=$?
assert_rc "quoting: apply exit 0" "$rc" 0
assert_match "quoting: schema grant" "$out" '^done     GRANT CREATE, USAGE ON SCHEMA "Odd Schema" TO "streamkap_role"$'
assert_match "quoting: publication" "$out" '^done     CREATE PUBLICATION "Q ""pub"""$'
assert_eq "quoting: the publication's tables" \
	"$(psql_admin -d qdb -c "SELECT schemaname || '.' || tablename FROM pg_publication_tables ORDER BY 1")" \
'Odd Schema.Mixed "Case" T
streamkap.streamkap_signal'
out=$(setup "$work/q.conf" --admin-dsn "$(admin qdb)" 2>&1)
assert_match "quoting: printed FOR TABLE list" "$out" \
	'^CREATE PUBLICATION "Q ""pub""" FOR TABLE "Odd Schema"\."Mixed ""Case"" T", "streamkap"\."streamkap_signal";$'
psql_admin -d qdb -c "INSERT INTO \"Odd Schema\".\"Mixed \"\"Case\"\" T\" VALUES (7, 'seven')"
PG_DB=qdb walcap_run "$work/q.conf" --endpos "$(current_lsn)" >"$work/ev2" 2>"$work/run2.err"; rc=$?
assert_rc "quoting: walcap run exits 0" "$rc" 0
assert_eq "quoting: the table's insert streams" "$(jq -c '[.op, .source.schema, .source.table, .after.v]' "$work/ev2" 2>&1)" \
	'["c","Odd Schema","Mixed \"Case\" T","seven"]'

# (5) a failing step: a non-superuser administrator (a DSN holding a
# password goes through WALCAP_ADMIN_DSN, never the command line)
walcap_conf "$work/f.conf" database.user=other_user
out=$(WALCAP_SETUP_USER_PASSWORD=x \
	WALCAP_ADMIN_DSN="host=127.0.0.1 port=$PG_PORT user=streamkap_user dbname=sdb password=$WALCAP_TEST_PASSWORD" \
	setup "$work/f.conf" --apply 2>"$work/err"); rc=$?
assert_rc "non-superuser: exit 1" "$rc" 1
assert_eq "non-superuser: the report on stdout ends with the FAILED step" "$out" \
	'FAILED   CREATE USER "other_user": permission denied to create role'
assert_eq "non-superuser: the error on stderr" "$(cat "$work/err")" \
'walcap: ERROR: setup --apply stopped at CREATE USER "other_user": permission denied to create role
walcap: HINT: nothing was changed; fix the cause and run setup --apply again: steps already done are skipped or repeated harmlessly'
if grep -q "$WALCAP_TEST_PASSWORD" <<<"$out$(cat "$work/err")"; then
	t_fail "non-superuser: no admin password in the output"
else
	t_ok "non-superuser: no admin password in the output"
fi
# a later step fails (the non-superuser may not grant the role): the
# steps before it are in the report; the server's own message for that
# statement, as psql gets it, is in both
why=$(PGPASSWORD=$pw "$PGBIN/psql" -X -At -w -h 127.0.0.1 -p "$PG_PORT" -U streamkap_user -d sdb \
	-c 'GRANT "streamkap_role" TO "streamkap_user"' 2>&1 | sed -n 's/^ERROR:  //p')
out=$(WALCAP_ADMIN_DSN="host=127.0.0.1 port=$PG_PORT user=streamkap_user dbname=sdb password=$WALCAP_TEST_PASSWORD" \
	setup "$work/s.conf" --apply 2>"$work/err"); rc=$?
assert_rc "a later step fails: exit 1" "$rc" 1
assert_eq "a later step fails: the report" "$out" \
"exists   CREATE USER \"streamkap_user\"
exists   CREATE ROLE \"streamkap_role\"
FAILED   GRANT \"streamkap_role\" TO \"streamkap_user\": $why"
assert_eq "a later step fails: the error on stderr" "$(cat "$work/err")" \
"walcap: ERROR: setup --apply stopped at GRANT \"streamkap_role\" TO \"streamkap_user\": $why
walcap: HINT: the steps before it were applied; fix the cause and run setup --apply again: steps already done are skipped or repeated harmlessly"
out=$(setup "$work/s.conf" --apply 2>"$work/err"); rc=$?
assert_rc "--apply without an admin connection: exit 2" "$rc" 2
assert_eq "--apply without an admin connection: stdout empty, the error on stderr" "$out/ $(cat "$work/err")" \
'/ walcap: ERROR: --apply needs an administrator connection
walcap: HINT: give --admin-dsn CONNINFO or set WALCAP_ADMIN_DSN'

# (6) RDS detection
psql_admin -c "CREATE ROLE rds_superuser; CREATE ROLE rds_replication"
out=$(WALCAP_ADMIN_DSN=$(admin sdb) setup "$work/s.conf" 2>&1); rc=$?
assert_rc "rds: exit 0" "$rc" 0
assert_match "rds: grant rds_replication" "$out" '^GRANT "rds_replication" TO "streamkap_role";$'
assert_match "rds: parameter group steps" "$out" '^--   6\. Set the rds\.logical_replication parameter value to 1$'
assert_match "rds: wal_sender_timeout step" "$out" '^--   7\. Set the wal_sender_timeout parameter value to 0'
if grep -q 'REPLICATION;' <<<"$out"; then
	t_fail "rds: no ALTER ROLE ... REPLICATION"
else
	t_ok "rds: no ALTER ROLE ... REPLICATION"
fi

# the server logged every statement walcap sent: the new user's password
# only as its SCRAM verifier, never in clear
log=$PG_TMP/postgres.log
assert_eq "server log: CREATE USER carries a SCRAM verifier" \
	"$(grep -c "CREATE USER \"streamkap_user\" PASSWORD 'SCRAM-SHA-256\\\$4096:" "$log")" 5
assert_eq "server log: no password in clear" "$(grep -cF "$pw" "$log")" 0

t_done

#!/usr/bin/env bash
# walcap setup: the seed's SQL printed for the configured names (never the
# password), --apply on a fresh database (then walcap streams as the new
# user), --apply again changes nothing, identifiers that need quoting,
# RDS detection, and a failing step.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start sdb
work=$T_TMP
admin() { printf 'host=%s port=%s user=postgres dbname=%s' "$PG_SOCK" "$PG_PORT" "$1"; }
setup() {   # CONF [args...]
	local conf=$1
	shift
	timeout 30 "$WALCAP" setup -c "$conf" "$@" </dev/null
}
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
walcap_conf "$work/s.conf"

# (1) printed, no connection; the password never appears
out=$(WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD setup "$work/s.conf" 2>"$work/err"); rc=$?
assert_rc "print: exit 0" "$rc" 0
assert_eq "print: the statements in the seed's order" "$(grep -v -e '^--' -e '^$' -e '^  ' -e '^);' <<<"$out")" \
'CREATE USER "streamkap_user" PASSWORD :'"'"'password'"'"';
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

# (2) --apply on a fresh database; walcap then streams as the new user
psql_admin -d postgres -c "DROP DATABASE pdb" >/dev/null
psql_admin -d postgres -c "DROP OWNED BY streamkap_user, streamkap_role; DROP ROLE streamkap_user; DROP ROLE streamkap_role" >/dev/null
out=$(WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>"$work/err"); rc=$?
assert_rc "apply: exit 0" "$rc" 0
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

# (3) --apply again changes nothing
out=$(WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD setup "$work/s.conf" --apply --admin-dsn "$(admin sdb)" 2>&1); rc=$?
assert_rc "apply again: exit 0" "$rc" 0
assert_eq "apply again: objects exist, grants done" "$(grep -E '^(done|exists|FAILED)' <<<"$out" | cut -c1-9 | sort | uniq -c | tr -s ' ')" \
' 7 done 
 7 exists '
assert_eq "apply again: one publication, one slot" \
	"$(psql_admin -c "SELECT (SELECT count(*) FROM pg_publication), (SELECT count(*) FROM pg_replication_slots)")" '1|1'

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
	setup "$work/f.conf" --apply 2>&1); rc=$?
assert_rc "non-superuser: exit 1" "$rc" 1
assert_eq "non-superuser: FAILED line last" "$(tail -1 <<<"$out")" \
	'FAILED   CREATE USER "other_user": permission denied to create role'
if grep -q "$WALCAP_TEST_PASSWORD" <<<"$out"; then
	t_fail "non-superuser: no admin password in the output"
else
	t_ok "non-superuser: no admin password in the output"
fi
out=$(setup "$work/s.conf" --apply 2>&1); rc=$?
assert_rc "--apply without an admin connection: exit 2" "$rc" 2

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

t_done

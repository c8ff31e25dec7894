#!/usr/bin/env bash
# t_harness.sh — the harness itself, without walcap: a throwaway cluster set up
# as the seed describes, reachable by streamkap_user over TCP with its password,
# and the seed's own verification query working for that user.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start -c wal_sender_timeout=60s || { t_fail "pg_start"; t_done; }
t_ok "pg_start (port $PG_PORT, $PG_TMP)"

assert_eq "server is PostgreSQL 15" "$(psql_admin -c "SELECT current_setting('server_version_num')::int / 10000")" 15
assert_eq "wal_level" "$(psql_admin -c "SHOW wal_level")" logical
assert_eq "listens on 127.0.0.1 only" "$(psql_admin -c "SHOW listen_addresses")" 127.0.0.1
assert_eq "timezone" "$(psql_admin -c "SHOW timezone")" UTC

# A table before the seed (SELECT ON ALL TABLES) and one after (default privileges).
psql_admin -d postgres -c "CREATE DATABASE app" >/dev/null
PG_DB=app psql_admin -c "CREATE TABLE items (id int PRIMARY KEY, name text)" >/dev/null
if seed_setup app; then t_ok "seed_setup app"; else t_fail "seed_setup app"; fi
assert_eq "PG_DB follows seed_setup" "$PG_DB" app
psql_admin -c "CREATE TABLE later (id int PRIMARY KEY)" >/dev/null
psql_admin -c "INSERT INTO items VALUES (1, 'one'), (2, 'two')" >/dev/null

assert_eq "streamkap_user is in streamkap_role" \
    "$(psql_admin -c "SELECT pg_has_role('streamkap_user', 'streamkap_role', 'MEMBER')")" t
assert_eq "streamkap_user has REPLICATION" \
    "$(psql_admin -c "SELECT rolreplication FROM pg_roles WHERE rolname = 'streamkap_user'")" t
assert_eq "password is stored as SCRAM" \
    "$(psql_admin -c "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'streamkap_user'")" SCRAM-SHA-256\$

# The seed's verification, as streamkap_user over TCP with the password.
peek="SELECT count(*) FROM pg_logical_slot_peek_binary_changes('streamkap_pgoutput_slot', null, null, 'proto_version', '1', 'publication_names', 'streamkap_pub');"
n=$(psql_user -c "$peek" 2>&1)
# BEGIN, RELATION, INSERT x2, COMMIT for the insert into items (later's DDL decodes to nothing).
assert_eq "seed verification query as streamkap_user over TCP" "$n" 5

out=$(WALCAP_DATABASE_PASSWORD=not-the-password psql_user -c "SELECT 1" 2>&1); rc=$?
assert_rc "wrong password is refused" "$rc" 2
assert_match "wrong password message" "$out" 'password authentication failed for user "streamkap_user"'

out=$(timeout 10 "$PGBIN/psql" -X -At -w -h "$PG_SOCK" -p "$PG_PORT" -U streamkap_user -d app -c "SELECT 1" 2>&1); rc=$?
assert_rc "socket without password is refused for streamkap_user" "$rc" 2

assert_eq "streamkap_user reads tables from before and after the seed" \
    "$(psql_user -c "SELECT count(*) FROM items" -c "SELECT count(*) FROM later" 2>&1)" $'2\n0'
# The seed grants on the signal table but not USAGE on schema streamkap, so
# the user holds the table privileges yet cannot reach the table through SQL.
assert_eq "streamkap_role holds the seed's signal-table privileges" \
    "$(psql_admin -c "SELECT has_table_privilege('streamkap_user', 'streamkap.streamkap_signal', 'SELECT,INSERT,UPDATE')")" t
assert_eq "the seed grants no USAGE on schema streamkap" \
    "$(psql_admin -c "SELECT has_schema_privilege('streamkap_user', 'streamkap', 'USAGE')")" f

assert_match "signal table is in the publication" \
    "$(psql_admin -c "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'streamkap_pub'")" \
    '^streamkap\.streamkap_signal$'
assert_eq "FOR ALL TABLES publication" \
    "$(psql_admin -c "SELECT puballtables FROM pg_publication WHERE pubname = 'streamkap_pub'")" t
assert_eq "slot uses pgoutput in app" \
    "$(psql_admin -c "SELECT plugin || ' ' || database || ' ' || slot_type FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")" \
    "pgoutput app logical"

# A replication=database connection, as walcap makes it.
out=$(PGPASSWORD=$WALCAP_TEST_PASSWORD timeout 10 "$PGBIN/psql" -X -At -w \
      "host=127.0.0.1 port=$PG_PORT user=streamkap_user dbname=app replication=database" \
      -c "IDENTIFY_SYSTEM" 2>&1)
assert_match "IDENTIFY_SYSTEM over replication=database as streamkap_user" "$out" '^[0-9]+\|1\|[0-9A-F]+/[0-9A-F]+\|app$'

# The FOR TABLE variant, in a second database, with another slot.
psql_admin -d postgres -c "CREATE DATABASE second" >/dev/null
PG_DB=second psql_admin -c "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY)" >/dev/null
if SEED_SLOT=second_slot SEED_PUB_WITH="publish_via_partition_root = true" seed_setup second public.a b; then
    t_ok "seed_setup with a table list"
else
    t_fail "seed_setup with a table list"
fi
assert_eq "table-list publication holds the tables and the signal table" \
    "$(psql_admin -c "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'streamkap_pub' ORDER BY 1")" \
    $'public.a\npublic.b\nstreamkap.streamkap_signal'
assert_eq "publish_via_partition_root" \
    "$(psql_admin -c "SELECT pubviaroot FROM pg_publication WHERE pubname = 'streamkap_pub'")" t

# SEED_SLOT= / SEED_PUB= skip those objects.
psql_admin -d postgres -c "CREATE DATABASE third" >/dev/null
if SEED_SLOT='' SEED_PUB='' seed_setup third; then t_ok "seed_setup without slot and publication"; else t_fail "seed_setup without slot and publication"; fi
assert_eq "no publication in third" "$(psql_admin -c "SELECT count(*) FROM pg_publication")" 0
assert_eq "slots: only the two made" "$(psql_admin -c "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")" \
    "second_slot,streamkap_pgoutput_slot"

# LSN helpers.
PG_DB=app
assert_match "current_lsn" "$(current_lsn)" '^[0-9A-F]+/[0-9A-F]+$'
assert_match "slot_lsn" "$(slot_lsn)" '^[0-9A-F]+/[0-9A-F]+$'

# walcap_conf: the cluster's coordinates, overrides in place, no password.
walcap_conf "$T_TMP/w.conf" slot.name=s1 database.dbname=other sink.type=stdout
assert_eq "walcap_conf" "$(grep -v '^#' "$T_TMP/w.conf")" \
"database.hostname=127.0.0.1
database.port=$PG_PORT
database.user=streamkap_user
database.dbname=other
offset.storage.file.filename=$T_TMP/w.conf.offsets
snapshot.mode=no_data
slot.name=s1
sink.type=stdout"
if grep -q "$WALCAP_TEST_PASSWORD" "$T_TMP/w.conf"; then t_fail "no password in the config file"; else t_ok "no password in the config file"; fi

# normalize drops the volatile fields and keeps the order.
ev='{"before":null,"after":{"id":1},"source":{"version":"x","connector":"postgresql","name":"app","ts_ms":17,"snapshot":"false","db":"app","sequence":"[null,\"1\"]","schema":"public","table":"items","txId":5,"lsn":99,"xmin":null},"op":"c","ts_ms":18}'
assert_eq "normalize" "$(printf '%s\n%s\n' "$ev" '{"op":"d","ts_ms":1,"source":{"lsn":2}}' | normalize)" \
'{"before":null,"after":{"id":1},"source":{"version":"x","connector":"postgresql","name":"app","snapshot":"false","db":"app","schema":"public","table":"items"},"op":"c"}
{"op":"d","source":{}}'

# A failing assert_eq must count as a failure and show a diff: check it in a
# subshell whose counters are thrown away.
out=$( (T_PASSED=0 T_FAILED=0; assert_eq demo "a" "b"; echo "failed=$T_FAILED") 2>&1)
assert_match "assert_eq reports a diff" "$out" '^-b$'
assert_match "assert_eq counts a failure" "$out" '^failed=1$'

# wait_until is bounded.
t0=$SECONDS
if wait_until 1 false; then t_fail "wait_until false"; else t_ok "wait_until false returns non-zero"; fi
[ $((SECONDS - t0)) -le 3 ] && t_ok "wait_until is bounded" || t_fail "wait_until is bounded"

# pg_stop: server gone, directory gone.
pm=$(head -n 1 "$PG_DATA/postmaster.pid")
dir=$PG_TMP
pg_stop
if ! wait_until 10 eval "! kill -0 $pm 2>/dev/null"; then t_fail "pg_stop stops the server"; else t_ok "pg_stop stops the server"; fi
if [ -e "$dir" ]; then t_fail "pg_stop removes $dir"; else t_ok "pg_stop removes the temp dir"; fi

t_done

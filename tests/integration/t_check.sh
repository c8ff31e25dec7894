#!/usr/bin/env bash
# walcap check: a database set up by `walcap setup --apply` passes; each
# misconfiguration of the setup guide gives its exact FAIL line and a fix
# that, run as printed, makes the check pass again; --json; exit status.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
check() {   # CONF [args...]
	WALCAP_DATABASE_PASSWORD=${WALCAP_DATABASE_PASSWORD-$WALCAP_TEST_PASSWORD} \
		timeout 60 "$WALCAP" check -c "$@" </dev/null
}
# One check's block: its PASS/WARN/FAIL/SKIP line and its why/fix lines.
block() {   # NAME <report
	awk -v n="$1:" '/^      / { if (on) print; next }
		{ on = ($1 ~ /^(PASS|WARN|FAIL|SKIP)$/ && $2 == n); if (on) print }'
}
# The fix lines of one check, as SQL to run.
fix_sql() {   # NAME <report
	block "$1" | sed -n -e 's/^      fix: //p' -e 's/^           //p'
}
verdicts() {   # <report: "VERDICT name" per check
	awk '$1 ~ /^(PASS|WARN|FAIL|SKIP)$/ { sub(":", "", $2); print $1, $2 }'
}

# (1) a cluster at wal_level = replica
pg_start -c wal_level=replica rdb
psql_admin -c "CREATE USER streamkap_user LOGIN REPLICATION PASSWORD '$WALCAP_TEST_PASSWORD'" >/dev/null
walcap_conf "$work/r.conf"
out=$(check "$work/r.conf" 2>&1); rc=$?
assert_rc "wal_level replica: exit 1" "$rc" 1
assert_eq "wal_level replica: the line and the fix" "$(block wal_level <<<"$out")" \
'FAIL  wal_level: wal_level = replica, must be logical
      why: without it the server writes no logical decoding information and no slot can stream changes
      fix: ALTER SYSTEM SET wal_level = logical;
           -- then restart PostgreSQL (a reload is not enough)'
pg_stop

# (2) set up by walcap setup --apply: nothing fails
pg_start cdb
admin() { printf 'host=%s port=%s user=postgres dbname=%s' "$PG_SOCK" "$PG_PORT" "$1"; }
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.t (id int PRIMARY KEY, v text);
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed ""Case"" T" (id int PRIMARY KEY);
SQL
walcap_conf "$work/c.conf"
WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" setup -c "$work/c.conf" \
	--apply --admin-dsn "$(admin cdb)" >"$work/setup.out" 2>&1 || cat "$work/setup.out"
psql_admin >/dev/null <<'SQL'
GRANT USAGE ON SCHEMA "Odd Schema" TO streamkap_role;
GRANT SELECT ON ALL TABLES IN SCHEMA "Odd Schema" TO streamkap_role;
SQL
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "fresh setup: exit 0" "$rc" 0
# PostgreSQL 17 and later: one more line, whether the slot is a failover slot
fo=0 fo_line=
[ "$PG_VERSION_NUM" -ge 170000 ] && fo=1 fo_line=$'\nPASS slot_failover'
assert_eq "fresh setup: every check" "$(verdicts <<<"$out")" \
"PASS login
PASS tls
PASS server_version
PASS wal_level
WARN wal_sender_timeout
PASS replication_slots
PASS wal_senders
PASS replication
PASS connect
PASS replication_connection
PASS publication
PASS signal_table
PASS signal_grants
PASS signal_publication
PASS tables
PASS schema_usage
PASS select
PASS publication_tables
PASS replica_identity
PASS slot
PASS slot_wal
PASS slot_active$fo_line
PASS decoding
PASS wal_retention"
assert_eq "fresh setup: header and summary" "$(sed -n -e 1p -e '$p' <<<"$out")" \
"walcap check: database cdb at 127.0.0.1:$PG_PORT as streamkap_user, publication streamkap_pub, slot streamkap_pgoutput_slot
$((23 + fo)) passed, 1 warning, 0 failed, 0 skipped"
assert_eq "fresh setup: wal_sender_timeout warns (no heartbeat)" "$(block wal_sender_timeout <<<"$out")" \
'WARN  wal_sender_timeout: wal_sender_timeout = 1min and no heartbeat is configured (heartbeat.interval.ms with heartbeat.action.query or heartbeat.logical.message)
      why: a non-zero timeout may disconnect an idle connector on a low-volume database unless heartbeats are enabled
      fix: ALTER SYSTEM SET wal_sender_timeout = 0;
           SELECT pg_reload_conf();'
assert_eq "fresh setup: tls on the loopback interface" "$(block tls <<<"$out")" \
'PASS  tls: not encrypted (sslmode=prefer), on the loopback interface of this machine'
assert_eq "fresh setup: signal table line" "$(block signal_table <<<"$out")" \
'PASS  signal_table: streamkap.streamkap_signal (id character varying(255), type character varying(32), data character varying(2000))'
assert_eq "wal_sender_timeout with heartbeats configured: passes" \
    "$(check "$work/c.conf" --set heartbeat.interval.ms=10000 --set heartbeat.logical.message=true 2>&1 | block wal_sender_timeout)" \
    'PASS  wal_sender_timeout: wal_sender_timeout = 1min; heartbeats every 10000 ms (heartbeat.logical.message)'
fix_sql wal_sender_timeout <<<"$out" | psql_admin >/dev/null
out=$(check "$work/c.conf" 2>&1)
assert_eq "wal_sender_timeout = 0 after the fix" "$(block wal_sender_timeout <<<"$out")" \
	'PASS  wal_sender_timeout: wal_sender_timeout = 0'
assert_eq "--json: summary" "$(check "$work/c.conf" --json | jq -c '.summary')" \
	"{\"pass\":$((24 + fo)),\"warn\":0,\"fail\":0,\"skip\":0}"
assert_eq "--json: one check" "$(check "$work/c.conf" --json | jq -c '.checks[] | select(.name == "slot")')" \
	'{"name":"slot","status":"PASS","message":"replication slot streamkap_pgoutput_slot (pgoutput, database cdb)","why":null,"fix":null}'

# Run a check's fix as printed, then expect its PASS line.
fixes() {   # NAME PASS-LINE
	fix_sql "$1" <<<"$out" | psql_admin >/dev/null 2>"$work/fix.err" || cat "$work/fix.err"
	assert_eq "$1: passes after the printed fix" "$(check "$work/c.conf" 2>&1 | block "$1")" "$2"
}

# (3) the user without REPLICATION
psql_admin -c "ALTER ROLE streamkap_user NOREPLICATION" >/dev/null
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "no REPLICATION: exit 1" "$rc" 1
assert_eq "no REPLICATION: the line and the fix" "$(block replication <<<"$out")" \
'FAIL  replication: streamkap_user has neither REPLICATION nor superuser
      why: a logical replication connection needs it; walcap cannot stream without it
      fix: ALTER ROLE "streamkap_user" REPLICATION;'
assert_eq "no REPLICATION: dependent checks are skipped" \
	"$(block replication_connection <<<"$out"; block decoding <<<"$out")" \
'SKIP  replication_connection: needs the replication privilege
SKIP  decoding: needs the replication privilege'
fixes replication 'PASS  replication: streamkap_user has the REPLICATION attribute'

# (4) no SELECT on a table whose name needs quoting
psql_admin -c 'REVOKE SELECT ON "Odd Schema"."Mixed ""Case"" T" FROM streamkap_role' >/dev/null
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "no SELECT: exit 1" "$rc" 1
assert_eq "no SELECT: the line and the fix" "$(block select <<<"$out")" \
'FAIL  select: streamkap_user lacks SELECT on Odd Schema.Mixed "Case" T
      why: snapshots read every captured table; without SELECT its existing rows cannot be captured
      fix: GRANT SELECT ON "Odd Schema"."Mixed ""Case"" T" TO "streamkap_role";'
fixes select 'PASS  select: SELECT on every captured table'

# (5) no USAGE on a captured schema
psql_admin -c 'REVOKE USAGE ON SCHEMA "Odd Schema" FROM streamkap_role' >/dev/null
out=$(check "$work/c.conf" 2>&1)
assert_eq "no USAGE: the line and the fix" "$(block schema_usage <<<"$out")" \
'FAIL  schema_usage: streamkap_user lacks USAGE on schema Odd Schema.*
      why: without USAGE on a schema its tables cannot be read for snapshots or type lookups
      fix: GRANT USAGE ON SCHEMA "Odd Schema" TO "streamkap_role";'
fixes schema_usage 'PASS  schema_usage: USAGE on every captured schema'

# (6) the signal table missing
psql_admin -c "DROP TABLE streamkap.streamkap_signal" >/dev/null
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "signal table missing: exit 1" "$rc" 1
assert_eq "signal table missing: the line and the fix" "$(block signal_table <<<"$out")" \
'FAIL  signal_table: streamkap.streamkap_signal does not exist
      why: snapshots are requested and tracked through it; without it no snapshot can run
      fix: CREATE SCHEMA IF NOT EXISTS "streamkap";
           CREATE TABLE "streamkap"."streamkap_signal" (id VARCHAR(255) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2000) NULL);
           GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role";
           GRANT SELECT, UPDATE, INSERT ON TABLE "streamkap"."streamkap_signal" TO "streamkap_role";'
fixes signal_table 'PASS  signal_table: streamkap.streamkap_signal (id character varying(255), type character varying(32), data character varying(2000))'

# (7) the signal table with other columns
psql_admin >/dev/null <<'SQL'
DROP TABLE streamkap.streamkap_signal;
CREATE TABLE streamkap.streamkap_signal (id int PRIMARY KEY, kind text);
GRANT SELECT, INSERT, UPDATE ON streamkap.streamkap_signal TO streamkap_role;
SQL
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "signal table columns: exit 1" "$rc" 1
assert_eq "signal table columns: the line" "$(block signal_table <<<"$out" | head -2)" \
'FAIL  signal_table: streamkap.streamkap_signal has columns (id integer, kind text), expected (id varchar, type varchar, data varchar)
      why: signals are read as rows (id, type, data); with other columns walcap cannot read them'
assert_eq "signal table columns: the fix starts with the drop" "$(fix_sql signal_table <<<"$out" | head -1)" \
	'DROP TABLE "streamkap"."streamkap_signal";'
fixes signal_table 'PASS  signal_table: streamkap.streamkap_signal (id character varying(255), type character varying(32), data character varying(2000))'

# (8) the signal table without its grants
psql_admin -c "REVOKE INSERT, UPDATE ON streamkap.streamkap_signal FROM streamkap_role" >/dev/null
out=$(check "$work/c.conf" 2>&1)
assert_eq "signal grants: the line" "$(block signal_grants <<<"$out" | head -1)" \
	'FAIL  signal_grants: streamkap_user lacks INSERT UPDATE'
fixes signal_grants 'PASS  signal_grants: USAGE on schema streamkap; SELECT, INSERT, UPDATE on streamkap.streamkap_signal'

# (9) a FOR TABLE publication without the signal table, and without a table
psql_admin >/dev/null <<'SQL'
DROP PUBLICATION streamkap_pub;
CREATE PUBLICATION streamkap_pub FOR TABLE public.t;
SQL
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "signal table outside the publication: exit 1" "$rc" 1
assert_eq "signal table outside the publication: the line and the fix" "$(block signal_publication <<<"$out")" \
'FAIL  signal_publication: streamkap.streamkap_signal is not in publication streamkap_pub
      why: signals reach walcap through the stream; a signal table outside the publication is never seen
      fix: ALTER PUBLICATION "streamkap_pub" ADD TABLE "streamkap"."streamkap_signal";'
assert_eq "a captured table outside the publication: the line and the fix" "$(block publication_tables <<<"$out")" \
'FAIL  publication_tables: not in publication streamkap_pub: Odd Schema.Mixed "Case" T
      why: changes of a table outside the publication are never streamed (after adding it, snapshot it: its earlier changes are not in the stream)
      fix: ALTER PUBLICATION "streamkap_pub" ADD TABLE "Odd Schema"."Mixed ""Case"" T";'
fixes signal_publication 'PASS  signal_publication: streamkap.streamkap_signal is in publication streamkap_pub'
fixes publication_tables 'PASS  publication_tables: publication streamkap_pub covers every captured table'

# (10) the publication missing
psql_admin -c "DROP PUBLICATION streamkap_pub" >/dev/null
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "publication missing: exit 1" "$rc" 1
assert_eq "publication missing: the line and the fix" "$(block publication <<<"$out")" \
'FAIL  publication: publication streamkap_pub does not exist
      why: the publication selects which tables'"'"' changes the slot streams; walcap cannot start without it
      fix: CREATE PUBLICATION "streamkap_pub" FOR ALL TABLES;
           -- or FOR TABLE the captured tables and "streamkap"."streamkap_signal" (walcap setup prints it for the include lists)'
assert_eq "publication missing: decoding skipped" "$(block decoding <<<"$out")" \
	'SKIP  decoding: needs the publication'
fixes publication 'PASS  publication: publication streamkap_pub exists (FOR ALL TABLES)'

# (11) the slot missing
psql_admin -c "SELECT pg_drop_replication_slot('streamkap_pgoutput_slot')" >/dev/null
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "slot missing: exit 1" "$rc" 1
assert_eq "slot missing: the line and the fix" "$(block slot <<<"$out")" \
'FAIL  slot: replication slot streamkap_pgoutput_slot does not exist
      why: the slot keeps the server'"'"'s WAL until walcap has delivered it; walcap does not create it
      fix: SELECT pg_create_logical_replication_slot('"'"'streamkap_pgoutput_slot'"'"', '"'"'pgoutput'"'"');'
assert_eq "slot missing: later slot checks skipped" "$(block decoding <<<"$out"; block wal_retention <<<"$out")" \
'SKIP  decoding: needs a usable slot
SKIP  wal_retention: no slot'
fixes slot 'PASS  slot: replication slot streamkap_pgoutput_slot (pgoutput, database cdb)'

# (12) the slot created with test_decoding
psql_admin >/dev/null <<'SQL'
SELECT pg_drop_replication_slot('streamkap_pgoutput_slot');
SELECT pg_create_logical_replication_slot('streamkap_pgoutput_slot', 'test_decoding');
SQL
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "slot with test_decoding: exit 1" "$rc" 1
assert_eq "slot with test_decoding: the line and the fix" "$(block slot <<<"$out")" \
'FAIL  slot: replication slot streamkap_pgoutput_slot uses plugin test_decoding, must be pgoutput
      why: walcap decodes pgoutput'"'"'s binary protocol; a slot of another plugin sends something else
      fix: SELECT pg_drop_replication_slot('"'"'streamkap_pgoutput_slot'"'"');
           SELECT pg_create_logical_replication_slot('"'"'streamkap_pgoutput_slot'"'"', '"'"'pgoutput'"'"');
           -- changes not yet consumed from the old slot are lost: snapshot afterwards'
fixes slot 'PASS  slot: replication slot streamkap_pgoutput_slot (pgoutput, database cdb)'

# (13) the slot active in another session (walcap itself, running)
walcap_start "$work/run.out" "$work/run.err" "$work/c.conf"
slot_active() { [ "$(psql_admin -c "SELECT active FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")" = t ]; }
wait_until 20 slot_active
pid=$(psql_admin -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "slot active elsewhere: exit 1" "$rc" 1
assert_eq "slot active elsewhere: the line and the fix" "$(block slot_active <<<"$out")" \
"FAIL  slot_active: replication slot streamkap_pgoutput_slot is active in another session (pid $pid)
      why: a slot streams to one session at a time; walcap cannot start while another holds it (expected if walcap is running)
      fix: SELECT pg_terminate_backend($pid);  -- or stop the other consumer"
assert_eq "slot active elsewhere: decoding skipped" "$(block decoding <<<"$out")" \
	'SKIP  decoding: needs a usable slot'
walcap_stop
assert_eq "slot released: passes" "$(check "$work/c.conf" 2>&1 | block slot_active)" \
	'PASS  slot_active: replication slot streamkap_pgoutput_slot is not in use'

# (14) tables without a primary key, and with REPLICA IDENTITY NOTHING
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.nopk (a int);
CREATE TABLE public.nothing (id int PRIMARY KEY);
ALTER TABLE public.nothing REPLICA IDENTITY NOTHING;
CREATE TABLE public.full_ident (a int);
ALTER TABLE public.full_ident REPLICA IDENTITY FULL;
SQL
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "no primary key: exit 1" "$rc" 1
assert_eq "no primary key: the line and the fix" "$(block replica_identity <<<"$out")" \
'FAIL  replica_identity: no primary key or replica identity: public.nopk, public.nothing
      why: once a table is published, UPDATE and DELETE on it fail without a primary key or replica identity
      fix: ALTER TABLE "public"."nopk" ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE "public"."nopk" REPLICA IDENTITY FULL;
           ALTER TABLE "public"."nothing" ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE "public"."nothing" REPLICA IDENTITY FULL;'
# the server agrees: an UPDATE on the published table fails
psql_admin -c "INSERT INTO public.nopk VALUES (1)" >/dev/null
if psql_admin -c "UPDATE public.nopk SET a = 2" >/dev/null 2>"$work/upd.err"; then
	t_fail "no primary key: UPDATE fails on the server"
else
	assert_match "no primary key: UPDATE fails on the server" "$(cat "$work/upd.err")" \
		'cannot update table "nopk" because it does not have a replica identity and publishes updates'
fi
psql_admin -c "ALTER TABLE public.nopk REPLICA IDENTITY FULL; ALTER TABLE public.nothing REPLICA IDENTITY DEFAULT" >/dev/null
assert_eq "replica identity fixed: passes" "$(check "$work/c.conf" 2>&1 | block replica_identity)" \
	'PASS  replica_identity: every captured table has a primary key or replica identity'

# (15) a partitioned table without publish_via_partition_root
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.parts (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE public.parts_1 PARTITION OF public.parts FOR VALUES FROM (0) TO (10);
SQL
out=$(check "$work/c.conf" 2>&1)
assert_eq "partition root: the line and the fix" "$(block partition_root <<<"$out")" \
'FAIL  partition_root: publication streamkap_pub has publish_via_partition_root = false and captures partitioned public.parts
      why: without it changes arrive under each partition'"'"'s name, which the include lists may not match
      fix: ALTER PUBLICATION "streamkap_pub" SET (publish_via_partition_root = true);'
fix_sql partition_root <<<"$out" | psql_admin >/dev/null
assert_eq "partition root fixed: no partition_root line" "$(check "$work/c.conf" 2>&1 | block partition_root)" ''

# (16) RDS / Aurora: replication through rds_replication
psql_admin -c "CREATE ROLE rds_superuser; CREATE ROLE rds_replication; ALTER ROLE streamkap_user NOREPLICATION" >/dev/null
out=$(check "$work/c.conf" 2>&1)
assert_eq "rds: the line and the fix" "$(block replication <<<"$out")" \
'FAIL  replication: streamkap_user has neither REPLICATION nor rds_replication
      why: a logical replication connection needs it; walcap cannot stream without it
      fix: GRANT rds_replication TO "streamkap_role";'
assert_eq "rds: without rds.* settings wal_level is what counts" "$(block wal_level <<<"$out")" \
	'PASS  wal_level: wal_level = logical'
fixes replication 'PASS  replication: streamkap_user has rds_replication'
psql_admin -c "DROP ROLE rds_replication; DROP ROLE rds_superuser; ALTER ROLE streamkap_user REPLICATION" >/dev/null

# (17) an invalidated slot (its WAL removed past max_slot_wal_keep_size)
psql_admin >/dev/null <<'SQL'
ALTER SYSTEM SET max_slot_wal_keep_size = '1MB';
ALTER SYSTEM SET max_wal_size = '32MB';
ALTER SYSTEM SET min_wal_size = '32MB';
SELECT pg_reload_conf();
SQL
psql_admin -c "INSERT INTO public.t SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g" >/dev/null
out=$(check "$work/c.conf" 2>&1)
assert_match "retained WAL past half the limit: warns" "$(block wal_retention <<<"$out" | head -1)" \
	'^WARN  wal_retention: the slot retains [0-9.]+ MiB of WAL, max_slot_wal_keep_size = 1MB \(wal_status (reserved|extended|unreserved), safe_wal_size -?[0-9]+\)$'
for _ in 1 2 3 4; do psql_admin -c "SELECT pg_switch_wal()" >/dev/null; psql_admin -c "INSERT INTO public.t VALUES (100000 + $RANDOM, 'y') ON CONFLICT DO NOTHING" >/dev/null; done
psql_admin -c "CHECKPOINT" >/dev/null
lost() { [ "$(psql_admin -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")" = lost ]; }
wait_until 20 lost
out=$(check "$work/c.conf" 2>&1); rc=$?
assert_rc "invalidated slot: exit 1" "$rc" 1
assert_eq "invalidated slot: the line" "$(block slot_wal <<<"$out" | head -2)" \
'FAIL  slot_wal: replication slot streamkap_pgoutput_slot is invalidated (wal_status lost)
      why: the WAL the slot needed was removed (max_slot_wal_keep_size): changes since are gone for good'
assert_eq "invalidated slot: decoding skipped" "$(block decoding <<<"$out")" \
	'SKIP  decoding: needs a usable slot'
psql_admin -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null
fix_sql slot_wal <<<"$out" | psql_admin >/dev/null
assert_eq "invalidated slot: recreated by the fix" "$(check "$work/c.conf" 2>&1 | block slot_wal)" \
	'PASS  slot_wal: wal_status reserved'

# (18) a wrong password: one FAIL line, the hint, never the password
out=$(WALCAP_DATABASE_PASSWORD=not-the-password check "$work/c.conf" 2>&1); rc=$?
assert_rc "wrong password: exit 1" "$rc" 1
assert_eq "wrong password: the line and the fix" "$(block login <<<"$out")" \
"FAIL  login: could not connect to 127.0.0.1 port $PG_PORT as user \"streamkap_user\" to database \"cdb\": connection to server at \"127.0.0.1\", port $PG_PORT failed: FATAL:  password authentication failed for user \"streamkap_user\"
      why: every other check, and walcap itself, need this connection
      fix: check database.password (or WALCAP_DATABASE_PASSWORD, database.password.file, PGPASSWORD, ~/.pgpass) for database.user"
if grep -q not-the-password <<<"$out"; then
	t_fail "wrong password: the password is not printed"
else
	t_ok "wrong password: the password is not printed"
fi

# (19) usage errors
out=$(check "$work/c.conf" --bogus 2>&1); rc=$?
assert_rc "unknown option: exit 2" "$rc" 2

t_done

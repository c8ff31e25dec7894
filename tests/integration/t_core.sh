#!/usr/bin/env bash
# t_core.sh — the version matrix's core checks: what walcap must do on
# every PostgreSQL 10-18.  `make matrix` runs it under every major of
# scripts/pg-versions (PG_MAJOR=NN); the full suite runs it on 15.
#
#   - walcap setup --apply, then walcap check: the exact verdicts
#   - every op (insert, update, update of the key, delete, truncate) and
#     replica identity (DEFAULT, FULL, NOTHING, USING INDEX)
#   - the numbers whose text depends on the version: floats in the fewest
#     digits (alone and in arrays), bigints beyond 2^53, streamed and in
#     both snapshots
#   - an unchanged out-of-line TOAST column (DEFAULT identity)
#   - a logical-decoding message
#   - walcap status after a run
#   - an incremental snapshot (execute-snapshot signal) and an initial
#     snapshot (snapshot.mode=initial on a slot walcap creates)
#
# What differs by version, and is asserted so:
#   - truncate: pgoutput sends Truncate from 11; on 10 a TRUNCATE yields
#     no event at all
#   - logical messages: pgoutput has the "messages" option from 14 (walcap
#     asks for it there); before 14 a message yields no event and walcap
#     does not fail
#   - floats: before 12 the server prints 18 or 9 digits, which walcap
#     shortens; the text is the same on every version
#   - wal_status / safe_wal_size / max_slot_wal_keep_size from 13: check's
#     slot_wal and wal_retention lines, status's wal_status line
#   - failover slots from 17: check's slot_failover line, status's
#     failover line
#
# The matrix's other scripts (tests/run-matrix) cover the rest on every
# version: t_types.sh (every type in every mode, jsonpath from 12,
# multiranges and numeric Infinity from 14, the geometric types, both
# snapshots), t_toast.sh (REPLICA IDENTITY FULL with an unchanged TOAST
# value, placeholders shaped like the column) and t_failover.sh
# (slot.failover); partitioned tables are t_partition.sh's.
#
# One cluster, one database, one walcap run per topic: setup, check, the
# stream (--endpos), status, the incremental snapshot, the initial one.
# Every expected line is written from the contract (docs/events.md, the
# README, docs/config.md) or computed by PostgreSQL, never captured from
# walcap.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-30}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=60

DB=coredb
# log_replication_commands: the server logs the START_REPLICATION walcap sends.
pg_start -c log_replication_commands=on "$DB" || { t_fail "pg_start"; t_done; }
V=$PG_VERSION_NUM
echo "# PostgreSQL $(psql_admin -c 'SHOW server_version') ($V)"
VER=$("$WALCAP" --version | awk '{print $2}')
work=$T_TMP

# ---------------------------------------------------------------- helpers
# The normalized event for one row change: ev OP SCHEMA.TABLE BEFORE AFTER
# [SNAPSHOT]; database and source.name are $DB (topic.prefix's default).
ev() {
	local st=$2
	printf '{"before":%s,"after":%s,"source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"%s","db":"%s","schema":"%s","table":"%s"},"transaction":null,"op":"%s"}\n' \
		"$3" "$4" "$VER" "$DB" "${5:-false}" "$DB" "${st%%.*}" "${st#*.}" "$1"
}

# select_tables FILE TABLE...: normalized events of those tables only.
select_tables() {
	local f=$1
	shift
	normalize "$f" | jq -c --args 'select(.source.table as $t | $ARGS.positional | index($t))' "$@"
}

# unbig: the 12,800-character TOAST value as <BIG> and the number row's
# expected "after" as <NUMS> (exact matches only), so that a difference is
# readable.
unbig() {
	jq -c --arg b "$BIG" --argjson nums "${NUMS_EXPECTED:-null}" \
		'walk(if . == $b then "<BIG>" elif . == $nums and $nums != null then "<NUMS>" else . end)'
}

# q SQL: one value computed by PostgreSQL.
q() {
	psql_admin -c "SELECT $1"
}

# human BYTES: a size as walcap's check and status print it (README:
# bytes below 1 KiB, else one decimal in binary units).
human() {
	awk -v n="$1" 'BEGIN { split("bytes KiB MiB GiB TiB", u, " "); v = n; i = 1
		while (v >= 1024 && i < 5) { v /= 1024; i++ }
		if (i == 1) printf "%d bytes\n", n; else printf "%.1f %s\n", v, u[i] }'
}

admin_dsn() { printf 'host=%s port=%s user=postgres dbname=%s' "$PG_SOCK" "$PG_PORT" "$DB"; }

# =========================================================================
# 1. the tables, then walcap setup --apply (user, role, grants, signal
#    table, publication FOR ALL TABLES, slot) and walcap check
# =========================================================================
psql_admin >/dev/null <<'SQL' || { t_fail "create the tables"; t_done; }
CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
CREATE TABLE ck (a int, b text, v text, PRIMARY KEY (a, b));
CREATE TABLE rfull (id int PRIMARY KEY, a text, b int);
ALTER TABLE rfull REPLICA IDENTITY FULL;
CREATE TABLE ridx (id int PRIMARY KEY, u int NOT NULL, a text);
CREATE UNIQUE INDEX ridx_u ON ridx (u);
ALTER TABLE ridx REPLICA IDENTITY USING INDEX ridx_u;
CREATE TABLE toast (id int PRIMARY KEY, n int, big text);
CREATE TABLE snap (id int PRIMARY KEY, v text);
INSERT INTO snap SELECT g, 'row ' || g FROM generate_series(1, 5) g;
SQL

walcap_conf "$work/c.conf" "database.dbname=$DB"
WALCAP_SETUP_USER_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" setup -c "$work/c.conf" \
	--apply --admin-dsn "$(admin_dsn)" >"$work/setup.out" 2>"$work/setup.err"
rc=$?
assert_rc "setup --apply: exit 0" "$rc" 0
assert_eq "setup --apply: each step done" "$(grep -E '^(done|exists|FAILED)' "$work/setup.out")" \
"done     CREATE USER \"streamkap_user\"
done     CREATE ROLE \"streamkap_role\"
done     GRANT \"streamkap_role\" TO \"streamkap_user\"
done     ALTER ROLE \"streamkap_user\" REPLICATION
done     GRANT CONNECT ON DATABASE \"$DB\" TO \"streamkap_role\"
done     GRANT CREATE, USAGE ON SCHEMA \"public\" TO \"streamkap_role\"
done     GRANT SELECT ON ALL TABLES IN SCHEMA \"public\" TO \"streamkap_role\"
done     ALTER DEFAULT PRIVILEGES IN SCHEMA \"public\" GRANT SELECT ON TABLES TO \"streamkap_role\"
done     CREATE SCHEMA \"streamkap\"
done     CREATE TABLE \"streamkap\".\"streamkap_signal\"
done     GRANT USAGE ON SCHEMA \"streamkap\" TO \"streamkap_role\"
done     GRANT SELECT, UPDATE, INSERT ON TABLE \"streamkap\".\"streamkap_signal\" TO \"streamkap_role\"
done     CREATE PUBLICATION \"streamkap_pub\"
done     SELECT pg_create_logical_replication_slot('streamkap_pgoutput_slot', 'pgoutput')"
assert_eq "setup --apply: stderr says where the user's password came from" "$(cat "$work/setup.err")" \
	'walcap: INFO: user "streamkap_user" created with the password from WALCAP_SETUP_USER_PASSWORD'

# The publication publishes what this server's pgoutput can send.
if [ "$V" -ge 110000 ]; then
	want_pub='t|t|t|t|t'
else
	want_pub='t|t|t|t|'
fi
assert_eq "the publication: FOR ALL TABLES, insert, update, delete$([ "$V" -ge 110000 ] && echo ', truncate')" \
	"$(psql_admin -c "SELECT puballtables, pubinsert, pubupdate, pubdelete, $([ "$V" -ge 110000 ] && echo pubtruncate || echo "''") FROM pg_publication WHERE pubname = 'streamkap_pub'")" \
	"$want_pub"

check() {
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" check -c "$work/c.conf" </dev/null
}
# One check's block: its verdict line and its why/fix lines.
block() {   # NAME <report
	awk -v n="$1:" '/^      / { if (on) print; next }
		{ on = ($1 ~ /^(PASS|WARN|FAIL|SKIP)$/ && $2 == n); if (on) print }'
}
out=$(check 2>&1)
rc=$?
assert_rc "check after setup --apply: exit 0" "$rc" 0
# wal_status (slot_wal) exists from 13; before, the check has no line.
slot_wal=
[ "$V" -ge 130000 ] && slot_wal='
PASS slot_wal'
# pg_replication_slots.failover exists from 17 (slot_failover).
slot_failover=
[ "$V" -ge 170000 ] && slot_failover='
PASS slot_failover'
assert_eq "check after setup --apply: every verdict" \
	"$(awk '$1 ~ /^(PASS|WARN|FAIL|SKIP)$/ { sub(":", "", $2); print $1, $2 }' <<<"$out")" \
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
PASS slot$slot_wal
PASS slot_active$slot_failover
PASS decoding
PASS wal_retention"
npass=22
[ "$V" -ge 130000 ] && npass=$((npass + 1))
[ "$V" -ge 170000 ] && npass=$((npass + 1))
assert_eq "check: header and summary" "$(sed -n -e 1p -e '$p' <<<"$out")" \
"walcap check: database $DB at 127.0.0.1:$PG_PORT as streamkap_user, publication streamkap_pub, slot streamkap_pgoutput_slot
$npass passed, 1 warning, 0 failed, 0 skipped"
# server_version_num is MMmmpp from 10 on: "PostgreSQL 12.22"
assert_eq "check: server_version" "$(block server_version <<<"$out")" \
	"PASS  server_version: PostgreSQL $((V / 10000)).$((V % 10000))"
assert_eq "check: publication, slot, decoding" \
	"$(block publication <<<"$out"; block slot <<<"$out"; block slot_wal <<<"$out"; block decoding <<<"$out")" \
"PASS  publication: publication streamkap_pub exists (FOR ALL TABLES)
PASS  slot: replication slot streamkap_pgoutput_slot (pgoutput, database $DB)$([ "$V" -ge 130000 ] && printf '\n%s' 'PASS  slot_wal: wal_status reserved')
PASS  decoding: the slot decodes with publication streamkap_pub"
# The retained WAL is the server's own figure, read before and after the
# check; with no WAL written in between, it is what check saw.
retained() {
	psql_admin -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'"
}
for _ in 1 2 3; do
	r0=$(retained)
	out=$(check 2>&1)
	r1=$(retained)
	[ "$r0" = "$r1" ] && break
done
if [ "$V" -ge 130000 ]; then
	want="PASS  wal_retention: the slot retains $(human "$r1") of WAL; max_slot_wal_keep_size = -1: WAL is kept until walcap consumes it (watch it with walcap status --max-retained-wal)"
else
	want="PASS  wal_retention: the slot retains $(human "$r1") of WAL (PostgreSQL $((V / 10000)) has no max_slot_wal_keep_size)"
fi
assert_eq "check: wal_retention" "$(block wal_retention <<<"$out")" "$want"
assert_eq "check: the signal table" "$(block signal_table <<<"$out")" \
	'PASS  signal_table: streamkap.streamkap_signal (id character varying(255), type character varying(32), data character varying(2000))'

# A publication that does not publish deletes: the fix names what this
# server's publications can publish (truncate from 11), and runs as
# printed.
psql_admin -c "ALTER PUBLICATION streamkap_pub SET (publish = 'insert, update')" >/dev/null
out=$(check 2>&1)
rc=$?
assert_rc "publication without deletes: exit 1" "$rc" 1
trunc=
[ "$V" -ge 110000 ] && trunc=', truncate'
assert_eq "publication without deletes: the line and the fix" "$(block publication <<<"$out")" \
"FAIL  publication: publication streamkap_pub does not publish deletes
      why: the changes it does not publish never reach walcap
      fix: ALTER PUBLICATION \"streamkap_pub\" SET (publish = 'insert, update, delete$trunc');"
block publication <<<"$out" | sed -n 's/^      fix: //p' | psql_admin >/dev/null 2>"$work/fix.err" || cat "$work/fix.err"
assert_eq "publication without deletes: passes after the printed fix" "$(check 2>&1 | block publication)" \
	'PASS  publication: publication streamkap_pub exists (FOR ALL TABLES)'

# =========================================================================
# 2. the numbers whose text depends on the version: floats (before 12 the
#    server prints 18 or 9 digits, which walcap shortens) and bigints
#    beyond 2^53; every other type is t_types.sh's
# =========================================================================
# col NAME TYPE LITERAL EXPECTED-JSON: one column of public.nums, its
# value in the one row, and that value as docs/events.md's type table
# gives it.
NUM_DEFS=() NUM_VALS=() NUM_WANT=()
col() {
	NUM_DEFS+=("$1 $2")
	NUM_VALS+=("$3")
	NUM_WANT+=("$(jq -nc --arg k "$1" --argjson v "$4" '{($k): $v}')") || t_fail "expected JSON of $1" "$4"
}
col id 'int PRIMARY KEY' 1 1
col c_int8 bigint -9223372036854775808 -9223372036854775808
col c_int8max bigint 9223372036854775807 9223372036854775807
col c_f4 real 0.1 0.1
col c_f8 'double precision' -2.25e-10 -2.25e-10
col c_f8big float8 1e30 1e30
# One third: the shortest text that reads back as the stored value (as
# Java's Float/Double.toString write it, and PostgreSQL 12+ prints it).
col c_f4third real "1/3::real" 0.33333334
col c_f8third float8 "1/3::float8" 0.3333333333333333
col c_f8sum float8 "0.1::float8 + 0.2" 0.30000000000000004
col c_f4nan real "'NaN'" '"NaN"'
col c_f8nan float8 "'NaN'" '"NaN"'
col c_f8inf float8 "'Infinity'" '"Infinity"'
col c_f8ninf float8 "'-Infinity'" '"-Infinity"'
# the same in arrays: each element as its own column would be
col c_f4arr 'real[]' "ARRAY[0.1, 1/3::real]" '[0.1,0.33333334]'
col c_f8arr 'float8[]' "ARRAY[0.1, 0.1::float8 + 0.2, 'NaN', '-Infinity']" '[0.1,0.30000000000000004,"NaN","-Infinity"]'

NUMS_EXPECTED=$(printf '%s\n' "${NUM_WANT[@]}" | jq -sc 'add')
{
	printf 'CREATE TABLE nums (%s' "${NUM_DEFS[0]}"
	printf ',\n\t%s' "${NUM_DEFS[@]:1}"
	printf ');\n'
} | psql_admin >/dev/null || { t_fail "create public.nums"; t_done; }

# =========================================================================
# 3. the changes, then one walcap run over them
# =========================================================================
psql_admin >/dev/null <<'SQL'
INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com');
UPDATE customers SET name = 'Ada L.' WHERE id = 1;
UPDATE customers SET id = 2 WHERE id = 1;
DELETE FROM customers WHERE id = 2;
INSERT INTO customers VALUES (3, 'Bob', NULL);
INSERT INTO ck VALUES (1, 'k', 'v1');
UPDATE ck SET v = 'v2';
UPDATE ck SET b = 'k2';
DELETE FROM ck;
SQL
# REPLICA IDENTITY NOTHING: created now, so that check above passed (it
# fails such a table, as t_check.sh shows).
psql_admin >/dev/null <<'SQL'
CREATE TABLE rnothing (id int PRIMARY KEY, a text);
ALTER TABLE rnothing REPLICA IDENTITY NOTHING;
INSERT INTO rfull VALUES (1, 'x', 1);
UPDATE rfull SET a = 'y';
DELETE FROM rfull;
INSERT INTO rnothing VALUES (1, 'x');
INSERT INTO ridx VALUES (1, 10, 'x');
UPDATE ridx SET a = 'y';
UPDATE ridx SET u = 11;
DELETE FROM ridx;
SQL
# PostgreSQL refuses UPDATE and DELETE of a published table without a
# replica identity: no such change can reach the stream.
out=$(psql_admin -c "UPDATE rnothing SET a = 'y'" 2>&1)
assert_match "NOTHING: PostgreSQL refuses UPDATE" "$out" 'cannot update table "rnothing" because it does not have a replica identity and publishes updates'
out=$(psql_admin -c "DELETE FROM rnothing" 2>&1)
assert_match "NOTHING: PostgreSQL refuses DELETE" "$out" 'cannot delete from table "rnothing" because it does not have a replica identity and publishes deletes'

# an unchanged TOAST column: 12,800 characters of random hex, out of line
psql_admin >/dev/null <<'SQL'
INSERT INTO toast SELECT 1, 1, string_agg(md5(random()::text), '') FROM generate_series(1, 400);
UPDATE toast SET n = 2;
SQL
assert_eq "TOAST value stored out of line" "$(q "pg_column_size(big) > 2100 FROM toast")" t
BIG=$(q "big FROM toast")

# the number row
nums_row=$(printf ', %s' "${NUM_VALS[@]}")
psql_admin -c "INSERT INTO nums VALUES (${nums_row:2})" >/dev/null || t_fail "insert the number row"

# a transactional logical-decoding message, then a truncate
psql_admin -c "SELECT pg_logical_emit_message(true, 'pfx', 'hello')" >/dev/null
HELLO_B64=$(q "encode('hello'::bytea, 'base64')")
psql_admin -c "TRUNCATE customers, rfull" >/dev/null
END=$(current_lsn)

X_OPS=$(
	ev c public.customers null '{"id":1,"name":"Ada","email":"ada@example.com"}'
	ev u public.customers null '{"id":1,"name":"Ada L.","email":"ada@example.com"}'
	ev u public.customers '{"id":1}' '{"id":2,"name":"Ada L.","email":"ada@example.com"}'
	ev d public.customers '{"id":2}' null
	ev c public.customers null '{"id":3,"name":"Bob","email":null}'
	ev c public.ck null '{"a":1,"b":"k","v":"v1"}'
	ev u public.ck null '{"a":1,"b":"k","v":"v2"}'
	ev u public.ck '{"a":1,"b":"k"}' '{"a":1,"b":"k2","v":"v2"}'
	ev d public.ck '{"a":1,"b":"k2"}' null
)
X_RI=$(
	ev c public.rfull null '{"id":1,"a":"x","b":1}'
	ev u public.rfull '{"id":1,"a":"x","b":1}' '{"id":1,"a":"y","b":1}'
	ev d public.rfull '{"id":1,"a":"y","b":1}' null
	ev c public.rnothing null '{"id":1,"a":"x"}'
	ev c public.ridx null '{"id":1,"u":10,"a":"x"}'
	ev u public.ridx null '{"id":1,"u":10,"a":"y"}'
	ev u public.ridx '{"u":10}' '{"id":1,"u":11,"a":"y"}'
	ev d public.ridx '{"u":11}' null
)
X_TOAST=$(
	ev c public.toast null "$(jq -nc --arg b "$BIG" '{id:1,n:1,big:$b}')"
	ev u public.toast null '{"id":1,"n":2,"big":"__debezium_unavailable_value"}'
)
X_NUMS=$(ev c public.nums null "$NUMS_EXPECTED")
# Messages: pgoutput has the "messages" option from 14.
X_MSG=
[ "$V" -ge 140000 ] && X_MSG=$(printf '{"op":"m","source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"false","db":"%s","schema":"","table":""},"transaction":null,"message":{"prefix":"pfx","content":"%s"}}' \
	"$VER" "$DB" "$DB" "$HELLO_B64")
# Truncate: pgoutput sends it from 11, one event per table.
X_TRUNC=
[ "$V" -ge 110000 ] && X_TRUNC=$(
	ev t public.customers null null
	ev t public.rfull null null
)

walcap_run "$work/c.conf" --endpos "$END" >"$work/stream.out" 2>"$work/stream.err"
rc=$?
assert_rc "stream: walcap exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/    | /' "$work/stream.err" | tail -n 20
OUT=$work/stream.out
assert_eq "insert, update, update of the key, delete (DEFAULT identity; single and composite key)" \
	"$(select_tables "$OUT" customers ck | grep -v '"op":"t"')" "$X_OPS"
assert_eq "REPLICA IDENTITY FULL, NOTHING, USING INDEX" \
	"$(select_tables "$OUT" rfull rnothing ridx | grep -v '"op":"t"')" "$X_RI"
assert_eq "unchanged out-of-line TOAST column (DEFAULT identity): the placeholder" \
	"$(select_tables "$OUT" toast | unbig)" "$(unbig <<<"$X_TOAST")"
# Column by column (a difference names the column), then whole.
percol() { jq -r '.after | to_entries[] | "\(.key) \(.value | tojson)"'; }
assert_eq "floats and bigints: the columns" \
	"$(select_tables "$OUT" nums | percol 2>&1)" "$(percol <<<"$X_NUMS")"
assert_eq "floats and bigints: the insert event" "$(select_tables "$OUT" nums)" "$X_NUMS"
# jq reads numbers as doubles: the texts themselves, exact and shortest
# (the digits of Java's Float/Double.toString; what PostgreSQL 12+
# prints, exponents included: docs/events.md).
raw_numbers() {   # FILE
	grep -o '"c_\(int8[a-z]*\|f4\|f8\|f8big\|f4third\|f8third\|f8sum\)":[^,}]*\|"c_f[48]arr":\[[^]]*\]' "$1" | tr '\n' ' '
}
RAW_NUMBERS='"c_int8":-9223372036854775808 "c_int8max":9223372036854775807 "c_f4":0.1 "c_f8":-2.25e-10 "c_f8big":1e+30 "c_f4third":0.33333334 "c_f8third":0.3333333333333333 "c_f8sum":0.30000000000000004 "c_f4arr":[0.1,0.33333334] "c_f8arr":[0.1,0.30000000000000004,"NaN","-Infinity"] '
assert_eq "floats and bigints written exactly, in the fewest digits" "$(raw_numbers "$OUT")" "$RAW_NUMBERS"
if [ "$V" -ge 140000 ]; then
	assert_eq "logical message (PostgreSQL 14+): op m, content base64" \
		"$(normalize "$OUT" | jq -c 'select(.op == "m")')" "$X_MSG"
else
	assert_eq "logical message (before 14): no event" "$(normalize "$OUT" | jq -c 'select(.op == "m")')" ""
fi
if [ "$V" -ge 110000 ]; then
	assert_eq "truncate (PostgreSQL 11+): one t event per table" \
		"$(normalize "$OUT" | jq -c 'select(.op == "t")')" "$X_TRUNC"
else
	assert_eq "truncate (PostgreSQL 10): no event" "$(normalize "$OUT" | jq -c 'select(.op == "t")')" ""
fi
assert_eq "the whole stream, in commit order" \
	"$(normalize "$OUT" | unbig)" \
	"$(printf '%s\n' "$X_OPS" "$X_RI" "$X_TOAST" "$X_NUMS" ${X_MSG:+"$X_MSG"} ${X_TRUNC:+"$X_TRUNC"} | unbig)"
assert_eq "stream: no warning or error logged" "$(grep -E 'WARNING|ERROR' "$work/stream.err")" ""
# What walcap asks pgoutput for: the server's highest protocol version
# (1 before 14, 2 on 14, 3 on 15, 4 from 16) and the publication, and
# messages, binary values (binary.format=auto) and streaming of large
# transactions (streaming=auto) from 14 only (an older pgoutput refuses
# the options).
msgopt= proto=1
[ "$V" -ge 140000 ] && msgopt=", messages 'true', binary 'true', streaming 'on'" proto=2
[ "$V" -ge 150000 ] && proto=3
[ "$V" -ge 160000 ] && proto=4
assert_match "stream: the START_REPLICATION walcap sent" \
	"$(grep -o 'received replication command: START_REPLICATION.*' "$PG_TMP/postgres.log")" \
	"^received replication command: START_REPLICATION SLOT \"streamkap_pgoutput_slot\" LOGICAL [0-9A-F]+/[0-9A-F]+ \\(proto_version '$proto', publication_names '\"streamkap_pub\"'$msgopt\\)\$"

# =========================================================================
# 4. walcap status after the run
# =========================================================================
status() {
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$work/c.conf" "$@" </dev/null
}
slot_row() {
	psql_admin -c "SELECT confirmed_flush_lsn, restart_lsn, pg_current_wal_lsn(),
		pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
		pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
		FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'"
}
for _ in 1 2 3; do
	s0=$(slot_row)
	out=$(status 2>"$work/status.err")
	rc=$?
	json=$(status --json 2>>"$work/status.err")
	s1=$(slot_row)
	[ "$s0" = "$s1" ] && break
done
IFS='|' read -r confirmed restart current retained lag <<<"$s1"
off_lsn=$(sed -n 's/^lsn=//p' "$work/c.conf.offsets" 2>/dev/null)
assert_rc "status: exit 0" "$rc" 0
assert_eq "status: nothing on stderr" "$(cat "$work/status.err")" ""
wal_line=
[ "$V" -ge 130000 ] && wal_line=$'\n  wal_status reserved, safe_wal_size unlimited'
[ "$V" -ge 170000 ] && wal_line+=$'\n  failover slot: no'
assert_eq "status: the slot, as pg_replication_slots has it" "$(sed -n '1,/^publication/p' <<<"$out" | sed '$d')" \
"slot streamkap_pgoutput_slot (plugin pgoutput, database $DB): inactive
  confirmed_flush_lsn $confirmed, restart_lsn $restart, server WAL at $current
  retained WAL: $retained bytes ($(human "$retained"))
  lag: $lag bytes ($(human "$lag"))$wal_line"
assert_eq "status: the publication's tables" "$(sed -n '/^publication/,/^offset/p' <<<"$out" | sed '$d')" \
"publication streamkap_pub: 9 tables
  public.ck
  public.customers
  public.nums
  public.rfull
  public.ridx
  public.rnothing
  public.snap
  public.toast
  streamkap.streamkap_signal"
assert_match "status: the offset file holds a position" "$off_lsn" '^[0-9A-F]+/[0-9A-F]+$'
assert_eq "status: the offset file's position and time" "$(sed -n '/^offset/,$p' <<<"$out")" \
"offset file $work/c.conf.offsets: delivered up to $off_lsn, written $(date -u -r "$work/c.conf.offsets" +%Y-%m-%dT%H:%M:%SZ)
snapshot: none in progress"
assert_eq "status --json: the slot" "$(jq -c .slot <<<"$json")" \
	"$(jq -nc --arg db "$DB" --arg c "$confirmed" --arg r "$restart" --arg cur "$current" \
		--argjson ret "$retained" --argjson lag "$lag" --argjson v13 "$([ "$V" -ge 130000 ] && echo true || echo false)" \
		--argjson v17 "$([ "$V" -ge 170000 ] && echo true || echo false)" \
		'{name:"streamkap_pgoutput_slot",exists:true,plugin:"pgoutput",database:$db,active:false,active_pid:null,
		  confirmed_flush_lsn:$c,restart_lsn:$r,current_wal_lsn:$cur,retained_wal_bytes:$ret,
		  retained_wal_warn_bytes:1073741824,retained_wal_warning:false,lag_bytes:$lag,
		  wal_status:(if $v13 then "reserved" else null end),safe_wal_size:null,
		  failover:(if $v17 then false else null end)}')"

# =========================================================================
# 5. an incremental snapshot (an execute-snapshot signal written by
#    walcap snapshot), chunks of 2 rows
# =========================================================================
walcap_conf "$work/i.conf" "database.dbname=$DB" incremental.snapshot.chunk.size=2 \
	"offset.storage.file.filename=$work/c.conf.offsets"
# walcap snapshot writes the signal row (no walcap reads the slot now:
# the next run acts on it).
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$work/i.conf" \
	--id snap-1 public.nums public.snap 2>"$work/snapcli.err")
rc=$?
assert_rc "walcap snapshot: exit 0" "$rc" 0
assert_eq "walcap snapshot: the signal, as printed and in the table" \
	"$out / $(psql_admin -c "SELECT id || ' ' || type || ' ' || data FROM streamkap.streamkap_signal")" \
	'snap-1 execute-snapshot {"data-collections":["public.nums","public.snap"],"type":"incremental"} / snap-1 execute-snapshot {"data-collections":["public.nums","public.snap"],"type":"incremental"}'
walcap_start "$work/inc.out" "$work/inc.err" "$work/i.conf"
inc_done() { grep -qs 'incremental snapshot of "public.snap" done' "$work/inc.err"; }
wait_until 30 inc_done
walcap_stop
assert_rc "incremental snapshot: walcap exits 0" "$WALCAP_RC" 0
assert_eq "incremental snapshot: each table done" "$(grep -o 'incremental snapshot of "[^"]*" done: [0-9]* rows' "$work/inc.err")" \
'incremental snapshot of "public.nums" done: 1 rows
incremental snapshot of "public.snap" done: 5 rows'
# The tables in the signal's order, which is also the initial snapshot's
# (the publication's tables by name).
X_SNAP() {   # MARKER-FUNCTION: the r events of public.nums, then public.snap
	local i
	ev r public.nums null "$NUMS_EXPECTED" "$("$1" nums 1)"
	for i in 1 2 3 4 5; do
		ev r public.snap null "{\"id\":$i,\"v\":\"row $i\"}" "$("$1" snap "$i")"
	done
}
inc_marker() { echo incremental; }
assert_eq "incremental snapshot: the r events, the numbers as streamed" \
	"$(normalize "$work/inc.out" | unbig)" "$(X_SNAP inc_marker | unbig)"
assert_eq "incremental snapshot: floats and bigints exactly" "$(raw_numbers "$work/inc.out")" "$RAW_NUMBERS"
assert_eq "incremental snapshot: no warning or error logged" "$(grep -E 'WARNING|ERROR' "$work/inc.err")" ""

# =========================================================================
# 6. the initial snapshot: a slot walcap creates, read in its exported
#    snapshot (COPY); Debezium's markers
# =========================================================================
walcap_conf "$work/n.conf" "database.dbname=$DB" snapshot.mode=initial slot.name=core_initial \
	'table.include.list=public\.(snap|nums)'
# The slot starts after every change, so nothing but the snapshot comes;
# --endpos is behind the slot's start, which ends the run once the
# snapshot is out, at once: walcap asks the server for its position
# rather than waiting for its next keepalive (wal_sender_timeout / 2 =
# 30 s here, or the next WAL record).
END=$(current_lsn)
t0=$SECONDS
walcap_run "$work/n.conf" --endpos "$END" >"$work/init.out" 2>"$work/init.err"
rc=$?
assert_rc "initial snapshot: walcap exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/    | /' "$work/init.err" | tail -n 20
if [ $((SECONDS - t0)) -le 5 ]; then
	t_ok "initial snapshot: an --endpos behind the slot's start ends the run at once"
else
	t_fail "initial snapshot: an --endpos behind the slot's start ends the run at once" "it took $((SECONDS - t0)) s"
fi
assert_match "initial snapshot: walcap created the slot" "$(cat "$work/init.err")" \
	'INFO: created replication slot "core_initial" at '
# Debezium's markers (README, "Snapshots"): the first row of the first
# table "first", the last row of the last table "last", else the first
# row of a table "first_in_data_collection", its last row
# "last_in_data_collection", any other row "true".  public.nums has one
# row: "first" wins.
init_marker() {
	case "$1 $2" in
		"nums 1") echo first ;;
		"snap 1") echo first_in_data_collection ;;
		"snap 5") echo last ;;
		*) echo true ;;
	esac
}
assert_eq "initial snapshot: the r events with their markers, the numbers as streamed" \
	"$(normalize "$work/init.out" | unbig)" "$(X_SNAP init_marker | unbig)"
assert_eq "initial snapshot: floats and bigints exactly" "$(raw_numbers "$work/init.out")" "$RAW_NUMBERS"
assert_eq "initial snapshot: no warning or error logged" "$(grep -E 'WARNING|ERROR' "$work/init.err")" ""

pg_stop
t_done

#!/usr/bin/env bash
# t_events.sh — the events walcap emits for each kind of change, compared
# line by line (after normalize) with the events docs/events.md defines:
#
#   - insert, update, update of the key, delete, truncate (DEFAULT identity,
#     single and composite keys)
#   - REPLICA IDENTITY FULL, NOTHING and USING INDEX
#   - an unchanged TOAST column: the placeholder, default and configured;
#     under REPLICA IDENTITY FULL the value, from the old row (t_toast.sh
#     has the shapes of the placeholder by column type)
#   - a partitioned table, with and without publish_via_partition_root
#   - a transactional logical-decoding message
#   - ALTER TABLE ADD/DROP COLUMN between and inside transactions
#   - a multi-statement transaction (with a rolled-back savepoint), a
#     rolled-back transaction, the signal table
#   - a 100,000-row transaction (count, order, first/last, peak RSS)
#   - table/schema include/exclude lists and the include file
#   - sink.type=file
#
# Every expected line below is written from the contract, not captured from
# walcap.  One cluster; one database per topic; one slot per walcap run,
# each created before the changes it is to see.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-30}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=60

pg_start || { t_fail "pg_start"; t_done; }

VER=$("$WALCAP" --version | awk '{print $2}')

# ---------------------------------------------------------------- helpers
# The normalized event for one row change: ev OP SCHEMA.TABLE BEFORE AFTER.
# Uses $DB as database.dbname and as source.name (topic.prefix default).
ev() {
	local st=$2
	printf '{"before":%s,"after":%s,"source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"false","db":"%s","schema":"%s","table":"%s"},"transaction":null,"op":"%s"}\n' \
		"$3" "$4" "$VER" "$DB" "$DB" "${st%%.*}" "${st#*.}" "$1"
}

# run_slot NAME SLOT [key=value...]: a config NAME.conf for database $DB and
# slot SLOT, walcap run up to $END; stdout in $T_TMP/NAME.out, stderr in
# $T_TMP/NAME.err; asserts exit status 0.
run_slot() {
	local name=$1 slot=$2
	shift 2
	walcap_conf "$T_TMP/$name.conf" "database.dbname=$DB" "slot.name=$slot" "$@"
	walcap_run "$T_TMP/$name.conf" --endpos "$END" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	local rc=$?
	assert_rc "$name: walcap exits 0" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/    | /' "$T_TMP/$name.err" | tail -n 20
}

# tables_of FILE: "schema.table op" of each event, one per line.
tables_of() {
	jq -r '.source.schema + "." + .source.table + " " + .op' "$1"
}

# select_tables FILE TABLE...: normalized events of those tables only.
select_tables() {
	local f=$1
	shift
	normalize "$f" | jq -c --args 'select(.source.table as $t | $ARGS.positional | index($t))' "$@"
}

# unbig: replace the two 12,800-character TOAST values by short names (an
# exact match only), so that a difference is readable.
unbig() {
	jq -c --arg b "$BIG" --arg f "$BIGF" \
		'walk(if . == $b then "<BIG>" elif . == $f then "<BIGF>" else . end)'
}

# =========================================================================
# 1. evdb: row changes, replica identities, TOAST, messages, ALTER TABLE,
#    transactions, the signal table
# =========================================================================
DB=evdb
seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
psql_admin >/dev/null <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
CREATE TABLE ck (a int, b text, v text, PRIMARY KEY (a, b));
CREATE TABLE rfull (id int PRIMARY KEY, a text, b int);
ALTER TABLE rfull REPLICA IDENTITY FULL;
CREATE TABLE rnothing (id int PRIMARY KEY, a text);
ALTER TABLE rnothing REPLICA IDENTITY NOTHING;
CREATE TABLE ridx (id int PRIMARY KEY, u int NOT NULL, a text);
CREATE UNIQUE INDEX ridx_u ON ridx (u);
ALTER TABLE ridx REPLICA IDENTITY USING INDEX ridx_u;
CREATE TABLE toast (id int PRIMARY KEY, n int, big text);
CREATE TABLE toastf (id int PRIMARY KEY, n int, big text);
ALTER TABLE toastf REPLICA IDENTITY FULL;
CREATE TABLE evol (id int PRIMARY KEY, a text);
SELECT pg_create_logical_replication_slot('ev_ph', 'pgoutput');
SQL

# --- insert / update / key change / delete, single and composite key
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

# --- replica identities
psql_admin >/dev/null <<'SQL'
INSERT INTO rfull VALUES (1, 'x', 1);
UPDATE rfull SET a = 'y';
DELETE FROM rfull;
INSERT INTO rnothing VALUES (1, 'x');
INSERT INTO ridx VALUES (1, 10, 'x');
UPDATE ridx SET a = 'y';
UPDATE ridx SET u = 11;
DELETE FROM ridx;
SQL
# With REPLICA IDENTITY NOTHING, PostgreSQL refuses UPDATE and DELETE on a
# table whose publication publishes them, so such a change can never reach
# a pgoutput stream (and produces no event).
out=$(psql_admin -c "UPDATE rnothing SET a = 'y'" 2>&1)
assert_match "NOTHING: PostgreSQL refuses UPDATE" "$out" 'cannot update table "rnothing" because it does not have a replica identity and publishes updates'
out=$(psql_admin -c "DELETE FROM rnothing" 2>&1)
assert_match "NOTHING: PostgreSQL refuses DELETE" "$out" 'cannot delete from table "rnothing" because it does not have a replica identity and publishes deletes'

# --- unchanged TOAST: 12,800 characters of random hex, stored out of line
psql_admin >/dev/null <<'SQL'
INSERT INTO toast SELECT 1, 1, string_agg(md5(random()::text), '') FROM generate_series(1, 400);
UPDATE toast SET n = 2;
INSERT INTO toastf SELECT 1, 1, string_agg(md5(random()::text), '') FROM generate_series(1, 400);
UPDATE toastf SET n = 2;
SQL
assert_eq "TOAST values are stored out of line" \
	"$(psql_admin -c "SELECT bool_and(pg_column_size(big) > 2100) FROM (SELECT big FROM toast UNION ALL SELECT big FROM toastf) s")" t
BIG=$(psql_admin -c "SELECT big FROM toast")
BIGF=$(psql_admin -c "SELECT big FROM toastf")

# --- a transactional logical-decoding message
psql_admin -c "SELECT pg_logical_emit_message(true, 'pfx', 'hello')" >/dev/null
HELLO_B64=$(psql_admin -c "SELECT encode('hello'::bytea, 'base64')")

# --- ALTER TABLE ADD/DROP COLUMN, between and inside transactions
psql_admin >/dev/null <<'SQL'
INSERT INTO evol VALUES (1, 'a');
ALTER TABLE evol ADD COLUMN b int DEFAULT 7;
INSERT INTO evol VALUES (2, 'b', 8);
UPDATE evol SET a = 'a2' WHERE id = 1;
ALTER TABLE evol DROP COLUMN a;
INSERT INTO evol VALUES (3, 9);
DELETE FROM evol WHERE id = 2;
BEGIN;
INSERT INTO evol VALUES (4, 10);
ALTER TABLE evol ADD COLUMN c text;
INSERT INTO evol VALUES (5, 11, 'c');
UPDATE evol SET c = 'x' WHERE id = 4;
COMMIT;
SQL

# --- one transaction of several statements (one savepoint rolled back, the
#     signal table touched in the middle), then a rolled-back transaction,
#     then signal-table changes of their own, then a truncate
psql_admin >/dev/null <<'SQL'
BEGIN;
INSERT INTO customers VALUES (10, 'T1', 't1@x');
INSERT INTO streamkap.streamkap_signal VALUES ('sig-1', 'log', '{"message":"hello"}');
INSERT INTO rfull VALUES (10, 'r', 10);
UPDATE customers SET email = 't1@y' WHERE id = 10;
SAVEPOINT s1;
INSERT INTO customers VALUES (11, 'gone', NULL);
DELETE FROM rfull WHERE id = 10;
ROLLBACK TO SAVEPOINT s1;
DELETE FROM rfull WHERE id = 10;
INSERT INTO customers VALUES (12, 'T3', NULL);
COMMIT;
BEGIN;
INSERT INTO customers VALUES (99, 'never', NULL);
UPDATE customers SET name = 'never' WHERE id = 3;
DELETE FROM ck;
ROLLBACK;
INSERT INTO streamkap.streamkap_signal VALUES ('sig-2', 'log', '{"message":"again"}');
UPDATE streamkap.streamkap_signal SET data = NULL;
DELETE FROM streamkap.streamkap_signal WHERE id = 'sig-1';
TRUNCATE streamkap.streamkap_signal;
TRUNCATE customers, rfull;
SQL
END=$(current_lsn)

# ---- the expected stream, in commit order
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
# toast_events PLACEHOLDER_JSON: REPLICA IDENTITY DEFAULT sends nothing of
# the unchanged value (the placeholder); FULL sends it in the old row, on
# every version (heapam's ExtractReplicaIdentity writes the old row with its
# TOAST values inline), and after takes it from there, as Debezium does.
toast_events() {
	ev c public.toast null "$(jq -nc --arg b "$BIG" '{id:1,n:1,big:$b}')"
	ev u public.toast null "$(jq -nc --argjson p "$1" '{id:1,n:2,big:$p}')"
	ev c public.toastf null "$(jq -nc --arg b "$BIGF" '{id:1,n:1,big:$b}')"
	ev u public.toastf "$(jq -nc --arg b "$BIGF" '{id:1,n:1,big:$b}')" "$(jq -nc --arg b "$BIGF" '{id:1,n:2,big:$b}')"
}
X_TOAST=$(toast_events '"__debezium_unavailable_value"')
# a message's fields in Debezium's MessageValue order (op, ts_ms, source,
# transaction, message: PostgresSchemaFactory.logicalDecodingMessageMonitorValueSchema)
X_MSG=$(printf '{"op":"m","source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"false","db":"%s","schema":"","table":""},"transaction":null,"message":{"prefix":"pfx","content":"%s"}}' \
	"$VER" "$DB" "$DB" "$HELLO_B64")
X_EVOL=$(
	ev c public.evol null '{"id":1,"a":"a"}'
	ev c public.evol null '{"id":2,"a":"b","b":8}'
	ev u public.evol null '{"id":1,"a":"a2","b":7}'
	ev c public.evol null '{"id":3,"b":9}'
	ev d public.evol '{"id":2}' null
	ev c public.evol null '{"id":4,"b":10}'
	ev c public.evol null '{"id":5,"b":11,"c":"c"}'
	ev u public.evol null '{"id":4,"b":10,"c":"x"}'
)
X_TXN=$(
	ev c public.customers null '{"id":10,"name":"T1","email":"t1@x"}'
	ev c public.rfull null '{"id":10,"a":"r","b":10}'
	ev u public.customers null '{"id":10,"name":"T1","email":"t1@y"}'
	ev d public.rfull '{"id":10,"a":"r","b":10}' null
	ev c public.customers null '{"id":12,"name":"T3","email":null}'
	ev t public.customers null null
	ev t public.rfull null null
)

run_slot events streamkap_pgoutput_slot
OUT=$T_TMP/events.out
assert_eq "insert/update/key change/delete (DEFAULT identity)" \
	"$(select_tables "$OUT" customers ck | head -n 9)" "$X_OPS"
assert_eq "REPLICA IDENTITY FULL, NOTHING, USING INDEX" \
	"$(select_tables "$OUT" rfull rnothing ridx | head -n 8)" "$X_RI"
assert_eq "unchanged TOAST column: default placeholder (DEFAULT), the old row's value (FULL)" \
	"$(select_tables "$OUT" toast toastf | unbig)" "$(unbig <<<"$X_TOAST")"
assert_eq "logical message (op m, content base64)" \
	"$(normalize "$OUT" | jq -c 'select(.op == "m")')" "$X_MSG"
assert_eq "ALTER TABLE ADD/DROP COLUMN mid-stream" \
	"$(select_tables "$OUT" evol)" "$X_EVOL"
assert_eq "multi-statement transaction in order, rollbacks and signal table absent, truncate" \
	"$(normalize "$OUT" | tail -n 7)" "$X_TXN"
assert_eq "the whole stream, in commit order" \
	"$(normalize "$OUT" | unbig)" "$(printf '%s\n' "$X_OPS" "$X_RI" "$X_TOAST" "$X_MSG" "$X_EVOL" "$X_TXN" | unbig)"
assert_eq "no event names the signal table" \
	"$(jq -r 'select(.source.table == "streamkap_signal")' "$OUT")" ""
# Only what stays in the normalized form is compared above; the fields it
# drops must still be there, with their documented types.
assert_eq "volatile fields present with their types" \
	"$(jq -r '[(.ts_ms|type), (.source.ts_ms|type), (.source.lsn|type), (.source.txId|type), (.source.sequence|type), (.source.xmin|type)] | join(",")' "$OUT" | sort -u)" \
	"number,number,number,number,string,null"

# The same TOAST changes with another placeholder (which needs escaping).
# The table list does not apply to logical messages: the message stays.
run_slot toast_ph ev_ph 'table.include.list=public\.toast.*' 'unavailable.value.placeholder=<unavailable "x">'
assert_eq "unchanged TOAST column: unavailable.value.placeholder set" \
	"$(normalize "$T_TMP/toast_ph.out" | unbig)" "$(printf '%s\n' "$(toast_events '"<unavailable \"x\">"')" "$X_MSG" | unbig)"

# =========================================================================
# 2. partdb: a partitioned table, with and without publish_via_partition_root
# =========================================================================
DB=partdb
SEED_PUB='' SEED_SLOT='' seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
psql_admin >/dev/null <<'SQL'
CREATE TABLE meas (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE meas_lo PARTITION OF meas FOR VALUES FROM (0) TO (100);
CREATE TABLE meas_hi PARTITION OF meas FOR VALUES FROM (100) TO (200);
CREATE PUBLICATION pub_root FOR ALL TABLES WITH (publish_via_partition_root = true);
CREATE PUBLICATION pub_leaf FOR ALL TABLES;
SELECT pg_create_logical_replication_slot('slot_root', 'pgoutput');
SELECT pg_create_logical_replication_slot('slot_leaf', 'pgoutput');
INSERT INTO meas VALUES (1, 5, 'a');
INSERT INTO meas VALUES (2, 150, 'b');
UPDATE meas SET v = 'b2' WHERE id = 2;
DELETE FROM meas WHERE id = 1;
TRUNCATE meas;
SQL
END=$(current_lsn)
run_slot part_root slot_root publication.name=pub_root
assert_eq "partitioned table, publish_via_partition_root = true: the root" \
	"$(normalize "$T_TMP/part_root.out")" "$(
		ev c public.meas null '{"id":1,"k":5,"v":"a"}'
		ev c public.meas null '{"id":2,"k":150,"v":"b"}'
		ev u public.meas null '{"id":2,"k":150,"v":"b2"}'
		ev d public.meas '{"id":1,"k":5}' null
		ev t public.meas null null)"
run_slot part_leaf slot_leaf publication.name=pub_leaf
assert_eq "partitioned table, publish_via_partition_root = false: the leaves" \
	"$(normalize "$T_TMP/part_leaf.out")" "$(
		ev c public.meas_lo null '{"id":1,"k":5,"v":"a"}'
		ev c public.meas_hi null '{"id":2,"k":150,"v":"b"}'
		ev u public.meas_hi null '{"id":2,"k":150,"v":"b2"}'
		ev d public.meas_lo '{"id":1,"k":5}' null
		ev t public.meas_lo null null
		ev t public.meas_hi null null)"

# =========================================================================
# 3. bigdb: one transaction of 100,000 rows
# =========================================================================
DB=bigdb
SEED_SLOT=big_slot seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
psql_admin -c "CREATE TABLE big (id int PRIMARY KEY, v text)" >/dev/null
psql_admin -c "INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 100000) g" >/dev/null
END=$(current_lsn)
walcap_conf "$T_TMP/big.conf" "database.dbname=$DB" slot.name=big_slot
rss=
if [ -x /usr/bin/time ]; then
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout -k 5 "$WALCAP_TIMEOUT" \
		/usr/bin/time -f %M -o "$T_TMP/big.rss" "$WALCAP" run -c "$T_TMP/big.conf" --endpos "$END" \
		</dev/null >"$T_TMP/big.out" 2>"$T_TMP/big.err"
	rc=$?
	rss=$(tail -n 1 "$T_TMP/big.rss")
else
	# No time(1): poll the peak (VmHWM) while it runs.
	walcap_start "$T_TMP/big.out" "$T_TMP/big.err" "$T_TMP/big.conf" --endpos "$END"
	walcap_wait_peak "$WALCAP_TIMEOUT"
	rc=$WALCAP_RC rss=$WALCAP_PEAK
fi
assert_rc "100,000-row transaction: walcap exits 0" "$rc" 0
assert_eq "100,000-row transaction: event count" "$(wc -l <"$T_TMP/big.out" | tr -d ' ')" 100000
assert_eq "100,000-row transaction: first event" "$(head -n 1 "$T_TMP/big.out" | normalize)" \
	"$(ev c public.big null '{"id":1,"v":"row 1"}')"
assert_eq "100,000-row transaction: last event" "$(tail -n 1 "$T_TMP/big.out" | normalize)" \
	"$(ev c public.big null '{"id":100000,"v":"row 100000"}')"
assert_eq "100,000-row transaction: ids 1..100000 in order, all inserts of public.big, one txId" \
	"$(jq -r '[.after.id, .op, .source.schema, .source.table, .source.txId] | @tsv' "$T_TMP/big.out" |
		awk -F'\t' 'NR == 1 {x = $5} $1 != NR || $2 != "c" || $3 != "public" || $4 != "big" || $5 != x {bad++} END {print NR, bad + 0}')" \
	"100000 0"
if grep -q __asan_init "$WALCAP" 2>/dev/null; then
	# AddressSanitizer's shadow memory and quarantine are not walcap's.
	echo "skip - 100,000-row transaction: peak RSS ${rss:-?} KiB not checked under AddressSanitizer"
elif [ -n "$rss" ] && [ "$rss" -gt 0 ] 2>/dev/null && [ "$rss" -lt 32768 ]; then
	t_ok "100,000-row transaction: peak RSS ${rss} KiB < 32 MiB"
else
	t_fail "100,000-row transaction: peak RSS" "${rss:-unknown} KiB, want < 32768 KiB"
fi

# =========================================================================
# 4. fltdb: include/exclude lists, the include file, the file sink
# =========================================================================
DB=fltdb
SEED_SLOT='' seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
FILTERS=(none tinc tinc2 tinc_ci texc sinc sexc both file file_sexc signal sink)
{
	echo "CREATE SCHEMA sales; CREATE SCHEMA inventory;"
	echo "CREATE TABLE public.orders (id int PRIMARY KEY);"
	echo "CREATE TABLE public.orders_2024 (id int PRIMARY KEY);"
	echo "CREATE TABLE public.audit (id int PRIMARY KEY);"
	echo "CREATE TABLE sales.x (id int PRIMARY KEY);"
	echo "CREATE TABLE sales.y (id int PRIMARY KEY);"
	echo "CREATE TABLE inventory.items (id int PRIMARY KEY);"
	for f in "${FILTERS[@]}"; do
		echo "SELECT pg_create_logical_replication_slot('f_$f', 'pgoutput');"
	done
	echo "INSERT INTO public.orders VALUES (1);"
	echo "INSERT INTO public.orders_2024 VALUES (1);"
	echo "INSERT INTO streamkap.streamkap_signal VALUES ('s1', 'log', NULL);"
	echo "INSERT INTO public.audit VALUES (1);"
	echo "INSERT INTO sales.x VALUES (1);"
	echo "INSERT INTO sales.y VALUES (1);"
	echo "INSERT INTO inventory.items VALUES (1);"
	echo "UPDATE public.orders SET id = 2;"
} | psql_admin >/dev/null
END=$(current_lsn)
# The include file: a schema.table row and a (quoted) schema row, CRLF ends.
printf 'public.orders\r\n"sales"\r\n' >"$T_TMP/tables.csv"

# check_filter NAME WANT [key=value...]: the tables (and ops) that produce events
check_filter() {
	local name=$1 want=$2
	shift 2
	run_slot "flt_$name" "f_$name" "$@"
	local what="$*"
	assert_eq "filter $name: ${what//$T_TMP\//} -> tables with events" "$(tables_of "$T_TMP/flt_$name.out")" "$want"
}
ALL='public.orders c
public.orders_2024 c
public.audit c
sales.x c
sales.y c
inventory.items c
public.orders u'
check_filter none "$ALL"
check_filter tinc $'public.orders c\npublic.orders u' 'table.include.list=public\.orders'
check_filter tinc2 $'public.orders c\npublic.orders_2024 c\nsales.x c\npublic.orders u' 'table.include.list=public\.orders.*, sales\.x'
check_filter tinc_ci $'public.orders c\npublic.orders u' 'table.include.list=PUBLIC\.Orders'
check_filter texc $'public.orders c\npublic.orders_2024 c\ninventory.items c\npublic.orders u' 'table.exclude.list=public\.audit,sales\..*'
check_filter sinc $'sales.x c\nsales.y c' 'schema.include.list=sales'
check_filter sexc $'sales.x c\nsales.y c\ninventory.items c' 'schema.exclude.list=public'
check_filter both $'public.orders c\npublic.orders u' 'schema.include.list=public' 'table.include.list=.*\.(orders|x)'
check_filter file $'public.orders c\nsales.x c\nsales.y c\npublic.orders u' "table.include.list.file=$T_TMP/tables.csv"
check_filter file_sexc $'public.orders c\npublic.orders u' "table.include.list.file=$T_TMP/tables.csv" 'schema.exclude.list=sales'
check_filter signal $'public.audit c' 'table.include.list=streamkap\..*,public\.audit'
assert_eq "no filter: the events themselves" "$(normalize "$T_TMP/flt_none.out")" "$(
	ev c public.orders null '{"id":1}'
	ev c public.orders_2024 null '{"id":1}'
	ev c public.audit null '{"id":1}'
	ev c sales.x null '{"id":1}'
	ev c sales.y null '{"id":1}'
	ev c inventory.items null '{"id":1}'
	ev u public.orders '{"id":1}' '{"id":2}')"

# sink.type=file: the same events in the file, nothing on stdout
run_slot sink f_sink sink.type=file "sink.file.path=$T_TMP/sink.jsonl"
assert_eq "file sink: nothing on stdout" "$(cat "$T_TMP/sink.out")" ""
assert_eq "file sink: the events in the file" \
	"$(normalize "$T_TMP/sink.jsonl" 2>&1)" "$(normalize "$T_TMP/flt_none.out")"
assert_eq "file sink: one JSON object per line, newline-terminated" \
	"$(tail -c 1 "$T_TMP/sink.jsonl" | od -An -c | tr -d ' ')" '\n'

pg_stop
t_done

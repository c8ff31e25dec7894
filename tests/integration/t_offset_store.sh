#!/usr/bin/env bash
# offset.storage=postgres: setup creates <signal.schema>.walcap_offsets and
# check checks it (exact lines, fixes that work); a walcap started in an
# empty working directory resumes from the row without a new snapshot,
# and a snapshot killed half-way resumes from it; the row is the exact
# record of docs/offsets.md, never an event and never snapshotted;
# status reads it; a record Debezium wrote is resumed from; a bad record
# and a missing privilege stop walcap with the cause and the fix.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# the table a snapshot is killed half-way through: large enough that the
# kill (once 2,000 rows are recorded) always comes long before its end,
# however fast the machine reads it
BIG=400000

work=$T_TMP
pg_start
SEED_SLOT='' seed_setup offdb
psql_admin >/dev/null <<SQL
CREATE TABLE public.t (id int PRIMARY KEY, v text);
INSERT INTO public.t SELECT g, 'old' FROM generate_series(1, 50) g;
CREATE TABLE public.big (id int PRIMARY KEY, pad text);
INSERT INTO public.big SELECT g, repeat('p', 200) FROM generate_series(1, $BIG) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
SQL
TABLE='"streamkap"."walcap_offsets"'

check() {   # CONF
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" check -c "$1" </dev/null 2>&1
}
block() {   # NAME <report: its verdict line and its why/fix lines
	awk -v n="$1:" '/^      / { if (on) print; next }
		{ on = ($1 ~ /^(PASS|WARN|FAIL|SKIP)$/ && $2 == n); if (on) print }'
}
fix_sql() {   # NAME <report
	block "$1" | sed -n -e 's/^      fix: //p' -e 's/^           //p'
}
status() {   # CONF [args]
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$@" </dev/null
}
# ids of the events of TABLE with op OP in FILE, sorted, on one line
ids() {   # FILE TABLE OP
	jq -r --arg t "$2" --arg op "$3" 'select(.source.table == $t and .op == $op) | (.after // .before).id' "$1" |
		sort -n | tr '\n' ' '
}
seq_line() { seq "$1" "$2" | tr '\n' ' '; }
row() { psql_admin -c "SELECT $1 FROM $TABLE WHERE connector = 'off_a'"; }   # off_a's row

# ---------------------------------------------------------------- 1. check and setup
walcap_conf "$work/a.conf" offset.storage=postgres slot.name=off_a sink.type=file \
	"sink.file.path=$work/a/out.jsonl" snapshot.mode=initial incremental.snapshot.chunk.size=10 \
	'table.include.list=public\.t' status.update.interval.ms=200
# the file store's key is not written: the working directory stays empty
sed -i '/^offset.storage.file.filename=/d' "$work/a.conf"

out=$(check "$work/a.conf")
assert_eq "check, no table: the lines" "$(block offset_table <<<"$out" | head -n 1; block offset_grants <<<"$out")" \
'FAIL  offset_table: streamkap.walcap_offsets does not exist
SKIP  offset_grants: no offsets table'
assert_eq "check, no table: the fix" "$(fix_sql offset_table <<<"$out")" \
'CREATE SCHEMA IF NOT EXISTS "streamkap";
CREATE TABLE "streamkap"."walcap_offsets" (connector TEXT NOT NULL, server TEXT NOT NULL, value JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (connector, server));
GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role";
GRANT SELECT, INSERT, UPDATE ON TABLE "streamkap"."walcap_offsets" TO "streamkap_role";'

# without the table walcap does not start, and says how to make it.
# The seed grants nothing on the signal schema itself, so the first cause
# is USAGE on it (as for the signal table); then the missing table.
run_a0() {
	mkdir -p "$work/a0"
	(cd "$work/a0" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" run -c "$work/a.conf" \
		</dev/null >/dev/null 2>"$work/a0.err")
}
run_a0
assert_rc "no USAGE on the schema: exit status 1" "$?" 1
assert_eq "no USAGE on the schema: the error and the fix" "$(grep -E '^walcap: (ERROR|HINT)' "$work/a0.err")" \
"walcap: ERROR: could not read the offset table $TABLE (connector \"off_a\", server \"offdb\"): permission denied for schema streamkap
walcap: HINT: grant the role USAGE on schema \"streamkap\" and SELECT, INSERT, UPDATE on the table (walcap setup prints the statements)"
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
run_a0
assert_rc "no table: exit status 1" "$?" 1
assert_eq "no table: the error and the fix" "$(grep -E '^walcap: (ERROR|HINT)' "$work/a0.err")" \
"walcap: ERROR: could not read the offset table $TABLE (connector \"off_a\", server \"offdb\"): relation \"streamkap.walcap_offsets\" does not exist
walcap: HINT: create the table: walcap setup (with offset.storage=postgres) prints the statement"
assert_eq "no table: nothing written in the working directory" "$(ls -A "$work/a0")" ""

admin_dsn="host=$PG_SOCK port=$PG_PORT user=postgres dbname=offdb"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" setup -c "$work/a.conf" \
	--apply --admin-dsn "$admin_dsn" </dev/null 2>"$work/setup.err"); rc=$?
assert_rc "setup --apply: exit 0" "$rc" 0
assert_eq "setup --apply: the table created and granted after the signal table's steps" \
	"$(grep -E '^(done|exists|FAILED)' <<<"$out" | grep -A2 'streamkap_signal"$')" \
'exists   CREATE TABLE "streamkap"."streamkap_signal"
done     GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role"
done     GRANT SELECT, UPDATE, INSERT ON TABLE "streamkap"."streamkap_signal" TO "streamkap_role"'
assert_eq "setup --apply: the offsets steps" \
	"$(grep -E '^(done|exists|FAILED)' <<<"$out" | grep walcap_offsets)" \
'done     CREATE TABLE "streamkap"."walcap_offsets"
done     GRANT SELECT, INSERT, UPDATE ON TABLE "streamkap"."walcap_offsets" TO "streamkap_role"'
assert_eq "setup: the table's columns and key" \
	"$(psql_admin -c "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'streamkap' AND table_name = 'walcap_offsets'")
$(psql_admin -c "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'streamkap.walcap_offsets'::regclass")" \
'connector text NO, server text NO, value jsonb NO, updated_at timestamp with time zone NO
PRIMARY KEY (connector, server)'
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" setup -c "$work/a.conf" \
	--apply --admin-dsn "$admin_dsn" </dev/null 2>/dev/null)
assert_eq "setup --apply again: the table exists" "$(grep -E '^(done|exists)' <<<"$out" | grep 'TABLE "streamkap"."walcap_offsets"$')" \
'exists   CREATE TABLE "streamkap"."walcap_offsets"'
# setup --apply also made the slot off_a

out=$(check "$work/a.conf")
assert_eq "check: both pass" "$(block offset_table <<<"$out"; block offset_grants <<<"$out")" \
'PASS  offset_table: streamkap.walcap_offsets (connector, server, value, updated_at; unique on connector, server)
PASS  offset_grants: USAGE on schema streamkap; SELECT, INSERT, UPDATE on streamkap.walcap_offsets'
psql_admin -c "REVOKE INSERT, UPDATE ON streamkap.walcap_offsets FROM streamkap_role" >/dev/null
out=$(check "$work/a.conf")
assert_eq "check, no INSERT/UPDATE: the line" "$(block offset_grants <<<"$out" | head -n 1)" \
	'FAIL  offset_grants: streamkap_user lacks INSERT UPDATE'
psql_admin -f - >/dev/null <<<"$(fix_sql offset_grants <<<"$out")"
assert_eq "check, no INSERT/UPDATE: the fix, run as printed, makes it pass" \
	"$(check "$work/a.conf" | block offset_grants)" \
	'PASS  offset_grants: USAGE on schema streamkap; SELECT, INSERT, UPDATE on streamkap.walcap_offsets'

# ---------------------------------------------------------------- 2. empty working directory
mkdir -p "$work/a" "$work/b"
(cd "$work/a" && exec env WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/a.conf" \
	</dev/null >/dev/null 2>"$work/a.err") &
pid=$!
wait_until 20 grep -qs 'streaming from slot' "$work/a.err" || t_fail "2: walcap streams"
# the snapshot's watermarks are transactions too: insert once it is done,
# so that the insert is the last transaction recorded
wait_until 30 grep -qs 'snapshot done' "$work/a.err" || t_fail "2: the snapshot ends"
t0=$(date +%s%6N)
xid=$(psql_admin -c "INSERT INTO public.t SELECT g, 'new' FROM generate_series(51, 60) g; SELECT txid_current()")
t1=$(date +%s%6N)
wait_until 20 eval '[ "$(ids "$work/a/out.jsonl" t c | wc -w)" = 10 ]' || t_fail "2: the inserts arrive"
wait_until 20 eval '[ "$(ids "$work/a/out.jsonl" t r | wc -w)" = 50 ]' || t_fail "2: the snapshot arrives"
kill -TERM "$pid"
wait "$pid"
assert_rc "2: first run: exit status 0" "$?" 0
assert_eq "2: first run: the snapshot's 50 rows" "$(ids "$work/a/out.jsonl" t r)" "$(seq_line 1 50)"
assert_eq "2: first run: the 10 inserts" "$(ids "$work/a/out.jsonl" t c)" "$(seq_line 51 60)"
assert_eq "2: first run: nothing in its working directory but the sink" "$(ls -A "$work/a")" "out.jsonl"
assert_eq "2: the offsets table's changes are not events (FOR ALL TABLES)" \
	"$(jq -r '.source.table' "$work/a/out.jsonl" | sort -u | tr '\n' ' ')" "t "

# the row: the record of docs/offsets.md
sysid=$(psql_admin -c "SELECT system_identifier FROM pg_control_system()")
lsn=$(row "value->>'lsn'")
assert_eq "2: one row, keyed by name (slot.name) and topic.prefix" "$(psql_admin -c "SELECT connector, server FROM $TABLE")" "off_a|offdb"
# The offsets table is published too (FOR ALL TABLES): walcap's own write
# of the row after the inserts is a transaction of the stream, without
# events, and when it streamed back before the stop it is the last one.
# Then txId is its xid: after the inserts', before the final write's.
txid=$(row "value->>'txId'")
if [ "$txid" = "$xid" ]; then
	assert_eq "2: txId is the last transaction's xid, ts_usec its commit time" \
		"$(row "(value->>'ts_usec')::bigint BETWEEN $t0 AND $t1")" t
else
	assert_eq "2: txId is the last transaction's xid (walcap's own earlier write of the row), ts_usec its commit time" \
		"$(row "$txid > $xid AND $txid < xmin::text::bigint AND (value->>'ts_usec')::bigint > $t1")" t
fi
assert_eq "2: the value's fields" "$(row "value - 'lsn' - 'lsn_proc' - 'lsn_commit' - 'walcap_sink_size' - 'txId' - 'ts_usec'")" \
	"{\"walcap_slot\": \"off_a\", \"walcap_system\": \"$sysid\", \"walcap_database\": \"offdb\", \"walcap_sink_path\": \"$work/a/out.jsonl\"}"
assert_eq "2: lsn, lsn_proc and lsn_commit are one number" "$(row "value->>'lsn_proc' = value->>'lsn' AND value->>'lsn_commit' = value->>'lsn'")" t
assert_eq "2: that number is the slot's confirmed position or before it" \
	"$(psql_admin -c "SELECT $lsn > 0 AND $lsn <= confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = 'off_a'")" t
assert_eq "2: walcap_sink_size is the sink's length" "$(row "value->>'walcap_sink_size'")" "$(stat -c %s "$work/a/out.jsonl")"
lsn_text=$(psql_admin -c "SELECT '0/0'::pg_lsn + $lsn")
assert_match "2: status shows the row" "$(status "$work/a.conf" | grep '^offset table')" \
	"^offset table \"streamkap\"\\.\"walcap_offsets\" \\(connector \"off_a\", server \"offdb\"\\): delivered up to $lsn_text, written 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$"
assert_eq "2: status --json" "$(status "$work/a.conf" --json | jq -c '.offset_table | [.schema, .table, .connector, .server, .lsn, (.written | test("^20"))]')" \
	"[\"streamkap\",\"walcap_offsets\",\"off_a\",\"offdb\",\"$lsn_text\",true]"

# another machine: an empty directory, the same configuration
psql_admin -c "INSERT INTO public.t SELECT g, 'later' FROM generate_series(61, 70) g" >/dev/null
end=$(current_lsn)
(cd "$work/b" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$work/a.conf" \
	--set "sink.file.path=$work/b/out.jsonl" --endpos "$end" </dev/null >/dev/null 2>"$work/b.err")
assert_rc "2: second run: exit status 0" "$?" 0
assert_eq "2: second run: resumed from the row" "$(grep -c "^walcap: INFO: resuming after $lsn_text (offset table $TABLE (connector \"off_a\", server \"offdb\"))\$" "$work/b.err")" 1
assert_eq "2: second run: no snapshot" "$(ids "$work/b/out.jsonl" t r)" ""
assert_eq "2: second run: exactly the rows committed after the first stopped" "$(ids "$work/b/out.jsonl" t c)" "$(seq_line 61 70)"
assert_eq "2: second run: nothing in its working directory but the sink" "$(ls -A "$work/b")" "out.jsonl"

# ---------------------------------------------------------------- 3. a snapshot killed half-way
walcap_conf "$work/c.conf" offset.storage=postgres slot.name=off_c sink.type=file \
	"sink.file.path=$work/c1/out.jsonl" snapshot.mode=initial incremental.snapshot.chunk.size=50 \
	'table.include.list=public\.big'
sed -i '/^offset.storage.file.filename=/d' "$work/c.conf"
psql_admin -c "SELECT pg_create_logical_replication_slot('off_c', 'pgoutput')" >/dev/null
mkdir -p "$work/c1" "$work/c2"
(cd "$work/c1" && exec env WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/c.conf" \
	</dev/null >/dev/null 2>"$work/c1.err") &
pid=$!
# killed once the store has recorded 2,000 rows or more, long before the
# last (the record trails the sink: a chunk's progress is recorded once
# the stream has passed its closing watermark)
recorded_rows() {
	psql_admin -c "SELECT coalesce((SELECT ((value->>'walcap_snapshot')::jsonb->>'rows')::int FROM $TABLE WHERE connector = 'off_c'), 0)"
}
wait_until 60 eval '[ "$(recorded_rows)" -ge 2000 ]' || t_fail "3: snapshot chunks recorded"
kill -9 "$pid"
wait "$pid" 2>/dev/null
n1=$(wc -l <"$work/c1/out.jsonl")
rec=$(recorded_rows)
if [ "$n1" -lt $BIG ]; then t_ok "3: killed half-way ($n1 of $BIG rows written, $rec recorded)"; else t_fail "3: killed half-way" "$n1 rows"; fi
assert_match "3: status shows the snapshot in progress from the row" "$(status "$work/c.conf" | grep '^snapshot')" \
	'^snapshot in progress \(signal "initial"\): "public\.big" [0-9]+ rows delivered'
end=$(current_lsn)
(cd "$work/c2" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "$WALCAP" run -c "$work/c.conf" \
	--set "sink.file.path=$work/c2/out.jsonl" --set snapshot.mode=initial_only </dev/null >/dev/null 2>"$work/c2.err")
assert_rc "3: the restart in an empty directory: exit status 0" "$?" 0
assert_eq "3: the restart resumed the snapshot" "$(grep -c '^walcap: INFO: resuming the snapshot of 1 table$' "$work/c2.err")" 1
assert_eq "3: the restart read exactly the rows after the recorded ones" \
	"$(jq -r 'select(.op == "r") | .after.id' "$work/c2/out.jsonl" | sort -n | sed -n '1p;$p' | tr '\n' ' ')" "$((rec + 1)) $BIG "
assert_eq "3: ... each once" "$(wc -l <"$work/c2/out.jsonl")" "$(($BIG - rec))"
# (the kill may have cut c1's last line short: it is skipped)
assert_eq "3: every row, before and after the kill" \
	"$(cat "$work/c1/out.jsonl" "$work/c2/out.jsonl" | jq -rR 'fromjson? | select(.op == "r") | .after.id' | sort -nu | wc -l)" $BIG

# ---------------------------------------------------------------- 4. Debezium's record, bad records, privileges
# a record as Debezium writes it (no walcap_* fields): resumed from
lsn_now=$(psql_admin -c "SELECT pg_current_wal_lsn() - '0/0'")
psql_admin -c "UPDATE $TABLE SET value = '{\"transaction_id\":null,\"lsn_proc\":$lsn_now,\"lsn_commit\":$lsn_now,\"lsn\":$lsn_now,\"txId\":1650,\"ts_usec\":1666268220374889}' WHERE connector = 'off_a'" >/dev/null
psql_admin -c "INSERT INTO public.t VALUES (71, 'after')" >/dev/null
end=$(current_lsn)
mkdir -p "$work/d"
(cd "$work/d" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$work/a.conf" \
	--set "sink.file.path=$work/d/out.jsonl" --endpos "$end" </dev/null >/dev/null 2>"$work/d.err")
assert_rc "4: Debezium's record: exit status 0" "$?" 0
assert_eq "4: Debezium's record: resumed from its lsn" \
	"$(grep -c "^walcap: INFO: resuming after $(psql_admin -c "SELECT '0/0'::pg_lsn + $lsn_now") " "$work/d.err")" 1
assert_eq "4: Debezium's record: the row after it, no snapshot" "$(jq -r '.op + " " + (.after.id | tostring)' "$work/d/out.jsonl")" "c 71"
assert_eq "4: Debezium's record: replaced by walcap's" "$(row "value ? 'walcap_slot'")" t

bad_run() {   # NAME: a run in an empty directory that must stop
	mkdir -p "$work/$1"
	(cd "$work/$1" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" run -c "$work/a.conf" \
		</dev/null >/dev/null 2>"$work/$1.err")
}
psql_admin -c "UPDATE $TABLE SET value = '{\"txId\":1}' WHERE connector = 'off_a'" >/dev/null
bad_run e
assert_rc "4: a record without a position: exit status 1" "$?" 1
assert_eq "4: a record without a position: the error and the fix" "$(grep -E '^walcap: (ERROR|HINT)' "$work/e.err")" \
"walcap: ERROR: offset table $TABLE (connector \"off_a\", server \"offdb\"): the offset record is not valid: it has neither lsn nor lsn_commit
walcap: HINT: delete the row to start from the slot's position"
assert_eq "4: a record without a position: left as it was" "$(row "value::text")" '{"txId": 1}'

psql_admin -c "UPDATE $TABLE SET value = '{\"lsn\":$lsn_now}' WHERE connector = 'off_a'" >/dev/null
psql_admin -c "REVOKE SELECT ON streamkap.walcap_offsets FROM streamkap_role" >/dev/null
bad_run f
assert_rc "4: no SELECT: exit status 1" "$?" 1
assert_eq "4: no SELECT: the error and the fix" "$(grep -E '^walcap: (ERROR|HINT)' "$work/f.err")" \
"walcap: ERROR: could not read the offset table $TABLE (connector \"off_a\", server \"offdb\"): permission denied for table walcap_offsets
walcap: HINT: grant the role USAGE on schema \"streamkap\" and SELECT, INSERT, UPDATE on the table (walcap setup prints the statements)"

t_done

#!/usr/bin/env bash
# t_streaming.sh — large transactions streamed before they commit
# (streaming=auto, PostgreSQL 14+): with logical_decoding_work_mem at its
# 64 kB minimum the server streams every transaction of more than a few
# hundred rows.  Nothing is emitted before the commit; events come out in
# commit order with interleaved transactions; an abort, and a rolled-back
# subtransaction, emit nothing; the server spills nothing to its disk;
# the spill files are gone afterwards; kill -9 in the middle of a streamed
# transaction, with the file sink: every row once.  Before 14 the option
# is not sent and the same transactions arrive whole.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-60}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=120

# log_replication_commands: the server logs the START_REPLICATION walcap sends.
pg_start -c log_replication_commands=on || { t_fail "pg_start"; t_done; }
DB=streamdb
seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
V=$PG_VERSION_NUM
psql_admin -c "ALTER SYSTEM SET logical_decoding_work_mem = '64kB'" >/dev/null
psql_admin -c "SELECT pg_reload_conf()" >/dev/null
psql_admin -c "CREATE TABLE big (id int PRIMARY KEY, tag text, pad text)" >/dev/null ||
	{ t_fail "create the table"; t_done; }
SPILL=$T_TMP/spill

conf() {   # FILE [key=value...]
	local f=$1
	shift
	walcap_conf "$f" "database.dbname=$DB" "streaming.spill.dir=$SPILL" "$@"
}
# ids TAG: the ids of the events of rows tagged TAG, in order, as a range list
ids() {
	jq -r --arg t "$2" 'select(.after.tag == $t or .before.tag == $t) | .after.id // .before.id' "$1" |
		awk 'NR == 1 { lo = $1; hi = $1; next }
			$1 == hi + 1 { hi = $1; next }
			{ printf "%s-%s ", lo, hi; lo = $1; hi = $1 }
			END { if (NR) printf "%s-%s", lo, hi }'
}
ins() {   # FROM TO TAG
	echo "INSERT INTO big SELECT g, '$3', repeat('x', 100) FROM generate_series($1, $2) g;"
}

walcap_conf "$T_TMP/slot.conf" "database.dbname=$DB"
# the slot (and its offset file) exists before the workload
conf "$T_TMP/a.conf"
walcap_run "$T_TMP/a.conf" --endpos "$(current_lsn)" >/dev/null 2>"$T_TMP/a0.err"
assert_rc "slot created" "$?" 0

# 1. one transaction of 20,000 rows; 2. two interleaved, the second to
# begin commits first; 3. savepoints; 4. a rolled-back transaction
psql_admin -c "BEGIN; $(ins 1 20000 one) COMMIT;" >/dev/null
# t1 waits, half written, for an advisory lock the test holds until t2 committed
{ psql_admin -c "SELECT pg_advisory_lock(4243), pg_sleep(300)" >/dev/null 2>&1; } &
holder=$!
held() { [ "$(psql_admin -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted")" = 1 ]; }
wait_until 20 held 4243
{ psql_admin -c "BEGIN; $(ins 100001 104000 t1) SELECT pg_advisory_xact_lock(4243); $(ins 104001 108000 t1) COMMIT;" >/dev/null; } &
t1=$!
waiting() { [ "$(psql_admin -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4243 AND NOT granted")" = 1 ]; }
wait_until 30 waiting
psql_admin -c "BEGIN; $(ins 200001 204000 t2) COMMIT;" >/dev/null
psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_advisory_lock(4243)%'" >/dev/null
wait "$holder" 2>/dev/null
wait "$t1"
psql_admin >/dev/null <<SQL
BEGIN;
$(ins 300001 303000 sp)
SAVEPOINT a;
$(ins 303001 306000 sp)
SAVEPOINT b;
$(ins 306001 309000 sp)
ROLLBACK TO a;
$(ins 309001 312000 sp)
COMMIT;
BEGIN;
$(ins 400001 405000 gone)
ROLLBACK;
UPDATE big SET tag = 'upd' WHERE id <= 5000;
SQL
END=$(current_lsn)
walcap_run "$T_TMP/a.conf" --endpos "$END" >"$T_TMP/a.out" 2>"$T_TMP/a.err"
assert_rc "walcap exits 0" "$?" 0
assert_eq "the big transaction, in order" "$(ids "$T_TMP/a.out" one)" "1-20000"
assert_eq "interleaved: in commit order, each once" \
	"$(jq -r 'select(.after.tag == "t1" or .after.tag == "t2") | .after.tag' "$T_TMP/a.out" | uniq -c | awk '{print $2, $1}' | paste -sd' ')" \
	"t2 4000 t1 8000"
assert_eq "interleaved: the rows" "$(ids "$T_TMP/a.out" t2) $(ids "$T_TMP/a.out" t1)" "200001-204000 100001-108000"
assert_eq "savepoints: the rolled-back subtransactions' rows left out" "$(ids "$T_TMP/a.out" sp)" "300001-303000 309001-312000"
assert_eq "a rolled-back transaction: nothing" "$(ids "$T_TMP/a.out" gone)" ""
assert_eq "a streamed update: 5,000 u events" \
	"$(jq -r 'select(.op == "u" and .after.tag == "upd") | .after.id' "$T_TMP/a.out" | sort -n | sed -n '1p;$p' | paste -sd-) $(grep -c '"op":"u"' "$T_TMP/a.out")" "1-5000 5000"
assert_eq "the spill folder is empty afterwards" "$(find "$SPILL" -type f | wc -l)" 0
if [ "$V" -ge 140000 ]; then
	assert_eq "the server streamed, and spilled nothing to its disk" \
		"$(psql_admin -c "SELECT stream_txns >= 5, spill_txns FROM pg_stat_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")" "t|0"
	proto=2
	[ "$V" -ge 150000 ] && proto=3
	[ "$V" -ge 160000 ] && proto=4
	assert_match "walcap asked for streaming, in the server's highest protocol" \
		"$(grep -o "received replication command: START_REPLICATION.*" "$PG_TMP/postgres.log" | tail -n 1)" \
		"\\(proto_version '$proto', .*, streaming 'on'\\)\$"
else
	assert_match "before 14: protocol 1, no streaming asked for" \
		"$(grep -o "received replication command: START_REPLICATION.*" "$PG_TMP/postgres.log" | tail -n 1)" \
		"\\(proto_version '1', publication_names '\"streamkap_pub\"'\\)\$"
fi

# 5. kill -9 in the middle of a streamed transaction (file sink): a
# transaction committed before it, then the streamed one once its
# first half was spilled; restarted, the file has every row once
conf "$T_TMP/k.conf" slot.name=kslot sink.type=file "sink.file.path=$T_TMP/k.jsonl" \
	"offset.storage.file.filename=$T_TMP/k.offsets"
psql_admin -c "SELECT pg_create_logical_replication_slot('kslot', 'pgoutput')" >/dev/null
: >"$T_TMP/k.err"
walcap_start /dev/null "$T_TMP/k.err" "$T_TMP/k.conf"
wait_until 30 grep -q "streaming from slot" "$T_TMP/k.err"
psql_admin -c "BEGIN; $(ins 500001 500100 before) COMMIT;" >/dev/null
# The streamed transaction waits, half written, for an advisory lock the
# test holds (a session of its own) until walcap was killed and restarted:
# it commits after the transaction below however slow the machine is.
{ psql_admin -c "SELECT pg_advisory_lock(4242), pg_sleep(300)" >/dev/null 2>&1; } &
HOLDPID=$!
wait_until 20 held 4242
{ psql_admin -c "BEGIN; $(ins 600001 610000 mid) SELECT pg_advisory_xact_lock(4242); $(ins 610001 620000 mid) COMMIT;" >/dev/null; } &
SQLPID=$!
if [ "$V" -ge 140000 ]; then
	wait_until 20 sh -c "ls '$SPILL'/kslot.*.spill >/dev/null 2>&1"
	assert_rc "a spill file while the transaction is open" "$?" 0
else
	sleep 2
fi
assert_eq "nothing of the open transaction emitted" "$(ids "$T_TMP/k.jsonl" mid)" ""
# a transaction that begins after the streamed one and commits before it:
# written, and its position confirmed, while the streamed one is open
psql_admin -c "BEGIN; $(ins 700001 700050 during) COMMIT;" >/dev/null
wait_until 20 sh -c "[ \"\$(grep -c '\"tag\":\"during\"' '$T_TMP/k.jsonl')\" -ge 50 ]"
assert_eq "a transaction committed meanwhile is written at once" "$(ids "$T_TMP/k.jsonl" during)" "700001-700050"
kill -9 "$WALCAP_PID"
wait "$WALCAP_PID" 2>/dev/null
walcap_start /dev/null "$T_TMP/k.err" "$T_TMP/k.conf"
# let the streamed transaction commit
psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_advisory_lock(4242)%'" >/dev/null
wait "$HOLDPID" 2>/dev/null
wait "$SQLPID"
wait_until 60 sh -c "[ \"\$(grep -c '\"tag\":\"mid\"' '$T_TMP/k.jsonl')\" -ge 20000 ]"
walcap_stop
assert_eq "after kill -9: every row once, in commit order" \
	"$(jq -r '.after.tag' "$T_TMP/k.jsonl" | uniq -c | awk '{print $2, $1}' | paste -sd' ')" \
	"before 100 during 50 mid 20000"
assert_eq "after kill -9: the rows" "$(ids "$T_TMP/k.jsonl" before) $(ids "$T_TMP/k.jsonl" during) $(ids "$T_TMP/k.jsonl" mid)" \
	"500001-500100 700001-700050 600001-620000"
assert_eq "after kill -9: the spill folder is empty" "$(find "$SPILL" -type f | wc -l)" 0

pg_stop
t_done

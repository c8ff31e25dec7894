#!/usr/bin/env bash
# Crash safety: while a workload commits transactions, walcap is killed
# with SIGKILL at random moments at least ten times and restarted each
# time.  Afterwards every committed row must be among the events — with
# the file sink exactly once, with stdout at least once.  A row missing
# would mean the slot was confirmed past an event the sink did not hold.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup crashdb
psql_admin -d crashdb -c "CREATE TABLE public.crash (id int PRIMARY KEY, txn int NOT NULL, pad text)"
psql_admin -d crashdb -c "GRANT SELECT ON public.crash TO streamkap_role"
# a second slot for the stdout run, so both runs see the same changes
psql_admin -d crashdb -c "SELECT pg_create_logical_replication_slot('crash_stdout', 'pgoutput')" >/dev/null

work=$T_TMP

# A kill before the first confirmation.  The status interval is long, so
# nothing is confirmed while walcap runs: the offset file holds only
# what the first start recorded, the file's size before any event, and
# the restart must cut the events written after it, not keep them
# beside the copies PostgreSQL sends again.  The file starts with a line
# of someone else's that must stay.
psql_admin -d crashdb -c "CREATE TABLE public.first (id int PRIMARY KEY)"
psql_admin -d crashdb -c "GRANT SELECT ON public.first TO streamkap_role"
psql_admin -d crashdb -c "SELECT pg_create_logical_replication_slot('crash_first', 'pgoutput')" >/dev/null
echo '{"before":"walcap"}' > "$work/first.jsonl"
walcap_conf "$work/first.conf" database.dbname=crashdb slot.name=crash_first sink.type=file \
	"sink.file.path=$work/first.jsonl" "offset.storage.file.filename=$work/first.offsets" \
	status.update.interval.ms=600000 'table.include.list=public\.first'
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/first.conf" 2>"$work/first.err" &
first=$!
wait_until 20 grep -qs 'streaming' "$work/first.err"
psql_admin -d crashdb -c "INSERT INTO public.first SELECT g FROM generate_series(1, 5) g"
wait_until 20 test "$(wc -l < "$work/first.jsonl")" -ge 6
kill -9 "$first"
wait "$first" 2>/dev/null
assert_eq "first start: five events written" "$(wc -l < "$work/first.jsonl")" 6
assert_eq "first start: the offset file records the size before the first event" \
	"$(grep -E "^(lsn|sink.file.size)=" "$work/first.offsets" | tr '\n' ' ')" "lsn=0/0 sink.file.size=20 "
assert_eq "first start: status says nothing was delivered" \
	"$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/first.conf" | grep '^offset file' | sed 's/, written 20[0-9T:Z-]*$//')" \
	"offset file $work/first.offsets: nothing delivered yet"
assert_eq "first start: status --json has no position" \
	"$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/first.conf" --json | jq -c '.offset_file | [.lsn, (.written | test("^20"))]')" \
	'[null,true]'
end=$(current_lsn)
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$work/first.conf" \
	--endpos "$end" 2>>"$work/first.err"
assert_rc "first start: the restart exit status" "$?" 0
assert_eq "first start: the restart cut the unconfirmed events" \
	"$(grep -c 'cutting 1[0-9][0-9][0-9] bytes of unconfirmed events' "$work/first.err")" 1
assert_eq "first start: the line before walcap, then each row once" \
	"$(head -1 "$work/first.jsonl"; tail -n +2 "$work/first.jsonl" | jq -r '.after.id' | tr '\n' ' ')" \
	'{"before":"walcap"}
1 2 3 4 5 '

conf_file=$work/file.conf
conf_out=$work/stdout.conf
walcap_conf "$conf_file" database.dbname=crashdb sink.type=file \
	"sink.file.path=$work/events.jsonl" "offset.storage.file.filename=$work/file.offsets" \
	status.update.interval.ms=100 'table.include.list=public\.crash'
walcap_conf "$conf_out" database.dbname=crashdb slot.name=crash_stdout \
	"offset.storage.file.filename=$work/stdout.offsets" \
	status.update.interval.ms=100 'table.include.list=public\.crash'

# The workload: 600 transactions of 1..40 rows with short pauses, about
# 12 s in all, in one session so it stays cheap.
{
	for t in $(seq 1 600); do
		n=$(( (t * 7) % 40 + 1 ))
		echo "INSERT INTO public.crash SELECT $t * 100 + g, $t, repeat('x', 100) FROM generate_series(1, $n) g;"
		echo "SELECT pg_sleep(0.02);"
	done
} > "$work/workload.sql"
psql_admin -d crashdb -f "$work/workload.sql" >/dev/null &
workload=$!

kills=0
# Kill both walcaps (file sink and stdout sink) at random moments.
while kill -0 "$workload" 2>/dev/null || [ "$kills" -lt 10 ]; do
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$conf_file" \
		2>>"$work/file.err" &
	a=$!
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$conf_out" \
		>"$work/stdout.$kills.jsonl" 2>>"$work/stdout.err" &
	b=$!
	sleep "0.$(( RANDOM % 8 + 2 ))"
	kill -9 "$a" "$b" 2>/dev/null
	wait "$a" "$b" 2>/dev/null
	kills=$((kills + 1))
	[ "$kills" -ge 40 ] && break
done
wait "$workload"

# Deliver the rest and stop at the current end of WAL.
end=$(current_lsn)
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$conf_file" \
	--endpos "$end" 2>>"$work/file.err"
rc_file=$?
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$conf_out" \
	--endpos "$end" >"$work/stdout.final.jsonl" 2>>"$work/stdout.err"
rc_out=$?

echo "# killed walcap $kills times; the file sink cut an unconfirmed tail $(grep -c 'cutting' "$work/file.err") times"
assert_eq "killed at least 10 times" "$([ "$kills" -ge 10 ] && echo yes)" yes
assert_eq "final file-sink run exit status" "$rc_file" 0
assert_eq "final stdout-sink run exit status" "$rc_out" 0

psql_admin -d crashdb -At -c "SELECT id FROM public.crash ORDER BY id" > "$work/committed"
committed=$(wc -l < "$work/committed")
assert_eq "workload committed all its rows" "$([ "$committed" -gt 10000 ] && echo yes)" yes

# Every line of the file is a whole event (a torn write was cut off).
bad=$(jq -c 'select(.op != "c")' "$work/events.jsonl" 2>&1 | head -3)
assert_eq "file sink holds only whole insert events" "$bad" ""
jq -r '.after.id' "$work/events.jsonl" | sort -n > "$work/file_ids"
assert_eq "file sink: every committed row exactly once" \
	"$(diff "$work/committed" "$work/file_ids" | head -5)" ""

# Each run's standard output is its own stream, as a consumer reading a
# pipe sees it.  A process killed in the middle of a write leaves an
# incomplete last line there; that event was not confirmed and comes
# again from the next run, so a reader drops such a line.
torn=0
for f in "$work"/stdout.*.jsonl; do
	if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
		torn=$((torn + 1))
	fi
done
echo "# stdout runs that ended in an incomplete line: $torn"
for f in "$work"/stdout.*.jsonl; do cat "$f"; echo; done |
	jq -R -r 'fromjson? | .after.id' | sort -n | uniq > "$work/out_ids"
assert_eq "stdout sink: only the last line of a killed run can be incomplete" \
	"$(for f in "$work"/stdout.*.jsonl; do head -n -1 "$f" | jq -R -c 'select((fromjson? | .op) != "c")'; done | head -3)" ""
assert_eq "stdout sink: every committed row at least once" \
	"$(diff "$work/committed" "$work/out_ids" | head -5)" ""

# After the final run the slot has been confirmed up to the end, so the
# server can recycle the WAL.
slot_lsn=$(psql_admin -d crashdb -At -c "SELECT confirmed_flush_lsn - '$end'::pg_lsn >= 0 FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'")
assert_eq "slot confirmed up to the end" "$slot_lsn" t

assert_eq "no ERROR in the file-sink logs" "$(grep -c 'ERROR' "$work/file.err")" 0

t_done

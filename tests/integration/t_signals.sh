#!/usr/bin/env bash
# Signals and snapshot options: log, malformed and unknown signals (the
# stream goes on), stop, pause/resume, additional conditions, tables
# without a primary key (skipped, surrogate-key, blocking), a table added
# to the publication at runtime, snapshot.mode=initial on an existing
# slot, initial_only, and signal rows never becoming events.
# integration: long
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snapshot_lib.sh"

work=$T_TMP
pg_start
psql_admin -d postgres -c "CREATE DATABASE sdb" >/dev/null
PG_DB=sdb
psql_admin -c "CREATE TABLE public.base (id int PRIMARY KEY)" >/dev/null
seed_setup sdb public.base
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
make_table a 1000
make_table b 10
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.nopk (k int NOT NULL, v text);
INSERT INTO public.nopk SELECT g, 'n' || g FROM generate_series(1, 30) g;
GRANT SELECT ON public.nopk TO streamkap_role;
ALTER PUBLICATION streamkap_pub ADD TABLE public.a, public.b, public.nopk;
SQL

walcap_conf "$work/s.conf" incremental.snapshot.chunk.size=10
walcap_start "$work/s.out" "$work/s.err" "$work/s.conf"
wait_until 20 grep -q "streaming from slot" "$work/s.err"
r_of() {   # TABLE: the ids of its r events, sorted, on one line
    jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | (.after.id // .after.k)' "$work/s.out" |
        sort -n | tr '\n' ' '
}
r_count() { jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | .op' "$work/s.out" | wc -l; }
logged() { grep -qF -- "$1" "$work/s.err"; }
inserted() { jq -e --argjson id "$1" 'select(.op == "c" and .after.id == $id)' "$work/s.out" >/dev/null 2>&1; }

# log
signal l1 log '{"message": "hello from the signal table"}'
wait_until 10 logged 'signal "l1": hello from the signal table'
assert_match "log: the message" "$(cat "$work/s.err")" '^walcap: INFO: signal "l1": hello from the signal table$'

# malformed and unknown: logged with the id and the reason, the stream goes on
signal bad1 execute-snapshot '{"data-collections": ["public.a"'
signal bad2 frobnicate '{}'
signal bad3 execute-snapshot '{"type": "incremental"}'
signal bad4 execute-snapshot '{"data-collections": ["public.a"], "type": "sideways"}'
psql_admin -c "INSERT INTO public.b VALUES (500, 'after the bad signals', 0)" >/dev/null
wait_until 10 inserted 500
assert_eq "malformed and unknown signals: the warnings" "$(grep -F 'ignored' "$work/s.err")" \
'walcap: WARNING: signal "bad1" ignored: execute-snapshot: data is not valid JSON at offset 32: expected '"','"' or '"']'"'
walcap: WARNING: signal "bad2" ignored: unknown signal type "frobnicate"
walcap: WARNING: signal "bad3" ignored: execute-snapshot: "data-collections" is missing or empty
walcap: WARNING: signal "bad4" ignored: execute-snapshot: "type" is "sideways", not "incremental" or "blocking"'
assert_eq "malformed signals: the stream goes on" "$(jq -c 'select(.op == "c") | .after.id' "$work/s.out")" 500
assert_eq "signal rows are not events" "$(jq -r 'select(.source.table == "streamkap_signal")' "$work/s.out")" ""

# additional conditions: only the matching rows
signal f1 execute-snapshot '{"data-collections": ["public.b"], "additional-conditions": [{"data-collection": "public.b", "filter": "id <= 3 OR id = 500"}]}'
wait_until 20 logged 'incremental snapshot of "public.b" done'
assert_eq "additional-conditions: the matching rows" "$(r_of b)" "1 2 3 500 "

# pause, then resume: nothing while paused (the execute and the pause
# commit together, so the pause comes before any chunk; a pause in the
# middle of a table is in t_snapshot_cli)
psql_admin -c "BEGIN; INSERT INTO streamkap.streamkap_signal VALUES ('p0', 'execute-snapshot', '{\"data-collections\": [\"public.a\"]}'), ('p1', 'pause-snapshot', NULL); COMMIT" >/dev/null
wait_until 10 logged 'signal "p1": snapshot paused'
sleep 2
assert_eq "pause: no rows while paused" "$(r_count a)" 0
signal p2 resume-snapshot
wait_until 30 logged 'incremental snapshot of "public.a" done'
assert_eq "resume: every row" "$(r_of a | wc -w)" 1000

# stop mid-way: fewer rows than the table has
psql_admin -c "INSERT INTO public.a SELECT g, 'more', 0 FROM generate_series(1001, 200000) g" >/dev/null
wait_until 30 inserted 200000
before=$(r_count a)
signal s0 execute-snapshot '{"data-collections": ["public.a"]}'
stop_after_some() { [ "$(r_count a)" -gt "$((before + 50))" ]; }
wait_until 20 stop_after_some
signal s1 stop-snapshot '{"data-collections": ["public.a"], "type": "incremental"}'
wait_until 10 logged 'signal "s1": snapshot stopped for 1 table'
sleep 1
after=$(r_count a)
sleep 1
assert_eq "stop-snapshot: no more rows" "$(r_count a)" "$after"
# (the table has 200,000 rows; rows before the stop: more than 50, not all)
assert_eq "stop-snapshot: fewer rows than the table ($(( after - before )) of 200000)" "$(( after - before > 50 && after - before < 200000 ))" 1

# a table without a primary key: skipped with the way out named
signal n1 execute-snapshot '{"data-collections": ["public.nopk"]}'
wait_until 10 logged 'snapshot of "public.nopk" skipped'
assert_match "no primary key: the warning" "$(cat "$work/s.err")" \
    'WARNING: snapshot of "public.nopk" skipped: the table has no primary key to read it by in chunks'
assert_match "no primary key: the hint" "$(cat "$work/s.err")" 'HINT: name a unique, non-null column as "surrogate-key"'
assert_eq "no primary key: no rows" "$(r_count nopk)" 0
signal n2 execute-snapshot '{"data-collections": ["public.nopk"], "surrogate-key": "k"}'
wait_until 20 logged 'incremental snapshot of "public.nopk" done'
assert_eq "surrogate-key: every row" "$(r_of nopk)" "$(seq 1 30 | tr '\n' ' ')"
signal n3 execute-snapshot '{"data-collections": ["public.nopk"], "type": "blocking"}'
wait_until 20 logged 'blocking snapshot of "public.nopk" done'
assert_eq "blocking: every row again" "$(r_count nopk)" 60
assert_eq "blocking: source.snapshot" \
    "$(jq -r 'select(.op == "r" and .source.table == "nopk") | .source.snapshot' "$work/s.out" | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" \
    "incremental:30 true:30 "

# a table added to the publication while walcap runs
make_table late 25
psql_admin -c "ALTER PUBLICATION streamkap_pub ADD TABLE public.late" >/dev/null
wait_until 20 logged 'incremental snapshot of "public.late" done'
assert_match "new table: noticed" "$(cat "$work/s.err")" \
    'INFO: table "public.late" was added to publication "streamkap_pub": snapshotting its existing rows'
assert_eq "new table: its rows" "$(r_of late)" "$(seq 1 25 | tr '\n' ' ')"
walcap_stop
assert_rc "walcap exits 0" "$WALCAP_RC" 0

# snapshot.new.tables=false
walcap_conf "$work/n.conf" snapshot.new.tables=false
walcap_start "$work/n.out" "$work/n.err" "$work/n.conf"
wait_until 20 grep -q "streaming from slot" "$work/n.err"
sleep 1
make_table later 5
psql_admin -c "ALTER PUBLICATION streamkap_pub ADD TABLE public.later" >/dev/null
wait_until 20 grep -q 'table "public.later" was added' "$work/n.err"
sleep 1
walcap_stop
assert_match "snapshot.new.tables=false: noticed, not snapshotted" "$(cat "$work/n.err")" \
    'INFO: table "public.later" was added to publication "streamkap_pub": its existing rows are not snapshotted \(snapshot.new.tables=false\)'
assert_eq "snapshot.new.tables=false: no rows" "$(jq -r 'select(.op == "r")' "$work/n.out")" ""

# snapshot.mode=initial_only on the existing slot (no offset file): every
# captured table incrementally, then exit 0
walcap_conf "$work/i.conf" snapshot.mode=initial_only table.include.list='public\.(b|late|later)' \
    offset.storage.file.filename="$work/i.offsets"
walcap_run "$work/i.conf" >"$work/i.out" 2>"$work/i.err"
assert_rc "initial_only: exit 0" "$?" 0
assert_eq "initial_only: the rows of the captured tables" \
    "$(jq -r 'select(.op == "r") | "\(.source.table):\(.after.id)"' "$work/i.out" | sort | tr '\n' ' ')" \
    "$( (for i in 1 2 3 4 5 6 7 8 9 10 500; do echo "b:$i"; done; for i in $(seq 1 25); do echo "late:$i"; done; for i in 1 2 3 4 5; do echo "later:$i"; done) | sort | tr '\n' ' ')"
assert_match "initial_only: incremental on the existing slot" "$(cat "$work/i.err")" \
    'INFO: initial snapshot of 3 tables \(incremental: the slot already exists\)'

t_done

#!/usr/bin/env bash
# walcap snapshot (the signal written for the user: execute, --filter,
# --blocking, --surrogate-key, --stop, --pause, --resume, and the checks
# and errors before anything is written), a pause in the middle of a
# table, and the progress shown by walcap run --progress and walcap status.
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
make_table p 5000
make_table f 100
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.nopk (k int NOT NULL, v text);
INSERT INTO public.nopk SELECT g, 'n' || g FROM generate_series(1, 20) g;
GRANT SELECT ON public.nopk TO streamkap_role;
CREATE TABLE public.outside (id int PRIMARY KEY);
GRANT SELECT ON public.outside TO streamkap_role;
ALTER PUBLICATION streamkap_pub ADD TABLE public.p, public.f, public.nopk;
ANALYZE public.p;
SQL

conf=$work/s.conf
walcap_conf "$conf" incremental.snapshot.chunk.size=10 status.update.interval.ms=200
snap() { WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$conf" "$@"; }
status() { WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$conf" "$@"; }
r_of() {   # TABLE: the ids of its r events, sorted, on one line
    jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | (.after.id // .after.k)' "$work/s.out" |
        sort -n | tr '\n' ' '
}
r_count() { jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | .op' "$work/s.out" | wc -l; }
logged() { grep -qF -- "$1" "$work/s.err"; }
signal_row() { psql_admin -c "SELECT type || ' ' || coalesce(data, '<null>') FROM streamkap.streamkap_signal WHERE id = '$1'"; }

# ---- checks before writing: nothing is written, exit 2 with the fix
out=$(snap public.nosuch 2>&1); rc=$?
assert_rc "missing table: exit 2" "$rc" 2
assert_match "missing table: the cause" "$out" '^walcap: ERROR: table "public.nosuch" does not exist$'
out=$(snap public.outside 2>&1); rc=$?
assert_rc "not in the publication: exit 2" "$rc" 2
assert_match "not in the publication: the cause" "$out" \
    '^walcap: ERROR: table "public.outside" is not in publication "streamkap_pub": walcap receives none of its changes$'
assert_match "not in the publication: the fix" "$out" \
    'HINT: as the table.s owner: ALTER PUBLICATION "streamkap_pub" ADD TABLE "public"."outside";'
out=$(snap public.nopk 2>&1); rc=$?
assert_rc "no primary key: exit 2" "$rc" 2
assert_match "no primary key: the way out" "$out" \
    'HINT: add --surrogate-key COLUMN \(a unique, non-null column\) or --blocking'
out=$(snap --surrogate-key nope public.nopk 2>&1); rc=$?
assert_rc "unknown surrogate key: exit 2" "$rc" 2
assert_match "unknown surrogate key: the cause" "$out" 'ERROR: table "public.nopk" has no column "nope" \(--surrogate-key\)'
out=$(snap --set 'table.exclude.list=public\.f' public.f 2>&1); rc=$?
assert_rc "excluded by the include lists: exit 2" "$rc" 2
assert_match "excluded by the include lists: the cause" "$out" 'ERROR: table "public.f" is not captured by this configuration'
out=$(snap 2>&1); rc=$?
assert_rc "no table named: exit 2" "$rc" 2
out=$(snap --pause public.p 2>&1); rc=$?
assert_rc "--pause with tables: exit 2" "$rc" 2
out=$(snap --stop --resume 2>&1); rc=$?
assert_rc "--stop with --resume: exit 2" "$rc" 2
out=$(snap --stop --filter 'id > 1' 2>&1); rc=$?
assert_rc "--stop with --filter: exit 2" "$rc" 2
out=$(snap 'public."unterminated' 2>&1); rc=$?
assert_rc "a name that does not parse: exit 2" "$rc" 2
assert_eq "none of these wrote a signal" "$(psql_admin -c "SELECT count(*) FROM streamkap.streamkap_signal")" 0

# ---- the connector user may not write the signal table: exit 1, the grant named
psql_admin -c "REVOKE INSERT ON streamkap.streamkap_signal FROM streamkap_role" >/dev/null
out=$(snap --id denied public.f 2>&1); rc=$?
assert_rc "INSERT not granted: exit 1" "$rc" 1
assert_match "INSERT not granted: the cause" "$out" \
    '^walcap: ERROR: could not write the signal into "streamkap"."streamkap_signal": permission denied for table streamkap_signal$'
assert_match "INSERT not granted: the grant" "$out" \
    'HINT: as an administrator: GRANT USAGE ON SCHEMA "streamkap" TO streamkap_role; GRANT INSERT ON "streamkap"."streamkap_signal" TO streamkap_role;'
psql_admin -c "GRANT INSERT ON streamkap.streamkap_signal TO streamkap_role" >/dev/null

# ---- written while no walcap runs: the signal waits in the slot
out=$(snap --id f1 --filter 'id <= 3 OR id = 50' f 2>"$work/f1.err"); rc=$?
assert_rc "execute: exit 0" "$rc" 0
assert_eq "execute: prints the id, type and data" "$out" \
    'f1 execute-snapshot {"data-collections":["f"],"type":"incremental","additional-conditions":[{"data-collection":"f","filter":"id <= 3 OR id = 50"}]}'
assert_eq "execute: the row in the signal table" "$(signal_row f1)" \
    'execute-snapshot {"data-collections":["f"],"type":"incremental","additional-conditions":[{"data-collection":"f","filter":"id <= 3 OR id = 50"}]}'
assert_match "execute: the slot is not read now, said so" "$(cat "$work/f1.err")" \
    'INFO: slot "streamkap_pgoutput_slot" is not being read now: walcap run acts on the signal when it next reads the slot'
out=$(snap --id f1 public.f 2>&1); rc=$?
assert_rc "an id used before: exit 1" "$rc" 1
assert_match "an id used before: the fix" "$out" 'HINT: a signal with id "f1" exists already: choose another --id'

walcap_start "$work/s.out" "$work/s.err" "$conf" --progress
wait_until 20 logged 'incremental snapshot of "public.f" done'
assert_eq "--filter: only the matching rows" "$(r_of f)" "1 2 3 50 "

# ---- --blocking and --surrogate-key on a table without a primary key
out=$(snap --id nb --blocking public.nopk 2>&1); rc=$?
assert_rc "--blocking: exit 0" "$rc" 0
assert_eq "--blocking: the signal" "$out" 'nb execute-snapshot {"data-collections":["public.nopk"],"type":"blocking"}'
wait_until 20 logged 'blocking snapshot of "public.nopk" done'
out=$(snap --id ns --surrogate-key k public.nopk 2>&1); rc=$?
assert_eq "--surrogate-key: the signal" "$out" \
    'ns execute-snapshot {"data-collections":["public.nopk"],"type":"incremental","surrogate-key":"k"}'
wait_until 20 logged 'incremental snapshot of "public.nopk" done'
assert_eq "--blocking then --surrogate-key: every row twice" \
    "$(jq -r 'select(.op == "r" and .source.table == "nopk") | .source.snapshot' "$work/s.out" | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" \
    "incremental:20 true:20 "

# ---- a pause in the middle of a table.  The table is locked, so the
# snapshot's first read waits; the pause is written meanwhile, and so
# comes in the stream before the first chunk's window: exactly one chunk
# (10 rows) goes out, then nothing until the resume.
psql_admin -c "BEGIN; LOCK TABLE public.p IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT" >/dev/null &
locker=$!
locked() { [ "$(psql_admin -c "SELECT count(*) FROM pg_locks WHERE relation = 'public.p'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
wait_until 10 locked
snap --id pp p >/dev/null 2>&1
waiting() { [ "$(psql_admin -c "SELECT count(*) FROM pg_locks WHERE relation = 'public.p'::regclass AND NOT granted")" -ge 1 ]; }
wait_until 10 waiting
out=$(snap --id pause1 --pause 2>&1); rc=$?
assert_eq "--pause: the signal" "$out" 'pause1 pause-snapshot'
wait "$locker"
wait_until 20 logged 'signal "pause1": snapshot paused'
paused_line() { grep -q 'snapshot of "public.p": 10 of .*, paused$' "$work/s.err"; }
wait_until 20 paused_line
assert_eq "paused mid-table: exactly the first chunk" "$(r_count p)" 10
assert_match "--progress: rows of the estimate, paused" "$(grep 'snapshot of "public.p"' "$work/s.err" | tail -1)" \
    '^walcap: INFO: snapshot of "public\.p": 10 of ~5,000 rows \(0%\), paused$'
stored_paused() { grep -q '"paused":true' "$work/s.conf.offsets"; }
wait_until 20 stored_paused
assert_match "status: the snapshot in progress" "$(status 2>&1)" \
    '^snapshot in progress \(signal "pp"\): "public\.p" 10 rows delivered of ~5000 \(0%\), 1 chunk, paused$'
assert_eq "status --json: the snapshot" "$(status --json | jq -c .snapshot)" \
    '{"signal":"pp","table":"public.p","rows":10,"estimated_rows":5000,"chunks":1,"paused":true,"tables_queued":0}'
sleep 2.5	# longer than a progress period
assert_eq "paused: still one chunk" "$(r_count p)" 10
assert_eq "--progress: a paused snapshot's line is not repeated" \
    "$(grep -c 'snapshot of "public.p": 10 of ~5,000 rows (0%), paused$' "$work/s.err")" 1
out=$(snap --id resume1 --resume 2>&1)
assert_eq "--resume: the signal" "$out" 'resume1 resume-snapshot'
wait_until 30 logged 'incremental snapshot of "public.p" done'
assert_eq "resumed: every row once" "$(r_of p | wc -w) $(r_of p | tr ' ' '\n' | grep . | sort -u | wc -l)" "5000 5000"
status_none() { status | grep -qx 'snapshot: none in progress'; }
wait_until 20 status_none
assert_match "status: no snapshot once done" "$(status)" '^snapshot: none in progress$'

# ---- --stop: the table's snapshot ends
psql_admin -c "BEGIN; LOCK TABLE public.p IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT" >/dev/null &
locker=$!
wait_until 10 locked
snap --id ps p >/dev/null 2>&1
wait_until 10 waiting
out=$(snap --id stop1 --stop public.p 2>&1)
assert_eq "--stop TABLE: the signal" "$out" \
    'stop1 stop-snapshot {"data-collections":["public.p"],"type":"incremental"}'
wait "$locker"
wait_until 20 logged 'signal "stop1": snapshot stopped for 1 table'
sleep 1
assert_eq "--stop: the stop came before the first chunk's window: no rows" "$(r_count p)" 5000
out=$(snap --id stop2 --stop 2>&1)
assert_eq "--stop (all): the signal" "$out" 'stop2 stop-snapshot {"type":"incremental"}'
wait_until 20 logged 'signal "stop2": snapshot stopped for 0 tables'
walcap_stop
assert_rc "walcap exits 0" "$WALCAP_RC" 0
assert_eq "signal rows are not events" "$(jq -r 'select(.source.table == "streamkap_signal")' "$work/s.out")" ""

t_done

#!/usr/bin/env bash
# snapshot.max.threads: the initial snapshot from a new slot's exported
# snapshot reads a large table in page ranges on two connections at
# once (PostgreSQL 14+; before, one connection and an INFO saying why).
# Under a concurrent workload each row is read once, the markers are the
# table's first and last row, and the events reproduce the table.  Then
# killed -9 after some ranges were recorded: the offset file's item
# leaves the finished ranges out, and the restart reads exactly the rows
# that condition leaves in, so that every row is in the file; and after
# VACUUM FULL (the rows move) the same condition leaves nothing out.
# integration: long
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snapshot_lib.sh"

work=$T_TMP
pg_start -c wal_sender_timeout=0
seed_setup sdb
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
psql_admin -c "CREATE TABLE public.fence (id serial PRIMARY KEY); GRANT SELECT ON public.fence TO streamkap_role" >/dev/null
vnum=$(psql_admin -c "SHOW server_version_num")

# ---- (1) two connections under a workload (about 400 pages: 3 ranges of 128)
ROWS=60000
make_table par "$ROWS"
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
workload_start par "$ROWS" 60
sleep 1
walcap_conf "$work/par.conf" snapshot.mode=initial snapshot.max.threads=2 'table.include.list=public\.(par|fence)'
walcap_start "$work/par.out" "$work/par.err" "$work/par.conf"
wait_until 60 grep -q "streaming from slot" "$work/par.err"
sleep 2
workload_stop
fence "$work/par.out"
walcap_stop
assert_rc "parallel: walcap exits 0" "$WALCAP_RC" 0
if [ "$vnum" -ge 140000 ]; then
    assert_match "parallel: the table is read in ranges on two connections" "$(cat "$work/par.err")" \
        'INFO: initial snapshot of "public\.par" started: [0-9]+ ranges of 128 pages on 2 connections'
    assert_match "parallel: the small table with one COPY" "$(cat "$work/par.err")" \
        'INFO: initial snapshot of "public\.fence" started'$'\n'
else
    assert_match "parallel: before 14, one connection, and why" "$(cat "$work/par.err")" \
        'INFO: snapshot.max.threads=2: one connection per table, since before PostgreSQL 14 a range of pages is read by scanning the whole table'
fi
nr=$(jq -r 'select(.op == "r" and .source.table == "par") | .after.id' "$work/par.out" | sort -u | wc -l)
assert_eq "parallel: each row read once" \
    "$(jq -r 'select(.op == "r" and .source.table == "par") | .after.id' "$work/par.out" | wc -l)" "$nr"
assert_match "parallel: ... about the table's rows" "$nr" '^(59[0-9]{3}|60[0-9]{3})$'
assert_eq "parallel: the markers: the table's first and last row written" \
    "$(jq -r 'select(.op == "r" and .source.table == "par") | .source.snapshot' "$work/par.out" | uniq -c | awk '{printf "%s %s ", $2, $1}')" \
    "first_in_data_collection 1 true $((nr - 2)) last 1 "
assert_reproduces "parallel: the events reproduce the table" "$work/par.out" par

# ---- (2) kill -9 in the middle of the table: on 15, the full suite's
# version (the version matrix runs (1) on the others)
if [ "$vnum" -lt 150000 ] || [ "$vnum" -ge 160000 ]; then
    t_done
    exit
fi
ROWS=300000
make_table kp "$ROWS"
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
state_of() { sed -n 's/^snapshot=//p' "$1" 2>/dev/null; }
range_recorded() { state_of "$1" | grep -q "ctid >= "; }
walcap_conf "$work/kp.conf" snapshot.mode=initial snapshot.max.threads=2 status.update.interval.ms=3600000 \
    sink.type=file "sink.file.path=$work/kp.json" 'table.include.list=public\.(kp|fence)'
walcap_start /dev/null "$work/kp.err1" "$work/kp.conf"
wait_until 60 range_recorded "$work/kp.conf.offsets"
kill -KILL "$WALCAP_PID"
wait "$WALCAP_PID" 2>/dev/null
WALCAP_PID=
filter=$(state_of "$work/kp.conf.offsets" | jq -r '.tables[] | select(.table == "kp") | .filter')
assert_eq "killed: kp was still being read" "$(grep -c 'initial snapshot of "public.kp" done' "$work/kp.err1")" 0
assert_match "killed: the item leaves the finished ranges out, while the table's file is the one read" "$filter" \
    "^\\(SELECT c\\.relfilenode FROM pg_catalog\\.pg_class c WHERE c\\.oid = [0-9]+\\) IS DISTINCT FROM [0-9]+ OR NOT \\(\\(ctid >= '\\([0-9]+,0\\)'::tid( AND ctid < '\\([0-9]+,0\\)'::tid)?\\)( OR \\(ctid >= '\\([0-9]+,0\\)'::tid( AND ctid < '\\([0-9]+,0\\)'::tid)?\\))*\\)$"
left=$(psql_admin -c "SELECT count(*) FROM public.kp WHERE $filter")
assert_match "killed: ... some of the rows" "$left" '^[1-9][0-9]*$'
[ "$left" -lt "$ROWS" ] && t_ok "killed: ... not all of them ($left of $ROWS left)" || t_fail "killed: ... not all of them" "$left"
walcap_start /dev/null "$work/kp.err2" "$work/kp.conf"
wait_until 120 grep -qs 'INFO: snapshot done' "$work/kp.err2"
fence "$work/kp.json"
walcap_stop
assert_rc "restart: walcap exits 0" "$WALCAP_RC" 0
assert_match "restart: it reads exactly the rows the recorded condition leaves in" "$(cat "$work/kp.err2")" \
    "INFO: incremental snapshot of \"public\\.kp\" done: $left rows"
assert_eq "restart: every row of the table is in the file" \
    "$(jq -R -r 'fromjson? // empty | select(.op == "r" and .source.table == "kp") | .after.id' "$work/kp.json" | sort -u | wc -l)" "$ROWS"
psql_admin -c "VACUUM FULL public.kp" >/dev/null
assert_eq "rewritten: after VACUUM FULL the condition leaves every row in" \
    "$(psql_admin -c "SELECT count(*) FROM public.kp WHERE $filter")" "$ROWS"
t_done

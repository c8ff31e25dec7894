#!/usr/bin/env bash
# Metrics of a lone `walcap run`: metrics.listen serves /metrics in
# Prometheus' text format with the exact figures of an initial snapshot
# of known tables and of streamed inserts, updates and deletes of known
# counts, the confirmed position equal to the slot's; other paths get a
# 404 in Kafka Connect's shape; a busy or malformed address stops walcap
# with a clear message; --report-fd writes one JSON line a second (and
# one at exit) that jq reads back, and a reader that goes away only ends
# the reports.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
SEED_SLOT=                      # walcap creates the slot: the initial snapshot is exported
pg_start
seed_setup mdb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.items (id int PRIMARY KEY, v text);
INSERT INTO public.items SELECT g, 'v' || g FROM generate_series(1, 1000) g;
CREATE TABLE public.other (id int PRIMARY KEY, n int);
INSERT INTO public.other SELECT g, g FROM generate_series(1, 25) g;
SQL

port=$(_lib_pick_port) || { t_fail "no free TCP port"; t_done; }
url=http://127.0.0.1:$port
walcap_conf "$work/m.conf" snapshot.mode=initial 'table.include.list=public\.(items|other)' \
    metrics.listen=127.0.0.1:$port status.update.interval.ms=200

# walcap_start, with descriptor 3 on the report file
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
    "$WALCAP" run -c "$work/m.conf" --report-fd 3 </dev/null >"$work/m.out" 2>"$work/m.err" 3>"$work/m.report" &
WALCAP_PID=$!
_LIB_PIDS+=("$WALCAP_PID")
wait_until 60 grep -q "streaming from slot" "$work/m.err"
assert_match "the listener is announced" "$(cat "$work/m.err")" \
    "INFO: serving metrics on http://127\\.0\\.0\\.1:$port/metrics"

lsn_num() { psql_admin -c "SELECT '$1'::pg_lsn - '0/0'"; }
psql_admin >/dev/null <<'SQL'
INSERT INTO public.items SELECT g, 'n' || g FROM generate_series(1001, 1007) g;
UPDATE public.items SET v = 'u' WHERE id <= 5;
DELETE FROM public.other WHERE id <= 3;
SQL
after=$(lsn_num "$(current_lsn)")
events() { [ "$(wc -l <"$work/m.out")" -ge 1040 ]; }
wait_until 30 events

metrics() { curl -s --max-time 5 "$url/metrics"; }
# Once the changes are confirmed and walcap idles, the confirmed position
# the metrics show (published at most 200 ms late) is the slot's.  The
# server's WAL moves now and then: each look compares both anew.
confirmed_matches() {
    local m s
    m=$(metrics | sed -n 's/^walcap_streaming_confirmed_lsn //p')
    s=$(lsn_num "$(slot_lsn streamkap_pgoutput_slot)")
    [ -n "$m" ] && [ "$m" = "$s" ] && [ "$s" -ge "$after" ]
}
if wait_until 30 confirmed_matches; then t_ok "confirmed_lsn is the slot's confirmed_flush_lsn"; else
    t_fail "confirmed_lsn is the slot's confirmed_flush_lsn" \
        "metrics $(metrics | grep '^walcap_streaming_confirmed_lsn'), slot $(lsn_num "$(slot_lsn streamkap_pgoutput_slot)"), after the changes $after"
fi

body=$(metrics)
printf '%s\n' "$body" >"$work/metrics.txt"
assert_eq "the exact samples" "$(printf '%s\n' "$body" | grep -E '^walcap_(streaming_(connected|total_number|number_of|reconnects)|sink_(delivery|batch_events)|snapshot_)' | grep -v '^walcap_snapshot_duration')" \
'walcap_streaming_connected 1
walcap_streaming_total_number_of_events_seen 15
walcap_streaming_total_number_of_create_events_seen 7
walcap_streaming_total_number_of_update_events_seen 5
walcap_streaming_total_number_of_delete_events_seen 3
walcap_streaming_total_number_of_truncate_events_seen 0
walcap_streaming_total_number_of_message_events_seen 0
walcap_streaming_number_of_committed_transactions 3
walcap_streaming_reconnects_total 0
walcap_sink_delivery_errors_total 0
walcap_sink_batch_events_total 1040
walcap_snapshot_running 0
walcap_snapshot_paused 0
walcap_snapshot_completed 1
walcap_snapshot_aborted 0
walcap_snapshot_total_table_count 2
walcap_snapshot_remaining_table_count 0
walcap_snapshot_total_rows{table="public.items"} 1000
walcap_snapshot_total_rows{table="public.other"} 25
walcap_snapshot_rows_scanned{table="public.items"} 1000
walcap_snapshot_rows_scanned{table="public.other"} 25
walcap_snapshot_remaining_rows{table="public.items"} 0
walcap_snapshot_remaining_rows{table="public.other"} 0'
assert_match "figures that vary: lag, positions, retained WAL, the process" \
    "$(printf '%s\n' "$body" | grep -E '^(walcap_streaming_(milli|received|retained)|walcap_snapshot_duration|process_)' | tr '\n' ' ')" \
    '^walcap_streaming_milli_seconds_behind_source [0-9]+ walcap_streaming_milli_seconds_since_last_event [0-9]+ walcap_streaming_received_lsn [1-9][0-9]+ walcap_streaming_retained_wal_bytes [0-9]+ walcap_snapshot_duration_seconds [0-9]+ process_cpu_seconds_total [0-9]+\.[0-9]{2} process_resident_memory_bytes [1-9][0-9]+ process_start_time_seconds [1-9][0-9]{9} $'
assert_eq "one HELP and one TYPE per family, 31 families" \
    "$(grep -c '^# HELP ' "$work/metrics.txt") $(grep -c '^# TYPE ' "$work/metrics.txt") $(grep '^# TYPE ' "$work/metrics.txt" | awk '{print $3}' | sort -u | wc -l)" \
    "31 31 31"
assert_eq "the content type" \
    "$(curl -s --max-time 5 -o /dev/null -w '%{content_type}' "$url/metrics")" \
    "text/plain; version=0.0.4; charset=utf-8"
assert_eq "another path: 404 in Kafka Connect's shape" \
    "$(curl -s --max-time 5 -w ' %{http_code}' "$url/connectors")" \
    '{"error_code":404,"message":"no such resource: /connectors (metrics are at /metrics)"} 404'
assert_eq "another method: 405" \
    "$(curl -s --max-time 5 -X POST -o /dev/null -w '%{http_code}' "$url/metrics")" 405

# the same address again: taken
walcap_conf "$work/busy.conf" metrics.listen=127.0.0.1:$port
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/busy.conf" 2>&1 >/dev/null)
assert_rc "a busy port: exit 1" "$?" 1
assert_eq "a busy port: the message" "$err" \
    "walcap: ERROR: metrics.listen: cannot listen on 127.0.0.1:$port: Address already in use (another process has that port: stop it or choose another port)"
walcap_conf "$work/bad.conf" metrics.listen=localhost
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/bad.conf" 2>&1 >/dev/null)
assert_rc "a malformed address: exit 2" "$?" 2
assert_match "a malformed address: the message" "$err" \
    'metrics.listen: "localhost" is not a listen address; write host:port, \[ipv6\]:port or :port \(every address\)'
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/busy.conf" --report-fd 9 2>&1 >/dev/null)
assert_rc "--report-fd of a closed descriptor: exit 2" "$?" 2
assert_match "--report-fd of a closed descriptor: the message" "$err" \
    '^walcap: ERROR: --report-fd 9: Bad file descriptor'
err=$(WALCAP_TIMEOUT=20 walcap_run "$work/busy.conf" --report-fd x 2>&1 >/dev/null)
assert_rc "--report-fd x: exit 2" "$?" 2

sleep 2.5
walcap_stop
assert_rc "walcap exits 0" "$WALCAP_RC" 0

# --report-fd: one line a second while running, the last at exit
assert_match "several report lines" "$(wc -l <"$work/m.report")" '^[3-9]$|^[1-9][0-9]+$'
assert_rc "every report line is one JSON object" \
    "$(jq -e -s 'all(type == "object")' "$work/m.report" >/dev/null; echo $?)" 0
assert_eq "the last report line" \
    "$(tail -n 1 "$work/m.report" | jq -c '[.connected, .events_create, .events_update, .events_delete, .committed_transactions, .batch_events, .snapshot_completed, .snapshot_total_tables, ([.tables[] | [.name, .total_rows, .rows_scanned]]), .last_error, (.confirmed_lsn > 0), (.sampled_ms > 0)]')" \
    '[0,7,5,3,3,1040,1,2,[["public.items",1000,1000],["public.other",25,25]],"",true,true]'
assert_eq "a report line while running says connected" \
    "$(head -n 2 "$work/m.report" | tail -n 1 | jq .connected)" 1

# a reader that goes away: the reports end, the run goes on; and an
# incremental snapshot's figures
port2=$(_lib_pick_port) || { t_fail "no free TCP port"; t_done; }
walcap_conf "$work/gone.conf" status.update.interval.ms=200 metrics.listen=127.0.0.1:$port2 \
    incremental.snapshot.chunk.size=10 'table.include.list=public\.(items|other)'
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
    "$WALCAP" run -c "$work/gone.conf" --report-fd 3 </dev/null >"$work/gone.out" 2>"$work/gone.err" 3> >(head -c 1 >/dev/null) &
WALCAP_PID=$!
_LIB_PIDS+=("$WALCAP_PID")
wait_until 30 grep -q "no more metrics reports" "$work/gone.err"
assert_match "a closed report pipe: one warning" "$(grep -c 'no more metrics reports' "$work/gone.err")" '^1$'
assert_match "a closed report pipe: the reason" "$(cat "$work/gone.err")" \
    'WARNING: --report-fd 3: Broken pipe; no more metrics reports'
psql_admin -c "INSERT INTO public.items VALUES (5000, 'after')" >/dev/null
wait_until 20 grep -q '"id":5000' "$work/gone.out"
assert_match "a closed report pipe: events still flow" "$(cat "$work/gone.out")" '"id":5000'
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('snap-other', 'execute-snapshot', '{\"data-collections\": [\"public.other\"]}')" >/dev/null
wait_until 30 grep -q 'incremental snapshot of "public.other" done' "$work/gone.err"
snap_done() { curl -s --max-time 5 "http://127.0.0.1:$port2/metrics" | grep -q '^walcap_snapshot_completed 1'; }
wait_until 10 snap_done
assert_eq "an incremental snapshot's figures" \
    "$(curl -s --max-time 5 "http://127.0.0.1:$port2/metrics" | grep -E '^walcap_(snapshot_|streaming_total_number_of_create)' | grep -v duration)" \
'walcap_streaming_total_number_of_create_events_seen 1
walcap_snapshot_running 0
walcap_snapshot_paused 0
walcap_snapshot_completed 1
walcap_snapshot_aborted 0
walcap_snapshot_total_table_count 1
walcap_snapshot_remaining_table_count 0
walcap_snapshot_total_rows{table="public.other"} 22
walcap_snapshot_rows_scanned{table="public.other"} 22
walcap_snapshot_remaining_rows{table="public.other"} 0'
# a lost connection: counted, and connected again
terminate_walsenders
reconnected() {
    curl -s --max-time 5 "http://127.0.0.1:$port2/metrics" |
        grep -E '^walcap_streaming_(connected|reconnects_total) ' | tr '\n' ' ' |
        grep -qx 'walcap_streaming_connected 1 walcap_streaming_reconnects_total 1 '
}
if wait_until 30 reconnected; then t_ok "a lost connection: reconnects_total 1, connected 1 again"; else
    t_fail "a lost connection: reconnects_total 1, connected 1 again" \
        "$(curl -s --max-time 5 "http://127.0.0.1:$port2/metrics" | grep -E '^walcap_streaming_(connected|reconnects_total) ' | tr '\n' ' ')"
fi
walcap_stop
assert_rc "a closed report pipe: walcap exits 0" "$WALCAP_RC" 0

# A reader that does not read for a while: the pipe fills (64 tables of
# long names make each line ~9 KiB, more than PIPE_BUF, so a write can
# also take part of a line); reports are skipped meanwhile, and what the
# reader gets is whole lines only.
psql_admin >/dev/null <<'SQL'
CREATE SCHEMA lng;
GRANT USAGE ON SCHEMA lng TO streamkap_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA lng GRANT SELECT ON TABLES TO streamkap_role;
DO $$ BEGIN
  FOR i IN 1..64 LOOP
    EXECUTE format('CREATE TABLE lng.%I (id int PRIMARY KEY)', 'table_with_a_rather_long_name_to_make_lines_long_' || i);
    EXECUTE format('INSERT INTO lng.%I VALUES (1), (2)', 'table_with_a_rather_long_name_to_make_lines_long_' || i);
  END LOOP;
END $$;
SQL
walcap_conf "$work/slow.conf" snapshot.mode=initial slot.name=slow_slot 'table.include.list=lng\..*'
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
    "$WALCAP" run -c "$work/slow.conf" --report-fd 3 </dev/null >"$work/slow.out" 2>"$work/slow.err" \
    3> >(sleep 12; cat >"$work/slow.report") &
WALCAP_PID=$!
_LIB_PIDS+=("$WALCAP_PID")
wait_until 60 grep -q "streaming from slot" "$work/slow.err"
sleep 14
walcap_stop
assert_rc "a slow reader: walcap exits 0" "$WALCAP_RC" 0
wait_until 10 test -s "$work/slow.report"
sleep 1
assert_rc "a slow reader: whole lines only, each one JSON object" \
    "$(jq -e -s 'length > 3 and all(type == "object")' "$work/slow.report" >/dev/null; echo $?)" 0
assert_eq "a slow reader: the lines are long" \
    "$(jq -s 'map(.tables | length) | max' "$work/slow.report") $(awk 'length($0) > 4096 {n++} END {print (n > 0)}' "$work/slow.report")" "64 1"
assert_eq "a slow reader: reports were skipped while the pipe was full (a gap of 3 s or more)" \
    "$(jq -s '[range(1; length) as $i | .[$i].sampled_ms - .[$i - 1].sampled_ms] | max >= 3000' "$work/slow.report")" true
assert_eq "a slow reader: the last line is the one at exit" "$(tail -n 1 "$work/slow.report" | jq -c '[.connected, .snapshot_completed]')" "[0,1]"

t_done

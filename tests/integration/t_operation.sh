#!/usr/bin/env bash
# Operation: latency on a quiet database, a clean stop on SIGTERM,
# reconnection after the walsender is terminated, status updates while
# the sink is blocked, and the slot advancing when nothing captured
# changes.
# integration: long
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start -c wal_sender_timeout=2s
seed_setup opdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
psql_admin -c "CREATE TABLE public.other (id int PRIMARY KEY)"
work=$T_TMP
# a status interval far longer than the checks below: an event that
# waited for it would be late, and status updates must come from
# wal_sender_timeout (2 s) instead
walcap_conf "$work/w.conf" 'table.include.list=public\.t' status.update.interval.ms=60000

ids() { jq -r '.after.id // .before.id' "$1" | tr '\n' ' ' | sed 's/ $//'; }
slot_past() { [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= '$1'::pg_lsn FROM pg_replication_slots WHERE slot_name = '$SEED_SLOT'")" = t ]; }
# has_lines FILE N: FILE has at least N lines (re-evaluated on each poll)
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# --- latency: a commit on a quiet database reaches the sink at once
walcap_start "$work/out1" "$work/err1" "$work/w.conf"
wait_until 10 grep -qs streaming "$work/err1"
psql_admin -c "INSERT INTO t VALUES (1, 'a')"
if wait_until 2 has_lines "$work/out1" 1; then
	t_ok "an event reaches the sink within 2 s of its commit (status interval 60 s)"
else
	t_fail "an event reaches the sink within 2 s of its commit"
fi

# ts_ms says when walcap produced the event: never before the commit
# (same machine, same clock), and not long after it on a quiet database
assert_eq "ts_ms is at or after the commit time, within 2 s" \
	"$(jq -c 'select(.ts_ms < .source.ts_ms or .ts_ms - .source.ts_ms > 2000) | [.source.ts_ms, .ts_ms]' "$work/out1")" ""

# --- the slot advances although only an uncaptured table changes
before=$(slot_lsn)
psql_admin -c "INSERT INTO other SELECT generate_series(1, 1000)"
target=$(current_lsn)
if wait_until 10 slot_past "$target"; then
	t_ok "idle: slot confirmed past uncaptured writes ($before -> $(slot_lsn))"
else
	t_fail "idle: slot confirmed past uncaptured writes" "slot at $(slot_lsn), wanted $target"
fi
assert_eq "uncaptured table produced no events" "$(ids "$work/out1")" "1"

# --- reconnection: terminate the walsender twice; nothing lost or repeated
psql_admin -c "INSERT INTO t VALUES (2, 'b')"
wait_until 5 has_lines "$work/out1" 2
terminate_walsenders
psql_admin -c "INSERT INTO t VALUES (3, 'c')"
psql_admin -c "BEGIN; INSERT INTO t VALUES (4, 'd'); UPDATE t SET v = 'dd' WHERE id = 4; COMMIT"
wait_until 10 has_lines "$work/out1" 5
terminate_walsenders
psql_admin -c "DELETE FROM t WHERE id = 1"
wait_until 15 has_lines "$work/out1" 6
assert_eq "events across two reconnects, once each, in order" "$(ids "$work/out1")" "1 2 3 4 4 1"
assert_eq "reconnects were logged" "$(grep -c 'replication connection lost' "$work/err1")" 2

# --- SIGTERM: clean exit, position confirmed
end=$(current_lsn)
walcap_stop TERM
assert_rc "SIGTERM: exit status 0" "$WALCAP_RC" 0
assert_match "SIGTERM: stop logged" "$(cat "$work/err1")" 'stopped after 6 events'
if slot_past "$end"; then t_ok "SIGTERM: slot confirmed up to the end"; else t_fail "SIGTERM: slot confirmed up to the end"; fi

walsender_pid() { psql_admin -c "SELECT pid FROM pg_stat_replication WHERE application_name = 'walcap'"; }

# --- a blocked sink: the reader stops for 10 s (five wal_sender_timeouts)
# while 40 MB of changes arrive; walcap keeps the connection with status
# updates, leaves what it cannot write yet with the server (its memory
# stays small) and then delivers everything
mkfifo "$work/fifo"
cat "$work/fifo" > "$work/out2" &
reader=$!
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/w.conf" \
	>"$work/fifo" 2>"$work/err2" </dev/null &
wpid=$!
wait_until 10 grep -qs streaming "$work/err2"
pid_before=$(walsender_pid)
kill -STOP "$reader"
# far more than a pipe holds
psql_admin -c "INSERT INTO t SELECT g, repeat(md5(g::text), 64) FROM generate_series(100, 20099) g"
sleep 10
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$wpid/status")
assert_eq "blocked sink: the same walsender after 10 s" "$(walsender_pid)" "$pid_before"
kill -CONT "$reader"
wait_until 30 has_lines "$work/out2" 20000
kill -TERM "$wpid"
wait "$wpid"
rc=$?
wait "$reader"
assert_rc "blocked sink: exit status 0" "$rc" 0
[ -n "$pid_before" ] || t_fail "blocked sink: a walsender was found"
assert_eq "blocked sink: all 20000 rows delivered" "$(jq -r .after.id "$work/out2" | sort -n | uniq | wc -l)" 20000
if grep -q __asan_init "$WALCAP" 2>/dev/null; then
	echo "skip - blocked sink memory: not meaningful under ASan (${rss_kb} kB)"
elif [ "$rss_kb" -lt 16384 ]; then
	t_ok "blocked sink: walcap's memory stayed small while 40 MB waited (${rss_kb} kB)"
else
	t_fail "blocked sink: walcap's memory stayed small while 40 MB waited" "VmRSS ${rss_kb} kB"
fi
assert_eq "blocked sink: the connection was never lost" "$(grep -c 'connection lost' "$work/err2")" 0

# --- a snapshot chunk held up by a lock for 8 s (four wal_sender_timeouts):
# walcap sends status updates while the chunk query waits
walcap_start "$work/out5" "$work/err5" "$work/w.conf"
wait_until 10 grep -qs streaming "$work/err5"
pid_before=$(walsender_pid)
psql_admin -c "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT" >/dev/null &
locker=$!
sleep 0.5
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('lock-1', 'execute-snapshot', '{\"data-collections\": [\"public.t\"], \"type\": \"incremental\"}')"
waiting() { [ "$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'walcap snapshot' AND wait_event_type = 'Lock'")" = 1 ]; }
if wait_until 5 waiting; then t_ok "locked chunk: the chunk query waits for the lock"; else t_fail "locked chunk: the chunk query waits for the lock"; fi
wait "$locker"
wait_until 60 grep -qs 'snapshot done' "$work/err5"
walcap_stop TERM
assert_rc "locked chunk: exit status 0" "$WALCAP_RC" 0
assert_eq "locked chunk: every row read" "$(jq -r 'select(.op == "r") | .after.id' "$work/out5" | sort -n | uniq | wc -l)" \
	"$(psql_admin -c "SELECT count(*) FROM t")"
assert_eq "locked chunk: the same walsender throughout" "$(grep -c 'connection lost' "$work/err5")" 0
[ -n "$pid_before" ] || t_fail "locked chunk: a walsender was found"

# --- the initial snapshot of a new slot (COPY in its exported snapshot)
# with the sink blocked for 6 s: the replication connection waits idle
# for its next command meanwhile, which wal_sender_timeout does not end
walcap_conf "$work/x.conf" 'table.include.list=public\.t' slot.name=export_slot snapshot.mode=initial \
	"offset.storage.file.filename=$work/x.off"
mkfifo "$work/fifo2"
# the test holds the pipe open for reading on fd 7 and never reads it:
# walcap's writes stop once the pipe is full; a reader takes over after 6 s
exec 7<>"$work/fifo2"
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/x.conf" \
	>"$work/fifo2" 2>"$work/err6" </dev/null 7<&- &
wpid=$!
wait_until 10 grep -qs 'initial snapshot of 1 table' "$work/err6"
sleep 6
assert_eq "blocked export: still in the snapshot after 6 s" "$(grep -c streaming "$work/err6")" 0
cat "$work/fifo2" > "$work/out6" 7<&- &
reader=$!
wait_until 30 grep -qs streaming "$work/err6"
kill -TERM "$wpid"
wait "$wpid"
rc=$?
exec 7<&-
wait "$reader"
assert_rc "blocked export: exit status 0" "$rc" 0
assert_eq "blocked export: every row read" "$(jq -r 'select(.op == "r") | .after.id' "$work/out6" | sort -n | uniq | wc -l)" \
	"$(psql_admin -c "SELECT count(*) FROM t")"
assert_eq "blocked export: the connection was never lost" "$(grep -c 'connection lost' "$work/err6")" 0
psql_admin -c "SELECT pg_drop_replication_slot('export_slot')" >/dev/null

# --- a logical message outside any transaction, with the file sink: it is
# confirmed only once it is in the file and the offset file, so a restart
# keeps it (and does not repeat it)
walcap_conf "$work/m.conf" sink.type=file "sink.file.path=$work/events.jsonl" \
	status.update.interval.ms=100 'table.include.list=public\.t'
psql_admin -c "SELECT pg_create_logical_replication_slot('msg_slot', 'pgoutput')" >/dev/null
echo "slot.name=msg_slot" >> "$work/m.conf"
walcap_start "$work/out3" "$work/err3" "$work/m.conf"
psql_admin -c "INSERT INTO t VALUES (50000, 'm')"
wait_until 10 grep -qs '"op":"c"' "$work/events.jsonl"
psql_admin -c "SELECT pg_logical_emit_message(false, 'pfx', 'hello')" >/dev/null
wait_until 10 grep -qs '"op":"m"' "$work/events.jsonl"
sleep 1
walcap_stop TERM
walcap_start "$work/out4" "$work/err4" "$work/m.conf"
wait_until 10 grep -qs streaming "$work/err4"
psql_admin -c "INSERT INTO t VALUES (50001, 'n')"
wait_until 10 has_lines "$work/events.jsonl" 3
walcap_stop TERM
assert_eq "non-transactional message kept across a restart, once" \
	"$(jq -r '.op + ":" + ((.after.id // .message.content) | tostring)' "$work/events.jsonl" | tr '\n' ' ')" \
	"c:50000 m:aGVsbG8= c:50001 "

t_done

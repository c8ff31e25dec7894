#!/usr/bin/env bash
# Slot loss and the WAL guard: the slot dropped under a running walcap,
# and invalidated by max_slot_wal_keep_size, with snapshot.mode=initial
# (exit 1, the cause and the choices) and snapshot.mode=when_needed (the
# slot recreated and every table snapshotted again, an ERROR giving the
# WAL range that was not streamed), found on connect and while running;
# wal.retained.warn.bytes warnings in the log and in `walcap status`.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start -c wal_sender_timeout=10s
seed_setup sldb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
psql_admin -c "CREATE TABLE public.filler (id serial PRIMARY KEY, pad text)"
work=$T_TMP
walcap_conf "$work/w.conf" 'table.include.list=public\.t' status.update.interval.ms=500 \
	connect.backoff.initial.ms=200 connect.backoff.max.ms=1000 \
	"offset.storage.file.filename=$work/w.off" snapshot.mode=initial
LSN='[0-9A-F]+/[0-9A-F]+'
SLOT=$SEED_SLOT

# ops FILE: "op:id" per event, in order
ops() { jq -r '"\(.op):\(.after.id // .before.id)"' "$1" | tr '\n' ' ' | sed 's/ $//'; }
streaming() { [ "$(grep -c 'streaming from slot' "$1")" -ge "$2" ]; }
has_line() { grep -qE -- "$2" "$1"; }
# drop the slot under walcap: end its walsender, then drop before it reconnects
drop_slot() {
	psql_admin >/dev/null <<SQL
DO \$\$
BEGIN
  PERFORM pg_terminate_backend(active_pid) FROM pg_replication_slots
    WHERE slot_name = '$SLOT' AND active_pid IS NOT NULL;
  FOR i IN 1..200 LOOP
    BEGIN
      PERFORM pg_drop_replication_slot('$SLOT');
      RETURN;
    EXCEPTION WHEN object_in_use THEN
      PERFORM pg_sleep(0.01);
    END;
  END LOOP;
  RAISE 'the slot stayed in use';
END
\$\$;
${1:-}
SQL
}
# the WAL of a few segments, then a checkpoint: with max_slot_wal_keep_size
# = 1MB a slot whose restart_lsn is not in the newest segment is invalidated.
# A transaction stays open over it all, so that the slot's restart_lsn
# cannot follow the WAL (walcap confirms quickly, and a running-xacts
# record logged in between would let it move into the newest segment).
invalidate() {
	local holder
	psql_admin -c "BEGIN; INSERT INTO public.filler (pad) VALUES ('hold'); SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 &
	holder=$!
	_LIB_PIDS+=("$holder")
	wait_until 10 eval '[ "$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '"'"'%pg_sleep(30)%'"'"' AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")" = 1 ]'
	for _ in 1 2 3 4; do
		psql_admin -c "SELECT pg_switch_wal()" >/dev/null
		psql_admin -c "INSERT INTO public.filler (pad) VALUES ('y')" >/dev/null
	done
	psql_admin -c "CHECKPOINT" >/dev/null
	psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$holder" 2>/dev/null
}
lost() { [ "$(psql_admin -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = lost ]; }

psql_admin -c "INSERT INTO t VALUES (1, 'a'), (2, 'b')"

# ---- (A) dropped while running, snapshot.mode=initial: exit 1, the choices
walcap_start "$work/a.out" "$work/a.err" "$work/w.conf"
wait_until 15 streaming "$work/a.err" 1
psql_admin -c "INSERT INTO t VALUES (3, 'c')"
wait_until 10 has_line "$work/a.out" '"id":3'
wait_until 5 test -s "$work/w.off"
drop_slot
wait_until 15 has_line "$work/a.err" 'ERROR'
walcap_stop
assert_rc "dropped, initial: exit 1" "$WALCAP_RC" 1
# rows 1 and 2 come streamed or snapshotted, as the slot predates them
assert_eq "dropped, initial: rows before it delivered" \
	"$(jq -r '.after.id' "$work/a.out" | sort -n | uniq | tr '\n' ' ')" "1 2 3 "
assert_match "dropped, initial: the cause" "$(grep ERROR "$work/a.err")" \
	"^walcap: ERROR: replication slot \"$SLOT\" does not exist: the changes committed after $LSN, the last position walcap delivered, can no longer be streamed$"
assert_eq "dropped, initial: the choices" "$(grep "HINT: either" "$work/a.err")" \
	"walcap: HINT: either set snapshot.mode=when_needed, and walcap recreates the slot and takes a new snapshot of every table; or move the offset file $work/w.off away, and walcap starts over with a new slot and an initial snapshot"
assert_match "dropped, initial: the loss is seen on reconnecting" "$(grep -c 'INFO: reconnected' "$work/a.err")" '^1$'
assert_eq "dropped, initial: no slot was created" \
	"$(psql_admin -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" 0

# ---- (B) snapshot.mode=when_needed: on connect, then dropped while running
psql_admin -c "INSERT INTO t VALUES (4, 'd')"
walcap_start "$work/b.out" "$work/b.err" "$work/w.conf" --set snapshot.mode=when_needed
wait_until 15 streaming "$work/b.err" 1
assert_match "when_needed, on connect: the range not streamed" "$(grep ERROR "$work/b.err" | head -1)" \
	"^walcap: ERROR: replication slot \"$SLOT\" does not exist: the changes committed between $LSN \(the last position walcap delivered\) and $LSN \(where the new slot starts\), [0-9.]+ (bytes|KiB|MiB) of WAL, were not streamed$"
assert_eq "when_needed, on connect: what comes next" "$(grep ERROR "$work/b.err" | sed -n 2p)" \
	'walcap: ERROR: walcap recreated the slot and takes a new snapshot of every table (snapshot.mode=when_needed): rows inserted or updated in that range come back as snapshot reads, rows deleted in it are missed'
assert_eq "when_needed, on connect: every row snapshotted" "$(ops "$work/b.out")" "r:1 r:2 r:3 r:4"
psql_admin -c "INSERT INTO t VALUES (10, 'j')"
wait_until 10 has_line "$work/b.out" '"id":10'
# the changes made while no slot exists are not streamed: an insert comes
# back with the snapshot, a delete is missed
drop_slot "INSERT INTO t VALUES (11, 'k'); DELETE FROM t WHERE id = 1;"
wait_until 15 streaming "$work/b.err" 2
psql_admin -c "INSERT INTO t VALUES (12, 'l')"
wait_until 10 has_line "$work/b.out" '"id":12'
walcap_stop
assert_rc "when_needed, while running: exit 0" "$WALCAP_RC" 0
assert_eq "when_needed, while running: snapshot again, then streaming" "$(ops "$work/b.out")" \
	"r:1 r:2 r:3 r:4 c:10 r:2 r:3 r:4 r:10 r:11 c:12"
assert_eq "when_needed: two losses, four ERROR lines" "$(grep -c ERROR "$work/b.err")" 4
assert_match "when_needed, while running: the range" "$(grep ERROR "$work/b.err" | sed -n 3p)" \
	"^walcap: ERROR: replication slot \"$SLOT\" does not exist: the changes committed between $LSN \(the last position walcap delivered\) and $LSN \(where the new slot starts\), [0-9.]+ (bytes|KiB|MiB) of WAL, were not streamed$"
assert_eq "when_needed: the slot exists again, pgoutput" \
	"$(psql_admin -c "SELECT plugin FROM pg_replication_slots WHERE slot_name = '$SLOT'")" pgoutput

# ---- (C) the WAL guard: a long transaction holds the slot back
walcap_start "$work/c.out" "$work/c.err" "$work/w.conf" \
	--set wal.retained.warn.bytes=1048576 --set wal.retained.check.interval.ms=500
wait_until 15 streaming "$work/c.err" 1
psql_admin -c "BEGIN; INSERT INTO public.filler (pad) VALUES ('open'); SELECT pg_sleep(20); COMMIT" >/dev/null 2>&1 &
_LIB_PIDS+=($!)
sleep 0.5
psql_admin -c "INSERT INTO public.filler (pad) SELECT repeat('x', 200) FROM generate_series(1, 20000)" >/dev/null
if wait_until 15 has_line "$work/c.err" 'HINT: walcap keeps up'; then
	t_ok "WAL guard: a warning while the slot retains more than 1 MiB"
else
	t_fail "WAL guard: a warning while the slot retains more than 1 MiB"
fi
assert_match "WAL guard: the warning" "$(grep 'WARNING: replication slot' "$work/c.err" | tail -1)" \
	"^walcap: WARNING: replication slot \"$SLOT\" retains [0-9.]+ MiB of WAL on the server, more than wal.retained.warn.bytes \(1.0 MiB\); walcap's confirmed position is [0-9.]+ (bytes|KiB|MiB) behind$"
assert_eq "WAL guard: what holds it" "$(grep 'HINT: walcap keeps up' "$work/c.err" | tail -1)" \
	'walcap: HINT: walcap keeps up, so something else holds the slot'"'"'s restart_lsn back, most often a long-running transaction: look for an old xact_start in pg_stat_activity'
st=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/w.conf" --set wal.retained.warn.bytes=1048576 2>"$work/st.err")
assert_eq "status: the warning line" "$(grep WARNING <<<"$st")" \
	'  WARNING: more than wal.retained.warn.bytes (1.0 MiB)'
assert_match "status: the warning on stderr" "$(cat "$work/st.err")" \
	"^walcap: WARNING: slot \"$SLOT\" retains [0-9.]+ MiB of WAL, more than wal.retained.warn.bytes \(1.0 MiB\)$"
assert_eq "status --json: the threshold and the flag" \
	"$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/w.conf" --set wal.retained.warn.bytes=1048576 --json 2>/dev/null | jq -c '[.slot.retained_wal_warn_bytes, .slot.retained_wal_warning]')" \
	'[1048576,true]'
assert_eq "status --json: under the default threshold" \
	"$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/w.conf" --json 2>/dev/null | jq -c '[.slot.retained_wal_warn_bytes, .slot.retained_wal_warning]')" \
	'[1073741824,false]'
psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()" >/dev/null

# ---- (D) invalidated while running, snapshot.mode=initial: exit 1
psql_admin -c "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
invalidate
wait_until 20 lost
wait_until 15 has_line "$work/c.err" 'ERROR'
walcap_stop
assert_rc "invalidated, initial: exit 1" "$WALCAP_RC" 1
assert_match "invalidated, initial: the cause" "$(grep ERROR "$work/c.err")" \
	"^walcap: ERROR: replication slot \"$SLOT\" is invalidated \(wal_status lost\): the changes committed after $LSN, the last position walcap delivered, can no longer be streamed$"
assert_match "invalidated, initial: the choices" "$(grep HINT "$work/c.err" | tail -1)" \
	'^walcap: HINT: either set snapshot.mode=when_needed, and walcap recreates the slot'

# ---- (E) when_needed: invalidated found on connect, then invalidated while running
psql_admin -c "INSERT INTO t VALUES (20, 't')"
walcap_start "$work/e.out" "$work/e.err" "$work/w.conf" --set snapshot.mode=when_needed
wait_until 15 streaming "$work/e.err" 1
assert_match "invalidated, when_needed, on connect: the range" "$(grep ERROR "$work/e.err" | head -1)" \
	"^walcap: ERROR: replication slot \"$SLOT\" is invalidated \(wal_status lost\): the changes committed between $LSN \(the last position walcap delivered\) and $LSN \(where the new slot starts\), [0-9.]+ (bytes|KiB|MiB) of WAL, were not streamed$"
assert_eq "invalidated, when_needed, on connect: every row snapshotted" "$(ops "$work/e.out")" \
	"r:2 r:3 r:4 r:10 r:11 r:12 r:20"
invalidate
wait_until 20 streaming "$work/e.err" 2
psql_admin -c "INSERT INTO t VALUES (21, 'u')"
wait_until 10 has_line "$work/e.out" '"id":21'
walcap_stop
assert_rc "invalidated, when_needed, while running: exit 0" "$WALCAP_RC" 0
assert_eq "invalidated, when_needed, while running: snapshot again, then streaming" "$(ops "$work/e.out")" \
	"r:2 r:3 r:4 r:10 r:11 r:12 r:20 r:2 r:3 r:4 r:10 r:11 r:12 r:20 c:21"
assert_match "invalidated, when_needed, while running: the range" "$(grep ERROR "$work/e.err" | sed -n 3p)" \
	"^walcap: ERROR: replication slot \"$SLOT\" is invalidated \(wal_status lost\): the changes committed between $LSN .* were not streamed$"
psql_admin -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null

# ---- (F) killed during the exported snapshot of a slot it created: the
# offset file already names the new slot with the table queued, so the next
# run snapshots it incrementally instead of streaming on without it
psql_admin -c "INSERT INTO t SELECT g, repeat('x', 2000) FROM generate_series(1000, 20999) g"
walcap_conf "$work/f.conf" 'table.include.list=public\.t' slot.name=fresh_slot snapshot.mode=initial \
	"offset.storage.file.filename=$work/f.off"
mkfifo "$work/fifo"
# the test holds the pipe open for reading on fd 7 and never reads it:
# walcap's writes stop once the pipe is full
exec 7<>"$work/fifo"
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/f.conf" >"$work/fifo" 2>"$work/f1.err" </dev/null 7<&- &
wpid=$!
wait_until 15 has_line "$work/f1.err" 'initial snapshot of 1 table from the new slot'
sleep 0.5
kill -9 "$wpid"
wait "$wpid" 2>/dev/null
exec 7<&-
assert_match "killed during the export: the offset file queues the table" "$(cat "$work/f.off")" \
	'^snapshot=.*"tables":\[\{"schema":"public","table":"t"'
walcap_start "$work/f.out" "$work/f2.err" "$work/f.conf"
wait_until 60 has_line "$work/f2.err" 'snapshot done'
walcap_stop
assert_rc "after the kill: exit 0" "$WALCAP_RC" 0
assert_eq "after the kill: the snapshot resumed" "$(grep -c 'resuming the snapshot of 1 table' "$work/f2.err")" 1
assert_eq "after the kill: every row read" \
	"$(jq -r 'select(.op == "r") | .after.id' "$work/f.out" | sort -n -u | wc -l)" "$(psql_admin -c "SELECT count(*) FROM t")"
psql_admin -c "SELECT pg_drop_replication_slot('fresh_slot')" >/dev/null

t_done

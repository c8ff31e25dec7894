#!/usr/bin/env bash
# ha.enabled: several walcaps with one configuration, one streams and the
# others stand by (exact lines); ten times the active one is killed with
# kill -9 during a workload, a standby takes over from the stored
# position and a new standby is started: every committed row is
# delivered.  A stale active (SIGSTOP past the takeover, then SIGCONT)
# stops, writes nothing and never moves the stored position backwards.
# ha.enabled with the offset file is refused.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
# a stopped walcap's walsender ends after 3 s without an answer
pg_start -c wal_sender_timeout=3s
SEED_SLOT=ha_slot seed_setup hadb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.t (id int PRIMARY KEY, v text);
GRANT SELECT ON public.t TO streamkap_role;
GRANT USAGE ON SCHEMA streamkap TO streamkap_role;
CREATE TABLE streamkap.walcap_offsets (connector TEXT NOT NULL, server TEXT NOT NULL, value JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (connector, server));
GRANT SELECT, INSERT, UPDATE ON streamkap.walcap_offsets TO streamkap_role;
SQL
# the lock's key: 'WALC' and the slot name's FNV-1a hash, 31 bits
fnv31() {   # TEXT (ASCII)
	local h=2166136261 i c
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%d' "'${1:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	echo $((h & 0x7fffffff))
}
KEY=$(fnv31 ha_slot)
stored_lsn() { psql_admin -c "SELECT coalesce((SELECT (value->>'lsn')::numeric FROM streamkap.walcap_offsets), 0)"; }
lock_pid() { psql_admin -c "SELECT coalesce((SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 1463897155 AND objid = $KEY AND objsubid = 2 AND granted), 0)"; }

walcap_conf "$work/ha.conf" slot.name=ha_slot offset.storage=postgres ha.enabled=true \
	ha.poll.interval.ms=200 sink.type=file status.update.interval.ms=200 'table.include.list=public\.t'
sed -i '/^offset.storage.file.filename=/d' "$work/ha.conf"

# ---------------------------------------------------------------- 1. refused with the offset file
walcap_conf "$work/file.conf" slot.name=ha_slot ha.enabled=true
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 10 "$WALCAP" run -c "$work/file.conf" 2>&1 </dev/null); rc=$?
assert_rc "offset file: exit status 2" "$rc" 2
assert_eq "offset file: the message" "$out" \
	'walcap: ERROR: ha.enabled=true needs offset.storage=postgres (or kafka, with exactly.once.support=required): a standby on another machine must read the position the active one recorded, and the offset file is local to each machine'

# ---------------------------------------------------------------- 2. one streams, the other stands by
n=0   # instances started; instance k writes $work/k.jsonl and $work/k.err
start() {   # starts instance n+1; PID in last
	n=$((n + 1))
	walcap_start "$work/$n.out" "$work/$n.err" "$work/ha.conf" --set "sink.file.path=$work/$n.jsonl"
	last=$WALCAP_PID
	pids[n]=$last
}
start
active=$n
wait_until 20 grep -qs 'streaming from slot' "$work/$active.err" || t_fail "2: the first streams"
start
standby=$n
wait_until 20 grep -qs 'standing by' "$work/$standby.err" || t_fail "2: the second stands by"
assert_match "2: the standby says why, once" "$(grep -v '^walcap: DEBUG' "$work/$standby.err")" \
	'^walcap: INFO: standing by: another walcap streams from slot "ha_slot" \(the lock is held by PostgreSQL backend [0-9]+, client 127\.0\.0\.1\); trying every 200 ms$'
assert_eq "2: the lock's holder is the active one's walsender" \
	"$(lock_pid)" "$(psql_admin -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'ha_slot'")"
sleep 1
assert_eq "2: the standby still stands by, and has written nothing" \
	"$(grep -c 'streaming from slot' "$work/$standby.err") $(cat "$work/$standby.jsonl" 2>/dev/null | wc -l)" "0 0"

# ---------------------------------------------------------------- 3. ten kills during a workload
psql_admin -c "INSERT INTO public.t VALUES (0, 'before')" >/dev/null
{
	for i in $(seq 1 400); do
		echo "INSERT INTO public.t SELECT $i * 10 + g, 'w' FROM generate_series(1, 5) g;"
		echo "SELECT pg_sleep(0.03);"
	done
} >"$work/workload.sql"
psql_admin -f "$work/workload.sql" >/dev/null &
workload=$!
takeovers=''
for k in $(seq 1 10); do
	sleep 0.$((RANDOM % 5 + 3))
	t0=${EPOCHREALTIME/./}
	kill -9 "${pids[active]}"
	wait "${pids[active]}" 2>/dev/null
	if wait_until 20 grep -qs '^walcap: INFO: taking over slot "ha_slot": the lock is ours after [0-9]* ms standing by$' "$work/$standby.err"; then
		takeovers+="$(( (${EPOCHREALTIME/./} - t0) / 1000 )) "
	else
		t_fail "3: kill $k: the standby took over"
	fi
	active=$standby
	start
	standby=$n
done
wait "$workload"
t_ok "3: ten kills, each followed by a takeover (ms from the kill to the log line: ${takeovers% })"
delivered() { cat "$work"/[0-9]*.jsonl | jq -rR 'fromjson? | select(.op == "c") | .after.id' | sort -nu | wc -l; }   # a killed walcap's last line may be cut short
rows=$(psql_admin -c "SELECT count(*) FROM public.t")
wait_until 30 eval '[ "$(delivered)" = "$rows" ]'
assert_eq "3: every committed row delivered by one of the $n walcaps" "$(delivered)" "$rows"
assert_eq "3: the standby never streamed" "$(grep -c 'streaming from slot' "$work/$standby.err")" 0

# ---------------------------------------------------------------- 4. the stale active
# paused past the takeover: its walsender ends (wal_sender_timeout),
# the standby takes over; continued, it stops without writing
stale=$active
stale_lines=$(wc -l <"$work/$stale.jsonl")
kill -STOP "${pids[stale]}"
wait_until 20 grep -qs '^walcap: INFO: taking over slot' "$work/$standby.err" || t_fail "4: the standby took over from the stopped one"
ins=$(psql_admin -c "SELECT pg_current_wal_lsn() - '0/0'")
psql_admin -c "INSERT INTO public.t VALUES (100000, 'after the takeover')" >/dev/null
wait_until 20 grep -qs '"id":100000' "$work/$standby.jsonl" || t_fail "4: the new active delivers"
wait_until 20 eval '[ "$(stored_lsn)" -gt "$ins" ]' || t_fail "4: the new active recorded it"
before=$(stored_lsn)
kill -CONT "${pids[stale]}"
# it must stop by itself
for ((i = 0; i < 300; i++)); do kill -0 "${pids[stale]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${pids[stale]}" 2>/dev/null; then
	t_fail "4: the stale active stopped by itself within 30 s"
	kill -9 "${pids[stale]}"
fi
wait "${pids[stale]}"
assert_rc "4: the stale active stopped: exit status 1" "$?" 1
assert_match "4: the stale active says why" "$(grep '^walcap: ERROR' "$work/$stale.err" | tail -n 1)" \
	'^walcap: ERROR: (after reconnecting, the lock of slot "ha_slot" is held by PostgreSQL backend [0-9]+, client 127\.0\.0\.1: another walcap has taken over \(ha\.enabled\); stopping, and nothing more is delivered or recorded|the offset table "streamkap"\."walcap_offsets" \(connector "ha_slot", server "hadb"\) was not written: this walcap no longer holds the lock of slot "ha_slot" \(its walsender, pid [0-9]+, has ended\), or the stored position is past its own: another walcap has taken over \(ha\.enabled\))$'
assert_eq "4: the stale active wrote nothing after it lost the lock" "$(wc -l <"$work/$stale.jsonl")" "$stale_lines"
after=$(stored_lsn)
if [ "$after" -ge "$before" ]; then t_ok "4: the stored position did not move backwards ($before, then $after)"
else t_fail "4: the stored position did not move backwards" "$before, then $after"; fi
assert_eq "4: the lock is the new active's" "$(lock_pid)" \
	"$(psql_admin -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'ha_slot'")"

# SIGTERM while standing by: a clean exit
stop_process "${pids[standby]}" TERM 10 standby
assert_rc "a standby stopped by SIGTERM: exit status 0" "$STOP_RC" 0
t_done

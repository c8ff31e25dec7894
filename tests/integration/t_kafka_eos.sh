#!/usr/bin/env bash
# exactly.once.support=required against librdkafka's mock cluster:
# configurations it needs are refused with the fix; events and the offset
# record commit together, so a walcap killed with kill -9 after a commit
# and restarted in an empty directory delivers every row exactly once
# (the same with a snapshot killed half-way); a commit the brokers answer
# with PRODUCER_FENCED stops walcap and confirms nothing; ten kills of the
# active one of two ha.enabled walcaps lose nothing, and a stale active
# one (SIGSTOP past the takeover) stops without moving the stored
# position backwards; heartbeats commit on a quiet database.
#
# What the mock cluster (librdkafka 2.0.2) lacks: its EndTxn writes no
# commit or abort markers, and its Fetch answers with the last stable
# offset equal to the high watermark and no aborted transactions.  A
# read_committed consumer of the mock therefore also sees the messages of
# transactions that were aborted (a kill -9 in the middle of one), which
# real brokers hide.  Sections 2 and 3 kill walcap only after its commit,
# where both agree; section 5 (kills at random) asserts that nothing is
# lost, and counts the copies an aborted transaction left.
# integration: long
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

work=$T_TMP
# a stopped walcap's walsender ends after 3 s without an answer (section 6)
pg_start -c wal_sender_timeout=3s
SEED_SLOT='' seed_setup eosdb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.t (id int PRIMARY KEY, v text);
INSERT INTO public.t SELECT g, 'old' FROM generate_series(1, 50) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
GRANT USAGE ON SCHEMA streamkap TO streamkap_role;
SELECT pg_create_logical_replication_slot('e_slot', 'pgoutput');
SQL
mock_start 1
mock_cmd topic walcap-offsets 1 || t_fail "the offset topic created"
mock_cmd topic eosdb.public.t 1 || t_fail "the table's topic created"

KEY='["e_slot",{"server":"eosdb"}]'
walcap_conf "$work/e.conf" offset.storage=kafka slot.name=e_slot sink.type=kafka \
	exactly.once.support=required "kafka.bootstrap.servers=$MOCK_BOOT" snapshot.mode=initial \
	incremental.snapshot.chunk.size=10 'table.include.list=public\.t' status.update.interval.ms=200
sed -i '/^offset.storage.file.filename=/d' "$work/e.conf"
start_in() {   # DIR [args]: walcap run in an empty directory DIR, stderr in DIR.err; PID in last
	local d=$1
	shift
	mkdir -p "$work/$d"
	env -C "$work/$d" WALCAP_DATABASE_PASSWORD="$WALCAP_TEST_PASSWORD" "$WALCAP" run -c "$work/e.conf" \
		"$@" </dev/null >/dev/null 2>>"$work/$d.err" &
	last=$!
	_LIB_PIDS+=("$last")
}
read_committed() {   # TOPIC: values, oldest first, as a read_committed consumer gets them
	timeout 30 kcat -b "$MOCK_BOOT" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
		-f '%k\t%s\n' 2>/dev/null
}
records() { read_committed walcap-offsets | awk -F '\t' -v k="$KEY" '$1 == k {print $2}'; }
stored_lsn() { records | tail -n 1 | jq -r '.lsn // 0'; }
# "OP ID" of every event of the table, in the order of the topic
events() { read_committed eosdb.public.t | cut -f2 | jq -rR 'fromjson? | select(.op) | "\(.op) \(.after.id // .before.id)"'; }
wal_lsn() { psql_admin -c "SELECT pg_current_wal_lsn() - '0/0'"; }
refused() {   # NAME WANT [--set K=V...]
	local name=$1 want=$2 out rc
	shift 2
	out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$work/e.conf" "$@" 2>&1 </dev/null); rc=$?
	assert_rc "$name: exit status 2" "$rc" 2
	assert_eq "$name: the message" "$out" "walcap: ERROR: $want"
}

# ---------------------------------------------------------------- 1. configurations refused
refused "another sink" \
	'exactly.once.support=required needs sink.type=kafka: it commits each batch of events in a Kafka transaction' \
	--set sink.type=stdout
refused "another offset store" \
	'exactly.once.support=required needs offset.storage=kafka: the offset record must commit in the same Kafka transaction as the events it covers' \
	--set offset.storage=file
refused "ha.enabled with the Kafka store, at least once" \
	'ha.enabled=true with offset.storage=kafka needs exactly.once.support=required: only a transactional producer, fenced by the next active one, keeps a stale active walcap from recording an older position (or use offset.storage=postgres)' \
	--set exactly.once.support=disabled --set ha.enabled=true
refused "a transactional.id, at least once" \
	'kafka.transactional.id makes the producer transactional, and walcap commits transactions only with exactly.once.support=required: set that, or remove the key' \
	--set exactly.once.support=disabled --set kafka.transactional.id=x

# ---------------------------------------------------------------- 2. kill -9 after a commit, an empty directory
start_in a
pid=$last
wait_until 20 grep -qs 'streaming from slot' "$work/a.err" || t_fail "2: walcap streams"
for i in $(seq 51 60); do psql_admin -c "INSERT INTO public.t VALUES ($i, 'new')" >/dev/null; done
end=$(wal_lsn)
wait_until 30 eval '[ "$(stored_lsn)" -ge "$end" ]' || t_fail "2: the offset record covers the inserts"
n_records=$(records | wc -l)
kill -9 "$pid"
wait "$pid" 2>/dev/null
assert_eq "2: the events, each once, in order: the snapshot's 50 rows and 10 inserts" \
	"$(events | sort -k1,1 -k2n | uniq -c | awk '{print $1}' | sort -u) $(events | grep -c '^r ') $(events | grep '^c ' | cut -d' ' -f2 | tr '\n' ' ')" \
	"1 50 51 52 53 54 55 56 57 58 59 60 "
if [ "$n_records" -ge 2 ]; then t_ok "2: offset records committed along the way ($n_records)"
else t_fail "2: offset records committed along the way" "$n_records"; fi
assert_eq "2: the offset records' positions only grow" \
	"$(records | jq -s '[.[].lsn] | . == (sort) and . == unique')" true
assert_eq "2: the last record says the snapshot is done" \
	"$(records | tail -n 1 | jq -r '.walcap_snapshot // "" | if . == "" then "none" else (fromjson | .queue | length) end')" "none"

start_in b
pid=$last
wait_until 20 grep -qs 'streaming from slot' "$work/b.err" || t_fail "2: the second walcap streams"
assert_match "2: it resumes from the offset topic" "$(grep 'resuming after' "$work/b.err")" \
	"^walcap: INFO: resuming after [0-9A-F]+/[0-9A-F]+ \\(offset topic \"walcap-offsets\" \\(key \\[\"e_slot\",\\{\"server\":\"eosdb\"\\}\\]\\)\\)\$"
for i in $(seq 61 70); do psql_admin -c "INSERT INTO public.t VALUES ($i, 'new')" >/dev/null; done
psql_admin -c "UPDATE public.t SET v = 'upd' WHERE id = 5" >/dev/null
end=$(wal_lsn)
wait_until 30 eval '[ "$(stored_lsn)" -ge "$end" ]' || t_fail "2: the second walcap commits"
stop_process "$pid" TERM 20 "walcap b"
assert_rc "2: SIGTERM: exit status 0" "$STOP_RC" 0
assert_eq "2: no new snapshot" "$(grep -c 'snapshot' "$work/b.err")" 0
assert_eq "2: after the restart, still each event once: 50 reads, 20 inserts, 1 update" \
	"$(events | sort | uniq -d | wc -l) $(events | grep -c '^r ') $(events | grep -c '^c ') $(events | grep -c '^u ')" \
	"0 50 20 1"

# ---------------------------------------------------------------- 3. a snapshot killed half-way
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.big (id int PRIMARY KEY, pad text);
INSERT INTO public.big SELECT g, 'p' FROM generate_series(1, 8000) g;
GRANT SELECT ON public.big TO streamkap_role;
SELECT pg_create_logical_replication_slot('e_big', 'pgoutput');
SQL
mock_cmd topic eosdb.public.big 1 || t_fail "3: the topic created"
# round trips of 300 ms make each commit long, and the snapshot long enough to be killed in its middle
mock_cmd rtt 1 300 || t_fail "3: the broker slowed down"
walcap_conf "$work/big.conf" offset.storage=kafka slot.name=e_big sink.type=kafka \
	exactly.once.support=required "kafka.bootstrap.servers=$MOCK_BOOT" snapshot.mode=initial \
	incremental.snapshot.chunk.size=10 'table.include.list=public\.big' status.update.interval.ms=200
sed -i '/^offset.storage.file.filename=/d' "$work/big.conf"
big_ids() { read_committed eosdb.public.big | cut -f2 | jq -rR 'fromjson? | select(.op == "r") | .after.id'; }
big_state() { read_committed walcap-offsets | awk -F '\t' '$1 == "[\"e_big\",{\"server\":\"eosdb\"}]" {v = $2} END {print v}'; }
mkdir -p "$work/c"
env -C "$work/c" WALCAP_DATABASE_PASSWORD="$WALCAP_TEST_PASSWORD" "$WALCAP" run -c "$work/big.conf" \
	</dev/null >/dev/null 2>"$work/c.err" &
pid=$!
_LIB_PIDS+=("$pid")
# killed once a chunk is committed and before the table is done
chunk() { big_state | jq -r '.walcap_snapshot // "{}" | fromjson | .chunk // 0'; }
wait_until 60 eval '[ "$(chunk)" -gt 0 ] 2>/dev/null' || t_fail "3: a chunk committed"
kill -9 "$pid"
wait "$pid" 2>/dev/null
mock_cmd rtt 1 0 || t_fail "3: the broker at full speed again"
first=$(big_ids | wc -l)
# the last chunk committed (on the mock, possibly the one the kill cut: see the top)
K=$(big_state | jq -r '.walcap_snapshot | fromjson | .last_key[0]')
mkdir -p "$work/d"
env -C "$work/d" WALCAP_DATABASE_PASSWORD="$WALCAP_TEST_PASSWORD" "$WALCAP" run -c "$work/big.conf" \
	</dev/null >/dev/null 2>"$work/d.err" &
pid=$!
_LIB_PIDS+=("$pid")
wait_until 60 grep -qs 'incremental snapshot of "public.big" done' "$work/d.err" || { t_fail "3: the snapshot finishes"; cat "$work/c.err" "$work/d.err" >&2; }
wait_until 30 eval '[ "$(big_state | jq -r ".walcap_snapshot // \"\"")" = "" ]' || t_fail "3: the end committed"
stop_process "$pid" TERM 20 "walcap d"
assert_match "3: the second walcap resumes the table after the stored chunk" "$(grep 'snapshot of "public.big" started' "$work/d.err")" \
	'\(resumed after the stored chunk\)$'
if [ "$first" -gt 0 ] && [ "$K" -lt 8000 ]; then t_ok "3: killed half-way (chunks up to id $K committed, $first rows sent)"
else t_fail "3: killed half-way" "$first rows, committed up to $K"; fi
# in the topic: the first walcap's rows 1..M (those past K in the
# transaction the kill cut, which real brokers hide), then the second's
# from K+1 on
assert_eq "3: the second walcap's rows start right after the last committed chunk, and every row is there" \
	"$(big_ids | awk -v k="$K" 'NR > 1 && $1 < prev {cut = NR} {a[NR] = $1; prev = $1}
		END {if (!cut) cut = NR + 1; ok = 1
			for (i = 1; i < cut; i++) if (a[i] != i) ok = 0
			for (i = cut; i <= NR; i++) if (a[i] != k + 1 + i - cut) ok = 0
			printf "%s %d %d", ok ? "in-order" : "out-of-order", (cut > 1 && cut <= NR) ? a[cut] - 1 : k, a[NR]}')" \
	"in-order $K 8000"

# ---------------------------------------------------------------- 4. fenced
# The mock cluster does not fence by itself: its InitProducerId gives a
# new producer with the same transactional.id a new producer id instead of
# bumping the current one's epoch.  Its brokers are made to answer the
# next EndTxn with PRODUCER_FENCED (error 90), as real brokers answer a
# producer a newer one has fenced.
start_in f1
p1=$last
wait_until 20 grep -qs 'streaming from slot' "$work/f1.err" || t_fail "4: walcap streams"
mock_cmd fail 26 90 || t_fail "4: the next EndTxn fails"
psql_admin -c "INSERT INTO public.t VALUES (100, 'fenced')" >/dev/null
# the insert's commit ends here (an idle walcap may confirm up to the WAL end before it)
ins_end=$(wal_lsn)
for ((i = 0; i < 200; i++)); do kill -0 "$p1" 2>/dev/null || break; sleep 0.1; done
wait "$p1"
assert_rc "4: the fenced walcap stops: exit status 1" "$?" 1
assert_match "4: it says why" "$(grep '^walcap: ERROR' "$work/f1.err" | tail -n 1)" \
	'^walcap: ERROR: fenced: another producer with transactional.id "e_slot" started \(another walcap with this name took over\); this one stops, and nothing after its last commit is confirmed \(.*\)$'
# (its offset record is in the topic: the mock hides no aborted transaction)
assert_eq "4: what the failed commit held was not confirmed to PostgreSQL" \
	"$(psql_admin -c "SELECT confirmed_flush_lsn - '0/0' < $ins_end FROM pg_replication_slots WHERE slot_name = 'e_slot'")" t
start_in f2
p2=$last
wait_until 20 grep -qs 'streaming from slot' "$work/f2.err" || t_fail "4: the next walcap streams"
psql_admin -c "INSERT INTO public.t VALUES (101, 'after')" >/dev/null
end=$(wal_lsn)
wait_until 40 eval '[ "$(stored_lsn)" -ge "$end" ]' || t_fail "4: the next walcap delivers and commits"
stop_process "$p2" TERM 20 "walcap f2"
assert_eq "4: both inserts are in the topic" "$(events | grep -c '^c 10[01]$')" 2

# ---------------------------------------------------------------- 5. ten kills of the active one (ha.enabled)
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.w (id int PRIMARY KEY, v text);
GRANT SELECT ON public.w TO streamkap_role;
SELECT pg_create_logical_replication_slot('e_ha', 'pgoutput');
SQL
mock_cmd topic eosdb.public.w 1 || t_fail "5: the topic created"
walcap_conf "$work/ha.conf" offset.storage=kafka slot.name=e_ha sink.type=kafka ha.enabled=true \
	ha.poll.interval.ms=200 exactly.once.support=required "kafka.bootstrap.servers=$MOCK_BOOT" \
	'table.include.list=public\.w' status.update.interval.ms=200
sed -i '/^offset.storage.file.filename=/d' "$work/ha.conf"
n=0
start_ha() {   # instance n+1 in an empty directory; its PID in pids[n]
	n=$((n + 1))
	mkdir -p "$work/h$n"
	env -C "$work/h$n" WALCAP_DATABASE_PASSWORD="$WALCAP_TEST_PASSWORD" "$WALCAP" run -c "$work/ha.conf" \
		</dev/null >/dev/null 2>"$work/h$n.err" &
	pids[n]=$!
	_LIB_PIDS+=("${pids[n]}")
}
start_ha
active=$n
wait_until 20 grep -qs 'streaming from slot' "$work/h$active.err" || t_fail "5: the first streams"
start_ha
standby=$n
wait_until 20 grep -qs 'standing by' "$work/h$standby.err" || t_fail "5: the second stands by"
{
	for i in $(seq 1 300); do
		echo "INSERT INTO public.w SELECT $i * 10 + g, 'w' FROM generate_series(1, 5) g;"
		echo "SELECT pg_sleep(0.03);"
	done
} >"$work/workload.sql"
psql_admin -f "$work/workload.sql" >/dev/null &
workload=$!
for k in $(seq 1 10); do
	sleep 0.$((RANDOM % 5 + 3))
	kill -9 "${pids[active]}"
	wait "${pids[active]}" 2>/dev/null
	wait_until 20 grep -qs '^walcap: INFO: taking over slot "e_ha"' "$work/h$standby.err" ||
		t_fail "5: kill $k: the standby took over"
	active=$standby
	start_ha
	standby=$n
done
wait "$workload"
w_ids() { read_committed eosdb.public.w | cut -f2 | jq -rR 'fromjson? | select(.op == "c") | .after.id'; }
rows=$(psql_admin -c "SELECT count(*) FROM public.w")
end=$(wal_lsn)
wait_until 30 eval '[ "$(read_committed walcap-offsets | awk -F "\t" "\$1 == \"[\\\"e_ha\\\",{\\\"server\\\":\\\"eosdb\\\"}]\" {v = \$2} END {print v}" | jq -r .lsn)" -ge "$end" ]' ||
	t_fail "5: the last active one committed the end"
assert_eq "5: every committed row delivered, across ten kills and takeovers" "$(w_ids | sort -nu | wc -l)" "$rows"
t_ok "5: copies from transactions the kills cut, which real brokers hide and the mock shows: $(( $(w_ids | wc -l) - rows ))"
assert_eq "5: the standby never streamed" "$(grep -c 'streaming from slot' "$work/h$standby.err")" 0

# the stale active: paused past the takeover (its walsender ends after
# wal_sender_timeout), then continued.  Idle when paused, it stops at its
# reconnect, on the lock; one paused with a transaction open would be
# fenced by the brokers, which the mock cannot show (see the top).
ha_stored() { read_committed walcap-offsets | awk -F '\t' '$1 == "[\"e_ha\",{\"server\":\"eosdb\"}]" {v = $2} END {print v}' | jq -r '.lsn // 0'; }
stale=$active
kill -STOP "${pids[stale]}"
wait_until 30 eval '[ "$(grep -c "^walcap: INFO: taking over slot" "$work/h$standby.err")" -ge 1 ]' ||
	t_fail "5: the standby took over from the paused one"
active=$standby
psql_admin -c "INSERT INTO public.w VALUES (100000, 'after the takeover')" >/dev/null
end=$(wal_lsn)
wait_until 30 eval '[ "$(ha_stored)" -ge "$end" ]' || t_fail "5: the new active one commits"
before=$(ha_stored)
kill -CONT "${pids[stale]}"
for ((i = 0; i < 300; i++)); do kill -0 "${pids[stale]}" 2>/dev/null || break; sleep 0.1; done
wait "${pids[stale]}"
assert_rc "5: the stale active stopped: exit status 1" "$?" 1
assert_match "5: it says why" "$(grep '^walcap: ERROR' "$work/h$stale.err" | tail -n 1)" \
	'^walcap: ERROR: (after reconnecting, the lock of slot "e_ha" is held by PostgreSQL backend [0-9]+, client 127\.0\.0\.1: another walcap has taken over \(ha\.enabled\); stopping, and nothing more is delivered or recorded|fenced: .*)$'
after=$(ha_stored)
if [ "$after" -ge "$before" ]; then t_ok "5: the stored position did not move backwards ($before, then $after)"
else t_fail "5: the stored position did not move backwards" "$before, then $after"; fi
assert_eq "5: the row after the takeover, once" "$(w_ids | grep -c '^100000$')" 1
stop_process "${pids[active]}" TERM 20 "the active walcap"
assert_rc "5: the active one stopped by SIGTERM: exit status 0" "$STOP_RC" 0

# ---------------------------------------------------------------- 6. heartbeats on a quiet database
# a heartbeat is a unit of its own: the transaction holding it commits,
# with an offset record, instead of staying open until the next change
start_in hb --set heartbeat.interval.ms=200
p=$last
wait_until 20 grep -qs 'streaming from slot' "$work/hb.err" || t_fail "6: walcap streams"
sleep 1
r0=$(records | wc -l)
sleep 3
r1=$(records | wc -l)
stop_process "$p" TERM 20 "walcap hb"
assert_rc "6: SIGTERM: exit status 0" "$STOP_RC" 0
if [ "$r1" -ge $((r0 + 2)) ]; then t_ok "6: transactions with heartbeats commit on a quiet database ($r0, then $r1 offset records 3 s later)"
else t_fail "6: transactions with heartbeats commit on a quiet database" "$r0, then $r1 offset records 3 s later"; fi
t_done

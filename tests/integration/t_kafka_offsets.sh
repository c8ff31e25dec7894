#!/usr/bin/env bash
# offset.storage=kafka against librdkafka's mock cluster: no brokers is
# refused; the record walcap writes is
# Kafka Connect's (exact key, Debezium's fields); a walcap in an empty
# working directory resumes from the topic without a new snapshot; a
# snapshot killed half-way resumes from it; a record Debezium wrote is
# resumed from; a bad record stops walcap with the fix.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# the table a snapshot is killed half-way through (paused first: part 3)
BIG=40000
. "$(dirname "$0")/kafka_lib.sh"

work=$T_TMP
pg_start
SEED_SLOT='' seed_setup kodb
psql_admin >/dev/null <<SQL
CREATE TABLE public.t (id int PRIMARY KEY, v text);
INSERT INTO public.t SELECT g, 'old' FROM generate_series(1, 50) g;
CREATE TABLE public.big (id int PRIMARY KEY, pad text);
INSERT INTO public.big SELECT g, repeat('p', 200) FROM generate_series(1, $BIG) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
-- watermarks written into the signal table, as the setup guide has them
GRANT USAGE ON SCHEMA streamkap TO streamkap_role;
SELECT pg_create_logical_replication_slot('k_slot', 'pgoutput');
SELECT pg_create_logical_replication_slot('k_big', 'pgoutput');
SQL
mock_start 1

KEY='["k_slot",{"server":"kodb"}]'
WHERE="offset topic \"walcap-offsets\" (key $KEY)"
walcap_conf "$work/k.conf" offset.storage=kafka slot.name=k_slot sink.type=kafka \
	"kafka.bootstrap.servers=$MOCK_BOOT" snapshot.mode=initial incremental.snapshot.chunk.size=10 \
	'table.include.list=public\.t' status.update.interval.ms=200
sed -i '/^offset.storage.file.filename=/d' "$work/k.conf"
run_in() {   # DIR [args]: walcap run in an empty directory DIR, stderr in DIR.err
	local d=$1
	shift
	mkdir -p "$work/$d"
	(cd "$work/$d" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" run -c "$work/k.conf" \
		"$@" </dev/null >/dev/null 2>"$work/$d.err")
}
# the newest value under KEY in the offset topic
record() { topic_read walcap-offsets | awk -F '\t' -v k="$KEY" '$2 == k {v = $3} END {print v}'; }
ids() {   # TOPIC OP: the ids of its events with that op, sorted, on one line
	topic_read "$1" | cut -f3 | jq -r --arg op "$2" 'select(.op == $op) | .after.id' | sort -n | tr '\n' ' '
}

# ---------------------------------------------------------------- 1. configuration
# (a missing topic cannot be tested here: the mock cluster creates every
# topic a metadata request names, whatever the client asks)
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/k.conf" --set kafka.bootstrap.servers= 2>&1 </dev/null); rc=$?
assert_rc "no brokers: exit status 2" "$rc" 2
assert_eq "no brokers: the message" "$out" \
	'walcap: ERROR: kafka.bootstrap.servers is required when offset.storage is kafka (host:port of one or more brokers)'

# ---------------------------------------------------------------- 2. the record, and an empty directory
mock_cmd topic walcap-offsets 1 || t_fail "the offset topic created"
mkdir -p "$work/a"
(cd "$work/a" && exec env WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/k.conf" \
	</dev/null >/dev/null 2>"$work/a.err") &
pid=$!
wait_until 20 grep -qs 'streaming from slot' "$work/a.err" || t_fail "2: walcap streams"
# after the snapshot: inserted while it runs, a row could be read by it too
wait_until 30 grep -qs 'snapshot done' "$work/a.err" || t_fail "2: the snapshot ends"
t0=$(date +%s%6N)
xid=$(psql_admin -c "INSERT INTO public.t SELECT g, 'new' FROM generate_series(51, 60) g; SELECT txid_current()")
t1=$(date +%s%6N)
wait_until 30 eval '[ "$(ids kodb.public.t c | wc -w)" = 10 ] && [ "$(ids kodb.public.t r | wc -w)" = 50 ]' ||
	t_fail "2: the snapshot and the inserts arrive"
kill -TERM "$pid"
wait "$pid"
assert_rc "2: first run: exit status 0" "$?" 0
assert_eq "2: first run: nothing in its working directory" "$(ls -A "$work/a")" ""
sysid=$(psql_admin -c "SELECT system_identifier FROM pg_control_system()")
rec=$(record)
lsn=$(jq -r .lsn <<<"$rec")
assert_eq "2: the record's value: Debezium's positions, one number, and walcap's fields" \
	"$(jq -c '[.lsn == .lsn_proc and .lsn == .lsn_commit, .lsn > 0, keys]' <<<"$rec") $(jq -r '.walcap_system + " " + .walcap_database + " " + .walcap_slot' <<<"$rec")" \
	"[true,true,[\"lsn\",\"lsn_commit\",\"lsn_proc\",\"ts_usec\",\"txId\",\"walcap_database\",\"walcap_slot\",\"walcap_system\"]] $sysid kodb k_slot"
assert_eq "2: txId is the last transaction's xid, ts_usec its commit time" \
	"$(jq -r --argjson t0 "$t0" --argjson t1 "$t1" '"\(.txId) \(.ts_usec >= $t0 and .ts_usec <= $t1)"' <<<"$rec")" "$xid true"
assert_eq "2: the record's exact key, as Kafka Connect writes it" \
	"$(topic_read walcap-offsets | cut -f2 | sort -u)" "$KEY"
lsn_text=$(psql_admin -c "SELECT '0/0'::pg_lsn + $lsn")
assert_match "2: status shows the record" "$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/k.conf" </dev/null | grep '^offset topic')" \
	"^offset topic \"walcap-offsets\" \\(key \\[\"k_slot\",\\{\"server\":\"kodb\"\\}\\]\\): delivered up to $lsn_text, written 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$"

assert_eq "2: status --json shows the topic, the key and the record" \
	"$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/k.conf" --json </dev/null |
		jq -c '.offset_topic | [.topic, .key, .lsn, (.written | test("^20[0-9-]{8}T[0-9:]{8}Z$"))]')" \
	"[\"walcap-offsets\",$(jq -cn --arg k "$KEY" '$k'),\"$lsn_text\",true]"

psql_admin -c "INSERT INTO public.t SELECT g, 'later' FROM generate_series(61, 70) g" >/dev/null
run_in b --endpos "$(current_lsn)"
assert_rc "2: second run: exit status 0" "$?" 0
assert_eq "2: second run: resumed from the record" \
	"$(grep -cFx "walcap: INFO: resuming after $lsn_text ($WHERE)" "$work/b.err")" 1
assert_eq "2: across both runs: the snapshot once, every insert once" \
	"$(ids kodb.public.t r | wc -w) $(ids kodb.public.t c)" "50 $(seq 51 70 | tr '\n' ' ')"
assert_eq "2: second run: nothing in its working directory" "$(ls -A "$work/b")" ""

# ---------------------------------------------------------------- 3. a snapshot killed half-way
# (into a file sink: the store is the topic whatever the sink, and a file
# sink records a snapshot's progress with each chunk)
sed -e 's/^slot.name=.*/slot.name=k_big/' -e 's/^table.include.list=.*/table.include.list=public\\.big/' \
	-e 's/^incremental.snapshot.chunk.size=.*/incremental.snapshot.chunk.size=50/' \
	-e 's/^sink.type=.*/sink.type=file/' "$work/k.conf" >"$work/big.conf"
BIGKEY='["k_big",{"server":"kodb"}]'
big_rows() {   # rows the newest k_big record says were delivered (0: none yet)
	local v
	# the topic's last message only (one partition; only k_big writes now): quick
	v=$(timeout 10 kcat -b "$MOCK_BOOT" -C -t walcap-offsets -o -1 -e -q -Z -f '%k\t%s\n' 2>/dev/null |
		awk -F '\t' -v k="$BIGKEY" '$1 == k {v = $2} END {print v}' |
		jq -r '(.walcap_snapshot // "{}" | fromjson | .rows) // 0' 2>/dev/null)
	echo "${v:-0}"
}
mkdir -p "$work/c1" "$work/c2"
(cd "$work/c1" && exec env WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/big.conf" \
	--set "sink.file.path=$work/c1/out.jsonl" </dev/null >/dev/null 2>"$work/c1.err") &
pid=$!
# paused a little way in, then killed once the topic holds the progress of
# the chunks delivered (the record trails the sink), whatever the machine's
# speed; the restart is told to resume (the pause is part of the record)
lines() { { wc -l <"$work/c1/out.jsonl"; } 2>/dev/null || echo 0; }
wait_until 60 eval '[ "$(lines)" -ge 10000 ]' || t_fail "3: the snapshot runs"
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('big-pause', 'pause-snapshot', NULL)" >/dev/null
wait_until 60 eval '[ "$(big_rows)" -gt 0 ]' || t_fail "3: snapshot chunks recorded" "$(big_rows)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
rec_rows=$(big_rows)
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('big-resume', 'resume-snapshot', NULL)" >/dev/null
n1=$(wc -l <"$work/c1/out.jsonl")
if [ "$n1" -lt $BIG ]; then t_ok "3: killed half-way ($n1 of $BIG rows written, $rec_rows recorded)"; else t_fail "3: killed half-way" "$n1"; fi
(cd "$work/c2" && WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "$WALCAP" run -c "$work/big.conf" \
	--set "sink.file.path=$work/c2/out.jsonl" --set snapshot.mode=initial_only </dev/null >/dev/null 2>"$work/c2.err")
assert_rc "3: the restart in an empty directory: exit status 0" "$?" 0
assert_eq "3: the restart resumed the snapshot" "$(grep -c '^walcap: INFO: resuming the snapshot of 1 table$' "$work/c2.err")" 1
assert_eq "3: the restart read exactly the rows after the recorded ones" \
	"$(jq -r 'select(.op == "r") | .after.id' "$work/c2/out.jsonl" | sort -n | sed -n '1p;$p' | tr '\n' ' ')$(wc -l <"$work/c2/out.jsonl")" \
	"$((rec_rows + 1)) $BIG $(($BIG - rec_rows))"
# (the kill may have cut c1's last line short: it is skipped)
assert_eq "3: every row, before and after the kill" \
	"$(cat "$work/c1/out.jsonl" "$work/c2/out.jsonl" | jq -rR 'fromjson? | select(.op == "r") | .after.id' | sort -nu | wc -l)" $BIG

# ---------------------------------------------------------------- 4. Debezium's record; a bad one
lsn_now=$(psql_admin -c "SELECT pg_current_wal_lsn() - '0/0'")
printf '%s\t%s\n' "$KEY" "{\"transaction_id\":null,\"lsn_proc\":$lsn_now,\"lsn_commit\":$lsn_now,\"lsn\":$lsn_now,\"txId\":1650,\"ts_usec\":1666268220374889}" |
	kcat -b "$MOCK_BOOT" -P -t walcap-offsets -K "$(printf '\t')" 2>/dev/null
psql_admin -c "INSERT INTO public.t VALUES (71, 'after')" >/dev/null
run_in d --endpos "$(current_lsn)"
assert_rc "4: Debezium's record: exit status 0" "$?" 0
assert_eq "4: Debezium's record: resumed from its lsn" \
	"$(grep -cFx "walcap: INFO: resuming after $(psql_admin -c "SELECT '0/0'::pg_lsn + $lsn_now") ($WHERE)" "$work/d.err")" 1
assert_eq "4: Debezium's record: only the row after it" "$(ids kodb.public.t c | tr ' ' '\n' | grep -c '^71$')" 1
assert_eq "4: Debezium's record: followed by walcap's" "$(record | jq -r '.walcap_slot')" k_slot

printf '%s\t%s\n' "$KEY" '{"txId":1}' | kcat -b "$MOCK_BOOT" -P -t walcap-offsets -K "$(printf '\t')" 2>/dev/null
run_in e
assert_rc "4: a bad record: exit status 1" "$?" 1
assert_eq "4: a bad record: the error and the fix" "$(grep -E '^walcap: (ERROR|HINT)' "$work/e.err")" \
"walcap: ERROR: $WHERE: the offset record is not valid: it has neither lsn nor lsn_commit
walcap: HINT: write a tombstone (the key with a null value) to start from the slot's position"

# a tombstone: no stored position, so the slot's
printf '%s\t\n' "$KEY" | kcat -b "$MOCK_BOOT" -P -t walcap-offsets -K "$(printf '\t')" -Z 2>/dev/null
assert_eq "4: the tombstone is the newest message under the key" \
	"$(topic_read walcap-offsets | awk -F '\t' -v k="$KEY" '$2 == k {v = $3} END {print v}')" NULL
run_in f --endpos "$(current_lsn)" --set snapshot.mode=no_data
assert_rc "4: after a tombstone: exit status 0" "$?" 0
assert_eq "4: after a tombstone: started from the slot's position, not resumed" \
	"$(grep -c '^walcap: INFO: resuming after' "$work/f.err")" 0

t_done

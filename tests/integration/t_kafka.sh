#!/usr/bin/env bash
# The Kafka sink against librdkafka's mock cluster (a separate process
# speaking the Kafka protocol over TCP): every op on Debezium's topic with
# its key, tombstones, logical messages, the primary key of a REPLICA
# IDENTITY FULL table, topic names sanitised, kafka.* errors (exit 2), the
# same key always on the same partition, heartbeats (also on stdout with
# heartbeat.events), brokers down for longer than
# wal_sender_timeout, a delivery that fails for good (exit 1, the slot not
# advanced past it), and kill -9 during a workload.
# integration: long
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

work=$T_TMP
pg_start -c wal_sender_timeout=2s
psql_admin -d postgres -c "CREATE DATABASE kdb" >/dev/null
PG_DB=kdb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.items (id int PRIMARY KEY, name text);
CREATE TABLE public.full_t (a int PRIMARY KEY, b text);
ALTER TABLE public.full_t REPLICA IDENTITY FULL;
CREATE TABLE public."odd name" (id int PRIMARY KEY);
CREATE TABLE public.spread (id int PRIMARY KEY, v int);
CREATE TABLE public.w (id int PRIMARY KEY);
CREATE TABLE public.hb (id int PRIMARY KEY, beats int NOT NULL);
CREATE TABLE public.orders (id int PRIMARY KEY, region text, n int);
CREATE TABLE public.sch (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, qty smallint,
    at timestamptz, doc jsonb, ref uuid, tags int[], day date, big numeric);
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.uid AS uuid;
CREATE EXTENSION ltree;
CREATE TABLE public.sch2 (id int PRIMARY KEY, m public.mood, u public.uid, ms public.mood[] NOT NULL,
    l ltree, la ltree[], tv tsvector, tva tsvector[]);
INSERT INTO public.sch2 VALUES (1, 'ok', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{ok}', 'a.b', '{c.d}', 'x', '{y}');
INSERT INTO public.orders VALUES (1, 'eu', 10);
SQL
seed_setup kdb public.items public.full_t 'public."odd name"' public.spread public.w public.orders public.sch public.sch2
mock_start 3
for t in k.public.items k.public.full_t k.public.odd_name k.message k.public.w k.public.orders k.public.sch k.public.sch2; do
    mock_cmd topic "$t" 1
done
mock_cmd topic k.public.spread 4

conf=$work/k.conf
walcap_conf "$conf" sink.type=kafka "kafka.bootstrap.servers=$MOCK_BOOT" topic.prefix=k \
    status.update.interval.ms=200
caught_up() {   # the slot confirmed everything written so far
    [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = '$SEED_SLOT'")" = t ]
}
lsn_dec() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }
# the smallest source.lsn of the w rows with id in [LO, HI]
first_lsn_of() {   # LO HI
    topic_read k.public.w | cut -f3 | jq -r --argjson lo "$1" --argjson hi "$2" \
        'select(.after.id >= $lo and .after.id <= $hi) | .source.lsn' | sort -n | head -1
}
# KEY<TAB>op before after (or NULL for a tombstone), one line per message
messages() {   # TOPIC
    topic_read "$1" | while IFS=$'\t' read -r p k v; do
        if [ "$v" = NULL ]; then printf '%s\tNULL\n' "$k"
        else printf '%s\t%s\n' "$k" "$(jq -c '[.op, .before, .after]' <<<"$v")"; fi
    done
}

# ---- configuration errors: exit 2 before connecting, naming the key
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$conf" --set kafka.no.such.property=1 2>&1); rc=$?
assert_rc "unknown librdkafka property: exit 2" "$rc" 2
assert_eq "unknown librdkafka property: the key" "$out" \
    'walcap: ERROR: kafka.no.such.property: No such configuration property: "no.such.property"'
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$conf" --set kafka.acks=some 2>&1); rc=$?
assert_rc "bad librdkafka value: exit 2" "$rc" 2
assert_eq "bad librdkafka value: the key" "$out" \
    'walcap: ERROR: kafka.acks: Invalid value for configuration property "request.required.acks"'
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$conf" --set kafka.bootstrap.servers= 2>&1); rc=$?
assert_rc "no bootstrap.servers: exit 2" "$rc" 2
assert_eq "no bootstrap.servers: what to set" "$out" \
    'walcap: ERROR: kafka.bootstrap.servers is required when sink.type is kafka (host:port of one or more brokers)'
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$conf" --set kafka.sasl.password=hunter2 2>&1); rc=$?
assert_rc "a Kafka secret on the command line: exit 2" "$rc" 2
assert_match "a Kafka secret on the command line: refused, not shown" "$out" \
    '^walcap: ERROR: kafka\.sasl\.password cannot be given on the command line'
assert_eq "a Kafka secret on the command line: never printed" "$(grep -c hunter2 <<<"$out")" 0

# ---- every op on its topic, with its key
walcap_start "$work/k.out" "$work/k.err" "$conf"
wait_until 20 grep -q "streaming from slot" "$work/k.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
UPDATE public.items SET name = 'c' WHERE id = 1;
UPDATE public.items SET id = 3 WHERE id = 2;
DELETE FROM public.items WHERE id = 1;
TRUNCATE public.items;
INSERT INTO public.full_t VALUES (1, 'x');
UPDATE public.full_t SET b = 'y';
DELETE FROM public.full_t;
INSERT INTO public."odd name" VALUES (5);
SELECT pg_logical_emit_message(true, 'audit', 'hello');
SQL
wait_until 20 caught_up
assert_eq "table topic: keys, values, a key change as delete + tombstone + create, a tombstone after the delete, truncate with a null key" \
    "$(messages k.public.items)" \
'{"id":1}	["c",null,{"id":1,"name":"a"}]
{"id":2}	["c",null,{"id":2,"name":"b"}]
{"id":1}	["u",null,{"id":1,"name":"c"}]
{"id":2}	["d",{"id":2},null]
{"id":2}	NULL
{"id":3}	["c",null,{"id":3,"name":"b"}]
{"id":1}	["d",{"id":1},null]
{"id":1}	NULL
NULL	["t",null,null]'
assert_eq "REPLICA IDENTITY FULL: keyed by the primary key" \
    "$(messages k.public.full_t)" \
'{"a":1}	["c",null,{"a":1,"b":"x"}]
{"a":1}	["u",{"a":1,"b":"x"},{"a":1,"b":"y"}]
{"a":1}	["d",{"a":1,"b":"y"},null]
{"a":1}	NULL'
assert_eq "a table name Kafka does not allow: sanitised topic" "$(messages k.public.odd_name)" \
    '{"id":5}	["c",null,{"id":5}]'
assert_eq "logical-decoding message: <prefix>.message, keyed by its prefix" \
    "$(topic_read k.message | cut -f2- | jq -Rc 'split("\t") | [.[0], (.[1] | fromjson | .message)]')" \
    '["{\"prefix\":\"audit\"}",{"prefix":"audit","content":"aGVsbG8="}]'
assert_eq "the sink is Kafka: nothing on standard output" "$(wc -c <"$work/k.out")" 0

# ---- the same key always lands on the same partition, in order
psql_admin >/dev/null <<'SQL'
INSERT INTO public.spread SELECT g, 0 FROM generate_series(1, 40) g;
UPDATE public.spread SET v = 1;
UPDATE public.spread SET v = 2;
SQL
wait_until 20 caught_up
spread=$(topic_read k.public.spread)
assert_eq "4 partitions: 120 messages" "$(wc -l <<<"$spread")" 120
assert_eq "each key on one partition only" \
    "$(cut -f1,2 <<<"$spread" | sort -u | cut -f2 | sort | uniq -d | wc -l)" 0
assert_eq "keys spread over the partitions" "$(cut -f1 <<<"$spread" | sort -u | wc -l)" 4
assert_eq "per key: c, u(1), u(2) in order" \
    "$(cut -f3 <<<"$spread" | jq -r '"\(.after.id) \(.after.v)"' | awk '{ s[$1] = s[$1] $2 } END { for (k in s) print s[k] }' | sort -u)" \
    "012"

# ---- message.key.columns: another key, for streamed and snapshot rows
walcap_stop TERM
walcap_start "$work/k.out" "$work/k.err" "$conf" --set 'message.key.columns=public\.orders:region,n;nomatch\..*:x'
wait_until 20 grep -q "streaming from slot" "$work/k.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.orders VALUES (2, 'us', 20);
INSERT INTO streamkap.streamkap_signal VALUES ('ko', 'execute-snapshot', '{"data-collections": ["public.orders"]}');
SQL
wait_until 20 grep -q 'incremental snapshot of "public.orders" done' "$work/k.err"
wait_until 20 caught_up
assert_eq "message.key.columns: keyed by the listed columns, streamed and snapshot rows alike" \
    "$(messages k.public.orders | sort)" \
'{"region":"eu","n":10}	["r",null,{"id":1,"region":"eu","n":10}]
{"region":"us","n":20}	["c",null,{"id":2,"region":"us","n":20}]
{"region":"us","n":20}	["r",null,{"id":2,"region":"us","n":20}]'

# ---- schemas enabled: Kafka Connect's JSON converter format
walcap_stop TERM
walcap_start "$work/k.out" "$work/k.err" "$conf" --set key.converter.schemas.enable=true \
    --set value.converter.schemas.enable=true
wait_until 20 grep -q "streaming from slot" "$work/k.err"
psql_admin -c "INSERT INTO public.sch VALUES (7, 12.50, 3, '2024-01-02 03:04:05+00', '{\"a\": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2}', '2024-01-02', 1.5)" >/dev/null
wait_until 20 caught_up
msg=$(topic_read k.public.sch | head -1)
key=$(cut -f2 <<<"$msg"); value=$(cut -f3 <<<"$msg")
# Expected schemas, written from the sources (not from walcap): the key
# order of Kafka's JsonConverter.asJsonSchema (type; fields/items; optional;
# name; version; doc; parameters; default; then a struct field's "field"),
# Debezium 3.7's TableSchemaBuilder (Value optional, Key not, no version),
# Envelope (version 2), PostgresSourceInfoStructMaker and SchemaFactory
# (source version 1, snapshot an optional Enum with default "false"; less
# ts_us, ts_ns, origin, origin_lsn: docs/events.md), transactionBlockSchema,
# PostgresValueConverter per column type (Decimal with scale and
# connect.decimal.precision; VariableScaleDecimal with its doc).
SOURCE='{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"}'
TXN='{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}'
TAIL='{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}'
SCH_COLS='{"type":"int32","optional":false,"field":"id"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},{"type":"int16","optional":true,"field":"qty"},{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"at"},{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"doc"},{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"ref"},{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"tags"},{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"day"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"big"}'
envelope() {   # TABLE COLUMNS
    printf '{"type":"struct","fields":[{"type":"struct","fields":[%s],"optional":true,"name":"k.public.%s.Value","field":"before"},{"type":"struct","fields":[%s],"optional":true,"name":"k.public.%s.Value","field":"after"},%s,%s,%s],"optional":false,"name":"k.public.%s.Envelope","version":2}' \
        "$2" "$1" "$2" "$1" "$SOURCE" "$TXN" "$TAIL" "$1"
}
assert_eq "schemas: the key" "$key" \
    '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"k.public.sch.Key"},"payload":{"id":7}}'
assert_eq "schemas: the value's schema, whole" "$(jq -c '.schema' <<<"$value")" "$(envelope sch "$SCH_COLS")"
assert_eq "schemas: the payload is the event" "$(jq -c '[.payload.op, .payload.after]' <<<"$value")" \
    '["c",{"id":7,"amount":"BOI=","qty":3,"at":"2024-01-02T03:04:05.000000Z","doc":"{\"a\": 1}","ref":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","tags":[1,2],"day":19724,"big":{"scale":1,"value":"Dw=="}}]'
assert_eq "schemas: the payload's fields are the schema's, in its order" \
    "$(jq -c '[(.schema.fields | map(.field)), (.payload | keys_unsorted), (.schema.fields[2].fields | map(.field)), (.payload.source | keys_unsorted)] | .[0] == .[1] and .[2] == .[3]' <<<"$value")" true
# an enum with its labels, an enum array (its elements Enum, not optional:
# SchemaBuilder.array(Enum.builder(...))), a domain named as its base type,
# ltree (io.debezium.data.Ltree) and ltree[] (optional elements), tsvector
# (io.debezium.data.Tsvector) and tsvector[] (elements TsVector.builder(),
# not optional): streamed and snapshot rows alike
SCH2_COLS='{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"sad,ok,happy"},"field":"m"},{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"u"},{"type":"array","items":{"type":"string","optional":false,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"sad,ok,happy"}},"optional":false,"field":"ms"},{"type":"string","optional":true,"name":"io.debezium.data.Ltree","version":1,"field":"l"},{"type":"array","items":{"type":"string","optional":true,"name":"io.debezium.data.Ltree","version":1},"optional":true,"field":"la"},{"type":"string","optional":true,"name":"io.debezium.data.Tsvector","version":1,"field":"tv"},{"type":"array","items":{"type":"string","optional":false,"name":"io.debezium.data.Tsvector","version":1},"optional":true,"field":"tva"}'
psql_admin >/dev/null <<'SQL'
INSERT INTO public.sch2 VALUES (2, 'happy', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '{sad,happy}', 'x.y', '{a,b.c}', 'a b', '{z}');
INSERT INTO streamkap.streamkap_signal VALUES ('s2', 'execute-snapshot', '{"data-collections": ["public.sch2"]}');
SELECT pg_logical_emit_message(true, 'audit', 'hi');
SQL
wait_until 20 grep -q 'incremental snapshot of "public.sch2" done' "$work/k.err"
wait_until 20 caught_up
assert_eq "schemas: enum, enum[], domain, ltree, ltree[], tsvector, tsvector[] columns, streamed (c) and snapshot (r) rows alike" \
    "$(topic_read k.public.sch2 | cut -f3 | jq -c '[.payload.op, .payload.after.m, .payload.after.ms, .payload.after.l, .payload.after.la, (.schema == $e)]' --argjson e "$(envelope sch2 "$SCH2_COLS")" | sort -u)" \
'["c","happy",["sad","happy"],"x.y",["a","b.c"],true]
["r","happy",["sad","happy"],"x.y",["a","b.c"],true]
["r","ok",["ok"],"a.b",["c.d"],true]'
# a logical-decoding message: PostgresSchemaFactory's key and value schemas
# (version 1; prefix an optional string; content bytes in the default
# binary.handling.mode), the payload in the value schema's field order
MSG_VALUE='{"type":"struct","fields":[{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},'"$SOURCE,$TXN"',{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"},{"type":"bytes","optional":true,"field":"content"}],"optional":false,"name":"io.debezium.connector.postgresql.Message","version":1,"field":"message"}],"optional":false,"name":"io.debezium.connector.postgresql.MessageValue","version":1}'
msg=$(topic_read k.message | grep '"hi"\|aGk=' | head -1)
assert_eq "schemas: a logical-decoding message's key" "$(cut -f2 <<<"$msg")" \
    '{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"}],"optional":false,"name":"io.debezium.connector.postgresql.MessageKey","version":1},"payload":{"prefix":"audit"}}'
assert_eq "schemas: a logical-decoding message's value schema, whole" \
    "$(cut -f3 <<<"$msg" | jq -c '.schema')" "$MSG_VALUE"
assert_eq "schemas: a logical-decoding message's payload, in its schema's order" \
    "$(cut -f3 <<<"$msg" | jq -c '[(.payload | keys_unsorted), .payload.op, .payload.message]')" \
    '[["op","ts_ms","source","transaction","message"],"m",{"prefix":"audit","content":"aGk="}]'

# ---- brokers down for longer than wal_sender_timeout (2 s), then up;
# with a producer queue of 50 messages the 150 rows do not fit: walcap
# must wait on it (backpressure) while keeping the connection alive
walcap_stop TERM
assert_eq "first run: SIGTERM, exit 0" "$WALCAP_RC" 0
walcap_start "$work/k.out" "$work/k.err" "$conf" --set kafka.queue.buffering.max.messages=50
wait_until 20 caught_up
mock_cmd down
psql_admin -c "INSERT INTO public.w SELECT g FROM generate_series(1, 100) g" >/dev/null
for i in $(seq 101 150); do echo "INSERT INTO public.w VALUES ($i);"; done | psql_admin >/dev/null
sleep 6
down_confirmed=$(lsn_dec "$(slot_lsn)")
assert_eq "brokers down: walcap still runs" "$(kill -0 "$WALCAP_PID" 2>/dev/null && echo yes)" yes
mock_cmd up
wait_until 30 caught_up
first=$(first_lsn_of 1 150)
# (a commit's end is where the next record starts: equal is allowed)
assert_eq "brokers down: the slot was not confirmed past the first undelivered change ($down_confirmed <= $first)" \
    "$(( down_confirmed <= first ))" 1
assert_eq "brokers up: every row delivered" "$(topic_read k.public.w | cut -f3 | jq -r .after.id | sort -n | uniq | wc -l)" 150
assert_eq "brokers down 6 s: the replication connection was never lost" \
    "$(grep -c 'replication connection lost' "$work/k.err")" 0

walcap_stop TERM
assert_eq "SIGTERM: exit 0" "$WALCAP_RC" 0
assert_match "SIGTERM: the confirmed position logged" "$(tail -1 "$work/k.err")" '^walcap: INFO: stopped after [0-9]+ events'

# ---- a delivery that fails for good: exit 1, nothing confirmed past it
mock_cmd down
walcap_start "$work/f.out" "$work/f.err" "$conf" --set kafka.message.timeout.ms=1500
wait_until 20 grep -q "streaming from slot" "$work/f.err"
psql_admin -c "INSERT INTO public.w SELECT g FROM generate_series(1001, 1010) g" >/dev/null
exited() { ! kill -0 "$WALCAP_PID" 2>/dev/null; }
wait_until 30 exited
walcap_stop TERM
assert_eq "failed delivery: exit 1" "$WALCAP_RC" 1
assert_match "failed delivery: the cause" "$(grep ERROR "$work/f.err")" \
    '^walcap: ERROR: delivery to Kafka topic "k.public.w" failed: Local: Message timed out$'
failed_confirmed=$(lsn_dec "$(slot_lsn)")
mock_cmd up
walcap_start "$work/f.out" "$work/f2.err" "$conf" --set sink.kafka.flush.timeout.ms=2000
wait_until 30 caught_up
first=$(first_lsn_of 1001 1010)
assert_eq "failed delivery: the slot was not confirmed past it ($failed_confirmed <= $first)" \
    "$(( failed_confirmed <= first ))" 1
assert_eq "after a failed delivery, a restart delivers the rows" \
    "$(topic_read k.public.w | cut -f3 | jq -r .after.id | awk '$1 > 1000' | sort -n | uniq | tr '\n' ' ')" \
    "1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 "

# ---- SIGTERM with the brokers down: waits sink.kafka.flush.timeout.ms
# (set to 2 s above),
# confirms only what was delivered, exits
mock_cmd down
psql_admin -c "INSERT INTO public.w SELECT g FROM generate_series(1101, 1105) g" >/dev/null
sleep 1
t0=$(date +%s%N)
walcap_stop TERM
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "SIGTERM, brokers down: exit 0" "$WALCAP_RC" 0
assert_eq "SIGTERM, brokers down: stopped after the flush timeout (2 s), not before, not much after ($ms ms)" \
    "$(( ms >= 1900 && ms < 6000 ))" 1
assert_match "SIGTERM, brokers down: says what was not delivered" "$(cat "$work/f2.err")" \
    'WARNING: 5 events were not delivered within sink.kafka.flush.timeout.ms \(2000 ms\); they are not confirmed and are sent again after a restart'
stopped_confirmed=$(lsn_dec "$(slot_lsn)")
mock_cmd up
walcap_start "$work/f.out" "$work/f3.err" "$conf"
wait_until 30 caught_up
first=$(first_lsn_of 1101 1105)
assert_eq "SIGTERM, brokers down: not confirmed past the undelivered ($stopped_confirmed <= $first), sent by the next run" \
    "$(( stopped_confirmed <= first ))" 1
walcap_stop TERM

# ---- heartbeats: Debezium's records on __debezium-heartbeat.<prefix>,
# the action query run, the logical message that moves the slot, and
# neither of them an event
psql_admin -c "GRANT INSERT, UPDATE ON public.hb TO streamkap_role" >/dev/null
walcap_start "$work/h.out" "$work/h.err" "$conf" --set heartbeat.interval.ms=200 \
    --set heartbeat.logical.message=true \
    --set "heartbeat.action.query=INSERT INTO public.hb VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET beats = hb.beats + 1"
wait_until 20 grep -q "streaming from slot" "$work/h.err"
t0=$(date +%s%N)
before=$(lsn_dec "$(slot_lsn)")
beats() { topic_read __debezium-heartbeat.k | wc -l; }
# at least ten come (the action query, run with each, is counted; a
# loaded machine may take longer than 2 s), and
# never more often than every 200 ms: the count is bounded by the time
# (the first beat may precede t0, hence the 2 of slack)
hb_ran() { [ "$(psql_admin -At -c "SELECT coalesce(max(beats), 0) FROM public.hb")" -ge "$1" ]; }
wait_until 20 hb_ran 12
assert_eq "heartbeat: ten records come" "$(( $(beats) >= 10 ))" 1
n=$(beats)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "heartbeat: no more than one per 200 ms ($n in $ms ms)" "$(( n <= ms / 200 + 2 ))" 1
assert_eq "heartbeat: Debezium's key and value" \
    "$(topic_read __debezium-heartbeat.k | head -1 | cut -f2- | sed -E 's/[0-9]{13}/TS/')" \
    '{"serverName":"k"}	{"ts_ms":TS}'
assert_eq "heartbeat: the action query ran each time" \
    "$(( $(psql_admin -c "SELECT beats FROM public.hb") >= 5 ))" 1
assert_eq "heartbeat: its logical messages are no events" \
    "$(topic_read k.message | grep -c walcap_heartbeat)" 0
after=$(lsn_dec "$(slot_lsn)")
assert_eq "heartbeat: the slot moves while no captured table changes" "$(( after > before ))" 1
walcap_stop TERM
assert_eq "heartbeat: SIGTERM, exit 0" "$WALCAP_RC" 0
assert_eq "heartbeat: no warning" "$(grep -c 'WARNING' "$work/h.err")" 0

# heartbeat.events: the same records on stdout, one per line
# (with an action query that fails: said once, and walcap goes on)
walcap_start "$work/hs.out" "$work/hs.err" "$conf" --set sink.type=stdout \
    --set heartbeat.interval.ms=200 --set heartbeat.events=true \
    --set "heartbeat.action.query=UPDATE public.nosuch SET x = 1"
wait_until 20 grep -q "streaming from slot" "$work/hs.err"
sleep 1.5
walcap_stop TERM
assert_eq "heartbeat.events on stdout: records, and nothing else" \
    "$(sed -E 's/[0-9]{13}/TS/' "$work/hs.out" | sort | uniq -c | awk '{print ($1 >= 4) ":" $2}')" \
    '1:{"ts_ms":TS}'
assert_eq "heartbeat: a failing action query is reported once, with the cause" \
    "$(grep -c 'heartbeat:' "$work/hs.err") $(grep 'WARNING: heartbeat:' "$work/hs.err")" \
    '1 walcap: WARNING: heartbeat: relation "public.nosuch" does not exist; walcap goes on, but while no captured table changes the slot may hold WAL back'
assert_eq "heartbeat: a failing action query does not stop walcap" "$WALCAP_RC" 0

# ---- kill -9 at random moments during a workload: every committed row
# whose commit the slot confirmed is in the topic before the restart, and
# every row is there at least once in the end
n=600
{
    for i in $(seq 2001 $((2000 + n))); do
        echo "INSERT INTO public.w VALUES ($i);"
        echo "SELECT $i, pg_current_wal_lsn();"
        [ $((i % 20)) = 0 ] && echo "SELECT pg_sleep(0.05);"
    done
} | psql_admin -F ' ' >"$work/lsns" 2>&1 &
load=$!
_LIB_PIDS+=("$load")
# slow brokers: messages stay undelivered for a while after they are sent
mock_cmd rtt -1 300
kills=0 bad=0
for round in 1 2 3 4; do
    walcap_start "$work/x.out" "$work/x.err" "$conf"
    sleep "0.$((RANDOM % 9 + 1))"
    sleep 0.5
    kill -KILL "$WALCAP_PID" 2>/dev/null && kills=$((kills + 1))
    wait "$WALCAP_PID" 2>/dev/null
    WALCAP_PID=
    confirmed=$(lsn_dec "$(slot_lsn)")
    have=$(topic_read k.public.w | cut -f3 | jq -r .after.id | sort -u)
    # rows whose commit ended at or before the confirmed position
    while read -r id lsn; do
        [ -n "$lsn" ] || continue
        [ "$(lsn_dec "$lsn")" -le "$confirmed" ] || continue
        grep -qx "$id" <<<"$have" || { bad=$((bad + 1)); _lib_say "round $round: row $id confirmed (<= $confirmed) but not in Kafka"; }
    done < <(grep -E '^[0-9]+ [0-9A-F]+/[0-9A-F]+$' "$work/lsns")
done
wait "$load"
mock_cmd rtt -1 0
assert_eq "kill -9: 4 kills during the workload" "$kills" 4
assert_eq "kill -9: no confirmed row missing from Kafka" "$bad" 0
walcap_start "$work/x.out" "$work/x.err" "$conf"
wait_until 60 caught_up
got=$(topic_read k.public.w | cut -f3 | jq -r .after.id | awk '$1 > 2000' | sort -n | uniq)
assert_eq "kill -9: every committed row in Kafka at least once" "$(wc -l <<<"$got") $(head -1 <<<"$got") $(tail -1 <<<"$got")" "$n 2001 $((2000 + n))"
walcap_stop TERM
assert_eq "kill -9: the last run stops cleanly" "$WALCAP_RC" 0

t_done

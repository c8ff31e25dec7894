#!/usr/bin/env bash
# t_transforms.sh — transforms=unwrap (ExtractNewRecordState) and
# transforms=route (RegexRouter):
#   - flat rows for snapshot rows, inserts and updates; deletes dropped
#     (drop), rewritten with __deleted (rewrite); truncates dropped;
#     add.fields with the __ prefix, renamed, from source and transaction
#   - the flat value schema with schemas enabled
#   - on Kafka: the routed topics, delete.handling.mode=none with and
#     without tombstones, key changes, transaction records on their route
#   - unknown types and properties: exit 2 naming the key
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

pg_start || { t_fail "pg_start"; t_done; }
seed_setup xdb
work=$T_TMP
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.u (id int PRIMARY KEY, v text);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
INSERT INTO public.u VALUES (1, 'snap');
SQL
drop_slot() { psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null; }
changes() {
    psql_admin >/dev/null <<'SQL'
INSERT INTO public.u VALUES (2, 'two');
UPDATE public.u SET v = 'TWO' WHERE id = 2;
DELETE FROM public.u WHERE id = 1;
TRUNCATE public.u;
INSERT INTO public.u VALUES (3, 'three');
SQL
}
reset_table() { psql_admin -c "TRUNCATE public.u; INSERT INTO public.u VALUES (1, 'snap')" >/dev/null; }
# run NAME key=value...: snapshot, the changes, up to their end
run() {
    local name=$1
    shift
    drop_slot
    walcap_conf "$work/$name.conf" snapshot.mode=initial 'table.include.list=public\.u' "$@"
    walcap_start "$work/$name.out" "$work/$name.err" "$work/$name.conf"
    wait_until 30 grep -q "streaming from slot" "$work/$name.err"
    changes
    local end
    end=$(current_lsn)
    wait_until 20 slot_caught_up "$end"
    walcap_stop
    assert_rc "$name: walcap exits 0" "$WALCAP_RC" 0
    reset_table
}
slot_caught_up() { [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= '$1' FROM pg_replication_slots WHERE slot_name = '$SEED_SLOT'")" = t ]; }

# ---- (1) drop (the default): flat rows, no delete, no truncate
run drop transforms=unwrap
assert_eq "drop: the rows as flat objects; the delete and the truncate are gone" \
    "$(cat "$work/drop.out")" \
    '{"id":1,"v":"snap"}
{"id":2,"v":"two"}
{"id":2,"v":"TWO"}
{"id":3,"v":"three"}'

# ---- (2) rewrite and added fields
run rewrite transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState \
    transforms.unwrap.delete.handling.mode=rewrite \
    'transforms.unwrap.add.fields=op,table,source.ts_ms,lsn:pos,txId,snapshot,transaction.id' \
    provide.transaction.metadata=true
assert_eq "rewrite: __deleted on every row, the added fields in order" \
    "$(jq -c 'if .status then .status else del(.__source_ts_ms, .__pos, .__txId, .__transaction_id) end' "$work/rewrite.out")" \
    '{"id":1,"v":"snap","__deleted":"false","__op":"r","__table":"u","__snapshot":"last"}
"BEGIN"
{"id":2,"v":"two","__deleted":"false","__op":"c","__table":"u","__snapshot":"false"}
"END"
"BEGIN"
{"id":2,"v":"TWO","__deleted":"false","__op":"u","__table":"u","__snapshot":"false"}
"END"
"BEGIN"
{"id":1,"__deleted":"true","__op":"d","__table":"u","__snapshot":"false"}
"END"
"BEGIN"
"END"
"BEGIN"
{"id":3,"v":"three","__deleted":"false","__op":"c","__table":"u","__snapshot":"false"}
"END"'
assert_eq "rewrite: the truncate is dropped but counted in its transaction, as Debezium counts it" \
    "$(jq -c 'select(.status == "END") | .event_count' "$work/rewrite.out" | tr '\n' ' ')" "1 1 1 1 1 "
# (the delete's old row is its key: REPLICA IDENTITY DEFAULT, as in the envelope's before)
assert_eq "rewrite: __pos is source.lsn, __txId the transaction, __transaction_id <txId>:<lsn>, __source_ts_ms set; null for the snapshot row" \
    "$(jq -r 'select(.status | not) | [(.__pos|type), (.__txId|type), (.__source_ts_ms|type), (if .__transaction_id then (.__transaction_id == "\(.__txId):\(.__pos)") else .__transaction_id end)] | map(tostring) | join(" ")' "$work/rewrite.out")" \
    'number null number null
number number number true
number number number true
number number number true
number number number true'

# ---- (3) schemas: the flat value schema
run schema transforms=unwrap transforms.unwrap.delete.handling.mode=rewrite \
    transforms.unwrap.add.fields=op,source.lsn value.converter.schemas.enable=true
assert_eq "schema: the Value struct with __deleted and the added fields, optional" \
    "$(head -1 "$work/schema.out" | jq -c '.schema')" \
    '{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"v"},{"type":"string","optional":true,"field":"__deleted"},{"type":"string","optional":true,"field":"__op"},{"type":"int64","optional":true,"field":"__source_lsn"}],"optional":true,"name":"xdb.public.u.Value"}'
assert_eq "schema: the payload" "$(head -1 "$work/schema.out" | jq -c '.payload | del(.__source_lsn)')" \
    '{"id":1,"v":"snap","__deleted":"false","__op":"r"}'

# ---- (4) Kafka: route, none with tombstones, a key change
mock_start 1
for t in routed_u tx_routed; do mock_cmd topic "$t" 1; done
run kafka sink.type=kafka "kafka.bootstrap.servers=$MOCK_BOOT" topic.prefix=k \
    transforms=unwrap,route transforms.unwrap.delete.handling.mode=none transforms.unwrap.drop.tombstones=false \
    'transforms.route.regex=k\.public\.(.*)' 'transforms.route.replacement=routed_$1'
assert_eq "kafka: routed topic; none: the delete a null value, then its tombstone" \
    "$(topic_read routed_u | cut -f2-)" \
    '{"id":1}	{"id":1,"v":"snap"}
{"id":2}	{"id":2,"v":"two"}
{"id":2}	{"id":2,"v":"TWO"}
{"id":1}	NULL
{"id":1}	NULL
{"id":3}	{"id":3,"v":"three"}'
# stream NAME SQL key=value...: no snapshot; SQL's changes, up to their end, on Kafka
stream() {
    local name=$1 sql=$2
    shift 2
    drop_slot
    walcap_conf "$work/$name.conf" sink.type=kafka "kafka.bootstrap.servers=$MOCK_BOOT" topic.prefix=k "$@"
    walcap_start "$work/$name.out" "$work/$name.err" "$work/$name.conf"
    wait_until 30 grep -q "streaming from slot" "$work/$name.err"
    psql_admin -c "$sql" >/dev/null
    local end
    end=$(current_lsn)
    wait_until 20 slot_caught_up "$end"
    walcap_stop
    assert_rc "$name: walcap exits 0" "$WALCAP_RC" 0
}
# a key change: the delete half as configured, then the new row
stream keychange "UPDATE public.u SET id = 10 WHERE id = 1" 'table.include.list=public\.u' \
    transforms=unwrap,route transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone \
    'transforms.route.regex=k\.(public\.u|transaction)' 'transforms.route.replacement=tx_routed' \
    provide.transaction.metadata=true
assert_eq "key change: BEGIN, the old key rewritten and its tombstone, the new row, END, on the routed topic" \
    "$(topic_read tx_routed | cut -f2- | sed -E 's/"id":"[0-9]+:[0-9]+"/"id":"X"/g; s/"ts_ms":[0-9]+/"ts_ms":T/')" \
    '{"id":"X"}	{"status":"BEGIN","id":"X","event_count":null,"data_collections":null,"ts_ms":T}
{"id":1}	{"id":1,"__deleted":"true"}
{"id":1}	NULL
{"id":10}	{"id":10,"v":"snap","__deleted":"false"}
{"id":"X"}	{"status":"END","id":"X","event_count":2,"data_collections":[{"data_collection":"public.u","event_count":2}],"ts_ms":T}'

# ---- (4b) Kafka keys: an excluded key column leaves the key, a masked one is masked there too
psql_admin -c "CREATE TABLE public.ck (a int, b int, c text, v text, PRIMARY KEY (a, b, c)); GRANT SELECT ON public.ck TO streamkap_role" >/dev/null
mock_cmd topic k.public.ck 1
stream colkeys "INSERT INTO public.ck VALUES (1, 2, 'secret', 'x')" 'table.include.list=public\.ck' \
    'column.exclude.list=public\.ck\.b' 'column.mask.with.3.chars=public\.ck\.c'
assert_eq "column keys: the key without b, c masked; the row likewise" \
    "$(topic_read k.public.ck | cut -f2- | while IFS=$'\t' read -r k v; do printf '%s %s\n' "$k" "$(jq -c .after <<<"$v")"; done)" \
    '{"a":1,"c":"***"} {"a":1,"c":"***","v":"x"}'
# with schemas: the key's and the value's Connect schemas leave b out too
stream colschemas "INSERT INTO public.ck VALUES (2, 3, 'secret', 'y')" 'table.include.list=public\.ck' \
    'column.exclude.list=public\.ck\.b' key.converter.schemas.enable=true value.converter.schemas.enable=true
assert_eq "column keys: the key schema's fields, the value schema's after fields" \
    "$(topic_read k.public.ck | tail -1 | cut -f2- | while IFS=$'\t' read -r k v; do
        printf '%s %s\n' "$(jq -c '[.schema.fields[].field]' <<<"$k")" "$(jq -c '[.schema.fields[1].fields[].field]' <<<"$v")"; done)" \
    '["a","c"] ["a","c","v"]'

# ---- (5) bad configurations: exit 2 naming the key
bad() {   # NAME PATTERN KEY=VALUE...
    local name=$1 pat=$2
    shift 2
    walcap_conf "$work/bad.conf" "$@"
    walcap_run "$work/bad.conf" >/dev/null 2>"$work/bad.err"
    assert_rc "bad: $name: exit 2" "$?" 2
    assert_match "bad: $name: the message" "$(cat "$work/bad.err")" "$pat"
}
bad "unknown type" 'transforms\.x\.type: "com\.acme\.Flatten" is not a transform walcap applies' \
    transforms=x transforms.x.type=com.acme.Flatten
bad "no type" 'transforms\.flat\.type is not set' transforms=flat
bad "unknown property" 'transforms\.unwrap\.route\.by\.field: ExtractNewRecordState has no property "route\.by\.field"' \
    transforms=unwrap transforms.unwrap.route.by.field=v
bad "bad mode" 'transforms\.unwrap\.delete\.handling\.mode: "keep" is not one of drop, rewrite, none' \
    transforms=unwrap transforms.unwrap.delete.handling.mode=keep
bad "unknown field" 'transforms\.unwrap\.add\.fields: "source\.nope" is not a field' \
    transforms=unwrap transforms.unwrap.add.fields=source.nope
bad "route without regex" 'transforms\.route\.regex is required' transforms=route transforms.route.replacement=x
bad "bad regex" 'transforms\.route\.regex: "\(" is not a POSIX extended regular expression' \
    transforms=route 'transforms.route.regex=(' transforms.route.replacement=x
bad "unlisted alias" 'transforms\.other\.type: the alias "other" is not in transforms' \
    transforms=unwrap transforms.other.type=x

t_done

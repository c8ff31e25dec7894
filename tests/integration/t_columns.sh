#!/usr/bin/env bash
# t_columns.sh — what the configuration does to columns and operations:
#   - column.exclude.list / column.include.list: the column vanishes from
#     snapshot rows, streamed rows (before and after) and the value schema
#   - column.mask.with.N.chars, column.mask.hash[.v2].ALG.with.salt.SALT,
#     column.truncate.to.N.chars: the values, the schema parameters, the
#     types they leave alone
#   - skipped.operations
#   - provide.transaction.metadata: BEGIN/END records, the transaction block,
#     snapshot rows without one
#   - bad values: exit 2 naming the key
# Expected hashes are computed here with sha256sum over the bytes Debezium
# digests (the salt, then Java's serialised String, or the UTF-8 text for v2).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start || { t_fail "pg_start"; t_done; }
seed_setup coldb
work=$T_TMP
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.p (id int PRIMARY KEY, name text, email varchar(40), code char(3),
                       note text, secret text, bin bytea, n int);
ALTER TABLE public.p REPLICA IDENTITY FULL;
CREATE TABLE public.k (a int, b int, v text, PRIMARY KEY (a, b));
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
INSERT INTO public.p VALUES (1, 'alice', 'a@x.org', 'abc', 'héllo wörld', 's1', '\x0102030405', 7);
SQL
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null

SALT=CzQMA0cB5K
# Debezium's V1: salt, Java serialisation header, TC_STRING, u16 length, text
hash_v1() { { printf '%s' "$SALT"; printf '\xac\xed\x00\x05\x74\x00'; printf "\\x$(printf %02x "${#1}")"; printf '%s' "$1"; } | sha256sum | cut -c1-64; }
hash_v2() { printf '%s%s' "$SALT" "$1" | sha256sum | cut -c1-64; }

# ---- (1) masks, hashes, truncation, exclusion: snapshot and stream
walcap_conf "$work/m.conf" snapshot.mode=initial 'table.include.list=public\.p' \
    'column.exclude.list=public\.p\.secret' \
    'column.mask.with.5.chars=public\.p\.email,public\.p\.n' \
    "column.mask.hash.SHA-256.with.salt.$SALT=public\\.p\\.name" \
    "column.mask.hash.v2.SHA-256.with.salt.$SALT=public\\.p\\.code" \
    'column.truncate.to.4.chars=public\.p\.(note|bin)'
walcap_start "$work/m.out" "$work/m.err" "$work/m.conf"
wait_until 30 grep -q "streaming from slot" "$work/m.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.p VALUES (2, 'bob', 'b@x.org', 'xyz', 'ab', 's2', NULL, NULL);
UPDATE public.p SET note = '𝄞𝄞𝄞 clef' WHERE id = 2;
DELETE FROM public.p WHERE id = 1;
SQL
wait_until 20 test "$(wc -l < "$work/m.out")" -ge 4
walcap_stop
assert_rc "mappers: walcap exits 0" "$WALCAP_RC" 0
row() {   # id name email code note bin n
    printf '{"id":%s,"name":"%s","email":"*****","code":"%s","note":%s,"bin":%s,"n":%s}' "$@"
}
r1=$(row 1 "$(hash_v1 alice)" "$(hash_v2 abc | cut -c1-3)" '"héll"' '"AQIDBA=="' 7)
r2=$(row 2 "$(hash_v1 bob)" "$(hash_v2 xyz | cut -c1-3)" '"ab"' null null)
r2u=$(row 2 "$(hash_v1 bob)" "$(hash_v2 xyz | cut -c1-3)" '"𝄞𝄞"' null null)
assert_eq "mappers: snapshot row, insert, update (before and after), delete" \
    "$(jq -c '[.op, .before, .after]' "$work/m.out")" \
    "$(printf '["r",null,%s]\n["c",null,%s]\n["u",%s,%s]\n["d",%s,null]' "$r1" "$r2" "$r2" "$r2u" "$r1")"

# ---- (1b) a domain over text is a character column: masked in the snapshot
# (its type from the snapshot's catalog query) and in the stream (from the
# catalog on its Relation message)
psql_admin >/dev/null <<'SQL'
CREATE DOMAIN public.email_d AS text;
CREATE TABLE public.dm (id int PRIMARY KEY, e public.email_d);
GRANT SELECT ON public.dm TO streamkap_role;
INSERT INTO public.dm VALUES (1, 'a@x.org');
SQL
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
walcap_conf "$work/d.conf" snapshot.mode=initial 'table.include.list=public\.dm' \
    'column.mask.with.3.chars=public\.dm\.e'
walcap_start "$work/d.out" "$work/d.err" "$work/d.conf"
wait_until 30 grep -q "streaming from slot" "$work/d.err"
psql_admin -c "INSERT INTO public.dm VALUES (2, 'b@x.org')" >/dev/null
wait_until 20 test "$(wc -l < "$work/d.out")" -ge 2
walcap_stop
assert_rc "domain: walcap exits 0" "$WALCAP_RC" 0
assert_eq "domain: masked in the snapshot row and the streamed insert" \
    "$(jq -c '[.op, .after]' "$work/d.out")" \
    '["r",{"id":1,"e":"***"}]
["c",{"id":2,"e":"***"}]'

# ---- (2) the value schema: the excluded column is gone, mapped ones say so
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
walcap_conf "$work/s.conf" snapshot.mode=initial_only 'table.include.list=public\.p' \
    value.converter.schemas.enable=true 'column.include.list=public\.p\.(id|name|note)' \
    'column.mask.with.3.chars=public\.p\.name' 'column.truncate.to.4.chars=public\.p\.note'
walcap_run "$work/s.conf" >"$work/s.out" 2>"$work/s.err"
assert_rc "schema: walcap exits 0" "$?" 0
assert_eq "schema: only the included columns, the mappers' parameters" \
    "$(jq -c '.schema.fields[1].fields' "$work/s.out")" \
    '[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"parameters":{"masked":"true"},"field":"name"},{"type":"string","optional":true,"parameters":{"truncateLength":"4"},"field":"note"}]'
# row 1 was deleted in (1); row 2's note is four UTF-16 units: two clefs
assert_eq "schema: the row" "$(jq -c '.payload.after' "$work/s.out")" '{"id":2,"name":"***","note":"𝄞𝄞"}'

# ---- (3) skipped.operations and provide.transaction.metadata
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
walcap_conf "$work/t.conf" snapshot.mode=initial 'table.include.list=public\.(p|k)' \
    skipped.operations=u,t provide.transaction.metadata=true
walcap_start "$work/t.out" "$work/t.err" "$work/t.conf"
wait_until 30 grep -q "streaming from slot" "$work/t.err"
psql_admin >/dev/null <<'SQL'
BEGIN;
INSERT INTO public.p (id, name) VALUES (3, 'c');
INSERT INTO public.k VALUES (1, 1, 'x');
UPDATE public.p SET name = 'cc' WHERE id = 3;
INSERT INTO public.p (id, name) VALUES (4, 'd');
COMMIT;
UPDATE public.p SET name = 'only an update' WHERE id = 3;
BEGIN;
DELETE FROM public.k;
TRUNCATE public.p;
COMMIT;
SQL
wait_until 20 test "$(grep -c '"END"' "$work/t.out")" -ge 2
walcap_stop
assert_rc "metadata: walcap exits 0" "$WALCAP_RC" 0
# each line: a summary; ids are checked against source.txId/lsn below
assert_eq "metadata: BEGIN, the events with their order, END with the counts; no update, no truncate" \
    "$(jq -c 'if .status then [.status, .event_count, .data_collections] else [.op, .source.table, (.transaction | if . then [.total_order, .data_collection_order] else null end)] end' "$work/t.out")" \
    '["r","p",null]
["BEGIN",null,null]
["c","p",[1,1]]
["c","k",[2,1]]
["c","p",[3,2]]
["END",3,[{"data_collection":"public.p","event_count":2},{"data_collection":"public.k","event_count":1}]]
["BEGIN",null,null]
["d","k",[1,1]]
["END",1,[{"data_collection":"public.k","event_count":1}]]'
assert_eq "metadata: an event's id is <txId>:<its lsn>" \
    "$(jq -r 'select(.transaction) | select(.transaction.id != "\(.source.txId):\(.source.lsn)") | .transaction.id' "$work/t.out")" ""
assert_eq "metadata: BEGIN and END carry their transaction's xid" \
    "$(jq -rs '[.[] | select(.status or .transaction)] | . as $a | [range(0; length) | $a[.]] | map(if .status then (.id | split(":")) else [(.source.txId | tostring), (.source.lsn | tostring)] end) | .[] | .[0]' "$work/t.out" | uniq -c | awk '{print $1}' | tr '\n' ' ')" "5 3 "

# ---- (3b) skipped.operations=c,d: only the updates and the truncate
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
walcap_conf "$work/cd.conf" 'table.include.list=public\.k' skipped.operations=c,d
walcap_start "$work/cd.out" "$work/cd.err" "$work/cd.conf"
wait_until 30 grep -q "streaming from slot" "$work/cd.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.k VALUES (5, 5, 'x');
UPDATE public.k SET v = 'y' WHERE a = 5;
DELETE FROM public.k WHERE a = 5;
TRUNCATE public.k;
SQL
wait_until 20 test "$(wc -l < "$work/cd.out")" -ge 2
walcap_stop
assert_rc "skipped c,d: walcap exits 0" "$WALCAP_RC" 0
assert_eq "skipped c,d: the update and the truncate" "$(jq -r .op "$work/cd.out" | tr '\n' ' ')" "u t "

# ---- (4) bad values: exit 2 naming the key
bad() {   # NAME KEY=VALUE PATTERN
    walcap_conf "$work/bad.conf" "$2"
    walcap_run "$work/bad.conf" >/dev/null 2>"$work/bad.err"
    assert_rc "bad: $1: exit 2" "$?" 2
    assert_match "bad: $1: the message" "$(cat "$work/bad.err")" "$3"
}
bad "unknown algorithm" "column.mask.hash.SHA-999.with.salt.x=public\\.p\\.name" \
    'column\.mask\.hash\.SHA-999\.with\.salt\.x: "SHA-999" is not a hash algorithm'
bad "mask count" "column.mask.with.five.chars=public\\.p\\.name" 'column\.mask\.with\.five\.chars: not a mask key'
bad "empty column list" "column.truncate.to.3.chars=" 'column\.truncate\.to\.3\.chars: no columns'
bad "bad regex" "column.exclude.list=public\\.p\\.(" 'column\.exclude\.list'
bad "skipped operation" "skipped.operations=c,x" 'skipped\.operations: "x" is not an operation'
bad "provide.transaction.metadata" "provide.transaction.metadata=yes" 'provide\.transaction\.metadata: "yes" is not one of false, true'
walcap_conf "$work/both.conf" 'column.include.list=a' 'column.exclude.list=b'
walcap_run "$work/both.conf" >/dev/null 2>"$work/both.err"
assert_rc "bad: both lists: exit 2" "$?" 2
assert_match "bad: both lists: the message" "$(cat "$work/both.err")" 'column\.include\.list and column\.exclude\.list are both set'

t_done

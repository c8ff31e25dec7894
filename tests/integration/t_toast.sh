#!/usr/bin/env bash
# t_toast.sh — unchanged out-of-line (TOASTed) values, which pgoutput does
# not send (column kind 'u'), as docs/events.md ("Unchanged TOAST values")
# defines them:
#
#   - REPLICA IDENTITY FULL: the old row in the same message carries every
#     value, so after holds the real values (text, arrays, hstore)
#   - an out-of-line replica identity key column left unchanged under
#     REPLICA IDENTITY DEFAULT: PostgreSQL logs the old key, so after holds it
#   - REPLICA IDENTITY DEFAULT: the placeholder, shaped like each column
#     (arrays of text/json/int/bigint/date/bytea/uuid/…, hstore as JSON and
#     as a map, bytea, numeric, varbit), default and custom placeholders
#   - value.converter.schemas.enable=true: each payload value has the type
#     its field's schema declares (but for the documented exceptions)
#
# Every expected shape is derived here from the documented rule (the
# placeholder's UTF-8 bytes through od, base64 and md5sum), and every real
# value from PostgreSQL itself (to_json, hstore_to_json); nothing is
# captured from walcap.  The old row of REPLICA IDENTITY FULL carries the
# values on every version 10-18 (heapam's ExtractReplicaIdentity flattens
# it), so the expectations do not depend on PG_MAJOR.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-60}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=120

pg_start || { t_fail "pg_start"; t_done; }
DB=toastdb
seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
if ! psql_admin -c "CREATE EXTENSION hstore" >/dev/null; then
	t_fail "CREATE EXTENSION hstore" "install PostgreSQL's contrib modules"
	t_done
fi

# ---------------------------------------------------------------- helpers
# run_slot NAME SLOT [key=value...]: walcap up to $END on slot SLOT with
# those settings; stdout in $T_TMP/NAME.out; asserts exit status 0.
run_slot() {
	local name=$1 slot=$2
	shift 2
	walcap_conf "$T_TMP/$name.conf" "database.dbname=$DB" "slot.name=$slot" "$@"
	walcap_run "$T_TMP/$name.conf" --endpos "$END" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	local rc=$?
	assert_rc "$name: walcap exits 0" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/    | /' "$T_TMP/$name.err" | tail -n 20
}

# The placeholder's forms, from its UTF-8 bytes (docs/events.md):
# signed byte values, base64, the name-based (version 3) UUID.
ph_nums() { printf '%s' "$1" | od -An -v -tu1 | jq -sc 'map(if . > 127 then . - 256 else . end)'; }
ph_b64() { printf '%s' "$1" | base64 -w0; }
ph_uuid() {
	local h b6 b8
	h=$(printf '%s' "$1" | md5sum | cut -c1-32)
	b6=$(( (0x${h:12:2} & 0x0f) | 0x30 ))
	b8=$(( (0x${h:16:2} & 0x3f) | 0x80 ))
	h=${h:0:12}$(printf %02x "$b6")${h:14:2}$(printf %02x "$b8")${h:18}
	printf '%s-%s-%s-%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:12:4}" "${h:16:4}" "${h:20:12}"
}

# shapes_after PLACEHOLDER [map|json] [MODES_JQ]: the after object of
# "UPDATE shapes SET n = 2", every other column unchanged and out of line.
# MODES_JQ, applied last, edits it for other modes.
shapes_after() {
	jq -nc --arg p "$1" --arg hm "${2:-json}" --argjson n "$(ph_nums "$1")" \
		--arg b "$(ph_b64 "$1")" --arg u "$(ph_uuid "$1")" '
		{id: 1, n: 2,
		 t: [$p], vc: [$p], j: [$p], jb: [$p], en: [$p], tz: [$p],
		 i: $n, b: $n, d: $n, sm: $n, f8: $n, ts: $n, iv: $n,
		 by: [$b], u: [$u], nu: [{scale: 0, value: $b}], nu2: [$b], vba: [$b],
		 h: (if $hm == "map" then {($p): $p} else ({($p): $p} | tojson) end),
		 bo: $p,
		 ba: $b, js: $p, tx: $p, vb: $b, nm: {scale: 0, value: $b}}
		| '"${3:-.}"
}

# after_of FILE TABLE OP: the after objects of TABLE's OP events (payloads
# unwrapped when schemas are on), one per line.
after_of() {
	jq -c --arg t "$2" --arg op "$3" '(.payload // .) | select(.source.table == $t and .op == $op) | .after' "$1"
}

# The fields of the after objects in FILE (schemas on) whose value does not
# have the type of the field's schema, as Kafka Connect's JSON converter
# reads it: "TABLE.field" one per line.
schema_misfits() {
	jq -r '
		def int_range: {"int8": 127, "int16": 32767, "int32": 2147483647, "int64": 9223372036854775807};
		def ok($s; $v):
			if $v == null then $s.optional == true
			elif $s.type == "string" then ($v | type) == "string"
			elif (int_range[$s.type] != null) then
				($v | type) == "number" and ($v | floor) == $v and
				$v <= int_range[$s.type] and $v >= -int_range[$s.type] - 1
			elif $s.type == "float" or $s.type == "double" then
				($v | type) == "number" or ($v | IN("NaN", "Infinity", "-Infinity"))
			elif $s.type == "boolean" then ($v | type) == "boolean"
			elif $s.type == "bytes" then
				($v | type) == "string" and ($v | test("^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"))
			elif $s.type == "array" then ($v | type) == "array" and all($v[]; ok($s.items; .))
			elif $s.type == "map" then
				($v | type) == "object" and all($v | to_entries[]; ok($s.keys; .key) and ok($s.values; .value))
			elif $s.type == "struct" then
				($v | type) == "object" and all($s.fields[]; . as $f | ok($f; $v[$f.field])) and
				(($v | keys) - [$s.fields[].field] | length) == 0
			else false end;
		select(.payload.after != null) | .payload.source.table as $t | .payload.after as $a
		| .schema.fields[] | select(.field == "after") | .fields[]
		| select(ok(.; $a[.field]) | not) | "\($t).\(.field)"' "$1" | sort -u
}

# ------------------------------------------------------------------ data
psql_admin >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
-- REPLICA IDENTITY DEFAULT: an unchanged out-of-line value is in no part
-- of the Update message
CREATE TABLE shapes (id int PRIMARY KEY, n int,
	t text[], vc varchar(40)[], j json[], jb jsonb[], en mood[], tz timestamptz[],
	i int[], b bigint[], d date[], sm smallint[], f8 float8[], ts timestamp[], iv interval[],
	by bytea[], u uuid[], nu numeric[], nu2 numeric(10,2)[], vba varbit[], h hstore, bo boolean[],
	ba bytea, js jsonb, tx text, vb varbit, nm numeric);
CREATE TABLE full_t (id int PRIMARY KEY, n int, tx text, t text[], i int[], h hstore);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE key_t (id int, k text, n int, PRIMARY KEY (id, k));
SELECT pg_create_logical_replication_slot(s, 'pgoutput')
	FROM unnest(ARRAY['s_custom', 's_schemas', 's_modes', 's_double']) s;
SQL

# Random (hardly compressible) values, each well over 2 kB, so that each is
# stored out of line; the numeric (storage "main") over 8 kB, since such a
# value leaves the row only when the row would not fit a page otherwise.
psql_admin >/dev/null <<'SQL'
CREATE FUNCTION hx(n int) RETURNS text LANGUAGE sql AS
	$$SELECT string_agg(md5(random()::text), '') FROM generate_series(1, n)$$;
INSERT INTO shapes SELECT 1, 1,
	(SELECT array_agg(md5(random()::text)) FROM generate_series(1, 400)),
	(SELECT array_agg(md5(random()::text)::varchar(40)) FROM generate_series(1, 400)),
	(SELECT array_agg(json_build_object('k', md5(random()::text))) FROM generate_series(1, 300)),
	(SELECT array_agg(jsonb_build_object('k', md5(random()::text))) FROM generate_series(1, 300)),
	(SELECT array_agg((enum_range(NULL::mood))[1 + (random() * 2)::int]) FROM generate_series(1, 30000)),
	(SELECT array_agg(timestamptz '2000-01-01 00:00:00+00' + random() * interval '9000 days') FROM generate_series(1, 1500)),
	(SELECT array_agg((random() * 2147483647)::int) FROM generate_series(1, 3000)),
	(SELECT array_agg((random() * 9e18)::bigint) FROM generate_series(1, 1500)),
	(SELECT array_agg(date '2000-01-01' + (random() * 100000)::int) FROM generate_series(1, 6000)),
	(SELECT array_agg((random() * 32767)::smallint) FROM generate_series(1, 8000)),
	(SELECT array_agg(random()) FROM generate_series(1, 1500)),
	(SELECT array_agg(timestamp '2000-01-01' + random() * interval '9000 days') FROM generate_series(1, 1500)),
	(SELECT array_agg(random() * interval '9000 days') FROM generate_series(1, 1500)),
	(SELECT array_agg(decode(md5(random()::text), 'hex')) FROM generate_series(1, 400)),
	(SELECT array_agg(md5(random()::text)::uuid) FROM generate_series(1, 400)),
	(SELECT array_agg(random()::numeric) FROM generate_series(1, 1000)),
	(SELECT array_agg((random() * 1e6)::numeric(10,2)) FROM generate_series(1, 3000)),
	(SELECT array_agg(('x' || md5(random()::text))::bit(128)::varbit) FROM generate_series(1, 300)),
	(SELECT hstore(array_agg(md5(random()::text)), array_agg(md5(random()::text))) FROM generate_series(1, 300)),
	(SELECT array_agg(random() < 0.5) FROM generate_series(1, 60000)),
	decode(hx(400), 'hex'),
	(SELECT jsonb_object_agg(md5(random()::text), md5(random()::text)) FROM generate_series(1, 300)),
	hx(400),
	(SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '')::varbit FROM generate_series(1, 100000)),
	(SELECT string_agg((random() * 9)::int::text, '')::numeric FROM generate_series(1, 20000));
INSERT INTO full_t SELECT 1, 1, hx(400),
	(SELECT array_agg(md5(random()::text)) FROM generate_series(1, 400)),
	(SELECT array_agg((random() * 2147483647)::int) FROM generate_series(1, 3000)),
	(SELECT hstore(array_agg(md5(random()::text)), array_agg(md5(random()::text))) FROM generate_series(1, 300));
-- a key column out of line: 2,500 random characters still fit a btree entry
INSERT INTO key_t SELECT 1, left(hx(80), 2500), 1;
SQL
psql_admin -c "UPDATE shapes SET n = 2; UPDATE full_t SET n = 2; UPDATE key_t SET n = 2" >/dev/null
END=$(current_lsn)

sizes=$(psql_admin -c "
	SELECT json_build_object(
		't', pg_column_size(t), 'vc', pg_column_size(vc), 'j', pg_column_size(j),
		'jb', pg_column_size(jb), 'en', pg_column_size(en), 'tz', pg_column_size(tz),
		'i', pg_column_size(i), 'b', pg_column_size(b), 'd', pg_column_size(d),
		'sm', pg_column_size(sm), 'f8', pg_column_size(f8), 'ts', pg_column_size(ts),
		'iv', pg_column_size(iv), 'by', pg_column_size(by), 'u', pg_column_size(u),
		'nu', pg_column_size(nu), 'nu2', pg_column_size(nu2), 'vba', pg_column_size(vba),
		'h', pg_column_size(h), 'bo', pg_column_size(bo), 'ba', pg_column_size(ba),
		'js', pg_column_size(js), 'tx', pg_column_size(tx), 'vb', pg_column_size(vb),
		'nm', pg_column_size(nm),
		'full_t', (SELECT least(pg_column_size(tx), pg_column_size(t), pg_column_size(i), pg_column_size(h)) FROM full_t),
		'key_t', (SELECT pg_column_size(k) FROM key_t))
	FROM shapes")
assert_eq "every value is too big to stay in its row (over 2,100 bytes; the numeric over 8,200)" \
	"$(jq -r 'to_entries[] | select(.value <= (if .key == "nm" then 8200 else 2100 end)) | "\(.key): \(.value)"' <<<"$sizes")" ""

# The real values, as PostgreSQL gives them (docs/events.md: arrays as JSON
# arrays, hstore in json mode as its JSON text in a string).
FULL_ROW=$(psql_admin -c "SELECT json_build_object('id', id, 'n', n, 'tx', tx, 't', to_json(t), 'i', to_json(i), 'h', hstore_to_json(h)) FROM full_t" |
	jq -c '.h |= tojson')
KEY=$(psql_admin -c "SELECT k FROM key_t")

# ---------------------------------------------------------------- default
run_slot default streamkap_pgoutput_slot
OUT=$T_TMP/default.out
assert_eq "RI DEFAULT: the placeholder shaped like each column (arrays, hstore as JSON text, bytea, numeric, varbit)" \
	"$(after_of "$OUT" shapes u)" "$(shapes_after __debezium_unavailable_value)"
# the shapes the issue names, literally
assert_eq "RI DEFAULT: Debezium's literal shapes (text[], int[] bytes, uuid[] name-based UUID)" \
	"$(after_of "$OUT" shapes u | jq -c '[.t, .i[0:4], .u, .h]')" \
	'[["__debezium_unavailable_value"],[95,95,100,101],["b68a35a7-17ad-35b3-af2a-ae46edb4545a"],"{\"__debezium_unavailable_value\":\"__debezium_unavailable_value\"}"]'
# unfull: full_t's big values by name (an exact match only), for a readable diff
unfull() {
	jq -c --argjson r "$FULL_ROW" \
		'walk(if . == $r.tx then "<TX>" elif . == $r.t then "<T>" elif . == $r.i then "<I>" elif . == $r.h then "<H>" else . end)'
}
assert_eq "RI FULL: the unchanged values come from the old row (before and after hold them)" \
	"$(jq -c 'select(.source.table == "full_t" and .op == "u") | [.before, .after]' "$OUT" | unfull)" \
	"$(jq -c '[(.n = 1), .]' <<<"$FULL_ROW" | unfull)"
assert_eq "RI DEFAULT, an out-of-line key column unchanged: the old key fills it in" \
	"$(jq -c 'select(.source.table == "key_t" and .op == "u") | [.before, .after]' "$OUT")" \
	"$(jq -nc --arg k "$KEY" '[{id: 1, k: $k}, {id: 1, k: $k, n: 2}]')"

# ---------------------------------------------------------------- custom placeholder, hstore map
PH='<gone "é" \ ?>'
run_slot custom s_custom "unavailable.value.placeholder=$PH" hstore.handling.mode=map
assert_eq "custom placeholder (escapes, non-ASCII: negative bytes), hstore map mode" \
	"$(after_of "$T_TMP/custom.out" shapes u)" "$(shapes_after "$PH" map)"
assert_eq "custom placeholder: its bytes as Java's signed bytes" \
	"$(after_of "$T_TMP/custom.out" shapes u | jq -c '.i')" '[60,103,111,110,101,32,34,-61,-87,34,32,92,32,63,62]'

# ---------------------------------------------------------------- schemas
# Kafka Connect's JSON converter format: each after value has its field's
# type.  Two exceptions, documented: boolean[] (no boolean holds the
# placeholder) and, in decimal.handling.mode=double, numeric.
run_slot schemas s_schemas value.converter.schemas.enable=true
assert_eq "schemas: the payload is the event without schemas" \
	"$(after_of "$T_TMP/schemas.out" shapes u)" "$(shapes_after __debezium_unavailable_value)"
assert_eq "schemas: every after value has its schema's type, but boolean[]" \
	"$(schema_misfits "$T_TMP/schemas.out")" "shapes.bo"
run_slot modes s_modes value.converter.schemas.enable=true hstore.handling.mode=map \
	decimal.handling.mode=string binary.handling.mode=hex interval.handling.mode=string
assert_eq "schemas, other modes (hex, decimal string, interval string, hstore map): the shapes" \
	"$(after_of "$T_TMP/modes.out" shapes u)" \
	"$(shapes_after __debezium_unavailable_value map '.by = [.bo] | .ba = .bo | .nu = [.bo] | .nu2 = [.bo] | .nm = .bo | .iv = [.bo]')"
assert_eq "schemas, other modes: every after value has its schema's type, but boolean[]" \
	"$(schema_misfits "$T_TMP/modes.out")" "shapes.bo"
run_slot double s_double value.converter.schemas.enable=true decimal.handling.mode=double \
	binary.handling.mode=base64-url-safe "unavailable.value.placeholder=??>"
assert_eq "schemas, decimal double, base64-url-safe: the shapes" \
	"$(after_of "$T_TMP/double.out" shapes u)" \
	"$(shapes_after '??>' json '.nu = .i | .nu2 = .i | .nm = .bo | .by = ["Pz8-"] | .ba = "Pz8-"')"
assert_eq "schemas, decimal double: every after value has its schema's type, but boolean[] and numeric" \
	"$(schema_misfits "$T_TMP/double.out")" "$(printf 'shapes.bo\nshapes.nm')"

t_done

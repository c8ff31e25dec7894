#!/usr/bin/env bash
# t_types.sh — column values, type by type and mode by mode, as docs/events.md
# ("Column types") defines them: one table with every type the issue lists,
# one insert, and one walcap run per mode (each on its own slot, created
# before the insert).
#
# Expected values are computed here independently of walcap: by PostgreSQL
# (date subtraction, extract(epoch ...), encode(..., 'base64'), the text
# output of ranges and tsvectors) or by hand, with the derivation next to
# the value.  Objects are compared after jq canonicalization (the same
# value, spelt as jq spells it); jq reads numbers as doubles, so the
# integers beyond 2^53 and the floats are also checked in walcap's own
# text (raw_field, raw_floats).
#
# The version matrix (tests/run-matrix) runs it on every PostgreSQL 10-18:
# jsonpath (12+), numeric Infinity and multiranges (14+) are columns only
# where the server has them, and the float texts are the same everywhere
# (before 12 walcap shortens the server's 18 or 9 digits).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-30}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=60

pg_start || { t_fail "pg_start"; t_done; }
DB=typesdb
seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
V=$PG_VERSION_NUM
echo "# PostgreSQL $(psql_admin -c 'SHOW server_version') ($V)"

MODES=(bin_bytes bin_base64 bin_url bin_hex dec_double dec_string time_atm time_connect ival_string hstore_map)

# The types only some versions have (README, "PostgreSQL versions"), as
# the table's last columns: jsonpath from 12, numeric Infinity and
# multiranges from 14.  Their expected values are added to EXPECTED below.
V_COLS='' V_VALS=''
if [ "$V" -ge 120000 ]; then
	V_COLS+=', c_jsonpath jsonpath'
	V_VALS+=", '\$.a[*] ? (@ > 1)'"
fi
if [ "$V" -ge 140000 ]; then
	V_COLS+=', c_numinf numeric, c_int4multirange int4multirange'
	V_VALS+=", 'Infinity', '{(1,10], [20,30)}'"
fi

if ! psql_admin -c "CREATE EXTENSION hstore" >/dev/null; then
	t_fail "CREATE EXTENSION hstore" "install PostgreSQL's contrib modules"
	t_done
fi
{
	cat <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN price AS numeric(5,2);
CREATE TABLE ty (
	id int PRIMARY KEY,
	c_int2 smallint, c_int4 integer, c_int8 bigint, c_int8max bigint,
	c_serial serial, c_bigserial bigserial,
	c_f4 real, c_f8 double precision, c_f8big float8,
	c_f4nan real, c_f8nan float8, c_f8inf float8, c_f8ninf float8,
	c_num numeric(10,3), c_numneg numeric(10,2), c_numu numeric, c_numu2 numeric,
	c_numnan numeric,
	c_money money, c_moneyneg money,
	c_bool boolean, c_boolf boolean,
	c_text text, c_textesc text, c_varchar varchar(10), c_char char(5), c_name name,
	c_bytea bytea, c_byteaarr bytea[],
	c_date date, c_datebc date,
	c_time time, c_time4 time(4), c_time3 time(3), c_time0 time(0),
	c_timetz timetz, c_timetz0 timetz(0),
	c_ts timestamp, c_ts3 timestamp(3), c_ts0 timestamp(0), c_tsneg timestamp,
	c_tstz timestamptz, c_tstz3 timestamptz(3), c_tstz0 timestamptz(0),
	c_interval interval, c_interval3 interval(3), c_intervalneg interval,
	c_hourmin interval hour to minute,
	c_json json, c_jsonb jsonb, c_uuid uuid, c_xml xml,
	c_inet inet, c_inet6 inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
	c_point point, c_box box, c_circle circle, c_line line, c_lseg lseg,
	c_path path, c_polygon polygon,
	c_pathc path, c_poly1 polygon, c_box2 box, c_lseg2 lseg, c_circle2 circle, c_line2 line,
	c_boxarr box[], c_polyarr polygon[], c_circle3 circle, c_line3 line,
	c_bit1 bit(1), c_bit bit(10), c_varbit varbit(20), c_varbit0 varbit,
	c_tsvector tsvector, c_int4range int4range,
	c_int4arr int[], c_textarr text[], c_2d int[][], c_numarr numeric(6,2)[],
	c_uuidarr uuid[], c_tstzarr timestamptz[], c_datearr date[], c_boolarr bool[],
	c_f8arr float8[],
	c_enum mood, c_enumarr mood[], c_domain price, c_hstore hstore,
	c_null text
SQL
	printf '\t%s\n);\n' "$V_COLS"
	for m in "${MODES[@]}" schemas incr; do
		echo "SELECT pg_create_logical_replication_slot('ty_$m', 'pgoutput');"
	done
	# the same runs in text (binary.format=off), for the differential check;
	# the default run's slot anew, beside its twin, so that both have seen
	# the same transactions (source.sequence names the one before)
	echo "SELECT pg_drop_replication_slot('streamkap_pgoutput_slot');"
	echo "SELECT pg_create_logical_replication_slot('streamkap_pgoutput_slot', 'pgoutput');"
	for m in "${MODES[@]}" schemas; do
		echo "SELECT pg_create_logical_replication_slot('ty_${m}_txt', 'pgoutput');"
	done
	echo "SELECT pg_create_logical_replication_slot('streamkap_pgoutput_slot_txt', 'pgoutput');"
	cat <<'SQL'
INSERT INTO ty VALUES (1,
	-32768, 2147483647, -9223372036854775808, 9223372036854775807,
	DEFAULT, DEFAULT,
	0.1, -2.25e-10, 1e30,
	'NaN', 'NaN', 'Infinity', '-Infinity',
	12345.678, -1234.56, 3.14159265358979323846, 1.500,
	'NaN',
	1234.56, -1234.56,
	true, false,
	'he said "hi"', E'q"b\\s\tn\u00e9\u0001/', 'abc', 'ab', 'nm',
	'\xfbffbf00', '{"\\xfbff","\\x00"}',
	'2024-02-29', '0044-03-15 BC',
	'13:45:30.123456', '13:45:30.12345', '13:45:30.1239', '13:45:30.6',
	'13:45:30.5+05:30', '23:59:59-08',
	'2024-02-29 13:45:30.123456', '2024-02-29 13:45:30.1234', '2024-02-29 13:45:30.5', '1969-12-31 23:59:59.999999',
	'2024-02-29 13:45:30.5+02', '2024-02-29 13:45:30.1234+02', '2024-03-01 01:15:30.4+02',
	'1 year 2 mons 3 days 04:05:06.78', '1 day 00:00:01.23456', '-1 mons +2 days -00:00:00.5',
	'5 hours 7 minutes 30 seconds',
	'{"a": [1, 2]}', '{"b": 1, "a": "x"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '<a>x</a>',
	'192.168.1.5/24', '::1', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
	'(1.5,-2)', '((1,2),(3,4))', '<(1,2),3>', '{1,-1,0}', '[(1,2),(3,4)]',
	'[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))',
	'((0,0),(1,1),(2,0))', '((1,2))', '((-1.5,-Infinity),(NaN,1))', '[(0.1,0.1),(Infinity,-0)]',
	'<(-1.5,NaN),Infinity>', '{0.5,-Infinity,NaN}',
	ARRAY['((1,2),(3,4))'::box, NULL], ARRAY['((0,0),(1,1))'::polygon],
	'<(0.1,-0.2),0.3>', '{0.1,-0.2,0.3}',
	B'1', B'1010000001', B'101', B'000',
	'a fat:2 cat', '(1,10]',
	'{1,2,NULL}', '{"a","b c","d\"e",NULL,"NULL",""}', '{{1,2},{3,4}}', '{1.5,2.25}',
	'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{"2021-01-01 00:00:00+00"}', '{2024-02-29,1970-01-01}', '{t,f}',
	'{1.5,NaN,-Infinity}',
	'happy', '{sad,ok}', 123.45, 'a=>1, "b c"=>NULL',
	NULL
SQL
	printf '\t%s);\n' "$V_VALS"
} | psql_admin >/dev/null || { t_fail "create and fill the table"; t_done; }
END=$(current_lsn)

# ---------------------------------------------------------------- helpers
# run_mode NAME SLOT [key=value...]: walcap up to $END; the one event in
# $T_TMP/NAME.out; asserts exit status 0 and exactly one event.  The run
# is in binary from PostgreSQL 14 on (binary.format=auto); a second run
# on SLOT_txt with binary.format=off must write the same bytes (but for
# the event's own ts_ms, the time it was written).
run_mode() {
	local name=$1 slot=$2
	shift 2
	walcap_conf "$T_TMP/$name.conf" "database.dbname=$DB" "slot.name=$slot" "$@"
	walcap_run "$T_TMP/$name.conf" --endpos "$END" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	local rc=$?
	assert_rc "$name: walcap exits 0" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/    | /' "$T_TMP/$name.err" | tail -n 20
	assert_eq "$name: one insert event of public.ty" \
		"$(jq -r '[.op, .source.schema, .source.table, (.before == null)] | join(" ")' "$T_TMP/$name.out")" "c public ty true"
	differential "$name" "$slot" "$@"
}

# differential NAME SLOT [key=value...]: the run NAME again in text, on
# SLOT_txt; the same event, byte for byte, but for its ts_ms.
differential() {
	local name=$1 slot=$2 fmt=binary
	shift 2
	[ "$V" -ge 140000 ] || fmt=text
	assert_eq "$name: streamed in $fmt" \
		"$(grep -o 'publication "streamkap_pub", in [a-z]*' "$T_TMP/$name.err")" "publication \"streamkap_pub\", in $fmt"
	walcap_conf "$T_TMP/$name-txt.conf" "database.dbname=$DB" "slot.name=${slot}_txt" binary.format=off "$@"
	walcap_run "$T_TMP/$name-txt.conf" --endpos "$END" >"$T_TMP/$name-txt.out" 2>"$T_TMP/$name-txt.err"
	assert_rc "$name in text: walcap exits 0" "$?" 0
	assert_eq "$name: the binary and text events are the same bytes" \
		"$(sed 's/"ts_ms":[0-9]*}\(}*\)$/"ts_ms":0}\1/' "$T_TMP/$name.out" | md5sum)" \
		"$(sed 's/"ts_ms":[0-9]*}\(}*\)$/"ts_ms":0}\1/' "$T_TMP/$name-txt.out" | md5sum)"
	if ! cmp -s <(sed 's/"ts_ms":[0-9]*}\(}*\)$/"ts_ms":0}\1/' "$T_TMP/$name.out") \
		<(sed 's/"ts_ms":[0-9]*}\(}*\)$/"ts_ms":0}\1/' "$T_TMP/$name-txt.out"); then
		jq -S '.after // .payload.after' "$T_TMP/$name.out" >"$T_TMP/$name.a.json"
		jq -S '.after // .payload.after' "$T_TMP/$name-txt.out" >"$T_TMP/$name.b.json"
		diff "$T_TMP/$name.a.json" "$T_TMP/$name.b.json" | sed 's/^/    | /' | head -n 20
	fi
}

# after_has NAME RUN WANT_JSON: the listed columns of the run's "after"
# (all keys of WANT, in WANT's order) equal WANT.
after_has() {
	local got
	got=$(jq -c --argjson w "$3" '.after as $a | reduce ($w | keys_unsorted[]) as $k ({}; . + {($k): $a[$k]})' "$T_TMP/$2.out" 2>&1)
	assert_eq "$1" "$got" "$(jq -c . <<<"$3" 2>&1)"
}

# raw_field RUN COLUMN: the column's value as walcap wrote it (a number or a
# string without commas or braces).
raw_field() {
	grep -o "\"$2\":[^,}]*" "$T_TMP/$1.out" | head -n 1
}

# q SQL: one value from the table's row.
q() {
	psql_admin -c "SELECT $1 FROM ty WHERE id = 1"
}

# ---------------------------------------------------------------- expected
# Computed by PostgreSQL from the stored row:
D_DATE=$(q "c_date - date '1970-01-01'")                       # 19782
D_DATEBC=$(q "c_datebc - date '1970-01-01'")                   # -735160
T_US=$(q "(extract(epoch FROM c_time) * 1000000)::bigint")     # 13:45:30.123456
T4_US=$(q "(extract(epoch FROM c_time4) * 1000000)::bigint")   # stored .1235
T3_MS=$(q "(extract(epoch FROM c_time3) * 1000)::bigint")      # stored .124
T0_MS=$(q "(extract(epoch FROM c_time0) * 1000)::bigint")      # stored 13:45:31
TS_US=$(q "(extract(epoch FROM c_ts) * 1000000)::bigint")
TS3_MS=$(q "(extract(epoch FROM c_ts3) * 1000)::bigint")       # stored .123
TS0_MS=$(q "(extract(epoch FROM c_ts0) * 1000)::bigint")       # stored :31
TSNEG_US=$(q "(extract(epoch FROM c_tsneg) * 1000000)::bigint") # -1
BYTEA_B64=$(q "encode(c_bytea, 'base64')")                      # fb ff bf 00
TSV=$(q "c_tsvector::text")
RANGE=$(q "c_int4range::text")                                  # canonical [2,11)
for v in D_DATE D_DATEBC T_US T4_US T3_MS T0_MS TS_US TS3_MS TS0_MS TSNEG_US BYTEA_B64 TSV RANGE; do
	[ -n "${!v}" ] || { t_fail "computing $v"; t_done; }
done
# Millisecond forms for time.precision.mode=connect (truncated, and towards
# minus infinity for timestamps: -1 µs is -1 ms).
floordiv() { echo $(( $1 >= 0 ? $1 / $2 : -((-$1 + $2 - 1) / $2) )); }
T_MS_TRUNC=$(( T_US / 1000 ))
T4_MS_TRUNC=$(( T4_US / 1000 ))
TS_MS=$(floordiv "$TS_US" 1000)
TSNEG_MS=$(floordiv "$TSNEG_US" 1000)
# The point's WKB: byte order 1 (little-endian), type 1 (point), x = 1.5
# (0x3FF8000000000000), y = -2 (0xC000000000000000), doubles little-endian.
WKB=$(printf '\001\001\000\000\000\000\000\000\000\000\000\370\077\000\000\000\000\000\000\000\300' | base64)
# The geometric types' WKB (docs/events.md, Debezium 3.7's convertBox ...
# convertPolygon): 01 = little-endian, then the type (02000000 LineString,
# 03000000 Polygon, 01000000 Point), a ring count 01000000 for a polygon,
# the point count, and each coordinate as 8 little-endian bytes.  The
# header is written here; the coordinates' bytes are PostgreSQL's own,
# from the stored value: float8send() gives a double's big-endian bytes,
# le8() reverses them.  pts() takes the points of a path or polygon from
# their text output in order.  Debezium's rings: a box (x1,y1),(x1,y2),
# (x2,y2),(x2,y1),(x1,y1) with (x1,y1) = box[0], the corner printed first;
# a polygon gets its first point again unless the last equals it; paths
# stay as they are, open or closed.
psql_admin >/dev/null <<'SQL' || { t_fail "create the WKB helper functions"; t_done; }
CREATE FUNCTION le8(float8) RETURNS text LANGUAGE sql AS
  $$ SELECT string_agg(substr(encode(float8send($1), 'hex'), 15 - 2 * i, 2), '' ORDER BY i) FROM generate_series(0, 7) i $$;
CREATE FUNCTION le4(int) RETURNS text LANGUAGE sql AS
  $$ SELECT string_agg(substr(encode(int4send($1), 'hex'), 7 - 2 * i, 2), '' ORDER BY i) FROM generate_series(0, 3) i $$;
CREATE FUNCTION pt(point) RETURNS text LANGUAGE sql AS $$ SELECT le8($1[0]) || le8($1[1]) $$;
CREATE FUNCTION pts(text) RETURNS text LANGUAGE sql AS
  $$ SELECT string_agg(le8(m[1]::float8) || le8(m[2]::float8), '' ORDER BY n)
     FROM regexp_matches($1, '\(([^(),]+),([^(),]+)\)', 'g') WITH ORDINALITY AS r(m, n) $$;
CREATE FUNCTION b64(text) RETURNS text LANGUAGE sql AS
  $$ SELECT translate(encode(decode($1, 'hex'), 'base64'), E'\n', '') $$;
CREATE FUNCTION boxwkb(box) RETURNS text LANGUAGE sql AS
  $$ SELECT b64('0103000000' || le4(1) || le4(5)
                || le8(($1[0])[0]) || le8(($1[0])[1]) || le8(($1[0])[0]) || le8(($1[1])[1])
                || le8(($1[1])[0]) || le8(($1[1])[1]) || le8(($1[1])[0]) || le8(($1[0])[1])
                || le8(($1[0])[0]) || le8(($1[0])[1])) $$;
SQL
W_BOX=$(q "boxwkb(c_box)")
W_BOX2=$(q "boxwkb(c_box2)")
W_BOXARR=$(q "boxwkb(c_boxarr[1])")
W_LSEG=$(q "b64('0102000000' || le4(2) || pt(c_lseg[0]) || pt(c_lseg[1]))")
W_LSEG2=$(q "b64('0102000000' || le4(2) || pt(c_lseg2[0]) || pt(c_lseg2[1]))")
W_PATH=$(q "b64('0102000000' || le4(npoints(c_path)) || pts(c_path::text))")
W_PATHC=$(q "b64('0102000000' || le4(npoints(c_pathc)) || pts(c_pathc::text))")
# ((0,0),(1,1),(1,0)) and ((0,0),(1,1)): the first point (32 hex digits) again
W_POLY=$(q "b64('0103000000' || le4(1) || le4(npoints(c_polygon) + 1) || pts(c_polygon::text) || left(pts(c_polygon::text), 32))")
W_POLYARR=$(q "b64('0103000000' || le4(1) || le4(npoints(c_polyarr[1]) + 1) || pts(c_polyarr[1]::text) || left(pts(c_polyarr[1]::text), 32))")
# ((1,2)): one point, nothing to close
W_POLY1=$(q "b64('0103000000' || le4(1) || le4(1) || pts(c_poly1::text))")
W_CIRCLE=$(q "b64('0101000000' || pt(center(c_circle)))")
W_CIRCLE2=$(q "b64('0101000000' || pt(center(c_circle2)))")
W_CIRCLE3=$(q "b64('0101000000' || pt(center(c_circle3)))")
for v in W_BOX W_BOX2 W_BOXARR W_LSEG W_LSEG2 W_PATH W_PATHC W_POLY W_POLYARR W_POLY1 W_CIRCLE W_CIRCLE2 W_CIRCLE3; do
	[ -n "${!v}" ] || { t_fail "computing $v"; t_done; }
done
# The stored values are what the expected JSON says around the WKB.
assert_eq "geometric values as stored" \
	"$(q "npoints(c_path), isopen(c_path), isclosed(c_pathc), npoints(c_poly1), c_circle2::text, c_line2::text")" \
	"3|t|t|1|<(-1.5,NaN),Infinity>|{0.5,-Infinity,NaN}"
# bit(10) '1010000001' = bits 9, 7 and 0 = bytes 0x81 0x02 (BitSet order).
BITS=$(printf '\201\002' | base64)
# varbit '101' = bit 0 and 2 = byte 0x05.
VBITS=$(printf '\005' | base64)
# bytea[] {fb ff, 00}
BA1=$(printf '\373\377' | base64)
BA2=$(printf '\000' | base64)

# Decimal (precise): base64 of the unscaled value's minimal big-endian
# two's complement.
#   numeric(10,3) 12345.678 -> 12345678 = 0x00BC614E        -> "ALxhTg=="
#   numeric(10,2) -1234.56  -> -123456  = 0xFE1DC0          -> "/h3A"
#   numeric 3.14159265358979323846 -> scale 20, 314159265358979323846
#                             = 0x1107D5EB5B5BA4D7C6         -> "EQfV61tbpNfG"
#   numeric 1.500 -> trailing zeros stripped: scale 1, 15 = 0x0F -> "Dw=="
#   money 1234.56 / -1234.56 (scale 2) -> 123456 = 0x01E240 -> "AeJA", "/h3A"
#   numeric(6,2)[] 1.50, 2.25 -> 150 = 0x0096, 225 = 0x00E1 -> "AJY=", "AOE="
#   price = numeric(5,2) 123.45 -> 12345 = 0x3039           -> "MDk="
# Interval (numeric): MicroDuration, a month = 365.25/12 = 30.4375 days:
#   1 year 2 mons 3 days 04:05:06.78: (14 * 30.4375 + 3) days = 429.125 d
#     = 37076400 s, + 14706.78 s = 37091106.78 s          -> 37091106780000
#   interval(3) 1 day 00:00:01.23456 -> stored 1.235 s: 86401.235 s -> 86401235000
#   -1 mons +2 days -00:00:00.5: (-30.4375 + 2) d = -2457000 s, -0.5 s -> -2457000500000
#   hour to minute 5:07:30 -> stored 05:07:00 = 18420 s    -> 18420000000
# timetz in UTC: 13:45:30.5+05:30 -> 08:15:30.5; 23:59:59-08 -> 07:59:59
# timestamptz: 13:45:30.5+02 -> 11:45:30.5 UTC, six digits for plain
#   timestamptz; (3): 13:45:30.1234+02 -> .123 (stored), three digits;
#   (0): 2024-03-01 01:15:30.4+02 -> stored :30 -> 2024-02-29T23:15:30Z.
# jsonb is stored normalized: keys by length then bytes, ": " and ", ".
EXPECTED=$(cat <<EOF
{"id":1,
 "c_int2":-32768,"c_int4":2147483647,"c_int8":-9223372036854775808,"c_int8max":9223372036854775807,
 "c_serial":1,"c_bigserial":1,
 "c_f4":0.1,"c_f8":-2.25e-10,"c_f8big":1e30,
 "c_f4nan":"NaN","c_f8nan":"NaN","c_f8inf":"Infinity","c_f8ninf":"-Infinity",
 "c_num":"ALxhTg==","c_numneg":"/h3A","c_numu":{"scale":20,"value":"EQfV61tbpNfG"},"c_numu2":{"scale":1,"value":"Dw=="},
 "c_numnan":null,
 "c_money":"AeJA","c_moneyneg":"/h3A",
 "c_bool":true,"c_boolf":false,
 "c_text":"he said \"hi\"","c_textesc":"q\"b\\\\s\tn\u00e9\u0001/","c_varchar":"abc","c_char":"ab   ","c_name":"nm",
 "c_bytea":"$BYTEA_B64","c_byteaarr":["$BA1","$BA2"],
 "c_date":$D_DATE,"c_datebc":$D_DATEBC,
 "c_time":$T_US,"c_time4":$T4_US,"c_time3":$T3_MS,"c_time0":$T0_MS,
 "c_timetz":"08:15:30.5Z","c_timetz0":"07:59:59Z",
 "c_ts":$TS_US,"c_ts3":$TS3_MS,"c_ts0":$TS0_MS,"c_tsneg":$TSNEG_US,
 "c_tstz":"2024-02-29T11:45:30.500000Z","c_tstz3":"2024-02-29T11:45:30.123Z","c_tstz0":"2024-02-29T23:15:30Z",
 "c_interval":37091106780000,"c_interval3":86401235000,"c_intervalneg":-2457000500000,
 "c_hourmin":18420000000,
 "c_json":"{\"a\": [1, 2]}","c_jsonb":"{\"a\": \"x\", \"b\": 1}","c_uuid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","c_xml":"<a>x</a>",
 "c_inet":"192.168.1.5/24","c_inet6":"::1","c_cidr":"10.0.0.0/8","c_macaddr":"08:00:2b:01:02:03","c_macaddr8":"08:00:2b:01:02:03:04:05",
 "c_point":{"x":1.5,"y":-2,"wkb":"$WKB","srid":null},
 "c_box":{"wkb":"$W_BOX","srid":null,"extensions":{"type":"box"}},
 "c_circle":{"center":{"x":1,"y":2,"wkb":"$W_CIRCLE","srid":null},"radius":3},
 "c_line":{"a":1,"b":-1,"c":0},
 "c_lseg":{"wkb":"$W_LSEG","srid":null,"extensions":{"type":"lseg"}},
 "c_path":{"wkb":"$W_PATH","srid":null,"extensions":{"type":"path","closed":"false"}},
 "c_polygon":{"wkb":"$W_POLY","srid":null,"extensions":{"type":"polygon"}},
 "c_pathc":{"wkb":"$W_PATHC","srid":null,"extensions":{"type":"path","closed":"true"}},
 "c_poly1":{"wkb":"$W_POLY1","srid":null,"extensions":{"type":"polygon"}},
 "c_box2":{"wkb":"$W_BOX2","srid":null,"extensions":{"type":"box"}},
 "c_lseg2":{"wkb":"$W_LSEG2","srid":null,"extensions":{"type":"lseg"}},
 "c_circle2":{"center":{"x":-1.5,"y":"NaN","wkb":"$W_CIRCLE2","srid":null},"radius":"Infinity"},
 "c_line2":{"a":0.5,"b":"-Infinity","c":"NaN"},
 "c_boxarr":[{"wkb":"$W_BOXARR","srid":null,"extensions":{"type":"box"}},null],
 "c_polyarr":[{"wkb":"$W_POLYARR","srid":null,"extensions":{"type":"polygon"}}],
 "c_circle3":{"center":{"x":0.1,"y":-0.2,"wkb":"$W_CIRCLE3","srid":null},"radius":0.3},
 "c_line3":{"a":0.1,"b":-0.2,"c":0.3},
 "c_bit1":true,"c_bit":"$BITS","c_varbit":"$VBITS","c_varbit0":"",
 "c_tsvector":$(jq -n --arg s "$TSV" '$s'),"c_int4range":"$RANGE",
 "c_int4arr":[1,2,null],"c_textarr":["a","b c","d\"e",null,"NULL",""],"c_2d":[[1,2],[3,4]],"c_numarr":["AJY=","AOE="],
 "c_uuidarr":["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],"c_tstzarr":["2021-01-01T00:00:00.000000Z"],
 "c_datearr":[$D_DATE,0],"c_boolarr":[true,false],
 "c_f8arr":[1.5,"NaN","-Infinity"],
 "c_enum":"happy","c_enumarr":["sad","ok"],"c_domain":"MDk=","c_hstore":"{\"a\":\"1\",\"b c\":null}",
 "c_null":null}
EOF
)
# The version's own types (README, "PostgreSQL versions"): jsonpath and
# multiranges as strings, the server's own normalized text (docs/events.md);
# numeric Infinity null in precise mode.
if [ "$V" -ge 120000 ]; then
	EXPECTED=$(jq -c --arg s "$(q "c_jsonpath::text")" '. + {c_jsonpath: $s}' <<<"$EXPECTED")
fi
if [ "$V" -ge 140000 ]; then
	EXPECTED=$(jq -c --arg s "$(q "c_int4multirange::text")" '. + {c_numinf: null, c_int4multirange: $s}' <<<"$EXPECTED")
fi
# Sanity of the hand-written parts against PostgreSQL itself.
psql_check=$(psql_admin <<SQL
SELECT c_bytea = decode('$BYTEA_B64', 'base64'),
       c_textesc = E'q"b\\\\s\\tn\\u00e9\\u0001/',
       c_datebc = '0044-03-15 BC'::date AND $D_DATEBC = -735160,
       c_tstz = '2024-02-29T11:45:30.5Z', c_tstz3 = '2024-02-29T11:45:30.123Z',
       c_tstz0 = '2024-02-29T23:15:30Z',
       (c_timetz AT TIME ZONE 'UTC')::time = '08:15:30.5',
       (c_timetz0 AT TIME ZONE 'UTC')::time = '07:59:59',
       c_interval3 = '1 day 1.235 s', c_hourmin = '05:07',
       c_jsonb::text = '{"a": "x", "b": 1}', c_box::text = '(3,4),(1,2)'
FROM ty WHERE id = 1
SQL
)
assert_eq "expected values: checks by PostgreSQL" "$psql_check" "t|t|t|t|t|t|t|t|t|t|t|t"
assert_eq "expected values: hand-computed decimals" \
	"$(psql_admin -c "SELECT 12345678 = x'00BC614E'::int, -123456 = x'FE1DC0'::int - x'1000000'::int, 12345 = x'3039'::int, 150 = x'96'::int, 225 = x'E1'::int, 123456 = x'01E240'::int")" \
	"t|t|t|t|t|t"

# ---------------------------------------------------------------- default modes
run_mode default streamkap_pgoutput_slot
assert_eq "every type, default modes: after" \
	"$(jq -c .after "$T_TMP/default.out" 2>&1)" "$(jq -c . <<<"$EXPECTED" 2>&1)"
assert_eq "bigint -2^63 written exactly" "$(raw_field default c_int8)" '"c_int8":-9223372036854775808'
assert_eq "bigint 2^63-1 written exactly" "$(raw_field default c_int8max)" '"c_int8max":9223372036854775807'
assert_eq "numeric scale 20 value written exactly" \
	"$(grep -o '"c_numu":{[^}]*}' "$T_TMP/default.out")" '"c_numu":{"scale":20,"value":"EQfV61tbpNfG"}'
# jq reads numbers as doubles: the float texts as walcap wrote them, the
# fewest digits that read back as the value on every version (before 12
# the server prints 18 or 9 digits, which walcap shortens: docs/events.md),
# in the geometric structs too.  t_core.sh has more such numbers.
raw_floats() {   # FILE
	grep -o '"c_\(f4\|f8\|f8big\)":[^,}]*\|"c_f8arr":\[[^]]*\]\|"c_line3":{[^}]*}\|"c_circle3":{"center":{[^}]*},"radius":[^,}]*}' \
		"$1" | tr '\n' ' '
}
RAW_FLOATS="\"c_f4\":0.1 \"c_f8\":-2.25e-10 \"c_f8big\":1e+30 \"c_circle3\":{\"center\":{\"x\":0.1,\"y\":-0.2,\"wkb\":\"$W_CIRCLE3\",\"srid\":null},\"radius\":0.3} \"c_line3\":{\"a\":0.1,\"b\":-0.2,\"c\":0.3} \"c_f8arr\":[1.5,\"NaN\",\"-Infinity\"] "
assert_eq "floats written in the fewest digits, geometric ones too" "$(raw_floats "$T_TMP/default.out")" "$RAW_FLOATS"

# ---------------------------------------------------------------- binary.handling.mode
# The base64 of fb ff bf 00 has both '+' and '/'; bit strings do not follow
# the mode (docs/events.md: bytea only).
if [[ "$BYTEA_B64" == *+* && "$BYTEA_B64" == */* ]]; then
	t_ok "bytea test value's base64 has + and /"
else
	t_fail "bytea test value's base64 has + and /" "$BYTEA_B64"
fi
url() { tr '+/' '-_' <<<"$1"; }
run_mode bin_bytes ty_bin_bytes binary.handling.mode=bytes
after_has "binary.handling.mode=bytes" bin_bytes "{\"c_bytea\":\"$BYTEA_B64\",\"c_byteaarr\":[\"$BA1\",\"$BA2\"],\"c_bit\":\"$BITS\"}"
run_mode bin_base64 ty_bin_base64 binary.handling.mode=base64
after_has "binary.handling.mode=base64" bin_base64 "{\"c_bytea\":\"$BYTEA_B64\",\"c_byteaarr\":[\"$BA1\",\"$BA2\"],\"c_bit\":\"$BITS\"}"
run_mode bin_url ty_bin_url binary.handling.mode=base64-url-safe
after_has "binary.handling.mode=base64-url-safe" bin_url \
	"{\"c_bytea\":\"$(url "$BYTEA_B64")\",\"c_byteaarr\":[\"$(url "$BA1")\",\"$(url "$BA2")\"],\"c_bit\":\"$BITS\"}"
run_mode bin_hex ty_bin_hex binary.handling.mode=hex
after_has "binary.handling.mode=hex" bin_hex \
	"{\"c_bytea\":\"$(q "encode(c_bytea, 'hex')")\",\"c_byteaarr\":[\"fbff\",\"00\"],\"c_bit\":\"$BITS\"}"

# The geometric types' WKB is bytes inside a struct: standard base64 in
# every mode (Debezium builds it itself; binary.handling.mode converts
# bytea columns only).  The lseg's has '+' and '/', so a mode applied to it
# would show; the loop at the end compares every mode's value with the
# default run's.
if [[ "$W_LSEG2" == *+* && "$W_LSEG2" == */* ]]; then
	t_ok "lseg test value's WKB base64 has + and /"
else
	t_fail "lseg test value's WKB base64 has + and /" "$W_LSEG2"
fi
for m in bin_url bin_hex; do
	after_has "$m: geometric WKB unchanged" "$m" "{\"c_lseg2\":{\"wkb\":\"$W_LSEG2\",\"srid\":null,\"extensions\":{\"type\":\"lseg\"}}}"
done

# ---------------------------------------------------------------- decimal.handling.mode
# numeric Infinity (14+): "Infinity" and "POSITIVE_INFINITY".
numinf() {   # VALUE: the c_numinf member where the server has the value
	[ "$V" -ge 140000 ] && printf ',"c_numinf":%s' "$1"
}
run_mode dec_double ty_dec_double decimal.handling.mode=double
after_has "decimal.handling.mode=double" dec_double \
	'{"c_num":12345.678,"c_numneg":-1234.56,"c_numu":3.141592653589793,"c_numu2":1.5,"c_numnan":"NaN"'"$(numinf '"Infinity"')"',"c_money":1234.56,"c_moneyneg":-1234.56,"c_numarr":[1.5,2.25],"c_domain":123.45,"c_f8":-2.25e-10}'
run_mode dec_string ty_dec_string decimal.handling.mode=string
after_has "decimal.handling.mode=string" dec_string \
	'{"c_num":"12345.678","c_numneg":"-1234.56","c_numu":"3.14159265358979323846","c_numu2":"1.500","c_numnan":"NAN"'"$(numinf '"POSITIVE_INFINITY"')"',"c_money":"1234.56","c_moneyneg":"-1234.56","c_numarr":["1.50","2.25"],"c_domain":"123.45","c_f8":-2.25e-10}'

# ---------------------------------------------------------------- time.precision.mode
# adaptive_time_microseconds: every time in µs; timestamps as in adaptive.
run_mode time_atm ty_time_atm time.precision.mode=adaptive_time_microseconds
after_has "time.precision.mode=adaptive_time_microseconds" time_atm \
	"{\"c_date\":$D_DATE,\"c_time\":$T_US,\"c_time4\":$T4_US,\"c_time3\":$((T3_MS * 1000)),\"c_time0\":$((T0_MS * 1000)),\"c_timetz\":\"08:15:30.5Z\",\"c_ts\":$TS_US,\"c_ts3\":$TS3_MS,\"c_ts0\":$TS0_MS,\"c_tsneg\":$TSNEG_US,\"c_tstz\":\"2024-02-29T11:45:30.500000Z\",\"c_interval\":37091106780000,\"c_datearr\":[$D_DATE,0]}"
# connect: Kafka Connect's millisecond types for time and timestamp.
run_mode time_connect ty_time_connect time.precision.mode=connect
after_has "time.precision.mode=connect" time_connect \
	"{\"c_date\":$D_DATE,\"c_datebc\":$D_DATEBC,\"c_time\":$T_MS_TRUNC,\"c_time4\":$T4_MS_TRUNC,\"c_time3\":$T3_MS,\"c_time0\":$T0_MS,\"c_timetz\":\"08:15:30.5Z\",\"c_ts\":$TS_MS,\"c_ts3\":$TS3_MS,\"c_ts0\":$TS0_MS,\"c_tsneg\":$TSNEG_MS,\"c_tstz\":\"2024-02-29T11:45:30.500000Z\",\"c_tstz0\":\"2024-02-29T23:15:30Z\",\"c_interval\":37091106780000,\"c_datearr\":[$D_DATE,0]}"

# ---------------------------------------------------------------- interval.handling.mode
# The seconds are Debezium's BigDecimal.valueOf(PGInterval.getSeconds()) cut
# to 9 fraction digits towards zero (docs/events.md).  getSeconds() is the
# double wholeSeconds + microSeconds / 1e6: for 1.235 s that is
# 1 + 0.235 = 1.2349999999999999 (the double below 1.235), so the documented
# text is 1.234999999, not 1.235; 6.78 (6 + 0.78) and -0.5 stay exact.
run_mode ival_string ty_ival_string interval.handling.mode=string
after_has "interval.handling.mode=string" ival_string \
	'{"c_interval":"P1Y2M3DT4H5M6.78S","c_interval3":"P0Y0M1DT0H0M1.234999999S","c_intervalneg":"P0Y-1M2DT0H0M-0.5S","c_hourmin":"P0Y0M0DT5H7M0S"}'

# ---------------------------------------------------------------- hstore.handling.mode
run_mode hstore_map ty_hstore_map hstore.handling.mode=map
after_has "hstore.handling.mode=map" hstore_map '{"c_hstore":{"a":"1","b c":null}}'

# Every mode run saw the same row: the columns no mode touches are unchanged.
for m in "${MODES[@]}"; do
	after_has "$m: the other columns as in the default run" "$m" \
		"$(jq -c '.after | del(.c_bytea, .c_byteaarr, .c_num, .c_numneg, .c_numu, .c_numu2, .c_numnan, .c_numinf, .c_money, .c_moneyneg, .c_numarr, .c_domain, .c_time, .c_time4, .c_time3, .c_time0, .c_ts, .c_ts3, .c_ts0, .c_tsneg, .c_interval, .c_interval3, .c_intervalneg, .c_hourmin, .c_hstore)' "$T_TMP/default.out")"
done

# ---------------------------------------------------------------- schemas
# value.converter.schemas.enable: the geometric columns' Connect schemas as
# Debezium 3.7's builders make them (Geometry v2, Circle and Line v1: all
# optional whatever the column; Point v1 by the column), with their docs.
walcap_conf "$T_TMP/schemas.conf" "database.dbname=$DB" slot.name=ty_schemas value.converter.schemas.enable=true
walcap_run "$T_TMP/schemas.conf" --endpos "$END" >"$T_TMP/schemas.out" 2>"$T_TMP/schemas.err"
assert_rc "schemas: walcap exits 0" "$?" 0
differential schemas ty_schemas value.converter.schemas.enable=true
assert_eq "schemas: the payload's row is the default run's" \
	"$(jq -c .payload.after "$T_TMP/schemas.out" 2>&1)" "$(jq -c .after "$T_TMP/default.out" 2>&1)"
POINT_FIELDS='{"type":"double","optional":false,"field":"x"},{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}'
GEOMETRY='{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"},{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":false},"optional":true,"field":"extensions"}],"optional":true,"name":"io.debezium.data.geometry.Geometry","version":2,"doc":"Geometry"'
CIRCLE='{"type":"struct","fields":[{"type":"struct","fields":['"$POINT_FIELDS"'],"optional":false,"name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)","field":"center"},{"type":"double","optional":false,"field":"radius"}],"optional":true,"name":"io.debezium.data.geometry.Circle","version":1,"doc":"Geometry (CIRCLE)"'
LINE='{"type":"struct","fields":[{"type":"double","optional":false,"field":"a"},{"type":"double","optional":false,"field":"b"},{"type":"double","optional":false,"field":"c"}],"optional":true,"name":"io.debezium.data.geometry.Line","version":1,"doc":"Geometry (LINE)"'
assert_eq "schemas: the geometric columns" \
	"$(jq -c '.schema.fields[1].fields[] | select(.field | test("^c_(point|box|circle|line|lseg|path|polygon|pathc|poly1|box2|lseg2|circle2|line2|boxarr|polyarr|circle3|line3)$"))' "$T_TMP/schemas.out" 2>&1)" \
	"$(cat <<EOF
{"type":"struct","fields":[$POINT_FIELDS],"optional":true,"name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)","field":"c_point"}
$GEOMETRY,"field":"c_box"}
$CIRCLE,"field":"c_circle"}
$LINE,"field":"c_line"}
$GEOMETRY,"field":"c_lseg"}
$GEOMETRY,"field":"c_path"}
$GEOMETRY,"field":"c_polygon"}
$GEOMETRY,"field":"c_pathc"}
$GEOMETRY,"field":"c_poly1"}
$GEOMETRY,"field":"c_box2"}
$GEOMETRY,"field":"c_lseg2"}
$CIRCLE,"field":"c_circle2"}
$LINE,"field":"c_line2"}
{"type":"array","items":$GEOMETRY},"optional":true,"field":"c_boxarr"}
{"type":"array","items":$GEOMETRY},"optional":true,"field":"c_polyarr"}
$CIRCLE,"field":"c_circle3"}
$LINE,"field":"c_line3"}
EOF
)"

# ---------------------------------------------------------------- snapshot rows
# A snapshot row is read in text and converted like a streamed one.  An
# incremental snapshot (an execute-snapshot signal) reads its chunks with
# SELECT; an initial snapshot reads the table with COPY, whose text has its
# own escapes.  Each holds the same row, every column equal.
# walcap writes the snapshot's watermarks into the signal table: the
# schema USAGE the setup guide leaves out
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('ty-incr', 'execute-snapshot', '{\"data-collections\":[\"public.ty\"],\"type\":\"incremental\"}')" >/dev/null
walcap_conf "$T_TMP/incr.conf" "database.dbname=$DB" slot.name=ty_incr
: >"$T_TMP/incr.err"
walcap_start "$T_TMP/incr.out" "$T_TMP/incr.err" "$T_TMP/incr.conf"
wait_until 60 grep -q 'incremental snapshot of "public.ty" done' "$T_TMP/incr.err"
incr_done=$?
walcap_stop
assert_rc "incremental snapshot: walcap exits 0" "$WALCAP_RC" 0
[ "$WALCAP_RC$incr_done" = 00 ] || sed 's/^/    | /' "$T_TMP/incr.err" | tail -n 20
assert_eq "incremental snapshot: the insert, then one r event of public.ty" \
	"$(jq -r '[.op, .source.table, .source.snapshot] | join(" ")' "$T_TMP/incr.out" 2>&1)" \
	"$(printf 'c ty false\nr ty incremental')"
assert_eq "incremental snapshot: every type, as streamed" \
	"$(jq -c 'select(.op == "r") | .after' "$T_TMP/incr.out" 2>&1)" "$(jq -c . <<<"$EXPECTED" 2>&1)"
assert_eq "incremental snapshot: floats in the fewest digits" \
	"$(raw_floats <(grep '"op":"r"' "$T_TMP/incr.out"))" "$RAW_FLOATS"

walcap_conf "$T_TMP/snap.conf" "database.dbname=$DB" slot.name=ty_snap snapshot.mode=initial 'table.include.list=public\.ty'
: >"$T_TMP/snap.err"
walcap_start "$T_TMP/snap.out" "$T_TMP/snap.err" "$T_TMP/snap.conf"
wait_until 60 grep -q "streaming from slot" "$T_TMP/snap.err"
walcap_stop
assert_rc "snapshot: walcap exits 0" "$WALCAP_RC" 0
assert_eq "snapshot: one r event of public.ty" \
	"$(jq -r 'select(.source.table == "ty") | .op' "$T_TMP/snap.out" 2>&1)" "r"
assert_eq "snapshot: every type, as streamed" \
	"$(jq -c 'select(.source.table == "ty") | .after' "$T_TMP/snap.out" 2>&1)" "$(jq -c . <<<"$EXPECTED" 2>&1)"
assert_eq "snapshot: floats in the fewest digits" "$(raw_floats "$T_TMP/snap.out")" "$RAW_FLOATS"

pg_stop
t_done

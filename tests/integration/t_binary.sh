#!/usr/bin/env bash
# t_binary.sh — binary.format: a column whose type walcap does not read in
# binary (a composite type) makes walcap stream again in text from the
# confirmed position, with nothing lost or repeated; binary.format=on
# stops instead, naming the column; =off never asks for binary; before
# PostgreSQL 14 auto streams in text and on is refused.
# (Every value type in both formats: t_types.sh's differential runs.)
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-30}

pg_start || { t_fail "pg_start"; t_done; }
DB=bindb
seed_setup "$DB" || { t_fail "seed_setup $DB"; t_done; }
V=$PG_VERSION_NUM

psql_admin >/dev/null <<'SQL' || { t_fail "create the tables"; t_done; }
CREATE TYPE pair AS (a int, b text);
CREATE TABLE nums (id int PRIMARY KEY, v numeric(6,2), t timestamptz);
CREATE TABLE pairs (id int PRIMARY KEY, p pair);
SELECT pg_create_logical_replication_slot('bin_on', 'pgoutput');
SELECT pg_create_logical_replication_slot('bin_off', 'pgoutput');
INSERT INTO nums VALUES (1, 1.5, '2024-02-29 13:45:30.5+00');
INSERT INTO pairs VALUES (1, ROW(7, 'x y'));
INSERT INTO nums VALUES (2, -2.25, '1999-12-31 23:59:59.999999+00');
SQL
END=$(current_lsn)

rows() { jq -c '[.source.table, .op, .after]' "$1"; }
WANT='["nums","c",{"id":1,"v":"AJY=","t":"2024-02-29T13:45:30.500000Z"}]
["pairs","c",{"id":1,"p":"(7,\"x y\")"}]
["nums","c",{"id":2,"v":"/x8=","t":"1999-12-31T23:59:59.999999Z"}]'

# auto: binary, then text from the pair column on (14+); text before
walcap_conf "$T_TMP/auto.conf" "database.dbname=$DB"
walcap_run "$T_TMP/auto.conf" --endpos "$END" >"$T_TMP/auto.out" 2>"$T_TMP/auto.err"
assert_rc "auto: walcap exits 0" "$?" 0
assert_eq "auto: every row once, in order" "$(rows "$T_TMP/auto.out")" "$WANT"
if [ "$V" -ge 140000 ]; then
	assert_eq "auto: a binary session, then a text one" \
		"$(grep -o 'publication "streamkap_pub", in [a-z]*' "$T_TMP/auto.err")" \
		"$(printf 'publication "streamkap_pub", in binary\npublication "streamkap_pub", in text')"
	assert_eq "auto: the warning names the column and what happens" \
		"$(grep -c 'WARNING: column "public"."pairs"."p" has a type (OID [0-9]*) whose binary form walcap does not read; streaming again in text from the confirmed position (binary.format=auto)' "$T_TMP/auto.err")" 1
	assert_eq "auto: no error logged" "$(grep -c ERROR "$T_TMP/auto.err")" 0
else
	assert_eq "auto: text before 14" \
		"$(grep -o 'publication "streamkap_pub", in [a-z]*' "$T_TMP/auto.err")" 'publication "streamkap_pub", in text'
fi

# on: stops at the pair column (14+); refused before 14
walcap_conf "$T_TMP/on.conf" "database.dbname=$DB" slot.name=bin_on binary.format=on
walcap_run "$T_TMP/on.conf" --endpos "$END" >"$T_TMP/on.out" 2>"$T_TMP/on.err"
rc=$?
if [ "$V" -ge 140000 ]; then
	assert_rc "on: walcap exits 1 at the column it cannot read" "$rc" 1
	assert_eq "on: the error names the column" \
		"$(grep -c 'ERROR: column "public"."pairs"."p" has a type (OID [0-9]*) whose binary form walcap does not read' "$T_TMP/on.err")" 1
	# nothing was confirmed past what was written: auto on the same slot
	# (and offset file) gets the rest, and across both runs each row once
	walcap_conf "$T_TMP/on2.conf" "database.dbname=$DB" slot.name=bin_on
	walcap_run "$T_TMP/on2.conf" --endpos "$END" >"$T_TMP/on2.out" 2>"$T_TMP/on2.err"
	assert_rc "on, then auto: walcap exits 0" "$?" 0
	assert_eq "on, then auto: every row once across both runs" \
		"$(cat "$T_TMP/on.out" "$T_TMP/on2.out" | jq -c '[.source.table, .op, .after]')" "$WANT"
else
	assert_rc "on before 14: exit 2" "$rc" 2
	assert_eq "on before 14: the error says why and what to do" \
		"$(grep -c "binary.format=on, but the server runs PostgreSQL" "$T_TMP/on.err") $(grep -c 'set binary.format=auto' "$T_TMP/on.err")" "1 1"
fi

# off: text only, and no binary option on the wire
walcap_conf "$T_TMP/off.conf" "database.dbname=$DB" slot.name=bin_off binary.format=off
walcap_run "$T_TMP/off.conf" --endpos "$END" >"$T_TMP/off.out" 2>"$T_TMP/off.err"
assert_rc "off: walcap exits 0" "$?" 0
assert_eq "off: every row once" "$(rows "$T_TMP/off.out")" "$WANT"
assert_eq "off: one text session, no warning" \
	"$(grep -o 'publication "streamkap_pub", in [a-z]*' "$T_TMP/off.err") $(grep -c WARNING "$T_TMP/off.err")" \
	'publication "streamkap_pub", in text 0'

pg_stop
t_done

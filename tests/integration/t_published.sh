#!/usr/bin/env bash
# t_published.sh — snapshot rows have the shape and the selection of the
# streamed rows: only the columns pgoutput sends, only the rows the
# publication's row filter lets through (docs/events.md, "Snapshots").
#
#   - a stored generated column (12+): pgoutput leaves it out of every
#     change, so the incremental and the initial snapshot leave it out
#     too; from 18 a publication with publish_generated_columns = stored
#     sends it, and the snapshots then read it
#   - a column list (15+): FOR TABLE t (a, b) sends those columns only
#   - a row filter (15+): FOR TABLE t WHERE (...) sends only matching rows;
#     the snapshots read only those
# On 10 and 11 (no generated columns) the script checks that a plain table
# is read whole.  Runs on every PostgreSQL 10-18 (the version matrix).
#
# Expected events are written from the contract: the columns and rows the
# server's publication defines, never captured from walcap.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-30}
# shellcheck disable=SC2034  # read by lib.sh's psql_admin
PSQL_TIMEOUT=60

DB=pubdb
pg_start "$DB" || { t_fail "pg_start"; t_done; }
V=$PG_VERSION_NUM
echo "# PostgreSQL $(psql_admin -c 'SHOW server_version') ($V)"
VER=$("$WALCAP" --version | awk '{print $2}')
work=$T_TMP

ev() {   # OP TABLE AFTER SNAPSHOT: one normalized event of public.TABLE
	printf '{"before":null,"after":%s,"source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"%s","db":"%s","schema":"public","table":"%s"},"transaction":null,"op":"%s"}\n' \
		"$3" "$VER" "$DB" "$4" "$DB" "$2" "$1"
}

# The tables: g has a stored generated column (12+), l is published with
# a column list and f with a row filter (15+; before, whole).
SEED_PUB= SEED_SLOT= seed_setup "$DB" || { t_fail "seed_setup"; t_done; }
GEN=
[ "$V" -ge 120000 ] && GEN=', b int GENERATED ALWAYS AS (a * 2) STORED'
psql_admin >/dev/null <<SQL
CREATE TABLE g (id int PRIMARY KEY, a int$GEN, c text);
CREATE TABLE l (id int PRIMARY KEY, a int, c text);
CREATE TABLE f (id int PRIMARY KEY, a int, c text);
GRANT SELECT ON g, l, f TO streamkap_role;
GRANT USAGE ON SCHEMA streamkap TO streamkap_role;
INSERT INTO g (id, a, c) VALUES (1, 10, 'x'), (2, 20, 'y');
INSERT INTO l VALUES (1, 10, 'x'), (2, 20, 'y');
INSERT INTO f VALUES (1, 1, 'x'), (2, 9, 'y'), (3, 3, 'z'), (4, 12, 'w');
SQL
LIST=l FILT=f
if [ "$V" -ge 150000 ]; then
	LIST='l (id, a)'
	FILT='f WHERE (a > 5)'
fi
psql_admin -c "CREATE PUBLICATION streamkap_pub FOR TABLE g, $LIST, $FILT, streamkap.streamkap_signal" >/dev/null
if [ "$V" -ge 180000 ]; then
	psql_admin -c "CREATE PUBLICATION gen_pub FOR TABLE g WITH (publish_generated_columns = stored)" >/dev/null
fi

# What the publication sends of each row (id, a, c; b = 2a where sent).
g_row() {   # ID A C [GENERATED]: g's row as streamkap_pub sends it
	if [ "$V" -ge 120000 ] && [ -n "${4:-}" ]; then
		printf '{"id":%s,"a":%s,"b":%s,"c":"%s"}' "$1" "$2" "$(($2 * 2))" "$3"
	else
		printf '{"id":%s,"a":%s,"c":"%s"}' "$1" "$2" "$3"
	fi
}
l_row() {   # ID A C
	if [ "$V" -ge 150000 ]; then printf '{"id":%s,"a":%s}' "$1" "$2"
	else printf '{"id":%s,"a":%s,"c":"%s"}' "$1" "$2" "$3"; fi
}
# f's rows, "id a c" a line; the publication sends those with a > 5 (15+).
F_ROWS='1 1 x
2 9 y
3 3 z
4 12 w'
f_rows() {   # OP SNAPSHOT: f's rows the publication sends, as events
	local id a c
	while read -r id a c; do
		[ "$V" -ge 150000 ] && [ "$a" -le 5 ] && continue
		ev "$1" f "{\"id\":$id,\"a\":$a,\"c\":\"$c\"}" "$2"
	done <<<"$F_ROWS"
}
# marked MARKERS...: set source.snapshot of the events on stdin, in turn
marked() {
	local m
	for m in "$@"; do
		IFS= read -r line || return 0
		jq -c --arg m "$m" '.source.snapshot = $m' <<<"$line"
	done
}

# =========================================================================
# 1. the initial snapshot (a new slot, its exported snapshot, COPY) and
#    the stream after it
# =========================================================================
walcap_conf "$work/i.conf" "database.dbname=$DB" snapshot.mode=initial slot.name=pub_initial
END=$(current_lsn)
walcap_run "$work/i.conf" --endpos "$END" >"$work/init.out" 2>"$work/init.err"
rc=$?
assert_rc "initial snapshot: walcap exits 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/    | /' "$work/init.err" | tail -n 20
# Debezium's markers: first row of the first table, ... last row of the last.
nf=$(f_rows r x | wc -l)
X_INIT=$( {
	f_rows r x | marked first $(for ((i = 2; i < nf; i++)); do echo true; done) last_in_data_collection
	ev r g "$(g_row 1 10 x)" first_in_data_collection
	ev r g "$(g_row 2 20 y)" last_in_data_collection
	ev r l "$(l_row 1 10 x)" first_in_data_collection
	ev r l "$(l_row 2 20 y)" last
} )
assert_eq "initial snapshot: the published columns and rows only" \
	"$(normalize "$work/init.out" | jq -c 'select(.source.table != "streamkap_signal")')" "$X_INIT"
assert_eq "initial snapshot: no warning or error" "$(grep -E 'WARNING|ERROR' "$work/init.err")" ""

# Streamed changes, for comparison: the same shapes.
psql_admin >/dev/null <<'SQL'
INSERT INTO g (id, a, c) VALUES (3, 30, 'z');
INSERT INTO l VALUES (3, 30, 'z');
INSERT INTO f VALUES (5, 2, 'v'), (6, 7, 'u');
SQL
F_ROWS+='
5 2 v
6 7 u'
END=$(current_lsn)
walcap_run "$work/i.conf" --endpos "$END" >"$work/stream.out" 2>"$work/stream.err"
rc=$?
assert_rc "stream: walcap exits 0" "$rc" 0
X_STREAM=$(
	ev c g "$(g_row 3 30 z)" false
	ev c l "$(l_row 3 30 z)" false
	[ "$V" -lt 150000 ] && ev c f '{"id":5,"a":2,"c":"v"}' false
	ev c f '{"id":6,"a":7,"c":"u"}' false
)
assert_eq "stream: the same columns and rows as the snapshot" "$(normalize "$work/stream.out")" "$X_STREAM"

# =========================================================================
# 2. an incremental snapshot (signal), chunks of 2 rows
# =========================================================================
walcap_conf "$work/s.conf" "database.dbname=$DB" incremental.snapshot.chunk.size=2 \
	"offset.storage.file.filename=$work/i.conf.offsets" slot.name=pub_initial
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$work/s.conf" \
	--id snap-1 public.g public.l public.f 2>"$work/snapcli.err")
assert_eq "walcap snapshot: the signal" "$out" \
	'snap-1 execute-snapshot {"data-collections":["public.g","public.l","public.f"],"type":"incremental"}'
walcap_start "$work/inc.out" "$work/inc.err" "$work/s.conf"
inc_done() { grep -qs 'incremental snapshot of "public.f" done' "$work/inc.err"; }
wait_until 30 inc_done
walcap_stop
assert_rc "incremental snapshot: walcap exits 0" "$WALCAP_RC" 0
X_INC=$(
	ev r g "$(g_row 1 10 x)" incremental
	ev r g "$(g_row 2 20 y)" incremental
	ev r g "$(g_row 3 30 z)" incremental
	ev r l "$(l_row 1 10 x)" incremental
	ev r l "$(l_row 2 20 y)" incremental
	ev r l "$(l_row 3 30 z)" incremental
	f_rows r incremental
)
assert_eq "incremental snapshot: the published columns and rows only" \
	"$(normalize "$work/inc.out" | jq -c 'select(.op == "r")')" "$X_INC"
assert_eq "incremental snapshot: no warning or error" "$(grep -E 'WARNING|ERROR' "$work/inc.err")" ""

# =========================================================================
# 3. PostgreSQL 18: publish_generated_columns = stored sends b, and the
#    snapshot reads it
# =========================================================================
if [ "$V" -ge 180000 ]; then
	walcap_conf "$work/gen.conf" "database.dbname=$DB" snapshot.mode=initial \
		slot.name=gen_slot publication.name=gen_pub
	END=$(current_lsn)
	walcap_run "$work/gen.conf" --endpos "$END" >"$work/gen.out" 2>"$work/gen.err"
	psql_admin -c "INSERT INTO g (id, a, c) VALUES (4, 40, 'w')" >/dev/null
	END=$(current_lsn)
	walcap_run "$work/gen.conf" --endpos "$END" >>"$work/gen.out" 2>>"$work/gen.err"
	assert_eq "18, publish_generated_columns: the snapshot and the stream both carry b" \
		"$(normalize "$work/gen.out" | jq -c 'select(.source.table == "g")')" \
		"$(ev r g "$(g_row 1 10 x gen)" first
		   ev r g "$(g_row 2 20 y gen)" true
		   ev r g "$(g_row 3 30 z gen)" last
		   ev c g "$(g_row 4 40 w gen)" false)"
fi

# =========================================================================
# 4. 15+: a column list that leaves out part of the primary key (legal
#    for a publication of inserts only): the key left is not unique, so
#    the table is read whole (blocking) rather than by it in chunks,
#    which would skip rows
# =========================================================================
if [ "$V" -ge 150000 ]; then
	psql_admin >/dev/null <<'SQL'
CREATE TABLE k (a int, b int, c text, PRIMARY KEY (a, b));
GRANT SELECT ON k TO streamkap_role;
INSERT INTO k SELECT 1, g, 'r' || g FROM generate_series(1, 7) g;
CREATE PUBLICATION k_pub FOR TABLE k (a, c), streamkap.streamkap_signal WITH (publish = 'insert');
SELECT pg_create_logical_replication_slot('k_slot', 'pgoutput');
SQL
	walcap_conf "$work/k.conf" "database.dbname=$DB" incremental.snapshot.chunk.size=2 \
		slot.name=k_slot publication.name=k_pub
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$work/k.conf" \
		--id snap-k public.k >/dev/null 2>&1
	walcap_start "$work/k.out" "$work/k.err" "$work/k.conf"
	k_done() { grep -qs 'snapshot of "public.k" done' "$work/k.err"; }
	wait_until 30 k_done
	walcap_stop
	assert_eq "part of the key not published: every row, read whole" \
		"$(normalize "$work/k.out" | jq -c 'select(.op == "r")')" \
		"$(for g in 1 2 3 4 5 6 7; do ev r k "{\"a\":1,\"c\":\"r$g\"}" true; done)"
	assert_eq "part of the key not published: the warning and the hint" \
		"$(grep -E 'WARNING|HINT' "$work/k.err")" \
'walcap: WARNING: publication "k_pub" leaves part of the primary key of "public.k" out of its column list: reading the table whole (blocking) instead of by its key in chunks
walcap: HINT: add the key'"'"'s columns to the publication'"'"'s column list, or name a unique, non-null published column as "surrogate-key"'
fi

t_done

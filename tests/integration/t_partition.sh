#!/usr/bin/env bash
# t_partition.sh — partitioned tables, on any PG_MAJOR.  From PostgreSQL 13
# on a publication with publish_via_partition_root = true makes pgoutput
# send every partition's changes as its partitioned table's (the root's);
# before 13 changes arrive under each partition's name and walcap maps
# them to the root itself.  The events must be the same on every version:
#
#   - a two-level partitioned table whose partitions have their columns in
#     other orders (and dropped columns): the root's name and column order;
#     insert, update, key update, delete; from 11 an update moving a row to
#     another partition (a delete and a create, as pgoutput sends it) and
#     TRUNCATE (of the root: one event; of one partition: none)
#   - REPLICA IDENTITY FULL on the root and its partitions: whole old rows
#   - FOR ALL TABLES and FOR TABLE publications (before 13 FOR TABLE lists
#     the partitions), with the include list naming the root, naming a
#     partition (nothing of it, as on 13+), and no include list
#   - a partition attached while walcap runs
#   - Kafka: the root's topic and key
#   - an incremental snapshot of the root under a concurrent workload (the
#     events reproduce the table), the initial snapshot from an exported
#     snapshot and the incremental one (each root once, never a partition)
#   - walcap check, walcap snapshot and walcap setup: exact verdicts and
#     messages, and fixes the server accepts
#
# Expected events are written from the contract (docs/events.md), not
# captured from walcap.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/snapshot_lib.sh
. "$(dirname "$0")/snapshot_lib.sh"
# shellcheck source=tests/integration/kafka_lib.sh
. "$(dirname "$0")/kafka_lib.sh"

export WALCAP_TIMEOUT=${WALCAP_TIMEOUT:-60}
work=$T_TMP
pg_start || { t_fail "pg_start"; t_done; }
VER=$("$WALCAP" --version | awk '{print $2}')
MAJOR=$((PG_VERSION_NUM / 10000))
OLD=0                 # walcap maps partitions itself
[ "$PG_VERSION_NUM" -lt 130000 ] && OLD=1
MOVES=0               # rows move between partitions, TRUNCATE is published
[ "$PG_VERSION_NUM" -ge 110000 ] && MOVES=1
echo "# PostgreSQL $MAJOR ($PG_VERSION_NUM): walcap maps partitions itself: $OLD"

DB=pdb
SEED_PUB='' SEED_SLOT='' seed_setup "$DB" || { t_fail "seed_setup"; t_done; }
# PostgreSQL 10 has no primary key on a partitioned table: its partitions
# have one each.  From 11 the root's primary key is every partition's.
if [ "$MAJOR" -ge 11 ]; then ROOT_PK=", PRIMARY KEY (id, k)"; LEAF_PK=""
else ROOT_PK=""; LEAF_PK=", PRIMARY KEY (id, k)"; fi
psql_admin >/dev/null <<SQL || { t_fail "schema"; t_done; }
GRANT USAGE ON SCHEMA streamkap TO streamkap_role;
CREATE TABLE part (id int NOT NULL, gone int, k int NOT NULL, v text $ROOT_PK) PARTITION BY RANGE (k);
ALTER TABLE part DROP COLUMN gone;
CREATE TABLE part_a (id int NOT NULL, k int NOT NULL, v text $LEAF_PK);
ALTER TABLE part ATTACH PARTITION part_a FOR VALUES FROM (0) TO (100);
-- the second level: partitioned by id, its columns in another order
CREATE TABLE part_b (v text, k int NOT NULL, id int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE part_b1 (v text, k int NOT NULL, id int NOT NULL $LEAF_PK);
ALTER TABLE part_b ATTACH PARTITION part_b1 FOR VALUES FROM (0) TO (1000);
CREATE TABLE part_b2 (junk int, v text, k int NOT NULL, id int NOT NULL $LEAF_PK);
ALTER TABLE part_b2 DROP COLUMN junk;
ALTER TABLE part_b ATTACH PARTITION part_b2 FOR VALUES FROM (1000) TO (2000);
ALTER TABLE part ATTACH PARTITION part_b FOR VALUES FROM (100) TO (200);
-- REPLICA IDENTITY FULL on the root (what 13+ goes by) and the partitions
-- (what the WAL holds)
CREATE TABLE pfull (id int NOT NULL, w text, k int NOT NULL) PARTITION BY LIST (k);
ALTER TABLE pfull REPLICA IDENTITY FULL;
CREATE TABLE pfull_1 PARTITION OF pfull FOR VALUES IN (1);
CREATE TABLE pfull_2 (k int NOT NULL, w text, id int NOT NULL);
ALTER TABLE pfull ATTACH PARTITION pfull_2 FOR VALUES IN (2);
ALTER TABLE pfull_1 REPLICA IDENTITY FULL;
ALTER TABLE pfull_2 REPLICA IDENTITY FULL;
CREATE TABLE other (id int PRIMARY KEY);
CREATE TABLE fence (id serial PRIMARY KEY);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
SQL
# FOR ALL TABLES, and FOR TABLE as each version allows it
if [ "$OLD" = 1 ]; then
	psql_admin >/dev/null <<'SQL'
CREATE PUBLICATION pub_all FOR ALL TABLES;
CREATE PUBLICATION pub_tab FOR TABLE part_a, part_b1, part_b2, pfull_1, pfull_2, other, fence, streamkap.streamkap_signal;
SQL
	out=$(psql_admin -c "ALTER PUBLICATION pub_tab ADD TABLE part" 2>&1)
	assert_match "PostgreSQL $MAJOR refuses a partitioned table in a publication" "$out" \
		'"part" is a partitioned table'
else
	psql_admin >/dev/null <<'SQL'
CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish_via_partition_root = true);
CREATE PUBLICATION pub_tab FOR TABLE part, pfull, other, fence, streamkap.streamkap_signal WITH (publish_via_partition_root = true);
SQL
fi
for s in s_all s_all_root s_all_leaf s_tab_root s_kafka; do
	psql_admin -c "SELECT pg_create_logical_replication_slot('$s', 'pgoutput')" >/dev/null
done

# ev OP TABLE BEFORE AFTER: the normalized event of a streamed change
ev() {
	printf '{"before":%s,"after":%s,"source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"false","db":"%s","schema":"public","table":"%s"},"transaction":null,"op":"%s"}\n' \
		"$3" "$4" "$VER" "$DB" "$DB" "$2" "$1"
}
# rd TABLE AFTER MARKER: a snapshot row
rd() {
	printf '{"before":null,"after":%s,"source":{"version":"%s","connector":"postgresql","name":"%s","snapshot":"%s","db":"%s","schema":"public","table":"%s"},"transaction":null,"op":"r"}\n' \
		"$2" "$VER" "$DB" "$3" "$DB" "$1"
}
# run NAME SLOT [key=value...]: walcap up to $END, events in NAME.out
run() {
	local name=$1 slot=$2 rc
	shift 2
	walcap_conf "$work/$name.conf" "slot.name=$slot" "$@"
	walcap_run "$work/$name.conf" --endpos "$END" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	assert_rc "$name: walcap exits 0" "$rc" 0
	[ "$rc" = 0 ] || tail -n 20 "$work/$name.err" | sed 's/^/    | /'
}

# =========================================================================
# 1. streamed changes
# =========================================================================
psql_admin >/dev/null <<'SQL'
INSERT INTO part VALUES (1, 5, 'a'), (2, 150, 'b'), (1500, 150, 'c');
UPDATE part SET v = 'a2' WHERE id = 1;
UPDATE part SET id = 4 WHERE id = 1;
UPDATE part SET v = 'c2' WHERE id = 1500;
DELETE FROM part WHERE id = 1500;
INSERT INTO other VALUES (1);
INSERT INTO pfull VALUES (1, 'x', 1), (2, 'y', 2);
UPDATE pfull SET w = 'y2' WHERE id = 2;
DELETE FROM pfull WHERE id = 2;
SQL
X_PART=$(
	ev c part null '{"id":1,"k":5,"v":"a"}'
	ev c part null '{"id":2,"k":150,"v":"b"}'
	ev c part null '{"id":1500,"k":150,"v":"c"}'
	ev u part null '{"id":1,"k":5,"v":"a2"}'
	ev u part '{"id":1,"k":5}' '{"id":4,"k":5,"v":"a2"}'
	ev u part null '{"id":1500,"k":150,"v":"c2"}'
	ev d part '{"id":1500,"k":150}' null
)
X_OTHER=$(ev c other null '{"id":1}')
X_FULL=$(
	ev c pfull null '{"id":1,"w":"x","k":1}'
	ev c pfull null '{"id":2,"w":"y","k":2}'
	ev u pfull '{"id":2,"w":"y","k":2}' '{"id":2,"w":"y2","k":2}'
	ev d pfull '{"id":2,"w":"y2","k":2}' null
)
X_MOVE=
if [ "$MOVES" = 1 ]; then
	# a row moving to another partition is deleted from one and inserted
	# into the other; TRUNCATE of one partition is not the root's
	psql_admin >/dev/null <<'SQL'
UPDATE part SET k = 160 WHERE id = 4;
UPDATE part SET id = 1200 WHERE id = 2;
TRUNCATE part_a;
TRUNCATE part;
SQL
	X_MOVE=$(
		ev d part '{"id":4,"k":5}' null
		ev c part null '{"id":4,"k":160,"v":"a2"}'
		ev d part '{"id":2,"k":150}' null
		ev c part null '{"id":1200,"k":150,"v":"b"}'
		ev t part null null
	)
fi
END=$(current_lsn)
X_ROOT=$(printf '%s\n' "$X_PART" ${X_MOVE:+"$X_MOVE"})

run all s_all publication.name=pub_all
assert_eq "FOR ALL TABLES, no include list: every partition's changes as the root's, in its column order" \
	"$(normalize "$work/all.out")" "$(printf '%s\n' "$X_PART" "$X_OTHER" "$X_FULL" ${X_MOVE:+"$X_MOVE"})"
if [ "$OLD" = 1 ] && [ "$MOVES" = 1 ]; then
	assert_eq "TRUNCATE of one partition: a warning, no event" \
		"$(grep -c 'WARNING: a TRUNCATE of some partitions of "public"."part" produces no event, as PostgreSQL 13 and later send none with publish_via_partition_root: consumers keep those partitions'"'"' rows' "$work/all.err")" 1
fi
run all_root s_all_root publication.name=pub_all 'table.include.list=public\.part'
assert_eq "FOR ALL TABLES, include list naming the root" "$(normalize "$work/all_root.out")" "$X_ROOT"
run all_leaf s_all_leaf publication.name=pub_all 'table.include.list=public\.(part_a|other)'
assert_eq "FOR ALL TABLES, include list naming a partition: nothing of it (its changes are the root's)" \
	"$(normalize "$work/all_leaf.out")" "$X_OTHER"
run tab_root s_tab_root publication.name=pub_tab 'table.include.list=public\.part'
assert_eq "FOR TABLE, include list naming the root" "$(normalize "$work/tab_root.out")" "$X_ROOT"

# ---- Kafka: the root's topic, keyed by the key its partitions share
mock_start || { t_fail "mock cluster"; t_done; }
mock_cmd topic k.public.part 1
run kafka s_kafka publication.name=pub_all 'table.include.list=public\.part' sink.type=kafka \
	"kafka.bootstrap.servers=$MOCK_BOOT" topic.prefix=k
K_MOVE=
[ "$MOVES" = 1 ] && K_MOVE='{"id":4,"k":5}	["d",{"id":4,"k":5},null]
{"id":4,"k":5}	NULL
{"id":4,"k":160}	["c",null,{"id":4,"k":160,"v":"a2"}]
{"id":2,"k":150}	["d",{"id":2,"k":150},null]
{"id":2,"k":150}	NULL
{"id":1200,"k":150}	["c",null,{"id":1200,"k":150,"v":"b"}]
NULL	["t",null,null]'
assert_eq "Kafka: topic k.public.part, keys in the root's column order, a key change as delete + tombstone + create" \
	"$(topic_read k.public.part | while IFS=$'\t' read -r p key val; do
		if [ "$val" = NULL ]; then printf '%s\tNULL\n' "$key"
		else printf '%s\t%s\n' "$key" "$(jq -c '[.op, .before, .after]' <<<"$val")"; fi
	done)" "$(printf '%s\n' '{"id":1,"k":5}	["c",null,{"id":1,"k":5,"v":"a"}]
{"id":2,"k":150}	["c",null,{"id":2,"k":150,"v":"b"}]
{"id":1500,"k":150}	["c",null,{"id":1500,"k":150,"v":"c"}]
{"id":1,"k":5}	["u",null,{"id":1,"k":5,"v":"a2"}]
{"id":1,"k":5}	["d",{"id":1,"k":5},null]
{"id":1,"k":5}	NULL
{"id":4,"k":5}	["c",null,{"id":4,"k":5,"v":"a2"}]
{"id":1500,"k":150}	["u",null,{"id":1500,"k":150,"v":"c2"}]
{"id":1500,"k":150}	["d",{"id":1500,"k":150},null]
{"id":1500,"k":150}	NULL' ${K_MOVE:+"$K_MOVE"})"

# =========================================================================
# 2. a partition attached while walcap runs
# =========================================================================
for s in s_attach_all s_attach_tab; do
	psql_admin -c "SELECT pg_create_logical_replication_slot('$s', 'pgoutput')" >/dev/null
done
walcap_conf "$work/att_all.conf" slot.name=s_attach_all publication.name=pub_all \
	'table.include.list=public\.(part|part_c|fence)' snapshot.new.tables=false
walcap_conf "$work/att_tab.conf" slot.name=s_attach_tab publication.name=pub_tab \
	'table.include.list=public\.(part|fence)' snapshot.new.tables=true
walcap_start "$work/att_all.out" "$work/att_all.err" "$work/att_all.conf"
pid_all=$WALCAP_PID
walcap_start "$work/att_tab.out" "$work/att_tab.err" "$work/att_tab.conf"
pid_tab=$WALCAP_PID
wait_until 30 grep -qs "streaming from slot" "$work/att_all.err"
wait_until 30 grep -qs "streaming from slot" "$work/att_tab.err"
# a table of its own first (columns in yet another order), then a partition
psql_admin >/dev/null <<SQL
CREATE TABLE part_c (v text, id int NOT NULL, k int NOT NULL $LEAF_PK);
GRANT SELECT ON part_c TO streamkap_role;
INSERT INTO part_c VALUES ('x', 1, 250);
SQL
fence "$work/att_all.out"
psql_admin -c "ALTER TABLE part ATTACH PARTITION part_c FOR VALUES FROM (200) TO (300)" >/dev/null
# before 13 a FOR TABLE publication lists partitions: the new one too
[ "$OLD" = 1 ] && psql_admin -c "ALTER PUBLICATION pub_tab ADD TABLE part_c" >/dev/null
if [ "$MAJOR" = 13 ] || [ "$MAJOR" = 14 ]; then
	# pgoutput of 13 and 14 keeps what it worked out for a table before it
	# was attached until the walsender restarts (fixed in 15).  FOR ALL
	# TABLES: it goes on sending the table's changes under its own name,
	# and walcap maps them to the root as before 13 (no restart here).
	# FOR TABLE: it sends nothing of them, which walcap cannot see: the
	# documented workaround is to restart walcap after attaching a table
	# written to since it started
	fence "$work/att_tab.out"
	WALCAP_PID=$pid_tab walcap_stop
	walcap_start "$work/att_tab.out" "$work/att_tab.err" "$work/att_tab.conf"
	pid_tab=$WALCAP_PID
fi
psql_admin >/dev/null <<'SQL'
INSERT INTO part VALUES (2, 260, 'y');
UPDATE part SET v = 'x2' WHERE id = 1 AND k = 250;
SQL
fence "$work/att_all.out"
fence "$work/att_tab.out"
# the new-tables poll runs every 5 s: give it time to look
sleep 6
fence "$work/att_tab.out"
WALCAP_PID=$pid_all walcap_stop
assert_rc "attach: walcap (FOR ALL TABLES) exits 0" "$WALCAP_RC" 0
WALCAP_PID=$pid_tab walcap_stop
assert_rc "attach: walcap (FOR TABLE) exits 0" "$WALCAP_RC" 0
X_ATTACHED=$(
	ev c part null '{"id":2,"k":260,"v":"y"}'
	ev u part null '{"id":1,"k":250,"v":"x2"}'
)
assert_eq "attach, FOR ALL TABLES: the table's own changes under its name, then the root's" \
	"$(normalize "$work/att_all.out" | jq -c 'select(.source.table != "fence")')" \
	"$(printf '%s\n' "$(ev c part_c null '{"v":"x","id":1,"k":250}')" "$X_ATTACHED")"
assert_eq "attach, FOR TABLE: the root's changes from the new partition" \
	"$(normalize "$work/att_tab.out" | jq -c 'select(.source.table != "fence")')" "$X_ATTACHED"
assert_eq "attach, FOR TABLE: the new partition is not a new table to snapshot" \
	"$(grep -c 'was added to publication' "$work/att_tab.err")" 0

# =========================================================================
# 3. snapshots
# =========================================================================
# ---- an incremental snapshot of a root under a concurrent workload.  The
# partitions' columns are in other orders; PostgreSQL 10 has no primary
# key on the root: walcap chunks by the partitions' (on id, the partition
# key, so unique in the whole table).
if [ "$MAJOR" -ge 11 ]; then BIG_PK=", PRIMARY KEY (id)"; BIG_LPK=""; else BIG_PK=""; BIG_LPK=", PRIMARY KEY (id)"; fi
psql_admin >/dev/null <<SQL
CREATE TABLE big (id int NOT NULL, v text, n int NOT NULL DEFAULT 0 $BIG_PK) PARTITION BY RANGE (id);
CREATE TABLE big_1 (id int NOT NULL, v text, n int NOT NULL DEFAULT 0 $BIG_LPK);
ALTER TABLE big ATTACH PARTITION big_1 FOR VALUES FROM (0) TO (10000);
CREATE TABLE big_2 (n int NOT NULL DEFAULT 0, v text, id int NOT NULL $BIG_LPK);
ALTER TABLE big ATTACH PARTITION big_2 FOR VALUES FROM (10000) TO (1000000);
CREATE TABLE big_3 (dropped text, v text, id int NOT NULL, n int NOT NULL DEFAULT 0 $BIG_LPK);
ALTER TABLE big_3 DROP COLUMN dropped;
ALTER TABLE big ATTACH PARTITION big_3 FOR VALUES FROM (1000000) TO (MAXVALUE);
CREATE SEQUENCE big_new START 1000000;
INSERT INTO big SELECT g, 'row ' || g, 0 FROM generate_series(1, 30000) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamkap_role;
SELECT pg_create_logical_replication_slot('s_big', 'pgoutput');
SQL
cat >"$work/big.sql" <<'SQL'
\set k random(1, 30000)
\set d random(1, 30000)
UPDATE big SET n = n + 1, v = 'upd ' || :k WHERE id = :k;
INSERT INTO big VALUES (nextval('big_new'), 'ins', 0);
DELETE FROM big WHERE id = :d;
SQL
walcap_conf "$work/big.conf" slot.name=s_big publication.name=pub_all incremental.snapshot.chunk.size=500 \
	'table.include.list=public\.(big|fence)'
walcap_start "$work/big.out" "$work/big.err" "$work/big.conf"
wait_until 30 grep -qs "streaming from slot" "$work/big.err"
"$PGBIN/pgbench" -n -h "$PG_SOCK" -p "$PG_PORT" -U postgres -c 2 -j 2 -R 300 -T 60 \
	-f "$work/big.sql" "$PG_DB" >"$work/pgbench.log" 2>&1 &
WORKLOAD_PID=$!
_LIB_PIDS+=("$WORKLOAD_PID")
sleep 1
signal snap-big execute-snapshot '{"data-collections": ["public.big"]}'
wait_until 120 grep -q 'incremental snapshot of "public.big" done' "$work/big.err"
workload_stop
fence "$work/big.out"
walcap_stop
assert_rc "incremental snapshot of the root: walcap exits 0" "$WALCAP_RC" 0
assert_match "incremental snapshot of the root: done" "$(cat "$work/big.err")" \
	'incremental snapshot of "public.big" done: [0-9]+ rows'
assert_eq "incremental snapshot of the root: every event names the root, columns in its order" \
	"$(jq -c 'select(.source.table != "fence") | [.source.table, .op, ((.after // .before) | keys_unsorted)]' "$work/big.out" | sort -u)" \
	'["big","c",["id","v","n"]]
["big","d",["id"]]
["big","r",["id","v","n"]]
["big","u",["id","v","n"]]'
assert_match "incremental snapshot: the workload changed rows during it (c u d)" \
	"$(jq -r 'select(.source.table == "big" and .op != "r") | .op' "$work/big.out" | sort | uniq -c | awk '$1 >= 100 {printf "%s", $2}')" '^cdu$'
# Apply the events in order to a plain copy: r and c upsert, u and d remove
# the old key first; then the copy must equal the table.
psql_admin >/dev/null <<SQL
CREATE SCHEMA replay;
CREATE TABLE replay.big (id int PRIMARY KEY, v text, n int);
CREATE TABLE replay.ev (n bigserial, e jsonb);
\\copy replay.ev (e) FROM '$work/big.out' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
DO \$\$
DECLARE r record;
BEGIN
  FOR r IN SELECT e FROM replay.ev WHERE e->'source'->>'table' = 'big' ORDER BY n LOOP
    IF r.e->>'op' IN ('u', 'd') THEN
      DELETE FROM replay.big WHERE id = (coalesce(r.e->'before', r.e->'after')->>'id')::int;
    END IF;
    IF r.e->>'op' IN ('r', 'c', 'u') THEN
      DELETE FROM replay.big WHERE id = (r.e->'after'->>'id')::int;
      INSERT INTO replay.big SELECT * FROM jsonb_populate_record(NULL::replay.big, r.e->'after');
    END IF;
  END LOOP;
END \$\$;
SQL
got=$(psql_admin -c "SELECT (SELECT count(*) FROM (SELECT id, v, n FROM public.big EXCEPT SELECT * FROM replay.big) a) || ' missing, ' ||
	(SELECT count(*) FROM (SELECT * FROM replay.big EXCEPT SELECT id, v, n FROM public.big) b) || ' extra, ' ||
	((SELECT count(*) FROM public.big) = (SELECT count(*) FROM replay.big))")
assert_eq "incremental snapshot of the root: the events reproduce the table" "$got" "0 missing, 0 extra, true"
if [ "$got" != "0 missing, 0 extra, true" ]; then
	psql_admin -c "SELECT 'missing', * FROM (SELECT id, v, n FROM public.big EXCEPT SELECT * FROM replay.big) a ORDER BY id LIMIT 5" >&2
	psql_admin -c "SELECT 'extra', * FROM (SELECT * FROM replay.big EXCEPT SELECT id, v, n FROM public.big) b ORDER BY id LIMIT 5" >&2
	for id in $(psql_admin -c "SELECT id FROM (SELECT id, v, n FROM public.big EXCEPT SELECT * FROM replay.big UNION SELECT id, v, n FROM (SELECT * FROM replay.big EXCEPT SELECT id, v, n FROM public.big) b) x ORDER BY id LIMIT 3"); do
		jq -c --argjson id "$id" 'select(.source.table == "big" and ((.after.id // .before.id) == $id)) | [.op, .source.snapshot, .before, .after]' "$work/big.out" >&2
	done
fi

# ---- the initial snapshot: from the slot's exported snapshot (walcap
# creates the slot), and incremental (the slot exists); the publication
# lists partitions before 13: each root is read once, as itself
psql_admin >/dev/null <<'SQL'
CREATE TABLE solo (id int PRIMARY KEY, s text);
INSERT INTO solo VALUES (7, 's');
GRANT SELECT ON solo TO streamkap_role;
ALTER PUBLICATION pub_tab ADD TABLE solo;
SQL
# the rows now, sorted by id: part (from 11 after the moves and TRUNCATE)
if [ "$MOVES" = 1 ]; then
	ROWS='{"id":1,"k":250,"v":"x2"}
{"id":2,"k":260,"v":"y"}'
else
	ROWS='{"id":1,"k":250,"v":"x2"}
{"id":2,"k":150,"v":"b"}
{"id":2,"k":260,"v":"y"}
{"id":4,"k":5,"v":"a2"}'
fi
part_rows() {   # MARKER FILE: the part rows in FILE, sorted by id, k
	jq -c 'select(.source.table == "part")' "$2" | normalize | jq -sc 'sort_by(.after.id, .after.k) | .[]'
}
expect_rows() {   # MARKER
	while IFS= read -r a; do rd part "$a" "$1"; done <<<"$ROWS"
}
walcap_conf "$work/init.conf" slot.name=s_init publication.name=pub_tab snapshot.mode=initial_only \
	'table.include.list=public\.(part|solo)'
walcap_run "$work/init.conf" >"$work/init.out" 2>"$work/init.err"
assert_rc "exported initial snapshot: walcap exits 0" "$?" 0
assert_match "exported initial snapshot: walcap created the slot" "$(cat "$work/init.err")" \
	'INFO: created replication slot "s_init" at '
n=$(grep -c . <<<"$ROWS")
assert_eq "exported initial snapshot: the root's rows once, in its column order" \
	"$(jq -c 'select(.source.table == "part")' "$work/init.out" | normalize | jq -c '.source.snapshot = "-"' | jq -sc 'sort_by(.after.id, .after.k) | .[]')" \
	"$(expect_rows -)"
assert_eq "exported initial snapshot: tables in name order, Debezium's markers" \
	"$(jq -r '.source.table + " " + .source.snapshot' "$work/init.out" | uniq -c | awk '{print $1, $2, $3}')" \
	"$(printf '1 part first\n%s' "$([ "$n" -gt 2 ] && printf '%d part true\n' $((n - 2)))")
1 part last_in_data_collection
1 solo last"
psql_admin -c "SELECT pg_create_logical_replication_slot('s_init2', 'pgoutput')" >/dev/null
walcap_conf "$work/init2.conf" slot.name=s_init2 publication.name=pub_tab snapshot.mode=initial_only \
	'table.include.list=public\.(part|solo)'
walcap_run "$work/init2.conf" >"$work/init2.out" 2>"$work/init2.err"
assert_rc "incremental initial snapshot: walcap exits 0" "$?" 0
assert_eq "incremental initial snapshot: the root's rows once" \
	"$(part_rows incremental "$work/init2.out")" "$(expect_rows incremental)"
assert_eq "incremental initial snapshot: the tables it read" \
	"$(grep -o 'incremental snapshot of "[^"]*" done' "$work/init2.err")" \
	'incremental snapshot of "public.part" done
incremental snapshot of "public.solo" done'

# =========================================================================
# 4. walcap check, walcap snapshot, walcap setup
# =========================================================================
check() {   # CONF
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" check -c "$1" </dev/null 2>&1
}
block() {   # NAME <report: its line and its why/fix lines
	awk -v n="$1:" '/^      / { if (on) print; next }
		{ on = ($1 ~ /^(PASS|WARN|FAIL|SKIP)$/ && $2 == n); if (on) print }'
}
fix_sql() {   # NAME <report
	block "$1" | sed -n -e 's/^      fix: //p' -e 's/^           //p'
}
snap() {   # CONF TABLE: walcap snapshot's standard output, standard error, exit status
	local rc
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" snapshot -c "$1" --id "snap-$2" "$2" \
		</dev/null >"$work/snap.out" 2>"$work/snap.err"
	rc=$?
	cat "$work/snap.out" "$work/snap.err"
	echo "exit $rc"
}
# a publication that misses partitions (before 13) or the root (13+),
# and a partitioned table whose partition has no replica identity
psql_admin >/dev/null <<'SQL'
CREATE TABLE nokey (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE nokey_1 PARTITION OF nokey FOR VALUES FROM (0) TO (10);
GRANT SELECT ON nokey, nokey_1 TO streamkap_role;
SELECT pg_create_logical_replication_slot('s_check', 'pgoutput');
SQL
if [ "$OLD" = 1 ]; then
	psql_admin -c "CREATE PUBLICATION pub_miss FOR TABLE part_a, nokey_1, streamkap.streamkap_signal" >/dev/null
else
	psql_admin -c "CREATE PUBLICATION pub_miss FOR TABLE part_a, nokey, streamkap.streamkap_signal WITH (publish_via_partition_root = true)" >/dev/null
fi
walcap_conf "$work/chk.conf" slot.name=s_check publication.name=pub_miss 'table.include.list=public\.(part|nokey)'
out=$(check "$work/chk.conf")
if [ "$OLD" = 1 ]; then
	assert_eq "check: partitions missing from a FOR TABLE publication, and the fix" "$(block publication_tables <<<"$out")" \
'FAIL  publication_tables: not in publication pub_miss: public.part (partitions public.part_b1, public.part_b2, public.part_c)
      why: changes of a table outside the publication are never streamed (after adding it, snapshot it: its earlier changes are not in the stream)
      fix: ALTER PUBLICATION "pub_miss" ADD TABLE "public"."part_b1", "public"."part_b2", "public"."part_c";'
	assert_eq "check: walcap maps the partitions" "$(block partition_root <<<"$out")" \
		"PASS  partition_root: PostgreSQL $MAJOR publishes each partition's changes under its own name; walcap gives them the name of their partitioned table: public.nokey, public.part"
	assert_eq "check: a partition without a replica identity, and the fix" "$(block replica_identity <<<"$out")" \
'FAIL  replica_identity: no primary key or replica identity: public.nokey (partitions public.nokey_1)
      why: once a table is published, UPDATE and DELETE on it fail without a primary key or replica identity
      fix: ALTER TABLE "public"."nokey_1" ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE "public"."nokey_1" REPLICA IDENTITY FULL;'
	assert_eq "snapshot: the partitions missing from the publication" "$(snap "$work/chk.conf" public.part)" \
'walcap: ERROR: partitions of table "public.part" are not in publication "pub_miss": public.part_b1, public.part_b2, public.part_c; walcap receives none of their changes
walcap: HINT: as the tables'"'"' owner: ALTER PUBLICATION "pub_miss" ADD TABLE "public"."part_b1", "public"."part_b2", "public"."part_c"; (PostgreSQL '"$MAJOR"' publishes partitions, not partitioned tables)
exit 2'
	# the fixes, run as printed (the key fix's second form)
	fix_sql publication_tables <<<"$out" | psql_admin >/dev/null
	assert_rc "check: the server accepts the publication fix" "$?" 0
	fix_sql replica_identity <<<"$out" | sed 's/.*-- or: //' | psql_admin >/dev/null
	assert_rc "check: the server accepts the replica identity fix" "$?" 0
else
	assert_eq "check: the root missing from a publication with publish_via_partition_root, and the fix" \
		"$(block publication_tables <<<"$out")" \
'FAIL  publication_tables: not in publication pub_miss: public.part
      why: changes of a table outside the publication are never streamed (after adding it, snapshot it: its earlier changes are not in the stream)
      fix: ALTER PUBLICATION "pub_miss" ADD TABLE "public"."part";'
	assert_eq "check: no partition_root line with publish_via_partition_root = true" "$(block partition_root <<<"$out")" ''
	assert_eq "snapshot: the root is not in the publication" "$(snap "$work/chk.conf" public.part)" \
'walcap: ERROR: table "public.part" is not in publication "pub_miss": walcap receives none of its changes
walcap: HINT: as the table'"'"'s owner: ALTER PUBLICATION "pub_miss" ADD TABLE "public"."part"; (walcap then snapshots it by itself with snapshot.new.tables=true)
exit 2'
	fix_sql publication_tables <<<"$out" | psql_admin >/dev/null
	assert_rc "check: the server accepts the publication fix" "$?" 0
	psql_admin -c "ALTER TABLE nokey ADD PRIMARY KEY (id, k)" >/dev/null
fi
out=$(check "$work/chk.conf")
assert_eq "check after the fixes: the captured tables pass" \
	"$(printf '%s\n' "$out" | block publication_tables; printf '%s\n' "$out" | block replica_identity)" \
'PASS  publication_tables: publication pub_miss covers every captured table
PASS  replica_identity: every captured table has a primary key or replica identity'
assert_eq "snapshot of the root: accepted" "$(snap "$work/chk.conf" public.part)" \
'snap-public.part execute-snapshot {"data-collections":["public.part"],"type":"incremental"}
walcap: INFO: slot "s_check" is not being read now: walcap run acts on the signal when it next reads the slot
exit 0'
assert_eq "snapshot of a partition: refused, the root named" "$(snap "$work/chk.conf" public.part_b1)" \
'walcap: ERROR: table "public.part_b1" is a partition of "public.part": walcap captures its changes as those of "public.part"
walcap: HINT: snapshot "public.part": that reads every partition
exit 2'
if [ "$MAJOR" -ge 13 ]; then
	# 13+ without publish_via_partition_root: changes come as the
	# partitions'; the fix is the option, not ADD TABLE (which the server
	# refuses for a table already in the publication)
	psql_admin -c "ALTER PUBLICATION pub_miss SET (publish_via_partition_root = false)" >/dev/null
	assert_eq "13+, publish_via_partition_root = false: snapshot names the option" "$(snap "$work/chk.conf" public.part)" \
'walcap: ERROR: publication "pub_miss" has publish_via_partition_root = false: the changes of "public.part" arrive under its partitions'"'"' names
walcap: HINT: as the publication'"'"'s owner: ALTER PUBLICATION "pub_miss" SET (publish_via_partition_root = true);
exit 2'
	out=$(check "$work/chk.conf")
	assert_eq "13+, publish_via_partition_root = false: check FAILs it" "$(block partition_root <<<"$out")" \
'FAIL  partition_root: publication pub_miss has publish_via_partition_root = false and captures partitioned public.nokey, public.part
      why: without it changes arrive under each partition'"'"'s name, which the include lists may not match
      fix: ALTER PUBLICATION "pub_miss" SET (publish_via_partition_root = true);'
	assert_eq "13+, publish_via_partition_root = false: the tables count as published" \
		"$(block publication_tables <<<"$out")" 'PASS  publication_tables: publication pub_miss covers every captured table'
fi

# ---- walcap setup: FOR TABLE with what the server accepts
walcap_conf "$work/setup.conf" publication.name=pub_setup 'table.include.list=public\.part'
sql=$(timeout 60 "$WALCAP" setup -c "$work/setup.conf" \
	--admin-dsn "host=$PG_SOCK port=$PG_PORT user=postgres dbname=$DB" 2>&1 | grep '^CREATE PUBLICATION')
if [ "$OLD" = 1 ]; then
	assert_eq "setup: FOR TABLE lists the partitions" "$sql" \
		'CREATE PUBLICATION "pub_setup" FOR TABLE "public"."part_a", "public"."part_b1", "public"."part_b2", "public"."part_c", "streamkap"."streamkap_signal";'
else
	assert_eq "setup: FOR TABLE the root, publish_via_partition_root" "$sql" \
		'CREATE PUBLICATION "pub_setup" FOR TABLE "public"."part", "streamkap"."streamkap_signal" WITH (publish_via_partition_root = true);'
fi
psql_admin -c "$sql" >/dev/null
assert_rc "setup: the server accepts the publication" "$?" 0

# =========================================================================
# 6. the partitioned table's columns changed after its changes were made
#    (walcap behind): every change keeps the columns it was made with,
#    as 13+ converts it to the root's row type of its time
# =========================================================================
psql_admin -c "SELECT pg_create_logical_replication_slot('s_ddl', 'pgoutput')" >/dev/null
psql_admin >/dev/null <<'SQL'
INSERT INTO part VALUES (10, 6, 'd1');
ALTER TABLE part ADD COLUMN extra int;
INSERT INTO part VALUES (11, 7, 'd2', 5);
ALTER TABLE part DROP COLUMN extra;
INSERT INTO part VALUES (12, 8, 'd3');
SQL
END=$(current_lsn)
run ddl s_ddl publication.name=pub_all 'table.include.list=public\.part'
assert_eq "columns added and dropped since: each change with its own columns" "$(normalize "$work/ddl.out")" \
	"$(ev c part null '{"id":10,"k":6,"v":"d1"}'
	   ev c part null '{"id":11,"k":7,"v":"d2","extra":5}'
	   ev c part null '{"id":12,"k":8,"v":"d3"}')"

# =========================================================================
# 7. 13+: a partition published without its root (or any ancestor) is a
#    table of its own for pgoutput, publish_via_partition_root or not:
#    its events, its snapshot and its name in the include lists are its
#    own (before 13 walcap maps every partition, so this case is not one)
# =========================================================================
if [ "$OLD" = 0 ]; then
	psql_admin >/dev/null <<'SQL'
CREATE PUBLICATION pub_leaf FOR TABLE part_a, fence, streamkap.streamkap_signal WITH (publish_via_partition_root = true);
SELECT pg_create_logical_replication_slot('s_leaf', 'pgoutput');
INSERT INTO part VALUES (20, 9, 'e1');
SQL
	END=$(current_lsn)
	run leafpub s_leaf publication.name=pub_leaf 'table.include.list=public\.part_a'
	assert_eq "a partition published alone: its changes under its own name" "$(normalize "$work/leafpub.out")" \
		"$(ev c part_a null '{"id":20,"k":9,"v":"e1"}')"
	walcap_conf "$work/leafsnap.conf" slot.name=s_leaf publication.name=pub_leaf 'table.include.list=public\.part_a'
	out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" snapshot -c "$work/leafsnap.conf" \
		--id leaf-1 public.part_a 2>&1)
	assert_eq "a partition published alone: walcap snapshot takes it" "$out" \
'walcap: INFO: slot "s_leaf" is not being read now: walcap run acts on the signal when it next reads the slot
leaf-1 execute-snapshot {"data-collections":["public.part_a"],"type":"incremental"}'
fi

t_done

# tests/integration/snapshot_lib.sh — sourced after lib.sh by the snapshot
# tests: a concurrent writer, and the check that a stream of events,
# applied in order, reproduces a table.

# A table "public.<name>" (id int PRIMARY KEY, v text, n int) with ROWS rows.
make_table() {   # NAME ROWS
    psql_admin >/dev/null <<SQL
CREATE TABLE public.$1 (id int PRIMARY KEY, v text, n int NOT NULL DEFAULT 0);
INSERT INTO public.$1 SELECT g, 'row ' || g, 0 FROM generate_series(1, $2) g;
GRANT SELECT ON public.$1 TO streamkap_role;
SQL
}

# pgbench, 2 clients at RATE (default 400) transactions/s in all (4 changes each), for SECS seconds on public.NAME with ids 1..ROWS:
# updates of a column, updates OF THE PRIMARY KEY, inserts, deletes.
# Every statement is its own transaction and none can fail: a key moves
# to key + 2,000,000, which only that key can move to.
workload_start() {   # NAME ROWS SECS [RATE]
    local t=$1 rows=$2 secs=$3 rate=${4:-400}
    cat >"$T_TMP/workload.sql" <<SQL
\\set k random(1, $rows)
\\set j random(1, $rows)
\\set i random(1, $rows)
\\set d random(1, $rows)
UPDATE public.$t SET n = n + 1, v = 'upd ' || :k WHERE id = :k;
UPDATE public.$t SET id = id + 2000000 WHERE id = :j AND NOT EXISTS (SELECT 1 FROM public.$t WHERE id = :j + 2000000);
INSERT INTO public.$t VALUES (:i + 1000000, 'ins ' || :i, 0) ON CONFLICT DO NOTHING;
DELETE FROM public.$t WHERE id = :d + 500;
SQL
    "$PGBIN/pgbench" -n -h "$PG_SOCK" -p "$PG_PORT" -U postgres -c 2 -j 2 -R "$rate" -T "$secs" \
        -f "$T_TMP/workload.sql" "$PG_DB" >"$T_TMP/workload.log" 2>&1 &
    WORKLOAD_PID=$!
    _LIB_PIDS+=("$WORKLOAD_PID")
}

# Stop pgbench, and wait until none of its sessions is left: a statement
# the server was running when pgbench went away still commits, and a
# fence written before it would not be the last change.
workload_stop() {
    [ -n "${WORKLOAD_PID:-}" ] || return 0
    kill "$WORKLOAD_PID" 2>/dev/null
    wait "$WORKLOAD_PID" 2>/dev/null
    WORKLOAD_PID=
    wait_until 30 _workload_gone
}
_workload_gone() {
    [ "$(psql_admin -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" = 0 ]
}

# Whether the slot has confirmed everything up to LSN.
slot_caught_up() {   # LSN [SLOT]
    [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= '$1' FROM pg_replication_slots WHERE slot_name = '${2:-$SEED_SLOT}'")" = t ]
}

# Commit a row into public.fence (which the test captures) and wait until
# its event is in EVENTS: everything committed before it has arrived too.
fence() {   # EVENTS
    local id
    id=$(psql_admin -c "INSERT INTO public.fence DEFAULT VALUES RETURNING id")
    _fenced() { tail -n 5 "$1" | jq -e --argjson id "$2" 'select(.source.table == "fence" and .after.id == $id)' >/dev/null 2>&1; }
    wait_until 30 _fenced "$1" "$id"
}

# Apply the events of public.NAME in EVENTS (in schema replay, which the
# tests leave out of walcap's include list), in order, to a copy of the
# table — r and c upsert, u removes the before key (or the after key)
# and upserts, d removes, t empties — then assert the copy equals the
# table: same row count and no row in either that the other lacks.
assert_reproduces() {   # TEST-NAME EVENTS NAME
    local name=$1 events=$2 t=$3 diff
    psql_admin >/dev/null <<SQL
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS replay;
SET search_path = replay;
DROP TABLE IF EXISTS replay_ev, replay_$t;
CREATE TABLE replay_ev (n bigserial, e jsonb);
CREATE TABLE replay_$t (LIKE public.$t INCLUDING ALL);
\\copy replay_ev (e) FROM '$events' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
DO \$\$
DECLARE r record;
BEGIN
  FOR r IN SELECT e FROM replay_ev WHERE e->'source'->>'table' = '$t' ORDER BY n LOOP
    IF r.e->>'op' = 't' THEN
      DELETE FROM replay_$t;
      CONTINUE;
    END IF;
    IF r.e->>'op' IN ('u', 'd') THEN
      DELETE FROM replay_$t WHERE id = (coalesce(r.e->'before', r.e->'after')->>'id')::int;
    END IF;
    IF r.e->>'op' IN ('r', 'c', 'u') THEN
      INSERT INTO replay_$t SELECT * FROM jsonb_populate_record(NULL::replay_$t, r.e->'after')
        ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = EXCLUDED.n;
    END IF;
  END LOOP;
END \$\$;
SQL
    diff=$(PGOPTIONS="-c search_path=replay,public" psql_admin -c "SELECT (SELECT count(*) FROM public.$t) || ' rows, ' ||
        (SELECT count(*) FROM (SELECT * FROM public.$t EXCEPT SELECT * FROM replay_$t) a) || ' missing, ' ||
        (SELECT count(*) FROM (SELECT * FROM replay_$t EXCEPT SELECT * FROM public.$t) b) || ' extra, ' ||
        (SELECT count(*) FROM replay_$t) || ' replayed'")
    if [[ $diff =~ ^([0-9]+)\ rows,\ 0\ missing,\ 0\ extra,\ ([0-9]+)\ replayed$ ]] &&
        [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
        t_ok "$name ($diff)"
    else
        t_fail "$name" "$diff"
        PGOPTIONS="-c search_path=replay,public" psql_admin -c "SELECT 'missing', * FROM (SELECT * FROM public.$t EXCEPT SELECT * FROM replay_$t) a LIMIT 5" >&2
        PGOPTIONS="-c search_path=replay,public" psql_admin -c "SELECT 'extra', * FROM (SELECT * FROM replay_$t EXCEPT SELECT * FROM public.$t) b LIMIT 5" >&2
    fi
}

# Count of lines in FILE matching a fixed string.
count_of() {   # FILE STRING
    grep -cF -- "$2" "$1" 2>/dev/null || true
}

signal() {   # ID TYPE [DATA]; no DATA: NULL
    local data=NULL
    [ $# -ge 3 ] && data="\$d\$$3\$d\$"
    psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('$1', '$2', $data)" >/dev/null
}

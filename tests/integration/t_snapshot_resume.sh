#!/usr/bin/env bash
# Snapshot resume after kill -9.  An incremental snapshot of a table of
# 200 chunks under a concurrent workload, walcap killed as soon as the
# offset file records the third chunk, then restarted: for the stdout,
# file and Kafka sinks, progress is recorded as each chunk becomes
# durable (no status update records anything here), the restart reads
# on after the recorded chunk and never again a key at or before it,
# the execute-snapshot signal written again is the same snapshot (in
# progress, then done), and all the events of both runs, replayed in
# order, reproduce the table.  Then the same for a blocking snapshot
# (read again whole) and for the initial snapshot from a new slot's
# exported snapshot, killed in the middle of a table: the tables already
# copied stay in the file, the rest are read incrementally.
# integration: alone
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snapshot_lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

work=$T_TMP
ROWS=20000
CHUNK=100
# The server never asks for a status update (wal_sender_timeout=0) and
# walcap's interval is an hour: while a run lasts, nothing is confirmed
# and no status update writes the offset file.  What it records, it
# records because a chunk became durable.
pg_start -c wal_sender_timeout=0
seed_setup sdb
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role" >/dev/null
psql_admin -c "CREATE TABLE public.fence (id serial PRIMARY KEY); GRANT SELECT ON public.fence TO streamkap_role" >/dev/null
mock_start 1
mock_cmd topic k.public.r_kafka 1
mock_cmd topic k.public.fence 1
# The tables, before any walcap runs: the first run streams their
# inserts past (not captured), so later runs start after them.  The
# Kafka case is smaller and its workload slower: the mock cluster keeps
# only the newest 5 MB of a partition.
make_table r_stdout "$ROWS"
make_table r_file "$ROWS"
make_table r_kafka 5000
make_table blk "$ROWS"
make_table e_a 5000
make_table e_b 5000
# Slow reads: row-level security with a policy that sleeps 1 ms a row,
# for walcap's user only (the workload's user owns the tables), so that
# the first run reads a chunk in about 100 ms and the test sees the
# third one recorded before the snapshot is over.  walcap records chunks
# that come faster than every 100 ms together, so at this pace the
# offset file is at most two chunks behind what run 1 wrote.  Off for
# the restarts.
# Analyzed, so that the chunk queries scan the key's index, not the table.
psql_admin >/dev/null <<'SQL'
CREATE FUNCTION public.slow_true() RETURNS boolean LANGUAGE plpgsql AS
  'BEGIN PERFORM pg_sleep(0.001); RETURN true; END';
CREATE POLICY slow ON public.r_stdout FOR SELECT USING (public.slow_true());
CREATE POLICY slow ON public.r_file FOR SELECT USING (public.slow_true());
CREATE POLICY slow ON public.r_kafka FOR SELECT USING (public.slow_true());
CREATE POLICY slow ON public.blk FOR SELECT USING (public.slow_true());
CREATE POLICY slow ON public.e_b FOR SELECT USING (public.slow_true());
ANALYZE;
SQL
slow_reads() {   # TABLE on|off
    psql_admin -c "ALTER TABLE public.$1 $([ "$2" = on ] && echo ENABLE || echo DISABLE) ROW LEVEL SECURITY" >/dev/null
}

# The offset file's snapshot state, as compact JSON ("" if none).
state_of() {   # OFFSETS
    sed -n 's/^snapshot=//p' "$1" 2>/dev/null
}
# Whether the offset file's snapshot state satisfies the jq FILTER
# (jq -e alone passes on empty input).
state_is() {   # OFFSETS FILTER
    local st
    st=$(state_of "$1")
    [ -n "$st" ] && jq -e "$2" <<<"$st" >/dev/null 2>&1
}
# Whether the offset file records at least N chunks of the table being read.
recorded_chunks() {   # OFFSETS N
    state_is "$1" ".chunk >= $2"
}
# The whole events of FILE (a torn last line, from a kill -9, dropped).
whole() {   # FILE
    jq -R -c 'fromjson? // empty' "$1"
}
# How many r events of TABLE are in the JSON lines on stdin.
r_count() {   # TABLE
    jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | .op' | wc -l
}
# The ids of the r events of TABLE on stdin at or below KEY, one line.
r_at_or_below() {   # TABLE KEY
    jq -r --arg t "$1" --argjson k "$2" 'select(.op == "r" and .source.table == $t and .after.id <= $k) | .after.id' |
        tr '\n' ' '
}
# Events of the Kafka topic TOPIC (its one partition, in order), values only.
kafka_events() {   # TOPIC
    topic_read "$1" | cut -f3 | grep -v '^NULL$'
}
kafka_fence() {
    local id
    id=$(psql_admin -c "INSERT INTO public.fence DEFAULT VALUES RETURNING id")
    _kfenced() { kafka_events k.public.fence | jq -e --argjson id "$1" 'select(.after.id == $id)' >/dev/null 2>&1; }
    wait_until 60 _kfenced "$id"
}
# The ids of the rows of TABLE the workload never touched in (LO, HI]
# that FILE has no r event for, one line.
untouched_missing() {   # TABLE FILE LO HI
    comm -23 <(psql_admin -c "SELECT id FROM public.$1 WHERE n = 0 AND v = 'row ' || id AND id > $3 AND id <= $4" | sort) \
        <(jq -r --arg t "$1" 'select(.op == "r" and .source.table == $t) | .after.id' "$2" | sort -u) | tr '\n' ' '
}
# Write the signal row ID again (deleted, inserted), as a tool that
# retries would.
signal_again() {   # ID TABLE
    psql_admin >/dev/null <<SQL
BEGIN;
DELETE FROM streamkap.streamkap_signal WHERE id = '$1';
INSERT INTO streamkap.streamkap_signal VALUES ('$1', 'execute-snapshot', '{"data-collections": ["public.$2"]}');
COMMIT;
SQL
}

# resume_case SINK ROWS RATE [key=value...]: public.r_SINK (ROWS rows,
# the workload at RATE transactions/s) through that sink.
resume_case() {
    local sink=$1 t=r_$1 nrows=$2 rate=$3 conf off st rows key chunk n1 n2 m1=0 size=0
    shift 3
    conf=$work/$t.conf
    off=$conf.offsets
    walcap_conf "$conf" incremental.snapshot.chunk.size=$CHUNK status.update.interval.ms=3600000 \
        "table.include.list=public\\.($t|fence)" "$@"
    slow_reads "$t" on
    walcap_start "$work/$t.out1" "$work/$t.err1" "$conf"
    wait_until 30 grep -qs "streaming from slot" "$work/$t.err1"
    workload_start "$t" "$nrows" 60 "$rate"
    sleep 0.5
    signal "snap-$t" execute-snapshot "{\"data-collections\": [\"public.$t\"]}"

    # kill -9 once the third chunk is recorded as durable
    wait_until 90 recorded_chunks "$off" 3
    assert_rc "$sink: the offset file records the third chunk while walcap runs" "$?" 0
    kill -KILL "$WALCAP_PID"
    wait "$WALCAP_PID" 2>/dev/null
    WALCAP_PID=
    st=$(state_of "$off")
    rows=$(jq -r .rows <<<"$st")
    key=$(jq -r '.last_key[0]' <<<"$st")
    chunk=$(jq -r .chunk <<<"$st")
    # nothing recorded: then no row may come again at all
    [[ $key =~ ^[0-9]+$ ]] || key=$nrows
    echo "# $sink: killed with $chunk chunks, $rows rows recorded, the last key $key"
    assert_eq "$sink: the recorded state names the signal, the table and its bound" \
        "$(jq -c '[.id, .paused, (.chunk >= 3), (.rows >= 200), (.max_key | length), [.tables[] | [.schema, .table, .signal, .blocking]], .done]' <<<"$st")" \
        "[\"snap-$t\",false,true,true,1,[[\"public\",\"$t\",\"snap-$t\",false]],[]]"

    case $sink in
    stdout)
        whole "$work/$t.out1" >"$work/$t.run1"
        n1=$(r_count "$t" <"$work/$t.run1")
        assert_match "$sink: run 1 wrote what the offset file records and at most two chunks more ($n1 written, $rows recorded)" \
            "$(( n1 - rows ))" "^([0-9]|[1-9][0-9]|1[0-9][0-9]|200)$"
        ;;
    file)
        size=$(sed -n 's/^sink\.file\.size=//p' "$off")
        n1=$(whole "$work/$t.json" | r_count "$t")
        assert_eq "$sink: the file up to the recorded length holds exactly the recorded rows" \
            "$(head -c "$size" "$work/$t.json" | r_count "$t")" "$rows"
        assert_match "$sink: run 1 wrote at most two chunks past it ($n1 written, $rows recorded)" \
            "$(( n1 - rows ))" "^([0-9]|[1-9][0-9]|1[0-9][0-9]|200)$"
        ;;
    kafka)
        # what the brokers hold now stays: read until two reads agree
        _kafka_settled() {
            local a b
            a=$(kafka_events k.public.r_kafka | wc -l)
            b=$(kafka_events k.public.r_kafka | wc -l)
            [ "$a" = "$b" ] && m1=$a
        }
        wait_until 30 _kafka_settled
        kafka_events k.public.r_kafka >"$work/$t.run1"
        n1=$(r_count "$t" <"$work/$t.run1")
        assert_eq "$sink: everything the offset file records was acknowledged ($n1 in Kafka, $rows recorded)" \
            "$([ "$n1" -ge "$rows" ] && echo yes)" yes
        ;;
    esac

    slow_reads "$t" off
    # the signal written again before the restart: the snapshot in progress
    signal_again "snap-$t" "$t"
    walcap_start "$work/$t.out2" "$work/$t.err2" "$conf"
    wait_until 90 grep -qs 'INFO: snapshot done' "$work/$t.err2"
    # ... and once it is done
    signal_again "snap-$t" "$t"
    wait_until 30 grep -qs "signal \"snap-$t\" ignored: its snapshot is already done" "$work/$t.err2"
    workload_stop
    if [ "$sink" = kafka ]; then kafka_fence; else fence "$work/$t.$([ "$sink" = file ] && echo json || echo out2)"; fi
    walcap_stop
    assert_rc "$sink: the restarted walcap exits 0" "$WALCAP_RC" 0

    case $sink in
    stdout) whole "$work/$t.out2" >"$work/$t.run2" ;;
    file) tail -c +$(( size + 1 )) "$work/$t.json" | whole /dev/stdin >"$work/$t.run2"
          head -c "$size" "$work/$t.json" | whole /dev/stdin >"$work/$t.run1" ;;
    kafka) kafka_events k.public.r_kafka | tail -n +$(( m1 + 1 )) >"$work/$t.run2" ;;
    esac
    n2=$(r_count "$t" <"$work/$t.run2")
    assert_match "$sink: the restart resumed the stored snapshot" "$(cat "$work/$t.err2")" \
        'INFO: resuming the snapshot of 1 table'
    assert_match "$sink: ... after the stored chunk" "$(cat "$work/$t.err2")" \
        "INFO: incremental snapshot of \"public\\.$t\" started \\(resumed after the stored chunk\\)"
    assert_eq "$sink: the signal written again while it runs is that snapshot" \
        "$(grep -F "signal \"snap-$t\"" "$work/$t.err2")" \
        "walcap: INFO: signal \"snap-$t\" ignored: its snapshot is already in progress
walcap: INFO: signal \"snap-$t\" ignored: its snapshot is already done"
    assert_eq "$sink: the restart emits no row at or before the stored key $key" \
        "$(r_at_or_below "$t" "$key" <"$work/$t.run2")" ""
    assert_eq "$sink: run 1 delivered every row the workload left alone up to the stored key" \
        "$(untouched_missing "$t" "$work/$t.run1" 0 "$key")" ""
    assert_eq "$sink: the restart read every row the workload left alone after it" \
        "$(untouched_missing "$t" "$work/$t.run2" "$key" "$nrows")" ""
    assert_match "$sink: it went on counting from the stored rows ($rows + $n2)" "$(cat "$work/$t.err2")" \
        "INFO: incremental snapshot of \"public\\.$t\" done: $(( rows + n2 )) rows"
    assert_eq "$sink: no ERROR or WARNING" "$(grep -E 'ERROR|WARNING' "$work/$t.err1" "$work/$t.err2")" ""
    cat "$work/$t.run1" "$work/$t.run2" >"$work/$t.all"
    assert_reproduces "$sink: the events of both runs reproduce the table" "$work/$t.all" "$t"
}

resume_case stdout "$ROWS" 400
resume_case file "$ROWS" 400 sink.type=file "sink.file.path=$work/r_file.json"
# slow brokers: acknowledgements lag behind the chunks
mock_cmd rtt -1 20
resume_case kafka 5000 50 sink.type=kafka "kafka.bootstrap.servers=$MOCK_BOOT" topic.prefix=k
mock_cmd rtt -1 0

# ---- a blocking snapshot killed mid-way is read again whole
walcap_conf "$work/blk.conf" incremental.snapshot.chunk.size=$CHUNK status.update.interval.ms=3600000 \
    'table.include.list=public\.(blk|fence)'
slow_reads blk on
walcap_start "$work/blk.out1" "$work/blk.err1" "$work/blk.conf"
wait_until 30 grep -qs "streaming from slot" "$work/blk.err1"
workload_start blk "$ROWS" 60
sleep 0.5
signal snap-blk execute-snapshot '{"data-collections": ["public.blk"], "type": "blocking"}'
wait_until 90 recorded_chunks "$work/blk.conf.offsets" 3
assert_rc "blocking: the offset file records the third fetch while walcap runs" "$?" 0
kill -KILL "$WALCAP_PID"
wait "$WALCAP_PID" 2>/dev/null
WALCAP_PID=
assert_eq "blocking: the recorded state" \
    "$(state_of "$work/blk.conf.offsets" | jq -c '[.id, .last_key, [.tables[] | [.table, .signal, .blocking]]]')" \
    '["snap-blk",null,[["blk","snap-blk",true]]]'
slow_reads blk off
walcap_start "$work/blk.out2" "$work/blk.err2" "$work/blk.conf"
wait_until 90 grep -qs 'INFO: snapshot done' "$work/blk.err2"
workload_stop
fence "$work/blk.out2"
walcap_stop
assert_rc "blocking: the restarted walcap exits 0" "$WALCAP_RC" 0
whole "$work/blk.out2" >"$work/blk.run2"
n2=$(r_count blk <"$work/blk.run2")
assert_eq "blocking: the restart read the table again from its start, counting anew" \
    "$(grep -c 'INFO: blocking snapshot of "public.blk" started$' "$work/blk.err2"; grep -c "INFO: blocking snapshot of \"public.blk\" done: $n2 rows\$" "$work/blk.err2")" \
    "1
1"
assert_eq "blocking: ... each row once" \
    "$(jq -r 'select(.op == "r" and .source.table == "blk") | .after.id' "$work/blk.run2" | sort -n | uniq -d | wc -l)" 0
assert_eq "blocking: ... every row the workload left alone" "$(untouched_missing blk "$work/blk.run2" 0 "$ROWS")" ""
whole "$work/blk.out1" >"$work/blk.run1"
cat "$work/blk.run1" "$work/blk.run2" >"$work/blk.all"
assert_reproduces "blocking: the events of both runs reproduce the table" "$work/blk.all" blk

# ---- the initial snapshot from a new slot's exported snapshot, killed
# in the middle of its second table: the first table's rows stay in the
# file (its length is recorded with the progress), the second table's
# rows written so far are cut, and it is read incrementally after the
# restart.  Slow reads make the COPY of e_b take five seconds: time to
# see the progress and kill.
slow_reads e_b on
psql_admin -c "SELECT pg_drop_replication_slot('$SEED_SLOT')" >/dev/null
walcap_conf "$work/e.conf" snapshot.mode=initial status.update.interval.ms=3600000 sink.type=file \
    "sink.file.path=$work/e.json" incremental.snapshot.chunk.size=$CHUNK 'table.include.list=public\.(e_a|e_b|fence)'
walcap_start /dev/null "$work/e.err1" "$work/e.conf"
wait_until 60 state_is "$work/e.conf.offsets" '.tables[0].table == "e_b"'
assert_rc "exported: the offset file records e_a as delivered while e_b is read" "$?" 0
workload_start e_a 5000 60
sleep 0.5
kill -KILL "$WALCAP_PID"
wait "$WALCAP_PID" 2>/dev/null
WALCAP_PID=
assert_eq "exported: at the kill, e_b was still being read" \
    "$(grep -c 'initial snapshot of "public.e_b" done' "$work/e.err1") $(state_of "$work/e.conf.offsets" | jq -c '[.tables[] | .table]')" \
    '0 ["e_b","fence"]'
size=$(sed -n 's/^sink\.file\.size=//p' "$work/e.conf.offsets")
assert_eq "exported: the recorded file length holds every row of e_a, once" \
    "$(head -c "$size" "$work/e.json" | whole /dev/stdin | jq -r 'select(.op == "r") | .source.table + " " + .source.snapshot' | sort | uniq -c | sed 's/^ *//')" \
    "1 e_a first
1 e_a last_in_data_collection
4998 e_a true"
slow_reads e_b off
walcap_start /dev/null "$work/e.err2" "$work/e.conf"
wait_until 90 grep -qs 'INFO: snapshot done' "$work/e.err2"
workload_stop
fence "$work/e.json"
walcap_stop
assert_rc "exported: the restarted walcap exits 0" "$WALCAP_RC" 0
assert_match "exported: the restart resumes with e_b and fence" "$(cat "$work/e.err2")" \
    'INFO: resuming the snapshot of 2 tables'
assert_eq "exported: e_a is not read again, e_b is read incrementally" \
    "$(grep -E 'snapshot of "public\.e_[ab]" (started|done)' "$work/e.err2" | sed 's/: [0-9]* rows$//')" \
    'walcap: INFO: incremental snapshot of "public.e_b" started
walcap: INFO: incremental snapshot of "public.e_b" done'
assert_eq "exported: every row of e_a once in the file" \
    "$(jq -r 'select(.op == "r" and .source.table == "e_a") | .after.id' "$work/e.json" | sort -n | uniq | wc -l) $(whole "$work/e.json" | r_count e_a)" \
    "5000 5000"
assert_eq "exported: the rows of e_b copied before the kill were cut, the rest is incremental" \
    "$(jq -r 'select(.op == "r" and .source.table == "e_b") | .source.snapshot' "$work/e.json" | sort | uniq -c | sed 's/^ *//')" \
    "5000 incremental"
assert_reproduces "exported: the file reproduces e_a (changed after the slot's start)" "$work/e.json" e_a
assert_reproduces "exported: the file reproduces e_b" "$work/e.json" e_b

t_done

#!/usr/bin/env bash
# WAL retention on an idle database (issue 6).  One cluster, five
# databases: a client writes more than 500 MiB of WAL in "busy" (not
# captured) while four walcaps each capture their own idle database:
#   a  status.confirm.idle=true, no heartbeat       (idle confirmation)
#   b  heartbeat.action.query, confirm.idle=false   (table heartbeat)
#   c  heartbeat.logical.message, confirm.idle=false (message heartbeat)
#   d  confirm.idle=false, no heartbeat             (control)
# Separate databases, so one walcap's heartbeats are not seen by
# another's slot.  Every ~0.1 s the script samples each slot's retained
# WAL, pg_current_wal_lsn() - restart_lsn, and checks that a, b and c
# stay below 64 MiB throughout, while the control d retains everything
# written (so the bound is walcap's doing and the test can fail).
#
# Why the checkpoint settings: a logical slot's restart_lsn can only
# move to an xl_running_xacts record, which PostgreSQL writes every 15 s
# (bgwriter) and at the end of each checkpoint.  The WAL between two such
# records is a floor on the retained WAL that no connector can go under:
# at this test's 25 MiB/s, 15 s is ~375 MiB (measured: ~365 MiB max on
# a, b and c with the default settings).  max_wal_size=32MB (the minimum,
# two 16 MB segments) makes the server checkpoint at every segment, and
# checkpoint_completion_target=0.1 makes each checkpoint finish (and log
# its running-xacts record) early in that segment (with the default 0.9
# the max was ~55 MiB, with 0.1 ~44 MiB).  That is a server property, not
# walcap's: on a production server the floor is the WAL written in 15 s.
#
# The client writes in many small transactions, paced to RATE MiB/s: an
# open transaction would itself pin restart_lsn, and an unpaced client
# (~250 MiB/s here) writes more than 64 MiB between two heartbeats.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

MIB=1048576
RATE=25      # MiB/s the busy client writes
TOTAL=520    # MiB it writes (the requirement: at least 500)
LIMIT=64     # MiB the captured slots may retain
HB_MS=500    # heartbeat.interval.ms (b, c)

pg_start -c max_wal_size=32MB -c min_wal_size=32MB -c checkpoint_completion_target=0.1 \
    -c log_checkpoints=on -c wal_sender_timeout=10s busy
work=$T_TMP

# slot names are cluster-wide: one slot per database, made here
# shellcheck disable=SC2034  # read by seed_setup
SEED_SLOT=
for x in a b c d; do
    seed_setup "idle_$x"
    psql_admin -d "idle_$x" -c "SELECT pg_create_logical_replication_slot('slot_$x', 'pgoutput')" >/dev/null
done
psql_admin -d idle_b >/dev/null <<'SQL'
CREATE TABLE public.heartbeat (id int PRIMARY KEY, ts timestamptz NOT NULL);
GRANT INSERT, UPDATE ON public.heartbeat TO streamkap_role;
SQL
psql_admin -d busy -c "CREATE TABLE big (id bigint, pad text)"

conf() {   # X key=value...
    local x=$1
    shift
    walcap_conf "$work/$x.conf" database.dbname="idle_$x" slot.name="slot_$x" \
        status.update.interval.ms=500 "$@"
}
conf a status.confirm.idle=true
conf b status.confirm.idle=false heartbeat.interval.ms=$HB_MS \
    "heartbeat.action.query=INSERT INTO public.heartbeat VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts"
conf c status.confirm.idle=false heartbeat.interval.ms=$HB_MS heartbeat.logical.message=true
conf d status.confirm.idle=false

declare -A pid label
label[a]="idle confirmation (status.confirm.idle=true, no heartbeat)"
label[b]="heartbeat.action.query (status.confirm.idle=false)"
label[c]="heartbeat.logical.message (status.confirm.idle=false)"
label[d]="control (status.confirm.idle=false, no heartbeat)"
for x in a b c d; do
    walcap_start "$work/$x.out" "$work/$x.err" "$work/$x.conf"
    pid[$x]=$WALCAP_PID
done
for x in a b c d; do
    if ! wait_until 30 grep -qs streaming "$work/$x.err"; then
        t_fail "walcap $x is streaming" "$(tail -n 5 "$work/$x.err")"
    fi
done

# --- sample every slot's retained WAL (and confirmed lag) until told to stop
sampler() {
    while [ ! -e "$work/stop" ]; do
        psql_admin -d postgres -F' ' -c "SELECT extract(epoch FROM clock_timestamp()), slot_name,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
            FROM pg_replication_slots ORDER BY slot_name" || true
        sleep 0.1
    done
}
sampler >"$work/samples" 2>"$work/sampler.err" &
spid=$!
_LIB_PIDS+=("$spid")

# --- the busy client: ~1 MiB per transaction, paced, the table emptied now and then
start=$(current_lsn)
ckpt0=$(grep -c 'checkpoint complete' "$PG_TMP/postgres.log")
t0=$(date +%s.%N)
psql_admin -d busy <<SQL
DO \$\$
DECLARE i int := 0; t0 timestamptz := clock_timestamp(); w float8;
BEGIN
  LOOP
    w := pg_wal_lsn_diff(pg_current_wal_lsn(), '$start');
    EXIT WHEN w >= $TOTAL * $MIB::float8;
    PERFORM pg_sleep(greatest(0, w / ($RATE * $MIB) - extract(epoch FROM clock_timestamp() - t0)));
    INSERT INTO big SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 1000) g;
    COMMIT;
    i := i + 1;
    IF i % 100 = 0 THEN TRUNCATE big; COMMIT; END IF;
  END LOOP;
END \$\$;
SQL
t1=$(date +%s.%N)
end=$(current_lsn)
written=$(psql_admin -c "SELECT pg_wal_lsn_diff('$end', '$start')::bigint")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
wmib=$(awk -v w="$written" -v m=$MIB 'BEGIN { printf "%.1f", w / m }')
sleep 1
touch "$work/stop"
wait "$spid" 2>/dev/null
echo "# $(($(grep -c 'checkpoint complete' "$PG_TMP/postgres.log") - ckpt0)) checkpoints while writing"

if [ "$written" -ge $((500 * MIB)) ]; then
    t_ok "the client wrote $wmib MiB of WAL in busy in $secs s, ~1 MiB per transaction"
else
    t_fail "the client wrote at least 500 MiB of WAL" "$wmib MiB"
fi

# samples taken while the client wrote, per slot
nsamples() { awk -v s="slot_$1" -v a="$t0" -v b="$t1" '$2 == s && $1 >= a && $1 <= b' "$work/samples" | wc -l; }
maxcol() { awk -v s="slot_$1" -v c="$2" -v m=$MIB '$2 == s && $c > x { x = $c } END { printf "%.1f", x / m }' "$work/samples"; }
for x in a b c d; do
    n=$(nsamples "$x")
    if [ "$n" -ge 50 ]; then
        t_ok "slot_$x: $n samples of its retained WAL while the client wrote"
    else
        t_fail "slot_$x: at least 50 samples while the client wrote" "$n; $(head -n 3 "$work/sampler.err")"
    fi
done

for x in a b c; do
    r=$(maxcol "$x" 3) lag=$(maxcol "$x" 4)
    if awk -v r="$r" -v l=$LIMIT 'BEGIN { exit !(r < l) }'; then
        t_ok "${label[$x]}: retained WAL at most $r MiB (< $LIMIT MiB; confirmed lag at most $lag MiB) while $wmib MiB were written"
    else
        t_fail "${label[$x]}: retained WAL below $LIMIT MiB throughout" "max $r MiB (confirmed lag $lag MiB) while $wmib MiB were written"
    fi
done

# the control keeps all of it: its restart_lsn is still before the writes
d_now=$(psql_admin -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = 'slot_d'")
if [ "$d_now" -ge "$written" ]; then
    t_ok "${label[d]}: retained WAL grew to $(awk -v r="$d_now" -v m=$MIB 'BEGIN { printf "%.1f", r / m }') MiB, everything written (max sampled $(maxcol d 3) MiB)"
else
    t_fail "${label[d]}: retained WAL grew by everything written" "$d_now bytes retained, $written written"
fi

# --- stop them; events and logs
for x in a b c d; do
    WALCAP_PID=${pid[$x]}
    walcap_stop TERM
    assert_rc "walcap $x: exit status 0 on SIGTERM" "$WALCAP_RC" 0
    assert_eq "walcap $x: no connection lost, no warning or error" \
        "$(grep -E 'connection lost|WARNING|ERROR' "$work/$x.err")" ""
done
for x in a c d; do
    assert_eq "walcap $x: no events (nothing captured changed in idle_$x)" "$(cat "$work/$x.out")" ""
done
hb=$(wc -l <"$work/b.out")
assert_eq "walcap b: only heartbeat-table events" \
    "$(jq -r '.source.db + "." + .source.schema + "." + .source.table' "$work/b.out" | sort -u)" "idle_b.public.heartbeat"
# one per heartbeat.interval.ms while the client wrote: about 40
if [ "$hb" -ge 20 ]; then
    t_ok "walcap b: $hb heartbeat-row events"
else
    t_fail "walcap b: at least 20 heartbeat-row events" "$hb"
fi

t_done

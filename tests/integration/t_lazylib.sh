#!/usr/bin/env bash
# libssh, libmicrohttpd, librdkafka, libcurl and hiredis are opened on
# first use (src/dynlib.h): a streaming `walcap run` with the file sink,
# no SSH tunnel and no metrics.listen has none of them mapped;
# metrics.listen maps libmicrohttpd and only it; the HTTP sink libcurl
# and only it; the Redis sink hiredis and only it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"

work=$T_TMP
pg_start
seed_setup ldb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)" >/dev/null

# which of the four libraries are mapped (libfoo.so), one a line
lazy_mapped() {
    grep -oE '/lib(ssh|microhttpd|rdkafka|curl|hiredis)\.so' "/proc/$WALCAP_PID/maps" | sed 's#^/##' | sort -u
}

walcap_conf "$work/f.conf" sink.type=file "sink.file.path=$work/f.jsonl"
walcap_start "$work/f.out" "$work/f.err" "$work/f.conf"
wait_until 60 grep -q "streaming from slot" "$work/f.err"
psql_admin -c "INSERT INTO public.t VALUES (1, 'a')" >/dev/null
wait_until 30 grep -q '"id":1' "$work/f.jsonl"
assert_eq "an idle run with the file sink maps none of them" "$(lazy_mapped)" ""
_lib_say "idle run, file sink: $(grep VmRSS "/proc/$WALCAP_PID/status")"
walcap_stop
assert_eq "it stops cleanly" "$WALCAP_RC" 0

port=$(_lib_pick_port) || { t_fail "no free TCP port"; t_done; }
walcap_conf "$work/m.conf" sink.type=file "sink.file.path=$work/m.jsonl" \
    metrics.listen=127.0.0.1:$port
walcap_start "$work/m.out" "$work/m.err" "$work/m.conf"
wait_until 60 grep -q "streaming from slot" "$work/m.err"
assert_match "metrics are served" "$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics")" \
    '^# (HELP|TYPE) walcap_'
assert_eq "metrics.listen maps libmicrohttpd alone" "$(lazy_mapped)" "libmicrohttpd.so"
walcap_stop
assert_eq "it stops cleanly" "$WALCAP_RC" 0

# the HTTP sink opens libcurl when it starts (no receiver needed before an event)
walcap_conf "$work/h.conf" sink.type=http sink.http.url=http://127.0.0.1:1/ingest
walcap_start "$work/h.out" "$work/h.err" "$work/h.conf"
wait_until 60 grep -q "streaming from slot" "$work/h.err"
assert_eq "the HTTP sink maps libcurl alone" "$(lazy_mapped)" "libcurl.so"
walcap_stop
assert_eq "it stops cleanly" "$WALCAP_RC" 0

# the Redis sink opens hiredis when it connects
redis_start || { t_fail "redis-server starts"; t_done; }
walcap_conf "$work/r.conf" sink.type=redis "sink.redis.address=127.0.0.1:$REDIS_PORT" topic.prefix=r
WALCAP_SINK_REDIS_PASSWORD=$WALCAP_TEST_REDIS_PASSWORD walcap_start "$work/r.out" "$work/r.err" "$work/r.conf"
wait_until 60 grep -q "streaming from slot" "$work/r.err"
psql_admin -c "INSERT INTO public.t VALUES (2, 'b')" >/dev/null
in_redis() { [ "$(rcli XLEN r.public.t)" = 1 ]; }
wait_until 30 in_redis
assert_eq "the Redis sink maps hiredis alone" "$(lazy_mapped)" "libhiredis.so"
walcap_stop
assert_eq "it stops cleanly" "$WALCAP_RC" 0
t_done

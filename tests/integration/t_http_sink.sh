#!/usr/bin/env bash
# The HTTP sink (sink.type=http) against a real HTTP(S) server on loopback
# (tests/integration/http_server.js), made to fail on demand: the events
# it receives are exactly the stdout sink's (NDJSON and JSON arrays), with
# the headers and the bearer token (never in walcap's output); 500, 503
# and 429 with Retry-After, a timeout and a dropped connection are retried
# (each retry logged), nothing is lost or reordered and the slot is not
# confirmed past an event not yet answered 2xx; a 400 stops walcap (exit
# 1) naming the status and the answer's first line; kill -9 while a POST
# waits loses nothing after a restart; https with the test CA is
# verified, and a wrong CA stops walcap; bad keys exit 2 naming the key.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
pg_start
psql_admin -d postgres -c "CREATE DATABASE hdb" >/dev/null
PG_DB=hdb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.items (id int PRIMARY KEY, name text);
CREATE TABLE public.w (id int PRIMARY KEY, pad text);
SQL
seed_setup hdb public.items public.w
# a second slot, read by the stdout sink to compare with what the server got
psql_admin -c "SELECT pg_create_logical_replication_slot('ref_slot', 'pgoutput')" >/dev/null

export WALCAP_SINK_HTTP_AUTHORIZATION="Bearer $WALCAP_TEST_HTTP_TOKEN"
# libcurl honours the proxy variables: none here, the receiver is on loopback
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
lsn_dec() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }
caught_up() {   # the slot confirmed everything written so far
    [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = '$SEED_SLOT'")" = t ]
}
ids() {   # TABLE FILE...: the ids of TABLE's inserts and updates received, in order
    local t=$1
    shift
    jq -r --arg t "$t" 'if type == "array" then .[] else . end | select(.source.table == $t) | .after.id // empty' "$@"
}

# ---- the receiver: HS_PORT, its files $work/NAME.body and $work/NAME.log
HS_PID='' HS_PORT='' HS_CURL=(curl -s --max-time 5)
hs_start() {   # NAME [--tls CERT KEY]
    local name=$1
    shift
    : >"$work/$name.body"
    : >"$work/$name.log"
    HTTP_EXPECT_AUTH="Bearer $WALCAP_TEST_HTTP_TOKEN" node "$ROOT/tests/integration/http_server.js" \
        --out "$work/$name.body" --log "$work/$name.log" "$@" >"$work/$name.port" 2>"$work/$name.err" &
    HS_PID=$!
    _LIB_PIDS+=("$HS_PID")
    wait_until 10 test -s "$work/$name.port" || { _lib_say "http_server.js did not start: $(cat "$work/$name.err")"; return 1; }
    HS_PORT=$(head -1 "$work/$name.port")
    HS_URL=http://127.0.0.1:$HS_PORT
    if [ $# -gt 0 ]; then HS_URL=https://localhost:$HS_PORT; fi
}
hs_stop() { if [ -n "$HS_PID" ]; then stop_process "$HS_PID" TERM 5 http_server; fi; HS_PID=; }
hs_ctl() { "${HS_CURL[@]}" -k -X POST --data-binary "$1" "$HS_URL/_ctl" >/dev/null; }
hs_stat() { "${HS_CURL[@]}" -k "$HS_URL/_ctl" | jq -r ".$1"; }
hs_queue_empty() { [ "$(hs_stat queued)" = 0 ]; }

# ---- bad keys: exit 2 before connecting, naming the key (the URL's password never shown)
bad() {   # NAME WANT-LINE KEY=VALUE...
    local name=$1 want=$2 out rc
    shift 2
    local -a set=()
    for kv in "$@"; do set+=(--set "$kv"); done
    out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$work/bad.conf" "${set[@]}" 2>&1 </dev/null); rc=$?
    assert_rc "$name: exit 2" "$rc" 2
    assert_eq "$name: the message" "$out" "$want"
}
walcap_conf "$work/bad.conf" sink.type=http
bad "no URL" 'walcap: ERROR: sink.http.url is required when sink.type is http (the receiver'"'"'s http:// or https:// URL)'
bad "not http" 'walcap: ERROR: config: --set: sink.http.url: not an http:// or https:// URL' sink.http.url=ftp://example.com/x
bad "credentials in the URL" 'walcap: ERROR: config: --set: sink.http.url: credentials in the URL (user:password@) are refused: they would show wherever the URL does; put them in sink.http.authorization (e.g. Basic <base64 of user:password>)' \
    'sink.http.url=https://u:hunter2@example.com/x'
bad "bad port" 'walcap: ERROR: config: --set: sink.http.url: the port is not a number from 1 to 65535' sink.http.url=http://127.0.0.1:70000/
bad "bad format" 'walcap: ERROR: config: --set: sink.http.format: "xml" is not one of ndjson, array' sink.http.format=xml
bad "zero events a body" 'walcap: ERROR: config: --set: sink.http.batch.max.events: "0" is not an integer from 1 to 1000000' sink.http.batch.max.events=0
bad "a header walcap sets" 'walcap: ERROR: config: --set: sink.http.header.Content-Length: walcap does not take this header here: libcurl sets it from the body' \
    sink.http.header.Content-Length=5
bad "retry intervals" 'walcap: ERROR: sink.http.retry.max.interval.ms: 100 is less than sink.http.retry.interval.ms (500)' \
    sink.http.url=http://127.0.0.1:1/ sink.http.retry.max.interval.ms=100
bad "an unreadable CA file" "walcap: ERROR: sink.http.ssl.ca.location: cannot read $work/nope.pem: No such file or directory" \
    sink.http.url=https://127.0.0.1:1/ "sink.http.ssl.ca.location=$work/nope.pem"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 20 "$WALCAP" run -c "$work/bad.conf" \
    --set sink.http.header.X-Api-Key=k123 2>&1 </dev/null); rc=$?
assert_rc "a secret header on the command line: exit 2" "$rc" 2
assert_match "a secret header on the command line: refused" "$out" \
    '^walcap: ERROR: sink\.http\.header\.X-Api-Key cannot be given on the command line'
printf 'sink.http.header.X-Api-Key = k123\nsink.http.url = http://127.0.0.1:1/x?token=t0k\n' >"$work/print.conf"
out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" run -c "$work/bad.conf" -c "$work/print.conf" \
    --set sink.http.header.X-Test=hello --print-config 2>&1 </dev/null)
assert_eq "--print-config: the token masked with where it came from, a secret header masked" \
    "$(grep -E '^sink\.http\.(authorization =|header\.)' <<<"$out")" \
'sink.http.authorization = ******** (from WALCAP_SINK_HTTP_AUTHORIZATION)
sink.http.header.X-Api-Key = ********
sink.http.header.X-Test = hello'

# ---- NDJSON: exactly the stdout sink's events, with the headers and the token
hs_start h || { t_fail "http_server.js"; t_done; }
conf=$work/h.conf
walcap_conf "$conf" sink.type=http "sink.http.url=$HS_URL/ingest" status.update.interval.ms=200 \
    sink.http.header.X-Test=hello sink.http.timeout.ms=1500 sink.http.retry.interval.ms=100 \
    sink.http.retry.max.interval.ms=1000
walcap_start "$work/h.out" "$work/h.err" "$conf"
wait_until 20 grep -q "streaming from slot" "$work/h.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
UPDATE public.items SET name = 'c' WHERE id = 1;
UPDATE public.items SET id = 3 WHERE id = 2;
DELETE FROM public.items WHERE id = 1;
TRUNCATE public.items;
SELECT pg_logical_emit_message(true, 'audit', 'hello');
INSERT INTO public.items VALUES (4, E'quote " backslash \\ newline \n tab \t é');
SQL
wait_until 20 caught_up
ref_lsn=$(current_lsn)
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" run -c "$conf" --set sink.type=stdout \
    --set slot.name=ref_slot --set "offset.storage.file.filename=$work/ref.offsets" --endpos "$ref_lsn" \
    >"$work/ref.jsonl" 2>"$work/ref.err" </dev/null
assert_eq "NDJSON: the events received are the stdout sink's" "$(normalize "$work/h.body")" "$(normalize "$work/ref.jsonl")"
assert_eq "NDJSON: 8 events" "$(wc -l <"$work/h.body")" 8
assert_eq "every POST: the token, the header, NDJSON's type, walcap's User-Agent, 200" \
    "$(jq -c '[.auth, .xtest, .ctype, (.ua | startswith("walcap/")), .status]' "$work/h.log" | sort -u)" \
    '["ok","hello","application/x-ndjson",true,200]'
assert_eq "the sink is HTTP: nothing on standard output" "$(wc -c <"$work/h.out")" 0

# an incremental snapshot's rows (delivered counts drive its progress)
psql_admin -c "INSERT INTO public.items SELECT g, 's' || g FROM generate_series(40, 49) g" >/dev/null
psql_admin -c "INSERT INTO streamkap.streamkap_signal VALUES ('h1', 'execute-snapshot', '{\"data-collections\": [\"public.items\"]}')" >/dev/null
wait_until 20 grep -q 'incremental snapshot of "public.items" done' "$work/h.err"
wait_until 20 caught_up
assert_eq "an incremental snapshot: its rows arrive as reads" \
    "$(jq -c 'select(.op == "r") | .after.id' "$work/h.body" | sort -n | tr '\n' ' ')" "4 $(seq -s ' ' 40 49) "

# ---- failures: 500 twice, 503 and 429 with Retry-After, a timeout, a dropped connection
n0=$(wc -l <"$work/h.log")
before=$(lsn_dec "$(current_lsn)")
hs_ctl '[{"status":500,"body":"oops\nmore"},{"status":500},{"status":503,"retryAfter":"1"},{"status":429,"retryAfter":"1"},{"sleep":2500},{"drop":true}]'
psql_admin >/dev/null <<'SQL'
INSERT INTO public.w SELECT g, 'a' FROM generate_series(1, 100) g;
INSERT INTO public.w SELECT g, 'b' FROM generate_series(101, 200) g;
SQL
after=$(lsn_dec "$(current_lsn)")
sleep 2
confirmed=$(lsn_dec "$(slot_lsn)")
assert_eq "failing: the slot not confirmed past the events not answered 2xx ($before <= $confirmed < $after)" \
    "$(( confirmed < after ))" 1
wait_until 30 hs_queue_empty
wait_until 20 caught_up
assert_eq "failures: rows 1-200 each once, in commit order" "$(ids w "$work/h.body" | tr '\n' ' ')" \
    "$(seq 1 200 | tr '\n' ' ')"
got=$(grep 'HTTP sink' "$work/h.err")
assert_match "retry logged: 500 with the answer's first line" "$got" \
    "^walcap: WARNING: HTTP sink: POST $HS_URL/ingest \\([0-9]+ events?\\) answered 500 Internal Server Error: oops; retry 1 in 100 ms$"
assert_match "retry logged: the second 500, twice the wait" "$got" \
    "^walcap: WARNING: HTTP sink: POST $HS_URL/ingest \\([0-9]+ events?\\) answered 500 Internal Server Error; retry 2 in 200 ms$"
assert_match "retry logged: 503 with Retry-After" "$got" \
    'answered 503 Service Unavailable; retry 3 in 1000 ms \(Retry-After\)$'
assert_match "retry logged: 429 with Retry-After" "$got" \
    'answered 429 Too Many Requests; retry 4 in 1000 ms \(Retry-After\)$'
assert_match "retry logged: the timeout" "$got" \
    'failed: Operation timed out after 1[0-9]{3} milliseconds with 0 bytes received \(curl error 28\); retry 5 in 1000 ms$'
assert_match "retry logged: the dropped connection" "$got" \
    'failed: .* \(curl error (52|55|56)\); retry 6 in 1000 ms$'
assert_match "the success after the retries logged" "$got" \
    "^walcap: INFO: HTTP sink: POST $HS_URL/ingest answered 200 OK at attempt 7 \\([0-9]+ events?\\)$"
assert_eq "failures: the failed answers were not stored" \
    "$(tail -n +"$((n0 + 1))" "$work/h.log" | jq -r 'select(.status != 200) | .status' | tr '\n' ' ')" "500 500 503 429 0 0 "

# ---- three POSTs in flight: failures retried, nothing lost
walcap_stop TERM
assert_rc "SIGTERM: exit 0" "$WALCAP_RC" 0
hs_ctl '[{}, {"status":503}, {}, {"status":502}, {"drop":true}]'
walcap_start "$work/h.out" "$work/m.err" "$conf" --set sink.http.max.in.flight=3 \
    --set sink.http.batch.max.events=20
wait_until 20 grep -q "streaming from slot" "$work/m.err"
psql_admin -c "INSERT INTO public.w SELECT g, 'm' FROM generate_series(501, 700) g" >/dev/null
wait_until 30 caught_up
assert_eq "3 in flight, a 503, a 502 and a drop: all 200 rows arrived" \
    "$(ids w "$work/h.body" | awk '$1 > 500 && $1 <= 700' | sort -un | wc -l)" 200
assert_eq "3 in flight: the 503 and the 502 retried" \
    "$(grep -oE 'answered 50[23] [A-Za-z ]+; retry [0-9]+ in' "$work/m.err" | cut -d' ' -f2 | sort | tr '\n' ' ')" \
    '502 503 '
# (the dropped connection was a reused one: libcurl itself sends the request
# again on a new connection, once, when a kept-alive one turns out closed)
assert_match "3 in flight: the sink says so" "$(cat "$work/m.err")" \
    'INFO: HTTP sink: POSTing NDJSON to http://127\.0\.0\.1:[0-9]+/ingest, 20 events or 4194304 bytes a body at most, 3 at a time'
walcap_stop TERM
assert_rc "SIGTERM: exit 0" "$WALCAP_RC" 0
walcap_start "$work/h.out" "$work/h.err" "$conf"
wait_until 20 grep -q "streaming from slot" "$work/h.err"

# ---- 400: walcap stops (exit 1) with the status and the answer's first line; nothing confirmed past it
hs_ctl "[{\"status\":400,\"body\":\"\\n  bad event: field \\\"x\\\" unknown (token $WALCAP_TEST_HTTP_TOKEN)\\nsecond line\"}]"
before=$(lsn_dec "$(current_lsn)")
psql_admin -c "INSERT INTO public.items VALUES (6, 'refused')" >/dev/null
wait_until 20 bash -c "! kill -0 $WALCAP_PID 2>/dev/null"
walcap_stop KILL
assert_rc "400: exit 1" "$WALCAP_RC" 1
assert_eq "400: the status, the answer's first line (the token masked) and what to fix" "$(grep ERROR "$work/h.err" | tail -1)" \
    "walcap: ERROR: HTTP sink: POST $HS_URL/ingest answered 400 Bad Request: bad event: field \"x\" unknown (token ********); the receiver refuses these events: fix what it says (or sink.http.url, sink.http.format, the headers); nothing after the last event answered 2xx is confirmed, and the next run sends it again"
assert_eq "400: the slot not confirmed past it" "$(( $(lsn_dec "$(slot_lsn)") <= before ))" 1
# sink.http.retries: a bound on the retries of one body
hs_ctl '[{"status":503},{"status":503}]'
out=$(WALCAP_TIMEOUT=30 walcap_run "$conf" --set sink.http.retries=1 2>&1); rc=$?
assert_rc "sink.http.retries=1, two 503s: exit 1" "$rc" 1
assert_match "sink.http.retries=1: the retry" "$out" \
    "^walcap: WARNING: HTTP sink: POST $HS_URL/ingest \\(1 event\\) answered 503 Service Unavailable; retry 1 in 100 ms$"
assert_match "sink.http.retries=1: the end, with the cause" "$out" \
    "^walcap: ERROR: HTTP sink: POST $HS_URL/ingest answered 503 Service Unavailable; giving up after 2 attempts \\(sink\\.http\\.retries is 1\\); nothing after the last event answered 2xx is confirmed"
# the same events go again once the receiver takes them
walcap_start "$work/h.out" "$work/h.err" "$conf"
wait_until 20 caught_up
assert_eq "after the 400, a restart: the refused event arrives" "$(grep -c '"refused"' "$work/h.body")" 1

# ---- kill -9 while a POST waits for its answer: at-least-once after a restart
walcap_stop TERM
assert_rc "SIGTERM: exit 0" "$WALCAP_RC" 0
hs_ctl '[{}, {}, {"hold":true}]'
walcap_start "$work/h.out" "$work/h.err" "$conf" --set sink.http.batch.max.events=50
wait_until 20 grep -q "streaming from slot" "$work/h.err"
psql_admin >/dev/null <<'SQL'
INSERT INTO public.w SELECT g, 'k' FROM generate_series(1001, 1100) g;
INSERT INTO public.w SELECT g, 'k' FROM generate_series(1101, 1200) g;
INSERT INTO public.w SELECT g, 'k' FROM generate_series(1201, 1300) g;
SQL
held() { [ "$(hs_stat held)" = 1 ]; }
wait_until 20 held
sleep 0.5
walcap_stop KILL
killed_at=$(lsn_dec "$(slot_lsn)")
hs_ctl '[{"release":true}]'
assert_eq "kill -9: the rows of the held POST and after are not confirmed" \
    "$(( killed_at < $(lsn_dec "$(current_lsn)") ))" 1
walcap_start "$work/h.out" "$work/h.err" "$conf" --set sink.http.batch.max.events=50
wait_until 30 caught_up
assert_eq "kill -9, restart: all 300 rows arrived" \
    "$(ids w "$work/h.body" | awk '$1 > 1000' | sort -un | wc -l)" 300
walcap_stop TERM

# ---- a change on a quiet database is POSTed at once, not at the next status update (10 s)
walcap_start "$work/h.out" "$work/q.err" "$conf" --set status.update.interval.ms=10000
wait_until 20 grep -q "streaming from slot" "$work/q.err"
sleep 0.5
t0=$(date +%s%N)
psql_admin -c "INSERT INTO public.items VALUES (7, 'quiet')" >/dev/null
wait_until 10 grep -q '"quiet"' "$work/h.body"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "a quiet database: the event POSTed within 2 s ($ms ms), not at the status update" "$(( ms < 2000 ))" 1
# idle, nothing in flight: no busy loop
ticks() { awk '{print $14 + $15}' "/proc/$WALCAP_PID/stat"; }
c0=$(ticks); sleep 2; c1=$(ticks)
assert_eq "idle: walcap sleeps ($((c1 - c0)) ticks of CPU in 2 s)" "$(( c1 - c0 < 20 ))" 1
walcap_stop TERM
assert_rc "SIGTERM: exit 0" "$WALCAP_RC" 0

# ---- JSON arrays: bodies of batch.max.events at most, the same events
hs_stop
hs_start a
walcap_conf "$work/a.conf" sink.type=http "sink.http.url=$HS_URL/ingest" status.update.interval.ms=200 \
    sink.http.format=array sink.http.batch.max.events=3 sink.http.batch.max.bytes=2048
walcap_start "$work/a.out" "$work/a.err" "$work/a.conf"
wait_until 20 grep -q "streaming from slot" "$work/a.err"
psql_admin -c "INSERT INTO public.items SELECT g, 'arr' || g FROM generate_series(11, 17) g" >/dev/null
wait_until 20 caught_up
assert_eq "arrays: 7 events in bodies of 3, 3 and 1" "$(jq -c 'length' "$work/a.body" | tr '\n' ' ')" "3 3 1 "
assert_eq "arrays: application/json" "$(jq -r .ctype "$work/a.log" | sort -u)" application/json
assert_eq "arrays: the events in order" "$(ids items "$work/a.body" | tr '\n' ' ')" "11 12 13 14 15 16 17 "
assert_eq "arrays: each event as the stdout sink writes it" \
    "$(jq -c '.[] | [.op, .after, .source.table]' "$work/a.body" | head -1)" '["c",{"id":11,"name":"arr11"},"items"]'
# sink.http.batch.max.bytes: a body closes before it would pass it; a larger event goes alone
psql_admin -c "INSERT INTO public.items VALUES (30, 'small'), (31, repeat('x', 3000)), (32, 'small')" >/dev/null
wait_until 20 caught_up
assert_eq "arrays, 2 KiB bodies: the 3 KiB event alone, between the others" \
    "$(jq -c '[length, .[0].after.id]' "$work/a.body" | tail -n 3 | tr '\n' ' ')" "[1,30] [1,31] [1,32] "
walcap_stop TERM
hs_stop

# ---- TLS: verified against the test CA (the token from sink.http.authorization.file); a wrong CA stops walcap
tls_certs "$work/tls" DNS:localhost IP:127.0.0.1 || { t_fail "tls_certs"; t_done; }
hs_start t --tls "$work/tls/server.crt" "$work/tls/server.key"
printf 'Bearer %s\n' "$WALCAP_TEST_HTTP_TOKEN" >"$WALCAP_TEST_SECRETS_DIR/token"
walcap_conf "$work/t.conf" sink.type=http "sink.http.url=$HS_URL/ingest" status.update.interval.ms=200 \
    "sink.http.ssl.ca.location=$work/tls/ca.crt" "sink.http.authorization.file=$WALCAP_TEST_SECRETS_DIR/token"
WALCAP_SINK_HTTP_AUTHORIZATION='' walcap_start "$work/t.out" "$work/t.err" "$work/t.conf"
wait_until 20 grep -q "streaming from slot" "$work/t.err"
psql_admin -c "INSERT INTO public.items VALUES (20, 'tls')" >/dev/null
wait_until 20 caught_up
assert_eq "https, the test CA: the event arrives, with the token from its file" \
    "$(jq -c '[.after.id, .after.name]' "$work/t.body")|$(jq -r .auth "$work/t.log" | sort -u)" '[20,"tls"]|ok'
walcap_stop TERM
psql_admin -c "INSERT INTO public.items VALUES (21, 'other ca')" >/dev/null
out=$(WALCAP_SINK_HTTP_AUTHORIZATION='' WALCAP_TIMEOUT=30 walcap_run "$work/t.conf" \
    --set "sink.http.ssl.ca.location=$work/tls/other-ca.crt" 2>&1); rc=$?
assert_rc "https, a CA that did not sign the server's certificate: exit 1" "$rc" 1
assert_match "https, a wrong CA: the certificate not verified, and what to set" "$(grep ERROR <<<"$out")" \
    "^walcap: ERROR: HTTP sink: POST $HS_URL/ingest failed: .*certificate.* \\(curl error 60\\); the receiver's TLS certificate could not be verified: set sink.http.ssl.ca.location to the CA certificate that signed it"
assert_eq "https, a wrong CA: nothing received" "$(grep -c '"other ca"' "$work/t.body")" 0
hs_stop

assert_eq "no sanitizer report (an ASan build: WALCAP=build/asan/walcap)" \
    "$(cat "$work"/*.err | grep -cE 'AddressSanitizer|LeakSanitizer|runtime error')" 0
assert_eq "the token never in walcap's output" \
    "$(cat "$work"/*.err "$work"/*.out | grep -c "$WALCAP_TEST_HTTP_TOKEN")" 0
t_done

#!/usr/bin/env bash
# The Redis Streams sink against Debian's redis-server, started here on a
# free port with a password, an ACL user and an AOF fsync'd at every
# write: configuration errors (exit 2, naming the key), a wrong or
# missing password (exit 1, the fix, never the password), every op on
# its table's stream with its key in both message formats (the values
# byte for byte what the stdout sink writes), tombstones, null keys,
# logical messages, Redis restarted (SHUTDOWN, and kill -9) and walcap
# killed (-9) while rows stream — every row arrives —, OOM answers retried
# until Redis has room, error answers that stop walcap (NOPERM,
# WRONGTYPE) with nothing after them confirmed, and
# TLS: verified against the test CA; another CA or another name refused.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"

work=$T_TMP
pg_start
psql_admin -d postgres -c "CREATE DATABASE rdb" >/dev/null
PG_DB=rdb
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.items (id int PRIMARY KEY, name text);
CREATE TABLE public.cmp (id int PRIMARY KEY, v text, n numeric(8,2), at timestamptz);
CREATE TABLE public.ext (id int PRIMARY KEY, v text);
CREATE TABLE public.nokey (v text);
CREATE TABLE public.w (id int PRIMARY KEY);
CREATE TABLE public.wt (id int PRIMARY KEY);
SQL
seed_setup rdb
redis_start || { t_fail "redis-server starts"; t_done; }

conf=$work/r.conf
walcap_conf "$conf" sink.type=redis "sink.redis.address=127.0.0.1:$REDIS_PORT" topic.prefix=r \
    status.update.interval.ms=200 sink.redis.retry.max.delay.ms=1000
# walcap_start passes the environment on: the Redis password from it
export WALCAP_SINK_REDIS_PASSWORD=$WALCAP_TEST_REDIS_PASSWORD
caught_up() {   # the slot confirmed everything written so far
    [ "$(psql_admin -c "SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = '$SEED_SLOT'")" = t ]
}
# KEY<TAB>[op, before, after] per entry, or KEY<TAB>VALUE for a value that is not an event
entries() {   # STREAM
    stream_entries "$1" | jq -r '.[0] + "\t" + (.[1] | (fromjson? | [.op, .before, .after] | tojson) // .)'
}
# walcap run in the foreground: stderr in $out, status in $rc; the Redis
# password is $RPW's when that is set (empty: none)
run_fg() {   # ARGS...
    out=$(WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD WALCAP_SINK_REDIS_PASSWORD=${RPW-$WALCAP_TEST_REDIS_PASSWORD} \
        timeout 30 "$WALCAP" run "$@" 2>&1 </dev/null >"$work/fg.out"); rc=$?
}

# ---- configuration errors: exit 2 before connecting, naming the key
run_fg -c "$conf" --set sink.redis.address=
assert_rc "no address: exit 2" "$rc" 2
assert_eq "no address: what to set" "$out" \
    'walcap: ERROR: sink.redis.address is required when sink.type is redis (host:port of the Redis server)'
run_fg -c "$conf" --set sink.redis.address=localhost
assert_rc "address without a port: exit 2" "$rc" 2
assert_eq "address without a port: the key and the form" "$out" \
    'walcap: ERROR: config: --set: sink.redis.address: "localhost" is not an address; write host:port or [ipv6]:port (port 1-65535)'
run_fg -c "$conf" --set sink.redis.message.format=json
assert_rc "bad message.format: exit 2" "$rc" 2
assert_eq "bad message.format: the allowed values" "$out" \
    'walcap: ERROR: config: --set: sink.redis.message.format: "json" is not one of compact, extended'
run_fg -c "$conf" --set sink.redis.batch.size=0
assert_rc "batch.size 0: exit 2" "$rc" 2
assert_eq "batch.size 0: the range" "$out" \
    'walcap: ERROR: config: --set: sink.redis.batch.size: "0" is not an integer from 1 to 1000000'
run_fg -c "$conf" --set "sink.redis.ssl.ca.location=$work/ca.crt"
assert_rc "a CA without TLS: exit 2" "$rc" 2
assert_eq "a CA without TLS: the key to set" "$out" \
    'walcap: ERROR: sink.redis.ssl.ca.location is set but sink.redis.ssl.enabled is false: set sink.redis.ssl.enabled=true, or remove the key'
run_fg -c "$conf" --set sink.redis.ssl.enabled=true --set "sink.redis.ssl.ca.location=$work/none.crt"
assert_rc "an unreadable CA file: exit 2" "$rc" 2
assert_eq "an unreadable CA file: the key and the file" "$out" \
    "walcap: ERROR: sink.redis.ssl.ca.location: cannot read \"$work/none.crt\": No such file or directory"
RPW= run_fg -c "$conf" --set sink.redis.user=walcap
assert_rc "a user without a password: exit 2" "$rc" 2
assert_match "a user without a password: where to give it" "$out" \
    'sink\.redis\.user is set without a password: set sink\.redis\.password, sink\.redis\.password\.file or WALCAP_SINK_REDIS_PASSWORD'
RPW= run_fg -c "$conf" --set sink.redis.password=hunter2
assert_rc "the password on the command line: exit 2" "$rc" 2
assert_match "the password on the command line: refused" "$out" 'sink\.redis\.password cannot be given on the command line'
assert_eq "the password on the command line: never printed" "$(grep -c hunter2 <<<"$out")" 0
run_fg -c "$conf" --print-config
out=$(cat "$work/fg.out")
assert_match "--print-config: the password masked, and where it came from" "$out" \
    '^sink\.redis\.password = \*\*\*\*\*\*\*\* \(from WALCAP_SINK_REDIS_PASSWORD\)$'

# ---- a wrong password, or none: exit 1 with the fix, before streaming
RPW=wrong-password-123 run_fg -c "$conf"
assert_rc "wrong password: exit 1" "$rc" 1
assert_match "wrong password: Redis's answer and the keys to check" "$out" \
    "^walcap: ERROR: Redis at 127\.0\.0\.1:$REDIS_PORT refused AUTH: WRONGPASS invalid username-password pair or user is disabled\.; check sink\.redis\.user and sink\.redis\.password"
assert_eq "wrong password: never printed" "$(grep -c wrong-password-123 <<<"$out")" 0
RPW= run_fg -c "$conf"
assert_rc "no password: exit 1" "$rc" 1
assert_match "no password: NOAUTH and the key to set" "$out" \
    "refused PING: NOAUTH Authentication required\.; Redis wants a password: set sink\.redis\.password"

# ---- compact: every op on its table's stream, with its key
walcap_start "$work/r.out" "$work/r.err" "$conf"
wait_until 20 grep -q "streaming from slot" "$work/r.err"
assert_match "connected to Redis first" "$(cat "$work/r.err")" "INFO: Redis at 127\.0\.0\.1:$REDIS_PORT: connected"
psql_admin -c "SELECT pg_create_logical_replication_slot('cmp_slot', 'pgoutput')" >/dev/null
psql_admin >/dev/null <<'SQL'
INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
UPDATE public.items SET name = 'c' WHERE id = 1;
UPDATE public.items SET id = 3 WHERE id = 2;
DELETE FROM public.items WHERE id = 1;
TRUNCATE public.items;
INSERT INTO public.nokey VALUES ('x');
INSERT INTO public.cmp SELECT g, 'v' || g, g * 1.5, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 hour'
    FROM generate_series(1, 50) g;
UPDATE public.cmp SET v = upper(v) WHERE id % 2 = 0;
DELETE FROM public.cmp WHERE id > 40;
SELECT pg_logical_emit_message(true, 'audit', 'hello');
SQL
end_lsn=$(current_lsn)
wait_until 20 caught_up
assert_eq "items: keys, values; a key change as delete + tombstone + create; a tombstone after the delete; truncate with the null key" \
    "$(entries r.public.items)" \
'{"id":1}	["c",null,{"id":1,"name":"a"}]
{"id":2}	["c",null,{"id":2,"name":"b"}]
{"id":1}	["u",null,{"id":1,"name":"c"}]
{"id":2}	["d",{"id":2},null]
{"id":2}	default
{"id":3}	["c",null,{"id":3,"name":"b"}]
{"id":1}	["d",{"id":1},null]
{"id":1}	default
default	["t",null,null]'
assert_eq "a table without a primary key: the null key" "$(entries r.public.nokey)" \
    'default	["c",null,{"v":"x"}]'
assert_eq "logical-decoding message: <prefix>.message, keyed by its prefix" \
    "$(stream_entries r.message | jq -c '[.[0], (.[1] | fromjson | .message)]')" \
    '["{\"prefix\":\"audit\"}",{"prefix":"audit","content":"aGVsbG8="}]'
assert_eq "one field per entry (compact)" "$(stream_entries r.public.cmp | jq 'length' | sort -u)" 2
# the same changes through the stdout sink, from a slot of their own
walcap_conf "$work/s.conf" slot.name=cmp_slot topic.prefix=r
WALCAP_TIMEOUT=30 walcap_run "$work/s.conf" --endpos "$end_lsn" >"$work/s.out" 2>"$work/s.err"
assert_rc "stdout run: exit 0" "$?" 0
assert_eq "cmp: 95 entries (50 inserts, 25 updates, 10 deletes and their tombstones)" \
    "$(stream_entries r.public.cmp | wc -l)" 95
assert_eq "cmp: each value is, byte for byte, the event the stdout sink writes (but its ts_ms)" \
    "$(stream_entries r.public.cmp | jq -r 'select(.[1] != "default") | .[1]' | sed 's/,"ts_ms":[0-9]*}$/}/')" \
    "$(jq -c 'select(.source.table == "cmp")' "$work/s.out" | sed 's/,"ts_ms":[0-9]*}$/}/')"
assert_eq "cmp: each key is the row's key" \
    "$(stream_entries r.public.cmp | jq -r 'select(.[1] != "default") | .[0]' | md5sum)" \
    "$(jq -c 'select(.source.table == "cmp") | {id: (.after // .before).id}' "$work/s.out" | md5sum)"
assert_eq "the sink is Redis: nothing on standard output" "$(wc -c <"$work/r.out")" 0

# ---- Redis restarts while rows stream: every row arrives
workload() {   # FIRST LAST: 100-row transactions, 40 ms apart
    psql_admin -c "DO \$\$ BEGIN FOR lo IN $1..$2 BY 100 LOOP
        INSERT INTO public.w SELECT g FROM generate_series(lo, least(lo + 99, $2)) g; COMMIT;
        PERFORM pg_sleep(0.04); END LOOP; END \$\$" >/dev/null
}
w_more() { [ "$(rcli XLEN r.public.w)" -gt "$1" ]; }   # the stream w has more than N entries
w_check() {   # N NAME: the stream w holds every id 1..N, each at least once
    assert_eq "$2: every row arrived" \
        "$(stream_entries r.public.w | jq -r '.[1] | fromjson | .after.id' | sort -nu | awk -v n="$1" '$1 == NR {k++} END {print k + 0, NR}')" \
        "$1 $1"
}
workload 1 10000 &
wl=$!
wait_until 20 w_more 1000
redis_stop
before=$(psql_admin -c "SELECT count(*) FROM public.w")
sleep 1
redis_restart || t_fail "redis-server starts again"
wait $wl
assert_match "Redis stopped mid-stream, rows still being written" "$before" '^[0-9]+$'
[ "$before" -lt 10000 ] && t_ok "the workload was not over when Redis stopped ($before rows)" ||
    t_fail "the workload was over before Redis stopped"
wait_until 60 caught_up
w_check 10000 "Redis restarted (SHUTDOWN)"
assert_match "the lost connection is a WARNING, with what goes again" "$(cat "$work/r.err")" \
    "WARNING: Redis at 127\.0\.0\.1:$REDIS_PORT: connection lost: .*; reconnecting in [0-9]+ ms \([0-9]+ commands without an answer are sent again\)"
assert_match "each failed attempt is a WARNING" "$(cat "$work/r.err")" \
    "WARNING: Redis at 127\.0\.0\.1:$REDIS_PORT: cannot connect: Connection refused; attempt 1 failed, next in [0-9]+ ms"
assert_match "connected again" "$(cat "$work/r.err")" "INFO: Redis at 127\.0\.0\.1:$REDIS_PORT: connected again"

# kill -9 of Redis: with appendfsync always, what it answered is on its disk
workload 10001 16000 &
wl=$!
wait_until 20 w_more 11000
redis_kill
sleep 0.5
redis_restart || t_fail "redis-server starts again after kill -9"
wait $wl
wait_until 60 caught_up
w_check 16000 "Redis killed (-9)"

# ---- walcap killed (-9) while rows stream, then started again: every row arrives
workload 16001 22000 &
wl=$!
wait_until 20 w_more 17000
kill -KILL "$WALCAP_PID"
wait "$WALCAP_PID" 2>/dev/null
WALCAP_PID=
walcap_start "$work/r.out" "$work/r.err" "$conf"
wait $wl
wait_until 60 caught_up
w_check 22000 "walcap killed (-9) and started again"

# ---- Redis at its maxmemory answers OOM: retried (a WARNING each time) until there is room
rcli CONFIG SET maxmemory 1mb >/dev/null
workload 22001 22500
oom_warned() { grep -q "XADD to stream \"r.public.w\" answered: OOM command not allowed" "$work/r.err"; }
wait_until 20 oom_warned
assert_match "OOM: a WARNING with the fix, and a retry" "$(grep OOM "$work/r.err" | head -1)" \
    'WARNING: Redis at 127\.0\.0\.1:[0-9]+: XADD to stream "r\.public\.w" answered: OOM command not allowed .*; Redis is at its maxmemory: .*; reconnecting in [0-9]+ ms'
rcli CONFIG SET maxmemory 0 >/dev/null
wait_until 60 caught_up
w_check 22500 "OOM, then room again"
walcap_stop
assert_eq "it stops cleanly" "$WALCAP_RC" 0

# ---- extended: fields key and value; null.key; tombstones.on.delete=false
psql_admin >/dev/null <<'SQL'
INSERT INTO public.ext VALUES (1, 'a');
DELETE FROM public.ext WHERE id = 1;
TRUNCATE public.ext;
SQL
run_fg -c "$conf" --set sink.redis.message.format=extended --set sink.redis.null.key=NULLKEY \
    --set tombstones.on.delete=false --endpos "$(current_lsn)"
assert_rc "extended: exit 0 at --endpos" "$rc" 0
assert_eq "extended: key and value fields; no tombstone; the null key" \
    "$(stream_entries r.public.ext | jq -c '[.[0], .[1], .[2], (.[3] | fromjson | [.op, .before, .after])]')" \
'["key","{\"id\":1}","value",["c",null,{"id":1,"v":"a"}]]
["key","{\"id\":1}","value",["d",{"id":1},null]]
["key","NULLKEY","value",["t",null,null]]'

# ---- transforms=unwrap with delete.handling.mode=none: a delete is an entry
# holding null.value (the tombstone's), flat rows otherwise
psql_admin >/dev/null <<'SQL'
INSERT INTO public.ext VALUES (2, 'b');
DELETE FROM public.ext WHERE id = 2;
SQL
run_fg -c "$conf" --set transforms=unwrap --set transforms.unwrap.delete.handling.mode=none \
    --set tombstones.on.delete=false --set topic.prefix=u --endpos "$(current_lsn)"
assert_rc "unwrap: exit 0 at --endpos" "$rc" 0
assert_eq "unwrap: the flat row, then the delete as null.value" \
    "$(stream_entries u.public.ext | jq -c '.')" \
'["{\"id\":2}","{\"id\":2,\"v\":\"b\"}"]
["{\"id\":2}","default"]'

# ---- an ACL user, its password from a file: allowed on r.*, refused elsewhere
printf '%s\n' "$WALCAP_TEST_REDIS_PASSWORD" >"$WALCAP_TEST_SECRETS_DIR/redis.pw"
walcap_conf "$work/acl.conf" sink.type=redis "sink.redis.address=127.0.0.1:$REDIS_PORT" topic.prefix=r \
    sink.redis.user=walcap "sink.redis.password.file=$WALCAP_TEST_SECRETS_DIR/redis.pw"
psql_admin -c "INSERT INTO public.items VALUES (10, 'acl')" >/dev/null
RPW= run_fg -c "$work/acl.conf" --endpos "$(current_lsn)"
assert_rc "ACL user: exit 0" "$rc" 0
assert_eq "ACL user: the row arrived" "$(entries r.public.items | tail -1)" '{"id":10}	["c",null,{"id":10,"name":"acl"}]'
psql_admin -c "INSERT INTO public.items VALUES (11, 'x')" >/dev/null
RPW= run_fg -c "$work/acl.conf" --set topic.prefix=x
assert_rc "NOPERM: exit 1" "$rc" 1
assert_match "NOPERM: the stream, Redis's answer and the fix" "$out" \
    '^walcap: ERROR: Redis at 127\.0\.0\.1:[0-9]+ refused XADD to stream "x\.public\.items": NOPERM .*; the ACL user \(sink\.redis\.user\) needs the xadd command'
lsn_dec() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }
failed_confirmed=$(lsn_dec "$(slot_lsn)")

# ---- an answer that retrying cannot mend: WRONGTYPE; once mended, the row arrives
rcli SET r.public.wt not-a-stream >/dev/null
psql_admin -c "INSERT INTO public.wt VALUES (7)" >/dev/null
end_lsn=$(current_lsn)
run_fg -c "$conf"
assert_rc "WRONGTYPE: exit 1" "$rc" 1
assert_match "WRONGTYPE: the stream, Redis's answer and the fix" "$out" \
    'refused XADD to stream "r\.public\.wt": WRONGTYPE Operation against a key holding the wrong kind of value; the key already holds something other than a stream: delete or rename it'
rcli DEL r.public.wt >/dev/null
run_fg -c "$conf" --endpos "$end_lsn"
assert_rc "mended: exit 0" "$rc" 0
assert_eq "mended: the row arrived" "$(entries r.public.wt)" '{"id":7}	["c",null,{"id":7}]'
assert_eq "mended: and the row refused before it (NOPERM) too" "$(entries r.public.items | tail -1)" \
    '{"id":11}	["c",null,{"id":11,"name":"x"}]'
row11=$(stream_entries r.public.items | jq -r '.[1] | fromjson? | select(.after.id == 11) | .source.lsn' | head -1)
assert_eq "NOPERM: the slot was not confirmed past the row ($failed_confirmed <= $row11)" \
    "$(( failed_confirmed <= row11 ))" 1

# ---- TLS: verified against the test CA; another CA, another name: refused
tls_certs "$work/tls" DNS:localhost
redis_stop
redis_start --tls "$work/tls" || t_fail "redis-server with TLS starts"
walcap_conf "$work/tls.conf" sink.type=redis "sink.redis.address=localhost:$REDIS_PORT" topic.prefix=r \
    sink.redis.ssl.enabled=true "sink.redis.ssl.ca.location=$work/tls/ca.crt"
psql_admin -c "INSERT INTO public.items VALUES (20, 'tls')" >/dev/null
run_fg -c "$work/tls.conf" --endpos "$(current_lsn)"
assert_rc "TLS: exit 0" "$rc" 0
assert_match "TLS: connected with TLS" "$out" "INFO: Redis at localhost:$REDIS_PORT: connected \(TLS"
assert_eq "TLS: the row arrived" "$(entries r.public.items | tail -1)" '{"id":20}	["c",null,{"id":20,"name":"tls"}]'
run_fg -c "$work/tls.conf" --set "sink.redis.ssl.ca.location=$work/tls/other-ca.crt"
assert_rc "TLS, another CA: exit 1" "$rc" 1
assert_match "TLS, another CA: not verified, and the key to set" "$out" \
    "^walcap: ERROR: TLS: the certificate of Redis at localhost:$REDIS_PORT was not verified: .*; set sink\.redis\.ssl\.ca\.location to the CA certificate that signed it"
run_fg -c "$work/tls.conf" --set "sink.redis.address=127.0.0.1:$REDIS_PORT"
assert_rc "TLS, another name: exit 1" "$rc" 1
assert_match "TLS, another name: not issued for it" "$out" \
    "^walcap: ERROR: TLS: the certificate of Redis at 127\.0\.0\.1:$REDIS_PORT is not issued for \"127\.0\.0\.1\""
run_fg -c "$work/tls.conf" --set sink.redis.ssl.enabled=false --set sink.redis.ssl.ca.location= \
    --set sink.redis.connection.timeout.ms=1000 --endpos "$(current_lsn)"
assert_match "plain to a TLS port: a WARNING that says what may be wrong" "$out" \
    'WARNING: Redis at localhost:[0-9]+: .* before answering \(a TLS port\? then set sink\.redis\.ssl\.enabled=true\); attempt 1 failed'
t_done

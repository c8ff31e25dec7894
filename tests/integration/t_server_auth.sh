#!/usr/bin/env bash
# walcap server's REST API against bad input and concurrent writers, and its
# security: exact 400/404/405/409/413 answers; 20 parallel PUT config requests
# leave a consistent state directory that a restarted server loads; a
# non-loopback listen address needs the bearer token (401 without it); HTTPS
# with server.tls.*; a locked state directory and an unknown server.* key
# stop a second server with their message.  No PostgreSQL: the connectors'
# children fail to connect, which changes nothing here.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

port=$(_lib_pick_port)
SRV_URL=http://127.0.0.1:$port
state=$T_TMP/state
d=$T_TMP/bodies
mkdir -p "$d"
# Nothing listens on dead_port: each child fails to connect, and waits long
# before its next attempt.
dead_port=$(_lib_pick_port)
cat >"$T_TMP/server.properties" <<EOF
server.listen=127.0.0.1:$port
server.state.dir=$state
server.max.body.bytes=4096
server.restart.backoff.initial.ms=600000
sink.type=file
sink.file.path=$T_TMP/events.jsonl
EOF
srv_start "$T_TMP/server.properties" && t_ok "walcap server starts" ||
    { t_fail "walcap server starts"; cat "$T_TMP/server.err"; t_done; }

conf() {   # [jq object to merge]: a valid connector configuration (with the password)
    jq -n --arg pw "$WALCAP_TEST_PASSWORD" --arg port "$dead_port" --argjson more "${1:-{\}}" '{
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1", "database.port": $port,
        "database.user": "streamkap_user", "database.password": $pw,
        "database.dbname": "inventory", "topic.prefix": "p"} + $more'
}
invalid() {   # MESSAGE: Kafka Connect's 400 for a configuration that does not validate
    jq -cn --arg m "$1" '{error_code: 400, message: ("Connector configuration is invalid and contains the following 1 error(s):\n" + $m + "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")}'
}

# ------------------------------------------------------------------ bad bodies
printf '{"name":"x",' >"$d/malformed"
http_is "malformed JSON: 400" POST /connectors "$d/malformed" 400 \
    '{"error_code":400,"message":"the request body is not valid JSON: string or '"'"'}'"'"' expected near end of file (line 1, column 12)"}'
http_is "PUT config, malformed JSON: 400" PUT /connectors/x/config "$d/malformed" 400 \
    '{"error_code":400,"message":"the request body is not valid JSON: string or '"'"'}'"'"' expected near end of file (line 1, column 12)"}'
http_is "no body: 400" POST /connectors '' 400 '{"error_code":400,"message":"the request needs a JSON body"}'
printf '{"name":"x","name":"y","config":{}}' >"$d/dup-key"
http_is "a key twice: 400" POST /connectors "$d/dup-key" 400 \
    '{"error_code":400,"message":"the request body is not valid JSON: duplicate object key near '"'"'\"name\"'"'"' (line 1, column 18)"}'
jq -n '{config: {"database.user": "u"}}' >"$d/no-name"
http_is "no name: 400" POST /connectors "$d/no-name" 400 \
    '{"error_code":400,"message":"the body must be {\"name\": \"...\", \"config\": {...}}"}'
jq -n '{name: "x"}' >"$d/no-config"
http_is "no config: 400" POST /connectors "$d/no-config" 400 \
    '{"error_code":400,"message":"the body has no \"config\" object"}'
jq -n '{name: "x", config: ["a"]}' >"$d/config-array"
http_is "config not an object: 400" POST /connectors "$d/config-array" 400 \
    '{"error_code":400,"message":"the connector configuration must be a JSON object of string values"}'
jq -n '{name: "x", config: {"database.port": {"a": 1}}}' >"$d/config-nested"
http_is "a value that is an object: 400 naming the key" POST /connectors "$d/config-nested" 400 \
    '{"error_code":400,"message":"database.port: the value must be a string"}'
jq -n '[1]' >"$d/array"
http_is "a body that is an array: 400" POST /connectors "$d/array" 400 \
    '{"error_code":400,"message":"the body must be {\"name\": \"...\", \"config\": {...}}"}'
(umask 077; jq -n --argjson c "$(conf '{"no.such.key": "1"}')" '{name: "x", config: $c}' >"$WALCAP_TEST_SECRETS_DIR/unknown.json")
http_is "unknown key: 400 naming it" POST /connectors "$WALCAP_TEST_SECRETS_DIR/unknown.json" 400 \
    "$(invalid 'unknown key "no.such.key"')"
(umask 077; jq -n --argjson c "$(conf '{"tasks.max": "2"}')" '{name: "x", config: $c}' >"$WALCAP_TEST_SECRETS_DIR/tasks.json")
http_is "tasks.max=2: 400 naming it" POST /connectors "$WALCAP_TEST_SECRETS_DIR/tasks.json" 400 \
    "$(invalid 'tasks.max: "2" is not supported (only "1"): a replication slot is read by one process, so a connector runs one task')"
(umask 077; jq -n --argjson c "$(conf '{"name": "other"}')" '{name: "x", config: $c}' >"$WALCAP_TEST_SECRETS_DIR/name.json")
http POST /connectors "$WALCAP_TEST_SECRETS_DIR/name.json"
assert_match "config.name is not the connector's name: 400 naming the key" "$H_CODE $H_BODY" \
    '^400 \{"error_code":400,"message":"Connector configuration is invalid and contains the following 1 error\(s\):\\nname: '
conf '{"sink.type": "stdout"}' >"$WALCAP_TEST_SECRETS_DIR/stdout.json"
http_is "sink.type=stdout: 400" PUT /connectors/x/config "$WALCAP_TEST_SECRETS_DIR/stdout.json" 400 \
    "$(invalid 'sink.type: stdout has no reader under walcap server; set sink.type=kafka (with kafka.bootstrap.servers), http (with sink.http.url), redis (with sink.redis.address) or file (with sink.file.path), in the connector'"'"'s configuration or in the server'"'"'s file')"
head -c 5000 /dev/zero | tr '\0' ' ' >"$d/big"
http_is "a body over server.max.body.bytes: 413" POST /connectors "$d/big" 413 \
    '{"error_code":413,"message":"the request body is larger than 4096 bytes"}'
http_is "PUT config over server.max.body.bytes: 413" PUT /connectors/x/config "$d/big" 413 \
    '{"error_code":413,"message":"the request body is larger than 4096 bytes"}'
http_is "nothing was created" GET /connectors '' 200 '[]'

# ------------------------------------------------------------------ names
nx=$(printf 'x%.0s' {1..129})
n128=${nx:1}
for n in 'a/b' '..' '.hidden' "$nx" 'a b' 'é'; do
    case "$n" in
        .*) why="a connector name cannot start with '.'" ;;
        "$nx") why="a connector name is 1 to 128 bytes long" ;;
        *) why="a connector name is made of letters, digits, '.', '_' and '-'" ;;
    esac
    jq -n --arg n "$n" --argjson c "$(conf)" '{name: $n, config: $c}' >"$WALCAP_TEST_SECRETS_DIR/n.json"
    http_is "POST name '${n:0:12}': 400" POST /connectors "$WALCAP_TEST_SECRETS_DIR/n.json" 400 \
        "$(jq -cn --arg n "$n" --arg w "$why" '{error_code: 400, message: ("connector name \"" + $n + "\": " + $w)}')"
    enc=$(jq -rn --arg n "$n" '$n | @uri')
    http GET "/connectors/$enc"
    case "$n" in
        # %2F is decoded before routing: /connectors/a/b is connector a's "b"
        a/b) want='{"error_code":404,"message":"Connector a not found"}' ;;
        *) want=$(jq -cn --arg n "$n" '{error_code: 404, message: ("Connector " + $n + " not found")}') ;;
    esac
    assert_eq "GET name '${n:0:12}': 404" "$H_CODE $H_BODY" "404 $want"
    conf >"$WALCAP_TEST_SECRETS_DIR/c.json"
    http PUT "/connectors/$enc/config" "$WALCAP_TEST_SECRETS_DIR/c.json"
    case "$n" in
        a/b) assert_eq "PUT config name 'a/b': 404 (four segments)" "$H_CODE $H_BODY" \
                 '404 {"error_code":404,"message":"HTTP 404 Not Found"}' ;;
        *) assert_eq "PUT config name '${n:0:12}': 400" "$H_CODE $H_BODY" \
               "400 $(jq -cn --arg n "$n" --arg w "$why" '{error_code: 400, message: ("connector name \"" + $n + "\": " + $w)}')" ;;
    esac
done
http_is "nothing was created by a bad name" GET /connectors '' 200 '[]'
assert_eq "the state directory has no connector" "$(ls -A "$state/connectors")" ""
jq -n --arg n "$n128" --argjson c "$(conf)" '{name: $n, config: $c}' >"$WALCAP_TEST_SECRETS_DIR/n128.json"
http POST /connectors "$WALCAP_TEST_SECRETS_DIR/n128.json"
assert_eq "a 128-byte name is accepted: 201" "$H_CODE" 201
http_is "POST it again: 409" POST /connectors "$WALCAP_TEST_SECRETS_DIR/n128.json" 409 \
    "{\"error_code\":409,\"message\":\"Connector $n128 already exists\"}"
http_is "DELETE it: 204" DELETE "/connectors/$n128" '' 204 ''

# ------------------------------------------------------------------ paths, methods
http_is "unknown path: 404" GET /nope '' 404 '{"error_code":404,"message":"HTTP 404 Not Found"}'
http_is "unknown connector: 404" GET /connectors/nope/status '' 404 '{"error_code":404,"message":"Connector nope not found"}'
for req in "PUT /connectors/nope/pause" "PUT /connectors/nope/resume" "POST /connectors/nope/restart" \
           "DELETE /connectors/nope" "GET /connectors/nope/offsets" "GET /connectors/nope/config"; do
    http_is "$req: 404" ${req% *} "${req#* }" '' 404 '{"error_code":404,"message":"Connector nope not found"}'
done
http_is "DELETE /connectors: 405" DELETE /connectors '' 405 '{"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
http_is "POST /connector-plugins: 405" POST /connector-plugins '' 405 '{"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
http_is "GET .../config/validate: 405" GET /connector-plugins/x/config/validate '' 405 \
    '{"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
http_is "POST /: 405" POST / '' 405 '{"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
conf >"$WALCAP_TEST_SECRETS_DIR/x.json"
http PUT /connectors/x/config "$WALCAP_TEST_SECRETS_DIR/x.json"
assert_eq "PUT config of x: 201" "$H_CODE" 201
for req in "PATCH /connectors/x" "POST /connectors/x/status" "GET /connectors/x/pause" "GET /connectors/x/restart" \
           "POST /connectors/x/config" "DELETE /connectors/x/offsets"; do
    http_is "$req: 405" ${req% *} "${req#* }" '' 405 '{"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
done
http_is "GET /connectors/x/nope: 404" GET /connectors/x/nope '' 404 '{"error_code":404,"message":"HTTP 404 Not Found"}'
http_is "GET /connectors/x/a/b: 404" GET /connectors/x/a/b '' 404 '{"error_code":404,"message":"HTTP 404 Not Found"}'
http_is "DELETE x: 204" DELETE /connectors/x '' 204 ''

# ------------------------------------------------------------------ concurrency
# 20 PUT config requests at once: c0..c9 each once, "same" ten times with
# ten topic prefixes.
for i in $(seq 0 9); do
    conf "{\"topic.prefix\": \"c$i\"}" >"$WALCAP_TEST_SECRETS_DIR/c$i.json"
    conf "{\"topic.prefix\": \"same$i\"}" >"$WALCAP_TEST_SECRETS_DIR/same$i.json"
done
pids=()
for i in $(seq 0 9); do
    curl -s --max-time 60 -o "$d/c$i.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data-binary "@$WALCAP_TEST_SECRETS_DIR/c$i.json" "$SRV_URL/connectors/c$i/config" >"$d/c$i.code" &
    pids+=($!)
    curl -s --max-time 60 -o "$d/same$i.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data-binary "@$WALCAP_TEST_SECRETS_DIR/same$i.json" "$SRV_URL/connectors/same/config" >"$d/same$i.code" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq "parallel PUT config, ten connectors: each 201" "$(for f in "$d"/c?.code; do cat "$f"; echo; done | sort | uniq -c | tr -s ' ')" " 10 201"
assert_eq "parallel PUT config, one connector: one 201, nine 200" \
    "$(for f in "$d"/same?.code; do cat "$f"; echo; done | sort | uniq -c | tr -s ' ')" " 9 200
 1 201"
names='["c0","c1","c2","c3","c4","c5","c6","c7","c8","c9","same"]'
http_is "GET /connectors: the eleven, sorted" GET /connectors '' 200 "$names"
consistent() {   # every connector.json parses; GET config = connector.json's config, masked password, name
    local n ok=0 want
    for n in $(jq -r '.[]' <<<"$names"); do
        want=$(jq -cS --arg n "$n" '.config + {"database.password": "********", name: $n}' \
                   "$state/connectors/$n/connector.json" 2>/dev/null) || { echo "$n: connector.json does not parse"; ok=1; continue; }
        http GET "/connectors/$n/config"
        [ "$(jq -cS . <<<"$H_BODY")" = "$want" ] || { echo "$n: GET config differs from connector.json"; ok=1; }
        [ "$(jq -r '.["database.password"] == env.WALCAP_TEST_PASSWORD' "$state/connectors/$n/secrets.json")" = true ] ||
            { echo "$n: secrets.json lacks the password"; ok=1; }
        [ "$(stat -c %a "$state/connectors/$n/secrets.json")" = 600 ] || { echo "$n: secrets.json is not 600"; ok=1; }
    done
    return $ok
}
out=$(consistent); assert_eq "each connector.json parses and matches GET config; secrets.json 600 with the password" "$out" ""
same_prefix=$(jq -r '.config["topic.prefix"]' "$state/connectors/same/connector.json")
assert_match "same: the configuration of one of the ten requests" "$same_prefix" '^same[0-9]$'
assert_eq "same: the last 200/201 answer is what is stored" \
    "$(grep -l "\"topic.prefix\":\"$same_prefix\"" "$d"/same?.out | wc -l)" 1
assert_eq "no temporary file is left" "$(ls -A "$state/tmp")" ""
for i in $(seq 0 9); do
    [ "$(jq -r '.config["topic.prefix"]' "$state/connectors/c$i/connector.json")" = "c$i" ] || t_fail "c$i keeps its own configuration"
done
srv_stop TERM
assert_rc "SIGTERM: exit 0" "$SRV_RC" 0
srv_start "$T_TMP/server.properties" && t_ok "the server restarts on that state" || t_fail "the server restarts on that state"
http_is "the restarted server loads the eleven" GET /connectors '' 200 "$names"
out=$(consistent); assert_eq "after the restart: each GET config matches connector.json" "$out" ""
http GET /connectors/same/config
assert_eq "after the restart: same keeps its topic.prefix" "$(jq -r '.["topic.prefix"]' <<<"$H_BODY")" "$same_prefix"

# ------------------------------------------------------------------ startup errors
port2=$(_lib_pick_port)
printf 'server.listen=127.0.0.1:%s\nserver.state.dir=%s\nsink.type=file\nsink.file.path=%s\n' \
    "$port2" "$state" "$T_TMP/e2" >"$T_TMP/second.properties"
timeout 30 "$WALCAP" server -c "$T_TMP/second.properties" </dev/null >"$T_TMP/second.out" 2>&1; rc=$?
assert_rc "a second server on a locked state directory: exit 1" "$rc" 1
assert_eq "a second server on a locked state directory: the message" "$(cat "$T_TMP/second.out")" \
    "walcap: ERROR: another walcap server uses the state directory $state ($state/server.lock is locked): stop it, or set server.state.dir to another directory"
http_is "the first server still answers" GET /connectors '' 200 "$names"
srv_stop TERM
assert_rc "SIGTERM: exit 0" "$SRV_RC" 0

startup() {   # NAME FILE-CONTENT RC MESSAGE
    printf '%s\n' "$2" >"$T_TMP/bad.properties"
    timeout 30 "$WALCAP" server -c "$T_TMP/bad.properties" </dev/null >"$T_TMP/bad.out" 2>&1
    assert_rc "$1: exit $3" "$?" "$3"
    assert_eq "$1: the message" "$(cat "$T_TMP/bad.out")" "$4"
}
startup "unknown server.* key" "server.state.dir=$T_TMP/s2
server.lissen=127.0.0.1:$port2" 2 \
    "walcap: ERROR: config: $T_TMP/bad.properties:2: unknown key server.lissen (the server's keys are server.listen, server.state.dir, server.auth.token.file, server.tls.cert.file, server.tls.key.file, server.max.body.bytes, server.restart.backoff.initial.ms and server.restart.backoff.max.ms; see docs/server.md)"
startup "a non-loopback address without a token" "server.listen=0.0.0.0:$port2
server.state.dir=$T_TMP/s2" 2 \
    "walcap: ERROR: server.listen 0.0.0.0:$port2 is not a loopback address, and no bearer token is set
walcap: HINT: set server.auth.token.file to a file holding a long random token (and server.tls.cert.file/server.tls.key.file for HTTPS), or listen on 127.0.0.1"
startup "every address (:port) without a token" "server.listen=:$port2
server.state.dir=$T_TMP/s2" 2 \
    "walcap: ERROR: server.listen :$port2 is not a loopback address, and no bearer token is set
walcap: HINT: set server.auth.token.file to a file holding a long random token (and server.tls.cert.file/server.tls.key.file for HTTPS), or listen on 127.0.0.1"
printf 'short\n' >"$T_TMP/short.token"
startup "a token shorter than 16 characters" "server.listen=0.0.0.0:$port2
server.state.dir=$T_TMP/s2
server.auth.token.file=$T_TMP/short.token" 2 \
    "walcap: ERROR: server.auth.token.file $T_TMP/short.token must hold one token of at least 16 characters on one line"
assert_eq "no state directory was made by a refused start" "$(ls -d "$T_TMP/s2" 2>&1)" \
    "ls: cannot access '$T_TMP/s2': No such file or directory"

# ------------------------------------------------------------------ token
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077; printf '%s\n' "$token" >"$T_TMP/token")
cat >"$T_TMP/token.properties" <<EOF
server.listen=0.0.0.0:$port2
server.state.dir=$T_TMP/s3
server.auth.token.file=$T_TMP/token
sink.type=file
sink.file.path=$T_TMP/e3
EOF
SRV_URL=http://127.0.0.1:$port2
SRV_CURL=(-H "Authorization: Bearer $token")
srv_start "$T_TMP/token.properties" "$T_TMP/token.err" && t_ok "0.0.0.0 with a token: starts" ||
    { t_fail "0.0.0.0 with a token: starts"; cat "$T_TMP/token.err"; }
unauth='{"error_code":401,"message":"this server needs its bearer token: send the header \"Authorization: Bearer <token>\" with the token of server.auth.token.file"}'
SRV_CURL=()
http_is "token: no header: 401" GET /connectors '' 401 "$unauth"
http_is "token: no header, POST: 401 (before the body is read)" POST /connectors "$d/malformed" 401 "$unauth"
SRV_CURL=(-H "Authorization: Bearer ${token}x")
http_is "token: a longer token: 401" GET /connectors '' 401 "$unauth"
SRV_CURL=(-H "Authorization: Bearer ${token:0:47}")
http_is "token: a prefix of it: 401" GET /connectors '' 401 "$unauth"
SRV_CURL=(-H "Authorization: Basic $token")
http_is "token: not Bearer: 401" GET /connectors '' 401 "$unauth"
SRV_CURL=(-H "Authorization: Bearer $token")
http_is "token: the right one: 200" GET /connectors '' 200 '[]'
http GET /
assert_match "token: the right one, GET /: 200" "$H_CODE $H_BODY" '^200 \{"version":"[0-9.]+","commit":"","kafka_cluster_id":"walcap"\}$'
if addr=$(lib_global_addr); then
    SRV_URL=http://$addr:$port2
    http_is "token: through $addr, the right one: 200" GET /connectors '' 200 '[]'
    SRV_CURL=()
    http_is "token: through $addr, no header: 401" GET /connectors '' 401 "$unauth"
fi
srv_stop TERM
assert_rc "token server: SIGTERM exit 0" "$SRV_RC" 0
SRV_CURL=()
assert_eq "the token is in no log" "$(grep -rlF --exclude=token -- "$token" "$T_TMP")" ""

# ------------------------------------------------------------------ TLS
tls_certs "$T_TMP/tls" DNS:localhost IP:127.0.0.1 || t_fail "tls_certs"
port3=$(_lib_pick_port)
cat >"$T_TMP/tls.properties" <<EOF
server.listen=127.0.0.1:$port3
server.state.dir=$T_TMP/s4
server.tls.cert.file=$T_TMP/tls/server.crt
server.tls.key.file=$T_TMP/tls/server.key
sink.type=file
sink.file.path=$T_TMP/e4
EOF
SRV_URL=https://localhost:$port3
SRV_CURL=(--cacert "$T_TMP/tls/ca.crt")
srv_start "$T_TMP/tls.properties" "$T_TMP/tls.err" && t_ok "TLS: starts, GET / over https" ||
    { t_fail "TLS: starts, GET / over https"; cat "$T_TMP/tls.err"; }
http_is "TLS: curl --cacert: 200" GET /connectors '' 200 '[]'
assert_match "TLS: the log says https" "$(cat "$T_TMP/tls.err")" \
    "^walcap: INFO: walcap server listening on https://127.0.0.1:$port3 "
SRV_CURL=(--cacert "$T_TMP/tls/other-ca.crt")
http GET /connectors
assert_eq "TLS: a certificate from another CA is refused by curl" "$H_CODE" 000
SRV_URL=http://127.0.0.1:$port3
SRV_CURL=()
http GET /connectors
assert_eq "TLS: plain http gets no answer" "$H_CODE" 000
SRV_URL=https://localhost:$port3
SRV_CURL=(--cacert "$T_TMP/tls/ca.crt")
http_is "TLS: still serving after the plain request" GET /connectors '' 200 '[]'
srv_stop TERM
assert_rc "TLS server: SIGTERM exit 0" "$SRV_RC" 0
startup "TLS: a certificate without its key" "server.listen=127.0.0.1:$port3
server.state.dir=$T_TMP/s5
server.tls.cert.file=$T_TMP/tls/server.crt" 2 \
    "walcap: ERROR: server.tls.cert.file is set without server.tls.key.file: HTTPS needs both the certificate and its key"
startup "TLS: a key without its certificate" "server.listen=127.0.0.1:$port3
server.state.dir=$T_TMP/s5
server.tls.key.file=$T_TMP/tls/server.key" 2 \
    "walcap: ERROR: server.tls.key.file is set without server.tls.cert.file: HTTPS needs both the certificate and its key"
assert_eq "a half TLS configuration makes no state directory" "$(ls -d "$T_TMP/s5" 2>&1)" \
    "ls: cannot access '$T_TMP/s5': No such file or directory"
startup "TLS: a certificate file that does not exist" "server.listen=127.0.0.1:$port3
server.state.dir=$T_TMP/s5
server.tls.cert.file=$T_TMP/tls/nope.crt
server.tls.key.file=$T_TMP/tls/server.key" 1 \
    "walcap: ERROR: cannot read TLS certificate $T_TMP/tls/nope.crt: No such file or directory"

# The password is in no file, log or HTTP answer outside secrets.json.
mapfile -t kept < <(find "$T_TMP" -name secrets.json)
leaks=$(secret_scan "$T_TMP" "$WALCAP_TEST_SECRETS_DIR" "${kept[@]}")
assert_eq "the password is only in secrets.json" "$leaks" ""
find "$T_TMP" -name secrets.json -delete
t_done

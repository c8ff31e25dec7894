#!/usr/bin/env bash
# walcap server's Kafka Connect REST API over HTTP, against a real server and
# a real PostgreSQL: a Debezium configuration as Debezium's documentation
# writes it runs unchanged; every endpoint answers with its exact status and
# body; the events arrive in the sink exactly; pause, resume, restart, PUT
# config (masked password kept), DELETE; offsets at the last transaction's end;
# SIGTERM stops the children cleanly and a restarted server resumes without
# delivering anything twice.  The password is only in secrets.json (0600).
# Bad input, concurrency, the token, TLS and startup errors: t_server_auth.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

pg_start
psql_admin -c "CREATE DATABASE inventory" >/dev/null
PG_DB=inventory
psql_admin -c "CREATE TABLE public.inventory (id int PRIMARY KEY, v text)"
psql_admin -c "CREATE TABLE public.other (id int PRIMARY KEY)"
seed_setup inventory
psql_admin -c "SELECT pg_create_logical_replication_slot('audit_slot', 'pgoutput')" >/dev/null

port=$(_lib_pick_port)
SRV_URL=http://127.0.0.1:$port
W=127.0.0.1:$port
state=$T_TMP/state
events=$T_TMP/events.jsonl
# The worker configuration: the sink every connector gets unless it sets its own.
cat >"$T_TMP/server.properties" <<EOF
server.listen=127.0.0.1:$port
server.state.dir=$state
sink.type=file
sink.file.path=$events
EOF

srv_start "$T_TMP/server.properties" && t_ok "walcap server starts" ||
    { t_fail "walcap server starts"; cat "$T_TMP/server.err"; t_done; }

# ------------------------------------------------------------------ GET /, empty lists
http GET /
VER=$(jq -r .version <<<"$H_BODY")
assert_match "GET /: a version" "$VER" '^[0-9]+\.[0-9]+\.[0-9]+'
http_is "GET /" GET / '' 200 "{\"version\":\"$VER\",\"commit\":\"\",\"kafka_cluster_id\":\"walcap\"}"
http_is "GET /connectors: none" GET /connectors '' 200 '[]'
http_is "GET /connectors?expand=status: none" GET '/connectors?expand=status' '' 200 '{}'
http_is "GET /connectors?expand=info: none" GET '/connectors?expand=info' '' 200 '{}'
http_is "GET /connector-plugins" GET /connector-plugins '' 200 \
    "[{\"class\":\"io.debezium.connector.postgresql.PostgresConnector\",\"type\":\"source\",\"version\":\"$VER\"}]"

# ------------------------------------------------------------------ POST: Debezium's example
# Debezium's PostgreSQL connector documentation, "Example configuration",
# with this cluster's address and credentials; plus the keys every
# Kafka Connect deployment of it carries (tasks.max, plugin.name, converters).
pg_body=$WALCAP_TEST_SECRETS_DIR/pg.json
srv_json "$pg_body" "$(jq -n --arg pw "$WALCAP_TEST_PASSWORD" --arg port "$PG_PORT" '{
  "name": "pg",
  "config": {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "tasks.max": "1",
    "plugin.name": "pgoutput",
    "database.hostname": "127.0.0.1",
    "database.port": $port,
    "database.user": "streamkap_user",
    "database.password": $pw,
    "database.dbname": "inventory",
    "topic.prefix": "fulfillment",
    "table.include.list": "public.inventory",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false"
  }
}')"
# What GET shows: the configuration with the password masked and the name added.
pg_conf=$(jq -c '.config + {"database.password": "********", "name": "pg"}' "$pg_body")
pg_info=$(jq -cn --argjson c "$pg_conf" '{name: "pg", config: $c, tasks: [{connector: "pg", task: 0}], type: "source"}')
http_json_is "POST /connectors: 201 with the info, password masked" POST /connectors "$pg_body" 201 "$pg_info"
http_is "POST /connectors again: 409" POST /connectors "$pg_body" 409 \
    '{"error_code":409,"message":"Connector pg already exists"}'

running() {   # NAME
    http GET "/connectors/$1/status"
    [ "$H_BODY" = "{\"name\":\"$1\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"$W\"},\"tasks\":[{\"id\":0,\"state\":\"RUNNING\",\"worker_id\":\"$W\"}],\"type\":\"source\"}" ]
}
streams() {   # NAME N: the child's log shows its Nth start streaming
    local n
    n=$(grep -c '^walcap: INFO: streaming from slot' "$state/connectors/$1/walcap.log" 2>/dev/null)
    [ "${n:-0}" -ge "$2" ]
}
wait_until 30 streams pg 1 && t_ok "the child of pg streams" || t_fail "the child of pg streams"
http_is "GET status: RUNNING with worker_id" GET /connectors/pg/status '' 200 \
    "{\"name\":\"pg\",\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"$W\"},\"tasks\":[{\"id\":0,\"state\":\"RUNNING\",\"worker_id\":\"$W\"}],\"type\":\"source\"}"
http_json_is "GET info" GET /connectors/pg '' 200 "$pg_info"
http_json_is "GET config: password as ********" GET /connectors/pg/config '' 200 "$pg_conf"

# ------------------------------------------------------------------ events
ev() {   # OP BEFORE AFTER [TABLE [TOPIC_PREFIX]]: one normalised event
    jq -cn --arg v "$VER" --arg op "$1" --argjson b "$2" --argjson a "$3" \
        --arg t "${4:-inventory}" --arg p "${5:-fulfillment}" \
        '{before: $b, after: $a, source: {version: $v, connector: "postgresql", name: $p,
          snapshot: "false", db: "inventory", schema: "public", table: $t},
          transaction: null, op: $op}'
}
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
lsn_num() { psql_admin -c "SELECT (${1} - '0/0'::pg_lsn)::bigint"; }

psql_admin -c "INSERT INTO inventory VALUES (1, 'a')"
psql_admin -c "UPDATE inventory SET v = 'b' WHERE id = 1"
psql_admin -c "INSERT INTO other VALUES (1)"   # not in table.include.list
after_dml=$(psql_admin -c "DELETE FROM inventory WHERE id = 1" -c "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
wait_until 30 has_lines "$events" 3
assert_eq "insert, update, delete arrive in the server's default sink exactly" "$(normalize "$events")" \
"$(ev c null '{"id":1,"v":"a"}')
$(ev u null '{"id":1,"v":"b"}')
$(ev d '{"id":1}' null)"

# ------------------------------------------------------------------ offsets
# The offsets hold the end of the last delivered transaction: the WAL
# position right after its commit (no other writer here).  The slot's
# confirmed position is there too, or past it (walcap also confirms WAL
# without changes: a running-transactions record, a checkpoint).
offsets_at() {   # CONNECTOR SLOT LSN
    local slot
    slot=$(lsn_num "(SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$2')")
    http GET "/connectors/$1/offsets"
    [ "$H_BODY" = "{\"offsets\":[{\"partition\":{\"server\":\"fulfillment\"},\"offset\":{\"lsn\":$3,\"lsn_proc\":$3,\"lsn_commit\":$3}}]}" ] &&
        [ -n "$slot" ] && [ "$slot" -ge "$3" ]
}
wait_until 30 offsets_at pg streamkap_pgoutput_slot "$after_dml" &&
    t_ok "GET offsets: lsn = the last transaction's end, as a number; the slot confirmed it" ||
    t_fail "GET offsets: lsn = the last transaction's end, as a number; the slot confirmed it" \
        "$H_BODY, want lsn $after_dml; slot at $(slot_lsn)"

# ------------------------------------------------------------------ PUT config: replace
# The password comes back masked: the stored one is kept, and the child
# still logs in with it.
upd=$T_TMP/pg-update.json
jq '.["table.include.list"] = "public.inventory,public.other"' <<<"$pg_conf" >"$upd"
pg_conf2=$(jq -c . "$upd")
http_json_is "PUT config of pg: 200 with the new info" PUT /connectors/pg/config "$upd" 200 \
    "$(jq -cn --argjson c "$pg_conf2" '{name: "pg", config: $c, tasks: [{connector: "pg", task: 0}], type: "source"}')"
wait_until 30 streams pg 2 && t_ok "PUT config restarts the child" || t_fail "PUT config restarts the child"
assert_eq "the child before the restart stopped cleanly" \
    "$(grep -Ec '^walcap: INFO: stopped after 3 events in [0-9]+ transactions; confirmed ' "$state/connectors/pg/walcap.log")" 1
http_json_is "GET config: the new configuration" GET /connectors/pg/config '' 200 "$pg_conf2"
assert_eq "secrets.json still holds the real password" \
    "$(jq -r '.["database.password"] == env.WALCAP_TEST_PASSWORD' "$state/connectors/pg/secrets.json")" true
psql_admin -c "INSERT INTO other VALUES (2)"
wait_until 30 has_lines "$events" 4
assert_eq "the new table.include.list is in effect (the child logged in with the kept password)" \
    "$(normalize "$events" | tail -n 1)" "$(ev c null '{"id":2}' other)"

# ------------------------------------------------------------------ PUT config: create
audit_body=$WALCAP_TEST_SECRETS_DIR/audit.json
jq --arg f "$T_TMP/audit.jsonl" '.config + {"topic.prefix": "audit", "slot.name": "audit_slot",
    "table.include.list": "public.other", "sink.file.path": $f}' "$pg_body" >"$audit_body"
audit_conf=$(jq -c '. + {"database.password": "********", "name": "audit"}' "$audit_body")
audit_info=$(jq -cn --argjson c "$audit_conf" '{name: "audit", config: $c, tasks: [{connector: "audit", task: 0}], type: "source"}')
http_json_is "PUT config of a new connector: 201 with the info" PUT /connectors/audit/config "$audit_body" 201 "$audit_info"
wait_until 30 streams audit 1 && t_ok "the child of audit streams" || t_fail "the child of audit streams"
wait_until 10 running audit

http_is "GET /connectors: two, sorted" GET /connectors '' 200 '["audit","pg"]'
st() {   # NAME STATE
    jq -cn --arg n "$1" --arg s "$2" --arg w "$W" \
        '{name: $n, connector: {state: $s, worker_id: $w}, tasks: [{id: 0, state: $s, worker_id: $w}], type: "source"}'
}
pg_info2=$(jq -cn --argjson c "$pg_conf2" '{name: "pg", config: $c, tasks: [{connector: "pg", task: 0}], type: "source"}')
http_json_is "GET /connectors?expand=status" GET '/connectors?expand=status' '' 200 \
    "{\"audit\":{\"status\":$(st audit RUNNING)},\"pg\":{\"status\":$(st pg RUNNING)}}"
http_json_is "GET /connectors?expand=info" GET '/connectors?expand=info' '' 200 \
    "{\"audit\":{\"info\":$audit_info},\"pg\":{\"info\":$pg_info2}}"
http_json_is "GET /connectors?expand=status&expand=info" GET '/connectors?expand=status&expand=info' '' 200 \
    "{\"audit\":{\"status\":$(st audit RUNNING),\"info\":$audit_info},\"pg\":{\"status\":$(st pg RUNNING),\"info\":$pg_info2}}"
assert_eq "expand=status: the keys in sorted order" "$(jq -c keys_unsorted <<<"$H_BODY")" '["audit","pg"]'

# ------------------------------------------------------------------ pause, resume
http_is "PUT pause: 202, no body" PUT /connectors/pg/pause '' 202 ''
http_is "GET status: PAUSED" GET /connectors/pg/status '' 200 "$(st pg PAUSED)"
stopped_twice() { [ "$(grep -c '^walcap: INFO: stopped after ' "$state/connectors/pg/walcap.log")" -ge 2 ]; }
wait_until 30 stopped_twice && t_ok "pause stops the child cleanly" || t_fail "pause stops the child cleanly"
assert_eq "connector.json records the pause" "$(jq .paused "$state/connectors/pg/connector.json")" true
n0=$(lines "$events")
psql_admin -c "INSERT INTO inventory SELECT g, 'p' || g FROM generate_series(10, 14) g"
psql_admin -c "DELETE FROM inventory WHERE id = 10"
sleep 1.5
assert_eq "nothing is delivered while paused" "$(lines "$events")" "$n0"
http_is "GET status: still PAUSED" GET /connectors/pg/status '' 200 "$(st pg PAUSED)"
http_is "PUT resume: 202, no body" PUT /connectors/pg/resume '' 202 ''
wait_until 30 has_lines "$events" $((n0 + 6))
sleep 0.5
assert_eq "the rows inserted while paused arrive after resume, none lost or doubled" \
    "$(normalize "$events" | tail -n +$((n0 + 1)))" \
"$(for g in 10 11 12 13 14; do ev c null "{\"id\":$g,\"v\":\"p$g\"}"; done)
$(ev d '{"id":10}' null)"
wait_until 10 running pg && t_ok "GET status: RUNNING after resume" || t_fail "GET status: RUNNING after resume" "$H_BODY"
assert_eq "connector.json records the resume" "$(jq .paused "$state/connectors/pg/connector.json")" false

# ------------------------------------------------------------------ restart
k=$(grep -c '^walcap: INFO: streaming from slot' "$state/connectors/pg/walcap.log")
http_is "POST restart: 204, no body" POST /connectors/pg/restart '' 204 ''
wait_until 30 streams pg $((k + 1)) && t_ok "restart starts a new child" || t_fail "restart starts a new child"
wait_until 10 running pg && t_ok "GET status: RUNNING after restart" || t_fail "GET status: RUNNING after restart" "$H_BODY"
n1=$(lines "$events")
psql_admin -c "INSERT INTO inventory VALUES (20, 'r')"
wait_until 30 has_lines "$events" $((n1 + 1))
assert_eq "after restart: the next row once, nothing delivered again" \
    "$(normalize "$events" | tail -n +$((n1 - 5)))" \
"$(for g in 10 11 12 13 14; do ev c null "{\"id\":$g,\"v\":\"p$g\"}"; done)
$(ev d '{"id":10}' null)
$(ev c null '{"id":20,"v":"r"}')"

# ------------------------------------------------------------------ validate
good=$WALCAP_TEST_SECRETS_DIR/validate.json
jq '.config' "$pg_body" >"$good"
http PUT /connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate "$good"
assert_eq "validate, good: 200, no errors, the class as name" \
    "$H_CODE $(jq -c '[.name, .error_count, .groups, ([.configs[].value.errors[]] | length)]' <<<"$H_BODY")" \
    '200 ["io.debezium.connector.postgresql.PostgresConnector",0,["walcap"],0]'
assert_eq "validate, good: one entry per key given, the password masked" \
    "$(jq -c '[.configs[].value | {(.name): .value}] | add' <<<"$H_BODY")" \
    "$(jq -c '. + {"database.password": "********"}' "$good")"
assert_eq "validate, good: walcap check's items" \
    "$(jq -c '[.walcap_check.checks[] | select(.name == ("login", "server_version", "wal_level", "replication", "replication_connection", "publication", "slot")) | [.name, .status]]' <<<"$H_BODY")" \
    '[["login","PASS"],["server_version","PASS"],["wal_level","PASS"],["replication","PASS"],["replication_connection","PASS"],["publication","PASS"],["slot","PASS"]]'
assert_eq "validate, good: the check ran as streamkap_user on inventory" \
    "$(jq -c '[.walcap_check.database, .walcap_check.user]' <<<"$H_BODY")" '["inventory","streamkap_user"]'
bad=$T_TMP/validate-bad.json
jq -n '{"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "2",
        "snapshot.mode": "bogus", "database.port": "x", "database.hostname": "127.0.0.1"}' >"$bad"
http PUT /connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate "$bad"
assert_eq "validate, bad: 200, error_count, per-key errors, no check" \
    "$H_CODE $(jq -c '.error_count, .walcap_errors, [.configs[].value | {(.name): .errors}], .walcap_check' <<<"$H_BODY")" \
    '200 4
["database.user is required (the PostgreSQL user to connect as)"]
[{"connector.class":[]},{"tasks.max":["tasks.max: \"2\" is not supported (only \"1\"): a replication slot is read by one process, so a connector runs one task"]},{"snapshot.mode":["snapshot.mode: \"bogus\" is not one of initial, initial_only, no_data, when_needed"]},{"database.port":["database.port: \"x\" is not a port number (1-65535)"]},{"database.hostname":[]}]
null'

# ------------------------------------------------------------------ DELETE
# audit's child is held (SIGSTOP) so that DELETE finds it running and the
# moments before it stops can be looked at.
audit_pid=$(sed -n 's/^walcap: INFO: connector audit: started walcap run (pid \([0-9]*\))$/\1/p' "$T_TMP/server.err" | tail -n 1)
kill -STOP "$audit_pid"
http_is "DELETE audit: 204, no body" DELETE /connectors/audit '' 204 ''
http_is "GET audit after DELETE: 404" GET /connectors/audit '' 404 \
    '{"error_code":404,"message":"Connector audit not found"}'
http_is "GET audit/status after DELETE: 404" GET /connectors/audit/status '' 404 \
    '{"error_code":404,"message":"Connector audit not found"}'
http_is "DELETE audit again: 404" DELETE /connectors/audit '' 404 \
    '{"error_code":404,"message":"Connector audit not found"}'
http_is "GET /connectors: audit is gone" GET /connectors '' 200 '["pg"]'
http_is "PUT config of audit while its child stops: 409" PUT /connectors/audit/config "$audit_body" 409 \
    '{"error_code":409,"message":"Connector audit is being deleted: try again in a moment"}'
jq --slurpfile c "$audit_body" -n '{name: "audit", config: $c[0]}' >"$WALCAP_TEST_SECRETS_DIR/audit-post.json"
http_is "POST audit while its child stops: 409" POST /connectors "$WALCAP_TEST_SECRETS_DIR/audit-post.json" 409 \
    '{"error_code":409,"message":"Connector audit is being deleted: try again in a moment"}'
assert_eq "the directory stays while the child stops (it saves its offsets there); its configuration and secrets are gone at once" \
    "$(ls "$state/connectors/audit")" "$(printf '%s\n' offsets run.properties walcap.log)"
kill -CONT "$audit_pid"
gone() { [ ! -e "$state/connectors/audit" ]; }
wait_until 30 gone && t_ok "DELETE removes the connector's directory once the child stopped" ||
    t_fail "DELETE removes the connector's directory once the child stopped"
assert_eq "DELETE stops audit's child cleanly (exit 0)" \
    "$(grep '^walcap: INFO: connector audit: walcap run exited' "$T_TMP/server.err")" \
    'walcap: INFO: connector audit: walcap run exited with status 0'
assert_match "audit's child confirmed what it delivered" "$(grep '^\[audit\]' "$T_TMP/server.err" | tail -n 1)" \
    '^\[audit\] walcap: INFO: stopped after [0-9]+ events in [0-9]+ transactions; confirmed [0-9A-F]+/[0-9A-F]+$'
assert_eq "DELETE keeps the slot" \
    "$(psql_admin -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'audit_slot'")" 1
assert_eq "the trash is empty" "$(ls -A "$state/trash")" ""

# ------------------------------------------------------------------ secrets, files
assert_eq "secrets.json is mode 600" "$(stat -c %a "$state/connectors/pg/secrets.json")" 600
assert_eq "connector.json and run.properties are mode 600" \
    "$(stat -c %a "$state/connectors/pg/connector.json" "$state/connectors/pg/run.properties" | sort -u)" 600
child=$(pgrep -P "$SRV_PID" | head -n 1)
if [ -n "$child" ] && grep -qF -- "$WALCAP_TEST_PASSWORD" "/proc/$child/cmdline"; then
    t_fail "the child's command line has no password"
else
    assert_match "the child's command line: run.properties, no password" \
        "$(tr '\0' ' ' <"/proc/$child/cmdline")" "^walcap run -c $state/connectors/pg/run.properties --report-fd 3 \$"
fi
assert_eq "the child's environment: the password under its variable, GnuTLS not initialised implicitly" \
    "$(tr '\0' '\n' <"/proc/$child/environ" | grep -E '^(WALCAP_DATABASE_PASSWORD|GNUTLS_NO_IMPLICIT_INIT)=' |
       sed "s/=$WALCAP_TEST_PASSWORD\$/=<password>/" | sort)" \
    "$(printf '%s\n' GNUTLS_NO_IMPLICIT_INIT=1 'WALCAP_DATABASE_PASSWORD=<password>')"

# ------------------------------------------------------------------ SIGTERM, then a new server
n2=$(lines "$events")
pids=$(sed -n 's/^walcap: INFO: connector pg: started walcap run (pid \([0-9]*\))$/\1/p' "$T_TMP/server.err")
srv_stop TERM
assert_rc "SIGTERM: walcap server exits 0" "$SRV_RC" 0
assert_match "SIGTERM: pg's child confirmed what it delivered" "$(tail -n 1 "$state/connectors/pg/walcap.log")" \
    '^walcap: INFO: stopped after [0-9]+ events in [0-9]+ transactions; confirmed [0-9A-F]+/[0-9A-F]+$'
assert_eq "SIGTERM: the server's last lines" "$(tail -n 3 "$T_TMP/server.err")" \
"$(tail -n 4 "$state/connectors/pg/walcap.log" | tail -n 1 | sed 's/^/[pg] /')
walcap: INFO: connector pg: walcap run exited with status 0
walcap: INFO: walcap server stopped"
alive=
for p in $pids; do kill -0 "$p" 2>/dev/null && alive+=" $p"; done
assert_eq "SIGTERM: no child is left" "$alive" ""

k=$(grep -c '^walcap: INFO: streaming from slot' "$state/connectors/pg/walcap.log")
srv_start "$T_TMP/server.properties" && t_ok "a new server starts on the same state directory" ||
    t_fail "a new server starts on the same state directory"
http_is "the new server has pg" GET /connectors '' 200 '["pg"]'
wait_until 30 streams pg $((k + 1)) && t_ok "the new server starts pg's child" || t_fail "the new server starts pg's child"
wait_until 10 running pg && t_ok "GET status: RUNNING on the new server" || t_fail "GET status: RUNNING on the new server"
sleep 1
assert_eq "the new server resumes from the offsets: nothing delivered again" "$(lines "$events")" "$n2"
last=$(psql_admin -c "INSERT INTO inventory VALUES (30, 'n')" -c "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
wait_until 30 has_lines "$events" $((n2 + 1))
sleep 0.5
assert_eq "the new server delivers the next row once" "$(normalize "$events" | tail -n +$((n2 + 1)))" \
    "$(ev c null '{"id":30,"v":"n"}')"
wait_until 30 offsets_at pg streamkap_pgoutput_slot "$last" &&
    t_ok "the new server's offsets move on" || t_fail "the new server's offsets move on" "$H_BODY, want lsn $last"

http_is "DELETE pg: 204" DELETE /connectors/pg '' 204 ''
http_is "GET pg after DELETE: 404" GET /connectors/pg '' 404 '{"error_code":404,"message":"Connector pg not found"}'
http_is "GET /connectors: none left" GET /connectors '' 200 '[]'
srv_stop TERM
assert_rc "the second server exits 0 on SIGTERM" "$SRV_RC" 0

# The password is in no file, log or HTTP answer outside secrets.json
# (answers are kept in $T_TMP/http.N; the server's stderr in server.err).
mapfile -t kept < <(find "$state" -name secrets.json)
leaks=$(secret_scan "$T_TMP" "$WALCAP_TEST_SECRETS_DIR" "${kept[@]}")
assert_eq "the password is only in secrets.json" "$leaks" ""
find "$state" -name secrets.json -delete
t_done

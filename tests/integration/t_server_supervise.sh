#!/usr/bin/env bash
# walcap server's supervision (issue 18), with a real PostgreSQL, a file
# sink per connector and a workload of one-row transactions with known ids:
#   (a) kill -9 of one connector's child: FAILED with a trace naming the
#       signal, then RUNNING again; every committed row delivered (duplicates
#       only after the kill); the other connector's child untouched;
#   (b) kill -9 of the server: its children stop (PR_SET_PDEATHSIG); a new
#       server on the same state directory starts them again and every row
#       from before, during and after is delivered;
#   (c) PostgreSQL stopped: FAILED with the trace, retried with doubling
#       backoff, streaming again once it is back; a configuration error
#       that shows only at run time (an invalid librdkafka value): FAILED
#       and held, not retried, until PUT .../config fixes it;
#   (d) DELETE of a connector: its child stops cleanly (exit 0, its slot
#       confirmed), then its directory goes; SIGTERM of the server: exit 0,
#       each slot's confirmed_flush_lsn caught up to the last commit its
#       connector delivered;
#   (e) DELETE, then kill -9 of the server before the child has stopped:
#       the next server does not bring the connector back and removes its
#       directory.
# integration: alone
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

pg_start
seed_setup supdb
psql_admin -c "CREATE TABLE public.a (id int PRIMARY KEY)" -c "CREATE TABLE public.b (id int PRIMARY KEY)" \
	-c "CREATE TABLE public.k (id int PRIMARY KEY)"
for s in slot_a slot_b slot_k; do
	psql_admin -c "SELECT pg_create_logical_replication_slot('$s', 'pgoutput')" >/dev/null
done
work=$T_TMP
state=$work/state
SRV_URL=http://127.0.0.1:$(_lib_pick_port)
ERR=$work/server.err

# The defaults of every connector.  status.confirm.idle=false and a long
# status interval: a slot's confirmed position moves with delivered commits
# and rarely on its own, so (d) sees what the clean stop confirms.  A child
# gives up on PostgreSQL after 3 quick attempts (exit 1) so that (c) sees the
# server's own retries.
cat >"$work/server.properties" <<EOF
server.listen=${SRV_URL#http://}
server.state.dir=$state
server.restart.backoff.initial.ms=400
server.restart.backoff.max.ms=3200
sink.type=file
snapshot.mode=no_data
publication.name=$SEED_PUB
status.confirm.idle=false
status.update.interval.ms=3600000
connect.backoff.initial.ms=100
connect.backoff.max.ms=200
connect.max.attempts=3
EOF

# body FILE NAME [key=value...]: a POST /connectors body for table NAME,
# slot slot_NAME, sink NAME.jsonl (the password from the environment; the
# file lives in the secrets directory)
body() {
	local file=$1 name=$2 kv
	local -a args=(--arg name "$name" --arg port "$PG_PORT" --arg db "$PG_DB"
	               --arg sink "$work/$name.jsonl")
	local extra='{}'
	shift 2
	for kv in "$@"; do
		extra=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$extra")
	done
	(umask 077 && jq -n "${args[@]}" --argjson extra "$extra" '{name: $name, config: ({
		"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max": "1", "plugin.name": "pgoutput",
		"database.hostname": "127.0.0.1", "database.port": $port,
		"database.user": "streamkap_user", "database.password": env.WALCAP_TEST_PASSWORD,
		"database.dbname": $db, "topic.prefix": $name,
		"table.include.list": ("public\\." + $name), "slot.name": ("slot_" + $name),
		"sink.file.path": $sink} + $extra)}' >"$file")
}
# the LSN of the last event each sink holds, as a number
last_lsn() { jq -s 'map(.source.lsn) | max' "$work/$1.jsonl"; }
confirmed() { psql_admin -c "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = 'slot_$1'"; }
cstate() { http GET "/connectors/$1/status" && jq -r .connector.state <<<"$H_BODY"; }
is_state() { [ "$(cstate "$1")" = "$2" ]; }
# one answer: "STATE | the trace's ERROR lines | its last line"
cfail() {
	http GET "/connectors/$1/status" &&
		jq -r '.connector | [.state, (.trace // "" | split("\n") | (map(select(test("ERROR:"))) | join(" / ")), last)] | join(" | ")' <<<"$H_BODY"
}
# wait_failed SECS NAME: poll until NAME is FAILED; FAILV = that answer of cfail
# (one request: the state may move on to RUNNING after the backoff)
_failed() { FAILV=$(cfail "$1"); [ "${FAILV%% *}" = FAILED ]; }
wait_failed() { FAILV=; wait_until "$1" _failed "$2"; }
# the pid of NAME's newest child, from the server's log
child_pid() { sed -n "s/.*connector $1: started walcap run (pid \([0-9]*\)).*/\1/p" "$ERR" | tail -n 1; }
starts() { grep -c "connector $1: started walcap run" "$ERR"; }
# ids of table T's events in its sink, one a line, in order
sink_ids() { jq -r 'select(.op == "c") | .after.id' "$work/$1.jsonl" 2>/dev/null; }
has_id() { sink_ids "$1" | grep -qx "$2"; }
table_ids() { psql_admin -c "SELECT id FROM public.$1 ORDER BY id"; }
# the table's ids missing from the sink (space-separated; "" none)
missing() { comm -23 <(table_ids "$1" | sort) <(sink_ids "$1" | sort -u) | sort -n | tr '\n' ' '; }
ndups() { sink_ids "$1" | sort | uniq -d | wc -l; }
all_there() { [ -z "$(missing "$1")" ]; }
# workload FIRST STOPFILE: one-row transactions into a and into b, ids
# FIRST, FIRST+1, ... until STOPFILE exists; a failed round is skipped (the
# tables say what was committed)
workload() {
	local id=$1 stop=$2
	while [ ! -e "$stop" ] && [ "$id" -lt $(($1 + 100000)) ]; do
		psql_admin -c "INSERT INTO a VALUES ($id)" -c "INSERT INTO b VALUES ($id)" >/dev/null 2>&1
		id=$((id + 1))
		sleep 0.02
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }

srv_start "$work/server.properties" "$ERR" || { t_fail "server starts"; cat "$ERR"; t_done; }
body "$WALCAP_TEST_SECRETS_DIR/a.json" a
body "$WALCAP_TEST_SECRETS_DIR/b.json" b
http POST /connectors "$WALCAP_TEST_SECRETS_DIR/a.json"
assert_eq "POST a" "$H_CODE" 201
http POST /connectors "$WALCAP_TEST_SECRETS_DIR/b.json"
assert_eq "POST b" "$H_CODE" 201
wait_until 20 is_state a RUNNING && wait_until 20 is_state b RUNNING
assert_eq "a and b RUNNING" "$(cstate a) $(cstate b)" "RUNNING RUNNING"

# ---- (a) kill -9 of a's child during the workload
workload 1 "$work/stop1" &
wl=$!
_LIB_PIDS+=("$wl")
wait_until 30 has_id a 20
wait_until 30 has_id b 20
pa=$(child_pid a)
pb=$(child_pid b)
kill -KILL "$pa"
t_kill=$(table_ids a | tail -n 1)
wait_failed 10 a
assert_eq "(a) FAILED with the signal in the trace" "$FAILV" \
	"FAILED |  | walcap run was killed by signal 9"
wait_until 10 is_state a RUNNING
assert_eq "(a) RUNNING again" "$(cstate a)" RUNNING
assert_match "(a) a new child" "$(child_pid a)" "^[0-9]+$"
[ "$(child_pid a)" != "$pa" ] && t_ok "(a) the new child is another process" ||
	t_fail "(a) the new child is another process" "pid $pa"
assert_match "(a) the server logged the restart" "$(grep "connector a:" "$ERR")" \
	"connector a: walcap run was killed by signal 9"
sleep 2
touch "$work/stop1"
wait "$wl"
wait_until 30 all_there a
wait_until 30 all_there b
assert_eq "(a) a: no committed row missing" "$(missing a)" ""
assert_eq "(a) b: no committed row missing" "$(missing b)" ""
dups_a=$(ndups a)
# duplicates only of rows committed before the kill (at-least-once replays
# from a's last saved offset); none after the restart
late_dups=$(sink_ids a | sort -n | uniq -d | awk -v k="$t_kill" '$1 > k' | tr '\n' ' ')
assert_eq "(a) a: duplicates only from before the kill" "$late_dups" ""
echo "# (a) a: $(table_ids a | wc -l) rows, $dups_a delivered twice (after the kill of pid $pa)"
assert_eq "(a) b: every row exactly once" "$(sink_ids b | sort | uniq -d | wc -l) $(sink_ids b | wc -l)" \
	"0 $(table_ids b | wc -l)"
assert_eq "(a) b: its child untouched" "$(child_pid b) $(starts b)" "$pb 1"
kill -0 "$pb" 2>/dev/null && t_ok "(a) b's child still runs" || t_fail "(a) b's child still runs"

# ---- (b) kill -9 of the server during the workload
last=$(table_ids a | tail -n 1)
workload $((last + 1)) "$work/stop2" &
wl=$!
_LIB_PIDS+=("$wl")
wait_until 30 has_id a $((last + 20))
pa=$(child_pid a)
pb=$(child_pid b)
{ kill -KILL "$SRV_PID"; wait "$SRV_PID"; } 2>/dev/null
SRV_PID=
wait_until 5 gone "$pa"
wait_until 5 gone "$pb"
gone "$pa" && gone "$pb" && t_ok "(b) the children stop within 5 s of the server's death" ||
	t_fail "(b) the children stop within 5 s of the server's death" "$(ps -o pid,args -p "$pa,$pb")"
sleep 2   # rows committed while no server runs
srv_start "$work/server.properties" "$ERR" || { t_fail "(b) a new server starts"; tail "$ERR"; t_done; }
t_ok "(b) a new server starts on the same state directory"
wait_until 20 is_state a RUNNING && wait_until 20 is_state b RUNNING
assert_eq "(b) a and b RUNNING again" "$(cstate a) $(cstate b)" "RUNNING RUNNING"
[ "$(child_pid a)" != "$pa" ] && [ "$(child_pid b)" != "$pb" ] && t_ok "(b) new children" ||
	t_fail "(b) new children"
sleep 2
touch "$work/stop2"
wait "$wl"
wait_until 30 all_there a
wait_until 30 all_there b
assert_eq "(b) a: no row missing (before, during, after)" "$(missing a)" ""
assert_eq "(b) b: no row missing (before, during, after)" "$(missing b)" ""
echo "# (b) a: $(table_ids a | wc -l) rows, $(ndups a) delivered twice; b: $(table_ids b | wc -l) rows, $(ndups b) twice"

# ---- (c) a runtime failure: PostgreSQL stopped for a while
mark=$(wc -l <"$ERR")
_lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null
wait_failed 20 a
echo "# (c) a: $FAILV"
assert_match "(c) FAILED with the cause in the trace" "$FAILV" \
	"^FAILED \| walcap: ERROR: .*connect.* \| walcap run exited with status 1$"
n0=$(starts a)
sleep 4
n1=$(starts a)
# 400, 800, 1600 ms: two or three attempts in 4 s, not more
assert_match "(c) retried while PostgreSQL is down, with backoff ($n0 -> $n1 starts)" "$((n1 - n0))" "^[23]$"
assert_match "(c) the delay doubles" \
	"$(tail -n +$((mark + 1)) "$ERR" | sed -n 's/.*connector a: restarting in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')" \
	"^400 800 1600 "
_lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_TMP/postgres.log" -w -t 60 start >/dev/null
last=$(table_ids a | tail -n 1)
psql_admin -c "INSERT INTO a VALUES ($((last + 1)))" -c "INSERT INTO b VALUES ($((last + 1)))"
wait_until 30 has_id a $((last + 1))
wait_until 30 has_id b $((last + 1))
assert_eq "(c) streaming again once PostgreSQL is back" "$(cstate a) $(cstate b) $(missing a)$(missing b)" \
	"RUNNING RUNNING "

# a configuration error only walcap run finds (librdkafka's check): held
body "$WALCAP_TEST_SECRETS_DIR/k.json" k sink.type=kafka kafka.bootstrap.servers=127.0.0.1:1 \
	kafka.compression.codec=bogus
http POST /connectors "$WALCAP_TEST_SECRETS_DIR/k.json"
assert_eq "(c) POST k (the server's own check passes)" "$H_CODE" 201
wait_failed 20 k
assert_eq "(c) k FAILED with the error" "$FAILV" \
	'FAILED | walcap: ERROR: kafka.compression.codec: Invalid value "bogus" for configuration property "compression.codec" | walcap run exited with status 2'
sleep 3
assert_eq "(c) held: not restarted" "$(cstate k) $(starts k)" "FAILED 1"
psql_admin -c "INSERT INTO k VALUES (1)"
jq '.config | .["sink.type"] = "file" | del(.["kafka.bootstrap.servers"], .["kafka.compression.codec"])' \
	"$WALCAP_TEST_SECRETS_DIR/k.json" >"$WALCAP_TEST_SECRETS_DIR/k.config.json"
http PUT /connectors/k/config "$WALCAP_TEST_SECRETS_DIR/k.config.json"
assert_eq "(c) PUT k's config" "$H_CODE" 200
wait_until 20 has_id k 1
assert_eq "(c) fixed: RUNNING, its row delivered" "$(cstate k) $(sink_ids k)" "RUNNING 1"

# ---- (d) SIGTERM: exit 0, every delivered commit confirmed
last=$(table_ids a | tail -n 1)
psql_admin -c "INSERT INTO a VALUES ($((last + 1)))" -c "INSERT INTO b VALUES ($((last + 1)))" \
	-c "INSERT INTO k VALUES (2)"
wait_until 30 has_id a $((last + 1))
wait_until 30 has_id b $((last + 1))
wait_until 30 has_id k 2
# DELETE k: its child stops cleanly (exit 0), having saved and confirmed
# what it delivered; then its directory goes
http DELETE /connectors/k
assert_eq "DELETE k" "$H_CODE" 204
nk=$(grep -c "connector k: walcap run exited" "$ERR")
exited_k() { [ "$(grep -c "connector k: walcap run exited" "$ERR")" -gt "$nk" ]; }
wait_until 30 exited_k
assert_eq "DELETE k: its child exits 0" "$(grep "connector k: walcap run exited" "$ERR" | tail -n 1 | sed 's/.*connector k: //')" \
	"walcap run exited with status 0"
assert_eq "DELETE k: no error while stopping" "$(grep "^\[k\].*ERROR: while stopping" "$ERR")" ""
[ "$(confirmed k)" -gt "$(last_lsn k)" ] && t_ok "DELETE k: slot_k confirmed past its last delivered event" ||
	t_fail "DELETE k: slot_k confirmed past its last delivered event" "confirmed $(confirmed k), event at $(last_lsn k)"
wait_until 10 test ! -e "$state/connectors/k"
assert_eq "DELETE k: its directory is gone, the listing has a and b" \
	"$(ls "$state/connectors" | tr '\n' ' ')$(http GET /connectors; echo "$H_BODY")" 'a b ["a","b"]'
behind=
for c in a b; do
	[ "$(confirmed $c)" -le "$(last_lsn $c)" ] && behind+="$c "
done
echo "# (d) slots behind their last delivered event before SIGTERM: ${behind:-none}"
children="$(child_pid a) $(child_pid b)"
srv_stop TERM
assert_eq "(d) SIGTERM: exit 0" "$SRV_RC" 0
for p in $children; do
	gone "$p" || t_fail "(d) child $p gone"
done
for c in a b; do
	lsn=$(last_lsn $c) conf=$(confirmed $c)
	[ "$conf" -gt "$lsn" ] && t_ok "(d) slot_$c confirmed past its last delivered event" ||
		t_fail "(d) slot_$c confirmed past its last delivered event" "confirmed $conf, event at $lsn"
done
assert_match "(d) the server logged its stop" "$(tail -n 5 "$ERR")" "walcap server stopped"

# ---- (e) DELETE, then the server killed before the child has stopped: the
# connector does not come back (its configuration went with the DELETE)
srv_start "$work/server.properties" "$ERR" || { t_fail "(e) the server starts"; tail "$ERR"; t_done; }
http PUT /connectors/k/config "$WALCAP_TEST_SECRETS_DIR/k.config.json"
assert_eq "(e) k created again" "$H_CODE" 201
wait_until 20 is_state k RUNNING
pk=$(child_pid k)
kill -STOP "$pk"
http DELETE /connectors/k
assert_eq "(e) DELETE k while its child is held" "$H_CODE" 204
assert_eq "(e) its configuration and secrets are gone at once" \
	"$(ls "$state/connectors/k" | grep -c -e '^connector.json$' -e '^secrets.json$')" 0
{ kill -KILL "$SRV_PID"; wait "$SRV_PID"; } 2>/dev/null
SRV_PID=
kill -CONT "$pk"
wait_until 10 gone "$pk"
srv_start "$work/server.properties" "$ERR" || { t_fail "(e) a new server starts"; tail "$ERR"; t_done; }
http GET /connectors
assert_eq "(e) the new server does not bring k back" "$H_BODY" '["a","b"]'
assert_eq "(e) k's directory is removed at start" "$(ls "$state/connectors" | tr '\n' ' ')" "a b "
assert_match "(e) and says why" "$(grep "connectors/k: its connector was deleted" "$ERR")" "removing "
srv_stop TERM
assert_eq "(e) SIGTERM: exit 0" "$SRV_RC" 0

# The state directory's secrets.json holds the password by design; nothing
# else may.  Scan without exactly those files, then remove them so that
# t_done's scan of the whole directory does not count them.
leaks=$(secret_scan "$work" "$WALCAP_TEST_SECRETS_DIR" "$state"/connectors/*/secrets.json)
assert_eq "no secret outside secrets.json" "$leaks" ""
rm -f "$state"/connectors/*/secrets.json
t_done

#!/usr/bin/env bash
# Reconnection (issue 6): the walsender terminated, and the server
# restarted, each during a workload, lose and repeat nothing; a connection
# cut silently by a stopped proxy is noticed within
# connect.receive.timeout.ms and walcap reconnects once the path is back;
# the TCP keepalive settings reach the socket.
# integration: alone
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# wal_sender_timeout=0: the server never ends a silent connection itself,
# so in the proxy section only walcap's own receive timeout can notice it
pg_start -c wal_sender_timeout=0
seed_setup recdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY, v text)"
work=$T_TMP

# the ids of the events on t in FILE, one a line, in output order
ids() { jq -r 'select(.source.table == "t") | .after.id' "$1"; }
# the ids in the table with ID >= FROM and < TO, sorted
table_ids() { psql_admin -c "SELECT id FROM t WHERE id >= $1 AND id < $2 ORDER BY id"; }
out_ids() { ids "$1" | awk -v a="$2" -v b="$3" '$1 >= a && $1 < b' | sort -n -u; }
dups() { ids "$1" | sort -n | uniq -d | tr '\n' ' '; }
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
ms_now() { date +%s%3N; }
alive() { if kill -0 "$1" 2>/dev/null; then t_ok "$2"; else t_fail "$2" "walcap (pid $1) is gone"; fi; }

# workload FIRST STOPFILE: from id FIRST on, rounds of four one-row
# transactions and one three-row transaction, over the unix socket, until
# STOPFILE exists (at most 2000 rounds).  A round that fails (the server
# restarting) is skipped: the table itself says what was committed.
workload() {
	local id=$1 stop=$2 n
	for ((n = 0; n < 2000; n++)); do
		[ -e "$stop" ] && return 0
		psql_admin -c "INSERT INTO t VALUES ($id, 'a')" \
			-c "INSERT INTO t VALUES ($((id + 1)), 'b')" \
			-c "INSERT INTO t VALUES ($((id + 2)), 'c')" \
			-c "INSERT INTO t VALUES ($((id + 3)), 'd')" \
			-c "INSERT INTO t VALUES ($((id + 4)), 'e'); INSERT INTO t VALUES ($((id + 5)), 'f'); INSERT INTO t VALUES ($((id + 6)), 'g')" \
			>/dev/null 2>&1 || sleep 0.05
		id=$((id + 7))
	done
}

# n_ids FILE FROM TO N: walcap wrote N distinct ids in [FROM, TO)
n_ids() { [ "$(out_ids "$1" "$2" "$3" | wc -l)" = "$4" ]; }
# at_least N FILE TEXT: TEXT is on at least N lines of FILE
at_least() { [ "$(count "$2" "$3")" -ge "$1" ]; }
# caught_up FILE FROM TO: walcap wrote as many distinct ids in [FROM, TO) as the table holds
caught_up() { [ "$(out_ids "$1" "$2" "$3" | wc -l)" = "$(table_ids "$2" "$3" | wc -l)" ]; }

common=('table.include.list=public\.t' connect.backoff.initial.ms=200 connect.backoff.max.ms=1000)

# ---------------------------------------------------------------- 1a. walsender terminated three times during a workload
walcap_conf "$work/a.conf" "${common[@]}"
walcap_start "$work/out_a" "$work/err_a" "$work/a.conf"
pid_a=$WALCAP_PID
wait_until 10 grep -qs 'streaming from slot' "$work/err_a" || t_fail "1a: walcap streams"

workload 1 "$work/stop1" &
wl=$!
_LIB_PIDS+=("$wl")
for k in 1 2 3; do
	sleep 0.7
	terminate_walsenders
	# the next termination only once walcap streams again
	wait_until 15 at_least $((k + 1)) "$work/err_a" "streaming from slot" ||
		t_fail "1a: walcap streams again after termination $k"
done
sleep 0.5
touch "$work/stop1"
wait "$wl"
n1=$(table_ids 1 100000 | wc -l)
wait_until 20 caught_up "$work/out_a" 1 100000
assert_eq "1a: walsender terminated 3 times: every committed row arrived ($n1 rows)" \
	"$(out_ids "$work/out_a" 1 100000)" "$(table_ids 1 100000)"
assert_eq "1a: no event twice" "$(dups "$work/out_a")" ""
assert_eq "1a: three losses logged" "$(count "$work/err_a" 'WARNING: replication connection lost: ')" 3
assert_match "1a: the loss is logged with its cause and the wait" "$(cat "$work/err_a")" \
	'^walcap: WARNING: replication connection lost: .*terminat.*; reconnecting in (2[0-3][0-9]|240) ms$'
assert_eq "1a: three reconnections logged, each at attempt 1" \
	"$(grep -c '^walcap: INFO: reconnected (attempt 1)$' "$work/err_a")" 3
assert_eq "1a: no failed attempt" "$(count "$work/err_a" 'reconnection attempt')" 0
alive "$pid_a" "1a: walcap still running"

# ---------------------------------------------------------------- 1b. pg_ctl restart during a workload (same walcap)
err_lines=$(wc -l <"$work/err_a")
workload 100001 "$work/stop2" &
wl=$!
_LIB_PIDS+=("$wl")
sleep 1
t0=$(ms_now)
pg_restart || t_fail "1b: pg_restart"
restart_ms=$(($(ms_now) - t0))
sleep 1
touch "$work/stop2"
wait "$wl"
n2=$(table_ids 100001 200000 | wc -l)
wait_until 20 caught_up "$work/out_a" 100001 200000
assert_eq "1b: server restarted ($restart_ms ms): every committed row arrived ($n2 rows)" \
	"$(out_ids "$work/out_a" 100001 200000)" "$(table_ids 100001 200000)"
assert_eq "1b: no event twice" "$(dups "$work/out_a")" ""
log_b=$(tail -n +"$((err_lines + 1))" "$work/err_a")
assert_eq "1b: one loss logged" "$(grep -c 'WARNING: replication connection lost: ' <<<"$log_b")" 1
assert_match "1b: the loss says why" "$log_b" \
	'^walcap: WARNING: replication connection lost: (the server ended the replication stream|.*terminat.*|server closed the connection.*); reconnecting in (2[0-3][0-9]|240) ms$'
fails=$(grep -c '^walcap: WARNING: reconnection attempt [0-9]* failed: ' <<<"$log_b")
if [ "$fails" -gt 0 ]; then
	assert_match "1b: the first failed attempt is logged with its cause and the doubled wait" "$log_b" \
		'^walcap: WARNING: reconnection attempt 1 failed: .*(Connection refused|starting up|shutting down|No such file).*; next attempt in (4[0-7][0-9]|480) ms$'
fi
assert_eq "1b: reconnected at attempt $((fails + 1)), after $fails failed ones" \
	"$(grep -c "^walcap: INFO: reconnected (attempt $((fails + 1)))\$" <<<"$log_b")" 1
alive "$pid_a" "1b: walcap still running"

# ---------------------------------------------------------------- 1c. the server down for 2 s during a workload (same walcap)
# pg_restart above may be quick enough for the first attempt to succeed;
# here attempts must fail, each logged with its cause, the wait doubling
# from 200 ms up to connect.backoff.max.ms=1000 (plus up to 20% jitter).
err_lines=$(wc -l <"$work/err_a")
workload 300001 "$work/stop3" &
wl=$!
_LIB_PIDS+=("$wl")
sleep 0.7
_lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || t_fail "1c: pg_ctl stop"
sleep 2
_lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_TMP/postgres.log" -w -t 60 start >/dev/null 2>&1 ||
	t_fail "1c: pg_ctl start"
sleep 1
touch "$work/stop3"
wait "$wl"
n3=$(table_ids 300001 400000 | wc -l)
wait_until 20 caught_up "$work/out_a" 300001 400000
assert_eq "1c: server down 2 s: every committed row arrived ($n3 rows)" \
	"$(out_ids "$work/out_a" 300001 400000)" "$(table_ids 300001 400000)"
assert_eq "1c: no event twice" "$(dups "$work/out_a")" ""
log_c=$(tail -n +"$((err_lines + 1))" "$work/err_a")
assert_eq "1c: one loss logged" "$(grep -c 'WARNING: replication connection lost: ' <<<"$log_c")" 1
fails=$(grep -c '^walcap: WARNING: reconnection attempt [0-9]* failed: ' <<<"$log_c")
if [ "$fails" -ge 2 ]; then
	t_ok "1c: $fails failed attempts while the server was down"
else
	t_fail "1c: at least 2 failed attempts while the server was down" "$fails"
fi
# attempt k failed: Connection refused; next attempt in min(200 * 2^k, 1000) ms + 0-20%
assert_eq "1c: each failed attempt logged in turn, with its cause and the doubling wait" \
	"$(grep '^walcap: WARNING: reconnection attempt' <<<"$log_c" | awk '
		match($0, /^walcap: WARNING: reconnection attempt [0-9]+ failed: .*(Connection refused|starting up|shutting down).*; next attempt in [0-9]+ ms$/) {
			k = $5; n = $(NF - 1); b = 200 * 2 ^ k; if (b > 1000) b = 1000
			print (k == NR && n >= b && n <= b * 1.2) ? "ok" : "attempt " k ": waits " n " ms, want " b "-" b * 1.2 " (line " NR ")"
			next
		}
		{ print "unexpected: " $0 }' | sort | uniq -c | sed 's/^ *//')" "$fails ok"
assert_eq "1c: reconnected at attempt $((fails + 1)), after $fails failed ones" \
	"$(grep -c "^walcap: INFO: reconnected (attempt $((fails + 1)))\$" <<<"$log_c")" 1
alive "$pid_a" "1c: walcap still running"
walcap_stop TERM
assert_rc "1: exit status 0" "$WALCAP_RC" 0

# ---------------------------------------------------------------- 2a. a silent proxy
pport=$(_lib_pick_port)
socat "TCP-LISTEN:$pport,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$PG_PORT" 2>"$work/socat.err" &
socat_pid=$!
_LIB_PIDS+=("$socat_pid")
listening() { ss -Htln "sport = :$pport" | grep -q .; }
wait_until 5 listening || { t_fail "2a: socat listens on $pport"; sed 's/^/    | /' "$work/socat.err"; }
# the listener and its children (one per connection)
socat_pids() { echo "$socat_pid"; pgrep -P "$socat_pid" || true; }
signal_socat() {   # SIGNAL
	local p
	for p in $(socat_pids); do
		[[ " ${_LIB_PIDS[*]} " == *" $p "* ]] || _LIB_PIDS+=("$p")
		kill -s "$1" "$p" 2>/dev/null || true
	done
}

walcap_conf "$work/b.conf" "${common[@]}" database.hostname=127.0.0.1 "database.port=$pport" \
	"offset.storage.file.filename=$work/a.conf.offsets" \
	connect.receive.timeout.ms=3000 connect.timeout.ms=2000 connect.keepalive.idle.ms=7000
walcap_start "$work/out_b" "$work/err_b" "$work/b.conf"
pid_b=$WALCAP_PID
wait_until 10 grep -qs 'streaming from slot' "$work/err_b" || t_fail "2a: walcap streams through the proxy"

# the keepalive settings are on walcap's socket: a keepalive timer of at
# most 7 s (connect.keepalive.idle.ms=7000; the kernel's default is 2 h).
# ss prints the time left as 999ms, 6.543ms (6.543 s), 7sec, 16sec, 119min.
has_keepalive() {
	ss -tnpoH state established "( dport = :$pport )" 2>/dev/null | grep "pid=$pid_b," |
		grep -Eq 'timer:\(keepalive,([0-9]{1,3}ms|[1-6]\.[0-9]{3}ms|7\.000ms|[1-7]sec),'
}
if wait_until 5 has_keepalive; then
	t_ok "2a: walcap's connection has a keepalive timer of at most 7 s: $(ss -tnpoH state established "( dport = :$pport )" | grep "pid=$pid_b," | grep -Eo 'timer:\([^)]*\)' | head -n 1)"
else
	t_fail "2a: walcap's connection has a keepalive timer of at most 7 s"
	ss -tnpo | sed 's/^/    | /'
fi

psql_admin -c "INSERT INTO t VALUES (200001, 'before')"
wait_until 10 n_ids "$work/out_b" 200000 300000 1 || t_fail "2a: a row arrives through the proxy"
t0=$(ms_now)
signal_socat STOP
for i in 2 3 4 5 6; do
	psql_admin -c "INSERT INTO t VALUES ($((200000 + i)), 'while stopped')"
done
if wait_until 15 grep -qs 'replication connection lost: no message from the server' "$work/err_b"; then
	cut_ms=$(($(ms_now) - t0))
	if [ "$cut_ms" -ge 1500 ] && [ "$cut_ms" -le 8000 ]; then
		t_ok "2a: silent path noticed $cut_ms ms after the proxy stopped (receive timeout 3000 ms)"
	else
		t_fail "2a: silent path noticed within 1.5-8 s" "after $cut_ms ms"
	fi
else
	t_fail "2a: silent path noticed" "nothing logged within 15 s"
fi
assert_match "2a: the loss is logged with its cause" "$(cat "$work/err_b")" \
	'^walcap: WARNING: replication connection lost: no message from the server in 3000 ms, not even an answer to a keepalive request \(connect\.receive\.timeout\.ms\): .*; reconnecting in (2[0-3][0-9]|240) ms$'
# the proxy still accepts (the kernel does) but never answers: attempts time out
wait_until 15 grep -qs 'reconnection attempt 1 failed' "$work/err_b"
assert_match "2a: an attempt through the stopped proxy fails" "$(cat "$work/err_b")" \
	'^walcap: WARNING: reconnection attempt 1 failed: .*; next attempt in (4[0-7][0-9]|480) ms$'
assert_eq "2a: not reconnected while the proxy is stopped" "$(count "$work/err_b" 'INFO: reconnected')" 0
signal_socat CONT
t0=$(ms_now)
if wait_until 20 grep -qs 'INFO: reconnected (attempt' "$work/err_b"; then
	t_ok "2a: reconnected $(($(ms_now) - t0)) ms after the proxy resumed"
else
	t_fail "2a: reconnected after the proxy resumed"
fi
for i in 7 8 9 10; do
	psql_admin -c "INSERT INTO t VALUES ($((200000 + i)), 'after')"
done
wait_until 20 caught_up "$work/out_b" 200000 300000
assert_eq "2a: every row arrived (before, during and after the cut)" \
	"$(out_ids "$work/out_b" 200000 300000 | tr '\n' ' ')" \
	"200001 200002 200003 200004 200005 200006 200007 200008 200009 200010 "
assert_eq "2a: no event twice" "$(dups "$work/out_b")" ""
alive "$pid_b" "2a: walcap still running"
walcap_stop TERM
assert_rc "2a: exit status 0" "$WALCAP_RC" 0

# ---------------------------------------------------------------- 2b. the same cut with heartbeats every second
# walcap also runs SQL on its other connection (heartbeat.logical.message
# here, every 1 s; the look for new published tables every 5 s; the WAL
# guard), which goes through the same proxy: a query that gets no answer
# must not keep walcap from noticing the cut either.  (2a cuts within about
# 1 s of the start of streaming, before the first look for new tables
# after it.)
walcap_conf "$work/c.conf" "${common[@]}" database.hostname=127.0.0.1 "database.port=$pport" \
	"offset.storage.file.filename=$work/a.conf.offsets" \
	connect.receive.timeout.ms=3000 connect.timeout.ms=2000 \
	heartbeat.interval.ms=1000 heartbeat.logical.message=true
walcap_start "$work/out_c" "$work/err_c" "$work/c.conf"
pid_c=$WALCAP_PID
wait_until 10 grep -qs 'streaming from slot' "$work/err_c" || t_fail "2b: walcap streams through the proxy"
psql_admin -c "INSERT INTO t VALUES (400001, 'before')"
wait_until 10 n_ids "$work/out_c" 400000 500000 1 || t_fail "2b: a row arrives through the proxy"
sleep 1.5   # at least one heartbeat done
t0=$(ms_now)
signal_socat STOP
for i in 2 3 4; do
	psql_admin -c "INSERT INTO t VALUES ($((400000 + i)), 'while stopped')"
done
if wait_until 8 grep -qs 'replication connection lost: no message from the server' "$work/err_c"; then
	t_ok "2b: with heartbeats, silent path noticed $(($(ms_now) - t0)) ms after the proxy stopped"
else
	t_fail "2b: with heartbeats, silent path noticed within 8 s of the proxy stopping" \
		"nothing logged; walcap is in $(cat "/proc/$pid_c/wchan" 2>/dev/null)"
fi
signal_socat CONT
for i in 5 6; do
	psql_admin -c "INSERT INTO t VALUES ($((400000 + i)), 'after')"
done
wait_until 20 caught_up "$work/out_c" 400000 500000
assert_eq "2b: every row arrived (before, during and after the cut)" \
	"$(out_ids "$work/out_c" 400000 500000 | tr '\n' ' ')" "400001 400002 400003 400004 400005 400006 "
assert_eq "2b: no event twice" "$(dups "$work/out_c")" ""
alive "$pid_c" "2b: walcap still running"
walcap_stop TERM
assert_rc "2b: exit status 0" "$WALCAP_RC" 0
signal_socat TERM

t_done

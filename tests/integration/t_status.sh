#!/usr/bin/env bash
# walcap status: the slot's position and the WAL it holds, the
# publication's tables and the offset file, as text and JSON; exit 1 as
# an alerting probe when the slot retains more than --max-retained-wal,
# and when the slot is missing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup stdb
psql_admin -c "CREATE TABLE public.s (id int PRIMARY KEY, pad text)"
work=$T_TMP
walcap_conf "$work/s.conf"
status() {
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status \
		-c "$work/s.conf" "$@" </dev/null
}

# a backlog walcap has not read: about 8 MB of WAL
psql_admin -c "INSERT INTO s SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g"
out=$(status --max-retained-wal 4MB 2>"$work/err"); rc=$?
assert_rc "unread backlog: --max-retained-wal 4MB exits 1" "$rc" 1
assert_match "unread backlog: the alert names the slot and the limit" "$(cat "$work/err")" \
	'^walcap: ERROR: slot "streamkap_pgoutput_slot" retains [0-9.]+ MiB of WAL, more than --max-retained-wal 4\.0 MiB$'
assert_match "text: slot line" "$out" \
	'^slot streamkap_pgoutput_slot \(plugin pgoutput, database stdb\): inactive$'
assert_match "text: retained WAL in bytes and MiB" "$out" '^  retained WAL: [0-9]+ bytes \([0-9.]+ MiB\)$'
assert_match "text: wal_status" "$out" '^  wal_status reserved, safe_wal_size unlimited$'
assert_eq "text: the publication's tables" "$(sed -n '/^publication/,/^offset/p' <<<"$out")" \
"publication streamkap_pub: 2 tables
  public.s
  streamkap.streamkap_signal
offset file $T_TMP/s.conf.offsets: none"

json=$(status --json --max-retained-wal 1GB); rc=$?
assert_rc "--max-retained-wal 1GB: exit 0" "$rc" 0
assert_eq "json: fields" "$(jq -c '{e: .slot.exists, p: .slot.plugin, a: .slot.active, big: (.slot.retained_wal_bytes > 4194304), lagbig: (.slot.lag_bytes > 4194304), t: .publication.tables, o: .offset_file.lsn}' <<<"$json")" \
	'{"e":true,"p":"pgoutput","a":false,"big":true,"lagbig":true,"t":["public.s","streamkap.streamkap_signal"],"o":null}'

# walcap reads the backlog; a checkpoint logs the running transactions,
# and a second short run lets the slot's restart_lsn move past the backlog
end=$(current_lsn)
walcap_run "$work/s.conf" --endpos "$end" >/dev/null 2>"$work/run1.err"
psql_admin -c "CHECKPOINT"
psql_admin -c "INSERT INTO s VALUES (0, 'x')"
walcap_run "$work/s.conf" --endpos "$(current_lsn)" >/dev/null 2>"$work/run2.err"
out=$(status --max-retained-wal 4MB 2>"$work/err"); rc=$?
assert_rc "after walcap read it: --max-retained-wal 4MB exits 0" "$rc" 0
assert_eq "after walcap read it: no alert" "$(cat "$work/err")" ""
assert_eq "json: lag and retained WAL dropped below 4 MiB" \
	"$(status --json | jq -c '[.slot.lag_bytes < 4194304, .slot.retained_wal_bytes < 4194304, (.offset_file.lsn != null)]')" \
	'[true,true,true]'
assert_match "text: offset file line" "$out" \
	"^offset file $T_TMP/s.conf.offsets: delivered up to [0-9A-F]+/[0-9A-F]+, written [0-9-]+T[0-9:]+Z$"

# a missing slot, a bad option
out=$(status --set slot.name=no_such_slot 2>"$work/err"); rc=$?
assert_rc "missing slot: exit 1" "$rc" 1
assert_eq "missing slot: reported" "$(head -1 <<<"$out") / $(cat "$work/err")" \
	'slot no_such_slot: does not exist / walcap: ERROR: replication slot "no_such_slot" does not exist'
status --max-retained-wal lots >/dev/null 2>"$work/err"; rc=$?
assert_rc "bad size: exit 2" "$rc" 2
assert_match "bad size: message" "$(cat "$work/err")" '--max-retained-wal: "lots" is not a size'

# --watch refreshes until interrupted
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "$WALCAP" status -c "$work/s.conf" --watch 1 \
	>"$work/watch" 2>&1 </dev/null &
pid=$!
sleep 2.5
kill -INT "$pid"
wait "$pid"; rc=$?
assert_rc "--watch: stopped by SIGINT, exit 0" "$rc" 0
n=$(grep -c '^slot streamkap_pgoutput_slot' "$work/watch")
if [ "$n" -ge 2 ]; then t_ok "--watch: refreshed ($n reports)"; else t_fail "--watch: refreshed" "$n reports"; fi

t_done

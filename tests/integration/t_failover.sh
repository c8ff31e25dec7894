#!/usr/bin/env bash
# slot.failover (Debezium's key): on PostgreSQL 17 and later the slot walcap
# or `walcap setup` creates is a failover slot (pg_replication_slots.failover,
# which PostgreSQL itself reports), walcap run makes an existing slot one,
# `check` warns with a fix that works when it is not, and `status` shows it.
# Below 17 the key cannot take effect: a warning naming the version, an
# ordinary slot, as Debezium does.  The version matrix (tests/run-matrix)
# runs it on every PostgreSQL 10-18: the 17+ part on 17 and 18, the other
# everywhere else.
#
# Not covered: synchronization to a real physical standby (the PostgreSQL
# builds for 17 and 18 come without pg_basebackup).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
pg_start
SEED_SLOT='' seed_setup fodb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY)"
# the schema USAGE the setup guide leaves out, so that check passes but for the slot
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role"
major=$((PG_VERSION_NUM / 10000))

# walcap run until it streams, then SIGTERM; $out, $err, $rc.  Not
# --endpos: a slot the run creates starts after any position taken
# before, and PostgreSQL 10-12 tell an idle client how far the WAL goes
# only every wal_sender_timeout/2 (30 s), so such a run waited that long.
run() {   # CONF [key=value...]
	local conf=$1 kv
	shift
	local -a sets=()
	for kv in "$@"; do sets+=(--set "$kv"); done
	: >"$work/out"
	: >"$work/err"
	walcap_start "$work/out" "$work/err" "$conf" "${sets[@]}"
	wait_until 30 streaming_or_gone
	walcap_stop
	rc=$WALCAP_RC
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}
streaming_or_gone() {
	grep -q '^walcap: INFO: streaming from slot' "$work/err" || ! kill -0 "$WALCAP_PID" 2>/dev/null
}
failover_of() {   # SLOT: pg_replication_slots.failover as PostgreSQL reports it
	psql_admin -c "SELECT failover FROM pg_replication_slots WHERE slot_name = '$1'"
}
check() {   # CONF [args...]
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 60 "$WALCAP" check -c "$@" </dev/null
}
status() {   # CONF [args...]
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$WALCAP" status -c "$@" </dev/null
}
block() {   # NAME <report: that check's line and its why/fix lines
	awk -v n="$1:" '/^      / { if (on) print; next }
		{ on = ($1 ~ /^(PASS|WARN|FAIL|SKIP)$/ && $2 == n); if (on) print }'
}
fix_sql() {   # NAME <report
	block "$1" | sed -n -e 's/^      fix: //p' -e 's/^           //p'
}
# psql as the connector user on a replication connection (replication commands)
psql_repl() {
	PGPASSWORD=$WALCAP_TEST_PASSWORD timeout 30 "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -w \
		"host=127.0.0.1 port=$PG_PORT user=streamkap_user dbname=fodb replication=database" "$@"
}
admin() { printf 'host=%s port=%s user=postgres dbname=%s' "$PG_SOCK" "$PG_PORT" "$1"; }

walcap_conf "$work/fo.conf" slot.name=fo_slot slot.failover=true
walcap_conf "$work/plain.conf" slot.name=plain_slot

# ---- setup without a connection cannot know the version: a comment
out=$(timeout 10 "$WALCAP" setup -c "$work/fo.conf" 2>"$work/err"); rc=$?
assert_rc "setup, printed: exit 0" "$rc" 0
assert_eq "setup, printed: stderr empty" "$(cat "$work/err")" ""
assert_eq "setup, printed: the slot step says how to make it a failover slot" \
	"$(grep -B3 '^SELECT pg_create_logical_replication_slot' <<<"$out")" \
"-- Create a logical replication slot
-- slot.failover=true: on PostgreSQL 17 or later add failover => true
-- after 'pgoutput' (before 17 there are no failover slots)
SELECT pg_create_logical_replication_slot('fo_slot', 'pgoutput');"

if [ "$major" -ge 17 ]; then
	# ---- walcap creates its slot as a failover slot
	run "$work/fo.conf"
	assert_rc "17+: run with slot.failover=true: exit 0" "$rc" 0
	assert_match "17+: run: the slot is created" "$err" '^walcap: INFO: created replication slot "fo_slot" at '
	assert_eq "17+: run: no warning" "$(grep -c -e WARNING -e ERROR <<<"$err")" 0
	assert_eq "17+: pg_replication_slots.failover = t" "$(failover_of fo_slot)" t
	run "$work/plain.conf"
	assert_rc "17+: run without the key: exit 0" "$rc" 0
	assert_eq "17+: without the key: failover = f" "$(failover_of plain_slot)" f

	# ---- status shows it
	out=$(status "$work/fo.conf" 2>"$work/err"); rc=$?
	assert_rc "17+: status of a failover slot: exit 0" "$rc" 0
	assert_eq "17+: status: the failover line" "$(grep '^  failover' <<<"$out")" '  failover slot: yes'
	assert_eq "17+: status: stderr empty" "$(cat "$work/err")" ""
	assert_eq "17+: status --json: failover true" "$(status "$work/fo.conf" --json | jq -c .slot.failover)" true
	out=$(status "$work/plain.conf" 2>"$work/err")
	assert_eq "17+: status of an ordinary slot" "$(grep '^  failover' <<<"$out") / $(cat "$work/err")" \
		'  failover slot: no / '
	assert_eq "17+: status --json: failover false" "$(status "$work/plain.conf" --json | jq -c .slot.failover)" false
	out=$(status "$work/plain.conf" --set slot.failover=true 2>"$work/err"); rc=$?
	assert_rc "17+: status, the key asks for it: exit 0" "$rc" 0
	assert_eq "17+: status, the key asks for it: the line" "$(grep '^  failover' <<<"$out")" \
		'  failover slot: no, although slot.failover=true (walcap run makes it one when it starts)'
	assert_eq "17+: status, the key asks for it: the warning" "$(cat "$work/err")" \
		'walcap: WARNING: replication slot "plain_slot" is not a failover slot, but slot.failover=true'

	# ---- check reports it, and warns with a fix that works
	out=$(check "$work/fo.conf" 2>"$work/err")
	assert_eq "17+: check of a failover slot" "$(block slot_failover <<<"$out")" \
		'PASS  slot_failover: replication slot fo_slot is a failover slot: standbys with sync_replication_slots = on keep a copy'
	out=$(check "$work/plain.conf" 2>"$work/err")
	assert_eq "17+: check of an ordinary slot, key false" "$(block slot_failover <<<"$out")" \
		'PASS  slot_failover: replication slot plain_slot is not a failover slot (slot.failover=false): a failover to a standby loses it'
	out=$(check "$work/plain.conf" --set slot.failover=true 2>"$work/err"); rc=$?
	assert_rc "17+: check, key true, ordinary slot: exit 0 (a warning)" "$rc" 0
	assert_eq "17+: check, key true, ordinary slot: stderr empty" "$(cat "$work/err")" ""
	assert_eq "17+: check, key true, ordinary slot: WARN and the fix" "$(block slot_failover <<<"$out")" \
'WARN  slot_failover: replication slot plain_slot is not a failover slot, but slot.failover=true
      why: only a failover slot is synchronized to physical standbys; an ordinary one is lost when a standby is promoted, and walcap must start over with a new slot and a new snapshot
      fix: -- walcap run does this when it starts; or, while no one streams from the slot,
           -- as the connector user in psql connected with replication=database:
           ALTER_REPLICATION_SLOT "plain_slot" (FAILOVER true);
           -- standbys keep a copy with sync_replication_slots = on (see docs/config.md)'
	if fix_sql slot_failover <<<"$out" | psql_repl >/dev/null 2>"$work/fix.err"; then
		t_ok "17+: the printed fix runs as the connector user"
	else
		t_fail "17+: the printed fix runs as the connector user" "$(cat "$work/fix.err")"
	fi
	assert_eq "17+: after the fix: failover = t" "$(failover_of plain_slot)" t
	assert_eq "17+: after the fix: check passes" \
		"$(check "$work/plain.conf" --set slot.failover=true 2>&1 | block slot_failover)" \
		'PASS  slot_failover: replication slot plain_slot is a failover slot: standbys with sync_replication_slots = on keep a copy'

	# ---- walcap run makes an existing ordinary slot a failover slot
	psql_repl -c 'ALTER_REPLICATION_SLOT "plain_slot" (FAILOVER false)' >/dev/null
	assert_eq "17+: made ordinary again" "$(failover_of plain_slot)" f
	run "$work/plain.conf" slot.failover=true
	assert_rc "17+: run, key true, existing ordinary slot: exit 0" "$rc" 0
	assert_match "17+: run: it says so" "$err" \
		'^walcap: INFO: replication slot "plain_slot" is now a failover slot \(slot\.failover=true\)$'
	assert_eq "17+: run: no warning" "$(grep -c -e WARNING -e ERROR <<<"$err")" 0
	assert_eq "17+: run: failover = t" "$(failover_of plain_slot)" t
	assert_eq "17+: run: stdout empty (nothing changed in the tables)" "$out" ""
	# the key false leaves a failover slot alone (Debezium's false: do not create one)
	run "$work/plain.conf"
	assert_eq "17+: run without the key: a failover slot stays one" "$(failover_of plain_slot)" t

	# ---- check on a missing slot proposes a failover slot; setup creates one
	out=$(check "$work/fo.conf" --set slot.name=new_slot 2>&1)
	assert_eq "17+: check, missing slot: the fix creates a failover slot" \
		"$(block slot <<<"$out"; block slot_failover <<<"$out")" \
'FAIL  slot: replication slot new_slot does not exist
      why: the slot keeps the server'"'"'s WAL until walcap has delivered it; walcap does not create it
      fix: SELECT pg_create_logical_replication_slot('"'"'new_slot'"'"', '"'"'pgoutput'"'"', failover => true);
SKIP  slot_failover: no slot'
	fix_sql slot <<<"$out" | psql_admin >/dev/null
	assert_eq "17+: check's fix: failover = t" "$(failover_of new_slot)" t
	out=$(timeout 30 "$WALCAP" setup -c "$work/fo.conf" --set slot.name=setup_slot --apply \
		--admin-dsn "$(admin fodb)" 2>"$work/err"); rc=$?
	assert_rc "17+: setup --apply: exit 0" "$rc" 0
	assert_eq "17+: setup --apply: stderr empty (the user exists: no password needed)" "$(cat "$work/err")" ""
	assert_eq "17+: setup --apply: the slot step" "$(grep -F 'pg_create_logical' <<<"$out")" \
		"done     SELECT pg_create_logical_replication_slot('setup_slot', 'pgoutput', failover => true)"
	assert_eq "17+: setup --apply: failover = t" "$(failover_of setup_slot)" t
	out=$(timeout 30 "$WALCAP" setup -c "$work/fo.conf" --admin-dsn "$(admin fodb)" 2>"$work/err")
	assert_eq "17+: setup, printed with a connection: the slot step" \
		"$(grep -B2 '^SELECT pg_create_logical_replication_slot' <<<"$out")" \
"-- Create a logical replication slot, as a failover slot (slot.failover=true):
-- standbys with sync_replication_slots = on keep a copy that survives a failover
SELECT pg_create_logical_replication_slot('fo_slot', 'pgoutput', failover => true);"
else
	# ---- below 17: a warning naming the version, an ordinary slot
	run "$work/fo.conf"
	assert_rc "<17: run with slot.failover=true: exit 0" "$rc" 0
	assert_eq "<17: run: the warning names the version" "$(grep -e WARNING -e HINT <<<"$err")" \
"walcap: WARNING: slot.failover=true, but PostgreSQL $major has no failover slots (they exist from PostgreSQL 17 on): replication slot \"fo_slot\" is an ordinary slot, which a failover to a standby does not keep
walcap: HINT: connect to a primary running PostgreSQL 17 or later, or set slot.failover=false"
	assert_match "<17: run: the slot is created all the same" "$err" '^walcap: INFO: created replication slot "fo_slot" at '
	assert_eq "<17: the slot exists" "$(psql_admin -c "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'fo_slot'")" pgoutput
	run "$work/plain.conf"
	assert_eq "<17: run without the key: no warning" "$(grep -c -e WARNING -e ERROR <<<"$err")" 0

	out=$(check "$work/fo.conf" 2>"$work/err"); rc=$?
	assert_rc "<17: check with the key: exit 0 (a warning)" "$rc" 0
	assert_eq "<17: check with the key: WARN naming the version" "$(block slot_failover <<<"$out")" \
"WARN  slot_failover: slot.failover=true, but PostgreSQL $major has no failover slots (they exist from PostgreSQL 17 on)
      why: the slot is an ordinary one: a failover to a standby loses it, and walcap must start over with a new slot and a new snapshot
      fix: upgrade to PostgreSQL 17 or later, or set slot.failover=false"
	out=$(check "$work/plain.conf" 2>&1)
	assert_eq "<17: check without the key: no slot_failover line" "$(block slot_failover <<<"$out")" ""

	out=$(status "$work/fo.conf" 2>"$work/err"); rc=$?
	assert_rc "<17: status with the key: exit 0" "$rc" 0
	assert_eq "<17: status with the key: the line and the warning" "$(grep '^  failover' <<<"$out") / $(cat "$work/err")" \
		"  failover slot: no, PostgreSQL $major has none (slot.failover=true) / walcap: WARNING: slot.failover=true, but PostgreSQL $major has no failover slots (they exist from PostgreSQL 17 on)"
	assert_eq "<17: status --json: failover null" "$(status "$work/fo.conf" --json 2>/dev/null | jq -c .slot.failover)" null
	out=$(status "$work/plain.conf" 2>"$work/err")
	assert_eq "<17: status without the key: no failover line, no warning" "$(grep -c '^  failover' <<<"$out") / $(cat "$work/err")" '0 / '

	out=$(timeout 30 "$WALCAP" setup -c "$work/fo.conf" --set slot.name=setup_slot --apply \
		--admin-dsn "$(admin fodb)" 2>"$work/err"); rc=$?
	assert_rc "<17: setup --apply with the key: exit 0" "$rc" 0
	assert_eq "<17: setup --apply: the warning" "$(cat "$work/err")" \
"walcap: WARNING: slot.failover=true, but PostgreSQL $major has no failover slots (they exist from PostgreSQL 17 on): the slot is an ordinary one, which a failover to a standby does not keep
walcap: HINT: connect to a primary running PostgreSQL 17 or later, or set slot.failover=false"
	assert_eq "<17: setup --apply: an ordinary slot" "$(grep -F 'pg_create_logical' <<<"$out")" \
		"done     SELECT pg_create_logical_replication_slot('setup_slot', 'pgoutput')"
fi

t_done

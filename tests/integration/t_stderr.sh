#!/usr/bin/env bash
# Every command keeps its streams apart: stdout carries only its product
# (events, check's report, setup's SQL or step report, status's report,
# the signal's id, --help, --version, --print-config); every error,
# warning and hint goes to stderr as "walcap: LEVEL: ..." (log.h), with
# exit status 2 for usage and configuration errors, 1 for runtime ones.
# check's FAIL lines are its report (README: "one PASS / WARN / FAIL line
# per check", exit 1 when one FAILs), so they stay on stdout.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$T_TMP
pg_start
seed_setup errdb
psql_admin -c "CREATE TABLE public.t (id int PRIMARY KEY)"
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role"   # what the guide leaves out
walcap_conf "$work/c.conf"
hint_help='walcap: HINT: walcap --help lists the commands and their options'

# w [ENV=VALUE...] -- ARGS...: walcap ARGS with the test password unless
# overridden; $out (stdout), $err (stderr), $rc
w() {
	local -a envs=("WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD")
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" timeout 30 "$WALCAP" "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}
# streams NAME RC OUT ERR: the exit status, and stdout and stderr exactly
streams() {
	assert_rc "$1: exit $2" "$rc" "$2"
	assert_eq "$1: stdout" "$out" "$3"
	assert_eq "$1: stderr" "$err" "$4"
}

# ---- the command line itself
w -- ; streams "no command" 2 "" "walcap: ERROR: no command given
$hint_help"
w -- frobnicate; streams "unknown command" 2 "" "walcap: ERROR: unknown command \"frobnicate\"
$hint_help"
w -- --version
assert_eq "--version: product on stdout, stderr empty" "$rc|$(grep -c '^walcap [0-9]' <<<"$out")|$err" '0|1|'
w -- --help
assert_eq "--help: product on stdout, stderr empty" "$rc|$(grep -c '^Usage:$' <<<"$out")|$err" '0|1|'

# ---- run
w -- run -c "$work/c.conf" --bogus; streams "run: unknown option" 2 "" "walcap: ERROR: unknown option \"--bogus\" for run
$hint_help"
w -- run -c "$work/c.conf" --set no.such.key=1; streams "run: unknown key" 2 "" \
	'walcap: ERROR: config: --set: unknown key "no.such.key"'
w -- run -c "$work/none.conf"; streams "run: missing file" 2 "" \
	"walcap: ERROR: config: cannot open \"$work/none.conf\": No such file or directory"
w -- run -c "$work/c.conf" --print-config --set database.port=x; streams "run --print-config: bad value" 2 "" \
	'walcap: ERROR: config: --set: database.port: "x" is not a port number (1-65535)'
w -- run -c "$work/c.conf" --set database.password=x; streams "run: a secret on the command line" 2 "" \
'walcap: ERROR: database.password cannot be given on the command line, where other users can read it
walcap: HINT: put it in the -c file, in database.password.file or in WALCAP_DATABASE_PASSWORD'
w WALCAP_DATABASE_PASSWORD=wrong -- run -c "$work/c.conf"
assert_rc "run: wrong password: exit 1" "$rc" 1
assert_eq "run: wrong password: stdout empty" "$out" ""
assert_eq "run: wrong password: stderr, the error and the hint" "$(cut -d: -f1-2 <<<"$err")" \
'walcap: ERROR
walcap: HINT'

# ---- check: the report is the product, a FAIL line included
w -- check -c "$work/c.conf" --bogus; streams "check: unknown option" 2 "" "walcap: ERROR: unknown option \"--bogus\" for check
$hint_help"
w WALCAP_DATABASE_PASSWORD=wrong -- check -c "$work/c.conf"
assert_rc "check: wrong password: exit 1" "$rc" 1
assert_eq "check: wrong password: the report on stdout" "$(grep -v '^      ' <<<"$out")" \
"walcap check: database errdb at 127.0.0.1:$PG_PORT as streamkap_user, publication streamkap_pub, slot streamkap_pgoutput_slot
FAIL  login: could not connect to 127.0.0.1 port $PG_PORT as user \"streamkap_user\" to database \"errdb\": connection to server at \"127.0.0.1\", port $PG_PORT failed: FATAL:  password authentication failed for user \"streamkap_user\"
0 passed, 0 warnings, 1 failed, 0 skipped"
assert_eq "check: wrong password: stderr empty" "$err" ""
w -- check -c "$work/c.conf" --json --set x=1; streams "check --json: config error" 2 "" \
	'walcap: ERROR: config: --set: unknown key "x"'

# ---- setup
w -- setup -c "$work/c.conf" --bogus; streams "setup: unknown option" 2 "" "walcap: ERROR: unknown option \"--bogus\" for setup
$hint_help"
w -- setup -c "$work/c.conf" --apply --admin-dsn "host=127.0.0.1 port=1 user=postgres dbname=errdb"
assert_rc "setup: unreachable administrator: exit 1" "$rc" 1
assert_eq "setup: unreachable administrator: stdout empty" "$out" ""
assert_eq "setup: unreachable administrator: stderr" "$(sed -E 's/: connection to server .*//' <<<"$err")" \
'walcap: ERROR: could not connect with the administrator connection
walcap: HINT: check --admin-dsn or WALCAP_ADMIN_DSN'
# (t_setup: a step that fails, no password for the new user)

# ---- snapshot
w -- snapshot -c "$work/c.conf"; streams "snapshot: no table" 2 "" "walcap: ERROR: name the tables to snapshot (schema.table ...)
$hint_help"
w -- snapshot -c "$work/c.conf" public.nosuch; streams "snapshot: no such table" 2 "" \
'walcap: ERROR: table "public.nosuch" does not exist
walcap: HINT: name tables as schema.table (no schema means public); quote a part with dots or capitals: '"'"'"My Schema"."Orders"'"'"
w -- snapshot -c "$work/c.conf" --id snap-1 public.t
assert_eq "snapshot: the signal's id on stdout (its product)" "$rc|$(cut -d' ' -f1-2 <<<"$out")" '0|snap-1 execute-snapshot'
assert_eq "snapshot: the note on stderr" "$err" \
	'walcap: INFO: slot "streamkap_pgoutput_slot" is not being read now: walcap run acts on the signal when it next reads the slot'

# ---- status
w -- status -c "$work/c.conf" --watch 0; streams "status: bad --watch" 2 "" "walcap: ERROR: --watch: \"0\" is not a number of seconds (1-86400)
$hint_help"
w WALCAP_DATABASE_PASSWORD=wrong -- status -c "$work/c.conf"
assert_rc "status: wrong password: exit 1" "$rc" 1
assert_eq "status: wrong password: stdout empty" "$out" ""
assert_match "status: wrong password: the error on stderr" "$err" \
	'^walcap: ERROR: could not connect to 127\.0\.0\.1 port [0-9]+ as user "streamkap_user" to database "errdb": .*password authentication failed'
w -- status -c "$work/c.conf" --set slot.name=gone
assert_eq "status: missing slot: the report on stdout, the error on stderr" \
	"$rc|$(head -1 <<<"$out")|$err" '1|slot gone: does not exist|walcap: ERROR: replication slot "gone" does not exist'

# ---- a server's WARNING on one of walcap's connections goes through log.h
walcap_conf "$work/hb.conf" heartbeat.interval.ms=200 \
	"heartbeat.action.query=DO \$\$ BEGIN RAISE WARNING 'heartbeat here'; END \$\$"
walcap_start "$work/hb.out" "$work/hb.err" "$work/hb.conf"
wait_until 20 grep -qs 'heartbeat here' "$work/hb.err"
walcap_stop
assert_eq "server WARNING: logged as walcap's WARNING" "$(grep -m1 'heartbeat here' "$work/hb.err")" \
	'walcap: WARNING: the server says: heartbeat here'
assert_eq "server WARNING: stdout empty" "$(cat "$work/hb.out")" ""

t_done

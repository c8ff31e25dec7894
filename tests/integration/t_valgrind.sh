#!/usr/bin/env bash
# walcap itself under valgrind: a run to --endpos over inserts, updates,
# deletes, a truncate, a message, an enum and a domain (the catalog
# connection), then a run stopped by SIGTERM, the other commands,
# snapshots and the SSH tunnel — no leaks, no errors.
# integration: alone
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pg_start
seed_setup vgdb
psql_admin <<'SQL' >/dev/null
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN price AS numeric(8,2);
CREATE TABLE public.v (id int PRIMARY KEY, m mood, p price, t text, a int[]);
INSERT INTO public.v SELECT g, 'happy', g / 3.0, repeat('x', g), ARRAY[g, g] FROM generate_series(1, 200) g;
UPDATE public.v SET m = 'sad' WHERE id % 2 = 0;
DELETE FROM public.v WHERE id > 150;
SELECT pg_logical_emit_message(true, 'vg', 'payload');
TRUNCATE public.v;
SQL
end=$(current_lsn)
work=$T_TMP
# valgrind cannot run an ASan build: always the plain binary
VGBIN=$ROOT/walcap
walcap_conf "$work/v.conf"
VG=(valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 -q)

WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "${VG[@]}" "$VGBIN" run \
	-c "$work/v.conf" --endpos "$end" >"$work/out" 2>"$work/err" </dev/null
rc=$?
assert_rc "valgrind, run to --endpos: exit status (99 = valgrind error)" "$rc" 0
assert_eq "all events" "$(wc -l < "$work/out")" 352
assert_eq "no valgrind report" "$(grep '^==' "$work/err" | head -20)" ""

psql_admin -c "INSERT INTO public.v VALUES (1, 'sad', 1, 'y', '{}')"
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD "${VG[@]}" "$VGBIN" run -c "$work/v.conf" \
	>"$work/out2" 2>"$work/err2" </dev/null &
pid=$!
wait_until 60 grep -qs '"op":"c"' "$work/out2"
kill -TERM "$pid"
wait "$pid"
rc=$?
assert_rc "valgrind, stopped by SIGTERM: exit status" "$rc" 0
assert_eq "no valgrind report after SIGTERM" "$(grep '^==' "$work/err2" | head -20)" ""

# the other commands: check, status, setup (printed) — exit 0 or 1, never 99
for cmd in "check" "status --json" "setup"; do
	# shellcheck disable=SC2086
	WALCAP_ADMIN_DSN="host=$PG_SOCK port=$PG_PORT user=postgres" \
	WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "${VG[@]}" "$VGBIN" $cmd \
		-c "$work/v.conf" >"$work/out3" 2>"$work/err3" </dev/null
	rc=$?
	assert_match "valgrind, walcap ${cmd%% *}: exit status" "$rc" '^[01]$'
	assert_eq "valgrind, walcap ${cmd%% *}: no valgrind report" "$(grep '^==' "$work/err3" | head -20)" ""
done

# snapshots: incremental on the existing slot, then the exported one of
# a slot walcap creates (snapshot.mode=initial_only exits when done)
psql_admin -c "GRANT USAGE ON SCHEMA streamkap TO streamkap_role; INSERT INTO public.v SELECT g, 'sad', g, 'w', '{}' FROM generate_series(2, 40) g" >/dev/null
walcap_conf "$work/s.conf" snapshot.mode=initial_only incremental.snapshot.chunk.size=7 \
	offset.storage.file.filename="$work/s1.offsets"
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "${VG[@]}" "$VGBIN" run \
	-c "$work/s.conf" >"$work/out4" 2>"$work/err4" </dev/null
rc=$?
assert_rc "valgrind, incremental snapshot: exit status" "$rc" 0
assert_eq "valgrind, incremental snapshot: every row" "$(grep -c '"snapshot":"incremental"' "$work/out4")" 40
assert_eq "valgrind, incremental snapshot: no valgrind report" "$(grep '^==' "$work/err4" | head -20)" ""
psql_admin -c "SELECT pg_drop_replication_slot('streamkap_pgoutput_slot')" >/dev/null
walcap_conf "$work/s.conf" snapshot.mode=initial_only offset.storage.file.filename="$work/s2.offsets"
WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD timeout 120 "${VG[@]}" "$VGBIN" run \
	-c "$work/s.conf" >"$work/out5" 2>"$work/err5" </dev/null
rc=$?
assert_rc "valgrind, exported snapshot: exit status" "$rc" 0
assert_eq "valgrind, exported snapshot: every row" "$(grep -c '"op":"r"' "$work/out5")" 40
assert_eq "valgrind, exported snapshot: no valgrind report" "$(grep '^==' "$work/err5" | head -20)" ""

# the SSH tunnel: its thread, the session and the channels, streaming to
# --endpos and stopped by SIGTERM; and a refused host key
if sshd_start; then
	ssh=(ssh.enabled=true ssh.host=127.0.0.1 "ssh.port=$SSHD_PORT" "ssh.user=$SSHD_USER"
		"ssh.private.key.file=$SSHD_KEY" "ssh.known.hosts.file=$SSHD_KNOWN_HOSTS")
	psql_admin -c "INSERT INTO public.v SELECT g, 'happy', g, 'tunnel', '{}' FROM generate_series(1000, 1099) g" >/dev/null
	walcap_conf "$work/t.conf" "${ssh[@]}"
	WALCAP_SSH_PRIVATE_KEY_PASSPHRASE=$WALCAP_TEST_SSH_PASSPHRASE WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
		timeout 120 "${VG[@]}" "$VGBIN" run -c "$work/t.conf" --endpos "$(current_lsn)" >"$work/out6" 2>"$work/err6" </dev/null
	rc=$?
	assert_rc "valgrind, through the SSH tunnel: exit status" "$rc" 0
	assert_eq "valgrind, through the SSH tunnel: every row" "$(grep -c '"t":"tunnel"' "$work/out6")" 100
	assert_eq "valgrind, through the SSH tunnel: no valgrind report" "$(grep '^==' "$work/err6" | head -20)" ""
	psql_admin -c "INSERT INTO public.v VALUES (2000, 'sad', 1, 'later', '{}')" >/dev/null
	WALCAP_SSH_PRIVATE_KEY_PASSPHRASE=$WALCAP_TEST_SSH_PASSPHRASE WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
		"${VG[@]}" "$VGBIN" run -c "$work/t.conf" >"$work/out7" 2>"$work/err7" </dev/null &
	pid=$!
	wait_until 60 grep -qs '"t":"later"' "$work/out7"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	assert_rc "valgrind, through the SSH tunnel, SIGTERM: exit status" "$rc" 0
	assert_eq "valgrind, through the SSH tunnel, SIGTERM: no valgrind report" "$(grep '^==' "$work/err7" | head -20)" ""
	: >"$work/empty_known_hosts"
	walcap_conf "$work/u.conf" "${ssh[@]}" "ssh.known.hosts.file=$work/empty_known_hosts"
	WALCAP_SSH_PRIVATE_KEY_PASSPHRASE=$WALCAP_TEST_SSH_PASSPHRASE WALCAP_DATABASE_PASSWORD=$WALCAP_TEST_PASSWORD \
		timeout 120 "${VG[@]}" "$VGBIN" run -c "$work/u.conf" >"$work/out8" 2>"$work/err8" </dev/null
	rc=$?
	assert_rc "valgrind, unknown host key: exit status" "$rc" 1
	assert_eq "valgrind, unknown host key: no valgrind report" "$(grep '^==' "$work/err8" | head -20)" ""
else
	t_fail "sshd_start"
fi

t_done

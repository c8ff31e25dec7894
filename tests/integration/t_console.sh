#!/usr/bin/env bash
# The web console, served from the binary by `walcap server`, in a real
# browser: tests/console/console.test.js drives Debian's chromium
# (headless) through puppeteer-core.  It fills "Create new" as the setup
# guide says against this cluster, presses Check (the lines must be
# exactly `walcap check --json`'s for the same configuration), saves,
# sees rows inserted with psql arrive in the file sink and the list show
# RUNNING with the events count, then pauses, resumes, snapshots a table,
# restarts and deletes from the connector page.  Also: every file the
# server serves at / is web/'s, byte for byte, with its content type.
#
# Needs chromium, node and tests/console/node_modules (scripts/deps
# installs all three; make test runs scripts/deps first).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CONSOLE_DIR=$ROOT/tests/console
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1 ||
        [ ! -f "$CONSOLE_DIR/node_modules/puppeteer-core/package.json" ]; then
    t_fail "the browser test needs $CHROMIUM, node and $CONSOLE_DIR/node_modules: run scripts/deps"
    t_done
fi

# The cluster as the guide sets it up: a publication FOR ALL TABLES, the
# slot, the signal table; three tables, of which the form names two.
pg_start shop
psql_admin >/dev/null <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, item text, qty int);
CREATE TABLE public.customers (id int PRIMARY KEY, name text);
CREATE TABLE public.ignored (id int PRIMARY KEY, note text);
SQL
seed_setup shop

# The server; its state directory holds secrets.json, so it lives where a
# test may keep a secret.
port=$(_lib_pick_port) || { t_fail "a free port for the server"; t_done; }
url=http://127.0.0.1:$port
state=$WALCAP_TEST_SECRETS_DIR/server
printf 'server.listen=127.0.0.1:%s\nserver.state.dir=%s\n' "$port" "$state" >"$T_TMP/server.properties"
"$WALCAP" server -c "$T_TMP/server.properties" </dev/null >"$T_TMP/server.log" 2>&1 &
server_pid=$!
_LIB_PIDS+=("$server_pid")
if ! wait_until 15 curl -sf -o /dev/null "$url/"; then
    t_fail "walcap server answers GET / on $url"
    sed 's/^/    | /' "$T_TMP/server.log" | tail -n 30
    t_done
fi

# The console's files, from the binary.  GET / is the page for a browser
# (Accept: text/html); Kafka Connect's clients get the version there.
served() {   # PATH FILE TYPE
    local hdr=$T_TMP/served.h body=$T_TMP/served.b code
    code=$(curl -s -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' -D "$hdr" -o "$body" \
        -w '%{http_code}' "$url$1")
    assert_eq "GET $1: 200" "$code" 200
    if cmp -s "$body" "$ROOT/web/$2"; then t_ok "GET $1: web/$2, byte for byte"
    else t_fail "GET $1: web/$2, byte for byte"; fi
    assert_eq "GET $1: Content-Type" \
        "$(tr -d '\r' <"$hdr" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')" "$3"
}
served / index.html 'text/html; charset=utf-8'
served /index.html index.html 'text/html; charset=utf-8'
served /console.js console.js 'text/javascript; charset=utf-8'
served /console.css console.css 'text/css; charset=utf-8'

# What Check must show: console.test.js runs `walcap check --json` with
# the keys the form sends.
walcap_conf "$T_TMP/check.conf" slot.name=streamkap_pgoutput_slot publication.name=streamkap_pub \
    signal.schema=streamkap binary.handling.mode=bytes \
    'table.include.list=public\.orders,public\.customers' \
    sink.type=file "sink.file.path=$T_TMP/events.json"

# The browser.
mkdir -m 700 "$WALCAP_TEST_SECRETS_DIR/chromium"
CONSOLE_URL=$url PG_PORT=$PG_PORT PG_SOCK=$PG_SOCK PG_DB=$PG_DB PGBIN=$PGBIN \
    SINK_FILE=$T_TMP/events.json WALCAP=$WALCAP CHECK_CONF=$T_TMP/check.conf CHROMIUM=$CHROMIUM \
    PROFILE_DIR=$WALCAP_TEST_SECRETS_DIR/chromium \
    timeout -k 10 420 node "$CONSOLE_DIR/console.test.js" </dev/null >"$T_TMP/browser.out" 2>&1
rc=$?
while IFS= read -r line; do
    case "$line" in
        'ok - '*) t_ok "${line#ok - }" ;;
        'FAIL - '*) t_fail "${line#FAIL - }" ;;
        *) printf '    | %s\n' "$line" ;;
    esac
done <"$T_TMP/browser.out"
assert_rc "console.test.js exit status" "$rc" 0

# The password is stored in secrets.json alone.
leaks=$(grep -rlF -- "$WALCAP_TEST_PASSWORD" "$state" 2>/dev/null | grep -v '/secrets\.json$' || true)
assert_eq "the state directory holds the password in secrets.json only" "$leaks" ""

# SIGTERM: every child stops cleanly and the server exits 0 (within 30 s).
kill -TERM "$server_pid" 2>/dev/null
wait_until 30 eval '! kill -0 "$server_pid" 2>/dev/null' || kill -KILL "$server_pid" 2>/dev/null
wait "$server_pid"
assert_rc "walcap server: SIGTERM, exit 0" "$?" 0
if [ "$T_FAILED" -gt 0 ]; then
    echo "    server log:"
    sed 's/^/    | /' "$T_TMP/server.log" | tail -n 40
fi
t_done

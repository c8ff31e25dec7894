# shellcheck shell=bash
# tests/integration/lib.sh — the harness that integration tests (t_*.sh),
# scripts/demo and tests/fixtures/capture source.
#
#   . "$(dirname "$0")/lib.sh"
#
# A throwaway PostgreSQL 15 cluster per script, set up as the DBA's seed guide
# (shared/seeds/000_7224e14c996b514f.txt) describes for a self-managed server,
# plus helpers to run walcap against it and check what it prints.
#
# Cluster
#   pg_start [-c name=value]... [DB]  initdb + start in a fresh temp dir; DB is created
#   pg_conf name=value...             append settings to postgresql.conf (then pg_restart)
#   pg_restart                        fast restart, same port
#   pg_stop                           fast stop, wipe the temp dir (also run at EXIT)
#   psql_admin [psql args]            psql as postgres over the unix socket (-X -At, ON_ERROR_STOP)
#   psql_user [psql args]             psql as streamkap_user over TCP with the test password
#   seed_setup DB [TABLE...]          the seed's SQL: user, role, grants, signal table,
#                                     publication (FOR ALL TABLES, or FOR TABLE list + signal), slot
#   current_lsn                       SELECT pg_current_wal_lsn()
#   slot_lsn [SLOT]                   the slot's confirmed_flush_lsn
#   terminate_walsenders              pg_terminate_backend() on every walsender
# walcap
#   walcap_conf FILE [key=value...]   a properties file pointing at the cluster
#   walcap_run CONF [args...]         timeout ${WALCAP_TIMEOUT:-60} walcap run -c CONF args (foreground)
#   walcap_start OUT ERR CONF [args]  walcap run in the background; sets WALCAP_PID
#   walcap_stop [SIGNAL]              signal it (TERM), wait up to 30 s (then KILL); sets WALCAP_RC
# Checking
#   normalize [FILE...]               jq: drop volatile fields, one compact event per line
#   assert_eq NAME GOT WANT           unified diff on failure
#   assert_match NAME TEXT ERE        grep -E on TEXT
#   assert_rc NAME GOT WANT           exit status check
#   wait_until SECS CMD...            poll CMD every 0.1 s, at most SECS seconds
#   t_ok NAME / t_fail NAME [WHY]     count one check
#   (the assert_* functions count and always return 0, so they are safe under set -e)
#   t_done                            secret scan of $T_TMP (a leak is a failed check), then
#                                     print "SCRIPT: N passed, N failed" and exit 0/1
# Secrets
#   secret_scan DIR [EXCLUDE...]      print "NAME in FILE" (FILE relative to DIR) for every file
#                                     under DIR, outside the EXCLUDE dirs, that holds one of
#                                     the test secrets (secrets.sh); return 1 if any does.
#                                     t_done (or, when the script ends before it, the EXIT
#                                     trap) runs it over $T_TMP minus $WALCAP_TEST_SECRETS_DIR:
#                                     each hit is t_fail "secret leak: NAME in FILE"
# SSH (a private sshd on 127.0.0.1, for tunnel tests; root only, as in CI)
#   sshd_start [PORT]                 fresh $T_TMP/sshd: ed25519 host key, sshd_config, the
#                                     client key pair SSHD_KEY (encrypted with
#                                     $WALCAP_TEST_SSH_PASSPHRASE, in authorized_keys) and
#                                     SSHD_OTHER_KEY (no passphrase, not authorized); starts
#                                     /usr/sbin/sshd -D -e (log: $SSHD_DIR/sshd.log) on PORT or a
#                                     free port, waits <= 10 s for it to accept connections.
#                                     With PORT, reuses the keys already there (a restart
#                                     presents the same host key).  Not root: message, return 1
#   sshd_kill                         SIGKILL that sshd and its whole process tree (every
#                                     connection it serves, so every forwarded TCP connection
#                                     is cut); wait <= 10 s until they are gone.  No other
#                                     sshd is touched.  The files stay, for sshd_start PORT
#   sshd_stop                         the same, and nothing if none runs (also run at EXIT)
# TLS
#   tls_certs DIR [SAN...]            openssl: DIR/ca.crt ca.key (a test CA), other-ca.crt
#                                     other-ca.key (an unrelated CA), server.crt server.key
#                                     (CN=walcap-test-server signed by ca.crt, subjectAltName
#                                     SANs, default DNS:localhost; key mode 600, owned by
#                                     postgres when root).  e.g. tls_certs d DNS:localhost IP:192.0.2.2
#   pg_ssl_on DIR                     DIR's server.crt/server.key (and ca.crt) into $PG_DATA,
#                                     ssl=on, ssl_cert_file, ssl_key_file; pg_restart
#   pg_hba_set LINES                  pg_hba.conf = postgres's trust lines (socket, 127.0.0.1)
#                                     then LINES; reload (refused if the file has errors)
#   pg_listen_also ADDR               listen on 127.0.0.1 and ADDR; pg_hba lines for ADDR as
#                                     for 127.0.0.1 (postgres trust, others scram); pg_restart
#   lib_global_addr                   print the first global-scope IPv4 address (return 1: none)
#
# Variables (read them, do not set them, unless noted)
#   ROOT            the repository root
#   PGBIN           PostgreSQL 15 binaries: the clients (psql, pgbench,
#                   pg_recvlogical) always, the server unless PG_MAJOR says
#                   otherwise (may be set before sourcing)
#   PG_MAJOR        the server's major version, 10-18 (default 15; may be set
#                   before sourcing): the version matrix runs the same scripts
#                   with another one, from scripts/pg-versions
#   PG_SERVER_BIN   initdb, pg_ctl and postgres of PG_MAJOR
#   PG_VERSION_NUM  the running server's server_version_num (after pg_start)
#   WALCAP          the binary (default $ROOT/walcap; may be set before sourcing;
#                   a relative path is taken from the current directory)
#   WALCAP_TEST_PASSWORD   streamkap_user's password (exported; secrets.sh)
#   WALCAP_TEST_SSH_PASSPHRASE  the SSH client key's passphrase (exported; secrets.sh)
#   WALCAP_TEST_KAFKA_PASSWORD  a Kafka SASL password (exported; secrets.sh)
#   WALCAP_TEST_SECRETS_DIR  $T_TMP/secrets (mode 700, exported): the only place a
#                   test may write a file holding a secret (password, key files)
#   T_TMP           a private scratch dir for this script, removed at exit
#   PG_TMP PG_DATA PG_PORT PG_SOCK PG_DB   the running cluster (PG_DB: last
#                   database created by pg_start/seed_setup; psql_admin's default)
#   SEED_PUB SEED_SLOT SEED_PUB_WITH   seed_setup's publication/slot names and
#                   publication options; set SEED_PUB= or SEED_SLOT= (empty) to
#                   skip creating that object (settable)
#   SCRIPT          the name in the closing line (default: script file name
#                   without .sh; settable)
#   SSHD_PID SSHD_PORT SSHD_DIR   the running sshd (pid, port on 127.0.0.1, $T_TMP/sshd)
#   SSHD_USER       the user to log in as (the current user: root in CI)
#   SSHD_KEY        $WALCAP_TEST_SECRETS_DIR/ssh_user_key, authorized, encrypted
#   SSHD_OTHER_KEY  $WALCAP_TEST_SECRETS_DIR/ssh_other_key, not authorized, no passphrase
#                   (each with its .pub beside it; authorized keys: $SSHD_DIR/authorized_keys)
#   SSHD_KNOWN_HOSTS  $SSHD_DIR/known_hosts: the one line "[127.0.0.1]:PORT TYPE KEY"
#   SSHD_HOST_FPR   the host key's fingerprint as ssh-keygen -l prints it (SHA256:...)
#
# Everything is bounded: walcap_run under timeout(1), psql under timeout(1),
# pg_ctl with -t, walcap_stop, wait_until, sshd_start and sshd_kill with limits.

# ------------------------------------------------------------------ setup
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_MAJOR=${PG_MAJOR:-15}
if [ "$PG_MAJOR" = 15 ]; then
    PG_SERVER_BIN=$PGBIN
else
    PG_SERVER_BIN=$("$ROOT/scripts/pg-versions" bindir "$PG_MAJOR") || PG_SERVER_BIN=
fi
PG_VERSION_NUM=
WALCAP=${WALCAP:-$ROOT/walcap}
case "$WALCAP" in /*) ;; *) WALCAP=$PWD/$WALCAP ;; esac
export WALCAP

# The test secrets (WALCAP_TEST_PASSWORD, WALCAP_TEST_SSH_PASSPHRASE,
# WALCAP_TEST_KAFKA_PASSWORD; fixed values, exported), shared with run.
# shellcheck source=tests/integration/secrets.sh
. "$ROOT/tests/integration/secrets.sh"

# Nothing from the caller's environment may steer a connection.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE \
      PGSERVICEFILE PGSSLMODE PGOPTIONS PGAPPNAME PGCONNECT_TIMEOUT PGTARGETSESSIONATTRS \
      WALCAP_DATABASE_PASSWORD
export LC_ALL=C.UTF-8 TZ=UTC

SCRIPT=${SCRIPT:-$(basename "${0%.sh}")}
PSQL_TIMEOUT=${PSQL_TIMEOUT:-300}
SEED_PUB=${SEED_PUB-streamkap_pub}
SEED_SLOT=${SEED_SLOT-streamkap_pgoutput_slot}
SEED_PUB_WITH=${SEED_PUB_WITH-}

_LIB_IS_ROOT=0
[ "$(id -u)" = 0 ] && _LIB_IS_ROOT=1
_LIB_PG_OSUSER=postgres

T_PASSED=0
T_FAILED=0
_LIB_DONE=0
_LIB_SCANNED=0        # the secret scan of T_TMP ran (t_done, else _lib_exit)
_LIB_PIDS=()          # background processes to end at exit
PG_TMP='' PG_DATA='' PG_PORT='' PG_SOCK='' PG_DB=postgres
WALCAP_PID='' WALCAP_RC=''
SSHD_PID='' SSHD_PORT='' SSHD_DIR=''

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/walcap-t.XXXXXX")
WALCAP_TEST_SECRETS_DIR=$T_TMP/secrets
mkdir -m 700 "$WALCAP_TEST_SECRETS_DIR"
export WALCAP_TEST_SECRETS_DIR

_lib_say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }

# ------------------------------------------------------------------ counting
t_ok() {
    T_PASSED=$((T_PASSED + 1))
    printf 'ok - %s\n' "$1"
}

t_fail() {
    T_FAILED=$((T_FAILED + 1))
    printf 'FAIL - %s%s\n' "$1" "${2:+: $2}"
}

t_done() {
    _lib_secret_check
    _LIB_DONE=1
    printf '%s: %d passed, %d failed\n' "$SCRIPT" "$T_PASSED" "$T_FAILED"
    if [ "$T_FAILED" -eq 0 ] && [ "$T_PASSED" -gt 0 ]; then exit 0; fi
    exit 1
}

assert_eq() {   # NAME GOT WANT
    if [ "$2" == "$3" ]; then
        t_ok "$1"
    else
        t_fail "$1" "output differs (--- want, +++ got)"
        diff -u --label want --label got <(printf '%s\n' "$3") <(printf '%s\n' "$2") | head -n 200 || true
    fi
}

assert_match() {   # NAME TEXT ERE
    if grep -Eq -- "$3" <<<"$2"; then
        t_ok "$1"
    else
        t_fail "$1" "no match for /$3/ in:"
        printf '%s\n' "$2" | head -n 40 | sed 's/^/    | /'
    fi
}

assert_rc() {   # NAME GOT WANT
    if [ "$2" = "$3" ]; then
        t_ok "$1"
    else
        t_fail "$1" "exit status $2, want $3"
    fi
}

wait_until() {   # SECS CMD...
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# ------------------------------------------------------------------ secrets
secret_scan() {   # DIR [EXCLUDE...]: print "NAME in FILE" per leak, return 1 if any
    local dir=${1%/} name f x rc=0
    shift
    local -a prune=()
    for x in "$@"; do prune+=(-path "${x%/}" -prune -o); done
    [ -d "$dir" ] || { _lib_say "secret_scan: no directory $dir"; return 2; }
    for name in "${WALCAP_TEST_SECRET_NAMES[@]}"; do
        [ -n "${!name:-}" ] || continue
        # Regular files only (a fifo would block); binary files count too.
        while IFS= read -r -d '' f; do
            printf '%s in %s\n' "$name" "${f#"$dir"/}"
            rc=1
        done < <(find "$dir" "${prune[@]}" -type f -print0 2>/dev/null |
                 xargs -0 -r grep -lFZ -D skip -- "${!name}" 2>/dev/null)
    done
    return "$rc"
}

# Every file under T_TMP except WALCAP_TEST_SECRETS_DIR: a secret there is a
# failed check.  Once per script (t_done, else _lib_exit).
_lib_secret_check() {
    local hit
    [ "$_LIB_SCANNED" = 1 ] && return 0
    _LIB_SCANNED=1
    [ -d "$T_TMP" ] || return 0
    while IFS= read -r hit; do
        t_fail "secret leak: $hit"
    done < <(secret_scan "$T_TMP" "$WALCAP_TEST_SECRETS_DIR")
}

# ------------------------------------------------------------------ cleanup
# shellcheck disable=SC2317  # called from traps
_lib_exit() {
    local rc=$? p f0
    trap - EXIT INT TERM HUP
    sshd_stop
    for p in "${_LIB_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    for p in "${_LIB_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    pg_stop
    if [ "$_LIB_SCANNED" = 0 ]; then
        # The script ended before t_done: scan now (its files are complete).
        f0=$T_FAILED
        if [ -n "${LIB_NO_REPORT:-}" ]; then _lib_secret_check >&2; else _lib_secret_check; fi
        [ "$T_FAILED" -gt "$f0" ] && [ "$rc" -eq 0 ] && rc=1
    fi
    rm -rf -- "$T_TMP"
    if [ "$_LIB_DONE" = 0 ] && [ -z "${LIB_NO_REPORT:-}" ]; then
        # The script ended before t_done (set -e, exit, a signal): that is a failure.
        t_fail "$SCRIPT ended early with status $rc before t_done"
        printf '%s: %d passed, %d failed\n' "$SCRIPT" "$T_PASSED" "$T_FAILED"
        [ "$rc" -eq 0 ] && rc=1
    fi
    exit "$rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------------ cluster
_lib_as_pg() {
    # initdb and postgres refuse to run as root: use the postgres OS user then.
    # cd first: that user may not be allowed into the caller's cwd.
    if [ "$_LIB_IS_ROOT" = 1 ]; then
        (cd "$PG_TMP" && runuser -u "$_LIB_PG_OSUSER" -- "$@")
    else
        (cd "$PG_TMP" && "$@")
    fi
}

_lib_port_free() {   # PORT
    local p=$1
    [ "$p" = 5432 ] || [ "$p" = 55432 ] && return 1
    if command -v ss >/dev/null 2>&1; then
        ss -Htln "sport = :$p" 2>/dev/null | grep -q . && return 1
    fi
    # Anything accepting connections there?
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi
    return 0
}

_lib_pick_port() {
    local i p
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
        if _lib_port_free "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

pg_conf() {   # name=value...
    local kv
    for kv in "$@"; do
        case "$kv" in *=*) ;; *) _lib_say "pg_conf: '$kv' is not name=value"; return 2 ;; esac
        printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$PG_DATA/postgresql.conf"
    done
}

pg_start() {   # [-c name=value]... [DB]
    local -a extra=()
    local db='' i started=0
    while [ $# -gt 0 ]; do
        case "$1" in
            -c) [ $# -ge 2 ] || { _lib_say "pg_start: -c needs name=value"; return 2; }
                extra+=("$2"); shift 2 ;;
            *) db=$1; shift ;;
        esac
    done
    [ -n "$PG_TMP" ] && { _lib_say "pg_start: a cluster is already running in $PG_TMP"; return 1; }
    local b
    [ -n "$PG_SERVER_BIN" ] || { _lib_say "no PostgreSQL $PG_MAJOR server: run scripts/deps"; return 1; }
    for b in initdb pg_ctl postgres; do
        [ -x "$PG_SERVER_BIN/$b" ] || { _lib_say "$PG_SERVER_BIN/$b not found: run scripts/deps (PostgreSQL $PG_MAJOR)"; return 1; }
    done
    [ -x "$PGBIN/psql" ] || { _lib_say "$PGBIN/psql not found: run scripts/deps (PostgreSQL 15)"; return 1; }
    if [ "$_LIB_IS_ROOT" = 1 ] && ! id -u "$_LIB_PG_OSUSER" >/dev/null 2>&1; then
        _lib_say "running as root needs the OS user '$_LIB_PG_OSUSER' (from the postgresql-15 package)"
        return 1
    fi

    PG_TMP=$(mktemp -d "${WALCAP_PG_TMP:-/tmp}/walcap-pg.XXXXXX")
    PG_DATA=$PG_TMP/data
    PG_SOCK=$PG_TMP
    if [ "${#PG_SOCK}" -gt 80 ]; then
        _lib_say "socket dir $PG_SOCK is too long for a unix socket; set WALCAP_PG_TMP"
        return 1
    fi
    chmod 700 "$PG_TMP"
    [ "$_LIB_IS_ROOT" = 1 ] && chown "$_LIB_PG_OSUSER": "$PG_TMP"

    if ! _lib_as_pg "$PG_SERVER_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$T_TMP/initdb.log" 2>&1; then
        cat "$T_TMP/initdb.log" >&2
        _lib_say "initdb failed"
        return 1
    fi

    # Client authentication: postgres is trusted on the socket and on
    # 127.0.0.1; every other role needs its password (scram) so password
    # tests are real.  replication=database connections match these
    # database lines; "replication" lines are for physical replication.
    cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# TYPE  DATABASE     USER      ADDRESS        METHOD
local   all          postgres                 trust
local   replication  postgres                 trust
local   all          all                      scram-sha-256
host    all          postgres  127.0.0.1/32   trust
host    replication  postgres  127.0.0.1/32   trust
host    all          all       127.0.0.1/32   scram-sha-256
host    replication  all       127.0.0.1/32   scram-sha-256
EOF

    {
        echo
        echo "# ---- tests/integration/lib.sh ----"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$PG_SOCK'"
        echo "wal_level = logical"
        echo "max_replication_slots = 20"
        echo "max_wal_senders = 20"
        echo "wal_sender_timeout = 60s"
        echo "fsync = off"
        echo "full_page_writes = off"
        echo "password_encryption = 'scram-sha-256'"
        echo "timezone = 'UTC'"
        echo "log_timezone = 'UTC'"
        echo "lc_messages = 'C'"
        echo "shared_buffers = 64MB"
    } >>"$PG_DATA/postgresql.conf"
    # PostgreSQL releases that restrict loadable output plugins
    # (output_plugin_libraries) must allow pgoutput; older ones lack the setting.
    local opl
    opl=$(_lib_as_pg "$PG_SERVER_BIN/postgres" --describe-config 2>/dev/null |
          awk -F'\t' '$1 == "output_plugin_libraries" {print $5}' || true)
    if [ -n "$opl" ] && ! printf '%s\n' "$opl" | grep -qiw pgoutput; then
        echo "output_plugin_libraries = '$opl, pgoutput'" >>"$PG_DATA/postgresql.conf"
    fi
    [ "${#extra[@]}" -gt 0 ] && pg_conf "${extra[@]}"

    # Pick a free port; if another process takes it between the probe and the
    # bind, try another.
    for ((i = 0; i < 5; i++)); do
        PG_PORT=$(_lib_pick_port) || { _lib_say "no free TCP port found"; return 1; }
        if _lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_TMP/postgres.log" \
                -o "-p $PG_PORT" -w -t 60 start >/dev/null 2>&1; then
            started=1
            break
        fi
        grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets' \
            "$PG_TMP/postgres.log" 2>/dev/null || break
        _lib_say "port $PG_PORT was taken, trying another"
    done
    if [ "$started" != 1 ]; then
        tail -n 30 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
        _lib_say "the server did not start"
        return 1
    fi
    # Keep the port in postgresql.conf too, so pg_restart needs no -o.
    pg_conf "port=$PG_PORT"
    export PG_TMP PG_DATA PG_PORT PG_SOCK
    PG_DB=postgres
    PG_VERSION_NUM=$(psql_admin -d postgres -c 'SHOW server_version_num') || return 1
    export PG_VERSION_NUM
    if [ -n "$db" ]; then
        psql_admin -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || return 1
        PG_DB=$db
    fi
    export PG_DB
}

pg_restart() {
    [ -n "$PG_TMP" ] || { _lib_say "pg_restart: no cluster"; return 1; }
    _lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_TMP/postgres.log" -m fast -w -t 60 restart >/dev/null 2>&1 || {
        tail -n 30 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
        _lib_say "restart failed"
        return 1
    }
}

pg_stop() {
    [ -n "$PG_TMP" ] || return 0
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        _lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            _lib_as_pg "$PG_SERVER_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
            _lib_say "warning: could not stop the server in $PG_TMP"
    fi
    rm -rf -- "$PG_TMP"
    PG_TMP='' PG_DATA='' PG_PORT='' PG_SOCK=''
    PG_DB=postgres
}

psql_admin() {   # [psql args]; the database is $PG_DB unless -d is given
    PGDATABASE=$PG_DB timeout -k 5 "$PSQL_TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At \
        -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"
}

psql_user() {   # [psql args]; as streamkap_user over TCP with the password
    PGDATABASE=$PG_DB PGPASSWORD=${WALCAP_DATABASE_PASSWORD-$WALCAP_TEST_PASSWORD} \
        timeout -k 5 "$PSQL_TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At -w \
        -h 127.0.0.1 -p "$PG_PORT" -U streamkap_user "$@"
}

current_lsn() {
    psql_admin -c "SELECT pg_current_wal_lsn()"
}

slot_lsn() {   # [SLOT]
    psql_admin -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '${1:-$SEED_SLOT}'"
}

terminate_walsenders() {
    psql_admin -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication" >/dev/null
}

# The seed's SQL for a self-managed server, {database} = DB, {schema} = public.
# rds_replication does not exist outside RDS; its replacement is the
# REPLICATION attribute, which is not inherited through roles, so it goes on
# the user itself.
seed_setup() {   # DB [TABLE...]
    local db=$1 t list=
    shift
    [ -n "$db" ] || { _lib_say "seed_setup: no database"; return 2; }
    if [ "$(psql_admin -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
        psql_admin -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || return 1
    fi
    PG_DB=$db
    # Users and roles belong to the cluster: create them once.
    if [ "$(psql_admin -c "SELECT count(*) FROM pg_roles WHERE rolname = 'streamkap_user'")" = 0 ]; then
        psql_admin >/dev/null <<SQL || return 1
CREATE USER streamkap_user PASSWORD '$WALCAP_TEST_PASSWORD';
CREATE ROLE streamkap_role;
GRANT streamkap_role TO streamkap_user;
ALTER ROLE streamkap_user REPLICATION;
SQL
    fi
    psql_admin >/dev/null <<SQL || return 1
SET client_min_messages = warning;
GRANT CONNECT ON DATABASE "$db" TO streamkap_role;
GRANT CREATE, USAGE ON SCHEMA "public" TO streamkap_role;
GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO streamkap_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO streamkap_role;

-- Create the schema
CREATE SCHEMA streamkap;

-- Switch to the newly created schema
SET search_path TO streamkap;

-- Create the table
CREATE TABLE streamkap_signal (
  id VARCHAR(255) PRIMARY KEY,
  type VARCHAR(32) NOT NULL,
  data VARCHAR(2000) NULL
);

-- Grant necessary privileges on the table to the role
GRANT SELECT, UPDATE, INSERT ON TABLE streamkap_signal TO streamkap_role;
RESET search_path;
SQL
    if [ -n "$SEED_PUB" ]; then
        local with=
        [ -n "$SEED_PUB_WITH" ] && with=" WITH ($SEED_PUB_WITH)"
        if [ $# -eq 0 ]; then
            psql_admin -c "CREATE PUBLICATION \"$SEED_PUB\" FOR ALL TABLES$with" >/dev/null || return 1
        else
            for t in "$@"; do list+=${list:+, }$t; done
            psql_admin >/dev/null <<SQL || return 1
CREATE PUBLICATION "$SEED_PUB" FOR TABLE $list$with;
ALTER PUBLICATION "$SEED_PUB" ADD TABLE streamkap.streamkap_signal;
SQL
        fi
    fi
    if [ -n "$SEED_SLOT" ]; then
        psql_admin -c "SELECT pg_create_logical_replication_slot('$SEED_SLOT', 'pgoutput')" >/dev/null || return 1
    fi
}

# ------------------------------------------------------------------ ssh
# _LIB_TREE = PID and its live descendants (from /proc; zombies left out,
# except PID itself).
_lib_tree() {   # PID
    local f line rest pid ppid state i
    local -A kids=()
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        pid=${line%% *}
        rest=${line##*) }          # after "(comm) ", comm may hold anything
        state=${rest%% *}
        rest=${rest#* }
        ppid=${rest%% *}
        [ "$state" = Z ] && continue
        kids[$ppid]+=" $pid"
    done
    _LIB_TREE=()
    [ -e "/proc/$1" ] || return 0
    _LIB_TREE=("$1")
    for ((i = 0; i < ${#_LIB_TREE[@]}; i++)); do
        # shellcheck disable=SC2206  # a space-separated list of pids
        _LIB_TREE+=(${kids[${_LIB_TREE[$i]}]:-})
    done
}

_lib_alive() {   # PID: exists and is not a zombie
    local line
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

sshd_start() {   # [PORT]
    local want=${1:-} port conf log key other hk i j n ok user pw
    if [ "$_LIB_IS_ROOT" != 1 ]; then
        _lib_say "sshd_start: the test sshd needs root (privilege separation, /run/sshd); run as root, as CI does"
        return 1
    fi
    [ -z "$SSHD_PID" ] || { _lib_say "sshd_start: an sshd is already running (pid $SSHD_PID): sshd_kill it first"; return 1; }
    for i in /usr/sbin/sshd ssh-keygen; do
        command -v "$i" >/dev/null 2>&1 || { _lib_say "sshd_start: $i not found: install openssh-server and openssh-client (scripts/deps)"; return 1; }
    done
    id -u sshd >/dev/null 2>&1 || { _lib_say "sshd_start: no privilege separation user 'sshd' (from openssh-server)"; return 1; }
    user=$(id -un)
    # Without PAM, sshd refuses a locked account ("!..." in /etc/shadow) even
    # for a public key.
    pw=$(getent shadow "$user" 2>/dev/null | cut -d: -f2)
    if [ "${pw:0:1}" = '!' ]; then
        _lib_say "sshd_start: the account '$user' is locked (password field starts with '!'); sshd (UsePAM no) refuses it"
        return 1
    fi

    SSHD_DIR=$T_TMP/sshd
    hk=$SSHD_DIR/host_ed25519_key
    key=$WALCAP_TEST_SECRETS_DIR/ssh_user_key
    other=$WALCAP_TEST_SECRETS_DIR/ssh_other_key
    conf=$SSHD_DIR/sshd_config
    log=$SSHD_DIR/sshd.log
    if [ -z "$want" ] || [ ! -f "$hk" ] || [ ! -f "$key" ] || [ ! -f "$other" ] ||
            [ ! -f "$SSHD_DIR/authorized_keys" ]; then
        rm -rf -- "$SSHD_DIR"
        rm -f -- "$key" "$key.pub" "$other" "$other.pub"
        mkdir -m 700 "$SSHD_DIR" || return 1
        if ! { ssh-keygen -q -t ed25519 -N '' -C walcap-test-host -f "$hk" &&
               ssh-keygen -q -t ed25519 -N "$WALCAP_TEST_SSH_PASSPHRASE" -C walcap-test-user -f "$key" &&
               ssh-keygen -q -t ed25519 -N '' -C walcap-test-other -f "$other"; } </dev/null >/dev/null 2>&1; then
            _lib_say "sshd_start: ssh-keygen failed"
            return 1
        fi
        cp "$key.pub" "$SSHD_DIR/authorized_keys"
    fi
    SSHD_HOST_FPR=$(ssh-keygen -lf "$hk.pub" | awk '{print $2}')
    mkdir -p /run/sshd && chmod 755 /run/sshd

    for ((i = 0; i < 5; i++)); do
        if [ -n "$want" ]; then
            port=$want
        else
            port=$(_lib_pick_port) || { _lib_say "sshd_start: no free TCP port found"; return 1; }
        fi
        cat >"$conf" <<CONF
# written by tests/integration/lib.sh (sshd_start)
ListenAddress 127.0.0.1
Port $port
HostKey $hk
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PidFile $SSHD_DIR/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowTcpForwarding yes
PermitTunnel no
X11Forwarding no
LogLevel VERBOSE
ClientAliveInterval 0
MaxStartups 100
MaxSessions 50
CONF
        if ! /usr/sbin/sshd -t -f "$conf" >>"$log" 2>&1; then
            tail -n 20 "$log" >&2
            _lib_say "sshd_start: sshd -t rejects $conf"
            return 1
        fi
        n=$(wc -l <"$log")
        /usr/sbin/sshd -D -e -f "$conf" </dev/null >/dev/null 2>>"$log" &
        SSHD_PID=$!
        _LIB_PIDS+=("$SSHD_PID")
        # Listening (its own log line, so not some other process on the
        # port) and accepting connections, within 10 s.
        ok=0
        for ((j = 0; j < 100; j++)); do
            if ! _lib_alive "$SSHD_PID"; then break; fi
            if tail -n +"$((n + 1))" "$log" | grep -qF "Server listening on 127.0.0.1 port $port." &&
                    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                ok=1
                break
            fi
            sleep 0.1
        done
        [ "$ok" = 1 ] && break
        sshd_stop
        if [ -z "$want" ] && tail -n +"$((n + 1))" "$log" | grep -q 'Address already in use'; then
            _lib_say "sshd_start: port $port was taken, trying another"
            continue
        fi
        break
    done
    if [ "$ok" != 1 ]; then
        tail -n 20 "$log" >&2
        _lib_say "sshd_start: sshd did not start on 127.0.0.1:$port (log: $log)"
        return 1
    fi
    SSHD_PORT=$port
    SSHD_USER=$user
    SSHD_KEY=$key
    SSHD_OTHER_KEY=$other
    SSHD_KNOWN_HOSTS=$SSHD_DIR/known_hosts
    printf '[127.0.0.1]:%s %s\n' "$port" "$(awk '{print $1, $2}' "$hk.pub")" >"$SSHD_KNOWN_HOSTS"
    export SSHD_PID SSHD_PORT SSHD_DIR SSHD_USER SSHD_KEY SSHD_OTHER_KEY SSHD_KNOWN_HOSTS SSHD_HOST_FPR
}

sshd_kill() {   # SIGKILL the sshd and every process under it; wait until gone
    local i cur prev='' p left
    [ -n "$SSHD_PID" ] || { _lib_say "sshd_kill: no sshd running"; return 1; }
    # Stop the whole tree first, so that nothing forks while it is collected,
    # until two collections agree; then kill all of it at once (the children
    # of a dead listener would be reparented and out of reach).
    for ((i = 0; i < 20; i++)); do
        _lib_tree "$SSHD_PID"
        [ "${#_LIB_TREE[@]}" -gt 0 ] || break
        kill -STOP "${_LIB_TREE[@]}" 2>/dev/null
        cur="${_LIB_TREE[*]}"
        [ "$cur" = "$prev" ] && break
        prev=$cur
    done
    [ "${#_LIB_TREE[@]}" -gt 0 ] && kill -KILL "${_LIB_TREE[@]}" 2>/dev/null
    wait "$SSHD_PID" 2>/dev/null
    local -a keep=()
    for p in "${_LIB_PIDS[@]}"; do [ "$p" = "$SSHD_PID" ] || keep+=("$p"); done
    _LIB_PIDS=("${keep[@]}")
    SSHD_PID=
    for ((i = 0; i < 100; i++)); do
        left=
        for p in "${_LIB_TREE[@]}"; do _lib_alive "$p" && left+=" $p"; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    _lib_say "sshd_kill: still running after 10 s:$left"
    return 1
}

sshd_stop() {
    [ -n "$SSHD_PID" ] || return 0
    sshd_kill
}

# ------------------------------------------------------------------ tls
_lib_ca_cnf() {   # CN: an openssl req config for a self-signed CA
    printf '[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3\n'
    printf '[dn]\nCN = %s\n' "$1"
    printf '[v3]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n'
    printf 'subjectKeyIdentifier = hash\n'
}

tls_certs() {   # DIR [SAN...]
    local dir=$1 san='' s
    shift
    [ -n "$dir" ] || { _lib_say "tls_certs: no directory"; return 2; }
    [ $# -gt 0 ] || set -- DNS:localhost
    for s in "$@"; do san+=${san:+, }$s; done
    command -v openssl >/dev/null 2>&1 || { _lib_say "tls_certs: openssl not found (scripts/deps)"; return 1; }
    mkdir -p "$dir" || return 1
    # Own config files, so nothing from /etc/ssl/openssl.cnf slips in.
    _lib_ca_cnf walcap-test-ca >"$dir/ca.cnf"
    _lib_ca_cnf walcap-test-other-ca >"$dir/other-ca.cnf"
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = walcap-test-server\n' >"$dir/server.cnf"
    {
        echo "basicConstraints = critical, CA:FALSE"
        echo "keyUsage = critical, digitalSignature, keyEncipherment"
        echo "extendedKeyUsage = serverAuth"
        echo "subjectAltName = $san"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid"
    } >"$dir/server.ext"
    local -a ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    if ! { openssl req -x509 -new "${ec[@]}" -config "$dir/ca.cnf" -days 3650 \
               -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
           openssl req -x509 -new "${ec[@]}" -config "$dir/other-ca.cnf" -days 3650 \
               -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" &&
           openssl req -new "${ec[@]}" -config "$dir/server.cnf" \
               -keyout "$dir/server.key" -out "$dir/server.csr" &&
           openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
               -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile "$dir/server.ext" \
               -out "$dir/server.crt"; } </dev/null >"$dir/openssl.log" 2>&1; then
        cat "$dir/openssl.log" >&2
        _lib_say "tls_certs: openssl failed"
        return 1
    fi
    chmod 600 "$dir/ca.key" "$dir/other-ca.key" "$dir/server.key"
    [ "$_LIB_IS_ROOT" = 1 ] && chown "$_LIB_PG_OSUSER": "$dir/server.key"
    return 0
}

pg_ssl_on() {   # DIR
    local dir=$1 f
    [ -n "$PG_TMP" ] || { _lib_say "pg_ssl_on: no cluster"; return 1; }
    for f in server.crt server.key ca.crt; do
        [ -f "$dir/$f" ] || { _lib_say "pg_ssl_on: no $dir/$f (tls_certs makes it)"; return 1; }
        cp -- "$dir/$f" "$PG_DATA/$f" || return 1
        chmod 600 "$PG_DATA/$f"
        [ "$_LIB_IS_ROOT" = 1 ] && chown "$_LIB_PG_OSUSER": "$PG_DATA/$f"
    done
    pg_conf "ssl=on" "ssl_cert_file='server.crt'" "ssl_key_file='server.key'" || return 1
    pg_restart
}

pg_hba_set() {   # LINES
    [ -n "$PG_TMP" ] || { _lib_say "pg_hba_set: no cluster"; return 1; }
    {
        echo "# TYPE  DATABASE     USER      ADDRESS        METHOD"
        echo "local   all          postgres                 trust"
        echo "local   replication  postgres                 trust"
        echo "host    all          postgres  127.0.0.1/32   trust"
        echo "host    replication  postgres  127.0.0.1/32   trust"
        echo "# ---- pg_hba_set ----"
        printf '%s\n' "$1"
    } >"$PG_DATA/pg_hba.conf"
    [ "$_LIB_IS_ROOT" = 1 ] && chown "$_LIB_PG_OSUSER": "$PG_DATA/pg_hba.conf"
    _lib_pg_reload_hba
}

# Reload, unless the file has errors (the server would keep the old rules).
_lib_pg_reload_hba() {
    local errs
    errs=$(psql_admin -d postgres -c "SELECT line_number || ': ' || error FROM pg_hba_file_rules WHERE error IS NOT NULL") || return 1
    if [ -n "$errs" ]; then
        _lib_say "pg_hba.conf has errors, not reloaded:"
        printf '%s\n' "$errs" | sed 's/^/    /' >&2
        return 1
    fi
    [ "$(psql_admin -d postgres -c "SELECT pg_reload_conf()")" = t ]
}

pg_listen_also() {   # ADDR
    local addr=$1 mask=32
    [ -n "$PG_TMP" ] || { _lib_say "pg_listen_also: no cluster"; return 1; }
    [ -n "$addr" ] || { _lib_say "pg_listen_also: no address"; return 2; }
    case "$addr" in *:*) mask=128 ;; esac
    pg_conf "listen_addresses='127.0.0.1, $addr'" || return 1
    {
        printf '%-7s %-12s %-9s %-14s %s\n' host all postgres "$addr/$mask" trust
        printf '%-7s %-12s %-9s %-14s %s\n' host replication postgres "$addr/$mask" trust
        printf '%-7s %-12s %-9s %-14s %s\n' host all all "$addr/$mask" scram-sha-256
        printf '%-7s %-12s %-9s %-14s %s\n' host replication all "$addr/$mask" scram-sha-256
    } >>"$PG_DATA/pg_hba.conf"
    pg_restart
}

lib_global_addr() {
    local a
    command -v ip >/dev/null 2>&1 || return 1
    a=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4; exit}')
    a=${a%%/*}
    [ -n "$a" ] || return 1
    printf '%s\n' "$a"
}

# ------------------------------------------------------------------ walcap
walcap_conf() {   # FILE [key=value...]
    local file=$1 kv k i found
    shift
    # snapshot.mode=no_data: tests see only what they change unless they
    # ask for a snapshot (walcap's own default is initial)
    local -a keys=(database.hostname database.port database.user database.dbname
                   offset.storage.file.filename snapshot.mode)
    local -a vals=(127.0.0.1 "$PG_PORT" streamkap_user "$PG_DB"
                   "$T_TMP/$(basename "$file").offsets" no_data)
    for kv in "$@"; do
        case "$kv" in *=*) ;; *) _lib_say "walcap_conf: '$kv' is not key=value"; return 2 ;; esac
        k=${kv%%=*}
        found=0
        for i in "${!keys[@]}"; do
            if [ "${keys[$i]}" = "$k" ]; then vals[i]=${kv#*=}; found=1; fi
        done
        if [ "$found" = 0 ]; then keys+=("$k"); vals+=("${kv#*=}"); fi
    done
    {
        echo "# written by tests/integration/lib.sh; the password comes from WALCAP_DATABASE_PASSWORD"
        for i in "${!keys[@]}"; do
            printf '%s=%s\n' "${keys[$i]}" "${vals[$i]}"
        done
    } >"$file"
}

# The password goes through the environment, never argv.  Set
# WALCAP_DATABASE_PASSWORD on the call to use another (e.g. a wrong) one.
walcap_run() {   # CONF [args...]
    local conf=$1
    shift
    WALCAP_DATABASE_PASSWORD=${WALCAP_DATABASE_PASSWORD-$WALCAP_TEST_PASSWORD} \
        timeout -k 5 "${WALCAP_TIMEOUT:-60}" "$WALCAP" run -c "$conf" "$@" </dev/null
}

walcap_start() {   # OUT ERR CONF [args...]
    local out=$1 err=$2 conf=$3
    shift 3
    WALCAP_DATABASE_PASSWORD=${WALCAP_DATABASE_PASSWORD-$WALCAP_TEST_PASSWORD} \
        "$WALCAP" run -c "$conf" "$@" </dev/null >>"$out" 2>>"$err" &
    WALCAP_PID=$!
    _LIB_PIDS+=("$WALCAP_PID")
}

walcap_stop() {   # [SIGNAL]; waits at most 30 s, then KILL; WALCAP_RC = exit status
    local sig=${1:-TERM} i
    WALCAP_RC=
    [ -n "$WALCAP_PID" ] || return 0
    kill -s "$sig" "$WALCAP_PID" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$WALCAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$WALCAP_PID" 2>/dev/null; then
        _lib_say "walcap (pid $WALCAP_PID) did not exit within 30 s of SIG$sig; killing it"
        kill -KILL "$WALCAP_PID" 2>/dev/null || true
    fi
    wait "$WALCAP_PID" 2>/dev/null && WALCAP_RC=0 || WALCAP_RC=$?
    WALCAP_PID=
    return 0
}

# ------------------------------------------------------------------ events
# Debezium events minus the fields that differ from run to run; one compact
# JSON object per line, in input order.
normalize() {   # [FILE...]
    jq -c 'del(.ts_ms, .source.ts_ms, .source.lsn, .source.txId, .source.sequence, .source.xmin)' "$@"
}

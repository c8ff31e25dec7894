# shellcheck shell=bash
# tests/integration/lib_pg.sh — the throwaway PostgreSQL cluster: start, configure,
# stop, psql as the DBA or the walcap user, the seed's setup, LSN helpers.
# Sourced by lib.sh (which sets ROOT, T_TMP, _LIB_IS_ROOT, _lib_say and the
# exit trap that calls pg_stop); not on its own.
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
#
# Variables (read them, do not set them, unless noted)
#   PGBIN           PostgreSQL 15 binaries: the clients (psql, pgbench,
#                   pg_recvlogical) always, the server unless PG_MAJOR says
#                   otherwise (may be set before sourcing)
#   PG_MAJOR        the server's major version, 10-18 (default 15; may be set
#                   before sourcing): the version matrix runs the same scripts
#                   with another one, from scripts/pg-versions
#   PG_SERVER_BIN   initdb, pg_ctl and postgres of PG_MAJOR
#   PG_VERSION_NUM  the running server's server_version_num (after pg_start)
#   PG_TMP PG_DATA PG_PORT PG_SOCK PG_DB   the running cluster (PG_DB: last
#                   database created by pg_start/seed_setup; psql_admin's default)
#   SEED_PUB SEED_SLOT SEED_PUB_WITH   seed_setup's publication/slot names and
#                   publication options; set SEED_PUB= or SEED_SLOT= (empty) to
#                   skip creating that object (settable)

# ------------------------------------------------------------------ setup
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_MAJOR=${PG_MAJOR:-15}
if [ "$PG_MAJOR" = 15 ]; then
    PG_SERVER_BIN=$PGBIN
else
    PG_SERVER_BIN=$("$ROOT/scripts/pg-versions" bindir "$PG_MAJOR") || PG_SERVER_BIN=
fi
PG_VERSION_NUM=
PSQL_TIMEOUT=${PSQL_TIMEOUT:-300}
SEED_PUB=${SEED_PUB-streamkap_pub}
SEED_SLOT=${SEED_SLOT-streamkap_pgoutput_slot}
SEED_PUB_WITH=${SEED_PUB_WITH-}
_LIB_PG_OSUSER=postgres
PG_TMP='' PG_DATA='' PG_PORT='' PG_SOCK='' PG_DB=postgres

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
    # Any socket on that port, listening or not: bind() fails on a port that
    # an established connection uses as its local end.
    if command -v ss >/dev/null 2>&1; then
        ss -Htan "sport = :$p" 2>/dev/null | grep -q . && return 1
    fi
    # Anything accepting connections there?
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi
    return 0
}

# A free port below the kernel's ephemeral range, so that no outgoing
# connection (of this test or of one running beside it) takes it between
# the pick and the bind.
_lib_pick_port() {
    local i p lo=32768
    read -r lo _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range || true
    [ "$lo" -gt 11000 ] 2>/dev/null || lo=32768
    for ((i = 0; i < 200; i++)); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
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
        echo "max_replication_slots = 40"
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

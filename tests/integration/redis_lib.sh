# shellcheck shell=bash
# tests/integration/redis_lib.sh — a private Redis for the Redis sink's
# tests: Debian's redis-server on a free port of 127.0.0.1, its own
# directory under $T_TMP, and redis-cli to read the streams back.
# Source after lib.sh.
#
#   redis_start [--tls DIR] [-c DIRECTIVE]...
#                                   start it: a password for the default
#                                   user (WALCAP_TEST_REDIS_PASSWORD), an ACL
#                                   user "walcap" with the same password
#                                   allowed only XADD (and PING, SELECT) on
#                                   keys "r.*", no RDB snapshots, an AOF
#                                   fsync'd at every write (appendonly yes,
#                                   appendfsync always: a restart keeps what
#                                   Redis answered); each -c adds a line to
#                                   its configuration; sets REDIS_PORT (the
#                                   same port and directory again on a
#                                   restart).  With --tls, REDIS_PORT is a
#                                   TLS port (and there is no plain one),
#                                   with DIR's server.crt, server.key and
#                                   ca.crt (lib_tls.sh's tls_certs), no
#                                   client certificate asked for
#   redis_stop                      SHUTDOWN (the AOF is complete), wait
#   redis_kill                      kill -9, wait
#   redis_restart                   redis_stop, then start it again with the
#                                   same configuration and data
#   rcli ARGS...                    redis-cli against it, logged in as the
#                                   default user (REDISCLI_AUTH: the password
#                                   never goes on a command line); over TLS
#                                   when it was started with --tls
#   stream_entries STREAM           every entry of STREAM, oldest first, as
#                                   one compact JSON array per line: its
#                                   fields and values after the entry id
#                                   ["field","value",...]
#
# The configuration file holds the password, so it lives in
# $WALCAP_TEST_SECRETS_DIR; Redis's log and data are in $T_TMP/redis.

REDIS_PORT='' REDIS_PID='' _REDIS_CONF='' _REDIS_TLS=''

redis_start() {   # [--tls DIR] [-c DIRECTIVE]...
    local -a extra=()
    command -v redis-server >/dev/null || { _lib_say "redis-server not found: run scripts/deps"; return 1; }
    _REDIS_TLS=
    while [ $# -gt 0 ]; do
        case "$1" in
            -c) extra+=("$2"); shift 2 ;;
            --tls) _REDIS_TLS=$2; shift 2 ;;
            *) _lib_say "redis_start: unknown argument $1"; return 2 ;;
        esac
    done
    if [ -z "$REDIS_PORT" ]; then
        REDIS_PORT=$(_lib_pick_port) || { _lib_say "redis_start: no free port"; return 1; }
    fi
    mkdir -p "$T_TMP/redis"
    _REDIS_CONF=$WALCAP_TEST_SECRETS_DIR/redis.conf
    {
        if [ -n "$_REDIS_TLS" ]; then
            echo "port 0"
            echo "tls-port $REDIS_PORT"
            echo "tls-cert-file $_REDIS_TLS/server.crt"
            echo "tls-key-file $_REDIS_TLS/server.key"
            echo "tls-ca-cert-file $_REDIS_TLS/ca.crt"
            echo "tls-auth-clients no"
        else
            echo "port $REDIS_PORT"
        fi
        echo "bind 127.0.0.1"
        echo "dir $T_TMP/redis"
        echo "logfile $T_TMP/redis/redis.log"
        echo "daemonize no"
        echo "save \"\""
        echo "appendonly yes"
        echo "appendfsync always"
        echo "requirepass $WALCAP_TEST_REDIS_PASSWORD"
        echo "user walcap on >$WALCAP_TEST_REDIS_PASSWORD ~r.* +xadd +ping +select"
        printf '%s\n' "${extra[@]}"
    } >"$_REDIS_CONF"
    _redis_launch
}

_redis_launch() {
    redis-server "$_REDIS_CONF" </dev/null >>"$T_TMP/redis/stdout" 2>&1 &
    REDIS_PID=$!
    _LIB_PIDS+=("$REDIS_PID")
    # up once it answers PING (and has read its AOF: PING waits for that too)
    _redis_up() { [ "$(rcli PING 2>/dev/null)" = PONG ]; }
    wait_until 20 _redis_up || { _lib_say "redis-server did not start:"; tail -20 "$T_TMP/redis/redis.log" >&2; return 1; }
}

rcli() {   # ARGS...
    local -a tls=()
    [ -n "$_REDIS_TLS" ] && tls=(--tls --cacert "$_REDIS_TLS/ca.crt")
    REDISCLI_AUTH=$WALCAP_TEST_REDIS_PASSWORD timeout 30 redis-cli "${tls[@]}" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

redis_stop() {
    [ -n "$REDIS_PID" ] || return 0
    rcli SHUTDOWN >/dev/null 2>&1 || true
    stop_process "$REDIS_PID" TERM 20 redis-server
    REDIS_PID=
}

redis_kill() {
    [ -n "$REDIS_PID" ] || return 0
    stop_process "$REDIS_PID" KILL 20 redis-server
    REDIS_PID=
}

redis_restart() {
    redis_stop
    _redis_launch
}

stream_entries() {   # STREAM
    rcli --json XRANGE "$1" - + | jq -c '.[] | .[1]'
}

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
# Split by concern; lib.sh sources the others, so a script needs only the
# line above:
#   lib.sh       setup and common environment, counting and assertions, the
#                secret scan, cleanup at exit, walcap runners, normalize
#   lib_pg.sh    the cluster (pg_start, psql_*, seed_setup, ...)
#   lib_ssh.sh   a private sshd for tunnel tests (sshd_start, ...)
#   lib_tls.sh   certificates and the server's TLS/network settings (tls_certs, ...)
# Each file's header lists its functions and variables.
#
# walcap
#   walcap_conf FILE [key=value...]   a properties file pointing at the cluster
#   walcap_run CONF [args...]         timeout ${WALCAP_TIMEOUT:-60} walcap run -c CONF args (foreground)
#   walcap_start OUT ERR CONF [args]  walcap run in the background; sets WALCAP_PID
#   walcap_stop [SIGNAL]              signal it (TERM), wait up to 30 s (then KILL); sets WALCAP_RC
#   walcap_wait_peak SECS             wait for the walcap_start'ed run to end, polling its peak RSS
#                                     (VmHWM; no time(1) on every machine); sets WALCAP_RC (124 if
#                                     it was still running after SECS s: killed) and WALCAP_PEAK (KiB)
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
# Variables (read them, do not set them, unless noted)
#   ROOT            the repository root
#   WALCAP          the binary (default $ROOT/walcap; may be set before sourcing;
#                   a relative path is taken from the current directory)
#   WALCAP_TEST_PASSWORD   streamkap_user's password (exported; secrets.sh)
#   WALCAP_TEST_SSH_PASSPHRASE  the SSH client key's passphrase (exported; secrets.sh)
#   WALCAP_TEST_KAFKA_PASSWORD  a Kafka SASL password (exported; secrets.sh)
#   WALCAP_TEST_HTTP_TOKEN  the HTTP sink's bearer token (exported; secrets.sh)
#   WALCAP_TEST_REDIS_PASSWORD  the test Redis's password (exported; secrets.sh)
#   WALCAP_TEST_SECRETS_DIR  $T_TMP/secrets (mode 700, exported): the only place a
#                   test may write a file holding a secret (password, key files)
#   T_TMP           a private scratch dir for this script, removed at exit
#   SCRIPT          the name in the closing line (default: script file name
#                   without .sh; settable)
#
# Everything is bounded: walcap_run under timeout(1), psql under timeout(1),
# pg_ctl with -t, walcap_stop, wait_until, sshd_start and sshd_kill with limits.

# ------------------------------------------------------------------ setup
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WALCAP=${WALCAP:-$ROOT/walcap}
case "$WALCAP" in /*) ;; *) WALCAP=$PWD/$WALCAP ;; esac
export WALCAP

# The test secrets (WALCAP_TEST_PASSWORD, WALCAP_TEST_SSH_PASSPHRASE,
# WALCAP_TEST_KAFKA_PASSWORD, WALCAP_TEST_HTTP_TOKEN,
# WALCAP_TEST_REDIS_PASSWORD; fixed values,
# exported), shared with run.
# shellcheck source=tests/integration/secrets.sh
. "$ROOT/tests/integration/secrets.sh"

# Nothing from the caller's environment may steer a connection.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE \
      PGSERVICEFILE PGSSLMODE PGOPTIONS PGAPPNAME PGCONNECT_TIMEOUT PGTARGETSESSIONATTRS \
      WALCAP_DATABASE_PASSWORD
export LC_ALL=C.UTF-8 TZ=UTC

SCRIPT=${SCRIPT:-$(basename "${0%.sh}")}

_LIB_IS_ROOT=0
[ "$(id -u)" = 0 ] && _LIB_IS_ROOT=1

T_PASSED=0
T_FAILED=0
_LIB_DONE=0
_LIB_SCANNED=0        # the secret scan of T_TMP ran (t_done, else _lib_exit)
_LIB_PIDS=()          # background processes to end at exit
WALCAP_PID='' WALCAP_RC='' WALCAP_PEAK=''

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/walcap-t.XXXXXX")
WALCAP_TEST_SECRETS_DIR=$T_TMP/secrets
mkdir -m 700 "$WALCAP_TEST_SECRETS_DIR"
export WALCAP_TEST_SECRETS_DIR

_lib_say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }

# The helpers of each concern (their headers say what they hold).
# shellcheck source=tests/integration/lib_pg.sh
. "$ROOT/tests/integration/lib_pg.sh"
# shellcheck source=tests/integration/lib_ssh.sh
. "$ROOT/tests/integration/lib_ssh.sh"
# shellcheck source=tests/integration/lib_tls.sh
. "$ROOT/tests/integration/lib_tls.sh"

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

# Signal a background process of this shell and wait for it, at most SECS
# seconds, then KILL it; STOP_RC = its exit status.
stop_process() {   # PID SIGNAL SECS NAME
    local pid=$1 sig=$2 secs=$3 name=$4 i
    STOP_RC=
    kill -s "$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        _lib_say "$name (pid $pid) did not exit within $secs s of SIG$sig; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null && STOP_RC=0 || STOP_RC=$?
    return 0
}

walcap_stop() {   # [SIGNAL]; waits at most 30 s, then KILL; WALCAP_RC = exit status
    WALCAP_RC=
    [ -n "$WALCAP_PID" ] || return 0
    stop_process "$WALCAP_PID" "${1:-TERM}" 30 walcap
    WALCAP_RC=$STOP_RC
    WALCAP_PID=
    return 0
}

walcap_wait_peak() {   # SECS
    local h i
    WALCAP_PEAK=0
    for ((i = 0; i < $1 * 50; i++)); do
        h=$(awk '/^VmHWM:/ {print $2}' "/proc/$WALCAP_PID/status" 2>/dev/null) || break
        [ -n "$h" ] || break
        [ "$h" -gt "$WALCAP_PEAK" ] && WALCAP_PEAK=$h
        sleep 0.02
    done
    if grep -q '^VmHWM:' "/proc/$WALCAP_PID/status" 2>/dev/null; then
        walcap_stop KILL   # still running (not a zombie)
        WALCAP_RC=124
    else
        wait "$WALCAP_PID"
        WALCAP_RC=$?
        WALCAP_PID=
    fi
}

# ------------------------------------------------------------------ events
# Debezium events minus the fields that differ from run to run; one compact
# JSON object per line, in input order.
normalize() {   # [FILE...]
    jq -c 'del(.ts_ms, .source.ts_ms, .source.lsn, .source.txId, .source.sequence, .source.xmin)' "$@"
}

# shellcheck shell=bash
# tests/integration/server_lib.sh — driving `walcap server` over HTTP in the
# t_server*.sh scripts.  Source it after lib.sh.
#
#   srv_start CONF [ERR]        walcap server -c CONF in the background (stderr to ERR,
#                               default $T_TMP/server.err, appended); sets SRV_PID; waits
#                               (30 s) until GET / answers on $SRV_URL; return 1 if not
#   srv_stop [SIGNAL]           signal it (TERM), wait at most 90 s (then KILL); SRV_RC =
#                               its exit status
#   http METHOD PATH [BODYFILE] curl $SRV_URL$PATH (--path-as-is) with $SRV_CURL (an array of
#                               extra options: token, --cacert); sets H_CODE (000: no answer)
#                               and H_BODY (the answer, as text)
#   http_is NAME METHOD PATH BODYFILE|'' CODE BODY
#                               one check: the status is CODE and the body exactly BODY
#   http_json_is NAME METHOD PATH BODYFILE|'' CODE JSON
#                               one check: the status is CODE and the body is JSON equal to
#                               JSON (jq -S: key order does not count, anything else does)
#   srv_json FILE JSON          write JSON (a jq filter's input) to FILE, mode 600
#
# Variables: SRV_URL (set by the script: http://127.0.0.1:PORT), SRV_CURL (array),
# SRV_PID, SRV_RC, H_CODE, H_BODY.

SRV_URL=${SRV_URL:-}
SRV_CURL=()
SRV_PID='' SRV_RC=''
H_CODE='' H_BODY=''
_SRV_N=0

srv_start() {   # CONF [ERR]
    local conf=$1 err=${2:-$T_TMP/server.err} i
    "$WALCAP" server -c "$conf" </dev/null >>"$err" 2>&1 &
    SRV_PID=$!
    _LIB_PIDS+=("$SRV_PID")
    for ((i = 0; i < 300; i++)); do
        kill -0 "$SRV_PID" 2>/dev/null || return 1
        http GET / && [ "$H_CODE" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

srv_stop() {   # [SIGNAL]; waits at most 90 s, then KILL; SRV_RC = exit status
    SRV_RC=
    [ -n "$SRV_PID" ] || return 0
    stop_process "$SRV_PID" "${1:-TERM}" 90 "walcap server"
    SRV_RC=$STOP_RC
    SRV_PID=
    return 0
}

http() {   # METHOD PATH [BODYFILE]
    local method=$1 path=$2 data=${3:-} out
    _SRV_N=$((_SRV_N + 1))
    out=$T_TMP/http.$_SRV_N
    local -a args=(-s --path-as-is --max-time 90 -o "$out" -w '%{http_code}' -X "$method"
                   "${SRV_CURL[@]}")
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$data")
    H_CODE=$(curl "${args[@]}" "$SRV_URL$path" 2>/dev/null) || true
    [ -n "$H_CODE" ] || H_CODE=000
    H_BODY=$(cat "$out" 2>/dev/null)
    [ "$H_CODE" != 000 ]
}

http_is() {   # NAME METHOD PATH BODYFILE CODE BODY
    http "$2" "$3" "$4"
    assert_eq "$1" "$H_CODE $H_BODY" "$5 $6"
}

http_json_is() {   # NAME METHOD PATH BODYFILE CODE JSON
    local got want
    http "$2" "$3" "$4"
    got=$(jq -S . <<<"$H_BODY" 2>/dev/null) || got="(not JSON) $H_BODY"
    want=$(jq -S . <<<"$6") || { t_fail "$1" "the expected JSON does not parse"; return 0; }
    assert_eq "$1" "$H_CODE
$got" "$5
$want"
}

srv_json() {   # FILE JSON
    (umask 077 && jq . <<<"$2" >"$1")
}

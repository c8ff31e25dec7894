# shellcheck shell=bash
# tests/integration/lib_ssh.sh — a private sshd on 127.0.0.1 for the SSH tunnel
# tests (root only, as in CI).
# Sourced by lib.sh (which sets ROOT, T_TMP, _LIB_IS_ROOT, _lib_say and the
# exit trap that calls sshd_stop); not on its own.
#
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
#
# Variables (read them, do not set them, unless noted)
#   SSHD_PID SSHD_PORT SSHD_DIR   the running sshd (pid, port on 127.0.0.1, $T_TMP/sshd)
#   SSHD_USER       the user to log in as (the current user: root in CI)
#   SSHD_KEY        $WALCAP_TEST_SECRETS_DIR/ssh_user_key, authorized, encrypted
#   SSHD_OTHER_KEY  $WALCAP_TEST_SECRETS_DIR/ssh_other_key, not authorized, no passphrase
#                   (each with its .pub beside it; authorized keys: $SSHD_DIR/authorized_keys)
#   SSHD_KNOWN_HOSTS  $SSHD_DIR/known_hosts: the one line "[127.0.0.1]:PORT TYPE KEY"
#   SSHD_HOST_FPR   the host key's fingerprint as ssh-keygen -l prints it (SHA256:...)

SSHD_PID='' SSHD_PORT='' SSHD_DIR=''

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

# shellcheck shell=bash
# tests/integration/lib_tls.sh — test certificates (openssl) and the cluster's TLS,
# pg_hba and listen settings.
# Sourced by lib.sh (which sets ROOT, T_TMP, _LIB_IS_ROOT and _lib_say; the
# PG_* variables and _lib_as_pg, pg_restart are lib_pg.sh's); not on its own.
#
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

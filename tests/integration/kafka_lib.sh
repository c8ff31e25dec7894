# tests/integration/kafka_lib.sh — a Kafka cluster for the Kafka sink's
# tests: librdkafka's mock cluster in a process of its own
# (build/tests/mockcluster), which speaks the Kafka protocol over TCP on
# loopback, and kcat to read the topics back.  Source after lib.sh.
#
#   mock_start [BROKERS]     start it; sets MOCK_BOOT (bootstrap.servers)
#   mock_cmd CMD...          down [ID] | up [ID] | topic NAME PARTITIONS |
#                            rtt ID MS; fails unless the cluster says "ok"
#   topic_read TOPIC         every message, oldest first per partition, as
#                            "PARTITION<TAB>KEY<TAB>VALUE" (NULL for a null
#                            key or value), partitions in order

MOCKCLUSTER=${MOCKCLUSTER:-$ROOT/build/tests/mockcluster}
MOCK_BOOT=
_MOCK_PID=

mock_start() {   # [BROKERS]
    [ -x "$MOCKCLUSTER" ] || { _lib_say "$MOCKCLUSTER not built: make build/tests/mockcluster"; return 1; }
    command -v kcat >/dev/null || { _lib_say "kcat not found: run scripts/deps"; return 1; }
    mkfifo "$T_TMP/mock.in"
    "$MOCKCLUSTER" "${1:-3}" <"$T_TMP/mock.in" >"$T_TMP/mock.out" 2>"$T_TMP/mock.err" &
    _MOCK_PID=$!
    _LIB_PIDS+=("$_MOCK_PID")
    exec {_MOCK_FD}>"$T_TMP/mock.in"
    wait_until 10 test -s "$T_TMP/mock.out" || { _lib_say "the mock cluster did not start: $(cat "$T_TMP/mock.err")"; return 1; }
    MOCK_BOOT=$(head -1 "$T_TMP/mock.out")
}

mock_cmd() {   # CMD...
    local before
    before=$(wc -l <"$T_TMP/mock.out")
    echo "$*" >&"$_MOCK_FD"
    _mock_answered() { [ "$(wc -l <"$T_TMP/mock.out")" -gt "$before" ]; }
    wait_until 10 _mock_answered || { _lib_say "mock cluster: no answer to '$*'"; return 1; }
    [ "$(tail -1 "$T_TMP/mock.out")" = ok ] || { _lib_say "mock cluster: '$*': $(tail -1 "$T_TMP/mock.out")"; return 1; }
}

topic_read() {   # TOPIC
    timeout 30 kcat -b "$MOCK_BOOT" -C -t "$1" -o beginning -e -q -Z \
        -f '%p\t%k\t%s\n' 2>/dev/null | sort -s -t "$(printf '\t')" -k1,1n
}

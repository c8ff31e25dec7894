# shellcheck shell=bash
# tests/integration/secrets.sh — the secrets the integration tests use, defined
# once.  lib.sh sources it (and exports them); tests/integration/run sources it
# to look for them in each script's output.  Nothing else belongs here.
#
# Fixed values: long, random-looking, only [A-Za-z0-9] so they need no quoting
# in SQL, shell, a conninfo string or a properties file, and distinct from one
# another so that a leak names the right one.
#
#   WALCAP_TEST_PASSWORD         streamkap_user's database password
#   WALCAP_TEST_SSH_PASSPHRASE   the passphrase of the test SSH client key
#   WALCAP_TEST_KAFKA_PASSWORD   the Kafka SASL password
#   WALCAP_TEST_HTTP_TOKEN       the HTTP sink's bearer token (sink.http.authorization)
#   WALCAP_TEST_REDIS_PASSWORD   the Redis password (requirepass, and the ACL
#                                user walcap's)
#   WALCAP_TEST_SECRET_NAMES     the names above (an array, not exported)
#
# No test may print one of them or write it to a file outside
# $WALCAP_TEST_SECRETS_DIR (lib.sh's secret_scan and run check both).

WALCAP_TEST_PASSWORD=Xq7vR2mK9pLw4tZs8NbY3cHd6FgJ1uEa
WALCAP_TEST_SSH_PASSPHRASE=wSsHQnxmO3xaIor3QYhbPsBzeykehDHg
WALCAP_TEST_KAFKA_PASSWORD=KpW2iMVB6SPi08RVlLn2YjriIrHE0iox
WALCAP_TEST_HTTP_TOKEN=hT5wQz8NcJr3YbLm0VxK2pGd7sFe4AuR
WALCAP_TEST_REDIS_PASSWORD=Rd5qT8vN2mXc7LpW4hJz9sKy3bFg6AeU
export WALCAP_TEST_PASSWORD WALCAP_TEST_SSH_PASSPHRASE WALCAP_TEST_KAFKA_PASSWORD \
    WALCAP_TEST_HTTP_TOKEN WALCAP_TEST_REDIS_PASSWORD
# shellcheck disable=SC2034  # used by the files that source this one
WALCAP_TEST_SECRET_NAMES=(WALCAP_TEST_PASSWORD WALCAP_TEST_SSH_PASSPHRASE WALCAP_TEST_KAFKA_PASSWORD
                          WALCAP_TEST_HTTP_TOKEN WALCAP_TEST_REDIS_PASSWORD)

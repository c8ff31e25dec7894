/*
 * config_keys.c — every key walcap reads: its type, default, allowed
 * values, secret flag, field and one-line doc (the table config.c's
 * parsing, defaults and --print-config follow, and docs/config.md is
 * held to by a unit test), and the keys that parse themselves.
 */
#include "config_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "log.h"
#include "redis.h"
#include "sink_http.h"

/* Allowed values of the enumerated keys, in the order of their enums. */
static const char *const binary_modes[] = {
	"bytes", "base64", "base64-url-safe", "hex", NULL
};
static const char *const decimal_modes[] = {
	"precise", "double", "string", NULL
};
static const char *const time_modes[] = {
	"adaptive", "adaptive_time_microseconds", "connect", NULL
};
static const char *const interval_modes[] = {"numeric", "string", NULL};
static const char *const hstore_modes[] = {"json", "map", NULL};
static const char *const sink_types[] = {"stdout", "file", "kafka", "http", "redis", NULL};
static const char *const http_formats[] = {"ndjson", "array", NULL};
static const char *const redis_formats[] = {"compact", "extended", NULL};
static const char *const offset_storages[] = {"file", "postgres", "kafka", NULL};
static const char *const exactly_once_modes[] = {"disabled", "required", NULL};
static const char *const binary_formats[] = {"auto", "on", "off", NULL};
static const char *const streaming_modes[] = {"off", "auto", NULL};
/* enum log_level's order, as log_parse_level() reads them */
static const char *const log_levels[] = {
	"error", "warning", "info", "debug", NULL
};
static const char *const snapshot_modes[] = {
	"initial", "initial_only", "no_data", "when_needed", NULL
};
static const char *const watermarkings[] = {"insert_insert", "insert_delete", NULL};
static const char *const booleans[] = {"false", "true", NULL};
static const char *const sslmodes[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL
};

/* KT_ENUM stores an index through an int *: the enums must be ints. */
_Static_assert(sizeof(enum convert_binary_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum convert_decimal_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum convert_time_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum convert_interval_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum convert_hstore_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_sink) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_offset_storage) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_exactly_once) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_http_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_redis_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_snapshot_mode) == sizeof(int), "enum size");
_Static_assert(LOGL_ERROR == 0 && LOGL_WARNING == 1 && LOGL_INFO == 2 &&
			   LOGL_DEBUG == 3, "log_levels[] follows enum log_level");

static int	parse_slot_name(struct config *c, const struct config_key *k,
							const char *value, char *err, size_t errlen);
static int	parse_topic_prefix(struct config *c, const struct config_key *k,
							   const char *value, char *err, size_t errlen);
static int	parse_skipped_ops(struct config *c, const struct config_key *k,
							  const char *value, char *err, size_t errlen);
static int	parse_listen(struct config *c, const struct config_key *k,
						 const char *value, char *err, size_t errlen);
static int	parse_http_url(struct config *c, const struct config_key *k,
						   const char *value, char *err, size_t errlen);
static int	parse_redis_address(struct config *c, const struct config_key *k,
								const char *value, char *err, size_t errlen);

#define F(field) offsetof(struct config, field)

/* Entries by type; doc is the last argument of each. */
#define K_STR(name, type, def, field, doc) \
	{name, type, def, F(field), 0, 0, NULL, 0, 0, NULL, doc}
#define K_SHOWN(name, type, def, field, doc) \
	{name, type, def, F(field), 0, 0, NULL, KF_SHOW_FIELD, 0, NULL, doc}
#define K_SECRET(name, field, from, doc) \
	{name, KT_OPTIONAL, NULL, F(field), 0, 0, NULL, KF_SECRET, F(from), NULL, doc}
#define K_PORT(name, def, field, doc) \
	{name, KT_PORT, def, F(field), 1, 65535, NULL, 0, 0, NULL, doc}
#define K_INT(name, def, field, lo, hi, doc) \
	{name, KT_INT, def, F(field), lo, hi, NULL, 0, 0, NULL, doc}
#define K_ENUM(name, def, field, allowed, doc) \
	{name, KT_ENUM, def, F(field), 0, 0, allowed, 0, 0, NULL, doc}
#define K_BOOL(name, def, field, doc) K_ENUM(name, def, field, booleans, doc)
#define K_CUSTOM(name, type, def, field, parse, flags, doc) \
	{name, type, def, F(field), 0, 0, NULL, flags, 0, parse, doc}

/* Every key, in --print-config order. */
const struct config_key config_keys[] = {
	/* connection */
	K_STR("database.hostname", KT_NONEMPTY, "localhost", hostname,
		  "the server: a host name, an address, or a Unix-domain socket directory"),
	K_PORT("database.port", "5432", port, "the server's port"),
	K_STR("database.user", KT_OPTIONAL, NULL, user, "the user to connect as (required)"),
	K_SECRET("database.password", password, password_from, "the user's password"),
	K_STR("database.password.file", KT_OPTIONAL, NULL, password_file,
		  "a file holding the password on one line"),
	K_STR("database.dbname", KT_OPTIONAL, NULL, dbname,
		  "the database to capture changes from (required)"),
	{"database.sslmode", KT_ENUM_TEXT, "prefer", F(sslmode), 0, 0, sslmodes, 0, 0, NULL,
	"libpq's sslmode"},
	K_STR("database.sslrootcert", KT_OPTIONAL, NULL, sslrootcert,
		  "CA certificates that verify the server"),
	K_STR("database.sslcert", KT_OPTIONAL, NULL, sslcert, "the client certificate"),
	K_STR("database.sslkey", KT_OPTIONAL, NULL, sslkey, "the client certificate's private key"),

	/* SSH tunnel */
	K_BOOL("ssh.enabled", "false", ssh_enabled, "connect through an SSH bastion"),
	K_STR("ssh.host", KT_OPTIONAL, NULL, ssh_host, "the bastion (required when enabled)"),
	K_PORT("ssh.port", "22", ssh_port, "the bastion's SSH port"),
	K_STR("ssh.user", KT_OPTIONAL, NULL, ssh_user,
		  "the user to log in as (required when enabled)"),
	K_STR("ssh.private.key.file", KT_OPTIONAL, NULL, ssh_key_file,
		  "the private key to log in with (required when enabled)"),
	K_SECRET("ssh.private.key.passphrase", ssh_passphrase, ssh_passphrase_from,
			 "the private key's passphrase"),
	K_STR("ssh.private.key.passphrase.file", KT_OPTIONAL, NULL, ssh_passphrase_file,
		  "a file holding the passphrase on one line"),
	K_SHOWN("ssh.known.hosts.file", KT_NONEMPTY, "~/.ssh/known_hosts", ssh_known_hosts,
			"where the bastion's host key must be listed (~/ expanded)"),
	K_BOOL("ssh.host.key.check", "true", ssh_host_key_check,
		   "refuse a bastion whose host key is unknown or changed"),

	/* replication objects */
	K_CUSTOM("slot.name", KT_NONEMPTY, "streamkap_pgoutput_slot", slot_name, parse_slot_name, 0,
			 "the logical replication slot"),
	K_BOOL("slot.failover", "false", slot_failover,
		   "create the slot as a failover slot (PostgreSQL 17+)"),
	K_STR("publication.name", KT_NAME, "streamkap_pub", publication_name,
		  "the publication the server sends the changes of"),
	K_ENUM("binary.format", "auto", binary_format, binary_formats,
		   "pgoutput's binary mode: auto (PostgreSQL 14+, in text while a column's type has no binary form walcap reads), on, off"),
	K_ENUM("streaming", "auto", streaming, streaming_modes,
		   "auto: the server streams large transactions before they commit (PostgreSQL 14+), walcap spills them to streaming.spill.dir until the commit; off: the server spills them itself"),
	K_STR("streaming.spill.dir", KT_NONEMPTY, "walcap-spill", spill_dir,
		  "where streamed transactions wait for their commit, one file each"),
	K_STR("signal.schema", KT_NAME, "streamkap", signal_schema,
		  "the schema of the signal table " CONFIG_SIGNAL_TABLE),
	K_CUSTOM("topic.prefix", KT_OPTIONAL, NULL, topic_prefix, parse_topic_prefix, KF_SHOW_FIELD,
			 "the source's logical name [database.dbname]"),

	/* which tables produce events */
	K_STR("table.include.list", KT_PATTERNS, NULL, table_include,
		  "regexes: only tables whose schema.table matches produce events"),
	K_STR("table.exclude.list", KT_PATTERNS, NULL, table_exclude,
		  "regexes: tables whose schema.table matches produce no events"),
	K_STR("schema.include.list", KT_PATTERNS, NULL, schema_include,
		  "regexes: only tables in matching schemas produce events"),
	K_STR("schema.exclude.list", KT_PATTERNS, NULL, schema_exclude,
		  "regexes: tables in matching schemas produce no events"),
	K_STR("table.include.list.file", KT_OPTIONAL, NULL, table_include_file,
		  "a CSV file of schema or schema.table rows to include"),
	K_STR("column.include.list", KT_PATTERNS, NULL, columns.include,
		  "regexes: only columns whose schema.table.column matches are written"),
	K_STR("column.exclude.list", KT_PATTERNS, NULL, columns.exclude,
		  "regexes: columns whose schema.table.column matches are left out"),
	K_CUSTOM("skipped.operations", KT_ENUM, "none", skipped_ops, parse_skipped_ops, 0,
			 "streamed operations that produce no event: c, u, d, t, or none"),
	K_BOOL("provide.transaction.metadata", "false", txn_metadata,
		   "BEGIN/END records and each event's transaction block"),
	K_STR("transforms", KT_OPTIONAL, NULL, transforms_list,
		  "aliases of the transforms applied (ExtractNewRecordState, RegexRouter)"),

	/* values */
	K_ENUM("binary.handling.mode", "bytes", conv.binary, binary_modes,
		   "how binary values are written"),
	K_ENUM("decimal.handling.mode", "precise", conv.decimal, decimal_modes,
		   "how numeric values are written"),
	K_ENUM("time.precision.mode", "adaptive", conv.time, time_modes,
		   "how temporal values are written"),
	K_ENUM("interval.handling.mode", "numeric", conv.interval, interval_modes,
		   "how interval values are written"),
	K_ENUM("hstore.handling.mode", "json", conv.hstore, hstore_modes,
		   "how hstore values are written"),
	K_STR("unavailable.value.placeholder", KT_TEXT, "__debezium_unavailable_value",
		  unavailable_placeholder, "written for an unchanged TOASTed value not sent"),

	/* delivery */
	K_INT("status.update.interval.ms", "10000", status_interval_ms, 1, 3600000,
		  "the longest time between standby status updates"),
	K_ENUM("sink.type", "stdout", sink, sink_types, "where events go"),
	K_STR("sink.file.path", KT_OPTIONAL, NULL, sink_file_path,
		  "the file sink's file (required for sink.type=file)"),
	K_ENUM("offset.storage", "file", offset_storage, offset_storages,
		   "where the delivered position is kept: a local file, a table of the source database, or a Kafka topic"),
	K_STR("offset.storage.file.filename", KT_NONEMPTY, "walcap.offsets", offset_file,
		  "where the last delivered commit LSN is recorded (offset.storage=file)"),
	K_STR("offset.storage.topic", KT_NONEMPTY, "walcap-offsets", offset_topic,
		  "the compacted Kafka topic of offset.storage=kafka"),
	K_SHOWN("name", KT_OPTIONAL, NULL, name,
			"the connector's name, the offset record's key [slot.name]"),
	K_BOOL("ha.enabled", "false", ha_enabled,
		   "active/standby: stream only while holding the slot's advisory lock"),
	K_INT("ha.poll.interval.ms", "1000", ha_poll_ms, 10, 3600000,
		  "how often a standby tries to take the lock"),

	/* reconnection, logging, snapshots */
	K_INT("connect.backoff.initial.ms", "500", backoff_initial_ms, 1, 3600000,
		  "the first wait before reconnecting"),
	K_INT("connect.backoff.max.ms", "30000", backoff_max_ms, 1, 3600000,
		  "the longest wait between attempts"),
	K_INT("connect.max.attempts", "0", max_attempts, 0, 2147483647,
		  "failed attempts after which walcap gives up (0: never)"),
	K_ENUM("log.level", "info", log_level, log_levels,
		   "the most detailed level written to stderr"),
	K_ENUM("snapshot.mode", "initial", snapshot_mode, snapshot_modes,
		   "when tables are snapshotted"),
	K_INT("incremental.snapshot.chunk.size", "4096", chunk_size, 1, 1000000,
		  "the most rows per snapshot chunk (fewer when rows are wide)"),
	K_INT("snapshot.max.threads", "1", snapshot_threads, 1, 64,
		  "connections reading a table of the initial snapshot at once"),
	K_ENUM("incremental.snapshot.watermarking.strategy", "insert_insert",
		   watermark_delete, watermarkings, "how a chunk's window is marked"),
	K_BOOL("read.only", "false", read_only, "snapshot without writing watermarks"),
	K_BOOL("snapshot.new.tables", "true", snapshot_new_tables,
		   "snapshot tables added to the publication while running"),

	/* Kafka */
	K_BOOL("tombstones.on.delete", "true", tombstones,
		   "a null-valued message after each delete"),
	K_INT("sink.kafka.flush.timeout.ms", "10000", kafka_flush_ms, 0, 3600000,
		  "how long a stop waits for messages in flight"),
	K_ENUM("exactly.once.support", "disabled", exactly_once, exactly_once_modes,
		   "required: each batch of events and its offset record commit in one Kafka transaction"),
	K_INT("transaction.boundary.interval.ms", "1000", txn_interval_ms, 1, 3600000,
		  "exactly.once.support: while a backlog streams, the longest time between Kafka commits"),

	/* HTTP (Debezium Server's http sink names where it has them) */
	K_CUSTOM("sink.http.url", KT_OPTIONAL, NULL, http_url, parse_http_url, 0,
			 "where the HTTP sink POSTs events, http:// or https:// (required for sink.type=http)"),
	K_ENUM("sink.http.format", "ndjson", http_format, http_formats,
		   "a POST's body: ndjson (one event a line) or array (one JSON array of events)"),
	K_INT("sink.http.batch.max.events", "1000", http_batch_events, 1, 1000000,
		  "the most events in one POST"),
	K_INT("sink.http.batch.max.bytes", "4194304", http_batch_bytes, 1024, 1073741824,
		  "the largest body of one POST (an event larger than this goes alone)"),
	K_INT("sink.http.max.in.flight", "1", http_max_in_flight, 1, 64,
		  "POSTs sent and not yet answered at once; above 1 the receiver may get batches out of order"),
	K_INT("sink.http.timeout.ms", "30000", http_timeout_ms, 100, 3600000,
		  "how long one POST may take, connecting and the whole answer included"),
	K_INT("sink.http.connect.timeout.ms", "10000", http_connect_timeout_ms, 100, 3600000,
		  "how long connecting to the receiver (TLS handshake included) may take"),
	K_INT("sink.http.retries", "0", http_retries, 0, 2147483647,
		  "retries of one POST (5xx, 408, 429, network errors) before walcap stops (0: never stops)"),
	K_INT("sink.http.retry.interval.ms", "500", http_retry_ms, 1, 3600000,
		  "the wait before the first retry; it doubles with each retry of the same POST"),
	K_INT("sink.http.retry.max.interval.ms", "30000", http_retry_max_ms, 1, 3600000,
		  "the longest wait before a retry, a Retry-After answer's included"),
	K_INT("sink.http.flush.timeout.ms", "10000", http_flush_ms, 0, 3600000,
		  "how long a stop waits for the POSTs not yet answered"),
	K_STR("sink.http.ssl.ca.location", KT_OPTIONAL, NULL, http_ca,
		  "a PEM file of CA certificates that verify an https:// receiver, instead of the system's"),
	K_SECRET("sink.http.authorization", http_auth, http_auth_from,
			 "the Authorization header's value, e.g. Bearer <token>"),
	K_STR("sink.http.authorization.file", KT_OPTIONAL, NULL, http_auth_file,
		  "a file holding sink.http.authorization on one line"),
	/* Redis Streams (Debezium Server's debezium.sink.redis.* keys) */
	K_CUSTOM("sink.redis.address", KT_OPTIONAL, NULL, redis_address, parse_redis_address, 0,
			 "the Redis server: host:port or [ipv6]:port (required for sink.type=redis)"),
	K_STR("sink.redis.user", KT_OPTIONAL, NULL, redis_user,
		  "the ACL user to log in as (AUTH user password)"),
	K_SECRET("sink.redis.password", redis_password, redis_password_from,
			 "the password (AUTH)"),
	K_STR("sink.redis.password.file", KT_OPTIONAL, NULL, redis_password_file,
		  "a file holding the password on one line"),
	K_INT("sink.redis.db.index", "0", redis_db, 0, 2147483647,
		  "the database to SELECT"),
	K_BOOL("sink.redis.ssl.enabled", "false", redis_ssl,
		   "TLS, the server's certificate and name verified"),
	K_STR("sink.redis.ssl.ca.location", KT_OPTIONAL, NULL, redis_ssl_ca,
		  "CA certificates that verify the server (unset: the system's)"),
	K_STR("sink.redis.ssl.certificate.location", KT_OPTIONAL, NULL, redis_ssl_cert,
		  "a client certificate (PEM), for a Redis with tls-auth-clients"),
	K_STR("sink.redis.ssl.key.location", KT_OPTIONAL, NULL, redis_ssl_key,
		  "the client certificate's private key (PEM, not encrypted)"),
	K_ENUM("sink.redis.message.format", "compact", redis_format, redis_formats,
		   "compact: one field, named by the key, holding the event; extended: fields key and value"),
	K_STR("sink.redis.null.key", KT_TEXT, "default", redis_null_key,
		  "written for a null key"),
	K_STR("sink.redis.null.value", KT_TEXT, "default", redis_null_value,
		  "written for a null value (a tombstone)"),
	K_INT("sink.redis.batch.size", "5000", redis_batch, 1, 1000000,
		  "XADD commands sent and not yet answered, at most"),
	K_INT("sink.redis.retry.initial.delay.ms", "300", redis_retry_initial_ms, 1, 3600000,
		  "the first pause before reconnecting"),
	K_INT("sink.redis.retry.max.delay.ms", "10000", redis_retry_max_ms, 1, 3600000,
		  "the longest pause between attempts"),
	K_INT("sink.redis.connection.timeout.ms", "2000", redis_connect_ms, 1, 3600000,
		  "how long connecting (TCP, TLS, AUTH) may take"),
	K_INT("sink.redis.socket.timeout.ms", "2000", redis_socket_ms, 0, 3600000,
		  "no answer for this long: the connection is taken for dead (0: never)"),
	K_INT("sink.redis.flush.timeout.ms", "10000", redis_flush_ms, 0, 3600000,
		  "how long a stop waits for the answers still due"),

	/* heartbeats */
	K_INT("heartbeat.interval.ms", "0", heartbeat_ms, 0, 86400000,
		  "how often a heartbeat is sent (0: never)"),
	K_STR("heartbeat.action.query", KT_OPTIONAL, NULL, heartbeat_query,
		  "SQL run at each heartbeat"),
	K_BOOL("heartbeat.logical.message", "false", heartbeat_message,
		   "emit a logical decoding message at each heartbeat"),
	K_BOOL("heartbeat.events", "false", heartbeat_events,
		   "write heartbeats to the stdout and file sinks too"),
	K_STR("topic.heartbeat.prefix", KT_NONEMPTY, "__debezium-heartbeat", heartbeat_prefix,
		  "the heartbeat topic's prefix"),

	/* message keys and schemas */
	K_STR("message.key.columns", KT_KEY_RULES, NULL, key_rules,
		  "per-table key columns: <regex>:<col>[,<col>...] rules separated by ;"),
	K_BOOL("key.converter.schemas.enable", "false", key_schemas,
		   "wrap message keys with their Kafka Connect schema"),
	K_BOOL("value.converter.schemas.enable", "false", value_schemas,
		   "wrap events with their Kafka Connect schema"),

	/* slot health and timeouts */
	K_BOOL("status.confirm.idle", "true", confirm_idle,
		   "confirm the server's WAL end when nothing is in flight"),
	K_INT("connect.timeout.ms", "10000", connect_timeout_ms, 1000, 3600000,
		  "how long one connection attempt may take"),
	K_INT("connect.keepalive.idle.ms", "30000", keepalive_idle_ms, 1000, 86400000,
		  "TCP keepalive: idle time before the first probe"),
	K_INT("connect.keepalive.interval.ms", "10000", keepalive_interval_ms, 1000, 86400000,
		  "TCP keepalive: time between probes"),
	K_INT("connect.keepalive.count", "3", keepalive_count, 1, 127,
		  "TCP keepalive: unanswered probes before the connection is dropped"),
	K_INT("connect.tcp.user.timeout.ms", "60000", tcp_user_timeout_ms, 0, 86400000,
		  "how long sent data may stay unacknowledged (0: the OS's)"),
	K_INT("connect.receive.timeout.ms", "60000", receive_timeout_ms, 0, 86400000,
		  "silence after which the replication connection is taken for dead (0: off)"),
	K_INT("wal.retained.warn.bytes", "1073741824", wal_warn_bytes, 0, INT64_MAX,
		  "warn when the slot retains more WAL than this (0: off)"),
	K_INT("wal.retained.check.interval.ms", "60000", wal_check_ms, 100, 86400000,
		  "how often the slot's retained WAL is checked"),

	/* metrics */
	K_CUSTOM("metrics.listen", KT_OPTIONAL, NULL, metrics_listen, parse_listen, KF_SHOW_FIELD,
			 "host:port where `walcap run` serves Prometheus metrics (unset: off)"),
};

const int	config_nkeys = (int) (sizeof(config_keys) / sizeof(config_keys[0]));

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_NKEYS,
			   "CONFIG_NKEYS is too small");

/* Whether s is a valid replication slot name: 1-63 of [a-z0-9_]. */
static int
valid_slot_name(const char *s)
{
	size_t		n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
			  s[n] == '_'))
			return 0;
	return n >= 1 && n <= CONFIG_NAME_MAX;
}

/* slot.name: PostgreSQL's rule for slot names. */
static int
parse_slot_name(struct config *c, const struct config_key *k, const char *value,
				char *err, size_t errlen)
{
	if (!valid_slot_name(value))
		return errbuf_fail(err, errlen,
					"%s: \"%s\" is not a valid replication slot name "
					"(1-63 characters of a-z, 0-9 and _)", k->name, value);
	return config_set_nonempty(&c->slot_name, k->name, value, err, errlen);
}

/* topic.prefix: optional, and config_finish() derives it when not set. */
static int
parse_topic_prefix(struct config *c, const struct config_key *k, const char *value,
				   char *err, size_t errlen)
{
	if (config_set_optional(&c->topic_prefix, k->name, value, err, errlen) != 0)
		return -1;
	c->topic_prefix_set = c->topic_prefix != NULL;
	return 0;
}

/*
 * A listen address: host:port, [ipv6]:port or :port (every address),
 * port 0-65535 (0: any free one).  Only its form is checked here; what
 * the host resolves to and whether the port is free is httpd_start's.
 */
/* skipped.operations: a comma-separated list of c, u, d, t, or none */
static int
parse_skipped_ops(struct config *c, const struct config_key *k, const char *value,
				  char *err, size_t errlen)
{
	static const char ops[] = "cudt";
	int			bits = 0,
				none = 0;
	const char *p = value,
			   *a;
	size_t		n;

	while (filter_list_next(&p, &a, &n))
	{
		if (n == 4 && strncmp(a, "none", 4) == 0)
			none = 1;
		else if (n == 1 && strchr(ops, *a) != NULL)
			bits |= 1 << (strchr(ops, *a) - ops);
		else
			return errbuf_fail(err, errlen, "%s: \"%.*s\" is not an operation: list c (inserts), u (updates), d (deletes), t (truncates), or write none",
							   k->name, (int) n, a);
	}
	if (none && bits)
		return errbuf_fail(err, errlen, "%s: none cannot be listed with operations", k->name);
	c->skipped_ops = bits;
	return 0;
}

static int
parse_listen(struct config *c, const struct config_key *k, const char *value,
			 char *err, size_t errlen)
{
	if (value[0] != '\0' && !httpd_listen_valid(value))
		return errbuf_fail(err, errlen,
						   "%s: \"%s\" is not a listen address; write host:port, [ipv6]:port or :port (every address)",
						   k->name, value);
	return config_set_optional(&c->metrics_listen, k->name, value, err, errlen);
}

/*
 * sink.http.url: its form only (sink_http_url_check); libcurl's own
 * parser reads it again when the sink is checked (sink_check).
 */
static int
parse_http_url(struct config *c, const struct config_key *k, const char *value,
			   char *err, size_t errlen)
{
	char		why[256];

	if (value[0] != '\0' && sink_http_url_check(value, why, sizeof(why)) != 0)
		return errbuf_fail(err, errlen, "%s: %s", k->name, why);
	return config_set_optional(&c->http_url, k->name, value, err, errlen);
}

/*
 * sink.redis.address: host:port or [ipv6]:port, split into redis_host
 * and redis_port; whether the host resolves is the sink's to find out.
 */
static int
parse_redis_address(struct config *c, const struct config_key *k, const char *value,
					char *err, size_t errlen)
{
	char		host[256];
	int			port = 0;
	char	   *h;

	if (value[0] != '\0' && redis_address_parse(value, host, sizeof(host), &port) != 0)
		return errbuf_fail(err, errlen,
						   "%s: \"%s\" is not an address; write host:port or [ipv6]:port (port 1-65535)",
						   k->name, value);
	if ((h = value[0] ? strdup(host) : NULL) == NULL && value[0])
		return errbuf_fail(err, errlen, "%s: out of memory", k->name);
	if (config_set_optional(&c->redis_address, k->name, value, err, errlen) != 0)
	{
		free(h);
		return -1;
	}
	free(c->redis_host);
	c->redis_host = h;
	c->redis_port = port;
	return 0;
}

/*
 * config.c — the properties file, --set overrides and their validation;
 * see config.h for the contract and docs/config.md for every key.
 *
 * One table, config_keys[], describes every key once: its name, the type
 * that says how its text is parsed and checked, its default, its allowed
 * values or range, whether it is a secret, the struct config field it
 * fills and a line of documentation.  Parsing, defaults, --print-config
 * and docs/config.md's unit test all read the table; a key whose parsing
 * is its own has a parse function in its entry.  The kafka.* family and
 * the refused signal.* names are handled by prefix and name, before the
 * table is consulted.
 *
 * Each key is validated when it is set, so an error in a file names its
 * line; what depends on several keys or on other files (required keys,
 * combinations, the password, table.include.list.file) is done once in
 * config_finish().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "log.h"
#include "sink_http.h"
#include "redis.h"

/* PostgreSQL's NAMEDATALEN - 1: the longest identifier it keeps. */
#define CONFIG_NAME_MAX 63

/* How a key's text becomes its field's value. */
enum key_type
{
	KT_TEXT,					/* char *: any text, also empty */
	KT_OPTIONAL,				/* char *: empty unsets (NULL) */
	KT_NONEMPTY,				/* char *: must not be empty */
	KT_NAME,					/* char *: a PostgreSQL name, 1-63 bytes */
	KT_PORT,					/* int: 1-65535 */
	KT_INT,						/* int64_t: in [lo, hi] */
	KT_ENUM,					/* int (or an enum): index in allowed[] */
	KT_ENUM_TEXT,				/* char *: one of allowed[], as written */
	KT_PATTERNS,				/* struct config_patterns: regex list */
	KT_KEY_RULES,				/* key_rules/nkey_rules: message.key.columns */
};

/* Flags of a key. */
#define KF_SECRET 0x1			/* never printed or kept as text (secret.h) */
#define KF_SHOW_FIELD 0x2		/* --print-config shows the field, which
								 * config_finish() may derive or expand */

struct config_key;

/* A key's own parser: validate value and store it; -1 with a message. */
typedef int (*config_parse_fn) (struct config *c, const struct config_key *k,
								const char *value, char *err, size_t errlen);

/* One key: everything walcap knows about it. */
struct config_key
{
	const char *name;
	enum key_type type;
	const char *def;			/* text of the default; NULL: unset */
	size_t		off;			/* offsetof(struct config, <field>) */
	int64_t		lo;				/* KT_INT: allowed range */
	int64_t		hi;
	const char *const *allowed;	/* KT_ENUM*: NULL-terminated values */
	unsigned	flags;			/* KF_* */
	size_t		from_off;		/* KF_SECRET: field recording its source */
	config_parse_fn parse;		/* NULL, or parses instead of the type's
								 * parser (the type still says what the
								 * field holds) */
	const char *doc;			/* one line; docs/config.md has the rest */
};

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
static const struct config_key config_keys[] = {
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
	K_INT("incremental.snapshot.chunk.size", "1024", chunk_size, 1, 1000000,
		  "rows per snapshot chunk"),
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

#define NKEYS ((int) (sizeof(config_keys) / sizeof(config_keys[0])))

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_NKEYS,
			   "CONFIG_NKEYS is too small");

static int	set_kafka(struct config *c, const char *key, const char *value,
					  char *err, size_t errlen);
static int	set_column_rule(struct config *c, const char *key, const char *value,
							char *err, size_t errlen);
static int	set_transform(struct config *c, const char *key, const char *value,
						  char *err, size_t errlen);
static int	set_http_header(struct config *c, const char *key, const char *value,
							char *err, size_t errlen);

/*
 * Families of keys: every key with the prefix goes, whole, to the
 * family's setter, which keeps it for another component to validate.
 * --print-config lists them after the table's keys; docs/config.md
 * documents each family as one row, "<prefix><property>".
 */
static const struct
{
	const char *prefix;
	int			(*set) (struct config *c, const char *key, const char *value,
						char *err, size_t errlen);
	const char *doc;
}			config_families[] = {
	{CONFIG_KAFKA_PREFIX, set_kafka, "a librdkafka producer property, passed on"},
	{"column.mask.", set_column_rule, "a mask or hash of the columns listed (columns.h)"},
	{"column.truncate.", set_column_rule, "a truncation of the columns listed (columns.h)"},
	{"transforms.", set_transform, "a property of a transform (transform.h)"},
	{CONFIG_HTTP_HEADER_PREFIX, set_http_header, "a request header of the HTTP sink"},
};

/* Names that are not keys here but are Debezium's: refused with a reason. */
static const char *const refused_signal_keys[] = {
	"signal.data.collection", "signal.table", NULL
};

/* Replace *dst by a copy of src (NULL allowed); -1 if out of memory. */
static int
replace_str(char **dst, const char *src)
{
	char	   *copy = NULL;

	if (src != NULL && (copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/*
 * Parse a decimal integer in [lo, hi]: digits only (no sign, no spaces),
 * checked with strtoll's errno and end pointer.
 */
static int
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char	   *end;
	long long	v;

	if (!isdigit((unsigned char) s[0]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int64_t) v;
	return 0;
}

/* Set *out from an integer key whose allowed range is [lo, hi]. */
static int
set_int(int64_t *out, const char *key, const char *value, int64_t lo,
		int64_t hi, char *err, size_t errlen)
{
	if (parse_int(value, lo, hi, out) != 0)
		return errbuf_fail(err, errlen, "%s: \"%s\" is not an integer from %lld to %lld",
					key, value, (long long) lo, (long long) hi);
	return 0;
}

/*
 * Index of value in the NULL-terminated names, or -1 with a message
 * listing every allowed value.
 */
static int
choose(const char *const *names, const char *key, const char *value,
	   char *err, size_t errlen)
{
	char		allowed[256];
	size_t		used = 0;

	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	allowed[0] = '\0';
	for (int i = 0; names[i] != NULL && used < sizeof(allowed); i++)
		used += (size_t) snprintf(allowed + used, sizeof(allowed) - used,
								  "%s%s", i ? ", " : "", names[i]);
	return errbuf_fail(err, errlen, "%s: \"%s\" is not one of %s", key, value, allowed);
}

/* Set a string key that may be unset: an empty value means NULL. */
static int
set_optional(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (replace_str(field, value[0] ? value : NULL) != 0)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a string key that has a default and must not be empty. */
static int
set_nonempty(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (value[0] == '\0')
		return errbuf_fail(err, errlen, "%s: must not be empty", key);
	if (replace_str(field, value) != 0)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a PostgreSQL object name: 1 to 63 bytes. */
static int
set_name(char **field, const char *key, const char *value,
		 char *err, size_t errlen)
{
	if (value[0] == '\0' || strlen(value) > CONFIG_NAME_MAX)
		return errbuf_fail(err, errlen, "%s: \"%s\" is not a name of 1 to %d bytes",
					key, value, CONFIG_NAME_MAX);
	return set_nonempty(field, key, value, err, errlen);
}

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
	return set_nonempty(&c->slot_name, k->name, value, err, errlen);
}

/* topic.prefix: optional, and config_finish() derives it when not set. */
static int
parse_topic_prefix(struct config *c, const struct config_key *k, const char *value,
				   char *err, size_t errlen)
{
	if (set_optional(&c->topic_prefix, k->name, value, err, errlen) != 0)
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
	const char *p = value;

	while (*p)
	{
		const char *e = p + strcspn(p, ",");
		const char *a = p,
				   *b = e;

		while (a < b && isspace((unsigned char) *a))
			a++;
		while (b > a && isspace((unsigned char) b[-1]))
			b--;
		if (b - a == 4 && strncmp(a, "none", 4) == 0)
			none = 1;
		else if (b - a == 1 && strchr(ops, *a) != NULL)
			bits |= 1 << (strchr(ops, *a) - ops);
		else if (b > a)
			return errbuf_fail(err, errlen, "%s: \"%.*s\" is not an operation: list c (inserts), u (updates), d (deletes), t (truncates), or write none",
							   k->name, (int) (b - a), a);
		p = *e ? e + 1 : e;
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
	return set_optional(&c->metrics_listen, k->name, value, err, errlen);
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
	return set_optional(&c->http_url, k->name, value, err, errlen);
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
	if (set_optional(&c->redis_address, k->name, value, err, errlen) != 0)
	{
		free(h);
		return -1;
	}
	free(c->redis_host);
	c->redis_host = h;
	c->redis_port = port;
	return 0;
}

/* The field of key k in c. */
static void *
key_field(const struct config *c, const struct config_key *k)
{
	return (char *) c + k->off;
}

/* Validate value and store it in the field of key k, as its type says. */
static int
set_value(struct config *c, const struct config_key *k, const char *value,
		  char *err, size_t errlen)
{
	const char *key = k->name;
	void	   *field = key_field(c, k);
	int64_t		v;
	int			i;

	if (k->parse != NULL)
		return k->parse(c, k, value, err, errlen);
	if (k->flags & KF_SECRET)
		return secret_set(field, (const char **) (void *) ((char *) c + k->from_off),
						  key, value, err, errlen);
	switch (k->type)
	{
		case KT_TEXT:
			if (replace_str(field, value) != 0)
				return errbuf_fail(err, errlen, "%s: out of memory", key);
			return 0;
		case KT_OPTIONAL:
			return set_optional(field, key, value, err, errlen);
		case KT_NONEMPTY:
			return set_nonempty(field, key, value, err, errlen);
		case KT_NAME:
			return set_name(field, key, value, err, errlen);
		case KT_PORT:
			if (parse_int(value, k->lo, k->hi, &v) != 0)
				return errbuf_fail(err, errlen, "%s: \"%s\" is not a port number (%lld-%lld)",
							key, value, (long long) k->lo, (long long) k->hi);
			*(int *) field = (int) v;
			return 0;
		case KT_INT:
			return set_int(field, key, value, k->lo, k->hi, err, errlen);
		case KT_ENUM:
			if ((i = choose(k->allowed, key, value, err, errlen)) < 0)
				return -1;
			*(int *) field = i;
			return 0;
		case KT_ENUM_TEXT:
			if ((i = choose(k->allowed, key, value, err, errlen)) < 0)
				return -1;
			return set_nonempty(field, key, k->allowed[i], err, errlen);
		case KT_PATTERNS:
			return filter_patterns_set(field, key, value, err, errlen);
		case KT_KEY_RULES:
			return filter_key_rules_set(&c->key_rules, &c->nkey_rules, key, value,
										err, errlen);
	}
	return errbuf_fail(err, errlen, "unknown key \"%s\"", key);
}

/* Release what the field of key k holds (wiping a secret). */
static void
free_value(struct config *c, const struct config_key *k)
{
	void	   *field = key_field(c, k);

	switch (k->type)
	{
		case KT_TEXT:
		case KT_OPTIONAL:
		case KT_NONEMPTY:
		case KT_NAME:
		case KT_ENUM_TEXT:
			if (k->flags & KF_SECRET)
				secret_free(*(char **) field);
			else
				free(*(char **) field);
			break;
		case KT_PATTERNS:
			filter_patterns_free(field);
			break;
		case KT_KEY_RULES:
			filter_key_rules_free(c->key_rules, c->nkey_rules);
			break;
		case KT_PORT:
		case KT_INT:
		case KT_ENUM:
			break;
	}
}

/* The entry of key, or NULL. */
static const struct config_key *
find_key(const char *key)
{
	for (int i = 0; i < NKEYS; i++)
		if (strcmp(key, config_keys[i].name) == 0)
			return &config_keys[i];
	return NULL;
}

int
config_key_info(int i, struct config_key_info *info)
{
	const struct config_key *k;

	if (i < 0 || i >= NKEYS)
		return -1;
	k = &config_keys[i];
	info->name = k->name;
	info->def = k->def;
	info->allowed = k->allowed;
	info->secret = (k->flags & KF_SECRET) != 0;
	info->doc = k->doc;
	return 0;
}

/*
 * Defaults for every key: the key table's texts, set as if given, so that
 * a default is validated like any value and config_print shows it.
 */
void
config_init(struct config *c)
{
	char		err[256];

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < NKEYS; i++)
		if (config_keys[i].def != NULL)
			/* only out of memory can fail: config_finish() reports the NULL */
			(void) config_set(c, config_keys[i].name, config_keys[i].def, err, sizeof(err));
}

/* Release all *c owns, wiping the secrets; *c is left zeroed. */
void
config_free(struct config *c)
{
	for (int i = 0; i < NKEYS; i++)
		free_value(c, &config_keys[i]);
	for (int i = 0; i < CONFIG_NKEYS; i++)
		free(c->text[i]);
	filter_patterns_free(&c->file_tables);
	filter_patterns_free(&c->file_schemas);
	columns_free(&c->columns);
	transforms_free(&c->xf);
	free(c->redis_host);
	for (int i = 0; i < c->nkafka; i++)
	{
		free(c->kafka_keys[i]);
		secret_free(c->kafka_values[i]);
	}
	free(c->kafka_keys);
	free(c->kafka_values);
	for (int i = 0; i < c->nhttp_headers; i++)
	{
		free(c->http_header_names[i]);
		secret_free(c->http_header_values[i]);
	}
	free(c->http_header_names);
	free(c->http_header_values);
	memset(c, 0, sizeof(*c));
}

/*
 * A kafka.* key: kept as given, without the prefix, for librdkafka,
 * which validates it when the sink is opened (sink_check).  A later
 * setting replaces an earlier one.
 */
static int
set_kafka(struct config *c, const char *key, const char *value,
		  char *err, size_t errlen)
{
	const char *name = key + strlen(CONFIG_KAFKA_PREFIX);
	char	   *v;
	char	  **nk, **nv;

	if (name[0] == '\0')
		return errbuf_fail(err, errlen, "%s: a librdkafka property name must follow \"kafka.\"", key);
	if ((v = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < c->nkafka; i++)
		if (strcmp(c->kafka_keys[i], name) == 0)
		{
			secret_free(c->kafka_values[i]);
			c->kafka_values[i] = v;
			return 0;
		}
	nk = realloc(c->kafka_keys, sizeof(char *) * (size_t) (c->nkafka + 1));
	if (nk)
		c->kafka_keys = nk;
	nv = nk ? realloc(c->kafka_values, sizeof(char *) * (size_t) (c->nkafka + 1)) : NULL;
	if (nv)
		c->kafka_values = nv;
	if (nk == NULL || nv == NULL || (nk[c->nkafka] = strdup(name)) == NULL)
	{
		secret_free(v);
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	}
	nv[c->nkafka++] = v;
	return 0;
}

/* column.mask.* and column.truncate.* keys: columns.h parses and keeps them. */
static int
set_column_rule(struct config *c, const char *key, const char *value,
				char *err, size_t errlen)
{
	int			rc = columns_add_rule(&c->columns, key, value, err, errlen);

	if (rc > 0)
		return errbuf_fail(err, errlen, "unknown key \"%s\": column mappers are column.mask.with.<N>.chars, column.mask.hash.<algorithm>.with.salt.<salt> and column.truncate.to.<N>.chars", key);
	return rc;
}

/* transforms.<alias>.<property>: transform.h keeps them until config_finish. */
static int
set_transform(struct config *c, const char *key, const char *value,
			  char *err, size_t errlen)
{
	return transforms_set(&c->xf, key, value, err, errlen);
}

/* The value of librdkafka property name, or NULL if no kafka.* key set it. */
static const char *
kafka_value(const struct config *c, const char *name)
{
	for (int i = 0; i < c->nkafka; i++)
		if (strcmp(c->kafka_keys[i], name) == 0)
			return c->kafka_values[i];
	return NULL;
}

/*
 * A sink.http.header.<Name> key: Name must be an HTTP field name (RFC
 * 9110's token), the value one line; an empty value removes the header.
 * Names are compared without case, as HTTP does; a later setting
 * replaces an earlier one.  Authorization has its own key, a secret;
 * Content-Length and Transfer-Encoding are libcurl's.
 */
static int
set_http_header(struct config *c, const char *key, const char *value,
				char *err, size_t errlen)
{
	const char *name = key + strlen(CONFIG_HTTP_HEADER_PREFIX);
	char		why[256];
	char	   *v;
	char	  **nn, **nv;
	int			i;

	if (sink_http_header_check(name, value, why, sizeof(why)) != 0)
		return errbuf_fail(err, errlen, "%s: %s", key, why);
	for (i = 0; i < c->nhttp_headers; i++)
		if (strcasecmp(c->http_header_names[i], name) == 0)
			break;
	if (value[0] == '\0')
	{
		if (i < c->nhttp_headers)
		{
			free(c->http_header_names[i]);
			secret_free(c->http_header_values[i]);
			c->nhttp_headers--;
			memmove(c->http_header_names + i, c->http_header_names + i + 1,
					sizeof(char *) * (size_t) (c->nhttp_headers - i));
			memmove(c->http_header_values + i, c->http_header_values + i + 1,
					sizeof(char *) * (size_t) (c->nhttp_headers - i));
		}
		return 0;
	}
	if ((v = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	if (i < c->nhttp_headers)
	{
		secret_free(c->http_header_values[i]);
		c->http_header_values[i] = v;
		return 0;
	}
	nn = realloc(c->http_header_names, sizeof(char *) * (size_t) (c->nhttp_headers + 1));
	if (nn)
		c->http_header_names = nn;
	nv = nn ? realloc(c->http_header_values, sizeof(char *) * (size_t) (c->nhttp_headers + 1)) : NULL;
	if (nv)
		c->http_header_values = nv;
	if (nn == NULL || nv == NULL || (nn[c->nhttp_headers] = strdup(name)) == NULL)
	{
		secret_free(v);
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	}
	nv[c->nhttp_headers++] = v;
	return 0;
}

int
config_is_secret(const char *key)
{
	const struct config_key *k = find_key(key);
	size_t		len = strlen(key);

	if (k != NULL)
		return (k->flags & KF_SECRET) != 0;
	if (strncmp(key, CONFIG_HTTP_HEADER_PREFIX, strlen(CONFIG_HTTP_HEADER_PREFIX)) == 0)
		return config_http_header_secret(key + strlen(CONFIG_HTTP_HEADER_PREFIX));
	/* kafka.sasl.password.file names a file: a path, not a secret */
	if (len > 5 && strcmp(key + len - 5, ".file") == 0)
		return 0;
	return strncmp(key, CONFIG_KAFKA_PREFIX, strlen(CONFIG_KAFKA_PREFIX)) == 0 &&
		config_kafka_secret(key + strlen(CONFIG_KAFKA_PREFIX));
}

/*
 * Validate and store one key.  A failed set leaves the key's previous
 * value in place.  The message names the key, never a secret.
 */
int
config_set(struct config *c, const char *key, const char *value,
		   char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	char	   *text;

	if (k == NULL)
	{
		for (size_t i = 0; i < sizeof(config_families) / sizeof(config_families[0]); i++)
			if (strncmp(key, config_families[i].prefix,
						strlen(config_families[i].prefix)) == 0)
				return config_families[i].set(c, key, value, err, errlen);
		for (int i = 0; refused_signal_keys[i] != NULL; i++)
			if (strcmp(key, refused_signal_keys[i]) == 0)
				return errbuf_fail(err, errlen,
							"%s: cannot be set: the signal table must be named "
							CONFIG_SIGNAL_TABLE " and is always "
							"<signal.schema>." CONFIG_SIGNAL_TABLE
							"; set signal.schema to choose its schema", key);
		return errbuf_fail(err, errlen, "unknown key \"%s\"", key);
	}
	if (set_value(c, k, value, err, errlen) != 0)
		return -1;
	if (k->flags & KF_SECRET)
		return 0;				/* config_print shows where it came from instead */
	if ((text = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	free(c->text[k - config_keys]);
	c->text[k - config_keys] = text;
	return 0;
}

/*
 * kafka.<secret>.file keys become kafka.<secret> (librdkafka knows no
 * *.file property); then the environment fills the secrets still unset.
 */
static int
kafka_secrets(struct config *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->nkafka; i++)
	{
		const char *name = c->kafka_keys[i];
		size_t		len = strlen(name);
		char		stem[128];
		char		key[160];
		char	   *value = NULL;
		int			rc;

		if (len <= 5 || len - 5 >= sizeof(stem) || strcmp(name + len - 5, ".file") != 0)
			continue;
		memcpy(stem, name, len - 5);
		stem[len - 5] = '\0';
		/* a PEM key spans lines: librdkafka reads it from ssl.key.location */
		if (!config_kafka_secret(stem) || strcmp(stem, "ssl.key.pem") == 0)
			continue;
		snprintf(key, sizeof(key), "kafka.%s", name);
		if (secret_read_file(key, c->kafka_values[i], &value, err, errlen) != 0)
			return -1;
		/* drop the *.file entry, then set the secret unless the key gave it */
		free(c->kafka_keys[i]);
		free(c->kafka_values[i]);
		c->nkafka--;
		memmove(c->kafka_keys + i, c->kafka_keys + i + 1, sizeof(char *) * (size_t) (c->nkafka - i));
		memmove(c->kafka_values + i, c->kafka_values + i + 1, sizeof(char *) * (size_t) (c->nkafka - i));
		i--;
		snprintf(key, sizeof(key), "kafka.%s", stem);
		rc = 0;
		if (kafka_value(c, stem) == NULL)
			rc = set_kafka(c, key, value, err, errlen);
		secret_free(value);
		if (rc != 0)
			return -1;
	}
	for (int i = 0; secret_kafka_env[i] != NULL; i++)
	{
		char		env[96];
		char		key[96];
		const char *v;

		secret_env_name("WALCAP_KAFKA_", secret_kafka_env[i], env, sizeof(env));
		if (kafka_value(c, secret_kafka_env[i]) != NULL ||
			(v = getenv(env)) == NULL || v[0] == '\0')
			continue;
		snprintf(key, sizeof(key), "kafka.%s", secret_kafka_env[i]);
		if (set_kafka(c, key, v, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * The sink.redis.* keys with sink.type=redis: the address, keys that go
 * together, the password (key, file, environment).
 */
static int
finish_redis(struct config *c, char *err, size_t errlen)
{
	if (c->sink != CONFIG_SINK_REDIS)
		return 0;
	if (c->redis_null_key == NULL || c->redis_null_value == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (c->redis_address == NULL)
		return errbuf_fail(err, errlen,
					"sink.redis.address is required when sink.type is redis (host:port of the Redis server)");
	if (c->redis_retry_max_ms < c->redis_retry_initial_ms)
		return errbuf_fail(err, errlen,
					"sink.redis.retry.max.delay.ms: %lld is less than sink.redis.retry.initial.delay.ms (%lld)",
					(long long) c->redis_retry_max_ms, (long long) c->redis_retry_initial_ms);
	if (!c->redis_ssl && (c->redis_ssl_ca || c->redis_ssl_cert || c->redis_ssl_key))
		return errbuf_fail(err, errlen,
					"%s is set but sink.redis.ssl.enabled is false: set sink.redis.ssl.enabled=true, or remove the key",
					c->redis_ssl_ca ? "sink.redis.ssl.ca.location" :
					c->redis_ssl_cert ? "sink.redis.ssl.certificate.location" : "sink.redis.ssl.key.location");
	if ((c->redis_ssl_cert == NULL) != (c->redis_ssl_key == NULL))
		return errbuf_fail(err, errlen,
					"%s is set without %s: a client certificate needs both",
					c->redis_ssl_cert ? "sink.redis.ssl.certificate.location" : "sink.redis.ssl.key.location",
					c->redis_ssl_cert ? "sink.redis.ssl.key.location" : "sink.redis.ssl.certificate.location");
	if (secret_fallback(&c->redis_password, &c->redis_password_from, "sink.redis.password.file",
						c->redis_password_file, CONFIG_REDIS_PASSWORD_ENV, err, errlen) != 0)
		return -1;
	if (c->redis_user && c->redis_password == NULL)
		return errbuf_fail(err, errlen,
					"sink.redis.user is set without a password: set sink.redis.password, sink.redis.password.file or "
					CONFIG_REDIS_PASSWORD_ENV " (an ACL user logs in with both)");
	return 0;
}

/* The ssh.* keys: required ones, and ~/ in the known hosts path. */
static int
finish_ssh(struct config *c, char *err, size_t errlen)
{
	const char *home;
	char	   *path;

	if (!c->ssh_enabled)
		return 0;
	if (c->ssh_host == NULL || c->ssh_user == NULL || c->ssh_key_file == NULL)
		return errbuf_fail(err, errlen,
					"ssh.enabled is true: set ssh.host, ssh.user and ssh.private.key.file (the bastion, the user to log in as and its private key)");
	if (c->hostname[0] == '/')
		return errbuf_fail(err, errlen,
					"ssh.enabled is true but database.hostname \"%s\" is a Unix-domain socket directory: give the database's host name or address as the bastion sees it",
					c->hostname);
	if (c->ssh_known_hosts == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (strncmp(c->ssh_known_hosts, "~/", 2) != 0)
		return 0;
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return errbuf_fail(err, errlen,
					"ssh.known.hosts.file: \"%s\" needs $HOME, which is not set; give an absolute path",
					c->ssh_known_hosts);
	if ((path = malloc(strlen(home) + strlen(c->ssh_known_hosts))) == NULL)
		return errbuf_fail(err, errlen, "ssh.known.hosts.file: out of memory");
	sprintf(path, "%s%s", home, c->ssh_known_hosts + 1);
	free(c->ssh_known_hosts);
	c->ssh_known_hosts = path;
	return 0;
}

/*
 * Derived values, required keys, combinations, the password and the
 * include file; may be called again (the include file is re-read).
 */
int
config_finish(struct config *c, char *err, size_t errlen)
{
	if (c->hostname == NULL || c->sslmode == NULL || c->slot_name == NULL ||
		c->publication_name == NULL || c->signal_schema == NULL ||
		c->unavailable_placeholder == NULL || c->offset_file == NULL ||
		c->heartbeat_prefix == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (c->heartbeat_ms == 0 && (c->heartbeat_query || c->heartbeat_message || c->heartbeat_events))
		return errbuf_fail(err, errlen,
					"heartbeat.interval.ms is 0 (off): set it to use heartbeat.action.query, heartbeat.logical.message or heartbeat.events");

	if (c->user == NULL)
		return errbuf_fail(err, errlen,
					"database.user is required (the PostgreSQL user to connect as)");
	if (c->dbname == NULL)
		return errbuf_fail(err, errlen,
					"database.dbname is required (the database to capture changes from)");
	if (transforms_finish(&c->xf, c->transforms_list, err, errlen) != 0)
		return -1;
	if (c->columns.include.n > 0 && c->columns.exclude.n > 0)
		return errbuf_fail(err, errlen,
					"column.include.list and column.exclude.list are both set: use one of them");
	if (c->sink == CONFIG_SINK_FILE && c->sink_file_path == NULL)
		return errbuf_fail(err, errlen,
					"sink.file.path is required when sink.type is file");
	if (c->sink == CONFIG_SINK_HTTP && c->http_url == NULL)
		return errbuf_fail(err, errlen,
					"sink.http.url is required when sink.type is http (the receiver's http:// or https:// URL)");
	if (c->http_retry_max_ms < c->http_retry_ms)
		return errbuf_fail(err, errlen,
					"sink.http.retry.max.interval.ms: %lld is less than "
					"sink.http.retry.interval.ms (%lld)",
					(long long) c->http_retry_max_ms, (long long) c->http_retry_ms);
	if (c->backoff_max_ms < c->backoff_initial_ms)
		return errbuf_fail(err, errlen,
					"connect.backoff.max.ms: %lld is less than "
					"connect.backoff.initial.ms (%lld)",
					(long long) c->backoff_max_ms,
					(long long) c->backoff_initial_ms);

	/* Debezium accepts only one of each include/exclude pair */
	if (c->table_include.n > 0 && c->table_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"table.include.list and table.exclude.list cannot both be set");
	if (c->table_include_file != NULL && c->table_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"table.include.list.file and table.exclude.list cannot both be set");
	if (c->schema_include.n > 0 && c->schema_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"schema.include.list and schema.exclude.list cannot both be set");

	if (c->ha_enabled && c->offset_storage == CONFIG_OFFSETS_FILE)
		return errbuf_fail(err, errlen,
					"ha.enabled=true needs offset.storage=postgres (or kafka, with "
					"exactly.once.support=required): a standby on another machine must read "
					"the position the active one recorded, and the offset file is local to "
					"each machine");
	if (c->ha_enabled && c->offset_storage == CONFIG_OFFSETS_KAFKA &&
		c->exactly_once != CONFIG_EOS_REQUIRED)
		return errbuf_fail(err, errlen,
					"ha.enabled=true with offset.storage=kafka needs exactly.once.support=required: "
					"only a transactional producer, fenced by the next active one, keeps a stale "
					"active walcap from recording an older position (or use offset.storage=postgres)");
	if (c->exactly_once == CONFIG_EOS_REQUIRED && c->sink != CONFIG_SINK_KAFKA)
		return errbuf_fail(err, errlen,
					"exactly.once.support=required needs sink.type=kafka: it commits each batch "
					"of events in a Kafka transaction");
	if (c->exactly_once == CONFIG_EOS_REQUIRED && c->offset_storage != CONFIG_OFFSETS_KAFKA)
		return errbuf_fail(err, errlen,
					"exactly.once.support=required needs offset.storage=kafka: the offset record "
					"must commit in the same Kafka transaction as the events it covers");
	if (c->offset_storage == CONFIG_OFFSETS_KAFKA)
	{
		int			have = 0;

		for (int i = 0; i < c->nkafka; i++)
			if ((strcmp(c->kafka_keys[i], "bootstrap.servers") == 0 ||
				 strcmp(c->kafka_keys[i], "metadata.broker.list") == 0) && c->kafka_values[i][0])
				have = 1;
		if (!have)
			return errbuf_fail(err, errlen,
						"kafka.bootstrap.servers is required when offset.storage is kafka "
						"(host:port of one or more brokers)");
	}
	if (c->name == NULL && (c->name = strdup(c->slot_name)) == NULL)
		return errbuf_fail(err, errlen, "name: out of memory");
	if (!c->topic_prefix_set)
	{
		free(c->topic_prefix);
		if ((c->topic_prefix = strdup(c->dbname)) == NULL)
			return errbuf_fail(err, errlen, "topic.prefix: out of memory");
	}

	/* secrets: the key, else its file, else the environment (else libpq's) */
	if (secret_fallback(&c->password, &c->password_from, "database.password.file",
						c->password_file, CONFIG_PASSWORD_ENV, err, errlen) != 0 ||
		secret_fallback(&c->ssh_passphrase, &c->ssh_passphrase_from,
						"ssh.private.key.passphrase.file", c->ssh_passphrase_file,
						CONFIG_SSH_PASSPHRASE_ENV, err, errlen) != 0 ||
		secret_fallback(&c->http_auth, &c->http_auth_from, "sink.http.authorization.file",
						c->http_auth_file, CONFIG_HTTP_AUTH_ENV, err, errlen) != 0)
		return -1;
	/* a header's value: one line (never shown, it is a secret) */
	if (c->http_auth != NULL && !sink_http_value_ok(c->http_auth))
		return errbuf_fail(err, errlen,
					"%s: the value holds a line break or another control character; give the Authorization header's value alone, on one line (e.g. Bearer <token>)",
					c->http_auth_from ? c->http_auth_from : "sink.http.authorization");
	if ((c->sink == CONFIG_SINK_KAFKA || c->offset_storage == CONFIG_OFFSETS_KAFKA) &&
		kafka_secrets(c, err, errlen) != 0)
		return -1;
	if (finish_ssh(c, err, errlen) != 0 || finish_redis(c, err, errlen) != 0)
		return -1;

	filter_patterns_free(&c->file_tables);
	filter_patterns_free(&c->file_schemas);
	if (c->table_include_file != NULL &&
		filter_read_include_file("table.include.list.file", c->table_include_file,
								 &c->file_tables, &c->file_schemas, err, errlen) != 0)
		return -1;
	return 0;
}

/* One "key = value" line of config_print; NULL value: unset. */
static void
print_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s =%s%s\n", key, value ? " " : "", value ? value : "");
}

void
config_print(const struct config *c, FILE *f)
{
	fprintf(f, "# walcap: the configuration in effect (secrets masked)\n");
	for (int i = 0; i < NKEYS; i++)
	{
		const struct config_key *k = &config_keys[i];
		char	   *const *field = key_field(c, k);

		if (k->flags & KF_SECRET)
			secret_print(f, k->name, *field,
						 *(const char *const *) (const void *) ((const char *) c + k->from_off));
		else if (k->flags & KF_SHOW_FIELD)
			print_line(f, k->name, *field);
		else
			print_line(f, k->name, c->text[i]);
	}
	for (int i = 0; i < c->columns.nrules; i++)
		fprintf(f, "%s = %s\n", c->columns.rules[i].key, c->columns.rules[i].value);
	transforms_print(&c->xf, f);
	for (int i = 0; i < c->nkafka; i++)
	{
		if (config_kafka_secret(c->kafka_keys[i]))
			fprintf(f, "kafka.%s = ********\n", c->kafka_keys[i]);
		else
			fprintf(f, "kafka.%s = %s\n", c->kafka_keys[i], c->kafka_values[i]);
	}
	for (int i = 0; i < c->nhttp_headers; i++)
	{
		if (config_http_header_secret(c->http_header_names[i]))
			fprintf(f, CONFIG_HTTP_HEADER_PREFIX "%s = ********\n", c->http_header_names[i]);
		else
			fprintf(f, CONFIG_HTTP_HEADER_PREFIX "%s = %s\n", c->http_header_names[i],
					c->http_header_values[i]);
	}
}

int32_t
config_ha_lock_key(const char *slot)
{
	uint32_t	h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *) slot; *p; p++)
	{
		h ^= *p;
		h *= 16777619u;
	}
	return (int32_t) (h & 0x7fffffffu);
}

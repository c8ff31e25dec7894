/*
 * config.h — walcap's configuration: a Java-style properties file
 * (key=value, '#' or '!' comments) plus --set overrides, validated into
 * one struct that the rest of the program only reads.
 *
 * Key names are Debezium's where one exists.  Lifecycle:
 *   config_init()    defaults
 *   config_load_file() / config_set()   in command-line order; a later
 *                    setting of a key replaces an earlier one; values are
 *                    validated and pattern lists compiled as they are set
 *   config_finish()  password (file, environment), derived defaults
 *                    (topic.prefix), required keys, combinations,
 *                    table.include.list.file; no connection is made
 *   config_free()    also valid after config_init() alone
 * Every function that can fail writes a one-line message naming the key
 * and what is allowed into the caller's err[errlen] and returns -1; no
 * message ever contains the password.  Strings in the struct are owned
 * by it.  Every key is described once, in config_keys.c's key table (name,
 * type, default, allowed values, secret flag, field, one-line doc); the
 * table filters live in filter.h, secrets in secret.h.  docs/config.md
 * is the user's reference for every key (a unit test holds it to the
 * table).
 */
#ifndef WALCAP_CONFIG_H
#define WALCAP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "columns.h"
#include "convert.h"
#include "filter.h"
#include "secret.h"
#include "transform.h"

/* The signal table's name; only its schema (signal.schema) is configurable. */
#define CONFIG_SIGNAL_TABLE "streamkap_signal"

/*
 * Environment variables consulted for a secret its keys do not give:
 * WALCAP_ plus the key in capitals with '.' as '_'.  kafka.sasl.password
 * and the other librdkafka secrets follow the same rule
 * (WALCAP_KAFKA_SASL_PASSWORD), and so does sink.redis.password
 * (WALCAP_SINK_REDIS_PASSWORD, with sink.type=redis only).
 */
#define CONFIG_PASSWORD_ENV "WALCAP_DATABASE_PASSWORD"
#define CONFIG_SSH_PASSPHRASE_ENV "WALCAP_SSH_PRIVATE_KEY_PASSPHRASE"
#define CONFIG_HTTP_AUTH_ENV "WALCAP_SINK_HTTP_AUTHORIZATION"
#define CONFIG_REDIS_PASSWORD_ENV "WALCAP_SINK_REDIS_PASSWORD"

/* Room for the text of every key of config_keys.c's key table. */
#define CONFIG_NKEYS 192

/* Keys passed to librdkafka: this prefix plus a librdkafka property name. */
#define CONFIG_KAFKA_PREFIX "kafka."

/* The HTTP sink's request headers: this prefix plus the header's name. */
#define CONFIG_HTTP_HEADER_PREFIX "sink.http.header."

/* skipped.operations: the streamed operations that produce no event */
#define CONFIG_SKIP_CREATE 1
#define CONFIG_SKIP_UPDATE 2
#define CONFIG_SKIP_DELETE 4
#define CONFIG_SKIP_TRUNCATE 8

enum config_sink
{
	CONFIG_SINK_STDOUT = 0,
	CONFIG_SINK_FILE,
	CONFIG_SINK_KAFKA,
	CONFIG_SINK_HTTP,
	CONFIG_SINK_REDIS,			/* Redis Streams (sink_redis.c) */
};

/* sink.http.format: how a POST's body frames its events (sink_http.c) */
enum config_http_format
{
	CONFIG_HTTP_NDJSON = 0,		/* one event a line, each ended by '\n' */
	CONFIG_HTTP_ARRAY,			/* one JSON array of the events */
};

/* sink.redis.message.format: the fields of each stream entry (sink_redis.c) */
enum config_redis_format
{
	CONFIG_REDIS_COMPACT = 0,	/* one field: the key, holding the value */
	CONFIG_REDIS_EXTENDED,		/* two fields: "key" and "value" */
};

/* Where the offset is kept (offset.storage; offset_store.h). */
enum config_offset_storage
{
	CONFIG_OFFSETS_FILE = 0,	/* offset.storage.file.filename */
	CONFIG_OFFSETS_POSTGRES,	/* <signal.schema>.walcap_offsets */
	CONFIG_OFFSETS_KAFKA,		/* offset.storage.topic */
};

/* binary.format: pgoutput's binary mode (convert_binary.h) */
enum config_binary_format
{
	CONFIG_BINARY_AUTO = 0,		/* on from PostgreSQL 14, text below */
	CONFIG_BINARY_ON,			/* binary, or stop with the reason */
	CONFIG_BINARY_OFF,
};

/* exactly.once.support (Kafka Connect's KIP-618 name; sink_kafka.c) */
enum config_exactly_once
{
	CONFIG_EOS_DISABLED = 0,
	CONFIG_EOS_REQUIRED,		/* one Kafka transaction per batch, with its offset */
};

/* The offsets table of offset.storage=postgres, in signal.schema. */
#define CONFIG_OFFSET_TABLE "walcap_offsets"

/*
 * ha.enabled: the advisory lock on the replication connection is
 * pg_try_advisory_lock(CONFIG_HA_LOCK_CLASS, config_ha_lock_key(slot)),
 * so that pg_locks shows it as classid 1463897155 ('WALC'), objid the
 * slot's key, objsubid 2.
 */
#define CONFIG_HA_LOCK_CLASS 1463897155
/* The slot name's 32-bit FNV-1a hash, cut to 31 bits (a positive int4). */
int32_t	config_ha_lock_key(const char *slot);

enum config_snapshot_mode
{
	CONFIG_SNAPSHOT_INITIAL = 0,	/* no offset: snapshot everything, then stream */
	CONFIG_SNAPSHOT_INITIAL_ONLY,	/* ... then exit */
	CONFIG_SNAPSHOT_NO_DATA,	/* never at start; signals still work */
	CONFIG_SNAPSHOT_WHEN_NEEDED,	/* initial, and again if the slot is lost */
};

struct config
{
	/* connection */
	char	   *hostname;		/* database.hostname [localhost] */
	int			port;			/* database.port [5432] */
	char	   *user;			/* database.user (required) */
	char	   *password;		/* database.password, file or env; may be NULL */
	char	   *password_file;	/* database.password.file */
	char	   *dbname;			/* database.dbname (required) */
	char	   *sslmode;		/* database.sslmode [prefer] */
	char	   *sslrootcert;
	char	   *sslcert;
	char	   *sslkey;

	/* SSH tunnel to a bastion host (ssh.*) */
	int			ssh_enabled;	/* ssh.enabled [false] */
	char	   *ssh_host;		/* ssh.host (required when enabled) */
	int			ssh_port;		/* ssh.port [22] */
	char	   *ssh_user;		/* ssh.user (required when enabled) */
	char	   *ssh_key_file;	/* ssh.private.key.file (required when enabled) */
	char	   *ssh_passphrase;	/* its passphrase: key, file or env; may be NULL */
	char	   *ssh_passphrase_file;	/* ssh.private.key.passphrase.file */
	char	   *ssh_known_hosts;	/* ssh.known.hosts.file [~/.ssh/known_hosts] */
	int			ssh_host_key_check;	/* ssh.host.key.check [true] */

	/* replication objects, named as in the seed */
	char	   *slot_name;		/* slot.name [streamkap_pgoutput_slot] */
	int			slot_failover;	/* slot.failover [false]: create it as a failover
								 * slot (PostgreSQL 17+) */
	char	   *publication_name;	/* publication.name [streamkap_pub] */
	enum config_binary_format binary_format;	/* binary.format [auto] */
	int			streaming;		/* streaming [auto]: 1 auto, 0 off (stream.h) */
	char	   *spill_dir;		/* streaming.spill.dir [walcap-spill] */
	char	   *signal_schema;	/* signal.schema [streamkap] */
	char	   *topic_prefix;	/* topic.prefix [database.dbname] */

	/* which tables produce events */
	struct config_patterns table_include;
	struct config_patterns table_exclude;
	struct config_patterns schema_include;
	struct config_patterns schema_exclude;
	char	   *table_include_file;	/* table.include.list.file */
	struct config_patterns file_tables;	/* its schema.table rows (literal) */
	struct config_patterns file_schemas;	/* its bare schema rows (literal) */

	/* columns: column.include/exclude.list and the column.mask.* and
	 * column.truncate.* mappers (columns.h) */
	struct columns columns;

	/* transforms [unset] and its transforms.* keys (transform.h) */
	char	   *transforms_list;
	struct transforms xf;

	/* which events */
	int			skipped_ops;	/* skipped.operations [none]: CONFIG_SKIP_* bits */
	int			txn_metadata;	/* provide.transaction.metadata [false] */

	/* values */
	struct convert_opts conv;
	char	   *unavailable_placeholder;	/* [__debezium_unavailable_value] */

	/* delivery */
	int64_t		status_interval_ms;	/* status.update.interval.ms [10000] */
	enum config_sink sink;		/* sink.type [stdout] */
	char	   *sink_file_path;	/* sink.file.path (required for file) */
	enum config_offset_storage offset_storage;	/* offset.storage [file] */
	char	   *offset_file;	/* offset.storage.file.filename [walcap.offsets] */
	char	   *offset_topic;	/* offset.storage.topic [walcap-offsets] */
	char	   *name;			/* name [slot.name]: the offset record's key */

	/* active/standby (source.h) */
	int			ha_enabled;		/* ha.enabled [false] */
	int64_t		ha_poll_ms;		/* ha.poll.interval.ms [1000] */

	/* Kafka (sink.type=kafka) */
	char	  **kafka_keys;		/* every kafka.* key, without the prefix, */
	char	  **kafka_values;	/* ... and its value (wiped on free: may be secret) */
	int			nkafka;
	int			tombstones;		/* tombstones.on.delete [true] */
	int			key_schemas;	/* key.converter.schemas.enable [false] */
	int			value_schemas;	/* value.converter.schemas.enable [false] */
	struct config_key_rule *key_rules;	/* message.key.columns */
	int			nkey_rules;
	int64_t		kafka_flush_ms;	/* sink.kafka.flush.timeout.ms [10000] */
	enum config_exactly_once exactly_once;	/* exactly.once.support [disabled] */
	int64_t		txn_interval_ms;	/* transaction.boundary.interval.ms [1000] */

	/* HTTP (sink.type=http; sink_http.c) */
	char	   *http_url;		/* sink.http.url (required for http) */
	enum config_http_format http_format;	/* sink.http.format [ndjson] */
	int64_t		http_batch_events;	/* sink.http.batch.max.events [1000] */
	int64_t		http_batch_bytes;	/* sink.http.batch.max.bytes [4 MiB] */
	int64_t		http_max_in_flight;	/* sink.http.max.in.flight [1] */
	int64_t		http_timeout_ms;	/* sink.http.timeout.ms [30000] */
	int64_t		http_connect_timeout_ms;	/* sink.http.connect.timeout.ms [10000] */
	int64_t		http_retries;	/* sink.http.retries [0 = forever] */
	int64_t		http_retry_ms;	/* sink.http.retry.interval.ms [500] */
	int64_t		http_retry_max_ms;	/* sink.http.retry.max.interval.ms [30000] */
	int64_t		http_flush_ms;	/* sink.http.flush.timeout.ms [10000] */
	char	   *http_ca;		/* sink.http.ssl.ca.location, or NULL */
	char	   *http_auth;		/* sink.http.authorization: key, file or env; may be NULL */
	char	   *http_auth_file;	/* sink.http.authorization.file */
	const char *http_auth_from;	/* where it came from, or NULL */
	char	  **http_header_names;	/* every sink.http.header.<Name>: the name, */
	char	  **http_header_values;	/* ... and its value (wiped on free) */
	int			nhttp_headers;

	/* Redis Streams (sink.type=redis; Debezium Server's debezium.sink.redis.*) */
	char	   *redis_address;	/* sink.redis.address: host:port (required) */
	char	   *redis_host;		/* ... its host, without [] around an IPv6 address */
	int			redis_port;		/* ... its port */
	char	   *redis_user;		/* sink.redis.user (an ACL user), or NULL */
	char	   *redis_password;	/* sink.redis.password, file or env; may be NULL */
	char	   *redis_password_file;	/* sink.redis.password.file */
	int64_t		redis_db;		/* sink.redis.db.index [0] */
	int			redis_ssl;		/* sink.redis.ssl.enabled [false] */
	char	   *redis_ssl_ca;	/* sink.redis.ssl.ca.location */
	char	   *redis_ssl_cert;	/* sink.redis.ssl.certificate.location */
	char	   *redis_ssl_key;	/* sink.redis.ssl.key.location */
	enum config_redis_format redis_format;	/* sink.redis.message.format [compact] */
	char	   *redis_null_key;	/* sink.redis.null.key [default] */
	char	   *redis_null_value;	/* sink.redis.null.value [default] */
	int64_t		redis_batch;	/* sink.redis.batch.size [5000] */
	int64_t		redis_retry_initial_ms;	/* sink.redis.retry.initial.delay.ms [300] */
	int64_t		redis_retry_max_ms;	/* sink.redis.retry.max.delay.ms [10000] */
	int64_t		redis_connect_ms;	/* sink.redis.connection.timeout.ms [2000] */
	int64_t		redis_socket_ms;	/* sink.redis.socket.timeout.ms [2000, 0 = off] */
	int64_t		redis_flush_ms;	/* sink.redis.flush.timeout.ms [10000] */

	/* heartbeats */
	int64_t		heartbeat_ms;	/* heartbeat.interval.ms [0 = off] */
	char	   *heartbeat_query;	/* heartbeat.action.query, or NULL */
	int			heartbeat_message;	/* heartbeat.logical.message [false] */
	int			heartbeat_events;	/* heartbeat.events [false]: also on stdout/file */
	char	   *heartbeat_prefix;	/* topic.heartbeat.prefix [__debezium-heartbeat] */

	/* reconnection */
	int64_t		backoff_initial_ms;	/* connect.backoff.initial.ms [500] */
	int64_t		backoff_max_ms;	/* connect.backoff.max.ms [30000] */
	int64_t		max_attempts;	/* connect.max.attempts [0 = unlimited] */
	int64_t		connect_timeout_ms;	/* connect.timeout.ms [10000] */
	int64_t		keepalive_idle_ms;	/* connect.keepalive.idle.ms [30000] */
	int64_t		keepalive_interval_ms;	/* connect.keepalive.interval.ms [10000] */
	int64_t		keepalive_count;	/* connect.keepalive.count [3] */
	int64_t		tcp_user_timeout_ms;	/* connect.tcp.user.timeout.ms [60000, 0 = the OS's] */
	int64_t		receive_timeout_ms;	/* connect.receive.timeout.ms [60000, 0 = off] */

	/* slot health */
	int			confirm_idle;	/* status.confirm.idle [true] */
	int64_t		wal_warn_bytes;	/* wal.retained.warn.bytes [1 GiB, 0 = off] */
	int64_t		wal_check_ms;	/* wal.retained.check.interval.ms [60000] */

	int			log_level;		/* log.level [info] (enum log_level) */

	char	   *metrics_listen;	/* metrics.listen [unset = no metrics endpoint] */

	/* snapshots */
	enum config_snapshot_mode snapshot_mode;	/* snapshot.mode [initial] */
	int64_t		chunk_size;		/* incremental.snapshot.chunk.size [4096] */
	int64_t		snapshot_threads;	/* snapshot.max.threads [1] */
	int			watermark_delete;	/* incremental.snapshot.watermarking.strategy:
									 * insert_delete (1) or insert_insert [0] */
	int			read_only;		/* read.only [false]: no watermark writes */
	int			snapshot_new_tables;	/* snapshot.new.tables [true] */

	/* internal: which keys were set explicitly (for derived defaults) */
	int			topic_prefix_set;
	/* where the secrets came from (a key or an environment variable), or NULL */
	const char *password_from;
	const char *ssh_passphrase_from;
	const char *redis_password_from;
	/* the text each key was last set to (not for secrets), for config_print */
	char	   *text[CONFIG_NKEYS];
};

/* Fill *c with the defaults; config_free() releases what it allocated. */
void	config_init(struct config *c);
/* Release everything *c owns (regexes too); *c is left empty. */
void	config_free(struct config *c);

/* Apply every key=value line of a properties file, in order. */
int		config_load_file(struct config *c, const char *path,
						 char *err, size_t errlen);

/*
 * The properties file's syntax without its keys: fn is called with each
 * key=value line, in order, and a nonzero return stops the reading with
 * "config: FILE:LINE: msg" in err.  (walcap server reads its file so:
 * its server.* keys are its own, the rest are defaults for every
 * connector.)
 */
typedef int (*config_line_fn) (void *arg, const char *key, const char *value,
							   char *msg, size_t msglen);
int		config_read_file(const char *path, config_line_fn fn, void *arg,
						 char *err, size_t errlen);
/*
 * Parse "key=value" as given to --set: the first '=' separates, so the
 * value may contain '='; key and value are trimmed as in the file.
 */
int		config_set_arg(struct config *c, const char *arg,
					   char *err, size_t errlen);
/* Set one key; the value is taken as given (the file parser trims it). */
int		config_set(struct config *c, const char *key, const char *value,
				   char *err, size_t errlen);
/* Complete and check the configuration once every source has been applied. */
int		config_finish(struct config *c, char *err, size_t errlen);

/*
 * Whether a key holds a secret: the keys the key table flags
 * (database.password, ssh.private.key.passphrase, sink.redis.password),
 * and the kafka.*
 * properties that config_kafka_secret() (secret.h) names.  Such keys
 * may be set in the file, from their *.file key or from the
 * environment, never with --set; their values appear in no message and
 * no output.
 */
int		config_is_secret(const char *key);

/*
 * Write every key with the value in effect, one "key = value" line each
 * (unset keys with nothing after '='), secrets as "********" with where
 * they came from: `walcap run --print-config`.
 */
void	config_print(const struct config *c, FILE *f);

/* What the key table says about one key, for tests and tools. */
struct config_key_info
{
	const char *name;
	const char *def;			/* the default's text, or NULL: unset */
	const char *const *allowed;	/* enumerated keys: NULL-terminated values */
	int			secret;			/* config_is_secret(name) */
	const char *doc;			/* one line */
};

/*
 * Key i of the key table, in --print-config order, into *info: 0, or -1
 * when i is past the last key.  The kafka.* family (CONFIG_KAFKA_PREFIX
 * plus a librdkafka property) is not in the table.
 */
int		config_key_info(int i, struct config_key_info *info);

#endif

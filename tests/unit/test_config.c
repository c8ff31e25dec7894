/*
 * test_config.c — unit tests of src/config.c and config_file.c:
 * defaults, every key, every error message, the properties file syntax,
 * --set, required keys and combinations, Kafka and heartbeat keys, the
 * SSH keys, the Redis sink's keys.  The table filters are tested in test_filter.c, the secrets
 * in test_secret.c.  Cases that differ only in their input and expected
 * result are rows of a table (set_error_case, set_value_case,
 * text_error_case).
 */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "testhelp.h"
#include "configtest.h"

/*
 * Setting key to value succeeds, and then the field at off holds want:
 * an integer field of size bytes, or (size 0) the string want_str.
 */
struct set_value_case
{
	const char *key;
	const char *value;
	size_t		off;
	size_t		size;
	long long	want;
	const char *want_str;
};

#define INT_CASE(k, v, field, w) \
	{k, v, offsetof(struct config, field), sizeof(((struct config *) 0)->field), w, NULL}
#define STR_CASE(k, v, field, w) \
	{k, v, offsetof(struct config, field), 0, 0, w}

/* Apply one set_value_case to *c (not a fresh config: cases build up). */
static void
expect_set_value(struct config *c, const struct set_value_case *t)
{
	const char *field = (const char *) c + t->off;

	CHECK_INT(config_set(c, t->key, t->value, errbuf, sizeof(errbuf)), 0);
	if (t->size == 0)
		CHECK_STR(*(char *const *) (const void *) field, t->want_str);
	else if (t->size == sizeof(int64_t))
		CHECK_INT(*(const int64_t *) (const void *) field, t->want);
	else
		CHECK_INT(*(const int *) (const void *) field, t->want);
}

/* Loading a file with content fails with "config: PATH:<rest>". */
static void
expect_file_error(const char *content, const char *rest)
{
	struct config c;
	char		path[64];
	char		want[1024];

	write_tmp(path, content);
	snprintf(want, sizeof(want), "config: %s:%s", path, rest);
	config_init(&c);
	errbuf[0] = '\0';
	CHECK_INT(config_load_file(&c, path, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, want);
	CHECK(strstr(errbuf, SECRET) == NULL);
	config_free(&c);
	unlink(path);
}

static void
test_defaults(void)
{
	struct config c;

	config_init(&c);
	CHECK_STR(c.hostname, "localhost");
	CHECK_INT(c.port, 5432);
	CHECK(c.user == NULL);
	CHECK(c.password == NULL);
	CHECK(c.password_file == NULL);
	CHECK(c.dbname == NULL);
	CHECK_STR(c.sslmode, "prefer");
	CHECK(c.sslrootcert == NULL);
	CHECK(c.sslcert == NULL);
	CHECK(c.sslkey == NULL);
	CHECK_STR(c.slot_name, "streamkap_pgoutput_slot");
	CHECK_STR(c.publication_name, "streamkap_pub");
	CHECK_STR(c.signal_schema, "streamkap");
	CHECK(c.topic_prefix == NULL);
	CHECK_INT(c.table_include.n, 0);
	CHECK_INT(c.table_exclude.n, 0);
	CHECK_INT(c.schema_include.n, 0);
	CHECK_INT(c.schema_exclude.n, 0);
	CHECK(c.table_include_file == NULL);
	CHECK_INT(c.conv.binary, CONVERT_BINARY_BYTES);
	CHECK_INT(c.conv.decimal, CONVERT_DECIMAL_PRECISE);
	CHECK_INT(c.conv.time, CONVERT_TIME_ADAPTIVE);
	CHECK_INT(c.conv.interval, CONVERT_INTERVAL_NUMERIC);
	CHECK_INT(c.conv.hstore, CONVERT_HSTORE_JSON);
	CHECK_STR(c.unavailable_placeholder, "__debezium_unavailable_value");
	CHECK_INT(c.status_interval_ms, 10000);
	CHECK_INT(c.sink, CONFIG_SINK_STDOUT);
	CHECK(c.sink_file_path == NULL);
	CHECK_STR(c.offset_file, "walcap.offsets");
	CHECK_INT(c.backoff_initial_ms, 500);
	CHECK_INT(c.backoff_max_ms, 30000);
	CHECK_INT(c.max_attempts, 0);
	CHECK_INT(c.connect_timeout_ms, 10000);
	CHECK_INT(c.keepalive_idle_ms, 30000);
	CHECK_INT(c.keepalive_interval_ms, 10000);
	CHECK_INT(c.keepalive_count, 3);
	CHECK_INT(c.tcp_user_timeout_ms, 60000);
	CHECK_INT(c.receive_timeout_ms, 60000);
	CHECK_INT(c.confirm_idle, 1);
	CHECK_INT(c.slot_failover, 0);
	CHECK(c.wal_warn_bytes == INT64_C(1073741824));
	CHECK_INT(c.wal_check_ms, 60000);
	CHECK_INT(c.log_level, LOGL_INFO);
	CHECK_INT(c.topic_prefix_set, 0);
	config_free(&c);

	/* init + free without finish, and free twice, must be clean */
	config_init(&c);
	config_free(&c);
	config_free(&c);

	/* finish: topic.prefix defaults to the database name */
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.topic_prefix, "shop");
	CHECK(c.password == NULL);
	CHECK_INT(config_table_included(&c, "public", "anything"), 1);
	config_free(&c);
}

static void
test_every_key(void)
{
	/* the remaining values of each enumerated key, set in this order */
	static const struct set_value_case enums[] = {
		INT_CASE("binary.handling.mode", "bytes", conv.binary, CONVERT_BINARY_BYTES),
		INT_CASE("binary.handling.mode", "base64", conv.binary, CONVERT_BINARY_BASE64),
		INT_CASE("binary.handling.mode", "hex", conv.binary, CONVERT_BINARY_HEX),
		INT_CASE("decimal.handling.mode", "double", conv.decimal, CONVERT_DECIMAL_DOUBLE),
		INT_CASE("decimal.handling.mode", "precise", conv.decimal, CONVERT_DECIMAL_PRECISE),
		INT_CASE("time.precision.mode", "connect", conv.time, CONVERT_TIME_CONNECT),
		INT_CASE("time.precision.mode", "adaptive", conv.time, CONVERT_TIME_ADAPTIVE),
		INT_CASE("interval.handling.mode", "numeric", conv.interval, CONVERT_INTERVAL_NUMERIC),
		INT_CASE("hstore.handling.mode", "json", conv.hstore, CONVERT_HSTORE_JSON),
		INT_CASE("sink.type", "stdout", sink, CONFIG_SINK_STDOUT),
		INT_CASE("log.level", "error", log_level, LOGL_ERROR),
		INT_CASE("log.level", "warning", log_level, LOGL_WARNING),
		INT_CASE("log.level", "info", log_level, LOGL_INFO),
		STR_CASE("database.sslmode", "disable", sslmode, "disable"),
		STR_CASE("database.sslmode", "allow", sslmode, "allow"),
		STR_CASE("database.sslmode", "require", sslmode, "require"),
		STR_CASE("database.sslmode", "verify-ca", sslmode, "verify-ca"),
	};
	struct config c;

	init_base(&c);
#define SET(k, v) CHECK_INT(config_set(&c, (k), (v), errbuf, sizeof(errbuf)), 0)
	SET("database.hostname", "/var/run/postgresql");
	SET("database.port", "6432");
	SET("database.user", "streamkap_user");
	SET("database.password", SECRET);
	SET("database.password.file", "/run/secrets/pg");
	SET("database.dbname", "orders");
	SET("database.sslmode", "verify-full");
	SET("database.sslrootcert", "/etc/ssl/root.crt");
	SET("database.sslcert", "/etc/ssl/client.crt");
	SET("database.sslkey", "/etc/ssl/client.key");
	SET("slot.name", "my_slot_2");
	SET("publication.name", "MyPub");
	SET("signal.schema", "ops");
	SET("topic.prefix", "prod-orders");
	SET("table.include.list", "public\\.a, public\\.b");
	SET("table.exclude.list", "");
	SET("schema.include.list", "public");
	SET("schema.exclude.list", "");
	SET("table.include.list.file", "/tmp/tables.csv");
	SET("binary.handling.mode", "base64-url-safe");
	SET("decimal.handling.mode", "string");
	SET("time.precision.mode", "adaptive_time_microseconds");
	SET("interval.handling.mode", "string");
	SET("hstore.handling.mode", "map");
	SET("unavailable.value.placeholder", "");
	SET("status.update.interval.ms", "2500");
	SET("sink.type", "file");
	SET("sink.file.path", "/data/events.jsonl");
	SET("offset.storage.file.filename", "/data/walcap.offsets");
	SET("connect.backoff.initial.ms", "100");
	SET("connect.backoff.max.ms", "3600000");
	SET("connect.max.attempts", "7");
	SET("log.level", "debug");

	CHECK_STR(c.hostname, "/var/run/postgresql");
	CHECK_INT(c.port, 6432);
	CHECK_STR(c.user, "streamkap_user");
	CHECK_STR(c.password, SECRET);
	CHECK_STR(c.password_file, "/run/secrets/pg");
	CHECK_STR(c.dbname, "orders");
	CHECK_STR(c.sslmode, "verify-full");
	CHECK_STR(c.sslrootcert, "/etc/ssl/root.crt");
	CHECK_STR(c.sslcert, "/etc/ssl/client.crt");
	CHECK_STR(c.sslkey, "/etc/ssl/client.key");
	CHECK_STR(c.slot_name, "my_slot_2");
	CHECK_STR(c.publication_name, "MyPub");
	CHECK_STR(c.signal_schema, "ops");
	CHECK_STR(c.topic_prefix, "prod-orders");
	CHECK_INT(c.topic_prefix_set, 1);
	CHECK_INT(c.table_include.n, 2);
	CHECK_INT(c.table_exclude.n, 0);
	CHECK_INT(c.schema_include.n, 1);
	CHECK_INT(c.schema_exclude.n, 0);
	CHECK_STR(c.table_include_file, "/tmp/tables.csv");
	CHECK_INT(c.conv.binary, CONVERT_BINARY_BASE64_URL_SAFE);
	CHECK_INT(c.conv.decimal, CONVERT_DECIMAL_STRING);
	CHECK_INT(c.conv.time, CONVERT_TIME_ADAPTIVE_MICRO);
	CHECK_INT(c.conv.interval, CONVERT_INTERVAL_STRING);
	CHECK_INT(c.conv.hstore, CONVERT_HSTORE_MAP);
	CHECK_STR(c.unavailable_placeholder, "");
	CHECK_INT(c.status_interval_ms, 2500);
	CHECK_INT(c.sink, CONFIG_SINK_FILE);
	CHECK_STR(c.sink_file_path, "/data/events.jsonl");
	CHECK_STR(c.offset_file, "/data/walcap.offsets");
	CHECK_INT(c.backoff_initial_ms, 100);
	CHECK_INT(c.backoff_max_ms, 3600000);
	CHECK_INT(c.max_attempts, 7);
	CHECK_INT(c.log_level, LOGL_DEBUG);

	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++)
		expect_set_value(&c, &enums[i]);
	SET("database.port", "1");
	CHECK_INT(c.port, 1);
	SET("database.port", "65535");
	CHECK_INT(c.port, 65535);
	SET("status.update.interval.ms", "1");
	CHECK_INT(c.status_interval_ms, 1);
	SET("status.update.interval.ms", "3600000");
	CHECK_INT(c.status_interval_ms, 3600000);
	SET("connect.max.attempts", "0");
	CHECK_INT(c.max_attempts, 0);
	SET("connect.max.attempts", "2147483647");
	CHECK_INT(c.max_attempts, 2147483647);
	SET("slot.name", "abcdefghijklmnopqrstuvwxyz_0123456789_abcdefghijklmnopqrstuvwxy");
	CHECK_INT((int) strlen(c.slot_name), 63);

	/* an empty value unsets an optional key */
	SET("database.sslrootcert", "");
	CHECK(c.sslrootcert == NULL);
	SET("database.password", "");
	CHECK(c.password == NULL);
	SET("table.include.list", " , ");
	CHECK_INT(c.table_include.n, 0);
	SET("topic.prefix", "");
	CHECK(c.topic_prefix == NULL);
	CHECK_INT(c.topic_prefix_set, 0);
#undef SET
	config_free(&c);
}

static void
test_bad_values(void)
{
	char		want[1024];
	char		why[256];
	regex_t		re;
	int			rc;

	static const struct set_error_case bad[] = {
		{"database.port", "abc",
			"database.port: \"abc\" is not a port number (1-65535)"},
		{"database.port", "0",
			"database.port: \"0\" is not a port number (1-65535)"},
		{"database.port", "65536",
			"database.port: \"65536\" is not a port number (1-65535)"},
		{"database.port", "",
			"database.port: \"\" is not a port number (1-65535)"},
		{"database.port", "54 32",
			"database.port: \"54 32\" is not a port number (1-65535)"},
		{"database.port", "+5432",
			"database.port: \"+5432\" is not a port number (1-65535)"},
		{"binary.handling.mode", "b64",
			"binary.handling.mode: \"b64\" is not one of bytes, base64, base64-url-safe, hex"},
		{"binary.handling.mode", "BYTES",
			"binary.handling.mode: \"BYTES\" is not one of bytes, base64, base64-url-safe, hex"},
		{"decimal.handling.mode", "float",
			"decimal.handling.mode: \"float\" is not one of precise, double, string"},
		{"time.precision.mode", "isostring",
			"time.precision.mode: \"isostring\" is not one of adaptive, adaptive_time_microseconds, connect"},
		{"interval.handling.mode", "iso",
			"interval.handling.mode: \"iso\" is not one of numeric, string"},
		{"hstore.handling.mode", "text",
			"hstore.handling.mode: \"text\" is not one of json, map"},
		{"database.sslmode", "on",
			"database.sslmode: \"on\" is not one of disable, allow, prefer, require, verify-ca, verify-full"},
		{"sink.type", "carrier-pigeon",
			"sink.type: \"carrier-pigeon\" is not one of stdout, file, kafka, http, redis"},
		{"tombstones.on.delete", "yes",
			"tombstones.on.delete: \"yes\" is not one of false, true"},
		{"kafka.", "x",
			"kafka.: a librdkafka property name must follow \"kafka.\""},
		{"log.level", "trace",
			"log.level: \"trace\" is not one of error, warning, info, debug"},
		{"slot.name", "Streamkap-Slot",
			"slot.name: \"Streamkap-Slot\" is not a valid replication slot name (1-63 characters of a-z, 0-9 and _)"},
		{"slot.name", "",
			"slot.name: \"\" is not a valid replication slot name (1-63 characters of a-z, 0-9 and _)"},
		{"slot.name", "abcdefghijklmnopqrstuvwxyz_0123456789_abcdefghijklmnopqrstuvwxyz",
			"slot.name: \"abcdefghijklmnopqrstuvwxyz_0123456789_abcdefghijklmnopqrstuvwxyz\" is not a valid replication slot name (1-63 characters of a-z, 0-9 and _)"},
		{"publication.name", "",
			"publication.name: \"\" is not a name of 1 to 63 bytes"},
		{"signal.schema", "s234567890123456789012345678901234567890123456789012345678901234",
			"signal.schema: \"s234567890123456789012345678901234567890123456789012345678901234\" is not a name of 1 to 63 bytes"},
		{"database.hostname", "",
			"database.hostname: must not be empty"},
		{"offset.storage.file.filename", "",
			"offset.storage.file.filename: must not be empty"},
		{"status.update.interval.ms", "0",
			"status.update.interval.ms: \"0\" is not an integer from 1 to 3600000"},
		{"status.update.interval.ms", "3600001",
			"status.update.interval.ms: \"3600001\" is not an integer from 1 to 3600000"},
		{"status.update.interval.ms", "10s",
			"status.update.interval.ms: \"10s\" is not an integer from 1 to 3600000"},
		{"status.update.interval.ms", "99999999999999999999",
			"status.update.interval.ms: \"99999999999999999999\" is not an integer from 1 to 3600000"},
		{"status.update.interval.ms", "-5",
			"status.update.interval.ms: \"-5\" is not an integer from 1 to 3600000"},
		{"connect.backoff.initial.ms", "0",
			"connect.backoff.initial.ms: \"0\" is not an integer from 1 to 3600000"},
		{"connect.backoff.max.ms", "1h",
			"connect.backoff.max.ms: \"1h\" is not an integer from 1 to 3600000"},
		{"connect.max.attempts", "-1",
			"connect.max.attempts: \"-1\" is not an integer from 0 to 2147483647"},
		{"connect.max.attempts", "2147483648",
			"connect.max.attempts: \"2147483648\" is not an integer from 0 to 2147483647"},
		{"databse.port", "5432",
			"unknown key \"databse.port\""},
		{"Database.Port", "5432",
			"unknown key \"Database.Port\""},
		{"signal.data.collection", "streamkap.my_signal",
			"signal.data.collection: cannot be set: the signal table must be named streamkap_signal and is always <signal.schema>.streamkap_signal; set signal.schema to choose its schema"},
		{"signal.table", "my_signal",
			"signal.table: cannot be set: the signal table must be named streamkap_signal and is always <signal.schema>.streamkap_signal; set signal.schema to choose its schema"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_set_error(bad[i].key, bad[i].value, bad[i].want);

	/* a pattern regcomp rejects: the message names key, pattern and why */
	rc = regcomp(&re, "public.(", REG_EXTENDED | REG_ICASE);
	CHECK(rc != 0);
	regerror(rc, &re, why, sizeof(why));
	snprintf(want, sizeof(want),
			 "table.include.list: \"public.(\" is not a valid POSIX extended regular expression: %s",
			 why);
	expect_set_error("table.include.list", "public\\.ok, public.(", want);
	snprintf(want, sizeof(want),
			 "schema.exclude.list: \"public.(\" is not a valid POSIX extended regular expression: %s",
			 why);
	expect_set_error("schema.exclude.list", "public.(", want);

	/* a failed set leaves the previous value in place */
	{
		struct config c;

		config_init(&c);
		CHECK_INT(config_set(&c, "table.include.list", "a\\.b", errbuf, sizeof(errbuf)), 0);
		CHECK_INT(config_set(&c, "table.include.list", "a.(", errbuf, sizeof(errbuf)), -1);
		CHECK_INT(c.table_include.n, 1);
		CHECK_INT(config_set(&c, "database.port", "x", errbuf, sizeof(errbuf)), -1);
		CHECK_INT(c.port, 5432);
		config_free(&c);
	}
}

static void
test_file_syntax(void)
{
	static const struct text_error_case file_errors[] = {
		{"# walcap.conf\n\ndatabse.port=5432\n",
			"3: unknown key \"databse.port\""},
		{"database.port=5432\ndatabase.port = abc\n",
			"2: database.port: \"abc\" is not a port number (1-65535)"},
		{"\n\n\n\nbinary.handling.mode=b64\n",
			"5: binary.handling.mode: \"b64\" is not one of bytes, base64, base64-url-safe, hex"},
		{"database.password hunter2\n",
			"1: expected key=value"},
		{"database.password " SECRET "\n",
			"1: expected key=value with a key of letters, digits, '.', '_' and '-'"},
		{"database.password: " SECRET "=x\n",
			"1: expected key=value with a key of letters, digits, '.', '_' and '-'"},
		{"database.password=" SECRET "\n = value\n",
			"2: expected key=value, found no key before '='"},
		{"database.password=" SECRET "\nsignal.data.collection=streamkap.sig\n",
			"2: signal.data.collection: cannot be set: the signal table must be named streamkap_signal and is always <signal.schema>.streamkap_signal; set signal.schema to choose its schema"},
	};
	struct config c;
	char		path[64];

	write_tmp(path,
			  "\xEF\xBB\xBF# walcap.conf\n"
			  "! also a comment\n"
			  "\n"
			  "   \t\n"
			  "  database.hostname   =   db.example.com  \n"
			  "database.port=6543\r\n"
			  "database.user = streamkap_user\n"
			  "   # indented comment = not a key\n"
			  "database.dbname=shop\n"
			  "unavailable.value.placeholder = a#b=c ! d\n"
			  "topic.prefix=\n"
			  "slot.name=first\n"
			  "slot.name=second\n"
			  "database.password=" SECRET "\n");
	config_init(&c);
	CHECK_INT(config_load_file(&c, path, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.hostname, "db.example.com");
	CHECK_INT(c.port, 6543);
	CHECK_STR(c.user, "streamkap_user");
	CHECK_STR(c.dbname, "shop");
	CHECK_STR(c.unavailable_placeholder, "a#b=c ! d");
	CHECK(c.topic_prefix == NULL);
	CHECK_STR(c.slot_name, "second");
	CHECK_STR(c.password, SECRET);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.topic_prefix, "shop");
	config_free(&c);
	unlink(path);

	/* an empty file is fine; a missing one names path and errno */
	write_tmp(path, "");
	config_init(&c);
	CHECK_INT(config_load_file(&c, path, errbuf, sizeof(errbuf)), 0);
	config_free(&c);
	unlink(path);

	config_init(&c);
	CHECK_INT(config_load_file(&c, "/nonexistent/walcap.conf", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: cannot open \"/nonexistent/walcap.conf\": No such file or directory");
	config_free(&c);

	for (size_t i = 0; i < sizeof(file_errors) / sizeof(file_errors[0]); i++)
		expect_file_error(file_errors[i].text, file_errors[i].rest);
}

static void
test_set_arg(void)
{
	struct config c;
	char		path[64];

	write_tmp(path, "database.port=5433\ndatabase.user=file_user\n");
	config_init(&c);
	CHECK_INT(config_set_arg(&c, "database.port=5434", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.port, 5434);
	/* command-line order: the file after the --set wins, then a later --set */
	CHECK_INT(config_load_file(&c, path, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.port, 5433);
	CHECK_INT(config_set_arg(&c, "database.port=6000", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.port, 6000);
	CHECK_STR(c.user, "file_user");
	CHECK_INT(config_set_arg(&c, " database.user = cli_user ", errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.user, "cli_user");
	/* the value may contain '=' */
	CHECK_INT(config_set_arg(&c, "unavailable.value.placeholder=a=b==c", errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.unavailable_placeholder, "a=b==c");
	CHECK_INT(config_set_arg(&c, "table.include.list=public\\.t=1", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.table_include.n, 1);

	CHECK_INT(config_set_arg(&c, "database.port", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: expected key=value");
	CHECK_INT(config_set_arg(&c, "=5", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: expected key=value, found no key before '='");
	CHECK_INT(config_set_arg(&c, "databse.port=5", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: unknown key \"databse.port\"");
	CHECK_INT(config_set_arg(&c, "database.port=x", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: database.port: \"x\" is not a port number (1-65535)");
	CHECK_INT(config_set_arg(&c, "database.password:hunter2", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: expected key=value");
	CHECK_INT(config_set_arg(&c, "database.password:" SECRET, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "config: --set: expected key=value with a key of letters, digits, '.', '_' and '-'");
	CHECK_INT(config_set_arg(&c, "database.password " SECRET "=1", errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, SECRET) == NULL);
	CHECK(strstr(errbuf, "hunter2") == NULL);
	config_free(&c);
	unlink(path);
}

static void
test_required(void)
{
	struct config c;

	config_init(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "database.user is required (the PostgreSQL user to connect as)");
	config_free(&c);

	config_init(&c);
	CHECK_INT(config_set(&c, "database.user", "u", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "database.dbname is required (the database to capture changes from)");
	config_free(&c);

	/* an empty value unsets it again */
	init_base(&c);
	CHECK_INT(config_set(&c, "database.user", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "database.user is required (the PostgreSQL user to connect as)");
	config_free(&c);

	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "file", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.file.path is required when sink.type is file");
	CHECK_INT(config_set(&c, "sink.file.path", "/tmp/events", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	config_free(&c);

	init_base(&c);
	CHECK_INT(config_set(&c, "connect.backoff.max.ms", "100", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "connect.backoff.max.ms: 100 is less than connect.backoff.initial.ms (500)");
	CHECK_INT(config_set(&c, "connect.backoff.initial.ms", "100", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	config_free(&c);

	/* an explicit topic.prefix is kept */
	init_base(&c);
	CHECK_INT(config_set(&c, "topic.prefix", "prod", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.topic_prefix, "prod");
	config_free(&c);
}

/* kafka.* keys are kept, without the prefix, for librdkafka. */
static void
test_kafka(void)
{
	static const struct set_error_case bad[] = {
		{"message.key.columns", "public.orders",
			"message.key.columns: \"public.orders\" is not <schema.table regex>:<column>[,<column>...]"},
		{"message.key.columns", "public.orders:",
			"message.key.columns: \"public.orders:\" is not <schema.table regex>:<column>[,<column>...]"},
		{"message.key.columns", "(x:a",
			"message.key.columns: \"(x\" is not a valid POSIX extended regular expression: Unmatched ( or \\("},
		{"heartbeat.interval.ms", "-1",
			"heartbeat.interval.ms: \"-1\" is not an integer from 0 to 86400000"},
	};
	struct config c;

	init_base(&c);
	CHECK_INT(c.tombstones, 1);
	CHECK_INT((int) c.kafka_flush_ms, 10000);
	CHECK_INT(c.nkafka, 0);
	CHECK_INT(config_set(&c, "sink.type", "kafka", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.sink, CONFIG_SINK_KAFKA);
	CHECK_INT(config_set(&c, "kafka.bootstrap.servers", "a:9092", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.linger.ms", "20", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.bootstrap.servers", "b:9092,c:9092", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "tombstones.on.delete", "false", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.kafka.flush.timeout.ms", "0", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 2);
	CHECK_STR(c.kafka_keys[0], "bootstrap.servers");
	CHECK_STR(c.kafka_values[0], "b:9092,c:9092");
	CHECK_STR(c.kafka_keys[1], "linger.ms");
	CHECK_STR(c.kafka_values[1], "20");
	CHECK_INT(c.tombstones, 0);
	CHECK_INT((int) c.kafka_flush_ms, 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	config_free(&c);
	CHECK_INT(c.nkafka, 0);

	/* heartbeats: the action needs an interval */
	init_base(&c);
	CHECK_INT((int) c.heartbeat_ms, 0);
	CHECK_STR(c.heartbeat_prefix, "__debezium-heartbeat");
	CHECK_INT(config_set(&c, "heartbeat.action.query", "UPDATE hb SET ts = now()", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "heartbeat.interval.ms is 0 (off): set it to use heartbeat.action.query, heartbeat.logical.message or heartbeat.events");
	CHECK_INT(config_set(&c, "heartbeat.interval.ms", "5000", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "heartbeat.logical.message", "true", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "heartbeat.events", "true", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "topic.heartbeat.prefix", "hb", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT((int) c.heartbeat_ms, 5000);
	CHECK_STR(c.heartbeat_query, "UPDATE hb SET ts = now()");
	CHECK_INT(c.heartbeat_message, 1);
	CHECK_INT(c.heartbeat_events, 1);
	CHECK_STR(c.heartbeat_prefix, "hb");
	config_free(&c);
	/* message.key.columns */
	init_base(&c);
	CHECK_INT(config_set(&c, "message.key.columns", "public\\.orders:a, b; (.*)\\.items:c ;", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkey_rules, 2);
	{
		const struct config_key_rule *r = config_key_columns(&c, "public", "orders");

		CHECK(r == &c.key_rules[0]);
		CHECK_INT(r ? r->ncols : 0, 2);
		CHECK_STR(r ? r->cols[1] : "", "b");
		r = config_key_columns(&c, "sales", "ITEMS");
		CHECK(r == &c.key_rules[1]);
		CHECK_STR(r ? r->cols[0] : "", "c");
		CHECK(config_key_columns(&c, "public", "orders2") == NULL);
		CHECK(config_key_columns(&c, "xpublic", "orders") == NULL);
	}
	CHECK_INT(config_set(&c, "message.key.columns", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkey_rules, 0);
	config_free(&c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_set_error(bad[i].key, bad[i].value, bad[i].want);
}

/* The connection's timeouts and the slot guard: values and bounds. */
static void
test_slot_health(void)
{
	static const struct set_value_case good[] = {
		INT_CASE("status.confirm.idle", "false", confirm_idle, 0),
		INT_CASE("slot.failover", "true", slot_failover, 1),
		INT_CASE("slot.failover", "false", slot_failover, 0),
		INT_CASE("connect.timeout.ms", "2500", connect_timeout_ms, 2500),
		INT_CASE("connect.keepalive.idle.ms", "5000", keepalive_idle_ms, 5000),
		INT_CASE("connect.keepalive.interval.ms", "1000", keepalive_interval_ms, 1000),
		INT_CASE("connect.keepalive.count", "5", keepalive_count, 5),
		INT_CASE("connect.tcp.user.timeout.ms", "0", tcp_user_timeout_ms, 0),
		INT_CASE("connect.receive.timeout.ms", "0", receive_timeout_ms, 0),
		INT_CASE("wal.retained.warn.bytes", "9223372036854775807", wal_warn_bytes, INT64_MAX),
		INT_CASE("wal.retained.check.interval.ms", "100", wal_check_ms, 100),
	};

	static const struct set_error_case bounds[] = {
		{"status.confirm.idle", "no",
			"status.confirm.idle: \"no\" is not one of false, true"},
		{"slot.failover", "yes",
			"slot.failover: \"yes\" is not one of false, true"},
		{"connect.timeout.ms", "999",
			"connect.timeout.ms: \"999\" is not an integer from 1000 to 3600000"},
		{"connect.keepalive.idle.ms", "0",
			"connect.keepalive.idle.ms: \"0\" is not an integer from 1000 to 86400000"},
		{"connect.keepalive.count", "128",
			"connect.keepalive.count: \"128\" is not an integer from 1 to 127"},
		{"connect.tcp.user.timeout.ms", "-1",
			"connect.tcp.user.timeout.ms: \"-1\" is not an integer from 0 to 86400000"},
		{"connect.receive.timeout.ms", "1m",
			"connect.receive.timeout.ms: \"1m\" is not an integer from 0 to 86400000"},
		{"wal.retained.warn.bytes", "1GB",
			"wal.retained.warn.bytes: \"1GB\" is not an integer from 0 to 9223372036854775807"},
		{"wal.retained.check.interval.ms", "99",
			"wal.retained.check.interval.ms: \"99\" is not an integer from 100 to 86400000"},
	};
	struct config c;

	config_init(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_set_value(&c, &good[i]);
	config_free(&c);

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		expect_set_error(bounds[i].key, bounds[i].value, bounds[i].want);
}


static void
test_ssh_keys(void)
{
	struct config c;
	char		keyfile[64];
	char	   *out;

	/* defaults */
	init_base(&c);
	CHECK_INT(c.ssh_enabled, 0);
	CHECK_INT(c.ssh_port, 22);
	CHECK_INT(c.ssh_host_key_check, 1);
	CHECK_STR(c.ssh_known_hosts, "~/.ssh/known_hosts");
	CHECK(c.ssh_host == NULL && c.ssh_user == NULL && c.ssh_key_file == NULL);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	config_free(&c);

	/* enabled: host, user and key are required */
	init_base(&c);
	CHECK_INT(config_set(&c, "ssh.enabled", "true", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "ssh.host", "bastion", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "ssh.enabled is true: set ssh.host, ssh.user and ssh.private.key.file (the bastion, the user to log in as and its private key)");
	CHECK_INT(config_set(&c, "ssh.user", "ec2-user", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "ssh.private.key.file", "/k", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "ssh.port", "2222", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "ssh.port", "0", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "ssh.port: \"0\" is not a port number (1-65535)");
	CHECK_INT(config_set(&c, "ssh.host.key.check", "no", errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "ssh.host.key.check: \"no\" is not one of false, true");
	setenv("HOME", "/home/w", 1);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.ssh_port, 2222);
	CHECK_STR(c.ssh_known_hosts, "/home/w/.ssh/known_hosts");
	/* finishing again leaves the expanded path alone */
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.ssh_known_hosts, "/home/w/.ssh/known_hosts");

	/* a socket directory cannot be reached through a bastion */
	CHECK_INT(config_set(&c, "database.hostname", "/var/run/postgresql", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "ssh.enabled is true but database.hostname \"/var/run/postgresql\" is a Unix-domain socket directory: give the database's host name or address as the bastion sees it");
	config_free(&c);

	/* the passphrase: key, else file, else environment; from is recorded */
	write_tmp(keyfile, "pp-file" SECRET "\n");
	setenv(CONFIG_SSH_PASSPHRASE_ENV, "pp-env" SECRET, 1);
	init_base(&c);
	CHECK_INT(config_set(&c, "ssh.private.key.passphrase", "pp-key" SECRET, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "ssh.private.key.passphrase.file", keyfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.ssh_passphrase, "pp-key" SECRET);
	CHECK_STR(c.ssh_passphrase_from, "ssh.private.key.passphrase");
	config_free(&c);
	init_base(&c);
	CHECK_INT(config_set(&c, "ssh.private.key.passphrase.file", keyfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.ssh_passphrase, "pp-file" SECRET);
	CHECK_STR(c.ssh_passphrase_from, "ssh.private.key.passphrase.file");
	config_free(&c);
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.ssh_passphrase, "pp-env" SECRET);
	CHECK_STR(c.ssh_passphrase_from, CONFIG_SSH_PASSPHRASE_ENV);
	out = printed(&c);
	CHECK(strstr(out, "\nssh.private.key.passphrase = ******** (from WALCAP_SSH_PRIVATE_KEY_PASSPHRASE)\n") != NULL);
	CHECK(strstr(out, SECRET) == NULL);
	free(out);
	config_free(&c);
	unsetenv(CONFIG_SSH_PASSPHRASE_ENV);
	unlink(keyfile);
}

/* sink.redis.*: defaults, the address, what goes together, the password's sources. */
static void
test_redis_keys(void)
{
	static const struct set_error_case bad[] = {
		{"sink.redis.address", "localhost",
			"sink.redis.address: \"localhost\" is not an address; write host:port or [ipv6]:port (port 1-65535)"},
		{"sink.redis.address", "::1:6379",
			"sink.redis.address: \"::1:6379\" is not an address; write host:port or [ipv6]:port (port 1-65535)"},
		{"sink.redis.address", "h:0",
			"sink.redis.address: \"h:0\" is not an address; write host:port or [ipv6]:port (port 1-65535)"},
		{"sink.redis.message.format", "json",
			"sink.redis.message.format: \"json\" is not one of compact, extended"},
		{"sink.redis.batch.size", "0",
			"sink.redis.batch.size: \"0\" is not an integer from 1 to 1000000"},
		{"sink.redis.db.index", "-1",
			"sink.redis.db.index: \"-1\" is not an integer from 0 to 2147483647"},
		{"sink.redis.ssl.enabled", "yes",
			"sink.redis.ssl.enabled: \"yes\" is not one of false, true"},
		{"sink.redis.socket.timeout.ms", "1s",
			"sink.redis.socket.timeout.ms: \"1s\" is not an integer from 0 to 3600000"},
	};
	struct config c;
	char		pwfile[64];

	unsetenv(CONFIG_REDIS_PASSWORD_ENV);
	init_base(&c);
	CHECK(c.redis_address == NULL);
	CHECK_STR(c.redis_null_key, "default");
	CHECK_STR(c.redis_null_value, "default");
	CHECK_INT(c.redis_format, CONFIG_REDIS_COMPACT);
	CHECK_INT((int) c.redis_batch, 5000);
	CHECK_INT((int) c.redis_retry_initial_ms, 300);
	CHECK_INT((int) c.redis_retry_max_ms, 10000);
	CHECK_INT((int) c.redis_connect_ms, 2000);
	CHECK_INT((int) c.redis_socket_ms, 2000);
	CHECK_INT(c.redis_ssl, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		CHECK_INT(config_set(&c, bad[i].key, bad[i].value, errbuf, sizeof(errbuf)), -1);
		CHECK_STR(errbuf, bad[i].want);
	}
	/* the keys do not matter to another sink */
	CHECK_INT(config_set(&c, "sink.redis.user", "u", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);

	CHECK_INT(config_set(&c, "sink.type", "redis", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.sink, CONFIG_SINK_REDIS);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.redis.address is required when sink.type is redis (host:port of the Redis server)");
	CHECK_INT(config_set(&c, "sink.redis.address", "[::1]:6380", errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.redis_address, "[::1]:6380");
	CHECK_STR(c.redis_host, "::1");
	CHECK_INT(c.redis_port, 6380);
	CHECK_INT(config_set(&c, "sink.redis.address", "redis.example.com:6379", errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.redis_host, "redis.example.com");
	CHECK_INT(c.redis_port, 6379);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.redis.user is set without a password: set sink.redis.password, sink.redis.password.file or WALCAP_SINK_REDIS_PASSWORD (an ACL user logs in with both)");

	/* the password: the key, else its file, else the environment */
	setenv(CONFIG_REDIS_PASSWORD_ENV, "from-env", 1);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.redis_password, "from-env");
	CHECK_STR(c.redis_password_from, CONFIG_REDIS_PASSWORD_ENV);
	write_tmp(pwfile, SECRET "\n");
	CHECK_INT(config_set(&c, "sink.redis.password", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.redis.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.redis_password, SECRET);
	CHECK_STR(c.redis_password_from, "sink.redis.password.file");
	CHECK_INT(config_is_secret("sink.redis.password"), 1);
	CHECK_INT(config_is_secret("sink.redis.password.file"), 0);
	{
		char	   *out = NULL;
		size_t		len = 0;
		FILE	   *f = open_memstream(&out, &len);

		config_print(&c, f);
		fclose(f);
		CHECK(strstr(out, "sink.redis.password = ******** (from sink.redis.password.file)\n") != NULL);
		CHECK(strstr(out, "sink.redis.address = redis.example.com:6379\n") != NULL);
		CHECK(strstr(out, SECRET) == NULL);
		free(out);
	}
	unsetenv(CONFIG_REDIS_PASSWORD_ENV);
	unlink(pwfile);

	/* TLS files need TLS; a client certificate needs its key */
	CHECK_INT(config_set(&c, "sink.redis.ssl.certificate.location", "/c.pem", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.redis.ssl.certificate.location is set but sink.redis.ssl.enabled is false: set sink.redis.ssl.enabled=true, or remove the key");
	CHECK_INT(config_set(&c, "sink.redis.ssl.enabled", "true", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.redis.ssl.certificate.location is set without sink.redis.ssl.key.location: a client certificate needs both");
	CHECK_INT(config_set(&c, "sink.redis.ssl.key.location", "/k.pem", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);

	/* retries: the longest pause is not below the first */
	CHECK_INT(config_set(&c, "sink.redis.retry.initial.delay.ms", "5000", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.redis.retry.max.delay.ms", "1000", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.redis.retry.max.delay.ms: 1000 is less than sink.redis.retry.initial.delay.ms (5000)");

	/* empty is a value for the null key and value; an empty address unsets it */
	CHECK_INT(config_set(&c, "sink.redis.null.key", "", errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.redis_null_key, "");
	CHECK_INT(config_set(&c, "sink.redis.message.format", "extended", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.redis_format, CONFIG_REDIS_EXTENDED);
	CHECK_INT(config_set(&c, "sink.redis.address", "", errbuf, sizeof(errbuf)), 0);
	CHECK(c.redis_address == NULL && c.redis_host == NULL);
	config_free(&c);
}

int
main(void)
{
	unsetenv(CONFIG_PASSWORD_ENV);
	test_defaults();
	test_every_key();
	test_bad_values();
	test_file_syntax();
	test_set_arg();
	test_required();
	test_ssh_keys();
	test_kafka();
	test_redis_keys();
	test_slot_health();
	return TEST_REPORT("test_config");
}

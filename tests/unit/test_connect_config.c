/*
 * test_connect_config.c — unit tests of src/connect_config.c: the
 * key/value list, connect_translate() on Debezium's documentation
 * example and on every rule of docs/server.md ("Connector configuration
 * over the REST API"), and connect_validate() on good and bad
 * configurations (per-key errors, renamed keys, masked secrets,
 * config_finish()'s message attributed to a key or to none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_config.h"
#include "testhelp.h"

#define DBZ CONNECT_CLASS_DEBEZIUM
#define JSONCONV "org.apache.kafka.connect.json.JsonConverter"

/* pairs: key, value, key, value, ..., NULL */
static void
build(struct connect_config *c, const char *const *pairs)
{
	connect_config_init(c);
	for (int i = 0; pairs[i] != NULL; i += 2)
		CHECK_INT(connect_config_put(c, pairs[i], pairs[i + 1]), 0);
}

/* c as "k=v\n" lines, into out[outlen]. */
static void
dump(const struct connect_config *c, char *out, size_t outlen)
{
	size_t		used = 0;

	out[0] = '\0';
	for (int i = 0; i < c->n && used < outlen; i++)
		used += (size_t) snprintf(out + used, outlen - used, "%s=%s\n",
								  c->kv[i].key, c->kv[i].value);
}

/* Translating pairs (connector "pg") succeeds with exactly want. */
static void
expect_translation(const char *const *pairs, const char *want)
{
	struct connect_config in, out;
	char		err[512] = "";
	char		got[4096];

	build(&in, pairs);
	connect_config_init(&out);
	CHECK_INT(connect_translate("pg", &in, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	dump(&out, got, sizeof(got));
	CHECK_STR(got, want);
	connect_config_free(&in);
	connect_config_free(&out);
}

/* Translating pairs (connector "pg") fails with exactly want. */
static void
expect_refusal(const char *const *pairs, const char *want)
{
	struct connect_config in, out;
	char		err[512] = "";

	build(&in, pairs);
	connect_config_init(&out);
	CHECK_INT(connect_translate("pg", &in, &out, err, sizeof(err)), -1);
	CHECK_STR(err, want);
	connect_config_free(&in);
	connect_config_free(&out);
}

/* One key beside connector.class: translated to want, or refused with it. */
struct key_case
{
	const char *key;
	const char *value;
	int			ok;
	const char *want;			/* ok: the translation; else the message */
};

static void
run_key_cases(const struct key_case *cases, int n)
{
	for (int i = 0; i < n; i++)
	{
		const char *pairs[] = {"connector.class", DBZ, cases[i].key, cases[i].value, NULL};

		if (cases[i].ok)
			expect_translation(pairs, cases[i].want);
		else
			expect_refusal(pairs, cases[i].want);
	}
}

static void
test_kv(void)
{
	struct connect_config c;

	connect_config_init(&c);
	CHECK(connect_config_get(&c, "a") == NULL);
	CHECK_INT(connect_config_put(&c, "a", "1"), 0);
	CHECK_INT(connect_config_put(&c, "b", "2"), 0);
	CHECK_INT(connect_config_put(&c, "a", "3"), 0);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.kv[0].key, "a");
	CHECK_STR(connect_config_get(&c, "a"), "3");
	CHECK_STR(connect_config_get(&c, "b"), "2");
	CHECK_INT(connect_config_put(&c, "c", NULL), -1);
	for (int i = 0; i < 40; i++)
	{
		char		k[16];

		snprintf(k, sizeof(k), "k%d", i);
		CHECK_INT(connect_config_put(&c, k, k), 0);
	}
	CHECK_INT(c.n, 42);
	CHECK_STR(connect_config_get(&c, "k39"), "k39");
	connect_config_free(&c);
	CHECK_INT(c.n, 0);
	CHECK(c.kv == NULL);
}

/* Debezium's documentation example, unchanged. */
static const char *const debezium_example[] = {
	"connector.class", DBZ,
	"tasks.max", "1",
	"plugin.name", "pgoutput",
	"database.hostname", "localhost",
	"database.port", "5432",
	"database.user", "postgres",
	"database.password", "postgres",
	"database.dbname", "postgres",
	"topic.prefix", "fulfillment",
	"table.include.list", "public.inventory",
	"key.converter", JSONCONV,
	"value.converter", JSONCONV,
	"key.converter.schemas.enable", "false",
	"value.converter.schemas.enable", "false",
	NULL
};

static void
test_debezium_example(void)
{
	expect_translation(debezium_example,
					   "database.hostname=localhost\n"
					   "database.port=5432\n"
					   "database.user=postgres\n"
					   "database.password=postgres\n"
					   "database.dbname=postgres\n"
					   "topic.prefix=fulfillment\n"
					   "table.include.list=public.inventory\n"
					   "key.converter.schemas.enable=false\n"
					   "value.converter.schemas.enable=false\n");
}

static void
test_framework(void)
{
	static const struct key_case cases[] = {
		{"name", "pg", 1, ""},
		{"name", "other", 0,
		"name: \"other\" does not match the connector's name \"pg\""},
		{"tasks.max", "1", 1, ""},
		{"tasks.max", "4", 0,
			"tasks.max: \"4\" is not supported (only \"1\"): a replication slot is read "
		"by one process, so a connector runs one task"},
		{"tasks.max.enforce", "false", 1, ""},
		{"tasks.max.enforce", "no", 0, "tasks.max.enforce: \"no\" is not one of false, true"},
		{"key.converter", JSONCONV, 1, ""},
		{"key.converter", "io.confluent.connect.avro.AvroConverter", 0,
			"key.converter: \"io.confluent.connect.avro.AvroConverter\" is not supported "
			"(only \"" JSONCONV "\"): walcap writes JSON; key.converter.schemas.enable "
		"says whether with schemas"},
		{"value.converter", "org.apache.kafka.connect.storage.StringConverter", 0,
			"value.converter: \"org.apache.kafka.connect.storage.StringConverter\" is not "
			"supported (only \"" JSONCONV "\"): walcap writes JSON; "
		"value.converter.schemas.enable says whether with schemas"},
		{"key.converter.schemas.enable", "true", 1, "key.converter.schemas.enable=true\n"},
		{"value.converter.schemas.enable", "true", 1, "value.converter.schemas.enable=true\n"},
		{"header.converter", "org.apache.kafka.connect.storage.SimpleHeaderConverter", 1, ""},
		{"header.converter", JSONCONV, 0,
			"header.converter: \"" JSONCONV "\" is not supported (only "
			"\"org.apache.kafka.connect.storage.SimpleHeaderConverter\"): walcap's messages "
		"carry no headers to convert"},
		{"config.action.reload", "restart", 1, ""},
		{"config.action.reload", "none", 1, ""},
		{"config.action.reload", "later", 0,
			"config.action.reload: \"later\" is not supported (only \"restart\" or \"none\"): "
		"walcap restarts a connector when its configuration is replaced"},
		{"errors.tolerance", "none", 1, ""},
		{"errors.tolerance", "all", 0,
			"errors.tolerance: \"all\" is not supported (only \"none\"): walcap stops at an "
		"error it cannot retry and never skips an event"},
		{"errors.log.enable", "true", 1, ""},
		{"errors.log.include.messages", "false", 1, ""},
		{"errors.log.enable", "yes", 0, "errors.log.enable: \"yes\" is not one of false, true"},
		{"errors.retry.timeout", "-1", 1, ""},
		{"errors.retry.delay.max.ms", "60000", 1, ""},
		{"errors.retry.timeout", "10s", 0, "errors.retry.timeout: \"10s\" is not an integer"},
		{"errors.retry.delay.max.ms", "-", 0, "errors.retry.delay.max.ms: \"-\" is not an integer"},
		{"transforms", "", 1, "transforms=\n"},
		{"transforms", "unwrap", 1, "transforms=unwrap\n"},
		{"predicates", "", 1, ""},
		{"predicates", "isTombstone", 0,
			"predicates: not supported: predicates are not supported yet; remove predicates "
		"and the predicates.* keys"},
		{"predicates.isTombstone.type", "x", 1, ""},
		{"exactly.once.support", "requested", 1, ""},
		{"exactly.once.support", "required", 0,
			"exactly.once.support: \"required\" is not supported (only \"requested\"): walcap "
		"delivers at least once (an event is sent again until Kafka acknowledges it)"},
		{"transaction.boundary", "poll", 1, ""},
		{"transaction.boundary", "connector", 0,
			"transaction.boundary: \"connector\" is not supported (only \"poll\"): walcap does "
		"not write Kafka transactions"},
		{"transaction.boundary.interval.ms", "1000", 1, ""},
		{"offsets.storage.topic", "pg-offsets", 0,
			"offsets.storage.topic: not supported: walcap keeps a connector's offsets in the "
		"server's state directory; remove the key"},
		{"producer.override.compression.type", "lz4", 1, "kafka.compression.type=lz4\n"},
		{"topic.creation.default.replication.factor", "1", 0,
			"topic.creation.default.replication.factor: not supported: walcap does not create "
			"topics; create them beforehand or let the brokers create them "
		"(auto.create.topics.enable)"},
		{"topic.creation.groups", "", 0,
			"topic.creation.groups: not supported: walcap does not create topics; create them "
		"beforehand or let the brokers create them (auto.create.topics.enable)"},
	};

	run_key_cases(cases, (int) (sizeof(cases) / sizeof(cases[0])));
}

static void
test_connector_class(void)
{
	const char *missing[] = {"database.dbname", "shop", NULL};
	const char *walcap[] = {"connector.class", CONNECT_CLASS_WALCAP, "database.dbname", "shop", NULL};
	const char *other[] = {"connector.class", "io.confluent.connect.jdbc.JdbcSourceConnector", NULL};
	const char *alias[] = {"connector.class", "PostgresConnector", NULL};

	expect_refusal(missing,
				   "connector.class is required: " DBZ " (or io.walcap.PostgresConnector)");
	expect_translation(walcap, "database.dbname=shop\n");
	expect_refusal(other,
				   "connector.class: \"io.confluent.connect.jdbc.JdbcSourceConnector\" is not "
				   "supported: walcap is " DBZ " (or io.walcap.PostgresConnector)");
	expect_refusal(alias,
				   "connector.class: \"PostgresConnector\" is not supported: walcap is " DBZ
				   " (or io.walcap.PostgresConnector)");
}

static void
test_debezium_keys(void)
{
	static const struct key_case cases[] = {
		{"plugin.name", "pgoutput", 1, ""},
		{"plugin.name", "decoderbufs", 0,
			"plugin.name: \"decoderbufs\" is not supported (only \"pgoutput\"): walcap decodes "
		"pgoutput, PostgreSQL's built-in logical decoding plugin"},
		{"database.server.name", "shop", 1, "topic.prefix=shop\n"},
		{"heartbeat.topics.prefix", "hb", 1, "topic.heartbeat.prefix=hb\n"},
		{"table.whitelist", "public.a", 1, "table.include.list=public.a\n"},
		{"table.blacklist", "public.a", 1, "table.exclude.list=public.a\n"},
		{"schema.whitelist", "public", 1, "schema.include.list=public\n"},
		{"schema.blacklist", "public", 1, "schema.exclude.list=public\n"},
		{"signal.data.collection", "ops.streamkap_signal", 1, "signal.schema=ops\n"},
		{"signal.data.collection", "", 1, ""},
		{"signal.data.collection", "public.debezium_signal", 0,
			"signal.data.collection: \"public.debezium_signal\" is not supported: walcap's "
			"signal table is always <signal.schema>.streamkap_signal; name "
		"<schema>.streamkap_signal or set signal.schema"},
		{"signal.data.collection", "streamkap_signal", 0,
			"signal.data.collection: \"streamkap_signal\" is not supported: walcap's signal "
			"table is always <signal.schema>.streamkap_signal; name <schema>.streamkap_signal "
		"or set signal.schema"},
		{"signal.data.collection", ".streamkap_signal", 0,
			"signal.data.collection: \".streamkap_signal\" is not supported: walcap's signal "
			"table is always <signal.schema>.streamkap_signal; name <schema>.streamkap_signal "
		"or set signal.schema"},
		{"signal.enabled.channels", "source", 1, ""},
		{"signal.enabled.channels", "source,kafka", 0,
			"signal.enabled.channels: \"source,kafka\" is not supported (only \"source\"): "
		"walcap reads signals from its signal table only"},
		{"snapshot.mode", "never", 1, "snapshot.mode=no_data\n"},
		{"snapshot.mode", "initial", 1, "snapshot.mode=initial\n"},
		{"publication.autocreate.mode", "disabled", 1, ""},
		{"publication.autocreate.mode", "all_tables", 0,
			"publication.autocreate.mode: \"all_tables\" is not supported (only \"disabled\"): "
		"walcap never creates or changes the publication; create it with walcap setup --apply"},
		{"publication.autocreate.mode", "filtered", 0,
			"publication.autocreate.mode: \"filtered\" is not supported (only \"disabled\"): "
		"walcap never creates or changes the publication; create it with walcap setup --apply"},
		{"slot.drop.on.stop", "false", 1, ""},
		{"slot.drop.on.stop", "true", 0,
			"slot.drop.on.stop: \"true\" is not supported (only \"false\"): walcap keeps its "
		"slot; drop it with pg_drop_replication_slot() when it is no longer needed"},
		{"snapshot.max.threads", "1", 1, "snapshot.max.threads=1\n"},
		{"snapshot.max.threads", "4", 1, "snapshot.max.threads=4\n"},
		{"provide.transaction.metadata", "false", 1, "provide.transaction.metadata=false\n"},
		{"provide.transaction.metadata", "true", 1, "provide.transaction.metadata=true\n"},
		{"include.unknown.datatypes", "false", 0,
			"include.unknown.datatypes: not supported: walcap writes a column of a type it "
		"does not know as its text; remove the key"},
		{"skipped.operations", "none", 1, "skipped.operations=none\n"},
		{"skipped.operations", "t", 1, "skipped.operations=t\n"},
		{"event.processing.failure.handling.mode", "fail", 1, ""},
		{"event.processing.failure.handling.mode", "warn", 0,
			"event.processing.failure.handling.mode: \"warn\" is not supported (only "
		"\"fail\"): walcap stops at an event it cannot process rather than skip it"},
		{"flush.lsn.source", "true", 1, ""},
		{"flush.lsn.source", "false", 0,
			"flush.lsn.source: \"false\" is not supported (only \"true\"): walcap always "
		"confirms what it delivered to the slot"},
		{"database.tcpKeepAlive", "true", 1, ""},
		{"database.tcpKeepAlive", "false", 0,
			"database.tcpKeepAlive: \"false\" is not supported (only \"true\"): walcap always "
		"uses TCP keepalives (connect.keepalive.*)"},
		{"topic.delimiter", ".", 1, ""},
		{"topic.delimiter", "_", 0,
			"topic.delimiter: \"_\" is not supported (only \".\"): walcap's topics are "
		"<topic.prefix>.<schema>.<table>"},
		{"slot.stream.params", "", 1, ""},
		{"slot.stream.params", "add-tables=public.a", 0,
		"slot.stream.params: not supported: walcap sets pgoutput's parameters itself"},
		{"converters", "", 1, ""},
		{"converters", "boolean", 0,
		"converters: not supported: custom value converters are not supported"},
		{"column.include.list", "", 1, "column.include.list=\n"},
		{"column.include.list", "public.a.id", 1, "column.include.list=public.a.id\n"},
		{"column.exclude.list", "public.a.secret", 1, "column.exclude.list=public.a.secret\n"},
		{"column.propagate.source.type", ".*", 0,
			"column.propagate.source.type: not supported: walcap writes no "
		"__debezium.source.column.* schema parameters"},
		{"datatype.propagate.source.type", "", 1, ""},
		{"datatype.propagate.source.type", ".+\\.NUMERIC", 0,
			"datatype.propagate.source.type: not supported: walcap writes no "
		"__debezium.source.column.* schema parameters"},
		{"column.mask.with.12.chars", "public.a.card", 1, "column.mask.with.12.chars=public.a.card\n"},
		{"column.truncate.to.20.chars", "public.a.note", 1, "column.truncate.to.20.chars=public.a.note\n"},

		{"max.batch.size", "2048", 1, ""},
		{"max.queue.size", "8192", 1, ""},
		{"max.queue.size.in.bytes", "0", 1, ""},
		{"poll.interval.ms", "500", 1, ""},
		{"poll.interval.ms", "0.5", 0, "poll.interval.ms: \"0.5\" is not an integer"},
		{"snapshot.fetch.size", "10240", 1, ""},
		{"query.fetch.size", "0", 1, ""},
		{"retriable.restart.connector.wait.ms", "10000", 0,
			"retriable.restart.connector.wait.ms: not supported: use connect.backoff.initial.ms "
		"and connect.backoff.max.ms"},
		{"errors.max.retries", "-1", 0,
		"errors.max.retries: not supported: use connect.max.attempts"},
		{"slot.max.retries", "6", 0, "slot.max.retries: not supported: use connect.max.attempts"},
		{"slot.retry.delay.ms", "10000", 0,
			"slot.retry.delay.ms: not supported: use connect.backoff.initial.ms and "
		"connect.backoff.max.ms"},
		{"database.initial.statements", "SET x=1", 0,
			"database.initial.statements: not supported: walcap runs no statements of yours "
		"when it connects; remove the key"},
		/* walcap's own keys and unknown keys pass (config_set() judges them) */
		{"slot.name", "s1", 1, "slot.name=s1\n"},
		{"sink.type", "kafka", 1, "sink.type=kafka\n"},
		{"kafka.bootstrap.servers", "b:9092", 1, "kafka.bootstrap.servers=b:9092\n"},
		{"no.such.key", "x", 1, "no.such.key=x\n"},
		{"database.password", "", 1, "database.password=\n"},
	};

	run_key_cases(cases, (int) (sizeof(cases) / sizeof(cases[0])));
}

/* A renamed key's new name, when given too, wins; both orders. */
static void
test_rename_precedence(void)
{
	const char *a[] = {"connector.class", DBZ, "database.server.name", "old",
	"topic.prefix", "new", NULL};
	const char *b[] = {"connector.class", DBZ, "topic.prefix", "new",
	"database.server.name", "old", NULL};
	const char *c[] = {"connector.class", DBZ, "producer.override.acks", "1",
	"kafka.acks", "all", NULL};
	const char *d[] = {"connector.class", DBZ, "signal.data.collection", "ops.streamkap_signal",
	"signal.schema", "ops", NULL};
	const char *e[] = {"connector.class", DBZ, "signal.data.collection", "ops.streamkap_signal",
	"signal.schema", "other", NULL};

	expect_translation(a, "topic.prefix=new\n");
	expect_translation(b, "topic.prefix=new\n");
	expect_translation(c, "kafka.acks=all\n");
	expect_translation(d, "signal.schema=ops\n");
	expect_refusal(e, "signal.data.collection: \"ops.streamkap_signal\" is in schema \"ops\", "
				   "but signal.schema is \"other\"");
}

/* Values and keys the server could not write to a properties file. */
static void
test_line_breaks(void)
{
	static const struct key_case cases[] = {
		{"database.password", "a\nb", 0, "database.password: values cannot contain line breaks"},
		{"heartbeat.action.query", "SELECT 1\r", 0,
		"heartbeat.action.query: values cannot contain line breaks"},
		{"name", "p\ng", 0, "name: values cannot contain line breaks"},
		{"kafka.a=b", "x", 0, "kafka.a=b: keys are made of letters, digits, '.', '_' and '-'"},
		{"kafka.a b", "x", 0, "kafka.a b: keys are made of letters, digits, '.', '_' and '-'"},
		{"kafka.a\nb", "x", 0, "keys cannot contain control characters"},
		{"", "x", 0, "keys cannot be empty"},
	};

	run_key_cases(cases, (int) (sizeof(cases) / sizeof(cases[0])));
}

/* The first error, in the client's order, is the one reported. */
static void
test_first_error(void)
{
	const char *pairs[] = {"connector.class", DBZ, "plugin.name", "wal2json",
	"tasks.max", "2", NULL};

	expect_refusal(pairs, "plugin.name: \"wal2json\" is not supported (only \"pgoutput\"): "
				   "walcap decodes pgoutput, PostgreSQL's built-in logical decoding plugin");
}

/* Validate pairs with the server's defaults; the caller checks and frees *v. */
static void
validate(const char *name, const char *const *pairs, const char *const *defaults,
		 struct connect_verdicts *v)
{
	struct connect_config in, def;

	build(&in, pairs);
	build(&def, defaults);
	connect_validate(name, &in, &def, v);
	connect_config_free(&in);
	connect_config_free(&def);
}

/* Verdict i is key=value with error want (NULL: none). */
static void
expect_verdict(const struct connect_verdicts *v, int i, const char *key,
			   const char *value, const char *error)
{
	if (i >= v->n)
	{
		CHECK(i < v->n);
		return;
	}
	CHECK_STR(v->v[i].key, key);
	if (value == NULL)
		CHECK(v->v[i].value == NULL);
	else
		CHECK_STR(v->v[i].value, value);
	if (error == NULL)
	{
		if (v->v[i].error != NULL)
			fprintf(stderr, "unexpected error on %s: %s\n", key, v->v[i].error);
		CHECK(v->v[i].error == NULL);
	}
	else
		CHECK_STR(v->v[i].error, error);
}

static const char *const no_defaults[] = {NULL};

static void
test_validate_good(void)
{
	struct connect_verdicts v;
	const char *defaults[] = {"sink.type", "kafka", "kafka.bootstrap.servers", "b:9092", NULL};

	validate("pg", debezium_example, defaults, &v);
	CHECK_INT(v.error_count, 0);
	CHECK(v.general == NULL);
	CHECK_INT(v.n, 14);
	expect_verdict(&v, 0, "connector.class", DBZ, NULL);
	expect_verdict(&v, 1, "tasks.max", "1", NULL);
	expect_verdict(&v, 6, "database.password", CONNECT_SECRET_MASK, NULL);
	expect_verdict(&v, 8, "topic.prefix", "fulfillment", NULL);
	expect_verdict(&v, 13, "value.converter.schemas.enable", "false", NULL);
	connect_verdicts_free(&v);
	CHECK_INT(v.n, 0);
}

static void
test_validate_bad(void)
{
	struct connect_verdicts v;
	const char *pairs[] = {
		"name", "other",
		"tasks.max", "3",
		"database.user", "u",
		"database.dbname", "shop",
		"database.port", "99999",
		"database.server.name", "",
		"producer.override.sasl.password", "s3cret",
		"database.password", "pw\n",
		"no.such.key", "x",
		"signal.data.collection", "bad/schema.streamkap_signal",
		NULL
	};

	validate("pg", pairs, no_defaults, &v);
	CHECK(v.general == NULL);
	CHECK_INT(v.n, 11);
	expect_verdict(&v, 0, "name", "other",
				   "name: \"other\" does not match the connector's name \"pg\"");
	expect_verdict(&v, 1, "tasks.max", "3",
				   "tasks.max: \"3\" is not supported (only \"1\"): a replication slot is read "
				   "by one process, so a connector runs one task");
	expect_verdict(&v, 2, "database.user", "u", NULL);
	expect_verdict(&v, 3, "database.dbname", "shop", NULL);
	expect_verdict(&v, 4, "database.port", "99999",
				   "database.port: \"99999\" is not a port number (1-65535)");
	/* config_set()'s message names the client's key, not topic.prefix */
	expect_verdict(&v, 5, "database.server.name", "", NULL);
	expect_verdict(&v, 6, "producer.override.sasl.password", CONNECT_SECRET_MASK, NULL);
	expect_verdict(&v, 7, "database.password", CONNECT_SECRET_MASK,
				   "database.password: values cannot contain line breaks");
	expect_verdict(&v, 8, "no.such.key", "x", "unknown key \"no.such.key\"");
	expect_verdict(&v, 9, "signal.data.collection", "bad/schema.streamkap_signal", NULL);
	expect_verdict(&v, 10, "connector.class", NULL,
				   "connector.class is required: " DBZ " (or io.walcap.PostgresConnector)");
	CHECK_INT(v.error_count, 6);
	connect_verdicts_free(&v);
}

/* config_set()'s message for a renamed key is given under the client's name. */
static void
test_validate_renamed(void)
{
	struct connect_verdicts v;
	const char *pairs[] = {
		"connector.class", DBZ, "database.user", "u", "database.dbname", "shop",
		"signal.data.collection", "a_schema_name_that_is_longer_than_sixty_three_bytes_"
		"which_postgres_cuts.streamkap_signal",
		"heartbeat.topics.prefix", "",
		NULL
	};

	validate("pg", pairs, no_defaults, &v);
	CHECK_INT(v.n, 5);
	expect_verdict(&v, 3, "signal.data.collection",
				   "a_schema_name_that_is_longer_than_sixty_three_bytes_which_postgres_cuts."
				   "streamkap_signal",
				   "signal.data.collection: \"a_schema_name_that_is_longer_than_sixty_three_"
				   "bytes_which_postgres_cuts\" is not a name of 1 to 63 bytes");
	expect_verdict(&v, 4, "heartbeat.topics.prefix", "",
				   "heartbeat.topics.prefix: must not be empty");
	CHECK_INT(v.error_count, 2);
	CHECK(v.general == NULL);
	connect_verdicts_free(&v);
}

/* config_finish()'s message: to the key it starts with or names, else general. */
static void
test_validate_finish(void)
{
	struct connect_verdicts v;
	const char *no_user[] = {"connector.class", DBZ, "database.dbname", "shop", NULL};
	const char *both[] = {"connector.class", DBZ, "database.user", "u", "database.dbname", "shop",
	"table.blacklist", "public.b", NULL};
	const char *defaults[] = {"table.include.list", "public.a", NULL};
	const char *backoff[] = {"connector.class", DBZ, "database.user", "u",
		"database.dbname", "shop", "connect.backoff.initial.ms", "5000",
	"connect.backoff.max.ms", "1000", NULL};
	const char *file[] = {"connector.class", DBZ, "database.user", "u",
	"database.dbname", "shop", "sink.type", "file", NULL};

	/* names no given key: general */
	validate("pg", no_user, no_defaults, &v);
	CHECK_INT(v.error_count, 1);
	CHECK_STR(v.general, "database.user is required (the PostgreSQL user to connect as)");
	expect_verdict(&v, 1, "database.dbname", "shop", NULL);
	connect_verdicts_free(&v);

	/* names a given key, renamed from table.blacklist, after one from the defaults */
	validate("pg", both, defaults, &v);
	CHECK_INT(v.error_count, 1);
	CHECK(v.general == NULL);
	expect_verdict(&v, 3, "table.blacklist", "public.b",
				   "table.include.list and table.exclude.list cannot both be set");
	connect_verdicts_free(&v);

	/* starts with a given key: that one, though another comes later */
	validate("pg", backoff, no_defaults, &v);
	CHECK_INT(v.error_count, 1);
	expect_verdict(&v, 3, "connect.backoff.initial.ms", "5000", NULL);
	expect_verdict(&v, 4, "connect.backoff.max.ms", "1000",
				   "connect.backoff.max.ms: 1000 is less than connect.backoff.initial.ms (5000)");
	connect_verdicts_free(&v);

	/* names sink.type as a word after sink.file.path, which is not given */
	validate("pg", file, no_defaults, &v);
	CHECK_INT(v.error_count, 1);
	expect_verdict(&v, 3, "sink.type", "file",
				   "sink.file.path is required when sink.type is file");
	connect_verdicts_free(&v);
}

/* A translation error and a set error on one key both count. */
static void
test_validate_counts(void)
{
	struct connect_verdicts v;
	const char *pairs[] = {"connector.class", "x", "errors.tolerance", "all",
	"database.user", "u", "database.dbname", "shop", "heartbeat.action.query", "SELECT 1", NULL};

	validate(NULL, pairs, no_defaults, &v);
	CHECK_INT(v.n, 5);
	expect_verdict(&v, 0, "connector.class", "x",
				   "connector.class: \"x\" is not supported: walcap is " DBZ
				   " (or io.walcap.PostgresConnector)");
	expect_verdict(&v, 1, "errors.tolerance", "all",
				   "errors.tolerance: \"all\" is not supported (only \"none\"): walcap stops at "
				   "an error it cannot retry and never skips an event");
	expect_verdict(&v, 4, "heartbeat.action.query", "SELECT 1",
				   "heartbeat.interval.ms is 0 (off): set it to use heartbeat.action.query, "
				   "heartbeat.logical.message or heartbeat.events");
	CHECK_INT(v.error_count, 3);
	connect_verdicts_free(&v);
}

/* With no connector name (validate before create), name is not compared. */
static void
test_no_name(void)
{
	struct connect_config in, out;
	const char *pairs[] = {"connector.class", DBZ, "name", "anything", NULL};
	char		err[256] = "";

	build(&in, pairs);
	connect_config_init(&out);
	CHECK_INT(connect_translate(NULL, &in, &out, err, sizeof(err)), 0);
	CHECK_INT(out.n, 0);
	connect_config_free(&in);
	connect_config_free(&out);
}

int
main(void)
{
	/* config_finish() must not find a password elsewhere */
	unsetenv("WALCAP_DATABASE_PASSWORD");
	test_kv();
	test_debezium_example();
	test_framework();
	test_connector_class();
	test_debezium_keys();
	test_rename_precedence();
	test_line_breaks();
	test_first_error();
	test_validate_good();
	test_validate_bad();
	test_validate_renamed();
	test_validate_finish();
	test_validate_counts();
	test_no_name();
	return TEST_REPORT("test_connect_config");
}

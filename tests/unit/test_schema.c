/*
 * test_schema.c — unit tests for schema.c: the Kafka Connect schema of
 * each kind of column in every mode, nullability, the key, the envelope
 * around them, and the fixed message and heartbeat schemas.
 *
 * Every expected string is written from the sources, not from walcap:
 *   - the key order is Kafka's JsonConverter.asJsonSchema (apache/kafka
 *     connect/json/.../JsonConverter.java, the same in 3.8.0, 3.9.0 and
 *     4.0): "type"; "fields" / "items" / "keys","values"; "optional";
 *     "name"; "version"; "doc"; "parameters"; "default"; and a struct
 *     field's "field" added after its schema's own keys;
 *   - the schemas are Debezium 3.7's (debezium/debezium main):
 *     SchemaFactory (source block, envelope, event.block, heartbeat,
 *     VariableScaleDecimal, Enum, Bits, Json, Uuid, Xml),
 *     PostgresSchemaFactory (the message schemas, Ltree),
 *     PostgresSourceInfoStructMaker, Envelope (SCHEMA_VERSION 2),
 *     TableSchemaBuilder (Value optional, Key not), PostgresValueConverter
 *     .schemaBuilder (per type, and which array elements are optional),
 *     io.debezium.time.* and io.debezium.data.TsVector (name, version 1),
 *     and Kafka's Decimal/Date/Time/Timestamp builders (version 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "relcache.h"
#include "schema.h"
#include "testhelp.h"

static struct convert_opts opts;
static struct buf out;

/* The key schema of a one-column table: its field's schema. */
static const char *
field_of_col(struct relcache_col *col)
{
	static char field[1024];
	struct relcache_rel rel;
	const char *start, *end;

	memset(&rel, 0, sizeof(rel));
	col->name = (char *) "c";
	col->flags = 1;
	rel.schema = (char *) "s";
	rel.table = (char *) "t";
	rel.ncols = 1;
	rel.cols = col;
	rel.keyflag = 1;
	buf_reset(&out);
	schema_key(&out, &rel, "p", &opts);
	/* between "fields":[ and ],"optional":false,"name":"p.s.t.Key"} */
	start = strstr(out.data, "\"fields\":[");
	end = strstr(out.data, "],\"optional\":false,\"name\":\"p.s.t.Key\"}");
	if (start == NULL || end == NULL || end < start)
		return out.data;
	start += 10;
	snprintf(field, sizeof(field), "%.*s", (int) (end - start), start);
	return field;
}

/* The same for a built-in type (oid, typmod). */
static const char *
field_of(uint32_t oid, int32_t typmod)
{
	struct relcache_col col;

	memset(&col, 0, sizeof(col));
	col.typid = oid;
	col.typmod = typmod;
	convert_builtin(oid, typmod, &col.conv);
	return field_of_col(&col);
}

#define F(type_and_more) "{" type_and_more ",\"field\":\"c\"}"

static void
test_types_default_modes(void)
{
	memset(&opts, 0, sizeof(opts));
	CHECK_STR(field_of(16, -1), F("\"type\":\"boolean\",\"optional\":false"));
	CHECK_STR(field_of(21, -1), F("\"type\":\"int16\",\"optional\":false"));
	CHECK_STR(field_of(23, -1), F("\"type\":\"int32\",\"optional\":false"));
	CHECK_STR(field_of(20, -1), F("\"type\":\"int64\",\"optional\":false"));
	CHECK_STR(field_of(700, -1), F("\"type\":\"float\",\"optional\":false"));
	CHECK_STR(field_of(701, -1), F("\"type\":\"double\",\"optional\":false"));
	CHECK_STR(field_of(25, -1), F("\"type\":\"string\",\"optional\":false"));
	/* numeric(10,2): typmod (10 << 16 | 2) + 4 */
	CHECK_STR(field_of(1700, (10 << 16 | 2) + 4),
			  F("\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\","
				"\"version\":1,\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"}"));
	CHECK_STR(field_of(1700, -1),
			  F("\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
				"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}],\"optional\":false,"
				"\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1,"
				"\"doc\":\"Variable scaled decimal\""));
	CHECK_STR(field_of(790, -1),
			  F("\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\","
				"\"version\":1,\"parameters\":{\"scale\":\"2\"}"));
	CHECK_STR(field_of(17, -1), F("\"type\":\"bytes\",\"optional\":false"));
	CHECK_STR(field_of(1082, -1), F("\"type\":\"int32\",\"optional\":false,\"name\":\"io.debezium.time.Date\",\"version\":1"));
	CHECK_STR(field_of(1083, 3), F("\"type\":\"int32\",\"optional\":false,\"name\":\"io.debezium.time.Time\",\"version\":1"));
	CHECK_STR(field_of(1083, -1), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.MicroTime\",\"version\":1"));
	CHECK_STR(field_of(1114, 0), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.Timestamp\",\"version\":1"));
	CHECK_STR(field_of(1114, -1), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1"));
	CHECK_STR(field_of(1184, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.time.ZonedTimestamp\",\"version\":1"));
	CHECK_STR(field_of(1266, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.time.ZonedTime\",\"version\":1"));
	CHECK_STR(field_of(1186, -1), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.MicroDuration\",\"version\":1"));
	CHECK_STR(field_of(2950, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Uuid\",\"version\":1"));
	CHECK_STR(field_of(3802, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Json\",\"version\":1"));
	CHECK_STR(field_of(142, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Xml\",\"version\":1"));
	/* TsVector.builder() (Debezium 3.3+): string, io.debezium.data.Tsvector, version 1 */
	CHECK_STR(field_of(3614, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Tsvector\",\"version\":1"));
	/*
	 * tsvector[] is no explicit case of schemaBuilder(): its elements come
	 * from arrayElementSchema(), TsVector.builder() as built, not optional
	 */
	CHECK_STR(field_of(3643, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":false,"
				"\"name\":\"io.debezium.data.Tsvector\",\"version\":1},\"optional\":false"));
	/* the explicit ones are SchemaBuilder.array(X.optional()): uuid[], json[] */
	CHECK_STR(field_of(2951, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true,"
				"\"name\":\"io.debezium.data.Uuid\",\"version\":1},\"optional\":false"));
	CHECK_STR(field_of(199, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true,"
				"\"name\":\"io.debezium.data.Json\",\"version\":1},\"optional\":false"));
	CHECK_STR(field_of(1560, 1), F("\"type\":\"boolean\",\"optional\":false"));
	CHECK_STR(field_of(1560, 5),
			  F("\"type\":\"bytes\",\"optional\":false,\"name\":\"io.debezium.data.Bits\",\"version\":1,"
				"\"parameters\":{\"length\":\"5\"}"));
	CHECK_STR(field_of(600, -1),
			  F("\"type\":\"struct\",\"fields\":[{\"type\":\"double\",\"optional\":false,\"field\":\"x\"},"
				"{\"type\":\"double\",\"optional\":false,\"field\":\"y\"},"
				"{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},"
				"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}],\"optional\":false,"
				"\"name\":\"io.debezium.data.geometry.Point\",\"version\":1,\"doc\":\"Geometry (POINT)\""));
	CHECK_STR(field_of(1007, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"int32\",\"optional\":true},\"optional\":false"));
	CHECK_STR(field_of(1009, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true},\"optional\":false"));
	/* elements take the column's typmod, as their values do */
	CHECK_STR(field_of(1231, (5 << 16 | 2) + 4),
			  F("\"type\":\"array\",\"items\":{\"type\":\"bytes\",\"optional\":true,"
				"\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
				"\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"5\"}},\"optional\":false"));
	CHECK_STR(field_of(1231, -1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
				"{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
				"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}],\"optional\":true,"
				"\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1,"
				"\"doc\":\"Variable scaled decimal\"},\"optional\":false"));
	CHECK_STR(field_of(1183, 3),
			  F("\"type\":\"array\",\"items\":{\"type\":\"int32\",\"optional\":true,"
				"\"name\":\"io.debezium.time.Time\",\"version\":1},\"optional\":false"));
	CHECK_STR(field_of(1561, 1),
			  F("\"type\":\"array\",\"items\":{\"type\":\"boolean\",\"optional\":true},\"optional\":false"));
}

static void
test_types_other_modes(void)
{
	memset(&opts, 0, sizeof(opts));
	opts.decimal = CONVERT_DECIMAL_DOUBLE;
	CHECK_STR(field_of(1700, -1), F("\"type\":\"double\",\"optional\":false"));
	opts.decimal = CONVERT_DECIMAL_STRING;
	CHECK_STR(field_of(790, -1), F("\"type\":\"string\",\"optional\":false"));
	opts.decimal = CONVERT_DECIMAL_PRECISE;

	opts.binary = CONVERT_BINARY_HEX;
	CHECK_STR(field_of(17, -1), F("\"type\":\"string\",\"optional\":false"));
	opts.binary = CONVERT_BINARY_BYTES;

	opts.time = CONVERT_TIME_ADAPTIVE_MICRO;
	CHECK_STR(field_of(1083, 3), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.MicroTime\",\"version\":1"));
	CHECK_STR(field_of(1114, 3), F("\"type\":\"int64\",\"optional\":false,\"name\":\"io.debezium.time.Timestamp\",\"version\":1"));
	opts.time = CONVERT_TIME_CONNECT;
	CHECK_STR(field_of(1082, -1), F("\"type\":\"int32\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Date\",\"version\":1"));
	CHECK_STR(field_of(1083, -1), F("\"type\":\"int32\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Time\",\"version\":1"));
	CHECK_STR(field_of(1114, -1), F("\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1"));
	opts.time = CONVERT_TIME_ADAPTIVE;

	opts.interval = CONVERT_INTERVAL_STRING;
	CHECK_STR(field_of(1186, -1), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.time.Interval\",\"version\":1"));
	opts.interval = CONVERT_INTERVAL_NUMERIC;
}

/*
 * The source block (PostgresSourceInfoStructMaker on SchemaFactory's
 * sourceInfoSchemaBuilder, version 1, less the ts_us, ts_ns, origin and
 * origin_lsn fields walcap's events do not carry); snapshot is
 * snapshotRecordSchema(): Enum of SnapshotRecord's names, optional,
 * default "false", which the converter writes after the parameters.
 */
#define SOURCE \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"version\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}," \
	"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1," \
	"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"}," \
	"\"default\":\"false\",\"field\":\"snapshot\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"}," \
	"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"version\":1,\"field\":\"source\"}"

/* SchemaFactory.transactionBlockSchema(): optional, event.block, version 1 */
#define TXN_BLOCK \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}]," \
	"\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}"

/*
 * The envelope, whole: TableSchemaBuilder's Value struct (optional, no
 * version) as before and after, the source and transaction blocks, op and
 * ts_ms (Envelope.defineSchema's build(); walcap's events have no ts_us,
 * ts_ns), named <prefix>.<schema>.<table>.Envelope, version 2.
 */
static void
test_envelope(void)
{
	struct relcache_col cols[2];
	struct relcache_rel rel;

#define ROW(field) \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}," \
	"{\"type\":\"string\",\"optional\":true,\"field\":\"n\\\"ote\"}]," \
	"\"optional\":true,\"name\":\"srv.public.t.Value\",\"field\":\"" field "\"}"

	memset(&opts, 0, sizeof(opts));
	memset(cols, 0, sizeof(cols));
	memset(&rel, 0, sizeof(rel));
	cols[0].name = (char *) "id";
	cols[0].typid = 23;
	cols[0].flags = 1 | 4;
	convert_builtin(23, -1, &cols[0].conv);
	cols[1].name = (char *) "n\"ote";
	cols[1].typid = 25;
	convert_builtin(25, -1, &cols[1].conv);
	rel.schema = (char *) "public";
	rel.table = (char *) "t";
	rel.ncols = 2;
	rel.cols = cols;
	rel.keyflag = 1;
	buf_reset(&out);
	schema_envelope(&out, &rel, "srv", &opts);
	CHECK_STR(out.data,
			  "{\"type\":\"struct\",\"fields\":[" ROW("before") "," ROW("after") ","
			  SOURCE "," TXN_BLOCK ","
			  "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
			  "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
			  "\"optional\":false,\"name\":\"srv.public.t.Envelope\",\"version\":2}");
	CHECK(!buf_failed(&out));
#undef ROW

	/* the key: keyflag columns only, never optional, no version */
	buf_reset(&out);
	schema_key(&out, &rel, "srv", &opts);
	CHECK_STR(out.data, "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}],"
			  "\"optional\":false,\"name\":\"srv.public.t.Key\"}");
}

/*
 * What the catalog adds (relcache_set_type_info): an enum's labels
 * (SchemaFactory.datatypeEnumSchema: string, Enum, version 1, "allowed"),
 * an enum array's (PostgresValueConverter: SchemaBuilder.array(Enum
 * .builder(labels)), the element not optional), a domain named as its base
 * type, and the ltree extension's type (PostgresSchemaFactory
 * .datatypeLtreeSchema: string, io.debezium.data.Ltree, version 1; ltree[]:
 * SchemaBuilder.array(Ltree.builder().optional())).
 */
static void
test_catalog_types(void)
{
	struct relcache_col col;

	memset(&opts, 0, sizeof(opts));
	memset(&col, 0, sizeof(col));
	col.typid = 16400;
	col.conv.kind = CONVERT_STRING;
	col.enum_labels = (char *) "a,b c,\"d\"";
	CHECK_STR(field_of_col(&col),
			  F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
				"\"parameters\":{\"allowed\":\"a,b c,\\\"d\\\"\"}"));

	memset(&col, 0, sizeof(col));
	col.typid = 16399;
	col.conv.kind = CONVERT_ARRAY;
	col.conv.elem_kind = CONVERT_STRING;
	col.enum_labels = (char *) "sad,ok";
	CHECK_STR(field_of_col(&col),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":false,"
				"\"name\":\"io.debezium.data.Enum\",\"version\":1,\"parameters\":{\"allowed\":\"sad,ok\"}},"
				"\"optional\":false"));

	memset(&col, 0, sizeof(col));
	col.typid = 16500;
	col.base_typid = 2950;
	convert_builtin(2950, -1, &col.conv);
	CHECK_STR(field_of_col(&col), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Uuid\",\"version\":1"));

	memset(&col, 0, sizeof(col));
	col.typid = 16600;
	col.conv.kind = CONVERT_STRING;
	col.type_name = (char *) "ltree";
	CHECK_STR(field_of_col(&col), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Ltree\",\"version\":1"));
	/* a domain over ltree: the catalog gives its base type's name */
	col.typid = 16700;
	col.base_typid = 16600;
	CHECK_STR(field_of_col(&col), F("\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Ltree\",\"version\":1"));

	memset(&col, 0, sizeof(col));
	col.typid = 16605;
	col.conv.kind = CONVERT_ARRAY;
	col.conv.elem_kind = CONVERT_STRING;
	col.type_name = (char *) "_ltree";
	CHECK_STR(field_of_col(&col),
			  F("\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true,"
				"\"name\":\"io.debezium.data.Ltree\",\"version\":1},\"optional\":false"));

	/* any other type name: a plain string (citext, isbn: SchemaBuilder.string()) */
	memset(&col, 0, sizeof(col));
	col.typid = 16800;
	col.conv.kind = CONVERT_STRING;
	col.type_name = (char *) "citext";
	CHECK_STR(field_of_col(&col), F("\"type\":\"string\",\"optional\":false"));
	col.type_name = (char *) "_ltree";	/* not an array: not ltree */
	CHECK_STR(field_of_col(&col), F("\"type\":\"string\",\"optional\":false"));
}

/*
 * The fixed schemas, whole.  Heartbeats: SchemaFactory.heartbeatKeySchema
 * and heartbeatValueSchema (version 1).  Messages: PostgresSchemaFactory
 * .logicalDecodingMessageMonitorKeySchema, ...BlockSchema (prefix an
 * optional string, content binaryHandlingMode.getSchema().optional():
 * bytes, or a string in the base64, base64-url-safe and hex modes) and
 * ...ValueSchema (op, ts_ms, source, transaction, message), version 1 each.
 */
static void
test_fixed(void)
{
#define MESSAGE_VALUE(content) \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}," \
	SOURCE "," TXN_BLOCK "," \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}," \
	"{\"type\":\"" content "\",\"optional\":true,\"field\":\"content\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Message\",\"version\":1,\"field\":\"message\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\",\"version\":1}"

	CHECK_STR(SCHEMA_HEARTBEAT_KEY,
			  "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"serverName\"}],"
			  "\"optional\":false,\"name\":\"io.debezium.connector.common.ServerNameKey\",\"version\":1}");
	CHECK_STR(SCHEMA_HEARTBEAT_VALUE,
			  "{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
			  "\"optional\":false,\"name\":\"io.debezium.connector.common.Heartbeat\",\"version\":1}");
	CHECK_STR(SCHEMA_MESSAGE_KEY,
			  "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}],"
			  "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageKey\",\"version\":1}");
	CHECK_STR(SCHEMA_MESSAGE_VALUE, MESSAGE_VALUE("bytes"));
	CHECK_STR(SCHEMA_MESSAGE_VALUE_STRING, MESSAGE_VALUE("string"));
#undef MESSAGE_VALUE
}

int
main(void)
{
	buf_init(&out, 0);
	test_types_default_modes();
	test_types_other_modes();
	test_envelope();
	test_catalog_types();
	test_fixed();
	buf_free(&out);
	return TEST_REPORT("test_schema");
}

/*
 * test_schema.c — unit tests for schema.c: the Kafka Connect schema of
 * each kind of column in every mode, nullability, the key, and the
 * envelope around them.
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

/* The key schema of a one-column table (oid, typmod): its field's schema. */
static const char *
field_of(uint32_t oid, int32_t typmod)
{
	static char field[1024];
	struct relcache_col col;
	struct relcache_rel rel;
	const char *start, *end;

	memset(&col, 0, sizeof(col));
	memset(&rel, 0, sizeof(rel));
	col.name = (char *) "c";
	col.typid = oid;
	col.typmod = typmod;
	col.flags = 1;
	convert_builtin(oid, typmod, &col.conv);
	rel.schema = (char *) "s";
	rel.table = (char *) "t";
	rel.ncols = 1;
	rel.cols = &col;
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
				"\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1"));
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
				"\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1},\"optional\":false"));
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

/* The envelope: before/after optional Value structs, nullability, names. */
static void
test_envelope(void)
{
	struct relcache_col cols[2];
	struct relcache_rel rel;

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
	CHECK(strncmp(out.data,
				  "{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
				  "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
				  "{\"type\":\"string\",\"optional\":true,\"field\":\"n\\\"ote\"}],"
				  "\"optional\":true,\"name\":\"srv.public.t.Value\",\"field\":\"before\"},", 200) == 0);
	CHECK(strstr(out.data, "\"name\":\"srv.public.t.Value\",\"field\":\"after\"},{\"type\":\"struct\"") != NULL);
	CHECK(strstr(out.data, "\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"}") != NULL);
	CHECK(strstr(out.data, "\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}") != NULL);
	{
		size_t		n = strlen(out.data);
		const char *tail = "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
			"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
			"\"optional\":false,\"name\":\"srv.public.t.Envelope\"}";

		CHECK(n > strlen(tail) && strcmp(out.data + n - strlen(tail), tail) == 0);
	}
	CHECK(!buf_failed(&out));

	/* an enum's labels, a domain named as its base type */
	cols[1].enum_labels = (char *) "a,b c";
	buf_reset(&out);
	schema_envelope(&out, &rel, "srv", &opts);
	CHECK(strstr(out.data, "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
				 "\"parameters\":{\"allowed\":\"a,b c\"},\"field\":\"n\\\"ote\"}") != NULL);
	cols[1].enum_labels = NULL;
	cols[1].base_typid = 2950;
	buf_reset(&out);
	schema_envelope(&out, &rel, "srv", &opts);
	CHECK(strstr(out.data, "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Uuid\",\"version\":1,"
				 "\"field\":\"n\\\"ote\"}") != NULL);
	cols[1].base_typid = 0;

	/* the key: keyflag columns only, never optional */
	buf_reset(&out);
	schema_key(&out, &rel, "srv", &opts);
	CHECK_STR(out.data, "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}],"
			  "\"optional\":false,\"name\":\"srv.public.t.Key\"}");
}

int
main(void)
{
	buf_init(&out, 0);
	test_types_default_modes();
	test_types_other_modes();
	test_envelope();
	buf_free(&out);
	return TEST_REPORT("test_schema");
}

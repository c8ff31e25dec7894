/*
 * schema.c — Kafka Connect schemas of the events; see schema.h.
 */
#include "schema.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "geometry.h"
#include "json.h"

/* Type OIDs whose schema differs from what their conversion rule says. */
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_JSON 114
#define OID_XML 142
#define OID_JSONB 3802
#define OID_UUID 2950
#define OID_TSVECTOR 3614

#define NOT_NULL 4				/* relcache_col flags: marked NOT NULL */

/*
 * The fixed schemas, as Debezium's SchemaFactory and
 * PostgresSchemaFactory build them (each struct with its version), in
 * the JSON converter's key order (schema.h).
 */
const char	SCHEMA_MESSAGE_KEY[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageKey\",\"version\":1}";

const char	SCHEMA_HEARTBEAT_KEY[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"serverName\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.ServerNameKey\",\"version\":1}";

const char	SCHEMA_HEARTBEAT_VALUE[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.Heartbeat\",\"version\":1}";

/* provide.transaction.metadata: the BEGIN/END records' key and value */
const char	SCHEMA_TXN_KEY[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataKey\",\"version\":1}";

const char	SCHEMA_TXN_VALUE[] =
"{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"status\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"event_count\"},"
"{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"data_collection\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"event_count\"}],"
"\"optional\":true,\"name\":\"event.collection\",\"version\":1},\"optional\":true,\"field\":\"data_collections\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataValue\",\"version\":1}";

/*
 * The snapshot field's default goes after its parameters: the converter
 * writes "default" last.  Debezium's source block also has ts_us, ts_ns,
 * origin and origin_lsn, which walcap's events do not carry (docs/events.md,
 * "Where walcap differs"): the schema describes the events as written.
 */
#define SOURCE_SCHEMA \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"version\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}," \
	"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1," \
	"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection," \
	"last_in_data_collection,last,false,incremental\"},\"default\":\"false\",\"field\":\"snapshot\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"}," \
	"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"}," \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"version\":1," \
	"\"field\":\"source\"}"

#define TRANSACTION_SCHEMA \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"}," \
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}]," \
	"\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}"

/* content's type is binary.handling.mode's: bytes, or a string */
#define MESSAGE_VALUE_SCHEMA(content_type) \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}," \
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}," \
	SOURCE_SCHEMA "," TRANSACTION_SCHEMA "," \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}," \
	"{\"type\":\"" content_type "\",\"optional\":true,\"field\":\"content\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Message\",\"version\":1," \
	"\"field\":\"message\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\",\"version\":1}"

const char	SCHEMA_MESSAGE_VALUE[] = MESSAGE_VALUE_SCHEMA("bytes");
const char	SCHEMA_MESSAGE_VALUE_STRING[] = MESSAGE_VALUE_SCHEMA("string");

/* type, optional, and a logical name with version 1 (NULL: none) */
static void
put_type(struct buf *b, const char *type, int optional, const char *name)
{
	buf_lit(b, "{\"type\":\"");
	buf_puts(b, type);
	buf_puts(b, optional ? "\",\"optional\":true" : "\",\"optional\":false");
	if (name)
	{
		buf_lit(b, ",\"name\":\"");
		buf_puts(b, name);
		buf_lit(b, "\",\"version\":1");
	}
}

/* The rest of a value's schema after "{", for conversion rule kind. */
static void
put_kind(struct buf *b, enum convert_kind kind, uint32_t typid, int32_t typmod,
		 int optional, const struct convert_opts *o)
{
	int			precision = typmod < 0 ? 6 : typmod;

	switch (kind)
	{
		case CONVERT_BOOL:
			put_type(b, "boolean", optional, NULL);
			return;
		case CONVERT_INT:
			put_type(b, typid == OID_INT2 ? "int16" : typid == OID_INT4 ? "int32" : "int64",
					 optional, NULL);
			return;
		case CONVERT_FLOAT:
		case CONVERT_FLOAT4:
			put_type(b, typid == OID_FLOAT4 ? "float" : "double", optional, NULL);
			return;
		case CONVERT_NUMERIC:
		case CONVERT_MONEY:
			if (o->decimal == CONVERT_DECIMAL_DOUBLE)
				put_type(b, "double", optional, NULL);
			else if (o->decimal == CONVERT_DECIMAL_STRING)
				put_type(b, "string", optional, NULL);
			else if (kind == CONVERT_NUMERIC && typmod < 4)
			{
				buf_lit(b, "{\"type\":\"struct\",\"fields\":["
						"{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
						"{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}],");
				buf_puts(b, optional ? "\"optional\":true" : "\"optional\":false");
				buf_lit(b, ",\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1,"
						"\"doc\":\"Variable scaled decimal\"");
			}
			else
			{
				int			scale = kind == CONVERT_MONEY ? 2 : (typmod - 4) & 0xffff;

				put_type(b, "bytes", optional, "org.apache.kafka.connect.data.Decimal");
				buf_printf(b, ",\"parameters\":{\"scale\":\"%d\"", scale);
				if (kind == CONVERT_NUMERIC)
					buf_printf(b, ",\"connect.decimal.precision\":\"%d\"", ((typmod - 4) >> 16) & 0xffff);
				buf_putc(b, '}');
			}
			return;
		case CONVERT_BYTEA:
			put_type(b, o->binary == CONVERT_BINARY_BYTES ? "bytes" : "string", optional, NULL);
			return;
		case CONVERT_DATE:
			put_type(b, "int32", optional, o->time == CONVERT_TIME_CONNECT ?
					 "org.apache.kafka.connect.data.Date" : "io.debezium.time.Date");
			return;
		case CONVERT_TIME:
			if (o->time == CONVERT_TIME_CONNECT)
				put_type(b, "int32", optional, "org.apache.kafka.connect.data.Time");
			else if (o->time == CONVERT_TIME_ADAPTIVE && precision <= 3)
				put_type(b, "int32", optional, "io.debezium.time.Time");
			else
				put_type(b, "int64", optional, "io.debezium.time.MicroTime");
			return;
		case CONVERT_TIMESTAMP:
			if (o->time == CONVERT_TIME_CONNECT)
				put_type(b, "int64", optional, "org.apache.kafka.connect.data.Timestamp");
			else if (precision <= 3)
				put_type(b, "int64", optional, "io.debezium.time.Timestamp");
			else
				put_type(b, "int64", optional, "io.debezium.time.MicroTimestamp");
			return;
		case CONVERT_TIMESTAMPTZ:
			put_type(b, "string", optional, "io.debezium.time.ZonedTimestamp");
			return;
		case CONVERT_TIMETZ:
			put_type(b, "string", optional, "io.debezium.time.ZonedTime");
			return;
		case CONVERT_INTERVAL:
			if (o->interval == CONVERT_INTERVAL_STRING)
				put_type(b, "string", optional, "io.debezium.time.Interval");
			else
				put_type(b, "int64", optional, "io.debezium.time.MicroDuration");
			return;
		case CONVERT_BIT:
			if (typmod == 1)
				put_type(b, "boolean", optional, NULL);
			else
			{
				put_type(b, "bytes", optional, "io.debezium.data.Bits");
				buf_printf(b, ",\"parameters\":{\"length\":\"%d\"}", typmod < 0 ? 2147483647 : typmod);
			}
			return;
		case CONVERT_POINT:
		case CONVERT_BOX:
		case CONVERT_LSEG:
		case CONVERT_PATH:
		case CONVERT_POLYGON:
		case CONVERT_CIRCLE:
		case CONVERT_LINE:
			geometry_schema(b, kind, optional);
			return;
		case CONVERT_HSTORE:
			if (o->hstore == CONVERT_HSTORE_MAP)
			{
				buf_lit(b, "{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false},"
						"\"values\":{\"type\":\"string\",\"optional\":true},");
				buf_puts(b, optional ? "\"optional\":true" : "\"optional\":false");
			}
			else
				put_type(b, "string", optional, "io.debezium.data.Json");
			return;
		case CONVERT_ARRAY:		/* put_column() writes arrays */
		case CONVERT_STRING:
		default:
			put_type(b, "string", optional,
					 typid == OID_UUID ? "io.debezium.data.Uuid" :
					 typid == OID_JSON || typid == OID_JSONB ? "io.debezium.data.Json" :
					 typid == OID_XML ? "io.debezium.data.Xml" :
					 typid == OID_TSVECTOR ? "io.debezium.data.Tsvector" : NULL);
			return;
	}
}

/* io.debezium.data.Enum with its labels, as put_type() (no closing brace) */
static void
put_enum(struct buf *b, int optional, const char *labels)
{
	put_type(b, "string", optional, "io.debezium.data.Enum");
	buf_lit(b, ",\"parameters\":{\"allowed\":");
	json_cstring(b, labels);
	buf_putc(b, '}');
}

/* The type (a domain's base type) is the ltree extension's, or its array. */
static int
is_ltree(const struct relcache_col *col)
{
	const char *n = col->type_name;

	return n && strcmp(n + (col->conv.kind == CONVERT_ARRAY && n[0] == '_'), "ltree") == 0;
}

/* One column's schema as a struct field. */
static void
put_column(struct buf *b, const struct relcache_col *col, int optional,
		   const struct convert_opts *o)
{
	if (col->conv.kind == CONVERT_ARRAY)
	{
		/* element OIDs of the arrays whose schema depends on more than the rule */
		static const uint32_t arrays[][2] = {
			{199, OID_JSON}, {1005, OID_INT2}, {1007, OID_INT4}, {1021, OID_FLOAT4},
			{2951, OID_UUID}, {3807, OID_JSONB}, {143, OID_XML}, {3643, OID_TSVECTOR},
		};
		uint32_t	elem = 0;
		uint32_t	typid = col->base_typid ? col->base_typid : col->typid;

		for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
			if (arrays[i][0] == typid)
				elem = arrays[i][1];
		buf_lit(b, "{\"type\":\"array\",\"items\":");

		/*
		 * Debezium's explicit array schemas make their elements optional;
		 * the arrays it builds from the element type's own builder (enum,
		 * tsvector) do not.  Elements are converted with the column's typmod
		 * (convert.h): so is their schema.
		 */
		if (col->enum_labels)
			put_enum(b, 0, col->enum_labels);
		else if (is_ltree(col))
			put_type(b, "string", 1, "io.debezium.data.Ltree");
		else
			put_kind(b, col->conv.elem_kind, elem, col->typmod, elem != OID_TSVECTOR, o);
		buf_putc(b, '}');
		buf_puts(b, optional ? ",\"optional\":true" : ",\"optional\":false");
	}
	else if (col->enum_labels)
		put_enum(b, optional, col->enum_labels);
	else if (col->conv.kind == CONVERT_STRING && is_ltree(col))
		put_type(b, "string", optional, "io.debezium.data.Ltree");
	else
		put_kind(b, col->conv.kind, col->base_typid ? col->base_typid : col->typid,
				 col->typmod, optional, o);
	columns_schema_parameters(b, col);
	buf_lit(b, ",\"field\":");
	json_cstring(b, col->name);
	buf_putc(b, '}');
}

/* <prefix>.<schema>.<table>.<suffix> as a JSON string */
static void
put_name(struct buf *b, const char *prefix, const struct relcache_rel *rel, const char *suffix)
{
	struct buf	n;

	buf_init(&n, 0);
	buf_printf(&n, "%s.%s.%s.%s", prefix, rel->schema, rel->table, suffix);
	json_cstring(b, n.data ? n.data : "");
	if (buf_failed(&n))
		b->failed = 1;
	buf_free(&n);
}

/* The struct of rel's columns (mask 0: all; else those with a flag in mask). */
static void
put_row_struct(struct buf *b, const struct relcache_rel *rel, int mask, const char *prefix,
			   const char *suffix, int optional, const char *field, const struct convert_opts *o)
{
	int			first = 1;

	buf_lit(b, "{\"type\":\"struct\",\"fields\":[");
	for (int i = 0; i < rel->ncols; i++)
	{
		const struct relcache_col *col = &rel->cols[i];

		if ((mask && !(col->flags & mask)) || col->excluded)
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		put_column(b, col, !(mask || (col->flags & NOT_NULL)), o);
	}
	buf_puts(b, optional ? "],\"optional\":true,\"name\":" : "],\"optional\":false,\"name\":");
	put_name(b, prefix, rel, suffix);
	if (field)
	{
		buf_lit(b, ",\"field\":\"");
		buf_puts(b, field);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

void
schema_envelope(struct buf *b, const struct relcache_rel *rel, const char *prefix,
				const struct convert_opts *o)
{
	buf_lit(b, "{\"type\":\"struct\",\"fields\":[");
	put_row_struct(b, rel, 0, prefix, "Value", 1, "before", o);
	buf_putc(b, ',');
	put_row_struct(b, rel, 0, prefix, "Value", 1, "after", o);
	buf_lit(b, "," SOURCE_SCHEMA "," TRANSACTION_SCHEMA ","
			"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
			"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
			"\"optional\":false,\"name\":");
	put_name(b, prefix, rel, "Envelope");
	buf_lit(b, ",\"version\":2}");
}

void
schema_flat(struct buf *b, const struct relcache_rel *rel, const char *prefix,
			const struct convert_opts *o, const char *extra)
{
	struct buf	row;

	/* the after struct, its closing "]," replaced by the added fields */
	buf_init(&row, 0);
	put_row_struct(&row, rel, 0, prefix, "Value", 1, NULL, o);
	if (!buf_failed(&row))
	{
		const char *mark = "],\"optional\":true,\"name\":";
		char	   *close = strstr(row.data, mark);
		size_t		head;

		/* the last one: the row struct's own end, past every column */
		for (char *n = close; n; n = strstr(n + 1, mark))
			close = n;
		head = (size_t) (close - row.data);

		buf_append(b, row.data, head);
		if (extra && extra[0])
		{
			if (row.data[head - 1] != '[')
				buf_putc(b, ',');
			buf_puts(b, extra);
		}
		buf_puts(b, close);
	}
	else
		b->failed = 1;
	buf_free(&row);
}

void
schema_key(struct buf *b, const struct relcache_rel *rel, const char *prefix,
		   const struct convert_opts *o)
{
	put_row_struct(b, rel, rel->keyflag, prefix, "Key", 0, NULL, o);
}

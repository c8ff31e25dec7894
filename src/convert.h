/*
 * convert.h — one column value, as PostgreSQL's text output gives it, to
 * the JSON value Debezium's PostgreSQL connector emits for it (value
 * converter with schemas disabled).
 *
 * The stage is split in two so the per-row path does no lookups:
 *   - when a relation arrives, each column's type OID and typmod are
 *     resolved once into a struct convert_type (convert_builtin() for the
 *     built-in OIDs; relcache resolves user types — enums, domains,
 *     hstore, arrays of them — through the catalog and fills the same
 *     struct);
 *   - per row, convert_value() appends the JSON for one non-null value.
 *
 * The text the server sends depends on session settings; the source
 * stage fixes them on every connection it opens (CONVERT_SESSION_OPTIONS)
 * so that this module can rely on: DateStyle=ISO, IntervalStyle=
 * iso_8601, TimeZone=UTC, bytea_output=hex, lc_monetary=C,
 * extra_float_digits=3 (exact floats on every server: the shortest text
 * from PostgreSQL 12 on, 18 or 9 significant digits before, which
 * convert_opts.legacy_floats has shortened here).
 *
 * The full mapping, mode by mode, with an example for every type and
 * the places where walcap departs from Debezium, is in docs/events.md ("Column types").
 */
#ifndef WALCAP_CONVERT_H
#define WALCAP_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CONVERT_SESSION_OPTIONS \
	"-c DateStyle=ISO -c IntervalStyle=iso_8601 -c TimeZone=UTC " \
	"-c bytea_output=hex -c lc_monetary=C -c extra_float_digits=3"

enum convert_binary_mode
{
	CONVERT_BINARY_BYTES = 0,	/* base64, as Kafka's JsonConverter writes bytes */
	CONVERT_BINARY_BASE64,
	CONVERT_BINARY_BASE64_URL_SAFE,
	CONVERT_BINARY_HEX,
};

enum convert_decimal_mode
{
	CONVERT_DECIMAL_PRECISE = 0,
	CONVERT_DECIMAL_DOUBLE,
	CONVERT_DECIMAL_STRING,
};

enum convert_time_mode
{
	CONVERT_TIME_ADAPTIVE = 0,
	CONVERT_TIME_ADAPTIVE_MICRO,	/* adaptive_time_microseconds */
	CONVERT_TIME_CONNECT,
};

enum convert_interval_mode
{
	CONVERT_INTERVAL_NUMERIC = 0,
	CONVERT_INTERVAL_STRING,
};

enum convert_hstore_mode
{
	CONVERT_HSTORE_JSON = 0,	/* a JSON document in a string */
	CONVERT_HSTORE_MAP,			/* a JSON object */
};

struct convert_opts
{
	enum convert_binary_mode binary;
	enum convert_decimal_mode decimal;
	enum convert_time_mode time;
	enum convert_interval_mode interval;
	enum convert_hstore_mode hstore;

	/*
	 * The server is older than PostgreSQL 12: its float texts carry 18
	 * (float8) or 9 (float4) significant digits, exact but longer than
	 * the shortest text that reads back as the same value (which 12+
	 * prints, and Debezium writes); convert_value() shortens them.
	 * The caller sets it from the server's version.
	 */
	int			legacy_floats;
};

/* How a column's text is turned into JSON. */
enum convert_kind
{
	CONVERT_STRING = 0,			/* any text: a JSON string (the fallback) */
	CONVERT_BOOL,				/* t/f */
	CONVERT_INT,				/* int2, int4, int8, oid, xid...: a JSON number */
	CONVERT_FLOAT,				/* float8: number, or "NaN"/"Infinity" */
	CONVERT_FLOAT4,				/* float4: the same, shortened as a float */
	CONVERT_NUMERIC,
	CONVERT_MONEY,
	CONVERT_BYTEA,
	CONVERT_DATE,
	CONVERT_TIME,
	CONVERT_TIMETZ,
	CONVERT_TIMESTAMP,
	CONVERT_TIMESTAMPTZ,
	CONVERT_INTERVAL,
	CONVERT_BIT,				/* bit(n), varbit: bool for bit(1), else bytes */
	CONVERT_POINT,				/* the geometric types: geometry.h */
	CONVERT_BOX,
	CONVERT_LSEG,
	CONVERT_PATH,
	CONVERT_POLYGON,
	CONVERT_CIRCLE,
	CONVERT_LINE,
	CONVERT_HSTORE,
	CONVERT_ARRAY,				/* elements converted as elem_kind */
};

/*
 * How a value of the type is laid out in binary mode (its send
 * function's format), read by convert_binary.h.  CONVERT_BIN_NONE: walcap
 * does not read the type's binary form, so a session with such a column
 * streams in text (docs/config.md, binary.format).
 */
enum convert_bin
{
	CONVERT_BIN_NONE = 0,
	CONVERT_BIN_TEXT,			/* the text itself: text, varchar, json, enums... */
	CONVERT_BIN_VTEXT,			/* a version byte (1), then the text: jsonb, jsonpath */
	CONVERT_BIN_BOOL,
	CONVERT_BIN_INT2,
	CONVERT_BIN_INT4,
	CONVERT_BIN_INT8,
	CONVERT_BIN_UINT4,			/* oid, xid, cid */
	CONVERT_BIN_UINT8,			/* xid8 */
	CONVERT_BIN_FLOAT4,
	CONVERT_BIN_FLOAT8,
	CONVERT_BIN_NUMERIC,
	CONVERT_BIN_MONEY,
	CONVERT_BIN_BYTEA,
	CONVERT_BIN_DATE,
	CONVERT_BIN_TIME,
	CONVERT_BIN_TIMETZ,
	CONVERT_BIN_TIMESTAMP,
	CONVERT_BIN_TIMESTAMPTZ,
	CONVERT_BIN_INTERVAL,
	CONVERT_BIN_UUID,
	CONVERT_BIN_INET,
	CONVERT_BIN_CIDR,
	CONVERT_BIN_MACADDR,
	CONVERT_BIN_MACADDR8,
	CONVERT_BIN_BIT,
	CONVERT_BIN_POINT,
	CONVERT_BIN_LSEG,
	CONVERT_BIN_BOX,
	CONVERT_BIN_PATH,
	CONVERT_BIN_POLYGON,
	CONVERT_BIN_CIRCLE,
	CONVERT_BIN_LINE,
	CONVERT_BIN_TID,
	CONVERT_BIN_PG_LSN,
	CONVERT_BIN_TSVECTOR,
	CONVERT_BIN_HSTORE,
	CONVERT_BIN_ARRAY,			/* elements laid out as elem_bin */
	CONVERT_BIN_RANGE,			/* bounds laid out as elem_bin */
	CONVERT_BIN_MULTIRANGE,		/* ranges of elem_bin bounds */
};

struct convert_type
{
	enum convert_kind kind;
	enum convert_kind elem_kind;	/* for CONVERT_ARRAY */
	int32_t		typmod;			/* the column's atttypmod, -1 if none */
	char		delim;			/* array element delimiter: ',' (';' for box) */
	uint8_t		bin;			/* enum convert_bin */
	uint8_t		elem_bin;		/* of an array's elements, a range's bounds */
};

/*
 * Fill *t for a built-in type OID (typmod given by the relation).
 * Returns 0 if the OID is built in, -1 if the caller must resolve it
 * through the catalog (t is then set to CONVERT_STRING as a fallback).
 */
int		convert_builtin(uint32_t oid, int32_t typmod, struct convert_type *t);

/*
 * Append the JSON for one non-null value whose text is s[0..len) (not
 * necessarily NUL-terminated).  Returns 0 on success; -1 if the text is
 * not what the type's output function produces (or the value cannot be
 * represented, such as microseconds past the int64 range), in which
 * case nothing was appended and the caller writes the value as a JSON
 * string instead.  -1 is also returned when out fails (buf_failed()).
 * o may be NULL for Debezium's defaults (all modes 0).  Allocates
 * nothing except by growing out.
 */
int		convert_value(struct buf *out, const struct convert_type *t,
					  const char *s, size_t len, const struct convert_opts *o);

#endif

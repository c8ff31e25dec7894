/*
 * test_geometry.c — unit tests for geometry.c through convert_value():
 * box, lseg, path, polygon, circle and line (and point arrays' cousins),
 * as Debezium 3.7's PostgresValueConverter writes them, their arrays,
 * malformed text, and their Kafka Connect schemas (through schema.c).
 *
 * Inputs are texts as PostgreSQL's output functions write them (checked
 * against a server: SELECT '((1,2),(3,4))'::box::text is (3,4),(1,2)).
 *
 * Expected WKB is written here by hand from the OGC WKB layout, in hex:
 *
 *   01                 byte order: little-endian (NDR)
 *   TTTTTTTT           uint32 geometry type, little-endian: 02000000
 *                      LineString, 03000000 Polygon
 *   NNNNNNNN           LineString: the point count; Polygon: the ring
 *                      count (01000000) and then the ring's point count
 *   x y ...            each coordinate an IEEE 754 double, its 8 bytes
 *                      little-endian (the D_* constants below; their
 *                      bits are checked against the C compiler's own
 *                      doubles in test_constants())
 *
 * and turned into base64 by a small encoder written here (RFC 4648 §4),
 * so that no expected value passes through walcap's code.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "relcache.h"
#include "schema.h"
#include "testhelp.h"

/* IEEE 754 doubles, bytes in little-endian order (hex of the bits, reversed) */
#define D_0		"0000000000000000"	/* 0x0000000000000000 */
#define D_N0	"0000000000000080"	/* -0: 0x8000000000000000 */
#define D_1		"000000000000F03F"	/* 0x3FF0000000000000 */
#define D_2		"0000000000000040"	/* 0x4000000000000000 */
#define D_3		"0000000000000840"	/* 0x4008000000000000 */
#define D_4		"0000000000001040"	/* 0x4010000000000000 */
#define D_N1_5	"000000000000F8BF"	/* -1.5: 0xBFF8000000000000 */
#define D_0_1	"9A9999999999B93F"	/* 0.1: 0x3FB999999999999A */
#define D_NAN	"000000000000F87F"	/* Java's Double.NaN: 0x7FF8000000000000 */
#define D_INF	"000000000000F07F"	/* 0x7FF0000000000000 */
#define D_NINF	"000000000000F0FF"	/* 0xFFF0000000000000 */

#define LE_LINESTRING	"0102000000"
#define LE_POLYGON		"0103000000"
#define N1				"01000000"
#define N2				"02000000"
#define N3				"03000000"
#define N4				"04000000"
#define N5				"05000000"

static const struct convert_opts DEF;

static struct buf res;
static struct buf scratch;
static struct buf want;
static struct buf sch;

/* ---------------------------------------------------------------- helpers */

/*
 * Convert text as the built-in type oid with options o; the JSON, or
 * "ERR" if refused (then nothing may have been appended).  The text is
 * copied into a block of exactly its length, for AddressSanitizer.
 */
static const char *
conv(uint32_t oid, const char *text, const struct convert_opts *o)
{
	struct convert_type t;
	size_t		len = strlen(text);
	char	   *copy = malloc(len ? len : 1);
	int			rc;

	CHECK_INT(convert_builtin(oid, -1, &t), 0);
	memcpy(copy, text, len);
	buf_reset(&scratch);
	buf_lit(&scratch, "<");
	rc = convert_value(&scratch, &t, copy, len, o);
	free(copy);
	buf_reset(&res);
	if (rc != 0)
	{
		CHECK_INT(scratch.len, 1);
		buf_lit(&res, "ERR");
	}
	else
		buf_append(&res, scratch.data + 1, scratch.len - 1);
	return res.data ? res.data : "";
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Append the standard, padded base64 of the bytes written as hex. */
static void
b64_of_hex(struct buf *b, const char *hex)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		n = strlen(hex) / 2;
	uint32_t	acc = 0;
	int			bits = 0;

	for (size_t i = 0; i < n; i++)
	{
		acc = (acc << 8) | (uint32_t) (hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			buf_putc(b, al[(acc >> bits) & 63]);
		}
	}
	if (bits > 0)
		buf_putc(b, al[(acc << (6 - bits)) & 63]);
	for (size_t k = n % 3; k != 0 && k < 3; k++)
		buf_putc(b, '=');
}

/* The Geometry struct Debezium writes for WKB hex and extensions JSON. */
static const char *
geom(const char *hex, const char *extensions)
{
	buf_reset(&want);
	buf_lit(&want, "{\"wkb\":\"");
	b64_of_hex(&want, hex);
	buf_lit(&want, "\",\"srid\":null,\"extensions\":");
	buf_puts(&want, extensions);
	buf_putc(&want, '}');
	return want.data;
}

/* ---------------------------------------------------------------- tests */

/* The hand-written constants are the doubles they claim to be. */
static void
test_constants(void)
{
	static const struct
	{
		double		v;
		const char *hex;
	}			c[] = {
		{0.0, D_0}, {-0.0, D_N0}, {1.0, D_1}, {2.0, D_2}, {3.0, D_3}, {4.0, D_4},
		{-1.5, D_N1_5}, {0.1, D_0_1}, {INFINITY, D_INF}, {-INFINITY, D_NINF},
	};
	uint64_t	nan_bits = UINT64_C(0x7FF8000000000000);

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
	{
		uint64_t	u;
		char		hex[17];

		memcpy(&u, &c[i].v, sizeof(u));
		for (int k = 0; k < 8; k++)
			snprintf(hex + 2 * k, 3, "%02X", (unsigned) (u >> (8 * k)) & 0xFF);
		CHECK_STR(hex, c[i].hex);
	}
	CHECK_STR(D_NAN, "000000000000F87F");
	CHECK(nan_bits >> 52 == 0x7FF && (nan_bits & (UINT64_C(1) << 51)));
	/* the encoder: RFC 4648 §10's test vectors */
	buf_reset(&want);
	b64_of_hex(&want, "666F6F");	/* foo */
	CHECK_STR(want.data, "Zm9v");
	buf_reset(&want);
	b64_of_hex(&want, "666F6F62");	/* foob */
	CHECK_STR(want.data, "Zm9vYg==");
	buf_reset(&want);
	b64_of_hex(&want, "666F6F6261");	/* fooba */
	CHECK_STR(want.data, "Zm9vYmE=");
}

/*
 * box: box_out prints the high corner, then the low one; Debezium's ring
 * is (x1,y1), (x1,y2), (x2,y2), (x2,y1), (x1,y1) from the printed order.
 */
static void
test_box(void)
{
	/* '((1,2),(3,4))'::box prints (3,4),(1,2): ring (3,4) (3,2) (1,2) (1,4) (3,4) */
	CHECK_STR(conv(603, "(3,4),(1,2)", &DEF),
			  geom(LE_POLYGON N1 N5
				   D_3 D_4 D_3 D_2 D_1 D_2 D_1 D_4 D_3 D_4, "{\"type\":\"box\"}"));
	/* a point box, negative zero kept */
	CHECK_STR(conv(603, "(-0,0),(-0,0)", &DEF),
			  geom(LE_POLYGON N1 N5
				   D_N0 D_0 D_N0 D_0 D_N0 D_0 D_N0 D_0 D_N0 D_0, "{\"type\":\"box\"}"));
	/* '((-1.5,-Infinity),(NaN,1))'::box prints (NaN,1),(-1.5,-Infinity) */
	CHECK_STR(conv(603, "(NaN,1),(-1.5,-Infinity)", &DEF),
			  geom(LE_POLYGON N1 N5
				   D_NAN D_1 D_NAN D_NINF D_N1_5 D_NINF D_N1_5 D_1 D_NAN D_1,
				   "{\"type\":\"box\"}"));
	CHECK_STR(conv(603, "(3,4)", &DEF), "ERR");
	CHECK_STR(conv(603, "(3,4),(1,2),(0,0)", &DEF), "ERR");
	CHECK_STR(conv(603, "((3,4),(1,2))", &DEF), "ERR");
	CHECK_STR(conv(603, "(3,4), (1,2)", &DEF), "ERR");
	CHECK_STR(conv(603, "(3,4),(1,2", &DEF), "ERR");
	CHECK_STR(conv(603, "(3,4);(1,2)", &DEF), "ERR");
	CHECK_STR(conv(603, "", &DEF), "ERR");
}

static void
test_lseg(void)
{
	CHECK_STR(conv(601, "[(1,2),(3,4)]", &DEF),
			  geom(LE_LINESTRING N2 D_1 D_2 D_3 D_4, "{\"type\":\"lseg\"}"));
	CHECK_STR(conv(601, "[(Infinity,-0),(0.1,NaN)]", &DEF),
			  geom(LE_LINESTRING N2 D_INF D_N0 D_0_1 D_NAN, "{\"type\":\"lseg\"}"));
	CHECK_STR(conv(601, "[(1,2),(3,4)", &DEF), "ERR");
	CHECK_STR(conv(601, "((1,2),(3,4))", &DEF), "ERR");
	CHECK_STR(conv(601, "[(1,2)]", &DEF), "ERR");
	CHECK_STR(conv(601, "[(1,2),(3,4),(5,6)]", &DEF), "ERR");
	CHECK_STR(conv(601, "[(1,2),(3,4)]x", &DEF), "ERR");
}

/* path: a LineString of the points as printed, open or closed alike. */
static void
test_path(void)
{
	CHECK_STR(conv(602, "[(0,0),(1,1),(2,0)]", &DEF),
			  geom(LE_LINESTRING N3 D_0 D_0 D_1 D_1 D_2 D_0,
				   "{\"type\":\"path\",\"closed\":\"false\"}"));
	/* closed: no point is added (Debezium's convertPath does not close it) */
	CHECK_STR(conv(602, "((0,0),(1,1),(2,0))", &DEF),
			  geom(LE_LINESTRING N3 D_0 D_0 D_1 D_1 D_2 D_0,
				   "{\"type\":\"path\",\"closed\":\"true\"}"));
	CHECK_STR(conv(602, "[(1,2)]", &DEF),
			  geom(LE_LINESTRING N1 D_1 D_2, "{\"type\":\"path\",\"closed\":\"false\"}"));
	CHECK_STR(conv(602, "((NaN,-Infinity))", &DEF),
			  geom(LE_LINESTRING N1 D_NAN D_NINF, "{\"type\":\"path\",\"closed\":\"true\"}"));
	CHECK_STR(conv(602, "[]", &DEF), "ERR");
	CHECK_STR(conv(602, "()", &DEF), "ERR");
	CHECK_STR(conv(602, "[(1,2))", &DEF), "ERR");
	CHECK_STR(conv(602, "((1,2)]", &DEF), "ERR");
	CHECK_STR(conv(602, "[(1,2),]", &DEF), "ERR");
	CHECK_STR(conv(602, "[(1,2)(3,4)]", &DEF), "ERR");
	CHECK_STR(conv(602, "(1,2)", &DEF), "ERR");
	CHECK_STR(conv(602, "{(1,2)}", &DEF), "ERR");
	CHECK_STR(conv(602, "[(1,2)],", &DEF), "ERR");
}

/*
 * polygon: one ring, closed as Debezium's closeRing(): with two or more
 * points, the first is appended unless the last equals it (Java's !=
 * on doubles: -0 equals 0, NaN equals nothing).
 */
static void
test_polygon(void)
{
	const char *ext = "{\"type\":\"polygon\"}";

	CHECK_STR(conv(604, "((0,0),(1,1),(1,0))", &DEF),
			  geom(LE_POLYGON N1 N4 D_0 D_0 D_1 D_1 D_1 D_0 D_0 D_0, ext));
	CHECK_STR(conv(604, "((0,0),(1,1))", &DEF),
			  geom(LE_POLYGON N1 N3 D_0 D_0 D_1 D_1 D_0 D_0, ext));
	/* already closed: kept as it is */
	CHECK_STR(conv(604, "((0,0),(1,1),(0,0))", &DEF),
			  geom(LE_POLYGON N1 N3 D_0 D_0 D_1 D_1 D_0 D_0, ext));
	/* -0 == 0: closed already, the last point keeps its sign */
	CHECK_STR(conv(604, "((0,0),(1,1),(-0,0))", &DEF),
			  geom(LE_POLYGON N1 N3 D_0 D_0 D_1 D_1 D_N0 D_0, ext));
	/* NaN != NaN: the first point is appended */
	CHECK_STR(conv(604, "((NaN,0),(1,1),(NaN,0))", &DEF),
			  geom(LE_POLYGON N1 N4 D_NAN D_0 D_1 D_1 D_NAN D_0 D_NAN D_0, ext));
	/* one point: a one-point ring, not closed */
	CHECK_STR(conv(604, "((1,2))", &DEF), geom(LE_POLYGON N1 N1 D_1 D_2, ext));
	CHECK_STR(conv(604, "[(0,0),(1,1)]", &DEF), "ERR");
	CHECK_STR(conv(604, "((0,0),(1,1)", &DEF), "ERR");
	CHECK_STR(conv(604, "()", &DEF), "ERR");
	CHECK_STR(conv(604, "((0,0),,(1,1))", &DEF), "ERR");
	CHECK_STR(conv(604, "((0,0),(1,1)))", &DEF), "ERR");
}

/* A path and a polygon of many points: the base64 crosses many chunks. */
static void
test_long(void)
{
	struct buf	text;
	struct buf	hex;
	struct buf	exp;

	buf_init(&text, 0);
	buf_init(&hex, 0);
	buf_init(&exp, 0);
	for (int poly = 0; poly < 2; poly++)
	{
		int			n = 1000;

		buf_reset(&text);
		buf_reset(&hex);
		buf_puts(&text, poly ? "(" : "[");
		/* ring 1, n + 1 points (closed by the first, (1,-1)) */
		buf_printf(&hex, "%s", poly ? LE_POLYGON "01000000" : LE_LINESTRING);
		buf_printf(&hex, "%02X%02X%02X%02X", (n + poly) & 0xFF, ((n + poly) >> 8) & 0xFF, 0, 0);
		for (int k = 1; k <= n; k++)
		{
			double		xy[2] = {k, -k};

			buf_printf(&text, "%s(%d,%d)", k > 1 ? "," : "", k, -k);
			for (int j = 0; j < 2; j++)
			{
				uint64_t	u;

				memcpy(&u, &xy[j], sizeof(u));
				for (int b = 0; b < 8; b++)
					buf_printf(&hex, "%02X", (unsigned) (u >> (8 * b)) & 0xFF);
			}
		}
		buf_puts(&text, poly ? ")" : "]");
		if (poly)
			buf_puts(&hex, D_1 "000000000000F0BF");	/* (1,-1): -1 = 0xBFF0000000000000 */
		buf_reset(&exp);
		buf_puts(&exp, geom(hex.data, poly ? "{\"type\":\"polygon\"}" :
							"{\"type\":\"path\",\"closed\":\"false\"}"));
		CHECK_STR(conv(poly ? 604 : 602, text.data, &DEF), exp.data);
	}
	buf_free(&text);
	buf_free(&hex);
	buf_free(&exp);
}

/*
 * circle: io.debezium.data.geometry.Circle, the center a whole Point
 * struct.  The center's WKB: 01 01000000 x y.
 */
static void
test_circle(void)
{
	buf_reset(&want);
	buf_lit(&want, "{\"center\":{\"x\":1,\"y\":2,\"wkb\":\"");
	b64_of_hex(&want, "0101000000" D_1 D_2);
	buf_lit(&want, "\",\"srid\":null},\"radius\":3}");
	CHECK_STR(conv(718, "<(1,2),3>", &DEF), want.data);
	buf_reset(&want);
	buf_lit(&want, "{\"center\":{\"x\":-1.5,\"y\":\"NaN\",\"wkb\":\"");
	b64_of_hex(&want, "0101000000" D_N1_5 D_NAN);
	buf_lit(&want, "\",\"srid\":null},\"radius\":\"Infinity\"}");
	CHECK_STR(conv(718, "<(-1.5,NaN),Infinity>", &DEF), want.data);
	buf_reset(&want);
	buf_lit(&want, "{\"center\":{\"x\":0.1,\"y\":-0,\"wkb\":\"");
	b64_of_hex(&want, "0101000000" D_0_1 D_N0);
	buf_lit(&want, "\",\"srid\":null},\"radius\":1.5e-07}");
	CHECK_STR(conv(718, "<(0.1,-0),1.5e-07>", &DEF), want.data);
	CHECK_STR(conv(718, "<(1,2),3", &DEF), "ERR");
	CHECK_STR(conv(718, "(1,2),3", &DEF), "ERR");
	CHECK_STR(conv(718, "<(1,2)>", &DEF), "ERR");
	CHECK_STR(conv(718, "<(1,2),3,4>", &DEF), "ERR");
	CHECK_STR(conv(718, "<1,2,3>", &DEF), "ERR");
	CHECK_STR(conv(718, "<(1,2),>", &DEF), "ERR");
}

/* line: io.debezium.data.geometry.Line {a, b, c} */
static void
test_line(void)
{
	CHECK_STR(conv(628, "{1,-1,0}", &DEF), "{\"a\":1,\"b\":-1,\"c\":0}");
	CHECK_STR(conv(628, "{0.5,-Infinity,NaN}", &DEF),
			  "{\"a\":0.5,\"b\":\"-Infinity\",\"c\":\"NaN\"}");
	CHECK_STR(conv(628, "{1e+300,-2.5e-10,-0}", &DEF), "{\"a\":1e+300,\"b\":-2.5e-10,\"c\":-0}");
	CHECK_STR(conv(628, "{1,-1}", &DEF), "ERR");
	CHECK_STR(conv(628, "{1,-1,0,2}", &DEF), "ERR");
	CHECK_STR(conv(628, "[1,-1,0]", &DEF), "ERR");
	CHECK_STR(conv(628, "{1,-1,0", &DEF), "ERR");
	CHECK_STR(conv(628, "[(0,0),(1,1)]", &DEF), "ERR");
}

/* Numbers: exactly float8out's text, nothing a JSON number could not be. */
static void
test_numbers(void)
{
	static const char *const bad[] = {
		"+1", ".5", "1.", "1e", "1e+", "01", "0x10", "inf", "nan", "NAN",
		"-NaN", "infinity", "+Infinity", " 1", "1 ", "1,5", "--1", "",
		"1e5000000000000000000000000000000000000000000000000000000000000000000",
		"1000000000000000000000000000000000000000000000000000000000000000000000",
	};
	char		text[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		snprintf(text, sizeof(text), "{%s,1,1}", bad[i]);
		CHECK_STR(conv(628, text, &DEF), "ERR");
		snprintf(text, sizeof(text), "[(1,%s),(1,1)]", bad[i]);
		CHECK_STR(conv(601, text, &DEF), "ERR");
	}
	/* a NUL byte inside the text */
	{
		struct convert_type t;

		convert_builtin(628, -1, &t);
		buf_reset(&scratch);
		CHECK_INT(convert_value(&scratch, &t, "{1,\0,1}", 7, &DEF), -1);
		CHECK_INT(scratch.len, 0);
	}
	/* 1e+308 and the smallest subnormal are numbers */
	CHECK_STR(conv(628, "{1e+308,5e-324,2.2250738585072014e-308}", &DEF),
			  "{\"a\":1e+308,\"b\":5e-324,\"c\":2.2250738585072014e-308}");
}

/* binary.handling.mode applies to bytea, not to the WKB in a struct. */
static void
test_binary_modes(void)
{
	static const enum convert_binary_mode modes[] = {
		CONVERT_BINARY_BYTES, CONVERT_BINARY_BASE64, CONVERT_BINARY_BASE64_URL_SAFE,
		CONVERT_BINARY_HEX,
	};
	/* the base64 of this lseg's WKB has '+' and '/' (the bytes B9 3F, F8 7F) */
	const char *text = "[(0.1,NaN),(0.1,NaN)]";
	const char *exp = geom(LE_LINESTRING N2 D_0_1 D_NAN D_0_1 D_NAN, "{\"type\":\"lseg\"}");
	char		e[512];

	snprintf(e, sizeof(e), "%s", exp);
	CHECK(strchr(e, '+') != NULL && strchr(e, '/') != NULL);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
	{
		struct convert_opts o = DEF;

		o.binary = modes[i];
		CHECK_STR(conv(601, text, &o), e);
	}
}

/* Arrays: each element converted as the scalar (box elements split at ';'). */
static void
test_arrays(void)
{
	char		e[2048];

	snprintf(e, sizeof(e), "[%s,", geom(LE_POLYGON N1 N5 D_3 D_4 D_3 D_2 D_1 D_2 D_1 D_4 D_3 D_4,
										"{\"type\":\"box\"}"));
	snprintf(e + strlen(e), sizeof(e) - strlen(e), "null,%s]",
			 geom(LE_POLYGON N1 N5 D_1 D_1 D_1 D_0 D_0 D_0 D_0 D_1 D_1 D_1, "{\"type\":\"box\"}"));
	CHECK_STR(conv(1020, "{(3,4),(1,2);NULL;(1,1),(0,0)}", &DEF), e);
	snprintf(e, sizeof(e), "[%s]", geom(LE_LINESTRING N2 D_0 D_0 D_1 D_1,
										"{\"type\":\"path\",\"closed\":\"true\"}"));
	CHECK_STR(conv(1019, "{\"((0,0),(1,1))\"}", &DEF), e);
	snprintf(e, sizeof(e), "[%s]", geom(LE_POLYGON N1 N3 D_0 D_0 D_1 D_1 D_0 D_0,
										"{\"type\":\"polygon\"}"));
	CHECK_STR(conv(1027, "{\"((0,0),(1,1))\"}", &DEF), e);
	snprintf(e, sizeof(e), "[%s]", geom(LE_LINESTRING N2 D_1 D_2 D_3 D_4, "{\"type\":\"lseg\"}"));
	CHECK_STR(conv(1018, "{\"[(1,2),(3,4)]\"}", &DEF), e);
	CHECK_STR(conv(629, "{\"{1,-1,0}\",NULL}", &DEF), "[{\"a\":1,\"b\":-1,\"c\":0},null]");
	buf_reset(&want);
	buf_lit(&want, "[{\"center\":{\"x\":1,\"y\":2,\"wkb\":\"");
	b64_of_hex(&want, "0101000000" D_1 D_2);
	buf_lit(&want, "\",\"srid\":null},\"radius\":3}]");
	CHECK_STR(conv(719, "{\"<(1,2),3>\"}", &DEF), want.data);
	/* one bad element: the whole value is refused */
	CHECK_STR(conv(1020, "{(3,4),(1,2);(1,1)}", &DEF), "ERR");
}

/* ---------------------------------------------------------------- schemas */

/* A one-column table's value schema, the column's field only. */
static const char *
field_of(uint32_t oid, int key)
{
	static char field[2048];
	struct relcache_col col;
	struct relcache_rel rel;
	const char *start;
	const char *end;

	memset(&col, 0, sizeof(col));
	memset(&rel, 0, sizeof(rel));
	col.name = (char *) "c";
	col.typid = oid;
	col.typmod = -1;
	col.flags = key ? 1 : 0;
	convert_builtin(oid, -1, &col.conv);
	rel.schema = (char *) "s";
	rel.table = (char *) "t";
	rel.ncols = 1;
	rel.cols = &col;
	rel.keyflag = 1;
	buf_reset(&sch);
	if (key)
		schema_key(&sch, &rel, "p", &DEF);
	else
		schema_envelope(&sch, &rel, "p", &DEF);
	/* the key's fields, or the envelope's first struct's (before) */
	start = strstr(sch.data, "\"fields\":[");
	if (start && !key)
		start = strstr(start + 10, "\"fields\":[");
	end = strstr(sch.data, key ? "],\"optional\":false,\"name\":\"p.s.t.Key\"}" :
				 "],\"optional\":true,\"name\":\"p.s.t.Value\"");
	if (start == NULL || end == NULL || end < start)
		return sch.data;
	start += 10;
	snprintf(field, sizeof(field), "%.*s", (int) (end - start), start);
	return field;
}

#define POINT_FIELDS \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"x\"}," \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"y\"}," \
	"{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"}," \
	"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}"
#define GEOMETRY \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"bytes\",\"optional\":false,\"field\":\"wkb\"}," \
	"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}," \
	"{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false}," \
	"\"values\":{\"type\":\"string\",\"optional\":false},\"optional\":true,\"field\":\"extensions\"}]," \
	"\"optional\":true,\"name\":\"io.debezium.data.geometry.Geometry\",\"version\":2,\"doc\":\"Geometry\""
#define CIRCLE \
	"{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":[" POINT_FIELDS "]," \
	"\"optional\":false,\"name\":\"io.debezium.data.geometry.Point\",\"version\":1," \
	"\"doc\":\"Geometry (POINT)\",\"field\":\"center\"}," \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"radius\"}]," \
	"\"optional\":true,\"name\":\"io.debezium.data.geometry.Circle\",\"version\":1," \
	"\"doc\":\"Geometry (CIRCLE)\""
#define LINE \
	"{\"type\":\"struct\",\"fields\":[" \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"a\"}," \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"b\"}," \
	"{\"type\":\"double\",\"optional\":false,\"field\":\"c\"}]," \
	"\"optional\":true,\"name\":\"io.debezium.data.geometry.Line\",\"version\":1," \
	"\"doc\":\"Geometry (LINE)\""
#define F(s) s ",\"field\":\"c\"}"

/*
 * Debezium's builders: Geometry.builder(), Circle.builder() and
 * Line.builder() call optional() themselves, so their columns are
 * optional even when NOT NULL or in the key; Point.builder() does not.
 */
static void
test_schemas(void)
{
	static const uint32_t geometry_oids[] = {601, 602, 603, 604};

	for (size_t i = 0; i < 4; i++)
	{
		CHECK_STR(field_of(geometry_oids[i], 0), F(GEOMETRY));
		CHECK_STR(field_of(geometry_oids[i], 1), F(GEOMETRY));
	}
	CHECK_STR(field_of(718, 0), F(CIRCLE));
	CHECK_STR(field_of(718, 1), F(CIRCLE));
	CHECK_STR(field_of(628, 0), F(LINE));
	CHECK_STR(field_of(628, 1), F(LINE));
	CHECK_STR(field_of(600, 0),
			  F("{\"type\":\"struct\",\"fields\":[" POINT_FIELDS "],\"optional\":true,"
				"\"name\":\"io.debezium.data.geometry.Point\",\"version\":1,\"doc\":\"Geometry (POINT)\""));
	CHECK_STR(field_of(600, 1),
			  F("{\"type\":\"struct\",\"fields\":[" POINT_FIELDS "],\"optional\":false,"
				"\"name\":\"io.debezium.data.geometry.Point\",\"version\":1,\"doc\":\"Geometry (POINT)\""));
	/* arrays: items of the element's schema */
	CHECK_STR(field_of(1020, 0), F("{\"type\":\"array\",\"items\":" GEOMETRY "},\"optional\":true"));
	CHECK_STR(field_of(719, 0), F("{\"type\":\"array\",\"items\":" CIRCLE "},\"optional\":true"));
	CHECK_STR(field_of(629, 0), F("{\"type\":\"array\",\"items\":" LINE "},\"optional\":true"));
}

int
main(void)
{
	buf_init(&res, 0);
	buf_init(&scratch, 0);
	buf_init(&want, 0);
	buf_init(&sch, 0);

	test_constants();
	test_box();
	test_lseg();
	test_path();
	test_polygon();
	test_long();
	test_circle();
	test_line();
	test_numbers();
	test_binary_modes();
	test_arrays();
	test_schemas();

	buf_free(&res);
	buf_free(&scratch);
	buf_free(&want);
	buf_free(&sch);
	return TEST_REPORT("test_geometry");
}

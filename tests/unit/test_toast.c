/*
 * test_toast.c — unit tests for md5.c and toast.c: MD5 against RFC
 * 1321's test suite, the name-based UUID against Java's
 * UUID.nameUUIDFromBytes, every placeholder form for the default and for
 * custom placeholders, and the form chosen for each column type and mode.
 *
 * Expected values come from RFC 1321 (appendix A.5), from the issue's
 * Debezium value (b68a35a7-…), and from an independent computation
 * (Python's hashlib/base64 on the placeholder's UTF-8 bytes); none was
 * taken from walcap's output.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "md5.h"
#include "toast.h"
#include "testhelp.h"

static const char *
md5_hex(const char *s, size_t n)
{
	static char hex[33];
	uint8_t		d[16];

	md5(s, n, d);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return hex;
}

#define MD5S(s) md5_hex((s), strlen(s))

static void
test_md5(void)
{
	char		b[200];

	/* RFC 1321, A.5 */
	CHECK_STR(MD5S(""), "d41d8cd98f00b204e9800998ecf8427e");
	CHECK_STR(MD5S("a"), "0cc175b9c0f1b6a831c399e269772661");
	CHECK_STR(MD5S("abc"), "900150983cd24fb0d6963f7d28e17f72");
	CHECK_STR(MD5S("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
	CHECK_STR(MD5S("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
	CHECK_STR(MD5S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
			  "d174ab98d277d9f5a5611c2c9f419d9f");
	CHECK_STR(MD5S("1234567890123456789012345678901234567890"
				   "1234567890123456789012345678901234567890"),
			  "57edf4a22be3c955ac49da2e2107b67a");

	/* the padding's edges: 55, 56, 63, 64, 65 and 128 bytes of 'x' (hashlib) */
	memset(b, 'x', sizeof(b));
	CHECK_STR(md5_hex(b, 55), "04364420e25c512fd958a70738aa8f72");
	CHECK_STR(md5_hex(b, 56), "668a72d5ba17f08e62dabcafad6db14b");
	CHECK_STR(md5_hex(b, 63), "7dc2ca208106a2f703567bdff99d8981");
	CHECK_STR(md5_hex(b, 64), "c1bb4f81d892b2d57947682aeb252456");
	CHECK_STR(md5_hex(b, 65), "1bc932052302d074bdec39795fe00cf6");
	CHECK_STR(md5_hex(b, 128), "d69cb61a6ee87200676eb0d4b90edbcb");
}

static void
test_uuid(void)
{
	char		u[37];

	toast_uuid_v3("__debezium_unavailable_value", 28, u);
	CHECK_STR(u, "b68a35a7-17ad-35b3-af2a-ae46edb4545a");
	toast_uuid_v3("", 0, u);
	CHECK_STR(u, "d41d8cd9-8f00-3204-a980-0998ecf8427e");
	toast_uuid_v3("\xC3\xA9 \xE2\x98\x83", 6, u);
	CHECK_STR(u, "f5e48c8a-9dd5-3489-98f4-a7389283e0b2");
}

static struct buf fb;

/* Form f of t as a C string, valid until the next call. */
static const char *
form(const struct toast *t, enum toast_form f)
{
	buf_reset(&fb);
	toast_put(t, &fb, f);
	return fb.data ? fb.data : "";
}

static void
test_forms(void)
{
	struct toast t;

#define PH "__debezium_unavailable_value"
#define PH_B64 "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="
#define PH_NUMS "[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]"
	CHECK_INT(toast_init(&t, PH), 0);
	CHECK_STR(form(&t, TOAST_STRING), "\"" PH "\"");
	CHECK_STR(form(&t, TOAST_BASE64), "\"" PH_B64 "\"");
	CHECK_STR(form(&t, TOAST_BASE64_URL), "\"" PH_B64 "\"");
	CHECK_STR(form(&t, TOAST_VSD), "{\"scale\":0,\"value\":\"" PH_B64 "\"}");
	CHECK_STR(form(&t, TOAST_MAP), "{\"" PH "\":\"" PH "\"}");
	CHECK_STR(form(&t, TOAST_JSON_MAP), "\"{\\\"" PH "\\\":\\\"" PH "\\\"}\"");
	CHECK_STR(form(&t, TOAST_ARR_STRING), "[\"" PH "\"]");
	CHECK_STR(form(&t, TOAST_ARR_BASE64), "[\"" PH_B64 "\"]");
	CHECK_STR(form(&t, TOAST_ARR_BASE64_URL), "[\"" PH_B64 "\"]");
	CHECK_STR(form(&t, TOAST_ARR_VSD), "[{\"scale\":0,\"value\":\"" PH_B64 "\"}]");
	CHECK_STR(form(&t, TOAST_ARR_MAP), "[{\"" PH "\":\"" PH "\"}]");
	CHECK_STR(form(&t, TOAST_ARR_JSON_MAP), "[\"{\\\"" PH "\\\":\\\"" PH "\\\"}\"]");
	CHECK_STR(form(&t, TOAST_NUMBERS), PH_NUMS);
	CHECK_STR(form(&t, TOAST_UUIDS), "[\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"]");
	toast_free(&t);

	/* escapes, and non-ASCII: Java's bytes are signed */
	CHECK_INT(toast_init(&t, "<un\"avail>"), 0);
	CHECK_STR(form(&t, TOAST_STRING), "\"<un\\\"avail>\"");
	CHECK_STR(form(&t, TOAST_MAP), "{\"<un\\\"avail>\":\"<un\\\"avail>\"}");
	CHECK_STR(form(&t, TOAST_JSON_MAP), "\"{\\\"<un\\\\\\\"avail>\\\":\\\"<un\\\\\\\"avail>\\\"}\"");
	CHECK_STR(form(&t, TOAST_NUMBERS), "[60,117,110,34,97,118,97,105,108,62]");
	CHECK_STR(form(&t, TOAST_BASE64), "\"PHVuImF2YWlsPg==\"");
	CHECK_STR(form(&t, TOAST_UUIDS), "[\"697427e5-d305-3b4a-80c2-e4758875ab7c\"]");
	toast_free(&t);
	CHECK_INT(toast_init(&t, "\xC3\xA9 \xE2\x98\x83"), 0);
	CHECK_STR(form(&t, TOAST_NUMBERS), "[-61,-87,32,-30,-104,-125]");
	CHECK_STR(form(&t, TOAST_ARR_BASE64), "[\"w6kg4piD\"]");
	CHECK_STR(form(&t, TOAST_ARR_STRING), "[\"\xC3\xA9 \xE2\x98\x83\"]");
	toast_free(&t);
	/* the two base64 alphabets: "?\?>" is 3f 3f 3e */
	CHECK_INT(toast_init(&t, "?\?>"), 0);
	CHECK_STR(form(&t, TOAST_BASE64), "\"Pz8+\"");
	CHECK_STR(form(&t, TOAST_BASE64_URL), "\"Pz8-\"");
	CHECK_STR(form(&t, TOAST_ARR_BASE64_URL), "[\"Pz8-\"]");
	toast_free(&t);
	/* the empty placeholder */
	CHECK_INT(toast_init(&t, ""), 0);
	CHECK_STR(form(&t, TOAST_STRING), "\"\"");
	CHECK_STR(form(&t, TOAST_NUMBERS), "[]");
	CHECK_STR(form(&t, TOAST_ARR_BASE64), "[\"\"]");
	CHECK_STR(form(&t, TOAST_MAP), "{\"\":\"\"}");
	CHECK_STR(form(&t, TOAST_UUIDS), "[\"d41d8cd9-8f00-3204-a980-0998ecf8427e\"]");
	toast_free(&t);
}

/* The form of built-in type oid (typmod) under modes o. */
static enum toast_form
of(uint32_t oid, int32_t typmod, const struct convert_opts *o)
{
	struct convert_type c;

	CHECK_INT(convert_builtin(oid, typmod, &c), 0);
	return toast_form(&c, oid, 0, o);
}

#define NUMERIC_TYPMOD(p, s) ((int32_t) (((p) << 16) | (s)) + 4)

static void
test_form_of(void)
{
	struct convert_opts d = {0};	/* Debezium's defaults */
	struct convert_opts o = {0};
	struct convert_type hs = {.kind = CONVERT_HSTORE, .typmod = -1};
	struct convert_type hsa = {.kind = CONVERT_ARRAY, .elem_kind = CONVERT_HSTORE, .typmod = -1};
	struct convert_type en = {.kind = CONVERT_ARRAY, .elem_kind = CONVERT_STRING, .typmod = -1};

	/* Debezium's own shapes */
	CHECK_INT(of(1009, -1, &d), TOAST_ARR_STRING);	/* text[] */
	CHECK_INT(of(1015, 24, &d), TOAST_ARR_STRING);	/* varchar(20)[] */
	CHECK_INT(of(1014, 14, &d), TOAST_ARR_STRING);	/* bpchar(10)[] */
	CHECK_INT(of(199, -1, &d), TOAST_ARR_STRING);	/* json[] */
	CHECK_INT(of(3807, -1, &d), TOAST_ARR_STRING);	/* jsonb[] */
	CHECK_INT(of(1001, -1, &d), TOAST_ARR_BASE64);	/* bytea[] */
	CHECK_INT(of(1007, -1, &d), TOAST_NUMBERS);	/* int4[] */
	CHECK_INT(of(1016, -1, &d), TOAST_NUMBERS);	/* int8[] */
	CHECK_INT(of(1182, -1, &d), TOAST_NUMBERS);	/* date[] */
	CHECK_INT(of(2951, -1, &d), TOAST_UUIDS);	/* uuid[] */
	CHECK_INT(toast_form(&hs, 16500, 0, &d), TOAST_JSON_MAP);	/* hstore */
	o.hstore = CONVERT_HSTORE_MAP;
	CHECK_INT(toast_form(&hs, 16500, 0, &o), TOAST_MAP);
	o.hstore = CONVERT_HSTORE_JSON;
	CHECK_INT(of(25, -1, &d), TOAST_STRING);	/* text */
	CHECK_INT(of(114, -1, &d), TOAST_STRING);	/* json */
	CHECK_INT(of(3802, -1, &d), TOAST_STRING);	/* jsonb */
	CHECK_INT(of(142, -1, &d), TOAST_STRING);	/* xml */
	CHECK_INT(of(3614, -1, &d), TOAST_STRING);	/* tsvector */
	CHECK_INT(of(17, -1, &d), TOAST_BASE64);	/* bytea, bytes mode */
	o.binary = CONVERT_BINARY_HEX;
	CHECK_INT(of(17, -1, &o), TOAST_STRING);	/* hex mode: the string */
	CHECK_INT(of(1001, -1, &o), TOAST_ARR_STRING);
	o.binary = CONVERT_BINARY_BASE64;
	CHECK_INT(of(17, -1, &o), TOAST_BASE64);
	CHECK_INT(of(1001, -1, &o), TOAST_ARR_BASE64);
	o.binary = CONVERT_BINARY_BASE64_URL_SAFE;
	CHECK_INT(of(17, -1, &o), TOAST_BASE64_URL);
	CHECK_INT(of(1001, -1, &o), TOAST_ARR_BASE64_URL);
	o.binary = CONVERT_BINARY_BYTES;
	/* Decimal bytes ignore binary.handling.mode */
	o.binary = CONVERT_BINARY_HEX;
	CHECK_INT(of(1700, NUMERIC_TYPMOD(10, 2), &o), TOAST_BASE64);
	o.binary = CONVERT_BINARY_BYTES;

	/* shaped by the same rules where Debezium's marker does not fit */
	CHECK_INT(of(1005, -1, &d), TOAST_NUMBERS);	/* int2[] */
	CHECK_INT(of(1028, -1, &d), TOAST_NUMBERS);	/* oid[] */
	CHECK_INT(of(1021, -1, &d), TOAST_NUMBERS);	/* float4[] */
	CHECK_INT(of(1022, -1, &d), TOAST_NUMBERS);	/* float8[] */
	CHECK_INT(of(1115, -1, &d), TOAST_NUMBERS);	/* timestamp[] */
	CHECK_INT(of(1183, -1, &d), TOAST_NUMBERS);	/* time[] */
	CHECK_INT(of(1187, -1, &d), TOAST_NUMBERS);	/* interval[], numeric mode */
	CHECK_INT(of(1185, -1, &d), TOAST_ARR_STRING);	/* timestamptz[] */
	CHECK_INT(of(1270, -1, &d), TOAST_ARR_STRING);	/* timetz[] */
	CHECK_INT(of(1041, -1, &d), TOAST_ARR_STRING);	/* inet[] */
	CHECK_INT(of(3905, -1, &d), TOAST_ARR_STRING);	/* int4range[] */
	CHECK_INT(of(143, -1, &d), TOAST_ARR_STRING);	/* xml[] */
	CHECK_INT(of(1231, -1, &d), TOAST_ARR_VSD);	/* numeric[] */
	CHECK_INT(of(1231, NUMERIC_TYPMOD(5, 2), &d), TOAST_ARR_BASE64);	/* numeric(5,2)[] */
	CHECK_INT(of(1700, -1, &d), TOAST_VSD);	/* numeric */
	CHECK_INT(of(1700, NUMERIC_TYPMOD(10, 2), &d), TOAST_BASE64);
	CHECK_INT(of(791, -1, &d), TOAST_ARR_BASE64);	/* money[] */
	CHECK_INT(of(1563, -1, &d), TOAST_ARR_BASE64);	/* varbit[] */
	CHECK_INT(of(1562, -1, &d), TOAST_BASE64);	/* varbit */
	CHECK_INT(toast_form(&hsa, 16505, 0, &d), TOAST_ARR_JSON_MAP);	/* hstore[] */
	CHECK_INT(toast_form(&en, 16510, 0, &d), TOAST_ARR_STRING);	/* an enum's array */
	o.decimal = CONVERT_DECIMAL_STRING;
	o.interval = CONVERT_INTERVAL_STRING;
	o.hstore = CONVERT_HSTORE_MAP;
	CHECK_INT(of(1700, -1, &o), TOAST_STRING);
	CHECK_INT(of(1231, -1, &o), TOAST_ARR_STRING);
	CHECK_INT(of(1187, -1, &o), TOAST_ARR_STRING);
	CHECK_INT(toast_form(&hsa, 16505, 0, &o), TOAST_ARR_MAP);
	o.decimal = CONVERT_DECIMAL_DOUBLE;
	CHECK_INT(of(1231, -1, &o), TOAST_NUMBERS);
	CHECK_INT(of(791, -1, &o), TOAST_NUMBERS);
	/* a domain over uuid[] is a uuid[] */
	{
		struct convert_type ua = {.kind = CONVERT_ARRAY, .elem_kind = CONVERT_STRING, .typmod = -1};

		CHECK_INT(toast_form(&ua, 16520, 2951, &d), TOAST_UUIDS);
	}

	/* no value of the type holds it: the string */
	CHECK_INT(of(1000, -1, &d), TOAST_STRING);	/* bool[] */
	CHECK_INT(of(1017, -1, &d), TOAST_STRING);	/* point[] */
	/* the geometric structs, and arrays of them: no shape holds it */
	CHECK_INT(of(602, -1, &d), TOAST_STRING);	/* path */
	CHECK_INT(of(604, -1, &d), TOAST_STRING);	/* polygon */
	CHECK_INT(of(1020, -1, &d), TOAST_STRING);	/* box[] */
	CHECK_INT(of(719, -1, &d), TOAST_STRING);	/* circle[] */
	CHECK_INT(of(629, -1, &d), TOAST_STRING);	/* line[] */
	CHECK_INT(of(1561, 1, &d), TOAST_STRING);	/* bit(1)[] */
	CHECK_INT(of(1700, -1, &o), TOAST_STRING);	/* numeric, double mode */
	CHECK_INT(of(23, -1, &d), TOAST_STRING);	/* (fixed-size types never arrive as 'u') */
}

int
main(void)
{
	buf_init(&fb, 0);
	test_md5();
	test_uuid();
	test_forms();
	test_form_of();
	buf_free(&fb);
	return TEST_REPORT("test_toast");
}

/*
 * test_convert_binary.c — unit tests for convert_binary.c: binary send
 * formats to the text each type's output function writes, and to the
 * same JSON as the text path in every mode.
 *
 * The bytes are written out by hand from each *_send function's layout
 * (float bits from IEEE 754, day counts from the proleptic calendar);
 * the expected texts are what PostgreSQL 15 prints for the same values
 * under CONVERT_SESSION_OPTIONS.  Each value is copied into a malloc'd
 * block of exactly its length, so a read past the end shows up under
 * AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "convert_binary.h"
#include "json.h"
#include "testhelp.h"

/* hex (spaces ignored) into a fresh block of exactly its length */
static unsigned char *
unhex(const char *hex, size_t *len)
{
	unsigned char *p = malloc(strlen(hex) / 2 + 1);
	size_t		n = 0;
	int			hi = -1;

	for (const char *s = hex; *s; s++)
	{
		int			v;

		if (*s == ' ')
			continue;
		v = *s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10;
		if (hi < 0)
			hi = v;
		else
		{
			p[n++] = (unsigned char) (hi << 4 | v);
			hi = -1;
		}
	}
	*len = n;
	return realloc(p, n ? n : 1);
}

static struct buf out;

/* the text of hex as type t, or "ERR" */
static const char *
text_t(const struct convert_type *t, const char *hex)
{
	size_t		len;
	unsigned char *p = unhex(hex, &len);
	int			rc;

	buf_reset(&out);
	buf_lit(&out, "<");
	rc = convert_binary_text(&out, t, (const char *) p, len);
	free(p);
	if (rc != 0)
	{
		CHECK_INT((int) out.len, 1);
		return "ERR";
	}
	buf_putc(&out, '\0');
	return out.data + 1;
}

static const char *
text_of(uint32_t oid, const char *hex)
{
	struct convert_type t;

	CHECK_INT(convert_builtin(oid, -1, &t), 0);
	return text_t(&t, hex);
}

struct tcase
{
	uint32_t	oid;
	const char *hex;
	const char *want;
};

static const struct tcase text_cases[] = {
	{16, "01", "t"},
	{16, "00", "f"},
	{16, "02", "ERR"},
	{16, "0100", "ERR"},
	{21, "fffe", "-2"},
	{23, "80000000", "-2147483648"},
	{23, "000005", "ERR"},
	{20, "7fffffffffffffff", "9223372036854775807"},
	{20, "8000000000000000", "-9223372036854775808"},
	{26, "ffffffff", "4294967295"},
	{5069, "ffffffffffffffff", "18446744073709551615"},
	/* float8: the fewest digits, fixed from 1e-4 to below 1e15 */
	{701, "3fb999999999999a", "0.1"},
	{701, "4415af1d78b58c40", "1e+20"},
	{701, "430c6bf526340000", "1e+15"},
	{701, "42d6bcc41e900000", "100000000000000"},
	{701, "42dc12218377de40", "123456789012345"},
	{701, "3eef75104d551d69", "1.5e-05"},
	{701, "3f1a36e2eb1c432d", "0.0001"},
	{701, "4345ee2a2eb5a5c4", "1.2345678901234568e+16"},
	{701, "bdeeec7bd512b572", "-2.25e-10"},
	{701, "0000000000000001", "5e-324"},
	{701, "8000000000000000", "-0"},
	{701, "7ff8000000000000", "NaN"},
	{701, "fff0000000000000", "-Infinity"},
	{701, "7ff0000000000000", "Infinity"},
	/* float4: fixed below 1e6 */
	{700, "3dcccccd", "0.1"},
	{700, "49742400", "1e+06"},
	{700, "47f12000", "123456"},
	{700, "7f7fffff", "3.4028235e+38"},
	/* numeric: ndigits, weight, sign, dscale, base-10000 digits */
	{1700, "0003 0001 0000 0003 0001 0929 1a7c", "12345.678"},
	{1700, "0001 fffe 0000 0005 03e8", "0.00001"},
	{1700, "0002 0000 4000 0002 04d2 15e0", "-1234.56"},
	{1700, "0000 0000 0000 0002", "0.00"},
	{1700, "0001 0002 0000 0000 0001", "100000000"},
	{1700, "0000 0000 c000 0000", "NaN"},
	{1700, "0000 0000 d000 0000", "Infinity"},
	{1700, "0000 0000 f000 0000", "-Infinity"},
	{1700, "0001 0000 0000 0000 2710", "ERR"},	/* a digit of 10000 */
	{1700, "0001 0000 1234 0000 0001", "ERR"},	/* no such sign */
	{1700, "0002 0000 0000 0000 0001", "ERR"},	/* one digit short */
	{790, "fffffffffffe1dc0", "-$1,234.56"},
	{790, "0000000000000005", "$0.05"},
	{790, "8000000000000000", "-$92,233,720,368,547,758.08"},
	{17, "deadbeef", "\\xdeadbeef"},
	{17, "", "\\x"},
	/* date: days after 2000-01-01 */
	{1082, "00000000", "2000-01-01"},
	{1082, "ffffffff", "1999-12-31"},
	{1082, "00002279", "2024-02-29"},
	{1082, "fff49d7b", "0044-03-15 BC"},
	{1082, "7fffffff", "infinity"},
	{1082, "80000000", "-infinity"},
	/* time and timetz: µs; the zone in seconds west */
	{1083, "0000000b8839b4c0", "13:45:30.123456"},
	{1083, "000000141dd76000", "24:00:00"},
	{1083, "000000141dd76001", "ERR"},
	{1266, "0000000b883f73a0 ffffb2a8", "13:45:30.5+05:30"},
	{1266, "00000000 00000000 00007080", "00:00:00-08"},
	{1266, "00000000 00000000 fffff175", "00:00:00+01:02:03"},
	/* timestamp(tz): µs after 2000-01-01 */
	{1114, "0000000000000000", "2000-01-01 00:00:00"},
	{1114, "ffffffffffffffff", "1999-12-31 23:59:59.999999"},
	{1114, "7fffffffffffffff", "infinity"},
	{1184, "0000000000000000", "2000-01-01 00:00:00+00"},
	{1184, "000000000007a120", "2000-01-01 00:00:00.5+00"},
	/* interval: time, days, months */
	{1186, "000000036c97a760 00000003 0000000e", "P1Y2M3DT4H5M6.78S"},
	{1186, "fffffffffff85ee0 00000002 ffffffff", "P-1M2DT-0.5S"},
	{1186, "0000000000000000 00000000 00000000", "PT0S"},
	{1186, "0000000000000000 00000000 00000018", "P2Y"},
	{2950, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	/* inet/cidr: family, bits, is_cidr, length, address */
	{869, "02 18 00 04 c0a80105", "192.168.1.5/24"},
	{869, "02 20 00 04 c0a80105", "192.168.1.5"},
	{869, "03 80 00 10 00000000000000000000000000000001", "::1"},
	{869, "03 80 00 10 00000000000000000000ffff01020304", "::ffff:1.2.3.4"},
	/* a run of seven zero groups takes group 6 too: not dotted */
	{869, "03 80 00 10 00000000000000000000000000000002", "::2"},
	{869, "03 80 00 10 00000000000000000000000001020304", "::1.2.3.4"},
	{869, "03 40 00 10 20010db8000000000000000000000001", "2001:db8::1/64"},
	{869, "03 80 00 10 00010000000000010000000000000001", "1:0:0:1::1"},
	{869, "03 80 00 10 00010002000300040005000600070000", "1:2:3:4:5:6:7:0"},
	{869, "03 80 00 10 00000000000000000000000000000000", "::"},
	{869, "02 21 00 04 c0a80105", "ERR"},
	{650, "02 08 01 04 0a000000", "10.0.0.0/8"},
	{650, "02 20 01 04 0a010203", "10.1.2.3/32"},
	{829, "08002b010203", "08:00:2b:01:02:03"},
	{774, "08002b0102030405", "08:00:2b:01:02:03:04:05"},
	{1560, "00000003 a0", "101"},
	{1562, "00000000", ""},
	{1562, "0000000a 8040", "1000000001"},
	{1562, "00000009 80", "ERR"},
	/* geometry: float8 pairs */
	{600, "3ff8000000000000 c000000000000000", "(1.5,-2)"},
	{601, "0000000000000000 0000000000000000 3ff0000000000000 3ff0000000000000", "[(0,0),(1,1)]"},
	{603, "4008000000000000 4010000000000000 3ff0000000000000 4000000000000000", "(3,4),(1,2)"},
	{602, "01 00000002 0000000000000000 0000000000000000 3ff0000000000000 3ff0000000000000", "((0,0),(1,1))"},
	{602, "00 00000001 0000000000000000 0000000000000000", "[(0,0)]"},
	{602, "02 00000001 0000000000000000 0000000000000000", "ERR"},
	{604, "00000001 3ff0000000000000 4000000000000000", "((1,2))"},
	{604, "00000002 3ff0000000000000 4000000000000000", "ERR"},
	{718, "3ff0000000000000 4000000000000000 4008000000000000", "<(1,2),3>"},
	{628, "3ff0000000000000 bff0000000000000 0000000000000000", "{1,-1,0}"},
	{27, "0000000a0003", "(10,3)"},
	{3220, "000000010000abcd", "1/ABCD"},
	{3802, "01 7b2261223a20317d", "{\"a\": 1}"},
	{3802, "02 7b7d", "ERR"},
	{25, "68c3a9", "h\xc3\xa9"},
	/* tsvector: count, then lexeme NUL, npos, positions (weight on top) */
	{3614, "00000003 6100 0000 63617400 0000 66617400 0001 0002", "'a' 'cat' 'fat':2"},
	{3614, "00000001 6974277300 0002 c002 0005", "'it''s':2A,5"},
	{3614, "00000001 6974", "ERR"},
	/* arrays: ndim, has nulls, element type, (length, lower bound)s, elements */
	{1007, "00000001 00000001 00000017 00000003 00000001 00000004 00000001 00000004 00000002 ffffffff",
	"{1,2,NULL}"},
	{1007, "00000002 00000000 00000017 00000002 00000001 00000002 00000001"
		" 00000004 00000001 00000004 00000002 00000004 00000003 00000004 00000004",
	"{{1,2},{3,4}}"},
	{1007, "00000001 00000000 00000017 00000002 00000000 00000004 00000001 00000004 00000002",
	"[0:1]={1,2}"},
	{1007, "00000000 00000000 00000017", "{}"},
	{1007, "00000001 00000000 00000017 7fffffff 00000001 00000004 00000001", "ERR"},
	{1007, "00000001 00000000 00000017 00000001 00000001 00000004 00000001 00", "ERR"},
	{1009, "00000001 00000001 00000019 00000006 00000001 00000001 61 00000003 622063"
		" 00000003 642265 ffffffff 00000004 4e554c4c 00000000",
	"{a,\"b c\",\"d\\\"e\",NULL,\"NULL\",\"\"}"},
	{1020, "00000001 00000000 0000025b 00000002 00000001"
		" 00000020 4008000000000000 4010000000000000 3ff0000000000000 4000000000000000"
		" 00000020 3ff0000000000000 3ff0000000000000 0000000000000000 0000000000000000",
	"{(3,4),(1,2);(1,1),(0,0)}"},
	/* ranges: flags, then bounds as length and bytes */
	{3904, "02 00000004 00000001 00000004 0000000a", "[1,10)"},
	{3904, "01", "empty"},
	{3904, "0c 00000004 00000005", "(,5]"},
	{3904, "02 00000004 00000001", "ERR"},
	{3908, "02 00000008 0000000000000000 00000008 000000141dd76000",
	"[\"2000-01-01 00:00:00\",\"2000-01-02 00:00:00\")"},
	{4451, "00000002 00000011 02 00000004 00000002 00000004 0000000b"
		" 00000011 02 00000004 00000014 00000004 0000001e",
	"{[2,11),[20,30)}"},
	{4451, "00000000", "{}"},
};

/* hstore and enums come from the catalog: their rules by hand */
static void
test_catalog_types(void)
{
	struct convert_type hs = {.kind = CONVERT_HSTORE, .typmod = -1, .bin = CONVERT_BIN_HSTORE};
	struct convert_type hsa = {.kind = CONVERT_ARRAY, .elem_kind = CONVERT_HSTORE, .typmod = -1,
	.delim = ',', .bin = CONVERT_BIN_ARRAY, .elem_bin = CONVERT_BIN_HSTORE};
	struct convert_type comp = {.kind = CONVERT_STRING, .typmod = -1};

	CHECK_STR(text_t(&hs, "00000002 00000001 61 00000001 31 00000003 622063 ffffffff"),
			  "\"a\"=>\"1\", \"b c\"=>NULL");
	CHECK_STR(text_t(&hs, "00000001 00000002 225c 00000000"), "\"\\\"\\\\\"=>\"\"");
	CHECK_STR(text_t(&hs, "00000000"), "");
	CHECK_STR(text_t(&hs, "00000001 ffffffff 00000000"), "ERR");
	CHECK_STR(text_t(&hsa, "00000001 00000000 00004000 00000001 00000001 0000000e 00000001 00000001 61 00000001 31"),
			  "{\"\\\"a\\\"=>\\\"1\\\"\"}");
	CHECK(!convert_binary_readable(&comp));
	CHECK_STR(text_t(&comp, "01"), "ERR");
	/* not read: "char", regclass, tsquery, int2vector */
	CHECK_STR(text_of(18, "61"), "ERR");
	CHECK_STR(text_of(2205, "00000001"), "ERR");
	CHECK_STR(text_of(3615, "00000000"), "ERR");
	CHECK_STR(text_of(22, "00000000 00000000 00000015"), "ERR");
	/* an array of ranges is not read */
	CHECK_STR(text_of(3905, "00000000 00000000 00000f40"), "ERR");
}

/*
 * The JSON of each case's bytes is the JSON of its text, in every mode
 * (what keeps binary and text events the same).
 */
static void
test_value_matches_text(void)
{
	struct convert_opts modes[] = {
		{0},
		{.binary = CONVERT_BINARY_HEX, .decimal = CONVERT_DECIMAL_STRING,
		.time = CONVERT_TIME_CONNECT, .interval = CONVERT_INTERVAL_STRING, .hstore = CONVERT_HSTORE_MAP},
		{.binary = CONVERT_BINARY_BASE64_URL_SAFE, .decimal = CONVERT_DECIMAL_DOUBLE,
		.time = CONVERT_TIME_ADAPTIVE_MICRO},
	};
	struct buf	a, b, scratch;

	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&scratch, 0);
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++)
	{
		const struct tcase *c = &text_cases[i];
		struct convert_type t;
		size_t		len;
		unsigned char *p;

		if (strcmp(c->want, "ERR") == 0)
			continue;
		convert_builtin(c->oid, c->oid == 1700 ? 0x00080006 : -1, &t);	/* numeric(4,2)... */
		if (c->oid != 1700)
			t.typmod = -1;
		p = unhex(c->hex, &len);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		{
			int			rb, rt;

			buf_reset(&a);
			buf_reset(&b);
			rb = convert_binary_value(&a, &scratch, &t, (const char *) p, len, &modes[m]);
			rt = convert_value(&b, &t, c->want, strlen(c->want), &modes[m]);
			if (rt != 0)
				json_text(&b, c->want, strlen(c->want));
			buf_putc(&a, '\0');
			buf_putc(&b, '\0');
			if (strcmp(a.data, b.data) != 0)
				fprintf(stderr, "test_convert_binary: OID %u \"%s\" mode %zu\n", c->oid, c->want, m);
			CHECK_STR(a.data, b.data);
			CHECK_INT(rb, rt == 0 ? 0 : 1);
		}
		free(p);
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&scratch);
}

int
main(void)
{
	buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++)
	{
		const char *got = text_of(text_cases[i].oid, text_cases[i].hex);

		if (strcmp(got, text_cases[i].want) != 0)
			fprintf(stderr, "test_convert_binary: OID %u bytes %s\n", text_cases[i].oid, text_cases[i].hex);
		CHECK_STR(got, text_cases[i].want);
	}
	test_catalog_types();
	test_value_matches_text();
	buf_free(&out);
	return TEST_REPORT("test_convert_binary");
}

/*
 * test_convert.c — unit tests for convert.c: every kind in every mode.
 *
 * Inputs are texts PostgreSQL 15 printed under CONVERT_SESSION_OPTIONS.
 * Expected values were computed independently: epochs and day counts
 * with the server (extract(epoch ...), date subtraction, encode(...,
 * 'base64')), decimals, bit strings, points, intervals and temporal
 * strings with Debezium's own Java code paths (BigInteger.toByteArray,
 * BitSet.toByteArray, MicroDuration.durationMicros, Interval.toIsoString,
 * the ZonedTimestamp formatter) run on a JVM.  See docs/events.md ("Column types").
 *
 * Every conversion copies its input into a malloc'd block of exactly the
 * text's length, so a read past the end shows up under AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "testhelp.h"

/* bytes, precise, adaptive, numeric, json: Debezium's defaults */
static const struct convert_opts DEF;

static struct buf res;			/* the last result, for CHECK_STR */
static struct buf scratch;		/* the buf the conversions write to */

#define PREFIX "<prefix>"

/*
 * Convert text[0..len) as type t with options o.  Returns the JSON
 * appended, or "ERR" if convert_value() refused the text; either way it
 * also checks the bytes before the value were kept and, on refusal,
 * that nothing at all was appended.
 */
static const char *
conv_t(const struct convert_type *t, const char *text, size_t len,
	   const struct convert_opts *o)
{
	char	   *copy = malloc(len ? len : 1);
	int			rc;

	memcpy(copy, text, len);
	buf_reset(&scratch);
	buf_lit(&scratch, PREFIX);
	rc = convert_value(&scratch, t, copy, len, o);
	free(copy);
	CHECK(scratch.len >= sizeof(PREFIX) - 1 &&
		  memcmp(scratch.data, PREFIX, sizeof(PREFIX) - 1) == 0);
	buf_reset(&res);
	if (rc != 0)
	{
		CHECK_INT(scratch.len, sizeof(PREFIX) - 1);
		CHECK(scratch.data[scratch.len] == '\0');
		buf_lit(&res, "ERR");
	}
	else
		buf_append(&res, scratch.data + sizeof(PREFIX) - 1,
				   scratch.len - (sizeof(PREFIX) - 1));
	if (res.data == NULL)
		buf_lit(&res, "");
	return res.data;
}

/* A scalar of the given kind and typmod. */
static const char *
cv(enum convert_kind kind, int32_t typmod, const char *text,
   const struct convert_opts *o)
{
	struct convert_type t;

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.typmod = typmod;
	t.delim = ',';
	return conv_t(&t, text, strlen(text), o);
}

/* An array of elements of the given kind, typmod and delimiter. */
static const char *
cva(enum convert_kind elem, int32_t typmod, char delim, const char *text,
	const struct convert_opts *o)
{
	struct convert_type t;

	memset(&t, 0, sizeof(t));
	t.kind = CONVERT_ARRAY;
	t.elem_kind = elem;
	t.typmod = typmod;
	t.delim = delim;
	return conv_t(&t, text, strlen(text), o);
}

/* Options with the given modes. */
static struct convert_opts
opts(enum convert_binary_mode b, enum convert_decimal_mode d,
	 enum convert_time_mode t, enum convert_interval_mode i,
	 enum convert_hstore_mode h)
{
	struct convert_opts o;

	o.binary = b;
	o.decimal = d;
	o.time = t;
	o.interval = i;
	o.hstore = h;
	return o;
}

/* numeric(p,s) typmod as PostgreSQL 15 builds it (scale may be negative) */
static int32_t
numeric_typmod(int p, int s)
{
	return (int32_t) (((uint32_t) p << 16) | ((uint32_t) s & 0x7ff)) + 4;
}

/* Java: Base64 of new BigInteger(digits).toByteArray(), see test_numeric_huge() */
static const char d1000_b64[] =
	"eEX5Ar+0R179wPqer5kFX/+fmKc+Ch+NxYf6ik3QjgALchuYWQwWaqWl17jDHGbT"
	"XwV7Xi0yRxExSNljF9O95CoNO7F6QGpc9xJtWTvtdWOqSkCCx/5j7trIt2ix1aTN"
	"RjEAMrLEq/bYUhh84UaEsG2YUCv/6AVmyEAYnmMjBXW4LvOTRBIymKSl/9253TcD"
	"seWsHk1SUmcT/L5FvAJ8wI5P3yd2P2RYpAO7Rw63SyW7l0WONh9/VQK1yWK16ZiT"
	"ceWWYKM1+mZtWaq5rVtlZaBr5hBnFNxdeawrTGaL/i3BYrvybhaIHGWqnjthmPc+"
	"WuM+gqwUAzB+55VEiU2skx/HKOG9vrzv27eNJhepsF162KBWN9al4oR2QhWAmmcb"
	"/62DL7O90QUl0E2PuzmLxFHA5ubb5+4LgtDvO5i2bHKdCuonqweA0WFRVzLyZTRM"
	"flHSBuOVmdXshG7TjlY/etpwZfrdi5z8zoHDK24fcl6o7zTQ3+1HGX/vfi4UL7AC"
	"eLJ282WdbMZ7KixZD5oXLbEkxHuW0oXHlGchKCu20w==";
static const char d1000neg_b64[] =
	"/iouq01DJ8k08MYtBCISQwEBeJOytah0vjRk1VPACVVP00pENOQoyG9o8C1WRdkO"
	"VlTSlhgfc5pk13tu1Ors4jy7vE7SunRghNrgBNtt6G1yrs30ASLGSaL5X/OPCVV0"
	"PiXQlzn1r8BDwv9QWDAEia7T5QbUIF2q5oHFn9VMvzKsKIiYiL4Y6lu815CF4ffh"
	"GZEW16mh9m4dWey4v5mWSK/UGABN2hhgBb9RbHJuhAJ0mzkYTHyU9pvtaeVWaWeE"
	"AAsXLJaCdSXf5Nm9GrLS++sFWoVP7VaDMty3dt2PbScdRJZR1QH3/FES3YXoCsJ6"
	"NGz4U9GP0dOKkEdg7EeoleFL3ghOMs7t9w27AKMzkScS2CHNrzXhiAMqkg3cAaTd"
	"OqFCN42p4oeD5EpRBoynNgkgpnoKNP4GIwj/2X8zd2hgSo1dVQvqsM4b2kNg/SSr"
	"tTKQY5UW/58UXBqvFZv/GAgauPGkDpaixHlVHZ5Z1Sk+PBmZsBVJIkRkQHscASW4"
	"dliG31k7EQ8YruNCxBsOFXWECGB9OtmlbGRNJnsVPdXU";
static const char f300_b64[] =
	"A4NQBuTn4B2yEBRbcq3fc/7SFW4T9q/1S2pZQMjL0faHYjlREAE52l/Q0BC5JRD1"
	"KEGVNegff5JmuDHpnOSzcXf4aWAhVyXi3psJXOZbi9Goa04snEPHOSDu+Tv0kTXE"
	"bn4S3+38T38ODmj1kTEqUuHnys9YpDdTorG2deo=";

static void
test_bool(void)
{
	CHECK_STR(cv(CONVERT_BOOL, -1, "t", &DEF), "true");
	CHECK_STR(cv(CONVERT_BOOL, -1, "f", &DEF), "false");
	CHECK_STR(cv(CONVERT_BOOL, -1, "true", &DEF), "true");
	CHECK_STR(cv(CONVERT_BOOL, -1, "false", &DEF), "false");
	CHECK_STR(cv(CONVERT_BOOL, -1, "T", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BOOL, -1, "yes", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BOOL, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BOOL, -1, "tt", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BOOL, -1, "1", &DEF), "ERR");
}

static void
test_int(void)
{
	CHECK_STR(cv(CONVERT_INT, -1, "0", &DEF), "0");
	CHECK_STR(cv(CONVERT_INT, -1, "42", &DEF), "42");
	CHECK_STR(cv(CONVERT_INT, -1, "-32768", &DEF), "-32768");
	CHECK_STR(cv(CONVERT_INT, -1, "2147483647", &DEF), "2147483647");
	CHECK_STR(cv(CONVERT_INT, -1, "4294967295", &DEF), "4294967295");
	CHECK_STR(cv(CONVERT_INT, -1, "9223372036854775807", &DEF),
			  "9223372036854775807");
	CHECK_STR(cv(CONVERT_INT, -1, "-9223372036854775808", &DEF),
			  "-9223372036854775808");
	CHECK_STR(cv(CONVERT_INT, -1, "18446744073709551615", &DEF),
			  "18446744073709551615");	/* xid8 */
	CHECK_STR(cv(CONVERT_INT, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "-", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "+1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "01", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "-01", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "1.0", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "1e3", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, " 1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "1 ", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "12a", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INT, -1, "123456789012345678901", &DEF), "ERR");
}

static void
test_float(void)
{
	/* float8out / float4out texts of 12+ (extra_float_digits > 0: shortest exact) */
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1e+30", &DEF), "1e+30");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.5", &DEF), "1.5");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "100", &DEF), "100");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1e-05", &DEF), "1e-05");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "-0", &DEF), "-0");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.1", &DEF), "0.1");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.000123", &DEF), "0.000123");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.7976931348623157e+308", &DEF),
			  "1.7976931348623157e+308");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "5e-324", &DEF), "5e-324");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.2345678901234568e+17", &DEF),
			  "1.2345678901234568e+17");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.6777216e+07", &DEF), "1.6777216e+07");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "3.4028235e+38", &DEF), "3.4028235e+38");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "NaN", &DEF), "\"NaN\"");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "Infinity", &DEF), "\"Infinity\"");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "-Infinity", &DEF), "\"-Infinity\"");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "nan", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "inf", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, ".5", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1e", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1e+", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "--1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0x10", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1,5", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "+1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "01", &DEF), "ERR");
	/* float4out texts of PostgreSQL 12+ are the shortest already */
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "0.33333334", &DEF), "0.33333334");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "1.6777216e+07", &DEF), "1.6777216e+07");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "NaN", &DEF), "\"NaN\"");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "1,5", &DEF), "ERR");
}

/*
 * Servers before 12 print floats with extra_float_digits=3 as %.18g
 * (float8) and %.9g (float4): exact, but longer than the shortest text
 * that reads back as the same value.  Inputs are PostgreSQL 10's texts
 * under CONVERT_SESSION_OPTIONS; the expected values are what
 * PostgreSQL 12 prints for the same values (0.1::float8 + 0.2,
 * 1/3::float8, 1e16, 123456789012345678, 0.1, 1e30; 1/3::real, 0.1::real).
 */
static void
test_float_legacy(void)
{
	struct convert_opts old = DEF;

	old.legacy_floats = 1;
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.300000000000000044", &old), "0.30000000000000004");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.333333333333333315", &old), "0.3333333333333333");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "10000000000000000", &old), "1e+16");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "123456789012345680", &old), "1.2345678901234568e+17");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.100000000000000006", &old), "0.1");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "1.00000000000000002e+30", &old), "1e+30");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "-2.25e-10", &old), "-2.25e-10");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "-0", &old), "-0");
	CHECK_STR(cv(CONVERT_FLOAT, -1, "-Infinity", &old), "\"-Infinity\"");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "0.333333343", &old), "0.33333334");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "0.100000001", &old), "0.1");
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "1.5", &old), "1.5");
	/* 16777216 needs all 8 digits: the text is kept (12+ spells it 1.6777216e+07) */
	CHECK_STR(cv(CONVERT_FLOAT4, -1, "16777216", &old), "16777216");
	/* without the flag the text is copied as it is */
	CHECK_STR(cv(CONVERT_FLOAT, -1, "0.300000000000000044", &DEF), "0.300000000000000044");
	/* arrays and point coordinates too */
	{
		struct convert_type at = {.kind = CONVERT_ARRAY, .elem_kind = CONVERT_FLOAT4, .typmod = -1, .delim = ','};
		struct convert_type pt = {.kind = CONVERT_POINT, .elem_kind = CONVERT_STRING, .typmod = -1, .delim = ','};

		CHECK_STR(conv_t(&at, "{0.333333343,NaN}", 17, &old), "[0.33333334,\"NaN\"]");
		CHECK_STR(conv_t(&pt, "(0.100000000000000006,-2)", 25, &old),
				  "{\"x\":0.1,\"y\":-2,\"wkb\":\"AQEAAACamZmZmZm5PwAAAAAAAADA\",\"srid\":null}");
	}
}

static void
test_numeric(void)
{
	struct convert_opts dbl = opts(0, CONVERT_DECIMAL_DOUBLE, 0, 0, 0);
	struct convert_opts str = opts(0, CONVERT_DECIMAL_STRING, 0, 0, 0);
	int32_t		n10_2 = numeric_typmod(10, 2);

	/* unconstrained: VariableScaleDecimal, trailing zeros stripped */
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0", &DEF), "{\"scale\":0,\"value\":\"AA==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "1.500", &DEF), "{\"scale\":1,\"value\":\"Dw==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-0.001", &DEF), "{\"scale\":3,\"value\":\"/w==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "100", &DEF), "{\"scale\":0,\"value\":\"ZA==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0.000", &DEF), "{\"scale\":0,\"value\":\"AA==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "127", &DEF), "{\"scale\":0,\"value\":\"fw==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "128", &DEF), "{\"scale\":0,\"value\":\"AIA=\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-128", &DEF), "{\"scale\":0,\"value\":\"gA==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-129", &DEF), "{\"scale\":0,\"value\":\"/38=\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "255", &DEF), "{\"scale\":0,\"value\":\"AP8=\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-256", &DEF), "{\"scale\":0,\"value\":\"/wA=\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "1234.56", &DEF), "{\"scale\":2,\"value\":\"AeJA\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-1234.56", &DEF), "{\"scale\":2,\"value\":\"/h3A\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "12345678901234567890", &DEF),
			  "{\"scale\":0,\"value\":\"AKtUqYzrHwrS\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-12345678901234567890", &DEF),
			  "{\"scale\":0,\"value\":\"/1SrVnMU4PUu\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "9223372036854775808", &DEF),
			  "{\"scale\":0,\"value\":\"AIAAAAAAAAAA\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "123456789012345678901234567890123456789", &DEF),
			  "{\"scale\":0,\"value\":\"XODppWAV/sWq36MorjmBFQ==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-99999999999999999999999999999999999999", &DEF),
			  "{\"scale\":0,\"value\":\"tMSzV6V5O4X2dd3AAAAAAQ==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0.00000000000000000001", &DEF),
			  "{\"scale\":20,\"value\":\"AQ==\"}");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "100000000000000000000", &DEF),
			  "{\"scale\":0,\"value\":\"BWvHXi1jEAAA\"}");

	/* numeric(p,s): Decimal at the column's scale */
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "1.50", &DEF), "\"AJY=\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-1234.56", &DEF), "\"/h3A\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "0.00", &DEF), "\"AA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "0.50", &DEF), "\"Mg==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-1.00", &DEF), "\"nA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(5, 0), "99999", &DEF), "\"AYaf\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(5, 0), "-99999", &DEF), "\"/nlh\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(38, 0),
				 "12345678901234567890123456789012345678", &DEF),
			  "\"CUmw9vACMxPESZBQ3jjzTg==\"");
	/* negative scale (PostgreSQL 15): 12300 in numeric(3,-2) is 123E2 */
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(3, -2), "12300", &DEF), "\"ew==\"");
	/* rescaling: padded, and rounded half away from zero */
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(10, 4), "1.5", &DEF), "\"Opg=\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(10, 4), "-1.5", &DEF), "\"xWg=\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(10, 4), "3", &DEF), "\"dTA=\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "1.235", &DEF), "\"fA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-1.235", &DEF), "\"hA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "1.234", &DEF), "\"ew==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "9.995", &DEF), "\"A+g=\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-0.004", &DEF), "\"AA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(3, -2), "49", &DEF), "\"AA==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(3, -2), "50", &DEF), "\"AQ==\"");
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(3, -2), "5", &DEF), "\"AA==\"");

	/* special values: no Decimal for them */
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "NaN", &DEF), "null");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "Infinity", &DEF), "null");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-Infinity", &DEF), "null");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "NaN", &dbl), "\"NaN\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "Infinity", &dbl), "\"Infinity\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-Infinity", &dbl), "\"-Infinity\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "NaN", &str), "\"NAN\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "Infinity", &str), "\"POSITIVE_INFINITY\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "-Infinity", &str), "\"NEGATIVE_INFINITY\"");

	/* double */
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "1234.56", &dbl), "1234.56");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-1234.56", &dbl), "-1234.56");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0.1", &dbl), "0.1");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0", &dbl), "0");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0.000", &dbl), "0");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "123456789.123456789", &dbl),
			  "123456789.12345679");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "1000000000000000000000000000000", &dbl),
			  "1e+30");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0.00000000000000000001", &dbl), "1e-20");

	/* string: the text */
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "1.500", &str), "\"1.500\"");
	CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "-1234.56", &str), "\"-1234.56\"");
	CHECK_STR(cv(CONVERT_NUMERIC, -1, "0", &str), "\"0\"");

	/* malformed, in every mode */
	for (int m = 0; m < 3; m++)
	{
		struct convert_opts o = opts(0, (enum convert_decimal_mode) m, 0, 0, 0);

		CHECK_STR(cv(CONVERT_NUMERIC, -1, "", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "-", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "1.", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, ".5", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "1e5", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "+1", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "1.2.3", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, n10_2, "abc", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, " 1", &o), "ERR");
		CHECK_STR(cv(CONVERT_NUMERIC, -1, "nan", &o), "ERR");
	}
}

/*
 * A numeric text of n digits "123456789123..." followed by suffix, in
 * malloc'd memory the caller frees.
 */
static char *
digit_run(size_t n, const char *prefix, const char *suffix)
{
	size_t		pl = strlen(prefix);
	size_t		sl = strlen(suffix);
	char	   *p = malloc(pl + n + sl + 1);

	memcpy(p, prefix, pl);
	for (size_t i = 0; i < n; i++)
		p[pl + i] = (char) ('1' + i % 9);
	memcpy(p + pl + n, suffix, sl + 1);
	return p;
}

static void
test_numeric_huge(void)
{
	struct convert_opts dbl = opts(0, CONVERT_DECIMAL_DOUBLE, 0, 0, 0);
	char	   *s;
	char	   *want;
	const char *got;
	size_t		n;

	/* 1000 digits: limbs in scratch; Java's BigInteger agrees */
	s = digit_run(1000, "", "");
	want = malloc(strlen(d1000_b64) + 32);
	sprintf(want, "{\"scale\":0,\"value\":\"%s\"}", d1000_b64);
	CHECK_STR(cv(CONVERT_NUMERIC, -1, s, &DEF), want);
	free(s);
	free(want);

	/* negative, rescaled from scale 1 to scale 3 */
	s = digit_run(1000, "-", ".5");
	want = malloc(strlen(d1000neg_b64) + 32);
	sprintf(want, "\"%s\"", d1000neg_b64);
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(1003, 3), s, &DEF), want);
	/* the same value, but in scratch after other output in the buf */
	CHECK_STR(cv(CONVERT_NUMERIC, numeric_typmod(1003, 3), s, &DEF), want);
	free(want);
	CHECK_STR(cv(CONVERT_NUMERIC, -1, s, &dbl), "\"-Infinity\"");
	free(s);

	/* 300 fraction digits */
	{
		char		f[303];
		char		w[256];

		f[0] = '0';
		f[1] = '.';
		for (int i = 0; i < 300; i++)
			f[2 + i] = (char) ('0' + (i * 3 + 1) % 10);
		f[302] = '\0';
		snprintf(w, sizeof(w), "{\"scale\":300,\"value\":\"%s\"}", f300_b64);
		CHECK_STR(cv(CONVERT_NUMERIC, -1, f, &DEF), w);
	}

	/*
	 * The largest magnitude numeric allows: 10^131071 + 12345 (131072
	 * digits), and its negation, against Java's length, head and tail.
	 */
	n = 131072;
	s = malloc(n + 2);
	s[0] = '-';
	s[1] = '1';
	memset(s + 2, '0', n - 1);
	memcpy(s + 1 + n - 5, "12345", 5);
	s[n + 1] = '\0';
	got = cv(CONVERT_NUMERIC, -1, s + 1, &DEF);
	CHECK_INT(strlen(got), 72572 + 22);
	CHECK(strncmp(got, "{\"scale\":0,\"value\":\"AVqluazKWKkuc69v", 36) == 0);
	CHECK(strcmp(got + strlen(got) - 18, "AAAAAAAAAAAwOQ==\"}") == 0);
	got = cv(CONVERT_NUMERIC, -1, s, &DEF);
	CHECK_INT(strlen(got), 72572 + 22);
	CHECK(strncmp(got, "{\"scale\":0,\"value\":\"/qVaRlM1p1bRjFCQ", 36) == 0);
	CHECK(strcmp(got + strlen(got) - 18, "///////////Pxw==\"}") == 0);
	CHECK_STR(cv(CONVERT_NUMERIC, -1, s, &dbl), "\"-Infinity\"");
	free(s);

	/* 16383 fraction digits after a 131072-digit integer part */
	s = malloc(131072 + 1 + 16383 + 1);
	memset(s, '9', 131072);
	s[131072] = '.';
	memset(s + 131073, '9', 16383);
	s[131072 + 1 + 16383] = '\0';
	got = cv(CONVERT_NUMERIC, -1, s, &DEF);
	CHECK(strncmp(got, "{\"scale\":16383,\"value\":\"", 24) == 0);
	CHECK(got[strlen(got) - 1] == '}');
	free(s);
}

static void
test_money(void)
{
	struct convert_opts dbl = opts(0, CONVERT_DECIMAL_DOUBLE, 0, 0, 0);
	struct convert_opts str = opts(0, CONVERT_DECIMAL_STRING, 0, 0, 0);

	CHECK_STR(cv(CONVERT_MONEY, -1, "$1,234.56", &DEF), "\"AeJA\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "-$1,234.56", &DEF), "\"/h3A\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$0.00", &DEF), "\"AA==\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$0.50", &DEF), "\"Mg==\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$1,000,000.00", &DEF), "\"BfXhAA==\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$92,233,720,368,547,758.07", &DEF),
			  "\"f/////////8=\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "-$92,233,720,368,547,758.08", &DEF),
			  "\"gAAAAAAAAAA=\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "($1.00)", &DEF), "\"nA==\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$-1.00", &DEF), "\"nA==\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "\xe2\x82\xac" "5.00", &DEF), "\"AfQ=\"");

	CHECK_STR(cv(CONVERT_MONEY, -1, "$1,234.56", &dbl), "1234.56");
	CHECK_STR(cv(CONVERT_MONEY, -1, "-$1,234.56", &dbl), "-1234.56");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$0.00", &dbl), "0");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$92,233,720,368,547,758.07", &dbl),
			  "9.223372036854776e+16");

	CHECK_STR(cv(CONVERT_MONEY, -1, "$1,234.56", &str), "\"1234.56\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "-$1,234.56", &str), "\"-1234.56\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$0.50", &str), "\"0.50\"");
	CHECK_STR(cv(CONVERT_MONEY, -1, "($1.00)", &str), "\"-1.00\"");

	CHECK_STR(cv(CONVERT_MONEY, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$1,,2", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$1.2.3", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "--$1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "($1.00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$1.00)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$1.00x", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "$,1", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_MONEY, -1, "123456789012345678901234567890123456789012345678",
				 &DEF), "ERR");
}

static void
test_bytea(void)
{
	struct convert_opts b64 = opts(CONVERT_BINARY_BASE64, 0, 0, 0, 0);
	struct convert_opts url = opts(CONVERT_BINARY_BASE64_URL_SAFE, 0, 0, 0, 0);
	struct convert_opts hex = opts(CONVERT_BINARY_HEX, 0, 0, 0, 0);
	char		longhex[2 + 200 + 1];
	static const char long_b64[] =
		"\"AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA"
		"/xD7AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA/xD7AP8Q+wD/EPsA/xD7AP8Q+w==\"";

	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0a1b", &DEF), "\"Chs=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0a1b", &b64), "\"Chs=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0a1b", &url), "\"Chs=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0a1b", &hex), "\"0a1b\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\xfbff", &DEF), "\"+/8=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\xfbff", &url), "\"-_8=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\xfbfffe", &b64), "\"+//+\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\xfbfffe", &url), "\"-__-\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x616263", &DEF), "\"YWJj\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0A1B", &hex), "\"0a1b\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0A1B", &DEF), "\"Chs=\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x", &DEF), "\"\"");
	CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x", &hex), "\"\"");

	/* 100 bytes: crosses the 48-byte chunks; PostgreSQL's encode() */
	memcpy(longhex, "\\x", 2);
	for (int i = 0; i < 25; i++)
		memcpy(longhex + 2 + 8 * i, "00ff10fb", 8);
	longhex[202] = '\0';
	CHECK_STR(cv(CONVERT_BYTEA, -1, longhex, &DEF), long_b64);
	{
		char		want[2 + 200 + 1];

		want[0] = '"';
		memcpy(want + 1, longhex + 2, 200);
		want[201] = '"';
		want[202] = '\0';
		CHECK_STR(cv(CONVERT_BYTEA, -1, longhex, &hex), want);
	}

	for (int m = 0; m < 4; m++)
	{
		struct convert_opts o = opts((enum convert_binary_mode) m, 0, 0, 0, 0);

		CHECK_STR(cv(CONVERT_BYTEA, -1, "0a1b", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\xzz", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\X00", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\x0g", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\", &o), "ERR");
		CHECK_STR(cv(CONVERT_BYTEA, -1, "\\000", &o), "ERR");	/* escape format */
	}
}

static void
test_bit(void)
{
	struct convert_opts hex = opts(CONVERT_BINARY_HEX, 0, 0, 0, 0);
	char		bits400[401];

	/* bit(1) and varbit(1): booleans */
	CHECK_STR(cv(CONVERT_BIT, 1, "1", &DEF), "true");
	CHECK_STR(cv(CONVERT_BIT, 1, "0", &DEF), "false");
	CHECK_STR(cv(CONVERT_BIT, 1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BIT, 1, "2", &DEF), "ERR");

	/* Debezium's own test vectors (BitSet.toByteArray, little-endian) */
	CHECK_STR(cv(CONVERT_BIT, 2, "11", &DEF), "\"Aw==\"");
	CHECK_STR(cv(CONVERT_BIT, 7, "1000000", &DEF), "\"QA==\"");
	CHECK_STR(cv(CONVERT_BIT, 2, "00", &DEF), "\"\"");
	CHECK_STR(cv(CONVERT_BIT, 24, "000000110000001000000001", &DEF), "\"AQID\"");
	CHECK_STR(cv(CONVERT_BIT, 64,
				 "1000000000000000000000000000000000000000000000000000000000000000",
				 &DEF), "\"AAAAAAAAAIA=\"");
	CHECK_STR(cv(CONVERT_BIT, -1, "101", &DEF), "\"BQ==\"");
	CHECK_STR(cv(CONVERT_BIT, -1, "111011010001000110000001000000001", &DEF),
			  "\"AQIj2gE=\"");
	CHECK_STR(cv(CONVERT_BIT, -1, "1", &DEF), "\"AQ==\"");
	CHECK_STR(cv(CONVERT_BIT, -1, "", &DEF), "\"\"");
	/* Bits are BYTES: base64 whatever binary.handling.mode says */
	CHECK_STR(cv(CONVERT_BIT, -1, "101", &hex), "\"BQ==\"");

	for (int i = 0; i < 400; i++)
		bits400[i] = (i * 7) % 3 == 0 ? '1' : '0';
	bits400[400] = '\0';
	CHECK_STR(cv(CONVERT_BIT, 400, bits400, &DEF),
			  "\"SZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZIkSZI=\"");

	CHECK_STR(cv(CONVERT_BIT, 8, "10201", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BIT, 8, "1 0", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_BIT, -1, "B101", &DEF), "ERR");
}

static void
test_string(void)
{
	CHECK_STR(cv(CONVERT_STRING, -1, "hello", &DEF), "\"hello\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "", &DEF), "\"\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "a\"b\\c", &DEF), "\"a\\\"b\\\\c\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "tab\tnl\n\x01", &DEF),
			  "\"tab\\tnl\\n\\u0001\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "caf\xc3\xa9 \xe2\x82\xac", &DEF),
			  "\"caf\xc3\xa9 \xe2\x82\xac\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "bad\xff", &DEF), "\"bad\xef\xbf\xbd\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "{\"a\": [1, 2]}", &DEF),
			  "\"{\\\"a\\\": [1, 2]}\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "(1,2),(3,4)", &DEF), "\"(1,2),(3,4)\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "[1,10)", &DEF), "\"[1,10)\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "192.168.0.1/24", &DEF), "\"192.168.0.1/24\"");
	CHECK_STR(cv(CONVERT_STRING, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &DEF),
			  "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
}

static void
test_date(void)
{
	struct convert_opts con = opts(0, 0, CONVERT_TIME_CONNECT, 0, 0);

	/* days since the epoch, as the server subtracts them */
	CHECK_STR(cv(CONVERT_DATE, -1, "1970-01-01", &DEF), "0");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-04", &DEF), "18690");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-04", &con), "18690");
	CHECK_STR(cv(CONVERT_DATE, -1, "1969-12-31", &DEF), "-1");
	CHECK_STR(cv(CONVERT_DATE, -1, "2000-02-29", &DEF), "11016");
	CHECK_STR(cv(CONVERT_DATE, -1, "1600-03-01", &DEF), "-135080");
	CHECK_STR(cv(CONVERT_DATE, -1, "0001-01-01", &DEF), "-719162");
	CHECK_STR(cv(CONVERT_DATE, -1, "0001-12-31 BC", &DEF), "-719163");
	CHECK_STR(cv(CONVERT_DATE, -1, "0005-02-29 BC", &DEF), "-720930");
	CHECK_STR(cv(CONVERT_DATE, -1, "0044-03-15 BC", &DEF), "-735160");
	CHECK_STR(cv(CONVERT_DATE, -1, "4713-01-01 BC", &DEF), "-2440550");
	CHECK_STR(cv(CONVERT_DATE, -1, "5874897-12-31", &DEF), "2145042905");
	/* Debezium's sentinels (epoch days of -5877611-06-21 / -22) */
	CHECK_STR(cv(CONVERT_DATE, -1, "infinity", &DEF), "-2147472692");
	CHECK_STR(cv(CONVERT_DATE, -1, "-infinity", &DEF), "-2147472691");

	CHECK_STR(cv(CONVERT_DATE, -1, "2021-02-29", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "1900-02-29", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "0004-02-29 BC", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2000-02-30", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-13-01", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-00-10", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-01-00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "21-03-04", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-3-04", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-4", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-04 AD", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-04 BC ", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "0000-01-01", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "2021-03-04T", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "Infinity", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_DATE, -1, "03/04/2021", &DEF), "ERR");
}

static void
test_time(void)
{
	struct convert_opts mic = opts(0, 0, CONVERT_TIME_ADAPTIVE_MICRO, 0, 0);
	struct convert_opts con = opts(0, 0, CONVERT_TIME_CONNECT, 0, 0);

	/* adaptive: MicroTime for time and time(4..6), Time for time(0..3) */
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56", &DEF), "45296000000");
	CHECK_STR(cv(CONVERT_TIME, 6, "12:34:56.5", &DEF), "45296500000");
	CHECK_STR(cv(CONVERT_TIME, 4, "12:34:56.1234", &DEF), "45296123400");
	CHECK_STR(cv(CONVERT_TIME, 3, "12:34:56.789", &DEF), "45296789");
	CHECK_STR(cv(CONVERT_TIME, 0, "12:34:57", &DEF), "45297000");
	CHECK_STR(cv(CONVERT_TIME, -1, "00:00:00", &DEF), "0");
	CHECK_STR(cv(CONVERT_TIME, -1, "00:00:00.000001", &DEF), "1");
	CHECK_STR(cv(CONVERT_TIME, -1, "23:59:59.999999", &DEF), "86399999999");
	CHECK_STR(cv(CONVERT_TIME, -1, "24:00:00", &DEF), "86400000000");
	CHECK_STR(cv(CONVERT_TIME, 3, "24:00:00", &DEF), "86400000");
	/* adaptive_time_microseconds: always MicroTime */
	CHECK_STR(cv(CONVERT_TIME, 3, "12:34:56.789", &mic), "45296789000");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56.789123", &mic), "45296789123");
	/* connect: milliseconds, truncated */
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56.789999", &con), "45296789");
	CHECK_STR(cv(CONVERT_TIME, 3, "12:34:56.789", &con), "45296789");

	CHECK_STR(cv(CONVERT_TIME, -1, "25:00:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "24:00:01", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "24:00:00.000001", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:60:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:00:60", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56.", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56.1234567", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "1:02:03", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "12:34:56+00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIME, -1, "", &DEF), "ERR");
}

static void
test_timetz(void)
{
	struct convert_opts con = opts(0, 0, CONVERT_TIME_CONNECT, 0, 0);

	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:34:56+05:30", &DEF), "\"07:04:56Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:34:56.5-08", &DEF), "\"20:34:56.5Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:34:56.5-08", &con), "\"20:34:56.5Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "24:00:00+00", &DEF), "\"24:00:00Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "24:00:00+05", &DEF), "\"19:00:00Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "01:00:00+05", &DEF), "\"20:00:00Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+05:30:15", &DEF), "\"06:29:45Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "00:00:00-15:59", &DEF), "\"15:59:00Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "23:00:00-02", &DEF), "\"01:00:00Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00.123456+00", &DEF),
			  "\"12:00:00.123456Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00.12+00", &DEF), "\"12:00:00.12Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "00:00:00.000001+00", &DEF),
			  "\"00:00:00.000001Z\"");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+00", &DEF), "\"12:00:00Z\"");

	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+5", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+05:3", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00Z", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+05:60", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00 +05", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMETZ, -1, "12:00:00+05 ", &DEF), "ERR");
}

static void
test_timestamp(void)
{
	struct convert_opts mic = opts(0, 0, CONVERT_TIME_ADAPTIVE_MICRO, 0, 0);
	struct convert_opts con = opts(0, 0, CONVERT_TIME_CONNECT, 0, 0);

	/* the example in Debezium's documentation */
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20 15:13:16.945104", &DEF),
			  "1529507596945104");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 6, "2018-06-20 15:13:16.945104", &mic),
			  "1529507596945104");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20 15:13:16.945104", &con),
			  "1529507596945");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 3, "2018-06-20 15:13:16.945", &DEF),
			  "1529507596945");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 3, "2018-06-20 15:13:16.945", &mic),
			  "1529507596945");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 0, "2018-06-20 15:13:17", &DEF),
			  "1529507597000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 4, "2018-06-20 15:13:16.9451", &DEF),
			  "1529507596945100");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "1970-01-01 00:00:00", &DEF), "0");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2000-02-29 12:00:00.000001", &DEF),
			  "951825600000001");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "1900-03-01 00:00:00", &DEF),
			  "-2203891200000000");
	/* before the epoch: milliseconds round down */
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "1969-12-31 23:59:59.999999", &DEF), "-1");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "1969-12-31 23:59:59.999999", &con), "-1");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 3, "1969-12-31 23:59:59.999", &DEF), "-1");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "1969-12-31 23:59:59.0005", &con), "-1000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "0044-03-15 12:00:00 BC", &DEF),
			  "-63517780800000000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "0001-01-01 00:00:00 BC", &DEF),
			  "-62167219200000000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "4713-01-01 00:00:00 BC", &DEF),
			  "-210863520000000000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "4713-01-01 00:00:00 BC", &con),
			  "-210863520000000");
	/* the last timestamp: fine in milliseconds, past int64 in microseconds */
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "294276-12-31 23:59:59.999999", &con),
			  "9224318015999999");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "294276-12-31 23:59:59.999999", &DEF),
			  "ERR");
	/* infinities: PGStatement's sentinels */
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "infinity", &DEF), "9223372036825200000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "-infinity", &DEF), "-9223372036832400000");
	CHECK_STR(cv(CONVERT_TIMESTAMP, 3, "infinity", &DEF), "9223372036825200");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "-infinity", &con), "-9223372036832400");

	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20T15:13:16", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20 15:13:16+00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20 24:00:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-31 00:00:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "2018-06-20  15:13:16", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "Infinity", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMP, -1, "", &DEF), "ERR");
}

static void
test_timestamptz(void)
{
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 12:00:00.5+00", &DEF),
			  "\"2021-01-01T12:00:00.500000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 6, "2021-01-01 12:00:00+00", &DEF),
			  "\"2021-01-01T12:00:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 3, "2021-01-01 12:00:00.5+00", &DEF),
			  "\"2021-01-01T12:00:00.500Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 1, "2021-01-01 12:00:00.5+00", &DEF),
			  "\"2021-01-01T12:00:00.5Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 0, "2021-01-01 12:00:00+00", &DEF),
			  "\"2021-01-01T12:00:00Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 0, "2021-01-01 12:00:00.5+00", &DEF),
			  "\"2021-01-01T12:00:00.5Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, 2, "10000-01-01 00:00:00+00", &DEF),
			  "\"+10000-01-01T00:00:00.00Z\"");
	/* Debezium's own test values */
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2016-11-04 11:51:30.123456+00", &DEF),
			  "\"2016-11-04T11:51:30.123456Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2020-04-01 11:51:02+00", &DEF),
			  "\"2020-04-01T11:51:02.000000Z\"");
	/* offsets move the instant to UTC, across day and year ends */
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 12:00:00+05:30", &DEF),
			  "\"2021-01-01T06:30:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 01:00:00+05", &DEF),
			  "\"2020-12-31T20:00:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-02-28 23:30:00-01", &DEF),
			  "\"2021-03-01T00:30:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "1800-01-01 05:53:28+05:53:28", &DEF),
			  "\"1800-01-01T00:00:00.000000Z\"");
	/* BC: astronomical years as java.time prints them */
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "0044-03-15 12:00:00+00 BC", &DEF),
			  "\"-0043-03-15T12:00:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "0001-01-01 00:00:00+00 BC", &DEF),
			  "\"0000-01-01T00:00:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "0001-01-01 00:00:00+01", &DEF),
			  "\"0000-12-31T23:00:00.000000Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "294276-12-31 23:59:59.999999+00", &DEF),
			  "\"+294276-12-31T23:59:59.999999Z\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "infinity", &DEF), "\"infinity\"");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "-infinity", &DEF), "\"-infinity\"");

	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 12:00:00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 12:00:00 +00", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01 12:00:00+00 AD", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-01-01T12:00:00Z", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_TIMESTAMPTZ, -1, "2021-02-29 12:00:00+00", &DEF), "ERR");
}

static void
test_interval(void)
{
	struct convert_opts str = opts(0, 0, 0, CONVERT_INTERVAL_STRING, 0);
	static const struct
	{
		const char *text;
		const char *micros;
		const char *iso;
	}			cases[] = {
		/* PostgreSQL iso_8601 text; Java MicroDuration / Interval */
		{"P1Y2M3DT4H5M6.78S", "37091106780000", "\"P1Y2M3DT4H5M6.78S\""},
		{"PT0S", "0", "\"P0Y0M0DT0H0M0S\""},
		{"P-1Y-2M3DT-4H-5M-6S", "-36572706000000", "\"P-1Y-2M3DT-4H-5M-6S\""},
		{"PT-0.5S", "-500000", "\"P0Y0M0DT0H0M-0.5S\""},
		{"P1DT0.000001S", "86400000001", "\"P0Y0M1DT0H0M0.000001S\""},
		{"P1M15D", "3925800000000", "\"P0Y1M15DT0H0M0S\""},
		{"P1Y", "31557600000000", "\"P1Y0M0DT0H0M0S\""},
		{"P1M", "2629800000000", "\"P0Y1M0DT0H0M0S\""},
		{"P-1M", "-2629800000000", "\"P0Y-1M0DT0H0M0S\""},
		{"P1M-1D", "2543400000000", "\"P0Y1M-1DT0H0M0S\""},
		{"P-1DT1S", "-86399000000", "\"P0Y0M-1DT0H0M1S\""},
		{"PT1000000H", "3600000000000000", "\"P0Y0M0DT1000000H0M0S\""},
		{"PT1M", "60000000", "\"P0Y0M0DT0H1M0S\""},
		{"PT-1M-0.000001S", "-60000001", "\"P0Y0M0DT0H-1M-0.000001S\""},
		{"PT0.123456S", "123456", "\"P0Y0M0DT0H0M0.123456S\""},
		{"PT0.1S", "100000", "\"P0Y0M0DT0H0M0.1S\""},
		/* the double arithmetic truncates: 1.000001 s is 999999.9999... */
		{"PT1.000001S", "1000000", "\"P0Y0M0DT0H0M1.000001S\""},
		{"P5Y11M30DT23H59M59.999999S", "189394199999999",
		"\"P5Y11M30DT23H59M59.999999S\""},
		/* getSeconds() as a double prints as 59.999916999999996 */
		{"PT-59.999917S", "-59999917", "\"P0Y0M0DT0H0M-59.999916999S\""},
		/* (long) of a double past the range saturates */
		{"P178000000Y", "9223372036854775807", "\"P178000000Y0M0DT0H0M0S\""},
		{"P-178000000Y", "-9223372036854775808", "\"P-178000000Y0M0DT0H0M0S\""},
		{"P2147483647D", "9223372036854775807", "\"P0Y0M2147483647DT0H0M0S\""},
		{"PT2562047788H54.775807S", "9223372036854775807",
		"\"P0Y0M0DT2562047788H0M54.775807S\""},
		/* seconds of 16+ digits print as Java's shortest double */
		{"PT9223372036854.775807S", "9223372036854775807",
		"\"P0Y0M0DT0H0M9223372036854.775S\""},
		{"PT-999999999.999999S", "-999999999999999",
		"\"P0Y0M0DT0H0M-999999999.999999S\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		CHECK_STR(cv(CONVERT_INTERVAL, -1, cases[i].text, &DEF), cases[i].micros);
		CHECK_STR(cv(CONVERT_INTERVAL, -1, cases[i].text, &str), cases[i].iso);
	}

	CHECK_STR(cv(CONVERT_INTERVAL, -1, "", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT", &str), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "1Y", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1Y2Y", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1D2M", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1S2M", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1M2H", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1.5Y", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1.S", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1.5H", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1YT", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1.1234567S", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1Y ", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P1H", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1D", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P--1Y", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "1 year 2 mons", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "PT1SX", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_INTERVAL, -1, "P9999999999Y", &DEF), "ERR");
}

static void
test_point(void)
{
	CHECK_STR(cv(CONVERT_POINT, -1, "(1,2)", &DEF),
			  "{\"x\":1,\"y\":2,\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\",\"srid\":null}");
	CHECK_STR(cv(CONVERT_POINT, -1, "(1.5,-2e+30)", &DEF),
			  "{\"x\":1.5,\"y\":-2e+30,\"wkb\":\"AQEAAAAAAAAAAAD4P+qMoDlZPjnG\",\"srid\":null}");
	CHECK_STR(cv(CONVERT_POINT, -1, "(NaN,Infinity)", &DEF),
			  "{\"x\":\"NaN\",\"y\":\"Infinity\","
			  "\"wkb\":\"AQEAAAAAAAAAAAD4fwAAAAAAAPB/\",\"srid\":null}");
	CHECK_STR(cv(CONVERT_POINT, -1, "(-0,0.1)", &DEF),
			  "{\"x\":-0,\"y\":0.1,\"wkb\":\"AQEAAAAAAAAAAAAAgJqZmZmZmbk/\",\"srid\":null}");
	CHECK_STR(cv(CONVERT_POINT, -1, "(1,2", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "1,2", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "(1;2)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "(1,2,3)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "(,)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "(a,b)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "( 1,2)", &DEF), "ERR");
	CHECK_STR(cv(CONVERT_POINT, -1, "", &DEF), "ERR");
}

static void
test_hstore(void)
{
	struct convert_opts map = opts(0, 0, 0, 0, CONVERT_HSTORE_MAP);
	const char *text = "\"a\"=>\"1\", \"b\"=>NULL, \"e\"=>\"\", \"c d\"=>\"x\\\"y\"";

	CHECK_STR(cv(CONVERT_HSTORE, -1, text, &map),
			  "{\"a\":\"1\",\"b\":null,\"e\":\"\",\"c d\":\"x\\\"y\"}");
	CHECK_STR(cv(CONVERT_HSTORE, -1, text, &DEF),
			  "\"{\\\"a\\\":\\\"1\\\",\\\"b\\\":null,\\\"e\\\":\\\"\\\","
			  "\\\"c d\\\":\\\"x\\\\\\\"y\\\"}\"");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "", &map), "{}");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "", &DEF), "\"{}\"");
	/* "k\\ey"=>"v\\al" holds k\ey => v\al */
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"k\\\\ey\"=>\"v\\\\al\"", &map),
			  "{\"k\\\\ey\":\"v\\\\al\"}");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"k\\\\ey\"=>\"v\\\\al\"", &DEF),
			  "\"{\\\"k\\\\\\\\ey\\\":\\\"v\\\\\\\\al\\\"}\"");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"NULL\"=>\"NULL\"", &map), "{\"NULL\":\"NULL\"}");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>NULL", &DEF), "\"{\\\"a\\\":null}\"");
	/* control characters stay raw in hstore_out's quotes */
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>\"line1\nline2\", \"t\"=>\"tab\tx\"", &map),
			  "{\"a\":\"line1\\nline2\",\"t\":\"tab\\tx\"}");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>\"line1\nline2\"", &DEF),
			  "\"{\\\"a\\\":\\\"line1\\\\nline2\\\"}\"");
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"\xc3\xa9\"=>\"\xe2\x82\xac\"", &DEF),
			  "\"{\\\"\xc3\xa9\\\":\\\"\xe2\x82\xac\\\"}\"");
	/* the key order is the text's (hstore_out sorts by length, then bytes) */
	CHECK_STR(cv(CONVERT_HSTORE, -1, "\"b\"=>\"2\", \"aa\"=>\"1\"", &map),
			  "{\"b\":\"2\",\"aa\":\"1\"}");

	for (int m = 0; m < 2; m++)
	{
		struct convert_opts o = opts(0, 0, 0, 0, (enum convert_hstore_mode) m);

		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=\"1\"", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "a=>1", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>\"1\",", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>\"1\" \"b\"=>\"2\"", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>nul", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, "\"a\"=>\"1\\", &o), "ERR");
		CHECK_STR(cv(CONVERT_HSTORE, -1, ", \"a\"=>\"1\"", &o), "ERR");
	}
}

static void
test_array(void)
{
	struct convert_opts str = opts(0, CONVERT_DECIMAL_STRING, 0, CONVERT_INTERVAL_STRING, 0);
	struct convert_opts map = opts(0, 0, 0, 0, CONVERT_HSTORE_MAP);

	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1,2,NULL}", &DEF), "[1,2,null]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{{1,2},{3,4}}", &DEF), "[[1,2],[3,4]]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{{{1},{2}},{{3},{4}}}", &DEF),
			  "[[[1],[2]],[[3],[4]]]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "[0:1]={5,6}", &DEF), "[5,6]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "[1:1][-1:0]={{1,2}}", &DEF), "[[1,2]]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{}", &DEF), "[]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{null,NuLl}", &DEF), "[null,null]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{ 1 , 2 }", &DEF), "[1,2]");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{\"1\",\"-2\"}", &DEF), "[1,-2]");
	CHECK_STR(cva(CONVERT_STRING, -1, ',',
				  "{\"a,b\",\"c\\\"d\",\"e\\\\f\",\"NULL\",NULL,\"\",\" x \",plain}",
				  &DEF),
			  "[\"a,b\",\"c\\\"d\",\"e\\\\f\",\"NULL\",null,\"\",\" x \",\"plain\"]");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{\"{a}\",\"tab\\\there\"}", &DEF),
			  "[\"{a}\",\"tab\\there\"]");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{\"{\\\"a\\\": [1, 2]}\"}", &DEF),
			  "[\"{\\\"a\\\": [1, 2]}\"]");
	/* box uses ';' between elements, and commas inside them */
	CHECK_STR(cva(CONVERT_STRING, -1, ';', "{(3,4),(1,2);(7,8),(5,6)}", &DEF),
			  "[\"(3,4),(1,2)\",\"(7,8),(5,6)\"]");
	CHECK_STR(cva(CONVERT_BOOL, -1, ',', "{t,f,NULL}", &DEF), "[true,false,null]");
	CHECK_STR(cva(CONVERT_FLOAT, -1, ',', "{NaN,Infinity,1.5,-0}", &DEF),
			  "[\"NaN\",\"Infinity\",1.5,-0]");
	CHECK_STR(cva(CONVERT_NUMERIC, numeric_typmod(5, 2), ',', "{1.50,NaN,-1.00}", &DEF),
			  "[\"AJY=\",null,\"nA==\"]");
	CHECK_STR(cva(CONVERT_NUMERIC, -1, ',', "{1.5,0}", &DEF),
			  "[{\"scale\":1,\"value\":\"Dw==\"},{\"scale\":0,\"value\":\"AA==\"}]");
	CHECK_STR(cva(CONVERT_NUMERIC, -1, ',', "{1.5,0}", &str), "[\"1.5\",\"0\"]");
	CHECK_STR(cva(CONVERT_MONEY, -1, ',', "{$1.00,-$2.50}", &DEF), "[\"ZA==\",\"/wY=\"]");
	CHECK_STR(cva(CONVERT_BYTEA, -1, ',', "{\"\\\\x01\",\"\\\\x\",NULL}", &DEF),
			  "[\"AQ==\",\"\",null]");
	CHECK_STR(cva(CONVERT_DATE, -1, ',', "{1970-01-02,\"0044-03-15 BC\",infinity}", &DEF),
			  "[1,-735160,-2147472692]");
	CHECK_STR(cva(CONVERT_TIME, 3, ',', "{12:34:56.789}", &DEF), "[45296789]");
	CHECK_STR(cva(CONVERT_TIMETZ, -1, ',', "{12:00:00+05}", &DEF), "[\"07:00:00Z\"]");
	CHECK_STR(cva(CONVERT_TIMESTAMP, -1, ',', "{\"1970-01-01 00:00:01\",infinity}", &DEF),
			  "[1000000,9223372036825200000]");
	CHECK_STR(cva(CONVERT_TIMESTAMPTZ, -1, ',', "{\"2021-01-01 00:00:00+00\"}", &DEF),
			  "[\"2021-01-01T00:00:00.000000Z\"]");
	CHECK_STR(cva(CONVERT_INTERVAL, -1, ',', "{P1D,PT0S}", &DEF), "[86400000000,0]");
	CHECK_STR(cva(CONVERT_INTERVAL, -1, ',', "{P1D}", &str), "[\"P0Y0M1DT0H0M0S\"]");
	CHECK_STR(cva(CONVERT_BIT, -1, ',', "{101,0}", &DEF), "[\"BQ==\",\"\"]");
	CHECK_STR(cva(CONVERT_BIT, 1, ',', "{1,0}", &DEF), "[true,false]");
	CHECK_STR(cva(CONVERT_POINT, -1, ',', "{\"(1,2)\"}", &DEF),
			  "[{\"x\":1,\"y\":2,\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\",\"srid\":null}]");
	CHECK_STR(cva(CONVERT_HSTORE, -1, ',', "{\"\\\"a\\\"=>\\\"1\\\"\",NULL}", &DEF),
			  "[\"{\\\"a\\\":\\\"1\\\"}\",null]");
	CHECK_STR(cva(CONVERT_HSTORE, -1, ',', "{\"\\\"a\\\"=>\\\"1\\\"\"}", &map),
			  "[{\"a\":\"1\"}]");
	/* an array element kind is treated as text */
	CHECK_STR(cva(CONVERT_ARRAY, -1, ',', "{x}", &DEF), "[\"x\"]");

	/* a bad element fails the array */
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1,x}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_DATE, -1, ',', "{2021-02-29}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_NUMERIC, -1, ',', "{\"1\\\\2\"}", &DEF), "ERR");
	/* malformed */
	CHECK_STR(cva(CONVERT_INT, -1, ',', "", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1,2", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1,,2}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{,1}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1,}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "1,2", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1}}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1}x", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1}{2}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1 2}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{\"a}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{\"a\\", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{a\\", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{a\"b}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', "{\"a\"b}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{{1}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{1{2}}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "[0:1]{1}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "[0:1]", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "[a]={1}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{{{{{{{1}}}}}}}", &DEF), "ERR");
	CHECK_STR(cva(CONVERT_INT, -1, ',', "{{{{{{1}}}}}}", &DEF), "[[[[[[1]]]]]]");
}

/*
 * Long elements that need unescaping: text streamed, bytea passed on,
 * others unescaped in scratch.
 */
static void
test_array_long(void)
{
	struct convert_opts map = opts(0, 0, 0, 0, CONVERT_HSTORE_MAP);
	struct buf in;
	struct buf want;

	/* a text element of 2000 bytes with an escaped quote every 10 */
	buf_init(&in, 0);
	buf_init(&want, 0);
	buf_lit(&in, "{\"");
	buf_lit(&want, "[\"");
	for (int i = 0; i < 200; i++)
	{
		buf_lit(&in, "abcdefghi\\\"");
		buf_lit(&want, "abcdefghi\\\"");
	}
	buf_lit(&in, "\"}");
	buf_lit(&want, "\"]");
	CHECK_STR(cva(CONVERT_STRING, -1, ',', in.data, &DEF), want.data);

	/* a bytea element of 600 bytes */
	buf_reset(&in);
	buf_reset(&want);
	buf_lit(&in, "{\"\\\\x");
	for (int i = 0; i < 200; i++)
		buf_lit(&in, "00ff10");
	buf_lit(&in, "\"}");
	buf_lit(&want, "[\"");
	for (int i = 0; i < 200; i++)
		buf_lit(&want, "AP8Q");
	buf_lit(&want, "\"]");
	CHECK_STR(cva(CONVERT_BYTEA, -1, ',', in.data, &DEF), want.data);

	/* an hstore element of 60 pairs (> 256 bytes unescaped), twice */
	buf_reset(&in);
	buf_reset(&want);
	buf_lit(&in, "{\"");
	buf_lit(&want, "[{");
	for (int i = 0; i < 60; i++)
	{
		buf_printf(&in, "%s\\\"k%02d\\\"=>\\\"v\\\\\\\\%02d\\\"", i ? ", " : "", i, i);
		buf_printf(&want, "%s\"k%02d\":\"v\\\\%02d\"", i ? "," : "", i, i);
	}
	buf_lit(&in, "\",\"");
	buf_lit(&want, "},{");
	for (int i = 0; i < 60; i++)
	{
		buf_printf(&in, "%s\\\"k%02d\\\"=>NULL", i ? ", " : "", i);
		buf_printf(&want, "%s\"k%02d\":null", i ? "," : "", i);
	}
	buf_lit(&in, "\"}");
	buf_lit(&want, "}]");
	CHECK_STR(cva(CONVERT_HSTORE, -1, ',', in.data, &map), want.data);
	/* and in json mode the same objects as strings */
	{
		const char *got = cva(CONVERT_HSTORE, -1, ',', in.data, &DEF);
		const char *head = "[\"{\\\"k00\\\":\\\"v\\\\\\\\00\\\",";
		const char *tail = "\\\"k59\\\":null}\"]";

		CHECK(strncmp(got, head, strlen(head)) == 0);
		CHECK(strlen(got) > strlen(tail) &&
			  strcmp(got + strlen(got) - strlen(tail), tail) == 0);
	}

	/* a 400-digit numeric element with escaped digits: unescaped in scratch */
	buf_reset(&in);
	buf_reset(&want);
	buf_lit(&in, "{\"");
	for (int i = 0; i < 400; i++)
		buf_printf(&in, i % 50 == 7 ? "\\%c" : "%c", '1' + i % 9);
	buf_lit(&in, "\"}");
	{
		char	   *plain = digit_run(400, "", "");
		const char *one = cv(CONVERT_NUMERIC, -1, plain, &DEF);

		buf_printf(&want, "[%s]", one);
		free(plain);
	}
	CHECK_STR(cva(CONVERT_NUMERIC, -1, ',', in.data, &DEF), want.data);

	buf_free(&in);
	buf_free(&want);
}

/* Values are read from s[0..len) only: nothing past len matters. */
static void
test_bounds(void)
{
	struct convert_type t;
	const char *s;

	memset(&t, 0, sizeof(t));
	t.typmod = -1;
	t.delim = ',';

	t.kind = CONVERT_INT;
	CHECK_STR(conv_t(&t, "12345", 3, &DEF), "123");
	t.kind = CONVERT_DATE;
	CHECK_STR(conv_t(&t, "0044-03-15 BC", 10, &DEF), "-703383");
	t.kind = CONVERT_STRING;
	CHECK_STR(conv_t(&t, "abcdef", 2, &DEF), "\"ab\"");
	CHECK_STR(conv_t(&t, "", 0, &DEF), "\"\"");
	t.kind = CONVERT_BOOL;
	CHECK_STR(conv_t(&t, "true", 1, &DEF), "true");
	t.kind = CONVERT_FLOAT;
	CHECK_STR(conv_t(&t, "1e+30", 2, &DEF), "ERR");
	t.kind = CONVERT_NUMERIC;
	CHECK_STR(conv_t(&t, "1.55", 3, &DEF), "{\"scale\":1,\"value\":\"Dw==\"}");
	t.kind = CONVERT_TIMESTAMPTZ;
	CHECK_STR(conv_t(&t, "2021-01-01 12:00:00+05:30", 22, &DEF),
			  "\"2021-01-01T07:00:00.000000Z\"");
	t.kind = CONVERT_ARRAY;
	t.elem_kind = CONVERT_INT;
	CHECK_STR(conv_t(&t, "{1,2}", 4, &DEF), "ERR");
	t.kind = CONVERT_HSTORE;
	CHECK_STR(conv_t(&t, "\"a\"=>\"1\"", 7, &DEF), "ERR");
	/* NULL opts are Debezium's defaults */
	t.kind = CONVERT_NUMERIC;
	CHECK_STR(conv_t(&t, "1.5", 3, NULL), "{\"scale\":1,\"value\":\"Dw==\"}");

	/* text with a NUL inside is text */
	t.kind = CONVERT_STRING;
	s = "a\0b";
	CHECK_STR(conv_t(&t, s, 3, &DEF), "\"a\\u0000b\"");
	t.kind = CONVERT_INT;
	CHECK_STR(conv_t(&t, "1\0", 2, &DEF), "ERR");
}

/* A refused value leaves the buf exactly as it was, whatever it held. */
static void
test_rewind(void)
{
	struct buf b;
	struct convert_type t;
	char	   *big = digit_run(1000, "", "x");

	buf_init(&b, 0);
	memset(&t, 0, sizeof(t));
	t.typmod = -1;
	buf_lit(&b, "{\"a\":");
	t.kind = CONVERT_NUMERIC;
	CHECK_INT(convert_value(&b, &t, big, strlen(big), &DEF), -1);
	CHECK_STR(b.data, "{\"a\":");
	CHECK_INT(b.len, 5);
	t.kind = CONVERT_ARRAY;
	t.elem_kind = CONVERT_INT;
	t.delim = ',';
	CHECK_INT(convert_value(&b, &t, "{1,2,3,x}", 9, &DEF), -1);
	CHECK_STR(b.data, "{\"a\":");
	CHECK_INT(convert_value(&b, &t, "{1,2,3}", 7, &DEF), 0);
	CHECK_STR(b.data, "{\"a\":[1,2,3]");
	t.kind = CONVERT_HSTORE;
	CHECK_INT(convert_value(&b, &t, "\"a\"=>\"1\", \"b\"", 13, &DEF), -1);
	CHECK_STR(b.data, "{\"a\":[1,2,3]");
	buf_free(&b);
	free(big);

	/* a capped buf that fills up reports failure */
	buf_init(&b, 16);
	t.kind = CONVERT_STRING;
	CHECK_INT(convert_value(&b, &t, "0123456789abcdefghij", 20, &DEF), -1);
	CHECK(buf_failed(&b));
	buf_free(&b);
}

static void
test_builtin(void)
{
	struct convert_type t;
	static const struct
	{
		uint32_t	oid;
		enum convert_kind kind;
		enum convert_kind elem;
		char		delim;
	}			cases[] = {
		{16, CONVERT_BOOL, CONVERT_STRING, ','},
		{17, CONVERT_BYTEA, CONVERT_STRING, ','},
		{18, CONVERT_STRING, CONVERT_STRING, ','},
		{19, CONVERT_STRING, CONVERT_STRING, ','},
		{20, CONVERT_INT, CONVERT_STRING, ','},
		{21, CONVERT_INT, CONVERT_STRING, ','},
		{22, CONVERT_STRING, CONVERT_STRING, ','},	/* int2vector */
		{23, CONVERT_INT, CONVERT_STRING, ','},
		{25, CONVERT_STRING, CONVERT_STRING, ','},
		{26, CONVERT_INT, CONVERT_STRING, ','},
		{28, CONVERT_INT, CONVERT_STRING, ','},
		{30, CONVERT_STRING, CONVERT_STRING, ','},	/* oidvector */
		{114, CONVERT_STRING, CONVERT_STRING, ','},
		{142, CONVERT_STRING, CONVERT_STRING, ','},
		{600, CONVERT_POINT, CONVERT_STRING, ','},
		{601, CONVERT_LSEG, CONVERT_STRING, ','},
		{602, CONVERT_PATH, CONVERT_STRING, ','},
		{603, CONVERT_BOX, CONVERT_STRING, ','},
		{604, CONVERT_POLYGON, CONVERT_STRING, ','},
		{628, CONVERT_LINE, CONVERT_STRING, ','},
		{629, CONVERT_ARRAY, CONVERT_LINE, ','},
		{700, CONVERT_FLOAT4, CONVERT_STRING, ','},
		{701, CONVERT_FLOAT, CONVERT_STRING, ','},
		{718, CONVERT_CIRCLE, CONVERT_STRING, ','},
		{719, CONVERT_ARRAY, CONVERT_CIRCLE, ','},
		{790, CONVERT_MONEY, CONVERT_STRING, ','},
		{791, CONVERT_ARRAY, CONVERT_MONEY, ','},
		{869, CONVERT_STRING, CONVERT_STRING, ','},
		{1000, CONVERT_ARRAY, CONVERT_BOOL, ','},
		{1001, CONVERT_ARRAY, CONVERT_BYTEA, ','},
		{1005, CONVERT_ARRAY, CONVERT_INT, ','},
		{1006, CONVERT_ARRAY, CONVERT_STRING, ','},
		{1007, CONVERT_ARRAY, CONVERT_INT, ','},
		{1009, CONVERT_ARRAY, CONVERT_STRING, ','},
		{1016, CONVERT_ARRAY, CONVERT_INT, ','},
		{1017, CONVERT_ARRAY, CONVERT_POINT, ','},
		{1018, CONVERT_ARRAY, CONVERT_LSEG, ','},
		{1019, CONVERT_ARRAY, CONVERT_PATH, ','},
		{1020, CONVERT_ARRAY, CONVERT_BOX, ';'},
		{1021, CONVERT_ARRAY, CONVERT_FLOAT4, ','},
		{1022, CONVERT_ARRAY, CONVERT_FLOAT, ','},
		{1027, CONVERT_ARRAY, CONVERT_POLYGON, ','},
		{1042, CONVERT_STRING, CONVERT_STRING, ','},
		{1043, CONVERT_STRING, CONVERT_STRING, ','},
		{1082, CONVERT_DATE, CONVERT_STRING, ','},
		{1083, CONVERT_TIME, CONVERT_STRING, ','},
		{1114, CONVERT_TIMESTAMP, CONVERT_STRING, ','},
		{1115, CONVERT_ARRAY, CONVERT_TIMESTAMP, ','},
		{1182, CONVERT_ARRAY, CONVERT_DATE, ','},
		{1183, CONVERT_ARRAY, CONVERT_TIME, ','},
		{1184, CONVERT_TIMESTAMPTZ, CONVERT_STRING, ','},
		{1185, CONVERT_ARRAY, CONVERT_TIMESTAMPTZ, ','},
		{1186, CONVERT_INTERVAL, CONVERT_STRING, ','},
		{1187, CONVERT_ARRAY, CONVERT_INTERVAL, ','},
		{1231, CONVERT_ARRAY, CONVERT_NUMERIC, ','},
		{1266, CONVERT_TIMETZ, CONVERT_STRING, ','},
		{1270, CONVERT_ARRAY, CONVERT_TIMETZ, ','},
		{1560, CONVERT_BIT, CONVERT_STRING, ','},
		{1561, CONVERT_ARRAY, CONVERT_BIT, ','},
		{1562, CONVERT_BIT, CONVERT_STRING, ','},
		{1563, CONVERT_ARRAY, CONVERT_BIT, ','},
		{1700, CONVERT_NUMERIC, CONVERT_STRING, ','},
		{2950, CONVERT_STRING, CONVERT_STRING, ','},
		{2951, CONVERT_ARRAY, CONVERT_STRING, ','},
		{3614, CONVERT_STRING, CONVERT_STRING, ','},
		{3802, CONVERT_STRING, CONVERT_STRING, ','},
		{3807, CONVERT_ARRAY, CONVERT_STRING, ','},
		{3904, CONVERT_STRING, CONVERT_STRING, ','},
		{5069, CONVERT_INT, CONVERT_STRING, ','},
		{6157, CONVERT_ARRAY, CONVERT_STRING, ','},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		memset(&t, 0x7f, sizeof(t));
		CHECK_INT(convert_builtin(cases[i].oid, 42, &t), 0);
		CHECK_INT(t.kind, cases[i].kind);
		CHECK_INT(t.elem_kind, cases[i].elem);
		CHECK_INT(t.delim, cases[i].delim);
		CHECK_INT(t.typmod, 42);
	}

	/* unknown OIDs: -1 and the string fallback */
	memset(&t, 0x7f, sizeof(t));
	CHECK_INT(convert_builtin(0, -1, &t), -1);
	CHECK_INT(t.kind, CONVERT_STRING);
	CHECK_INT(t.typmod, -1);
	CHECK_INT(t.delim, ',');
	CHECK_INT(convert_builtin(15, -1, &t), -1);
	CHECK_INT(convert_builtin(6158, -1, &t), -1);
	CHECK_INT(convert_builtin(16384, -1, &t), -1);
	CHECK_INT(t.kind, CONVERT_STRING);
	CHECK_INT(convert_builtin(UINT32_MAX, -1, &t), -1);

	/* every OID from 0 to 10000: the known ones are exactly the table */
	{
		int			known = 0;

		for (uint32_t oid = 0; oid < 10000; oid++)
			if (convert_builtin(oid, -1, &t) == 0)
				known++;
		CHECK_INT(known, 198);
	}
}

/* Whole columns through convert_builtin(), as relcache resolves them. */
static void
test_builtin_values(void)
{
	struct convert_type t;

	convert_builtin(1007, -1, &t);
	CHECK_STR(conv_t(&t, "{1,2,NULL}", 10, &DEF), "[1,2,null]");
	/* box[] (split at ';') and the other geometric types: test_geometry.c */
	convert_builtin(1231, numeric_typmod(5, 2), &t);
	CHECK_STR(conv_t(&t, "{1.50}", 6, &DEF), "[\"AJY=\"]");
	convert_builtin(1083, 3, &t);
	CHECK_STR(conv_t(&t, "12:34:56.789", 12, &DEF), "45296789");
	convert_builtin(1560, 1, &t);
	CHECK_STR(conv_t(&t, "1", 1, &DEF), "true");
	convert_builtin(3802, -1, &t);
	CHECK_STR(conv_t(&t, "{\"a\": 1}", 8, &DEF), "\"{\\\"a\\\": 1}\"");
}

int
main(void)
{
	buf_init(&res, 0);
	buf_init(&scratch, 0);

	test_bool();
	test_int();
	test_float();
	test_float_legacy();
	test_numeric();
	test_numeric_huge();
	test_money();
	test_bytea();
	test_bit();
	test_string();
	test_date();
	test_time();
	test_timetz();
	test_timestamp();
	test_timestamptz();
	test_interval();
	test_point();
	test_hstore();
	test_array();
	test_array_long();
	test_bounds();
	test_rewind();
	test_builtin();
	test_builtin_values();

	buf_free(&res);
	buf_free(&scratch);
	return TEST_REPORT("test_convert");
}

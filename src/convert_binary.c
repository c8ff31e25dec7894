/*
 * convert_binary.c — binary-mode column values (each type's send
 * function's bytes) to the text its output function writes, and through
 * that text to the same JSON as the text path.  See convert_binary.h.
 *
 * The layouts are those of PostgreSQL's *_send functions (int4send,
 * numeric_send, timestamp_send, array_send, range_send, hstore_send...);
 * the texts those of the matching *_out functions under
 * CONVERT_SESSION_OPTIONS (DateStyle ISO, IntervalStyle iso_8601,
 * TimeZone UTC, lc_monetary C, floats in their shortest exact form).
 * Each renderer reads the whole value through a wire_reader and refuses
 * it unless every byte was used.
 */
#include "convert_binary.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert_int.h"
#include "json.h"
#include "wire.h"

#define lengthof(a) (sizeof(a) / sizeof((a)[0]))

#define USECS_PER_SEC	INT64_C(1000000)
#define USECS_PER_DAY	INT64_C(86400000000)
/* 2000-01-01, PostgreSQL's epoch, in days after 1970-01-01 */
#define PG_EPOCH_DAYS	10957

/*
 * The built-in types whose binary form walcap reads, sorted by OID; every
 * other OID is CONVERT_BIN_NONE.  Arrays name their element's layout,
 * ranges and multiranges their bound's.  Left out on purpose: "char"
 * (its text changed in 15), the reg* types (their text is a name looked
 * up in the catalog), int2vector and oidvector (space-separated text),
 * aclitem, txid_snapshot, pg_snapshot, tsquery and the pseudo-types.
 */
static const struct
{
	uint32_t	oid;
	uint8_t		bin;
	uint8_t		elem;
}			bin_types[] = {
	{16, CONVERT_BIN_BOOL, 0},	/* bool */
	{17, CONVERT_BIN_BYTEA, 0},	/* bytea */
	{19, CONVERT_BIN_TEXT, 0},	/* name */
	{20, CONVERT_BIN_INT8, 0},	/* int8 */
	{21, CONVERT_BIN_INT2, 0},	/* int2 */
	{23, CONVERT_BIN_INT4, 0},	/* int4 */
	{25, CONVERT_BIN_TEXT, 0},	/* text */
	{26, CONVERT_BIN_UINT4, 0},	/* oid */
	{27, CONVERT_BIN_TID, 0},	/* tid */
	{28, CONVERT_BIN_UINT4, 0},	/* xid */
	{29, CONVERT_BIN_UINT4, 0},	/* cid */
	{114, CONVERT_BIN_TEXT, 0},	/* json */
	{142, CONVERT_BIN_TEXT, 0},	/* xml */
	{143, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _xml */
	{199, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _json */
	{271, CONVERT_BIN_ARRAY, CONVERT_BIN_UINT8},	/* _xid8 */
	{600, CONVERT_BIN_POINT, 0},	/* point */
	{601, CONVERT_BIN_LSEG, 0},	/* lseg */
	{602, CONVERT_BIN_PATH, 0},	/* path */
	{603, CONVERT_BIN_BOX, 0},	/* box */
	{604, CONVERT_BIN_POLYGON, 0},	/* polygon */
	{628, CONVERT_BIN_LINE, 0},	/* line */
	{629, CONVERT_BIN_ARRAY, CONVERT_BIN_LINE},	/* _line */
	{650, CONVERT_BIN_CIDR, 0},	/* cidr */
	{651, CONVERT_BIN_ARRAY, CONVERT_BIN_CIDR},	/* _cidr */
	{700, CONVERT_BIN_FLOAT4, 0},	/* float4 */
	{701, CONVERT_BIN_FLOAT8, 0},	/* float8 */
	{718, CONVERT_BIN_CIRCLE, 0},	/* circle */
	{719, CONVERT_BIN_ARRAY, CONVERT_BIN_CIRCLE},	/* _circle */
	{774, CONVERT_BIN_MACADDR8, 0},	/* macaddr8 */
	{775, CONVERT_BIN_ARRAY, CONVERT_BIN_MACADDR8},	/* _macaddr8 */
	{790, CONVERT_BIN_MONEY, 0},	/* money */
	{791, CONVERT_BIN_ARRAY, CONVERT_BIN_MONEY},	/* _money */
	{829, CONVERT_BIN_MACADDR, 0},	/* macaddr */
	{869, CONVERT_BIN_INET, 0},	/* inet */
	{1000, CONVERT_BIN_ARRAY, CONVERT_BIN_BOOL},	/* _bool */
	{1001, CONVERT_BIN_ARRAY, CONVERT_BIN_BYTEA},	/* _bytea */
	{1003, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _name */
	{1005, CONVERT_BIN_ARRAY, CONVERT_BIN_INT2},	/* _int2 */
	{1007, CONVERT_BIN_ARRAY, CONVERT_BIN_INT4},	/* _int4 */
	{1009, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _text */
	{1010, CONVERT_BIN_ARRAY, CONVERT_BIN_TID},	/* _tid */
	{1011, CONVERT_BIN_ARRAY, CONVERT_BIN_UINT4},	/* _xid */
	{1012, CONVERT_BIN_ARRAY, CONVERT_BIN_UINT4},	/* _cid */
	{1014, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _bpchar */
	{1015, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _varchar */
	{1016, CONVERT_BIN_ARRAY, CONVERT_BIN_INT8},	/* _int8 */
	{1017, CONVERT_BIN_ARRAY, CONVERT_BIN_POINT},	/* _point */
	{1018, CONVERT_BIN_ARRAY, CONVERT_BIN_LSEG},	/* _lseg */
	{1019, CONVERT_BIN_ARRAY, CONVERT_BIN_PATH},	/* _path */
	{1020, CONVERT_BIN_ARRAY, CONVERT_BIN_BOX},	/* _box */
	{1021, CONVERT_BIN_ARRAY, CONVERT_BIN_FLOAT4},	/* _float4 */
	{1022, CONVERT_BIN_ARRAY, CONVERT_BIN_FLOAT8},	/* _float8 */
	{1027, CONVERT_BIN_ARRAY, CONVERT_BIN_POLYGON},	/* _polygon */
	{1028, CONVERT_BIN_ARRAY, CONVERT_BIN_UINT4},	/* _oid */
	{1040, CONVERT_BIN_ARRAY, CONVERT_BIN_MACADDR},	/* _macaddr */
	{1041, CONVERT_BIN_ARRAY, CONVERT_BIN_INET},	/* _inet */
	{1042, CONVERT_BIN_TEXT, 0},	/* bpchar */
	{1043, CONVERT_BIN_TEXT, 0},	/* varchar */
	{1082, CONVERT_BIN_DATE, 0},	/* date */
	{1083, CONVERT_BIN_TIME, 0},	/* time */
	{1114, CONVERT_BIN_TIMESTAMP, 0},	/* timestamp */
	{1115, CONVERT_BIN_ARRAY, CONVERT_BIN_TIMESTAMP},	/* _timestamp */
	{1182, CONVERT_BIN_ARRAY, CONVERT_BIN_DATE},	/* _date */
	{1183, CONVERT_BIN_ARRAY, CONVERT_BIN_TIME},	/* _time */
	{1184, CONVERT_BIN_TIMESTAMPTZ, 0},	/* timestamptz */
	{1185, CONVERT_BIN_ARRAY, CONVERT_BIN_TIMESTAMPTZ},	/* _timestamptz */
	{1186, CONVERT_BIN_INTERVAL, 0},	/* interval */
	{1187, CONVERT_BIN_ARRAY, CONVERT_BIN_INTERVAL},	/* _interval */
	{1231, CONVERT_BIN_ARRAY, CONVERT_BIN_NUMERIC},	/* _numeric */
	{1266, CONVERT_BIN_TIMETZ, 0},	/* timetz */
	{1270, CONVERT_BIN_ARRAY, CONVERT_BIN_TIMETZ},	/* _timetz */
	{1560, CONVERT_BIN_BIT, 0},	/* bit */
	{1561, CONVERT_BIN_ARRAY, CONVERT_BIN_BIT},	/* _bit */
	{1562, CONVERT_BIN_BIT, 0},	/* varbit */
	{1563, CONVERT_BIN_ARRAY, CONVERT_BIN_BIT},	/* _varbit */
	{1700, CONVERT_BIN_NUMERIC, 0},	/* numeric */
	{1790, CONVERT_BIN_TEXT, 0},	/* refcursor */
	{2201, CONVERT_BIN_ARRAY, CONVERT_BIN_TEXT},	/* _refcursor */
	{2950, CONVERT_BIN_UUID, 0},	/* uuid */
	{2951, CONVERT_BIN_ARRAY, CONVERT_BIN_UUID},	/* _uuid */
	{3220, CONVERT_BIN_PG_LSN, 0},	/* pg_lsn */
	{3221, CONVERT_BIN_ARRAY, CONVERT_BIN_PG_LSN},	/* _pg_lsn */
	{3614, CONVERT_BIN_TSVECTOR, 0},	/* tsvector */
	{3643, CONVERT_BIN_ARRAY, CONVERT_BIN_TSVECTOR},	/* _tsvector */
	{3802, CONVERT_BIN_VTEXT, 0},	/* jsonb */
	{3807, CONVERT_BIN_ARRAY, CONVERT_BIN_VTEXT},	/* _jsonb */
	{3904, CONVERT_BIN_RANGE, CONVERT_BIN_INT4},	/* int4range */
	{3906, CONVERT_BIN_RANGE, CONVERT_BIN_NUMERIC},	/* numrange */
	{3908, CONVERT_BIN_RANGE, CONVERT_BIN_TIMESTAMP},	/* tsrange */
	{3910, CONVERT_BIN_RANGE, CONVERT_BIN_TIMESTAMPTZ},	/* tstzrange */
	{3912, CONVERT_BIN_RANGE, CONVERT_BIN_DATE},	/* daterange */
	{3926, CONVERT_BIN_RANGE, CONVERT_BIN_INT8},	/* int8range */
	{4072, CONVERT_BIN_VTEXT, 0},	/* jsonpath */
	{4073, CONVERT_BIN_ARRAY, CONVERT_BIN_VTEXT},	/* _jsonpath */
	{4451, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_INT4},	/* int4multirange */
	{4532, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_NUMERIC},	/* nummultirange */
	{4533, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_TIMESTAMP},	/* tsmultirange */
	{4534, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_TIMESTAMPTZ},	/* tstzmultirange */
	{4535, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_DATE},	/* datemultirange */
	{4536, CONVERT_BIN_MULTIRANGE, CONVERT_BIN_INT8},	/* int8multirange */
	{5069, CONVERT_BIN_UINT8, 0},	/* xid8 */
};

void
convert_binary_builtin(uint32_t oid, struct convert_type *t)
{
	size_t		lo = 0;
	size_t		hi = lengthof(bin_types);

	t->bin = CONVERT_BIN_NONE;
	t->elem_bin = CONVERT_BIN_NONE;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (bin_types[mid].oid == oid)
		{
			t->bin = bin_types[mid].bin;
			t->elem_bin = bin_types[mid].elem;
			return;
		}
		if (bin_types[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
}

int
convert_binary_readable(const struct convert_type *t)
{
	switch (t->bin)
	{
		case CONVERT_BIN_NONE:
			return 0;
		case CONVERT_BIN_ARRAY:
		case CONVERT_BIN_RANGE:
		case CONVERT_BIN_MULTIRANGE:
			return t->elem_bin != CONVERT_BIN_NONE &&
				t->elem_bin != CONVERT_BIN_ARRAY &&
				t->elem_bin != CONVERT_BIN_RANGE &&
				t->elem_bin != CONVERT_BIN_MULTIRANGE;
		default:
			return 1;
	}
}

/* ---------------------------------------------------------------------
 * numbers
 * ---------------------------------------------------------------------
 */

/* v in at least width (at most 20) digits, zero-padded */
static void
put_padded(struct buf *out, uint64_t v, int width)
{
	char		tmp[24];
	int			n = 0;

	do
	{
		tmp[sizeof(tmp) - 1 - n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v || n < width);
	buf_append(out, tmp + sizeof(tmp) - n, (size_t) n);
}

/*
 * A float as float4out/float8out write it from PostgreSQL 12 on: the
 * fewest significant digits that read back as the same value, fixed
 * notation for decimal exponents -4 up to 5 (float4) or 14 (float8),
 * scientific otherwise ("1e+20", "1.5e-05"); NaN, Infinity, -Infinity.
 */
void
convert_put_float(struct buf *out, double d, int single)
{
	char		tmp[40];
	char		digits[24];
	int			nd = 0;
	int			exp;
	int			p;
	int			pmax = single ? 9 : 17;
	const char *s;

	if (isnan(d))
	{
		buf_lit(out, "NaN");
		return;
	}
	if (isinf(d))
	{
		if (d < 0)
			buf_putc(out, '-');
		buf_lit(out, "Infinity");
		return;
	}
	if (d == 0)
	{
		buf_puts(out, signbit(d) ? "-0" : "0");
		return;
	}

	/*
	 * Below 15 (6) significant digits a correctly rounded %e already is
	 * the shortest text with trailing zeros; subnormals have fewer
	 * digits of precision, so they are searched from one.
	 */
	p = single ? 6 : 15;
	if (fabs(d) < (single ? (double) FLT_MIN : DBL_MIN))
		p = 1;
	for (; p <= pmax; p++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (single ? strtof(tmp, NULL) == (float) d : strtod(tmp, NULL) == d)
			break;
	}
	s = tmp;
	if (*s == '-')
	{
		buf_putc(out, '-');
		s++;
	}
	for (; *s && *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	exp = *s == 'e' ? atoi(s + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp >= -4 && exp < (single ? 6 : 15))
	{
		if (exp < 0)
		{
			buf_lit(out, "0.");
			for (int i = -1; i > exp; i--)
				buf_putc(out, '0');
			buf_append(out, digits, (size_t) nd);
		}
		else
		{
			for (int i = 0; i <= exp; i++)
				buf_putc(out, i < nd ? digits[i] : '0');
			if (nd > exp + 1)
			{
				buf_putc(out, '.');
				buf_append(out, digits + exp + 1, (size_t) (nd - exp - 1));
			}
		}
		return;
	}
	buf_putc(out, digits[0]);
	if (nd > 1)
	{
		buf_putc(out, '.');
		buf_append(out, digits + 1, (size_t) (nd - 1));
	}
	buf_putc(out, 'e');
	buf_putc(out, exp < 0 ? '-' : '+');
	put_padded(out, (uint64_t) (exp < 0 ? -exp : exp), 2);
}

static float
read_f4(struct wire_reader *r)
{
	uint32_t	u = wire_u32(r);
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * numeric_send: ndigits, weight, sign, dscale (int16 each), then ndigits
 * base-10000 digits; the value is sum(digit[i] * 10000^(weight - i)),
 * printed with exactly dscale fraction digits.
 */
static int
render_numeric(struct buf *out, struct wire_reader *r)
{
	int			ndigits = wire_i16(r);
	int			weight = wire_i16(r);
	uint16_t	sign = wire_u16(r);
	int			dscale = wire_u16(r);
	size_t		at;

	if (!wire_ok(r) || ndigits < 0 || dscale > 0x3FFF ||
		wire_remaining(r) != (size_t) ndigits * 2)
		return -1;
	switch (sign)
	{
		case 0xC000:
			buf_lit(out, "NaN");
			return ndigits == 0 ? 0 : -1;
		case 0xD000:
			buf_lit(out, "Infinity");
			return ndigits == 0 ? 0 : -1;
		case 0xF000:
			buf_lit(out, "-Infinity");
			return ndigits == 0 ? 0 : -1;
		case 0x4000:
			buf_putc(out, '-');
			break;
		case 0x0000:
			break;
		default:
			return -1;
	}
	at = r->pos;
	for (int i = 0; i < ndigits; i++)
		if (wire_u16(r) > 9999)
			return -1;
#define DIGIT(i) ((i) >= 0 && (i) < ndigits ? \
		(int) ((r->data[at + 2 * (size_t) (i)] << 8) | r->data[at + 2 * (size_t) (i) + 1]) : 0)
	if (weight < 0)
		buf_putc(out, '0');
	else
	{
		json_uint64(out, (uint64_t) DIGIT(0));
		for (int i = 1; i <= weight; i++)
			put_padded(out, (uint64_t) DIGIT(i), 4);
	}
	if (dscale > 0)
	{
		buf_putc(out, '.');
		for (int i = weight + 1, left = dscale; left > 0; i++, left -= 4)
		{
			int			g = DIGIT(i);
			char		four[4] = {(char) ('0' + g / 1000), (char) ('0' + g / 100 % 10),
			(char) ('0' + g / 10 % 10), (char) ('0' + g % 10)};

			buf_append(out, four, (size_t) (left < 4 ? left : 4));
		}
	}
#undef DIGIT
	return 0;
}

/* cash_out under lc_monetary=C: "$1,234.56", "-$1,234.56" */
static void
render_money(struct buf *out, int64_t cents)
{
	uint64_t	v = cents < 0 ? (uint64_t) 0 - (uint64_t) cents : (uint64_t) cents;
	char		tmp[32];
	int			n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long) (v / 100));

	if (cents < 0)
		buf_putc(out, '-');
	buf_putc(out, '$');
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && (n - i) % 3 == 0)
			buf_putc(out, ',');
		buf_putc(out, tmp[i]);
	}
	buf_putc(out, '.');
	put_padded(out, v % 100, 2);
}

/* ---------------------------------------------------------------------
 * date and time
 * ---------------------------------------------------------------------
 */

/* ".ffffff" without trailing zeros, nothing for whole seconds */
static void
put_fraction(struct buf *out, int64_t usec)
{
	char		tmp[24];
	int			n;

	if (usec == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%06lld", (long long) usec);
	n = 6;
	while (tmp[n - 1] == '0')
		n--;
	buf_putc(out, '.');
	buf_append(out, tmp, (size_t) n);
}

/* HH:MM:SS[.f] of a time of day in µs (24:00:00 allowed) */
static void
put_clock(struct buf *out, int64_t usec)
{
	int64_t		secs = usec / USECS_PER_SEC;

	put_padded(out, (uint64_t) (secs / 3600), 2);
	buf_putc(out, ':');
	put_padded(out, (uint64_t) (secs / 60 % 60), 2);
	buf_putc(out, ':');
	put_padded(out, (uint64_t) (secs % 60), 2);
	put_fraction(out, usec % USECS_PER_SEC);
}

/* YYYY-MM-DD of a day after 2000-01-01; sets *bc for years before 1 */
static void
put_day(struct buf *out, int64_t days, int *bc)
{
	int64_t		y;
	int			m, d;

	civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
	*bc = y <= 0;
	put_padded(out, (uint64_t) (y <= 0 ? 1 - y : y), 4);
	buf_putc(out, '-');
	put_padded(out, (uint64_t) m, 2);
	buf_putc(out, '-');
	put_padded(out, (uint64_t) d, 2);
}

static int
render_date(struct buf *out, int32_t days)
{
	int			bc;

	if (days == INT32_MAX)
		buf_lit(out, "infinity");
	else if (days == INT32_MIN)
		buf_lit(out, "-infinity");
	else
	{
		put_day(out, days, &bc);
		if (bc)
			buf_lit(out, " BC");
	}
	return 0;
}

static int
render_timestamp(struct buf *out, int64_t usec, int tz)
{
	int64_t		days;
	int64_t		tod;
	int			bc;

	if (usec == INT64_MAX)
		buf_lit(out, "infinity");
	else if (usec == INT64_MIN)
		buf_lit(out, "-infinity");
	else
	{
		days = usec / USECS_PER_DAY;
		tod = usec % USECS_PER_DAY;
		if (tod < 0)
		{
			tod += USECS_PER_DAY;
			days--;
		}
		put_day(out, days, &bc);
		buf_putc(out, ' ');
		put_clock(out, tod);
		if (tz)
			buf_lit(out, "+00");
		if (bc)
			buf_lit(out, " BC");
	}
	return 0;
}

/* timetz's zone is seconds west of UTC; the text is the offset east */
static int
render_timetz(struct buf *out, int64_t usec, int32_t zone)
{
	int64_t		east = -(int64_t) zone;
	uint64_t	a = (uint64_t) (east < 0 ? -east : east);

	if (usec < 0 || usec > USECS_PER_DAY || zone < -15 * 3600 - 59 * 60 - 59 ||
		zone > 15 * 3600 + 59 * 60 + 59)
		return -1;
	put_clock(out, usec);
	buf_putc(out, east < 0 ? '-' : '+');
	put_padded(out, a / 3600, 2);
	if (a % 3600)
	{
		buf_putc(out, ':');
		put_padded(out, a / 60 % 60, 2);
		if (a % 60)
		{
			buf_putc(out, ':');
			put_padded(out, a % 60, 2);
		}
	}
	return 0;
}

static void
iso_part(struct buf *out, int64_t v, char unit)
{
	if (v == 0)
		return;
	json_int64(out, v);
	buf_putc(out, unit);
}

/* interval_send: time (µs), days, months; IntervalStyle iso_8601 */
static int
render_interval(struct buf *out, int64_t time, int32_t days, int32_t months)
{
	int64_t		hours, mins, secs, fsec;

	if (months == INT32_MAX && days == INT32_MAX && time == INT64_MAX)
	{
		buf_lit(out, "infinity");
		return 0;
	}
	if (months == INT32_MIN && days == INT32_MIN && time == INT64_MIN)
	{
		buf_lit(out, "-infinity");
		return 0;
	}
	hours = time / (3600 * USECS_PER_SEC);
	time -= hours * 3600 * USECS_PER_SEC;
	mins = time / (60 * USECS_PER_SEC);
	time -= mins * 60 * USECS_PER_SEC;
	secs = time / USECS_PER_SEC;
	fsec = time - secs * USECS_PER_SEC;
	if (months == 0 && days == 0 && hours == 0 && mins == 0 && secs == 0 && fsec == 0)
	{
		buf_lit(out, "PT0S");
		return 0;
	}
	buf_putc(out, 'P');
	iso_part(out, months / 12, 'Y');
	iso_part(out, months % 12, 'M');
	iso_part(out, days, 'D');
	if (hours == 0 && mins == 0 && secs == 0 && fsec == 0)
		return 0;
	buf_putc(out, 'T');
	iso_part(out, hours, 'H');
	iso_part(out, mins, 'M');
	if (secs != 0 || fsec != 0)
	{
		if (secs < 0 || fsec < 0)
			buf_putc(out, '-');
		json_uint64(out, (uint64_t) (secs < 0 ? -secs : secs));
		put_fraction(out, fsec < 0 ? -fsec : fsec);
		buf_putc(out, 'S');
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * network, identifiers, bits
 * ---------------------------------------------------------------------
 */

static void
put_hex_bytes(struct buf *out, const unsigned char *p, size_t n, char sep)
{
	static const char hex[] = "0123456789abcdef";
	char		tmp[96];

	while (n > 0)
	{
		size_t		k = 0;

		for (; n > 0 && k + 3 <= sizeof(tmp); p++, n--)
		{
			tmp[k++] = hex[*p >> 4];
			tmp[k++] = hex[*p & 15];
			if (sep && n > 1)
				tmp[k++] = sep;
		}
		buf_append(out, tmp, k);
	}
}

static void
render_uuid(struct buf *out, const unsigned char *p)
{
	put_hex_bytes(out, p, 4, 0);
	buf_putc(out, '-');
	put_hex_bytes(out, p + 4, 2, 0);
	buf_putc(out, '-');
	put_hex_bytes(out, p + 6, 2, 0);
	buf_putc(out, '-');
	put_hex_bytes(out, p + 8, 2, 0);
	buf_putc(out, '-');
	put_hex_bytes(out, p + 10, 6, 0);
}

/*
 * IPv6 as inet_net_ntop writes it: the longest run of two or more zero
 * groups (the first of equals) as "::", an IPv4-compatible or -mapped
 * address's last 32 bits dotted.
 */
static void
put_ipv6(struct buf *out, const unsigned char *a)
{
	unsigned	w[8];
	int			best = -1, bestlen = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned) (a[2 * i] << 8 | a[2 * i + 1]);
	for (int i = 0; i < 8;)
	{
		int			j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > bestlen)
		{
			best = i;
			bestlen = j - i;
		}
		i = j == i ? i + 1 : j;
	}
	if (bestlen < 2)
		best = -1;
	for (int i = 0; i < 8; i++)
	{
		if (best >= 0 && i >= best && i < best + bestlen)
		{
			if (i == best)
				buf_putc(out, ':');
			continue;
		}
		if (i != 0)
			buf_putc(out, ':');
		if (i == 6 && best == 0 &&
			(bestlen == 6 || (bestlen == 7 && w[7] != 1) || (bestlen == 5 && w[5] == 0xffff)))
		{
			buf_printf(out, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
			return;
		}
		buf_printf(out, "%x", w[i]);
	}
	if (best >= 0 && best + bestlen == 8)
		buf_putc(out, ':');
}

/* inet_send: family (2 IPv4, 3 IPv6), bits, is_cidr, length, address */
static int
render_inet(struct buf *out, struct wire_reader *r, int cidr)
{
	int			family = wire_u8(r);
	int			bits = wire_u8(r);
	int			is_cidr = wire_u8(r);
	int			n = wire_u8(r);
	const unsigned char *a = (const unsigned char *) wire_bytes(r, (size_t) n);
	int			max = family == 2 ? 32 : 128;

	(void) is_cidr;
	if (!wire_end(r) || (family != 2 && family != 3) || n != max / 8 || bits > max)
		return -1;
	if (family == 2)
		buf_printf(out, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else
		put_ipv6(out, a);
	if (bits != max || cidr)
		buf_printf(out, "/%d", bits);
	return 0;
}

/* bit_send: the length in bits, then the bits, first bit highest */
static int
render_bit(struct buf *out, struct wire_reader *r)
{
	int32_t		nbits = wire_i32(r);
	const unsigned char *p;

	if (!wire_ok(r) || nbits < 0 || wire_remaining(r) != ((size_t) nbits + 7) / 8)
		return -1;
	p = (const unsigned char *) wire_bytes(r, wire_remaining(r));
	for (int32_t i = 0; i < nbits; i++)
		buf_putc(out, (p[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0');
	return 0;
}

/* ---------------------------------------------------------------------
 * dispatch
 * ---------------------------------------------------------------------
 */

/* the fixed-size layouts: their length, 0 for the others */
static size_t
fixed_size(int bin)
{
	switch (bin)
	{
		case CONVERT_BIN_BOOL:
			return 1;
		case CONVERT_BIN_INT2:
			return 2;
		case CONVERT_BIN_INT4:
		case CONVERT_BIN_UINT4:
		case CONVERT_BIN_FLOAT4:
		case CONVERT_BIN_DATE:
			return 4;
		case CONVERT_BIN_INT8:
		case CONVERT_BIN_UINT8:
		case CONVERT_BIN_FLOAT8:
		case CONVERT_BIN_MONEY:
		case CONVERT_BIN_TIME:
		case CONVERT_BIN_TIMESTAMP:
		case CONVERT_BIN_TIMESTAMPTZ:
		case CONVERT_BIN_PG_LSN:
			return 8;
		case CONVERT_BIN_TID:
			return 6;
		case CONVERT_BIN_TIMETZ:
			return 12;
		case CONVERT_BIN_INTERVAL:
		case CONVERT_BIN_UUID:
			return 16;
		case CONVERT_BIN_MACADDR:
			return 6;
		case CONVERT_BIN_MACADDR8:
			return 8;
		case CONVERT_BIN_POINT:
			return 16;
		case CONVERT_BIN_LSEG:
		case CONVERT_BIN_BOX:
			return 32;
		case CONVERT_BIN_CIRCLE:
		case CONVERT_BIN_LINE:
			return 24;
		default:
			return 0;
	}
}

int
convert_binary_render(struct buf *out, int bin, int elem_bin, char delim, struct wire_reader *r)
{
	size_t		fixed = fixed_size(bin);
	int			rc = 0;

	if (fixed && wire_remaining(r) != fixed)
		return -1;
	switch (bin)
	{
		case CONVERT_BIN_TEXT:
			buf_append(out, r->data + r->pos, wire_remaining(r));
			return 0;
		case CONVERT_BIN_VTEXT:
			if (wire_u8(r) != 1)
				return -1;
			buf_append(out, r->data + r->pos, wire_remaining(r));
			return 0;
		case CONVERT_BIN_BOOL:
			{
				int			b = wire_u8(r);

				if (b > 1)
					return -1;
				buf_putc(out, b ? 't' : 'f');
				return 0;
			}
		case CONVERT_BIN_INT2:
			json_int64(out, wire_i16(r));
			return 0;
		case CONVERT_BIN_INT4:
			json_int64(out, wire_i32(r));
			return 0;
		case CONVERT_BIN_INT8:
			json_int64(out, wire_i64(r));
			return 0;
		case CONVERT_BIN_UINT4:
			json_uint64(out, wire_u32(r));
			return 0;
		case CONVERT_BIN_UINT8:
			json_uint64(out, wire_u64(r));
			return 0;
		case CONVERT_BIN_FLOAT4:
			convert_put_float(out, read_f4(r), 1);
			return 0;
		case CONVERT_BIN_FLOAT8:
			convert_put_float(out, convert_read_f8(r), 0);
			return 0;
		case CONVERT_BIN_NUMERIC:
			return render_numeric(out, r);
		case CONVERT_BIN_MONEY:
			render_money(out, wire_i64(r));
			return 0;
		case CONVERT_BIN_BYTEA:
			buf_lit(out, "\\x");
			put_hex_bytes(out, r->data + r->pos, wire_remaining(r), 0);
			return 0;
		case CONVERT_BIN_DATE:
			return render_date(out, wire_i32(r));
		case CONVERT_BIN_TIME:
			{
				int64_t		t = wire_i64(r);

				if (t < 0 || t > USECS_PER_DAY)
					return -1;
				put_clock(out, t);
				return 0;
			}
		case CONVERT_BIN_TIMETZ:
			{
				int64_t		t = wire_i64(r);

				return render_timetz(out, t, wire_i32(r));
			}
		case CONVERT_BIN_TIMESTAMP:
		case CONVERT_BIN_TIMESTAMPTZ:
			return render_timestamp(out, wire_i64(r), bin == CONVERT_BIN_TIMESTAMPTZ);
		case CONVERT_BIN_INTERVAL:
			{
				int64_t		t = wire_i64(r);
				int32_t		days = wire_i32(r);

				return render_interval(out, t, days, wire_i32(r));
			}
		case CONVERT_BIN_UUID:
			render_uuid(out, r->data + r->pos);
			return 0;
		case CONVERT_BIN_INET:
		case CONVERT_BIN_CIDR:
			return render_inet(out, r, bin == CONVERT_BIN_CIDR);
		case CONVERT_BIN_MACADDR:
			put_hex_bytes(out, r->data + r->pos, 6, ':');
			return 0;
		case CONVERT_BIN_MACADDR8:
			put_hex_bytes(out, r->data + r->pos, 8, ':');
			return 0;
		case CONVERT_BIN_BIT:
			return render_bit(out, r);
		case CONVERT_BIN_POINT:
		case CONVERT_BIN_LSEG:
		case CONVERT_BIN_BOX:
		case CONVERT_BIN_PATH:
		case CONVERT_BIN_POLYGON:
		case CONVERT_BIN_CIRCLE:
		case CONVERT_BIN_LINE:
			rc = convert_binary_geometry(out, bin, r);
			return rc == 0 && wire_end(r) ? 0 : -1;
		case CONVERT_BIN_TID:
			{
				uint32_t	block = wire_u32(r);

				buf_printf(out, "(%u,%u)", block, wire_u16(r));
				return 0;
			}
		case CONVERT_BIN_PG_LSN:
			{
				uint64_t	lsn = wire_u64(r);

				buf_printf(out, "%X/%X", (unsigned) (lsn >> 32), (unsigned) lsn);
				return 0;
			}
		case CONVERT_BIN_TSVECTOR:
			return convert_binary_tsvector(out, r);
		case CONVERT_BIN_HSTORE:
			return convert_binary_hstore(out, r);
		case CONVERT_BIN_ARRAY:
			return convert_binary_array(out, r, elem_bin, delim);
		case CONVERT_BIN_RANGE:
			return convert_binary_range(out, r, elem_bin);
		case CONVERT_BIN_MULTIRANGE:
			return convert_binary_multirange(out, r, elem_bin);
		default:
			return -1;
	}
}

int
convert_binary_text(struct buf *out, const struct convert_type *t,
					const char *data, size_t len)
{
	struct wire_reader r;
	size_t		start = out->len;

	if (!convert_binary_readable(t))
		return -1;
	wire_init(&r, data, len);
	if (convert_binary_render(out, t->bin, t->elem_bin, t->delim ? t->delim : ',', &r) != 0 ||
		buf_failed(out))
	{
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
convert_binary_value(struct buf *out, struct buf *scratch,
					 const struct convert_type *t, const char *data, size_t len,
					 const struct convert_opts *o)
{
	struct convert_opts shortest;
	struct wire_reader r;

	wire_init(&r, data, len);
	/* the hot types straight to JSON */
	switch (t->kind)
	{
		case CONVERT_STRING:
			if (t->bin == CONVERT_BIN_TEXT)
				json_text(out, data, len);
			else if (t->bin == CONVERT_BIN_VTEXT && len >= 1 && data[0] == 1)
				json_text(out, data + 1, len - 1);
			else if (t->bin == CONVERT_BIN_UUID && len == 16)
			{
				buf_putc(out, '"');
				render_uuid(out, (const unsigned char *) data);
				buf_putc(out, '"');
			}
			else
				break;
			return buf_failed(out) ? -1 : 0;
		case CONVERT_BOOL:
			if (t->bin != CONVERT_BIN_BOOL || len != 1 || (unsigned char) data[0] > 1)
				break;
			if (data[0])
				buf_lit(out, "true");
			else
				buf_lit(out, "false");
			return buf_failed(out) ? -1 : 0;
		case CONVERT_INT:
			if (t->bin == CONVERT_BIN_INT4 && len == 4)
				json_int64(out, wire_i32(&r));
			else if (t->bin == CONVERT_BIN_INT8 && len == 8)
				json_int64(out, wire_i64(&r));
			else if (t->bin == CONVERT_BIN_INT2 && len == 2)
				json_int64(out, wire_i16(&r));
			else
				break;
			return buf_failed(out) ? -1 : 0;
		default:
			break;
	}
	buf_reset(scratch);
	if (convert_binary_text(scratch, t, data, len) != 0)
		return -1;
	/* the text is the shortest already: nothing to shorten */
	shortest = o ? *o : (struct convert_opts) {0};
	shortest.legacy_floats = 0;
	if (convert_value(out, t, scratch->data, scratch->len, &shortest) == 0)
		return 0;
	/* what the text path does with a text it cannot convert */
	json_text(out, scratch->data, scratch->len);
	return buf_failed(out) ? -1 : 1;
}

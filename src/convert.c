/*
 * convert.c — one column value, as PostgreSQL's text output function
 * writes it, to the JSON value Debezium's PostgreSQL connector emits for
 * it (Kafka's JsonConverter, schemas disabled).  See convert.h for the
 * contract and docs/events.md ("Column types") for the mapping, mode by mode, and for the
 * places where walcap deliberately differs from Debezium.
 *
 * Every converter reads s[0..len) only (the text need not be
 * NUL-terminated), checks the whole text against the format the server's
 * output function produces under CONVERT_SESSION_OPTIONS, and appends
 * JSON to the output buf; convert_value() rewinds the buf when a
 * converter refuses the text.
 *
 * Memory: nothing here calls malloc.  Small temporaries live on the
 * stack.  The rare large ones (the limbs of a numeric with hundreds of
 * digits, the unescaped copy of a long quoted array element) are carved
 * out of the output buf itself as "scratch" at its end, and removed again
 * before the converter returns.  A pointer into scratch is valid only
 * until the buf next grows, so code that reads scratch while appending
 * first reserves (buf_grow) all the room its appends can take.
 */
#include "convert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert_binary.h"
#include "convert_int.h"
#include "geometry.h"
#include "json.h"

#define lengthof(a) (sizeof(a) / sizeof((a)[0]))

/* PostgreSQL's microsecond units */
#define USECS_PER_SEC	INT64_C(1000000)
#define USECS_PER_DAY	INT64_C(86400000000)
#define SECS_PER_DAY	INT64_C(86400)

/*
 * What Debezium emits for the infinite dates and timestamps.  Dates: the
 * LocalDate constants PostgresValueConverter uses for 'infinity' and
 * '-infinity' (-5877611-06-21 and -5877611-06-22), as epoch days.
 * Timestamps: PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY
 * read as microseconds, as the connector's documentation states.
 */
#define DATE_POS_INFINITY_DAYS	INT64_C(-2147472692)
#define DATE_NEG_INFINITY_DAYS	INT64_C(-2147472691)
#define TS_POS_INFINITY_USECS	INT64_C(9223372036825200000)
#define TS_NEG_INFINITY_USECS	(-INT64_C(9223372036832400000))

/* Elements up to this size are unescaped on the stack. */
#define ELEM_STACK_SIZE 256

/* Deepest array nesting accepted (PostgreSQL's MAXDIM). */
#define ARRAY_MAX_DEPTH 6

/* Interval hours/minutes beyond this are refused (PostgreSQL: ~2.6e9 h). */
#define INTERVAL_MAX_HOURS INT64_C(10000000000000)

static const struct convert_opts default_opts;

static int	convert_scalar(struct buf *out, const struct convert_type *t,
						   const char *s, size_t len,
						   const struct convert_opts *o);

/* ---------------------------------------------------------------------
 * Small text helpers
 * ---------------------------------------------------------------------
 */

/* True if c is an ASCII decimal digit. */
static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True if s[0..len) is exactly the NUL-terminated string lit. */
static int
text_is(const char *s, size_t len, const char *lit)
{
	size_t		n = strlen(lit);

	return len == n && memcmp(s, lit, n) == 0;
}

/* As text_is(), ignoring ASCII case. */
static int
text_is_ci(const char *s, size_t len, const char *lit)
{
	size_t		n = strlen(lit);

	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		char		a = s[i];
		char		b = lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (char) (a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char) (b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* PostgreSQL's array_isspace(): the whitespace array_in skips. */
static inline int
is_array_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
		c == '\f';
}

/*
 * Read exactly n decimal digits at s[*i] into *v; 0 on success, -1 if
 * fewer than n digits are there.  Advances *i.
 */
static int
read_fixed_digits(const char *s, size_t len, size_t *i, int n, int *v)
{
	int			r = 0;

	if (len - *i < (size_t) n)
		return -1;
	for (int k = 0; k < n; k++)
	{
		if (!is_digit(s[*i + k]))
			return -1;
		r = r * 10 + (s[*i + k] - '0');
	}
	*i += (size_t) n;
	*v = r;
	return 0;
}

/*
 * Read an optionally '-'-signed run of 1 to 18 decimal digits at s[*i]
 * into *v.  Returns 0 on success, -1 otherwise.  Advances *i.
 */
static int
read_signed(const char *s, size_t len, size_t *i, int64_t *v)
{
	size_t		j = *i;
	int			neg = 0;
	int64_t		r = 0;
	int			nd = 0;

	if (j < len && s[j] == '-')
	{
		neg = 1;
		j++;
	}
	while (j < len && is_digit(s[j]))
	{
		if (++nd > 18)
			return -1;
		r = r * 10 + (s[j] - '0');
		j++;
	}
	if (nd == 0)
		return -1;
	*i = j;
	*v = neg ? -r : r;
	return 0;
}

/*
 * If s[0..len) is one of float8out's special values, append the string
 * Jackson writes for it ("NaN", "Infinity", "-Infinity": JsonConverter
 * quotes non-numeric numbers) and return 1; else return 0.
 */
static int
emit_float_special(struct buf *out, const char *s, size_t len)
{
	if (text_is(s, len, "NaN") || text_is(s, len, "Infinity") ||
		text_is(s, len, "-Infinity"))
	{
		json_text(out, s, len);
		return 1;
	}
	return 0;
}

/*
 * Write the non-negative v in decimal at p, zero-padded to at least
 * width digits; returns the end.  p needs room for 20 characters.
 */
static char *
put_digits(char *p, uint64_t v, int width)
{
	char		tmp[24];
	int			n = 0;

	do
	{
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* ---------------------------------------------------------------------
 * Scratch space at the end of the output buf
 * ---------------------------------------------------------------------
 */

/*
 * Append n zero bytes to out as scratch, after padding its length to a
 * multiple of 8 so the region can hold integers.  Returns the region's
 * offset, or SIZE_MAX if the buf could not grow.  The caller removes the
 * region again with scratch_drop() or scratch_collapse().
 */
static size_t
scratch_alloc(struct buf *out, size_t n)
{
	size_t		pad = (8 - out->len % 8) % 8;

	if (buf_failed(out) || n > SIZE_MAX / 2 || buf_grow(out, pad + n) != 0)
		return SIZE_MAX;
	memset(out->data + out->len, 0, pad + n);
	out->len += pad + n;
	out->data[out->len] = '\0';
	return out->len - n;
}

/* Drop everything from offset at on (at <= len). */
static void
scratch_drop(struct buf *out, size_t at)
{
	buf_truncate(out, at);
}

/*
 * Move the bytes from offset from to the end of out down to offset to,
 * dropping the bytes between (the scratch that lay there).
 */
static void
scratch_collapse(struct buf *out, size_t to, size_t from)
{
	size_t		n;

	if (buf_failed(out) || out->data == NULL || from > out->len)
		return;
	n = out->len - from;
	memmove(out->data + to, out->data + from, n);
	out->len = to + n;
	out->data[out->len] = '\0';
}

/*
 * Replace out's bytes from offset at on, which are the output of
 * json_escape() or plain JSON built from it (valid UTF-8 without control
 * characters), by one JSON string holding them.  Such text at most
 * doubles when escaped again, which is the room reserved up front so
 * that the source bytes stay where they are while the copy is written.
 */
static int
scratch_to_string(struct buf *out, size_t at)
{
	size_t		n;

	if (buf_failed(out))
		return -1;
	n = out->len - at;
	if (buf_grow(out, 2 * n + 2) != 0)
		return -1;
	json_text(out, out->data + at, n);
	scratch_collapse(out, at, at + n);
	return 0;
}

/* ---------------------------------------------------------------------
 * Doubles
 * ---------------------------------------------------------------------
 */

/*
 * Append d as the shortest decimal that reads back as d (what Java's
 * Double.toString and Jackson aim for), in C's %g form, which is valid
 * JSON ("1e+30", "0.1", "-0"); NaN and infinities as Jackson writes them
 * by default: the quoted strings "NaN", "Infinity", "-Infinity".
 */
static void
emit_double(struct buf *out, double d)
{
	char		tmp[40];

	if (isnan(d))
	{
		buf_lit(out, "\"NaN\"");
		return;
	}
	if (isinf(d))
	{
		if (d > 0)
			buf_lit(out, "\"Infinity\"");
		else
			buf_lit(out, "\"-Infinity\"");
		return;
	}
	for (int p = 15; p <= 17; p++)
	{
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_append(out, tmp, strlen(tmp));
}

/*
 * Parse the decimal text s[0..len) (already validated: no hex, no
 * "inf") with strtod, which needs a NUL-terminated copy: on the stack
 * when short, else in scratch.  Returns 0 and sets *d, or -1 if the buf
 * could not grow.
 */
static int
text_to_double(struct buf *out, const char *s, size_t len, double *d)
{
	char		tmp[64];
	size_t		base;
	size_t		off;

	if (len < sizeof(tmp))
	{
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		*d = strtod(tmp, NULL);
		return 0;
	}
	base = out->len;
	off = scratch_alloc(out, len + 1);
	if (off == SIZE_MAX)
		return -1;
	memcpy(out->data + off, s, len);
	out->data[off + len] = '\0';
	*d = strtod(out->data + off, NULL);
	scratch_drop(out, base);
	return 0;
}

/* ---------------------------------------------------------------------
 * bool, integers, floats
 * ---------------------------------------------------------------------
 */

/*
 * bool: boolout writes "t" or "f"; "true"/"false" (the bool→text cast)
 * are accepted too.
 */
static int
conv_bool(struct buf *out, const char *s, size_t len)
{
	if (text_is(s, len, "t") || text_is(s, len, "true"))
		buf_lit(out, "true");
	else if (text_is(s, len, "f") || text_is(s, len, "false"))
		buf_lit(out, "false");
	else
		return -1;
	return 0;
}

/*
 * int2/int4/int8/oid/xid/cid/xid8: an optionally '-'-signed run of at
 * most 20 digits without leading zeros, copied as a JSON number.
 */
static int
conv_int(struct buf *out, const char *s, size_t len)
{
	size_t		i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i == len || len - i > 20)
		return -1;
	if (s[i] == '0' && len - i > 1)
		return -1;
	for (size_t j = i; j < len; j++)
		if (!is_digit(s[j]))
			return -1;
	buf_append(out, s, len);
	return 0;
}

/*
 * float4/float8: the text as a JSON number ("1e+30", "1.5", "-0"; see
 * json_float_text); NaN and the infinities become strings.
 */
static int
conv_float(struct buf *out, const char *s, size_t len, int single,
		   const struct convert_opts *o)
{
	if (emit_float_special(out, s, len))
		return 0;
	if (!json_is_number(s, len))
		return -1;
	json_float_text(out, s, len, single, o->legacy_floats);
	return 0;
}

/* ---------------------------------------------------------------------
 * numeric and money
 * ---------------------------------------------------------------------
 */

/* A decimal number's text split into its parts (pointers into input). */
struct decimal
{
	int			neg;
	const char *ip;				/* integer digits (at least one) */
	size_t		ilen;
	const char *fp;				/* fraction digits (possibly none) */
	size_t		flen;
};

/*
 * Parse numeric_out's text: -?d+(.d+)?  Returns 0 on success, -1
 * otherwise.
 */
static int
decimal_parse(const char *s, size_t len, struct decimal *d)
{
	size_t		i = 0;

	d->neg = 0;
	if (i < len && s[i] == '-')
	{
		d->neg = 1;
		i++;
	}
	d->ip = s + i;
	while (i < len && is_digit(s[i]))
		i++;
	d->ilen = (size_t) (s + i - d->ip);
	if (d->ilen == 0)
		return -1;
	d->fp = s + i;
	d->flen = 0;
	if (i < len && s[i] == '.')
	{
		i++;
		d->fp = s + i;
		while (i < len && is_digit(s[i]))
			i++;
		d->flen = (size_t) (s + i - d->fp);
		if (d->flen == 0)
			return -1;
	}
	return i == len ? 0 : -1;
}

/*
 * The decimal digits of an unscaled integer: p[0][0..n[0]) then
 * p[1][0..n[1]) then zeros trailing zeros.
 */
struct digits
{
	const char *p[2];
	size_t		n[2];
	size_t		zeros;
};

/*
 * Append pre, then the base64 (standard alphabet, padded: how Kafka's
 * JsonConverter writes BYTES) of the unscaled integer dg (+1 if roundup,
 * negated if neg) as Java's BigInteger.toByteArray() lays it out: the
 * minimal big-endian two's-complement bytes, then post.
 *
 * The digits are folded nine at a time into 32-bit limbs (least
 * significant first), which is quadratic in the digit count: instant for
 * every realistic value, a fraction of a second for the 147,000-digit
 * extreme numeric allows.  The limbs live on the stack up to about 350
 * digits and in scratch beyond.  Returns 0, or -1 if the buf failed.
 */
static int
emit_unscaled(struct buf *out, const struct digits *dg, int roundup, int neg,
			  const char *pre, const char *post)
{
	static const uint32_t pow10[10] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
		1000000000
	};
	uint32_t	small[40];
	uint32_t   *limb = small;
	size_t		ndig = dg->n[0] + dg->n[1] + dg->zeros;
	size_t		cap;
	size_t		nl = 1;
	size_t		base = out->len;
	size_t		off = SIZE_MAX;
	size_t		piece = 0;
	size_t		pos = 0;
	size_t		left = ndig;
	size_t		nbytes;
	size_t		skip;
	size_t		prelen = strlen(pre);
	size_t		postlen = strlen(post);
	unsigned char *bytes;
	int			iszero = 1;

	if (ndig > SIZE_MAX / 16)
		return -1;
	/* limbs: ceil(ndig * log2(10) / 32) + 1 for a carry, + 1 for the sign */
	cap = ndig * 10 / 96 + 3;
	if (cap > lengthof(small))
	{
		off = scratch_alloc(out, cap * sizeof(uint32_t));
		if (off == SIZE_MAX)
			return -1;
		limb = (uint32_t *) (void *) (out->data + off);
	}
	limb[0] = 0;

	/* fold the digits in: first ndig % 9 of them, then nine at a time */
	while (left > 0)
	{
		size_t		g = left % 9 ? left % 9 : 9;
		uint64_t	carry = 0;

		for (size_t k = 0; k < g; k++)
		{
			int			digit = 0;

			while (piece < 2 && pos >= dg->n[piece])
			{
				piece++;
				pos = 0;
			}
			if (piece < 2)
				digit = dg->p[piece][pos++] - '0';
			carry = carry * 10 + (uint64_t) digit;
		}
		left -= g;
		for (size_t k = 0; k < nl; k++)
		{
			uint64_t	v = (uint64_t) limb[k] * pow10[g] + carry;

			limb[k] = (uint32_t) v;
			carry = v >> 32;
		}
		if (carry)
			limb[nl++] = (uint32_t) carry;
	}
	if (roundup)
	{
		size_t		k = 0;

		while (k < nl && ++limb[k] == 0)
			k++;
		if (k == nl)
			limb[nl++] = 1;
	}
	for (size_t k = 0; k < nl; k++)
		if (limb[k])
			iszero = 0;
	if (iszero)
		neg = 0;

	/* one more limb for the sign, then two's complement if negative */
	limb[nl++] = 0;
	if (neg)
	{
		uint64_t	carry = 1;

		for (size_t k = 0; k < nl; k++)
		{
			uint64_t	v = (uint64_t) (uint32_t) ~limb[k] + carry;

			limb[k] = (uint32_t) v;
			carry = v >> 32;
		}
	}

	/* big-endian bytes, in place: reverse the limbs, then store each */
	for (size_t a = 0, b = nl - 1; a < b; a++, b--)
	{
		uint32_t	tmp = limb[a];

		limb[a] = limb[b];
		limb[b] = tmp;
	}
	bytes = (unsigned char *) limb;
	for (size_t k = 0; k < nl; k++)
	{
		uint32_t	v = limb[k];

		bytes[4 * k] = (unsigned char) (v >> 24);
		bytes[4 * k + 1] = (unsigned char) (v >> 16);
		bytes[4 * k + 2] = (unsigned char) (v >> 8);
		bytes[4 * k + 3] = (unsigned char) v;
	}
	nbytes = 4 * nl;

	/* minimal form: drop sign-extension bytes the next byte implies */
	skip = 0;
	while (skip + 1 < nbytes)
	{
		unsigned char b0 = bytes[skip];
		unsigned char b1 = bytes[skip + 1];

		if (neg ? (b0 == 0xFF && (b1 & 0x80)) : (b0 == 0 && !(b1 & 0x80)))
			skip++;
		else
			break;
	}

	if (off == SIZE_MAX)
	{
		buf_append(out, pre, prelen);
		json_base64(out, bytes + skip, nbytes - skip, 0);
		buf_append(out, post, postlen);
		return buf_failed(out) ? -1 : 0;
	}

	/*
	 * The bytes are in scratch: reserve everything the output needs so
	 * that writing it cannot move them, write it after the scratch, then
	 * slide it down over the scratch.
	 */
	{
		size_t		need = prelen + (nbytes - skip + 2) / 3 * 4 + postlen;
		size_t		from;

		if (buf_grow(out, need) != 0)
			return -1;
		bytes = (unsigned char *) out->data + off;
		from = out->len;
		buf_append(out, pre, prelen);
		json_base64(out, bytes + skip, nbytes - skip, 0);
		buf_append(out, post, postlen);
		scratch_collapse(out, base, from);
	}
	return buf_failed(out) ? -1 : 0;
}

/*
 * Append the Kafka Connect Decimal of d at the given scale: the base64
 * of its unscaled value, after rescaling the text (zeros appended when
 * it has fewer fraction digits, rounding half away from zero as
 * PostgreSQL does when it has more; a negative scale drops integer
 * digits).  pre/post wrap the base64 string.
 */
static int
emit_decimal_scaled(struct buf *out, const struct decimal *d, int scale,
					const char *pre, const char *post)
{
	struct digits dg;
	int64_t		total = (int64_t) d->ilen + (int64_t) d->flen;
	int64_t		keep = (int64_t) d->ilen + scale;	/* leading digits kept */
	int			roundup = 0;

	memset(&dg, 0, sizeof(dg));
	dg.p[0] = d->ip;
	dg.p[1] = d->fp;
	if (keep > 0)
	{
		int64_t		ilen = (int64_t) d->ilen;

		dg.n[0] = (size_t) (keep < ilen ? keep : ilen);
		if (keep > (int64_t) d->ilen)
		{
			int64_t		f = keep - (int64_t) d->ilen;

			dg.n[1] = (size_t) (f < (int64_t) d->flen ? f : (int64_t) d->flen);
		}
		if (keep > total)
			dg.zeros = (size_t) (keep - total);
	}
	if (keep >= 0 && keep < total)
	{
		char		r = keep < (int64_t) d->ilen ? d->ip[keep]
			: d->fp[keep - (int64_t) d->ilen];

		roundup = r >= '5';
	}
	return emit_unscaled(out, &dg, roundup, d->neg, pre, post);
}

/*
 * The scale of a numeric typmod: PostgreSQL 15 keeps it in the low 11
 * bits, sign-extended (numeric(3,-2) has scale -2).
 */
static int
numeric_typmod_scale(int32_t typmod)
{
	return (int) ((((uint32_t) (typmod - 4) & 0x7ff) ^ 1024)) - 1024;
}

/*
 * numeric.  precise: numeric(p,s) → Decimal (base64 of the unscaled
 * value at scale s); unconstrained → VariableScaleDecimal
 * {"scale":N,"value":"<base64>"} with N the digits after the point once
 * trailing zeros are stripped (BigDecimal.stripTrailingZeros, never
 * below 0).  NaN/±Infinity cannot be a Decimal: null.  double: a JSON
 * number (specials as strings).  string: the text; specials as Debezium
 * names them ("NAN", "POSITIVE_INFINITY", "NEGATIVE_INFINITY").
 */
static int
conv_numeric(struct buf *out, int32_t typmod, const char *s, size_t len,
			 const struct convert_opts *o)
{
	struct decimal d;
	const char *special = NULL;

	if (text_is(s, len, "NaN"))
		special = "NAN";
	else if (text_is(s, len, "Infinity"))
		special = "POSITIVE_INFINITY";
	else if (text_is(s, len, "-Infinity"))
		special = "NEGATIVE_INFINITY";
	if (special)
	{
		if (o->decimal == CONVERT_DECIMAL_DOUBLE)
			json_text(out, s, len);
		else if (o->decimal == CONVERT_DECIMAL_STRING)
			json_cstring(out, special);
		else
			buf_lit(out, "null");
		return 0;
	}
	if (decimal_parse(s, len, &d) != 0)
		return -1;

	switch (o->decimal)
	{
		case CONVERT_DECIMAL_DOUBLE:
			{
				double		v;

				if (text_to_double(out, s, len, &v) != 0)
					return -1;
				emit_double(out, v == 0 ? 0.0 : v);	/* BigDecimal has no -0 */
				return 0;
			}
		case CONVERT_DECIMAL_STRING:
			json_text(out, s, len);
			return 0;
		case CONVERT_DECIMAL_PRECISE:
		default:
			break;
	}

	if (typmod >= 4)
		return emit_decimal_scaled(out, &d, numeric_typmod_scale(typmod),
								   "\"", "\"");
	else
	{
		size_t		scale = d.flen;
		char		pre[48] = "{\"scale\":";
		char	   *p = pre + strlen(pre);

		while (scale > 0 && d.fp[scale - 1] == '0')
			scale--;
		if (scale > 100000)
			return -1;
		p = put_digits(p, scale, 1);
		memcpy(p, ",\"value\":\"", sizeof(",\"value\":\""));
		return emit_decimal_scaled(out, &d, (int) scale, pre, "\"}");
	}
}

/*
 * money under lc_monetary=C: "$1,234.56", "-$1,234.56" (also "($1.00)"
 * and a sign after the symbol, as other locales write it).  Debezium
 * treats money as a decimal of scale 2 (money.fraction.digits): precise
 * → base64 of the unscaled value rounded half up to 2 places; double →
 * number; string → the plain number ("-1234.56").
 */
static int
conv_money(struct buf *out, const char *s, size_t len,
		   const struct convert_opts *o)
{
	char		num[48];
	size_t		n = 0;
	size_t		i = 0;
	size_t		sym = 0;
	int			neg = 0;
	int			paren = 0;
	int			ndig = 0;
	int			seen_point = 0;
	struct decimal d;

	if (i < len && s[i] == '-')
	{
		neg = 1;
		i++;
	}
	else if (i < len && s[i] == '(')
	{
		neg = paren = 1;
		i++;
	}
	/* currency symbol: anything up to the first digit, at most 8 bytes */
	while (i < len && !is_digit(s[i]) && s[i] != '-' && s[i] != '.' &&
		   s[i] != ',')
	{
		if (++sym > 8)
			return -1;
		i++;
	}
	if (i < len && s[i] == '-' && !neg)
	{
		neg = 1;
		i++;
	}
	if (neg)
		num[n++] = '-';
	while (i < len)
	{
		char		c = s[i];

		int			group_sep = c == ',' && !seen_point && ndig > 0 &&
			i + 1 < len && is_digit(s[i + 1]);

		if (is_digit(c))
		{
			if (n >= sizeof(num) - 2)
				return -1;
			num[n++] = c;
			ndig++;
		}
		else if (c == '.' && !seen_point && ndig > 0)
		{
			num[n++] = '.';
			seen_point = 1;
		}
		else if (!group_sep)
			break;
		i++;
	}
	if (paren)
	{
		if (i == len || s[i] != ')')
			return -1;
		i++;
	}
	if (i != len || ndig == 0)
		return -1;
	if (decimal_parse(num, n, &d) != 0)
		return -1;

	switch (o->decimal)
	{
		case CONVERT_DECIMAL_DOUBLE:
			{
				double		v;

				if (text_to_double(out, num, n, &v) != 0)
					return -1;
				emit_double(out, v == 0 ? 0.0 : v);	/* BigDecimal has no -0 */
				return 0;
			}
		case CONVERT_DECIMAL_STRING:
			json_text(out, num, n);
			return 0;
		case CONVERT_DECIMAL_PRECISE:
		default:
			return emit_decimal_scaled(out, &d, 2, "\"", "\"");
	}
}

/* ---------------------------------------------------------------------
 * bytea and bit strings
 * ---------------------------------------------------------------------
 */

/* Value of hex digit c, or -1. */
static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * bytea under bytea_output=hex: "\x" then two hex digits a byte.
 * bytes/base64 → standard base64 (JsonConverter writes BYTES so);
 * base64-url-safe → the URL-safe alphabet, padded like Java's encoder;
 * hex → lowercase hex without the "\x".
 */
static int
conv_bytea(struct buf *out, const char *s, size_t len,
		   const struct convert_opts *o)
{
	unsigned char chunk[48];	/* a multiple of 3: no padding mid-stream */
	size_t		n = 0;

	if (len < 2 || s[0] != '\\' || s[1] != 'x' || (len - 2) % 2 != 0)
		return -1;
	s += 2;
	len -= 2;
	for (size_t i = 0; i < len; i++)
		if (hex_value(s[i]) < 0)
			return -1;

	buf_putc(out, '"');
	if (o->binary == CONVERT_BINARY_HEX)
	{
		static const char hex[] = "0123456789abcdef";
		char		tmp[64];

		for (size_t i = 0; i < len; i += 2)
		{
			int			v = hex_value(s[i]) << 4 | hex_value(s[i + 1]);

			tmp[n++] = hex[v >> 4];
			tmp[n++] = hex[v & 15];
			if (n == sizeof(tmp))
			{
				buf_append(out, tmp, n);
				n = 0;
			}
		}
		buf_append(out, tmp, n);
	}
	else
	{
		int			url = o->binary == CONVERT_BINARY_BASE64_URL_SAFE;

		for (size_t i = 0; i < len; i += 2)
		{
			int			v = hex_value(s[i]) << 4 | hex_value(s[i + 1]);

			chunk[n++] = (unsigned char) v;
			if (n == sizeof(chunk))
			{
				json_base64(out, chunk, n, url);
				n = 0;
			}
		}
		json_base64(out, chunk, n, url);
	}
	buf_putc(out, '"');
	return 0;
}

/*
 * bit(n)/varbit(n): a string of '0' and '1'.  A column of length 1
 * (bit(1), varbit(1)) is a boolean.  Otherwise io.debezium.data.Bits:
 * the bits as java.util.BitSet.toByteArray() lays them out (the
 * rightmost character is bit 0; little-endian bytes; only as many bytes
 * as the highest set bit needs, so all-zero bits give no bytes), written
 * as standard base64 whatever the binary mode, as Debezium does.
 */
static int
conv_bit(struct buf *out, int32_t typmod, const char *s, size_t len)
{
	unsigned char chunk[48];
	size_t		n = 0;
	size_t		first = len;	/* index of the most significant '1' */
	size_t		nbits;
	size_t		nbytes;

	for (size_t i = 0; i < len; i++)
	{
		if (s[i] != '0' && s[i] != '1')
			return -1;
		if (s[i] == '1' && first == len)
			first = i;
	}
	if (typmod == 1)
	{
		if (len == 0)
			return -1;
		if (first < len)
			buf_lit(out, "true");
		else
			buf_lit(out, "false");
		return 0;
	}
	nbits = len - first;
	nbytes = (nbits + 7) / 8;
	buf_putc(out, '"');
	for (size_t k = 0; k < nbytes; k++)
	{
		unsigned	v = 0;

		for (int b = 0; b < 8; b++)
		{
			size_t		bit = 8 * k + (size_t) b;

			if (bit < len && s[len - 1 - bit] == '1')
				v |= 1u << b;
		}
		chunk[n++] = (unsigned char) v;
		if (n == sizeof(chunk))
		{
			json_base64(out, chunk, n, 0);
			n = 0;
		}
	}
	json_base64(out, chunk, n, 0);
	buf_putc(out, '"');
	return 0;
}

/* ---------------------------------------------------------------------
 * Dates and times
 * ---------------------------------------------------------------------
 */

/* True if astronomical year y (1 BC is 0) is a Gregorian leap year. */
static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days in month m of astronomical year y. */
static int
days_in_month(int64_t y, int m)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar,
 * astronomical years (Howard Hinnant's days_from_civil: exact for every
 * year, using truncating division only on non-negative operands).
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil(); convert_int.h. */
void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Floor division and its remainder for a positive divisor. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/*
 * Parse "Y...Y-MM-DD" (at least four year digits, as date_out pads
 * them) at s[*i].  Sets the (era) year, month and day, checked against
 * the calendar later, when the era is known.
 */
static int
parse_ymd(const char *s, size_t len, size_t *i, int64_t *y, int *m, int *d)
{
	size_t		j = *i;
	int64_t		yy = 0;
	int			nd = 0;

	while (j < len && is_digit(s[j]))
	{
		if (++nd > 9)
			return -1;
		yy = yy * 10 + (s[j] - '0');
		j++;
	}
	if (nd < 4 || j == len || s[j] != '-')
		return -1;
	j++;
	if (read_fixed_digits(s, len, &j, 2, m) != 0 || j == len || s[j] != '-')
		return -1;
	j++;
	if (read_fixed_digits(s, len, &j, 2, d) != 0)
		return -1;
	*i = j;
	*y = yy;
	return 0;
}

/*
 * Turn an era year (as printed, with " BC" seen or not) into an
 * astronomical one and check the date exists.
 */
static int
check_date(int64_t *y, int m, int d, int bc)
{
	if (*y < 1)
		return -1;
	if (bc)
		*y = 1 - *y;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(*y, m))
		return -1;
	return 0;
}

/*
 * Parse "HH:MM:SS[.ffffff]" at s[*i] into microseconds since midnight.
 * allow24: accept 24:00:00 (time and timetz may hold the end of day).
 */
static int
parse_hms(const char *s, size_t len, size_t *i, int allow24, int64_t *usec)
{
	size_t		j = *i;
	int			hh;
	int			mm;
	int			ss;
	int64_t		frac = 0;

	if (read_fixed_digits(s, len, &j, 2, &hh) != 0 || j == len || s[j] != ':')
		return -1;
	j++;
	if (read_fixed_digits(s, len, &j, 2, &mm) != 0 || j == len || s[j] != ':')
		return -1;
	j++;
	if (read_fixed_digits(s, len, &j, 2, &ss) != 0)
		return -1;
	if (j < len && s[j] == '.')
	{
		int			nd = 0;

		j++;
		while (j < len && is_digit(s[j]))
		{
			if (++nd > 6)
				return -1;
			frac = frac * 10 + (s[j] - '0');
			j++;
		}
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	if (mm > 59 || ss > 59)
		return -1;
	if (hh > 23 && !(allow24 && hh == 24 && mm == 0 && ss == 0 && frac == 0))
		return -1;
	*usec = ((int64_t) hh * 3600 + mm * 60 + ss) * USECS_PER_SEC + frac;
	*i = j;
	return 0;
}

/*
 * Parse a UTC offset "+HH[:MM[:SS]]" at s[*i] into seconds east of UTC.
 */
static int
parse_offset(const char *s, size_t len, size_t *i, int64_t *secs)
{
	size_t		j = *i;
	int			sign;
	int			hh;
	int			mm = 0;
	int			ss = 0;

	if (j == len || (s[j] != '+' && s[j] != '-'))
		return -1;
	sign = s[j] == '-' ? -1 : 1;
	j++;
	if (read_fixed_digits(s, len, &j, 2, &hh) != 0)
		return -1;
	if (j < len && s[j] == ':')
	{
		j++;
		if (read_fixed_digits(s, len, &j, 2, &mm) != 0)
			return -1;
		if (j < len && s[j] == ':')
		{
			j++;
			if (read_fixed_digits(s, len, &j, 2, &ss) != 0)
				return -1;
		}
	}
	if (mm > 59 || ss > 59)
		return -1;
	*secs = sign * ((int64_t) hh * 3600 + mm * 60 + ss);
	*i = j;
	return 0;
}

/* True (and *i advanced) if " BC" ends the text at s[*i]. */
static int
parse_bc(const char *s, size_t len, size_t *i)
{
	if (len - *i == 3 && memcmp(s + *i, " BC", 3) == 0)
	{
		*i += 3;
		return 1;
	}
	return 0;
}

/*
 * The fractional-second precision of a time/timestamp typmod: the typmod
 * itself, 6 when unspecified (-1), capped at 6 as PostgreSQL caps it.
 */
static int
time_precision(int32_t typmod)
{
	return typmod < 0 || typmod > 6 ? 6 : (int) typmod;
}

/*
 * date → io.debezium.time.Date (or Kafka's Date in connect mode): days
 * since 1970-01-01.  'infinity'/'-infinity' become Debezium's sentinels.
 */
static int
conv_date(struct buf *out, const char *s, size_t len)
{
	size_t		i = 0;
	int64_t		y;
	int			m;
	int			d;
	int64_t		days;

	if (text_is(s, len, "infinity"))
	{
		json_int64(out, DATE_POS_INFINITY_DAYS);
		return 0;
	}
	if (text_is(s, len, "-infinity"))
	{
		json_int64(out, DATE_NEG_INFINITY_DAYS);
		return 0;
	}
	if (parse_ymd(s, len, &i, &y, &m, &d) != 0)
		return -1;
	if (check_date(&y, m, d, parse_bc(s, len, &i)) != 0 || i != len)
		return -1;
	days = days_from_civil(y, m, d);
	if (days < INT32_MIN || days > INT32_MAX)
		return -1;
	json_int64(out, days);
	return 0;
}

/*
 * time → microseconds since midnight (MicroTime) or milliseconds (Time,
 * and Kafka's Time in connect mode), per time.precision.mode: adaptive
 * picks milliseconds for time(0..3), microseconds for time(4..6) and
 * plain time.  24:00:00 is a full day.
 */
static int
conv_time(struct buf *out, int32_t typmod, const char *s, size_t len,
		  const struct convert_opts *o)
{
	size_t		i = 0;
	int64_t		usec;
	int			millis;

	if (parse_hms(s, len, &i, 1, &usec) != 0 || i != len)
		return -1;
	if (o->time == CONVERT_TIME_CONNECT)
		millis = 1;
	else if (o->time == CONVERT_TIME_ADAPTIVE_MICRO)
		millis = 0;
	else
		millis = time_precision(typmod) <= 3;
	json_int64(out, millis ? usec / 1000 : usec);
	return 0;
}

/*
 * Append "HH:MM:SS" for a time of day in microseconds, then the
 * fraction: exactly width digits (truncated, as Java's formatter does)
 * or, when width is 0, only the digits needed (none if it is zero).
 */
static void
emit_clock(struct buf *out, int64_t usec, int width)
{
	char		tmp[32];
	char	   *p = tmp;
	int64_t		secs = usec / USECS_PER_SEC;
	int			frac = (int) (usec % USECS_PER_SEC);

	p = put_digits(p, (uint64_t) (secs / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t) (secs / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t) (secs % 60), 2);
	if (width > 0 || frac != 0)
	{
		char	   *f = p + 1;

		*p++ = '.';
		p = put_digits(p, (uint64_t) frac, 6);
		if (width == 0)
			while (p[-1] == '0')
				p--;
		else
			p = f + width;
	}
	buf_append(out, tmp, (size_t) (p - tmp));
}

/*
 * timetz → io.debezium.time.ZonedTime: the time moved to UTC, formatted
 * like Java's ISO_OFFSET_TIME ("HH:MM:SS[.fraction]Z", the fraction
 * without trailing zeros).  24:00:00 at a zero offset stays "24:00:00Z"
 * as Debezium keeps the end-of-day boundary.
 */
static int
conv_timetz(struct buf *out, const char *s, size_t len)
{
	size_t		i = 0;
	int64_t		usec;
	int64_t		off;

	if (parse_hms(s, len, &i, 1, &usec) != 0 ||
		parse_offset(s, len, &i, &off) != 0 || i != len)
		return -1;
	buf_putc(out, '"');
	if (usec == USECS_PER_DAY && off == 0)
		buf_lit(out, "24:00:00");
	else
	{
		usec -= off * USECS_PER_SEC;
		usec %= USECS_PER_DAY;
		if (usec < 0)
			usec += USECS_PER_DAY;
		emit_clock(out, usec, 0);
	}
	buf_lit(out, "Z\"");
	return 0;
}

/*
 * Parse timestamp(tz) text "Y-MM-DD HH:MM:SS[.f][+HH[:MM[:SS]]][ BC]"
 * into seconds and microseconds since the epoch (UTC, offset applied).
 */
static int
parse_timestamp(const char *s, size_t len, int with_tz,
				int64_t *secs, int64_t *frac)
{
	size_t		i = 0;
	int64_t		y;
	int			m;
	int			d;
	int64_t		tod;
	int64_t		off = 0;
	int			bc;

	if (parse_ymd(s, len, &i, &y, &m, &d) != 0 || i == len || s[i] != ' ')
		return -1;
	i++;
	if (parse_hms(s, len, &i, 0, &tod) != 0)
		return -1;
	if (with_tz && parse_offset(s, len, &i, &off) != 0)
		return -1;
	bc = parse_bc(s, len, &i);
	if (i != len || check_date(&y, m, d, bc) != 0)
		return -1;
	*secs = days_from_civil(y, m, d) * SECS_PER_DAY + tod / USECS_PER_SEC;
	*secs -= off;
	*frac = tod % USECS_PER_SEC;
	return 0;
}

/*
 * timestamp → milliseconds (io.debezium.time.Timestamp; Kafka's
 * Timestamp in connect mode) or microseconds (MicroTimestamp) since the
 * epoch: adaptive modes pick milliseconds for timestamp(0..3).
 * Milliseconds round towards minus infinity (Instant.toEpochMilli).
 * 'infinity'/'-infinity' become Debezium's sentinels.  Microseconds
 * past the int64 range (after about 294247 AD) cannot be represented.
 */
static int
conv_timestamp(struct buf *out, int32_t typmod, const char *s, size_t len,
			   const struct convert_opts *o)
{
	int			millis;
	int64_t		secs;
	int64_t		frac;
	int64_t		v;

	if (o->time == CONVERT_TIME_CONNECT)
		millis = 1;
	else
		millis = time_precision(typmod) <= 3;

	if (text_is(s, len, "infinity") || text_is(s, len, "-infinity"))
	{
		v = s[0] == '-' ? TS_NEG_INFINITY_USECS : TS_POS_INFINITY_USECS;
		json_int64(out, millis ? floor_div(v, 1000) : v);
		return 0;
	}
	if (parse_timestamp(s, len, 0, &secs, &frac) != 0)
		return -1;
	/* frac >= 0, so frac / 1000 makes the milliseconds the floor */
	if (__builtin_mul_overflow(secs, millis ? 1000 : USECS_PER_SEC, &v) ||
		__builtin_add_overflow(v, millis ? frac / 1000 : frac, &v))
		return -1;
	json_int64(out, v);
	return 0;
}

/*
 * The common case of conv_timestamptz() without arithmetic: with
 * TimeZone=UTC the server prints "YYYY-MM-DD HH:MM:SS[.f…]+00", which is
 * already the UTC instant, so for years 1000-9999 AD the ISO form is the
 * same characters with 'T' and 'Z' and the fraction padded to the column's
 * precision.  Returns -1 (nothing appended) for anything else, which the
 * general path handles.
 */
static int
timestamptz_fast(struct buf *out, int32_t typmod, const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	int			width = typmod == 0 ? 0 : time_precision(typmod);
	size_t		nfrac = 0;
	char		tmp[48];
	char	   *p = tmp;

	if (len < 22 || len > 29 || s[0] == '0' ||
		s[len - 3] != '+' || s[len - 2] != '0' || s[len - 1] != '0')
		return -1;
	for (int i = 0; i < 19; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return -1;
	if (len > 22)
	{
		if (s[19] != '.')
			return -1;
		nfrac = len - 23;
		for (size_t i = 0; i < nfrac; i++)
			if (s[20 + i] < '0' || s[20 + i] > '9')
				return -1;
	}
	if ((int) nfrac > width || (nfrac == 0 && len != 22))
		return -1;
	{
		int			y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		int			m = (s[5] - '0') * 10 + (s[6] - '0');
		int			d = (s[8] - '0') * 10 + (s[9] - '0');

		if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) ||
			s[11] > '2' || (s[11] == '2' && s[12] > '3') || s[14] > '5' || s[17] > '5')
			return -1;
	}
	*p++ = '"';
	memcpy(p, s, 19);
	p[10] = 'T';
	p += 19;
	if (width > 0)
	{
		*p++ = '.';
		memcpy(p, s + 20, nfrac);
		memset(p + nfrac, '0', (size_t) width - nfrac);
		p += width;
	}
	*p++ = 'Z';
	*p++ = '"';
	buf_append(out, tmp, (size_t) (p - tmp));
	return 0;
}

/*
 * timestamptz → io.debezium.time.ZonedTimestamp: ISO-8601 in UTC ending
 * in "Z", formatted as Debezium formats it since 2.2 (DBZ-5996): exactly
 * as many fraction digits as the column's precision (6 when
 * unspecified), none for precision 0; years beyond 9999 get a "+" and
 * BC years are astronomical with a "-" (1 BC is "0000", 44 BC "-0043"),
 * as java.time prints them.  'infinity'/'-infinity' pass through as
 * those strings.
 */
static int
conv_timestamptz(struct buf *out, int32_t typmod, const char *s, size_t len)
{
	int64_t		secs;
	int64_t		frac;
	int64_t		days;
	int64_t		y;
	int			m;
	int			d;
	char		tmp[48];
	char	   *p;

	if (text_is(s, len, "infinity") || text_is(s, len, "-infinity"))
	{
		json_text(out, s, len);
		return 0;
	}
	if (timestamptz_fast(out, typmod, s, len) == 0)
		return 0;
	if (parse_timestamp(s, len, 1, &secs, &frac) != 0)
		return -1;
	days = floor_div(secs, SECS_PER_DAY);
	secs -= days * SECS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	p = tmp;
	*p++ = '"';
	if (y > 9999)
		*p++ = '+';
	else if (y < 0)
		*p++ = '-';
	p = put_digits(p, (uint64_t) (y < 0 ? -y : y), 4);
	*p++ = '-';
	p = put_digits(p, (uint64_t) m, 2);
	*p++ = '-';
	p = put_digits(p, (uint64_t) d, 2);
	*p++ = 'T';
	buf_append(out, tmp, (size_t) (p - tmp));
	emit_clock(out, secs * USECS_PER_SEC + frac,
			   typmod == 0 ? 0 : time_precision(typmod));
	buf_lit(out, "Z\"");
	return 0;
}

/* ---------------------------------------------------------------------
 * interval
 * ---------------------------------------------------------------------
 */

/* An interval's fields as IntervalStyle iso_8601 prints them. */
struct interval
{
	int64_t		years;
	int64_t		months;
	int64_t		days;
	int64_t		hours;
	int64_t		minutes;
	int64_t		usecs;			/* the seconds field, in microseconds */
};

/*
 * Parse "P[nY][nM][nD][T[nH][nM][x.xS]]" (each n optionally negative;
 * "PT0S" for zero) as PostgreSQL's EncodeInterval writes it.
 */
static int
interval_parse(const char *s, size_t len, struct interval *iv)
{
	static const char date_units[] = "YMD";
	static const char time_units[] = "HM";	/* S is handled apart */
	int64_t    *date_fields[3];
	int64_t    *time_fields[2];
	size_t		i = 1;
	int			next = 0;
	int			any = 0;

	memset(iv, 0, sizeof(*iv));
	date_fields[0] = &iv->years;
	date_fields[1] = &iv->months;
	date_fields[2] = &iv->days;
	time_fields[0] = &iv->hours;
	time_fields[1] = &iv->minutes;
	if (len < 2 || s[0] != 'P')
		return -1;
	while (i < len && s[i] != 'T')
	{
		int64_t		v;
		const char *u;

		if (read_signed(s, len, &i, &v) != 0 || i == len)
			return -1;
		u = next < 3 ? memchr(date_units + next, s[i], (size_t) (3 - next))
			: NULL;
		if (u == NULL)
			return -1;
		next = (int) (u - date_units);
		*date_fields[next++] = v;
		any = 1;
		i++;
	}
	if (i < len)
	{
		int			tany = 0;

		i++;					/* the 'T' */
		next = 0;
		while (i < len)
		{
			int64_t		v;
			const char *u;
			size_t		start = i;

			if (read_signed(s, len, &i, &v) != 0 || i == len)
				return -1;
			if (s[i] == '.' || s[i] == 'S')
			{
				/* seconds, perhaps with a fraction: the last field */
				int64_t		frac = 0;
				int			nd = 0;
				int			neg = s[start] == '-';

				if (v > INT64_MAX / USECS_PER_SEC ||
					v < -(INT64_MAX / USECS_PER_SEC))
					return -1;
				if (s[i] == '.')
				{
					i++;
					while (i < len && is_digit(s[i]))
					{
						if (++nd > 6)
							return -1;
						frac = frac * 10 + (s[i] - '0');
						i++;
					}
					if (nd == 0)
						return -1;
					for (; nd < 6; nd++)
						frac *= 10;
				}
				if (i != len - 1 || s[i] != 'S')
					return -1;
				iv->usecs = v * USECS_PER_SEC + (neg ? -frac : frac);
				i++;
				tany = 1;
				break;
			}
			u = next < 2 ? memchr(time_units + next, s[i], (size_t) (2 - next))
				: NULL;
			if (u == NULL)
				return -1;
			next = (int) (u - time_units);
			*time_fields[next++] = v;
			tany = 1;
			i++;
		}
		if (!tany)
			return -1;
		any = 1;
	}
	if (!any || i != len)
		return -1;
	/* PostgreSQL's own limits, loosely: keeps the arithmetic in range */
	if (iv->years > INT32_MAX || iv->years < INT32_MIN ||
		iv->months > INT32_MAX || iv->months < INT32_MIN ||
		iv->days > INT32_MAX || iv->days < INT32_MIN ||
		iv->hours > INTERVAL_MAX_HOURS || iv->hours < -INTERVAL_MAX_HOURS ||
		iv->minutes > INTERVAL_MAX_HOURS || iv->minutes < -INTERVAL_MAX_HOURS)
		return -1;
	return 0;
}

/*
 * Java's (long) cast of a double: truncation towards zero, saturating
 * at the ends of the int64 range, NaN as 0.
 */
static int64_t
java_double_to_long(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775808.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t) d;
}

/*
 * The seconds field as pgjdbc's PGInterval.getSeconds() returns it: whole
 * seconds plus the microseconds divided by a million, in doubles.
 */
static double
interval_seconds(int64_t usecs)
{
	double		whole = (double) (usecs / USECS_PER_SEC);
	double		part = (double) (usecs % USECS_PER_SEC) / 1000000.0;

	return whole + part;
}

/*
 * Debezium's MicroDuration.durationMicros() with 365.25/12 days a month,
 * step by step in doubles as Java evaluates it (one operation per
 * statement, so no compiler may fuse a multiply-add and round
 * differently), truncated to a long.
 */
static int64_t
interval_micros(const struct interval *iv)
{
	const double days_per_month = 365.25 / 12.0;
	double		months = (double) (iv->years * 12 + iv->months);
	double		days;
	double		secs;

	days = months * days_per_month;
	days = days + (double) iv->days;
	secs = days * 24;
	secs = secs + (double) iv->hours;
	secs = secs * 60;
	secs = secs + (double) iv->minutes;
	secs = secs * 60;
	secs = secs + interval_seconds(iv->usecs);
	secs = secs * 1e6;
	return java_double_to_long(secs);
}

/*
 * Append the seconds as Debezium's Interval.toIsoString() prints them:
 * BigDecimal.valueOf(getSeconds()) — the shortest decimal of the double,
 * which for a few microsecond values is not the exact one
 * (-59.999917 s gives -59.999916999999996) — cut to at most 9 fraction
 * digits towards zero, trailing zeros stripped, plain notation.
 */
static void
emit_java_seconds(struct buf *out, int64_t usecs)
{
	double		d = interval_seconds(usecs);
	char		exact[48];
	char		sci[48];
	char		digits[24];
	char		res[64];
	int			nd = 0;
	int			exp10;
	int			neg;
	int			n = 0;
	char	   *p;
	uint64_t	a = usecs < 0 ? 0 - (uint64_t) usecs : (uint64_t) usecs;

	/*
	 * The exact decimal, if it reads back as d and has at most 15
	 * significant digits (so no shorter decimal can also read back as d):
	 * always so for the seconds field PostgreSQL prints (below 60) except
	 * for a few values such as the one above.
	 */
	n = snprintf(exact, sizeof(exact), "%s%llu.%06llu", usecs < 0 ? "-" : "",
				 (unsigned long long) (a / 1000000),
				 (unsigned long long) (a % 1000000));
	while (exact[n - 1] == '0')
		n--;
	if (exact[n - 1] == '.')
		n--;
	exact[n] = '\0';
	if (a / 1000000 < 1000000000 && strtod(exact, NULL) == d)
	{
		buf_append(out, exact, (size_t) n);
		return;
	}

	/* otherwise the shortest round-tripping digits, then plain notation */
	for (int prec = 1; prec <= 17; prec++)
	{
		snprintf(sci, sizeof(sci), "%.*e", prec - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	p = sci;
	neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (is_digit(*p))
			digits[nd++] = *p;
	exp10 = *p == 'e' ? atoi(p + 1) : 0;
	/* value = 0.d1d2d3... * 10^(exp10 + 1) */
	n = 0;
	if (neg)
		res[n++] = '-';
	if (exp10 < 0)
	{
		res[n++] = '0';
		res[n++] = '.';
		for (int k = 0; k < -exp10 - 1 && n < 40; k++)
			res[n++] = '0';
		for (int k = 0; k < nd && n < 60; k++)
			res[n++] = digits[k];
	}
	else
	{
		int			k;

		for (k = 0; k <= exp10; k++)
			res[n++] = k < nd ? digits[k] : '0';
		if (k < nd)
		{
			res[n++] = '.';
			for (; k < nd; k++)
				res[n++] = digits[k];
		}
	}
	res[n] = '\0';
	/* at most 9 fraction digits (setScale(9, DOWN)), trailing zeros off */
	p = strchr(res, '.');
	if (p != NULL)
	{
		if (strlen(p + 1) > 9)
			n = (int) (p + 1 - res) + 9;
		while (res[n - 1] == '0')
			n--;
		if (res[n - 1] == '.')
			n--;
		res[n] = '\0';
	}
	if (text_is(res, (size_t) n, "-0"))
		n = snprintf(res, sizeof(res), "0");
	buf_append(out, res, (size_t) n);
}

/*
 * interval.  numeric → io.debezium.time.MicroDuration (approximate
 * microseconds, months of 365.25/12 days); string →
 * io.debezium.time.Interval, "P<y>Y<m>M<d>DT<h>H<m>M<s>S" with every
 * field present, as Debezium prints it.
 */
static int
conv_interval(struct buf *out, const char *s, size_t len,
			  const struct convert_opts *o)
{
	struct interval iv;

	if (interval_parse(s, len, &iv) != 0)
		return -1;
	if (o->interval == CONVERT_INTERVAL_STRING)
	{
		buf_printf(out, "\"P%lldY%lldM%lldDT%lldH%lldM",
				   (long long) iv.years, (long long) iv.months,
				   (long long) iv.days, (long long) iv.hours,
				   (long long) iv.minutes);
		emit_java_seconds(out, iv.usecs);
		buf_lit(out, "S\"");
	}
	else
		json_int64(out, interval_micros(&iv));
	return 0;
}

/* ---------------------------------------------------------------------
 * hstore
 * ---------------------------------------------------------------------
 */

/*
 * Append the double-quoted, backslash-escaped text starting at s[*i]
 * (which is the opening '"') as a JSON string, unescaping as it goes.
 * Advances *i past the closing quote; -1 if there is none.
 */
static int
emit_quoted(struct buf *out, const char *s, size_t len, size_t *i)
{
	size_t		j = *i + 1;
	size_t		run = j;

	buf_putc(out, '"');
	while (j < len && s[j] != '"')
	{
		if (s[j] == '\\')
		{
			json_escape(out, s + run, j - run);
			if (++j == len)
				return -1;
			json_escape(out, s + j, 1);
			run = j + 1;
		}
		j++;
	}
	if (j == len)
		return -1;
	json_escape(out, s + run, j - run);
	buf_putc(out, '"');
	*i = j + 1;
	return 0;
}

/*
 * Append hstore_out's text ("k"=>"v", "k2"=>NULL; empty for no pairs)
 * as a JSON object {"k":"v","k2":null}, pairs in the text's order.
 */
static int
hstore_object(struct buf *out, const char *s, size_t len)
{
	size_t		i = 0;
	int			first = 1;

	buf_putc(out, '{');
	for (;;)
	{
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		if (!first)
		{
			if (s[i] != ',')
				return -1;
			i++;
			while (i < len && s[i] == ' ')
				i++;
		}
		if (i == len || s[i] != '"')
			return -1;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		if (emit_quoted(out, s, len, &i) != 0)
			return -1;
		buf_putc(out, ':');
		while (i < len && s[i] == ' ')
			i++;
		if (len - i < 2 || s[i] != '=' || s[i + 1] != '>')
			return -1;
		i += 2;
		while (i < len && s[i] == ' ')
			i++;
		if (i < len && s[i] == '"')
		{
			if (emit_quoted(out, s, len, &i) != 0)
				return -1;
		}
		else if (len - i >= 4 && text_is_ci(s + i, 4, "NULL"))
		{
			buf_lit(out, "null");
			i += 4;
		}
		else
			return -1;
	}
	buf_putc(out, '}');
	return 0;
}

/*
 * hstore → map mode: a JSON object; json mode (io.debezium.data.Json):
 * a JSON string holding that object's text.
 */
static int
conv_hstore(struct buf *out, const char *s, size_t len,
			const struct convert_opts *o)
{
	size_t		at = out->len;

	if (hstore_object(out, s, len) != 0)
		return -1;
	if (o->hstore == CONVERT_HSTORE_JSON)
		return scratch_to_string(out, at);
	return 0;
}

/* ---------------------------------------------------------------------
 * Arrays
 * ---------------------------------------------------------------------
 */

/*
 * Convert one array element whose raw text is s[0..len) with nesc
 * backslash escapes in it, the first at index first.  Text elements are
 * unescaped straight into the JSON string.  Others need the unescaped
 * text in one piece: as is when there is nothing to unescape; one char
 * on when the only escape is the first char (a bytea's "\\x..."); on the
 * stack when short; else in scratch, with room reserved beforehand for
 * everything the element's conversion can append (its output and its
 * own scratch stay under 24 bytes per input byte plus 4 KB), so that
 * the scratch text cannot move while it is read.
 */
static int
convert_element(struct buf *out, const struct convert_type *et,
				const char *s, size_t len, size_t nesc, size_t first,
				const struct convert_opts *o)
{
	char		tmp[ELEM_STACK_SIZE];
	size_t		n = 0;
	size_t		base;
	size_t		off;
	size_t		from;
	int			rc;

	if (nesc == 0)
		return convert_scalar(out, et, s, len, o);
	if (et->kind == CONVERT_STRING)
	{
		size_t		j = 0;
		size_t		run = 0;

		buf_putc(out, '"');
		while (j < len)
		{
			if (s[j] == '\\' && j + 1 < len)
			{
				json_escape(out, s + run, j - run);
				json_escape(out, s + j + 1, 1);
				j += 2;
				run = j;
			}
			else
				j++;
		}
		json_escape(out, s + run, len - run);
		buf_putc(out, '"');
		return 0;
	}
	if (nesc == 1 && first == 0)
		return convert_scalar(out, et, s + 1, len - 1, o);
	if (len - nesc <= sizeof(tmp))
	{
		for (size_t j = 0; j < len; j++)
		{
			if (s[j] == '\\' && j + 1 < len)
				j++;
			tmp[n++] = s[j];
		}
		return convert_scalar(out, et, tmp, n, o);
	}

	/* long: unescape into scratch, convert from there, slide down */
	if (len > (SIZE_MAX - 4096) / 32)
		return -1;
	base = out->len;
	off = scratch_alloc(out, len);
	if (off == SIZE_MAX)
		return -1;
	if (buf_grow(out, 24 * len + 4096) != 0)
		return -1;
	for (size_t j = 0; j < len; j++)
	{
		if (s[j] == '\\' && j + 1 < len)
			j++;
		out->data[off + n++] = s[j];
	}
	from = out->len;
	rc = convert_scalar(out, et, out->data + off, n, o);
	if (rc == 0)
		scratch_collapse(out, base, from);
	return rc;
}

/*
 * array_out's text → a JSON array (nested for more dimensions) of the
 * elements converted as t->elem_kind, NULL as null.  Accepts the
 * "[lb:ub]...=" bounds decoration (dropped), quoted elements with
 * backslash escapes, and whitespace between tokens as array_in does.
 * Any element that does not convert fails the whole value.
 */
static int
conv_array(struct buf *out, const struct convert_type *t, const char *s,
		   size_t len, const struct convert_opts *o)
{
	struct convert_type et = *t;
	char		delim = t->delim ? t->delim : ',';
	size_t		i = 0;
	int			depth = 0;
	int			expect_item = 1;	/* after '{' or a delimiter */
	int			after_open = 0;

	et.kind = t->elem_kind == CONVERT_ARRAY ? CONVERT_STRING : t->elem_kind;
	et.elem_kind = CONVERT_STRING;

	if (len > 0 && s[0] == '[')
	{
		while (i < len && s[i] != '=')
		{
			char		c = s[i];

			if (!is_digit(c) && c != '[' && c != ']' && c != ':' && c != '-' &&
				c != '+')
				return -1;
			i++;
		}
		if (i == len)
			return -1;
		i++;
	}
	while (i < len && is_array_space(s[i]))
		i++;
	if (i == len || s[i] != '{')
		return -1;

	while (i < len)
	{
		char		c = s[i];

		if (is_array_space(c))
		{
			i++;
			continue;
		}
		if (c == '{')
		{
			if (!expect_item || ++depth > ARRAY_MAX_DEPTH)
				return -1;
			buf_putc(out, '[');
			after_open = 1;
			i++;
			continue;
		}
		if (c == '}')
		{
			if (expect_item && !after_open)
				return -1;		/* "{1,}" */
			buf_putc(out, ']');
			depth--;
			expect_item = 0;
			after_open = 0;
			i++;
			if (depth == 0)
				break;
			continue;
		}
		if (c == delim)
		{
			if (expect_item)
				return -1;
			buf_putc(out, ',');
			expect_item = 1;
			after_open = 0;
			i++;
			continue;
		}
		if (!expect_item)
			return -1;

		/* an element */
		{
			size_t		a;
			size_t		b;
			size_t		nesc = 0;
			size_t		first = 0;

			if (c == '"')
			{
				a = ++i;
				while (i < len && s[i] != '"')
				{
					if (s[i] == '\\')
					{
						if (nesc++ == 0)
							first = i - a;
						if (++i == len)
							return -1;
					}
					i++;
				}
				if (i == len)
					return -1;
				b = i++;
			}
			else
			{
				a = i;
				while (i < len && s[i] != delim && s[i] != '}')
				{
					if (s[i] == '{' || s[i] == '"')
						return -1;
					if (s[i] == '\\')
					{
						if (nesc++ == 0)
							first = i - a;
						if (++i == len)
							return -1;
					}
					i++;
				}
				b = i;
				if (nesc == 0)
					while (b > a && is_array_space(s[b - 1]))
						b--;
				if (b == a)
					return -1;
				if (nesc == 0 && text_is_ci(s + a, b - a, "NULL"))
				{
					buf_lit(out, "null");
					expect_item = 0;
					after_open = 0;
					continue;
				}
			}
			if (convert_element(out, &et, s + a, b - a, nesc, first, o) != 0)
				return -1;
			expect_item = 0;
			after_open = 0;
		}
	}
	if (depth != 0)
		return -1;
	while (i < len && is_array_space(s[i]))
		i++;
	return i == len ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------
 */

/* Dispatch one value on its kind; appends JSON or returns -1. */
static int
convert_scalar(struct buf *out, const struct convert_type *t,
			   const char *s, size_t len, const struct convert_opts *o)
{
	switch (t->kind)
	{
		case CONVERT_BOOL:
			return conv_bool(out, s, len);
		case CONVERT_INT:
			return conv_int(out, s, len);
		case CONVERT_FLOAT:
			return conv_float(out, s, len, 0, o);
		case CONVERT_FLOAT4:
			return conv_float(out, s, len, 1, o);
		case CONVERT_NUMERIC:
			return conv_numeric(out, t->typmod, s, len, o);
		case CONVERT_MONEY:
			return conv_money(out, s, len, o);
		case CONVERT_BYTEA:
			return conv_bytea(out, s, len, o);
		case CONVERT_DATE:
			return conv_date(out, s, len);
		case CONVERT_TIME:
			return conv_time(out, t->typmod, s, len, o);
		case CONVERT_TIMETZ:
			return conv_timetz(out, s, len);
		case CONVERT_TIMESTAMP:
			return conv_timestamp(out, t->typmod, s, len, o);
		case CONVERT_TIMESTAMPTZ:
			return conv_timestamptz(out, t->typmod, s, len);
		case CONVERT_INTERVAL:
			return conv_interval(out, s, len, o);
		case CONVERT_BIT:
			return conv_bit(out, t->typmod, s, len);
		case CONVERT_POINT:
		case CONVERT_BOX:
		case CONVERT_LSEG:
		case CONVERT_PATH:
		case CONVERT_POLYGON:
		case CONVERT_CIRCLE:
		case CONVERT_LINE:
			return geometry_value(out, t->kind, s, len, o);
		case CONVERT_HSTORE:
			return conv_hstore(out, s, len, o);
		case CONVERT_ARRAY:
			return conv_array(out, t, s, len, o);
		case CONVERT_STRING:
		default:
			json_text(out, s, len);
			return 0;
	}
}

/*
 * Append the JSON of one value, or nothing and -1; see convert.h.  The
 * rewind to the starting length is done here, once, for every converter.
 */
int
convert_value(struct buf *out, const struct convert_type *t,
			  const char *s, size_t len, const struct convert_opts *o)
{
	size_t		start = out->len;
	int			rc;

	if (o == NULL)
		o = &default_opts;
	if (s == NULL && len > 0)
		return -1;
	if (s == NULL)
		s = "";
	rc = convert_scalar(out, t, s, len, o);
	if (rc != 0 || buf_failed(out))
	{
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/*
 * The built-in types of PostgreSQL 15 (every pg_type row with an OID
 * below 10000, from SELECT oid, typname, typelem, typdelim FROM pg_type),
 * sorted by OID.  True arrays (array_subscript_handler, less int2vector
 * and oidvector, whose text is space-separated) carry their element's
 * kind and delimiter; types without a rule of their own are strings.
 */
static const struct
{
	uint32_t	oid;
	enum convert_kind kind;
	enum convert_kind elem;
	char		delim;
}			builtin_types[] = {
	{16, CONVERT_BOOL, CONVERT_STRING, ','},	/* bool */
	{17, CONVERT_BYTEA, CONVERT_STRING, ','},	/* bytea */
	{18, CONVERT_STRING, CONVERT_STRING, ','},	/* char */
	{19, CONVERT_STRING, CONVERT_STRING, ','},	/* name */
	{20, CONVERT_INT, CONVERT_STRING, ','},	/* int8 */
	{21, CONVERT_INT, CONVERT_STRING, ','},	/* int2 */
	{22, CONVERT_STRING, CONVERT_STRING, ','},	/* int2vector */
	{23, CONVERT_INT, CONVERT_STRING, ','},	/* int4 */
	{24, CONVERT_STRING, CONVERT_STRING, ','},	/* regproc */
	{25, CONVERT_STRING, CONVERT_STRING, ','},	/* text */
	{26, CONVERT_INT, CONVERT_STRING, ','},	/* oid */
	{27, CONVERT_STRING, CONVERT_STRING, ','},	/* tid */
	{28, CONVERT_INT, CONVERT_STRING, ','},	/* xid */
	{29, CONVERT_INT, CONVERT_STRING, ','},	/* cid */
	{30, CONVERT_STRING, CONVERT_STRING, ','},	/* oidvector */
	{32, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_ddl_command */
	{71, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_type */
	{75, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_attribute */
	{81, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_proc */
	{83, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_class */
	{114, CONVERT_STRING, CONVERT_STRING, ','},	/* json */
	{142, CONVERT_STRING, CONVERT_STRING, ','},	/* xml */
	{143, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _xml */
	{194, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_node_tree */
	{199, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _json */
	{210, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_type */
	{269, CONVERT_STRING, CONVERT_STRING, ','},	/* table_am_handler */
	{270, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_attribute */
	{271, CONVERT_ARRAY, CONVERT_INT, ','},	/* _xid8 */
	{272, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_proc */
	{273, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_class */
	{325, CONVERT_STRING, CONVERT_STRING, ','},	/* index_am_handler */
	{600, CONVERT_POINT, CONVERT_STRING, ','},	/* point */
	{601, CONVERT_LSEG, CONVERT_STRING, ','},	/* lseg */
	{602, CONVERT_PATH, CONVERT_STRING, ','},	/* path */
	{603, CONVERT_BOX, CONVERT_STRING, ','},	/* box */
	{604, CONVERT_POLYGON, CONVERT_STRING, ','},	/* polygon */
	{628, CONVERT_LINE, CONVERT_STRING, ','},	/* line */
	{629, CONVERT_ARRAY, CONVERT_LINE, ','},	/* _line */
	{650, CONVERT_STRING, CONVERT_STRING, ','},	/* cidr */
	{651, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _cidr */
	{700, CONVERT_FLOAT4, CONVERT_STRING, ','},	/* float4 */
	{701, CONVERT_FLOAT, CONVERT_STRING, ','},	/* float8 */
	{705, CONVERT_STRING, CONVERT_STRING, ','},	/* unknown */
	{718, CONVERT_CIRCLE, CONVERT_STRING, ','},	/* circle */
	{719, CONVERT_ARRAY, CONVERT_CIRCLE, ','},	/* _circle */
	{774, CONVERT_STRING, CONVERT_STRING, ','},	/* macaddr8 */
	{775, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _macaddr8 */
	{790, CONVERT_MONEY, CONVERT_STRING, ','},	/* money */
	{791, CONVERT_ARRAY, CONVERT_MONEY, ','},	/* _money */
	{829, CONVERT_STRING, CONVERT_STRING, ','},	/* macaddr */
	{869, CONVERT_STRING, CONVERT_STRING, ','},	/* inet */
	{1000, CONVERT_ARRAY, CONVERT_BOOL, ','},	/* _bool */
	{1001, CONVERT_ARRAY, CONVERT_BYTEA, ','},	/* _bytea */
	{1002, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _char */
	{1003, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _name */
	{1005, CONVERT_ARRAY, CONVERT_INT, ','},	/* _int2 */
	{1006, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _int2vector */
	{1007, CONVERT_ARRAY, CONVERT_INT, ','},	/* _int4 */
	{1008, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regproc */
	{1009, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _text */
	{1010, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tid */
	{1011, CONVERT_ARRAY, CONVERT_INT, ','},	/* _xid */
	{1012, CONVERT_ARRAY, CONVERT_INT, ','},	/* _cid */
	{1013, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _oidvector */
	{1014, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _bpchar */
	{1015, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _varchar */
	{1016, CONVERT_ARRAY, CONVERT_INT, ','},	/* _int8 */
	{1017, CONVERT_ARRAY, CONVERT_POINT, ','},	/* _point */
	{1018, CONVERT_ARRAY, CONVERT_LSEG, ','},	/* _lseg */
	{1019, CONVERT_ARRAY, CONVERT_PATH, ','},	/* _path */
	{1020, CONVERT_ARRAY, CONVERT_BOX, ';'},	/* _box */
	{1021, CONVERT_ARRAY, CONVERT_FLOAT4, ','},	/* _float4 */
	{1022, CONVERT_ARRAY, CONVERT_FLOAT, ','},	/* _float8 */
	{1027, CONVERT_ARRAY, CONVERT_POLYGON, ','},	/* _polygon */
	{1028, CONVERT_ARRAY, CONVERT_INT, ','},	/* _oid */
	{1033, CONVERT_STRING, CONVERT_STRING, ','},	/* aclitem */
	{1034, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _aclitem */
	{1040, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _macaddr */
	{1041, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _inet */
	{1042, CONVERT_STRING, CONVERT_STRING, ','},	/* bpchar */
	{1043, CONVERT_STRING, CONVERT_STRING, ','},	/* varchar */
	{1082, CONVERT_DATE, CONVERT_STRING, ','},	/* date */
	{1083, CONVERT_TIME, CONVERT_STRING, ','},	/* time */
	{1114, CONVERT_TIMESTAMP, CONVERT_STRING, ','},	/* timestamp */
	{1115, CONVERT_ARRAY, CONVERT_TIMESTAMP, ','},	/* _timestamp */
	{1182, CONVERT_ARRAY, CONVERT_DATE, ','},	/* _date */
	{1183, CONVERT_ARRAY, CONVERT_TIME, ','},	/* _time */
	{1184, CONVERT_TIMESTAMPTZ, CONVERT_STRING, ','},	/* timestamptz */
	{1185, CONVERT_ARRAY, CONVERT_TIMESTAMPTZ, ','},	/* _timestamptz */
	{1186, CONVERT_INTERVAL, CONVERT_STRING, ','},	/* interval */
	{1187, CONVERT_ARRAY, CONVERT_INTERVAL, ','},	/* _interval */
	{1231, CONVERT_ARRAY, CONVERT_NUMERIC, ','},	/* _numeric */
	{1248, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_database */
	{1263, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _cstring */
	{1266, CONVERT_TIMETZ, CONVERT_STRING, ','},	/* timetz */
	{1270, CONVERT_ARRAY, CONVERT_TIMETZ, ','},	/* _timetz */
	{1560, CONVERT_BIT, CONVERT_STRING, ','},	/* bit */
	{1561, CONVERT_ARRAY, CONVERT_BIT, ','},	/* _bit */
	{1562, CONVERT_BIT, CONVERT_STRING, ','},	/* varbit */
	{1563, CONVERT_ARRAY, CONVERT_BIT, ','},	/* _varbit */
	{1700, CONVERT_NUMERIC, CONVERT_STRING, ','},	/* numeric */
	{1790, CONVERT_STRING, CONVERT_STRING, ','},	/* refcursor */
	{2201, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _refcursor */
	{2202, CONVERT_STRING, CONVERT_STRING, ','},	/* regprocedure */
	{2203, CONVERT_STRING, CONVERT_STRING, ','},	/* regoper */
	{2204, CONVERT_STRING, CONVERT_STRING, ','},	/* regoperator */
	{2205, CONVERT_STRING, CONVERT_STRING, ','},	/* regclass */
	{2206, CONVERT_STRING, CONVERT_STRING, ','},	/* regtype */
	{2207, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regprocedure */
	{2208, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regoper */
	{2209, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regoperator */
	{2210, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regclass */
	{2211, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regtype */
	{2249, CONVERT_STRING, CONVERT_STRING, ','},	/* record */
	{2275, CONVERT_STRING, CONVERT_STRING, ','},	/* cstring */
	{2276, CONVERT_STRING, CONVERT_STRING, ','},	/* any */
	{2277, CONVERT_STRING, CONVERT_STRING, ','},	/* anyarray */
	{2278, CONVERT_STRING, CONVERT_STRING, ','},	/* void */
	{2279, CONVERT_STRING, CONVERT_STRING, ','},	/* trigger */
	{2280, CONVERT_STRING, CONVERT_STRING, ','},	/* language_handler */
	{2281, CONVERT_STRING, CONVERT_STRING, ','},	/* internal */
	{2283, CONVERT_STRING, CONVERT_STRING, ','},	/* anyelement */
	{2287, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _record */
	{2776, CONVERT_STRING, CONVERT_STRING, ','},	/* anynonarray */
	{2842, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_authid */
	{2843, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_auth_members */
	{2949, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _txid_snapshot */
	{2950, CONVERT_STRING, CONVERT_STRING, ','},	/* uuid */
	{2951, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _uuid */
	{2970, CONVERT_STRING, CONVERT_STRING, ','},	/* txid_snapshot */
	{3115, CONVERT_STRING, CONVERT_STRING, ','},	/* fdw_handler */
	{3220, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_lsn */
	{3221, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_lsn */
	{3310, CONVERT_STRING, CONVERT_STRING, ','},	/* tsm_handler */
	{3361, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_ndistinct */
	{3402, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_dependencies */
	{3500, CONVERT_STRING, CONVERT_STRING, ','},	/* anyenum */
	{3614, CONVERT_STRING, CONVERT_STRING, ','},	/* tsvector */
	{3615, CONVERT_STRING, CONVERT_STRING, ','},	/* tsquery */
	{3642, CONVERT_STRING, CONVERT_STRING, ','},	/* gtsvector */
	{3643, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tsvector */
	{3644, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _gtsvector */
	{3645, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tsquery */
	{3734, CONVERT_STRING, CONVERT_STRING, ','},	/* regconfig */
	{3735, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regconfig */
	{3769, CONVERT_STRING, CONVERT_STRING, ','},	/* regdictionary */
	{3770, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regdictionary */
	{3802, CONVERT_STRING, CONVERT_STRING, ','},	/* jsonb */
	{3807, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _jsonb */
	{3831, CONVERT_STRING, CONVERT_STRING, ','},	/* anyrange */
	{3838, CONVERT_STRING, CONVERT_STRING, ','},	/* event_trigger */
	{3904, CONVERT_STRING, CONVERT_STRING, ','},	/* int4range */
	{3905, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _int4range */
	{3906, CONVERT_STRING, CONVERT_STRING, ','},	/* numrange */
	{3907, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _numrange */
	{3908, CONVERT_STRING, CONVERT_STRING, ','},	/* tsrange */
	{3909, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tsrange */
	{3910, CONVERT_STRING, CONVERT_STRING, ','},	/* tstzrange */
	{3911, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tstzrange */
	{3912, CONVERT_STRING, CONVERT_STRING, ','},	/* daterange */
	{3913, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _daterange */
	{3926, CONVERT_STRING, CONVERT_STRING, ','},	/* int8range */
	{3927, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _int8range */
	{4066, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_shseclabel */
	{4072, CONVERT_STRING, CONVERT_STRING, ','},	/* jsonpath */
	{4073, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _jsonpath */
	{4089, CONVERT_STRING, CONVERT_STRING, ','},	/* regnamespace */
	{4090, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regnamespace */
	{4096, CONVERT_STRING, CONVERT_STRING, ','},	/* regrole */
	{4097, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regrole */
	{4191, CONVERT_STRING, CONVERT_STRING, ','},	/* regcollation */
	{4192, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _regcollation */
	{4451, CONVERT_STRING, CONVERT_STRING, ','},	/* int4multirange */
	{4532, CONVERT_STRING, CONVERT_STRING, ','},	/* nummultirange */
	{4533, CONVERT_STRING, CONVERT_STRING, ','},	/* tsmultirange */
	{4534, CONVERT_STRING, CONVERT_STRING, ','},	/* tstzmultirange */
	{4535, CONVERT_STRING, CONVERT_STRING, ','},	/* datemultirange */
	{4536, CONVERT_STRING, CONVERT_STRING, ','},	/* int8multirange */
	{4537, CONVERT_STRING, CONVERT_STRING, ','},	/* anymultirange */
	{4538, CONVERT_STRING, CONVERT_STRING, ','},	/* anycompatiblemultirange */
	{4600, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_brin_bloom_summary */
	{4601, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_brin_minmax_multi_summary */
	{5017, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_mcv_list */
	{5038, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_snapshot */
	{5039, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _pg_snapshot */
	{5069, CONVERT_INT, CONVERT_STRING, ','},	/* xid8 */
	{5077, CONVERT_STRING, CONVERT_STRING, ','},	/* anycompatible */
	{5078, CONVERT_STRING, CONVERT_STRING, ','},	/* anycompatiblearray */
	{5079, CONVERT_STRING, CONVERT_STRING, ','},	/* anycompatiblenonarray */
	{5080, CONVERT_STRING, CONVERT_STRING, ','},	/* anycompatiblerange */
	{6101, CONVERT_STRING, CONVERT_STRING, ','},	/* pg_subscription */
	{6150, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _int4multirange */
	{6151, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _nummultirange */
	{6152, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tsmultirange */
	{6153, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _tstzmultirange */
	{6155, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _datemultirange */
	{6157, CONVERT_ARRAY, CONVERT_STRING, ','},	/* _int8multirange */
};

/*
 * Look oid up in builtin_types (binary search); see convert.h.  Unknown
 * OIDs get the string fallback and -1.
 */
int
convert_builtin(uint32_t oid, int32_t typmod, struct convert_type *t)
{
	size_t		lo = 0;
	size_t		hi = lengthof(builtin_types);

	t->kind = CONVERT_STRING;
	t->elem_kind = CONVERT_STRING;
	t->typmod = typmod;
	t->delim = ',';
	convert_binary_builtin(oid, t);
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (builtin_types[mid].oid == oid)
		{
			t->kind = builtin_types[mid].kind;
			t->elem_kind = builtin_types[mid].elem;
			t->delim = builtin_types[mid].delim;
			return 0;
		}
		if (builtin_types[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * json.c — JSON escaping and number formatting; see json.h.
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Bytes that can be copied as they are: printable ASCII other than '"'
 * and '\\'.  Everything else takes the slow path below.
 */
static const unsigned char plain[256] = {
	[' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
	['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
	['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
	['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1,
};

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL
/* Whether a byte of v is zero (exact as a yes/no over the eight). */
#define SWAR_ZERO(v) (((v) - SWAR_ONES) & ~(v) & SWAR_HIGH)

/* Whether a byte of v is not plain: >= 0x7F, < 0x20, '"' or '\\'. */
static inline uint64_t
swar_special(uint64_t v)
{
	return (v & SWAR_HIGH) | ((v - SWAR_ONES * 0x20) & ~v & SWAR_HIGH) |
		SWAR_ZERO(v ^ (SWAR_ONES * '"')) | SWAR_ZERO(v ^ (SWAR_ONES * '\\')) |
		SWAR_ZERO(v ^ (SWAR_ONES * 0x7F));
}

/*
 * Length of the valid UTF-8 sequence starting at s (at most n bytes), or
 * 0 if it is not one: overlong forms, surrogates and code points above
 * U+10FFFF are rejected as RFC 3629 requires.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c >= 0xC2 && c <= 0xDF)
		return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			(s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;			/* overlong */
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;			/* above U+10FFFF */
		return 4;
	}
	return 0;
}

void
json_escape(struct buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0;

	while (i < len)
	{
		size_t		run = i;
		unsigned char c;

		/* eight bytes at a time while none needs escaping (SWAR) */
		while (run + 8 <= len)
		{
			uint64_t	v;

			memcpy(&v, s + run, sizeof(v));
			if (swar_special(v))
				break;
			run += 8;
		}
		while (run < len && plain[s[run]])
			run++;
		if (run > i)
		{
			buf_append(b, s + i, run - i);
			i = run;
			if (i == len)
				break;
		}
		c = s[i];
		switch (c)
		{
			case '"':
				buf_lit(b, "\\\"");
				i++;
				continue;
			case '\\':
				buf_lit(b, "\\\\");
				i++;
				continue;
			case '\b':
				buf_lit(b, "\\b");
				i++;
				continue;
			case '\f':
				buf_lit(b, "\\f");
				i++;
				continue;
			case '\n':
				buf_lit(b, "\\n");
				i++;
				continue;
			case '\r':
				buf_lit(b, "\\r");
				i++;
				continue;
			case '\t':
				buf_lit(b, "\\t");
				i++;
				continue;
			default:
				break;
		}
		if (c < 0x20 || c == 0x7F)
		{
			char		u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			buf_append(b, u, sizeof(u));
			i++;
		}
		else
		{
			size_t		n = utf8_seq_len(s + i, len - i);

			if (n == 0)
			{
				buf_lit(b, "\xEF\xBF\xBD");	/* U+FFFD */
				i++;
			}
			else
			{
				buf_append(b, s + i, n);
				i += n;
			}
		}
	}
}

void
json_text(struct buf *b, const char *s, size_t len)
{
	buf_putc(b, '"');
	json_escape(b, s, len);
	buf_putc(b, '"');
}

void
json_uint64(struct buf *b, uint64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);

	do
	{
		*--p = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	buf_append(b, p, (size_t) (tmp + sizeof(tmp) - p));
}

void
json_int64(struct buf *b, int64_t v)
{
	if (v < 0)
	{
		buf_putc(b, '-');
		/* negate in unsigned arithmetic: INT64_MIN has no positive twin */
		json_uint64(b, (uint64_t) 0 - (uint64_t) v);
	}
	else
		json_uint64(b, (uint64_t) v);
}

int
json_is_number(const char *s, size_t len)
{
	size_t		i = 0;

#define DIGIT(k) ((k) < len && s[(k)] >= '0' && s[(k)] <= '9')
	if (i < len && s[i] == '-')
		i++;
	if (!DIGIT(i))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (DIGIT(i))
			i++;
	if (i < len && s[i] == '.')
	{
		i++;
		if (!DIGIT(i))
			return 0;
		while (DIGIT(i))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!DIGIT(i))
			return 0;
		while (DIGIT(i))
			i++;
	}
#undef DIGIT
	return i == len;
}

void
json_base64(struct buf *b, const unsigned char *p, size_t n, int url_safe)
{
	static const char std[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *al = url_safe ? url : std;
	size_t		i;
	char		q[4];

	if (buf_grow(b, (n + 2) / 3 * 4) != 0)
		return;
	for (i = 0; i + 3 <= n; i += 3)
	{
		unsigned	v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8 | p[i + 2];

		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = al[v & 63];
		buf_append(b, q, 4);
	}
	if (n - i == 1)
	{
		unsigned	v = (unsigned) p[i] << 16;

		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = q[3] = '=';
		buf_append(b, q, 4);
	}
	else if (n - i == 2)
	{
		unsigned	v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8;

		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = '=';
		buf_append(b, q, 4);
	}
}

void
json_cstring_or_null(struct buf *b, const char *s)
{
	if (s)
		json_cstring(b, s);
	else
		buf_lit(b, "null");
}

/*
 * Significant digits of a float text that passed json_is_number(): the
 * mantissa's digits after any leading zeros ("0.000123" has 3,
 * "1.2345678901234568e+17" has 17).
 */
static int
float_digits(const char *s, size_t len)
{
	int			n = 0;

	for (size_t i = 0; i < len && s[i] != 'e' && s[i] != 'E'; i++)
	{
		if (s[i] >= '0' && s[i] <= '9' && (n > 0 || s[i] != '0'))
			n++;
	}
	return n;
}

/* See json.h; PostgreSQL 12+ prints the shortest text itself (Ryu). */
void
json_float_text(struct buf *out, const char *s, size_t len, int single, int shorten)
{
	char		tmp[64];
	char		cand[40];
	int			digits;

	if (!shorten || len >= sizeof(tmp))
	{
		buf_append(out, s, len);
		return;
	}
	digits = float_digits(s, len);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (single)
	{
		float		f = strtof(tmp, NULL);

		for (int p = 6; p <= 8 && p < digits; p++)
		{
			snprintf(cand, sizeof(cand), "%.*g", p, (double) f);
			if (strtof(cand, NULL) == f)
			{
				buf_append(out, cand, strlen(cand));
				return;
			}
		}
	}
	else
	{
		double		d = strtod(tmp, NULL);

		for (int p = 15; p <= 17 && p < digits; p++)
		{
			snprintf(cand, sizeof(cand), "%.*g", p, d);
			if (strtod(cand, NULL) == d)
			{
				buf_append(out, cand, strlen(cand));
				return;
			}
		}
	}
	buf_append(out, s, len);
}

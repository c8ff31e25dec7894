/*
 * convert_binary_nested.c — the binary layouts that are more than one
 * number: the geometric types, tsvector, hstore, arrays, ranges and
 * multiranges (their elements and bounds through the dispatcher,
 * convert_binary_render).  Part of convert_binary.c; see convert_binary.h.
 */
#include <string.h>
#include <strings.h>

#include "convert.h"
#include "convert_int.h"
#include "wire.h"

/* Deepest nesting of arrays (MAXDIM). */
#define ARRAY_MAX_DIMS 6

/* ---------------------------------------------------------------------
 * geometry
 * ---------------------------------------------------------------------
 */

static void
put_pair(struct buf *out, struct wire_reader *r)
{
	double		x = convert_read_f8(r);
	double		y = convert_read_f8(r);

	buf_putc(out, '(');
	convert_put_float(out, x, 0);
	buf_putc(out, ',');
	convert_put_float(out, y, 0);
	buf_putc(out, ')');
}

/* npts points (path_send, poly_send), inside open and close */
static int
put_points(struct buf *out, struct wire_reader *r, char open, char close)
{
	int32_t		n = wire_i32(r);

	if (!wire_ok(r) || n <= 0 || wire_remaining(r) != (size_t) n * 16)
		return -1;
	buf_putc(out, open);
	for (int32_t i = 0; i < n; i++)
	{
		if (i > 0)
			buf_putc(out, ',');
		put_pair(out, r);
	}
	buf_putc(out, close);
	return 0;
}

int
convert_binary_geometry(struct buf *out, int bin, struct wire_reader *r)
{
	switch (bin)
	{
		case CONVERT_BIN_POINT:
			put_pair(out, r);
			return 0;
		case CONVERT_BIN_LSEG:
			buf_putc(out, '[');
			put_pair(out, r);
			buf_putc(out, ',');
			put_pair(out, r);
			buf_putc(out, ']');
			return 0;
		case CONVERT_BIN_BOX:
			put_pair(out, r);
			buf_putc(out, ',');
			put_pair(out, r);
			return 0;
		case CONVERT_BIN_PATH:
			{
				int			closed = wire_u8(r);

				if (closed > 1)
					return -1;
				return put_points(out, r, closed ? '(' : '[', closed ? ')' : ']');
			}
		case CONVERT_BIN_POLYGON:
			return put_points(out, r, '(', ')');
		case CONVERT_BIN_CIRCLE:
			buf_putc(out, '<');
			put_pair(out, r);
			buf_putc(out, ',');
			convert_put_float(out, convert_read_f8(r), 0);
			buf_putc(out, '>');
			return 0;
		case CONVERT_BIN_LINE:
			buf_putc(out, '{');
			convert_put_float(out, convert_read_f8(r), 0);
			buf_putc(out, ',');
			convert_put_float(out, convert_read_f8(r), 0);
			buf_putc(out, ',');
			convert_put_float(out, convert_read_f8(r), 0);
			buf_putc(out, '}');
			return 0;
		default:
			return -1;
	}
}

/* ---------------------------------------------------------------------
 * composite layouts: tsvector, hstore, arrays, ranges
 * ---------------------------------------------------------------------
 */

/* render() of the n bytes at r's position, as one value */
static int
render_sub(struct buf *out, int bin, int elem_bin, char delim,
		   struct wire_reader *r, int32_t n)
{
	struct wire_reader sub;
	const char *p;

	if (n < 0 || (p = wire_bytes(r, (size_t) n)) == NULL)
		return -1;
	wire_init(&sub, p, (size_t) n);
	return convert_binary_render(out, bin, elem_bin, delim, &sub);
}

/*
 * tsvectorsend: the count, then per lexeme its text and a NUL, the
 * number of positions and each (weight in the top two bits).  The text:
 * 'lexeme':1A,2 ... with ' and \ doubled, weight D not written.
 */
int
convert_binary_tsvector(struct buf *out, struct wire_reader *r)
{
	int32_t		n = wire_i32(r);

	if (!wire_ok(r) || n < 0)
		return -1;
	for (int32_t i = 0; i < n; i++)
	{
		const char *lex = (const char *) r->data + r->pos;
		size_t		len = strnlen(lex, wire_remaining(r));
		int			npos;

		if (len == wire_remaining(r))
			return -1;
		wire_bytes(r, len + 1);
		if (i > 0)
			buf_putc(out, ' ');
		buf_putc(out, '\'');
		for (size_t k = 0; k < len; k++)
		{
			if (lex[k] == '\'' || lex[k] == '\\')
				buf_putc(out, lex[k]);
			buf_putc(out, lex[k]);
		}
		buf_putc(out, '\'');
		npos = wire_u16(r);
		for (int k = 0; k < npos && wire_ok(r); k++)
		{
			uint16_t	wp = wire_u16(r);

			buf_putc(out, k == 0 ? ':' : ',');
			buf_printf(out, "%u", (unsigned) (wp & 0x3FFF));
			if (wp >> 14)
				buf_putc(out, "DCBA"[wp >> 14]);
		}
	}
	return wire_end(r) ? 0 : -1;
}

/* hstore_send: the count, then key and value (length -1: NULL) */
int
convert_binary_hstore(struct buf *out, struct wire_reader *r)
{
	int32_t		n = wire_i32(r);

	if (!wire_ok(r) || n < 0)
		return -1;
	for (int32_t i = 0; i < n && wire_ok(r); i++)
	{
		for (int part = 0; part < 2; part++)
		{
			int32_t		len = wire_i32(r);
			const char *p;

			if (part == 1)
				buf_lit(out, "=>");
			else if (i > 0)
				buf_lit(out, ", ");
			if (len == -1 && part == 1)
			{
				buf_lit(out, "NULL");
				continue;
			}
			if (len < 0 || (p = wire_bytes(r, (size_t) len)) == NULL)
				return -1;
			buf_putc(out, '"');
			for (int32_t k = 0; k < len; k++)
			{
				if (p[k] == '"' || p[k] == '\\')
					buf_putc(out, '\\');
				buf_putc(out, p[k]);
			}
			buf_putc(out, '"');
		}
	}
	return wire_end(r) ? 0 : -1;
}

/*
 * Put the text from at to out's end between double quotes, each " and backslash
 * in it (extra of them) escaped: with a backslash (array_out), or by
 * doubling (range_out, with doubled).
 */
static void
quote_tail(struct buf *out, size_t at, size_t extra, int doubled)
{
	char	   *d;
	size_t		src = out->len;
	size_t		dst = out->len + extra + 2;

	if (buf_grow(out, extra + 2) != 0)
		return;
	d = out->data;
	/* shift right, back to front, escaping as we go */
	d[--dst] = '"';
	while (src > at)
	{
		char		c = d[--src];

		d[--dst] = c;
		if (c == '"' || c == '\\')
			d[--dst] = doubled ? c : '\\';
	}
	d[--dst] = '"';
	out->len += extra + 2;
}

/*
 * Quote the element text from at to out's end as array_out does, when
 * it must be: empty, NULL in any case, or holding a brace, a quote, a
 * backslash, the delimiter or white space; " and \ escaped.
 */
static void
quote_element(struct buf *out, size_t at, char delim)
{
	size_t		len = out->len - at;
	size_t		extra = 0;
	int			quote = len == 0 || (len == 4 && strncasecmp(out->data + at, "NULL", 4) == 0);

	for (size_t i = at; i < out->len; i++)
	{
		char		c = out->data[i];

		if (c == '"' || c == '\\')
			extra++;
		if (c == '{' || c == '}' || c == '"' || c == '\\' || c == delim ||
			c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			quote = 1;
	}
	if (quote)
		quote_tail(out, at, extra, 0);
}

/* elements of dimensions dims[d..ndim) of an array, nested in braces */
static int
render_dims(struct buf *out, struct wire_reader *r, const int32_t *dims,
			int d, int ndim, int elem_bin, char delim)
{
	buf_putc(out, '{');
	for (int32_t i = 0; i < dims[d]; i++)
	{
		if (i > 0)
			buf_putc(out, delim);
		if (d + 1 < ndim)
		{
			if (render_dims(out, r, dims, d + 1, ndim, elem_bin, delim) != 0)
				return -1;
		}
		else
		{
			int32_t		len = wire_i32(r);
			size_t		at = out->len;

			if (len == -1)
			{
				buf_lit(out, "NULL");
				continue;
			}
			if (render_sub(out, elem_bin, CONVERT_BIN_NONE, ',', r, len) != 0)
				return -1;
			quote_element(out, at, delim);
		}
	}
	buf_putc(out, '}');
	return wire_ok(r) ? 0 : -1;
}

/*
 * array_send: ndim, has-nulls flag, element type, (length, lower bound)
 * per dimension, then each element as length (-1: NULL) and bytes.  The
 * text has "[lo:hi]" bounds first when a lower bound is not 1.
 */
int
convert_binary_array(struct buf *out, struct wire_reader *r, int elem_bin, char delim)
{
	int32_t		ndim = wire_i32(r);
	int32_t		dims[ARRAY_MAX_DIMS];
	int32_t		lbs[ARRAY_MAX_DIMS];
	int			decorate = 0;
	uint64_t	nitems = 1;

	wire_i32(r);				/* has nulls */
	wire_u32(r);				/* element type */
	if (!wire_ok(r) || ndim < 0 || ndim > ARRAY_MAX_DIMS)
		return -1;
	for (int i = 0; i < ndim; i++)
	{
		dims[i] = wire_i32(r);
		lbs[i] = wire_i32(r);
		if (dims[i] <= 0)
			return -1;
		nitems *= (uint64_t) dims[i];
		/* each element takes at least its 4-byte length */
		if (nitems > wire_remaining(r) / 4)
			return -1;
		if (lbs[i] != 1)
			decorate = 1;
	}
	if (!wire_ok(r))
		return -1;
	if (ndim == 0)
	{
		buf_lit(out, "{}");
		return wire_end(r) ? 0 : -1;
	}
	if (decorate)
	{
		for (int i = 0; i < ndim; i++)
			buf_printf(out, "[%d:%lld]", lbs[i], (long long) lbs[i] + dims[i] - 1);
		buf_putc(out, '=');
	}
	if (render_dims(out, r, dims, 0, ndim, elem_bin, delim) != 0)
		return -1;
	return wire_end(r) ? 0 : -1;
}

/* a range bound as range_out quotes it */
static void
quote_bound(struct buf *out, size_t at)
{
	int			quote = out->len == at;
	size_t		extra = 0;

	for (size_t i = at; i < out->len; i++)
	{
		char		c = out->data[i];

		if (c == '"' || c == '\\')
			extra++;
		if (c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' ||
			c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			quote = 1;
	}
	if (quote)
		quote_tail(out, at, extra, 1);
}

/* range_send: flags, then the lower and upper bound each as length and bytes */
int
convert_binary_range(struct buf *out, struct wire_reader *r, int elem_bin)
{
	enum
	{
		EMPTY = 0x01, LB_INC = 0x02, UB_INC = 0x04, LB_INF = 0x08, UB_INF = 0x10
	};
	int			flags = wire_u8(r);

	if (!wire_ok(r))
		return -1;
	if (flags & EMPTY)
	{
		buf_lit(out, "empty");
		return wire_end(r) ? 0 : -1;
	}
	buf_putc(out, flags & LB_INC ? '[' : '(');
	for (int b = 0; b < 2; b++)
	{
		if (b == 1)
			buf_putc(out, ',');
		if (!(flags & (b == 0 ? LB_INF : UB_INF)))
		{
			size_t		at = out->len;

			if (render_sub(out, elem_bin, CONVERT_BIN_NONE, ',', r, wire_i32(r)) != 0)
				return -1;
			quote_bound(out, at);
		}
	}
	buf_putc(out, flags & UB_INC ? ']' : ')');
	return wire_end(r) ? 0 : -1;
}

/* multirange_send: the count, then each range as length and bytes */
int
convert_binary_multirange(struct buf *out, struct wire_reader *r, int elem_bin)
{
	uint32_t	n = wire_u32(r);

	if (!wire_ok(r) || n > wire_remaining(r) / 5)
		return -1;
	buf_putc(out, '{');
	for (uint32_t i = 0; i < n; i++)
	{
		if (i > 0)
			buf_putc(out, ',');
		if (render_sub(out, CONVERT_BIN_RANGE, elem_bin, ',', r, wire_i32(r)) != 0)
			return -1;
	}
	buf_putc(out, '}');
	return wire_end(r) ? 0 : -1;
}


/*
 * geometry.c — the geometric types' text to Debezium's structs, and their
 * schemas; see geometry.h for the mapping.
 *
 * The texts, as geo_ops.c's output functions write them (no spaces; every
 * number is float8out's text under CONVERT_SESSION_OPTIONS, a JSON number
 * or NaN, Infinity, -Infinity):
 *
 *   point_out    "(" x "," y ")"
 *   box_out      point "," point                    (high corner first)
 *   lseg_out     "[" point "," point "]"
 *   path_out     "(" point ("," point)* ")" closed, "[" … "]" open
 *   poly_out     "(" point ("," point)* ")"
 *   circle_out   "<" point "," radius ">"
 *   line_out     "{" a "," b "," c "}"
 *
 * Each reader checks the whole text against its form and refuses
 * anything else, so malformed wire bytes become the string fallback.
 *
 * WKB (OGC Simple Features, 2D, little-endian as Debezium's WkbWriter
 * and Point write it):
 *
 *   geometry    byte 1 (little-endian), uint32 type, body
 *   Point       type 1: double x, double y
 *   LineString  type 2: uint32 npoints, then x, y per point
 *   Polygon     type 3: uint32 nrings, then per ring uint32 npoints and
 *               x, y per point
 *
 * The bytes go straight into base64 through a 48-byte chunk (a multiple
 * of 3, so only the last chunk is padded); nothing is allocated.
 */
#include "geometry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define WKB_POINT		1
#define WKB_LINESTRING	2
#define WKB_POLYGON		3

/* float8out writes at most 24 characters; longer numbers are refused. */
#define NUM_MAX 64

/* A cursor over a value's text. */
struct gtext
{
	const char *s;
	size_t		len;
	size_t		i;
	int			shorten;		/* convert_opts.legacy_floats: see json_float_text */
};

/* One number of the text: where it is and, when parsed, its value. */
struct gnum
{
	const char *s;
	size_t		len;
	double		v;
};

struct gpoint
{
	struct gnum x;
	struct gnum y;
};

/* WKB bytes on their way into base64. */
struct wkb
{
	struct buf *out;
	size_t		n;
	unsigned char chunk[48];
};

/* ---------------------------------------------------------------------
 * Reading the text
 * ---------------------------------------------------------------------
 */

/* Step over c if it is next; 1 if it was. */
static int
eat(struct gtext *g, char c)
{
	if (g->i < g->len && g->s[g->i] == c)
	{
		g->i++;
		return 1;
	}
	return 0;
}

/* float8out's words for the values that are not JSON numbers. */
static int
is_special(const char *s, size_t len)
{
	return (len == 3 && memcmp(s, "NaN", 3) == 0) ||
		(len == 8 && memcmp(s, "Infinity", 8) == 0) ||
		(len == 9 && memcmp(s, "-Infinity", 9) == 0);
}

/*
 * One number, up to the next ',' or closing bracket; with parse, also its
 * value, as Java's Double.parseDouble gives it (strtod rounds correctly
 * like it; NaN is set to Java's canonical NaN, whatever the C library
 * makes of the text).
 */
static int
read_num(struct gtext *g, struct gnum *n, int parse)
{
	size_t		start = g->i;
	char		tmp[NUM_MAX];

	while (g->i < g->len && g->i - start < NUM_MAX)
	{
		char		c = g->s[g->i];

		if (c == ',' || c == ')' || c == ']' || c == '>' || c == '}')
			break;
		g->i++;
	}
	n->s = g->s + start;
	n->len = g->i - start;
	if (n->len == 0 || n->len >= NUM_MAX)
		return -1;
	if (!json_is_number(n->s, n->len) && !is_special(n->s, n->len))
		return -1;
	if (!parse)
		return 0;
	if (n->s[0] == 'N')
	{
		uint64_t	bits = UINT64_C(0x7ff8000000000000);

		memcpy(&n->v, &bits, sizeof(n->v));
	}
	else
	{
		memcpy(tmp, n->s, n->len);
		tmp[n->len] = '\0';
		n->v = strtod(tmp, NULL);
	}
	return 0;
}

/* "(x,y)" */
static int
read_point(struct gtext *g, struct gpoint *p, int parse)
{
	if (!eat(g, '(') || read_num(g, &p->x, parse) != 0 || !eat(g, ',') ||
		read_num(g, &p->y, parse) != 0 || !eat(g, ')'))
		return -1;
	return 0;
}

/* ---------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------
 */

static void
wkb_put(struct wkb *w, const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
	{
		w->chunk[w->n++] = p[k];
		if (w->n == sizeof(w->chunk))
		{
			json_base64(w->out, w->chunk, w->n, 0);
			w->n = 0;
		}
	}
}

static void
wkb_u32(struct wkb *w, uint32_t v)
{
	unsigned char b[4];

	for (int k = 0; k < 4; k++)
		b[k] = (unsigned char) (v >> (8 * k));
	wkb_put(w, b, sizeof(b));
}

static void
wkb_double(struct wkb *w, double d)
{
	unsigned char b[8];
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char) (u >> (8 * k));
	wkb_put(w, b, sizeof(b));
}

/* Start a WKB value: the opening quote, byte order and type. */
static void
wkb_begin(struct wkb *w, struct buf *out, uint32_t type)
{
	static const unsigned char little_endian = 1;

	w->out = out;
	w->n = 0;
	buf_putc(out, '"');
	wkb_put(w, &little_endian, 1);
	wkb_u32(w, type);
}

/* The rest of the base64, and the closing quote. */
static void
wkb_end(struct wkb *w)
{
	json_base64(w->out, w->chunk, w->n, 0);
	w->n = 0;
	buf_putc(w->out, '"');
}

/*
 * A number as JsonConverter writes a FLOAT64: the server's text (its
 * shortest form from a server older than 12), specials quoted.
 */
static void
put_num(struct buf *out, const struct gnum *n, int shorten)
{
	if (is_special(n->s, n->len))
		json_text(out, n->s, n->len);
	else
		json_float_text(out, n->s, n->len, 0, shorten);
}

/* io.debezium.data.geometry.Point: {"x":…,"y":…,"wkb":…,"srid":null} */
static void
put_point(struct buf *out, const struct gpoint *p, int shorten)
{
	struct wkb	w;

	buf_lit(out, "{\"x\":");
	put_num(out, &p->x, shorten);
	buf_lit(out, ",\"y\":");
	put_num(out, &p->y, shorten);
	buf_lit(out, ",\"wkb\":");
	wkb_begin(&w, out, WKB_POINT);
	wkb_double(&w, p->x.v);
	wkb_double(&w, p->y.v);
	wkb_end(&w);
	buf_lit(out, ",\"srid\":null}");
}

/* After a Geometry's WKB: no SRID, and the extensions naming the type. */
static void
put_geometry_tail(struct buf *out, const char *type, const char *closed)
{
	buf_lit(out, ",\"srid\":null,\"extensions\":{\"type\":\"");
	buf_puts(out, type);
	buf_putc(out, '"');
	if (closed)
	{
		buf_lit(out, ",\"closed\":\"");
		buf_puts(out, closed);
		buf_putc(out, '"');
	}
	buf_lit(out, "}}");
}

/* ---------------------------------------------------------------------
 * The types
 * ---------------------------------------------------------------------
 */

static int
conv_point(struct buf *out, struct gtext *g)
{
	struct gpoint p;

	if (read_point(g, &p, 1) != 0 || g->i != g->len)
		return -1;
	put_point(out, &p, g->shorten);
	return 0;
}

/* The box's corners as a closed ring, as Debezium's convertBox draws it. */
static int
conv_box(struct buf *out, struct gtext *g)
{
	struct gpoint a;
	struct gpoint b;
	struct wkb	w;
	static const int xs[5] = {0, 0, 1, 1, 0};	/* 0: a's coordinate, 1: b's */
	static const int ys[5] = {0, 1, 1, 0, 0};

	if (read_point(g, &a, 1) != 0 || !eat(g, ',') || read_point(g, &b, 1) != 0 ||
		g->i != g->len)
		return -1;
	buf_lit(out, "{\"wkb\":");
	wkb_begin(&w, out, WKB_POLYGON);
	wkb_u32(&w, 1);
	wkb_u32(&w, 5);
	for (int k = 0; k < 5; k++)
	{
		wkb_double(&w, xs[k] ? b.x.v : a.x.v);
		wkb_double(&w, ys[k] ? b.y.v : a.y.v);
	}
	wkb_end(&w);
	put_geometry_tail(out, "box", NULL);
	return 0;
}

static int
conv_lseg(struct buf *out, struct gtext *g)
{
	struct gpoint a;
	struct gpoint b;
	struct wkb	w;

	if (!eat(g, '[') || read_point(g, &a, 1) != 0 || !eat(g, ',') ||
		read_point(g, &b, 1) != 0 || !eat(g, ']') || g->i != g->len)
		return -1;
	buf_lit(out, "{\"wkb\":");
	wkb_begin(&w, out, WKB_LINESTRING);
	wkb_u32(&w, 2);
	wkb_double(&w, a.x.v);
	wkb_double(&w, a.y.v);
	wkb_double(&w, b.x.v);
	wkb_double(&w, b.y.v);
	wkb_end(&w);
	put_geometry_tail(out, "lseg", NULL);
	return 0;
}

/*
 * path and polygon: the points between the brackets.  The first pass
 * checks the text and counts them; the second encodes them.  A polygon's
 * ring is closed as Debezium's closeRing() does: with two or more
 * points, the first is repeated unless the last equals it.
 */
static int
conv_points(struct buf *out, struct gtext *g, int polygon)
{
	char		close;
	size_t		start;
	size_t		last = 0;
	size_t		n = 0;
	size_t		nring;
	struct gpoint p;
	struct gpoint first;
	struct wkb	w;

	if (eat(g, '('))
		close = ')';
	else if (!polygon && eat(g, '['))
		close = ']';
	else
		return -1;
	start = g->i;
	do
	{
		last = g->i;
		if (read_point(g, &p, 0) != 0)
			return -1;
		n++;
	} while (eat(g, ','));
	if (!eat(g, close) || g->i != g->len)
		return -1;

	nring = n;
	g->i = start;
	if (read_point(g, &first, 1) != 0)
		return -1;
	if (polygon && n >= 2)
	{
		g->i = last;
		if (read_point(g, &p, 1) != 0)
			return -1;
		if (first.x.v != p.x.v || first.y.v != p.y.v)
			nring++;
	}
	if (nring > UINT32_MAX)
		return -1;

	buf_lit(out, "{\"wkb\":");
	wkb_begin(&w, out, polygon ? WKB_POLYGON : WKB_LINESTRING);
	if (polygon)
		wkb_u32(&w, 1);
	wkb_u32(&w, (uint32_t) nring);
	g->i = start;
	for (size_t k = 0; k < n; k++)
	{
		if (k > 0)
			(void) eat(g, ',');
		if (read_point(g, &p, 1) != 0)
			return -1;
		wkb_double(&w, p.x.v);
		wkb_double(&w, p.y.v);
	}
	if (nring > n)
	{
		wkb_double(&w, first.x.v);
		wkb_double(&w, first.y.v);
	}
	wkb_end(&w);
	if (polygon)
		put_geometry_tail(out, "polygon", NULL);
	else
		put_geometry_tail(out, "path", close == ')' ? "true" : "false");
	return 0;
}

static int
conv_circle(struct buf *out, struct gtext *g)
{
	struct gpoint c;
	struct gnum r;

	if (!eat(g, '<') || read_point(g, &c, 1) != 0 || !eat(g, ',') ||
		read_num(g, &r, 0) != 0 || !eat(g, '>') || g->i != g->len)
		return -1;
	buf_lit(out, "{\"center\":");
	put_point(out, &c, g->shorten);
	buf_lit(out, ",\"radius\":");
	put_num(out, &r, g->shorten);
	buf_putc(out, '}');
	return 0;
}

static int
conv_line(struct buf *out, struct gtext *g)
{
	struct gnum a;
	struct gnum b;
	struct gnum c;

	if (!eat(g, '{') || read_num(g, &a, 0) != 0 || !eat(g, ',') ||
		read_num(g, &b, 0) != 0 || !eat(g, ',') || read_num(g, &c, 0) != 0 ||
		!eat(g, '}') || g->i != g->len)
		return -1;
	buf_lit(out, "{\"a\":");
	put_num(out, &a, g->shorten);
	buf_lit(out, ",\"b\":");
	put_num(out, &b, g->shorten);
	buf_lit(out, ",\"c\":");
	put_num(out, &c, g->shorten);
	buf_putc(out, '}');
	return 0;
}

int
geometry_value(struct buf *out, enum convert_kind kind, const char *s, size_t len,
			   const struct convert_opts *o)
{
	struct gtext g = {s, len, 0, o != NULL && o->legacy_floats};

	switch (kind)
	{
		case CONVERT_POINT:
			return conv_point(out, &g);
		case CONVERT_BOX:
			return conv_box(out, &g);
		case CONVERT_LSEG:
			return conv_lseg(out, &g);
		case CONVERT_PATH:
			return conv_points(out, &g, 0);
		case CONVERT_POLYGON:
			return conv_points(out, &g, 1);
		case CONVERT_CIRCLE:
			return conv_circle(out, &g);
		case CONVERT_LINE:
			return conv_line(out, &g);
		default:
			return -1;
	}
}

/* ---------------------------------------------------------------------
 * Schemas (io.debezium.data.geometry.*'s builders, as JsonConverter
 * writes them: type, fields, optional, name, version, doc)
 * ---------------------------------------------------------------------
 */

#define DOUBLE_FIELD(f) "{\"type\":\"double\",\"optional\":false,\"field\":\"" f "\"}"

static void
put_point_schema(struct buf *b, int optional)
{
	buf_lit(b, "{\"type\":\"struct\",\"fields\":["
			DOUBLE_FIELD("x") "," DOUBLE_FIELD("y") ","
			"{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},"
			"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}],");
	buf_puts(b, optional ? "\"optional\":true" : "\"optional\":false");
	buf_lit(b, ",\"name\":\"io.debezium.data.geometry.Point\",\"version\":1,"
			"\"doc\":\"Geometry (POINT)\"");
}

void
geometry_schema(struct buf *b, enum convert_kind kind, int optional)
{
	switch (kind)
	{
		case CONVERT_POINT:
			put_point_schema(b, optional);
			return;
		case CONVERT_CIRCLE:
			/* the center is Point.builder() as built: not optional */
			buf_lit(b, "{\"type\":\"struct\",\"fields\":[");
			put_point_schema(b, 0);
			buf_lit(b, ",\"field\":\"center\"}," DOUBLE_FIELD("radius") "],"
					"\"optional\":true,\"name\":\"io.debezium.data.geometry.Circle\","
					"\"version\":1,\"doc\":\"Geometry (CIRCLE)\"");
			return;
		case CONVERT_LINE:
			buf_lit(b, "{\"type\":\"struct\",\"fields\":["
					DOUBLE_FIELD("a") "," DOUBLE_FIELD("b") "," DOUBLE_FIELD("c") "],"
					"\"optional\":true,\"name\":\"io.debezium.data.geometry.Line\","
					"\"version\":1,\"doc\":\"Geometry (LINE)\"");
			return;
		default:				/* box, lseg, path, polygon */
			buf_lit(b, "{\"type\":\"struct\",\"fields\":["
					"{\"type\":\"bytes\",\"optional\":false,\"field\":\"wkb\"},"
					"{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"},"
					"{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false},"
					"\"values\":{\"type\":\"string\",\"optional\":false},"
					"\"optional\":true,\"field\":\"extensions\"}],"
					"\"optional\":true,\"name\":\"io.debezium.data.geometry.Geometry\","
					"\"version\":2,\"doc\":\"Geometry\"");
			return;
	}
}

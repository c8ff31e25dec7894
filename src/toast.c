/*
 * toast.c — the placeholder for unchanged TOAST values; see toast.h.
 *
 * The rules follow Debezium's PostgreSQL connector:
 * UnchangedToastedReplicationMessageColumn.setUnchangedToastValue() (which
 * marker a column gets, by type name), UnchangedToastedPlaceholder (the
 * marker's value) and PostgresValueConverter (convertBinaryToBytes,
 * convertBinaryToHex, convertString, handleUnknownData).
 */
#include "toast.h"

#include <stdio.h>

#include "json.h"
#include "md5.h"

#define OID_UUID_ARRAY 2951

void
toast_uuid_v3(const void *p, size_t n, char out[37])
{
	uint8_t		h[16];
	char	   *o = out;

	md5(p, n, h);
	h[6] = (uint8_t) ((h[6] & 0x0f) | 0x30);	/* version 3 */
	h[8] = (uint8_t) ((h[8] & 0x3f) | 0x80);	/* IETF variant */
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		o += sprintf(o, "%02x", h[i]);
	}
}

/* Record v as form f, and as form af in a one-element array unless af < 0. */
static void
add(struct toast *t, enum toast_form f, int af, const struct buf *v)
{
	struct buf *b = &t->text;

	if (buf_failed(v))
		b->failed = 1;			/* v is reset before the end: check it here */
	t->off[f] = b->len;
	buf_append(b, v->data ? v->data : "", v->len);
	t->len[f] = b->len - t->off[f];
	if (af < 0)
		return;
	t->off[af] = b->len;
	buf_putc(b, '[');
	buf_append(b, v->data ? v->data : "", v->len);
	buf_putc(b, ']');
	t->len[af] = b->len - t->off[af];
}

int
toast_init(struct toast *t, const char *placeholder)
{
	size_t		n = strlen(placeholder);
	const unsigned char *u = (const unsigned char *) placeholder;
	char		uuid[37];
	struct buf	v,
				map;
	int			failed;

	buf_init(&t->text, 0);
	buf_init(&v, 0);
	buf_init(&map, 0);

	json_text(&v, placeholder, n);
	add(t, TOAST_STRING, TOAST_ARR_STRING, &v);

	buf_reset(&v);
	buf_putc(&v, '"');
	json_base64(&v, u, n, 0);
	buf_putc(&v, '"');
	add(t, TOAST_BASE64, TOAST_ARR_BASE64, &v);
	buf_reset(&map);
	buf_lit(&map, "{\"scale\":0,\"value\":");
	buf_append(&map, v.data ? v.data : "", v.len);
	buf_putc(&map, '}');
	add(t, TOAST_VSD, TOAST_ARR_VSD, &map);

	buf_reset(&v);
	buf_putc(&v, '"');
	json_base64(&v, u, n, 1);
	buf_putc(&v, '"');
	add(t, TOAST_BASE64_URL, TOAST_ARR_BASE64_URL, &v);

	/* hstore: {placeholder => placeholder}, as an object or its text */
	buf_reset(&map);
	buf_putc(&map, '{');
	json_text(&map, placeholder, n);
	buf_putc(&map, ':');
	json_text(&map, placeholder, n);
	buf_putc(&map, '}');
	add(t, TOAST_MAP, TOAST_ARR_MAP, &map);
	buf_reset(&v);
	json_text(&v, map.data ? map.data : "", map.len);
	add(t, TOAST_JSON_MAP, TOAST_ARR_JSON_MAP, &v);

	/* each byte as Java's (int) of a signed byte */
	buf_reset(&v);
	buf_putc(&v, '[');
	for (size_t i = 0; i < n; i++)
	{
		if (i)
			buf_putc(&v, ',');
		json_int64(&v, (int8_t) u[i]);
	}
	buf_putc(&v, ']');
	add(t, TOAST_NUMBERS, -1, &v);

	toast_uuid_v3(placeholder, n, uuid);
	buf_reset(&v);
	buf_lit(&v, "[\"");
	buf_puts(&v, uuid);
	buf_lit(&v, "\"]");
	add(t, TOAST_UUIDS, -1, &v);

	failed = buf_failed(&t->text);
	buf_free(&v);
	buf_free(&map);
	if (failed)
	{
		toast_free(t);
		return -1;
	}
	return 0;
}

void
toast_free(struct toast *t)
{
	buf_free(&t->text);
}

/*
 * What an element (or a scalar) of rule kind needs: one of the first six
 * forms; NUMBER for a JSON number, NONE where no JSON value of the type
 * can hold the placeholder (booleans, points).
 */
enum shape
{
	SHAPE_NUMBER = TOAST_NFORMS,
	SHAPE_NONE,
};

static int
shape_of(enum convert_kind kind, int32_t typmod, const struct convert_opts *o)
{
	switch (kind)
	{
		case CONVERT_BOOL:
		case CONVERT_POINT:
		case CONVERT_BOX:
		case CONVERT_LSEG:
		case CONVERT_PATH:
		case CONVERT_POLYGON:
		case CONVERT_CIRCLE:
		case CONVERT_LINE:
			/* a struct (geometry.h) cannot hold it either */
			return SHAPE_NONE;
		case CONVERT_INT:
		case CONVERT_FLOAT:
		case CONVERT_FLOAT4:
		case CONVERT_DATE:
		case CONVERT_TIME:
		case CONVERT_TIMESTAMP:
			return SHAPE_NUMBER;
		case CONVERT_INTERVAL:
			return o->interval == CONVERT_INTERVAL_STRING ? TOAST_STRING : SHAPE_NUMBER;
		case CONVERT_NUMERIC:
		case CONVERT_MONEY:
			/* Decimal is Connect bytes: base64 whatever binary.handling.mode says */
			if (o->decimal == CONVERT_DECIMAL_STRING)
				return TOAST_STRING;
			if (o->decimal == CONVERT_DECIMAL_DOUBLE)
				return SHAPE_NUMBER;
			return kind == CONVERT_NUMERIC && typmod < 4 ? TOAST_VSD : TOAST_BASE64;
		case CONVERT_BYTEA:
			/* convertBinaryToBytes gives the bytes, convertBinaryToHex the string */
			if (o->binary == CONVERT_BINARY_HEX)
				return TOAST_STRING;
			return o->binary == CONVERT_BINARY_BASE64_URL_SAFE ? TOAST_BASE64_URL : TOAST_BASE64;
		case CONVERT_BIT:
			return typmod == 1 ? SHAPE_NONE : TOAST_BASE64;
		case CONVERT_HSTORE:
			return o->hstore == CONVERT_HSTORE_MAP ? TOAST_MAP : TOAST_JSON_MAP;
		case CONVERT_TIMETZ:
		case CONVERT_TIMESTAMPTZ:
		case CONVERT_STRING:
		case CONVERT_ARRAY:
		default:
			return TOAST_STRING;
	}
}

enum toast_form
toast_form(const struct convert_type *conv, uint32_t typid, uint32_t base_typid,
		   const struct convert_opts *o)
{
	int			s;

	if (conv->kind != CONVERT_ARRAY)
	{
		s = shape_of(conv->kind, conv->typmod, o);
		/* a single number or boolean cannot hold it: the string */
		return s >= TOAST_NFORMS ? TOAST_STRING : (enum toast_form) s;
	}
	s = shape_of(conv->elem_kind, conv->typmod, o);
	if (s == SHAPE_NUMBER)
		return TOAST_NUMBERS;
	if (s == SHAPE_NONE)
		return TOAST_STRING;
	if (s == TOAST_STRING && (typid == OID_UUID_ARRAY || base_typid == OID_UUID_ARRAY))
		return TOAST_UUIDS;
	return (enum toast_form) (TOAST_ARR_STRING + s);
}

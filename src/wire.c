/*
 * wire.c — bounds-checked big-endian reader; see wire.h.
 */
#include "wire.h"

#include <string.h>

/* Check that n bytes remain; on failure mark the reader broken. */
static inline int
need(struct wire_reader *r, size_t n)
{
	if (r->err || r->len - r->pos < n)
	{
		r->err = 1;
		return 0;
	}
	return 1;
}

uint8_t
wire_u8(struct wire_reader *r)
{
	if (!need(r, 1))
		return 0;
	return r->data[r->pos++];
}

uint16_t
wire_u16(struct wire_reader *r)
{
	const unsigned char *p;

	if (!need(r, 2))
		return 0;
	p = r->data + r->pos;
	r->pos += 2;
	return (uint16_t) (p[0] << 8 | p[1]);
}

uint32_t
wire_u32(struct wire_reader *r)
{
	const unsigned char *p;

	if (!need(r, 4))
		return 0;
	p = r->data + r->pos;
	r->pos += 4;
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
		(uint32_t) p[2] << 8 | p[3];
}

uint64_t
wire_u64(struct wire_reader *r)
{
	uint64_t	hi;

	/* check all eight bytes first: never return half a value */
	if (!need(r, 8))
		return 0;
	hi = wire_u32(r);
	return hi << 32 | wire_u32(r);
}

const char *
wire_bytes(struct wire_reader *r, size_t n)
{
	const char *p;

	if (!need(r, n))
		return NULL;
	p = (const char *) r->data + r->pos;
	r->pos += n;
	return p;
}

const char *
wire_cstring(struct wire_reader *r, size_t *len)
{
	const char *p;
	const char *nul;

	if (r->err)
		return NULL;
	p = (const char *) r->data + r->pos;
	nul = memchr(p, '\0', r->len - r->pos);
	if (nul == NULL)
	{
		r->err = 1;
		return NULL;
	}
	if (len)
		*len = (size_t) (nul - p);
	r->pos += (size_t) (nul - p) + 1;
	return p;
}

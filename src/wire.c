/*
 * wire.c — bounds-checked big-endian reader; see wire.h.
 */
#include "wire.h"

#include <string.h>

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

/*
 * buf.c — growable byte buffer; see buf.h for the contract.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
	b->failed = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
buf_grow(struct buf *b, size_t n)
{
	size_t		need;
	size_t		ncap;
	char	   *p;

	if (b->failed)
		return -1;
	/* need = len + n + 1 for the NUL, guarding against overflow */
	if (n > b->max || b->len > b->max - n)
	{
		b->failed = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (p == NULL)
	{
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = ncap;
	b->data[b->len] = '\0';
	return 0;
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list		ap2;
	int			n;

	if (b->failed)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(b->data ? b->data + b->len : NULL,
				  b->data ? b->cap - b->len : 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
	{
		b->failed = 1;
		return;
	}
	if (b->data == NULL || (size_t) n >= b->cap - b->len)
	{
		if (buf_grow(b, (size_t) n) != 0)
		{
			/* the first attempt may have left a truncated copy at len */
			if (b->data)
				b->data[b->len] = '\0';
			return;
		}
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t) n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_take(struct buf *b)
{
	char	   *p;

	if (b->failed)
	{
		buf_free(b);
		return NULL;
	}
	if (b->data == NULL && buf_grow(b, 0) != 0)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

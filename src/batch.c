/*
 * batch.c — the events on their way to the sink; see batch.h.
 */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->data, 0);
	buf_init(&b->meta, 0);
}

void
batch_free(struct batch *b)
{
	buf_free(&b->data);
	buf_free(&b->meta);
	free(b->recs);
	b->recs = NULL;
	b->nrecs = b->caprecs = 0;
}

void
batch_reset(struct batch *b)
{
	buf_reset(&b->data);
	buf_reset(&b->meta);
	b->nrecs = 0;
	b->start = 0;
	b->txn_first = 0;
	b->failed = 0;
}

int
batch_grow(struct batch *b)
{
	size_t		cap = b->caprecs ? b->caprecs * 2 : 256;
	struct batch_rec *n;

	if (b->failed)
		return -1;
	n = realloc(b->recs, cap * sizeof(*n));
	if (n == NULL)
	{
		b->failed = 1;
		return -1;
	}
	b->recs = n;
	b->caprecs = cap;
	return 0;
}

/*
 * ack.c — flush position; see ack.h.
 */
#include "ack.h"

#include <string.h>

void
ack_init(struct ack *a, uint64_t start)
{
	memset(a, 0, sizeof(*a));
	a->appended = a->written = a->durable = a->confirmed = start;
	a->written_whole = 1;
}

void
ack_restart(struct ack *a, uint64_t start)
{
	a->appended = a->written = a->durable = a->confirmed = start;
	a->server_end = 0;
	a->appended_txn = a->written_txn = a->durable_txn = (struct ack_txn) {0, 0};
	a->in_txn = 0;
	a->nmarks = 0;
	a->mark_first = 0;
}

uint64_t
ack_flush_lsn(struct ack *a)
{
	a->confirmed = ack_flush_peek(a);
	return a->confirmed;
}

void
ack_commit(struct ack *a, uint64_t end_lsn)
{
	struct ack_mark *last;

	a->in_txn = 0;
	a->nclosed = a->nappended;
	if (end_lsn <= a->appended)
		return;
	a->appended = end_lsn;
	last = a->nmarks ? &a->marks[(a->mark_first + a->nmarks - 1) % ACK_MARKS] : NULL;
	/* no new event since the last mark, or no room: move that mark on */
	if (last && (last->nevents == a->nappended || a->nmarks == ACK_MARKS))
	{
		last->nevents = a->nappended;
		last->lsn = end_lsn;
		last->txn = a->appended_txn;
		return;
	}
	a->marks[(a->mark_first + a->nmarks) % ACK_MARKS] =
		(struct ack_mark) {a->nappended, end_lsn, a->appended_txn};
	a->nmarks++;
}

/* Forget the marks at or before lsn: they are durable. */
static void
drop_marks(struct ack *a, uint64_t lsn)
{
	while (a->nmarks > 0 && a->marks[a->mark_first].lsn <= lsn)
	{
		a->mark_first = (a->mark_first + 1) % ACK_MARKS;
		a->nmarks--;
	}
}

void
ack_durable(struct ack *a)
{
	a->durable = a->written;
	a->durable_txn = a->written_txn;
	a->ndurable = a->nwritten;
	drop_marks(a, a->durable);
}

void
ack_delivered(struct ack *a, uint64_t n)
{
	if (n > a->nwritten)
		n = a->nwritten;		/* cannot happen; never trust past written */
	if (n > a->ndurable)
		a->ndurable = n;
	while (a->nmarks > 0)
	{
		const struct ack_mark *m = &a->marks[a->mark_first];

		if (m->nevents > a->ndurable || m->lsn > a->written)
			break;
		if (m->lsn > a->durable)
		{
			a->durable = m->lsn;
			a->durable_txn = m->txn;
		}
		a->mark_first = (a->mark_first + 1) % ACK_MARKS;
		a->nmarks--;
	}
}

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
}

uint64_t
ack_flush_lsn(struct ack *a)
{
	uint64_t	lsn = a->durable;

	if (ack_idle(a) && a->server_end > lsn)
		lsn = a->server_end;
	if (lsn > a->confirmed)
		a->confirmed = lsn;
	return a->confirmed;
}

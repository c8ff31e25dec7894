/*
 * txn.c — Begin/Commit order and skipping what was delivered; see txn.h.
 */
#include "txn.h"

#include <stdio.h>
#include <string.h>

#include "lsn.h"

void
txn_init(struct txn *t, uint64_t skip_before)
{
	memset(t, 0, sizeof(*t));
	t->skip_before = skip_before;
}

int
txn_begin(struct txn *t, struct ack *a, uint32_t xid, int64_t commit_ts,
		  uint64_t final_lsn, uint64_t lsn, uint64_t endpos,
		  char *err, size_t errlen)
{
	if (ack_in_txn(a))
	{
		snprintf(err, errlen, "Begin at " LSN_FMT " inside an open transaction", LSN_ARGS(lsn));
		return -1;
	}
	if (endpos && final_lsn > endpos)
		return 1;
	t->ev.xid = xid;
	t->ev.begin_lsn = lsn;
	t->ev.commit_ms = event_pg_to_unix_ms(commit_ts);
	t->commit_us = commit_ts + INT64_C(946684800000000);
	t->final_lsn = final_lsn;
	t->events = 0;
	t->skipping = final_lsn < t->skip_before;
	ack_begin(a);
	return 0;
}

int
txn_commit(struct txn *t, struct ack *a, uint64_t commit_lsn, uint64_t end_lsn,
		   uint64_t lsn, char *err, size_t errlen)
{
	int			deliver = !t->skipping;

	if (!ack_in_txn(a))
	{
		snprintf(err, errlen, "Commit at " LSN_FMT " without Begin", LSN_ARGS(lsn));
		return -1;
	}
	if (commit_lsn != t->final_lsn)
	{
		snprintf(err, errlen, "Commit at " LSN_FMT " does not match its Begin (" LSN_FMT ")",
				 LSN_ARGS(commit_lsn), LSN_ARGS(t->final_lsn));
		return -1;
	}
	if (deliver)
		ack_commit_txn(a, end_lsn, t->ev.xid, t->commit_us);
	else
		ack_end_txn(a);
	t->ev.last_commit_lsn = commit_lsn;
	return deliver;
}

void
txn_cut(struct txn *t, struct ack *a)
{
	if (ack_in_txn(a))
	{
		t->resume_final_lsn = t->final_lsn;
		t->resume_skip = t->skipping ? 0 : t->events;
		ack_end_txn(a);
	}
	if (ack_appended(a) > t->skip_before)
		t->skip_before = ack_appended(a);
}

void
txn_forget(struct txn *t)
{
	t->skip_before = 0;
	t->resume_final_lsn = 0;
	t->resume_skip = 0;
}

/*
 * txn.h — the transaction being streamed: Begin/Commit order, and
 * which transactions and events were delivered before, so that they
 * are not written twice.
 *
 * Resuming without duplicates: transactions whose commit is at or
 * before the position recorded as delivered (the offset file, or what
 * this process already wrote before a reconnect: skip_before) are
 * skipped, and a transaction cut by a lost connection skips the events
 * it already wrote (resume_final_lsn, resume_skip).
 *
 * Whether a transaction is open is the ack's state (ack_begin,
 * ack_commit, ack_end_txn): txn keeps no copy of it, so the two cannot
 * disagree.  Plain state, no allocation; owned by apply (apply.h).
 */
#ifndef WALCAP_TXN_H
#define WALCAP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "event.h"

struct txn
{
	struct event_txn ev;		/* what its events carry (xid, commit time) */
	uint64_t	final_lsn;		/* the open transaction's commit LSN */
	int64_t		commit_us;		/* its commit time, Unix µs (the offset's ts_usec) */
	long		events;			/* events of the open transaction so far */
	int			skipping;		/* the open transaction was delivered before */
	uint64_t	skip_before;	/* skip transactions committed before this */
	uint64_t	resume_final_lsn;	/* a transaction cut by a reconnect ... */
	long		resume_skip;	/* ... and how many of its events were written */
};

/* Nothing open; everything from skip_before on is delivered. */
void		txn_init(struct txn *t, uint64_t skip_before);

/*
 * A Begin at WAL position lsn, for the transaction xid committing at
 * final_lsn at commit_ts (PostgreSQL epoch, us).  A transaction
 * committing past endpos (0: none) is not begun: 1, the run is done.
 * 0 when begun (and a transaction delivered before is begun
 * skipping); -1 with err set when a transaction is open already.
 */
int			txn_begin(struct txn *t, struct ack *a, uint32_t xid, int64_t commit_ts,
					  uint64_t final_lsn, uint64_t lsn, uint64_t endpos,
					  char *err, size_t errlen);

/*
 * A Commit at WAL position lsn of the transaction committed at
 * commit_lsn, ending at end_lsn.  1 when its events are to be delivered
 * (ack_commit done), 0 when it was skipped, -1 with err set when it
 * does not match the open transaction.
 */
int			txn_commit(struct txn *t, struct ack *a, uint64_t commit_lsn,
					   uint64_t end_lsn, uint64_t lsn, char *err, size_t errlen);

/*
 * Whether the next event of the open transaction was written before a
 * reconnect (or the whole transaction was): then it is not written
 * again.  Counts the event.
 */
static inline int
txn_already_written(struct txn *t)
{
	if (t->skipping)
		return 1;
	if (t->final_lsn == t->resume_final_lsn && t->events < t->resume_skip)
	{
		t->events++;
		return 1;
	}
	t->events++;
	return 0;
}

/* Whether something outside a transaction at lsn was delivered before. */
static inline int
txn_delivered(const struct txn *t, uint64_t lsn)
{
	return lsn < t->skip_before;
}

/*
 * The connection is lost: the server sends everything after the
 * confirmed position again.  Remember how far the open transaction got
 * and close it; skip whatever the batch already holds.
 */
void		txn_cut(struct txn *t, struct ack *a);

/* A new slot: nothing of the old one's positions is delivered. */
void		txn_forget(struct txn *t);

#endif

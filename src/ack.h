/*
 * ack.h — which WAL position may be confirmed to PostgreSQL.
 *
 * The flush position reported to the server is the commit end LSN of
 * the newest transaction whose every event the sink has made durable,
 * and never lower than what was reported before: the server may then
 * recycle WAL up to it, and after a crash it resends every transaction
 * that committed past it (at-least-once).
 *
 * Events move through three stages, each a prefix of the one before:
 * appended to the output batch, written to the sink, made durable.  When
 * nothing is in any of them — no transaction open, no unwritten event —
 * the server's own WAL end from its keepalives may be confirmed, so an
 * idle or fully filtered database does not hold WAL back forever
 * (pgoutput sends nothing for transactions that change no published
 * table).
 *
 * A sink that confirms events one by one (Kafka's delivery reports)
 * makes a prefix of the written events durable at a time.  For it each
 * commit is remembered as a mark (its end LSN and the count of events
 * before it), and ack_delivered() moves the durable position to the
 * newest mark whose events are all delivered.  The marks are a fixed
 * ring: when it is full, the newest mark is moved forward instead of a
 * new one added, which only makes confirmation wait for a later commit.
 *
 * Plain state, no allocation; owned by the delivery module (delivery.h),
 * which moves it with the batch.  Only ack.c and the functions below
 * write its fields; others read them through the accessors at the end.
 */
#ifndef WALCAP_ACK_H
#define WALCAP_ACK_H

#include <stdint.h>

#define ACK_MARKS 1024

/* The transaction a position ends with: its xid and commit time (Unix µs); zeros if none. */
struct ack_txn
{
	uint64_t	xid;
	int64_t		commit_us;
};

struct ack_mark
{
	uint64_t	nevents;		/* events appended up to this commit */
	uint64_t	lsn;			/* its end LSN */
	struct ack_txn txn;			/* its transaction */
};

struct ack
{
	uint64_t	appended;		/* end LSN of the newest commit in the batch */
	uint64_t	written;		/* ... handed to the sink completely */
	uint64_t	durable;		/* ... made durable by the sink */
	uint64_t	confirmed;		/* flush LSN last reported to the server */
	uint64_t	server_end;		/* WAL end from the newest keepalive */
	/* the transactions that end at appended, written and durable (offset.h's txId, ts_usec) */
	struct ack_txn appended_txn;
	struct ack_txn written_txn;
	struct ack_txn durable_txn;
	int			in_txn;			/* between Begin and Commit */
	int			unwritten;		/* events appended since the last write */
	/* events counted through the same stages: snapshot rows may follow
	 * the newest commit, so LSNs alone cannot say they are durable */
	uint64_t	nappended;
	uint64_t	nwritten;
	uint64_t	ndurable;
	/*
	 * Events appended up to the end of the newest whole unit: a commit,
	 * a message outside a transaction, snapshot rows delivered at a
	 * position, a heartbeat.  written_whole: the events written end with
	 * one, so none of a transaction still open is among them (what a
	 * transactional sink may commit; delivery.h).
	 */
	uint64_t	nclosed;
	int			written_whole;
	/* commits not yet durable, oldest first, for ack_delivered() */
	struct ack_mark marks[ACK_MARKS];
	unsigned	mark_first;
	unsigned	nmarks;
};

void		ack_init(struct ack *a, uint64_t start);

/*
 * Start over at position start on a new slot: every LSN is reset and
 * the pending marks forgotten, but the event counters go on, since
 * they count what the sink has taken since it was opened.
 */
void		ack_restart(struct ack *a, uint64_t start);

static inline void
ack_begin(struct ack *a)
{
	a->in_txn = 1;
}

/*
 * Leave the open transaction without delivering it: one delivered
 * before (skipped), or one a lost connection cut short, which the
 * server sends again whole.
 */
static inline void
ack_end_txn(struct ack *a)
{
	a->in_txn = 0;
}

/* A commit's events are all in the batch. */
void		ack_commit(struct ack *a, uint64_t end_lsn);

/* The same for the commit of transaction xid at commit_us (Unix µs). */
static inline void
ack_commit_txn(struct ack *a, uint64_t end_lsn, uint64_t xid, int64_t commit_us)
{
	if (end_lsn > a->appended)
		a->appended_txn = (struct ack_txn) {xid, commit_us};
	ack_commit(a, end_lsn);
}

/* The events appended so far end a unit of their own (a heartbeat). */
static inline void
ack_close_unit(struct ack *a)
{
	a->nclosed = a->nappended;
}

/* An event was appended to the batch (inside or outside a transaction). */
static inline void
ack_event(struct ack *a)
{
	a->unwritten = 1;
	a->nappended++;
}

/* The whole batch reached the sink. */
static inline void
ack_written(struct ack *a)
{
	a->written = a->appended;
	a->written_txn = a->appended_txn;
	a->nwritten = a->nappended;
	a->written_whole = a->nappended == a->nclosed;
	a->unwritten = 0;
}

/* Everything written so far is durable. */
void		ack_durable(struct ack *a);

/*
 * The first n events ever appended are durable (n no more than were
 * written): the durable position moves to the newest commit they cover.
 */
void		ack_delivered(struct ack *a, uint64_t n);

static inline void
ack_server_end(struct ack *a, uint64_t lsn)
{
	if (lsn > a->server_end)
		a->server_end = lsn;
}

/* Nothing is waiting to be written or made durable. */
static inline int
ack_idle(const struct ack *a)
{
	return !a->in_txn && !a->unwritten && a->appended == a->durable;
}

/* The flush LSN to report now; also records it as confirmed. */
uint64_t	ack_flush_lsn(struct ack *a);

/* What ack_flush_lsn() would return now, without recording it. */
static inline uint64_t
ack_flush_peek(const struct ack *a)
{
	uint64_t	lsn = a->durable;

	if (ack_idle(a) && a->server_end > lsn)
		lsn = a->server_end;
	return lsn > a->confirmed ? lsn : a->confirmed;
}

/*
 * lsn was reported to the server by another way (source_keep_alive,
 * from an ack_flush_peek() value): later reports never go below it.
 */
static inline void
ack_note_confirmed(struct ack *a, uint64_t lsn)
{
	if (lsn > a->confirmed)
		a->confirmed = lsn;
}

/* Read-only views for the other stages. */
static inline int
ack_in_txn(const struct ack *a)
{
	return a->in_txn;
}

/* End LSN of the newest commit in the batch, and the events appended so far. */
static inline uint64_t
ack_appended(const struct ack *a)
{
	return a->appended;
}

static inline uint64_t
ack_nappended(const struct ack *a)
{
	return a->nappended;
}

/* End LSN of the newest commit written to the sink. */
static inline uint64_t
ack_written_lsn(const struct ack *a)
{
	return a->written;
}

/* The same for what the sink made durable. */
static inline uint64_t
ack_durable_lsn(const struct ack *a)
{
	return a->durable;
}

/* The transactions that end at ack_written_lsn() and ack_durable_lsn(). */
static inline struct ack_txn
ack_written_txn(const struct ack *a)
{
	return a->written_txn;
}

static inline struct ack_txn
ack_durable_txn(const struct ack *a)
{
	return a->durable_txn;
}

static inline uint64_t
ack_ndurable(const struct ack *a)
{
	return a->ndurable;
}

/* The flush LSN last reported to the server. */
static inline uint64_t
ack_confirmed(const struct ack *a)
{
	return a->confirmed;
}

/* Written to the sink but not yet durable: events, or a commit. */
static inline int
ack_unsynced(const struct ack *a)
{
	return a->written > a->durable || a->nwritten > a->ndurable;
}

/* Whether the events written so far end with a whole unit (see nclosed). */
static inline int
ack_written_whole(const struct ack *a)
{
	return a->written_whole;
}

static inline uint64_t
ack_nwritten(const struct ack *a)
{
	return a->nwritten;
}

/* Events written to the sink and not yet durable. */
static inline uint64_t
ack_undurable(const struct ack *a)
{
	return a->nwritten - a->ndurable;
}

#endif

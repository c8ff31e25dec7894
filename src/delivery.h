/*
 * delivery.h — the output batch on its way to the sink, and the record
 * of what is durable.
 *
 * Events are appended to one batch (batch.h); the batch goes to the
 * sink without blocking (delivery_write), or waiting for a full sink
 * (delivery_drain); the sink makes it durable (delivery_sync), and the
 * offset store (offset_store.h) records what is durable: the position,
 * the file sink's length at it, the snapshot's progress
 * (delivery_record).  The ack
 * follows every step (ack.h).
 *
 * With exactly.once.support=required the sink is transactional: the
 * offset record goes to the sink with the events it covers, and both
 * commit at once (delivery_commit), only where the events written end a
 * whole transaction (ack_written_whole) — at once when no more input
 * waits, and at least every transaction.boundary.interval.ms while a
 * backlog streams (delivery_commit_due).
 *
 * Waiting never calls back up: delivery_drain() and delivery_finish()
 * return 1 when a status update is due, and the caller sends it and
 * calls again to go on waiting.  A stop request (the stop flag)
 * ends the wait for a full sink after a grace period.
 *
 * Owns the sink (once delivery_open succeeded), the ack, the batch and
 * the offset as last saved; delivery_free() releases them.
 */
#ifndef WALCAP_DELIVERY_H
#define WALCAP_DELIVERY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "batch.h"
#include "config.h"
#include "metrics.h"
#include "offset.h"
#include "offset_store.h"
#include "sink.h"

struct delivery
{
	const struct config *cfg;
	/* non-zero once a stop was requested (a signal handler's flag; may be
	 * NULL): waits for the sink then give up after 5 s.  Not owned. */
	const volatile sig_atomic_t *stop;
	struct sink sink;
	int			sink_open;		/* sink is open: delivery_free closes it */
	struct ack	ack;
	struct offset off;			/* what the offset store says now */
	/* where the offset is saved; set by the caller before delivery_open, not owned */
	struct offset_store *store;
	uint64_t	recorded_events;	/* ack_ndurable() at the last save */
	int64_t		next_commit_us;	/* a transactional sink's next commit is due */
	char	   *snap_state;		/* snapshot progress in the stored offset; owned */
	struct batch batch;
	struct batch_pos written;	/* how much of the batch the sink took */
	uint64_t	sink_size;		/* file sink: bytes in the file, with
								 * what it took of the batch */
	uint64_t	appended_size;	/* sink size once the newest commit in the
								 * batch is written: the file length that
								 * goes with ack.appended */
	uint64_t	written_size;	/* the same for ack.written */
	/*
	 * The run's live figures (metrics.h), or NULL: batches handed to the
	 * sink, their records, failed sink calls.  Set by the caller after
	 * delivery_init; not owned.
	 */
	struct metrics_snap *met;
};

/* A wait of delivery_drain or delivery_finish, across its calls: zero it first. */
struct delivery_wait
{
	int64_t		give_up;		/* a stop was requested: give up then */
	int			resume;			/* returned 1: go on waiting where it left */
};

void		delivery_init(struct delivery *d, const struct config *c);

/*
 * Open the sink, cutting a file sink back to keep_size (UINT64_MAX: no
 * length recorded, and then this one is, before anything is written,
 * so a crash before the first confirmation cuts what was written
 * then), and start the ack at off.lsn.  0, or -1 with err set.
 */
int			delivery_open(struct delivery *d, uint64_t keep_size, char *err, size_t errlen);

/*
 * Open the sink alone, before the offset is read, as delivery_open would
 * (which then leaves it).  For a transactional sink: opening it fences
 * every earlier producer of this connector, so none commits an offset
 * after this one has read it.  0, or -1 with err set.
 */
int			delivery_open_sink(struct delivery *d, uint64_t keep_size, char *err, size_t errlen);

/* Close the sink (without syncing), free the batch and the state. */
void		delivery_free(struct delivery *d);

/* An event was appended to the batch: count it. */
static inline void
delivery_end_event(struct delivery *d)
{
	ack_event(&d->ack);
}

/*
 * Remember the file length at the commit just appended: what the offset
 * file records with its LSN, so that a restart cuts exactly the events
 * after it (a batch may end in the middle of a transaction).
 */
static inline void
delivery_note_commit(struct delivery *d, uint64_t end_lsn)
{
	batch_commit(&d->batch, end_lsn);
	d->appended_size = d->sink_size + (batch_bytes(&d->batch) - d->written.bytes);
}

/* A transaction, or a message outside one, starts (the batch's commit marks). */
static inline void
delivery_note_begin(struct delivery *d)
{
	batch_txn_begin(&d->batch);
}
/*
 * The flush position that may be reported now: ack's (ack_flush_peek),
 * but not past the stored offset while events after it are durable and
 * not yet recorded there.  A crash then would make a restart cut them
 * from a file sink (back to the length the store records), and the
 * server, told they were flushed, would not send them again.  Progress
 * made only of transactions without events passes: there is nothing in
 * it to cut.
 */
static inline uint64_t
delivery_flush_peek(const struct delivery *d)
{
	uint64_t	lsn = ack_flush_peek(&d->ack);
	uint64_t	floor = ack_confirmed(&d->ack);

	if (ack_ndurable(&d->ack) > d->recorded_events && lsn > d->off.lsn)
		lsn = d->off.lsn > floor ? d->off.lsn : floor;
	return lsn;
}

/* The sink commits the offset with the events (exactly.once.support=required). */
static inline int
delivery_transactional(const struct delivery *d)
{
	return d->cfg->exactly_once == CONFIG_EOS_REQUIRED;
}

/*
 * Whether to commit now, at now_us (mono_us), while a backlog streams:
 * transactional, between transactions, with events appended since the
 * last commit, transaction.boundary.interval.ms after it.
 */
static inline int
delivery_commit_due(const struct delivery *d, int64_t now_us)
{
	return delivery_transactional(d) && now_us >= d->next_commit_us &&
		!ack_in_txn(&d->ack) && ack_nappended(&d->ack) > d->recorded_events;
}

/* Events handed to a counting sink (Kafka) and not yet delivered. */
static inline uint64_t
delivery_undelivered(const struct delivery *d)
{
	return d->sink.counts ? ack_undurable(&d->ack) : 0;
}

/*
 * Give the sink as much of the batch as it takes without blocking.
 * Returns 1 when the whole batch is written, 0 if the sink is full, -1
 * on error.
 */
int			delivery_write(struct delivery *d, char *err, size_t errlen);

/*
 * Make the written events durable, or for a sink that confirms them one
 * by one, take what it has confirmed so far.  0, or -1 with err.
 */
int			delivery_sync(struct delivery *d, char *err, size_t errlen);

/* Make written events durable, if any are not.  0, or -1 (err). */
int			delivery_make_durable(struct delivery *d, char *err, size_t errlen);

/*
 * Record what is durable now in the offset store: the position, and
 * snap_state, the snapshot's progress at that point (snapshot_state_at;
 * NULL: unchanged), whenever either changed.  Call after
 * delivery_make_durable().  0, or -1 if the offset store failed (err).
 */
int			delivery_record(struct delivery *d, const char *snap_state,
							char *err, size_t errlen);

/*
 * A transactional sink: commit what was written, with its offset record
 * (the position, and snap_state as delivery_record), when the written
 * events end a whole transaction and anything changed since the last
 * commit; otherwise nothing yet.  Call with snap_state the snapshot's
 * progress at ack_written_lsn() and ack_nwritten().  0, or -1 if the
 * commit failed (err): nothing of it is confirmed.
 */
int			delivery_commit(struct delivery *d, const char *snap_state,
							char *err, size_t errlen);

/*
 * Write the whole batch, waiting for the sink if it is full.  The
 * replication socket is left alone meanwhile: the server waits
 * (backpressure).  Returns 0 when written, 1 at status_us (a status
 * update is due: send it and call again), -2 if the sink failed or
 * accepted nothing within 5 s of a stop request (err set).
 */
int			delivery_drain(struct delivery *d, int64_t status_us, struct delivery_wait *w,
						   char *err, size_t errlen);

/*
 * Before stopping: wait until deadline_us for the events handed to a
 * counting sink to be delivered; what is not delivered by then is not
 * confirmed (a warning says so), and is sent again after a restart.
 * Returns 0 when done, 1 at status_us as delivery_drain, -2 if the
 * sink failed (err set).
 */
int			delivery_finish(struct delivery *d, int64_t status_us, int64_t deadline_us,
							struct delivery_wait *w, char *err, size_t errlen);

#endif

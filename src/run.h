/*
 * run.h — the state of `walcap run`, shared by the three files that
 * wire it: cli_run.c (the loop and each session's life), run_snapshot.c
 * (snapshot rows and progress between the stream's transactions) and
 * run_resume.c (where delivery resumes: the offset file, reconnecting,
 * a lost slot).  Not a stage of its own: the stages are the modules it
 * holds, and everything in it is owned by cli_run().
 */
#ifndef WALCAP_RUN_H
#define WALCAP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include "catalog.h"
#include "cli.h"
#include "delivery.h"
#include "event.h"
#include "health.h"
#include "snapshot.h"
#include "source.h"

#define RUN_BATCH_BYTES (64 * 1024)	/* a batch goes to the sink at this size */
#define RUN_PROGRESS_US 2000000	/* how often a snapshot's progress is logged */

struct run
{
	const struct config *cfg;
	const struct run_opts *opts;
	struct source src;
	struct catalog cat;
	struct event_writer ew;
	struct snapshot snap;
	struct delivery dl;			/* the batch, the sink, the ack, the offset */
	struct apply ap;			/* messages into events; the transaction */
	struct health health;		/* heartbeats, WAL guard */
	int			snap_only;		/* snapshot.mode=initial_only: stop when done */
	int64_t		snap_retry_us;	/* after a failed snapshot step, not before */
	int64_t		next_save_us;	/* snapshot progress is not recorded before */
	int64_t		next_poll_us;	/* next look for tables added to the publication */
	int			progress;		/* log snapshot progress (a terminal, or --progress) */
	int64_t		next_progress_us;
	char		last_progress[512]; /* the line last logged */
};

/*
 * Before a call that may run a query on another connection: the flush
 * position the source's keep-alive reports while it waits.
 */
static inline void
run_arm(struct run *r)
{
	source_set_flush(&r->src, ack_flush_peek(&r->dl.ack));
}

/* cli_run.c.  These return 0, -1 if the connection failed, -2 if the sink or offset file did (err). */

/* Report the flush position now; with reply set, ask the server to answer at once. */
int			run_confirm(struct run *r, int reply, char *err, size_t errlen);
/* Make written events durable, record the position, tell the server. */
int			run_send_status(struct run *r, char *err, size_t errlen);
/* Write the whole batch, sending status updates while the sink is full. */
int			run_drain(struct run *r, char *err, size_t errlen);
/* Wait (sink.kafka.flush.timeout.ms) for a counting sink to deliver, before stopping. */
int			run_finish(struct run *r, char *err, size_t errlen);

/* run_snapshot.c */

/*
 * Make written events durable and record in the offset file what is
 * durable now: the position and the snapshot's progress at it.  0, or
 * -1 if the sink or the offset file failed (err).
 */
int			run_record(struct run *r, char *err, size_t errlen);
/* A new snapshot state, whose queries keep the stream alive. */
void		run_init_snapshot(struct run *r);
/* Every so often while a table is read: its progress, as one log line. */
void		run_report_progress(struct run *r);
/* Record a snapshot chunk as durable soon after it is emitted.  0 or as run_drain. */
int			run_save_progress(struct run *r, char *err, size_t errlen);
/* Write out the snapshot rows that are ready, delivered at lsn outside a transaction. */
int			run_emit_snapshot(struct run *r, uint64_t lsn, char *err, size_t errlen);
/* The snapshot's next SQL, between transactions: 1 did something, 0 not, or as run_drain. */
int			run_step_snapshot(struct run *r, char *err, size_t errlen);
/* The initial snapshot from a new slot's exported snapshot: 0 done, 1 stopped, -1 failed (logged). */
int			run_export(struct run *r, const char *snapname, uint64_t lsn);

/* run_resume.c */

/*
 * Open everything up to the first session: the source, the offset
 * file, the sink; a missing slot created, an initial snapshot queued.
 * 0 to stream, 1 to stop with *status, -1 to fail (logged).
 */
int			run_start(struct run *r, int *status);

/*
 * Read the offset file and decide where delivery resumes: *fresh when
 * nothing was delivered yet, *keep_size the file sink's length to cut
 * back to.  0, or -1 (logged).
 */
int			run_load_offset(struct run *r, uint64_t *keep_size, int *fresh);
/* slot.failover=true: make the existing slot a failover slot (warns on failure). */
void		run_slot_failover(struct run *r);
/* A missing or invalidated slot: 0 to stream, 1 to stop with exit 0, -1 exit 1 (logged). */
int			run_recover_slot(struct run *r, int fresh);
/* Before reconnecting: write out the batch, remember the cut transaction.  0 or -1 (err). */
int			run_prepare_reconnect(struct run *r, char *err, size_t errlen);
/* Connect again after cause, with backoff: 0 connected, 1 stopped, -1 exit 1 (logged). */
int			run_reconnect(struct run *r, const char *cause, int64_t *attempts, int64_t *backoff);

#endif

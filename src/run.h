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
#include "metrics.h"
#include "offset_store.h"
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
	struct offset_store store;	/* where delivery records the offset */
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

	/* metrics (run_metrics.c): the live figures, and where they go */
	struct metrics_snap met;	/* apply, delivery and snapshot count into it */
	int			metrics_on;		/* metrics.listen or --report-fd */
	struct metrics_pub pub;		/* for the listener's thread */
	struct httpd *httpd;		/* metrics.listen's listener, or NULL */
	int			report_fd;		/* --report-fd, -1 none or no longer */
	struct buf	report_rest;	/* a line the pipe took only part of */
	int64_t		next_metrics_us;	/* the earlier of the two below */
	int64_t		next_publish_us;
	int64_t		next_report_us;
	uint64_t	published_sig;	/* run_metrics_sig() when last published */
};

/*
 * Before a call that may run a query on another connection: the flush
 * position the source's keep-alive reports while it waits.
 */
static inline void
run_arm(struct run *r)
{
	source_set_flush(&r->src, delivery_flush_peek(&r->dl));
}

/* cli_run.c.  These return 0, -1 if the connection failed, -2 if the sink or offset file did (err). */

/* Report the flush position now; with reply set, ask the server to answer at once. */
int			run_confirm(struct run *r, int reply, char *err, size_t errlen);
/* Make written events durable, record the position, tell the server. */
int			run_send_status(struct run *r, char *err, size_t errlen);
/* Write the whole batch, sending status updates while the sink is full. */
int			run_drain(struct run *r, char *err, size_t errlen);
/* Wait (the sink's finish_ms: sink.kafka.flush.timeout.ms, sink.http.flush.timeout.ms) for a counting sink to deliver, before stopping. */
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

/* run_metrics.c */

#define RUN_PUBLISH_US 200000	/* the listener's copy is at most this old */
#define RUN_REPORT_US 1000000	/* a report line this often */

/*
 * Start what metrics.listen and --report-fd ask for, and hand the live
 * figures to the modules.  0, or the exit status (2: --report-fd is not
 * an open descriptor; 1: the address cannot be bound), logged.
 */
int			run_metrics_open(struct run *r);
/* Refresh, publish and report when due at now_us (mono_us). */
void		run_metrics_due(struct run *r, int64_t now_us);
/* The same at once, whatever is due (the session went up or down). */
void		run_metrics_now(struct run *r);
/* The last report (with the error that ends the run, or NULL), and stop serving. */
void		run_metrics_close(struct run *r, const char *error);
/* The earliest of until and the next metrics deadline that matters while idle. */
int64_t		run_metrics_next_us(struct run *r, int64_t until);

/* Cheap enough for every message: only a comparison unless something is due. */
static inline void
run_metrics_tick(struct run *r, int64_t now_us)
{
	if (r->metrics_on && now_us >= r->next_metrics_us)
		run_metrics_due(r, now_us);
}

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
/* cause NULL: a restart chosen (and logged) by the caller, not a loss */
int			run_reconnect(struct run *r, const char *cause, int64_t *attempts, int64_t *backoff);

#endif

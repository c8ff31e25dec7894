/*
 * run_snapshot.c — `walcap run`'s snapshot between the stream's
 * transactions: its SQL steps, its rows into the batch, its progress
 * logged and recorded in the offset file; and the initial snapshot from
 * a new slot's exported snapshot.  See run.h.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "run.h"

#define POLL_TABLES_US 5000000	/* how often to look for new published tables */
#define SAVE_MIN_US 100000		/* snapshot progress recorded at most this often */
#define SAVE_RETRY_US 10000		/* how often to look for Kafka's acknowledgement of a chunk */

void
run_init_snapshot(struct run *r)
{
	snapshot_init(&r->snap, r->cfg, &r->ew, catalog_resolve, &r->cat);
	r->snap.on_wait = source_keep_alive;
	r->snap.wait_arg = &r->src;
	r->snap.met = r->metrics_on ? &r->met : NULL;
}

/*
 * A snapshot chunk was emitted (or the queue changed): write it out, make
 * it durable and record it in the offset file now, not at the next status
 * update (10 s by default), so that a crash makes a restart read at most
 * the chunks of the last moment again.  Each record costs a sink sync and
 * an offset file write (four fsyncs with the file sink): one per chunk
 * made a fast snapshot several times slower, so chunks that come faster
 * than SAVE_MIN_US are recorded together.  A sink that acknowledges
 * later (Kafka) is looked at every SAVE_RETRY_US, and the offset file
 * written only once it has acknowledged the chunk, however far the
 * stream's own events got meanwhile.
 */
int
run_record(struct run *r, char *err, size_t errlen)
{
	const struct ack *a = &r->dl.ack;

	/* exactly once: the offset commits with what was written, as one */
	if (delivery_transactional(&r->dl))
		return delivery_commit(&r->dl, snapshot_state_at(&r->snap, ack_written_lsn(a), ack_nwritten(a)),
							   err, errlen);
	if (delivery_make_durable(&r->dl, err, errlen) != 0)
		return -1;
	return delivery_record(&r->dl, snapshot_state_at(&r->snap, ack_durable_lsn(a), ack_ndurable(a)),
						   err, errlen);
}

int
run_save_progress(struct run *r, char *err, size_t errlen)
{
	const struct ack *a = &r->dl.ack;
	int			rc;

	if (!snapshot_unsaved(&r->snap, ack_appended(a), ack_nappended(a)) ||
		mono_us() < r->next_save_us)
		return 0;
	if (batch_bytes(&r->dl.batch) > 0 && (rc = run_drain(r, err, errlen)) != 0)
		return rc;
	if (r->dl.sink.counts && !delivery_transactional(&r->dl))
	{
		if (delivery_sync(&r->dl, err, errlen) != 0)
			return -2;
		if (!snapshot_unsaved(&r->snap, ack_durable_lsn(a), ack_ndurable(a)))
		{
			r->next_save_us = mono_us() + SAVE_RETRY_US;
			return 0;
		}
	}
	if (run_record(r, err, errlen) != 0)
		return -2;
	r->next_save_us = mono_us() + SAVE_MIN_US;
	return 0;
}

/*
 * Every RUN_PROGRESS_US while a table is read: its progress, as one log
 * line, unless nothing changed (a paused snapshot says so once).
 */
void
run_report_progress(struct run *r)
{
	char		line[sizeof(r->last_progress)];
	int64_t		now;

	if (!r->progress || (now = mono_us()) < r->next_progress_us)
		return;
	r->next_progress_us = now + RUN_PROGRESS_US;
	if (snapshot_progress(&r->snap, now, line, sizeof(line)) == 0 &&
		strcmp(line, r->last_progress) != 0)
	{
		log_info("%s", line);
		memcpy(r->last_progress, line, sizeof(line));
	}
}

/* n snapshot rows were appended to the batch. */
static void
count_rows(struct run *r, long n)
{
	for (long i = 0; i < n; i++)
		ack_event(&r->dl.ack);
	apply_count(&r->ap, n);
}

/* Snapshot rows at lsn are all in the batch: delivered like a commit there. */
static void
commit_rows(struct run *r, uint64_t lsn)
{
	ack_commit(&r->dl.ack, lsn);
	delivery_note_commit(&r->dl, lsn);
	snapshot_position(&r->snap, lsn, ack_nappended(&r->dl.ack));
}

/*
 * Write out the snapshot rows that are ready, a batch at a time.
 * Outside a transaction they are delivered at lsn (a commit's end or
 * the server's WAL end with nothing open), and the progress they make
 * is recorded there.  Returns 0, -1 connection lost, -2 sink failed.
 */
int
run_emit_snapshot(struct run *r, uint64_t lsn, char *err, size_t errlen)
{
	int			rc;

	run_report_progress(r);
	/* between transactions the rows are a unit of their own (commit mark) */
	if (!ack_in_txn(&r->dl.ack))
		delivery_note_begin(&r->dl);
	while (snapshot_emitting(&r->snap))
	{
		long		n;

		run_arm(r);
		n = snapshot_emit(&r->snap, &r->dl.batch, RUN_BATCH_BYTES, lsn, r->ap.now_ms,
						  err, errlen);
		if (n < 0 || batch_failed(&r->dl.batch))
		{
			if (n >= 0)
				snprintf(err, errlen, "out of memory building a snapshot event");
			return -2;
		}
		count_rows(r, n);
		if (batch_bytes(&r->dl.batch) >= RUN_BATCH_BYTES && (rc = run_drain(r, err, errlen)) != 0)
			return rc;
	}
	if (!ack_in_txn(&r->dl.ack))
		commit_rows(r, lsn);
	if (r->snap_only && !snapshot_active(&r->snap))
		r->ap.done = 1;
	return 0;
}

/*
 * Let the snapshot run its next SQL (start a table, read a chunk between
 * watermarks, fetch blocking rows), between transactions only.  A
 * failure is retried after a pause; the stream goes on meanwhile.
 * Returns 1 if it did something, 0 if not, -1/-2 as run_emit_snapshot.
 */
int
run_step_snapshot(struct run *r, char *err, size_t errlen)
{
	const struct ack *a = &r->dl.ack;
	int			rc;

	run_report_progress(r);
	if (!ack_in_txn(a) && mono_us() >= r->next_poll_us)
	{
		r->next_poll_us = mono_us() + POLL_TABLES_US;
		run_arm(r);
		if (snapshot_poll_tables(&r->snap, err, errlen) < 0)
			log_warning("could not look for tables added to the publication: %s", err);
	}
	if (!snapshot_active(&r->snap) || ack_in_txn(a) || r->snap.phase != SNAP_IDLE ||
		mono_us() < r->snap_retry_us)
		return 0;
	/* the SQL below takes a few ms: nothing waits in the batch meanwhile */
	if (batch_bytes(&r->dl.batch) > 0 && (rc = run_drain(r, err, errlen)) != 0)
		return rc;
	run_arm(r);
	rc = snapshot_step(&r->snap, ack_appended(a), ack_nappended(a), err, errlen);
	if (rc < 0)
	{
		log_warning("snapshot: %s; trying again in 5 s", err);
		r->snap_retry_us = mono_us() + 5000000;
		return 0;
	}
	if (snapshot_emitting(&r->snap) && (rc = run_emit_snapshot(r, ack_appended(a), err, errlen)) != 0)
		return rc;
	if (r->snap_only && !snapshot_active(&r->snap))
		r->ap.done = 1;
	return rc > 0;
}

/*
 * The initial snapshot when walcap has just created the slot: COPY every
 * queued table in the slot's exported snapshot before streaming from
 * the slot's start, recording progress after each table.  Returns 0
 * when done, 1 when a stop was requested, -1 on failure (logged).
 */
int
run_export(struct run *r, const char *snapname, uint64_t lsn)
{
	const struct ack *a = &r->dl.ack;
	char		err[1024];
	int			rc = 0;

	log_info("initial snapshot of %d table%s from the new slot's exported snapshot",
			 r->snap.nitems, r->snap.nitems == 1 ? "" : "s");
	if (snapshot_export_begin(&r->snap, snapname, err, sizeof(err)) != 0)
	{
		log_error("could not adopt the slot's exported snapshot: %s", err);
		return -1;
	}
	while (snapshot_active(&r->snap))
	{
		uint64_t	before = snapshot_export_steps(&r->snap);
		long		n;
		int			step;

		r->ap.now_ms = source_now_us() / 1000;
		run_report_progress(r);
		run_metrics_tick(r, mono_us());
		run_arm(r);
		n = snapshot_export_next(&r->snap, &r->dl.batch, RUN_BATCH_BYTES, lsn, r->ap.now_ms,
								 err, sizeof(err));
		if (n < 0)
		{
			log_error("initial snapshot failed: %s", err);
			rc = -1;
			break;
		}
		count_rows(r, n);
		/*
		 * A table or a range of one is complete: it is delivered at the
		 * slot's start, and the file length recorded with it must include
		 * it, so noted before the batch is written.
		 */
		step = snapshot_export_steps(&r->snap) != before;
		if (step)
			commit_rows(r, lsn);
		if ((step || batch_bytes(&r->dl.batch) >= RUN_BATCH_BYTES) &&
			run_drain(r, err, sizeof(err)) != 0)
		{
			log_error("%s", err);
			rc = -1;
			break;
		}
		/* at a table's or a range's end; and for Kafka, once it has acknowledged it */
		/* (exactly once: a table or range is one Kafka transaction, since a restart reads it again) */
		if (snapshot_unsaved(&r->snap, ack_appended(a), ack_nappended(a)) &&
			(step || (r->dl.sink.counts && !delivery_transactional(&r->dl))) &&
			run_record(r, err, sizeof(err)) != 0)
		{
			log_error("%s", err);
			rc = -1;
			break;
		}
		if (cli_stop_requested)
		{
			rc = 1;
			break;
		}
	}
	snapshot_export_end(&r->snap);
	if (rc >= 0 && (run_drain(r, err, sizeof(err)) != 0 ||
					run_finish(r, err, sizeof(err)) != 0 ||
					run_send_status(r, err, sizeof(err)) != 0))
	{
		log_error("%s", err);
		rc = -1;
	}
	return rc;
}

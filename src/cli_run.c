/*
 * cli_run.c — `walcap run`: wires source → apply (decoder, relcache,
 * event) → delivery (sink, ack, offset), with the snapshot, heartbeats
 * and the WAL guard (health) beside them, and runs the loop.
 *
 * The loop drains every message libpq has buffered, appending events to
 * one output batch; the batch goes to the sink when it is large, and
 * whenever no more input is waiting, so a change on a quiet database
 * reaches the sink as soon as its commit arrives.  Status updates go on
 * the source's deadline (source.h), also while the sink is blocked
 * (delivery_drain returns to send them) or a query on another
 * connection waits (source_keep_alive).  A connection lost or gone
 * silent is replaced, and a slot found lost on reconnecting is handled
 * as at the start (run_resume.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "lsn.h"
#include "run.h"

volatile sig_atomic_t cli_stop_requested = 0;

/*
 * The flush position to report now: never below what the keep-alive
 * reported, never past what the offset store records (delivery_flush_peek).
 */
static uint64_t
flush_lsn(struct run *r)
{
	uint64_t	lsn;

	ack_note_confirmed(&r->dl.ack, source_confirmed(&r->src));
	lsn = delivery_flush_peek(&r->dl);
	ack_note_confirmed(&r->dl.ack, lsn);
	return lsn;
}

int
run_confirm(struct run *r, int reply, char *err, size_t errlen)
{
	return source_confirm(&r->src, flush_lsn(r), reply, err, errlen);
}

int
run_send_status(struct run *r, char *err, size_t errlen)
{
	if (run_record(r, err, errlen) != 0)
		return -2;
	if (!source_streaming(&r->src))
		return 0;
	if (source_report(&r->src, flush_lsn(r), err, errlen) != 0)
		return -1;
	log_debug("confirmed " LSN_FMT, LSN_ARGS(ack_confirmed(&r->dl.ack)));
	snapshot_confirmed(&r->snap, ack_confirmed(&r->dl.ack));
	return 0;
}

int
run_drain(struct run *r, char *err, size_t errlen)
{
	struct delivery_wait w = {0, 0};
	int			rc;

	while ((rc = delivery_drain(&r->dl, source_next_status_us(&r->src), &w, err, errlen)) == 1)
		if ((rc = run_send_status(r, err, errlen)) != 0)
			return rc;
	return rc;
}

int
run_finish(struct run *r, char *err, size_t errlen)
{
	int64_t		deadline = mono_us() + r->dl.sink.finish_ms * 1000;
	struct delivery_wait w = {0, 0};
	int			rc;

	/* exactly once: what is whole commits now; the rest is not delivered */
	if (delivery_transactional(&r->dl) && run_record(r, err, errlen) != 0)
		return -2;

	while ((rc = delivery_finish(&r->dl, source_next_status_us(&r->src), deadline,
								 &w, err, errlen)) == 1)
		if ((rc = run_send_status(r, err, errlen)) != 0)
			return rc;
	return rc;
}

/*
 * Between transactions, every heartbeat.interval.ms: a heartbeat record
 * (on Kafka, or with heartbeat.events) and the heartbeat's action; and
 * the WAL guard when due.
 */
static inline void
keep_healthy(struct run *r, int64_t now_us)
{
	if (health_heartbeat_due(&r->health, now_us, ack_in_txn(&r->dl.ack)))
	{
		if (r->dl.sink.routed || r->cfg->heartbeat_events)
		{
			event_heartbeat(&r->ew, &r->dl.batch, source_now_us() / 1000);
			/* an event to deliver, not a change: not counted */
			delivery_end_event(&r->dl);
			/* a unit of its own, which a Kafka transaction may end with */
			ack_close_unit(&r->dl.ack);
		}
		run_arm(r);
		health_heartbeat_action(&r->health);
	}
	if (health_wal_check_due(&r->health, now_us))
	{
		run_arm(r);
		health_wal_guard(&r->health, now_us);
	}
	run_metrics_tick(r, now_us);
}

/*
 * Wait for input, up to timeout_ms; also for a sink the loop drives
 * (HTTP) while it has events not yet delivered, whose answers must be
 * taken as they come (the loop's idle step does: delivery_sync).
 */
static int
wait_input(struct run *r, int timeout_ms, char *err, size_t errlen)
{
	const struct sink *k = &r->dl.sink;
	int			fd = k->driven && delivery_undelivered(&r->dl) > 0 ? sink_fd(k) : -1;

	run_arm(r);
	return source_wait_input(&r->src, timeout_ms, fd, k->poll_events, err, errlen);
}

/*
 * The next message of a streamed transaction read back from its spill
 * file, as if the server had sent it (apply_replaying); when it is over,
 * the server's next message.  A spill file that cannot be read ends the
 * session: the server streams the transaction again.
 */
static int
replay_read(struct run *r, struct source_msg *msg, char *err, size_t errlen)
{
	int			rc = apply_replay_next(&r->ap, &msg->data, &msg->len, &msg->wal_start,
									   err, errlen);

	if (rc < 0)
		return SOURCE_ERROR;
	if (rc == 0)
		return source_read(&r->src, msg, err, errlen);
	msg->kind = 'w';
	msg->wal_end = msg->wal_start;
	msg->reply = 0;
	return SOURCE_MSG;
}

/* Result of one streaming session. */
enum session_end
{
	SESSION_DONE,				/* endpos or stop request: exit 0 */
	SESSION_LOST,				/* connection problem: reconnect */
	SESSION_FAILED,				/* cannot continue: exit 1 */
};

/* A step's result (0, -1 connection, -2 sink) as the session's end. */
#define SESSION_OF(rc) ((rc) == -1 ? SESSION_LOST : SESSION_FAILED)

static enum session_end
stream(struct run *r, char *err, size_t errlen)
{
	struct source_msg msg;
	struct ack *a = &r->dl.ack;
	int			polled = 0;		/* read the socket since the last message */
	unsigned	since_clock = 0;	/* messages since the clocks were read */
	unsigned	since_refill = 0;	/* messages since the socket was read */
	size_t		bytes_since_refill = 0;
	int64_t		mono = mono_us();

	source_streaming_begin(&r->src, r->cfg);
	health_start(&r->health, mono);
	r->ap.now_ms = source_now_us() / 1000;
	/*
	 * With --endpos, ask for a keepalive at once: its WAL end is where
	 * the server has sent up to (the slot's position at first), so an
	 * end position already behind it stops the run now rather than at
	 * the server's next keepalive, up to wal_sender_timeout / 2 away.
	 */
	if (r->opts->endpos && run_confirm(r, 1, err, errlen) != 0)
		return SESSION_LOST;
	while (!r->ap.done && !cli_stop_requested)
	{
		int			rc;

		/* a blocking read holds the stream until its table is out */
		if (snapshot_holds_stream(&r->snap))
		{
			int			did;

			if ((did = rc = run_step_snapshot(r, err, errlen)) < 0 ||
				(rc = run_save_progress(r, err, errlen)) != 0)
				return SESSION_OF(rc);
			if (source_status_due(&r->src, mono_us()) &&
				(rc = run_send_status(r, err, errlen)) != 0)
				return SESSION_OF(rc);
			run_metrics_tick(r, mono_us());
			if (did == 0 && snapshot_holds_stream(&r->snap))
				usleep(10000);
			continue;
		}
		/* a streamed transaction read back comes before the server's next message */
		if (apply_replaying(&r->ap))
			rc = replay_read(r, &msg, err, errlen);
		else
			rc = source_read(&r->src, &msg, err, errlen);

		if (rc == SOURCE_MSG)
		{
			polled = 0;
			source_heard(&r->src);
			{
				/* the newest position received, for the metrics */
				uint64_t	pos = msg.kind == 'k' ? msg.wal_end : msg.wal_start;

				if (pos > r->met.received_lsn)
					r->met.received_lsn = pos;
			}
			since_refill++;
			bytes_since_refill += msg.len;
			/*
			 * Clocks cost as much as a small event: read them every few
			 * hundred messages, and whenever new input is read below.
			 */
			if (++since_clock >= 256)
			{
				since_clock = 0;
				mono = mono_us();
				r->ap.now_ms = source_now_us() / 1000;
			}
			if (msg.kind == 'k')
			{
				if (r->cfg->confirm_idle)
					ack_server_end(a, msg.wal_end);
				if (msg.reply)
					source_reply_requested(&r->src);
				if (r->opts->endpos && !ack_in_txn(a) && msg.wal_end >= r->opts->endpos)
					r->ap.done = 1;
				if (!ack_in_txn(a) && snapshot_wants_position(&r->snap))
				{
					snapshot_position(&r->snap, msg.wal_end, ack_nappended(a));
					if (snapshot_emitting(&r->snap) &&
						(rc = run_emit_snapshot(r, msg.wal_end, err, errlen)) != 0)
						return SESSION_OF(rc);
				}
			}
			else
			{
				if (apply_may_wait(msg.data, msg.len))
					run_arm(r);
				if ((rc = apply_message(&r->ap, msg.data, msg.len, msg.wal_start, err, errlen)) != 0)
					return rc == -2 ? SESSION_LOST : SESSION_FAILED;
				if (snapshot_emitting(&r->snap) &&
					(rc = run_emit_snapshot(r, ack_in_txn(a) ? msg.wal_start : ack_appended(a),
											err, errlen)) != 0)
					return SESSION_OF(rc);
				if (!ack_in_txn(a) && (rc = run_step_snapshot(r, err, errlen)) < 0)
					return SESSION_OF(rc);
			}
			if (batch_failed(&r->dl.batch))
			{
				snprintf(err, errlen, "out of memory building an event");
				return SESSION_FAILED;
			}
			/*
			 * A full batch goes to the sink now; if the sink cannot take
			 * it, wait for the sink rather than read on, so memory stays
			 * at one batch whatever the backlog.
			 */
			if (batch_bytes(&r->dl.batch) >= RUN_BATCH_BYTES && (rc = run_drain(r, err, errlen)) != 0)
				return SESSION_OF(rc);
			/* exactly once, a backlog streaming: commit between transactions, now and then */
			if (delivery_commit_due(&r->dl, mono) &&
				((rc = run_drain(r, err, errlen)) != 0 ||
				 (rc = run_record(r, err, errlen) != 0 ? -2 : 0) != 0))
				return SESSION_OF(rc);
			/* (the test first: this runs for every message) */
			if (snapshot_unsaved(&r->snap, ack_appended(a), ack_nappended(a)) &&
				(rc = run_save_progress(r, err, errlen)) != 0)
				return SESSION_OF(rc);
			if (source_status_due(&r->src, mono) &&
				(rc = run_send_status(r, err, errlen)) != 0)
				return SESSION_OF(rc);
			keep_healthy(r, mono);
			continue;
		}
		if (rc == SOURCE_ERROR || rc == SOURCE_END)
			return SESSION_LOST;

		/* Nothing buffered: take what the socket has, without waiting. */
		if (!polled)
		{
			polled = 1;
			rc = source_refill(&r->src, since_refill, bytes_since_refill, err, errlen);
			since_refill = 0;
			bytes_since_refill = 0;
			if (rc != 0)
				return SESSION_LOST;
			since_clock = 0;
			mono = mono_us();
			r->ap.now_ms = source_now_us() / 1000;
			continue;
		}
		polled = 0;

		/* Idle: everything appended goes to the sink now. */
		keep_healthy(r, mono_us());
		if ((rc = run_drain(r, err, errlen)) != 0 ||
			(rc = run_save_progress(r, err, errlen)) != 0)
			return SESSION_OF(rc);
		/* a sink the loop drives sends what it holds, and takes its answers */
		if (r->dl.sink.driven && delivery_sync(&r->dl, err, errlen) != 0)
			return SESSION_FAILED;
		/*
		 * Exactly once: nothing more waits, so what was written commits
		 * now — unless the last commit was less than
		 * transaction.boundary.interval.ms ago, when input comes in bursts:
		 * then at the end of that interval, if no input comes first.
		 */
		if (delivery_transactional(&r->dl) && mono_us() >= r->dl.next_commit_us &&
			run_record(r, err, errlen) != 0)
			return SESSION_FAILED;
		if ((rc = run_step_snapshot(r, err, errlen)) < 0)
			return SESSION_OF(rc);
		if (rc > 0)
			continue;
		/* a read-only window closes on the server's position: ask for it */
		if (snapshot_wants_position(&r->snap))
		{
			if (run_confirm(r, 1, err, errlen) != 0)
				return SESSION_LOST;
			if (wait_input(r, 10, err, errlen) < 0)
				return SESSION_LOST;
			continue;
		}
		if (source_status_due(&r->src, mono_us()) &&
			(rc = run_send_status(r, err, errlen)) != 0)
			return SESSION_OF(rc);
		{
			int64_t		until = run_metrics_next_us(r, health_next_us(&r->health,
																	  source_next_status_us(&r->src)));
			int64_t		wait;

			/* a chunk waits to be recorded (run_save_progress) */
			if (snapshot_unsaved(&r->snap, ack_appended(a), ack_nappended(a)) &&
				r->next_save_us < until)
				until = r->next_save_us;
			/* events wait to be committed (exactly once) */
			if (delivery_transactional(&r->dl) && ack_nwritten(a) > r->dl.recorded_events &&
				r->dl.next_commit_us < until)
				until = r->dl.next_commit_us;
			wait = (until - mono_us()) / 1000 + 1;

			if (wait_input(r, wait > 0 ? (int) wait : 0, err, errlen) < 0)
				return SESSION_LOST;
			/* what arrived during the wait is stamped with the time it came */
			since_clock = 0;
			mono = mono_us();
			r->ap.now_ms = source_now_us() / 1000;
		}
	}
	return SESSION_DONE;
}

/* After SESSION_DONE: deliver, confirm, end the session.  0 or -1 (logged). */
static int
stop(struct run *r)
{
	char		err[2048];
	int			rc = run_drain(r, err, sizeof(err));

	if (rc == 0)
		rc = run_finish(r, err, sizeof(err));
	if (rc == 0)
		rc = run_send_status(r, err, sizeof(err));
	if (rc != 0)
	{
		log_error("while stopping: %s", err);
		source_close(&r->src, 0);
		return -1;
	}
	source_close(&r->src, 1);
	log_info("stopped after %llu events in %llu transactions; confirmed " LSN_FMT,
			 (unsigned long long) r->ap.events, (unsigned long long) r->ap.txns,
			 LSN_ARGS(ack_confirmed(&r->dl.ack)));
	return 0;
}

int
cli_run(const struct config *c, const struct run_opts *o)
{
	struct run	r;
	char		err[2048];
	char		msg[1024];
	int			status = EXIT_RUNTIME;
	int64_t		attempts = 0;
	int64_t		backoff = c->backoff_initial_ms;
	int			rc;
	const char *error = NULL;	/* what ends the run, for the last report */

	memset(&r, 0, sizeof(r));
	r.cfg = c;
	r.opts = o;
	r.progress = o->progress || isatty(STDERR_FILENO);
	r.next_progress_us = mono_us() + RUN_PROGRESS_US;
	catalog_init(&r.cat, c);
	r.cat.on_wait = source_keep_alive;
	r.cat.wait_arg = &r.src;
	offset_store_init(&r.store, c, source_keep_alive, &r.src);
	delivery_init(&r.dl, c);
	r.dl.stop = &cli_stop_requested;
	r.dl.store = &r.store;
	apply_init(&r.ap, c, o->endpos, &r.cat, &r.ew, &r.snap, &r.dl);
	health_init(&r.health, c, source_keep_alive, &r.src);
	if ((status = run_metrics_open(&r)) != 0)
		goto out;
	status = EXIT_RUNTIME;
	if ((rc = run_start(&r, &status)) != 0)
		goto out;
	for (;;)
	{
		enum session_end end;

		if (source_start(&r.src, c, 0, err, sizeof(err)) != 0)
			end = SESSION_LOST;
		else
		{
			log_info("streaming from slot \"%s\" of database \"%s\", publication \"%s\", in %s",
					 c->slot_name, c->dbname, c->publication_name,
					 r.src.binary ? "binary" : "text");
			attempts = 0;
			backoff = c->backoff_initial_ms;
			apply_session(&r.ap, r.src.server_version, r.src.pub_via_root,
						  r.src.pub_all_tables, r.src.binary);
			r.met.connected = 1;
			run_metrics_now(&r);
			end = stream(&r, err, sizeof(err));
			r.met.connected = 0;
		}
		if (end == SESSION_DONE)
		{
			status = stop(&r) == 0 ? 0 : EXIT_RUNTIME;
			goto out;
		}
		source_streaming_end(&r.src);
		if (end == SESSION_FAILED)
		{
			log_error("%s", err);
			error = err;
			source_close(&r.src, 0);
			goto out;
		}

		/* SESSION_LOST: keep what we have, then connect again */
		source_close(&r.src, 0);
		if (r.ap.need_text)
		{
			/* binary.format=auto: from now on in text, at once */
			log_warning("%s; streaming again in text from the confirmed position (binary.format=auto)", err);
			r.src.text_only = 1;
			backoff = 1;
		}
		run_metrics_now(&r);
		if (run_prepare_reconnect(&r, msg, sizeof(msg)) != 0)
		{
			log_warning("replication connection lost: %s", err);
			log_error("%s", msg);
			error = msg;
			goto out;
		}
		if ((rc = run_reconnect(&r, r.ap.need_text ? NULL : err, &attempts, &backoff)) != 0)
		{
			status = rc > 0 ? 0 : EXIT_RUNTIME;
			goto out;
		}
	}

out:
	if (r.src.conn)
		source_close(&r.src, 0);
	if (status != 0 && error == NULL)
		error = "walcap run failed: its log (stderr) says why";
	run_metrics_close(&r, error);
	health_close(&r.health);
	delivery_free(&r.dl);
	offset_store_close(&r.store);
	snapshot_free(&r.snap);
	event_writer_free(&r.ew);
	apply_free(&r.ap);
	catalog_close(&r.cat);
	return status;
}

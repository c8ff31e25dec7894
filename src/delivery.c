/*
 * delivery.c — the output batch, the sink and the offset store; see
 * delivery.h.
 */
#include "delivery.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

void
delivery_init(struct delivery *d, const struct config *c)
{
	memset(d, 0, sizeof(*d));
	d->cfg = c;
	batch_init(&d->batch);
}

int
delivery_open_sink(struct delivery *d, uint64_t keep_size, char *err, size_t errlen)
{
	if (sink_open(&d->sink, d->cfg, keep_size, &d->sink_size, err, errlen) != 0)
		return -1;
	d->sink_open = 1;
	return 0;
}

int
delivery_open(struct delivery *d, uint64_t keep_size, char *err, size_t errlen)
{
	const struct config *c = d->cfg;

	if (!d->sink_open && delivery_open_sink(d, keep_size, err, errlen) != 0)
		return -1;
	if (c->sink == CONFIG_SINK_FILE && keep_size == UINT64_MAX)
	{
		/*
		 * The stored offset does not describe this file yet (a first start,
		 * or sink.file.path changed).  Record its size before the first
		 * event goes in, so that a crash before the first confirmation
		 * cuts what was written then instead of keeping it beside the
		 * copy PostgreSQL sends again.
		 */
		d->off.sink_size = d->sink_size;
		if (offset_store_save(d->store, &d->off, err, errlen) != 0)
			return -1;
	}
	d->appended_size = d->written_size = d->sink_size;
	ack_init(&d->ack, d->off.lsn);
	return 0;
}

void
delivery_free(struct delivery *d)
{
	if (d->sink_open)
		sink_close(&d->sink);
	d->sink_open = 0;
	free(d->snap_state);
	d->snap_state = NULL;
	batch_free(&d->batch);
}

int
delivery_write(struct delivery *d, char *err, size_t errlen)
{
	if (d->written.bytes < batch_bytes(&d->batch))
	{
		size_t		before = d->written.bytes;
		int			rc = sink_write(&d->sink, &d->batch, &d->written, err, errlen);

		d->sink_size += d->written.bytes - before;
		if (rc != 0)
		{
			if (d->met)
				d->met->sink_errors++;
			return -1;
		}
		if (d->written.bytes < batch_bytes(&d->batch))
			return 0;
	}
	if (d->met && d->batch.nrecs > 0)
	{
		d->met->batches++;
		d->met->batch_events += (int64_t) d->batch.nrecs;
		d->met->last_batch_size = (int64_t) d->batch.nrecs;
	}
	batch_reset(&d->batch);
	d->written.rec = d->written.bytes = 0;
	/* not sink_size: the batch may end inside a transaction */
	d->written_size = d->appended_size;
	ack_written(&d->ack);
	return 1;
}

int
delivery_sync(struct delivery *d, char *err, size_t errlen)
{
	if (sink_sync(&d->sink, err, errlen) != 0)
	{
		if (d->met)
			d->met->sink_errors++;
		return -1;
	}
	if (d->sink.counts)
		ack_delivered(&d->ack, d->sink.delivered);
	else
		ack_durable(&d->ack);
	return 0;
}

int
delivery_make_durable(struct delivery *d, char *err, size_t errlen)
{
	if (ack_unsynced(&d->ack) && delivery_sync(d, err, errlen) != 0)
		return -1;
	return 0;
}

/* Keep st as the snapshot state to record: 1 if it changed, 0 if not, -1 (err). */
static int
take_state(struct delivery *d, const char *st, char *err, size_t errlen)
{
	char	   *copy;

	if (st == NULL || strcmp(st, d->snap_state ? d->snap_state : "") == 0)
		return 0;
	if ((copy = strdup(st)) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(d->snap_state);
	d->snap_state = copy;
	return 1;
}

/* The offset moves on to lsn, which transaction t ends. */
static void
set_position(struct offset *o, uint64_t lsn, struct ack_txn t)
{
	o->lsn = lsn;
	o->txid = t.xid;
	o->ts_usec = t.commit_us;
}

/* o is stored: the offset as last saved (its snapshot state is d's), and the events it covers. */
static void
recorded(struct delivery *d, struct offset *o)
{
	o->snapshot = NULL;
	d->off = *o;
	d->recorded_events = ack_ndurable(&d->ack);
}

int
delivery_record(struct delivery *d, const char *st, char *err, size_t errlen)
{
	const struct ack *a = &d->ack;
	int			changed;
	struct offset o;

	if ((changed = take_state(d, st, err, errlen)) < 0)
		return -1;
	if (ack_durable_lsn(a) <= d->off.lsn && !changed)
		return 0;
	/*
	 * A store whose writes come back through the stream (a table of the
	 * source database) would otherwise record its own last write at every
	 * status update, forever.  Transactions without events need no record:
	 * the slot's confirmed position already skips them at a restart.
	 */
	if (offset_store_echoes(d->store) && !changed && ack_ndurable(a) == d->recorded_events)
		return 0;
	o = d->off;
	if (ack_durable_lsn(a) > o.lsn)
		set_position(&o, ack_durable_lsn(a), ack_durable_txn(a));
	/*
	 * A file sink has everything written durable now, snapshot rows
	 * delivered at an unchanged position too (an initial snapshot's
	 * tables, read-only and blocking chunks): its length goes with the
	 * state, or a restart would cut rows the state counts as delivered.
	 */
	if (!d->sink.counts)
		o.sink_size = d->written_size;
	o.snapshot = d->snap_state;
	if (offset_store_save(d->store, &o, err, errlen) != 0)
		return -1;
	recorded(d, &o);
	return 0;
}

int
delivery_commit(struct delivery *d, const char *st, char *err, size_t errlen)
{
	const struct config *c = d->cfg;
	const struct ack *a = &d->ack;
	struct offset o;
	struct buf	key;
	struct buf	value;
	int			changed,
				rc;

	if ((changed = take_state(d, st, err, errlen)) < 0)
		return -1;
	/* part of a batch handed over, or a transaction's first events: later */
	if (d->written.bytes > 0 || !ack_written_whole(a))
		return 0;
	if (!changed && ack_nwritten(a) == d->recorded_events && ack_written_lsn(a) <= d->off.lsn)
		return 0;
	d->next_commit_us = mono_us() + c->txn_interval_ms * 1000;
	o = d->off;
	if (ack_written_lsn(a) > o.lsn)
		set_position(&o, ack_written_lsn(a), ack_written_txn(a));
	o.snapshot = d->snap_state;
	buf_init(&key, 0);
	buf_init(&value, 0);
	offset_record_key(&key, c->name, c->topic_prefix);
	offset_record_value(&value, &o);
	rc = buf_failed(&key) || buf_failed(&value) ? errbuf_fail(err, errlen, "out of memory") :
		sink_commit(&d->sink, c->offset_topic, key.data, value.data, err, errlen);
	buf_free(&key);
	buf_free(&value);
	if (rc != 0 || delivery_sync(d, err, errlen) != 0)
	{
		if (d->met)
			d->met->sink_errors++;
		return -1;
	}
	recorded(d, &o);
	return 0;
}

int
delivery_drain(struct delivery *d, int64_t status_us, struct delivery_wait *w,
			   char *err, size_t errlen)
{
	int			resume = w->resume;

	w->resume = 0;
	for (;;)
	{
		int64_t		now = mono_us();
		int			wait_ms;

		/* back from the status update: wait for the sink first */
		if (!resume)
		{
			int			rc = delivery_write(d, err, errlen);

			if (rc != 0)
				return rc < 0 ? -2 : 0;
			now = mono_us();
			if (d->stop && *d->stop)
			{
				if (w->give_up == 0)
					w->give_up = now + 5000000;
				else if (now > w->give_up)
				{
					snprintf(err, errlen, "the sink accepted no more output within 5 s of the stop request");
					return -2;
				}
			}
			if (now >= status_us)
			{
				w->resume = 1;
				return 1;
			}
		}
		resume = 0;
		wait_ms = (int) ((status_us - now) / 1000) + 1;
		if (wait_ms > 1000)
			wait_ms = 1000;

		/*
		 * Wait for the sink only.  The replication socket is left alone:
		 * reading it now would only pile the server's messages up in
		 * memory; the server waits instead (backpressure), and the status
		 * updates keep it from timing out.
		 */
		{
			struct pollfd p = {sink_fd(&d->sink), d->sink.poll_events, 0};

			if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			{
				snprintf(err, errlen, "poll: %s", strerror(errno));
				return -2;
			}
		}
	}
}

int
delivery_finish(struct delivery *d, int64_t status_us, int64_t deadline_us,
				struct delivery_wait *w, char *err, size_t errlen)
{
	int			resume = w->resume;

	w->resume = 0;
	/* committed, or part of a transaction that cannot be: nothing to wait for */
	if (delivery_transactional(d))
	{
		if (delivery_undelivered(d) > 0)
			log_warning("%llu events of a PostgreSQL transaction not yet complete were not committed to Kafka; they are sent again after a restart",
						(unsigned long long) delivery_undelivered(d));
		return 0;
	}
	while (resume || delivery_undelivered(d) > 0)
	{
		/* back from the status update: the deadline is looked at next */
		if (!resume)
		{
			if (sink_wait(&d->sink, 100, err, errlen) != 0)
			{
				if (d->met)
					d->met->sink_errors++;
				return -2;
			}
			if (delivery_sync(d, err, errlen) != 0)
				return -2;
			if (mono_us() >= status_us)
			{
				w->resume = 1;
				return 1;
			}
		}
		resume = 0;
		if (mono_us() >= deadline_us && delivery_undelivered(d) > 0)
		{
			log_warning("%llu events were not delivered within %s (%lld ms); they are not confirmed and are sent again after a restart",
						(unsigned long long) delivery_undelivered(d),
						d->sink.finish_key, (long long) d->sink.finish_ms);
			break;
		}
	}
	return 0;
}

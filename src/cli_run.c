/*
 * cli_run.c — `walcap run`: wires source → decoder → relcache/convert →
 * event → sink → ack, and keeps the replication connection healthy.
 *
 * The loop drains every message libpq has buffered, appending events to
 * one output batch; the batch goes to the sink when it is large, and
 * whenever no more input is waiting, so a change on a quiet database
 * reaches the sink as soon as its commit arrives.  Status updates go on
 * a deadline, not per message: at least every status.update.interval.ms
 * (or half the server's wal_sender_timeout if that is shorter), at once
 * when the server asks, also while the sink is blocked or a query on
 * another connection waits.  A connection that stays silent for
 * connect.receive.timeout.ms, even when asked for a reply, is taken for
 * dead and replaced; a slot found lost on reconnecting is handled as at
 * the start (recover_slot).
 *
 * Resuming without duplicates: transactions whose commit is at or
 * before the position recorded as delivered (offset file, or what this
 * process already wrote before a reconnect) are skipped, and a
 * transaction cut by a lost connection skips the events it already
 * wrote.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ack.h"
#include "catalog.h"
#include "cli.h"
#include "clock.h"
#include "decoder.h"
#include "event.h"
#include "log.h"
#include "lsn.h"
#include "offset.h"
#include "partition.h"
#include "pgconn.h"
#include "relcache.h"
#include "sink.h"
#include "snapshot.h"
#include "source.h"

volatile sig_atomic_t cli_stop_requested = 0;

#define BATCH_BYTES (64 * 1024)
#define DRAINED_BYTES 8192
#define DRAINED_PAUSE_US 100
#define POLL_TABLES_US 5000000	/* how often to look for new published tables */
#define PROGRESS_US 2000000	/* how often a snapshot's progress is logged */
#define SAVE_MIN_US 100000		/* snapshot progress recorded at most this often */
#define SAVE_RETRY_US 10000		/* how often to look for Kafka's acknowledgement of a chunk */
#define HEARTBEAT_PREFIX "walcap_heartbeat"	/* heartbeat.logical.message's prefix */

struct run
{
	const struct config *cfg;
	const struct run_opts *opts;
	struct source src;
	struct decoder dec;
	struct relcache rels;
	struct catalog cat;
	/* a mapped partition's tuples in its root's column order (old, new) */
	struct decoder_column *remap[2];
	int			remap_cap;
	struct event_writer ew;
	struct snapshot snap;
	char	   *snap_state;		/* snapshot progress in the offset file */
	int			snap_only;		/* snapshot.mode=initial_only: stop when done */
	int64_t		snap_retry_us;	/* after a failed snapshot step, not before */
	int64_t		next_save_us;	/* snapshot progress is not recorded before */
	int			streaming;		/* START_REPLICATION done: status updates go out */
	int64_t		next_poll_us;	/* next look for tables added to the publication */
	int			progress;		/* log snapshot progress (a terminal, or --progress) */
	int64_t		next_progress_us;
	char		last_progress[512]; /* the line last logged */
	struct sink sink;
	struct ack ack;
	struct offset off;			/* what the offset file says now */
	struct buf	out;			/* the batch */
	size_t		out_written;	/* bytes of out the sink already took */
	struct buf	meta;			/* routing records of its events (Kafka) */
	size_t		meta_written;	/* bytes of meta the sink already took */
	uint64_t	appended_size;	/* sink size once the newest commit in the
								 * batch is written: the file length that
								 * goes with ack.appended */
	uint64_t	written_size;	/* the same for ack.written */

	struct event_txn txn;
	uint64_t	txn_final_lsn;
	long		txn_events;		/* events of the open transaction so far */
	int			skipping;		/* the open transaction was delivered before */
	uint64_t	skip_before;	/* skip transactions committed before this */
	uint64_t	resume_final_lsn;	/* a transaction cut by a reconnect ... */
	long		resume_skip;	/* ... and how many of its events were written */

	int64_t		now_ms;			/* wall clock, read once per input refill */
	int			done;			/* --endpos reached */
	int			reply_now;		/* the server asked for a status update */
	int64_t		interval_us;
	int64_t		next_status_us;
	int64_t		next_hb_us;		/* next heartbeat (heartbeat.interval.ms) */
	PGconn	   *aux_conn;		/* for the heartbeat's action and the WAL
								 * guard; owned */
	int			hb_failing;		/* the last action failed (logged once) */
	int64_t		quiet_us;		/* time waited on the socket with no input */
	int			pinged;			/* asked the server for a reply meanwhile */
	int64_t		tick_us;		/* keep_alive's last call */
	int64_t		next_wal_check_us;	/* next look at the WAL the slot retains */
	int			wal_over;		/* the last look found too much */
	uint64_t	events;			/* counters for the closing log line */
	uint64_t	txns;
};

/*
 * Give the sink as much of the batch as it takes without blocking.
 * Returns 1 when the whole batch is written, 0 if the sink is full, -1
 * on error.
 */
static int
write_batch(struct run *r, char *err, size_t errlen)
{
	ssize_t		n;

	if (r->out_written < r->out.len)
	{
		size_t		meta_used;

		/* meta stays unallocated for sinks that do not route */
		n = sink_write(&r->sink, r->out.data + r->out_written,
					   r->out.len - r->out_written,
					   r->meta.data ? r->meta.data + r->meta_written : NULL,
					   r->meta.len - r->meta_written, &meta_used, err, errlen);
		if (n < 0)
			return -1;
		r->out_written += (size_t) n;
		r->meta_written += meta_used;
		if (r->out_written < r->out.len)
			return 0;
	}
	buf_reset(&r->out);
	r->out_written = 0;
	buf_reset(&r->meta);
	r->meta_written = 0;
	/* not sink.size: the batch may end inside a transaction */
	r->written_size = r->appended_size;
	ack_written(&r->ack);
	return 1;
}

/*
 * Make the written events durable, or for a sink that confirms them one
 * by one, take what it has confirmed so far.
 */
static int
sync_sink(struct run *r, char *err, size_t errlen)
{
	if (sink_sync(&r->sink, err, errlen) != 0)
		return -1;
	if (r->sink.counts)
		ack_delivered(&r->ack, r->sink.delivered);
	else
		ack_durable(&r->ack);
	return 0;
}

/* Report the flush position now; with reply set, ask the server to answer at once. */
static int
confirm(struct run *r, int reply, char *err, size_t errlen)
{
	uint64_t	flush = ack_flush_lsn(&r->ack);

	return source_status(&r->src, flush, flush, reply, err, errlen);
}

/*
 * The replication connection has been silent for r->quiet_us: past half
 * of connect.receive.timeout.ms ask the server for a reply (it answers
 * even with wal_sender_timeout = 0), past all of it the connection counts
 * as dead: -1 with err set.  0 otherwise, and always when the timeout is 0.
 */
static int
check_silence(struct run *r, char *err, size_t errlen)
{
	int64_t		limit = r->cfg->receive_timeout_ms * 1000;

	if (limit <= 0)
		return 0;
	if (r->quiet_us >= limit)
	{
		snprintf(err, errlen, "no message from the server in %lld ms, not even an answer to a keepalive request (connect.receive.timeout.ms): the network path or the server went silent",
				 (long long) r->cfg->receive_timeout_ms);
		return -1;
	}
	if (r->quiet_us >= limit / 2 && !r->pinged)
	{
		if (confirm(r, 1, err, errlen) != 0)
			return -1;
		r->pinged = 1;
	}
	return 0;
}

/*
 * Make written events durable and record what is durable now in the
 * offset file: the position, and the snapshot's progress, whenever
 * either changed.  0, or -1 if the sink or the offset file failed (err).
 */
static int
record_durable(struct run *r, char *err, size_t errlen)
{
	const char *st;
	int			changed;
	struct offset o;

	if ((r->ack.written > r->ack.durable || r->ack.nwritten > r->ack.ndurable) &&
		sync_sink(r, err, errlen) != 0)
		return -1;
	st = snapshot_state_at(&r->snap, r->ack.durable, r->ack.ndurable);
	changed = st != NULL && strcmp(st, r->snap_state ? r->snap_state : "") != 0;
	if (changed)
	{
		char	   *copy = strdup(st);

		if (copy == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(r->snap_state);
		r->snap_state = copy;
	}
	if (r->ack.durable <= r->off.lsn && !changed)
		return 0;
	o = r->off;
	if (r->ack.durable > o.lsn)
		o.lsn = r->ack.durable;
	/*
	 * A file sink has everything written durable now, snapshot rows
	 * delivered at an unchanged position too (an initial snapshot's
	 * tables, read-only and blocking chunks): its length goes with the
	 * state, or a restart would cut rows the state counts as delivered.
	 */
	if (!r->sink.counts)
		o.sink_size = r->written_size;
	o.snapshot = r->snap_state;
	if (offset_save(r->cfg->offset_file, &o, err, errlen) != 0)
		return -1;
	o.snapshot = NULL;
	r->off = o;
	return 0;
}

/*
 * Make written events durable, record the position, tell the server.
 * Returns 0, -1 if the connection failed, -2 if the sink or the offset
 * file did (err set).
 */
static int
send_status(struct run *r, char *err, size_t errlen)
{
	if (record_durable(r, err, errlen) != 0)
		return -2;
	if (!r->streaming)
		return 0;
	if (confirm(r, 0, err, errlen) != 0)
		return -1;
	log_debug("confirmed " LSN_FMT, LSN_ARGS(r->ack.confirmed));
	snapshot_confirmed(&r->snap, r->ack.confirmed);
	r->reply_now = 0;
	r->next_status_us = mono_us() + r->interval_us;
	return 0;
}

/*
 * Called while a query on another connection waits (a snapshot chunk
 * held up by a lock, a heartbeat, a catalog lookup): a status update
 * when one is due, so that wal_sender_timeout cannot expire; and the
 * replication connection's silence counted as wait_input() counts it,
 * without reading it (whatever is waiting there is read afterwards):
 * when connect.receive.timeout.ms passes without the socket becoming
 * readable, even after a reply was asked for, the path is dead, and
 * the query is abandoned (1) so the loop can reconnect.
 */
static int
keep_alive(void *arg)
{
	struct run *r = arg;
	char		err[256];
	int64_t		now = mono_us();
	int64_t		step = now - r->tick_us;

	r->tick_us = now;
	if (!r->streaming)
		return 0;
	if (r->reply_now || now >= r->next_status_us)
	{
		if (confirm(r, 0, err, sizeof(err)) != 0)
			return 1;
		r->reply_now = 0;
		r->next_status_us = now + r->interval_us;
	}
	if (r->cfg->receive_timeout_ms > 0)
	{
		struct pollfd p = {PQsocket(r->src.conn), POLLIN, 0};

		if (poll(&p, 1, 0) != 0)
		{
			r->quiet_us = 0;	/* input (or an error) waits: not silent */
			r->pinged = 0;
			return 0;
		}
		/* calls come every 100 ms or so; a longer gap is another wait */
		r->quiet_us += step > 0 && step < 200000 ? step : 100000;
	}
	return check_silence(r, err, sizeof(err)) != 0;
}

/* A new snapshot state, whose queries keep the stream alive. */
static void
init_snapshot(struct run *r)
{
	snapshot_init(&r->snap, r->cfg, &r->ew, catalog_resolve, &r->cat);
	r->snap.on_wait = keep_alive;
	r->snap.wait_arg = r;
}

/*
 * Write the whole batch, waiting for the sink if it is full and sending
 * status updates meanwhile.  A stop request ends the wait after a grace
 * period: unwritten events are not confirmed, so nothing is lost.
 * Returns 0, -1 if the connection failed, -2 if the sink did.
 */
static int
drain_batch(struct run *r, char *err, size_t errlen)
{
	int64_t		give_up = 0;

	for (;;)
	{
		int			rc = write_batch(r, err, errlen);
		int64_t		now;
		int			wait_ms;

		if (rc != 0)
			return rc < 0 ? -2 : 0;
		now = mono_us();
		if (cli_stop_requested)
		{
			if (give_up == 0)
				give_up = now + 5000000;
			else if (now > give_up)
			{
				snprintf(err, errlen, "the sink accepted no more output within 5 s of the stop request");
				return -2;
			}
		}
		if (now >= r->next_status_us && (rc = send_status(r, err, errlen)) != 0)
			return rc;
		wait_ms = (int) ((r->next_status_us - now) / 1000) + 1;
		if (wait_ms > 1000)
			wait_ms = 1000;

		/*
		 * Wait for the sink only.  The replication socket is left alone:
		 * reading it now would only pile the server's messages up in
		 * memory; the server waits instead (backpressure), and the status
		 * updates above keep it from timing out.
		 */
		{
			struct pollfd p = {sink_fd(&r->sink), r->sink.poll_events, 0};

			if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			{
				snprintf(err, errlen, "poll: %s", strerror(errno));
				return -2;
			}
		}
	}
}

/*
 * Before stopping: wait up to sink.kafka.flush.timeout.ms for the events
 * handed to a counting sink to be delivered, keeping the replication
 * connection alive meanwhile.  What is not delivered by then is not
 * confirmed, and is sent again after a restart.  Returns as send_status.
 */
static int
finish_delivery(struct run *r, char *err, size_t errlen)
{
	int64_t		deadline = mono_us() + r->cfg->kafka_flush_ms * 1000;
	int			rc;

	while (r->sink.counts && r->ack.ndurable < r->ack.nwritten)
	{
		if (sink_wait(&r->sink, 100, err, errlen) != 0 || sync_sink(r, err, errlen) != 0)
			return -2;
		if (mono_us() >= r->next_status_us && (rc = send_status(r, err, errlen)) != 0)
			return rc;
		if (mono_us() >= deadline && r->ack.ndurable < r->ack.nwritten)
		{
			log_warning("%llu events were not delivered within sink.kafka.flush.timeout.ms (%lld ms); they are not confirmed and are sent again after a restart",
						(unsigned long long) (r->ack.nwritten - r->ack.ndurable),
						(long long) r->cfg->kafka_flush_ms);
			break;
		}
	}
	return 0;
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
 * stream's own events got meanwhile.  Returns 0, or as drain_batch.
 */
static int
save_progress(struct run *r, char *err, size_t errlen)
{
	int			rc;

	if (!snapshot_unsaved(&r->snap, r->ack.appended, r->ack.nappended) ||
		mono_us() < r->next_save_us)
		return 0;
	if (r->out.len > 0 && (rc = drain_batch(r, err, errlen)) != 0)
		return rc;
	if (r->sink.counts)
	{
		if (sync_sink(r, err, errlen) != 0)
			return -2;
		if (!snapshot_unsaved(&r->snap, r->ack.durable, r->ack.ndurable))
		{
			r->next_save_us = mono_us() + SAVE_RETRY_US;
			return 0;
		}
	}
	if (record_durable(r, err, errlen) != 0)
		return -2;
	r->next_save_us = mono_us() + SAVE_MIN_US;
	return 0;
}

/*
 * Remember the file length at the commit just appended: what the offset
 * file records with its LSN, so that a restart cuts exactly the events
 * after it (a batch may end in the middle of a transaction).
 */
static void
note_commit_size(struct run *r)
{
	r->appended_size = r->sink.size + (r->out.len - r->out_written);
}

static void
end_event(struct run *r)
{
	buf_putc(&r->out, '\n');
	ack_event(&r->ack);
	r->events++;
}

/* Whether this event of the open transaction was written before a reconnect. */
static int
already_written(struct run *r)
{
	if (r->skipping)
		return 1;
	if (r->txn_final_lsn == r->resume_final_lsn && r->txn_events < r->resume_skip)
	{
		r->txn_events++;
		return 1;
	}
	r->txn_events++;
	return 0;
}

/* The signal table carries commands for walcap, not data. */
static int
is_signal_table(const struct run *r, const struct relcache_rel *rel)
{
	return strcmp(rel->table, CONFIG_SIGNAL_TABLE) == 0 &&
		strcmp(rel->schema, r->cfg->signal_schema) == 0;
}

static int
handle_change(struct run *r, const struct decoder_msg *msg, uint64_t lsn,
			  char *err, size_t errlen)
{
	struct relcache_rel *rel = relcache_get(&r->rels, msg->u.change.relid);
	struct decoder_msg mapped;
	const struct decoder_msg *m = msg;

	if (rel == NULL)
	{
		snprintf(err, errlen, "a change of relation OID %u arrived before its Relation message",
				 msg->u.change.relid);
		return -1;
	}
	if (rel->colmap)
	{
		/* a partition whose columns are in another order than its root's */
		mapped = *msg;
		partition_remap_tuple(rel->colmap, rel->ncols, &mapped.u.change.old, r->remap[0]);
		partition_remap_tuple(rel->colmap, rel->ncols, &mapped.u.change.new, r->remap[1]);
		m = &mapped;
	}
	if (!rel->included)
	{
		if (!r->skipping && is_signal_table(r, rel))
			snapshot_signal_row(&r->snap, rel, m, lsn);
		return 0;
	}
	if (!r->skipping)
		snapshot_change(&r->snap, rel, m);
	if (already_written(r))
		return 0;
	if (event_change(&r->ew, &r->out, rel, m, &r->txn, lsn,
					 r->now_ms, err, errlen) != 0)
		return -1;
	end_event(r);
	return 0;
}

/*
 * Whether the partition rel, mapped to its root, stands for a truncate
 * of the root in the Truncate message m: once per root (its first
 * partition in the message), and only when the message truncates every
 * published partition of it, since that is when pgoutput from 13 on
 * (publish_via_partition_root) sends the root's truncate; a TRUNCATE of
 * some partitions only sends nothing there.  1 yes, 0 no, -1 with err.
 */
static int
truncates_root(struct run *r, const struct decoder_msg *m, int i,
			   const struct relcache_rel *rel, char *err, size_t errlen)
{
	int			rc;

	for (int j = 0; j < i; j++)
	{
		const struct relcache_rel *o = relcache_get(&r->rels, decoder_truncate_relid(m, j));

		if (o && o->root_relid == rel->root_relid)
			return 0;
	}
	rc = catalog_truncates_root(&r->cat, rel->root_relid, m, err, errlen);
	if (rc == 0)
		log_warning("a TRUNCATE of some partitions of \"%s\".\"%s\" produces no event, as PostgreSQL 13 and later send none with publish_via_partition_root: consumers keep those partitions' rows",
					rel->schema, rel->table);
	return rc;
}

static int
handle_truncate(struct run *r, const struct decoder_msg *m, uint64_t lsn,
				char *err, size_t errlen)
{
	for (int i = 0; i < m->u.truncate.nrels; i++)
	{
		uint32_t	relid = decoder_truncate_relid(m, i);
		struct relcache_rel *rel = relcache_get(&r->rels, relid);

		if (rel == NULL)
		{
			snprintf(err, errlen, "a truncate of relation OID %u arrived before its Relation message",
					 relid);
			return -1;
		}
		if (!rel->included)
			continue;
		if (rel->root_relid != rel->relid && !r->skipping)
		{
			int			rc = truncates_root(r, m, i, rel, err, errlen);

			if (rc < 0)
			{
				char		cause[512];

				snprintf(cause, sizeof(cause), "%.*s", (int) sizeof(cause) - 1, err);
				snprintf(err, errlen, "could not look up the partitions of \"%s\".\"%s\": %s",
						 rel->schema, rel->table, cause);
				return -2;
			}
			if (rc == 0)
				continue;
		}
		if (already_written(r))
			continue;
		event_truncate(&r->ew, &r->out, rel, &r->txn, lsn, r->now_ms);
		end_event(r);
	}
	return 0;
}

/*
 * A relation's Kafka message key: message.key.columns when a rule names
 * it, else the primary key, which only REPLICA IDENTITY DEFAULT sends as
 * the identity; and, for schemas, its NOT NULL columns.
 */
static void
choose_key(struct run *r, struct relcache_rel *rel)
{
	const struct config_key_rule *rule = config_key_columns(r->cfg, rel->schema, rel->table);
	char		err[512];

	if ((rel->replident != 'd' || r->cfg->key_schemas || r->cfg->value_schemas) &&
		catalog_columns(&r->cat, rel, err, sizeof(err)) != 0)
		log_warning("could not look up the primary key and NOT NULL columns of \"%s\".\"%s\" (its Kafka messages are keyed by the replica identity, its schema has every column optional): %s",
					rel->schema, rel->table, err);
	if (rule)
	{
		int			found = relcache_set_key(rel, rule->cols, rule->ncols);

		if (found == rule->ncols)
			return;
		if (found)
			log_warning("message.key.columns: \"%s\".\"%s\" lacks some of the columns its rule names; its key is the others",
						rel->schema, rel->table);
		else
			log_warning("message.key.columns: \"%s\".\"%s\" has none of the columns its rule names; its key is the primary key",
						rel->schema, rel->table);
	}
}

/* Room for a mapped partition's tuples of n columns (r->remap). */
static int
grow_remap(struct run *r, int n)
{
	if (n <= r->remap_cap)
		return 0;
	for (int k = 0; k < 2; k++)
	{
		struct decoder_column *p = realloc(r->remap[k], sizeof(*p) * (size_t) n);

		if (p == NULL)
			return -1;
		r->remap[k] = p;
	}
	r->remap_cap = n;
	return 0;
}

/*
 * Whether a Relation message may come under a partition's own name
 * although the events must carry its root's: always before 13 (no
 * publish_via_partition_root), and on 13 and 14 with that option, whose
 * pgoutput keeps what it worked out for a table before ATTACH PARTITION
 * made it a partition (its own name) until the walsender restarts
 * (fixed in 15): walcap maps such a table as it does before 13.  Only
 * for FOR ALL TABLES there, where the topmost root is what pgoutput
 * publishes every partition as; with FOR TABLE a partition listed
 * without its ancestors rightly comes under its own name, and one
 * attached under a listed root comes not at all (docs/events.md).
 */
static int
maps_partitions(const struct run *r)
{
	return r->src.server_version < PARTITION_VIAROOT_VERSION ||
		(r->src.server_version < 150000 && r->src.pub_via_root && r->src.pub_all_tables);
}

/*
 * Cache the relation of a Relation message in *out.  Where
 * maps_partitions() says so, a partition's entry is made its root's
 * (partition.h): the name, the column order, and the map that puts its
 * tuples in that order.
 * 0; -1 with err on a fatal error; -2 with err when the catalog could
 * not be read (the session is started again, and the Relation message
 * with it).
 */
static int
cache_relation(struct run *r, const struct decoder_msg *m, struct relcache_rel **out,
			   char *err, size_t errlen)
{
	struct partition_root root;
	int			rc = 0;

	if (maps_partitions(r))
		rc = catalog_partition_root(&r->cat, m->u.relation.relid, r->src.server_version,
									&root, err, errlen);
	if (rc < 0)
	{
		char		cause[512];

		snprintf(cause, sizeof(cause), "%.*s", (int) sizeof(cause) - 1, err);
		snprintf(err, errlen, "could not look up whether \"%s\".\"%s\" is a partition: %s",
				 m->u.relation.nspname, m->u.relation.relname, cause);
		return -2;
	}
	if (rc == 0)
		return (*out = relcache_update(&r->rels, m, err, errlen)) ? 0 : -1;

	*out = grow_remap(r, m->u.relation.ncols) == 0 ? partition_cache(&r->rels, &root, m, err, errlen) : NULL;
	if (*out == NULL && r->remap_cap < m->u.relation.ncols)
		snprintf(err, errlen, "out of memory");
	partition_root_free(&root);
	return *out ? 0 : -1;
}

/*
 * One pgoutput message at WAL position lsn.  0; -1 with err on a fatal
 * error; -2 with err when a catalog lookup failed: the session starts
 * again (nothing after the confirmed position is lost).
 */
static int
handle_xlog(struct run *r, const char *data, size_t len, uint64_t lsn,
			char *err, size_t errlen)
{
	struct decoder_msg m;
	struct relcache_rel *rel;
	int			rc;

	if (decoder_decode(&r->dec, data, len, &m, err, errlen) != 0)
		return -1;
	switch (m.type)
	{
		case DECODER_BEGIN:
			if (r->ack.in_txn)
			{
				snprintf(err, errlen, "Begin at " LSN_FMT " inside an open transaction", LSN_ARGS(lsn));
				return -1;
			}
			if (r->opts->endpos && m.u.begin.final_lsn > r->opts->endpos)
			{
				r->done = 1;
				return 0;
			}
			r->txn.xid = m.u.begin.xid;
			r->txn.commit_ms = event_pg_to_unix_ms(m.u.begin.commit_ts);
			r->txn_final_lsn = m.u.begin.final_lsn;
			r->txn_events = 0;
			r->skipping = m.u.begin.final_lsn < r->skip_before;
			if (!r->skipping)
				snapshot_begin(&r->snap, m.u.begin.xid);
			ack_begin(&r->ack);
			return 0;
		case DECODER_COMMIT:
			if (!r->ack.in_txn)
			{
				snprintf(err, errlen, "Commit at " LSN_FMT " without Begin", LSN_ARGS(lsn));
				return -1;
			}
			if (m.u.commit.commit_lsn != r->txn_final_lsn)
			{
				snprintf(err, errlen, "Commit at " LSN_FMT " does not match its Begin (" LSN_FMT ")",
						 LSN_ARGS(m.u.commit.commit_lsn), LSN_ARGS(r->txn_final_lsn));
				return -1;
			}
			if (r->skipping)
				r->ack.in_txn = 0;
			else
			{
				ack_commit(&r->ack, m.u.commit.end_lsn);
				note_commit_size(r);
				r->txns++;
				snapshot_position(&r->snap, m.u.commit.end_lsn, r->ack.nappended);
			}
			r->txn.last_commit_lsn = m.u.commit.commit_lsn;
			if (r->opts->endpos && m.u.commit.end_lsn >= r->opts->endpos)
				r->done = 1;
			return 0;
		case DECODER_RELATION:
			if ((rc = cache_relation(r, &m, &rel, err, errlen)) != 0)
				return rc;
			/* out of memory in the matcher (-1) errs toward capturing */
			rel->included = !is_signal_table(r, rel) &&
				config_table_included(r->cfg, rel->schema, rel->table) != 0;
			if (rel->included && (r->sink.routed || r->cfg->value_schemas))
				choose_key(r, rel);
			log_debug("relation %u \"%s\".\"%s\"%s: %d columns, %s",
					  rel->relid, rel->schema, rel->table,
					  rel->root_relid != rel->relid ? " (a partition of it)" : "", rel->ncols,
					  rel->included ? "captured" : "not captured");
			return 0;
		case DECODER_ORIGIN:
		case DECODER_TYPE:
			return 0;
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			return handle_change(r, &m, lsn, err, errlen);
		case DECODER_TRUNCATE:
			return handle_truncate(r, &m, lsn, err, errlen);
		case DECODER_MESSAGE:
			if (strcmp(m.u.message.prefix, HEARTBEAT_PREFIX) == 0)
			{
				/* walcap's own heartbeat (heartbeat.logical.message): a position, no event */
				if (!(m.u.message.flags & 1) && !r->ack.in_txn && m.u.message.lsn >= r->skip_before)
				{
					ack_commit(&r->ack, m.u.message.lsn + 1);
					note_commit_size(r);
				}
				return 0;
			}
			if (m.u.message.flags & 1)
			{
				if (already_written(r))
					return 0;
				event_message(&r->ew, &r->out, &m, &r->txn, r->now_ms);
			}
			else
			{
				if (m.u.message.lsn < r->skip_before)
					return 0;
				event_message(&r->ew, &r->out, &m, NULL, r->now_ms);
				end_event(r);
				/*
				 * A message outside a transaction stands for itself: it is
				 * delivered like a transaction ending just past it, so it
				 * is confirmed (and recorded in the offset file) only once
				 * durable, and skipped after a restart past it.
				 */
				if (!r->ack.in_txn)
				{
					ack_commit(&r->ack, m.u.message.lsn + 1);
					note_commit_size(r);
				}
				return 0;
			}
			end_event(r);
			return 0;
		default:
			snprintf(err, errlen, "the server sent a streamed-transaction message ('%c'), which walcap did not ask for",
					 m.type);
			return -1;
	}
}

/*
 * Every PROGRESS_US while a table is read: its progress, as one log
 * line, unless nothing changed (a paused snapshot says so once).
 */
static void
report_progress(struct run *r)
{
	char		line[sizeof(r->last_progress)];
	int64_t		now;

	if (!r->progress || (now = mono_us()) < r->next_progress_us)
		return;
	r->next_progress_us = now + PROGRESS_US;
	if (snapshot_progress(&r->snap, now, line, sizeof(line)) == 0 &&
		strcmp(line, r->last_progress) != 0)
	{
		log_info("%s", line);
		memcpy(r->last_progress, line, sizeof(line));
	}
}

/*
 * Write out the snapshot rows that are ready, a batch at a time.
 * Outside a transaction they are delivered at lsn (a commit's end or
 * the server's WAL end with nothing open), and the progress they make
 * is recorded there.  Returns 0, -1 connection lost, -2 sink failed.
 */
static int
emit_snapshot(struct run *r, uint64_t lsn, char *err, size_t errlen)
{
	int			rc;

	report_progress(r);
	while (snapshot_emitting(&r->snap))
	{
		long		n = snapshot_emit(&r->snap, &r->out, BATCH_BYTES, lsn, r->now_ms,
									  err, errlen);

		if (n < 0 || buf_failed(&r->out))
		{
			if (n >= 0)
				snprintf(err, errlen, "out of memory building a snapshot event");
			return -2;
		}
		for (long i = 0; i < n; i++)
			ack_event(&r->ack);
		r->events += (uint64_t) n;
		if (r->out.len >= BATCH_BYTES && (rc = drain_batch(r, err, errlen)) != 0)
			return rc;
	}
	if (!r->ack.in_txn)
	{
		ack_commit(&r->ack, lsn);
		note_commit_size(r);
		snapshot_position(&r->snap, lsn, r->ack.nappended);
	}
	if (r->snap_only && !snapshot_active(&r->snap))
		r->done = 1;
	return 0;
}

/*
 * Let the snapshot run its next SQL (start a table, read a chunk between
 * watermarks, fetch blocking rows), between transactions only.  A
 * failure is retried after a pause; the stream goes on meanwhile.
 * Returns 1 if it did something, 0 if not, -1/-2 as emit_snapshot.
 */
static int
step_snapshot(struct run *r, char *err, size_t errlen)
{
	int			rc;

	report_progress(r);
	if (!r->ack.in_txn && mono_us() >= r->next_poll_us)
	{
		r->next_poll_us = mono_us() + POLL_TABLES_US;
		if (snapshot_poll_tables(&r->snap, err, errlen) < 0)
			log_warning("could not look for tables added to the publication: %s", err);
	}
	if (!snapshot_active(&r->snap) || r->ack.in_txn || r->snap.phase != SNAP_IDLE ||
		mono_us() < r->snap_retry_us)
		return 0;
	/* the SQL below takes a few ms: nothing waits in the batch meanwhile */
	if (r->out.len > 0 && (rc = drain_batch(r, err, errlen)) != 0)
		return rc;
	rc = snapshot_step(&r->snap, r->ack.appended, r->ack.nappended, err, errlen);
	if (rc < 0)
	{
		log_warning("snapshot: %s; trying again in 5 s", err);
		r->snap_retry_us = mono_us() + 5000000;
		return 0;
	}
	if (snapshot_emitting(&r->snap) && (rc = emit_snapshot(r, r->ack.appended, err, errlen)) != 0)
		return rc;
	if (r->snap_only && !snapshot_active(&r->snap))
		r->done = 1;
	return rc > 0;
}

/* The ordinary connection for heartbeats and the WAL guard, (re)opened as needed. */
static PGconn *
aux_conn(struct run *r, char *err, size_t errlen)
{
	if (r->aux_conn && PQstatus(r->aux_conn) != CONNECTION_OK)
	{
		PQfinish(r->aux_conn);
		r->aux_conn = NULL;
	}
	if (r->aux_conn == NULL)
		r->aux_conn = pgconn_connect(r->cfg, 0, err, errlen);
	return r->aux_conn;
}

/*
 * Every wal.retained.check.interval.ms: how much WAL the slot holds on
 * the server.  Above wal.retained.warn.bytes, a WARNING each time, with
 * what holds it: walcap behind (its confirmed position lags too) or
 * something else, mostly a long-running transaction (only restart_lsn
 * lags).  A slot about to be invalidated (wal_status unreserved) is
 * always reported.  A failed look is logged at debug level only: the
 * guard must never stop the stream.
 */
static void
wal_guard(struct run *r, int64_t now_us)
{
	const struct config *c = r->cfg;
	const char *params[1] = {c->slot_name};
	char		err[512];
	PGconn	   *conn;
	PGresult   *res;
	int64_t		retained, lag;
	const char *wal_status;

	if (now_us < r->next_wal_check_us)
		return;
	r->next_wal_check_us = now_us + c->wal_check_ms * 1000;
	if ((conn = aux_conn(r, err, sizeof(err))) == NULL)
	{
		log_debug("WAL guard: %s", err);
		return;
	}
	res = pgconn_exec(conn,
					  PQserverVersion(conn) >= 130000 ?
					   "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
					   "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
					   "coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1" :
					   "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
					   "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
					   "'' FROM pg_replication_slots WHERE slot_name = $1",
					  1, params, keep_alive, r);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		PQgetisnull(res, 0, 0))
	{
		pgconn_result_error(conn, res, err, sizeof(err));
		log_debug("WAL guard: %s", PQresultStatus(res) == PGRES_TUPLES_OK ? "no such slot" : err);
		PQclear(res);
		return;
	}
	retained = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	lag = PQgetisnull(res, 0, 1) ? retained : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	wal_status = PQgetvalue(res, 0, 2);
	if (strcmp(wal_status, "unreserved") == 0)
		log_warning("replication slot \"%s\" has wal_status unreserved: it retains more WAL than max_slot_wal_keep_size and will be invalidated at the next checkpoint unless it catches up",
					c->slot_name);
	if (c->wal_warn_bytes > 0 && retained > c->wal_warn_bytes)
	{
		char		h1[32], h2[32], h3[32];

		cli_human_size(h1, sizeof(h1), retained);
		cli_human_size(h2, sizeof(h2), c->wal_warn_bytes);
		cli_human_size(h3, sizeof(h3), lag);
		log_warning("replication slot \"%s\" retains %s of WAL on the server, more than wal.retained.warn.bytes (%s); walcap's confirmed position is %s behind",
					c->slot_name, h1, h2, h3);
		if (lag * 2 < retained)
			log_hint("walcap keeps up, so something else holds the slot's restart_lsn back, most often a long-running transaction: look for an old xact_start in pg_stat_activity");
		else
			log_hint("walcap is behind: the sink is slow or blocked, or a large backlog is being read");
		r->wal_over = 1;
	}
	else if (r->wal_over)
	{
		log_info("replication slot \"%s\" retains less WAL than wal.retained.warn.bytes again", c->slot_name);
		r->wal_over = 0;
	}
	PQclear(res);
}

/*
 * What makes this database write WAL that the slot sees, so its position
 * moves while no captured table changes: heartbeat.action.query and/or a
 * logical-decoding message.  A failure is logged once, and walcap goes on.
 */
static void
heartbeat_action(struct run *r)
{
	const struct config *c = r->cfg;
	char		err[512];
	PGresult   *res = NULL;
	int			ok = 1;

	if (aux_conn(r, err, sizeof(err)) == NULL)
		ok = 0;
	if (ok && c->heartbeat_query)
	{
		res = pgconn_exec(r->aux_conn, c->heartbeat_query, 0, NULL, keep_alive, r);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(r->aux_conn, res, err, sizeof(err));
		PQclear(res);
	}
	if (ok && c->heartbeat_message)
	{
		res = pgconn_exec(r->aux_conn, "SELECT pg_logical_emit_message(true, '" HEARTBEAT_PREFIX "', now()::text)",
						  0, NULL, keep_alive, r);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(r->aux_conn, res, err, sizeof(err));
		PQclear(res);
	}
	if (!ok && !r->hb_failing)
	{
		log_warning("heartbeat: %s; walcap goes on, but while no captured table changes the slot may hold WAL back", err);
		if (c->heartbeat_query)
			log_hint("check heartbeat.action.query, and that %s may run it", c->user);
	}
	else if (ok && r->hb_failing)
		log_info("heartbeat: working again");
	r->hb_failing = !ok;
}

/*
 * Every heartbeat.interval.ms, between transactions: a heartbeat record
 * (on Kafka, or with heartbeat.events) and the heartbeat's action.
 */
static void
heartbeat(struct run *r, int64_t now_us)
{
	const struct config *c = r->cfg;

	if (c->heartbeat_ms == 0 || now_us < r->next_hb_us || r->ack.in_txn)
		return;
	r->next_hb_us = now_us + c->heartbeat_ms * 1000;
	if (r->sink.routed || c->heartbeat_events)
	{
		event_heartbeat(&r->ew, &r->out, source_now_us() / 1000);
		buf_putc(&r->out, '\n');
		ack_event(&r->ack);		/* an event to deliver, not a change: not in r->events */
	}
	if (c->heartbeat_query || c->heartbeat_message)
		heartbeat_action(r);
}

/*
 * Wait up to timeout_ms for input on the replication connection, adding
 * up the time that passes without any.  Past half of
 * connect.receive.timeout.ms walcap asks the server for a reply (it
 * answers even with wal_sender_timeout = 0); past all of it the
 * connection counts as dead: a network path that went silent, which TCP
 * alone may not notice for a long time.  Only waits count, so a blocked
 * sink or a long snapshot query is never taken for a dead server.
 * Returns as source_wait, and -1 with err set when that time is up.
 */
static int
wait_input(struct run *r, int timeout_ms, char *err, size_t errlen)
{
	int64_t		limit = r->cfg->receive_timeout_ms * 1000;
	int64_t		t0;
	int			rc;

	if (check_silence(r, err, errlen) != 0)
		return -1;
	if (limit > 0)
	{
		int64_t		left = ((r->pinged ? limit : limit / 2) - r->quiet_us) / 1000 + 1;

		if (timeout_ms > left)
			timeout_ms = (int) left;
	}
	t0 = mono_us();
	rc = source_wait(&r->src, timeout_ms, err, errlen);
	if (rc == 0)
		r->quiet_us += mono_us() - t0;
	else if (rc > 0)
	{
		r->quiet_us = 0;
		r->pinged = 0;
	}
	return rc;
}

/* Result of one streaming session. */
enum session_end
{
	SESSION_DONE,				/* endpos or stop request: exit 0 */
	SESSION_LOST,				/* connection problem: reconnect */
	SESSION_FAILED,				/* cannot continue: exit 1 */
};

static enum session_end
stream(struct run *r, char *err, size_t errlen)
{
	struct source_msg msg;
	int			polled = 0;		/* read the socket since the last message */
	unsigned	since_clock = 0;	/* messages since the clocks were read */
	unsigned	since_refill = 0;	/* messages since the socket was read */
	size_t		bytes_since_refill = 0;
	int64_t		mono = mono_us();

	r->next_status_us = mono + r->interval_us;
	if (r->next_hb_us == 0)
		r->next_hb_us = mono + r->cfg->heartbeat_ms * 1000;
	if (r->next_wal_check_us == 0)
		r->next_wal_check_us = mono + r->cfg->wal_check_ms * 1000;
	r->now_ms = source_now_us() / 1000;
	r->streaming = 1;
	r->quiet_us = 0;
	r->pinged = 0;
	/*
	 * With --endpos, ask for a keepalive at once: its WAL end is where
	 * the server has sent up to (the slot's position at first), so an
	 * end position already behind it stops the run now rather than at
	 * the server's next keepalive, up to wal_sender_timeout / 2 away.
	 */
	if (r->opts->endpos && confirm(r, 1, err, errlen) != 0)
		return SESSION_LOST;
	while (!r->done && !cli_stop_requested)
	{
		int			rc;

		/* a blocking read holds the stream until its table is out */
		if (snapshot_holds_stream(&r->snap))
		{
			int			did;

			if ((did = rc = step_snapshot(r, err, errlen)) < 0 ||
				(rc = save_progress(r, err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			if ((r->reply_now || mono_us() >= r->next_status_us) &&
				(rc = send_status(r, err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			if (did == 0 && snapshot_holds_stream(&r->snap))
				usleep(10000);
			continue;
		}
		rc = source_read(&r->src, &msg, err, errlen);

		if (rc == SOURCE_MSG)
		{
			polled = 0;
			r->quiet_us = 0;
			r->pinged = 0;
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
				r->now_ms = source_now_us() / 1000;
			}
			if (msg.kind == 'k')
			{
				if (r->cfg->confirm_idle)
					ack_server_end(&r->ack, msg.wal_end);
				if (msg.reply)
					r->reply_now = 1;
				if (r->opts->endpos && !r->ack.in_txn && msg.wal_end >= r->opts->endpos)
					r->done = 1;
				if (!r->ack.in_txn && snapshot_wants_position(&r->snap))
				{
					snapshot_position(&r->snap, msg.wal_end, r->ack.nappended);
					if (snapshot_emitting(&r->snap) &&
						(rc = emit_snapshot(r, msg.wal_end, err, errlen)) != 0)
						return rc == -1 ? SESSION_LOST : SESSION_FAILED;
				}
			}
			else if ((rc = handle_xlog(r, msg.data, msg.len, msg.wal_start, err, errlen)) != 0)
				return rc == -2 ? SESSION_LOST : SESSION_FAILED;
			else if (snapshot_emitting(&r->snap) &&
					 (rc = emit_snapshot(r, r->ack.in_txn ? msg.wal_start : r->ack.appended,
										 err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			else if (!r->ack.in_txn && (rc = step_snapshot(r, err, errlen)) < 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			if (buf_failed(&r->out))
			{
				snprintf(err, errlen, "out of memory building an event");
				return SESSION_FAILED;
			}
			/*
			 * A full batch goes to the sink now; if the sink cannot take
			 * it, wait for the sink rather than read on, so memory stays
			 * at one batch whatever the backlog.
			 */
			if (r->out.len >= BATCH_BYTES && (rc = drain_batch(r, err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			if ((rc = save_progress(r, err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			if ((r->reply_now || mono >= r->next_status_us) &&
				(rc = send_status(r, err, errlen)) != 0)
				return rc == -1 ? SESSION_LOST : SESSION_FAILED;
			heartbeat(r, mono);
			wal_guard(r, mono);
			continue;
		}
		if (rc == SOURCE_ERROR || rc == SOURCE_END)
			return SESSION_LOST;

		/*
		 * Nothing buffered: take what the socket has, without waiting.
		 * While a backlog streams in, the server sends one message per
		 * send(); when walcap is faster than the server, every read finds
		 * only the few messages sent since the last one and pays a wakeup
		 * and two syscalls for them.  So when the last read drained the
		 * socket (it brought less than a buffer's worth) after bringing
		 * something, pause a moment and let messages gather: at most
		 * DRAINED_PAUSE_US of delay, far less than the socket holds, so
		 * the server never waits for it.  When walcap is behind, reads
		 * come back full and it never pauses.  Over TLS a read brings one
		 * record however much waits, so the socket is asked too: without
		 * that, walcap paused after every message (15 times slower).
		 */
		if (!polled)
		{
			polled = 1;
			if (since_refill > 0 && bytes_since_refill < DRAINED_BYTES &&
				!source_input_waiting(&r->src))
			{
				struct timespec pause = {0, DRAINED_PAUSE_US * 1000};

				nanosleep(&pause, NULL);
			}
			since_refill = 0;
			bytes_since_refill = 0;
			if (PQconsumeInput(r->src.conn) == 0)
			{
				pgconn_error(r->src.conn, err, errlen);
				return SESSION_LOST;
			}
			since_clock = 0;
			mono = mono_us();
			r->now_ms = source_now_us() / 1000;
			continue;
		}
		polled = 0;

		/* Idle: everything appended goes to the sink now. */
		heartbeat(r, mono_us());
		wal_guard(r, mono_us());
		if ((rc = drain_batch(r, err, errlen)) != 0 ||
			(rc = save_progress(r, err, errlen)) != 0)
			return rc == -1 ? SESSION_LOST : SESSION_FAILED;
		if ((rc = step_snapshot(r, err, errlen)) < 0)
			return rc == -1 ? SESSION_LOST : SESSION_FAILED;
		if (rc > 0)
			continue;
		/* a read-only window closes on the server's position: ask for it */
		if (snapshot_wants_position(&r->snap))
		{
			if (confirm(r, 1, err, errlen) != 0)
				return SESSION_LOST;
			if (wait_input(r, 10, err, errlen) < 0)
				return SESSION_LOST;
			continue;
		}
		if ((r->reply_now || mono_us() >= r->next_status_us) &&
			(rc = send_status(r, err, errlen)) != 0)
			return rc == -1 ? SESSION_LOST : SESSION_FAILED;
		{
			int64_t		until = r->next_status_us;
			int64_t		wait;

			if (r->cfg->heartbeat_ms && r->next_hb_us < until)
				until = r->next_hb_us;
			if (r->next_wal_check_us < until)
				until = r->next_wal_check_us;
			/* a chunk waits to be recorded (save_progress) */
			if (snapshot_unsaved(&r->snap, r->ack.appended, r->ack.nappended) &&
				r->next_save_us < until)
				until = r->next_save_us;
			wait = (until - mono_us()) / 1000 + 1;

			if (wait_input(r, wait > 0 ? (int) wait : 0, err, errlen) < 0)
				return SESSION_LOST;
			/* what arrived during the wait is stamped with the time it came */
			since_clock = 0;
			mono = mono_us();
			r->now_ms = source_now_us() / 1000;
		}
	}
	return SESSION_DONE;
}

/*
 * Read the offset file and decide where delivery resumes; *fresh is set
 * when there is no usable offset (the initial snapshot's condition),
 * which includes one recorded at 0/0 before anything was delivered.
 * *keep_size is the file sink's length to cut back to, if recorded.
 */
static int
load_offset(struct run *r, const char *systemid, uint64_t *keep_size, int *fresh)
{
	const struct config *c = r->cfg;
	char		err[512];
	struct offset o;
	int			rc = offset_load(c->offset_file, &o, err, sizeof(err));

	*keep_size = UINT64_MAX;
	*fresh = 1;
	memset(&r->off, 0, sizeof(r->off));
	snprintf(r->off.systemid, sizeof(r->off.systemid), "%s", systemid);
	snprintf(r->off.dbname, sizeof(r->off.dbname), "%s", c->dbname);
	snprintf(r->off.slot, sizeof(r->off.slot), "%s", c->slot_name);
	if (c->sink == CONFIG_SINK_FILE)
		snprintf(r->off.sink_path, sizeof(r->off.sink_path), "%s", c->sink_file_path);
	if (rc < 0)
	{
		log_error("%s", err);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (strcmp(o.systemid, systemid) != 0 || strcmp(o.dbname, c->dbname) != 0 ||
		strcmp(o.slot, c->slot_name) != 0)
	{
		log_warning("offset file %s belongs to another server, database or slot (system %s, database \"%s\", slot \"%s\"); it is ignored and will be overwritten",
					c->offset_file, o.systemid, o.dbname, o.slot);
		offset_clear(&o);
		return 0;
	}
	if (c->sink == CONFIG_SINK_FILE && strcmp(o.sink_path, c->sink_file_path) == 0)
	{
		*keep_size = o.sink_size;
		r->off.sink_size = o.sink_size;
	}
	if (o.lsn == 0 && o.snapshot == NULL)
	{
		/* recorded at a start that was stopped before anything was delivered */
		offset_clear(&o);
		return 0;
	}
	*fresh = 0;
	if (o.snapshot)
	{
		if (snapshot_restore(&r->snap, o.snapshot, err, sizeof(err)) != 0)
		{
			log_error("offset file %s: %s", c->offset_file, err);
			log_hint("move the file away to start over from the slot's position");
			offset_clear(&o);
			return -1;
		}
		r->snap_state = o.snapshot;
		o.snapshot = NULL;
		if (snapshot_active(&r->snap))
			log_info("resuming the snapshot of %d table%s", r->snap.nitems,
					 r->snap.nitems == 1 ? "" : "s");
	}
	r->off.lsn = o.lsn;
	r->skip_before = o.lsn;
	log_info("resuming after " LSN_FMT " (offset file %s)", LSN_ARGS(o.lsn), c->offset_file);
	return 0;
}

/*
 * Before reconnecting: write out what was appended, and remember how
 * far the open transaction got so its resent events are not repeated.
 */
static int
prepare_reconnect(struct run *r, char *err, size_t errlen)
{
	int			rc = 0;
	int64_t		deadline = mono_us() + 5000000;

	while (r->out_written < r->out.len || r->out.len > 0)
	{
		rc = write_batch(r, err, errlen);
		if (rc != 0)
			break;
		if (mono_us() > deadline)
		{
			snprintf(err, errlen, "the sink accepted no output for 5 s");
			return -1;
		}
		usleep(10000);
	}
	if (rc < 0)
		return -1;
	if (r->ack.written > r->ack.durable && sync_sink(r, err, errlen) != 0)
		return -1;
	if (r->ack.in_txn)
	{
		r->resume_final_lsn = r->txn_final_lsn;
		r->resume_skip = r->skipping ? 0 : r->txn_events;
		r->ack.in_txn = 0;
	}
	if (r->ack.appended > r->skip_before)
		r->skip_before = r->ack.appended;
	r->dec.in_stream = 0;
	return 0;
}

static void
sleep_ms(int64_t ms)
{
	while (ms > 0 && !cli_stop_requested)
	{
		int64_t		step = ms > 100 ? 100 : ms;

		usleep((useconds_t) step * 1000);
		ms -= step;
	}
}

/*
 * The initial snapshot when walcap has just created the slot: COPY every
 * queued table in the slot's exported snapshot before streaming from
 * the slot's start, recording progress after each table.  Returns 0
 * when done, 1 when a stop was requested, -1 on failure (logged).
 */
static int
run_export(struct run *r, const char *snapname, uint64_t lsn)
{
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
		int			before = r->snap.nitems;
		long		n;

		r->now_ms = source_now_us() / 1000;
		report_progress(r);
		n = snapshot_export_next(&r->snap, &r->out, BATCH_BYTES, lsn, r->now_ms,
								 err, sizeof(err));
		if (n < 0)
		{
			log_error("initial snapshot failed: %s", err);
			rc = -1;
			break;
		}
		for (long i = 0; i < n; i++)
			ack_event(&r->ack);
		r->events += (uint64_t) n;
		if (r->snap.nitems != before)
		{
			/*
			 * A table is complete: it is delivered at the slot's start,
			 * and the file length recorded with it must include it, so
			 * noted before the batch is written.
			 */
			ack_commit(&r->ack, lsn);
			note_commit_size(r);
			snapshot_position(&r->snap, lsn, r->ack.nappended);
		}
		if ((r->snap.nitems != before || r->out.len >= BATCH_BYTES) &&
			drain_batch(r, err, sizeof(err)) != 0)
		{
			log_error("%s", err);
			rc = -1;
			break;
		}
		/* at a table's end; and for Kafka, once it has acknowledged it */
		if (snapshot_unsaved(&r->snap, r->ack.appended, r->ack.nappended) &&
			(r->snap.nitems != before || r->sink.counts) &&
			record_durable(r, err, sizeof(err)) != 0)
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
	if (rc >= 0 && (drain_batch(r, err, sizeof(err)) != 0 ||
					finish_delivery(r, err, sizeof(err)) != 0 ||
					send_status(r, err, sizeof(err)) != 0))
	{
		log_error("%s", err);
		rc = -1;
	}
	return rc;
}

/*
 * The slot is missing or invalidated, found so by source_open on the
 * first connection or on a reconnect.  Without an offset yet (fresh)
 * walcap creates it, as on a first start.  With one, the changes between
 * the last delivered position and a new slot are gone from the stream:
 * only snapshot.mode=when_needed goes on, recreating the slot and taking
 * a new snapshot of every table, with an ERROR that says what was
 * missed.  Never does walcap go on from a new slot silently.
 *
 * Before the exported snapshot starts, the offset file records the new
 * slot with every table queued, so a crash during the COPYs resumes
 * with an incremental snapshot instead of streaming on without one.
 * Returns 0 to stream, 1 to stop with exit 0, -1 to exit 1 (logged).
 */
static int
recover_slot(struct run *r, int fresh)
{
	const struct config *c = r->cfg;
	const char *what = r->src.slot_missing ? "does not exist" : "is invalidated (wal_status lost)";
	uint64_t	delivered = r->ack.durable > r->off.lsn ? r->ack.durable : r->off.lsn;
	uint64_t	consistent;
	char		snapname[128];
	char		err[1024];
	int			xrc;

	if (c->snapshot_mode != CONFIG_SNAPSHOT_WHEN_NEEDED && (!fresh || r->src.slot_lost))
	{
		if (fresh)
		{
			log_error("replication slot \"%s\" %s", c->slot_name, what);
			log_hint("either set snapshot.mode=when_needed, and walcap recreates it and takes an initial snapshot; "
					 "or drop it (SELECT pg_drop_replication_slot('%s');), and walcap creates it",
					 c->slot_name);
			return -1;
		}
		log_error("replication slot \"%s\" %s: the changes committed after " LSN_FMT ", the last position walcap delivered, can no longer be streamed",
				  c->slot_name, what, LSN_ARGS(delivered));
		log_hint("either set snapshot.mode=when_needed, and walcap recreates the slot and takes a new snapshot of every table; "
				 "or move the offset file %s away, and walcap starts over with a new slot and an initial snapshot",
				 c->offset_file);
		return -1;
	}
	if (!fresh)
	{
		/* whatever the old slot's snapshot and positions were, they are void */
		snapshot_free(&r->snap);
		init_snapshot(r);
		r->skip_before = 0;
		r->resume_final_lsn = 0;
		r->resume_skip = 0;
	}
	if (source_create_slot(&r->src, c, r->src.slot_lost, &consistent, snapname,
						   sizeof(snapname), err, sizeof(err)) != 0)
	{
		log_error_hint("", err);
		return -1;
	}
	if (fresh)
		log_info("created replication slot \"%s\" at " LSN_FMT, c->slot_name, LSN_ARGS(consistent));
	else
	{
		char		size[32];

		cli_human_size(size, sizeof(size),
					   (int64_t) (consistent > delivered ? consistent - delivered : 0));
		log_error("replication slot \"%s\" %s: the changes committed between " LSN_FMT " (the last position walcap delivered) and " LSN_FMT " (where the new slot starts), %s of WAL, were not streamed",
				  c->slot_name, what, LSN_ARGS(delivered), LSN_ARGS(consistent), size);
		log_error("walcap recreated the slot and takes a new snapshot of every table (snapshot.mode=when_needed): rows inserted or updated in that range come back as snapshot reads, rows deleted in it are missed");
	}
	r->off.lsn = 0;
	ack_restart(&r->ack, consistent);
	r->src.slot_missing = r->src.slot_lost = 0;
	if (c->snapshot_mode == CONFIG_SNAPSHOT_NO_DATA)
		return 0;
	if (snapshot_queue_all(&r->snap, err, sizeof(err)) != 0)
	{
		log_error("could not list the tables to snapshot: %s", err);
		return -1;
	}
	r->snap.dirty = 1;
	snapshot_position(&r->snap, consistent, r->ack.nappended);
	if (send_status(r, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		return -1;
	}
	xrc = run_export(r, snapname, consistent);
	if (xrc < 0)
		return -1;
	if (xrc > 0 || c->snapshot_mode == CONFIG_SNAPSHOT_INITIAL_ONLY)
	{
		log_info("stopped after the initial snapshot: %llu rows", (unsigned long long) r->events);
		return 1;
	}
	return 0;
}

/*
 * slot.failover=true: an existing slot that is not a failover slot is
 * made one before streaming starts (so the setup guide's slot, created
 * without it, is covered too).  A failure costs nothing but the
 * failover protection, so it is a warning, not a stop.
 */
static void
slot_failover(struct run *r)
{
	const struct config *c = r->cfg;
	char		err[512];

	switch (source_set_failover(&r->src, c, err, sizeof(err)))
	{
		case 1:
			log_info("replication slot \"%s\" is now a failover slot (slot.failover=true)", c->slot_name);
			break;
		case -1:
			log_warning("could not make replication slot \"%s\" a failover slot (slot.failover=true): %s",
						c->slot_name, err);
			log_hint("as the connector user on a replication connection: ALTER_REPLICATION_SLOT \"%s\" (FAILOVER true)",
					 c->slot_name);
			break;
	}
}

/*
 * After the replication connection was lost with the cause in err:
 * connect again, waiting connect.backoff.initial.ms, doubling up to
 * connect.backoff.max.ms, plus up to 20% jitter so that many walcaps do
 * not reconnect in step.  Each attempt is logged once, with the cause of
 * the failure before it.  A slot found missing or invalidated is handed
 * to recover_slot().  Returns 0 when connected, 1 when stopped by a
 * request, -1 to exit 1 (logged).
 */
static int
reconnect(struct run *r, const char *cause, int64_t *attempts, int64_t *backoff)
{
	const struct config *c = r->cfg;
	char		err[2048];
	int			fatal = 0;

	snprintf(err, sizeof(err), "%s", cause);
	for (;;)
	{
		int64_t		jitter = *backoff / 5 > 0 ? rand() % (*backoff / 5 + 1) : 0;
		const char *nl = strchr(err, '\n');

		if (cli_stop_requested)
			return 1;
		(*attempts)++;
		if (c->max_attempts > 0 && *attempts > c->max_attempts)
		{
			log_error("giving up after %lld reconnection attempts (connect.max.attempts); the last failure: %.*s",
					  (long long) c->max_attempts, nl ? (int) (nl - err) : (int) strlen(err), err);
			if (nl)
				log_hint("%s", nl + 1);
			return -1;
		}
		if (*attempts == 1)
			log_warning("replication connection lost: %.*s; reconnecting in %lld ms",
						nl ? (int) (nl - err) : (int) strlen(err), err,
						(long long) (*backoff + jitter));
		else
			log_warning("reconnection attempt %lld failed: %.*s; next attempt in %lld ms",
						(long long) (*attempts - 1), nl ? (int) (nl - err) : (int) strlen(err), err,
						(long long) (*backoff + jitter));
		sleep_ms(*backoff + jitter);
		*backoff = *backoff * 2 > c->backoff_max_ms ? c->backoff_max_ms : *backoff * 2;
		if (cli_stop_requested)
			return 1;
		if (source_open(&r->src, c, 1, &fatal, err, sizeof(err)) != 0)
		{
			source_close(&r->src, 0);
			if (fatal)
			{
				log_error_hint("reconnection failed for good: ", err);
				return -1;
			}
			continue;
		}
		if (strcmp(r->src.systemid, r->off.systemid) != 0)
		{
			log_error("after reconnecting, the server is a different system (%s, was %s); stopping so that no position is confused",
					  r->src.systemid, r->off.systemid);
			return -1;
		}
		r->ew.conv.legacy_floats = r->src.server_version < 120000;
		log_info("reconnected (attempt %lld)", (long long) *attempts);
		if (r->src.slot_missing || r->src.slot_lost)
			return recover_slot(r, 0);
		slot_failover(r);
		return 0;
	}
}

int
cli_run(const struct config *c, const struct run_opts *o)
{
	struct run	r;
	char		err[2048];
	char		msg[1024];
	int			fatal = 0;
	int			status = EXIT_RUNTIME;
	int			sink_open_ok = 0;
	int64_t		attempts = 0;
	int64_t		backoff = c->backoff_initial_ms;
	uint64_t	keep_size;
	int			fresh = 0;

	memset(&r, 0, sizeof(r));
	r.cfg = c;
	r.opts = o;
	r.progress = o->progress || isatty(STDERR_FILENO);
	r.next_progress_us = mono_us() + PROGRESS_US;
	decoder_init(&r.dec);
	catalog_init(&r.cat, c);
	r.cat.on_wait = keep_alive;
	r.cat.wait_arg = &r;
	relcache_init(&r.rels, catalog_resolve, &r.cat);
	buf_init(&r.out, 0);
	buf_init(&r.meta, 0);
	if (sink_check(c, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (event_writer_init(&r.ew, c, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		goto out;
	}
	init_snapshot(&r);

	if (source_open(&r.src, c, 1, &fatal, err, sizeof(err)) != 0)
	{
		log_error_hint("", err);
		goto out;
	}
	if (source_failover_unsupported(&r.src, c, msg, sizeof(msg)) != NULL)
	{
		log_warning("slot.failover=true, but %s: replication slot \"%s\" is an ordinary slot, which a failover to a standby does not keep",
					msg, c->slot_name);
		log_hint("connect to a primary running PostgreSQL 17 or later, or set slot.failover=false");
	}
	else
		slot_failover(&r);
	/* before 12 float texts are exact but long: see convert_opts */
	r.ew.conv.legacy_floats = r.src.server_version < 120000;
	if (load_offset(&r, r.src.systemid, &keep_size, &fresh) != 0)
		goto out;
	if (sink_open(&r.sink, c, keep_size, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		goto out;
	}
	sink_open_ok = 1;
	if (c->sink == CONFIG_SINK_FILE && keep_size == UINT64_MAX)
	{
		/*
		 * The offset file does not describe this file yet (a first start,
		 * or sink.file.path changed).  Record its size before the first
		 * event goes in, so that a crash before the first confirmation
		 * cuts what was written then instead of keeping it beside the
		 * copy PostgreSQL sends again.
		 */
		r.off.sink_size = r.sink.size;
		if (offset_save(c->offset_file, &r.off, err, sizeof(err)) != 0)
		{
			log_error("%s", err);
			goto out;
		}
	}
	if (r.sink.routed)
		event_writer_route(&r.ew, &r.meta);
	r.appended_size = r.written_size = r.sink.size;
	ack_init(&r.ack, r.off.lsn);
	if (r.src.slot_missing || r.src.slot_lost)
	{
		int			rc = recover_slot(&r, fresh);

		if (rc != 0)
		{
			status = rc > 0 ? 0 : EXIT_RUNTIME;
			goto out;
		}
		fresh = 0;
	}
	if (fresh && c->snapshot_mode != CONFIG_SNAPSHOT_NO_DATA)
	{
		if (snapshot_queue_all(&r.snap, err, sizeof(err)) != 0)
		{
			log_error("could not list the tables to snapshot: %s", err);
			goto out;
		}
		log_info("initial snapshot of %d table%s (incremental: the slot already exists)",
				 r.snap.nitems, r.snap.nitems == 1 ? "" : "s");
		r.snap.dirty = 1;
	}
	if (c->snapshot_mode == CONFIG_SNAPSHOT_INITIAL_ONLY)
	{
		r.snap_only = 1;
		if (!snapshot_active(&r.snap))
		{
			log_info("snapshot.mode=initial_only and nothing to snapshot: stopping");
			status = 0;
			goto out;
		}
	}
	for (;;)
	{
		enum session_end end;

		r.interval_us = c->status_interval_ms * 1000;
		if (r.src.sender_timeout_ms > 0 && r.src.sender_timeout_ms * 500 < r.interval_us)
			r.interval_us = r.src.sender_timeout_ms * 500;
		if (source_start(&r.src, c, 0, err, sizeof(err)) != 0)
			end = SESSION_LOST;
		else
		{
			log_info("streaming from slot \"%s\" of database \"%s\", publication \"%s\"",
					 c->slot_name, c->dbname, c->publication_name);
			attempts = 0;
			backoff = c->backoff_initial_ms;
			end = stream(&r, err, sizeof(err));
		}
		if (end != SESSION_DONE)
			r.streaming = 0;
		if (end == SESSION_DONE)
		{
			int			rc = drain_batch(&r, err, sizeof(err));

			if (rc == 0)
				rc = finish_delivery(&r, err, sizeof(err));
			if (rc == 0)
				rc = send_status(&r, err, sizeof(err));
			if (rc != 0)
			{
				log_error("while stopping: %s", err);
				source_close(&r.src, 0);
				goto out;
			}
			source_close(&r.src, 1);
			log_info("stopped after %llu events in %llu transactions; confirmed " LSN_FMT,
					 (unsigned long long) r.events, (unsigned long long) r.txns,
					 LSN_ARGS(r.ack.confirmed));
			status = 0;
			goto out;
		}
		if (end == SESSION_FAILED)
		{
			log_error("%s", err);
			source_close(&r.src, 0);
			goto out;
		}

		/* SESSION_LOST: keep what we have, then connect again */
		r.streaming = 0;
		source_close(&r.src, 0);
		if (prepare_reconnect(&r, msg, sizeof(msg)) != 0)
		{
			log_warning("replication connection lost: %s", err);
			log_error("%s", msg);
			goto out;
		}
		{
			int			rc = reconnect(&r, err, &attempts, &backoff);

			if (rc != 0)
			{
				status = rc > 0 ? 0 : EXIT_RUNTIME;
				goto out;
			}
		}
	}

out:
	if (r.src.conn)
		source_close(&r.src, 0);
	PQfinish(r.aux_conn);
	if (sink_open_ok)
		sink_close(&r.sink);
	snapshot_free(&r.snap);
	free(r.snap_state);
	event_writer_free(&r.ew);
	relcache_free(&r.rels);
	free(r.remap[0]);
	free(r.remap[1]);
	catalog_close(&r.cat);
	decoder_free(&r.dec);
	buf_free(&r.out);
	buf_free(&r.meta);
	return status;
}

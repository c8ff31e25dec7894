/*
 * apply.h — one pgoutput message at a time, turned into events: the
 * message decoded, a Relation cached (mapped to its partition root
 * where pgoutput does not, keyed for Kafka), Begin and Commit checked
 * and followed (txn.h), changes, truncates and logical messages
 * written to the delivery batch, snapshot watermarks and signals
 * passed to the snapshot.
 *
 * Owns the decoder, the relation cache, the partition remap buffers
 * and the transaction state; the catalog, event writer, snapshot and
 * delivery are the caller's, used, not owned.  What it needs of the
 * session's server comes as values (apply_session): apply never reads
 * the source that feeds it.
 */
#ifndef WALCAP_APPLY_H
#define WALCAP_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "config.h"
#include "decoder.h"
#include "delivery.h"
#include "event.h"
#include "metrics.h"
#include "relcache.h"
#include "snapshot.h"
#include "stream.h"
#include "txn.h"

struct apply
{
	const struct config *cfg;
	uint64_t	endpos;			/* --endpos, 0 = none */
	struct decoder dec;
	struct relcache rels;
	/* a mapped partition's tuples in its root's column order (old, new) */
	struct decoder_column *remap[2];
	int			remap_cap;
	struct txn	txn;
	/* the session's server, as source_open found it (apply_session) */
	int			server_version;
	int			pub_via_root;	/* the publication has publish_via_partition_root */
	int			pub_all_tables;	/* ... and is FOR ALL TABLES */
	int			binary;			/* the session streams in binary (binary.format) */
	/*
	 * Set with apply_message's -2 when a column cannot be read in binary
	 * (binary.format=auto): the caller streams the next sessions in text.
	 */
	int			need_text;
	/* transactions streamed before their commit (stream.h) */
	struct stream streams;
	struct catalog *cat;
	struct event_writer *ew;
	struct snapshot *snap;
	struct delivery *dl;
	int64_t		now_ms;			/* wall clock for the events, set by the caller */
	int			done;			/* --endpos reached */
	uint64_t	events;			/* counters for the closing log line */
	uint64_t	txns;
	/*
	 * The run's live figures (metrics.h), or NULL: events per op,
	 * committed transactions, the last event's time and lag.  Set by the
	 * caller after apply_init; not owned.
	 */
	struct metrics_snap *met;
};

void		apply_init(struct apply *a, const struct config *c, uint64_t endpos,
					   struct catalog *cat, struct event_writer *ew,
					   struct snapshot *snap, struct delivery *dl);

/*
 * A replication session starts: what its server is and what its
 * publication publishes (which decides whether walcap maps partitions
 * to their roots itself).  Call before the session's first message.
 */
static inline void
apply_session(struct apply *a, int server_version, int pub_via_root, int pub_all_tables,
			  int binary)
{
	a->binary = binary;
	a->need_text = 0;
	a->server_version = server_version;
	a->pub_via_root = pub_via_root;
	a->pub_all_tables = pub_all_tables;
}
void		apply_free(struct apply *a);

/*
 * Whether applying the message data may run a catalog query, which
 * waits (catalog.on_wait): a Relation, a Truncate, anything but a row
 * change and the transaction's bounds.  The caller then arms the
 * source's keep-alive with the flush position first (source_set_flush).
 */
static inline int
apply_may_wait(const char *data, size_t len)
{
	switch (len > 0 ? data[0] : 0)
	{
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
		case DECODER_BEGIN:
		case DECODER_COMMIT:
			return 0;
		default:
			return 1;
	}
}

/*
 * The message data (len bytes) at WAL position lsn.  0; -1 with err on a
 * fatal error; -2 with err when a catalog lookup failed, or (need_text)
 * a column cannot be read in binary: the session starts again (nothing
 * after the confirmed position is lost).
 */
int			apply_message(struct apply *a, const char *data, size_t len, uint64_t lsn,
						  char *err, size_t errlen);

/*
 * A streamed transaction committed and is being read back from its spill
 * file (stream.h): the caller takes its messages with apply_replay_next()
 * and hands each to apply_message() before reading the server again.
 */
static inline int
apply_replaying(const struct apply *a)
{
	return stream_replaying(&a->streams);
}

/* The next message read back: 1 (valid until the next call), 0 at its end, -1 with err. */
static inline int
apply_replay_next(struct apply *a, const char **data, size_t *len, uint64_t *lsn,
				  char *err, size_t errlen)
{
	return stream_replay_next(&a->streams, data, len, lsn, err, errlen);
}

/* Events appended by others (snapshot rows, counted in the closing line). */
static inline void
apply_count(struct apply *a, long n)
{
	a->events += (uint64_t) n;
}

/* The connection is lost: see txn_cut; a streamed transaction is over too. */
void		apply_cut(struct apply *a);

#endif

/*
 * batch.h — the events on their way to the sink: one record per Kafka
 * message-to-be (value, and when routed its topic, key and flags) over
 * a byte arena of values.
 *
 * Framing happens here and only here: batch_end() follows every value
 * with '\n' in the arena, so the values are a contiguous run of
 * newline-terminated events that a byte-stream sink (stdout, file)
 * writes as it stands, and a record's vlen leaves the newline out for a
 * sink that takes values one by one (Kafka).
 *
 * An event is written straight into the arena (batch_value() returns
 * it) and ended with batch_end(), which adds its record; the writer then
 * fills the record's routing fields (topics and keys go to meta, a second
 * arena, NUL-terminated) when it routes.  Records, values and meta are
 * kept across batch_reset(), so a batch in steady state allocates
 * nothing.  An allocation that fails marks the batch failed
 * (batch_failed), and later appends do nothing; the caller checks once
 * per message as it does for a buf.
 *
 * The last record of each transaction carries its commit mark
 * (batch_txn_begin, batch_commit): where a sink may end an atomic unit.
 *
 * Owned by whoever holds it (delivery.h holds the run's); batch_free()
 * releases everything.  A record pointer is valid until the next
 * batch_end() or batch_reset().
 */
#ifndef WALCAP_BATCH_H
#define WALCAP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* a tombstone (the key with a null value) follows the value */
#define BATCH_TOMBSTONE 1
/*
 * the record does not end its event: the delete half of an update that
 * changed the key, written as Debezium does on Kafka (a delete, its
 * tombstone with tombstones.on.delete, then the create)
 */
#define BATCH_CONTINUES 2
/*
 * the record's value is null (a Kafka tombstone of its own; vlen 0):
 * ExtractNewRecordState's delete.handling.mode=none.  Only a routed
 * sink is given such records.
 */
#define BATCH_NULL 4

struct batch_rec
{
	size_t		value;			/* offset of the value in data */
	size_t		vlen;			/* its length, without the '\n' after it */
	size_t		topic;			/* routed: offset of the topic in meta */
	size_t		key;			/* routed: offset of the key in meta */
	size_t		klen;			/* 0: a null key */
	unsigned	flags;			/* BATCH_* */
	uint64_t	commit;			/* the commit mark: the end LSN of the
								 * transaction this record is the last event
								 * of (a message outside a transaction is
								 * one); 0 if it is not a transaction's last */
};

struct batch
{
	struct buf	data;			/* the values, each followed by '\n' */
	struct buf	meta;			/* topics and keys of routed records */
	struct batch_rec *recs;
	size_t		nrecs;
	size_t		caprecs;
	size_t		start;			/* where the value being written began */
	size_t		txn_first;		/* the first record of the open transaction */
	int			failed;			/* the record array could not grow */
};

/* How far a sink took a batch: records, and bytes of data. */
struct batch_pos
{
	size_t		rec;
	size_t		bytes;
};

void		batch_init(struct batch *b);
void		batch_free(struct batch *b);

/* Empty the batch, keeping its memory for the next one. */
void		batch_reset(struct batch *b);

/* Grow the record array for one more; 0, or -1 and failed. */
int			batch_grow(struct batch *b);

static inline int
batch_failed(const struct batch *b)
{
	return b->failed || buf_failed(&b->data) || buf_failed(&b->meta);
}

/* Bytes of framed values: what a byte-stream sink writes. */
static inline size_t
batch_bytes(const struct batch *b)
{
	return b->data.len;
}

/* Start a value: the arena to write it into. */
static inline struct buf *
batch_value(struct batch *b)
{
	b->start = b->data.len;
	return &b->data;
}

/* Drop the value started by batch_value() and not ended: an event refused half-way. */
static inline void
batch_abandon(struct batch *b)
{
	buf_truncate(&b->data, b->start);
}

/*
 * End the value started by batch_value(): frame it and add its record
 * (no topic, a null key, no flags).  The record, or NULL if the batch
 * failed.
 */
static inline struct batch_rec *
batch_end(struct batch *b)
{
	struct batch_rec *r;

	if (b->nrecs == b->caprecs && batch_grow(b) != 0)
		return NULL;
	r = &b->recs[b->nrecs++];
	r->value = b->start;
	r->vlen = b->data.len - b->start;
	r->klen = 0;
	r->flags = 0;
	r->commit = 0;
	buf_putc(&b->data, '\n');
	return r;
}

/* A transaction (or a message outside one) starts: its records follow. */
static inline void
batch_txn_begin(struct batch *b)
{
	b->txn_first = b->nrecs;
}

/*
 * It committed at end_lsn: its last record in this batch, if it has
 * one, carries the commit mark.  Records of a transaction are
 * contiguous (snapshot rows go between transactions); one whose events
 * were filtered out, or went with an earlier batch, marks nothing here.
 */
static inline void
batch_commit(struct batch *b, uint64_t end_lsn)
{
	if (b->nrecs > b->txn_first && !b->failed)
		b->recs[b->nrecs - 1].commit = end_lsn;
	b->txn_first = b->nrecs;
}

/* Set r's topic (NUL-terminated in meta, as librdkafka takes it). */
static inline void
batch_topic(struct batch *b, struct batch_rec *r, const char *topic, size_t len)
{
	r->topic = b->meta.len;
	buf_append(&b->meta, topic, len);
	buf_putc(&b->meta, '\0');
}

/* Start r's key: the arena to write it into; end it with batch_key_end(). */
static inline struct buf *
batch_key(struct batch *b, struct batch_rec *r)
{
	r->key = b->meta.len;
	return &b->meta;
}

static inline void
batch_key_end(struct batch *b, struct batch_rec *r)
{
	r->klen = b->meta.len - r->key;
}

static inline const char *
batch_rec_value(const struct batch *b, const struct batch_rec *r)
{
	return b->data.data + r->value;
}

static inline const char *
batch_rec_topic(const struct batch *b, const struct batch_rec *r)
{
	return b->meta.data + r->topic;
}

static inline const char *
batch_rec_key(const struct batch *b, const struct batch_rec *r)
{
	return b->meta.data + r->key;
}

#endif

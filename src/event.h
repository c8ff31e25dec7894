/*
 * event.h — change events in Debezium's PostgreSQL value format (JSON
 * converter, schemas disabled), one JSON object per event without a
 * trailing newline.
 *
 *   {"before":…,"after":…,"source":{"version":…,"connector":"postgresql",
 *    "name":<topic.prefix>,"ts_ms":<commit ms>,"snapshot":"false",
 *    "db":…,"sequence":"[\"<last commit LSN>\",\"<LSN>\"]","schema":…,
 *    "table":…,"txId":…,"lsn":…,"xmin":null},"transaction":null,
 *    "op":"c|u|d|t","ts_ms":<ms when walcap wrote it>}
 *
 * Logical-decoding messages are {"op":"m","ts_ms":…,"source":…,
 * "transaction":null,"message":{"prefix","content"}}, Debezium's
 * MessageValue field order, content in binary.handling.mode's encoding
 * (base64 for bytes).  docs/events.md is the full contract.
 *
 * An unchanged TOAST value that pgoutput did not send ('u') is taken from
 * the old tuple of the same message when that carries it (REPLICA
 * IDENTITY FULL, or a replica identity key column); otherwise it is
 * unavailable.value.placeholder shaped like the column (toast.h).
 *
 * The writer keeps the parts of every event that depend only on the
 * configuration, built once at init.  It owns them; event_writer_free()
 * releases them.  Each event is appended to a caller-owned batch as one
 * record (batch.h frames it), two for a key change on Kafka; on a
 * conversion error the value is written as a string and a warning is
 * logged once per column, so an event is always produced.
 */
#ifndef WALCAP_EVENT_H
#define WALCAP_EVENT_H

#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "config.h"
#include "decoder.h"
#include "relcache.h"
#include "toast.h"

#define WALCAP_VERSION "0.1.0"

/* What the events of one transaction share. */
struct event_txn
{
	uint32_t	xid;
	int64_t		commit_ms;		/* commit time, Unix ms */
	uint64_t	last_commit_lsn;	/* commit LSN of the previous transaction, 0 if none */
	uint64_t	begin_lsn;		/* where its Begin message was */
};

/* A table's event count in the open transaction (provide.transaction.metadata). */
struct event_txn_table
{
	uint32_t	relid;
	size_t		name;			/* offset of "schema.table" in tm_names */
	int64_t		count;
};

struct event_writer
{
	struct buf	source_head;	/* "source":{"version":…,"name":…,"ts_ms": */
	struct buf	source_db;		/* ,"snapshot":"false","db":…,"sequence":" */
	struct toast toast;			/* unavailable.value.placeholder, every shape */
	struct convert_opts conv;

	/*
	 * The source block's per-transaction parts, built once per
	 * transaction rather than per event: up to the sequence's first LSN,
	 * and the txId.  cached is the transaction they were built for.
	 */
	struct buf	txn_head;
	struct buf	txn_id;
	struct event_txn cached;
	int			cache_valid;

	/*
	 * Kafka routing (event_writer_route): when routed, every record also
	 * gets its topic as Debezium names it (<topic.prefix>.<schema>.<table>,
	 * or <topic.prefix>.message for logical-decoding messages), sanitised;
	 * its key as JSON (none for a null key); BATCH_TOMBSTONE when a
	 * tombstone (same key, null value) follows the event.  An update that
	 * changes the key is written as Debezium does on Kafka: a delete
	 * record (BATCH_CONTINUES, and its tombstone with tombstones.on.delete)
	 * and a create record, which together are one event.  Not routed, no
	 * topic or key is built.
	 */
	int			routed;
	int			tombstones;		/* tombstones.on.delete */
	struct buf	prefix;			/* sanitised topic.prefix and "." */
	struct buf	hb_topic;		/* <topic.heartbeat.prefix>.<topic.prefix> */
	struct buf	hb_key;			/* {"serverName":<topic.prefix>} */

	/*
	 * With schemas (value/key.converter.schemas.enable) every value and
	 * key is {"schema":…,"payload":…}, as Kafka Connect's JSON converter
	 * writes it (schema.h); the schemas are cached in the relcache entry.
	 */
	int			value_schemas;
	int			key_schemas;
	char	   *schema_prefix;	/* topic.prefix, for schema names */

	/*
	 * Binary mode (binary.format): bin_scratch holds a value's text on its
	 * way to JSON (convert_binary.h).  binary_refused is set, and the
	 * event refused (-1), when a binary value could not be read: the
	 * caller streams the session again in text.
	 */
	struct buf	bin_scratch;
	int			binary_refused;

	/*
	 * provide.transaction.metadata (event_txmeta.c): a BEGIN record goes
	 * out with a transaction's first event (as one event with it), each
	 * change event carries the transaction block, and event_txn_end()
	 * writes the END record with the counts.  tm_block is the block of the
	 * event being written, when tm_cur is set.
	 */
	int			txn_metadata;
	int64_t		tm_order;		/* the current event's total_order ... */
	int64_t		tm_coll_order;	/* ... and data_collection_order */
	int			tm_open;		/* BEGIN counted for (tm_xid, tm_begin) */
	uint32_t	tm_xid;
	uint64_t	tm_begin;
	int64_t		tm_total;
	struct event_txn_table *tm_tables;
	int			tm_ntables;
	int			tm_captables;
	struct buf	tm_names;
	struct buf	tm_topic;		/* <topic.prefix>.transaction */
	struct buf	tm_block;
	int			tm_cur;

	/*
	 * transforms (transform.h): with unwrap (ExtractNewRecordState) a
	 * change or read event is its flat row (the row, __deleted, the added
	 * fields), a delete follows xf->del and a truncate is dropped; topics
	 * go through RegexRouter as they are built.  xf is the configuration's.
	 */
	const struct transforms *xf;
	int			unwrap;
	char	   *dbname;
	struct buf	msg_topic;		/* <topic.prefix>.message, routed */
	struct buf	flat_schema;	/* the added fields' schemas, with unwrap */
};

int		event_writer_init(struct event_writer *w, const struct config *c,
						  char *err, size_t errlen);
void	event_writer_free(struct event_writer *w);

/* Fill in (on) or leave out the records' Kafka routing (see struct event_writer). */
void	event_writer_route(struct event_writer *w, int on);

/*
 * Append name to b as a Kafka topic name part, as Debezium sanitises it:
 * every character but a-z, A-Z, 0-9, '.', '_' and '-' becomes '_'.
 */
void	event_topic_part(struct buf *b, const char *name);

/*
 * Append the event of an Insert, Update or Delete message m of relation
 * rel, at WAL position lsn.  Returns 0, 1 if the transforms leave no
 * record of it (nothing appended), or -1 with err set if the tuple does
 * not match the relation (a protocol error).
 */
int		event_change(struct event_writer *w, struct batch *b,
					 struct relcache_rel *rel, const struct decoder_msg *m,
					 const struct event_txn *txn, uint64_t lsn, int64_t now_ms,
					 char *err, size_t errlen);

/*
 * The change m was written before a reconnect and is not written again:
 * only its place in the transaction is counted (transaction metadata).
 */
void	event_change_written_before(struct event_writer *w, struct batch *b,
									struct relcache_rel *rel, const struct decoder_msg *m,
									const struct event_txn *txn, uint64_t lsn);

/*
 * Append the truncate event (op "t") of one relation: 0, or 1 if the
 * transforms drop it (nothing appended).
 */
int		event_truncate(struct event_writer *w, struct batch *b,
					   struct relcache_rel *rel, const struct event_txn *txn,
					   uint64_t lsn, int64_t now_ms);

/*
 * Append the event of a logical-decoding message; txn is NULL for a
 * non-transactional one.
 */
void	event_message(struct event_writer *w, struct batch *b,
					  const struct decoder_msg *m, const struct event_txn *txn,
					  int64_t now_ms);

/*
 * Append the event (op "r") of a row read by a snapshot: before null,
 * source.snapshot the given value ("incremental", "true", "first",
 * "first_in_data_collection", "last_in_data_collection", "last"),
 * source.ts_ms the read time, txId null, lsn the stream position the
 * row is delivered at.  The row's columns are rel's, all in text form.
 * Returns 0, or -1 with err set if the row does not match rel.
 */
int		event_read(struct event_writer *w, struct batch *b,
				   struct relcache_rel *rel, const struct decoder_tuple *row,
				   const char *snapshot, uint64_t lsn, int64_t now_ms,
				   char *err, size_t errlen);

/*
 * Append a heartbeat record as Debezium writes one, {"ts_ms":now_ms}; on
 * Kafka its topic is <topic.heartbeat.prefix>.<topic.prefix> and its key
 * {"serverName":<topic.prefix>}.
 */
void	event_heartbeat(struct event_writer *w, struct batch *b, int64_t now_ms);

/*
 * Transaction metadata (event_txmeta.c), with provide.transaction.metadata.
 * event_txn_note() is called by the change writers before each event of a
 * transaction: it writes the BEGIN record ahead of the transaction's first
 * one (returning 1 then) and fills tm_block; write is 0 for an event
 * written before a reconnect, which is only counted.  An event the
 * transforms drop still counts, as in Debezium, whose transforms run after
 * its transaction monitor.  event_txn_end() writes the END record
 * at the commit, when the transaction had events; it returns 1 if it wrote
 * one (an event of its own), 0 if none was due.
 */
int		event_txn_note(struct event_writer *w, struct batch *b, const struct relcache_rel *rel,
					   const struct event_txn *txn, uint64_t lsn, int write);
int		event_txn_end(struct event_writer *w, struct batch *b, const struct event_txn *txn,
					  uint64_t lsn, int write);
/* Whether an END record is due at the open transaction's commit. */
int		event_txn_pending(const struct event_writer *w, const struct event_txn *txn);
void	event_txmeta_init(struct event_writer *w, const struct config *c);
void	event_txmeta_free(struct event_writer *w);

/* PostgreSQL timestamps count µs from 2000-01-01; Unix ms from 1970. */
static inline int64_t
event_pg_to_unix_ms(int64_t pg_us)
{
	return pg_us / 1000 + INT64_C(946684800000);
}

#endif

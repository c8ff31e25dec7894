/*
 * event_txmeta.c — provide.transaction.metadata: the BEGIN and END
 * records and the transaction block of each change event; see event.h.
 *
 * As Debezium's PostgreSQL connector writes them (TransactionMonitor with
 * PostgresTransactionMonitor): the id is "<xid>:<LSN>", the LSN being
 * that of the message the record stands for (the Begin message for BEGIN,
 * the change for its block, the Commit message for END); the records go
 * to <topic.prefix>.transaction keyed by {"id":…}; END counts the
 * transaction's events and, per table ("schema.table", in the order
 * they first appeared), its events there.  Unlike Debezium, a transaction
 * that produced no event has neither BEGIN nor END (docs/events.md):
 * before PostgreSQL 15 pgoutput sends every transaction of the database,
 * most of them touching no captured table.
 */
#include "event_int.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "schema.h"

void
event_txmeta_init(struct event_writer *w, const struct config *c)
{
	w->txn_metadata = c->txn_metadata;
	w->tm_open = 0;
	w->tm_cur = 0;
	w->tm_tables = NULL;
	w->tm_ntables = 0;
	w->tm_captables = 0;
	buf_init(&w->tm_names, 0);
	buf_init(&w->tm_block, 0);
	buf_init(&w->tm_topic, 0);
	buf_append(&w->tm_topic, w->prefix.data, w->prefix.len);
	buf_lit(&w->tm_topic, "transaction");
}

void
event_txmeta_free(struct event_writer *w)
{
	free(w->tm_tables);
	w->tm_tables = NULL;
	buf_free(&w->tm_names);
	buf_free(&w->tm_block);
	buf_free(&w->tm_topic);
}

/* "<xid>:<lsn>" as a JSON string */
static void
put_id(struct buf *b, const struct event_txn *txn, uint64_t lsn)
{
	buf_putc(b, '"');
	json_uint64(b, txn->xid);
	buf_putc(b, ':');
	json_uint64(b, lsn);
	buf_putc(b, '"');
}

/* One BEGIN or END record; END carries the counts. */
static void
put_record(struct event_writer *w, struct batch *b, const struct event_txn *txn,
		   uint64_t lsn, int end, unsigned flags)
{
	struct buf *out = batch_value(b);
	struct batch_rec *r;

	event_open_schema(out, w->value_schemas, SCHEMA_TXN_VALUE);
	buf_puts(out, end ? "{\"status\":\"END\",\"id\":" : "{\"status\":\"BEGIN\",\"id\":");
	put_id(out, txn, lsn);
	if (end)
	{
		buf_lit(out, ",\"event_count\":");
		json_int64(out, w->tm_total);
		buf_lit(out, ",\"data_collections\":[");
		for (int i = 0; i < w->tm_ntables; i++)
		{
			buf_puts(out, i ? ",{\"data_collection\":" : "{\"data_collection\":");
			json_cstring(out, w->tm_names.data + w->tm_tables[i].name);
			buf_lit(out, ",\"event_count\":");
			json_int64(out, w->tm_tables[i].count);
			buf_putc(out, '}');
		}
		buf_putc(out, ']');
	}
	else
		buf_lit(out, ",\"event_count\":null,\"data_collections\":null");
	buf_lit(out, ",\"ts_ms\":");
	json_int64(out, txn->commit_ms);
	buf_putc(out, '}');
	event_close_schema(out, w->value_schemas);
	r = batch_end(b);
	if (r == NULL || !w->routed)
		return;
	r->flags = flags;
	batch_topic(b, r, w->tm_topic.data, w->tm_topic.len);
	out = batch_key(b, r);
	event_open_schema(out, w->key_schemas, SCHEMA_TXN_KEY);
	buf_lit(out, "{\"id\":");
	put_id(out, txn, lsn);
	buf_putc(out, '}');
	event_close_schema(out, w->key_schemas);
	batch_key_end(b, r);
}

/* The count of rel in the open transaction, added on its first event; NULL if out of memory. */
static struct event_txn_table *
table_of(struct event_writer *w, const struct relcache_rel *rel)
{
	struct event_txn_table *t;

	for (int i = w->tm_ntables - 1; i >= 0; i--)
		if (w->tm_tables[i].relid == rel->root_relid)
			return &w->tm_tables[i];
	if (w->tm_ntables == w->tm_captables)
	{
		int			cap = w->tm_captables ? 2 * w->tm_captables : 8;

		if ((t = realloc(w->tm_tables, sizeof(*t) * (size_t) cap)) == NULL)
			return NULL;
		w->tm_tables = t;
		w->tm_captables = cap;
	}
	t = &w->tm_tables[w->tm_ntables++];
	t->relid = rel->root_relid;
	t->name = w->tm_names.len;
	t->count = 0;
	buf_printf(&w->tm_names, "%s.%s", rel->schema, rel->table);
	buf_putc(&w->tm_names, '\0');
	return t;
}

int
event_txn_note(struct event_writer *w, struct batch *b, const struct relcache_rel *rel,
			   const struct event_txn *txn, uint64_t lsn, int write)
{
	struct event_txn_table *t;
	int			began = 0;

	w->tm_cur = 0;
	if (!w->txn_metadata || txn == NULL)
		return 0;
	if (!w->tm_open || w->tm_xid != txn->xid || w->tm_begin != txn->begin_lsn)
	{
		w->tm_open = 1;
		w->tm_xid = txn->xid;
		w->tm_begin = txn->begin_lsn;
		w->tm_total = 0;
		w->tm_ntables = 0;
		buf_reset(&w->tm_names);
		/* BEGIN and the first event are one event: counted and resumed together */
		if (write)
			put_record(w, b, txn, txn->begin_lsn, 0, BATCH_CONTINUES);
		began = write;
	}
	if ((t = table_of(w, rel)) == NULL)
	{
		b->failed = 1;
		return began;
	}
	w->tm_total++;
	t->count++;
	w->tm_order = w->tm_total;
	w->tm_coll_order = t->count;
	buf_reset(&w->tm_block);
	buf_lit(&w->tm_block, "{\"id\":");
	put_id(&w->tm_block, txn, lsn);
	buf_lit(&w->tm_block, ",\"total_order\":");
	json_int64(&w->tm_block, w->tm_total);
	buf_lit(&w->tm_block, ",\"data_collection_order\":");
	json_int64(&w->tm_block, t->count);
	buf_putc(&w->tm_block, '}');
	if (buf_failed(&w->tm_block) || buf_failed(&w->tm_names))
		b->failed = 1;
	w->tm_cur = write;
	return began;
}

int
event_txn_pending(const struct event_writer *w, const struct event_txn *txn)
{
	return w->txn_metadata && w->tm_open && w->tm_xid == txn->xid &&
		w->tm_begin == txn->begin_lsn;
}

int
event_txn_end(struct event_writer *w, struct batch *b, const struct event_txn *txn,
			  uint64_t lsn, int write)
{
	if (!event_txn_pending(w, txn))
		return 0;
	if (write)
		put_record(w, b, txn, lsn, 1, 0);
	w->tm_open = 0;
	return 1;
}

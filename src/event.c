/*
 * event.c — Debezium change events; see event.h.
 */
#include "event.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"

int
event_writer_init(struct event_writer *w, const struct config *c,
				  char *err, size_t errlen)
{
	buf_init(&w->source_head, 0);
	buf_init(&w->source_db, 0);
	buf_init(&w->placeholder, 0);
	buf_init(&w->txn_head, 0);
	buf_init(&w->txn_id, 0);
	w->cache_valid = 0;
	w->conv = c->conv;

	buf_lit(&w->source_head, "\"source\":{\"version\":\"" WALCAP_VERSION
			"\",\"connector\":\"postgresql\",\"name\":");
	json_cstring(&w->source_head, c->topic_prefix);
	buf_lit(&w->source_head, ",\"ts_ms\":");

	buf_lit(&w->source_db, ",\"db\":");
	json_cstring(&w->source_db, c->dbname);
	buf_lit(&w->source_db, ",\"sequence\":\"[");

	json_cstring(&w->placeholder, c->unavailable_placeholder);

	if (buf_failed(&w->source_head) || buf_failed(&w->source_db) ||
		buf_failed(&w->placeholder))
	{
		snprintf(err, errlen, "out of memory building event templates");
		event_writer_free(w);
		return -1;
	}
	return 0;
}

void
event_writer_free(struct event_writer *w)
{
	buf_free(&w->source_head);
	buf_free(&w->source_db);
	buf_free(&w->placeholder);
	buf_free(&w->txn_head);
	buf_free(&w->txn_id);
}

/* An LSN in decimal into tmp; returns its length. */
static size_t
format_lsn(char *tmp, size_t size, uint64_t lsn)
{
	char	   *p = tmp + size;

	do
	{
		*--p = (char) ('0' + lsn % 10);
		lsn /= 10;
	} while (lsn);
	memmove(tmp, p, (size_t) (tmp + size - p));
	return (size_t) (tmp + size - p);
}

/* An LSN inside the sequence string: \"<decimal>\", or null if none. */
static void
put_seq_lsn(struct buf *out, const char *lsn, size_t len)
{
	if (len == 0)
	{
		buf_lit(out, "null");
		return;
	}
	buf_lit(out, "\\\"");
	buf_append(out, lsn, len);
	buf_lit(out, "\\\"");
}

/*
 * Build the transaction's parts of the source block, unless they are
 * built already.  ts_ms is the commit time, or for a non-transactional
 * message (txn NULL) the time it was read.
 */
static void
cache_txn(struct event_writer *w, const struct event_txn *txn, int64_t now_ms)
{
	char		tmp[24];
	size_t		n = 0;

	if (txn && w->cache_valid && w->cached.xid == txn->xid &&
		w->cached.commit_ms == txn->commit_ms &&
		w->cached.last_commit_lsn == txn->last_commit_lsn)
		return;
	buf_reset(&w->txn_head);
	buf_append(&w->txn_head, w->source_head.data, w->source_head.len);
	json_int64(&w->txn_head, txn ? txn->commit_ms : now_ms);
	buf_lit(&w->txn_head, ",\"snapshot\":\"false\"");
	buf_append(&w->txn_head, w->source_db.data, w->source_db.len);
	if (txn && txn->last_commit_lsn)
		n = format_lsn(tmp, sizeof(tmp), txn->last_commit_lsn);
	put_seq_lsn(&w->txn_head, tmp, n);
	buf_putc(&w->txn_head, ',');
	buf_reset(&w->txn_id);
	buf_lit(&w->txn_id, ",\"txId\":");
	if (txn)
		json_uint64(&w->txn_id, txn->xid);
	else
		buf_lit(&w->txn_id, "null");
	buf_lit(&w->txn_id, ",\"lsn\":");
	if (txn)
		w->cached = *txn;
	w->cache_valid = txn != NULL;
}

/* The source block, and everything after it up to "op":. */
static void
put_source(struct event_writer *w, struct buf *out, const char *tail,
		   size_t tail_len, const struct event_txn *txn, uint64_t lsn,
		   int64_t now_ms)
{
	char		l[24];
	size_t		n = format_lsn(l, sizeof(l), lsn);

	cache_txn(w, txn, now_ms);
	buf_append(out, w->txn_head.data, w->txn_head.len);
	put_seq_lsn(out, l, n);
	buf_lit(out, "]\",");
	buf_append(out, tail, tail_len);
	buf_append(out, w->txn_id.data, w->txn_id.len);
	buf_append(out, l, n);
	buf_lit(out, ",\"xmin\":null},\"transaction\":null,\"op\":");
}

/*
 * A row as a JSON object.  With keys_only, only the replica identity key
 * columns are written (Debezium's before for REPLICA IDENTITY DEFAULT).
 */
static int
put_row(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
		const struct decoder_tuple *t, int keys_only, char *err, size_t errlen)
{
	int			first = 1;

	if (t->ncols != rel->ncols)
	{
		snprintf(err, errlen,
				 "a row of \"%s\".\"%s\" has %d columns, its Relation message %d",
				 rel->schema, rel->table, t->ncols, rel->ncols);
		return -1;
	}
	buf_putc(out, '{');
	for (int i = 0; i < t->ncols; i++)
	{
		const struct decoder_column *c = &t->cols[i];
		struct relcache_col *col = &rel->cols[i];

		if (keys_only && !(col->flags & 1))
			continue;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		buf_append(out, col->key, col->keylen);
		switch (c->kind)
		{
			case DECODER_COL_NULL:
				buf_lit(out, "null");
				break;
			case DECODER_COL_UNCHANGED:
				buf_append(out, w->placeholder.data, w->placeholder.len);
				break;
			case DECODER_COL_TEXT:
				if (convert_value(out, &col->conv, c->data, c->len, &w->conv) != 0)
				{
					if (!col->warned)
					{
						log_warning("a value of column \"%s\".\"%s\".\"%s\" (type OID %u) could not be converted and is written as a string",
									rel->schema, rel->table, col->name, col->typid);
						col->warned = 1;
					}
					json_string(out, c->data, c->len);
				}
				break;
			default:
				snprintf(err, errlen,
						 "column \"%s\" of \"%s\".\"%s\" arrived in binary format, which walcap did not ask for",
						 col->name, rel->schema, rel->table);
				return -1;
		}
	}
	buf_putc(out, '}');
	return 0;
}

int
event_change(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
			 const struct decoder_msg *m, const struct event_txn *txn,
			 uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	const char *op;

	buf_lit(out, "{\"before\":");
	if (m->u.change.old_kind)
	{
		if (put_row(w, out, rel, &m->u.change.old,
					m->u.change.old_kind == 'K', err, errlen) != 0)
			return -1;
	}
	else
		buf_lit(out, "null");

	buf_lit(out, ",\"after\":");
	if (m->type == DECODER_DELETE)
		buf_lit(out, "null");
	else if (put_row(w, out, rel, &m->u.change.new, 0, err, errlen) != 0)
		return -1;

	buf_putc(out, ',');
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	op = m->type == DECODER_INSERT ? "\"c\"" :
		m->type == DECODER_UPDATE ? "\"u\"" : "\"d\"";
	buf_append(out, op, 3);
	buf_lit(out, ",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	return 0;
}

void
event_truncate(struct event_writer *w, struct buf *out,
			   const struct relcache_rel *rel, const struct event_txn *txn,
			   uint64_t lsn, int64_t now_ms)
{
	buf_lit(out, "{\"before\":null,\"after\":null,");
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	buf_lit(out, "\"t\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
}

void
event_message(struct event_writer *w, struct buf *out,
			  const struct decoder_msg *m, const struct event_txn *txn,
			  int64_t now_ms)
{
	static const char tail[] = "\"schema\":\"\",\"table\":\"\"";

	buf_putc(out, '{');
	put_source(w, out, tail, sizeof(tail) - 1, txn, m->u.message.lsn, now_ms);
	buf_lit(out, "\"m\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_lit(out, ",\"message\":{\"prefix\":");
	json_cstring(out, m->u.message.prefix);
	buf_lit(out, ",\"content\":\"");
	json_base64(out, (const unsigned char *) m->u.message.content,
				m->u.message.len, 0);
	buf_lit(out, "\"}}");
}

int
event_read(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
		   const struct decoder_tuple *row, const char *snapshot, uint64_t lsn,
		   int64_t now_ms, char *err, size_t errlen)
{
	char		l[24];
	size_t		n = format_lsn(l, sizeof(l), lsn);

	buf_lit(out, "{\"before\":null,\"after\":");
	if (put_row(w, out, rel, row, 0, err, errlen) != 0)
		return -1;
	buf_putc(out, ',');
	buf_append(out, w->source_head.data, w->source_head.len);
	json_int64(out, now_ms);
	buf_lit(out, ",\"snapshot\":\"");
	buf_puts(out, snapshot);
	buf_putc(out, '"');
	buf_append(out, w->source_db.data, w->source_db.len);
	put_seq_lsn(out, NULL, 0);
	buf_putc(out, ',');
	put_seq_lsn(out, l, n);
	buf_lit(out, "]\",");
	buf_append(out, rel->source_tail, rel->source_tail_len);
	buf_lit(out, ",\"txId\":null,\"lsn\":");
	buf_append(out, l, n);
	buf_lit(out, ",\"xmin\":null},\"transaction\":null,\"op\":\"r\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	return 0;
}

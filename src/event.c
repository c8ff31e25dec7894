/*
 * event.c — Debezium change events; see event.h.
 */
#include "event_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "convert_binary.h"
#include "json.h"
#include "log.h"
#include "schema.h"

int
event_writer_init(struct event_writer *w, const struct config *c,
				  char *err, size_t errlen)
{
	int			toast_failed;

	buf_init(&w->source_head, 0);
	buf_init(&w->source_db, 0);
	buf_init(&w->txn_head, 0);
	buf_init(&w->txn_id, 0);
	buf_init(&w->prefix, 0);
	buf_init(&w->bin_scratch, 0);
	w->cache_valid = 0;
	w->conv = c->conv;
	w->routed = 0;
	w->tombstones = c->tombstones;
	w->value_schemas = c->value_schemas;
	w->key_schemas = c->key_schemas;
	w->schema_prefix = strdup(c->topic_prefix);
	event_topic_part(&w->prefix, c->topic_prefix);
	buf_putc(&w->prefix, '.');
	buf_init(&w->hb_topic, 0);
	buf_init(&w->hb_key, 0);
	event_topic_part(&w->hb_topic, c->heartbeat_prefix ? c->heartbeat_prefix : "__debezium-heartbeat");
	buf_putc(&w->hb_topic, '.');
	event_topic_part(&w->hb_topic, c->topic_prefix);
	event_open_schema(&w->hb_key, c->key_schemas, SCHEMA_HEARTBEAT_KEY);
	buf_lit(&w->hb_key, "{\"serverName\":");
	json_cstring(&w->hb_key, c->topic_prefix);
	buf_putc(&w->hb_key, '}');
	event_close_schema(&w->hb_key, c->key_schemas);

	buf_lit(&w->source_head, "\"source\":{\"version\":\"" WALCAP_VERSION
			"\",\"connector\":\"postgresql\",\"name\":");
	json_cstring(&w->source_head, c->topic_prefix);
	buf_lit(&w->source_head, ",\"ts_ms\":");

	buf_lit(&w->source_db, ",\"db\":");
	json_cstring(&w->source_db, c->dbname);
	buf_lit(&w->source_db, ",\"sequence\":\"[");

	toast_failed = toast_init(&w->toast, c->unavailable_placeholder) != 0;
	event_txmeta_init(w, c);
	if (event_flat_init(w, c) != 0)
		toast_failed = 1;

	if (toast_failed || buf_failed(&w->source_head) || buf_failed(&w->source_db) ||
		buf_failed(&w->prefix) ||
		buf_failed(&w->hb_topic) || buf_failed(&w->hb_key) || buf_failed(&w->tm_topic) ||
		w->schema_prefix == NULL)
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
	toast_free(&w->toast);
	buf_free(&w->txn_head);
	buf_free(&w->txn_id);
	buf_free(&w->prefix);
	buf_free(&w->bin_scratch);
	buf_free(&w->hb_topic);
	buf_free(&w->hb_key);
	free(w->schema_prefix);
	w->schema_prefix = NULL;
	event_txmeta_free(w);
	event_flat_free(w);
}

void
event_writer_route(struct event_writer *w, int on)
{
	w->routed = on;
}

void
event_topic_part(struct buf *b, const char *name)
{
	for (const char *p = name; *p; p++)
	{
		char		ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			ch = '_';
		buf_putc(b, ch);
	}
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

/* The source block and the (null) transaction block. */
static void
put_source_block(struct event_writer *w, struct buf *out, const char *tail,
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
	if (w->tm_cur)
	{
		buf_lit(out, ",\"xmin\":null},\"transaction\":");
		buf_append(out, w->tm_block.data, w->tm_block.len);
		w->tm_cur = 0;
	}
	else
		buf_lit(out, ",\"xmin\":null},\"transaction\":null");
}

/* The source block, and everything after it up to "op":. */
static void
put_source(struct event_writer *w, struct buf *out, const char *tail,
		   size_t tail_len, const struct event_txn *txn, uint64_t lsn,
		   int64_t now_ms)
{
	put_source_block(w, out, tail, tail_len, txn, lsn, now_ms);
	buf_lit(out, ",\"op\":");
}

/*
 * A binary-mode value (convert_binary.h).  One walcap cannot read sets
 * binary_refused and fails the event: the session then streams again
 * in text, from the confirmed position.
 */
static int
put_binary(struct event_writer *w, struct buf *out, const struct relcache_rel *rel,
		   struct relcache_col *col, const struct decoder_column *c,
		   char *err, size_t errlen)
{
	int			rc = convert_binary_value(out, &w->bin_scratch, &col->conv,
										  c->data, c->len, &w->conv);

	if (rc < 0)
	{
		w->binary_refused = 1;
		snprintf(err, errlen, "a binary value of column \"%s\".\"%s\".\"%s\" (type OID %u) could not be read",
				 rel->schema, rel->table, col->name, col->typid);
		return -1;
	}
	if (rc > 0 && !col->warned)
	{
		log_warning("a value of column \"%s\".\"%s\".\"%s\" (type OID %u) could not be converted and is written as a string",
					rel->schema, rel->table, col->name, col->typid);
		col->warned = 1;
	}
	return 0;
}

/*
 * A row as a JSON object.  With a mask, only the columns whose flags
 * have one of its bits: 1 the replica identity key columns (Debezium's
 * before for REPLICA IDENTITY DEFAULT), rel->keyflag the message key's.
 *
 * old is the old tuple of the same message (NULL if none): an unchanged
 * TOAST value ('u') that it carries is written from it, as Debezium does
 * (PostgresChangeRecordEmitter's cachedOldToastedValues).  PostgreSQL
 * writes the old row of REPLICA IDENTITY FULL with every TOAST value
 * inline (ExtractReplicaIdentity flattens it), and the old key when an
 * unchanged key column is stored out of line, so only what is in no part
 * of the message becomes the placeholder.
 */
int
event_put_row(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
		const struct decoder_tuple *t, int mask, const struct decoder_tuple *old,
		char *err, size_t errlen)
{
	int			first = 1;
	struct decoder_column cut;

	if (t->ncols != rel->ncols)
	{
		snprintf(err, errlen,
				 "a row of \"%s\".\"%s\" has %d columns, its Relation message %d",
				 rel->schema, rel->table, t->ncols, rel->ncols);
		return -1;
	}
	if (old && old->ncols != t->ncols)
		old = NULL;
	buf_putc(out, '{');
	for (int i = 0; i < t->ncols; i++)
	{
		const struct decoder_column *c = &t->cols[i];
		struct relcache_col *col = &rel->cols[i];

		if ((mask && !(col->flags & mask)) || col->excluded)
			continue;
		if (c->kind == DECODER_COL_UNCHANGED && old &&
			(old->cols[i].kind == DECODER_COL_TEXT || old->cols[i].kind == DECODER_COL_BINARY))
			c = &old->cols[i];
		if (!first)
			buf_putc(out, ',');
		first = 0;
		buf_append(out, col->key, col->keylen);
		if (col->rule && (c->kind == DECODER_COL_TEXT || c->kind == DECODER_COL_BINARY ||
						  c->kind == DECODER_COL_NULL || col->rule->kind == COLUMN_MASK))
		{
			if (col->rule->kind == COLUMN_TRUNCATE && c->kind != DECODER_COL_NULL)
			{
				cut = *c;
				cut.len = (uint32_t) columns_cut(col, c->data, c->len, c->kind == DECODER_COL_BINARY);
				c = &cut;
			}
			else if (col->rule->kind != COLUMN_TRUNCATE)
			{
				int			has = c->kind == DECODER_COL_TEXT || c->kind == DECODER_COL_BINARY;

				if (columns_put_masked(out, col, has ? c->data : NULL, has ? c->len : 0) != 0)
				{
					snprintf(err, errlen, "column \"%s\".\"%s\".\"%s\": %s could not compute its digest",
							 rel->schema, rel->table, col->name, col->rule->key);
					return -1;
				}
				continue;
			}
		}
		switch (c->kind)
		{
			case DECODER_COL_NULL:
				buf_lit(out, "null");
				break;
			case DECODER_COL_UNCHANGED:
				toast_put(&w->toast, out,
						  toast_form(&col->conv, col->typid, col->base_typid, &w->conv));
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
					json_text(out, c->data, c->len);
				}
				break;
			case DECODER_COL_BINARY:
				if (put_binary(w, out, rel, col, c, err, errlen) != 0)
					return -1;
				break;
			default:
				snprintf(err, errlen, "column \"%s\" of \"%s\".\"%s\" arrived as kind '%c', which is not in the protocol",
						 col->name, rel->schema, rel->table, c->kind);
				return -1;
		}
	}
	buf_putc(out, '}');
	return 0;
}

/* A Connect schema of rel cached in *slot, built on first use; NULL if out of memory. */
static const char *
rel_schema(struct event_writer *w, struct relcache_rel *rel, char **slot,
		   void (*build) (struct buf *, const struct relcache_rel *, const char *,
						  const struct convert_opts *))
{
	if (*slot == NULL)
	{
		struct buf	b;

		buf_init(&b, 0);
		build(&b, rel, w->schema_prefix, &w->conv);
		*slot = buf_take(&b);
	}
	return *slot;
}

static const char *
rel_value_schema(struct event_writer *w, struct relcache_rel *rel)
{
	if (w->unwrap && rel->value_schema == NULL)
	{
		struct buf	b;

		buf_init(&b, 0);
		schema_flat(&b, rel, w->schema_prefix, &w->conv, w->flat_schema.data);
		rel->value_schema = buf_take(&b);
		return rel->value_schema;
	}
	return rel_schema(w, rel, &rel->value_schema, schema_envelope);
}

static const char *
rel_key_schema(struct event_writer *w, struct relcache_rel *rel)
{
	return rel_schema(w, rel, &rel->key_schema, schema_key);
}

void
event_open_schema(struct buf *out, int on, const char *schema)
{
	if (!on)
		return;
	if (schema == NULL)
	{
		out->failed = 1;
		return;
	}
	buf_lit(out, "{\"schema\":");
	buf_puts(out, schema);
	buf_lit(out, ",\"payload\":");
}

/* With value schemas: {"schema":schema,"payload": before the event... */
static void
open_value(struct event_writer *w, struct buf *out, const char *schema)
{
	event_open_schema(out, w->value_schemas, schema);
}

/* ... and } after it. */
static void
close_value(struct event_writer *w, struct buf *out)
{
	event_close_schema(out, w->value_schemas);
}

/* The relation's Kafka topic, built on first use; NULL if out of memory. */
static const char *
rel_topic(struct event_writer *w, struct relcache_rel *rel)
{
	if (rel->topic == NULL)
	{
		struct buf	b;

		buf_init(&b, 0);
		buf_append(&b, w->prefix.data, w->prefix.len);
		event_topic_part(&b, rel->schema);
		buf_putc(&b, '.');
		event_topic_part(&b, rel->table);
		if (event_route_topic(w, &b) != 0)
			b.failed = 1;
		rel->topic = buf_take(&b);
	}
	return rel->topic;
}

/*
 * The routing fields of r, a row event: rel's topic, the key columns of
 * key (NULL, or a relation without key columns: a null key), flags; old
 * as for event_put_row().  r is NULL if the batch failed: nothing to do.
 */
static int
route_row(struct event_writer *w, struct batch *b, struct batch_rec *r,
		  struct relcache_rel *rel, const struct decoder_tuple *key,
		  const struct decoder_tuple *old, unsigned flags, char *err, size_t errlen)
{
	const char *topic;
	struct buf *k;
	int			has_key = 0;

	if (r == NULL)
		return 0;
	if ((topic = rel_topic(w, rel)) == NULL)
	{
		b->failed = 1;
		return 0;
	}
	batch_topic(b, r, topic, strlen(topic));
	r->flags = flags;
	k = batch_key(b, r);
	for (int i = 0; key && i < rel->ncols && !has_key; i++)
		has_key = (rel->cols[i].flags & rel->keyflag) != 0 && !rel->cols[i].excluded;
	if (has_key)
	{
		event_open_schema(k, w->key_schemas, w->key_schemas ? rel_key_schema(w, rel) : NULL);
		if (event_put_row(w, k, rel, key, rel->keyflag, old, err, errlen) != 0)
			return -1;
		event_close_schema(k, w->key_schemas);
	}
	batch_key_end(b, r);
	return 0;
}

/* Whether an update changed the message key (as far as the WAL tells). */
static int
key_changed(const struct relcache_rel *rel, const struct decoder_msg *m)
{
	const struct decoder_tuple *o = &m->u.change.old,
			   *n = &m->u.change.new;

	if (!m->u.change.old_kind || o->ncols != rel->ncols || n->ncols != rel->ncols)
		return 0;
	for (int i = 0; i < rel->ncols; i++)
	{
		const struct decoder_column *a = &o->cols[i],
				   *b = &n->cols[i];

		/*
		 * pgoutput sends 'u' only for a value the update did not touch
		 * (the new row still points at the same TOAST data): unchanged,
		 * whatever the old tuple holds for it.
		 */
		if (!(rel->cols[i].flags & rel->keyflag) ||
			a->kind == DECODER_COL_UNCHANGED || b->kind == DECODER_COL_UNCHANGED)
			continue;
		/* a 'K' tuple leaves out what is not its key: not a change */
		if (a->kind == DECODER_COL_NULL && m->u.change.old_kind == 'K' && !(rel->cols[i].flags & 1))
			continue;
		if (a->kind != b->kind || a->len != b->len ||
			(a->len && memcmp(a->data, b->data, a->len) != 0))
			return 1;
	}
	return 0;
}

/*
 * A transaction's BEGIN went out ahead of an event the transforms then
 * dropped: the BEGIN is the event (one record, ending it).  1 if nothing
 * was written at all.
 */
static int
dropped(struct batch *b, int began)
{
	if (!began)
		return 1;
	if (b->nrecs > 0)
		b->recs[b->nrecs - 1].flags &= ~(unsigned) BATCH_CONTINUES;
	return 0;
}

/*
 * ExtractNewRecordState's delete (transform.h): the old row with
 * __deleted, a null value, or nothing; flags are added to its record
 * (BATCH_CONTINUES for a key change's first half).  0 written, 1 nothing
 * written, -1 with err set.
 */
static int
unwrap_delete(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
			  const struct decoder_msg *m, const struct event_txn *txn, uint64_t lsn,
			  int64_t now_ms, unsigned flags, char *err, size_t errlen)
{
	const struct transforms *xf = w->xf;
	const struct decoder_tuple *old = m->u.change.old_kind ? &m->u.change.old : NULL;
	struct event_flat x = {'d', rel, txn, lsn, now_ms, NULL};
	int			began = event_txn_note(w, b, rel, txn, lsn, 1);
	struct buf *out;
	struct batch_rec *r;

	/* a null value is a Kafka tombstone: on the other sinks, nothing */
	if ((xf->del == UNWRAP_DELETE_DROP && !(w->routed && xf->keep_tombstones)) ||
		(xf->del == UNWRAP_DELETE_NULL && !w->routed) || old == NULL)
	{
		w->tm_cur = 0;
		return dropped(b, began);
	}
	out = batch_value(b);
	if (xf->del == UNWRAP_DELETE_REWRITE)
	{
		open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
		if (event_put_flat(w, out, rel, old, m->u.change.old_kind == 'K', NULL, 1, &x, err, errlen) != 0)
			return -1;
		close_value(w, out);
		flags |= xf->keep_tombstones ? BATCH_TOMBSTONE : 0;
	}
	else
	{
		/* drop with tombstones kept, none: a null value (and none's tombstone) */
		w->tm_cur = 0;
		flags |= BATCH_NULL | (xf->del == UNWRAP_DELETE_NULL && xf->keep_tombstones ? BATCH_TOMBSTONE : 0);
	}
	r = batch_end(b);
	if (!w->routed)
		return 0;
	return route_row(w, b, r, rel, old, NULL, flags, err, errlen);
}

/* ExtractNewRecordState's insert or update: the new row. */
static int
unwrap_row(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
		   const struct decoder_msg *m, const struct decoder_tuple *old,
		   const struct event_txn *txn, uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	struct event_flat x = {m->type == DECODER_INSERT ? 'c' : 'u', rel, txn, lsn, now_ms, NULL};
	struct buf *out;
	struct batch_rec *r;

	event_txn_note(w, b, rel, txn, lsn, 1);
	out = batch_value(b);
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	if (event_put_flat(w, out, rel, &m->u.change.new, 0, old, 0, &x, err, errlen) != 0)
		return -1;
	close_value(w, out);
	r = batch_end(b);
	if (!w->routed)
		return 0;
	return route_row(w, b, r, rel, &m->u.change.new, old, 0, err, errlen);
}

/*
 * On Kafka an update that changes the key is, as Debezium writes it, a
 * delete of the old key (and its tombstone) followed by a create of the
 * new one, so that a compacted topic forgets the old key.  The two
 * records together are one event (the first has BATCH_CONTINUES).
 */
static int
split_update(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
			 const struct decoder_msg *m, const struct event_txn *txn,
			 uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	struct buf *out;

	if (w->unwrap)
	{
		struct decoder_msg del = *m;
		int			rc;

		/* the delete half as unwrap writes a delete, then the create */
		del.type = DECODER_DELETE;
		rc = unwrap_delete(w, b, rel, &del, txn, lsn, now_ms, BATCH_CONTINUES, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0 && b->nrecs > 0 && !(b->recs[b->nrecs - 1].flags & BATCH_CONTINUES))
			b->recs[b->nrecs - 1].flags |= BATCH_CONTINUES;	/* a lone BEGIN */
		del.type = DECODER_INSERT;
		return unwrap_row(w, b, rel, &del, &m->u.change.old, txn, lsn, now_ms, err, errlen);
	}
	event_txn_note(w, b, rel, txn, lsn, 1);
	out = batch_value(b);
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	buf_lit(out, "{\"before\":");
	if (event_put_row(w, out, rel, &m->u.change.old, m->u.change.old_kind == 'K', NULL, err, errlen) != 0)
		return -1;
	buf_lit(out, ",\"after\":null,");
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	buf_lit(out, "\"d\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	close_value(w, out);
	if (route_row(w, b, batch_end(b), rel, &m->u.change.old, NULL,
				  BATCH_CONTINUES | (w->tombstones ? BATCH_TOMBSTONE : 0), err, errlen) != 0)
		return -1;
	event_txn_note(w, b, rel, txn, lsn, 1);
	out = batch_value(b);
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	buf_lit(out, "{\"before\":null,\"after\":");
	if (event_put_row(w, out, rel, &m->u.change.new, 0, &m->u.change.old, err, errlen) != 0)
		return -1;
	buf_putc(out, ',');
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	buf_lit(out, "\"c\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	close_value(w, out);
	return route_row(w, b, batch_end(b), rel, &m->u.change.new, &m->u.change.old, 0, err, errlen);
}

void
event_change_written_before(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
							const struct decoder_msg *m, const struct event_txn *txn, uint64_t lsn)
{
	event_txn_note(w, b, rel, txn, lsn, 0);
	/* split_update counts two events, as Debezium does */
	if (w->routed && m->type == DECODER_UPDATE && key_changed(rel, m))
		event_txn_note(w, b, rel, txn, lsn, 0);
}

int
event_change(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
			 const struct decoder_msg *m, const struct event_txn *txn,
			 uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	const char *op;
	const struct decoder_tuple *old = m->u.change.old_kind ? &m->u.change.old : NULL;
	struct buf *out;
	struct batch_rec *r;

	if (w->routed && m->type == DECODER_UPDATE && key_changed(rel, m))
		return split_update(w, b, rel, m, txn, lsn, now_ms, err, errlen);
	if (w->unwrap)
		return m->type == DECODER_DELETE ?
			unwrap_delete(w, b, rel, m, txn, lsn, now_ms, 0, err, errlen) :
			unwrap_row(w, b, rel, m, old, txn, lsn, now_ms, err, errlen);

	event_txn_note(w, b, rel, txn, lsn, 1);
	out = batch_value(b);
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	buf_lit(out, "{\"before\":");
	if (m->u.change.old_kind)
	{
		if (event_put_row(w, out, rel, &m->u.change.old,
					m->u.change.old_kind == 'K', NULL, err, errlen) != 0)
			return -1;
	}
	else
		buf_lit(out, "null");

	buf_lit(out, ",\"after\":");
	if (m->type == DECODER_DELETE)
		buf_lit(out, "null");
	else if (event_put_row(w, out, rel, &m->u.change.new, 0, old, err, errlen) != 0)
		return -1;

	buf_putc(out, ',');
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	op = m->type == DECODER_INSERT ? "\"c\"" :
		m->type == DECODER_UPDATE ? "\"u\"" : "\"d\"";
	buf_append(out, op, 3);
	buf_lit(out, ",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	close_value(w, out);
	r = batch_end(b);
	if (!w->routed)
		return 0;
	if (m->type == DECODER_DELETE)
		return route_row(w, b, r, rel, old, NULL, w->tombstones ? BATCH_TOMBSTONE : 0, err, errlen);
	return route_row(w, b, r, rel, &m->u.change.new, old, 0, err, errlen);
}

int
event_truncate(struct event_writer *w, struct batch *b,
			   struct relcache_rel *rel, const struct event_txn *txn,
			   uint64_t lsn, int64_t now_ms)
{
	struct buf *out;
	struct batch_rec *r;
	int			began = event_txn_note(w, b, rel, txn, lsn, 1);

	/* ExtractNewRecordState drops truncate events */
	if (w->unwrap)
	{
		w->tm_cur = 0;
		return dropped(b, began);
	}
	out = batch_value(b);
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	buf_lit(out, "{\"before\":null,\"after\":null,");
	put_source(w, out, rel->source_tail, rel->source_tail_len, txn, lsn, now_ms);
	buf_lit(out, "\"t\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	close_value(w, out);
	r = batch_end(b);
	if (w->routed)
		(void) route_row(w, b, r, rel, NULL, NULL, 0, NULL, 0);
	return 0;
}

void
event_message(struct event_writer *w, struct batch *b,
			  const struct decoder_msg *m, const struct event_txn *txn,
			  int64_t now_ms)
{
	static const char tail[] = "\"schema\":\"\",\"table\":\"\"";
	const unsigned char *content = (const unsigned char *) m->u.message.content;
	struct buf *out = batch_value(b);
	struct batch_rec *r;

	/* Debezium's MessageValue field order: op, ts_ms, source, transaction, message */
	open_value(w, out, w->conv.binary == CONVERT_BINARY_BYTES ?
			   SCHEMA_MESSAGE_VALUE : SCHEMA_MESSAGE_VALUE_STRING);
	buf_lit(out, "{\"op\":\"m\",\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, ',');
	put_source_block(w, out, tail, sizeof(tail) - 1, txn, m->u.message.lsn, now_ms);
	buf_lit(out, ",\"message\":{\"prefix\":");
	json_cstring(out, m->u.message.prefix);
	/* in binary.handling.mode's encoding, as LogicalDecodingMessageMonitor writes it */
	buf_lit(out, ",\"content\":\"");
	if (w->conv.binary == CONVERT_BINARY_HEX)
	{
		static const char hex[] = "0123456789abcdef";

		for (size_t i = 0; i < m->u.message.len; i++)
		{
			char		h[2] = {hex[content[i] >> 4], hex[content[i] & 15]};

			buf_append(out, h, 2);
		}
	}
	else
		json_base64(out, content, m->u.message.len,
					w->conv.binary == CONVERT_BINARY_BASE64_URL_SAFE);
	buf_lit(out, "\"}}");
	close_value(w, out);
	r = batch_end(b);
	if (w->routed && r)
	{
		struct buf *k;

		/* Debezium's topic and key for logical-decoding messages */
		batch_topic(b, r, w->msg_topic.data, w->msg_topic.len);
		k = batch_key(b, r);
		event_open_schema(k, w->key_schemas, SCHEMA_MESSAGE_KEY);
		buf_lit(k, "{\"prefix\":");
		json_cstring(k, m->u.message.prefix);
		buf_putc(k, '}');
		event_close_schema(k, w->key_schemas);
		batch_key_end(b, r);
	}
}

int
event_read(struct event_writer *w, struct batch *b, struct relcache_rel *rel,
		   const struct decoder_tuple *row, const char *snapshot, uint64_t lsn,
		   int64_t now_ms, char *err, size_t errlen)
{
	char		l[24];
	size_t		n = format_lsn(l, sizeof(l), lsn);
	struct buf *out = batch_value(b);
	struct batch_rec *r;

	if (w->unwrap)
	{
		struct event_flat x = {'r', rel, NULL, lsn, now_ms, snapshot};

		w->tm_cur = 0;
		open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
		if (event_put_flat(w, out, rel, row, 0, NULL, 0, &x, err, errlen) != 0)
			return -1;
		close_value(w, out);
		r = batch_end(b);
		return w->routed ? route_row(w, b, r, rel, row, NULL, 0, err, errlen) : 0;
	}
	open_value(w, out, w->value_schemas ? rel_value_schema(w, rel) : NULL);
	buf_lit(out, "{\"before\":null,\"after\":");
	if (event_put_row(w, out, rel, row, 0, NULL, err, errlen) != 0)
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
	close_value(w, out);
	r = batch_end(b);
	if (w->routed)
		return route_row(w, b, r, rel, row, NULL, 0, err, errlen);
	return 0;
}

void
event_heartbeat(struct event_writer *w, struct batch *b, int64_t now_ms)
{
	struct buf *out = batch_value(b);
	struct batch_rec *r;

	open_value(w, out, SCHEMA_HEARTBEAT_VALUE);
	buf_lit(out, "{\"ts_ms\":");
	json_int64(out, now_ms);
	buf_putc(out, '}');
	close_value(w, out);
	r = batch_end(b);
	if (w->routed && r)
	{
		batch_topic(b, r, w->hb_topic.data, w->hb_topic.len);
		buf_append(batch_key(b, r), w->hb_key.data, w->hb_key.len);
		batch_key_end(b, r);
	}
}

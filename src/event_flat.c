/*
 * event_flat.c — the transforms' part of the event writer (transform.h):
 * ExtractNewRecordState's flat rows and RegexRouter's topics.
 *
 * A flat row is the row object event_put_row() writes, then, as
 * ExtractNewRecordState adds them, "__deleted" (the rewrite modes) and
 * the add.fields in their order, each read from the event it replaces:
 * the envelope's op and ts_ms, a source field, or a transaction field
 * (null without provide.transaction.metadata, and for snapshot rows).
 */
#include "event_int.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

int
event_route_topic(struct event_writer *w, struct buf *t)
{
	char	   *routed;
	int			oom;

	if (w->xf == NULL || !w->xf->route)
		return 0;
	buf_putc(t, '\0');
	if (buf_failed(t))
		return -1;
	t->len--;
	routed = transforms_route(w->xf, t->data, &oom);
	if (oom)
		return -1;
	if (routed)
	{
		buf_reset(t);
		buf_puts(t, routed);
		free(routed);
	}
	return buf_failed(t) ? -1 : 0;
}

/* The Connect schema of an added field, as ExtractNewRecordState copies it: optional. */
static void
put_field_schema(struct buf *b, const struct unwrap_field *f)
{
	switch (f->id)
	{
		case UF_SNAPSHOT:
			buf_lit(b, "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
					"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,"
					"last_in_data_collection,last,false,incremental\"},\"field\":");
			break;
		case UF_TS_MS:
		case UF_SOURCE_TS_MS:
		case UF_TXID:
		case UF_LSN:
		case UF_XMIN:
		case UF_TOTAL_ORDER:
		case UF_COLLECTION_ORDER:
			buf_lit(b, "{\"type\":\"int64\",\"optional\":true,\"field\":");
			break;
		default:
			buf_lit(b, "{\"type\":\"string\",\"optional\":true,\"field\":");
	}
	json_cstring(b, f->out);
	buf_putc(b, '}');
}

int
event_flat_init(struct event_writer *w, const struct config *c)
{
	w->xf = &c->xf;
	w->unwrap = c->xf.unwrap;
	w->dbname = strdup(c->dbname);
	buf_init(&w->msg_topic, 0);
	buf_init(&w->flat_schema, 0);
	buf_append(&w->msg_topic, w->prefix.data, w->prefix.len);
	buf_lit(&w->msg_topic, "message");
	if (c->xf.rewrite)
		buf_lit(&w->flat_schema, "{\"type\":\"string\",\"optional\":true,\"field\":\"__deleted\"}");
	for (int i = 0; i < c->xf.nfields; i++)
	{
		if (w->flat_schema.len)
			buf_putc(&w->flat_schema, ',');
		put_field_schema(&w->flat_schema, &c->xf.fields[i]);
	}
	buf_putc(&w->flat_schema, '\0');
	w->flat_schema.len--;
	if (w->dbname == NULL || buf_failed(&w->flat_schema) ||
		event_route_topic(w, &w->msg_topic) != 0 || event_route_topic(w, &w->hb_topic) != 0 ||
		event_route_topic(w, &w->tm_topic) != 0)
		return -1;
	return 0;
}

void
event_flat_free(struct event_writer *w)
{
	free(w->dbname);
	w->dbname = NULL;
	buf_free(&w->msg_topic);
	buf_free(&w->flat_schema);
}

/* An LSN as a JSON string inside the sequence string: \"123\" */
static void
put_seq_lsn(struct buf *out, uint64_t lsn)
{
	buf_lit(out, "\\\"");
	json_uint64(out, lsn);
	buf_lit(out, "\\\"");
}

static void
put_field(struct event_writer *w, struct buf *out, const struct unwrap_field *f,
		  const struct event_flat *x)
{
	char		op[3] = {'"', x->op, '"'};

	/* the transaction block is null without transaction metadata */
	if (f->from == UNWRAP_FROM_TRANSACTION && !w->tm_cur)
	{
		buf_lit(out, "null");
		return;
	}
	switch (f->id)
	{
		case UF_OP:
			buf_append(out, op, 3);
			break;
		case UF_TS_MS:
			json_int64(out, x->now_ms);
			break;
		case UF_TXN_ID:
			buf_putc(out, '"');
			json_uint64(out, x->txn->xid);
			buf_putc(out, ':');
			json_uint64(out, x->lsn);
			buf_putc(out, '"');
			break;
		case UF_TOTAL_ORDER:
			json_int64(out, w->tm_order);
			break;
		case UF_COLLECTION_ORDER:
			json_int64(out, w->tm_coll_order);
			break;
		case UF_VERSION:
			buf_lit(out, "\"" WALCAP_VERSION "\"");
			break;
		case UF_CONNECTOR:
			buf_lit(out, "\"postgresql\"");
			break;
		case UF_NAME:
			json_cstring(out, w->schema_prefix);
			break;
		case UF_SOURCE_TS_MS:
			json_int64(out, x->txn ? x->txn->commit_ms : x->now_ms);
			break;
		case UF_SNAPSHOT:
			json_cstring(out, x->snapshot ? x->snapshot : "false");
			break;
		case UF_DB:
			json_cstring(out, w->dbname);
			break;
		case UF_SEQUENCE:
			buf_lit(out, "\"[");
			if (x->txn && x->txn->last_commit_lsn)
				put_seq_lsn(out, x->txn->last_commit_lsn);
			else
				buf_lit(out, "null");
			buf_putc(out, ',');
			put_seq_lsn(out, x->lsn);
			buf_lit(out, "]\"");
			break;
		case UF_SCHEMA:
			json_cstring(out, x->rel->schema);
			break;
		case UF_TABLE:
			json_cstring(out, x->rel->table);
			break;
		case UF_TXID:
			if (x->txn)
				json_uint64(out, x->txn->xid);
			else
				buf_lit(out, "null");	/* a snapshot row */
			break;
		case UF_LSN:
			json_uint64(out, x->lsn);
			break;
		case UF_XMIN:
			buf_lit(out, "null");
			break;
	}
}

int
event_put_flat(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
			   const struct decoder_tuple *t, int mask, const struct decoder_tuple *old,
			   int deleted, const struct event_flat *x, char *err, size_t errlen)
{
	const struct transforms *xf = w->xf;
	int			empty;

	if (event_put_row(w, out, rel, t, mask, old, err, errlen) != 0)
		return -1;
	if ((!xf->rewrite && xf->nfields == 0) || buf_failed(out))
	{
		w->tm_cur = 0;
		return 0;
	}
	out->len--;					/* reopen the row: its '}' */
	empty = out->data[out->len - 1] == '{';
	if (xf->rewrite)
	{
		buf_puts(out, empty ? "\"__deleted\":" : ",\"__deleted\":");
		buf_puts(out, deleted ? "\"true\"" : "\"false\"");
		empty = 0;
	}
	for (int i = 0; i < xf->nfields; i++)
	{
		if (!empty)
			buf_putc(out, ',');
		empty = 0;
		json_cstring(out, xf->fields[i].out);
		buf_putc(out, ':');
		put_field(w, out, &xf->fields[i], x);
	}
	buf_putc(out, '}');
	w->tm_cur = 0;
	return 0;
}

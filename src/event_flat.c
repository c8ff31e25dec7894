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
	static const char *const int64s[] = {"ts_ms", "txId", "lsn", "xmin", "total_order",
	"data_collection_order", NULL};
	int			is_int = 0;

	for (int i = 0; int64s[i]; i++)
		is_int |= strcmp(f->field, int64s[i]) == 0;
	if (f->from == UNWRAP_FROM_SOURCE && strcmp(f->field, "snapshot") == 0)
		buf_lit(b, "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
				"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,"
				"last_in_data_collection,last,false,incremental\"},\"field\":");
	else if (is_int)
		buf_lit(b, "{\"type\":\"int64\",\"optional\":true,\"field\":");
	else
		buf_lit(b, "{\"type\":\"string\",\"optional\":true,\"field\":");
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
	const char *n = f->field;

	if (f->from == UNWRAP_FROM_TOP)
	{
		if (strcmp(n, "op") == 0)
		{
			char		op[3] = {'"', x->op, '"'};

			buf_append(out, op, 3);
		}
		else
			json_int64(out, x->now_ms);
	}
	else if (f->from == UNWRAP_FROM_TRANSACTION)
	{
		if (!w->tm_cur)
			buf_lit(out, "null");
		else if (strcmp(n, "id") == 0)
		{
			buf_putc(out, '"');
			json_uint64(out, x->txn->xid);
			buf_putc(out, ':');
			json_uint64(out, x->lsn);
			buf_putc(out, '"');
		}
		else
			json_int64(out, strcmp(n, "total_order") == 0 ? w->tm_order : w->tm_coll_order);
	}
	else if (strcmp(n, "version") == 0)
		buf_lit(out, "\"" WALCAP_VERSION "\"");
	else if (strcmp(n, "connector") == 0)
		buf_lit(out, "\"postgresql\"");
	else if (strcmp(n, "name") == 0)
		json_cstring(out, w->schema_prefix);
	else if (strcmp(n, "ts_ms") == 0)
		json_int64(out, x->txn ? x->txn->commit_ms : x->now_ms);
	else if (strcmp(n, "snapshot") == 0)
		json_cstring(out, x->snapshot ? x->snapshot : "false");
	else if (strcmp(n, "db") == 0)
		json_cstring(out, w->dbname);
	else if (strcmp(n, "sequence") == 0)
	{
		buf_lit(out, "\"[");
		if (x->txn && x->txn->last_commit_lsn)
			put_seq_lsn(out, x->txn->last_commit_lsn);
		else
			buf_lit(out, "null");
		buf_putc(out, ',');
		put_seq_lsn(out, x->lsn);
		buf_lit(out, "]\"");
	}
	else if (strcmp(n, "schema") == 0)
		json_cstring(out, x->rel->schema);
	else if (strcmp(n, "table") == 0)
		json_cstring(out, x->rel->table);
	else if (strcmp(n, "txId") == 0 && x->txn)
		json_uint64(out, x->txn->xid);
	else if (strcmp(n, "lsn") == 0)
		json_uint64(out, x->lsn);
	else
		buf_lit(out, "null");	/* txId of a snapshot row, xmin */
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

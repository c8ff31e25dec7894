/*
 * snapshot_queue.c — the queue of tables to read and the signals that
 * fill it: rows of the signal table streamed in (execute-snapshot,
 * stop, pause, resume, log, and the watermarks, handed to the window).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "signals.h"
#include "convert_binary.h"
#include "snapshot_int.h"

static void
item_free(struct snapshot_item *it)
{
	free(it->schema);
	free(it->table);
	free(it->filter);
	free(it->surrogate_key);
	free(it->signal);
	memset(it, 0, sizeof(*it));
}

static char *
sdup(const char *p)
{
	return p ? strdup(p) : NULL;
}

int
snap_queued(const struct snapshot *s, const char *schema, const char *table)
{
	for (int i = 0; i < s->nitems; i++)
		if (strcmp(s->queue.items[i].schema, schema) == 0 && strcmp(s->queue.items[i].table, table) == 0)
			return 1;
	return 0;
}

/* Append a copy of *it; 0, or -1 out of memory. */
int
snap_push_item(struct snapshot *s, const struct snapshot_item *it)
{
	struct snapshot_item *n;

	if (s->nitems == s->queue.capitems)
	{
		int			cap = s->queue.capitems ? s->queue.capitems * 2 : 8;

		n = realloc(s->queue.items, sizeof(*n) * (size_t) cap);
		if (n == NULL)
			return -1;
		s->queue.items = n;
		s->queue.capitems = cap;
	}
	n = &s->queue.items[s->nitems];
	memset(n, 0, sizeof(*n));
	n->schema = sdup(it->schema);
	n->table = sdup(it->table);
	n->filter = sdup(it->filter);
	n->surrogate_key = sdup(it->surrogate_key);
	n->signal = sdup(it->signal);
	n->blocking = it->blocking;
	if (!n->schema || !n->table || (it->filter && !n->filter) ||
		(it->surrogate_key && !n->surrogate_key) || (it->signal && !n->signal))
	{
		item_free(n);
		return -1;
	}
	if (s->met)
	{
		if (s->nitems == 0)
			metrics_snapshot_start(s->met, metrics_now_ms());
		s->met->snapshot_total_tables++;
		s->met->snapshot_remaining_tables = s->nitems + 1;
	}
	s->nitems++;
	s->dirty = 1;
	return 0;
}

/* Whether a queued table came from the signal with this id. */
static int
signal_queued(const struct snapshot *s, const char *id)
{
	for (int i = 0; i < s->nitems; i++)
		if (s->queue.items[i].signal && strcmp(s->queue.items[i].signal, id) == 0)
			return 1;
	return 0;
}

/* Unqueue table i; its signal is done when it was that signal's last. */
void
snap_remove_item(struct snapshot *s, int i)
{
	char	   *signal = s->queue.items[i].signal;

	if (i == 0)
		snap_clear_table(s);
	s->queue.items[i].signal = NULL;
	item_free(&s->queue.items[i]);
	memmove(&s->queue.items[i], &s->queue.items[i + 1], sizeof(s->queue.items[0]) * (size_t) (s->nitems - i - 1));
	s->nitems--;
	s->dirty = 1;
	if (s->met)
	{
		s->met->snapshot_remaining_tables = s->nitems;
		if (s->nitems == 0)
			metrics_snapshot_end(s->met, s->met->snapshot_aborted, metrics_now_ms());
	}
	if (signal && !signal_queued(s, signal))
		sigdone_add(&s->queue.done, signal);
	free(signal);
	if (s->nitems == 0)
		s->queue.paused = 0;
}

/* Free every queued item and the array. */
void
snap_queue_free(struct snapshot *s)
{
	for (int i = 0; i < s->nitems; i++)
		item_free(&s->queue.items[i]);
	free(s->queue.items);
	s->queue.items = NULL;
	s->nitems = s->queue.capitems = 0;
}

/* ---- signals ---- */

static void
on_execute(struct snapshot *s, const char *id, const struct signal *sig)
{
	int			added = 0;

	/* the same request again: its transaction resent, or its row rewritten */
	if (signal_queued(s, id))
	{
		log_info("signal \"%s\" ignored: its snapshot is already in progress", id);
		return;
	}
	if (sigdone_has(&s->queue.done, id))
	{
		log_info("signal \"%s\" ignored: its snapshot is already done", id);
		return;
	}

	for (int i = 0; i < sig->ncollections; i++)
	{
		const struct signal_collection *c = &sig->collections[i];
		struct snapshot_item it;

		if (strcmp(c->schema, s->cfg->signal_schema) == 0 &&
			strcmp(c->table, CONFIG_SIGNAL_TABLE) == 0)
		{
			log_warning("signal \"%s\": the signal table itself is not snapshotted", id);
			continue;
		}
		if (config_table_included(s->cfg, c->schema, c->table) == 0)
		{
			log_warning("signal \"%s\": \"%s.%s\" is not captured (table.include.list, schema.include.list and the exclude lists): not snapshotted",
						id, c->schema, c->table);
			continue;
		}
		if (snap_queued(s, c->schema, c->table))
			continue;
		memset(&it, 0, sizeof(it));
		it.schema = c->schema;
		it.table = c->table;
		it.filter = c->filter;
		it.surrogate_key = sig->surrogate_key;
		it.signal = (char *) id;
		it.blocking = sig->snapshot_type == SIGNAL_BLOCKING;
		if (snap_push_item(s, &it) != 0)
		{
			log_error("signal \"%s\": out of memory", id);
			return;
		}
		added++;
	}
	if (added == 0)
	{
		/* nothing to read: over already, and a repeat must not start it */
		sigdone_add(&s->queue.done, id);
		s->dirty = 1;
	}
	log_info("signal \"%s\": %s snapshot of %d table%s queued", id,
			 sig->snapshot_type == SIGNAL_BLOCKING ? "blocking" : "incremental",
			 added, added == 1 ? "" : "s");
}

static void
on_stop(struct snapshot *s, const char *id, const struct signal *sig)
{
	int			removed = 0;

	/* what a stop removes, the snapshot did not read: it is aborted */
	if (sig->ncollections == 0)
	{
		removed = s->nitems;
		if (s->met && removed > 0)
			s->met->snapshot_aborted = 1;
		while (s->nitems > 0)
			snap_remove_item(s, s->nitems - 1);
	}
	for (int i = 0; i < sig->ncollections; i++)
		for (int j = s->nitems - 1; j >= 0; j--)
			if (strcmp(s->queue.items[j].schema, sig->collections[i].schema) == 0 &&
				strcmp(s->queue.items[j].table, sig->collections[i].table) == 0)
			{
				if (s->met)
					s->met->snapshot_aborted = 1;
				snap_remove_item(s, j);
				removed++;
			}
	log_info("signal \"%s\": snapshot stopped for %d table%s", id, removed,
			 removed == 1 ? "" : "s");
}

/* The text of column name in tuple t of rel, NUL-terminated in out. */
static int
column_text(const struct relcache_rel *rel, const struct decoder_tuple *t,
			const char *name, struct buf *out)
{
	for (int i = 0; i < rel->ncols && i < t->ncols; i++)
		if (strcmp(rel->cols[i].name, name) == 0)
		{
			if (t->cols[i].kind == DECODER_COL_TEXT)
				buf_append(out, t->cols[i].data, t->cols[i].len);
			else if (t->cols[i].kind != DECODER_COL_BINARY ||
					 convert_binary_text(out, &rel->cols[i].conv, t->cols[i].data,
										 t->cols[i].len) != 0)
				return 0;
			buf_putc(out, '\0');
			return 1;
		}
	return 0;
}

/* Control characters as '?': a signal row cannot forge log lines. */
static void
tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
snapshot_signal_row(struct snapshot *s, const struct relcache_rel *rel,
					const struct decoder_msg *m, uint64_t lsn)
{
	struct buf	id, type, data;
	struct signal sig;
	char		err[512];
	size_t		tlen;

	(void) lsn;
	buf_init(&id, 0);
	buf_init(&type, 0);
	buf_init(&data, 0);
	if (m->type == DECODER_DELETE)
	{
		/* insert_delete: the open watermark's row deleted closes the window */
		if (m->u.change.old_kind && column_text(rel, &m->u.change.old, "id", &id) && s->cfg->watermark_delete)
		{
			if (s->win.open_id[0] && strcmp(id.data, s->win.open_id) == 0)
				snap_window_edge(s, 1);
			else if (s->win.ahead && strcmp(id.data, s->win.ahead_open) == 0)
				s->win.ahead_closed = 1;
		}
		goto out;
	}
	if (m->type != DECODER_INSERT)
		goto out;
	if (!column_text(rel, &m->u.change.new, "id", &id))
	{
		log_warning("a signal row without an id was ignored");
		goto out;
	}
	tame(id.data);
	if (!column_text(rel, &m->u.change.new, "type", &type))
	{
		log_warning("signal \"%s\" ignored: it has no type", id.data);
		goto out;
	}
	tlen = strlen(type.data);
	if (strncmp(type.data, "snapshot-window-", 16) == 0 && tlen > 16)
	{
		if (s->win.open_id[0] && strcmp(id.data, s->win.open_id) == 0)
			snap_window_edge(s, 0);
		else if (s->win.close_id[0] && strcmp(id.data, s->win.close_id) == 0)
			snap_window_edge(s, 1);
		/* the read-ahead's edges, before it is the current chunk */
		else if (s->win.ahead && strcmp(id.data, s->win.ahead_open) == 0)
			s->win.ahead_opened = 1;
		else if (s->win.ahead && s->win.ahead_close[0] && strcmp(id.data, s->win.ahead_close) == 0)
			s->win.ahead_closed = 1;
		goto out;				/* another run's watermark: nothing to do */
	}
	if (signal_parse(type.data, column_text(rel, &m->u.change.new, "data", &data) ? data.data : NULL,
					 &sig, err, sizeof(err)) != 0)
	{
		log_warning("signal \"%s\" ignored: %s", id.data, err);
		goto out;
	}
	switch (sig.kind)
	{
		case SIGNAL_EXECUTE_SNAPSHOT:
			on_execute(s, id.data, &sig);
			break;
		case SIGNAL_STOP_SNAPSHOT:
			on_stop(s, id.data, &sig);
			break;
		case SIGNAL_PAUSE_SNAPSHOT:
			if (!s->queue.paused)
				s->dirty = 1;
			s->queue.paused = 1;
			log_info("signal \"%s\": snapshot paused", id.data);
			break;
		case SIGNAL_RESUME_SNAPSHOT:
			if (s->queue.paused)
				s->dirty = 1;
			s->queue.paused = 0;
			log_info("signal \"%s\": snapshot resumed", id.data);
			break;
		case SIGNAL_LOG:
			if (sig.message)
				tame(sig.message);
			log_info("signal \"%s\": %s", id.data, sig.message ? sig.message : "");
			break;
		case SIGNAL_WINDOW_OPEN:
		case SIGNAL_WINDOW_CLOSE:
			break;
	}
	signal_free(&sig);
out:
	buf_free(&id);
	buf_free(&type);
	buf_free(&data);
}

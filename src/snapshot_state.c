/*
 * snapshot_state.c — progress as a one-line JSON state (the queue, the
 * current table's position, the finished signals), each tied to the
 * stream position where it took effect until it is durable; and the
 * resume from one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonread.h"
#include "snapshot_int.h"

static void
json_opt_string(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, ",\"%s\":", key);
	json_cstring_or_null(b, v);
}

static void
json_keys(struct buf *b, char **k, int n)
{
	if (k == NULL)
	{
		buf_lit(b, "null");
		return;
	}
	buf_putc(b, '[');
	for (int j = 0; j < n; j++)
	{
		if (j)
			buf_putc(b, ',');
		json_cstring(b, k[j]);
	}
	buf_putc(b, ']');
}

/* The state as one line of JSON ("" when idle); NULL out of memory. */
char *
snap_serialize(const struct snapshot *s)
{
	struct buf	b;

	buf_init(&b, 0);
	if (s->nitems == 0 && s->queue.done.n == 0)
		return strdup("");
	/* the current table's signal, for walcap status */
	buf_lit(&b, "{\"id\":");
	json_cstring(&b, s->nitems && s->queue.items[0].signal ? s->queue.items[0].signal : "");
	buf_printf(&b, ",\"paused\":%s,\"chunk\":%" PRId64 ",\"rows\":%" PRId64 ",\"last_key\":",
			   s->queue.paused ? "true" : "false", s->table.chunk_no, s->table.table_rows);
	json_keys(&b, s->table.last_key, s->table.rel ? s->table.nkeys : s->table.restored_nkeys);
	buf_lit(&b, ",\"max_key\":");
	json_keys(&b, s->table.last_key ? s->table.max_key : NULL, s->table.rel ? s->table.nkeys : s->table.restored_nkeys);
	buf_lit(&b, ",\"tables\":[");
	for (int i = 0; i < s->nitems; i++)
	{
		const struct snapshot_item *it = &s->queue.items[i];

		buf_puts(&b, i ? ",{\"schema\":" : "{\"schema\":");
		json_cstring(&b, it->schema);
		json_opt_string(&b, "table", it->table);
		json_opt_string(&b, "filter", it->filter);
		json_opt_string(&b, "surrogate_key", it->surrogate_key);
		json_opt_string(&b, "signal", it->signal);
		buf_printf(&b, ",\"blocking\":%s}", it->blocking ? "true" : "false");
	}
	buf_lit(&b, "],\"done\":");
	sigdone_json(&s->queue.done, &b);
	buf_putc(&b, '}');
	return buf_take(&b);
}

void
snap_push_state(struct snapshot *s, uint64_t lsn, uint64_t nevents)
{
	char	   *st;

	sigdone_place(&s->queue.done, lsn);
	if (!s->dirty)
		return;
	st = snap_serialize(s);
	if (st == NULL)
		return;					/* stays dirty: tried again later */
	if (s->state.npending == s->state.cappending)
	{
		int			cap = s->state.cappending ? s->state.cappending * 2 : 8;
		struct snapshot_pending *n = realloc(s->state.pending, sizeof(*n) * (size_t) cap);

		if (n == NULL)
		{
			free(st);
			return;
		}
		s->state.pending = n;
		s->state.cappending = cap;
	}
	s->state.pending[s->state.npending].lsn = lsn;
	s->state.pending[s->state.npending].nevents = nevents;
	s->state.pending[s->state.npending].state = st;
	s->state.npending++;
	s->dirty = 0;
}

const char *
snapshot_state_at(struct snapshot *s, uint64_t lsn, uint64_t ndurable)
{
	int			n = 0;

	while (n < s->state.npending && s->state.pending[n].lsn <= lsn && s->state.pending[n].nevents <= ndurable)
		n++;
	if (n == 0)
		return NULL;
	free(s->state.saved);
	s->state.saved = s->state.pending[n - 1].state;
	for (int i = 0; i < n - 1; i++)
		free(s->state.pending[i].state);
	memmove(s->state.pending, s->state.pending + n, sizeof(s->state.pending[0]) * (size_t) (s->state.npending - n));
	s->state.npending -= n;
	return s->state.saved;
}

void
snapshot_confirmed(struct snapshot *s, uint64_t lsn)
{
	/* the next state recorded leaves them out */
	if (sigdone_forget(&s->queue.done, lsn) > 0)
		s->dirty = 1;
}

static char **
keys_from_json(const struct jsonread_value *v, int *n)
{
	char	  **k;
	size_t		len;

	if (v == NULL || v->type == JSONREAD_NULL)
		return NULL;
	len = jsonread_array_len(v);
	k = calloc(len ? len : 1, sizeof(char *));
	if (k == NULL)
		return NULL;
	for (size_t j = 0; j < len; j++)
	{
		const char *str = jsonread_string(jsonread_array_get(v, j));

		if (str == NULL || (k[j] = strdup(str)) == NULL)
		{
			snap_free_keys(k, (int) j);
			return NULL;
		}
	}
	*n = (int) len;
	return k;
}

int
snapshot_restore(struct snapshot *s, const char *state, char *err, size_t errlen)
{
	struct jsonread_doc doc;
	const struct jsonread_value *root, *tables, *v;
	const char *old_id;
	int			nlast = 0, nmax = 0;

	if (state == NULL || state[0] == '\0')
		return 0;
	if (jsonread_parse(&doc, state, err, errlen) != 0)
		return -1;
	root = jsonread_root(&doc);
	tables = jsonread_get(root, "tables");
	if (tables == NULL || tables->type != JSONREAD_ARRAY)
	{
		snprintf(err, errlen, "snapshot state: no \"tables\"");
		jsonread_free(&doc);
		return -1;
	}
	/* a state from before tables carried their signal: the id was the first's */
	old_id = jsonread_string(jsonread_get(root, "id"));
	for (size_t i = 0; i < jsonread_array_len(tables); i++)
	{
		const struct jsonread_value *t = jsonread_array_get(tables, i);
		struct snapshot_item it;

		memset(&it, 0, sizeof(it));
		it.schema = (char *) jsonread_string(jsonread_get(t, "schema"));
		it.table = (char *) jsonread_string(jsonread_get(t, "table"));
		it.filter = (char *) jsonread_string(jsonread_get(t, "filter"));
		it.surrogate_key = (char *) jsonread_string(jsonread_get(t, "surrogate_key"));
		if (jsonread_get(t, "signal"))
			it.signal = (char *) jsonread_string(jsonread_get(t, "signal"));
		else if (old_id && old_id[0])
			it.signal = (char *) old_id;
		v = jsonread_get(t, "blocking");
		it.blocking = v && v->type == JSONREAD_TRUE;
		if (it.schema == NULL || it.table == NULL || snap_push_item(s, &it) != 0)
		{
			snprintf(err, errlen, "snapshot state: a table entry is malformed");
			jsonread_free(&doc);
			return -1;
		}
	}
	if (sigdone_from_json(&s->queue.done, jsonread_get(root, "done"), err, errlen) != 0)
	{
		char		why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "snapshot state: %s", why);
		jsonread_free(&doc);
		return -1;
	}
	v = jsonread_get(root, "paused");
	s->queue.paused = v && v->type == JSONREAD_TRUE;
	if ((v = jsonread_get(root, "chunk")) && v->type == JSONREAD_NUMBER)
		s->table.chunk_no = strtoll(jsonread_string(v), NULL, 10);
	if ((v = jsonread_get(root, "rows")) && v->type == JSONREAD_NUMBER)
		s->table.table_rows = strtoll(jsonread_string(v), NULL, 10);
	s->table.last_key = keys_from_json(jsonread_get(root, "last_key"), &nlast);
	s->table.max_key = keys_from_json(jsonread_get(root, "max_key"), &nmax);
	if ((s->table.last_key == NULL) != (s->table.max_key == NULL) || nlast != nmax)
	{
		snap_free_keys(s->table.last_key, nlast);
		snap_free_keys(s->table.max_key, nmax);
		s->table.last_key = s->table.max_key = NULL;
		s->table.chunk_no = s->table.table_rows = 0;
	}
	s->table.restored_nkeys = nlast;
	jsonread_free(&doc);
	s->dirty = 0;
	return 0;
}

/* Free the pending states and the last one handed out. */
void
snap_state_free(struct snapshot *s)
{
	for (int i = 0; i < s->state.npending; i++)
		free(s->state.pending[i].state);
	free(s->state.pending);
	free(s->state.saved);
	s->state.pending = NULL;
	s->state.saved = NULL;
	s->state.npending = s->state.cappending = 0;
}

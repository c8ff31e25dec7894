/*
 * snapshot_export.c — the initial snapshot when walcap created the
 * slot: every queued table read by COPY in the slot's exported
 * snapshot, rows with Debezium's first/last markers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"
#include "snapshot_int.h"

int
snapshot_export_begin(struct snapshot *s, const char *snapname, char *err, size_t errlen)
{
	PGconn	   *conn = snap_conn_get(s, err, errlen);
	struct buf	q;
	PGresult   *res;

	if (conn == NULL)
		return -1;
	buf_init(&q, 0);
	buf_lit(&q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ");
	pgconn_quote_literal(&q, snapname);
	res = buf_failed(&q) ? NULL : snap_exec(s, q.data);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		PQclear(snap_exec(s, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	free(s->export.snapname);
	if ((s->export.snapname = strdup(snapname)) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		PQclear(snap_exec(s, "ROLLBACK"));
		return -1;
	}
	s->export.exporting = 1;
	s->export.export_index = 0;
	s->export.export_total = s->nitems;
	s->export.in_copy = 0;
	buf_init(&s->export.row, 0);
	return 0;
}

void
snapshot_export_end(struct snapshot *s)
{
	snap_ranges_end(s);
	if (s->export.exporting && s->side.conn)
		PQclear(snap_exec(s, s->nitems == 0 ? "COMMIT" : "ROLLBACK"));
	s->export.exporting = 0;
	s->export.in_copy = 0;
	free(s->export.snapname);
	s->export.snapname = NULL;
	PQfreemem(s->export.pending);
	s->export.pending = NULL;
	buf_free(&s->export.row);
}

const char *
snap_export_marker(const struct snapshot *s, int first_in_table, int last_in_table)
{
	int			first_table = s->export.export_index == 0;
	int			last_table = s->export.export_index == s->export.export_total - 1;

	if (last_in_table && last_table)
		return "last";
	if (first_in_table && first_table)
		return "first";
	if (last_in_table)
		return "last_in_data_collection";
	if (first_in_table)
		return "first_in_data_collection";
	return "true";
}

/*
 * One COPY text-format line as a row of s->table.rel: fields split at
 * tabs (a tab in a value is escaped, so every tab splits), \N is NULL.
 * A field without a backslash is used where it lies in line; the
 * others are unescaped into s->export.row.
 */
int
snap_export_row(struct snapshot *s, const char *line, size_t len, const char *marker,
				struct batch *out, uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	struct decoder_tuple t;
	char	   *d;
	int			col = 0,
				escaped;
	size_t		i = 0;

	if (s->chunk.scratch_cap < s->table.rel->ncols)
	{
		free(s->chunk.scratch);
		s->chunk.scratch = calloc((size_t) s->table.rel->ncols, sizeof(*s->chunk.scratch));
		s->chunk.scratch_cap = s->chunk.scratch ? s->table.rel->ncols : 0;
		if (s->chunk.scratch == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	buf_reset(&s->export.row);
	if (buf_grow(&s->export.row, len + 1) != 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d = s->export.row.data;
	/* most lines have no backslash at all: one look for the whole line */
	escaped = memchr(line, '\\', len) != NULL;
	while (col < s->table.rel->ncols)
	{
		struct decoder_column *c = &s->chunk.scratch[col++];
		const char *tab = memchr(line + i, '\t', len - i);
		size_t		end = tab ? (size_t) (tab - line) : len;

		if (end - i == 2 && line[i] == '\\' && line[i + 1] == 'N')
			c->kind = DECODER_COL_NULL;
		else if (!escaped || memchr(line + i, '\\', end - i) == NULL)
		{
			c->kind = DECODER_COL_TEXT;
			c->data = line + i;
			c->len = (uint32_t) (end - i);
		}
		else
		{
			char	   *start = d;

			while (i < end)
			{
				char		ch = line[i++];

				if (ch == '\\' && i < end)
				{
					ch = line[i++];
					switch (ch)
					{
						case 'b': ch = '\b'; break;
						case 'f': ch = '\f'; break;
						case 'n': ch = '\n'; break;
						case 'r': ch = '\r'; break;
						case 't': ch = '\t'; break;
						case 'v': ch = '\v'; break;
						default: break;
					}
				}
				*d++ = ch;
			}
			c->kind = DECODER_COL_TEXT;
			c->data = start;
			c->len = (uint32_t) (d - start);
		}
		i = end;
		if (col < s->table.rel->ncols)
		{
			if (i >= len)
				break;
			i++;				/* the tab */
		}
	}
	if (col != s->table.rel->ncols || i != len)
	{
		snprintf(err, errlen, "a COPY row of \"%s\".\"%s\" does not have its %d columns",
				 s->table.rel->schema, s->table.rel->table, s->table.rel->ncols);
		return -1;
	}
	t.ncols = s->table.rel->ncols;
	t.cols = s->chunk.scratch;
	if (event_read(s->ew, out, s->table.rel, &t, marker, lsn, now_ms, err, errlen) != 0)
		return -1;
	s->table.table_rows++;
	return 0;
}

/* Write the pending row with its marker (last: the table's last); 1, 0 if none, -1 (err). */
static int
write_pending(struct snapshot *s, int last, struct batch *out, uint64_t lsn, int64_t now_ms,
			  char *err, size_t errlen)
{
	int			rc;

	if (s->export.pending == NULL)
		return 0;
	rc = snap_export_row(s, s->export.pending, s->export.pending_len,
						 snap_export_marker(s, s->export.pending_first, last),
						 out, lsn, now_ms, err, errlen);
	PQfreemem(s->export.pending);
	s->export.pending = NULL;
	s->export.pending_first = 0;
	return rc != 0 ? -1 : 1;
}

int
snap_export_take(struct snapshot *s, char *line, int len, struct batch *out,
				 uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	/* a row is written once the next shows whether it was the last */
	int			wrote = write_pending(s, 0, out, lsn, now_ms, err, errlen);

	if (wrote < 0)
	{
		PQfreemem(line);
		return -1;
	}
	/* COPY ends each row with a newline */
	s->export.pending = line;
	s->export.pending_len = (size_t) len - (line[len - 1] == '\n');
	return wrote;
}

int
snap_export_table_end(struct snapshot *s, struct batch *out, uint64_t lsn, int64_t now_ms,
					  char *err, size_t errlen)
{
	int			wrote = write_pending(s, 1, out, lsn, now_ms, err, errlen);

	if (wrote < 0)
		return -1;
	s->export.in_copy = 0;
	log_info("initial snapshot of \"%s.%s\" done: %" PRId64 " rows", s->queue.items[0].schema,
			 s->queue.items[0].table, s->table.table_rows);
	s->export.export_index++;
	s->export.steps++;
	snap_note_rows(s, 1);
	snap_remove_item(s, 0);
	return wrote;
}

long
snapshot_export_next(struct snapshot *s, struct batch *out, size_t limit, uint64_t lsn,
					 int64_t now_ms, char *err, size_t errlen)
{
	long		n = 0;

	while (batch_bytes(out) < limit)
	{
		char	   *line = NULL;
		int			len;

		if (!s->export.in_copy)
		{
			struct buf	q;
			PGresult   *res;
			int			rc;

			if (s->nitems == 0)
				return n;
			rc = snap_load_table(s, 1, err, errlen);
			if (rc < 0)
				return -1;
			if (rc == 0)
			{
				s->export.export_index++;
				s->export.steps++;	/* unqueued: progress too */
				continue;
			}
			s->table.table_rows = 0;
			s->table.started_rows = 0;
			s->table.started_us = mono_us();
			s->export.pending_first = 1;
			if ((rc = snap_ranges_start(s, err, errlen)) < 0)
				return -1;
			if (rc == 0)
			{
				buf_init(&q, 0);
				buf_lit(&q, "COPY (");
				buf_append(&q, s->table.sql.data, s->table.sql.len);
				buf_lit(&q, ") TO STDOUT");
				res = buf_failed(&q) ? NULL : snap_exec(s, q.data);
				buf_free(&q);
				if (PQresultStatus(res) != PGRES_COPY_OUT)
				{
					pgconn_result_error(s->side.conn, res, err, errlen);
					PQclear(res);
					return -1;
				}
				PQclear(res);
				log_info("initial snapshot of \"%s.%s\" started", s->queue.items[0].schema, s->queue.items[0].table);
			}
			s->export.in_copy = 1;
			snap_note_rows(s, 0);
		}
		if (s->export.nconns > 0)
		{
			long		m = snap_ranges_next(s, out, limit, lsn, now_ms, err, errlen);

			return m < 0 ? -1 : n + m;
		}
		len = PQgetCopyData(s->side.conn, &line, 0);
		if (len > 0)
		{
			int			rc = snap_export_take(s, line, len, out, lsn, now_ms, err, errlen);

			if (rc < 0)
				return -1;
			n += rc;
			continue;
		}
		if (len == -2)
		{
			pgconn_error(s->side.conn, err, errlen);
			return -1;
		}
		/* the table is done */
		{
			PGresult   *res = PQgetResult(s->side.conn);
			int			ok = PQresultStatus(res) == PGRES_COMMAND_OK;

			if (!ok)
				pgconn_result_error(s->side.conn, res, err, errlen);
			PQclear(res);
			while ((res = PQgetResult(s->side.conn)) != NULL)
				PQclear(res);
			if (!ok)
				return -1;
		}
		{
			int			rc = snap_export_table_end(s, out, lsn, now_ms, err, errlen);

			return rc < 0 ? -1 : n + rc;	/* a table's end: the caller records progress */
		}
	}
	return n;
}

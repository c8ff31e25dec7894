/*
 * snapshot_window.c — a chunk between watermarks: writing them, the
 * chunk query, reading the next chunk ahead in pipeline mode, the
 * window's edges as the stream passes them, and emitting the rows left.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "lsn.h"
#include "pgconn.h"
#include "snapshot_int.h"

static void ahead_send(struct snapshot *s);
static int ahead_take(struct snapshot *s);

/* The window's edge was streamed: open it, or close it and emit. */
void
snap_window_edge(struct snapshot *s, int close)
{
	if (!close && s->phase == SNAP_WAIT_OPEN)
		s->phase = SNAP_OPEN;
	else if (close && (s->phase == SNAP_OPEN || s->phase == SNAP_WAIT_OPEN))
	{
		s->phase = SNAP_EMIT;
		s->chunk.emit_kind = "incremental";
	}
}

/* ---- emitting ---- */

/* All rows of the chunk are out: move the table on. */
static void
chunk_done(struct snapshot *s)
{
	const struct snapshot_item *it = &s->queue.items[0];

	s->table.chunk_no++;				/* before the table, done, is forgotten */
	if (s->table.table_done)
	{
		log_info("%s snapshot of \"%s.%s\" done: %" PRId64 " rows",
				 it->blocking ? "blocking" : "incremental", it->schema, it->table,
				 s->table.table_rows);
		snap_note_rows(s, 1);
		if (s->table.in_cursor)
		{
			PQclear(snap_exec(s, "COMMIT"));
			s->table.in_cursor = 0;
		}
		snap_remove_item(s, 0);
		if (s->nitems == 0)
			log_info("snapshot done");
	}
	else if (s->chunk.nrows > 0 && !it->blocking)
	{
		/* the chunk's last row is the next chunk's start */
		if (s->table.last_key == NULL)
			s->table.last_key = calloc((size_t) s->table.nkeys, sizeof(char *));
		for (int j = 0; s->table.last_key && j < s->table.nkeys; j++)
		{
			free(s->table.last_key[j]);
			s->table.last_key[j] = strdup(PQgetvalue(s->chunk.res, s->chunk.nrows - 1, s->table.keyidx[j]));
		}
	}
	snap_drop_chunk(s);
	s->dirty = 1;
	if (s->phase == SNAP_EMIT)
		s->phase = SNAP_IDLE;
	/*
	 * The next chunk, read ahead, takes over before the stream goes on
	 * past this close, so its open watermark cannot be missed.
	 */
	if (s->win.ahead)
	{
		if (!s->queue.paused && s->phase == SNAP_IDLE && ahead_take(s))
			ahead_send(s);
		else
			snap_ahead_discard(s);
	}
}

long
snapshot_emit(struct snapshot *s, struct batch *out, size_t limit, uint64_t lsn,
			  int64_t now_ms, char *err, size_t errlen)
{
	long		n = 0;
	struct decoder_tuple t;

	if (s->phase != SNAP_EMIT)
		return 0;
	/*
	 * The chunk read ahead arrives meanwhile: take it off the socket, or
	 * its server stops at a full socket until these rows are out (a
	 * chunk's rows are more than a socket holds from a few thousand on),
	 * and parse it (PQisBusy), or that waits until the server is done
	 * and idle (about 0.3 µs a row).
	 */
	if (s->win.ahead && PQconsumeInput(s->side.conn) == 0)
		snap_ahead_discard(s);
	else if (s->win.ahead)
		(void) PQisBusy(s->side.conn);
	if (s->table.rel && s->chunk.scratch_cap < s->table.rel->ncols)
	{
		free(s->chunk.scratch);
		s->chunk.scratch = calloc((size_t) s->table.rel->ncols, sizeof(*s->chunk.scratch));
		if (s->chunk.scratch == NULL)
		{
			s->chunk.scratch_cap = 0;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->chunk.scratch_cap = s->table.rel->ncols;
	}
	while (s->chunk.emit_next < s->chunk.nrows && batch_bytes(out) < limit)
	{
		int			row = s->chunk.emit_next++;

		if (s->chunk.gone && s->chunk.gone[row])
			continue;
		t.ncols = s->table.rel->ncols;
		t.cols = s->chunk.scratch;
		for (int i = 0; i < t.ncols; i++)
		{
			if (PQgetisnull(s->chunk.res, row, i))
				s->chunk.scratch[i].kind = DECODER_COL_NULL;
			else
			{
				s->chunk.scratch[i].kind = DECODER_COL_TEXT;
				s->chunk.scratch[i].data = PQgetvalue(s->chunk.res, row, i);
				s->chunk.scratch[i].len = (uint32_t) PQgetlength(s->chunk.res, row, i);
			}
		}
		if (event_read(s->ew, out, s->table.rel, &t, s->chunk.emit_kind, lsn, now_ms, err, errlen) != 0)
			return -1;
		s->table.table_rows++;
		n++;
	}
	/* before chunk_done, which may finish the table (and notes it so) */
	snap_note_rows(s, 0);
	if (s->chunk.emit_next >= s->chunk.nrows)
		chunk_done(s);
	return n;
}

/* ---- chunk size ---- */

int64_t
snap_chunk_limit(const struct snapshot *s)
{
	int64_t		n = s->table.chunk_rows > 0 ? s->table.chunk_rows : SNAP_FIRST_ROWS;

	return n < s->cfg->chunk_size ? n : s->cfg->chunk_size;
}

void
snap_size_chunks(struct snapshot *s)
{
	PGresult   *res = s->chunk.res;
	int			nf;
	uint64_t	bytes = 0;
	uint64_t	rows;

	if (res == NULL || s->chunk.nrows == 0)
		return;
	nf = PQnfields(res);
	/* what the result holds per value besides its text: libpq's own entry */
	for (int r = 0; r < s->chunk.nrows; r++)
		for (int c = 0; c < nf; c++)
			bytes += (uint64_t) PQgetlength(res, r, c) + 16;
	rows = SNAP_CHUNK_BYTES / (bytes / (uint64_t) s->chunk.nrows + 1);
	if (rows < SNAP_MIN_ROWS)
		rows = SNAP_MIN_ROWS;
	s->table.chunk_rows = (int64_t) rows;
}

/* ---- SQL steps ---- */

static void
next_watermark_id(struct snapshot *s, char *out, size_t len, const char *what)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(out, len, "walcap-%ld%06ld-%d-%" PRIu64 "-%s", (long) tv.tv_sec,
			 (long) tv.tv_usec, (int) getpid(), ++s->win.watermark_seq, what);
}

/* The SQL writing a watermark: the row's insert ($1 id, $2 type), or the
 * open row's delete ($1 id) that closes an insert_delete window. */
static void
watermark_sql(struct snapshot *s, int delete_open, struct buf *q)
{
	buf_puts(q, delete_open ? "DELETE FROM " : "INSERT INTO ");
	pgconn_quote_qualified(q, s->cfg->signal_schema, CONFIG_SIGNAL_TABLE);
	buf_puts(q, delete_open ? " WHERE id = $1" : " (id, type, data) VALUES ($1, $2, NULL)");
}

/* Write a watermark row; 0, -1 connection lost, -2 refused (err set). */
static int
watermark(struct snapshot *s, const char *id, const char *type, int delete_open,
		  char *err, size_t errlen)
{
	struct buf	q;
	const char *params[2] = {id, type};
	PGresult   *res;
	int			rc = 0;

	buf_init(&q, 0);
	watermark_sql(s, delete_open, &q);
	if (buf_failed(&q))
	{
		buf_free(&q);
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	res = snap_exec_params(s, q.data, delete_open ? 1 : 2, params);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		pgconn_result_error(s->side.conn, res, err, errlen);
		rc = PQstatus(s->side.conn) == CONNECTION_OK ? -2 : -1;
	}
	PQclear(res);
	buf_free(&q);
	return rc;
}

/*
 * The chunk query: $1..$n the bound (max_key), and with after_last
 * $n+1..$2n the key the chunk starts after; its rows have the
 * snapshot's text after the table's columns.
 */
static void
chunk_sql(struct snapshot *s, struct buf *q, int after_last, int64_t limit)
{
	size_t		cols = s->table.sql_cols_end;

	/* its snapshot after the columns (take_snapshot), worked out once (an InitPlan); xid8 from 13 */
	buf_append(q, s->table.sql.data, cols);
	buf_puts(q, PQserverVersion(s->side.conn) >= 130000 ? ", (SELECT pg_catalog.pg_current_snapshot()::text)" :
			 ", (SELECT pg_catalog.txid_current_snapshot()::text)");
	buf_append(q, s->table.sql.data + cols, s->table.sql.len - cols);
	if (after_last)
	{
		buf_lit(q, " AND ");
		snap_key_list(s, q, NULL);
		buf_lit(q, " > ");
		snap_param_list(s, q, 1 + s->table.nkeys);
	}
	buf_lit(q, " ORDER BY ");
	for (int j = 0; j < s->table.nkeys; j++)
	{
		if (j)
			buf_lit(q, ", ");
		pgconn_quote_ident(q, s->table.rel->cols[s->table.keyidx[j]].name);
	}
	buf_printf(q, " LIMIT %" PRId64, limit);
}

static int
sqlstate_is(PGresult *res, const char *code)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return st && strcmp(st, code) == 0;
}

/* Run the chunk query with the key bounds; the result, or NULL (err). */
static PGresult *
chunk_query(struct snapshot *s, char *err, size_t errlen)
{
	const char *params[2 * SNAP_MAX_KEYS];
	struct buf	q;
	PGresult   *res;

	if (s->table.nkeys > SNAP_MAX_KEYS)
	{
		snprintf(err, errlen, "more than %d key columns", SNAP_MAX_KEYS);
		return NULL;
	}
	for (int j = 0; j < s->table.nkeys; j++)
	{
		params[j] = s->table.max_key[j];
		params[s->table.nkeys + j] = s->table.last_key ? s->table.last_key[j] : NULL;
	}
	buf_init(&q, 0);
	s->chunk.limit = snap_chunk_limit(s);
	chunk_sql(s, &q, s->table.last_key != NULL, s->chunk.limit);
	if (buf_failed(&q))
	{
		buf_free(&q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	res = snap_exec_params(s, q.data, s->table.last_key ? 2 * s->table.nkeys : s->table.nkeys,
						   (const char *const *) params);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (sqlstate_is(res, "42P01"))
			snprintf(err, errlen, "the table was dropped");
		else
			pgconn_result_error(s->side.conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * The chunk's snapshot, its rows' last column (chunk_sql): drop the rows
 * of changes streamed before that it does not show.  An empty chunk has
 * none, and no rows to drop.
 */
static void
take_snapshot(struct snapshot *s)
{
	int			col = s->table.rel->ncols;

	if (s->chunk.nrows > 0 && PQnfields(s->chunk.res) == col + 1 &&
		snap_set_snapshot(s, PQgetvalue(s->chunk.res, 0, col)) == 0)
		snap_apply_recent(s);
}

/* The chunk just read is the table's last: fewer rows than asked, or the bound reached. */
static void
note_table_end(struct snapshot *s)
{
	int			at_max = 1;

	if (s->chunk.nrows < s->chunk.limit)
	{
		s->table.table_done = 1;
		return;
	}
	for (int j = 0; j < s->table.nkeys && at_max; j++)
		at_max = strcmp(PQgetvalue(s->chunk.res, s->chunk.nrows - 1, s->table.keyidx[j]), s->table.max_key[j]) == 0;
	s->table.table_done = at_max;
}

/* ---- reading ahead ---- */

/*
 * Send the next chunk's three statements, one transaction (a single
 * sync: the pipeline's implicit transaction), without waiting: the open
 * watermark, the SELECT after the current chunk's last key, the close.  Nothing is sent when
 * the current chunk is the table's last, or for read.only and blocking
 * reads.  A failure here only means the next chunk is read the plain
 * way: watermarks nobody waits for are ignored in the stream.
 */
static void
ahead_send(struct snapshot *s)
{
	const char *params[2 * SNAP_MAX_KEYS];
	const char *wparams[2];
	struct buf	open_q, chunk_q, close_q;
	int			ok;

	if (s->win.ahead || s->read_only || s->nitems == 0 || s->queue.items[0].blocking ||
		s->table.table_done || s->queue.paused || s->chunk.nrows == 0 || s->table.nkeys > SNAP_MAX_KEYS ||
		s->side.conn == NULL)
		return;
	for (int j = 0; j < s->table.nkeys; j++)
	{
		params[j] = s->table.max_key[j];
		params[s->table.nkeys + j] = PQgetvalue(s->chunk.res, s->chunk.nrows - 1, s->table.keyidx[j]);
	}
	buf_init(&open_q, 0);
	buf_init(&chunk_q, 0);
	buf_init(&close_q, 0);
	watermark_sql(s, 0, &open_q);
	s->win.ahead_limit = snap_chunk_limit(s);
	chunk_sql(s, &chunk_q, 1, s->win.ahead_limit);
	watermark_sql(s, s->cfg->watermark_delete, &close_q);
	ok = !buf_failed(&open_q) && !buf_failed(&chunk_q) && !buf_failed(&close_q) &&
		PQenterPipelineMode(s->side.conn);
	if (ok)
	{
		next_watermark_id(s, s->win.ahead_open, sizeof(s->win.ahead_open), "open");
		s->win.ahead_close[0] = '\0';
		if (!s->cfg->watermark_delete)
			next_watermark_id(s, s->win.ahead_close, sizeof(s->win.ahead_close), "close");
		s->win.ahead = 1;
		s->win.ahead_opened = s->win.ahead_closed = 0;
		buf_reset(&s->win.ahead_keys);
		wparams[0] = s->win.ahead_open;
		wparams[1] = "snapshot-window-open";
		ok = PQsendQueryParams(s->side.conn, open_q.data, 2, NULL, wparams, NULL, NULL, 0) &&
			PQsendQueryParams(s->side.conn, chunk_q.data, 2 * s->table.nkeys, NULL, params, NULL, NULL, 0);
		if (ok && s->cfg->watermark_delete)
			ok = PQsendQueryParams(s->side.conn, close_q.data, 1, NULL, wparams, NULL, NULL, 0);
		else if (ok)
		{
			wparams[0] = s->win.ahead_close;
			wparams[1] = "snapshot-window-close";
			ok = PQsendQueryParams(s->side.conn, close_q.data, 2, NULL, wparams, NULL, NULL, 0);
		}
		ok = ok && PQpipelineSync(s->side.conn);
		if (!ok)
			snap_ahead_discard(s);
	}
	buf_free(&open_q);
	buf_free(&chunk_q);
	buf_free(&close_q);
}

/*
 * Take the read-ahead's results: up to 3 statement results into res (the
 * caller clears them) and leave pipeline mode.  1 when all three came,
 * 0 otherwise (the connection is then dropped if it was left unusable).
 */
static int
ahead_collect(struct snapshot *s, PGresult **res)
{
	int			nres = 0,
				nsync = 0,
				nnull = 0;

	while (s->win.ahead && nsync < 1 && nnull < 4)
	{
		PGresult   *r;

		pgconn_wait(s->side.conn, snap_on_wait, s);
		r = PQgetResult(s->side.conn);
		if (r == NULL)
		{
			/* one NULL ends each statement's results; more means none are coming */
			if (PQstatus(s->side.conn) != CONNECTION_OK)
				break;
			nnull++;
			continue;
		}
		nnull = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
			nsync++;
		else if (nres < 3 && PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
		{
			res[nres++] = r;
			continue;
		}
		PQclear(r);
	}
	s->win.ahead = 0;
	if (PQexitPipelineMode(s->side.conn) == 0)
	{
		/* results left behind: start over on a new connection */
		sideconn_close(&s->side);
		return 0;
	}
	return nres == 3 && nsync == 1;
}

/* Forget the read-ahead (its watermarks, when written, are ignored). */
void
snap_ahead_discard(struct snapshot *s)
{
	PGresult   *res[3] = {NULL, NULL, NULL};

	if (!s->win.ahead)
		return;
	ahead_collect(s, res);
	for (int i = 0; i < 3; i++)
		PQclear(res[i]);
}

/*
 * Make the read-ahead the current chunk, its window waiting to open;
 * 1, or 0 when any of its statements failed (the chunk is then read
 * the plain way, which reports the failure).
 */
static int
ahead_take(struct snapshot *s)
{
	PGresult   *res[3] = {NULL, NULL, NULL};
	int			opened,
				closed;
	int			ok = ahead_collect(s, res) &&
		PQresultStatus(res[0]) == PGRES_COMMAND_OK &&
		PQresultStatus(res[1]) == PGRES_TUPLES_OK &&
		PQresultStatus(res[2]) == PGRES_COMMAND_OK;

	PQclear(res[0]);
	PQclear(res[2]);
	if (!ok)
	{
		PQclear(res[1]);
		return 0;
	}
	s->chunk.res = res[1];
	s->chunk.nrows = PQntuples(res[1]);
	s->chunk.limit = s->win.ahead_limit;
	note_table_end(s);
	memcpy(s->win.open_id, s->win.ahead_open, sizeof(s->win.open_id));
	memcpy(s->win.close_id, s->win.ahead_close, sizeof(s->win.close_id));
	opened = s->win.ahead_opened;
	closed = s->win.ahead_closed;
	/*
	 * The server idles until the next chunk is asked for: ask first, then
	 * index this one (unless keys wait in ahead_keys, which sending
	 * resets).  No stream is read before this returns, so no edge of the
	 * next chunk can be missed meanwhile.
	 */
	if (s->win.ahead_keys.len == 0)
		ahead_send(s);
	if (snap_build_hash(s) != 0)
	{
		snap_ahead_discard(s);
		snap_drop_chunk(s);
		s->table.table_done = 0;
		return 0;
	}
	/* edges already streamed while the last chunk's rows went out */
	snap_apply_ahead_keys(s);
	snap_size_chunks(s);
	take_snapshot(s);
	s->phase = SNAP_WAIT_OPEN;
	if (opened)
		snap_window_edge(s, 0);
	if (closed)
		snap_window_edge(s, 1);
	if (!s->win.ahead)
		s->win.ahead_opened = s->win.ahead_closed = 0;
	return 1;
}

/* Read one chunk between watermarks; 1, or -1 (err), or 0 skipped. */
int
snap_read_chunk(struct snapshot *s, uint64_t lsn, uint64_t nevents, char *err, size_t errlen)
{
	PGresult   *res = NULL;
	int			rc;
	char		name[512];

	snprintf(name, sizeof(name), "%s.%s", s->queue.items[0].schema, s->queue.items[0].table);
	if (!s->read_only)
	{
		/*
		 * The open watermark, the SELECT and the close are one transaction:
		 * one commit to wait for.  Its window is empty in the stream; the
		 * chunk's snapshot says which changes before it are newer than
		 * its rows (snapshot_dedup.c).
		 */
		res = snap_exec(s, "BEGIN");
		rc = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!rc)
			pgconn_result_error(s->side.conn, res, err, errlen);
		PQclear(res);
		res = NULL;
		if (!rc)
			return -1;
		next_watermark_id(s, s->win.open_id, sizeof(s->win.open_id), "open");
		rc = watermark(s, s->win.open_id, "snapshot-window-open", 0, err, errlen);
		if (rc != 0 && PQstatus(s->side.conn) == CONNECTION_OK)
			PQclear(snap_exec(s, "ROLLBACK"));
		if (rc == -2 && s->cfg->read_only == 0 && PQserverVersion(s->side.conn) >= 130000)
		{
			log_warning("cannot write watermarks into \"%s\".\"%s\": %s; using read-only watermarks (pg_current_snapshot) instead",
						s->cfg->signal_schema, CONFIG_SIGNAL_TABLE, err);
			{
				struct buf	grant;

				buf_init(&grant, 0);
				admin_schema_usage_sql(&grant, s->cfg->signal_schema, ADMIN_ROLE);
				log_hint("%s; and INSERT, UPDATE, DELETE on the signal table, or set read.only=true",
						 buf_failed(&grant) ? "GRANT USAGE ON SCHEMA" : grant.data);
				buf_free(&grant);
			}
			s->read_only = 1;
			s->win.open_id[0] = '\0';
		}
		else if (rc != 0)
		{
			s->win.open_id[0] = '\0';
			if (rc == -1)
				return -1;
			log_error("snapshot of \"%s\" stopped: cannot write its watermark: %s", name, err);
			snap_remove_item(s, 0);
			snap_push_state(s, lsn, nevents);
			return 0;
		}
	}
	if (s->read_only)
	{
		res = snap_exec(s, PQserverVersion(s->side.conn) >= 130000 ?
					 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
					 "SELECT pg_current_snapshot()::text, pg_current_wal_lsn()::text" :
					 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
					 "SELECT txid_current_snapshot()::text, pg_current_wal_lsn()::text");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			pgconn_result_error(s->side.conn, res, err, errlen);
			PQclear(res);
			PQclear(snap_exec(s, "ROLLBACK"));
			return -1;
		}
		if (snap_set_snapshot(s, PQgetvalue(res, 0, 0)) != 0 ||
			lsn_parse(PQgetvalue(res, 0, 1), &s->win.ro_lsn) != 0)
		{
			snprintf(err, errlen, "unexpected snapshot \"%s\" at \"%s\"",
					 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
			PQclear(res);
			PQclear(snap_exec(s, "ROLLBACK"));
			return -1;
		}
		PQclear(res);
	}
	res = chunk_query(s, err, errlen);
	if (s->read_only)
		PQclear(snap_exec(s, "COMMIT"));
	else if (res == NULL && PQstatus(s->side.conn) == CONNECTION_OK)
		PQclear(snap_exec(s, "ROLLBACK"));
	if (res == NULL)
	{
		if (PQstatus(s->side.conn) != CONNECTION_OK)
			return -1;
		log_warning("incremental snapshot of \"%s\" ends: %s", name, err);
		snap_remove_item(s, 0);
		snap_push_state(s, lsn, nevents);
		return 0;
	}
	s->chunk.res = res;
	s->chunk.nrows = PQntuples(res);
	if (snap_build_hash(s) != 0)
	{
		snprintf(err, errlen, "out of memory");
		if (!s->read_only)
			PQclear(snap_exec(s, "ROLLBACK"));
		return -1;
	}
	note_table_end(s);
	snap_size_chunks(s);
	take_snapshot(s);
	if (s->read_only)
	{
		s->phase = SNAP_RO_WAIT;
		return 1;
	}
	s->phase = SNAP_WAIT_OPEN;
	if (s->cfg->watermark_delete)
		rc = watermark(s, s->win.open_id, NULL, 1, err, errlen);
	else
	{
		next_watermark_id(s, s->win.close_id, sizeof(s->win.close_id), "close");
		rc = watermark(s, s->win.close_id, "snapshot-window-close", 0, err, errlen);
	}
	if (rc == 0)
	{
		res = snap_exec(s, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			pgconn_result_error(s->side.conn, res, err, errlen);
			rc = -1;
		}
		PQclear(res);
	}
	else if (PQstatus(s->side.conn) == CONNECTION_OK)
		PQclear(snap_exec(s, "ROLLBACK"));
	if (rc != 0)
	{
		snap_drop_chunk(s);
		s->phase = SNAP_IDLE;
		s->win.open_id[0] = s->win.close_id[0] = '\0';
		return -1;
	}
	ahead_send(s);
	return 1;
}

/*
 * snapshot.c — the snapshot's public entry points and its step:
 * init/free, the questions the run loop asks, snapshot_step (start a
 * table, read a chunk, fetch blocking rows), snapshot_position,
 * snapshot_progress; and the snapshot's own connection.  The parts are
 * in the files snapshot_int.h lists; see snapshot.h for the design.
 */
#include "snapshot.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"
#include "snapshot_int.h"

#define SNAP_CURSOR "walcap_snapshot"

/* A new session: no cursor of the old one survives; name the session. */
static int
on_connect(void *arg, PGconn *conn, char *err, size_t errlen)
{
	struct snapshot *s = arg;

	(void) conn;
	(void) err;
	(void) errlen;
	s->table.in_cursor = 0;
	PQclear(snap_exec(s, "SET application_name = 'walcap snapshot'"));
	return 0;
}

void
snapshot_init(struct snapshot *s, const struct config *cfg,
			  struct event_writer *ew, relcache_resolver resolve, void *resolve_arg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->ew = ew;
	s->read_only = cfg->read_only;
	relcache_init(&s->table.meta, resolve, resolve_arg);
	buf_init(&s->table.sql, 0);
	buf_init(&s->chunk.keytext, 0);
	buf_init(&s->win.ahead_keys, 0);
	buf_init(&s->win.recent, 0);
	sideconn_init(&s->side, cfg, on_connect, s);
}

void
snapshot_free(struct snapshot *s)
{
	snap_clear_table(s);
	snap_ranges_end(s);
	free(s->export.snapname);
	snap_queue_free(s);
	snap_state_free(s);
	free(s->chunk.scratch);
	free(s->win.snap_xip);
	snap_free_keys(s->table.known, s->table.nknown);
	relcache_free(&s->table.meta);
	buf_free(&s->table.sql);
	buf_free(&s->chunk.keytext);
	buf_free(&s->win.ahead_keys);
	buf_free(&s->win.recent);
	buf_free(&s->export.row);
	PQfreemem(s->export.pending);
	sideconn_close(&s->side);
	memset(s, 0, sizeof(*s));
}

int
snapshot_active(const struct snapshot *s)
{
	return s->nitems > 0;
}

int
snapshot_emitting(const struct snapshot *s)
{
	return s->phase == SNAP_EMIT;
}

int
snapshot_holds_stream(const struct snapshot *s)
{
	return s->table.in_cursor;
}

int
snapshot_wants_position(const struct snapshot *s)
{
	return s->phase == SNAP_RO_WAIT;
}

/* ---- shared by the parts ---- */

void
snap_free_keys(char **k, int n)
{
	if (k == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

/* Forget the current table's state (the item stays queued). */
void
snap_clear_table(struct snapshot *s)
{
	snap_ahead_discard(s);
	snap_drop_chunk(s);
	if (s->table.in_cursor && s->side.conn)
		PQclear(snap_exec(s, "ROLLBACK"));
	s->table.in_cursor = 0;
	free(s->table.keyidx);
	snap_free_keys(s->table.keytypes, s->table.nkeys);
	/* before the table loads, last/max_key are a restored position's */
	snap_free_keys(s->table.last_key, s->table.rel ? s->table.nkeys : s->table.restored_nkeys);
	snap_free_keys(s->table.max_key, s->table.rel ? s->table.nkeys : s->table.restored_nkeys);
	s->table.chunk_rows = 0;
	free(s->chunk.map);
	free(s->table.pubfilter);
	s->table.pubfilter = NULL;
	s->table.keyidx = NULL;
	s->table.keytypes = s->table.last_key = s->table.max_key = NULL;
	s->chunk.map = NULL;
	s->chunk.mapped = NULL;
	s->table.nkeys = 0;
	s->table.rel = NULL;
	s->table.chunk_no = 0;
	s->table.table_rows = 0;
	s->table.table_done = 0;
	s->phase = SNAP_IDLE;
	s->win.open_id[0] = s->win.close_id[0] = '\0';
	buf_reset(&s->win.recent);	/* its keys are this table's */
	buf_reset(&s->table.sql);
}

void
snap_note_rows(struct snapshot *s, int done)
{
	struct metrics_table *t;

	if (s->met == NULL || s->nitems == 0 ||
		(t = metrics_table(s->met, s->queue.items[0].schema, s->queue.items[0].table)) == NULL)
		return;
	t->rows_scanned = s->table.table_rows;
	if (done)
		t->total_rows = s->table.table_rows;
	else
		t->total_rows = s->table.table_estimate > 0 ? s->table.table_estimate : -1;
}

/* The caller's wait hook, remembering when it abandoned a query. */
int
snap_on_wait(void *arg)
{
	struct snapshot *s = arg;

	if (s->on_wait == NULL || s->on_wait(s->wait_arg) == 0)
		return 0;
	s->abandoned = 1;
	return 1;
}

/* PQexec on the snapshot's connection, waiting as pgconn_exec does. */
PGresult *
snap_exec(struct snapshot *s, const char *sql)
{
	s->abandoned = 0;
	return pgconn_exec(s->side.conn, sql, 0, NULL, snap_on_wait, s);
}

/* The same with n text parameters. */
PGresult *
snap_exec_params(struct snapshot *s, const char *sql, int n, const char *const *params)
{
	s->abandoned = 0;
	return pgconn_exec(s->side.conn, sql, n, params, snap_on_wait, s);
}

PGconn *
snap_conn_get(struct snapshot *s, char *err, size_t errlen)
{
	snap_ahead_discard(s);			/* other SQL goes first; the chunk is read again */
	return sideconn_get(&s->side, err, errlen);
}

/* ---- the stream's position ---- */

void
snapshot_position(struct snapshot *s, uint64_t lsn, uint64_t nevents)
{
	if (s->phase == SNAP_RO_WAIT && lsn >= s->win.ro_lsn)
	{
		s->phase = SNAP_EMIT;
		s->chunk.emit_kind = "incremental";
	}
	snap_push_state(s, lsn, nevents);
}

/* ---- the step ---- */

/* Blocking: open the cursor, or fetch its next rows. */
static int
read_blocking(struct snapshot *s, char *err, size_t errlen)
{
	PGresult   *res;
	char		q[96];

	if (!s->table.in_cursor)
	{
		struct buf	b;

		buf_init(&b, 0);
		buf_lit(&b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; DECLARE " SNAP_CURSOR
				" NO SCROLL CURSOR FOR ");
		buf_puts(&b, s->table.sql.data);
		res = buf_failed(&b) ? NULL : snap_exec(s, b.data);
		buf_free(&b);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			pgconn_result_error(s->side.conn, res, err, errlen);
			PQclear(res);
			PQclear(snap_exec(s, "ROLLBACK"));
			if (PQstatus(s->side.conn) != CONNECTION_OK)
				return -1;
			log_warning("blocking snapshot of \"%s.%s\" ends: %s", s->queue.items[0].schema,
						s->queue.items[0].table, err);
			snap_remove_item(s, 0);
			return 0;
		}
		PQclear(res);
		s->table.in_cursor = 1;
	}
	s->chunk.limit = snap_chunk_limit(s);
	snprintf(q, sizeof(q), "FETCH %" PRId64 " FROM " SNAP_CURSOR, s->chunk.limit);
	res = snap_exec(s, q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(s->side.conn, res, err, errlen);
		PQclear(res);
		return -1;
	}
	s->chunk.res = res;
	s->chunk.nrows = PQntuples(res);
	s->table.table_done = s->chunk.nrows < s->chunk.limit;
	snap_size_chunks(s);
	s->phase = SNAP_EMIT;
	s->chunk.emit_kind = "true";
	return 1;
}

int
snapshot_step(struct snapshot *s, uint64_t lsn, uint64_t nevents, char *err, size_t errlen)
{
	int			rc;

	snap_push_state(s, lsn, nevents);
	if (s->phase != SNAP_IDLE || s->nitems == 0 || (s->queue.paused && !s->table.in_cursor))
		return 0;
	if (snap_conn_get(s, err, errlen) == NULL)
		return -1;
	if (s->table.rel == NULL)
	{
		char	  **last = s->table.last_key;
		char	  **max = s->table.max_key;
		int			nrestored = s->table.restored_nkeys;

		/* a restored position survives the (re)load of the table */
		s->table.last_key = s->table.max_key = NULL;
		rc = snap_load_table(s, 0, err, errlen);
		if (rc <= 0)
		{
			snap_free_keys(last, nrestored);
			snap_free_keys(max, nrestored);
			s->table.restored_nkeys = 0;
			snap_push_state(s, lsn, nevents);
			return rc < 0 ? -1 : 1;
		}
		if (last && nrestored == s->table.nkeys && !s->queue.items[0].blocking)
		{
			s->table.last_key = last;
			s->table.max_key = max;
		}
		else
		{
			/* read from the start (a blocking read cannot resume): count anew */
			snap_free_keys(last, nrestored);
			snap_free_keys(max, nrestored);
			s->table.chunk_no = s->table.table_rows = s->table.started_rows = 0;
		}
		s->table.restored_nkeys = 0;
		if (!s->queue.items[0].blocking && s->table.max_key == NULL)
		{
			rc = snap_load_max_key(s, err, errlen);
			if (rc == -1)
				return -1;
			if (rc == -2 || s->table.max_key == NULL)
			{
				if (rc == -2)
					log_warning("incremental snapshot of \"%s.%s\" ends: %s",
								s->queue.items[0].schema, s->queue.items[0].table, err);
				else
				{
					log_info("incremental snapshot of \"%s.%s\" done: 0 rows",
							 s->queue.items[0].schema, s->queue.items[0].table);
					snap_note_rows(s, 1);
				}
				snap_remove_item(s, 0);
				snap_push_state(s, lsn, nevents);
				return 1;
			}
		}
		snap_note_rows(s, 0);
		log_info("%s snapshot of \"%s.%s\" started%s", s->queue.items[0].blocking ? "blocking" : "incremental",
				 s->queue.items[0].schema, s->queue.items[0].table,
				 s->table.last_key ? " (resumed after the stored chunk)" : "");
	}
	if (s->queue.items[0].blocking)
		return read_blocking(s, err, errlen);
	return snap_read_chunk(s, lsn, nevents, err, errlen);
}

/* ---- progress ---- */

/* n with thousands separators */
static void
fmt_count(char *out, size_t len, int64_t n)
{
	char		digits[32];
	size_t		nd, o = 0;

	nd = (size_t) snprintf(digits, sizeof(digits), "%" PRId64, n < 0 ? 0 : n);
	for (size_t i = 0; i < nd && o + 1 < len; i++)
	{
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

int
snapshot_progress(const struct snapshot *s, int64_t now_us, char *out, size_t len)
{
	char		done[32], est[32], rate_s[32];
	double		secs;
	int64_t		rows, rate = 0;
	size_t		o;

	if (s->nitems == 0 || s->table.rel == NULL)
		return -1;
	rows = s->table.table_rows;
	secs = (double) (now_us - s->table.started_us) / 1e6;
	if (secs > 0.5)
		rate = (int64_t) ((double) (rows - s->table.started_rows) / secs);
	fmt_count(done, sizeof(done), rows);
	o = (size_t) snprintf(out, len, "snapshot of \"%s.%s\": %s", s->queue.items[0].schema,
						  s->queue.items[0].table, done);
	if (s->table.table_estimate > 0 && o < len)
	{
		fmt_count(est, sizeof(est), s->table.table_estimate);
		o += (size_t) snprintf(out + o, len - o, " of ~%s rows (%d%%)", est,
							   rows >= s->table.table_estimate ? 99 :
							   (int) (rows * 100 / s->table.table_estimate));
	}
	else if (o < len)
		o += (size_t) snprintf(out + o, len - o, " rows (no estimate: the table was never analyzed)");
	if (rate > 0 && !s->queue.paused && o < len)
	{
		fmt_count(rate_s, sizeof(rate_s), rate);
		o += (size_t) snprintf(out + o, len - o, ", %s rows/s", rate_s);
		if (s->table.table_estimate > rows && o < len)
		{
			int64_t		left = (s->table.table_estimate - rows) / rate;

			if (left < 120)
				o += (size_t) snprintf(out + o, len - o, ", about %" PRId64 " s left", left < 1 ? 1 : left);
			else if (left < 7200)
				o += (size_t) snprintf(out + o, len - o, ", about %" PRId64 " min left", (left + 30) / 60);
			else
				o += (size_t) snprintf(out + o, len - o, ", about %.1f h left", (double) left / 3600);
		}
	}
	if (s->queue.paused && o < len)
		o += (size_t) snprintf(out + o, len - o, ", paused");
	if (s->nitems > 1 && o < len)
		snprintf(out + o, len - o, "; %d more table%s queued", s->nitems - 1,
				 s->nitems == 2 ? "" : "s");
	return 0;
}

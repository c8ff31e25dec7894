/*
 * snapshot_ranges.c — a table of the initial snapshot read by several
 * connections at once (snapshot.max.threads): its pages cut into
 * ranges, each COPYed by a TID range scan in the slot's exported
 * snapshot, the rows taken from whichever connection has them.  The
 * server's share of a snapshot is its COPY, a core per connection;
 * walcap's is turning rows into events, on its one thread, so one
 * thread with several connections is what goes faster.
 *
 * A range is finished once its COPY ended and its last row is in the
 * batch (the pending row, held back for its marker, may be its own);
 * then the table's item leaves out the ranges finished, which is the
 * progress recorded: after a crash the incremental snapshot that
 * resumes reads only the other rows.  A ctid says where a row version
 * lies, and a row changed since the slot's snapshot is streamed anyway;
 * only a rewrite (VACUUM FULL, CLUSTER, a table-rewriting ALTER) moves
 * the rest, so the condition holds only while the table's file is the
 * one read.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgconn.h"
#include "snapshot_int.h"

/* 1 MiB: a table of fewer than twice that is one COPY */
#define RANGE_MIN_PAGES 128
/* ranges per connection: progress finer than a connection's share */
#define RANGES_PER_CONN 4
/* 1 GiB: what a crash can cost a large table is at most a range a connection */
#define RANGE_MAX_PAGES 131072
/* TID range scans (PostgreSQL 14): before, a ctid range scans the table */
#define RANGES_VERSION 140000

/* A connection just made: into the exported snapshot, as the first is. */
static int
on_connect(void *arg, PGconn *conn, char *err, size_t errlen)
{
	struct snapshot *s = arg;
	struct buf	q;
	PGresult   *res;
	int			rc = 0;

	buf_init(&q, 0);
	buf_lit(&q, "SET application_name = 'walcap snapshot'; "
			"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ");
	pgconn_quote_literal(&q, s->export.snapname ? s->export.snapname : "");
	res = buf_failed(&q) ? NULL : pgconn_exec(conn, q.data, 0, NULL, snap_on_wait, s);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		rc = -1;
	}
	PQclear(res);
	buf_free(&q);
	return rc;
}

/* Open connections until n are (conns[0] the snapshot's own); how many are. */
static int
open_conns(struct snapshot *s, int n)
{
	struct snapshot_export *x = &s->export;
	char		err[512];

	if (x->capconns < n)
	{
		struct snapshot_range_conn *c = realloc(x->conns, sizeof(*c) * (size_t) n);

		if (c == NULL)
			return x->capconns < 1 ? 1 : x->capconns;
		memset(c + x->capconns, 0, sizeof(*c) * (size_t) (n - x->capconns));
		for (int i = x->capconns; i < n; i++)
			sideconn_init(&c[i].side, s->cfg, on_connect, s);
		x->conns = c;
		x->capconns = n;
	}
	x->conns[0].conn = s->side.conn;
	for (int i = 1; i < n; i++)
	{
		if (x->conns[i].side.conn)
			continue;
		if (sideconn_get(&x->conns[i].side, err, sizeof(err)) == NULL)
		{
			log_warning("snapshot.max.threads: connection %d of %d for the initial snapshot: %s; going on with %d",
						i + 1, n, err, i);
			return i;
		}
	}
	for (int i = 1; i < n; i++)
		x->conns[i].conn = x->conns[i].side.conn;
	return n;
}

/* Append " AND (condition)" for the item's own condition and the row filter. */
static void
add_conditions(const struct snapshot *s, struct buf *q)
{
	if (s->export.base_filter)
		buf_printf(q, " AND (%s)", s->export.base_filter);
	if (s->table.pubfilter)
		buf_printf(q, " AND (%s)", s->table.pubfilter);
}

/* Range r as a ctid condition: its first page to the next range's. */
static void
range_condition(const struct snapshot *s, struct buf *q, int r)
{
	buf_printf(q, "ctid >= '(%" PRIu64 ",0)'::tid", (uint64_t) r * s->export.range_pages);
	if (r < s->export.nranges - 1)
		buf_printf(q, " AND ctid < '(%" PRIu64 ",0)'::tid", (uint64_t) (r + 1) * s->export.range_pages);
}

/* Start range r's COPY on connection c; 0, or -1 (err). */
static int
start_range(struct snapshot *s, struct snapshot_range_conn *c, int r, char *err, size_t errlen)
{
	struct buf	q;
	PGresult   *res;
	int			ok;

	buf_init(&q, 0);
	buf_lit(&q, "COPY (");
	buf_append(&q, s->table.sql.data, s->table.sql_from_end);
	buf_lit(&q, " WHERE ");
	range_condition(s, &q, r);
	add_conditions(s, &q);
	buf_lit(&q, ") TO STDOUT");
	res = buf_failed(&q) ? NULL : pgconn_exec(c->conn, q.data, 0, NULL, snap_on_wait, s);
	buf_free(&q);
	ok = PQresultStatus(res) == PGRES_COPY_OUT;
	if (!ok)
		pgconn_result_error(c->conn, res, err, errlen);
	PQclear(res);
	if (!ok)
		return -1;
	c->range = r;
	s->export.range_state[r] = SNAP_RANGE_READING;
	return 0;
}

int
snap_ranges_start(struct snapshot *s, char *err, size_t errlen)
{
	struct snapshot_export *x = &s->export;
	int			want = (int) s->cfg->snapshot_threads;
	char		oid[16];
	const char *params[1] = {oid};
	PGresult   *res;
	uint64_t	pages;

	x->nconns = 0;
	if (want <= 1 || s->table.relkind != 'r')
		return 0;				/* a partitioned table: one COPY through its root */
	if (PQserverVersion(s->side.conn) < RANGES_VERSION)
	{
		if (!x->threads_warned)
			log_info("snapshot.max.threads=%d: one connection per table, since before PostgreSQL 14 "
					 "a range of pages is read by scanning the whole table", want);
		x->threads_warned = 1;
		return 0;
	}
	snprintf(oid, sizeof(oid), "%u", s->table.rel->relid);
	res = snap_exec_params(s, "SELECT pg_catalog.pg_relation_size(c.oid) / "
						   "pg_catalog.current_setting('block_size')::bigint, c.relfilenode "
						   "FROM pg_catalog.pg_class c WHERE c.oid = $1::oid", 1, params);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		pgconn_result_error(s->side.conn, res, err, errlen);
		PQclear(res);
		return -1;
	}
	pages = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	x->relfilenode = (uint32_t) strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (pages < 2 * RANGE_MIN_PAGES)
		return 0;
	x->range_pages = (uint32_t) (pages / ((uint64_t) want * RANGES_PER_CONN));
	if (x->range_pages < RANGE_MIN_PAGES)
		x->range_pages = RANGE_MIN_PAGES;
	if (x->range_pages > RANGE_MAX_PAGES)
		x->range_pages = RANGE_MAX_PAGES;
	/* the last range is open-ended: it takes the rest, and pages added since */
	x->nranges = (int) (pages / x->range_pages);
	free(x->range_state);
	if ((x->range_state = calloc((size_t) x->nranges, 1)) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->nconns = open_conns(s, want < x->nranges ? want : x->nranges);
	if (x->nconns < 2)
	{
		x->nconns = 0;
		return 0;
	}
	free(x->base_filter);
	x->base_filter = NULL;
	if (s->queue.items[0].filter && (x->base_filter = strdup(s->queue.items[0].filter)) == NULL)
	{
		x->nconns = 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->next_range = 0;
	x->pending_range = -1;
	for (int i = 0; i < x->nconns; i++)
	{
		x->conns[i].range = -1;
		if (start_range(s, &x->conns[i], x->next_range++, err, errlen) != 0)
			return -1;
	}
	log_info("initial snapshot of \"%s.%s\" started: %d ranges of %u pages on %d connections",
			 s->queue.items[0].schema, s->queue.items[0].table, x->nranges, x->range_pages, x->nconns);
	return 1;
}

/*
 * The ranges finished so far left out of the table's item: the runs of
 * finished ranges as ctid conditions, void if the table's file is no
 * longer the one read.  0, or -1 out of memory.
 */
static int
leave_out_done(struct snapshot *s)
{
	struct snapshot_export *x = &s->export;
	struct snapshot_item *it = &s->queue.items[0];
	struct buf	f;
	int			any = 0;

	buf_init(&f, 0);
	if (x->base_filter)
		buf_printf(&f, "(%s) AND (", x->base_filter);
	buf_printf(&f, "(SELECT c.relfilenode FROM pg_catalog.pg_class c WHERE c.oid = %u) "
			   "IS DISTINCT FROM %u OR NOT (", s->table.rel->relid, x->relfilenode);
	for (int r = 0; r < x->nranges; r++)
	{
		int			end = r;

		if (x->range_state[r] != SNAP_RANGE_DONE)
			continue;
		while (end + 1 < x->nranges && x->range_state[end + 1] == SNAP_RANGE_DONE)
			end++;
		buf_printf(&f, "%s(ctid >= '(%" PRIu64 ",0)'::tid", any ? " OR " : "",
				   (uint64_t) r * x->range_pages);
		if (end < x->nranges - 1)
			buf_printf(&f, " AND ctid < '(%" PRIu64 ",0)'::tid", (uint64_t) (end + 1) * x->range_pages);
		buf_putc(&f, ')');
		any = 1;
		r = end;
	}
	buf_putc(&f, ')');
	if (x->base_filter)
		buf_putc(&f, ')');
	if (buf_failed(&f))
	{
		buf_free(&f);
		return -1;
	}
	free(it->filter);
	it->filter = buf_take(&f);
	s->dirty = 1;
	x->steps++;
	return 0;
}

/* Range r's last row is in the batch: it is finished. */
static int
range_done(struct snapshot *s, int r)
{
	s->export.range_state[r] = SNAP_RANGE_DONE;
	return 1;
}

/* Connection c's COPY ended: check it, start the next range; 1 if a range finished. */
static int
copy_ended(struct snapshot *s, struct snapshot_range_conn *c, char *err, size_t errlen)
{
	struct snapshot_export *x = &s->export;
	PGresult   *res = PQgetResult(c->conn);
	int			ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	int			r = c->range;
	int			finished = 0;

	if (!ok)
		pgconn_result_error(c->conn, res, err, errlen);
	PQclear(res);
	while ((res = PQgetResult(c->conn)) != NULL)
		PQclear(res);
	if (!ok)
		return -1;
	x->range_state[r] = SNAP_RANGE_READ;
	if (x->pending_range != r)
		finished = range_done(s, r);
	c->range = -1;
	if (x->next_range < x->nranges && start_range(s, c, x->next_range++, err, errlen) != 0)
		return -1;
	return finished;
}

/* Wait up to 100 ms for a reading connection to have data; -1 (err) on failure. */
static int
wait_any(struct snapshot *s, char *err, size_t errlen)
{
	struct snapshot_export *x = &s->export;
	struct pollfd p[64];
	int			n = 0,
				rc;

	for (int i = 0; i < x->nconns && n < 64; i++)
		if (x->conns[i].range >= 0)
			p[n++] = (struct pollfd) {PQsocket(x->conns[i].conn), POLLIN, 0};
	rc = poll(p, (nfds_t) n, 100);
	if (rc < 0 && errno != EINTR)
	{
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	if (rc == 0 && snap_on_wait(s))
	{
		snprintf(err, errlen, "the initial snapshot was abandoned");
		return -1;
	}
	return 0;
}

long
snap_ranges_next(struct snapshot *s, struct batch *out, size_t limit, uint64_t lsn,
				 int64_t now_ms, char *err, size_t errlen)
{
	struct snapshot_export *x = &s->export;
	long		n = 0;
	int			finished = 0;

	while (batch_bytes(out) < limit)
	{
		int			moved = 0,
					reading = 0;

		for (int i = 0; i < x->nconns && batch_bytes(out) < limit; i++)
		{
			struct snapshot_range_conn *c = &x->conns[i];

			while (c->range >= 0 && batch_bytes(out) < limit)
			{
				char	   *line = NULL;
				int			len = PQgetCopyData(c->conn, &line, 1);
				int			rc;

				if (len == 0)
				{
					if (PQconsumeInput(c->conn) == 0)
					{
						pgconn_error(c->conn, err, errlen);
						return -1;
					}
					if ((len = PQgetCopyData(c->conn, &line, 1)) == 0)
						break;
				}
				moved = 1;
				if (len == -2)
				{
					pgconn_error(c->conn, err, errlen);
					return -1;
				}
				if (len == -1)
				{
					if ((rc = copy_ended(s, c, err, errlen)) < 0)
						return -1;
					finished |= rc;
					continue;
				}
				rc = snap_export_take(s, line, len, out, lsn, now_ms, err, errlen);
				if (rc < 0)
					return -1;
				n += rc;
				/* the row written was the last of a range whose COPY ended */
				if (rc && x->pending_range >= 0 && x->pending_range != c->range &&
					x->range_state[x->pending_range] == SNAP_RANGE_READ)
					finished |= range_done(s, x->pending_range);
				x->pending_range = c->range;
			}
			reading |= c->range >= 0;
		}
		if (!reading)
		{
			/* every range read: the pending row is the table's last */
			int			rc;

			x->nconns = 0;
			free(x->range_state);
			x->range_state = NULL;
			free(x->base_filter);
			x->base_filter = NULL;
			rc = snap_export_table_end(s, out, lsn, now_ms, err, errlen);
			return rc < 0 ? -1 : n + rc;
		}
		if (finished)
			return leave_out_done(s) == 0 ? n : (snprintf(err, errlen, "out of memory"), -1);
		if (!moved)
		{
			if (n > 0)
				return n;		/* the caller goes on with these, then comes back */
			if (wait_any(s, err, errlen) != 0)
				return -1;
		}
	}
	return n;
}

void
snap_ranges_end(struct snapshot *s)
{
	struct snapshot_export *x = &s->export;

	for (int i = 1; i < x->capconns; i++)
		sideconn_close(&x->conns[i].side);
	free(x->conns);
	x->conns = NULL;
	x->capconns = x->nconns = 0;
	free(x->range_state);
	x->range_state = NULL;
	free(x->base_filter);
	x->base_filter = NULL;
	x->nranges = 0;
}

/*
 * snapshot.c — incremental and blocking snapshots; see snapshot.h.
 */
#include "snapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "catalog.h"
#include "clock.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "lsn.h"
#include "partition.h"
#include "pgconn.h"
#include "signals.h"

#define SNAP_CURSOR "walcap_snapshot"
#define SNAP_MAX_KEYS 32

static void clear_table(struct snapshot *s);
static void drop_chunk(struct snapshot *s);
static void free_keys(char **k, int n);
static void ahead_discard(struct snapshot *s);
static void ahead_send(struct snapshot *s);
static int ahead_take(struct snapshot *s);
static void next_watermark_id(struct snapshot *s, char *out, size_t len, const char *what);
static PGresult *snap_exec(struct snapshot *s, const char *sql);

void
snapshot_init(struct snapshot *s, const struct config *cfg,
			  struct event_writer *ew, relcache_resolver resolve, void *resolve_arg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->ew = ew;
	s->read_only = cfg->read_only;
	relcache_init(&s->meta, resolve, resolve_arg);
	buf_init(&s->sql, 0);
}

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

void
snapshot_free(struct snapshot *s)
{
	clear_table(s);
	for (int i = 0; i < s->nitems; i++)
		item_free(&s->items[i]);
	free(s->items);
	for (int i = 0; i < s->npending; i++)
		free(s->pending[i].state);
	free(s->pending);
	free(s->saved);
	free(s->scratch);
	free(s->ro_xip);
	free_keys(s->known, s->nknown);
	relcache_free(&s->meta);
	buf_free(&s->sql);
	buf_free(&s->row);
	buf_free(&s->pending_row);
	PQfinish(s->conn);
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
	return s->in_cursor;
}

int
snapshot_wants_position(const struct snapshot *s)
{
	return s->phase == SNAP_RO_WAIT;
}

/* ---- the queue ---- */

static char *
sdup(const char *p)
{
	return p ? strdup(p) : NULL;
}

static int
queued(const struct snapshot *s, const char *schema, const char *table)
{
	for (int i = 0; i < s->nitems; i++)
		if (strcmp(s->items[i].schema, schema) == 0 && strcmp(s->items[i].table, table) == 0)
			return 1;
	return 0;
}

/* Append a copy of *it; 0, or -1 out of memory. */
static int
push_item(struct snapshot *s, const struct snapshot_item *it)
{
	struct snapshot_item *n;

	if (s->nitems == s->capitems)
	{
		int			cap = s->capitems ? s->capitems * 2 : 8;

		n = realloc(s->items, sizeof(*n) * (size_t) cap);
		if (n == NULL)
			return -1;
		s->items = n;
		s->capitems = cap;
	}
	n = &s->items[s->nitems];
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
	s->nitems++;
	s->dirty = 1;
	return 0;
}

/* Whether a queued table came from the signal with this id. */
static int
signal_queued(const struct snapshot *s, const char *id)
{
	for (int i = 0; i < s->nitems; i++)
		if (s->items[i].signal && strcmp(s->items[i].signal, id) == 0)
			return 1;
	return 0;
}

/* Unqueue table i; its signal is done when it was that signal's last. */
static void
remove_item(struct snapshot *s, int i)
{
	char	   *signal = s->items[i].signal;

	if (i == 0)
		clear_table(s);
	s->items[i].signal = NULL;
	item_free(&s->items[i]);
	memmove(&s->items[i], &s->items[i + 1], sizeof(s->items[0]) * (size_t) (s->nitems - i - 1));
	s->nitems--;
	s->dirty = 1;
	if (signal && !signal_queued(s, signal))
		sigdone_add(&s->done, signal);
	free(signal);
	if (s->nitems == 0)
		s->paused = 0;
}

/* ---- the current table ---- */

static void
free_keys(char **k, int n)
{
	if (k == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

static void
drop_chunk(struct snapshot *s)
{
	PQclear(s->chunk);
	s->chunk = NULL;
	s->nrows = 0;
	free(s->gone);
	s->gone = NULL;
	free(s->hash);
	s->hash = NULL;
	s->nhash = 0;
	s->emit_next = 0;
}

/* Forget the current table's state (the item stays queued). */
static void
clear_table(struct snapshot *s)
{
	ahead_discard(s);
	drop_chunk(s);
	if (s->in_cursor && s->conn)
		PQclear(snap_exec(s, "ROLLBACK"));
	s->in_cursor = 0;
	free(s->keyidx);
	free_keys(s->keytypes, s->nkeys);
	free_keys(s->last_key, s->nkeys);
	free_keys(s->max_key, s->nkeys);
	free(s->map);
	free(s->pubfilter);
	s->pubfilter = NULL;
	s->keyidx = NULL;
	s->keytypes = s->last_key = s->max_key = NULL;
	s->map = NULL;
	s->mapped = NULL;
	s->nkeys = 0;
	s->rel = NULL;
	s->chunk_no = 0;
	s->table_rows = 0;
	s->table_done = 0;
	s->phase = SNAP_IDLE;
	s->open_id[0] = s->close_id[0] = '\0';
	buf_reset(&s->sql);
}

/* The caller's wait hook, remembering when it abandoned a query. */
static int
snap_on_wait(void *arg)
{
	struct snapshot *s = arg;

	if (s->on_wait == NULL || s->on_wait(s->wait_arg) == 0)
		return 0;
	s->abandoned = 1;
	return 1;
}

/* PQexec on the snapshot's connection, waiting as pgconn_exec does. */
static PGresult *
snap_exec(struct snapshot *s, const char *sql)
{
	s->abandoned = 0;
	return pgconn_exec(s->conn, sql, 0, NULL, snap_on_wait, s);
}

/* The same with n text parameters. */
static PGresult *
snap_exec_params(struct snapshot *s, const char *sql, int n, const char *const *params)
{
	s->abandoned = 0;
	return pgconn_exec(s->conn, sql, n, params, snap_on_wait, s);
}

static PGconn *
conn_get(struct snapshot *s, char *err, size_t errlen)
{
	ahead_discard(s);			/* other SQL goes first; the chunk is read again */
	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return s->conn;
	PQfinish(s->conn);
	s->in_cursor = 0;
	s->conn = pgconn_connect(s->cfg, 0, err, errlen);
	if (s->conn)
		PQclear(snap_exec(s, "SET application_name = 'walcap snapshot'"));
	return s->conn;
}

static int
sqlstate_is(PGresult *res, const char *code)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return st && strcmp(st, code) == 0;
}

/* "(k1, k2)" */
static void
key_list(struct snapshot *s, struct buf *b, const char *suffix)
{
	buf_putc(b, '(');
	for (int j = 0; j < s->nkeys; j++)
	{
		if (j)
			buf_lit(b, ", ");
		pgconn_quote_ident(b, s->rel->cols[s->keyidx[j]].name);
		if (suffix)
			buf_puts(b, suffix);
	}
	buf_putc(b, ')');
}

/* "($1::t1, $2::t2)" starting at parameter first */
static void
param_list(struct snapshot *s, struct buf *b, int first)
{
	buf_putc(b, '(');
	for (int j = 0; j < s->nkeys; j++)
		buf_printf(b, "%s$%d::%s", j ? ", " : "", first + j, s->keytypes[j]);
	buf_putc(b, ')');
}

/*
 * Append the conditions on the current table's rows: the signal's
 * additional condition and the publication's row filter, as " WHERE
 * (a) AND (b)", or " AND (a) AND (b)" after a condition (and set).
 */
static void
add_filters(const struct snapshot *s, struct buf *b, int and)
{
	const char *f[2] = {s->items[0].filter, s->pubfilter};

	for (int k = 0; k < 2; k++)
		if (f[k])
		{
			buf_printf(b, " %s (%s)", and ? "AND" : "WHERE", f[k]);
			and = 1;
		}
}

/* The columns of load_columns()'s result. */
enum
{
	LT_OID, LT_REPLIDENT, LT_ATTNAME, LT_TYPID, LT_TYPMOD, LT_KEYPOS, LT_FORMAT,
	LT_RELTUPLES, LT_NOTNULL, LT_RELKIND, LT_ISPARTITION, LT_ROWFILTER, LT_PKCOLS,
	LT_ENUM_LABELS, LT_BASE_TYPID, LT_TYPE_NAME	/* CATALOG_TYPE_INFO_SQL */
};

/*
 * The table's columns, one row each in column order, with its key
 * (params: schema, table, surrogate key or NULL, publication): only the
 * columns pgoutput sends of it, so that its snapshot rows have the shape
 * of its streamed rows, and the publication's row filter (15+), so that
 * they are the rows the stream would have sent.  pgoutput leaves out
 * generated columns (12+) unless the publication publishes them (18:
 * publish_generated_columns, or a column list naming them) and, from 15,
 * the columns outside the publication's column list; from 16
 * pg_publication_tables.attnames says exactly which it sends (15 lists
 * generated columns there although it never sends them).  A table the
 * publication does not list under its own name (a partition root
 * without publish_via_partition_root) gets its non-generated columns.
 * LT_PKCOLS is the primary key's number of columns (NULL without one),
 * for load_table to see a column list that leaves part of it out.
 */
static PGresult *
load_columns(struct snapshot *s, PGconn *conn, const char *const *params)
{
	int			v = PQserverVersion(conn);
	const char *published = "";
	struct buf	q;
	PGresult   *res;

	if (v >= 160000)
		published = "AND (a.attname = ANY (pt.attnames) OR pt.attnames IS NULL AND a.attgenerated = '') ";
	else if (v >= 150000)
		published = "AND a.attgenerated = '' AND (a.attname = ANY (pt.attnames) OR pt.attnames IS NULL) ";
	else if (v >= 120000)
		published = "AND a.attgenerated = '' ";
	buf_init(&q, 0);
	buf_printf(&q,
			   "SELECT c.oid, c.relreplident, a.attname, a.atttypid, a.atttypmod, "
			   "CASE WHEN $3::text IS NOT NULL THEN CASE WHEN a.attname = $3 THEN 1 END "
			   "ELSE (SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n) WHERE k.att = a.attnum) END, "
			   "format_type(a.atttypid, a.atttypmod), c.reltuples::bigint, a.attnotnull, "
			   "c.relkind, c.relispartition, %s, %s, "
			   CATALOG_TYPE_INFO_SQL
			   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
			   "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
			   "JOIN pg_type t ON t.oid = a.atttypid "
			   "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
			   "%s"
			   "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') "
			   "AND $4::text IS NOT NULL %s"
			   "ORDER BY a.attnum",
			   v >= 150000 ? "pt.rowfilter" : "NULL::text",
			   v >= 110000 ? "i.indnkeyatts" : "i.indnatts",
			   v >= 150000 ? "LEFT JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = $4 "
			   "AND pt.schemaname = n.nspname AND pt.tablename = c.relname " : "",
			   published);
	res = buf_failed(&q) ? NULL : snap_exec_params(s, q.data, 4, params);
	buf_free(&q);
	return res;
}

/*
 * A partitioned table without a primary key of its own (PostgreSQL 10
 * allows none) is read by its partitions' shared primary key
 * (partition.h): its column names, in key order, for load_table's
 * result res.  NULL with err on failure (a connection error when
 * conn is no longer OK).
 */
static PGresult *
leaf_key_query(struct snapshot *s, PGresult *res, char *err, size_t errlen)
{
	const char *params[1] = {PQgetvalue(res, 0, LT_OID)};
	PGresult   *kr = snap_exec_params(s,
									  "SELECT k.name FROM unnest(" PARTITION_LEAF_KEY_SQL("$1::oid") ") "
									  "WITH ORDINALITY k(name, n) ORDER BY k.n",
									  1, params);

	if (PQresultStatus(kr) == PGRES_TUPLES_OK)
		return kr;
	pgconn_result_error(s->conn, kr, err, errlen);
	PQclear(kr);
	return NULL;
}

/*
 * The key columns leaf_key_query() found (kr) as load_table's key: their
 * indexes in res, types, and the replica identity flag its streamed
 * changes have.  How many, -1 out of memory.
 */
static int
leaf_key(struct snapshot *s, PGresult *kr, PGresult *res, struct decoder_relcol *cols)
{
	int			nkeys = 0;

	for (int j = 0; j < PQntuples(kr); j++)
		for (int i = 0; i < PQntuples(res); i++)
			if (strcmp(cols[i].name, PQgetvalue(kr, j, 0)) == 0)
			{
				cols[i].flags |= 1;
				s->keyidx[nkeys] = i;
				if ((s->keytypes[nkeys] = strdup(PQgetvalue(res, i, LT_FORMAT))) == NULL)
					return -1;
				nkeys++;
			}
	return nkeys;
}

/*
 * Load the current item's columns and key, and the start of its query
 * (whole: all rows, no key needed).  Returns 1 when the table
 * can be read, 0 when it was dropped from the queue (logged), -1 on a
 * connection error.
 */
static int
load_table(struct snapshot *s, int whole, char *err, size_t errlen)
{
	struct snapshot_item *it = &s->items[0];
	const char *params[4] = {it->schema, it->table, it->surrogate_key,
	s->cfg->publication_name};
	PGconn	   *conn = conn_get(s, err, errlen);
	PGresult   *res;
	PGresult   *kr = NULL;		/* the partitions' key, when needed */
	struct decoder_msg m;
	struct decoder_relcol *cols = NULL;
	int			ncols, nkeys = 0;
	char		name[512];

	if (conn == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s.%s", it->schema, it->table);
	res = load_columns(s, conn, params);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		if (PQstatus(conn) != CONNECTION_OK)
			return -1;
		log_warning("snapshot of \"%s\" skipped: %s", name, err);
		remove_item(s, 0);
		return 0;
	}
	ncols = PQntuples(res);
	if (ncols == 0)
	{
		log_warning("snapshot of \"%s\" skipped: the table does not exist", name);
		PQclear(res);
		remove_item(s, 0);
		return 0;
	}
	if (PQgetvalue(res, 0, LT_ISPARTITION)[0] == 't' && PQserverVersion(conn) < PARTITION_VIAROOT_VERSION)
	{
		log_warning("snapshot of \"%s\" skipped: it is a partition, and walcap captures its rows as its partitioned table's", name);
		log_hint("snapshot the partitioned table: that reads every partition");
		PQclear(res);
		remove_item(s, 0);
		return 0;
	}
	if (PQgetvalue(res, 0, LT_RELKIND)[0] == 'p' && !it->surrogate_key)
	{
		int			has_pk = 0;

		for (int i = 0; i < ncols; i++)
			has_pk |= !PQgetisnull(res, i, LT_KEYPOS);
		if (!has_pk && (kr = leaf_key_query(s, res, err, errlen)) == NULL)
		{
			if (PQstatus(conn) != CONNECTION_OK)
			{
				PQclear(res);
				return -1;
			}
			log_warning("the key of the partitions of \"%s\" could not be read: %s", name, err);
		}
	}
	cols = calloc((size_t) ncols, sizeof(*cols));
	s->keyidx = calloc((size_t) ncols, sizeof(int));
	s->keytypes = calloc((size_t) ncols, sizeof(char *));
	if (cols == NULL || s->keyidx == NULL || s->keytypes == NULL)
		goto oom;
	for (int i = 0; i < ncols; i++)
	{
		cols[i].name = PQgetvalue(res, i, LT_ATTNAME);
		cols[i].typid = (uint32_t) strtoul(PQgetvalue(res, i, LT_TYPID), NULL, 10);
		cols[i].typmod = (int32_t) strtol(PQgetvalue(res, i, LT_TYPMOD), NULL, 10);
		cols[i].flags = (PQgetisnull(res, i, LT_KEYPOS) ? 0 : 1) |
			(PQgetvalue(res, i, LT_NOTNULL)[0] == 't' ? 4 : 0);	/* NOT NULL, for schemas */
	}
	/* key columns in index order */
	for (int pos = 1; pos <= ncols; pos++)
		for (int i = 0; i < ncols; i++)
			if (!PQgetisnull(res, i, LT_KEYPOS) && atoi(PQgetvalue(res, i, LT_KEYPOS)) == pos)
			{
				s->keyidx[nkeys] = i;
				if ((s->keytypes[nkeys] = strdup(PQgetvalue(res, i, LT_FORMAT))) == NULL)
					goto oom;
				nkeys++;
			}
	if (kr && (nkeys = leaf_key(s, kr, res, cols)) < 0)
		goto oom;
	PQclear(kr);
	kr = NULL;
	/*
	 * A column list that leaves out part of the primary key (legal for a
	 * publication of inserts only) leaves a key that is not unique:
	 * chunks by it would skip rows.  The table is then read whole, as a
	 * table without a key is by the initial snapshot.
	 */
	if (!it->surrogate_key && nkeys > 0 && !PQgetisnull(res, 0, LT_PKCOLS) &&
		nkeys < atoi(PQgetvalue(res, 0, LT_PKCOLS)))
	{
		if (!it->blocking && !whole)
		{
			log_warning("publication \"%s\" leaves part of the primary key of \"%s\" out of its column list: reading the table whole (blocking) instead of by its key in chunks",
						s->cfg->publication_name, name);
			log_hint("add the key's columns to the publication's column list, or name a unique, non-null published column as \"surrogate-key\"");
			it->blocking = 1;
			s->dirty = 1;
		}
		for (int j = 0; j < nkeys; j++)
		{
			cols[s->keyidx[j]].flags &= (uint8_t) ~1;
			free(s->keytypes[j]);
			s->keytypes[j] = NULL;
		}
		nkeys = 0;
	}
	s->nkeys = nkeys;
	if (!PQgetisnull(res, 0, LT_ROWFILTER) &&
		(s->pubfilter = strdup(PQgetvalue(res, 0, LT_ROWFILTER))) == NULL)
		goto oom;
	/* never analyzed: -1 (PostgreSQL 14+) or 0 */
	s->table_estimate = strtoll(PQgetvalue(res, 0, LT_RELTUPLES), NULL, 10);
	if (s->table_estimate <= 0)
		s->table_estimate = -1;
	s->started_us = mono_us();
	s->started_rows = s->table_rows;
	if (nkeys == 0 && !it->blocking && !whole)
	{
		if (it->surrogate_key)
			log_warning("snapshot of \"%s\" skipped: surrogate-key column \"%s\" does not exist",
						name, it->surrogate_key);
		else
		{
			log_warning("snapshot of \"%s\" skipped: the table has no primary key to read it by in chunks", name);
			log_hint("name a unique, non-null column as \"surrogate-key\" in the execute-snapshot signal, or ask for \"type\": \"blocking\"");
		}
		free(cols);
		PQclear(res);
		remove_item(s, 0);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.type = DECODER_RELATION;
	m.u.relation.relid = (uint32_t) strtoul(PQgetvalue(res, 0, LT_OID), NULL, 10);
	m.u.relation.nspname = it->schema;
	m.u.relation.relname = it->table;
	m.u.relation.replident = PQgetvalue(res, 0, LT_REPLIDENT)[0];
	m.u.relation.ncols = ncols;
	m.u.relation.cols = cols;
	s->rel = relcache_update(&s->meta, &m, err, errlen);
	free(cols);
	cols = NULL;
	for (int i = 0; s->rel && i < ncols; i++)
		if (relcache_set_type_info(s->rel, i, PQgetisnull(res, i, LT_ENUM_LABELS) ? NULL : PQgetvalue(res, i, LT_ENUM_LABELS),
								   (uint32_t) strtoul(PQgetvalue(res, i, LT_BASE_TYPID), NULL, 10),
								   PQgetisnull(res, i, LT_TYPE_NAME) ? NULL : PQgetvalue(res, i, LT_TYPE_NAME)) != 0)
			s->rel = NULL;
	PQclear(res);
	res = NULL;
	if (s->rel == NULL)
		goto oom;
	{
		/* the message key, as the stream's events of the table have it */
		const struct config_key_rule *rule = config_key_columns(s->cfg, it->schema, it->table);

		if (rule)
			(void) relcache_set_key(s->rel, rule->cols, rule->ncols);
	}

	/* the chunk query: after $1.. (last key), up to $n+1.. (max key) */
	buf_reset(&s->sql);
	buf_lit(&s->sql, "SELECT ");
	for (int i = 0; i < s->rel->ncols; i++)
	{
		if (i)
			buf_lit(&s->sql, ", ");
		pgconn_quote_ident(&s->sql, s->rel->cols[i].name);
	}
	buf_lit(&s->sql, " FROM ");
	pgconn_quote_qualified(&s->sql, it->schema, it->table);
	if (it->blocking || whole)
		add_filters(s, &s->sql, 0);
	else
	{
		/* the bound; chunk_query() adds the lower key and the order */
		buf_lit(&s->sql, " WHERE ");
		key_list(s, &s->sql, NULL);
		buf_lit(&s->sql, " <= ");
		param_list(s, &s->sql, 1);
		add_filters(s, &s->sql, 1);
	}
	if (buf_failed(&s->sql))
		goto oom;
	return 1;
oom:
	free(cols);
	PQclear(res);
	PQclear(kr);
	snprintf(err, errlen, "out of memory");
	log_error("snapshot of \"%s\": out of memory", name);
	remove_item(s, 0);
	return 0;
}

/* The newest key (the bound): NULL max_key and 0 if the table is empty. */
static int
load_max_key(struct snapshot *s, char *err, size_t errlen)
{
	struct snapshot_item *it = &s->items[0];
	struct buf	q;
	PGresult   *res;
	int			rc = -1;

	buf_init(&q, 0);
	buf_lit(&q, "SELECT ");
	for (int j = 0; j < s->nkeys; j++)
	{
		if (j)
			buf_lit(&q, ", ");
		pgconn_quote_ident(&q, s->rel->cols[s->keyidx[j]].name);
	}
	buf_lit(&q, " FROM ");
	pgconn_quote_qualified(&q, it->schema, it->table);
	add_filters(s, &q, 0);
	buf_lit(&q, " ORDER BY ");
	for (int j = 0; j < s->nkeys; j++)
	{
		if (j)
			buf_lit(&q, ", ");
		pgconn_quote_ident(&q, s->rel->cols[s->keyidx[j]].name);
		buf_lit(&q, " DESC");
	}
	buf_lit(&q, " LIMIT 1");
	if (buf_failed(&q))
	{
		snprintf(err, errlen, "out of memory");
		buf_free(&q);
		return -1;
	}
	res = snap_exec(s, q.data);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(s->conn, res, err, errlen);
		rc = PQstatus(s->conn) == CONNECTION_OK ? -2 : -1;
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) == 1)
	{
		s->max_key = calloc((size_t) s->nkeys, sizeof(char *));
		if (s->max_key == NULL)
			goto oom;
		for (int j = 0; j < s->nkeys; j++)
			if ((s->max_key[j] = strdup(PQgetvalue(res, 0, j))) == NULL)
				goto oom;
	}
	PQclear(res);
	return 0;
oom:
	PQclear(res);
	snprintf(err, errlen, "out of memory");
	return -2;
}

/* ---- the buffered chunk: lookup by key ---- */

static uint32_t
hash_bytes(uint32_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		h ^= (unsigned char) p[i];
		h *= 16777619u;
	}
	h ^= 0xffu;
	h *= 16777619u;
	return h;
}

static uint32_t
row_hash(const struct snapshot *s, int row)
{
	uint32_t	h = 2166136261u;

	for (int j = 0; j < s->nkeys; j++)
		h = hash_bytes(h, PQgetvalue(s->chunk, row, s->keyidx[j]),
					   (size_t) PQgetlength(s->chunk, row, s->keyidx[j]));
	return h;
}

static int
build_hash(struct snapshot *s)
{
	size_t		n = 16;

	while (n < (size_t) s->nrows * 2)
		n *= 2;
	s->hash = calloc(n, sizeof(uint32_t));
	s->gone = calloc((size_t) s->nrows + 1, 1);
	if (s->hash == NULL || s->gone == NULL)
		return -1;
	s->nhash = n;
	for (int i = 0; i < s->nrows; i++)
	{
		size_t		slot = row_hash(s, i) & (n - 1);

		while (s->hash[slot])
			slot = (slot + 1) & (n - 1);
		s->hash[slot] = (uint32_t) i + 1;
	}
	return 0;
}

/*
 * Map the key columns onto a stream relation's columns, by name (the
 * partitions of a partitioned table take turns: the map is redone
 * without allocating).
 */
static int
map_keys(struct snapshot *s, const struct relcache_rel *srel)
{
	if (s->mapped == srel)
		return 0;
	s->mapped = NULL;
	if (s->map == NULL &&
		(s->map = malloc(sizeof(int) * (size_t) (s->nkeys ? s->nkeys : 1))) == NULL)
		return -1;
	for (int j = 0; j < s->nkeys; j++)
	{
		const char *name = s->rel->cols[s->keyidx[j]].name;

		s->map[j] = -1;
		for (int i = 0; i < srel->ncols; i++)
			if (strcmp(srel->cols[i].name, name) == 0)
				s->map[j] = i;
		if (s->map[j] < 0)
			return -1;
	}
	s->mapped = srel;
	return 0;
}

/* Drop the buffered row whose key the streamed tuple t has. */
static void
forget_key(struct snapshot *s, const struct decoder_tuple *t)
{
	uint32_t	h = 2166136261u;
	size_t		slot;

	for (int j = 0; j < s->nkeys; j++)
	{
		const struct decoder_column *c;

		if (s->map[j] >= t->ncols)
			return;
		c = &t->cols[s->map[j]];
		if (c->kind != DECODER_COL_TEXT)
			return;				/* a key is never NULL or unchanged */
		h = hash_bytes(h, c->data, c->len);
	}
	for (slot = h & (s->nhash - 1); s->hash[slot]; slot = (slot + 1) & (s->nhash - 1))
	{
		int			row = (int) s->hash[slot] - 1;
		int			same = 1;

		for (int j = 0; j < s->nkeys && same; j++)
		{
			const struct decoder_column *c = &t->cols[s->map[j]];
			int			k = s->keyidx[j];

			same = (size_t) PQgetlength(s->chunk, row, k) == c->len &&
				memcmp(PQgetvalue(s->chunk, row, k), c->data, c->len) == 0;
		}
		if (same)
			s->gone[row] = 1;
	}
}

void
snapshot_begin(struct snapshot *s, uint32_t xid)
{
	if (s->phase != SNAP_RO_WAIT)
		return;
	/* visible to the chunk's snapshot: older than xmin, or done before xmax */
	if ((int32_t) (xid - s->ro_xmin) < 0)
		s->txn_invisible = 0;
	else if ((int32_t) (xid - s->ro_xmax) >= 0)
		s->txn_invisible = 1;
	else
	{
		s->txn_invisible = 0;
		for (int i = 0; i < s->ro_nxip; i++)
			if (s->ro_xip[i] == xid)
				s->txn_invisible = 1;
	}
}

void
snapshot_change(struct snapshot *s, const struct relcache_rel *rel,
				const struct decoder_msg *m)
{
	if (s->chunk == NULL || s->rel == NULL || rel->root_relid != s->rel->relid)
		return;
	if (s->phase == SNAP_RO_WAIT ? !s->txn_invisible : s->phase != SNAP_OPEN)
		return;
	if (map_keys(s, rel) != 0)
		return;
	if (m->u.change.old_kind)
		forget_key(s, &m->u.change.old);
	if (m->type != DECODER_DELETE)
		forget_key(s, &m->u.change.new);
}

/* ---- progress ---- */

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
static char *
serialize(const struct snapshot *s)
{
	struct buf	b;

	buf_init(&b, 0);
	if (s->nitems == 0 && s->done.n == 0)
		return strdup("");
	/* the current table's signal, for walcap status */
	buf_lit(&b, "{\"id\":");
	json_cstring(&b, s->nitems && s->items[0].signal ? s->items[0].signal : "");
	buf_printf(&b, ",\"paused\":%s,\"chunk\":%" PRId64 ",\"rows\":%" PRId64 ",\"last_key\":",
			   s->paused ? "true" : "false", s->chunk_no, s->table_rows);
	json_keys(&b, s->last_key, s->rel ? s->nkeys : s->restored_nkeys);
	buf_lit(&b, ",\"max_key\":");
	json_keys(&b, s->last_key ? s->max_key : NULL, s->rel ? s->nkeys : s->restored_nkeys);
	buf_lit(&b, ",\"tables\":[");
	for (int i = 0; i < s->nitems; i++)
	{
		const struct snapshot_item *it = &s->items[i];

		buf_puts(&b, i ? ",{\"schema\":" : "{\"schema\":");
		json_cstring(&b, it->schema);
		json_opt_string(&b, "table", it->table);
		json_opt_string(&b, "filter", it->filter);
		json_opt_string(&b, "surrogate_key", it->surrogate_key);
		json_opt_string(&b, "signal", it->signal);
		buf_printf(&b, ",\"blocking\":%s}", it->blocking ? "true" : "false");
	}
	buf_lit(&b, "],\"done\":");
	sigdone_json(&s->done, &b);
	buf_putc(&b, '}');
	return buf_take(&b);
}

static void
push_state(struct snapshot *s, uint64_t lsn, uint64_t nevents)
{
	char	   *st;

	sigdone_place(&s->done, lsn);
	if (!s->dirty)
		return;
	st = serialize(s);
	if (st == NULL)
		return;					/* stays dirty: tried again later */
	if (s->npending == s->cappending)
	{
		int			cap = s->cappending ? s->cappending * 2 : 8;
		struct snapshot_pending *n = realloc(s->pending, sizeof(*n) * (size_t) cap);

		if (n == NULL)
		{
			free(st);
			return;
		}
		s->pending = n;
		s->cappending = cap;
	}
	s->pending[s->npending].lsn = lsn;
	s->pending[s->npending].nevents = nevents;
	s->pending[s->npending].state = st;
	s->npending++;
	s->dirty = 0;
}

const char *
snapshot_state_at(struct snapshot *s, uint64_t lsn, uint64_t ndurable)
{
	int			n = 0;

	while (n < s->npending && s->pending[n].lsn <= lsn && s->pending[n].nevents <= ndurable)
		n++;
	if (n == 0)
		return NULL;
	free(s->saved);
	s->saved = s->pending[n - 1].state;
	for (int i = 0; i < n - 1; i++)
		free(s->pending[i].state);
	memmove(s->pending, s->pending + n, sizeof(s->pending[0]) * (size_t) (s->npending - n));
	s->npending -= n;
	return s->saved;
}

void
snapshot_confirmed(struct snapshot *s, uint64_t lsn)
{
	/* the next state recorded leaves them out */
	if (sigdone_forget(&s->done, lsn) > 0)
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
			free_keys(k, (int) j);
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
		if (it.schema == NULL || it.table == NULL || push_item(s, &it) != 0)
		{
			snprintf(err, errlen, "snapshot state: a table entry is malformed");
			jsonread_free(&doc);
			return -1;
		}
	}
	if (sigdone_from_json(&s->done, jsonread_get(root, "done"), err, errlen) != 0)
	{
		char		why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "snapshot state: %s", why);
		jsonread_free(&doc);
		return -1;
	}
	v = jsonread_get(root, "paused");
	s->paused = v && v->type == JSONREAD_TRUE;
	if ((v = jsonread_get(root, "chunk")) && v->type == JSONREAD_NUMBER)
		s->chunk_no = strtoll(jsonread_string(v), NULL, 10);
	if ((v = jsonread_get(root, "rows")) && v->type == JSONREAD_NUMBER)
		s->table_rows = strtoll(jsonread_string(v), NULL, 10);
	s->last_key = keys_from_json(jsonread_get(root, "last_key"), &nlast);
	s->max_key = keys_from_json(jsonread_get(root, "max_key"), &nmax);
	if ((s->last_key == NULL) != (s->max_key == NULL) || nlast != nmax)
	{
		free_keys(s->last_key, nlast);
		free_keys(s->max_key, nmax);
		s->last_key = s->max_key = NULL;
		s->chunk_no = s->table_rows = 0;
	}
	s->restored_nkeys = nlast;
	jsonread_free(&doc);
	s->dirty = 0;
	return 0;
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
	if (sigdone_has(&s->done, id))
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
		if (queued(s, c->schema, c->table))
			continue;
		memset(&it, 0, sizeof(it));
		it.schema = c->schema;
		it.table = c->table;
		it.filter = c->filter;
		it.surrogate_key = sig->surrogate_key;
		it.signal = (char *) id;
		it.blocking = sig->snapshot_type == SIGNAL_BLOCKING;
		if (push_item(s, &it) != 0)
		{
			log_error("signal \"%s\": out of memory", id);
			return;
		}
		added++;
	}
	if (added == 0)
	{
		/* nothing to read: over already, and a repeat must not start it */
		sigdone_add(&s->done, id);
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

	if (sig->ncollections == 0)
	{
		removed = s->nitems;
		while (s->nitems > 0)
			remove_item(s, s->nitems - 1);
	}
	for (int i = 0; i < sig->ncollections; i++)
		for (int j = s->nitems - 1; j >= 0; j--)
			if (strcmp(s->items[j].schema, sig->collections[i].schema) == 0 &&
				strcmp(s->items[j].table, sig->collections[i].table) == 0)
			{
				remove_item(s, j);
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
			if (t->cols[i].kind != DECODER_COL_TEXT)
				return 0;
			buf_append(out, t->cols[i].data, t->cols[i].len);
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

/* The window's edge was streamed: open it, or close it and emit. */
static void
window_edge(struct snapshot *s, int close)
{
	if (!close && s->phase == SNAP_WAIT_OPEN)
		s->phase = SNAP_OPEN;
	else if (close && (s->phase == SNAP_OPEN || s->phase == SNAP_WAIT_OPEN))
	{
		s->phase = SNAP_EMIT;
		s->emit_kind = "incremental";
	}
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
		if (m->u.change.old_kind && column_text(rel, &m->u.change.old, "id", &id) &&
			s->open_id[0] && strcmp(id.data, s->open_id) == 0 && s->cfg->watermark_delete)
			window_edge(s, 1);
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
		if (s->open_id[0] && strcmp(id.data, s->open_id) == 0)
			window_edge(s, 0);
		else if (s->close_id[0] && strcmp(id.data, s->close_id) == 0)
			window_edge(s, 1);
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
			if (!s->paused)
				s->dirty = 1;
			s->paused = 1;
			log_info("signal \"%s\": snapshot paused", id.data);
			break;
		case SIGNAL_RESUME_SNAPSHOT:
			if (s->paused)
				s->dirty = 1;
			s->paused = 0;
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

/* ---- the stream's position ---- */

void
snapshot_position(struct snapshot *s, uint64_t lsn, uint64_t nevents)
{
	if (s->phase == SNAP_RO_WAIT && lsn >= s->ro_lsn)
	{
		s->phase = SNAP_EMIT;
		s->emit_kind = "incremental";
	}
	push_state(s, lsn, nevents);
}

/* ---- emitting ---- */

/* All rows of the chunk are out: move the table on. */
static void
chunk_done(struct snapshot *s)
{
	const struct snapshot_item *it = &s->items[0];

	s->chunk_no++;				/* before the table, done, is forgotten */
	if (s->table_done)
	{
		log_info("%s snapshot of \"%s.%s\" done: %" PRId64 " rows",
				 it->blocking ? "blocking" : "incremental", it->schema, it->table,
				 s->table_rows);
		if (s->in_cursor)
		{
			PQclear(snap_exec(s, "COMMIT"));
			s->in_cursor = 0;
		}
		remove_item(s, 0);
		if (s->nitems == 0)
			log_info("snapshot done");
	}
	else if (s->nrows > 0 && !it->blocking)
	{
		/* the chunk's last row is the next chunk's start */
		if (s->last_key == NULL)
			s->last_key = calloc((size_t) s->nkeys, sizeof(char *));
		for (int j = 0; s->last_key && j < s->nkeys; j++)
		{
			free(s->last_key[j]);
			s->last_key[j] = strdup(PQgetvalue(s->chunk, s->nrows - 1, s->keyidx[j]));
		}
	}
	drop_chunk(s);
	s->dirty = 1;
	if (s->phase == SNAP_EMIT)
		s->phase = SNAP_IDLE;
	/*
	 * The next chunk, read ahead, takes over before the stream goes on
	 * past this close, so its open watermark cannot be missed.
	 */
	if (s->ahead)
	{
		if (!s->paused && s->phase == SNAP_IDLE && ahead_take(s))
			ahead_send(s);
		else
			ahead_discard(s);
	}
}

long
snapshot_emit(struct snapshot *s, struct buf *out, size_t limit, uint64_t lsn,
			  int64_t now_ms, char *err, size_t errlen)
{
	long		n = 0;
	struct decoder_tuple t;

	if (s->phase != SNAP_EMIT)
		return 0;
	if (s->rel && s->scratch_cap < s->rel->ncols)
	{
		free(s->scratch);
		s->scratch = calloc((size_t) s->rel->ncols, sizeof(*s->scratch));
		if (s->scratch == NULL)
		{
			s->scratch_cap = 0;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->scratch_cap = s->rel->ncols;
	}
	while (s->emit_next < s->nrows && out->len < limit)
	{
		int			row = s->emit_next++;

		if (s->gone && s->gone[row])
			continue;
		t.ncols = s->rel->ncols;
		t.cols = s->scratch;
		for (int i = 0; i < t.ncols; i++)
		{
			if (PQgetisnull(s->chunk, row, i))
				s->scratch[i].kind = DECODER_COL_NULL;
			else
			{
				s->scratch[i].kind = DECODER_COL_TEXT;
				s->scratch[i].data = PQgetvalue(s->chunk, row, i);
				s->scratch[i].len = (uint32_t) PQgetlength(s->chunk, row, i);
			}
		}
		if (event_read(s->ew, out, s->rel, &t, s->emit_kind, lsn, now_ms, err, errlen) != 0)
			return -1;
		buf_putc(out, '\n');
		s->table_rows++;
		n++;
	}
	if (s->emit_next >= s->nrows)
		chunk_done(s);
	return n;
}

/* ---- SQL steps ---- */

static void
next_watermark_id(struct snapshot *s, char *out, size_t len, const char *what)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(out, len, "walcap-%ld%06ld-%d-%" PRIu64 "-%s", (long) tv.tv_sec,
			 (long) tv.tv_usec, (int) getpid(), ++s->watermark_seq, what);
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
		pgconn_result_error(s->conn, res, err, errlen);
		rc = PQstatus(s->conn) == CONNECTION_OK ? -2 : -1;
	}
	PQclear(res);
	buf_free(&q);
	return rc;
}

/*
 * The chunk query: $1..$n the bound (max_key), and with after_last
 * $n+1..$2n the key the chunk starts after.
 */
static void
chunk_sql(struct snapshot *s, struct buf *q, int after_last)
{
	buf_append(q, s->sql.data, s->sql.len);
	if (after_last)
	{
		buf_lit(q, " AND ");
		key_list(s, q, NULL);
		buf_lit(q, " > ");
		param_list(s, q, 1 + s->nkeys);
	}
	buf_lit(q, " ORDER BY ");
	for (int j = 0; j < s->nkeys; j++)
	{
		if (j)
			buf_lit(q, ", ");
		pgconn_quote_ident(q, s->rel->cols[s->keyidx[j]].name);
	}
	buf_printf(q, " LIMIT %" PRId64, s->cfg->chunk_size);
}

/* Run the chunk query with the key bounds; the result, or NULL (err). */
static PGresult *
chunk_query(struct snapshot *s, char *err, size_t errlen)
{
	const char *params[2 * SNAP_MAX_KEYS];
	struct buf	q;
	PGresult   *res;

	if (s->nkeys > SNAP_MAX_KEYS)
	{
		snprintf(err, errlen, "more than %d key columns", SNAP_MAX_KEYS);
		return NULL;
	}
	for (int j = 0; j < s->nkeys; j++)
	{
		params[j] = s->max_key[j];
		params[s->nkeys + j] = s->last_key ? s->last_key[j] : NULL;
	}
	buf_init(&q, 0);
	chunk_sql(s, &q, s->last_key != NULL);
	if (buf_failed(&q))
	{
		buf_free(&q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	res = snap_exec_params(s, q.data, s->last_key ? 2 * s->nkeys : s->nkeys,
						   (const char *const *) params);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (sqlstate_is(res, "42P01"))
			snprintf(err, errlen, "the table was dropped");
		else
			pgconn_result_error(s->conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* The chunk just read is the table's last: fewer rows than asked, or the bound reached. */
static void
note_table_end(struct snapshot *s)
{
	int			at_max = 1;

	if (s->nrows < s->cfg->chunk_size)
	{
		s->table_done = 1;
		return;
	}
	for (int j = 0; j < s->nkeys && at_max; j++)
		at_max = strcmp(PQgetvalue(s->chunk, s->nrows - 1, s->keyidx[j]), s->max_key[j]) == 0;
	s->table_done = at_max;
}

/* ---- reading ahead ---- */

/*
 * Send the next chunk's three statements, each its own transaction (a
 * sync after each), without waiting: the open watermark, the SELECT
 * after the current chunk's last key, the close.  Nothing is sent when
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

	if (s->ahead || s->read_only || s->nitems == 0 || s->items[0].blocking ||
		s->table_done || s->paused || s->nrows == 0 || s->nkeys > SNAP_MAX_KEYS ||
		s->conn == NULL)
		return;
	for (int j = 0; j < s->nkeys; j++)
	{
		params[j] = s->max_key[j];
		params[s->nkeys + j] = PQgetvalue(s->chunk, s->nrows - 1, s->keyidx[j]);
	}
	buf_init(&open_q, 0);
	buf_init(&chunk_q, 0);
	buf_init(&close_q, 0);
	watermark_sql(s, 0, &open_q);
	chunk_sql(s, &chunk_q, 1);
	watermark_sql(s, s->cfg->watermark_delete, &close_q);
	ok = !buf_failed(&open_q) && !buf_failed(&chunk_q) && !buf_failed(&close_q) &&
		PQenterPipelineMode(s->conn);
	if (ok)
	{
		next_watermark_id(s, s->ahead_open, sizeof(s->ahead_open), "open");
		s->ahead_close[0] = '\0';
		if (!s->cfg->watermark_delete)
			next_watermark_id(s, s->ahead_close, sizeof(s->ahead_close), "close");
		s->ahead = 1;
		wparams[0] = s->ahead_open;
		wparams[1] = "snapshot-window-open";
		ok = PQsendQueryParams(s->conn, open_q.data, 2, NULL, wparams, NULL, NULL, 0) &&
			PQpipelineSync(s->conn) &&
			PQsendQueryParams(s->conn, chunk_q.data, 2 * s->nkeys, NULL, params, NULL, NULL, 0) &&
			PQpipelineSync(s->conn);
		if (ok && s->cfg->watermark_delete)
			ok = PQsendQueryParams(s->conn, close_q.data, 1, NULL, wparams, NULL, NULL, 0);
		else if (ok)
		{
			wparams[0] = s->ahead_close;
			wparams[1] = "snapshot-window-close";
			ok = PQsendQueryParams(s->conn, close_q.data, 2, NULL, wparams, NULL, NULL, 0);
		}
		ok = ok && PQpipelineSync(s->conn);
		if (!ok)
			ahead_discard(s);
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

	while (s->ahead && nsync < 3 && nnull < 3)
	{
		PGresult   *r;

		pgconn_wait(s->conn, snap_on_wait, s);
		r = PQgetResult(s->conn);
		if (r == NULL)
		{
			/* one NULL ends each statement's results; more means none are coming */
			if (PQstatus(s->conn) != CONNECTION_OK)
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
	s->ahead = 0;
	if (PQexitPipelineMode(s->conn) == 0)
	{
		/* results left behind: start over on a new connection */
		PQfinish(s->conn);
		s->conn = NULL;
		return 0;
	}
	return nres == 3 && nsync == 3;
}

/* Forget the read-ahead (its watermarks, when written, are ignored). */
static void
ahead_discard(struct snapshot *s)
{
	PGresult   *res[3] = {NULL, NULL, NULL};

	if (!s->ahead)
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
	s->chunk = res[1];
	s->nrows = PQntuples(res[1]);
	if (build_hash(s) != 0)
	{
		drop_chunk(s);
		return 0;
	}
	note_table_end(s);
	memcpy(s->open_id, s->ahead_open, sizeof(s->open_id));
	memcpy(s->close_id, s->ahead_close, sizeof(s->close_id));
	s->phase = SNAP_WAIT_OPEN;
	return 1;
}

/* Read one chunk between watermarks; 1, or -1 (err), or 0 skipped. */
static int
read_chunk(struct snapshot *s, uint64_t lsn, uint64_t nevents, char *err, size_t errlen)
{
	PGresult   *res = NULL;
	int			rc;
	char		name[512];

	snprintf(name, sizeof(name), "%s.%s", s->items[0].schema, s->items[0].table);
	if (!s->read_only)
	{
		next_watermark_id(s, s->open_id, sizeof(s->open_id), "open");
		rc = watermark(s, s->open_id, "snapshot-window-open", 0, err, errlen);
		if (rc == -2 && s->cfg->read_only == 0 && PQserverVersion(s->conn) >= 130000)
		{
			log_warning("cannot write watermarks into \"%s\".\"%s\": %s; using read-only watermarks (pg_current_snapshot) instead",
						s->cfg->signal_schema, CONFIG_SIGNAL_TABLE, err);
			log_hint("GRANT USAGE ON SCHEMA \"%s\" TO streamkap_role; and INSERT, UPDATE, DELETE on the signal table, or set read.only=true",
					 s->cfg->signal_schema);
			s->read_only = 1;
			s->open_id[0] = '\0';
		}
		else if (rc != 0)
		{
			s->open_id[0] = '\0';
			if (rc == -1)
				return -1;
			log_error("snapshot of \"%s\" stopped: cannot write its watermark: %s", name, err);
			remove_item(s, 0);
			push_state(s, lsn, nevents);
			return 0;
		}
	}
	if (s->read_only)
	{
		res = snap_exec(s, PQserverVersion(s->conn) >= 130000 ?
					 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
					 "SELECT pg_current_snapshot()::text, pg_current_wal_lsn()::text" :
					 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
					 "SELECT txid_current_snapshot()::text, pg_current_wal_lsn()::text");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			pgconn_result_error(s->conn, res, err, errlen);
			PQclear(res);
			PQclear(snap_exec(s, "ROLLBACK"));
			return -1;
		}
		{
			const char *snap = PQgetvalue(res, 0, 0);
			unsigned long long xmin, xmax;
			const char *p;
			int			n = 0;

			if (sscanf(snap, "%llu:%llu:", &xmin, &xmax) != 2 ||
				lsn_parse(PQgetvalue(res, 0, 1), &s->ro_lsn) != 0)
			{
				snprintf(err, errlen, "unexpected snapshot \"%s\"", snap);
				PQclear(res);
				PQclear(snap_exec(s, "ROLLBACK"));
				return -1;
			}
			s->ro_xmin = (uint32_t) xmin;
			s->ro_xmax = (uint32_t) xmax;
			p = strchr(strchr(snap, ':') + 1, ':') + 1;
			free(s->ro_xip);
			s->ro_xip = calloc(strlen(p) / 2 + 1, sizeof(uint32_t));
			while (s->ro_xip && *p)
			{
				s->ro_xip[n++] = (uint32_t) strtoull(p, (char **) &p, 10);
				if (*p == ',')
					p++;
				else
					break;
			}
			s->ro_nxip = n;
		}
		PQclear(res);
	}
	res = chunk_query(s, err, errlen);
	if (s->read_only)
		PQclear(snap_exec(s, "COMMIT"));
	if (res == NULL)
	{
		if (PQstatus(s->conn) != CONNECTION_OK)
			return -1;
		log_warning("incremental snapshot of \"%s\" ends: %s", name, err);
		remove_item(s, 0);
		push_state(s, lsn, nevents);
		return 0;
	}
	s->chunk = res;
	s->nrows = PQntuples(res);
	if (build_hash(s) != 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	note_table_end(s);
	if (s->read_only)
	{
		s->phase = SNAP_RO_WAIT;
		s->txn_invisible = 0;
		return 1;
	}
	s->phase = SNAP_WAIT_OPEN;
	if (s->cfg->watermark_delete)
		rc = watermark(s, s->open_id, NULL, 1, err, errlen);
	else
	{
		next_watermark_id(s, s->close_id, sizeof(s->close_id), "close");
		rc = watermark(s, s->close_id, "snapshot-window-close", 0, err, errlen);
	}
	if (rc != 0)
	{
		drop_chunk(s);
		s->phase = SNAP_IDLE;
		s->open_id[0] = s->close_id[0] = '\0';
		return -1;
	}
	ahead_send(s);
	return 1;
}

/* Blocking: open the cursor, or fetch its next rows. */
static int
read_blocking(struct snapshot *s, char *err, size_t errlen)
{
	PGresult   *res;
	char		q[96];

	if (!s->in_cursor)
	{
		struct buf	b;

		buf_init(&b, 0);
		buf_lit(&b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; DECLARE " SNAP_CURSOR
				" NO SCROLL CURSOR FOR ");
		buf_puts(&b, s->sql.data);
		res = buf_failed(&b) ? NULL : snap_exec(s, b.data);
		buf_free(&b);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			pgconn_result_error(s->conn, res, err, errlen);
			PQclear(res);
			PQclear(snap_exec(s, "ROLLBACK"));
			if (PQstatus(s->conn) != CONNECTION_OK)
				return -1;
			log_warning("blocking snapshot of \"%s.%s\" ends: %s", s->items[0].schema,
						s->items[0].table, err);
			remove_item(s, 0);
			return 0;
		}
		PQclear(res);
		s->in_cursor = 1;
	}
	snprintf(q, sizeof(q), "FETCH %" PRId64 " FROM " SNAP_CURSOR, s->cfg->chunk_size);
	res = snap_exec(s, q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(s->conn, res, err, errlen);
		PQclear(res);
		return -1;
	}
	s->chunk = res;
	s->nrows = PQntuples(res);
	s->table_done = s->nrows < s->cfg->chunk_size;
	s->phase = SNAP_EMIT;
	s->emit_kind = "true";
	return 1;
}

int
snapshot_step(struct snapshot *s, uint64_t lsn, uint64_t nevents, char *err, size_t errlen)
{
	int			rc;

	push_state(s, lsn, nevents);
	if (s->phase != SNAP_IDLE || s->nitems == 0 || (s->paused && !s->in_cursor))
		return 0;
	if (conn_get(s, err, errlen) == NULL)
		return -1;
	if (s->rel == NULL)
	{
		char	  **last = s->last_key;
		char	  **max = s->max_key;
		int			nrestored = s->restored_nkeys;

		/* a restored position survives the (re)load of the table */
		s->last_key = s->max_key = NULL;
		rc = load_table(s, 0, err, errlen);
		if (rc <= 0)
		{
			free_keys(last, nrestored);
			free_keys(max, nrestored);
			s->restored_nkeys = 0;
			push_state(s, lsn, nevents);
			return rc < 0 ? -1 : 1;
		}
		if (last && nrestored == s->nkeys && !s->items[0].blocking)
		{
			s->last_key = last;
			s->max_key = max;
		}
		else
		{
			/* read from the start (a blocking read cannot resume): count anew */
			free_keys(last, nrestored);
			free_keys(max, nrestored);
			s->chunk_no = s->table_rows = s->started_rows = 0;
		}
		s->restored_nkeys = 0;
		if (!s->items[0].blocking && s->max_key == NULL)
		{
			rc = load_max_key(s, err, errlen);
			if (rc == -1)
				return -1;
			if (rc == -2 || s->max_key == NULL)
			{
				if (rc == -2)
					log_warning("incremental snapshot of \"%s.%s\" ends: %s",
								s->items[0].schema, s->items[0].table, err);
				else
					log_info("incremental snapshot of \"%s.%s\" done: 0 rows",
							 s->items[0].schema, s->items[0].table);
				remove_item(s, 0);
				push_state(s, lsn, nevents);
				return 1;
			}
		}
		log_info("%s snapshot of \"%s.%s\" started%s", s->items[0].blocking ? "blocking" : "incremental",
				 s->items[0].schema, s->items[0].table,
				 s->last_key ? " (resumed after the stored chunk)" : "");
	}
	if (s->items[0].blocking)
		return read_blocking(s, err, errlen);
	return read_chunk(s, lsn, nevents, err, errlen);
}

/* ---- the initial snapshot's tables ---- */

/*
 * The publication's tables under the names the stream gives their
 * changes (partition.h: before 13, partitions as their roots), as cols
 * and whether each has a key to read it by in chunks, ordered by
 * order.  NULL with err if the query failed.
 */
static PGresult *
published(struct snapshot *s, const char *cols, const char *order, char *err, size_t errlen)
{
	const char *params[1] = {s->cfg->publication_name};
	struct buf	q;
	PGresult   *res;

	buf_init(&q, 0);
	buf_printf(&q, "SELECT %s, "
			   "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = pt.relid AND i.indisprimary) "
			   "OR (pt.relkind = 'p' AND " PARTITION_LEAF_KEY_SQL("pt.relid") " IS NOT NULL) "
			   "FROM %s ORDER BY %s",
			   cols, partition_published_sql(PQserverVersion(s->conn)), order);
	res = buf_failed(&q) ? NULL : snap_exec_params(s, q.data, 1, params);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (res == NULL)
			snprintf(err, errlen, "out of memory");
		else
			pgconn_result_error(s->conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
snapshot_queue_all(struct snapshot *s, char *err, size_t errlen)
{
	PGconn	   *conn = conn_get(s, err, errlen);
	PGresult   *res;

	if (conn == NULL)
		return -1;
	res = published(s, "pt.schemaname, pt.tablename", "1, 2", err, errlen);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
	{
		struct snapshot_item it;

		memset(&it, 0, sizeof(it));
		it.schema = PQgetvalue(res, i, 0);
		it.table = PQgetvalue(res, i, 1);
		if (strcmp(it.schema, s->cfg->signal_schema) == 0 &&
			strcmp(it.table, CONFIG_SIGNAL_TABLE) == 0)
			continue;
		if (config_table_included(s->cfg, it.schema, it.table) == 0 ||
			queued(s, it.schema, it.table))
			continue;
		if (PQgetvalue(res, i, 2)[0] != 't')
		{
			it.blocking = 1;
			log_warning("table \"%s.%s\" has no primary key: its initial snapshot is a blocking read",
						it.schema, it.table);
		}
		if (push_item(s, &it) != 0)
		{
			PQclear(res);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	PQclear(res);
	return 0;
}

/* ---- the initial snapshot from an exported snapshot ---- */

int
snapshot_export_begin(struct snapshot *s, const char *snapname, char *err, size_t errlen)
{
	PGconn	   *conn = conn_get(s, err, errlen);
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
	s->exporting = 1;
	s->export_index = 0;
	s->export_total = s->nitems;
	s->in_copy = 0;
	buf_init(&s->row, 0);
	buf_init(&s->pending_row, 0);
	return 0;
}

void
snapshot_export_end(struct snapshot *s)
{
	if (s->exporting && s->conn)
		PQclear(snap_exec(s, s->nitems == 0 ? "COMMIT" : "ROLLBACK"));
	s->exporting = 0;
	s->in_copy = 0;
	buf_free(&s->row);
	buf_free(&s->pending_row);
}

/* Debezium's marker for a row of the initial snapshot. */
static const char *
export_marker(const struct snapshot *s, int first_in_table, int last_in_table)
{
	int			first_table = s->export_index == 0;
	int			last_table = s->export_index == s->export_total - 1;

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
 * One COPY text-format line as a row of s->rel: fields split at tabs,
 * \N is NULL, backslash escapes undone into s->row.
 */
static int
export_row(struct snapshot *s, const char *line, size_t len, const char *marker,
		   struct buf *out, uint64_t lsn, int64_t now_ms, char *err, size_t errlen)
{
	struct decoder_tuple t;
	char	   *d;
	int			col = 0;
	size_t		i = 0;

	if (s->scratch_cap < s->rel->ncols)
	{
		free(s->scratch);
		s->scratch = calloc((size_t) s->rel->ncols, sizeof(*s->scratch));
		s->scratch_cap = s->scratch ? s->rel->ncols : 0;
		if (s->scratch == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	buf_reset(&s->row);
	if (buf_grow(&s->row, len + 1) != 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d = s->row.data;
	while (col < s->rel->ncols)
	{
		struct decoder_column *c = &s->scratch[col++];
		char	   *start = d;

		if (i + 1 < len + 1 && line[i] == '\\' && i + 1 < len && line[i + 1] == 'N' &&
			(i + 2 == len || line[i + 2] == '\t'))
		{
			c->kind = DECODER_COL_NULL;
			i += 2;
		}
		else
		{
			while (i < len && line[i] != '\t')
			{
				char		ch = line[i++];

				if (ch == '\\' && i < len)
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
		if (col < s->rel->ncols)
		{
			if (i >= len || line[i] != '\t')
				break;
			i++;
		}
	}
	if (col != s->rel->ncols || i != len)
	{
		snprintf(err, errlen, "a COPY row of \"%s\".\"%s\" does not have its %d columns",
				 s->rel->schema, s->rel->table, s->rel->ncols);
		return -1;
	}
	t.ncols = s->rel->ncols;
	t.cols = s->scratch;
	if (event_read(s->ew, out, s->rel, &t, marker, lsn, now_ms, err, errlen) != 0)
		return -1;
	buf_putc(out, '\n');
	s->table_rows++;
	return 0;
}

long
snapshot_export_next(struct snapshot *s, struct buf *out, size_t limit, uint64_t lsn,
					 int64_t now_ms, char *err, size_t errlen)
{
	long		n = 0;

	while (out->len < limit)
	{
		char	   *line = NULL;
		int			len;

		if (!s->in_copy)
		{
			struct buf	q;
			PGresult   *res;
			int			rc;

			if (s->nitems == 0)
				return n;
			rc = load_table(s, 1, err, errlen);
			if (rc < 0)
				return -1;
			if (rc == 0)
			{
				s->export_index++;
				continue;
			}
			buf_init(&q, 0);
			buf_lit(&q, "COPY (");
			buf_append(&q, s->sql.data, s->sql.len);
			buf_lit(&q, ") TO STDOUT");
			res = buf_failed(&q) ? NULL : snap_exec(s, q.data);
			buf_free(&q);
			if (PQresultStatus(res) != PGRES_COPY_OUT)
			{
				pgconn_result_error(s->conn, res, err, errlen);
				PQclear(res);
				return -1;
			}
			PQclear(res);
			s->in_copy = 1;
			s->table_rows = 0;
			s->started_rows = 0;
			s->started_us = mono_us();
			s->pending_first = 1;
			s->have_pending = 0;
			log_info("initial snapshot of \"%s.%s\" started", s->items[0].schema, s->items[0].table);
		}
		len = PQgetCopyData(s->conn, &line, 0);
		if (len > 0)
		{
			/* a row is written once the next shows whether it was the last */
			if (s->have_pending &&
				export_row(s, s->pending_row.data, s->pending_row.len,
						   export_marker(s, s->pending_first, 0), out, lsn, now_ms, err, errlen) != 0)
			{
				PQfreemem(line);
				return -1;
			}
			if (s->have_pending)
			{
				n++;
				s->pending_first = 0;
			}
			buf_reset(&s->pending_row);
			/* COPY ends each row with a newline */
			buf_append(&s->pending_row, line, (size_t) len - (line[len - 1] == '\n'));
			PQfreemem(line);
			if (buf_failed(&s->pending_row))
			{
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->have_pending = 1;
			continue;
		}
		if (len == -2)
		{
			pgconn_error(s->conn, err, errlen);
			return -1;
		}
		/* the table is done */
		{
			PGresult   *res = PQgetResult(s->conn);
			int			ok = PQresultStatus(res) == PGRES_COMMAND_OK;

			if (!ok)
				pgconn_result_error(s->conn, res, err, errlen);
			PQclear(res);
			while ((res = PQgetResult(s->conn)) != NULL)
				PQclear(res);
			if (!ok)
				return -1;
		}
		if (s->have_pending)
		{
			if (export_row(s, s->pending_row.data, s->pending_row.len,
						   export_marker(s, s->pending_first, 1), out, lsn, now_ms, err, errlen) != 0)
				return -1;
			n++;
		}
		s->have_pending = 0;
		s->in_copy = 0;
		log_info("initial snapshot of \"%s.%s\" done: %" PRId64 " rows", s->items[0].schema,
				 s->items[0].table, s->table_rows);
		s->export_index++;
		remove_item(s, 0);
		return n;				/* a table's end: the caller records progress */
	}
	return n;
}

/* ---- tables added to the publication ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
snapshot_poll_tables(struct snapshot *s, char *err, size_t errlen)
{
	PGconn	   *conn;
	PGresult   *res;
	char	  **now;
	int			n, added = 0;

	if (s->exporting || s->in_cursor)
		return 0;
	/*
	 * A connection the server closed (a restart) is found out on use:
	 * then once more, on a new one.  Not after a query abandoned on a
	 * silent path, where connecting would only wait again.
	 */
	for (int attempt = 0;; attempt++)
	{
		if ((conn = conn_get(s, err, errlen)) == NULL)
			return -1;
		res = published(s, "quote_ident(pt.schemaname) || '.' || quote_ident(pt.tablename), "
						"pt.schemaname, pt.tablename", "1", err, errlen);
		if (attempt > 0 || res != NULL || PQstatus(conn) == CONNECTION_OK || s->abandoned)
			break;
	}
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	now = calloc((size_t) n + 1, sizeof(char *));
	if (now == NULL)
	{
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		const char *key = PQgetvalue(res, i, 0);
		const char *sch = PQgetvalue(res, i, 1);
		const char *tab = PQgetvalue(res, i, 2);

		if ((now[i] = strdup(key)) == NULL)
		{
			free_keys(now, i);
			PQclear(res);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!s->known_loaded || bsearch(&key, s->known, (size_t) s->nknown, sizeof(char *), cmp_str))
			continue;
		if ((strcmp(sch, s->cfg->signal_schema) == 0 && strcmp(tab, CONFIG_SIGNAL_TABLE) == 0) ||
			config_table_included(s->cfg, sch, tab) == 0 || queued(s, sch, tab))
			continue;
		log_info("table \"%s.%s\" was added to publication \"%s\": %s", sch, tab,
				 s->cfg->publication_name,
				 s->cfg->snapshot_new_tables ? "snapshotting its existing rows" :
				 "its existing rows are not snapshotted (snapshot.new.tables=false)");
		if (s->cfg->snapshot_new_tables)
		{
			struct snapshot_item it;

			memset(&it, 0, sizeof(it));
			it.schema = (char *) sch;
			it.table = (char *) tab;
			it.blocking = PQgetvalue(res, i, 3)[0] != 't';
			if (push_item(s, &it) == 0)
				added++;
		}
	}
	PQclear(res);
	qsort(now, (size_t) n, sizeof(char *), cmp_str);
	free_keys(s->known, s->nknown);
	s->known = now;
	s->nknown = n;
	s->known_loaded = 1;
	return added;
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

	if (s->nitems == 0 || s->rel == NULL)
		return -1;
	rows = s->table_rows;
	secs = (double) (now_us - s->started_us) / 1e6;
	if (secs > 0.5)
		rate = (int64_t) ((double) (rows - s->started_rows) / secs);
	fmt_count(done, sizeof(done), rows);
	o = (size_t) snprintf(out, len, "snapshot of \"%s.%s\": %s", s->items[0].schema,
						  s->items[0].table, done);
	if (s->table_estimate > 0 && o < len)
	{
		fmt_count(est, sizeof(est), s->table_estimate);
		o += (size_t) snprintf(out + o, len - o, " of ~%s rows (%d%%)", est,
							   rows >= s->table_estimate ? 99 :
							   (int) (rows * 100 / s->table_estimate));
	}
	else if (o < len)
		o += (size_t) snprintf(out + o, len - o, " rows (no estimate: the table was never analyzed)");
	if (rate > 0 && !s->paused && o < len)
	{
		fmt_count(rate_s, sizeof(rate_s), rate);
		o += (size_t) snprintf(out + o, len - o, ", %s rows/s", rate_s);
		if (s->table_estimate > rows && o < len)
		{
			int64_t		left = (s->table_estimate - rows) / rate;

			if (left < 120)
				o += (size_t) snprintf(out + o, len - o, ", about %" PRId64 " s left", left < 1 ? 1 : left);
			else if (left < 7200)
				o += (size_t) snprintf(out + o, len - o, ", about %" PRId64 " min left", (left + 30) / 60);
			else
				o += (size_t) snprintf(out + o, len - o, ", about %.1f h left", (double) left / 3600);
		}
	}
	if (s->paused && o < len)
		o += (size_t) snprintf(out + o, len - o, ", paused");
	if (s->nitems > 1 && o < len)
		snprintf(out + o, len - o, "; %d more table%s queued", s->nitems - 1,
				 s->nitems == 2 ? "" : "s");
	return 0;
}

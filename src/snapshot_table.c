/*
 * snapshot_table.c — loading a table to read: its published columns,
 * its key (or its partitions'), its chunk query and its bound; and the
 * publication's tables, for the initial snapshot and for tables added
 * later.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "clock.h"
#include "log.h"
#include "partition.h"
#include "pgconn.h"
#include "snapshot_int.h"

/* "(k1, k2)" */
void
snap_key_list(struct snapshot *s, struct buf *b, const char *suffix)
{
	buf_putc(b, '(');
	for (int j = 0; j < s->table.nkeys; j++)
	{
		if (j)
			buf_lit(b, ", ");
		pgconn_quote_ident(b, s->table.rel->cols[s->table.keyidx[j]].name);
		if (suffix)
			buf_puts(b, suffix);
	}
	buf_putc(b, ')');
}

/* "($1::t1, $2::t2)" starting at parameter first */
void
snap_param_list(struct snapshot *s, struct buf *b, int first)
{
	buf_putc(b, '(');
	for (int j = 0; j < s->table.nkeys; j++)
		buf_printf(b, "%s$%d::%s", j ? ", " : "", first + j, s->table.keytypes[j]);
	buf_putc(b, ')');
}

/*
 * Append the conditions on the current table's rows: the signal's
 * additional condition and the publication's row filter, as " WHERE
 * (a) AND (b)", or " AND (a) AND (b)" after a condition (and set).
 */
void
snap_add_filters(const struct snapshot *s, struct buf *b, int and)
{
	const char *f[2] = {s->queue.items[0].filter, s->table.pubfilter};

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
 * for snap_load_table to see a column list that leaves part of it out.
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
 * (partition.h): its column names, in key order, for snap_load_table's
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
	pgconn_result_error(s->side.conn, kr, err, errlen);
	PQclear(kr);
	return NULL;
}

/*
 * The key columns leaf_key_query() found (kr) as snap_load_table's key: their
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
				s->table.keyidx[nkeys] = i;
				if ((s->table.keytypes[nkeys] = strdup(PQgetvalue(res, i, LT_FORMAT))) == NULL)
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
int
snap_load_table(struct snapshot *s, int whole, char *err, size_t errlen)
{
	struct snapshot_item *it = &s->queue.items[0];
	const char *params[4] = {it->schema, it->table, it->surrogate_key,
	s->cfg->publication_name};
	PGconn	   *conn = snap_conn_get(s, err, errlen);
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
		snap_remove_item(s, 0);
		return 0;
	}
	ncols = PQntuples(res);
	if (ncols == 0)
	{
		log_warning("snapshot of \"%s\" skipped: the table does not exist", name);
		PQclear(res);
		snap_remove_item(s, 0);
		return 0;
	}
	if (PQgetvalue(res, 0, LT_ISPARTITION)[0] == 't' && PQserverVersion(conn) < PARTITION_VIAROOT_VERSION)
	{
		log_warning("snapshot of \"%s\" skipped: it is a partition, and walcap captures its rows as its partitioned table's", name);
		log_hint("snapshot the partitioned table: that reads every partition");
		PQclear(res);
		snap_remove_item(s, 0);
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
	s->table.keyidx = calloc((size_t) ncols, sizeof(int));
	s->table.keytypes = calloc((size_t) ncols, sizeof(char *));
	if (cols == NULL || s->table.keyidx == NULL || s->table.keytypes == NULL)
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
				s->table.keyidx[nkeys] = i;
				if ((s->table.keytypes[nkeys] = strdup(PQgetvalue(res, i, LT_FORMAT))) == NULL)
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
			cols[s->table.keyidx[j]].flags &= (uint8_t) ~1;
			free(s->table.keytypes[j]);
			s->table.keytypes[j] = NULL;
		}
		nkeys = 0;
	}
	s->table.nkeys = nkeys;
	if (!PQgetisnull(res, 0, LT_ROWFILTER) &&
		(s->table.pubfilter = strdup(PQgetvalue(res, 0, LT_ROWFILTER))) == NULL)
		goto oom;
	/* never analyzed: -1 (PostgreSQL 14+) or 0 */
	s->table.table_estimate = strtoll(PQgetvalue(res, 0, LT_RELTUPLES), NULL, 10);
	if (s->table.table_estimate <= 0)
		s->table.table_estimate = -1;
	s->table.started_us = mono_us();
	s->table.started_rows = s->table.table_rows;
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
		snap_remove_item(s, 0);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.type = DECODER_RELATION;
	m.u.relation.relid = (uint32_t) strtoul(PQgetvalue(res, 0, LT_OID), NULL, 10);
	m.u.relation.nspname = it->schema;
	m.u.relation.relname = it->table;
	m.u.relation.replident = PQgetvalue(res, 0, LT_REPLIDENT)[0];
	s->table.relkind = PQgetvalue(res, 0, LT_RELKIND)[0];
	m.u.relation.ncols = ncols;
	m.u.relation.cols = cols;
	s->table.rel = relcache_update(&s->table.meta, &m, err, errlen);
	free(cols);
	cols = NULL;
	for (int i = 0; s->table.rel && i < ncols; i++)
		if (relcache_set_type_info(s->table.rel, i, PQgetisnull(res, i, LT_ENUM_LABELS) ? NULL : PQgetvalue(res, i, LT_ENUM_LABELS),
								   (uint32_t) strtoul(PQgetvalue(res, i, LT_BASE_TYPID), NULL, 10),
								   PQgetisnull(res, i, LT_TYPE_NAME) ? NULL : PQgetvalue(res, i, LT_TYPE_NAME)) != 0)
			s->table.rel = NULL;
	PQclear(res);
	res = NULL;
	if (s->table.rel == NULL)
		goto oom;
	{
		/* the message key, as the stream's events of the table have it */
		const struct config_key_rule *rule = config_key_columns(s->cfg, it->schema, it->table);

		if (rule)
			(void) relcache_set_key(s->table.rel, rule->cols, rule->ncols);
	}
	if (columns_bind(&s->cfg->columns, s->table.rel) != 0)
		goto oom;

	/* the chunk query: after $1.. (last key), up to $n+1.. (max key) */
	buf_reset(&s->table.sql);
	buf_lit(&s->table.sql, "SELECT ");
	for (int i = 0; i < s->table.rel->ncols; i++)
	{
		if (i)
			buf_lit(&s->table.sql, ", ");
		pgconn_quote_ident(&s->table.sql, s->table.rel->cols[i].name);
	}
	s->table.sql_cols_end = s->table.sql.len;
	buf_lit(&s->table.sql, " FROM ");
	pgconn_quote_qualified(&s->table.sql, it->schema, it->table);
	s->table.sql_from_end = s->table.sql.len;
	if (it->blocking || whole)
		snap_add_filters(s, &s->table.sql, 0);
	else
	{
		/* the bound; chunk_query() adds the lower key and the order */
		buf_lit(&s->table.sql, " WHERE ");
		snap_key_list(s, &s->table.sql, NULL);
		buf_lit(&s->table.sql, " <= ");
		snap_param_list(s, &s->table.sql, 1);
		snap_add_filters(s, &s->table.sql, 1);
	}
	if (buf_failed(&s->table.sql))
		goto oom;
	return 1;
oom:
	free(cols);
	PQclear(res);
	PQclear(kr);
	snprintf(err, errlen, "out of memory");
	log_error("snapshot of \"%s\": out of memory", name);
	snap_remove_item(s, 0);
	return 0;
}

/* The newest key (the bound): NULL max_key and 0 if the table is empty. */
int
snap_load_max_key(struct snapshot *s, char *err, size_t errlen)
{
	struct snapshot_item *it = &s->queue.items[0];
	struct buf	q;
	PGresult   *res;
	int			rc = -1;

	buf_init(&q, 0);
	buf_lit(&q, "SELECT ");
	for (int j = 0; j < s->table.nkeys; j++)
	{
		if (j)
			buf_lit(&q, ", ");
		pgconn_quote_ident(&q, s->table.rel->cols[s->table.keyidx[j]].name);
	}
	buf_lit(&q, " FROM ");
	pgconn_quote_qualified(&q, it->schema, it->table);
	snap_add_filters(s, &q, 0);
	buf_lit(&q, " ORDER BY ");
	for (int j = 0; j < s->table.nkeys; j++)
	{
		if (j)
			buf_lit(&q, ", ");
		pgconn_quote_ident(&q, s->table.rel->cols[s->table.keyidx[j]].name);
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
		pgconn_result_error(s->side.conn, res, err, errlen);
		rc = PQstatus(s->side.conn) == CONNECTION_OK ? -2 : -1;
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) == 1)
	{
		s->table.max_key = calloc((size_t) s->table.nkeys, sizeof(char *));
		if (s->table.max_key == NULL)
			goto oom;
		for (int j = 0; j < s->table.nkeys; j++)
			if ((s->table.max_key[j] = strdup(PQgetvalue(res, 0, j))) == NULL)
				goto oom;
	}
	PQclear(res);
	return 0;
oom:
	PQclear(res);
	snprintf(err, errlen, "out of memory");
	return -2;
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
			   cols, partition_published_sql(PQserverVersion(s->side.conn)), order);
	res = buf_failed(&q) ? NULL : snap_exec_params(s, q.data, 1, params);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (res == NULL)
			snprintf(err, errlen, "out of memory");
		else
			pgconn_result_error(s->side.conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
snapshot_queue_all(struct snapshot *s, char *err, size_t errlen)
{
	PGconn	   *conn = snap_conn_get(s, err, errlen);
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
			snap_queued(s, it.schema, it.table))
			continue;
		if (PQgetvalue(res, i, 2)[0] != 't')
		{
			it.blocking = 1;
			log_warning("table \"%s.%s\" has no primary key: its initial snapshot is a blocking read",
						it.schema, it.table);
		}
		if (snap_push_item(s, &it) != 0)
		{
			PQclear(res);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	PQclear(res);
	return 0;
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

	if (s->export.exporting || s->table.in_cursor)
		return 0;
	/*
	 * A connection the server closed (a restart) is found out on use:
	 * then once more, on a new one.  Not after a query abandoned on a
	 * silent path, where connecting would only wait again.
	 */
	for (int attempt = 0;; attempt++)
	{
		if ((conn = snap_conn_get(s, err, errlen)) == NULL)
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
			snap_free_keys(now, i);
			PQclear(res);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!s->table.known_loaded || bsearch(&key, s->table.known, (size_t) s->table.nknown, sizeof(char *), cmp_str))
			continue;
		if ((strcmp(sch, s->cfg->signal_schema) == 0 && strcmp(tab, CONFIG_SIGNAL_TABLE) == 0) ||
			config_table_included(s->cfg, sch, tab) == 0 || snap_queued(s, sch, tab))
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
			if (snap_push_item(s, &it) == 0)
				added++;
		}
	}
	PQclear(res);
	qsort(now, (size_t) n, sizeof(char *), cmp_str);
	snap_free_keys(s->table.known, s->table.nknown);
	s->table.known = now;
	s->table.nknown = n;
	s->table.known_loaded = 1;
	return added;
}

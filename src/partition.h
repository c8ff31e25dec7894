/*
 * partition.h — partitioned tables on servers without
 * publish_via_partition_root (PostgreSQL 10, 11 and 12).
 *
 * From 13 on, a publication with publish_via_partition_root = true
 * makes pgoutput send a partition's changes as changes of its topmost
 * partitioned table (the root): the root's OID, name and Relation
 * message, each row converted to the root's column order.  Before 13
 * every change arrives as its leaf partition's, so walcap does that
 * mapping itself and the events are the same as 13's:
 *
 *   - when a leaf's Relation message arrives, the catalog gives its root
 *     (pg_inherits followed up through every partitioned level, not
 *     through plain inheritance) and the root's columns in the root's
 *     order (partition_root_sql, partition_root_read);
 *   - the Relation message is rewritten as the root's: the root's schema
 *     and name, its columns in its order, matched to the leaf's by name
 *     (a partition may have its columns in another order, or dropped
 *     ones), each with the leaf's type and replica identity flag
 *     (partition_as_root), and the map from root to leaf positions kept
 *     in the relation cache (partition_cache does both);
 *   - each change's tuples are put in the root's order through that map
 *     (partition_remap_tuple): a copy of column descriptors into a
 *     caller-owned array, no allocation, no catalog lookup per row.
 *
 * The leaf's replica identity (its Relation message's key flags, the
 * 'K' or 'O' old tuple the WAL holds) is kept: on 13+ pgoutput goes by
 * the root's setting, the same unless a partition was given another.
 *
 * The SQL fragments below give the rest of walcap the same view:
 * the publication's tables as the stream names them (leaves as their
 * roots, each once), a partitioned table's partitions, and a key for a
 * partitioned table that has no primary key of its own (PostgreSQL 10
 * allows none): the primary key its partitions share.
 *
 * Ancestry is read from the catalog as it is when the Relation message
 * is decoded, not as it was when the change was made; pgoutput sends a
 * new Relation message after ATTACH/DETACH PARTITION (they invalidate
 * the partition's relcache entry), so a partition attached while walcap
 * runs is mapped from its first change on.
 */
#ifndef WALCAP_PARTITION_H
#define WALCAP_PARTITION_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "relcache.h"

/* Servers from this version on map partitions themselves (pubviaroot). */
#define PARTITION_VIAROOT_VERSION 130000

/* A leaf partition's topmost root, as partition_root_read() fills it. */
struct partition_root
{
	uint32_t	relid;			/* the root's OID */
	char	   *schema;
	char	   *table;
	int			ncols;
	char	  **cols;			/* the root's published columns, in its order */
};

/*
 * The query for one relation's root, with the relation's OID as $1:
 * one row per column of the root (root OID, schema, name, column name),
 * in the root's column order; no row when the relation is no partition.
 * Columns pgoutput leaves out (dropped; generated, PostgreSQL 12) are
 * left out.
 */
const char *partition_root_sql(int server_version);

/*
 * Fill *root from that query's result: 1 if the relation is a
 * partition, 0 if not, -1 out of memory (err).  partition_root_free()
 * releases what it holds.
 */
int			partition_root_read(const PGresult *res, struct partition_root *root,
								char *err, size_t errlen);
void		partition_root_free(struct partition_root *root);

/*
 * Rewrite the Relation message of a leaf as the root's: *out gets the
 * leaf's relid and replica identity, the root's schema and name, and
 * the message's columns (n = leaf->u.relation.ncols of them, written to
 * cols; map[i] is the leaf's position of column i): first those the
 * root has, in the root's order, then those it does not have, in the
 * message's order.  The catalog is read when the message is decoded,
 * so a column added to, dropped from or renamed in the partitioned table
 * since the change was made is not in both lists; such a change keeps
 * every column the message has, never failing (13+ converts it to the
 * root's row type as it was then, which this matches but for where a
 * dropped or renamed column comes).  *out points into leaf, root and
 * cols.
 */
void		partition_as_root(const struct partition_root *root,
							  const struct decoder_msg *leaf, struct decoder_msg *out,
							  struct decoder_relcol *cols, int *map);

/*
 * Cache the Relation message of the leaf m in c as its root's
 * (partition_as_root, relcache_update, relcache_set_root): the entry,
 * or NULL with err.
 */
struct relcache_rel *partition_cache(struct relcache *c, const struct partition_root *root,
									 const struct decoder_msg *m, char *err, size_t errlen);

/*
 * Put tuple t (ncols columns in the leaf's order) in the mapped order:
 * t->cols becomes scratch (ncols entries, caller-owned), scratch[i] =
 * the leaf's column map[i].  A tuple of another width is left as it is
 * (the event writer reports the mismatch).
 */
void		partition_remap_tuple(const int *map, int ncols, struct decoder_tuple *t,
								  struct decoder_column *scratch);

/*
 * SQL: "FROM"-able derived table pt(schemaname, tablename, relid,
 * relkind), the tables of publication $1 under the names their changes
 * carry: pg_publication_tables as it is from 13 on; before 13 each
 * partition listed there replaced by its topmost root, once.
 */
const char *partition_published_sql(int server_version);

/*
 * SQL: the partitions (leaves, at every level) of the partitioned table
 * whose OID is $1, one row each in name order: schema, name, OID,
 * whether publication $2 publishes it, and whether UPDATE and DELETE
 * work on it once published (it has a replica identity: a primary key
 * under DEFAULT, its USING INDEX index, or FULL).  The columns are
 * numbered PARTITION_LEAF_*.
 */
enum
{
	PARTITION_LEAF_SCHEMA, PARTITION_LEAF_TABLE, PARTITION_LEAF_RELID,
	PARTITION_LEAF_PUBLISHED, PARTITION_LEAF_IDENTITY
};
#define PARTITION_LEAVES_SQL \
	"WITH RECURSIVE tree(oid) AS (SELECT $1::oid UNION ALL " \
	"  SELECT i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid) " \
	"SELECT ln.nspname AS schemaname, l.relname, l.oid AS relid, " \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables pt WHERE pt.pubname = $2 " \
	"  AND pt.schemaname = ln.nspname AND pt.tablename = l.relname) AS published, " \
	" l.relreplident = 'f' " \
	" OR (l.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i " \
	"   WHERE i.indrelid = l.oid AND i.indisprimary)) " \
	" OR (l.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i " \
	"   WHERE i.indrelid = l.oid AND i.indisreplident)) AS identity " \
	"FROM tree t JOIN pg_catalog.pg_class l ON l.oid = t.oid AND l.relkind = 'r' " \
	"JOIN pg_catalog.pg_namespace ln ON ln.oid = l.relnamespace ORDER BY 1, 2"

/*
 * Run PARTITION_LEAVES_SQL for the partitioned table root and
 * publication pub on conn (a command's own connection): the result, or
 * NULL with err.  The caller PQclear()s it.
 */
PGresult   *partition_leaves(PGconn *conn, const char *root, const char *pub,
							 char *err, size_t errlen);

/*
 * SQL expression: the key of the partitioned table whose OID rel gives,
 * when it has no primary key (PostgreSQL 10 allows none on a
 * partitioned table): its partitions' primary key, as a text[] of
 * column names in key order, when every leaf has one, all on the same
 * columns, and they include every partitioning column of every level,
 * so that no two rows of the whole table share a key.  NULL otherwise.
 * It is what walcap chunks a snapshot of the root by, and what the
 * streamed changes of its leaves carry as their replica identity.
 */
#define PARTITION_LEAF_KEY_SQL(rel) \
	"(WITH RECURSIVE tree(oid) AS (SELECT " rel " UNION ALL " \
	"  SELECT i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid), " \
	" lk AS (SELECT (SELECT array_agg(a.attname::text ORDER BY x.n) FROM pg_catalog.pg_index i " \
	"   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY x(att, n) " \
	"   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.att " \
	"   WHERE i.indrelid = l.oid AND i.indisprimary) AS cols " \
	"  FROM tree t JOIN pg_catalog.pg_class l ON l.oid = t.oid AND l.relkind = 'r'), " \
	" k AS (SELECT min(cols) AS cols FROM lk " \
	"  HAVING count(*) > 0 AND count(cols) = count(*) AND count(DISTINCT cols) = 1) " \
	" SELECT k.cols FROM k WHERE NOT EXISTS (SELECT 1 FROM tree t " \
	"  JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = t.oid " \
	"  CROSS JOIN LATERAL unnest(p.partattrs::int2[]) x(att) " \
	"  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = x.att " \
	"  WHERE a.attname IS NULL OR NOT a.attname::text = ANY (k.cols)))"

#endif

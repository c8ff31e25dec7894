/*
 * partition.c — partition roots for servers before 13; see partition.h.
 */
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"

/*
 * Up from $1 through pg_inherits while the child is a partition (plain
 * inheritance children are published under their own names on every
 * version), then the topmost ancestor's columns.
 */
#define ROOT_SQL_HEAD \
	"WITH RECURSIVE up(oid, depth) AS (" \
	"  SELECT i.inhparent, 1 FROM pg_catalog.pg_inherits i " \
	"  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid AND c.relispartition " \
	"  WHERE i.inhrelid = $1::oid " \
	"  UNION ALL " \
	"  SELECT i.inhparent, u.depth + 1 FROM up u " \
	"  JOIN pg_catalog.pg_class c ON c.oid = u.oid AND c.relispartition " \
	"  JOIN pg_catalog.pg_inherits i ON i.inhrelid = u.oid), " \
	"top AS (SELECT oid FROM up ORDER BY depth DESC LIMIT 1) " \
	"SELECT r.oid, n.nspname, r.relname, a.attname FROM top " \
	"JOIN pg_catalog.pg_class r ON r.oid = top.oid " \
	"JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace " \
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped "
#define ROOT_SQL_TAIL "ORDER BY a.attnum"

const char *
partition_root_sql(int server_version)
{
	/* pgoutput leaves generated columns out of its messages (12 has them) */
	if (server_version >= 120000)
		return ROOT_SQL_HEAD "AND a.attgenerated = '' " ROOT_SQL_TAIL;
	return ROOT_SQL_HEAD ROOT_SQL_TAIL;
}

void
partition_root_free(struct partition_root *root)
{
	for (int i = 0; i < root->ncols; i++)
		free(root->cols[i]);
	free(root->cols);
	free(root->schema);
	free(root->table);
	memset(root, 0, sizeof(*root));
}

int
partition_root_read(const PGresult *res, struct partition_root *root,
					char *err, size_t errlen)
{
	int			n = PQntuples(res);

	memset(root, 0, sizeof(*root));
	if (n == 0)
		return 0;
	root->relid = (uint32_t) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	root->schema = strdup(PQgetvalue(res, 0, 1));
	root->table = strdup(PQgetvalue(res, 0, 2));
	root->cols = calloc((size_t) n, sizeof(char *));
	if (root->schema == NULL || root->table == NULL || root->cols == NULL)
		goto oom;
	for (int i = 0; i < n; i++)
	{
		if ((root->cols[i] = strdup(PQgetvalue(res, i, 3))) == NULL)
			goto oom;
		root->ncols = i + 1;
	}
	return 1;
oom:
	partition_root_free(root);
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
partition_as_root(const struct partition_root *root, const struct decoder_msg *leaf,
				  struct decoder_msg *out, struct decoder_relcol *cols, int *map)
{
	int			nleaf = leaf->u.relation.ncols;
	int			n = 0;

	/* the root's columns the leaf's message has, in the root's order */
	for (int i = 0; i < root->ncols; i++)
		for (int j = 0; j < nleaf; j++)
			if (strcmp(leaf->u.relation.cols[j].name, root->cols[i]) == 0)
			{
				map[n++] = j;
				break;
			}
	/* then the message's columns the root no longer has, in their order */
	for (int j = 0; j < nleaf; j++)
	{
		int			found = 0;

		for (int i = 0; i < root->ncols && !found; i++)
			found = strcmp(leaf->u.relation.cols[j].name, root->cols[i]) == 0;
		if (!found)
			map[n++] = j;
	}
	for (int i = 0; i < nleaf; i++)
		cols[i] = leaf->u.relation.cols[map[i]];
	*out = *leaf;
	out->u.relation.nspname = root->schema;
	out->u.relation.relname = root->table;
	out->u.relation.cols = cols;
}

struct relcache_rel *
partition_cache(struct relcache *c, const struct partition_root *root,
				const struct decoder_msg *m, char *err, size_t errlen)
{
	int			n = m->u.relation.ncols;
	struct decoder_relcol *cols = calloc((size_t) (n > 0 ? n : 1), sizeof(*cols));
	int		   *map = calloc((size_t) (n > 0 ? n : 1), sizeof(*map));
	struct decoder_msg as_root;
	struct relcache_rel *rel = NULL;

	if (cols == NULL || map == NULL)
		snprintf(err, errlen, "out of memory");
	else
	{
		partition_as_root(root, m, &as_root, cols, map);
		if ((rel = relcache_update(c, &as_root, err, errlen)) != NULL &&
			relcache_set_root(rel, root->relid, map, n) != 0)
		{
			snprintf(err, errlen, "out of memory");
			rel = NULL;
		}
	}
	free(cols);
	free(map);
	return rel;
}

void
partition_remap_tuple(const int *map, int ncols, struct decoder_tuple *t,
					  struct decoder_column *scratch)
{
	if (t->ncols != ncols)
		return;
	for (int i = 0; i < ncols; i++)
		scratch[i] = t->cols[map[i]];
	t->cols = scratch;
}

const char *
partition_published_sql(int server_version)
{
	if (server_version >= PARTITION_VIAROOT_VERSION)
		return "(SELECT t.schemaname, t.tablename, c.oid AS relid, c.relkind "
			"FROM pg_catalog.pg_publication_tables t "
			"JOIN pg_catalog.pg_namespace n ON n.nspname = t.schemaname "
			"JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tablename "
			"WHERE t.pubname = $1) pt";
	return "(WITH RECURSIVE pub(oid) AS ("
		"  SELECT c.oid FROM pg_catalog.pg_publication_tables t "
		"  JOIN pg_catalog.pg_namespace n ON n.nspname = t.schemaname "
		"  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tablename "
		"  WHERE t.pubname = $1), "
		" up(leaf, oid, depth) AS (SELECT oid, oid, 0 FROM pub "
		"  UNION ALL "
		"  SELECT u.leaf, i.inhparent, u.depth + 1 FROM up u "
		"  JOIN pg_catalog.pg_class c ON c.oid = u.oid AND c.relispartition "
		"  JOIN pg_catalog.pg_inherits i ON i.inhrelid = u.oid), "
		" top AS (SELECT DISTINCT ON (leaf) oid FROM up ORDER BY leaf, depth DESC) "
		" SELECT DISTINCT n.nspname AS schemaname, c.relname AS tablename, c.oid AS relid, c.relkind "
		" FROM top JOIN pg_catalog.pg_class c ON c.oid = top.oid "
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace) pt";
}

PGresult *
partition_leaves(PGconn *conn, const char *root, const char *pub, char *err, size_t errlen)
{
	const char *params[2] = {root, pub};
	PGresult   *res = PQexecParams(conn, PARTITION_LEAVES_SQL, 2, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

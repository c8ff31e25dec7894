/*
 * cli_check_objects.c — `walcap check` (cli_check.h): the objects the
 * setup creates and the tables it captures: signal table, offsets table
 * (offset.storage=postgres), publication,
 * and per captured table USAGE, SELECT, publication membership,
 * partitions, replica identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "cli_check.h"
#include "partition.h"
#include "pgconn.h"

/* ---- signal table ---- */

static void
signal_create_sql(struct ctx *x, struct buf *b)
{
	admin_signal_table_sql(b, x->c->signal_schema, 0);
	buf_putc(b, ';');
}

static void
signal_grant_sql(struct ctx *x, struct buf *b)
{
	admin_schema_usage_sql(b, x->c->signal_schema, x->grantee);
	buf_lit(b, ";\n");
	admin_signal_grant_sql(b, x->c->signal_schema, x->grantee, x->c->watermark_delete);
	buf_putc(b, ';');
}

void
check_signal(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[2] = {c->signal_schema, x->c->publication_name};
	char		err[512];
	PGresult   *res;
	struct buf	fix, cols;
	int			ok_cols;
	const char *want[3] = {"id", "type", "data"};
	int			need_delete;
	char		name[256];

	snprintf(name, sizeof(name), "%s.%s", c->signal_schema, CONFIG_SIGNAL_TABLE);
	buf_init(&fix, 0);
	buf_init(&cols, 0);
	res = check_query(x,
				"SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
				"a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype), "
				"has_schema_privilege(n.oid, 'USAGE'), "
				"has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, 'INSERT'), "
				"has_table_privilege(c.oid, 'UPDATE'), "
				"EXISTS (SELECT 1 FROM pg_publication_tables pt WHERE pt.pubname = $2 "
				"  AND pt.schemaname = n.nspname AND pt.tablename = c.relname), "
				"has_table_privilege(c.oid, 'DELETE') "
				"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
				"JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
				"WHERE n.nspname = $1 AND c.relname = '" CONFIG_SIGNAL_TABLE "' AND c.relkind IN ('r', 'p') "
				"ORDER BY a.attnum",
				2, params, err, sizeof(err));
	if (res == NULL)
	{
		check_add(x->r, V_SKIP, "signal_table", NULL, NULL, "could not be read: %s", err);
		goto out;
	}
	if (PQntuples(res) == 0)
	{
		buf_lit(&fix, "CREATE SCHEMA IF NOT EXISTS ");
		pgconn_quote_ident(&fix, c->signal_schema);
		buf_lit(&fix, ";\n");
		signal_create_sql(x, &fix);
		buf_putc(&fix, '\n');
		signal_grant_sql(x, &fix);
		check_add(x->r, V_FAIL, "signal_table",
			"snapshots are requested and tracked through it; without it no snapshot can run",
			check_text(&fix), "%s does not exist", name);
		check_add(x->r, V_SKIP, "signal_grants", NULL, NULL, "no signal table");
		check_add(x->r, V_SKIP, "signal_publication", NULL, NULL, "no signal table");
		goto out;
	}

	ok_cols = PQntuples(res) == 3;
	for (int i = 0; i < PQntuples(res); i++)
	{
		buf_printf(&cols, "%s%s %s", i ? ", " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		if (i < 3 && (strcmp(PQgetvalue(res, i, 0), want[i]) != 0 || !check_true(res, i, 2)))
			ok_cols = 0;
	}
	if (ok_cols)
		check_add(x->r, V_PASS, "signal_table", NULL, NULL, "%s (%s)", name, check_text(&cols));
	else
	{
		buf_lit(&fix, "DROP TABLE ");
		buf_puts(&fix, check_text(&x->sig));
		buf_lit(&fix, ";\n");
		signal_create_sql(x, &fix);
		buf_putc(&fix, '\n');
		signal_grant_sql(x, &fix);
		check_add(x->r, V_FAIL, "signal_table",
			"signals are read as rows (id, type, data); with other columns walcap cannot read them",
			check_text(&fix), "%s has columns (%s), expected (id varchar, type varchar, data varchar)",
			name, check_text(&cols));
	}

	need_delete = c->watermark_delete && !c->read_only;
	if (check_true(res, 0, 3) && check_true(res, 0, 4) && check_true(res, 0, 5) && check_true(res, 0, 6) &&
		(!need_delete || check_true(res, 0, 8)))
		check_add(x->r, V_PASS, "signal_grants", NULL, NULL, "USAGE on schema %s; SELECT, INSERT, UPDATE%s on %s",
			c->signal_schema, need_delete ? ", DELETE" : "", name);
	else
	{
		buf_reset(&fix);
		signal_grant_sql(x, &fix);
		check_add(x->r, V_FAIL, "signal_grants",
			"walcap writes watermark rows into the signal table during snapshots and reads it back",
			check_text(&fix), "%s lacks%s%s%s%s%s", c->user,
			check_true(res, 0, 3) ? "" : " USAGE on schema",
			check_true(res, 0, 4) ? "" : " SELECT", check_true(res, 0, 5) ? "" : " INSERT",
			check_true(res, 0, 6) ? "" : " UPDATE",
			need_delete && !check_true(res, 0, 8) ? " DELETE (incremental.snapshot.watermarking.strategy=insert_delete)" : "");
	}

	if (!x->pub_found)
		check_add(x->r, V_SKIP, "signal_publication", NULL, NULL, "no publication");
	else if (x->pub_all)
		check_add(x->r, V_PASS, "signal_publication", NULL, NULL,
			"publication %s is FOR ALL TABLES", c->publication_name);
	else if (check_true(res, 0, 7))
		check_add(x->r, V_PASS, "signal_publication", NULL, NULL, "%s is in publication %s",
			name, c->publication_name);
	else
	{
		buf_reset(&fix);
		admin_publication_add_sql(&fix, c->publication_name);
		buf_printf(&fix, "%s;", check_text(&x->sig));
		check_add(x->r, V_FAIL, "signal_publication",
			"signals reach walcap through the stream; a signal table outside the publication is never seen",
			check_text(&fix), "%s is not in publication %s", name, c->publication_name);
	}
out:
	PQclear(res);
	buf_free(&fix);
	buf_free(&cols);
}

/* ---- offsets table (offset.storage=postgres) ---- */

static void
offsets_fix_sql(struct ctx *x, struct buf *b, int create)
{
	if (create)
	{
		buf_lit(b, "CREATE SCHEMA IF NOT EXISTS ");
		pgconn_quote_ident(b, x->c->signal_schema);
		buf_lit(b, ";\n");
		admin_offsets_table_sql(b, x->c->signal_schema, 0);
		buf_lit(b, ";\n");
	}
	admin_schema_usage_sql(b, x->c->signal_schema, x->grantee);
	buf_lit(b, ";\n");
	admin_offsets_grant_sql(b, x->c->signal_schema, x->grantee);
	buf_putc(b, ';');
}

void
check_offsets(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[1] = {c->signal_schema};
	char		err[512];
	char		name[256];
	PGresult   *res;
	struct buf	fix;

	if (c->offset_storage != CONFIG_OFFSETS_POSTGRES)
		return;
	snprintf(name, sizeof(name), "%s.%s", c->signal_schema, CONFIG_OFFSET_TABLE);
	buf_init(&fix, 0);
	/* the columns offset_store.c uses, and the key its upsert needs */
	res = check_query(x,
				"SELECT (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid "
				"    AND NOT a.attisdropped AND a.attnum > 0 "
				"    AND a.attname IN ('connector', 'server', 'value', 'updated_at')) = 4, "
				"  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique "
				"    AND i.indnatts = 2 AND (SELECT array_agg(a.attname::text ORDER BY a.attname) "
				"      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey)) "
				"      = ARRAY['connector', 'server']), "
				"  has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT'), "
				"  has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'UPDATE') "
				"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
				"WHERE n.nspname = $1 AND c.relname = '" CONFIG_OFFSET_TABLE "' AND c.relkind IN ('r', 'p')",
				1, params, err, sizeof(err));
	if (res == NULL)
	{
		check_add(x->r, V_SKIP, "offset_table", NULL, NULL, "could not be read: %s", err);
		goto out;
	}
	if (PQntuples(res) == 0)
	{
		offsets_fix_sql(x, &fix, 1);
		check_add(x->r, V_FAIL, "offset_table",
			"offset.storage=postgres keeps the delivered position there; without it walcap cannot start",
			check_text(&fix), "%s does not exist", name);
		check_add(x->r, V_SKIP, "offset_grants", NULL, NULL, "no offsets table");
		goto out;
	}
	if (check_true(res, 0, 0) && check_true(res, 0, 1))
		check_add(x->r, V_PASS, "offset_table", NULL, NULL,
			"%s (connector, server, value, updated_at; unique on connector, server)", name);
	else
	{
		buf_lit(&fix, "DROP TABLE ");
		pgconn_quote_qualified(&fix, c->signal_schema, CONFIG_OFFSET_TABLE);
		buf_lit(&fix, ";\n");
		offsets_fix_sql(x, &fix, 1);
		check_add(x->r, V_FAIL, "offset_table",
			"walcap reads and upserts one row per connector by (connector, server)",
			check_text(&fix), "%s lacks the columns connector, server, value, updated_at or a unique key on (connector, server)",
			name);
	}
	if (check_true(res, 0, 2) && check_true(res, 0, 3) && check_true(res, 0, 4) && check_true(res, 0, 5))
		check_add(x->r, V_PASS, "offset_grants", NULL, NULL,
			"USAGE on schema %s; SELECT, INSERT, UPDATE on %s", c->signal_schema, name);
	else
	{
		buf_reset(&fix);
		offsets_fix_sql(x, &fix, 0);
		check_add(x->r, V_FAIL, "offset_grants",
			"walcap reads its position there at start and writes it at every status update",
			check_text(&fix), "%s lacks%s%s%s%s", c->user,
			check_true(res, 0, 2) ? "" : " USAGE on schema",
			check_true(res, 0, 3) ? "" : " SELECT", check_true(res, 0, 4) ? "" : " INSERT",
			check_true(res, 0, 5) ? "" : " UPDATE");
	}
out:
	PQclear(res);
	buf_free(&fix);
}

/* ---- publication ---- */

void
check_publication(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[1] = {c->publication_name};
	char		err[512];
	struct buf	fix;
	PGresult   *res = check_query(x, x->version >= 130000 ?
							"SELECT puballtables, pubinsert, pubupdate, pubdelete, pubviaroot "
							"FROM pg_publication WHERE pubname = $1" :
							"SELECT puballtables, pubinsert, pubupdate, pubdelete, false "
							"FROM pg_publication WHERE pubname = $1",
							1, params, err, sizeof(err));

	buf_init(&fix, 0);
	if (res == NULL)
		check_add(x->r, V_SKIP, "publication", NULL, NULL, "could not be read: %s", err);
	else if (PQntuples(res) == 0)
	{
		admin_publication_sql(&fix, c->publication_name, NULL, 0, NULL, 0);
		buf_printf(&fix, ";\n"
				   "-- or FOR TABLE the captured tables and %s (walcap setup prints it for the include lists)",
				   check_text(&x->sig));
		check_add(x->r, V_FAIL, "publication",
			"the publication selects which tables' changes the slot streams; walcap cannot start without it",
			check_text(&fix), "publication %s does not exist", c->publication_name);
	}
	else
	{
		x->pub_found = 1;
		x->pub_all = check_true(res, 0, 0);
		x->pub_viaroot = check_true(res, 0, 4);
		if (check_true(res, 0, 1) && check_true(res, 0, 2) && check_true(res, 0, 3))
			check_add(x->r, V_PASS, "publication", NULL, NULL, "publication %s exists (%s)",
				c->publication_name, x->pub_all ? "FOR ALL TABLES" : "FOR TABLE");
		else
		{
			buf_printf(&fix, "ALTER PUBLICATION %s SET (publish = 'insert, update, delete%s');",
					   check_text(&x->pub), x->version >= 110000 ? ", truncate" : "");
			check_add(x->r, V_FAIL, "publication",
				"the changes it does not publish never reach walcap",
				check_text(&fix), "publication %s does not publish%s%s%s", c->publication_name,
				check_true(res, 0, 1) ? "" : " inserts", check_true(res, 0, 2) ? "" : " updates",
				check_true(res, 0, 3) ? "" : " deletes");
		}
	}
	PQclear(res);
	buf_free(&fix);
}

/* ---- the captured tables ---- */

/* check_list_add() of a partitioned table with the names of some partitions. */
static void
list_add_leaves(struct buf *b, int *n, const char *schema, const char *table,
				struct buf *leaves)
{
	if (*n < CHECK_LIST_MAX)
		buf_printf(b, "%s%s.%s (partitions %s)", *n ? ", " : "", schema, table,
				   check_text(leaves));
	(*n)++;
}

/* The fix for a table without a replica identity. */
static void
key_fix(struct buf *fix, const char *schema, const char *table)
{
	buf_lit(fix, "ALTER TABLE ");
	pgconn_quote_qualified(fix, schema, table);
	buf_lit(fix, " ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE ");
	pgconn_quote_qualified(fix, schema, table);
	buf_lit(fix, " REPLICA IDENTITY FULL;\n");
}

/*
 * The partitions in leaves (partition_leaves()) whose column col is
 * false: their names into names (reset first; a CHECK_LIST_MAX list),
 * and, when given, each quoted into pub_fix (comma-separated, after
 * what is there) or its key_fix() into key_fix.  How many.
 */
static int
leaf_list(PGresult *leaves, int col, struct buf *names, struct buf *pub_fix,
		  struct buf *key_fixes)
{
	int			n = 0;

	buf_reset(names);
	for (int j = 0; j < PQntuples(leaves); j++)
	{
		const char *sch = PQgetvalue(leaves, j, PARTITION_LEAF_SCHEMA);
		const char *tab = PQgetvalue(leaves, j, PARTITION_LEAF_TABLE);

		if (check_true(leaves, j, col))
			continue;
		if (pub_fix)
		{
			if (n)
				buf_lit(pub_fix, ", ");
			pgconn_quote_qualified(pub_fix, sch, tab);
		}
		if (key_fixes)
			key_fix(key_fixes, sch, tab);
		check_list_add(names, &n, sch, tab);
	}
	check_list_end(names, n);
	return n;
}

void
check_tables(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[1] = {c->publication_name};
	char		err[512];
	PGresult   *res;
	struct buf	no_usage, no_select, unpublished, no_root, no_key, mapped, item;
	struct buf	fix_usage, fix_select, fix_pub, fix_key;
	int			n_usage = 0, n_select = 0, n_unpub = 0, n_root = 0, n_key = 0, n_mapped = 0;
	int			ntables = 0;
	const char *last_schema = "";

	res = check_query(x,
				"SELECT n.nspname, c.relname, c.relkind = 'p', "
				"has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT'), "
				"EXISTS (SELECT 1 FROM pg_publication_tables pt "
				"  WHERE pt.pubname = $1 AND pt.schemaname = n.nspname AND pt.tablename = c.relname), "
				"c.relreplident, "
				"EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
				"EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident), "
				"c.oid "
				"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
				"WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
				"AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
				"AND n.nspname NOT LIKE 'pg\\_%' "
				"ORDER BY 1, 2",
				1, params, err, sizeof(err));
	if (res == NULL)
	{
		check_add(x->r, V_SKIP, "tables", NULL, NULL, "could not be read: %s", err);
		return;
	}
	buf_init(&no_usage, 0);
	buf_init(&no_select, 0);
	buf_init(&unpublished, 0);
	buf_init(&no_root, 0);
	buf_init(&no_key, 0);
	buf_init(&mapped, 0);
	buf_init(&item, 0);
	buf_init(&fix_usage, 0);
	buf_init(&fix_select, 0);
	buf_init(&fix_pub, 0);
	buf_init(&fix_key, 0);
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *sch = PQgetvalue(res, i, 0);
		const char *tab = PQgetvalue(res, i, 1);
		char		ident = PQgetvalue(res, i, 6)[0];
		int			inc, in_pub = check_true(res, i, 5);
		PGresult   *leaves = NULL;

		if (strcmp(sch, c->signal_schema) == 0 && strcmp(tab, CONFIG_SIGNAL_TABLE) == 0)
			continue;
		inc = config_table_included(c, sch, tab);
		if (inc < 0)
			x->r->oom = 1;
		if (inc <= 0)
			continue;
		ntables++;
		if (!check_true(res, i, 3) && strcmp(sch, last_schema) != 0)
		{
			check_list_add(&no_usage, &n_usage, sch, "*");
			admin_schema_usage_sql(&fix_usage, sch, x->grantee);
			buf_lit(&fix_usage, ";\n");
		}
		last_schema = sch;
		if (!check_true(res, i, 4))
		{
			check_list_add(&no_select, &n_select, sch, tab);
			admin_table_select_sql(&fix_select, sch, tab, x->grantee);
			buf_lit(&fix_select, ";\n");
		}
		/*
		 * A partitioned table's changes are its partitions' (leaves'):
		 * before 13 they must be in the publication themselves, and
		 * UPDATE/DELETE on each needs its own replica identity.
		 */
		if (check_true(res, i, 2) &&
			(x->version < PARTITION_VIAROOT_VERSION ||
			 (x->pub_found && !x->pub_all && !x->pub_viaroot)) &&
			(leaves = partition_leaves(x->conn, PQgetvalue(res, i, 9), c->publication_name,
									   err, sizeof(err))) == NULL)
			check_add(x->r, V_SKIP, "partition_leaves", NULL, NULL, "the partitions of %s.%s could not be read: %s",
				sch, tab, err);
		if (leaves && x->version < PARTITION_VIAROOT_VERSION)
		{
			check_list_add(&mapped, &n_mapped, sch, tab);
			in_pub = leaf_list(leaves, PARTITION_LEAF_PUBLISHED, &item, NULL, NULL) == 0;
		}
		else if (leaves)		/* 13+ without publish_via_partition_root */
			in_pub |= leaf_list(leaves, PARTITION_LEAF_PUBLISHED, &item, NULL, NULL) <
				PQntuples(leaves);
		if (x->pub_found && !x->pub_all && !in_pub)
		{
			if (n_unpub == 0)
				admin_publication_add_sql(&fix_pub, c->publication_name);
			else
				buf_lit(&fix_pub, ", ");
			if (leaves && x->version < PARTITION_VIAROOT_VERSION)
			{
				/* 10-12 refuse a partitioned table in a publication: its partitions */
				leaf_list(leaves, PARTITION_LEAF_PUBLISHED, &item, &fix_pub, NULL);
				list_add_leaves(&unpublished, &n_unpub, sch, tab, &item);
			}
			else
			{
				pgconn_quote_qualified(&fix_pub, sch, tab);
				check_list_add(&unpublished, &n_unpub, sch, tab);
			}
		}
		if (check_true(res, i, 2) && x->version >= 130000 && !x->pub_viaroot)
			check_list_add(&no_root, &n_root, sch, tab);
		/* UPDATE/DELETE of a published table fail without a replica identity */
		if (leaves && x->version < PARTITION_VIAROOT_VERSION)
		{
			if (leaf_list(leaves, PARTITION_LEAF_IDENTITY, &item, NULL, &fix_key) > 0)
				list_add_leaves(&no_key, &n_key, sch, tab, &item);
		}
		else if (ident == 'n' || (ident == 'd' && !check_true(res, i, 7)) ||
				 (ident == 'i' && !check_true(res, i, 8)))
		{
			check_list_add(&no_key, &n_key, sch, tab);
			key_fix(&fix_key, sch, tab);
		}
		PQclear(leaves);
	}
	PQclear(res);
	check_list_end(&no_usage, n_usage);
	check_list_end(&no_select, n_select);
	check_list_end(&unpublished, n_unpub);
	check_list_end(&no_root, n_root);
	check_list_end(&no_key, n_key);
	if (fix_usage.len)
		fix_usage.data[--fix_usage.len] = '\0';
	if (fix_select.len)
		fix_select.data[--fix_select.len] = '\0';
	if (fix_key.len)
		fix_key.data[--fix_key.len] = '\0';
	if (n_unpub)
		buf_putc(&fix_pub, ';');

	if (ntables == 0)
		check_add(x->r, V_WARN, "tables",
			"walcap will stream nothing until a table matches",
			"check table.include.list / schema.include.list (and the exclude lists) against the database's tables",
			"no table in database %s matches the include and exclude lists", c->dbname);
	else
		check_add(x->r, V_PASS, "tables", NULL, NULL, "%d captured table%s", ntables,
			ntables == 1 ? "" : "s");

	if (n_usage)
		check_add(x->r, V_FAIL, "schema_usage",
			"without USAGE on a schema its tables cannot be read for snapshots or type lookups",
			check_text(&fix_usage), "%s lacks USAGE on schema%s %s", c->user,
			n_usage == 1 ? "" : "s", check_text(&no_usage));
	else if (ntables)
		check_add(x->r, V_PASS, "schema_usage", NULL, NULL, "USAGE on every captured schema");

	if (n_select)
		check_add(x->r, V_FAIL, "select",
			"snapshots read every captured table; without SELECT its existing rows cannot be captured",
			check_text(&fix_select), "%s lacks SELECT on %s", c->user, check_text(&no_select));
	else if (ntables)
		check_add(x->r, V_PASS, "select", NULL, NULL, "SELECT on every captured table");

	if (!x->pub_found)
		check_add(x->r, V_SKIP, "publication_tables", NULL, NULL, "no publication");
	else if (n_unpub)
		check_add(x->r, V_FAIL, "publication_tables",
			"changes of a table outside the publication are never streamed (after adding it, snapshot it: its earlier changes are not in the stream)",
			check_text(&fix_pub), "not in publication %s: %s", c->publication_name, check_text(&unpublished));
	else if (ntables)
		check_add(x->r, V_PASS, "publication_tables", NULL, NULL, "publication %s covers every captured table",
			c->publication_name);

	if (n_root)
	{
		struct buf	f;

		buf_init(&f, 0);
		admin_publication_viaroot_sql(&f, c->publication_name);
		buf_putc(&f, ';');
		check_add(x->r, V_FAIL, "partition_root",
			"without it changes arrive under each partition's name, which the include lists may not match",
			check_text(&f), "publication %s has publish_via_partition_root = false and captures partitioned %s",
			c->publication_name, check_text(&no_root));
		buf_free(&f);
	}

	check_list_end(&mapped, n_mapped);
	if (n_mapped)
		check_add(x->r, V_PASS, "partition_root", NULL, NULL,
			"PostgreSQL %d publishes each partition's changes under its own name; walcap gives them the name of their partitioned table: %s",
			x->version / 10000, check_text(&mapped));

	if (n_key)
		check_add(x->r, V_FAIL, "replica_identity",
			"once a table is published, UPDATE and DELETE on it fail without a primary key or replica identity",
			check_text(&fix_key), "no primary key or replica identity: %s", check_text(&no_key));
	else if (ntables)
		check_add(x->r, V_PASS, "replica_identity", NULL, NULL,
			"every captured table has a primary key or replica identity");

	buf_free(&no_usage);
	buf_free(&no_select);
	buf_free(&unpublished);
	buf_free(&no_root);
	buf_free(&no_key);
	buf_free(&mapped);
	buf_free(&item);
	buf_free(&fix_usage);
	buf_free(&fix_select);
	buf_free(&fix_pub);
	buf_free(&fix_key);
}


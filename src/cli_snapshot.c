/*
 * cli_snapshot.c — `walcap snapshot`: write a snapshot signal into the
 * signal table for the user, in Debezium's format, so nobody writes the
 * JSON by hand.  walcap run acts on it when the row arrives in the
 * stream (now, or when it next runs: the row waits in the slot).
 *
 * Before writing, it checks what walcap would otherwise only log and
 * skip: each table exists, is in the publication and the include lists,
 * and has a key to read it by in chunks (or --surrogate-key, or
 * --blocking).  The data is parsed back with signal_parse(), so what is
 * written is exactly what walcap accepts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "cli.h"
#include "json.h"
#include "log.h"
#include "partition.h"
#include "pgconn.h"
#include "signals.h"

static const char *const kind_type[] = {
	[SNAPSHOT_CMD_EXECUTE] = "execute-snapshot",
	[SNAPSHOT_CMD_STOP] = "stop-snapshot",
	[SNAPSHOT_CMD_PAUSE] = "pause-snapshot",
	[SNAPSHOT_CMD_RESUME] = "resume-snapshot",
};

/* The signal's data column; NULL for pause and resume. */
static void
build_data(const struct snapshot_opts *o, struct buf *b)
{
	buf_lit(b, "{\"data-collections\":[");
	for (int i = 0; i < o->ntables; i++)
	{
		if (i)
			buf_putc(b, ',');
		json_cstring(b, o->tables[i]);
	}
	buf_puts(b, o->blocking ? "],\"type\":\"blocking\"" : "],\"type\":\"incremental\"");
	if (o->filter)
	{
		buf_lit(b, ",\"additional-conditions\":[");
		for (int i = 0; i < o->ntables; i++)
		{
			buf_puts(b, i ? ",{\"data-collection\":" : "{\"data-collection\":");
			json_cstring(b, o->tables[i]);
			buf_lit(b, ",\"filter\":");
			json_cstring(b, o->filter);
			buf_putc(b, '}');
		}
		buf_putc(b, ']');
	}
	if (o->surrogate_key)
	{
		buf_lit(b, ",\"surrogate-key\":");
		json_cstring(b, o->surrogate_key);
	}
	buf_putc(b, '}');
}

/* The table is not in the publication: logged, 1. */
static int
not_published(const struct config *c, const char *schema, const char *table)
{
	struct buf	fix;

	buf_init(&fix, 0);
	admin_publication_add_sql(&fix, c->publication_name);
	pgconn_quote_qualified(&fix, schema, table);
	log_error("table \"%s.%s\" is not in publication \"%s\": walcap receives none of its changes",
			  schema, table, c->publication_name);
	log_hint("as the table's owner: %s; (walcap then snapshots it by itself with snapshot.new.tables=true)",
			 buf_failed(&fix) ? "ALTER PUBLICATION ... ADD TABLE ..." : fix.data);
	buf_free(&fix);
	return 1;
}

/*
 * A partition (on a server before 13, or published with
 * publish_via_partition_root): its changes are its root's, so is its
 * snapshot.  Logs the error; 1, or -1 on a server error (err).
 */
static int
partition_refused(PGconn *conn, const char *oid, const char *schema, const char *table,
				  char *err, size_t errlen)
{
	const char *params[1] = {oid};
	PGresult   *res = PQexecParams(conn, partition_root_sql(PQserverVersion(conn)), 1, NULL,
								   params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		return -1;
	}
	log_error("table \"%s.%s\" is a partition of \"%s.%s\": walcap captures its changes as those of \"%s.%s\"",
			  schema, table, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
			  PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	log_hint("snapshot \"%s.%s\": that reads every partition", PQgetvalue(res, 0, 1),
			 PQgetvalue(res, 0, 2));
	PQclear(res);
	return 1;
}

/*
 * Whether the publication covers a partitioned table (root's OID oid,
 * listed: pg_publication_tables lists it): before 13 it must list
 * every partition, from 13 on the table itself with
 * publish_via_partition_root.  0; 1 with the reason and the fix
 * logged; -1 on a server error (err).
 */
static int
partition_unpublished(PGconn *conn, const struct config *c, const char *oid, int listed,
					  const char *schema, const char *table, int viaroot,
					  char *err, size_t errlen)
{
	PGresult   *leaves;
	struct buf	names, fix;
	int			missing = 0, published = 0;

	if (listed && PQserverVersion(conn) >= PARTITION_VIAROOT_VERSION)
		return 0;
	if ((leaves = partition_leaves(conn, oid, c->publication_name, err, errlen)) == NULL)
		return -1;
	buf_init(&names, 0);
	buf_init(&fix, 0);
	if (PQserverVersion(conn) < PARTITION_VIAROOT_VERSION)
		admin_publication_add_sql(&fix, c->publication_name);
	else
		admin_publication_viaroot_sql(&fix, c->publication_name);
	for (int i = 0; i < PQntuples(leaves); i++)
	{
		const char *sch = PQgetvalue(leaves, i, PARTITION_LEAF_SCHEMA);
		const char *tab = PQgetvalue(leaves, i, PARTITION_LEAF_TABLE);

		if (PQgetvalue(leaves, i, PARTITION_LEAF_PUBLISHED)[0] == 't')
		{
			published++;
			continue;
		}
		buf_printf(&names, "%s%s.%s", missing ? ", " : "", sch, tab);
		if (PQserverVersion(conn) < PARTITION_VIAROOT_VERSION)
		{
			buf_puts(&fix, missing ? ", " : "");
			pgconn_quote_qualified(&fix, sch, tab);
		}
		missing++;
	}
	PQclear(leaves);
	if (PQserverVersion(conn) < PARTITION_VIAROOT_VERSION)
	{
		if (missing)
		{
			log_error("partitions of table \"%s.%s\" are not in publication \"%s\": %s; walcap receives none of their changes",
					  schema, table, c->publication_name, names.data);
			log_hint("as the tables' owner: %s; (PostgreSQL %d publishes partitions, not partitioned tables)",
					 buf_failed(&fix) ? "ALTER PUBLICATION ... ADD TABLE ..." : fix.data,
					 PQserverVersion(conn) / 10000);
		}
	}
	else if (published && !viaroot)
	{
		log_error("publication \"%s\" has publish_via_partition_root = false: the changes of \"%s.%s\" arrive under its partitions' names",
				  c->publication_name, schema, table);
		log_hint("as the publication's owner: %s;",
				 buf_failed(&fix) ? "ALTER PUBLICATION ... SET (publish_via_partition_root = true)" : fix.data);
		missing = 1;
	}
	else
		missing = not_published(c, schema, table);
	buf_free(&names);
	buf_free(&fix);
	return missing != 0;
}

/*
 * Whether walcap can snapshot schema.table as asked: 0, 1 with the
 * reason and the fix logged, -1 on a server error (err).
 */
static int
check_table(PGconn *conn, const struct config *c, const struct snapshot_opts *o,
			const char *schema, const char *table, char *err, size_t errlen)
{
	const char *params[4] = {schema, table, c->publication_name, o->surrogate_key};
	int			old = PQserverVersion(conn) < PARTITION_VIAROOT_VERSION;
	struct buf	q;
	PGresult   *res;
	int			rc = 0;

	buf_init(&q, 0);
	buf_puts(&q, "SELECT c.relkind, "
			 "EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.pubname = $3 "
			 "        AND p.schemaname = $1 AND p.tablename = $2), "
			 "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) "
			 "OR (c.relkind = 'p' AND " PARTITION_LEAF_KEY_SQL("c.oid") " IS NOT NULL), "
			 "$4::text IS NULL OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
			 "        AND a.attname = $4 AND a.attnum > 0 AND NOT a.attisdropped), "
			 "c.oid, c.relispartition, ");
	/* before 13 every partition's changes come as its own, as with false */
	buf_puts(&q, old ? "false " :
			 "coalesce((SELECT pubviaroot FROM pg_publication WHERE pubname = $3), false) ");
	buf_puts(&q, "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
			 "WHERE n.nspname = $1 AND c.relname = $2");
	res = buf_failed(&q) ? NULL : PQexecParams(conn, q.data, 4, NULL, params, NULL, NULL, 0);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 0 || strchr("rp", PQgetvalue(res, 0, 0)[0]) == NULL)
	{
		log_error("table \"%s.%s\" does not exist%s", schema, table,
				  PQntuples(res) ? " (it is not a table)" : "");
		log_hint("name tables as schema.table (no schema means public); quote a part with dots or capitals: '\"My Schema\".\"Orders\"'");
		rc = 1;
	}
	/*
	 * A partition whose changes come under its root's name: before 13
	 * always (walcap maps them), from 13 with publish_via_partition_root
	 * unless the publication lists the partition itself (no ancestor of
	 * it published: pgoutput sends its changes under its own name).
	 */
	else if (PQgetvalue(res, 0, 5)[0] == 't' &&
			 (old || (PQgetvalue(res, 0, 6)[0] == 't' && PQgetvalue(res, 0, 1)[0] != 't')))
		rc = partition_refused(conn, PQgetvalue(res, 0, 4), schema, table, err, errlen);
	else if (PQgetvalue(res, 0, 0)[0] == 'p')
		rc = partition_unpublished(conn, c, PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 1)[0] == 't',
								   schema, table, PQgetvalue(res, 0, 6)[0] == 't', err, errlen);
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		rc = not_published(c, schema, table);
	if (rc == 0 && config_table_included(c, schema, table) == 0)
	{
		log_error("table \"%s.%s\" is not captured by this configuration (table.include.list, schema.include.list and the exclude lists)",
				  schema, table);
		rc = 1;
	}
	else if (rc == 0 && PQgetvalue(res, 0, 3)[0] != 't')
	{
		log_error("table \"%s.%s\" has no column \"%s\" (--surrogate-key)", schema, table,
				  o->surrogate_key);
		rc = 1;
	}
	else if (rc == 0 && o->kind == SNAPSHOT_CMD_EXECUTE && !o->blocking && !o->surrogate_key &&
			 PQgetvalue(res, 0, 2)[0] != 't')
	{
		log_error("table \"%s.%s\" has no primary key to read it by in chunks", schema, table);
		log_hint("add --surrogate-key COLUMN (a unique, non-null column) or --blocking (streaming waits while the table is read whole)");
		rc = 1;
	}
	PQclear(res);
	return rc;
}

/* A note when no walcap reads the slot now: the signal waits for it. */
static void
note_slot(PGconn *conn, const struct config *c)
{
	struct admin_slot slot;
	char		err[256];

	if (admin_slot_read(conn, c->slot_name, 0, &slot, err, sizeof(err)) != 0)
		return;
	if (!slot.found)
		log_warning("replication slot \"%s\" does not exist: the signal is in no slot's stream until walcap creates it",
					c->slot_name);
	else if (!slot.active)
		log_info("slot \"%s\" is not being read now: walcap run acts on the signal when it next reads the slot",
				 c->slot_name);
}

int
cli_snapshot(const struct config *c, const struct snapshot_opts *o)
{
	char		err[1024];
	char		idbuf[96];
	const char *id = o->id;
	const char *type = kind_type[o->kind];
	struct buf	data, q;
	struct signal sig;
	PGconn	   *conn;
	PGresult   *res;
	const char *params[3];
	int			rc = 0;

	buf_init(&data, 0);
	buf_init(&q, 0);
	if (o->kind == SNAPSHOT_CMD_EXECUTE || (o->kind == SNAPSHOT_CMD_STOP && o->ntables > 0))
		build_data(o, &data);
	else if (o->kind == SNAPSHOT_CMD_STOP)
		buf_lit(&data, "{\"type\":\"incremental\"}");
	if (buf_failed(&data))
	{
		log_error("out of memory");
		buf_free(&data);
		return EXIT_RUNTIME;
	}
	/* what walcap run will make of it: a name that does not parse fails here */
	if (signal_parse(type, data.len ? data.data : NULL, &sig, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		buf_free(&data);
		return EXIT_USAGE;
	}

	conn = pgconn_connect(c, 0, err, sizeof(err));
	if (conn == NULL)
	{
		log_error_hint("", err);
		signal_free(&sig);
		buf_free(&data);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < sig.ncollections && o->kind == SNAPSHOT_CMD_EXECUTE; i++)
	{
		int			r = check_table(conn, c, o, sig.collections[i].schema,
									sig.collections[i].table, err, sizeof(err));

		if (r < 0)
		{
			log_error("%s", err);
			rc = EXIT_RUNTIME;
			goto out;
		}
		if (r > 0)
			rc = EXIT_USAGE;
	}
	if (rc != 0)
		goto out;

	if (id == NULL)
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		snprintf(idbuf, sizeof(idbuf), "walcap-cli-%ld%03ld-%d", (long) tv.tv_sec,
				 (long) (tv.tv_usec / 1000), (int) getpid());
		id = idbuf;
	}
	buf_lit(&q, "INSERT INTO ");
	pgconn_quote_qualified(&q, c->signal_schema, CONFIG_SIGNAL_TABLE);
	buf_lit(&q, " (id, type, data) VALUES ($1, $2, $3)");
	params[0] = id;
	params[1] = type;
	params[2] = data.len ? data.data : NULL;
	res = buf_failed(&q) ? NULL : PQexecParams(conn, q.data, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		pgconn_result_error(conn, res, err, sizeof(err));
		log_error("could not write the signal into \"%s\".\"%s\": %s", c->signal_schema,
				  CONFIG_SIGNAL_TABLE, err);
		if (state && strcmp(state, "42501") == 0)
			log_hint("as an administrator: GRANT USAGE ON SCHEMA \"%s\" TO " ADMIN_ROLE "; GRANT INSERT ON \"%s\".\"%s\" TO " ADMIN_ROLE "; (walcap setup --apply does both)",
					 c->signal_schema, c->signal_schema, CONFIG_SIGNAL_TABLE);
		else if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0))
			log_hint("create the signal table: walcap setup prints the SQL, walcap setup --apply runs it");
		else if (state && strcmp(state, "23505") == 0)
			log_hint("a signal with id \"%s\" exists already: choose another --id", id);
		else if (state && strcmp(state, "22001") == 0)
			log_hint("the data column is too short for this many tables: send them in several signals");
		PQclear(res);
		rc = EXIT_RUNTIME;
		goto out;
	}
	PQclear(res);
	if (data.len)
		printf("%s %s %s\n", id, type, data.data);
	else
		printf("%s %s\n", id, type);
	note_slot(conn, c);
out:
	signal_free(&sig);
	buf_free(&data);
	buf_free(&q);
	PQfinish(conn);
	return rc;
}

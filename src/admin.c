/*
 * admin.c — administrative SQL: slot facts, settings, role, setup
 * statements; see admin.h.
 */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pgconn.h"

const char *
admin_grantee(int member, const char *user)
{
	return member ? ADMIN_ROLE : user;
}

/* ---- reading ---- */

int
admin_rds(PGconn *conn, char *err, size_t errlen)
{
	char		v[16];

	return pgconn_value(conn, "SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication'",
						v, sizeof(v), err, errlen);
}

/* Run sql (simple protocol), waiting through on_wait; the rows, or NULL with err. */
static PGresult *
run_wait(PGconn *conn, const char *sql, pgconn_wait_fn on_wait, void *arg,
		 char *err, size_t errlen)
{
	PGresult   *res = on_wait ? pgconn_exec(conn, sql, 0, NULL, on_wait, arg) :
		PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

static PGresult *
run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	return run_wait(conn, sql, NULL, NULL, err, errlen);
}

static void
field(char *dst, size_t len, const PGresult *res, int col)
{
	snprintf(dst, len, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

static int
is_true(const PGresult *res, int col)
{
	return !PQgetisnull(res, 0, col) && PQgetvalue(res, 0, col)[0] == 't';
}

/*
 * The columns, in this order, whatever the version: what a server does
 * not have is NULL, so one reader serves every caller.
 */
int
admin_slot_read(PGconn *conn, const char *slot_name, int flags,
				struct admin_slot *out, char *err, size_t errlen)
{
	return admin_slot_read_wait(conn, slot_name, flags, out, NULL, NULL, err, errlen);
}

int
admin_slot_read_wait(PGconn *conn, const char *slot_name, int flags,
					 struct admin_slot *out, pgconn_wait_fn on_wait, void *arg,
					 char *err, size_t errlen)
{
	int			version = PQserverVersion(conn);
	struct buf	sql;
	PGresult   *res;

	memset(out, 0, sizeof(*out));
	buf_init(&sql, 0);
	buf_lit(&sql, "SELECT slot_type, plugin, database, database = current_database(), "
			"active, active_pid, restart_lsn, confirmed_flush_lsn, ");
	buf_puts(&sql, flags & ADMIN_SLOT_WAL ?
			 "pg_current_wal_lsn(), pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
			 "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, " :
			 "NULL, NULL, NULL, ");
	buf_puts(&sql, version >= 130000 ? "wal_status, safe_wal_size, " : "NULL, NULL, ");
	buf_puts(&sql, version >= 170000 ? "failover " : "NULL ");
	buf_lit(&sql, "FROM pg_replication_slots WHERE slot_name = ");
	pgconn_quote_literal(&sql, slot_name);
	if (buf_failed(&sql))
	{
		buf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	res = run_wait(conn, sql.data, on_wait, arg, err, errlen);
	buf_free(&sql);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
	{
		out->found = 1;
		field(out->slot_type, sizeof(out->slot_type), res, 0);
		field(out->plugin, sizeof(out->plugin), res, 1);
		field(out->database, sizeof(out->database), res, 2);
		out->this_database = is_true(res, 3);
		out->active = is_true(res, 4);
		field(out->active_pid, sizeof(out->active_pid), res, 5);
		field(out->restart_lsn, sizeof(out->restart_lsn), res, 6);
		field(out->confirmed_lsn, sizeof(out->confirmed_lsn), res, 7);
		field(out->current_lsn, sizeof(out->current_lsn), res, 8);
		out->retained_known = !PQgetisnull(res, 0, 9);
		out->retained = out->retained_known ? strtoll(PQgetvalue(res, 0, 9), NULL, 10) : 0;
		out->lag_known = !PQgetisnull(res, 0, 10);
		out->lag = out->lag_known ? strtoll(PQgetvalue(res, 0, 10), NULL, 10) : 0;
		field(out->wal_status, sizeof(out->wal_status), res, 11);
		field(out->safe_wal_size, sizeof(out->safe_wal_size), res, 12);
		out->failover = is_true(res, 13);
	}
	PQclear(res);
	return 0;
}

int
admin_capacity(PGconn *conn, const char *slot_name, struct admin_capacity *out,
			   char *err, size_t errlen)
{
	struct buf	sql;
	PGresult   *res;

	memset(out, 0, sizeof(*out));
	buf_init(&sql, 0);
	buf_lit(&sql, "SELECT current_setting('max_replication_slots')::int, "
			"(SELECT count(*) FROM pg_replication_slots)::int, "
			"EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ");
	pgconn_quote_literal(&sql, slot_name);
	buf_lit(&sql, "), current_setting('max_wal_senders')::int, "
			"(SELECT count(*) FROM pg_stat_replication)::int");
	if (buf_failed(&sql))
	{
		buf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	res = run(conn, sql.data, err, errlen);
	buf_free(&sql);
	if (res == NULL)
		return -1;
	out->max_slots = atoi(PQgetvalue(res, 0, 0));
	out->used_slots = atoi(PQgetvalue(res, 0, 1));
	out->have_slot = is_true(res, 2);
	out->max_senders = atoi(PQgetvalue(res, 0, 3));
	out->used_senders = atoi(PQgetvalue(res, 0, 4));
	PQclear(res);
	return 0;
}

/* "<prefix>'name'<suffix>" as one value; see admin_setting(). */
static int
setting_query(PGconn *conn, const char *prefix, const char *name, const char *suffix,
			  char *out, size_t outlen)
{
	struct buf	sql;
	PGresult   *res;
	int			rc = -1;

	out[0] = '\0';
	buf_init(&sql, 0);
	buf_puts(&sql, prefix);
	pgconn_quote_literal(&sql, name);
	buf_puts(&sql, suffix);
	res = buf_failed(&sql) ? NULL : PQexec(conn, sql.data);
	buf_free(&sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		rc = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
		if (rc)
			snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return rc;
}

int
admin_setting(PGconn *conn, const char *name, char *out, size_t outlen)
{
	return setting_query(conn, "SELECT current_setting(", name, ", true)", out, outlen);
}

int
admin_setting_base(PGconn *conn, const char *name, char *out, size_t outlen)
{
	return setting_query(conn, "SELECT setting FROM pg_settings WHERE name = ", name, "",
						 out, outlen);
}

/* ---- statements ---- */

/* "schema"."streamkap_signal" */
static void
signal_table(struct buf *b, const char *schema)
{
	pgconn_quote_qualified(b, schema, CONFIG_SIGNAL_TABLE);
}

void
admin_signal_table_sql(struct buf *b, const char *schema, int pretty)
{
	buf_lit(b, "CREATE TABLE ");
	signal_table(b, schema);
	buf_puts(b, pretty ?
			 " (\n"
			 "  id VARCHAR(255) PRIMARY KEY,\n"
			 "  type VARCHAR(32) NOT NULL,\n"
			 "  data VARCHAR(2000) NULL\n"
			 ")" :
			 " (id VARCHAR(255) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2000) NULL)");
}

void
admin_offsets_table_sql(struct buf *b, const char *schema, int pretty)
{
	buf_lit(b, "CREATE TABLE ");
	pgconn_quote_qualified(b, schema, CONFIG_OFFSET_TABLE);
	buf_puts(b, pretty ?
			 " (\n"
			 "  connector TEXT NOT NULL,\n"
			 "  server TEXT NOT NULL,\n"
			 "  value JSONB NOT NULL,\n"
			 "  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
			 "  PRIMARY KEY (connector, server)\n"
			 ")" :
			 " (connector TEXT NOT NULL, server TEXT NOT NULL, value JSONB NOT NULL, "
			 "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (connector, server))");
}

void
admin_offsets_grant_sql(struct buf *b, const char *schema, const char *grantee)
{
	buf_lit(b, "GRANT SELECT, INSERT, UPDATE ON TABLE ");
	pgconn_quote_qualified(b, schema, CONFIG_OFFSET_TABLE);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, grantee);
}

void
admin_schema_usage_sql(struct buf *b, const char *schema, const char *grantee)
{
	buf_lit(b, "GRANT USAGE ON SCHEMA ");
	pgconn_quote_ident(b, schema);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, grantee);
}

void
admin_signal_grant_sql(struct buf *b, const char *schema, const char *grantee,
					   int with_delete)
{
	buf_puts(b, with_delete ? "GRANT SELECT, UPDATE, INSERT, DELETE ON TABLE " :
			 "GRANT SELECT, UPDATE, INSERT ON TABLE ");
	signal_table(b, schema);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, grantee);
}

void
admin_table_select_sql(struct buf *b, const char *schema, const char *table,
					   const char *grantee)
{
	buf_lit(b, "GRANT SELECT ON ");
	pgconn_quote_qualified(b, schema, table);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, grantee);
}

void
admin_connect_sql(struct buf *b, const char *dbname, const char *grantee)
{
	buf_lit(b, "GRANT CONNECT ON DATABASE ");
	pgconn_quote_ident(b, dbname);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, grantee);
}

void
admin_replication_sql(struct buf *b, const char *user)
{
	buf_lit(b, "ALTER ROLE ");
	pgconn_quote_ident(b, user);
	buf_lit(b, " REPLICATION");
}

void
admin_publication_sql(struct buf *b, const char *pub, const char *const *tables,
					  int ntables, const char *signal_schema, int via_root)
{
	buf_lit(b, "CREATE PUBLICATION ");
	pgconn_quote_ident(b, pub);
	if (signal_schema == NULL)
		buf_lit(b, " FOR ALL TABLES");
	else
	{
		buf_lit(b, " FOR TABLE ");
		for (int i = 0; i < ntables; i++)
			buf_printf(b, "%s, ", tables[i]);
		signal_table(b, signal_schema);
	}
	if (via_root)
		buf_lit(b, " WITH (publish_via_partition_root = true)");
}

void
admin_publication_add_sql(struct buf *b, const char *pub)
{
	buf_lit(b, "ALTER PUBLICATION ");
	pgconn_quote_ident(b, pub);
	buf_lit(b, " ADD TABLE ");
}

void
admin_publication_viaroot_sql(struct buf *b, const char *pub)
{
	buf_lit(b, "ALTER PUBLICATION ");
	pgconn_quote_ident(b, pub);
	buf_lit(b, " SET (publish_via_partition_root = true)");
}

void
admin_create_slot_sql(struct buf *b, const char *slot, int failover)
{
	buf_lit(b, "SELECT pg_create_logical_replication_slot(");
	pgconn_quote_literal(b, slot);
	buf_puts(b, failover ? ", 'pgoutput', failover => true)" : ", 'pgoutput')");
}

void
admin_slot_exists_sql(struct buf *b, const char *slot)
{
	buf_lit(b, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ");
	pgconn_quote_literal(b, slot);
}

void
admin_drop_slot_sql(struct buf *b, const char *slot)
{
	buf_lit(b, "SELECT pg_drop_replication_slot(");
	pgconn_quote_literal(b, slot);
	buf_putc(b, ')');
}

void
admin_create_slot_cmd(struct buf *b, const char *slot, int failover)
{
	buf_lit(b, "CREATE_REPLICATION_SLOT ");
	pgconn_quote_ident(b, slot);
	buf_puts(b, failover ? " LOGICAL pgoutput (FAILOVER true, SNAPSHOT 'export')" :
			 " LOGICAL pgoutput EXPORT_SNAPSHOT");
}

void
admin_alter_slot_failover_cmd(struct buf *b, const char *slot)
{
	buf_lit(b, "ALTER_REPLICATION_SLOT ");
	pgconn_quote_ident(b, slot);
	buf_lit(b, " (FAILOVER true)");
}

void
admin_drop_slot_cmd(struct buf *b, const char *slot)
{
	buf_lit(b, "DROP_REPLICATION_SLOT ");
	pgconn_quote_ident(b, slot);
}

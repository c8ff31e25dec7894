/*
 * cli_setup.c — `walcap setup`: the seed's setup SQL (user, role, grants,
 * signal table, publication, slot) for the configured names, printed as a
 * commented script or, with --apply, run step by step over an
 * administrator connection.
 *
 * Applying is idempotent: objects that exist are left alone and reported
 * as such ("exists"); GRANTs are always run ("done").  The first failing
 * step stops the run with the server's message.
 *
 * Secrets: the connector user's password is WALCAP_SETUP_USER_PASSWORD,
 * else the password walcap itself logs in with (database.password, its
 * .file, WALCAP_DATABASE_PASSWORD: config.c's sources).  It is hashed
 * here with the server's password_encryption (PQencryptPasswordConn), so
 * only the verifier reaches the server and its log; the printed script
 * uses the psql variable :'password' instead.  The admin conninfo may
 * contain a password too and is never printed.
 *
 * Output: stdout carries the product (the script, or one line per step
 * applied: done, exists, FAILED); errors, warnings and hints go to
 * stderr, a failed step too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "cli.h"
#include "log.h"
#include "partition.h"
#include "pgconn.h"
#include "tunnel.h"

#define SETUP_PASSWORD_ENV "WALCAP_SETUP_USER_PASSWORD"
#define SETUP_ADMIN_DSN_ENV "WALCAP_ADMIN_DSN"
#define SETUP_MAX_STEPS 256

/* One step of the script. */
struct step
{
	char	   *comment;		/* "-- ..." lines printed before it, or NULL */
	char	   *label;			/* what --apply reports */
	char	   *sql;			/* the printed statement (no secret) */
	char	   *apply_sql;		/* what --apply runs, if not sql */
	char	   *exists_sql;		/* returns a row if already done, or NULL */
};

struct script
{
	int			n;
	int			failed;			/* out of memory or too many steps */
	struct step steps[SETUP_MAX_STEPS];
	struct buf	tail;			/* closing comments (server parameters) */
};

/* What the catalog says, when there is a connection. */
struct catalog_info
{
	int			connected;
	int			rds;			/* rds_replication exists */
	int			version;		/* PQserverVersion */
	int			partitioned;	/* a captured table is partitioned */
	int			nschemas;
	char	  **schemas;		/* captured schemas, unquoted */
	int			ntables;
	char	  **tables;			/* "quoted"."quoted" names for FOR TABLE */
	char		wal_level[64];
	char		wal_sender_timeout[64];
};

/* Take a buf's contents as a string (NULL marks the script failed). */
static char *
take(struct script *sc, struct buf *b)
{
	char	   *s;

	if (b->len == 0 && !buf_failed(b))
		buf_lit(b, "");
	s = buf_take(b);
	if (s == NULL)
		sc->failed = 1;
	return s;
}

/* Add a step; the bufs are emptied (their contents move to the step). */
static void
add_step(struct script *sc, const char *comment, struct buf *label,
		 struct buf *sql, struct buf *apply_sql, struct buf *exists_sql)
{
	struct step *st;

	if (sc->n >= SETUP_MAX_STEPS)
	{
		sc->failed = 1;
		return;
	}
	st = &sc->steps[sc->n++];
	memset(st, 0, sizeof(*st));
	if (comment)
	{
		st->comment = strdup(comment);
		if (st->comment == NULL)
			sc->failed = 1;
	}
	st->sql = take(sc, sql);
	if (label && label->len > 0)
		st->label = take(sc, label);
	else if (st->sql)
	{
		st->label = strdup(st->sql);
		if (st->label == NULL)
			sc->failed = 1;
	}
	if (apply_sql && apply_sql->len > 0)
		st->apply_sql = take(sc, apply_sql);
	if (exists_sql && exists_sql->len > 0)
		st->exists_sql = take(sc, exists_sql);
}

/*
 * add_step() for sql, a CREATE TABLE of schema.table: labelled so, and
 * found done when the table exists.  label and ex are scratch buffers.
 */
static void
add_table_step(struct script *sc, const char *comment, const char *schema, const char *table,
			   struct buf *sql, struct buf *label, struct buf *ex)
{
	buf_lit(label, "CREATE TABLE ");
	pgconn_quote_qualified(label, schema, table);
	buf_lit(ex, "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
			"WHERE n.nspname = ");
	pgconn_quote_literal(ex, schema);
	buf_lit(ex, " AND c.relname = ");
	pgconn_quote_literal(ex, table);
	add_step(sc, comment, label, sql, NULL, ex);
}

static void
script_free(struct script *sc)
{
	for (int i = 0; i < sc->n; i++)
	{
		free(sc->steps[i].comment);
		free(sc->steps[i].label);
		if (sc->steps[i].apply_sql)
		{
			/* it holds the password */
			memset(sc->steps[i].apply_sql, 0, strlen(sc->steps[i].apply_sql));
			free(sc->steps[i].apply_sql);
		}
		free(sc->steps[i].sql);
		free(sc->steps[i].exists_sql);
	}
	buf_free(&sc->tail);
}

static void
catalog_free(struct catalog_info *ci)
{
	for (int i = 0; i < ci->nschemas; i++)
		free(ci->schemas[i]);
	free(ci->schemas);
	for (int i = 0; i < ci->ntables; i++)
		free(ci->tables[i]);
	free(ci->tables);
}

/* Whether any include list is set (else: public, FOR ALL TABLES). */
static int
has_include_lists(const struct config *c)
{
	return c->table_include.n > 0 || c->schema_include.n > 0 ||
		c->file_tables.n > 0 || c->file_schemas.n > 0;
}

/* Whether the publication is a FOR TABLE list. */
static int
uses_table_list(const struct config *c)
{
	return c->table_include.n > 0 || c->file_tables.n > 0;
}

static int
push_str(char ***arr, int *n, const char *s)
{
	char	  **na = realloc(*arr, sizeof(char *) * (size_t) (*n + 1));

	if (na == NULL)
		return -1;
	*arr = na;
	if ((na[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* Add "schema"."table" to the FOR TABLE list; 0 or -1 (out of memory). */
static int
push_table(struct catalog_info *ci, const char *schema, const char *table)
{
	struct buf	b;
	char	   *s;

	buf_init(&b, 0);
	pgconn_quote_qualified(&b, schema, table);
	s = buf_take(&b);
	if (s == NULL || push_str(&ci->tables, &ci->ntables, s) != 0)
	{
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

/*
 * A captured table for the FOR TABLE list; a partitioned one (root, its
 * OID) before PostgreSQL 13, which refuses it in a publication, as its
 * partitions.  0, or -1 with err.
 */
static int
push_tables(PGconn *conn, struct catalog_info *ci, const char *schema, const char *table,
			const char *root, char *err, size_t errlen)
{
	PGresult   *leaves;
	int			rc = 0;

	if (root == NULL || ci->version >= PARTITION_VIAROOT_VERSION)
		rc = push_table(ci, schema, table);
	else if ((leaves = partition_leaves(conn, root, "", err, errlen)) == NULL)
		return -1;
	else
	{
		for (int i = 0; i < PQntuples(leaves) && rc == 0; i++)
			rc = push_table(ci, PQgetvalue(leaves, i, PARTITION_LEAF_SCHEMA),
							PQgetvalue(leaves, i, PARTITION_LEAF_TABLE));
		PQclear(leaves);
	}
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/*
 * Read the catalog: RDS roles, captured schemas and tables, partitioned
 * tables, server parameters.  0, or -1 with the message in err.
 */
static int
read_catalog(PGconn *conn, const struct config *c, struct catalog_info *ci,
			 char *err, size_t errlen)
{
	PGresult   *res;

	ci->connected = 1;
	ci->version = PQserverVersion(conn);
	if ((ci->rds = admin_rds(conn, err, errlen)) < 0)
		return -1;
	admin_setting(conn, "wal_level", ci->wal_level, sizeof(ci->wal_level));
	admin_setting(conn, "wal_sender_timeout", ci->wal_sender_timeout,
				  sizeof(ci->wal_sender_timeout));

	res = PQexec(conn,
				 "SELECT n.nspname, c.relname, c.relkind = 'p', c.oid "
				 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
				 "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
				 "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
				 "AND n.nspname NOT LIKE 'pg\\_%' "
				 "ORDER BY 1, 2");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_error(conn, err, errlen);
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *sch = PQgetvalue(res, i, 0);
		const char *tab = PQgetvalue(res, i, 1);
		int			inc;

		if (strcmp(sch, c->signal_schema) == 0 &&
			strcmp(tab, CONFIG_SIGNAL_TABLE) == 0)
			continue;
		inc = config_table_included(c, sch, tab);
		if (inc < 0)
			goto oom;
		if (!inc)
			continue;
		if (PQgetvalue(res, i, 2)[0] == 't')
			ci->partitioned = 1;
		if (!has_include_lists(c))
			continue;
		if (ci->nschemas == 0 || strcmp(ci->schemas[ci->nschemas - 1], sch) != 0)
		{
			if (push_str(&ci->schemas, &ci->nschemas, sch) != 0)
				goto oom;
		}
		if (uses_table_list(c) &&
			push_tables(conn, ci, sch, tab, PQgetvalue(res, i, 2)[0] == 't' ? PQgetvalue(res, i, 3) : NULL,
						err, errlen) != 0)
		{
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	return 0;
oom:
	PQclear(res);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The steps of the seed, in its order; verifier: the hashed password, for --apply. */
static void
build_script(const struct config *c, const struct catalog_info *ci,
			 const char *verifier, struct script *sc)
{
	struct buf	label, sql, apply, ex;
	char		comment[512];
	int			all_tables = !uses_table_list(c);

	buf_init(&label, 0);
	buf_init(&sql, 0);
	buf_init(&apply, 0);
	buf_init(&ex, 0);

	/* the user */
	buf_lit(&label, "CREATE USER ");
	pgconn_quote_ident(&label, c->user);
	buf_printf(&sql, "%s PASSWORD :'password'", label.data ? label.data : "");
	if (verifier)
	{
		buf_printf(&apply, "%s PASSWORD ", label.data ? label.data : "");
		pgconn_quote_literal(&apply, verifier);
	}
	buf_lit(&ex, "SELECT 1 FROM pg_roles WHERE rolname = ");
	pgconn_quote_literal(&ex, c->user);
	add_step(sc,
			 "-- The connector's user.  The password is never printed: psql asks\n"
			 "-- for it here (psql -v password=... would put it in psql's command\n"
			 "-- line, which other users of the machine can read).  --apply takes\n"
			 "-- " SETUP_PASSWORD_ENV ", else the password walcap logs in with:\n"
			 "-- database.password, its .file or " CONFIG_PASSWORD_ENV ".\n"
			 "\\if :{?password}\n"
			 "\\else\n"
			 "\\prompt 'Password for the new user: ' password\n"
			 "\\endif",
			 &label, &sql, &apply, &ex);

	/* the role */
	buf_lit(&sql, "CREATE ROLE ");
	pgconn_quote_ident(&sql, ADMIN_ROLE);
	buf_lit(&ex, "SELECT 1 FROM pg_roles WHERE rolname = ");
	pgconn_quote_literal(&ex, ADMIN_ROLE);
	add_step(sc, "-- Create a role for Streamkap", NULL, &sql, NULL, &ex);

	buf_lit(&sql, "GRANT ");
	pgconn_quote_ident(&sql, ADMIN_ROLE);
	buf_lit(&sql, " TO ");
	pgconn_quote_ident(&sql, c->user);
	add_step(sc, NULL, NULL, &sql, NULL, NULL);

	/* replication privilege */
	if (ci->rds)
	{
		buf_lit(&sql, "GRANT ");
		pgconn_quote_ident(&sql, "rds_replication");
		buf_lit(&sql, " TO ");
		pgconn_quote_ident(&sql, ADMIN_ROLE);
		add_step(sc, "-- Amazon RDS / Aurora: replication through the rds_replication role",
				 NULL, &sql, NULL, NULL);
	}
	else
	{
		admin_replication_sql(&sql, c->user);
		buf_lit(&ex, "SELECT 1 FROM pg_roles WHERE rolreplication AND rolname = ");
		pgconn_quote_literal(&ex, c->user);
		add_step(sc,
				 ci->connected ?
				 "-- Self-managed server: the REPLICATION attribute (on RDS/Aurora:\n"
				 "-- GRANT rds_replication TO streamkap_role).  It is not inherited\n"
				 "-- through roles, so it goes on the user itself." :
				 "-- Self-managed server: the REPLICATION attribute; it is not inherited\n"
				 "-- through roles, so it goes on the user itself.\n"
				 "-- On Amazon RDS / Aurora use instead: GRANT rds_replication TO streamkap_role;",
				 NULL, &sql, NULL, &ex);
	}

	/* the database and the captured schemas */
	admin_connect_sql(&sql, c->dbname, ADMIN_ROLE);
	add_step(sc,
			 "-- Grant Streamkap permissions on the database, schema and all tables to capture",
			 NULL, &sql, NULL, NULL);

	{
		const char *pub_only[] = {"public"};
		const char *const *schemas = pub_only;
		int			nschemas = 1;
		int			placeholder = 0;

		if (has_include_lists(c))
		{
			if (ci->connected)
			{
				schemas = (const char *const *) ci->schemas;
				nschemas = ci->nschemas;
			}
			else
				placeholder = 1;
		}
		if (placeholder)
		{
			static const char *const tmpl[] = {
				"GRANT CREATE, USAGE ON SCHEMA :\"schema\" TO ",
				"GRANT SELECT ON ALL TABLES IN SCHEMA :\"schema\" TO ",
				"ALTER DEFAULT PRIVILEGES IN SCHEMA :\"schema\" GRANT SELECT ON TABLES TO ",
			};

			for (int j = 0; j < 3; j++)
			{
				buf_puts(&sql, tmpl[j]);
				pgconn_quote_ident(&sql, ADMIN_ROLE);
				add_step(sc, j == 0 ?
						 "-- For each captured schema (the include lists are patterns: connect\n"
						 "-- with --admin-dsn to have them resolved), with psql -v schema=..." :
						 NULL, NULL, &sql, NULL, NULL);
			}
		}
		for (int i = 0; !placeholder && i < nschemas; i++)
		{
			snprintf(comment, sizeof(comment), "-- Schema %s", schemas[i]);
			buf_lit(&sql, "GRANT CREATE, USAGE ON SCHEMA ");
			pgconn_quote_ident(&sql, schemas[i]);
			buf_lit(&sql, " TO ");
			pgconn_quote_ident(&sql, ADMIN_ROLE);
			add_step(sc, comment, NULL, &sql, NULL, NULL);
			buf_lit(&sql, "GRANT SELECT ON ALL TABLES IN SCHEMA ");
			pgconn_quote_ident(&sql, schemas[i]);
			buf_lit(&sql, " TO ");
			pgconn_quote_ident(&sql, ADMIN_ROLE);
			add_step(sc, NULL, NULL, &sql, NULL, NULL);
			buf_lit(&sql, "ALTER DEFAULT PRIVILEGES IN SCHEMA ");
			pgconn_quote_ident(&sql, schemas[i]);
			buf_lit(&sql, " GRANT SELECT ON TABLES TO ");
			pgconn_quote_ident(&sql, ADMIN_ROLE);
			add_step(sc, NULL, NULL, &sql, NULL, NULL);
		}
	}

	/* the signal table */
	buf_lit(&sql, "CREATE SCHEMA ");
	pgconn_quote_ident(&sql, c->signal_schema);
	buf_lit(&ex, "SELECT 1 FROM pg_namespace WHERE nspname = ");
	pgconn_quote_literal(&ex, c->signal_schema);
	add_step(sc, "-- Enable snapshots: the signal schema and table streamkap_signal",
			 NULL, &sql, NULL, &ex);

	admin_signal_table_sql(&sql, c->signal_schema, 1);
	add_table_step(sc, NULL, c->signal_schema, CONFIG_SIGNAL_TABLE, &sql, &label, &ex);

	admin_schema_usage_sql(&sql, c->signal_schema, ADMIN_ROLE);
	add_step(sc, "-- Grant necessary privileges on the schema and the table to the role",
			 NULL, &sql, NULL, NULL);

	admin_signal_grant_sql(&sql, c->signal_schema, ADMIN_ROLE, 0);
	add_step(sc, NULL, NULL, &sql, NULL, NULL);

	/* offset.storage=postgres: the table the position is kept in */
	if (c->offset_storage == CONFIG_OFFSETS_POSTGRES)
	{
		admin_offsets_table_sql(&sql, c->signal_schema, 1);
		add_table_step(sc, "-- offset.storage=postgres: the table walcap keeps its position in",
					   c->signal_schema, CONFIG_OFFSET_TABLE, &sql, &label, &ex);
		admin_offsets_grant_sql(&sql, c->signal_schema, ADMIN_ROLE);
		add_step(sc, NULL, NULL, &sql, NULL, NULL);
	}

	/* the publication */
	admin_publication_sql(&sql, c->publication_name, (const char *const *) ci->tables,
						  ci->ntables, all_tables ? NULL : c->signal_schema,
						  ci->connected && ci->version >= 130000 && ci->partitioned);
	buf_lit(&label, "CREATE PUBLICATION ");
	pgconn_quote_ident(&label, c->publication_name);
	buf_lit(&ex, "SELECT 1 FROM pg_publication WHERE pubname = ");
	pgconn_quote_literal(&ex, c->publication_name);
	if (!ci->connected)
		snprintf(comment, sizeof(comment), "%s%s",
				 all_tables ?
				 "-- The publication: all tables\n" :
				 "-- The publication: the included tables plus the signal table\n"
				 "-- (without a connection the table list is not resolved: add them)\n",
				 "-- PostgreSQL 13 or later with partitioned tables: add\n"
				 "-- WITH (publish_via_partition_root = true)\n"
				 "-- (before 13, FOR TABLE lists a partitioned table's partitions)");
	else
		snprintf(comment, sizeof(comment), "%s%s",
				 all_tables ? "-- The publication: all tables" :
				 "-- The publication: the included tables plus the signal table\n"
				 "-- (tables created later: ALTER PUBLICATION ... ADD TABLE)",
				 !all_tables && ci->partitioned && ci->version < PARTITION_VIAROOT_VERSION ?
				 "\n-- (PostgreSQL 10-12 refuse a partitioned table here: its partitions are listed;\n"
				 "-- add partitions attached later too)" : "");
	add_step(sc, comment, &label, &sql, NULL, &ex);

	/* the slot: a failover slot (slot.failover) where the server has them */
	admin_create_slot_sql(&sql, c->slot_name, c->slot_failover && ci->connected && ci->version >= 170000);
	admin_slot_exists_sql(&ex, c->slot_name);
	if (c->slot_failover && !ci->connected)
		snprintf(comment, sizeof(comment),
				 "-- Create a logical replication slot\n"
				 "-- slot.failover=true: on PostgreSQL 17 or later add failover => true\n"
				 "-- after 'pgoutput' (before 17 there are no failover slots)");
	else if (c->slot_failover && ci->version < 170000)
		snprintf(comment, sizeof(comment),
				 "-- Create a logical replication slot (slot.failover=true, but PostgreSQL %d\n"
				 "-- has no failover slots: they exist from 17 on)", ci->version / 10000);
	else if (c->slot_failover)
		snprintf(comment, sizeof(comment),
				 "-- Create a logical replication slot, as a failover slot (slot.failover=true):\n"
				 "-- standbys with sync_replication_slots = on keep a copy that survives a failover");
	else
		snprintf(comment, sizeof(comment), "-- Create a logical replication slot");
	add_step(sc, comment, NULL, &sql, NULL, &ex);

	/* server parameters */
	buf_lit(&sc->tail, "-- Server parameters (they cannot be set from this script):\n");
	if (ci->rds)
		buf_lit(&sc->tail,
				"-- Amazon RDS / Aurora: enable logical replication and disable the timeout\n"
				"--   1. Open the Amazon RDS console at https://console.aws.amazon.com/rds/\n"
				"--   2. In the navigation pane, choose Parameter groups\n"
				"--   3. Choose the parameter group used by the DB instance you want to modify\n"
				"--   4. You can't modify a default parameter group. If the DB instance is using\n"
				"--      a default parameter group, create a new parameter group and associate\n"
				"--      it with the DB instance\n"
				"--   5. From Parameter group actions, choose Edit\n"
				"--   6. Set the rds.logical_replication parameter value to 1\n"
				"--   7. Set the wal_sender_timeout parameter value to 0 (a non-zero value may\n"
				"--      cause disconnects in low volume databases unless heartbeats are enabled)\n"
				"--   8. Choose Save changes; a reboot is required\n");
	else
	{
		buf_lit(&sc->tail,
				"-- wal_level must be logical (restart required):\n"
				"--   ALTER SYSTEM SET wal_level = logical;\n"
				"-- wal_sender_timeout: 0 avoids disconnects of idle low volume databases\n"
				"-- unless heartbeats are enabled:\n"
				"--   ALTER SYSTEM SET wal_sender_timeout = 0; SELECT pg_reload_conf();\n"
				"-- (Amazon RDS / Aurora: set rds.logical_replication = 1 and\n"
				"-- wal_sender_timeout = 0 in the DB parameter group, then reboot.)\n");
	}
	if (ci->connected && ci->wal_level[0])
		buf_printf(&sc->tail, "-- Currently: wal_level = %s, wal_sender_timeout = %s%s\n",
				   ci->wal_level, ci->wal_sender_timeout,
				   strcmp(ci->wal_level, "logical") == 0 ? "" :
				   " (wal_level must change)");
	if (buf_failed(&sc->tail))
		sc->failed = 1;
	buf_free(&label);
	buf_free(&sql);
	buf_free(&apply);
	buf_free(&ex);
}

static void
print_script(const struct config *c, const struct script *sc)
{
	printf("-- walcap setup for database %s, user %s, publication %s, slot %s\n"
		   "-- Run as a superuser (on Amazon RDS / Aurora: a member of rds_superuser),\n"
		   "-- e.g.: psql -v ON_ERROR_STOP=1 -d %s -f this-file\n"
		   "-- (psql 10 or later: it asks for the new user's password)\n\n",
		   c->dbname, c->user, c->publication_name, c->slot_name, c->dbname);
	for (int i = 0; i < sc->n; i++)
	{
		if (sc->steps[i].comment)
			printf("%s%s\n", i > 0 ? "\n" : "", sc->steps[i].comment);
		printf("%s;\n", sc->steps[i].sql);
	}
	printf("\n%s", sc->tail.data ? sc->tail.data : "");
}

static void
quiet_notices(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

/*
 * Run every step; 0, or EXIT_RUNTIME at the first failure, which ends
 * the report on stdout and is the error on stderr.
 */
static int
apply_script(PGconn *conn, const struct script *sc, const struct config *c,
			 const char *from, int differs)
{
	for (int i = 0; i < sc->n; i++)
	{
		const struct step *st = &sc->steps[i];
		PGresult   *res;

		if (st->exists_sql)
		{
			res = PQexec(conn, st->exists_sql);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				goto failed;
			if (PQntuples(res) > 0)
			{
				printf("exists   %s\n", st->label);
				PQclear(res);
				continue;
			}
			PQclear(res);
		}
		res = PQexec(conn, st->apply_sql ? st->apply_sql : st->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
			PQresultStatus(res) != PGRES_TUPLES_OK)
			goto failed;
		PQclear(res);
		printf("done     %s\n", st->label);
		fflush(stdout);
		if (i == 0 && from)
			log_info("user \"%s\" created with the password from %s", c->user, from);
		if (i == 0 && differs)
		{
			log_warning("%s differs from the password walcap logs in with (from %s)",
						SETUP_PASSWORD_ENV, c->password_from ? c->password_from : "database.password");
			log_hint("walcap fails to log in as \"%s\" until the two agree", c->user);
		}
		continue;
failed:
		{
			char		err[1024];

			pgconn_result_error(conn, res, err, sizeof(err));
			printf("FAILED   %s: %s\n", st->label, err);
			fflush(stdout);
			log_error("setup --apply stopped at %s: %s", st->label, err);
			log_hint("%s; fix the cause and run setup --apply again: steps already done are skipped or repeated harmlessly",
					 i == 0 ? "nothing was changed" : "the steps before it were applied");
			PQclear(res);
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

/*
 * Whether the connector user exists already (then --apply leaves it and
 * its password alone): 1 or 0, -1 on error (logged).
 */
static int
user_exists(PGconn *conn, const struct script *sc)
{
	PGresult   *res = PQexec(conn, sc->steps[0].exists_sql);
	int			rc;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		err[1024];

		pgconn_result_error(conn, res, err, sizeof(err));
		log_error("could not look up the user: %s", err);
		rc = -1;
	}
	else
		rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

/*
 * Connect with the admin conninfo, to the configured database.  The
 * conninfo is never logged (it may hold a password); libpq's messages
 * name the host and the user only.
 */
static PGconn *
admin_connect(const char *dsn, const struct config *c)
{
	const char *keys[] = {"dbname", "dbname", "application_name", "connect_timeout",
	"host", "hostaddr", "port", NULL};
	const char *vals[] = {dsn, c->dbname, "walcap setup", "10", NULL, NULL, NULL, NULL};
	char		port[16];
	char		err[2048];
	unsigned	seq;
	int			tport;
	PGconn	   *conn;

	/* with ssh.enabled the administrator goes through the tunnel too */
	if (c->ssh_enabled)
	{
		if (tunnel_ensure(c, &tport, &seq, err, sizeof(err)) != 0)
		{
			log_error_hint("", err);
			return NULL;
		}
		snprintf(port, sizeof(port), "%d", tport);
		vals[4] = c->hostname;
		vals[5] = "127.0.0.1";
		vals[6] = port;
	}
	else
		keys[4] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		pgconn_error(conn, err, sizeof(err));
		log_error("could not connect with the administrator connection: %s", err);
		log_hint("check --admin-dsn or %s", SETUP_ADMIN_DSN_ENV);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet_notices, NULL);
	return conn;
}

/*
 * Whether dsn parses as conninfo and holds no password: 0 if so, 1 if it
 * holds one, -1 if it does not parse.  libpq's parse message is not
 * shown: it may quote the part of the string that holds the password.
 */
static int
dsn_password(const char *dsn)
{
	char	   *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
	int			rc = 0;

	PQfreemem(msg);
	if (opts == NULL)
		return -1;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			rc = 1;
	PQconninfoFree(opts);
	return rc;
}

int
cli_setup(const struct config *c, const struct setup_opts *o)
{
	const char *dsn = o->admin_dsn;
	const char *password = getenv(SETUP_PASSWORD_ENV);
	const char *from = SETUP_PASSWORD_ENV;
	char	   *verifier = NULL;
	struct catalog_info ci;
	struct script *sc;
	PGconn	   *conn = NULL;
	int			rc = 0;
	char		err[1024];

	if (dsn == NULL || dsn[0] == '\0')
		dsn = getenv(SETUP_ADMIN_DSN_ENV);
	if (dsn != NULL && dsn[0] == '\0')
		dsn = NULL;
	if (password != NULL && password[0] == '\0')
		password = NULL;
	if (password == NULL && c->password != NULL)
	{
		/* the user is database.user: it logs in with the configured password */
		password = c->password;
		from = c->password_from ? c->password_from : "database.password";
	}
	if (o->admin_dsn != NULL && o->admin_dsn[0] != '\0' && dsn_password(o->admin_dsn) == 1)
	{
		log_error("--admin-dsn: the connection string holds a password, which other users can read on the command line");
		log_hint("put the connection string in %s instead, or the password in PGPASSWORD or ~/.pgpass", SETUP_ADMIN_DSN_ENV);
		return EXIT_USAGE;
	}
	if (dsn != NULL && dsn_password(dsn) < 0)
	{
		log_error("the administrator connection string (%s) is not valid conninfo: key=value pairs or a postgresql:// URI (not shown: it may hold a password)",
				  dsn == o->admin_dsn ? "--admin-dsn" : SETUP_ADMIN_DSN_ENV);
		return EXIT_USAGE;
	}
	if (o->apply && dsn == NULL)
	{
		log_error("--apply needs an administrator connection");
		log_hint("give --admin-dsn CONNINFO or set %s", SETUP_ADMIN_DSN_ENV);
		return EXIT_USAGE;
	}
	if (!o->apply && o->admin_dsn != NULL && o->admin_dsn[0] == '\0')
	{
		log_error("--admin-dsn: empty connection string");
		return EXIT_USAGE;
	}

	memset(&ci, 0, sizeof(ci));
	if (dsn)
	{
		if ((conn = admin_connect(dsn, c)) == NULL)
			return EXIT_RUNTIME;
		if (read_catalog(conn, c, &ci, err, sizeof(err)) != 0)
		{
			log_error("could not read the catalog: %s", err);
			catalog_free(&ci);
			PQfinish(conn);
			return EXIT_RUNTIME;
		}
		if (c->slot_failover && ci.version < 170000)
		{
			log_warning("slot.failover=true, but PostgreSQL %d has no failover slots (they exist from PostgreSQL 17 on): the slot is an ordinary one, which a failover to a standby does not keep",
						ci.version / 10000);
			log_hint("connect to a primary running PostgreSQL 17 or later, or set slot.failover=false");
		}
	}
	if (o->apply && password != NULL)
	{
		/* hashed as the server stores it: the clear text never leaves walcap */
		verifier = PQencryptPasswordConn(conn, password, c->user, NULL);
		if (verifier == NULL)
		{
			pgconn_error(conn, err, sizeof(err));
			log_error("could not hash the password for the new user: %s", err);
			catalog_free(&ci);
			PQfinish(conn);
			return EXIT_RUNTIME;
		}
	}

	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
	{
		log_error("out of memory");
		catalog_free(&ci);
		PQfinish(conn);
		return EXIT_RUNTIME;
	}
	buf_init(&sc->tail, 0);
	build_script(c, &ci, verifier, sc);
	if (verifier)
	{
		memset(verifier, 0, strlen(verifier));
		PQfreemem(verifier);
	}
	if (sc->failed)
	{
		log_error("out of memory");
		rc = EXIT_RUNTIME;
	}
	else if (o->apply)
	{
		/* without a password, stop before the first step unless the user exists */
		int			exists = password ? 1 : user_exists(conn, sc);

		if (exists < 0)
			rc = EXIT_RUNTIME;
		else if (exists == 0)
		{
			log_error("setup --apply: no password for the user \"%s\" it would create", c->user);
			log_hint("set %s, or configure the password walcap logs in with: database.password in the -c file, database.password.file or %s",
					 SETUP_PASSWORD_ENV, CONFIG_PASSWORD_ENV);
			rc = EXIT_USAGE;
		}
		else
		{
			rc = apply_script(conn, sc, c, password ? from : NULL,
							  password && c->password && strcmp(password, c->password) != 0);
			if (rc == 0)
				printf("\n%s", sc->tail.data ? sc->tail.data : "");
		}
	}
	else
		print_script(c, sc);
	fflush(stdout);
	script_free(sc);
	free(sc);
	catalog_free(&ci);
	PQfinish(conn);
	return rc;
}

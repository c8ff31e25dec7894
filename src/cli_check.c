/*
 * cli_check.c — `walcap check`: verify, as the connector user, every step
 * of the setup guide that walcap depends on, one PASS / WARN / FAIL line
 * per check, and for each problem why it matters and the SQL or server
 * parameter change that fixes it.
 *
 * Checks run in the order a DBA would fix them: server, user, signal
 * table, publication, slot, tables, WAL.  A check whose prerequisite
 * failed (no slot to peek at, no connection) is reported as SKIP with the
 * reason, so the report never claims something it did not verify.  Only
 * catalog views and privilege functions any user may call are read; the
 * one check with a side effect on the server is the seed's verification
 * query, which only peeks (the slot does not advance).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "log.h"
#include "partition.h"
#include "pgconn.h"
#include "tunnel.h"

#define CHECK_MAX_ITEMS 48
#define CHECK_ROLE "streamkap_role"
/* Tables named in one line before "and N more". */
#define CHECK_LIST_MAX 10

enum verdict
{
	V_PASS,
	V_WARN,
	V_FAIL,
	V_SKIP,
};

static const char *const verdict_name[] = {"PASS", "WARN", "FAIL", "SKIP"};

struct item
{
	enum verdict v;
	const char *name;			/* stable id, also in the JSON */
	char	   *msg;			/* what was found */
	char	   *why;			/* FAIL/WARN: why it matters */
	char	   *fix;			/* FAIL/WARN: lines of SQL or steps */
};

struct report
{
	int			n;
	int			count[4];
	int			oom;
	struct item items[CHECK_MAX_ITEMS];
};

/* What the checks learn and share. */
struct ctx
{
	const struct config *c;
	PGconn	   *conn;
	struct report *r;
	int			version;
	int			rds;			/* rds_replication exists */
	int			replication_ok;	/* the user may replicate */
	int			tunnel_failed;	/* ssh.enabled and the tunnel did not open */
	char		grantee[128];	/* streamkap_role if the user is in it */
	struct buf	sig;			/* "schema"."streamkap_signal" */
	struct buf	pub;			/* "publication" */
	/* the publication */
	int			pub_found;
	int			pub_all;
	int			pub_viaroot;
	/* the slot */
	int			slot_found;
	int			slot_usable;	/* pgoutput, this database, idle, not lost */
	int64_t		retained;
	char		wal_status[32];
	char		safe_wal_size[32];
};

static char *
dup_or_oom(struct report *r, const char *s)
{
	char	   *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		r->oom = 1;
	return d;
}

/* Record a check.  why and fix may be NULL; fix lines are '\n'-separated. */
static void
add(struct report *r, enum verdict v, const char *name, const char *why,
	const char *fix, const char *fmt,...)
	__attribute__((format(printf, 6, 7)));

static void
add(struct report *r, enum verdict v, const char *name, const char *why,
	const char *fix, const char *fmt,...)
{
	struct item *it;
	struct buf	b;
	va_list		ap;

	if (r->n >= CHECK_MAX_ITEMS)
	{
		r->oom = 1;
		return;
	}
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->v = v;
	it->name = name;
	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if ((it->msg = buf_take(&b)) == NULL)
		r->oom = 1;
	it->why = dup_or_oom(r, why);
	it->fix = dup_or_oom(r, fix);
	r->count[v]++;
}

static void
report_free(struct report *r)
{
	for (int i = 0; i < r->n; i++)
	{
		free(r->items[i].msg);
		free(r->items[i].why);
		free(r->items[i].fix);
	}
}

/* A query with text parameters; NULL (and the message in err) on error. */
static PGresult *
query(struct ctx *x, const char *sql, int nparams, const char *const *params,
	  char *err, size_t errlen)
{
	PGresult   *res = PQexecParams(x->conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(x->conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int
is_true(PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

static const char *
text_of(struct buf *b)
{
	return b->data ? b->data : "";
}

/* ", " between names, and "and N more" past CHECK_LIST_MAX. */
static void
list_add(struct buf *b, int *n, const char *schema, const char *table)
{
	if (*n < CHECK_LIST_MAX)
		buf_printf(b, "%s%s.%s", *n ? ", " : "", schema, table);
	(*n)++;
}

static void
list_end(struct buf *b, int n)
{
	if (n > CHECK_LIST_MAX)
		buf_printf(b, " and %d more", n - CHECK_LIST_MAX);
}

/* ---- server ---- */

static void
setting(struct ctx *x, const char *name, char *out, size_t outlen)
{
	const char *params[1] = {name};
	char		err[256];
	PGresult   *res = query(x, "SELECT current_setting($1, true)", 1, params,
							err, sizeof(err));

	out[0] = '\0';
	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* The SSH tunnel, before anything is tried through it. */
static void
check_tunnel(struct ctx *x)
{
	char		err[2048];
	char		desc[1024];
	int			port;
	unsigned	seq;

	if (tunnel_ensure(x->c, &port, &seq, err, sizeof(err)) != 0)
	{
		char	   *nl = strchr(err, '\n');

		if (nl)
			*nl = '\0';
		add(x->r, V_FAIL, "ssh_tunnel", "the database is reached only through the bastion (ssh.enabled)",
			nl ? nl + 1 : "check the ssh.* keys", "%s", err);
		x->tunnel_failed = 1;
		return;
	}
	tunnel_describe(desc, sizeof(desc));
	if (x->c->ssh_host_key_check)
		add(x->r, V_PASS, "ssh_tunnel", NULL, NULL, "%s", desc);
	else
		add(x->r, V_WARN, "ssh_tunnel",
			"without checking the bastion's host key, anyone on the path could pose as the bastion and receive the database password",
			"add the bastion's key to ssh.known.hosts.file (its fingerprint checked on the bastion) and remove ssh.host.key.check=false",
			"%s", desc);
}

/* Whether host is this machine: a socket directory, localhost, 127/8 or ::1. */
static int
is_loopback(const char *host)
{
	return host[0] == '/' || strcmp(host, "localhost") == 0 ||
		strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/*
 * Whether the connection is encrypted, and how well the server is
 * verified: below verify-full a server on another machine is warned
 * about, since TLS without the name check does not stop a
 * man-in-the-middle.  (Through an SSH tunnel this is the path from the
 * bastion to the database.)
 */
static void
check_tls(struct ctx *x)
{
	const char *mode = x->c->sslmode;
	const char *host = x->c->hostname;
	const char *fix = "set database.sslmode=verify-full and database.sslrootcert to the CA certificate that signed the server's certificate";
	/* through the tunnel, database.hostname is as the bastion sees it */
	const char *where = x->c->ssh_enabled ? "the bastion" : "this machine";

	if (host[0] == '/')
	{
		add(x->r, V_PASS, "tls", NULL, NULL, "not used on a Unix-domain socket (nothing leaves this machine)");
		return;
	}
	if (!PQsslInUse(x->conn))
	{
		if (is_loopback(host))
			add(x->r, V_PASS, "tls", NULL, NULL, "not encrypted (sslmode=%s), on the loopback interface of %s",
				mode, where);
		else
			add(x->r, V_WARN, "tls",
				"the password exchange and every change travel unencrypted to the server",
				strcmp(mode, "disable") == 0 || strcmp(mode, "allow") == 0 ? fix :
				"turn TLS on in the server (ssl = on, with a certificate), then set database.sslmode=verify-full and database.sslrootcert",
				"not encrypted (sslmode=%s%s)", mode,
				strcmp(mode, "prefer") == 0 ? ": the server does not offer TLS" : "");
		return;
	}
	if (strcmp(mode, "verify-full") == 0)
		add(x->r, V_PASS, "tls", NULL, NULL,
			"encrypted with %s (%s); sslmode=verify-full: the server's certificate and its name %s are verified",
			PQsslAttribute(x->conn, "protocol"), PQsslAttribute(x->conn, "cipher"), host);
	else if (is_loopback(host))
		add(x->r, V_PASS, "tls", NULL, NULL, "encrypted with %s (%s); sslmode=%s, on the loopback interface of %s",
			PQsslAttribute(x->conn, "protocol"), PQsslAttribute(x->conn, "cipher"), mode, where);
	else
		add(x->r, V_WARN, "tls",
			strcmp(mode, "verify-ca") == 0 ?
			"verify-ca checks who signed the certificate but not that it was issued for this server's name" :
			"the server's certificate is not verified: anyone on the path could pose as the server",
			fix, "encrypted with %s (%s), but sslmode=%s is below verify-full for %s",
			PQsslAttribute(x->conn, "protocol"), PQsslAttribute(x->conn, "cipher"), mode, host);
}

static int
check_server(struct ctx *x)
{
	char		v[64];
	int			ver = x->version;

	if (ver < 100000)
	{
		add(x->r, V_FAIL, "server_version",
			"logical replication with pgoutput exists from PostgreSQL 10 on",
			"upgrade the server to PostgreSQL 10 or later",
			"PostgreSQL %d.%d is older than 10", ver / 10000, (ver / 100) % 100);
		return -1;
	}
	add(x->r, V_PASS, "server_version", NULL, NULL, "PostgreSQL %d.%d",
		ver / 10000, ver % 10000);

	/* RDS has the rds_replication role and the rds.* settings */
	if (x->rds)
		setting(x, "rds.logical_replication", v, sizeof(v));
	if (x->rds && v[0])
	{
		if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
			add(x->r, V_PASS, "wal_level", NULL, NULL,
				"rds.logical_replication = on (Amazon RDS / Aurora)");
		else
			add(x->r, V_FAIL, "wal_level",
				"without it the server writes no logical decoding information and no slot can stream changes",
				"set rds.logical_replication = 1 in the DB parameter group, then reboot the instance\n"
				"(Parameter groups -> the instance's group -> Edit -> rds.logical_replication = 1 -> Save changes)",
				"rds.logical_replication = %s, must be on (Amazon RDS / Aurora)", v);
	}
	else
	{
		setting(x, "wal_level", v, sizeof(v));
		if (strcmp(v, "logical") == 0)
			add(x->r, V_PASS, "wal_level", NULL, NULL, "wal_level = logical");
		else
			add(x->r, V_FAIL, "wal_level",
				"without it the server writes no logical decoding information and no slot can stream changes",
				"ALTER SYSTEM SET wal_level = logical;\n"
				"-- then restart PostgreSQL (a reload is not enough)",
				"wal_level = %s, must be logical", v);
	}

	setting(x, "wal_sender_timeout", v, sizeof(v));
	if (strcmp(v, "0") == 0)
		add(x->r, V_PASS, "wal_sender_timeout", NULL, NULL, "wal_sender_timeout = 0");
	else if (x->c->heartbeat_ms > 0 && (x->c->heartbeat_query || x->c->heartbeat_message))
		add(x->r, V_PASS, "wal_sender_timeout", NULL, NULL,
			"wal_sender_timeout = %s; heartbeats every %lld ms (%s)", v,
			(long long) x->c->heartbeat_ms,
			x->c->heartbeat_query ? "heartbeat.action.query" : "heartbeat.logical.message");
	else
		add(x->r, V_WARN, "wal_sender_timeout",
			"a non-zero timeout may disconnect an idle connector on a low-volume database unless heartbeats are enabled",
			x->rds ?
			"set wal_sender_timeout = 0 in the DB parameter group (Parameter groups -> the instance's group -> Edit)" :
			"ALTER SYSTEM SET wal_sender_timeout = 0;\nSELECT pg_reload_conf();",
			"wal_sender_timeout = %s and no heartbeat is configured (heartbeat.interval.ms with heartbeat.action.query or heartbeat.logical.message)", v);
	return 0;
}

/* Free replication slots and WAL senders. */
static void
check_capacity(struct ctx *x)
{
	const char *params[1] = {x->c->slot_name};
	char		err[512];
	PGresult   *res = query(x,
							"SELECT current_setting('max_replication_slots')::int, "
							"(SELECT count(*) FROM pg_replication_slots)::int, "
							"EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1), "
							"current_setting('max_wal_senders')::int, "
							"(SELECT count(*) FROM pg_stat_replication)::int",
							1, params, err, sizeof(err));
	int			max_slots, used_slots, have, max_send, used_send;

	if (res == NULL)
	{
		add(x->r, V_SKIP, "replication_slots", NULL, NULL, "could not be read: %s", err);
		add(x->r, V_SKIP, "wal_senders", NULL, NULL, "could not be read: %s", err);
		return;
	}
	max_slots = atoi(PQgetvalue(res, 0, 0));
	used_slots = atoi(PQgetvalue(res, 0, 1));
	have = is_true(res, 0, 2);
	max_send = atoi(PQgetvalue(res, 0, 3));
	used_send = atoi(PQgetvalue(res, 0, 4));
	PQclear(res);

	if (have || used_slots < max_slots)
		add(x->r, V_PASS, "replication_slots", NULL, NULL, "%d of max_replication_slots = %d in use",
			used_slots, max_slots);
	else
		add(x->r, V_FAIL, "replication_slots",
			"the connector's slot does not exist yet and no slot is free to create it",
			x->rds ?
			"raise max_replication_slots in the DB parameter group, then reboot the instance" :
			"ALTER SYSTEM SET max_replication_slots = <more>;\n-- then restart PostgreSQL",
			"all %d of max_replication_slots are in use", max_slots);

	/* walcap needs one sender, and a second while a restart overlaps */
	if (used_send < max_send)
		add(x->r, V_PASS, "wal_senders", NULL, NULL, "%d of max_wal_senders = %d in use",
			used_send, max_send);
	else
		add(x->r, V_FAIL, "wal_senders",
			"every replication connection takes a WAL sender; with none free walcap cannot connect",
			x->rds ?
			"raise max_wal_senders in the DB parameter group, then reboot the instance" :
			"ALTER SYSTEM SET max_wal_senders = <more>;\n-- then restart PostgreSQL",
			"all %d of max_wal_senders are in use", max_send);
}

/* ---- the user ---- */

static void
check_user(struct ctx *x)
{
	const struct config *c = x->c;
	char		err[1024];
	PGresult   *res = query(x,
							"SELECT r.rolsuper, r.rolreplication, "
							"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') "
							"  AND pg_has_role(current_user, 'rds_replication', 'MEMBER'), "
							"has_database_privilege(current_database(), 'CONNECT'), "
							"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" CHECK_ROLE "') "
							"  AND pg_has_role(current_user, '" CHECK_ROLE "', 'MEMBER') "
							"FROM pg_roles r WHERE r.rolname = current_user",
							0, NULL, err, sizeof(err));
	struct buf	fix;

	if (res == NULL || PQntuples(res) != 1)
	{
		add(x->r, V_SKIP, "replication", NULL, NULL, "could not be read: %s",
			res ? "no such role" : err);
		PQclear(res);
		return;
	}
	snprintf(x->grantee, sizeof(x->grantee), "%s", is_true(res, 0, 4) ? CHECK_ROLE : c->user);
	buf_init(&fix, 0);
	if (is_true(res, 0, 0) || is_true(res, 0, 1) || is_true(res, 0, 2))
	{
		x->replication_ok = 1;
		add(x->r, V_PASS, "replication", NULL, NULL, "%s has %s", c->user,
			is_true(res, 0, 0) ? "superuser" : is_true(res, 0, 1) ?
			"the REPLICATION attribute" : "rds_replication");
	}
	else
	{
		if (x->rds)
		{
			buf_lit(&fix, "GRANT rds_replication TO ");
			pgconn_quote_ident(&fix, x->grantee);
			buf_putc(&fix, ';');
		}
		else
		{
			buf_lit(&fix, "ALTER ROLE ");
			pgconn_quote_ident(&fix, c->user);
			buf_lit(&fix, " REPLICATION;");
		}
		add(x->r, V_FAIL, "replication",
			"a logical replication connection needs it; walcap cannot stream without it",
			text_of(&fix), "%s has neither REPLICATION nor %s", c->user,
			x->rds ? "rds_replication" : "superuser");
	}
	if (is_true(res, 0, 3))
		add(x->r, V_PASS, "connect", NULL, NULL, "CONNECT on database %s", c->dbname);
	else
	{
		buf_reset(&fix);
		buf_lit(&fix, "GRANT CONNECT ON DATABASE ");
		pgconn_quote_ident(&fix, c->dbname);
		buf_lit(&fix, " TO ");
		pgconn_quote_ident(&fix, x->grantee);
		buf_putc(&fix, ';');
		add(x->r, V_FAIL, "connect",
			"the connection works now (superuser or a PUBLIC grant) but the setup's grant is missing",
			text_of(&fix), "%s has no CONNECT privilege on database %s", c->user, c->dbname);
	}
	PQclear(res);

	/* the replication connection itself: pg_hba.conf may treat it apart */
	if (x->replication_ok)
	{
		PGconn	   *rc = pgconn_connect(c, 1, err, sizeof(err));

		if (rc)
			add(x->r, V_PASS, "replication_connection", NULL, NULL,
				"a replication connection to %s opens", c->dbname);
		else
		{
			char	   *nl = strchr(err, '\n');

			if (nl)
				*nl = '\0';
			add(x->r, V_FAIL, "replication_connection",
				"walcap streams over a replication connection",
				nl ? nl + 1 : "allow replication connections for this user in pg_hba.conf, then reload",
				"%s", err);
		}
		PQfinish(rc);
	}
	else
		add(x->r, V_SKIP, "replication_connection", NULL, NULL,
			"needs the replication privilege");
	buf_free(&fix);
}

/* ---- signal table ---- */

static void
signal_create_sql(struct ctx *x, struct buf *b)
{
	buf_printf(b, "CREATE TABLE %s (id VARCHAR(255) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2000) NULL);",
			   text_of(&x->sig));
}

static void
signal_grant_sql(struct ctx *x, struct buf *b)
{
	buf_lit(b, "GRANT USAGE ON SCHEMA ");
	pgconn_quote_ident(b, x->c->signal_schema);
	buf_lit(b, " TO ");
	pgconn_quote_ident(b, x->grantee);
	buf_printf(b, ";\nGRANT SELECT, UPDATE, INSERT%s ON TABLE %s TO ",
			   x->c->watermark_delete ? ", DELETE" : "", text_of(&x->sig));
	pgconn_quote_ident(b, x->grantee);
	buf_putc(b, ';');
}

static void
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
	res = query(x,
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
		add(x->r, V_SKIP, "signal_table", NULL, NULL, "could not be read: %s", err);
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
		add(x->r, V_FAIL, "signal_table",
			"snapshots are requested and tracked through it; without it no snapshot can run",
			text_of(&fix), "%s does not exist", name);
		add(x->r, V_SKIP, "signal_grants", NULL, NULL, "no signal table");
		add(x->r, V_SKIP, "signal_publication", NULL, NULL, "no signal table");
		goto out;
	}

	ok_cols = PQntuples(res) == 3;
	for (int i = 0; i < PQntuples(res); i++)
	{
		buf_printf(&cols, "%s%s %s", i ? ", " : "", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		if (i < 3 && (strcmp(PQgetvalue(res, i, 0), want[i]) != 0 || !is_true(res, i, 2)))
			ok_cols = 0;
	}
	if (ok_cols)
		add(x->r, V_PASS, "signal_table", NULL, NULL, "%s (%s)", name, text_of(&cols));
	else
	{
		buf_lit(&fix, "DROP TABLE ");
		buf_puts(&fix, text_of(&x->sig));
		buf_lit(&fix, ";\n");
		signal_create_sql(x, &fix);
		buf_putc(&fix, '\n');
		signal_grant_sql(x, &fix);
		add(x->r, V_FAIL, "signal_table",
			"signals are read as rows (id, type, data); with other columns walcap cannot read them",
			text_of(&fix), "%s has columns (%s), expected (id varchar, type varchar, data varchar)",
			name, text_of(&cols));
	}

	need_delete = c->watermark_delete && !c->read_only;
	if (is_true(res, 0, 3) && is_true(res, 0, 4) && is_true(res, 0, 5) && is_true(res, 0, 6) &&
		(!need_delete || is_true(res, 0, 8)))
		add(x->r, V_PASS, "signal_grants", NULL, NULL, "USAGE on schema %s; SELECT, INSERT, UPDATE%s on %s",
			c->signal_schema, need_delete ? ", DELETE" : "", name);
	else
	{
		buf_reset(&fix);
		signal_grant_sql(x, &fix);
		add(x->r, V_FAIL, "signal_grants",
			"walcap writes watermark rows into the signal table during snapshots and reads it back",
			text_of(&fix), "%s lacks%s%s%s%s%s", c->user,
			is_true(res, 0, 3) ? "" : " USAGE on schema",
			is_true(res, 0, 4) ? "" : " SELECT", is_true(res, 0, 5) ? "" : " INSERT",
			is_true(res, 0, 6) ? "" : " UPDATE",
			need_delete && !is_true(res, 0, 8) ? " DELETE (incremental.snapshot.watermarking.strategy=insert_delete)" : "");
	}

	if (!x->pub_found)
		add(x->r, V_SKIP, "signal_publication", NULL, NULL, "no publication");
	else if (x->pub_all)
		add(x->r, V_PASS, "signal_publication", NULL, NULL,
			"publication %s is FOR ALL TABLES", c->publication_name);
	else if (is_true(res, 0, 7))
		add(x->r, V_PASS, "signal_publication", NULL, NULL, "%s is in publication %s",
			name, c->publication_name);
	else
	{
		buf_reset(&fix);
		buf_printf(&fix, "ALTER PUBLICATION %s ADD TABLE %s;", text_of(&x->pub), text_of(&x->sig));
		add(x->r, V_FAIL, "signal_publication",
			"signals reach walcap through the stream; a signal table outside the publication is never seen",
			text_of(&fix), "%s is not in publication %s", name, c->publication_name);
	}
out:
	PQclear(res);
	buf_free(&fix);
	buf_free(&cols);
}

/* ---- publication ---- */

static void
check_publication(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[1] = {c->publication_name};
	char		err[512];
	struct buf	fix;
	PGresult   *res = query(x, x->version >= 130000 ?
							"SELECT puballtables, pubinsert, pubupdate, pubdelete, pubviaroot "
							"FROM pg_publication WHERE pubname = $1" :
							"SELECT puballtables, pubinsert, pubupdate, pubdelete, false "
							"FROM pg_publication WHERE pubname = $1",
							1, params, err, sizeof(err));

	buf_init(&fix, 0);
	if (res == NULL)
		add(x->r, V_SKIP, "publication", NULL, NULL, "could not be read: %s", err);
	else if (PQntuples(res) == 0)
	{
		buf_printf(&fix, "CREATE PUBLICATION %s FOR ALL TABLES;\n"
				   "-- or FOR TABLE the captured tables and %s (walcap setup prints it for the include lists)",
				   text_of(&x->pub), text_of(&x->sig));
		add(x->r, V_FAIL, "publication",
			"the publication selects which tables' changes the slot streams; walcap cannot start without it",
			text_of(&fix), "publication %s does not exist", c->publication_name);
	}
	else
	{
		x->pub_found = 1;
		x->pub_all = is_true(res, 0, 0);
		x->pub_viaroot = is_true(res, 0, 4);
		if (is_true(res, 0, 1) && is_true(res, 0, 2) && is_true(res, 0, 3))
			add(x->r, V_PASS, "publication", NULL, NULL, "publication %s exists (%s)",
				c->publication_name, x->pub_all ? "FOR ALL TABLES" : "FOR TABLE");
		else
		{
			buf_printf(&fix, "ALTER PUBLICATION %s SET (publish = 'insert, update, delete%s');",
					   text_of(&x->pub), x->version >= 110000 ? ", truncate" : "");
			add(x->r, V_FAIL, "publication",
				"the changes it does not publish never reach walcap",
				text_of(&fix), "publication %s does not publish%s%s%s", c->publication_name,
				is_true(res, 0, 1) ? "" : " inserts", is_true(res, 0, 2) ? "" : " updates",
				is_true(res, 0, 3) ? "" : " deletes");
		}
	}
	PQclear(res);
	buf_free(&fix);
}

/* ---- the captured tables ---- */

/* list_add() of a partitioned table with the names of some partitions. */
static void
list_add_leaves(struct buf *b, int *n, const char *schema, const char *table,
				struct buf *leaves)
{
	if (*n < CHECK_LIST_MAX)
		buf_printf(b, "%s%s.%s (partitions %s)", *n ? ", " : "", schema, table,
				   text_of(leaves));
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

		if (is_true(leaves, j, col))
			continue;
		if (pub_fix)
		{
			if (n)
				buf_lit(pub_fix, ", ");
			pgconn_quote_qualified(pub_fix, sch, tab);
		}
		if (key_fixes)
			key_fix(key_fixes, sch, tab);
		list_add(names, &n, sch, tab);
	}
	list_end(names, n);
	return n;
}

static void
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

	res = query(x,
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
		add(x->r, V_SKIP, "tables", NULL, NULL, "could not be read: %s", err);
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
		int			inc, in_pub = is_true(res, i, 5);
		PGresult   *leaves = NULL;

		if (strcmp(sch, c->signal_schema) == 0 && strcmp(tab, CONFIG_SIGNAL_TABLE) == 0)
			continue;
		inc = config_table_included(c, sch, tab);
		if (inc < 0)
			x->r->oom = 1;
		if (inc <= 0)
			continue;
		ntables++;
		if (!is_true(res, i, 3) && strcmp(sch, last_schema) != 0)
		{
			list_add(&no_usage, &n_usage, sch, "*");
			buf_lit(&fix_usage, "GRANT USAGE ON SCHEMA ");
			pgconn_quote_ident(&fix_usage, sch);
			buf_lit(&fix_usage, " TO ");
			pgconn_quote_ident(&fix_usage, x->grantee);
			buf_lit(&fix_usage, ";\n");
		}
		last_schema = sch;
		if (!is_true(res, i, 4))
		{
			list_add(&no_select, &n_select, sch, tab);
			buf_lit(&fix_select, "GRANT SELECT ON ");
			pgconn_quote_qualified(&fix_select, sch, tab);
			buf_lit(&fix_select, " TO ");
			pgconn_quote_ident(&fix_select, x->grantee);
			buf_lit(&fix_select, ";\n");
		}
		/*
		 * A partitioned table's changes are its partitions' (leaves'):
		 * before 13 they must be in the publication themselves, and
		 * UPDATE/DELETE on each needs its own replica identity.
		 */
		if (is_true(res, i, 2) &&
			(x->version < PARTITION_VIAROOT_VERSION ||
			 (x->pub_found && !x->pub_all && !x->pub_viaroot)) &&
			(leaves = partition_leaves(x->conn, PQgetvalue(res, i, 9), c->publication_name,
									   err, sizeof(err))) == NULL)
			add(x->r, V_SKIP, "partition_leaves", NULL, NULL, "the partitions of %s.%s could not be read: %s",
				sch, tab, err);
		if (leaves && x->version < PARTITION_VIAROOT_VERSION)
		{
			list_add(&mapped, &n_mapped, sch, tab);
			in_pub = leaf_list(leaves, PARTITION_LEAF_PUBLISHED, &item, NULL, NULL) == 0;
		}
		else if (leaves)		/* 13+ without publish_via_partition_root */
			in_pub |= leaf_list(leaves, PARTITION_LEAF_PUBLISHED, &item, NULL, NULL) <
				PQntuples(leaves);
		if (x->pub_found && !x->pub_all && !in_pub)
		{
			if (n_unpub == 0)
				buf_printf(&fix_pub, "ALTER PUBLICATION %s ADD TABLE ", text_of(&x->pub));
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
				list_add(&unpublished, &n_unpub, sch, tab);
			}
		}
		if (is_true(res, i, 2) && x->version >= 130000 && !x->pub_viaroot)
			list_add(&no_root, &n_root, sch, tab);
		/* UPDATE/DELETE of a published table fail without a replica identity */
		if (leaves && x->version < PARTITION_VIAROOT_VERSION)
		{
			if (leaf_list(leaves, PARTITION_LEAF_IDENTITY, &item, NULL, &fix_key) > 0)
				list_add_leaves(&no_key, &n_key, sch, tab, &item);
		}
		else if (ident == 'n' || (ident == 'd' && !is_true(res, i, 7)) ||
				 (ident == 'i' && !is_true(res, i, 8)))
		{
			list_add(&no_key, &n_key, sch, tab);
			key_fix(&fix_key, sch, tab);
		}
		PQclear(leaves);
	}
	PQclear(res);
	list_end(&no_usage, n_usage);
	list_end(&no_select, n_select);
	list_end(&unpublished, n_unpub);
	list_end(&no_root, n_root);
	list_end(&no_key, n_key);
	if (fix_usage.len)
		fix_usage.data[--fix_usage.len] = '\0';
	if (fix_select.len)
		fix_select.data[--fix_select.len] = '\0';
	if (fix_key.len)
		fix_key.data[--fix_key.len] = '\0';
	if (n_unpub)
		buf_putc(&fix_pub, ';');

	if (ntables == 0)
		add(x->r, V_WARN, "tables",
			"walcap will stream nothing until a table matches",
			"check table.include.list / schema.include.list (and the exclude lists) against the database's tables",
			"no table in database %s matches the include and exclude lists", c->dbname);
	else
		add(x->r, V_PASS, "tables", NULL, NULL, "%d captured table%s", ntables,
			ntables == 1 ? "" : "s");

	if (n_usage)
		add(x->r, V_FAIL, "schema_usage",
			"without USAGE on a schema its tables cannot be read for snapshots or type lookups",
			text_of(&fix_usage), "%s lacks USAGE on schema%s %s", c->user,
			n_usage == 1 ? "" : "s", text_of(&no_usage));
	else if (ntables)
		add(x->r, V_PASS, "schema_usage", NULL, NULL, "USAGE on every captured schema");

	if (n_select)
		add(x->r, V_FAIL, "select",
			"snapshots read every captured table; without SELECT its existing rows cannot be captured",
			text_of(&fix_select), "%s lacks SELECT on %s", c->user, text_of(&no_select));
	else if (ntables)
		add(x->r, V_PASS, "select", NULL, NULL, "SELECT on every captured table");

	if (!x->pub_found)
		add(x->r, V_SKIP, "publication_tables", NULL, NULL, "no publication");
	else if (n_unpub)
		add(x->r, V_FAIL, "publication_tables",
			"changes of a table outside the publication are never streamed (after adding it, snapshot it: its earlier changes are not in the stream)",
			text_of(&fix_pub), "not in publication %s: %s", c->publication_name, text_of(&unpublished));
	else if (ntables)
		add(x->r, V_PASS, "publication_tables", NULL, NULL, "publication %s covers every captured table",
			c->publication_name);

	if (n_root)
	{
		struct buf	f;

		buf_init(&f, 0);
		buf_printf(&f, "ALTER PUBLICATION %s SET (publish_via_partition_root = true);", text_of(&x->pub));
		add(x->r, V_FAIL, "partition_root",
			"without it changes arrive under each partition's name, which the include lists may not match",
			text_of(&f), "publication %s has publish_via_partition_root = false and captures partitioned %s",
			c->publication_name, text_of(&no_root));
		buf_free(&f);
	}

	list_end(&mapped, n_mapped);
	if (n_mapped)
		add(x->r, V_PASS, "partition_root", NULL, NULL,
			"PostgreSQL %d publishes each partition's changes under its own name; walcap gives them the name of their partitioned table: %s",
			x->version / 10000, text_of(&mapped));

	if (n_key)
		add(x->r, V_FAIL, "replica_identity",
			"once a table is published, UPDATE and DELETE on it fail without a primary key or replica identity",
			text_of(&fix_key), "no primary key or replica identity: %s", text_of(&no_key));
	else if (ntables)
		add(x->r, V_PASS, "replica_identity", NULL, NULL,
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

/* ---- the slot ---- */

/*
 * Whether the slot is a failover slot (PostgreSQL 17+), which standbys
 * keep a synchronized copy of, against slot.failover.  Below 17 there
 * is a line only when the key asks for what the server cannot do.
 */
static void
check_slot_failover(struct ctx *x, int failover)
{
	const struct config *c = x->c;
	struct buf	fix;

	if (x->version < 170000)
	{
		if (c->slot_failover)
			add(x->r, V_WARN, "slot_failover",
				"the slot is an ordinary one: a failover to a standby loses it, and walcap must start over with a new slot and a new snapshot",
				"upgrade to PostgreSQL 17 or later, or set slot.failover=false",
				"slot.failover=true, but PostgreSQL %d has no failover slots (they exist from PostgreSQL 17 on)",
				x->version / 10000);
		return;
	}
	if (failover)
	{
		add(x->r, V_PASS, "slot_failover", NULL, NULL,
			"replication slot %s is a failover slot: standbys with sync_replication_slots = on keep a copy",
			c->slot_name);
		return;
	}
	if (!c->slot_failover)
	{
		add(x->r, V_PASS, "slot_failover", NULL, NULL,
			"replication slot %s is not a failover slot (slot.failover=false): a failover to a standby loses it",
			c->slot_name);
		return;
	}
	buf_init(&fix, 0);
	buf_lit(&fix, "-- walcap run does this when it starts; or, while no one streams from the slot,\n"
			"-- as the connector user in psql connected with replication=database:\n"
			"ALTER_REPLICATION_SLOT ");
	pgconn_quote_ident(&fix, c->slot_name);
	buf_lit(&fix, " (FAILOVER true);\n"
			"-- standbys keep a copy with sync_replication_slots = on (see docs/config.md)");
	add(x->r, V_WARN, "slot_failover",
		"only a failover slot is synchronized to physical standbys; an ordinary one is lost when a standby is promoted, and walcap must start over with a new slot and a new snapshot",
		text_of(&fix), "replication slot %s is not a failover slot, but slot.failover=true", c->slot_name);
	buf_free(&fix);
}

static void
check_slot(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[1] = {c->slot_name};
	char		err[512];
	struct buf	create, fix;
	PGresult   *res = query(x, x->version >= 170000 ?
							"SELECT plugin, slot_type, database, database = current_database(), active, active_pid, "
							"pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, wal_status, safe_wal_size, "
							"failover FROM pg_replication_slots WHERE slot_name = $1" :
							x->version >= 130000 ?
							"SELECT plugin, slot_type, database, database = current_database(), active, active_pid, "
							"pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, wal_status, safe_wal_size, "
							"NULL FROM pg_replication_slots WHERE slot_name = $1" :
							"SELECT plugin, slot_type, database, database = current_database(), active, active_pid, "
							"pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, NULL, NULL, NULL "
							"FROM pg_replication_slots WHERE slot_name = $1",
							1, params, err, sizeof(err));

	buf_init(&create, 0);
	buf_init(&fix, 0);
	buf_lit(&create, "SELECT pg_create_logical_replication_slot(");
	pgconn_quote_literal(&create, c->slot_name);
	buf_puts(&create, c->slot_failover && x->version >= 170000 ? ", 'pgoutput', failover => true);" :
			 ", 'pgoutput');");
	if (res == NULL)
	{
		add(x->r, V_SKIP, "slot", NULL, NULL, "could not be read: %s", err);
		goto out;
	}
	if (PQntuples(res) == 0)
	{
		add(x->r, V_FAIL, "slot",
			"the slot keeps the server's WAL until walcap has delivered it; walcap does not create it",
			text_of(&create), "replication slot %s does not exist", c->slot_name);
		if (x->version >= 170000 || c->slot_failover)
			add(x->r, V_SKIP, "slot_failover", NULL, NULL, "no slot");
		goto out;
	}
	x->slot_found = 1;
	x->retained = PQgetisnull(res, 0, 6) ? 0 : strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	snprintf(x->wal_status, sizeof(x->wal_status), "%s", PQgetvalue(res, 0, 7));
	snprintf(x->safe_wal_size, sizeof(x->safe_wal_size), "%s", PQgetvalue(res, 0, 8));
	buf_lit(&fix, "SELECT pg_drop_replication_slot(");
	pgconn_quote_literal(&fix, c->slot_name);
	buf_printf(&fix, ");\n%s\n-- changes not yet consumed from the old slot are lost: snapshot afterwards",
			   text_of(&create));
	if (strcmp(PQgetvalue(res, 0, 1), "logical") != 0 ||
		strcmp(PQgetvalue(res, 0, 0), "pgoutput") != 0)
		add(x->r, V_FAIL, "slot",
			"walcap decodes pgoutput's binary protocol; a slot of another plugin sends something else",
			text_of(&fix), "replication slot %s uses plugin %s, must be pgoutput", c->slot_name,
			PQgetisnull(res, 0, 0) ? "(none: a physical slot)" : PQgetvalue(res, 0, 0));
	else if (!is_true(res, 0, 3))
	{
		buf_reset(&fix);
		buf_printf(&fix, "%s  -- run in database %s, or set slot.name to another name", text_of(&create),
				   c->dbname);
		add(x->r, V_FAIL, "slot",
			"a logical slot decodes only the database it was created in",
			text_of(&fix), "replication slot %s belongs to database %s, not %s", c->slot_name,
			PQgetvalue(res, 0, 2), c->dbname);
	}
	else
	{
		add(x->r, V_PASS, "slot", NULL, NULL, "replication slot %s (pgoutput, database %s)",
			c->slot_name, c->dbname);
		x->slot_usable = 1;
	}
	if (strcmp(x->wal_status, "lost") == 0)
	{
		x->slot_usable = 0;
		add(x->r, V_FAIL, "slot_wal",
			"the WAL the slot needed was removed (max_slot_wal_keep_size): changes since are gone for good",
			text_of(&fix), "replication slot %s is invalidated (wal_status lost)", c->slot_name);
	}
	else if (x->wal_status[0])
		add(x->r, V_PASS, "slot_wal", NULL, NULL, "wal_status %s", x->wal_status);
	if (is_true(res, 0, 4))
	{
		const char *pid = PQgetvalue(res, 0, 5);

		buf_reset(&fix);
		buf_printf(&fix, "SELECT pg_terminate_backend(%s);  -- or stop the other consumer",
				   pid[0] ? pid : "<pid>");
		x->slot_usable = 0;
		add(x->r, V_FAIL, "slot_active",
			"a slot streams to one session at a time; walcap cannot start while another holds it (expected if walcap is running)",
			text_of(&fix), "replication slot %s is active in another session (pid %s)", c->slot_name,
			pid[0] ? pid : "unknown");
	}
	else
		add(x->r, V_PASS, "slot_active", NULL, NULL, "replication slot %s is not in use", c->slot_name);
	check_slot_failover(x, is_true(res, 0, 9));
out:
	PQclear(res);
	buf_free(&create);
	buf_free(&fix);
}

/* The seed's verification query: decode from the slot without consuming. */
static void
check_decoding(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[2] = {c->slot_name, c->publication_name};
	char		err[512];
	PGresult   *res;
	struct buf	sql;

	if (!x->slot_usable || !x->pub_found || !x->replication_ok)
	{
		add(x->r, V_SKIP, "decoding", NULL, NULL, "needs %s",
			!x->replication_ok ? "the replication privilege" :
			!x->pub_found ? "the publication" : "a usable slot");
		return;
	}
	/* bounded: a slot far behind could otherwise decode for minutes */
	res = PQexec(x->conn, "BEGIN READ ONLY; SET LOCAL statement_timeout = '60s'");
	PQclear(res);
	res = query(x,
				"SELECT count(*) FROM pg_logical_slot_peek_binary_changes($1, NULL, 1, "
				"'proto_version', '1', 'publication_names', $2)",
				2, params, err, sizeof(err));
	PQclear(PQexec(x->conn, "ROLLBACK"));
	buf_init(&sql, 0);
	buf_lit(&sql, "SELECT count(*) FROM pg_logical_slot_peek_binary_changes(");
	pgconn_quote_literal(&sql, c->slot_name);
	buf_lit(&sql, ", null, null, 'proto_version', '1', 'publication_names', ");
	pgconn_quote_literal(&sql, c->publication_name);
	buf_lit(&sql, ");");
	if (res)
		add(x->r, V_PASS, "decoding", NULL, NULL, "the slot decodes with publication %s",
			c->publication_name);
	else
		add(x->r, V_FAIL, "decoding",
			"this is the setup guide's verification query; walcap's stream fails the same way",
			text_of(&sql), "peeking at slot %s failed: %s", c->slot_name, err);
	PQclear(res);
	buf_free(&sql);
}

static void
check_retention(struct ctx *x)
{
	char		keep[32], h[32], hk[32];
	int64_t		keep_bytes = -1;

	if (!x->slot_found)
	{
		add(x->r, V_SKIP, "wal_retention", NULL, NULL, "no slot");
		return;
	}
	cli_human_size(h, sizeof(h), x->retained);
	if (x->version < 130000)
	{
		add(x->r, V_PASS, "wal_retention", NULL, NULL,
			"the slot retains %s of WAL (PostgreSQL %d has no max_slot_wal_keep_size)",
			h, x->version / 10000);
		return;
	}
	setting(x, "max_slot_wal_keep_size", keep, sizeof(keep));
	{
		/* current_setting gives units ("10GB"); pg_settings gives MB */
		char		err[256], mb[32];

		if (pgconn_value(x->conn, "SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'",
						 mb, sizeof(mb), err, sizeof(err)) == 1 && strcmp(mb, "-1") != 0)
			keep_bytes = strtoll(mb, NULL, 10) * 1024 * 1024;
	}
	if (keep_bytes < 0)
		add(x->r, V_PASS, "wal_retention", NULL, NULL,
			"the slot retains %s of WAL; max_slot_wal_keep_size = -1: WAL is kept until walcap consumes it "
			"(watch it with walcap status --max-retained-wal)", h);
	else
	{
		cli_human_size(hk, sizeof(hk), keep_bytes);
		if (x->retained > keep_bytes / 2 || strcmp(x->wal_status, "unreserved") == 0)
			add(x->r, V_WARN, "wal_retention",
				"past max_slot_wal_keep_size the server removes the WAL and invalidates the slot: changes are lost",
				"ALTER SYSTEM SET max_slot_wal_keep_size = '<larger>'; SELECT pg_reload_conf();\n"
				"-- or start walcap, or find why it is behind",
				"the slot retains %s of WAL, max_slot_wal_keep_size = %s (wal_status %s, safe_wal_size %s)",
				h, keep, x->wal_status, x->safe_wal_size[0] ? x->safe_wal_size : "-");
		else
			add(x->r, V_PASS, "wal_retention", NULL, NULL,
				"the slot retains %s of WAL, max_slot_wal_keep_size = %s", h, keep);
	}
}

/* ---- output ---- */

static void
print_text(const struct config *c, const struct report *r)
{
	printf("walcap check: database %s at %s:%d as %s, publication %s, slot %s\n",
		   c->dbname, c->hostname, c->port, c->user, c->publication_name, c->slot_name);
	for (int i = 0; i < r->n; i++)
	{
		const struct item *it = &r->items[i];

		printf("%s  %s: %s\n", verdict_name[it->v], it->name, it->msg ? it->msg : "");
		if (it->why)
			printf("      why: %s\n", it->why);
		if (it->fix)
		{
			const char *p = it->fix;

			printf("      fix: ");
			for (;;)
			{
				const char *nl = strchr(p, '\n');

				printf("%.*s\n", nl ? (int) (nl - p) : (int) strlen(p), p);
				if (nl == NULL)
					break;
				p = nl + 1;
				printf("           ");
			}
		}
	}
	printf("%d passed, %d warning%s, %d failed, %d skipped\n", r->count[V_PASS],
		   r->count[V_WARN], r->count[V_WARN] == 1 ? "" : "s", r->count[V_FAIL], r->count[V_SKIP]);
}

static void
json_opt(struct buf *b, const char *key, const char *s)
{
	buf_printf(b, ",\"%s\":", key);
	json_cstring_or_null(b, s);
}

static void
print_json(const struct config *c, const struct report *r)
{
	struct buf	b;

	buf_init(&b, 0);
	buf_lit(&b, "{\"database\":");
	json_cstring(&b, c->dbname);
	buf_lit(&b, ",\"user\":");
	json_cstring(&b, c->user);
	buf_lit(&b, ",\"checks\":[");
	for (int i = 0; i < r->n; i++)
	{
		const struct item *it = &r->items[i];

		buf_printf(&b, "%s{\"name\":\"%s\",\"status\":\"%s\"", i ? "," : "", it->name,
				   verdict_name[it->v]);
		json_opt(&b, "message", it->msg);
		json_opt(&b, "why", it->why);
		json_opt(&b, "fix", it->fix);
		buf_putc(&b, '}');
	}
	buf_printf(&b, "],\"summary\":{\"pass\":%d,\"warn\":%d,\"fail\":%d,\"skip\":%d}}\n",
			   r->count[V_PASS], r->count[V_WARN], r->count[V_FAIL], r->count[V_SKIP]);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

int
cli_check(const struct config *c, const struct check_opts *o)
{
	struct report *r = calloc(1, sizeof(*r));
	struct ctx	x;
	char		err[1024];
	char		v[16];
	int			rc;

	if (r == NULL)
	{
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.r = r;
	buf_init(&x.sig, 0);
	buf_init(&x.pub, 0);
	pgconn_quote_qualified(&x.sig, c->signal_schema, CONFIG_SIGNAL_TABLE);
	pgconn_quote_ident(&x.pub, c->publication_name);
	snprintf(x.grantee, sizeof(x.grantee), "%s", CHECK_ROLE);

	if (c->ssh_enabled)
		check_tunnel(&x);
	x.conn = x.tunnel_failed ? NULL : pgconn_connect(c, 0, err, sizeof(err));
	if (x.tunnel_failed)
		add(r, V_SKIP, "login", NULL, NULL, "not tried: no SSH tunnel");
	else if (x.conn == NULL)
	{
		char	   *nl = strchr(err, '\n');

		if (nl)
			*nl = '\0';
		add(r, V_FAIL, "login", "every other check, and walcap itself, need this connection",
			nl ? nl + 1 : "check the database.* keys and the server's pg_hba.conf", "%s", err);
	}
	else
	{
		add(r, V_PASS, "login", NULL, NULL, "logged in as %s to database %s", c->user, c->dbname);
		check_tls(&x);
		x.version = PQserverVersion(x.conn);
		x.rds = pgconn_value(x.conn, "SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication'",
							 v, sizeof(v), err, sizeof(err)) == 1;
		if (check_server(&x) == 0)
		{
			check_capacity(&x);
			check_user(&x);
			check_publication(&x);
			check_signal(&x);
			check_tables(&x);
			check_slot(&x);
			check_decoding(&x);
			check_retention(&x);
		}
	}
	if (r->oom || buf_failed(&x.sig) || buf_failed(&x.pub))
	{
		log_error("out of memory");
		rc = EXIT_RUNTIME;
	}
	else
	{
		if (o->json)
			print_json(c, r);
		else
			print_text(c, r);
		fflush(stdout);
		rc = r->count[V_FAIL] ? EXIT_RUNTIME : 0;
	}
	PQfinish(x.conn);
	buf_free(&x.sig);
	buf_free(&x.pub);
	report_free(r);
	free(r);
	return rc;
}

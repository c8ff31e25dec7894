/*
 * cli_check.c — `walcap check`: verify, as the connector user, every step
 * of the setup guide that walcap depends on, one PASS / WARN / FAIL line
 * per check, and for each problem why it matters and the SQL or server
 * parameter change that fixes it.
 *
 * Checks run in the order a DBA would fix them: server, user, signal
 * table, publication, slot, tables, WAL (cli_check.h: which file holds
 * which).  A check whose prerequisite
 * failed (no slot to peek at, no connection) is reported as SKIP with the
 * reason, so the report never claims something it did not verify.  Only
 * catalog views and privilege functions any user may call are read; the
 * one check with a side effect on the server is the seed's verification
 * query, which only peeks (the slot does not advance).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "cli.h"
#include "cli_check.h"
#include "json.h"
#include "log.h"
#include "pgconn.h"
#include "tunnel.h"

static const char *const verdict_name[] = {"PASS", "WARN", "FAIL", "SKIP"};

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

void
check_add(struct report *r, enum verdict v, const char *name, const char *why,
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

PGresult *
check_query(struct ctx *x, const char *sql, int nparams, const char *const *params,
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

int
check_true(PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

const char *
check_text(struct buf *b)
{
	return b->data ? b->data : "";
}

void
check_list_add(struct buf *b, int *n, const char *schema, const char *table)
{
	if (*n < CHECK_LIST_MAX)
		buf_printf(b, "%s%s.%s", *n ? ", " : "", schema, table);
	(*n)++;
}

void
check_list_end(struct buf *b, int n)
{
	if (n > CHECK_LIST_MAX)
		buf_printf(b, " and %d more", n - CHECK_LIST_MAX);
}

/* ---- server ---- */

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
		check_add(x->r, V_FAIL, "ssh_tunnel", "the database is reached only through the bastion (ssh.enabled)",
			nl ? nl + 1 : "check the ssh.* keys", "%s", err);
		x->tunnel_failed = 1;
		return;
	}
	tunnel_describe(desc, sizeof(desc));
	if (x->c->ssh_host_key_check)
		check_add(x->r, V_PASS, "ssh_tunnel", NULL, NULL, "%s", desc);
	else
		check_add(x->r, V_WARN, "ssh_tunnel",
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
		check_add(x->r, V_PASS, "tls", NULL, NULL, "not used on a Unix-domain socket (nothing leaves this machine)");
		return;
	}
	if (!PQsslInUse(x->conn))
	{
		if (is_loopback(host))
			check_add(x->r, V_PASS, "tls", NULL, NULL, "not encrypted (sslmode=%s), on the loopback interface of %s",
				mode, where);
		else
			check_add(x->r, V_WARN, "tls",
				"the password exchange and every change travel unencrypted to the server",
				strcmp(mode, "disable") == 0 || strcmp(mode, "allow") == 0 ? fix :
				"turn TLS on in the server (ssl = on, with a certificate), then set database.sslmode=verify-full and database.sslrootcert",
				"not encrypted (sslmode=%s%s)", mode,
				strcmp(mode, "prefer") == 0 ? ": the server does not offer TLS" : "");
		return;
	}
	if (strcmp(mode, "verify-full") == 0)
		check_add(x->r, V_PASS, "tls", NULL, NULL,
			"encrypted with %s (%s); sslmode=verify-full: the server's certificate and its name %s are verified",
			PQsslAttribute(x->conn, "protocol"), PQsslAttribute(x->conn, "cipher"), host);
	else if (is_loopback(host))
		check_add(x->r, V_PASS, "tls", NULL, NULL, "encrypted with %s (%s); sslmode=%s, on the loopback interface of %s",
			PQsslAttribute(x->conn, "protocol"), PQsslAttribute(x->conn, "cipher"), mode, where);
	else
		check_add(x->r, V_WARN, "tls",
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
		check_add(x->r, V_FAIL, "server_version",
			"logical replication with pgoutput exists from PostgreSQL 10 on",
			"upgrade the server to PostgreSQL 10 or later",
			"PostgreSQL %d.%d is older than 10", ver / 10000, (ver / 100) % 100);
		return -1;
	}
	check_add(x->r, V_PASS, "server_version", NULL, NULL, "PostgreSQL %d.%d",
		ver / 10000, ver % 10000);

	/* RDS has the rds_replication role and the rds.* settings */
	if (x->rds)
		admin_setting(x->conn, "rds.logical_replication", v, sizeof(v));
	if (x->rds && v[0])
	{
		if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
			check_add(x->r, V_PASS, "wal_level", NULL, NULL,
				"rds.logical_replication = on (Amazon RDS / Aurora)");
		else
			check_add(x->r, V_FAIL, "wal_level",
				"without it the server writes no logical decoding information and no slot can stream changes",
				"set rds.logical_replication = 1 in the DB parameter group, then reboot the instance\n"
				"(Parameter groups -> the instance's group -> Edit -> rds.logical_replication = 1 -> Save changes)",
				"rds.logical_replication = %s, must be on (Amazon RDS / Aurora)", v);
	}
	else
	{
		admin_setting(x->conn, "wal_level", v, sizeof(v));
		if (strcmp(v, "logical") == 0)
			check_add(x->r, V_PASS, "wal_level", NULL, NULL, "wal_level = logical");
		else
			check_add(x->r, V_FAIL, "wal_level",
				"without it the server writes no logical decoding information and no slot can stream changes",
				"ALTER SYSTEM SET wal_level = logical;\n"
				"-- then restart PostgreSQL (a reload is not enough)",
				"wal_level = %s, must be logical", v);
	}

	admin_setting(x->conn, "wal_sender_timeout", v, sizeof(v));
	if (strcmp(v, "0") == 0)
		check_add(x->r, V_PASS, "wal_sender_timeout", NULL, NULL, "wal_sender_timeout = 0");
	else if (x->c->heartbeat_ms > 0 && (x->c->heartbeat_query || x->c->heartbeat_message))
		check_add(x->r, V_PASS, "wal_sender_timeout", NULL, NULL,
			"wal_sender_timeout = %s; heartbeats every %lld ms (%s)", v,
			(long long) x->c->heartbeat_ms,
			x->c->heartbeat_query ? "heartbeat.action.query" : "heartbeat.logical.message");
	else
		check_add(x->r, V_WARN, "wal_sender_timeout",
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
	struct admin_capacity cap;
	char		err[512];
	int			max_slots, used_slots, have, max_send, used_send;

	if (admin_capacity(x->conn, x->c->slot_name, &cap, err, sizeof(err)) != 0)
	{
		check_add(x->r, V_SKIP, "replication_slots", NULL, NULL, "could not be read: %s", err);
		check_add(x->r, V_SKIP, "wal_senders", NULL, NULL, "could not be read: %s", err);
		return;
	}
	max_slots = cap.max_slots;
	used_slots = cap.used_slots;
	have = cap.have_slot;
	max_send = cap.max_senders;
	used_send = cap.used_senders;

	if (have || used_slots < max_slots)
		check_add(x->r, V_PASS, "replication_slots", NULL, NULL, "%d of max_replication_slots = %d in use",
			used_slots, max_slots);
	else
		check_add(x->r, V_FAIL, "replication_slots",
			"the connector's slot does not exist yet and no slot is free to create it",
			x->rds ?
			"raise max_replication_slots in the DB parameter group, then reboot the instance" :
			"ALTER SYSTEM SET max_replication_slots = <more>;\n-- then restart PostgreSQL",
			"all %d of max_replication_slots are in use", max_slots);

	/* walcap needs one sender, and a second while a restart overlaps */
	if (used_send < max_send)
		check_add(x->r, V_PASS, "wal_senders", NULL, NULL, "%d of max_wal_senders = %d in use",
			used_send, max_send);
	else
		check_add(x->r, V_FAIL, "wal_senders",
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
	PGresult   *res = check_query(x,
							"SELECT r.rolsuper, r.rolreplication, "
							"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') "
							"  AND pg_has_role(current_user, 'rds_replication', 'MEMBER'), "
							"has_database_privilege(current_database(), 'CONNECT'), "
							ADMIN_ROLE_MEMBER_SQL
							"FROM pg_roles r WHERE r.rolname = current_user",
							0, NULL, err, sizeof(err));
	struct buf	fix;

	if (res == NULL || PQntuples(res) != 1)
	{
		check_add(x->r, V_SKIP, "replication", NULL, NULL, "could not be read: %s",
			res ? "no such role" : err);
		PQclear(res);
		return;
	}
	snprintf(x->grantee, sizeof(x->grantee), "%s", admin_grantee(check_true(res, 0, 4), c->user));
	buf_init(&fix, 0);
	if (check_true(res, 0, 0) || check_true(res, 0, 1) || check_true(res, 0, 2))
	{
		x->replication_ok = 1;
		check_add(x->r, V_PASS, "replication", NULL, NULL, "%s has %s", c->user,
			check_true(res, 0, 0) ? "superuser" : check_true(res, 0, 1) ?
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
			admin_replication_sql(&fix, c->user);
			buf_putc(&fix, ';');
		}
		check_add(x->r, V_FAIL, "replication",
			"a logical replication connection needs it; walcap cannot stream without it",
			check_text(&fix), "%s has neither REPLICATION nor %s", c->user,
			x->rds ? "rds_replication" : "superuser");
	}
	if (check_true(res, 0, 3))
		check_add(x->r, V_PASS, "connect", NULL, NULL, "CONNECT on database %s", c->dbname);
	else
	{
		buf_reset(&fix);
		admin_connect_sql(&fix, c->dbname, x->grantee);
		buf_putc(&fix, ';');
		check_add(x->r, V_FAIL, "connect",
			"the connection works now (superuser or a PUBLIC grant) but the setup's grant is missing",
			check_text(&fix), "%s has no CONNECT privilege on database %s", c->user, c->dbname);
	}
	PQclear(res);

	/* the replication connection itself: pg_hba.conf may treat it apart */
	if (x->replication_ok)
	{
		PGconn	   *rc = pgconn_connect(c, 1, err, sizeof(err));

		if (rc)
			check_add(x->r, V_PASS, "replication_connection", NULL, NULL,
				"a replication connection to %s opens", c->dbname);
		else
		{
			char	   *nl = strchr(err, '\n');

			if (nl)
				*nl = '\0';
			check_add(x->r, V_FAIL, "replication_connection",
				"walcap streams over a replication connection",
				nl ? nl + 1 : "allow replication connections for this user in pg_hba.conf, then reload",
				"%s", err);
		}
		PQfinish(rc);
	}
	else
		check_add(x->r, V_SKIP, "replication_connection", NULL, NULL,
			"needs the replication privilege");
	buf_free(&fix);
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
	snprintf(x.grantee, sizeof(x.grantee), "%s", admin_grantee(-1, c->user));

	if (c->ssh_enabled)
		check_tunnel(&x);
	x.conn = x.tunnel_failed ? NULL : pgconn_connect(c, 0, err, sizeof(err));
	if (x.tunnel_failed)
		check_add(r, V_SKIP, "login", NULL, NULL, "not tried: no SSH tunnel");
	else if (x.conn == NULL)
	{
		char	   *nl = strchr(err, '\n');

		if (nl)
			*nl = '\0';
		check_add(r, V_FAIL, "login", "every other check, and walcap itself, need this connection",
			nl ? nl + 1 : "check the database.* keys and the server's pg_hba.conf", "%s", err);
	}
	else
	{
		check_add(r, V_PASS, "login", NULL, NULL, "logged in as %s to database %s", c->user, c->dbname);
		check_tls(&x);
		x.version = PQserverVersion(x.conn);
		x.rds = admin_rds(x.conn, err, sizeof(err)) == 1;
		if (check_server(&x) == 0)
		{
			check_capacity(&x);
			check_user(&x);
			check_publication(&x);
			check_signal(&x);
			check_offsets(&x);
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

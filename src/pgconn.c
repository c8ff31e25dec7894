/*
 * pgconn.c — libpq connections; see pgconn.h.
 */
#include "pgconn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "convert.h"
#include "log.h"
#include "tunnel.h"

/*
 * A server's notice (WARNING, NOTICE, ...) on one of walcap's
 * connections: through log.h like every other diagnostic, instead of
 * libpq's bare "WARNING:  ..." line on stderr.
 */
static void
log_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void) arg;
	if (msg == NULL)
		return;
	if (sev && strcmp(sev, "WARNING") == 0)
		log_warning("the server says: %s", msg);
	else
		log_debug("the server says (%s): %s", sev ? sev : "NOTICE", msg);
}

void
pgconn_error(PGconn *conn, char *err, size_t errlen)
{
	const char *m = conn ? PQerrorMessage(conn) : "out of memory";
	size_t		n = 0;

	/*
	 * libpq messages span lines ("...failed: Connection refused\n\tIs the
	 * server running..."); fold them into one so that a log line is one
	 * message and the caller's own "\n" separates the hint.
	 */
	if (errlen == 0)
		return;
	for (; *m && n + 1 < errlen; m++)
	{
		if (*m == '\n' || *m == '\t' || *m == '\r')
		{
			if (n > 0 && err[n - 1] != ' ')
				err[n++] = ' ';
		}
		else
			err[n++] = *m;
	}
	while (n > 0 && err[n - 1] == ' ')
		n--;
	err[n] = '\0';
}

/* A hint for the most common reasons a connection is refused. */
static const char *
hint_for(const char *msg)
{
	if (strstr(msg, "password authentication failed") ||
		strstr(msg, "no password supplied"))
		return "check database.password (or WALCAP_DATABASE_PASSWORD, database.password.file, PGPASSWORD, ~/.pgpass) for database.user";
	if (strstr(msg, "could not translate host name"))
		return "check database.hostname: the name does not resolve";
	if (strstr(msg, "Connection refused") || strstr(msg, "No such file or directory"))
		return "is PostgreSQL running at database.hostname:database.port, and does listen_addresses include that address?";
	if (strstr(msg, "timeout expired") || strstr(msg, "timed out"))
		return "the server did not answer in time: check database.hostname, database.port and any firewall or security group in between";
	if ((strstr(msg, "no pg_hba.conf entry") || strstr(msg, "pg_hba.conf rejects connection")) &&
		strstr(msg, "no encryption"))
		return "the server accepts this user only over TLS (hostssl): set database.sslmode=verify-full (with database.sslrootcert), or at least require";
	if (strstr(msg, "certificate verify failed"))
		return "the server's certificate is not signed by a CA in database.sslrootcert: point it at the CA certificate that issued the server's (or use the server's own chain)";
	if (strstr(msg, "does not match host name"))
		return "with sslmode=verify-full, database.hostname must be a name (or address) the server's certificate lists: connect by that name, or use verify-ca to check the CA only";
	if (strstr(msg, "root certificate file") && strstr(msg, "does not exist"))
		return "sslmode verify-ca and verify-full need the CA certificate: set database.sslrootcert to its file";
	if (strstr(msg, "server does not support SSL"))
		return "the server has TLS turned off (ssl = off): turn it on there, or lower database.sslmode";
	if (strstr(msg, "certificate file") || strstr(msg, "private key file"))
		return "check database.sslcert and database.sslkey (the key must be readable by walcap only: chmod 600)";
	if (strstr(msg, "no pg_hba.conf entry"))
		return "add a pg_hba.conf line allowing database.user to connect to database.dbname from this host, then reload the server";
	if (strstr(msg, "must be superuser or replication role") ||
		strstr(msg, "permission denied to start WAL sender"))
		return "self-managed: ALTER ROLE <user> REPLICATION;  RDS/Aurora: GRANT rds_replication TO <user>;";
	if (strstr(msg, "does not exist") && strstr(msg, "database"))
		return "check database.dbname";
	return NULL;
}

PGconn *
pgconn_connect(const struct config *c, int replication, char *err, size_t errlen)
{
	const char *keys[24];
	const char *vals[24];
	char		port[16];
	char		secs[5][24];
	int			n = 0;
	int			tport = 0;
	unsigned	seq = 0;
	PGconn	   *conn;

	/* through the tunnel: its local port, the name still checked by TLS */
	if (c->ssh_enabled && tunnel_ensure(c, &tport, &seq, err, errlen) != 0)
		return NULL;
	snprintf(port, sizeof(port), "%d", tport ? tport : c->port);
	/* libpq takes whole seconds for these (rounded up), milliseconds for the last */
	snprintf(secs[0], sizeof(secs[0]), "%lld", (long long) (c->connect_timeout_ms + 999) / 1000);
	snprintf(secs[1], sizeof(secs[1]), "%lld", (long long) (c->keepalive_idle_ms + 999) / 1000);
	snprintf(secs[2], sizeof(secs[2]), "%lld", (long long) (c->keepalive_interval_ms + 999) / 1000);
	snprintf(secs[3], sizeof(secs[3]), "%lld", (long long) c->keepalive_count);
	snprintf(secs[4], sizeof(secs[4]), "%lld", (long long) c->tcp_user_timeout_ms);
#define KV(k, v) do { if (v) { keys[n] = (k); vals[n] = (v); n++; } } while (0)
	KV("host", c->hostname);
	if (tport)
		KV("hostaddr", "127.0.0.1");
	keys[n] = "port";
	vals[n++] = port;
	KV("user", c->user);
	KV("password", c->password);
	KV("dbname", c->dbname);
	KV("sslmode", c->sslmode);
	KV("sslrootcert", c->sslrootcert);
	KV("sslcert", c->sslcert);
	KV("sslkey", c->sslkey);
#undef KV
#define KS(k, v) do { keys[n] = (k); vals[n] = (v); n++; } while (0)
	KS("application_name", "walcap");
	KS("options", CONVERT_SESSION_OPTIONS);
	KS("connect_timeout", secs[0]);
	KS("keepalives", "1");
	KS("keepalives_idle", secs[1]);
	KS("keepalives_interval", secs[2]);
	KS("keepalives_count", secs[3]);
	KS("tcp_user_timeout", secs[4]);
	if (replication)
		KS("replication", "database");
	/*
	 * GSSAPI transport encryption is off unless PGGSSENCMODE asks for it:
	 * trying it makes libpq look for Kerberos credentials on every
	 * connection (some 0.6 MiB of each process's memory), and TLS is how
	 * walcap encrypts.  GSSAPI authentication is not affected.
	 */
	if (getenv("PGGSSENCMODE") == NULL)
		KS("gssencmode", "disable");
#undef KS
	keys[n] = vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 0);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		char		msg[1024];
		char		via[320] = "";
		const char *hint;

		pgconn_error(conn, msg, sizeof(msg));
		/* a forwarded connection the tunnel closed: libpq cannot say why */
		if (tport && tunnel_error_since(seq, msg, sizeof(msg)))
			hint = "check database.hostname and database.port as the bastion sees them, and that its sshd allows TCP forwarding (AllowTcpForwarding)";
		else
			hint = hint_for(msg);
		if (tport)
			snprintf(via, sizeof(via), " through the SSH tunnel (%s@%s:%d)", c->ssh_user, c->ssh_host, c->ssh_port);
		snprintf(err, errlen, "could not connect to %s port %d as user \"%s\" to database \"%s\"%s: %s%s%s",
				 c->hostname, c->port, c->user, c->dbname, via, msg,
				 hint ? "\n" : "", hint ? hint : "");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, log_notice, NULL);
	return conn;
}

int
pgconn_value(PGconn *conn, const char *sql, char *out, size_t outlen,
			 char *err, size_t errlen)
{
	PGresult   *res = PQexec(conn, sql);
	int			rc;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_error(conn, err, errlen);
		PQclear(res);
		return -1;
	}
	rc = PQntuples(res) > 0;
	if (rc)
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

void
pgconn_quote_ident(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++)
	{
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void
pgconn_quote_literal(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++)
	{
		if (*s == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

void
pgconn_quote_qualified(struct buf *b, const char *schema, const char *table)
{
	pgconn_quote_ident(b, schema);
	buf_putc(b, '.');
	pgconn_quote_ident(b, table);
}

void
pgconn_result_error(PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m)
		snprintf(err, errlen, "%s", m);
	else
		pgconn_error(conn, err, errlen);
}

void
pgconn_wait(PGconn *conn, pgconn_wait_fn on_wait, void *arg)
{
	while (PQisBusy(conn))
	{
		struct pollfd p = {PQsocket(conn), POLLIN, 0};
		int			rc = poll(&p, 1, 100);

		if (rc < 0 && errno != EINTR)
			return;
		if (rc > 0 && PQconsumeInput(conn) == 0)
			return;				/* PQgetResult reports the broken connection */
		/* reading now fails at once, and PQgetResult reports it */
		if (rc == 0 && on_wait && on_wait(arg) != 0)
			shutdown(PQsocket(conn), SHUT_RDWR);
	}
}

PGresult *
pgconn_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
			pgconn_wait_fn on_wait, void *arg)
{
	PGresult   *last = NULL;
	PGresult   *res;
	int			sent = nparams > 0 ?
		PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0) :
		PQsendQuery(conn, sql);

	if (!sent)
		return NULL;
	for (;;)
	{
		pgconn_wait(conn, on_wait, arg);
		if ((res = PQgetResult(conn)) == NULL)
			break;
		PQclear(last);
		last = res;
		if (PQresultStatus(res) == PGRES_COPY_OUT || PQresultStatus(res) == PGRES_COPY_IN ||
			PQresultStatus(res) == PGRES_COPY_BOTH || PQstatus(conn) == CONNECTION_BAD)
			break;
	}
	return last;
}

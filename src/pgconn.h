/*
 * pgconn.h — opening libpq connections the way every part of walcap
 * needs them, and explaining failures.
 *
 * Connections carry the session settings convert.h relies on, an
 * application_name, a connect timeout, TCP keepalives and a TCP user
 * timeout (connect.*), so that an unreachable server fails within
 * seconds and a dead peer is noticed instead of waited for.  The
 * password comes from the configuration when given there, else libpq
 * finds it (PGPASSWORD, ~/.pgpass); it never appears in a message.
 */
#ifndef WALCAP_PGCONN_H
#define WALCAP_PGCONN_H

#include <libpq-fe.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

/*
 * Connect; with replication set, as a logical replication connection
 * (replication=database).  Returns the connection, or NULL with a
 * message and, after a newline, a hint in err.  The caller owns the
 * connection (PQfinish).  The server's notices on it are logged: a
 * WARNING as a warning, the others at debug level.
 */
PGconn	   *pgconn_connect(const struct config *c, int replication,
						   char *err, size_t errlen);

/*
 * Run a query that returns at most one row of one column on conn
 * (simple protocol: it also works on replication connections).  Returns
 * 1 and copies the value into out[outlen], 0 if there was no row, -1 on
 * error with the server's message in err.
 */
int			pgconn_value(PGconn *conn, const char *sql, char *out, size_t outlen,
						 char *err, size_t errlen);

/*
 * Called about every 100 ms while pgconn_exec waits for a result; a
 * non-zero return abandons the query: its connection is shut down, so
 * the result is a connection error and the caller reconnects later.
 */
typedef int (*pgconn_wait_fn) (void *arg);

/*
 * PQexec (nparams 0: the simple protocol, several statements allowed)
 * or PQexecParams (text parameters), waiting for the result in steps and
 * calling on_wait (may be NULL) between them.  Every query walcap runs
 * while it streams goes through here, so that neither a lock wait nor a
 * network path that went silent can keep the run loop from its status
 * updates and its own timeouts.  Returns the last result, as PQexec does
 * (NULL if the query could not be sent).
 */
PGresult   *pgconn_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
						pgconn_wait_fn on_wait, void *arg);
/* Wait for conn's next result as pgconn_exec does (pipeline mode). */
void		pgconn_wait(PGconn *conn, pgconn_wait_fn on_wait, void *arg);

/* The server's last error message without its trailing newline. */
void		pgconn_error(PGconn *conn, char *err, size_t errlen);
/*
 * The error of a failed result: the server's primary message alone
 * ("permission denied for table t"), or when there is none (connection
 * lost, res NULL) the connection's message as pgconn_error gives it.
 */
void		pgconn_result_error(PGconn *conn, const PGresult *res, char *err, size_t errlen);

/*
 * Append s to b as an SQL identifier (always double-quoted, quotes
 * doubled) or as a string literal (single quotes doubled: the server
 * runs with standard_conforming_strings, so backslashes are literal).
 * Used for every name walcap puts into SQL text it prints or runs.
 */
void		pgconn_quote_ident(struct buf *b, const char *s);
void		pgconn_quote_literal(struct buf *b, const char *s);
/* "schema"."table" */
void		pgconn_quote_qualified(struct buf *b, const char *schema, const char *table);

#endif

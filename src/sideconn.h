/*
 * sideconn.h — an ordinary (non-replication) connection opened on first
 * use and reopened when it was lost: the side connections walcap keeps
 * next to the replication stream (type lookups, the WAL guard, snapshot
 * reads), which must survive a server restart without their owners
 * tracking connection state.
 *
 * A hook runs after each new connection is made: session setup such as
 * SET application_name, and for owners that keep per-session state
 * (an open cursor, rows read ahead) the place to forget it, since the
 * session it belonged to is gone.
 *
 * Ownership: the sideconn owns its PGconn; a connection sideconn_get()
 * returns is valid until the next sideconn_get() or sideconn_close().
 * The configuration is borrowed and must outlive the sideconn.
 */
#ifndef WALCAP_SIDECONN_H
#define WALCAP_SIDECONN_H

#include <libpq-fe.h>
#include <stddef.h>

#include "config.h"

/*
 * Called with a connection just made; non-zero (err set) rejects it: it
 * is closed and sideconn_get() fails with that err.
 */
typedef int (*sideconn_hook_fn) (void *arg, PGconn *conn, char *err, size_t errlen);

struct sideconn
{
	const struct config *cfg;	/* not owned */
	PGconn	   *conn;			/* owned; NULL until first needed, or after a loss */
	sideconn_hook_fn on_connect;	/* may be NULL */
	void	   *hook_arg;
};

/* Nothing is connected until the first sideconn_get(). */
void		sideconn_init(struct sideconn *sc, const struct config *cfg,
						  sideconn_hook_fn on_connect, void *hook_arg);

/*
 * The connection, (re)opened when absent or no longer CONNECTION_OK;
 * NULL with pgconn_connect()'s message (and hint) or the hook's in err.
 */
PGconn	   *sideconn_get(struct sideconn *sc, char *err, size_t errlen);

/* Close the connection, if any; the next sideconn_get() opens a new one. */
void		sideconn_close(struct sideconn *sc);

#endif

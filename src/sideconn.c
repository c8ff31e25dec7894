/*
 * sideconn.c — a lazily reopened side connection; see sideconn.h.
 */
#include "sideconn.h"

#include "pgconn.h"

void
sideconn_init(struct sideconn *sc, const struct config *cfg,
			  sideconn_hook_fn on_connect, void *hook_arg)
{
	sc->cfg = cfg;
	sc->conn = NULL;
	sc->on_connect = on_connect;
	sc->hook_arg = hook_arg;
}

PGconn *
sideconn_get(struct sideconn *sc, char *err, size_t errlen)
{
	if (sc->conn && PQstatus(sc->conn) == CONNECTION_OK)
		return sc->conn;
	sideconn_close(sc);
	if ((sc->conn = pgconn_connect(sc->cfg, 0, err, errlen)) == NULL)
		return NULL;
	if (sc->on_connect && sc->on_connect(sc->hook_arg, sc->conn, err, errlen) != 0)
		sideconn_close(sc);
	return sc->conn;
}

void
sideconn_close(struct sideconn *sc)
{
	PQfinish(sc->conn);
	sc->conn = NULL;
}

/*
 * health.c — heartbeats and the WAL guard; see health.h.
 */
#include "health.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

void
health_init(struct health *h, const struct config *c, pgconn_wait_fn on_wait,
			void *wait_arg)
{
	memset(h, 0, sizeof(*h));
	h->cfg = c;
	h->on_wait = on_wait;
	h->wait_arg = wait_arg;
}

void
health_start(struct health *h, int64_t now_us)
{
	if (h->next_hb_us == 0)
		h->next_hb_us = now_us + h->cfg->heartbeat_ms * 1000;
	if (h->next_wal_check_us == 0)
		h->next_wal_check_us = now_us + h->cfg->wal_check_ms * 1000;
}

int64_t
health_next_us(const struct health *h, int64_t until)
{
	if (h->cfg->heartbeat_ms && h->next_hb_us < until)
		until = h->next_hb_us;
	if (h->next_wal_check_us < until)
		until = h->next_wal_check_us;
	return until;
}

void
health_close(struct health *h)
{
	PQfinish(h->conn);
	h->conn = NULL;
}

/* The side connection, (re)opened as needed. */
static PGconn *
side_conn(struct health *h, char *err, size_t errlen)
{
	if (h->conn && PQstatus(h->conn) != CONNECTION_OK)
	{
		PQfinish(h->conn);
		h->conn = NULL;
	}
	if (h->conn == NULL)
		h->conn = pgconn_connect(h->cfg, 0, err, errlen);
	return h->conn;
}

/*
 * What holds the WAL: walcap behind (its confirmed position lags too)
 * or something else, mostly a long-running transaction (only
 * restart_lsn lags).
 */
void
health_wal_guard(struct health *h, int64_t now_us)
{
	const struct config *c = h->cfg;
	const char *params[1] = {c->slot_name};
	char		err[512];
	PGconn	   *conn;
	PGresult   *res;
	int64_t		retained, lag;
	const char *wal_status;

	if (now_us < h->next_wal_check_us)
		return;
	h->next_wal_check_us = now_us + c->wal_check_ms * 1000;
	if ((conn = side_conn(h, err, sizeof(err))) == NULL)
	{
		log_debug("WAL guard: %s", err);
		return;
	}
	res = pgconn_exec(conn,
					  PQserverVersion(conn) >= 130000 ?
					   "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
					   "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
					   "coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1" :
					   "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
					   "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
					   "'' FROM pg_replication_slots WHERE slot_name = $1",
					  1, params, h->on_wait, h->wait_arg);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		PQgetisnull(res, 0, 0))
	{
		pgconn_result_error(conn, res, err, sizeof(err));
		log_debug("WAL guard: %s", PQresultStatus(res) == PGRES_TUPLES_OK ? "no such slot" : err);
		PQclear(res);
		return;
	}
	retained = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	lag = PQgetisnull(res, 0, 1) ? retained : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	wal_status = PQgetvalue(res, 0, 2);
	if (strcmp(wal_status, "unreserved") == 0)
		log_warning("replication slot \"%s\" has wal_status unreserved: it retains more WAL than max_slot_wal_keep_size and will be invalidated at the next checkpoint unless it catches up",
					c->slot_name);
	if (c->wal_warn_bytes > 0 && retained > c->wal_warn_bytes)
	{
		char		h1[32], h2[32], h3[32];

		cli_human_size(h1, sizeof(h1), retained);
		cli_human_size(h2, sizeof(h2), c->wal_warn_bytes);
		cli_human_size(h3, sizeof(h3), lag);
		log_warning("replication slot \"%s\" retains %s of WAL on the server, more than wal.retained.warn.bytes (%s); walcap's confirmed position is %s behind",
					c->slot_name, h1, h2, h3);
		if (lag * 2 < retained)
			log_hint("walcap keeps up, so something else holds the slot's restart_lsn back, most often a long-running transaction: look for an old xact_start in pg_stat_activity");
		else
			log_hint("walcap is behind: the sink is slow or blocked, or a large backlog is being read");
		h->wal_over = 1;
	}
	else if (h->wal_over)
	{
		log_info("replication slot \"%s\" retains less WAL than wal.retained.warn.bytes again", c->slot_name);
		h->wal_over = 0;
	}
	PQclear(res);
}

void
health_heartbeat_action(struct health *h)
{
	const struct config *c = h->cfg;
	char		err[512];
	PGresult   *res = NULL;
	int			ok = 1;

	if (!c->heartbeat_query && !c->heartbeat_message)
		return;
	if (side_conn(h, err, sizeof(err)) == NULL)
		ok = 0;
	if (ok && c->heartbeat_query)
	{
		res = pgconn_exec(h->conn, c->heartbeat_query, 0, NULL, h->on_wait, h->wait_arg);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(h->conn, res, err, sizeof(err));
		PQclear(res);
	}
	if (ok && c->heartbeat_message)
	{
		res = pgconn_exec(h->conn, "SELECT pg_logical_emit_message(true, '" HEALTH_HEARTBEAT_PREFIX "', now()::text)",
						  0, NULL, h->on_wait, h->wait_arg);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(h->conn, res, err, sizeof(err));
		PQclear(res);
	}
	if (!ok && !h->hb_failing)
	{
		log_warning("heartbeat: %s; walcap goes on, but while no captured table changes the slot may hold WAL back", err);
		if (c->heartbeat_query)
			log_hint("check heartbeat.action.query, and that %s may run it", c->user);
	}
	else if (ok && h->hb_failing)
		log_info("heartbeat: working again");
	h->hb_failing = !ok;
}

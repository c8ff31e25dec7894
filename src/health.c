/*
 * health.c — heartbeats and the WAL guard; see health.h.
 */
#include "health.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "log.h"

void
health_init(struct health *h, const struct config *c, pgconn_wait_fn on_wait,
			void *wait_arg)
{
	memset(h, 0, sizeof(*h));
	h->cfg = c;
	h->on_wait = on_wait;
	h->wait_arg = wait_arg;
	h->retained_bytes = -1;
	sideconn_init(&h->conn, c, NULL, NULL);
}

void
health_start(struct health *h, int64_t now_us)
{
	if (h->next_hb_us == 0)
		h->next_hb_us = now_us + h->cfg->heartbeat_ms * 1000;
	if (h->next_wal_check_us == 0)
		h->next_wal_check_us = now_us + (h->check_at_start ? 0 : h->cfg->wal_check_ms * 1000);
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
	sideconn_close(&h->conn);
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
	char		err[512];
	PGconn	   *conn;
	struct admin_slot slot;
	int64_t		retained, lag;
	const char *wal_status;

	if (now_us < h->next_wal_check_us)
		return;
	h->next_wal_check_us = now_us + c->wal_check_ms * 1000;
	if ((conn = sideconn_get(&h->conn, err, sizeof(err))) == NULL)
	{
		log_debug("WAL guard: %s", err);
		return;
	}
	if (admin_slot_read_wait(conn, c->slot_name, ADMIN_SLOT_WAL, &slot,
							 h->on_wait, h->wait_arg, err, sizeof(err)) != 0)
	{
		log_debug("WAL guard: %s", err);
		return;
	}
	if (!slot.found || !slot.retained_known)
	{
		log_debug("WAL guard: no such slot");
		return;
	}
	retained = slot.retained;
	h->retained_bytes = retained;
	lag = slot.lag_known ? slot.lag : retained;
	wal_status = slot.wal_status;
	if (strcmp(wal_status, "unreserved") == 0)
		log_warning("replication slot \"%s\" has wal_status unreserved: it retains more WAL than max_slot_wal_keep_size and will be invalidated at the next checkpoint unless it catches up",
					c->slot_name);
	if (c->wal_warn_bytes > 0 && retained > c->wal_warn_bytes)
	{
		char		h1[32], h2[32], h3[32];

		log_human_size(h1, sizeof(h1), retained);
		log_human_size(h2, sizeof(h2), c->wal_warn_bytes);
		log_human_size(h3, sizeof(h3), lag);
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
}

void
health_heartbeat_action(struct health *h)
{
	const struct config *c = h->cfg;
	char		err[512];
	PGresult   *res = NULL;
	PGconn	   *conn;
	int			ok = 1;

	if (!c->heartbeat_query && !c->heartbeat_message)
		return;
	if ((conn = sideconn_get(&h->conn, err, sizeof(err))) == NULL)
		ok = 0;
	if (ok && c->heartbeat_query)
	{
		res = pgconn_exec(conn, c->heartbeat_query, 0, NULL, h->on_wait, h->wait_arg);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(conn, res, err, sizeof(err));
		PQclear(res);
	}
	if (ok && c->heartbeat_message)
	{
		res = pgconn_exec(conn, "SELECT pg_logical_emit_message(true, '" HEALTH_HEARTBEAT_PREFIX "', now()::text)",
						  0, NULL, h->on_wait, h->wait_arg);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			pgconn_result_error(conn, res, err, sizeof(err));
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

/*
 * health.h — what keeps the slot moving and watched while the stream
 * runs: heartbeats (heartbeat.interval.ms and the heartbeat's action:
 * heartbeat.action.query, heartbeat.logical.message) and the WAL guard
 * (wal.retained.*: how much WAL the slot holds on the server).
 *
 * Both run their queries on one ordinary side connection, opened when
 * first needed and again after it broke; while a query waits, on_wait
 * (source_keep_alive) keeps the replication connection alive.  A
 * failure is logged, never fatal: the stream goes on.
 *
 * Owns the side connection; health_close() closes it.
 */
#ifndef WALCAP_HEALTH_H
#define WALCAP_HEALTH_H

#include <libpq-fe.h>
#include <stdint.h>

#include "config.h"
#include "pgconn.h"
#include "sideconn.h"

#define HEALTH_HEARTBEAT_PREFIX "walcap_heartbeat"	/* heartbeat.logical.message's prefix */

struct health
{
	const struct config *cfg;
	struct sideconn conn;		/* the side connection; owned */
	pgconn_wait_fn on_wait;		/* called while a query waits; may be NULL */
	void	   *wait_arg;
	int64_t		next_hb_us;		/* next heartbeat, 0 before the first session */
	int			hb_failing;		/* the last action failed (logged once) */
	int64_t		next_wal_check_us;	/* next look at the WAL the slot retains */
	int			wal_over;		/* the last look found too much */
	int64_t		retained_bytes;	/* what the last look found; -1 none yet */
	int			check_at_start;	/* the first look when streaming starts, not
								 * an interval later (set for metrics) */
};

void		health_init(struct health *h, const struct config *c,
						pgconn_wait_fn on_wait, void *wait_arg);

/* A session starts streaming at now_us: the first one schedules both. */
void		health_start(struct health *h, int64_t now_us);

/*
 * Whether a heartbeat is due at now_us: every heartbeat.interval.ms,
 * between transactions only (in_txn: one is open).  When it is, the
 * next is scheduled; the caller appends the heartbeat record if it
 * wants one, then calls health_heartbeat_action().
 */
static inline int
health_heartbeat_due(struct health *h, int64_t now_us, int in_txn)
{
	if (h->cfg->heartbeat_ms == 0 || now_us < h->next_hb_us || in_txn)
		return 0;
	h->next_hb_us = now_us + h->cfg->heartbeat_ms * 1000;
	return 1;
}

/*
 * What makes this database write WAL that the slot sees, so its
 * position moves while no captured table changes:
 * heartbeat.action.query and/or a logical-decoding message, if set.  A
 * failure is logged once, and walcap goes on.
 */
void		health_heartbeat_action(struct health *h);

/*
 * Every wal.retained.check.interval.ms (when due at now_us): how much
 * WAL the slot holds on the server.  Above wal.retained.warn.bytes, a
 * WARNING each time, with what holds it; a slot about to be
 * invalidated (wal_status unreserved) is always reported.  A failed
 * look is logged at debug level only.
 */
void		health_wal_guard(struct health *h, int64_t now_us);

static inline int
health_wal_check_due(const struct health *h, int64_t now_us)
{
	return now_us >= h->next_wal_check_us;
}

/* The earliest of the next heartbeat (if on) and the next WAL check. */
int64_t		health_next_us(const struct health *h, int64_t until);

void		health_close(struct health *h);

#endif

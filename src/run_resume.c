/*
 * run_resume.c — where `walcap run` starts and resumes delivery: the
 * offset file and the sink at a start, a reconnect after the
 * replication connection was lost (with backoff), a slot found missing
 * or invalidated.  See run.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "clock.h"
#include "log.h"
#include "lsn.h"
#include "offset.h"
#include "run.h"

static void sleep_ms(struct run *r, int64_t ms);

/*
 * Open the replication connection.  With ha.enabled, while another
 * walcap holds the slot's lock, stand by: say so once, and try again
 * every ha.poll.interval.ms.  0 once connected (and the lock is ours),
 * 1 if a stop was requested meanwhile (*status 0), -1 on failure
 * (logged).
 */
static int
open_source(struct run *r, int *status)
{
	const struct config *c = r->cfg;
	char		err[2048];
	int			fatal = 0;
	int64_t		since = 0;
	int			rc;

	while ((rc = source_open(&r->src, c, 1, &fatal, err, sizeof(err))) == 1)
	{
		source_close(&r->src, 0);
		if (since == 0)
		{
			since = mono_us();
			log_info("standing by: another walcap streams from slot \"%s\" (the lock is held by %s); trying every %lld ms",
					 c->slot_name, r->src.holder, (long long) c->ha_poll_ms);
		}
		else
			log_debug("standing by: the lock of slot \"%s\" is held by %s", c->slot_name, r->src.holder);
		sleep_ms(r, c->ha_poll_ms);
		if (cli_stop_requested)
		{
			*status = 0;
			return 1;
		}
	}
	if (rc != 0)
	{
		log_error_hint("", err);
		return -1;
	}
	if (since != 0)
		log_info("taking over slot \"%s\": the lock is ours after %lld ms standing by",
				 c->slot_name, (long long) ((mono_us() - since) / 1000));
	r->store.ha_pid = c->ha_enabled ? r->src.backend_pid : 0;
	return 0;
}

int
run_start(struct run *r, int *status)
{
	const struct config *c = r->cfg;
	char		err[2048];
	char		msg[1024];
	uint64_t	keep_size;
	int			fresh = 0;
	int			rc;

	if (sink_check(c, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		*status = EXIT_USAGE;
		return 1;
	}
	if (event_writer_init(&r->ew, c, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		return -1;
	}
	run_init_snapshot(r);
	if ((rc = open_source(r, status)) != 0)
		return rc;
	if (source_failover_unsupported(&r->src, c, msg, sizeof(msg)) != NULL)
	{
		log_warning("slot.failover=true, but %s: replication slot \"%s\" is an ordinary slot, which a failover to a standby does not keep",
					msg, c->slot_name);
		log_hint("connect to a primary running PostgreSQL 17 or later, or set slot.failover=false");
	}
	else
		run_slot_failover(r);
	if (c->binary_format == CONFIG_BINARY_ON && r->src.server_version < 140000)
	{
		log_error("binary.format=on, but the server runs PostgreSQL %d.%d, whose pgoutput has no binary mode (14 and later have it)",
				  r->src.server_version / 10000, r->src.server_version % 10000);
		log_hint("set binary.format=auto (binary where the server has it) or binary.format=off");
		*status = EXIT_USAGE;
		return 1;
	}
	/* before 12 float texts are exact but long: see convert_opts */
	r->ew.conv.legacy_floats = r->src.server_version < 120000;
	/* exactly once: fence the last producer before reading what it committed */
	if (delivery_transactional(&r->dl) && delivery_open_sink(&r->dl, UINT64_MAX, err, sizeof(err)) != 0)
	{
		log_error_hint("", err);
		return -1;
	}
	if (run_load_offset(r, &keep_size, &fresh) != 0)
		return -1;
	if (delivery_open(&r->dl, keep_size, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		return -1;
	}
	if (r->dl.sink.routed)
		event_writer_route(&r->ew, 1);
	if (r->src.slot_missing || r->src.slot_lost)
	{
		int			rc = run_recover_slot(r, fresh);

		if (rc != 0)
		{
			*status = rc > 0 ? 0 : EXIT_RUNTIME;
			return 1;
		}
		fresh = 0;
	}
	if (fresh && c->snapshot_mode != CONFIG_SNAPSHOT_NO_DATA)
	{
		if (snapshot_queue_all(&r->snap, err, sizeof(err)) != 0)
		{
			log_error("could not list the tables to snapshot: %s", err);
			return -1;
		}
		log_info("initial snapshot of %d table%s (incremental: the slot already exists)",
				 r->snap.nitems, r->snap.nitems == 1 ? "" : "s");
		r->snap.dirty = 1;
	}
	if (c->snapshot_mode == CONFIG_SNAPSHOT_INITIAL_ONLY)
	{
		r->snap_only = 1;
		if (!snapshot_active(&r->snap))
		{
			log_info("snapshot.mode=initial_only and nothing to snapshot: stopping");
			*status = 0;
			return 1;
		}
	}
	return 0;
}

int
run_load_offset(struct run *r, uint64_t *keep_size, int *fresh)
{
	const struct config *c = r->cfg;
	const char *systemid = r->src.systemid;
	struct offset *off = &r->dl.off;
	char		err[1024];
	struct offset o;
	int			rc = offset_store_load(&r->store, &o, err, sizeof(err));

	*keep_size = UINT64_MAX;
	*fresh = 1;
	memset(off, 0, sizeof(*off));
	snprintf(off->systemid, sizeof(off->systemid), "%s", systemid);
	snprintf(off->dbname, sizeof(off->dbname), "%s", c->dbname);
	snprintf(off->slot, sizeof(off->slot), "%s", c->slot_name);
	if (c->sink == CONFIG_SINK_FILE)
		snprintf(off->sink_path, sizeof(off->sink_path), "%s", c->sink_file_path);
	if (rc < 0)
	{
		log_error_hint("", err);
		return -1;
	}
	if (rc == 0)
		return 0;
	/* a record without walcap's fields (one Debezium wrote) names none */
	if ((o.systemid[0] && strcmp(o.systemid, systemid) != 0) ||
		(o.dbname[0] && strcmp(o.dbname, c->dbname) != 0) ||
		(o.slot[0] && strcmp(o.slot, c->slot_name) != 0))
	{
		log_warning("%s belongs to another server, database or slot (system %s, database \"%s\", slot \"%s\"); it is ignored and will be overwritten",
					offset_store_where(&r->store), o.systemid, o.dbname, o.slot);
		offset_clear(&o);
		return 0;
	}
	if (c->sink == CONFIG_SINK_FILE && strcmp(o.sink_path, c->sink_file_path) == 0)
	{
		*keep_size = o.sink_size;
		off->sink_size = o.sink_size;
	}
	if (o.lsn == 0 && o.snapshot == NULL)
	{
		/* recorded at a start that was stopped before anything was delivered */
		offset_clear(&o);
		return 0;
	}
	*fresh = 0;
	if (o.snapshot)
	{
		if (snapshot_restore(&r->snap, o.snapshot, err, sizeof(err)) != 0)
		{
			log_error("%s: %s", offset_store_where(&r->store), err);
			log_hint("%s to start over from the slot's position", offset_store_forget_how(&r->store));
			offset_clear(&o);
			return -1;
		}
		r->dl.snap_state = o.snapshot;
		o.snapshot = NULL;
		if (snapshot_active(&r->snap))
			log_info("resuming the snapshot of %d table%s", r->snap.nitems,
					 r->snap.nitems == 1 ? "" : "s");
	}
	off->lsn = o.lsn;
	txn_init(&r->ap.txn, o.lsn);
	log_info("resuming after " LSN_FMT " (%s)", LSN_ARGS(o.lsn), offset_store_where(&r->store));
	return 0;
}

int
run_prepare_reconnect(struct run *r, char *err, size_t errlen)
{
	struct delivery *d = &r->dl;
	int			rc = 0;
	int64_t		deadline = mono_us() + 5000000;

	while (batch_bytes(&d->batch) > 0)
	{
		rc = delivery_write(d, err, errlen);
		if (rc != 0)
			break;
		if (mono_us() > deadline)
		{
			snprintf(err, errlen, "the sink accepted no output for 5 s");
			return -1;
		}
		usleep(10000);
	}
	if (rc < 0)
		return -1;
	if (ack_written_lsn(&d->ack) > ack_durable_lsn(&d->ack) &&
		delivery_sync(d, err, errlen) != 0)
		return -1;
	apply_cut(&r->ap);
	return 0;
}

/* Wait ms, or less if a stop is requested; the metrics go on meanwhile. */
static void
sleep_ms(struct run *r, int64_t ms)
{
	while (ms > 0 && !cli_stop_requested)
	{
		int64_t		step = ms > 100 ? 100 : ms;

		usleep((useconds_t) step * 1000);
		ms -= step;
		run_metrics_tick(r, mono_us());
	}
}

/*
 * The slot is missing or invalidated, found so by source_open on the
 * first connection or on a reconnect.  Without an offset yet (fresh)
 * walcap creates it, as on a first start.  With one, the changes between
 * the last delivered position and a new slot are gone from the stream:
 * only snapshot.mode=when_needed goes on, recreating the slot and taking
 * a new snapshot of every table, with an ERROR that says what was
 * missed.  Never does walcap go on from a new slot silently.
 *
 * Before the exported snapshot starts, the offset file records the new
 * slot with every table queued, so a crash during the COPYs resumes
 * with an incremental snapshot instead of streaming on without one.
 */
int
run_recover_slot(struct run *r, int fresh)
{
	const struct config *c = r->cfg;
	const char *what = r->src.slot_missing ? "does not exist" : "is invalidated (wal_status lost)";
	uint64_t	durable = ack_durable_lsn(&r->dl.ack);
	uint64_t	delivered = durable > r->dl.off.lsn ? durable : r->dl.off.lsn;
	uint64_t	consistent;
	char		snapname[128];
	char		err[1024];
	int			xrc;

	if (c->snapshot_mode != CONFIG_SNAPSHOT_WHEN_NEEDED && (!fresh || r->src.slot_lost))
	{
		if (fresh)
		{
			log_error("replication slot \"%s\" %s", c->slot_name, what);
			log_hint("either set snapshot.mode=when_needed, and walcap recreates it and takes an initial snapshot; "
					 "or drop it (SELECT pg_drop_replication_slot('%s');), and walcap creates it",
					 c->slot_name);
			return -1;
		}
		log_error("replication slot \"%s\" %s: the changes committed after " LSN_FMT ", the last position walcap delivered, can no longer be streamed",
				  c->slot_name, what, LSN_ARGS(delivered));
		if (c->offset_storage == CONFIG_OFFSETS_FILE)
			log_hint("either set snapshot.mode=when_needed, and walcap recreates the slot and takes a new snapshot of every table; "
					 "or move the offset file %s away, and walcap starts over with a new slot and an initial snapshot",
					 c->offset_file);
		else
			log_hint("either set snapshot.mode=when_needed, and walcap recreates the slot and takes a new snapshot of every table; "
					 "or %s in the %s, and walcap starts over with a new slot and an initial snapshot",
					 offset_store_forget_how(&r->store), offset_store_where(&r->store));
		return -1;
	}
	if (!fresh)
	{
		/* whatever the old slot's snapshot and positions were, they are void */
		snapshot_free(&r->snap);
		run_init_snapshot(r);
		txn_forget(&r->ap.txn);
	}
	if (source_create_slot(&r->src, c, r->src.slot_lost, &consistent, snapname,
						   sizeof(snapname), err, sizeof(err)) != 0)
	{
		log_error_hint("", err);
		return -1;
	}
	if (fresh)
		log_info("created replication slot \"%s\" at " LSN_FMT, c->slot_name, LSN_ARGS(consistent));
	else
	{
		char		size[32];

		log_human_size(size, sizeof(size),
					   (int64_t) (consistent > delivered ? consistent - delivered : 0));
		log_error("replication slot \"%s\" %s: the changes committed between " LSN_FMT " (the last position walcap delivered) and " LSN_FMT " (where the new slot starts), %s of WAL, were not streamed",
				  c->slot_name, what, LSN_ARGS(delivered), LSN_ARGS(consistent), size);
		log_error("walcap recreated the slot and takes a new snapshot of every table (snapshot.mode=when_needed): rows inserted or updated in that range come back as snapshot reads, rows deleted in it are missed");
	}
	r->dl.off.lsn = 0;
	ack_restart(&r->dl.ack, consistent);
	source_forget_confirmed(&r->src);
	r->src.slot_missing = r->src.slot_lost = 0;
	if (c->snapshot_mode == CONFIG_SNAPSHOT_NO_DATA)
		return 0;
	if (snapshot_queue_all(&r->snap, err, sizeof(err)) != 0)
	{
		log_error("could not list the tables to snapshot: %s", err);
		return -1;
	}
	r->snap.dirty = 1;
	snapshot_position(&r->snap, consistent, ack_nappended(&r->dl.ack));
	if (run_send_status(r, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		return -1;
	}
	xrc = run_export(r, snapname, consistent);
	if (xrc < 0)
		return -1;
	if (xrc > 0 || c->snapshot_mode == CONFIG_SNAPSHOT_INITIAL_ONLY)
	{
		log_info("stopped after the initial snapshot: %llu rows", (unsigned long long) r->ap.events);
		return 1;
	}
	return 0;
}

/*
 * An existing slot that is not a failover slot is made one before
 * streaming starts (so the setup guide's slot, created without it, is
 * covered too).  A failure costs nothing but the failover protection,
 * so it is a warning, not a stop.
 */
void
run_slot_failover(struct run *r)
{
	const struct config *c = r->cfg;
	char		err[512];

	switch (source_set_failover(&r->src, c, err, sizeof(err)))
	{
		case 1:
			log_info("replication slot \"%s\" is now a failover slot (slot.failover=true)", c->slot_name);
			break;
		case -1:
			log_warning("could not make replication slot \"%s\" a failover slot (slot.failover=true): %s",
						c->slot_name, err);
			{
				struct buf	cmd;

				buf_init(&cmd, 0);
				admin_alter_slot_failover_cmd(&cmd, c->slot_name);
				log_hint("as the connector user on a replication connection: %s",
						 buf_failed(&cmd) ? "ALTER_REPLICATION_SLOT" : cmd.data);
				buf_free(&cmd);
			}
			break;
	}
}

/*
 * After the replication connection was lost with the cause in err:
 * connect again, waiting connect.backoff.initial.ms, doubling up to
 * connect.backoff.max.ms, plus up to 20% jitter so that many walcaps do
 * not reconnect in step.  Each attempt is logged once, with the cause of
 * the failure before it.  A slot found missing or invalidated is handed
 * to run_recover_slot().
 */
/*
 * ha.enabled, the lock ours again after a reconnect: whether another
 * walcap was active meanwhile, recording a position past ours (then
 * what this one holds is stale; logged).
 */
static int
taken_over(struct run *r)
{
	char		err[1024];
	struct offset o;
	int			rc = offset_store_load(&r->store, &o, err, sizeof(err));
	int			ahead = rc == 1 && o.lsn > r->dl.off.lsn;

	if (rc < 0)
		log_error_hint("", err);
	else if (ahead)
		log_error("after reconnecting, the %s is at " LSN_FMT ", past this walcap's " LSN_FMT ": another walcap was active meanwhile (ha.enabled); stopping",
				  offset_store_where(&r->store), LSN_ARGS(o.lsn), LSN_ARGS(r->dl.off.lsn));
	offset_clear(&o);
	return rc < 0 || ahead;
}

int
run_reconnect(struct run *r, const char *cause, int64_t *attempts, int64_t *backoff)
{
	const struct config *c = r->cfg;
	char		err[2048];
	int			fatal = 0;
	int			rc;

	/* NULL: a restart the caller chose and has logged (binary.format) */
	snprintf(err, sizeof(err), "%s", cause ? cause : "the session restarts");
	for (;;)
	{
		int64_t		jitter = *backoff / 5 > 0 ? rand() % (*backoff / 5 + 1) : 0;
		const char *nl = strchr(err, '\n');

		if (cli_stop_requested)
			return 1;
		(*attempts)++;
		if (c->max_attempts > 0 && *attempts > c->max_attempts)
		{
			log_error("giving up after %lld reconnection attempts (connect.max.attempts); the last failure: %.*s",
					  (long long) c->max_attempts, nl ? (int) (nl - err) : (int) strlen(err), err);
			if (nl)
				log_hint("%s", nl + 1);
			return -1;
		}
		if (*attempts == 1 && cause == NULL)
			;
		else if (*attempts == 1)
			log_warning("replication connection lost: %.*s; reconnecting in %lld ms",
						nl ? (int) (nl - err) : (int) strlen(err), err,
						(long long) (*backoff + jitter));
		else
			log_warning("reconnection attempt %lld failed: %.*s; next attempt in %lld ms",
						(long long) (*attempts - 1), nl ? (int) (nl - err) : (int) strlen(err), err,
						(long long) (*backoff + jitter));
		sleep_ms(r, *backoff + jitter);
		r->met.reconnects++;
		*backoff = *backoff * 2 > c->backoff_max_ms ? c->backoff_max_ms : *backoff * 2;
		if (cli_stop_requested)
			return 1;
		if ((rc = source_open(&r->src, c, 1, &fatal, err, sizeof(err))) == 1)
		{
			log_error("after reconnecting, the lock of slot \"%s\" is held by %s: another walcap has taken over (ha.enabled); stopping, and nothing more is delivered or recorded",
					  c->slot_name, r->src.holder);
			log_hint("start walcap again to stand by");
			return -1;
		}
		if (rc != 0)
		{
			source_close(&r->src, 0);
			if (fatal)
			{
				log_error_hint("reconnection failed for good: ", err);
				return -1;
			}
			continue;
		}
		if (c->ha_enabled && taken_over(r))
			return -1;
		r->store.ha_pid = c->ha_enabled ? r->src.backend_pid : 0;
		if (strcmp(r->src.systemid, r->dl.off.systemid) != 0)
		{
			log_error("after reconnecting, the server is a different system (%s, was %s); stopping so that no position is confused",
					  r->src.systemid, r->dl.off.systemid);
			return -1;
		}
		r->ew.conv.legacy_floats = r->src.server_version < 120000;
		log_info("reconnected (attempt %lld)", (long long) *attempts);
		if (r->src.slot_missing || r->src.slot_lost)
			return run_recover_slot(r, 0);
		run_slot_failover(r);
		return 0;
	}
}

/*
 * offset_store.h — where the offset (offset.h) is kept, chosen by
 * offset.storage:
 *
 *   file      the local offset file (offset.storage.file.filename)
 *   postgres  a row of <signal.schema>.walcap_offsets in the source
 *             database, keyed by the connector's name and topic.prefix,
 *             holding offset_record_value()'s JSON
 *   kafka     a message of the compacted topic offset.storage.topic, key
 *             offset_record_key(), value offset_record_value()
 *             (offset_kafka.h)
 *
 * With postgres, a walcap on another machine or with an empty working
 * directory resumes where the last one stopped: no new snapshot,
 * nothing lost.  A save is one upsert in its own transaction, committed
 * before offset_store_save() returns, and the run confirms a position to
 * the server only after it is saved.  The table is walcap's: apply
 * makes no events of its rows, and snapshots skip it.
 *
 * Ownership: the store owns its connection (a side connection, opened
 * on first use and again after a loss); the configuration is borrowed
 * and must outlive it.  While a query waits, on_wait (pgconn.h) keeps
 * the replication stream alive.
 */
#ifndef WALCAP_OFFSET_STORE_H
#define WALCAP_OFFSET_STORE_H

#include <stddef.h>

#include "config.h"
#include "offset.h"
#include "pgconn.h"
#include "sideconn.h"

struct offset_kafka;

struct offset_store
{
	const struct config *cfg;
	struct sideconn conn;		/* postgres: the table's connection */
	struct offset_kafka *kafka;	/* kafka: opened on first use, owned */
	pgconn_wait_fn on_wait;		/* may be NULL */
	void	   *wait_arg;
	/*
	 * ha.enabled: the walsender holding the slot's lock (source.h), set
	 * by the run after each connection; 0 otherwise.  A save then
	 * happens only while that session holds the lock, and never moves
	 * the stored position backwards, so a stale active that comes back
	 * records nothing.
	 */
	int			ha_pid;
	char		where[512];		/* for messages: the file, or the table and key */
	char		written[32];	/* after a load that found one: when it was
								 * last saved, UTC, 2026-01-31T12:00:00Z */
};

/* Nothing is opened until the first load or save. */
void		offset_store_init(struct offset_store *s, const struct config *c,
							  pgconn_wait_fn on_wait, void *wait_arg);

/*
 * Read the offset into *o (offset_clear() frees it).  Returns 1 if one
 * was stored, 0 if none is, -1 with err set if the store cannot be read
 * or what it holds is not valid (err names the file or the table, and
 * what to do).
 */
int			offset_store_load(struct offset_store *s, struct offset *o, char *err, size_t errlen);

/* Replace the stored offset with *o; 0, or -1 with err set. */
int			offset_store_save(struct offset_store *s, const struct offset *o, char *err, size_t errlen);

/*
 * Whether what the store writes comes back through the stream as
 * transactions (offset.storage=postgres: a table of the source database).
 */
static inline int
offset_store_echoes(const struct offset_store *s)
{
	return s->cfg->offset_storage == CONFIG_OFFSETS_POSTGRES;
}

/* "offset file PATH", or "offset table "s"."walcap_offsets" (connector NAME, server PREFIX)". */
const char *offset_store_where(const struct offset_store *s);

/*
 * How a user makes the store forget the offset, so that walcap starts
 * from the slot's position: "move the file away", "delete the row",
 * "write a tombstone (the key with a null value)".
 */
const char *offset_store_forget_how(const struct offset_store *s);

/* Close the connection, if any. */
void		offset_store_close(struct offset_store *s);

#endif

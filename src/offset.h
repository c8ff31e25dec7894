/*
 * offset.h — the local offset file: the last position walcap confirmed
 * with everything before it durable in the sink, kept so that a restart
 * skips what was already delivered.
 *
 * The file is small text (key=value lines) and replaced atomically:
 * written to FILE.tmp, fsync'd, renamed over FILE, and the directory
 * fsync'd, so a crash leaves the old or the new version, never a mix.
 * It records which server, database and slot the position belongs to;
 * a file from another one is ignored with a warning rather than used.
 */
#ifndef WALCAP_OFFSET_H
#define WALCAP_OFFSET_H

#include <stddef.h>
#include <stdint.h>

struct offset
{
	char		systemid[32];	/* IDENTIFY_SYSTEM's system identifier */
	char		dbname[128];
	char		slot[128];
	uint64_t	lsn;			/* end LSN of the last durable transaction */
	uint64_t	txid;			/* ... its xid (0: not known; records only) */
	int64_t		ts_usec;		/* ... its commit time, Unix µs (records only) */
	char		sink_path[512];	/* file sink: its path, "" for stdout */
	uint64_t	sink_size;		/* file sink: its size at lsn */
	char	   *snapshot;		/* snapshot progress at lsn (one line of
								 * JSON), or NULL; offset_load() allocates
								 * it, offset_save() only reads it */
};

/*
 * Read path into *o.  Returns 1 if read, 0 if the file does not exist,
 * -1 with err set if it exists but cannot be read or parsed.
 */
int		offset_load(const char *path, struct offset *o, char *err, size_t errlen);

/* Free what offset_load() allocated in *o. */
void	offset_clear(struct offset *o);

/* Replace path atomically with *o; 0, or -1 with err set. */
int		offset_save(const char *path, const struct offset *o, char *err, size_t errlen);

struct buf;

/*
 * The offset as a record, for the stores other than the file
 * (offset_store.h): Kafka Connect's offset of Debezium's PostgreSQL
 * connector, so that Debezium's tools read it.  The key is
 * ["<name>",{"server":"<topic.prefix>"}]; the value has Debezium's
 * lsn, lsn_proc and lsn_commit (all three the end LSN of the last
 * delivered transaction, as Debezium has them between transactions;
 * numbers), txId and ts_usec (that transaction's xid and commit time,
 * when known), then walcap's own fields, each a string or a number since
 * Kafka Connect allows nothing else in an offset: walcap_system,
 * walcap_database, walcap_slot, walcap_sink_path and walcap_sink_size
 * (a file sink), walcap_snapshot (the snapshot's progress, its JSON as
 * a string).  docs/offsets.md describes the record.
 */
void	offset_record_key(struct buf *b, const char *name, const char *server);
void	offset_record_value(struct buf *b, const struct offset *o);

/*
 * Read a record's value into *o (offset_clear() frees it): lsn is
 * required (lsn_commit stands in when it is absent, as Debezium reads
 * it), walcap's fields are optional, so a value Debezium wrote resumes
 * walcap too.  0, or -1 with err set.
 */
int		offset_record_parse(const char *value, struct offset *o, char *err, size_t errlen);

#endif

/*
 * snapshot.h — existing rows as op "r" events while the stream goes on:
 * incremental snapshots by the watermark algorithm of DBLog / Debezium,
 * and blocking reads for tables that have no key to chunk by.
 *
 * A table is read in primary-key order, chunk by chunk, on an ordinary
 * SQL connection of its own.  Each chunk's SELECT is marked in the
 * stream: with watermark writes, an open and a close row in the signal
 * table (insert_insert), or an open row deleted at close (insert_delete),
 * both in the SELECT's own transaction; with read.only, the WAL position
 * the query ran at.  The SELECT also returns its snapshot
 * (pg_current_snapshot): a change streamed before the mark whose
 * transaction that snapshot did not see — committed in the WAL but not
 * yet visible, or newer — is newer than the row, and drops it (as does
 * any change inside the window).  When the stream reaches the close, the
 * rows left are emitted: every transaction the rows show committed
 * before the mark, so it was streamed before them.  So every row's
 * events arrive in an order that, applied in turn, ends at the table's
 * final state.
 *
 * The caller (the run loop) feeds the stream in: every transaction's
 * xid (snapshot_begin), every change (snapshot_change), signal-table
 * rows (snapshot_signal_row), commits and keepalive positions
 * (snapshot_position), and lets it run SQL when no input is waiting
 * (snapshot_step).  Rows ready to go out are taken with snapshot_emit,
 * in pieces, so the caller can write them between pieces.
 *
 * Progress — the queue of tables (each with the id of the signal that
 * queued it), the current table's last key, the chunk number, the ids
 * of signals whose snapshots are over (sigdone.h) — is a one-line JSON
 * state tied to the stream position where it took effect: after each
 * chunk is emitted, and when the queue changes.  snapshot_state_at()
 * gives the newest state at or before a durable position, for the
 * offset file, and snapshot_restore() resumes from one.  An
 * execute-snapshot signal whose id is queued or done is the same
 * request delivered again: it is logged and ignored.
 *
 * The next chunk is read ahead while the current one's window closes
 * (its watermarks and SELECT pipelined on the connection), so the
 * server's reading overlaps walcap's turning rows into events.
 *
 * The implementation is in src/snapshot*.c, one file per concern;
 * snapshot_int.h says which file owns which part of struct snapshot.
 *
 * Ownership: the struct owns its connection, its metadata cache, the
 * buffered chunks (one PGresult each, at most two, never per-row
 * allocations) and every string; snapshot_free() releases them all.
 */
#ifndef WALCAP_SNAPSHOT_H
#define WALCAP_SNAPSHOT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "decoder.h"
#include "event.h"
#include "metrics.h"
#include "pgconn.h"
#include "relcache.h"
#include "sideconn.h"
#include "sigdone.h"

/* One table waiting for or being read. */
struct snapshot_item
{
	char	   *schema;
	char	   *table;
	char	   *filter;			/* additional condition, or NULL */
	char	   *surrogate_key;	/* key column to chunk by, or NULL */
	char	   *signal;			/* id of the signal that queued it, or NULL */
	int			blocking;		/* read whole, streaming held */
};

enum snapshot_phase
{
	SNAP_IDLE,					/* nothing in flight: snapshot_step may start */
	SNAP_WAIT_OPEN,				/* open watermark written, not yet streamed */
	SNAP_OPEN,					/* window open: dedupe changes */
	SNAP_RO_WAIT,				/* read.only: window until the stream passes ro_lsn */
	SNAP_EMIT,					/* rows ready for snapshot_emit */
};

/*
 * A state and where it took effect: durable once the sink has made
 * durable both the position lsn and nevents events (ack.h's counters).
 */
struct snapshot_pending
{
	uint64_t	lsn;
	uint64_t	nevents;
	char	   *state;
};

/*
 * The snapshot's state, grouped by the file that owns each part
 * (snapshot_int.h lists the files).  The few fields directly under
 * struct snapshot are shared by every part, or used by the run loop
 * (cli_run.c, run_snapshot.c, run_resume.c): on_wait and wait_arg it
 * sets, phase and nitems it reads, dirty it sets to have the state
 * recorded again.
 */

/* snapshot_queue.c: the tables to read, and the signals that asked. */
struct snapshot_queue
{
	int			capitems;
	struct snapshot_item *items;	/* items[0] is the current table; the
									 * count is struct snapshot's nitems */
	int			paused;
	struct sigdone done;		/* signals whose snapshots are over */
};

/* snapshot_table.c: the current table (loaded), and the publication's. */
struct snapshot_table
{
	struct relcache meta;		/* columns, by table OID */
	struct relcache_rel *rel;
	int			nkeys;
	int		   *keyidx;			/* key columns' indexes in rel->cols */
	char	  **keytypes;		/* their format_type(), for casts */
	char	  **last_key;		/* nkeys text values, or NULL: from the start */
	char	  **max_key;		/* bound fixed when the table starts */
	int			restored_nkeys;	/* keys in last/max_key before the table loads */
	int64_t		chunk_no;
	int64_t		table_rows;		/* rows emitted for this table */
	int64_t		table_estimate;	/* pg_class.reltuples; -1 unknown */
	int64_t		chunk_rows;		/* the next chunk's rows, from the last
								 * one's width (snap_size_chunks); 0
								 * before the table's first chunk */
	int64_t		started_us;		/* when this run started the table (mono_us) */
	int64_t		started_rows;	/* table_rows then (a resumed table has some) */
	int			table_done;		/* the chunk in flight is the last */
	char	   *pubfilter;		/* the publication's row filter, or NULL */
	struct buf	sql;			/* the chunk query, built once per table */
	size_t		sql_cols_end;	/* where its column list ends in sql */
	size_t		sql_from_end;	/* ... and its FROM clause */
	char		relkind;		/* pg_class.relkind: 'r' a table, 'p' partitioned */
	int			in_cursor;		/* blocking read: a cursor in an open transaction */

	/* the publication's tables, sorted "schema"."table" */
	char	  **known;
	int			nknown;
	int			known_loaded;
};

/* snapshot_window.c: the watermarks around the chunk in flight. */
struct snapshot_window
{
	char		open_id[96];
	char		close_id[96];
	uint64_t	ro_lsn;			/* read.only: the chunk query's WAL position */
	uint64_t	watermark_seq;

	/*
	 * The chunk query's snapshot (pg_current_snapshot(), one more column
	 * of its rows): the transactions its rows do not show.  PostgreSQL
	 * writes a commit record before the transaction leaves the
	 * ProcArray, so a transaction streamed before the window opened can
	 * still be missing from the rows read just after: its change is
	 * older in the stream but newer than the row.
	 */
	int			snap_known;
	uint32_t	snap_xmin, snap_xmax;
	uint32_t   *snap_xip;
	int			snap_nxip;
	uint32_t	stream_xid;		/* the streamed transaction's (snapshot_begin) */

	/*
	 * The table's changes streamed while no chunk could take them (each
	 * its xid, then nkeys texts with a uint32 length before each), kept
	 * until a chunk's snapshot shows them: a chunk taken drops its rows
	 * whose change it does not see, and forgets those it sees.  Bounded
	 * by SNAP_RECENT_MAX: past it the older half goes.
	 */
	struct buf	recent;

	/*
	 * The next chunk, read ahead: its open watermark, SELECT and close
	 * watermark are sent (pipeline mode) as soon as this chunk's close is
	 * written, so the server reads it while this one's window closes and
	 * its rows go out; it becomes the current chunk when this one is done.
	 */
	int			ahead;			/* its statements are in flight on conn */
	char		ahead_open[96];
	char		ahead_close[96];

	/*
	 * Its watermarks can come through the stream before it becomes the
	 * current chunk (this one's rows still going out): seen so, and the
	 * keys of the table's changes streamed between them (each a run of
	 * nkeys texts, a uint32 length before each), which drop its rows
	 * once it is taken (snapshot_dedup.c).
	 */
	int			ahead_opened;
	int			ahead_closed;
	struct buf	ahead_keys;
	int64_t		ahead_limit;	/* the LIMIT it was sent with */
};

/*
 * snapshot_dedup.c (the index) and snapshot_window.c (emitting): the
 * buffered chunk.
 */
struct snapshot_chunk
{
	PGresult   *res;			/* the rows, or NULL */
	int			nrows;
	int64_t		limit;			/* the rows it asked for: fewer came = the table's end */
	unsigned char *gone;		/* per row: a streamed change replaced it */
	uint32_t   *hash;			/* open addressing: row index + 1 */
	size_t		nhash;
	int			emit_next;		/* next row snapshot_emit writes */
	const char *emit_kind;		/* source.snapshot of the rows */
	struct decoder_column *scratch;	/* one row's columns for event_read
									 * (the export's rows too) */
	int			scratch_cap;
	const struct relcache_rel *mapped;	/* stream relation the key map is for */
	int		   *map;			/* key column j is mapped's column map[j] */
	struct buf	keytext;		/* a binary-mode key's text, to compare with the rows' */
};

/* A connection of a parallel initial snapshot (snapshot_ranges.c). */
struct snapshot_range_conn
{
	struct sideconn side;		/* its own; unused for conns[0] */
	PGconn	   *conn;			/* side.conn, or the snapshot's for conns[0] */
	int			range;			/* the range it COPYs, or -1 */
};

enum snapshot_range_state
{
	SNAP_RANGE_WAITING, SNAP_RANGE_READING,
	SNAP_RANGE_READ,			/* its COPY ended; its last row may still be pending */
	SNAP_RANGE_DONE				/* every row of it is in the batch */
};

/* snapshot_export.c: the initial snapshot from an exported snapshot (COPY). */
struct snapshot_export
{
	int			exporting;
	int			export_index;	/* tables started, for the markers */
	int			export_total;
	int			in_copy;
	char	   *pending;		/* a COPY line (libpq's) waiting for the next row */
	size_t		pending_len;
	int			pending_first;	/* ... and is its table's first */
	struct buf	row;			/* its escaped fields, unescaped */
	uint64_t	steps;			/* tables and page ranges finished: progress to record */
	char	   *snapname;		/* the slot's exported snapshot */

	/*
	 * snapshot_ranges.c, snapshot.max.threads > 1: the current table's
	 * pages cut into ranges, COPYed by several connections at once, each
	 * in the exported snapshot; conns[0] is the snapshot's own (side).
	 */
	int			nconns;			/* connections reading this table; 0: one COPY */
	int			capconns;
	struct snapshot_range_conn *conns;
	int			nranges;
	int			next_range;		/* the next range to start */
	uint32_t	range_pages;	/* pages per range; the last is open-ended */
	unsigned char *range_state;	/* per range: enum snapshot_range_state */
	int			pending_range;	/* the range the pending row came from */
	uint32_t	relfilenode;	/* the table's file then: a rewrite moves rows */
	char	   *base_filter;	/* the item's filter before ranges were left out */
	int			threads_warned;	/* said why it reads with one connection */
};

/* snapshot_state.c: progress states waiting to be durable. */
struct snapshot_state_log
{
	int			npending;
	int			cappending;
	struct snapshot_pending *pending;
	char	   *saved;			/* the newest state handed out */
};

struct snapshot
{
	const struct config *cfg;	/* not owned */
	struct event_writer *ew;	/* not owned */
	struct sideconn side;		/* the snapshot's connection: opened on
								 * first use, reopened after a loss */
	/* called while a query waits (pgconn_exec); may be NULL (not owned) */
	pgconn_wait_fn on_wait;
	void	   *wait_arg;
	int			abandoned;		/* on_wait gave up the last query */
	int			read_only;		/* configured, or fallen back to */
	int			nitems;			/* tables in queue.items */
	enum snapshot_phase phase;	/* the window's (snapshot_window.c) */
	int			dirty;			/* state changed since the last push */
	/*
	 * The run's live figures (metrics.h), or NULL: the snapshot's bounds
	 * and tables, rows per table.  Set by the caller after
	 * snapshot_init; not owned.  Updated per table and per batch of
	 * rows, never per row.
	 */
	struct metrics_snap *met;

	struct snapshot_queue queue;
	struct snapshot_table table;
	struct snapshot_window win;
	struct snapshot_chunk chunk;
	struct snapshot_export export;
	struct snapshot_state_log state;
};

void	snapshot_init(struct snapshot *s, const struct config *cfg,
					  struct event_writer *ew, relcache_resolver resolve,
					  void *resolve_arg);
void	snapshot_free(struct snapshot *s);

/* Whether a snapshot is queued, running or paused. */
int		snapshot_active(const struct snapshot *s);

/*
 * Queue every captured table of the publication (the initial snapshot);
 * tables without a primary key are read blocking, with a warning.
 * 0, or -1 with err set (the catalog could not be read).
 */
int		snapshot_queue_all(struct snapshot *s, char *err, size_t errlen);

/* Resume from a state snapshot_state_at() gave; -1 with err if malformed. */
int		snapshot_restore(struct snapshot *s, const char *state,
						 char *err, size_t errlen);

/* The stream: a transaction begins (xid), a change, a signal-table row. */
void	snapshot_begin(struct snapshot *s, uint32_t xid);
void	snapshot_change(struct snapshot *s, const struct relcache_rel *rel,
						const struct decoder_msg *m);

/*
 * A row of the signal table streamed in: an insert (id, type, data
 * columns of rel) or, with insert_delete, the delete of an open
 * watermark.  Watermarks move the window; other signals are acted on
 * and logged; malformed ones are logged and ignored.  lsn is the
 * change's position.
 */
void	snapshot_signal_row(struct snapshot *s, const struct relcache_rel *rel,
							const struct decoder_msg *m, uint64_t lsn);

/*
 * The stream has passed lsn: a commit's end (in_txn 0) or a keepalive's
 * WAL end with no transaction open.  May make rows ready to emit
 * (read.only windows) and records progress made at this position,
 * after nevents events appended in all (ack.nappended).
 */
void	snapshot_position(struct snapshot *s, uint64_t lsn, uint64_t nevents);

/* Whether rows wait for snapshot_emit. */
int		snapshot_emitting(const struct snapshot *s);

/*
 * Append ready rows as events until out holds
 * at least limit bytes or none are left; lsn is the position they are
 * delivered at.  Returns the number of events appended, -1 on error.
 */
long	snapshot_emit(struct snapshot *s, struct batch *out, size_t limit,
					  uint64_t lsn, int64_t now_ms, char *err, size_t errlen);

/*
 * Run the next piece of SQL if the snapshot waits for it: start a
 * table, read a chunk between watermarks, fetch blocking rows.  lsn is
 * the newest position appended (for progress not tied to a change).
 * Returns 1 if it did something, 0 if nothing was due, -1 on a
 * connection failure (err set; the caller may retry later).
 */
int		snapshot_step(struct snapshot *s, uint64_t lsn, uint64_t nevents,
					  char *err, size_t errlen);

/*
 * Whether the stream must not be read now: a blocking read is under
 * way, and a change streamed before its rows would be undone by them.
 */
int		snapshot_holds_stream(const struct snapshot *s);

/*
 * One line on the table being read: rows done of the estimate
 * (pg_class.reltuples), the rate since it started and the time left
 * (not while paused), and the tables queued after it.  0 with the line
 * in out, -1 if no table is being read.
 */
int		snapshot_progress(const struct snapshot *s, int64_t now_us, char *out, size_t len);

/* Whether the read.only window waits for the server's WAL position. */
int		snapshot_wants_position(const struct snapshot *s);

/*
 * The newest progress state durable with the position lsn and ndurable
 * events, or NULL if none newer than the last one returned; "" means
 * no snapshot in progress.  Owned by s, valid until the next call.
 */
const char *snapshot_state_at(struct snapshot *s, uint64_t lsn, uint64_t ndurable);

/*
 * Whether a progress state waits to be recorded that is durable once
 * the events appended so far are: appended is the newest position
 * appended, nappended the events.  For the caller to record each
 * chunk as soon as the sink holds it, not only at status updates.
 */
static inline int
snapshot_unsaved(const struct snapshot *s, uint64_t appended, uint64_t nappended)
{
	return s->state.npending > 0 && s->state.pending[0].lsn <= appended &&
		s->state.pending[0].nevents <= nappended;
}

/*
 * The server has confirmed lsn: forget the finished signals it can no
 * longer send again (sigdone.h).
 */
void	snapshot_confirmed(struct snapshot *s, uint64_t lsn);

/*
 * Look at the publication's tables: the first call remembers them; a
 * later one queues the captured tables added since (snapshot.new.tables,
 * blocking if they have no primary key) and logs each.  Returns how
 * many were queued, -1 with err on failure.
 */
int		snapshot_poll_tables(struct snapshot *s, char *err, size_t errlen);

/*
 * The initial snapshot when walcap created the slot: every queued table
 * read with COPY in one REPEATABLE READ transaction that adopts the
 * slot's exported snapshot (snapname), so the rows are exactly the
 * database at the slot's start and no watermarks are needed.  Rows are
 * events with Debezium's markers: "first" (first row of the first
 * table), "first_in_data_collection", "true", "last_in_data_collection",
 * "last" (last row of the last table).
 *
 * With snapshot.max.threads above 1, a large table (PostgreSQL 14+) is
 * cut into ranges of pages, each COPYed (a TID range scan) on one of up
 * to that many connections, all in the exported snapshot: each row is
 * read once, the markers stay those of the table's first and last row
 * written, and each range finished is progress: the table's item then
 * leaves out the ranges done (ctid conditions, void if the table was
 * rewritten since), so an incremental resume after a crash reads only
 * the rest.
 *
 * snapshot_export_next() appends rows until out holds limit bytes, or a
 * table or a range ends (so the caller can record progress: then
 * snapshot_export_steps() has grown), and returns the events appended;
 * when the queue is empty everything is out.  -1 with err on failure.
 * snapshot_export_end() commits (or, if unfinished, rolls back).
 */
int		snapshot_export_begin(struct snapshot *s, const char *snapname,
							  char *err, size_t errlen);
long	snapshot_export_next(struct snapshot *s, struct batch *out, size_t limit,
							 uint64_t lsn, int64_t now_ms, char *err, size_t errlen);
void	snapshot_export_end(struct snapshot *s);

/* Tables and ranges finished so far: progress to record when it grows. */
static inline uint64_t
snapshot_export_steps(const struct snapshot *s)
{
	return s->export.steps;
}

#endif

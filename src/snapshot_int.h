/*
 * snapshot_int.h — what the files of the snapshot module share; not
 * for use outside src/snapshot*.c (and their unit tests).
 *
 * The module (snapshot.h is its contract) is one struct snapshot whose
 * parts each belong to one file:
 *
 *   snapshot.c         the public entry points that tie the parts
 *                      together: init/free, snapshot_step (start a
 *                      table, a chunk, a blocking fetch),
 *                      snapshot_position, snapshot_progress; the
 *                      snapshot's own connection (snap_exec*)
 *   snapshot_queue.c   queue: the tables to read and the signals that
 *                      asked (execute, stop, pause, resume, log rows of
 *                      the signal table: snapshot_signal_row)
 *   snapshot_table.c   table: loading the current table's columns, key
 *                      and chunk query; the publication's tables
 *                      (snapshot_queue_all, snapshot_poll_tables)
 *   snapshot_dedup.c   chunk's index: a streamed change to a key of the
 *                      buffered chunk drops that row (snapshot_begin,
 *                      snapshot_change)
 *   snapshot_window.c  win and the chunk's rows: watermarks, the chunk
 *                      query, reading ahead, snapshot_emit
 *   snapshot_export.c  export: the initial snapshot by COPY in the
 *                      slot's exported snapshot (snapshot_export_*)
 *   snapshot_ranges.c  export's ranges: a table of it read by several
 *                      connections at once (snapshot.max.threads)
 *   snapshot_state.c   state: progress as JSON, tied to stream
 *                      positions (snapshot_state_at, snapshot_restore,
 *                      snapshot_confirmed)
 *
 * A file changes another's part only through the functions below.
 * Internal functions are prefixed snap_; status codes as in each
 * comment, err/errlen owned by the caller.
 */
#ifndef WALCAP_SNAPSHOT_INT_H
#define WALCAP_SNAPSHOT_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "decoder.h"
#include "relcache.h"
#include "snapshot.h"

/* The most key columns an incremental snapshot reads by (a primary key has at most 32). */
#define SNAP_MAX_KEYS 32

/* The most bytes win.recent keeps (snapshot.h). */
#define SNAP_RECENT_MAX (1024 * 1024)

/* ---- snapshot.c ---- */

/*
 * The current table's rows into s->met (if set): read so far, and the
 * estimate, or with done the rows read as its total.
 */
void	snap_note_rows(struct snapshot *s, int done);

/* Free n strings and the array (NULL is fine). */
void	snap_free_keys(char **k, int n);

/* Forget the current table's state (the item stays queued). */
void	snap_clear_table(struct snapshot *s);

/*
 * The snapshot's connection, (re)connected if needed; NULL with err.
 * A read-ahead in flight is discarded first: other SQL goes first.
 */
PGconn *snap_conn_get(struct snapshot *s, char *err, size_t errlen);

/* PQexec (with n text parameters) on s->conn, waiting through on_wait. */
PGresult *snap_exec(struct snapshot *s, const char *sql);
PGresult *snap_exec_params(struct snapshot *s, const char *sql, int n,
						   const char *const *params);

/* The on_wait hook given to pgconn: s->on_wait, noting an abandon. */
int		snap_on_wait(void *arg);

/* ---- snapshot_queue.c ---- */

/* Whether schema.table is queued. */
int		snap_queued(const struct snapshot *s, const char *schema, const char *table);

/* Append a copy of *it (strings copied); 0, or -1 out of memory. */
int		snap_push_item(struct snapshot *s, const struct snapshot_item *it);

/*
 * Unqueue table i (0: the current table, whose state is cleared); its
 * signal is done when it was that signal's last table.
 */
void	snap_remove_item(struct snapshot *s, int i);

/* Free every queued item and the array. */
void	snap_queue_free(struct snapshot *s);

/* ---- snapshot_table.c ---- */

/* "(k1, k2)" of the current table's key, each name followed by suffix. */
void	snap_key_list(struct snapshot *s, struct buf *b, const char *suffix);

/* "($1::t1, $2::t2)" starting at parameter first. */
void	snap_param_list(struct snapshot *s, struct buf *b, int first);

/*
 * Load items[0]'s columns, key and the start of its query into
 * s->table (whole: all rows, no key needed).  1 when the table can be
 * read, 0 when it was dropped from the queue (logged), -1 on a
 * connection error.
 */
int		snap_load_table(struct snapshot *s, int whole, char *err, size_t errlen);

/*
 * Append the item's condition and the publication's row filter to b:
 * " WHERE (a) AND (b)", or " AND (a) AND (b)" after a condition (and set).
 */
void	snap_add_filters(const struct snapshot *s, struct buf *b, int and);

/*
 * The newest key, the bound, into table.max_key (left NULL if the
 * table is empty).  0, -1 connection lost, -2 query failed (err).
 */
int		snap_load_max_key(struct snapshot *s, char *err, size_t errlen);

/* ---- snapshot_dedup.c ---- */

/* The hash of row's key columns in chunk.res (the index's; for tests). */
uint32_t snap_row_hash(const struct snapshot *s, int row);

/*
 * Index chunk.res (chunk.nrows rows) by key: chunk.hash and an all-zero
 * chunk.gone.  0, or -1 out of memory (the caller drops the chunk).
 */
int		snap_build_hash(struct snapshot *s);

/*
 * The chunk read ahead became the current one: drop its rows whose keys
 * changes streamed inside its window before then (win.ahead_keys).
 */
void	snap_apply_ahead_keys(struct snapshot *s);

/*
 * Read the chunk query's snapshot ("xmin:xmax:xip,...", the text of
 * pg_current_snapshot()) into win.snap_*; 0, or -1 if it is not one
 * (win.snap_known is then 0).
 */
int		snap_set_snapshot(struct snapshot *s, const char *text);

/*
 * A chunk was taken (its snapshot set): drop its rows changed by the
 * transactions of win.recent that its snapshot does not show, and
 * forget those it shows.
 */
void	snap_apply_recent(struct snapshot *s);

/* Free the buffered chunk and its index. */
void	snap_drop_chunk(struct snapshot *s);

/* ---- snapshot_window.c ---- */

/*
 * Rows the next chunk asks for: incremental.snapshot.chunk.size, fewer
 * when the table's rows are wide, so that a chunk's result stays near
 * SNAP_CHUNK_BYTES (it is held whole, and the next one read ahead); a
 * table's first chunk at most SNAP_FIRST_ROWS, before that is known.
 */
#define SNAP_CHUNK_BYTES (2 * 1024 * 1024)
#define SNAP_FIRST_ROWS 64
#define SNAP_MIN_ROWS 16
int64_t	snap_chunk_limit(const struct snapshot *s);

/* The chunk just read (chunk.res) sizes the table's next ones. */
void	snap_size_chunks(struct snapshot *s);

/* The window's edge was streamed: open it, or (close) close it and emit. */
void	snap_window_edge(struct snapshot *s, int close);

/* Forget the read-ahead (its watermarks, when written, are ignored). */
void	snap_ahead_discard(struct snapshot *s);

/*
 * Read the current table's next chunk between watermarks (or in a
 * read.only window); 1, -1 connection lost (err), 0 the table was
 * dropped from the queue.
 */
int		snap_read_chunk(struct snapshot *s, uint64_t lsn, uint64_t nevents,
						char *err, size_t errlen);

/* ---- snapshot_export.c ---- */

/* Debezium's source.snapshot marker of an exported row. */
const char *snap_export_marker(const struct snapshot *s, int first_in_table, int last_in_table);

/* One COPY text line as an event of the current table; 0, or -1 (err). */
int		snap_export_row(struct snapshot *s, const char *line, size_t len, const char *marker,
						struct batch *out, uint64_t lsn, int64_t now_ms, char *err, size_t errlen);

/*
 * A COPY line read (PQgetCopyData's, now owned by s): the pending row
 * goes out (not the table's last), the line waits in its place.  1
 * when the pending row was written, 0 when there was none, -1 (err).
 */
int		snap_export_take(struct snapshot *s, char *line, int len, struct batch *out,
						 uint64_t lsn, int64_t now_ms, char *err, size_t errlen);

/*
 * Every row of the table was read: the pending row goes out as its
 * last, the table is unqueued.  The rows written (0 or 1), or -1 (err).
 */
int		snap_export_table_end(struct snapshot *s, struct batch *out, uint64_t lsn,
							  int64_t now_ms, char *err, size_t errlen);

/* ---- snapshot_ranges.c ---- */

/*
 * The table just loaded for the export: cut its pages into ranges and
 * start their COPYs on up to snapshot.max.threads connections.  1 when
 * it is read so (snap_ranges_next), 0 when with one COPY (too small,
 * partitioned, before PostgreSQL 14, one thread), -1 (err).
 */
int		snap_ranges_start(struct snapshot *s, char *err, size_t errlen);

/* snapshot_export_next for a table read in ranges. */
long	snap_ranges_next(struct snapshot *s, struct batch *out, size_t limit, uint64_t lsn,
						 int64_t now_ms, char *err, size_t errlen);

/* Close the extra connections, forget the ranges. */
void	snap_ranges_end(struct snapshot *s);

/* ---- snapshot_state.c ---- */

/*
 * The state as one line of JSON ("" when idle); NULL out of memory.
 * Only snapshot_state.c and the unit tests call it.
 */
char   *snap_serialize(const struct snapshot *s);

/*
 * The stream is at lsn after nevents events: place finished signals
 * there and, if the state changed (s->dirty), queue it as pending.
 */
void	snap_push_state(struct snapshot *s, uint64_t lsn, uint64_t nevents);

/* Free the pending states and the last one handed out. */
void	snap_state_free(struct snapshot *s);

#endif

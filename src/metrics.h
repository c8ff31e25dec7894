/*
 * metrics.h — a connector's counters, in Prometheus' text format and as
 * the report line a `walcap run` child sends to `walcap server`.
 *
 * One struct metrics_snap holds every figure (docs/metrics.md lists each
 * metric with its meaning).  The run loop owns the live one and updates
 * its fields directly (one thread, no locks; the fields are the
 * contract).  Other threads never read it: metrics_publish() copies it
 * under a lock into what metrics.listen's HTTP thread renders, and
 * metrics_report_line() turns it into one JSON line for the server.
 *
 * The server keeps the last snapshot each child reported
 * (metrics_parse_line) and renders all of them at once: metrics_render()
 * groups every family's samples under one HELP/TYPE, as the text format
 * requires, with a connector="name" label on each sample.
 */
#ifndef WALCAP_METRICS_H
#define WALCAP_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* Tables a snapshot reports rows for; more are summed into the totals only. */
#define METRICS_MAX_TABLES 64
#define METRICS_TABLE_NAME 130	/* "schema.table", each part <= 63 bytes */

struct metrics_table
{
	char		name[METRICS_TABLE_NAME];
	int64_t		total_rows;		/* estimated (reltuples) when the table starts */
	int64_t		rows_scanned;
};

struct metrics_snap
{
	/* streaming, as Debezium's streaming metrics */
	int			connected;		/* the replication session is up */
	int64_t		events_create;	/* total_number_of_create_events_seen */
	int64_t		events_update;
	int64_t		events_delete;
	int64_t		events_truncate;
	int64_t		events_message;	/* logical decoding messages */
	int64_t		committed_transactions;
	int64_t		last_event_ms;	/* wall clock (ms since 1970) of the last event, 0 none */
	int64_t		behind_source_ms;	/* commit time to emit time of the last event, -1 unknown */
	uint64_t	confirmed_lsn;	/* the position confirmed to PostgreSQL */
	uint64_t	received_lsn;	/* the newest WAL position received */
	int64_t		retained_wal_bytes;	/* from the WAL guard; -1 until read */
	int64_t		reconnects;
	int64_t		sink_errors;	/* failed deliveries (each retried or fatal) */
	int64_t		batches;		/* batches handed to the sink */
	int64_t		batch_events;	/* events in them */
	int64_t		last_batch_size;	/* events in the newest batch */

	/* snapshots, as Debezium's snapshot metrics */
	int			snapshot_running;
	int			snapshot_paused;
	int			snapshot_completed;	/* the last snapshot finished */
	int			snapshot_aborted;
	int64_t		snapshot_total_tables;
	int64_t		snapshot_remaining_tables;
	int64_t		snapshot_started_ms;	/* wall clock, 0 none */
	int64_t		snapshot_duration_s;
	int			ntables;
	struct metrics_table tables[METRICS_MAX_TABLES];

	/* the process */
	double		cpu_seconds;	/* user + system */
	int64_t		rss_bytes;
	int64_t		start_time_s;	/* wall clock */

	/*
	 * Wall clock (ms) when these figures were taken: "since the last
	 * event" is measured to it, so a snapshot renders the same wherever
	 * and whenever it is rendered (the server renders a child's later).
	 */
	int64_t		sampled_ms;

	/* the last error, for the server's FAILED state ("" none) */
	char		last_error[512];
};

/* A snapshot and the connector it belongs to (NULL: no label). */
struct metrics_labelled
{
	const char *connector;
	const struct metrics_snap *snap;
};

/* The wall clock in ms since 1970, as the snapshot's times are. */
static inline int64_t
metrics_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An empty snapshot: zeros, and -1 where -1 means unknown. */
void		metrics_init(struct metrics_snap *s);

/*
 * Fill the process figures (CPU, RSS, and the start time once) of *s
 * from /proc/self; a figure that cannot be read is left as it was.
 */
void		metrics_sample_process(struct metrics_snap *s);

/*
 * The snapshot's entry for table "schema.table" (found, or added), or
 * NULL when METRICS_MAX_TABLES are already listed.  For the snapshot's
 * hooks: a lookup per batch of rows, never per row.
 */
struct metrics_table *metrics_table(struct metrics_snap *s, const char *schema,
									const char *table);

/* A snapshot starts (at now_ms, wall clock) or ends; see docs/metrics.md. */
void		metrics_snapshot_start(struct metrics_snap *s, int64_t now_ms);
void		metrics_snapshot_end(struct metrics_snap *s, int aborted, int64_t now_ms);

/* Prometheus text (version 0.0.4) of n snapshots, appended to out. */
void		metrics_render(struct buf *out, const struct metrics_labelled *v, int n);

/* One JSON object and '\n', appended to out: what a child reports. */
void		metrics_report_line(struct buf *out, const struct metrics_snap *s);

/*
 * The reverse: *s as metrics_init() then every field the line has; -1
 * with err set on a malformed line (not one JSON object, a field of the
 * wrong type).  Fields may be missing and unknown ones are ignored, so a
 * child and a server of different versions still understand each other.
 */
int			metrics_parse_line(const char *line, size_t len, struct metrics_snap *s,
							   char *err, size_t errlen);

/*
 * The published copy, for readers on other threads.  metrics_publish()
 * takes the lock briefly; metrics_copy_published() gives a consistent
 * copy.
 */
struct metrics_pub
{
	pthread_mutex_t lock;
	struct metrics_snap snap;
};

void		metrics_pub_init(struct metrics_pub *p);
void		metrics_pub_destroy(struct metrics_pub *p);
void		metrics_publish(struct metrics_pub *p, const struct metrics_snap *s);
void		metrics_copy_published(struct metrics_pub *p, struct metrics_snap *out);

#endif

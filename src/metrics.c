/*
 * metrics.c — a connector's figures as Prometheus text and as the report
 * line; see metrics.h, and docs/metrics.md for every metric.
 *
 * One table (fields[]) names each scalar figure once: its metric, type
 * and help for the text format, its key in the report line, and where
 * it sits in struct metrics_snap.  Rendering, reporting and parsing all
 * walk it, so a figure cannot be in one and missing from another.
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "metrics_int.h"

#define F(metric, type, help, key, kind, member) \
	{metric, type, help, key, kind, offsetof(struct metrics_snap, member)}
#define D(metric, type, help, kind) {metric, type, help, NULL, kind, 0}

/*
 * In the order they are rendered.  Counters named after Debezium's
 * metrics keep its name; walcap's own counters end in _total
 * (docs/metrics.md).
 */
const struct metrics_field metrics_fields[] = {
	F("walcap_streaming_connected", "gauge",
	  "1 while the replication session is up, else 0.",
	  "connected", MK_INT, connected),
	F("walcap_streaming_milli_seconds_behind_source", "gauge",
	  "Commit time of the last streamed event's transaction to the time walcap wrote it, in ms; -1 before the first.",
	  "behind_source_ms", MK_I64, behind_source_ms),
	D("walcap_streaming_milli_seconds_since_last_event", "gauge",
	  "Time since walcap wrote the last streamed event, in ms; -1 before the first.",
	  MK_SINCE),
	D("walcap_streaming_total_number_of_events_seen", "counter",
	  "Streamed events written: creates, updates, deletes, truncates and logical messages.",
	  MK_EVENTS),
	F("walcap_streaming_total_number_of_create_events_seen", "counter",
	  "Streamed inserts written (op c).", "events_create", MK_I64, events_create),
	F("walcap_streaming_total_number_of_update_events_seen", "counter",
	  "Streamed updates written (op u).", "events_update", MK_I64, events_update),
	F("walcap_streaming_total_number_of_delete_events_seen", "counter",
	  "Streamed deletes written (op d).", "events_delete", MK_I64, events_delete),
	F("walcap_streaming_total_number_of_truncate_events_seen", "counter",
	  "Streamed truncates written (op t), one per table.", "events_truncate", MK_I64, events_truncate),
	F("walcap_streaming_total_number_of_message_events_seen", "counter",
	  "Logical decoding messages written (op m).", "events_message", MK_I64, events_message),
	F("walcap_streaming_number_of_committed_transactions", "counter",
	  "Transactions whose commit walcap has read from the stream.",
	  "committed_transactions", MK_I64, committed_transactions),
	F(NULL, NULL, NULL, "last_event_ms", MK_I64, last_event_ms),
	F("walcap_streaming_confirmed_lsn", "gauge",
	  "The WAL position walcap confirmed to PostgreSQL (the slot's confirmed_flush_lsn), as a number.",
	  "confirmed_lsn", MK_U64, confirmed_lsn),
	F("walcap_streaming_received_lsn", "gauge",
	  "The newest WAL position received from PostgreSQL, as a number.",
	  "received_lsn", MK_U64, received_lsn),
	F("walcap_streaming_retained_wal_bytes", "gauge",
	  "WAL the slot holds on the server, from the last look (wal.retained.check.interval.ms); -1 before the first.",
	  "retained_wal_bytes", MK_I64, retained_wal_bytes),
	F("walcap_streaming_reconnects_total", "counter",
	  "Attempts to connect again after the replication connection was lost or could not start.", "reconnects", MK_I64, reconnects),
	F("walcap_sink_delivery_errors_total", "counter",
	  "Failed writes or deliveries to the sink.", "sink_errors", MK_I64, sink_errors),
	F("walcap_sink_batches_total", "counter",
	  "Batches of events handed to the sink in full.", "batches", MK_I64, batches),
	F("walcap_sink_batch_events_total", "counter",
	  "Records in those batches (events, snapshot rows, heartbeats).",
	  "batch_events", MK_I64, batch_events),
	F("walcap_sink_last_batch_size", "gauge",
	  "Records in the newest batch handed to the sink.", "last_batch_size", MK_I64, last_batch_size),
	F("walcap_snapshot_running", "gauge",
	  "1 while a snapshot is queued or being read, else 0.",
	  "snapshot_running", MK_INT, snapshot_running),
	F("walcap_snapshot_paused", "gauge",
	  "1 while the running snapshot is paused (pause-snapshot signal).",
	  "snapshot_paused", MK_INT, snapshot_paused),
	F("walcap_snapshot_completed", "gauge",
	  "1 once the last snapshot has read all its tables.",
	  "snapshot_completed", MK_INT, snapshot_completed),
	F("walcap_snapshot_aborted", "gauge",
	  "1 once the last snapshot was stopped before reading all its tables.",
	  "snapshot_aborted", MK_INT, snapshot_aborted),
	F("walcap_snapshot_total_table_count", "gauge",
	  "Tables the last snapshot was asked to read.",
	  "snapshot_total_tables", MK_I64, snapshot_total_tables),
	F("walcap_snapshot_remaining_table_count", "gauge",
	  "Tables of the last snapshot not read yet.",
	  "snapshot_remaining_tables", MK_I64, snapshot_remaining_tables),
	F(NULL, NULL, NULL, "snapshot_started_ms", MK_I64, snapshot_started_ms),
	F("walcap_snapshot_duration_seconds", "gauge",
	  "Seconds the last snapshot has run (so far, while it runs).",
	  "snapshot_duration_s", MK_I64, snapshot_duration_s),
	F("process_cpu_seconds_total", "counter",
	  "Total user and system CPU time spent in seconds.", "cpu_seconds", MK_DBL, cpu_seconds),
	F("process_resident_memory_bytes", "gauge",
	  "Resident memory size in bytes.", "rss_bytes", MK_I64, rss_bytes),
	F("process_start_time_seconds", "gauge",
	  "Start time of the process since unix epoch in seconds.", "start_time_s", MK_I64, start_time_s),
	F(NULL, NULL, NULL, "sampled_ms", MK_I64, sampled_ms),
};

const int	metrics_nfields = (int) (sizeof(metrics_fields) / sizeof(metrics_fields[0]));

#define fields metrics_fields
#define NFIELDS metrics_nfields

/* The per-table families, rendered after the scalar ones. */
enum table_kind
{
	T_TOTAL,
	T_SCANNED,
	T_REMAINING,
};

static const struct
{
	const char *metric;
	const char *type;
	const char *help;
	enum table_kind kind;
}			table_families[] = {
	{"walcap_snapshot_total_rows", "gauge",
	"Rows of the table: pg_class.reltuples when it starts, the rows read once it is done.", T_TOTAL},
	{"walcap_snapshot_rows_scanned", "gauge",
	"Rows of the table read so far.", T_SCANNED},
	{"walcap_snapshot_remaining_rows", "gauge",
	"Estimated rows of the table not read yet (total rows - rows scanned, at least 0).", T_REMAINING},
};

void
metrics_init(struct metrics_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->behind_source_ms = -1;
	s->retained_wal_bytes = -1;
}

/* ---- the process ---- */

/* The whole (small) file path into buf; its length, or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	FILE	   *f = fopen(path, "r");
	size_t		n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t) n;
}

/* The system's boot time (btime of /proc/stat), or -1. */
static int64_t
boot_time(void)
{
	char		buf[16384];
	const char *p;

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0 || (p = strstr(buf, "\nbtime ")) == NULL)
		return -1;
	return strtoll(p + 7, NULL, 10);
}

void
metrics_sample_process(struct metrics_snap *s)
{
	char		buf[1024];
	long		ticks = sysconf(_SC_CLK_TCK);
	long		page = sysconf(_SC_PAGESIZE);
	const char *p;

	/*
	 * /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces
	 * and parentheses, so the fields are counted from its last ')'.
	 * After it, field 3 is the state: utime and stime are fields 14 and
	 * 15, starttime (ticks after boot) field 22.
	 */
	if (ticks > 0 && read_small("/proc/self/stat", buf, sizeof(buf)) > 0 &&
		(p = strrchr(buf, ')')) != NULL)
	{
		unsigned long long utime = 0, stime = 0, start = 0;
		int			field = 2;
		char	   *end;

		for (p++; *p && field < 22;)
		{
			while (*p == ' ')
				p++;
			field++;
			if (field == 14)
				utime = strtoull(p, NULL, 10);
			else if (field == 15)
				stime = strtoull(p, NULL, 10);
			else if (field == 22)
				start = strtoull(p, NULL, 10);
			end = strchr(p, ' ');
			if (end == NULL)
				break;
			p = end;
		}
		if (field == 22)
		{
			s->cpu_seconds = (double) (utime + stime) / (double) ticks;
			if (s->start_time_s == 0)
			{
				int64_t		bt = boot_time();

				if (bt > 0)
					s->start_time_s = bt + (int64_t) (start / (unsigned long long) ticks);
			}
		}
	}
	/* /proc/self/statm: size resident shared ... in pages */
	if (page > 0 && read_small("/proc/self/statm", buf, sizeof(buf)) > 0)
	{
		unsigned long long size, resident;

		if (sscanf(buf, "%llu %llu", &size, &resident) == 2)
			s->rss_bytes = (int64_t) resident * page;
	}
}

/* ---- tables and snapshot bounds ---- */

struct metrics_table *
metrics_table(struct metrics_snap *s, const char *schema, const char *table)
{
	char		name[METRICS_TABLE_NAME];
	struct metrics_table *t;

	snprintf(name, sizeof(name), "%s.%s", schema, table);
	for (int i = s->ntables - 1; i >= 0; i--)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	if (s->ntables >= METRICS_MAX_TABLES)
		return NULL;
	t = &s->tables[s->ntables++];
	memcpy(t->name, name, sizeof(name));
	t->total_rows = -1;
	t->rows_scanned = 0;
	return t;
}

void
metrics_snapshot_start(struct metrics_snap *s, int64_t now_ms)
{
	s->snapshot_running = 1;
	s->snapshot_paused = 0;
	s->snapshot_completed = 0;
	s->snapshot_aborted = 0;
	s->snapshot_total_tables = 0;
	s->snapshot_remaining_tables = 0;
	s->snapshot_started_ms = now_ms;
	s->snapshot_duration_s = 0;
	s->ntables = 0;
}

void
metrics_snapshot_end(struct metrics_snap *s, int aborted, int64_t now_ms)
{
	if (!s->snapshot_running)
		return;
	s->snapshot_running = 0;
	s->snapshot_paused = 0;
	s->snapshot_completed = !aborted;
	s->snapshot_aborted = aborted;
	s->snapshot_duration_s = (now_ms - s->snapshot_started_ms) / 1000;
}

/* ---- Prometheus text ---- */

static int64_t
since_last_event(const struct metrics_snap *s)
{
	if (s->last_event_ms == 0)
		return -1;
	return s->sampled_ms > s->last_event_ms ? s->sampled_ms - s->last_event_ms : 0;
}

static void
put_value(struct buf *out, const struct metrics_field *f, const struct metrics_snap *s)
{
	const char *base = (const char *) s;

	switch (f->kind)
	{
		case MK_INT:
			buf_printf(out, "%d", *(const int *) (base + f->off));
			break;
		case MK_I64:
			buf_printf(out, "%" PRId64, *(const int64_t *) (base + f->off));
			break;
		case MK_U64:
			buf_printf(out, "%" PRIu64, *(const uint64_t *) (base + f->off));
			break;
		case MK_DBL:
			buf_printf(out, "%.2f", *(const double *) (base + f->off));
			break;
		case MK_SINCE:
			buf_printf(out, "%" PRId64, since_last_event(s));
			break;
		case MK_EVENTS:
			buf_printf(out, "%" PRId64, s->events_create + s->events_update + s->events_delete +
					   s->events_truncate + s->events_message);
			break;
	}
}

/* A label value, escaped as the text format wants: \\, \" and \n. */
static void
put_label(struct buf *out, const char *v)
{
	for (; *v; v++)
	{
		if (*v == '\\')
			buf_puts(out, "\\\\");
		else if (*v == '"')
			buf_puts(out, "\\\"");
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

/* The labels of a sample: {connector="...",table="..."}, or nothing. */
static void
put_labels(struct buf *out, const char *connector, const char *table)
{
	if (connector == NULL && table == NULL)
		return;
	buf_putc(out, '{');
	if (connector)
	{
		buf_puts(out, "connector=\"");
		put_label(out, connector);
		buf_putc(out, '"');
	}
	if (table)
	{
		buf_puts(out, connector ? ",table=\"" : "table=\"");
		put_label(out, table);
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}

static void
put_head(struct buf *out, const char *metric, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

void
metrics_render(struct buf *out, const struct metrics_labelled *v, int n)
{
	for (int f = 0; f < NFIELDS; f++)
	{
		if (fields[f].metric == NULL)
			continue;
		put_head(out, fields[f].metric, fields[f].type, fields[f].help);
		for (int i = 0; i < n; i++)
		{
			buf_puts(out, fields[f].metric);
			put_labels(out, v[i].connector, NULL);
			buf_putc(out, ' ');
			put_value(out, &fields[f], v[i].snap);
			buf_putc(out, '\n');
		}
	}
	for (size_t f = 0; f < sizeof(table_families) / sizeof(table_families[0]); f++)
	{
		put_head(out, table_families[f].metric, table_families[f].type, table_families[f].help);
		for (int i = 0; i < n; i++)
		{
			const struct metrics_snap *s = v[i].snap;

			for (int t = 0; t < s->ntables && t < METRICS_MAX_TABLES; t++)
			{
				const struct metrics_table *mt = &s->tables[t];
				int64_t		val = 0;

				switch (table_families[f].kind)
				{
					case T_TOTAL:
						val = mt->total_rows;
						break;
					case T_SCANNED:
						val = mt->rows_scanned;
						break;
					case T_REMAINING:
						val = mt->total_rows > mt->rows_scanned ? mt->total_rows - mt->rows_scanned : 0;
						break;
				}
				buf_puts(out, table_families[f].metric);
				put_labels(out, v[i].connector, mt->name);
				buf_printf(out, " %" PRId64 "\n", val);
			}
		}
	}
}

/* ---- the report line ---- */

void
metrics_report_line(struct buf *out, const struct metrics_snap *s)
{
	const char *base = (const char *) s;
	int			first = 1;

	buf_putc(out, '{');
	for (int f = 0; f < NFIELDS; f++)
	{
		if (fields[f].key == NULL)
			continue;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		json_cstring(out, fields[f].key);
		buf_putc(out, ':');
		switch (fields[f].kind)
		{
			case MK_INT:
				json_int64(out, *(const int *) (base + fields[f].off));
				break;
			case MK_I64:
				json_int64(out, *(const int64_t *) (base + fields[f].off));
				break;
			case MK_U64:
				json_uint64(out, *(const uint64_t *) (base + fields[f].off));
				break;
			case MK_DBL:
				buf_printf(out, "%.3f", *(const double *) (base + fields[f].off));
				break;
			default:
				break;
		}
	}
	buf_puts(out, ",\"tables\":[");
	for (int t = 0; t < s->ntables && t < METRICS_MAX_TABLES; t++)
	{
		if (t > 0)
			buf_putc(out, ',');
		buf_puts(out, "{\"name\":");
		json_cstring(out, s->tables[t].name);
		buf_puts(out, ",\"total_rows\":");
		json_int64(out, s->tables[t].total_rows);
		buf_puts(out, ",\"rows_scanned\":");
		json_int64(out, s->tables[t].rows_scanned);
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"last_error\":");
	json_cstring(out, s->last_error);
	buf_puts(out, "}\n");
}

/* ---- the published copy ---- */

void
metrics_pub_init(struct metrics_pub *p)
{
	pthread_mutex_init(&p->lock, NULL);
	metrics_init(&p->snap);
}

void
metrics_pub_destroy(struct metrics_pub *p)
{
	pthread_mutex_destroy(&p->lock);
}

void
metrics_publish(struct metrics_pub *p, const struct metrics_snap *s)
{
	pthread_mutex_lock(&p->lock);
	p->snap = *s;
	pthread_mutex_unlock(&p->lock);
}

void
metrics_copy_published(struct metrics_pub *p, struct metrics_snap *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->snap;
	pthread_mutex_unlock(&p->lock);
}

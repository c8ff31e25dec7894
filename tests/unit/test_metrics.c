/*
 * test_metrics.c — unit tests for metrics.c and metrics_parse.c: the
 * exact Prometheus text of one unlabelled snapshot and of two labelled
 * ones (a HELP and a TYPE per family, table labels, label escaping),
 * the report line read back field for field, malformed lines refused,
 * the process figures, the snapshot bounds, and the metrics.listen key.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "testhelp.h"

/* A connector that streamed and snapshotted; its last table's name needs escaping. */
static void
fill_a(struct metrics_snap *a)
{
	struct metrics_table *t;

	metrics_init(a);
	a->connected = 1;
	a->events_create = 5;
	a->events_update = 3;
	a->events_delete = 2;
	a->events_truncate = 1;
	a->events_message = 4;
	a->committed_transactions = 7;
	a->last_event_ms = 1700000000000;
	a->sampled_ms = 1700000001500;
	a->behind_source_ms = 42;
	a->confirmed_lsn = 0x16B3748;
	a->received_lsn = 0x16B3800;
	a->retained_wal_bytes = 8192;
	a->reconnects = 1;
	a->batches = 3;
	a->batch_events = 17;
	a->last_batch_size = 6;
	a->snapshot_completed = 1;
	a->snapshot_total_tables = 2;
	a->snapshot_duration_s = 9;
	a->cpu_seconds = 1.25;
	a->rss_bytes = 4096000;
	a->start_time_s = 1700000000;
	t = metrics_table(a, "public", "orders");
	t->total_rows = 100;
	t->rows_scanned = 100;
	t = metrics_table(a, "we\"ird", "t\\a\nb");
	t->total_rows = 10;
	t->rows_scanned = 4;
}

/* A lone run in the middle of a paused snapshot: one table, no label but the table's. */
static void
fill_u(struct metrics_snap *u)
{
	struct metrics_table *t;

	metrics_init(u);
	u->snapshot_running = 1;
	u->snapshot_paused = 1;
	u->snapshot_total_tables = 3;
	u->snapshot_remaining_tables = 3;
	u->snapshot_duration_s = 2;
	u->cpu_seconds = 0.5;
	t = metrics_table(u, "s", "big");
	t->total_rows = 1000;
	t->rows_scanned = 250;
}

static const char want_one[] =
	"# HELP walcap_streaming_connected 1 while the replication session is up, else 0.\n"
	"# TYPE walcap_streaming_connected gauge\n"
	"walcap_streaming_connected 0\n"
	"# HELP walcap_streaming_milli_seconds_behind_source Commit time of the last streamed event's transaction to the time walcap wrote it, in ms; -1 before the first.\n"
	"# TYPE walcap_streaming_milli_seconds_behind_source gauge\n"
	"walcap_streaming_milli_seconds_behind_source -1\n"
	"# HELP walcap_streaming_milli_seconds_since_last_event Time since walcap wrote the last streamed event, in ms; -1 before the first.\n"
	"# TYPE walcap_streaming_milli_seconds_since_last_event gauge\n"
	"walcap_streaming_milli_seconds_since_last_event -1\n"
	"# HELP walcap_streaming_total_number_of_events_seen Streamed events written: creates, updates, deletes, truncates and logical messages.\n"
	"# TYPE walcap_streaming_total_number_of_events_seen counter\n"
	"walcap_streaming_total_number_of_events_seen 0\n"
	"# HELP walcap_streaming_total_number_of_create_events_seen Streamed inserts written (op c).\n"
	"# TYPE walcap_streaming_total_number_of_create_events_seen counter\n"
	"walcap_streaming_total_number_of_create_events_seen 0\n"
	"# HELP walcap_streaming_total_number_of_update_events_seen Streamed updates written (op u).\n"
	"# TYPE walcap_streaming_total_number_of_update_events_seen counter\n"
	"walcap_streaming_total_number_of_update_events_seen 0\n"
	"# HELP walcap_streaming_total_number_of_delete_events_seen Streamed deletes written (op d).\n"
	"# TYPE walcap_streaming_total_number_of_delete_events_seen counter\n"
	"walcap_streaming_total_number_of_delete_events_seen 0\n"
	"# HELP walcap_streaming_total_number_of_truncate_events_seen Streamed truncates written (op t), one per table.\n"
	"# TYPE walcap_streaming_total_number_of_truncate_events_seen counter\n"
	"walcap_streaming_total_number_of_truncate_events_seen 0\n"
	"# HELP walcap_streaming_total_number_of_message_events_seen Logical decoding messages written (op m).\n"
	"# TYPE walcap_streaming_total_number_of_message_events_seen counter\n"
	"walcap_streaming_total_number_of_message_events_seen 0\n"
	"# HELP walcap_streaming_number_of_committed_transactions Transactions whose commit walcap has read from the stream.\n"
	"# TYPE walcap_streaming_number_of_committed_transactions counter\n"
	"walcap_streaming_number_of_committed_transactions 0\n"
	"# HELP walcap_streaming_confirmed_lsn The WAL position walcap confirmed to PostgreSQL (the slot's confirmed_flush_lsn), as a number.\n"
	"# TYPE walcap_streaming_confirmed_lsn gauge\n"
	"walcap_streaming_confirmed_lsn 0\n"
	"# HELP walcap_streaming_received_lsn The newest WAL position received from PostgreSQL, as a number.\n"
	"# TYPE walcap_streaming_received_lsn gauge\n"
	"walcap_streaming_received_lsn 0\n"
	"# HELP walcap_streaming_retained_wal_bytes WAL the slot holds on the server, from the last look (wal.retained.check.interval.ms); -1 before the first.\n"
	"# TYPE walcap_streaming_retained_wal_bytes gauge\n"
	"walcap_streaming_retained_wal_bytes -1\n"
	"# HELP walcap_streaming_reconnects_total Attempts to connect again after the replication connection was lost or could not start.\n"
	"# TYPE walcap_streaming_reconnects_total counter\n"
	"walcap_streaming_reconnects_total 0\n"
	"# HELP walcap_sink_delivery_errors_total Failed writes or deliveries to the sink.\n"
	"# TYPE walcap_sink_delivery_errors_total counter\n"
	"walcap_sink_delivery_errors_total 0\n"
	"# HELP walcap_sink_batches_total Batches of events handed to the sink in full.\n"
	"# TYPE walcap_sink_batches_total counter\n"
	"walcap_sink_batches_total 0\n"
	"# HELP walcap_sink_batch_events_total Records in those batches (events, snapshot rows, heartbeats).\n"
	"# TYPE walcap_sink_batch_events_total counter\n"
	"walcap_sink_batch_events_total 0\n"
	"# HELP walcap_sink_last_batch_size Records in the newest batch handed to the sink.\n"
	"# TYPE walcap_sink_last_batch_size gauge\n"
	"walcap_sink_last_batch_size 0\n"
	"# HELP walcap_snapshot_running 1 while a snapshot is queued or being read, else 0.\n"
	"# TYPE walcap_snapshot_running gauge\n"
	"walcap_snapshot_running 1\n"
	"# HELP walcap_snapshot_paused 1 while the running snapshot is paused (pause-snapshot signal).\n"
	"# TYPE walcap_snapshot_paused gauge\n"
	"walcap_snapshot_paused 1\n"
	"# HELP walcap_snapshot_completed 1 once the last snapshot has read all its tables.\n"
	"# TYPE walcap_snapshot_completed gauge\n"
	"walcap_snapshot_completed 0\n"
	"# HELP walcap_snapshot_aborted 1 once the last snapshot was stopped before reading all its tables.\n"
	"# TYPE walcap_snapshot_aborted gauge\n"
	"walcap_snapshot_aborted 0\n"
	"# HELP walcap_snapshot_total_table_count Tables the last snapshot was asked to read.\n"
	"# TYPE walcap_snapshot_total_table_count gauge\n"
	"walcap_snapshot_total_table_count 3\n"
	"# HELP walcap_snapshot_remaining_table_count Tables of the last snapshot not read yet.\n"
	"# TYPE walcap_snapshot_remaining_table_count gauge\n"
	"walcap_snapshot_remaining_table_count 3\n"
	"# HELP walcap_snapshot_duration_seconds Seconds the last snapshot has run (so far, while it runs).\n"
	"# TYPE walcap_snapshot_duration_seconds gauge\n"
	"walcap_snapshot_duration_seconds 2\n"
	"# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
	"# TYPE process_cpu_seconds_total counter\n"
	"process_cpu_seconds_total 0.50\n"
	"# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	"# TYPE process_resident_memory_bytes gauge\n"
	"process_resident_memory_bytes 0\n"
	"# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
	"# TYPE process_start_time_seconds gauge\n"
	"process_start_time_seconds 0\n"
	"# HELP walcap_snapshot_total_rows Rows of the table: pg_class.reltuples when it starts, the rows read once it is done.\n"
	"# TYPE walcap_snapshot_total_rows gauge\n"
	"walcap_snapshot_total_rows{table=\"s.big\"} 1000\n"
	"# HELP walcap_snapshot_rows_scanned Rows of the table read so far.\n"
	"# TYPE walcap_snapshot_rows_scanned gauge\n"
	"walcap_snapshot_rows_scanned{table=\"s.big\"} 250\n"
	"# HELP walcap_snapshot_remaining_rows Estimated rows of the table not read yet (total rows - rows scanned, at least 0).\n"
	"# TYPE walcap_snapshot_remaining_rows gauge\n"
	"walcap_snapshot_remaining_rows{table=\"s.big\"} 750\n";

static const char want_two[] =
	"# HELP walcap_streaming_connected 1 while the replication session is up, else 0.\n"
	"# TYPE walcap_streaming_connected gauge\n"
	"walcap_streaming_connected{connector=\"db\\\"one\"} 1\n"
	"walcap_streaming_connected{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_milli_seconds_behind_source Commit time of the last streamed event's transaction to the time walcap wrote it, in ms; -1 before the first.\n"
	"# TYPE walcap_streaming_milli_seconds_behind_source gauge\n"
	"walcap_streaming_milli_seconds_behind_source{connector=\"db\\\"one\"} 42\n"
	"walcap_streaming_milli_seconds_behind_source{connector=\"two\"} -1\n"
	"# HELP walcap_streaming_milli_seconds_since_last_event Time since walcap wrote the last streamed event, in ms; -1 before the first.\n"
	"# TYPE walcap_streaming_milli_seconds_since_last_event gauge\n"
	"walcap_streaming_milli_seconds_since_last_event{connector=\"db\\\"one\"} 1500\n"
	"walcap_streaming_milli_seconds_since_last_event{connector=\"two\"} -1\n"
	"# HELP walcap_streaming_total_number_of_events_seen Streamed events written: creates, updates, deletes, truncates and logical messages.\n"
	"# TYPE walcap_streaming_total_number_of_events_seen counter\n"
	"walcap_streaming_total_number_of_events_seen{connector=\"db\\\"one\"} 15\n"
	"walcap_streaming_total_number_of_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_total_number_of_create_events_seen Streamed inserts written (op c).\n"
	"# TYPE walcap_streaming_total_number_of_create_events_seen counter\n"
	"walcap_streaming_total_number_of_create_events_seen{connector=\"db\\\"one\"} 5\n"
	"walcap_streaming_total_number_of_create_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_total_number_of_update_events_seen Streamed updates written (op u).\n"
	"# TYPE walcap_streaming_total_number_of_update_events_seen counter\n"
	"walcap_streaming_total_number_of_update_events_seen{connector=\"db\\\"one\"} 3\n"
	"walcap_streaming_total_number_of_update_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_total_number_of_delete_events_seen Streamed deletes written (op d).\n"
	"# TYPE walcap_streaming_total_number_of_delete_events_seen counter\n"
	"walcap_streaming_total_number_of_delete_events_seen{connector=\"db\\\"one\"} 2\n"
	"walcap_streaming_total_number_of_delete_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_total_number_of_truncate_events_seen Streamed truncates written (op t), one per table.\n"
	"# TYPE walcap_streaming_total_number_of_truncate_events_seen counter\n"
	"walcap_streaming_total_number_of_truncate_events_seen{connector=\"db\\\"one\"} 1\n"
	"walcap_streaming_total_number_of_truncate_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_total_number_of_message_events_seen Logical decoding messages written (op m).\n"
	"# TYPE walcap_streaming_total_number_of_message_events_seen counter\n"
	"walcap_streaming_total_number_of_message_events_seen{connector=\"db\\\"one\"} 4\n"
	"walcap_streaming_total_number_of_message_events_seen{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_number_of_committed_transactions Transactions whose commit walcap has read from the stream.\n"
	"# TYPE walcap_streaming_number_of_committed_transactions counter\n"
	"walcap_streaming_number_of_committed_transactions{connector=\"db\\\"one\"} 7\n"
	"walcap_streaming_number_of_committed_transactions{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_confirmed_lsn The WAL position walcap confirmed to PostgreSQL (the slot's confirmed_flush_lsn), as a number.\n"
	"# TYPE walcap_streaming_confirmed_lsn gauge\n"
	"walcap_streaming_confirmed_lsn{connector=\"db\\\"one\"} 23803720\n"
	"walcap_streaming_confirmed_lsn{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_received_lsn The newest WAL position received from PostgreSQL, as a number.\n"
	"# TYPE walcap_streaming_received_lsn gauge\n"
	"walcap_streaming_received_lsn{connector=\"db\\\"one\"} 23803904\n"
	"walcap_streaming_received_lsn{connector=\"two\"} 0\n"
	"# HELP walcap_streaming_retained_wal_bytes WAL the slot holds on the server, from the last look (wal.retained.check.interval.ms); -1 before the first.\n"
	"# TYPE walcap_streaming_retained_wal_bytes gauge\n"
	"walcap_streaming_retained_wal_bytes{connector=\"db\\\"one\"} 8192\n"
	"walcap_streaming_retained_wal_bytes{connector=\"two\"} -1\n"
	"# HELP walcap_streaming_reconnects_total Attempts to connect again after the replication connection was lost or could not start.\n"
	"# TYPE walcap_streaming_reconnects_total counter\n"
	"walcap_streaming_reconnects_total{connector=\"db\\\"one\"} 1\n"
	"walcap_streaming_reconnects_total{connector=\"two\"} 0\n"
	"# HELP walcap_sink_delivery_errors_total Failed writes or deliveries to the sink.\n"
	"# TYPE walcap_sink_delivery_errors_total counter\n"
	"walcap_sink_delivery_errors_total{connector=\"db\\\"one\"} 0\n"
	"walcap_sink_delivery_errors_total{connector=\"two\"} 0\n"
	"# HELP walcap_sink_batches_total Batches of events handed to the sink in full.\n"
	"# TYPE walcap_sink_batches_total counter\n"
	"walcap_sink_batches_total{connector=\"db\\\"one\"} 3\n"
	"walcap_sink_batches_total{connector=\"two\"} 0\n"
	"# HELP walcap_sink_batch_events_total Records in those batches (events, snapshot rows, heartbeats).\n"
	"# TYPE walcap_sink_batch_events_total counter\n"
	"walcap_sink_batch_events_total{connector=\"db\\\"one\"} 17\n"
	"walcap_sink_batch_events_total{connector=\"two\"} 0\n"
	"# HELP walcap_sink_last_batch_size Records in the newest batch handed to the sink.\n"
	"# TYPE walcap_sink_last_batch_size gauge\n"
	"walcap_sink_last_batch_size{connector=\"db\\\"one\"} 6\n"
	"walcap_sink_last_batch_size{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_running 1 while a snapshot is queued or being read, else 0.\n"
	"# TYPE walcap_snapshot_running gauge\n"
	"walcap_snapshot_running{connector=\"db\\\"one\"} 0\n"
	"walcap_snapshot_running{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_paused 1 while the running snapshot is paused (pause-snapshot signal).\n"
	"# TYPE walcap_snapshot_paused gauge\n"
	"walcap_snapshot_paused{connector=\"db\\\"one\"} 0\n"
	"walcap_snapshot_paused{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_completed 1 once the last snapshot has read all its tables.\n"
	"# TYPE walcap_snapshot_completed gauge\n"
	"walcap_snapshot_completed{connector=\"db\\\"one\"} 1\n"
	"walcap_snapshot_completed{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_aborted 1 once the last snapshot was stopped before reading all its tables.\n"
	"# TYPE walcap_snapshot_aborted gauge\n"
	"walcap_snapshot_aborted{connector=\"db\\\"one\"} 0\n"
	"walcap_snapshot_aborted{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_total_table_count Tables the last snapshot was asked to read.\n"
	"# TYPE walcap_snapshot_total_table_count gauge\n"
	"walcap_snapshot_total_table_count{connector=\"db\\\"one\"} 2\n"
	"walcap_snapshot_total_table_count{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_remaining_table_count Tables of the last snapshot not read yet.\n"
	"# TYPE walcap_snapshot_remaining_table_count gauge\n"
	"walcap_snapshot_remaining_table_count{connector=\"db\\\"one\"} 0\n"
	"walcap_snapshot_remaining_table_count{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_duration_seconds Seconds the last snapshot has run (so far, while it runs).\n"
	"# TYPE walcap_snapshot_duration_seconds gauge\n"
	"walcap_snapshot_duration_seconds{connector=\"db\\\"one\"} 9\n"
	"walcap_snapshot_duration_seconds{connector=\"two\"} 0\n"
	"# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
	"# TYPE process_cpu_seconds_total counter\n"
	"process_cpu_seconds_total{connector=\"db\\\"one\"} 1.25\n"
	"process_cpu_seconds_total{connector=\"two\"} 0.00\n"
	"# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	"# TYPE process_resident_memory_bytes gauge\n"
	"process_resident_memory_bytes{connector=\"db\\\"one\"} 4096000\n"
	"process_resident_memory_bytes{connector=\"two\"} 0\n"
	"# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
	"# TYPE process_start_time_seconds gauge\n"
	"process_start_time_seconds{connector=\"db\\\"one\"} 1700000000\n"
	"process_start_time_seconds{connector=\"two\"} 0\n"
	"# HELP walcap_snapshot_total_rows Rows of the table: pg_class.reltuples when it starts, the rows read once it is done.\n"
	"# TYPE walcap_snapshot_total_rows gauge\n"
	"walcap_snapshot_total_rows{connector=\"db\\\"one\",table=\"public.orders\"} 100\n"
	"walcap_snapshot_total_rows{connector=\"db\\\"one\",table=\"we\\\"ird.t\\\\a\\nb\"} 10\n"
	"# HELP walcap_snapshot_rows_scanned Rows of the table read so far.\n"
	"# TYPE walcap_snapshot_rows_scanned gauge\n"
	"walcap_snapshot_rows_scanned{connector=\"db\\\"one\",table=\"public.orders\"} 100\n"
	"walcap_snapshot_rows_scanned{connector=\"db\\\"one\",table=\"we\\\"ird.t\\\\a\\nb\"} 4\n"
	"# HELP walcap_snapshot_remaining_rows Estimated rows of the table not read yet (total rows - rows scanned, at least 0).\n"
	"# TYPE walcap_snapshot_remaining_rows gauge\n"
	"walcap_snapshot_remaining_rows{connector=\"db\\\"one\",table=\"public.orders\"} 0\n"
	"walcap_snapshot_remaining_rows{connector=\"db\\\"one\",table=\"we\\\"ird.t\\\\a\\nb\"} 6\n";

/* One lone run: no connector label, the table label alone. */
static void
test_render_unlabelled(void)
{
	struct metrics_snap u;
	struct metrics_labelled v = {NULL, &u};
	struct buf	out;

	fill_u(&u);
	buf_init(&out, 0);
	metrics_render(&out, &v, 1);
	CHECK_STR(out.data, want_one);
	buf_free(&out);
}

/* Two connectors: each family once, both samples under it, escaped labels. */
static void
test_render_labelled(void)
{
	static struct metrics_snap a, b;
	struct metrics_labelled v[2] = {{"db\"one", &a}, {"two", &b}};
	struct buf	out;

	fill_a(&a);
	metrics_init(&b);
	buf_init(&out, 0);
	metrics_render(&out, v, 2);
	CHECK_STR(out.data, want_two);
	buf_free(&out);
}

/* What a child writes, the server reads back exactly. */
static void
test_round_trip(void)
{
	static struct metrics_snap a, back;
	struct buf	line;
	char		err[256] = "";

	fill_a(&a);
	a.snapshot_started_ms = 1699999990000;
	snprintf(a.last_error, sizeof(a.last_error), "sink \"x\" failed\n");
	buf_init(&line, 0);
	metrics_report_line(&line, &a);
	CHECK(line.len > 0 && line.data[line.len - 1] == '\n');
	CHECK(memchr(line.data, '\n', line.len) == line.data + line.len - 1);
	CHECK_INT(metrics_parse_line(line.data, line.len, &back, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(back.connected, 1);
	CHECK_INT(back.events_create, 5);
	CHECK_INT(back.events_update, 3);
	CHECK_INT(back.events_delete, 2);
	CHECK_INT(back.events_truncate, 1);
	CHECK_INT(back.events_message, 4);
	CHECK_INT(back.committed_transactions, 7);
	CHECK_INT(back.last_event_ms, 1700000000000);
	CHECK_INT(back.sampled_ms, 1700000001500);
	CHECK_INT(back.behind_source_ms, 42);
	CHECK(back.confirmed_lsn == 0x16B3748);
	CHECK(back.received_lsn == 0x16B3800);
	CHECK_INT(back.retained_wal_bytes, 8192);
	CHECK_INT(back.reconnects, 1);
	CHECK_INT(back.batches, 3);
	CHECK_INT(back.batch_events, 17);
	CHECK_INT(back.last_batch_size, 6);
	CHECK_INT(back.snapshot_completed, 1);
	CHECK_INT(back.snapshot_total_tables, 2);
	CHECK_INT(back.snapshot_started_ms, 1699999990000);
	CHECK_INT(back.snapshot_duration_s, 9);
	CHECK(back.cpu_seconds == 1.25);
	CHECK_INT(back.rss_bytes, 4096000);
	CHECK_INT(back.start_time_s, 1700000000);
	CHECK_INT(back.ntables, 2);
	CHECK_STR(back.tables[0].name, "public.orders");
	CHECK_INT(back.tables[0].total_rows, 100);
	CHECK_INT(back.tables[0].rows_scanned, 100);
	CHECK_STR(back.tables[1].name, "we\"ird.t\\a\nb");
	CHECK_INT(back.tables[1].rows_scanned, 4);
	CHECK_STR(back.last_error, "sink \"x\" failed\n");

	/* the same line renders the same text */
	{
		struct metrics_labelled v1[2] = {{"db\"one", &a}, {"two", NULL}};
		struct metrics_labelled v2[2] = {{"db\"one", &back}, {"two", NULL}};
		static struct metrics_snap empty;
		struct buf	r1, r2;

		metrics_init(&empty);
		v1[1].snap = v2[1].snap = &empty;
		buf_init(&r1, 0);
		buf_init(&r2, 0);
		metrics_render(&r1, v1, 2);
		metrics_render(&r2, v2, 2);
		CHECK_STR(r2.data, r1.data);
		buf_free(&r1);
		buf_free(&r2);
	}
	buf_free(&line);
}

/* Missing fields keep metrics_init's values; unknown ones are ignored. */
static void
test_parse_partial(void)
{
	static struct metrics_snap s;
	char		err[256];
	const char *l = "{\"connected\":1,\"future_field\":[1,2]}\n";

	CHECK_INT(metrics_parse_line(l, strlen(l), &s, err, sizeof(err)), 0);
	CHECK_INT(s.connected, 1);
	CHECK_INT(s.behind_source_ms, -1);
	CHECK_INT(s.retained_wal_bytes, -1);
	CHECK_INT(s.ntables, 0);
}

/* Malformed lines are refused, with the reason. */
static void
test_parse_malformed(void)
{
	static struct metrics_snap s;
	char		err[256];
	static const struct
	{
		const char *line;
		const char *why;
	}			bad[] = {
		{"", "not JSON: "},
		{"{\"connected\":1", "not JSON: "},
		{"[1,2]", "not a JSON object"},
		{"{\"connected\":1}{}", "not JSON: "},
		{"{\"connected\":\"1\"}", "\"connected\" is not an integer number"},
		{"{\"events_create\":1.5}", "\"events_create\" is not an integer number"},
		{"{\"cpu_seconds\":\"x\"}", "\"cpu_seconds\" is not a number"},
		{"{\"tables\":{}}", "\"tables\" is not an array"},
		{"{\"tables\":[{\"total_rows\":1}]}", "\"tables\"[0] has no name of at most 129 bytes"},
		{"{\"tables\":[{\"name\":\"a.b\",\"rows_scanned\":true}]}", "\"tables\"[0]: a row count is not an integer"},
		{"{\"last_error\":3}", "\"last_error\" is not a string"},
		{"{\"connected\":1,\"connected\":2}", "not JSON: "},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		err[0] = '\0';
		CHECK_INT(metrics_parse_line(bad[i].line, strlen(bad[i].line), &s, err, sizeof(err)), -1);
		if (strncmp(err, bad[i].why, strlen(bad[i].why)) != 0)
			CHECK_STR(err, bad[i].why);
	}
}

/* This very process: some memory, a start time around now, CPU counted. */
static void
test_process(void)
{
	static struct metrics_snap s;
	volatile unsigned long x = 0;
	int64_t		now = (int64_t) time(NULL);

	metrics_init(&s);
	clock_t		start = clock();

	/* spend 50 ms of CPU, five clock ticks (valgrind's start-up counts too) */
	while (clock() - start < CLOCKS_PER_SEC / 20)
		x = x + 1;
	CHECK(x > 0);
	metrics_sample_process(&s);
	CHECK(s.rss_bytes > 100 * 1024);
	CHECK(s.start_time_s > now - 120 && s.start_time_s <= now + 1);
	CHECK(s.cpu_seconds > 0.0);
}

/* A snapshot's bounds, and its tables found again by name. */
static void
test_snapshot_bounds(void)
{
	static struct metrics_snap s;
	struct metrics_table *t;

	metrics_init(&s);
	metrics_snapshot_end(&s, 0, 5000);	/* none running: nothing */
	CHECK_INT(s.snapshot_completed, 0);
	metrics_snapshot_start(&s, 1000);
	CHECK_INT(s.snapshot_running, 1);
	t = metrics_table(&s, "public", "a");
	CHECK_INT(t->total_rows, -1);
	CHECK(metrics_table(&s, "public", "a") == t);
	CHECK(metrics_table(&s, "public", "b") != t);
	CHECK_INT(s.ntables, 2);
	metrics_snapshot_end(&s, 0, 13500);
	CHECK_INT(s.snapshot_running, 0);
	CHECK_INT(s.snapshot_completed, 1);
	CHECK_INT(s.snapshot_aborted, 0);
	CHECK_INT(s.snapshot_duration_s, 12);
	metrics_snapshot_start(&s, 20000);
	CHECK_INT(s.ntables, 0);
	CHECK_INT(s.snapshot_completed, 0);
	metrics_snapshot_end(&s, 1, 21000);
	CHECK_INT(s.snapshot_aborted, 1);
	CHECK_INT(s.snapshot_completed, 0);
	for (int i = 0; i < METRICS_MAX_TABLES; i++)
	{
		char		name[16];

		snprintf(name, sizeof(name), "t%d", i);
		CHECK(metrics_table(&s, "s", name) != NULL);
	}
	CHECK(metrics_table(&s, "s", "one_too_many") == NULL);
}

/* The published copy is what was published last. */
static void
test_pub(void)
{
	static struct metrics_pub p;
	static struct metrics_snap s, got;

	metrics_pub_init(&p);
	metrics_copy_published(&p, &got);
	CHECK_INT(got.behind_source_ms, -1);
	fill_a(&s);
	metrics_publish(&p, &s);
	metrics_copy_published(&p, &got);
	{
		struct buf	l1, l2;

		buf_init(&l1, 0);
		buf_init(&l2, 0);
		metrics_report_line(&l1, &s);
		metrics_report_line(&l2, &got);
		CHECK_STR(l2.data, l1.data);
		buf_free(&l1);
		buf_free(&l2);
	}
	metrics_pub_destroy(&p);
}

/* metrics.listen: the address forms httpd takes, and nothing else. */
static void
test_listen_key(void)
{
	static const char *const good[] = {"127.0.0.1:9187", "[::1]:0", ":9187", "0.0.0.0:65535", ""};
	static const char *const bad[] = {"localhost", "::1:80", "h:", "h:99999", "h:12a", "[::1]80", "h:123456"};
	struct config c;
	char		err[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		config_init(&c);
		err[0] = '\0';
		CHECK_INT(config_set(&c, "metrics.listen", good[i], err, sizeof(err)), 0);
		CHECK_STR(err, "");
		if (good[i][0])
			CHECK_STR(c.metrics_listen, good[i]);
		else
			CHECK(c.metrics_listen == NULL);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		char		want[512];

		config_init(&c);
		CHECK_INT(config_set(&c, "metrics.listen", bad[i], err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "metrics.listen: \"%s\" is not a listen address; write host:port, [ipv6]:port or :port (every address)", bad[i]);
		CHECK_STR(err, want);
		config_free(&c);
	}
	config_init(&c);
	CHECK(c.metrics_listen == NULL);	/* off unless set */
	config_free(&c);
}

int
main(void)
{
	test_listen_key();
	test_render_unlabelled();
	test_render_labelled();
	test_round_trip();
	test_parse_partial();
	test_parse_malformed();
	test_process();
	test_snapshot_bounds();
	test_pub();
	return TEST_REPORT("test_metrics");
}

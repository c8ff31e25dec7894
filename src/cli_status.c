/*
 * cli_status.c — `walcap status`: how far the slot is behind, how much
 * WAL it holds on the server, what the publication covers, and what the
 * offset file says, as text or JSON; optionally refreshed, and usable as
 * an alerting probe (--max-retained-wal).
 *
 * It runs as the connector user on an ordinary connection and only reads
 * views every user may read (pg_replication_slots, pg_publication_tables).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "cli.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "lsn.h"
#include "offset_store.h"
#include "pgconn.h"

/* One look at the slot, the publication and the stored offset. */
struct status
{
	struct admin_slot slot;		/* with the WAL positions */
	int			version;		/* PQserverVersion */
	int			ntables;
	struct buf	tables;			/* "schema.table\n" lines */
	struct offset_store store;	/* the file or the table (offset.storage) */
	const char *where;			/* offset_store_where() */
	int			offset_found;
	struct offset off;
	char		offset_time[32];	/* when it was saved, UTC ISO-8601 */
	/* a snapshot in progress, as the offset file records it */
	int			snap_found;
	char		snap_id[128];
	char		snap_table[300];	/* "schema.table" being read */
	int64_t		snap_rows;		/* its rows delivered */
	int64_t		snap_chunk;
	int64_t		snap_estimate;	/* pg_class.reltuples, -1 unknown */
	int			snap_paused;
	int			snap_queued;	/* tables after it */
};

/*
 * The offset file's snapshot line: which table, how far.  A line walcap
 * did not write is reported and otherwise ignored.
 */
static void
parse_snapshot(PGconn *conn, struct status *st)
{
	struct jsonread_doc d;
	const struct jsonread_value *root, *t0, *v;
	const char *schema, *table;
	char		err[256];

	st->snap_found = 0;
	if (!st->offset_found || st->off.snapshot == NULL || st->off.snapshot[0] == '\0')
		return;
	if (jsonread_parse(&d, st->off.snapshot, err, sizeof(err)) != 0)
	{
		log_warning("the offset file's snapshot line is %s", err);
		return;
	}
	root = jsonread_root(&d);
	v = jsonread_get(root, "tables");
	if (v && v->type == JSONREAD_ARRAY && v->n == 0)
	{
		/* only the ids of finished snapshots: none in progress */
		jsonread_free(&d);
		return;
	}
	t0 = jsonread_array_get(jsonread_get(root, "tables"), 0);
	schema = jsonread_string(jsonread_get(t0, "schema"));
	table = jsonread_string(jsonread_get(t0, "table"));
	if (schema && table)
	{
		const char *params[2] = {schema, table};
		PGresult   *res;

		st->snap_found = 1;
		snprintf(st->snap_id, sizeof(st->snap_id), "%s",
				 jsonread_string(jsonread_get(root, "id")) ? jsonread_string(jsonread_get(root, "id")) : "");
		snprintf(st->snap_table, sizeof(st->snap_table), "%s.%s", schema, table);
		v = jsonread_get(root, "rows");
		st->snap_rows = jsonread_string(v) ? strtoll(jsonread_string(v), NULL, 10) : 0;
		v = jsonread_get(root, "chunk");
		st->snap_chunk = jsonread_string(v) ? strtoll(jsonread_string(v), NULL, 10) : 0;
		v = jsonread_get(root, "paused");
		st->snap_paused = v && v->type == JSONREAD_TRUE;
		st->snap_queued = (int) jsonread_array_len(jsonread_get(root, "tables")) - 1;
		st->snap_estimate = -1;
		res = PQexecParams(conn,
						   "SELECT c.reltuples::bigint FROM pg_class c "
						   "JOIN pg_namespace n ON n.oid = c.relnamespace "
						   "WHERE n.nspname = $1 AND c.relname = $2",
						   2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			st->snap_estimate = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (st->snap_estimate <= 0)
			st->snap_estimate = -1;
		PQclear(res);
	}
	else
		log_warning("the offset file's snapshot line names no table");
	jsonread_free(&d);
}

/*
 * Parse a size: an integer with an optional unit B, kB/KB/KiB, MB/MiB,
 * GB/GiB, TB/TiB (all binary multiples, as PostgreSQL's own settings).
 */
static int
parse_size(const char *s, int64_t *out)
{
	static const struct
	{
		const char *name;
		int			shift;
	}			units[] = {
		{"", 0}, {"B", 0}, {"kB", 10}, {"KB", 10}, {"KiB", 10}, {"MB", 20},
		{"MiB", 20}, {"GB", 30}, {"GiB", 30}, {"TB", 40}, {"TiB", 40},
	};
	char	   *end;
	long long	v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
	{
		if (strcmp(end, units[i].name) == 0)
		{
			if (v > (INT64_MAX >> units[i].shift))
				return -1;
			*out = (int64_t) v << units[i].shift;
			return 0;
		}
	}
	return -1;
}

/* Fill *st; 0, or -1 with the server's message in err. */
static int
collect(PGconn *conn, const struct config *c, struct status *st,
		char *err, size_t errlen)
{
	const char *params[1];
	PGresult   *res;
	char		oerr[1024];
	int			orc;

	st->version = PQserverVersion(conn);
	buf_reset(&st->tables);
	st->ntables = 0;
	if (admin_slot_read(conn, c->slot_name, ADMIN_SLOT_WAL, &st->slot, err, errlen) != 0)
	{
		pgconn_error(conn, err, errlen);
		return -1;
	}

	params[0] = c->publication_name;
	res = PQexecParams(conn,
					   "SELECT schemaname || '.' || tablename FROM pg_publication_tables "
					   "WHERE pubname = $1 ORDER BY schemaname, tablename",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_error(conn, err, errlen);
		PQclear(res);
		return -1;
	}
	st->ntables = PQntuples(res);
	for (int i = 0; i < st->ntables; i++)
	{
		buf_puts(&st->tables, PQgetvalue(res, i, 0));
		buf_putc(&st->tables, '\n');
	}
	PQclear(res);

	offset_clear(&st->off);
	orc = offset_store_load(&st->store, &st->off, oerr, sizeof(oerr));
	if (orc < 0)
	{
		char	   *hint = strchr(oerr, '\n');

		if (hint)
			*hint++ = '\0';
		log_warning("%s", oerr);
		if (hint)
			log_hint("%s", hint);
	}
	st->offset_found = orc == 1;
	snprintf(st->offset_time, sizeof(st->offset_time), "%s", st->store.written);
	parse_snapshot(conn, st);
	return 0;
}

/* The slot retains more WAL than wal.retained.warn.bytes (0 = never). */
static int
over_warn(const struct config *c, const struct status *st)
{
	return c->wal_warn_bytes > 0 && st->slot.retained > c->wal_warn_bytes;
}

static void
print_text(const struct config *c, const struct status *st)
{
	char		h[32];
	const char *p;

	if (!st->slot.found)
		printf("slot %s: does not exist\n", c->slot_name);
	else
	{
		printf("slot %s (plugin %s, database %s): %s", c->slot_name, st->slot.plugin,
			   st->slot.database, st->slot.active ? "active" : "inactive");
		if (st->slot.active && st->slot.active_pid[0])
			printf(" (pid %s)", st->slot.active_pid);
		printf("\n  confirmed_flush_lsn %s, restart_lsn %s, server WAL at %s\n",
			   st->slot.confirmed_lsn[0] ? st->slot.confirmed_lsn : "-",
			   st->slot.restart_lsn[0] ? st->slot.restart_lsn : "-", st->slot.current_lsn);
		log_human_size(h, sizeof(h), st->slot.retained);
		printf("  retained WAL: %" PRId64 " bytes (%s)\n", st->slot.retained, h);
		if (over_warn(c, st))
		{
			log_human_size(h, sizeof(h), c->wal_warn_bytes);
			printf("  WARNING: more than wal.retained.warn.bytes (%s)\n", h);
		}
		log_human_size(h, sizeof(h), st->slot.lag);
		printf("  lag: %" PRId64 " bytes (%s)\n", st->slot.lag, h);
		if (st->slot.wal_status[0])
			printf("  wal_status %s, safe_wal_size %s\n", st->slot.wal_status,
				   st->slot.safe_wal_size[0] ? st->slot.safe_wal_size : "unlimited");
		if (st->version >= 170000)
			printf("  failover slot: %s\n", st->slot.failover ? "yes" :
				   c->slot_failover ? "no, although slot.failover=true (walcap run makes it one when it starts)" :
				   "no");
		else if (c->slot_failover)
			printf("  failover slot: no, PostgreSQL %d has none (slot.failover=true)\n",
				   st->version / 10000);
	}
	printf("publication %s: %d table%s\n", c->publication_name, st->ntables,
		   st->ntables == 1 ? "" : "s");
	for (p = st->tables.data; p && *p;)
	{
		const char *nl = strchr(p, '\n');

		printf("  %.*s\n", (int) (nl - p), p);
		p = nl + 1;
	}
	if (st->offset_found && st->off.lsn == 0)
		printf("%s: nothing delivered yet, written %s\n", st->where, st->offset_time);
	else if (st->offset_found)
		printf("%s: delivered up to " LSN_FMT ", written %s\n",
			   st->where, LSN_ARGS(st->off.lsn), st->offset_time);
	else
		printf("%s: none\n", st->where);
	if (st->snap_found)
	{
		printf("snapshot in progress (signal \"%s\"): \"%s\" %" PRId64 " rows delivered",
			   st->snap_id[0] ? st->snap_id : "initial", st->snap_table, st->snap_rows);
		if (st->snap_estimate > 0)
			printf(" of ~%" PRId64 " (%d%%)", st->snap_estimate,
				   st->snap_rows >= st->snap_estimate ? 99 : (int) (st->snap_rows * 100 / st->snap_estimate));
		printf(", %" PRId64 " chunk%s%s", st->snap_chunk, st->snap_chunk == 1 ? "" : "s",
			   st->snap_paused ? ", paused" : "");
		if (st->snap_queued > 0)
			printf("; %d more table%s queued", st->snap_queued, st->snap_queued == 1 ? "" : "s");
		printf("\n");
	}
	else if (st->offset_found)
		printf("snapshot: none in progress\n");
}

static void
print_json(const struct config *c, const struct status *st)
{
	struct buf	b;
	const char *p;
	int			first = 1;

	buf_init(&b, 0);
	buf_lit(&b, "{\"slot\":{\"name\":");
	json_cstring(&b, c->slot_name);
	buf_lit(&b, ",\"exists\":");
	buf_puts(&b, st->slot.found ? "true" : "false");
	if (st->slot.found)
	{
		buf_lit(&b, ",\"plugin\":");
		json_cstring(&b, st->slot.plugin);
		buf_lit(&b, ",\"database\":");
		json_cstring(&b, st->slot.database);
		buf_lit(&b, ",\"active\":");
		buf_puts(&b, st->slot.active ? "true" : "false");
		buf_lit(&b, ",\"active_pid\":");
		if (st->slot.active_pid[0])
			buf_puts(&b, st->slot.active_pid);
		else
			buf_lit(&b, "null");
		buf_lit(&b, ",\"confirmed_flush_lsn\":");
		json_cstring(&b, st->slot.confirmed_lsn);
		buf_lit(&b, ",\"restart_lsn\":");
		json_cstring(&b, st->slot.restart_lsn);
		buf_lit(&b, ",\"current_wal_lsn\":");
		json_cstring(&b, st->slot.current_lsn);
		buf_lit(&b, ",\"retained_wal_bytes\":");
		json_int64(&b, st->slot.retained);
		buf_lit(&b, ",\"retained_wal_warn_bytes\":");
		if (c->wal_warn_bytes > 0)
			json_int64(&b, c->wal_warn_bytes);
		else
			buf_lit(&b, "null");
		buf_puts(&b, over_warn(c, st) ? ",\"retained_wal_warning\":true" :
				 ",\"retained_wal_warning\":false");
		buf_lit(&b, ",\"lag_bytes\":");
		json_int64(&b, st->slot.lag);
		buf_lit(&b, ",\"wal_status\":");
		if (st->slot.wal_status[0])
			json_cstring(&b, st->slot.wal_status);
		else
			buf_lit(&b, "null");
		buf_lit(&b, ",\"safe_wal_size\":");
		buf_puts(&b, st->slot.safe_wal_size[0] ? st->slot.safe_wal_size : "null");
		buf_lit(&b, ",\"failover\":");
		buf_puts(&b, st->version < 170000 ? "null" : st->slot.failover ? "true" : "false");
	}
	buf_lit(&b, "},\"publication\":{\"name\":");
	json_cstring(&b, c->publication_name);
	buf_lit(&b, ",\"tables\":[");
	for (p = st->tables.data; p && *p;)
	{
		const char *nl = strchr(p, '\n');

		if (!first)
			buf_putc(&b, ',');
		first = 0;
		json_text(&b, p, (size_t) (nl - p));
		p = nl + 1;
	}
	if (c->offset_storage == CONFIG_OFFSETS_FILE)
	{
		buf_lit(&b, "]},\"offset_file\":{\"path\":");
		json_cstring(&b, c->offset_file);
	}
	else if (c->offset_storage == CONFIG_OFFSETS_POSTGRES)
	{
		buf_lit(&b, "]},\"offset_table\":{\"schema\":");
		json_cstring(&b, c->signal_schema);
		buf_lit(&b, ",\"table\":\"" CONFIG_OFFSET_TABLE "\",\"connector\":");
		json_cstring(&b, c->name);
		buf_lit(&b, ",\"server\":");
		json_cstring(&b, c->topic_prefix);
	}
	else
	{
		struct buf	key;

		buf_init(&key, 0);
		offset_record_key(&key, c->name, c->topic_prefix);
		buf_lit(&b, "]},\"offset_topic\":{\"topic\":");
		json_cstring(&b, c->offset_topic);
		buf_lit(&b, ",\"key\":");
		json_text(&b, key.data ? key.data : "", key.len);
		buf_free(&key);
	}
	if (st->offset_found)
	{
		if (st->off.lsn == 0)
			buf_lit(&b, ",\"lsn\":null,\"written\":");
		else
			buf_printf(&b, ",\"lsn\":\"" LSN_FMT "\",\"written\":", LSN_ARGS(st->off.lsn));
		json_cstring(&b, st->offset_time);
	}
	else
		buf_lit(&b, ",\"lsn\":null,\"written\":null");
	buf_lit(&b, "},\"snapshot\":");
	if (st->snap_found)
	{
		buf_lit(&b, "{\"signal\":");
		json_cstring_or_null(&b, st->snap_id[0] ? st->snap_id : NULL);
		buf_lit(&b, ",\"table\":");
		json_cstring(&b, st->snap_table);
		buf_lit(&b, ",\"rows\":");
		json_int64(&b, st->snap_rows);
		buf_lit(&b, ",\"estimated_rows\":");
		if (st->snap_estimate > 0)
			json_int64(&b, st->snap_estimate);
		else
			buf_lit(&b, "null");
		buf_lit(&b, ",\"chunks\":");
		json_int64(&b, st->snap_chunk);
		buf_puts(&b, st->snap_paused ? ",\"paused\":true" : ",\"paused\":false");
		buf_printf(&b, ",\"tables_queued\":%d}", st->snap_queued);
	}
	else
		buf_lit(&b, "null");
	buf_lit(&b, "}\n");
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

int
cli_status(const struct config *c, const struct status_opts *o)
{
	char		err[1024];
	PGconn	   *conn = pgconn_connect(c, 0, err, sizeof(err));
	struct status st;
	int			rc = 0;

	if (conn == NULL)
	{
		log_error_hint("", err);
		return EXIT_RUNTIME;
	}
	memset(&st, 0, sizeof(st));
	buf_init(&st.tables, 0);
	offset_store_init(&st.store, c, NULL, NULL);
	st.where = offset_store_where(&st.store);
	for (;;)
	{
		if (collect(conn, c, &st, err, sizeof(err)) != 0)
		{
			log_error("%s", err);
			rc = EXIT_RUNTIME;
			break;
		}
		if (o->json)
			print_json(c, &st);
		else
			print_text(c, &st);
		fflush(stdout);
		rc = 0;
		if (!st.slot.found)
		{
			log_error("replication slot \"%s\" does not exist", c->slot_name);
			rc = EXIT_RUNTIME;
		}
		else if (o->max_retained >= 0 && st.slot.retained > o->max_retained)
		{
			char		h1[32], h2[32];

			log_human_size(h1, sizeof(h1), st.slot.retained);
			log_human_size(h2, sizeof(h2), o->max_retained);
			log_error("slot \"%s\" retains %s of WAL, more than --max-retained-wal %s",
					  c->slot_name, h1, h2);
			rc = EXIT_RUNTIME;
		}
		else if (over_warn(c, &st))
		{
			char		h1[32], h2[32];

			log_human_size(h1, sizeof(h1), st.slot.retained);
			log_human_size(h2, sizeof(h2), c->wal_warn_bytes);
			log_warning("slot \"%s\" retains %s of WAL, more than wal.retained.warn.bytes (%s)",
						c->slot_name, h1, h2);
		}
		if (st.slot.found && c->slot_failover && !st.slot.failover)
		{
			if (st.version >= 170000)
				log_warning("replication slot \"%s\" is not a failover slot, but slot.failover=true", c->slot_name);
			else
				log_warning("slot.failover=true, but PostgreSQL %d has no failover slots (they exist from PostgreSQL 17 on)",
							st.version / 10000);
		}
		if (o->watch_s <= 0 || cli_stop_requested)
			break;
		for (int64_t ms = o->watch_s * 1000; ms > 0 && !cli_stop_requested; ms -= 100)
			usleep(100000);
		if (cli_stop_requested)
			break;
		if (!o->json)
			printf("\n");
	}
	buf_free(&st.tables);
	offset_clear(&st.off);
	offset_store_close(&st.store);
	PQfinish(conn);
	return rc;
}

int
cli_parse_size(const char *s, int64_t *out)
{
	return parse_size(s, out);
}

/*
 * offset_store.c — the offset file or the offsets table; see
 * offset_store.h.
 */
#include "offset_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "offset_kafka.h"

void
offset_store_init(struct offset_store *s, const struct config *c,
				  pgconn_wait_fn on_wait, void *wait_arg)
{
	struct buf	w;

	memset(s, 0, sizeof(*s));
	s->cfg = c;
	s->on_wait = on_wait;
	s->wait_arg = wait_arg;
	sideconn_init(&s->conn, c, NULL, NULL);
	buf_init(&w, 0);
	if (c->offset_storage == CONFIG_OFFSETS_POSTGRES)
	{
		buf_lit(&w, "offset table ");
		pgconn_quote_qualified(&w, c->signal_schema, CONFIG_OFFSET_TABLE);
		buf_printf(&w, " (connector \"%s\", server \"%s\")", c->name, c->topic_prefix);
	}
	else if (c->offset_storage == CONFIG_OFFSETS_KAFKA)
	{
		buf_printf(&w, "offset topic \"%s\" (key ", c->offset_topic);
		offset_record_key(&w, c->name, c->topic_prefix);
		buf_putc(&w, ')');
	}
	else
		buf_printf(&w, "offset file %s", c->offset_file);
	snprintf(s->where, sizeof(s->where), "%s", buf_failed(&w) ? "offsets" : w.data);
	buf_free(&w);
}

const char *
offset_store_where(const struct offset_store *s)
{
	return s->where;
}

const char *
offset_store_forget_how(const struct offset_store *s)
{
	switch (s->cfg->offset_storage)
	{
		case CONFIG_OFFSETS_POSTGRES:
			return "delete the row";
		case CONFIG_OFFSETS_KAFKA:
			return "write a tombstone (the key with a null value)";
		case CONFIG_OFFSETS_FILE:
			break;
	}
	return "move the file away";
}

/* s->written: when the offset was saved, t seconds after the epoch */
static void
set_written(struct offset_store *s, time_t t)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(s->written, sizeof(s->written), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A stored record that offset_record_parse() refused (err): say where, and the way out. */
static int
record_invalid(struct offset_store *s, char *err, size_t errlen)
{
	char		msg[512];

	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, errlen, "%s: %s\n%s to start from the slot's position",
			 s->where, msg, offset_store_forget_how(s));
	return -1;
}

void
offset_store_close(struct offset_store *s)
{
	sideconn_close(&s->conn);
	offset_kafka_close(s->kafka);
	s->kafka = NULL;
}

/* kafka: the client, made on first use; 0, or -1 with err set. */
static int
kafka_ready(struct offset_store *s, char *err, size_t errlen)
{
	if (s->kafka == NULL)
		s->kafka = offset_kafka_open(s->cfg, err, errlen);
	return s->kafka ? 0 : -1;
}

static int
load_topic(struct offset_store *s, struct offset *o, char *err, size_t errlen)
{
	struct buf	key;
	char	   *value = NULL;
	int64_t		ts_ms = -1;
	int			rc;

	if (kafka_ready(s, err, errlen) != 0)
		return -1;
	buf_init(&key, 0);
	offset_record_key(&key, s->cfg->name, s->cfg->topic_prefix);
	rc = buf_failed(&key) ? errbuf_fail(err, errlen, "out of memory") :
		offset_kafka_load(s->kafka, key.data, &value, &ts_ms, err, errlen);
	buf_free(&key);
	if (rc == 1 && ts_ms >= 0)
		set_written(s, (time_t) (ts_ms / 1000));
	if (rc == 1 && offset_record_parse(value, o, err, errlen) != 0)
		rc = record_invalid(s, err, errlen);
	free(value);
	return rc;
}

static int
save_topic(struct offset_store *s, const struct offset *o, char *err, size_t errlen)
{
	struct buf	key;
	struct buf	value;
	int			rc;

	if (kafka_ready(s, err, errlen) != 0)
		return -1;
	buf_init(&key, 0);
	buf_init(&value, 0);
	offset_record_key(&key, s->cfg->name, s->cfg->topic_prefix);
	offset_record_value(&value, o);
	rc = buf_failed(&key) || buf_failed(&value) ? errbuf_fail(err, errlen, "out of memory") :
		offset_kafka_save(s->kafka, key.data, value.data, err, errlen);
	buf_free(&key);
	buf_free(&value);
	return rc;
}

/*
 * A failed query's message, with what to do for the two causes a user
 * can fix: the table is missing, or the user may not use it.
 */
static int
table_error(struct offset_store *s, PGconn *conn, PGresult *res, const char *doing,
			char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char		msg[512];

	pgconn_result_error(conn, res, msg, sizeof(msg));
	if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0))
		snprintf(err, errlen, "could not %s the %s: %s\n"
				 "create the table: walcap setup (with offset.storage=postgres) prints the statement",
				 doing, s->where, msg);
	else if (state && strcmp(state, "42501") == 0)
		snprintf(err, errlen, "could not %s the %s: %s\n"
				 "grant the role USAGE on schema \"%s\" and SELECT, INSERT, UPDATE on the table "
				 "(walcap setup prints the statements)",
				 doing, s->where, msg, c->signal_schema);
	else
		snprintf(err, errlen, "could not %s the %s: %s", doing, s->where, msg);
	return -1;
}

/* The table's name, quoted, into b. */
static void
table_name(struct buf *b, const struct config *c)
{
	pgconn_quote_qualified(b, c->signal_schema, CONFIG_OFFSET_TABLE);
}

static int
load_table(struct offset_store *s, struct offset *o, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	const char *params[2] = {c->name, c->topic_prefix};
	struct buf	q;
	PGconn	   *conn;
	PGresult   *res;
	int			rc;

	if ((conn = sideconn_get(&s->conn, err, errlen)) == NULL)
		return -1;
	buf_init(&q, 0);
	buf_lit(&q, "SELECT value::text, to_char(updated_at AT TIME ZONE 'UTC', "
			"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM ");
	table_name(&q, c);
	buf_lit(&q, " WHERE connector = $1 AND server = $2");
	res = buf_failed(&q) ? NULL : pgconn_exec(conn, q.data, 2, params, s->on_wait, s->wait_arg);
	buf_free(&q);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		rc = table_error(s, conn, res, "read", err, errlen);
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		return 0;
	}
	rc = offset_record_parse(PQgetvalue(res, 0, 0), o, err, errlen);
	snprintf(s->written, sizeof(s->written), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return rc != 0 ? record_invalid(s, err, errlen) : 1;
}

static int
save_table(struct offset_store *s, const struct offset *o, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	struct buf	q;
	struct buf	value;
	const char *params[3];
	PGconn	   *conn;
	PGresult   *res;
	int			rc = 0;

	if ((conn = sideconn_get(&s->conn, err, errlen)) == NULL)
		return -1;
	buf_init(&q, 0);
	buf_init(&value, 0);
	buf_lit(&q, "INSERT INTO ");
	table_name(&q, c);
	if (s->ha_pid > 0)
	{
		/* only while our walsender holds the lock, and never backwards */
		buf_printf(&q, " AS o (connector, server, value, updated_at) "
				   "SELECT $1, $2, $3::jsonb, now() WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_locks l "
				   "WHERE l.locktype = 'advisory' AND l.classid = %d AND l.objid = %d "
				   "AND l.objsubid = 2 AND l.pid = %d AND l.granted) "
				   "ON CONFLICT (connector, server) DO UPDATE SET value = EXCLUDED.value, "
				   "updated_at = EXCLUDED.updated_at "
				   "WHERE coalesce((o.value->>'lsn')::numeric, 0) <= (EXCLUDED.value->>'lsn')::numeric",
				   CONFIG_HA_LOCK_CLASS, (int) config_ha_lock_key(c->slot_name), s->ha_pid);
	}
	else
		buf_lit(&q, " (connector, server, value, updated_at) VALUES ($1, $2, $3::jsonb, now()) "
				"ON CONFLICT (connector, server) DO UPDATE SET value = EXCLUDED.value, "
				"updated_at = EXCLUDED.updated_at");
	offset_record_value(&value, o);
	params[0] = c->name;
	params[1] = c->topic_prefix;
	params[2] = value.data;
	if (buf_failed(&q) || buf_failed(&value))
	{
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	else
	{
		res = pgconn_exec(conn, q.data, 3, params, s->on_wait, s->wait_arg);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = table_error(s, conn, res, "write", err, errlen);
		else if (strcmp(PQcmdTuples(res), "1") != 0)
		{
			snprintf(err, errlen, "the %s was not written: this walcap no longer holds the lock of slot \"%s\" "
					 "(its walsender, pid %d, has ended), or the stored position is past its own: "
					 "another walcap has taken over (ha.enabled)", s->where, c->slot_name, s->ha_pid);
			rc = -1;
		}
		PQclear(res);
	}
	buf_free(&q);
	buf_free(&value);
	return rc;
}

int
offset_store_load(struct offset_store *s, struct offset *o, char *err, size_t errlen)
{
	struct stat sb;
	int			rc;

	memset(o, 0, sizeof(*o));
	s->written[0] = '\0';
	if (s->cfg->offset_storage == CONFIG_OFFSETS_POSTGRES)
		return load_table(s, o, err, errlen);
	if (s->cfg->offset_storage == CONFIG_OFFSETS_KAFKA)
		return load_topic(s, o, err, errlen);
	rc = offset_load(s->cfg->offset_file, o, err, errlen);
	if (rc == 1 && stat(s->cfg->offset_file, &sb) == 0)
		set_written(s, sb.st_mtime);
	return rc;
}

int
offset_store_save(struct offset_store *s, const struct offset *o, char *err, size_t errlen)
{
	if (s->cfg->offset_storage == CONFIG_OFFSETS_POSTGRES)
		return save_table(s, o, err, errlen);
	if (s->cfg->offset_storage == CONFIG_OFFSETS_KAFKA)
		return save_topic(s, o, err, errlen);
	return offset_save(s->cfg->offset_file, o, err, errlen);
}

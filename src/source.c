/*
 * source.c — the replication session; see source.h.
 */
#include "source.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>

#include "admin.h"
#include "clock.h"
#include "log.h"
#include "lsn.h"
#include "pgconn.h"
#include "wire.h"

#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)

int64_t
source_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
check_wal_level(struct source *s, int *fatal, char *err, size_t errlen)
{
	char		v[64];

	if (pgconn_value(s->conn, "SHOW wal_level", v, sizeof(v), err, errlen) != 1)
		return -1;
	if (strcmp(v, "logical") != 0)
	{
		*fatal = 1;
		snprintf(err, errlen,
				 "the server's wal_level is \"%s\"; logical decoding needs \"logical\"\n"
				 "self-managed: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL.  "
				 "RDS/Aurora: set rds.logical_replication = 1 in the DB parameter group and reboot",
				 v);
		return -1;
	}
	return 0;
}

/* Whether a slot walcap creates now is a failover slot. */
static int
use_failover(const struct source *s, const struct config *c)
{
	return c->slot_failover && s->server_version >= 170000 && !s->in_recovery;
}

/* The SQL that creates the slot as walcap would, and drops it, for hints. */
static void
create_sql(struct buf *b, const struct source *s, const struct config *c)
{
	admin_create_slot_sql(b, c->slot_name, use_failover(s, c));
	buf_putc(b, ';');
}

static int
check_slot(struct source *s, const struct config *c, int tolerate, int *fatal,
		   char *err, size_t errlen)
{
	struct admin_slot slot;
	struct buf	create, drop;
	int			rc = -1;

	if (admin_slot_read(s->conn, c->slot_name, 0, &slot, err, errlen) != 0)
	{
		pgconn_error(s->conn, err, errlen);
		return -1;
	}
	buf_init(&create, 0);
	buf_init(&drop, 0);
	create_sql(&create, s, c);
	admin_drop_slot_sql(&drop, c->slot_name);
	if (buf_failed(&create) || buf_failed(&drop))
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	*fatal = 1;
	s->slot_failover = slot.failover;
	if (tolerate && !slot.found)
	{
		s->slot_missing = 1;
		*fatal = 0;
		rc = 0;
	}
	else if (tolerate && strcmp(slot.wal_status, "lost") == 0 &&
			 strcmp(slot.plugin, "pgoutput") == 0 &&
			 strcmp(slot.database, c->dbname) == 0)
	{
		s->slot_lost = 1;
		*fatal = 0;
		rc = 0;
	}
	else if (!slot.found)
		snprintf(err, errlen,
				 "replication slot \"%s\" does not exist\n"
				 "create it as the setup guide does: %s  "
				 "(walcap creates it itself when it has no offset file yet, or with snapshot.mode=when_needed)",
				 c->slot_name, create.data);
	else if (strcmp(slot.slot_type, "logical") != 0)
		snprintf(err, errlen,
				 "replication slot \"%s\" is a %s slot, not a logical one\n"
				 "use another slot.name, or drop it and create it with: %s",
				 c->slot_name, slot.slot_type, create.data);
	else if (strcmp(slot.plugin, "pgoutput") != 0)
		snprintf(err, errlen,
				 "replication slot \"%s\" uses the output plugin \"%s\"; walcap reads pgoutput\n"
				 "drop it and create it again: %s; %s",
				 c->slot_name, slot.plugin, drop.data, create.data);
	else if (strcmp(slot.database, c->dbname) != 0)
		snprintf(err, errlen,
				 "replication slot \"%s\" belongs to database \"%s\", not \"%s\"\n"
				 "set database.dbname to the slot's database, or create a slot in this one",
				 c->slot_name, slot.database, c->dbname);
	else if (strcmp(slot.wal_status, "lost") == 0)
		snprintf(err, errlen,
				 "replication slot \"%s\" has been invalidated (wal_status = lost): the WAL it needed was removed, so changes were missed\n"
				 "set snapshot.mode=when_needed to have walcap recreate it and snapshot the tables again, or drop and recreate it yourself and take a new snapshot",
				 c->slot_name);
	else
	{
		*fatal = 0;
		rc = 0;
	}
done:
	buf_free(&create);
	buf_free(&drop);
	return rc;
}

static int
check_publication(struct source *s, const struct config *c, int *fatal,
				  char *err, size_t errlen)
{
	struct buf	sql, create, ident;
	char		v[8];
	int			rc;

	/* two flags: publish_via_partition_root (13+) and FOR ALL TABLES */
	buf_init(&sql, 0);
	buf_printf(&sql,
			   "SELECT CASE WHEN %s THEN 'r' ELSE '-' END || CASE WHEN puballtables THEN 'a' ELSE '-' END "
			   "FROM pg_publication WHERE pubname = ",
			   s->server_version >= 130000 ? "pubviaroot" : "false");
	pgconn_quote_literal(&sql, c->publication_name);
	if (buf_failed(&sql))
	{
		buf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = pgconn_value(s->conn, sql.data, v, sizeof(v), err, errlen);
	buf_free(&sql);
	if (rc == 1)
	{
		s->pub_via_root = v[0] == 'r';
		s->pub_all_tables = v[1] == 'a';
	}
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	*fatal = 1;
	buf_init(&create, 0);
	buf_init(&ident, 0);
	admin_publication_sql(&create, c->publication_name, NULL, 0, NULL, 0);
	pgconn_quote_ident(&ident, c->publication_name);
	snprintf(err, errlen,
			 "publication \"%s\" does not exist in database \"%s\"\n"
			 "create it as the setup guide does: %s;  "
			 "(or FOR TABLE <tables>, then ALTER PUBLICATION %s ADD TABLE %s.streamkap_signal;)",
			 c->publication_name, c->dbname, buf_failed(&create) ? "CREATE PUBLICATION" : create.data,
			 buf_failed(&ident) ? c->publication_name : ident.data, c->signal_schema);
	buf_free(&create);
	buf_free(&ident);
	return -1;
}

/*
 * ha.enabled: 0 if this session now holds the slot's lock, 1 if another
 * one does (s->holder says which), -1 on error.  The replication
 * protocol takes SQL on a logical replication connection (10+).
 */
static int
take_ha_lock(struct source *s, const struct config *c, char *err, size_t errlen)
{
	int32_t		key = config_ha_lock_key(c->slot_name);
	char		sql[512];
	PGresult   *res;
	int			got;

	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d, %d), pg_backend_pid()",
			 CONFIG_HA_LOCK_CLASS, (int) key);
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 2)
	{
		char		msg[512];

		pgconn_error(s->conn, msg, sizeof(msg));
		snprintf(err, errlen, "could not take the ha.enabled lock of slot \"%s\": %s",
				 c->slot_name, msg);
		PQclear(res);
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	s->backend_pid = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (got)
		return 0;
	snprintf(s->holder, sizeof(s->holder), "another session");
	snprintf(sql, sizeof(sql),
			 "SELECT l.pid, coalesce(host(a.client_addr), 'a local socket') "
			 "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
			 "WHERE l.locktype = 'advisory' AND l.classid = %d AND l.objid = %d "
			 "AND l.objsubid = 2 AND l.granted",
			 CONFIG_HA_LOCK_CLASS, (int) key);
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		snprintf(s->holder, sizeof(s->holder), "PostgreSQL backend %s, client %s",
				 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	return 1;
}

int
source_open(struct source *s, const struct config *c, int tolerate_slot,
			int *fatal, char *err, size_t errlen)
{
	PGresult   *res;
	char		v[64];
	struct source_feedback fb = s->fb;
	int			text_only = s->text_only;

	memset(s, 0, sizeof(*s));
	s->fb = fb;					/* the schedule outlives a connection */
	s->text_only = text_only;	/* and so does the caller's choice */
	*fatal = 0;
	s->conn = pgconn_connect(c, 1, err, errlen);
	if (s->conn == NULL)
	{
		/* a refused login will not succeed by retrying */
		*fatal = strstr(err, "authentication failed") != NULL ||
			strstr(err, "does not exist") != NULL ||
			strstr(err, "no pg_hba.conf entry") != NULL ||
			strstr(err, "pg_hba.conf rejects connection") != NULL ||
			strstr(err, "replication role") != NULL ||
			strstr(err, "certificate verify failed") != NULL ||
			strstr(err, "does not match host name") != NULL ||
			strstr(err, "SSH host key") != NULL ||
			strstr(err, "the SSH tunnel: ssh.") != NULL ||
			strstr(err, "ssh.known.hosts.file") != NULL;
		return -1;
	}
	s->server_version = PQserverVersion(s->conn);
	if (s->server_version < 100000)
	{
		*fatal = 1;
		snprintf(err, errlen, "PostgreSQL %d is too old: walcap needs 10 or later (pgoutput)",
				 s->server_version / 10000);
		return -1;
	}

	res = PQexec(s->conn, "IDENTIFY_SYSTEM");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		PQnfields(res) < 4)
	{
		pgconn_error(s->conn, err, errlen);
		PQclear(res);
		return -1;
	}
	snprintf(s->systemid, sizeof(s->systemid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	if (c->ha_enabled)
	{
		int			rc = take_ha_lock(s, c, err, errlen);

		if (rc != 0)
			return rc;
	}

	/* a standby refuses failover slots: it only keeps synchronized copies */
	if (c->slot_failover && s->server_version >= 170000)
	{
		if (pgconn_value(s->conn, "SELECT pg_is_in_recovery()", v, sizeof(v), err, errlen) != 1)
			return -1;
		s->in_recovery = strcmp(v, "t") == 0;
	}

	if (check_wal_level(s, fatal, err, errlen) != 0 ||
		check_slot(s, c, tolerate_slot, fatal, err, errlen) != 0 ||
		check_publication(s, c, fatal, err, errlen) != 0)
		return -1;

	if (pgconn_value(s->conn,
					 "SELECT setting FROM pg_settings WHERE name = 'wal_sender_timeout'",
					 v, sizeof(v), err, errlen) == 1)
		s->sender_timeout_ms = strtoll(v, NULL, 10);
	return 0;
}

int
source_create_slot(struct source *s, const struct config *c, int drop,
				   uint64_t *consistent, char *snapname, size_t snaplen,
				   char *err, size_t errlen)
{
	struct buf	sql;
	PGresult   *res;
	int			rc = -1;

	buf_init(&sql, 0);
	if (drop)
	{
		admin_drop_slot_cmd(&sql, c->slot_name);
		res = buf_failed(&sql) ? NULL : PQexec(s->conn, sql.data);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			char		msg[512];

			pgconn_error(s->conn, msg, sizeof(msg));
			snprintf(err, errlen, "could not drop the invalidated slot \"%s\": %s", c->slot_name, msg);
			PQclear(res);
			goto done;
		}
		PQclear(res);
		buf_reset(&sql);
	}
	admin_create_slot_cmd(&sql, c->slot_name, use_failover(s, c));
	res = buf_failed(&sql) ? NULL : PQexec(s->conn, sql.data);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 4)
	{
		char		msg[512];

		pgconn_error(s->conn, msg, sizeof(msg));
		snprintf(err, errlen, "could not create replication slot \"%s\": %s%s", c->slot_name, msg,
				 strstr(msg, "permission") ? "\nthe connector user needs REPLICATION (RDS: rds_replication)" :
				 strstr(msg, "all replication slots are in use") ?
				 "\nraise max_replication_slots, or drop an unused slot" : "");
		PQclear(res);
		goto done;
	}
	if (lsn_parse(PQgetvalue(res, 0, 1), consistent) != 0)
	{
		snprintf(err, errlen, "CREATE_REPLICATION_SLOT returned a bad position \"%s\"",
				 PQgetvalue(res, 0, 1));
		PQclear(res);
		goto done;
	}
	snprintf(snapname, snaplen, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	s->slot_failover = use_failover(s, c);
	rc = 0;
done:
	buf_free(&sql);
	return rc;
}

const char *
source_failover_unsupported(const struct source *s, const struct config *c,
							char *buf, size_t len)
{
	if (!c->slot_failover)
		return NULL;
	if (s->server_version < 170000)
		snprintf(buf, len, "PostgreSQL %d has no failover slots (they exist from PostgreSQL 17 on)",
				 s->server_version / 10000);
	else if (s->in_recovery)
		snprintf(buf, len, "the server is a standby, where PostgreSQL %d refuses failover slots (only the primary's slots fail over)",
				 s->server_version / 10000);
	else
		return NULL;
	return buf;
}

int
source_set_failover(struct source *s, const struct config *c, char *err, size_t errlen)
{
	struct buf	sql;
	PGresult   *res;
	int			rc = -1;

	if (!use_failover(s, c) || s->slot_failover || s->slot_missing || s->slot_lost)
		return 0;
	buf_init(&sql, 0);
	admin_alter_slot_failover_cmd(&sql, c->slot_name);
	res = buf_failed(&sql) ? NULL : PQexec(s->conn, sql.data);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		s->slot_failover = 1;
		rc = 1;
	}
	else
		pgconn_result_error(s->conn, res, err, errlen);
	PQclear(res);
	buf_free(&sql);
	return rc;
}

int
source_start(struct source *s, const struct config *c, uint64_t start,
			 char *err, size_t errlen)
{
	struct buf	sql, pub;
	PGresult   *res;
	int			rc = -1;

	buf_init(&sql, 0);
	buf_init(&pub, 0);
	/* publication_names is a list of identifiers, given as one string */
	pgconn_quote_ident(&pub, c->publication_name);
	/*
	 * The highest protocol version the server speaks (1 before 14, then 2
	 * streaming, 3 two-phase, 4 parallel streaming; walcap asks for
	 * neither of the last two); messages, binary mode (binary.format) and
	 * streaming of large transactions (streaming, stream.h) from 14 on,
	 * where pgoutput has them.
	 */
	s->binary = c->binary_format != CONFIG_BINARY_OFF && !s->text_only &&
		s->server_version >= 140000;
	s->streaming = c->streaming && s->server_version >= 140000;
	buf_lit(&sql, "START_REPLICATION SLOT ");
	pgconn_quote_ident(&sql, c->slot_name);
	buf_printf(&sql, " LOGICAL " LSN_FMT " (proto_version '%d', publication_names ",
			   LSN_ARGS(start),
			   s->server_version >= 160000 ? 4 : s->server_version >= 150000 ? 3 :
			   s->server_version >= 140000 ? 2 : 1);
	pgconn_quote_literal(&sql, buf_failed(&pub) ? "" : pub.data);
	if (s->server_version >= 140000)
		buf_lit(&sql, ", messages 'true'");
	if (s->binary)
		buf_lit(&sql, ", binary 'true'");
	buf_puts(&sql, s->streaming ? ", streaming 'on')" : ")");
	if (buf_failed(&sql) || buf_failed(&pub))
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	res = PQexec(s->conn, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_BOTH)
	{
		char		msg[512];

		pgconn_error(s->conn, msg, sizeof(msg));
		snprintf(err, errlen, "could not start replication from slot \"%s\": %s%s",
				 c->slot_name, msg,
				 strstr(msg, "is active") ?
				 "\nanother client is reading this slot; stop it, or give walcap its own slot.name" : "");
	}
	else
		rc = 0;
	PQclear(res);
done:
	buf_free(&sql);
	buf_free(&pub);
	return rc;
}

/*
 * XLogData:  Byte1 'w', Int64 data start, Int64 WAL end, Int64 send time,
 *            Byte[n] data
 * Keepalive: Byte1 'k', Int64 WAL end, Int64 send time, Byte1 reply now
 */
int
source_read(struct source *s, struct source_msg *msg, char *err, size_t errlen)
{
	struct wire_reader r;
	int			n;

	if (s->copybuf)
	{
		PQfreemem(s->copybuf);
		s->copybuf = NULL;
	}
	n = PQgetCopyData(s->conn, &s->copybuf, 1);
	if (n == 0)
		return SOURCE_NONE;
	if (n == -1)
	{
		PGresult   *res = PQgetResult(s->conn);

		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			snprintf(err, errlen, "the server ended the replication stream");
		else
			pgconn_error(s->conn, err, errlen);
		PQclear(res);
		return SOURCE_END;
	}
	if (n < 0)
	{
		pgconn_error(s->conn, err, errlen);
		return SOURCE_ERROR;
	}

	wire_init(&r, s->copybuf, (size_t) n);
	msg->kind = (char) wire_u8(&r);
	switch (msg->kind)
	{
		case 'w':
			msg->wal_start = wire_u64(&r);
			msg->wal_end = wire_u64(&r);
			(void) wire_u64(&r);	/* send time */
			msg->reply = 0;
			msg->len = wire_remaining(&r);
			msg->data = wire_bytes(&r, msg->len);
			break;
		case 'k':
			msg->wal_end = wire_u64(&r);
			(void) wire_u64(&r);
			msg->reply = wire_u8(&r);
			msg->wal_start = 0;
			msg->data = NULL;
			msg->len = 0;
			if (!wire_end(&r))
				r.err = 1;
			break;
		default:
			snprintf(err, errlen, "unexpected replication message type 0x%02x",
					 (unsigned char) msg->kind);
			return SOURCE_ERROR;
	}
	if (!wire_ok(&r) || (msg->kind == 'w' && msg->len == 0))
	{
		snprintf(err, errlen, "malformed replication message '%c' of %d bytes",
				 msg->kind, n);
		return SOURCE_ERROR;
	}
	return SOURCE_MSG;
}

/* Bytes the kernel holds unread on the replication socket (0 if unknown). */
static int
input_waiting(struct source *s)
{
	int			n = 0;

	return ioctl(PQsocket(s->conn), FIONREAD, &n) == 0 ? n : 0;
}

/*
 * While a backlog streams in, the server sends one message per send();
 * when walcap is faster than the server, every read finds only the few
 * messages sent since the last one, and pays a syscall and the kernel's
 * per-read work for them (600,000 changes took 290,000 reads, two
 * messages each).  So when the last refill brought less than
 * DRAINED_BYTES and less than that waits in the socket now, pause a
 * moment and let messages gather: at most DRAINED_PAUSE_US of delay, far
 * less than the socket holds, so the server never waits for it (the
 * same changes then took 9,600 reads, and walcap 35% less CPU).  When
 * walcap is behind, reads come back full or much waits, and it never
 * pauses.
 *
 * Over TLS (or GSSAPI encryption) one PQconsumeInput takes one record,
 * often one message, however much waits; so a refill there reads on
 * while the socket holds more (up to TLS_READS records), or the pause
 * would come after every record (15 times slower, measured).
 */
#define DRAINED_BYTES 8192
#define DRAINED_PAUSE_US 100
#define TLS_READS 16

int
source_refill(struct source *s, unsigned nmsgs, size_t nbytes, char *err, size_t errlen)
{
	int			reads = PQsslInUse(s->conn) || PQgssEncInUse(s->conn) ? TLS_READS : 1;

	if (nmsgs > 0 && nbytes < DRAINED_BYTES && input_waiting(s) < DRAINED_BYTES)
	{
		struct timespec pause = {0, DRAINED_PAUSE_US * 1000};

		nanosleep(&pause, NULL);
	}
	do
	{
		if (PQconsumeInput(s->conn) == 0)
		{
			pgconn_error(s->conn, err, errlen);
			return -1;
		}
	} while (--reads > 0 && input_waiting(s) > 0);
	return 0;
}

/* source_wait(), also ending when also_fd (-1: none) is ready for also_events. */
static int
wait_also(struct source *s, int timeout_ms, int also_fd, short also_events,
		  char *err, size_t errlen)
{
	struct pollfd p[2];
	int			rc;

	p[0].fd = PQsocket(s->conn);
	p[0].events = POLLIN;
	p[0].revents = 0;
	p[1].fd = also_fd;
	p[1].events = also_events;
	p[1].revents = 0;
	if (p[0].fd < 0)
	{
		snprintf(err, errlen, "the replication connection has no socket");
		return -1;
	}
	rc = poll(p, also_fd >= 0 ? 2 : 1, timeout_ms);
	if (rc < 0)
	{
		if (errno == EINTR)
			return 0;
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	if (rc == 0 || p[0].revents == 0)
		return 0;
	if (PQconsumeInput(s->conn) == 0)
	{
		pgconn_error(s->conn, err, errlen);
		return -1;
	}
	return 1;
}

int
source_wait(struct source *s, int timeout_ms, char *err, size_t errlen)
{
	return wait_also(s, timeout_ms, -1, 0, err, errlen);
}

int
source_status(struct source *s, uint64_t write_lsn, uint64_t flush_lsn,
			  int reply, char *err, size_t errlen)
{
	unsigned char m[34];
	int64_t		now = source_now_us() - PG_EPOCH_OFFSET_US;
	uint64_t	v[4] = {write_lsn, flush_lsn, flush_lsn, (uint64_t) now};

	m[0] = 'r';
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++)
			m[1 + i * 8 + b] = (unsigned char) (v[i] >> (56 - 8 * b));
	m[33] = reply ? 1 : 0;		/* the server answers with a keepalive */
	if (PQputCopyData(s->conn, (const char *) m, sizeof(m)) <= 0 ||
		PQflush(s->conn) != 0)
	{
		pgconn_error(s->conn, err, errlen);
		return -1;
	}
	return 0;
}

void
source_close(struct source *s, int graceful)
{
	if (s->copybuf)
	{
		PQfreemem(s->copybuf);
		s->copybuf = NULL;
	}
	if (s->conn == NULL)
		return;
	if (graceful && PQputCopyEnd(s->conn, NULL) == 1 && PQflush(s->conn) == 0)
	{
		/* drain until the server ends COPY; give up after a few seconds */
		int64_t		deadline = source_now_us() + 5000000;
		char	   *buf;
		PGresult   *res;

		for (;;)
		{
			int			n = PQgetCopyData(s->conn, &buf, 1);

			if (n > 0)
			{
				PQfreemem(buf);
				continue;
			}
			if (n < 0)
				break;
			if (source_now_us() > deadline)
				break;
			{
				struct pollfd p = {PQsocket(s->conn), POLLIN, 0};

				if (poll(&p, 1, 100) < 0 && errno != EINTR)
					break;
			}
			if (PQconsumeInput(s->conn) == 0)
				break;
		}
		/*
		 * The command's results, without blocking: a server before 13 may
		 * answer CopyDone only when more WAL arrives, and PQgetResult()
		 * would wait for that without a limit.
		 */
		while (source_now_us() <= deadline)
		{
			if (PQisBusy(s->conn))
			{
				struct pollfd p = {PQsocket(s->conn), POLLIN, 0};

				if (poll(&p, 1, 100) < 0 && errno != EINTR)
					break;
				if (PQconsumeInput(s->conn) == 0)
					break;
				continue;
			}
			if ((res = PQgetResult(s->conn)) == NULL)
				break;
			if (PQresultStatus(res) == PGRES_FATAL_ERROR)
				log_warning("while ending replication: %s",
							PQresultErrorMessage(res));
			PQclear(res);
		}
	}
	PQfinish(s->conn);
	s->conn = NULL;
}

void
source_streaming_begin(struct source *s, const struct config *c)
{
	struct source_feedback *fb = &s->fb;

	fb->interval_us = c->status_interval_ms * 1000;
	if (s->sender_timeout_ms > 0 && s->sender_timeout_ms * 500 < fb->interval_us)
		fb->interval_us = s->sender_timeout_ms * 500;
	fb->receive_timeout_ms = c->receive_timeout_ms;
	fb->next_us = mono_us() + fb->interval_us;
	fb->streaming = 1;
	fb->quiet_us = 0;
	fb->pinged = 0;
}

int
source_confirm(struct source *s, uint64_t flush, int reply, char *err, size_t errlen)
{
	if (flush > s->fb.confirmed)
		s->fb.confirmed = flush;
	return source_status(s, flush, flush, reply, err, errlen);
}

int
source_report(struct source *s, uint64_t flush, char *err, size_t errlen)
{
	if (source_confirm(s, flush, 0, err, errlen) != 0)
		return -1;
	s->fb.reply_now = 0;
	s->fb.next_us = mono_us() + s->fb.interval_us;
	return 0;
}

/* The flush position source_keep_alive and the silence check report. */
static uint64_t
keep_alive_flush(const struct source *s)
{
	return s->fb.flush > s->fb.confirmed ? s->fb.flush : s->fb.confirmed;
}

/*
 * The connection has been silent for fb.quiet_us: past half of
 * connect.receive.timeout.ms ask the server for a reply, past all of it
 * the connection counts as dead: -1 with err set.  0 otherwise, and
 * always when the timeout is 0.
 */
static int
check_silence(struct source *s, char *err, size_t errlen)
{
	struct source_feedback *fb = &s->fb;
	int64_t		limit = fb->receive_timeout_ms * 1000;

	if (limit <= 0)
		return 0;
	if (fb->quiet_us >= limit)
	{
		snprintf(err, errlen, "no message from the server in %lld ms, not even an answer to a keepalive request (connect.receive.timeout.ms): the network path or the server went silent",
				 (long long) fb->receive_timeout_ms);
		return -1;
	}
	if (fb->quiet_us >= limit / 2 && !fb->pinged)
	{
		if (source_confirm(s, keep_alive_flush(s), 1, err, errlen) != 0)
			return -1;
		fb->pinged = 1;
	}
	return 0;
}

int
source_keep_alive(void *arg)
{
	struct source *s = arg;
	struct source_feedback *fb = &s->fb;
	char		err[256];
	int64_t		now = mono_us();
	int64_t		step = now - fb->tick_us;

	fb->tick_us = now;
	if (!fb->streaming)
		return 0;
	if (fb->reply_now || now >= fb->next_us)
	{
		if (source_confirm(s, keep_alive_flush(s), 0, err, sizeof(err)) != 0)
			return 1;
		fb->reply_now = 0;
		fb->next_us = now + fb->interval_us;
	}
	if (fb->receive_timeout_ms > 0)
	{
		struct pollfd p = {PQsocket(s->conn), POLLIN, 0};

		if (poll(&p, 1, 0) != 0)
		{
			source_heard(s);	/* input (or an error) waits: not silent */
			return 0;
		}
		/* calls come every 100 ms or so; a longer gap is another wait */
		fb->quiet_us += step > 0 && step < 200000 ? step : 100000;
	}
	return check_silence(s, err, sizeof(err)) != 0;
}

int
source_wait_input(struct source *s, int timeout_ms, int also_fd, short also_events,
				  char *err, size_t errlen)
{
	struct source_feedback *fb = &s->fb;
	int64_t		limit = fb->receive_timeout_ms * 1000;
	int64_t		t0;
	int			rc;

	if (check_silence(s, err, errlen) != 0)
		return -1;
	if (limit > 0)
	{
		int64_t		left = ((fb->pinged ? limit : limit / 2) - fb->quiet_us) / 1000 + 1;

		if (timeout_ms > left)
			timeout_ms = (int) left;
	}
	t0 = mono_us();
	rc = wait_also(s, timeout_ms, also_fd, also_events, err, errlen);
	if (rc == 0)
		fb->quiet_us += mono_us() - t0;
	else if (rc > 0)
		source_heard(s);
	return rc;
}

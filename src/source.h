/*
 * source.h — the replication session: checks before streaming,
 * START_REPLICATION, the CopyBoth framing of XLogData ('w') and primary
 * keepalive ('k') messages, and standby status updates ('r').
 *
 * Reading never blocks: source_read() returns what libpq has already
 * buffered, source_wait() sleeps on the socket with a deadline, so the
 * caller can flush its sink and send status updates on time.
 *
 * Status updates go on a deadline, not per message: at least every
 * status.update.interval.ms (or half the server's wal_sender_timeout if
 * that is shorter), at once when the server asks, also while a query on
 * another connection waits (source_keep_alive, the pgconn_wait_fn every
 * such query is given).  A connection that stays silent for
 * connect.receive.timeout.ms, even when asked for a reply, is taken for
 * dead.  The flush position to report comes from the caller: with each
 * report (source_report, source_confirm), and for source_keep_alive
 * ahead of time (source_set_flush).
 *
 * Lifetime: a struct source_msg points into the buffer PQgetCopyData
 * returned; it is valid until the next source_read() or source_close().
 */
#ifndef WALCAP_SOURCE_H
#define WALCAP_SOURCE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The status updates' schedule and the connection's silence.  It
 * outlives a connection: source_open() keeps it, so a reply the server
 * asked for before a reconnect is still sent.
 */
struct source_feedback
{
	int			streaming;		/* a session streams: status updates go out */
	int			reply_now;		/* the server asked for a status update */
	int64_t		interval_us;	/* between status updates */
	int64_t		next_us;		/* the next status update is due */
	int64_t		receive_timeout_ms;	/* connect.receive.timeout.ms, 0 = off */
	int64_t		quiet_us;		/* time waited on the socket with no input */
	int			pinged;			/* asked the server for a reply meanwhile */
	int64_t		tick_us;		/* source_keep_alive's last call */
	uint64_t	flush;			/* what source_keep_alive reports (source_set_flush) */
	uint64_t	confirmed;		/* the highest flush position sent */
};

struct source
{
	PGconn	   *conn;
	char	   *copybuf;		/* last PQgetCopyData buffer, ours to free */
	char		systemid[32];	/* IDENTIFY_SYSTEM */
	int			server_version;
	int64_t		sender_timeout_ms;	/* the server's wal_sender_timeout, 0 = off */
	int			slot_missing;	/* source_open(tolerate_slot): no such slot */
	int			slot_lost;		/* ... or it is invalidated (wal_status lost) */
	int			pub_via_root;	/* the publication has publish_via_partition_root */
	int			pub_all_tables;	/* ... and is FOR ALL TABLES */
	int			slot_failover;	/* the slot is a failover slot (17+) */
	int			binary;			/* this session streams in binary (source_start) */
	int			streaming;		/* ... and large transactions before they commit */
	int			text_only;		/* the caller's: stream the next sessions in text */
	int			in_recovery;	/* the server is a standby (read only with
								 * slot.failover=true on 17+) */
	/* ha.enabled: the advisory lock (config.h) lives in this session */
	int			backend_pid;	/* the walsender's pid: the lock's holder */
	char		holder[160];	/* source_open returned 1: who holds it */
	struct source_feedback fb;	/* status updates, silence (see above) */
};

struct source_msg
{
	char		kind;			/* 'w' XLogData or 'k' keepalive */
	uint64_t	wal_start;		/* 'w': LSN of the data */
	uint64_t	wal_end;		/* server's WAL end ('k': sent up to) */
	int			reply;			/* 'k': the server asks for a status update now */
	const char *data;			/* 'w': the pgoutput message */
	size_t		len;
};

/* Result codes of source_read(). */
#define SOURCE_MSG		1		/* *msg filled */
#define SOURCE_NONE		0		/* nothing complete buffered */
#define SOURCE_ERROR	(-1)	/* err set; the connection is lost or broken */
#define SOURCE_END		(-2)	/* the server ended the stream */

/*
 * Connect as a replication connection, identify the system and check
 * everything START_REPLICATION needs: server version, wal_level, the
 * slot (exists, logical, pgoutput, this database, not invalidated) and
 * the publication.  With tolerate_slot, a missing or invalidated slot
 * is not a failure but sets slot_missing or slot_lost, for the caller
 * to create it.  On failure returns -1 with the cause, and after a
 * newline the fix, in err; *fatal is set when retrying cannot help
 * (misconfiguration rather than an unreachable server).
 *
 * With ha.enabled it first takes the slot's advisory lock on this
 * connection (it is held until the connection ends, so a walcap that
 * dies or is cut off loses it with its walsender), and returns 1
 * without checking anything else when another session holds it:
 * holder then names that session; close the connection and try again.
 */
int			source_open(struct source *s, const struct config *c, int tolerate_slot,
						int *fatal, char *err, size_t errlen);

/*
 * Create the slot (pgoutput) on this connection, dropping an
 * invalidated one of the same name first when drop is set, and export
 * its snapshot: *consistent is where streaming from it starts, snapname
 * names a snapshot of the database at exactly that point, valid until
 * the next command on this connection.  With slot.failover=true it is
 * created as a failover slot where the server has them (see
 * source_failover_unsupported; elsewhere an ordinary slot, as Debezium
 * does).  0, or -1 with err set.
 */
int			source_create_slot(struct source *s, const struct config *c, int drop,
							   uint64_t *consistent, char *snapname, size_t snaplen,
							   char *err, size_t errlen);

/*
 * Why slot.failover=true cannot take effect on this server: "PostgreSQL
 * 16 has no failover slots ..." below 17, or that it is a standby (the
 * server refuses failover slots there); NULL when it can, or when the
 * key is false.  The text names the server's version and has no
 * trailing newline.
 */
const char *source_failover_unsupported(const struct source *s, const struct config *c,
										char *buf, size_t len);

/*
 * With slot.failover=true, make the existing slot a failover slot
 * (ALTER_REPLICATION_SLOT ... (FAILOVER true), PostgreSQL 17+, on a
 * primary, before START_REPLICATION: the slot must not be in use).
 * Returns 1 if it was changed, 0 if there was nothing to do (the key is
 * false, the slot is one already, or the server cannot), -1 with the
 * server's message in err.
 */
int			source_set_failover(struct source *s, const struct config *c,
								char *err, size_t errlen);

/* START_REPLICATION from start (0 = the slot's confirmed position). */
int			source_start(struct source *s, const struct config *c,
						 uint64_t start, char *err, size_t errlen);

int			source_read(struct source *s, struct source_msg *msg,
						char *err, size_t errlen);

/*
 * Take what the socket holds into libpq's buffer, without waiting; nmsgs
 * and nbytes are what the previous refill brought, and when that was a
 * trickle (and only a trickle waits) the read waits a moment (at most
 * 100 µs) for more to gather.  0, or -1 with err set if the connection
 * is lost.
 */
int			source_refill(struct source *s, unsigned nmsgs, size_t nbytes,
						  char *err, size_t errlen);

/*
 * Wait up to timeout_ms for the socket to become readable, then read
 * what arrived into libpq's buffer.  Returns 1 if input arrived, 0 if
 * not (timeout or a signal), -1 on error (err set).
 */
int			source_wait(struct source *s, int timeout_ms, char *err, size_t errlen);

/*
 * Send a standby status update: written/flushed positions.  With reply
 * set the server answers at once with a keepalive carrying how far it
 * has sent WAL, even when it has nothing to send.
 */
int			source_status(struct source *s, uint64_t write_lsn, uint64_t flush_lsn,
						  int reply, char *err, size_t errlen);

/*
 * End the session.  With graceful set, send CopyDone and read what the
 * server still sends until it ends the stream (bounded), so the final
 * status update is processed; then close.
 */
void		source_close(struct source *s, int graceful);

/*
 * A session starts streaming (after source_start): status updates are
 * due every status.update.interval.ms, or half the server's
 * wal_sender_timeout if shorter, and the silence is counted from now.
 */
void		source_streaming_begin(struct source *s, const struct config *c);

/* The session is over: no status update goes out until the next begins. */
static inline void
source_streaming_end(struct source *s)
{
	s->fb.streaming = 0;
}

static inline int
source_streaming(const struct source *s)
{
	return s->fb.streaming;
}

/* The flush position source_keep_alive() reports, should it need to. */
static inline void
source_set_flush(struct source *s, uint64_t lsn)
{
	s->fb.flush = lsn;
}

/* The highest flush position sent so far, by whichever call. */
static inline uint64_t
source_confirmed(const struct source *s)
{
	return s->fb.confirmed;
}

/* Forget the positions sent and set: a new slot starts over (ack_restart). */
static inline void
source_forget_confirmed(struct source *s)
{
	s->fb.confirmed = 0;
	s->fb.flush = 0;
}

/* A message arrived: the connection is not silent. */
static inline void
source_heard(struct source *s)
{
	s->fb.quiet_us = 0;
	s->fb.pinged = 0;
}

/* The server asked for a status update (a keepalive's reply flag). */
static inline void
source_reply_requested(struct source *s)
{
	s->fb.reply_now = 1;
}

/* When the next status update is due (mono_us() time). */
static inline int64_t
source_next_status_us(const struct source *s)
{
	return s->fb.next_us;
}

/* Whether a status update is due at now_us (or the server asked for one). */
static inline int
source_status_due(const struct source *s, int64_t now_us)
{
	return s->fb.reply_now || now_us >= s->fb.next_us;
}

/*
 * Send flush as both written and flushed position now; with reply set,
 * ask the server to answer at once.  0, or -1 with err set.
 */
int			source_confirm(struct source *s, uint64_t flush, int reply,
						   char *err, size_t errlen);

/* The scheduled status update: source_confirm, and the next one is due an interval on. */
int			source_report(struct source *s, uint64_t flush, char *err, size_t errlen);

/*
 * The pgconn_wait_fn for queries on other connections (arg: the struct
 * source): while streaming, a status update when one is due, reporting
 * the position last given to source_set_flush(), so that
 * wal_sender_timeout cannot expire; and the replication connection's
 * silence counted as source_wait_input() counts it, without reading it
 * (whatever waits there is read afterwards).  Returns 1 to abandon the
 * query when the connection failed or counts as dead, else 0.
 */
int			source_keep_alive(void *arg);

/*
 * source_wait() for up to timeout_ms, adding up the time that passes
 * without input.  Past half of connect.receive.timeout.ms the server is
 * asked for a reply (reporting the source_set_flush() position; it
 * answers even with wal_sender_timeout = 0); past all of it the
 * connection counts as dead: a network path that went silent, which TCP
 * alone may not notice for a long time.  Only waits count, so a blocked
 * sink or a long snapshot query is never taken for a dead server.
 * The wait also ends, returning 0, when also_fd (-1: none) is ready for
 * also_events: a sink the loop drives (sink.h) has answers to take.
 * Returns as source_wait, and -1 with err set when that time is up.
 */
int			source_wait_input(struct source *s, int timeout_ms, int also_fd,
							  short also_events, char *err, size_t errlen);

/* Microseconds since the Unix epoch, and since PostgreSQL's (2000-01-01). */
int64_t		source_now_us(void);

#endif

/*
 * sink_redis_int.h — what the Redis sink's two files share: sink_redis.c
 * (the sink: records into commands, Redis's answers, the session's setup
 * commands) and sink_redis_conn.c (the connection to Redis: connecting,
 * TLS, reading and writing, losing it).  sink.h (sink_redis_check,
 * sink_redis_open) and redis.h are the contract for everyone else.
 */
#ifndef WALCAP_SINK_REDIS_INT_H
#define WALCAP_SINK_REDIS_INT_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/read.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "config.h"
#include "redis.h"

/* the longest error answer kept */
#define ANSWER_MAX 512

enum conn_state
{
	ST_DOWN,					/* no connection: the next attempt at retry_at_us */
	ST_CONNECTING,				/* TCP connect() in progress */
	ST_HANDSHAKE,				/* TLS handshake in progress */
	ST_READY,					/* sending; setup_pending answers to AUTH/SELECT/PING first */
};

struct rsink
{
	/* configuration */
	const char *address;		/* sink.redis.address, for messages (the config's) */
	const char *host;
	int			port;
	char	   *user;			/* NULL: AUTH without a user name */
	char	   *password;		/* NULL: no AUTH; wiped on free */
	int64_t		db;
	int			extended;		/* message.format=extended */
	const char *null_key;
	const char *null_value;
	size_t		null_key_len, null_value_len;
	uint64_t	max_cmds;		/* sink.redis.batch.size */
	int64_t		retry_initial_ms, retry_max_ms;
	int64_t		connect_ms, socket_ms;
	int64_t		keepalive_idle_s, keepalive_interval_s, keepalive_count;
	SSL_CTX    *ctx;			/* TLS: NULL for a plain connection */

	/* the connection */
	enum conn_state st;
	int			sock;
	SSL		   *ssl;
	int			want_out;		/* the last I/O wants the socket writable */
	struct addrinfo *addrs;		/* the host's addresses, this attempt */
	struct addrinfo *addr;		/* ... the one being tried */
	int64_t		deadline_us;	/* connecting must be done by then */
	int64_t		rx_us;			/* last answer bytes read, or when one was first awaited */
	int			established;	/* the setup commands were all answered */
	int			was_lost;		/* a connection was established and lost */
	int			attempts;		/* failed attempts in a row */
	uint64_t	resend;			/* unanswered commands when this connection began */
	int64_t		backoff_ms;		/* the next pause */
	int64_t		retry_at_us;
	int			timer;			/* timerfd: the sink's fd while ST_DOWN */
	redisReader *reader;
	redisReplyObjectFunctions reader_fns;
	struct buf	setup;			/* AUTH/SELECT/PING to send first; wiped once sent */
	size_t		setup_sent;
	int			setup_pending;	/* their answers still to come */
	int			setup_done;		/* answers taken */
	const char *setup_names[3];	/* which command each answer is for */

	/* the answer just read (reader callbacks, top level only) */
	int			ans_type;		/* REDIS_REPLY_* */
	char		ans_error[ANSWER_MAX];

	struct redis_queue q;
	size_t		held;			/* records of the batch formatted, not yet taken */
	char		failure[1024];	/* why the sink stopped, or "" */
};

/* ---- sink_redis_conn.c: the connection ---- */

/*
 * One step towards a connection while not ST_READY: the next attempt when
 * it is due (now), connect() finished, the TLS handshake; never blocks.
 */
void		rconn_step(struct rsink *k, int64_t now);

/* Close the connection (not the timer), forget the reader and the setup commands. */
void		rconn_close(struct rsink *k);

/*
 * This connection, or this attempt, is over for a reason that may pass:
 * close it, log a WARNING, and try again after a pause; everything
 * unanswered goes again on the next connection.
 */
void		rconn_lost(struct rsink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The connection cannot go on and retrying will not help: stop. */
void		rconn_fatal(struct rsink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Send up to n bytes: how many went, 0 if the socket is full, -1 (why). */
ssize_t		rconn_write(struct rsink *k, const char *p, size_t n, char *why, size_t whylen);

/*
 * Read what waits: bytes, 0 if nothing more now, -1 with why (-2 for a
 * TLS protocol error, which a new connection would meet again).
 */
ssize_t		rconn_read(struct rsink *k, char *p, size_t n, char *why, size_t whylen);

/*
 * The TLS context of sink.redis.ssl.*; NULL with err naming the key.
 * The caller frees it (SSL_CTX_free).
 */
SSL_CTX    *rconn_tls_context(const struct config *c, char *err, size_t errlen);

/* ---- sink_redis.c: the session over a connection ---- */

/* TCP (and TLS) is up: a new reader, the setup commands to send first; ST_READY. */
void		rsink_session_begin(struct rsink *k);

/* The connection is closed: forget the reader and the setup commands. */
void		rsink_session_end(struct rsink *k);

#endif							/* WALCAP_SINK_REDIS_INT_H */

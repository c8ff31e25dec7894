/*
 * sink_redis.c — the Redis Streams sink (sink.type=redis): each event an
 * entry of the stream named after its topic, as Debezium Server's Redis
 * sink writes it; see sink.h, and redis.h for the queue and the
 * protocol pieces.
 *
 * An entry (XADD <topic> * ...) has one field named by the record's key
 * holding the event (sink.redis.message.format=compact), or two fields,
 * "key" and "value" (extended); a null key is sink.redis.null.key, a
 * tombstone's null value sink.redis.null.value (both "default", as in
 * Debezium).  Topics, keys and tombstones are the batch records' fields
 * (batch.h), filled in by event.c exactly as for Kafka.
 *
 * One connection, pipelined.  hiredis (Debian's 0.14, opened on first
 * use: dynlib.h) only reads Redis's answers, through callbacks that keep
 * nothing, so an answer allocates nothing; commands are written in RESP
 * straight into the queue (redis.h); the socket is walcap's own, plain or
 * TLS through OpenSSL (which libpq has loaded anyway), so both go one way
 * and nothing blocks: hiredis 0.14 has no TLS, and its own connection
 * would block or need an event loop.  That connection (connecting, TLS,
 * reading and writing, its states, losing it) is sink_redis_conn.c's;
 * this file is what goes over it: the setup commands, the records'
 * commands and the answers.  sink_redis_int.h is what the two share.
 *
 * sink_write() formats records into the queue, sends what the socket
 * takes, and counts a record as taken once its bytes are all sent: a
 * batch is never "written" while part of it waits in walcap, so the run
 * loop never goes idle on events not yet on their way (it waits for
 * POLLOUT instead).  At most sink.redis.batch.size commands (and
 * REDIS_MAX_BYTES) wait for an answer; then the sink is full and the
 * loop waits for answers (POLLIN).  Answers come in order; each moves
 * delivered on by the events it completes (redis_queue_answered), and
 * only those are confirmed to PostgreSQL.  sink_sync() and sink_wait()
 * serve the connection too: read answers, send what waits, reconnect.
 *
 * A connection lost, an answer not come within sink.redis.socket.timeout.ms
 * or a transient error answer (OOM, LOADING, ...: redis_error_kind)
 * closes the connection; after a pause (sink.redis.retry.initial.delay.ms,
 * doubling up to sink.redis.retry.max.delay.ms; a timerfd is the sink's fd
 * meanwhile) the next connection sends every unanswered command again:
 * nothing is lost, and what Redis had stored but not answered is stored
 * twice (at least once).  Each pause is a WARNING.  An error answer that
 * retrying cannot mend (WRONGTYPE, NOAUTH, NOPERM, a password refused, a
 * certificate that does not verify) stops the sink with the fix.
 *
 * Every connection begins with AUTH (when a password is set), SELECT
 * (sink.redis.db.index other than 0) and PING, pipelined before the
 * commands; the password is in the sink's memory, and in the bytes of
 * AUTH until sent, both wiped when done with.  Connecting (TCP, TLS,
 * those answers) may take sink.redis.connection.timeout.ms.  Opening the
 * sink makes the first attempt and waits for it, so a wrong password or
 * certificate stops walcap at once; a Redis that cannot be reached then
 * is a WARNING, and the sink goes on trying in the background.
 */
#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <hiredis/read.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "dynlib.h"
#include "log.h"
#include "redis.h"
#include "secret.h"
#include "sink_redis_int.h"

#ifndef WALCAP_LIBHIREDIS_SONAME
#error "WALCAP_LIBHIREDIS_SONAME is unset: the Makefile found no libhiredis.so (install libhiredis-dev)"
#endif

/*
 * hiredis, opened when a Redis sink is checked or opened (src/dynlib.h):
 * runs with another sink do not map it.  H.f is hiredis's f.
 */
#define LIBHIREDIS_FUNCS(X) \
	X(redisReaderCreateWithFunctions) X(redisReaderFree) X(redisReaderFeed) \
	X(redisReaderGetReply)

static DYNLIB_TABLE(LIBHIREDIS_FUNCS) H;
static const char *const hiredis_names[] = {LIBHIREDIS_FUNCS(DYNLIB_NAME)};
static struct dynlib libhiredis =
	DYNLIB_INIT(WALCAP_LIBHIREDIS_SONAME, "libhiredis0.14", hiredis_names, H);

/* unanswered bytes at most (and at least one record, whatever its size) */
#define REDIS_MAX_BYTES ((uint64_t) 16 << 20)
/* format records ahead of the socket while less than this waits to be sent */
#define SEND_AHEAD (256 * 1024)

/* ---- messages ---- */

static void
fail(struct rsink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The sink cannot go on: the first reason is kept. */
static void
fail(struct rsink *k, const char *fmt, ...)
{
	va_list		ap;

	if (k->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(k->failure, sizeof(k->failure), fmt, ap);
	va_end(ap);
}

/* ---- the reader's callbacks: note the answer, keep nothing ---- */

static void
note(const redisReadTask *t, int type)
{
	struct rsink *k = t->privdata;

	k->ans_type = type;
}

static void *
on_string(const redisReadTask *t, char *str, size_t len)
{
	if (t->parent == NULL)
	{
		struct rsink *k = t->privdata;

		note(t, t->type);
		if (t->type == REDIS_REPLY_ERROR)
		{
			if (len >= sizeof(k->ans_error))
				len = sizeof(k->ans_error) - 1;
			memcpy(k->ans_error, str, len);
			k->ans_error[len] = '\0';
			/* one line in our messages */
			for (size_t i = 0; i < len; i++)
				if ((unsigned char) k->ans_error[i] < 0x20)
					k->ans_error[i] = ' ';
		}
	}
	/* not NULL (which would mean out of memory), and never looked into */
	return (void *) t;
}

static void *
on_array(const redisReadTask *t, int elements)
{
	(void) elements;
	if (t->parent == NULL)
		note(t, REDIS_REPLY_ARRAY);
	return (void *) t;
}

static void *
on_integer(const redisReadTask *t, long long value)
{
	(void) value;
	if (t->parent == NULL)
		note(t, REDIS_REPLY_INTEGER);
	return (void *) t;
}

static void *
on_nil(const redisReadTask *t)
{
	if (t->parent == NULL)
		note(t, REDIS_REPLY_NIL);
	return (void *) t;
}

static void
on_free(void *obj)
{
	(void) obj;
}

/* ---- a session: the reader and the setup commands ---- */

/* TCP is up: set the connection up, send the setup commands first. */
void
rsink_session_begin(struct rsink *k)
{
	const char *argv[3];
	size_t		lens[3];
	char		db[24];
	int			n = 0;

	k->reader = H.redisReaderCreateWithFunctions(&k->reader_fns);
	if (k->reader == NULL)
	{
		rconn_fatal(k, "out of memory");
		return;
	}
	k->reader->privdata = k;
	buf_reset(&k->setup);
	k->setup_done = 0;
	if (k->password)
	{
		argv[0] = "AUTH";
		if (k->user)
		{
			argv[1] = k->user;
			argv[2] = k->password;
		}
		else
			argv[1] = k->password;
		for (int i = 0; i < (k->user ? 3 : 2); i++)
			lens[i] = strlen(argv[i]);
		redis_command(&k->setup, k->user ? 3 : 2, argv, lens);
		k->setup_names[n++] = "AUTH";
	}
	if (k->db != 0)
	{
		snprintf(db, sizeof(db), "%lld", (long long) k->db);
		argv[0] = "SELECT";
		argv[1] = db;
		lens[0] = 6;
		lens[1] = strlen(db);
		redis_command(&k->setup, 2, argv, lens);
		k->setup_names[n++] = "SELECT";
	}
	argv[0] = "PING";
	lens[0] = 4;
	redis_command(&k->setup, 1, argv, lens);
	k->setup_names[n++] = "PING";
	if (buf_failed(&k->setup))
	{
		rconn_fatal(k, "out of memory");
		return;
	}
	k->setup_pending = n;
	k->setup_sent = 0;
	k->resend = redis_queue_unanswered(&k->q);
	k->rx_us = mono_us();
	k->st = ST_READY;
}

/* The connection is closed: forget the reader and the setup commands. */
void
rsink_session_end(struct rsink *k)
{
	if (k->reader)
	{
		H.redisReaderFree(k->reader);
		k->reader = NULL;
	}
	if (k->setup.data)
		secret_wipe(k->setup.data, k->setup.cap);
	buf_reset(&k->setup);
	k->setup_sent = 0;
	k->setup_pending = 0;
}

/* ---- sending and answers ---- */

/* Send the setup commands, then the queue, as far as the socket takes them. */
static void
flush(struct rsink *k)
{
	char		why[256];
	ssize_t		n;

	k->want_out = 0;
	while (k->setup_sent < k->setup.len)
	{
		n = rconn_write(k, k->setup.data + k->setup_sent, k->setup.len - k->setup_sent, why, sizeof(why));
		if (n < 0)
		{
			rconn_lost(k, "%s", why);	/* not established yet */
			return;
		}
		if (n == 0)
			return;
		k->setup_sent += (size_t) n;
	}
	if (k->setup.len > 0)
	{
		/* AUTH's bytes hold the password */
		secret_wipe(k->setup.data, k->setup.len);
		buf_reset(&k->setup);
		k->setup_sent = 0;
	}
	while (redis_queue_unsent(&k->q) > 0)
	{
		size_t		len;
		const char *p = redis_queue_unsent_data(&k->q, &len);

		n = rconn_write(k, p, len, why, sizeof(why));
		if (n < 0)
		{
			rconn_lost(k, "%s%s", k->established ? "connection lost: " : "", why);
			return;
		}
		if (n == 0)
			return;
		redis_queue_sent(&k->q, (size_t) n);
	}
}

/* An answer to AUTH, SELECT or PING. */
static void
setup_answer(struct rsink *k)
{
	const char *name = k->setup_names[k->setup_done++];

	k->setup_pending--;
	if (k->ans_type == REDIS_REPLY_ERROR)
	{
		const char *hint = redis_error_hint(k->ans_error);

		if (redis_error_kind(k->ans_error) == REDIS_ERROR_RETRY)
			rconn_lost(k, "%s answered: %s", name, k->ans_error);
		else
			rconn_fatal(k, "Redis at %s refused %s: %s%s%s", k->address, name, k->ans_error,
					   hint[0] ? "; " : "", hint);
		return;
	}
	if (k->setup_pending > 0)
		return;
	k->established = 1;
	k->backoff_ms = k->retry_initial_ms;
	if (k->was_lost || k->attempts > 0)
		log_info("Redis at %s: connected again (attempt %d); %llu commands without an answer sent again",
				 k->address, k->attempts + 1, (unsigned long long) k->resend);
	else
		log_info("Redis at %s: connected%s", k->address,
				 k->ssl ? (SSL_version(k->ssl) == TLS1_3_VERSION ? " (TLS 1.3)" : " (TLS)") : "");
	k->attempts = 0;
}

/* An error answer to the oldest queued command (an XADD). */
static void
command_error(struct rsink *k)
{
	size_t		len = 0,
				slen;
	const char *cmd = redis_queue_oldest(&k->q, &len);
	const char *stream = "";
	const char *hint = redis_error_hint(k->ans_error);

	slen = cmd ? redis_xadd_stream(cmd, len, &stream) : 0;
	if (slen > 200)
		slen = 200;
	if (redis_error_kind(k->ans_error) == REDIS_ERROR_RETRY)
	{
		if (strncmp(k->ans_error, "OOM", 3) == 0)
			hint = "Redis is at its maxmemory: the streams' readers must trim them (XTRIM, XADD MAXLEN) or maxmemory be raised; walcap retries until there is room";
		rconn_lost(k, "XADD to stream \"%.*s\" answered: %s%s%s", (int) slen, stream,
				  k->ans_error, hint[0] ? "; " : "", hint);
		return;
	}
	rconn_fatal(k, "Redis at %s refused XADD to stream \"%.*s\": %s%s%s", k->address,
			   (int) slen, stream, k->ans_error, hint[0] ? "; " : "", hint);
}

/* Take every complete answer the reader holds. */
static void
take_answers(struct rsink *k)
{
	for (;;)
	{
		void	   *obj = NULL;

		k->ans_type = 0;
		if (H.redisReaderGetReply(k->reader, &obj) != REDIS_OK)
		{
			rconn_fatal(k, "Redis at %s sent an answer walcap cannot read: %s", k->address,
					   k->reader->errstr);
			return;
		}
		if (obj == NULL)
			return;
		if (k->setup_pending > 0)
		{
			setup_answer(k);
			if (k->st != ST_READY || k->failure[0])
				return;
			continue;
		}
		if (k->ans_type == REDIS_REPLY_ERROR)
		{
			command_error(k);
			return;
		}
		if (redis_queue_answered(&k->q) < 0)
		{
			rconn_fatal(k, "Redis at %s answered a command walcap did not send", k->address);
			return;
		}
	}
}

/* Read the answers that wait. */
static void
read_answers(struct rsink *k)
{
	char		data[65536];
	char		why[256];

	while (k->st == ST_READY)
	{
		ssize_t		n = rconn_read(k, data, sizeof(data), why, sizeof(why));

		if (n == 0)
			return;
		if (n < 0)
		{
			/* before the session is up, a TLS failure is the configuration's */
			if (n == -2 && !k->established)
				rconn_fatal(k, "Redis at %s: %s%s", k->address, why,
						   strstr(why, "certificate required") ?
						   "; Redis asks for a client certificate: set sink.redis.ssl.certificate.location and sink.redis.ssl.key.location" : "");
			else if (!k->established && k->ctx == NULL)
				rconn_lost(k, "%s before answering (a TLS port? then set sink.redis.ssl.enabled=true)", why);
			else
				rconn_lost(k, "%s%s", k->established ? "connection lost: " : "", why);
			return;
		}
		k->rx_us = mono_us();
		if (H.redisReaderFeed(k->reader, data, (size_t) n) != REDIS_OK)
		{
			rconn_fatal(k, "out of memory reading Redis's answers");
			return;
		}
		take_answers(k);
		/* a short read emptied the socket: spare the recv() that would say so */
		if (k->ssl == NULL && (size_t) n < sizeof(data))
			return;
	}
}

/* Deadlines: connecting, and the oldest answer. */
static void
check_time(struct rsink *k, int64_t now)
{
	if ((k->st == ST_CONNECTING || k->st == ST_HANDSHAKE ||
		 (k->st == ST_READY && !k->established)) && now > k->deadline_us)
	{
		rconn_lost(k, "not connected within sink.redis.connection.timeout.ms (%lld ms)",
				  (long long) k->connect_ms);
		return;
	}
	if (k->st == ST_READY && k->established && k->socket_ms > 0 &&
		redis_queue_unanswered(&k->q) > 0 && now - k->rx_us > k->socket_ms * 1000)
		rconn_lost(k, "no answer for %lld ms (sink.redis.socket.timeout.ms)",
				  (long long) ((now - k->rx_us) / 1000));
}

/* What the run loop polls: the timer while down, else the socket. */
static void
set_poll(struct sink *s, struct rsink *k)
{
	switch (k->st)
	{
		case ST_DOWN:
			s->fd = k->timer;
			s->poll_events = POLLIN;
			break;
		case ST_CONNECTING:
			s->fd = k->sock;
			s->poll_events = POLLOUT;
			break;
		case ST_HANDSHAKE:
			s->fd = k->sock;
			s->poll_events = k->want_out ? POLLOUT : POLLIN;
			break;
		case ST_READY:
			s->fd = k->sock;
			s->poll_events = POLLIN |
				(k->want_out || k->setup_sent < k->setup.len || redis_queue_unsent(&k->q) > 0 ? POLLOUT : 0);
			break;
	}
}

/*
 * Serve the connection without blocking: attempt when due, connect,
 * handshake, send, read answers, check deadlines.
 */
static void
step(struct sink *s, struct rsink *k)
{
	int64_t		now = mono_us();

	for (int round = 0; round < 8 && !k->failure[0]; round++)
	{
		enum conn_state before = k->st;

		if (k->st == ST_READY)
		{
			flush(k);
			read_answers(k);
		}
		else
			rconn_step(k, now);
		if (k->st == before)
			break;
	}
	if (!k->failure[0])
		check_time(k, mono_us());
	set_poll(s, k);
}

/* ---- the sink ---- */

/* Whether one more record (two commands at most) may join the queue. */
static int
has_room(const struct rsink *k)
{
	uint64_t	n = redis_queue_unanswered(&k->q);

	if (redis_queue_ring_used(&k->q) + 2 > k->q.mask + 1)
		return 0;
	return n == 0 || (n < k->max_cmds && redis_queue_bytes(&k->q) < REDIS_MAX_BYTES);
}

/* Append one XADD for stream with key and value, as message.format says. */
static void
put_xadd(struct rsink *k, const char *stream, size_t slen, const char *key, size_t klen,
		 const char *value, size_t vlen)
{
	const char *fv[4];
	size_t		fvlen[4];

	if (k->extended)
	{
		fv[0] = "key";
		fvlen[0] = 3;
		fv[1] = key;
		fvlen[1] = klen;
		fv[2] = "value";
		fvlen[2] = 5;
		fv[3] = value;
		fvlen[3] = vlen;
		redis_xadd(redis_queue_buf(&k->q), stream, slen, fv, fvlen, 2);
	}
	else
	{
		fv[0] = key;
		fvlen[0] = klen;
		fv[1] = value;
		fvlen[1] = vlen;
		redis_xadd(redis_queue_buf(&k->q), stream, slen, fv, fvlen, 1);
	}
}

/* Queue record r: its XADD, and its tombstone's.  0, or -1 (out of memory). */
static int
put_record(struct rsink *k, const struct batch *b, const struct batch_rec *r)
{
	const char *stream = batch_rec_topic(b, r);
	size_t		slen = strlen(stream);
	const char *key = r->klen ? batch_rec_key(b, r) : k->null_key;
	size_t		klen = r->klen ? r->klen : k->null_key_len;
	uint32_t	last = REDIS_CMD_RECORD | ((r->flags & BATCH_CONTINUES) ? 0 : REDIS_CMD_EVENT);

	if (redis_queue_unanswered(&k->q) == 0)
		k->rx_us = mono_us();
	/* a null value (BATCH_NULL: ExtractNewRecordState's none) is a tombstone's */
	if (r->flags & BATCH_NULL)
		put_xadd(k, stream, slen, key, klen, k->null_value, k->null_value_len);
	else
		put_xadd(k, stream, slen, key, klen, batch_rec_value(b, r), r->vlen);
	if (!(r->flags & BATCH_TOMBSTONE))
		return redis_queue_push(&k->q, last);
	if (redis_queue_push(&k->q, 0) != 0)
		return -1;
	put_xadd(k, stream, slen, key, klen, k->null_value, k->null_value_len);
	return redis_queue_push(&k->q, last);
}

/* The records whose bytes are all sent are taken: move pos past them. */
static void
take_records(struct rsink *k, const struct batch *b, struct batch_pos *pos)
{
	size_t		n = redis_queue_take(&k->q);

	while (n-- > 0 && k->held > 0)
	{
		const struct batch_rec *r = &b->recs[pos->rec];

		pos->rec++;
		pos->bytes = r->value + r->vlen + 1;
		k->held--;
	}
}

static int
redis_write(struct sink *s, const struct batch *b, struct batch_pos *pos,
			char *err, size_t errlen)
{
	struct rsink *k = s->impl;

	step(s, k);
	if (!k->failure[0] && pos->rec + k->held > b->nrecs)
		fail(k, "the batch changed while the Redis sink held %zu of its records", k->held);
	while (k->st == ST_READY && !k->failure[0])
	{
		int			formatted = 0;

		while (pos->rec + k->held < b->nrecs && has_room(k) &&
			   redis_queue_unsent(&k->q) < SEND_AHEAD)
		{
			if (put_record(k, b, &b->recs[pos->rec + k->held]) != 0)
			{
				fail(k, "out of memory queueing events for Redis");
				break;
			}
			k->held++;
			formatted = 1;
		}
		if (k->failure[0])
			break;
		flush(k);
		if (k->st == ST_READY)
			read_answers(k);
		take_records(k, b, pos);
		if (!formatted)
			break;
	}
	set_poll(s, k);
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	return 0;
}

static int
redis_sync(struct sink *s, char *err, size_t errlen)
{
	struct rsink *k = s->impl;

	if (!k->failure[0])
		step(s, k);
	s->delivered = k->q.events;
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	return 0;
}

static int
redis_wait(struct sink *s, int timeout_ms, char *err, size_t errlen)
{
	struct rsink *k = s->impl;

	if (!k->failure[0])
	{
		struct pollfd p = {s->fd, s->poll_events, 0};

		if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
			fail(k, "poll: %s", strerror(errno));
	}
	return redis_sync(s, err, errlen);
}

static void
redis_close(struct sink *s)
{
	struct rsink *k = s->impl;

	if (k == NULL)
		return;
	rconn_close(k);
	buf_free(&k->setup);
	if (k->timer >= 0)
		close(k->timer);
	if (k->ctx)
		SSL_CTX_free(k->ctx);
	free(k->user);
	secret_free(k->password);
	redis_queue_free(&k->q);
	free(k);
	s->impl = NULL;
	s->fd = -1;
}

static const struct sink_ops redis_ops = {"redis", redis_write, redis_sync, redis_wait, redis_close, NULL};


int
sink_redis_check(const struct config *c, char *err, size_t errlen)
{
	if (dynlib_load(&libhiredis, err, errlen) != 0)
		return -1;
	if (c->redis_ssl)
	{
		SSL_CTX    *ctx = rconn_tls_context(c, err, errlen);

		if (ctx == NULL)
			return -1;
		SSL_CTX_free(ctx);
	}
	return 0;
}

int
sink_redis_open(struct sink *s, const struct config *c, char *err, size_t errlen)
{
	struct rsink *k = calloc(1, sizeof(*k));
	int64_t		until;

	if (k == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	k->sock = k->timer = -1;
	buf_init(&k->setup, 0);
	s->ops = &redis_ops;
	s->impl = k;
	s->fd = -1;
	s->poll_events = POLLIN;
	s->counts = 1;
	s->routed = 1;
	/*
	 * the loop watches the socket (or the reconnect timer) while answers
	 * are due (sink.h): on a quiet database Redis's answers are taken, and
	 * a lost connection mended, as they come, not at the next input
	 */
	s->driven = 1;
	s->finish_ms = c->redis_flush_ms;
	if (dynlib_load(&libhiredis, err, errlen) != 0)
	{
		redis_close(s);
		return -1;
	}
	k->address = c->redis_address;
	k->host = c->redis_host;
	k->port = c->redis_port;
	k->db = c->redis_db;
	k->extended = c->redis_format == CONFIG_REDIS_EXTENDED;
	k->null_key = c->redis_null_key;
	k->null_key_len = strlen(c->redis_null_key);
	k->null_value = c->redis_null_value;
	k->null_value_len = strlen(c->redis_null_value);
	k->max_cmds = (uint64_t) c->redis_batch;
	k->retry_initial_ms = c->redis_retry_initial_ms;
	k->retry_max_ms = c->redis_retry_max_ms;
	k->backoff_ms = k->retry_initial_ms;
	k->connect_ms = c->redis_connect_ms;
	k->socket_ms = c->redis_socket_ms;
	k->keepalive_idle_s = (c->keepalive_idle_ms + 999) / 1000;
	k->keepalive_interval_s = (c->keepalive_interval_ms + 999) / 1000;
	k->keepalive_count = c->keepalive_count;
	k->reader_fns.createString = on_string;
	k->reader_fns.createArray = on_array;
	k->reader_fns.createInteger = on_integer;
	k->reader_fns.createNil = on_nil;
	k->reader_fns.freeObject = on_free;
	if ((c->redis_user && (k->user = strdup(c->redis_user)) == NULL) ||
		(c->redis_password && (k->password = strdup(c->redis_password)) == NULL) ||
		redis_queue_init(&k->q, (size_t) c->redis_batch * 2 + 8) != 0)
	{
		redis_close(s);
		return errbuf_fail(err, errlen, "out of memory");
	}
	if (c->redis_ssl && (k->ctx = rconn_tls_context(c, err, errlen)) == NULL)
	{
		redis_close(s);
		return -1;
	}
	if ((k->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
	{
		snprintf(err, errlen, "timerfd_create: %s", strerror(errno));
		redis_close(s);
		return -1;
	}

	/*
	 * The first attempt, waited for: a password or certificate refused
	 * stops walcap now, not at its first event.
	 */
	k->st = ST_DOWN;
	k->retry_at_us = 0;
	until = mono_us() + k->connect_ms * 1000 + 100000;
	for (;;)
	{
		struct pollfd p;
		int64_t		left;

		step(s, k);
		if (k->failure[0])
		{
			snprintf(err, errlen, "%s", k->failure);
			redis_close(s);
			return -1;
		}
		if (k->established || k->st == ST_DOWN || (left = (until - mono_us()) / 1000) <= 0)
			break;
		p.fd = s->fd;
		p.events = s->poll_events;
		p.revents = 0;
		(void) poll(&p, 1, (int) (left > 100 ? 100 : left));
	}
	return 0;
}

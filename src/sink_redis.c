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
 * would block or need an event loop.
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

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <hiredis/read.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "dynlib.h"
#include "log.h"
#include "redis.h"
#include "secret.h"

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
/* the most handed to one send() / SSL_write() */
#define WRITE_MAX (1024 * 1024)
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

/* OpenSSL's last error as text ("" if none); the queue is emptied. */
static const char *
ssl_error_text(char *out, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	out[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, out, len);
	ERR_clear_error();
	return out;
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

/* ---- the connection ---- */

/* Close the connection (not the timer), forget the reader and the setup commands. */
static void
conn_close(struct rsink *k)
{
	if (k->ssl)
	{
		SSL_free(k->ssl);
		k->ssl = NULL;
	}
	if (k->sock >= 0)
	{
		close(k->sock);
		k->sock = -1;
	}
	if (k->addrs)
	{
		freeaddrinfo(k->addrs);
		k->addrs = k->addr = NULL;
	}
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
	k->want_out = 0;
	k->established = 0;
}

/*
 * This connection, or this attempt, is over for a reason that may pass:
 * close it, log a WARNING, and try again after a pause; everything
 * unanswered goes again on the next connection.
 */
static void
conn_lost(struct rsink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
conn_lost(struct rsink *k, const char *fmt, ...)
{
	char		why[768];
	va_list		ap;
	int			was = k->established;
	struct itimerspec its;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conn_close(k);
	redis_queue_rewind(&k->q);
	if (was)
	{
		k->was_lost = 1;
		k->backoff_ms = k->retry_initial_ms;
		k->attempts = 0;
	}
	else
		k->attempts++;
	if (was)
		log_warning("Redis at %s: %s; reconnecting in %lld ms (%llu commands without an answer are sent again)",
					k->address, why, (long long) k->backoff_ms,
					(unsigned long long) redis_queue_unanswered(&k->q));
	else
		log_warning("Redis at %s: %s; attempt %d failed, next in %lld ms",
					k->address, why, k->attempts, (long long) k->backoff_ms);
	k->st = ST_DOWN;
	k->retry_at_us = mono_us() + k->backoff_ms * 1000;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = k->backoff_ms / 1000;
	its.it_value.tv_nsec = (k->backoff_ms % 1000) * 1000000 + 1;
	(void) timerfd_settime(k->timer, 0, &its, NULL);
	k->backoff_ms = k->backoff_ms * 2 > k->retry_max_ms ? k->retry_max_ms : k->backoff_ms * 2;
}

/* The connection cannot go on and retrying will not help: stop. */
static void
conn_fatal(struct rsink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
conn_fatal(struct rsink *k, const char *fmt, ...)
{
	va_list		ap;

	if (!k->failure[0])
	{
		va_start(ap, fmt);
		vsnprintf(k->failure, sizeof(k->failure), fmt, ap);
		va_end(ap);
	}
	conn_close(k);
	/* never again: the timer is not armed */
	k->st = ST_DOWN;
	k->retry_at_us = INT64_MAX;
}

/* Send up to n bytes: how many went, 0 if the socket is full, -1 (why). */
static ssize_t
io_write(struct rsink *k, const char *p, size_t n, char *why, size_t whylen)
{
	if (n > WRITE_MAX)
		n = WRITE_MAX;
	if (k->ssl)
	{
		int			r;

		ERR_clear_error();
		r = SSL_write(k->ssl, p, (int) n);
		if (r > 0)
			return r;
		switch (SSL_get_error(k->ssl, r))
		{
			case SSL_ERROR_WANT_WRITE:
				k->want_out = 1;
				return 0;
			case SSL_ERROR_WANT_READ:
				return 0;
			case SSL_ERROR_SYSCALL:
				snprintf(why, whylen, "TLS write: %s", errno ? strerror(errno) : "connection closed");
				return -1;
			default:
				{
					char		e[256];

					snprintf(why, whylen, "TLS write: %s", ssl_error_text(e, sizeof(e)));
					return -1;
				}
		}
	}
	for (;;)
	{
		ssize_t		r = send(k->sock, p, n, MSG_NOSIGNAL);

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
		{
			k->want_out = 1;
			return 0;
		}
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
}

/*
 * Read what waits: bytes, 0 if nothing more now, -1 with why (-2 for a
 * TLS protocol error, which a new connection would meet again).
 */
static ssize_t
io_read(struct rsink *k, char *p, size_t n, char *why, size_t whylen)
{
	if (k->ssl)
	{
		int			r;

		ERR_clear_error();
		r = SSL_read(k->ssl, p, (int) n);
		if (r > 0)
			return r;
		switch (SSL_get_error(k->ssl, r))
		{
			case SSL_ERROR_WANT_READ:
				return 0;
			case SSL_ERROR_WANT_WRITE:
				k->want_out = 1;
				return 0;
			case SSL_ERROR_ZERO_RETURN:
				snprintf(why, whylen, "Redis closed the connection");
				return -1;
			case SSL_ERROR_SYSCALL:
				snprintf(why, whylen, "%s", errno ? strerror(errno) : "Redis closed the connection");
				return -1;
			default:
				{
					char		e[256];

					snprintf(why, whylen, "TLS: %s", ssl_error_text(e, sizeof(e)));
					return -2;
				}
		}
	}
	for (;;)
	{
		ssize_t		r = recv(k->sock, p, n, 0);

		if (r > 0)
			return r;
		if (r == 0)
		{
			snprintf(why, whylen, "Redis closed the connection");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
}

/* Whether host is an IPv4 or IPv6 address rather than a name. */
static int
is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* TCP is up: set the connection up, send the setup commands first. */
static void
begin_session(struct rsink *k)
{
	const char *argv[3];
	size_t		lens[3];
	char		db[24];
	int			n = 0;

	k->reader = H.redisReaderCreateWithFunctions(&k->reader_fns);
	if (k->reader == NULL)
	{
		conn_fatal(k, "out of memory");
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
		conn_fatal(k, "out of memory");
		return;
	}
	k->setup_pending = n;
	k->setup_sent = 0;
	k->resend = redis_queue_unanswered(&k->q);
	k->rx_us = mono_us();
	k->st = ST_READY;
}

/* TCP connected: TLS first if enabled. */
static void
connected(struct rsink *k)
{
	freeaddrinfo(k->addrs);
	k->addrs = k->addr = NULL;
	if (k->ctx == NULL)
	{
		begin_session(k);
		return;
	}
	ERR_clear_error();
	if ((k->ssl = SSL_new(k->ctx)) == NULL || SSL_set_fd(k->ssl, k->sock) != 1)
	{
		char		e[256];

		conn_fatal(k, "TLS: cannot set the connection up: %s", ssl_error_text(e, sizeof(e)));
		return;
	}
	if (is_ip(k->host))
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(k->ssl), k->host);
	else
	{
		SSL_set_tlsext_host_name(k->ssl, k->host);
		SSL_set1_host(k->ssl, k->host);
	}
	k->st = ST_HANDSHAKE;
}

/* Set a connected socket's options: no Nagle delay, keepalives. */
static void
socket_options(struct rsink *k, int fd)
{
	int			one = 1;
	int			v;

	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	v = (int) k->keepalive_idle_s;
	(void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
	v = (int) k->keepalive_interval_s;
	(void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v));
	v = (int) k->keepalive_count;
	(void) setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
}

/* connect() to k->addr and the addresses after it, until one is under way. */
static void
try_addresses(struct rsink *k, const char *why_before)
{
	char		why[256];

	snprintf(why, sizeof(why), "%s", why_before ? why_before : "no address");
	for (; k->addr; k->addr = k->addr->ai_next)
	{
		int			fd = socket(k->addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
		{
			snprintf(why, sizeof(why), "socket: %s", strerror(errno));
			continue;
		}
		socket_options(k, fd);
		if (connect(fd, k->addr->ai_addr, k->addr->ai_addrlen) == 0)
		{
			k->sock = fd;
			connected(k);
			return;
		}
		if (errno == EINPROGRESS)
		{
			k->sock = fd;
			k->st = ST_CONNECTING;
			return;
		}
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(fd);
	}
	conn_lost(k, "cannot connect: %s", why);
}

/* A new attempt: resolve the host, start connecting. */
static void
start_attempt(struct rsink *k)
{
	struct addrinfo hints;
	char		port[8];
	int			rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", k->port);
	k->deadline_us = mono_us() + k->connect_ms * 1000;
	if ((rc = getaddrinfo(k->host, port, &hints, &k->addrs)) != 0)
	{
		k->addrs = NULL;
		conn_lost(k, "cannot resolve \"%s\": %s", k->host,
				  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return;
	}
	k->addr = k->addrs;
	try_addresses(k, NULL);
}

/* ST_CONNECTING: whether connect() finished, and how. */
static void
check_connected(struct rsink *k)
{
	struct pollfd p = {k->sock, POLLOUT, 0};
	int			e = 0;
	socklen_t	len = sizeof(e);

	if (poll(&p, 1, 0) <= 0)
		return;
	if (getsockopt(k->sock, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e == 0)
	{
		connected(k);
		return;
	}
	close(k->sock);
	k->sock = -1;
	k->addr = k->addr->ai_next;
	try_addresses(k, strerror(e));
}

/* ST_HANDSHAKE: one more step of the TLS handshake. */
static void
handshake(struct rsink *k)
{
	int			r;
	long		v;
	char		e[256];

	ERR_clear_error();
	r = SSL_connect(k->ssl);
	if (r == 1)
	{
		begin_session(k);
		return;
	}
	switch (SSL_get_error(k->ssl, r))
	{
		case SSL_ERROR_WANT_READ:
			k->want_out = 0;
			return;
		case SSL_ERROR_WANT_WRITE:
			k->want_out = 1;
			return;
		case SSL_ERROR_SYSCALL:
			conn_lost(k, "TLS handshake: %s", errno ? strerror(errno) : "Redis closed the connection");
			return;
		default:
			break;
	}
	v = SSL_get_verify_result(k->ssl);
	ssl_error_text(e, sizeof(e));
	if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		conn_fatal(k, "TLS: the certificate of Redis at %s is not issued for \"%s\"; give the name (or address) it is issued for in sink.redis.address",
				   k->address, k->host);
	else if (v != X509_V_OK)
		conn_fatal(k, "TLS: the certificate of Redis at %s was not verified: %s; set sink.redis.ssl.ca.location to the CA certificate that signed it",
				   k->address, X509_verify_cert_error_string(v));
	else
		conn_fatal(k, "TLS handshake with Redis at %s failed: %s%s", k->address, e,
				   strstr(e, "wrong version number") || strstr(e, "packet length") ?
				   "; is TLS on at that port (Redis's tls-port)? Or set sink.redis.ssl.enabled=false" :
				   strstr(e, "certificate required") ?
				   "; Redis asks for a client certificate: set sink.redis.ssl.certificate.location and sink.redis.ssl.key.location" : "");
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
		n = io_write(k, k->setup.data + k->setup_sent, k->setup.len - k->setup_sent, why, sizeof(why));
		if (n < 0)
		{
			conn_lost(k, "%s", why);	/* not established yet */
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

		n = io_write(k, p, len, why, sizeof(why));
		if (n < 0)
		{
			conn_lost(k, "%s%s", k->established ? "connection lost: " : "", why);
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
			conn_lost(k, "%s answered: %s", name, k->ans_error);
		else
			conn_fatal(k, "Redis at %s refused %s: %s%s%s", k->address, name, k->ans_error,
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
		conn_lost(k, "XADD to stream \"%.*s\" answered: %s%s%s", (int) slen, stream,
				  k->ans_error, hint[0] ? "; " : "", hint);
		return;
	}
	conn_fatal(k, "Redis at %s refused XADD to stream \"%.*s\": %s%s%s", k->address,
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
			conn_fatal(k, "Redis at %s sent an answer walcap cannot read: %s", k->address,
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
			conn_fatal(k, "Redis at %s answered a command walcap did not send", k->address);
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
		ssize_t		n = io_read(k, data, sizeof(data), why, sizeof(why));

		if (n == 0)
			return;
		if (n < 0)
		{
			/* before the session is up, a TLS failure is the configuration's */
			if (n == -2 && !k->established)
				conn_fatal(k, "Redis at %s: %s%s", k->address, why,
						   strstr(why, "certificate required") ?
						   "; Redis asks for a client certificate: set sink.redis.ssl.certificate.location and sink.redis.ssl.key.location" : "");
			else if (!k->established && k->ctx == NULL)
				conn_lost(k, "%s before answering (a TLS port? then set sink.redis.ssl.enabled=true)", why);
			else
				conn_lost(k, "%s%s", k->established ? "connection lost: " : "", why);
			return;
		}
		k->rx_us = mono_us();
		if (H.redisReaderFeed(k->reader, data, (size_t) n) != REDIS_OK)
		{
			conn_fatal(k, "out of memory reading Redis's answers");
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
		conn_lost(k, "not connected within sink.redis.connection.timeout.ms (%lld ms)",
				  (long long) k->connect_ms);
		return;
	}
	if (k->st == ST_READY && k->established && k->socket_ms > 0 &&
		redis_queue_unanswered(&k->q) > 0 && now - k->rx_us > k->socket_ms * 1000)
		conn_lost(k, "no answer for %lld ms (sink.redis.socket.timeout.ms)",
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

		switch (k->st)
		{
			case ST_DOWN:
				if (now >= k->retry_at_us)
				{
					uint64_t	expirations;

					/* empty the timer */
					(void) read(k->timer, &expirations, sizeof(expirations));
					start_attempt(k);
				}
				break;
			case ST_CONNECTING:
				check_connected(k);
				break;
			case ST_HANDSHAKE:
				handshake(k);
				break;
			case ST_READY:
				flush(k);
				read_answers(k);
				break;
		}
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
	conn_close(k);
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

/*
 * The TLS context of sink.redis.ssl.*: the server's certificate verified
 * (against ssl.ca.location, or the system's CAs), TLS 1.2 at least, a
 * client certificate if given.  NULL with err naming the key.
 */
static SSL_CTX *
tls_context(const struct config *c, char *err, size_t errlen)
{
	SSL_CTX    *ctx;
	char		e[256];
	const char *files[3][2] = {
		{"sink.redis.ssl.ca.location", c->redis_ssl_ca},
		{"sink.redis.ssl.certificate.location", c->redis_ssl_cert},
		{"sink.redis.ssl.key.location", c->redis_ssl_key},
	};

	for (int i = 0; i < 3; i++)
		if (files[i][1] && access(files[i][1], R_OK) != 0)
		{
			snprintf(err, errlen, "%s: cannot read \"%s\": %s", files[i][0], files[i][1], strerror(errno));
			return NULL;
		}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
	{
		snprintf(err, errlen, "TLS: %s", ssl_error_text(e, sizeof(e)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* the unsent bytes may move in memory between a retried SSL_write's calls */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (c->redis_ssl_ca ? SSL_CTX_load_verify_locations(ctx, c->redis_ssl_ca, NULL) != 1 :
		SSL_CTX_set_default_verify_paths(ctx) != 1)
	{
		snprintf(err, errlen, "%s: %s: %s", files[0][0], c->redis_ssl_ca ? c->redis_ssl_ca : "the system's CA certificates",
				 ssl_error_text(e, sizeof(e)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (c->redis_ssl_cert && SSL_CTX_use_certificate_chain_file(ctx, c->redis_ssl_cert) != 1)
	{
		snprintf(err, errlen, "%s: \"%s\": %s", files[1][0], c->redis_ssl_cert, ssl_error_text(e, sizeof(e)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (c->redis_ssl_key &&
		(SSL_CTX_use_PrivateKey_file(ctx, c->redis_ssl_key, SSL_FILETYPE_PEM) != 1 ||
		 SSL_CTX_check_private_key(ctx) != 1))
	{
		snprintf(err, errlen, "%s: \"%s\": %s", files[2][0], c->redis_ssl_key, ssl_error_text(e, sizeof(e)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
sink_redis_check(const struct config *c, char *err, size_t errlen)
{
	if (dynlib_load(&libhiredis, err, errlen) != 0)
		return -1;
	if (c->redis_ssl)
	{
		SSL_CTX    *ctx = tls_context(c, err, errlen);

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
	if (c->redis_ssl && (k->ctx = tls_context(c, err, errlen)) == NULL)
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

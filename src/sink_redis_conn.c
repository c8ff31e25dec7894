/*
 * sink_redis_conn.c — the Redis sink's connection to Redis: resolving
 * sink.redis.address's host and connecting to its addresses in turn
 * (without blocking), the socket's options, TLS through OpenSSL (the
 * context of sink.redis.ssl.*, the handshake, the checks of the server's
 * name and certificate), reading and writing over plain TCP or TLS, and
 * the states a connection goes through (struct rsink's st): closed,
 * lost (a WARNING and a pause on the timerfd, the queue rewound) or
 * fatal (the sink stops).
 *
 * It is apart from sink_redis.c, which turns records into commands and
 * reads Redis's answers, because none of this knows what is sent: it
 * moves bytes, and calls back into sink_redis.c only when a connection
 * is up (rsink_session_begin) and when it closes (rsink_session_end).
 * sink_redis_int.h is what the two share.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "log.h"
#include "redis.h"
#include "sink_redis_int.h"

/* the most handed to one send() / SSL_write() */
#define WRITE_MAX (1024 * 1024)

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

/* Close the connection (not the timer), forget the reader and the setup commands. */
void
rconn_close(struct rsink *k)
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
	rsink_session_end(k);
	k->want_out = 0;
	k->established = 0;
}

/*
 * This connection, or this attempt, is over for a reason that may pass:
 * close it, log a WARNING, and try again after a pause; everything
 * unanswered goes again on the next connection.
 */
void
rconn_lost(struct rsink *k, const char *fmt, ...)
{
	char		why[768];
	va_list		ap;
	int			was = k->established;
	struct itimerspec its;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rconn_close(k);
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
void
rconn_fatal(struct rsink *k, const char *fmt, ...)
{
	va_list		ap;

	if (!k->failure[0])
	{
		va_start(ap, fmt);
		vsnprintf(k->failure, sizeof(k->failure), fmt, ap);
		va_end(ap);
	}
	rconn_close(k);
	/* never again: the timer is not armed */
	k->st = ST_DOWN;
	k->retry_at_us = INT64_MAX;
}

/* Send up to n bytes: how many went, 0 if the socket is full, -1 (why). */
ssize_t
rconn_write(struct rsink *k, const char *p, size_t n, char *why, size_t whylen)
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
ssize_t
rconn_read(struct rsink *k, char *p, size_t n, char *why, size_t whylen)
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

/* TCP connected: TLS first if enabled. */
static void
connected(struct rsink *k)
{
	freeaddrinfo(k->addrs);
	k->addrs = k->addr = NULL;
	if (k->ctx == NULL)
	{
		rsink_session_begin(k);
		return;
	}
	ERR_clear_error();
	if ((k->ssl = SSL_new(k->ctx)) == NULL || SSL_set_fd(k->ssl, k->sock) != 1)
	{
		char		e[256];

		rconn_fatal(k, "TLS: cannot set the connection up: %s", ssl_error_text(e, sizeof(e)));
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
	rconn_lost(k, "cannot connect: %s", why);
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
		rconn_lost(k, "cannot resolve \"%s\": %s", k->host,
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
		rsink_session_begin(k);
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
			rconn_lost(k, "TLS handshake: %s", errno ? strerror(errno) : "Redis closed the connection");
			return;
		default:
			break;
	}
	v = SSL_get_verify_result(k->ssl);
	ssl_error_text(e, sizeof(e));
	if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		rconn_fatal(k, "TLS: the certificate of Redis at %s is not issued for \"%s\"; give the name (or address) it is issued for in sink.redis.address",
				   k->address, k->host);
	else if (v != X509_V_OK)
		rconn_fatal(k, "TLS: the certificate of Redis at %s was not verified: %s; set sink.redis.ssl.ca.location to the CA certificate that signed it",
				   k->address, X509_verify_cert_error_string(v));
	else
		rconn_fatal(k, "TLS handshake with Redis at %s failed: %s%s", k->address, e,
				   strstr(e, "wrong version number") || strstr(e, "packet length") ?
				   "; is TLS on at that port (Redis's tls-port)? Or set sink.redis.ssl.enabled=false" :
				   strstr(e, "certificate required") ?
				   "; Redis asks for a client certificate: set sink.redis.ssl.certificate.location and sink.redis.ssl.key.location" : "");
}

/*
 * One step towards a connection while not ST_READY: the next attempt when
 * it is due (now), connect() finished, the TLS handshake; never blocks.
 */
void
rconn_step(struct rsink *k, int64_t now)
{
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
			break;
	}
}

/*
 * The TLS context of sink.redis.ssl.*: the server's certificate verified
 * (against ssl.ca.location, or the system's CAs), TLS 1.2 at least, a
 * client certificate if given.  NULL with err naming the key.
 */
SSL_CTX *
rconn_tls_context(const struct config *c, char *err, size_t errlen)
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

/*
 * httpd.h — walcap's HTTP listener: libmicrohttpd underneath, one
 * handler above.
 *
 * Used by `walcap server` (the REST API, the console, /metrics) and by
 * metrics.listen of a lone `walcap run`.  This module parses nothing by
 * hand: libmicrohttpd does HTTP; here are only what both users need
 * around it — binding the listen address with a clear error, the bearer
 * token, TLS from PEM files, a body size limit, and answering with
 * Kafka Connect's error shape ({"error_code":N,"message":"..."}) when a
 * request is refused before the handler sees it (401, 413).
 *
 * The handler runs on libmicrohttpd's threads (one per connection when
 * opts.threads is set, else one for all); it must be thread-safe with
 * respect to whatever it reads.  It fills resp; httpd sends it and frees
 * resp->body.
 */
#ifndef WALCAP_HTTPD_H
#define WALCAP_HTTPD_H

#include <stddef.h>

#include "buf.h"

#define HTTPD_MAX_ARGS 16

struct httpd_request
{
	const char *method;			/* "GET", "PUT", ... */
	const char *path;			/* decoded, without the query */
	const char *accept;			/* the Accept header, or NULL */
	const char *body;			/* NUL-terminated; "" when none */
	size_t		body_len;
	int			nargs;			/* query arguments, in order */
	const char *arg_keys[HTTPD_MAX_ARGS];
	const char *arg_values[HTTPD_MAX_ARGS];	/* "" for a bare key */
};

struct httpd_response
{
	int			status;			/* 200 unless the handler sets it */
	const char *content_type;	/* static; "application/json" by default */
	const char *cache_control;	/* static or NULL */
	struct buf	body;			/* initialised by httpd, freed by it */
};

typedef void (*httpd_handler) (void *arg, const struct httpd_request *req,
							   struct httpd_response *resp);

struct httpd_opts
{
	const char *listen;			/* "host:port", "[v6]:port", ":port" (all) */
	const char *token;			/* required bearer token, or NULL */
	const char *tls_cert_file;	/* PEM; both or neither */
	const char *tls_key_file;
	size_t		max_body;		/* larger bodies get 413 */
	int			threads;		/* 1: a thread per connection */
};

struct httpd;

/*
 * Bind opts->listen and start serving.  NULL with err set ("cannot
 * listen on 127.0.0.1:8083: Address already in use" and what to do).
 */
struct httpd *httpd_start(const struct httpd_opts *opts, httpd_handler handler,
						  void *arg, char *err, size_t errlen);

/* The port actually bound (useful for ":0"). */
int			httpd_port(const struct httpd *h);

/* Stop serving; waits for running handlers.  NULL is fine. */
void		httpd_stop(struct httpd *h);

/* The value of query argument key, or NULL; "" for a bare key. */
const char *httpd_arg(const struct httpd_request *req, const char *key);

/* Whether some query argument key has exactly value (repeats allowed). */
int			httpd_arg_is(const struct httpd_request *req, const char *key,
						 const char *value);

/*
 * Whether listen has the form of a listen address (host:port,
 * [ipv6]:port or :port, port 0-65535); whether it resolves and the port
 * is free is httpd_start's to find out.
 */
int			httpd_listen_valid(const char *listen);

/* Whether listen names only a loopback address (127.0.0.0/8, ::1, localhost). */
int			httpd_listen_is_loopback(const char *listen);

/* Kafka Connect's error body: {"error_code":status,"message":"..."}. */
void		httpd_error(struct httpd_response *resp, int status,
						const char *fmt,...) __attribute__((format(printf, 3, 4)));

#endif

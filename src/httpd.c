/*
 * httpd.c — libmicrohttpd with walcap's listen address, token, TLS and
 * body limit around one handler.  See httpd.h.
 *
 * The listening socket is made here, not by libmicrohttpd, so that a
 * bad or busy address is one clear error before anything starts, and
 * ":0" can tell which port it got.
 */
#include "httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dynlib.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "secret.h"

#ifndef WALCAP_LIBMICROHTTPD_SONAME
#error "WALCAP_LIBMICROHTTPD_SONAME is unset: the Makefile found no libmicrohttpd.so (install libmicrohttpd-dev)"
#endif

/*
 * libmicrohttpd, opened by httpd_start (src/dynlib.h): its constructor
 * runs gnutls_global_init, megabytes that a run without metrics.listen
 * should not carry.  L.f is libmicrohttpd's f.
 */
#define LIBMICROHTTPD_FUNCS(X) \
	X(MHD_add_response_header) X(MHD_create_response_from_buffer) X(MHD_destroy_response) \
	X(MHD_get_connection_values) X(MHD_is_feature_supported) \
	X(MHD_lookup_connection_value) X(MHD_queue_response) X(MHD_start_daemon) \
	X(MHD_stop_daemon)

static DYNLIB_TABLE(LIBMICROHTTPD_FUNCS) L;
static const char *const libmicrohttpd_names[] = {LIBMICROHTTPD_FUNCS(DYNLIB_NAME)};
static struct dynlib libmicrohttpd =
	DYNLIB_INIT(WALCAP_LIBMICROHTTPD_SONAME, "libmicrohttpd12", libmicrohttpd_names, L);

#define HTTPD_TLS_FILE_MAX (1024 * 1024)

struct httpd
{
	struct MHD_Daemon *daemon;
	int			fd;
	int			port;
	char	   *token;
	size_t		max_body;
	char	   *cert;
	char	   *key;
	httpd_handler handler;
	void	   *arg;
};

/* One request in progress: its body as it arrives. */
struct reqctx
{
	struct buf	body;
	int			too_large;
};

static int
split_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	size_t		n;

	if (listen[0] == '[')
	{
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		n = (size_t) (close - listen - 1);
		colon = close + 1;
		if (n >= hostlen)
			return -1;
		memcpy(host, listen + 1, n);
		host[n] = '\0';
	}
	else
	{
		colon = strrchr(listen, ':');
		if (colon == NULL)
			return -1;
		n = (size_t) (colon - listen);
		if (n >= hostlen || memchr(listen, ':', n) != NULL)
			return -1;
		memcpy(host, listen, n);
		host[n] = '\0';
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= portlen ||
		strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535)
		return -1;
	strcpy(port, colon + 1);
	return 0;
}

int
httpd_listen_valid(const char *listen)
{
	char		host[256];
	char		port[8];

	return split_listen(listen, host, sizeof(host), port, sizeof(port)) == 0;
}

int
httpd_listen_is_loopback(const char *listen)
{
	char		host[256];
	char		port[8];

	if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0)
		return 0;
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
		strcmp(host, "::1") == 0;
}

static int
bind_listen(const char *addr, int *port_out, char *err, size_t errlen)
{
	char		host[256];
	char		port[8];
	struct addrinfo hints = {0};
	struct addrinfo *res = NULL;
	int			rc;
	int			fd = -1;
	int			saved = 0;

	if (split_listen(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return errbuf_fail(err, errlen,
						   "\"%s\" is not a listen address; write host:port, "
						   "[ipv6]:port or :port (every address)", addr);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return errbuf_fail(err, errlen, "cannot listen on %s: %s", addr, gai_strerror(rc));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
	{
		int			one = 1;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
		{
			saved = errno;
			continue;
		}
		(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
	{
		errbuf_fail(err, errlen, "cannot listen on %s: %s%s", addr, strerror(saved),
					saved == EADDRINUSE ? " (another process has that port: stop it "
					"or choose another port)" : "");
		return -1;
	}
	{
		struct sockaddr_storage ss;
		socklen_t	sl = sizeof(ss);

		*port_out = 0;
		if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0)
		{
			if (ss.ss_family == AF_INET)
				*port_out = ntohs(((struct sockaddr_in *) &ss)->sin_port);
			else if (ss.ss_family == AF_INET6)
				*port_out = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
		}
	}
	return fd;
}

void
httpd_error(struct httpd_response *resp, int status, const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_printf(&resp->body, "{\"error_code\":%d,\"message\":", status);
	json_cstring(&resp->body, msg);
	buf_putc(&resp->body, '}');
}

const char *
httpd_arg(const struct httpd_request *req, const char *key)
{
	for (int i = 0; i < req->nargs; i++)
		if (strcmp(req->arg_keys[i], key) == 0)
			return req->arg_values[i];
	return NULL;
}

int
httpd_arg_is(const struct httpd_request *req, const char *key, const char *value)
{
	for (int i = 0; i < req->nargs; i++)
		if (strcmp(req->arg_keys[i], key) == 0 && strcmp(req->arg_values[i], value) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct httpd_request *req = cls;

	(void) kind;
	if (req->nargs < HTTPD_MAX_ARGS)
	{
		req->arg_keys[req->nargs] = key;
		req->arg_values[req->nargs] = value ? value : "";
		req->nargs++;
	}
	return MHD_YES;
}

/* Constant-time comparison: the token is a secret. */
static int
token_ok(const char *want, const char *header)
{
	size_t		wl = strlen(want);
	size_t		hl;
	unsigned char diff = 0;

	if (header == NULL || strncmp(header, "Bearer ", 7) != 0)
		return 0;
	header += 7;
	hl = strlen(header);
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char) want[i] ^ (unsigned char) (i < hl ? header[i] : 0);
	return diff == 0 && hl == wl;
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct httpd_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (buf_failed(&resp->body))
	{
		buf_reset(&resp->body);
		httpd_error(resp, 500, "the response did not fit in memory");
	}
	r = L.MHD_create_response_from_buffer(resp->body.len, resp->body.len ? resp->body.data : (void *) "",
										  MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (resp->status != 204)
		L.MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->cache_control != NULL)
		L.MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control);
	L.MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = L.MHD_queue_response(conn, (unsigned int) resp->status, r);
	L.MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
		   const char *version, const char *upload_data, size_t *upload_data_size,
		   void **con_cls)
{
	struct httpd *h = cls;
	struct reqctx *ctx = *con_cls;
	struct httpd_request req;
	struct httpd_response resp;
	enum MHD_Result ret;

	(void) version;
	if (ctx == NULL)
	{
		const char *cl;

		ctx = calloc(1, sizeof(*ctx));
		if (ctx == NULL)
			return MHD_NO;
		buf_init(&ctx->body, h->max_body + 1);
		*con_cls = ctx;
		cl = L.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > h->max_body)
			ctx->too_large = 1;
		return MHD_YES;
	}
	if (*upload_data_size != 0)
	{
		if (!ctx->too_large)
		{
			if (ctx->body.len + *upload_data_size > h->max_body)
				ctx->too_large = 1;
			else
				buf_append(&ctx->body, upload_data, *upload_data_size);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.content_type = "application/json";
	buf_init(&resp.body, BUF_DEFAULT_MAX);
	if (h->token != NULL &&
		!token_ok(h->token, L.MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
														  MHD_HTTP_HEADER_AUTHORIZATION)))
		httpd_error(&resp, 401, "this server needs its bearer token: send the header "
					"\"Authorization: Bearer <token>\" with the token of server.auth.token.file");
	else if (ctx->too_large || buf_failed(&ctx->body))
		httpd_error(&resp, 413, "the request body is larger than %zu bytes", h->max_body);
	else
	{
		req.method = method;
		req.path = url;
		req.accept = L.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
		req.body = ctx->body.len ? ctx->body.data : "";
		req.body_len = ctx->body.len;
		L.MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
		h->handler(h->arg, &req, &resp);
	}
	ret = send_response(conn, &resp);
	buf_free(&resp.body);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct reqctx *ctx = *con_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (ctx != NULL)
	{
		buf_free(&ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		msg[512];

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_msg(LOGL_DEBUG, "http: %s", msg);
}

static char *
read_pem(const char *what, const char *path, char *err, size_t errlen)
{
	char		why[512];
	size_t		len;
	char	   *pem = file_read_all(path, HTTPD_TLS_FILE_MAX, &len, why, sizeof(why));

	if (pem == NULL)
		errbuf_fail(err, errlen, "cannot read %s %s: %s", what, path,
					errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	else if (len == 0)
	{
		free(pem);
		pem = NULL;
		errbuf_fail(err, errlen, "%s %s is empty", what, path);
	}
	return pem;
}

struct httpd *
httpd_start(const struct httpd_opts *opts, httpd_handler handler, void *arg,
			char *err, size_t errlen)
{
	struct httpd *h = calloc(1, sizeof(*h));
	struct MHD_OptionItem o[12];
	int			no = 0;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	if (h == NULL)
	{
		errbuf_fail(err, errlen, "out of memory");
		return NULL;
	}
	if (dynlib_load(&libmicrohttpd, err, errlen) != 0)
	{
		free(h);
		return NULL;
	}
	h->fd = -1;
	h->handler = handler;
	h->arg = arg;
	h->max_body = opts->max_body;
	if (opts->token != NULL && (h->token = strdup(opts->token)) == NULL)
		goto oom;
	if ((opts->tls_cert_file == NULL) != (opts->tls_key_file == NULL))
	{
		errbuf_fail(err, errlen, "TLS needs both a certificate and its key file");
		goto fail;
	}
	if (opts->tls_cert_file != NULL)
	{
		if (!L.MHD_is_feature_supported(MHD_FEATURE_TLS))
		{
			errbuf_fail(err, errlen, "this libmicrohttpd was built without TLS");
			goto fail;
		}
		if ((h->cert = read_pem("TLS certificate", opts->tls_cert_file, err, errlen)) == NULL ||
			(h->key = read_pem("TLS key", opts->tls_key_file, err, errlen)) == NULL)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if (opts->threads)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	h->fd = bind_listen(opts->listen, &h->port, err, errlen);
	if (h->fd < 0)
		goto fail;

	o[no++] = (struct MHD_OptionItem) {MHD_OPTION_LISTEN_SOCKET, h->fd, NULL};
	o[no++] = (struct MHD_OptionItem) {MHD_OPTION_CONNECTION_LIMIT, 64, NULL};
	o[no++] = (struct MHD_OptionItem) {MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL};
	if (h->cert != NULL)
	{
		o[no++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert};
		o[no++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key};
	}
	o[no++] = (struct MHD_OptionItem) {MHD_OPTION_END, 0, NULL};

	/* Function pointers cannot travel in an option item, so these go as varargs. */
	h->daemon = L.MHD_start_daemon(flags | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
								   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
								   MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
								   MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	if (h->daemon == NULL)
	{
		errbuf_fail(err, errlen, "cannot start the HTTP server on %s", opts->listen);
		goto fail;
	}
	return h;

oom:
	errbuf_fail(err, errlen, "out of memory");
fail:
	httpd_stop(h);
	return NULL;
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	if (h->daemon != NULL)
		L.MHD_stop_daemon(h->daemon);	/* closes the listening socket too */
	else if (h->fd >= 0)
		close(h->fd);
	free(h->token);
	if (h->key != NULL)
		secret_wipe(h->key, strlen(h->key));
	free(h->key);
	free(h->cert);
	free(h);
}

/*
 * sink_http.h — the HTTP sink's parts that need no network, in
 * sink_http_util.c: the checks of its keys (config.c calls them as
 * values are set), the framing of a POST's body, and what an answer
 * means (done, retry, stop) with the words walcap's messages use for
 * it.  The sink itself (sink_http.c) is opened through sink.h.
 *
 * Nothing here allocates except through the caller's buf; messages
 * written into why[] never quote the text they judge, so a URL or a
 * header value that holds a secret by mistake is not echoed.
 */
#ifndef WALCAP_SINK_HTTP_H
#define WALCAP_SINK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

/*
 * sink.http.url: http:// or https:// (any case), then a host, then
 * nothing but a port, a path and a query; no user:password@ (it would
 * show wherever the URL does: put it in sink.http.authorization), no
 * spaces or control characters.  0, or -1 with the reason in why.
 */
int			sink_http_url_check(const char *url, char *why, size_t whylen);

/*
 * The URL as messages show it: scheme://host[:port]/path, without a
 * query or fragment (they may carry a token), cut to outlen.
 */
void		sink_http_url_shown(const char *url, char *out, size_t outlen);

/* Whether v may be a header's value: no control character but tab. */
int			sink_http_value_ok(const char *v);

/*
 * A sink.http.header.<name> key: name an HTTP field name (RFC 9110
 * token characters), not one walcap or libcurl sets (Authorization
 * has its own key, a secret; Content-Length and Transfer-Encoding
 * frame the body), value one line (empty: the header is removed).  0, or -1 with the reason in why.
 */
int			sink_http_header_check(const char *name, const char *value,
								   char *why, size_t whylen);

/*
 * Body framing.  A body starts empty; sink_http_frame_add() appends a
 * run of framed values (each followed by '\n', as batch.h lays them
 * out: no other '\n' is in an event); sink_http_frame_end() completes
 * it.  ndjson: the run as it is, so a body is exactly what the stdout
 * sink writes for the same events.  array: "[" v1 "," v2 ... "]".
 * The buf's failed flag says whether memory ran out.
 */
void		sink_http_frame_add(struct buf *b, enum config_http_format f,
								const char *run, size_t len);
void		sink_http_frame_end(struct buf *b, enum config_http_format f);

/* What to do about a POST's outcome. */
enum sink_http_verdict
{
	SINK_HTTP_DONE,				/* answered 2xx: delivered */
	SINK_HTTP_RETRY,			/* 408, 429, 5xx, or a network failure */
	SINK_HTTP_STOP,				/* anything else: retrying cannot help */
};

/*
 * curl_code is the transfer's CURLcode (0: an answer came, status is
 * its code).  Failures of the network (refused, reset, timed out,
 * nothing answered, a name not resolved, a TLS handshake cut) retry;
 * a certificate not verified, a bad URL or option stops.
 */
enum sink_http_verdict sink_http_classify(long status, int curl_code);

/* RFC 9110's reason phrase of status, or "" for a code it does not name. */
const char *sink_http_reason(long status);

/*
 * The first line of an answer's body that is not blank, for a message:
 * trimmed, control characters as '?', at most outlen - 1 bytes (cut
 * with "..."), and every non-empty string of hide[0..nhide) in it as
 * "********" (a receiver may echo a request's headers back).
 */
void		sink_http_first_line(const char *body, size_t len,
								 const char *const *hide, int nhide,
								 char *out, size_t outlen);

/*
 * A Retry-After value in milliseconds: delay-seconds, or an HTTP-date
 * (IMF-fixdate) less now_unix (seconds since the epoch; 0 if past).
 * -1 if it is neither.
 */
int64_t		sink_http_retry_after_ms(const char *value, int64_t now_unix);

/*
 * The wait before retry n (1 = the first) of one POST: initial_ms
 * doubled n - 1 times; a Retry-After (retry_after_ms >= 0) instead when
 * longer; never more than max_ms.
 */
int64_t		sink_http_backoff_ms(int64_t initial_ms, int64_t max_ms, int n,
								 int64_t retry_after_ms);

#endif

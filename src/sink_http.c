/*
 * sink_http.c — the HTTP sink: events POSTed in batches to sink.http.url
 * through libcurl's multi interface, on walcap's own thread; see sink.h,
 * and sink_http.h for the parts that need no network.
 *
 * Bodies.  sink_write() copies whole records of the batch into a body (a
 * buf, kept and reused: no allocation per event once bodies have grown),
 * framed as sink.http.format says.  A body is closed and POSTed when it
 * holds sink.http.batch.max.events events or about
 * sink.http.batch.max.bytes, and when sink_sync() is called: the run
 * loop calls it whenever no more input waits (sink.h), so a change on a
 * quiet database is POSTed at once while a backlog goes in full bodies.
 * A body that could not be sent yet (the POSTs allowed are in flight)
 * goes on filling, and is sent as soon as one is answered.
 *
 * Order and confirmation.  Bodies wait in a ring in the order of their
 * events.  sink.delivered counts the events of the bodies, from the
 * oldest, that were all answered 2xx: a later body answered before an
 * earlier one counts only once the earlier one is.  Only those events
 * are confirmed to PostgreSQL (ack.h); after a crash the others are sent
 * again (at-least-once).  At most sink.http.max.in.flight bodies are
 * POSTed or waiting for a retry at once, 1 by default: the receiver then
 * gets every body in commit order, a retried one included.  The ring
 * holds that many bodies and the one filling; when it is full,
 * sink_write() takes nothing more and the loop waits for the sink's fd
 * (backpressure), so memory stays at max.in.flight + 1 bodies.
 *
 * Answers.  2xx: delivered.  408, 429, 5xx and network failures (refused,
 * reset, timed out, nothing answered): the same body again, after
 * sink.http.retry.interval.ms doubled at each retry up to
 * sink.http.retry.max.interval.ms (a Retry-After header instead, when
 * longer), each retry a WARNING with its cause and wait;
 * sink.http.retries of them at most (0: no limit).  Anything else (other
 * 4xx, 3xx: walcap follows no redirect, a certificate not verified):
 * the sink stops with the status, the first line of the answer's body
 * and what to fix, and nothing after the last 2xx is confirmed.
 *
 * The loop.  libcurl's sockets (CURLMOPT_SOCKETFUNCTION) and one timerfd
 * (libcurl's timer, CURLMOPT_TIMERFUNCTION, and the next retry) are
 * gathered in one epoll descriptor: the sink's fd, readable whenever
 * libcurl has something to do.  Every write, sync and wait first lets
 * libcurl act on what is ready, without blocking (drive()); the loop
 * waits for the fd beside the replication connection.  A thread of its
 * own, as librdkafka has, would need locks around the ring and its own
 * wake-ups, for nothing the loop does not already do: it keeps the whole
 * streaming path on one thread.
 *
 * Secrets.  sink.http.authorization and the secret sink.http.header.*
 * values (secret.h) go into headers built here in memory that is wiped
 * at close; libcurl never logs (no CURLOPT_VERBOSE).  Messages show the
 * URL without its query (sink_http_url_shown) and never a header; an
 * answer's first line has any of those values masked.
 */
#include "sink.h"
#include "sink_http.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CURL_DISABLE_TYPECHECK	/* its macros would hide the calls through L */
#include <curl/curl.h>

#include "clock.h"
#include "dynlib.h"
#include "event.h"
#include "log.h"
#include "secret.h"

#ifndef WALCAP_LIBCURL_SONAME
#error "WALCAP_LIBCURL_SONAME is unset: the Makefile found no libcurl.so (install libcurl4-openssl-dev)"
#endif

/*
 * libcurl, opened when an HTTP sink is checked or opened (src/dynlib.h):
 * it and what it links (OpenSSL's libssl, nghttp2, libssh2, LDAP, ...)
 * stay out of runs with another sink.  L.f is libcurl's f.
 */
#define LIBCURL_FUNCS(X) \
	X(curl_global_init) X(curl_version_info) X(curl_easy_init) X(curl_easy_cleanup) \
	X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_strerror) X(curl_easy_header) \
	X(curl_multi_init) X(curl_multi_cleanup) X(curl_multi_setopt) X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) X(curl_multi_socket_action) X(curl_multi_info_read) \
	X(curl_multi_strerror) X(curl_url) X(curl_url_set) X(curl_url_cleanup) \
	X(curl_url_strerror)

static DYNLIB_TABLE(LIBCURL_FUNCS) L;
static const char *const libcurl_names[] = {LIBCURL_FUNCS(DYNLIB_NAME)};
static struct dynlib libcurl =
	DYNLIB_INIT(WALCAP_LIBCURL_SONAME, "libcurl4", libcurl_names, L);

#define ANSWER_MAX 2048			/* bytes of an answer's body kept, for messages */
#define DRIVE_ROUNDS 64			/* drive()'s passes at most, per call */

enum req_state
{
	REQ_FREE = 0,
	REQ_FILLING,				/* taking events: the ring's newest */
	REQ_READY,					/* closed, waiting for a POST to be allowed */
	REQ_SENDING,				/* POSTed, not answered */
	REQ_WAITING,				/* failed, to be sent again at retry_at_us */
	REQ_DONE,					/* answered 2xx; an older one is not yet */
};

/* One body and the request that POSTs it. */
struct req
{
	CURL	   *easy;			/* its handle, kept: its options are set once */
	struct buf	body;
	uint64_t	nrecs;			/* records in the body */
	uint64_t	events;			/* events they end */
	enum req_state state;
	int			attempts;		/* POSTs of this body so far */
	int64_t		retry_at_us;	/* REQ_WAITING: when (mono_us) */
	char		answer[ANSWER_MAX];	/* the start of the answer's body */
	size_t		answer_len;
	char		curl_err[CURL_ERROR_SIZE];
};

struct http
{
	const struct config *cfg;	/* read-only; outlives the sink */
	CURLM	   *multi;
	struct curl_slist *headers;	/* nheaders nodes, built here, wiped at close */
	int			nheaders;
	const char *hide[32];		/* secret header values: masked in messages */
	int			nhide;
	int			epfd;			/* libcurl's sockets and tfd: the sink's fd */
	int			tfd;			/* timerfd: libcurl's timer and the next retry */
	int64_t		curl_due_us;	/* libcurl wants to be called then; -1: not */
	int64_t		armed_us;		/* tfd is armed for then; -1: not */
	struct req *reqs;			/* the ring */
	int			nreqs;			/* its size: max_in_flight + 1 */
	int			head;			/* the oldest body */
	int			count;			/* bodies in the ring */
	int			active;			/* SENDING or WAITING */
	int			max_in_flight;
	int			push_wanted;	/* send the filling body as soon as allowed */
	uint64_t	delivered;		/* events of the bodies answered 2xx, in order */
	char		shown[512];		/* the URL as messages show it */
	char		failure[1536];	/* why the sink stopped, or "" */
};

/* Load libcurl and initialise it once.  0, or -1 with err. */
static int
load(char *err, size_t errlen)
{
	static int	initialised;
	CURLcode	rc;

	if (dynlib_load(&libcurl, err, errlen) != 0)
		return -1;
	if (initialised)
		return 0;
	if ((rc = L.curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		return errbuf_fail(err, errlen, "libcurl could not start: %s", L.curl_easy_strerror(rc));
	initialised = 1;
	return 0;
}

int
sink_http_check(const struct config *c, char *err, size_t errlen)
{
	const curl_version_info_data *v;
	CURLU	   *u;
	CURLUcode	uc;

	if (c->http_url == NULL)
		return errbuf_fail(err, errlen, "sink.http.url is required when sink.type is http");
	if (load(err, errlen) != 0)
		return -1;
	if ((u = L.curl_url()) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	uc = L.curl_url_set(u, CURLUPART_URL, c->http_url, 0);
	L.curl_url_cleanup(u);
	if (uc != CURLUE_OK)
		return errbuf_fail(err, errlen, "sink.http.url: libcurl does not take it as a URL: %s",
						   L.curl_url_strerror(uc));
	v = L.curl_version_info(CURLVERSION_NOW);
	if (strncasecmp(c->http_url, "https:", 6) == 0 && !(v->features & CURL_VERSION_SSL))
		return errbuf_fail(err, errlen, "sink.http.url is https://, but this libcurl (%s) has no TLS",
						   v->version);
	if (c->http_ca != NULL && access(c->http_ca, R_OK) != 0)
		return errbuf_fail(err, errlen, "sink.http.ssl.ca.location: cannot read %s: %s",
						   c->http_ca, strerror(errno));
	return 0;
}

/* ---- libcurl's sockets and timer, in the epoll set ---- */

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct epoll_event ev;

	(void) easy;
	(void) socketp;
	if (what == CURL_POLL_REMOVE)
	{
		/* it may be closed already, and then out of the set */
		(void) epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
		(errno != ENOENT || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) &&
		h->failure[0] == '\0')
		snprintf(h->failure, sizeof(h->failure), "HTTP sink: epoll_ctl: %s", strerror(errno));
	return 0;
}

static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void) multi;
	h->curl_due_us = timeout_ms < 0 ? -1 : mono_us() + (int64_t) timeout_ms * 1000;
	return 0;
}

/* Keep the start of the answer's body; take all of it. */
static size_t
on_answer(char *data, size_t size, size_t nmemb, void *userp)
{
	struct req *r = userp;
	size_t		n = size * nmemb;
	size_t		room = sizeof(r->answer) - r->answer_len;

	memcpy(r->answer + r->answer_len, data, n < room ? n : room);
	r->answer_len += n < room ? n : room;
	return n;
}

/* The timerfd, armed for the earlier of libcurl's timer and the next retry. */
static void
arm(struct http *h)
{
	int64_t		next = h->curl_due_us;
	struct itimerspec its;

	for (int i = 0; i < h->count; i++)
	{
		const struct req *r = &h->reqs[(h->head + i) % h->nreqs];

		if (r->state == REQ_WAITING && (next < 0 || r->retry_at_us < next))
			next = r->retry_at_us;
	}
	if (next == h->armed_us)
		return;
	memset(&its, 0, sizeof(its));
	if (next >= 0)
	{
		its.it_value.tv_sec = next / 1000000;
		its.it_value.tv_nsec = (next % 1000000) * 1000;
		if (next == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0 && h->failure[0] == '\0')
		snprintf(h->failure, sizeof(h->failure), "HTTP sink: timerfd_settime: %s", strerror(errno));
	h->armed_us = next;
}

/* ---- requests ---- */

static void
failed(struct http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The sink stops: the first reason is kept, and returned by every later call. */
static void
failed(struct http *h, const char *fmt, ...)
{
	va_list		ap;

	if (h->failure[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(h->failure, sizeof(h->failure), fmt, ap);
	va_end(ap);
}

/* POST r's body (again, for a retry). */
static void
post(struct http *h, struct req *r)
{
	CURLMcode	mc;

	if (r->state == REQ_READY)
		h->active++;
	r->state = REQ_SENDING;
	r->attempts++;
	r->answer_len = 0;
	r->curl_err[0] = '\0';
	/* set here: the body's memory may have moved while it filled */
	L.curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body.data);
	L.curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) r->body.len);
	if ((mc = L.curl_multi_add_handle(h->multi, r->easy)) != CURLM_OK)
		failed(h, "HTTP sink: libcurl could not start a POST: %s", L.curl_multi_strerror(mc));
}

/* Send the READY bodies, oldest first, while POSTs are allowed. */
static void
start_ready(struct http *h)
{
	for (int i = 0; i < h->count && h->active < h->max_in_flight; i++)
	{
		struct req *r = &h->reqs[(h->head + i) % h->nreqs];

		if (r->state == REQ_READY)
			post(h, r);
	}
}

/* The filling body is complete: it goes as soon as a POST is allowed. */
static void
close_body(struct http *h, struct req *r)
{
	sink_http_frame_end(&r->body, h->cfg->http_format);
	r->state = REQ_READY;
	h->push_wanted = 0;
	start_ready(h);
}

/* The newest body if it is filling, or NULL. */
static struct req *
filling(struct http *h)
{
	struct req *t;

	if (h->count == 0)
		return NULL;
	t = &h->reqs[(h->head + h->count - 1) % h->nreqs];
	return t->state == REQ_FILLING ? t : NULL;
}

/*
 * Send what the filling body holds: now if a POST is allowed, else as
 * soon as one is (push_wanted, seen by complete()).
 */
static void
push(struct http *h)
{
	struct req *r = filling(h);

	if (r == NULL || r->nrecs == 0)
		return;
	if (h->active < h->max_in_flight)
		close_body(h, r);
	else
		h->push_wanted = 1;
}

/* The bodies answered 2xx at the ring's start leave it, their events delivered. */
static void
advance(struct http *h)
{
	while (h->count > 0 && h->reqs[h->head].state == REQ_DONE)
	{
		struct req *r = &h->reqs[h->head];

		h->delivered += r->events;
		r->state = REQ_FREE;
		/* a body an outsized event grew is given back */
		if (r->body.cap > (size_t) h->cfg->http_batch_bytes * 2 + 65536)
			buf_free(&r->body);
		buf_reset(&r->body);
		h->head = (h->head + 1) % h->nreqs;
		h->count--;
	}
}

/* What to fix, after a message that stops the sink on an answer. */
static const char *
stop_hint(long status)
{
	if (status == 401 || status == 403 || status == 407)
		return "check sink.http.authorization and the sink.http.header.* keys";
	if (status == 404 || status == 405 || status == 410 || status == 421)
		return "check sink.http.url";
	if (status == 413)
		return "lower sink.http.batch.max.bytes or sink.http.batch.max.events, or raise the receiver's limit";
	if (status == 415)
		return "check sink.http.format, or set sink.http.header.Content-Type";
	if (status >= 300 && status <= 399)
		return "walcap follows no redirect: set sink.http.url to the URL the receiver names";
	return "the receiver refuses these events: fix what it says (or sink.http.url, sink.http.format, the headers)";
}

/* One transfer of r ended with rc: done, to retry, or the sink stops. */
static void
complete(struct http *h, struct req *r, CURLcode rc)
{
	const struct config *c = h->cfg;
	long		status = 0;
	int64_t		retry_after = -1;
	enum sink_http_verdict v;
	char		cause[1024];
	char		line[512];
	char		location[256] = "";
	struct curl_header *hd;

	L.curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	v = sink_http_classify(status, (int) rc);
	if (rc == CURLE_OK && (status == 429 || status == 503) &&
		L.curl_easy_header(r->easy, "Retry-After", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
		retry_after = sink_http_retry_after_ms(hd->value, (int64_t) time(NULL));
	/* a redirect's target, as messages show a URL (no query: it may hold a token) */
	if (rc == CURLE_OK && status >= 300 && status <= 399 &&
		L.curl_easy_header(r->easy, "Location", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK &&
		sink_http_value_ok(hd->value))
	{
		char		shown[200];

		sink_http_url_shown(hd->value, shown, sizeof(shown));
		snprintf(location, sizeof(location), " (Location: %s)", shown);
	}
	L.curl_multi_remove_handle(h->multi, r->easy);
	if (h->failure[0] != '\0')
		return;
	if (v == SINK_HTTP_DONE)
	{
		if (r->attempts > 1)
			log_info("HTTP sink: POST %s answered %ld %s at attempt %d (%llu event%s)",
					 h->shown, status, sink_http_reason(status), r->attempts,
					 (unsigned long long) r->events, r->events == 1 ? "" : "s");
		r->state = REQ_DONE;
		h->active--;
		advance(h);
		if (h->push_wanted)
			push(h);
		start_ready(h);
		return;
	}
	if (rc != CURLE_OK)
		snprintf(cause, sizeof(cause), "failed: %s (curl error %d)",
				 r->curl_err[0] ? r->curl_err : L.curl_easy_strerror(rc), (int) rc);
	else
	{
		sink_http_first_line(r->answer, r->answer_len, h->hide, h->nhide, line, sizeof(line));
		snprintf(cause, sizeof(cause), "answered %ld%s%s%s%s%s", status,
				 sink_http_reason(status)[0] ? " " : "", sink_http_reason(status),
				 location, line[0] ? ": " : "", line);
	}
	if (v == SINK_HTTP_STOP)
	{
		if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
			failed(h, "HTTP sink: POST %s %s; the receiver's TLS certificate could not be verified: set sink.http.ssl.ca.location to the CA certificate that signed it (without it, the system's CAs)",
				   h->shown, cause);
		else if (rc != CURLE_OK)
			failed(h, "HTTP sink: POST %s %s", h->shown, cause);
		else
			failed(h, "HTTP sink: POST %s %s; %s; nothing after the last event answered 2xx is confirmed, and the next run sends it again",
				   h->shown, cause, stop_hint(status));
		return;
	}
	if (c->http_retries > 0 && r->attempts > c->http_retries)
	{
		failed(h, "HTTP sink: POST %s %s; giving up after %d attempts (sink.http.retries is %lld); nothing after the last event answered 2xx is confirmed, and the next run sends it again",
			   h->shown, cause, r->attempts, (long long) c->http_retries);
		return;
	}
	{
		int64_t		wait = sink_http_backoff_ms(c->http_retry_ms, c->http_retry_max_ms,
												r->attempts, retry_after);

		log_warning("HTTP sink: POST %s (%llu event%s) %s; retry %d in %lld ms%s",
					h->shown, (unsigned long long) r->events, r->events == 1 ? "" : "s",
					cause, r->attempts, (long long) wait, retry_after >= 0 ? " (Retry-After)" : "");
		r->state = REQ_WAITING;
		r->retry_at_us = mono_us() + wait * 1000;
	}
}

/* Take the transfers libcurl finished; whether there were any. */
static int
collect(struct http *h)
{
	CURLMsg    *m;
	int			left,
				any = 0;

	while ((m = L.curl_multi_info_read(h->multi, &left)) != NULL)
	{
		CURL	   *easy = m->easy_handle;
		CURLcode	rc = m->data.result;
		void	   *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		L.curl_easy_getinfo(easy, CURLINFO_PRIVATE, &r);
		if (r != NULL)
			complete(h, r, rc);
		any = 1;
	}
	return any;
}

/* Send again the bodies whose retry is due; whether there were any. */
static int
retry_due(struct http *h, int64_t now)
{
	int			any = 0;

	for (int i = 0; i < h->count; i++)
	{
		struct req *r = &h->reqs[(h->head + i) % h->nreqs];

		if (r->state == REQ_WAITING && r->retry_at_us <= now)
		{
			post(h, r);
			any = 1;
		}
	}
	return any;
}

/*
 * Let libcurl act on every socket that is ready and on its timer, take
 * what finished, send the retries that are due, until nothing more is
 * ready; never blocks.  Then arm the timerfd for what comes next.
 */
static void
drive(struct http *h)
{
	struct epoll_event ev[16];
	int			running;

	for (int round = 0; round < DRIVE_ROUNDS; round++)
	{
		int			n = epoll_wait(h->epfd, ev, 16, 0);
		int			acted = 0;
		int64_t		now;

		for (int i = 0; i < n; i++)
		{
			int			flags = 0;

			if (ev[i].data.fd == h->tfd)
			{
				uint64_t	expirations;

				if (read(h->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					failed(h, "HTTP sink: reading the timerfd: %s", strerror(errno));
				h->armed_us = -1;
				continue;
			}
			if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				flags |= CURL_CSELECT_IN;
			if (ev[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (ev[i].events & EPOLLERR)
				flags |= CURL_CSELECT_ERR;
			L.curl_multi_socket_action(h->multi, ev[i].data.fd, flags, &running);
			acted = 1;
		}
		now = mono_us();
		if (h->curl_due_us >= 0 && h->curl_due_us <= now)
		{
			h->curl_due_us = -1;
			L.curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
			acted = 1;
		}
		acted |= collect(h);
		if (h->failure[0] == '\0')
			acted |= retry_due(h, now);
		if (!acted)
			break;
	}
	arm(h);
}

/* ---- the sink ---- */

static int
http_write(struct sink *s, const struct batch *b, struct batch_pos *pos,
		   char *err, size_t errlen)
{
	struct http *h = s->impl;
	const struct config *c = h->cfg;

	drive(h);
	while (h->failure[0] == '\0' && pos->rec < b->nrecs)
	{
		struct req *r = filling(h);
		size_t		first = pos->rec,
					j = first,
					start = b->recs[first].value,
					end = start;

		if (r == NULL)
		{
			if (h->count == h->nreqs)
				break;			/* full: the loop waits for the fd */
			r = &h->reqs[(h->head + h->count) % h->nreqs];
			h->count++;
			r->state = REQ_FILLING;
			r->nrecs = r->events = 0;
			r->attempts = 0;
			buf_reset(&r->body);
		}
		/* the records that fit (the first always does) */
		while (j < b->nrecs && r->nrecs + (j - first) < (uint64_t) c->http_batch_events)
		{
			const struct batch_rec *rec = &b->recs[j];
			size_t		e = rec->value + rec->vlen + 1;

			if (r->nrecs + (j - first) > 0 &&
				r->body.len + (e - start) + 1 > (size_t) c->http_batch_bytes)
				break;
			if (!(rec->flags & BATCH_CONTINUES))
				r->events++;
			end = e;
			j++;
		}
		if (j > first)
		{
			sink_http_frame_add(&r->body, c->http_format, b->data.data + start, end - start);
			if (buf_failed(&r->body))
			{
				failed(h, "HTTP sink: out of memory for a body of %zu bytes", r->body.len + (end - start));
				break;
			}
			r->nrecs += j - first;
			pos->rec = j;
			pos->bytes = end;
		}
		if (j == first || r->nrecs >= (uint64_t) c->http_batch_events ||
			r->body.len + 1 >= (size_t) c->http_batch_bytes || j < b->nrecs)
			close_body(h, r);
	}
	drive(h);
	if (h->failure[0] != '\0')
		return errbuf_fail(err, errlen, "%s", h->failure);
	return 0;
}

static int
http_sync(struct sink *s, char *err, size_t errlen)
{
	struct http *h = s->impl;

	drive(h);
	push(h);
	drive(h);
	s->delivered = h->delivered;
	if (h->failure[0] != '\0')
		return errbuf_fail(err, errlen, "%s", h->failure);
	return 0;
}

static int
http_wait(struct sink *s, int timeout_ms, char *err, size_t errlen)
{
	struct http *h = s->impl;
	int64_t		until = mono_us() + (int64_t) timeout_ms * 1000;

	push(h);
	drive(h);
	while (h->count > 0 && h->failure[0] == '\0')
	{
		int64_t		left = (until - mono_us()) / 1000;
		struct pollfd p = {h->epfd, POLLIN, 0};

		if (left <= 0)
			break;
		if (poll(&p, 1, (int) left) < 0 && errno != EINTR)
			return errbuf_fail(err, errlen, "poll: %s", strerror(errno));
		drive(h);
	}
	return http_sync(s, err, errlen);
}

static void
http_close(struct sink *s)
{
	struct http *h = s->impl;

	if (h == NULL)
		return;
	for (int i = 0; h->reqs != NULL && i < h->nreqs; i++)
	{
		struct req *r = &h->reqs[i];

		if (r->easy != NULL)
		{
			if (h->multi != NULL && r->state == REQ_SENDING)
				L.curl_multi_remove_handle(h->multi, r->easy);
			L.curl_easy_cleanup(r->easy);
		}
		buf_free(&r->body);
	}
	if (h->multi != NULL)
		L.curl_multi_cleanup(h->multi);
	for (int i = 0; i < h->nheaders; i++)
		secret_free(h->headers[i].data);
	free(h->headers);
	free(h->reqs);
	if (h->tfd >= 0)
		close(h->tfd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
	s->impl = NULL;
	s->fd = -1;
}

static const struct sink_ops http_ops = {"http", http_write, http_sync, http_wait, http_close, NULL};

/*
 * The request headers, as libcurl's list (our own nodes, so that the
 * secret ones are wiped at close): Content-Type unless a
 * sink.http.header.* key gives one, no "Expect: 100-continue" (it would
 * cost a round trip per body), Authorization, then the user's headers.
 */
static int
build_headers(struct http *h, char *err, size_t errlen)
{
	const struct config *c = h->cfg;
	int			max = c->nhttp_headers + 3,
				ctype = 0;

	if ((h->headers = calloc((size_t) max, sizeof(*h->headers))) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	for (int i = 0; i < c->nhttp_headers; i++)
		if (strcasecmp(c->http_header_names[i], "Content-Type") == 0)
			ctype = 1;
	for (int i = -3; i < c->nhttp_headers; i++)
	{
		struct buf	t;
		const char *secret = NULL;

		buf_init(&t, SECRET_FILE_MAX * 2);
		if (i == -3 && !ctype)
			buf_printf(&t, "Content-Type: %s", c->http_format == CONFIG_HTTP_ARRAY ?
					   "application/json" : "application/x-ndjson");
		else if (i == -2)
			buf_puts(&t, "Expect:");
		else if (i == -1 && c->http_auth != NULL)
		{
			buf_printf(&t, "Authorization: %s", c->http_auth);
			secret = c->http_auth;
		}
		else if (i >= 0)
		{
			buf_printf(&t, "%s: %s", c->http_header_names[i], c->http_header_values[i]);
			if (config_http_header_secret(c->http_header_names[i]))
				secret = c->http_header_values[i];
		}
		if (t.len == 0)
			continue;
		if (buf_failed(&t))
		{
			secret_free(t.data);
			return errbuf_fail(err, errlen, "out of memory");
		}
		h->headers[h->nheaders].data = t.data;
		if (h->nheaders > 0)
			h->headers[h->nheaders - 1].next = &h->headers[h->nheaders];
		h->nheaders++;
		/* the whole value, then its credential alone ("Bearer <token>": the token) */
		if (secret != NULL && h->nhide + 2 <= (int) (sizeof(h->hide) / sizeof(h->hide[0])))
		{
			const char *sp = strchr(secret, ' ');

			h->hide[h->nhide++] = secret;
			if (sp != NULL && sp[1] != '\0')
				h->hide[h->nhide++] = sp + 1;
		}
	}
	return 0;
}

/* One request's handle, its options set once.  0, or -1 with err. */
static int
make_easy(struct http *h, struct req *r, char *err, size_t errlen)
{
	const struct config *c = h->cfg;
	CURLcode	rc = CURLE_OK;

	if ((r->easy = L.curl_easy_init()) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
#define SET(opt, val) do { if (rc == CURLE_OK) rc = L.curl_easy_setopt(r->easy, opt, val); } while (0)
	SET(CURLOPT_URL, c->http_url);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_HTTPHEADER, h->headers);
	SET(CURLOPT_USERAGENT, "walcap/" WALCAP_VERSION);
	SET(CURLOPT_TIMEOUT_MS, (long) c->http_timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long) c->http_connect_timeout_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->http_ca != NULL)
		SET(CURLOPT_CAINFO, c->http_ca);
	SET(CURLOPT_WRITEFUNCTION, on_answer);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_ERRORBUFFER, r->curl_err);
	SET(CURLOPT_PRIVATE, r);
#undef SET
	if (rc != CURLE_OK)
		return errbuf_fail(err, errlen, "libcurl refused an option of the HTTP sink: %s",
						   L.curl_easy_strerror(rc));
	return 0;
}

int
sink_http_open(struct sink *s, const struct config *c, char *err, size_t errlen)
{
	struct http *h;
	struct epoll_event ev;

	if (sink_http_check(c, err, errlen) != 0)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	h->cfg = c;
	h->epfd = h->tfd = -1;
	h->curl_due_us = h->armed_us = -1;
	h->max_in_flight = (int) c->http_max_in_flight;
	h->nreqs = h->max_in_flight + 1;
	sink_http_url_shown(c->http_url, h->shown, sizeof(h->shown));
	s->ops = &http_ops;
	s->impl = h;
	s->fd = -1;
	s->poll_events = POLLIN;
	s->counts = 1;
	s->driven = 1;
	s->finish_ms = c->http_flush_ms;
	s->finish_key = "sink.http.flush.timeout.ms";
	if ((h->reqs = calloc((size_t) h->nreqs, sizeof(*h->reqs))) == NULL)
	{
		errbuf_fail(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < h->nreqs; i++)
		buf_init(&h->reqs[i].body, BUF_DEFAULT_MAX);
	if ((h->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		(h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
	{
		errbuf_fail(err, errlen, "HTTP sink: %s: %s", h->epfd < 0 ? "epoll_create1" : "timerfd_create",
					strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = h->tfd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->tfd, &ev) != 0)
	{
		errbuf_fail(err, errlen, "HTTP sink: epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	if (build_headers(h, err, errlen) != 0)
		goto fail;
	if ((h->multi = L.curl_multi_init()) == NULL)
	{
		errbuf_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (L.curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
		L.curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
		L.curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
		L.curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
	{
		errbuf_fail(err, errlen, "libcurl refused the multi interface's callbacks");
		goto fail;
	}
	for (int i = 0; i < h->nreqs; i++)
		if (make_easy(h, &h->reqs[i], err, errlen) != 0)
			goto fail;
	s->fd = h->epfd;
	log_info("HTTP sink: POSTing %s to %s, %lld events or %lld bytes a body at most, %d at a time",
			 c->http_format == CONFIG_HTTP_ARRAY ? "JSON arrays" : "NDJSON", h->shown,
			 (long long) c->http_batch_events, (long long) c->http_batch_bytes, h->max_in_flight);
	return 0;
fail:
	http_close(s);
	s->ops = NULL;
	return -1;
}

/*
 * run_metrics.c — `walcap run`'s metrics: the live figures (struct
 * metrics_snap, counted into by apply, delivery and the snapshot), the
 * few the run loop adds (the session, positions, the WAL guard's
 * look), served on metrics.listen and written as report lines to
 * --report-fd for walcap server.  See run.h and docs/metrics.md.
 *
 * The loop owns the live figures; the listener's thread only ever
 * reads the published copy (metrics_publish), at most RUN_PUBLISH_US
 * old.  The report descriptor is non-blocking: a full pipe skips a
 * report (a line the pipe took part of is finished first, so the
 * server never reads half a line), and a closed one ends reporting,
 * never the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "run.h"

/* GET /metrics: the published copy, with the process' figures of now. */
static void
serve(void *arg, const struct httpd_request *req, struct httpd_response *resp)
{
	struct metrics_pub *pub = arg;
	struct metrics_snap *s;
	struct metrics_labelled one;

	if (strcmp(req->path, "/metrics") != 0)
	{
		httpd_error(resp, 404, "no such resource: %s (metrics are at /metrics)", req->path);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
	{
		httpd_error(resp, 405, "method %s is not allowed on /metrics; use GET", req->method);
		return;
	}
	/* a large struct: not on the listener thread's stack */
	if ((s = malloc(sizeof(*s))) == NULL)
	{
		httpd_error(resp, 500, "out of memory");
		return;
	}
	metrics_copy_published(pub, s);
	metrics_sample_process(s);
	s->sampled_ms = metrics_now_ms();
	one.connector = NULL;
	one.snap = s;
	metrics_render(&resp->body, &one, 1);
	free(s);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->cache_control = "no-store";
	if (buf_failed(&resp->body))
		httpd_error(resp, 500, "out of memory");
}

int
run_metrics_open(struct run *r)
{
	const struct config *c = r->cfg;
	int			fd = r->opts->report_fd;
	char		err[512];

	metrics_init(&r->met);
	r->report_fd = -1;
	buf_init(&r->report_rest, 1 << 20);
	r->metrics_on = c->metrics_listen != NULL || fd >= 0;
	if (!r->metrics_on)
		return 0;
	metrics_pub_init(&r->pub);
	metrics_sample_process(&r->met);
	r->ap.met = &r->met;
	r->dl.met = &r->met;
	r->snap.met = &r->met;
	r->health.check_at_start = 1;
	if (fd >= 0)
	{
		int			fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		{
			log_error("--report-fd %d: %s", fd, strerror(errno));
			log_hint("give an open descriptor, as in --report-fd 3 3>FILE");
			return EXIT_USAGE;
		}
		r->report_fd = fd;
	}
	if (c->metrics_listen)
	{
		struct httpd_opts o = {0};

		o.listen = c->metrics_listen;
		o.max_body = 0;
		o.threads = 0;
		r->httpd = httpd_start(&o, serve, &r->pub, err, sizeof(err));
		if (r->httpd == NULL)
		{
			log_error("metrics.listen: %s", err);
			return EXIT_RUNTIME;
		}
		log_info("serving metrics on http://%s/metrics", c->metrics_listen);
	}
	return 0;
}

/* What the loop knows itself, into the live figures. */
static void
refresh(struct run *r)
{
	struct metrics_snap *m = &r->met;
	uint64_t	confirmed = source_confirmed(&r->src);

	if (ack_confirmed(&r->dl.ack) > confirmed)
		confirmed = ack_confirmed(&r->dl.ack);
	m->confirmed_lsn = confirmed;
	m->retained_wal_bytes = r->health.retained_bytes;
	m->snapshot_paused = m->snapshot_running && r->snap.queue.paused;
	m->sampled_ms = metrics_now_ms();
	if (m->snapshot_running)
		m->snapshot_duration_s = (m->sampled_ms - m->snapshot_started_ms) / 1000;
}

/*
 * What changes while the loop idles or is worth publishing soon after:
 * when it differs from the published copy's, an idle wait ends in time
 * to publish it.
 */
static uint64_t
sig(const struct run *r)
{
	const struct metrics_snap *m = &r->met;

	return (uint64_t) (m->events_create + m->events_update + m->events_delete +
					   m->events_truncate + m->events_message + m->committed_transactions +
					   m->batches + m->sink_errors + m->reconnects + m->connected) +
		m->confirmed_lsn + m->received_lsn + (uint64_t) m->snapshot_running +
		(uint64_t) m->snapshot_remaining_tables + (uint64_t) m->retained_wal_bytes;
}

/* Write what fits of report_rest; stop reporting if the descriptor is gone. */
static void
write_rest(struct run *r)
{
	while (r->report_rest.len > 0)
	{
		ssize_t		n = write(r->report_fd, r->report_rest.data, r->report_rest.len);

		if (n > 0)
		{
			memmove(r->report_rest.data, r->report_rest.data + n, r->report_rest.len - (size_t) n);
			buf_truncate(&r->report_rest, r->report_rest.len - (size_t) n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;				/* full: the rest goes next time */
		log_warning("--report-fd %d: %s; no more metrics reports", r->report_fd,
					n < 0 ? strerror(errno) : "nothing written");
		r->report_fd = -1;
		buf_reset(&r->report_rest);
		return;
	}
}

/* One report line, unless the pipe still holds back part of the last. */
static void
report(struct run *r)
{
	if (r->report_fd < 0)
		return;
	if (r->report_rest.len > 0)
	{
		write_rest(r);
		if (r->report_rest.len > 0 || r->report_fd < 0)
			return;				/* skipped: the pipe is full */
	}
	metrics_sample_process(&r->met);
	buf_reset(&r->report_rest);
	metrics_report_line(&r->report_rest, &r->met);
	if (buf_failed(&r->report_rest))
	{
		buf_reset(&r->report_rest);
		return;
	}
	write_rest(r);
}

static void
schedule(struct run *r)
{
	r->next_metrics_us = INT64_MAX;
	if (r->httpd && r->next_publish_us < r->next_metrics_us)
		r->next_metrics_us = r->next_publish_us;
	if (r->report_fd >= 0 && r->next_report_us < r->next_metrics_us)
		r->next_metrics_us = r->next_report_us;
}

void
run_metrics_due(struct run *r, int64_t now_us)
{
	refresh(r);
	if (r->httpd && now_us >= r->next_publish_us)
	{
		metrics_publish(&r->pub, &r->met);
		r->published_sig = sig(r);
		r->next_publish_us = now_us + RUN_PUBLISH_US;
	}
	if (r->report_fd >= 0 && now_us >= r->next_report_us)
	{
		report(r);
		r->next_report_us = now_us + RUN_REPORT_US;
	}
	schedule(r);
}

void
run_metrics_now(struct run *r)
{
	if (!r->metrics_on)
		return;
	r->next_publish_us = r->next_report_us = 0;
	run_metrics_due(r, mono_us());
}

int64_t
run_metrics_next_us(struct run *r, int64_t until)
{
	if (!r->metrics_on)
		return until;
	if (r->report_fd >= 0 && r->next_report_us < until)
		until = r->next_report_us;
	if (r->httpd && r->next_publish_us < until)
	{
		refresh(r);
		if (sig(r) != r->published_sig)
			until = r->next_publish_us;
	}
	return until;
}

void
run_metrics_close(struct run *r, const char *error)
{
	if (r->metrics_on)
	{
		r->met.connected = 0;
		if (error)
			snprintf(r->met.last_error, sizeof(r->met.last_error), "%s", error);
		run_metrics_now(r);
	}
	httpd_stop(r->httpd);
	r->httpd = NULL;
	if (r->metrics_on)
		metrics_pub_destroy(&r->pub);
	r->metrics_on = 0;
	buf_free(&r->report_rest);
}

/*
 * sink.h — where events go.  A sink is a small vtable (base struct
 * first, as bbstreamer does) so that other sinks can be added beside the
 * reference ones: stdout and an append-only file (sink_fd.c), Kafka
 * (sink_kafka.c), HTTP (sink_http.c) and Redis Streams (sink_redis.c);
 * sink.c opens the one the configuration names.
 *
 * The run loop hands the sink whole batches (batch.h): stdout and file
 * write the framed values as bytes, Kafka sends each record as a
 * message to its topic with its key (and tombstone), HTTP copies the
 * framed values into the bodies it POSTs, Redis adds each record to the
 * stream named after its topic (XADD).  sink_write() may
 * take only part of a batch when the sink cannot accept more without
 * blocking (a full pipe, a full producer queue): it moves the batch
 * position on by what it took (a byte-stream sink by bytes, even in the
 * middle of a record; Kafka, HTTP and Redis by whole records), and the loop polls
 * sink_fd() for poll_events while it keeps the replication connection
 * alive.
 * sink_sync() makes everything written so far durable (stdout: nothing
 * more to do once written; file: fsync) — or, for a sink that counts
 * (Kafka, Redis), serves its delivery reports (Redis: its answers) and
 * sets delivered to the number of events, from the first written, that
 * are all durable.  Only what a
 * sink reports durable is ever confirmed to PostgreSQL (ack.h).
 *
 * A sink whose work moves only when it is called (driven: HTTP, whose
 * requests run on walcap's own thread through libcurl's multi
 * interface) holds what it takes until the request can go, and sends it
 * when sink_sync() is called: the run loop calls it whenever no more
 * input waits, and while that sink has undelivered events, the loop's
 * wait for input also wakes when its fd is ready (for poll_events),
 * and calls sink_sync() again.
 *
 * A transactional sink (Kafka with exactly.once.support=required) holds
 * what it is given in an open transaction: nothing counts as delivered
 * until sink_commit() adds the offset record that covers it and commits
 * both at once.
 */
#ifndef WALCAP_SINK_H
#define WALCAP_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"

struct sink;

struct sink_ops
{
	const char *name;
	/*
	 * Take what it can of b from *pos on, without blocking, and move
	 * *pos past it: bytes for every sink, records too for one that
	 * routes (only whole records; pos->bytes then stops at a record's
	 * end).  0, or -1 with err set.
	 */
	int			(*write) (struct sink *s, const struct batch *b, struct batch_pos *pos,
						  char *err, size_t errlen);
	int			(*sync) (struct sink *s, char *err, size_t errlen);
	/* wait up to timeout_ms for written events to become durable */
	int			(*wait) (struct sink *s, int timeout_ms, char *err, size_t errlen);
	void		(*close) (struct sink *s);

	/*
	 * Transactional sinks only (NULL otherwise): send key/value to topic
	 * and commit it with everything written since the last commit, in
	 * one transaction; delivered then counts every event written.  0, or
	 * -1 with err set: nothing of that transaction counts as delivered,
	 * and the sink takes nothing more.
	 */
	int			(*commit) (struct sink *s, const char *topic, const char *key,
						   const char *value, char *err, size_t errlen);
};

struct sink
{
	const struct sink_ops *ops;
	int			fd;				/* to poll while it is full */
	short		poll_events;	/* what to poll fd for while it is full */
	int			counts;			/* durability per event: see delivered */
	int			routed;			/* wants the records' topics and keys (batch.h) */
	int			driven;			/* moves only when called: see above */
	uint64_t	delivered;		/* events durable, counted from the first */
	/* a counting sink: how long a stop waits for delivery, and the key that says so */
	int64_t		finish_ms;
	const char *finish_key;
	void	   *impl;			/* the sink's own state: owned */
};

/*
 * Check the sink's configuration without connecting anywhere (for
 * Kafka: every kafka.* key through librdkafka).  0, or -1 with a message
 * naming the key in err.
 */
int		sink_check(const struct config *c, char *err, size_t errlen);

/*
 * Open the sink the configuration names.  For the file sink, keep_size
 * is the file size recorded with the last confirmed position (or
 * UINT64_MAX if unknown): bytes past it were written but never
 * confirmed, and PostgreSQL will send them again, so they are cut off.
 * *size is set to the file's length then (0 for other sinks).
 */
int		sink_open(struct sink *s, const struct config *c, uint64_t keep_size,
				  uint64_t *size, char *err, size_t errlen);

static inline int
sink_write(struct sink *s, const struct batch *b, struct batch_pos *pos,
		   char *err, size_t errlen)
{
	return s->ops->write(s, b, pos, err, errlen);
}

static inline int
sink_wait(struct sink *s, int timeout_ms, char *err, size_t errlen)
{
	return s->ops->wait(s, timeout_ms, err, errlen);
}

static inline int
sink_sync(struct sink *s, char *err, size_t errlen)
{
	return s->ops->sync(s, err, errlen);
}

static inline int
sink_commit(struct sink *s, const char *topic, const char *key, const char *value,
			char *err, size_t errlen)
{
	return s->ops->commit(s, topic, key, value, err, errlen);
}

static inline int
sink_fd(const struct sink *s)
{
	return s->fd;
}

void	sink_close(struct sink *s);

/* sink_fd.c */
int		sink_stdout_open(struct sink *s, char *err, size_t errlen);
int		sink_file_open(struct sink *s, const char *path, uint64_t keep_size,
					   uint64_t *size, char *err, size_t errlen);

/* sink_kafka.c */
int		sink_kafka_check(const struct config *c, char *err, size_t errlen);
int		sink_kafka_open(struct sink *s, const struct config *c, char *err, size_t errlen);

/* sink_http.c (and sink_http.h for its parts that need no network) */
int		sink_http_check(const struct config *c, char *err, size_t errlen);
int		sink_http_open(struct sink *s, const struct config *c, char *err, size_t errlen);
/* sink_redis.c */
int		sink_redis_check(const struct config *c, char *err, size_t errlen);
int		sink_redis_open(struct sink *s, const struct config *c, char *err, size_t errlen);

#endif

/*
 * sink.h — where events go.  A sink is a small vtable (base struct
 * first, as bbstreamer does) so that other sinks can be added beside the
 * reference ones here: stdout, an append-only file, and Kafka
 * (sink_kafka.c).
 *
 * The run loop hands the sink whole batches of newline-terminated
 * events, and for Kafka a routing record per event (event.h: topic,
 * key, tombstone).  sink_write() may take only part of a batch when the
 * sink cannot accept more without blocking (a full pipe, a full producer
 * queue): it returns how much it took, and the loop polls sink_fd() for
 * poll_events while it keeps the replication connection alive.
 * sink_sync() makes everything written so far durable (stdout: nothing
 * more to do once written; file: fsync) — or, for a sink that counts
 * (Kafka), serves its delivery reports and sets delivered to the number
 * of events, from the first written, that are all durable.  Only what a
 * sink reports durable is ever confirmed to PostgreSQL (ack.h).
 */
#ifndef WALCAP_SINK_H
#define WALCAP_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct sink;

struct sink_ops
{
	const char *name;
	/*
	 * Bytes taken (0 if it would block), or -1 with err set.  Only whole
	 * events are taken by a sink that uses meta; *meta_used is set to
	 * the bytes of their routing records.
	 */
	ssize_t		(*write) (struct sink *s, const char *data, size_t len,
						  const char *meta, size_t metalen, size_t *meta_used,
						  char *err, size_t errlen);
	int			(*sync) (struct sink *s, char *err, size_t errlen);
	/* wait up to timeout_ms for written events to become durable */
	int			(*wait) (struct sink *s, int timeout_ms, char *err, size_t errlen);
	void		(*close) (struct sink *s);
};

struct sink
{
	const struct sink_ops *ops;
	int			fd;
	int			restore_flags;	/* fd's flags before we set O_NONBLOCK, or -1 */
	char	   *path;			/* file sink: owned */
	uint64_t	size;			/* file sink: bytes in the file */
	short		poll_events;	/* what to poll fd for while it is full */
	int			counts;			/* durability per event: see delivered */
	int			routed;			/* wants the routing records (meta) */
	uint64_t	delivered;		/* events durable, counted from the first */
	void	   *impl;			/* the Kafka sink's state: owned */
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
 */
int		sink_open(struct sink *s, const struct config *c, uint64_t keep_size,
				  char *err, size_t errlen);

static inline ssize_t
sink_write(struct sink *s, const char *data, size_t len, const char *meta,
		   size_t metalen, size_t *meta_used, char *err, size_t errlen)
{
	*meta_used = 0;
	return s->ops->write(s, data, len, meta, metalen, meta_used, err, errlen);
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
sink_fd(const struct sink *s)
{
	return s->fd;
}

void	sink_close(struct sink *s);

/* sink_kafka.c */
int		sink_kafka_check(const struct config *c, char *err, size_t errlen);
int		sink_kafka_open(struct sink *s, const struct config *c, char *err, size_t errlen);

#endif

/*
 * sink.h — where events go.  A sink is a small vtable (base struct
 * first, as bbstreamer does) so that other sinks can be added beside the
 * reference ones here: stdout and an append-only file.
 *
 * The run loop hands the sink whole batches of newline-terminated
 * events.  sink_write() may take only part of a batch when the sink
 * cannot accept more without blocking (a full pipe): it returns how
 * much it took, and the loop polls sink_fd() for writability while it
 * keeps the replication connection alive.  sink_sync() makes everything
 * written so far durable (stdout: nothing more to do once written;
 * file: fsync).  Only what a sink reports durable is ever confirmed to
 * PostgreSQL (ack.h).
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
	/* bytes taken (0 if it would block), or -1 with err set */
	ssize_t		(*write) (struct sink *s, const char *data, size_t len,
						  char *err, size_t errlen);
	int			(*sync) (struct sink *s, char *err, size_t errlen);
	void		(*close) (struct sink *s);
};

struct sink
{
	const struct sink_ops *ops;
	int			fd;
	int			restore_flags;	/* fd's flags before we set O_NONBLOCK, or -1 */
	char	   *path;			/* file sink: owned */
	uint64_t	size;			/* file sink: bytes in the file */
};

/*
 * Open the sink the configuration names.  For the file sink, keep_size
 * is the file size recorded with the last confirmed position (or
 * UINT64_MAX if unknown): bytes past it were written but never
 * confirmed, and PostgreSQL will send them again, so they are cut off.
 */
int		sink_open(struct sink *s, const struct config *c, uint64_t keep_size,
				  char *err, size_t errlen);

static inline ssize_t
sink_write(struct sink *s, const char *data, size_t len, char *err, size_t errlen)
{
	return s->ops->write(s, data, len, err, errlen);
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

#endif

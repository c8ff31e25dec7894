/*
 * sink.c — the stdout and file sinks; see sink.h.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* write() as much as the descriptor takes now; shared by both sinks */
static ssize_t
fd_write(struct sink *s, const char *data, size_t len, const char *meta,
		 size_t metalen, size_t *meta_used, char *err, size_t errlen)
{
	size_t		done = 0;

	(void) meta;
	(void) metalen;
	(void) meta_used;

	while (done < len)
	{
		ssize_t		n = write(s->fd, data + done, len - done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			snprintf(err, errlen, "could not write to %s: %s",
					 s->path ? s->path : "standard output", strerror(errno));
			return -1;
		}
		done += (size_t) n;
	}
	s->size += done;
	return (ssize_t) done;
}

static int
stdout_sync(struct sink *s, char *err, size_t errlen)
{
	(void) s;
	(void) err;
	(void) errlen;
	return 0;
}

static int
file_sync(struct sink *s, char *err, size_t errlen)
{
	if (fsync(s->fd) != 0)
	{
		snprintf(err, errlen, "could not fsync %s: %s", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything written is durable once synced: nothing to wait for. */
static int
fd_wait(struct sink *s, int timeout_ms, char *err, size_t errlen)
{
	(void) timeout_ms;
	return s->ops->sync(s, err, errlen);
}

static void
fd_close(struct sink *s)
{
	if (s->restore_flags >= 0)
		(void) fcntl(s->fd, F_SETFL, s->restore_flags);
	if (s->path)
		close(s->fd);
	free(s->path);
	s->path = NULL;
	s->fd = -1;
}

static const struct sink_ops stdout_ops = {"stdout", fd_write, stdout_sync, fd_wait, fd_close};
static const struct sink_ops file_ops = {"file", fd_write, file_sync, fd_wait, fd_close};

/*
 * A pipe or socket reader can stall; make such a descriptor non-blocking
 * so a slow reader never stops the status updates that keep the
 * replication connection alive.  Terminals and files are left alone.
 */
static void
maybe_nonblock(struct sink *s)
{
	struct stat st;
	int			fl;

	s->restore_flags = -1;
	if (fstat(s->fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	fl = fcntl(s->fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return;
	if (fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) == 0)
		s->restore_flags = fl;
}

int
sink_open(struct sink *s, const struct config *c, uint64_t keep_size,
		  char *err, size_t errlen)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->restore_flags = -1;
	s->poll_events = POLLOUT;
	if (c->sink == CONFIG_SINK_KAFKA)
		return sink_kafka_open(s, c, err, errlen);
	if (c->sink == CONFIG_SINK_STDOUT)
	{
		s->ops = &stdout_ops;
		s->fd = STDOUT_FILENO;
		maybe_nonblock(s);
		return 0;
	}

	s->ops = &file_ops;
	s->path = strdup(c->sink_file_path);
	if (s->path == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (s->fd < 0 || fstat(s->fd, &st) != 0)
	{
		snprintf(err, errlen, "could not open sink.file.path %s: %s", s->path,
				 strerror(errno));
		free(s->path);
		s->path = NULL;
		return -1;
	}
	s->size = (uint64_t) st.st_size;
	if (keep_size != UINT64_MAX && s->size > keep_size)
	{
		log_info("cutting %llu bytes of unconfirmed events from the end of %s; PostgreSQL sends them again",
				 (unsigned long long) (s->size - keep_size), s->path);
		if (ftruncate(s->fd, (off_t) keep_size) != 0 || fsync(s->fd) != 0)
		{
			snprintf(err, errlen, "could not truncate %s: %s", s->path, strerror(errno));
			close(s->fd);
			free(s->path);
			s->path = NULL;
			return -1;
		}
		s->size = keep_size;
	}
	else if (keep_size != UINT64_MAX && s->size < keep_size)
		log_warning("%s is shorter (%llu bytes) than when its position was last confirmed (%llu bytes); it was truncated or replaced outside walcap",
					s->path, (unsigned long long) s->size,
					(unsigned long long) keep_size);
	if (lseek(s->fd, 0, SEEK_END) < 0)
	{
		snprintf(err, errlen, "could not seek in %s: %s", s->path, strerror(errno));
		close(s->fd);
		free(s->path);
		s->path = NULL;
		return -1;
	}
	return 0;
}

int
sink_check(const struct config *c, char *err, size_t errlen)
{
	if (c->sink == CONFIG_SINK_KAFKA)
		return sink_kafka_check(c, err, errlen);
	return 0;
}

void
sink_close(struct sink *s)
{
	if (s->ops)
		s->ops->close(s);
	s->ops = NULL;
}

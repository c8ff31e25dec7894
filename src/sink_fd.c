/*
 * sink_fd.c — the stdout and file sinks: the batch's framed values as a
 * byte stream on a descriptor; see sink.h.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct fd_sink
{
	char	   *path;			/* file sink: owned; NULL for stdout */
	int			restore_flags;	/* fd's flags before we set O_NONBLOCK, or -1 */
};

/* write() as much as the descriptor takes now; shared by both sinks */
static int
fd_write(struct sink *s, const struct batch *b, struct batch_pos *pos,
		 char *err, size_t errlen)
{
	struct fd_sink *f = s->impl;
	const char *data = b->data.data;
	size_t		len = batch_bytes(b);

	while (pos->bytes < len)
	{
		ssize_t		n = write(s->fd, data + pos->bytes, len - pos->bytes);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			snprintf(err, errlen, "could not write to %s: %s",
					 f->path ? f->path : "standard output", strerror(errno));
			return -1;
		}
		pos->bytes += (size_t) n;
	}
	return 0;
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
	struct fd_sink *f = s->impl;

	if (fsync(s->fd) != 0)
	{
		snprintf(err, errlen, "could not fsync %s: %s", f->path, strerror(errno));
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
	struct fd_sink *f = s->impl;

	if (f == NULL)
		return;
	if (f->restore_flags >= 0)
		(void) fcntl(s->fd, F_SETFL, f->restore_flags);
	if (f->path && s->fd >= 0)
		close(s->fd);
	free(f->path);
	free(f);
	s->impl = NULL;
	s->fd = -1;
}

static const struct sink_ops stdout_ops = {"stdout", fd_write, stdout_sync, fd_wait, fd_close, NULL};
static const struct sink_ops file_ops = {"file", fd_write, file_sync, fd_wait, fd_close, NULL};

/*
 * A pipe or socket reader can stall; make such a descriptor non-blocking
 * so a slow reader never stops the status updates that keep the
 * replication connection alive.  Terminals and files are left alone.
 */
static void
maybe_nonblock(struct sink *s, struct fd_sink *f)
{
	struct stat st;
	int			fl;

	f->restore_flags = -1;
	if (fstat(s->fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	fl = fcntl(s->fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return;
	if (fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) == 0)
		f->restore_flags = fl;
}

static struct fd_sink *
fd_state(struct sink *s, char *err, size_t errlen)
{
	struct fd_sink *f = calloc(1, sizeof(*f));

	if (f == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->restore_flags = -1;
	s->impl = f;
	return f;
}

int
sink_stdout_open(struct sink *s, char *err, size_t errlen)
{
	struct fd_sink *f = fd_state(s, err, errlen);

	if (f == NULL)
		return -1;
	s->ops = &stdout_ops;
	s->fd = STDOUT_FILENO;
	maybe_nonblock(s, f);
	return 0;
}

/* A failed open: close what is open and free the state. */
static int
file_fail(struct sink *s)
{
	fd_close(s);
	s->ops = NULL;
	return -1;
}

int
sink_file_open(struct sink *s, const char *path, uint64_t keep_size,
			   uint64_t *size, char *err, size_t errlen)
{
	struct fd_sink *f = fd_state(s, err, errlen);
	struct stat st;

	if (f == NULL)
		return -1;
	s->ops = &file_ops;
	s->fd = -1;
	f->path = strdup(path);
	if (f->path == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return file_fail(s);
	}
	s->fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (s->fd < 0 || fstat(s->fd, &st) != 0)
	{
		snprintf(err, errlen, "could not open sink.file.path %s: %s", f->path,
				 strerror(errno));
		return file_fail(s);
	}
	*size = (uint64_t) st.st_size;
	if (keep_size != UINT64_MAX && *size > keep_size)
	{
		log_info("cutting %llu bytes of unconfirmed events from the end of %s; PostgreSQL sends them again",
				 (unsigned long long) (*size - keep_size), f->path);
		if (ftruncate(s->fd, (off_t) keep_size) != 0 || fsync(s->fd) != 0)
		{
			snprintf(err, errlen, "could not truncate %s: %s", f->path, strerror(errno));
			return file_fail(s);
		}
		*size = keep_size;
	}
	else if (keep_size != UINT64_MAX && *size < keep_size)
		log_warning("%s is shorter (%llu bytes) than when its position was last confirmed (%llu bytes); it was truncated or replaced outside walcap",
					f->path, (unsigned long long) *size,
					(unsigned long long) keep_size);
	if (lseek(s->fd, 0, SEEK_END) < 0)
	{
		snprintf(err, errlen, "could not seek in %s: %s", f->path, strerror(errno));
		return file_fail(s);
	}
	return 0;
}

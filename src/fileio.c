/*
 * fileio.c — see fileio.h.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int
file_replace(const char *path, const void *data, size_t len, mode_t mode,
			 char *err, size_t errlen)
{
	struct buf	tmp;
	char	   *dircopy;
	int			fd;
	int			rc = -1;

	buf_init(&tmp, 0);
	buf_printf(&tmp, "%s.tmp", path);
	if (buf_failed(&tmp))
	{
		buf_free(&tmp);
		return errbuf_fail(err, errlen, "out of memory");
	}
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
	{
		errbuf_fail(err, errlen, "could not create %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	/* O_CREAT's mode does not apply to a leftover .tmp file */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
	{
		errbuf_fail(err, errlen, "could not write %s: %s", tmp.data, strerror(errno));
		close(fd);
		goto done;
	}
	if (close(fd) != 0)
	{
		errbuf_fail(err, errlen, "could not write %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	if (rename(tmp.data, path) != 0)
	{
		errbuf_fail(err, errlen, "could not rename %s to %s: %s", tmp.data, path,
					strerror(errno));
		goto done;
	}
	/* make the rename itself durable */
	dircopy = strdup(path);
	if (dircopy)
	{
		int			dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0)
		{
			(void) fsync(dfd);
			close(dfd);
		}
		free(dircopy);
	}
	rc = 0;
done:
	buf_free(&tmp);
	return rc;
}

char *
file_read_all(const char *path, size_t max, size_t *len_out, char *err, size_t errlen)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf	b;
	char		chunk[8192];
	ssize_t		n;
	int			saved;

	if (fd < 0)
	{
		saved = errno;
		errbuf_fail(err, errlen, "could not open %s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	buf_init(&b, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0)
	{
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			saved = errno;
			errbuf_fail(err, errlen, "could not read %s: %s", path, strerror(saved));
			goto fail;
		}
		buf_append(&b, chunk, (size_t) n);
		if (buf_failed(&b))
		{
			saved = EFBIG;
			errbuf_fail(err, errlen, "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	if (b.data == NULL)
		buf_grow(&b, 1);
	if (len_out != NULL)
		*len_out = b.len;
	return buf_take(&b);
fail:
	close(fd);
	buf_free(&b);
	errno = saved;
	return NULL;
}

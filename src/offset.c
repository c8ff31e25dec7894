/*
 * offset.c — the offset file; see offset.h.
 */
#include "offset.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lsn.h"

#define OFFSET_MAGIC "# walcap offset file, version 1: written by walcap, do not edit"

/* Copy the value into a fixed field; -1 if it does not fit. */
static int
set_field(char *dst, size_t dstlen, const char *v)
{
	size_t		n = strlen(v);

	if (n >= dstlen)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
parse_u64(const char *v, uint64_t *out)
{
	char	   *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

int
offset_load(const char *path, struct offset *o, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	int			lineno = 0;
	int			have_lsn = 0;

	memset(o, 0, sizeof(*o));
	if (f == NULL)
	{
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "could not open offset file %s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0)
	{
		char	   *eq;
		char	   *v;
		int			bad = 0;
		size_t		n = strlen(line);

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			bad = 1;
		else
		{
			*eq = '\0';
			v = eq + 1;
			if (strcmp(line, "system") == 0)
				bad = set_field(o->systemid, sizeof(o->systemid), v);
			else if (strcmp(line, "database") == 0)
				bad = set_field(o->dbname, sizeof(o->dbname), v);
			else if (strcmp(line, "slot") == 0)
				bad = set_field(o->slot, sizeof(o->slot), v);
			else if (strcmp(line, "lsn") == 0)
				bad = lsn_parse(v, &o->lsn), have_lsn = 1;
			else if (strcmp(line, "sink.file.path") == 0)
				bad = set_field(o->sink_path, sizeof(o->sink_path), v);
			else if (strcmp(line, "sink.file.size") == 0)
				bad = parse_u64(v, &o->sink_size);
			else if (strcmp(line, "snapshot") == 0)
			{
				free(o->snapshot);
				o->snapshot = strdup(v);
				bad = o->snapshot == NULL;
			}
			/* unknown keys are left for newer versions */
		}
		if (bad)
		{
			snprintf(err, errlen, "offset file %s:%d is not valid; move it away to start from the slot's position",
					 path, lineno);
			fclose(f);
			free(line);
			offset_clear(o);
			return -1;
		}
	}
	fclose(f);
	free(line);
	if (!have_lsn)
	{
		offset_clear(o);
		snprintf(err, errlen, "offset file %s has no lsn line; move it away to start from the slot's position",
				 path);
		return -1;
	}
	return 1;
}

int
offset_save(const char *path, const struct offset *o, char *err, size_t errlen)
{
	struct buf	tmp;
	struct buf	body;
	char	   *dircopy = NULL;
	int			fd = -1;
	int			rc = -1;

	buf_init(&tmp, 0);
	buf_init(&body, 0);
	buf_printf(&tmp, "%s.tmp", path);
	buf_printf(&body, OFFSET_MAGIC "\nsystem=%s\ndatabase=%s\nslot=%s\nlsn=" LSN_FMT "\n",
			   o->systemid, o->dbname, o->slot, LSN_ARGS(o->lsn));
	if (o->sink_path[0])
		buf_printf(&body, "sink.file.path=%s\nsink.file.size=%llu\n",
				   o->sink_path, (unsigned long long) o->sink_size);
	if (o->snapshot && o->snapshot[0])
		buf_printf(&body, "snapshot=%s\n", o->snapshot);
	if (buf_failed(&tmp) || buf_failed(&body))
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		snprintf(err, errlen, "could not create %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	if (write(fd, body.data, body.len) != (ssize_t) body.len || fsync(fd) != 0)
	{
		snprintf(err, errlen, "could not write %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	if (close(fd) != 0)
	{
		fd = -1;
		snprintf(err, errlen, "could not write %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0)
	{
		snprintf(err, errlen, "could not rename %s to %s: %s", tmp.data, path,
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
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	free(dircopy);
	buf_free(&tmp);
	buf_free(&body);
	return rc;
}

void
offset_clear(struct offset *o)
{
	free(o->snapshot);
	o->snapshot = NULL;
}

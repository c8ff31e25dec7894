/*
 * offset.c — the offset file; see offset.h.
 */
#include "offset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"
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
	struct buf	body;
	int			rc;

	buf_init(&body, 0);
	buf_printf(&body, OFFSET_MAGIC "\nsystem=%s\ndatabase=%s\nslot=%s\nlsn=" LSN_FMT "\n",
			   o->systemid, o->dbname, o->slot, LSN_ARGS(o->lsn));
	if (o->sink_path[0])
		buf_printf(&body, "sink.file.path=%s\nsink.file.size=%llu\n",
				   o->sink_path, (unsigned long long) o->sink_size);
	if (o->snapshot && o->snapshot[0])
		buf_printf(&body, "snapshot=%s\n", o->snapshot);
	if (buf_failed(&body))
		rc = errbuf_fail(err, errlen, "out of memory");
	else
		rc = file_replace(path, body.data, body.len, 0600, err, errlen);
	buf_free(&body);
	return rc;
}

void
offset_clear(struct offset *o)
{
	free(o->snapshot);
	o->snapshot = NULL;
}

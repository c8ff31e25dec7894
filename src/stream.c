/*
 * stream.c — streamed transactions spilled to files until they end.  See
 * stream.h.
 *
 * A spill file is a run of records, each a header (message length,
 * subtransaction xid, WAL position; host byte order: the file never
 * leaves this process) and the message.  It is written with plain
 * write(2) and never synced: a crash loses it, and the server then
 * sends the transaction again.
 */
#include "stream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STREAM_IO_SIZE (64 * 1024)

struct rec_head
{
	uint32_t	len;
	uint32_t	subxid;
	uint64_t	lsn;
};

static void
file_name(const struct stream *s, uint32_t xid, char *path, size_t n)
{
	snprintf(path, n, "%s/%s.%u.spill", s->dir, s->slot, xid);
}

static void
drop_txn(struct stream *s, struct stream_txn *t)
{
	char		path[4096];

	for (struct stream_txn **p = &s->txns; *p; p = &(*p)->next)
		if (*p == t)
		{
			*p = t->next;
			break;
		}
	if (s->cur == t)
	{
		s->cur = NULL;
		buf_reset(&s->wbuf);
	}
	if (t->fd >= 0)
		close(t->fd);
	file_name(s, t->xid, path, sizeof(path));
	unlink(path);
	free(t->aborted);
	free(t);
}

static struct stream_txn *
find_txn(struct stream *s, uint32_t xid)
{
	for (struct stream_txn *t = s->txns; t; t = t->next)
		if (t->xid == xid)
			return t;
	return NULL;
}

int
stream_init(struct stream *s, const char *dir, const char *slot,
			char *err, size_t errlen)
{
	DIR		   *d;
	struct dirent *e;
	size_t		plen = strlen(slot);

	memset(s, 0, sizeof(*s));
	s->rfd = -1;
	buf_init(&s->wbuf, 0);
	buf_init(&s->rbuf, 0);
	s->dir = strdup(dir);
	s->slot = strdup(slot);
	if (s->dir == NULL || s->slot == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
	{
		snprintf(err, errlen, "cannot create streaming.spill.dir \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	if ((d = opendir(dir)) == NULL)
	{
		snprintf(err, errlen, "cannot read streaming.spill.dir \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	/* <slot>.<xid>.spill of an earlier process: the server sends it again */
	while ((e = readdir(d)) != NULL)
	{
		size_t		n = strlen(e->d_name);
		char		path[4096];

		if (n > plen + 7 && strncmp(e->d_name, slot, plen) == 0 && e->d_name[plen] == '.' &&
			strcmp(e->d_name + n - 6, ".spill") == 0 &&
			strspn(e->d_name + plen + 1, "0123456789") == n - plen - 7)
		{
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
	return 0;
}

void
stream_reset(struct stream *s)
{
	while (s->txns)
		drop_txn(s, s->txns);
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->replay = NULL;
	s->phase = 0;
	buf_reset(&s->rbuf);
	buf_reset(&s->wbuf);
}

void
stream_free(struct stream *s)
{
	if (s->dir == NULL)
		return;
	stream_reset(s);
	buf_free(&s->wbuf);
	buf_free(&s->rbuf);
	free(s->dir);
	free(s->slot);
	s->dir = s->slot = NULL;
}

static int
flush_cur(struct stream *s, char *err, size_t errlen)
{
	size_t		off = 0;

	while (s->cur && off < s->wbuf.len)
	{
		ssize_t		n = write(s->cur->fd, s->wbuf.data + off, s->wbuf.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			snprintf(err, errlen, "cannot write the spill file of streamed transaction %u in \"%s\": %s (streaming.spill.dir needs room for the largest transaction in progress)",
					 s->cur->xid, s->dir, n < 0 ? strerror(errno) : "no progress");
			return -1;
		}
		off += (size_t) n;
	}
	buf_reset(&s->wbuf);
	return 0;
}

int
stream_start(struct stream *s, uint32_t xid, int first, char *err, size_t errlen)
{
	struct stream_txn *t = find_txn(s, xid);
	char		path[4096];

	if (t && first)
	{
		/* sent again from its start: what came before is void */
		drop_txn(s, t);
		t = NULL;
	}
	if (t == NULL)
	{
		if (!first)
		{
			snprintf(err, errlen, "the server continued streamed transaction %u, whose first block walcap did not receive", xid);
			return -1;
		}
		if ((t = calloc(1, sizeof(*t))) == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->xid = xid;
		file_name(s, xid, path, sizeof(path));
		t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (t->fd < 0)
		{
			snprintf(err, errlen, "cannot create spill file \"%s\": %s", path, strerror(errno));
			free(t);
			return -1;
		}
		t->next = s->txns;
		s->txns = t;
		s->streamed_txns++;
	}
	s->cur = t;
	return 0;
}

int
stream_stop(struct stream *s, char *err, size_t errlen)
{
	int			rc = flush_cur(s, err, errlen);

	s->cur = NULL;
	return rc;
}

int
stream_spill(struct stream *s, uint32_t subxid, uint64_t lsn, char type,
			 const char *rest, size_t restlen, char *err, size_t errlen)
{
	size_t		len = restlen + 1;
	struct rec_head h = {.len = (uint32_t) len, .subxid = subxid, .lsn = lsn};

	if (s->cur == NULL)
	{
		snprintf(err, errlen, "a streamed message outside a Stream Start/Stop block");
		return -1;
	}
	if (len > UINT32_MAX)
	{
		snprintf(err, errlen, "a streamed message of %zu bytes", len);
		return -1;
	}
	buf_append(&s->wbuf, &h, sizeof(h));
	buf_putc(&s->wbuf, type);
	buf_append(&s->wbuf, rest, restlen);
	if (buf_failed(&s->wbuf))
	{
		snprintf(err, errlen, "out of memory spilling a streamed message");
		return -1;
	}
	s->cur->nmsgs++;
	s->cur->bytes += sizeof(h) + len;
	s->spilled_bytes += sizeof(h) + len;
	if (s->wbuf.len >= STREAM_IO_SIZE)
		return flush_cur(s, err, errlen);
	return 0;
}

int
stream_abort(struct stream *s, uint32_t xid, uint32_t subxid, char *err, size_t errlen)
{
	struct stream_txn *t = find_txn(s, xid);

	if (t == NULL)
		return 0;				/* aborted before anything was streamed to us */
	if (subxid == xid)
	{
		drop_txn(s, t);
		return 0;
	}
	if (t->naborted == t->capaborted)
	{
		size_t		cap = t->capaborted ? 2 * t->capaborted : 16;
		uint32_t   *a = realloc(t->aborted, cap * sizeof(*a));

		if (a == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->aborted = a;
		t->capaborted = cap;
	}
	t->aborted[t->naborted++] = subxid;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	return x < y ? -1 : x > y;
}

static void
put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
}

int
stream_replay_begin(struct stream *s, uint32_t xid, uint64_t commit_lsn,
					uint64_t end_lsn, int64_t commit_ts, uint64_t at,
					char *err, size_t errlen)
{
	struct stream_txn *t = find_txn(s, xid);
	char		path[4096];

	if (t == NULL)
	{
		snprintf(err, errlen, "Stream Commit of transaction %u, which the server never streamed to walcap", xid);
		return -1;
	}
	if (s->cur == t && stream_stop(s, err, errlen) != 0)
		return -1;
	close(t->fd);
	t->fd = -1;
	file_name(s, xid, path, sizeof(path));
	if ((s->rfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
	{
		snprintf(err, errlen, "cannot read spill file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (t->naborted > 1)
		qsort(t->aborted, t->naborted, sizeof(uint32_t), cmp_u32);
	s->replay = t;
	buf_reset(&s->rbuf);
	s->rpos = 0;
	s->phase = 1;
	s->commit_at = at;
	s->first_lsn = 0;
	/* Begin: 'B', final LSN, commit time, xid */
	s->begin[0] = 'B';
	put_be(s->begin + 1, commit_lsn, 8);
	put_be(s->begin + 9, (uint64_t) commit_ts, 8);
	put_be(s->begin + 17, xid, 4);
	/* Commit: 'C', flags, commit LSN, end LSN, commit time */
	s->commit[0] = 'C';
	s->commit[1] = 0;
	put_be(s->commit + 2, commit_lsn, 8);
	put_be(s->commit + 10, end_lsn, 8);
	put_be(s->commit + 18, (uint64_t) commit_ts, 8);
	return 0;
}

/* Make rbuf hold n bytes from rpos on; 1, 0 at the end of the file, -1. */
static int
fill(struct stream *s, size_t n, char *err, size_t errlen)
{
	while (s->rbuf.len - s->rpos < n)
	{
		ssize_t		got;
		size_t		want;

		if (s->rpos > 0)
		{
			memmove(s->rbuf.data, s->rbuf.data + s->rpos, s->rbuf.len - s->rpos);
			buf_truncate(&s->rbuf, s->rbuf.len - s->rpos);
			s->rpos = 0;
		}
		/* what is missing, and at least a whole read's worth */
		want = n - s->rbuf.len;
		if (want < STREAM_IO_SIZE)
			want = STREAM_IO_SIZE;
		if (buf_grow(&s->rbuf, want) != 0)
		{
			snprintf(err, errlen, "out of memory reading back a streamed transaction");
			return -1;
		}
		got = read(s->rfd, s->rbuf.data + s->rbuf.len, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
		{
			snprintf(err, errlen, "cannot read back streamed transaction %u: %s", s->replay->xid, strerror(errno));
			return -1;
		}
		if (got == 0)
			return 0;
		s->rbuf.len += (size_t) got;
	}
	return 1;
}

static int
aborted(const struct stream_txn *t, uint32_t subxid)
{
	return t->naborted > 0 &&
		bsearch(&subxid, t->aborted, t->naborted, sizeof(uint32_t), cmp_u32) != NULL;
}

int
stream_replay_next(struct stream *s, const char **msg, size_t *len,
				   uint64_t *lsn, char *err, size_t errlen)
{
	struct rec_head h;
	int			rc;

	switch (s->phase)
	{
		case 1:
			s->phase = 2;
			*msg = (const char *) s->begin;
			*len = sizeof(s->begin);
			*lsn = s->commit_at;
			return 1;
		case 2:
			for (;;)
			{
				if ((rc = fill(s, sizeof(h), err, errlen)) < 0)
					return -1;
				if (rc == 0)
				{
					if (s->rbuf.len != s->rpos)
					{
						snprintf(err, errlen, "the spill file of transaction %u ends in a partial record", s->replay->xid);
						return -1;
					}
					s->phase = 3;
					break;
				}
				memcpy(&h, s->rbuf.data + s->rpos, sizeof(h));
				if ((rc = fill(s, sizeof(h) + h.len, err, errlen)) <= 0)
				{
					if (rc == 0)
						snprintf(err, errlen, "the spill file of transaction %u ends in a partial record", s->replay->xid);
					return -1;
				}
				*msg = s->rbuf.data + s->rpos + sizeof(h);
				*len = h.len;
				*lsn = h.lsn;
				s->rpos += sizeof(h) + h.len;
				if (aborted(s->replay, h.subxid))
					continue;
				return 1;
			}
			/* FALLTHROUGH */
		case 3:
			s->phase = 4;
			*msg = (const char *) s->commit;
			*len = sizeof(s->commit);
			*lsn = s->commit_at;
			return 1;
		default:
			close(s->rfd);
			s->rfd = -1;
			drop_txn(s, s->replay);
			s->replay = NULL;
			s->phase = 0;
			buf_reset(&s->rbuf);
			return 0;
	}
}

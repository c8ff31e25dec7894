/*
 * snapshot_dedup.c — the buffered chunk's index by key: while the
 * window is open, or in a transaction the chunk's snapshot did not see,
 * a streamed change to a key of the chunk marks that row gone, the
 * change being newer.  Open addressing over row numbers, one allocation
 * per chunk, none per change; the keys of recent changes kept for the
 * chunks to come (win.recent, win.ahead_keys).
 */
#include <stdlib.h>
#include <string.h>

#include "convert_binary.h"
#include "snapshot_int.h"

static uint32_t
hash_bytes(uint32_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		h ^= (unsigned char) p[i];
		h *= 16777619u;
	}
	h ^= 0xffu;
	h *= 16777619u;
	return h;
}

uint32_t
snap_row_hash(const struct snapshot *s, int row)
{
	uint32_t	h = 2166136261u;

	for (int j = 0; j < s->table.nkeys; j++)
		h = hash_bytes(h, PQgetvalue(s->chunk.res, row, s->table.keyidx[j]),
					   (size_t) PQgetlength(s->chunk.res, row, s->table.keyidx[j]));
	return h;
}

int
snap_build_hash(struct snapshot *s)
{
	size_t		n = 16;

	while (n < (size_t) s->chunk.nrows * 2)
		n *= 2;
	s->chunk.hash = calloc(n, sizeof(uint32_t));
	s->chunk.gone = calloc((size_t) s->chunk.nrows + 1, 1);
	if (s->chunk.hash == NULL || s->chunk.gone == NULL)
		return -1;
	s->chunk.nhash = n;
	for (int i = 0; i < s->chunk.nrows; i++)
	{
		size_t		slot = snap_row_hash(s, i) & (n - 1);

		while (s->chunk.hash[slot])
			slot = (slot + 1) & (n - 1);
		s->chunk.hash[slot] = (uint32_t) i + 1;
	}
	return 0;
}

void
snap_drop_chunk(struct snapshot *s)
{
	PQclear(s->chunk.res);
	s->chunk.res = NULL;
	s->chunk.nrows = 0;
	free(s->chunk.gone);
	s->chunk.gone = NULL;
	free(s->chunk.hash);
	s->chunk.hash = NULL;
	s->chunk.nhash = 0;
	s->chunk.emit_next = 0;
	s->win.snap_known = 0;
}

/*
 * Map the key columns onto a stream relation's columns, by name (the
 * partitions of a partitioned table take turns: the map is redone
 * without allocating).
 */
static int
map_keys(struct snapshot *s, const struct relcache_rel *srel)
{
	if (s->chunk.mapped == srel)
		return 0;
	s->chunk.mapped = NULL;
	if (s->chunk.map == NULL &&
		(s->chunk.map = malloc(sizeof(int) * (size_t) (s->table.nkeys ? s->table.nkeys : 1))) == NULL)
		return -1;
	for (int j = 0; j < s->table.nkeys; j++)
	{
		const char *name = s->table.rel->cols[s->table.keyidx[j]].name;

		s->chunk.map[j] = -1;
		for (int i = 0; i < srel->ncols; i++)
			if (strcmp(srel->cols[i].name, name) == 0)
				s->chunk.map[j] = i;
		if (s->chunk.map[j] < 0)
			return -1;
	}
	s->chunk.mapped = srel;
	return 0;
}

/*
 * The key column j of the streamed tuple t as the chunk's rows hold it:
 * the text, which in binary mode is the value's text (convert_binary.h)
 * rendered into chunk.keytext.  0, or -1 if it has none (NULL, unchanged,
 * unreadable).
 */
static int
key_text(struct snapshot *s, const struct decoder_tuple *t, int j,
		 const char **p, size_t *len)
{
	const struct decoder_column *c = &t->cols[s->chunk.map[j]];
	size_t		at = s->chunk.keytext.len;

	if (c->kind == DECODER_COL_TEXT)
	{
		*p = c->data;
		*len = c->len;
		return 0;
	}
	if (c->kind != DECODER_COL_BINARY ||
		convert_binary_text(&s->chunk.keytext, &s->chunk.mapped->cols[s->chunk.map[j]].conv,
							c->data, c->len) != 0)
		return -1;
	/* the buf may have moved: callers read the texts after the last render */
	*p = NULL;
	*len = s->chunk.keytext.len - at;
	return 0;
}

/* Mark gone the buffered rows whose key columns are the texts kp/kl. */
static void
drop_rows(struct snapshot *s, const char *const *kp, const size_t *kl)
{
	uint32_t	h = 2166136261u;
	size_t		slot;

	for (int j = 0; j < s->table.nkeys; j++)
		h = hash_bytes(h, kp[j], kl[j]);
	for (slot = h & (s->chunk.nhash - 1); s->chunk.hash[slot]; slot = (slot + 1) & (s->chunk.nhash - 1))
	{
		int			row = (int) s->chunk.hash[slot] - 1;
		int			same = 1;

		for (int j = 0; j < s->table.nkeys && same; j++)
		{
			int			k = s->table.keyidx[j];

			same = (size_t) PQgetlength(s->chunk.res, row, k) == kl[j] &&
				memcmp(PQgetvalue(s->chunk.res, row, k), kp[j], kl[j]) == 0;
		}
		if (same)
			s->chunk.gone[row] = 1;
	}
}

/*
 * The key texts of the streamed tuple t into kp/kl (rendered ones in
 * chunk.keytext); 0, or -1 when it has none.
 */
static int
tuple_keys(struct snapshot *s, const struct decoder_tuple *t, const char **kp, size_t *kl)
{
	size_t		off[SNAP_MAX_KEYS];

	if (s->table.nkeys > SNAP_MAX_KEYS)
		return -1;
	buf_reset(&s->chunk.keytext);
	for (int j = 0; j < s->table.nkeys; j++)
	{
		if (s->chunk.map[j] >= t->ncols)
			return -1;
		off[j] = s->chunk.keytext.len;
		if (key_text(s, t, j, &kp[j], &kl[j]) != 0)
			return -1;			/* a key is never NULL or unchanged */
	}
	for (int j = 0; j < s->table.nkeys; j++)
		if (kp[j] == NULL)
			kp[j] = s->chunk.keytext.data + off[j];
	return 0;
}

/* Append the key texts kp/kl to b, each after its uint32 length. */
static void
put_key(const struct snapshot *s, struct buf *b, const char *const *kp, const size_t *kl)
{
	for (int j = 0; j < s->table.nkeys; j++)
	{
		uint32_t	n = (uint32_t) kl[j];

		buf_append(b, &n, sizeof(n));
		buf_append(b, kp[j], kl[j]);
	}
}

/* Read the nkeys texts at *at of b (as put_key wrote them) and step past them. */
static void
read_key(const struct snapshot *s, const struct buf *b, size_t *at,
		 const char **kp, size_t *kl)
{
	for (int j = 0; j < s->table.nkeys; j++)
	{
		uint32_t	n;

		memcpy(&n, b->data + *at, sizeof(n));
		kp[j] = b->data + *at + sizeof(n);
		kl[j] = n;
		*at += sizeof(n) + n;
	}
}

void
snap_apply_ahead_keys(struct snapshot *s)
{
	const char *kp[SNAP_MAX_KEYS];
	size_t		kl[SNAP_MAX_KEYS];
	size_t		at = 0;
	struct buf *b = &s->win.ahead_keys;

	while (s->table.nkeys <= SNAP_MAX_KEYS && at < b->len)
	{
		read_key(s, b, &at, kp, kl);
		drop_rows(s, kp, kl);
	}
	buf_reset(b);
}

/* ---- which transactions the chunk's rows do not show ---- */

int
snap_set_snapshot(struct snapshot *s, const char *text)
{
	unsigned long long xmin, xmax;
	const char *p;
	int			n = 0;

	s->win.snap_known = 0;
	if (text == NULL || sscanf(text, "%llu:%llu:", &xmin, &xmax) != 2 ||
		(p = strchr(text, ':')) == NULL || (p = strchr(p + 1, ':')) == NULL)
		return -1;
	p++;
	free(s->win.snap_xip);
	/* an xid takes two characters at least, its comma included */
	s->win.snap_xip = calloc(strlen(p) / 2 + 1, sizeof(uint32_t));
	if (s->win.snap_xip == NULL)
		return -1;
	while (*p)
	{
		s->win.snap_xip[n++] = (uint32_t) strtoull(p, (char **) &p, 10);
		if (*p != ',')
			break;
		p++;
	}
	/* xid8s: the stream's xids are their low 32 bits, compared modulo 2^32 */
	s->win.snap_xmin = (uint32_t) xmin;
	s->win.snap_xmax = (uint32_t) xmax;
	s->win.snap_nxip = n;
	s->win.snap_known = 1;
	return 0;
}

/* 1 when the chunk's snapshot does not show transaction xid: running then, or begun after. */
static int
xid_invisible(const struct snapshot *s, uint32_t xid)
{
	if ((int32_t) (xid - s->win.snap_xmin) < 0)
		return 0;
	if ((int32_t) (xid - s->win.snap_xmax) >= 0)
		return 1;
	for (int i = 0; i < s->win.snap_nxip; i++)
		if (s->win.snap_xip[i] == xid)
			return 1;
	return 0;
}

/* Keep the current transaction's change of key kp/kl in win.recent. */
static void
keep_recent(struct snapshot *s, const char *const *kp, const size_t *kl)
{
	struct buf *b = &s->win.recent;
	size_t		at;

	buf_append(b, &s->win.stream_xid, sizeof(s->win.stream_xid));
	put_key(s, b, kp, kl);
	if (b->len <= SNAP_RECENT_MAX)
		return;
	/* the older half: long since committed and shown, in all likelihood */
	for (at = 0; at < b->len / 2;)
	{
		const char *rkp[SNAP_MAX_KEYS];
		size_t		rkl[SNAP_MAX_KEYS];

		at += sizeof(uint32_t);
		read_key(s, b, &at, rkp, rkl);
	}
	memmove(b->data, b->data + at, b->len - at);
	b->len -= at;
}

void
snap_apply_recent(struct snapshot *s)
{
	struct buf *b = &s->win.recent;
	size_t		at = 0,
				kept = 0;

	if (!s->win.snap_known || s->chunk.res == NULL || s->table.nkeys > SNAP_MAX_KEYS)
		return;
	while (at < b->len)
	{
		const char *kp[SNAP_MAX_KEYS];
		size_t		kl[SNAP_MAX_KEYS];
		size_t		from = at;
		uint32_t	xid;

		memcpy(&xid, b->data + at, sizeof(xid));
		at += sizeof(xid);
		read_key(s, b, &at, kp, kl);
		if (!xid_invisible(s, xid))
			continue;
		/* not shown yet: newer than the row; kept for the next chunk too */
		drop_rows(s, kp, kl);
		memmove(b->data + kept, b->data + from, at - from);
		kept += at - from;
	}
	b->len = kept;
}

void
snapshot_begin(struct snapshot *s, uint32_t xid)
{
	s->win.stream_xid = xid;
}

void
snapshot_change(struct snapshot *s, const struct relcache_rel *rel,
				const struct decoder_msg *m)
{
	int			drop,
				ahead;

	if (s->table.rel == NULL || rel->root_relid != s->table.rel->relid || s->table.nkeys == 0 ||
		s->nitems == 0 || s->queue.items[0].blocking || s->export.exporting ||
		map_keys(s, rel) != 0)
		return;
	/*
	 * Inside the window the change is newer than the row, or as new; before
	 * it opens (read.only: before the query's position) only if the chunk's
	 * snapshot does not show its transaction.
	 */
	if (s->chunk.res == NULL)
		drop = 0;
	else if (s->phase == SNAP_OPEN)
		drop = 1;
	else if (s->phase == SNAP_WAIT_OPEN || s->phase == SNAP_RO_WAIT)
		drop = s->win.snap_known && xid_invisible(s, s->win.stream_xid);
	else
		drop = 0;
	/* inside the window of the chunk read ahead, not yet the current one */
	ahead = s->win.ahead && s->win.ahead_opened && !s->win.ahead_closed;
	for (int k = 0; k < 2; k++)
	{
		const struct decoder_tuple *t = k ? &m->u.change.new : &m->u.change.old;
		const char *kp[SNAP_MAX_KEYS];
		size_t		kl[SNAP_MAX_KEYS];

		if ((k == 0 && !m->u.change.old_kind) || (k == 1 && m->type == DECODER_DELETE) ||
			tuple_keys(s, t, kp, kl) != 0)
			continue;
		keep_recent(s, kp, kl);	/* for the chunks to come, the read-ahead's included */
		if (ahead)
			put_key(s, &s->win.ahead_keys, kp, kl);
		if (drop)
			drop_rows(s, kp, kl);
	}
}

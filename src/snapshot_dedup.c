/*
 * snapshot_dedup.c — the buffered chunk's index by key: while the
 * window is open (or, read.only, in a transaction the chunk's snapshot
 * did not see) a streamed change to a key of the chunk marks that row
 * gone, the change being newer.  Open addressing over row numbers, one
 * allocation per chunk, none per change.
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

/* Drop the buffered row whose key the streamed tuple t has. */
static void
forget_key(struct snapshot *s, const struct decoder_tuple *t)
{
	const char *kp[SNAP_MAX_KEYS];
	size_t		kl[SNAP_MAX_KEYS];

	if (tuple_keys(s, t, kp, kl) == 0)
		drop_rows(s, kp, kl);
}

/* Keep the key of t for the chunk read ahead (win.ahead_keys). */
static void
keep_key(struct snapshot *s, const struct decoder_tuple *t)
{
	const char *kp[SNAP_MAX_KEYS];
	size_t		kl[SNAP_MAX_KEYS];

	if (tuple_keys(s, t, kp, kl) != 0)
		return;
	for (int j = 0; j < s->table.nkeys; j++)
	{
		uint32_t	n = (uint32_t) kl[j];

		buf_append(&s->win.ahead_keys, &n, sizeof(n));
		buf_append(&s->win.ahead_keys, kp[j], kl[j]);
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
		for (int j = 0; j < s->table.nkeys; j++)
		{
			uint32_t	n;

			memcpy(&n, b->data + at, sizeof(n));
			kp[j] = b->data + at + sizeof(n);
			kl[j] = n;
			at += sizeof(n) + n;
		}
		drop_rows(s, kp, kl);
	}
	buf_reset(b);
}

void
snapshot_begin(struct snapshot *s, uint32_t xid)
{
	if (s->phase != SNAP_RO_WAIT)
		return;
	/* visible to the chunk's snapshot: older than xmin, or done before xmax */
	if ((int32_t) (xid - s->win.ro_xmin) < 0)
		s->win.txn_invisible = 0;
	else if ((int32_t) (xid - s->win.ro_xmax) >= 0)
		s->win.txn_invisible = 1;
	else
	{
		s->win.txn_invisible = 0;
		for (int i = 0; i < s->win.ro_nxip; i++)
			if (s->win.ro_xip[i] == xid)
				s->win.txn_invisible = 1;
	}
}

void
snapshot_change(struct snapshot *s, const struct relcache_rel *rel,
				const struct decoder_msg *m)
{
	if (s->chunk.res == NULL || s->table.rel == NULL || rel->root_relid != s->table.rel->relid)
		return;
	/* inside the window of the chunk read ahead, not yet the current one */
	if (s->win.ahead && s->win.ahead_opened && !s->win.ahead_closed && map_keys(s, rel) == 0)
	{
		if (m->u.change.old_kind)
			keep_key(s, &m->u.change.old);
		if (m->type != DECODER_DELETE)
			keep_key(s, &m->u.change.new);
	}
	if (s->phase == SNAP_RO_WAIT ? !s->win.txn_invisible : s->phase != SNAP_OPEN)
		return;
	if (map_keys(s, rel) != 0)
		return;
	if (m->u.change.old_kind)
		forget_key(s, &m->u.change.old);
	if (m->type != DECODER_DELETE)
		forget_key(s, &m->u.change.new);
}

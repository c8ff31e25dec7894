/*
 * event_int.h — what event.c and its siblings (event_flat.c,
 * event_txmeta.c) share inside the event module; event.h is the contract.
 */
#ifndef WALCAP_EVENT_INT_H
#define WALCAP_EVENT_INT_H

#include "event.h"

/*
 * A row as a JSON object (event.c): with a mask, only the columns whose
 * flags have one of its bits; old is the old tuple of the same message,
 * for unchanged TOAST values.  0, or -1 with err set.
 */
int		event_put_row(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
					  const struct decoder_tuple *t, int mask,
					  const struct decoder_tuple *old, char *err, size_t errlen);

/*
 * With schemas on (value.converter or key.converter.schemas.enable),
 * {"schema":schema,"payload": before a value or key (a NULL schema marks
 * out failed: out of memory building it), and } after it.
 */
void	event_open_schema(struct buf *out, int on, const char *schema);
static inline void
event_close_schema(struct buf *out, int on)
{
	if (on)
		buf_putc(out, '}');
}

/* What the added fields of a flat row are read from. */
struct event_flat
{
	char		op;				/* c, u, d, r */
	const struct relcache_rel *rel;
	const struct event_txn *txn;	/* NULL for a snapshot row */
	uint64_t	lsn;
	int64_t		now_ms;			/* the event's ts_ms */
	const char *snapshot;		/* source.snapshot of a snapshot row, else NULL */
};

/*
 * event_flat.c: ExtractNewRecordState's value (deleted: the rewrite
 * modes' __deleted), the writer's routed fixed topics and flat schema
 * parts, RegexRouter on a topic being built.
 */
int		event_put_flat(struct event_writer *w, struct buf *out, struct relcache_rel *rel,
					   const struct decoder_tuple *t, int mask,
					   const struct decoder_tuple *old, int deleted,
					   const struct event_flat *x, char *err, size_t errlen);
int		event_flat_init(struct event_writer *w, const struct config *c);
void	event_flat_free(struct event_writer *w);
/* Route the NUL-free topic in t (RegexRouter), in place: -1 if out of memory. */
int		event_route_topic(struct event_writer *w, struct buf *t);

#endif

/*
 * buf.h — the one growable byte buffer of walcap.
 *
 * A buf owns its storage: buf_init() sets it up empty, buf_free() releases
 * it.  Contents are binary-safe and always followed by a NUL byte, so
 * data can be handed to C string functions when it holds text.
 *
 * Failure policy (PQExpBuffer's "broken" flag): every buffer has a hard
 * size cap.  An append that would pass the cap, or a failed allocation,
 * marks the buffer failed; later appends are no-ops.  Callers build a
 * whole unit (one event, one SQL statement) and check buf_failed() once.
 * buf_reset() empties the buffer and clears the flag, keeping the memory
 * for reuse, so the hot path allocates only while the buffer grows.
 */
#ifndef WALCAP_BUF_H
#define WALCAP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char   *data;		/* NUL-terminated; NULL until first growth */
	size_t	len;		/* bytes in use, excluding the NUL */
	size_t	cap;		/* bytes allocated */
	size_t	max;		/* hard cap on len */
	int		failed;		/* set by an append that could not be done */
};

#define BUF_DEFAULT_MAX ((size_t) 1 << 30)

void	buf_init(struct buf *b, size_t max);
void	buf_free(struct buf *b);
void	buf_reset(struct buf *b);

/* Make room for n more bytes; 0 on success, -1 (and failed set) if not. */
int		buf_grow(struct buf *b, size_t n);

void	buf_printf(struct buf *b, const char *fmt, ...)
			__attribute__((format(printf, 2, 3)));
void	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));

/*
 * Hand the contents to the caller, who must free() them; the buffer is
 * left empty and may be reused.  Returns NULL if the buffer failed.
 */
char   *buf_take(struct buf *b);

static inline int
buf_failed(const struct buf *b)
{
	return b->failed;
}

static inline void
buf_append(struct buf *b, const void *p, size_t n)
{
	if ((b->cap - b->len <= n || b->failed) && buf_grow(b, n) != 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
buf_putc(struct buf *b, char c)
{
	if ((b->cap - b->len <= 1 || b->failed) && buf_grow(b, 1) != 0)
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/*
 * Append a string literal without a strlen at run time.  The "" makes
 * anything but a literal (say a ?: of two, whose sizeof is a pointer's)
 * a compile error.
 */
#define buf_lit(b, s) buf_append((b), "" s, sizeof(s) - 1)

/* Drop bytes after position n (n <= len). */
static inline void
buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len)
	{
		b->len = n;
		b->data[n] = '\0';
	}
}

#endif

/*
 * wire.h — the bounds-checked reader every network byte goes through.
 *
 * A wire_reader is a read-only view over a message that someone else owns
 * (normally the buffer PQgetCopyData returned); it never copies or frees.
 * All integers are big-endian, as on the PostgreSQL wire.
 *
 * Errors are sticky: a read past the end, or a string whose NUL is not
 * inside the message, sets err and returns zero/NULL; every later read
 * does the same.  A parser reads a whole message, then checks
 * wire_ok() or wire_end() once — like pq_getmsgend().
 */
#ifndef WALCAP_WIRE_H
#define WALCAP_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wire_reader {
	const unsigned char *data;
	size_t		len;
	size_t		pos;
	int			err;		/* sticky: set by the first failed read */
};

static inline void
wire_init(struct wire_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static inline int
wire_ok(const struct wire_reader *r)
{
	return !r->err;
}

static inline size_t
wire_remaining(const struct wire_reader *r)
{
	return r->err ? 0 : r->len - r->pos;
}

/* True if no error and every byte was consumed. */
static inline int
wire_end(const struct wire_reader *r)
{
	return !r->err && r->pos == r->len;
}

/* Check that n bytes remain; on failure mark the reader broken. */
static inline int
wire_need(struct wire_reader *r, size_t n)
{
	if (r->err || r->len - r->pos < n)
	{
		r->err = 1;
		return 0;
	}
	return 1;
}

/* The integer readers are inline: the decoder calls them per column. */
static inline uint8_t
wire_u8(struct wire_reader *r)
{
	if (!wire_need(r, 1))
		return 0;
	return r->data[r->pos++];
}

static inline uint16_t
wire_u16(struct wire_reader *r)
{
	const unsigned char *p;

	if (!wire_need(r, 2))
		return 0;
	p = r->data + r->pos;
	r->pos += 2;
	return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
wire_u32(struct wire_reader *r)
{
	const unsigned char *p;

	if (!wire_need(r, 4))
		return 0;
	p = r->data + r->pos;
	r->pos += 4;
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
		(uint32_t) p[2] << 8 | p[3];
}

/* All eight bytes are checked first: never half a value. */
static inline uint64_t
wire_u64(struct wire_reader *r)
{
	uint64_t	hi;

	if (!wire_need(r, 8))
		return 0;
	hi = wire_u32(r);
	return hi << 32 | wire_u32(r);
}

static inline int16_t wire_i16(struct wire_reader *r) { return (int16_t) wire_u16(r); }
static inline int32_t wire_i32(struct wire_reader *r) { return (int32_t) wire_u32(r); }
static inline int64_t wire_i64(struct wire_reader *r) { return (int64_t) wire_u64(r); }

/*
 * Return a pointer to the next n bytes inside the message and skip them,
 * or NULL (err set) if fewer remain.  n == 0 returns a valid pointer.
 */
static inline const char *
wire_bytes(struct wire_reader *r, size_t n)
{
	const char *p;

	if (!wire_need(r, n))
		return NULL;
	p = (const char *) r->data + r->pos;
	r->pos += n;
	return p;
}

/*
 * Return the NUL-terminated string at the cursor and skip it with its
 * NUL, or NULL (err set) if the message ends before a NUL.  The pointer
 * is into the message; its length is stored in *len when len is not NULL.
 */
const char *wire_cstring(struct wire_reader *r, size_t *len);

#endif

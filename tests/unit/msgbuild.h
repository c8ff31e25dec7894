/*
 * msgbuild.h — building pgoutput messages byte by byte in unit tests,
 * big-endian as on the wire.  A test that writes past the buffer is
 * itself wrong and aborts.
 */
#ifndef WALCAP_MSGBUILD_H
#define WALCAP_MSGBUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A message under construction. */
struct mb
{
	unsigned char d[65536];
	size_t		n;
};

static inline void
p8(struct mb *m, unsigned v)
{
	if (m->n >= sizeof(m->d))
		abort();
	m->d[m->n++] = (unsigned char) v;
}

static inline void
p16(struct mb *m, unsigned v)
{
	p8(m, (v >> 8) & 0xFF);
	p8(m, v & 0xFF);
}

static inline void
p32(struct mb *m, uint32_t v)
{
	p16(m, v >> 16);
	p16(m, v & 0xFFFF);
}

static inline void
p64(struct mb *m, uint64_t v)
{
	p32(m, (uint32_t) (v >> 32));
	p32(m, (uint32_t) v);
}

static inline void
pbytes(struct mb *m, const void *p, size_t n)
{
	if (n > sizeof(m->d) - m->n)
		abort();
	memcpy(m->d + m->n, p, n);
	m->n += n;
}

/* A String: the bytes and their NUL. */
static inline void
pstr(struct mb *m, const char *s)
{
	pbytes(m, s, strlen(s) + 1);
}

/* A TupleData column of kind 't' or 'b' holding p[0..n). */
static inline void
pcol_bytes(struct mb *m, char kind, const void *p, uint32_t n)
{
	p8(m, (unsigned char) kind);
	p32(m, n);
	pbytes(m, p, n);
}

#endif

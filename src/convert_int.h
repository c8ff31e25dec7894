/*
 * convert_int.h — what convert.c shares with convert_binary.c, the other
 * half of the convert stage.  Not for other modules.
 */
#ifndef WALCAP_CONVERT_INT_H
#define WALCAP_CONVERT_INT_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "wire.h"

/* Year (astronomical: 0 is 1 BC), month and day of day z after 1970-01-01. */
void	civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* ---- convert_binary.c and convert_binary_nested.c ---- */

/* A float8 in the wire's byte order. */
static inline double
convert_read_f8(struct wire_reader *r)
{
	uint64_t	u = wire_u64(r);
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* d as PostgreSQL 12+'s float4out/float8out write it (the shortest exact text). */
void	convert_put_float(struct buf *out, double d, int single);

/*
 * The text of the binary value r holds (all of it), laid out as bin
 * (enum convert_bin; elem_bin for what it holds, delim an array's
 * delimiter).  0, or -1 with out partly written (the caller rewinds).
 */
int		convert_binary_render(struct buf *out, int bin, int elem_bin, char delim,
							  struct wire_reader *r);

/* The layouts of convert_binary_nested.c, same contract. */
int		convert_binary_geometry(struct buf *out, int bin, struct wire_reader *r);
int		convert_binary_tsvector(struct buf *out, struct wire_reader *r);
int		convert_binary_hstore(struct buf *out, struct wire_reader *r);
int		convert_binary_array(struct buf *out, struct wire_reader *r, int elem_bin, char delim);
int		convert_binary_range(struct buf *out, struct wire_reader *r, int elem_bin);
int		convert_binary_multirange(struct buf *out, struct wire_reader *r, int elem_bin);

#endif

/*
 * convert_binary.h — one column value in pgoutput's binary mode (the
 * type's send function's bytes) to exactly the JSON the text path
 * (convert.h) writes for the same value, in every mode.
 *
 * Binary mode (PostgreSQL 14+, binary.format) spares the walsender every
 * column's text output function.  walcap reads the binary layout of the
 * built-in types (struct convert_type's bin, set by convert_builtin(),
 * and by the catalog for enums, domains, hstore, citext and arrays of
 * them) and turns it into the text that output function would have
 * written under CONVERT_SESSION_OPTIONS.  The hot types (integers, bool,
 * text) go straight to JSON; the rest go through that text and
 * convert_value(), which is what keeps both paths' events byte-identical.
 *
 * Every byte is read through wire.h; a value whose bytes are not what
 * the type's send function writes is refused (-1), never guessed at.
 * Memory: nothing is allocated but by growing the caller's bufs.
 */
#ifndef WALCAP_CONVERT_BINARY_H
#define WALCAP_CONVERT_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "convert.h"

/* Set t->bin and t->elem_bin for a built-in type OID (NONE if unread). */
void	convert_binary_builtin(uint32_t oid, struct convert_type *t);

/* Whether values of t can be read in binary mode. */
int		convert_binary_readable(const struct convert_type *t);

/*
 * Append the text PostgreSQL's output function writes for the binary
 * value data[0..len) of type t (floats: the shortest exact text, as
 * PostgreSQL 12+ writes them).  0, or -1 (nothing appended) if the bytes
 * are not a value of t or out failed.
 */
int		convert_binary_text(struct buf *out, const struct convert_type *t,
							const char *data, size_t len);

/*
 * Append the JSON of the binary value data[0..len): what convert_value()
 * appends for the value's text.  scratch is the caller's, reused from
 * value to value (its contents are not kept).  0; 1 when convert_value()
 * refused the text, which was then written as a JSON string, as the text
 * path does (the caller may warn); -1, nothing appended, when the bytes
 * are not a value of t (or out failed).
 */
int		convert_binary_value(struct buf *out, struct buf *scratch,
							 const struct convert_type *t,
							 const char *data, size_t len,
							 const struct convert_opts *o);

#endif

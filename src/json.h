/*
 * json.h — JSON text written onto a buf.
 *
 * Strings are escaped strictly: '"' and '\\', the named escapes \b \t \n
 * \f \r, every other control character and DEL as \u00XX.  Input that is
 * not valid UTF-8 has each offending byte replaced by U+FFFD, so the
 * output is always valid JSON in valid UTF-8 whatever the database sent.
 * Nothing here allocates except through the buf.
 */
#ifndef WALCAP_JSON_H
#define WALCAP_JSON_H

#include <stdint.h>

#include "buf.h"

/* Append s[0..len) as a quoted JSON string. */
void	json_text(struct buf *b, const char *s, size_t len);

/* Append s[0..len) escaped, without the surrounding quotes. */
void	json_escape(struct buf *b, const char *s, size_t len);

static inline void
json_cstring(struct buf *b, const char *s)
{
	json_text(b, s, strlen(s));
}

void	json_int64(struct buf *b, int64_t v);
void	json_uint64(struct buf *b, uint64_t v);

/*
 * True if s[0..len) is exactly one JSON number (RFC 8259 grammar), so
 * that text read from the server can be written as it is.
 */
int		json_is_number(const char *s, size_t len);

/*
 * Append a finite float's text s[0..len), which passed json_is_number(),
 * as a JSON number.  With shorten (a server older than 12, whose texts
 * under extra_float_digits=3 have 18 or 9 significant digits), the
 * fewest digits that read back as the same float4 (single) or float8, as
 * PostgreSQL 12+ and Java's Float/Double.toString give them ("0.1" for
 * "0.100000001"); otherwise the text as it is.
 */
void	json_float_text(struct buf *b, const char *s, size_t len, int single, int shorten);

/* Standard base64 (RFC 4648 §4) or, with url_safe, §5 alphabet; padded. */
void	json_base64(struct buf *b, const unsigned char *p, size_t n, int url_safe);

/* A C string as a JSON string, or null for NULL. */
void	json_cstring_or_null(struct buf *b, const char *s);

#endif
